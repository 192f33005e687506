//! wirecheck's own security cases (`S.`) against servers that break them:
//! in memory for the origin policies and the decompression bomb, over
//! loopback sockets (paused clock) for what the engine times and probes (a
//! head answered too late, a head that kills the server).

#[path = "support/echo_peer.rs"]
mod echo_peer;
#[path = "support/memory.rs"]
mod memory;
#[path = "support/ws_server.rs"]
mod ws_server;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use echo_peer::{EchoPeer, header};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wirecheck::core::Behavior;
use wirecheck::ws::case::Case;
use wirecheck::ws::cases;
use wirecheck::ws::driver::Role;
use wirecheck::ws::engine::Target;
use wirecheck::ws::origin::{OriginPolicy, resolve};

/// The S.1 cases resolved against `policy` for the in-memory target (the
/// memory harness sends `Host: 127.0.0.1:9001`).
fn origin_cases(policy: &OriginPolicy) -> Vec<Case> {
    let mut all: Vec<Case> = cases::all()
        .into_iter()
        .filter(|c| c.id.to_string().starts_with("S.1."))
        .collect();
    let target = Target::parse("ws://127.0.0.1:9001/").expect("a valid URL");
    resolve(&mut all, policy, &target);
    all
}

/// Run the S.1 cases under `policy` against a server that upgrades a request
/// when `accepts(origin)` says so: the verdict of each.
fn origins(
    policy: &OriginPolicy,
    accepts: impl Fn(&str) -> bool + Copy + 'static,
) -> BTreeMap<String, Behavior> {
    origin_cases(policy)
        .iter()
        .enumerate()
        .map(|(i, case)| {
            let mut server =
                EchoPeer::new(move |_, r| accepts(&header(r, "Origin").unwrap_or_default()));
            let r = memory::run(case, i + 1, Role::Client, &mut server);
            (case.id.to_string(), r.behavior)
        })
        .collect()
}

fn failed(v: &BTreeMap<String, Behavior>) -> Vec<&str> {
    v.iter()
        .filter(|(_, b)| **b == Behavior::Failed)
        .map(|(id, _)| id.as_str())
        .collect()
}

const OWN: &str = "http://127.0.0.1:9001";

#[test]
fn a_server_that_accepts_any_origin_fails_the_same_origin_policy() {
    let v = origins(&OriginPolicy::Same, |_| true);
    assert_eq!(failed(&v), ["S.1.1", "S.1.2", "S.1.3"], "{v:?}");
    assert_eq!(v["S.1.4"], Behavior::Ok);
    // Stated as the operator's policy, the same server passes.
    let v = origins(&OriginPolicy::Any, |_| true);
    assert!(v.values().all(|b| *b == Behavior::Ok), "{v:?}");
    // Unstated, it is only reported.
    let v = origins(&OriginPolicy::Unstated, |_| true);
    assert!(v.values().all(|b| *b == Behavior::Informational), "{v:?}");
}

#[test]
fn a_prefix_match_lets_the_look_alike_in() {
    // The allowed origin as a string prefix (an origin without a port, as
    // sites have them).
    let app = OriginPolicy::parse("https://app.example").expect("valid");
    let v = origins(&app, |o| o.starts_with("https://app.example"));
    assert_eq!(failed(&v), ["S.1.3"], "{v:?}");
    // The allowed host as a prefix of the origin's host.
    let v = origins(&OriginPolicy::Same, |o| {
        o.starts_with("http://127.0.0.1") && o.ends_with(":9001")
    });
    assert_eq!(failed(&v), ["S.1.3"], "{v:?}");
}

#[test]
fn an_allow_listed_null_lets_every_sandboxed_page_in() {
    let v = origins(&OriginPolicy::Same, |o| o == OWN || o == "null");
    assert_eq!(failed(&v), ["S.1.2"], "{v:?}");
}

#[test]
fn a_list_policy_is_judged_by_its_first_origin() {
    let policy = OriginPolicy::parse("https://app.example,https://example.com").expect("valid");
    let v = origins(&policy, |o| o == "https://app.example");
    assert!(v.values().all(|b| *b == Behavior::Ok), "{v:?}");
    // A server that checks its own origin instead refuses the listed one.
    let v = origins(&policy, |o| o == OWN);
    assert_eq!(failed(&v), ["S.1.4"], "{v:?}");
}

fn case(id: &str) -> Case {
    cases::all()
        .into_iter()
        .find(|c| c.id.to_string() == id)
        .expect("a case of the catalogue")
}

#[test]
fn a_server_that_swallows_a_decompression_bomb_fails_and_one_without_deflate_is_unimplemented() {
    let bomb = case("S.4.1");
    // Agrees permessage-deflate, then reads everything and never fails the
    // connection: wirecheck ends it after the case's 10 s (simulated).
    let mut swallows = EchoPeer::new(|_, _| true).silent_with_extension("permessage-deflate");
    let r = memory::run(&bomb, 1, Role::Client, &mut swallows);
    assert_eq!(r.behavior, Behavior::Failed, "{}", r.result);
    assert!(
        r.result.contains("never failed the connection"),
        "{}",
        r.result
    );
    // Declines the extension: nothing is sent, the case does not apply.
    let mut declines = EchoPeer::new(|_, _| true);
    let r = memory::run(&bomb, 1, Role::Client, &mut declines);
    assert_eq!(r.behavior, Behavior::Unimplemented, "{}", r.result);
    assert!(
        r.result.contains("declined permessage-deflate"),
        "{}",
        r.result
    );
}

/// A server that upgrades every request, after `delay` when its head holds a
/// run of 1000 spaces (a parser with super-linear time on that shape), and
/// stops answering anything once it has seen a head of 1000 fields or more
/// (a crash).
async fn fragile_server(delay: Duration) -> std::net::SocketAddr {
    let dead = Arc::new(AtomicBool::new(false));
    ws_server::listen(move |stream| serve(stream, dead.clone(), delay)).await
}

async fn serve(mut stream: TcpStream, dead: Arc<AtomicBool>, delay: Duration) {
    if dead.load(Ordering::SeqCst) {
        return;
    }
    let mut head = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(n) if n > 0 => head.extend_from_slice(&buf[..n]),
            _ => return,
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    if text.matches("\r\n").count() > 1000 {
        dead.store(true, Ordering::SeqCst);
        return;
    }
    if text.contains(&" ".repeat(1000)) {
        tokio::time::sleep(delay).await;
    }
    let key = text
        .lines()
        .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
        .unwrap_or_default()
        .trim()
        .to_owned();
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
        wirecheck_codec::ws::handshake::accept_key(key.as_bytes())
    );
    // Then drop the connection: the cases judge the opening only.
    let _ = stream.write_all(response.as_bytes()).await;
}

#[tokio::test(start_paused = true)]
async fn a_slow_or_fatal_head_fails_its_case() {
    let addr = fragile_server(Duration::from_secs(3)).await;
    // One at a time: S.2.1 kills the server, so it runs last.
    for (id, why) in [
        ("S.2.3", "super-linear parsing, ReDoS"),
        ("S.2.1", "did not open a textbook connection"),
    ] {
        let r = &ws_server::run_one(addr, &case(id), Duration::from_secs(120)).await;
        assert_eq!(r.behavior, Behavior::Failed, "{id}: {}", r.result);
        assert!(r.result.contains(why), "{id}: {}", r.result);
    }
}

/// A server that answers nothing at all is no ReDoS: a timed head's silence
/// means something only when a textbook request was answered just before,
/// and without that answer the head is not sent.
#[tokio::test(start_paused = true)]
async fn a_server_that_answers_nothing_fails_a_timed_head_without_a_redos_claim() {
    let addr = ws_server::listen(|mut stream: TcpStream| async move {
        let mut buf = [0u8; 4096];
        while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
    })
    .await;
    let r = ws_server::run_one(addr, &case("S.2.3"), Duration::from_secs(120)).await;
    assert_eq!(r.behavior, Behavior::Failed, "{}", r.result);
    assert!(
        r.result.contains("no complete opening handshake within"),
        "{}",
        r.result
    );
    for claim in ["ReDoS", "crashed or wedged"] {
        assert!(!r.result.contains(claim), "{claim}: {}", r.result);
    }
    // The textbook request before it got no answer: the head was not sent.
    assert!(r.http_request.is_empty(), "{}", r.http_request);
}

#[tokio::test(start_paused = true)]
async fn a_head_answered_within_the_deadline_but_far_slower_than_a_normal_one_fails() {
    // 300 ms is under S.2.3's 1 s deadline, but a textbook request is answered
    // at once: the header costs the parser super-linear time.
    let addr = fragile_server(Duration::from_millis(300)).await;
    let r = ws_server::run_one(addr, &case("S.2.3"), Duration::from_secs(60)).await;
    assert_eq!(r.behavior, Behavior::Failed, "{}", r.result);
    assert!(
        r.result
            .contains("but the answer took 300.0 ms where a textbook request takes 0.0 ms"),
        "{}",
        r.result
    );
    // A server that answers that head as fast as any other is not blamed for
    // its timing (this one then drops the connection instead of echoing).
    let addr = fragile_server(Duration::ZERO).await;
    let r = ws_server::run_one(addr, &case("S.2.3"), Duration::from_secs(60)).await;
    assert!(!r.result.contains("ReDoS"), "{}", r.result);
    assert!(
        r.result
            .contains("(answered in 0.0 ms; a textbook request in 0.0 ms)"),
        "{}",
        r.result
    );
}

/// Slowloris (S.2.5, `--profile full`): a server with a 10 s head timeout
/// and one with none, as the report tells them apart.
#[tokio::test(start_paused = true)]
async fn slowloris_reports_when_the_server_gave_up_or_that_it_never_did() {
    let slow = case("S.2.5");
    assert!(slow.full_profile);
    for (head_timeout, says) in [
        (
            Some(Duration::from_secs(10)),
            "closed the connection on the unfinished head after 10.0 s",
        ),
        (
            None,
            "after 30.0 s the server still waited for the rest of the head",
        ),
    ] {
        let addr = ws_server::listen(move |mut stream| async move {
            let mut buf = [0u8; 256];
            let read_forever =
                async { while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {} };
            match head_timeout {
                Some(t) => {
                    let _ = tokio::time::timeout(t, read_forever).await;
                }
                None => read_forever.await,
            }
        })
        .await;
        let r = &ws_server::run_one(addr, &slow, Duration::from_secs(120)).await;
        assert_eq!(r.behavior, Behavior::Informational, "{}", r.result);
        assert!(r.result.contains(says), "{}", r.result);
    }
}

/// S.2.2 sends a 1 MiB head; the result (and so each report file) keeps
/// its first 16 KiB and says how much more was sent.
#[test]
fn a_huge_request_is_kept_cut_in_the_result() {
    use wirecheck::ws::result::MAX_KEPT_REQUEST;
    let r = memory::run(
        &case("S.2.2"),
        1,
        Role::Client,
        &mut EchoPeer::new(|_, _| false),
    );
    assert!(
        r.http_request.len() < MAX_KEPT_REQUEST + 100,
        "{}",
        r.http_request.len()
    );
    assert!(r.http_request.starts_with("GET / HTTP/1.1\r\n"));
    assert!(
        r.http_request.ends_with("more bytes sent, not kept]"),
        "{}",
        &r.http_request[MAX_KEPT_REQUEST - 20..]
    );
    // The server refused it with 400: the case passes.
    assert_eq!(r.behavior, Behavior::Ok, "{}", r.result);
}
