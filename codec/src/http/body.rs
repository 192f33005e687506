//! Which bytes after a head are its body (RFC 9112 §6.3), decided in one place
//! for every reader of HTTP/1.1 in wirecheck: the SSE observer and client read
//! a response with it, the proxy both directions of a kept-alive connection.
//!
//! Header values in, a [`Framing`] out; then transport bytes in, body bytes
//! out. Nothing is reserved by a length the peer announces: `Content-Length`
//! and chunk sizes are counted down ([`Chunked`]).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::chunked::{ChunkError, Chunked};
use super::header::{Cursor, parse_list};

/// How a message's body is delimited (RFC 9112 §6.3).
#[derive(Debug, Clone)]
pub enum Framing {
    /// `Transfer-Encoding` whose final coding is `chunked`.
    Chunked(Chunked),
    /// A length (`Content-Length`, or 0 for a message without a body): this
    /// many bytes are left.
    Length(u64),
    /// Until the sender closes the connection (a response only).
    Close,
}

/// Why a message's framing cannot be known: RFC 9112 §6.3 calls each an
/// unrecoverable error (the recipient closes the connection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FramingError {
    /// A `Content-Length` that is not `1*DIGIT` or does not fit 64 bits
    /// (RFC 9110 §8.6); the value, lossily decoded, at most 64 bytes of it.
    InvalidLength(String),
    /// `Content-Length` values that differ (RFC 9110 §8.6: a list of one
    /// repeated value may be taken as that value).
    ConflictingLengths,
    /// A request whose final transfer coding is not `chunked` (RFC 9112 §6.3
    /// item 4: the server answers 400 and closes).
    RequestNotChunked,
}

impl fmt::Display for FramingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FramingError::InvalidLength(v) => write!(
                f,
                "invalid Content-Length {v:?}: not a length (RFC 9112 §6.3: an unrecoverable framing error)"
            ),
            FramingError::ConflictingLengths => f.write_str(
                "conflicting Content-Length values (RFC 9112 §6.3: an unrecoverable framing error)",
            ),
            FramingError::RequestNotChunked => f.write_str(
                "a request whose final transfer coding is not chunked (RFC 9112 §6.3: its length cannot be known)",
            ),
        }
    }
}

/// Whether the final transfer coding of the `Transfer-Encoding` lines
/// `values` is `chunked` (`None`: the field is absent or an empty list).
/// `transfer-coding = token *( OWS ";" OWS token "=" ( token / quoted-string ) )`
/// (RFC 9112 §7): a list that does not parse has no chunked final coding.
fn final_coding_is_chunked<'a>(values: impl IntoIterator<Item = &'a [u8]>) -> Option<bool> {
    let mut last: Option<&[u8]> = None;
    for value in values {
        let parsed = parse_list(&mut Cursor::new(value), |c| {
            let name = c.token()?;
            loop {
                c.skip_ows();
                if !c.eat(b';') {
                    break;
                }
                c.skip_ows();
                c.token()?;
                if !c.eat(b'=') {
                    return Err("expected '=' in a transfer parameter");
                }
                c.param_value()?;
            }
            last = Some(name);
            Ok(())
        });
        if parsed.is_err() {
            return Some(false);
        }
    }
    last.map(|name| name.eq_ignore_ascii_case(b"chunked"))
}

/// The length the `Content-Length` lines `values` announce (RFC 9110 §8.6):
/// `Ok(None)` without one; an error for a member that is not digits or does
/// not fit 64 bits, or for members that differ.
pub fn content_length<'a>(
    values: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Option<u64>, FramingError> {
    let invalid = |value: &[u8]| {
        let shown = &value[..value.len().min(64)];
        FramingError::InvalidLength(String::from_utf8_lossy(shown).into_owned())
    };
    // A list of lengths, as some senders repeat it (RFC 9110 §8.6).
    let mut first: Option<&[u8]> = None;
    let mut differ = false;
    for value in values {
        let parsed = parse_list(&mut Cursor::new(value), |c| {
            let member = c.token()?;
            match first {
                None => first = Some(member),
                Some(f) => differ |= f != member,
            }
            Ok(())
        });
        if parsed.is_err() {
            return Err(invalid(value));
        }
    }
    let Some(first) = first else {
        return Ok(None);
    };
    // RFC 9110 §8.6: Content-Length = 1*DIGIT (no sign, no space inside).
    let n = first.iter().try_fold(0u64, |n, &b| {
        if b.is_ascii_digit() {
            n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    });
    let n = n.ok_or_else(|| invalid(first))?;
    if differ {
        return Err(FramingError::ConflictingLengths);
    }
    Ok(Some(n))
}

impl Framing {
    /// The framing of a response (RFC 9112 §6.3): no body after a HEAD
    /// request or with a 1xx, 204 or 304 status (item 1); chunked when it is
    /// the final transfer coding, else close-delimited when there is a
    /// transfer coding (item 4, which also overrides any `Content-Length`);
    /// else the `Content-Length` (items 5, 6); else close-delimited (item 7).
    pub fn response<'a>(
        status: u16,
        to_head: bool,
        transfer_encoding: impl IntoIterator<Item = &'a [u8]>,
        length: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<Framing, FramingError> {
        if to_head || status < 200 || status == 204 || status == 304 {
            return Ok(Framing::Length(0));
        }
        match final_coding_is_chunked(transfer_encoding) {
            Some(true) => return Ok(Framing::Chunked(Chunked::default())),
            Some(false) => return Ok(Framing::Close),
            None => {}
        }
        Ok(content_length(length)?.map_or(Framing::Close, Framing::Length))
    }

    /// The framing of a request (RFC 9112 §6.3): chunked when it is the final
    /// transfer coding, an error when another is (item 4); else the
    /// `Content-Length` (items 5, 6); else no body (item 7: a request is
    /// never close-delimited).
    pub fn request<'a>(
        transfer_encoding: impl IntoIterator<Item = &'a [u8]>,
        length: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<Framing, FramingError> {
        match final_coding_is_chunked(transfer_encoding) {
            Some(true) => return Ok(Framing::Chunked(Chunked::default())),
            Some(false) => return Err(FramingError::RequestNotChunked),
            None => {}
        }
        Ok(Framing::Length(content_length(length)?.unwrap_or(0)))
    }

    /// Whether the message has no body at all (a length of 0).
    pub fn is_empty(&self) -> bool {
        matches!(self, Framing::Length(0))
    }

    /// Its name in reports.
    pub fn name(&self) -> &'static str {
        match self {
            Framing::Chunked(_) => "chunked",
            Framing::Length(_) => "content-length",
            Framing::Close => "close-delimited",
        }
    }

    /// Take from `bytes` what belongs to the body, appending the body bytes
    /// to `out`: how many transport bytes it took, and whether the body is
    /// complete (its length reached, its last chunk and trailers in; never
    /// for [`Framing::Close`]). What follows a complete body is not taken.
    pub fn take(&mut self, bytes: &[u8], out: &mut Vec<u8>) -> Result<(usize, bool), ChunkError> {
        match self {
            Framing::Chunked(c) => c.decode_counted(bytes, out).map(|(done, n)| (n, done)),
            Framing::Length(left) => {
                let take = usize::try_from(*left).map_or(bytes.len(), |l| l.min(bytes.len()));
                *left -= take as u64;
                out.extend_from_slice(&bytes[..take]);
                Ok((take, *left == 0))
            }
            Framing::Close => {
                out.extend_from_slice(bytes);
                Ok((bytes.len(), false))
            }
        }
    }

    /// Whether the sender closing the connection now ends the body properly
    /// (a close-delimited body, or one already complete).
    pub fn complete_at_close(&self) -> bool {
        match self {
            Framing::Chunked(c) => c.is_done(),
            Framing::Length(left) => *left == 0,
            Framing::Close => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn response(status: u16, te: &[&str], cl: &[&str]) -> Result<&'static str, FramingError> {
        Framing::response(
            status,
            false,
            te.iter().map(|v| v.as_bytes()),
            cl.iter().map(|v| v.as_bytes()),
        )
        .map(|f| if f.is_empty() { "none" } else { f.name() })
    }

    #[test]
    fn a_response_is_framed_as_rfc9112_section_6_3_lists() {
        assert_eq!(response(200, &["chunked"], &[]), Ok("chunked"));
        assert_eq!(response(200, &["gzip, Chunked"], &[]), Ok("chunked"));
        assert_eq!(response(200, &["gzip", "chunked"], &[]), Ok("chunked"));
        assert_eq!(
            response(200, &["gzip;q=\"a, b\" , chunked"], &[]),
            Ok("chunked"),
            "a quoted parameter's comma separates nothing"
        );
        assert_eq!(response(200, &["chunked;"], &[]), Ok("close-delimited"));
        // Item 4: a final coding other than chunked is close-delimited, and a
        // transfer coding overrides Content-Length.
        assert_eq!(
            response(200, &["chunked, gzip"], &[]),
            Ok("close-delimited")
        );
        assert_eq!(response(200, &["chunked"], &["5"]), Ok("chunked"));
        assert_eq!(response(200, &[], &["3"]), Ok("content-length"));
        assert_eq!(response(200, &[], &["3, 3", "3"]), Ok("content-length"));
        assert_eq!(response(200, &[], &[]), Ok("close-delimited"));
        assert_eq!(response(200, &[], &["0"]), Ok("none"));
        for status in [101, 204, 304] {
            assert_eq!(response(status, &["chunked"], &["5"]), Ok("none"));
        }
        let after_head = Framing::response(200, true, [&b"chunked"[..]], []).unwrap();
        assert!(after_head.is_empty());
    }

    #[test]
    fn a_length_is_digits_that_fit_and_agree() {
        for bad in ["+3", "-1", "3 4", "0x10", "", "18446744073709551616", "3;x"] {
            let got = content_length([bad.as_bytes()]);
            if bad.is_empty() {
                assert_eq!(got, Ok(None));
            } else {
                assert!(
                    matches!(got, Err(FramingError::InvalidLength(_))),
                    "{bad:?}: {got:?}"
                );
            }
        }
        assert_eq!(
            content_length([&b"18446744073709551615"[..]]),
            Ok(Some(u64::MAX))
        );
        assert_eq!(
            content_length([&b"3"[..], b"4"]),
            Err(FramingError::ConflictingLengths)
        );
        let long = vec![b'x'; 1000];
        let Err(FramingError::InvalidLength(shown)) = content_length([&long[..]]) else {
            panic!("not a length");
        };
        assert_eq!(shown.len(), 64, "the value is cut in the error");
    }

    #[test]
    fn a_request_has_a_body_only_when_framed() {
        let request = |te: &[&str], cl: &[&str]| {
            Framing::request(
                te.iter().map(|v| v.as_bytes()),
                cl.iter().map(|v| v.as_bytes()),
            )
            .map(|f| if f.is_empty() { "none" } else { f.name() })
        };
        assert_eq!(request(&[], &[]), Ok("none"));
        assert_eq!(request(&[], &["12"]), Ok("content-length"));
        assert_eq!(request(&["chunked"], &["12"]), Ok("chunked"));
        assert_eq!(
            request(&["gzip"], &[]),
            Err(FramingError::RequestNotChunked)
        );
    }

    #[test]
    fn take_stops_at_the_end_of_the_body_in_any_split() {
        let wire = b"5;ext=1\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nTrailer: x\r\n\r\nNEXT";
        for size in 1..wire.len() {
            let mut f = Framing::Chunked(Chunked::default());
            let (mut out, mut taken, mut done) = (Vec::new(), 0, false);
            for piece in wire.chunks(size) {
                if done {
                    break;
                }
                let (n, d) = f.take(piece, &mut out).unwrap();
                taken += n;
                done = d;
            }
            assert!(done, "split {size}");
            assert_eq!(out, b"hello world", "split {size}");
            assert_eq!(taken, wire.len() - 4, "split {size}: NEXT is not taken");
        }
        let mut f = Framing::Length(3);
        let mut out = Vec::new();
        assert_eq!(f.take(b"abcdef", &mut out), Ok((3, true)));
        assert_eq!(out, b"abc");
        assert!(f.complete_at_close());
        let mut f = Framing::Length(3);
        assert_eq!(f.take(b"ab", &mut out), Ok((2, false)));
        assert!(!f.complete_at_close(), "a close one byte short");
        assert!(Framing::Close.complete_at_close());
    }
}
