//! The case model: a case is a record (id, description, expectation) and a
//! script of steps, with the events and close it expects. It mirrors the
//! primitives Autobahn's case classes call on their protocol (`sendFrame`,
//! `sendMessage`, `sendClose`, `killAfter`, `closeAfter`, `continueLater`), so a
//! reviewer can hold a case next to its Autobahn counterpart and the RFC line.

use std::time::Duration;

pub use wirecheck_codec::ws::deflate::Offer;
pub use wirecheck_codec::ws::frame::LengthForm;

pub use crate::core::{CaseId, IdPart};
pub use crate::ws::data_sets::DataSetId;

/// An event the fuzzer records (Autobahn: `received`), compared exactly with the
/// expected lists: same events, same order, same bytes, same text/binary flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ev {
    /// A complete message from the server.
    Message {
        /// Its payload.
        data: Vec<u8>,
        /// Binary (true) or text (false).
        binary: bool,
    },
    /// A ping from the server.
    Ping(Vec<u8>),
    /// A pong from the server.
    Pong(Vec<u8>),
    /// A `continueLater` wait that ended with the connection still open.
    Timeout(&'static str),
}

impl Ev {
    /// The payload bytes the event holds (what keeping it costs).
    pub fn payload_len(&self) -> usize {
        match self {
            Ev::Message { data, .. } | Ev::Ping(data) | Ev::Pong(data) => data.len(),
            Ev::Timeout(_) => 0,
        }
    }

    /// A text message event.
    pub fn text(s: impl Into<Vec<u8>>) -> Ev {
        Ev::Message {
            data: s.into(),
            binary: false,
        }
    }

    /// A binary message event.
    pub fn binary(b: impl Into<Vec<u8>>) -> Ev {
        Ev::Message {
            data: b.into(),
            binary: true,
        }
    }

    /// A pong event.
    pub fn pong(b: impl Into<Vec<u8>>) -> Ev {
        Ev::Pong(b.into())
    }
}

/// The event lists a case accepts (Autobahn: `expected`): `OK`, and optionally a
/// `NON-STRICT` alternative. When both are present the fuzzer never closes on a
/// match by itself (Autobahn's `finishWhenDone` needs every list to match).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Expected {
    /// The events of a strictly conforming peer.
    pub ok: Vec<Ev>,
    /// The events of a peer that misses a SHOULD, if the case scores that.
    pub non_strict: Option<Vec<Ev>>,
}

/// How the connection is expected to close (Autobahn: `expectedClose`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedClose {
    /// Whether the fuzzer must be the endpoint that starts (or fails) the close.
    pub closed_by_me: bool,
    /// The close codes accepted from the peer (a missing code is always accepted).
    pub codes: Vec<u16>,
    /// Whether the close must be clean (close handshake, then the server drops TCP).
    pub require_clean: bool,
    /// UTF-8 cases and wirecheck's own X. cases: if the wrong endpoint closed,
    /// `behavior` is FAILED too (the peer never detected what it had to refuse).
    pub closed_by_wrong_endpoint_is_fatal: bool,
}

impl ExpectedClose {
    /// The fuzzer closes with 1000 after the expected events; the close must be clean.
    pub fn fuzzer_closes_normally() -> Self {
        ExpectedClose {
            closed_by_me: true,
            codes: vec![1000],
            require_clean: true,
            closed_by_wrong_endpoint_is_fatal: false,
        }
    }

    /// The peer must fail the connection with `code` (or drop TCP); need not be clean.
    pub fn peer_fails(code: u16) -> Self {
        ExpectedClose {
            closed_by_me: false,
            codes: vec![code],
            require_clean: false,
            closed_by_wrong_endpoint_is_fatal: false,
        }
    }
}

/// How the bytes of a frame are written to the socket (Autobahn's `chopsize`/`sync`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chop {
    /// Queued with the neighbouring frames; consecutive `Whole` frames go out in one write.
    Whole,
    /// Written on its own (Autobahn: `sync=True`, "frame-wise chops").
    FrameWise,
    /// Written in pieces of this many bytes, one write each (Autobahn: `chopsize`).
    Bytes(usize),
    /// Written in pieces that end at these offsets (ascending), one write each,
    /// then the rest: TCP segment splits chosen by the case.
    At(&'static [usize]),
}

/// How a frame the fuzzer sends is masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mask {
    /// As the fuzzer's role requires (RFC 6455 §5.3): a client masks every frame
    /// with a fresh key, a server masks none.
    Role,
    /// Not masked, whatever the role (a client breaking §5.1).
    None,
    /// Masked with this key, whatever the role (a server breaking §5.1, or a
    /// chosen key such as all zeros).
    Key([u8; 4]),
}

/// A payload as a pattern repeated to a length (Autobahn's `payload_len`), so
/// that the multi-megabyte payloads of the 9.x cases cost nothing until sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// The bytes repeated (when empty, the payload is `len` zero bytes).
    pub pattern: Vec<u8>,
    /// The payload length.
    pub len: usize,
}

impl Payload {
    /// Exactly these bytes.
    pub fn exact(bytes: impl Into<Vec<u8>>) -> Payload {
        let pattern = bytes.into();
        Payload {
            len: pattern.len(),
            pattern,
        }
    }

    /// `pattern` repeated until it is `len` bytes long.
    pub fn repeat(pattern: impl Into<Vec<u8>>, len: usize) -> Payload {
        Payload {
            pattern: pattern.into(),
            len,
        }
    }

    /// The byte at position `i` (`i < len`).
    #[cfg(test)]
    fn at(&self, i: usize) -> u8 {
        if self.pattern.is_empty() {
            0
        } else {
            self.pattern[i % self.pattern.len()]
        }
    }

    /// The payload's first `min(len, limit)` bytes, built by copying what is
    /// already there (a few `memcpy`s, not a division per byte: the 9.x cases send
    /// hundreds of MiB).
    fn prefix(&self, limit: usize) -> Vec<u8> {
        let n = self.len.min(limit);
        if self.pattern.is_empty() {
            return vec![0; n];
        }
        let mut out = Vec::with_capacity(n);
        out.extend_from_slice(&self.pattern[..self.pattern.len().min(n)]);
        while out.len() < n {
            // `out` is a whole number of patterns while it grows, so a copy of its
            // start continues the pattern.
            let more = out.len().min(n - out.len());
            out.extend_from_within(..more);
        }
        out
    }

    /// The payload's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        self.prefix(self.len)
    }

    /// The bytes at positions `start..end` (clamped to the payload), for
    /// payloads too large to hold whole.
    pub fn range(&self, start: usize, end: usize) -> Vec<u8> {
        let end = end.min(self.len);
        let start = start.min(end);
        if self.pattern.is_empty() {
            return vec![0; end - start];
        }
        // Whole runs of the pattern at a time (a copy per period, not per byte).
        let p = self.pattern.len();
        let mut out = Vec::with_capacity(end - start);
        let mut i = start;
        while i < end {
            let off = i % p;
            let n = (p - off).min(end - i);
            out.extend_from_slice(&self.pattern[off..off + n]);
            i += n;
        }
        out
    }

    /// The first position where `data` differs from the payload (its length if
    /// it is a prefix or longer), or `None` when they are equal.
    pub fn first_difference(&self, data: &[u8]) -> Option<usize> {
        // Compared a block at a time against the pattern repeated to a block whose
        // length is a multiple of the pattern's, so every block starts in phase.
        const BLOCK: usize = 16 * 1024;
        let period = self.pattern.len().max(1);
        let block = self.prefix((BLOCK / period).max(1) * period);
        let common = data.len().min(self.len);
        let mut at = 0;
        for piece in data[..common].chunks(block.len().max(1)) {
            let expected = &block[..piece.len()];
            if piece != expected {
                let i = piece.iter().zip(expected).position(|(a, b)| a != b);
                return Some(at + i.unwrap_or(piece.len()));
            }
            at += piece.len();
        }
        (data.len() != self.len).then_some(common)
    }
}

/// A frame to send, valid or not (Autobahn: `sendFrame`). By default masking
/// follows the fuzzer's role (a client masks every frame with a fresh key, RFC
/// 6455 §5.3) and the length has its minimal form (§5.2); a case may choose
/// otherwise to send what the rules forbid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameSpec {
    /// The 4-bit opcode, reserved values included.
    pub opcode: u8,
    /// The payload pattern.
    pub payload: Vec<u8>,
    /// Repeat `payload` until it is this long (Autobahn: `payload_len`).
    pub payload_len: Option<usize>,
    /// FIN.
    pub fin: bool,
    /// RSV1-3 as a 3-bit value.
    pub rsv: u8,
    /// How the frame's bytes are written.
    pub chop: Chop,
    /// How it is masked.
    pub mask: Mask,
    /// How its payload length is encoded.
    pub length: LengthForm,
    /// The payload length the header announces, when it is not the payload's
    /// (a frame that announces more than it carries).
    pub announce: Option<u64>,
}

impl FrameSpec {
    /// A final, unchopped frame with no RSV bits.
    pub fn new(opcode: u8, payload: impl Into<Vec<u8>>) -> Self {
        FrameSpec {
            opcode,
            payload: payload.into(),
            payload_len: None,
            fin: true,
            rsv: 0,
            chop: Chop::Whole,
            mask: Mask::Role,
            length: LengthForm::Minimal,
            announce: None,
        }
    }

    /// Set how the frame is masked.
    pub fn mask(mut self, mask: Mask) -> Self {
        self.mask = mask;
        self
    }

    /// Set the length form.
    pub fn length(mut self, length: LengthForm) -> Self {
        self.length = length;
        self
    }

    /// Announce `len` payload bytes in the header, whatever the payload.
    pub fn announce(mut self, len: u64) -> Self {
        self.announce = Some(len);
        self
    }

    /// Set FIN.
    pub fn fin(mut self, fin: bool) -> Self {
        self.fin = fin;
        self
    }

    /// Set the RSV bits.
    pub fn rsv(mut self, rsv: u8) -> Self {
        self.rsv = rsv;
        self
    }

    /// Repeat the payload pattern to `len` bytes.
    pub fn repeat_to(mut self, len: usize) -> Self {
        self.payload_len = Some(len);
        self
    }

    /// Set how the bytes are written.
    pub fn chop(mut self, chop: Chop) -> Self {
        self.chop = chop;
        self
    }

    /// The payload, as a pattern and a length.
    pub fn payload_spec(&self) -> Payload {
        Payload::repeat(
            self.payload.clone(),
            self.payload_len.unwrap_or(self.payload.len()),
        )
    }

    /// The payload as sent.
    pub fn full_payload(&self) -> Vec<u8> {
        self.payload_spec().bytes()
    }
}

/// One step of a case script, run in order once the connection is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Send a frame (Autobahn: `sendFrame`). Does not change the close state, even
    /// for opcode 8: that is how cases send close frames the protocol would not.
    Frame(FrameSpec),
    /// Send a message, fragmented into frames of at most `fragment_size` bytes
    /// when given (Autobahn: `sendMessage` with `fragmentSize` or `autoFragmentSize`).
    Message {
        /// The payload.
        payload: Payload,
        /// Binary (true) or text (false).
        binary: bool,
        /// The largest frame payload, if the message is fragmented.
        fragment_size: Option<usize>,
    },
    /// Start one frame of `total_len` payload bytes (Autobahn: `beginMessageFrame`)
    /// and send its header; the payload follows in [`Step::FrameData`] steps.
    BeginFrame {
        /// The opcode.
        opcode: u8,
        /// FIN.
        fin: bool,
        /// The whole payload length the header announces.
        total_len: usize,
    },
    /// Send the next payload bytes of the frame begun by [`Step::BeginFrame`],
    /// masked with that frame's key at the right offset (Autobahn: `sendMessageFrameData`).
    FrameData(Vec<u8>),
    /// Send these bytes as they are, cut as `chop` says: anything a frame
    /// specification cannot say.
    Raw {
        /// The bytes.
        bytes: Vec<u8>,
        /// How they are written.
        chop: Chop,
    },
    /// Start the close handshake (Autobahn: `sendClose` / `sendCloseFrame`): send a
    /// Close frame with this raw body and record that the fuzzer closed first.
    Close(Vec<u8>),
    /// Fail the connection with 1001 "Going Away" after this long, if it is still
    /// open (Autobahn: `killAfter`).
    KillAfter(Duration),
    /// Send an empty Close after this long, if the connection is still open
    /// (Autobahn: `closeAfter`).
    CloseAfter(Duration),
    /// Wait this long; the steps after it run only if the connection is still
    /// open then, and a tag records `Ev::Timeout(tag)` (Autobahn: `continueLater`).
    Wait(Duration, Option<&'static str>),
    /// Drop the TCP connection at once, without a Close frame: a client whose
    /// network vanished (RFC 6455 §7.1.5, the connection closes with 1006).
    /// What was queued before is written first.
    Drop,
}

impl Step {
    /// A close step with a status code and a UTF-8 reason.
    pub fn close(code: u16, reason: &str) -> Step {
        let mut body = code.to_be_bytes().to_vec();
        body.extend_from_slice(reason.as_bytes());
        Step::Close(body)
    }

    /// `killAfter(secs)`.
    pub fn kill_after(secs: f64) -> Step {
        Step::KillAfter(Duration::from_secs_f64(secs))
    }

    /// `closeAfter(secs)`.
    pub fn close_after(secs: f64) -> Step {
        Step::CloseAfter(Duration::from_secs_f64(secs))
    }

    /// `continueLater(secs, …, tag)`.
    pub fn wait(secs: f64, tag: Option<&'static str>) -> Step {
        Step::Wait(Duration::from_secs_f64(secs), tag)
    }
}

/// What a case expects of the peer's answer to its opening request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// A valid request: the peer must open the connection (101); the script runs.
    Accept,
    /// An invalid request: the peer must refuse it (any status but 101, or
    /// closing the connection); nothing else happens.
    Refuse,
    /// A request the peer may accept or refuse (wirecheck's S.2 cases: how
    /// large a head to read is its choice, RFC 9110 §5.4); what counts is that
    /// it answers in time and keeps answering others. Once open, the script runs.
    Either,
}

/// The `Origin` an S.1 case sends (RFC 6455 §10.2, §4.2.2 step 4), resolved
/// against `--origin-policy` and the target before the run
/// ([`crate::ws::origin`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginProbe {
    /// A site that is not the server's: `https://wirecheck.invalid`.
    Foreign,
    /// `null`, what sandboxed frames and `file:` pages send (RFC 6454 §7.3).
    Null,
    /// The allowed origin's host as the first label of a foreign one
    /// (`https://example.com.wirecheck.invalid`): what a prefix match lets in.
    LookAlike,
    /// The allowed origin itself (the target's own under `same`, the first
    /// of the list under a list).
    Allowed,
}

/// An opening request other than the textbook one (RFC 6455 §4.1), built on
/// its defaults: `Host`, `Upgrade: websocket`, `Connection: Upgrade`,
/// `Sec-WebSocket-Key` (fresh), `Sec-WebSocket-Version: 13`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpeningSpec {
    /// The method (`GET`).
    pub method: String,
    /// The HTTP version of the request line (`HTTP/1.1`).
    pub version: String,
    /// Default headers left out (names, any case).
    pub remove: Vec<String>,
    /// Headers that replace the default of that name, or are added.
    pub set: Vec<(String, String)>,
    /// Headers added after the others even when one of that name is there
    /// (a header given twice).
    pub add: Vec<(String, String)>,
    /// The request is written in pieces ending at these offsets, then the rest.
    pub segments: &'static [usize],
    /// What the peer must do with it.
    pub expect: Expect,
    /// A refusal must carry `Sec-WebSocket-Version` naming 13 (RFC 6455
    /// §4.2.2: the answer to a version the server does not understand).
    pub refusal_lists_versions: bool,
    /// The answer must come within this long (scaled), not only within the
    /// opening handshake timeout: a head that takes a parser super-linear
    /// time (the ReDoS shapes of S.2) is seen as a late answer.
    pub answer_within: Option<Duration>,
    /// The `Origin` this request carries, once resolved ([`OriginProbe`]).
    pub origin: Option<OriginProbe>,
    /// After the case, a textbook connection must still open: a request
    /// that crashed or wedged the server fails the case that sent it.
    pub probe_after: bool,
    /// The request carries a permessage-deflate offer the server must decline
    /// (RFC 7692 §7.1): a 101 that accepts it fails the case.
    pub decline_deflate: bool,
    /// Slowloris: write the first segment, then one more byte of the head
    /// every `interval` and never its end, for at most `total` (both
    /// scaled); the case reports whether and when the server gave up on it.
    pub stall: Option<Stall>,
}

/// How a slowloris request trickles (see [`OpeningSpec::stall`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stall {
    /// Between two bytes.
    pub interval: Duration,
    /// The longest the case waits for the server to give up.
    pub total: Duration,
}

impl OpeningSpec {
    /// The textbook request, to modify.
    pub fn textbook(expect: Expect) -> OpeningSpec {
        OpeningSpec {
            method: "GET".into(),
            version: "HTTP/1.1".into(),
            remove: Vec::new(),
            set: Vec::new(),
            add: Vec::new(),
            segments: &[],
            expect,
            refusal_lists_versions: false,
            answer_within: None,
            origin: None,
            probe_after: false,
            decline_deflate: false,
            stall: None,
        }
    }
}

/// How a case turns what happened into verdicts, beyond Autobahn's common rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scoring {
    /// The common rules (Autobahn `Case.onConnectionLost`).
    Standard,
    /// As standard, and a WRONG CODE close makes `behavior` FAILED too (7.x).
    WrongCodeFails,
    /// Both verdicts are always INFORMATIONAL; the result text says what happened
    /// (7.1.6, 7.13.x).
    Informational,
    /// Limits/performance (9.x): round trips, see [`RoundTrips`].
    RoundTrips(RoundTrips),
    /// As standard, and every frame the client sent must be masked with a
    /// fresh, nonzero key (RFC 6455 §5.3; wirecheck's C.1).
    MaskingKeys,
    /// As standard, and the client must leave closing TCP to the server
    /// (RFC 6455 §7.1.1, a SHOULD; wirecheck's C.4.1, with [`Case::hold_drop`]).
    WaitsForDrop,
    /// As standard, and the peer must answer wirecheck's Close with the code
    /// it received (RFC 6455 §5.5.1, "typically echos"; wirecheck's C.5): any
    /// other code it may send is NON-STRICT.
    EchoesCloseCode,
    /// Permessage-deflate (12.x, 13.x): round trips over a compressed
    /// connection. UNIMPLEMENTED when the server declines the extension (Autobahn
    /// then closes with 1000 at once); FAILED when the connection never opens.
    Deflate(RoundTrips),
}

impl Scoring {
    /// The round trips of a 9.x, 12.x or 13.x case.
    pub fn round_trips(&self) -> Option<&RoundTrips> {
        match self {
            Scoring::RoundTrips(r) | Scoring::Deflate(r) => Some(r),
            _ => None,
        }
    }
}

/// Messages sent `count` times, each after the echo of the previous one. OK
/// when every echo arrives in time with the type, length and bytes sent
/// (Autobahn checks the type and length in 9.x, "FIXME: check actual content",
/// and a SHA-1 digest in 12.x/13.x; we compare the bytes). The fuzzer then
/// closes with 1000; `timeout` is Autobahn's `closeAfter`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundTrips {
    /// How many messages, one at a time.
    pub count: usize,
    /// Binary (true) or text (false).
    pub binary: bool,
    /// What each message is.
    pub messages: Messages,
    /// Close the connection after this long if the case has not finished.
    pub timeout: Duration,
}

/// What a round-trip case sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Messages {
    /// The case's steps send one message, every time the same: this payload
    /// (9.x).
    Steps(Payload),
    /// Consecutive windows of `size` units (characters for text, bytes for
    /// binary) over a data set, wrapping around its end, each message in
    /// frames of at most `autofrag` bytes after compression (0: one frame)
    /// (12.x, 13.x; Autobahn's `sendOne` with `autoFragmentSize`).
    Windows {
        /// The data set.
        data: DataSetId,
        /// The window size.
        size: usize,
        /// The largest frame payload (0: unlimited).
        autofrag: usize,
    },
}

impl Messages {
    /// The most bytes an echo may hold: the message's own length (a UTF-8
    /// character is at most four bytes).
    pub fn max_len(&self) -> usize {
        match self {
            Messages::Steps(p) => p.len,
            Messages::Windows { size, .. } => size.saturating_mul(4),
        }
    }
}

/// One case.
#[derive(Debug, Clone)]
pub struct Case {
    /// Its id.
    pub id: CaseId,
    /// What it does, as Autobahn describes it.
    pub description: String,
    /// What a conforming peer does, as Autobahn states it.
    pub expectation: String,
    /// The events it accepts.
    pub expected: Expected,
    /// How the connection must close.
    pub expected_close: ExpectedClose,
    /// Whether the fuzzer's automatic close on a match is suppressed (cases that
    /// send their own close frames).
    pub suppress_close: bool,
    /// The script run once the connection is open. For [`Messages::Steps`],
    /// the steps that send one message (repeated `count` times).
    pub steps: Vec<Step>,
    /// How the verdicts are computed.
    pub scoring: Scoring,
    /// Whether the duration is the point of the case (Autobahn: `reportTime`).
    pub report_time: bool,
    /// The opening request, when the case sends its own (wirecheck's H. cases).
    pub opening: Option<OpeningSpec>,
    /// Whether the case runs only under `--profile full` (wirecheck's heavy
    /// S. cases: more traffic or more time than a default run spends).
    pub full_profile: bool,
    /// Whether the case runs alone, like the performance cases (wirecheck's
    /// floods and bombs: their CPU would starve the timers of the others).
    pub alone: bool,
    /// Whether the wire log is kept (Autobahn: `createWirelog`; off for the
    /// round-trip cases and for floods of frames, whose log would only hit
    /// its bound).
    pub wirelog: bool,
    /// The permessage-deflate offers its opening request carries (RFC 7692 §5),
    /// in preference order; `None` offers nothing.
    pub deflate: Option<Vec<Offer>>,
    /// The answer to a client's opening request, when the case gives its own
    /// (wirecheck's C.2 cases, testing clients); `None` answers textbook 101.
    pub answer: Option<AnswerSpec>,
    /// As a server, keep TCP open this long after the close handshake (before
    /// `--timeout-scale`), to see whether the client waits for the server to
    /// close it first (RFC 6455 §7.1.1; wirecheck's C.4.1).
    pub hold_drop: Option<Duration>,
    /// A rule of RFC 8441's streams the case checks in place of a script
    /// (wirecheck's H2. cases, run only with `--http 2`).
    pub stream_check: Option<StreamCheck>,
}

/// What an H2. case checks (RFC 8441 over RFC 9113): rules of the streams that
/// carry WebSockets, which no script on one connection can see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamCheck {
    /// After the closing handshake the server ends its stream (END_STREAM).
    ServerEndsStream,
    /// The client's END_STREAM after the closing handshake is an orderly
    /// close: the connection and its other streams live on.
    ClientEndKeepsConnection,
    /// A stream the server fails (an unmasked frame) leaves the others.
    FailureIsolated,
    /// An extended CONNECT with a `:protocol` other than `websocket` is refused.
    UnknownProtocolRefused,
    /// The 200 answer has no connection-specific header field.
    NoConnectionHeaders,
}

/// The fuzzing server's answer to a client's opening request: the textbook
/// 101 (RFC 6455 §4.2.2 item 5) changed as a case says, to see whether the
/// client fails the connection as §4.1 requires of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerSpec {
    /// The status code.
    pub status: u16,
    /// Headers of the textbook answer left out (lower case).
    pub remove: Vec<&'static str>,
    /// Headers set: replacing one of the same name, else added.
    pub set: Vec<(&'static str, String)>,
    /// `Sec-WebSocket-Accept` computed from another key than the client's.
    pub wrong_accept: bool,
}

impl Default for AnswerSpec {
    fn default() -> Self {
        AnswerSpec {
            status: 101,
            remove: Vec::new(),
            set: Vec::new(),
            wrong_accept: false,
        }
    }
}

impl Case {
    /// Whether the case's verdict is a time: its opening must be answered
    /// within [`OpeningSpec::answer_within`] (S.2's ReDoS shapes).
    pub fn is_timed(&self) -> bool {
        self.opening
            .as_ref()
            .is_some_and(|s| s.answer_within.is_some())
    }

    /// A standard case: expects `ok`, closes per `close`, runs `steps`.
    pub fn new(
        id: &str,
        description: impl Into<String>,
        expectation: impl Into<String>,
        ok: Vec<Ev>,
        close: ExpectedClose,
        steps: Vec<Step>,
    ) -> Case {
        Case {
            id: CaseId::parse(id)
                .unwrap_or_else(|| panic!("malformed case id {id:?} in the catalogue")),
            description: description.into(),
            expectation: expectation.into(),
            expected: Expected {
                ok,
                non_strict: None,
            },
            expected_close: close,
            suppress_close: false,
            steps,
            scoring: Scoring::Standard,
            report_time: false,
            opening: None,
            deflate: None,
            answer: None,
            hold_drop: None,
            stream_check: None,
            full_profile: false,
            alone: false,
            wirelog: true,
        }
    }

    /// Check `check` instead of running a script (H2. cases).
    pub fn stream_check(mut self, check: StreamCheck) -> Case {
        self.stream_check = Some(check);
        self
    }

    /// Run the case alone (see [`Case::alone`]).
    pub fn alone(mut self) -> Case {
        self.alone = true;
        self
    }

    /// Keep no wire log (Autobahn: `createWirelog = False`).
    pub fn no_wirelog(mut self) -> Case {
        self.wirelog = false;
        self
    }

    /// Run the case only under `--profile full`.
    pub fn full_profile(mut self) -> Case {
        self.full_profile = true;
        self
    }

    /// Add a NON-STRICT alternative.
    pub fn non_strict(mut self, events: Vec<Ev>) -> Case {
        self.expected.non_strict = Some(events);
        self
    }

    /// Suppress the fuzzer's automatic close.
    pub fn suppress_close(mut self) -> Case {
        self.suppress_close = true;
        self
    }

    /// Set the scoring rule.
    pub fn scoring(mut self, scoring: Scoring) -> Case {
        self.scoring = scoring;
        self
    }

    /// Offer permessage-deflate with these parameter sets.
    pub fn deflate_offers(mut self, offers: Vec<Offer>) -> Case {
        self.deflate = Some(offers);
        self
    }

    /// Send this opening request instead of the textbook one.
    pub fn opening(mut self, spec: OpeningSpec) -> Case {
        self.opening = Some(spec);
        self
    }

    /// As a server, keep TCP open `d` after the close handshake ([`Case::hold_drop`]).
    pub fn hold_drop(mut self, d: Duration) -> Case {
        self.hold_drop = Some(d);
        self
    }

    /// Answer the client's opening request as `spec` says.
    pub fn answer(mut self, spec: AnswerSpec) -> Case {
        self.answer = Some(spec);
        self
    }

    /// Report the duration as the point of the case.
    pub fn report_time(mut self) -> Case {
        self.report_time = true;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_pattern_repeats_to_length() {
        let f = FrameSpec::new(1, "ab").repeat_to(5);
        assert_eq!(f.full_payload(), b"ababa");
        assert_eq!(FrameSpec::new(1, "").repeat_to(3).full_payload(), [0, 0, 0]);
    }

    #[test]
    fn payload_first_difference() {
        let p = Payload::repeat("ab", 5);
        assert_eq!(p.first_difference(b"ababa"), None);
        assert_eq!(p.first_difference(b"abXba"), Some(2));
        assert_eq!(p.first_difference(b"abab"), Some(4));
        assert_eq!(p.first_difference(b"ababab"), Some(5));
        assert_eq!(Payload::exact(vec![]).first_difference(b""), None);
    }

    #[test]
    fn payload_bytes_and_differences_agree_with_the_byte_by_byte_definition() {
        let patterns: [&[u8]; 5] = [
            b"",
            b"*",
            b"ab",
            b"Hello-\xc2\xb5@\xc3\x9f\xc3\xb6",
            &[7; 40_000],
        ];
        for pattern in patterns {
            for len in [0, 1, 2, 3, 39, 40, 16 * 1024 - 1, 16 * 1024 + 5, 70_001] {
                let p = Payload::repeat(pattern, len);
                let naive: Vec<u8> = (0..len).map(|i| p.at(i)).collect();
                assert_eq!(p.bytes(), naive, "{} {len}", pattern.len());
                for (a, b) in [(0, len), (1, len / 2), (len / 3, len + 9), (len, len)] {
                    let want = naive.get(a.min(len)..b.min(len)).unwrap_or_default();
                    assert_eq!(p.range(a, b), want, "{} {len} {a}..{b}", pattern.len());
                }
                assert_eq!(p.first_difference(&naive), None);
                for at in [0, len / 3, len.saturating_sub(1), 16 * 1024, 16 * 1024 + 1] {
                    if at < len {
                        let mut changed = naive.clone();
                        changed[at] ^= 0x20;
                        assert_eq!(p.first_difference(&changed), Some(at), "{len} {at}");
                    }
                }
                assert_eq!(
                    p.first_difference(&naive[..len / 2]),
                    (len / 2 != len).then_some(len / 2)
                );
                let mut longer = naive.clone();
                longer.push(0);
                assert_eq!(p.first_difference(&longer), Some(len));
            }
        }
    }
}
