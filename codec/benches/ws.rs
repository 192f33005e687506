//! WebSocket throughput of the codec next to tungstenite's, on the same inputs in the
//! same run (DESIGN §7): `cargo bench -p wirecheck-codec --bench ws`.
//!
//! * `ws-decode-<kind>-<size>-<feed>`: a server receiving masked single-frame
//!   messages: parse, unmask, validate UTF-8 (text), deliver. `kind` is `ascii`,
//!   `utf8` (2-, 3- and 4-byte characters mixed with ASCII) or `binary`; `feed` is
//!   `whole` (every byte available at once) or `1460` (one TCP segment per read).
//! * `ws-read-<kind>-<size>-<read>`: the same on a server's real read loop: each
//!   read copies `read` bytes (1460 B, 64 KiB or 1 MiB) off the "socket" into a
//!   buffer, then the decoder runs. Ours reads straight into the receive buffer
//!   of `ws::Receiver` and decodes in place; tungstenite reads into its
//!   `ReadBuffer`; fastwebsockets (Deno's, with `FragmentCollector`, so text is
//!   validated) into its own buffer. Functions `ours`, `tungstenite`,
//!   `fastwebsockets`, and for text `ours-inplace`: ours by default feeds a text
//!   frame to the decoder piece by piece as it arrives, to fail on invalid UTF-8
//!   at once (RFC 6455 §8.1, what Autobahn's 6.4.x check), still keeping it in
//!   place; `ours-inplace` waits for the whole frame like binary and validates
//!   it then, failing at its end, as both peers do.
//! * `ws-encode-<size>`: a client sending binary messages: header, copy, mask,
//!   with fastwebsockets' client write path as a second peer (functions `ours`,
//!   `tungstenite`, `fastwebsockets`).
//!
//! The other groups have two functions, `ours` and `tungstenite`; throughput is payload bytes.
//! Both sides pay for getting the bytes off the "socket": ours copies the stream into
//! its buffer (one `memcpy`), tungstenite reads it from an in-memory stream
//! (tungstenite's `ReadBuffer` over a `Read` impl) that copies with `memcpy` too.
//! `scripts/bench.sh` turns the results into the ratio table of the README.

use std::hint::black_box;
use std::io::{self, Read, Write};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tungstenite::protocol::{Role as TRole, WebSocketConfig, WebSocketContext};
use tungstenite::{Bytes, Error, Message};
use wirecheck_codec::ws::frame::OpCode;
use wirecheck_codec::ws::{Config, Event, MessageDecoder, Receiver, Role, encode};

/// Message sizes: the smallest, the largest control-sized, a typical, a large and a huge one.
const SIZES: [(&str, usize); 5] = [
    ("16B", 16),
    ("125B", 125),
    ("1KiB", 1 << 10),
    ("64KiB", 64 << 10),
    ("1MiB", 1 << 20),
];

/// Payload bytes per iteration for small messages (larger ones send one message).
const BATCH: usize = 256 << 10;

/// A TCP segment on Ethernet (MSS for a 1500-byte MTU).
const SEGMENT: usize = 1460;

#[derive(Clone, Copy)]
enum Kind {
    Ascii,
    Utf8,
    Binary,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Ascii => "ascii",
            Kind::Utf8 => "utf8",
            Kind::Binary => "binary",
        }
    }

    fn opcode(self) -> OpCode {
        match self {
            Kind::Binary => OpCode::Binary,
            _ => OpCode::Text,
        }
    }
}

/// A small deterministic generator (xorshift64) for masking keys and binary payloads.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn key(&mut self) -> [u8; 4] {
        (self.next() as u32).to_le_bytes()
    }
}

/// A payload of exactly `size` bytes of the given kind.
fn payload(kind: Kind, size: usize, rng: &mut Rng) -> Vec<u8> {
    match kind {
        Kind::Ascii => {
            let text =
                b"{\"op\":\"update\",\"seq\":12345,\"price\":101.25,\"tags\":[\"a\",\"b\"]} ";
            text.iter().copied().cycle().take(size).collect()
        }
        Kind::Utf8 => {
            // Greek, CJK, an emoji and a musical symbol between ASCII: every sequence length.
            let chars = [
                'κ', 'ό', 'σ', 'μ', 'ε', ' ', '日', '本', '語', '😀', '𝄞', 'a', 'é',
            ];
            let mut s = String::with_capacity(size);
            for c in chars.iter().cycle() {
                if s.len() + c.len_utf8() > size {
                    break;
                }
                s.push(*c);
            }
            while s.len() < size {
                s.push('.');
            }
            s.into_bytes()
        }
        Kind::Binary => (0..size).map(|_| rng.next() as u8).collect(),
    }
}

/// A client's byte stream: `count` single-frame messages, each masked with its own key.
fn client_stream(kind: Kind, body: &[u8], count: usize, rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..count {
        encode::frame(&mut out, true, 0, kind.opcode(), Some(rng.key()), body);
    }
    out
}

/// An in-memory stream for tungstenite: each read returns at most `segment` bytes
/// (copied with `memcpy`), then `WouldBlock` once the input is spent.
struct Feed<'a> {
    data: &'a [u8],
    pos: usize,
    segment: usize,
}

impl Read for Feed<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let rest = &self.data[self.pos..];
        if rest.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(rest.len()).min(self.segment);
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }
}

impl Write for Feed<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A writer that only counts what it is given.
#[derive(Default)]
struct Sink(usize);

impl Read for Sink {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(io::ErrorKind::WouldBlock.into())
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Our server: copy the stream into the receive buffer, then decode it in `segment`-byte
/// reads. Returns the payload bytes delivered.
fn ours_decode(dec: &mut MessageDecoder, stream: &[u8], work: &mut [u8], segment: usize) -> usize {
    work.copy_from_slice(stream);
    let mut delivered = 0;
    for mut input in work.chunks_mut(segment) {
        while let Some(event) = dec.decode(&mut input).expect("valid stream") {
            if let Event::Message { data, .. } = event {
                delivered += black_box(data).len();
            }
        }
    }
    delivered
}

/// tungstenite's server on the same stream and reads.
fn tungstenite_decode(ctx: &mut WebSocketContext, stream: &[u8], segment: usize) -> usize {
    let mut io = Feed {
        data: stream,
        pos: 0,
        segment,
    };
    let mut delivered = 0;
    loop {
        match ctx.read(&mut io) {
            Ok(Message::Text(t)) => delivered += black_box(t).len(),
            Ok(Message::Binary(b)) => delivered += black_box(b).len(),
            Ok(_) => {}
            Err(Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => return delivered,
            Err(e) => panic!("tungstenite rejected the stream: {e}"),
        }
    }
}

fn decode(c: &mut Criterion) {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    for kind in [Kind::Ascii, Kind::Utf8, Kind::Binary] {
        for (size_name, size) in SIZES {
            let body = payload(kind, size, &mut rng);
            let count = (BATCH / size).max(1);
            let stream = client_stream(kind, &body, count, &mut rng);
            let total = count * size;
            for (feed_name, segment) in [("whole", usize::MAX), ("1460", SEGMENT)] {
                let name = format!("ws-decode-{}-{size_name}-{feed_name}", kind.name());
                let mut group = c.benchmark_group(&name);
                group.throughput(Throughput::Bytes(total as u64));

                let mut dec = MessageDecoder::new(Config::new(Role::Server));
                let mut work = vec![0u8; stream.len()];
                assert_eq!(ours_decode(&mut dec, &stream, &mut work, segment), total);
                group.bench_function(BenchmarkId::from_parameter("ours"), |b| {
                    b.iter(|| ours_decode(&mut dec, &stream, &mut work, segment))
                });

                let mut ctx =
                    WebSocketContext::new(TRole::Server, Some(WebSocketConfig::default()));
                assert_eq!(tungstenite_decode(&mut ctx, &stream, segment), total);
                group.bench_function(BenchmarkId::from_parameter("tungstenite"), |b| {
                    b.iter(|| tungstenite_decode(&mut ctx, &stream, segment))
                });
                group.finish();
            }
        }
    }
}

/// Our server's read loop: each read copies at most `read` bytes into the
/// receiver's spare room, then every event those bytes complete is taken.
fn ours_read_loop(rx: &mut Receiver, stream: &[u8], read: usize) -> usize {
    let mut delivered = 0;
    let mut at = 0;
    while at < stream.len() {
        let spare = rx.spare(read.min(stream.len() - at));
        let n = spare.len().min(read).min(stream.len() - at);
        spare[..n].copy_from_slice(&stream[at..at + n]);
        rx.commit(n);
        at += n;
        while let Some(event) = rx.next_event().expect("valid stream") {
            if let Event::Message { data, .. } = event {
                delivered += black_box(data).len();
            }
        }
    }
    delivered
}

/// The "socket" for fastwebsockets: each read copies at most `segment` bytes;
/// every write is taken whole and counted.
#[derive(Default)]
struct AsyncFeed<'a> {
    data: &'a [u8],
    pos: usize,
    segment: usize,
    written: usize,
}

impl tokio::io::AsyncRead for AsyncFeed<'_> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        let rest = &self.data[self.pos..];
        let n = buf.remaining().min(rest.len()).min(self.segment);
        buf.put_slice(&rest[..n]);
        self.pos += n;
        std::task::Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncWrite for AsyncFeed<'_> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<io::Result<usize>> {
        self.written += buf.len();
        std::task::Poll::Ready(Ok(buf.len()))
    }
    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> std::task::Poll<io::Result<usize>> {
        let n = bufs.iter().map(|b| b.len()).sum();
        self.written += n;
        std::task::Poll::Ready(Ok(n))
    }
    fn is_write_vectored(&self) -> bool {
        true
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

/// fastwebsockets' server on the same stream and reads: `count` messages.
fn fastwebsockets_read_loop(stream: &[u8], read: usize, count: usize) -> usize {
    let feed = AsyncFeed {
        data: stream,
        segment: read,
        ..AsyncFeed::default()
    };
    let mut ws = fastwebsockets::WebSocket::after_handshake(feed, fastwebsockets::Role::Server);
    ws.set_auto_close(false);
    ws.set_auto_pong(false);
    ws.set_max_message_size(64 << 20);
    let mut ws = fastwebsockets::FragmentCollector::new(ws);
    futures_executor::block_on(async {
        let mut delivered = 0;
        for _ in 0..count {
            let frame = ws
                .read_frame()
                .await
                .expect("fastwebsockets rejected the stream");
            delivered += black_box(&frame.payload[..]).len();
        }
        delivered
    })
}

fn read_loop(c: &mut Criterion) {
    let mut rng = Rng(0x6A09_E667_F3BC_C908);
    for kind in [Kind::Ascii, Kind::Utf8, Kind::Binary] {
        for (size_name, size) in [("125B", 125), ("64KiB", 64 << 10), ("1MiB", 1 << 20)] {
            let body = payload(kind, size, &mut rng);
            let count = (BATCH / size).max(1);
            let stream = client_stream(kind, &body, count, &mut rng);
            let total = count * size;
            for (read_name, read) in [("1460", SEGMENT), ("64KiB", 64 << 10), ("1MiB", 1 << 20)] {
                let name = format!("ws-read-{}-{size_name}-{read_name}", kind.name());
                let mut group = c.benchmark_group(&name);
                group.throughput(Throughput::Bytes(total as u64));

                let mut rx = Receiver::new(Config::new(Role::Server));
                assert_eq!(ours_read_loop(&mut rx, &stream, read), total);
                group.bench_function(BenchmarkId::from_parameter("ours"), |b| {
                    b.iter(|| ours_read_loop(&mut rx, &stream, read))
                });
                if !matches!(kind, Kind::Binary) {
                    // Text decoded in place, failing on invalid UTF-8 at the end of
                    // the frame at the latest (as the peers do) rather than at once.
                    let mut rx = Receiver::new(Config::new(Role::Server));
                    rx.set_fail_fast_text(false);
                    assert_eq!(ours_read_loop(&mut rx, &stream, read), total);
                    group.bench_function(BenchmarkId::from_parameter("ours-inplace"), |b| {
                        b.iter(|| ours_read_loop(&mut rx, &stream, read))
                    });
                }

                let mut ctx =
                    WebSocketContext::new(TRole::Server, Some(WebSocketConfig::default()));
                assert_eq!(tungstenite_decode(&mut ctx, &stream, read), total);
                group.bench_function(BenchmarkId::from_parameter("tungstenite"), |b| {
                    b.iter(|| tungstenite_decode(&mut ctx, &stream, read))
                });

                assert_eq!(fastwebsockets_read_loop(&stream, read, count), total);
                group.bench_function(BenchmarkId::from_parameter("fastwebsockets"), |b| {
                    b.iter(|| fastwebsockets_read_loop(&stream, read, count))
                });
                group.finish();
            }
        }
    }
}

/// RFC 6455 §5.2: 2 bytes, the extended length (2 or 8 bytes), the masking key.
fn masked_header_len(payload: usize) -> usize {
    let extended = match payload {
        0..=125 => 0,
        126..=65535 => 2,
        _ => 8,
    };
    2 + extended + 4
}

/// fastwebsockets' client sends `body` once per key; returns the bytes written.
fn fastwebsockets_write(body: &[u8], keys: &[[u8; 4]]) -> usize {
    use fastwebsockets::{Frame, OpCode as FOpCode, Payload};
    let mut ws = fastwebsockets::WebSocket::after_handshake(
        AsyncFeed::default(),
        fastwebsockets::Role::Client,
    );
    futures_executor::block_on(async {
        for key in keys {
            let frame = Frame::new(true, FOpCode::Binary, Some(*key), Payload::Borrowed(body));
            ws.write_frame(frame).await.expect("in-memory write");
        }
    });
    black_box(ws.into_inner().written)
}

fn encode(c: &mut Criterion) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for (size_name, size) in SIZES {
        let body = payload(Kind::Binary, size, &mut rng);
        let count = (BATCH / size).max(1);
        let mut group = c.benchmark_group(format!("ws-encode-{size_name}"));
        group.throughput(Throughput::Bytes((count * size) as u64));

        // The codec takes each frame's masking key from the caller (RFC 6455 §5.3).
        let keys: Vec<[u8; 4]> = (0..count).map(|_| rng.key()).collect();
        let mut out = Vec::new();
        group.bench_function(BenchmarkId::from_parameter("ours"), |b| {
            b.iter(|| {
                out.clear();
                for key in &keys {
                    encode::frame(&mut out, true, 0, OpCode::Binary, Some(*key), &body);
                }
                black_box(out.len())
            })
        });

        // fastwebsockets' client write path (`WebSocket::write_frame` with its
        // defaults): the borrowed payload is copied and masked in place, then
        // written with its header (a vectored write above 1 KiB). The key is
        // given, as ours is, rather than drawn from `rand`.
        assert_eq!(
            fastwebsockets_write(&body, &keys),
            count * (body.len() + masked_header_len(body.len()))
        );
        group.bench_function(BenchmarkId::from_parameter("fastwebsockets"), |b| {
            b.iter(|| fastwebsockets_write(&body, &keys))
        });

        // tungstenite's client draws its keys from `rand`.
        let bytes = Bytes::from(body.clone());
        let mut ctx = WebSocketContext::new(TRole::Client, Some(WebSocketConfig::default()));
        group.bench_function(BenchmarkId::from_parameter("tungstenite"), |b| {
            b.iter(|| {
                let mut sink = Sink::default();
                for _ in 0..count {
                    ctx.write(&mut sink, Message::Binary(bytes.clone()))
                        .expect("write");
                }
                ctx.flush(&mut sink).expect("flush");
                black_box(sink.0)
            })
        });
        group.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(1))
}

criterion_group! {
    name = benches;
    config = config();
    targets = decode, read_loop, encode
}
criterion_main!(benches);
