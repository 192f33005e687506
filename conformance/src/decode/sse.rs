//! `wirecheck decode sse` (DESIGN §4): prints what `wirecheck_codec::sse::Parser` makes
//! of a captured `text/event-stream` body, as JSON Lines, in stream order:
//!
//! ```text
//! {"event":"message","data":"a\nb","id":"42"}   a dispatched event
//! {"retry":3000}                                 a valid retry field, when it is parsed
//! {"comment":" keep-alive"}                      a comment: the text after the colon, as is
//! {"truncated":true}                             the input ended inside a line or a block
//! {"error":"a line is longer than ..."}          a parser limit was exceeded; decoding stops
//! ```
//!
//! Choices, documented here because scripts read this output:
//! * `event` is the event type, `message` when the type buffer was empty (dispatch
//!   step 6). `id` is the last event ID string after dispatch step 1 and is always
//!   printed, as `""` when none is set (the spec's `lastEventId` is then the empty
//!   string too), so every event line has the same three keys in the same order.
//! * `retry` is printed only for a value the parser applies (ASCII digits that fit in
//!   a `u64`). `retry:` with an empty value, and values too large for a `u64`, are
//!   ignored as the parser ignores them and print nothing; non-digits print nothing.
//! * A block with an `id` but no `data` prints nothing itself; later events show the id.
//! * `{"truncated":true}` is printed last when the stream did not end at a block
//!   boundary (the spec discards that block). Exit status 0 all the same.
//! * The parser's limits are the codec defaults (4 MiB line, 16 MiB event data). Past
//!   one, `{"error":...}` is printed, decoding stops and the exit status is 1, since
//!   the rest of the input was not decoded.
//! * Strings are escaped by serde_json; invalid UTF-8 in the input shows as U+FFFD.
//!
//! The input is read 64 KiB at a time and, with `--chunk N`, fed to the parser N bytes
//! at a time; the parser's output does not depend on either, so neither does this.

use std::io::{self, Read, Write};
use std::num::NonZeroUsize;

use wirecheck_codec::sse::{Config, Item, Parser, Retry};

use super::Outcome;

/// Bytes read from the input at a time.
const READ_SIZE: usize = 64 * 1024;

/// Options of `decode sse`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Feed the parser this many bytes at a time; `None` feeds each read whole.
    pub chunk: Option<NonZeroUsize>,
    /// Seed the last event ID, as a reconnecting client does.
    pub last_event_id: Option<String>,
}

/// Decode `input` as a `text/event-stream` body and print one JSON object per line to `out`.
pub fn run(input: &mut dyn Read, opts: &Options, out: &mut dyn Write) -> io::Result<Outcome> {
    let config = Config::default();
    let mut parser = match &opts.last_event_id {
        Some(id) => Parser::with_last_event_id(id, config),
        None => Parser::new(config),
    };
    let step = opts.chunk.map_or(usize::MAX, NonZeroUsize::get);
    let mut buf = vec![0u8; READ_SIZE];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        for piece in buf[..n].chunks(step) {
            // The sink cannot return an error: keep the first write error and stop printing.
            let mut write_error = None;
            let fed = parser.feed(piece, |item| {
                if write_error.is_none() {
                    if let Err(e) = print_item(out, &item) {
                        write_error = Some(e);
                    }
                }
            });
            if let Some(e) = write_error {
                return Err(e);
            }
            if let Err(limit) = fed {
                write_line(out, &[("error", Json::Str(&limit.to_string()))])?;
                return Ok(Outcome::ProtocolError);
            }
        }
    }
    if parser.finish().truncated() {
        out.write_all(b"{\"truncated\":true}\n")?;
    }
    Ok(Outcome::Complete)
}

/// Prints one item, if it is one `decode sse` shows.
fn print_item(out: &mut dyn Write, item: &Item<'_>) -> io::Result<()> {
    match item {
        Item::Event(e) => write_line(
            out,
            &[
                ("event", Json::Str(&e.event_type)),
                ("data", Json::Str(&e.data)),
                ("id", Json::Str(&e.last_event_id)),
            ],
        ),
        Item::Retry(Retry::Millis(ms)) => write_line(out, &[("retry", Json::U64(*ms))]),
        // Not applied by the parser (see the module doc): nothing to show.
        Item::Retry(Retry::Empty | Retry::TooLarge) => Ok(()),
        Item::Comment(text) => write_line(out, &[("comment", Json::Str(text))]),
        // Shown through the `id` of later events.
        Item::LastEventId(_) => Ok(()),
    }
}

/// A JSON value of an output line.
enum Json<'a> {
    Str(&'a str),
    U64(u64),
}

/// Writes `{"key":value,...}` and a newline, keys in the given order.
fn write_line(out: &mut dyn Write, fields: &[(&str, Json<'_>)]) -> io::Result<()> {
    let mut line = Vec::with_capacity(64);
    line.push(b'{');
    for (i, (key, value)) in fields.iter().enumerate() {
        if i > 0 {
            line.push(b',');
        }
        serde_json::to_writer(&mut line, key).map_err(io::Error::from)?;
        line.push(b':');
        match value {
            Json::Str(s) => serde_json::to_writer(&mut line, s).map_err(io::Error::from)?,
            Json::U64(n) => serde_json::to_writer(&mut line, n).map_err(io::Error::from)?,
        }
    }
    line.extend_from_slice(b"}\n");
    out.write_all(&line)
}
