//! The SSE verdicts that catch what breaks in production (buffered streams,
//! silences measured from the head, events no client can resume, merged events,
//! a data contract, line endings), each against a scripted server that shows
//! exactly that behaviour, with the verdict and its reason asserted.
//!
//! The timing tests run on tokio's paused clock: the servers' sleeps and the
//! runner's deadlines are virtual, so a 14 s silence costs no real time and the
//! times in the reasons are exact.

#[path = "support/sse_server.rs"]
mod sse_server;
use sse_server::*;

use std::sync::Arc;

use wirecheck::report::Behavior;
use wirecheck::sse::case::DataContract;

/// Events `from..from+n` with ids, all in one write (a buffer flushed at once).
fn burst(from: u64, n: u64) -> Act {
    let mut out = String::new();
    for i in from..from + n {
        out.push_str(&format!("id: {i}\ndata: {{\"n\":{i}}}\n\n"));
    }
    w(out)
}

#[tokio::test(start_paused = true)]
async fn a_silence_that_ends_in_a_burst_fails_e_3_3_with_the_timeline() {
    // The head at once; the first 70 events held back for 14 s (a buffering
    // proxy), then one event a second. 14 s is under the 15 s heartbeat, so only
    // the burst gives the buffering away.
    let url = scripted(Arc::new(|_| {
        let mut acts = vec![w(SSE_HEAD), Act::Sleep(14_000), burst(1, 70)];
        for i in 71..80 {
            acts.push(Act::Sleep(1000));
            acts.push(burst(i, 1));
        }
        acts
    }))
    .await;
    let (_, reports) = run_reports(&url, &["E.3.*"], 20_000, 15_000, None).await;
    let v = verdicts(&reports);
    expect(
        &v,
        "E.3.3",
        Behavior::Failed,
        "buffered: after 14.0 s of silence, one read at 14.0 s delivered 70 events",
    );
    expect(&v, "E.3.4", Behavior::Ok, "longest silence 14.0 s");
    expect(
        &v,
        "E.3.2",
        Behavior::Informational,
        "14.0 s after the response head",
    );
    // The timeline in the case report: one row per read, the burst among them.
    let e33 = reports.iter().find(|c| c.id == "E.3.3").unwrap();
    let detail = e33.detail.json();
    let reads = detail["timeline"]["reads"].as_array().unwrap();
    let row = |r: &serde_json::Value| -> Vec<u64> {
        r.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect()
    };
    let rows: Vec<Vec<u64>> = reads.iter().map(row).collect();
    assert_eq!(rows[0][0], 14_000, "{rows:?}");
    assert_eq!((rows[0][2], rows[0][3]), (70, 14_000), "{rows:?}");
    // Then one event a second until the 20 s of observation end.
    assert_eq!(rows.len(), 6, "{rows:?}");
    assert!(
        rows[1..].iter().all(|r| r[2] == 1 && r[3] == 1000),
        "{rows:?}"
    );
    assert_eq!(detail["timeline"]["heartbeatMs"], 15_000);
    // The chart shades bursts by the judge's own threshold, carried in the JSON.
    assert_eq!(detail["timeline"]["burstEvents"], 3);
}

#[tokio::test(start_paused = true)]
async fn a_stream_that_delivers_in_periodic_bursts_fails_e_3_3_and_counts_them() {
    // Events every 100 ms flushed in 2 s batches of 20: every batch is a burst.
    let url = scripted(Arc::new(|_| {
        let mut acts = vec![w(SSE_HEAD)];
        for b in 0..5 {
            acts.push(Act::Sleep(2000));
            acts.push(burst(b * 20 + 1, 20));
        }
        acts
    }))
    .await;
    let v = verdicts(&run_reports(&url, &["E.3.3"], 11_000, 15_000, None).await.1);
    expect(&v, "E.3.3", Behavior::Failed, "(5 such bursts in all)");
}

#[tokio::test(start_paused = true)]
async fn steady_events_and_a_single_late_event_are_not_bursts() {
    // One event at a time, even after a silence, is no burst; two at once
    // (under the burst size of 3) neither.
    let url = scripted(Arc::new(|_| {
        let mut acts = vec![w(SSE_HEAD), Act::Sleep(3000), burst(1, 1)];
        for i in 0..20 {
            acts.push(Act::Sleep(200));
            acts.push(burst(i * 2 + 2, 2));
        }
        acts
    }))
    .await;
    let v = verdicts(&run_reports(&url, &["E.3.3"], 10_000, 15_000, None).await.1);
    expect(&v, "E.3.3", Behavior::Ok, "41 events in 21 reads");
}

#[tokio::test(start_paused = true)]
async fn the_wait_for_the_first_event_counts_as_silence_from_the_head() {
    // The head at once, nothing for 10 s, then one event: with a 5 s heartbeat
    // promised, the first 10 s are a silence.
    let url = scripted(Arc::new(|_| {
        vec![
            w(SSE_HEAD),
            Act::Sleep(10_000),
            burst(1, 1),
            Act::Sleep(60_000),
        ]
    }))
    .await;
    let v = verdicts(&run_reports(&url, &["E.3.*"], 12_000, 5000, None).await.1);
    expect(
        &v,
        "E.3.4",
        Behavior::NonStrict,
        "silent for 10.0 s from 0 ms on, longer than the 5.0 s heartbeat threshold",
    );
    expect(
        &v,
        "E.3.2",
        Behavior::Informational,
        "10.0 s after the response head",
    );
    expect(&v, "E.3.3", Behavior::Ok, "1 events in 1 reads");
}

#[tokio::test]
async fn events_without_ids_cannot_be_resumed_and_are_non_strict_in_e_4_7() {
    let url = scripted(Arc::new(|_| {
        let mut acts = vec![w(SSE_HEAD)];
        for i in 0..10 {
            acts.push(w(format!("data: tick {i}\n\n")));
            acts.push(Act::Sleep(20));
        }
        acts
    }))
    .await;
    let v = run(&url, &["E.4.7", "E.4.2"], 500, 1000, None).await;
    expect(
        &v,
        "E.4.7",
        Behavior::NonStrict,
        "none of the 10 events carries an id: a reconnecting client cannot resume",
    );
    expect(&v, "E.4.2", Behavior::Unimplemented, "see E.4.7");

    // Ids on some events only: reported, not scored.
    let url = scripted(Arc::new(|_| {
        stream_of(
            SSE_HEAD,
            vec![w(
                "data: a\n\nid: 1\ndata: b\n\ndata: c\n\nid: 2\ndata: d\n\n",
            )],
        )
    }))
    .await;
    let v = run(&url, &["E.4.7"], 300, 1000, None).await;
    expect(
        &v,
        "E.4.7",
        Behavior::Informational,
        "2 of 4 events set no id of their own (1 before any id)",
    );

    let url = scripted(Arc::new(|_| stream_of(SSE_HEAD, ticks(1, 5, 10)))).await;
    let v = run(&url, &["E.4.7"], 300, 1000, None).await;
    expect(
        &v,
        "E.4.7",
        Behavior::Ok,
        "each of the 5 events sets its own id",
    );
}

#[tokio::test]
async fn a_lost_empty_line_merges_two_events_and_is_non_strict_in_e_2_9() {
    let url = scripted(Arc::new(|_| {
        stream_of(
            SSE_HEAD,
            vec![w("id: 1\ndata: a\n\nid: 2\ndata: b\nid: 3\ndata: c\n\n")],
        )
    }))
    .await;
    let v = run(&url, &["E.2.9"], 300, 1000, None).await;
    expect(
        &v,
        "E.2.9",
        Behavior::NonStrict,
        "line 6 (byte 29): a field repeated inside one event block (an event terminator was probably lost; the earlier value is discarded): id again, the earlier one on line 4",
    );
    // Multi-line data is legal and not a repetition.
    let url = scripted(Arc::new(|_| {
        stream_of(SSE_HEAD, vec![w("id: 1\ndata: a\ndata: b\n\n")])
    }))
    .await;
    let v = run(&url, &["E.2.9"], 300, 1000, None).await;
    expect(
        &v,
        "E.2.9",
        Behavior::Ok,
        "no block sets id, event or retry twice",
    );
}

#[tokio::test]
async fn line_endings_may_be_cr_throughout_but_not_a_lone_cr_among_crlf() {
    let url = scripted(Arc::new(|_| {
        stream_of(SSE_HEAD, vec![w("id: 1\rdata: a\r\rid: 2\rdata: b\r\r")])
    }))
    .await;
    let v = run(&url, &["E.2.*"], 300, 1000, None).await;
    expect(&v, "E.2.3", Behavior::Ok, "6 lines end with CR");
    for (id, (b, why)) in &v {
        assert!(
            matches!(b, Behavior::Ok | Behavior::Informational),
            "{id}: {why}"
        );
    }
    let url = scripted(Arc::new(|_| {
        stream_of(
            SSE_HEAD,
            vec![w(
                "id: 1\r\ndata: a\r\n\r\nid: 2\r\ndata: b\rdata: c\r\n\r\n",
            )],
        )
    }))
    .await;
    let v = run(&url, &["E.2.3"], 300, 1000, None).await;
    expect(
        &v,
        "E.2.3",
        Behavior::NonStrict,
        "line 5 (byte 32): a line ended by CR alone in a stream of CR LF lines",
    );
}

#[tokio::test]
async fn data_json_fails_an_event_whose_data_is_not_json_and_quotes_it() {
    // A JSON stream with a heartbeat sent as data, and a value whose newline was
    // written raw (the second line becomes a field of its own; data is "{").
    let url = scripted(Arc::new(|_| {
        stream_of(
            SSE_HEAD,
            vec![w(
                "id: 1\ndata: {\"a\":1}\n\nid: 2\ndata: ping\n\nid: 3\ndata: {\n\"b\": 2}\n\nid: 4\ndata: {\ndata: \"c\": 3}\n\n",
            )],
        )
    }))
    .await;
    let mut settings = settings(300, 1000, None);
    settings.data = DataContract::Json;
    let v = verdicts(&run_with(&url, &["E.2.10"], settings).await.1);
    expect(
        &v,
        "E.2.10",
        Behavior::Failed,
        "2 of 4 events carry data that is not JSON; the first is event 2: id \"2\", data \"ping\": expected value at line 1 column 1",
    );
    // The same stream under the default contract: any text.
    let v = run(&url, &["E.2.10"], 300, 1000, None).await;
    expect(&v, "E.2.10", Behavior::Informational, "--data text");

    let url = scripted(Arc::new(|_| stream_of(SSE_HEAD, ticks(1, 3, 10)))).await;
    let mut settings = sse_server::settings(300, 1000, None);
    settings.data = DataContract::Json;
    let v = verdicts(&run_with(&url, &["E.2.10"], settings).await.1);
    expect(&v, "E.2.10", Behavior::Failed, "data \"tick 1\"");
}
