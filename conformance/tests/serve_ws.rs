//! The reference WebSocket echo server (`wirecheck::serve::ws`) against real clients:
//! tokio-tungstenite for the happy paths, and a raw socket driven by the codec's own
//! encoders and decoder for fragmentation, failures and timeouts.
//!
//! Every server binds 127.0.0.1 on an ephemeral port and every wait is bounded by
//! [`LIMIT`]: a hung server fails a test instead of hanging it. Tests drop their
//! clients before shutting the server down: a client that stays connected but
//! silent would make the shutdown wait for its close handshake.

#[path = "support/client_hello.rs"]
mod client_hello;

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as TungCloseCode;
use wirecheck::serve::Server as _;
use wirecheck::serve::ws::{self, RunningWsServer, WsServerConfig};
use wirecheck_codec::ws::handshake::{ClientRequest, Extension, ResponseParser};
use wirecheck_codec::ws::message::{Config, Event, MessageDecoder};
use wirecheck_codec::ws::{CloseCode, MessageKind, OpCode, Role, encode};

/// The longest any single wait in these tests may take.
const LIMIT: Duration = Duration::from_secs(2);

/// The masking key of every frame the raw client sends.
const KEY: Option<[u8; 4]> = Some([0x37, 0xfa, 0x21, 0x3d]);

async fn start(config: WsServerConfig) -> RunningWsServer {
    ws::bind(config).await.unwrap().spawn().unwrap()
}

async fn start_default() -> RunningWsServer {
    start(WsServerConfig::ephemeral()).await
}

async fn bounded<T>(what: &str, f: impl Future<Output = T>) -> T {
    timeout(LIMIT, f)
        .await
        .unwrap_or_else(|_| panic!("timed out: {what}"))
}

// ---------------------------------------------------------------------------------
// A raw client built on the codec
// ---------------------------------------------------------------------------------

/// What the raw client received, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Got {
    Text(Vec<u8>),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<u16>, String),
    /// The server closed the TCP connection (FIN).
    Eof,
}

/// A client on a plain socket: the handshake by hand, frames with the codec.
struct Raw {
    stream: TcpStream,
    decoder: MessageDecoder,
    buf: Vec<u8>,
    /// The received bytes not yet decoded: `buf[start..end]`.
    start: usize,
    end: usize,
}

/// A masked frame as a client sends it.
fn masked(fin: bool, op: OpCode, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode::frame(&mut out, fin, 0, op, KEY, payload);
    out
}

fn masked_close(code: Option<u16>, reason: &str) -> Vec<u8> {
    let mut out = Vec::new();
    encode::close(&mut out, KEY, code.map(CloseCode), reason).unwrap();
    out
}

fn request(addr: SocketAddr) -> ClientRequest {
    ClientRequest::new(&addr.to_string(), "/", *b"wirecheck-tests!")
}

impl Raw {
    /// Connect and complete the opening handshake with `req`, sending `extra` in the
    /// same write as the request.
    async fn open_with(addr: SocketAddr, req: ClientRequest, extra: &[u8]) -> (Raw, Vec<u8>) {
        let mut stream = bounded("connect", TcpStream::connect(addr)).await.unwrap();
        let mut bytes = req.encode().unwrap();
        bytes.extend_from_slice(extra);
        stream.write_all(&bytes).await.unwrap();
        let mut parser = ResponseParser::default();
        let mut buf = vec![0u8; 64 * 1024];
        let mut head = Vec::new();
        loop {
            let n = bounded("handshake response", stream.read(&mut buf))
                .await
                .unwrap();
            assert!(n > 0, "server closed during the handshake");
            head.extend_from_slice(&buf[..n]);
            if let Some(parsed) = parser.feed(&buf[..n]).unwrap() {
                let accepted = parsed.value.validate(&req).unwrap();
                assert_eq!(accepted.protocol, None);
                assert!(accepted.extensions.is_empty());
                let raw = Raw {
                    stream,
                    decoder: MessageDecoder::new(Config::new(Role::Client)),
                    buf,
                    start: parsed.consumed,
                    end: n,
                };
                head.truncate(head.len() - (n - parsed.consumed));
                return (raw, head);
            }
        }
    }

    async fn open(addr: SocketAddr) -> Raw {
        Raw::open_with(addr, request(addr), &[]).await.0
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// The next thing the server sent, waiting at most [`LIMIT`] for it.
    async fn next(&mut self) -> Got {
        timeout(LIMIT, self.next_unbounded())
            .await
            .expect("timed out waiting for the server")
    }

    async fn next_unbounded(&mut self) -> Got {
        loop {
            if self.start < self.end {
                let mut input = &mut self.buf[self.start..self.end];
                let before = input.len();
                let got = match self.decoder.decode(&mut input) {
                    Ok(Some(event)) => Some(owned(event)),
                    Ok(None) => None,
                    Err(e) => panic!("the server sent an invalid frame: {e}"),
                };
                self.start += before - input.len();
                if let Some(got) = got {
                    return got;
                }
            }
            let n = self
                .stream
                .read(&mut self.buf)
                .await
                .expect("the server reset the connection instead of closing it");
            if n == 0 {
                return Got::Eof;
            }
            self.start = 0;
            self.end = n;
        }
    }

    /// Assert that nothing arrives for `quiet`.
    async fn expect_silence(&mut self, quiet: Duration) {
        if let Ok(got) = timeout(quiet, self.next_unbounded()).await {
            panic!("expected nothing yet, got {got:?}");
        }
    }
}

fn owned(event: Event<'_>) -> Got {
    match event {
        Event::Message {
            kind: MessageKind::Text,
            data,
            ..
        } => Got::Text(data.to_vec()),
        Event::Message {
            kind: MessageKind::Binary,
            data,
            ..
        } => Got::Binary(data.to_vec()),
        Event::Ping(p) => Got::Ping(p.to_vec()),
        Event::Pong(p) => Got::Pong(p.to_vec()),
        Event::Close(c) => Got::Close(
            c.map(|c| c.code.0),
            c.map_or(String::new(), |c| c.reason.into()),
        ),
        Event::Frame(_) => unreachable!("frame reports are off"),
    }
}

/// Read everything until EOF (bounded): for plain HTTP answers.
async fn read_to_end(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    bounded("EOF", stream.read_to_end(&mut out)).await.unwrap();
    out
}

// ---------------------------------------------------------------------------------
// tokio-tungstenite client: echo, ping, close
// ---------------------------------------------------------------------------------

type Client =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn tungstenite_client(server: &RunningWsServer) -> Client {
    let (client, response) = bounded(
        "tungstenite handshake",
        tokio_tungstenite::connect_async(server.url()),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 101);
    client
}

async fn round_trip(client: &mut Client, message: Message) -> Message {
    bounded("send", client.send(message)).await.unwrap();
    bounded("echo", client.next())
        .await
        .expect("stream ended")
        .unwrap()
}

/// Autobahn 1.1.1-1.1.7 and 1.2.1-1.2.7: every length form, text and binary.
#[tokio::test]
async fn echoes_text_and_binary_of_every_length_form() {
    let server = start_default().await;
    let mut client = tungstenite_client(&server).await;
    for len in [0, 1, 125, 126, 127, 128, 65535, 65536] {
        let text = Message::text("*".repeat(len));
        assert_eq!(round_trip(&mut client, text.clone()).await, text, "{len}");
        let binary = Message::binary(vec![0xFE; len]);
        assert_eq!(
            round_trip(&mut client, binary.clone()).await,
            binary,
            "{len}"
        );
    }
    drop(client);
    server.shutdown().await;
}

/// Autobahn 9.1.6: a 16 MiB text message in a single frame (the inclusive limit).
#[tokio::test]
async fn echoes_a_16_mib_text_message() {
    let server = start_default().await;
    let mut client = tungstenite_client(&server).await;
    let text: String = "BAsd7&jh23".chars().cycle().take(16 << 20).collect();
    let echo = round_trip(&mut client, Message::text(text.clone())).await;
    match echo {
        Message::Text(t) => assert!(t.as_str() == text, "echo differs"),
        other => panic!("expected text, got {other:?}"),
    }
    drop(client);
    server.shutdown().await;
}

/// Autobahn 2.1-2.4: a Pong carries the Ping's payload.
#[tokio::test]
async fn answers_ping_with_pong_of_the_same_payload() {
    let server = start_default().await;
    let mut client = tungstenite_client(&server).await;
    for payload in [
        Vec::new(),
        b"Hello, world!".to_vec(),
        vec![0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff],
        vec![0xFE; 125],
    ] {
        let pong = round_trip(&mut client, Message::Ping(payload.clone().into())).await;
        assert_eq!(pong, Message::Pong(payload.into()));
    }
    drop(client);
    server.shutdown().await;
}

/// Autobahn 7.7.x: the server answers a Close with the code it received, then
/// closes the TCP connection, which the client sees as the end of the stream.
#[tokio::test]
async fn close_code_is_echoed_and_the_server_closes_tcp() {
    let server = start_default().await;
    let mut client = tungstenite_client(&server).await;
    let frame = CloseFrame {
        code: TungCloseCode::from(4000),
        reason: "bye".into(),
    };
    bounded("close", client.close(Some(frame))).await.unwrap();
    let reply = bounded("close reply", client.next()).await;
    match reply {
        Some(Ok(Message::Close(Some(f)))) => assert_eq!(u16::from(f.code), 4000),
        other => panic!("expected the echoed close, got {other:?}"),
    }
    let end = bounded("end of stream", client.next()).await;
    assert!(end.is_none(), "expected the stream to end, got {end:?}");
    drop(client);
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------
// Raw client: close handshake details
// ---------------------------------------------------------------------------------

/// Autobahn 7.3.1, 7.3.4, 7.7.1: the Close answer, then EOF (the server's FIN).
#[tokio::test]
async fn raw_close_with_code_or_empty_gets_the_same_back_then_eof() {
    let server = start_default().await;
    for (code, reason, answer) in [
        (None, "", Got::Close(None, String::new())),
        (
            Some(1000),
            "Hello World!",
            Got::Close(Some(1000), String::new()),
        ),
        (Some(1001), "", Got::Close(Some(1001), String::new())),
    ] {
        let mut raw = Raw::open(server.local_addr()).await;
        raw.send(&masked_close(code, reason)).await;
        assert_eq!(raw.next().await, answer);
        assert_eq!(raw.next().await, Got::Eof);
    }
    server.shutdown().await;
}

/// Autobahn 7.1.2-7.1.4: nothing after the client's Close is answered.
#[tokio::test]
async fn frames_after_a_close_are_not_answered() {
    let server = start_default().await;
    for after in [
        masked_close(None, ""),
        masked(true, OpCode::Ping, b"late ping"),
        masked(true, OpCode::Text, b"late text"),
    ] {
        let mut raw = Raw::open(server.local_addr()).await;
        raw.send(&[masked_close(Some(1000), ""), after].concat())
            .await;
        assert_eq!(raw.next().await, Got::Close(Some(1000), String::new()));
        assert_eq!(raw.next().await, Got::Eof);
    }
    server.shutdown().await;
}

/// Autobahn 7.1.5: a Close in the middle of a fragmented message is answered.
#[tokio::test]
async fn close_inside_a_fragmented_message_is_answered() {
    let server = start_default().await;
    let mut raw = Raw::open(server.local_addr()).await;
    raw.send(
        &[
            masked(false, OpCode::Text, b"fragment1"),
            masked_close(Some(1000), ""),
            masked(true, OpCode::Continuation, b"fragment2"),
        ]
        .concat(),
    )
    .await;
    assert_eq!(raw.next().await, Got::Close(Some(1000), String::new()));
    assert_eq!(raw.next().await, Got::Eof);
    drop(raw);
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------
// Raw client: fragmentation and bytes that share a packet with the request
// ---------------------------------------------------------------------------------

/// Autobahn 5.6 and 5.8: a Ping between two fragments is answered at once, and the
/// message is echoed whole (one frame) when it ends; in one write and octet-wise.
#[tokio::test]
async fn fragmented_message_with_a_ping_in_between() {
    let server = start_default().await;
    let frames = [
        masked(false, OpCode::Text, b"fragment1"),
        masked(true, OpCode::Ping, b"ping payload"),
        masked(true, OpCode::Continuation, b"fragment2"),
    ]
    .concat();
    for octet_wise in [false, true] {
        let mut raw = Raw::open(server.local_addr()).await;
        if octet_wise {
            for b in &frames {
                raw.send(std::slice::from_ref(b)).await;
            }
        } else {
            raw.send(&frames).await;
        }
        assert_eq!(raw.next().await, Got::Pong(b"ping payload".to_vec()));
        assert_eq!(raw.next().await, Got::Text(b"fragment1fragment2".to_vec()));
        raw.send(&masked_close(Some(1000), "")).await;
        assert_eq!(raw.next().await, Got::Close(Some(1000), String::new()));
        assert_eq!(raw.next().await, Got::Eof);
    }
    server.shutdown().await;
}

/// Autobahn 9.4.1: 4 MiB binary in 64-byte fragments, echoed as one message.
#[tokio::test]
async fn echoes_4_mib_sent_in_64_byte_fragments() {
    let server = start_default().await;
    let mut raw = Raw::open(server.local_addr()).await;
    let payload: Vec<u8> = (0..4u32 << 20).map(|i| (i % 251) as u8).collect();
    let mut frames = Vec::new();
    let count = payload.len() / 64;
    for (i, piece) in payload.chunks(64).enumerate() {
        let op = if i == 0 {
            OpCode::Binary
        } else {
            OpCode::Continuation
        };
        encode::frame(&mut frames, i + 1 == count, 0, op, KEY, piece);
    }
    raw.send(&frames).await;
    assert!(raw.next().await == Got::Binary(payload), "echo differs");
    drop(raw);
    server.shutdown().await;
}

/// RFC 6455 §4.2.1 / §4.2.2: frames sent right behind the request, in the same
/// write, are not lost with the head.
#[tokio::test]
async fn frames_in_the_same_write_as_the_request_are_kept() {
    let server = start_default().await;
    let addr = server.local_addr();
    let (mut raw, _) = Raw::open_with(
        addr,
        request(addr),
        &masked(true, OpCode::Text, b"early bird"),
    )
    .await;
    assert_eq!(raw.next().await, Got::Text(b"early bird".to_vec()));
    drop(raw);
    server.shutdown().await;
}

/// With its deflate policy off, the server declines permessage-deflate by
/// leaving it out of the answer (RFC 6455 §9.1), and echoes uncompressed.
#[tokio::test]
async fn permessage_deflate_offer_is_declined_when_the_policy_is_off() {
    let server = start(WsServerConfig {
        deflate: None,
        ..WsServerConfig::ephemeral()
    })
    .await;
    let addr = server.local_addr();
    let offer = Extension::new("permessage-deflate")
        .param("client_no_context_takeover", None)
        .param("client_max_window_bits", None);
    let (mut raw, head) = Raw::open_with(addr, request(addr).extension(offer), &[]).await;
    let head = String::from_utf8(head).unwrap().to_ascii_lowercase();
    assert!(!head.contains("sec-websocket-extensions"), "{head}");
    raw.send(&masked(true, OpCode::Binary, b"plain")).await;
    assert_eq!(raw.next().await, Got::Binary(b"plain".to_vec()));
    drop(raw);
    server.shutdown().await;
}

/// RFC 7692: by default the server accepts the first valid offer (an invalid
/// one before it is declined, §7) and echoes compressed messages (RSV1) that a
/// client inflates back to what it sent.
#[tokio::test]
async fn rfc7692_permessage_deflate_is_negotiated_and_echoes_are_compressed() {
    use wirecheck_codec::ws::Connection;
    use wirecheck_codec::ws::deflate::{Offer, validate_response};
    let server = start_default().await;
    let addr = server.local_addr();
    let bad = Extension::new("permessage-deflate").param("server_max_window_bits", Some("99"));
    let offer = Offer {
        server_no_context_takeover: true,
        client_max_window_bits: Some(None),
        ..Offer::default()
    };
    let req = request(addr).extension(bad).extension(offer.to_extension());
    let mut stream = bounded("connect", TcpStream::connect(addr)).await.unwrap();
    stream.write_all(&req.encode().unwrap()).await.unwrap();
    let mut parser = ResponseParser::default();
    let mut buf = vec![0u8; 64 * 1024];
    let accepted = loop {
        let n = bounded("handshake", stream.read(&mut buf)).await.unwrap();
        assert!(n > 0, "closed during the handshake");
        if let Some(parsed) = parser.feed(&buf[..n]).unwrap() {
            assert_eq!(parsed.consumed, n, "nothing after the head yet");
            break parsed.value.validate(&req).unwrap();
        }
    };
    let agreed = validate_response(&[offer], &accepted.extensions)
        .expect("a valid answer")
        .expect("accepted");
    assert!(agreed.server.no_context_takeover, "as the offer asked");
    let mut conn = Connection::client(Config::new(Role::Client), Box::new(|| [7, 7, 7, 7]));
    conn.use_deflate(agreed);
    let text = "permessage-deflate ".repeat(100);
    conn.sender()
        .send_message(MessageKind::Text, text.as_bytes())
        .unwrap();
    stream.write_all(&conn.take_outbound()).await.unwrap();
    let mut echo = None;
    while echo.is_none() {
        let n = bounded("echo", stream.read(&mut buf)).await.unwrap();
        assert!(n > 0, "closed before the echo");
        // RFC 7692 §6: the echo's first frame has RSV1 set.
        assert_eq!(buf[0] & 0x40, 0x40, "compressed echo");
        let mut input = &mut buf[..n];
        if let Some((Event::Message { kind, data, .. }, _)) = conn.receive(&mut input).unwrap() {
            echo = Some((kind, data.to_vec()));
        }
    }
    assert_eq!(echo, Some((MessageKind::Text, text.into_bytes())));
    drop(stream);
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------
// Raw client: failures
// ---------------------------------------------------------------------------------

/// Autobahn 3.1: RSV1 without an extension fails the connection with 1002, and the
/// server then closes TCP.
#[tokio::test]
async fn rsv1_fails_with_1002_then_tcp_close() {
    let server = start_default().await;
    let mut raw = Raw::open(server.local_addr()).await;
    let mut frame = masked(true, OpCode::Text, b"Hello, world!");
    frame[0] |= 0x40;
    raw.send(&frame).await;
    match raw.next().await {
        Got::Close(Some(1002), reason) => assert!(reason.contains("RFC 6455"), "{reason}"),
        other => panic!("expected close 1002, got {other:?}"),
    }
    assert_eq!(raw.next().await, Got::Eof);
    drop(raw);
    server.shutdown().await;
}

/// Autobahn 2.5: a Ping over 125 bytes fails with 1002.
#[tokio::test]
async fn oversized_ping_fails_with_1002() {
    let server = start_default().await;
    let mut raw = Raw::open(server.local_addr()).await;
    raw.send(&masked(true, OpCode::Ping, &[0xFE; 126])).await;
    assert!(matches!(raw.next().await, Got::Close(Some(1002), _)));
    assert_eq!(raw.next().await, Got::Eof);
    drop(raw);
    server.shutdown().await;
}

/// Autobahn 7.9.x: an invalid close code fails with 1002.
#[tokio::test]
async fn invalid_close_code_fails_with_1002() {
    let server = start_default().await;
    let mut raw = Raw::open(server.local_addr()).await;
    raw.send(&masked(true, OpCode::Close, &1005u16.to_be_bytes()))
        .await;
    assert!(matches!(raw.next().await, Got::Close(Some(1002), _)));
    assert_eq!(raw.next().await, Got::Eof);
    drop(raw);
    server.shutdown().await;
}

/// Autobahn 6.4.3: one text frame whose payload arrives in pieces. The valid first
/// piece fails nothing; the invalid byte fails the connection with 1007 at once,
/// although the rest of the frame never arrives.
#[tokio::test]
async fn invalid_utf8_fails_before_the_frame_is_complete() {
    let server = start_default().await;
    let mut raw = Raw::open(server.local_addr()).await;
    let payload: Vec<u8> = [
        &b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"[..],
        b"\xf4\x90\x80\x80",
        b"edited",
    ]
    .concat();
    let frame = masked(true, OpCode::Text, &payload);
    let head = frame.len() - payload.len();
    raw.send(&frame[..head + 11]).await;
    raw.expect_silence(Duration::from_millis(100)).await;
    raw.send(&frame[head + 11..head + 15]).await;
    let got = timeout(Duration::from_millis(500), raw.next_unbounded())
        .await
        .expect("no close within 500 ms of the invalid bytes");
    match got {
        Got::Close(Some(1007), reason) => assert!(reason.contains("UTF-8"), "{reason}"),
        other => panic!("expected close 1007, got {other:?}"),
    }
    assert_eq!(raw.next().await, Got::Eof);
    drop(raw);
    server.shutdown().await;
}

/// RFC 6455 §4.2.1 item 5: a request without `Sec-WebSocket-Key` gets a 400 that
/// names the problem, then the connection is closed.
#[tokio::test]
async fn handshake_without_a_key_gets_400_with_a_reason() {
    let server = start_default().await;
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n",
        server.local_addr()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let response = String::from_utf8(read_to_end(&mut stream).await).unwrap();
    assert!(
        response.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{response}"
    );
    let body = response.split("\r\n\r\n").nth(1).unwrap();
    assert!(body.contains("Sec-WebSocket-Key"), "{body}");
    drop(stream);
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------
// Timeouts, limits, shutdown
// ---------------------------------------------------------------------------------

/// A client that connects and sends nothing is dropped after `handshake_timeout`.
#[tokio::test]
async fn silent_client_is_closed_after_the_handshake_timeout() {
    let server = start(WsServerConfig {
        handshake_timeout: Duration::from_millis(200),
        ..WsServerConfig::ephemeral()
    })
    .await;
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    let connected = Instant::now();
    assert!(read_to_end(&mut stream).await.is_empty());
    assert!(connected.elapsed() >= Duration::from_millis(150));
    server.shutdown().await;
}

/// A TLS ClientHello sent to the plain port is answered 400 at once: its first
/// byte cannot start a request line, so the server does not wait for the rest of
/// a head that cannot be valid. The clock is paused, so any wait for the server's
/// `handshake_timeout` would show in the virtual time taken.
#[tokio::test(start_paused = true)]
async fn tls_client_hello_on_the_plain_port_gets_400_at_once() {
    let config = WsServerConfig::ephemeral();
    let handshake_timeout = config.handshake_timeout;
    let server = start(config).await;
    let (status, elapsed) =
        client_hello::answer_to_client_hello(server.local_addr(), handshake_timeout * 2).await;
    assert_eq!(status, 400);
    assert!(
        elapsed < handshake_timeout / 50,
        "answered after {elapsed:?} of virtual time (handshake timeout {handshake_timeout:?})"
    );
    server.shutdown().await;
}

/// An open connection silent for `idle_timeout` is closed with 1001.
#[tokio::test]
async fn idle_connection_is_closed_with_1001() {
    let server = start(WsServerConfig {
        idle_timeout: Duration::from_millis(200),
        ..WsServerConfig::ephemeral()
    })
    .await;
    let mut raw = Raw::open(server.local_addr()).await;
    assert!(matches!(raw.next().await, Got::Close(Some(1001), _)));
    raw.send(&masked_close(Some(1000), "")).await;
    assert_eq!(raw.next().await, Got::Eof);
    drop(raw);
    server.shutdown().await;
}

/// Shutting the server down closes open connections with 1001.
#[tokio::test]
async fn shutdown_closes_open_connections_with_1001() {
    let server = start_default().await;
    let mut raw = Raw::open(server.local_addr()).await;
    let stopping = tokio::spawn(server.shutdown());
    assert!(matches!(raw.next().await, Got::Close(Some(1001), _)));
    raw.send(&masked_close(Some(1001), "")).await;
    assert_eq!(raw.next().await, Got::Eof);
    drop(raw);
    bounded("shutdown", stopping).await.unwrap();
}

/// Connections beyond `max_connections` are closed; the slot frees when one ends.
#[tokio::test]
async fn connections_over_the_limit_are_closed() {
    let server = start(WsServerConfig {
        max_connections: 1,
        ..WsServerConfig::ephemeral()
    })
    .await;
    let addr = server.local_addr();
    let mut first = Raw::open(addr).await;
    let mut second = TcpStream::connect(addr).await.unwrap();
    assert!(read_to_end(&mut second).await.is_empty());
    first.send(&masked_close(Some(1000), "")).await;
    assert_eq!(first.next().await, Got::Close(Some(1000), String::new()));
    assert_eq!(first.next().await, Got::Eof);
    drop(first);
    // The slot is released when the server's side of the first connection ends.
    let deadline = Instant::now() + LIMIT;
    loop {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(&request(addr).encode().unwrap())
            .await
            .unwrap();
        let mut buf = [0u8; 12];
        let n = bounded("answer", stream.read(&mut buf)).await.unwrap_or(0);
        if n > 0 {
            assert!(buf[..n].starts_with(b"HTTP/1.1 101"));
            break;
        }
        assert!(Instant::now() < deadline, "the slot was never released");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.shutdown().await;
}
