//! Reading request and response heads with the HTTP layer (RFC 9112 §2-§5):
//! one reader for both start lines, fed any slices, the same verdict however
//! the head is split, every bound enforced before the bytes are kept, and the
//! first invalid byte failing the read that delivers it.

use proptest::prelude::*;
use wirecheck_codec::http::{
    HeadError, HeadErrorKind, HeadLimits, Request, RequestParser, Response, ResponseParser,
};

/// Feed `pieces` to `feed`: the head and where it ended in the whole input, or
/// the error.
fn run<T>(
    pieces: &[&[u8]],
    mut feed: impl FnMut(&[u8]) -> Result<Option<wirecheck_codec::http::Parsed<T>>, HeadError>,
) -> Result<Option<(T, usize)>, HeadError> {
    let mut before = 0;
    for piece in pieces {
        if let Some(p) = feed(piece)? {
            assert!(p.consumed <= piece.len());
            return Ok(Some((p.value, before + p.consumed)));
        }
        before += piece.len();
    }
    Ok(None)
}

fn request(limits: HeadLimits, pieces: &[&[u8]]) -> Result<Option<(Request, usize)>, HeadError> {
    let mut r = RequestParser::new(limits);
    run(pieces, |b| r.feed(b))
}

fn response(limits: HeadLimits, pieces: &[&[u8]]) -> Result<Option<(Response, usize)>, HeadError> {
    let mut r = ResponseParser::new(limits);
    run(pieces, |b| r.feed(b))
}

/// Field names and values a head is built from (some of them invalid).
fn field() -> impl Strategy<Value = (String, String)> {
    (
        prop_oneof![
            Just("Host".to_string()),
            Just("x-Custom".to_string()),
            Just("Bad Name".to_string()),
            "[a-zA-Z0-9!#$%&'*+.^_`|~-]{1,12}",
        ],
        prop_oneof![
            Just("value".to_string()),
            Just("a, b ;q=1".to_string()),
            Just("caf\u{e9}".to_string()),
            Just("tab\there".to_string()),
            Just("nul\0".to_string()),
            "[ -~]{0,20}",
        ],
    )
}

proptest! {
    #[test]
    fn prop_head_split_anywhere_same_result(
        is_request in any::<bool>(),
        fields in proptest::collection::vec(field(), 0..8),
        lf_only in any::<bool>(),
        max_headers in 0usize..10,
        max_header_bytes in 20usize..400,
        a in any::<usize>(),
        b in any::<usize>(),
    ) {
        let eol = if lf_only { "\n" } else { "\r\n" };
        let mut raw = String::from(if is_request { "GET /x?y=1 HTTP/1.1" } else { "HTTP/1.1 200 OK" });
        raw.push_str(eol);
        for (n, v) in &fields {
            raw.push_str(&format!("{n}: {v}{eol}"));
        }
        raw.push_str(eol);
        raw.push_str("BODY");
        let raw = raw.as_bytes();
        let limits = HeadLimits { max_header_bytes, max_headers };
        let (a, b) = (a % (raw.len() + 1), b % (raw.len() + 1));
        let (a, b) = (a.min(b), a.max(b));
        let split: [&[u8]; 3] = [&raw[..a], &raw[a..b], &raw[b..]];
        if is_request {
            let whole = request(limits, &[raw]);
            prop_assert_eq!(request(limits, &split), whole.clone());
            if let Ok(Some((req, end))) = whole {
                prop_assert_eq!(&raw[end..], b"BODY");
                prop_assert!(end <= max_header_bytes && req.headers.len() <= max_headers);
                prop_assert_eq!(req.headers.len(), fields.len());
            }
        } else {
            let whole = response(limits, &[raw]);
            prop_assert_eq!(response(limits, &split), whole.clone());
            if let Ok(Some((resp, end))) = whole {
                prop_assert_eq!(&raw[end..], b"BODY");
                prop_assert!(end <= max_header_bytes && resp.headers.len() <= max_headers);
            }
        }
    }

    #[test]
    fn prop_any_bytes_in_any_pieces_same_verdict_and_linear_work(
        input in proptest::collection::vec(any::<u8>(), 0..300),
        size in 1usize..40,
    ) {
        let limits = HeadLimits::default();
        let pieces: Vec<&[u8]> = input.chunks(size).collect();
        let mut r = RequestParser::new(limits);
        let split = run(&pieces, |b| r.feed(b));
        prop_assert!(r.work() <= 2 * input.len() as u64 + 64);
        prop_assert_eq!(split, request(limits, &[&input]));
        let mut r = ResponseParser::new(limits);
        let split = run(&pieces, |b| r.feed(b));
        prop_assert!(r.work() <= 2 * input.len() as u64 + 64);
        prop_assert_eq!(split, response(limits, &[&input]));
    }
}

#[test]
fn one_reader_for_both_start_lines() {
    let raw = b"\r\nOPTIONS * HTTP/1.0\r\nA: 1\r\na: 2\r\n\r\n";
    let (req, end) = request(HeadLimits::default(), &[raw]).unwrap().unwrap();
    assert_eq!((req.method.as_str(), req.target.as_str()), ("OPTIONS", "*"));
    assert_eq!((req.version, end), (0, raw.len()));
    // Names compare case-insensitively, values keep their order.
    assert_eq!(
        req.header_values("A").collect::<Vec<_>>(),
        [&b"1"[..], b"2"]
    );
    let (resp, _) = response(HeadLimits::default(), &[b"HTTP/1.1 204\r\n\r\n"])
        .unwrap()
        .unwrap();
    assert_eq!((resp.status, resp.reason.as_str()), (204, ""));
    // Each reader refuses the other's start line, on its first byte that cannot fit.
    let e = request(HeadLimits::default(), &[b"HTTP/1.1 200 OK\r\n\r\n"]).unwrap_err();
    assert_eq!(e.kind(), HeadErrorKind::Malformed);
    let e = response(HeadLimits::default(), &[b"GET / HTTP/1.1\r\n\r\n"]).unwrap_err();
    assert_eq!(
        (e.kind(), e.invalid_byte()),
        (HeadErrorKind::Malformed, Some((0, b'G')))
    );
}

#[test]
fn the_first_invalid_byte_is_named_with_its_offset() {
    // A NUL in a field value, fed one byte at a time: the read that delivers it fails.
    let raw = b"GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n";
    let mut r = RequestParser::default();
    let mut failed_at = None;
    for (i, b) in raw.iter().enumerate() {
        if let Err(e) = r.feed(std::slice::from_ref(b)) {
            failed_at = Some((i, e));
            break;
        }
    }
    let (i, e) = failed_at.expect("fails");
    assert_eq!(i, 23);
    assert_eq!(e.invalid_byte(), Some((23, 0)));
    assert_eq!(e.status(), Some(400));
    // The message a peer gets back is the same as without the position.
    assert!(!e.to_string().contains("23"), "{e}");
    // Limits name no byte.
    let e = request(
        HeadLimits {
            max_header_bytes: 8,
            max_headers: 1,
        },
        &[b"GET / HTTP/1.1\r\n"],
    )
    .unwrap_err();
    assert_eq!(
        (e.kind(), e.invalid_byte()),
        (HeadErrorKind::HeadTooLarge, None)
    );
}

#[test]
fn a_1_mib_header_line_fails_at_the_limit_in_any_pieces() {
    let limits = HeadLimits::default();
    let line = vec![b'a'; 1 << 20];
    for piece in [1 << 20, 4096, 1000] {
        let mut r = ResponseParser::new(limits);
        assert!(r.feed(b"HTTP/1.1 200 OK\r\nX-Big: ").unwrap().is_none());
        let mut outcome = Ok(None);
        let mut fed = 0;
        for p in line.chunks(piece) {
            outcome = r.feed(p);
            fed += p.len();
            if outcome.is_err() {
                break;
            }
        }
        let e = outcome.unwrap_err();
        assert_eq!(
            (e.kind(), e.status()),
            (HeadErrorKind::HeadTooLarge, Some(431))
        );
        // It fails on the piece that reaches the limit, having looked at no more.
        assert!(fed < limits.max_header_bytes + piece, "fed {fed}");
        assert!(
            r.work() <= limits.max_header_bytes as u64,
            "work {}",
            r.work()
        );
    }
}

#[test]
fn the_header_count_limit_fails_on_the_line_that_breaks_it() {
    let limits = HeadLimits {
        max_header_bytes: 1 << 20,
        max_headers: 3,
    };
    let ok = b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
    assert_eq!(request(limits, &[ok]).unwrap().unwrap().0.headers.len(), 3);
    let mut r = RequestParser::new(limits);
    assert!(
        r.feed(b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4")
            .unwrap()
            .is_none()
    );
    let e = r.feed(b"\r\n").unwrap_err();
    assert_eq!(e.kind(), HeadErrorKind::TooManyHeaders);
    assert_eq!(e.status(), Some(431));
}

#[test]
fn a_head_of_exactly_the_byte_limit_is_read_and_one_more_byte_is_not() {
    let raw = b"HTTP/1.1 200 OK\r\nA: b\r\n\r\n";
    let exact = HeadLimits {
        max_header_bytes: raw.len(),
        max_headers: 64,
    };
    assert_eq!(response(exact, &[raw]).unwrap().unwrap().1, raw.len());
    let short = HeadLimits {
        max_header_bytes: raw.len() - 1,
        max_headers: 64,
    };
    for at in 0..=raw.len() {
        let e = response(short, &[&raw[..at], &raw[at..]]).unwrap_err();
        assert_eq!(e.kind(), HeadErrorKind::HeadTooLarge, "split at {at}");
    }
}

#[test]
fn a_spent_reader_says_so() {
    let mut r = RequestParser::default();
    assert!(r.feed(b"GET / HTTP/1.1\r\n\r\n").unwrap().is_some());
    let e = r.feed(b"GET").unwrap_err();
    assert_eq!((e.kind(), e.status()), (HeadErrorKind::ReaderSpent, None));
}
