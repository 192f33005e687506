//! The encoder: writes `text/event-stream` that matches the spec's grammar (WHATWG HTML
//! §9.2.5) and that the parser reads back to the same events.
//!
//! Why it is built this way:
//! * It writes whole blocks only (every call ends with an empty line), so its output
//!   is a complete, grammatical stream after every call, and a comment or heartbeat
//!   never merges with the fields of a neighbouring event.
//! * Values are checked before anything is written: on error the output is untouched.
//! * The format cannot carry CR or LF inside a value. Data is therefore split on CR LF,
//!   LF and lone CR (the parser's own terminators) into one `data` line each, and reads
//!   back with every line break as LF. An ID or event type with a line break (or an ID
//!   with NUL, which the parser ignores) cannot be written and is an error.
//! * A value is written after `": "`: the parser strips exactly one leading space, so a
//!   value that itself starts with a space survives. An empty value is written as
//!   `name:` alone.
//! * `retry` is written with no space (`retry:3000`): the spec accepts both, but some
//!   parsers check the digits before stripping the space (sse-codec, async-sse).
//! * Data always gets at least one `data` line, so an event with empty data still
//!   fires (a block without `data` dispatches nothing).

use alloc::vec::Vec;
use core::fmt;

use memchr::{memchr2, memchr3};

/// A value the format cannot carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EncodeError {
    /// An ID containing CR or LF (it would end the line) or NUL (the parser would
    /// ignore the whole `id` field).
    InvalidId,
    /// An event type containing CR or LF.
    InvalidEventType,
    /// A comment containing CR or LF.
    InvalidComment,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EncodeError::InvalidId => "an SSE id cannot contain CR, LF or NUL",
            EncodeError::InvalidEventType => "an SSE event type cannot contain CR or LF",
            EncodeError::InvalidComment => "an SSE comment cannot contain CR or LF",
        })
    }
}

impl core::error::Error for EncodeError {}

/// One block of fields ended by an empty line: an event when `data` is set, otherwise
/// a block that only sets the ID, the reconnection time or carries a comment.
///
/// ```
/// use wirecheck_codec::sse::Block;
///
/// let mut out = Vec::new();
/// Block::message("a\nb").event("update").id("42").encode(&mut out).unwrap();
/// assert_eq!(out, b"event: update\nid: 42\ndata: a\ndata: b\n\n");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Block<'a> {
    /// A comment line written first (`:` then the text); no CR or LF.
    pub comment: Option<&'a str>,
    /// The event type; `None` or empty means `message`. No CR or LF.
    pub event_type: Option<&'a str>,
    /// The ID; `Some("")` resets the last event ID. No CR, LF or NUL.
    pub id: Option<&'a str>,
    /// The reconnection time in milliseconds.
    pub retry: Option<u64>,
    /// The data; `None` writes no `data` line, so no event fires. Any text: line
    /// breaks (CR LF, LF, CR) become separate `data` lines and read back as LF.
    pub data: Option<&'a str>,
}

impl<'a> Block<'a> {
    /// An event with this data and the default type.
    pub fn message(data: &'a str) -> Self {
        Block {
            data: Some(data),
            ..Block::default()
        }
    }

    /// Sets the event type.
    pub fn event(mut self, event_type: &'a str) -> Self {
        self.event_type = Some(event_type);
        self
    }

    /// Sets the ID.
    pub fn id(mut self, id: &'a str) -> Self {
        self.id = Some(id);
        self
    }

    /// Sets the reconnection time in milliseconds.
    pub fn retry(mut self, ms: u64) -> Self {
        self.retry = Some(ms);
        self
    }

    /// Sets the comment.
    pub fn comment(mut self, text: &'a str) -> Self {
        self.comment = Some(text);
        self
    }

    /// Checks every value, then appends the block to `out` (nothing on error).
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if let Some(text) = self.comment {
            if has_line_break(text.as_bytes()) {
                return Err(EncodeError::InvalidComment);
            }
        }
        if let Some(t) = self.event_type {
            if has_line_break(t.as_bytes()) {
                return Err(EncodeError::InvalidEventType);
            }
        }
        if let Some(id) = self.id {
            if memchr3(b'\r', b'\n', 0, id.as_bytes()).is_some() {
                return Err(EncodeError::InvalidId);
            }
        }
        if let Some(text) = self.comment {
            write_comment(out, text);
        }
        if let Some(t) = self.event_type.filter(|t| !t.is_empty()) {
            write_field(out, b"event", t.as_bytes());
        }
        if let Some(id) = self.id {
            write_field(out, b"id", id.as_bytes());
        }
        if let Some(ms) = self.retry {
            out.extend_from_slice(b"retry:");
            write_decimal(out, ms);
            out.push(b'\n');
        }
        if let Some(data) = self.data {
            write_data(out, data.as_bytes());
        }
        // The empty line that dispatches the block.
        out.push(b'\n');
        Ok(())
    }
}

/// Appends a comment block (`:text`, then an empty line). No CR or LF in `text`.
pub fn comment(out: &mut Vec<u8>, text: &str) -> Result<(), EncodeError> {
    Block {
        comment: Some(text),
        ..Block::default()
    }
    .encode(out)
}

/// Appends a heartbeat: an empty comment and an empty line (`:\n\n`). It keeps proxies
/// from timing out an idle connection (the spec suggests one every 15 seconds or so)
/// and changes nothing for the client.
pub fn heartbeat(out: &mut Vec<u8>) {
    out.extend_from_slice(b":\n\n");
}

fn has_line_break(bytes: &[u8]) -> bool {
    memchr2(b'\r', b'\n', bytes).is_some()
}

/// `:` then the text, then LF; the text is reported back unchanged.
fn write_comment(out: &mut Vec<u8>, text: &str) {
    out.push(b':');
    out.extend_from_slice(text.as_bytes());
    out.push(b'\n');
}

/// `name: value` (or `name:` when the value is empty), then LF.
fn write_field(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.push(b':');
    if !value.is_empty() {
        // The parser strips exactly this one space, so a leading space in `value` stays.
        out.push(b' ');
        out.extend_from_slice(value);
    }
    out.push(b'\n');
}

/// One `data` line per line of `data`, split on CR LF, LF and lone CR.
fn write_data(out: &mut Vec<u8>, data: &[u8]) {
    let mut pos = 0;
    while let Some(len) = memchr2(b'\r', b'\n', &data[pos..]) {
        let end = pos + len;
        write_field(out, b"data", &data[pos..end]);
        pos = end + 1;
        if data[end] == b'\r' && data.get(pos) == Some(&b'\n') {
            pos += 1;
        }
    }
    write_field(out, b"data", &data[pos..]);
}

/// The base-ten digits of `n`, no sign, no leading zeros.
fn write_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sse::{Config, Item, Parser};
    use alloc::string::{String, ToString};
    use alloc::vec;

    fn parse(bytes: &[u8]) -> Vec<Item<'static>> {
        let mut items = Vec::new();
        let mut parser = Parser::new(Config::default());
        parser
            .feed(bytes, |item| items.push(item.into_owned()))
            .unwrap();
        assert!(!parser.finish().truncated());
        items
    }

    #[test]
    fn data_is_split_on_crlf_lf_and_cr() {
        let mut out = Vec::new();
        Block::message("a\r\nb\nc\rd").encode(&mut out).unwrap();
        assert_eq!(out, b"data: a\ndata: b\ndata: c\ndata: d\n\n");
    }

    #[test]
    fn trailing_line_break_becomes_an_empty_data_line() {
        let mut out = Vec::new();
        Block::message("a\n").encode(&mut out).unwrap();
        assert_eq!(out, b"data: a\ndata:\n\n");
        match &parse(&out)[..] {
            [Item::Event(e)] => assert_eq!(e.data, "a\n"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn empty_data_still_fires_an_event() {
        let mut out = Vec::new();
        Block::message("").encode(&mut out).unwrap();
        assert_eq!(out, b"data:\n\n");
        assert!(matches!(&parse(&out)[..], [Item::Event(e)] if e.data.is_empty()));
    }

    #[test]
    fn leading_space_survives_the_one_space_strip() {
        let mut out = Vec::new();
        Block::message(" x")
            .event(" t")
            .id(" 7")
            .encode(&mut out)
            .unwrap();
        match &parse(&out)[..] {
            [Item::LastEventId(id), Item::Event(e)] => {
                assert_eq!(id, " 7");
                assert_eq!(e.data, " x");
                assert_eq!(e.event_type, " t");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn id_with_cr_lf_or_nul_is_rejected_and_nothing_is_written() {
        for id in ["a\rb", "a\nb", "a\0b"] {
            let mut out = vec![b'x'];
            assert_eq!(
                Block::message("d").id(id).encode(&mut out),
                Err(EncodeError::InvalidId)
            );
            assert_eq!(out, b"x");
        }
    }

    #[test]
    fn event_type_and_comment_with_line_breaks_are_rejected() {
        let mut out = Vec::new();
        assert_eq!(
            Block::message("d").event("a\nb").encode(&mut out),
            Err(EncodeError::InvalidEventType)
        );
        assert_eq!(comment(&mut out, "a\rb"), Err(EncodeError::InvalidComment));
        assert!(out.is_empty());
        // NUL is allowed in an event type and kept by the parser.
        Block::message("d").event("a\0b").encode(&mut out).unwrap();
        assert!(matches!(&parse(&out)[..], [Item::Event(e)] if e.event_type == "a\0b"));
    }

    #[test]
    fn retry_is_written_without_a_space_and_applies() {
        let mut out = Vec::new();
        Block::default().retry(0).encode(&mut out).unwrap();
        Block::default().retry(u64::MAX).encode(&mut out).unwrap();
        assert_eq!(out, b"retry:0\n\nretry:18446744073709551615\n\n");
        assert_eq!(
            parse(&out),
            [
                Item::Retry(crate::sse::Retry::Millis(0)),
                Item::Retry(crate::sse::Retry::Millis(u64::MAX))
            ]
        );
    }

    #[test]
    fn comments_and_heartbeats_round_trip_and_fire_nothing() {
        let mut out = Vec::new();
        comment(&mut out, " keep-alive").unwrap();
        heartbeat(&mut out);
        assert_eq!(out, b": keep-alive\n\n:\n\n");
        assert_eq!(
            parse(&out),
            [
                Item::Comment(" keep-alive".to_string().into()),
                Item::Comment(String::new().into())
            ]
        );
    }

    #[test]
    fn id_only_block_commits_without_an_event() {
        let mut out = Vec::new();
        Block::default().id("9").encode(&mut out).unwrap();
        Block::default().id("").encode(&mut out).unwrap();
        assert_eq!(out, b"id: 9\n\nid:\n\n");
        assert_eq!(
            parse(&out),
            [
                Item::LastEventId("9".to_string().into()),
                Item::LastEventId(String::new().into())
            ]
        );
    }
}
