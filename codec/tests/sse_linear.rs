//! Linear cost under 1-byte chunking, proven by counting work rather than timing it:
//! a 1 MiB `data` line fed one byte at a time must cost about what it costs fed whole.
//! (A parser that re-scans or re-copies the partial line on every chunk, as
//! eventsource-stream 0.2.3 and sse-codec 0.3.2 do, would cost ~N²/2 = 5.5e11 here.)

use wirecheck_codec::sse::{Config, Item, Parser};

const MIB: usize = 1 << 20;

fn one_mib_event() -> Vec<u8> {
    let mut input = b"data: ".to_vec();
    input.extend((0..MIB).map(|i| b"abcdefghijklmnopqrstuvwxyz"[i % 26]));
    input.extend_from_slice(b"\n\n");
    input
}

/// Feeds `input` in `chunk`-byte pieces; returns (bytes scanned, bytes copied, data length).
fn work(input: &[u8], chunk: usize) -> (u64, u64, usize) {
    let config = Config {
        max_line_len: 2 * MIB,
        max_event_len: 2 * MIB,
    };
    let mut parser = Parser::new(config);
    let mut data_len = 0;
    let mut events = 0;
    for piece in input.chunks(chunk) {
        parser
            .feed(piece, |item| {
                if let Item::Event(e) = item {
                    data_len = e.data.len();
                    events += 1;
                }
            })
            .unwrap();
    }
    assert_eq!(events, 1);
    let counts = (parser.bytes_scanned(), parser.bytes_copied(), data_len);
    assert!(!parser.finish().truncated());
    counts
}

#[test]
fn one_mib_data_line_fed_one_byte_at_a_time_costs_linear_work() {
    let input = one_mib_event();
    let n = input.len() as u64;
    let (scanned_whole, copied_whole, len_whole) = work(&input, input.len());
    let (scanned, copied, len) = work(&input, 1);
    assert_eq!(len_whole, MIB);
    assert_eq!(len, MIB);
    // Fed whole: one terminator scan and one UTF-8 check of the data, no copy at all.
    assert!(
        scanned_whole <= 2 * n + 64,
        "scanned {scanned_whole} for {n} bytes"
    );
    assert_eq!(copied_whole, 0, "a line inside one chunk is never copied");
    // Fed one byte at a time: each byte is scanned once for a terminator, copied once
    // into the line buffer and once into the data buffer, and decoded once.
    assert!(scanned <= 2 * n + 64, "scanned {scanned} for {n} bytes");
    assert!(copied <= 2 * n + 64, "copied {copied} for {n} bytes");
    assert!(
        scanned <= scanned_whole + 64,
        "{scanned} vs {scanned_whole}"
    );
}

#[test]
fn work_per_byte_is_flat_across_chunk_sizes() {
    let input = one_mib_event();
    let n = input.len() as u64;
    for chunk in [1, 2, 3, 7, 64, 4096, 65536] {
        let (scanned, copied, _) = work(&input, chunk);
        assert!(scanned <= 2 * n + 64, "chunk {chunk}: scanned {scanned}");
        assert!(copied <= 2 * n + 64, "chunk {chunk}: copied {copied}");
    }
}

#[test]
fn many_small_events_one_byte_at_a_time_cost_linear_work() {
    // Also with a long committed ID that every event reports: reporting it must not
    // re-scan or re-copy it per event.
    let mut input = b"id: ".to_vec();
    input.extend(std::iter::repeat_n(b'i', 64 * 1024));
    input.extend_from_slice(b"\n\n");
    for _ in 0..20_000 {
        input.extend_from_slice(b"event: e\ndata: x\n\n");
    }
    let n = input.len() as u64;
    let mut parser = Parser::new(Config::default());
    let mut events = 0;
    for b in input.chunks(1) {
        parser
            .feed(b, |item| {
                if let Item::Event(e) = item {
                    assert_eq!(e.last_event_id.len(), 64 * 1024);
                    events += 1;
                }
            })
            .unwrap();
    }
    assert_eq!(events, 20_000);
    assert!(
        parser.bytes_scanned() <= 3 * n,
        "scanned {}",
        parser.bytes_scanned()
    );
    assert!(
        parser.bytes_copied() <= 3 * n,
        "copied {}",
        parser.bytes_copied()
    );
}
