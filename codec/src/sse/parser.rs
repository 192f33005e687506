//! The byte layer of the parser: stages 1 and 2 of the algorithm (the byte-order mark,
//! line splitting) over chunks of any size, and the public [`Parser`].
//!
//! Why it is built this way:
//! * The chunk is scanned for CR and LF (64 bytes at a time; a chunk under 32 bytes
//!   word by word first, see [`super::scan`]) from where the previous scan stopped.
//!   A line that ends in the chunk where it began is handed on as a slice of that chunk.
//!   What must outlive a chunk goes into one buffer, the *carry*: the unfinished line,
//!   and before it, in one piece, the unfinished block from its first value on (at
//!   most 4 KiB; a larger block has its values copied out one by one), so values
//!   stay ranges of the carry and are never copied into buffers of their own.
//! * A small chunk (4 KiB at most, when the carry then stays within `max_line_len`)
//!   that follows carried bytes is appended to the carry and read there: a line split
//!   between chunks is then read where it lies, not joined by a copy of its own, and
//!   an event split between small chunks (a trickle, 64 bytes at a time) has its
//!   type, ID and data in one buffer. A larger chunk ends
//!   the carried line by appending the bytes up to its first line end, and is read in
//!   place from there. Carried bytes nothing refers to any more are dropped, and the
//!   rest is moved to the front only when at least as many bytes are dropped, so the
//!   moves cost no more than the input. Each input byte is scanned once for a line
//!   end and copied a bounded number of times, whatever the chunking: total work is
//!   linear even when fed one byte at a time ([`Parser::bytes_scanned`],
//!   [`Parser::bytes_copied`]).
//! * A CR completes its line as soon as it is seen, even as the last byte of a chunk;
//!   a flag then swallows an LF if it is the very next byte, in whatever chunk that
//!   byte arrives. Holding the CR back instead would delay events on CR-only streams
//!   and lose the last one at end of stream.
//! * The BOM is matched byte by byte across chunks, at stream start only. When the
//!   match fails after one or two bytes, those bytes are ordinary line content (they
//!   decode to U+FFFD) and are put back into the unfinished line.
//! * Limits are checked before any buffer grows, and a line is measured the same way
//!   whether it lies in one chunk or many, so exceeding a limit is reported at the same
//!   point of the stream under any chunking.

use alloc::vec::Vec;

use super::Config;
use super::event::{EndOfStream, Item, Limit, LimitExceeded};
use super::interpret::{ChunkText, SIMD_BLOCK, State, extend_within};
use super::scan::{Terminators, find2};

/// The largest chunk appended to the carry when bytes are carried (see
/// [`Parser::feed_carried`]); a larger one is read in place.
const CARRIED_CHUNK: usize = 4096;

/// The most bytes of an unfinished block kept in the carry in one piece (see
/// [`Parser::keep`]).
const KEPT_BLOCK: usize = 4096;

/// The fewest carried bytes that nothing refers to any more worth dropping (see
/// [`Parser::compact`]).
const DROP_AT_LEAST: usize = 2048;
// `compact` is skipped below `DROP_AT_LEAST`, which must not hide a block to copy out.
const _: () = assert!(DROP_AT_LEAST <= KEPT_BLOCK);

/// The dispatched bytes [`Parser::compact`] keeps before the first one still referred
/// to: as many as a validation may start early by.
const EARLY_START: usize = SIMD_BLOCK - 1;

/// The UTF-8 encoding of U+FEFF BYTE ORDER MARK.
const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// Where the parser is in recognising the byte-order mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BomState {
    /// At stream start; this many bytes of [`BOM`] (0 to 2) have matched so far.
    Matching(u8),
    /// Past the stream start: a BOM was stripped, or cannot come any more.
    Done,
}

/// An incremental `text/event-stream` parser (WHATWG HTML §9.2.6), fed byte slices of
/// any size. Never fails on any input; only the configured [`Config`] limits stop it.
///
/// ```
/// use wirecheck_codec::sse::{Config, Item, Parser};
///
/// let mut parser = Parser::new(Config::default());
/// let mut types = Vec::new();
/// for chunk in [&b"event: greet\r\nda"[..], b"ta: hi\r", b"\n\r\n"] {
///     parser
///         .feed(chunk, |item| {
///             if let Item::Event(e) = item {
///                 types.push((e.event_type.into_owned(), e.data.into_owned()));
///             }
///         })
///         .unwrap();
/// }
/// assert_eq!(types, [("greet".to_string(), "hi".to_string())]);
/// assert!(!parser.finish().truncated());
/// ```
#[derive(Debug, Clone)]
pub struct Parser {
    /// Stage 1: BOM recognition.
    bom: BomState,
    /// Stage 2: the last byte fed was a CR that ended a line; an LF next is dropped.
    pending_cr: bool,
    /// Bytes kept from earlier chunks: from `line_start` on, the line that began in an
    /// earlier chunk and has not ended; before it, the unfinished block's lines whose
    /// values the state still refers to (its ranges then refer to this buffer), and
    /// bytes nothing refers to any more that [`Parser::compact`] has not dropped yet.
    /// At most `max_line_len` bytes.
    carry: Vec<u8>,
    /// Where the unfinished line starts in `carry`.
    line_start: usize,
    /// Stages 3 and 4 and dispatch.
    state: State,
    /// The limits.
    config: Config,
    /// Set once a limit was exceeded; the parser then only repeats it.
    failed: Option<LimitExceeded>,
}

/// Allocated capacities of a parser's buffers, in bytes; see [`Parser::buffered`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Buffered {
    /// The carry (a line spanning chunks, and the unfinished block's values when they
    /// fit in one piece): at most `max_line_len`.
    pub line: usize,
    /// The data buffer: at most `max_event_len`.
    pub data: usize,
    /// The event type buffer: at most `max_line_len`.
    pub event_type: usize,
    /// The last event ID buffer: at most `max_line_len` (or the seed's length).
    pub id: usize,
    /// The last event ID string: at most `3 * max_line_len` (or the seed's length),
    /// since each malformed byte may become a 3-byte U+FFFD.
    pub last_event_id: usize,
}

impl Parser {
    /// A parser for a new stream, with an empty last event ID.
    pub fn new(config: Config) -> Self {
        Self::with_last_event_id("", config)
    }

    /// A parser for a stream opened by a reconnect: the last event ID buffer and string
    /// both start as `id` (the source's *committed* last event ID, as Chromium seeds its
    /// parser), so events before the next `id` field still carry it. The seed is taken
    /// as given; a client normally passes [`EndOfStream::last_event_id`] of the previous
    /// connection.
    pub fn with_last_event_id(id: &str, config: Config) -> Self {
        Parser {
            bom: BomState::Matching(0),
            pending_cr: false,
            carry: Vec::new(),
            line_start: 0,
            state: State::new(config, id),
            config,
            failed: None,
        }
    }

    /// Feeds the next bytes of the stream; `sink` receives every [`Item`] they complete,
    /// in stream order. Items borrow from `chunk` and from the parser, so `sink` must
    /// copy what it keeps ([`Item::into_owned`]).
    ///
    /// Returns an error when a [`Config`] limit is exceeded; the parser is then stopped
    /// (see [`LimitExceeded`]) and every later call returns the same error.
    #[inline]
    pub fn feed<F>(&mut self, chunk: &[u8], sink: F) -> Result<(), LimitExceeded>
    where
        F: FnMut(Item<'_>),
    {
        // The fast path for a few bytes (a line trickling in, down to a byte at a
        // time): past the BOM, no CR pending, and no CR or LF in the chunk, it only
        // extends the current line. That is all `feed_general` would do with it: no
        // line completes, so nothing can refer to the chunk afterwards. A longer
        // chunk is searched 64 bytes at a time by `feed_general` instead.
        if self.failed.is_none()
            && self.bom == BomState::Done
            && !self.pending_cr
            && chunk.len() < 32
        {
            let first = find2(b'\r', b'\n', chunk);
            if first.is_none()
                && self.carry.len().saturating_add(chunk.len()) <= self.config.max_line_len
            {
                self.state.scanned += chunk.len() as u64;
                extend_within(
                    &mut self.carry,
                    chunk,
                    self.config.max_line_len,
                    &mut self.state.copied,
                );
                return Ok(());
            }
            // The search is not made twice: stage 2 starts from its result.
            return self.feed_general(chunk, Some(first), sink);
        }
        // The fast path for a small chunk after carried bytes (events trickling in
        // 64 bytes at a time): straight to `feed_carried`, which `feed_lines` would
        // reach past the BOM, with no CR pending.
        if self.failed.is_none()
            && self.bom == BomState::Done
            && !self.pending_cr
            && !self.carry.is_empty()
            && !chunk.is_empty()
            && self.carries(chunk)
        {
            let mut sink = sink;
            return match self.feed_carried(chunk, None, &mut sink) {
                Ok(()) => Ok(()),
                Err(err) => Err(self.fail(err)),
            };
        }
        self.feed_general(chunk, None, sink)
    }

    /// [`Parser::feed`] for any chunk; `first` is the position of the chunk's
    /// first CR or LF when it was searched for already (past the BOM, no CR
    /// pending: stage 2 starts at the chunk's first byte).
    fn feed_general<F>(
        &mut self,
        chunk: &[u8],
        first: Option<Option<usize>>,
        mut sink: F,
    ) -> Result<(), LimitExceeded>
    where
        F: FnMut(Item<'_>),
    {
        if let Some(err) = self.failed {
            return Err(err);
        }
        match self.feed_lines(chunk, first, &mut sink) {
            Ok(()) => Ok(()),
            Err(err) => Err(self.fail(err)),
        }
    }

    /// Stops the parser at a limit: it drops its buffers and returns `err` from
    /// every later feed.
    #[cold]
    fn fail(&mut self, err: LimitExceeded) -> LimitExceeded {
        self.failed = Some(err);
        self.carry = Vec::new();
        self.line_start = 0;
        self.pending_cr = false;
        self.bom = BomState::Done;
        self.state.drop_buffers();
        err
    }

    /// Stages 1 and 2 over one chunk (`first`: see [`Parser::feed_general`]): the
    /// byte-order mark, a CR LF pair split by the chunk boundary, the line begun in an
    /// earlier chunk; then the chunk's lines, carried or in place.
    fn feed_lines<F>(
        &mut self,
        chunk: &[u8],
        mut first: Option<Option<usize>>,
        sink: &mut F,
    ) -> Result<(), LimitExceeded>
    where
        F: FnMut(Item<'_>),
    {
        let mut pos = 0;
        // WHATWG SSE: the stream is UTF-8 decoded, which strips one leading BOM, at the
        // start of the stream only (also when it arrives split across chunks).
        if let BomState::Matching(matched) = self.bom {
            let matched = usize::from(matched);
            let want = &BOM[matched..];
            let take = want.len().min(chunk.len());
            self.state.scanned += take as u64;
            if chunk[..take] == want[..take] {
                if take < want.len() {
                    // Still a possible BOM; the whole chunk was part of it.
                    self.bom = BomState::Matching((matched + take) as u8);
                    return Ok(());
                }
                self.bom = BomState::Done;
                pos = take;
            } else {
                // Not a BOM: bytes matched in earlier chunks are line content.
                self.bom = BomState::Done;
                self.push_line(&BOM[..matched])?;
            }
        }
        // WHATWG SSE: a CR LF pair is one terminator, also when split across chunks.
        if self.pending_cr && pos < chunk.len() {
            self.pending_cr = false;
            if chunk[pos] == b'\n' {
                self.state.scanned += 1;
                pos += 1;
            }
        }
        let rest = &chunk[pos..];
        if rest.is_empty() {
            return Ok(());
        }
        if !self.carry.is_empty() {
            if self.carries(rest) {
                return self.feed_carried(rest, first, sink);
            }
            if self.carry.len() > self.line_start {
                // The line begun in an earlier chunk ends in this one, or not at all.
                let found = match first.take() {
                    Some(known) => known,
                    None => find2(b'\r', b'\n', rest),
                };
                let Some(len) = found else {
                    self.state.scanned += rest.len() as u64;
                    return self.push_line(rest);
                };
                self.state.scanned += len as u64 + 1;
                self.push_line(&rest[..len])?;
                let start = self.line_start;
                let text = ChunkText::new(&self.carry, start);
                self.state
                    .line(&self.carry[start..], start, &self.carry, &text, sink)?;
                pos = self.after_terminator(chunk, pos + len);
            }
            // Nothing may refer to the carry once lines are read from the chunk.
            self.state.end_of_chunk(&self.carry);
            self.carry.clear();
            self.line_start = 0;
        }
        self.feed_in_place(chunk, pos, first, sink)
    }

    /// Stage 2 over `chunk` from `pos` on, every line handed on where it lies; the
    /// carry is empty. What the state still refers to at the end is kept (see
    /// [`Parser::keep`]).
    fn feed_in_place<F>(
        &mut self,
        chunk: &[u8],
        mut pos: usize,
        mut first: Option<Option<usize>>,
        sink: &mut F,
    ) -> Result<(), LimitExceeded>
    where
        F: FnMut(Item<'_>),
    {
        // One UTF-8 check of the chunk, from its first whole line on, serves every value
        // that lies inside it; made when that line is reached.
        let text = ChunkText::new(chunk, pos);
        // Line ends (after `first`, when the fast path found it): 64 bytes at a time.
        let mut ends = Terminators::default();
        while pos < chunk.len() {
            let found = match first.take() {
                Some(known) => known.map(|len| pos + len),
                None => ends.find(chunk, pos),
            };
            let Some(end) = found else {
                break;
            };
            let len = end - pos;
            self.state.scanned += len as u64 + 1;
            self.check_line_len(len)?;
            self.state.line(&chunk[pos..end], pos, chunk, &text, sink)?;
            pos = self.after_terminator(chunk, end);
        }
        self.keep(chunk, pos)
    }

    /// Stage 2 for a small chunk after bytes were carried: `rest` is appended to the
    /// carry and the lines it completes are handed on from there, so a line split
    /// between chunks is never joined by a copy of its own and the values of an event
    /// split between chunks lie in one buffer. (The chunk is copied once, which costs
    /// less than the per-chunk copies it saves when chunks are small.)
    ///
    /// Inlined into [`Parser::feed`]'s fast path, and so into the caller's loop: in
    /// 64-byte chunks the call and its saved registers were 8% of the time. The
    /// bigger loop costs the chunk fed a byte at a time about 7% (register spills),
    /// where it is far above its target.
    #[inline(always)]
    fn feed_carried<F>(
        &mut self,
        rest: &[u8],
        first: Option<Option<usize>>,
        sink: &mut F,
    ) -> Result<(), LimitExceeded>
    where
        F: FnMut(Item<'_>),
    {
        let old = self.carry.len();
        extend_within(
            &mut self.carry,
            rest,
            self.config.max_line_len,
            &mut self.state.copied,
        );
        // Each new byte is searched once; the carried ones were.
        self.state.scanned += rest.len() as u64;
        let mut pos = self.line_start;
        let text = ChunkText::new(&self.carry, pos);
        let mut ends = Terminators::default();
        let mut search = old;
        loop {
            let found = match first {
                Some(known) if search == old => known.map(|len| old + len),
                _ => ends.find(&self.carry, search),
            };
            let Some(end) = found else {
                break;
            };
            // No line limit to check: the whole carry is within it.
            debug_assert!(end - pos <= self.config.max_line_len);
            self.state
                .line(&self.carry[pos..end], pos, &self.carry, &text, sink)?;
            // As in `after_terminator`; the LF after a CR was counted when appended.
            pos = end + 1;
            if self.carry[end] == b'\r' {
                match self.carry.get(pos) {
                    Some(b'\n') => pos += 1,
                    Some(_) => {}
                    None => self.pending_cr = true,
                }
            }
            search = pos;
        }
        self.line_start = pos;
        // Nothing to drop or copy out before this many bytes precede the line.
        if self.line_start >= DROP_AT_LEAST {
            self.compact();
        }
        Ok(())
    }

    /// Whether `rest`, following carried bytes, is appended to the carry and read
    /// there ([`Parser::feed_carried`]) rather than read in place.
    #[inline(always)]
    fn carries(&self, rest: &[u8]) -> bool {
        rest.len() <= CARRIED_CHUNK && self.carry.len() + rest.len() <= self.config.max_line_len
    }

    /// Where the next line starts after the terminator at `end` of `chunk`. WHATWG
    /// SSE: lines end in CR LF, a lone LF, or a lone CR. A CR ends its line at once;
    /// an LF right after it, now or in the next chunk, is dropped.
    #[inline(always)]
    fn after_terminator(&mut self, chunk: &[u8], end: usize) -> usize {
        let pos = end + 1;
        if chunk[end] == b'\r' {
            match chunk.get(pos) {
                Some(b'\n') => {
                    self.state.scanned += 1;
                    return pos + 1;
                }
                Some(_) => {}
                None => self.pending_cr = true,
            }
        }
        pos
    }

    /// At the end of a chunk read in place, with its unfinished line starting at
    /// `tail`: the chunk is about to go away. The bytes from the first one the state
    /// refers to on (values of the unfinished block) and the unfinished line are
    /// copied into the carry in one piece when they are at most [`KEPT_BLOCK`]
    /// bytes; otherwise the values are copied out one by one and only the line is
    /// carried.
    fn keep(&mut self, chunk: &[u8], tail: usize) -> Result<(), LimitExceeded> {
        let tail_len = chunk.len() - tail;
        self.state.scanned += tail_len as u64;
        self.check_line_len(tail_len)?;
        let from = self.state.first_needed(tail);
        let kept = chunk.len() - from;
        if kept <= KEPT_BLOCK.min(self.config.max_line_len) {
            extend_within(
                &mut self.carry,
                &chunk[from..],
                self.config.max_line_len,
                &mut self.state.copied,
            );
            self.state.rebase(from);
            self.line_start = tail - from;
        } else {
            self.state.end_of_chunk(chunk);
            extend_within(
                &mut self.carry,
                &chunk[tail..],
                self.config.max_line_len,
                &mut self.state.copied,
            );
            self.line_start = 0;
        }
        Ok(())
    }

    /// Drops the carried bytes nothing refers to any more, once there are at least
    /// [`DROP_AT_LEAST`] of them (a move per chunk would cost more than the chunk's
    /// lines when chunks are small), and only when at least as many bytes are dropped
    /// as kept (so moving costs no more than the input did). The last
    /// [`EARLY_START`] of them stay, so that the next block's text can start early to
    /// be whole SIMD blocks (see `ChunkText::validate`; without them every validation
    /// after a compaction paid the slow partial block). A kept block that grows past
    /// [`KEPT_BLOCK`] has its values copied out.
    fn compact(&mut self) {
        let mut from = self.state.first_needed(self.line_start);
        let drop = from.saturating_sub(EARLY_START);
        if drop >= DROP_AT_LEAST && drop >= self.carry.len() - drop {
            self.state.copied += (self.carry.len() - drop) as u64;
            self.carry.drain(..drop);
            self.state.rebase(drop);
            self.line_start -= drop;
            from -= drop;
        }
        if self.line_start - from > KEPT_BLOCK {
            self.detach();
        }
    }

    /// Copies every value out of the carry and keeps only the unfinished line there.
    fn detach(&mut self) {
        self.state.end_of_chunk(&self.carry);
        self.state.copied += (self.carry.len() - self.line_start) as u64;
        self.carry.drain(..self.line_start);
        self.line_start = 0;
    }

    /// Fails if a line of `len` bytes exceeds `max_line_len`.
    fn check_line_len(&self, len: usize) -> Result<(), LimitExceeded> {
        if len > self.config.max_line_len {
            return Err(LimitExceeded {
                limit: Limit::Line,
                max: self.config.max_line_len,
            });
        }
        Ok(())
    }

    /// Appends to the unfinished line, after checking the line limit; values that
    /// would not leave room for it in the carry are copied out first.
    fn push_line(&mut self, bytes: &[u8]) -> Result<(), LimitExceeded> {
        let line = self.carry.len() - self.line_start;
        self.check_line_len(line.saturating_add(bytes.len()))?;
        if self.carry.len() + bytes.len() > self.config.max_line_len {
            self.detach();
        }
        extend_within(
            &mut self.carry,
            bytes,
            self.config.max_line_len,
            &mut self.state.copied,
        );
        Ok(())
    }

    /// Ends the stream. WHATWG SSE: "Once the end of the file is reached, any pending
    /// data must be discarded": a partial line and an undispatched block are dropped,
    /// never dispatched; their `id` is never committed. A CR that was the last byte has
    /// already ended its line. The result says what was dropped; after a
    /// [`LimitExceeded`] the buffers are gone and its flags are all `false`.
    pub fn finish(mut self) -> EndOfStream {
        let partial_line = self.carry.len() > self.line_start
            || matches!(self.bom, BomState::Matching(n) if n > 0);
        EndOfStream {
            last_event_id: self.state.take_last_event_id(),
            reconnection_time: self.state.reconnection_time(),
            partial_line,
            unterminated_block: self.state.in_block(),
            discarded_event: self.state.data_len() > 0,
        }
    }

    /// The last event ID string: what dispatch step 1 last committed (or the seed).
    pub fn last_event_id(&self) -> &str {
        self.state.last_event_id()
    }

    /// The reconnection time in milliseconds from the last valid `retry` field, if any.
    /// The spec's initial value is implementation-defined, so it is the caller's.
    pub fn reconnection_time(&self) -> Option<u64> {
        self.state.reconnection_time()
    }

    /// The limit that stopped the parser, if one did.
    pub fn error(&self) -> Option<LimitExceeded> {
        self.failed
    }

    /// The limits this parser enforces.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Bytes examined so far: line-terminator scans, colon scans, value checks and
    /// UTF-8 decoding of handed-out values. Linear in the input under any chunking.
    pub fn bytes_scanned(&self) -> u64 {
        self.state.scanned
    }

    /// Bytes copied or moved within the parser's own buffers so far (lines spanning
    /// chunks, small chunks appended to the carry, the carry's bytes moved to its
    /// front, joined data lines, values that outlive their chunk, committed IDs).
    pub fn bytes_copied(&self) -> u64 {
        self.state.copied
    }

    /// The allocated capacities of the parser's buffers, to check memory stays bounded.
    pub fn buffered(&self) -> Buffered {
        let (data, event_type, id, last_event_id) = self.state.capacities();
        Buffered {
            line: self.carry.capacity(),
            data,
            event_type,
            id,
            last_event_id,
        }
    }
}

#[cfg(test)]
mod tests;
