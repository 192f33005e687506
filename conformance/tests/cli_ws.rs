//! The `wirecheck ws` and `wirecheck cases ws` command lines: exit codes, reports,
//! and the JSON output (DESIGN §3, §6).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use wirecheck_codec::ws::handshake::{AcceptResponse, RequestParser};

mod support;
use support::{temp_dir, wirecheck};

/// A selection whose cases pass without opening a connection (requests the
/// server must refuse) reached the server: exit 0, not 3; and the expected
/// refusals that come first do not make the run give up early on the rest.
#[test]
fn refusal_cases_are_neither_an_unreachable_server_nor_a_reason_to_give_up() {
    for (cases, count) in [("H.1.*,H.4.*", 7), ("H.1.*,H.2.*,H.4.*,X.1.*", 11)] {
        let dir = temp_dir("refusals");
        let out = wirecheck(&[
            "ws",
            "--cases",
            cases,
            "-j",
            "1",
            "--report-dir",
            dir.to_str().expect("UTF-8 path"),
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{cases}: {err}");
        assert!(stdout.contains("PASS"), "{stdout}");
        assert!(
            stdout.starts_with(&format!("wirecheck ws: {count} cases against")),
            "{stdout}"
        );
    }
}

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
}

/// The compression cases report Autobahn's `trafficStats` (the fuzzer's
/// counters when the last echo arrived) and their ratios on the index page;
/// other cases report none.
#[test]
fn compression_cases_report_traffic_stats() {
    let dir = temp_dir("traffic");
    let out = wirecheck(&[
        "ws",
        "--cases",
        "1.1.1,12.1.3,13.2.1",
        "--report-dir",
        dir.to_str().expect("UTF-8 path"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |id: &str| -> serde_json::Value {
        let f = dir.join(format!("wirecheck_reference_case_{id}.json"));
        serde_json::from_str(&std::fs::read_to_string(f).expect("case JSON")).expect("JSON")
    };
    for (id, size) in [("12_1_3", 256), ("13_2_1", 16)] {
        let case = read(id);
        let len = |k: &str| case[k].as_str().expect(k).len() as u64;
        support::check_traffic_stats(&case, size, 1000, len("httpRequest"), len("httpResponse"));
    }
    let plain = read("1_1_1");
    assert_eq!(plain["reportCompressionRatio"], false);
    assert_eq!(plain["trafficStats"], serde_json::Value::Null);
    let html = std::fs::read_to_string(dir.join("index.html")).expect("index.html");
    assert_eq!(html.matches("class=\"ratio\"").count(), 2, "{html}");
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
    // A listing takes `--cases`'s comma-separated patterns, each checked.
    let out = wirecheck(&["cases", "ws", "1.1.1,2.1,H2.*"]);
    assert_eq!(out.status.code(), Some(0));
    let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    let h2 = ids.iter().filter(|id| id.starts_with("H2.")).count();
    assert!(h2 > 0 && ids.len() == h2 + 2, "{ids:?}");
    assert!(ids.contains(&"1.1.1".to_owned()) && ids.contains(&"2.1".to_owned()));
    let out = wirecheck(&["cases", "ws", "1.1.1,0.*"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"0.*\" selects no case"));
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
    let dir = temp_dir("unreachable");
    let out = wirecheck(&[
        "ws",
        &url,
        "--cases",
        "1.1.1",
        "--report-dir",
        dir.to_str().expect("UTF-8 path"),
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
    // The heavy own cases say they need --profile full.
    let out = wirecheck(&["cases", "ws", "S.4.*"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(!lines[0].contains("--profile full"), "{text}");
    assert!(
        lines[1].starts_with("S.4.2") && lines[1].contains("(--profile full)"),
        "{text}"
    );
}

/// A loopback listener nobody should reach: usage errors are found before any
/// network traffic (DESIGN §3).
fn untouched_listener() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("non-blocking");
    let url = format!("ws://{}/", listener.local_addr().expect("addr"));
    (listener, url)
}

#[test]
fn bad_flags_exit_2_before_any_traffic_with_one_line() {
    let (listener, url) = untouched_listener();
    let file = temp_dir("a-file");
    std::fs::write(&file, b"not a directory").expect("scratch file");
    let under_file = file.join("reports");
    let dir = temp_dir("flags");
    let dir = dir.to_str().expect("UTF-8 path");
    let cases: [(&[&str], &str); 10] = [
        (&["--timeout-scale", "1e18"], "--timeout-scale"),
        (&["--timeout-scale", "0"], "--timeout-scale"),
        (&["--timeout-scale", "NaN"], "--timeout-scale"),
        (&["-j", "100000"], "-j"),
        (&["--header", "X-A: 1\r\nX-B: 2"], "control byte"),
        (
            &["--header", "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA=="],
            "Sec-WebSocket-Key",
        ),
        (&["--header", "Upgrade: h2c"], "Upgrade"),
        (&["--origin-policy", "example.com"], "--origin-policy"),
        (
            &["--origin-policy", "https://example.com/app"],
            "did you mean \"https://example.com\"",
        ),
        (
            &["--report-dir", under_file.to_str().expect("UTF-8 path")],
            "cannot write the reports",
        ),
    ];
    for (flags, named) in cases {
        let mut args = vec!["ws", &url, "--cases", "1.1.1"];
        if !flags.contains(&"--report-dir") {
            args.extend_from_slice(&["--report-dir", dir]);
        }
        args.extend_from_slice(flags);
        let out = wirecheck(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{flags:?}: {err}");
        assert!(err.contains(named), "{flags:?}: {err}");
    }
    assert!(
        listener.accept().is_err(),
        "no usage error may reach the server"
    );
    let _ = std::fs::remove_file(&file);
}

#[test]
fn a_server_that_never_answers_exits_3_early_naming_the_timeout() {
    // Accepts TCP and never says a word; each handshake times out (0.1 s here).
    let url = format!("ws://{}/", support::holding_server(b""));
    let dir = temp_dir("silent");
    let out = wirecheck(&[
        "ws",
        &url,
        "--timeout-scale",
        "0.02",
        "--report-dir",
        dir.to_str().expect("UTF-8 path"),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // The default profile (quick) leaves out the heavy S. cases.
    let all = wirecheck::ws::cases::all()
        .iter()
        .filter(|c| !c.full_profile)
        .count();
    assert!(
        err.contains(&format!("stopped after the first 4 of {all} cases")),
        "{err}"
    );
    assert!(err.contains("no complete opening handshake"), "{err}");
}

#[test]
fn a_flooding_server_fails_and_the_summary_names_the_limit() {
    // Completes the handshake, then sends 5-byte text messages without pause.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("ws://{}/", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        while let Ok((mut s, _)) = listener.accept() {
            std::thread::spawn(move || {
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                // The codec's own server side of the handshake (RFC 6455 §4.2).
                let mut parser = RequestParser::default();
                let mut buf = [0u8; 1024];
                let response = loop {
                    let n = match s.read(&mut buf) {
                        Ok(n) if n > 0 => n,
                        _ => return,
                    };
                    match parser.feed(&buf[..n]) {
                        Ok(Some(parsed)) => match parsed.value.validate() {
                            Ok(upgrade) => match AcceptResponse::new(&upgrade).encode() {
                                Ok(r) => break r,
                                Err(_) => return,
                            },
                            Err(_) => return,
                        },
                        Ok(None) => {}
                        Err(_) => return,
                    }
                };
                if s.write_all(&response).is_err() {
                    return;
                }
                let flood: Vec<u8> = [0x81, 5, b'f', b'l', b'o', b'o', b'd'].repeat(8192);
                while s.write_all(&flood).is_ok() {}
            });
        }
    });
    let dir = temp_dir("flood");
    let out = wirecheck(&[
        "ws",
        &url,
        "--cases",
        "1.1.1",
        "--report-dir",
        dir.to_str().expect("UTF-8 path"),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("wirecheck's own limits were hit in 1 case"),
        "{stdout}"
    );
    assert!(stdout.contains("FAIL: 1 case failed"), "{stdout}");
    let case =
        std::fs::read_to_string(dir.join("unknownserver_case_1_1_1.json")).expect("case report");
    let case: serde_json::Value = serde_json::from_str(&case).expect("JSON");
    assert!(
        case["wirecheckLimits"]
            .as_array()
            .is_some_and(|l| !l.is_empty())
    );
}

/// `--http 2`: the reference server over RFC 8441 with the H2. cases, the
/// version in the JSON; the H2. cases without it, or an unknown version, are
/// usage errors found before any traffic.
#[test]
fn http2_runs_the_h2_cases_and_says_so_and_they_need_it() {
    let dir = temp_dir("http2");
    let out = wirecheck(&[
        "ws",
        "--http",
        "2",
        "--cases",
        "1.1.*,7.1.1,H2.*",
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
    assert_eq!(cases.len(), 8 + 1 + 5);
    for c in cases {
        assert_eq!(c["behavior"], "OK", "{c}");
        assert_eq!(c["http"], "2", "{c}");
    }
    let out = wirecheck(&[
        "ws",
        "--cases",
        "H2.*",
        "--report-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("run them with --http 2"));
    let out = wirecheck(&["ws", "--http", "3", "--report-dir", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    // `serve ws --tls` with files that are no certificate: exit 2 naming the file.
    let missing = dir.join("no-such.pem");
    let missing = missing.to_str().unwrap();
    let out = wirecheck(&["serve", "ws", "--port", "0", "--tls", missing, missing]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such.pem"));
    let out = wirecheck(&["cases", "ws", "H2.*"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.lines().filter(|l| l.contains("(--http 2)")).count(),
        5,
        "{text}"
    );
}
