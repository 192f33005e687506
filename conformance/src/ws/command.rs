//! `wirecheck ws [URL]` and `wirecheck cases ws [PAT]` (DESIGN §3): select cases,
//! run them against the target (or against the reference server started
//! in-process when no URL is given), write the reports, print the summary, and
//! map the outcome onto the exit codes.

use std::fmt::Write as _;
use std::io::{self, IsTerminal, Write};
use std::time::{Instant, SystemTime};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::cases;
use super::engine::{EngineConfig, Target, opening_request};
use super::origin::{self, OriginPolicy};
use super::result::CaseResult;
use super::run::{run_cases, select};
use crate::command::{EXIT_INTERNAL, EXIT_OK, EXIT_UNREACHABLE, RunOptions, finish, usage};
use crate::core::Run;
use crate::core::{Listing, pattern_matches};
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
#[derive(Debug, Clone)]
pub struct WsOptions {
    /// What every validating command takes.
    pub run: RunOptions,
    /// Which of the own S. cases run.
    pub profile: Profile,
    /// `--origin-policy`, as given (parsed before any traffic).
    pub origin_policy: Option<String>,
}

/// `--profile`: the heavy S. cases run only under `full`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Profile {
    /// Every case but the heavy S. ones.
    #[default]
    Quick,
    /// Every case.
    Full,
}

/// The agent name: `--agent`, else the server's `Server` header (as Autobahn does),
/// else `UnknownServer`.
fn agent_name(opts: &RunOptions, reference: bool, results: &[CaseResult]) -> String {
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
pub async fn run_ws(ws_opts: WsOptions) -> u8 {
    let opts = &ws_opts.run;
    let headers = match opts.preflight(OWNED_HEADERS) {
        Ok(h) => h,
        Err(e) => return usage(e),
    };
    let policy = match ws_opts.origin_policy.as_deref().map(OriginPolicy::parse) {
        None => OriginPolicy::Unstated,
        Some(Ok(p)) => p,
        Some(Err(e)) => return usage(e),
    };
    let mut catalogue = cases::all();
    if ws_opts.profile == Profile::Quick {
        catalogue.retain(|c| !c.full_profile);
    }
    let http2 = opts.http == crate::net::Http::V2;
    if http2 {
        catalogue.extend(cases::over_http2());
        catalogue.sort_by(|a, b| a.id.cmp(&b.id));
    } else if let Some(p) = opts.cases.iter().find(|p| {
        cases::over_http2()
            .iter()
            .any(|c| pattern_matches(p, &c.id.to_string()))
    }) {
        // The H2. cases check HTTP/2 streams: over HTTP/1.1 there is nothing to check.
        if !catalogue
            .iter()
            .any(|c| pattern_matches(p, &c.id.to_string()))
        {
            return usage(format!(
                "the case pattern {p:?} selects H2. cases, which check HTTP/2 streams: run them with --http 2"
            ));
        }
    }
    let mut selected = match select(catalogue, &opts.cases, &opts.exclude) {
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
    origin::resolve(&mut selected, &policy, &target);
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
        http: opts.http,
        ..EngineConfig::default()
    };
    // The request every case sends, built once before any traffic: what the
    // codec refuses to encode is the user's to fix (exit 2), not the server's.
    if let Err(e) = opening_request(&target, &cfg, [0; 16]).encode() {
        if let Some(server) = reference {
            server.shutdown().await;
        }
        return usage(format!("cannot build the opening handshake request: {e}"));
    }

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
    // The spinner and clock move while every case waits on a slow server.
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar.set_message(format!("connecting to {}:{}", target.host, target.port));
    let started = SystemTime::now();
    let clock = Instant::now();
    let outcome = run_cases(&target, &cfg, &selected, opts.jobs, |r, open| {
        bar.set_message(format!("{} {} ({open} connections open)", r.id, r.behavior));
        bar.inc(1);
    })
    .await;
    bar.finish_and_clear();
    let results = outcome.results;
    let wall = clock.elapsed();
    if let Some(server) = reference {
        server.shutdown().await;
    }

    // Unreachable: no connection opened, and no case passed on an answer
    // without one (an H. refusal, slowloris). A server that refuses every
    // request (a plain HTTP server, a wrong path) stays unreachable.
    let reached = results.iter().any(|r| {
        r.close.was_open
            || ((!r.http_response.is_empty() || r.reached)
                && r.behavior != crate::core::Behavior::Failed
                && r.behavior_close != crate::core::BehaviorClose::Failed)
    });
    if outcome.panicked == 0 && !reached {
        let why = outcome.gave_up.clone().unwrap_or_else(|| {
            results
                .first()
                .map_or("no case ran".to_owned(), |r| r.result.clone())
        });
        let stopped = match &outcome.gave_up {
            Some(_) => format!(
                " (stopped after the first {} of {} cases failed the same way)",
                results.len(),
                selected.len()
            ),
            None => String::new(),
        };
        eprintln!(
            "wirecheck: {}:{} never completed an opening handshake{stopped}: {why}",
            target.host, target.port
        );
        return EXIT_UNREACHABLE;
    }

    let agent = agent_name(opts, opts.url.is_none(), &results);
    let run = Run::from_ws(&agent, started, wall, opts.strict, results);
    finish(&run, opts, outcome.panicked)
}

/// `wirecheck cases ws [PAT,..]`: print `id  description` for each case.
pub fn list_cases(pattern: Option<&str>) -> u8 {
    // The server cases (with the H2. ones), then the client-only ones (C.).
    let mut all = cases::all();
    all.extend(cases::over_http2());
    all.sort_by(|a, b| a.id.cmp(&b.id));
    all.extend(
        cases::for_clients()
            .into_iter()
            .filter(|c| c.id.to_string().starts_with("C.")),
    );
    let mut listing = Listing::new(pattern);
    let mut lines = String::new();
    for c in &all {
        let id = c.id.to_string();
        if listing.selects(&id) {
            let full = if c.full_profile {
                "(--profile full) "
            } else if c.stream_check.is_some() {
                "(--http 2) "
            } else if id.starts_with("C.") {
                "(clients ws) "
            } else {
                ""
            };
            let _ = writeln!(lines, "{id:<10} {full}{}", c.description);
        }
    }
    if let Some(p) = listing.unused() {
        return usage(format!("the case pattern {p:?} selects no case"));
    }
    // A closed pipe (`| head`) ends the listing quietly.
    let _ = io::stdout().lock().write_all(lines.as_bytes());
    EXIT_OK
}
