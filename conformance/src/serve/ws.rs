//! The reference WebSocket echo server: `wirecheck serve ws` (DESIGN §3).
//!
//! It echoes every text and binary message with the same kind and bytes, answers
//! every Ping with a Pong carrying its payload, ignores Pongs, answers a Close, and
//! fails the connection on the first protocol error, all as the Autobahn testsuite's
//! cases expect of a server. It negotiates permessage-deflate (RFC 7692) as the first
//! valid offer asks, inflating within its message limit and compressing its echoes at
//! zlib level 1 (an echo that does not compress goes uncompressed, RFC 7692 §6), and
//! no subprotocol.
//!
//! Why it is built the way it is:
//!
//! * **The codec decides, the server acts.** Handshake parsing and validation, frame
//!   and message decoding, UTF-8, close codes and the close state all come from
//!   `wirecheck-codec`; this file only reads, writes, waits and chooses what to answer.
//! * **Act on every event before reading again.** The decoder consumes each read
//!   completely and reports events as soon as the bytes that decide them are in, an
//!   error included: invalid UTF-8 fails as soon as the offending byte arrives, even
//!   in the middle of a frame (Autobahn 6.4.x), and so does a request head, which is
//!   answered 400 at its first invalid byte (a TLS ClientHello on this plain port is
//!   refused on its first byte, not at the handshake timeout). The answers to one read are written
//!   with one `write_all` before the next read, so nothing waits on more input.
//! * **Reused buffers.** One read buffer and one write buffer per connection. A
//!   single-frame message contiguous in a read is unmasked in place by the decoder
//!   and copied once, into the reply; other messages are assembled by the decoder
//!   and copied once too. The write buffer gives back its memory after a large echo.
//! * **Every wait is bounded**: the opening handshake as a whole, each read and write
//!   while open, the wait for a Close answer and the wait for the peer's FIN.
//!
//! How a connection ends:
//!
//! * **The client sends a Close**: the server answers with a Close carrying the same
//!   code, or an empty one for an empty Close (§5.5.1: "the endpoint MUST send a Close
//!   frame in response. (When sending a Close frame in response, the endpoint
//!   typically echos the status code it received.)"); whatever follows the client's
//!   Close is not answered.
//! * **A protocol error**: the server sends a Close with the code the codec maps the
//!   error to and the error's one-line description as the reason (§7.1.7: "the
//!   endpoint ... SHOULD send a Close frame with an appropriate status code").
//! * **Idle timeout or server shutdown**: the server sends a Close 1001 and waits at
//!   most `close_timeout` for the client's Close (§7.1.2), ignoring data meanwhile.
//! * Then, in every case, **the server closes TCP first** (§7.1.1: "the underlying
//!   TCP connection, in most normal cases, SHOULD be closed first by the server"): it
//!   half-closes (FIN), discards what still arrives until the client's FIN or
//!   `close_timeout`, and drops the socket, so the client reads the Close and then
//!   EOF rather than a reset. After an error it does not wait for the client's Close
//!   before its FIN: the stream may be cut mid-frame, so the Close could not be found
//!   in it, and a client that answers a Close waits for the server to drop TCP
//!   (Autobahn: 1 s, then it drops itself and scores the close as failed).

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use super::{Opened, Running, Server, accept_until, open};
use crate::http2;
use crate::http2::server::ServeLimits;
use crate::http2::stream::H2Stream;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::{Instant, timeout, timeout_at};
use wirecheck_codec::ws::deflate::{Agreed, ServerPolicy, negotiate};
use wirecheck_codec::ws::handshake::{
    AcceptResponse, HandshakeLimits, Header, Parsed, Request, RequestParser, error_response,
    format_extensions,
};
use wirecheck_codec::ws::message::{Config, Event};
use wirecheck_codec::ws::{CloseCode, Connection, Limits, Role};

/// The port `wirecheck serve ws` listens on by default: the one Autobahn's
/// fuzzingclient is configured for (`ws://127.0.0.1:9001`).
pub const DEFAULT_PORT: u16 = 9001;

/// The size of a connection's read buffer.
const READ_BUF: usize = 64 * 1024;

/// A write buffer grown beyond this (by a large echo) gives its memory back.
const KEEP_WRITE_CAPACITY: usize = 1 << 20;

/// How the echo server behaves. [`Default`] gives the values documented per field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsServerConfig {
    /// The address to listen on. Default `127.0.0.1`: other interfaces only when
    /// asked for explicitly.
    pub host: IpAddr,
    /// The port to listen on; 0 picks a free one (read it back with
    /// [`WsServer::local_addr`]). Default [`DEFAULT_PORT`] (9001).
    pub port: u16,
    /// Frame and message size limits; larger ones fail the connection with 1009.
    /// Both limits are inclusive. Default 16 MiB each: Autobahn 9.1.6 and 9.2.6 send
    /// a 16 MiB single frame, 9.3.x and 9.4.x a 4 MiB fragmented message.
    pub limits: Limits,
    /// Bounds on the opening handshake's request head. Default
    /// [`HandshakeLimits::default`] (16 KiB, 64 header fields).
    pub handshake_limits: HandshakeLimits,
    /// How long a client has, from the TCP accept, to send a complete handshake
    /// request (and the server to send its answer). Default 5 s, Autobahn's
    /// `openHandshakeTimeout`.
    pub handshake_timeout: Duration,
    /// How long an open connection may stay silent (and a write may stay blocked)
    /// before the server closes it with 1001. Default 60 s.
    pub idle_timeout: Duration,
    /// How long the server waits for the answer to a Close it started, and then for
    /// the client's FIN after the server's own. Default 1 s, Autobahn's
    /// `closeHandshakeTimeout`.
    pub close_timeout: Duration,
    /// The most connections served at once; connections beyond it are closed on
    /// accept, before any byte is read. Default 256.
    pub max_connections: usize,
    /// permessage-deflate (RFC 7692): the policy under which an offer is
    /// accepted, or `None` to decline every offer. Default: accept the first
    /// valid offer as it asks, requiring nothing more.
    pub deflate: Option<ServerPolicy>,
    /// TLS (`wirecheck serve ws --tls CERT KEY`): `wss://`, with ALPN `h2` or
    /// `http/1.1`. Default `None`: cleartext.
    pub tls: Option<crate::tls::ServerTls>,
    /// The zlib level the server compresses its echoes at (0-9). Default 1,
    /// the fastest (as gorilla/websocket's default): an echo server spends
    /// its time compressing, and a client inflates any level alike.
    pub deflate_level: u8,
}

impl Default for WsServerConfig {
    fn default() -> Self {
        WsServerConfig {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: DEFAULT_PORT,
            limits: Limits {
                max_frame_size: 16 << 20,
                max_message_size: 16 << 20,
            },
            handshake_limits: HandshakeLimits::default(),
            handshake_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(60),
            close_timeout: Duration::from_secs(1),
            max_connections: 256,
            deflate: Some(ServerPolicy::default()),
            tls: None,
            deflate_level: 1,
        }
    }
}

impl WsServerConfig {
    /// The defaults on `127.0.0.1` with an ephemeral port: what a runner that starts
    /// the server in-process wants.
    pub fn ephemeral() -> Self {
        WsServerConfig {
            port: 0,
            ..WsServerConfig::default()
        }
    }
}

/// A bound, not yet serving, echo server.
#[derive(Debug)]
pub struct WsServer {
    /// The listening socket.
    listener: TcpListener,
    /// The configuration, shared with every connection task.
    config: Arc<WsServerConfig>,
}

/// Bind the listening socket. Connections queue in the backlog until
/// [`Server::serve`] (or [`Server::spawn`]) runs.
pub async fn bind(config: WsServerConfig) -> io::Result<WsServer> {
    let listener = TcpListener::bind((config.host, config.port)).await?;
    Ok(WsServer {
        listener,
        config: Arc::new(config),
    })
}

impl Server for WsServer {
    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// `ws://ADDR/`, or `wss://ADDR/` with TLS.
    fn url_at(&self, addr: SocketAddr) -> String {
        let scheme = if self.config.tls.is_some() {
            "wss"
        } else {
            "ws"
        };
        format!("{scheme}://{addr}/")
    }

    /// Serve connections until `shutdown` completes. Then stop accepting, close every
    /// open connection with 1001 (waiting at most about twice `close_timeout` for the
    /// close handshakes), and return.
    fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> impl Future<Output = ()> + Send + 'static {
        let WsServer { listener, config } = self;
        // A connection ends within a write plus two close timeouts of the signal;
        // whatever is still running after that is aborted.
        let grace = config.close_timeout * 2 + Duration::from_secs(1);
        let max_connections = config.max_connections;
        // HTTP/2 streams are WebSockets too: as many at once as connections.
        let streams = Arc::new(Semaphore::new(max_connections));
        accept_until(
            listener,
            max_connections,
            grace,
            shutdown,
            move |stream, stop| {
                let config = Arc::clone(&config);
                let streams = Arc::clone(&streams);
                async move { connection(stream, &config, streams, stop).await }
            },
        )
    }
}

/// An echo server serving in a background task (see [`Server::spawn`]).
pub type RunningWsServer = Running;

/// One connection, from the TCP accept to the close: HTTP/1.1 with the
/// Upgrade of RFC 6455 §4, or HTTP/2 with prior knowledge (RFC 9113 §3.3),
/// told apart by the first bytes; over HTTP/2 each WebSocket is a stream
/// opened by RFC 8441's extended CONNECT ([`h2_stream`]).
async fn connection(
    tcp: TcpStream,
    config: &Arc<WsServerConfig>,
    streams: Arc<Semaphore>,
    stop: watch::Receiver<()>,
) {
    let mut buf = vec![0u8; READ_BUF];
    let deadline = Instant::now() + config.handshake_timeout;
    let (mut stream, first) = match open(tcp, config.tls.as_ref(), &mut buf, deadline).await {
        Some(Opened::Http1(stream, first)) => (stream, first),
        Some(Opened::Http2(io)) => {
            drop(buf);
            let limits = ServeLimits {
                handshake: config.handshake_timeout,
                idle: config.idle_timeout,
                grace: config.close_timeout * 2,
                streams,
            };
            let handler = |req, respond| h2_stream(req, respond, Arc::clone(config), stop.clone());
            http2::server::serve(io, stop.clone(), limits, handler).await;
            return;
        }
        None => return,
    };
    match handshake(&mut stream, config, &mut buf, first, deadline, stop.clone()).await {
        Handshake::Upgraded(rest, deflate) => {
            if echo(&mut stream, config, &mut buf, rest, deflate, stop).await {
                linger_close(&mut stream, &mut buf, config.close_timeout).await;
            }
        }
        Handshake::Refused(response) => {
            // RFC 6455 §4.2.1: a request that is not a valid handshake gets an HTTP
            // error response, then the connection is closed.
            if timeout(config.close_timeout, stream.write_all(&response))
                .await
                .is_ok_and(|r| r.is_ok())
            {
                linger_close(&mut stream, &mut buf, config.close_timeout).await;
            }
        }
        Handshake::Gone => {}
    }
}

/// One WebSocket over an HTTP/2 stream (RFC 8441): the extended CONNECT is
/// checked as §4-5 ask, answered 200 (with permessage-deflate as negotiated),
/// and the stream is then echoed on exactly as a TCP connection is, END_STREAM
/// standing for the FIN (§5).
async fn h2_stream(
    req: http::Request<h2::RecvStream>,
    mut respond: h2::server::SendResponse<bytes::Bytes>,
    config: Arc<WsServerConfig>,
    stop: watch::Receiver<()>,
) {
    let refuse = |respond: &mut h2::server::SendResponse<bytes::Bytes>,
                  status: u16,
                  extra: &[(&str, &str)]| {
        let mut answer = http::Response::builder().status(status);
        for (k, v) in extra {
            answer = answer.header(*k, *v);
        }
        if let Ok(answer) = answer.body(()) {
            let _ = respond.send_response(answer, true);
        }
    };
    let protocol = req
        .extensions()
        .get::<h2::ext::Protocol>()
        .map(|p| p.as_str().to_owned());
    // RFC 8441 §4-5, checked by the codec with RFC 6455's rules where RFC 8441
    // keeps them (the h2 crate has checked HTTP/2's own).
    let request = Request {
        method: req.method().as_str().to_owned(),
        target: req.uri().path().to_owned(),
        // An HTTP/1.x minor version, which HTTP/2 has none of:
        // `validate_extended_connect` never reads it.
        version: 1,
        headers: req
            .headers()
            .iter()
            .map(|(name, value)| Header {
                name: name.as_str().to_owned(),
                value: value.as_bytes().to_vec(),
            })
            .collect(),
    };
    let connect = match request.validate_extended_connect(protocol.as_deref(), |_| true) {
        Ok(connect) => connect,
        Err(e) => {
            // RFC 6455 §4.4: a version problem names the version understood.
            let versions: &[(&str, &str)] = if e.names_versions() {
                &[("sec-websocket-version", "13")]
            } else {
                &[]
            };
            return refuse(&mut respond, e.status_over_h2().unwrap_or(400), versions);
        }
    };
    let deflate = config
        .deflate
        .and_then(|policy| negotiate(&connect.extensions, &policy));
    let mut answer = http::Response::builder().status(200);
    if let Some((ext, _)) = &deflate {
        let Ok(value) = format_extensions(std::slice::from_ref(ext)) else {
            return refuse(&mut respond, 500, &[]);
        };
        answer = answer.header("sec-websocket-extensions", value);
    }
    let Ok(answer) = answer.body(()) else {
        return refuse(&mut respond, 500, &[]);
    };
    let Ok(send) = respond.send_response(answer, false) else {
        return;
    };
    let mut io = H2Stream::new(send, req.into_body());
    let mut buf = vec![0u8; READ_BUF];
    let deflate = deflate.map(|(_, agreed)| agreed);
    if echo(&mut io, &config, &mut buf, 0..0, deflate, stop).await {
        linger_close(&mut io, &mut buf, config.close_timeout).await;
    } else {
        // The client ended or reset its side without a close handshake: end
        // ours too, in order (a reset would say the server failed).
        let _ = io.shutdown().await;
    }
}

/// How the opening handshake ended.
enum Handshake {
    /// The 101 was sent; these bytes of the read buffer came after the request head
    /// and are the first WebSocket bytes.
    Upgraded(Range<usize>, Option<Agreed>),
    /// The request was refused; send this response and close.
    Refused(Vec<u8>),
    /// Timed out, the client left, or the server is stopping: just close.
    Gone,
}

/// Read and answer the opening handshake (RFC 6455 §4.2) by `deadline`; the
/// first `first` bytes of `buf` are the request's already.
async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    config: &WsServerConfig,
    buf: &mut [u8],
    first: usize,
    deadline: Instant,
    mut stop: watch::Receiver<()>,
) -> Handshake {
    let mut parser = RequestParser::new(config.handshake_limits);
    let mut first = Some(first);
    loop {
        if let Some(n) = first.take() {
            match parser.feed(&buf[..n]) {
                Ok(None) => continue,
                Ok(Some(parsed)) => {
                    return answer_request(stream, config, parsed, n, deadline).await;
                }
                Err(e) => return Handshake::Refused(error_response(&e)),
            }
        }
        let read = tokio::select! {
            read = timeout_at(deadline, stream.read(buf)) => read,
            _ = stop.changed() => return Handshake::Gone,
        };
        let n = match read {
            Ok(Ok(n)) if n > 0 => n,
            _ => return Handshake::Gone,
        };
        match parser.feed(&buf[..n]) {
            Ok(None) => {}
            Ok(Some(parsed)) => return answer_request(stream, config, parsed, n, deadline).await,
            Err(e) => return Handshake::Refused(error_response(&e)),
        }
    }
}

/// Answer a complete request head that ended `parsed.consumed` bytes into the
/// `n` bytes of its last read.
async fn answer_request<S: AsyncWrite + Unpin>(
    stream: &mut S,
    config: &WsServerConfig,
    parsed: Parsed<Request>,
    n: usize,
    deadline: Instant,
) -> Handshake {
    // Any Origin is welcome; no subprotocol is chosen. permessage-deflate is
    // accepted as the first valid offer asks, under the configured policy
    // (RFC 7692 §5.1; an invalid offer is declined, §7), or declined by
    // leaving it out when the policy is off (RFC 6455 §9.1).
    let response = parsed.value.validate().and_then(|request| {
        let deflate = config
            .deflate
            .and_then(|policy| negotiate(&request.extensions, &policy));
        let mut accept = AcceptResponse::new(&request);
        if let Some((answer, _)) = &deflate {
            accept = accept.extension(answer.clone());
        }
        accept
            .encode()
            .map(|bytes| (bytes, deflate.map(|(_, agreed)| agreed)))
    });
    match response {
        Ok((response, deflate)) => match timeout_at(deadline, stream.write_all(&response)).await {
            Ok(Ok(())) => Handshake::Upgraded(parsed.consumed..n, deflate),
            _ => Handshake::Gone,
        },
        Err(e) => Handshake::Refused(error_response(&e)),
    }
}

/// Run an open connection: echo until the close handshake ends or the connection
/// fails. `first` is the part of `buf` that already holds WebSocket bytes. Returns
/// whether the connection should now be closed gracefully ([`linger_close`]);
/// `false` when the socket is already unusable.
async fn echo<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    config: &WsServerConfig,
    buf: &mut [u8],
    first: Range<usize>,
    deflate: Option<Agreed>,
    mut stop: watch::Receiver<()>,
) -> bool {
    let mut conn = Connection::server(Config {
        limits: config.limits,
        ..Config::new(Role::Server)
    });
    if let Some(agreed) = deflate {
        // RFC 7692: compressed echoes, inflation bounded by the message limit;
        // §6: echoes that do not compress go uncompressed, as a careful server
        // sends them (the level's fixed codes grow high-entropy bytes).
        conn.use_deflate_at(agreed, config.deflate_level);
        conn.skip_incompressible();
    }
    let mut out = Vec::with_capacity(READ_BUF);
    // What followed the opening handshake in its read: WebSocket bytes already.
    let first = &buf[first];
    conn.spare(first.len())[..first.len()].copy_from_slice(first);
    conn.commit(first.len());
    // Set once the server has started the close handshake itself.
    let mut close_deadline: Option<Instant> = None;
    loop {
        let finished = respond_next(&mut conn);
        out.append(&mut conn.take_outbound());
        if !out.is_empty() && !flush(stream, &mut out, config.idle_timeout).await {
            return false;
        }
        if finished {
            return true;
        }
        let deadline = close_deadline.unwrap_or_else(|| Instant::now() + config.idle_timeout);
        // The socket is read straight into the connection's receive buffer,
        // where frames are unmasked, checked and echoed in place (no second copy).
        let reason = tokio::select! {
            read = timeout_at(deadline, stream.read(conn.spare(READ_BUF))) => match read {
                Ok(Ok(n)) if n > 0 => {
                    conn.commit(n);
                    continue;
                }
                // EOF or a reset without a Close: there is nobody left to answer.
                Ok(_) => return false,
                // Our Close went unanswered (§7.1.1 still has the server close TCP).
                Err(_) if close_deadline.is_some() => return true,
                Err(_) => "idle timeout",
            },
            _ = stop.changed(), if close_deadline.is_none() => "server shutting down",
        };
        // §7.1.2: start the closing handshake, then wait (bounded) for the answer.
        let _ = conn.sender().close(Some(CloseCode::GOING_AWAY), reason);
        close_deadline = Some(Instant::now() + config.close_timeout);
    }
}

/// Take every event from the bytes committed to the connection's receive
/// buffer ([`Connection::receive_next`]), echoing every message. The
/// connection answers Pings and the peer's Close, and fails on a protocol error
/// with the rule's close code (§7.1.7). Returns `true` when the connection is
/// finished: the close handshake is complete, or the connection failed (its
/// Close is queued): the server then closes TCP (§7.1.1).
pub fn respond_next(conn: &mut Connection) -> bool {
    loop {
        match conn.receive_next() {
            Ok(Some((Event::Message { kind, data, .. }, tx))) => {
                // §5.5.1: no data frame after our own Close: such an echo is dropped.
                let _ = tx.send_message(kind, data);
            }
            Ok(Some((Event::Close(_), _))) => return true,
            Ok(Some(_)) => {}
            Ok(None) => return conn.should_close_tcp(),
            Err(_) => return true,
        }
    }
}

/// Write `out` with one `write_all`, bounded by `limit`, and empty it (giving back
/// memory a large echo took). Returns whether the write succeeded.
async fn flush<S: AsyncWrite + Unpin>(stream: &mut S, out: &mut Vec<u8>, limit: Duration) -> bool {
    let written = timeout(limit, stream.write_all(out)).await;
    out.clear();
    if out.capacity() > KEEP_WRITE_CAPACITY {
        out.shrink_to(READ_BUF);
    }
    matches!(written, Ok(Ok(())))
}

/// Close the TCP connection from the server's side first (RFC 6455 §7.1.1): send
/// FIN, then read and discard whatever still comes (the client's Close answer, the
/// rest of a frame that failed) until the client's FIN or `limit`, and only then
/// drop the socket. Dropping it with unread data would send a reset, which can make
/// the client lose the Close frame it has not read yet.
async fn linger_close<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    scratch: &mut [u8],
    limit: Duration,
) {
    let _ = stream.shutdown().await;
    let deadline = Instant::now() + limit;
    while let Ok(Ok(n)) = timeout_at(deadline, stream.read(scratch)).await {
        if n == 0 {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wirecheck_codec::ws::encode;
    use wirecheck_codec::ws::message::MessageDecoder;
    use wirecheck_codec::ws::{CloseState, MessageKind, OpCode};

    const KEY: Option<[u8; 4]> = Some([1, 2, 3, 4]);

    /// Run `respond` over `input` on a connection in `state` (Open, or CloseSent
    /// after the server's own Close); return the bytes it wrote, whether it
    /// finished and the state it left.
    fn run(input: &[u8], state: CloseState) -> (Vec<u8>, bool, CloseState) {
        let mut conn = Connection::server(Config::new(Role::Server));
        if state == CloseState::CloseSent {
            conn.sender()
                .close(Some(CloseCode::GOING_AWAY), "")
                .unwrap();
            conn.take_outbound();
        }
        conn.spare(input.len())[..input.len()].copy_from_slice(input);
        conn.commit(input.len());
        let done = respond_next(&mut conn);
        (conn.take_outbound(), done, conn.close_state())
    }

    fn masked(fin: bool, op: OpCode, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encode::frame(&mut out, fin, 0, op, KEY, payload);
        out
    }

    fn unmasked(op: OpCode, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encode::frame(&mut out, true, 0, op, None, payload);
        out
    }

    #[test]
    fn echoes_messages_and_answers_pings_in_order() {
        let input = [
            masked(false, OpCode::Text, b"ab"),
            masked(true, OpCode::Ping, b"p"),
            masked(true, OpCode::Continuation, b"c"),
            masked(true, OpCode::Pong, b"ignored"),
            masked(true, OpCode::Binary, &[0, 255]),
        ]
        .concat();
        let (out, done, state) = run(&input, CloseState::Open);
        let want = [
            unmasked(OpCode::Pong, b"p"),
            unmasked(OpCode::Text, b"abc"),
            unmasked(OpCode::Binary, &[0, 255]),
        ]
        .concat();
        assert_eq!(out, want);
        assert!(!done);
        assert_eq!(state, CloseState::Open);
    }

    #[test]
    fn rfc6455_5_5_1_close_is_answered_with_its_code_and_nothing_after_it() {
        let mut close = Vec::new();
        encode::close(&mut close, KEY, Some(CloseCode(4000)), "bye").unwrap();
        let input = [close, masked(true, OpCode::Ping, b"late")].concat();
        let (out, done, state) = run(&input, CloseState::Open);
        assert_eq!(out, unmasked(OpCode::Close, &4000u16.to_be_bytes()));
        assert!(done);
        assert!(state.is_closed());
    }

    #[test]
    fn rfc6455_5_5_1_empty_close_gets_an_empty_close() {
        let (out, done, _) = run(&masked(true, OpCode::Close, b""), CloseState::Open);
        assert_eq!(out, unmasked(OpCode::Close, b""));
        assert!(done);
    }

    #[test]
    fn rfc6455_7_1_7_protocol_error_sends_its_close_code_with_a_reason() {
        let mut bad = masked(true, OpCode::Text, b"x");
        bad[0] |= 0x40; // RSV1
        let (out, done, state) = run(&bad, CloseState::Open);
        assert!(done);
        assert_eq!(state, CloseState::CloseSent);
        assert_eq!(out[0], 0x88);
        assert_eq!(&out[2..4], &1002u16.to_be_bytes());
        let reason = std::str::from_utf8(&out[4..]).unwrap();
        assert!(reason.contains("RSV"), "{reason}");
    }

    #[test]
    fn after_our_close_only_the_answer_counts() {
        let input = [
            masked(true, OpCode::Text, b"data"),
            masked(true, OpCode::Ping, b"p"),
        ]
        .concat();
        let (out, done, _) = run(&input, CloseState::CloseSent);
        assert!(out.is_empty(), "no data or pong after our Close");
        assert!(!done);
        let (out, done, state) = run(&masked(true, OpCode::Close, b""), CloseState::CloseSent);
        assert!(out.is_empty(), "our Close was the answer already");
        assert!(done);
        assert!(state.is_closed());
    }

    #[test]
    fn an_error_after_our_close_sends_no_second_close() {
        let (out, done, _) = run(
            &masked(true, OpCode::Continuation, b"x"),
            CloseState::CloseSent,
        );
        assert!(out.is_empty());
        assert!(done);
    }

    #[test]
    fn error_reasons_fit_a_close_frame_and_stay_utf8() {
        // A text frame whose byte 200 is invalid UTF-8: the reason names the
        // offset, and any reason is cut to fit the frame.
        let mut payload = vec![b'a'; 300];
        payload[200] = 0xff;
        let (out, done, _) = run(&masked(true, OpCode::Text, &payload), CloseState::Open);
        assert!(done);
        assert_eq!(out[0], 0x88);
        let len = usize::from(out[1] & 0x7f);
        assert!(len <= 125);
        assert_eq!(&out[2..4], &1007u16.to_be_bytes());
        assert!(std::str::from_utf8(&out[4..2 + len]).is_ok());
    }

    #[test]
    fn default_limits_take_autobahn_9_1_6_and_nothing_larger() {
        let limits = WsServerConfig::default().limits;
        let mut decoder = MessageDecoder::new(Config {
            limits,
            ..Config::new(Role::Server)
        });
        // Headers only: the limits are checked on the announced lengths.
        for (len, ok) in [(16u64 << 20, true), ((16 << 20) + 1, false)] {
            let mut header = [0u8; 14];
            let h = wirecheck_codec::ws::FrameHeader {
                fin: true,
                rsv: 0,
                opcode: OpCode::Binary,
                mask: KEY,
                payload_len: len,
            };
            let n = h.encode(&mut header);
            let mut decoder = decoder.clone();
            let result = decoder.decode(&mut &mut header[..n]);
            assert_eq!(result.is_ok(), ok, "{len}");
        }
        let mut empty = masked(true, OpCode::Text, b"");
        assert_eq!(
            decoder.decode(&mut &mut empty[..]),
            Ok(Some(Event::Message {
                kind: MessageKind::Text,
                rsv: 0,
                data: &[]
            }))
        );
    }
}
