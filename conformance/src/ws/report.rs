//! WebSocket results into `core`'s outcome model: a [`CaseReport`] per
//! [`CaseResult`] (its detail the Autobahn per-case JSON of [`super::case_json`]),
//! and the category names the HTML, JUnit and text reports use.

use std::time::{Duration, SystemTime};

use super::case_json;
use super::result::CaseResult;
use crate::core::{CaseReport, CloseVerdict, Detail, Protocol, Run};

/// The name of a WebSocket case category: Autobahn's (`CaseCategories`) for the
/// numeric ones, wirecheck's for its own letters (DESIGN §5).
pub fn category_name(category: &str) -> &'static str {
    match category {
        "1" => "Framing",
        "2" => "Pings/Pongs",
        "3" => "Reserved Bits",
        "4" => "Opcodes",
        "5" => "Fragmentation",
        "6" => "UTF-8 Handling",
        "7" => "Close Handling",
        "9" => "Limits/Performance",
        "10" => "Misc",
        "12" => "WebSocket Compression (different payloads)",
        "13" => "WebSocket Compression (different parameters)",
        "H" => "Opening Handshake",
        "H2" => "WebSockets over HTTP/2 Streams",
        "X" => "Framing Rules Autobahn Does Not Test",
        "S" => "Security and Robustness",
        "C" => "Client Rules Autobahn Does Not Test",
        _ => "Misc",
    }
}

impl CaseReport {
    /// The report of one WebSocket case run by `agent`.
    pub fn from_ws(result: CaseResult, agent: &str) -> CaseReport {
        let id = result.id.to_string();
        let category = result.id.category();
        CaseReport {
            sort_key: result.id.clone(),
            category_name: category_name(&category).to_owned(),
            category,
            description: result.description.clone(),
            expectation: result.expectation.clone(),
            behavior: result.behavior,
            result: result.result.clone(),
            close: Some(CloseVerdict {
                behavior: result.behavior_close,
                result: result.result_close.clone(),
            }),
            duration_ms: result.duration_ms,
            report_time: result.report_time,
            compression: result.traffic.map(|t| t.ratios_note()),
            remote_close_code: result.close.remote_close_code,
            http: crate::core::outcome::http_version_of(&result.http_response),
            limits: result.limits.clone(),
            detail: {
                let agent = agent.to_owned();
                Detail::lazy(move || case_json::render(&result, &agent))
            },
            id,
        }
    }
}

impl Run {
    /// A WebSocket run: `results` in any order (the run sorts them by id).
    pub fn from_ws(
        agent: &str,
        started: SystemTime,
        wall_time: Duration,
        strict: bool,
        results: Vec<CaseResult>,
    ) -> Run {
        let mut run = Run {
            agent: agent.to_owned(),
            kind: Protocol::Ws,
            client: false,
            started,
            wall_time,
            strict,
            cases: results
                .into_iter()
                .map(|r| CaseReport::from_ws(r, agent))
                .collect(),
        };
        run.sort();
        run
    }
}
