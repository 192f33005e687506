//! SSE parsing throughput of the codec next to eventsource-stream 0.2.3's, on the same
//! inputs in the same run (DESIGN §7): `cargo bench -p wirecheck-codec --bench sse`.
//!
//! Groups (throughput is input bytes), each with `ours` and `eventsource-stream`:
//! * `sse-small-16KiB`: small events (`event`, `id`, one short JSON `data` line) fed
//!   in 16 KiB chunks, the shape of a busy feed.
//! * `sse-small-64B`, `sse-small-1460B`: the same events in 64-byte chunks and in
//!   1460-byte chunks (one TCP segment each).
//! * `sse-small-1B`: the same events fed one byte at a time.
//! * `sse-64KiB-line-64B`: events whose single `data` line is 64 KiB, fed in 64-byte
//!   chunks (a large payload trickling in).
//!
//! And for our parser alone, linearity under 1-byte chunking (DESIGN §7):
//! `sse-linear-<64KiB|1MiB>` with functions `whole` and `1B`, one data line each:
//! the per-byte cost must not grow with the line.
//!
//! eventsource-stream is a `Stream` adapter; it is polled by hand with a no-op waker
//! over a stream of borrowed chunks that is always ready, so no executor or copy is
//! charged to it. Both sides touch the data of every event they deliver.

use std::convert::Infallible;
use std::hint::black_box;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use futures_util::stream;
use wirecheck_codec::sse::{Config, Item, Parser};

const PEER: &str = "eventsource-stream";

/// Small events: a type, an id and one short JSON data line, about 110 bytes each.
fn small_events(total: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(total + 256);
    let mut seq = 0u64;
    while out.len() < total {
        seq += 1;
        let price = 10_000 + seq * 7 % 5_000;
        out.extend_from_slice(
            format!(
                "event: quote\nid: {seq}\ndata: {{\"symbol\":\"ACME\",\"price\":{}.{:02},\"seq\":{seq}}}\n\n",
                price / 100,
                price % 100
            )
            .as_bytes(),
        );
    }
    out
}

/// Events with one data line of `line` bytes each (ASCII text).
fn long_line_events(line: usize, count: usize) -> Vec<u8> {
    let text = b"lorem ipsum dolor sit amet, consectetur adipiscing elit 0123456789 ";
    let mut out = Vec::new();
    for _ in 0..count {
        out.extend_from_slice(b"data: ");
        out.extend(text.iter().copied().cycle().take(line));
        out.extend_from_slice(b"\n\n");
    }
    out
}

/// Our parser over `input` in `chunk`-byte pieces; returns the data bytes delivered.
fn ours(input: &[u8], chunk: usize) -> usize {
    let mut parser = Parser::new(Config::default());
    let mut delivered = 0;
    for piece in input.chunks(chunk) {
        parser
            .feed(piece, |item| {
                if let Item::Event(e) = item {
                    delivered += black_box(&e.data).len();
                }
            })
            .expect("within limits");
    }
    black_box(parser.finish());
    delivered
}

/// eventsource-stream over the same pieces.
fn peer(input: &[u8], chunk: usize) -> usize {
    let mut events = stream::iter(input.chunks(chunk).map(Ok::<&[u8], Infallible>)).eventsource();
    let mut cx = Context::from_waker(Waker::noop());
    let mut delivered = 0;
    loop {
        match events.poll_next_unpin(&mut cx) {
            Poll::Ready(Some(Ok(e))) => delivered += black_box(&e.data).len(),
            Poll::Ready(Some(Err(e))) => panic!("eventsource-stream failed: {e}"),
            Poll::Ready(None) => return delivered,
            Poll::Pending => unreachable!("the input stream is always ready"),
        }
    }
}

fn versus(c: &mut Criterion, name: &str, input: &[u8], chunk: usize, slow_peer: bool) {
    let expected = ours(input, usize::MAX);
    assert_eq!(ours(input, chunk), expected);
    assert_eq!(peer(input, chunk), expected);
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(input.len() as u64));
    if slow_peer {
        // Iterations of tens of milliseconds: equal-sized samples.
        group.sampling_mode(SamplingMode::Flat);
    }
    group.bench_function(BenchmarkId::from_parameter("ours"), |b| {
        b.iter(|| ours(input, chunk))
    });
    group.bench_function(BenchmarkId::from_parameter(PEER), |b| {
        b.iter(|| peer(input, chunk))
    });
    group.finish();
}

fn parse(c: &mut Criterion) {
    versus(
        c,
        "sse-small-16KiB",
        &small_events(256 << 10),
        16 << 10,
        false,
    );
    // The chunk sizes of DESIGN §7's 10x target (every size from 64 B up): a
    // trickle, one TCP segment, and the 16 KiB above.
    versus(c, "sse-small-64B", &small_events(256 << 10), 64, false);
    versus(c, "sse-small-1460B", &small_events(256 << 10), 1460, false);
    versus(c, "sse-small-1B", &small_events(16 << 10), 1, false);
    versus(
        c,
        "sse-64KiB-line-64B",
        &long_line_events(64 << 10, 1),
        64,
        true,
    );
}

fn linear(c: &mut Criterion) {
    for (name, line) in [("64KiB", 64 << 10), ("1MiB", 1 << 20)] {
        let input = long_line_events(line, 1);
        let mut group = c.benchmark_group(format!("sse-linear-{name}"));
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function(BenchmarkId::from_parameter("whole"), |b| {
            b.iter(|| ours(&input, usize::MAX))
        });
        group.bench_function(BenchmarkId::from_parameter("1B"), |b| {
            b.iter(|| ours(&input, 1))
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
    targets = parse, linear
}
criterion_main!(benches);
