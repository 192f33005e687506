//! The case driver: one case on one open WebSocket connection, as a state
//! machine in the style of quinn-proto. It performs no I/O and reads no clock:
//! the owner of the socket feeds it the bytes received and the time
//! ([`Driver::handle_input`], [`Driver::handle_eof`], [`Driver::handle_timeout`]),
//! writes what it asks ([`Driver::transmit`], [`Driver::written`]) and sleeps
//! until [`Driver::deadline`]. The tokio transport ([`crate::ws::engine`]) is
//! one such owner; the in-memory tests are another, with simulated time.
//!
//! The role is a parameter ([`Role`]): as a fuzzing **client** (Autobahn's
//! fuzzingclient, testing a server) the driver masks every frame and waits for
//! the peer to drop TCP after the close handshake; as a fuzzing **server**
//! (Autobahn's fuzzingserver, testing a client) it masks nothing and drops TCP
//! itself once the close handshake is done (RFC 6455 §7.1.1: the server closes
//! the TCP connection first). Everything else, the script, the events kept and
//! the verdicts, is the same for both.
//!
//! The close handshake follows Autobahn|Python 0.10.9 (autobahn.md §4.3):
//! * the fuzzer closes first (a match, `closeAfter`, a `Close` step,
//!   `killAfter`, or a protocol error by the peer): it waits for the peer's
//!   Close for the close-handshake timeout; then a client waits for the server
//!   to drop TCP for the drop timeout; either timeout drops TCP;
//! * the peer closes first: the fuzzer answers 1000; a client then waits for
//!   the server to drop TCP, a server drops it.
//!
//! One concern per file: [`close`] the close handshake and its timers,
//! [`receive`] what arrives, [`script`] runs the steps, [`tracker`] follows frame
//! boundaries for the log and for Close frames after a failure, [`outbox`]
//! keeps the writes as Autobahn cuts them, [`timers`] the deadlines, [`rng`]
//! the masking keys, [`opening`] the opening handshake. The protocol rules
//! themselves come from the codec (`wirecheck_codec::ws`). The driver reads
//! with the codec's `Receiver` (the owner may read the socket straight into
//! its buffer: [`Driver::io`], [`Driver::handle_received`]), not its endpoint
//! object `Connection`: a
//! fuzzer controls every byte it sends (Autobahn answers a peer's Close with
//! 1000 rather than echoing it, and after failing on a frame still takes the
//! Close that follows it), which a well-behaved endpoint does not do.

mod close;
mod deflate;
pub mod masks;
pub mod opening;
pub mod outbox;
mod receive;
mod round_trips;
mod script;
pub mod timers;
pub mod tracker;

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wirecheck_codec::ws::deflate::{Agreed, Decompressor};
use wirecheck_codec::ws::message::Config;
use wirecheck_codec::ws::{FrameHeader, Limits, Receiver};

pub use wirecheck_codec::ws::Role;

use super::bounds::{self, Budget};
use super::case::{Case, Ev, Messages, Payload, Scoring, Step};
use super::compressed::{Compressed, Key};
use super::data_sets::{Coding, DataSet};
use super::result::{CaseResult, CloseInfo, Logged, WireRow};
use super::rng::Rng;
use super::traffic::Traffic;
use super::verdict::{Observed, verdicts};
use deflate::Deflate;
use outbox::Outbox;
use timers::Timers;
use tracker::{Sink, Tracker};

/// The timeouts of a case, already scaled by `--timeout-scale`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timeouts {
    /// Wait for the peer's Close after the fuzzer's (Autobahn: 1 s).
    pub close_handshake: Duration,
    /// Wait for the server to drop TCP after the close handshake (Autobahn: 1 s).
    pub peer_drop: Duration,
    /// The longest any case may take once open.
    pub case_cap: Duration,
    /// Nothing moved either way for this long while open: stop ([`bounds::STALL`]).
    pub stall: Duration,
    /// Multiplies every timer of a case script.
    pub scale: f64,
}

impl Timeouts {
    /// Autobahn|Python 0.10.9's timeouts (autobahn.md §4.2) and wirecheck's own
    /// bounds, multiplied by `scale`.
    pub fn scaled(scale: f64) -> Timeouts {
        let s = |d: Duration| d.mul_f64(scale.max(0.0));
        Timeouts {
            close_handshake: s(Duration::from_secs(1)),
            peer_drop: s(Duration::from_secs(1)),
            case_cap: s(Duration::from_secs(30)),
            stall: s(bounds::STALL),
            scale,
        }
    }

    fn script(&self, d: Duration) -> Duration {
        d.mul_f64(self.scale.max(0.0))
    }
}

/// The limits the fuzzer applies to what the peer sends in `case`: the echo
/// of a round-trip case's message (9.x: up to 16 MiB), else [`bounds::MAX_MESSAGE`].
pub fn receive_limits(case: &Case) -> Limits {
    let max = match &case.scoring {
        Scoring::RoundTrips(rt) | Scoring::Deflate(rt) => {
            (rt.messages.max_len() as u64).max(bounds::MAX_MESSAGE)
        }
        _ => bounds::MAX_MESSAGE,
    };
    Limits {
        max_frame_size: max,
        max_message_size: max,
    }
}

/// Where the close handshake stands, from the fuzzer's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Open.
    Open,
    /// The fuzzer sent the first Close and waits for the peer's.
    CloseSent,
    /// The handshake is complete (or the fuzzer answered the peer's Close): a
    /// client waits for the server to drop TCP.
    AwaitDrop,
    /// TCP is gone, or the driver wants it gone.
    Done,
}

/// The wire log of a case and whether it records now.
#[derive(Debug, Default)]
struct WireLog {
    rows: Vec<WireRow>,
    on: bool,
}

impl WireLog {
    /// Add a row within the cap ([`bounds::MAX_WIRE_LOG`]). The rows that say
    /// whether logging is on are kept whatever the cap: they tell the report
    /// what the log covers.
    fn push(&mut self, budget: &mut Budget, row: WireRow) {
        let keep =
            matches!(row, WireRow::Logging(_)) || (self.on && budget.take_row(row.kept_bytes()));
        if keep {
            self.rows.push(row);
        }
    }
}

/// The tracker's frames go to the wire log, within the budget.
struct LogSink<'a> {
    log: &'a mut WireLog,
    budget: &'a mut Budget,
    masks: &'a mut masks::MaskKeys,
}

impl Sink for LogSink<'_> {
    fn keep(&self, _: &FrameHeader) -> usize {
        if self.log.on && self.budget.has_room() {
            Logged::PREFIX
        } else {
            0
        }
    }

    fn frame(&mut self, h: &FrameHeader, kept: &[u8]) {
        self.masks.record(h.mask);
        if !(self.log.on && self.budget.has_room()) {
            if self.log.on {
                self.budget.take_row(kept.len().min(Logged::PREFIX));
            }
            return;
        }
        let head = kept[..kept.len().min(Logged::PREFIX)].to_vec();
        self.log.push(
            self.budget,
            WireRow::RxFrame {
                opcode: h.opcode.as_u8(),
                fin: h.fin,
                rsv: h.rsv,
                masked: h.mask.is_some(),
                payload: Logged {
                    len: usize::try_from(h.payload_len).unwrap_or(usize::MAX),
                    head,
                },
            },
        );
    }
}

/// The frame begun by a `BeginFrame` step, whose payload `FrameData` steps send.
#[derive(Debug)]
struct OpenFrame {
    mask: Option<[u8; 4]>,
    offset: u64,
}

/// What a case observed besides events: the counters Autobahn reports.
#[derive(Debug, Default)]
struct Stats {
    rx_frames: BTreeMap<u8, u64>,
    tx_frames: BTreeMap<u8, u64>,
    rx_octets: BTreeMap<usize, u64>,
    tx_octets: BTreeMap<usize, u64>,
    /// Autobahn's `trafficStats` counters ([`crate::ws::traffic`]).
    traffic: Traffic,
    /// The counters when the last echo of a compression case arrived.
    traffic_at_ok: Option<Traffic>,
}

/// One case on one open connection.
#[derive(Debug)]
pub struct Driver<'c> {
    case: &'c Case,
    role: Role,
    timeouts: Timeouts,
    rng: Rng,
    /// The receive buffer and message decoder.
    rx: Receiver,
    tracker: Tracker,
    /// Bytes received since the connection opened.
    rx_total: u64,
    /// Where the message decoder failed (a position in the failing frame).
    decoder_failed_at: Option<u64>,
    phase: Phase,
    info: CloseInfo,
    received: Vec<Ev>,
    log: WireLog,
    /// What this case has retained, against the limits of [`bounds`].
    budget: Budget,
    /// When bytes last moved either way.
    last_activity: Instant,
    out: Outbox,
    /// Where [`Driver::io_joined`] joins short writes.
    joined: Vec<u8>,
    /// Bytes received since the last complete message: about what the message
    /// decoder holds of a message still arriving.
    partial: usize,
    steps: VecDeque<Step>,
    open_frame: Option<OpenFrame>,
    /// [`Step::Drop`] waits for the writes queued before it.
    drop_when_written: bool,
    timers: Timers,
    opened_at: Instant,
    /// The time of the call being handled.
    now: Instant,
    round_trips: Option<Result<(), String>>,
    trips_done: usize,
    /// What the echo of the last round-trip message must be.
    echo: Payload,
    /// Where the next window of a data set starts (12.x, 13.x).
    window_at: usize,
    stats: Stats,
    /// The masking keys of the frames received ([`masks`]).
    masks: masks::MaskKeys,
    /// TCP held open after the close handshake ([`Case::hold_drop`]), since `closed_at`.
    holding: bool,
    closed_at: Instant,
    /// permessage-deflate, when the opening handshake agreed it (RFC 7692).
    deflate: Option<Deflate>,
    /// The run's store of compressed windows ([`Driver::with_deflate`]).
    compressed: Option<Arc<Compressed>>,
    /// The next message is window `.1` of the sequence `.0` (12.x, 13.x).
    window: Option<(Key, usize)>,
}

/// What is to be written next: nothing once the case is done.
fn outgoing(phase: Phase, out: &Outbox) -> Option<&[u8]> {
    if phase == Phase::Done {
        return None;
    }
    out.front()
}

/// The most bytes [`Driver::io_joined`] joins into one write.
pub const JOINED_MAX: usize = 16 * 1024;

/// The zlib level the fuzzer compresses at (unless a data set's [`Coding`]
/// says otherwise): 2, the fastest level that writes
/// dynamic Huffman codes (zlib-rs and zlib-ng write only the fixed codes at
/// level 1, which would leave a peer's decoding of dynamic codes untested;
/// Autobahn uses zlib's default, 6, about 1.5x slower on the compression
/// cases' data for the same kinds of blocks).
pub const FUZZER_LEVEL: u8 = 2;

/// How the fuzzer compresses a case's messages: as its data set says for the
/// 12.x/13.x windows, else at [`FUZZER_LEVEL`].
fn fuzzer_coding(case: &Case) -> Coding {
    match case.scoring.round_trips().map(|rt| &rt.messages) {
        Some(Messages::Windows { data, .. }) => DataSet::get(*data).coding,
        _ => Coding::Level(FUZZER_LEVEL),
    }
}

impl<'c> Driver<'c> {
    /// The driver of `case` in `role` on a connection that opened at `now`;
    /// `leftover` is what arrived after the opening handshake, `seed` seeds the
    /// masking keys.
    pub fn new(
        case: &'c Case,
        role: Role,
        timeouts: Timeouts,
        seed: u64,
        now: Instant,
        leftover: &[u8],
    ) -> Driver<'c> {
        Driver::with_deflate(case, role, timeouts, seed, now, leftover, None, None)
    }

    /// As [`Driver::new`], on a connection whose opening handshake agreed
    /// permessage-deflate as `deflate` says (RFC 7692): messages the script sends
    /// are compressed (RSV1 on their first frame), messages received with RSV1
    /// are inflated within the case's message limit. With `compressed` (the
    /// run's store), the compressed windows of 12.x/13.x are shared: a
    /// sequence another case compressed is sent again, one this case
    /// compresses is kept for the others ([`crate::ws::compressed`]).
    #[allow(clippy::too_many_arguments)]
    pub fn with_deflate(
        case: &'c Case,
        role: Role,
        timeouts: Timeouts,
        seed: u64,
        now: Instant,
        leftover: &[u8],
        deflate: Option<Agreed>,
        compressed: Option<Arc<Compressed>>,
    ) -> Driver<'c> {
        let limits = receive_limits(case);
        let mut config = Config::new(role);
        config.limits = limits;
        config.report_frames = true;
        config.permessage_deflate = deflate.is_some();
        let trips = case.scoring.round_trips();
        let cap = match trips {
            Some(rt) => timeouts.script(rt.timeout) + timeouts.case_cap,
            None => timeouts.case_cap,
        };
        let log_wire = trips.is_none() && case.wirelog;
        let mut d = Driver {
            case,
            role,
            timeouts,
            rng: Rng::from_seed(seed),
            rx: Receiver::new(config),
            tracker: Tracker::new(limits.max_frame_size),
            rx_total: 0,
            decoder_failed_at: None,
            phase: Phase::Open,
            info: CloseInfo {
                was_open: true,
                is_server: role == Role::Server,
                ..CloseInfo::default()
            },
            received: Vec::new(),
            log: WireLog {
                rows: Vec::new(),
                on: log_wire,
            },
            budget: Budget::default(),
            last_activity: now,
            out: Outbox::default(),
            joined: Vec::new(),
            partial: 0,
            steps: case.steps.iter().cloned().collect(),
            open_frame: None,
            drop_when_written: false,
            timers: Timers::new(now + cap),
            opened_at: now,
            now,
            round_trips: None,
            trips_done: 0,
            echo: Payload::exact(Vec::new()),
            window_at: 0,
            stats: Stats::default(),
            masks: masks::MaskKeys::default(),
            holding: false,
            closed_at: now,
            deflate: deflate.map(|agreed| {
                Deflate::new(
                    fuzzer_coding(case).compressor(agreed.sending(role)),
                    Decompressor::new(agreed.receiving(role)),
                    agreed.sending(role),
                )
            }),
            compressed,
            window: None,
        };
        if !log_wire {
            d.log_row(WireRow::Logging(false));
        }
        if case.deflate.is_some() && d.deflate.is_none() {
            // permessage-deflate was not negotiated: close at once, as Autobahn
            // does when the peer declines it (12.x, 13.x; S.4 likewise).
            d.start_close(&close_body(1000, ""));
        } else if let Some(rt) = trips {
            let t = timeouts.script(rt.timeout);
            d.timers.close_after = Some(now + t);
            d.log_row(WireRow::CloseTimerArmed(t.as_secs_f64()));
            d.steps.clear();
            d.next_round_trip(rt);
        }
        if !leftover.is_empty() {
            d.stats.traffic.incoming.wire += leftover.len() as u64;
            d.rx.extend(leftover);
            d.on_received(leftover.len());
        }
        d.advance(now);
        d
    }

    /// What the peer is called in reasons.
    fn peer(&self) -> &'static str {
        match self.role {
            Role::Client => "server",
            Role::Server => "client",
        }
    }

    /// Bytes arrived from the peer at `now`.
    pub fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        let (_, spare) = self.io(bytes.len());
        spare[..bytes.len()].copy_from_slice(bytes);
        self.handle_received(now, bytes.len());
    }

    /// For the owner's next turn, at once: what to write ([`Driver::transmit`])
    /// and where to read the socket, at least `min` bytes, straight into the
    /// receive buffer; after reading `n` bytes there, call
    /// [`Driver::handle_received`].
    pub fn io(&mut self, min: usize) -> (Option<&[u8]>, &mut [u8]) {
        (outgoing(self.phase, &self.out), self.rx.spare(min))
    }

    /// [`Driver::io`] for a transport where each write is a frame (HTTP/2's
    /// DATA frames, RFC 8441): writes shorter than `min_write` are joined with
    /// those queued after them, up to [`JOINED_MAX`] bytes. [`Driver::written`]
    /// takes bytes of joined writes as of any other.
    pub fn io_joined(&mut self, min_write: usize, min: usize) -> (Option<&[u8]>, &mut [u8]) {
        let pending = if self.phase == Phase::Done {
            None
        } else {
            self.out
                .front_joined(min_write, JOINED_MAX, &mut self.joined)
        };
        (pending, self.rx.spare(min))
    }

    /// `n` bytes arrived at `now` in the slice [`Driver::io`] gave.
    pub fn handle_received(&mut self, now: Instant, n: usize) {
        self.now = now;
        self.last_activity = now;
        self.budget.count_size(&mut self.stats.rx_octets, n);
        self.stats.traffic.incoming.wire += n as u64;
        self.rx.commit(n);
        self.on_received(n);
        self.advance(now);
    }

    /// The peer closed TCP (or the connection broke).
    pub fn handle_eof(&mut self) {
        if self.holding && self.phase == Phase::AwaitDrop {
            // C.4.1: the client closed TCP before the server did.
            self.info.peer_drop_ms = Some((self.now - self.closed_at).as_millis() as u64);
        }
        match self.phase {
            // Both Close frames were exchanged (`was_clean` was set then) and the
            // peer closed TCP in time.
            Phase::AwaitDrop | Phase::Done => {}
            Phase::Open => {
                self.info.was_not_clean_reason = Some(format!(
                    "the {} dropped the TCP connection without a close handshake",
                    self.peer()
                ));
            }
            Phase::CloseSent => {
                self.info.was_not_clean_reason = Some(format!(
                    "the {} dropped the TCP connection without answering the close frame",
                    self.peer()
                ));
            }
        }
        self.phase = Phase::Done;
    }

    /// The peer closed TCP (or the connection broke) at `now`.
    pub fn handle_eof_at(&mut self, now: Instant) {
        self.now = self.now.max(now);
        self.handle_eof();
    }

    /// Fire every timer due by `now`, then run the script as far as it goes.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        while self.phase != Phase::Done {
            let Some(due) = self.timers().first_due(now) else {
                break;
            };
            self.on_timer(due);
        }
        self.advance(now);
    }

    /// The earliest deadline: call [`Driver::handle_timeout`] then.
    pub fn deadline(&self) -> Instant {
        self.timers().next()
    }

    /// The bytes to write next, if any.
    pub fn transmit(&self) -> Option<&[u8]> {
        outgoing(self.phase, &self.out)
    }

    /// `n` bytes of [`Driver::transmit`] (or of [`Driver::io_joined`], which
    /// may span several writes) were written at `now`.
    pub fn written(&mut self, now: Instant, n: usize) {
        self.now = now;
        self.last_activity = now;
        self.stats.traffic.outgoing.wire += n as u64;
        // Each write the bytes complete is logged; an empty one completes
        // with 0 bytes.
        let mut left = n;
        while let Some(front) = self.out.front().map(<[u8]>::len) {
            let take = left.min(front);
            left -= take;
            let Some(w) = self.out.advance(take) else {
                break;
            };
            self.budget
                .count_size(&mut self.stats.tx_octets, w.bytes.len());
            self.log_row(WireRow::Tx {
                bytes: Logged::of(&w.bytes),
                sync: w.sync,
            });
            if left == 0 && self.out.front().is_some_and(|f| !f.is_empty()) {
                break;
            }
        }
        if self.drop_when_written && self.out.queued() == 0 {
            // Step::Drop: what the script queued before is out.
            self.drop_tcp();
        }
        if self.role == Role::Server && self.phase == Phase::AwaitDrop && self.out.queued() == 0 {
            // The server's Close reply is out: it drops TCP (RFC 6455 §7.1.1).
            self.phase = Phase::Done;
        }
        self.advance(now);
    }

    /// Whether the case is over: TCP is gone or the driver wants it gone.
    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// Whether the connection is still open (no close handshake begun).
    pub fn is_open(&self) -> bool {
        self.phase == Phase::Open
    }

    /// The opening handshake wrote `sent` bytes and read `received` (the
    /// `preopen` counts of Autobahn's `trafficStats`).
    pub fn note_opening(&mut self, sent: usize, received: usize) {
        self.stats.traffic.outgoing.preopen = sent as u64;
        self.stats.traffic.incoming.preopen = received as u64;
    }

    /// Start the close handshake now with 1000 (a case whose premise failed).
    pub fn close_now(&mut self) {
        self.start_close(&close_body(1000, ""));
        self.out.flush();
    }

    /// When bytes last moved either way.
    pub fn last_activity(&self) -> Instant {
        self.last_activity
    }

    /// Whether the case holds little memory: at most [`bounds::MAX_QUEUED_WRITES`]
    /// waiting to be written and [`bounds::MAX_MESSAGE`] of a message arriving.
    pub fn light(&self) -> bool {
        self.out.queued() <= bounds::MAX_QUEUED_WRITES && self.partial as u64 <= bounds::MAX_MESSAGE
    }

    /// The verdicts and everything observed, into `result`.
    pub fn finish(self, result: &mut CaseResult) {
        let seen = Observed {
            received: &self.received,
            close: &self.info,
            round_trips: self.round_trips.as_ref(),
            deflate: self.deflate.is_some(),
            limit: self.budget.observation.as_deref(),
            masks: Some(&self.masks),
        };
        let v = verdicts(self.case, &seen);
        result.behavior = v.behavior;
        result.result = v.result;
        result.behavior_close = v.behavior_close;
        result.result_close = v.result_close;
        result.limits = self.budget.limits();
        result.received = self.received;
        result.close = self.info;
        result.wirelog = self.log.rows;
        result.rx_frame_stats = self.stats.rx_frames;
        result.tx_frame_stats = self.stats.tx_frames;
        result.rx_octet_stats = self.stats.rx_octets;
        result.tx_octet_stats = self.stats.tx_octets;
        result.traffic = self
            .stats
            .traffic_at_ok
            .filter(|_| result.report_compression_ratio);
    }

    /// Run the script while it may, and end the turn's writes.
    fn advance(&mut self, now: Instant) {
        if self.timers.pause.is_none() && self.phase == Phase::Open {
            self.run_steps(now);
        }
        self.out.flush();
    }

    /// The timers with the stall limit, which applies while the connection is
    /// open and the script is not pausing.
    fn timers(&self) -> Timers {
        let mut t = self.timers.clone();
        t.stall = (self.phase == Phase::Open && t.pause.is_none())
            .then(|| self.last_activity + self.timeouts.stall);
        t
    }

    fn log_row(&mut self, row: WireRow) {
        self.log.push(&mut self.budget, row);
    }
}

/// A Close body: the code and the reason as given.
pub fn close_body(code: u16, reason: &str) -> Vec<u8> {
    let mut b = code.to_be_bytes().to_vec();
    b.extend_from_slice(reason.as_bytes());
    b
}

/// A Close body whose reason is cut to fit a control frame (RFC 6455 §5.5: at
/// most 125 bytes, 2 of them the code) on a character boundary, by the codec.
fn close_body_trimmed(code: u16, reason: &str) -> Vec<u8> {
    close_body(code, wirecheck_codec::ws::encode::close_reason(reason))
}
