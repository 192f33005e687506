//! Category 2, Pings/Pongs (11 cases): RFC 6455 §5.5.2 (a Ping is answered by a
//! Pong carrying the same application data), §5.5.3 (an unsolicited Pong needs no
//! answer) and §5.5 (a control frame carries at most 125 payload bytes).
//!
//! Every case but 2.5 expects the Pongs it asks for and nothing else, then the
//! fuzzer closes normally; the case timer is a `closeAfter`. 2.5 sends an
//! oversized Ping the server must reject.

use super::{PING, PONG, peer_fails_protocol, send};
use crate::ws::case::{Case, Chop, Ev, ExpectedClose, FrameSpec, Step};

/// The small binary payload of 2.3 (not UTF-8).
const BINARY_PAYLOAD: &[u8] = b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff";

/// Cases 2.1-2.11.
pub fn cases() -> Vec<Case> {
    let mut out = Vec::new();

    // RFC 6455 §5.5.2: a Ping MUST be answered by a Pong; §5.5.3: the Pong carries
    // the Ping's application data unchanged.
    for (id, what, payload) in [
        ("2.1", "an empty payload".to_owned(), Vec::new()),
        (
            "2.2",
            "the text payload \"Hello, world!\"".to_owned(),
            b"Hello, world!".to_vec(),
        ),
        (
            "2.3",
            "the 8-byte binary payload 00 ff fe fd fc fb 00 ff".to_owned(),
            BINARY_PAYLOAD.to_vec(),
        ),
        (
            "2.4",
            "125 bytes of 0xfe (the largest control payload)".to_owned(),
            vec![0xfe; 125],
        ),
    ] {
        out.push(Case::new(
            id,
            format!("Send a Ping with {what}."),
            "The server answers with a Pong carrying the same payload; the fuzzer then closes with 1000 and the close is clean.",
            vec![Ev::pong(payload.clone())],
            ExpectedClose::fuzzer_closes_normally(),
            vec![send(FrameSpec::new(PING, payload)), Step::close_after(1.0)],
        ));
    }

    // RFC 6455 §5.5: all control frames MUST have a payload length of 125 bytes or less.
    out.push(Case::new(
        "2.5",
        "Send a Ping with 126 bytes of 0xfe, one more than a control frame may carry.",
        "The server fails the connection at once (1002, protocol error) and sends no Pong.",
        vec![],
        peer_fails_protocol(),
        vec![
            send(FrameSpec::new(PING, vec![0xfe; 126])),
            Step::kill_after(1.0),
        ],
    ));

    // RFC 6455 §5.2: a frame is a sequence of bytes on the stream; how TCP splits
    // them must not matter. §5.5.2: the Ping is still answered.
    out.push(Case::new(
        "2.6",
        "Send a Ping with 125 bytes of 0xfe, written one byte per TCP write.",
        "The server reassembles the frame and answers with a Pong carrying the same 125 bytes; the fuzzer then closes with 1000 and the close is clean.",
        vec![Ev::pong(vec![0xfe; 125])],
        ExpectedClose::fuzzer_closes_normally(),
        vec![
            send(FrameSpec::new(PING, vec![0xfe; 125]).chop(Chop::Bytes(1))),
            Step::close_after(2.0),
        ],
    ));

    // RFC 6455 §5.5.3: a Pong MAY be sent unsolicited; no response is expected.
    for (id, what, payload) in [
        ("2.7", "an empty payload", Vec::new()),
        (
            "2.8",
            "the payload \"unsolicited pong payload\"",
            b"unsolicited pong payload".to_vec(),
        ),
    ] {
        out.push(Case::new(
            id,
            format!("Send an unsolicited Pong with {what}, then a Close with 1000."),
            "The server sends nothing in reply to the Pong and completes the close handshake cleanly with 1000.",
            vec![],
            ExpectedClose::fuzzer_closes_normally(),
            vec![
                send(FrameSpec::new(PONG, payload)),
                Step::close(1000, ""),
                Step::close_after(1.0),
            ],
        ));
    }

    // RFC 6455 §5.5.3: an unsolicited Pong gets no answer; §5.5.2: the Ping does.
    out.push(Case::new(
        "2.9",
        "Send an unsolicited Pong (\"unsolicited pong payload\"), then a Ping with \"ping payload\".",
        "The server ignores the Pong and answers the Ping with a Pong carrying \"ping payload\"; the fuzzer then closes with 1000 and the close is clean.",
        vec![Ev::pong("ping payload")],
        ExpectedClose::fuzzer_closes_normally(),
        vec![
            send(FrameSpec::new(PONG, "unsolicited pong payload")),
            send(FrameSpec::new(PING, "ping payload")),
            Step::close_after(1.0),
        ],
    ));

    // RFC 6455 §5.5.2: every Ping MUST be answered. (§5.5.3 lets an endpoint answer
    // only the most recent of several pending Pings; like Autobahn, these cases
    // still expect all ten Pongs, in order.)
    for (id, how, chop) in [
        ("2.10", "back to back in one TCP write", Chop::Whole),
        ("2.11", "one byte per TCP write", Chop::Bytes(1)),
    ] {
        let payloads: Vec<String> = (0..10).map(|i| format!("payload-{i}")).collect();
        let mut steps: Vec<Step> = payloads
            .iter()
            .map(|p| send(FrameSpec::new(PING, p.as_str()).chop(chop)))
            .collect();
        steps.push(Step::close_after(3.0));
        out.push(Case::new(
            id,
            format!("Send ten Pings with payloads \"payload-0\" to \"payload-9\", {how}."),
            "The server answers each Ping with a Pong carrying its payload, in the order sent (the RFC allows answering only the latest Ping; this case checks for all ten); the fuzzer then closes with 1000 and the close is clean.",
            payloads.iter().map(|p| Ev::pong(p.as_str())).collect(),
            ExpectedClose::fuzzer_closes_normally(),
            steps,
        ));
    }

    out
}
