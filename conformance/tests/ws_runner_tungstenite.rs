//! The runner against an echo server built on tokio-tungstenite (the loop of
//! tungstenite's own Autobahn echo server): every verdict (`behavior`,
//! `behaviorClose`) and `remoteCloseCode` must equal tungstenite's published
//! Autobahn results (corpus/reference/tungstenite-autobahn-expected.json).

use std::time::Duration;

#[path = "support/verdicts.rs"]
mod verdicts;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use wirecheck::ws::cases;
use wirecheck::ws::engine::{EngineConfig, Target};
use wirecheck::ws::run::run_cases;

/// tungstenite's echo loop: echo text and binary, let the library answer pings and closes.
async fn tungstenite_echo_server() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = stream.set_nodelay(true);
                let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                while let Some(Ok(msg)) = ws.next().await {
                    if (msg.is_text() || msg.is_binary()) && ws.send(msg).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verdicts_match_tungstenite_published_results() {
    let addr = tungstenite_echo_server().await;
    let target = Target::parse(&format!("ws://{addr}/")).expect("valid URL");
    // Autobahn's cases: tungstenite publishes verdicts for those only.
    let all: Vec<_> = cases::all()
        .into_iter()
        .filter(|c| c.id.is_autobahn())
        .collect();
    let results = tokio::time::timeout(
        Duration::from_secs(300),
        run_cases(&target, &EngineConfig::default(), &all, 4, |_, _| {}),
    )
    .await
    .expect("the run ends in time")
    .results;
    assert_eq!(results.len(), all.len());
    let differences = verdicts::tungstenite_differences(&results);
    assert!(
        differences.is_empty(),
        "{} differences:\n{}",
        differences.len(),
        differences.join("\n")
    );
}
