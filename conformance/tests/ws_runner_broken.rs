//! The runner against deliberately broken servers, written here: each makes the
//! right case fail with the right reason, and every run ends on time.
//!
//! All servers listen on 127.0.0.1 on an ephemeral port; every run is wrapped in
//! a liveness bound (a generous timeout, not a benchmark).

#[path = "support/ws_server.rs"]
mod ws_server;

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;
use wirecheck::core::{Behavior, BehaviorClose};
use wirecheck::ws::cases;
use wirecheck::ws::engine::{EngineConfig, Target};
use wirecheck::ws::result::CaseResult;
use wirecheck::ws::run::{GIVE_UP_AFTER, RunOutcome, run_cases, select};
use wirecheck_codec::ws::frame::{HeaderRules, OpCode};
use wirecheck_codec::ws::{FrameDecoder, FrameEvent, Role, encode};

/// How a broken server misbehaves after the handshake.
#[derive(Debug, Clone, Copy)]
enum Flaw {
    /// Echoes every data frame, RSV bits and all, as if no rule applied.
    IgnoresReservedBits,
    /// Echoes messages but never answers a Close and never closes TCP.
    NeverCloses,
    /// Sends half a handshake response, then nothing.
    StallsMidHandshake,
    /// Resets the connection as soon as it is accepted.
    Resets,
    /// Completes the handshake, then answers every read with bytes that are no frame.
    SendsGarbage,
    /// Sends a frame with RSV1 set right after the handshake, then behaves.
    RsvFrameFirst,
    /// Completes the close handshake but never closes the TCP connection.
    KeepsTcpOpen,
    /// Answers a Ping that came after the client's Close (RFC 6455 §5.5.1: nothing
    /// after a Close is processed), before its own Close reply.
    PongsAfterClose,
}

async fn start(flaw: Flaw) -> SocketAddr {
    ws_server::listen(move |stream| serve(stream, flaw)).await
}

/// Reads the request and answers 101, returning the bytes that followed it.
async fn handshake(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let (response, pending) = ws_server::read_request(stream).await?;
    stream.write_all(&response).await.ok()?;
    Some(pending)
}

async fn serve(mut stream: TcpStream, flaw: Flaw) {
    match flaw {
        Flaw::Resets => {
            // Drop the connection before any handshake byte: the client sees EOF or a reset.
            drop(stream);
            return;
        }
        Flaw::StallsMidHandshake => {
            let mut buf = [0u8; 1024];
            let _ = stream.read(&mut buf).await;
            let _ = stream
                .write_all(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n")
                .await;
            tokio::time::sleep(Duration::from_secs(30)).await;
            return;
        }
        _ => {}
    }
    let Some(mut pending) = handshake(&mut stream).await else {
        return;
    };
    if matches!(flaw, Flaw::RsvFrameFirst) && stream.write_all(&[0xC1, 0x00]).await.is_err() {
        return;
    }
    if matches!(flaw, Flaw::SendsGarbage) {
        // 0xF3: FIN with reserved opcode 3 (RFC 6455 §5.2), then noise.
        let _ = stream
            .write_all(&[0xF3, 0x05, b'n', b'o', b'i', b's', b'e'])
            .await;
        let mut buf = [0u8; 4096];
        while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
        return;
    }
    // A frame-level loop with every RSV bit allowed: the flaws live above the codec.
    let mut frames = FrameDecoder::new(HeaderRules {
        role: Some(Role::Server),
        allowed_rsv: 0b111,
        max_payload: 1 << 24,
        allow_reserved_opcodes: false,
    });
    let mut current: Option<(u8, u8, bool)> = None;
    let mut payload = Vec::new();
    let mut closed = false;
    let mut close_reply = Vec::new();
    let mut buf = vec![0u8; 65536];
    loop {
        let mut input = &mut pending[..];
        let mut replies = Vec::new();
        loop {
            match frames.decode(&mut input) {
                Ok(Some(FrameEvent::Header(h))) => {
                    current = Some((h.opcode.as_u8(), h.rsv, h.fin));
                    payload.clear();
                }
                Ok(Some(FrameEvent::Payload { data, last, .. })) => {
                    payload.extend_from_slice(data);
                    let Some((op, rsv, fin)) = current.filter(|_| last) else {
                        continue;
                    };
                    match (op, flaw) {
                        (8, Flaw::NeverCloses) => {}
                        (8, _) => {
                            closed = true;
                            // The flawed server sends its Close after handling the rest of the read.
                            encode::close(&mut close_reply, None, None, "").expect("empty close");
                        }
                        (9, Flaw::PongsAfterClose) => {
                            encode::pong(&mut replies, None, &payload).expect("short ping");
                        }
                        (9, _) if !closed => {
                            encode::pong(&mut replies, None, &payload).expect("short ping")
                        }
                        (1 | 2, _) if !closed => {
                            let opcode = if op == 1 {
                                OpCode::Text
                            } else {
                                OpCode::Binary
                            };
                            encode::frame(&mut replies, fin, rsv, opcode, None, &payload);
                        }
                        _ => {}
                    }
                }
                Ok(None) | Err(_) => break,
            }
        }
        replies.append(&mut close_reply);
        if !replies.is_empty() && stream.write_all(&replies).await.is_err() {
            return;
        }
        if closed {
            if matches!(flaw, Flaw::KeepsTcpOpen) {
                // Hold the connection open until the client gives up.
                while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
            }
            // Close TCP after the close handshake, as a server should.
            return;
        }
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => pending = buf[..n].to_vec(),
        }
    }
}

/// Run the cases selected by `patterns` against `addr`, bounded in time.
async fn run(
    addr: SocketAddr,
    patterns: &[&str],
    cfg: EngineConfig,
    bound: Duration,
) -> Vec<CaseResult> {
    run_outcome(addr, patterns, cfg, bound).await.results
}

/// [`run`], with whether the run gave up early.
async fn run_outcome(
    addr: SocketAddr,
    patterns: &[&str],
    cfg: EngineConfig,
    bound: Duration,
) -> RunOutcome {
    let target = Target::parse(&format!("ws://{addr}/")).expect("valid URL");
    let patterns: Vec<String> = patterns.iter().map(|s| (*s).to_owned()).collect();
    let selected = select(cases::all(), &patterns, &[]).expect("patterns select cases");
    timeout(bound, run_cases(&target, &cfg, &selected, 4, |_, _| {}))
        .await
        .expect("the run ended on time")
}

fn find<'a>(results: &'a [CaseResult], id: &str) -> &'a CaseResult {
    results
        .iter()
        .find(|r| r.id.to_string() == id)
        .expect("case ran")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_that_accepts_reserved_bits_fails_category_3() {
    let addr = start(Flaw::IgnoresReservedBits).await;
    let results = run(
        addr,
        &["3.*"],
        EngineConfig::default(),
        Duration::from_secs(20),
    )
    .await;
    // The server echoed the RSV frames instead of failing the connection; wirecheck
    // rejected the echo (RSV bits without an extension) and failed the connection
    // itself, so the close came from the wrong endpoint: FAILED, as in Autobahn.
    // 3.7 (a Close with RSV=7) is Autobahn's blind spot: this server answers it with
    // an empty Close, and an empty close code is always accepted (autobahn.md §3.4).
    for r in results.iter().filter(|r| r.id.to_string() != "3.7") {
        assert_eq!(
            r.behavior_close,
            BehaviorClose::Failed,
            "{}: {}",
            r.id,
            r.result_close
        );
        assert!(r.close.failed_by_me, "{}", r.id);
    }
    let r = find(&results, "3.1");
    assert_eq!(
        r.result_close,
        "the connection was closed by the wrong endpoint: expected the server to close, wirecheck did \
         (wirecheck failed it: reserved bits RSV1-3 = 001 set without a negotiated extension (RFC 6455 §5.2))"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_that_never_closes_is_unclean_and_the_run_ends() {
    let addr = start(Flaw::NeverCloses).await;
    let results = run(
        addr,
        &["1.1.1", "1.1.2", "2.1"],
        EngineConfig::default(),
        Duration::from_secs(10),
    )
    .await;
    for r in &results {
        // The echo (or pong) was right...
        assert_eq!(r.behavior, Behavior::Ok, "{}: {}", r.id, r.result);
        // ...but the close handshake timed out and the fuzzer dropped the connection.
        assert_eq!(
            r.behavior_close,
            BehaviorClose::Unclean,
            "{}: {}",
            r.id,
            r.result_close
        );
        // 1.1.x arm killAfter(1) at the start, so it fires before the 1 s
        // close-handshake timeout; 2.1 closes via closeAfter(1) and has no kill.
        let timed_out = r.id.to_string() == "2.1";
        assert_eq!(r.close.was_close_handshake_timeout, timed_out, "{}", r.id);
        assert!(r.close.dropped_by_me, "{}", r.id);
        assert!(
            r.result_close.contains("did not answer the close frame"),
            "{}",
            r.result_close
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_that_stalls_mid_handshake_fails_every_case_on_time() {
    let addr = start(Flaw::StallsMidHandshake).await;
    let cfg = EngineConfig {
        timeout_scale: 0.1,
        ..EngineConfig::default()
    };
    // The first cases all time out the same way (0.5 s each), so the run gives
    // up after them instead of repeating it for all 16; bounded at 10 s.
    let outcome = run_outcome(addr, &["1.*"], cfg, Duration::from_secs(10)).await;
    let results = outcome.results;
    assert_eq!(results.len(), GIVE_UP_AFTER);
    assert!(
        outcome
            .gave_up
            .as_deref()
            .is_some_and(|why| why.contains("no complete opening handshake")),
        "{:?}",
        outcome.gave_up
    );
    for r in &results {
        assert_eq!(
            (r.behavior, r.behavior_close),
            (Behavior::Failed, BehaviorClose::Failed),
            "{}",
            r.id
        );
        assert!(r.close.was_open_handshake_timeout, "{}", r.id);
        assert!(
            r.result.contains("no complete opening handshake"),
            "{}",
            r.result
        );
        assert!(
            r.http_response.starts_with("HTTP/1.1 101"),
            "the partial head is reported"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_that_resets_fails_with_the_reason() {
    let addr = start(Flaw::Resets).await;
    let results = run(
        addr,
        &["1.1.1"],
        EngineConfig::default(),
        Duration::from_secs(5),
    )
    .await;
    let r = &results[0];
    assert_eq!(
        (r.behavior, r.behavior_close),
        (Behavior::Failed, BehaviorClose::Failed)
    );
    assert!(!r.close.was_open);
    assert!(
        r.result.starts_with("the opening handshake failed:"),
        "{}",
        r.result
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_that_answers_frames_after_close_fails_7_1_3() {
    let addr = start(Flaw::PongsAfterClose).await;
    let results = run(
        addr,
        &["7.1.3"],
        EngineConfig::default(),
        Duration::from_secs(5),
    )
    .await;
    let r = &results[0];
    // 7.1.3 sends Close then Ping: a pong must never come back.
    assert_eq!(r.behavior, Behavior::Failed, "{}", r.result);
    assert_eq!(r.result, "expected no events, received pong of 0 bytes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_server_run_gives_up_after_the_first_handshakes_time_out() {
    // Accepts TCP and says nothing: each case waits for the opening-handshake timeout.
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    let cfg = EngineConfig {
        timeout_scale: 0.1,
        ..EngineConfig::default()
    };
    // Every handshake waits 0.5 s, all at once (waiting holds no -j slot); the
    // first ones to end all timed out, so the run stops there. Bound: 10 s.
    let outcome = run_outcome(addr, &["2.*"], cfg, Duration::from_secs(10)).await;
    assert!(outcome.gave_up.is_some());
    assert_eq!(outcome.results.len(), GIVE_UP_AFTER);
    assert!(
        outcome
            .results
            .iter()
            .all(|r| r.close.was_open_handshake_timeout)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_that_sends_garbage_is_failed_by_wirecheck_with_the_rule() {
    let addr = start(Flaw::SendsGarbage).await;
    let results = run(
        addr,
        &["1.1.1", "2.1"],
        EngineConfig::default(),
        Duration::from_secs(10),
    )
    .await;
    for r in &results {
        // The echo (or pong) never came; wirecheck, the endpoint these cases expect
        // to close, failed the connection itself, but not cleanly.
        assert_eq!(r.behavior, Behavior::Failed, "{}: {}", r.id, r.result);
        assert_eq!(
            r.behavior_close,
            BehaviorClose::Unclean,
            "{}: {}",
            r.id,
            r.result_close
        );
        assert!(r.close.failed_by_me, "{}", r.id);
        assert_eq!(r.close.local_close_code, Some(1002), "{}", r.id);
        assert!(
            r.result_close
                .contains("reserved opcode 0x3 (RFC 6455 §5.2)"),
            "{}",
            r.result_close
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_close_reply_after_a_bad_frame_is_still_taken() {
    // Autobahn skips the invalid frame and takes the server's Close reply: the
    // close handshake completes cleanly even though wirecheck failed the connection.
    let addr = start(Flaw::RsvFrameFirst).await;
    let results = run(
        addr,
        &["2.1"],
        EngineConfig::default(),
        Duration::from_secs(10),
    )
    .await;
    let r = &results[0];
    assert!(r.close.failed_by_me);
    assert!(r.close.was_clean, "{}", r.result_close);
    assert!(!r.close.dropped_by_me);
    assert_eq!(r.close.local_close_code, Some(1002));
    // The server answered with an empty Close (this flawed server never echoes codes).
    assert_eq!(r.close.remote_close_code, None);
    assert_eq!(r.behavior_close, BehaviorClose::Ok, "{}", r.result_close);
    assert_eq!(r.behavior, Behavior::Failed, "no pong came: {}", r.result);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_that_keeps_tcp_open_after_the_close_handshake_fails_by_client() {
    // 1.1.1 arms killAfter(1) first; the server-drop timer starts later, so the
    // kill fires first: the close was clean, but wirecheck had to drop TCP
    // (autobahn.md §4.3: droppedByMe -> FAILED BY CLIENT).
    let addr = start(Flaw::KeepsTcpOpen).await;
    let results = run(
        addr,
        &["1.1.1"],
        EngineConfig::default(),
        Duration::from_secs(10),
    )
    .await;
    let r = &results[0];
    assert_eq!(r.behavior, Behavior::Ok, "{}", r.result);
    assert!(r.close.was_clean);
    assert!(r.close.dropped_by_me);
    assert_eq!(
        r.behavior_close,
        BehaviorClose::FailedByClient,
        "{}",
        r.result_close
    );
}
