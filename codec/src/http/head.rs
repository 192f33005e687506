//! The incremental syntax check of an HTTP/1.1 message head, one byte at a time.
//!
//! Why a state machine of its own in front of httparse: httparse parses a complete
//! buffer, so it can only say "invalid" once it is handed the bytes up to the
//! problem, and calling it after every read re-parses everything received so far
//! (quadratic under a trickle, tungstenite's CVE-2023-43669). A server that only
//! runs it once the head is over waits for the end of a head that can never be
//! valid: a TLS ClientHello sent to a plain port (first byte 0x16) sat until the
//! 5 s head timeout. [`HeadValidator`] keeps its place between reads (one small
//! `State`, no buffer of its own), looks at each byte exactly once, and fails on the
//! first byte that no valid head can contain, so the caller answers 400 at once.
//! It also tells where lines and the head end, which is all the scanner in
//! [`scan`](super::scan) needs to enforce the limits and to stop at the end of
//! the head; httparse still builds the parsed head, once, over the complete bytes.
//!
//! The grammar is RFC 9112's (§2.1 message, §3 request-line, §4 status-line, §5
//! field lines) restricted to what httparse 1.x accepts with its default
//! configuration, so a complete head gets the same verdict as before this check
//! existed (no head that httparse accepts is refused here, and every head httparse
//! refuses is refused here at the latest at its end). The choices where RFC 9112
//! leaves room, all as httparse does them:
//!
//! * A bare LF ends a line like CRLF does (§2.2: "a recipient MAY recognize a single
//!   LF as a line terminator"); a bare CR is refused (§2.2).
//! * Empty lines before the start line are skipped (§2.2: "SHOULD ignore at least
//!   one empty line (CRLF) received prior to the request-line").
//! * obs-fold (a field line that starts with SP or HTAB) is refused with 400 (§5.2),
//!   which also covers whitespace before the first field line (§2.2).
//! * The request-target is visible ASCII or UTF-8 (httparse accepts UTF-8 paths),
//!   checked byte by byte: a byte that breaks UTF-8 fails where it arrives.
//! * The version is `HTTP/1.0` or `HTTP/1.1`: other versions are valid grammar
//!   (§2.3) but no HTTP/1 parser here reads them, so they fail at the first digit
//!   that rules out 1.0 and 1.1.
//! * A status line may end right after the code (no SP, no reason phrase), and the
//!   reason phrase may hold obs-text (§4).
//! * A field value may hold obs-text (RFC 9110 §5.5); any other control byte but
//!   HTAB (NUL, DEL included) is refused.

use super::error::{HeadError, HeadErrorKind};
use super::header::is_tchar;

/// Which start line the head begins with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StartLine {
    /// `method SP request-target SP HTTP-version` (RFC 9112 §3): a server reads it.
    Request,
    /// `HTTP-version SP status-code [SP reason-phrase]` (RFC 9112 §4): a client reads it.
    Status,
}

/// What a byte did, besides being valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Nothing to report: the byte belongs to the current line.
    Byte,
    /// The byte ended the start line or a field line.
    LineEnd,
    /// The byte ended the empty line that ends the head: the head is complete.
    HeadEnd,
}

/// Where the validator is: the position in the grammar before the next byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the start line, where empty lines are skipped (RFC 9112 §2.2).
    Leading,
    /// After a CR before the start line: only LF may follow.
    LeadingCr,
    /// Request line: in the method; `empty` while no tchar has been seen.
    Method {
        /// No byte of the method yet.
        empty: bool,
    },
    /// Request line: in the request-target.
    Target {
        /// No byte of the target yet.
        empty: bool,
        /// UTF-8 continuation bytes still due, and the range the next one must be in.
        utf8: Utf8,
    },
    /// In `HTTP/1.x`: this many bytes of it matched.
    Version(u8),
    /// Request line: after the version, where only the line end may follow.
    RequestLineEnd,
    /// Status line: `Code(0)` before the SP after the version, `Code(n)` after the
    /// SP and `n - 1` digits of the code.
    Code(u8),
    /// Status line: after the three digits, where SP or the line end may follow.
    AfterCode,
    /// Status line: in the reason phrase.
    Reason,
    /// After a CR that must be followed by LF, ending a non-empty line.
    LineCr,
    /// At the start of a field line or of the empty line ending the head.
    LineStart,
    /// After a CR at the start of a line: only LF (the end of the head) may follow.
    EndCr,
    /// In a field name, at least one tchar seen.
    Name,
    /// After the colon (and any OWS): the value may start or the line end.
    Value,
    /// The head is complete; no further byte is the head's.
    Done,
}

/// The UTF-8 bytes still expected inside a request-target (RFC 3629 §4 table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Utf8 {
    /// Continuation bytes still due.
    due: u8,
    /// The lowest byte the next continuation may be.
    lo: u8,
    /// The highest byte the next continuation may be.
    hi: u8,
}

impl Utf8 {
    /// Between characters.
    const IDLE: Utf8 = Utf8 {
        due: 0,
        lo: 0x80,
        hi: 0xbf,
    };

    /// Takes one byte ≥ 0x80; `None` if it cannot continue valid UTF-8.
    fn step(self, b: u8) -> Option<Utf8> {
        let cont = |due, lo, hi| Some(Utf8 { due, lo, hi });
        if self.due > 0 {
            return (self.lo..=self.hi).contains(&b).then_some(Utf8 {
                due: self.due - 1,
                ..Self::IDLE
            });
        }
        match b {
            0xc2..=0xdf => cont(1, 0x80, 0xbf),
            0xe0 => cont(2, 0xa0, 0xbf),
            0xe1..=0xec | 0xee..=0xef => cont(2, 0x80, 0xbf),
            0xed => cont(2, 0x80, 0x9f),
            0xf0 => cont(3, 0x90, 0xbf),
            0xf1..=0xf3 => cont(3, 0x80, 0xbf),
            0xf4 => cont(3, 0x80, 0x8f),
            _ => None,
        }
    }
}

/// The incremental head checker shared by the request and response parsers.
#[derive(Debug, Clone)]
pub(crate) struct HeadValidator {
    /// Request line or status line first.
    start: StartLine,
    /// The position in the grammar.
    state: State,
}

/// `HTTP/1.` followed by `0` or `1`: the only versions httparse reads.
const VERSION: &[u8; 7] = b"HTTP/1.";

/// A 400 for a head that breaks `rule` (RFC 9112 unless said otherwise).
const fn malformed(detail: &'static str, rule: &'static str) -> HeadError {
    HeadError::with_rule(HeadErrorKind::Malformed, detail, rule)
}

const BARE_CR: HeadError = malformed("bare CR not followed by LF", "RFC 9112 §2.2");

/// Whether `b` may appear in a field value or reason phrase: HTAB, SP, VCHAR,
/// obs-text (RFC 9110 §5.5 field-vchar; RFC 9112 §4 reason-phrase).
const fn is_text(b: u8) -> bool {
    b == b'\t' || (b >= 0x20 && b != 0x7f)
}

impl HeadValidator {
    /// A validator at the start of a head.
    pub(crate) fn new(start: StartLine) -> Self {
        HeadValidator {
            start,
            state: State::Leading,
        }
    }

    /// Checks the next byte. An error means no head that starts with the bytes seen
    /// so far is valid; the validator must not be fed after an error or `HeadEnd`.
    pub(crate) fn step(&mut self, b: u8) -> Result<Step, HeadError> {
        use State::*;
        let (next, step) = match self.state {
            // RFC 9112 §2.2: empty lines before the start line are ignored.
            Leading => match b {
                b'\r' => (LeadingCr, Step::Byte),
                b'\n' => (Leading, Step::Byte),
                _ => return self.start_line(b),
            },
            LeadingCr if b == b'\n' => (Leading, Step::Byte),
            LeadingCr => return Err(BARE_CR),
            // RFC 9112 §3: request-line = method SP request-target SP HTTP-version;
            // RFC 9110 §9.1: method = token; §5.6.2: token = 1*tchar.
            Method { .. } if is_tchar(b) => (Method { empty: false }, Step::Byte),
            Method { empty: false } if b == b' ' => (
                Target {
                    empty: true,
                    utf8: Utf8::IDLE,
                },
                Step::Byte,
            ),
            Method { empty: true } if b == b' ' => {
                return Err(malformed("empty method", "RFC 9112 §3, RFC 9110 §9.1"));
            }
            Method { .. } => {
                return Err(malformed(
                    "method byte is not a tchar",
                    "RFC 9112 §3, RFC 9110 §5.6.2",
                ));
            }
            // RFC 9112 §3.2: the request-target is visible characters (no SP, no CTL);
            // beyond ASCII only UTF-8 is read (httparse hands it out as a &str).
            Target { empty, utf8 } => match b {
                b' ' if empty => {
                    return Err(malformed("empty request-target", "RFC 9112 §3.2"));
                }
                b' ' if utf8.due > 0 => {
                    return Err(malformed(
                        "request-target is not UTF-8",
                        "RFC 9112 §3.2, RFC 3629",
                    ));
                }
                b' ' => (Version(0), Step::Byte),
                0x80.. => match utf8.step(b) {
                    Some(utf8) => (Target { empty: false, utf8 }, Step::Byte),
                    None => {
                        return Err(malformed(
                            "request-target is not UTF-8",
                            "RFC 9112 §3.2, RFC 3629",
                        ));
                    }
                },
                0x21..=0x7e if utf8.due == 0 => (Target { empty: false, utf8 }, Step::Byte),
                0x21..=0x7e => {
                    return Err(malformed(
                        "request-target is not UTF-8",
                        "RFC 9112 §3.2, RFC 3629",
                    ));
                }
                _ => {
                    return Err(malformed("control byte in request-target", "RFC 9112 §3.2"));
                }
            },
            // RFC 9112 §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT; of those httparse
            // reads 1.0 and 1.1 only.
            Version(n) if (n as usize) < VERSION.len() => {
                if b == VERSION[n as usize] {
                    (Version(n + 1), Step::Byte)
                } else {
                    return Err(malformed(
                        "HTTP-version is not HTTP/1.0 or HTTP/1.1",
                        "RFC 9112 §2.3",
                    ));
                }
            }
            Version(_) if matches!(b, b'0' | b'1') => match self.start {
                StartLine::Request => (RequestLineEnd, Step::Byte),
                StartLine::Status => (Code(0), Step::Byte),
            },
            Version(_) => {
                return Err(malformed(
                    "HTTP-version is not HTTP/1.0 or HTTP/1.1",
                    "RFC 9112 §2.3",
                ));
            }
            // RFC 9112 §3: the request line ends with the version and CRLF (§2.2: or
            // a bare LF).
            RequestLineEnd => match b {
                b'\r' => (LineCr, Step::Byte),
                b'\n' => (LineStart, Step::LineEnd),
                _ => {
                    return Err(malformed(
                        "request-line does not end after HTTP-version",
                        "RFC 9112 §3",
                    ));
                }
            },
            // RFC 9112 §4: status-line = HTTP-version SP status-code SP [reason-phrase];
            // status-code = 3DIGIT.
            Code(0) if b != b' ' => {
                return Err(malformed("no SP after HTTP-version", "RFC 9112 §4"));
            }
            Code(n) if n > 0 && !b.is_ascii_digit() => {
                return Err(malformed("status-code is not 3 digits", "RFC 9112 §4"));
            }
            Code(3) => (AfterCode, Step::Byte),
            Code(n) => (Code(n + 1), Step::Byte),
            // httparse also reads a status line that ends right after the code.
            AfterCode => match b {
                b' ' => (Reason, Step::Byte),
                b'\r' => (LineCr, Step::Byte),
                b'\n' => (LineStart, Step::LineEnd),
                _ => return Err(malformed("status-code is not 3 digits", "RFC 9112 §4")),
            },
            // RFC 9112 §4: reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ).
            Reason => match b {
                b'\r' => (LineCr, Step::Byte),
                b'\n' => (LineStart, Step::LineEnd),
                _ if is_text(b) => (Reason, Step::Byte),
                _ => {
                    return Err(malformed("control byte in reason-phrase", "RFC 9112 §4"));
                }
            },
            // RFC 9112 §2.2: a CR is only valid as part of CRLF.
            LineCr if b == b'\n' => (LineStart, Step::LineEnd),
            EndCr if b == b'\n' => (Done, Step::HeadEnd),
            LineCr | EndCr => return Err(BARE_CR),
            // RFC 9112 §2.1: *( field-line CRLF ) CRLF.
            LineStart => match b {
                b'\r' => (EndCr, Step::Byte),
                b'\n' => (Done, Step::HeadEnd),
                // RFC 9112 §5.2: obs-fold; a server "MUST either reject the message by
                // sending a 400 (Bad Request) ... or replace each received obs-fold";
                // §2.2 likewise for whitespace before the first field line.
                b' ' | b'\t' => {
                    return Err(malformed(
                        "obs-fold: field line starts with whitespace",
                        "RFC 9112 §5.2",
                    ));
                }
                _ if is_tchar(b) => (Name, Step::Byte),
                _ => {
                    return Err(malformed(
                        "field-name byte is not a tchar",
                        "RFC 9112 §5, RFC 9110 §5.6.2",
                    ));
                }
            },
            // RFC 9112 §5: field-line = field-name ":" OWS field-value OWS.
            Name => match b {
                b':' => (Value, Step::Byte),
                _ if is_tchar(b) => (Name, Step::Byte),
                // RFC 9112 §5.1: "No whitespace is allowed between the field name and
                // colon ... A server MUST reject ... with a response status code of
                // 400 (Bad Request)".
                b' ' | b'\t' => {
                    return Err(malformed(
                        "whitespace after field name, where the colon must be",
                        "RFC 9112 §5.1",
                    ));
                }
                b'\r' | b'\n' => {
                    return Err(malformed("field line without a colon", "RFC 9112 §5"));
                }
                _ => {
                    return Err(malformed(
                        "field-name byte is not a tchar",
                        "RFC 9112 §5, RFC 9110 §5.6.2",
                    ));
                }
            },
            // RFC 9110 §5.5: field-value = *field-content, field-vchar = VCHAR /
            // obs-text, plus SP and HTAB inside; no other CTL (NUL included).
            Value => match b {
                b'\r' => (LineCr, Step::Byte),
                b'\n' => (LineStart, Step::LineEnd),
                _ if is_text(b) => (Value, Step::Byte),
                _ => {
                    return Err(malformed("control byte in field value", "RFC 9110 §5.5"));
                }
            },
            Done => return Ok(Step::HeadEnd),
        };
        self.state = next;
        Ok(step)
    }

    /// The first byte of the start line.
    fn start_line(&mut self, b: u8) -> Result<Step, HeadError> {
        self.state = match self.start {
            StartLine::Request => State::Method { empty: true },
            StartLine::Status => State::Version(0),
        };
        self.step(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    /// Feeds `bytes`; the index of the failing byte, or the steps seen.
    fn run(start: StartLine, bytes: &[u8]) -> Result<Vec<Step>, usize> {
        let mut v = HeadValidator::new(start);
        let mut steps = Vec::new();
        for (i, &b) in bytes.iter().enumerate() {
            match v.step(b) {
                Ok(Step::HeadEnd) => {
                    steps.push(Step::HeadEnd);
                    return Ok(steps);
                }
                Ok(s) => steps.push(s),
                Err(_) => return Err(i),
            }
        }
        Ok(steps)
    }

    fn head_end(start: StartLine, bytes: &[u8]) -> Option<usize> {
        run(start, bytes)
            .ok()
            .and_then(|s| (s.last() == Some(&Step::HeadEnd)).then_some(s.len()))
    }

    #[test]
    fn lines_and_head_end_are_reported() {
        let head = b"\r\nGET / HTTP/1.1\r\nA: b\nC:\r\n\r\nrest";
        let steps = run(StartLine::Request, head).unwrap();
        assert_eq!(steps.len(), head.len() - 4);
        let ends = steps.iter().filter(|s| **s == Step::LineEnd).count();
        assert_eq!(ends, 3);
        assert_eq!(
            head_end(StartLine::Status, b"HTTP/1.1 101\nA: b\n\n"),
            Some(19)
        );
        assert_eq!(
            head_end(StartLine::Status, b"HTTP/1.0 200 OK \xff\t\r\n\r\n"),
            Some(22)
        );
    }

    #[test]
    fn first_invalid_byte_is_reported() {
        use StartLine::{Request as Q, Status as S};
        for (start, bytes, at) in [
            (Q, &b"\x16\x03\x01\x02\x00"[..], 0),
            (Q, b" GET", 0),
            (Q, b"GET  /", 4),
            (Q, b"GET /\x7f", 5),
            (Q, b"GET /\xc3\x28", 6),
            (Q, b"GET /\xc3 ", 6),
            (Q, b"GET / HTTP/2", 11),
            (Q, b"GET / HTTP/1.2", 13),
            (Q, b"GET / HTTP/1.1 ", 14),
            (Q, b"GET / HTTP/1.1\r\r", 15),
            (Q, b"\r\r", 1),
            (Q, b"GET / HTTP/1.1\n A: b", 15),
            (Q, b"GET / HTTP/1.1\nA : b", 16),
            (Q, b"GET / HTTP/1.1\nA\n", 16),
            (Q, b"GET / HTTP/1.1\nA: \x00", 18),
            (Q, b"GET / HTTP/1.1\nA: b\rc", 20),
            (Q, b"GET / HTTP/1.1\nA: b\r\n\rx", 22),
            (S, b"HTTP/1.1  101", 9),
            (S, b"HTTP/1.1 1a", 10),
            (S, b"HTTP/1.1 1011", 12),
            (S, b"HTTP/1.1 101 OK\x01", 15),
            (S, b"GET", 0),
        ] {
            assert_eq!(run(start, bytes), Err(at), "{:?}", bytes.escape_ascii());
        }
    }

    // ---- through the parsers: the error arrives with the byte ----

    use crate::http::{HeadLimits, Parsed, Request, RequestParser, Response, ResponseParser};
    use alloc::format;
    use alloc::string::{String, ToString};
    use alloc::vec;
    use proptest::prelude::*;

    /// What feeding a parser produced, owned: `Ok(Some((head, consumed)))`.
    type Outcome<T> = Result<Option<(T, usize)>, HeadError>;

    /// Limits far above any test input, so only the syntax decides.
    const ROOMY: HeadLimits = HeadLimits {
        max_header_bytes: 1 << 16,
        max_headers: 1 << 10,
    };

    /// Feeds `pieces` in turn; the outcome and the index of the piece that gave it.
    fn feed_request(pieces: &[&[u8]]) -> (Outcome<Request>, usize) {
        let mut p = RequestParser::new(ROOMY);
        for (i, piece) in pieces.iter().enumerate() {
            match p.feed(piece) {
                Ok(None) => {}
                Ok(Some(Parsed { value, consumed })) => return (Ok(Some((value, consumed))), i),
                Err(e) => return (Err(e), i),
            }
        }
        (Ok(None), pieces.len())
    }

    fn feed_response(pieces: &[&[u8]]) -> (Outcome<Response>, usize) {
        let mut p = ResponseParser::new(ROOMY);
        for (i, piece) in pieces.iter().enumerate() {
            match p.feed(piece) {
                Ok(None) => {}
                Ok(Some(Parsed { value, consumed })) => return (Ok(Some((value, consumed))), i),
                Err(e) => return (Err(e), i),
            }
        }
        (Ok(None), pieces.len())
    }

    fn bytewise(input: &[u8]) -> Vec<&[u8]> {
        input.chunks(1).collect()
    }

    /// Each kind of bad byte, fed one byte at a time: every feed before it is
    /// `Ok(None)`, the feed holding it is a 400 naming the rule. The bad byte is the
    /// last of each input, so nothing after it could have been waited for.
    #[test]
    fn each_bad_byte_fails_on_the_feed_that_holds_it() {
        const HEAD: &str = "GET /chat HTTP/1.1\r\nHost: h\r\n";
        let cases: &[(&str, String, &str)] = &[
            (
                "TLS ClientHello",
                "\x16".into(),
                "RFC 9112 §3, RFC 9110 §5.6.2",
            ),
            (
                "bad method char",
                "GE(".into(),
                "RFC 9112 §3, RFC 9110 §5.6.2",
            ),
            ("CTL in target", "GET /a\x01".into(), "RFC 9112 §3.2"),
            ("DEL in target", "GET /a\x7f".into(), "RFC 9112 §3.2"),
            ("bad version", "GET / HTTQ".into(), "RFC 9112 §2.3"),
            ("HTTP/2.0", "GET / HTTP/2".into(), "RFC 9112 §2.3"),
            (
                "space before colon",
                format!("{HEAD}Upgrade "),
                "RFC 9112 §5.1",
            ),
            (
                "tab before colon",
                format!("{HEAD}Upgrade\t"),
                "RFC 9112 §5.1",
            ),
            ("obs-fold", format!("{HEAD}A: b\r\n "), "RFC 9112 §5.2"),
            ("obs-fold with HTAB", format!("{HEAD}\t"), "RFC 9112 §5.2"),
            (
                "bare CR in request line",
                "GET / HTTP/1.1\rX".into(),
                "RFC 9112 §2.2",
            ),
            (
                "bare CR in value",
                format!("{HEAD}A: b\rc"),
                "RFC 9112 §2.2",
            ),
            (
                "bare CR ending the head",
                format!("{HEAD}\rx"),
                "RFC 9112 §2.2",
            ),
            ("CTL in value", format!("{HEAD}A: b\x1b"), "RFC 9110 §5.5"),
            ("NUL in value", format!("{HEAD}A: \0"), "RFC 9110 §5.5"),
            (
                "NUL in name",
                format!("{HEAD}A\0"),
                "RFC 9112 §5, RFC 9110 §5.6.2",
            ),
            (
                "line without colon",
                format!("{HEAD}Upgrade\r"),
                "RFC 9112 §5",
            ),
        ];
        for (name, input, rule) in cases {
            let input = input.as_bytes();
            let (out, at) = feed_request(&bytewise(input));
            let e = out.expect_err(name);
            assert_eq!(at, input.len() - 1, "{name}: failed on the wrong feed");
            assert_eq!(e.kind(), HeadErrorKind::Malformed, "{name}");
            assert_eq!(e.status(), Some(400), "{name}");
            assert_eq!(e.rule(), *rule, "{name}");
            let line = e.to_string();
            assert!(
                !line.contains('\n') && line.ends_with(&format!("({rule})")),
                "{line}"
            );
        }
    }

    /// The TLS ClientHello of the bug report, in one read: refused on its first byte.
    #[test]
    fn tls_client_hello_is_refused_at_once() {
        let hello = [
            0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
        ];
        let mut p = RequestParser::default();
        let e = p.feed(&hello).unwrap_err();
        assert_eq!(e.status(), Some(400));
        assert_eq!(p.work(), 1, "only the first byte was looked at");
        let mut p = ResponseParser::default();
        assert_eq!(p.feed(&hello).unwrap_err().status(), Some(400));
    }

    #[test]
    fn status_line_bad_bytes_fail_on_their_feed() {
        for (input, rule) in [
            (&b"HTTP/1.1 1x"[..], "RFC 9112 §4"),
            (b"HTTP/1.1  ", "RFC 9112 §4"),
            (b"HTTP/1.1\t", "RFC 9112 §4"),
            (b"HTTP/1.1 101 Switching\x00", "RFC 9112 §4"),
            (b"HTTP/1.1 101 OK\r\nUpgrade ", "RFC 9112 §5.1"),
            (b"HTTP/1.1 101 OK\r\nA: b\r\n\t", "RFC 9112 §5.2"),
            (b"HTTP/1.1 101 OK\r\nA: b\x7f", "RFC 9110 §5.5"),
            (b"HTTP/1.1 101\rx", "RFC 9112 §2.2"),
            (b"\x16", "RFC 9112 §2.3"),
        ] {
            let (out, at) = feed_response(&bytewise(input));
            let e = out.unwrap_err();
            assert_eq!(at, input.len() - 1, "{:?}", input.escape_ascii());
            assert_eq!(e.kind(), HeadErrorKind::Malformed);
            assert_eq!(e.rule(), rule, "{:?}", input.escape_ascii());
        }
    }

    /// Bare LF endings are kept as httparse reads them (RFC 9112 §2.2 MAY).
    #[test]
    fn bare_lf_heads_are_accepted_by_both_parsers() {
        let (req, _) = feed_request(&[b"\nGET / HTTP/1.1\nHost: h\n\n"]);
        assert_eq!(req.unwrap().unwrap().0.headers.len(), 1);
        let (resp, _) = feed_response(&[b"HTTP/1.1 101 Switching Protocols\nA: b\r\n\n"]);
        assert_eq!(resp.unwrap().unwrap().0.status, 101);
    }

    /// Both parsers, fed a 64 KiB head one byte per call, look at each byte once
    /// plus the one httparse pass: work stays within twice the input.
    #[test]
    fn work_is_linear_under_1_byte_feeds() {
        let mut fields = String::new();
        let mut n = 0;
        while fields.len() < 1 << 16 {
            fields.push_str(&format!("X-F{n}: {}\r\n", "v".repeat(n % 200)));
            n += 1;
        }
        let limits = HeadLimits {
            max_header_bytes: 1 << 17,
            max_headers: n,
        };
        let request = format!("GET / HTTP/1.1\r\n{fields}\r\n").into_bytes();
        let mut p = RequestParser::new(limits);
        let done = request
            .iter()
            .filter_map(|b| p.feed(&[*b]).unwrap())
            .count();
        assert_eq!(done, 1);
        assert!(p.work() <= 2 * request.len() as u64, "{}", p.work());
        let response = format!("HTTP/1.1 101 Switching Protocols\r\n{fields}\r\n").into_bytes();
        let mut p = ResponseParser::new(limits);
        let done = response
            .iter()
            .filter_map(|b| p.feed(&[*b]).unwrap())
            .count();
        assert_eq!(done, 1);
        assert!(p.work() <= 2 * response.len() as u64, "{}", p.work());
        // A refused head costs the bytes up to the bad one, and no httparse pass.
        let mut bad = request[..request.len() - 2].to_vec();
        bad.extend_from_slice(b"X-Bad : 1\r\n\r\n");
        let mut p = RequestParser::new(limits);
        let fed = bad.iter().take_while(|b| p.feed(&[**b]).is_ok()).count();
        assert_eq!(fed, request.len() - 2 + 5);
        assert_eq!(p.work(), fed as u64 + 1);
    }

    // ---- properties ----

    /// httparse over the whole input, the way both parsers ran it before the
    /// incremental check existed: `Ok(Some(head length))` for a complete head.
    fn httparse_request(input: &[u8]) -> Result<Option<usize>, httparse::Error> {
        let mut slots = vec![httparse::EMPTY_HEADER; 1024];
        match httparse::Request::new(&mut slots).parse(input)? {
            httparse::Status::Complete(n) => Ok(Some(n)),
            httparse::Status::Partial => Ok(None),
        }
    }

    fn httparse_response(input: &[u8]) -> Result<Option<usize>, httparse::Error> {
        let mut slots = vec![httparse::EMPTY_HEADER; 1024];
        match httparse::Response::new(&mut slots).parse(input)? {
            httparse::Status::Complete(n) => Ok(Some(n)),
            httparse::Status::Partial => Ok(None),
        }
    }

    /// The index of the first byte whose prefix httparse refuses, if any: where a
    /// whole-input check first finds the input invalid.
    fn first_refused(
        check: fn(&[u8]) -> Result<Option<usize>, httparse::Error>,
        input: &[u8],
    ) -> Option<usize> {
        (1..=input.len())
            .find(|&k| check(&input[..k]).is_err())
            .map(|k| k - 1)
    }

    fn tchars() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9!#$%&'*+.^_`|~-]{1,8}"
    }

    fn eol() -> impl Strategy<Value = &'static str> {
        prop_oneof![3 => Just("\r\n"), 1 => Just("\n")]
    }

    /// Field lines `name: value` with any line ending, values with SP, HTAB,
    /// visible ASCII and obs-text.
    fn fields() -> impl Strategy<Value = String> {
        prop::collection::vec(
            (tchars(), "[ \t]{0,2}", "[ -~\t\u{80}-\u{ff}]{0,12}", eol()),
            0..6,
        )
        .prop_map(|v| {
            v.into_iter()
                .map(|(n, ows, val, eol)| format!("{n}:{ows}{val}{eol}"))
                .collect()
        })
    }

    /// A valid request head (httparse accepts it), possibly after empty lines.
    fn request_head() -> impl Strategy<Value = Vec<u8>> {
        (
            prop_oneof![Just(""), Just("\r\n"), Just("\n\r\n")],
            tchars(),
            "[!-~é€😀]{1,16}",
            "HTTP/1\\.[01]",
            eol(),
            fields(),
            eol(),
        )
            .prop_map(|(lead, m, t, v, e1, f, e2)| {
                format!("{lead}{m} {t} {v}{e1}{f}{e2}").into_bytes()
            })
    }

    /// A valid status head.
    fn status_head() -> impl Strategy<Value = Vec<u8>> {
        (
            "HTTP/1\\.[01]",
            "[0-9]{3}",
            prop_oneof![
                Just(String::new()),
                "[ -~\t]{0,12}".prop_map(|r| format!(" {r}"))
            ],
            eol(),
            fields(),
            eol(),
        )
            .prop_map(|(v, c, r, e1, f, e2)| format!("{v} {c}{r}{e1}{f}{e2}").into_bytes())
    }

    /// Overwrites or inserts bytes, mostly the ones the grammar cares about.
    fn mutate(mut v: Vec<u8>, edits: &[(usize, bool, u8)]) -> Vec<u8> {
        for &(pos, insert, byte) in edits {
            let i = pos % (v.len() + 1);
            if insert || i == v.len() {
                v.insert(i, byte);
            } else {
                v[i] = byte;
            }
        }
        v
    }

    fn edit_byte() -> impl Strategy<Value = u8> {
        prop_oneof![
            4 => prop::sample::select(&b"\r\n \t:\x00\x7f\x01/.1H\xc3\xa9\xff\x16"[..]),
            1 => any::<u8>(),
        ]
    }

    /// Splits `input` at the given cut points.
    fn split<'a>(input: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
        cuts.sort_unstable();
        let mut out = Vec::new();
        let mut at = 0;
        for c in cuts {
            out.push(&input[at..c]);
            at = c;
        }
        out.push(&input[at..]);
        out
    }

    /// Where a parser stopped, in bytes of the whole input, and how.
    fn stop<T>(
        pieces: &[&[u8]],
        (out, at): (Outcome<T>, usize),
    ) -> (Result<Option<T>, HeadError>, usize) {
        let before: usize = pieces[..at.min(pieces.len())].iter().map(|p| p.len()).sum();
        match out {
            Ok(Some((v, consumed))) => (Ok(Some(v)), before + consumed),
            Ok(None) => (Ok(None), before),
            Err(e) => (Err(e), before),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any valid head, split anywhere, parses to the same head and the same
        /// end as when fed whole, and as httparse reads it.
        #[test]
        fn valid_head_in_any_chunking_parses_as_whole(
            req in request_head(),
            resp in status_head(),
            tail in prop::collection::vec(any::<u8>(), 0..8),
            cuts in prop::collection::vec(any::<usize>(), 0..6),
        ) {
            let mut input = req.clone();
            input.extend_from_slice(&tail);
            let (whole, _) = feed_request(&[&input]);
            let (head, consumed) = whole.clone().unwrap().expect("complete");
            prop_assert_eq!(consumed, req.len());
            prop_assert_eq!(httparse_request(&input), Ok(Some(req.len())));
            let pieces = split(&input, &cuts);
            let (chunked, at) = stop(&pieces, feed_request(&pieces));
            prop_assert_eq!(chunked, Ok(Some(head)));
            prop_assert_eq!(at, req.len());
            prop_assert_eq!(stop(&bytewise(&input), feed_request(&bytewise(&input))).1, req.len());

            let mut input = resp.clone();
            input.extend_from_slice(&tail);
            let (whole, _) = feed_response(&[&input]);
            let (head, consumed) = whole.unwrap().expect("complete");
            prop_assert_eq!(consumed, resp.len());
            prop_assert_eq!(httparse_response(&input), Ok(Some(resp.len())));
            let pieces = split(&input, &cuts);
            let (chunked, at) = stop(&pieces, feed_response(&pieces));
            prop_assert_eq!(chunked, Ok(Some(head)));
            prop_assert_eq!(at, resp.len());
        }

        /// Any input, fed one byte at a time: the verdict on a complete head is
        /// httparse's (accepted heads parse identically), and an error comes no
        /// later than the first byte whose prefix httparse refuses, so never after
        /// the end of the head. Chunked feeding stops at the same byte.
        #[test]
        fn any_input_fails_no_later_than_the_whole_input_check(
            req in request_head(),
            resp in status_head(),
            edits in prop::collection::vec((any::<usize>(), any::<bool>(), edit_byte()), 0..4),
            tail in prop::collection::vec(any::<u8>(), 0..8),
            cuts in prop::collection::vec(any::<usize>(), 0..6),
        ) {
            for (is_request, head) in [(true, req), (false, resp)] {
                let mut input = mutate(head, &edits);
                input.extend_from_slice(&tail);
                let check = if is_request { httparse_request } else { httparse_response };
                let pieces = split(&input, &cuts);
                let ones = bytewise(&input);
                let (verdict, at, chunked_at) = if is_request {
                    let (v, at) = stop(&ones, feed_request(&ones));
                    let c = stop(&pieces, feed_request(&pieces));
                    prop_assert_eq!(c.0.clone().map(|o| o.is_some()), v.clone().map(|o| o.is_some()));
                    (v.map(|o| o.is_some()), at, c.1)
                } else {
                    let (v, at) = stop(&ones, feed_response(&ones));
                    let c = stop(&pieces, feed_response(&pieces));
                    prop_assert_eq!(c.0.clone().map(|o| o.is_some()), v.clone().map(|o| o.is_some()));
                    (v.map(|o| o.is_some()), at, c.1)
                };
                let whole = check(&input);
                let refused = first_refused(check, &input);
                match verdict {
                    // Complete: httparse accepts the same head, ending at the same byte.
                    Ok(true) => {
                        prop_assert_eq!(whole, Ok(Some(at)));
                        prop_assert_eq!(chunked_at, at);
                    }
                    // Refused at byte `at`: httparse does not accept the head, and
                    // refuses no earlier prefix.
                    Err(e) => {
                        prop_assert!(!matches!(whole, Ok(Some(_))), "httparse accepts {:?}", input.escape_ascii());
                        prop_assert!(refused.is_none_or(|r| at <= r), "{} at {} after httparse's {:?}", e, at, refused);
                        prop_assert!(e.status().is_some_and(|s| s == 400 || s == 431));
                    }
                    // Not over: httparse is still waiting too.
                    Ok(false) => {
                        prop_assert_eq!(whole, Ok(None));
                        prop_assert_eq!(refused, None);
                    }
                }
            }
        }
    }
}
