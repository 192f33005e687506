//! Writing message heads: a start line and header fields, each checked before
//! a byte is written, so no caller-supplied name or value can end a line early
//! and inject a header or a body (RFC 9110 §5.1: a field name is a token; §5.5:
//! a field value holds no CR, LF or NUL).

use alloc::vec::Vec;
use core::fmt;

use super::header::{is_field_value, is_token};

/// A start line or header field that would break the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidField {
    /// The start line holds a control byte (a line break above all).
    StartLine,
    /// This header (by position) has a name that is not a token.
    Name(usize),
    /// This header (by position) has a value with a control byte.
    Value(usize),
}

impl fmt::Display for InvalidField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidField::StartLine => f.write_str("start line with a control byte (RFC 9112 §3)"),
            InvalidField::Name(i) => write!(f, "header {i}: name is not a token (RFC 9110 §5.1)"),
            InvalidField::Value(i) => {
                write!(f, "header {i}: value with a control byte (RFC 9110 §5.5)")
            }
        }
    }
}

/// Append a status line, `HTTP/1.1 SP status-code SP reason-phrase CRLF`
/// (RFC 9112 §4), for a response head written field by field after it with
/// [`write_field`]. Nothing is appended unless the code is three digits
/// (RFC 9112 §4 `status-code = 3DIGIT`, RFC 9110 §15: 100 and up) and the
/// reason phrase is `*( HTAB / SP / VCHAR / obs-text )`: no line break.
pub fn write_status_line(out: &mut Vec<u8>, status: u16, reason: &str) -> Result<(), InvalidField> {
    if !(100..=999).contains(&status) || !is_field_value(reason.as_bytes()) {
        return Err(InvalidField::StartLine);
    }
    let mut digits = [0u8; 3];
    let mut n = status;
    for d in digits.iter_mut().rev() {
        // Three digits: `status` is below 1000.
        *d = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(&digits);
    out.push(b' ');
    out.extend_from_slice(reason.as_bytes());
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// Append one header field, `name: value CRLF`, for a head written field by
/// field: nothing is appended unless the name is a token and the value holds
/// no control byte (RFC 9110 §5.1, §5.5).
pub fn write_field(out: &mut Vec<u8>, name: &str, value: &[u8]) -> Result<(), InvalidField> {
    if !is_token(name.as_bytes()) {
        return Err(InvalidField::Name(0));
    }
    if !is_field_value(value) {
        return Err(InvalidField::Value(0));
    }
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// Append `start_line CRLF`, then `name: value CRLF` per header, then the empty
/// line (RFC 9112 §2.1). Nothing is appended unless every part is valid.
pub fn write_head<'a>(
    out: &mut Vec<u8>,
    start_line: &str,
    headers: impl IntoIterator<Item = (&'a str, &'a str)> + Clone,
) -> Result<(), InvalidField> {
    if start_line.bytes().any(|b| b.is_ascii_control()) {
        return Err(InvalidField::StartLine);
    }
    for (i, (name, value)) in headers.clone().into_iter().enumerate() {
        if !is_token(name.as_bytes()) {
            return Err(InvalidField::Name(i));
        }
        if !is_field_value(value.as_bytes()) {
            return Err(InvalidField::Value(i));
        }
    }
    out.extend_from_slice(start_line.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    Ok(())
}
