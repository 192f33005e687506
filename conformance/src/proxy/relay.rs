//! The relay: accept on `--listen`, connect each connection to the upstream,
//! and copy bytes both ways unmodified while [`super::watch`] checks them.
//!
//! Transparency and bounds: each direction reads at most [`READ`] bytes, writes
//! them to the other side whole, and only then checks them and reads again. So
//! the bytes and their order are exactly what the sender wrote, one write per
//! read (TCP may still merge or split segments, as it does without a proxy), a
//! slow reader slows the writer (backpressure), and a direction never holds
//! more than one buffer. A violation is printed, never acted on. A half-close
//! (EOF) is passed on as a half-close.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::watch::{Kind, Watch};
use super::{Finding, Side};
use crate::net::{Stream, Target};

/// The most bytes a direction reads (and holds) at a time.
pub const READ: usize = 16 * 1024;

/// How long a client may take to complete the TLS handshake (`--listen-tls`).
pub const TLS_HANDSHAKE: std::time::Duration = std::time::Duration::from_secs(10);

/// How long passing an EOF on (a TCP FIN, a TLS close_notify) may take.
pub const SHUTDOWN: std::time::Duration = std::time::Duration::from_secs(10);

/// How long connecting to the upstream (TCP and TLS) may take.
pub const UPSTREAM_CONNECT: std::time::Duration = std::time::Duration::from_secs(10);

/// What the relay sends the printer, about connection `conn`.
#[derive(Debug)]
pub enum Report {
    /// It was accepted from this address, at this time (ms).
    Opened(u64, String, u64),
    /// Its upstream could not be reached.
    Unreachable(u64),
    /// It turned out to carry this (once per connection).
    Recognised(u64, Kind),
    /// Bytes relayed from this side.
    Bytes(u64, Side, u64),
    /// A finding, as it happens.
    Finding(Finding),
    /// It ended (both directions, or its upstream was unreachable) at this
    /// time (ms), after everything it found was sent.
    Closed(u64, u64),
}

/// Accept connections on `listener` forever, relaying each to `upstream` and
/// sending findings and ends to `reports`; times count from `started`.
pub async fn serve(
    listener: TcpListener,
    listen_tls: Option<Arc<rustls::ServerConfig>>,
    upstream: Arc<Target>,
    tls: Option<Arc<rustls::ClientConfig>>,
    started: Instant,
    reports: mpsc::UnboundedSender<Report>,
) {
    let mut next = 0u64;
    loop {
        let Ok((client, peer)) = listener.accept().await else {
            continue;
        };
        next += 1;
        let conn = next;
        let t_ms = started.elapsed().as_millis() as u64;
        let upstream = Arc::clone(&upstream);
        let tls = tls.clone();
        let reports = reports.clone();
        let listen_tls = listen_tls.clone();
        let _ = reports.send(Report::Opened(conn, peer.to_string(), t_ms));
        tokio::spawn(async move {
            let _ = client.set_nodelay(true);
            let client: Stream = match listen_tls {
                None => Box::new(client),
                Some(config) => {
                    let accept = tokio_rustls::TlsAcceptor::from(config).accept(client);
                    match tokio::time::timeout(TLS_HANDSHAKE, accept).await {
                        Ok(Ok(tls)) => Box::new(tls),
                        Ok(Err(e)) => {
                            eprintln!(
                                "wirecheck proxy: conn {conn}: TLS handshake with the client failed: {e}"
                            );
                            let _ = reports
                                .send(Report::Closed(conn, started.elapsed().as_millis() as u64));
                            return;
                        }
                        Err(_) => {
                            eprintln!(
                                "wirecheck proxy: conn {conn}: no TLS handshake from the client within {} s",
                                TLS_HANDSHAKE.as_secs()
                            );
                            let _ = reports
                                .send(Report::Closed(conn, started.elapsed().as_millis() as u64));
                            return;
                        }
                    }
                }
            };
            relay(conn, client, &upstream, tls.as_ref(), started, &reports).await;
            let t_ms = started.elapsed().as_millis() as u64;
            let _ = reports.send(Report::Closed(conn, t_ms));
        });
    }
}

async fn relay(
    conn: u64,
    client: Stream,
    upstream: &Target,
    tls: Option<&Arc<rustls::ClientConfig>>,
    started: Instant,
    reports: &mpsc::UnboundedSender<Report>,
) {
    let connect = tokio::time::timeout(UPSTREAM_CONNECT, crate::net::connect(upstream, tls));
    let server = match connect.await.unwrap_or_else(|_| {
        Err(format!(
            "no connection to {}:{} within {} s",
            upstream.host,
            upstream.port,
            UPSTREAM_CONNECT.as_secs()
        ))
    }) {
        Ok(s) => s,
        Err(why) => {
            eprintln!("wirecheck proxy: conn {conn}: {why}");
            let _ = reports.send(Report::Unreachable(conn));
            return;
        }
    };
    let watch = Arc::new(Mutex::new(Watch::new(conn)));
    let (client_read, client_write) = tokio::io::split(client);
    let (server_read, server_write) = tokio::io::split(server);
    let up = pump(
        conn,
        Side::Client,
        client_read,
        server_write,
        &watch,
        started,
        reports,
    );
    let down = pump(
        conn,
        Side::Server,
        server_read,
        client_write,
        &watch,
        started,
        reports,
    );
    tokio::pin!(up, down);
    // A clean end of one direction is a half-close: the other goes on until it
    // ends. A broken one (reset, a write to a side that is gone) ends both.
    tokio::select! {
        clean = &mut up => if clean { down.await; },
        clean = &mut down => if clean { up.await; },
    }
}

/// Copy what `side` sends from `from` to `to`, feeding the watch after each
/// write. `true` when `side` ended its direction cleanly (EOF, passed on).
#[allow(clippy::too_many_arguments)]
async fn pump(
    conn: u64,
    side: Side,
    mut from: ReadHalf<Stream>,
    mut to: WriteHalf<Stream>,
    watch: &Mutex<Watch>,
    started: Instant,
    reports: &mpsc::UnboundedSender<Report>,
) -> bool {
    let mut buf = vec![0u8; READ];
    loop {
        let read = from.read(&mut buf).await;
        let t_ms = started.elapsed().as_millis() as u64;
        let n = *read.as_ref().unwrap_or(&0);
        if n == 0 {
            // Passing the EOF on is bounded too: a TLS peer that never reads
            // would otherwise hold its close_notify, and this task, forever.
            let shutdown = tokio::time::timeout(SHUTDOWN, to.shutdown()).await;
            let clean = read.is_ok() && matches!(shutdown, Ok(Ok(())));
            let findings = {
                let mut w = watch.lock().unwrap_or_else(|e| e.into_inner());
                w.end(side, t_ms);
                w.take_findings()
            };
            send(reports, findings);
            return clean;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            // The other side is gone: so is this direction.
            return false;
        }
        let (findings, recognised) = {
            let mut w = watch.lock().unwrap_or_else(|e| e.into_inner());
            let before = w.kind();
            w.feed(side, t_ms, &mut buf[..n]);
            (w.take_findings(), (w.kind() != before).then(|| w.kind()))
        };
        let _ = reports.send(Report::Bytes(conn, side, n as u64));
        if let Some(kind) = recognised {
            let _ = reports.send(Report::Recognised(conn, kind));
        }
        send(reports, findings);
    }
}

fn send(reports: &mpsc::UnboundedSender<Report>, findings: Vec<Finding>) {
    for f in findings {
        let _ = reports.send(Report::Finding(f));
    }
}
