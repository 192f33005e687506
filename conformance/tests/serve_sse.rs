//! The reference SSE server (`wirecheck::serve::sse`) against a raw HTTP client: the
//! response head is read with the codec's `ResponseParser`, the body is de-chunked
//! (a minimal HTTP/1.1 chunked decoder below), gunzipped when it is gzip, and parsed
//! with the codec's SSE `Parser`, so every check is on what a client would see.
//!
//! Every server binds 127.0.0.1 on an ephemeral port with a short event interval,
//! and every wait is bounded by [`LIMIT`]: a hung server fails a test instead of
//! hanging it. Tests drop their clients before shutting the server down, so that no
//! shutdown waits for a client's FIN.

#[path = "support/client_hello.rs"]
mod client_hello;

use std::collections::VecDeque;
use std::io::{Read as _, Write as _};
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, sleep, timeout};
use wirecheck::serve::Server as _;
use wirecheck::serve::sse::{self, RunningSseServer, SseServerConfig};
use wirecheck_codec::sse::{Config, Event, Item, Parser, Retry};
use wirecheck_codec::ws::handshake::{Response, ResponseParser};

/// The longest any single wait in these tests may take.
const LIMIT: Duration = Duration::from_secs(3);

/// The event interval of most tests.
const INTERVAL: Duration = Duration::from_millis(30);

fn fast() -> SseServerConfig {
    SseServerConfig {
        interval: INTERVAL,
        request_timeout: Duration::from_millis(500),
        ..SseServerConfig::ephemeral()
    }
}

async fn start(config: SseServerConfig) -> RunningSseServer {
    sse::bind(config).await.unwrap().spawn().unwrap()
}

async fn bounded<T>(what: &str, f: impl Future<Output = T>) -> T {
    timeout(LIMIT, f)
        .await
        .unwrap_or_else(|_| panic!("timed out: {what}"))
}

/// An HTTP/1.x request head with `Host` and the given headers.
fn request(method: &str, target: &str, version: u8, headers: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = format!("{method} {target} HTTP/1.{version}\r\nHost: 127.0.0.1\r\n").into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

fn get(target: &str, headers: &[(&str, &[u8])]) -> Vec<u8> {
    request("GET", target, 1, headers)
}

// ---------------------------------------------------------------------------------
// A minimal HTTP/1.1 chunked decoder
// ---------------------------------------------------------------------------------

/// De-chunks a body (RFC 7230 §4.1) and keeps every chunk's payload apart, so tests
/// can check that one chunk carries one SSE block. No extensions or trailers are
/// expected from the server; either fails the test.
#[derive(Default)]
struct Dechunk {
    buf: Vec<u8>,
    /// The last chunk (`0\r\n\r\n`) was read.
    done: bool,
}

impl Dechunk {
    /// Feed bytes; returns the payloads of the chunks they completed.
    fn feed(&mut self, bytes: &[u8]) -> Vec<Vec<u8>> {
        assert!(!self.done || bytes.is_empty(), "bytes after the last chunk");
        self.buf.extend_from_slice(bytes);
        let mut chunks = Vec::new();
        while let Some(eol) = self.buf.windows(2).position(|w| w == b"\r\n") {
            let size_hex = std::str::from_utf8(&self.buf[..eol]).expect("chunk size is ASCII");
            let size = usize::from_str_radix(size_hex, 16)
                .unwrap_or_else(|_| panic!("bad chunk size line {size_hex:?}"));
            let need = eol + 2 + size + 2;
            if self.buf.len() < need {
                break;
            }
            assert_eq!(
                &self.buf[need - 2..need],
                b"\r\n",
                "chunk data not ended by CRLF"
            );
            let payload = self.buf[eol + 2..eol + 2 + size].to_vec();
            self.buf.drain(..need);
            if size == 0 {
                assert!(payload.is_empty());
                self.done = true;
                assert!(self.buf.is_empty(), "bytes after the last chunk");
                break;
            }
            chunks.push(payload);
        }
        chunks
    }
}

// ---------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------

/// One request and what came back.
struct Conn {
    stream: TcpStream,
    /// The response head.
    head: Response,
    /// For a chunked body.
    dechunk: Option<Dechunk>,
    /// For a gzip body: the decoder and every compressed byte received.
    gunzip: Option<flate2::write::GzDecoder<Vec<u8>>>,
    compressed: Vec<u8>,
    /// For an event stream (status 200).
    parser: Option<Parser>,
    /// Items parsed and not yet taken, with the time they were parsed.
    items: VecDeque<(Instant, Item<'static>)>,
    /// The transfer chunks' payloads (before gunzip), in order.
    chunks: Vec<Vec<u8>>,
    /// The body as a client reads it: de-chunked and decompressed.
    body: Vec<u8>,
    /// The server closed the connection.
    eof: bool,
}

impl Conn {
    async fn open(addr: SocketAddr, req: &[u8]) -> Conn {
        let mut stream = bounded("connect", TcpStream::connect(addr)).await.unwrap();
        stream.write_all(req).await.unwrap();
        let mut parser = ResponseParser::default();
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = bounded("response head", stream.read(&mut buf))
                .await
                .unwrap();
            assert!(n > 0, "the server closed before answering");
            if let Some(parsed) = parser.feed(&buf[..n]).unwrap() {
                let head = parsed.value;
                let is_stream = head.status == 200;
                let gzip = header(&head, "content-encoding").as_deref() == Some("gzip");
                let chunked = header(&head, "transfer-encoding").as_deref() == Some("chunked");
                let mut conn = Conn {
                    stream,
                    head,
                    dechunk: chunked.then(Dechunk::default),
                    gunzip: gzip.then(|| flate2::write::GzDecoder::new(Vec::new())),
                    compressed: Vec::new(),
                    parser: is_stream.then(|| Parser::new(Config::default())),
                    items: VecDeque::new(),
                    chunks: Vec::new(),
                    body: Vec::new(),
                    eof: false,
                };
                conn.absorb(&buf[parsed.consumed..n]);
                return conn;
            }
        }
    }

    fn status(&self) -> u16 {
        self.head.status
    }

    fn header(&self, name: &str) -> Option<String> {
        header(&self.head, name)
    }

    /// The last chunk was read (chunked bodies only).
    fn complete(&self) -> bool {
        self.dechunk.as_ref().is_some_and(|d| d.done)
    }

    fn absorb(&mut self, bytes: &[u8]) {
        match &mut self.dechunk {
            Some(d) => {
                for chunk in d.feed(bytes) {
                    self.decode(&chunk);
                    self.chunks.push(chunk);
                }
            }
            None => self.decode(bytes),
        }
    }

    fn decode(&mut self, bytes: &[u8]) {
        let plain = match &mut self.gunzip {
            Some(gz) => {
                self.compressed.extend_from_slice(bytes);
                gz.write_all(bytes).unwrap();
                gz.flush().unwrap();
                std::mem::take(gz.get_mut())
            }
            None => bytes.to_vec(),
        };
        self.body.extend_from_slice(&plain);
        if let Some(parser) = &mut self.parser {
            let now = Instant::now();
            let items = &mut self.items;
            parser
                .feed(&plain, |item| items.push_back((now, item.into_owned())))
                .unwrap();
        }
    }

    /// Read once more; `false` at EOF.
    async fn read_more(&mut self) -> bool {
        let mut buf = vec![0u8; 16 * 1024];
        let n = bounded("server bytes", self.stream.read(&mut buf))
            .await
            .expect("the server reset the connection");
        if n == 0 {
            self.eof = true;
            return false;
        }
        self.absorb(&buf[..n]);
        true
    }

    /// The next parsed item and when it was parsed, or `None` at EOF.
    async fn next_timed(&mut self) -> Option<(Instant, Item<'static>)> {
        loop {
            if let Some(item) = self.items.pop_front() {
                return Some(item);
            }
            if self.eof || !self.read_more().await {
                return None;
            }
        }
    }

    async fn next_item(&mut self) -> Option<Item<'static>> {
        self.next_timed().await.map(|(_, item)| item)
    }

    /// The next event (skipping other items) and when it was parsed.
    async fn next_event_timed(&mut self) -> (Instant, Event<'static>) {
        loop {
            match self.next_timed().await {
                Some((at, Item::Event(e))) => return (at, e),
                Some(_) => {}
                None => panic!("the stream ended before the next event"),
            }
        }
    }

    async fn next_event(&mut self) -> Event<'static> {
        self.next_event_timed().await.1
    }

    /// Read until the server closes; return the events not yet taken.
    async fn events_to_end(&mut self) -> Vec<Event<'static>> {
        while !self.eof {
            self.read_more().await;
        }
        self.items
            .drain(..)
            .filter_map(|(_, item)| match item {
                Item::Event(e) => Some(e),
                _ => None,
            })
            .collect()
    }

    /// End the parse: the stream must not stop inside a block.
    fn finish_parse(&mut self) {
        let end = self.parser.take().expect("a stream").finish();
        assert!(!end.truncated(), "the stream ended inside a block: {end:?}");
    }
}

fn header(head: &Response, name: &str) -> Option<String> {
    let mut values = head.header_values(name);
    let value = values
        .next()
        .map(|v| String::from_utf8(v.to_vec()).unwrap());
    assert!(values.next().is_none(), "{name} sent twice");
    value
}

fn id(e: &Event<'_>) -> u64 {
    e.last_event_id.parse().expect("a numeric id")
}

/// Checks an event as the server defines it (see `encode_event`): id `n`, type
/// `tick` except every 5th (`message`), JSON data with `n`, two lines every 4th.
fn check_event(e: &Event<'_>) -> u64 {
    let n = id(e);
    let want_type = if n % 5 == 0 { "message" } else { "tick" };
    assert_eq!(e.event_type, want_type, "event {n}");
    assert_eq!(e.data.contains('\n'), n % 4 == 0, "event {n}: {:?}", e.data);
    let json: serde_json::Value = serde_json::from_str(&e.data).unwrap();
    assert_eq!(json["n"], n, "event {n}");
    n
}

/// Read `count` events and check they are numbered `first`, `first + 1`, ...
async fn expect_sequence(c: &mut Conn, first: u64, count: u64) {
    for want in first..first + count {
        let e = c.next_event().await;
        assert_eq!(check_event(&e), want, "no gap, no duplicate");
    }
}

// ---------------------------------------------------------------------------------
// The stream
// ---------------------------------------------------------------------------------

/// WHATWG SSE §9.2.3 (200, `text/event-stream`) and sse.md §4.A checks 4, 5, 7: the
/// headers; the `retry` block first; one chunk per block.
#[tokio::test]
async fn stream_headers_retry_block_and_one_chunk_per_event() {
    let server = start(fast()).await;
    let addr = server.local_addr();
    assert_eq!(server.url(), format!("http://{addr}/events"));
    for target in ["/events", "/"] {
        let mut c = Conn::open(addr, &get(target, &[])).await;
        assert_eq!(c.status(), 200);
        assert_eq!(
            c.header("content-type").as_deref(),
            Some("text/event-stream; charset=utf-8")
        );
        assert_eq!(c.header("cache-control").as_deref(), Some("no-store"));
        assert_eq!(c.header("x-accel-buffering").as_deref(), Some("no"));
        assert_eq!(c.header("transfer-encoding").as_deref(), Some("chunked"));
        assert_eq!(c.header("server").as_deref(), Some("wirecheck-reference"));
        assert_eq!(c.header("content-length"), None);
        assert_eq!(c.header("content-encoding"), None);
        assert_eq!(c.header("access-control-allow-origin"), None);

        assert_eq!(c.next_item().await, Some(Item::Retry(Retry::Millis(2000))));
        let first = check_event(&c.next_event().await);
        assert!(first >= 1);
        expect_sequence(&mut c, first + 1, 7).await;
        assert_eq!(c.chunks[0], b"retry:2000\n\n");
        for chunk in &c.chunks {
            let blocks = chunk.windows(2).filter(|w| w == b"\n\n").count();
            assert!(
                blocks == 1 && chunk.ends_with(b"\n\n"),
                "one block per chunk: {:?}",
                String::from_utf8_lossy(chunk)
            );
        }
    }
    server.shutdown().await;
}

/// sse.md §4.C check 19: each event arrives when it happens, not in bursts.
#[tokio::test]
async fn events_arrive_at_the_cadence() {
    let interval = Duration::from_millis(50);
    let server = start(SseServerConfig { interval, ..fast() }).await;
    let mut c = Conn::open(server.local_addr(), &get("/events", &[])).await;
    let (t0, e0) = c.next_event_timed().await;
    let mut prev = (t0, check_event(&e0));
    for _ in 0..5 {
        let (t, e) = c.next_event_timed().await;
        let n = check_event(&e);
        assert_eq!(n, prev.1 + 1);
        let json: serde_json::Value = serde_json::from_str(&e.data).unwrap();
        assert_eq!(json["at_ms"], n * 50, "the shared clock");
        // Not buffered: a live event comes at least most of an interval after the
        // previous one (a burst would deliver several at once).
        assert!(
            t - prev.0 >= interval / 2,
            "event {n} came {:?} after {}",
            t - prev.0,
            prev.1
        );
        prev = (t, n);
    }
    drop(c);
    server.shutdown().await;
}

/// The events are a broadcast on one clock: two connections see identical events.
#[tokio::test]
async fn every_connection_sees_the_same_events() {
    let server = start(fast()).await;
    let mut a = Conn::open(server.local_addr(), &get("/events", &[])).await;
    let first: Vec<Event<'static>> = vec![
        a.next_event().await,
        a.next_event().await,
        a.next_event().await,
    ];
    let before = (id(&first[0]) - 1).to_string();
    let mut b = Conn::open(
        server.local_addr(),
        &get("/events", &[("Last-Event-ID", before.as_bytes())]),
    )
    .await;
    for e in &first {
        assert_eq!(&b.next_event().await, e);
    }
    drop((a, b));
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------
// Last-Event-ID
// ---------------------------------------------------------------------------------

/// WHATWG SSE §9.2.4 and sse.md §4.D check 20: a reconnect with the id of the last
/// event seen gets exactly the events after it, the missed ones at once, then live.
#[tokio::test]
async fn last_event_id_replays_exactly_the_missed_events() {
    let server = start(fast()).await;
    let mut a = Conn::open(server.local_addr(), &get("/events", &[])).await;
    let _ = a.next_event().await;
    let seen = id(&a.next_event().await);
    drop(a);
    // About 13 events happen while the client is away.
    sleep(INTERVAL * 13).await;
    let k = seen.to_string();
    let mut b = Conn::open(
        server.local_addr(),
        &get("/events", &[("Last-Event-ID", k.as_bytes())]),
    )
    .await;
    let t0 = Instant::now();
    assert_eq!(b.next_item().await, Some(Item::Retry(Retry::Millis(2000))));
    // The missed events are sent at once: 8 of them take 240 ms live.
    for want in seen + 1..=seen + 8 {
        let (t, e) = b.next_event_timed().await;
        assert_eq!(check_event(&e), want);
        assert!(
            t - t0 < INTERVAL * 4,
            "event {want} was not replayed at once"
        );
    }
    // And the stream continues live with no gap or duplicate.
    expect_sequence(&mut b, seen + 9, 12).await;
    drop(b);

    // `0` means nothing seen yet: everything from event 1.
    let mut c = Conn::open(
        server.local_addr(),
        &get("/events", &[("Last-Event-ID", b"0")]),
    )
    .await;
    expect_sequence(&mut c, 1, 5).await;
    drop(c);
    server.shutdown().await;
}

/// sse.md §4.D check 21: any other Last-Event-ID gets 200 and a live stream (never
/// a 5xx, never a replay from the start), with a comment saying why.
#[tokio::test]
async fn unknown_last_event_ids_get_a_live_stream() {
    let server = start(fast()).await;
    sleep(INTERVAL * 5).await;
    let long = "x".repeat(8000);
    let ids: [&[u8]; 8] = [
        b"abc",
        b"99999999999",
        b"-1",
        b"1.5",
        b"007",
        "caf\u{e9} \u{1f600}".as_bytes(),
        b"\xff\xfe",
        long.as_bytes(),
    ];
    // The live event number now: a stream that starts from an unknown id starts here
    // or later, never with a replay.
    let mut probe = Conn::open(server.local_addr(), &get("/events", &[])).await;
    let live = id(&probe.next_event().await);
    drop(probe);
    for value in ids {
        let mut c = Conn::open(
            server.local_addr(),
            &get("/events", &[("Last-Event-ID", value)]),
        )
        .await;
        let shown = String::from_utf8_lossy(&value[..value.len().min(20)]).into_owned();
        assert_eq!(c.status(), 200, "{shown}");
        assert_eq!(c.next_item().await, Some(Item::Retry(Retry::Millis(2000))));
        match c.next_item().await {
            Some(Item::Comment(text)) => assert!(text.contains("live from event"), "{text}"),
            other => panic!("{shown}: expected a comment, got {other:?}"),
        }
        let first = check_event(&c.next_event().await);
        assert!(
            first >= live,
            "{shown}: started at {first}, live was {live}"
        );
        expect_sequence(&mut c, first + 1, 1).await;
    }
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------
// ?end=N and 204
// ---------------------------------------------------------------------------------

/// WHATWG SSE §9.2.1 and sse.md §3.3: `?end=3` ends the body cleanly after event 3;
/// the reconnect that follows (Last-Event-ID: 3) is told to stop with 204.
#[tokio::test]
async fn end_finishes_the_stream_and_the_reconnect_gets_204() {
    let server = start(fast()).await;
    let addr = server.local_addr();
    // Last-Event-ID 0, so the stream holds events 1-3 however late the client is.
    let mut c = Conn::open(addr, &get("/events?end=3", &[("Last-Event-ID", b"0")])).await;
    assert_eq!(c.status(), 200);
    let events = c.events_to_end().await;
    assert!(c.complete(), "the last chunk ends the body");
    c.finish_parse();
    let ids: Vec<u64> = events.iter().map(check_event).collect();
    assert_eq!(ids, [1, 2, 3]);
    drop(c);

    let mut again = Conn::open(addr, &get("/events?end=3", &[("Last-Event-ID", b"3")])).await;
    assert_eq!(again.status(), 204);
    assert_eq!(again.header("content-length"), None);
    assert_eq!(again.header("connection").as_deref(), Some("close"));
    assert!(again.events_to_end().await.is_empty());
    assert!(again.body.is_empty(), "a 204 has no body");
    drop(again);

    // After event 3 happened, a request without an id below 3 is told to stop too.
    let late = Conn::open(addr, &get("/events?end=3", &[])).await;
    assert_eq!(late.status(), 204);
    drop(late);

    // An id below the end replays up to the end and stops there.
    sleep(INTERVAL * 7).await;
    let mut rest = Conn::open(addr, &get("/events?end=6", &[("Last-Event-ID", b"4")])).await;
    let ids: Vec<u64> = rest.events_to_end().await.iter().map(check_event).collect();
    assert_eq!(ids, [5, 6]);
    assert!(rest.complete());
    drop(rest);
    server.shutdown().await;
}

/// RFC 7230 §3.3.3 item 7: an HTTP/1.0 client gets a body delimited by the close.
#[tokio::test]
async fn http_1_0_gets_a_close_delimited_stream() {
    let server = start(fast()).await;
    // Once event 1 has happened, so that its id can be resumed from.
    sleep(INTERVAL * 2).await;
    let req = request("GET", "/events?end=4", 0, &[("Last-Event-ID", b"1")]);
    let mut c = Conn::open(server.local_addr(), &req).await;
    assert_eq!(c.status(), 200);
    assert_eq!(c.header("transfer-encoding"), None);
    assert_eq!(c.header("content-length"), None);
    let events = c.events_to_end().await;
    c.finish_parse();
    assert_eq!(
        events.iter().map(check_event).collect::<Vec<_>>(),
        [2, 3, 4]
    );
    assert!(c.body.starts_with(b"retry:2000\n\n"), "raw, unchunked");
    drop(c);
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------
// gzip
// ---------------------------------------------------------------------------------

/// sse.md §4.A check 7: with `Accept-Encoding: gzip` each event is decodable as it
/// arrives (a sync flush per event), and a finite stream is a complete gzip member.
#[tokio::test]
async fn gzip_stream_decodes_event_by_event() {
    let server = start(fast()).await;
    let addr = server.local_addr();
    let mut c = Conn::open(
        addr,
        &get("/events", &[("Accept-Encoding", b"gzip, deflate, br")]),
    )
    .await;
    assert_eq!(c.status(), 200);
    assert_eq!(c.header("content-encoding").as_deref(), Some("gzip"));
    assert!(c.header("vary").unwrap().contains("Accept-Encoding"));
    assert_eq!(c.next_item().await, Some(Item::Retry(Retry::Millis(2000))));
    let first = check_event(&c.next_event().await);
    assert!(!c.eof && !c.complete(), "decoded while the stream is open");
    expect_sequence(&mut c, first + 1, 4).await;
    drop(c);

    let mut fin = Conn::open(
        addr,
        &get(
            "/events?end=3",
            &[("Accept-Encoding", b"GZIP;q=0.5"), ("Last-Event-ID", b"0")],
        ),
    )
    .await;
    assert_eq!(fin.header("content-encoding").as_deref(), Some("gzip"));
    let events = fin.events_to_end().await;
    assert_eq!(
        events.iter().map(check_event).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert!(fin.complete());
    fin.finish_parse();
    let mut whole = Vec::new();
    flate2::read::GzDecoder::new(&fin.compressed[..])
        .read_to_end(&mut whole)
        .expect("a complete gzip stream with its trailer");
    assert_eq!(whole, fin.body);
    drop(fin);

    // q=0 refuses gzip: identity.
    for refused in [&b"gzip;q=0, identity"[..], b"br", b"*;q=0"] {
        let mut c = Conn::open(addr, &get("/events", &[("Accept-Encoding", refused)])).await;
        assert_eq!(c.header("content-encoding"), None);
        assert_eq!(c.next_item().await, Some(Item::Retry(Retry::Millis(2000))));
    }
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------
// CORS
// ---------------------------------------------------------------------------------

/// sse.md §3.6 and §4.A check 8: the origin echoed with credentials on the stream
/// and on the 204, and a preflight for `Last-Event-ID` allowed.
#[tokio::test]
async fn cors_on_the_stream_the_204_and_the_preflight() {
    let server = start(fast()).await;
    let addr = server.local_addr();
    let origin: &[u8] = b"https://app.example";
    let mut c = Conn::open(addr, &get("/events", &[("Origin", origin)])).await;
    assert_eq!(c.status(), 200);
    assert_eq!(
        c.header("access-control-allow-origin").as_deref(),
        Some("https://app.example")
    );
    assert_eq!(
        c.header("access-control-allow-credentials").as_deref(),
        Some("true")
    );
    assert!(c.header("vary").unwrap().contains("Origin"));
    let _ = c.next_event().await;
    drop(c);

    let stop = Conn::open(
        addr,
        &get(
            "/events?end=1",
            &[("Origin", origin), ("Last-Event-ID", b"1")],
        ),
    )
    .await;
    assert_eq!(stop.status(), 204);
    assert_eq!(
        stop.header("access-control-allow-origin").as_deref(),
        Some("https://app.example")
    );
    assert_eq!(
        stop.header("access-control-allow-credentials").as_deref(),
        Some("true")
    );
    drop(stop);

    let preflight = |headers: &'static [u8]| {
        request(
            "OPTIONS",
            "/events",
            1,
            &[
                ("Origin", b"https://app.example"),
                ("Access-Control-Request-Method", b"GET"),
                ("Access-Control-Request-Headers", headers),
            ],
        )
    };
    let mut p = Conn::open(addr, &preflight(b"last-event-id")).await;
    assert_eq!(p.status(), 204);
    for (name, want) in [
        ("access-control-allow-origin", "https://app.example"),
        ("access-control-allow-credentials", "true"),
        ("access-control-allow-methods", "GET"),
        ("access-control-allow-headers", "last-event-id"),
        ("access-control-max-age", "600"),
        ("vary", "Origin"),
        ("allow", "GET, OPTIONS"),
    ] {
        assert_eq!(p.header(name).as_deref(), Some(want), "{name}");
    }
    assert!(p.events_to_end().await.is_empty() && p.body.is_empty());
    let m = Conn::open(addr, &preflight(b"accept, last-event-id")).await;
    assert_eq!(
        m.header("access-control-allow-headers").as_deref(),
        Some("accept, last-event-id")
    );
    drop(p);
    let p = Conn::open(addr, &preflight(b"x-secret, last-event-id")).await;
    assert_eq!(
        p.header("access-control-allow-headers").as_deref(),
        Some("last-event-id"),
        "only the allowed ones"
    );
    drop((p, m));
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------
// Errors and hostile clients
// ---------------------------------------------------------------------------------

/// A non-stream answer: status, `Server`, `Connection: close`, a body as long as its
/// `Content-Length`, and the close.
async fn expect_error(addr: SocketAddr, req: &[u8], status: u16) -> Conn {
    let mut c = Conn::open(addr, req).await;
    let what = String::from_utf8_lossy(&req[..req.len().min(40)]).into_owned();
    assert_eq!(c.status(), status, "{what}");
    assert_eq!(c.header("server").as_deref(), Some("wirecheck-reference"));
    assert_eq!(c.header("connection").as_deref(), Some("close"));
    assert!(c.events_to_end().await.is_empty());
    let len: usize = c.header("content-length").unwrap().parse().unwrap();
    assert_eq!(c.body.len(), len, "{what}");
    assert!(len > 0);
    c
}

#[tokio::test]
async fn errors_404_405_400_431() {
    let server = start(fast()).await;
    let addr = server.local_addr();
    expect_error(addr, &get("/nope", &[]), 404).await;
    expect_error(addr, &get("/events/more", &[]), 404).await;
    let c = expect_error(addr, &request("POST", "/events", 1, &[]), 405).await;
    assert_eq!(c.header("allow").as_deref(), Some("GET, OPTIONS"));
    drop(c);
    expect_error(addr, &request("HEAD", "/events", 1, &[]), 405).await;
    expect_error(addr, b"hello\r\n\r\n", 400).await;
    expect_error(addr, b"GET /events HTTP/9.9\r\n\r\n", 400).await;
    expect_error(addr, b"GET /events HTTP/1.1\r\n\r\n", 400).await; // no Host
    expect_error(addr, &get("/events?end=three", &[]), 400).await;
    let many: Vec<(String, &[u8])> = (0..70).map(|i| (format!("X-H{i}"), &b"v"[..])).collect();
    let many: Vec<(&str, &[u8])> = many.iter().map(|(n, v)| (n.as_str(), *v)).collect();
    expect_error(addr, &get("/events", &many), 431).await;
    let big = vec![b'a'; 20 * 1024];
    expect_error(addr, &get("/events", &[("X-Big", &big)]), 431).await;
    server.shutdown().await;
}

/// A header that never ends: answered with 431 once 16 KiB are in, or dropped; the
/// server does not keep reading it.
#[tokio::test]
async fn a_never_ending_header_gets_431_or_is_dropped() {
    let server = start(fast()).await;
    let stream = bounded("connect", TcpStream::connect(server.local_addr()))
        .await
        .unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let writer = tokio::spawn(async move {
        let _ = wr
            .write_all(b"GET /events HTTP/1.1\r\nHost: x\r\nX-Endless: ")
            .await;
        let filler = [b'a'; 1024];
        for _ in 0..256 {
            if wr.write_all(&filler).await.is_err() {
                break;
            }
        }
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match bounded("431 or close", rd.read(&mut buf)).await {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
    assert!(
        answer.is_empty() || answer.starts_with(b"HTTP/1.1 431 "),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    writer.abort();
    server.shutdown().await;
}

/// A TLS ClientHello sent to the plain port is answered 400 at once: its first
/// byte cannot start a request line, so the server does not wait for the rest of
/// a head that cannot be valid. The clock is paused, so any wait for the server's
/// `request_timeout` would show in the virtual time taken.
#[tokio::test(start_paused = true)]
async fn tls_client_hello_on_the_plain_port_gets_400_at_once() {
    let config = SseServerConfig::ephemeral();
    let request_timeout = config.request_timeout;
    let server = start(config).await;
    let (status, elapsed) =
        client_hello::answer_to_client_hello(server.local_addr(), request_timeout * 2).await;
    assert_eq!(status, 400);
    assert!(
        elapsed < request_timeout / 50,
        "answered after {elapsed:?} of virtual time (request timeout {request_timeout:?})"
    );
    server.shutdown().await;
}

/// A client that trickles its head is dropped when `request_timeout` runs out.
#[tokio::test]
async fn a_slow_request_head_is_dropped_at_the_timeout() {
    let server = start(SseServerConfig {
        request_timeout: Duration::from_millis(300),
        ..fast()
    })
    .await;
    let stream = bounded("connect", TcpStream::connect(server.local_addr()))
        .await
        .unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let t0 = Instant::now();
    let writer = tokio::spawn(async move {
        let _ = wr.write_all(b"GET /events HTTP/1.1\r\nX-Slow: ").await;
        loop {
            sleep(Duration::from_millis(50)).await;
            if wr.write_all(b"a").await.is_err() {
                break;
            }
        }
    });
    let mut buf = [0u8; 64];
    let read = bounded("the drop", rd.read(&mut buf)).await;
    assert!(matches!(read, Ok(0) | Err(_)), "no answer, just the close");
    let took = t0.elapsed();
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_millis(1500),
        "{took:?}"
    );
    writer.abort();
    server.shutdown().await;
}

/// Connections beyond `max_connections` are closed on accept; a slot frees up when
/// a client leaves.
#[tokio::test]
async fn connections_beyond_the_limit_are_dropped() {
    let server = start(SseServerConfig {
        max_connections: 1,
        ..fast()
    })
    .await;
    let addr = server.local_addr();
    let mut a = Conn::open(addr, &get("/events", &[])).await;
    let _ = a.next_event().await;
    let mut b = bounded("connect", TcpStream::connect(addr)).await.unwrap();
    let _ = b.write_all(&get("/events", &[])).await;
    let mut buf = [0u8; 64];
    let read = bounded("the drop", b.read(&mut buf)).await;
    assert!(matches!(read, Ok(0) | Err(_)), "dropped without an answer");
    drop((a, b));
    // The server sees the client leave (its FIN, then a failed write) and frees the slot.
    let deadline = Instant::now() + LIMIT;
    loop {
        let mut c = bounded("connect", TcpStream::connect(addr)).await.unwrap();
        let _ = c.write_all(&get("/events", &[])).await;
        if let Ok(Ok(n)) = timeout(Duration::from_millis(200), c.read(&mut buf)).await {
            if n > 0 {
                assert!(buf.starts_with(b"HTTP/1.1 200 "));
                break;
            }
        }
        assert!(Instant::now() < deadline, "the slot was never freed");
        sleep(INTERVAL).await;
    }
    server.shutdown().await;
}

/// WHATWG SSE §9.2.7: a comment keeps an idle stream alive; it fires no event.
#[tokio::test]
async fn heartbeat_comments_fill_idle_time() {
    let server = start(SseServerConfig {
        interval: Duration::from_secs(10),
        heartbeat: Duration::from_millis(100),
        ..fast()
    })
    .await;
    let mut c = Conn::open(server.local_addr(), &get("/events", &[])).await;
    assert_eq!(c.next_item().await, Some(Item::Retry(Retry::Millis(2000))));
    let mut last = Instant::now();
    for _ in 0..3 {
        let (at, item) = c.next_timed().await.unwrap();
        assert_eq!(
            item,
            Item::Comment(String::new().into()),
            "a heartbeat, no event"
        );
        assert!(at - last >= Duration::from_millis(80), "{:?}", at - last);
        last = at;
    }
    drop(c);
    server.shutdown().await;
}

/// Shutdown ends every stream cleanly (the last chunk, then the close) and promptly.
#[tokio::test]
async fn shutdown_ends_open_streams_cleanly() {
    let server = start(fast()).await;
    let addr = server.local_addr();
    let mut plain = Conn::open(addr, &get("/events", &[])).await;
    let mut gzip = Conn::open(addr, &get("/events", &[("Accept-Encoding", b"gzip")])).await;
    let _ = plain.next_event().await;
    let _ = gzip.next_event().await;
    let t0 = Instant::now();
    let clients = async move {
        for c in [&mut plain, &mut gzip] {
            c.events_to_end().await;
            assert!(c.complete(), "the body ends with its last chunk");
        }
        gzip.finish_parse();
        let mut whole = Vec::new();
        flate2::read::GzDecoder::new(&gzip.compressed[..])
            .read_to_end(&mut whole)
            .expect("the gzip trailer");
        // Dropping the clients sends their FIN, which the server waits for.
        drop((plain, gzip));
    };
    bounded("shutdown", async {
        tokio::join!(server.shutdown(), clients)
    })
    .await;
    assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
}
