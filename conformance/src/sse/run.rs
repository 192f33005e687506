//! Running the selected SSE cases: make each observation they need once, at most
//! `-j` at a time, then judge every case and turn the verdicts into the
//! protocol-neutral report model.
//!
//! SSE has no close handshake, so a case has no close verdict
//! ([`CaseReport::close`] is `None`) and its per-case JSON no `behaviorClose`
//! or `resultClose` key: how each stream ended is its observation's `end`.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::{Notify, Semaphore};

use super::case::{
    CONCURRENT_STREAMS, Case, Concurrent, Ctx, Need, Observations, Settings, Verdict,
};
use super::cases::e3_liveness::BURST;
use super::cases::group_name;
use super::observe::{End, Observation, Read, Request, Seen, Stop, eventsource_request, observe};
use crate::core::{CaseReport, Detail};
use crate::http2::client::{Opener, Session};
use crate::net::{Http, Target};
use tokio::time::timeout;

/// How to reach the server and what to send besides the EventSource defaults.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The judged settings (origin, heartbeat, duration, scale).
    pub settings: Settings,
    /// Extra request headers (`--header`).
    pub headers: Vec<(String, String)>,
    /// TLS for `https://`.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// Connect plus response head (5 s, scaled).
    pub head_timeout: Duration,
    /// Observations made at once (`-j`).
    pub jobs: usize,
    /// The HTTP version of every request (`--http`).
    pub http: crate::net::Http,
}

/// How the observations of a run have gone so far, to tell a server that never
/// answers from one that is still answering.
#[derive(Debug, Default)]
struct Tally {
    /// Observations started and not yet ended.
    running: usize,
    /// Observations ended without a byte of an answer.
    empty: usize,
    /// Whether any observation got a byte.
    answered: bool,
}

/// Whether an observation starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    /// Now: nothing has come back empty, or something answered.
    Now,
    /// After the ones running end: one came back empty, but they may answer.
    Later,
    /// Not at all: every one made came back without a byte, and none runs.
    Never,
}

impl Tally {
    /// Whether the next observation starts (counted as running if it does).
    fn start(&mut self) -> Start {
        if self.answered || self.empty == 0 {
            self.running += 1;
            Start::Now
        } else if self.running > 0 {
            Start::Later
        } else {
            Start::Never
        }
    }

    /// One ended, `answered` or not.
    fn end(&mut self, answered: bool) {
        self.running = self.running.saturating_sub(1);
        self.answered |= answered;
        if !answered {
            self.empty += 1;
        }
    }
}

/// Apply `f` to the tally (a poisoned lock only means a panic elsewhere: the
/// tally is still consistent, so it is used as it is).
fn tally_update<T>(tally: &Mutex<Tally>, f: impl FnOnce(&mut Tally) -> T) -> T {
    let mut t = tally
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    f(&mut t)
}

/// The most decoded bytes read from one stream. What an observation keeps is
/// bounded whatever it reads (`observe::MAX_RETAINED`), and parsing is linear,
/// so this bounds only work: a flood is read for the whole `--duration` (so the
/// liveness cases judge the time asked for) unless it passes 4 GiB first.
pub const MAX_BODY: usize = 4 << 30;

/// A reconnect reads at most this long (scaled) for its first events.
const RECONNECT_READ: Duration = Duration::from_secs(3);

/// Make every observation `cases` need.
pub async fn observe_all(target: &Target, cfg: &RunConfig, cases: &[Case]) -> Observations {
    let needs: BTreeSet<Need> = cases.iter().flat_map(|c| c.needs.iter().copied()).collect();
    let needs_main = needs.contains(&Need::Main) || needs.contains(&Need::EndReconnect);
    let sem = Semaphore::new(cfg.jobs.max(1));
    let s = &cfg.settings;
    let tls = cfg.tls.as_ref();
    let scale = s.timeout_scale;
    let stop = |duration: Duration| Stop {
        duration,
        head_timeout: cfg.head_timeout,
        max_body: MAX_BODY,
        ids: None,
        events: None,
    };
    let short = RECONNECT_READ
        .mul_f64(scale)
        .min(s.duration.max(Duration::from_millis(500)));
    let origin = s.origin.as_deref();
    // A probe that needs only the response and its first event.
    let first_event = Stop {
        events: Some(1),
        ..stop(short)
    };
    // When every observation made so far has ended without a byte (the server
    // never answers), the ones still waiting for a slot are not made: each would
    // wait out the same head timeout, and the run says so at once (exit 3). One
    // still running may yet be answered, so while one runs after an empty one
    // ended, the next waits for it to end before deciding.
    let tally = Mutex::new(Tally::default());
    let ended = Notify::new();
    let go = |req: Request, stop: Stop| {
        let (sem, tally, ended) = (&sem, &tally, &ended);
        async move {
            let _permit = sem.acquire().await.ok();
            loop {
                let next_end = ended.notified();
                tokio::pin!(next_end);
                next_end.as_mut().enable();
                match tally_update(tally, Tally::start) {
                    Start::Now => break,
                    Start::Never => {
                        return Observation::not_made(
                            target,
                            "not tried: every earlier request got no byte of an answer".to_owned(),
                        );
                    }
                    Start::Later => next_end.await,
                }
            }
            let req = Request {
                http: cfg.http,
                ..req
            };
            let o = observe(target, tls, &req, stop).await;
            let answered = o.received > 0 || o.head.is_some();
            tally_update(tally, |t| t.end(answered));
            ended.notify_waiters();
            o
        }
    };

    let main = async {
        if !needs_main {
            return (None, None);
        }
        let o = go(
            eventsource_request(origin, None, &cfg.headers),
            stop(s.duration),
        )
        .await;
        let again = if needs.contains(&Need::EndReconnect) && o.server_ended() && o.head.is_some() {
            let last = last_id(&o);
            let req = eventsource_request(origin, last.as_deref(), &cfg.headers);
            Some(Some(go(req, first_event).await))
        } else if needs.contains(&Need::EndReconnect) {
            Some(None)
        } else {
            None
        };
        (Some(o), again)
    };
    let no_accept = async {
        if !needs.contains(&Need::NoAccept) {
            return None;
        }
        let mut req = eventsource_request(origin, None, &cfg.headers);
        req.remove("accept");
        Some(go(req, first_event).await)
    };
    let gzip = async {
        if !needs.contains(&Need::Gzip) {
            return None;
        }
        let mut req = eventsource_request(origin, None, &cfg.headers);
        req.set("Accept-Encoding", "gzip, deflate");
        Some(
            go(
                req,
                Stop {
                    events: Some(3),
                    ..stop(s.duration)
                },
            )
            .await,
        )
    };
    // Over HTTP/2 a browser reconnects on a new stream of the same connection,
    // and opens its EventSources on one connection: so do these.
    let shared = || async {
        if cfg.http != Http::V2 {
            return None;
        }
        timeout(cfg.head_timeout, Session::connect(target, tls))
            .await
            .ok()
            .and_then(Result::ok)
    };
    let on = |via: Option<Opener>, req: Request| Request { via, ..req };
    let concurrent = async {
        if !needs.contains(&Need::Concurrent) {
            return None;
        }
        let Some(session) = shared().await else {
            return Some(Concurrent::default());
        };
        let allowed = session.max_streams();
        let via = session.opener();
        let each = Stop {
            events: Some(2),
            ..stop(short)
        };
        // At once whatever `-j` is: they are one connection's streams, and a
        // verdict on concurrency must not depend on it.
        let open = || {
            let req = on(via.clone(), eventsource_request(origin, None, &cfg.headers));
            async move {
                observe(
                    target,
                    tls,
                    &Request {
                        http: cfg.http,
                        ..req
                    },
                    each,
                )
                .await
            }
        };
        let streams: [_; CONCURRENT_STREAMS] = [open(), open(), open()];
        let [a, b, c] = streams;
        let (a, b, c) = tokio::join!(a, b, c);
        drop(via);
        session.finish(SESSION_END).await;
        Some(Concurrent {
            allowed,
            streams: vec![a, b, c],
        })
    };
    let resume = async {
        if !needs.contains(&Need::Resume) {
            return None;
        }
        let session = shared().await;
        let via = session.as_ref().and_then(Session::opener);
        let outcome = async {
            let first = go(
                on(via.clone(), eventsource_request(origin, None, &cfg.headers)),
                Stop {
                    ids: Some(2),
                    ..stop(s.duration)
                },
            )
            .await;
            let Some(id) = last_id(&first).filter(|id| !id.is_empty()) else {
                return (first, None);
            };
            // Stay away long enough that the server emits at least one event meanwhile
            // (twice the longest gap between its ids so far), so a server that does not
            // replay shows a gap; a real client waits its reconnection time too.
            let times: Vec<Duration> = first
                .events()
                .filter(|e| !e.3.is_empty())
                .map(|e| e.0)
                .collect();
            let gap = times
                .windows(2)
                .map(|w| w[1].saturating_sub(w[0]))
                .max()
                .unwrap_or_default();
            let away = (gap * 2 + Duration::from_millis(100))
                .max(Duration::from_millis(300).mul_f64(scale))
                .min(s.duration);
            tokio::time::sleep(away).await;
            let req = on(
                via.clone(),
                eventsource_request(origin, Some(&id), &cfg.headers),
            );
            let second = go(
                req,
                Stop {
                    ids: Some(2),
                    ..stop(short)
                },
            )
            .await;
            (first, Some((id, second)))
        }
        .await;
        drop(via);
        if let Some(session) = session {
            session.finish(SESSION_END).await;
        }
        Some(outcome)
    };
    // A reconnect with a given id: the head and at most one event matter.
    let with_id = |id: String| {
        let req = eventsource_request(origin, Some(&id), &cfg.headers);
        let seen = go(req, first_event);
        async move { Some((id, seen.await)) }
    };
    let unknown = async {
        if !needs.contains(&Need::UnknownId) {
            return None;
        }
        let mut nonce = [0u8; 6];
        let _ = getrandom::fill(&mut nonce);
        let id = format!(
            "wirecheck-unknown-{}",
            nonce.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        with_id(id).await
    };
    let odd = async {
        if !needs.contains(&Need::OddId) {
            return None;
        }
        // Non-ASCII (UTF-8), CORS-unsafe bytes, and over 128 bytes: all legal in an id.
        with_id(format!(
            "wirecheck-ünïcødé-€-<{{\"x\":[1]}}>-{}",
            "é".repeat(80)
        ))
        .await
    };
    let preflight = async {
        if !needs.contains(&Need::Preflight) {
            return None;
        }
        let origin = origin?;
        let headers = vec![
            ("Origin".to_owned(), origin.to_owned()),
            ("Access-Control-Request-Method".to_owned(), "GET".to_owned()),
            (
                "Access-Control-Request-Headers".to_owned(),
                "last-event-id".to_owned(),
            ),
        ];
        // Fetch: a preflight carries no credentials or author headers.
        let req = Request::new("OPTIONS", headers);
        Some(go(req, stop(short)).await)
    };
    let ((main, end_reconnect), no_accept, gzip, resume, unknown_id, odd_id, preflight, concurrent) = tokio::join!(
        main, no_accept, gzip, resume, unknown, odd, preflight, concurrent
    );
    Observations {
        main,
        no_accept,
        gzip,
        resume,
        unknown_id,
        odd_id,
        end_reconnect,
        preflight,
        concurrent,
    }
}

/// How long an HTTP/2 connection shared by several observations is given to
/// end in order once they are done.
const SESSION_END: Duration = Duration::from_millis(500);

/// The last event ID the stream committed (what a client sends on reconnect).
fn last_id(o: &Observation) -> Option<String> {
    o.last_event_id.clone()
}

/// Whether no observation got a byte of a response: the target is unreachable
/// (exit code 3), and why, in one line. A response that came but is unusable is
/// the cases' to judge.
pub fn unreachable(obs: &Observations) -> Option<String> {
    let all: Vec<&Observation> = used(
        obs,
        &[
            Need::Main,
            Need::NoAccept,
            Need::Gzip,
            Need::Resume,
            Need::UnknownId,
            Need::OddId,
            Need::Preflight,
            Need::Concurrent,
        ],
    )
    .into_iter()
    .map(|(_, o)| o)
    .collect();
    if all.iter().any(|o| o.received > 0 || o.head.is_some()) {
        return None;
    }
    Some(
        all.first()
            .map_or("nothing was observed".to_owned(), |o| match &o.end {
                End::NoResponse(why) => why.clone(),
                other => other.to_string(),
            }),
    )
}

/// The names of the [`Need::Concurrent`] streams in reports.
const CONCURRENT_NAMES: [&str; CONCURRENT_STREAMS] = [
    "stream 1 of 3 on one connection",
    "stream 2 of 3 on one connection",
    "stream 3 of 3 on one connection",
];

/// The observations a case used, named.
fn used<'a>(obs: &'a Observations, needs: &[Need]) -> Vec<(&'static str, &'a Observation)> {
    let mut out = Vec::new();
    for need in needs {
        match need {
            Need::Main => out.extend(obs.main.as_ref().map(|o| ("stream", o))),
            Need::NoAccept => out.extend(obs.no_accept.as_ref().map(|o| ("without Accept", o))),
            Need::Gzip => out.extend(obs.gzip.as_ref().map(|o| ("gzip offered", o))),
            Need::Resume => {
                if let Some((a, b)) = &obs.resume {
                    out.push(("before the reconnect", a));
                    if let Some((_, b)) = b {
                        out.push(("reconnect with Last-Event-ID", b));
                    }
                }
            }
            Need::UnknownId => out.extend(
                obs.unknown_id
                    .as_ref()
                    .map(|(_, o)| ("unknown Last-Event-ID", o)),
            ),
            Need::OddId => out.extend(
                obs.odd_id
                    .as_ref()
                    .map(|(_, o)| ("long non-ASCII Last-Event-ID", o)),
            ),
            Need::EndReconnect => out.extend(
                obs.end_reconnect
                    .as_ref()
                    .and_then(Option::as_ref)
                    .map(|o| ("reconnect after the end", o)),
            ),
            Need::Preflight => out.extend(obs.preflight.as_ref().map(|o| ("CORS preflight", o))),
            Need::Concurrent => {
                let streams = obs.concurrent.iter().flat_map(|c| c.streams.iter());
                for (i, o) in streams.enumerate() {
                    out.push((CONCURRENT_NAMES[i.min(CONCURRENT_NAMES.len() - 1)], o));
                }
            }
        }
    }
    out
}

fn end_text(o: &Observation) -> String {
    o.end.to_string()
}

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

/// One observation as the per-case JSON shows it.
fn observation_json(name: &str, o: &Observation) -> Value {
    let ms = |d: Duration| d.as_millis() as u64;
    let events: Vec<Value> = o
        .events()
        .take(20)
        .map(|(at, ty, data, id)| json!({"atMs": ms(at), "type": ty, "data": cut(data, 64), "id": cut(id, 64)}))
        .collect();
    let findings: Vec<Value> = o
        .lint
        .findings()
        .iter()
        .map(|f| json!({"line": f.line, "offset": f.offset, "rule": f.rule.describe(), "detail": f.detail}))
        .collect();
    let comments = o
        .items
        .iter()
        .filter(|(_, s)| matches!(s, Seen::Comment))
        .count();
    json!({
        "name": name,
        "url": format!("{}://{}{}", if o.target.tls { "https" } else { "http" }, o.target.host_header, o.target.path),
        "request": o.request,
        "redirects": o.redirects.iter().map(|(s, l)| json!({"status": s, "location": l})).collect::<Vec<_>>(),
        "response": o.head.as_ref().map(|h| h.raw.clone()),
        "headAtMs": o.head_at.map(ms),
        "framing": o.framing,
        "contentEncoding": o.coding,
        "rawDeflate": o.raw_deflate,
        "wireBytes": o.wire_bytes,
        "bodyBytes": o.lint.bytes(),
        "reads": o.arrivals.len(),
        "events": o.dispatched,
        "eventsKept": o.events().count(),
        "comments": comments,
        "firstEvents": events,
        "findings": findings,
        "end": end_text(o),
        "receivedBytes": o.received,
        "itemsNotKept": o.items_dropped,
        "limits": o.limits,
        "endedAtMs": ms(o.ended_at),
        "bodyStart": String::from_utf8_lossy(&o.body_head[..o.body_head.len().min(1024)]),
    })
}

/// The most entries of a timeline: longer streams are shown in as many equal
/// time slices, each summing its reads.
pub const MAX_TIMELINE: usize = 400;

/// The main stream's reads for the liveness cases' reports and their chart:
/// `[atMs, bytes, events, silenceMs]` per read (or per time slice of `sliceMs`
/// when there are more than [`MAX_TIMELINE`] reads), with the thresholds judged.
fn timeline_json(o: &Observation, settings: &Settings) -> Value {
    let ms = |d: Duration| d.as_millis() as u64;
    let reads: Vec<Read> = o.reads().collect();
    let slice = (reads.len() > MAX_TIMELINE)
        .then(|| (o.ended_at / MAX_TIMELINE as u32).max(Duration::from_millis(1)));
    let mut rows: Vec<[u64; 4]> = Vec::new();
    let mut last_slice = None;
    for r in &reads {
        let key = slice.map(|w| r.at.as_nanos() / w.as_nanos());
        match rows.last_mut() {
            Some(row) if key.is_some() && key == last_slice => {
                row[1] += r.bytes;
                row[2] += r.events;
            }
            _ => rows.push([ms(r.at), r.bytes, r.events, ms(r.silence)]),
        }
        last_slice = key;
    }
    json!({
        "headAtMs": o.head_at.map(ms),
        "endedAtMs": ms(o.ended_at),
        "heartbeatMs": ms(settings.heartbeat),
        "stallMs": ms(settings.stall()),
        "burstEvents": BURST,
        "sliceMs": slice.map(ms),
        "reads": rows,
    })
}

/// Judge one case and build its report.
pub fn report(
    case: &Case,
    verdict: Verdict,
    obs: &Observations,
    settings: &Settings,
    agent: &str,
) -> CaseReport {
    // DESIGN §7a: a limit that shaped the verdict never leaves it OK.
    let verdict = verdict.shaped_by(&[]);
    let used = used(obs, case.needs);
    let duration = used
        .iter()
        .map(|(_, o)| o.ended_at)
        .max()
        .unwrap_or_default();
    let group = case.id.split('.').nth(1).unwrap_or("");
    let detail = json!({
        "agent": agent,
        "case": case.id,
        "id": case.id,
        "description": case.description,
        "rule": case.rule,
        "expectation": case.expectation,
        "behavior": verdict.behavior.as_str(),
        "result": verdict.reason,
        "duration": duration.as_millis() as u64,
        "observations": used.iter().map(|(n, o)| observation_json(n, o)).collect::<Vec<_>>(),
    });
    let mut detail = detail;
    // The liveness cases (E.3) are judged from the reads' timing: their reports
    // carry the timeline, which the case page draws.
    if group == "3" {
        if let (Some(o), Some(map)) = (obs.main.as_ref(), detail.as_object_mut()) {
            map.insert("timeline".to_owned(), timeline_json(o, settings));
        }
    }
    CaseReport {
        id: case.id.to_owned(),
        sort_key: crate::core::sort_key(case.id),
        category: format!("E.{group}"),
        category_name: group_name(group).to_owned(),
        description: case.description.to_owned(),
        expectation: case.expectation.to_owned(),
        behavior: verdict.behavior,
        result: verdict.reason,
        close: None,
        duration_ms: duration.as_millis() as u64,
        report_time: false,
        compression: None,
        remote_close_code: None,
        // The HTTP version of the first observation this case judged that got a head.
        http: used
            .iter()
            .find_map(|(_, o)| o.head.as_ref())
            .and_then(|h| match h.version {
                2 => Some("2"),
                1 => Some("1.1"),
                0 => Some("1.0"),
                _ => None,
            }),
        limits: verdict.limits,
        detail: Detail::value(detail),
    }
}

/// Judge every case against the observations.
pub fn judge_all(
    cases: &[Case],
    settings: &Settings,
    obs: &Observations,
    agent: &str,
) -> Vec<CaseReport> {
    let cx = Ctx { settings, obs };
    cases
        .iter()
        .map(|c| report(c, (c.check)(&cx), obs, settings, agent))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_are_skipped_only_when_every_one_made_got_nothing_and_none_runs() {
        let mut t = Tally::default();
        assert_eq!(t.start(), Start::Now, "the first is always made");
        assert_eq!(t.start(), Start::Now, "so is one beside it");
        t.end(false);
        assert_eq!(t.start(), Start::Later, "one still runs and may yet answer");
        t.end(false);
        assert_eq!(t.start(), Start::Never, "all ended empty, none runs: skip");

        let mut t = Tally::default();
        t.start();
        t.start();
        t.end(false);
        t.end(true);
        assert_eq!(
            t.start(),
            Start::Now,
            "a server that answered is not silent"
        );
    }
}
