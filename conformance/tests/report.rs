//! The reports of a run: `index.json` byte for byte as Autobahn writes it,
//! per-case JSON, `index.html` with its detail pages, `junit.xml`, and the text
//! summary, from hand-made results that cover every verdict and a hostile
//! payload.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use wirecheck::pyjson;
use wirecheck::report::{
    self, Behavior, BehaviorClose, CaseReport, Protocol, Run, index_json, junit, summary,
};
use wirecheck::ws::case::{CaseId, Ev, Expected, ExpectedClose};
use wirecheck::ws::result::{CaseResult, CloseInfo, Logged, WireRow};

fn reference_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../corpus/reference/tungstenite-autobahn-expected.json")
}

/// A temporary folder removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("wirecheck-{name}-{}-{nanos}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn behavior_of(s: &str) -> Behavior {
    match s {
        "OK" => Behavior::Ok,
        "NON-STRICT" => Behavior::NonStrict,
        "FAILED" => Behavior::Failed,
        "INFORMATIONAL" => Behavior::Informational,
        "UNIMPLEMENTED" => Behavior::Unimplemented,
        other => panic!("unknown behavior {other}"),
    }
}

fn behavior_close_of(s: &str) -> BehaviorClose {
    match s {
        "OK" => BehaviorClose::Ok,
        "FAILED" => BehaviorClose::Failed,
        "WRONG CODE" => BehaviorClose::WrongCode,
        "UNCLEAN" => BehaviorClose::Unclean,
        "FAILED BY CLIENT" => BehaviorClose::FailedByClient,
        "INFORMATIONAL" => BehaviorClose::Informational,
        other => panic!("unknown behaviorClose {other}"),
    }
}

#[test]
fn reference_index_reserialises_byte_for_byte() {
    let bytes =
        fs::read_to_string(reference_path()).expect("corpus/reference holds the vendored verdicts");
    let parsed: Value = serde_json::from_str(&bytes).unwrap();
    let mut text = pyjson::to_string(&parsed);
    text.push('\n');
    assert!(text == bytes, "re-serialised reference differs");
}

/// Rebuild tungstenite's index from a Run whose cases are in numeric order:
/// the keys must come out in Python's textual order, the report file names
/// from the agent, and every byte as in the reference.
#[test]
fn reference_index_is_rebuilt_from_a_run() {
    let bytes = fs::read_to_string(reference_path()).unwrap();
    let parsed: Value = serde_json::from_str(&bytes).unwrap();
    let (agent, cases) = parsed.as_object().unwrap().iter().next().unwrap();
    let mut run = Run {
        agent: agent.clone(),
        kind: Protocol::Ws,
        client: false,
        started: UNIX_EPOCH,
        wall_time: Duration::ZERO,
        strict: false,
        cases: cases
            .as_object()
            .unwrap()
            .iter()
            .map(|(id, v)| CaseReport {
                id: id.clone(),
                sort_key: report::sort_key(id),
                category: id.split('.').next().unwrap().to_owned(),
                category_name: String::new(),
                description: String::new(),
                expectation: String::new(),
                behavior: behavior_of(v["behavior"].as_str().unwrap()),
                result: String::new(),
                close: Some(report::CloseVerdict {
                    behavior: behavior_close_of(v["behaviorClose"].as_str().unwrap()),
                    result: String::new(),
                }),
                duration_ms: v["duration"].as_u64().unwrap(),
                report_time: false,
                compression: None,
                remote_close_code: v["remoteCloseCode"].as_u64().map(|c| c as u16),
                http: None,
                limits: Vec::new(),
                detail: report::Detail::value(Value::Null),
            })
            .collect(),
    };
    run.sort();
    assert_eq!(run.cases[0].id, "1.1.1");
    assert_eq!(run.cases[8].id, "1.2.1");
    assert_eq!(run.cases.last().unwrap().id, "13.7.18");
    assert_eq!(index_json::render(&run), bytes);
}

const STARTED: u64 = 1_763_762_400; // 2025-11-21T22:00:00Z

fn base(id: &str, ordinal: usize, description: &str) -> CaseResult {
    CaseResult {
        id: CaseId::parse(id).unwrap(),
        ordinal,
        description: description.to_owned(),
        expectation: "Receive echo'ed message (with payload as sent). Clean close with normal code."
            .to_owned(),
        behavior: Behavior::Ok,
        result: "received what was expected: text message of 5 bytes".to_owned(),
        behavior_close: BehaviorClose::Ok,
        result_close: "connection properly closed, remote code 1000".to_owned(),
        duration_ms: 2,
        started: UNIX_EPOCH + Duration::from_millis(STARTED * 1000 + 250 + ordinal as u64),
        expected: Expected {
            ok: vec![Ev::text("Hello")],
            non_strict: None,
        },
        expected_close: ExpectedClose::fuzzer_closes_normally(),
        received: vec![Ev::text("Hello")],
        close: CloseInfo {
            was_open: true,
            is_server: false,
            closed_by_me: true,
            failed_by_me: false,
            dropped_by_me: false,
            was_clean: true,
            was_not_clean_reason: None,
            was_close_handshake_timeout: false,
            was_open_handshake_timeout: false,
            was_server_connection_drop_timeout: false,
            remote_close_code: Some(1000),
            remote_close_reason: None,
            local_close_code: Some(1000),
            local_close_reason: None,
            peer_violation: None,
            peer_drop_ms: None,
            dropped_on_purpose: false,
        },
        http_request: "GET / HTTP/1.1\r\nHost: 127.0.0.1:9001\r\nUpgrade: websocket\r\n\
                       Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                       Sec-WebSocket-Version: 13\r\n\r\n"
            .to_owned(),
        http_response: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                        Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
            .to_owned(),
        reached: false,
        wirelog: vec![
            WireRow::Tx {
                bytes: Logged::of(&[0x81, 0x85, 1, 2, 3, 4, 0x49, 0x67, 0x6f, 0x68, 0x6e]),
                sync: false,
            },
            WireRow::TxFrame {
                opcode: 1,
                fin: true,
                rsv: 0,
                mask: Some([1, 2, 3, 4]),
                payload: Logged::of(b"Hello"),
                chop: None,
            },
            WireRow::KillArmed(1.0),
            WireRow::Rx(Logged::of(&[0x81, 0x05, b'H', b'e', b'l', b'l', b'o'])),
            WireRow::RxFrame {
                opcode: 1,
                fin: true,
                rsv: 0,
                masked: false,
                payload: Logged::of(b"Hello"),
            },
            WireRow::TxFrame {
                opcode: 8,
                fin: true,
                rsv: 0,
                mask: Some([5, 6, 7, 8]),
                payload: Logged::of(&[0x03, 0xe8]),
                chop: None,
            },
            WireRow::RxFrame {
                opcode: 8,
                fin: true,
                rsv: 0,
                masked: false,
                payload: Logged::of(&[0x03, 0xe8]),
            },
        ],
        rx_frame_stats: BTreeMap::from([(1, 1), (8, 1)]),
        tx_frame_stats: BTreeMap::from([(1, 1), (8, 1)]),
        rx_octet_stats: BTreeMap::from([(4, 1), (7, 1)]),
        tx_octet_stats: BTreeMap::from([(8, 1), (11, 1)]),
        report_time: false,
        report_compression_ratio: false,
        traffic: None,
        limits: Vec::new(),
    }
}

/// The payload of the hostile case: markup, then bytes that are not UTF-8.
const HOSTILE: &[u8] = b"</script><b>pwned</b>\xff\xfe";

fn results() -> Vec<CaseResult> {
    let ok = base("1.1.1", 1, "Send text message with payload of length 5.");

    let mut non_strict = base(
        "6.4.3",
        4,
        "Send a text message in fragments; the first is valid UTF-8, the second invalid.",
    );
    non_strict.behavior = Behavior::NonStrict;
    non_strict.result =
        "expected no events, received the non-strict alternative: no events".to_owned();
    non_strict.expected = Expected {
        ok: vec![],
        non_strict: Some(vec![]),
    };
    non_strict.received = vec![];
    non_strict.expected_close = ExpectedClose {
        closed_by_me: false,
        codes: vec![1007],
        require_clean: false,
        closed_by_wrong_endpoint_is_fatal: true,
    };
    non_strict.close.closed_by_me = false;
    non_strict.close.remote_close_code = Some(1007);
    non_strict.result_close = "connection properly closed, remote code 1007".to_owned();
    non_strict.duration_ms = 2004;
    non_strict
        .wirelog
        .insert(0, WireRow::WaitArmed(1.0, Some("A")));
    non_strict.wirelog.insert(1, WireRow::WaitFired(Some("A")));

    let mut failed = base("2.3", 2, "Send ping with binary payload 0xfe 0xff.");
    failed.behavior = Behavior::Failed;
    // Reasons can quote the server: markup, and an escape sequence for the terminal.
    failed.result = "expected pong of 8 bytes, received text message of 23 bytes: \
                     </script><b>pwned</b>\u{1b}[2J"
        .to_owned();
    failed.expected = Expected {
        ok: vec![Ev::pong(vec![
            0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff,
        ])],
        non_strict: None,
    };
    failed.received = vec![
        Ev::Message {
            data: HOSTILE.to_vec(),
            binary: false,
        },
        Ev::text("<b>bold</b>"),
    ];
    failed.close.remote_close_reason = Some("<b>bye</b>\u{1}".to_owned());
    failed.wirelog.push(WireRow::RxFrame {
        opcode: 1,
        fin: true,
        rsv: 0,
        masked: false,
        payload: Logged::of(HOSTILE),
    });

    let mut informational = base(
        "7.1.6",
        6,
        "Send 256K message followed by close then a ping",
    );
    informational.behavior = Behavior::Informational;
    informational.result =
        "informational: the alternative outcome happened (received text message of 262144 bytes)"
            .to_owned();
    informational.behavior_close = BehaviorClose::Informational;
    informational.result_close =
        "informational: connection properly closed, remote code 1000".to_owned();
    informational.duration_ms = 9;

    let mut unimplemented = base(
        "12.1.1",
        7,
        "Send 1000 compressed messages each of payload size 16, auto-fragment to 0 octets.",
    );
    // Autobahn marks every compression case, run or not.
    unimplemented.report_compression_ratio = true;
    unimplemented.behavior = Behavior::Unimplemented;
    unimplemented.result = "permessage-deflate was not negotiated".to_owned();
    unimplemented.duration_ms = 1;

    let mut bad_close = base("7.3.6", 5, "Send close with reason of 124 bytes.");
    bad_close.behavior_close = BehaviorClose::FailedByClient;
    bad_close.result_close =
        "wirecheck had to drop the TCP connection: the server should close it".to_owned();
    bad_close.close.dropped_by_me = true;
    bad_close.close.was_clean = false;
    bad_close.close.was_not_clean_reason = Some("server did not drop TCP".to_owned());

    let mut ok2 = base("1.1.2", 3, "Send text message with payload of length 125.");
    ok2.received = vec![Ev::text(vec![b'*'; 125])];
    ok2.expected.ok = vec![Ev::text(vec![b'*'; 125])];

    // Deliberately unsorted: the run sorts.
    vec![
        unimplemented,
        failed,
        ok,
        informational,
        non_strict,
        bad_close,
        ok2,
    ]
}

fn run() -> Run {
    Run::from_ws(
        "Test Server/1.0",
        UNIX_EPOCH + Duration::from_secs(STARTED),
        Duration::from_millis(2345),
        false,
        results(),
    )
}

#[test]
fn run_is_sorted_and_categorised() {
    let run = run();
    let ids: Vec<&str> = run.cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        ["1.1.1", "1.1.2", "2.3", "6.4.3", "7.1.6", "7.3.6", "12.1.1"]
    );
    let cats: Vec<(&str, &str, usize)> = run
        .categories()
        .into_iter()
        .map(|(c, n, cases)| (c, n, cases.len()))
        .collect();
    assert_eq!(
        cats,
        [
            ("1", "Framing", 2),
            ("2", "Pings/Pongs", 1),
            ("6", "UTF-8 Handling", 1),
            ("7", "Close Handling", 2),
            ("12", "WebSocket Compression (different payloads)", 1),
        ]
    );
    // FAILED 2.3 and FAILED BY CLIENT 7.3.6; NON-STRICT only under --strict.
    assert_eq!(run.failed(), 2);
    let strict = Run {
        strict: true,
        ..run.clone()
    };
    assert_eq!(strict.failed(), 3);
}

fn read(dir: &Path, name: &str) -> String {
    fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn writes_every_report() {
    let tmp = TempDir::new("reports");
    let dir = tmp.0.join("ws");
    let run = run();
    let written = report::write_all(&dir, &run).unwrap();
    assert_eq!(written.case_files, 14);
    assert_eq!(written.index_json, dir.join("index.json"));

    // index.json: one agent, every case, exactly Autobahn's five fields.
    let index: Value = serde_json::from_str(&read(&dir, "index.json")).unwrap();
    let agents = index.as_object().unwrap();
    assert_eq!(agents.keys().collect::<Vec<_>>(), ["Test Server/1.0"]);
    let cases = agents["Test Server/1.0"].as_object().unwrap();
    // Python's textual key order.
    assert_eq!(
        cases.keys().collect::<Vec<_>>(),
        ["1.1.1", "1.1.2", "12.1.1", "2.3", "6.4.3", "7.1.6", "7.3.6"]
    );
    for (id, entry) in cases {
        let keys: Vec<&String> = entry.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "behavior",
                "behaviorClose",
                "duration",
                "remoteCloseCode",
                "reportfile"
            ],
            "{id}"
        );
        let file = entry["reportfile"].as_str().unwrap();
        assert_eq!(
            file,
            format!("test_server_1_0_case_{}.json", id.replace('.', "_"))
        );
        assert!(dir.join(file).is_file(), "{file}");
        assert!(dir.join(file.replace(".json", ".html")).is_file(), "{file}");
    }
    assert_eq!(cases["6.4.3"]["behavior"], "NON-STRICT");
    assert_eq!(cases["6.4.3"]["remoteCloseCode"], 1007);
    assert_eq!(cases["6.4.3"]["duration"], 2004);
    assert_eq!(cases["7.3.6"]["behaviorClose"], "FAILED BY CLIENT");
    assert_eq!(cases["12.1.1"]["behavior"], "UNIMPLEMENTED");

    // Per-case JSON: 39 keys, sorted, events encoded as Autobahn encodes them.
    let text = read(&dir, "test_server_1_0_case_2_3.json");
    assert!(text.is_ascii(), "ensure_ascii");
    let case: Value = serde_json::from_str(&text).unwrap();
    let keys: Vec<&String> = case.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 39);
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "sorted keys");
    assert_eq!(
        case["expected"],
        serde_json::json!({"OK": [["pong", "0x00fffefdfcfb00ff"]]})
    );
    assert_eq!(
        case["received"][0],
        serde_json::json!([
            "message",
            format!("0x{}", wirecheck::ws::case_json::hex(HOSTILE)),
            false
        ])
    );
    assert_eq!(
        case["received"][1],
        serde_json::json!(["message", "<b>bold</b>", false])
    );
    assert_eq!(case["remoteCloseReason"], "<b>bye</b>\u{1}");
    assert_eq!(case["id"], "2.3");
    assert_eq!(case["case"], 2);
    assert_eq!(case["agent"], "Test Server/1.0");
    assert_eq!(case["started"], "2025-11-21T22:00:00.252Z");
    assert_eq!(case["rxFrameStats"], serde_json::json!({"1": 1, "8": 1}));
    assert_eq!(case["wirelog"][2], serde_json::json!(["KL", 1]));

    let ns: Value = serde_json::from_str(&read(&dir, "test_server_1_0_case_6_4_3.json")).unwrap();
    assert_eq!(
        ns["expected"],
        serde_json::json!({"NON-STRICT": [], "OK": []})
    );
    assert_eq!(
        ns["expectedClose"],
        serde_json::json!({"closeCode": [1007], "closedByMe": false,
            "closedByWrongEndpointIsFatal": true, "requireClean": false})
    );
    let ok2: Value = serde_json::from_str(&read(&dir, "test_server_1_0_case_1_1_2.json")).unwrap();
    assert_eq!(
        ok2["received"][0][1],
        format!("{} ...", "*".repeat(64)).as_str()
    );

    check_junit(&read(&dir, "junit.xml"));
    check_html(&dir, &run);
}

fn check_junit(xml: &str) {
    let report = quick_junit::Report::deserialize_from_str(xml).expect("junit.xml parses");
    let suites: Vec<(String, usize, usize, usize)> = report
        .test_suites
        .iter()
        .map(|s| {
            let skipped = s
                .test_cases
                .iter()
                .filter(|c| matches!(c.status, quick_junit::TestCaseStatus::Skipped { .. }))
                .count();
            (s.name.to_string(), s.test_cases.len(), s.failures, skipped)
        })
        .collect();
    assert_eq!(
        suites,
        [
            ("1 Framing".to_owned(), 2, 0, 0),
            ("2 Pings/Pongs".to_owned(), 1, 1, 0),
            ("6 UTF-8 Handling".to_owned(), 1, 0, 0),
            ("7 Close Handling".to_owned(), 2, 1, 0),
            (
                "12 WebSocket Compression (different payloads)".to_owned(),
                1,
                0,
                1
            ),
        ]
    );
    let cases: Vec<&quick_junit::TestCase> = report
        .test_suites
        .iter()
        .flat_map(|s| &s.test_cases)
        .collect();
    let failed = cases
        .iter()
        .find(|c| c.name.as_str().starts_with("2.3 "))
        .unwrap();
    assert_eq!(
        failed.name.as_str(),
        "2.3 Send ping with binary payload 0xfe 0xff."
    );
    match &failed.status {
        quick_junit::TestCaseStatus::NonSuccess { message, ty, .. } => {
            assert!(
                message
                    .as_ref()
                    .unwrap()
                    .as_str()
                    .contains("</script><b>pwned</b>")
            );
            assert_eq!(ty.as_ref().unwrap().as_str(), "FAILED");
        }
        other => panic!("2.3 should fail: {other:?}"),
    }
    let close = cases
        .iter()
        .find(|c| c.name.as_str().starts_with("7.3.6 "))
        .unwrap();
    match &close.status {
        quick_junit::TestCaseStatus::NonSuccess { ty, .. } => {
            assert_eq!(ty.as_ref().unwrap().as_str(), "close FAILED BY CLIENT");
        }
        other => panic!("7.3.6 should fail on its close: {other:?}"),
    }
    let out = failed.system_out.as_ref().unwrap().as_str();
    assert!(out.contains("behavior: FAILED: expected pong"), "{out}");
    assert!(out.contains("behaviorClose: OK: connection properly closed"));
    assert_eq!(failed.time, Some(Duration::from_millis(2)));

    // Under --strict the NON-STRICT case fails too.
    let strict = Run {
        strict: true,
        ..run()
    };
    let report =
        quick_junit::Report::deserialize_from_str(&junit::render(&strict).unwrap()).unwrap();
    let utf8 = report
        .test_suites
        .iter()
        .find(|s| s.name.as_str().starts_with("6 "))
        .unwrap();
    assert_eq!(utf8.failures, 1);
}

/// Every `href="..."` in `html`.
fn hrefs(html: &str) -> Vec<&str> {
    html.split("href=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect()
}

fn check_html(dir: &Path, run: &Run) {
    let index = read(dir, "index.html");
    assert!(index.starts_with("<!DOCTYPE html>"));
    assert!(!index.contains("<script"), "no script needed");
    assert!(!index.contains("src="), "no external assets");
    assert!(!index.contains("<b>pwned") && !index.contains("</script><b>"));
    assert!(
        index.contains("&lt;/script&gt;&lt;b&gt;pwned"),
        "reason escaped"
    );
    assert!(
        !index.contains('\u{1b}') && index.contains("\\u{1b}[2J"),
        "ESC shown as text, never sent raw"
    );
    let anchors: HashSet<&str> = index
        .split("id=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    for case in &run.cases {
        let page = format!("{}.html", run.case_file_stem(&case.id));
        assert!(
            index.contains(&format!("<a href=\"{page}\">{}</a>", case.id)),
            "{} links to {page}",
            case.id
        );
        assert!(anchors.contains(format!("case_{}", case.id.replace('.', "_")).as_str()));
    }
    for link in hrefs(&index) {
        assert!(dir.join(link).is_file(), "index links to missing {link}");
    }
    for case in &run.cases {
        let page = read(dir, &format!("{}.html", run.case_file_stem(&case.id)));
        assert!(!page.contains("<script"), "{}", case.id);
        assert!(
            !page.contains("<b>pwned") && !page.contains("<b>bold") && !page.contains("<b>bye")
        );
        for link in hrefs(&page) {
            let (file, frag) = link.split_once('#').unwrap_or((link, ""));
            assert!(
                dir.join(file).is_file(),
                "{} links to missing {file}",
                case.id
            );
            if !frag.is_empty() {
                assert!(
                    anchors.contains(frag),
                    "{} links to missing #{frag}",
                    case.id
                );
            }
        }
    }
    let failed = read(dir, "test_server_1_0_case_2_3.html");
    assert!(
        failed.contains("&lt;b&gt;bold&lt;/b&gt;"),
        "received payload escaped"
    );
    assert!(
        failed.contains("&lt;b&gt;bye&lt;/b&gt;"),
        "close reason escaped"
    );
    assert!(failed.contains("TCP DROPPED BY PEER"));
    assert!(failed.contains("RX FRAME text (1)"));
}

#[test]
fn summary_snapshot() {
    let run = run();
    let text = summary::render(&run, Some(Path::new("wirecheck-reports/ws")), false);
    assert!(!text.contains('\x1b'));
    insta::assert_snapshot!("summary", text);
    let coloured = summary::render(&run, None, true);
    assert!(coloured.contains("\x1b[31mFAIL: 2 cases failed\x1b[0m"));
}

#[test]
fn case_json_snapshot() {
    let run = run();
    let case = run.cases.iter().find(|c| c.id == "6.4.3").unwrap();
    let mut detail = case.detail.json();
    detail["duration"] = Value::from("[duration]");
    detail["started"] = Value::from("[started]");
    insta::assert_snapshot!("case_6_4_3_json", pyjson::to_string(&detail));
}

/// An SSE-shaped run: no case has a close verdict (there is no close
/// handshake to score).
fn run_without_close() -> Run {
    let case = |id: &str, behavior: Behavior, result: &str| CaseReport {
        id: id.to_owned(),
        sort_key: report::sort_key(id),
        category: "E.1".to_owned(),
        category_name: "Response".to_owned(),
        description: format!("case {id}"),
        expectation: "what a conforming server does".to_owned(),
        behavior,
        result: result.to_owned(),
        close: None,
        duration_ms: 7,
        report_time: false,
        compression: None,
        remote_close_code: None,
        http: None,
        limits: Vec::new(),
        detail: report::Detail::value(serde_json::json!({
            "id": id, "rule": "WHATWG HTML §9.2", "observations": [],
        })),
    };
    let mut run = Run {
        agent: "sse-agent".to_owned(),
        kind: Protocol::Sse,
        client: false,
        started: UNIX_EPOCH + Duration::from_secs(STARTED),
        wall_time: Duration::from_millis(1500),
        strict: false,
        cases: vec![
            case("E.1.2", Behavior::Failed, "Content-Type: text/html"),
            case("E.1.1", Behavior::Ok, "status 200"),
            case("E.1.3", Behavior::Informational, "retry: 2000 ms"),
        ],
    };
    run.sort();
    run
}

/// A protocol without a close verdict: no report makes one up, except
/// `index.json`, whose Autobahn shape needs `behaviorClose` in every entry.
#[test]
fn a_run_without_close_verdicts_shows_none() {
    let run = run_without_close();
    assert!(!run.has_close_verdicts());
    assert!(run.cases[0].is_ok(), "OK with no close verdict is OK");
    assert!(!run.cases.iter().any(CaseReport::close_fails));
    assert_eq!(run.failed(), 1);

    let tmp = TempDir::new("reports-sse");
    let dir = tmp.0.join("sse");
    report::write_all(&dir, &run).unwrap();

    // index.json: Autobahn's five keys; INFORMATIONAL, never a failure.
    let index: Value = serde_json::from_str(&read(&dir, "index.json")).unwrap();
    for (id, entry) in index["sse-agent"].as_object().unwrap() {
        assert_eq!(entry.as_object().unwrap().len(), 5, "{id}");
        assert_eq!(entry["behaviorClose"], "INFORMATIONAL", "{id}");
        assert_eq!(entry["remoteCloseCode"], Value::Null, "{id}");
    }

    // index.html: no close column, badge or legend row; OK rows are "ok".
    let html = read(&dir, "index.html");
    assert!(!html.contains("<th>Close</th>"), "no close column");
    assert!(!html.contains("Close not OK"), "no close badge");
    assert!(!html.contains("Close column"), "no close legend");
    assert!(html.contains("<thead><tr><th>Case</th><th>Behavior</th><th>ms</th>"));
    assert!(html.contains("<th colspan=\"4\">E.1 Response"));
    assert!(html.contains("<tr class=\"row ok t-pass\" id=\"case_E_1_1\">"));
    assert!(html.contains("<tr class=\"row problem t-fail\" id=\"case_E_1_2\">"));
    // The WebSocket index keeps all three.
    let ws = report::html::index_page(&crate::run());
    assert!(ws.contains("<th>Close</th>") && ws.contains("Close not OK"));
    assert!(ws.contains("Close column") && ws.contains("<th colspan=\"5\">"));

    // The detail page: behavior only.
    let page = read(&dir, "sse_agent_case_E_1_2.html");
    assert!(page.contains("<tr><th>behavior</th>"));
    assert!(!page.contains("behaviorClose"), "{page}");

    // JUnit: the failure and every system-out say nothing of a close.
    let xml = read(&dir, "junit.xml");
    assert!(
        !xml.contains("behaviorClose") && !xml.contains("close "),
        "{xml}"
    );
    let junit = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    let failed = &junit.test_suites[0].test_cases[1];
    assert_eq!(failed.name.as_str(), "E.1.2 case E.1.2");
    match &failed.status {
        quick_junit::TestCaseStatus::NonSuccess { message, ty, .. } => {
            assert_eq!(
                message.as_ref().unwrap().as_str(),
                "Content-Type: text/html"
            );
            assert_eq!(ty.as_ref().unwrap().as_str(), "FAILED");
        }
        other => panic!("E.1.2 should fail: {other:?}"),
    }
    assert_eq!(
        failed.system_out.as_ref().unwrap().as_str().trim_end(),
        "behavior: FAILED: Content-Type: text/html"
    );

    // The text summary: no BAD CLOSE column; the cases not OK listed.
    let text = summary::render(&run, None, false);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[2..5],
        [
            "Category   OK  NON-STRICT  FAILED  INFO  UNIMPL  TOTAL",
            "E.1         1           0       1     1       0      3  Response",
            "Total       1           0       1     1       0      3",
        ],
        "{text}"
    );
    assert!(
        text.contains("E.1.2  FAILED         Content-Type: text/html"),
        "{text}"
    );
    assert!(
        text.contains("E.1.3  INFORMATIONAL  retry: 2000 ms"),
        "{text}"
    );
    assert!(!text.contains("E.1.1"), "{text}");

    // --format json: null, as for a missing close code.
    let doc = wirecheck::command::json_summary(&run, None);
    for c in doc["cases"].as_array().unwrap() {
        assert_eq!(c["behaviorClose"], Value::Null, "{c}");
        assert_eq!(c["resultClose"], Value::Null, "{c}");
    }
    let doc = wirecheck::command::json_summary(&crate::run(), None);
    assert_eq!(doc["cases"][0]["behaviorClose"], "OK");
}
