//! Category X, framing rules (wirecheck's own, DESIGN §5): what Autobahn
//! cannot see because its fuzzer always masks, always writes lengths in the
//! minimal form, stays far below any frame limit, and sends only the close
//! codes RFC 6455 lists (not the ones registered with IANA since).
//!
//! * X.1, masking (RFC 6455 §5.1, §5.3): an unmasked data or control frame
//!   from a client fails the connection; a masking key of all zeros is a key
//!   like any other.
//! * X.2, the payload length (§5.2): non-minimal 16- and 64-bit forms (the RFC
//!   binds the sender, not the receiver: INFORMATIONAL, the report says which
//!   the server does); a 64-bit length with its most significant bit set; a
//!   frame announcing 2^62 bytes, which a server must refuse at once rather
//!   than wait for (§10.4).
//! * X.3, close codes (§7.4): 1012-1014, registered in the IANA registry
//!   §11.7 set up, are valid and answered as 7.7.x's are; 1015 must never be
//!   sent in a Close frame, so it is refused as 7.9.x's 1005 and 1006 are;
//!   a Close with a code is answered with that code (§5.5.1: 7.7.x also take
//!   1000, X.3.5 says NON-STRICT to it).
//! * X.4, fail-fast UTF-8 (§8.1) inside one large frame whose first bytes
//!   are already invalid: 6.4.3/6.4.4 split a 21-byte frame, which a server
//!   may buffer whole; here the frame announces 64 KiB and the bad bytes come
//!   first.
//!
//! * X.6, a connection dropped without a Close in the middle of a message:
//!   the server must survive it (a textbook connection opens afterwards).
//!
//! What Autobahn already tests is not repeated: a 1-byte close payload
//! (7.3.2), a close between fragments (7.1.5), codes 1016 and 2999 (7.9.x).

use super::{BINARY, PING, TEXT, echo, fuzzer_closes, peer_fails_protocol, send};
use crate::ws::case::{
    Case, Ev, Expect, ExpectedClose, FrameSpec, LengthForm, Mask, OpeningSpec, Scoring, Step,
};

/// The text every case that expects an echo sends.
const HELLO: &str = "Hello";

/// Close codes registered in the IANA "WebSocket Close Code Number Registry"
/// after RFC 6455: 1012 Service Restart, 1013 Try Again Later, 1014 Bad
/// Gateway.
const REGISTERED_CODES: [(u16, &str); 3] = [
    (1012, "Service Restart"),
    (1013, "Try Again Later"),
    (1014, "Bad Gateway"),
];

/// The payload length X.4.1's frame announces: above what a server buffers
/// in one read, below any sane message limit.
const LARGE_FRAME: usize = 64 * 1024;

/// A frame the server must refuse by failing the connection with 1002 (or by
/// dropping TCP); `kill_after(1)` bounds a server that waits instead.
fn refused(id: &str, description: &str, rule: &str, frame: FrameSpec) -> Case {
    refused_with(id, description, rule, frame, peer_fails_protocol())
}

fn refused_with(
    id: &str,
    description: &str,
    rule: &str,
    frame: FrameSpec,
    close: ExpectedClose,
) -> Case {
    let codes = close
        .codes
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(" or ");
    Case::new(
        id,
        format!("{description} {rule}"),
        format!(
            "The server fails the connection at once: a Close with {codes}, or dropping TCP. Echoing anything, or waiting until wirecheck closes after 1 s, is FAILED."
        ),
        vec![],
        ExpectedClose {
            closed_by_wrong_endpoint_is_fatal: true,
            ..close
        },
        vec![send(frame), Step::kill_after(1.0)],
    )
}

/// A frame whose length is encoded in a longer form than needed: §5.2 says
/// the sender "MUST" use the minimal form, and leaves the receiver free.
fn non_minimal(id: &str, form: LengthForm, what: &str) -> Case {
    Case::new(
        id,
        format!("Send the text message \"Hello\" in one frame whose 5-byte length is written in the {what}. RFC 6455 §5.2: \"in all cases, the minimal number of bytes MUST be used to encode the length\": a rule for the sender; the RFC does not say what a receiver does with a longer form."),
        "Informational: the report says whether the server accepted the frame (echoing \"Hello\") or failed the connection.".to_owned(),
        vec![echo(HELLO, false)],
        fuzzer_closes(&[1000, 1002], false),
        vec![
            send(FrameSpec::new(TEXT, HELLO).length(form)),
            Step::kill_after(1.0),
        ],
    )
    .scoring(Scoring::Informational)
}

/// Cases X.1.1-X.6.2.
pub fn cases() -> Vec<Case> {
    const UNMASKED: &str = "RFC 6455 §5.1: \"The server MUST close the connection upon receiving a frame that is not masked. In this case, a server MAY send a Close frame with a status code of 1002 (protocol error)\".";
    let mut out = vec![
        // X.1: masking.
        refused(
            "X.1.1",
            "Send the text message \"Hello\" in an unmasked frame.",
            UNMASKED,
            FrameSpec::new(TEXT, HELLO).mask(Mask::None),
        ),
        refused(
            "X.1.2",
            "Send an unmasked Ping with the payload \"Hello\".",
            UNMASKED,
            FrameSpec::new(PING, HELLO).mask(Mask::None),
        ),
        Case::new(
            "X.1.3",
            "Send the text message \"Hello\" masked with the key 00 00 00 00. RFC 6455 §5.3: \"The masking key is a 32-bit value chosen at random by the client\": zero is one of those values, and the MASK bit, not the key, says the frame is masked (§5.2).",
            "The server echoes \"Hello\"; wirecheck then closes with 1000, cleanly.",
            vec![echo(HELLO, false)],
            ExpectedClose::fuzzer_closes_normally(),
            vec![
                send(FrameSpec::new(TEXT, HELLO).mask(Mask::Key([0; 4]))),
                Step::kill_after(1.0),
            ],
        ),
        // X.2: the payload length.
        non_minimal(
            "X.2.1",
            LengthForm::Extended16,
            "16-bit form (126, then 00 05)",
        ),
        non_minimal(
            "X.2.2",
            LengthForm::Extended64,
            "64-bit form (127, then 00 00 00 00 00 00 00 05)",
        ),
        // 1009 is accepted too: the length is malformed, and also more than
        // any server takes; either way the server refused the frame at once.
        refused_with(
            "X.2.3",
            "Send a text frame whose 64-bit payload length has its most significant bit set (80 00 00 00 00 00 00 05), followed by \"Hello\".",
            "RFC 6455 §5.2: \"If 127, the following 8 bytes interpreted as a 64-bit unsigned integer (the most significant bit MUST be 0) are the payload length.\"",
            FrameSpec::new(TEXT, HELLO)
                .length(LengthForm::Extended64)
                .announce((1 << 63) | 5),
            ExpectedClose {
                codes: vec![1002, 1009],
                ..peer_fails_protocol()
            },
        ),
        refused_with(
            "X.2.4",
            "Send the header of a binary frame announcing 2^62 bytes, followed by 5 of them.",
            "RFC 6455 §10.4: \"Implementations that have implementation- and/or platform-specific limitations regarding the frame size or total message size after reassembly from multiple frames MUST protect themselves against exceeding those limits.\" No server holds 2^62 bytes: one that waits for them leaves a connection open on a promise it cannot keep.",
            FrameSpec::new(BINARY, HELLO).announce(1 << 62),
            ExpectedClose {
                codes: vec![1009, 1002],
                ..ExpectedClose::peer_fails(1009)
            },
        ),
    ];

    // X.3: close codes, judged as 7.7.x (valid) and 7.9.x (invalid) judge
    // theirs: the fuzzer closes; a wrong code in the answer fails `behavior`.
    for (i, (code, name)) in REGISTERED_CODES.into_iter().enumerate() {
        out.push(
            Case::new(
                &format!("X.3.{}", i + 1),
                format!("Send a Close with the status code {code} ({name}) and no reason. RFC 6455 §7.4.2: codes 1000-2999 are \"reserved for definition by this protocol, its future revisions, and extensions specified in a permanent and readily available public specification\"; {code} is registered in the IANA registry of §11.7, so it is as valid as 1011. §5.5.1: the endpoint answering a Close \"typically echos the status code it received\"."),
                format!("The server answers with a Close with 1000 or {code} and closes TCP: a clean close, as 7.7.x expect for the codes RFC 6455 lists. Failing the connection with 1002 treats a registered code as invalid: FAILED."),
                vec![],
                fuzzer_closes(&[1000, code], true),
                vec![Step::close(code, ""), Step::kill_after(1.0)],
            )
            .scoring(Scoring::WrongCodeFails),
        );
    }
    out.push(
        Case::new(
            "X.3.4",
            "Send a Close with the status code 1015 (TLS handshake failure) and no reason. RFC 6455 §7.4.1: \"1015 is a reserved value and MUST NOT be set as a status code in a Close control frame by an endpoint\".",
            "The server fails the connection: a Close with 1002, or it drops TCP, as 7.9.x expect for 1005 and 1006. Echoing 1015 is FAILED.",
            vec![],
            fuzzer_closes(&[1002], false),
            vec![Step::close(1015, ""), Step::kill_after(1.0)],
        )
        .scoring(Scoring::WrongCodeFails),
    );

    // X.3.5: RFC 6455 §5.5.1, the answer echoes the code (7.7.x take 1000 too).
    out.push(
        Case::new(
            "X.3.5",
            "Send a Close with the status code 4000 and the reason \"bye\". RFC 6455 §5.5.1: \"If an endpoint receives a Close frame and did not previously send a Close frame, the endpoint MUST send a Close frame in response. (When sending a Close frame in response, the endpoint typically echos the status code it received.)\"",
            "The server answers with a Close carrying 4000 and closes TCP: OK. Another code it may send (1000, which 7.7.x accept) is NON-STRICT.",
            vec![],
            fuzzer_closes(&[4000, 1000], true),
            vec![Step::close(4000, "bye"), Step::kill_after(1.0)],
        )
        .scoring(Scoring::EchoesCloseCode),
    );

    // X.6: the connection ends without a closing handshake.
    out.push(
        Case::new(
            "X.6.1",
            "Send the first fragment \"Hel\" of a text message (FIN clear), then drop the TCP connection without a Close frame; then open a textbook connection. RFC 6455 §7.1.5: a connection can close without a closing handshake (\"_The WebSocket Connection Close Code_ is considered to be 1006\"); what the unfinished message held is the server's to free, and it keeps serving.",
            "The server echoes nothing, and a textbook connection opens afterwards. If it does not, the dropped connection crashed or wedged the server: FAILED.",
            vec![],
            ExpectedClose {
                closed_by_me: true,
                codes: vec![],
                require_clean: false,
                closed_by_wrong_endpoint_is_fatal: false,
            },
            vec![
                Step::kill_after(1.0),
                send(FrameSpec::new(TEXT, "Hel").fin(false)),
                Step::Drop,
            ],
        )
        .opening(OpeningSpec {
            probe_after: true,
            ..OpeningSpec::textbook(Expect::Accept)
        }),
    );
    out.push(Case::new(
        "X.6.2",
        "Send a text message that is not UTF-8 (ce ba e1 bd, a 4-byte sequence cut short), and right behind it, in the same write, the text message \"Hello\". The first makes the server fail the connection and send its Close (RFC 6455 §8.1); the second then arrives at a server that has closed. RFC 6455 §5.5.1: \"After sending a Close frame, the endpoint MUST NOT send any more data frames.\"",
        "The server fails the connection with 1007 and never echoes \"Hello\": neither before its Close (it must not process a message after the failing one) nor after it (FAILED, with the rule).",
        vec![],
        super::peer_fails_invalid_utf8(),
        vec![
            send(FrameSpec::new(TEXT, b"\xce\xba\xe1\xbd".to_vec())),
            send(FrameSpec::new(TEXT, HELLO)),
            Step::kill_after(1.0),
        ],
    ));

    // X.4: fail-fast UTF-8 inside one large frame.
    let mut bad_start = b"\xc0\xafHello".to_vec();
    bad_start.resize(64, b' ');
    out.push(
        Case::new(
            "X.4.1",
            format!("Send the header of a text frame announcing {LARGE_FRAME} bytes, then its first 64 bytes, which begin with c0 af (an overlong '/', never valid UTF-8); pause 1 s (timeout A); then the rest, all ASCII spaces. RFC 6455 §8.1: \"When an endpoint is to interpret a byte stream as UTF-8 but finds that the byte stream is not, in fact, a valid UTF-8 stream, that endpoint MUST _Fail the WebSocket Connection_.\""),
            "The server fails the connection (1007) as soon as the first bytes arrive, before timeout A. Failing only once the whole frame has arrived (timeout A recorded) is NON-STRICT: a server that buffers frames whole reads up to its frame limit of bytes it already knows are bad.",
            vec![],
            super::peer_fails_invalid_utf8(),
            vec![
                Step::BeginFrame {
                    opcode: TEXT,
                    fin: true,
                    total_len: LARGE_FRAME,
                },
                Step::FrameData(bad_start),
                Step::wait(1.0, Some("A")),
                Step::FrameData(vec![b' '; LARGE_FRAME - 64]),
                Step::kill_after(1.0),
            ],
        )
        .non_strict(vec![Ev::Timeout("A")]),
    );
    out
}
