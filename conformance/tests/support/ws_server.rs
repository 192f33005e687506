//! What the runner's tests share to write a scripted WebSocket server: a
//! loopback listener that hands every connection to a function, and the server's
//! side of the opening handshake (RFC 6455 §4.2) done by the codec; and the
//! reference server started in the background.

// Each test file uses the part it needs.
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;

use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use wirecheck::serve::Server as _;
use wirecheck::serve::ws::{RunningWsServer, WsServerConfig, bind};
use wirecheck::ws::engine::Target;
use wirecheck_codec::ws::handshake::{AcceptResponse, RequestParser};

/// The reference echo server with `config`, serving in the background on a
/// loopback port the system picks, and its URL as the runner's target.
pub async fn reference(config: WsServerConfig) -> (RunningWsServer, Target) {
    let server = bind(config).await.expect("bind").spawn().expect("serve");
    let target = Target::parse(&server.url()).expect("valid URL");
    (server, target)
}

/// Listen on 127.0.0.1 on a port the system picks; each connection runs
/// `serve` on a task of its own until the test's runtime ends.
pub async fn listen<F, Fut>(serve: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream));
        }
    });
    addr
}

/// Read an opening handshake request: the 101 response that accepts it, and the
/// bytes that followed the request. `None` when the client went away or the
/// request is not a valid upgrade.
pub async fn read_request(stream: &mut TcpStream) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut parser = RequestParser::default();
    let mut buf = vec![0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await.ok().filter(|&n| n > 0)?;
        if let Some(parsed) = parser.feed(&buf[..n]).ok()? {
            let upgrade = parsed.value.validate().ok()?;
            let response = AcceptResponse::new(&upgrade).encode().ok()?;
            return Some((response, buf[parsed.consumed..n].to_vec()));
        }
    }
}

/// Run one case against the server at `addr` with the default engine
/// configuration (under a paused clock its timers cost nothing); panics if
/// the run outlasts `bound`.
pub async fn run_one(
    addr: SocketAddr,
    case: &wirecheck::ws::case::Case,
    bound: std::time::Duration,
) -> wirecheck::ws::result::CaseResult {
    use wirecheck::ws::engine::{EngineConfig, Target};
    let target = Target::parse(&format!("ws://{addr}/")).expect("valid URL");
    let cfg = EngineConfig::default();
    let run =
        wirecheck::ws::run::run_cases(&target, &cfg, std::slice::from_ref(case), 1, |_, _| {});
    let mut outcome = tokio::time::timeout(bound, run)
        .await
        .expect("the run ends in time");
    outcome.results.pop().expect("the case ran")
}
