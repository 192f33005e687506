//! The byte layer of the parser: stages 1 and 2 of the algorithm (the byte-order mark,
//! line splitting) over chunks of any size, and the public [`Parser`].
//!
//! Why it is built this way:
//! * The chunk is scanned for CR and LF (the first line end word by word, the rest 64
//!   bytes at a time, see [`super::scan`]) from where the previous scan stopped.
//!   A line that ends in the chunk where it began is handed on as a slice of that chunk;
//!   only the unfinished tail of a chunk is copied into the line buffer, and the next
//!   chunk is scanned from its own start, never from the start of the buffered line.
//!   Each input byte is therefore scanned once and copied at most once here, whatever
//!   the chunking: total work is linear even when fed one byte at a time.
//! * A CR completes its line as soon as it is seen, even as the last byte of a chunk;
//!   a flag then swallows an LF if it is the very next byte, in whatever chunk that
//!   byte arrives. Holding the CR back instead would delay events on CR-only streams
//!   and lose the last one at end of stream.
//! * The BOM is matched byte by byte across chunks, at stream start only. When the
//!   match fails after one or two bytes, those bytes are ordinary line content (they
//!   decode to U+FFFD) and are put back into the line buffer.
//! * Limits are checked before any buffer grows, and a line is measured the same way
//!   whether it lies in one chunk or many, so exceeding a limit is reported at the same
//!   point of the stream under any chunking.

use alloc::vec::Vec;

use super::Config;
use super::event::{EndOfStream, Item, Limit, LimitExceeded};
use super::interpret::{ChunkText, State, extend_within};
use super::scan::{Terminators, find2};

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
    /// Stage 2: the bytes of a line that began in an earlier chunk and has not ended.
    line: Vec<u8>,
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
    /// The line buffer (a line spanning chunks): at most `max_line_len`.
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
            line: Vec::new(),
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
        // The fast path: past the BOM, no CR pending, and no CR or LF in the chunk: it
        // only extends the current line (a line trickling in, down to a byte at a
        // time). That is all `feed_general` would do with it: no line completes, so
        // nothing can refer to the chunk afterwards.
        if self.failed.is_none() && self.bom == BomState::Done && !self.pending_cr {
            let first = find2(b'\r', b'\n', chunk);
            if first.is_none()
                && self.line.len().saturating_add(chunk.len()) <= self.config.max_line_len
            {
                self.state.scanned += chunk.len() as u64;
                extend_within(
                    &mut self.line,
                    chunk,
                    self.config.max_line_len,
                    &mut self.state.copied,
                );
                return Ok(());
            }
            // The search is not made twice: stage 2 starts from its result.
            return self.feed_general(chunk, Some(first), sink);
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
            Ok(()) => {
                self.state.end_of_chunk(chunk);
                Ok(())
            }
            Err(err) => {
                self.failed = Some(err);
                self.line = Vec::new();
                self.pending_cr = false;
                self.bom = BomState::Done;
                self.state.drop_buffers();
                Err(err)
            }
        }
    }

    /// Stages 1 and 2 over one chunk (`first`: see [`Parser::feed_general`]).
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
        // One UTF-8 check of the chunk, from its first whole line on, serves every value
        // that lies inside it; made when that line is reached.
        let mut text = None;
        // Line ends after the first: found 64 bytes at a time.
        let mut ends = Terminators::default();
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
        while pos < chunk.len() {
            let rest = &chunk[pos..];
            let found = match first.take() {
                Some(known) => known,
                None => ends.find(chunk, pos).map(|end| end - pos),
            };
            let Some(len) = found else {
                // An unfinished line: keep its bytes, scan only new bytes next time.
                self.state.scanned += rest.len() as u64;
                self.push_line(rest)?;
                break;
            };
            self.state.scanned += len as u64 + 1;
            let end = pos + len;
            if self.line.is_empty() {
                // The line lies wholly in this chunk: hand it on in place.
                self.check_line_len(len)?;
                let text = *text
                    .get_or_insert_with(|| ChunkText::new(chunk, pos, &mut self.state.scanned));
                self.state
                    .line(&chunk[pos..end], Some(pos), chunk, text, sink)?;
            } else {
                self.push_line(&chunk[pos..end])?;
                // The first line of the chunk, begun in an earlier one: no value of this
                // chunk has been set yet, so none needs the chunk's text.
                self.state
                    .line(&self.line, None, chunk, ChunkText::NONE, sink)?;
                self.line.clear();
            }
            // WHATWG SSE: lines end in CR LF, a lone LF, or a lone CR. A CR ends its line
            // at once; an LF right after it, now or in the next chunk, is dropped.
            pos = end + 1;
            if chunk[end] == b'\r' {
                match chunk.get(pos) {
                    Some(b'\n') => {
                        self.state.scanned += 1;
                        pos += 1;
                    }
                    Some(_) => {}
                    None => self.pending_cr = true,
                }
            }
        }
        Ok(())
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

    /// Appends to the line buffer, after checking the line limit.
    fn push_line(&mut self, bytes: &[u8]) -> Result<(), LimitExceeded> {
        self.check_line_len(self.line.len().saturating_add(bytes.len()))?;
        extend_within(
            &mut self.line,
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
        let partial_line =
            !self.line.is_empty() || matches!(self.bom, BomState::Matching(n) if n > 0);
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

    /// Bytes copied into the parser's own buffers so far (lines spanning chunks,
    /// joined data lines, values that outlive their chunk, committed IDs).
    pub fn bytes_copied(&self) -> u64 {
        self.state.copied
    }

    /// The allocated capacities of the parser's buffers, to check memory stays bounded.
    pub fn buffered(&self) -> Buffered {
        let (data, event_type, id, last_event_id) = self.state.capacities();
        Buffered {
            line: self.line.capacity(),
            data,
            event_type,
            id,
            last_event_id,
        }
    }
}

#[cfg(test)]
mod tests;
