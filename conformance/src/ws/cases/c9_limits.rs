//! Category 9, Limits/Performance (54 cases): large messages, many fragments,
//! tiny TCP writes and many round trips. RFC 6455 §5.2 allows payloads up to
//! 2^63 bytes and §5.4 any fragmentation; §10.4 lets an implementation limit
//! frame and message sizes (it then fails with 1009), but a server that accepts
//! these sizes must echo them intact. The point of these cases is the time they
//! take (`reportTime`).
//!
//! Scoring is [`Scoring::RoundTrips`]: the steps send one message; it is sent
//! `count` times, each after the echo of the one before (1 for 9.1-9.6, 1000 for
//! 9.7/9.8). OK when every echo arrives before the case timeout with the type,
//! length and bytes sent; the fuzzer then closes with 1000 (clean close
//! required). The timeout is Autobahn's `closeAfter` for the case.

use super::{BINARY, TEXT, hex, send};
use crate::ws::case::{
    Case, Chop, ExpectedClose, FrameSpec, Messages, Payload, RoundTrips, Scoring, Step,
};
use std::time::Duration;

const KIB: usize = 1 << 10;
const MIB: usize = 1 << 20;

/// The repeating text pattern of 9.1 and 9.5.
const TEXT_PATTERN: &[u8] = b"BAsd7&jh23";
/// The repeating binary pattern of 9.2 and 9.6.
const BINARY_PATTERN: &[u8] = b"\x00\xfe\x23\xfa\xf0";

/// A size for descriptions: "64 KiB", "4 MiB", "16 bytes".
fn size(n: usize) -> String {
    if n >= MIB && n % MIB == 0 {
        format!("{} MiB", n / MIB)
    } else if n >= KIB && n % KIB == 0 {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} bytes")
    }
}

fn kind(binary: bool) -> &'static str {
    if binary { "binary" } else { "text" }
}

/// One case: `step` sends one message with `payload`; it is echoed `count` times.
fn limit_case(
    id: String,
    description: String,
    binary: bool,
    payload: Payload,
    count: usize,
    timeout_secs: u64,
    step: Step,
) -> Case {
    let expectation = if count == 1 {
        format!(
            "The server echoes the {} message with the same length and bytes within {timeout_secs} s; the fuzzer then closes with 1000 and the close is clean.",
            kind(binary)
        )
    } else {
        format!(
            "The server echoes each of the {count} {} messages with the same length and bytes, all within {timeout_secs} s; the fuzzer then closes with 1000 and the close is clean.",
            kind(binary)
        )
    };
    Case::new(
        &id,
        description,
        expectation,
        vec![],
        ExpectedClose::fuzzer_closes_normally(),
        vec![step],
    )
    .scoring(Scoring::RoundTrips(RoundTrips {
        count,
        binary,
        messages: Messages::Steps(payload),
        timeout: Duration::from_secs(timeout_secs),
    }))
    .report_time()
}

/// Cases 9.1.1-9.8.6.
pub fn cases() -> Vec<Case> {
    let mut out = Vec::new();

    // 9.1 (text) and 9.2 (binary): one frame of increasing size, the pattern
    // repeated. RFC 6455 §5.2: the 64-bit length form carries these sizes.
    let single = [64 * KIB, 256 * KIB, MIB, 4 * MIB, 8 * MIB, 16 * MIB];
    let text_timeouts = [10, 10, 100, 100, 100, 100];
    let binary_timeouts = [10, 10, 10, 10, 100, 100];
    for (sub, binary, pattern, timeouts) in [
        (1, false, TEXT_PATTERN, text_timeouts),
        (2, true, BINARY_PATTERN, binary_timeouts),
    ] {
        let opcode = if binary { BINARY } else { TEXT };
        for (i, (&len, &timeout)) in single.iter().zip(&timeouts).enumerate() {
            let frame = FrameSpec::new(opcode, pattern).repeat_to(len);
            out.push(limit_case(
                format!("9.{sub}.{}", i + 1),
                format!(
                    "Send one {} message of {} ({len} bytes) in one frame, the pattern 0x{} repeated.",
                    kind(binary),
                    size(len),
                    hex(pattern)
                ),
                binary,
                frame.payload_spec(),
                1,
                timeout,
                send(frame),
            ));
        }
    }

    // 9.3 (text) and 9.4 (binary): a 4 MiB message in fragments of increasing
    // size. RFC 6455 §5.4: the receiver reassembles any number of fragments.
    let fragments = [
        64,
        256,
        KIB,
        4 * KIB,
        16 * KIB,
        64 * KIB,
        256 * KIB,
        MIB,
        4 * MIB,
    ];
    for (sub, binary) in [(3, false), (4, true)] {
        for (i, &fragment) in fragments.iter().enumerate() {
            // Autobahn fills 9.4.1 with 0xfe and every other case with '*'.
            let byte = if binary && i == 0 { 0xfe } else { b'*' };
            let payload = Payload::repeat([byte], 4 * MIB);
            out.push(limit_case(
                format!("9.{sub}.{}", i + 1),
                format!(
                    "Send one {} message of 4 MiB (0x{byte:02x} repeated) in fragments of {}.",
                    kind(binary),
                    size(fragment)
                ),
                binary,
                payload.clone(),
                1,
                100,
                Step::Message {
                    payload,
                    binary,
                    fragment_size: Some(fragment),
                },
            ));
        }
    }

    // 9.5 (text) and 9.6 (binary): one 1 MiB frame written in TCP chops of
    // increasing size. RFC 6455 §5.2: frames are read from a byte stream.
    let chops = [64, 128, 256, 512, 1024, 2048];
    for (sub, binary, pattern) in [(5, false, TEXT_PATTERN), (6, true, BINARY_PATTERN)] {
        let opcode = if binary { BINARY } else { TEXT };
        for (i, &chop) in chops.iter().enumerate() {
            let frame = FrameSpec::new(opcode, pattern)
                .repeat_to(MIB)
                .chop(Chop::Bytes(chop));
            out.push(limit_case(
                format!("9.{sub}.{}", i + 1),
                format!(
                    "Send one {} message of 1 MiB in one frame, the pattern 0x{} repeated, written in TCP chops of {chop} bytes.",
                    kind(binary),
                    hex(pattern)
                ),
                binary,
                frame.payload_spec(),
                1,
                1000,
                send(frame),
            ));
        }
    }

    // 9.7 (text, '*') and 9.8 (binary, 0xfe): 1000 messages one after another,
    // each sent when the previous echo has arrived: round-trip latency.
    let round_trips = [
        (0, 60),
        (16, 60),
        (64, 60),
        (256, 120),
        (1024, 240),
        (4096, 480),
    ];
    for (sub, binary, byte) in [(7, false, b'*'), (8, true, 0xfe)] {
        let opcode = if binary { BINARY } else { TEXT };
        for (i, &(len, timeout)) in round_trips.iter().enumerate() {
            let frame = FrameSpec::new(opcode, [byte]).repeat_to(len);
            out.push(limit_case(
                format!("9.{sub}.{}", i + 1),
                format!(
                    "Send 1000 {} messages of {len} bytes (0x{byte:02x} repeated), one at a time, each after the echo of the previous one, to measure the round-trip time.",
                    kind(binary)
                ),
                binary,
                frame.payload_spec(),
                1000,
                timeout,
                send(frame),
            ));
        }
    }

    out
}
