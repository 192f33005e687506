//! Size limits and the incremental scanner that finds the end of a message head.
//!
//! Why a scanner of its own in front of httparse: httparse parses a complete buffer
//! and answers `Partial` when the head is not over yet, so calling it after every
//! read re-parses everything received so far. Fed one byte at a time that is
//! quadratic, which is how tungstenite got CVE-2023-43669. Here each received byte
//! is looked at once: the scanner remembers its position and line state (so a
//! `\r\n\r\n` split across reads is still found), counts header lines, enforces
//! both limits *before* buffering more, and only when the empty line that ends the
//! head has arrived does the caller run httparse, once, over the buffered head. The
//! scanner stops at the end of the head and reports how many bytes of the last
//! input it consumed, so bytes after the head (the first WebSocket frames) are left
//! with the caller, never dropped or swallowed. `work()` counts the bytes looked at,
//! for tests that assert linear work instead of timing it.
//!
//! Line endings follow httparse (and RFC 7230 §3.5): a line ends at LF, optionally
//! preceded by CR, and empty lines before the start line are skipped.

use alloc::vec::Vec;

use super::error::{HandshakeError, HandshakeErrorKind};

/// Bounds on a received message head (request or response).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandshakeLimits {
    /// The most bytes the head may take, from the first byte to the final empty line
    /// inclusive. Default 16 KiB: a browser's handshake is well under 2 KiB, and
    /// common servers cap the whole head at 8-16 KiB (nginx 8 KiB per header line
    /// buffer, Node.js 16 KiB).
    pub max_header_bytes: usize,
    /// The most header fields (lines after the start line). Default 64; tungstenite
    /// allows 124, browsers send about 15.
    pub max_headers: usize,
}

impl Default for HandshakeLimits {
    fn default() -> Self {
        HandshakeLimits {
            max_header_bytes: 16 * 1024,
            max_headers: 64,
        }
    }
}

/// Where the scanner is within the current line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    /// Before the start line: CR and LF are skipped (RFC 7230 §3.5).
    Leading,
    /// Inside a non-empty line.
    Inside,
    /// Just after a line's LF: an LF or CR LF here ends the head.
    Start,
    /// After a CR at the start of a line.
    StartCr,
}

/// What a call to [`HeadScanner::feed`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scan {
    /// The head is not over; every byte given was buffered.
    Partial,
    /// The head is complete; this many bytes of the last input belong to it.
    Complete(usize),
}

/// The incremental end-of-head finder shared by the request and response parsers.
#[derive(Debug, Clone)]
pub(crate) struct HeadScanner {
    limits: HandshakeLimits,
    buf: Vec<u8>,
    line: Line,
    /// Completed non-empty lines: the start line plus header lines so far.
    lines: usize,
    work: u64,
}

impl HeadScanner {
    pub(crate) fn new(limits: HandshakeLimits) -> Self {
        HeadScanner {
            limits,
            buf: Vec::new(),
            line: Line::Leading,
            lines: 0,
            work: 0,
        }
    }

    /// The buffered head (complete once `feed` returned `Complete`).
    pub(crate) fn head(&self) -> &[u8] {
        &self.buf
    }

    /// Header lines seen (not counting the start line).
    pub(crate) fn header_lines(&self) -> usize {
        self.lines.saturating_sub(1)
    }

    /// Bytes looked at so far, plus whatever callers add with [`add_work`](Self::add_work).
    pub(crate) fn work(&self) -> u64 {
        self.work
    }

    pub(crate) fn add_work(&mut self, n: usize) {
        self.work = self.work.saturating_add(n as u64);
    }

    fn too_many_headers(&self) -> bool {
        self.header_lines() > self.limits.max_headers
    }

    /// Scans the new bytes only. Never looks at a byte twice and never buffers past
    /// `max_header_bytes`.
    pub(crate) fn feed(&mut self, bytes: &[u8]) -> Result<Scan, HandshakeError> {
        let room = self.limits.max_header_bytes.saturating_sub(self.buf.len());
        let window = &bytes[..bytes.len().min(room)];
        let mut i = 0;
        let mut done = false;
        while i < window.len() && !done {
            match self.line {
                Line::Inside => match memchr::memchr(b'\n', &window[i..]) {
                    Some(off) => {
                        i += off + 1;
                        self.lines += 1;
                        self.line = Line::Start;
                        // Enforced as soon as the line that breaks it ends, before
                        // anything more is buffered.
                        if self.too_many_headers() {
                            self.add_work(off + 1);
                            return Err(HandshakeError::new(
                                HandshakeErrorKind::TooManyHeaders,
                                "more header lines than max_headers",
                            ));
                        }
                        self.add_work(off + 1);
                    }
                    None => {
                        self.add_work(window.len() - i);
                        i = window.len();
                    }
                },
                state => {
                    let b = window[i];
                    i += 1;
                    self.add_work(1);
                    self.line = match (state, b) {
                        (Line::Leading, b'\r' | b'\n') => Line::Leading,
                        (Line::Start, b'\r') => Line::StartCr,
                        (Line::Start | Line::StartCr, b'\n') => {
                            done = true;
                            Line::Start
                        }
                        _ => Line::Inside,
                    };
                }
            }
        }
        self.buf.extend_from_slice(&window[..i]);
        if done {
            return Ok(Scan::Complete(i));
        }
        if self.buf.len() >= self.limits.max_header_bytes {
            // Full and not over: no further byte can complete a head within the limit.
            return Err(HandshakeError::new(
                HandshakeErrorKind::HeadTooLarge,
                "header block longer than max_header_bytes",
            ));
        }
        Ok(Scan::Partial)
    }
}

/// Maps an httparse error to a static detail.
pub(crate) fn httparse_detail(e: httparse::Error) -> &'static str {
    match e {
        httparse::Error::HeaderName => "invalid header name",
        httparse::Error::HeaderValue => "invalid header value",
        httparse::Error::NewLine => "invalid line ending",
        httparse::Error::Status => "invalid status code",
        httparse::Error::Token => "invalid token in start line",
        httparse::Error::TooManyHeaders => "too many headers",
        httparse::Error::Version => "invalid HTTP version",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scanner() -> HeadScanner {
        HeadScanner::new(HandshakeLimits {
            max_header_bytes: 64,
            max_headers: 2,
        })
    }

    #[test]
    fn terminator_split_across_feeds() {
        let msg = b"GET / HTTP/1.1\r\nA: b\r\n\r\nrest";
        for split in 0..msg.len() {
            let mut s = scanner();
            let (a, b) = msg.split_at(split);
            let r = match s.feed(a).unwrap() {
                Scan::Complete(n) => (n, a.len()),
                Scan::Partial => match s.feed(b).unwrap() {
                    Scan::Complete(n) => (a.len() + n, a.len() + b.len()),
                    Scan::Partial => panic!("not complete at split {split}"),
                },
            };
            assert_eq!(r.0, msg.len() - 4, "split {split}");
            assert_eq!(s.head(), &msg[..msg.len() - 4]);
            assert!(s.work() <= msg.len() as u64);
        }
    }

    #[test]
    fn bare_lf_and_leading_empty_lines() {
        let mut s = scanner();
        assert_eq!(
            s.feed(b"\r\n\nGET / HTTP/1.1\nA: b\n\nx").unwrap(),
            Scan::Complete(24)
        );
    }

    #[test]
    fn limits_are_enforced_before_buffering() {
        let mut s = scanner();
        let e = s
            .feed(b"GET / HTTP/1.1\r\nA: b\r\nB: c\r\nC: d\r\n")
            .unwrap_err();
        assert_eq!(e.kind(), HandshakeErrorKind::TooManyHeaders);
        let mut s = scanner();
        let e = s.feed(&[b'a'; 100]).unwrap_err();
        assert_eq!(e.kind(), HandshakeErrorKind::HeadTooLarge);
        assert_eq!(s.head().len(), 64);
        // Exactly at the limit is fine.
        let mut s = HeadScanner::new(HandshakeLimits {
            max_header_bytes: 18,
            max_headers: 2,
        });
        assert_eq!(
            s.feed(b"GET / HTTP/1.1\r\n\r\n").unwrap(),
            Scan::Complete(18)
        );
    }
}
