//! The HTTP/1.1 layer: heads read incrementally and bounded, the chunked
//! coding, and head writing.

use proptest::prelude::*;
use wirecheck_codec::http::chunked::MAX_CHUNK_LINE;
use wirecheck_codec::http::{
    ChunkError, Chunked, HeadErrorKind, HeadLimits, InvalidField, RequestParser, ResponseParser,
    list_elements, token_list, write_head,
};

/// Feed `pieces` to a response reader: the outcome (status, header count, where
/// the head ended in the whole input) or the error kind.
fn read(pieces: &[&[u8]]) -> Result<Option<(u16, usize, usize)>, HeadErrorKind> {
    let mut r = ResponseParser::default();
    let mut offset = 0;
    for piece in pieces {
        match r.feed(piece) {
            Ok(None) => offset += piece.len(),
            Ok(Some(p)) => {
                return Ok(Some((
                    p.value.status,
                    p.value.headers.len(),
                    offset + p.consumed,
                )));
            }
            Err(e) => return Err(e.kind()),
        }
    }
    Ok(None)
}

proptest! {
    #[test]
    fn prop_head_split_anywhere_same_result(
        a in 0usize..80,
        b in 0usize..80,
        garbage in any::<bool>(),
    ) {
        let mut raw = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX: y\r\n\r\nBODY".to_vec();
        if garbage {
            raw[20] = 0x01;
        }
        let (a, b) = (a.min(raw.len()), b.min(raw.len()));
        let (a, b) = (a.min(b), a.max(b));
        let whole = read(&[&raw]);
        prop_assert_eq!(read(&[&raw[..a], &raw[a..b], &raw[b..]]), whole);
        if garbage {
            prop_assert_eq!(whole, Err(HeadErrorKind::Malformed));
        } else {
            prop_assert_eq!(whole, Ok(Some((200, 2, raw.len() - 4))));
        }
    }

    #[test]
    fn prop_chunked_decodes_the_same_in_any_pieces(size in 1usize..40) {
        let wire = b"5;ext=1\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nTrailer: x\r\n\r\nGARBAGE";
        let mut c = Chunked::default();
        let mut out = Vec::new();
        let mut done = false;
        for piece in wire.chunks(size) {
            done = c.decode(piece, &mut out).expect("valid");
            if done {
                break;
            }
        }
        prop_assert!(done && c.is_done());
        prop_assert_eq!(out, b"hello world".to_vec());
    }
}

#[test]
fn a_huge_header_line_fails_at_the_limit_before_it_is_kept() {
    let mut r = RequestParser::new(HeadLimits {
        max_header_bytes: 16 * 1024,
        max_headers: 64,
    });
    assert!(r.feed(b"GET / HTTP/1.1\r\nX: ").unwrap().is_none());
    let line = vec![b'a'; 1 << 20];
    let e = r.feed(&line).unwrap_err();
    assert_eq!(e.kind(), HeadErrorKind::HeadTooLarge);
    assert_eq!(e.status(), Some(431));
    // Only the bytes up to the limit were looked at, not the megabyte.
    assert!(r.work() <= 16 * 1024, "{}", r.work());
}

#[test]
fn a_first_invalid_byte_fails_on_the_read_that_delivers_it() {
    // A TLS ClientHello on a plain port: its first byte is 0x16.
    let mut r = RequestParser::default();
    let e = r.feed(&[0x16, 0x03, 0x01]).unwrap_err();
    assert_eq!(
        (e.kind(), e.status()),
        (HeadErrorKind::Malformed, Some(400))
    );
    assert!(e.to_string().contains("RFC 9112"), "{e}");
}

#[test]
fn rfc9112_7_1_chunk_errors() {
    let decode = |wire: &[u8]| Chunked::default().decode(wire, &mut Vec::new());
    // A size that does not fit 64 bits.
    assert!(matches!(
        decode(b"ffffffffffffffffff\r\n"),
        Err(ChunkError::BadSize(_))
    ));
    assert!(matches!(decode(b"zz\r\n"), Err(ChunkError::BadSize(_))));
    // Data not followed by CRLF.
    assert_eq!(decode(b"1\r\naXY"), Err(ChunkError::MissingCrlf));
    // A size line that never ends fails at the bound.
    assert_eq!(
        decode(&vec![b'1'; MAX_CHUNK_LINE + 1]),
        Err(ChunkError::LineTooLong)
    );
    // Trailers are skipped until the empty line.
    let mut out = Vec::new();
    let mut c = Chunked::default();
    assert_eq!(c.decode(b"0\r\nA: b\r\nC: d\r\n", &mut out), Ok(false));
    assert_eq!(c.decode(b"\r\n", &mut out), Ok(true));
    assert!(out.is_empty());
}

#[test]
fn write_head_refuses_line_breaks_and_writes_nothing_then() {
    let mut out = Vec::new();
    assert_eq!(
        write_head(&mut out, "GET / HTTP/1.1", [("X", "a\r\nInjected: yes")]),
        Err(InvalidField::Value(0))
    );
    assert_eq!(
        write_head(
            &mut out,
            "GET / HTTP/1.1",
            [("Host", "h"), ("Bad Name", "v")]
        ),
        Err(InvalidField::Name(1))
    );
    assert_eq!(
        write_head(&mut out, "GET /\r\nX: y HTTP/1.1", [("Host", "h")]),
        Err(InvalidField::StartLine)
    );
    assert!(out.is_empty());
    write_head(&mut out, "GET / HTTP/1.1", [("Host", "h"), ("A", "b")]).unwrap();
    assert_eq!(out, b"GET / HTTP/1.1\r\nHost: h\r\nA: b\r\n\r\n");
    // What it writes, the reader reads back.
    let parsed = RequestParser::default().feed(&out).unwrap().unwrap();
    assert_eq!(parsed.value.header_values("a").next(), Some(&b"b"[..]));
}

#[test]
fn rfc9110_5_6_1_list_elements_keep_quoted_commas_and_refuse_what_is_not_a_list() {
    let lines: [&[u8]; 2] = [b"no-cache, private=\"a, no-store\"", b" , max-age=0,"];
    let elements = list_elements(lines).unwrap();
    assert_eq!(
        elements,
        [&b"no-cache"[..], b"private=\"a, no-store\"", b"max-age=0"]
    );
    assert!(list_elements([&b""[..]]).unwrap().is_empty());
    // An escaped quote does not end the string; tabs are whitespace (OWS).
    let escaped: [&[u8]; 1] = [b"a=\"x\\\", no-cache\",\tb"];
    assert_eq!(
        list_elements(escaped).unwrap(),
        [&b"a=\"x\\\", no-cache\""[..], b"b"]
    );
    // Not a token, an unfinished quoted string, a space inside an element, a
    // second `=`.
    for bad in [
        &b"no-cache, @"[..],
        b"private=\"a, b",
        b"no cache",
        b"a=b=c",
    ] {
        assert!(
            list_elements([bad]).is_err(),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
    // A `#token` list (field names, content codings) has no `=value`.
    assert_eq!(
        token_list([&b"Last-Event-ID, *"[..], b" gzip"]).unwrap(),
        [&b"Last-Event-ID"[..], b"*", b"gzip"]
    );
    assert!(token_list([&b"foo=bar, Last-Event-ID"[..]]).is_err());
}
