//! `wirecheck clients ws [--port N] [--host ADDR] [selection/report flags]
//! [-- CMD ARG...]`.
//!
//! Without CMD it serves Autobahn's fuzzingserver protocol until interrupted
//! (or until a client asks `/stopServer`, or `/updateReports` with
//! `shutdownOnComplete=true`), writing the reports whenever a client asks and
//! once more at the end. With CMD it listens on a free loopback port, runs CMD
//! with every `{url}` in its arguments replaced by `ws://HOST:PORT` (and
//! `WIRECHECK_URL` in its environment), waits for it (bounded: the selected
//! cases' timers plus a margin), and judges: a case the client never ran is
//! FAILED, and the exit code is 0/1 as for `wirecheck ws`, 3 when the client
//! never connected.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::command::{
    EXIT_FAILED, EXIT_INTERNAL, EXIT_OK, EXIT_UNREACHABLE, Format, finish, usage,
};
use crate::core::{Behavior, BehaviorClose, Run, clean_for_filename};
use crate::report;
use crate::ws::cases;
use crate::ws::engine::EngineConfig;
use crate::ws::fuzzingserver::case_time;
use crate::ws::fuzzingserver::server::{FuzzingServer, OnUpdate, Results};
use crate::ws::result::CaseResult;
use crate::ws::run::select;

/// Autobahn's fuzzingserver port (its spec template: `ws://127.0.0.1:9001`).
pub const DEFAULT_PORT: u16 = 9001;

/// What the client command may take beyond its cases' timers.
const MARGIN: Duration = Duration::from_secs(60);

/// Run `wirecheck clients ws`; returns the exit code.
pub async fn run_clients_ws(opts: super::ClientsOptions) -> u8 {
    let run_opts = &opts.run;
    if let Err(e) = run_opts.preflight(&[]) {
        return usage(e);
    }
    if opts.command.first().is_some_and(String::is_empty) {
        return usage("the client command after -- is empty".to_owned());
    }
    let selected = match select(cases::for_clients(), &run_opts.cases, &run_opts.exclude) {
        Ok(c) if c.is_empty() => return usage("the selection contains no case".to_owned()),
        Ok(c) => c,
        Err(e) => return usage(e),
    };
    let engine = EngineConfig {
        timeout_scale: run_opts.timeout_scale,
        ..EngineConfig::default()
    };
    let timeouts = engine.timeouts();
    let bound = selected
        .iter()
        .map(|c| case_time(c, &timeouts) + timeouts.close_handshake)
        .sum::<Duration>()
        + MARGIN.mul_f64(run_opts.timeout_scale);
    let total = selected.len();
    let port = opts.port.unwrap_or(if opts.command.is_empty() {
        DEFAULT_PORT
    } else {
        0
    });
    let started = SystemTime::now();
    let clock = Instant::now();
    let on_update: OnUpdate = {
        let dir = run_opts.report_dir.clone();
        let strict = run_opts.strict;
        Arc::new(move |results: &Results| {
            let runs = runs(results, started, clock.elapsed(), strict);
            write_agents(&dir, &runs).map_err(|e| e.to_string())
        })
    };
    let server = match FuzzingServer::bind(
        SocketAddr::new(opts.host, port),
        selected.clone(),
        engine,
        on_update,
    )
    .await
    {
        Ok(s) => s,
        Err(e) => return usage(format!("cannot listen on {}:{port}: {e}", opts.host)),
    };
    let addr = match server.local_addr() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("wirecheck: {e}");
            return EXIT_INTERNAL;
        }
    };
    let url = format!("ws://{addr}");
    let grace = timeouts.case_cap + timeouts.close_handshake;

    let (served, child_status) = if opts.command.is_empty() {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "listening on {url} ({total} cases; a client driver connects to {url}/getCaseCount, \
             {url}/runCase?case=N&agent=NAME and {url}/updateReports?agent=NAME)"
        );
        let _ = out.flush();
        drop(out);
        let served = server
            .serve(
                async {
                    let _ = tokio::signal::ctrl_c().await;
                },
                grace,
            )
            .await;
        (served, None)
    } else {
        let child = match super::ClientCommand::spawn(&opts.command, &url) {
            Ok(c) => c,
            Err(e) => return usage(e),
        };
        let watched = child.watch(bound);
        let served = server.serve(watched.exited(), grace).await;
        (served, Some(watched.finish(grace).await))
    };
    let wall = clock.elapsed();

    if served.connections == 0 {
        eprintln!("wirecheck: the client never connected to {url}");
        return EXIT_UNREACHABLE;
    }
    let mut results = served.results;
    let mut ended = None;
    if let Some(status) = &child_status {
        ended = Some(status.before_running());
    }
    if let Some(agent) = &run_opts.agent {
        // `--agent` names the client: only its results are judged.
        results.retain(|a, _| a == agent);
        results.entry(agent.clone()).or_default();
    }
    if results.is_empty() {
        // Connected, but never ran a case under any agent.
        results.insert("UnknownClient".to_owned(), Vec::new());
    }
    if let Some(how) = &ended {
        // With a command, every selected case must have run.
        for agent_results in results.values_mut() {
            add_missing(agent_results, &selected, how);
        }
    }
    let runs = runs(&results, started, wall, run_opts.strict);
    if runs.len() == 1 {
        return finish(&runs[0], run_opts, 0);
    }
    let written = write_agents(&run_opts.report_dir, &runs);
    if let Err(e) = &written {
        eprintln!(
            "wirecheck: cannot write the reports to {}: {e}",
            run_opts.report_dir.display()
        );
    }
    let mut out = std::io::stdout().lock();
    for run in &runs {
        let dir = run_opts.report_dir.join(clean_for_filename(&run.agent));
        let _ = match run_opts.format {
            Format::Text => write!(
                out,
                "{}",
                report::summary::render(
                    run,
                    Some(&dir),
                    report::color_enabled(run_opts.color, false)
                )
            ),
            Format::Json => writeln!(out, "{}", crate::command::json_summary(run, Some(&dir))),
        };
    }
    if written.is_err() {
        EXIT_INTERNAL
    } else if runs.iter().any(|r| r.failed() > 0) {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

/// A FAILED result for each selected case `results` lacks: the client never
/// ran it (`how` says why the run ended).
fn add_missing(results: &mut Vec<CaseResult>, selected: &[crate::ws::case::Case], how: &str) {
    for (i, case) in selected.iter().enumerate() {
        if results.iter().any(|r| r.id == case.id) {
            continue;
        }
        let mut r = CaseResult::unrun(case, i + 1);
        r.behavior = Behavior::Failed;
        r.result = format!("the client never ran this case: {how}");
        r.behavior_close = BehaviorClose::Failed;
        r.result_close = "the case did not run".to_owned();
        results.push(r);
    }
}

fn runs(results: &Results, started: SystemTime, wall: Duration, strict: bool) -> Vec<Run> {
    results
        .iter()
        .map(|(agent, rs)| Run {
            client: true,
            ..Run::from_ws(agent, started, wall, strict, rs.clone())
        })
        .collect()
}

/// Write the reports of every agent: one agent's into `dir` as `wirecheck ws`
/// does; several agents' each into `dir/<agent>/`, with one `index.json` in
/// `dir` holding them all as Autobahn's does (its report files named with
/// their folder).
fn write_agents(dir: &Path, runs: &[Run]) -> std::io::Result<()> {
    if let [run] = runs {
        return report::write_all(dir, run).map(|_| ());
    }
    let mut index = BTreeMap::new();
    for run in runs {
        let sub = clean_for_filename(&run.agent);
        report::write_all(&dir.join(&sub), run)?;
        let mut cases = serde_json::Map::new();
        for case in &run.cases {
            let mut entry = report::index_json::entry(run, case);
            if let Some(file) = entry.get_mut("reportfile") {
                *file =
                    serde_json::Value::from(format!("{sub}/{}", file.as_str().unwrap_or_default()));
            }
            cases.insert(case.id.clone(), entry);
        }
        index.insert(run.agent.clone(), cases);
    }
    let value = crate::pyjson::sorted_object(
        index
            .into_iter()
            .map(|(agent, cases)| (agent, crate::pyjson::sorted_object(cases))),
    );
    let mut text = crate::pyjson::to_string(&value);
    text.push('\n');
    std::fs::write(dir.join("index.json"), text)
}
