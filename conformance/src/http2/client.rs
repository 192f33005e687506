//! The client side of an HTTP/2 connection (RFC 9113) as the runners use it:
//! connect (prior knowledge over cleartext, ALPN `h2` over TLS), learn the
//! server's SETTINGS, and open streams: RFC 8441's extended CONNECT for a
//! WebSocket, a GET for an event stream.
//!
//! Why it is its own module: framing, HPACK and flow control are the `h2`
//! crate's (see the README, "Over HTTP/2"); what is ours is what a conformance
//! client must know before it judges anything: whether the server sent
//! SETTINGS_ENABLE_CONNECT_PROTOCOL (a [`Session`] waits for the server's
//! first SETTINGS before it answers), and the request and response as text
//! for the reports. Every wait here is bounded by the caller.

use std::sync::Arc;

use bytes::Bytes;
use h2::client::SendRequest;
use tokio::task::JoinHandle;
use tokio::time::{Duration, timeout};

use super::stream::H2Stream;
use crate::net::{Http, Target};

/// The receive window of each stream and of the connection: how much the
/// server may send that wirecheck has not read yet (RFC 9113 §6.9.2). Large
/// enough that a 16 MiB echo is not a thousand round trips of WINDOW_UPDATE,
/// small enough to bound what one connection buffers.
pub const STREAM_WINDOW: u32 = 1 << 20;
/// The connection's receive window (several streams share it).
pub const CONNECTION_WINDOW: u32 = 4 << 20;
/// The largest header list wirecheck accepts from a server (RFC 9113
/// §6.5.2, SETTINGS_MAX_HEADER_LIST_SIZE): the same bound as an HTTP/1.1 head.
pub const MAX_HEADER_LIST: u32 = 64 * 1024;

/// One HTTP/2 connection to the server. Dropping it stops the task that
/// drives the connection; [`Session::finish`] lets it end in order first.
pub struct Session {
    /// `None` once [`Session::finish`] gave it up.
    send: Option<SendRequest<Bytes>>,
    task: Option<JoinHandle<()>>,
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// A request as the reports show it: one `name: value` per line, the
/// pseudo-header fields first (RFC 9113 §8.3).
pub fn render_request(req: &http::Request<()>) -> String {
    let mut text = format!(":method: {}\r\n", req.method());
    if let Some(p) = req.extensions().get::<h2::ext::Protocol>() {
        text.push_str(&format!(":protocol: {}\r\n", p.as_str()));
    }
    if let Some(s) = req.uri().scheme_str() {
        text.push_str(&format!(":scheme: {s}\r\n"));
    }
    if let Some(a) = req.uri().authority() {
        text.push_str(&format!(":authority: {a}\r\n"));
    }
    if let Some(p) = req.uri().path_and_query() {
        text.push_str(&format!(":path: {p}\r\n"));
    }
    push_headers(&mut text, req.headers());
    text.push_str("\r\n");
    text
}

/// A response head as the reports show it: a status line naming HTTP/2, then
/// the header fields.
pub fn render_response(head: &http::response::Parts) -> String {
    let mut text = format!("HTTP/2 {}\r\n", head.status.as_u16());
    push_headers(&mut text, &head.headers);
    text.push_str("\r\n");
    text
}

/// An HTTP/2 response head as the codec's [`wirecheck_codec::http::Response`]
/// (no reason phrase; field names are lowercase in HTTP/2, RFC 9113 §8.2.1;
/// the minor version 1 stands in, no check of an answer reads it), so that
/// the rules written for HTTP/1.1 heads judge it too.
pub fn codec_response(head: &http::response::Parts) -> wirecheck_codec::http::Response {
    wirecheck_codec::http::Response {
        status: head.status.as_u16(),
        reason: String::new(),
        version: 1,
        headers: head
            .headers
            .iter()
            .map(|(name, value)| wirecheck_codec::http::Header {
                name: name.as_str().to_owned(),
                value: value.as_bytes().to_vec(),
            })
            .collect(),
    }
}

fn push_headers(text: &mut String, headers: &http::HeaderMap) {
    for (k, v) in headers {
        text.push_str(&format!(
            "{k}: {}\r\n",
            String::from_utf8_lossy(v.as_bytes())
        ));
    }
}

impl Session {
    /// Connect to `target` and speak HTTP/2 (prior knowledge over cleartext,
    /// RFC 9113 §3.3; ALPN over TLS, §3.2), then wait for the server's
    /// SETTINGS: a PING is answered only after the server's preface, whose
    /// first frame is its SETTINGS (§3.4), so once the PONG is in, what the
    /// server allows is known.
    pub async fn connect(
        target: &Target,
        tls: Option<&Arc<rustls::ClientConfig>>,
    ) -> Result<Session, String> {
        let io = crate::net::connect_as(target, tls, Http::V2).await?;
        let (send, mut conn) = h2::client::Builder::new()
            .enable_push(false)
            .initial_window_size(STREAM_WINDOW)
            .initial_connection_window_size(CONNECTION_WINDOW)
            .max_header_list_size(MAX_HEADER_LIST)
            .handshake::<_, Bytes>(io)
            .await
            .map_err(|e| format!("the HTTP/2 connection preface failed: {e}"))?;
        let mut ping = conn.ping_pong();
        let task = tokio::spawn(async move {
            let _ = conn.await;
        });
        let session = Session {
            send: Some(send),
            task: Some(task),
        };
        if let Some(ping) = ping.as_mut() {
            ping.ping(h2::Ping::opaque()).await.map_err(|e| {
                format!("the server did not complete the HTTP/2 connection preface (its SETTINGS, then a PING answer): {e}")
            })?;
        }
        Ok(session)
    }

    /// The streams the server lets wirecheck open at once
    /// (SETTINGS_MAX_CONCURRENT_STREAMS, RFC 9113 §5.1.2); `None` once finishing.
    pub fn max_streams(&self) -> Option<usize> {
        self.send
            .as_ref()
            .map(SendRequest::current_max_send_streams)
    }

    /// Whether the server sent SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 (RFC 8441 §3).
    pub fn extended_connect(&self) -> bool {
        self.send
            .as_ref()
            .is_some_and(SendRequest::is_extended_connect_protocol_enabled)
    }

    /// Send `req` and wait for the response head; then the stream carries the
    /// response body (and, unless `end_stream` ended the request with its
    /// headers, what the client writes).
    pub async fn open(
        &mut self,
        req: http::Request<()>,
        end_stream: bool,
    ) -> Result<(http::response::Parts, H2Stream), OpenError> {
        let send = self.send.take().ok_or_else(|| OpenError {
            answered: false,
            refused: false,
            why: "the HTTP/2 connection is finished".into(),
        })?;
        let (opened, send) = open_on(send, req, end_stream).await;
        self.send = send;
        opened
    }

    /// A handle that opens streams on this connection from anywhere (several
    /// at once, or a reconnect on the same connection as browsers make it);
    /// `None` once the session is finishing.
    pub fn opener(&self) -> Option<Opener> {
        self.send.clone().map(|send| Opener { send })
    }

    /// Wait until the connection has ended (the server closed it, or it
    /// failed); at once when it is already over. The caller bounds the wait.
    pub async fn ended(&mut self) {
        if let Some(task) = self.task.as_mut() {
            let _ = task.await;
            self.task = None;
        }
    }

    /// Let the connection end in order (its streams ended, GOAWAY), within
    /// `limit`; then it is dropped whatever the server does.
    pub async fn finish(mut self, limit: Duration) {
        // The connection ends once no handle to it is left.
        self.send = None;
        let Some(task) = self.task.take() else { return };
        let abort = task.abort_handle();
        if timeout(limit, task).await.is_err() {
            abort.abort();
        }
    }
}

/// Opens streams on a [`Session`]'s connection (see [`Session::opener`]).
#[derive(Clone)]
pub struct Opener {
    send: SendRequest<Bytes>,
}

impl std::fmt::Debug for Opener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Opener(..)")
    }
}

impl Opener {
    /// [`Session::open`] on the connection this opener belongs to.
    pub async fn open(
        &self,
        req: http::Request<()>,
        end_stream: bool,
    ) -> Result<(http::response::Parts, H2Stream), OpenError> {
        open_on(self.send.clone(), req, end_stream).await.0
    }
}

/// Send `req` on the connection of `send` once it may open a stream
/// (SETTINGS_MAX_CONCURRENT_STREAMS, RFC 9113 §5.1.2), and wait for the
/// response head; gives `send` back unless the connection failed.
async fn open_on(
    send: SendRequest<Bytes>,
    req: http::Request<()>,
    end_stream: bool,
) -> (
    Result<(http::response::Parts, H2Stream), OpenError>,
    Option<SendRequest<Bytes>>,
) {
    let unanswered = |why: String| OpenError {
        answered: false,
        refused: false,
        why,
    };
    let mut send = match send.ready().await {
        Ok(send) => send,
        Err(e) => {
            return (
                Err(unanswered(format!("the HTTP/2 connection failed: {e}"))),
                None,
            );
        }
    };
    let sent = send.send_request(req, end_stream);
    let (response, stream) = match sent {
        Ok(sent) => sent,
        Err(e) => {
            return (
                Err(unanswered(format!("cannot send the HTTP/2 request: {e}"))),
                Some(send),
            );
        }
    };
    let opened = match response.await {
        Ok(response) => {
            let (head, body) = response.into_parts();
            Ok((head, H2Stream::new(stream, body)))
        }
        Err(e) => Err(OpenError {
            // A reset of the stream (by the server, or by wirecheck for a
            // malformed answer) is an answer; a failed connection is not.
            answered: e.is_reset(),
            refused: e.is_reset() && e.is_remote(),
            why: format!("the server answered the request with {}", describe(&e)),
        }),
    };
    (opened, Some(send))
}

/// Why a request got no usable response head.
#[derive(Debug, Clone)]
pub struct OpenError {
    /// The server did answer the stream (a reset, or a malformed head).
    pub answered: bool,
    /// The server reset the stream itself (RST_STREAM): a refusal.
    pub refused: bool,
    /// What happened, as one line.
    pub why: String,
}

/// An h2 error as one line: a stream reset names its code.
pub fn describe(e: &h2::Error) -> String {
    match e.reason() {
        // The h2 crate resets a stream whose response is malformed (RFC 9113
        // §8.1.1) with PROTOCOL_ERROR itself.
        Some(h2::Reason::PROTOCOL_ERROR) if e.is_reset() && !e.is_remote() => {
            "a malformed response (RFC 9113 §8.1.1), which wirecheck reset with PROTOCOL_ERROR: a connection-specific header field such as Connection or Transfer-Encoding (RFC 9113 §8.2.2), or a missing or misplaced pseudo-header field (§8.3)".to_owned()
        }
        Some(reason) if e.is_reset() => format!("a reset of the stream ({reason:?})"),
        Some(reason) if e.is_go_away() => format!("a GOAWAY ({reason:?})"),
        _ => format!("an HTTP/2 error: {e}"),
    }
}

/// The `:scheme` and `:authority` of `target`, with `path`, as a request URI.
pub fn uri(target: &Target, path: &str) -> Result<http::Uri, String> {
    let scheme = if target.tls { "https" } else { "http" };
    format!("{scheme}://{}{path}", target.host_header)
        .parse()
        .map_err(|e| format!("cannot make an HTTP/2 request target of {path:?}: {e}"))
}

/// The extended CONNECT of RFC 8441 §4-5 for a WebSocket to `target`, with
/// `headers` (name, value) after `sec-websocket-version: 13`.
pub fn websocket_request(
    target: &Target,
    headers: &[(String, String)],
) -> Result<http::Request<()>, String> {
    let mut req = http::Request::builder()
        .method(http::Method::CONNECT)
        .uri(uri(target, &target.path)?)
        .extension(h2::ext::Protocol::from_static("websocket"));
    for (k, v) in headers {
        req = req.header(k.to_ascii_lowercase(), v);
    }
    req.body(())
        .map_err(|e| format!("cannot build the extended CONNECT request: {e}"))
}
