//! `wirecheck ws [URL]` and `wirecheck cases ws [PAT]` (DESIGN §3): select cases,
//! run them against the target (or against the reference server started
//! in-process when no URL is given), write the reports, print the summary, and
//! map the outcome onto the exit codes.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Instant, SystemTime};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use super::cases;
use super::engine::{EngineConfig, Target};
use super::result::CaseResult;
use super::run::{pattern_matches, run_cases, select};
use crate::report::{self, ColorChoice, Run};
use crate::serve;
use crate::serve::Server as _;

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

/// The options of `wirecheck ws`.
pub type WsOptions = RunOptions;

/// A usage error: the message and exit code 2.
pub(crate) fn usage(msg: String) -> u8 {
    eprintln!("wirecheck: {msg}");
    EXIT_USAGE
}

/// Parse `Name: value` headers.
pub(crate) fn parse_headers(raw: &[String]) -> Result<Vec<(String, String)>, String> {
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

/// The agent name: `--agent`, else the server's `Server` header (as Autobahn does),
/// else `UnknownServer`.
fn agent_name(opts: &WsOptions, reference: bool, results: &[CaseResult]) -> String {
    if let Some(a) = &opts.agent {
        return a.clone();
    }
    if reference {
        return "wirecheck-reference".to_owned();
    }
    results
        .iter()
        .flat_map(|r| r.http_response.lines())
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case("server")
                .then(|| v.trim().to_owned())
        })
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "UnknownServer".to_owned())
}

/// Run `wirecheck ws`; returns the exit code.
pub async fn run_ws(opts: WsOptions) -> u8 {
    if !(opts.timeout_scale.is_finite() && opts.timeout_scale > 0.0) {
        return usage(format!(
            "--timeout-scale must be a positive number, not {}",
            opts.timeout_scale
        ));
    }
    let headers = match parse_headers(&opts.headers) {
        Ok(h) => h,
        Err(e) => return usage(e),
    };
    let selected = match select(cases::all(), &opts.cases, &opts.exclude) {
        Ok(c) if c.is_empty() => return usage("the selection contains no case".to_owned()),
        Ok(c) => c,
        Err(e) => return usage(e),
    };
    let mut reference = None;
    let target = match &opts.url {
        Some(url) => match Target::parse(url) {
            Ok(t) => t,
            Err(e) => return usage(e),
        },
        None => {
            let server = match serve::ws::bind(serve::ws::WsServerConfig::ephemeral()).await {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("wirecheck: cannot start the reference server: {e}");
                    return EXIT_INTERNAL;
                }
            };
            let server = match server.spawn() {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("wirecheck: cannot start the reference server: {e}");
                    return EXIT_INTERNAL;
                }
            };
            let url = server.url();
            reference = Some(server);
            match Target::parse(&url) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("wirecheck: {e}");
                    return EXIT_INTERNAL;
                }
            }
        }
    };
    let tls = match crate::tls::client_config(opts.insecure) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("wirecheck: cannot set up TLS: {e}");
            return EXIT_INTERNAL;
        }
    };
    let cfg = EngineConfig {
        timeout_scale: opts.timeout_scale,
        origin: opts.origin.clone(),
        headers,
        tls: Some(tls),
        ..EngineConfig::default()
    };

    let bar =
        ProgressBar::with_draw_target(Some(selected.len() as u64), ProgressDrawTarget::stderr());
    if !io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} {msg}")
    {
        bar.set_style(style);
    }
    let started = SystemTime::now();
    let clock = Instant::now();
    let results = run_cases(&target, &cfg, &selected, opts.jobs, |r| {
        bar.set_message(format!("{} {}", r.id, r.behavior));
        bar.inc(1);
    })
    .await;
    bar.finish_and_clear();
    let wall = clock.elapsed();
    if let Some(server) = reference {
        server.shutdown().await;
    }

    if !results.iter().any(|r| r.close.was_open) {
        let why = results
            .first()
            .map_or("no case ran".to_owned(), |r| r.result.clone());
        eprintln!(
            "wirecheck: {}:{} never completed an opening handshake: {why}",
            target.host, target.port
        );
        return EXIT_UNREACHABLE;
    }

    let agent = agent_name(&opts, opts.url.is_none(), &results);
    let run = Run::from_ws(&agent, started, wall, opts.strict, &results);
    let written = match report::write_all(&opts.report_dir, &run) {
        Ok(w) => w,
        Err(e) => {
            return usage(format!(
                "cannot write the reports to {}: {e}",
                opts.report_dir.display()
            ));
        }
    };
    let mut out = io::stdout().lock();
    let printed = match opts.format {
        Format::Text => {
            let color = report::color_enabled(opts.color, io::stdout().is_terminal());
            write!(
                out,
                "{}",
                report::summary::render(&run, Some(&written.dir), color)
            )
        }
        Format::Json => writeln!(out, "{}", json_summary(&run, &written.dir)),
    };
    if printed.is_err() {
        return EXIT_INTERNAL;
    }
    if run.failed() > 0 {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

/// The `--format json` document: the run, one object per case, and the counts.
pub(crate) fn json_summary(run: &Run, dir: &std::path::Path) -> serde_json::Value {
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

/// `wirecheck cases ws [PAT]`: print `id  description` for each case.
pub fn list_cases(pattern: Option<&str>) -> u8 {
    let all = cases::all();
    let mut out = io::stdout().lock();
    let mut any = false;
    for c in &all {
        let id = c.id.to_string();
        if pattern.is_none_or(|p| pattern_matches(p, &id)) {
            any = true;
            if writeln!(out, "{id:<10} {}", c.description).is_err() {
                return EXIT_OK;
            }
        }
    }
    if !any {
        return usage(format!(
            "the case pattern {:?} selects no case",
            pattern.unwrap_or_default()
        ));
    }
    EXIT_OK
}
