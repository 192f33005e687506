//! `wirecheck proxy` end to end: a client and a server written here talk
//! through the proxy (in-process, stopped by the test), each made to break one
//! rule; the correct pair gives no finding at all, and the bytes each side
//! receives are exactly those the other sent.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use tungstenite::Message;
use wirecheck::proxy::Finding;
use wirecheck::proxy::output::{Format, Summary};
use wirecheck::proxy::run::{Options, run};

/// A server on a loopback port the test picks, handling one connection with `serve`.
fn server(serve: impl FnOnce(TcpStream) + Send + 'static) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    thread::spawn(move || {
        if let Ok((s, _)) = listener.accept() {
            let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
            serve(s);
        }
    });
    addr
}

/// Run the proxy in front of `upstream` while `client` runs against it; the
/// findings and the summary once the connection is over.
fn through_proxy(
    upstream: &str,
    client: impl FnOnce(SocketAddr) + Send + 'static,
) -> (Vec<Finding>, Summary, u8) {
    through_proxy_to(upstream, None, None, client)
}

/// [`through_proxy`], writing the reports to `report_dir`.
fn through_proxy_to(
    upstream: &str,
    report_dir: Option<std::path::PathBuf>,
    listen_tls: Option<(std::path::PathBuf, std::path::PathBuf)>,
    client: impl FnOnce(SocketAddr) + Send + 'static,
) -> (Vec<Finding>, Summary, u8) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let opts = Options {
        listen: "127.0.0.1:0".parse().expect("addr"),
        upstream: upstream.to_owned(),
        format: Format::Jsonl,
        insecure: false,
        connections: Some(1),
        report_dir,
        listen_tls,
    };
    let findings = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&findings);
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let proxy = rt.spawn(async move {
        run(
            &opts,
            std::future::pending(),
            move |a| addr_tx.send(a).expect("address"),
            move |f| seen.lock().unwrap().push(f.clone()),
        )
        .await
    });
    let addr = addr_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("listening");
    let done = thread::spawn(move || client(addr));
    done.join().expect("client");
    // The run ends by itself once the connection has ended and its findings are in.
    let (summary, code) = rt.block_on(proxy).expect("proxy task").expect("proxy ran");
    let f = findings.lock().unwrap().clone();
    (f, summary, code)
}

fn ws_echo_server() -> SocketAddr {
    server(|s| {
        let Ok(mut ws) = tungstenite::accept(s) else {
            return;
        };
        while let Ok(m) = ws.read() {
            if m.is_text() || m.is_binary() {
                let _ = ws.send(m);
            }
        }
    })
}

#[test]
fn a_correct_websocket_pair_gives_no_finding() {
    let upstream = ws_echo_server();
    let (findings, summary, code) = through_proxy(&format!("ws://{upstream}"), |addr| {
        let (mut ws, _) = tungstenite::connect(format!("ws://{addr}/chat")).expect("connect");
        ws.send(Message::text("hello")).unwrap();
        assert_eq!(ws.read().unwrap(), Message::text("hello"));
        ws.send(Message::binary(vec![7u8; 100_000])).unwrap();
        assert_eq!(ws.read().unwrap(), Message::binary(vec![7u8; 100_000]));
        ws.send(Message::Ping(b"p".to_vec().into())).unwrap();
        ws.close(None).unwrap();
        while ws.read().is_ok() {}
    });
    assert_eq!(findings, [], "no line at all");
    assert_eq!(code, 0);
    assert_eq!(
        (summary.connections, summary.websockets),
        (1, 1),
        "{summary:?}"
    );
    assert!(summary.bytes_from_clients > 100_000 && summary.bytes_from_servers > 100_000);
}

/// A valid opening request (RFC 6455 §1.3's key).
const REQUEST: &[u8] =
    b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
    Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

/// A raw client: the opening request, the answer read, then `frames` written.
fn raw_ws_client(addr: SocketAddr, frames: &[u8]) {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    raw_ws_exchange(s, frames);
}

/// The raw client's exchange on any stream.
fn raw_ws_exchange(mut s: impl Read + Write, frames: &[u8]) {
    s.write_all(REQUEST).unwrap();
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && s.read(&mut b).unwrap_or(0) == 1 {
        head.push(b[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    s.write_all(frames).unwrap();
    s.flush().unwrap();
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
}

#[test]
fn an_unmasked_client_frame_is_the_clients_violation() {
    let upstream = ws_echo_server();
    let (findings, _, code) = through_proxy(&format!("ws://{upstream}"), |addr| {
        raw_ws_client(addr, b"\x81\x02hi");
    });
    assert_eq!(findings.len(), 1, "{findings:?}");
    let f = &findings[0];
    assert_eq!(
        (f.from.as_str(), f.rule.as_str()),
        ("client", "RFC 6455 §5.1")
    );
    assert_eq!(f.conn, 1);
    // The frame starts right after the request.
    assert_eq!(f.offset, REQUEST.len() as u64);
    assert_eq!(code, 1);
}

#[test]
fn a_wrong_accept_key_and_a_masked_server_frame_are_the_servers() {
    for (answer, rule) in [
        (
            &b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n"[..],
            "RFC 6455 §4.1",
        ),
        (
            &b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x81abcd\x00"[..],
            "RFC 6455 §5.1",
        ),
    ] {
        let upstream = server(move |mut s| {
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf);
            let _ = s.write_all(answer);
            thread::sleep(Duration::from_millis(100));
        });
        let (findings, _, code) = through_proxy(&format!("http://{upstream}"), |addr| {
            raw_ws_client(addr, b"");
        });
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].from.as_str(), "server");
        assert!(findings[0].rule.starts_with(rule), "{findings:?}");
        assert_eq!(code, 1);
    }
}

fn sse_client(addr: SocketAddr) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        .unwrap();
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
}

fn sse_server(answer: &'static [u8]) -> SocketAddr {
    server(move |mut s| {
        let mut buf = [0u8; 1024];
        let _ = s.read(&mut buf);
        let _ = s.write_all(answer);
    })
}

#[test]
fn event_streams_are_checked_for_framing_grammar_and_type() {
    let cases: [(&'static [u8], &[&str]); 3] = [
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: a\n\n: ping\n\n",
            &[],
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 22\r\n\r\nretry: soon\n\ndata: a\n\n",
            &["WHATWG SSE §9.2.3", "WHATWG SSE §9.2.6"],
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\ndata: a\n\n",
            &["WHATWG SSE §9.2.3"],
        ),
    ];
    for (answer, rules) in cases {
        let upstream = sse_server(answer);
        let (findings, summary, code) = through_proxy(&format!("http://{upstream}"), sse_client);
        let got: Vec<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(got, rules, "{findings:?}");
        assert!(findings.iter().all(|f| f.from.as_str() == "server"));
        assert_eq!(code, u8::from(!rules.is_empty()));
        assert_eq!(summary.connections, 1);
    }
}

#[test]
fn bytes_pass_through_unchanged_both_ways() {
    let sent_up: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let sent_down: Vec<u8> = (0..200_000u32).map(|i| (i * 13 % 241) as u8).collect();
    let expected_up = sent_up.clone();
    let (up, down) = (sent_up.clone(), sent_down.clone());
    let got_up = Arc::new(Mutex::new(Vec::new()));
    let got = Arc::clone(&got_up);
    let upstream = server(move |mut s| {
        let mut buf = vec![0u8; up.len()];
        let _ = s.read_exact(&mut buf);
        *got.lock().unwrap() = buf;
        let _ = s.write_all(&down);
    });
    let got_down = Arc::new(Mutex::new(Vec::new()));
    let gd = Arc::clone(&got_down);
    let (findings, summary, _) = through_proxy(&format!("http://{upstream}"), move |addr| {
        let mut s = TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(&sent_up).unwrap();
        let mut back = Vec::new();
        let _ = s.read_to_end(&mut back);
        *gd.lock().unwrap() = back;
    });
    assert_eq!(*got_up.lock().unwrap(), expected_up);
    assert_eq!(*got_down.lock().unwrap(), sent_down);
    // Not HTTP: a finding for the request head, and relayed all the same.
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(summary.bytes_from_clients, 300_000);
    assert_eq!(summary.bytes_from_servers, 200_000);
}

#[test]
fn a_bad_upstream_exits_2_with_one_line_before_listening() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wirecheck"))
        .args([
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            "ftp://example",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--upstream"), "{err}");
}

#[test]
fn the_report_has_a_case_per_connection() {
    let dir = std::env::temp_dir().join(format!("wirecheck-proxy-report-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let upstream = ws_echo_server();
    let (_, summary, code) = through_proxy_to(
        &format!("ws://{upstream}"),
        Some(dir.clone()),
        None,
        |addr| raw_ws_client(addr, b"\x81\x02hi"),
    );
    assert_eq!(code, 1);
    assert_eq!(
        summary.report.as_deref(),
        Some(dir.join("index.html").as_path())
    );
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("index.json")).expect("index.json"))
            .expect("JSON");
    assert_eq!(
        index["wirecheck-proxy"]["P.1"]["behavior"], "FAILED",
        "{index}"
    );
    let page = std::fs::read_to_string(dir.join("wirecheck_proxy_case_P_1.html")).expect("page");
    assert!(
        page.contains("RFC 6455 §5.1") && page.contains("unmasked frame"),
        "{page}"
    );
    let case: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("wirecheck_proxy_case_P_1.json")).expect("case JSON"),
    )
    .expect("JSON");
    assert_eq!(case["kind"], "WebSocket");
    assert_eq!(case["findingsTotal"], 1);
    assert_eq!(case["bytesFromClient"], (REQUEST.len() + 4) as u64);
    assert!(
        std::fs::read_to_string(dir.join("junit.xml"))
            .expect("junit")
            .contains("failure")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn clients_that_need_tls_get_it_and_are_checked_the_same() {
    let dir = std::env::temp_dir().join(format!("wirecheck-proxy-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let key =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("certificate");
    let (cert_pem, key_pem) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_pem, key.cert.pem()).expect("write");
    std::fs::write(&key_pem, key.signing_key.serialize_pem()).expect("write");
    let mut roots = rustls::RootCertStore::empty();
    roots.add(key.cert.der().clone()).expect("root");
    let config = Arc::new(
        rustls::ClientConfig::builder_with_provider(Arc::new(wirecheck::tls::provider()))
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots)
            .with_no_client_auth(),
    );
    let upstream = ws_echo_server();
    let (findings, summary, code) = through_proxy_to(
        &format!("ws://{upstream}"),
        None,
        Some((cert_pem, key_pem)),
        move |addr| {
            let tcp = TcpStream::connect(addr).expect("connect");
            tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
            let conn = rustls::ClientConnection::new(config, name).expect("client");
            raw_ws_exchange(rustls::StreamOwned::new(conn, tcp), b"\x81\x02hi");
        },
    );
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].rule, "RFC 6455 §5.1");
    assert_eq!(
        findings[0].offset,
        REQUEST.len() as u64,
        "offsets count the decrypted stream"
    );
    assert_eq!((code, summary.websockets), (1, 1));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wirecheck"))
        .args([
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            "http://127.0.0.1:1",
        ])
        .arg("--listen-tls")
        .arg(dir.join("missing.pem"))
        .arg(dir.join("key.pem"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("missing.pem") && err.lines().count() == 1,
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unreachable_upstream_is_counted_and_exits_1() {
    // A port nothing listens on: picked by binding, then closed.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let (findings, summary, code) = through_proxy(&format!("http://127.0.0.1:{port}"), |addr| {
        let mut s = TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut rest = Vec::new();
        let _ = s.read_to_end(&mut rest);
        assert!(
            rest.is_empty(),
            "the proxy closes without a byte of its own"
        );
    });
    assert_eq!(findings, []);
    assert_eq!((summary.connections, summary.unreachable, code), (1, 1, 1));
}
