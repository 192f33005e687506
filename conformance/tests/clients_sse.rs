//! `wirecheck clients sse`: the EC. cases judge an EventSource client from its
//! requests and the events it reports back; the reference client passes them
//! all, and a sloppy client written here fails the rules it breaks.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wirecheck::core::Behavior;
use wirecheck::sse::fuzzing::cases::{self, Seen};
use wirecheck::sse::fuzzing::server::{Served, SseFuzzingServer};

mod support;
use support::{temp_dir, wirecheck};

/// The fuzzing server on a loopback port with every EC. case: the cases, its
/// address, the sender that stops it and the task that ends with what it saw.
async fn start() -> (
    Arc<Vec<cases::ClientCase>>,
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<Served>,
) {
    let all = Arc::new(cases::cases());
    let server = SseFuzzingServer::bind(SocketAddr::from(([127, 0, 0, 1], 0)), Arc::clone(&all))
        .await
        .expect("bind");
    let addr = server.url().trim_start_matches("http://").to_owned();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve(
        async {
            let _ = rx.await;
        },
        Duration::from_millis(100),
    ));
    (all, addr, tx, serving)
}

/// One plain HTTP exchange: the status and the body (the server closes).
async fn exchange(addr: &str, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.expect("write");
    s.write_all(body).await.expect("write");
    let mut all = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut all)).await;
    let split = all
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(all.len(), |i| i + 4);
    // No answer at all (a dropped connection) is status 0.
    let status = all
        .get(9..12)
        .and_then(|s| std::str::from_utf8(s).ok())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, all[split..].to_vec())
}

/// A report whose length is not `1*DIGIT` (RFC 9110 §8.6) is refused with the
/// reason, before any of its body is read.
#[tokio::test]
async fn a_report_without_a_valid_length_is_refused_naming_it() {
    let (_, addr, tx, serving) = start().await;
    for (length, why) in [
        ("+3", "invalid Content-Length"),
        ("3, 4", "conflicting Content-Length"),
    ] {
        let mut s = TcpStream::connect(&addr).await.expect("connect");
        let request = format!(
            "POST /EC.1.1/report HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {length}\r\n\r\n{{}}\n"
        );
        s.write_all(request.as_bytes()).await.expect("write");
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut answer)).await;
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 400"), "{length}: {answer}");
        assert!(answer.contains(why), "{length}: {answer}");
    }
    let _ = tx.send(());
    let served = serving.await.expect("served");
    assert!(served.bad_reports["EC.1.1"].contains("RFC 9112 §6.3"));
}

/// A sloppy client: it requests each case three times whatever the answer,
/// at once, never sends Last-Event-ID, and splits the body on LF alone,
/// taking `data: ` lines (no CR, no BOM, no ids, no types).
async fn sloppy(addr: &str, id: &str) {
    let mut events = Vec::new();
    for _ in 0..3 {
        let (_, body) = exchange(addr, "GET", &format!("/{id}"), b"").await;
        let text = String::from_utf8_lossy(&body).into_owned();
        for block in text.split("\n\n") {
            let data: Vec<&str> = block
                .lines()
                .filter_map(|l| l.strip_prefix("data: "))
                .collect();
            if !data.is_empty() {
                events.push(serde_json::json!({"type": "message", "data": data.join("\n"), "lastEventId": ""}));
            }
        }
    }
    let lines: String = events.iter().map(|e| format!("{e}\n")).collect();
    exchange(addr, "POST", &format!("/{id}/report"), lines.as_bytes()).await;
}

#[tokio::test]
async fn a_sloppy_client_fails_the_rules_it_breaks() {
    let (all, addr, tx, serving) = start().await;
    // The case list names every case, its URL and the types to listen for.
    let (status, body) = exchange(&addr, "GET", "/cases", b"").await;
    assert_eq!(status, 200);
    let list: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(list.as_array().map(Vec::len), Some(all.len()));
    assert_eq!(
        list[4]["types"],
        serde_json::json!(["message", "add", "wirecheck-end"])
    );
    for case in all.iter() {
        sloppy(&addr, case.id).await;
    }
    // A report that is not JSON lines is refused with a reason.
    let (status, body) = exchange(&addr, "POST", "/EC.1.1/report", b"not json").await;
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    let _ = tx.send(());
    let served = serving.await.expect("served");
    assert!(served.bad_reports["EC.1.1"].starts_with("report line 1: not JSON"));
    let verdicts: BTreeMap<&str, (Behavior, String)> = all
        .iter()
        .map(|c| {
            let seen = served.seen.get(c.id).cloned().unwrap_or_else(Seen::default);
            let v = (c.judge)(&seen);
            (c.id, (v.behavior, v.reason))
        })
        .collect();
    // CR line ends, the BOM, ids, types, and every reconnect rule.
    for id in [
        "EC.1.2", "EC.1.3", "EC.1.5", "EC.1.9", "EC.2.1", "EC.2.2", "EC.2.5", "EC.2.6", "EC.2.7",
        "EC.2.10", "EC.2.11",
    ] {
        assert_eq!(verdicts[id].0, Behavior::Failed, "{id}: {}", verdicts[id].1);
    }
    // Why, for the reconnect rules: it reconnects after 204, sends no
    // Last-Event-ID, does not follow the redirect, and gives up after two
    // network errors.
    for (id, why) in [
        ("EC.2.5", "reconnected"),
        ("EC.2.1", "absent"),
        ("EC.2.10", "not /EC.2.10/moved"),
        ("EC.2.11", "stopped reconnecting"),
    ] {
        assert!(verdicts[id].1.contains(why), "{id}: {}", verdicts[id].1);
    }
    // It sends no Accept: reported, not scored.
    assert_eq!(verdicts["EC.2.9"].0, Behavior::Informational);
}

#[test]
fn the_reference_client_run_by_the_command_passes_every_case() {
    let dir = temp_dir("clients-sse-ref");
    let me = env!("CARGO_BIN_EXE_wirecheck");
    let out = wirecheck(&[
        "clients",
        "sse",
        "--agent",
        "ref",
        "--report-dir",
        dir.to_str().expect("UTF-8 path"),
        "--",
        me,
        "client",
        "sse",
        "{url}",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.starts_with("wirecheck clients sse: 21 cases against \"ref\""),
        "{stdout}"
    );
    let index = std::fs::read_to_string(dir.join("index.json")).expect("index.json");
    let index: serde_json::Value = serde_json::from_str(&index).expect("JSON");
    assert_eq!(
        index["ref"].as_object().map(|o| o.len()),
        Some(cases::cases().len())
    );
    // It followed the redirect, and backed off while the server kept failing.
    let moved = std::fs::read_to_string(dir.join("ref_case_EC_2_10.json")).expect("case JSON");
    assert!(moved.contains("\"path\": \"/EC.2.10/moved\""), "{moved}");
    assert_eq!(index["ref"]["EC.2.10"]["behavior"], "OK");
    assert_eq!(index["ref"]["EC.2.11"]["behavior"], "INFORMATIONAL");
    let backoff = std::fs::read_to_string(dir.join("ref_case_EC_2_11.json")).expect("case JSON");
    assert!(backoff.contains("backs off"), "{backoff}");
    let case = std::fs::read_to_string(dir.join("ref_case_EC_2_1.json")).expect("case JSON");
    assert!(case.contains("\"lastEventId\": \"42\""), "{case}");
    // The case page shows the requests and the reported events.
    let page = std::fs::read_to_string(dir.join("ref_case_EC_2_1.html")).expect("case page");
    assert!(
        page.contains("The client's requests") && page.contains("Events the client reported"),
        "{page}"
    );
}

#[test]
fn a_client_that_never_connects_exits_3_and_one_that_stops_early_fails() {
    let dir = temp_dir("clients-sse-never");
    let out = wirecheck(&[
        "clients",
        "sse",
        "--report-dir",
        dir.to_str().expect("UTF-8 path"),
        "--",
        "true",
    ]);
    assert_eq!(out.status.code(), Some(3));
    // It connects (to a path that is not the case list: 404) and exits:
    // every case is FAILED, saying so.
    let me = env!("CARGO_BIN_EXE_wirecheck");
    let out = wirecheck(&[
        "clients",
        "sse",
        "--cases",
        "EC.1.1",
        "--report-dir",
        dir.to_str().expect("UTF-8 path"),
        "--",
        me,
        "client",
        "sse",
        "{url}/nowhere",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("never requested this case"), "{stdout}");
}

/// The reference client against a server that never answers: its deadline
/// fires and it reports the server unreachable.
#[test]
fn the_reference_client_gives_up_on_a_silent_server_with_3() {
    let addr = support::holding_server(b"");
    let out = wirecheck(&["client", "sse", &format!("http://{addr}")]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("/cases: no answer"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
