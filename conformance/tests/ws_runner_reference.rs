//! The catalogue against the reference server (`wirecheck serve ws`): every
//! case OK (or INFORMATIONAL where Autobahn always says so), the
//! permessage-deflate cases over the extension the server negotiates, every
//! close verdict OK. All 301 core cases and the light compression cases
//! (`verdicts::light`; the main job runs the other 132).

use std::time::Duration;

#[path = "support/verdicts.rs"]
mod verdicts;
#[path = "support/ws_server.rs"]
mod ws_server;

use wirecheck::serve::ws::WsServerConfig;
use wirecheck::ws::bounds::{MAX_RUN_RETAINED, ROW_COST};
use wirecheck::ws::cases;
use wirecheck::ws::engine::EngineConfig;
use wirecheck::ws::run::run_cases;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_server_passes_every_case() {
    let (server, target) = ws_server::reference(WsServerConfig::ephemeral()).await;
    let all: Vec<_> = cases::all().into_iter().filter(verdicts::light).collect();
    let results = tokio::time::timeout(
        Duration::from_secs(300),
        run_cases(&target, &EngineConfig::default(), &all, 4, |_, _| {}),
    )
    .await
    .expect("the run ends in time")
    .results;
    server.shutdown().await;
    // Autobahn's core and light compression cases; H., X., S. but the two heavy S.
    assert_eq!(results.len(), 301 + 7 * 12 + 20 + 22 + 10);
    // A conforming server's run stays within every bound of wirecheck's own.
    let limited: Vec<_> = results
        .iter()
        .filter(|r| !r.limits.is_empty())
        .map(|r| format!("{}: {:?}", r.id, r.limits))
        .collect();
    assert!(limited.is_empty(), "{limited:#?}");
    // ... with room to spare in the run's record budget.
    let kept: usize = results
        .iter()
        .map(|r| {
            let rows: usize = r.wirelog.iter().map(|w| w.kept_bytes() + ROW_COST).sum();
            let events: usize = r.received.iter().map(|e| e.payload_len() + ROW_COST).sum();
            rows + events
        })
        .sum();
    assert!(kept < MAX_RUN_RETAINED / 2, "{kept} bytes of records kept");
    let mut wrong = Vec::new();
    for r in &results {
        let id = r.id.to_string();
        if (r.behavior, r.behavior_close) != verdicts::reference_verdicts(&id) {
            wrong.push(format!(
                "{id}: {} / {} ({} / {})",
                r.behavior, r.behavior_close, r.result, r.result_close
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} cases not as expected:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verdicts_do_not_depend_on_jobs() {
    let (server, target) = ws_server::reference(WsServerConfig::ephemeral()).await;
    let selected: Vec<_> = cases::all()
        .into_iter()
        .filter(|c| matches!(c.id.category().as_str(), "1" | "2" | "3" | "4" | "5" | "7"))
        .collect();
    let mut outcomes = Vec::new();
    for jobs in [1, 16] {
        let results = tokio::time::timeout(
            Duration::from_secs(120),
            run_cases(
                &target,
                &EngineConfig::default(),
                &selected,
                jobs,
                |_, _| {},
            ),
        )
        .await
        .expect("the run ends in time")
        .results;
        let verdicts: Vec<_> = results
            .iter()
            .map(|r| {
                (
                    r.id.to_string(),
                    r.behavior,
                    r.behavior_close,
                    r.close.remote_close_code,
                    r.received.clone(),
                )
            })
            .collect();
        outcomes.push(verdicts);
    }
    server.shutdown().await;
    assert_eq!(outcomes[0].len(), selected.len());
    assert_eq!(outcomes[0], outcomes[1]);
}
