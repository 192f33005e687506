//! Category 5, Fragmentation (20 cases): RFC 6455 §5.4: a fragmented message is
//! one frame with FIN clear and a non-zero opcode, then zero or more continuation
//! frames (opcode 0) with FIN clear, then one continuation frame with FIN set;
//! control frames MAY be injected between fragments and MUST NOT themselves be
//! fragmented; an endpoint MUST be able to handle control frames in the middle
//! of a fragmented message. A continuation frame with no message to continue,
//! or a new data frame inside a message, breaks that grammar, and the receiver
//! MUST _Fail the WebSocket Connection_ (§7.1.7) with 1002.
//!
//! Many cases come in threes, differing only in how the bytes reach TCP: all in
//! one write, one write per frame, or one write per byte (§5.2: frames are read
//! from a byte stream; the segmentation must not matter).

use super::{CONT, PING, PONG, TEXT, echo, peer_fails_protocol, send};
use crate::ws::case::{Case, Chop, Ev, ExpectedClose, FrameSpec, Step};

/// The three ways of writing a case's frames, with the words that describe them.
const WRITES: [(Chop, &str); 3] = [
    (Chop::Whole, "all in one TCP write"),
    (Chop::FrameWise, "one TCP write per frame"),
    (Chop::Bytes(1), "one TCP write per byte"),
];

/// Cases 5.1-5.20.
pub fn cases() -> Vec<Case> {
    let mut out = Vec::new();

    // RFC 6455 §5.4/§5.5: control frames MUST NOT be fragmented.
    for (id, name, opcode) in [("5.1", "Ping", PING), ("5.2", "Pong", PONG)] {
        out.push(Case::new(
            id,
            format!("Send a {name} in two fragments: a {name} frame with FIN clear (\"fragment1\"), then a continuation frame with FIN set (\"fragment2\")."),
            "The server fails the connection at once (1002): control frames must not be fragmented.",
            vec![],
            peer_fails_protocol(),
            vec![
                send(FrameSpec::new(opcode, "fragment1").fin(false)),
                send(FrameSpec::new(CONT, "fragment2")),
                Step::kill_after(1.0),
            ],
        ));
    }

    // RFC 6455 §5.4: the fragments of a message are delivered as one message.
    for (n, (chop, how)) in (3..).zip(WRITES) {
        out.push(Case::new(
            &format!("5.{n}"),
            format!("Send a text message in two fragments, \"fragment1\" (text, FIN clear) and \"fragment2\" (continuation, FIN set), {how}."),
            "The server echoes one text message \"fragment1fragment2\"; the fuzzer then closes with 1000 and the close is clean.",
            vec![echo("fragment1fragment2", false)],
            ExpectedClose::fuzzer_closes_normally(),
            vec![
                send(FrameSpec::new(TEXT, "fragment1").fin(false).chop(chop)),
                send(FrameSpec::new(CONT, "fragment2").chop(chop)),
                Step::close_after(1.0),
            ],
        ));
    }

    // RFC 6455 §5.4: control frames MAY be injected in the middle of a fragmented
    // message and an endpoint MUST handle them; §5.5.2: the Ping is answered at once.
    for (n, (chop, how)) in (6..).zip(WRITES) {
        out.push(Case::new(
            &format!("5.{n}"),
            format!("Send a text message in two fragments (\"fragment1\", \"fragment2\") with a Ping \"ping payload\" between them, {how}."),
            "The server answers the Ping with a Pong \"ping payload\", then echoes the text message \"fragment1fragment2\"; the fuzzer then closes with 1000 and the close is clean.",
            vec![Ev::pong("ping payload"), echo("fragment1fragment2", false)],
            ExpectedClose::fuzzer_closes_normally(),
            vec![
                send(FrameSpec::new(TEXT, "fragment1").fin(false).chop(chop)),
                send(FrameSpec::new(PING, "ping payload").chop(chop)),
                send(FrameSpec::new(CONT, "fragment2").chop(chop)),
                Step::close_after(1.0),
            ],
        ));
    }

    // RFC 6455 §5.4: a continuation frame only continues a fragmented message;
    // with none in progress, the connection MUST be failed (FIN set: 5.9-5.11,
    // FIN clear: 5.12-5.14).
    for (first, fin) in [(9, true), (12, false)] {
        let fin_word = if fin { "set" } else { "clear" };
        for (n, (chop, how)) in (first..).zip(WRITES) {
            out.push(Case::new(
                &format!("5.{n}"),
                format!("Send a continuation frame with FIN {fin_word} (\"non-continuation payload\") while no message is in progress, then a text message \"Hello, world!\", {how}."),
                "The server fails the connection at once (1002): there is no message to continue.",
                vec![],
                peer_fails_protocol(),
                vec![
                    send(FrameSpec::new(CONT, "non-continuation payload").fin(fin).chop(chop)),
                    send(FrameSpec::new(TEXT, "Hello, world!").chop(chop)),
                    Step::kill_after(1.0),
                ],
            ));
        }
    }

    // RFC 6455 §5.4: after a complete fragmented message, a continuation frame has
    // nothing to continue. The first message must still be echoed (strict);
    // failing before the echo is NON-STRICT.
    out.push(
        Case::new(
            "5.15",
            "Send a text message in two fragments (\"fragment1\", \"fragment2\"), then a continuation frame with FIN clear (\"fragment3\") with nothing to continue, then a text message \"fragment4\", all in one TCP write.",
            "The server echoes \"fragment1fragment2\", then fails the connection at once (1002) on the stray continuation frame. Failing before the echo is NON-STRICT.",
            vec![echo("fragment1fragment2", false)],
            peer_fails_protocol(),
            vec![
                send(FrameSpec::new(TEXT, "fragment1").fin(false)),
                send(FrameSpec::new(CONT, "fragment2")),
                send(FrameSpec::new(CONT, "fragment3").fin(false)),
                send(FrameSpec::new(TEXT, "fragment4")),
                Step::kill_after(1.0),
            ],
        )
        .non_strict(vec![]),
    );

    // RFC 6455 §5.4: a message cannot start with a continuation frame (FIN clear in
    // 5.16, FIN set in 5.17); the connection MUST be failed on the first frame.
    for (id, fin) in [("5.16", false), ("5.17", true)] {
        let fin_word = if fin { "set" } else { "clear" };
        let round = [
            send(FrameSpec::new(CONT, "fragment1").fin(fin)),
            send(FrameSpec::new(TEXT, "fragment2").fin(false)),
            send(FrameSpec::new(CONT, "fragment3")),
        ];
        let mut steps: Vec<Step> = round.iter().chain(round.iter()).cloned().collect();
        steps.push(Step::kill_after(1.0));
        out.push(Case::new(
            id,
            format!("Twice: send a continuation frame with FIN {fin_word} (\"fragment1\") with nothing to continue, then a text message in two fragments (\"fragment2\", \"fragment3\")."),
            "The server fails the connection at once (1002): there is no message to continue.",
            vec![],
            peer_fails_protocol(),
            steps,
        ));
    }

    // RFC 6455 §5.4: every frame after the first of a fragmented message MUST have
    // opcode 0 (continuation); a second text frame is a protocol error.
    out.push(Case::new(
        "5.18",
        "Send a text message in two fragments whose frames both carry the text opcode: \"fragment1\" (FIN clear), then \"fragment2\" (FIN set), in one TCP write.",
        "The server fails the connection at once (1002): a fragment after the first must be a continuation frame.",
        vec![],
        peer_fails_protocol(),
        vec![
            send(FrameSpec::new(TEXT, "fragment1").fin(false)),
            send(FrameSpec::new(TEXT, "fragment2")),
            Step::kill_after(1.0),
        ],
    ));

    // RFC 6455 §5.4: control frames MAY be injected between fragments and MUST be
    // handled; §5.5.2: a Ping is answered as soon as practical, so the first Pong
    // must come back during the 1 s pause, before the message is complete.
    for (id, chop, how) in [
        ("5.19", Chop::Whole, "Frames are written as they come."),
        (
            "5.20",
            Chop::FrameWise,
            "Each frame is written on its own (the bytes are the same as in 5.19; only the TCP writes differ).",
        ),
    ] {
        out.push(Case::new(
            id,
            format!("Send a text message in five fragments \"fragment1\" to \"fragment5\": fragments 1 and 2, a Ping \"pongme 1!\", a pause of 1 s, fragments 3 and 4, a Ping \"pongme 2!\", then fragment 5. Everything is valid. {how}"),
            "The server answers both Pings, each Pong carrying its Ping's payload (the first is due during the pause, before the message is complete; the verdict checks the order of events only), then echoes \"fragment1fragment2fragment3fragment4fragment5\". The fuzzer then closes with 1000 and the close is clean.",
            vec![
                Ev::pong("pongme 1!"),
                Ev::pong("pongme 2!"),
                echo("fragment1fragment2fragment3fragment4fragment5", false),
            ],
            ExpectedClose::fuzzer_closes_normally(),
            vec![
                send(FrameSpec::new(TEXT, "fragment1").fin(false).chop(chop)),
                send(FrameSpec::new(CONT, "fragment2").fin(false).chop(chop)),
                send(FrameSpec::new(PING, "pongme 1!").chop(chop)),
                Step::wait(1.0, None),
                send(FrameSpec::new(CONT, "fragment3").fin(false).chop(chop)),
                send(FrameSpec::new(CONT, "fragment4").fin(false).chop(chop)),
                send(FrameSpec::new(PING, "pongme 2!").chop(chop)),
                send(FrameSpec::new(CONT, "fragment5").chop(chop)),
                Step::close_after(1.0),
            ],
        ));
    }

    out
}
