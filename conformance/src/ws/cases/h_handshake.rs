//! Category H, the opening handshake (wirecheck's own, DESIGN §5): what
//! Autobahn cannot see, since it always sends the textbook request. RFC 6455
//! §4.2.1 lists what a server reads from the client's request, and: "If the
//! server, while reading the handshake, finds that the client did not send a
//! handshake that matches the description below (...), the server MUST stop
//! processing the client's handshake and return an HTTP response with an
//! appropriate error code (such as 400 Bad Request)". A server that upgrades
//! such a request runs a WebSocket connection nobody asked for in the RFC's
//! terms, and answers requests a browser would never send.
//!
//! Verdicts: a request the server must refuse is OK when it answers any
//! status but 101 (or closes the connection), FAILED when it upgrades (then
//! wirecheck closes with 1000). A valid request spelled in a way the RFC
//! allows (mixed case, token lists, whitespace, 1-byte segments) is OK when
//! the server upgrades and echoes a message, FAILED when it refuses. Where the
//! RFC leaves the choice (H.5.4) the verdict is INFORMATIONAL.

use super::{echo, message};
use crate::ws::case::{Case, Expect, ExpectedClose, OpeningSpec, Scoring, Step};

/// A request the server must refuse, described by `what` and the rule `rule`
/// (quoted).
fn refused(id: &str, what: &str, rule: &str, spec: OpeningSpec) -> Case {
    let mut expectation = "The server refuses the request: any status but 101 (400, 405, 426, 431, ...) or closing the connection. If it upgrades, the case is FAILED and wirecheck closes with 1000.".to_owned();
    if spec.refusal_lists_versions {
        expectation.push_str(" Its refusal carries a Sec-WebSocket-Version header naming 13 (426 Upgrade Required is the usual status); a refusal without it is FAILED.");
    }
    Case::new(
        id,
        format!("Send an opening request {what}. {rule}"),
        expectation,
        vec![],
        ExpectedClose::fuzzer_closes_normally(),
        // Only runs if the server wrongly upgrades (wirecheck then closes at
        // once); the timer bounds that close like any case's.
        vec![Step::kill_after(1.0)],
    )
    .opening(OpeningSpec {
        expect: Expect::Refuse,
        ..spec
    })
}

/// A valid request the server must accept; once open, a text message must be
/// echoed.
fn accepted(id: &str, what: &str, rule: &str, spec: OpeningSpec) -> Case {
    Case::new(
        id,
        format!("Send a valid opening request {what}, then the text message \"Hello\". {rule}"),
        "The server upgrades (101) and echoes \"Hello\"; wirecheck then closes with 1000, cleanly. A refusal is FAILED.".to_owned(),
        vec![echo("Hello", false)],
        ExpectedClose::fuzzer_closes_normally(),
        vec![message("Hello", false, None), Step::kill_after(1.0)],
    )
    .opening(OpeningSpec {
        expect: Expect::Accept,
        ..spec
    })
}

fn textbook() -> OpeningSpec {
    OpeningSpec::textbook(Expect::Accept)
}

fn set(name: &str, value: &str) -> OpeningSpec {
    OpeningSpec {
        set: vec![(name.into(), value.into())],
        ..textbook()
    }
}

fn without(name: &str) -> OpeningSpec {
    OpeningSpec {
        remove: vec![name.into()],
        ..textbook()
    }
}

/// A valid key (16 bytes, base64).
const KEY_16: &str = "AAECAwQFBgcICQoLDA0ODw==";

/// Offsets 1, 2, ..., 512: a request written one byte per TCP write.
const ONE_BYTE_WRITES: [usize; 512] = {
    let mut a = [0; 512];
    let mut i = 0;
    while i < 512 {
        a[i] = i + 1;
        i += 1;
    }
    a
};

/// Cases H.1.1-H.7.1.
pub fn cases() -> Vec<Case> {
    const GET_11: &str = "RFC 6455 §4.1: \"The method of the request MUST be GET, and the HTTP version MUST be at least 1.1.\"";
    const HOST: &str = "RFC 6455 §4.2.1: the request must have \"A |Host| header field containing the server's authority\"; RFC 9112 §3.2: \"A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1 request message that lacks a Host header field\".";
    const UPGRADE: &str = "RFC 6455 §4.2.1: \"An |Upgrade| header field containing the value \"websocket\", treated as an ASCII case-insensitive value.\"";
    const CONNECTION: &str = "RFC 6455 §4.2.1: \"A |Connection| header field that includes the token \"Upgrade\", treated as an ASCII case-insensitive value.\"";
    const KEY: &str = "RFC 6455 §4.2.1: \"A |Sec-WebSocket-Key| header field with a base64-encoded value that, when decoded, is 16 bytes in length.\"";
    const VERSION: &str =
        "RFC 6455 §4.2.1: \"A |Sec-WebSocket-Version| header field, with a value of 13.\"";
    vec![
        // H.1: the request line.
        refused(
            "H.1.1",
            "with the method POST",
            GET_11,
            OpeningSpec {
                method: "POST".into(),
                ..textbook()
            },
        ),
        refused(
            "H.1.2",
            "with the method HEAD",
            GET_11,
            OpeningSpec {
                method: "HEAD".into(),
                ..textbook()
            },
        ),
        refused(
            "H.1.3",
            "as HTTP/1.0",
            GET_11,
            OpeningSpec {
                version: "HTTP/1.0".into(),
                ..textbook()
            },
        ),
        // H.2: Host.
        refused("H.2.1", "without a Host header", HOST, without("Host")),
        // H.3: Upgrade and Connection, their tokens and spelling.
        refused(
            "H.3.1",
            "without an Upgrade header",
            UPGRADE,
            without("Upgrade"),
        ),
        refused(
            "H.3.2",
            "without a Connection header",
            CONNECTION,
            without("Connection"),
        ),
        refused(
            "H.3.3",
            "with \"Upgrade: h2c\" instead of websocket",
            UPGRADE,
            set("Upgrade", "h2c"),
        ),
        accepted(
            "H.3.4",
            "with \"Upgrade: WebSocket\" and \"Connection: UPGRADE\" (other letter cases)",
            UPGRADE,
            OpeningSpec {
                set: vec![
                    ("Upgrade".into(), "WebSocket".into()),
                    ("Connection".into(), "UPGRADE".into()),
                ],
                ..textbook()
            },
        ),
        accepted(
            "H.3.5",
            "with \"Connection: keep-alive, Upgrade\" (a token list, as Firefox sends)",
            CONNECTION,
            set("Connection", "keep-alive, Upgrade"),
        ),
        accepted(
            "H.3.6",
            "with optional whitespace around the tokens (\"Connection: keep-alive ,  Upgrade\", \"Upgrade:   websocket\")",
            "RFC 9110 §5.6.1: a list's elements are separated by commas with optional whitespace (OWS) around them; RFC 9112 §5.1: OWS around a field value is not part of it.",
            OpeningSpec {
                set: vec![
                    ("Connection".into(), "keep-alive ,  Upgrade".into()),
                    ("Upgrade".into(), "  websocket".into()),
                ],
                ..textbook()
            },
        ),
        // H.4: the key.
        refused(
            "H.4.1",
            "without Sec-WebSocket-Key",
            KEY,
            without("Sec-WebSocket-Key"),
        ),
        refused(
            "H.4.2",
            "with a Sec-WebSocket-Key that is not base64 (\"not base64 at all!\")",
            KEY,
            set("Sec-WebSocket-Key", "not base64 at all!"),
        ),
        refused(
            "H.4.3",
            "with a Sec-WebSocket-Key of 15 bytes (\"AQIDBAUGBwgJCgsMDQ4P\")",
            KEY,
            set("Sec-WebSocket-Key", "AQIDBAUGBwgJCgsMDQ4P"),
        ),
        refused(
            "H.4.4",
            "with Sec-WebSocket-Key given twice",
            "RFC 6455 §11.3.1: \"The |Sec-WebSocket-Key| header field MUST NOT appear more than once in an HTTP request.\"",
            // The same valid key twice: whichever the server reads, its
            // Accept matches, so an upgrade is seen as one.
            OpeningSpec {
                set: vec![("Sec-WebSocket-Key".into(), KEY_16.into())],
                add: vec![("Sec-WebSocket-Key".into(), KEY_16.into())],
                ..textbook()
            },
        ),
        // H.5: the version.
        refused(
            "H.5.1",
            "with \"Sec-WebSocket-Version: 99\" (a version no server understands)",
            "RFC 6455 §4.2.2: \"If this version does not match a version understood by the server, the server MUST abort the WebSocket handshake described in this section and instead send an appropriate HTTP error code (such as 426 Upgrade Required) and a |Sec-WebSocket-Version| header field indicating the version(s) the server is capable of understanding.\"",
            OpeningSpec {
                refusal_lists_versions: true,
                ..set("Sec-WebSocket-Version", "99")
            },
        )
        ,
        refused(
            "H.5.2",
            "without Sec-WebSocket-Version",
            VERSION,
            without("Sec-WebSocket-Version"),
        ),
        refused(
            "H.5.3",
            "with \"Sec-WebSocket-Version: 13, 8\" (a list; a request names one version)",
            "RFC 6455 §11.3.5: \"The |Sec-WebSocket-Version| header field MUST NOT appear more than once in an HTTP request\"; §4.1: its value \"MUST be 13\".",
            set("Sec-WebSocket-Version", "13, 8"),
        ),
        // RFC 6455 §4.4 lets a server support several versions; version 8
        // (draft hybi-08, what Chrome 14-15 sent) is one some still accept.
        refused(
            "H.5.4",
            "with \"Sec-WebSocket-Version: 8\" (draft hybi-08)",
            "RFC 6455 §4.4: a server may support several versions (\"Supporting Multiple Versions of WebSocket Protocol\"), so accepting draft version 8 is its choice; refusing it, it answers 426 with \"Sec-WebSocket-Version: 13\" (§4.2.2). Informational: the report says which.",
            OpeningSpec {
                refusal_lists_versions: true,
                ..set("Sec-WebSocket-Version", "8")
            },
        )
        .scoring(Scoring::Informational),
        // H.7: what the answer may select.
        accepted(
            "H.7.1",
            "offering the subprotocols \"wirecheck.one, wirecheck.two\" (Sec-WebSocket-Protocol)",
            "RFC 6455 §4.2.2 item 5.4 (/subprotocol/): \"Either a single value representing the subprotocol the server is ready to use or null. The value chosen MUST be derived from the client's handshake, specifically by selecting one of the values from the |Sec-WebSocket-Protocol| field\"; §4.1: a client MUST fail the connection if the answer names a subprotocol it did not offer. The server may select one of the two or none.",
            set("Sec-WebSocket-Protocol", "wirecheck.one, wirecheck.two"),
        ),
        // H.6: how the request arrives.
        accepted(
            "H.6.1",
            "written one byte per TCP write",
            "RFC 9112 §2.2: a message is a byte stream; a server must read the head however TCP splits it.",
            OpeningSpec {
                segments: &ONE_BYTE_WRITES,
                ..textbook()
            },
        ),
    ]
}
