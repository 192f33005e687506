//! The chunked transfer coding of the HTTP layer (RFC 9112 §7.1): the same
//! body or the same error however the input is split, sizes that cannot be
//! allocated by, and every bound (size line, extensions, trailer section).

use proptest::prelude::*;
use wirecheck_codec::http::chunked::{MAX_CHUNK_LINE, MAX_TRAILER_SECTION};
use wirecheck_codec::http::{ChunkError, Chunked};

/// Decode `pieces` in order: the outcome of the last call that ended the body or
/// failed (or of the last call), and the body bytes out.
fn decode(pieces: &[&[u8]]) -> (Result<bool, ChunkError>, Vec<u8>) {
    let mut c = Chunked::default();
    let mut out = Vec::new();
    let mut outcome = Ok(false);
    for piece in pieces {
        outcome = c.decode(piece, &mut out);
        if !matches!(outcome, Ok(false)) {
            break;
        }
    }
    (outcome, out)
}

/// A chunked body of these chunks (each with an extension when `ext`), the last
/// chunk and these trailer lines.
fn wire(chunks: &[Vec<u8>], ext: bool, trailers: &[&str]) -> Vec<u8> {
    let mut w = Vec::new();
    for c in chunks {
        w.extend_from_slice(format!("{:X}", c.len()).as_bytes());
        if ext {
            w.extend_from_slice(b" ; name=\"quoted; value\"");
        }
        w.extend_from_slice(b"\r\n");
        w.extend_from_slice(c);
        w.extend_from_slice(b"\r\n");
    }
    w.extend_from_slice(b"0\r\n");
    for t in trailers {
        w.extend_from_slice(t.as_bytes());
        w.extend_from_slice(b"\r\n");
    }
    w.extend_from_slice(b"\r\n");
    w
}

proptest! {
    #[test]
    fn prop_chunked_split_anywhere_same_result(
        chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..40), 0..5),
        ext in any::<bool>(),
        trailer in any::<bool>(),
        corrupt in proptest::option::of((any::<usize>(), any::<u8>())),
        a in any::<usize>(),
        b in any::<usize>(),
    ) {
        let trailers: &[&str] = if trailer { &["Expires: never", "X: y"] } else { &[] };
        let mut w = wire(&chunks, ext, trailers);
        w.extend_from_slice(b"AFTER");
        if let Some((at, byte)) = corrupt {
            let at = at % w.len();
            w[at] = byte;
        }
        let (a, b) = (a % (w.len() + 1), b % (w.len() + 1));
        let (a, b) = (a.min(b), a.max(b));
        let whole = decode(&[&w]);
        prop_assert_eq!(decode(&[&w[..a], &w[a..b], &w[b..]]), whole.clone());
        if corrupt.is_none() {
            prop_assert_eq!(whole, (Ok(true), chunks.concat()));
        }
    }

    /// `decode_counted` stops where the body ends, however the input is split:
    /// what follows (the next message of a kept-alive connection) is left whole.
    #[test]
    fn prop_chunked_counted_stops_exactly_at_the_body_end(
        chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..40), 0..5),
        trailer in any::<bool>(),
        size in 1usize..50,
    ) {
        let trailers: &[&str] = if trailer { &["X: y"] } else { &[] };
        let body = wire(&chunks, false, trailers);
        let mut w = body.clone();
        w.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
        let mut c = Chunked::default();
        let mut out = Vec::new();
        let mut taken = 0;
        for piece in w.chunks(size) {
            let (done, n) = c.decode_counted(piece, &mut out).expect("valid");
            taken += n;
            if done {
                break;
            }
            prop_assert_eq!(n, piece.len());
        }
        prop_assert_eq!(taken, body.len());
        prop_assert_eq!(out, chunks.concat());
    }

    #[test]
    fn prop_chunked_output_never_exceeds_input(
        input in proptest::collection::vec(
            proptest::sample::select(&b"0123456789abcdefABCDEF;=\" \t\r\nxX"[..]), 0..300),
        size in 1usize..20,
    ) {
        let pieces: Vec<&[u8]> = input.chunks(size).collect();
        let (_, out) = decode(&pieces);
        prop_assert!(out.len() <= input.len());
    }
}

#[test]
fn a_body_split_at_every_single_byte_decodes_as_whole() {
    let w = wire(
        &[b"hello".to_vec(), b" ".to_vec(), b"world".to_vec()],
        true,
        &["A: b"],
    );
    for at in 0..=w.len() {
        assert_eq!(
            decode(&[&w[..at], &w[at..]]),
            (Ok(true), b"hello world".to_vec()),
            "split at {at}"
        );
    }
    // One byte at a time.
    let bytes: Vec<&[u8]> = w.chunks(1).collect();
    assert_eq!(decode(&bytes), (Ok(true), b"hello world".to_vec()));
}

#[test]
fn rfc9112_7_1_a_size_that_overflows_64_bits_is_refused() {
    for size in [
        &b"ffffffffffffffffff\r\n"[..],
        b"10000000000000000\r\n",
        b"fffffffffffffffffffffffffffffffffffff\r\n",
    ] {
        let (outcome, out) = decode(&[size]);
        assert!(
            matches!(&outcome, Err(ChunkError::BadSize(line)) if line.len() <= 64),
            "{outcome:?}"
        );
        assert!(out.is_empty());
    }
    // The largest size that fits is read, and nothing is reserved for it: the
    // output holds what arrived.
    let mut c = Chunked::default();
    let mut out = Vec::new();
    assert_eq!(c.decode(b"ffffffffffffffff\r\nabc", &mut out), Ok(false));
    assert_eq!(out, b"abc");
    assert!(out.capacity() < 1024, "reserved {}", out.capacity());
}

#[test]
fn rfc9112_7_1_chunk_data_ends_with_crlf() {
    for bad in [
        &b"3\r\nabcX"[..],
        b"3\r\nabc\rX",
        b"3\r\nabc\n",
        b"3\r\nabcd\r\n",
    ] {
        assert_eq!(decode(&[bad]).0, Err(ChunkError::MissingCrlf), "{bad:?}");
    }
    // Split between the CR and the LF is fine.
    assert_eq!(
        decode(&[b"3\r\nabc\r", b"\n0\r\n\r\n"]),
        (Ok(true), b"abc".to_vec())
    );
    for bad in [&b"\r\n"[..], b"-1\r\n", b"0x1\r\n", b" 1\r\n"] {
        assert!(
            matches!(decode(&[bad]).0, Err(ChunkError::BadSize(_))),
            "{bad:?}"
        );
    }
}

#[test]
fn rfc9112_7_1_1_extensions_are_skipped_within_the_line_bound() {
    let mut line = b"5;".to_vec();
    line.resize(MAX_CHUNK_LINE - 2, b'e');
    line.extend_from_slice(b"\r\nhello\r\n0\r\n\r\n");
    assert_eq!(decode(&[&line]), (Ok(true), b"hello".to_vec()));
    // A size line that never ends fails at the bound, however it arrives.
    let endless = vec![b'e'; 1 << 20];
    let (outcome, _) = decode(&[b"5;", &endless]);
    assert_eq!(outcome, Err(ChunkError::LineTooLong));
    let pieces: Vec<&[u8]> = std::iter::once(&b"5;"[..])
        .chain(endless.chunks(1000))
        .collect();
    assert_eq!(decode(&pieces).0, Err(ChunkError::LineTooLong));
}

#[test]
fn rfc9112_7_1_2_trailers_are_skipped_until_the_empty_line() {
    let w = b"1\r\nx\r\n0\r\nExpires: never\r\nServer-Timing: a\n\r\nNEXT";
    for at in 0..=w.len() {
        assert_eq!(decode(&[&w[..at], &w[at..]]), (Ok(true), b"x".to_vec()));
    }
    // Once done, nothing more is looked at.
    let mut c = Chunked::default();
    let mut out = Vec::new();
    assert_eq!(c.decode(b"0\r\n\r\n", &mut out), Ok(true));
    assert_eq!(c.decode(b"garbage \x00", &mut out), Ok(true));
    assert!(c.is_done() && out.is_empty());
}

#[test]
fn rfc9112_7_1_2_the_trailer_section_is_bounded_as_a_whole() {
    // Trailer lines each well under the line bound, forever.
    let line = format!("X: {}\r\n", "v".repeat(100));
    let mut c = Chunked::default();
    let mut out = Vec::new();
    assert_eq!(c.decode(b"0\r\n", &mut out), Ok(false));
    let mut sent = 0;
    let outcome = loop {
        match c.decode(line.as_bytes(), &mut out) {
            Ok(false) => sent += line.len(),
            other => break other,
        }
        assert!(sent <= MAX_TRAILER_SECTION, "still reading at {sent}");
    };
    assert_eq!(outcome, Err(ChunkError::TrailersTooLarge));
    assert!(outcome.unwrap_err().to_string().contains("RFC 9112 §7.1.2"));

    // A section of exactly the bound, its empty line included, is fine.
    let mut w = b"0\r\n".to_vec();
    let fill = MAX_TRAILER_SECTION - 2;
    let mut left = fill;
    while left > 0 {
        let n = left.min(1000);
        let mut l = vec![b'a'; n - 2];
        l[0] = b'T';
        l[1] = b':';
        w.extend_from_slice(&l);
        w.extend_from_slice(b"\r\n");
        left -= n;
    }
    w.extend_from_slice(b"\r\n");
    assert_eq!(decode(&[&w]), (Ok(true), Vec::new()));
    let mut over = w.clone();
    over.insert(3, b'a');
    assert_eq!(decode(&[&over]).0, Err(ChunkError::TrailersTooLarge));
}

#[test]
fn a_trailer_line_over_both_bounds_fails_on_the_bound_its_earlier_byte_breaks() {
    // 12,000 bytes of trailers, then a 5,000-byte line: the line bound (4 KiB)
    // breaks at its 4,097th byte, the section bound (16 KiB) only at its
    // 4,385th, so the line is too long, whichever way the input is cut.
    let mut w = b"0\r\n".to_vec();
    for _ in 0..12 {
        w.extend_from_slice(&[b'a'; 998]);
        w.extend_from_slice(b"\r\n");
    }
    let start = w.len();
    w.extend_from_slice(&[b'b'; 5000]);
    let whole = decode(&[&w]).0;
    assert_eq!(whole, Err(ChunkError::LineTooLong));
    for cut in [
        start + 100,
        start + 4096,
        start + 4097,
        start + 4200,
        start + 4400,
    ] {
        assert_eq!(decode(&[&w[..cut], &w[cut..]]).0, whole, "cut at {cut}");
    }
    // 15,000 bytes of trailers: now the section bound breaks first (at the
    // line's 1,385th byte).
    let mut w = b"0\r\n".to_vec();
    for _ in 0..15 {
        w.extend_from_slice(&[b'a'; 998]);
        w.extend_from_slice(b"\r\n");
    }
    let start = w.len();
    w.extend_from_slice(&[b'b'; 5000]);
    let whole = decode(&[&w]).0;
    assert_eq!(whole, Err(ChunkError::TrailersTooLarge));
    for cut in [start + 100, start + 1000, start + 4200] {
        assert_eq!(decode(&[&w[..cut], &w[cut..]]).0, whole, "cut at {cut}");
    }
}
