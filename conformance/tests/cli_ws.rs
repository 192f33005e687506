//! The `wirecheck ws` and `wirecheck cases ws` command lines: exit codes, reports,
//! and the JSON output (DESIGN §3, §6).

use std::net::TcpListener;

mod support;
use support::{temp_dir, wirecheck};

#[test]
fn validating_the_reference_server_exits_0_and_writes_reports() {
    let dir = temp_dir("ok");
    let out = wirecheck(&[
        "ws",
        "--cases",
        "1.1.*,2.*,7.7.*",
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
        "wirecheck_reference_case_2_10.json",
    ] {
        assert!(dir.join(f).is_file(), "{f} written");
    }
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("index.json")).expect("index.json"))
            .expect("JSON");
    let cases = index["wirecheck-reference"].as_object().expect("agent key");
    assert_eq!(cases.len(), 8 + 11 + 13);
    assert_eq!(cases["2.10"]["behavior"], "OK");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn json_format_lists_every_case() {
    let dir = temp_dir("json");
    let out = wirecheck(&[
        "ws",
        "--cases",
        "3.*",
        "--format",
        "json",
        "--report-dir",
        dir.to_str().expect("UTF-8 path"),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(doc["summary"]["total"], 7);
    assert_eq!(doc["cases"][0]["id"], "3.1");
    assert_eq!(doc["cases"][0]["behaviorClose"], "OK");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_pattern_and_bad_url_exit_2() {
    let out = wirecheck(&["ws", "--cases", "99.*"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("selects no case"));
    let out = wirecheck(&["ws", "http://127.0.0.1:1/"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported URL"));
    assert_eq!(wirecheck(&["cases", "ws", "0.*"]).status.code(), Some(2));
}

#[test]
fn unreachable_target_exits_3() {
    // A port that was free a moment ago: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let url = format!("ws://127.0.0.1:{port}/");
    let out = wirecheck(&[
        "ws",
        &url,
        "--cases",
        "1.1.1",
        "--report-dir",
        "/nonexistent/never-written",
    ]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("never completed an opening handshake"),
        "{err}"
    );
}

#[test]
fn cases_lists_ids_and_descriptions() {
    let out = wirecheck(&["cases", "ws", "6.4.*"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let ids: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(ids, ["6.4.1", "6.4.2", "6.4.3", "6.4.4"]);
}
