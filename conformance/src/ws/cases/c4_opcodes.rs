//! Category 4, Opcodes (10 cases): RFC 6455 §5.2: opcodes 0x3-0x7 are reserved
//! for further non-control frames and 0xB-0xF for further control frames; if an
//! unknown opcode is received, the receiving endpoint MUST _Fail the WebSocket
//! Connection_ (§7.1.7), here with 1002.
//!
//! 4.x.1 and 4.x.2 send only the reserved frame (without and with a payload).
//! 4.x.3-4.x.5 send a valid text message first, then the reserved frame, then a
//! Ping: the echo of the text is the strict outcome, failing before it is
//! NON-STRICT, and the Ping must never be answered. 4.x.5 writes every byte on
//! its own.

use super::{PING, TEXT, echo, peer_fails_protocol, send};
use crate::ws::case::{Case, Chop, FrameSpec, Step};

/// The text message sent before the reserved frame (and, in x.4/x.5, its payload).
const HELLO: &str = "Hello, world!";

/// What a case sends.
enum Script {
    /// Only the reserved frame, with this payload.
    Alone(&'static str),
    /// A text message, the reserved frame with this payload, a Ping; written
    /// with this chop.
    AfterText(&'static str, Chop),
}

/// Cases 4.1.1-4.1.5 (reserved non-control opcodes) and 4.2.1-4.2.5 (reserved
/// control opcodes).
pub fn cases() -> Vec<Case> {
    // RFC 6455 §5.2: an unknown opcode MUST fail the connection.
    let table = [
        ("4.1.1", 3, Script::Alone("")),
        ("4.1.2", 4, Script::Alone("reserved opcode payload")),
        ("4.1.3", 5, Script::AfterText("", Chop::Whole)),
        ("4.1.4", 6, Script::AfterText(HELLO, Chop::Whole)),
        ("4.1.5", 7, Script::AfterText(HELLO, Chop::Bytes(1))),
        ("4.2.1", 11, Script::Alone("")),
        ("4.2.2", 12, Script::Alone("reserved opcode payload")),
        ("4.2.3", 13, Script::AfterText("", Chop::Whole)),
        ("4.2.4", 14, Script::AfterText(HELLO, Chop::Whole)),
        ("4.2.5", 15, Script::AfterText(HELLO, Chop::Bytes(1))),
    ];
    table
        .into_iter()
        .map(|(id, opcode, script)| {
            let kind = if opcode < 8 { "non-control" } else { "control" };
            let with = |payload: &str| {
                if payload.is_empty() {
                    String::new()
                } else {
                    format!(" with the payload \"{payload}\"")
                }
            };
            match script {
                Script::Alone(payload) => Case::new(
                    id,
                    format!("Send a frame with the reserved {kind} opcode {opcode}{}.", with(payload)),
                    "The server fails the connection at once (1002).",
                    vec![],
                    peer_fails_protocol(),
                    vec![
                        send(FrameSpec::new(opcode, payload)),
                        Step::kill_after(1.0),
                    ],
                ),
                Script::AfterText(payload, chop) => {
                    let bytewise = if chop == Chop::Whole {
                        ""
                    } else {
                        " Every byte is written on its own."
                    };
                    Case::new(
                        id,
                        format!(
                            "Send a text message \"Hello, world!\", then a frame with the reserved {kind} opcode {opcode}{}, then a Ping.{bytewise}",
                            with(payload)
                        ),
                        "The server echoes the text message, then fails the connection at once (1002) on the reserved opcode, so the Ping gets no Pong. Failing before the echo is NON-STRICT.",
                        vec![echo(HELLO, false)],
                        peer_fails_protocol(),
                        vec![
                            send(FrameSpec::new(TEXT, HELLO).chop(chop)),
                            send(FrameSpec::new(opcode, payload).chop(chop)),
                            send(FrameSpec::new(PING, "").chop(chop)),
                            Step::kill_after(1.0),
                        ],
                    )
                    .non_strict(vec![])
                }
            }
        })
        .collect()
}
