//! What the parser hands out: [`Item`]s while a stream is fed, an [`EndOfStream`]
//! when it ends, and a [`LimitExceeded`] when a configured bound is hit.
//!
//! Items borrow: their text is a slice of the chunk being fed, or of the parser's own
//! buffers, whenever it is valid UTF-8 as it stands (`Cow::Borrowed`), and owned only
//! when invalid UTF-8 had to be replaced by U+FFFD. [`Item::into_owned`] detaches an
//! item from both when the caller wants to keep it.

use alloc::borrow::Cow;
use alloc::string::String;
use core::fmt;

/// One thing the parser found in the stream, in stream order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item<'a> {
    /// An event was dispatched (WHATWG SSE: dispatch steps 4–8).
    Event(Event<'a>),
    /// A `retry` field whose value is ASCII digits only, reported when the line is
    /// parsed, not at dispatch. [`Retry::Millis`] is also applied to
    /// [`Parser::reconnection_time`](super::Parser::reconnection_time) then; see
    /// [`Retry`] for the empty and the too-large value. Other values are ignored
    /// silently, as the spec ignores them.
    Retry(Retry),
    /// A comment line (it starts with `:`): the text after the colon, unchanged
    /// (a leading space is kept). Comments never affect events.
    Comment(Cow<'a, str>),
    /// Dispatch step 1 changed the last event ID string. Emitted before the event of
    /// the same block, if any; also for blocks that dispatch no event (an `id` without
    /// `data`), which is how such a block becomes visible.
    LastEventId(Cow<'a, str>),
}

impl Item<'_> {
    /// Copies every borrowed string, detaching the item from the chunk and the parser.
    pub fn into_owned(self) -> Item<'static> {
        match self {
            Item::Event(e) => Item::Event(e.into_owned()),
            Item::Retry(r) => Item::Retry(r),
            Item::Comment(c) => Item::Comment(Cow::Owned(c.into_owned())),
            Item::LastEventId(id) => Item::LastEventId(Cow::Owned(id.into_owned())),
        }
    }
}

/// A dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event<'a> {
    /// The event type: the event type buffer, or `message` when it was empty
    /// (WHATWG SSE: dispatch step 6).
    pub event_type: Cow<'a, str>,
    /// The data buffer with one trailing LF removed (dispatch step 3).
    pub data: Cow<'a, str>,
    /// The last event ID string after dispatch step 1 (empty when none was set).
    pub last_event_id: Cow<'a, str>,
}

impl Event<'_> {
    /// Copies every borrowed string.
    pub fn into_owned(self) -> Event<'static> {
        Event {
            event_type: Cow::Owned(self.event_type.into_owned()),
            data: Cow::Owned(self.data.into_owned()),
            last_event_id: Cow::Owned(self.last_event_id.into_owned()),
        }
    }
}

/// A `retry` field whose value consists only of ASCII digits (any other value is
/// ignored by the spec and not reported).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Retry {
    /// A base-ten integer that fits in a `u64`: the new reconnection time in
    /// milliseconds. Leading zeros are decimal (`007` is 7).
    Millis(u64),
    /// `retry:` with an empty value. "Only ASCII digits" holds vacuously, but there is
    /// no integer. The parser leaves the reconnection time unchanged; a client that
    /// wants browser behaviour (Chromium, WebKit) resets it to its default here.
    Empty,
    /// Digits whose value exceeds `u64::MAX` milliseconds. The parser ignores the
    /// field and leaves the reconnection time unchanged, as Chromium does
    /// (`ToUInt64Strict` fails); it never wraps, saturates or panics.
    TooLarge,
}

/// Which bound a [`LimitExceeded`] refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// [`Config::max_line_len`](super::Config::max_line_len).
    Line,
    /// [`Config::max_event_len`](super::Config::max_event_len).
    Event,
}

/// A configured bound was exceeded. This is terminal: the spec has no limits, so any
/// parse after this point could differ from the spec's, and the parser stops. It has
/// then dropped its buffers; every later [`Parser::feed`](super::Parser::feed) returns
/// the same error and hands out nothing. Items emitted before it remain valid, and
/// where the error is raised does not depend on how the input was chunked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LimitExceeded {
    /// Which bound.
    pub limit: Limit,
    /// Its configured value, in bytes.
    pub max: usize,
}

impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.limit {
            Limit::Line => write!(f, "a line is longer than the configured {} bytes", self.max),
            Limit::Event => write!(
                f,
                "an event's data is larger than the configured {} bytes",
                self.max
            ),
        }?;
        f.write_str(" (a parser limit; the spec sets none)")
    }
}

impl core::error::Error for LimitExceeded {}

/// The state a stream ended in, returned by [`Parser::finish`](super::Parser::finish).
///
/// WHATWG SSE: "Once the end of the file is reached, any pending data must be
/// discarded": an event not followed by an empty line is never dispatched. The flags
/// say whether anything was discarded, so a conformance check can report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndOfStream {
    /// The last event ID string: what a reconnecting client sends as `Last-Event-ID`
    /// and seeds its next parser with ([`Parser::with_last_event_id`](super::Parser::with_last_event_id)).
    /// An `id` in the discarded block was never committed and is not in it.
    pub last_event_id: String,
    /// The reconnection time in milliseconds set by the last valid `retry` field, if any.
    pub reconnection_time: Option<u64>,
    /// The input ended inside a line: bytes after the last line terminator were dropped.
    pub partial_line: bool,
    /// At least one complete line (a field or a comment) came after the last empty
    /// line, so the stream ended inside a block that never reached dispatch.
    pub unterminated_block: bool,
    /// That block had `data`: an event the spec discards at end of stream.
    pub discarded_event: bool,
}

impl EndOfStream {
    /// Whether the stream ended anywhere but at a block boundary (inside a line or a block).
    pub fn truncated(&self) -> bool {
        self.partial_line || self.unterminated_block
    }
}
