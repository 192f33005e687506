//! Writing heads with the HTTP layer: every start line, name and value checked
//! before a byte is written (RFC 9110 §5.1, §5.5; RFC 9112 §3, §4), so no input
//! can end a line early; what is written reads back the same.

use proptest::prelude::*;
use wirecheck_codec::http::{
    InvalidField, ResponseParser, write_field, write_head, write_status_line,
};

#[test]
fn a_response_head_refuses_line_breaks_in_values() {
    for bad in ["a\r\nSet-Cookie: x", "a\nb", "a\rb", "a\0b", "a\x7fb"] {
        let mut out = b"kept".to_vec();
        assert_eq!(
            write_head(
                &mut out,
                "HTTP/1.1 200 OK",
                [("Content-Type", "text/plain"), ("X", bad)]
            ),
            Err(InvalidField::Value(1)),
            "{bad:?}"
        );
        assert_eq!(
            write_field(&mut out, "X", bad.as_bytes()),
            Err(InvalidField::Value(0))
        );
        assert_eq!(out, b"kept", "nothing written for {bad:?}");
    }
    let mut out = Vec::new();
    assert_eq!(
        write_field(&mut out, "X: y\r\nZ", b"v"),
        Err(InvalidField::Name(0))
    );
    assert_eq!(write_field(&mut out, "", b"v"), Err(InvalidField::Name(0)));
    assert!(out.is_empty());
}

#[test]
fn rfc9112_4_status_lines() {
    let mut out = Vec::new();
    write_status_line(&mut out, 200, "OK").unwrap();
    write_status_line(&mut out, 101, "Switching Protocols").unwrap();
    write_status_line(&mut out, 204, "").unwrap();
    assert_eq!(
        out,
        b"HTTP/1.1 200 OK\r\nHTTP/1.1 101 Switching Protocols\r\nHTTP/1.1 204 \r\n"
    );
    let mut out = Vec::new();
    for (status, reason) in [
        (200, "OK\r\nX: y"),
        (200, "O\nK"),
        (99, "Low"),
        (1000, "High"),
    ] {
        assert_eq!(
            write_status_line(&mut out, status, reason),
            Err(InvalidField::StartLine),
            "{status} {reason:?}"
        );
    }
    assert!(out.is_empty());
}

proptest! {
    #[test]
    fn prop_written_response_reads_back_the_same(
        status in 100u16..1000,
        reason in "[ -~\t]{0,20}",
        fields in proptest::collection::vec(("[a-zA-Z0-9!#$%&'*+.^_`|~-]{1,10}", "[!-~]([ -~\t]{0,20}[!-~])?"), 0..6),
    ) {
        let mut out = Vec::new();
        write_status_line(&mut out, status, &reason).unwrap();
        for (n, v) in &fields {
            write_field(&mut out, n, v.as_bytes()).unwrap();
        }
        out.extend_from_slice(b"\r\n");
        let parsed = ResponseParser::default().feed(&out).unwrap().expect("complete");
        prop_assert_eq!(parsed.consumed, out.len());
        prop_assert_eq!(parsed.value.status, status);
        let got: Vec<(String, Vec<u8>)> = parsed.value.headers.into_iter().map(|h| (h.name, h.value)).collect();
        let want: Vec<(String, Vec<u8>)> = fields.into_iter().map(|(n, v)| (n, v.into_bytes())).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn prop_write_never_emits_a_line_break_inside_a_field(
        name in "[ -~\r\n\x00]{0,10}",
        value in "[ -~\r\n\x00\t]{0,20}",
    ) {
        let mut out = Vec::new();
        match write_field(&mut out, &name, value.as_bytes()) {
            Ok(()) => {
                // One line: CRLF only at its end.
                prop_assert!(out.ends_with(b"\r\n"));
                let body = &out[..out.len() - 2];
                prop_assert!(!body.contains(&b'\r') && !body.contains(&b'\n') && !body.contains(&0));
            }
            Err(_) => prop_assert!(out.is_empty()),
        }
    }
}
