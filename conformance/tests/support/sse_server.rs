//! A scripted SSE server for the runner tests: each test describes, in a few
//! lines, what a (broken) server writes and when, and runs selected cases
//! against it. Servers listen on 127.0.0.1 on a port the OS picks; every wait is
//! bounded by the runner's own timeouts and by `tokio::time::timeout` around
//! each run.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wirecheck::net::Target;
use wirecheck::report::Behavior;
use wirecheck::report::CaseReport;
use wirecheck::sse::case::{DataContract, Observations, Settings};
use wirecheck::sse::command::select;
use wirecheck::sse::run::{RunConfig, judge_all, observe_all};

/// A request as the scripted servers see it.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    pub path: String,
    pub headers: HashMap<String, String>,
}

impl Req {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

/// What a scripted server does on one connection.
pub enum Act {
    /// Write these bytes.
    Write(Vec<u8>),
    /// Sleep this many milliseconds (on tokio's clock: paused in some tests).
    Sleep(u64),
}

pub fn w(s: impl AsRef<[u8]>) -> Act {
    Act::Write(s.as_ref().to_vec())
}

pub type Handler = Arc<dyn Fn(&Req) -> Vec<Act> + Send + Sync>;

/// Serve `handler` on 127.0.0.1; returns the URL of `/events`. After the script
/// the server closes the connection.
pub async fn scripted(handler: Handler) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let handler = Arc::clone(&handler);
            tokio::spawn(async move {
                let _ =
                    tokio::time::timeout(Duration::from_secs(30), serve_one(stream, handler)).await;
            });
        }
    });
    format!("http://{addr}/events")
}

pub async fn serve_one(mut stream: TcpStream, handler: Handler) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > 64 * 1024 {
            return;
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let req = Req {
        method: first.next().unwrap_or("").to_owned(),
        path: first.next().unwrap_or("").to_owned(),
        headers: lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect(),
    };
    for act in handler(&req) {
        match act {
            Act::Write(b) => {
                if stream.write_all(&b).await.is_err() {
                    return;
                }
            }
            Act::Sleep(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
        }
    }
    let _ = stream.shutdown().await;
}

pub const SSE_HEAD: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n";

/// A close-delimited stream: `head`, then `body` pieces with pauses.
pub fn stream_of(head: &str, body: Vec<Act>) -> Vec<Act> {
    let mut acts = vec![w(head)];
    acts.extend(body);
    acts
}

/// Events `from..from+n` (`id`, `data`), one every `every` ms.
pub fn ticks(from: u64, n: u64, every: u64) -> Vec<Act> {
    let mut acts = Vec::new();
    for i in from..from + n {
        acts.push(w(format!("id: {i}\ndata: tick {i}\n\n")));
        acts.push(Act::Sleep(every));
    }
    acts
}

/// Run the selected cases against `url`; verdicts and reasons by case id.
pub async fn run(
    url: &str,
    pats: &[&str],
    duration_ms: u64,
    heartbeat_ms: u64,
    origin: Option<&str>,
) -> HashMap<String, (Behavior, String)> {
    run_reports(url, pats, duration_ms, heartbeat_ms, origin)
        .await
        .1
        .into_iter()
        .map(|c| (c.id, (c.behavior, c.result)))
        .collect()
}

/// Run the selected cases against `url`; the observations and the case reports.
/// The run must end within three times the duration plus 20 s.
pub async fn run_reports(
    url: &str,
    pats: &[&str],
    duration_ms: u64,
    heartbeat_ms: u64,
    origin: Option<&str>,
) -> (Observations, Vec<CaseReport>) {
    run_with(url, pats, settings(duration_ms, heartbeat_ms, origin)).await
}

/// The settings of a test run (`--data text`, no time scaling).
pub fn settings(duration_ms: u64, heartbeat_ms: u64, origin: Option<&str>) -> Settings {
    Settings {
        origin: origin.map(str::to_owned),
        heartbeat: Duration::from_millis(heartbeat_ms),
        duration: Duration::from_millis(duration_ms),
        timeout_scale: 1.0,
        data: DataContract::Text,
    }
}

/// [`run_reports`] with the given settings.
pub async fn run_with(
    url: &str,
    pats: &[&str],
    settings: Settings,
) -> (Observations, Vec<CaseReport>) {
    let cases = select(
        &pats.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>(),
        &[],
    )
    .unwrap();
    let cfg = RunConfig {
        settings: settings.clone(),
        headers: Vec::new(),
        tls: None,
        head_timeout: Duration::from_secs(5),
        jobs: 4,
        http: wirecheck::net::Http::V1_1,
    };
    let target = Target::parse_http(url).unwrap();
    let obs = tokio::time::timeout(
        settings.duration * 3 + Duration::from_secs(20),
        observe_all(&target, &cfg, &cases),
    )
    .await
    .expect("the run is bounded");
    let reports = judge_all(&cases, &settings, &obs, "test");
    (obs, reports)
}

/// Verdicts and reasons by case id.
pub fn verdicts(reports: &[CaseReport]) -> HashMap<String, (Behavior, String)> {
    reports
        .iter()
        .map(|c| (c.id.clone(), (c.behavior, c.result.clone())))
        .collect()
}

#[track_caller]
pub fn expect(v: &HashMap<String, (Behavior, String)>, id: &str, behavior: Behavior, needle: &str) {
    let (b, reason) = v.get(id).unwrap_or_else(|| panic!("{id} did not run"));
    assert_eq!(*b, behavior, "{id}: {reason}");
    assert!(
        reason.contains(needle),
        "{id}: reason {reason:?} lacks {needle:?}"
    );
}
