//! What `wirecheck ws` and `wirecheck sse` share as commands (DESIGN §3, §6): the
//! exit codes, the output format, the options of a run, header parsing, and the
//! `--format json` document. Each protocol's own command is in `ws::command` and
//! `sse::command`.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use serde_json::json;
use wirecheck_codec::ws::handshake::{is_field_value, is_token};

use crate::report::{self, ColorChoice, Run};

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
    /// The HTTP version every connection speaks (`--http`).
    pub http: crate::net::Http,
}

/// A usage error: the message and exit code 2.
pub fn usage(msg: String) -> u8 {
    eprintln!("wirecheck: {msg}");
    EXIT_USAGE
}

/// `--timeout-scale` bounds: below 0.01 every timer is shorter than a loopback
/// round trip under load; above 100 a single case could wait over 8 minutes. The
/// bounds also keep every scaled [`std::time::Duration`] far from overflow.
pub const TIMEOUT_SCALE: (f64, f64) = (0.01, 100.0);
/// `-j` bound: more connections at once than this measure the machine, not the server.
/// Each open connection may keep a few MiB whatever the server sends
/// (`ws::bounds`), and at most `-j` + `ws::slots::WAITING_CONNECTIONS` are open:
/// 32 keeps a run under 300 MB (DESIGN §7a).
pub const MAX_JOBS: usize = 32;
/// The longest `--duration` or `--heartbeat`, in seconds (a day).
pub const MAX_SECONDS: f64 = 86_400.0;

/// A number of seconds given on the command line: finite, above 0, at most a day.
pub fn seconds(flag: &str, v: f64) -> Result<std::time::Duration, String> {
    if v.is_finite() && v > 0.0 && v <= MAX_SECONDS {
        Ok(std::time::Duration::from_secs_f64(v))
    } else {
        Err(format!(
            "{flag} must be a number of seconds above 0 and at most {MAX_SECONDS}, not {v}"
        ))
    }
}

impl RunOptions {
    /// Every check of the options that needs no network, for `ws` and `sse` alike
    /// (DESIGN §3: usage errors are found before any traffic): the numeric ranges,
    /// the headers (`owned`: names the protocol's request writes itself, lower
    /// case), and the report folder, created and written to once. Returns the
    /// parsed headers.
    pub fn preflight(&self, owned: &[&str]) -> Result<Vec<(String, String)>, String> {
        let (lo, hi) = TIMEOUT_SCALE;
        if !(self.timeout_scale.is_finite() && (lo..=hi).contains(&self.timeout_scale)) {
            return Err(format!(
                "--timeout-scale must be a number from {lo} to {hi}, not {}",
                self.timeout_scale
            ));
        }
        if !(1..=MAX_JOBS).contains(&self.jobs) {
            return Err(format!(
                "-j must be from 1 to {MAX_JOBS}, not {}",
                self.jobs
            ));
        }
        if let Some(o) = &self.origin {
            if o.is_empty() || !is_field_value(o.as_bytes()) {
                return Err(format!("--origin {o:?} is empty or has a control byte"));
            }
        }
        let headers = parse_headers(&self.headers, owned)?;
        crate::report::prepare_dir(&self.report_dir).map_err(|e| {
            format!(
                "cannot write the reports to {}: {e}",
                self.report_dir.display()
            )
        })?;
        Ok(headers)
    }
}

/// Parse `Name: value` headers: the name a token, the value free of control
/// bytes, and no header in `owned` (lower-case names the request writes itself:
/// a second `Upgrade` or `Sec-WebSocket-Key` would make the handshake fail for
/// a reason that is wirecheck's, not the server's).
pub fn parse_headers(raw: &[String], owned: &[&str]) -> Result<Vec<(String, String)>, String> {
    raw.iter()
        .map(|h| {
            let (k, v) = h
                .split_once(':')
                .ok_or_else(|| format!("--header {h:?} is not of the form 'Name: value'"))?;
            let k = k.trim();
            if k.is_empty() {
                return Err(format!("--header {h:?} has no name"));
            }
            if !is_token(k.as_bytes()) {
                return Err(format!(
                    "--header {h:?}: the name {k:?} is not an HTTP token (RFC 9110 §5.1)"
                ));
            }
            if !is_field_value(v.as_bytes()) {
                return Err(format!(
                    "--header {h:?}: the value has a control byte such as CR or LF (RFC 9110 §5.5)"
                ));
            }
            if owned.iter().any(|o| k.eq_ignore_ascii_case(o)) {
                return Err(format!(
                    "--header {h:?}: wirecheck writes {k} itself and cannot let it be replaced"
                ));
            }
            Ok((k.to_owned(), v.trim().to_owned()))
        })
        .collect()
}

/// The end of every validating run: write the reports, print the summary (text
/// or JSON) on stdout, and map the outcome onto the exit code. The summary is
/// printed even when the reports cannot be written, so the results are never
/// lost (the folder was tested before the run; this is a disk that filled up).
/// `panicked` cases are already in `run` as FAILED; they make the exit code 4.
pub fn finish(run: &Run, opts: &RunOptions, panicked: usize) -> u8 {
    let written = report::write_all(&opts.report_dir, run);
    // The folder was created and written to before the run: failing now is the
    // machine's (a full disk), an internal error, not a usage error.
    if let Err(e) = &written {
        eprintln!(
            "wirecheck: cannot write the reports to {}: {e}",
            opts.report_dir.display()
        );
    }
    let dir = written.as_ref().ok().map(|w| w.dir.as_path());
    let mut out = io::stdout().lock();
    let printed = match opts.format {
        Format::Text => {
            let color = report::color_enabled(opts.color, io::stdout().is_terminal());
            write!(out, "{}", report::summary::render(run, dir, color))
        }
        Format::Json => writeln!(out, "{}", json_summary(run, dir)),
    };
    if panicked > 0 {
        eprintln!(
            "wirecheck: internal error: {panicked} case(s) panicked; each is reported as FAILED"
        );
        return EXIT_INTERNAL;
    }
    if printed.is_err() {
        return EXIT_INTERNAL;
    }
    if written.is_err() {
        return EXIT_INTERNAL;
    }
    if run.failed() > 0 {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

/// The `--format json` document: the run, one object per case, and the counts.
/// `behaviorClose` and `resultClose` are `null` for a case without a close
/// verdict (SSE), as `remoteCloseCode` is for a case without a close code.
pub fn json_summary(run: &Run, dir: Option<&std::path::Path>) -> serde_json::Value {
    let mut counts = serde_json::Map::new();
    for c in &run.cases {
        let e = counts.entry(c.behavior.as_str()).or_insert(json!(0));
        *e = json!(e.as_u64().unwrap_or(0) + 1);
    }
    json!({
        "agent": run.agent,
        // The one every connection spoke (`null`: none was made, or they differ).
        "http": run.http(),
        "cases": run.cases.iter().map(|c| json!({
            "id": c.id,
            "description": c.description,
            "behavior": c.behavior.as_str(),
            "behaviorClose": c.behavior_close().map(|b| b.as_str()),
            "remoteCloseCode": c.remote_close_code,
            "http": c.http,
            "duration": c.duration_ms,
            "result": c.result,
            "resultClose": c.close.as_ref().map(|v| v.result.as_str()),
            "failed": c.fails(run.strict),
            "limits": c.limits,
        })).collect::<Vec<_>>(),
        "summary": {
            "total": run.cases.len(),
            "behavior": counts,
            "failed": run.failed(),
            "limitsHit": run.limits_hit().count(),
            "wallTimeMs": run.wall_time.as_millis() as u64,
        },
        "reportDir": dir.map(|d| d.display().to_string()),
    })
}
