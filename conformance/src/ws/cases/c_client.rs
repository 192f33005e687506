//! Category C, client rules (wirecheck's own, DESIGN §5): what Autobahn's
//! fuzzingserver cannot see, because it always answers the opening request
//! by the book and never masks its frames. These cases run only when testing
//! a client (`wirecheck clients ws`).
//!
//! * C.1, masking keys (RFC 6455 §5.3, §10.3): judged from many frames, not
//!   one: every key nonzero, none used twice.
//! * C.2, the client's checks of the opening handshake answer (§4.1, the
//!   numbered list after "the client MUST validate the server's response"):
//!   each answer here breaks one rule, and the client must fail the
//!   connection instead of using it: no echo of the message wirecheck sends
//!   right after the answer.
//! * C.3, masked frames from the server (§5.1): the client must fail the
//!   connection.
//! * C.4, the end of the connection (§7.1.1): after the close handshake the
//!   client leaves closing TCP to the server.
//! * C.5, the client's answer to a Close (§5.5.1, §7.4.1): it echoes the code
//!   it received, and never puts 1005 (or 1006, 1015) on the wire; a code it
//!   may not send fails every C. case (the driver records the violation), and
//!   C.5.2 invites the classic one, 1005 for "no code received".

use super::{PING, TEXT, echo, message, peer_fails_protocol, send};
use std::time::Duration;

use crate::ws::case::{AnswerSpec, Case, ExpectedClose, FrameSpec, Mask, Scoring, Step};

/// The text the C.2 and C.3 cases send.
const HELLO: &str = "Hello";

/// How many messages C.1.1 has the client echo.
const MASKED_FRAMES: usize = 64;

/// A C.2 case: `answer` breaks `rule`; the client must fail the connection.
fn bad_answer(id: &str, what: &str, rule: &str, answer: AnswerSpec) -> Case {
    Case::new(
        id,
        format!("Answer the opening request with {what}, then send the text message \"Hello\". {rule}"),
        "The client fails the connection: it drops TCP (or sends a Close) without echoing \"Hello\". Echoing it, or waiting until wirecheck closes after 2 s, is FAILED.".to_owned(),
        vec![],
        ExpectedClose {
            closed_by_wrong_endpoint_is_fatal: true,
            ..peer_fails_protocol()
        },
        vec![message(HELLO, false, None), Step::kill_after(2.0)],
    )
    .answer(answer)
}

/// A C.3 case: a masked frame, which a client must refuse.
fn masked(id: &str, what: &str, frame: FrameSpec) -> Case {
    Case::new(
        id,
        format!("Send {what} masked with the key 01 02 03 04. RFC 6455 §5.1: \"A server MUST NOT mask any frames that it sends to the client. A client MUST close a connection if it detects a masked frame.\""),
        "The client fails the connection at once: a Close with 1002, or dropping TCP. Echoing or answering the frame, or waiting until wirecheck closes after 1 s, is FAILED.".to_owned(),
        vec![],
        ExpectedClose {
            closed_by_wrong_endpoint_is_fatal: true,
            ..peer_fails_protocol()
        },
        vec![send(frame.mask(Mask::Key([1, 2, 3, 4]))), Step::kill_after(1.0)],
    )
}

/// How long C.4.1 keeps TCP open after the close handshake.
const HOLD: Duration = Duration::from_secs(2);

/// A C.5 case: wirecheck starts the close handshake with `code` (none: an
/// empty Close) and `reason`.
fn close_echo(id: &str, what: &str, code: Option<u16>, reason: &str, expectation: &str) -> Case {
    let body = code.map_or_else(Vec::new, |c| {
        let mut body = c.to_be_bytes().to_vec();
        body.extend_from_slice(reason.as_bytes());
        body
    });
    Case::new(
        id,
        format!("Start the close handshake with {what}. RFC 6455 §5.5.1: \"If an endpoint receives a Close frame and did not previously send a Close frame, the endpoint MUST send a Close frame in response. (When sending a Close frame in response, the endpoint typically echos the status code it received.)\" §7.4.1: 1005, 1006 and 1015 \"MUST NOT be set as a status code in a Close control frame by an endpoint\"."),
        expectation.to_owned(),
        vec![],
        ExpectedClose {
            // Neither the code sent nor 1000 (which Autobahn's 7.7 also
            // takes): WRONG CODE too.
            codes: code.into_iter().chain([1000]).collect(),
            ..ExpectedClose::fuzzer_closes_normally()
        },
        vec![Step::Close(body)],
    )
    .scoring(Scoring::EchoesCloseCode)
}

/// Cases C.1.1-C.5.2.
pub fn cases() -> Vec<Case> {
    const ANSWER: &str = "RFC 6455 §4.1: \"If the server's response does not conform to the requirements for the server's handshake as defined in this section and in Section 4.2.2, the client MUST _Fail the WebSocket Connection_.\"";
    let texts: Vec<String> = (0..MASKED_FRAMES)
        .map(|i| format!("masking key {i:02}"))
        .collect();
    vec![
        Case::new(
            "C.1.1",
            format!("Send {MASKED_FRAMES} text messages of 14 bytes, one frame each, and look at the masking key of every frame the client sends back. RFC 6455 §5.3: \"The masking key is a 32-bit value chosen at random by the client. When preparing a masked frame, the client MUST pick a fresh masking key from the set of allowed 32-bit values. The masking key needs to be unpredictable\"."),
            format!("The client echoes all {MASKED_FRAMES} messages, every frame masked with a nonzero key no earlier frame used (a zero key or a repeat among so few random keys is a one-in-millions accident); wirecheck then closes with 1000, cleanly."),
            texts.iter().map(|t| echo(t.as_str(), false)).collect(),
            ExpectedClose::fuzzer_closes_normally(),
            texts
                .iter()
                .map(|t| message(t.as_str(), false, None))
                .chain([Step::kill_after(10.0)])
                .collect(),
        )
        .scoring(Scoring::MaskingKeys),
        bad_answer(
            "C.2.1",
            "a Sec-WebSocket-Accept computed from another key",
            &format!("{ANSWER} Item 4: \"If the response lacks a |Sec-WebSocket-Accept| header field or the |Sec-WebSocket-Accept| contains a value other than the base64-encoded SHA-1 of the concatenation of the |Sec-WebSocket-Key| (as a string, not base64-decoded) with the string \"258EAFA5-E914-47DA-95CA-C5AB0DC85B11\" ... the client MUST _Fail the WebSocket Connection_.\""),
            AnswerSpec {
                wrong_accept: true,
                ..AnswerSpec::default()
            },
        ),
        bad_answer(
            "C.2.2",
            "no Sec-WebSocket-Accept header",
            &format!("{ANSWER} Item 4: \"If the response lacks a |Sec-WebSocket-Accept| header field ... the client MUST _Fail the WebSocket Connection_.\""),
            AnswerSpec {
                remove: vec!["sec-websocket-accept"],
                ..AnswerSpec::default()
            },
        ),
        bad_answer(
            "C.2.3",
            "no Upgrade header",
            &format!("{ANSWER} Item 2: \"If the response lacks an |Upgrade| header field or the |Upgrade| header field contains a value that is not an ASCII case-insensitive match for the value \"websocket\", the client MUST _Fail the WebSocket Connection_.\""),
            AnswerSpec {
                remove: vec!["upgrade"],
                ..AnswerSpec::default()
            },
        ),
        bad_answer(
            "C.2.4",
            "Upgrade: h2c",
            "RFC 6455 §4.1 item 2: \"If the response lacks an |Upgrade| header field or the |Upgrade| header field contains a value that is not an ASCII case-insensitive match for the value \"websocket\", the client MUST _Fail the WebSocket Connection_.\"",
            AnswerSpec {
                set: vec![("Upgrade", "h2c".to_owned())],
                ..AnswerSpec::default()
            },
        ),
        bad_answer(
            "C.2.5",
            "no Connection header",
            "RFC 6455 §4.1 item 3: \"If the response lacks a |Connection| header field or the |Connection| header field doesn't contain a token that is an ASCII case-insensitive match for the value \"Upgrade\", the client MUST _Fail the WebSocket Connection_.\"",
            AnswerSpec {
                remove: vec!["connection"],
                ..AnswerSpec::default()
            },
        ),
        bad_answer(
            "C.2.6",
            "a subprotocol the client did not offer (Sec-WebSocket-Protocol: wirecheck-unoffered)",
            "RFC 6455 §4.1 item 6: \"If the response includes a |Sec-WebSocket-Protocol| header field and this header field indicates the use of a subprotocol that was not present in the client's handshake (the server has indicated a subprotocol not requested by the client), the client MUST _Fail the WebSocket Connection_.\"",
            AnswerSpec {
                set: vec![("Sec-WebSocket-Protocol", "wirecheck-unoffered".to_owned())],
                ..AnswerSpec::default()
            },
        ),
        bad_answer(
            "C.2.7",
            "an extension the client did not offer (Sec-WebSocket-Extensions: x-wirecheck-unoffered)",
            "RFC 6455 §4.1 item 5: \"If the response includes a |Sec-WebSocket-Extensions| header field and this header field indicates the use of an extension that was not present in the client's handshake (the server has indicated an extension not requested by the client), the client MUST _Fail the WebSocket Connection_.\"",
            AnswerSpec {
                set: vec![("Sec-WebSocket-Extensions", "x-wirecheck-unoffered".to_owned())],
                ..AnswerSpec::default()
            },
        ),
        bad_answer(
            "C.2.8",
            "status 200 instead of 101, the WebSocket headers all there",
            "RFC 6455 §4.1 item 1: \"If the status code received from the server is not 101, the client handles the response per HTTP [RFC2616] procedures\": the connection is not a WebSocket connection, and no frame may be taken from it.",
            AnswerSpec {
                status: 200,
                ..AnswerSpec::default()
            },
        ),
        masked("C.3.1", "the text message \"Hello\"", FrameSpec::new(TEXT, HELLO)),
        masked("C.3.2", "a Ping with the payload \"Hello\"", FrameSpec::new(PING, HELLO)),
        Case::new(
            "C.4.1",
            format!("Start the close handshake with a Close 1000, and once the client has answered keep the TCP connection open for {} s. RFC 6455 §7.1.1: \"the underlying TCP connection, in most normal cases, SHOULD be closed first by the server ... the client SHOULD wait for the server to close the connection but MAY close the connection at any time after sending and receiving a Close message, e.g., if it has not received a TCP Close from the server in a reasonable time period.\"", HOLD.as_secs()),
            format!("The client answers the Close with 1000 and leaves TCP open until wirecheck closes it, {} s later: OK. A client that closes TCP first is NON-STRICT; the reason says how soon.", HOLD.as_secs()),
            vec![],
            ExpectedClose::fuzzer_closes_normally(),
            vec![Step::Close(1000u16.to_be_bytes().to_vec())],
        )
        .hold_drop(HOLD)
        .scoring(Scoring::WaitsForDrop),
        close_echo(
            "C.5.1",
            "a Close with the code 4000 and the reason \"bye\"",
            Some(4000),
            "bye",
            "The client answers with a Close carrying 4000, and the close is clean: OK. Another code it may send (1000, say) is NON-STRICT; a code it must not send is FAILED.",
        ),
        close_echo(
            "C.5.2",
            "an empty Close (no status code)",
            None,
            "",
            "The client answers with an empty Close (the echo of no code), and the close is clean: OK. A Close with 1000 is NON-STRICT; one with 1005 (\"no status code received\", which only the API may report) is FAILED.",
        ),
    ]
}
