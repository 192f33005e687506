//! The fuzzing server's listener. Every connection is routed by its
//! request-target ([`super::route`]) before it is answered; a `/runCase`
//! connection then runs its case with the driver in the server role, and the
//! result is kept for its agent until the reports are written.
//!
//! Bounded whatever clients do (DESIGN §7a): at most [`MAX_CONNECTIONS`] are
//! served at once (the listener waits for a free one before it accepts), every
//! opening handshake, message and close has a deadline, at most [`MAX_AGENTS`]
//! agents are kept, and each agent's records are capped by a [`RunBudget`].

use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, timeout, timeout_at};
use wirecheck_codec::ws::{OpCode, encode};

use super::route::{Route, route};
use crate::ws::bounds::RunBudget;
use crate::ws::case::Case;
use crate::ws::driver::opening::{Progress, ServerOpening};
use crate::ws::engine::{EngineConfig, read_opening, send_answer, serve_opened};
use crate::ws::result::CaseResult;

/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 64;
/// Agents whose results are kept; a further one is refused.
pub const MAX_AGENTS: usize = 16;

/// The `Server` header of every answer.
const SERVER: &str = concat!("wirecheck/", env!("CARGO_PKG_VERSION"));

/// The results of every agent, in case order.
pub type Results = BTreeMap<String, Vec<CaseResult>>;

/// Writes the reports on `/updateReports`: the results of every agent so far.
pub type OnUpdate = Arc<dyn Fn(&Results) -> Result<(), String> + Send + Sync>;

/// What a finished serve saw.
#[derive(Debug)]
pub struct Served {
    /// Every agent's results.
    pub results: Results,
    /// Connections accepted, whatever they asked.
    pub connections: usize,
}

struct Agent {
    results: BTreeMap<usize, CaseResult>,
    budget: RunBudget,
}

struct Shared {
    cases: Vec<Case>,
    ids: Vec<String>,
    engine: EngineConfig,
    agents: Mutex<BTreeMap<String, Agent>>,
    /// Bumped on every result (`/getCaseStatus` waits on it).
    changed: watch::Sender<u64>,
    /// Set by `/stopServer` or `/updateReports?shutdownOnComplete=true`.
    stop: watch::Sender<bool>,
    on_update: OnUpdate,
    connections: AtomicUsize,
}

impl Shared {
    fn snapshot(&self) -> Results {
        let agents = self.agents.lock().unwrap_or_else(|e| e.into_inner());
        agents
            .iter()
            .map(|(name, a)| (name.clone(), a.results.values().cloned().collect()))
            .collect()
    }

    /// Whether `agent` may run a case: known, or room for one more.
    fn admits(&self, agent: &str) -> bool {
        let agents = self.agents.lock().unwrap_or_else(|e| e.into_inner());
        agents.contains_key(agent) || agents.len() < MAX_AGENTS
    }

    fn record(&self, agent: &str, index: usize, mut result: CaseResult) {
        {
            let mut agents = self.agents.lock().unwrap_or_else(|e| e.into_inner());
            let a = agents.entry(agent.to_owned()).or_insert_with(|| Agent {
                results: BTreeMap::new(),
                budget: RunBudget::default(),
            });
            a.budget.admit(&mut result);
            a.results.insert(index, result);
        }
        self.changed.send_modify(|n| *n += 1);
    }

    fn behavior(&self, agent: &str, index: usize) -> Option<&'static str> {
        let agents = self.agents.lock().unwrap_or_else(|e| e.into_inner());
        agents
            .get(agent)
            .and_then(|a| a.results.get(&index))
            .map(|r| r.behavior.as_str())
    }
}

/// The fuzzing server, bound and not yet serving.
pub struct FuzzingServer {
    listener: TcpListener,
    shared: Arc<Shared>,
}

impl FuzzingServer {
    /// Listen on `addr` for clients to test with `cases` (sorted, selected);
    /// `on_update` writes the reports when a client asks.
    pub async fn bind(
        addr: SocketAddr,
        cases: Vec<Case>,
        engine: EngineConfig,
        on_update: OnUpdate,
    ) -> io::Result<FuzzingServer> {
        let listener = TcpListener::bind(addr).await?;
        let ids = cases.iter().map(|c| c.id.to_string()).collect();
        Ok(FuzzingServer {
            listener,
            shared: Arc::new(Shared {
                cases,
                ids,
                engine,
                agents: Mutex::new(BTreeMap::new()),
                changed: watch::channel(0).0,
                stop: watch::channel(false).0,
                on_update,
                connections: AtomicUsize::new(0),
            }),
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serve until `stop` completes or a client stops the server; connections
    /// still open then get `grace` to finish before they are cut.
    pub async fn serve(self, stop: impl Future<Output = ()>, grace: Duration) -> Served {
        let FuzzingServer { listener, shared } = self;
        let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let mut tasks = JoinSet::new();
        let mut stopped = shared.stop.subscribe();
        tokio::pin!(stop);
        loop {
            // Reap finished connections, so the set holds only live ones.
            while tasks.try_join_next().is_some() {}
            let permit = tokio::select! {
                () = &mut stop => break,
                _ = stopped.wait_for(|s| *s) => break,
                p = Arc::clone(&permits).acquire_owned() => match p {
                    Ok(p) => p,
                    Err(_) => break,
                },
            };
            let stream = tokio::select! {
                () = &mut stop => break,
                _ = stopped.wait_for(|s| *s) => break,
                accepted = listener.accept() => match accepted {
                    Ok((s, _)) => s,
                    // A failed accept (out of descriptors) is retried on the
                    // next turn; the permit goes back.
                    Err(_) => continue,
                },
            };
            shared.connections.fetch_add(1, Ordering::Relaxed);
            let _ = stream.set_nodelay(true);
            let shared = Arc::clone(&shared);
            tasks.spawn(async move {
                connection(&shared, stream).await;
                drop(permit);
            });
        }
        drop(listener);
        let _ = timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
        tasks.abort_all();
        Served {
            results: shared.snapshot(),
            connections: shared.connections.load(Ordering::Relaxed),
        }
    }
}

/// One connection: read the request, route it, answer.
async fn connection(shared: &Shared, mut stream: TcpStream) {
    let started = SystemTime::now();
    let mut hs = ServerOpening::routed();
    let read = read_opening(&mut stream, &mut hs, &shared.engine).await;
    // An invalid request was answered by the codec (400, 426); a timeout or a
    // client that left: nothing to route.
    let Some(request) = hs.pending() else {
        return;
    };
    debug_assert!(matches!(read, Ok(Progress::More)));
    let routed = route(&request.target, &shared.ids);
    let routed = match routed {
        Ok(Route::RunCase { agent, .. }) if !shared.admits(&agent) => Err(super::route::Refusal {
            status: 500,
            reason: format!("too many agents: results are kept for at most {MAX_AGENTS}"),
        }),
        other => other,
    };
    let route = match routed {
        Ok(r) => r,
        Err(refusal) => {
            let progress = hs.refuse(refusal.status, &refusal.reason);
            let _ = send_answer(&mut stream, &mut hs, &shared.engine, progress).await;
            linger(&mut stream, shared.engine.timeouts().close_handshake).await;
            return;
        }
    };
    // The compression cases answer the client's offer as Autobahn does.
    let deflate = match &route {
        Route::RunCase { index, .. } => {
            super::deflate::accept(&shared.cases[*index], &request.extensions)
        }
        _ => None,
    };
    let progress = match &route {
        Route::RunCase { index, .. } => match &shared.cases[*index].answer {
            Some(spec) => hs.accept_as(spec, &[("Server", SERVER)]),
            None => hs.accept(
                &[("Server", SERVER)],
                deflate.as_ref().map(|(e, _)| e.clone()),
            ),
        },
        _ => hs.accept(&[("Server", SERVER)], None),
    };
    let answered = send_answer(&mut stream, &mut hs, &shared.engine, progress).await;
    match route {
        Route::RunCase { index, agent } => {
            let case = &shared.cases[index];
            let mut result = CaseResult::unrun(case, index + 1);
            result.started = started;
            let agreed = deflate.map(|(_, agreed)| agreed);
            let result =
                serve_opened(stream, &shared.engine, case, result, &hs, answered, agreed).await;
            shared.record(&agent, index, result);
        }
        _ if !matches!(answered, Ok(Progress::Open(_))) => {}
        Route::CaseCount => say(shared, stream, &shared.ids.len().to_string()).await,
        Route::CaseInfo { index } => {
            let case = &shared.cases[index];
            // Python's json.dumps of the original's dict.
            let info = format!(
                "{{\"id\": {}, \"description\": {}}}",
                serde_json::Value::from(case.id.to_string()),
                serde_json::Value::from(case.description.as_str())
            );
            say(shared, stream, &info).await;
        }
        Route::CaseStatus { index, agent } => {
            // The original answers once the result exists; wirecheck waits as
            // long as a case may take, then closes without an answer.
            let t = shared.engine.timeouts();
            let deadline = Instant::now() + t.case_cap + t.close_handshake + t.peer_drop;
            let mut changed = shared.changed.subscribe();
            let behavior = loop {
                if let Some(b) = shared.behavior(&agent, index) {
                    break Some(b);
                }
                match timeout_at(deadline, changed.changed()).await {
                    Ok(Ok(())) => {}
                    _ => break None,
                }
            };
            match behavior {
                Some(b) => say(shared, stream, &format!("{{\"behavior\": \"{b}\"}}")).await,
                None => say_nothing(shared, stream).await,
            }
        }
        Route::UpdateReports { shutdown, .. } => {
            let results = shared.snapshot();
            if let Err(e) = (shared.on_update)(&results) {
                eprintln!("wirecheck: cannot write the reports: {e}");
            }
            say_nothing(shared, stream).await;
            if shutdown {
                shared.stop.send_replace(true);
            }
        }
        Route::StopServer => {
            shared.stop.send_replace(true);
            say_nothing(shared, stream).await;
        }
    }
}

/// Send one text message, then an empty Close (the original's `sendClose()`),
/// and wait for the client's answer before dropping TCP.
async fn say(shared: &Shared, mut stream: TcpStream, text: &str) {
    let mut out = Vec::new();
    encode::frame(&mut out, true, 0, OpCode::Text, None, text.as_bytes());
    encode::frame(&mut out, true, 0, OpCode::Close, None, b"");
    finish(shared, &mut stream, &out).await;
}

/// Send an empty Close and wait for the client's answer before dropping TCP.
async fn say_nothing(shared: &Shared, mut stream: TcpStream) {
    let mut out = Vec::new();
    encode::frame(&mut out, true, 0, OpCode::Close, None, b"");
    finish(shared, &mut stream, &out).await;
}

async fn finish(shared: &Shared, stream: &mut TcpStream, out: &[u8]) {
    let t = shared.engine.timeouts();
    if timeout(t.close_handshake, stream.write_all(out))
        .await
        .is_ok()
    {
        linger(stream, t.close_handshake).await;
    }
}

/// Close from the server's side first (RFC 6455 §7.1.1): FIN, then read and
/// discard what still comes until the client's FIN or `limit`.
async fn linger(stream: &mut TcpStream, limit: Duration) {
    let _ = timeout(limit, stream.shutdown()).await;
    let deadline = Instant::now() + limit;
    let mut scratch = [0u8; 4096];
    while let Ok(Ok(n)) = timeout_at(deadline, stream.read(&mut scratch)).await {
        if n == 0 {
            break;
        }
    }
}
