//! The outcome of a run as every report reads it, whatever the protocol: a
//! [`Run`] of [`CaseReport`]s. A runner turns its own results into this model
//! (the WebSocket runner in `ws::report`, the SSE runner in `sse::run`); the
//! renderers in `report` read nothing else. A case's protocol-specific detail
//! travels as its per-case JSON ([`Detail`]), made by the runner.
//!
//! Not every protocol has a close verdict: WebSocket scores its close
//! handshake (`behaviorClose`, Autobahn's second verdict), SSE has no close
//! handshake to score. [`CaseReport::close`] is `None` for such a case, and
//! every renderer shows no close verdict for it rather than a made-up one.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::id::{CaseId, IdPart};
use super::verdict::{Behavior, BehaviorClose};

/// Which protocol a run validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `wirecheck ws`.
    Ws,
    /// `wirecheck sse`.
    Sse,
    /// `wirecheck proxy`: a case per proxied connection.
    Proxy,
}

impl Protocol {
    /// `"ws"` or `"sse"`, as the subcommand and the default report folder name it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Protocol::Ws => "ws",
            Protocol::Sse => "sse",
            Protocol::Proxy => "proxy",
        }
    }
}

/// One run: every selected case against one server.
#[derive(Debug, Clone)]
pub struct Run {
    /// The agent name (`--agent`): the key of `index.json` and the prefix of the
    /// per-case file names.
    pub agent: String,
    /// The protocol validated.
    pub kind: Protocol,
    /// Whether it tested a client (`wirecheck clients ws|sse`), not a server.
    pub client: bool,
    /// When the run started.
    pub started: SystemTime,
    /// Wall-clock time of the whole run.
    pub wall_time: Duration,
    /// `--strict`: NON-STRICT counts as a failure (JUnit, summary, [`Run::failed`]).
    pub strict: bool,
    /// The cases, sorted by [`CaseReport::sort_key`].
    pub cases: Vec<CaseReport>,
}

/// One case's outcome, as every report needs it.
#[derive(Debug, Clone)]
pub struct CaseReport {
    /// The id as printed (`6.4.3`, `H.1.2`, `E.2.1`).
    pub id: String,
    /// The id's order: numerically, component by component (`1.1.2` < `1.1.10`).
    pub sort_key: CaseId,
    /// The category: the id's first component (`6`).
    pub category: String,
    /// The category's name (`UTF-8 Handling`).
    pub category_name: String,
    /// What the case does.
    pub description: String,
    /// What a conforming peer does.
    pub expectation: String,
    /// The `behavior` verdict.
    pub behavior: Behavior,
    /// Why (one line: what was expected, what was received).
    pub result: String,
    /// The `behaviorClose` verdict and its reason; `None` when the protocol
    /// has no close verdict (SSE).
    pub close: Option<CloseVerdict>,
    /// Milliseconds, as Autobahn measures them (from the open connection to the TCP close).
    pub duration_ms: u64,
    /// Whether the duration is the point of the case (shown next to the verdict).
    pub report_time: bool,
    /// A compression case's ratios as Autobahn's index shows them next to the
    /// duration: `[in/out]`, compressed / inflated bytes each way.
    pub compression: Option<String>,
    /// The close code the peer sent, if any.
    pub remote_close_code: Option<u16>,
    /// The HTTP version of the case's connection (`1.1`, `1.0`, `2`), `None`
    /// when it made none (`--format json`: `"http"`).
    pub http: Option<&'static str>,
    /// Every limit of wirecheck's own that this case hit (README "Limits"), one
    /// line each: what was capped and what was dropped. A limit that shaped the
    /// verdict never leaves it OK (DESIGN §7a); the summary lists them all.
    pub limits: Vec<String>,
    /// The per-case JSON, written as is to `<agent>_case_<id>.json` and rendered
    /// on the detail page. Keys in the order they are written.
    pub detail: Detail,
}

/// The `behaviorClose` verdict of a case, with its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseVerdict {
    /// The verdict.
    pub behavior: BehaviorClose,
    /// Why (one line).
    pub result: String,
}

/// A case's per-case JSON, made when its files are written: the details of a
/// whole run, as JSON values all at once, can take many times the memory of
/// the records they are made from (DESIGN §7a), so `report::write_all` makes one,
/// writes it, and drops it before the next.
#[derive(Clone)]
pub struct Detail(std::sync::Arc<dyn Fn() -> serde_json::Value + Send + Sync>);

impl Detail {
    /// A detail made by `make` when it is needed.
    pub fn lazy(make: impl Fn() -> serde_json::Value + Send + Sync + 'static) -> Detail {
        Detail(std::sync::Arc::new(make))
    }

    /// A detail that is already made.
    pub fn value(value: serde_json::Value) -> Detail {
        Detail::lazy(move || value.clone())
    }

    /// The JSON.
    pub fn json(&self) -> serde_json::Value {
        (self.0)()
    }
}

impl std::fmt::Debug for Detail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Detail(..)")
    }
}

/// The order of a case id as reports list them: the id parsed as a
/// [`CaseId`]; an id that does not parse sorts by its text, after every one
/// that does.
pub fn sort_key(id: &str) -> CaseId {
    CaseId::parse(id).unwrap_or_else(|| CaseId(vec![IdPart::Name(format!("~{id}"))]))
}

impl CaseReport {
    /// `behavior` fails the run: FAILED, or NON-STRICT under `--strict` (DESIGN §3).
    pub fn behavior_fails(&self, strict: bool) -> bool {
        self.behavior.fails(strict)
    }

    /// The `behaviorClose` verdict, if the protocol has one.
    pub fn behavior_close(&self) -> Option<BehaviorClose> {
        self.close.as_ref().map(|c| c.behavior)
    }

    /// `behaviorClose` is a failure: FAILED, WRONG CODE, UNCLEAN or FAILED BY
    /// CLIENT. A case without a close verdict never fails by its close.
    pub fn close_fails(&self) -> bool {
        matches!(
            self.behavior_close(),
            Some(
                BehaviorClose::Failed
                    | BehaviorClose::WrongCode
                    | BehaviorClose::Unclean
                    | BehaviorClose::FailedByClient
            )
        )
    }

    /// The case fails: its behavior or its close does (a JUnit `failure`).
    pub fn fails(&self, strict: bool) -> bool {
        self.behavior_fails(strict) || self.close_fails()
    }

    /// Every verdict the case has is OK: `behavior`, and `behaviorClose` if
    /// the protocol has one.
    pub fn is_ok(&self) -> bool {
        self.behavior == Behavior::Ok
            && self.behavior_close().is_none_or(|c| c == BehaviorClose::Ok)
    }
}

impl Run {
    /// The HTTP version every connection of the run spoke; `None` when none
    /// was made or they differ.
    pub fn http(&self) -> Option<&'static str> {
        let mut versions = self.cases.iter().filter_map(|c| c.http);
        let first = versions.next()?;
        versions.all(|v| v == first).then_some(first)
    }

    /// Sort the cases by id, as every report lists them.
    pub fn sort(&mut self) {
        self.cases.sort_by(|a, b| a.sort_key.cmp(&b.sort_key));
    }

    /// Whether the run has close verdicts to show: some case has one (every
    /// WebSocket case; no SSE case). The HTML, JUnit and text reports show
    /// no close column when it has none.
    pub fn has_close_verdicts(&self) -> bool {
        self.cases.iter().any(|c| c.close.is_some())
    }

    /// The cases that hit a limit of wirecheck's own, with the limits they hit.
    pub fn limits_hit(&self) -> impl Iterator<Item = &CaseReport> {
        self.cases.iter().filter(|c| !c.limits.is_empty())
    }

    /// How many cases fail (behavior or close; NON-STRICT only under `strict`).
    pub fn failed(&self) -> usize {
        self.cases.iter().filter(|c| c.fails(self.strict)).count()
    }

    /// The cases grouped by category, in order (categories appear in the order
    /// of their first case, which is sorted order).
    pub fn categories(&self) -> Vec<(&str, &str, Vec<&CaseReport>)> {
        let mut groups: Vec<(&str, &str, Vec<&CaseReport>)> = Vec::new();
        for case in &self.cases {
            match groups.iter_mut().find(|g| g.0 == case.category) {
                Some(group) => group.2.push(case),
                None => groups.push((&case.category, &case.category_name, vec![case])),
            }
        }
        groups
    }

    /// The per-case file name stem (`tungstenite_case_6_4_3`); add `.json` or `.html`.
    pub fn case_file_stem(&self, id: &str) -> String {
        case_file_stem(&self.agent, id)
    }
}

/// Autobahn's `cleanForFilename`: lower-case the agent, turn every character
/// outside `[a-z0-9]` into a space, trim spaces at both ends, and replace the
/// remaining spaces with `_` (`ws@8.18.3` → `ws_8_18_3`, `-x-` → `x`).
pub fn clean_for_filename(agent: &str) -> String {
    let spaced: String = agent
        .trim()
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                ' '
            }
        })
        .collect();
    spaced.trim_matches(' ').replace(' ', "_")
}

/// `<agent>_case_<id with _>`, Autobahn's per-case file name without its extension.
pub fn case_file_stem(agent: &str, id: &str) -> String {
    format!(
        "{}_case_{}",
        clean_for_filename(agent),
        id.replace('.', "_")
    )
}

/// `2014-05-23T13:03:44.123Z`: UTC, milliseconds truncated, as Autobahn's
/// `utcnow()` writes `started`. Times before 1970 print as the epoch.
pub fn iso8601_utc(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let millis = since.subsec_millis();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March-based
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The HTTP version of a response head as the reports show it: `HTTP/2 200`
/// gives `2`, `HTTP/1.1 101 ...` gives `1.1`; `None` for no head.
pub fn http_version_of(head: &str) -> Option<&'static str> {
    let version = head.split(' ').next()?;
    match version {
        "HTTP/2" => Some("2"),
        "HTTP/1.1" => Some("1.1"),
        "HTTP/1.0" => Some("1.0"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_follow_autobahn() {
        assert_eq!(clean_for_filename("ws@8.18.3"), "ws_8_18_3");
        assert_eq!(clean_for_filename("Tungstenite"), "tungstenite");
        assert_eq!(clean_for_filename(" -My Server/1.0- "), "my_server_1_0");
        assert_eq!(clean_for_filename("a  b"), "a__b");
        assert_eq!(clean_for_filename("Ünï"), "n");
        assert_eq!(case_file_stem("ws-local", "6.4.1"), "ws_local_case_6_4_1");
        assert_eq!(case_file_stem("x", "H.1.2"), "x_case_H_1_2");
    }

    fn case(behavior: Behavior, close: Option<BehaviorClose>) -> CaseReport {
        CaseReport {
            id: "1.1".to_owned(),
            sort_key: sort_key("1.1"),
            category: "1".to_owned(),
            category_name: String::new(),
            description: String::new(),
            expectation: String::new(),
            behavior,
            result: String::new(),
            close: close.map(|behavior| CloseVerdict {
                behavior,
                result: String::new(),
            }),
            duration_ms: 0,
            report_time: false,
            compression: None,
            remote_close_code: None,
            http: None,
            limits: Vec::new(),
            detail: Detail::value(serde_json::Value::Null),
        }
    }

    #[test]
    fn a_missing_close_verdict_neither_fails_nor_spoils_ok() {
        use BehaviorClose as C;
        assert!(case(Behavior::Ok, None).is_ok());
        assert!(case(Behavior::Ok, Some(C::Ok)).is_ok());
        assert!(!case(Behavior::Ok, Some(C::Informational)).is_ok());
        assert!(!case(Behavior::Failed, None).is_ok());
        assert!(!case(Behavior::Ok, None).close_fails());
        assert!(case(Behavior::Ok, Some(C::Unclean)).close_fails());
        assert!(!case(Behavior::Ok, Some(C::Informational)).close_fails());
        assert!(case(Behavior::Failed, None).fails(false));
        assert!(case(Behavior::NonStrict, None).fails(true));
        assert!(!case(Behavior::NonStrict, None).fails(false));

        let mut run = Run {
            agent: "a".to_owned(),
            kind: Protocol::Sse,
            client: false,
            started: UNIX_EPOCH,
            wall_time: Duration::ZERO,
            strict: false,
            cases: vec![case(Behavior::Ok, None), case(Behavior::Failed, None)],
        };
        assert!(!run.has_close_verdicts());
        assert_eq!(run.failed(), 1);
        run.cases.push(case(Behavior::Ok, Some(C::FailedByClient)));
        assert!(run.has_close_verdicts());
        assert_eq!(run.failed(), 2);
    }

    #[test]
    fn ids_sort_numerically() {
        let mut ids = ["12.1.1", "1.1.10", "1.1.2", "2.10", "2.9", "H.1", "9.1.1"];
        ids.sort_by_key(|id| sort_key(id));
        assert_eq!(
            ids,
            ["1.1.2", "1.1.10", "2.9", "2.10", "9.1.1", "12.1.1", "H.1"]
        );
    }

    #[test]
    fn timestamps_are_iso8601_utc_with_millis() {
        let at = |secs: u64, nanos: u32| UNIX_EPOCH + Duration::new(secs, nanos);
        assert_eq!(iso8601_utc(at(0, 0)), "1970-01-01T00:00:00.000Z");
        // date -u -d @1400850224 → 2014-05-23 13:03:44
        assert_eq!(
            iso8601_utc(at(1_400_850_224, 123_999_999)),
            "2014-05-23T13:03:44.123Z"
        );
        // Leap days and century rules: 2000-02-29, 2100-03-01.
        assert_eq!(iso8601_utc(at(951_782_400, 0)), "2000-02-29T00:00:00.000Z");
        assert_eq!(
            iso8601_utc(at(4_107_542_400, 0)),
            "2100-03-01T00:00:00.000Z"
        );
        assert_eq!(
            iso8601_utc(at(1_767_225_599, 999_000_000)),
            "2025-12-31T23:59:59.999Z"
        );
    }

    #[test]
    fn the_run_names_an_http_version_only_when_every_connection_spoke_it() {
        assert_eq!(http_version_of("HTTP/2 200\r\n"), Some("2"));
        assert_eq!(
            http_version_of("HTTP/1.1 101 Switching Protocols\r\n"),
            Some("1.1")
        );
        assert_eq!(http_version_of(""), None);
        assert_eq!(http_version_of("ICY 200 OK"), None);
        let with = |versions: &[Option<&'static str>]| Run {
            agent: "a".into(),
            kind: Protocol::Ws,
            client: false,
            started: std::time::UNIX_EPOCH,
            wall_time: Duration::ZERO,
            strict: false,
            cases: versions
                .iter()
                .map(|v| CaseReport {
                    http: *v,
                    ..case(Behavior::Ok, None)
                })
                .collect(),
        };
        assert_eq!(with(&[Some("2"), None, Some("2")]).http(), Some("2"));
        assert_eq!(with(&[Some("2"), Some("1.1")]).http(), None);
        assert_eq!(with(&[None]).http(), None);
    }
}
