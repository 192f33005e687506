//! `wirecheck clients ws`: the fuzzing server speaks Autobahn's driver protocol
//! (autobahn.md §8) to clients written here, judges broken ones, and the
//! `-- CMD` mode maps what the client did onto the exit codes (DESIGN §3).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use wirecheck::core::Behavior;
use wirecheck::ws::cases;
use wirecheck::ws::engine::EngineConfig;
use wirecheck::ws::fuzzingserver::server::{FuzzingServer, Results, Served};
use wirecheck::ws::run::select;

mod support;
use support::{temp_dir, wirecheck};

struct Fuzzer {
    url: String,
    stop: Option<oneshot::Sender<()>>,
    served: tokio::task::JoinHandle<Served>,
    updates: Arc<Mutex<Vec<Results>>>,
}

impl Fuzzer {
    async fn start(pattern: &str) -> Fuzzer {
        let selected =
            select(cases::for_clients(), &[pattern.to_owned()], &[]).expect("a selection");
        let updates = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&updates);
        let server = FuzzingServer::bind(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            selected,
            EngineConfig::default(),
            Arc::new(move |r: &Results| {
                seen.lock().expect("lock").push(r.clone());
                Ok(())
            }),
        )
        .await
        .expect("bind");
        let url = format!("ws://{}", server.local_addr().expect("addr"));
        let (tx, rx) = oneshot::channel::<()>();
        let served = tokio::spawn(server.serve(
            async {
                let _ = rx.await;
            },
            Duration::from_secs(5),
        ));
        Fuzzer {
            url,
            stop: Some(tx),
            served,
            updates,
        }
    }

    async fn finish(mut self) -> Served {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.served.await.expect("the server ends")
    }
}

/// Connect to `path`, collect the text messages until the server closes.
async fn texts(url: &str, path: &str) -> Vec<String> {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{url}{path}"))
        .await
        .expect("the fuzzing server accepts");
    let mut out = Vec::new();
    while let Some(Ok(m)) = ws.next().await {
        if let Message::Text(t) = m {
            out.push(t.to_string());
        }
    }
    out
}

/// A conforming client (tungstenite): echo every message until closed. It
/// refuses an answer that breaks RFC 6455 §4.1 (the C.2 cases).
async fn echo(url: &str, path: &str) {
    let Ok((mut ws, _)) = tokio_tungstenite::connect_async(format!("{url}{path}")).await else {
        return;
    };
    while let Some(Ok(m)) = ws.next().await {
        if m.is_text() || m.is_binary() {
            let _ = ws.send(m).await;
        }
    }
}

/// Send a raw opening request for `target`; the response head and the rest.
async fn raw(addr: &str, target: &str) -> (String, TcpStream) {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let req = format!(
        "GET {target} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.expect("write");
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && s.read(&mut b).await.expect("read") == 1 {
        head.push(b[0]);
    }
    (String::from_utf8_lossy(&head).into_owned(), s)
}

#[tokio::test]
async fn the_driver_protocol_counts_informs_runs_reports_and_tells_status() {
    let f = Fuzzer::start("1.1.*").await;
    assert_eq!(texts(&f.url, "/getCaseCount").await, ["8"]);
    let description = cases::all()
        .into_iter()
        .find(|c| c.id.to_string() == "1.1.2")
        .expect("1.1.2")
        .description;
    assert_eq!(
        texts(&f.url, "/getCaseInfo?case=2").await,
        [format!(
            "{{\"id\": \"1.1.2\", \"description\": {}}}",
            serde_json::Value::from(description)
        )]
    );
    for n in 1..=8 {
        echo(&f.url, &format!("/runCase?case={n}&agent=tung")).await;
    }
    // casetuple runs a case by its id; a rerun replaces the result.
    echo(&f.url, "/runCase?casetuple=1.1.3&agent=tung").await;
    assert_eq!(
        texts(&f.url, "/getCaseStatus?case=8&agent=tung").await,
        [r#"{"behavior": "OK"}"#]
    );
    assert!(texts(&f.url, "/updateReports?agent=tung").await.is_empty());
    let updates = f.updates.lock().expect("lock").clone();
    assert_eq!(updates.len(), 1, "one report update");
    let served = f.finish().await;
    let results = &served.results["tung"];
    assert_eq!(results.len(), 8);
    for r in results {
        assert_eq!(r.behavior, Behavior::Ok, "{}: {}", r.id, r.result);
        assert!(r.close.is_server, "{}: isServer", r.id);
    }
    assert_eq!(updates[0]["tung"].len(), 8);
}

#[tokio::test]
async fn bad_parameters_are_refused_with_the_originals_500_and_reason() {
    let f = Fuzzer::start("1.1.*").await;
    let addr = f.url.trim_start_matches("ws://").to_owned();
    for (target, status) in [
        ("/runCase?case=1", "HTTP/1.1 500 need agent to run case"),
        ("/runCase?case=9&agent=a", "HTTP/1.1 500 case 9 not found"),
        (
            "/runCase?casetuple=2.1&agent=a",
            "HTTP/1.1 500 invalid test case tuple 2.1",
        ),
        ("/getCaseInfo", "HTTP/1.1 500 need case to get info"),
        ("/echo", "HTTP/1.1 404 no such path"),
    ] {
        let (head, _) = raw(&addr, target).await;
        assert!(head.starts_with(status), "{target}: {head}");
    }
    let served = f.finish().await;
    assert!(served.results.is_empty(), "no case ran");
}

#[tokio::test]
async fn a_client_that_does_not_mask_or_does_not_echo_fails() {
    let f = Fuzzer::start("1.1.1").await;
    let addr = f.url.trim_start_matches("ws://").to_owned();
    // 1.1.1 sends an empty text message: echo it unmasked (RFC 6455 §5.1:
    // the server must fail the connection, 1002).
    let (head, mut s) = raw(&addr, "/runCase?case=1&agent=unmasked").await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    s.write_all(&[0x81, 0x00]).await.expect("write");
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut rest)).await;
    // A client that only listens: the echo never comes.
    let (head, mut s) = raw(&addr, "/runCase?case=1&agent=silent").await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut rest)).await;
    let served = f.finish().await;
    let unmasked = &served.results["unmasked"][0];
    assert_eq!(unmasked.behavior, Behavior::Failed, "{}", unmasked.result);
    assert_eq!(unmasked.close.local_close_code, Some(1002), "{unmasked:?}");
    let silent = &served.results["silent"][0];
    assert_eq!(silent.behavior, Behavior::Failed, "{}", silent.result);
}

fn run_cmd(dir: &support::TempDir, cases: &str, cmd: &[&str]) -> std::process::Output {
    let mut args = vec![
        "clients",
        "ws",
        "--cases",
        cases,
        "--report-dir",
        dir.to_str().expect("UTF-8 path"),
        "--",
    ];
    args.extend_from_slice(cmd);
    wirecheck(&args)
}

#[test]
fn the_reference_client_run_by_the_command_passes_and_is_reported() {
    let dir = temp_dir("clients-ref");
    let me = env!("CARGO_BIN_EXE_wirecheck");
    let out = run_cmd(
        &dir,
        "1.1.*,2.*,5.1,7.1.*,C.*,12.1.1,13.3.1",
        &[me, "client", "ws", "{url}", "--agent", "ref"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("PASS"), "{stdout}");
    assert!(
        stdout.starts_with("wirecheck clients ws: 42 cases against \"ref\""),
        "{stdout}"
    );
    let index = std::fs::read_to_string(dir.join("index.json")).expect("index.json");
    let index: serde_json::Value = serde_json::from_str(&index).expect("JSON");
    assert_eq!(
        index["ref"].as_object().map(|o| o.len()),
        Some(42),
        "{index}"
    );
    assert_eq!(index["ref"]["2.1"]["behavior"], "OK");
    assert_eq!(index["ref"]["C.2.1"]["behavior"], "OK");
    // The compression cases: the client's offer answered as Autobahn's
    // fuzzingserver answers it (13.3: client_max_window_bits=9).
    assert_eq!(index["ref"]["12.1.1"]["behavior"], "OK");
    assert_eq!(index["ref"]["13.3.1"]["behavior"], "OK");
    let case = std::fs::read_to_string(dir.join("ref_case_13_3_1.json")).expect("case JSON");
    let case: serde_json::Value = serde_json::from_str(&case).expect("JSON");
    let answer = case["httpResponse"].as_str().unwrap_or_default();
    assert!(
        answer.contains("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=9"),
        "{answer}"
    );
    // Autobahn's trafficStats, from the fuzzing server's side: it read the
    // request and wrote the response (13.3.1: 1000 messages of 16 bytes).
    let request = case["httpRequest"].as_str().unwrap_or_default().len() as u64;
    support::check_traffic_stats(&case, 16, 1000, answer.len() as u64, request);
    let plain = std::fs::read_to_string(dir.join("ref_case_2_1.json")).expect("case JSON");
    let plain: serde_json::Value = serde_json::from_str(&plain).expect("JSON");
    assert_eq!(plain["reportCompressionRatio"], false);
    assert_eq!(plain["trafficStats"], serde_json::Value::Null);
}

#[test]
fn the_url_also_comes_in_the_environment() {
    let dir = temp_dir("clients-env");
    let script = format!(
        "exec {} client ws \"$WIRECHECK_URL\"",
        env!("CARGO_BIN_EXE_wirecheck")
    );
    let out = run_cmd(&dir, "1.1.1,1.1.2", &["sh", "-c", &script]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_client_that_never_connects_exits_3() {
    let dir = temp_dir("clients-never");
    let out = run_cmd(&dir, "1.1.1", &["true"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("never connected"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn cases_a_client_never_ran_are_failed_and_say_how_it_ended() {
    let dir = temp_dir("clients-missing");
    let me = env!("CARGO_BIN_EXE_wirecheck");
    // It connects to a path the fuzzing server does not know, and gives up.
    let out = run_cmd(&dir, "1.1.1,1.1.2", &[me, "client", "ws", "{url}/nowhere"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("the client never ran this case"),
        "{stdout}"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("exit status: 3"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn usage_errors_come_before_anything_runs() {
    let dir = temp_dir("clients-usage");
    let out = run_cmd(&dir, "H.*", &["true"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run_cmd(&dir, "1.1.1", &["/nonexistent/client"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot run the client command"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The reference client against a server that never answers its opening
/// request: its deadline fires, and it reports the server unreachable.
#[test]
fn the_reference_client_gives_up_on_a_silent_server_with_3() {
    let addr = support::holding_server(b"");
    let out = wirecheck(&["client", "ws", &format!("ws://{addr}")]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no opening handshake within"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A client that breaks rules as told: it takes any answer to its request
/// (no check at all), reads frames masked or not, echoes every data frame and
/// answers Pings, masking frame `n` with `key(n)`, and answers a Close.
async fn lenient(addr: &str, path: &str, key: impl Fn(usize) -> [u8; 4]) {
    lenient_with(addr, path, key, true, None).await;
}

/// [`lenient`]; after answering a Close it waits for the server to close TCP
/// (`wait_for_drop`), or closes it at once. It answers a Close with
/// `close_answer` as the body, or by echoing the body received.
async fn lenient_with(
    addr: &str,
    path: &str,
    key: impl Fn(usize) -> [u8; 4],
    wait_for_drop: bool,
    close_answer: Option<&[u8]>,
) {
    use wirecheck_codec::ws::frame::HeaderRules;
    use wirecheck_codec::ws::{FrameDecoder, FrameEvent, OpCode, encode};
    let (_, mut s) = raw(addr, path).await;
    let mut frames = FrameDecoder::new(HeaderRules {
        role: None,
        allowed_rsv: 0b111,
        max_payload: 1 << 20,
        allow_reserved_opcodes: true,
    });
    let mut buf = vec![0u8; 64 * 1024];
    let mut current: Option<(OpCode, Vec<u8>)> = None;
    let mut sent = 0;
    loop {
        let n = match tokio::time::timeout(Duration::from_secs(15), s.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => n,
            _ => return,
        };
        let mut input = &mut buf[..n];
        let mut out = Vec::new();
        let mut closed = false;
        while let Ok(Some(event)) = frames.decode(&mut input) {
            match event {
                FrameEvent::Header(h) => current = Some((h.opcode, Vec::new())),
                FrameEvent::Payload { data, last, .. } => {
                    let Some((op, mut payload)) = current.take() else {
                        continue;
                    };
                    payload.extend_from_slice(data);
                    if !last {
                        current = Some((op, payload));
                        continue;
                    }
                    let answer = match op {
                        OpCode::Ping => OpCode::Pong,
                        OpCode::Close => {
                            closed = true;
                            OpCode::Close
                        }
                        OpCode::Text | OpCode::Binary => op,
                        _ => continue,
                    };
                    let body = match (answer, close_answer) {
                        (OpCode::Close, Some(body)) => body,
                        _ => &payload[..],
                    };
                    encode::frame(&mut out, true, 0, answer, Some(key(sent)), body);
                    sent += 1;
                }
            }
        }
        if s.write_all(&out).await.is_err() || closed {
            if wait_for_drop {
                let mut rest = Vec::new();
                let _ =
                    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut rest)).await;
            }
            return;
        }
    }
}

/// Distinct nonzero keys.
fn fresh(n: usize) -> [u8; 4] {
    (n as u32 + 1).wrapping_mul(0x9E37_79B9).to_be_bytes()
}

#[tokio::test]
async fn c1_masking_keys_are_judged_from_every_frame() {
    let f = Fuzzer::start("C.1.1").await;
    let addr = f.url.trim_start_matches("ws://").to_owned();
    lenient(&addr, "/runCase?case=1&agent=fresh", fresh).await;
    lenient(&addr, "/runCase?case=1&agent=constant", |_| [1, 2, 3, 4]).await;
    // One zero key among fresh ones.
    lenient(&addr, "/runCase?case=1&agent=zero", |n| {
        if n == 40 { [0; 4] } else { fresh(n) }
    })
    .await;
    let served = f.finish().await;
    let fresh = &served.results["fresh"][0];
    assert_eq!(fresh.behavior, Behavior::Ok, "{}", fresh.result);
    assert!(
        fresh.result.contains("fresh nonzero key"),
        "{}",
        fresh.result
    );
    let constant = &served.results["constant"][0];
    assert_eq!(constant.behavior, Behavior::Failed);
    assert!(
        constant.result.contains("reused a masking key") && constant.result.contains("01 02 03 04"),
        "{}",
        constant.result
    );
    let zero = &served.results["zero"][0];
    assert_eq!(zero.behavior, Behavior::Failed);
    assert!(
        zero.result
            .starts_with("1 of 65 frames were masked with the key 00 00 00 00"),
        "{}",
        zero.result
    );
}

#[tokio::test]
async fn c2_c3_a_client_that_takes_any_answer_or_masked_frames_fails_each_case() {
    let f = Fuzzer::start("C.*").await;
    let addr = f.url.trim_start_matches("ws://").to_owned();
    let ids: Vec<String> = select(cases::for_clients(), &["C.*".to_owned()], &[])
        .expect("C.")
        .iter()
        .map(|c| c.id.to_string())
        .collect();
    for id in ids
        .iter()
        .filter(|id| id.starts_with("C.2") || id.starts_with("C.3"))
    {
        lenient(
            &addr,
            &format!("/runCase?casetuple={id}&agent=lenient"),
            fresh,
        )
        .await;
        echo(
            &f.url,
            &format!("/runCase?casetuple={id}&agent=tungstenite"),
        )
        .await;
    }
    let served = f.finish().await;
    let lenient = &served.results["lenient"];
    assert_eq!(lenient.len(), 10);
    for r in lenient {
        assert_eq!(r.behavior, Behavior::Failed, "{}: {}", r.id, r.result);
    }
    // What tungstenite, a checking client, does is reported whatever it is:
    // each of its cases has a verdict and a reason.
    for r in &served.results["tungstenite"] {
        assert!(!r.result.is_empty(), "{}", r.id);
    }
}

/// C.4.1: wirecheck holds TCP open after the close handshake; a client that
/// waits for the server to close it is OK (tungstenite is one), one that
/// closes it first is NON-STRICT.
#[tokio::test]
async fn c4_a_client_that_closes_tcp_first_is_non_strict() {
    let f = Fuzzer::start("C.4.1").await;
    let addr = f.url.trim_start_matches("ws://").to_owned();
    // It answers the Close, then reads until the server closes.
    lenient(&addr, "/runCase?case=1&agent=waits", fresh).await;
    // It closes TCP as soon as it has answered the Close.
    lenient_with(&addr, "/runCase?case=1&agent=drops", fresh, false, None).await;
    // tungstenite waits for the server, as the RFC asks.
    echo(&f.url, "/runCase?case=1&agent=tungstenite").await;
    let served = f.finish().await;
    let waits = &served.results["waits"][0];
    assert_eq!(waits.behavior, Behavior::Ok, "{}", waits.result);
    assert!(
        waits.result.contains("left closing TCP to the server"),
        "{}",
        waits.result
    );
    assert_eq!(waits.close.peer_drop_ms, None);
    let drops = &served.results["drops"][0];
    assert_eq!(drops.behavior, Behavior::NonStrict, "{}", drops.result);
    assert!(
        drops.result.contains("before the server did"),
        "{}",
        drops.result
    );
    assert!(
        drops.close.peer_drop_ms.is_some_and(|ms| ms < 2000),
        "{:?}",
        drops.close
    );
}

/// C.5: the client's Close answers wirecheck's: the code echoed is OK, another
/// code it may send NON-STRICT, 1005 (which only the API may report) FAILED.
#[tokio::test]
async fn c5_a_client_that_does_not_echo_the_close_code_is_non_strict_and_1005_fails() {
    let f = Fuzzer::start("C.5.*").await;
    let addr = f.url.trim_start_matches("ws://").to_owned();
    let answers: [(&str, Option<&[u8]>); 3] = [
        ("echoes", None),
        ("says-1000", Some(&[0x03, 0xe8])),
        ("says-1005", Some(&[0x03, 0xed])),
    ];
    for case in 1..=2 {
        for (agent, answer) in answers {
            lenient_with(
                &addr,
                &format!("/runCase?case={case}&agent={agent}"),
                fresh,
                true,
                answer,
            )
            .await;
        }
        echo(&f.url, &format!("/runCase?case={case}&agent=tungstenite")).await;
    }
    let served = f.finish().await;
    for r in &served.results["echoes"] {
        assert_eq!(r.behavior, Behavior::Ok, "{}: {}", r.id, r.result);
        assert!(r.result.contains("the close code echoed"), "{}", r.result);
    }
    for r in &served.results["says-1000"] {
        assert_eq!(r.behavior, Behavior::NonStrict, "{}: {}", r.id, r.result);
        assert!(r.result.contains("with 1000"), "{}", r.result);
    }
    for r in &served.results["says-1005"] {
        assert_eq!(r.behavior, Behavior::Failed, "{}: {}", r.id, r.result);
        assert!(r.result.contains("1005"), "{}", r.result);
    }
    // tungstenite echoes the code, as the RFC suggests.
    for r in &served.results["tungstenite"] {
        assert_eq!(r.behavior, Behavior::Ok, "{}: {}", r.id, r.result);
    }
}
