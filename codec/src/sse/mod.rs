//! Server-Sent Events (`text/event-stream`), WHATWG HTML §9.2 "Server-sent events".
//!
//! Two halves, each in its own module:
//! * [`Parser`]: an incremental push parser that follows the spec's "interpreting an
//!   event stream" algorithm exactly and accepts any byte sequence in any chunking.
//!   Bytes go in with [`Parser::feed`], [`Item`]s come out through a callback, and
//!   [`Parser::finish`] ends the stream.
//! * [`Block`]: an encoder whose output always matches the spec's grammar (§9.2.5)
//!   and which the parser reads back to the same events.
//!
//! Why it is built this way:
//! * **Sans-IO.** No I/O, clock or timer: the reconnection time is reported, never
//!   waited for. The owner of the socket drives the parser, as in quinn-proto.
//! * **Bytes first, text last.** The spec decodes the whole stream as UTF-8 before it
//!   splits lines. CR, LF and `:` never occur inside a multi-byte UTF-8 sequence, so the
//!   parser splits and classifies raw bytes and decodes each *value* on its own, lossily
//!   (U+FFFD). That gives the same text as decoding the whole stream first; only the
//!   byte-order mark needs stream-level state, which the parser keeps.
//! * **Zero-copy where it can be.** A line that lies wholly inside the chunk being fed is
//!   never copied: comments, and a single `data` line dispatched in the same chunk, reach
//!   the callback as slices of the caller's buffer (`Cow::Borrowed`). Bytes are copied
//!   only when a line spans chunks, when a second `data` line is appended, or when a
//!   value must outlive the chunk (end of [`Parser::feed`]).
//! * **Linear and bounded.** Lines are found with `memchr`, resuming where the last
//!   scan stopped, so a line dripped one byte at a time is scanned once. Every buffer
//!   growth is checked against [`Config`] first, so a peer that never sends an empty
//!   line cannot grow memory without limit. [`Parser::bytes_scanned`] and
//!   [`Parser::bytes_copied`] count the work so tests can prove linearity.

mod encoder;
mod event;
mod interpret;
pub mod lint;
mod parser;
mod scan;

pub use encoder::{Block, EncodeError, comment, heartbeat};
pub use event::{EndOfStream, Event, Item, Limit, LimitExceeded, Retry};
pub use parser::{Buffered, Parser};

/// Limits of a [`Parser`]. The spec sets none; a client that sets none can be made to
/// buffer without end by a server that never ends a line or an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// The longest line accepted, in bytes, not counting its terminator (CR, LF or CRLF).
    /// Also bounds every single field value, so it bounds the event type and the ID.
    pub max_line_len: usize,
    /// The largest data buffer of one event, in bytes: the sum over its `data` lines of
    /// the value plus the one LF the spec appends per line.
    pub max_event_len: usize,
}

impl Config {
    /// The default longest line: 4 MiB.
    pub const DEFAULT_MAX_LINE_LEN: usize = 4 << 20;
    /// The default largest event data buffer: 16 MiB.
    pub const DEFAULT_MAX_EVENT_LEN: usize = 16 << 20;
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_line_len: Self::DEFAULT_MAX_LINE_LEN,
            max_event_len: Self::DEFAULT_MAX_EVENT_LEN,
        }
    }
}
