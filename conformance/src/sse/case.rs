//! The shape of an SSE case: a small record (id, description, the rule it checks
//! with its section, what a conforming server does), the observations it needs,
//! and a check that judges them. A reviewer reads a case next to its rule without
//! reading the observer.
//!
//! Cases never do I/O. The runner makes each needed [`Need`] observation once
//! (several cases judge the same stream) and hands them over in a [`Ctx`].

use std::time::Duration;

use super::observe::Observation;
use crate::core::Behavior;

/// An observation a case judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Need {
    /// The stream as an EventSource opens it, read for `--duration`.
    Main,
    /// The same request without `Accept`.
    NoAccept,
    /// The same request offering `Accept-Encoding: gzip, deflate`.
    Gzip,
    /// A stream read until two events with ids, then a reconnect with
    /// `Last-Event-ID` set to the last id seen.
    Resume,
    /// A request with an id the server cannot know.
    UnknownId,
    /// A request with a long, non-ASCII, CORS-unsafe id.
    OddId,
    /// A reconnect after the server ended the main stream.
    EndReconnect,
    /// A CORS preflight for `Last-Event-ID` (only with `--origin`).
    Preflight,
    /// HTTP/2 only: [`CONCURRENT_STREAMS`] streams at once on one connection,
    /// as a browser opens the EventSources of several tabs.
    Concurrent,
}

/// How many streams [`Need::Concurrent`] opens on one connection.
pub const CONCURRENT_STREAMS: usize = 3;

impl Need {
    /// Its name in reports.
    pub const fn name(self) -> &'static str {
        match self {
            Need::Main => "stream",
            Need::NoAccept => "without Accept",
            Need::Gzip => "gzip offered",
            Need::Resume => "reconnect with Last-Event-ID",
            Need::UnknownId => "unknown Last-Event-ID",
            Need::OddId => "long non-ASCII Last-Event-ID",
            Need::EndReconnect => "reconnect after the stream ended",
            Need::Preflight => "CORS preflight",
            Need::Concurrent => "streams at once on one HTTP/2 connection",
        }
    }
}

/// The run's settings the cases judge against.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `--origin`.
    pub origin: Option<String>,
    /// The longest silence tolerated (`--heartbeat`, default 15 s).
    pub heartbeat: Duration,
    /// How long the main stream is observed (`--duration`).
    pub duration: Duration,
    /// `--timeout-scale`, applied to the stall threshold.
    pub timeout_scale: f64,
    /// `--data`: what every event's data must be.
    pub data: DataContract,
}

/// The stream's data contract (`--data text|json`), judged by E.2.10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum DataContract {
    /// Any text (the default): nothing to check.
    #[default]
    Text,
    /// Every event's data is one JSON text (RFC 8259).
    Json,
}

impl Settings {
    /// How long a stream may sit inside an incomplete event before the case calls it
    /// held back: 1 s, scaled.
    pub fn stall(&self) -> Duration {
        Duration::from_secs(1).mul_f64(self.timeout_scale)
    }
}

/// What the runner observed.
#[derive(Debug, Default)]
pub struct Observations {
    /// [`Need::Main`].
    pub main: Option<Observation>,
    /// [`Need::NoAccept`].
    pub no_accept: Option<Observation>,
    /// [`Need::Gzip`].
    pub gzip: Option<Observation>,
    /// [`Need::Resume`]: the first stream and the reconnect with the id sent.
    pub resume: Option<(Observation, Option<(String, Observation)>)>,
    /// [`Need::UnknownId`], with the id sent.
    pub unknown_id: Option<(String, Observation)>,
    /// [`Need::OddId`], with the id sent.
    pub odd_id: Option<(String, Observation)>,
    /// [`Need::EndReconnect`]: `None` inside when the main stream did not end.
    pub end_reconnect: Option<Option<Observation>>,
    /// [`Need::Preflight`].
    pub preflight: Option<Observation>,
    /// [`Need::Concurrent`].
    pub concurrent: Option<Concurrent>,
}

/// [`Need::Concurrent`]'s streams on one HTTP/2 connection.
#[derive(Debug, Default)]
pub struct Concurrent {
    /// The streams the server allows at once (its SETTINGS_MAX_CONCURRENT_STREAMS);
    /// `None` when no HTTP/2 connection was made.
    pub allowed: Option<usize>,
    /// The streams, in the order they were opened (none without a connection).
    pub streams: Vec<Observation>,
}

/// What a check gets.
#[derive(Debug)]
pub struct Ctx<'a> {
    /// The settings.
    pub settings: &'a Settings,
    /// The observations (those the case needs are present).
    pub obs: &'a Observations,
}

impl Ctx<'_> {
    /// The main stream (always observed when a case needs it).
    pub fn main(&self) -> &Observation {
        self.obs
            .main
            .as_ref()
            .expect("the runner observes what a case needs")
    }
}

/// A case's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The verdict.
    pub behavior: Behavior,
    /// One line: what was expected and what was received.
    pub reason: String,
    /// The limits of wirecheck's own that shaped it (`CaseReport::limits`).
    pub limits: Vec<String>,
}

impl Verdict {
    fn new(behavior: Behavior, reason: impl Into<String>) -> Verdict {
        Verdict {
            behavior,
            reason: reason.into(),
            limits: Vec::new(),
        }
    }

    /// Name `limits` as having shaped this verdict. DESIGN §7a: a limit never
    /// leaves it OK; what was judged up to the limit is reported, unscored.
    pub fn shaped_by(mut self, limits: &[String]) -> Verdict {
        for l in limits {
            if !self.limits.contains(l) {
                self.limits.push(l.clone());
            }
        }
        if !self.limits.is_empty() && self.behavior == Behavior::Ok {
            self.behavior = Behavior::Informational;
            self.reason = format!(
                "{} (judged only up to wirecheck's own limit: {})",
                self.reason,
                self.limits.join("; ")
            );
        }
        self
    }
}

/// The limit that stopped reading `o`, as a list for [`Verdict::shaped_by`]: what
/// cases judging the stream's bytes (the lint, the framing) were limited by.
pub fn stop_limit(o: &Observation) -> Vec<String> {
    o.stopped_at_limit()
        .map(|why| vec![why.to_owned()])
        .unwrap_or_default()
}

/// A case that judges `o`'s bytes: shaped by the limit that stopped the stream.
pub fn judged_bytes(o: &Observation, v: Verdict) -> Verdict {
    v.shaped_by(&stop_limit(o))
}

/// A case that judges what `o` kept (items, event times, reads): shaped by every
/// limit the observation hit.
pub fn judged_items(o: &Observation, v: Verdict) -> Verdict {
    v.shaped_by(&o.limits)
}

/// FAILED for an observation without a response head: why, with the limits that
/// caused it (an oversized head, too many redirects).
pub fn no_response(o: &Observation) -> Verdict {
    failed(response_summary(o)).shaped_by(&o.limits)
}

/// OK, with what was seen.
pub fn ok(reason: impl Into<String>) -> Verdict {
    Verdict::new(Behavior::Ok, reason)
}

/// FAILED: a MUST is broken, or what the server sent is lost in every browser.
pub fn failed(reason: impl Into<String>) -> Verdict {
    Verdict::new(Behavior::Failed, reason)
}

/// NON-STRICT: a SHOULD, or legal but fragile.
pub fn non_strict(reason: impl Into<String>) -> Verdict {
    Verdict::new(Behavior::NonStrict, reason)
}

/// INFORMATIONAL: reported, not scored.
pub fn info(reason: impl Into<String>) -> Verdict {
    Verdict::new(Behavior::Informational, reason)
}

/// UNIMPLEMENTED: the server does not offer what the case needs.
pub fn unimplemented(reason: impl Into<String>) -> Verdict {
    Verdict::new(Behavior::Unimplemented, reason)
}

/// One case.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    /// `E.<group>.<n>`.
    pub id: &'static str,
    /// What it checks, in one line.
    pub description: &'static str,
    /// The rule and its section (WHATWG HTML §9.2, RFC 9110/9112, Fetch).
    pub rule: &'static str,
    /// What a conforming server does.
    pub expectation: &'static str,
    /// The observations it judges.
    pub needs: &'static [Need],
    /// The judgement.
    pub check: fn(&Ctx<'_>) -> Verdict,
}

/// Seconds with one decimal, or milliseconds under a second.
pub fn secs(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// The status line and content type of an observation, for reasons
/// (`200, text/event-stream, chunked`), or why there was no response.
pub fn response_summary(o: &Observation) -> String {
    match (&o.head, &o.end) {
        (Some(h), _) => format!(
            "{} {}{}",
            h.status,
            h.get("content-type").unwrap_or("(no Content-Type)"),
            o.framing.map(|f| format!(", {f}")).unwrap_or_default()
        ),
        (None, end) => end.to_string(),
    }
}

/// The stream is one a browser would read: 200 and `text/event-stream`.
pub fn is_stream(o: &Observation) -> bool {
    o.head.as_ref().is_some_and(|h| {
        h.status == 200 && h.mime_essence().as_deref() == Some("text/event-stream")
    })
}
