//! `wirecheck clients sse [--port N] [--host ADDR] [selection/report flags]
//! [-- CMD ARG...]`: test an EventSource client with the `EC.` cases
//! ([`crate::sse::fuzzing`]). Without CMD it serves until the adapter posts
//! `/done` (or Ctrl-C); with CMD it runs it against `{url}` /
//! `$WIRECHECK_URL`, bounded, and judges: exit 0/1 as for `wirecheck sse`, 3
//! when the client never connected.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde_json::json;

use crate::command::{EXIT_UNREACHABLE, finish, usage};
use crate::core::{CaseReport, Detail, Protocol, Run, select_by, sort_key};
use crate::sse::case::{Verdict, failed};
use crate::sse::fuzzing::cases::{self, ClientCase, Seen};
use crate::sse::fuzzing::server::SseFuzzingServer;

/// The port without a command (a free one with a command).
pub const DEFAULT_PORT: u16 = 9002;

/// How long each case may take a client, in the bound of a command's run.
const PER_CASE: Duration = Duration::from_secs(5);
/// What the command may take beyond that.
const MARGIN: Duration = Duration::from_secs(30);
/// How long requests are still watched once the run ends: a client that
/// reconnects where it must not is still seen.
const GRACE: Duration = Duration::from_secs(2);

/// Run `wirecheck clients sse`; returns the exit code.
pub async fn run_clients_sse(opts: super::ClientsOptions) -> u8 {
    let run_opts = &opts.run;
    if let Err(e) = run_opts.preflight(&[]) {
        return usage(e);
    }
    let selected = match select_by(
        cases::cases(),
        |c: &ClientCase| c.id.to_owned(),
        &run_opts.cases,
        &run_opts.exclude,
        "sse client",
    ) {
        Ok(c) if c.is_empty() => return usage("the selection contains no case".to_owned()),
        Ok(c) => c,
        Err(e) => return usage(e),
    };
    let bound = (PER_CASE * selected.len() as u32 + MARGIN).mul_f64(run_opts.timeout_scale);
    let port = opts.port.unwrap_or(if opts.command.is_empty() {
        DEFAULT_PORT
    } else {
        0
    });
    let started = SystemTime::now();
    let clock = Instant::now();
    let selected = Arc::new(selected);
    let server =
        match SseFuzzingServer::bind(SocketAddr::new(opts.host, port), Arc::clone(&selected)).await
        {
            Ok(s) => s,
            Err(e) => return usage(format!("cannot listen on {}:{port}: {e}", opts.host)),
        };
    let url = server.url().to_owned();
    let mut ended = None;
    let served = if opts.command.is_empty() {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "listening on {url} ({} cases; an adapter reads {url}/cases, see the README)",
            selected.len()
        );
        let _ = out.flush();
        drop(out);
        server
            .serve(
                async {
                    let _ = tokio::signal::ctrl_c().await;
                },
                GRACE,
            )
            .await
    } else {
        let child = match super::ClientCommand::spawn(&opts.command, &url) {
            Ok(c) => c,
            Err(e) => return usage(e),
        };
        let watched = child.watch(bound);
        let served = server.serve(watched.exited(), GRACE).await;
        ended = Some(watched.finish(GRACE).await);
        served
    };
    if served.connections == 0 {
        eprintln!("wirecheck: the client never connected to {url}");
        return EXIT_UNREACHABLE;
    }
    let how = ended.as_ref().map(super::Ended::before_running);
    let agent = run_opts
        .agent
        .clone()
        .unwrap_or_else(|| "UnknownClient".to_owned());
    let reports = selected
        .iter()
        .map(|case| {
            let seen = served.seen.get(case.id).cloned().unwrap_or_default();
            let verdict = match (served.bad_reports.get(case.id), &how) {
                (Some(why), _) => failed(format!("the client's report was refused: {why}")),
                (None, Some(how)) if seen.requests.is_empty() => {
                    failed(format!("the client never requested this case: {how}"))
                }
                _ => (case.judge)(&seen),
            };
            report(case, &seen, verdict, &agent)
        })
        .collect();
    let mut run = Run {
        agent,
        kind: Protocol::Sse,
        client: true,
        started,
        wall_time: clock.elapsed(),
        strict: run_opts.strict,
        cases: reports,
    };
    run.sort();
    finish(&run, run_opts, 0)
}

fn report(case: &ClientCase, seen: &Seen, verdict: Verdict, agent: &str) -> CaseReport {
    let group = case.id.split('.').nth(1).unwrap_or("");
    let requests: Vec<_> = seen
        .requests
        .iter()
        .map(|r| {
            json!({
                "path": r.path,
                "atMs": r.at.as_millis() as u64,
                "endedMs": r.ended.map(|d| d.as_millis() as u64),
                "lastEventId": r.last_event_id,
                "accept": r.accept,
            })
        })
        .collect();
    let reported: Option<Vec<_>> = seen.report.as_ref().map(|events| {
        events
            .iter()
            .map(|e| json!({"type": e.kind, "data": e.data, "lastEventId": e.last_event_id}))
            .collect()
    });
    let detail = json!({
        "agent": agent,
        "case": case.id,
        "id": case.id,
        "description": case.description,
        "expectation": case.expectation,
        "behavior": verdict.behavior.as_str(),
        "result": verdict.reason,
        "requests": requests,
        "reported": reported,
    });
    CaseReport {
        id: case.id.to_owned(),
        sort_key: sort_key(case.id),
        category: format!("EC.{group}"),
        category_name: match group {
            "1" => "Parsing",
            "2" => "Connection",
            _ => "Misc",
        }
        .to_owned(),
        description: case.description.clone(),
        expectation: case.expectation.clone(),
        behavior: verdict.behavior,
        result: verdict.reason,
        close: None,
        // From the first request to the end of the last reply.
        duration_ms: match (seen.requests.first(), seen.requests.last()) {
            (Some(first), Some(last)) => last
                .ended
                .unwrap_or(last.at)
                .saturating_sub(first.at)
                .as_millis() as u64,
            _ => 0,
        },
        report_time: false,
        compression: None,
        remote_close_code: None,
        // The clients reach wirecheck's server over HTTP/1.1.
        http: Some("1.1"),
        limits: verdict.limits,
        detail: Detail::value(detail),
    }
}
