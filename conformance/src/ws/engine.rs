//! The tokio transport of the case driver: connects (or accepts), performs the
//! opening handshake, and feeds a [`Driver`] the bytes and the time, writing
//! what it asks and sleeping until its deadline. Everything a case decides is
//! the driver's (`super::driver`); this module owns only the socket, the
//! deadlines of connecting and shutting down, and the run's slots: a case
//! gives its work slot back while it only waits ([`super::slots`]).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::OwnedSemaphorePermit;
// tokio's clock, so tests can drive every timer with a paused clock.
use tokio::time::{Instant, sleep_until, timeout};
use wirecheck_codec::ws::handshake::ClientRequest;

use super::case::Case;
use super::driver::opening::{self, ClientOpening, Progress, ServerOpening};
use super::driver::{Driver, Role, Timeouts};
use super::result::{CaseResult, kept_request};
use super::rng::Rng;
use super::slots::{Entry, IDLE_GRACE, Slots, Work};

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
    /// HTTP/1.1 (the Upgrade of RFC 6455 §4) or HTTP/2 (RFC 8441, [`super::over_h2`]).
    pub http: crate::net::Http,
    /// The compressed windows of 12.x/13.x, shared by the run's cases
    /// ([`super::compressed`]): clones of a config share one store.
    pub compressed: Arc<super::compressed::Compressed>,
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
            http: crate::net::Http::V1_1,
            compressed: Arc::default(),
        }
    }
}

impl EngineConfig {
    /// `d` times `--timeout-scale`.
    pub fn scaled(&self, d: Duration) -> Duration {
        d.mul_f64(self.timeout_scale.max(0.0))
    }

    /// The driver's timeouts: these, scaled.
    pub fn timeouts(&self) -> Timeouts {
        Timeouts {
            close_handshake: self.scaled(self.close_handshake_timeout),
            peer_drop: self.scaled(self.server_drop_timeout),
            case_cap: self.scaled(self.case_cap),
            ..Timeouts::scaled(self.timeout_scale)
        }
    }
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

/// Run `case` against the server at `target`, as a fuzzing client; `ordinal`
/// is its position in the run. The case holds a connection slot of `slots`
/// throughout, and the work slots `work` needs while it works ([`super::slots`]).
pub async fn run_case(
    target: &Target,
    cfg: &EngineConfig,
    case: &Case,
    ordinal: usize,
    slots: &Slots,
    work: Work,
) -> CaseResult {
    let h2 = cfg.http == crate::net::Http::V2;
    let not_applicable = |why: &str| {
        let mut result = CaseResult::unrun(case, ordinal);
        result.behavior = crate::core::Behavior::Informational;
        result.behavior_close = crate::core::BehaviorClose::Informational;
        result.result = format!("informational: {why}");
        result.result_close = "informational: no connection was opened".into();
        result
    };
    match (h2, case.stream_check) {
        (true, Some(check)) => {
            let mut result = CaseResult::unrun(case, ordinal);
            result.started = SystemTime::now();
            let _entry = slots.enter(work).await;
            return super::h2_checks::run(target, cfg, case, check, result).await;
        }
        // An H2. case checks HTTP/2 streams; HTTP/1.1 has none.
        (false, Some(_)) => {
            return not_applicable(
                "not applicable over HTTP/1.1 (the case checks HTTP/2 streams; run it with --http 2)",
            );
        }
        (true, None) => {
            if let Some(Err(why)) = case.opening.as_ref().map(super::over_h2::over_http2) {
                return not_applicable(why);
            }
        }
        (false, None) => {}
    }
    let timed = case.is_timed();
    // The slots are taken before the probes: a timed case's probes are part
    // of its measurement, made while no other case is connected ([`Work::Quiet`]).
    let mut entry = slots.enter(work).await;
    // A case timed against a normal request (S.2's ReDoS shapes) gets a textbook
    // handshake before it too, within the case's own deadline: the one after
    // may meet a server still busy.
    let before = if timed {
        let probed = probe_either(target, cfg, answer_limit(cfg, case)).await;
        if let Err(Unopened::Unanswered(why)) = probed {
            // A server that does not answer a textbook request in that time
            // cannot be timed: the head is not sent, and the case fails as
            // every other case against such a server does (so a run against
            // one that answers nothing stops early, [`super::run`]).
            let mut result = CaseResult::unrun(case, ordinal);
            result.started = SystemTime::now();
            result.close.was_open_handshake_timeout = true;
            return opening::finish_unopened(case, result, why);
        }
        Some(probed)
    } else {
        None
    };
    let (mut result, answered_in) = if h2 {
        super::over_h2::run_case_once(target, cfg, case, ordinal, slots, work, &mut entry).await
    } else {
        run_case_once(target, cfg, case, ordinal, slots, work, &mut entry).await
    };
    // A server that refused a textbook request before the case says nothing
    // by refusing one after it: no crash, no ReDoS; nor one that cannot carry
    // the case at all (UNIMPLEMENTED: no RFC 8441 over HTTP/2).
    if matches!(before, Some(Err(_))) || result.behavior == crate::core::Behavior::Unimplemented {
        return result;
    }
    let normal_before = before.and_then(Result::ok);
    if timed && answered_in.is_none() && result.close.was_open_handshake_timeout {
        if let Some(normal) = normal_before {
            result.result.push_str(&format!(
                ": a textbook request was answered in {:.1} ms just before, and a linear parser answers such a head in milliseconds too (super-linear parsing, ReDoS)",
                normal.as_secs_f64() * 1000.0
            ));
        }
    }
    if case.opening.as_ref().is_some_and(|s| s.probe_after) {
        match probe_either(target, cfg, cfg.scaled(cfg.open_handshake_timeout)).await {
            Err(Unopened::Unanswered(why) | Unopened::Refused(why)) => {
                result.behavior = crate::core::Behavior::Failed;
                result.result = format!(
                    "{}; then the server did not open a textbook connection: {why} (the request above crashed or wedged it)",
                    result.result
                );
            }
            Ok(after) if timed => {
                let normal = normal_before.map_or(after, |b| b.min(after));
                if let Some(mut answered) = answered_in {
                    if is_slow(cfg, answered, normal) {
                        // A parser's cost repeats; a scheduling hiccup does not:
                        // the same head once more, and the faster answer counts.
                        let again = if h2 {
                            super::over_h2::time_opening(target, cfg, case).await
                        } else {
                            time_opening(target, cfg, case).await
                        };
                        if let Some(again) = again {
                            answered = answered.min(again);
                        }
                    }
                    judge_against_normal(cfg, &mut result, answered, normal);
                }
            }
            Ok(_) => {}
        }
    }
    result
}

/// How much slower than a textbook request a timed head may be answered, and
/// the least time that counts as slow at all (scaled): a linear parser answers
/// both within the same few milliseconds.
const SLOWER: u32 = 20;
const SLOW_AT_LEAST: Duration = Duration::from_millis(100);

/// S.2's ReDoS shapes, timed against a normal request: an answer that took
/// [`SLOWER`] times as long as a textbook handshake, and at least
/// [`SLOW_AT_LEAST`], is super-linear parsing even within the case's deadline.
fn judge_against_normal(
    cfg: &EngineConfig,
    result: &mut CaseResult,
    answered: Duration,
    normal: Duration,
) {
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    if is_slow(cfg, answered, normal) {
        result.behavior = crate::core::Behavior::Failed;
        let times = if normal >= Duration::from_micros(100) {
            format!(" ({:.0}x)", answered.as_secs_f64() / normal.as_secs_f64())
        } else {
            String::new()
        };
        result.result = format!(
            "{}; but the answer took {} where a textbook request takes {}{times}: super-linear parsing of this header (ReDoS)",
            result.result,
            ms(answered),
            ms(normal),
        );
    } else {
        result.result = format!(
            "{} (answered in {}; a textbook request in {})",
            result.result,
            ms(answered),
            ms(normal)
        );
    }
}

/// Slowloris (wirecheck's S.2.5): the head is never finished; one more byte
/// of it every interval, until the server answers or closes, or the case
/// gives up. What the server did is the result (INFORMATIONAL: no RFC sets
/// a time limit on a head, RFC 9112 §9.5 lets a server close at any time).
async fn stall_case(
    target: &Target,
    cfg: &EngineConfig,
    mut result: CaseResult,
    hs: &mut ClientOpening,
    stall: crate::ws::case::Stall,
) -> CaseResult {
    let began = Instant::now();
    let total = cfg.scaled(stall.total);
    let interval = cfg.scaled(stall.interval);
    let request = hs.request();
    let first = hs.transmit().map_or(0, <[u8]>::len);
    // Everything but the final CRLF of the head is ever sent.
    let last = request.len().saturating_sub(2).max(first);
    let outcome = timeout(total, async {
        let mut stream = crate::net::connect(target, cfg.tls.as_ref()).await?;
        let mut sent = first;
        stream
            .write_all(&request[..first])
            .await
            .map_err(|e| format!("cannot send the head: {e}"))?;
        let mut buf = vec![0u8; 4096];
        loop {
            match timeout(interval, stream.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return Ok::<_, String>(None),
                Ok(Ok(n)) => {
                    let text = String::from_utf8_lossy(&buf[..n]);
                    return Ok(Some(text.lines().next().unwrap_or_default().to_owned()));
                }
                Err(_) if sent < last => {
                    let _ = stream.write_all(&request[sent..=sent]).await;
                    sent += 1;
                }
                Err(_) => {}
            }
        }
    })
    .await;
    let secs = began.elapsed().as_secs_f64();
    result.reached = !matches!(outcome, Ok(Err(_)));
    result.behavior = crate::core::Behavior::Informational;
    result.behavior_close = crate::core::BehaviorClose::Informational;
    result.result_close = "informational: no connection was opened".into();
    result.result = match outcome {
        Ok(Ok(None)) => format!(
            "informational: the server closed the connection on the unfinished head after {secs:.1} s"
        ),
        Ok(Ok(Some(line))) => format!(
            "informational: the server answered the unfinished head after {secs:.1} s: {line}"
        ),
        Ok(Err(why)) => format!("informational: {why}"),
        Err(_) => format!(
            "informational: after {:.1} s the server still waited for the rest of the head, one byte every {:.1} s: each such client holds a connection (slowloris); a head timeout, or a proxy with one, bounds them",
            total.as_secs_f64(),
            interval.as_secs_f64()
        ),
    };
    result
}

/// Whether `answered` is slow next to a textbook request answered in `normal`.
fn is_slow(cfg: &EngineConfig, answered: Duration, normal: Duration) -> bool {
    answered >= cfg.scaled(SLOW_AT_LEAST) && answered >= normal * SLOWER
}

/// The case's own opening request once more, on a connection of its own: how
/// long the server took to answer it (`None`: no answer within the case's
/// deadline).
async fn time_opening(target: &Target, cfg: &EngineConfig, case: &Case) -> Option<Duration> {
    let spec = case.opening.as_ref()?;
    let request = opening_request(target, cfg, Rng::from_seed(Rng::os_seed()).nonce());
    let mut hs = ClientOpening::custom(spec, &request);
    match open_timed(target, cfg, &mut hs, answer_limit(cfg, case)).await {
        (took, Some(_)) => Some(took),
        (_, None) => None,
    }
}

/// A textbook probe over the run's HTTP version ([`probe`], or an extended
/// CONNECT with `--http 2`).
async fn probe_either(
    target: &Target,
    cfg: &EngineConfig,
    limit: Duration,
) -> Result<Duration, Unopened> {
    if cfg.http == crate::net::Http::V2 {
        super::over_h2::probe(target, cfg, limit).await
    } else {
        probe(target, cfg, limit).await
    }
}

/// Why a textbook probe opened no connection.
pub(super) enum Unopened {
    /// No answer within the limit, or no connection at all.
    Unanswered(String),
    /// An answer other than a 101.
    Refused(String),
}

/// A textbook opening handshake on a connection of its own within `limit`,
/// then the connection is dropped: does the server still answer, and how
/// long did it take (connect included)?
async fn probe(target: &Target, cfg: &EngineConfig, limit: Duration) -> Result<Duration, Unopened> {
    let request = opening_request(target, cfg, Rng::from_seed(Rng::os_seed()).nonce());
    let mut hs = ClientOpening::textbook(request).map_err(Unopened::Refused)?;
    match open_timed(target, cfg, &mut hs, limit).await {
        (took, Some(Ok((_, Progress::Open(_))))) => Ok(took),
        (_, Some(Ok((_, Progress::Refused { status, .. })))) => {
            Err(Unopened::Refused(format!("it answered {status}")))
        }
        (_, Some(Ok((_, other)))) => Err(Unopened::Refused(format!("{other:?}"))),
        (_, Some(Err(why))) => Err(Unopened::Unanswered(why)),
        (_, None) => Err(Unopened::Unanswered(no_answer(limit, hs.head().len()))),
    }
}

/// How long a case waits for the answer to its opening request (scaled): its
/// own deadline (S.2's timed heads) or the opening handshake timeout.
pub(super) fn answer_limit(cfg: &EngineConfig, case: &Case) -> Duration {
    let within = case.opening.as_ref().and_then(|s| s.answer_within);
    cfg.scaled(within.map_or(cfg.open_handshake_timeout, |d| {
        d.min(cfg.open_handshake_timeout)
    }))
}

/// The reason for an opening request unanswered within `limit`, `received`
/// bytes of an answer in.
fn no_answer(limit: Duration, received: usize) -> String {
    format!(
        "no complete opening handshake within {:.1} s ({received} bytes of response received)",
        limit.as_secs_f64()
    )
}

/// [`open`] within `limit`: how long it took (connect included), and what came
/// of it (`None`: nothing within the limit).
async fn open_timed(
    target: &Target,
    cfg: &EngineConfig,
    hs: &mut ClientOpening,
    limit: Duration,
) -> (
    Duration,
    Option<Result<(crate::net::Stream, Progress), String>>,
) {
    let began = Instant::now();
    let opened = timeout(limit, open(target, cfg.tls.as_ref(), hs))
        .await
        .ok();
    (began.elapsed(), opened)
}

/// One case, its slots taken (`entry`: the gate is given back once it only
/// waits, a quiet case's other connections once its opening is answered);
/// with the time the server took to answer its opening request (connect
/// included), when it answered.
async fn run_case_once(
    target: &Target,
    cfg: &EngineConfig,
    case: &Case,
    ordinal: usize,
    slots: &Slots,
    work: Work,
    entry: &mut Entry,
) -> (CaseResult, Option<Duration>) {
    let mut result = CaseResult::unrun(case, ordinal);
    result.started = SystemTime::now();
    let seed = Rng::os_seed();
    let mut rng = Rng::from_seed(seed);
    let request = opening::offer_deflate(case, opening_request(target, cfg, rng.nonce()));
    let mut hs = match &case.opening {
        Some(spec) => ClientOpening::custom(spec, &request),
        None => match ClientOpening::textbook(request) {
            Ok(o) => o,
            Err(why) => return (opening::finish_unopened(case, result, why), None),
        },
    };
    result.http_request = kept_request(&hs.request());
    if let Some(stall) = case.opening.as_ref().and_then(|s| s.stall) {
        entry.gate = None;
        return (stall_case(target, cfg, result, &mut hs, stall).await, None);
    }

    // A case may want its answer sooner than any handshake (S.2's ReDoS shapes).
    let limit = answer_limit(cfg, case);
    let (took, opened) = open_timed(target, cfg, &mut hs, limit).await;
    // The server has answered (or not) with nothing else to do; what follows
    // is not timed.
    entry.settle();
    let answered = Some(took);
    result.http_response = String::from_utf8_lossy(hs.head()).into_owned();
    let (stream, leftover, verdict) = match opened {
        Some(Ok((stream, Progress::Open(leftover)))) => {
            let verdict = case
                .opening
                .as_ref()
                .and_then(|s| opening::judge(s.expect, &Progress::Open(Vec::new())));
            (stream, leftover, verdict)
        }
        Some(Ok((_, progress))) => {
            return (opening::finish_refused(case, result, &progress), answered);
        }
        Some(Err(why)) => {
            let failed = Progress::Failed(why);
            return (opening::finish_refused(case, result, &failed), answered);
        }
        None => {
            result.close.was_open_handshake_timeout = true;
            // A timed case's reason is completed by its caller, which knows
            // how soon a textbook request was answered ([`run_case`]).
            let why = no_answer(limit, hs.head().len());
            return (opening::finish_unopened(case, result, why), None);
        }
    };
    // RFC 7692 §7.1: the client fails the connection on an answer its offers
    // do not allow.
    let deflate = match opening::agreed_deflate(case, &hs) {
        Ok(agreed) => agreed,
        Err(why) => return (opening::finish_unopened(case, result, why), answered),
    };
    slots.note_opened();
    // The connection is open; wait for a work slot before the script runs.
    let permit = slots.work(work).await;
    let opened_at = Instant::now();
    let mut driver = Driver::with_deflate(
        case,
        Role::Client,
        cfg.timeouts(),
        seed ^ 0x9E37_79B9_7F4A_7C15,
        opened_at.into_std(),
        &leftover,
        deflate,
        Some(Arc::clone(&cfg.compressed)),
    );
    driver.note_opening(hs.request().len(), hs.head().len());
    if verdict.is_some() {
        // The server accepted what it must refuse: close at once, normally.
        driver.close_now();
    }
    drive(
        stream,
        &mut driver,
        slots,
        work,
        permit,
        &mut entry.gate,
        cfg.scaled(cfg.close_handshake_timeout),
        0,
    )
    .await;
    result.duration_ms = opened_at.elapsed().as_millis() as u64;
    driver.finish(&mut result);
    opening::finish_opened(case, &mut result, verdict, 101);
    (result, answered)
}

/// Run `case` on a connection a client opened to wirecheck, as a fuzzing
/// server: read and answer the opening request, then drive the case. The
/// transport of the role that tests clients.
pub async fn serve_case<S>(stream: S, cfg: &EngineConfig, case: &Case, ordinal: usize) -> CaseResult
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut result = CaseResult::unrun(case, ordinal);
    result.started = SystemTime::now();
    let mut stream = stream;
    let mut hs = ServerOpening::default();
    let accepted = read_opening(&mut stream, &mut hs, cfg).await;
    serve_opened(stream, cfg, case, result, &hs, accepted, None).await
}

/// Read a client's opening request and write what `hs` answers, within the
/// opening handshake timeout; a [`ServerOpening::routed`] one stops at a valid
/// request ([`Progress::More`], [`ServerOpening::pending`]) for the caller to
/// answer and call this again. `Err` is the timeout, with the reason.
pub async fn read_opening<S>(
    stream: &mut S,
    hs: &mut ServerOpening,
    cfg: &EngineConfig,
) -> Result<Progress, String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let limit = cfg.scaled(cfg.open_handshake_timeout);
    timeout(limit, accept(stream, hs)).await.map_err(|_| {
        format!(
            "no complete opening handshake within {:.1} s ({} bytes of request received)",
            limit.as_secs_f64(),
            hs.head().len()
        )
    })
}

/// Drive `case` on a connection whose opening `hs` ended as `accepted`
/// ([`read_opening`]), with permessage-deflate as `deflate` agreed: the
/// case's result, its request and response kept.
pub async fn serve_opened<S>(
    stream: S,
    cfg: &EngineConfig,
    case: &Case,
    mut result: CaseResult,
    hs: &ServerOpening,
    accepted: Result<Progress, String>,
    deflate: Option<wirecheck_codec::ws::deflate::Agreed>,
) -> CaseResult
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    result.http_request = kept_request(hs.head());
    result.http_response = String::from_utf8_lossy(hs.response()).into_owned();
    let leftover = match accepted {
        Ok(Progress::Open(leftover)) => leftover,
        Ok(progress) => return opening::finish_refused(case, result, &progress),
        Err(why) => {
            result.close.was_open_handshake_timeout = true;
            return opening::finish_unopened(case, result, why);
        }
    };
    let opened_at = Instant::now();
    let mut driver = Driver::with_deflate(
        case,
        Role::Server,
        cfg.timeouts(),
        Rng::os_seed(),
        opened_at.into_std(),
        &leftover,
        deflate,
        Some(Arc::clone(&cfg.compressed)),
    );
    driver.note_opening(hs.response().len(), hs.head().len());
    let slots = Slots::new(1);
    let permit = slots.work(Work::Shared).await;
    drive(
        stream,
        &mut driver,
        &slots,
        Work::Shared,
        permit,
        &mut None,
        cfg.scaled(cfg.close_handshake_timeout),
        0,
    )
    .await;
    result.duration_ms = opened_at.elapsed().as_millis() as u64;
    driver.finish(&mut result);
    result
}

/// Connect and perform the client's opening handshake. Returns the stream and
/// how the handshake ended, or why connecting failed.
pub async fn open(
    target: &Target,
    tls: Option<&Arc<rustls::ClientConfig>>,
    hs: &mut ClientOpening,
) -> Result<(crate::net::Stream, Progress), String> {
    let mut stream = crate::net::connect(target, tls).await?;
    while let Some(bytes) = hs.transmit() {
        let n = bytes.len();
        stream
            .write_all(bytes)
            .await
            .map_err(|e| format!("cannot send the opening handshake: {e}"))?;
        stream
            .flush()
            .await
            .map_err(|e| format!("cannot send the opening handshake: {e}"))?;
        hs.written(n);
    }
    let mut buf = vec![0u8; 4096];
    loop {
        let n = stream
            .read(&mut buf)
            .await
            .map_err(|e| format!("reading the handshake response: {e}"))?;
        if n == 0 {
            return Err("the server closed the connection during the opening handshake".into());
        }
        match hs.handle_input(&buf[..n]) {
            Progress::More => {}
            done => return Ok((stream, done)),
        }
    }
}

/// Read the client's request and write the answer.
async fn accept<S>(stream: &mut S, hs: &mut ServerOpening) -> Progress
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; 4096];
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) => {
                return Progress::Failed(
                    "the client closed the connection during the opening handshake".into(),
                );
            }
            Ok(n) => n,
            Err(e) => return Progress::Failed(format!("reading the handshake request: {e}")),
        };
        let progress = hs.handle_input(&buf[..n]);
        if hs.pending().is_some() {
            return Progress::More;
        }
        let progress = answer(stream, hs, progress).await;
        if progress != Progress::More {
            return progress;
        }
    }
}

/// Write what `hs` answers; the outcome once it is out (`progress` if there is
/// nothing to write).
async fn answer<S>(stream: &mut S, hs: &mut ServerOpening, mut progress: Progress) -> Progress
where
    S: AsyncWrite + Unpin,
{
    while let Some(bytes) = hs.transmit() {
        match stream.write(bytes).await {
            Ok(0) | Err(_) => {
                return Progress::Failed("cannot send the handshake response".into());
            }
            Ok(n) => progress = hs.written(n),
        }
    }
    progress
}

/// Write the answer [`ServerOpening::accept`] or [`ServerOpening::refuse`]
/// gave a routed request, within the opening handshake timeout.
pub async fn send_answer<S>(
    stream: &mut S,
    hs: &mut ServerOpening,
    cfg: &EngineConfig,
    progress: Progress,
) -> Result<Progress, String>
where
    S: AsyncWrite + Unpin,
{
    let limit = cfg.scaled(cfg.open_handshake_timeout);
    timeout(limit, answer(stream, hs, progress))
        .await
        .map_err(|_| {
            format!(
                "the client did not read the handshake response within {:.1} s",
                limit.as_secs_f64()
            )
        })
}

/// Feed `driver` from `stream` until the case is done; the work slot is given
/// back while the case only waits, and with it for good the gate an alone case
/// holds ([`Slots::gate`]: others may connect once it only waits). `shutdown`
/// bounds the final flush. With `join_below` above 0, writes shorter than it
/// are joined with those queued after them ([`Driver::io_joined`]).
#[allow(clippy::too_many_arguments)]
pub(super) async fn drive<S>(
    stream: S,
    driver: &mut Driver<'_>,
    slots: &Slots,
    kind: Work,
    mut work: Option<OwnedSemaphorePermit>,
    gate: &mut Option<OwnedSemaphorePermit>,
    shutdown: Duration,
    join_below: usize,
) where
    S: AsyncRead + AsyncWrite,
{
    let (mut reader, mut writer) = tokio::io::split(stream);
    let now = || Instant::now().into_std();
    loop {
        // Timers fire whatever the socket does: a peer that keeps the socket
        // readable (a flood) must not starve them, so they are checked on every
        // turn, before any I/O, and the select below is not biased.
        driver.handle_timeout(now());
        if driver.is_done() {
            break;
        }
        let deadline = Instant::from_std(driver.deadline());
        if work.is_none() && !driver.light() && kind != Work::Sleeper {
            // A case that gave its slot back while waiting and now holds much
            // memory again (an echo of megabytes arriving) takes a slot before it
            // reads on, so at most -j cases hold that much; its timers still fire.
            tokio::select! {
                permit = slots.work(kind) => work = permit,
                () = sleep_until(deadline) => {}
            }
            continue;
        }
        let wake = match release_if_idle(driver, &mut work) {
            Some(idle_at) => deadline.min(idle_at),
            None => deadline,
        };
        if work.is_none() {
            *gate = None;
        }
        // The socket is read straight into the driver's receive buffer.
        let (pending, spare) = if join_below > 0 {
            driver.io_joined(join_below, READ_SIZE)
        } else {
            driver.io(READ_SIZE)
        };
        let turn = tokio::select! {
            read = reader.read(spare) => match read {
                Ok(0) | Err(_) => Turn::Eof,
                Ok(n) => Turn::Read(n),
            },
            written = write_some(&mut writer, pending) => match written {
                Ok(n) => Turn::Wrote(n),
                Err(_) => Turn::Eof,
            },
            () = sleep_until(wake) => Turn::Woke,
        };
        match turn {
            Turn::Read(n) => driver.handle_received(now(), n),
            Turn::Wrote(n) => driver.written(now(), n),
            Turn::Eof => driver.handle_eof_at(now()),
            Turn::Woke => {}
        }
    }
    drop(work);
    // Bounded like every wait: a peer that stops reading cannot hold the
    // shutdown's flush.
    let _ = timeout(shutdown, writer.shutdown()).await;
}

/// The least room offered to each read of the socket (the receive buffer keeps
/// as much between messages: `wirecheck_codec::ws::receiver::RETAINED`).
const READ_SIZE: usize = 64 * 1024;

/// What one turn of [`drive`] saw.
enum Turn {
    Read(usize),
    Wrote(usize),
    Eof,
    Woke,
}

/// Give the work slot back once the case only waits (`super::slots`): its
/// close handshake has begun, or nothing moved either way for [`IDLE_GRACE`]
/// (a peer that neither reads nor sends is waited on, not worked with). A case
/// that still holds much memory ([`Driver::light`]: the 9.x cases) keeps its
/// slot, so the connections holding that much are never more than `-j`.
/// Returns when to look again while held.
fn release_if_idle(
    driver: &Driver<'_>,
    work: &mut Option<OwnedSemaphorePermit>,
) -> Option<Instant> {
    work.as_ref()?;
    let now = Instant::now();
    let idle_at = Instant::from_std(driver.last_activity()) + IDLE_GRACE;
    if driver.light() && (!driver.is_open() || now >= idle_at) {
        *work = None;
        return None;
    }
    Some(if now >= idle_at {
        now + IDLE_GRACE
    } else {
        idle_at
    })
}

async fn write_some<W: AsyncWrite + Unpin>(
    writer: &mut W,
    pending: Option<&[u8]>,
) -> std::io::Result<usize> {
    match pending {
        Some(bytes) => writer.write(bytes).await,
        None => std::future::pending().await,
    }
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
}
