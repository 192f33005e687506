//! `wirecheck sse` against servers broken on purpose, each written here in a few
//! lines: every one must make the right case fail with the right reason, and the
//! reference server must pass every case.
//!
//! The scripted servers are in `support/sse_server.rs`.

#[path = "support/sse_server.rs"]
mod sse_server;
use sse_server::*;

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wirecheck::net::Target;
use wirecheck::report::Behavior;
use wirecheck::report::CaseReport;
use wirecheck::serve::Server as _;
use wirecheck::serve::sse::{SseServerConfig, bind};
use wirecheck::sse::case::{DataContract, Settings};
use wirecheck::sse::command::select;
use wirecheck::sse::observe::{End, MAX_ITEMS, MAX_RETAINED, MAX_VALUE, Seen};
use wirecheck::sse::run::{RunConfig, judge_all, observe_all, unreachable};

#[tokio::test]
async fn the_reference_server_passes_every_case() {
    let server = bind(SseServerConfig {
        interval: Duration::from_millis(100),
        ..SseServerConfig::ephemeral()
    })
    .await
    .unwrap()
    .spawn()
    .unwrap();
    let v = run(&server.url(), &[], 2500, 1000, Some("https://app.example")).await;
    assert_eq!(v.len(), wirecheck::sse::cases::all().len());
    for (id, (b, reason)) in &v {
        assert!(
            matches!(b, Behavior::Ok | Behavior::Informational),
            "{id}: {b} {reason}"
        );
    }
    expect(&v, "E.4.3", Behavior::Ok, "no gap, no duplicate");
    expect(&v, "E.1.6", Behavior::Ok, "gzip");
    expect(&v, "E.5.3", Behavior::Ok, "preflight allows");
    expect(&v, "E.3.4", Behavior::Ok, "longest silence");
    server.shutdown().await;
}

#[tokio::test]
async fn a_reference_stream_that_ends_stops_clients_with_204() {
    let server = bind(SseServerConfig {
        interval: Duration::from_millis(50),
        ..SseServerConfig::ephemeral()
    })
    .await
    .unwrap()
    .spawn()
    .unwrap();
    let url = format!("{}?end=3", server.url());
    let v = run(&url, &["E.4.6", "E.2.4"], 3000, 1000, None).await;
    expect(&v, "E.4.6", Behavior::Ok, "204");
    expect(
        &v,
        "E.2.4",
        Behavior::Ok,
        "ended the stream at a block boundary",
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_wrong_content_type_fails_e_1_2() {
    let url = scripted(Arc::new(|_| {
        stream_of(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n",
            ticks(1, 3, 10),
        )
    }))
    .await;
    let v = run(&url, &["E.1.*", "E.2.1"], 500, 1000, None).await;
    expect(&v, "E.1.1", Behavior::Ok, "200");
    expect(
        &v,
        "E.1.2",
        Behavior::Failed,
        "text/plain: not text/event-stream",
    );
    expect(&v, "E.1.4", Behavior::NonStrict, "no Cache-Control");
    expect(&v, "E.2.1", Behavior::Informational, "no event stream");
}

#[tokio::test]
async fn cache_control_is_read_as_a_list_with_quoted_strings() {
    // RFC 9111 §5.2: `no-cache` quoted inside another directive's value is no
    // directive; a field that is not a list directs nothing.
    for (field, verdict, needle) in [
        (
            "no-store, max-age=0",
            Behavior::Ok,
            "Cache-Control: no-store, max-age=0",
        ),
        // A comma split would find no-cache here.
        (
            "private=\"x, no-cache, y\"",
            Behavior::NonStrict,
            "neither no-cache nor no-store",
        ),
        ("no-cache, @", Behavior::NonStrict, "is not a valid list"),
    ] {
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: {field}\r\nConnection: close\r\n\r\n"
        );
        let url = scripted(Arc::new(move |_| stream_of(&head, ticks(1, 3, 10)))).await;
        let v = run(&url, &["E.1.4"], 500, 1000, None).await;
        expect(&v, "E.1.4", verdict, needle);
    }
}

#[tokio::test]
async fn statuses_other_than_200_fail_e_1_1() {
    for (status, needle) in [
        ("500 Internal Server Error", "status 500"),
        ("204 No Content", "204 No Content to the first request"),
        ("302 Found", "302"),
    ] {
        let head = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        let url = scripted(Arc::new(move |_| vec![w(&head)])).await;
        let v = run(&url, &["E.1.1"], 500, 1000, None).await;
        expect(&v, "E.1.1", Behavior::Failed, needle);
    }
}

#[tokio::test]
async fn a_stream_without_heartbeat_is_non_strict_in_e_3_4() {
    let url = scripted(Arc::new(|_| {
        stream_of(SSE_HEAD, vec![w("data: hello\n\n"), Act::Sleep(10_000)])
    }))
    .await;
    let v = run(&url, &["E.3.4"], 2000, 1000, None).await;
    expect(
        &v,
        "E.3.4",
        Behavior::NonStrict,
        "longer than the 1.0 s heartbeat threshold",
    );
}

/// Ids from a clock shared by every connection, as a broadcast server numbers
/// them (1 per 20 ms).
fn clock_id(start: std::time::Instant) -> u64 {
    start.elapsed().as_millis() as u64 / 20 + 1
}

#[tokio::test]
async fn a_server_that_ignores_last_event_id_fails_e_4_3() {
    // Restarts at 1 on every connection: duplicates.
    let url = scripted(Arc::new(|_| stream_of(SSE_HEAD, ticks(1, 50, 20)))).await;
    let v = run(&url, &["E.4.2", "E.4.3"], 2000, 1000, None).await;
    expect(&v, "E.4.2", Behavior::Ok, "200");
    expect(
        &v,
        "E.4.3",
        Behavior::Failed,
        "ignores Last-Event-ID (duplicates)",
    );

    // Goes on live from the clock: a gap.
    let start = std::time::Instant::now();
    let url = scripted(Arc::new(move |_| {
        stream_of(SSE_HEAD, ticks(clock_id(start), 50, 20))
    }))
    .await;
    let v = run(&url, &["E.4.3"], 2000, 1000, None).await;
    expect(
        &v,
        "E.4.3",
        Behavior::NonStrict,
        "lost across the reconnect",
    );
}

#[tokio::test]
async fn a_500_to_an_unknown_id_fails_e_4_4() {
    let url = scripted(Arc::new(|req: &Req| match req.header("last-event-id") {
        Some(id) if id.parse::<u64>().is_err() => {
            vec![w(
                "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
            )]
        }
        _ => stream_of(SSE_HEAD, ticks(1, 3, 10)),
    }))
    .await;
    let v = run(&url, &["E.4.4", "E.4.5"], 500, 1000, None).await;
    expect(
        &v,
        "E.4.4",
        Behavior::Failed,
        "status 500: browsers give up for good",
    );
    expect(&v, "E.4.5", Behavior::Failed, "status 500");
}

#[tokio::test]
async fn a_raw_newline_inside_data_fails_e_2_5() {
    let url = scripted(Arc::new(|_| {
        stream_of(SSE_HEAD, vec![w("data: first line\nsecond line\n\n")])
    }))
    .await;
    let v = run(&url, &["E.2.5"], 500, 1000, None).await;
    expect(
        &v,
        "E.2.5",
        Behavior::Failed,
        "line 2 (byte 17): a line without a colon",
    );
    expect(&v, "E.2.5", Behavior::Failed, "\"second line\"");
}

#[tokio::test]
async fn a_server_that_flushes_by_size_fails_e_3_3() {
    // Events every 100 ms, written out in 512-byte slices: reads stop inside
    // events and wait for the next slice, as behind a buffering proxy.
    let url = scripted(Arc::new(|_| {
        let mut acts = vec![w(SSE_HEAD)];
        let mut pending = Vec::new();
        let mut waited = 0;
        for i in 1..=40u64 {
            pending.extend_from_slice(format!("id: {i}\ndata: event number {i:04}\n\n").as_bytes());
            waited += 100;
            if pending.len() >= 512 {
                acts.push(Act::Sleep(waited));
                waited = 0;
                let rest = pending.split_off(512);
                acts.push(Act::Write(std::mem::replace(&mut pending, rest)));
            }
        }
        acts
    }))
    .await;
    let v = run(&url, &["E.3.3"], 4000, 1000, None).await;
    expect(&v, "E.3.3", Behavior::Failed, "held incomplete");
}

#[tokio::test]
async fn a_compressor_that_never_flushes_fails_e_1_6() {
    let url = scripted(Arc::new(|req: &Req| {
        let gzip = req.header("accept-encoding").is_some_and(|v| v.contains("gzip"));
        if !gzip {
            return stream_of(SSE_HEAD, ticks(1, 20, 50));
        }
        // Compress everything, hand the compressor's output out only at the end.
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        for i in 1..=20 {
            enc.write_all(format!("id: {i}\ndata: tick {i}\n\n").as_bytes()).unwrap();
        }
        let body = enc.finish().unwrap();
        vec![
            w("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Encoding: gzip\r\nConnection: close\r\n\r\n"),
            Act::Sleep(5000),
            Act::Write(body),
        ]
    }))
    .await;
    let v = run(&url, &["E.1.6"], 1500, 1000, None).await;
    expect(&v, "E.1.6", Behavior::Failed, "the compressor holds events");
}

#[tokio::test]
async fn a_finite_stream_with_content_length_is_reported() {
    let body = "id: 1\ndata: a\n\nid: 2\ndata: b\n\n";
    let url = scripted(Arc::new(move |_| {
        vec![w(format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ))]
    }))
    .await;
    let v = run(&url, &["E.1.3", "E.4.6", "E.2.4"], 1000, 1000, None).await;
    expect(&v, "E.1.3", Behavior::NonStrict, "Content-Length: 30");
    expect(
        &v,
        "E.4.6",
        Behavior::Informational,
        "accepts the reconnect (200)",
    );
    expect(&v, "E.2.4", Behavior::Ok, "block boundary");
}

#[tokio::test]
async fn a_messy_stream_fails_each_format_case_with_its_reason() {
    let url = scripted(Arc::new(|_| {
        stream_of(
            SSE_HEAD,
            vec![
                w(b"data: ok\r\n\r\n".as_slice()),
                w(b"data: lone\r\r".as_slice()),
                w(b"\xEF\xBB\xBFdata: bom\n\n".as_slice()),
                w(b"retry: 3s\n\n".as_slice()),
                w(b"id: a\0b\ndata: x\n\n".as_slice()),
                w(b"event: ping\n\n".as_slice()),
                w(b"data: \xFF\n\n".as_slice()),
                w(b"data: never ended\n".as_slice()),
            ],
        )
    }))
    .await;
    let v = run(&url, &["E.2.*"], 1000, 1000, None).await;
    expect(&v, "E.2.1", Behavior::Failed, "not UTF-8");
    expect(&v, "E.2.2", Behavior::Failed, "byte-order mark");
    expect(&v, "E.2.3", Behavior::NonStrict, "CR alone");
    expect(&v, "E.2.4", Behavior::Failed, "ended inside a block");
    expect(&v, "E.2.5", Behavior::Ok, "only data");
    expect(&v, "E.2.6", Behavior::Failed, "\"3s\"");
    expect(&v, "E.2.7", Behavior::Failed, "NUL");
    expect(&v, "E.2.8", Behavior::NonStrict, "event: \"ping\"");
}

#[tokio::test]
async fn a_preflight_allow_headers_that_is_not_a_list_of_names_fails_e_5_3() {
    // Fetch: Access-Control-Allow-Headers is `#field-name`; `foo=bar` makes
    // the browser's parse fail, and the preflight with it.
    let url = scripted(Arc::new(|req: &Req| {
        if req.method == "OPTIONS" {
            return vec![w(
                "HTTP/1.1 204 No Content\r\nAccess-Control-Allow-Origin: https://app.example\r\nAccess-Control-Allow-Headers: foo=bar, Last-Event-ID\r\n\r\n",
            )];
        }
        stream_of(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nAccess-Control-Allow-Origin: https://app.example\r\nConnection: close\r\n\r\n",
            vec![w("id: <1>\ndata: a\n\nid: <2>\ndata: b\n\n")],
        )
    }))
    .await;
    let v = run(&url, &["E.5.3"], 500, 1000, Some("https://app.example")).await;
    expect(&v, "E.5.3", Behavior::Failed, "is not a valid list");
}

#[tokio::test]
async fn cors_without_allow_origin_and_unsafe_ids_fail_e_5() {
    let url = scripted(Arc::new(|req: &Req| {
        if req.method == "OPTIONS" {
            return vec![w("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")];
        }
        let _ = &req.path;
        stream_of(
            SSE_HEAD,
            vec![w("id: <1>\ndata: a\n\nid: <2>\ndata: b\n\n")],
        )
    }))
    .await;
    let v = run(&url, &["E.5.*"], 500, 1000, Some("https://app.example")).await;
    expect(
        &v,
        "E.5.1",
        Behavior::Failed,
        "no Access-Control-Allow-Origin",
    );
    expect(&v, "E.5.3", Behavior::Failed, "need a preflight");
    expect(&v, "E.5.4", Behavior::Failed, "on the reconnect");
    let v = run(&url, &["E.5.1"], 500, 1000, None).await;
    expect(&v, "E.5.1", Behavior::Informational, "--origin");
}

#[tokio::test]
async fn every_request_is_counted_and_bounded() {
    // A server that accepts and never answers: every observation ends by its
    // head timeout, and the run reports no response rather than hanging.
    let hits = Arc::new(AtomicU64::new(0));
    let seen = Arc::clone(&hits);
    let url = scripted(Arc::new(move |_| {
        seen.fetch_add(1, Ordering::SeqCst);
        vec![Act::Sleep(20_000)]
    }))
    .await;
    let v = run(&url, &["E.1.1"], 500, 1000, None).await;
    expect(
        &v,
        "E.1.1",
        Behavior::Failed,
        "no response head within 5.0 s",
    );
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn review_regressions_are_judged_right() {
    // A retry-only block waiting for its empty line is not an event held back; an
    // interim 103 precedes the final 200.
    let url = scripted(Arc::new(|_| {
        vec![
            w("HTTP/1.1 103 Early Hints\r\nLink: </x>; rel=preload\r\n\r\n"),
            w(SSE_HEAD),
            w("data: first\n\nretry: 5000\n"),
            Act::Sleep(1500),
            w("\ndata: second\n\n"),
        ]
    }))
    .await;
    let v = run(&url, &["E.1.1", "E.3.3"], 2500, 5000, None).await;
    expect(&v, "E.1.1", Behavior::Ok, "200");
    expect(&v, "E.3.3", Behavior::Ok, "none held back");

    // A 404 to an id the server sent itself, and two Access-Control-Allow-Origin.
    let url = scripted(Arc::new(|req: &Req| {
        if req.header("last-event-id").is_some_and(|id| id.parse::<u64>().is_ok()) {
            return vec![w("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")];
        }
        stream_of(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nAccess-Control-Allow-Origin: *\r\nAccess-Control-Allow-Origin: https://app.example\r\nConnection: close\r\n\r\n",
            ticks(1, 5, 20),
        )
    }))
    .await;
    let v = run(
        &url,
        &["E.4.2", "E.5.1"],
        1000,
        1000,
        Some("https://app.example"),
    )
    .await;
    expect(&v, "E.4.2", Behavior::Failed, "browsers stop for good");
    expect(&v, "E.5.1", Behavior::Failed, "sent 2 times");
}

#[tokio::test]
async fn redirects_resolve_like_a_browser_and_keep_user_headers_at_home() {
    // Server B serves the stream and records what it was sent; server A answers
    // with a relative redirect to itself, then a cross-origin one to B.
    let at_b = Arc::new(std::sync::Mutex::new(Vec::<Req>::new()));
    let seen_b = Arc::clone(&at_b);
    let b = scripted(Arc::new(move |req| {
        seen_b.lock().unwrap().push(req.clone());
        stream_of(SSE_HEAD, ticks(1, 2, 10))
    }))
    .await;
    let at_a = Arc::new(std::sync::Mutex::new(Vec::<Req>::new()));
    let seen_a = Arc::clone(&at_a);
    let a = scripted(Arc::new(move |req| {
        seen_a.lock().unwrap().push(req.clone());
        let location = match req.path.as_str() {
            "/events" => "hop?n=1#ignored".to_owned(),
            _ => format!("{b}?from=a"),
        };
        vec![w(format!(
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ))]
    }))
    .await;
    let cases = select(&["E.1.1".to_owned()], &[]).unwrap();
    let settings = Settings {
        origin: None,
        heartbeat: Duration::from_secs(1),
        duration: Duration::from_millis(500),
        timeout_scale: 1.0,
        data: DataContract::Text,
    };
    let cfg = RunConfig {
        settings: settings.clone(),
        headers: vec![("X-Token".to_owned(), "secret".to_owned())],
        tls: None,
        head_timeout: Duration::from_secs(5),
        jobs: 1,
        http: wirecheck::net::Http::V1_1,
    };
    let obs = tokio::time::timeout(
        Duration::from_secs(20),
        observe_all(&Target::parse_http(&a).unwrap(), &cfg, &cases),
    )
    .await
    .expect("the run is bounded");
    let main = obs.main.as_ref().expect("observed");
    let hops: Vec<(u16, &str)> = main
        .redirects
        .iter()
        .map(|(s, l)| (*s, l.as_str()))
        .collect();
    assert_eq!(hops.len(), 2, "{hops:?}");
    assert_eq!(hops[0], (307, "hop?n=1#ignored"));
    assert_eq!(main.target.path, "/events?from=a");
    assert_eq!(main.events().count(), 2);

    let a_paths: Vec<String> = at_a
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(a_paths, ["/events", "/hop?n=1"]);
    for r in at_a.lock().unwrap().iter() {
        assert_eq!(r.header("x-token"), Some("secret"), "{}", r.path);
    }
    let at_b = at_b.lock().unwrap();
    assert_eq!(at_b.len(), 1);
    assert_eq!(
        at_b[0].header("x-token"),
        None,
        "the user's header leaked to B"
    );
    assert_eq!(at_b[0].header("accept"), Some("text/event-stream"));
    let verdicts = judge_all(&cases, &settings, &obs, "test");
    assert_eq!(verdicts[0].behavior, Behavior::Ok, "{}", verdicts[0].result);
}

#[tokio::test]
async fn a_line_beyond_the_parser_limit_is_not_blamed_on_the_framing() {
    // 5 MiB without a line break passes the parser's 4 MiB line limit: the
    // observation ends at wirecheck's bound, and E.1.5 judges only the framing.
    let url = scripted(Arc::new(|_| {
        let mut line = b"data: ".to_vec();
        line.resize(5 << 20, b'x');
        stream_of(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            vec![
                w(format!("{:x}\r\n", line.len())),
                Act::Write(line),
                w("\r\n"),
                Act::Sleep(3000),
            ],
        )
    }))
    .await;
    let v = run(&url, &["E.1.5"], 1500, 1000, None).await;
    expect(
        &v,
        "E.1.5",
        Behavior::Ok,
        "stopped at its limit: a line exceeded wirecheck's 4 MiB line limit",
    );
}

#[tokio::test]
async fn deflate_in_zlib_form_passes_and_raw_deflate_is_non_strict_in_e_1_6() {
    for raw in [false, true] {
        let url = scripted(Arc::new(move |req: &Req| {
            if !req.header("accept-encoding").is_some_and(|v| v.contains("deflate")) {
                return stream_of(SSE_HEAD, ticks(1, 5, 50));
            }
            // Each event compressed and flushed on its own, as it is produced.
            let mut acts = vec![w(
                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Encoding: deflate\r\nConnection: close\r\n\r\n",
            )];
            let level = flate2::Compression::default();
            let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), level);
            let mut plain = flate2::write::DeflateEncoder::new(Vec::new(), level);
            for i in 1..=5 {
                let ev = format!("id: {i}\ndata: tick {i}\n\n");
                let out = if raw {
                    plain.write_all(ev.as_bytes()).unwrap();
                    plain.flush().unwrap();
                    std::mem::take(plain.get_mut())
                } else {
                    zlib.write_all(ev.as_bytes()).unwrap();
                    zlib.flush().unwrap();
                    std::mem::take(zlib.get_mut())
                };
                acts.push(Act::Write(out));
                acts.push(Act::Sleep(50));
            }
            acts
        }))
        .await;
        let v = run(&url, &["E.1.6"], 1500, 1000, None).await;
        if raw {
            expect(&v, "E.1.6", Behavior::NonStrict, "raw DEFLATE (RFC 1951)");
            expect(
                &v,
                "E.1.6",
                Behavior::NonStrict,
                "events decodable as they arrived",
            );
        } else {
            expect(&v, "E.1.6", Behavior::Ok, "deflate, ");
        }
    }
}

/// A server that answers every request with `head` and then writes `chunk` over
/// and over, as fast as the client reads, until the client leaves (or 60 s pass).
async fn endless(head: &'static str, chunk: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let chunk = Arc::new(chunk);
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let chunk = Arc::clone(&chunk);
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let flood = async {
                    stream.write_all(head.as_bytes()).await?;
                    loop {
                        stream.write_all(&chunk).await?;
                    }
                    #[allow(unreachable_code)]
                    Ok::<(), std::io::Error>(())
                };
                let _ = tokio::time::timeout(Duration::from_secs(60), flood).await;
            });
        }
    });
    format!("http://{addr}/events")
}

#[track_caller]
fn report<'a>(reports: &'a [CaseReport], id: &str) -> &'a CaseReport {
    reports
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("{id} did not run"))
}

#[tokio::test]
async fn an_endless_line_fails_every_format_case_and_names_the_limit() {
    // `data: xxxx...` with no line end, as fast as it can: the parser stops at its
    // 4 MiB line limit; nothing was ever dispatched, so no E.2 case may pass.
    let head: &'static str = Box::leak(format!("{SSE_HEAD}data: ").into_boxed_str());
    let url = endless(head, vec![b'x'; 64 * 1024]).await;
    let (obs, reports) = run_reports(&url, &["E.2.*", "E.3.*", "E.1.5"], 3000, 1000, None).await;
    let main = obs.main.as_ref().unwrap();
    assert!(
        matches!(&main.end, End::Limit(why) if why.contains("4 MiB line limit")),
        "{}",
        main.end
    );
    assert_eq!(main.dispatched, 0);
    for c in reports.iter().filter(|c| c.id.starts_with("E.2.")) {
        assert_eq!(c.behavior, Behavior::Failed, "{}: {}", c.id, c.result);
        assert!(
            c.result
                .contains("a line exceeded wirecheck's 4 MiB line limit after ")
                && c.result.ends_with("; no event was dispatched"),
            "{}: {}",
            c.id,
            c.result
        );
        assert_eq!(c.limits.len(), 1, "{}: {:?}", c.id, c.limits);
        assert!(c.limits[0].contains("4 MiB line limit"), "{:?}", c.limits);
    }
    // Liveness was judged up to the limit only: never OK, and the limit is listed.
    for id in ["E.3.2", "E.3.3", "E.3.4"] {
        let c = report(&reports, id);
        assert_ne!(c.behavior, Behavior::Ok, "{id}: {}", c.result);
        assert!(!c.limits.is_empty(), "{id}");
    }
    // The framing itself decoded every byte read.
    let c = report(&reports, "E.1.5");
    assert_eq!(c.behavior, Behavior::Ok, "{}", c.result);
}

#[tokio::test]
async fn an_event_flood_keeps_memory_bounded_and_ends() {
    // Small events and large ones, as fast as the client reads: what the
    // observation keeps stays bounded whatever the server sends, and the stream
    // is read until --duration (the body limit is far beyond what a loopback
    // server sends in 1.5 s).
    let mut chunk = format!("data: {}\n\n", "y".repeat(4096)).into_bytes();
    while chunk.len() < 60 * 1024 {
        chunk.extend_from_slice(b"id: 1\ndata: x\n\n");
    }
    let url = endless(SSE_HEAD, chunk).await;
    let (obs, reports) = run_reports(&url, &["E.2.*", "E.3.*"], 1500, 1000, None).await;
    let main = obs.main.as_ref().unwrap();
    assert!(matches!(main.end, End::Cut), "{}", main.end);
    assert!(
        main.dispatched > main.items.len() as u64,
        "the flood outran what is kept"
    );
    assert!(main.items.len() <= MAX_ITEMS);
    assert!(
        main.retained_bytes() <= MAX_RETAINED,
        "{} bytes retained",
        main.retained_bytes()
    );
    for (_, seen) in &main.items {
        if let Seen::Event { data, data_len, .. } = seen {
            assert!(data.len() <= MAX_VALUE && *data_len >= data.len());
        }
    }
    assert!(
        main.limits.iter().any(|l| l.contains("parser items")),
        "{:?}",
        main.limits
    );
    // The stream is well-formed: E.2 finds nothing, and where wirecheck's limits
    // shaped a verdict it is not OK and names them.
    for c in &reports {
        assert_ne!(c.behavior, Behavior::Failed, "{}: {}", c.id, c.result);
        if !c.limits.is_empty() {
            assert_ne!(c.behavior, Behavior::Ok, "{}: {}", c.id, c.result);
        }
    }
    assert!(!report(&reports, "E.3.3").limits.is_empty());
}

#[tokio::test]
async fn an_invalid_content_length_fails_e_1_3_and_e_1_5() {
    let url = scripted(Arc::new(|_| {
        vec![w(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 99999999999999999999\r\nConnection: close\r\n\r\ndata: 1\n\n",
        )]
    }))
    .await;
    let (obs, reports) = run_reports(&url, &["E.1.*", "E.2.*"], 1000, 1000, None).await;
    assert_eq!(unreachable(&obs), None, "a response came");
    let c = report(&reports, "E.1.3");
    assert_eq!(c.behavior, Behavior::Failed, "{}", c.result);
    assert!(
        c.result
            .contains("invalid Content-Length \"99999999999999999999\""),
        "{}",
        c.result
    );
    assert!(c.result.contains("RFC 9112 §6.3"), "{}", c.result);
    let c = report(&reports, "E.1.5");
    assert_eq!(c.behavior, Behavior::Failed, "{}", c.result);
    assert!(c.result.contains("framing is invalid"), "{}", c.result);
    for c in &reports {
        assert!(!c.result.contains("Undecodable("), "{}: {}", c.id, c.result);
    }
}

#[tokio::test]
async fn redirect_loops_and_endless_chains_fail_e_1_1() {
    // The same URL again: a loop, found at once.
    let url = scripted(Arc::new(|_| {
        vec![w(
            "HTTP/1.1 302 Found\r\nLocation: /events\r\nContent-Length: 0\r\n\r\n",
        )]
    }))
    .await;
    let (obs, reports) = run_reports(&url, &["E.1.1", "E.1.2"], 1000, 1000, None).await;
    assert_eq!(unreachable(&obs), None);
    let c = report(&reports, "E.1.1");
    assert_eq!(c.behavior, Behavior::Failed, "{}", c.result);
    assert!(
        c.result.starts_with("302: a redirect loop: "),
        "{}",
        c.result
    );
    assert!(c.limits.is_empty(), "a loop is no limit of ours");
    // Always a new URL: wirecheck stops after 5 redirects and says so.
    let hops = Arc::new(AtomicU64::new(0));
    let seen = Arc::clone(&hops);
    let url = scripted(Arc::new(move |_| {
        let n = seen.fetch_add(1, Ordering::SeqCst);
        vec![w(format!(
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: /hop{n}\r\nContent-Length: 0\r\n\r\n"
        ))]
    }))
    .await;
    let (_, reports) = run_reports(&url, &["E.1.1"], 1000, 1000, None).await;
    let c = report(&reports, "E.1.1");
    assert_eq!(c.behavior, Behavior::Failed, "{}", c.result);
    assert!(c.result.contains("more than 5 redirects"), "{}", c.result);
    assert_eq!(
        c.limits,
        ["follows at most 5 redirects (browsers follow 20)"]
    );
    assert_eq!(hops.load(Ordering::SeqCst), 6);
}

#[tokio::test]
async fn a_5xx_fails_e_1_1_and_an_oversized_head_fails_with_the_limit() {
    let url = scripted(Arc::new(|_| {
        vec![w(
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nbusy",
        )]
    }))
    .await;
    let v = run(&url, &["E.1.1"], 1000, 1000, None).await;
    expect(&v, "E.1.1", Behavior::Failed, "status 503");

    let url = scripted(Arc::new(|_| {
        vec![w(format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-Big: {}\r\n\r\ndata: 1\n\n",
            "b".repeat(20 * 1024)
        ))]
    }))
    .await;
    let (obs, reports) = run_reports(&url, &["E.1.*", "E.3.1"], 1000, 1000, None).await;
    assert_eq!(unreachable(&obs), None, "bytes came: not unreachable");
    let c = report(&reports, "E.1.1");
    assert_eq!(c.behavior, Behavior::Failed, "{}", c.result);
    assert!(
        c.result
            .contains("the response head exceeded wirecheck's 16 KiB head limit"),
        "{}",
        c.result
    );
    assert_eq!(c.limits, ["reads response heads of at most 16 KiB"]);
    for c in &reports {
        assert_ne!(c.behavior, Behavior::Ok, "{}: {}", c.id, c.result);
    }
}

#[tokio::test(start_paused = true)]
async fn a_trickling_head_ends_by_the_head_timeout_and_is_judged() {
    // One byte every 3 s: the head never completes; each observation ends by its
    // 5 s head timeout (tokio's paused clock: no real waiting), and since bytes
    // came the response is judged rather than called unreachable.
    let url = scripted(Arc::new(|_| {
        b"HTTP/1.1 200 OK\r\n"
            .iter()
            .flat_map(|b| [Act::Write(vec![*b]), Act::Sleep(3000)])
            .collect()
    }))
    .await;
    let (obs, reports) = run_reports(&url, &["E.1.1", "E.3.1"], 500, 1000, None).await;
    let main = obs.main.as_ref().unwrap();
    assert!(main.received >= 1 && main.head.is_none());
    assert_eq!(unreachable(&obs), None);
    let c = report(&reports, "E.1.1");
    assert_eq!(c.behavior, Behavior::Failed, "{}", c.result);
    assert!(
        c.result
            .contains("the response head was still incomplete after 5.0 s"),
        "{}",
        c.result
    );
}

#[tokio::test(start_paused = true)]
async fn a_silent_server_is_unreachable_after_the_head_timeout() {
    // Accepts and never answers: no byte of any response, so the run is
    // "unreachable" with a one-line reason, every observation ended by its head
    // timeout (the paused clock makes that instant).
    let url = scripted(Arc::new(|_| vec![Act::Sleep(60_000)])).await;
    let began = tokio::time::Instant::now();
    let (obs, reports) = run_reports(&url, &[], 2000, 1000, None).await;
    let waited = began.elapsed();
    let why = unreachable(&obs).expect("nothing answered");
    assert_eq!(why, "no response head within 5.0 s");
    // The observations waiting for a slot (-j 4 here) are not made once the
    // first ones got nothing: one head timeout of virtual time, not two.
    assert!(waited < Duration::from_secs(6), "{waited:?}");
    let c = report(&reports, "E.1.1");
    assert_eq!(c.behavior, Behavior::Failed, "{}", c.result);
}
