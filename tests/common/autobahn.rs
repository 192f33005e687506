//! Shared engine of the `autobahn_codec_*` tests: Autobahn|Testsuite categories 1-7
//! replayed against the sans-IO server-role decoder.
//!
//! A case is written in two halves:
//!
//! * [`Fuzz`], what the fuzzer (an Autobahn client) puts on the wire: masked frames,
//!   grouped into the TCP writes the case makes (one coalesced write, frame-wise
//!   `sync` writes, or `chopsize` pieces), with the case's waits between them.
//! * [`Case`], what must come out: the decoder events in order, the error the
//!   decoder must fail with (close code, kind, and where in the stream), and the
//!   Autobahn verdict inputs (`expected["OK"]` and `expectedClose`).
//!
//! [`check`] feeds the stream to a model of the reference echo server (the
//! decoder plus [`CloseState`]: echo messages, answer pings, answer the Close,
//! fail with the error's close code) under several segmentations (the case's
//! own writes, one byte at a time, all at once, frame by frame, and for UTF-8
//! failures split exactly at the offending byte) and asserts that every
//! segmentation gives the same events, answers and error, then scores the run
//! made with the case's own writes the way Autobahn's `case.py` does.
#![allow(dead_code)]

use std::fmt;

use wirecheck_codec::ws::message::{Config, Event, MessageDecoder, MessageKind};
use wirecheck_codec::ws::{CloseState, ErrorKind, ProtocolError, Role, encode, frame::OpCode};

// ---------------------------------------------------------------------------
// Payloads and events
// ---------------------------------------------------------------------------

/// A payload compared byte for byte, printed briefly.
#[derive(Clone, PartialEq, Eq)]
pub struct Bytes(pub Vec<u8>);

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 48;
        let b = &self.0;
        if b.len() <= SHOWN {
            write!(f, "b\"{}\"", b.escape_ascii())
        } else {
            // FNV-1a, so that two long payloads that differ show different digests.
            let digest = b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| {
                (h ^ u64::from(x)).wrapping_mul(0x0100_0000_01b3)
            });
            write!(
                f,
                "<{} bytes: b\"{}\"... fnv1a={digest:016x}>",
                b.len(),
                b[..SHOWN].escape_ascii()
            )
        }
    }
}

fn bytes(p: impl AsRef<[u8]>) -> Bytes {
    Bytes(p.as_ref().to_vec())
}

/// A decoder event, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ev {
    /// `Event::Message { kind: Text, .. }`.
    Text(Bytes),
    /// `Event::Message { kind: Binary, .. }`.
    Binary(Bytes),
    /// `Event::Ping`.
    Ping(Bytes),
    /// `Event::Pong`.
    Pong(Bytes),
    /// `Event::Close`: code and reason, or `None` for an empty body.
    Close(Option<(u16, String)>),
}

impl Ev {
    fn from_event(ev: Event<'_>) -> Ev {
        match ev {
            Event::Message {
                kind: MessageKind::Text,
                data,
                ..
            } => {
                assert!(
                    std::str::from_utf8(data).is_ok(),
                    "a text message must be valid UTF-8"
                );
                Ev::Text(bytes(data))
            }
            Event::Message {
                kind: MessageKind::Binary,
                data,
                ..
            } => Ev::Binary(bytes(data)),
            Event::Ping(p) => Ev::Ping(bytes(p)),
            Event::Pong(p) => Ev::Pong(bytes(p)),
            Event::Close(c) => Ev::Close(c.map(|c| (c.code.0, c.reason.to_owned()))),
            Event::Frame(h) => panic!("frame report {h:?} without Config::report_frames"),
        }
    }
}

/// A complete text message.
pub fn text(p: impl AsRef<[u8]>) -> Ev {
    Ev::Text(bytes(p))
}
/// A complete binary message.
pub fn binary(p: impl AsRef<[u8]>) -> Ev {
    Ev::Binary(bytes(p))
}
/// A ping.
pub fn ping(p: impl AsRef<[u8]>) -> Ev {
    Ev::Ping(bytes(p))
}
/// A pong.
pub fn pong(p: impl AsRef<[u8]>) -> Ev {
    Ev::Pong(bytes(p))
}
/// A Close frame with a code and a reason.
pub fn close(code: u16, reason: &str) -> Ev {
    Ev::Close(Some((code, reason.to_owned())))
}
/// A Close frame with an empty body.
pub fn close_empty() -> Ev {
    Ev::Close(None)
}

/// What the fuzzer records in `received` (Autobahn's event tuples).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recv {
    /// `("message", payload, isBinary)`.
    Message(Bytes, bool),
    /// `("pong", payload)`.
    Pong(Bytes),
    /// `("timeout", tag)`, appended by the case after a wait if the connection is still open.
    Timeout(&'static str),
}

/// `("message", payload, False)`.
pub fn echo_text(p: impl AsRef<[u8]>) -> Recv {
    Recv::Message(bytes(p), false)
}
/// `("message", payload, True)`.
pub fn echo_binary(p: impl AsRef<[u8]>) -> Recv {
    Recv::Message(bytes(p), true)
}
/// `("pong", payload)`.
pub fn got_pong(p: impl AsRef<[u8]>) -> Recv {
    Recv::Pong(bytes(p))
}
/// `("timeout", tag)`.
pub fn timeout(tag: &'static str) -> Recv {
    Recv::Timeout(tag)
}

/// What the modelled echo server sends back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    /// The echo of a message.
    Message(MessageKind, Bytes),
    /// The answer to a ping.
    Pong(Bytes),
    /// A Close frame (reply or failure), with its code if any.
    Close(Option<u16>),
}

// ---------------------------------------------------------------------------
// Payload helpers
// ---------------------------------------------------------------------------

/// Bytes from a hex string (whitespace ignored).
pub fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    assert!(digits.len() % 2 == 0, "odd hex string {s:?}");
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).expect("hex digit"))
        .collect()
}

/// `pattern` repeated until it is `len` bytes long (Autobahn's `payload_len`).
pub fn fill(pattern: &[u8], len: usize) -> Vec<u8> {
    pattern.iter().copied().cycle().take(len).collect()
}

/// A frame written by hand, for what `encode::frame` cannot express (reserved
/// opcodes) and to cross-check it: minimal length form, MASK bit set when `mask` is.
pub fn raw_frame(fin: bool, rsv: u8, opcode: u8, mask: Option<[u8; 4]>, payload: &[u8]) -> Vec<u8> {
    assert!(rsv < 8 && opcode < 16);
    let mut out = vec![(u8::from(fin) << 7) | (rsv << 4) | opcode];
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n @ 0..=125 => out.push(mask_bit | n as u8),
        n @ 126..=0xFFFF => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    match mask {
        Some(key) => {
            out.extend_from_slice(&key);
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        }
        None => out.extend_from_slice(payload),
    }
    out
}

// ---------------------------------------------------------------------------
// The fuzzer side: frames and writes
// ---------------------------------------------------------------------------

/// How the following frames are written (Autobahn's `sendFrame` arguments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chop {
    /// A plain `transport.write`: frames written back to back share one write.
    Coalesce,
    /// `sync=True`: the frame is its own write.
    Sync,
    /// `chopsize=n`: the frame is written in pieces of `n` bytes.
    Bytes(usize),
}

#[derive(Debug, Clone)]
struct FrameSpan {
    start: usize,
    payload_start: usize,
    end: usize,
    fin: bool,
    opcode: u8,
    payload: Vec<u8>,
}

#[derive(Debug, Clone)]
struct Write {
    start: usize,
    end: usize,
    /// The tag the case appends as `("timeout", tag)` after waiting, if still open.
    timeout_after: Option<&'static str>,
}

/// The bytes a case's fuzzer sends, as the writes it makes them in.
#[derive(Debug, Clone)]
pub struct Fuzz {
    stream: Vec<u8>,
    writes: Vec<Write>,
    /// The last write may absorb the next coalesced frame.
    open_write: bool,
    frames: Vec<FrameSpan>,
    chop: Chop,
    rng: u32,
    /// Stream offset of the fuzzer's first Close sent through its close API
    /// (`sendClose`/`sendCloseFrame`, which marks `closedByMe`), not a raw opcode-8 frame.
    fuzzer_close_at: Option<usize>,
    bad_frame: Option<usize>,
}

impl Default for Fuzz {
    fn default() -> Self {
        Self::new()
    }
}

impl Fuzz {
    /// An empty stream, frames coalesced into writes.
    pub fn new() -> Self {
        Fuzz {
            stream: Vec::new(),
            writes: Vec::new(),
            open_write: false,
            frames: Vec::new(),
            chop: Chop::Coalesce,
            rng: 0x2545_f491,
            fuzzer_close_at: None,
            bad_frame: None,
        }
    }

    /// A fresh masking key per frame, as a client must use (RFC 6455 §5.3); never
    /// all zero, so that unmasking is exercised.
    fn next_mask(&mut self) -> [u8; 4] {
        loop {
            let mut x = self.rng;
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            self.rng = x;
            let key = x.to_be_bytes();
            if key.iter().all(|&b| b != 0) {
                return key;
            }
        }
    }

    /// Write the following frames in pieces of `n` bytes (`chopsize=n`).
    pub fn chop(mut self, n: usize) -> Self {
        assert!(n > 0);
        self.chop = Chop::Bytes(n);
        self
    }

    /// Write each following frame on its own (`sync=True`).
    pub fn sync(mut self) -> Self {
        self.chop = Chop::Sync;
        self
    }

    /// Write the following frames back to back (the default).
    pub fn coalesce(mut self) -> Self {
        self.chop = Chop::Coalesce;
        self
    }

    fn push_write(&mut self, start: usize, end: usize) {
        self.writes.push(Write {
            start,
            end,
            timeout_after: None,
        });
    }

    fn append(&mut self, bytes: &[u8], chop: Chop) {
        let start = self.stream.len();
        self.stream.extend_from_slice(bytes);
        let end = self.stream.len();
        match chop {
            Chop::Coalesce => {
                match self.writes.last_mut() {
                    Some(w) if self.open_write => w.end = end,
                    _ => self.push_write(start, end),
                }
                self.open_write = true;
            }
            Chop::Sync => {
                self.push_write(start, end);
                self.open_write = false;
            }
            Chop::Bytes(n) => {
                if start == end {
                    self.push_write(start, end);
                }
                let mut at = start;
                while at < end {
                    let to = (at + n).min(end);
                    self.push_write(at, to);
                    at = to;
                }
                self.open_write = false;
            }
        }
    }

    /// Any frame, masked with a fresh key: `sendFrame(opcode, payload, fin, rsv)`.
    pub fn frame(mut self, fin: bool, rsv: u8, opcode: u8, payload: impl AsRef<[u8]>) -> Self {
        let payload = payload.as_ref();
        let key = self.next_mask();
        let raw = raw_frame(fin, rsv, opcode, Some(key), payload);
        if let Ok(op) = OpCode::from_u8(opcode) {
            // The hand-written frame must be what the codec's encoder writes.
            let mut enc = Vec::new();
            encode::frame(&mut enc, fin, rsv, op, Some(key), payload);
            assert_eq!(enc, raw, "raw_frame disagrees with encode::frame");
        }
        let start = self.stream.len();
        let header_len = raw.len() - payload.len();
        self.append(&raw, self.chop);
        self.frames.push(FrameSpan {
            start,
            payload_start: start + header_len,
            end: self.stream.len(),
            fin,
            opcode,
            payload: payload.to_vec(),
        });
        self
    }

    /// A single-frame text message.
    pub fn text(self, p: impl AsRef<[u8]>) -> Self {
        self.frame(true, 0, 0x1, p)
    }
    /// A single-frame binary message.
    pub fn binary(self, p: impl AsRef<[u8]>) -> Self {
        self.frame(true, 0, 0x2, p)
    }
    /// The first frame of a fragmented text message (FIN clear).
    pub fn text_first(self, p: impl AsRef<[u8]>) -> Self {
        self.frame(false, 0, 0x1, p)
    }
    /// A continuation frame with FIN clear.
    pub fn cont(self, p: impl AsRef<[u8]>) -> Self {
        self.frame(false, 0, 0x0, p)
    }
    /// A continuation frame with FIN set.
    pub fn cont_fin(self, p: impl AsRef<[u8]>) -> Self {
        self.frame(true, 0, 0x0, p)
    }
    /// A ping.
    pub fn ping(self, p: impl AsRef<[u8]>) -> Self {
        self.frame(true, 0, 0x9, p)
    }
    /// A pong.
    pub fn pong(self, p: impl AsRef<[u8]>) -> Self {
        self.frame(true, 0, 0xA, p)
    }

    /// A text message sent as `sendMessage(payload, fragmentSize=1)`: one frame per byte.
    pub fn text_bytewise(mut self, p: impl AsRef<[u8]>) -> Self {
        let p = p.as_ref();
        assert!(!p.is_empty());
        for (i, b) in p.iter().enumerate() {
            let op = if i == 0 { 0x1 } else { 0x0 };
            self = self.frame(i + 1 == p.len(), 0, op, [*b]);
        }
        self
    }

    /// A Close through the fuzzer's close API (`sendCloseFrame`): any body.
    pub fn close_body(mut self, body: impl AsRef<[u8]>) -> Self {
        let at = self.stream.len();
        self = self.frame(true, 0, 0x8, body);
        self.fuzzer_close_at.get_or_insert(at);
        self
    }

    /// A Close with a code and reason through the fuzzer's close API.
    pub fn close(self, code: u16, reason: impl AsRef<[u8]>) -> Self {
        let mut body = code.to_be_bytes().to_vec();
        body.extend_from_slice(reason.as_ref());
        self.close_body(body)
    }

    /// An empty Close through the fuzzer's close API (`sendCloseFrame()`).
    pub fn close_empty(self) -> Self {
        self.close_body([])
    }

    /// The Close 1000 the fuzzer sends once the expected events arrived
    /// (`finishWhenDone`): a write of its own, after the server's answers.
    pub fn then_close(mut self) -> Self {
        self.open_write = false;
        let chop = std::mem::replace(&mut self.chop, Chop::Coalesce);
        self = self.close(1000, "");
        self.chop = chop;
        self
    }

    /// Mark the last frame as the one the decoder must fail in.
    pub fn bad(mut self) -> Self {
        assert!(!self.frames.is_empty());
        self.bad_frame = Some(self.frames.len() - 1);
        self
    }

    /// `continueLater(1, ...)` without a tag: the next frames go in a new write.
    pub fn pause(mut self) -> Self {
        self.open_write = false;
        self
    }

    /// `continueLater(1, ..., tag)`: after the wait, the case appends
    /// `("timeout", tag)` if the connection is still open.
    pub fn wait(mut self, tag: &'static str) -> Self {
        let w = self.writes.last_mut().expect("a write before a wait");
        assert!(w.timeout_after.is_none());
        w.timeout_after = Some(tag);
        self.open_write = false;
        self
    }

    /// One frame whose payload is written in parts, with a wait after each part but
    /// the last (`beginMessageFrame(len)` + `sendMessageFrameData(part)`): the
    /// header goes with the first part.
    pub fn frame_in_parts(
        mut self,
        fin: bool,
        opcode: u8,
        parts: &[&[u8]],
        tags: &[&'static str],
    ) -> Self {
        assert_eq!(parts.len(), tags.len() + 1);
        let payload = parts.concat();
        let key = self.next_mask();
        let raw = raw_frame(fin, 0, opcode, Some(key), &payload);
        let start = self.stream.len();
        let payload_start = start + raw.len() - payload.len();
        self.stream.extend_from_slice(&raw);
        let mut at = start;
        let mut end = payload_start;
        for (i, part) in parts.iter().enumerate() {
            end += part.len();
            self.push_write(at, end);
            self.writes.last_mut().unwrap().timeout_after = tags.get(i).copied();
            at = end;
        }
        self.open_write = false;
        self.frames.push(FrameSpan {
            start,
            payload_start,
            end: self.stream.len(),
            fin,
            opcode,
            payload,
        });
        self
    }

    /// The whole stream.
    pub fn bytes(&self) -> &[u8] {
        &self.stream
    }

    /// Start the expectations: the decoder events, in order.
    pub fn expect(self, events: impl IntoIterator<Item = Ev>) -> Case {
        Case {
            fuzz: self,
            events: events.into_iter().collect(),
            error: None,
            ok: None,
            closed_by_me: None,
            codes: Vec::new(),
            states: None,
            fail_in_write: None,
        }
    }

    /// Where a text message of this stream first turns invalid UTF-8: the stream
    /// offset of the byte after which no continuation can make it valid (or the
    /// last byte of a message that ends inside a sequence), with the error kind.
    /// The oracle is `std::str::from_utf8` on every prefix.
    fn utf8_failure(&self) -> Option<(usize, ErrorKind)> {
        let mut msg: Vec<u8> = Vec::new();
        let mut in_text = false;
        for f in &self.frames {
            match f.opcode {
                0x1 => {
                    in_text = true;
                    msg.clear();
                }
                0x0 if in_text => {}
                _ => continue,
            }
            for (i, &b) in f.payload.iter().enumerate() {
                msg.push(b);
                if let Err(e) = std::str::from_utf8(&msg) {
                    if e.error_len().is_some() {
                        let offset = e.valid_up_to() as u64;
                        return Some((f.payload_start + i, ErrorKind::InvalidUtf8 { offset }));
                    }
                }
            }
            if f.fin {
                if std::str::from_utf8(&msg).is_err() {
                    return Some((f.end - 1, ErrorKind::IncompleteUtf8));
                }
                in_text = false;
            }
        }
        None
    }
}

// ---------------------------------------------------------------------------
// Expectations
// ---------------------------------------------------------------------------

/// Where in the stream the decoder must fail.
#[derive(Debug, Clone, Copy)]
enum At {
    /// Somewhere inside the frame marked with [`Fuzz::bad`].
    BadFrame,
    /// Exactly at a byte.
    Byte(usize),
}

#[derive(Debug, Clone)]
struct ExpectedError {
    code: u16,
    kind: ErrorKind,
    at: At,
}

/// A case: the stream and what must come of it.
#[derive(Debug, Clone)]
pub struct Case {
    fuzz: Fuzz,
    events: Vec<Ev>,
    error: Option<ExpectedError>,
    ok: Option<Vec<Recv>>,
    closed_by_me: Option<bool>,
    codes: Vec<u16>,
    states: Option<Vec<CloseState>>,
    fail_in_write: Option<usize>,
}

impl Case {
    /// The decoder must fail with this close code and error kind, inside the
    /// frame marked [`Fuzz::bad`].
    pub fn fails(mut self, code: u16, kind: ErrorKind) -> Self {
        assert!(
            self.fuzz.bad_frame.is_some(),
            "mark the offending frame with .bad()"
        );
        self.error = Some(ExpectedError {
            code,
            kind,
            at: At::BadFrame,
        });
        self
    }

    /// The decoder must fail with 1007 on the first byte that makes a text message
    /// invalid UTF-8 (fail-fast, RFC 6455 §8.1), not later.
    pub fn fails_utf8(mut self) -> Self {
        let (at, kind) = self
            .fuzz
            .utf8_failure()
            .expect("the case sends no invalid UTF-8 text");
        self.error = Some(ExpectedError {
            code: 1007,
            kind,
            at: At::Byte(at),
        });
        self
    }

    /// With the case's own writes, the error must come while feeding write `i`
    /// (0-based), and not before.
    pub fn fail_in_write(mut self, i: usize) -> Self {
        self.fail_in_write = Some(i);
        self
    }

    /// Autobahn's `expected["OK"]`: what the fuzzer must receive.
    pub fn expected_ok(mut self, recv: impl IntoIterator<Item = Recv>) -> Self {
        self.ok = Some(recv.into_iter().collect());
        self
    }

    /// `expectedClose`: the fuzzer closes (`closedByMe=True`); codes it accepts.
    pub fn fuzzer_closes(mut self, codes: &[u16]) -> Self {
        self.closed_by_me = Some(true);
        self.codes = codes.to_vec();
        self
    }

    /// `expectedClose`: the server must fail the connection (`closedByMe=False`).
    pub fn peer_fails(mut self, codes: &[u16]) -> Self {
        self.closed_by_me = Some(false);
        self.codes = codes.to_vec();
        self
    }

    /// The close handshake states the server goes through, from `Open`.
    pub fn close_states(mut self, states: impl IntoIterator<Item = CloseState>) -> Self {
        self.states = Some(states.into_iter().collect());
        self
    }
}

// ---------------------------------------------------------------------------
// The echo server model and the runs
// ---------------------------------------------------------------------------

/// The outcome of feeding a stream in one segmentation.
#[derive(Debug)]
struct Run {
    /// Decoder events with the index of the segment that produced them.
    events: Vec<(usize, Ev)>,
    /// What the server sent, with the segment index.
    outputs: Vec<(usize, Out)>,
    /// The error and the segment it came in.
    error: Option<(usize, ProtocolError)>,
    /// Close handshake states, from `Open`.
    states: Vec<CloseState>,
    /// Whether the decoder ended between messages.
    idle: bool,
}

/// The reference echo server: echo every message, answer every ping, answer the
/// Close (echoing its code), fail the connection with the error's close code.
fn run(stream: &[u8], cuts: &[(usize, usize)]) -> Run {
    let mut dec = MessageDecoder::new(Config::new(Role::Server));
    let mut state = CloseState::Open;
    let mut r = Run {
        events: Vec::new(),
        outputs: Vec::new(),
        error: None,
        states: vec![state],
        idle: false,
    };
    let mut buf = stream.to_vec();
    let mut rest: &mut [u8] = &mut buf;
    'feed: for (seg, &(start, end)) in cuts.iter().enumerate() {
        let (piece, tail) = std::mem::take(&mut rest).split_at_mut(end - start);
        rest = tail;
        let mut input: &mut [u8] = piece;
        loop {
            let ev = match dec.decode(&mut input) {
                Ok(Some(ev)) => Ev::from_event(ev),
                Ok(None) => {
                    assert!(input.is_empty(), "Ok(None) with {} bytes left", input.len());
                    break;
                }
                Err(e) => {
                    if e.kind() == ErrorKind::FrameAfterClose {
                        assert!(!state.may_receive(), "`{e}` in close state {state:?}");
                    }
                    let mut empty: &mut [u8] = &mut [];
                    assert_eq!(
                        dec.decode(&mut empty).err(),
                        Some(e),
                        "errors must be final"
                    );
                    if state == CloseState::Open {
                        r.outputs.push((seg, Out::Close(Some(e.close_code()))));
                        state.on_send_close().unwrap();
                        r.states.push(state);
                    }
                    r.error = Some((seg, e));
                    break 'feed;
                }
            };
            // The decoder and the close handshake agree: no frame is delivered
            // once the peer's Close was received (RFC 6455 §5.5.1).
            assert!(
                state.may_receive(),
                "{ev:?} delivered in close state {state:?}"
            );
            match &ev {
                Ev::Text(p) | Ev::Binary(p) => {
                    if state.may_send_data() {
                        let kind = if matches!(ev, Ev::Text(_)) {
                            MessageKind::Text
                        } else {
                            MessageKind::Binary
                        };
                        r.outputs.push((seg, Out::Message(kind, p.clone())));
                    }
                }
                Ev::Ping(p) => {
                    if state.may_send_data() {
                        r.outputs.push((seg, Out::Pong(p.clone())));
                    }
                }
                Ev::Pong(_) => {}
                Ev::Close(c) => {
                    state
                        .on_receive_close()
                        .expect("the decoder reports at most one Close");
                    r.states.push(state);
                    if state.must_reply() {
                        r.outputs.push((seg, Out::Close(c.as_ref().map(|c| c.0))));
                        state.on_send_close().unwrap();
                        r.states.push(state);
                    }
                }
            }
            r.events.push((seg, ev));
        }
    }
    r.idle = dec.is_idle();
    r
}

/// Autobahn's scoring of a run made with the case's own writes.
#[derive(Debug, PartialEq, Eq)]
struct Verdict {
    received: Vec<Recv>,
    closed_by_me: bool,
    /// The code of the server's Close: `None` if it sent none, `Some(None)` if empty.
    server_close: Option<Option<u16>>,
}

fn score(fuzz: &Fuzz, r: &Run) -> Verdict {
    let server_close = r.outputs.iter().find_map(|(seg, o)| match o {
        Out::Close(code) => Some((*seg, *code)),
        _ => None,
    });
    let fuzzer_close = fuzz.fuzzer_close_at.map(|at| {
        fuzz.writes
            .iter()
            .position(|w| w.start <= at && at < w.end)
            .unwrap()
    });
    let mut received = Vec::new();
    let last_seg = r.error.as_ref().map_or(fuzz.writes.len(), |e| e.0 + 1);
    for (seg, w) in fuzz.writes.iter().enumerate().take(last_seg) {
        for (_, o) in r.outputs.iter().filter(|(s, _)| *s == seg) {
            match o {
                Out::Message(kind, p) => {
                    received.push(Recv::Message(p.clone(), *kind == MessageKind::Binary))
                }
                Out::Pong(p) => received.push(Recv::Pong(p.clone())),
                Out::Close(_) => {}
            }
        }
        let open =
            server_close.is_none_or(|(s, _)| s > seg) && fuzzer_close.is_none_or(|f| f > seg);
        if let (Some(tag), true) = (w.timeout_after, open) {
            received.push(Recv::Timeout(tag));
        }
    }
    let closed_by_me = match (fuzzer_close, server_close) {
        (Some(f), Some((s, _))) => f <= s,
        (None, Some(_)) => false,
        // Nobody closed: the fuzzer's killAfter timer fails the connection.
        (_, None) => true,
    };
    Verdict {
        received,
        closed_by_me,
        server_close: server_close.map(|(_, c)| c),
    }
}

/// Run a case and assert everything it expects. `name` is the test function
/// name, e.g. `case_6_4_3`.
pub fn check(name: &str, case: Case) {
    let id = name.trim_start_matches("case_").replace('_', ".");
    let fuzz = &case.fuzz;
    let stream = fuzz.bytes();
    assert!(!fuzz.writes.is_empty(), "{id}: the case sends nothing");

    let own: Vec<(usize, usize)> = fuzz.writes.iter().map(|w| (w.start, w.end)).collect();
    let bytewise: Vec<(usize, usize)> = (0..stream.len()).map(|i| (i, i + 1)).collect();
    let whole = vec![(0, stream.len())];
    let framewise: Vec<(usize, usize)> = fuzz.frames.iter().map(|f| (f.start, f.end)).collect();
    let mut segmentations = vec![
        ("the case's writes", own),
        ("one byte at a time", bytewise),
        ("one piece", whole),
        ("frame by frame", framewise),
    ];
    if let Some(ExpectedError {
        at: At::Byte(b), ..
    }) = case.error
    {
        // Everything before the offending byte, then the rest.
        segmentations.push((
            "split at the offending byte",
            vec![(0, b), (b, stream.len())],
        ));
    }

    let mut first: Option<Run> = None;
    for (how, cuts) in &segmentations {
        let r = run(stream, cuts);
        let ctx = format!("case {id}, fed {how}");
        let events: Vec<Ev> = r.events.iter().map(|(_, e)| e.clone()).collect();
        assert_eq!(events, case.events, "{ctx}: decoder events");
        match (&case.error, &r.error) {
            (None, None) => assert!(r.idle, "{ctx}: the decoder should end between messages"),
            (None, Some((_, e))) => panic!("{ctx}: unexpected error `{e}`"),
            (Some(x), None) => panic!(
                "{ctx}: expected an error with code {} ({:?}), got none",
                x.code, x.kind
            ),
            (Some(x), Some((seg, e))) => {
                assert_eq!(e.close_code(), x.code, "{ctx}: close code of `{e}`");
                assert_eq!(e.kind(), x.kind, "{ctx}: error kind of `{e}`");
                let (seg_start, seg_end) = cuts[*seg];
                match x.at {
                    At::Byte(b) => assert!(
                        seg_start <= b && b < seg_end,
                        "{ctx}: `{e}` came in bytes {seg_start}..{seg_end}, the offending byte is {b}"
                    ),
                    At::BadFrame => {
                        let f = &fuzz.frames[fuzz.bad_frame.unwrap()];
                        assert!(
                            seg_start < f.end && f.start < seg_end,
                            "{ctx}: `{e}` came in bytes {seg_start}..{seg_end}, the bad frame is bytes {}..{}",
                            f.start,
                            f.end
                        );
                    }
                }
            }
        }
        if let Some(states) = &case.states {
            assert_eq!(&r.states, states, "{ctx}: close handshake states");
        }
        match &first {
            None => first = Some(r),
            Some(f) => {
                let a: Vec<&Out> = f.outputs.iter().map(|(_, o)| o).collect();
                let b: Vec<&Out> = r.outputs.iter().map(|(_, o)| o).collect();
                assert_eq!(
                    a, b,
                    "{ctx}: the server's answers depend on the segmentation"
                );
            }
        }
    }

    // Autobahn's verdict, from the run with the case's own writes.
    let r = first.unwrap();
    if let (Some(i), Some((seg, _))) = (case.fail_in_write, &r.error) {
        assert_eq!(
            *seg, i,
            "case {id}: the error must come while feeding write {i}"
        );
    }
    let v = score(fuzz, &r);
    if let Some(ok) = &case.ok {
        assert_eq!(
            &v.received, ok,
            "case {id}: Autobahn `received` vs expected[\"OK\"]"
        );
    }
    if let Some(by_me) = case.closed_by_me {
        assert_eq!(
            v.closed_by_me, by_me,
            "case {id}: closedByMe (who started the close)"
        );
        if let Some(Some(code)) = v.server_close {
            assert!(
                case.codes.contains(&code),
                "case {id}: WRONG CODE: the server closed with {code}, accepted {:?}",
                case.codes
            );
        }
        if !by_me {
            assert!(
                v.server_close.is_some(),
                "case {id}: the server must fail the connection"
            );
        }
    }
}

/// One `#[test]` per case id: `cases! { case_1_1_1 => <Case>, ... }`.
macro_rules! cases {
    ($($(#[$meta:meta])* $name:ident => $case:expr),* $(,)?) => {
        $(
            $(#[$meta])*
            #[test]
            fn $name() {
                $crate::autobahn::check(stringify!($name), $case);
            }
        )*
    };
}
