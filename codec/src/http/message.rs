//! Request and response heads, read incrementally: one reader for both, which
//! differ only in their start line (RFC 9112 §3 request-line, §4 status-line).
//!
//! The [`scan`](super::scan) finds the end of the head looking at each byte
//! once and failing on the first byte no valid head can contain; httparse then
//! builds the head, once, over the complete bytes. The bytes after the head
//! (`input[parsed.consumed..]`) are the caller's: a WebSocket's first frames, a
//! response body.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::error::{HeadError, HeadErrorKind};
use super::head::StartLine;
use super::header::{Header, list_contains, values};
use super::scan::{HeadLimits, HeadScanner, Scan, httparse_detail};

/// A message head parsed from a stream of bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<T> {
    /// The parsed head.
    pub value: T,
    /// How many bytes of the *last* input passed to `feed` belong to the head. The
    /// rest of that input follows the head (a body, or a WebSocket stream).
    pub consumed: usize,
}

/// A request head as received (RFC 9112 §3), before any rule of what it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method, as sent.
    pub method: String,
    /// The request-target, as sent.
    pub target: String,
    /// The minor HTTP version: 1 for HTTP/1.1, 0 for HTTP/1.0.
    pub version: u8,
    /// Every header line in order; repeated names are kept as separate entries.
    pub headers: Vec<Header>,
}

/// A response head as received (RFC 9112 §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The reason phrase, as sent.
    pub reason: String,
    /// The minor HTTP version.
    pub version: u8,
    /// Every header line in order.
    pub headers: Vec<Header>,
}

impl Request {
    /// The values of every header with this name (case-insensitive), in order.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        values(&self.headers, name)
    }

    /// Whether the `#token` list of header `name` (all its lines) holds `token`,
    /// ASCII case-insensitively (`Upgrade: websocket`, `Transfer-Encoding:
    /// chunked`); a list that does not parse holds nothing.
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        list_contains(values(&self.headers, name), token, true).is_ok_and(|(found, _)| found)
    }
}

impl Response {
    /// The values of every header with this name (case-insensitive), in order.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        values(&self.headers, name)
    }

    /// As [`Request::has_token`].
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        list_contains(values(&self.headers, name), token, true).is_ok_and(|(found, _)| found)
    }

    /// The essence of the first `Content-Type` ([`super::header::media_type_essence`]).
    pub fn content_type(&self) -> Option<&[u8]> {
        self.header_values("content-type")
            .next()
            .and_then(super::header::media_type_essence)
    }
}

fn malformed(detail: &'static str) -> HeadError {
    HeadError::new(HeadErrorKind::Malformed, detail)
}

fn owned(headers: &[httparse::Header<'_>]) -> Vec<Header> {
    headers
        .iter()
        .map(|h| Header {
            name: h.name.into(),
            value: h.value.to_vec(),
        })
        .collect()
}

/// What the two readers share: the scanner, and being spent after one head.
#[derive(Debug, Clone)]
struct Reader {
    scanner: HeadScanner,
    spent: bool,
}

impl Reader {
    fn new(limits: HeadLimits, start: StartLine) -> Self {
        Reader {
            scanner: HeadScanner::new(limits, start),
            spent: false,
        }
    }

    /// Scan `bytes`; `Ok(Some(consumed))` once the head is complete, with the
    /// httparse pass counted as work. After a head or an error the reader is spent.
    fn scan(&mut self, bytes: &[u8]) -> Result<Option<usize>, HeadError> {
        if self.spent {
            return Err(HeadError::new(
                HeadErrorKind::ReaderSpent,
                "feed after a result or an error",
            ));
        }
        let consumed = match self.scanner.feed(bytes) {
            Ok(Scan::Partial) => return Ok(None),
            Ok(Scan::Complete(n)) => n,
            Err(e) => {
                self.spent = true;
                return Err(e);
            }
        };
        self.spent = true;
        // httparse runs once, over the complete head: linear.
        self.scanner.add_work(self.scanner.head().len());
        Ok(Some(consumed))
    }

    /// httparse's header slots for the complete head (one per header line seen).
    fn slots<'b>(&self) -> Vec<httparse::Header<'b>> {
        vec![httparse::EMPTY_HEADER; self.scanner.header_lines() + 1]
    }

    /// Check that httparse read exactly the head the scanner found.
    fn check(&self, parsed: httparse::Result<usize>) -> Result<(), HeadError> {
        match parsed {
            Ok(httparse::Status::Complete(n)) if n == self.scanner.head().len() => Ok(()),
            Ok(_) => Err(malformed("head does not end where expected")),
            Err(e) => Err(malformed(httparse_detail(e))),
        }
    }
}

/// Incremental request reader: feed it bytes as they arrive (a server's side).
#[derive(Debug, Clone)]
pub struct RequestParser(Reader);

impl Default for RequestParser {
    fn default() -> Self {
        Self::new(HeadLimits::default())
    }
}

impl RequestParser {
    /// A reader with the given limits.
    pub fn new(limits: HeadLimits) -> Self {
        RequestParser(Reader::new(limits, StartLine::Request))
    }

    /// Feeds the next bytes. `Ok(None)`: all of them were taken, the head is not
    /// over. `Ok(Some(parsed))`: the head ended after `parsed.consumed` bytes of
    /// `bytes`. `Err`: the limits were broken (431), or a byte of `bytes` cannot be
    /// part of a valid request head (400, on the call that delivers that byte).
    /// After a result or an error the reader is spent. Work is linear in the total
    /// input however it is split.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Option<Parsed<Request>>, HeadError> {
        let Some(consumed) = self.0.scan(bytes)? else {
            return Ok(None);
        };
        let mut slots = self.0.slots();
        let mut req = httparse::Request::new(&mut slots);
        self.0.check(req.parse(self.0.scanner.head()))?;
        let (Some(method), Some(target), Some(version)) = (req.method, req.path, req.version)
        else {
            return Err(malformed("incomplete request line"));
        };
        Ok(Some(Parsed {
            value: Request {
                method: method.into(),
                target: target.into(),
                version,
                headers: owned(req.headers),
            },
            consumed,
        }))
    }

    /// Bytes examined so far (the scan plus the one httparse pass): at most about
    /// twice the input length.
    pub fn work(&self) -> u64 {
        self.0.scanner.work()
    }
}

/// Incremental response reader: feed it bytes as they arrive (a client's side).
#[derive(Debug, Clone)]
pub struct ResponseParser(Reader);

impl Default for ResponseParser {
    fn default() -> Self {
        Self::new(HeadLimits::default())
    }
}

impl ResponseParser {
    /// A reader with the given limits.
    pub fn new(limits: HeadLimits) -> Self {
        ResponseParser(Reader::new(limits, StartLine::Status))
    }

    /// Feeds the next bytes; see [`RequestParser::feed`].
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Option<Parsed<Response>>, HeadError> {
        let Some(consumed) = self.0.scan(bytes)? else {
            return Ok(None);
        };
        let mut slots = self.0.slots();
        let mut resp = httparse::Response::new(&mut slots);
        self.0.check(resp.parse(self.0.scanner.head()))?;
        let (Some(status), Some(version)) = (resp.code, resp.version) else {
            return Err(malformed("incomplete status line"));
        };
        Ok(Some(Parsed {
            value: Response {
                status,
                reason: resp.reason.unwrap_or("").into(),
                version,
                headers: owned(resp.headers),
            },
            consumed,
        }))
    }

    /// Bytes examined so far.
    pub fn work(&self) -> u64 {
        self.0.scanner.work()
    }
}
