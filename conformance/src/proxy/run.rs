//! `wirecheck proxy` as a command: bind, relay until SIGINT or SIGTERM, print
//! each finding as it happens and the summary at the end; exit 0 when nothing
//! was found, 1 otherwise (a limit of the proxy's that was hit counts: what it
//! cut short was not checked).

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::output::{Format, Summary, line};
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
    /// End by itself once this many connections have ended.
    pub connections: Option<u64>,
}

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
    let listener = TcpListener::bind(opts.listen)
        .await
        .map_err(|e| format!("--listen {}: cannot listen: {e}", opts.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    ready(addr);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let started = Instant::now();
    let relay = tokio::spawn(serve(listener, upstream, tls, started, tx));
    let mut summary = Summary::default();
    let mut closed = 0u64;
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            report = rx.recv() => match report {
                Some(Report::Finding(f)) => {
                    summary.count(&f);
                    on_finding(&f);
                }
                Some(Report::Opened) => summary.connections += 1,
                Some(Report::Unreachable) => summary.unreachable += 1,
                Some(Report::Recognised(kind)) => {
                    summary.websockets += u64::from(kind == Kind::WebSocket);
                    summary.event_streams += u64::from(kind == Kind::EventStream);
                }
                Some(Report::Bytes(Side::Client, n)) => summary.bytes_from_clients += n,
                Some(Report::Bytes(Side::Server, n)) => summary.bytes_from_servers += n,
                Some(Report::Closed) => {
                    closed += 1;
                    if opts.connections.is_some_and(|n| closed >= n) {
                        break;
                    }
                }
                None => break,
            },
        }
    }
    relay.abort();
    let code = u8::from(summary.findings() > 0);
    Ok((summary, code))
}
