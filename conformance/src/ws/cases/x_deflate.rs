//! Category X.5, permessage-deflate rules (wirecheck's own, RFC 7692) that
//! Autobahn's 12.x/13.x do not test: they only make valid offers and send
//! every message compressed.
//!
//! * X.5.1-X.5.4, offers a server must decline (§7.1): "A server MUST
//!   decline an extension negotiation offer for this extension if any of
//!   the following conditions are met: The negotiation offer contains an
//!   extension parameter not defined for use in an offer. The negotiation
//!   offer contains an extension parameter with an invalid value. The
//!   negotiation offer contains multiple extension parameters with the same
//!   name." Declining the offer is not refusing the handshake: the
//!   connection opens without the extension and "Hello" is echoed (a server
//!   that refuses the handshake is NON-STRICT).
//! * X.5.5, an uncompressed message (RSV1 clear) on a connection that agreed
//!   the extension is a valid message (§6: compression is per message).
//! * X.5.6, X.5.7: RSV1 on a continuation frame or a control frame (§6.1:
//!   the "Per-Message Compressed" bit is set only on the first frame of a
//!   data message) fails the connection.
//!
//! What the 13.x cases already check is not repeated: an answer with a
//! parameter the client did not offer fails the handshake in every case
//! (`validate_response`), and a server's window or context reset that does
//! not match the agreement makes wirecheck's inflation fail, which fails the
//! case.

use super::{CONT, PING, TEXT, echo, message, peer_fails_protocol, send};
use crate::ws::case::{Case, Ev, Expect, ExpectedClose, FrameSpec, Offer, OpeningSpec, Step};
use wirecheck_codec::ws::deflate::{Compressor, Direction};

/// An opening request whose permessage-deflate offer the server must decline.
fn must_decline(id: &str, offer: &str, why: &str) -> Case {
    Case::new(
        id,
        format!("Send an opening request offering \"Sec-WebSocket-Extensions: {offer}\" ({why}), then the text message \"Hello\". RFC 7692 §7.1: \"A server MUST decline an extension negotiation offer for this extension if\" the offer has a parameter not defined for an offer, an invalid value, or a parameter twice."),
        "The server opens the connection without permessage-deflate (no such element in its Sec-WebSocket-Extensions) and echoes \"Hello\". Accepting the offer is FAILED. Refusing the whole handshake is NON-STRICT: a declined offer leaves the connection to open without the extension (§5), and a client whose offer carries a parameter defined after its server was written gets no connection at all.",
        vec![echo("Hello", false)],
        ExpectedClose::fuzzer_closes_normally(),
        vec![message("Hello", false, None), Step::kill_after(1.0)],
    )
    .opening(OpeningSpec {
        set: vec![("Sec-WebSocket-Extensions".into(), offer.into())],
        decline_deflate: true,
        ..OpeningSpec::textbook(Expect::Accept)
    })
}

/// "Hello" compressed as the first message of a connection (RFC 7692 §7.2.1,
/// the tail removed), for the frames the script writes itself.
fn compressed_hello() -> Vec<u8> {
    let mut out = Vec::new();
    Compressor::new(Direction {
        no_context_takeover: false,
        max_window_bits: 15,
    })
    .compress(b"Hello", &mut out);
    out
}

/// A case on a connection that agreed permessage-deflate (the plain offer).
fn on_deflate(
    id: &str,
    description: &str,
    expectation: &str,
    ok: Vec<Ev>,
    close: ExpectedClose,
    steps: Vec<Step>,
) -> Case {
    Case::new(
        id,
        format!("Offer permessage-deflate; once agreed, {description}"),
        format!("{expectation} A server that declines permessage-deflate is UNIMPLEMENTED."),
        ok,
        close,
        steps,
    )
    .deflate_offers(vec![Offer::default()])
}

/// The server fails the connection with 1002 (or drops TCP); if wirecheck
/// has to close instead, the server never noticed.
fn fails_protocol() -> ExpectedClose {
    ExpectedClose {
        closed_by_wrong_endpoint_is_fatal: true,
        ..peer_fails_protocol()
    }
}

/// Cases X.5.1-X.5.7.
pub fn cases() -> Vec<Case> {
    const RSV1: u8 = 0b100;
    vec![
        must_decline(
            "X.5.1",
            "permessage-deflate; x-wirecheck-unknown",
            "a parameter RFC 7692 does not define",
        ),
        must_decline(
            "X.5.2",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "a parameter given twice",
        ),
        must_decline(
            "X.5.3",
            "permessage-deflate; server_max_window_bits=7",
            "a window below the 8-15 range of §7.1.2.1",
        ),
        must_decline(
            "X.5.4",
            "permessage-deflate; client_max_window_bits=16",
            "a window above the 8-15 range of §7.1.2.2",
        ),
        on_deflate(
            "X.5.5",
            "send the text message \"Hello\" uncompressed, in one frame with RSV1 clear. RFC 7692 §6: the extension compresses per message, and a message whose first frame has RSV1 clear is not compressed (§6.1).",
            "The server echoes \"Hello\" (compressed or not); wirecheck then closes with 1000, cleanly.",
            vec![echo("Hello", false)],
            ExpectedClose::fuzzer_closes_normally(),
            vec![send(FrameSpec::new(TEXT, "Hello")), Step::kill_after(1.0)],
        ),
        on_deflate(
            "X.5.6",
            "send \"Hello\" compressed in a text frame with RSV1 set and FIN clear, then an empty continuation frame with RSV1 set. RFC 7692 §6.1: \"An endpoint MUST NOT set the \"Per-Message Compressed\" bit of control frames and non-first fragments of a data message.\"",
            "The server fails the connection with 1002, or drops TCP. Echoing \"Hello\" is FAILED.",
            vec![],
            fails_protocol(),
            vec![
                send(
                    FrameSpec::new(TEXT, compressed_hello())
                        .rsv(RSV1)
                        .fin(false),
                ),
                send(FrameSpec::new(CONT, "").rsv(RSV1)),
                Step::kill_after(1.0),
            ],
        ),
        on_deflate(
            "X.5.7",
            "send a Ping with the payload \"Hello\" and RSV1 set. RFC 7692 §6.1: \"An endpoint MUST NOT set the \"Per-Message Compressed\" bit of control frames\".",
            "The server fails the connection with 1002, or drops TCP. A Pong is FAILED.",
            vec![],
            fails_protocol(),
            vec![
                send(FrameSpec::new(PING, "Hello").rsv(RSV1)),
                Step::kill_after(1.0),
            ],
        ),
    ]
}
