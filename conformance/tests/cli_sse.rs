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
    assert_eq!(cases.len(), 29);
    assert_eq!(cases["E.4.3"]["behavior"], "OK");
    let detail: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("wirecheck_reference_case_E_4_3.json")).expect("case"),
    )
    .expect("JSON");
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
    let _ = std::fs::remove_dir_all(&dir);
}

/// A server on a thread that answers every request with `response` and closes.
fn one_answer_server(response: &'static [u8]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming().take(64) {
            let Ok(mut s) = stream else { continue };
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(response);
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
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn usage_errors_exit_2_and_unreachable_targets_exit_3() {
    let out = wirecheck(&["sse", "--cases", "E.9.*"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("selects no case"));
    let out = wirecheck(&["sse", "--duration", "0"]);
    assert_eq!(out.status.code(), Some(2));
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
    assert_eq!(text.lines().count(), 29);
    let out = wirecheck(&["cases", "sse", "E.4.*"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 6, "{text}");
    assert!(text.lines().all(|l| l.starts_with("E.4.")));
    assert_eq!(wirecheck(&["cases", "sse", "E.7"]).status.code(), Some(2));
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
    let _ = std::fs::remove_dir_all(&dir);
}
