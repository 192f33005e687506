//! `wirecheck ws [URL]` and `wirecheck cases ws [PAT]` (DESIGN §3): select cases,
//! run them against the target (or against the reference server started
//! in-process when no URL is given), write the reports, print the summary, and
//! map the outcome onto the exit codes.

use std::io::{self, IsTerminal, Write};
use std::time::{Instant, SystemTime};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::cases;
use super::engine::{EngineConfig, Target};
use super::result::CaseResult;
use super::run::{pattern_matches, run_cases, select};
use crate::command::{
    EXIT_FAILED, EXIT_INTERNAL, EXIT_OK, EXIT_UNREACHABLE, Format, RunOptions, json_summary, usage,
};
use crate::report::{self, Run};
use crate::serve;
use crate::serve::Server as _;

/// The request headers wirecheck writes itself (RFC 6455 §4.1 items 4-10, and
/// no body on the GET, RFC 9112 §6): `--header` may not repeat or replace them.
/// `Sec-WebSocket-Accept` belongs to the server's answer (§4.2.2 item 5.4).
const OWNED_HEADERS: &[&str] = &[
    "host",
    "upgrade",
    "connection",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-accept",
    "sec-websocket-protocol",
    "sec-websocket-extensions",
    "origin",
    "content-length",
    "transfer-encoding",
];

/// The options of `wirecheck ws`.
pub type WsOptions = RunOptions;

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
    let headers = match opts.preflight(OWNED_HEADERS) {
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
