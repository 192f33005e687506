//! Raw steps and per-case opening requests, end to end: cases built here (not
//! in the catalogue) run through the transport and the driver against the
//! reference server, whose rules are known (RFC 6455 §4.2.1, §5.1, §5.2).

#[path = "support/ws_server.rs"]
mod ws_server;

use std::time::Duration;

use wirecheck::core::{Behavior, BehaviorClose};
use wirecheck::serve::ws::WsServerConfig;
use wirecheck::ws::case::{
    Case, Chop, Ev, Expect, ExpectedClose, FrameSpec, LengthForm, Mask, OpeningSpec, Step,
};
use wirecheck::ws::engine::EngineConfig;
use wirecheck::ws::result::{CaseResult, WireRow};
use wirecheck::ws::run::run_cases;

async fn run(cases: Vec<Case>) -> Vec<CaseResult> {
    let (server, target) = ws_server::reference(WsServerConfig::ephemeral()).await;
    let results = tokio::time::timeout(
        Duration::from_secs(60),
        run_cases(&target, &EngineConfig::default(), &cases, 2, |_, _| {}),
    )
    .await
    .expect("the run ends in time")
    .results;
    server.shutdown().await;
    results
}

fn hello(id: &str, steps: Vec<Step>) -> Case {
    Case::new(
        id,
        "test case",
        "echo",
        vec![Ev::text("Hello")],
        ExpectedClose::fuzzer_closes_normally(),
        steps,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_steps_reach_the_server_as_written() {
    // "Hello" as a masked text frame written by hand, cut into three segments.
    let key = [0x37, 0xfa, 0x21, 0x3d];
    let mut raw = vec![0x81, 0x85];
    raw.extend_from_slice(&key);
    raw.extend(b"Hello".iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    let unmasked = Case::new(
        "X.9.1",
        "an unmasked client frame",
        "RFC 6455 §5.1: the server fails the connection (1002)",
        vec![],
        ExpectedClose::peer_fails(1002),
        vec![Step::Frame(FrameSpec::new(1, "Hello").mask(Mask::None))],
    );
    let results = run(vec![
        hello(
            "X.9.2",
            vec![Step::Raw {
                bytes: raw,
                chop: Chop::At(&[1, 6]),
            }],
        ),
        hello(
            "X.9.3",
            vec![Step::Frame(
                FrameSpec::new(1, "Hello").mask(Mask::Key([0; 4])),
            )],
        ),
        unmasked,
        Case::new(
            "X.9.4",
            "a 16-bit length for 5 bytes",
            "RFC 6455 §5.2: the minimal form MUST be used; the reference server fails it",
            vec![],
            ExpectedClose::peer_fails(1002),
            vec![Step::Frame(
                FrameSpec::new(1, "Hello").length(LengthForm::Extended16),
            )],
        ),
    ])
    .await;
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
    // The raw bytes went out in the segments asked for: 1, 5, then the rest.
    let writes: Vec<usize> = results[0]
        .wirelog
        .iter()
        .filter_map(|row| match row {
            WireRow::Tx { bytes, .. } => Some(bytes.len),
            _ => None,
        })
        .collect();
    assert_eq!(&writes[..3], &[1, 5, 5], "{writes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_opening_request_of_the_case_gets_its_own_handshake_verdict() {
    let post = OpeningSpec {
        method: "POST".into(),
        ..OpeningSpec::textbook(Expect::Refuse)
    };
    let version_8 = OpeningSpec {
        set: vec![("Sec-WebSocket-Version".into(), "8".into())],
        ..OpeningSpec::textbook(Expect::Refuse)
    };
    let no_upgrade = OpeningSpec {
        remove: vec!["upgrade".into()],
        ..OpeningSpec::textbook(Expect::Refuse)
    };
    // Valid, mixed-case tokens in a list, the request in 1-byte-ish segments:
    // the server must accept, and the echo follows.
    let mixed = OpeningSpec {
        set: vec![
            ("Upgrade".into(), "WebSocket".into()),
            ("Connection".into(), "keep-alive, UPGRADE".into()),
        ],
        segments: &[1, 2, 3, 10, 40],
        ..OpeningSpec::textbook(Expect::Accept)
    };
    // A valid request the case wrongly expects refused: the verdict must say so.
    let wrong = OpeningSpec::textbook(Expect::Refuse);
    let refuse = |id: &str, spec: OpeningSpec| {
        Case::new(
            id,
            "refused",
            "refused",
            vec![],
            ExpectedClose::fuzzer_closes_normally(),
            vec![],
        )
        .opening(spec)
    };
    let results = run(vec![
        refuse("H.9.1", post),
        refuse("H.9.2", version_8),
        refuse("H.9.3", no_upgrade),
        hello(
            "H.9.4",
            vec![Step::Message {
                payload: wirecheck::ws::case::Payload::exact("Hello"),
                binary: false,
                fragment_size: None,
            }],
        )
        .opening(mixed),
        refuse("H.9.5", wrong),
    ])
    .await;
    for r in &results[..4] {
        assert_eq!(
            (r.behavior, r.behavior_close),
            (Behavior::Ok, BehaviorClose::Ok),
            "{}: {} / {}",
            r.id,
            r.result,
            r.result_close
        );
    }
    assert!(
        results[0].result.contains("status 4"),
        "{}",
        results[0].result
    );
    assert!(results[0].http_request.starts_with("POST / HTTP/1.1\r\n"));
    assert!(
        results[1]
            .http_request
            .contains("Sec-WebSocket-Version: 8\r\n")
    );
    assert!(
        !results[2]
            .http_request
            .to_ascii_lowercase()
            .contains("upgrade: websocket")
    );
    assert_eq!(results[3].received, vec![Ev::text("Hello")]);
    let r = &results[4];
    assert_eq!(r.behavior, Behavior::Failed, "{}", r.result);
    assert!(r.result.contains("accepted"), "{}", r.result);
    // wirecheck closed the connection it should not have got, normally.
    assert_eq!(r.close.local_close_code, Some(1000));
}

/// The transport of the other role: wirecheck accepts, a tokio-tungstenite
/// client connects and echoes (the loop of its Autobahn client), and the
/// driver runs the case as a fuzzing server over the socket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_runs_as_a_fuzzing_server_over_a_socket() {
    use futures_util::{SinkExt, StreamExt};
    use wirecheck::ws::engine::serve_case;

    let all = wirecheck::ws::cases::all();
    let pick = ["1.1.1", "2.2", "5.6", "7.1.1", "6.4.1"];
    for id in pick {
        let case = all
            .iter()
            .find(|c| c.id.to_string() == id)
            .expect("a case of the catalogue");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let url = format!("ws://{}/", listener.local_addr().expect("address"));
        let client = tokio::spawn(async move {
            let Ok((mut ws, _)) = tokio_tungstenite::connect_async(url).await else {
                return;
            };
            while let Some(Ok(msg)) = ws.next().await {
                if (msg.is_text() || msg.is_binary()) && ws.send(msg).await.is_err() {
                    break;
                }
            }
        });
        let (stream, _) = listener.accept().await.expect("the client connects");
        let r = tokio::time::timeout(
            Duration::from_secs(30),
            serve_case(stream, &EngineConfig::default(), case, 1),
        )
        .await
        .expect("the case ends in time");
        let _ = client.await;
        assert!(r.close.is_server);
        assert!(
            r.http_request.starts_with("GET / HTTP/1.1\r\n"),
            "{}",
            r.http_request
        );
        assert!(
            r.http_response.starts_with("HTTP/1.1 101"),
            "{}",
            r.http_response
        );
        assert_eq!(
            (r.behavior, r.behavior_close),
            (Behavior::Ok, BehaviorClose::Ok),
            "{id}: {} / {}",
            r.result,
            r.result_close
        );
    }
}

/// RFC 7692 through the runner: a case that offers permessage-deflate sends
/// its messages compressed (RSV1 on the first frame, fragments after
/// compression) and inflates the echoes; the reference server negotiates it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cases_that_offer_deflate_send_and_receive_compressed_messages() {
    use wirecheck::ws::case::{Offer, Payload};
    let text = "permessage-deflate through the driver. ".repeat(40);
    let echo = |id: &str, binary: bool, fragment_size: Option<usize>, offer: Offer| {
        let payload = text.clone().into_bytes();
        let want = if binary {
            Ev::binary(payload.clone())
        } else {
            Ev::text(payload.clone())
        };
        Case::new(
            id,
            "a compressed echo",
            "the same message back",
            vec![want],
            ExpectedClose::fuzzer_closes_normally(),
            vec![Step::Message {
                payload: Payload::exact(payload),
                binary,
                fragment_size,
            }],
        )
        .deflate_offers(vec![offer])
    };
    let plain = Offer {
        client_max_window_bits: Some(None),
        ..Offer::default()
    };
    let strict = Offer {
        server_no_context_takeover: true,
        client_no_context_takeover: true,
        server_max_window_bits: Some(9),
        client_max_window_bits: Some(Some(9)),
    };
    let results = run(vec![
        echo("X.9.10", false, None, plain),
        echo("X.9.11", true, Some(16), plain),
        echo("X.9.12", false, Some(7), strict),
    ])
    .await;
    for r in &results {
        assert_eq!(
            (r.behavior, r.behavior_close),
            (Behavior::Ok, BehaviorClose::Ok),
            "{}: {} / {}",
            r.id,
            r.result,
            r.result_close
        );
        assert!(
            r.http_request
                .contains("Sec-WebSocket-Extensions: permessage-deflate"),
            "{}",
            r.http_request
        );
        assert!(
            r.http_response
                .to_ascii_lowercase()
                .contains("permessage-deflate"),
            "{}",
            r.http_response
        );
        // RSV1 on the first frame each way, and the frames far smaller than the text.
        let tx: Vec<(u8, usize)> = r
            .wirelog
            .iter()
            .filter_map(|row| match row {
                WireRow::TxFrame {
                    opcode,
                    rsv,
                    payload,
                    ..
                } if *opcode != 8 => Some((*rsv, payload.len)),
                _ => None,
            })
            .collect();
        assert_eq!(tx[0].0, 0b100, "{}: {tx:?}", r.id);
        assert!(
            tx.iter().skip(1).all(|(rsv, _)| *rsv == 0),
            "{}: {tx:?}",
            r.id
        );
        assert!(
            tx.iter().map(|(_, n)| n).sum::<usize>() < text.len() / 4,
            "{tx:?}"
        );
        let rx_first = r.wirelog.iter().find_map(|row| match row {
            WireRow::RxFrame { opcode, rsv, .. } if *opcode != 8 => Some(*rsv),
            _ => None,
        });
        assert_eq!(rx_first, Some(0b100), "{}", r.id);
    }
    // Fragmented after compression: several frames.
    let frames = results[1]
        .wirelog
        .iter()
        .filter(|row| matches!(row, WireRow::TxFrame { opcode, .. } if *opcode != 8))
        .count();
    assert!(frames > 1, "{frames}");
}
