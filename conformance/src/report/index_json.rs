//! `index.json`, exactly Autobahn's (autobahn.md §9.2): `{agent: {case id:
//! {behavior, behaviorClose, duration, remoteCloseCode, reportfile}}}`, keys
//! sorted as Python sorts strings (`"1.1.10"` before `"1.1.2"`), written by
//! [`pyjson`](crate::pyjson) with a final newline, so scripts that read or diff
//! Autobahn's index keep working (§9.7).
//!
//! Every entry has all five keys, as Autobahn's readers expect. A case without
//! a close verdict (SSE: no close handshake) writes `behaviorClose`
//! INFORMATIONAL, Autobahn's own value for a close that is not scored: a
//! reader of the format takes it, and never counts it as a failure.

use serde_json::{Value, json};

use super::{BehaviorClose, CaseReport, Run};
use crate::pyjson::{self, sorted_object};

/// What `behaviorClose` says for a case that has no close verdict.
pub const NO_CLOSE_VERDICT: BehaviorClose = BehaviorClose::Informational;

/// The five fields of one case.
pub fn entry(run: &Run, case: &CaseReport) -> Value {
    sorted_object([
        ("behavior".to_owned(), json!(case.behavior.as_str())),
        (
            "behaviorClose".to_owned(),
            json!(case.behavior_close().unwrap_or(NO_CLOSE_VERDICT).as_str()),
        ),
        ("duration".to_owned(), json!(case.duration_ms)),
        ("remoteCloseCode".to_owned(), json!(case.remote_close_code)),
        (
            "reportfile".to_owned(),
            json!(format!("{}.json", run.case_file_stem(&case.id))),
        ),
    ])
}

/// The index as a JSON value, keys in Autobahn's order.
pub fn value(run: &Run) -> Value {
    let cases = sorted_object(
        run.cases
            .iter()
            .map(|case| (case.id.clone(), entry(run, case))),
    );
    sorted_object([(run.agent.clone(), cases)])
}

/// The text of `index.json`.
pub fn render(run: &Run) -> String {
    let mut text = pyjson::to_string(&value(run));
    text.push('\n');
    text
}
