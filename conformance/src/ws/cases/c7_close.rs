//! Category 7, Close Handling (37 cases): the closing handshake started by the
//! fuzzer. RFC 6455 §5.5.1: an endpoint that receives a Close it did not answer
//! yet MUST send a Close in response; a Close body, if any, starts with a 2-byte
//! status code, optionally followed by a UTF-8 reason; after the handshake the
//! server MUST close the TCP connection first (§7.1.1). §1.4/§5.5.1: after a
//! Close, data that arrives is discarded and no data frames are sent. §5.5: the
//! body is at most 125 bytes. §7.4: which status codes may appear in a Close.
//!
//! Autobahn only tests closes the fuzzer starts (its peer-initiated and timeout
//! variants are disabled), so every case expects the fuzzer to be the closer.
//! A WRONG CODE close makes `behavior` FAILED too, except in the informational
//! cases 7.1.6 and 7.13.x. Cases that send their own Close (or a Close-like frame)
//! suppress the fuzzer's automatic close. Every case arms `killAfter(1)`.

use super::{CLOSE, CONT, PING, TEXT, echo, fuzzer_closes, send};
use crate::ws::case::{Case, ExpectedClose, FrameSpec, Scoring, Step};

/// The text payload of 7.1.x.
const HELLO: &str = "Hello World!";

/// Status codes RFC 6455 §7.4 lets a peer send (7.7.1-7.7.13): the boundaries of
/// the defined codes and of the registered (3000-3999) and private (4000-4999)
/// ranges.
const VALID_CODES: [u16; 13] = [
    1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999,
];

/// Status codes a peer must not send (7.9.1-7.9.9): 0-999 are unused; 1004 is
/// reserved; 1005 and 1006 MUST NOT be set in a Close frame (§7.4.1); 1016, 1100,
/// 2000 and 2999 are in the range reserved for this protocol and undefined.
const INVALID_CODES: [u16; 9] = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999];

/// Codes outside every range §7.4.2 defines (7.13.1, 7.13.2).
const UNDEFINED_CODES: [u16; 2] = [5000, 65535];

/// A Close body with this code and these raw reason bytes.
fn close_body(code: u16, reason: &[u8]) -> Vec<u8> {
    let mut body = code.to_be_bytes().to_vec();
    body.extend_from_slice(reason);
    body
}

/// A case of this category: `killAfter(1)` ends the script; a wrong close code
/// fails `behavior` too.
fn close_case(
    id: &str,
    description: impl Into<String>,
    expectation: impl Into<String>,
    close: ExpectedClose,
    mut steps: Vec<Step>,
) -> Case {
    steps.push(Step::kill_after(1.0));
    Case::new(id, description, expectation, vec![], close, steps).scoring(Scoring::WrongCodeFails)
}

/// Cases 7.1.1-7.13.2.
pub fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let clean_1000 =
        "The server answers with a Close (1000) and closes TCP: a clean close with code 1000.";

    // RFC 6455 §5.5.1: the peer answers the fuzzer's Close (sent automatically
    // once the echo arrives) with a Close, then closes TCP.
    let mut c = close_case(
        "7.1.1",
        "Send a text message \"Hello World!\"; once it is echoed, the fuzzer closes with 1000.",
        "The server echoes the message, then answers the Close with 1000 and closes TCP: a clean close.",
        ExpectedClose::fuzzer_closes_normally(),
        vec![send(FrameSpec::new(TEXT, HELLO))],
    );
    c.expected.ok = vec![echo(HELLO, false)];
    out.push(c);

    // RFC 6455 §1.4/§5.5.1: after the close handshake has started, further frames
    // (a second Close, a Ping, data) are discarded: no second Close is answered,
    // no Pong, no echo.
    for (id, what, after) in [
        (
            "7.1.2",
            "a second, empty Close frame",
            FrameSpec::new(CLOSE, ""),
        ),
        ("7.1.3", "a Ping", FrameSpec::new(PING, "")),
        (
            "7.1.4",
            "a text message \"Hello World!\"",
            FrameSpec::new(TEXT, HELLO),
        ),
    ] {
        out.push(
            close_case(
                id,
                format!("Send a Close with 1000, then {what}."),
                format!("{clean_1000} Whatever follows the Close is ignored."),
                ExpectedClose::fuzzer_closes_normally(),
                vec![Step::close(1000, ""), send(after)],
            )
            .suppress_close(),
        );
    }

    // RFC 6455 §5.5.1/§5.4: a Close may arrive between the fragments of a message;
    // the unfinished message is dropped and the later fragment ignored.
    out.push(
        close_case(
            "7.1.5",
            "Send the first fragment \"fragment1\" of a text message (FIN clear), then a Close with 1000, then the final fragment \"fragment2\".",
            format!("{clean_1000} The unfinished message is not echoed."),
            ExpectedClose::fuzzer_closes_normally(),
            vec![
                send(FrameSpec::new(TEXT, "fragment1").fin(false)),
                Step::close(1000, ""),
                send(FrameSpec::new(CONT, "fragment2")),
            ],
        )
        .suppress_close(),
    );

    // RFC 6455 §5.5.1 leaves open whether data received before a Close is still
    // processed (echoed) when the Close is processed first: INFORMATIONAL. The
    // strict outcome (the short message echoed before the close) and the other
    // (no echo) are both reported.
    let mut c = close_case(
        "7.1.6",
        "Send a text message of 262144 bytes (\"BAsd7&jh23\" repeated), a text message \"Hello World!\", a Close with 1000 and a Ping, back to back.",
        "Implementation-defined: a server that processes the Close before it has finished writing the echo of the large message may drop the echoes. Reported as informational, saying whether \"Hello World!\" was echoed before the close.",
        ExpectedClose::fuzzer_closes_normally(),
        vec![
            send(FrameSpec::new(TEXT, "BAsd7&jh23").repeat_to(256 * 1024)),
            send(FrameSpec::new(TEXT, HELLO)),
            Step::close(1000, ""),
            send(FrameSpec::new(PING, "")),
        ],
    );
    c.expected.ok = vec![echo(HELLO, false)];
    out.push(
        c.non_strict(vec![])
            .suppress_close()
            .scoring(Scoring::Informational),
    );

    // RFC 6455 §5.5.1: a Close may have no body; the answer then carries no code
    // or 1000.
    out.push(
        close_case(
            "7.3.1",
            "Send a Close with an empty body (no status code, no reason).",
            "The server answers with a Close (empty or 1000) and closes TCP: a clean close.",
            ExpectedClose::fuzzer_closes_normally(),
            vec![Step::Close(vec![])],
        )
        .suppress_close(),
    );

    // RFC 6455 §5.5.1: a body, if present, MUST start with a 2-byte status code; a
    // 1-byte body is a protocol error. (Autobahn sends `sendCloseFrame` with the
    // reason "a" and no code: the body is the single byte 0x61.)
    out.push(
        close_case(
            "7.3.2",
            "Send a Close whose body is the single byte \"a\" (too short for a status code).",
            "The server fails the connection: a Close with 1002, or it drops TCP. The close need not be clean.",
            fuzzer_closes(&[1002], false),
            vec![Step::Close(b"a".to_vec())],
        )
        .suppress_close(),
    );

    // RFC 6455 §5.5.1: a body of just a status code, with and without a UTF-8
    // reason, up to the 125-byte limit of §5.5 (2 + 123 bytes).
    for (id, what, reason) in [
        (
            "7.3.3",
            "a status code of 1000 and no reason".to_owned(),
            String::new(),
        ),
        (
            "7.3.4",
            "1000 and the reason \"Hello World!\"".to_owned(),
            HELLO.to_owned(),
        ),
        (
            "7.3.5",
            "1000 and a reason of 123 '*' (a 125-byte body, the largest allowed)".to_owned(),
            "*".repeat(123),
        ),
    ] {
        out.push(
            close_case(
                id,
                format!("Send a Close with {what}."),
                clean_1000,
                ExpectedClose::fuzzer_closes_normally(),
                vec![Step::close(1000, &reason)],
            )
            .suppress_close(),
        );
    }

    // RFC 6455 §5.5: a control frame payload MUST be at most 125 bytes; this body is
    // 126 bytes (1000 and 124 '*'), sent with a 16-bit length.
    out.push(
        close_case(
            "7.3.6",
            "Send a Close with 1000 and a reason of 124 '*': a 126-byte body, one more than a control frame may carry.",
            "The server fails the connection: a Close with 1002, or it drops TCP. The close need not be clean.",
            fuzzer_closes(&[1002], false),
            vec![Step::Close(close_body(1000, "*".repeat(124).as_bytes()))],
        )
        .suppress_close(),
    );

    // RFC 6455 §5.5.1: the reason is UTF-8; §8.1: invalid UTF-8 MUST fail the
    // connection (1002 or 1007 accepted).
    let bad_reason: &[u8] = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited";
    out.push(
        close_case(
            "7.5.1",
            "Send a Close with 1000 and a reason that is not valid UTF-8 (\"κόσμε\", the encoded surrogate U+D800, \"edited\": 0xcebae1bdb9cf83cebcceb5eda080656469746564).",
            "The server fails the connection: a Close with 1002 or 1007, or it drops TCP. The close need not be clean.",
            fuzzer_closes(&[1002, 1007], false),
            vec![Step::Close(close_body(1000, bad_reason))],
        )
        .suppress_close(),
    );

    // RFC 6455 §7.4.1/§7.4.2: codes a peer may send; §5.5.1: the answer typically
    // echoes the code, and 1000 is accepted too.
    for (i, code) in VALID_CODES.into_iter().enumerate() {
        out.push(close_case(
            &format!("7.7.{}", i + 1),
            format!("Send a Close with the valid status code {code} and no reason."),
            format!(
                "The server answers with a Close with 1000 or {code} and closes TCP: a clean close."
            ),
            fuzzer_closes(&[1000, code], true),
            vec![Step::close(code, "")],
        ));
    }

    // RFC 6455 §7.4.1/§7.4.2: codes that must not appear in a Close; receiving one
    // is a protocol error.
    for (i, code) in INVALID_CODES.into_iter().enumerate() {
        out.push(close_case(
            &format!("7.9.{}", i + 1),
            format!("Send a Close with the invalid status code {code} and no reason."),
            "The server fails the connection: a Close with 1002, or it drops TCP. The close need not be clean.",
            fuzzer_closes(&[1002], false),
            vec![Step::close(code, "")],
        ));
    }

    // RFC 6455 §7.4.2 defines codes 0-4999 only; what a peer does with 5000 or
    // 65535 is not specified: INFORMATIONAL (1000, the code, and 1002 listed).
    for (i, code) in UNDEFINED_CODES.into_iter().enumerate() {
        out.push(
            close_case(
                &format!("7.13.{}", i + 1),
                format!("Send a Close with the status code {code}, outside every range RFC 6455 defines."),
                "Not specified by RFC 6455; reported as informational (a Close with 1000, the same code, or 1002 would be the usual answers).",
                fuzzer_closes(&[1000, code, 1002], false),
                vec![Step::close(code, "")],
            )
            .suppress_close()
            .scoring(Scoring::Informational),
        );
    }

    out
}
