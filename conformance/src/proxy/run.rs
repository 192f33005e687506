//! `wirecheck proxy` as a command: bind, relay until SIGINT or SIGTERM, print
//! each finding as it happens and the summary at the end, and with
//! `--report-dir` write the usual reports, a case per connection; exit 0 when
//! nothing was found, 1 otherwise (a limit of the proxy's that was hit counts:
//! what it cut short was not checked; so does an upstream it could not reach).

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::output::{Format, Summary, line};
use super::record::{ConnRecord, run_report};
use super::relay::{Report, serve};
use super::watch::Kind;
use super::{Finding, Side};
use crate::net::Target;

/// The options of `wirecheck proxy`.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where to accept clients.
    pub listen: SocketAddr,
    /// The upstream: `http://`, `https://`, `ws://` or `wss://` (its path is unused:
    /// each request goes with its own).
    pub upstream: String,
    /// How findings are printed.
    pub format: Format,
    /// Accept a self-signed upstream certificate.
    pub insecure: bool,
    /// Speak TLS to clients with this certificate chain and key (PEM files).
    pub listen_tls: Option<(PathBuf, PathBuf)>,
    /// End by itself once this many connections have ended.
    pub connections: Option<u64>,
    /// Write the reports (a case per connection) here at the end; checked
    /// writable before listening.
    pub report_dir: Option<PathBuf>,
}

/// The most connections `--report-dir` reports (the rest are counted).
pub const MAX_RECORDS: usize = 10_000;

/// Print `f` on stdout as one line in `format`, at once.
pub fn print(f: &Finding, format: Format) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", line(f, format));
    let _ = out.flush();
}

/// Check the options (before any traffic): the upstream URL.
pub fn upstream_target(url: &str) -> Result<Target, String> {
    if url.starts_with("ws://") || url.starts_with("wss://") {
        Target::parse(url)
    } else {
        Target::parse_http(url)
    }
    .map_err(|e| format!("--upstream {url:?}: {e}"))
}

/// Run until `stop` resolves (or [`Options::connections`] have ended); the summary, and the exit code (0: nothing found).
/// `ready` receives the bound address once listening; `on_finding` each
/// finding as it happens ([`print`] prints it as `opts.format` says).
pub async fn run(
    opts: &Options,
    stop: impl std::future::Future<Output = ()>,
    ready: impl FnOnce(SocketAddr),
    mut on_finding: impl FnMut(&Finding),
) -> Result<(Summary, u8), String> {
    let upstream = Arc::new(upstream_target(&opts.upstream)?);
    let tls = if upstream.tls {
        Some(
            crate::tls::client_config(opts.insecure)
                .map_err(|e| format!("TLS configuration: {e}"))?,
        )
    } else {
        None
    };
    let listen_tls = match &opts.listen_tls {
        Some((cert, key)) => Some(
            crate::tls::server_config_from_pem(cert, key)
                .map_err(|e| format!("--listen-tls: {e}"))?,
        ),
        None => None,
    };
    if let Some(dir) = &opts.report_dir {
        crate::report::prepare_dir(dir)
            .map_err(|e| format!("--report-dir {}: cannot write there: {e}", dir.display()))?;
    }
    let listener = TcpListener::bind(opts.listen)
        .await
        .map_err(|e| format!("--listen {}: cannot listen: {e}", opts.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    ready(addr);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let started = Instant::now();
    let started_at = SystemTime::now();
    let relay = tokio::spawn(serve(listener, listen_tls, upstream, tls, started, tx));
    let mut summary = Summary::default();
    // Kept for --report-dir only, and at most MAX_RECORDS of them.
    let mut records: BTreeMap<u64, ConnRecord> = BTreeMap::new();
    let keep = opts.report_dir.is_some();
    let mut closed = 0u64;
    tokio::pin!(stop);
    loop {
        let report = tokio::select! {
            _ = &mut stop => break,
            report = rx.recv() => report,
        };
        let Some(report) = report else { break };
        match report {
            Report::Finding(f) => {
                summary.count(&f);
                if let Some(r) = records.get_mut(&f.conn) {
                    r.add_finding(&f);
                }
                on_finding(&f);
            }
            Report::Opened(conn, peer, t_ms) => {
                summary.connections += 1;
                if keep && records.len() < MAX_RECORDS {
                    records.insert(conn, ConnRecord::new(conn, peer, t_ms));
                } else if keep {
                    summary.not_reported += 1;
                }
            }
            Report::Unreachable(conn) => {
                summary.unreachable += 1;
                if let Some(r) = records.get_mut(&conn) {
                    r.unreachable = true;
                }
            }
            Report::Recognised(conn, kind) => {
                summary.websockets += u64::from(kind == Kind::WebSocket);
                summary.event_streams += u64::from(kind == Kind::EventStream);
                if let Some(r) = records.get_mut(&conn) {
                    r.kind = kind;
                }
            }
            Report::Bytes(conn, side, n) => {
                match side {
                    Side::Client => summary.bytes_from_clients += n,
                    Side::Server => summary.bytes_from_servers += n,
                }
                if let Some(r) = records.get_mut(&conn) {
                    r.add_bytes(side, n);
                }
            }
            Report::Closed(conn, t_ms) => {
                if let Some(r) = records.get_mut(&conn) {
                    r.closed_ms = Some(t_ms);
                }
                closed += 1;
                if opts.connections.is_some_and(|n| closed >= n) {
                    break;
                }
            }
        }
    }
    relay.abort();
    if let Some(dir) = &opts.report_dir {
        let records: Vec<ConnRecord> = records.into_values().collect();
        let now_ms = started.elapsed().as_millis() as u64;
        let run = run_report(&records, started_at, started.elapsed(), now_ms);
        crate::report::write_all(dir, &run)
            .map_err(|e| format!("cannot write the reports to {}: {e}", dir.display()))?;
        summary.report = Some(dir.join("index.html"));
    }
    let code = u8::from(summary.findings() > 0 || summary.unreachable > 0);
    Ok((summary, code))
}
