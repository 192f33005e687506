//! `wirecheck sse [URL]` and `wirecheck cases sse [PAT]` (DESIGN §3): select
//! cases, observe the target (or the reference SSE server started in-process when
//! no URL is given), judge, write the reports, print the summary, and map the
//! outcome onto the exit codes `wirecheck ws` uses.

use std::fmt::Write as _;
use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant, SystemTime};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::case::{Case, DataContract, Settings};
use super::cases;
use super::run::{RunConfig, judge_all, observe_all, unreachable};
use crate::command::{EXIT_INTERNAL, EXIT_OK, EXIT_UNREACHABLE, RunOptions, finish, usage};
use crate::core::{Listing, pattern_matches, select_by};
use crate::core::{Protocol, Run};
use crate::net::Target;
use crate::serve::{self, Server};

/// The options of `wirecheck sse`.
#[derive(Debug, Clone)]
pub struct SseOptions {
    /// What `wirecheck ws` takes too.
    pub run: RunOptions,
    /// How long the stream is observed.
    pub duration: Duration,
    /// The longest silence tolerated.
    pub heartbeat: Duration,
    /// `--data`.
    pub data: DataContract,
}

/// The selected cases (all when `include` is empty) minus `exclude`; a pattern
/// that selects nothing is an error.
pub fn select(include: &[String], exclude: &[String]) -> Result<Vec<Case>, String> {
    select_by(cases::all(), |c| c.id.to_owned(), include, exclude, "sse")
}

/// [`select`] for a run over `http`: HTTP/2 adds the cases of its streams
/// (E.6), which HTTP/1.1 has nothing to check with.
pub fn select_for(
    http: crate::net::Http,
    include: &[String],
    exclude: &[String],
) -> Result<Vec<Case>, String> {
    let mut all = cases::all();
    if http == crate::net::Http::V2 {
        all.extend(cases::over_http2());
    } else if let Some(p) = include.iter().find(|p| {
        !all.iter().any(|c| pattern_matches(p, c.id))
            && cases::over_http2().iter().any(|c| pattern_matches(p, c.id))
    }) {
        return Err(format!(
            "the case pattern {p:?} selects E.6 cases, which check HTTP/2 streams: run them with --http 2"
        ));
    }
    select_by(all, |c| c.id.to_owned(), include, exclude, "sse")
}

/// Run `wirecheck sse`; returns the exit code.
pub async fn run_sse(opts: SseOptions) -> u8 {
    let SseOptions {
        run: opts,
        duration,
        heartbeat,
        data,
    } = opts;
    // RFC 9112 §3.2 (one Host) and §6 (a GET carries no body): the request line,
    // Host and the body framing are the client's own.
    let headers = match opts.preflight(&["host", "content-length", "transfer-encoding"]) {
        Ok(h) => h,
        Err(e) => return usage(e),
    };
    let selected = match select_for(opts.http, &opts.cases, &opts.exclude) {
        Ok(c) if c.is_empty() => return usage("the selection contains no case".to_owned()),
        Ok(c) => c,
        Err(e) => return usage(e),
    };
    let mut reference = None;
    let url = match &opts.url {
        Some(url) => url.clone(),
        None => {
            let server = serve::sse::bind(serve::sse::SseServerConfig::ephemeral())
                .await
                .and_then(Server::spawn);
            match server {
                Ok(s) => {
                    let url = s.url();
                    reference = Some(s);
                    url
                }
                Err(e) => {
                    eprintln!("wirecheck: cannot start the reference server: {e}");
                    return EXIT_INTERNAL;
                }
            }
        }
    };
    let target = match Target::parse_http(&url) {
        Ok(t) => t,
        Err(e) => return usage(e),
    };
    let tls = match crate::tls::client_config(opts.insecure) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("wirecheck: cannot set up TLS: {e}");
            return EXIT_INTERNAL;
        }
    };
    let settings = Settings {
        origin: opts.origin.clone(),
        heartbeat,
        duration,
        timeout_scale: opts.timeout_scale,
        data,
    };
    let cfg = RunConfig {
        settings: settings.clone(),
        headers,
        tls: Some(tls),
        head_timeout: Duration::from_secs(5).mul_f64(opts.timeout_scale),
        jobs: opts.jobs,
        http: opts.http,
    };

    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if !io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    if let Ok(style) = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}") {
        bar.set_style(style);
    }
    bar.set_message(format!(
        "observing {url} for up to {:.0} s ({} cases)",
        duration.as_secs_f64(),
        selected.len()
    ));
    bar.enable_steady_tick(Duration::from_millis(200));
    let started = SystemTime::now();
    let clock = Instant::now();
    let obs = observe_all(&target, &cfg, &selected).await;
    bar.finish_and_clear();
    let wall = clock.elapsed();
    if let Some(server) = reference {
        server.shutdown().await;
    }
    if let Some(why) = unreachable(&obs) {
        eprintln!(
            "wirecheck: {}:{} never answered a request: {why}",
            target.host, target.port
        );
        return EXIT_UNREACHABLE;
    }
    let agent = match (&opts.agent, &opts.url) {
        (Some(a), _) => a.clone(),
        (None, None) => "wirecheck-reference".to_owned(),
        (None, Some(_)) => obs
            .main
            .as_ref()
            .and_then(|o| o.head.as_ref())
            .and_then(|h| h.get("server"))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or("UnknownServer")
            .to_owned(),
    };
    let mut run = Run {
        agent: agent.clone(),
        kind: Protocol::Sse,
        client: false,
        started,
        wall_time: wall,
        strict: opts.strict,
        cases: judge_all(&selected, &settings, &obs, &agent),
    };
    run.sort();
    finish(&run, &opts, 0)
}

/// `wirecheck cases sse [PAT,..]`: print `id  description` for each case.
pub fn list_cases(pattern: Option<&str>) -> u8 {
    let mut listing = Listing::new(pattern);
    let mut lines = String::new();
    for c in cases::all() {
        if listing.selects(c.id) {
            let _ = writeln!(lines, "{:<8} {}", c.id, c.description);
        }
    }
    for c in cases::over_http2() {
        if listing.selects(c.id) {
            let _ = writeln!(lines, "{:<8} (--http 2) {}", c.id, c.description);
        }
    }
    // The client cases (`wirecheck clients sse`).
    for c in super::fuzzing::cases::cases() {
        if listing.selects(c.id) {
            // The description's first sentence: what the case sends.
            let what = c.description.split(". ").next().unwrap_or_default();
            let _ = writeln!(lines, "{:<8} (clients sse) {what}.", c.id);
        }
    }
    if let Some(p) = listing.unused() {
        return usage(format!(
            "the case pattern {} selects no case",
            super::http::quoted(p)
        ));
    }
    // A closed pipe (`| head`) ends the listing quietly.
    let _ = io::stdout().lock().write_all(lines.as_bytes());
    EXIT_OK
}
