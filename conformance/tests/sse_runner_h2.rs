//! `wirecheck sse --http 2`: the catalogue over HTTP/2 against the reference
//! server, flow control (wirecheck gives the window back as it reads, or a
//! correct server stalls after the first window), and servers written here
//! that break the rules of E.6. Servers listen on 127.0.0.1 on ports the
//! system picks; every run has a liveness bound.

#[path = "support/h2_raw.rs"]
mod h2_raw;
#[path = "support/ws_server.rs"]
mod ws_server;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tokio::net::TcpStream;
use wirecheck::http2::client::{CONNECTION_WINDOW, STREAM_WINDOW};
use wirecheck::net::{Http, Target};
use wirecheck::report::{Behavior, CaseReport};
use wirecheck::serve::Server as _;
use wirecheck::serve::sse::{SseServerConfig, bind};
use wirecheck::sse::case::{DataContract, Settings};
use wirecheck::sse::command::select_for;
use wirecheck::sse::observe::{End, Stop, eventsource_request, observe};
use wirecheck::sse::run::{RunConfig, judge_all, observe_all};

fn settings(duration: Duration) -> Settings {
    Settings {
        origin: None,
        heartbeat: Duration::from_secs(15),
        duration,
        timeout_scale: 1.0,
        data: DataContract::Text,
    }
}

/// Run the cases `patterns` select over HTTP/2 against `url`.
async fn run(url: &str, patterns: &[&str], duration: Duration) -> Vec<CaseReport> {
    let patterns: Vec<String> = patterns.iter().map(|p| (*p).to_owned()).collect();
    let cases = select_for(Http::V2, &patterns, &[]).expect("cases");
    let settings = settings(duration);
    let cfg = RunConfig {
        settings: settings.clone(),
        headers: Vec::new(),
        tls: None,
        head_timeout: Duration::from_secs(5),
        jobs: 4,
        http: Http::V2,
    };
    let target = Target::parse_http(url).expect("valid URL");
    let obs = tokio::time::timeout(
        duration * 3 + Duration::from_secs(20),
        observe_all(&target, &cfg, &cases),
    )
    .await
    .expect("the run is bounded");
    judge_all(&cases, &settings, &obs, "test")
}

/// Run the cases `ids` over HTTP/2 against the server at `addr` for `secs`:
/// each must be `behavior`, with `needle` in its reason.
async fn judged(addr: SocketAddr, ids: &[&str], secs: u64, behavior: Behavior, needle: &str) {
    let reports = run(
        &format!("http://{addr}/events"),
        ids,
        Duration::from_secs(secs),
    )
    .await;
    for id in ids {
        let r = verdict(&reports, id);
        assert_eq!(r.behavior, behavior, "{id}: {}", r.result);
        assert!(r.result.contains(needle), "{id}: {}", r.result);
    }
}

fn verdict<'a>(reports: &'a [CaseReport], id: &str) -> &'a CaseReport {
    reports
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("{id} ran"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_http2_the_reference_server_fails_no_case() {
    let server = bind(SseServerConfig {
        interval: Duration::from_millis(100),
        ..SseServerConfig::ephemeral()
    })
    .await
    .expect("bind")
    .spawn()
    .expect("serve");
    let reports = run(&server.url(), &[], Duration::from_secs(2)).await;
    server.shutdown().await;
    for r in &reports {
        assert!(
            !matches!(r.behavior, Behavior::Failed | Behavior::NonStrict),
            "{}: {} {}",
            r.id,
            r.behavior,
            r.result
        );
        assert_eq!(r.http, Some("2"), "{}", r.id);
    }
    // What HTTP/2 adds, and the reconnect on the same connection.
    for id in ["E.6.1", "E.6.2", "E.4.2", "E.4.3", "E.1.3"] {
        assert_eq!(
            verdict(&reports, id).behavior,
            Behavior::Ok,
            "{id}: {}",
            verdict(&reports, id).result
        );
    }
}

/// One event of about 1 KiB.
fn event(n: usize) -> Bytes {
    Bytes::from(format!("id: {n}\ndata: {}\n\n", "x".repeat(1000)))
}

/// How an h2 SSE server written here behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sse {
    /// Sends `EVENTS` events as fast as the flow-control windows let it, then ends.
    Floods,
    /// Serves the first stream of a connection only: later ones get their
    /// head, then nothing.
    OneStreamAtATime,
    /// Serves every stream, but allows one at a time
    /// (SETTINGS_MAX_CONCURRENT_STREAMS = 1).
    OneStreamAllowed,
    /// An event every 100 ms, sent in DATA frames of 512 bytes: events wait
    /// inside a frame for the next (as behind a buffering proxy).
    SizeFlushed,
    /// An event with the next id every 50 ms, resuming after the request's
    /// Last-Event-ID (WHATWG SSE: the server's side of a reconnect).
    Resumes,
    /// As `Resumes`, but always from id 1 whatever Last-Event-ID says.
    IgnoresLastEventId,
}

/// What a server written here saw: TCP connections and streams.
#[derive(Debug, Default)]
struct Seen {
    connections: AtomicUsize,
    streams: AtomicUsize,
}

/// Enough events to overflow both of wirecheck's receive windows twice.
const EVENTS: usize = 3 * CONNECTION_WINDOW as usize / 1024;

async fn start(how: Sse) -> SocketAddr {
    start_counted(how).await.0
}

async fn start_counted(how: Sse) -> (SocketAddr, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let counts = Arc::clone(&seen);
    let addr = ws_server::listen(move |tcp| serve(tcp, how, Arc::clone(&counts))).await;
    (addr, seen)
}

async fn serve(tcp: TcpStream, how: Sse, seen: Arc<Seen>) {
    seen.connections.fetch_add(1, Ordering::SeqCst);
    let mut builder = h2::server::Builder::new();
    if how == Sse::OneStreamAllowed {
        builder.max_concurrent_streams(1);
    }
    let Ok(mut conn) = builder.handshake::<_, Bytes>(tcp).await else {
        return;
    };
    let mut streams = 0;
    while let Some(Ok((req, mut respond))) = conn.accept().await {
        seen.streams.fetch_add(1, Ordering::SeqCst);
        streams += 1;
        let first = streams == 1;
        if matches!(
            how,
            Sse::SizeFlushed | Sse::Resumes | Sse::IgnoresLastEventId
        ) {
            tokio::spawn(paced(req, respond, how));
            continue;
        }
        tokio::spawn(async move {
            let head = http::Response::builder()
                .status(200)
                .header("content-type", "text/event-stream")
                .body(())
                .unwrap();
            let Ok(mut send) = respond.send_response(head, false) else {
                return;
            };
            let count = match how {
                Sse::Floods => EVENTS,
                Sse::OneStreamAtATime | Sse::OneStreamAllowed if first => usize::MAX,
                Sse::OneStreamAllowed => usize::MAX,
                _ => 0,
            };
            for n in 1..=count {
                let data = event(n);
                // RFC 9113 §6.9: never beyond the window the client gave.
                send.reserve_capacity(data.len());
                loop {
                    match std::future::poll_fn(|cx| send.poll_capacity(cx)).await {
                        Some(Ok(c)) if c >= data.len() => break,
                        Some(Ok(_)) => {}
                        _ => return,
                    }
                }
                if send.send_data(data, false).is_err() {
                    return;
                }
                if how != Sse::Floods {
                    // One event every 50 ms: a live stream.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
            if how == Sse::Floods {
                let _ = send.send_data(Bytes::new(), true);
            }
            std::future::pending::<()>().await;
        });
    }
}

/// The paced streams: `SizeFlushed`, `Resumes`, `IgnoresLastEventId`.
async fn paced(
    req: http::Request<h2::RecvStream>,
    mut respond: h2::server::SendResponse<Bytes>,
    how: Sse,
) {
    let head = http::Response::builder()
        .status(200)
        .header("content-type", "text/event-stream")
        .body(())
        .unwrap();
    let Ok(mut send) = respond.send_response(head, false) else {
        return;
    };
    let after: u64 = match how {
        Sse::Resumes => req
            .headers()
            .get("last-event-id")
            .and_then(|v| v.to_str().ok()?.parse().ok())
            .unwrap_or(0),
        _ => 0,
    };
    let mut pending = Vec::new();
    for i in after + 1..after + 200 {
        let event = format!("id: {i}\ndata: event number {i:04}\n\n");
        if how == Sse::SizeFlushed {
            tokio::time::sleep(Duration::from_millis(100)).await;
            pending.extend_from_slice(event.as_bytes());
            if pending.len() < 512 {
                continue;
            }
            let rest = pending.split_off(512);
            let slice = std::mem::replace(&mut pending, rest);
            if send.send_data(Bytes::from(slice), false).is_err() {
                return;
            }
        } else {
            if send.send_data(Bytes::from(event), false).is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_held_inside_data_frames_fail_e_3_3() {
    let addr = start(Sse::SizeFlushed).await;
    judged(addr, &["E.3.3"], 4, Behavior::Failed, "held incomplete").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reconnect_is_a_new_stream_of_the_same_connection() {
    // WHATWG SSE: the reconnect carries Last-Event-ID; over HTTP/2 it is a
    // stream of the connection already open, as browsers make it.
    let (addr, seen) = start_counted(Sse::Resumes).await;
    judged(addr, &["E.4.2", "E.4.3"], 2, Behavior::Ok, "").await;
    assert_eq!(seen.connections.load(Ordering::SeqCst), 1);
    assert_eq!(seen.streams.load(Ordering::SeqCst), 2);

    let addr = start(Sse::IgnoresLastEventId).await;
    judged(
        addr,
        &["E.4.3"],
        2,
        Behavior::Failed,
        "ignores Last-Event-ID",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_larger_than_every_window_arrives_whole() {
    assert!(EVENTS * 1000 > 2 * (STREAM_WINDOW + CONNECTION_WINDOW) as usize);
    let addr = start(Sse::Floods).await;
    let target = Target::parse_http(&format!("http://{addr}/events")).unwrap();
    let mut req = eventsource_request(None, None, &[]);
    req.http = Http::V2;
    let stop = Stop {
        duration: Duration::from_secs(30),
        head_timeout: Duration::from_secs(5),
        max_body: 64 << 20,
        ids: None,
        events: None,
    };
    let o = tokio::time::timeout(Duration::from_secs(60), observe(&target, None, &req, stop))
        .await
        .expect("bounded");
    // A client that kept the window closed would see the first megabyte, then
    // nothing until its deadline (End::Cut).
    assert_eq!(o.end, End::ServerEnded, "{:?}", o.end);
    assert_eq!(o.dispatched, EVENTS as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_held_back_behind_another_fail_e_6_1() {
    let addr = start(Sse::OneStreamAtATime).await;
    judged(addr, &["E.6.1"], 1, Behavior::Failed, "1 of 3 streams").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_specific_field_fails_e_6_2() {
    let addr = ws_server::listen(h2_raw::answers_with_connection_header).await;
    judged(
        addr,
        &["E.6.2", "E.1.1"],
        1,
        Behavior::Failed,
        "RFC 9113 §8.2.2",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_allowing_one_stream_at_a_time_is_non_strict_in_e_6_1() {
    let addr = start(Sse::OneStreamAllowed).await;
    judged(
        addr,
        &["E.6.1"],
        1,
        Behavior::NonStrict,
        "allows 1 stream at once",
    )
    .await;
}
