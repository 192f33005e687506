//! Compressed echo (RFC 7692 permessage-deflate) of the codec next to soketto's,
//! the Rust WebSocket crate with a built-in permessage-deflate extension, on
//! the same input in the same run: `cargo bench -p wirecheck-codec --bench ws_deflate`.
//!
//! `ws-deflate-echo-<data>-<size>`: a server receiving masked, compressed
//! single-frame binary messages from a client (inflate, deliver) and echoing
//! each one compressed (deflate, frame). Both compress at zlib level 1 with a
//! fresh context per message, as soketto always does (`Compression::fast()`,
//! a new compressor per message), and both inflate a client that compresses
//! without context takeover, so they read the very same bytes. `data` is
//! `text` (JSON-like, compresses about 10:1) or `noise` (random, does not
//! compress); throughput is uncompressed payload bytes received.
//!
//! soketto is async (futures); it runs over an in-memory stream that serves
//! the input and discards the output, polled with `block_on`. Ours is sans-IO:
//! the input goes into `Connection::receive`, the echoes come out of
//! `take_outbound`.

use std::hint::black_box;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use soketto::connection::{Builder, Mode};
use soketto::extension::Extension;
use soketto::extension::deflate::Deflate;
use wirecheck_codec::ws::deflate::{Agreed, Direction};
use wirecheck_codec::ws::{Config, Connection, Event, Limits, MessageKind, Role};

/// Message sizes.
const SIZES: [(&str, usize); 3] = [
    ("1KiB", 1 << 10),
    ("16KiB", 16 << 10),
    ("256KiB", 256 << 10),
];

/// Payload bytes per iteration.
const BATCH: usize = 1 << 20;

/// What the connection agreed: no context takeover either way, full windows.
fn agreed() -> Agreed {
    let d = Direction {
        no_context_takeover: true,
        max_window_bits: 15,
    };
    Agreed {
        server: d,
        client: d,
    }
}

/// Messages of `size` bytes: JSON-like text, or noise.
fn payload(noise: bool, size: usize, seed: &mut u64) -> Vec<u8> {
    let mut next = || {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    };
    if noise {
        (0..size).map(|_| next() as u8).collect()
    } else {
        let mut s = Vec::with_capacity(size + 64);
        while s.len() < size {
            let n = next();
            s.extend_from_slice(
                format!(
                    "{{\"id\":{},\"kind\":\"event\",\"value\":{}}},",
                    n % 1000,
                    n % 97
                )
                .as_bytes(),
            );
        }
        s.truncate(size);
        s
    }
}

/// The client's side of the wire: `count` masked, compressed binary messages.
fn client_stream(noise: bool, size: usize) -> Vec<u8> {
    let mut key = 0x1234_5678u32;
    let mut client = Connection::client(
        Config::new(Role::Client),
        Box::new(move || {
            key = key.rotate_left(7) ^ 0x9e37_79b9;
            key.to_be_bytes()
        }),
    );
    client.use_deflate_at(agreed(), 1);
    let mut seed = 0x2545_f491_4f6c_dd1d;
    for _ in 0..(BATCH / size).max(1) {
        let m = payload(noise, size, &mut seed);
        client
            .sender()
            .send_message(MessageKind::Binary, &m)
            .expect("the client sends");
    }
    client.take_outbound()
}

fn limits() -> Limits {
    Limits {
        max_frame_size: 16 << 20,
        max_message_size: 16 << 20,
    }
}

/// Ours: receive everything, echo each message compressed. Returns the
/// payload bytes received.
fn ours(stream: &[u8]) -> usize {
    let mut server = Connection::server(Config {
        limits: limits(),
        ..Config::new(Role::Server)
    });
    server.use_deflate_at(agreed(), 1);
    let mut input = stream.to_vec();
    let mut input = &mut input[..];
    let mut received = 0;
    while let Ok(Some((event, tx))) = server.receive(&mut input) {
        if let Event::Message { kind, data, .. } = event {
            received += data.len();
            let _ = tx.send_message(kind, data);
        }
        black_box(server.take_outbound());
    }
    received
}

/// An in-memory socket for soketto: reads serve `input`, writes are dropped.
struct Memory {
    input: Vec<u8>,
    at: usize,
}

impl futures_util::io::AsyncRead for Memory {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let n = buf.len().min(self.input.len() - self.at);
        let at = self.at;
        buf[..n].copy_from_slice(&self.input[at..at + n]);
        self.at += n;
        Poll::Ready(Ok(n))
    }
}

impl futures_util::io::AsyncWrite for Memory {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        black_box(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// soketto: the same, through its connection and deflate extension.
fn soketto(stream: &[u8], count: usize) -> usize {
    futures_executor::block_on(async {
        let mut builder = Builder::new(
            Memory {
                input: stream.to_vec(),
                at: 0,
            },
            Mode::Server,
        );
        let mut deflate = Deflate::new(Mode::Server);
        // The client's offer, as the server's handshake would configure it.
        deflate.configure(&[]).expect("configured");
        builder.add_extensions(std::iter::once(
            Box::new(deflate) as Box<dyn Extension + Send>
        ));
        builder.set_max_message_size(16 << 20);
        builder.set_max_frame_size(16 << 20);
        let (mut tx, mut rx) = builder.finish();
        let mut received = 0;
        let mut message = Vec::new();
        for _ in 0..count {
            message.clear();
            rx.receive_data(&mut message).await.expect("a message");
            received += message.len();
            tx.send_binary(&message).await.expect("sent");
            tx.flush().await.expect("flushed");
        }
        received
    })
}

fn echo(c: &mut Criterion) {
    for (data, noise) in [("text", false), ("noise", true)] {
        for (size_name, size) in SIZES {
            let stream = client_stream(noise, size);
            let count = (BATCH / size).max(1);
            // Both read the whole stream and the same payload.
            let total = ours(&stream);
            assert_eq!(total, count * size);
            assert_eq!(soketto(&stream, count), total);
            let mut group = c.benchmark_group(format!("ws-deflate-echo-{data}-{size_name}"));
            group.throughput(Throughput::Bytes(total as u64));
            group.bench_function(BenchmarkId::from_parameter("ours"), |b| {
                b.iter(|| ours(black_box(&stream)))
            });
            group.bench_function(BenchmarkId::from_parameter("soketto"), |b| {
                b.iter(|| soketto(black_box(&stream), count))
            });
            group.finish();
        }
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
    targets = echo
}
criterion_main!(benches);
