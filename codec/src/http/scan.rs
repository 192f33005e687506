//! Size limits and the incremental scanner that finds the end of a message head
//! (RFC 9112 §2.1: start line, field lines, an empty line).
//!
//! Why a scanner of its own in front of httparse: httparse parses a complete buffer
//! and answers `Partial` when the head is not over yet, so calling it after every
//! read re-parses everything received so far. Fed one byte at a time that is
//! quadratic, which is how tungstenite got CVE-2023-43669. Here each received byte
//! is looked at once, by the syntax check in the `head` module: the scanner
//! keeps that check's state between reads (so a `\r\n\r\n` split across reads is
//! still found, and an invalid byte fails on the read that delivers it), counts
//! header lines, enforces both limits *before* buffering more, and only when the
//! empty line that ends the head has arrived does the caller run httparse, once,
//! over the buffered head. The scanner stops at the end of the head and reports how
//! many bytes of the last input it consumed, so bytes after the head (the first
//! WebSocket frames) are left with the caller, never dropped or swallowed. `work()`
//! counts the bytes looked at, for tests that assert linear work instead of timing
//! it.
//!
//! Line endings follow httparse (and RFC 9112 §2.2): a line ends at LF, optionally
//! preceded by CR, and empty lines before the start line are skipped.

use alloc::vec::Vec;

use super::error::{HeadError, HeadErrorKind};
use super::head::{HeadValidator, StartLine, Step};

/// Bounds on a received message head (request or response).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeadLimits {
    /// The most bytes the head may take, from the first byte to the final empty line
    /// inclusive. Default 16 KiB: a browser's handshake is well under 2 KiB, and
    /// common servers cap the whole head at 8-16 KiB (nginx 8 KiB per header line
    /// buffer, Node.js 16 KiB).
    pub max_header_bytes: usize,
    /// The most header fields (lines after the start line). Default 64; tungstenite
    /// allows 124, browsers send about 15.
    pub max_headers: usize,
}

impl Default for HeadLimits {
    fn default() -> Self {
        HeadLimits {
            max_header_bytes: 16 * 1024,
            max_headers: 64,
        }
    }
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
    /// The bounds enforced while scanning.
    limits: HeadLimits,
    /// The head so far, never longer than `max_header_bytes`.
    buf: Vec<u8>,
    /// The syntax check, which also finds line ends and the end of the head.
    validator: HeadValidator,
    /// Completed non-empty lines: the start line plus header lines so far.
    lines: usize,
    /// Bytes looked at, plus what callers add for their own passes.
    work: u64,
}

impl HeadScanner {
    /// A scanner for a head that starts with `start` (request or status line).
    pub(crate) fn new(limits: HeadLimits, start: StartLine) -> Self {
        HeadScanner {
            limits,
            buf: Vec::new(),
            validator: HeadValidator::new(start),
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
    /// `max_header_bytes`. Fails on the first byte no valid head can contain, on the
    /// line end that breaks `max_headers`, or once `max_header_bytes` are buffered
    /// without the end of the head; which comes first decides, byte by byte, so the
    /// verdict does not depend on how the input was split.
    pub(crate) fn feed(&mut self, bytes: &[u8]) -> Result<Scan, HeadError> {
        let room = self.limits.max_header_bytes.saturating_sub(self.buf.len());
        let window = &bytes[..bytes.len().min(room)];
        let mut done = false;
        let mut i = 0;
        let mut failed = None;
        while i < window.len() {
            let step = self.validator.step(window[i]);
            i += 1;
            match step {
                Ok(Step::Byte) => {}
                Ok(Step::LineEnd) => {
                    self.lines += 1;
                    // Enforced as soon as the line that breaks it ends, before
                    // anything more is buffered.
                    if self.too_many_headers() {
                        failed = Some(HeadError::new(
                            HeadErrorKind::TooManyHeaders,
                            "more header lines than max_headers",
                        ));
                        break;
                    }
                }
                Ok(Step::HeadEnd) => {
                    done = true;
                    break;
                }
                Err(e) => {
                    failed = Some(e.at(self.buf.len() + i - 1, window[i - 1]));
                    break;
                }
            }
        }
        self.add_work(i);
        if let Some(e) = failed {
            return Err(e);
        }
        self.buf.extend_from_slice(&window[..i]);
        if done {
            return Ok(Scan::Complete(i));
        }
        if self.buf.len() >= self.limits.max_header_bytes {
            // Full and not over: no further byte can complete a head within the limit.
            return Err(HeadError::new(
                HeadErrorKind::HeadTooLarge,
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
        HeadScanner::new(
            HeadLimits {
                max_header_bytes: 64,
                max_headers: 2,
            },
            StartLine::Request,
        )
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
        assert_eq!(e.kind(), HeadErrorKind::TooManyHeaders);
        let mut s = scanner();
        let e = s.feed(&[b'a'; 100]).unwrap_err();
        assert_eq!(e.kind(), HeadErrorKind::HeadTooLarge);
        assert_eq!(s.head().len(), 64);
        // Exactly at the limit is fine.
        let mut s = HeadScanner::new(
            HeadLimits {
                max_header_bytes: 18,
                max_headers: 2,
            },
            StartLine::Request,
        );
        assert_eq!(
            s.feed(b"GET / HTTP/1.1\r\n\r\n").unwrap(),
            Scan::Complete(18)
        );
    }
}
