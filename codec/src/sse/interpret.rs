//! Stages 3 and 4 of the algorithm (classifying a line, processing a field) and the
//! dispatch steps, applied to one complete line at a time.
//!
//! The byte layer ([`super::parser`]) hands each line over as a slice of the buffer it
//! lies in, the chunk being fed or the parser's carry, with its offset there. The
//! field buffers remember a *range of that buffer* rather than copy it, so a value
//! that is set and used inside one buffer is never copied. Before the chunk goes
//! away, the parser either keeps the bytes the ranges refer to in its carry
//! ([`State::first_referred`], [`State::rebase`]) or has [`State::end_of_chunk`] copy
//! the values out one by one. Everything is matched on
//! bytes (field names, `:`, the single space, NUL in `id`, digits in `retry`); text is
//! decoded only when an item is handed out, lossily and once per value.
//!
//! The committed last event ID is the exception: it outlives the chunk by definition
//! (it is reported on every later event and sent on reconnect), so it is an owned
//! `String`, copied once per *change* (an unchanged `id` costs a comparison only).

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::Cell;

use super::Config;
use super::event::{Event, Item, Limit, LimitExceeded, Retry};
use super::scan::find1;
use crate::utf8::incomplete_tail_start;

/// The text of the buffer being read (the chunk being fed, or the carry) from `base`
/// on, up to its last complete character: validated as UTF-8 once, when a value
/// inside it is first wanted (at a dispatch or a comment), or `""` if that part is not
/// valid UTF-8. A value that lies inside it is then a `&str` slice of it with no check
/// of its own: most values are a few bytes, where the fixed cost of a validation call
/// outweighs the bytes checked. `base` is where the first line read from the buffer in
/// this feed starts, or (see [`ChunkText::reach_back`]) the first value of the block a
/// dispatch hands out. A buffer with neither a dispatch nor a comment validates
/// nothing. What may be validated twice is bounded: the unfinished tail (again in the
/// next feed, as part of its line), values before `base` when a comment asked
/// first (decoded on their own at dispatch), and the bytes a validation starts early
/// to fill its last block, no more than the text's own (see [`ChunkText::validate`]).
#[derive(Debug)]
pub(super) struct ChunkText<'c> {
    chunk: &'c [u8],
    base: Cell<usize>,
    text: Cell<Option<&'c str>>,
}

impl<'c> ChunkText<'c> {
    /// The text of `chunk[base..]`, validated when first asked for.
    pub(super) fn new(chunk: &'c [u8], base: usize) -> Self {
        ChunkText {
            chunk,
            base: Cell::new(base),
            text: Cell::new(None),
        }
    }

    /// Makes the text start at `from` if that is earlier and it is not validated yet:
    /// a dispatch asks for the first byte its block's values lie at, so that values
    /// kept from earlier chunks are checked in the same call as the new ones. (Each
    /// block is dispatched once, so no value is validated this way twice.)
    #[inline]
    fn reach_back(&self, from: usize) {
        if self.text.get().is_none() && from < self.base.get() {
            self.base.set(from);
        }
    }

    /// The validated text, for a dispatch whose block's values lie from `from` on (or
    /// a comment at `from`): the text starts there if nothing was validated yet and
    /// that is earlier (see [`ChunkText::reach_back`]).
    #[inline(always)]
    fn block(&self, from: usize, scanned: &mut u64) -> Block<'c> {
        self.reach_back(from);
        let text = match self.text.get() {
            Some(text) => text,
            None => self.validate(scanned),
        };
        Block {
            base: self.base.get(),
            text,
        }
    }

    /// Validates the text from `base` on: the whole rest (nearly always valid), else
    /// up to its last complete character (that second pass, over the same bytes, is
    /// not counted again in `scanned`).
    ///
    /// The text is first made a whole number of [`SIMD_BLOCK`]s long by starting it
    /// up to 63 bytes earlier, when the buffer has that many bytes before `base` and
    /// they are at most as many as the text's own (so at most twice the bytes are
    /// looked at). `simdutf8` copies a partial last block into a buffer on the stack
    /// and reads it back at once, which stalled on store forwarding: with 64-byte
    /// chunks that read was half the time of the validation. The earlier bytes are
    /// stream bytes already handed on, nearly always valid; when they are not, or the
    /// new start falls inside a character, the text starts at `base` as before.
    ///
    /// Inlined into [`ChunkText::block`]: as a call it cost a small event in 64-byte
    /// chunks 56 of its 843 instructions (callgrind).
    #[inline(always)]
    fn validate(&self, scanned: &mut u64) -> &'c str {
        let base = self.base.get();
        let rest = self.chunk.get(base..).unwrap_or_default();
        let pad = rest.len().wrapping_neg() % SIMD_BLOCK;
        if pad != 0 && pad <= base && pad <= rest.len() {
            let start = base - pad;
            *scanned += (pad + rest.len()) as u64;
            let whole = &self.chunk[start..];
            // A continuation byte (10xxxxxx) is not a character's start.
            if whole[0] & 0xC0 != 0x80 {
                if let Ok(text) = simdutf8::basic::from_utf8(whole) {
                    self.base.set(start);
                    self.text.set(Some(text));
                    return text;
                }
            }
        } else {
            *scanned += rest.len() as u64;
        }
        let text = simdutf8::basic::from_utf8(rest).unwrap_or_else(|_| {
            let complete = &rest[..incomplete_tail_start(rest)];
            simdutf8::basic::from_utf8(complete).unwrap_or_default()
        });
        self.text.set(Some(text));
        text
    }
}

/// A buffer's validated text as a dispatch reads its values from it: `text` starts
/// at position `base` of the buffer.
#[derive(Debug, Clone, Copy)]
struct Block<'c> {
    base: usize,
    text: &'c str,
}

impl<'c> Block<'c> {
    /// No text: every value is checked on its own.
    const NONE: Block<'static> = Block {
        base: usize::MAX,
        text: "",
    };

    /// The text of `start..end` of the buffer, if it lies inside the validated text.
    #[inline(always)]
    fn slice(self, (start, end): (usize, usize)) -> Option<&'c str> {
        self.text
            .get(start.checked_sub(self.base)?..end - self.base)
    }
}

/// A value's text for dispatch: a slice of the block's validated text when it lies
/// there (no check of its own), else its bytes checked now (and counted in
/// `scanned`); `Err` holds bytes that are not valid UTF-8, for lossy decoding.
#[inline(always)]
fn value_text<'a>(
    range: Option<(usize, usize)>,
    owned: &'a [u8],
    chunk: &'a [u8],
    block: Block<'a>,
    scanned: &mut u64,
) -> Result<&'a str, &'a [u8]> {
    let bytes = match range {
        Some(range) => {
            if let Some(text) = block.slice(range) {
                return Ok(text);
            }
            chunk.get(range.0..range.1).unwrap_or_default()
        }
        None => owned,
    };
    *scanned += bytes.len() as u64;
    simdutf8::basic::from_utf8(bytes).map_err(|_| bytes)
}

/// A [`value_text`] as an item's text: malformed bytes decoded lossily, valid text
/// (the common case) borrowed, not copied. Rust's lossy decoding replaces each
/// maximal malformed subpart by one U+FFFD, exactly as the Encoding Standard's UTF-8
/// decoder does, so per-value decoding equals whole-stream decoding.
fn lossy<'a>(text: Result<&'a str, &'a [u8]>) -> Cow<'a, str> {
    match text {
        Ok(valid) => Cow::Borrowed(valid),
        Err(bytes) => String::from_utf8_lossy(bytes),
    }
}

/// The bytes `simdutf8` checks at a time (see [`ChunkText::validate`]).
pub(super) const SIMD_BLOCK: usize = 64;

/// Dispatch step 1's copy: sets the last event ID string to `new` unless it is that
/// already; whether it changed. Copied into the string's own allocation, grown only
/// to the longest ID seen (so within the limits), never reallocated per event.
#[inline]
fn commit(last: &mut String, new: &str, copied: &mut u64) -> bool {
    // Compared in line: an ID is a few bytes, where a call to `memcmp` cost more
    // than the comparison (a tenth of a small event's time).
    let (a, b) = (new.as_bytes(), last.as_bytes());
    if a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y) {
        return false;
    }
    *copied += new.len() as u64;
    last.clear();
    last.reserve_exact(new.len());
    last.push_str(new);
    true
}

/// Appends `bytes` to `buf`, growing its capacity to at most `limit`. The caller has
/// checked that `buf.len() + bytes.len() <= limit`; this keeps the allocation itself
/// within the limit too (plain `Vec` growth may double past it).
#[inline]
pub(super) fn extend_within(buf: &mut Vec<u8>, bytes: &[u8], limit: usize, copied: &mut u64) {
    let need = buf.len().saturating_add(bytes.len());
    if need > buf.capacity() {
        grow_within(buf, need, limit);
    }
    if let [b] = bytes {
        // A chunk fed one byte at a time: no call to `memcpy` for each.
        buf.push(*b);
    } else {
        buf.extend_from_slice(bytes);
    }
    *copied += bytes.len() as u64;
}

/// The growth step of [`extend_within`]: double, but never past `limit` (or `need`).
#[cold]
fn grow_within(buf: &mut Vec<u8>, need: usize, limit: usize) {
    let target = need
        .max(buf.capacity().saturating_mul(2))
        .min(limit.max(need));
    buf.reserve_exact(target - buf.len());
}

/// The field a line names (WHATWG SSE's four, or any other).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Event,
    Data,
    Id,
    Retry,
    Other,
}

/// The field a line that does not start with a colon names, and the position of its
/// first colon. WHATWG SSE: "If the line contains a U+003A COLON character": the
/// field name is everything before the first colon; "Otherwise" the whole line is
/// the name. Field names are compared literally (case-sensitive, untrimmed).
///
/// A line of eight bytes or more that starts with one of the four names and a colon
/// (nearly every line of a real stream) is recognised from one `u64` of its head,
/// with no colon search: the colon right after the name is then the first colon.
/// A shorter line is checked for `id:` the same way (a short ID).
///
/// The result goes to `then` rather than back to the caller: called with a constant
/// at each early return, it is compiled once per field there, so the line goes
/// straight to its field's code (a returned `Field` was matched again through a jump
/// table, which the line loop paid on every line).
#[inline(always)]
fn field_name<R>(line: &[u8], then: impl FnOnce(Field, Option<usize>) -> R) -> R {
    /// `name:` as the low bytes of a little-endian `u64`, and the mask of those bytes.
    const fn prefix(name: &[u8]) -> (u64, u64) {
        let mut word = 0u64;
        let mut i = 0;
        while i < name.len() {
            word |= (name[i] as u64) << (8 * i);
            i += 1;
        }
        word |= (b':' as u64) << (8 * name.len());
        (word, u64::MAX >> (64 - 8 * (name.len() + 1)))
    }
    const DATA: (u64, u64) = prefix(b"data");
    const EVENT: (u64, u64) = prefix(b"event");
    const ID: (u64, u64) = prefix(b"id");
    const RETRY: (u64, u64) = prefix(b"retry");
    if let Some(head) = line.first_chunk::<8>() {
        let word = u64::from_le_bytes(*head);
        if word & DATA.1 == DATA.0 {
            return then(Field::Data, Some(4));
        }
        if word & ID.1 == ID.0 {
            return then(Field::Id, Some(2));
        }
        if word & EVENT.1 == EVENT.0 {
            return then(Field::Event, Some(5));
        }
        if word & RETRY.1 == RETRY.0 {
            return then(Field::Retry, Some(5));
        }
    } else if let Some(head) = line.first_chunk::<4>() {
        // A short line: an `id` of one to four characters is the common one.
        if u64::from(u32::from_le_bytes(*head)) & ID.1 == ID.0 {
            return then(Field::Id, Some(2));
        }
    }
    let colon = find1(b':', line);
    let field = match colon.map_or(line, |c| &line[..c]) {
        b"event" => Field::Event,
        b"data" => Field::Data,
        b"id" => Field::Id,
        b"retry" => Field::Retry,
        _ => Field::Other,
    };
    then(field, colon)
}

/// A field value kept between lines: a range of the buffer being read (the chunk
/// being fed, or the parser's carry), or its own copy.
#[derive(Debug, Clone, Default)]
pub(super) struct Value {
    /// The value, when `in_chunk` is `None`.
    owned: Vec<u8>,
    /// `start..end` of the value in the buffer being read. Between feeds it refers to
    /// the carry (shifted by [`State::rebase`] when the carry's front is dropped);
    /// [`Value::end_of_chunk`] turns it into `owned` before its buffer goes away.
    in_chunk: Option<(usize, usize)>,
}

impl Value {
    /// Whether the value is the empty string.
    #[inline]
    fn is_empty(&self) -> bool {
        match self.in_chunk {
            Some((s, e)) => s == e,
            None => self.owned.is_empty(),
        }
    }

    /// Sets the value, which lies at `at` in the buffer being read: remembered as
    /// that range, copied only if it must outlive the buffer.
    fn set(&mut self, len: usize, at: usize) {
        self.in_chunk = Some((at, at + len));
    }

    /// Copies a value that still refers to the chunk, which is about to go away.
    fn end_of_chunk(&mut self, chunk: &[u8], limit: usize, copied: &mut u64) {
        if let Some((s, e)) = self.in_chunk.take() {
            self.owned.clear();
            extend_within(
                &mut self.owned,
                chunk.get(s..e).unwrap_or_default(),
                limit,
                copied,
            );
        }
    }

    fn clear(&mut self) {
        self.in_chunk = None;
        self.owned.clear();
    }

    fn capacity(&self) -> usize {
        self.owned.capacity()
    }
}

/// The per-stream buffers of WHATWG SSE §9.2.6 plus bookkeeping.
#[derive(Debug, Clone)]
pub(super) struct State {
    /// The limits.
    config: Config,
    /// The data buffer, when `data_in_chunk` is `None`: values each followed by LF.
    data: Vec<u8>,
    /// A data buffer holding a single value that lies in the buffer being read (as
    /// [`Value::in_chunk`]); the LF the spec appends after it is implied (and is the
    /// one dispatch step 3 removes).
    data_in_chunk: Option<(usize, usize)>,
    /// The data buffer's length in bytes, wherever it lies (0 means "empty string").
    data_len: usize,
    /// The event type buffer.
    event_type: Value,
    /// The last event ID buffer.
    id: Value,
    /// Whether an `id` field set the buffer since dispatch step 1 last ran.
    id_dirty: bool,
    /// The last event ID string (what dispatch step 1 commits), decoded.
    last_event_id: String,
    /// The reconnection time set by the last valid `retry`, in milliseconds.
    reconnection_time: Option<u64>,
    /// Whether a non-empty line came after the last empty line.
    in_block: bool,
    /// Bytes examined (line scans, colon scans, value checks, UTF-8 decoding).
    pub(super) scanned: u64,
    /// Bytes copied into the parser's buffers.
    pub(super) copied: u64,
}

impl State {
    /// Fresh buffers; the last event ID buffer and string both hold `seed`, as a
    /// reconnecting client's parser must (otherwise the first event without `id`
    /// would commit the empty string in dispatch step 1).
    pub(super) fn new(config: Config, seed: &str) -> Self {
        State {
            config,
            data: Vec::new(),
            data_in_chunk: None,
            data_len: 0,
            event_type: Value::default(),
            id: Value {
                owned: seed.as_bytes().to_vec(),
                in_chunk: None,
            },
            id_dirty: false,
            last_event_id: String::from(seed),
            reconnection_time: None,
            in_block: false,
            scanned: 0,
            copied: 0,
        }
    }

    /// Processes one complete line (terminator excluded), which lies at `at` in
    /// `chunk` (the chunk being fed or the parser's carry); `text` is that buffer's
    /// [`ChunkText`].
    #[inline(always)]
    pub(super) fn line<S: FnMut(Item<'_>)>(
        &mut self,
        line: &[u8],
        at: usize,
        chunk: &[u8],
        text: &ChunkText<'_>,
        sink: &mut S,
    ) -> Result<(), LimitExceeded> {
        // WHATWG SSE: "If the line is empty (a blank line): Dispatch the event".
        let Some((&first, rest)) = line.split_first() else {
            self.dispatch(chunk, text, sink);
            return Ok(());
        };
        self.in_block = true;
        // WHATWG SSE: "If the line starts with a U+003A COLON character (:): Ignore the
        // line." Reported as a comment: the text after the colon, unchanged.
        if first == b':' {
            self.comment((at + 1, at + 1 + rest.len()), chunk, text, sink);
            return Ok(());
        }
        // WHATWG SSE: "If the line contains a U+003A COLON character": the field name is
        // everything before the first colon, the value everything after it, and "if
        // value starts with a U+0020 SPACE character, remove it from value" (one only).
        // "Otherwise": the whole line is the field name and the value is empty.
        field_name(line, |name, colon| {
            self.field(name, colon, line, at, chunk, sink)
        })
    }

    /// A comment line: the text at `range` of `chunk` (after the colon), as a
    /// dispatch reads a value. Out of the line loop: comments are rare.
    #[inline(never)]
    fn comment<S: FnMut(Item<'_>)>(
        &mut self,
        range: (usize, usize),
        chunk: &[u8],
        text: &ChunkText<'_>,
        sink: &mut S,
    ) {
        let block = text.block(range.0, &mut self.scanned);
        let comment = value_text(Some(range), &[], chunk, block, &mut self.scanned);
        sink(Item::Comment(lossy(comment)));
    }

    /// Stage 4, "process the field", for a line naming `name` with its first colon at
    /// `colon` (see [`State::line`]).
    #[inline(always)]
    fn field<S: FnMut(Item<'_>)>(
        &mut self,
        name: Field,
        colon: Option<usize>,
        line: &[u8],
        at: usize,
        chunk: &[u8],
        sink: &mut S,
    ) -> Result<(), LimitExceeded> {
        let value_off = match colon {
            Some(colon) => {
                self.scanned += colon as u64 + 1;
                let mut off = colon + 1;
                if line.get(off) == Some(&b' ') {
                    off += 1;
                }
                off
            }
            None => {
                self.scanned += line.len() as u64;
                line.len()
            }
        };
        let value = &line[value_off..];
        let value_at = at + value_off;
        match name {
            // Field "event": "Set the event type buffer to field value."
            Field::Event => self.event_type.set(value.len(), value_at),
            // Field "data": "Append the field value to the data buffer, then append a
            // single U+000A LINE FEED (LF) character to the data buffer."
            Field::Data => self.append_data(value, value_at, chunk)?,
            // Field "id": "If the field value does not contain U+0000 NULL, then set the
            // last event ID buffer to the field value. Otherwise, ignore the field."
            Field::Id => {
                self.scanned += value.len() as u64;
                if find1(0, value).is_none() {
                    self.id.set(value.len(), value_at);
                    self.id_dirty = true;
                }
            }
            // Field "retry": "If the field value consists of only ASCII digits, then
            // interpret the field value as an integer in base ten, and set the event
            // stream's reconnection time to that integer. Otherwise, ignore the field."
            Field::Retry => {
                if let Some(retry) = self.retry(value) {
                    sink(Item::Retry(retry));
                }
            }
            // WHATWG SSE: "Otherwise: The field is ignored."
            Field::Other => {}
        }
        Ok(())
    }

    /// Field "retry" (see the rule quoted at the call). Applied when parsed, not at
    /// dispatch. `None` when the field is ignored (a non-digit anywhere, including
    /// `+`, `-`, a second space, a unit or a decimal point).
    fn retry(&mut self, value: &[u8]) -> Option<Retry> {
        self.scanned += value.len() as u64;
        if !value.iter().all(u8::is_ascii_digit) {
            return None;
        }
        if value.is_empty() {
            // Vacuously "only digits" but no integer: reported, time unchanged.
            return Some(Retry::Empty);
        }
        let mut ms: u64 = 0;
        for &digit in value {
            match ms
                .checked_mul(10)
                .and_then(|m| m.checked_add(u64::from(digit - b'0')))
            {
                Some(m) => ms = m,
                // Beyond u64: ignored (as Chromium does), reported as such.
                None => return Some(Retry::TooLarge),
            }
        }
        self.reconnection_time = Some(ms);
        Some(Retry::Millis(ms))
    }

    /// Field "data", bounded by `max_event_len`.
    #[inline(always)]
    fn append_data(&mut self, value: &[u8], at: usize, chunk: &[u8]) -> Result<(), LimitExceeded> {
        let max = self.config.max_event_len;
        let new_len = self.data_len.saturating_add(value.len()).saturating_add(1);
        if new_len > max {
            return Err(LimitExceeded {
                limit: Limit::Event,
                max,
            });
        }
        if self.data_len == 0 {
            // The first value: remember where it is, copy nothing.
            self.data_in_chunk = Some((at, at + value.len()));
        } else {
            self.append_to_buffer(value, chunk);
        }
        self.data_len = new_len;
        Ok(())
    }

    /// A second `data` value: the data buffer must hold bytes now (within
    /// `max_event_len`, checked by the caller).
    fn append_to_buffer(&mut self, value: &[u8], chunk: &[u8]) {
        let max = self.config.max_event_len;
        if let Some((s, e)) = self.data_in_chunk.take() {
            let first = chunk.get(s..e).unwrap_or_default();
            extend_within(&mut self.data, first, max, &mut self.copied);
            extend_within(&mut self.data, b"\n", max, &mut self.copied);
        }
        extend_within(&mut self.data, value, max, &mut self.copied);
        extend_within(&mut self.data, b"\n", max, &mut self.copied);
    }

    /// WHATWG SSE "dispatch the event", run on every empty line.
    fn dispatch<S: FnMut(Item<'_>)>(&mut self, chunk: &[u8], text: &ChunkText<'_>, sink: &mut S) {
        self.in_block = false;
        if !self.id_dirty && self.data_len == 0 {
            // Nothing to commit and no event (dispatch steps 1 and 2 below).
            self.event_type.clear();
            return;
        }
        // The values that lie in the buffer are checked in one validation, from the
        // first of them on.
        let block = match self.first_referred() {
            Some(first) => text.block(first, &mut self.scanned),
            None => Block::NONE,
        };
        // WHATWG SSE: dispatch step 1: "Set the last event ID string of the event source
        // to the value of the last event ID buffer." This happens even when no event
        // fires; the buffer itself keeps its value.
        if self.id_dirty {
            self.id_dirty = false;
            let id = value_text(
                self.id.in_chunk,
                &self.id.owned,
                chunk,
                block,
                &mut self.scanned,
            );
            let changed = match id {
                Ok(valid) => commit(&mut self.last_event_id, valid, &mut self.copied),
                Err(bytes) => {
                    let lossy = String::from_utf8_lossy(bytes);
                    commit(&mut self.last_event_id, &lossy, &mut self.copied)
                }
            };
            if changed {
                sink(Item::LastEventId(Cow::Borrowed(&self.last_event_id)));
            }
            // The buffer now equals the string (decoded) and is read again only after
            // an `id` field sets it anew: its bytes need not be kept.
            self.id.clear();
        }
        // WHATWG SSE: dispatch step 2: "If the data buffer is an empty string, set the
        // data buffer and the event type buffer to the empty string and return."
        if self.data_len == 0 {
            self.event_type.clear();
            return;
        }
        // WHATWG SSE: dispatch step 3: "If the data buffer's last character is a U+000A
        // LINE FEED (LF) character, then remove the last character from the data
        // buffer." It always is (every data line appends one); exactly one is removed.
        // A single value in the buffer has it implied: that is the one removed.
        let without_lf = self.data.split_last().map_or(&[][..], |(_lf, rest)| rest);
        let data = value_text(
            self.data_in_chunk,
            without_lf,
            chunk,
            block,
            &mut self.scanned,
        );
        // WHATWG SSE: dispatch steps 4–6: an event of type "message" with the data and
        // the last event ID string; "If the event type buffer has a value other than the
        // empty string, change the type of the newly created event to equal the value
        // of the event type buffer."
        let event_type = if self.event_type.is_empty() {
            Ok("message")
        } else {
            value_text(
                self.event_type.in_chunk,
                &self.event_type.owned,
                chunk,
                block,
                &mut self.scanned,
            )
        };
        match (event_type, data) {
            // Valid UTF-8 (the common case): the item is built in place from `&str`s.
            (Ok(event_type), Ok(data)) => sink(Item::Event(Event {
                event_type: Cow::Borrowed(event_type),
                data: Cow::Borrowed(data),
                last_event_id: Cow::Borrowed(&self.last_event_id),
            })),
            (event_type, data) => {
                // Malformed bytes in either: decoded lossily (already counted).
                sink(Item::Event(Event {
                    event_type: lossy(event_type),
                    data: lossy(data),
                    last_event_id: Cow::Borrowed(&self.last_event_id),
                }));
            }
        }
        // WHATWG SSE: dispatch step 7: "Set the data buffer and the event type buffer to
        // the empty string." (Step 8, queueing the task, is the caller's business.)
        self.data.clear();
        self.data_in_chunk = None;
        self.data_len = 0;
        self.event_type.clear();
    }

    /// Copies every value that still refers to `chunk`, which is about to go away.
    #[inline]
    pub(super) fn end_of_chunk(&mut self, chunk: &[u8]) {
        let refers = self.data_in_chunk.is_some()
            || self.event_type.in_chunk.is_some()
            || self.id.in_chunk.is_some();
        if refers {
            self.copy_out_of_chunk(chunk);
        }
    }

    /// The work of [`State::end_of_chunk`] when there is some.
    fn copy_out_of_chunk(&mut self, chunk: &[u8]) {
        let max_line = self.config.max_line_len;
        if let Some((s, e)) = self.data_in_chunk.take() {
            let max = self.config.max_event_len;
            extend_within(
                &mut self.data,
                chunk.get(s..e).unwrap_or_default(),
                max,
                &mut self.copied,
            );
            extend_within(&mut self.data, b"\n", max, &mut self.copied);
        }
        self.event_type
            .end_of_chunk(chunk, max_line, &mut self.copied);
        self.id.end_of_chunk(chunk, max_line, &mut self.copied);
    }

    /// The first position of the chunk (or carry) that a value still refers to.
    #[inline]
    pub(super) fn first_referred(&self) -> Option<usize> {
        let start = |range: Option<(usize, usize)>| range.map_or(usize::MAX, |(s, _)| s);
        let first = start(self.data_in_chunk)
            .min(start(self.event_type.in_chunk))
            .min(start(self.id.in_chunk));
        (first != usize::MAX).then_some(first)
    }

    /// The first position of the buffer that must be kept when the unfinished line
    /// starts at `line`: the first a value refers to, if that is earlier.
    #[inline]
    pub(super) fn first_needed(&self, line: usize) -> usize {
        self.first_referred().map_or(line, |s| s.min(line))
    }

    /// The bytes the values refer to moved `by` bytes towards the start of their
    /// buffer (every range starts at `by` or later: see [`State::first_referred`]).
    #[inline]
    pub(super) fn rebase(&mut self, by: usize) {
        let shift = |range: &mut Option<(usize, usize)>| {
            if let Some((s, e)) = range {
                *s -= by;
                *e -= by;
            }
        };
        shift(&mut self.data_in_chunk);
        shift(&mut self.event_type.in_chunk);
        shift(&mut self.id.in_chunk);
    }

    /// Drops every buffer (after a limit was exceeded): the parser holds nothing more.
    pub(super) fn drop_buffers(&mut self) {
        self.data = Vec::new();
        self.data_in_chunk = None;
        self.data_len = 0;
        self.event_type = Value::default();
        self.id = Value::default();
        self.id_dirty = false;
        self.in_block = false;
    }

    /// The last event ID string (committed by dispatch step 1).
    pub(super) fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// Takes the last event ID string out (at end of stream).
    pub(super) fn take_last_event_id(&mut self) -> String {
        core::mem::take(&mut self.last_event_id)
    }

    /// The reconnection time set by the last valid `retry` field.
    pub(super) fn reconnection_time(&self) -> Option<u64> {
        self.reconnection_time
    }

    /// Whether a non-empty line came after the last empty line.
    pub(super) fn in_block(&self) -> bool {
        self.in_block
    }

    /// The data buffer's length in bytes (0: no `data` line since the last dispatch).
    pub(super) fn data_len(&self) -> usize {
        self.data_len
    }

    /// Capacities of the data, event type and ID buffers and of the last event ID.
    pub(super) fn capacities(&self) -> (usize, usize, usize, usize) {
        (
            self.data.capacity(),
            self.event_type.capacity(),
            self.id.capacity(),
            self.last_event_id.capacity(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `prefix` then a 40-byte text (24 bytes short of a whole block); the value
    /// `quote` on its last `event` line is asked for. Returns the value, where the
    /// text was made to start, and the bytes counted as scanned.
    fn value_after(prefix: &[u8]) -> (Option<String>, usize, u64) {
        let text = b"data: {\"symbol\":\"quote\"}\nevent: quote\n\n\n";
        assert_eq!(text.len(), 40);
        let buffer = [prefix, &text[..]].concat();
        let base = prefix.len();
        let chunk = ChunkText::new(&buffer, base);
        let mut scanned = 0;
        let at = base + text.len() - 8;
        let value = chunk
            .block(at, &mut scanned)
            .slice((at, at + 5))
            .map(String::from);
        (value, chunk.base.get(), scanned)
    }

    #[test]
    fn a_text_starts_early_to_fill_whole_blocks_and_values_keep_their_bytes() {
        // 24 bytes before `base` are validated with the text: 64 bytes in all.
        let (value, start, scanned) = value_after(&[b'x'; 30]);
        assert_eq!(value.as_deref(), Some("quote"));
        assert_eq!((start, scanned), (6, 64));
        // Not enough bytes before it: the text starts at `base`.
        let (value, start, scanned) = value_after(&[b'x'; 23]);
        assert_eq!(value.as_deref(), Some("quote"));
        assert_eq!((start, scanned), (23, 40));
    }

    #[test]
    fn a_text_starts_at_base_when_the_bytes_before_it_are_not_text() {
        // Invalid UTF-8 among the 24 bytes before `base`.
        let mut prefix = [b'x'; 30];
        prefix[10] = 0xFF;
        let (value, start, _) = value_after(&prefix);
        assert_eq!((value.as_deref(), start), (Some("quote"), 30));
        // The early start would fall inside a character (U+00E9 is C3 A9).
        let mut prefix = [b'x'; 30];
        prefix[5..7].copy_from_slice("é".as_bytes());
        let (value, start, _) = value_after(&prefix);
        assert_eq!((value.as_deref(), start), (Some("quote"), 30));
        // A character that starts there is fine.
        let mut prefix = [b'x'; 30];
        prefix[6..8].copy_from_slice("é".as_bytes());
        let (value, start, _) = value_after(&prefix);
        assert_eq!((value.as_deref(), start), (Some("quote"), 6));
    }

    #[test]
    fn field_name_agrees_with_the_colon_search() {
        let names: [&[u8]; 10] = [
            b"data", b"event", b"id", b"retry", b"dat", b"Data", b"ids", b"", b"eventx", b"i",
        ];
        let seps: [&[u8]; 5] = [b":", b"", b" :", b"::", b": "];
        let values: [&[u8]; 4] = [b"", b"x", b"0123456789", b"a:b"];
        for name in names {
            for sep in seps {
                for value in values {
                    let line = [name, sep, value].concat();
                    let colon = line.iter().position(|&b| b == b':');
                    let want = match colon.map_or(&line[..], |c| &line[..c]) {
                        b"event" => Field::Event,
                        b"data" => Field::Data,
                        b"id" => Field::Id,
                        b"retry" => Field::Retry,
                        _ => Field::Other,
                    };
                    assert_eq!(
                        field_name(&line, |field, colon| (field, colon)),
                        (want, colon),
                        "{:?}",
                        String::from_utf8_lossy(&line)
                    );
                }
            }
        }
    }
}
