//! `wss://` and `https://`: the runners over TLS (rustls), against the reference servers behind a
//! TLS terminator with a self-signed certificate made for the test.

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use wirecheck::core::{Behavior, BehaviorClose};
use wirecheck::serve::Server as _;
use wirecheck::serve::ws::{WsServerConfig, bind};
use wirecheck::ws::cases;
use wirecheck::ws::engine::{EngineConfig, Target};
use wirecheck::ws::result::CaseResult;
use wirecheck::ws::run::{run_cases, select};

/// A TLS terminator on 127.0.0.1 forwarding to `backend`, with a self-signed
/// certificate for `localhost`.
async fn tls_front(backend: std::net::SocketAddr) -> std::net::SocketAddr {
    tls_front_alpn(backend, &[]).await
}

/// [`tls_front`] choosing among `alpn` (none: no ALPN answer at all).
async fn tls_front_alpn(backend: std::net::SocketAddr, alpn: &[&[u8]]) -> std::net::SocketAddr {
    let key = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
        .expect("self-signed certificate");
    let cert = key.cert.der().clone();
    let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.signing_key.serialize_der()));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(wirecheck::tls::provider()))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert], private)
        .expect("server certificate");
    let mut config = config;
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut plain) = TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    addr
}

async fn run_over_tls(insecure: bool) -> Vec<CaseResult> {
    run_over_tls_as(insecure, &[], wirecheck::net::Http::V1_1).await
}

/// Cases 1.* and 2.* over `http` through a terminator that chooses among `alpn`.
async fn run_over_tls_as(
    insecure: bool,
    alpn: &[&[u8]],
    http: wirecheck::net::Http,
) -> Vec<CaseResult> {
    let server = bind(WsServerConfig::ephemeral())
        .await
        .expect("bind")
        .spawn()
        .expect("serve");
    let front = tls_front_alpn(server.local_addr(), alpn).await;
    let target = Target::parse(&format!("wss://localhost:{}/", front.port())).expect("valid URL");
    let selected = select(cases::all(), &["1.*".to_owned(), "2.*".to_owned()], &[]).expect("cases");
    let cfg = EngineConfig {
        tls: Some(wirecheck::tls::client_config(insecure).expect("TLS configuration")),
        http,
        ..EngineConfig::default()
    };
    let results = tokio::time::timeout(
        Duration::from_secs(60),
        run_cases(&target, &cfg, &selected, 4, |_, _| {}),
    )
    .await
    .expect("the run ends in time")
    .results;
    server.shutdown().await;
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wss_with_insecure_runs_every_case_over_tls() {
    let results = run_over_tls(true).await;
    assert_eq!(results.len(), 27);
    for r in &results {
        assert_eq!(
            (r.behavior, r.behavior_close),
            (Behavior::Ok, BehaviorClose::Ok),
            "{}: {} / {}",
            r.id,
            r.result,
            r.result_close
        );
    }
}

/// `--http 2` over TLS: ALPN `h2` chosen, the reference server behind the
/// terminator sees the HTTP/2 preface and serves RFC 8441.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wss_over_http2_negotiates_h2_by_alpn_and_runs_every_case() {
    let results = run_over_tls_as(true, &[b"h2", b"http/1.1"], wirecheck::net::Http::V2).await;
    assert_eq!(results.len(), 27);
    for r in &results {
        assert_eq!(
            (r.behavior, r.behavior_close),
            (Behavior::Ok, BehaviorClose::Ok),
            "{}: {}",
            r.id,
            r.result
        );
        assert!(
            r.http_response.starts_with("HTTP/2 200"),
            "{}",
            r.http_response
        );
    }
}

/// RFC 9113 §3.2: over TLS, HTTP/2 is chosen by ALPN or not spoken; a server
/// that does not choose `h2` fails every case with that reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wss_over_http2_to_a_server_without_h2_fails_naming_alpn() {
    for alpn in [&[b"http/1.1".as_slice()][..], &[]] {
        let results = run_over_tls_as(true, alpn, wirecheck::net::Http::V2).await;
        for r in &results {
            assert!(!r.close.was_open, "{}", r.id);
            assert!(
                r.result.contains("did not choose HTTP/2 by ALPN"),
                "{}: {}",
                r.id,
                r.result
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wss_without_insecure_rejects_a_self_signed_certificate() {
    let results = run_over_tls(false).await;
    for r in &results {
        assert!(!r.close.was_open, "{}", r.id);
        assert!(r.result.contains("TLS handshake"), "{}: {}", r.id, r.result);
        assert!(
            r.result.to_lowercase().contains("certificate"),
            "{}: {}",
            r.id,
            r.result
        );
    }
}

/// `https://`: the SSE runner over TLS, against the reference SSE server behind
/// the same terminator.
#[tokio::test]
async fn sse_over_https_with_insecure_passes_and_without_it_is_refused() {
    use wirecheck::sse::case::Settings;
    use wirecheck::sse::run::{RunConfig, judge_all, observe_all, unreachable};

    let server = wirecheck::serve::sse::bind(wirecheck::serve::sse::SseServerConfig {
        interval: Duration::from_millis(50),
        ..wirecheck::serve::sse::SseServerConfig::ephemeral()
    })
    .await
    .expect("bind")
    .spawn()
    .expect("serve");
    let front = tls_front(server.local_addr()).await;
    let target =
        wirecheck::net::Target::parse_http(&format!("https://localhost:{}/events", front.port()))
            .expect("valid URL");
    let cases = wirecheck::sse::command::select(&["E.1.*".to_owned()], &[]).expect("cases");
    let settings = Settings {
        origin: None,
        heartbeat: Duration::from_secs(1),
        duration: Duration::from_millis(600),
        timeout_scale: 1.0,
        data: Default::default(),
    };
    for insecure in [true, false] {
        let cfg = RunConfig {
            settings: settings.clone(),
            headers: Vec::new(),
            tls: Some(wirecheck::tls::client_config(insecure).expect("TLS config")),
            head_timeout: Duration::from_secs(5),
            jobs: 2,
            http: wirecheck::net::Http::V1_1,
        };
        let obs = tokio::time::timeout(Duration::from_secs(20), observe_all(&target, &cfg, &cases))
            .await
            .expect("bounded");
        if insecure {
            assert_eq!(unreachable(&obs), None);
            for c in judge_all(&cases, &settings, &obs, "tls") {
                assert_eq!(c.behavior, Behavior::Ok, "{}: {}", c.id, c.result);
            }
        } else {
            let why = unreachable(&obs).expect("a self-signed certificate is refused");
            assert!(why.contains("TLS handshake"), "{why}");
        }
    }
    server.shutdown().await;
}

/// The reference servers' own TLS (`serve ws|sse --tls`): ALPN chooses h2 or
/// http/1.1 as the client offers, and both versions pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_servers_speak_tls_with_alpn_h2_and_http_1_1() {
    use wirecheck::net::Http;
    let key = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
        .expect("self-signed certificate");
    let cert = key.cert.der().clone();
    let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.signing_key.serialize_der()));
    let mut config =
        rustls::ServerConfig::builder_with_provider(Arc::new(wirecheck::tls::provider()))
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(vec![cert], private)
            .expect("server certificate");
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let tls = wirecheck::tls::ServerTls(Arc::new(config));
    let server = bind(WsServerConfig {
        tls: Some(tls.clone()),
        ..WsServerConfig::ephemeral()
    })
    .await
    .expect("bind")
    .spawn()
    .expect("serve");
    assert!(server.url().starts_with("wss://"), "{}", server.url());
    let target =
        Target::parse(&format!("wss://localhost:{}/", server.local_addr().port())).expect("URL");
    let selected =
        select(cases::all(), &["1.1.*".to_owned(), "7.1.1".to_owned()], &[]).expect("cases");
    for (http, status) in [(Http::V2, "HTTP/2 200"), (Http::V1_1, "HTTP/1.1 101")] {
        let cfg = EngineConfig {
            tls: Some(wirecheck::tls::client_config(true).expect("TLS configuration")),
            http,
            ..EngineConfig::default()
        };
        let results = tokio::time::timeout(
            Duration::from_secs(60),
            run_cases(&target, &cfg, &selected, 4, |_, _| {}),
        )
        .await
        .expect("the run ends in time")
        .results;
        for r in &results {
            assert_eq!(r.behavior, Behavior::Ok, "{http:?} {}: {}", r.id, r.result);
            assert!(
                r.http_response.starts_with(status),
                "{http:?}: {}",
                r.http_response
            );
        }
    }
    server.shutdown().await;

    // The SSE server, over HTTP/2 by ALPN.
    use wirecheck::sse::case::Settings;
    use wirecheck::sse::run::{RunConfig, judge_all, observe_all};
    let server = wirecheck::serve::sse::bind(wirecheck::serve::sse::SseServerConfig {
        interval: Duration::from_millis(50),
        tls: Some(tls),
        ..wirecheck::serve::sse::SseServerConfig::ephemeral()
    })
    .await
    .expect("bind")
    .spawn()
    .expect("serve");
    assert!(server.url().starts_with("https://"), "{}", server.url());
    let target = wirecheck::net::Target::parse_http(&format!(
        "https://localhost:{}/events",
        server.local_addr().port()
    ))
    .expect("valid URL");
    let cases = wirecheck::sse::command::select_for(
        Http::V2,
        &["E.1.*".to_owned(), "E.6.*".to_owned()],
        &[],
    )
    .expect("cases");
    let settings = Settings {
        origin: None,
        heartbeat: Duration::from_secs(1),
        duration: Duration::from_millis(600),
        timeout_scale: 1.0,
        data: Default::default(),
    };
    let cfg = RunConfig {
        settings: settings.clone(),
        headers: Vec::new(),
        tls: Some(wirecheck::tls::client_config(true).expect("TLS config")),
        head_timeout: Duration::from_secs(5),
        jobs: 2,
        http: Http::V2,
    };
    let obs = tokio::time::timeout(Duration::from_secs(20), observe_all(&target, &cfg, &cases))
        .await
        .expect("bounded");
    for c in judge_all(&cases, &settings, &obs, "tls") {
        assert_eq!(c.behavior, Behavior::Ok, "{}: {}", c.id, c.result);
        assert_eq!(c.http, Some("2"), "{}", c.id);
    }
    server.shutdown().await;
}
