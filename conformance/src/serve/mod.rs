//! `wirecheck serve`: the reference servers (DESIGN §3).
//!
//! They exist so that `wirecheck ws` and `wirecheck sse` without a URL have something
//! correct to validate, and so that anyone can point another client at a server whose
//! behaviour follows the codec exactly. A server here owns the sockets, the timers and
//! the policy (what to echo, when to give up); every protocol rule it applies comes
//! from `wirecheck-codec`.
//!
//! * [`ws`]: the WebSocket echo server (RFC 6455), `wirecheck serve ws`.
//! * [`sse`]: the Server-Sent Events stream (WHATWG HTML §9.2), `wirecheck serve sse`.
//!
//! What the two share lives here: the accept loop with its connection limit and its
//! orderly shutdown ([`accept_until`]), and the handle of a server serving in the
//! background ([`Running`]).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::timeout;

pub mod sse;
pub mod ws;

/// The pause after a failed `accept` (out of file descriptors, ...), so that the
/// loop does not spin while the condition lasts.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(10);

/// Accept connections on `listener` until `shutdown` completes, each handled by
/// `connection(stream, stop)` in its own task, at most `max_connections` at once
/// (over the limit, dropping the socket closes it at once). Then stop accepting,
/// signal `stop` to every open connection, wait at most `grace` for them to end,
/// and abort the rest.
pub(crate) async fn accept_until<C, F>(
    listener: TcpListener,
    max_connections: usize,
    grace: Duration,
    shutdown: impl Future<Output = ()>,
    connection: C,
) where
    C: Fn(TcpStream, watch::Receiver<()>) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    let slots = Arc::new(Semaphore::new(max_connections));
    let (stop_tx, stop_rx) = watch::channel(());
    let mut tasks = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            // Reap finished connections as they end.
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                };
                let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                    continue;
                };
                let handled = connection(stream, stop_rx.clone());
                tasks.spawn(async move {
                    handled.await;
                    drop(slot);
                });
            }
        }
    }
    drop(listener);
    let _ = stop_tx.send(());
    let _ = timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
}

/// A reference server's connection once TLS (with `--tls`) is set up and its
/// HTTP version is known.
pub(crate) enum Opened {
    /// HTTP/1.1: the connection, whose first `n` bytes are in the caller's
    /// buffer already.
    Http1(crate::net::Stream, usize),
    /// HTTP/2: the connection, what was read of its preface put back in front.
    Http2(crate::http2::server::Prefixed<crate::net::Stream>),
}

/// The start both reference servers share, by `deadline`: the TLS handshake
/// when `tls` is given (ALPN `h2` means HTTP/2, RFC 9113 §3.2), else the
/// first bytes read into `buf` tell a prior-knowledge HTTP/2 preface from an
/// HTTP/1.1 request (§3.3). `None`: the client left, the handshake failed, or
/// the deadline passed.
pub(crate) async fn open(
    tcp: TcpStream,
    tls: Option<&crate::tls::ServerTls>,
    buf: &mut [u8],
    deadline: tokio::time::Instant,
) -> Option<Opened> {
    use crate::http2::server::{Prefixed, Sniffed, sniff};
    // Answers go out at once, not after Nagle's delay.
    let _ = tcp.set_nodelay(true);
    let mut stream: crate::net::Stream = match tls {
        None => Box::new(tcp),
        Some(tls) => {
            let acceptor = tokio_rustls::TlsAcceptor::from(Arc::clone(&tls.0));
            let stream = tokio::time::timeout_at(deadline, acceptor.accept(tcp))
                .await
                .ok()?
                .ok()?;
            if stream.get_ref().1.alpn_protocol() == Some(b"h2".as_slice()) {
                return Some(Opened::Http2(Prefixed::new(&[], Box::new(stream))));
            }
            Box::new(stream)
        }
    };
    match sniff(&mut stream, buf, deadline).await {
        Sniffed::Http1(n) => Some(Opened::Http1(stream, n)),
        Sniffed::Http2(n) => Some(Opened::Http2(Prefixed::new(&buf[..n], stream))),
        Sniffed::Gone => None,
    }
}

/// A reference server: bound, not yet serving.
pub trait Server: Sized + Send + 'static {
    /// The address it listens on (with the actual port when 0 was asked for).
    fn local_addr(&self) -> io::Result<SocketAddr>;

    /// The URL a client uses to reach this server listening on `addr`.
    fn url_at(&self, addr: SocketAddr) -> String;

    /// Serve until `shutdown` completes, then shut down in order and return.
    fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> impl Future<Output = ()> + Send + 'static;

    /// Serve in a background task until [`Running::shutdown`] is called or the
    /// handle is dropped.
    fn spawn(self) -> io::Result<Running> {
        let addr = self.local_addr()?;
        let url = self.url_at(addr);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(self.serve(async {
            // A dropped handle stops the server as well.
            let _ = stopped.await;
        }));
        Ok(Running {
            addr,
            url,
            stop,
            task,
        })
    }
}

/// A reference server serving in a background task (see [`Server::spawn`]).
#[derive(Debug)]
pub struct Running {
    /// Where it listens.
    addr: SocketAddr,
    /// Its URL.
    url: String,
    /// Completing this stops the server.
    stop: oneshot::Sender<()>,
    /// The serving task.
    task: JoinHandle<()>,
}

impl Running {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's URL: `ws://ADDR/` or `http://ADDR/events`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Stop the server (it ends its open connections in order) and wait until it has.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}
