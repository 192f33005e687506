//! The server side of HTTP/2 for the reference servers: tell a prior-knowledge
//! HTTP/2 client from an HTTP/1.1 one by its first bytes, and serve an HTTP/2
//! connection's streams, each by a handler of the server's.
//!
//! Why here and not in each server: both reference servers take HTTP/2 the
//! same way (h2c with prior knowledge, RFC 9113 §3.3) and must bound it the
//! same way (streams at once, windows, header lists, the end of a connection
//! when the server stops).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use h2::RecvStream;
use h2::server::SendResponse;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::{Duration, Instant, sleep_until, timeout, timeout_at};

use super::client::{MAX_HEADER_LIST, STREAM_WINDOW};

/// The client connection preface (RFC 9113 §3.4).
pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Streams one connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS,
/// RFC 9113 §6.5.2): each holds a read buffer, so this bounds a connection's memory.
pub const MAX_STREAMS: u32 = 16;

/// What the first bytes of a connection say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// The HTTP/2 preface: the first `n` bytes of the buffer are it (or more).
    Http2(usize),
    /// Anything else: the first `n` bytes of the buffer are an HTTP/1.1 request's.
    Http1(usize),
    /// The peer left, or sent nothing before the deadline.
    Gone,
}

/// Read the first bytes into `buf` until they either are the HTTP/2 preface or
/// cannot be (an HTTP/1.1 request differs from it within its first bytes: no
/// method is "PRI"), by `deadline`.
pub async fn sniff<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut [u8],
    deadline: Instant,
) -> Sniffed {
    let mut n = 0;
    loop {
        let read = match timeout_at(deadline, stream.read(&mut buf[n..])).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return Sniffed::Gone,
            Ok(Ok(read)) => read,
        };
        n += read;
        let common = n.min(PREFACE.len());
        if buf[..common] != PREFACE[..common] {
            return Sniffed::Http1(n);
        }
        if n >= PREFACE.len() {
            return Sniffed::Http2(n);
        }
    }
}

/// A connection whose first bytes were already read: those, then the rest.
pub struct Prefixed<S> {
    first: Bytes,
    inner: S,
}

impl<S> Prefixed<S> {
    /// `first` was read from `inner` before.
    pub fn new(first: &[u8], inner: S) -> Self {
        Prefixed {
            first: Bytes::copy_from_slice(first),
            inner,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Prefixed<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.first.is_empty() {
            let n = self.first.len().min(buf.remaining());
            let taken = self.first.split_to(n);
            buf.put_slice(&taken);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Prefixed<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The bounds of one HTTP/2 connection of a reference server.
#[derive(Debug, Clone)]
pub struct ServeLimits {
    /// The preface exchange (the server's first wait).
    pub handshake: Duration,
    /// How long a connection with no open stream is kept (then GOAWAY): an
    /// idle connection holds one of the server's connection slots.
    pub idle: Duration,
    /// How long the open streams get to finish once the connection ends.
    pub grace: Duration,
    /// The streams the whole server serves at once (each holds a WebSocket's
    /// or an event stream's buffers): one permit each, shared by every
    /// connection; a stream over it is refused with REFUSED_STREAM (RFC 9113
    /// §8.7: not processed, safe to retry).
    pub streams: Arc<Semaphore>,
}

/// Serve one HTTP/2 connection: each request stream is handed to `handler` in
/// a task of its own, until the client ends the connection, no stream has
/// been open for `limits.idle`, or `stop` fires; then GOAWAY (RFC 9113 §6.8)
/// and at most `limits.grace` for the open streams. The stream tasks end with
/// the connection.
pub async fn serve<S, H, F>(io: S, mut stop: watch::Receiver<()>, limits: ServeLimits, handler: H)
where
    S: AsyncRead + AsyncWrite + Unpin,
    H: Fn(http::Request<RecvStream>, SendResponse<Bytes>) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    let mut builder = h2::server::Builder::new();
    builder
        .initial_window_size(STREAM_WINDOW)
        .initial_connection_window_size(STREAM_WINDOW * 4)
        .max_concurrent_streams(MAX_STREAMS)
        .max_header_list_size(MAX_HEADER_LIST)
        // RFC 8441 §3: SETTINGS_ENABLE_CONNECT_PROTOCOL = 1.
        .enable_connect_protocol();
    let Ok(Ok(mut conn)) = timeout(limits.handshake, builder.handshake::<_, Bytes>(io)).await
    else {
        return;
    };
    let mut streams = JoinSet::new();
    let mut stopping = false;
    let mut idle_at = Instant::now() + limits.idle;
    loop {
        tokio::select! {
            accepted = conn.accept() => match accepted {
                Some(Ok((req, mut respond))) => {
                    match Arc::clone(&limits.streams).try_acquire_owned() {
                        Ok(permit) => {
                            let served = handler(req, respond);
                            streams.spawn(async move {
                                served.await;
                                drop(permit);
                            });
                        }
                        Err(_) => respond.send_reset(h2::Reason::REFUSED_STREAM),
                    }
                }
                Some(Err(_)) | None => break,
            },
            Some(_) = streams.join_next(), if !streams.is_empty() => {
                if streams.is_empty() {
                    idle_at = Instant::now() + limits.idle;
                }
            }
            () = sleep_until(idle_at), if streams.is_empty() && !stopping => {
                stopping = true;
                conn.graceful_shutdown();
            }
            _ = stop.changed(), if !stopping => {
                stopping = true;
                conn.graceful_shutdown();
            }
        }
    }
    // The connection is done; its streams get `grace` to finish their writes.
    let _ = timeout(limits.grace, async {
        while streams.join_next().await.is_some() {}
    })
    .await;
}

/// The header fields HTTP/2 does not carry (RFC 9113 §8.2.2: "An endpoint
/// MUST NOT generate an HTTP/2 message containing connection-specific header
/// fields"; `Host` becomes `:authority`, §8.3.1).
const CONNECTION_SPECIFIC: [&str; 5] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
];

/// A response written as an HTTP/1.1 head (and body) as the same response over
/// HTTP/2: the status and the header fields, without the connection-specific
/// ones, and how many bytes of `bytes` the head took (the body follows). The
/// reference servers write each response once; this is how a gateway turns
/// one into the other. `None` for bytes that are not one complete head.
pub fn response_from_http1(bytes: &[u8]) -> Option<(http::Response<()>, usize)> {
    let parsed = wirecheck_codec::http::ResponseParser::default()
        .feed(bytes)
        .ok()??;
    let mut answer = http::Response::builder().status(parsed.value.status);
    for field in &parsed.value.headers {
        let name = field.name.to_ascii_lowercase();
        if !CONNECTION_SPECIFIC.contains(&name.as_str()) {
            answer = answer.header(name, field.value.as_slice());
        }
    }
    Some((answer.body(()).ok()?, parsed.consumed))
}

/// An HTTP/2 request as the HTTP/1.1 request head the reference servers route
/// on: the method, `:path` as the request-target, `:authority` as `Host` (RFC
/// 9113 §8.3.1) unless a `Host` field came too, and every header field.
pub fn request_as_http1<B>(req: &http::Request<B>) -> wirecheck_codec::http::Request {
    use wirecheck_codec::http::Header;
    let mut headers = Vec::new();
    if !req.headers().contains_key(http::header::HOST) {
        if let Some(authority) = req.uri().authority() {
            headers.push(Header {
                name: "host".into(),
                value: authority.as_str().as_bytes().to_vec(),
            });
        }
    }
    headers.extend(req.headers().iter().map(|(k, v)| Header {
        name: k.as_str().to_owned(),
        value: v.as_bytes().to_vec(),
    }));
    wirecheck_codec::http::Request {
        method: req.method().as_str().to_owned(),
        target: req
            .uri()
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
        version: 1,
        headers,
    }
}
