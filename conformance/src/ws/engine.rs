//! The engine: runs one case on its own connection, as Autobahn's fuzzingclient
//! (a client on Autobahn|Python 0.10.9) does, so verdicts compare line by line.
//!
//! One task owns the socket and loops over four sources of work with
//! `tokio::select!`: bytes from the server (decoded by the codec, recorded as
//! events), queued writes (frames, possibly in chops), the case's script (steps
//! run in order; a `Wait` pauses it), and the timers (`killAfter`, `closeAfter`,
//! the close-handshake timeout, the server-drop timeout, and a hard cap so that
//! no case can hang). The close handshake follows autobahn.md §4.3:
//!
//! * the fuzzer closes first (a match, `closeAfter`, a `Close` step, `killAfter`,
//!   or a protocol error by the server) → it waits 1 s for the server's Close,
//!   then 1 s for the server to drop TCP; either timeout makes it drop TCP itself;
//! * the server closes first → the fuzzer answers 1000 and waits for the server to
//!   drop TCP; only a pending `killAfter` (or the hard cap) ends that wait.
//!
//! Protocol rules come from the codec (`wirecheck_codec::ws`); this module only
//! does I/O, timing and bookkeeping.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::OwnedSemaphorePermit;
// tokio's clock, so tests can drive every timer with a paused clock.
use tokio::time::{Instant, sleep_until, timeout};
use wirecheck_codec::ws::frame::{
    FrameHeader, HeaderRules, LengthForm, MAX_HEADER_LEN, OpCode, encode_header,
};
use wirecheck_codec::ws::handshake::{ClientRequest, ResponseParser};
use wirecheck_codec::ws::mask::apply_mask;
use wirecheck_codec::ws::message::Config;
use wirecheck_codec::ws::{Event, FrameDecoder, FrameEvent, Limits, MessageDecoder, Role};

use super::bounds::{self, Budget};
use super::case::{Case, Chop, Ev, FrameSpec, Scoring, Step};
use super::result::{CaseResult, CloseInfo, Logged, WireRow};
use super::slots::{IDLE_GRACE, Slots, Work};
use super::verdict::{Observed, verdicts};

use crate::net::Stream;
pub use crate::net::Target;

/// Timeouts and request options. The defaults are Autobahn|Python 0.10.9's
/// (autobahn.md §4.2); `--timeout-scale` multiplies every one of them and every
/// case timer.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Connect plus opening handshake (Autobahn: `openHandshakeTimeout`, 5 s).
    pub open_handshake_timeout: Duration,
    /// Wait for the server's Close after the fuzzer's (Autobahn: 1 s).
    pub close_handshake_timeout: Duration,
    /// Wait for the server to drop TCP after the close handshake (Autobahn: 1 s).
    pub server_drop_timeout: Duration,
    /// The longest any case may take once open, a safety net for timers that
    /// Autobahn would leave pending forever.
    pub case_cap: Duration,
    /// Multiplies every timeout and timer.
    pub timeout_scale: f64,
    /// `Origin` to send, if any.
    pub origin: Option<String>,
    /// Extra request headers.
    pub headers: Vec<(String, String)>,
    /// The TLS configuration for `wss://` targets; `None` verifies certificates
    /// against the bundled roots ([`crate::tls::client_config`]).
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            open_handshake_timeout: Duration::from_secs(5),
            close_handshake_timeout: Duration::from_secs(1),
            server_drop_timeout: Duration::from_secs(1),
            case_cap: Duration::from_secs(30),
            timeout_scale: 1.0,
            origin: None,
            headers: Vec::new(),
            tls: None,
        }
    }
}

impl EngineConfig {
    fn scaled(&self, d: Duration) -> Duration {
        d.mul_f64(self.timeout_scale.max(0.0))
    }
}

/// The limits the fuzzer applies to what the server sends in `case`: the echo
/// of a round-trip case's message (9.x: up to 16 MiB), else [`bounds::MAX_MESSAGE`].
fn receive_limits(case: &Case) -> Limits {
    let max = match &case.scoring {
        Scoring::RoundTrips { payload, .. } => (payload.len as u64).max(bounds::MAX_MESSAGE),
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
    /// The fuzzer sent the first Close and waits for the server's.
    CloseSent,
    /// The handshake is complete (or the fuzzer answered the server's Close): wait
    /// for the server to drop TCP.
    AwaitDrop,
    /// TCP is gone.
    Done,
}

/// The engine's timers, to handle whichever fell due first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Due {
    /// The hard cap on a case's duration.
    Cap,
    /// The close-handshake or server-drop timeout.
    Phase,
    /// The end of a `Wait` step.
    Pause,
    /// `killAfter`.
    Kill,
    /// `closeAfter`.
    CloseAfter,
    /// Nothing moved for [`bounds::STALL`] while open.
    Stall,
}

/// A small PRNG for masking keys and the handshake nonce, seeded from the OS.
/// RFC 6455 §5.3 asks for unpredictable keys so intermediaries cannot be
/// poisoned; the fuzzer's peers are test servers, and xorshift seeded by the OS
/// keeps keys fresh per frame without a lock or a syscall each time.
struct Rng(u64);

impl Rng {
    fn from_os() -> Rng {
        let mut seed = [0u8; 8];
        // An OS without a random source still gets distinct keys per process.
        if getrandom::fill(&mut seed).is_err() {
            let t = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default();
            seed = (t.as_nanos() as u64 ^ u64::from(std::process::id())).to_le_bytes();
        }
        Rng(u64::from_le_bytes(seed) | 1)
    }

    fn next(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn mask(&mut self) -> [u8; 4] {
        (self.next() as u32).to_be_bytes()
    }
}

/// A write waiting to go out.
struct PendingWrite {
    bytes: Vec<u8>,
    sync: bool,
}

/// The frame begun by a `BeginFrame` step, whose payload `FrameData` steps send.
struct OpenFrame {
    mask: [u8; 4],
    offset: u64,
}

/// The state of one case run.
struct Session<'c> {
    case: &'c Case,
    cfg: &'c EngineConfig,
    /// The run's slots, to take a work slot back ([`Session::release_if_idle`]).
    slots: &'c Slots,
    /// What the case needs while it works.
    kind: Work,
    rng: Rng,
    writer: WriteHalf<Stream>,
    decoder: MessageDecoder,
    /// A frame-level decoder used only to log received frames.
    wire_frames: FrameDecoder,
    /// The frame being tracked, where it started in the stream, and its payload so far.
    wire_frame: Option<(FrameHeader, u64, Vec<u8>)>,
    /// Close frames the tracker saw: where each started, and its body (`None`
    /// for a body too long to be valid, RFC 6455 §5.5).
    tracked_closes: Vec<(u64, Option<Vec<u8>>)>,
    /// Bytes received since the connection opened.
    rx_total: u64,
    /// Where the message decoder failed (a position in the failing frame).
    decoder_failed_at: Option<u64>,
    phase: Phase,
    info: CloseInfo,
    received: Vec<Ev>,
    wirelog: Vec<WireRow>,
    log_wire: bool,
    /// What this case has retained, against the limits of [`bounds`].
    budget: Budget,
    /// The work slot (`-j`) while the case works; given back when it only waits.
    work: Option<OwnedSemaphorePermit>,
    /// When bytes last moved either way (for [`IDLE_GRACE`]).
    last_activity: Instant,
    /// When the connection opened.
    opened_at: Instant,
    writes: VecDeque<PendingWrite>,
    /// Bytes in `writes` not yet written, plus `coalesce`.
    queued: usize,
    /// Bytes received since the last complete message: about what the message
    /// decoder holds of a message still arriving.
    partial: usize,
    write_offset: usize,
    coalesce: Vec<u8>,
    steps: VecDeque<Step>,
    paused_until: Option<(Instant, Option<&'static str>)>,
    open_frame: Option<OpenFrame>,
    kill_at: Option<Instant>,
    close_at: Option<Instant>,
    phase_deadline: Option<Instant>,
    cap: Instant,
    round_trips: Option<Result<(), String>>,
    trips_done: usize,
    rx_frame_stats: BTreeMap<u8, u64>,
    tx_frame_stats: BTreeMap<u8, u64>,
    rx_octet_stats: BTreeMap<usize, u64>,
    tx_octet_stats: BTreeMap<usize, u64>,
}

/// The opening handshake request of every case (RFC 6455 §4.1), with `key`.
/// `wirecheck ws` builds one before any traffic, so a request the codec refuses
/// to encode is a usage error, not a server failure.
pub fn opening_request(target: &Target, cfg: &EngineConfig, key: [u8; 16]) -> ClientRequest {
    let mut request = ClientRequest::new(&target.host_header, &target.path, key).header(
        "User-Agent",
        concat!("wirecheck/", env!("CARGO_PKG_VERSION")),
    );
    if let Some(origin) = &cfg.origin {
        request = request.origin(origin);
    }
    for (k, v) in &cfg.headers {
        request = request.header(k, v);
    }
    request
}

/// Run `case` against `target`; `ordinal` is its position in the run. The case
/// holds a connection slot of `slots` throughout, and the work slots `work`
/// needs while it works ([`super::slots`]).
pub async fn run_case(
    target: &Target,
    cfg: &EngineConfig,
    case: &Case,
    ordinal: usize,
    slots: &Slots,
    work: Work,
) -> CaseResult {
    let _connection = slots.connection().await;
    let started = SystemTime::now();
    let mut rng = Rng::from_os();
    let mut key = [0u8; 16];
    key[..8].copy_from_slice(&rng.next().to_le_bytes());
    key[8..].copy_from_slice(&rng.next().to_le_bytes());
    let request = opening_request(target, cfg, key);
    let mut result = CaseResult::unrun(case, ordinal);
    result.started = started;
    let request_bytes = match request.encode() {
        Ok(b) => b,
        Err(e) => return finish_unopened(case, result, format!("cannot build the request: {e}")),
    };
    result.http_request = String::from_utf8_lossy(&request_bytes).into_owned();

    let mut head = Vec::new();
    let opened = timeout(
        cfg.scaled(cfg.open_handshake_timeout),
        open(
            target,
            cfg.tls.as_ref(),
            &request,
            &request_bytes,
            &mut head,
        ),
    )
    .await;
    let (stream, leftover) = match opened {
        Ok(Ok(v)) => v,
        Ok(Err(why)) => {
            result.http_response = lossy(&head);
            return finish_unopened(case, result, why);
        }
        Err(_) => {
            result.http_response = lossy(&head);
            result.close.was_open_handshake_timeout = true;
            let why = format!(
                "no complete opening handshake within {:.1} s ({} bytes of response received)",
                cfg.scaled(cfg.open_handshake_timeout).as_secs_f64(),
                head.len()
            );
            return finish_unopened(case, result, why);
        }
    };
    let response_head = lossy(&head);
    result.http_response = response_head;
    slots.note_opened();
    // The connection is open; wait for a work slot before the script runs.
    let permit = slots.work(work).await;
    let (reader, writer) = tokio::io::split(stream);
    let limits = receive_limits(case);
    let mut config = Config::new(Role::Client);
    config.limits = limits;
    config.report_frames = true;
    let opened_at = Instant::now();
    let cap = match &case.scoring {
        Scoring::RoundTrips { timeout, .. } => cfg.scaled(*timeout) + cfg.scaled(cfg.case_cap),
        _ => cfg.scaled(cfg.case_cap),
    };
    let mut session = Session {
        case,
        cfg,
        slots,
        kind: work,
        rng,
        writer,
        decoder: MessageDecoder::new(config),
        wire_frames: FrameDecoder::new(HeaderRules {
            role: None,
            allowed_rsv: 0b111,
            max_payload: limits.max_frame_size,
        }),
        wire_frame: None,
        tracked_closes: Vec::new(),
        rx_total: 0,
        decoder_failed_at: None,
        phase: Phase::Open,
        info: CloseInfo {
            was_open: true,
            ..CloseInfo::default()
        },
        received: Vec::new(),
        wirelog: Vec::new(),
        log_wire: !matches!(case.scoring, Scoring::RoundTrips { .. }),
        budget: Budget::default(),
        work: permit,
        last_activity: opened_at,
        opened_at,
        writes: VecDeque::new(),
        queued: 0,
        partial: 0,
        write_offset: 0,
        coalesce: Vec::new(),
        steps: case.steps.iter().cloned().collect(),
        paused_until: None,
        open_frame: None,
        kill_at: None,
        close_at: None,
        phase_deadline: None,
        cap: opened_at + cap,
        round_trips: None,
        trips_done: 0,
        rx_frame_stats: BTreeMap::new(),
        tx_frame_stats: BTreeMap::new(),
        rx_octet_stats: BTreeMap::new(),
        tx_octet_stats: BTreeMap::new(),
    };
    if !session.log_wire {
        session.log(WireRow::Logging(false));
    }
    if case.scoring == Scoring::Deflate {
        // permessage-deflate is not offered yet, so it cannot have been negotiated:
        // close at once, as Autobahn does when the server declines it (12.x, 13.x).
        session.start_close(&close_body(1000, ""));
    }
    if let Scoring::RoundTrips { timeout, .. } = &case.scoring {
        let t = cfg.scaled(*timeout);
        session.close_at = Some(opened_at + t);
        session.log(WireRow::CloseTimerArmed(t.as_secs_f64()));
    }
    session.run(reader, leftover).await;
    result.duration_ms = opened_at.elapsed().as_millis() as u64;

    let seen = Observed {
        received: &session.received,
        close: &session.info,
        round_trips: session.round_trips.as_ref(),
        deflate: false,
        limit: session.budget.observation.as_deref(),
    };
    let v = verdicts(case, &seen);
    result.behavior = v.behavior;
    result.result = v.result;
    result.behavior_close = v.behavior_close;
    result.result_close = v.result_close;
    result.received = session.received;
    result.close = session.info;
    result.wirelog = session.wirelog;
    result.rx_frame_stats = session.rx_frame_stats;
    result.tx_frame_stats = session.tx_frame_stats;
    result.rx_octet_stats = session.rx_octet_stats;
    result.tx_octet_stats = session.tx_octet_stats;
    result.limits = session.budget.limits();
    result
}

/// Verdicts for a case whose connection never opened.
fn finish_unopened(case: &Case, mut result: CaseResult, why: String) -> CaseResult {
    let seen = Observed {
        received: &[],
        close: &result.close,
        round_trips: None,
        deflate: false,
        limit: None,
    };
    let v = verdicts(case, &seen);
    result.behavior = v.behavior;
    result.result = format!("the opening handshake failed: {why}");
    result.behavior_close = v.behavior_close;
    result.result_close = v.result_close;
    result
}

/// Connect and perform the opening handshake. Returns the stream and the bytes
/// that followed the response head, or why it failed. The response head received
/// so far is kept in `head`, so it can be reported even after a timeout.
async fn open(
    target: &Target,
    tls: Option<&Arc<rustls::ClientConfig>>,
    request: &ClientRequest,
    request_bytes: &[u8],
    head: &mut Vec<u8>,
) -> Result<(Stream, Vec<u8>), String> {
    let mut stream = crate::net::connect(target, tls).await?;
    stream
        .write_all(request_bytes)
        .await
        .map_err(|e| format!("cannot send the opening handshake: {e}"))?;
    let mut parser = ResponseParser::default();
    let mut buf = vec![0u8; 4096];
    loop {
        let n = stream
            .read(&mut buf)
            .await
            .map_err(|e| format!("reading the handshake response: {e}"))?;
        if n == 0 {
            return Err("the server closed the connection during the opening handshake".into());
        }
        match parser.feed(&buf[..n]) {
            Ok(None) => head.extend_from_slice(&buf[..n]),
            Ok(Some(parsed)) => {
                head.extend_from_slice(&buf[..parsed.consumed]);
                return match parsed.value.validate(request) {
                    Ok(_) => Ok((stream, buf[parsed.consumed..n].to_vec())),
                    Err(e) => Err(e.to_string()),
                };
            }
            Err(e) => {
                head.extend_from_slice(&buf[..n]);
                return Err(e.to_string());
            }
        }
    }
}

/// How much of a Close frame's body the frame tracker keeps when the wire log
/// is off or full: a valid one has at most 125 bytes (RFC 6455 §5.5).
const MAX_CLOSE_KEPT: usize = 128;

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Encode one frame with a fresh mask (a client masks every frame, RFC 6455 §5.3).
fn encode_frame(
    rng: &mut Rng,
    opcode: u8,
    fin: bool,
    rsv: u8,
    payload: &[u8],
) -> (Vec<u8>, [u8; 4]) {
    let key = rng.mask();
    let header = FrameHeader {
        fin,
        rsv: 0,
        opcode: OpCode::Binary,
        mask: Some(key),
        payload_len: payload.len() as u64,
    };
    let mut head = [0u8; MAX_HEADER_LEN];
    let n = encode_header(&header, LengthForm::Minimal, &mut head);
    // Any opcode and RSV bits, reserved ones included: the fuzzer sends invalid frames on purpose.
    head[0] = (head[0] & 0x80) | ((rsv & 0b111) << 4) | (opcode & 0x0F);
    let mut out = Vec::with_capacity(n + payload.len());
    out.extend_from_slice(&head[..n]);
    let start = out.len();
    out.extend_from_slice(payload);
    apply_mask(&mut out[start..], key, 0);
    (out, key)
}

impl Session<'_> {
    async fn run(&mut self, mut reader: ReadHalf<Stream>, leftover: Vec<u8>) {
        let mut buf = vec![0u8; 64 * 1024];
        if !leftover.is_empty() {
            self.on_bytes(leftover);
        }
        loop {
            if self.phase == Phase::Done {
                break;
            }
            // Timers fire whatever the socket does: a server that keeps the socket
            // readable (a flood) must not starve them, so they are checked on every
            // turn, before any I/O, and the select below is not biased.
            let now = Instant::now();
            if self.next_deadline() <= now {
                self.on_timer(now);
                continue;
            }
            if self.work.is_none() && !self.light() && self.kind != Work::Sleeper {
                // A case that gave its slot back while waiting and now holds much
                // memory again (an echo of megabytes arriving) takes a slot before it
                // reads on, so at most -j cases hold that much; its timers still fire.
                tokio::select! {
                    permit = self.slots.work(self.kind) => self.work = permit,
                    () = sleep_until(self.next_deadline()) => {}
                }
                continue;
            }
            if self.paused_until.is_none() && self.phase == Phase::Open {
                self.run_steps();
            }
            self.flush_coalesced();
            let wake = match self.release_if_idle(now) {
                Some(idle_at) => self.next_deadline().min(idle_at),
                None => self.next_deadline(),
            };
            let has_write = !self.writes.is_empty();
            tokio::select! {
                read = reader.read(&mut buf) => match read {
                    Ok(0) | Err(_) => self.on_tcp_closed(),
                    Ok(n) => {
                        self.last_activity = Instant::now();
                        self.budget.count_size(&mut self.rx_octet_stats, n);
                        self.on_bytes(buf[..n].to_vec());
                    }
                },
                written = write_some(&mut self.writer, &self.writes, self.write_offset), if has_write => {
                    match written {
                        Ok(n) => {
                            self.last_activity = Instant::now();
                            self.on_written(n);
                        }
                        Err(_) => self.on_tcp_closed(),
                    }
                }
                () = sleep_until(wake) => {}
            }
        }
        self.work = None;
        // Bounded like every wait: a peer that stops reading cannot hold the
        // shutdown's flush.
        let _ = timeout(
            self.cfg.scaled(self.cfg.close_handshake_timeout),
            self.writer.shutdown(),
        )
        .await;
    }

    /// Give the work slot back once the case only waits (`super::slots`): its
    /// close handshake has begun, or nothing moved either way for [`IDLE_GRACE`]
    /// (a server that neither reads nor sends is waited on, not worked with).
    /// A case that still holds much memory (over [`bounds::MAX_QUEUED_WRITES`]
    /// waiting to be written, or over [`bounds::MAX_MESSAGE`] of a message
    /// arriving: the 9.x cases) keeps its slot, so the connections holding that
    /// much are never more than `-j`. Returns when to look again while held.
    fn release_if_idle(&mut self, now: Instant) -> Option<Instant> {
        self.work.as_ref()?;
        let idle_at = self.last_activity + IDLE_GRACE;
        if self.light() && (self.phase != Phase::Open || now >= idle_at) {
            self.work = None;
            return None;
        }
        Some(if now >= idle_at {
            now + IDLE_GRACE
        } else {
            idle_at
        })
    }

    /// Whether the case holds little memory: at most [`bounds::MAX_QUEUED_WRITES`]
    /// waiting to be written and [`bounds::MAX_MESSAGE`] of a message arriving.
    fn light(&self) -> bool {
        self.queued <= bounds::MAX_QUEUED_WRITES && self.partial as u64 <= bounds::MAX_MESSAGE
    }

    /// The earliest pending deadline.
    fn next_deadline(&self) -> Instant {
        let mut d = self.cap;
        for t in [
            self.kill_at,
            self.close_at,
            self.phase_deadline,
            self.paused_until.map(|(t, _)| t),
            self.stall_at(),
        ]
        .into_iter()
        .flatten()
        {
            d = d.min(t);
        }
        d
    }

    /// When the open connection counts as stalled: [`bounds::STALL`] after
    /// anything last moved, unless the script itself pauses.
    fn stall_at(&self) -> Option<Instant> {
        (self.phase == Phase::Open && self.paused_until.is_none())
            .then(|| self.last_activity + self.cfg.scaled(bounds::STALL))
    }

    fn on_timer(&mut self, now: Instant) {
        // Handle the timer that fell due first, as a reactor fires callbacks in
        // deadline order; the loop comes back at once for any other one due. On a
        // tie Autobahn's own timers go first.
        let candidates = [
            (Some(self.cap), Due::Cap),
            (self.phase_deadline, Due::Phase),
            (self.paused_until.map(|(t, _)| t), Due::Pause),
            (self.kill_at, Due::Kill),
            (self.close_at, Due::CloseAfter),
            (self.stall_at(), Due::Stall),
        ];
        let first = candidates
            .iter()
            .filter_map(|(t, kind)| t.filter(|t| now >= *t).map(|t| (t, *kind)))
            .min_by_key(|(t, _)| *t)
            .map(|(_, kind)| kind);
        if first == Some(Due::Stall) {
            // Autobahn would wait out its own timer (up to 1000 s in 9.5/9.6) for a
            // server that has gone quiet; wirecheck stops waiting: a limit, so the
            // case is never OK, and what Autobahn reports then is FAILED anyway.
            self.budget.observe_limit(format!(
                "the server sent nothing and read nothing for {:.0} s (wirecheck's stall limit)",
                self.cfg.scaled(bounds::STALL).as_secs_f64()
            ));
            self.stop_at_limit("wirecheck stopped waiting on a quiet connection");
            return;
        }
        if first == Some(Due::Cap) {
            // No Autobahn timer would end this case: drop it so the run goes on. What
            // the server would have done after is not seen: a limit, never an OK.
            self.budget.observe_limit(format!(
                "the case ran into wirecheck's cap of {:.0} s on one case",
                (self.cap - self.opened_at).as_secs_f64()
            ));
            self.info
                .was_not_clean_reason
                .get_or_insert_with(|| "the case ran past its time limit".into());
            self.drop_tcp();
            return;
        }
        if first == Some(Due::Phase) {
            self.phase_deadline = None;
            match self.phase {
                Phase::CloseSent => {
                    // autobahn.md §4.3: no Close reply within the close-handshake timeout.
                    self.info.was_close_handshake_timeout = true;
                    self.info.was_not_clean_reason =
                        Some("the server did not answer the close frame in time".into());
                    self.drop_tcp();
                }
                Phase::AwaitDrop => {
                    // The server did not drop TCP after the close handshake.
                    self.info.was_server_connection_drop_timeout = true;
                    self.info.was_clean = false;
                    self.info.was_not_clean_reason = Some(
                        "the server did not close the TCP connection after the close handshake"
                            .into(),
                    );
                    self.drop_tcp();
                }
                _ => {}
            }
            return;
        }
        if let (Some(Due::Pause), Some((_, tag))) = (first, self.paused_until) {
            self.paused_until = None;
            self.log(WireRow::WaitFired(tag));
            if self.phase == Phase::Open {
                if let Some(tag) = tag {
                    self.received.push(Ev::Timeout(tag));
                }
            } else {
                // Autobahn's continuation runs only while the connection is open.
                self.steps.clear();
            }
            return;
        }
        if first == Some(Due::Kill) {
            self.kill_at = None;
            self.log(WireRow::KillFired);
            match self.phase {
                // failConnection with failByDrop=False: Close 1001 "Going Away".
                Phase::Open => {
                    self.info.failed_by_me = true;
                    self.start_close(&close_body(1001, "Going Away"));
                }
                // Closing: a pending killAfter drops the connection (autobahn.md §4.3).
                Phase::CloseSent | Phase::AwaitDrop => {
                    // Autobahn's failConnection marks failedByMe, then drops TCP.
                    self.info.failed_by_me = true;
                    if !self.info.was_clean {
                        let why = if self.phase == Phase::CloseSent {
                            "the server did not answer the close frame before killAfter fired"
                        } else {
                            "the server did not close the TCP connection"
                        };
                        self.info
                            .was_not_clean_reason
                            .get_or_insert_with(|| why.into());
                    }
                    self.drop_tcp();
                }
                Phase::Done => {}
            }
            return;
        }
        if first == Some(Due::CloseAfter) {
            self.close_at = None;
            self.log(WireRow::CloseTimerFired);
            if self.phase == Phase::Open {
                if matches!(self.case.scoring, Scoring::RoundTrips { .. })
                    && self.round_trips.is_none()
                {
                    self.round_trips = Some(Err(format!(
                        "did not receive all echoes within the case timeout ({} of the messages were echoed)",
                        self.trips_done
                    )));
                }
                self.start_close(&[]);
            }
        }
    }

    /// Add a row to the wire log, within its cap ([`bounds::MAX_WIRE_LOG`]).
    fn log(&mut self, row: WireRow) {
        // The rows that say whether logging is on are kept whatever the cap: they
        // tell the report what the log covers.
        let keep = matches!(row, WireRow::Logging(_))
            || (self.log_wire && self.budget.take_row(row.kept_bytes()));
        if keep {
            self.wirelog.push(row);
        }
    }

    /// Run steps until the script pauses or ends. Like Autobahn's `onOpen` and its
    /// continuations, a segment between waits runs to its end even when it starts
    /// the close handshake (7.1.x send frames after their own Close); a
    /// continuation after a wait runs only if the connection is still open.
    fn run_steps(&mut self) {
        while self.phase != Phase::Done && self.paused_until.is_none() {
            let Some(step) = self.steps.pop_front() else {
                break;
            };
            let scale = |d: std::time::Duration| self.cfg.scaled(d);
            match step {
                Step::Frame(spec) => self.send_frame_spec(&spec),
                Step::Message {
                    payload,
                    binary,
                    fragment_size,
                } => {
                    let payload = payload.bytes();
                    let first = if binary { 2 } else { 1 };
                    let size = fragment_size
                        .filter(|&s| s > 0)
                        .unwrap_or(payload.len().max(1));
                    if payload.is_empty() {
                        self.send_frame_spec(&FrameSpec::new(first, Vec::new()));
                    } else {
                        let count = payload.len().div_ceil(size);
                        for (i, piece) in payload.chunks(size).enumerate() {
                            let op = if i == 0 { first } else { 0 };
                            self.send_frame_spec(
                                &FrameSpec::new(op, piece.to_vec()).fin(i + 1 == count),
                            );
                        }
                    }
                }
                Step::BeginFrame {
                    opcode,
                    fin,
                    total_len,
                } => {
                    let key = self.rng.mask();
                    let header = FrameHeader {
                        fin,
                        rsv: 0,
                        opcode: OpCode::Binary,
                        mask: Some(key),
                        payload_len: total_len as u64,
                    };
                    let mut head = [0u8; MAX_HEADER_LEN];
                    let n = encode_header(&header, LengthForm::Minimal, &mut head);
                    head[0] = (head[0] & 0x80) | (opcode & 0x0F);
                    *self.tx_frame_stats.entry(opcode).or_default() += 1;
                    self.log(WireRow::TxFrame {
                        opcode,
                        fin,
                        rsv: 0,
                        mask: Some(key),
                        payload: Logged::of(&[]),
                        chop: None,
                    });
                    self.queue(head[..n].to_vec(), true);
                    self.open_frame = Some(OpenFrame {
                        mask: key,
                        offset: 0,
                    });
                }
                Step::FrameData(mut data) => {
                    if let Some(f) = self.open_frame.as_mut() {
                        apply_mask(&mut data, f.mask, f.offset);
                        f.offset += data.len() as u64;
                    }
                    self.queue(data, true);
                }
                Step::Close(body) => self.start_close(&body),
                Step::KillAfter(d) => {
                    let d = scale(d);
                    self.kill_at = Some(Instant::now() + d);
                    self.log(WireRow::KillArmed(d.as_secs_f64()));
                }
                Step::CloseAfter(d) => {
                    let d = scale(d);
                    self.close_at = Some(Instant::now() + d);
                    self.log(WireRow::CloseTimerArmed(d.as_secs_f64()));
                }
                Step::Wait(d, tag) => {
                    let d = scale(d);
                    self.flush_coalesced();
                    self.paused_until = Some((Instant::now() + d, tag));
                    self.log(WireRow::WaitArmed(d.as_secs_f64(), tag));
                }
            }
        }
    }

    fn send_frame_spec(&mut self, spec: &FrameSpec) {
        let payload = spec.full_payload();
        let (bytes, key) = encode_frame(&mut self.rng, spec.opcode, spec.fin, spec.rsv, &payload);
        *self.tx_frame_stats.entry(spec.opcode).or_default() += 1;
        let chop = match spec.chop {
            Chop::Bytes(n) => Some(n),
            _ => None,
        };
        self.log(WireRow::TxFrame {
            opcode: spec.opcode,
            fin: spec.fin,
            rsv: spec.rsv,
            mask: Some(key),
            payload: Logged::of(&payload),
            chop,
        });
        match spec.chop {
            Chop::Whole => {
                self.queued += bytes.len();
                self.coalesce.extend_from_slice(&bytes);
            }
            Chop::FrameWise => self.queue(bytes, true),
            Chop::Bytes(n) => {
                for piece in bytes.chunks(n.max(1)) {
                    self.queue(piece.to_vec(), true);
                }
            }
        }
    }

    /// Queue a write; coalesced frames queued before it go first.
    fn queue(&mut self, bytes: Vec<u8>, sync: bool) {
        self.flush_coalesced();
        self.queued += bytes.len();
        self.writes.push_back(PendingWrite { bytes, sync });
    }

    fn flush_coalesced(&mut self) {
        if !self.coalesce.is_empty() {
            let bytes = std::mem::take(&mut self.coalesce);
            self.writes.push_back(PendingWrite { bytes, sync: false });
        }
    }

    fn on_written(&mut self, n: usize) {
        self.write_offset += n;
        self.queued = self.queued.saturating_sub(n);
        let done = self
            .writes
            .front()
            .is_some_and(|w| self.write_offset >= w.bytes.len());
        if done {
            if let Some(w) = self.writes.pop_front() {
                self.budget
                    .count_size(&mut self.tx_octet_stats, w.bytes.len());
                self.log(WireRow::Tx {
                    bytes: Logged::of(&w.bytes),
                    sync: w.sync,
                });
            }
            self.write_offset = 0;
        }
    }

    /// The fuzzer starts the close handshake (or fails the connection) with `body`.
    fn start_close(&mut self, body: &[u8]) {
        if self.phase != Phase::Open {
            return;
        }
        self.info.closed_by_me = true;
        if body.len() >= 2 {
            self.info.local_close_code = Some(u16::from_be_bytes([body[0], body[1]]));
            self.info.local_close_reason = Some(String::from_utf8_lossy(&body[2..]).into_owned());
        }
        self.send_close_frame(body);
        self.phase = Phase::CloseSent;
        self.phase_deadline =
            Some(Instant::now() + self.cfg.scaled(self.cfg.close_handshake_timeout));
    }

    fn send_close_frame(&mut self, body: &[u8]) {
        let (bytes, key) = encode_frame(&mut self.rng, 8, true, 0, body);
        *self.tx_frame_stats.entry(8).or_default() += 1;
        self.log(WireRow::TxFrame {
            opcode: 8,
            fin: true,
            rsv: 0,
            mask: Some(key),
            payload: Logged::of(body),
            chop: None,
        });
        // Like any unchopped frame: Autobahn writes it at once, and Twisted sends
        // the frames written in one reactor turn together (7.1.x: Close, then a frame).
        self.queued += bytes.len();
        self.coalesce.extend_from_slice(&bytes);
    }

    fn on_bytes(&mut self, mut bytes: Vec<u8>) {
        self.log(WireRow::Rx(Logged::of(&bytes)));
        let base = self.rx_total;
        self.rx_total += bytes.len() as u64;
        self.track_frames(bytes.clone(), base);
        if self.decoder_failed_at.is_some() {
            // The message decoder holds nothing more once it failed.
            self.partial = 0;
            self.close_after_failure();
            return;
        }
        self.partial = self.partial.saturating_add(bytes.len());
        let len = bytes.len();
        let mut input = &mut bytes[..];
        loop {
            if self.phase == Phase::Done {
                return;
            }
            match self.decoder.decode(&mut input) {
                Ok(None) => return,
                Ok(Some(Event::Frame(h))) => {
                    *self.rx_frame_stats.entry(h.opcode.as_u8()).or_default() += 1;
                }
                Ok(Some(Event::Message { kind, data })) => {
                    self.partial = 0;
                    let ev = Ev::Message {
                        data: data.to_vec(),
                        binary: kind == wirecheck_codec::ws::MessageKind::Binary,
                    };
                    self.on_event(ev);
                }
                Ok(Some(Event::Ping(p))) => {
                    let p = p.to_vec();
                    // Autobahn answers pings automatically; a peer that pings without
                    // reading does not grow the queue past its bound.
                    if self.phase == Phase::Open
                        && self.budget.take_pong(self.queued, p.len() + MAX_HEADER_LEN)
                    {
                        let (bytes, _) = encode_frame(&mut self.rng, 0xA, true, 0, &p);
                        self.queue(bytes, false);
                    }
                    self.on_event(Ev::Ping(p));
                }
                Ok(Some(Event::Pong(p))) => {
                    let p = p.to_vec();
                    self.on_event(Ev::Pong(p));
                }
                Ok(Some(Event::Close(c))) => {
                    let (code, reason) = match c {
                        Some(c) => (Some(c.code.0), Some(c.reason.to_owned())),
                        None => (None, None),
                    };
                    self.on_close(code, reason);
                    return;
                }
                Err(e) => {
                    // RFC 6455 §7.4.1: 1009 is a message too big for the receiver, here
                    // for wirecheck's own bound: what followed was not observed.
                    if e.close_code() == 1009 {
                        self.budget.observe_limit(format!(
                            "the server sent a message or frame over wirecheck's limit of {} bytes ({e})",
                            self.decoder_limit()
                        ));
                    }
                    // The server broke the protocol: fail the connection with the code
                    // the rule maps to (RFC 6455 §7.1.7), as Autobahn's protocol does.
                    self.info.failed_by_me = true;
                    self.decoder_failed_at = Some(base + (len - input.len()) as u64);
                    if self.phase == Phase::Open {
                        let mut reason = e.to_string();
                        // §5.5: a control frame carries at most 125 bytes: 2 for the code.
                        while reason.len() > 123 {
                            reason.pop();
                        }
                        self.start_close(&close_body(e.close_code(), &reason));
                        // Autobahn skips the invalid frame and still takes the server's
                        // Close reply; the frame tracker has seen what followed it.
                        self.close_after_failure();
                    } else {
                        // Failing while closing drops the connection (autobahn.md §4.3).
                        self.drop_tcp();
                    }
                    return;
                }
            }
        }
    }

    /// Follow the frame boundaries of everything received with a lenient,
    /// frame-level decoder: it logs every frame with its payload (`RF` rows) and
    /// remembers Close frames, so that after the message decoder failed on a frame
    /// the server's Close reply that follows it can still be taken, as Autobahn
    /// skips the invalid frame. It stops at the first header it cannot parse.
    fn track_frames(&mut self, mut bytes: Vec<u8>, base: u64) {
        let len = bytes.len();
        let mut input = &mut bytes[..];
        while let Ok(Some(event)) = self.wire_frames.decode(&mut input) {
            let at = base + (len - input.len()) as u64;
            match event {
                FrameEvent::Header(h) => {
                    let start = at - h.encoded_len() as u64;
                    self.wire_frame = Some((h, start, Vec::new()));
                }
                FrameEvent::Payload { data, last, .. } => {
                    let Some((h, start, mut payload)) = self.wire_frame.take() else {
                        continue;
                    };
                    // Keep what the log shows of a payload (its first bytes) while the
                    // log has room, and a Close body (at most 125 bytes when valid, RFC
                    // 6455 §5.5; a longer one is invalid whatever follows, so its start
                    // is enough). A full log costs a frame flood no allocation.
                    let keep = if h.opcode == OpCode::Close {
                        MAX_CLOSE_KEPT
                    } else if self.log_wire && self.budget.has_room() {
                        Logged::PREFIX
                    } else {
                        0
                    };
                    let take = data.len().min(keep.saturating_sub(payload.len()));
                    payload.extend_from_slice(&data[..take]);
                    if !last {
                        self.wire_frame = Some((h, start, payload));
                        continue;
                    }
                    if h.opcode == OpCode::Close
                        && self.tracked_closes.len() < bounds::MAX_TRACKED_CLOSES
                    {
                        let complete = payload.len() as u64 == h.payload_len;
                        self.tracked_closes
                            .push((start, complete.then(|| payload.clone())));
                    }
                    if !(self.log_wire && self.budget.has_room()) {
                        if self.log_wire {
                            self.budget.take_row(payload.len().min(Logged::PREFIX));
                        }
                        continue;
                    }
                    payload.truncate(Logged::PREFIX);
                    self.log(WireRow::RxFrame {
                        opcode: h.opcode.as_u8(),
                        fin: h.fin,
                        rsv: h.rsv,
                        masked: h.mask.is_some(),
                        payload: Logged {
                            len: usize::try_from(h.payload_len).unwrap_or(usize::MAX),
                            head: payload,
                        },
                    });
                }
            }
        }
    }

    /// After the message decoder failed: take the first Close frame that starts
    /// after the failing frame as the server's Close.
    fn close_after_failure(&mut self) {
        let Some(failed_at) = self.decoder_failed_at else {
            return;
        };
        let found = self
            .tracked_closes
            .iter()
            .position(|(start, _)| *start > failed_at);
        if let Some(i) = found {
            let (_, body) = self.tracked_closes.swap_remove(i);
            self.tracked_closes.clear();
            // The codec validates the body (RFC 6455 §5.5.1, §7.4); an invalid one is
            // a second violation while closing, which drops the connection.
            let Some(body) = body else {
                self.drop_tcp();
                return;
            };
            match wirecheck_codec::ws::message::parse_close(&body) {
                Ok(Some(c)) => {
                    let reason = c.reason.to_owned();
                    self.on_close(Some(c.code.0), Some(reason));
                }
                Ok(None) => self.on_close(None, None),
                Err(_) => self.drop_tcp(),
            }
        }
    }

    fn on_event(&mut self, ev: Ev) {
        if let Scoring::RoundTrips {
            count,
            binary,
            payload,
            ..
        } = &self.case.scoring
        {
            if let Ev::Message { data, binary: b } = &ev {
                if self.phase != Phase::Open || self.round_trips.is_some() {
                    return;
                }
                self.trips_done += 1;
                if b != binary || data.len() != payload.len {
                    self.round_trips = Some(Err(format!(
                        "echo {} was a {} message of {} bytes; sent a {} message of {} bytes",
                        self.trips_done,
                        if *b { "binary" } else { "text" },
                        data.len(),
                        if *binary { "binary" } else { "text" },
                        payload.len
                    )));
                } else if let Some(at) = payload.first_difference(data) {
                    self.round_trips = Some(Err(format!(
                        "echo {} has the right length but differs from what was sent at byte {at}",
                        self.trips_done
                    )));
                } else if self.trips_done < *count {
                    self.steps = self.case.steps.iter().cloned().collect();
                    return;
                } else {
                    self.round_trips = Some(Ok(()));
                }
                self.log_wire = true;
                self.wirelog.push(WireRow::Logging(true));
                self.start_close(&close_body(1000, ""));
                return;
            }
        }
        if !self.budget.take_event(ev.payload_len()) {
            // Past the bound nothing more is observed, and the verdict is already
            // FAILED (no case expects so much): end the case at once.
            self.stop_at_limit("wirecheck stopped at its limit on received events");
            return;
        }
        self.received.push(ev);
        self.finish_when_done();
    }

    /// The largest message or frame this case accepts from the server.
    fn decoder_limit(&self) -> u64 {
        receive_limits(self.case).max_message_size
    }

    /// Autobahn's `finishWhenDone`: when what was received equals every expected
    /// list, a case where the fuzzer closes does so at once with its first code.
    fn finish_when_done(&mut self) {
        let e = &self.case.expected;
        let all_match =
            self.received == e.ok && e.non_strict.as_ref().is_none_or(|ns| *ns == self.received);
        if all_match && self.case.expected_close.closed_by_me && !self.case.suppress_close {
            let code = self
                .case
                .expected_close
                .codes
                .first()
                .copied()
                .unwrap_or(1000);
            self.start_close(&close_body(code, ""));
        }
    }

    fn on_close(&mut self, code: Option<u16>, reason: Option<String>) {
        self.info.remote_close_code = code;
        self.info.remote_close_reason = reason;
        match self.phase {
            Phase::Open => {
                // The server closed first: answer 1000 (Autobahn does not echo the
                // code) and wait for the server to drop TCP (RFC 6455 §7.1.1).
                self.info.local_close_code = Some(1000);
                self.info.local_close_reason = Some(String::new());
                self.send_close_frame(&close_body(1000, ""));
                self.phase = Phase::AwaitDrop;
                // autobahn.md §4.3: Autobahn arms no timer here, so without a pending
                // killAfter it would wait for the server to drop TCP forever. wirecheck
                // waits the server-drop timeout instead (README "Limits"), with the
                // verdict of that timeout on the other path; a pending killAfter still
                // decides, as in Autobahn.
                self.phase_deadline = match self.kill_at {
                    Some(_) => None,
                    None => Some(Instant::now() + self.cfg.scaled(self.cfg.server_drop_timeout)),
                };
                // Autobahn marks the close clean when the Close frame arrives; only
                // the two timeouts take that back (autobahn.md §4.3).
                self.info.was_clean = true;
            }
            Phase::CloseSent => {
                self.info.was_clean = true;
                self.phase = Phase::AwaitDrop;
                self.phase_deadline =
                    Some(Instant::now() + self.cfg.scaled(self.cfg.server_drop_timeout));
            }
            Phase::AwaitDrop | Phase::Done => {}
        }
    }

    fn on_tcp_closed(&mut self) {
        match self.phase {
            // Both Close frames were exchanged (`was_clean` was set then) and the
            // server closed TCP in time.
            Phase::AwaitDrop => {}
            Phase::Open => {
                self.info.was_not_clean_reason =
                    Some("the server dropped the TCP connection without a close handshake".into());
            }
            Phase::CloseSent => {
                self.info.was_not_clean_reason = Some(
                    "the server dropped the TCP connection without answering the close frame"
                        .into(),
                );
            }
            Phase::Done => {}
        }
        self.phase = Phase::Done;
    }

    /// wirecheck ends the connection at one of its limits, without a close
    /// handshake: it, not the server, closed it, and not cleanly (`why`).
    fn stop_at_limit(&mut self, why: &str) {
        if self.phase == Phase::Open {
            self.info.closed_by_me = true;
        }
        self.info.was_clean = false;
        self.info
            .was_not_clean_reason
            .get_or_insert_with(|| why.to_owned());
        self.drop_tcp();
    }

    /// The fuzzer drops the TCP connection itself. Whether the close was clean is
    /// left as it is, as Autobahn's `dropConnection` does.
    fn drop_tcp(&mut self) {
        if self.phase != Phase::Done {
            self.info.dropped_by_me = true;
            self.phase = Phase::Done;
        }
    }
}

async fn write_some(
    writer: &mut WriteHalf<Stream>,
    writes: &VecDeque<PendingWrite>,
    offset: usize,
) -> std::io::Result<usize> {
    match writes.front() {
        Some(w) => writer.write(&w.bytes[offset..]).await,
        None => std::future::pending().await,
    }
}

fn close_body(code: u16, reason: &str) -> Vec<u8> {
    let mut b = code.to_be_bytes().to_vec();
    b.extend_from_slice(reason.as_bytes());
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ws_urls() {
        let t = Target::parse("ws://127.0.0.1:9001/echo?x=1").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("127.0.0.1", 9001, "/echo?x=1")
        );
        assert_eq!(t.host_header, "127.0.0.1:9001");
        let t = Target::parse("ws://example.test").unwrap();
        assert_eq!((t.port, t.path.as_str()), (80, "/"));
        let t = Target::parse("ws://[::1]:8080").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 8080));
        let t = Target::parse("wss://example.test/x").unwrap();
        assert!(t.tls);
        assert_eq!((t.port, t.path.as_str()), (443, "/x"));
        for bad in ["http://x", "ws://", "ws://h:99999/", "ws://u@h/"] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn frames_are_masked_with_any_opcode_and_rsv() {
        let mut rng = Rng(42);
        let (bytes, key) = encode_frame(&mut rng, 0x3, false, 0b101, b"ab");
        assert_eq!(bytes[0], 0b0101_0011);
        assert_eq!(bytes[1], 0x82);
        assert_eq!(&bytes[2..6], &key);
        assert_eq!(bytes[6] ^ key[0], b'a');
    }
}
