//! The shape of an SSE case: a small record (id, description, the rule it checks
//! with its section, what a conforming server does), the observations it needs,
//! and a check that judges them. A reviewer reads a case next to its rule without
//! reading the observer.
//!
//! Cases never do I/O. The runner makes each needed [`Need`] observation once
//! (several cases judge the same stream) and hands them over in a [`Ctx`].

use std::time::Duration;

use super::observe::{End, Observation};
use crate::report::Behavior;

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
}

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
}

/// OK, with what was seen.
pub fn ok(reason: impl Into<String>) -> Verdict {
    Verdict {
        behavior: Behavior::Ok,
        reason: reason.into(),
    }
}

/// FAILED: a MUST is broken, or what the server sent is lost in every browser.
pub fn failed(reason: impl Into<String>) -> Verdict {
    Verdict {
        behavior: Behavior::Failed,
        reason: reason.into(),
    }
}

/// NON-STRICT: a SHOULD, or legal but fragile.
pub fn non_strict(reason: impl Into<String>) -> Verdict {
    Verdict {
        behavior: Behavior::NonStrict,
        reason: reason.into(),
    }
}

/// INFORMATIONAL: reported, not scored.
pub fn info(reason: impl Into<String>) -> Verdict {
    Verdict {
        behavior: Behavior::Informational,
        reason: reason.into(),
    }
}

/// UNIMPLEMENTED: the server does not offer what the case needs.
pub fn unimplemented(reason: impl Into<String>) -> Verdict {
    Verdict {
        behavior: Behavior::Unimplemented,
        reason: reason.into(),
    }
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
        (None, End::NoResponse(why)) => format!("no response: {why}"),
        (None, end) => format!("no response ({end:?})"),
    }
}

/// The stream is one a browser would read: 200 and `text/event-stream`.
pub fn is_stream(o: &Observation) -> bool {
    o.head.as_ref().is_some_and(|h| {
        h.status == 200 && h.mime_essence().as_deref() == Some("text/event-stream")
    })
}
