//! Category S, security and robustness (wirecheck's own, DESIGN §5): what an
//! attacker sends a WebSocket server, each bounded in traffic and time, each
//! telling an operator what the finding means. RFC 6455 §10 asks servers to
//! check `Origin` where browsers connect (§10.2) and to "protect themselves
//! against exceeding" their limits (§10.4); how large a head or message to
//! take is the server's choice, so most of these cases judge that the server
//! answers promptly and stays up, not where its limits are.
//!
//! * S.1, Origin (§10.2, cross-site WebSocket hijacking): a foreign origin,
//!   `null`, a look-alike and the allowed origin, judged by
//!   `--origin-policy` (resolved in [`crate::ws::origin`]).
//! * S.2, heads (RFC 9110 §5.4, RFC 9112 §2.3): five thousand fields, a
//!   1 MiB field, and the header shapes of two published ReDoS advisories; the
//!   server may accept or refuse each, but must answer in time and open a
//!   textbook connection afterwards. And slowloris (S.2.5): a head that
//!   never ends, one byte every 5 s; INFORMATIONAL, the report says when the
//!   server gave up on it.
//! * S.3, fragment floods: a message in 1-byte frames. The RFC sets no limit:
//!   INFORMATIONAL, the report says whether the server echoed it or closed.
//! * S.4, decompression bombs (RFC 7692 with §10.4): a 256 KiB compressed
//!   message that inflates to 256 MiB of zeros must be refused (1009), not
//!   inflated and echoed.
//!
//! The heavy or slow variants (slowloris S.2.5, 30 s; a million fragments;
//! a 4 GiB bomb) run only under `--profile full`.

use super::{echo, message};
use crate::ws::case::{
    Case, Expect, ExpectedClose, Offer, OpeningSpec, OriginProbe, Payload, Scoring, Stall, Step,
};
use std::time::Duration;

/// An S.1 request with this `Origin` (set when the run resolves it).
fn origin(id: &str, what: &str, meaning: &str, probe: OriginProbe) -> Case {
    Case::new(
        id,
        format!("Send a textbook opening request with {what}, then the text message \"Hello\". RFC 6455 §10.2: \"Servers that are not intended to process input from any web page but only for certain sites SHOULD verify the |Origin| field is an origin they expect. If the origin indicated is unacceptable to the server, then it SHOULD respond to the WebSocket handshake with a reply containing HTTP 403 Forbidden status code.\""),
        format!("{meaning} Accepted, the server echoes \"Hello\"; refused, it answers any status but 101 (403 Forbidden, §10.2)."),
        vec![echo("Hello", false)],
        ExpectedClose::fuzzer_closes_normally(),
        vec![message("Hello", false, None), Step::kill_after(1.0)],
    )
    .opening(OpeningSpec {
        origin: Some(probe),
        ..OpeningSpec::textbook(Expect::Accept)
    })
}

/// An S.2 request: the textbook one with `extra` headers, which the server
/// may accept (then it echoes "Hello") or refuse, within `within` if given.
fn head(
    id: &str,
    what: String,
    meaning: &str,
    extra: Vec<(String, String)>,
    within: Option<Duration>,
) -> Case {
    let deadline = match within {
        Some(d) => format!(
            "within {} s (a linear parser needs milliseconds), and not 20 times slower (and 100 ms or more) than a textbook request on the same server",
            d.as_secs_f64()
        ),
        None => "within the opening handshake timeout".to_owned(),
    };
    Case::new(
        id,
        format!("Send a textbook opening request with {what}, then (if it is accepted) the text message \"Hello\"."),
        format!("{meaning} The server accepts the request (then echoes \"Hello\") or refuses it (431, 400, or closing the connection), {deadline}; then a textbook request on a new connection must open. No answer in time, or no answer to the next request, is FAILED."),
        vec![echo("Hello", false)],
        ExpectedClose::fuzzer_closes_normally(),
        vec![message("Hello", false, None), Step::kill_after(1.0)],
    )
    .opening(OpeningSpec {
        add: extra,
        answer_within: within,
        probe_after: true,
        ..OpeningSpec::textbook(Expect::Either)
    })
}

/// S.3: a text message of `n` ASCII bytes sent one byte per frame.
fn fragment_flood(id: &str, n: usize) -> Case {
    let text = vec![b'*'; n];
    Case::new(
        id,
        format!("Send a text message of {n} '*' as {n} frames of 1 byte and an empty final one, as Autobahn cuts messages (a text frame and {n} continuation frames), {} bytes on the wire. RFC 6455 §5.4 sets no limit on the number of fragments; every frame costs a receiver its header and bookkeeping, and one that copies the message so far at every fragment does quadratic work.", n * 7 + 6),
        "Informational: the report says whether the server echoed the message (within 10 s) or failed the connection, and with which code. A server that echoes it takes any number of fragments; one that answers with 1009 or 1008 has a fragment or frame-count limit.",
        vec![echo(text.clone(), false)],
        ExpectedClose::fuzzer_closes_normally(),
        vec![
            Step::Message {
                payload: Payload::exact(text),
                binary: false,
                fragment_size: Some(1),
            },
            Step::kill_after(10.0),
        ],
    )
    .scoring(Scoring::Informational)
    .no_wirelog()
    .alone()
}

/// S.4: a binary message of `inflated` zero bytes, compressed.
fn bomb(id: &str, inflated: usize, name: &str) -> Case {
    Case::new(
        id,
        format!("Offer permessage-deflate; once agreed, send one compressed binary message that inflates to {name} of zero bytes (DEFLATE packs about 1030 zeros into a byte: about {} KiB on the wire). RFC 6455 §10.4: implementations with limits on the message size \"MUST protect themselves against exceeding those limits\"; RFC 7692 §6 inflates a message whole before its size is known.", inflated / 1030 / 1024),
        format!("The server fails the connection with 1009 (message too big) while it inflates, and echoes nothing. A server that inflates {name} and echoes it lets every connection make it hold {name} for a few kilobytes sent: FAILED. A server that declines permessage-deflate is UNIMPLEMENTED."),
        vec![],
        ExpectedClose {
            closed_by_me: false,
            codes: vec![1009],
            require_clean: false,
            closed_by_wrong_endpoint_is_fatal: true,
        },
        vec![
            Step::Message {
                payload: Payload::repeat(Vec::new(), inflated),
                binary: true,
                fragment_size: None,
            },
            Step::kill_after(10.0),
        ],
    )
    .deflate_offers(vec![Offer::default()])
    .alone()
}

/// Cases S.1.1-S.4.2.
pub fn cases() -> Vec<Case> {
    let many_fields: Vec<(String, String)> = (0..5000)
        .map(|i| (format!("X-Wirecheck-{i}"), i.to_string()))
        .collect();
    vec![
        // S.1: Origin.
        origin(
            "S.1.1",
            "Origin: https://wirecheck.invalid (a site that is not the server's)",
            "Any web page a user visits can open this connection with the user's cookies if the server accepts a foreign origin; that is harmless for a public API without cookies (--origin-policy any) and cross-site WebSocket hijacking otherwise.",
            OriginProbe::Foreign,
        ),
        origin(
            "S.1.2",
            "Origin: null (what sandboxed iframes, file: pages and some redirects send, RFC 6454 §7.3)",
            "A server that allow-lists \"null\" accepts every sandboxed page on the web.",
            OriginProbe::Null,
        ),
        origin(
            "S.1.3",
            "an Origin whose host is the allowed origin's host followed by \".wirecheck.invalid\"",
            "A server that checks the origin with a prefix match (starts-with) accepts a domain anyone can register.",
            OriginProbe::LookAlike,
        ),
        origin(
            "S.1.4",
            "the allowed Origin (the target's own under --origin-policy same, the first listed under a list)",
            "The origin the server is meant to accept: refusing it breaks the site's own pages.",
            OriginProbe::Allowed,
        ),
        // S.2: heads.
        head(
            "S.2.1",
            "5000 extra header fields (X-Wirecheck-0: 0 ... X-Wirecheck-4999: 4999, about 100 KB)"
                .into(),
            "ws before 8.17.1 crashed on a request with more fields than Node's maxHeadersCount (GHSA-3h5v-q93c-6h6q): the fields after the 2000th were dropped, the key with them.",
            many_fields,
            None,
        ),
        head(
            "S.2.2",
            "one extra header field of 1 MiB (X-Wirecheck-Padding: 'a' x 1048576)".into(),
            "A server that reads any head whole holds a megabyte per connection before it has checked anything.",
            vec![("X-Wirecheck-Padding".into(), "a".repeat(1 << 20))],
            None,
        ),
        head(
            "S.2.3",
            "Sec-WebSocket-Protocol: \"b\" + 16000 spaces + \"x\"".into(),
            "The shape of CVE-2021-32640 (ws before 7.4.6, GHSA-6fc8-4gx4-v693): a regular expression splitting the list on / *, */ backtracks quadratically on a long run of spaces.",
            vec![(
                "Sec-WebSocket-Protocol".into(),
                format!("b{}x", " ".repeat(16000)),
            )],
            Some(Duration::from_secs(1)),
        ),
        head(
            "S.2.4",
            "Sec-WebSocket-Extensions: a; b=\" followed by 4000 pairs \\c and no closing quote"
                .into(),
            "The shape of GHSA-g78m-2chm-r7qv (websocket-extensions for Node and Ruby before 0.1.4/0.1.5, under faye-websocket): a parser of quoted strings that takes exponential time to reject an unclosed one.",
            vec![(
                "Sec-WebSocket-Extensions".into(),
                format!("a; b=\"{}", "\\c".repeat(4000)),
            )],
            Some(Duration::from_secs(1)),
        ),
        // Slowloris: the head never ends.
        Case::new(
            "S.2.5",
            "Send the first 64 bytes of a textbook opening request, then one more byte of it every 5 s, never its end, for up to 30 s (slowloris).",
            "Informational (no RFC sets a time limit on a head; RFC 9112 §9.5 lets a server close a connection at any time): the report says whether and when the server answered or closed. A server still waiting after 30 s keeps a connection for every such client, a few bytes each; a head timeout (in the server or a proxy in front) bounds them.",
            vec![],
            ExpectedClose::fuzzer_closes_normally(),
            vec![],
        )
        .opening(OpeningSpec {
            segments: &[64],
            stall: Some(Stall {
                interval: Duration::from_secs(5),
                total: Duration::from_secs(30),
            }),
            ..OpeningSpec::textbook(Expect::Either)
        })
        .scoring(Scoring::Informational)
        .full_profile(),
        // S.3: fragments.
        fragment_flood("S.3.1", 100_000),
        fragment_flood("S.3.2", 1_000_000).full_profile(),
        // S.4: decompression bombs.
        bomb("S.4.1", 256 << 20, "256 MiB"),
        bomb("S.4.2", 4 << 30, "4 GiB").full_profile(),
    ]
}
