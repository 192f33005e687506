//! Differential tests of the server-side request checks against tungstenite 0.30.
//!
//! For generated requests (valid, and invalid in each way that matters), our
//! `RequestParser` + `Request::validate` and tungstenite's `accept` must agree on
//! accept/reject, after each *known* difference is normalised away. Each difference
//! has one normalising function in `support/handshake_oracle.rs`, named after what
//! tungstenite does, with the RFC line that decides who is right. Anything else that differs fails the test.
//!
//! What tungstenite 0.30 does (read from `src/handshake/server.rs`): method GET,
//! version >= 1.1, the **first** `Connection` line split on ' ' and ',' must contain
//! `Upgrade`, the **first** `Upgrade` line must equal `websocket` as a whole value,
//! the first `Sec-WebSocket-Version` must be exactly `13`, the first
//! `Sec-WebSocket-Key` must be 24 characters decoding to 16 bytes (0.29 did not check
//! the key at all; 0.30 does, so keys are no longer a difference). It does not look
//! at `Host`, `Sec-WebSocket-Protocol` or `Sec-WebSocket-Extensions`, it parses the
//! target with `http::Uri`, allows 124 headers, and rejects bytes after the request.
//!
//! The client side is compared on concrete cases (end of file): tungstenite's client
//! against our server, with the three client-side differences named (a `Connection`
//! token list, an unoffered extension, a 101 without a subprotocol when one was offered).

#[path = "support/handshake_oracle.rs"]
mod handshake_oracle;

use handshake_oracle::{Key, Mock, Spec, b64, check_spec, ours, tungstenite_accepts, unb64};
use proptest::prelude::*;
use wirecheck_codec::ws::handshake::{
    AcceptResponse, ClientRequest, RequestParser, ResponseParser, UpgradeRequest,
};

// ---------------------------------------------------------------------------------
// Request strategies (the oracle, `Spec` and the normalisations are in
// `support/handshake_oracle.rs`)
// ---------------------------------------------------------------------------------

fn lines<T: Clone + std::fmt::Debug + 'static>(
    good: T,
    others: Vec<T>,
) -> impl Strategy<Value = Vec<T>> {
    let g = good.clone();
    prop_oneof![
        6 => Just(vec![good]),
        3 => prop::sample::select(others.clone()).prop_map(|v| vec![v]),
        1 => Just(vec![]),
        1 => (prop::sample::select(others), any::<bool>())
            .prop_map(move |(o, first)| if first { vec![o, g.clone()] } else { vec![g.clone(), o] }),
    ]
}

fn key() -> impl Strategy<Value = Key> {
    prop_oneof![
        6 => any::<[u8; 16]>().prop_map(Key::Valid),
        1 => prop::collection::vec(any::<u8>(), 0..40).prop_map(|v| Key::Raw(b64(&v, true))),
        1 => any::<[u8; 16]>().prop_map(|v| Key::Raw(b64(&v, false))),
        1 => prop::sample::select(vec![
            "dGhlIHNhbXBsZSBub25jZR==", // non-canonical trailing bits
            "dGhlIHNhbXBsZSBub25jZQ!!",
            "AAAAAAAAAAAAAAAAAAAAAAAA", // 18 bytes
            "dGhlIHNhbXBsZSBub25jZQ==AAAA",
            "dGhlIHNhbXBsZSBub25j ZQ==",
        ]).prop_map(|s| Key::Raw(s.into())),
    ]
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        (
            prop_oneof![8 => Just("GET"), 1 => Just("POST"), 1 => Just("get"), 1 => Just("HEAD")],
            prop_oneof![8 => Just(1u8), 1 => Just(0u8)],
            prop_oneof![
                8 => Just("/chat"),
                2 => prop::sample::select(vec!["/", "/a/b?c=d", "http://h/chat", "*", "ws://h/chat", "chat"]),
            ],
            lines("server.example.com", vec!["", "[::1]:8080", "a b", "h/x", "other.example"]),
        ),
        (
            lines("websocket", vec!["WebSocket", "websocket, foo", "foo, websocket", "h2c", "", "websocket/13", "websocket foo", "websocket,"]),
            lines("Upgrade", vec!["upgrade", "keep-alive, Upgrade", "keep-alive,Upgrade", "keep-alive", "Upgrade, keep-alive", "keep-alive Upgrade", "keep-alive,\tUpgrade", "", "Upgrade;x"]),
            prop_oneof![
                8 => prop::collection::vec(key(), 1..=1),
                1 => Just(vec![]),
                1 => prop::collection::vec(key(), 2..=2),
            ],
            lines("13", vec!["8", "13, 8", "", "013", "14"]),
        ),
        (
            prop_oneof![3 => Just(vec![]), 1 => prop::sample::select(vec!["chat", "chat, superchat", "chat superchat", ",", "a;b"]).prop_map(|v| vec![v])],
            prop_oneof![3 => Just(vec![]), 1 => prop::sample::select(vec!["permessage-deflate; client_max_window_bits", "x, , y; a=\"b\"", "x; a=\"b c\"", "x;", "x y"]).prop_map(|v| vec![v])],
            prop_oneof![8 => 0usize..4, 1 => 60usize..70, 1 => 120usize..130],
        ),
    )
        .prop_map(|((method, minor, target, host), (upgrade, connection, key, version), (protocol, extensions, filler))| Spec {
            method, minor, target, host, upgrade, connection, key, version, protocol, extensions, filler,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn tungstenite_agrees_after_named_normalisations(spec in spec()) {
        check_spec(&spec).map_err(TestCaseError::fail)?;
    }
}

// ---------------------------------------------------------------------------------
// Each difference shown on one concrete request.
// ---------------------------------------------------------------------------------

fn base() -> Spec {
    Spec {
        method: "GET",
        minor: 1,
        target: "/chat",
        host: vec!["server.example.com"],
        upgrade: vec!["websocket"],
        connection: vec!["Upgrade"],
        key: vec![Key::Valid(*b"the sample nonce")],
        version: vec!["13"],
        protocol: vec![],
        extensions: vec![],
        filler: 0,
    }
}

/// (ours accepts, tungstenite accepts)
fn both(s: &Spec) -> (bool, bool) {
    (
        ours(&s.render()).is_ok(),
        tungstenite_accepts(&s.render()).0,
    )
}

#[test]
fn agree_on_the_rfc_sample() {
    assert_eq!(both(&base()), (true, true));
}

#[test]
fn divergence_missing_host_rfc6455_4_2_1_item_2() {
    let s = Spec {
        host: vec![],
        ..base()
    };
    assert_eq!(both(&s), (false, true));
    let s = Spec {
        host: vec!["a", "b"],
        ..base()
    };
    assert_eq!(both(&s), (false, true));
}

#[test]
fn divergence_upgrade_token_list_rfc6455_4_2_1_item_3() {
    let s = Spec {
        upgrade: vec!["websocket, foo"],
        ..base()
    };
    assert_eq!(both(&s), (true, false));
    let s = Spec {
        upgrade: vec!["h2c", "websocket"],
        ..base()
    };
    assert_eq!(both(&s), (true, false));
}

#[test]
fn divergence_connection_list_syntax_rfc7230_7() {
    let s = Spec {
        connection: vec!["keep-alive,\tUpgrade"],
        ..base()
    };
    assert_eq!(both(&s), (true, false));
    let s = Spec {
        connection: vec!["keep-alive Upgrade"],
        ..base()
    };
    assert_eq!(both(&s), (false, true));
    let s = Spec {
        connection: vec!["keep-alive", "Upgrade"],
        ..base()
    };
    assert_eq!(both(&s), (true, false));
}

#[test]
fn divergence_repeated_key_rfc6455_11_3_1() {
    let s = Spec {
        key: vec![Key::Valid([1; 16]), Key::Valid([2; 16])],
        ..base()
    };
    assert_eq!(both(&s), (false, true));
}

#[test]
fn divergence_malformed_subprotocol_list_rfc6455_4_2_1() {
    let s = Spec {
        protocol: vec!["chat superchat"],
        ..base()
    };
    assert_eq!(both(&s), (false, true));
}

#[test]
fn divergence_target_not_resource_name_rfc6455_4_2_1_item_1() {
    let s = Spec {
        target: "ws://h/chat",
        ..base()
    };
    assert_eq!(both(&s), (false, true));
}

#[test]
fn divergence_bytes_after_request_rfc6455_4_1() {
    // §4.1: a client "MUST wait for a response from the server before sending any
    // further data", so early bytes are the client's error, not the server's to
    // reject; we hand them to the frame layer (`consumed`), tungstenite fails with
    // JunkAfterRequest.
    let mut bytes = base().render();
    let head_len = bytes.len();
    bytes.extend_from_slice(b"\x81\x80abcd");
    let mut p = RequestParser::default();
    let parsed = p.feed(&bytes).unwrap().unwrap();
    assert_eq!(parsed.consumed, head_len);
    assert!(parsed.value.validate().is_ok());
    assert!(!tungstenite_accepts(&bytes).0);
}

#[test]
fn agree_key_must_decode_to_16_bytes_since_tungstenite_0_30() {
    // rust-ws.md §7 lists malformed keys as a difference for 0.29; 0.30 checks them
    // (length 24, decodes to 16 bytes), as RFC 6455 §4.2.1 item 5 requires.
    for k in [
        "AAAAAAAAAAAAAAAAAAAAAAAA",
        "dGhlIHNhbXBsZSBub25jZR==",
        "short",
        "",
    ] {
        let s = Spec {
            key: vec![Key::Raw(k.into())],
            ..base()
        };
        assert_eq!(both(&s), (false, false), "{k}");
    }
}

// ---------------------------------------------------------------------------------
// The other direction: tungstenite's client against our server.
// ---------------------------------------------------------------------------------

/// Runs tungstenite's client: its request must pass our server checks; `respond`
/// turns our view of that request into the response bytes it gets. Returns whether
/// tungstenite's client accepted them, and whether our client check did.
fn tungstenite_client_with(
    protocols: Option<&str>,
    respond: impl FnOnce(&UpgradeRequest) -> Vec<u8>,
) -> (bool, bool) {
    use tungstenite::client::IntoClientRequest;
    use tungstenite::handshake::HandshakeError as THE;
    let mut request = "ws://server.example.com/chat"
        .into_client_request()
        .unwrap();
    if let Some(p) = protocols {
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", p.parse().unwrap());
    }
    let mock = Mock::default();
    let mid = match tungstenite::client(request, mock.clone()) {
        Err(THE::Interrupted(mid)) => mid,
        Err(THE::Failure(e)) => panic!("{e}"),
        Ok(_) => panic!("cannot finish without a response"),
    };
    let sent = std::mem::take(&mut mock.0.borrow_mut().output);
    let mut parser = RequestParser::default();
    let up = parser
        .feed(&sent)
        .unwrap()
        .unwrap()
        .value
        .validate()
        .unwrap();
    let response = respond(&up);
    // Our client, offering what tungstenite's offered, with tungstenite's key.
    let ours_ok = {
        let key: [u8; 16] = {
            let mut k = [0u8; 16];
            let decoded = unb64(&up.key);
            k.copy_from_slice(&decoded);
            k
        };
        let mut req = ClientRequest::new(&up.host, &up.target, key);
        req.protocols = up.protocols.clone();
        let mut p = ResponseParser::default();
        p.feed(&response)
            .unwrap()
            .unwrap()
            .value
            .validate(&req)
            .is_ok()
    };
    {
        let mut p = mock.0.borrow_mut();
        p.input.extend(response);
        p.eof = true;
    }
    (mid.handshake().is_ok(), ours_ok)
}

fn our_101(protocol: bool) -> impl FnOnce(&UpgradeRequest) -> Vec<u8> {
    move |up| {
        let mut resp = AcceptResponse::new(up);
        if protocol {
            if let Some(p) = up.protocols.first() {
                resp = resp.protocol(p);
            }
        }
        resp.encode().unwrap()
    }
}

/// tungstenite's client request passes our checks, and our 101 passes its checks.
fn tungstenite_client_against_ours(protocols: Option<&str>, choose: bool) -> bool {
    let (theirs, ours) = tungstenite_client_with(protocols, our_101(choose));
    assert!(ours, "our client accepts our own 101");
    theirs
}

#[test]
fn tungstenite_client_accepts_our_101() {
    assert!(tungstenite_client_against_ours(None, false));
    assert!(tungstenite_client_against_ours(
        Some("chat, superchat"),
        true
    ));
}

#[test]
fn divergence_client_requires_a_subprotocol_when_offered_rfc6455_4_2_2_item_4() {
    // §4.2.2 item 4 /subprotocol/: the server may answer with "null" (no subprotocol);
    // tungstenite's client then fails (NoSubProtocol), ours accepts.
    assert!(!tungstenite_client_against_ours(Some("chat"), false));
    let req = ClientRequest::new("h", "/", [0; 16]).protocol("chat");
    let up = {
        let mut p = RequestParser::default();
        p.feed(&req.encode().unwrap())
            .unwrap()
            .unwrap()
            .value
            .validate()
            .unwrap()
    };
    let mut p = ResponseParser::default();
    let resp = p
        .feed(&AcceptResponse::new(&up).encode().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(resp.value.validate(&req).unwrap().protocol, None);
}

#[test]
fn divergence_client_connection_token_list_rfc6455_4_1_check_3() {
    // §4.1: the client fails if Connection "doesn't contain a token that is an ASCII
    // case-insensitive match for the value "Upgrade"": a list containing it is fine.
    // tungstenite's client compares the whole value and fails.
    let r = tungstenite_client_with(None, |up| {
        String::from_utf8(our_101(false)(up))
            .unwrap()
            .replace("Connection: Upgrade", "Connection: keep-alive, Upgrade")
            .into_bytes()
    });
    assert_eq!(r, (false, true));
}

#[test]
fn divergence_client_unoffered_extension_rfc6455_4_1_check_5() {
    // §4.1: an extension "not present in the client's handshake" means the client
    // MUST fail. tungstenite's client does not check (a TODO in its source).
    let r = tungstenite_client_with(None, |up| {
        String::from_utf8(our_101(false)(up))
            .unwrap()
            .replace(
                "\r\n\r\n",
                "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
            )
            .into_bytes()
    });
    assert_eq!(r, (true, false));
}

#[test]
fn agree_client_rejects_wrong_accept_and_unoffered_subprotocol() {
    let wrong_accept = |up: &UpgradeRequest| {
        String::from_utf8(our_101(false)(up))
            .unwrap()
            .replace(&up.accept_key(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
            .into_bytes()
    };
    assert_eq!(tungstenite_client_with(None, wrong_accept), (false, false));
    let other_protocol = |up: &UpgradeRequest| {
        String::from_utf8(our_101(false)(up))
            .unwrap()
            .replace("\r\n\r\n", "\r\nSec-WebSocket-Protocol: other\r\n\r\n")
            .into_bytes()
    };
    assert_eq!(
        tungstenite_client_with(Some("chat"), other_protocol),
        (false, false)
    );
}
