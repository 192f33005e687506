//! A checker for the producer side of `text/event-stream`: what a *server* should
//! emit, beyond what a client's parser tolerates.
//!
//! The [`Parser`](super::Parser) follows the client algorithm, which accepts any byte
//! sequence and never fails. A conformance runner also wants to know where a stream
//! strays from the grammar of WHATWG HTML §9.2.5 ("Event streams in this format must
//! always be encoded as UTF-8", `stream = [ bom ] *event`, `event = *( comment /
//! field ) end-of-line`) and where it is grammatical yet loses what the server meant:
//! a field every client ignores, a `retry` that is not digits, an `id` with NUL, a
//! block with `event` but no `data`. [`Lint`] is fed the same chunks as the parser and
//! reports each such place as a [`Finding`] with its byte offset and line number.
//!
//! Why it is built this way:
//! * **Same shape as the parser.** Sans-IO, fed chunk by chunk, a CR ends its line as
//!   soon as it arrives, the BOM is recognised across chunks at offset 0 only. What it
//!   finds does not depend on how the input is chunked.
//! * **Bounded.** It keeps no line: a field name is kept up to [`NAME_KEPT`] bytes, a
//!   value is checked byte by byte as it passes (`retry` digits, `id` NUL, length and
//!   CORS-unsafe bytes) and only its first [`VALUE_KEPT`] bytes are kept for messages.
//!   At most [`MAX_EXAMPLES`] findings are kept per [`Rule`]; every occurrence is counted.
//! * **Linear.** Data and comment lines, the bulk of a stream, are skipped with
//!   `memchr2`; UTF-8 is checked once over the whole stream with the incremental
//!   validator the WebSocket layer uses.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use memchr::{memchr2, memchr3};

use crate::utf8::Utf8Validator;

/// How many findings of each rule are kept with their position (all are counted).
pub const MAX_EXAMPLES: usize = 4;
/// How many bytes of a field name are kept for messages and classification.
pub const NAME_KEPT: usize = 32;
/// How many bytes of a value are kept for messages.
pub const VALUE_KEPT: usize = 24;
/// An `id` longer than this makes a cross-origin reconnect need a CORS preflight
/// (WHATWG SSE §9.2.4 with Fetch's CORS-safelisted request-header rule; sse.md §3.4).
pub const ID_PREFLIGHT_LEN: usize = 128;

/// The UTF-8 encoding of U+FEFF.
const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// What a finding is about. Each rule names the clause of WHATWG HTML §9.2 it rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// The stream is not UTF-8 (§9.2.5: "must always be encoded as UTF-8"); clients
    /// replace the bytes with U+FFFD.
    InvalidUtf8,
    /// The stream starts with a UTF-16 byte-order mark (`FF FE` or `FE FF`); clients
    /// decode it as two U+FFFD that become part of the first field name.
    Utf16Bom,
    /// A U+FEFF at the start of a line other than the first: only one BOM at offset 0
    /// is stripped, so it becomes part of the field name and the line is ignored.
    BomNotAtStart,
    /// A line ended by a CR not followed by LF in a stream whose lines end with CR LF:
    /// a lost LF, or a raw CR written inside a value. (A stream that ends every line
    /// with CR alone is legal and consistent, `end-of-line = cr lf / cr / lf`.)
    LoneCr,
    /// The stream uses more than one kind of line ending. Legal, but a known source
    /// of client bugs (sse.md §6.4).
    MixedLineEndings,
    /// A `name: value` field whose name is not `data`, `event`, `id` or `retry`:
    /// every client ignores it (§9.2.6 "Otherwise: the field is ignored").
    UnknownField,
    /// A field name that differs from a known one only in case or surrounding
    /// spaces (`Data`, ` data`): names are compared literally, so it is ignored.
    MiscasedField,
    /// A line with no colon that is not a known field name: clients read the whole
    /// line as the name of an unknown field and drop it. Typically a raw newline
    /// written inside a `data` value.
    BareLine,
    /// Two spaces after the colon of an `event` or `id` field: only one is removed, the
    /// second becomes part of the value.
    ExtraSpace,
    /// A `retry` value that is not ASCII digits only: clients ignore the field
    /// (§9.2.6 "If the field value consists of only ASCII digits...").
    RetryNotDigits,
    /// A `retry` field with an empty value: not an integer; browsers reset the
    /// reconnection time to their default (sse.md §2.8).
    RetryEmpty,
    /// `retry: 0`: clients would reconnect without any delay.
    RetryZero,
    /// An `id` value containing NUL: clients ignore the whole field (§9.2.6).
    IdNul,
    /// An `id` longer than [`ID_PREFLIGHT_LEN`] bytes: a cross-origin reconnect needs
    /// a CORS preflight for `Last-Event-ID`.
    IdLong,
    /// An `id` with a CORS-unsafe byte (Fetch: a control byte but TAB, or one of
    /// `"():<>?@[\]{}` and DEL): a cross-origin reconnect needs a CORS preflight.
    IdCorsUnsafe,
    /// A block with an `event` field but no `data` line: nothing is dispatched
    /// (§9.2.6 dispatch step 2), so browsers never see the event.
    EventWithoutData,
    /// An event type `open` or `error`: delivered under the name of EventSource's own
    /// events and confused with them by handlers.
    ReservedEventType,
    /// The stream ended inside a block: its event is discarded (§9.2.6 "Once the end
    /// of the file is reached, any pending data must be discarded").
    UnterminatedBlock,
    /// The stream ended inside a line.
    PartialLine,
    /// An `id`, `event` or `retry` field given twice in one block: the later value
    /// silently replaces the earlier one, which is what two events merged by a
    /// lost empty line look like (§9.2.6: only an empty line dispatches).
    RepeatedField,
}

impl Rule {
    /// The clause of WHATWG HTML §9.2 (or the Fetch rule) the rule rests on,
    /// as a report's `rule` names it.
    pub const fn clause(self) -> &'static str {
        match self {
            Rule::InvalidUtf8 | Rule::Utf16Bom | Rule::MixedLineEndings | Rule::LoneCr => {
                "WHATWG SSE §9.2.5"
            }
            Rule::IdLong | Rule::IdCorsUnsafe => "WHATWG SSE §9.2.4, Fetch CORS-safelisted header",
            Rule::ReservedEventType => "WHATWG SSE §9.2.1",
            _ => "WHATWG SSE §9.2.6",
        }
    }

    /// Every rule, in declaration order.
    pub const ALL: [Rule; 20] = [
        Rule::InvalidUtf8,
        Rule::Utf16Bom,
        Rule::BomNotAtStart,
        Rule::LoneCr,
        Rule::MixedLineEndings,
        Rule::UnknownField,
        Rule::MiscasedField,
        Rule::BareLine,
        Rule::ExtraSpace,
        Rule::RetryNotDigits,
        Rule::RetryEmpty,
        Rule::RetryZero,
        Rule::IdNul,
        Rule::IdLong,
        Rule::IdCorsUnsafe,
        Rule::EventWithoutData,
        Rule::ReservedEventType,
        Rule::UnterminatedBlock,
        Rule::PartialLine,
        Rule::RepeatedField,
    ];

    /// A one-line statement of what was found.
    pub const fn describe(self) -> &'static str {
        match self {
            Rule::InvalidUtf8 => "bytes that are not UTF-8 (the stream must be UTF-8)",
            Rule::Utf16Bom => "a UTF-16 byte-order mark (the stream must be UTF-8)",
            Rule::BomNotAtStart => {
                "a byte-order mark at the start of a later line (it becomes part of the field name)"
            }
            Rule::LoneCr => {
                "a line ended by CR alone in a stream of CR LF lines (a lost LF, or a raw CR inside a value)"
            }
            Rule::MixedLineEndings => "more than one kind of line ending",
            Rule::UnknownField => "a field other than data, event, id and retry (ignored)",
            Rule::MiscasedField => {
                "a field name that is a known one in another case or with spaces (ignored)"
            }
            Rule::BareLine => {
                "a line without a colon that is no field name (ignored; a raw newline inside a value?)"
            }
            Rule::ExtraSpace => "two spaces after the colon (the second is kept in the value)",
            Rule::RetryNotDigits => "a retry value that is not ASCII digits only (ignored)",
            Rule::RetryEmpty => "an empty retry value (browsers reset the reconnection time)",
            Rule::RetryZero => "retry: 0 (clients reconnect with no delay)",
            Rule::IdNul => "an id containing NUL (the whole field is ignored)",
            Rule::IdLong => {
                "an id longer than 128 bytes (cross-origin reconnects need a preflight)"
            }
            Rule::IdCorsUnsafe => {
                "an id with a CORS-unsafe byte (cross-origin reconnects need a preflight)"
            }
            Rule::EventWithoutData => "a block with event but no data (never dispatched)",
            Rule::ReservedEventType => "an event type open or error (EventSource's own events)",
            Rule::UnterminatedBlock => "the stream ended inside a block (its event is discarded)",
            Rule::PartialLine => "the stream ended inside a line",
            Rule::RepeatedField => {
                "a field repeated inside one event block (an event terminator was probably lost; the earlier value is discarded)"
            }
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// One place where the stream strays from the producer grammar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What was found.
    pub rule: Rule,
    /// Byte offset in the stream: of the offending byte for UTF-8, of the start of the
    /// line (or of the line ending) otherwise.
    pub offset: u64,
    /// The 1-based line number.
    pub line: u64,
    /// What exactly: the field name, the value (both cut and escaped), the event type.
    pub detail: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {} (byte {}): {}",
            self.line, self.offset, self.rule
        )?;
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

/// The kind of a line ending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineEnding {
    /// LF.
    Lf,
    /// CR LF.
    CrLf,
    /// CR alone.
    Cr,
}

/// The field a line sets, by its (literal) name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Data,
    Event,
    Id,
    Retry,
    Unknown,
}

fn classify(name: &[u8]) -> Field {
    match name {
        b"data" => Field::Data,
        b"event" => Field::Event,
        b"id" => Field::Id,
        b"retry" => Field::Retry,
        _ => Field::Unknown,
    }
}

/// A known field name this one is a near miss of (case, surrounding spaces or tabs).
fn near_miss(name: &[u8]) -> Option<&'static str> {
    let trimmed = name.trim_ascii();
    ["data", "event", "id", "retry"]
        .into_iter()
        .find(|k| trimmed.eq_ignore_ascii_case(k.as_bytes()))
}

/// Fetch's "CORS-unsafe request-header byte".
fn cors_unsafe(b: u8) -> bool {
    (b < 0x20 && b != b'\t')
        || matches!(
            b,
            b'"' | b'('
                | b')'
                | b':'
                | b'<'
                | b'>'
                | b'?'
                | b'@'
                | b'['
                | b'\\'
                | b']'
                | b'{'
                | b'}'
                | 0x7F
        )
}

/// A short, escaped rendering of kept bytes, marked when cut.
fn shown(bytes: &[u8], cut: bool) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut s = alloc::format!("{:?}", text.as_ref());
    if cut {
        s.insert(s.len() - 1, '…');
    }
    s
}

/// Up to `N` bytes kept from a longer run, and whether more followed.
#[derive(Debug, Clone, Copy)]
struct Kept<const N: usize> {
    buf: [u8; N],
    len: usize,
    total: u64,
}

impl<const N: usize> Kept<N> {
    const fn new() -> Self {
        Kept {
            buf: [0; N],
            len: 0,
            total: 0,
        }
    }
    fn push(&mut self, bytes: &[u8]) {
        let room = N - self.len;
        let take = room.min(bytes.len());
        self.buf[self.len..self.len + take].copy_from_slice(&bytes[..take]);
        self.len += take;
        self.total += bytes.len() as u64;
    }
    fn get(&self) -> &[u8] {
        &self.buf[..self.len]
    }
    fn cut(&self) -> bool {
        self.total > self.len as u64
    }
}

/// Where the current line stands.
#[derive(Debug, Clone, Copy)]
enum Line {
    /// No byte of the line yet.
    Start,
    /// A comment (it began with `:`): skipped to its end.
    Comment,
    /// Before the first colon: the field name.
    Name(Kept<NAME_KEPT>),
    /// After the first colon.
    Value(Value),
}

/// A field value being checked as it passes.
#[derive(Debug, Clone, Copy)]
struct Value {
    field: Field,
    name: Kept<NAME_KEPT>,
    /// Value bytes seen so far, the one optional leading space included.
    seen: u64,
    /// Whether the first value byte was the space the parser strips.
    space: bool,
    kept: Kept<VALUE_KEPT>,
    digits_only: bool,
    retry: u64,
    nul: bool,
    unsafe_byte: bool,
}

/// The fields of the block being read.
#[derive(Debug, Clone, Copy, Default)]
struct Block {
    /// A non-comment line has been seen since the last empty line.
    fields: bool,
    /// A `data` line.
    data: bool,
    /// An `event` line: its line number, offset and kept value.
    event: Option<(u64, u64, Kept<VALUE_KEPT>)>,
    /// The line numbers of the block's last `id` and `retry` lines.
    id: Option<u64>,
    retry: Option<u64>,
}

/// The producer-grammar checker. Feed it what the parser is fed; read
/// [`Lint::findings`] and [`Lint::count`].
#[derive(Debug, Clone)]
pub struct Lint {
    utf8: Utf8Validator,
    utf8_failed: bool,
    /// The first byte of the stream (for the UTF-16 BOM check).
    first_byte: u8,
    /// Bytes fed so far.
    offset: u64,
    /// Offset of the first byte of the current line.
    line_start: u64,
    /// 1-based number of the current line.
    line_no: u64,
    /// The last byte was a CR that ended a line; an LF next completes a CR LF.
    pending_cr: bool,
    /// Bytes of the BOM matched at stream start (`Some(0..=2)`), or `None` when past it.
    start_bom: Option<u8>,
    line: Line,
    block: Block,
    /// The first line ending seen, and whether a different one was reported.
    first_ending: Option<LineEnding>,
    mixed_reported: bool,
    endings: [u64; 3],
    counts: [u64; Rule::ALL.len()],
    findings: Vec<Finding>,
}

impl Default for Lint {
    fn default() -> Self {
        Self::new()
    }
}

impl Lint {
    /// A checker at the start of a stream.
    pub const fn new() -> Self {
        Lint {
            utf8: Utf8Validator::new(),
            utf8_failed: false,
            first_byte: 0,
            offset: 0,
            line_start: 0,
            line_no: 1,
            pending_cr: false,
            start_bom: Some(0),
            line: Line::Start,
            block: Block {
                fields: false,
                data: false,
                event: None,
                id: None,
                retry: None,
            },
            first_ending: None,
            mixed_reported: false,
            endings: [0; 3],
            counts: [0; Rule::ALL.len()],
            findings: Vec::new(),
        }
    }

    /// The findings kept so far (at most [`MAX_EXAMPLES`] per rule), in stream order.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// How many times `rule` was found.
    pub fn count(&self, rule: Rule) -> u64 {
        self.counts[rule as usize]
    }

    /// Bytes fed so far.
    pub fn bytes(&self) -> u64 {
        self.offset
    }

    /// How many lines ended with LF, CR LF and CR alone (a CR as the last byte fed is
    /// counted once the next byte, or the end of the stream, decides).
    pub fn line_endings(&self) -> [(LineEnding, u64); 3] {
        [
            (LineEnding::Lf, self.endings[0]),
            (LineEnding::CrLf, self.endings[1]),
            (LineEnding::Cr, self.endings[2]),
        ]
    }

    /// Whether the stream so far stops inside an event: inside a line, or after a
    /// `data` line of a block that no empty line has ended yet. A server that flushes
    /// whole events never leaves a reader in this state for long. (A block of only
    /// `retry` or `id` lines waiting for its empty line is not an event held back.)
    pub fn inside_event(&self) -> bool {
        !matches!(self.line, Line::Start)
            || self.block.data
            || self.start_bom.is_some_and(|n| n > 0)
    }

    fn report(&mut self, rule: Rule, offset: u64, line: u64, detail: String) {
        let i = rule as usize;
        self.counts[i] += 1;
        if self.counts[i] <= MAX_EXAMPLES as u64 {
            self.findings.push(Finding {
                rule,
                offset,
                line,
                detail,
            });
        }
    }

    /// Feed the next bytes of the stream.
    pub fn feed(&mut self, chunk: &[u8]) {
        if chunk.is_empty() {
            return;
        }
        if self.offset < 2 {
            // WHATWG SSE §9.2.5: UTF-8 only; a UTF-16 BOM is two U+FFFD to a client.
            // Checked on the first two bytes, whichever chunks they come in.
            for (i, &b) in chunk.iter().take(2 - self.offset as usize).enumerate() {
                if self.offset + i as u64 == 0 {
                    self.first_byte = b;
                } else if matches!((self.first_byte, b), (0xFF, 0xFE) | (0xFE, 0xFF)) {
                    self.report(Rule::Utf16Bom, 0, 1, String::new());
                }
            }
        }
        if self.utf8_failed {
            self.scan(chunk);
            return;
        }
        match self.utf8.feed(chunk) {
            Ok(()) => self.scan(chunk),
            Err(e) => {
                let at = usize::try_from(e.offset.saturating_sub(self.offset))
                    .unwrap_or(0)
                    .min(chunk.len());
                self.scan(&chunk[..at]);
                self.utf8_failed = true;
                self.report(Rule::InvalidUtf8, e.offset, self.line_no, String::new());
                self.scan(&chunk[at..]);
            }
        }
    }

    /// The end of the stream, as the server ended it. Not for a stream the reader
    /// cut: a partial line or block there is the reader's doing.
    pub fn finish(&mut self) {
        if !self.utf8_failed && self.utf8.finish().is_err() {
            self.utf8_failed = true;
            let at = self.offset;
            self.report(Rule::InvalidUtf8, at, self.line_no, "at the end".into());
        }
        if self.pending_cr {
            // A CR as the very last byte ends its line (sse.md §2.7); not followed by LF.
            self.pending_cr = false;
            let (at, line) = (self.offset - 1, self.line_no - 1);
            self.count_ending(LineEnding::Cr, line);
            self.lone_cr(at, line);
        }
        let partial = !matches!(self.line, Line::Start) || self.start_bom.is_some_and(|n| n > 0);
        if partial {
            let (start, line) = (self.line_start, self.line_no);
            self.report(Rule::PartialLine, start, line, String::new());
            self.line = Line::Start;
            self.block.fields = true;
        }
        if self.block.fields {
            let (start, line) = (self.line_start, self.line_no);
            let detail = if self.block.data {
                "an event with data was dropped".into()
            } else {
                String::new()
            };
            self.report(Rule::UnterminatedBlock, start, line, detail);
            self.block = Block::default();
        }
    }
}

impl Lint {
    /// Split `bytes` into lines and hand each piece to the line machine.
    fn scan(&mut self, mut bytes: &[u8]) {
        while let Some(&first) = bytes.first() {
            if self.pending_cr {
                self.pending_cr = false;
                let line = self.line_no - 1;
                if first == b'\n' {
                    self.count_ending(LineEnding::CrLf, line);
                    self.offset += 1;
                    self.line_start = self.offset;
                    bytes = &bytes[1..];
                    continue;
                }
                self.count_ending(LineEnding::Cr, line);
                let at = self.offset - 1;
                self.lone_cr(at, line);
            }
            if let Some(n) = self.start_bom {
                // WHATWG SSE §9.2.5 `stream = [ bom ] *event`: one BOM, at offset 0 only.
                if first == BOM[usize::from(n)] {
                    self.offset += 1;
                    bytes = &bytes[1..];
                    if n == 2 {
                        self.start_bom = None;
                        self.line_start = self.offset;
                    } else {
                        self.start_bom = Some(n + 1);
                    }
                    continue;
                }
                self.start_bom = None;
                if n > 0 {
                    // Not a BOM after all: the matched bytes are line content.
                    self.content(&BOM[..usize::from(n)]);
                }
            }
            match memchr2(b'\r', b'\n', bytes) {
                None => {
                    self.content(bytes);
                    self.offset += bytes.len() as u64;
                    return;
                }
                Some(i) => {
                    self.content(&bytes[..i]);
                    self.offset += i as u64 + 1;
                    let line = self.line_no;
                    self.end_line();
                    // §9.2.5 `end-of-line = ( cr lf / cr / lf )`: a CR ends its line now;
                    // whether an LF follows is decided by the next byte.
                    if bytes[i] == b'\n' {
                        self.count_ending(LineEnding::Lf, line);
                    } else {
                        self.pending_cr = true;
                    }
                    self.line_start = self.offset;
                    bytes = &bytes[i + 1..];
                }
            }
        }
    }

    /// A line ended by CR alone. WHATWG SSE §9.2.5 allows CR, LF and CR LF; what
    /// is a defect is a CR alone among CR LF lines (the mix is also reported as
    /// [`Rule::MixedLineEndings`]).
    fn lone_cr(&mut self, at: u64, line: u64) {
        if self.first_ending == Some(LineEnding::CrLf) {
            self.report(Rule::LoneCr, at, line, String::new());
        }
    }

    fn count_ending(&mut self, ending: LineEnding, line: u64) {
        let i = match ending {
            LineEnding::Lf => 0,
            LineEnding::CrLf => 1,
            LineEnding::Cr => 2,
        };
        self.endings[i] += 1;
        match self.first_ending {
            None => self.first_ending = Some(ending),
            Some(first) if first != ending => {
                if !self.mixed_reported {
                    self.mixed_reported = true;
                    let name = |e: LineEnding| match e {
                        LineEnding::Lf => "LF",
                        LineEnding::CrLf => "CR LF",
                        LineEnding::Cr => "CR",
                    };
                    let detail = alloc::format!("{} after {}", name(ending), name(first));
                    let at = self.line_start;
                    self.report(Rule::MixedLineEndings, at, line, detail);
                } else {
                    self.counts[Rule::MixedLineEndings as usize] += 1;
                }
            }
            Some(_) => {}
        }
    }

    /// Bytes of the current line (no CR or LF among them).
    fn content(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            match &mut self.line {
                Line::Start => {
                    // §9.2.6: a line starting with a colon is a comment.
                    if bytes[0] == b':' {
                        self.line = Line::Comment;
                        return;
                    }
                    self.line = Line::Name(Kept::new());
                }
                Line::Comment => return,
                Line::Name(name) => match memchr3(b':', b'\r', b'\n', bytes) {
                    Some(i) => {
                        name.push(&bytes[..i]);
                        let name = *name;
                        self.line = Line::Value(Value {
                            field: classify(name.get()),
                            name,
                            seen: 0,
                            space: false,
                            kept: Kept::new(),
                            digits_only: true,
                            retry: 0,
                            nul: false,
                            unsafe_byte: false,
                        });
                        bytes = &bytes[i + 1..];
                    }
                    None => {
                        name.push(bytes);
                        return;
                    }
                },
                Line::Value(v) => {
                    v.take(bytes);
                    return;
                }
            }
        }
    }

    /// The current line ended (its terminator is being consumed).
    fn end_line(&mut self) {
        let line = core::mem::replace(&mut self.line, Line::Start);
        let (at, no) = (self.line_start, self.line_no);
        self.line_no += 1;
        match line {
            Line::Start => {
                // §9.2.6: an empty line dispatches; dispatch step 2 returns without an
                // event when the data buffer is empty.
                if let Some((ev_no, ev_at, kept)) = self.block.event {
                    if !self.block.data {
                        let detail = alloc::format!("event: {}", shown(kept.get(), kept.cut()));
                        self.report(Rule::EventWithoutData, ev_at, ev_no, detail);
                    }
                }
                self.block = Block::default();
            }
            Line::Comment => {}
            Line::Name(name) => {
                // §9.2.6: no colon: the whole line is the field name, the value empty.
                self.block.fields = true;
                let field = classify(name.get());
                self.repeated(field, at, no);
                match field {
                    Field::Data => self.block.data = true,
                    Field::Event => self.block.event = Some((no, at, Kept::new())),
                    Field::Id => {}
                    Field::Retry => self.report(Rule::RetryEmpty, at, no, "retry".into()),
                    Field::Unknown => self.unknown(name, true, at, no),
                }
            }
            Line::Value(v) => {
                self.block.fields = true;
                self.repeated(v.field, at, no);
                self.end_value(&v, at, no);
            }
        }
    }

    /// WHATWG SSE §9.2.6: `event` and `id` set a buffer that a later line of the
    /// same block overwrites before dispatch, and `retry` is taken at once; given
    /// twice in one block, the first value is lost (two events merged?).
    fn repeated(&mut self, field: Field, at: u64, no: u64) {
        let first = match field {
            Field::Event => self.block.event.map(|e| e.0),
            Field::Id => self.block.id.replace(no),
            Field::Retry => self.block.retry.replace(no),
            Field::Data | Field::Unknown => None,
        };
        if let Some(first) = first {
            let name = match field {
                Field::Event => "event",
                Field::Id => "id",
                _ => "retry",
            };
            let detail = alloc::format!("{name} again, the earlier one on line {first}");
            self.report(Rule::RepeatedField, at, no, detail);
        }
    }

    fn unknown(&mut self, name: Kept<NAME_KEPT>, bare: bool, at: u64, no: u64) {
        let shown_name = shown(name.get(), name.cut());
        if name.get().starts_with(&BOM) {
            self.report(Rule::BomNotAtStart, at, no, shown_name);
        } else if let Some(known) = near_miss(name.get()) {
            let detail = alloc::format!("{shown_name} is not {known:?}");
            self.report(Rule::MiscasedField, at, no, detail);
        } else if bare {
            self.report(Rule::BareLine, at, no, shown_name);
        } else {
            self.report(Rule::UnknownField, at, no, shown_name);
        }
    }

    fn end_value(&mut self, v: &Value, at: u64, no: u64) {
        let value = shown(v.kept.get(), v.kept.cut());
        let extra_space = v.space && v.kept.get().first() == Some(&b' ');
        match v.field {
            Field::Data => self.block.data = true,
            Field::Unknown => self.unknown(v.name, false, at, no),
            Field::Event => {
                if extra_space {
                    self.report(Rule::ExtraSpace, at, no, alloc::format!("event: {value}"));
                }
                if !v.kept.cut() && matches!(v.kept.get(), b"open" | b"error") {
                    self.report(Rule::ReservedEventType, at, no, value);
                }
                self.block.event = Some((no, at, v.kept));
            }
            Field::Id => {
                if extra_space {
                    self.report(Rule::ExtraSpace, at, no, alloc::format!("id: {value}"));
                }
                if v.nul {
                    self.report(Rule::IdNul, at, no, value);
                    return;
                }
                if v.kept.total > ID_PREFLIGHT_LEN as u64 {
                    let detail = alloc::format!("{} bytes", v.kept.total);
                    self.report(Rule::IdLong, at, no, detail);
                }
                if v.unsafe_byte {
                    self.report(Rule::IdCorsUnsafe, at, no, value);
                }
            }
            Field::Retry => {
                // §9.2.6: "If the field value consists of only ASCII digits, then
                // interpret the field value as an integer in base ten ... Otherwise,
                // ignore the field."
                if v.kept.total == 0 {
                    self.report(Rule::RetryEmpty, at, no, String::new());
                } else if !v.digits_only {
                    self.report(Rule::RetryNotDigits, at, no, value);
                } else if v.retry == 0 {
                    self.report(Rule::RetryZero, at, no, String::new());
                }
            }
        }
    }
}

impl Value {
    /// Value bytes (no CR or LF among them).
    fn take(&mut self, bytes: &[u8]) {
        if matches!(self.field, Field::Data | Field::Unknown) {
            // Nothing to check in a data value: any scalar value but CR and LF.
            self.seen += bytes.len() as u64;
            return;
        }
        for &b in bytes {
            self.seen += 1;
            if self.seen == 1 && b == b' ' {
                // §9.2.6: one leading U+0020 is removed from the value.
                self.space = true;
                continue;
            }
            self.kept.push(&[b]);
            match self.field {
                Field::Retry => {
                    if b.is_ascii_digit() {
                        self.retry = self
                            .retry
                            .saturating_mul(10)
                            .saturating_add(u64::from(b - b'0'));
                    } else {
                        self.digits_only = false;
                    }
                }
                Field::Id => {
                    self.nul |= b == 0;
                    self.unsafe_byte |= cors_unsafe(b);
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn lint(input: &[u8]) -> Lint {
        let mut l = Lint::new();
        l.feed(input);
        l
    }

    fn rules(l: &Lint) -> Vec<Rule> {
        l.findings().iter().map(|f| f.rule).collect()
    }

    #[test]
    fn a_well_formed_stream_has_no_finding() {
        let mut l = lint(
            b"\xEF\xBB\xBFretry: 1000\n\n: hi\nid: 1\nevent: tick\ndata: a\ndata:\n\ndata\n\n",
        );
        l.finish();
        assert_eq!(rules(&l), vec![]);
        assert!(!l.inside_event());
    }

    #[test]
    fn each_rule_is_found_where_it_is() {
        let cases: [(&[u8], Rule, u64); 20] = [
            (b"data: a\xFFb\n\n", Rule::InvalidUtf8, 1),
            (b"\xFF\xFEdata: x\n\n", Rule::Utf16Bom, 1),
            (
                b"data: a\n\n\xEF\xBB\xBFdata: b\n\n",
                Rule::BomNotAtStart,
                3,
            ),
            (b"data: a\r\ndata: b\r\r", Rule::LoneCr, 2),
            (b"data: a\n\r\n", Rule::MixedLineEndings, 2),
            (b"data: a\nfoo: b\n\n", Rule::UnknownField, 2),
            (b"Data: a\n\n", Rule::MiscasedField, 1),
            (b"data: one\ntwo\n\n", Rule::BareLine, 2),
            (b"id:  7\ndata: a\n\n", Rule::ExtraSpace, 1),
            (b"retry: 3s\n\n", Rule::RetryNotDigits, 1),
            (b"retry:\n\n", Rule::RetryEmpty, 1),
            (b"retry: 0\n\n", Rule::RetryZero, 1),
            (b"id: a\0b\ndata: x\n\n", Rule::IdNul, 1),
            (b"id: <x>\ndata: x\n\n", Rule::IdCorsUnsafe, 1),
            (b"data: x\n\nevent: ping\n\n", Rule::EventWithoutData, 3),
            (b"event: error\ndata: x\n\n", Rule::ReservedEventType, 1),
            (b"retry\n\n", Rule::RetryEmpty, 1),
            (
                b"id: 1\ndata: a\nid: 2\ndata: b\n\n",
                Rule::RepeatedField,
                3,
            ),
            (b"event: a\ndata: x\nevent: b\n\n", Rule::RepeatedField, 3),
            (b"retry: 10\nid\nretry: 20\n\n", Rule::RepeatedField, 3),
        ];
        for (input, rule, line) in cases {
            let l = lint(input);
            let found: Vec<_> = l.findings().iter().filter(|f| f.rule == rule).collect();
            assert_eq!(found.len(), 1, "{rule:?} in {input:?}: {:?}", l.findings());
            assert_eq!(found[0].line, line, "{rule:?} in {input:?}");
        }
    }

    #[test]
    fn long_ids_and_stream_ends_are_found() {
        let mut long = b"id: ".to_vec();
        long.extend(core::iter::repeat_n(b'a', 129));
        long.extend_from_slice(b"\ndata: x\n\n");
        assert_eq!(rules(&lint(&long)), vec![Rule::IdLong]);
        let mut l = lint(b"data: x\n\ndata: y\ndat");
        l.finish();
        assert_eq!(rules(&l), vec![Rule::PartialLine, Rule::UnterminatedBlock]);
        assert_eq!(l.findings()[1].detail, "an event with data was dropped");
    }

    #[test]
    fn a_trailing_cr_is_judged_by_the_next_byte_or_the_end() {
        let mut l = Lint::new();
        l.feed(b"data: a\r");
        assert!(l.inside_event(), "the block is not ended yet");
        l.feed(b"\n\r\n");
        assert_eq!(rules(&l), vec![]);
        let mut l = lint(b"data: a\r\n\r\r");
        l.finish();
        assert_eq!(l.count(Rule::LoneCr), 2);
    }

    #[test]
    fn a_stream_of_lone_crs_is_consistent_and_a_lone_cr_among_crlf_is_not() {
        // WHATWG SSE §9.2.5: end-of-line = cr lf / cr / lf: CR alone throughout is legal.
        let mut l = lint(b"id: 1\rdata: a\r\rdata: b\r\r");
        l.finish();
        assert_eq!(rules(&l), vec![]);
        assert_eq!(l.line_endings()[2], (LineEnding::Cr, 5));
        let l = lint(b"data: a\r\n\r\ndata: b\rdata: c\r\n\r\n");
        assert_eq!(rules(&l), vec![Rule::MixedLineEndings, Rule::LoneCr]);
        assert_eq!(l.findings()[1].line, 3);
    }

    #[test]
    fn repeated_fields_name_both_lines_and_data_may_repeat() {
        let l = lint(b"data: a\ndata: b\n\nid: 1\nid: 1\n\nid: 2\n\nid: 3\n\n");
        assert_eq!(rules(&l), vec![Rule::RepeatedField]);
        let f = &l.findings()[0];
        assert_eq!(
            (f.line, f.detail.as_str()),
            (5, "id again, the earlier one on line 4")
        );
    }

    #[test]
    fn findings_do_not_depend_on_chunking() {
        let input: &[u8] = b"\xEF\xBB\xBFData: a\r\nfoo\rid: <\0>\n\nevent: open\n\n\xEF\xBB\xBFx: y\nretry: 1e3\n\xC3\n\n";
        let whole = lint(input);
        assert!(whole.findings().len() >= 8, "{:?}", whole.findings());
        for size in 1..input.len() {
            let mut l = Lint::new();
            for c in input.chunks(size) {
                l.feed(c);
            }
            assert_eq!(l.findings(), whole.findings(), "chunk size {size}");
        }
    }

    #[test]
    fn examples_are_bounded_and_counts_are_not() {
        let input = b"x\n".repeat(100);
        let l = lint(&input);
        assert_eq!(l.count(Rule::BareLine), 100);
        assert_eq!(l.findings().len(), MAX_EXAMPLES);
    }
}
