//! `wirecheck decode sse` (DESIGN §4).

use std::io::{self, Read, Write};
use std::num::NonZeroUsize;

use super::Outcome;

/// Options of `decode sse`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Feed the parser this many bytes at a time; `None` feeds each read whole.
    pub chunk: Option<NonZeroUsize>,
    /// Seed the last event ID, as a reconnecting client does.
    pub last_event_id: Option<String>,
}

/// Decode `input` as a `text/event-stream` body and print one JSON object per line to `out`.
pub fn run(_input: &mut dyn Read, _opts: &Options, _out: &mut dyn Write) -> io::Result<Outcome> {
    Err(io::Error::other("decode sse is not built yet"))
}
