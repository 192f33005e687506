//! What `wirecheck ws` and `wirecheck sse` share as commands (DESIGN §3, §6): the
//! exit codes, the output format, the options of a run, header parsing, and the
//! `--format json` document. Each protocol's own command is in `ws::command` and
//! `sse::command`.

use std::path::PathBuf;

use serde_json::json;

use crate::report::{ColorChoice, Run};

/// Every case passed (DESIGN §3).
pub const EXIT_OK: u8 = 0;
/// At least one case failed.
pub const EXIT_FAILED: u8 = 1;
/// Usage or configuration error.
pub const EXIT_USAGE: u8 = 2;
/// The target could not be reached or never completed an opening handshake.
pub const EXIT_UNREACHABLE: u8 = 3;
/// Internal error.
pub const EXIT_INTERNAL: u8 = 4;

/// How the outcome is printed on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// The summary table and one line per case that is not OK.
    #[default]
    Text,
    /// One JSON document (see the README, "Validating your own server").
    Json,
}

/// The options both validating commands take (`wirecheck ws`, `wirecheck sse`).
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The server to validate; `None` starts the reference server in-process.
    pub url: Option<String>,
    /// Case patterns to run (all when empty).
    pub cases: Vec<String>,
    /// Case patterns to skip.
    pub exclude: Vec<String>,
    /// Cases (ws) or observations (sse) run at once.
    pub jobs: usize,
    /// The agent name for the reports.
    pub agent: Option<String>,
    /// Where the reports go.
    pub report_dir: PathBuf,
    /// Text or JSON on stdout.
    pub format: Format,
    /// NON-STRICT (and, for ws, every close verdict but OK) fails the run.
    pub strict: bool,
    /// Multiplies every timeout and case timer.
    pub timeout_scale: f64,
    /// `Origin` header to send (sse: enables the CORS cases).
    pub origin: Option<String>,
    /// Extra request headers, `Name: value`.
    pub headers: Vec<String>,
    /// When to colour the summary.
    pub color: ColorChoice,
    /// `wss://`, `https://`: accept any certificate (self-signed test servers).
    pub insecure: bool,
}

/// A usage error: the message and exit code 2.
pub fn usage(msg: String) -> u8 {
    eprintln!("wirecheck: {msg}");
    EXIT_USAGE
}

/// Parse `Name: value` headers.
pub fn parse_headers(raw: &[String]) -> Result<Vec<(String, String)>, String> {
    raw.iter()
        .map(|h| {
            let (k, v) = h
                .split_once(':')
                .ok_or_else(|| format!("--header {h:?} is not of the form 'Name: value'"))?;
            let k = k.trim();
            if k.is_empty() {
                return Err(format!("--header {h:?} has no name"));
            }
            Ok((k.to_owned(), v.trim().to_owned()))
        })
        .collect()
}

/// The `--format json` document: the run, one object per case, and the counts.
pub fn json_summary(run: &Run, dir: &std::path::Path) -> serde_json::Value {
    let mut counts = serde_json::Map::new();
    for c in &run.cases {
        let e = counts.entry(c.behavior.as_str()).or_insert(json!(0));
        *e = json!(e.as_u64().unwrap_or(0) + 1);
    }
    json!({
        "agent": run.agent,
        "cases": run.cases.iter().map(|c| json!({
            "id": c.id,
            "description": c.description,
            "behavior": c.behavior.as_str(),
            "behaviorClose": c.behavior_close.as_str(),
            "remoteCloseCode": c.remote_close_code,
            "duration": c.duration_ms,
            "result": c.result,
            "resultClose": c.result_close,
            "failed": c.fails(run.strict),
        })).collect::<Vec<_>>(),
        "summary": {
            "total": run.cases.len(),
            "behavior": counts,
            "failed": run.failed(),
            "wallTimeMs": run.wall_time.as_millis() as u64,
        },
        "reportDir": dir.display().to_string(),
    })
}
