//! Category H2, WebSockets over HTTP/2 streams (RFC 8441, wirecheck's own;
//! run only with `--http 2`). Every other case runs over RFC 8441 as it runs
//! over HTTP/1.1; these check what only HTTP/2 has: a WebSocket is one stream
//! of a shared connection, and "END_STREAM ... RST_STREAM" stand in for the
//! TCP FIN and RST (RFC 8441 §5), so a server that ends, resets or drops the
//! wrong thing breaks rules no HTTP/1.1 test can see.
//!
//! * H2.1, the stream's end: after the closing handshake the server ends its
//!   stream (RFC 6455 §5.5.1: "MUST close the underlying TCP connection");
//!   the client's END_STREAM ends one stream in order, not the connection
//!   (RFC 9113 §5.1); a stream the server fails (an unmasked frame, RFC 6455
//!   §5.1) takes no other stream with it (a stream error, RFC 9113 §5.4.2).
//! * H2.2, the extended CONNECT: a `:protocol` the server does not speak is
//!   refused (RFC 9220 §3 gives these semantics "identical to those in HTTP/2
//!   as defined in RFC 8441" and asks for 501); the 200 answer carries no
//!   connection-specific field (RFC 9113 §8.2.2).

use crate::ws::case::{Case, ExpectedClose, StreamCheck};

fn check(id: &str, description: &str, expectation: &str, check: StreamCheck) -> Case {
    Case::new(
        id,
        description,
        expectation,
        Vec::new(),
        ExpectedClose::fuzzer_closes_normally(),
        Vec::new(),
    )
    .stream_check(check)
}

pub(super) fn cases() -> Vec<Case> {
    vec![
        check(
            "H2.1.1",
            "Close the WebSocket normally (Close 1000), then wait for the server to end its HTTP/2 stream.",
            "The server answers the Close and ends its stream with END_STREAM (RFC 6455 §5.5.1, RFC 8441 §5: END_STREAM in place of the TCP FIN). A reset is NON-STRICT (the RST of an abnormal close); a stream never ended is FAILED.",
            StreamCheck::ServerEndsStream,
        ),
        check(
            "H2.1.2",
            "Open two WebSockets on one HTTP/2 connection; close the first with a closing handshake and END_STREAM, then send a text message on the second.",
            "The second WebSocket echoes the message: the client's END_STREAM ends one stream in order (RFC 9113 §5.1), not the connection.",
            StreamCheck::ClientEndKeepsConnection,
        ),
        check(
            "H2.1.3",
            "Open two WebSockets on one HTTP/2 connection; send an unmasked frame on the first (which the server must fail, RFC 6455 §5.1), then a text message on the second.",
            "The second WebSocket echoes the message: one stream's failure is a stream error (RFC 9113 §5.4.2), not a connection error.",
            StreamCheck::FailureIsolated,
        ),
        check(
            "H2.2.1",
            "Send an extended CONNECT with :protocol = wirecheck-unknown, a protocol the server cannot speak.",
            "The server refuses it: 501 (RFC 9220 §3, semantics as RFC 8441's), another non-2xx status, or RST_STREAM. Accepting it is NON-STRICT; failing the whole connection is FAILED.",
            StreamCheck::UnknownProtocolRefused,
        ),
        check(
            "H2.2.2",
            "Open a WebSocket by extended CONNECT and look at the 200 answer's header fields.",
            "No Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding or Upgrade field (RFC 9113 §8.2.2: a message with one is malformed).",
            StreamCheck::NoConnectionHeaders,
        ),
    ]
}
