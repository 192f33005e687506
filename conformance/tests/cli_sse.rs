//! The `wirecheck sse`, `wirecheck cases sse` and `wirecheck serve sse` command
//! lines: exit codes 0-3, the reports, the JSON output (DESIGN §3, §6).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

mod support;
use support::{temp_dir, wirecheck};

#[test]
fn validating_the_reference_server_exits_0_and_writes_every_report() {
    let dir = temp_dir("sse-ok");
    let out = wirecheck(&[
        "sse",
        "--duration",
        "1.5",
        "--heartbeat",
        "1",
        "--data",
        "json",
        "--origin",
        "https://app.example",
        "--report-dir",
        dir.to_str().expect("UTF-8 path"),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("PASS"), "{stdout}");
    for f in [
        "index.json",
        "index.html",
        "junit.xml",
        "wirecheck_reference_case_E_4_3.json",
        "wirecheck_reference_case_E_4_3.html",
    ] {
        assert!(dir.join(f).is_file(), "{f} written");
    }
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("index.json")).expect("index.json"))
            .expect("JSON");
    let cases = index["wirecheck-reference"].as_object().expect("agent key");
    assert_eq!(cases.len(), 32);
    for id in ["E.4.3", "E.2.10", "E.4.7", "E.3.3"] {
        assert_eq!(cases[id]["behavior"], "OK", "{id}: {}", cases[id]);
    }
    // The liveness cases carry the stream's timeline, drawn on their page.
    let e33: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("wirecheck_reference_case_E_3_3.json")).expect("case"),
    )
    .expect("JSON");
    let reads = e33["timeline"]["reads"].as_array().expect("timeline reads");
    assert!(
        reads.iter().any(|r| r[2].as_u64() > Some(0)),
        "reads that completed events: {e33}"
    );
    let page =
        std::fs::read_to_string(dir.join("wirecheck_reference_case_E_3_3.html")).expect("page");
    assert!(
        page.contains("Timeline of the stream") && page.contains("<svg"),
        "{page}"
    );
    let detail: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("wirecheck_reference_case_E_4_3.json")).expect("case"),
    )
    .expect("JSON");
    // SSE has no close verdict: no report invents one.
    assert!(detail.get("behaviorClose").is_none(), "{detail}");
    let page =
        std::fs::read_to_string(dir.join("wirecheck_reference_case_E_4_3.html")).expect("page");
    assert!(
        !page.contains("behaviorClose"),
        "no close row on the detail page"
    );
    let obs = detail["observations"].as_array().expect("observations");
    assert_eq!(obs.len(), 2, "the stream before and after the reconnect");
    assert!(
        obs[1]["request"]
            .as_str()
            .expect("request")
            .contains("Last-Event-ID: "),
        "{detail}"
    );
    let junit = std::fs::read_to_string(dir.join("junit.xml")).expect("junit");
    assert!(junit.contains("E.2.1"), "{junit}");
}

/// A server on a thread that answers every request with `response` and closes.
fn one_answer_server(response: &'static [u8]) -> String {
    answer_server(response.to_vec())
}

/// A server on a thread that answers every request with `response` and closes.
fn answer_server(response: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming().take(64) {
            let Ok(mut s) = stream else { continue };
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(&response);
        }
    });
    format!("http://{addr}/events")
}

#[test]
fn a_failing_server_exits_1_and_json_names_the_case() {
    let url = one_answer_server(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n<html></html>",
    );
    let dir = temp_dir("sse-fail");
    let out = wirecheck(&[
        "sse",
        &url,
        "--cases",
        "E.1.*",
        "--duration",
        "0.5",
        "--format",
        "json",
        "--report-dir",
        dir.to_str().expect("UTF-8 path"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let e12 = doc["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["id"] == "E.1.2")
        .expect("E.1.2");
    assert_eq!(e12["behavior"], "FAILED");
    assert!(
        e12["result"]
            .as_str()
            .expect("result")
            .contains("text/html"),
        "{e12}"
    );
}

#[test]
fn usage_errors_exit_2_and_unreachable_targets_exit_3() {
    let out = wirecheck(&["sse", "--cases", "E.9.*"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("selects no case"));
    let out = wirecheck(&["sse", "--duration", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let out = wirecheck(&["sse", "--data", "xml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--data"));
    let out = wirecheck(&["sse", "ws://127.0.0.1:1/"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected http://"));

    // A port nothing listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let dir = temp_dir("sse-unreachable");
    let url = format!("http://127.0.0.1:{port}/events");
    let out = wirecheck(&[
        "sse",
        &url,
        "--duration",
        "0.5",
        "--report-dir",
        dir.to_str().expect("UTF-8 path"),
    ]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("never answered"));
}

#[test]
fn cases_sse_lists_and_filters() {
    let out = wirecheck(&["cases", "sse"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    // The 32 server cases, the 2 of HTTP/2 (`--http 2`), then the 21 client
    // cases (`clients sse`).
    assert_eq!(text.lines().count(), 55);
    assert_eq!(
        text.lines().filter(|l| l.contains("(clients sse)")).count(),
        21
    );
    assert_eq!(text.lines().filter(|l| l.contains("(--http 2)")).count(), 2);
    let out = wirecheck(&["cases", "sse", "EC.2.*"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 11, "{text}");
    let out = wirecheck(&["cases", "sse", "E.4.*"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 7, "{text}");
    assert!(text.lines().all(|l| l.starts_with("E.4.")));
    assert_eq!(wirecheck(&["cases", "sse", "E.7"]).status.code(), Some(2));
    // Comma-separated as for `--cases`; one pattern that selects nothing is
    // an error, with nothing listed.
    let out = wirecheck(&["cases", "sse", "E.4.1,E.6.*"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 3, "{text}");
    let out = wirecheck(&["cases", "sse", "E.4.1,E.9.*"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"E.9.*\" selects no case"));
}

#[test]
fn serve_sse_prints_its_url_and_streams() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wirecheck"))
        .args(["serve", "sse", "--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("serve sse starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("a line");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .expect("the URL line")
        .to_owned();
    let dir = temp_dir("sse-serve");
    let out = wirecheck(&[
        "sse",
        &url,
        "--cases",
        "E.1.*,E.2.*",
        "--duration",
        "1",
        "--report-dir",
        dir.to_str().expect("UTF-8 path"),
    ]);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

/// [`support::holding_server`] as an SSE URL.
fn holding_server(partial: &'static [u8]) -> String {
    format!("http://{}/events", support::holding_server(partial))
}

/// `wirecheck sse URL --cases PAT` with short timers; the output.
fn run_quick(url: &str, cases: &str, dir: &std::path::Path) -> std::process::Output {
    wirecheck(&[
        "sse",
        url,
        "--cases",
        cases,
        "--duration",
        "0.5",
        "--timeout-scale",
        "0.02",
        "--report-dir",
        dir.to_str().expect("UTF-8 path"),
    ])
}

#[test]
fn bad_responses_are_judged_exit_1_and_write_the_reports() {
    let big_head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-Big: {}\r\n\r\ndata: 1\n\n",
        "b".repeat(20 * 1024)
    );
    for (name, url, (id, needle)) in [
        (
            "content-length",
            one_answer_server(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 99999999999999999999\r\n\r\ndata: 1\n\n",
            ),
            ("E.1.3", "invalid Content-Length \"99999999999999999999\""),
        ),
        (
            "redirect-loop",
            one_answer_server(
                b"HTTP/1.1 302 Found\r\nLocation: /events\r\nContent-Length: 0\r\n\r\n",
            ),
            ("E.1.1", "302: a redirect loop: "),
        ),
        (
            "5xx",
            one_answer_server(
                b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 3\r\n\r\nbad",
            ),
            ("E.1.1", "status 502"),
        ),
        (
            "big-head",
            answer_server(big_head.into_bytes()),
            ("E.1.1", "the response head exceeded wirecheck's 16 KiB head limit"),
        ),
        (
            "trickle",
            holding_server(b"HTTP/1.1 200 O"),
            (
                "E.1.1",
                "the response head was still incomplete after 0.1 s (14 bytes of it came)",
            ),
        ),
    ] {
        let dir = temp_dir(&format!("sse-bad-{name}"));
        let out = run_quick(&url, "E.1.*", &dir);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stdout}\n{stderr}");
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(id) && l.contains("FAILED") && l.contains(needle)),
            "{name}: {id} FAILED {needle:?} in {stdout}"
        );
        assert!(!stdout.contains("never answered"), "{name}: {stdout}");
        assert!(dir.join("index.json").is_file(), "{name}: a report");
        if name == "big-head" {
            assert!(stdout.contains("wirecheck's own limits were hit"), "{stdout}");
            assert!(
                stdout.contains("E.1.1  reads response heads of at most 16 KiB"),
                "{stdout}"
            );
        }
    }
}

#[test]
fn a_silent_server_exits_3_with_one_line() {
    // Accepts every connection and never sends a byte: every observation ends by
    // its head timeout (5 s x 0.02), nothing answered, no report.
    let url = holding_server(b"");
    let dir = temp_dir("sse-silent");
    let out = wirecheck(&[
        "sse",
        &url,
        "--duration",
        "0.5",
        "--timeout-scale",
        "0.02",
        "--report-dir",
        dir.to_str().expect("UTF-8 path"),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("never answered a request: no response head within 0.1 s"),
        "{stderr}"
    );
    assert!(!dir.join("index.json").exists());
}

/// `--http 2`: the reference server over HTTP/2 with the E.6 cases and the
/// version in the JSON; E.6 without it is a usage error.
#[test]
fn http2_runs_the_e6_cases_and_says_so_and_they_need_it() {
    let dir = temp_dir("sse-http2");
    let out = wirecheck(&[
        "sse",
        "--http",
        "2",
        "--duration",
        "1",
        "--cases",
        "E.1.*,E.4.2,E.4.3,E.6.*",
        "--format",
        "json",
        "--report-dir",
        dir.to_str().expect("UTF-8 path"),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(doc["http"], "2");
    let cases = doc["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 7 + 2 + 2);
    for c in cases {
        assert_eq!(c["behavior"], "OK", "{c}");
    }
    let out = wirecheck(&[
        "sse",
        "--cases",
        "E.6.*",
        "--report-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("run them with --http 2"));
}
