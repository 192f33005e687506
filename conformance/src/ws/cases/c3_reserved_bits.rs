//! Category 3, Reserved Bits (7 cases): RFC 6455 §5.2: RSV1, RSV2 and RSV3 MUST
//! be 0 unless a negotiated extension gives them a meaning; on a non-zero value
//! the receiver MUST _Fail the WebSocket Connection_ (§7.1.7). No extension is
//! negotiated here, so every RSV value from 1 to 7 must make the server fail the
//! connection with 1002.
//!
//! 3.2-3.4 send a valid text message first: its echo is the strict outcome; a
//! server that fails before echoing it (having read ahead) is NON-STRICT. The Ping
//! sent after the bad frame must never be answered.

use super::{BINARY, CLOSE, PING, TEXT, echo, peer_fails_protocol, send};
use crate::ws::case::{Case, Chop, FrameSpec, Step};

/// The text payload of most cases here.
const HELLO: &str = "Hello, world!";

/// Cases 3.1-3.7.
pub fn cases() -> Vec<Case> {
    let mut out = Vec::new();

    // RFC 6455 §5.2: a non-zero RSV value without an extension MUST fail the connection.
    out.push(Case::new(
        "3.1",
        "Send a text message \"Hello, world!\" with RSV = 1.",
        "The server fails the connection at once (1002): no extension defines RSV bits here.",
        vec![],
        peer_fails_protocol(),
        vec![
            send(FrameSpec::new(TEXT, HELLO).rsv(1)),
            Step::kill_after(1.0),
        ],
    ));

    // RFC 6455 §5.2, as 3.1, after a valid message that must still be echoed, and
    // with the three frames written together, frame by frame, and byte by byte.
    for (id, rsv, how, chop) in [
        ("3.2", 2, "", Chop::Whole),
        (
            "3.3",
            3,
            " Each frame is written on its own.",
            Chop::FrameWise,
        ),
        (
            "3.4",
            4,
            " Every byte is written on its own.",
            Chop::Bytes(1),
        ),
    ] {
        out.push(
            Case::new(
                id,
                format!("Send a text message \"Hello, world!\", then the same message with RSV = {rsv}, then a Ping.{how}"),
                "The server echoes the first message, then fails the connection at once (1002) on the RSV bits, so the Ping gets no Pong. Failing before the echo is NON-STRICT.",
                vec![echo(HELLO, false)],
                peer_fails_protocol(),
                vec![
                    send(FrameSpec::new(TEXT, HELLO).chop(chop)),
                    send(FrameSpec::new(TEXT, HELLO).rsv(rsv).chop(chop)),
                    send(FrameSpec::new(PING, "").chop(chop)),
                    Step::kill_after(1.0),
                ],
            )
            .non_strict(vec![]),
        );
    }

    // RFC 6455 §5.2: the rule holds for binary frames too.
    out.push(Case::new(
        "3.5",
        "Send a binary message 00 ff fe fd fc fb 00 ff with RSV = 5.",
        "The server fails the connection at once (1002).",
        vec![],
        peer_fails_protocol(),
        vec![
            send(FrameSpec::new(BINARY, &b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"[..]).rsv(5)),
            Step::kill_after(1.0),
        ],
    ));

    // RFC 6455 §5.2. Autobahn's description of 3.6 says "Ping", but the frame it
    // sends is a binary frame (opcode 2); we send the same frame and say so.
    out.push(Case::new(
        "3.6",
        "Send a binary message \"Hello, world!\" with RSV = 6.",
        "The server fails the connection at once (1002).",
        vec![],
        peer_fails_protocol(),
        vec![
            send(FrameSpec::new(BINARY, HELLO).rsv(6)),
            Step::kill_after(1.0),
        ],
    ));

    // RFC 6455 §5.2: the rule holds for control frames too. The Close frame is sent
    // raw (`sendFrame`), so the fuzzer does not count as having started the close.
    out.push(Case::new(
        "3.7",
        "Send an empty Close frame with RSV = 7.",
        "The server fails the connection at once (1002) rather than treating the frame as a close.",
        vec![],
        peer_fails_protocol(),
        vec![
            send(FrameSpec::new(CLOSE, "").rsv(7)),
            Step::kill_after(1.0),
        ],
    ));

    out
}
