//! permessage-deflate compression (RFC 7692 §7.2): round trips for any message
//! and parameters, the tail, context takeover, the RFC's worked examples, a
//! decompression bomb, and a second implementation (miniz_oxide)
//! inflating what this one deflates, and deflating what this one inflates.

use proptest::prelude::*;
use wirecheck_codec::ws::deflate::{
    Compressor, Decompressor, Direction, InflateError, MAX_SKIPPED,
};

fn dir(no_context_takeover: bool, max_window_bits: u8) -> Direction {
    Direction {
        no_context_takeover,
        max_window_bits,
    }
}

#[test]
fn rfc7692_7_2_3_1_a_message_of_hello_inflates_from_the_rfcs_bytes() {
    // §7.2.3.1: "Hello" compressed: 0xf2 0x48 0xcd 0xc9 0xc9 0x07 0x00.
    let mut d = Decompressor::new(dir(false, 15));
    let mut out = Vec::new();
    d.decompress(&[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], 1024, &mut out)
        .unwrap();
    assert_eq!(out, b"Hello");
    // §7.2.3.2: with context takeover, the second "Hello" is a back-reference.
    out.clear();
    d.decompress(&[0xf2, 0x00, 0x11, 0x00, 0x00], 1024, &mut out)
        .unwrap();
    assert_eq!(out, b"Hello");
    // §7.2.3.3: a stored (uncompressed) block.
    let mut d = Decompressor::new(dir(false, 15));
    out.clear();
    d.decompress(
        &[
            0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
        ],
        1024,
        &mut out,
    )
    .unwrap();
    assert_eq!(out, b"Hello");
    // §7.2.3.4: a final block (BFINAL) in a message.
    let mut d = Decompressor::new(dir(false, 15));
    out.clear();
    d.decompress(
        &[0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00],
        1024,
        &mut out,
    )
    .unwrap();
    assert_eq!(out, b"Hello");
}

#[test]
fn rfc7692_7_2_1_the_tail_is_removed_and_context_takeover_shrinks_repeats() {
    let msg = b"Hello, permessage-deflate! Hello, permessage-deflate!";
    let mut keep = Compressor::new(dir(false, 15));
    let mut first = Vec::new();
    keep.compress(msg, &mut first);
    assert!(!first.ends_with(&[0x00, 0x00, 0xff, 0xff]));
    let mut second = Vec::new();
    keep.compress(msg, &mut second);
    assert!(second.len() < first.len(), "the second refers to the first");
    // Without context takeover every message is compressed alone.
    let mut reset = Compressor::new(dir(true, 15));
    let (mut a, mut b) = (Vec::new(), Vec::new());
    reset.compress(msg, &mut a);
    reset.compress(msg, &mut b);
    assert_eq!(a, b);
    // Each inflates with its own kind of decompressor.
    let mut d = Decompressor::new(dir(false, 15));
    let mut out = Vec::new();
    d.decompress(&first, 1 << 20, &mut out).unwrap();
    d.decompress(&second, 1 << 20, &mut out).unwrap();
    assert_eq!(out, [&msg[..], &msg[..]].concat());
}

#[test]
fn a_decompression_bomb_stops_at_the_limit_with_1009() {
    // 64 MiB of zeros compresses to about 64 KiB; the limit is 1 MiB.
    let zeros = vec![0u8; 64 << 20];
    let mut c = Compressor::new(dir(false, 15));
    let mut bomb = Vec::new();
    c.compress(&zeros, &mut bomb);
    assert!(bomb.len() < 128 << 10, "{}", bomb.len());
    let mut d = Decompressor::new(dir(false, 15));
    let mut out = Vec::new();
    let e = d.decompress(&bomb, 1 << 20, &mut out).unwrap_err();
    assert_eq!(e, InflateError::TooLarge { limit: 1 << 20 });
    assert_eq!(e.close_code(), 1009);
    // Nothing of it is kept, and the memory it took is bounded by the limit.
    assert!(out.is_empty());
    assert!(
        out.capacity() <= (1 << 20) + (16 << 10),
        "{}",
        out.capacity()
    );
}

/// The level decides the kind of block (RFC 1951 §3.2.3: BTYPE 01 fixed
/// Huffman codes, 10 dynamic ones): level 1 writes fixed codes only, level 2
/// (the fuzzer's) and 6 (the default) dynamic ones, so a peer's decoding of
/// dynamic codes is exercised; level 0 stored blocks (00). Every level inflates
/// back to the message.
#[test]
fn the_level_decides_the_block_type_and_every_level_inflates() {
    let text: Vec<u8> = (0..4000u32)
        .flat_map(|i| format!("{{\"id\": {i}, \"name\": \"case {}\"}},", i % 97).into_bytes())
        .take(16_384)
        .collect();
    for (level, btype) in [(0u8, 0b00u8), (1, 0b01), (2, 0b10), (6, 0b10), (9, 0b10)] {
        let mut c = Compressor::with_level(dir(false, 15), level);
        let mut out = Vec::new();
        c.compress(&text, &mut out);
        // The first block's header: BFINAL in bit 0, BTYPE in bits 1-2.
        assert_eq!((out[0] >> 1) & 0b11, btype, "level {level}");
        let mut d = Decompressor::new(dir(false, 15));
        let mut back = Vec::new();
        d.decompress(&out, text.len(), &mut back).expect("inflates");
        assert_eq!(back, text, "level {level}");
    }
}

/// RFC 7692 §7.2.3.6: an empty message is the single byte 00. zlib writes
/// nothing for a flush that follows a flush, so an empty message after any
/// message came out empty, and two of them in a row inflated as a stored block
/// of 0xff00 bytes (found by the round-trip property below). Every level and
/// window, with context takeover: each empty message is 00 and the stream goes on.
#[test]
fn rfc7692_7_2_3_6_empty_messages_in_a_row_are_one_zero_byte_each() {
    for bits in [8u8, 9, 15] {
        let d = dir(false, bits);
        let mut c = Compressor::new(d);
        let mut x = Decompressor::new(d);
        for m in [&b"abc"[..], b"", b"", b"", b"x", b""] {
            let mut wire = Vec::new();
            c.compress(m, &mut wire);
            if m.is_empty() {
                assert_eq!(wire, [0x00], "bits {bits}");
            }
            let mut out = Vec::new();
            x.decompress(&wire, m.len(), &mut out).expect("inflates");
            assert_eq!(out, m, "bits {bits}");
        }
    }
}

#[test]
fn garbage_is_corrupt_with_1007() {
    let mut d = Decompressor::new(dir(false, 15));
    let e = d
        .decompress(&[0xff, 0xff, 0xff, 0xff], 1024, &mut Vec::new())
        .unwrap_err();
    assert_eq!((e, e.close_code()), (InflateError::Corrupt, 1007));
}

/// Bytes no deflate shrinks (a xorshift stream).
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn literals_only_codes_without_back_references_and_inflates() {
    // A repetitive message: level 2 codes it as matches, literals only cannot.
    let m = b"abcdefgh".repeat(2000);
    let (mut level2, mut literals) = (Vec::new(), Vec::new());
    Compressor::with_level(dir(false, 15), 2).compress(&m, &mut level2);
    Compressor::literals_only(dir(false, 15)).compress(&m, &mut literals);
    // 16000 literals of eight equally likely values take 3 bits each.
    assert!(literals.len() >= 16000 * 3 / 8, "{}", literals.len());
    assert!(
        level2.len() * 20 < literals.len(),
        "{} {}",
        level2.len(),
        literals.len()
    );
    let mut out = Vec::new();
    Decompressor::new(dir(false, 15))
        .decompress(&literals, m.len(), &mut out)
        .unwrap();
    assert_eq!(out, m);
    // High-entropy bytes with a skewed histogram (as a picture's): literals
    // only is within a hair of level 2.
    let skewed: Vec<u8> = noise(64 * 1024, 7)
        .iter()
        .map(|b| b & 0x3f | 0x40)
        .collect();
    let (mut level2, mut literals) = (Vec::new(), Vec::new());
    Compressor::with_level(dir(false, 15), 2).compress(&skewed, &mut level2);
    Compressor::literals_only(dir(false, 15)).compress(&skewed, &mut literals);
    assert!(
        literals.len() * 100 <= level2.len() * 101,
        "{} {}",
        level2.len(),
        literals.len()
    );
    assert!(
        literals.len() * 4 < skewed.len() * 3 + skewed.len() / 20,
        "{}",
        literals.len()
    );
}

#[test]
fn rfc7692_6_an_adaptive_compressor_backs_off_on_incompressible_messages() {
    let d = dir(false, 15);
    let mut c = Compressor::with_level(d, 1).adaptive();
    let mut tried = Vec::new();
    for i in 0..200 {
        let mut wire = Vec::new();
        if c.compress_message(&noise(4096, i + 1), &mut wire) {
            tried.push(i);
        } else {
            assert!(wire.is_empty(), "a skipped message appends nothing");
        }
    }
    // Skipped runs of 1, 2, 4 ... then MAX_SKIPPED between tries.
    assert_eq!(MAX_SKIPPED, 64);
    assert_eq!(tried, [0, 2, 5, 10, 19, 36, 69, 134, 199]);
    // A tried message that shrinks ends the back-off at once.
    let text = "Ein Wort, ein Satz: aus Sternen. ".repeat(100);
    let sent: Vec<bool> = (0..66)
        .map(|_| c.compress_message(text.as_bytes(), &mut Vec::new()))
        .collect();
    let first = sent.iter().position(|&b| b).unwrap();
    assert!(first <= 64, "{first}");
    assert!(sent[first..].iter().all(|&b| b), "{sent:?}");
    // The line is a fifth: a message that shrinks to about 0.85 is poor.
    let mut c = Compressor::with_level(d, 1).adaptive();
    let mut m = noise(3300, 5);
    m.extend_from_slice(&[0; 796]);
    let mut wire = Vec::new();
    assert!(c.compress_message(&m, &mut wire));
    let ratio = wire.len() as f64 / m.len() as f64;
    assert!(ratio > 0.8 && ratio < 0.9, "{ratio}");
    assert!(!c.compress_message(&m, &mut Vec::new()), "skipped after it");
    // Without adaptive(), every message is compressed.
    let mut plain = Compressor::with_level(d, 1);
    assert!((0..10).all(|i| plain.compress_message(&noise(4096, i + 1), &mut Vec::new())));
}

proptest! {
    /// Skipped messages never enter the compression context, as they never
    /// enter the peer's inflater: whatever mix is sent, with or without context
    /// takeover, the compressed ones inflate to what was sent.
    #[test]
    fn prop_adaptive_compression_keeps_the_peer_in_step(
        messages in proptest::collection::vec(
            prop_oneof![
                (1u64..1000, 0usize..3000).prop_map(|(seed, len)| noise(len, seed)),
                proptest::collection::vec(0u8..4, 0..3000),
            ],
            1..40,
        ),
        bits in 9u8..=15,
        no_context_takeover in any::<bool>(),
    ) {
        let d = dir(no_context_takeover, bits);
        let mut c = Compressor::with_level(d, 1).adaptive();
        let mut x = Decompressor::new(d);
        for m in &messages {
            let mut wire = Vec::new();
            if c.compress_message(m, &mut wire) {
                let mut out = Vec::new();
                x.decompress(&wire, m.len(), &mut out).expect("inflates");
                prop_assert_eq!(&out, m);
            } else {
                prop_assert!(wire.is_empty());
            }
        }
    }

    #[test]
    fn prop_messages_round_trip_for_every_window_and_takeover(
        messages in proptest::collection::vec(
            prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..2000),
                proptest::collection::vec(0u8..4, 0..5000),
            ],
            1..6,
        ),
        bits in 8u8..=15,
        no_context_takeover in any::<bool>(),
    ) {
        let d = dir(no_context_takeover, bits);
        let mut c = Compressor::new(d);
        let mut x = Decompressor::new(d);
        for m in &messages {
            let mut wire = Vec::new();
            c.compress(m, &mut wire);
            let mut out = Vec::new();
            x.decompress(&wire, m.len(), &mut out).expect("inflates within its own size");
            prop_assert_eq!(&out, m);
        }
    }

    /// The other direction: what a second deflater (miniz_oxide: stored
    /// blocks at level 0, run-length matches only when given under 12 bits,
    /// its fast and default strategies otherwise, all within its 32 KiB
    /// dictionary, which the decompressor's 32 KiB window reads) writes, one
    /// sync flush per message and the tail removed (RFC 7692 §7.2.1), with
    /// its context kept across messages or reset for each, inflates here to
    /// every message sent.
    #[test]
    fn prop_messages_from_a_second_deflater_inflate_at_every_level_and_takeover(
        messages in proptest::collection::vec(
            proptest::collection::vec(0u8..8, 0..6000), 1..6),
        bits in 8u8..=15,
        no_context_takeover in any::<bool>(),
        level in 0u8..=9,
    ) {
        use miniz_oxide::deflate::core::{compress, CompressorOxide, TDEFLFlush, TDEFLStatus};
        use miniz_oxide::{DataFormat, deflate::core::CompressionStrategy};
        let mut theirs = CompressorOxide::with_params(
            DataFormat::Raw,
            level,
            CompressionStrategy::Default,
            bits,
        );
        let mut ours = Decompressor::new(dir(no_context_takeover, bits));
        for m in &messages {
            if no_context_takeover {
                theirs.reset();
            }
            let mut wire = vec![0u8; m.len() * 2 + 1024];
            let (status, read, wrote) = compress(&mut theirs, m, &mut wire, TDEFLFlush::Sync);
            prop_assert_eq!(status, TDEFLStatus::Okay);
            prop_assert_eq!(read, m.len());
            wire.truncate(wrote);
            prop_assert!(wire.ends_with(&[0x00, 0x00, 0xff, 0xff]));
            wire.truncate(wrote - 4);
            let mut out = Vec::new();
            ours.decompress(&wire, 1 << 20, &mut out).expect("inflates");
            prop_assert_eq!(&out, m);
        }
    }

    /// A second implementation (miniz_oxide, used directly: flate2's backend
    /// is C zlib in dev builds, where the benchmark's soketto enables it, and
    /// zlib-rs is a port of zlib) reads what this one writes, the tail
    /// restored as §7.2.2 says.
    #[test]
    fn prop_a_second_inflater_agrees(
        m in proptest::collection::vec(0u8..8, 0..20000),
        bits in 9u8..=15,
    ) {
        let mut c = Compressor::new(dir(true, bits));
        let mut wire = Vec::new();
        c.compress(&m, &mut wire);
        wire.extend_from_slice(&[0x00, 0x00, 0xff, 0xff]);
        // The message has no final block; after the restored tail the stream
        // is byte-aligned, so an empty final stored block (RFC 1951 §3.2.4:
        // BFINAL 1, BTYPE 00, LEN 0, NLEN ffff) completes it for a one-shot
        // inflater.
        wire.extend_from_slice(&[0x01, 0x00, 0x00, 0xff, 0xff]);
        let out = miniz_oxide::inflate::decompress_to_vec(&wire);
        prop_assert_eq!(out.ok(), Some(m));
    }
}
