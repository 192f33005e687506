//! `wirecheck ws --http 2` (RFC 8441): the whole catalogue over HTTP/2 against
//! the reference server, and servers written here that each break one rule of
//! the streams, with the H2. case that must catch it.
//!
//! The servers use the `h2` crate for HTTP/2 and the codec for WebSocket
//! frames (the reference server's `respond_next`), on 127.0.0.1 with ports the
//! system picks. Time is real: every wait is a case timer of 1 s at most, and
//! each run has a liveness bound.

#[path = "support/h2_raw.rs"]
mod h2_raw;
#[path = "support/verdicts.rs"]
mod verdicts;
#[path = "support/ws_server.rs"]
mod ws_server;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use wirecheck::core::{Behavior, BehaviorClose};
use wirecheck::http2::stream::H2Stream;
use wirecheck::net::Http;
use wirecheck::serve::ws::{WsServerConfig, respond_next};
use wirecheck::ws::cases;
use wirecheck::ws::engine::{EngineConfig, Target};
use wirecheck::ws::origin::{OriginPolicy, resolve};
use wirecheck::ws::over_h2::{NO_EXTENDED_CONNECT, NOT_APPLICABLE, over_http2};
use wirecheck::ws::result::CaseResult;
use wirecheck::ws::run::{run_cases, select};
use wirecheck_codec::ws::message::Config;
use wirecheck_codec::ws::{Connection, Role};

fn http2() -> EngineConfig {
    EngineConfig {
        http: Http::V2,
        ..EngineConfig::default()
    }
}

/// Run the cases `patterns` select (the H2. ones included) over HTTP/2.
async fn run(addr: SocketAddr, patterns: &[&str]) -> Vec<CaseResult> {
    let target = Target::parse(&format!("ws://{addr}/")).expect("valid URL");
    let mut all = cases::all();
    all.extend(cases::over_http2());
    let patterns: Vec<String> = patterns.iter().map(|s| (*s).to_owned()).collect();
    let selected = select(all, &patterns, &[]).expect("patterns select cases");
    tokio::time::timeout(
        Duration::from_secs(60),
        run_cases(&target, &http2(), &selected, 2, |_, _| {}),
    )
    .await
    .expect("the run ends within its bound")
    .results
}

/// The result of `id`, which must be `behavior` with `needle` in its reason.
fn expect<'a>(
    results: &'a [CaseResult],
    id: &str,
    behavior: Behavior,
    needle: &str,
) -> &'a CaseResult {
    let r = find(results, id);
    assert_eq!(r.behavior, behavior, "{id}: {}", r.result);
    assert!(r.result.contains(needle), "{id}: {}", r.result);
    r
}

fn find<'a>(results: &'a [CaseResult], id: &str) -> &'a CaseResult {
    results
        .iter()
        .find(|r| r.id.to_string() == id)
        .unwrap_or_else(|| panic!("{id} ran"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_http2_the_reference_server_passes_every_case() {
    let (server, target) = ws_server::reference(WsServerConfig::ephemeral()).await;
    let mut all: Vec<_> = cases::all().into_iter().filter(verdicts::light).collect();
    all.extend(cases::over_http2());
    let results = tokio::time::timeout(
        Duration::from_secs(300),
        run_cases(&target, &http2(), &all, 4, |_, _| {}),
    )
    .await
    .expect("the run ends in time")
    .results;
    server.shutdown().await;
    assert_eq!(results.len(), all.len());
    let mut wrong = Vec::new();
    for (r, case) in results.iter().zip(&all) {
        let id = r.id.to_string();
        let not_run = case.opening.as_ref().and_then(|s| over_http2(s).err());
        let want = if not_run.is_some() {
            // The cases that change the Upgrade handshake do not run over HTTP/2.
            (Behavior::Informational, BehaviorClose::Informational)
        } else if case.stream_check.is_some() {
            (Behavior::Ok, BehaviorClose::Informational)
        } else {
            verdicts::reference_verdicts(&id)
        };
        if (r.behavior, r.behavior_close) != want {
            wrong.push(format!(
                "{id}: {} / {} ({} / {})",
                r.behavior, r.behavior_close, r.result, r.result_close
            ));
        }
        if let Some(why) = not_run {
            assert!(r.result.contains(why), "{id}: {}", r.result);
            continue;
        }
        // Every other case spoke RFC 8441: an extended CONNECT, answered 200,
        // or 400 for a version the server does not speak (H.5.1-H.5.4) and
        // for S.2's ReDoS shapes; S.2.1's header list is refused with 431,
        // S.2.2's is answered with GOAWAY (no head).
        assert!(
            r.http_request.contains(":protocol: websocket") || id == "H2.2.1",
            "{id}: {}",
            r.http_request
        );
        let status = match id.as_str() {
            "H2.2.1" => "HTTP/2 501",
            "S.2.1" => "HTTP/2 431",
            "S.2.2" => "",
            _ if id.starts_with("H.5.") || id.starts_with("S.2.") => "HTTP/2 400",
            _ => "HTTP/2 200",
        };
        assert!(
            r.http_response.starts_with(status),
            "{id}: {}",
            r.http_response
        );
    }
    // The cases with an opening request of their own that do run.
    for id in [
        "H.5.1", "H.5.2", "H.5.3", "H.7.1", "S.1.1", "S.2.1", "S.2.3", "X.5.1", "X.5.4", "X.6.1",
    ] {
        assert!(
            !find(&results, id).result.contains(NOT_APPLICABLE),
            "{id} ran"
        );
    }
    assert!(
        wrong.is_empty(),
        "{} cases not as expected:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// How a server written here breaks RFC 8441.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Server {
    /// Follows every rule the H2. cases check.
    Correct,
    /// Never sends SETTINGS_ENABLE_CONNECT_PROTOCOL.
    NoExtendedConnect,
    /// Answers a Close but never ends its stream (as hypercorn 0.18 does).
    NeverEndsStream,
    /// Drops the whole TCP connection when a client ends its stream (as
    /// hypercorn 0.18 does).
    DropsConnectionOnClientEnd,
    /// Fails the whole connection (drops TCP) when one stream breaks a rule.
    FailureKillsConnection,
    /// Accepts any :protocol with 200.
    AcceptsAnyProtocol,
    /// Answers each extended CONNECT with the request's own
    /// Sec-WebSocket-Protocol and Sec-WebSocket-Extensions values, as sent.
    EchoesOffers,
    /// Agrees to an extension and a subprotocol no request offered.
    AgreesUnoffered,
    /// Refuses every extended CONNECT with 403.
    Forbids,
    /// Sends its SETTINGS, then leaves every stream unanswered (as Node's
    /// http2 does a 1 MiB header field).
    NeverAnswers,
    /// Sends every byte it receives back as it came: an unmasked frame is
    /// echoed, never refused.
    Reflects,
    /// Opens the stream, then reads and never answers: no Close for an
    /// unmasked frame (as hypercorn 0.18 over RFC 8441), never an end.
    Silent,
}

async fn start(how: Server) -> SocketAddr {
    ws_server::listen(move |tcp| serve(tcp, how)).await
}

async fn serve(tcp: TcpStream, how: Server) {
    let mut builder = h2::server::Builder::new();
    if how != Server::NoExtendedConnect {
        builder.enable_connect_protocol();
    }
    let Ok(mut conn) = builder.handshake::<_, Bytes>(tcp).await else {
        return;
    };
    // A stream asks to drop the whole connection by sending on this.
    let (kill, mut killed) = mpsc::channel::<()>(1);
    loop {
        tokio::select! {
            accepted = conn.accept() => match accepted {
                Some(Ok((req, respond))) => {
                    tokio::spawn(stream(req, respond, how, kill.clone()));
                }
                _ => return,
            },
            // Dropping `conn` closes TCP under every stream.
            _ = killed.recv() => return,
        }
    }
}

async fn stream(
    req: http::Request<h2::RecvStream>,
    mut respond: h2::server::SendResponse<Bytes>,
    how: Server,
    kill: mpsc::Sender<()>,
) {
    let protocol = req
        .extensions()
        .get::<h2::ext::Protocol>()
        .map(|p| p.as_str().to_owned());
    if protocol.as_deref() != Some("websocket") && how != Server::AcceptsAnyProtocol {
        let answer = http::Response::builder().status(501).body(()).unwrap();
        let _ = respond.send_response(answer, true);
        return;
    }
    if how == Server::NeverAnswers {
        // `respond` is held, never used: the stream stays open, unanswered.
        std::future::pending::<()>().await;
    }
    if how == Server::Forbids {
        let answer = http::Response::builder().status(403).body(()).unwrap();
        let _ = respond.send_response(answer, true);
        return;
    }
    let mut answer = http::Response::builder().status(200);
    for name in ["sec-websocket-protocol", "sec-websocket-extensions"] {
        match (how, req.headers().get(name)) {
            (Server::EchoesOffers, Some(value)) => answer = answer.header(name, value),
            (Server::AgreesUnoffered, _) => {
                let value = if name == "sec-websocket-protocol" {
                    "x-never-offered"
                } else {
                    "x-never-offered-extension"
                };
                answer = answer.header(name, value);
            }
            _ => {}
        }
    }
    let Ok(send) = respond.send_response(answer.body(()).unwrap(), false) else {
        return;
    };
    let mut io = H2Stream::new(send, req.into_body());
    if how == Server::Reflects {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = io.read(&mut buf).await {
            if io.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
        return;
    }
    if how == Server::Silent {
        let mut buf = [0u8; 1024];
        while matches!(io.read(&mut buf).await, Ok(n) if n > 0) {}
        std::future::pending::<()>().await;
    }
    let mut conn = Connection::server(Config::new(Role::Server));
    loop {
        let finished = respond_next(&mut conn);
        let out = conn.take_outbound();
        if !out.is_empty() && io.write_all(&out).await.is_err() {
            return;
        }
        if finished {
            if conn.has_failed() && how == Server::FailureKillsConnection {
                let _ = kill.send(()).await;
                return;
            }
            if how == Server::NeverEndsStream {
                // Holds the stream open until the client resets it.
                let mut buf = [0u8; 1024];
                while matches!(io.read(&mut buf).await, Ok(n) if n > 0) {}
                std::future::pending::<()>().await;
            }
            let _ = io.shutdown().await;
            let mut buf = [0u8; 1024];
            let _ = tokio::time::timeout(Duration::from_secs(1), async {
                while matches!(io.read(&mut buf).await, Ok(n) if n > 0) {}
            })
            .await;
            if how == Server::DropsConnectionOnClientEnd {
                let _ = kill.send(()).await;
            }
            return;
        }
        match io.read(conn.spare(4096)).await {
            Ok(n) if n > 0 => conn.commit(n),
            _ => {
                if how == Server::DropsConnectionOnClientEnd {
                    let _ = kill.send(()).await;
                }
                return;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_keeps_every_stream_rule_passes_the_h2_cases() {
    let addr = start(Server::Correct).await;
    let results = run(addr, &["H2.*", "1.1.1", "7.1.1"]).await;
    for r in &results {
        assert_eq!(r.behavior, Behavior::Ok, "{}: {}", r.id, r.result);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_extended_connect_is_unimplemented_with_the_reason() {
    let addr = start(Server::NoExtendedConnect).await;
    // The cases with probes around them too: a server that cannot carry the
    // case is not judged by the probe after it.
    let results = run(addr, &["1.1.1", "H2.1.1", "S.2.1", "X.6.1", "H.5.1"]).await;
    assert_eq!(results.len(), 5);
    for r in &results {
        assert_eq!(
            r.behavior,
            Behavior::Unimplemented,
            "{}: {}",
            r.id,
            r.result
        );
        assert_eq!(r.result, NO_EXTENDED_CONNECT, "{}", r.id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_never_ended_after_the_closing_handshake_fails_h2_1_1() {
    let addr = start(Server::NeverEndsStream).await;
    let results = run(addr, &["H2.1.1"]).await;
    let r = expect(
        &results,
        "H2.1.1",
        Behavior::Failed,
        "did not end its stream",
    );
    assert!(r.result.contains("RFC 6455 §5.5.1"), "{}", r.result);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_when_one_stream_ends_fails_h2_1_2() {
    let addr = start(Server::DropsConnectionOnClientEnd).await;
    let results = run(addr, &["H2.1.2", "H2.1.1"]).await;
    expect(&results, "H2.1.2", Behavior::Failed, "RFC 9113 §5.1");
    // One stream alone is served as it should be.
    assert_eq!(find(&results, "H2.1.1").behavior, Behavior::Ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_failed_for_one_bad_stream_fails_h2_1_3() {
    let addr = start(Server::FailureKillsConnection).await;
    let results = run(addr, &["H2.1.3", "H2.1.2"]).await;
    expect(&results, "H2.1.3", Behavior::Failed, "RFC 9113 §5.4.2");
    assert_eq!(find(&results, "H2.1.2").behavior, Behavior::Ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepting_an_unknown_protocol_is_non_strict_in_h2_2_1() {
    let addr = start(Server::AcceptsAnyProtocol).await;
    let results = run(addr, &["H2.2.1"]).await;
    expect(&results, "H2.2.1", Behavior::NonStrict, "501");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_where_end_stream_is_due_is_non_strict_in_h2_1_1() {
    let addr = ws_server::listen(h2_raw::answers_close_then_resets).await;
    let results = run(addr, &["H2.1.1"]).await;
    expect(&results, "H2.1.1", Behavior::NonStrict, "reset the stream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_that_ignores_an_unmasked_frame_fails_x_1_1_and_x_1_2() {
    // RFC 6455 §5.1 over RFC 8441: a Close (or an end of the stream) is due,
    // not silence (as hypercorn 0.18) and not an echo.
    for how in [Server::Silent, Server::Reflects] {
        let addr = start(how).await;
        let results = run(addr, &["X.1.1", "X.1.2"]).await;
        assert_eq!(results.len(), 2);
        for r in &results {
            assert_eq!(
                r.behavior,
                Behavior::Failed,
                "{how:?} {}: {}",
                r.id,
                r.result
            );
        }
    }
    // The reference server closes with 1002 over HTTP/2 as over HTTP/1.1.
    let (server, target) = ws_server::reference(WsServerConfig::ephemeral()).await;
    let selected = select(cases::all(), &["X.1.*".to_owned()], &[]).expect("X.1 cases");
    let results = run_cases(&target, &http2(), &selected, 2, |_, _| {})
        .await
        .results;
    server.shutdown().await;
    for r in &results {
        assert_eq!(r.behavior, Behavior::Ok, "{}: {}", r.id, r.result);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_left_unanswered_fails_within_the_opening_timeout_naming_the_stream() {
    let addr = start(Server::NeverAnswers).await;
    let target = Target::parse(&format!("ws://{addr}/")).expect("valid URL");
    let cfg = EngineConfig {
        open_handshake_timeout: Duration::from_millis(300),
        ..http2()
    };
    let selected = select(cases::all(), &["1.1.1".to_owned()], &[]).expect("1.1.1");
    let results = tokio::time::timeout(
        Duration::from_secs(10),
        run_cases(&target, &cfg, &selected, 1, |_, _| {}),
    )
    .await
    .expect("bounded")
    .results;
    let r = expect(
        &results,
        "1.1.1",
        Behavior::Failed,
        "no answer to the extended CONNECT within 0.3 s",
    );
    assert!(r.result.contains("SETTINGS were up"), "{}", r.result);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_extended_connect_fails_the_case_naming_the_status() {
    let addr = start(Server::Forbids).await;
    let results = run(addr, &["1.1.1", "H.5.1", "H.7.1"]).await;
    expect(&results, "1.1.1", Behavior::Failed, "403");
    // H.5.1 must be refused: 403 is a refusal, but without the versions
    // RFC 6455 §4.2.2 asks for.
    expect(
        &results,
        "H.5.1",
        Behavior::Failed,
        "Sec-WebSocket-Version naming 13",
    );
    expect(
        &results,
        "H.7.1",
        Behavior::Failed,
        "refused a valid opening handshake with status 403",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_own_request_runs_as_an_extended_connect_and_is_judged_as_over_http_1_1() {
    // The lenient server opens every stream: a version it cannot speak too.
    let addr = start(Server::Correct).await;
    let results = run(
        addr,
        &[
            "H.5.1", "H.5.2", "H.7.1", "X.5.1", "H.1.1", "S.2.3", "X.6.1",
        ],
    )
    .await;
    for id in ["H.5.1", "H.5.2"] {
        let r = expect(
            &results,
            id,
            Behavior::Failed,
            "accepted an opening handshake it must refuse",
        );
        assert!(
            r.http_request.contains(":method: CONNECT"),
            "{id}: {}",
            r.http_request
        );
    }
    assert!(
        find(&results, "H.5.1")
            .http_request
            .contains("sec-websocket-version: 99")
    );
    assert!(
        !find(&results, "H.5.2")
            .http_request
            .contains("sec-websocket-version")
    );
    // Offers it does not take up are declined: OK.
    for id in ["H.7.1", "X.5.1"] {
        expect(&results, id, Behavior::Ok, "");
    }
    expect(&results, "H.1.1", Behavior::Informational, NOT_APPLICABLE);
    // S.2.3's ReDoS shape is timed against textbook extended CONNECTs made
    // before and after it; X.6.1 drops its stream, then a textbook one opens.
    let r = expect(&results, "S.2.3", Behavior::Ok, "a textbook request in");
    assert!(
        r.http_request.contains(":method: CONNECT"),
        "{}",
        r.http_request
    );
    expect(&results, "X.6.1", Behavior::Ok, "");
}

/// How the one stream of [`dies_after_one_stream`] ended.
#[derive(Debug, PartialEq, Eq)]
enum StreamEnd {
    /// The client reset it (or its connection failed under it).
    Reset,
    /// The client ended it cleanly (END_STREAM).
    Ended,
    /// The connection closed while it was open.
    ConnectionGone,
}

/// A server that serves one extended CONNECT stream on its first connection and
/// then no connection again (it "crashed" with that stream), reporting how the
/// stream ended. It is dead as soon as that first connection arrives, so a
/// client's next connection is refused however quickly it comes (marking it dead
/// only when the reset arrived raced the client's probe).
async fn dies_after_one_stream(
    tcp: TcpStream,
    dead: Arc<AtomicBool>,
    ended: mpsc::UnboundedSender<StreamEnd>,
) {
    if dead.swap(true, Ordering::SeqCst) {
        return;
    }
    let mut builder = h2::server::Builder::new();
    builder.enable_connect_protocol();
    let Ok(mut conn) = builder.handshake::<_, Bytes>(tcp).await else {
        return;
    };
    let Some(Ok((req, mut respond))) = conn.accept().await else {
        return;
    };
    let stream_ended = ended.clone();
    tokio::spawn(async move {
        let answer = http::Response::builder().status(200).body(()).unwrap();
        let Ok(send) = respond.send_response(answer, false) else {
            return;
        };
        let mut io = H2Stream::new(send, req.into_body());
        let mut buf = [0u8; 1024];
        loop {
            match io.read(&mut buf).await {
                Ok(0) => break stream_ended.send(StreamEnd::Ended),
                Ok(_) => {}
                Err(_) => break stream_ended.send(StreamEnd::Reset),
            }
        }
        .ok();
    });
    // Drive the connection (the stream's frames arrive through it) until the
    // client goes away.
    while let Some(Ok(_)) = conn.accept().await {}
    ended.send(StreamEnd::ConnectionGone).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_dies_after_the_cases_stream_fails_x_6_1() {
    // X.6.1 over RFC 8441: the unfinished message's stream is dropped (the
    // h2 crate resets it), then a textbook extended CONNECT must open; this
    // server opens nothing after that stream.
    let dead = Arc::new(AtomicBool::new(false));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let flag = Arc::clone(&dead);
    let addr =
        ws_server::listen(move |tcp| dies_after_one_stream(tcp, Arc::clone(&flag), tx.clone()))
            .await;
    let results = run(addr, &["X.6.1"]).await;
    // Both reports: how the stream ended, and that the connection went (in
    // either order).
    let mut ends = Vec::new();
    for _ in 0..2 {
        let end = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("the server saw its stream and its connection end")
            .expect("the server reports");
        ends.push(end);
    }
    ends.sort_by_key(|end| *end == StreamEnd::ConnectionGone);
    assert_eq!(
        ends,
        [StreamEnd::Reset, StreamEnd::ConnectionGone],
        "the unfinished message's stream was dropped, not ended"
    );
    expect(
        &results,
        "X.6.1",
        Behavior::Failed,
        "did not open a textbook connection",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s_1_over_http2_sends_each_origin_and_judges_it_by_the_policy() {
    // RFC 8441 §5 keeps Origin (RFC 6455 §10.2): a server that opens a
    // stream for any origin fails the same-origin policy as over HTTP/1.1.
    let addr = start(Server::Correct).await;
    let target = Target::parse(&format!("ws://{addr}/")).expect("valid URL");
    let mut selected = select(cases::all(), &["S.1.*".to_owned()], &[]).expect("S.1");
    resolve(&mut selected, &OriginPolicy::Same, &target);
    let results = run_cases(&target, &http2(), &selected, 2, |_, _| {})
        .await
        .results;
    for id in ["S.1.1", "S.1.2", "S.1.3"] {
        expect(&results, id, Behavior::Failed, "accepted");
    }
    expect(&results, "S.1.4", Behavior::Ok, "");
    let sent = |id: &str| find(&results, id).http_request.clone();
    assert!(
        sent("S.1.1").contains("origin: https://wirecheck.invalid"),
        "{}",
        sent("S.1.1")
    );
    assert!(sent("S.1.2").contains("origin: null"), "{}", sent("S.1.2"));
    assert!(
        sent("S.1.4").contains(&format!("origin: http://{addr}")),
        "{}",
        sent("S.1.4")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_agrees_to_what_was_not_offered_fails_by_rfc_6455_checks_5_and_6() {
    let addr = start(Server::EchoesOffers).await;
    let results = run(addr, &["H.7.1", "X.5.1", "1.1.1"]).await;
    expect(
        &results,
        "H.7.1",
        Behavior::Failed,
        "not one of the subprotocols offered",
    );
    expect(&results, "X.5.1", Behavior::Failed, "RFC 7692 §7.1");
    // Nothing offered, nothing echoed.
    assert_eq!(find(&results, "1.1.1").behavior, Behavior::Ok);

    let addr = start(Server::AgreesUnoffered).await;
    let results = run(addr, &["1.1.1", "H.7.1"]).await;
    assert_eq!(results.len(), 2);
    for r in &results {
        assert_eq!(r.behavior, Behavior::Failed, "{}: {}", r.id, r.result);
        assert!(r.result.contains("RFC 6455 §4.1"), "{}: {}", r.id, r.result);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_answer_to_a_request_to_refuse_is_an_acceptance_and_fails() {
    // H.5.1's version 99 accepted, with a subprotocol and an extension no
    // one offered: the server accepted what it must refuse.
    let addr = start(Server::AgreesUnoffered).await;
    let results = run(addr, &["H.5.1", "S.2.3"]).await;
    expect(
        &results,
        "H.5.1",
        Behavior::Failed,
        "accepted an opening handshake it must refuse, with an answer a client must fail",
    );
    // S.2.3 may be accepted, but not with an answer a client must fail.
    expect(
        &results,
        "S.2.3",
        Behavior::Failed,
        "accepted with an answer a client must fail",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_specific_field_in_the_answer_fails_h2_2_2_and_the_cases() {
    let addr = ws_server::listen(h2_raw::answers_with_connection_header).await;
    let results = run(addr, &["H2.2.2", "1.1.1"]).await;
    for r in &results {
        assert_eq!(r.behavior, Behavior::Failed, "{}: {}", r.id, r.result);
        assert!(
            r.result.contains("RFC 9113 §8.2.2"),
            "{}: {}",
            r.id,
            r.result
        );
    }
}

/// An echo server that counts the DATA frames under 256 bytes it receives
/// before the first Close (`counted` gets the count when the stream ends).
async fn counting_server(tcp: TcpStream, counted: mpsc::Sender<usize>) {
    let mut builder = h2::server::Builder::new();
    builder.enable_connect_protocol();
    let Ok(mut conn) = builder.handshake::<_, Bytes>(tcp).await else {
        return;
    };
    while let Some(Ok((req, mut respond))) = conn.accept().await {
        let counted = counted.clone();
        tokio::spawn(async move {
            let answer = http::Response::builder().status(200).body(()).unwrap();
            let Ok(mut send) = respond.send_response(answer, false) else {
                return;
            };
            let mut body = req.into_body();
            let mut ws = Connection::server(Config::new(Role::Server));
            let mut small = 0;
            let mut finished = false;
            while !finished {
                let Some(Ok(data)) = body.data().await else {
                    break;
                };
                let _ = body.flow_control().release_capacity(data.len());
                if data.len() < 256 {
                    small += 1;
                }
                ws.spare(data.len())[..data.len()].copy_from_slice(&data);
                ws.commit(data.len());
                finished = respond_next(&mut ws);
                let out = Bytes::from(ws.take_outbound());
                let mut sent = 0;
                while sent < out.len() {
                    send.reserve_capacity(out.len() - sent);
                    let Some(Ok(n)) = std::future::poll_fn(|cx| send.poll_capacity(cx)).await
                    else {
                        return;
                    };
                    let n = n.min(out.len() - sent);
                    if send.send_data(out.slice(sent..sent + n), false).is_err() {
                        return;
                    }
                    sent += n;
                }
            }
            let _ = send.send_data(Bytes::new(), true);
            let _ = counted.send(small).await;
        });
    }
}

/// 9.5.1 cuts a 1 MiB message into 16384 writes of 64 bytes; over HTTP/2 they
/// go out joined, not as a flood of tiny DATA frames (which h2 servers end
/// with GOAWAY ENHANCE_YOUR_CALM). The echo and the verdicts are unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chopped_messages_go_out_in_data_frames_of_at_least_256_bytes() {
    let (tx, mut rx) = mpsc::channel(1);
    let addr = ws_server::listen(move |tcp| counting_server(tcp, tx.clone())).await;
    let results = run(addr, &["9.5.1"]).await;
    let r = find(&results, "9.5.1");
    assert_eq!(r.behavior, Behavior::Ok, "{}", r.result);
    let small = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("the stream ended")
        .expect("a count");
    // A frame is cut short where the server's 64 KiB window runs out (about
    // one per window of the 1 MiB message), and the Close is short; written
    // chop by chop there would be 16384.
    assert!(small < 64, "{small} DATA frames under 256 bytes");
}

/// The reference server bounds HTTP/2 as it bounds HTTP/1.1: a connection
/// that opens no stream is closed after the idle timeout, and the streams of
/// all connections together are as many as `max_connections` (one more is
/// refused with REFUSED_STREAM, RFC 9113 §8.7).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_server_bounds_idle_connections_and_streams() {
    let (server, target) = ws_server::reference(WsServerConfig {
        idle_timeout: Duration::from_millis(300),
        max_connections: 2,
        ..WsServerConfig::ephemeral()
    })
    .await;
    let connect = || wirecheck::http2::client::Session::connect(&target, None);

    // An idle connection ends (GOAWAY, then the server closes it).
    let mut idle = connect().await.expect("HTTP/2");
    tokio::time::timeout(Duration::from_secs(10), idle.ended())
        .await
        .expect("the idle connection was closed");

    // Two WebSockets open and held; a third stream is refused.
    let session = connect().await.expect("HTTP/2");
    let opener = session.opener().expect("open");
    let ws = || {
        let version = [("sec-websocket-version".to_owned(), "13".to_owned())];
        let req = wirecheck::http2::client::websocket_request(&target, &version).unwrap();
        opener.open(req, false)
    };
    let (a, _sa) = ws().await.expect("first");
    let (b, _sb) = ws().await.expect("second");
    assert_eq!((a.status.as_u16(), b.status.as_u16()), (200, 200));
    let third = ws().await.err().expect("the third is refused");
    assert!(
        third.refused && third.why.contains("REFUSED_STREAM"),
        "{}",
        third.why
    );
    server.shutdown().await;
}

/// The reference server answers an extended CONNECT by the codec's RFC 8441
/// rules: a wrong version gets 400 naming version 13 (a 426 would need the
/// `Upgrade` field HTTP/2 forbids), a CONNECT without `:protocol` 405, another
/// `:protocol` 501, version 13 with `:protocol websocket` 200.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_server_answers_extended_connects_by_the_codecs_rules() {
    use wirecheck::http2::client::Session;
    let (server, target) = ws_server::reference(WsServerConfig::ephemeral()).await;
    let uri = format!("http://{}/", target.host_header);
    /// (`:protocol`, Sec-WebSocket-Version fields, status, the version named)
    type Connect = (
        Option<&'static str>,
        &'static [&'static str],
        u16,
        Option<&'static str>,
    );
    let cases: [Connect; 5] = [
        (Some("websocket"), &["13"], 200, None),
        (Some("websocket"), &["8"], 400, Some("13")),
        (Some("websocket"), &[], 400, Some("13")),
        (None, &["13"], 405, None),
        (Some("wirecheck-unknown"), &["13"], 501, None),
    ];
    // One connection: a refused stream leaves the others.
    let mut session = Session::connect(&target, None).await.expect("h2c");
    assert!(session.extended_connect());
    for (protocol, versions, status, names) in cases {
        let mut req = http::Request::builder()
            .method(http::Method::CONNECT)
            .uri(uri.as_str());
        if let Some(p) = protocol {
            req = req.extension(h2::ext::Protocol::from_static(p));
        }
        for v in versions {
            req = req.header("sec-websocket-version", *v);
        }
        let (head, _stream) = session
            .open(req.body(()).expect("request"), false)
            .await
            .expect("answered");
        assert_eq!(head.status.as_u16(), status, "{protocol:?} {versions:?}");
        let named = head
            .headers
            .get("sec-websocket-version")
            .map(|v| v.to_str().unwrap_or_default().to_owned());
        assert_eq!(named.as_deref(), names, "{protocol:?} {versions:?}");
    }
    session.finish(Duration::from_secs(1)).await;
    server.shutdown().await;
}
