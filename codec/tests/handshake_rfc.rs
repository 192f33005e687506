//! One test per requirement of RFC 6455 §4 (and the HTTP rules it leans on), named
//! after the section that states it, so a reviewer can check each against the RFC.

use wirecheck_codec::ws::handshake::{
    AcceptResponse, Accepted, ClientRequest, Extension, HandshakeError, HandshakeErrorKind as K,
    HandshakeLimits, RequestParser, ResponseParser, UpgradeRequest, accept_key, error_response,
};

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// The headers of a valid request (RFC 6455 §1.3 example), as (name, value) pairs.
fn base_headers() -> Vec<(&'static str, &'static str)> {
    vec![
        ("Host", "server.example.com"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", KEY),
        ("Origin", "http://example.com"),
        ("Sec-WebSocket-Version", "13"),
    ]
}

fn render(start: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut s = format!("{start}\r\n");
    for (n, v) in headers {
        s.push_str(&format!("{n}: {v}\r\n"));
    }
    s.push_str("\r\n");
    s.into_bytes()
}

fn serve(bytes: &[u8]) -> Result<UpgradeRequest, HandshakeError> {
    let mut p = RequestParser::default();
    p.feed(bytes)?.expect("complete head").value.validate()
}

/// The request with header `name` removed.
fn without(name: &str) -> Vec<u8> {
    let h: Vec<_> = base_headers()
        .into_iter()
        .filter(|(n, _)| *n != name)
        .collect();
    render("GET /chat HTTP/1.1", &h)
}

/// The request with header `name` set to `value` (replaced, or added).
fn with(name: &'static str, value: &'static str) -> Vec<u8> {
    let mut h = base_headers();
    match h.iter_mut().find(|(n, _)| *n == name) {
        Some(e) => e.1 = value,
        None => h.push((name, value)),
    }
    render("GET /chat HTTP/1.1", &h)
}

/// The request with `name: value` added as one more line.
fn plus(name: &'static str, value: &'static str) -> Vec<u8> {
    let mut h = base_headers();
    h.push((name, value));
    render("GET /chat HTTP/1.1", &h)
}

fn kind(r: Result<UpgradeRequest, HandshakeError>) -> K {
    r.expect_err("must be rejected").kind()
}

fn status(r: Result<UpgradeRequest, HandshakeError>) -> Option<u16> {
    r.expect_err("must be rejected").status()
}

fn client_check(req: &ClientRequest, resp: &str) -> Result<Accepted, HandshakeError> {
    let mut p = ResponseParser::default();
    p.feed(resp.as_bytes())?
        .expect("complete head")
        .value
        .validate(req)
}

fn response_for(req: &ClientRequest, extra: &[&str]) -> String {
    let mut s = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n",
        req.expected_accept()
    );
    for l in extra {
        s.push_str(l);
        s.push_str("\r\n");
    }
    s.push_str("\r\n");
    s
}

// ---- §1.3 / §4.2.2 item 5.4: the accept key ----

#[test]
fn rfc6455_1_3_worked_example_key_and_accept() {
    assert_eq!(accept_key(KEY.as_bytes()), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    let up = serve(&render("GET /chat HTTP/1.1", &base_headers())).unwrap();
    let resp = String::from_utf8(AcceptResponse::new(&up).encode().unwrap()).unwrap();
    assert!(resp.contains("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
}

// ---- §4.1: what the client sends ----

#[test]
fn rfc6455_4_1_items_1_to_9_client_request_shape() {
    let req = ClientRequest::new("server.example.com", "/chat", *b"the sample nonce")
        .origin("http://example.com");
    let s = String::from_utf8(req.encode().unwrap()).unwrap();
    // items 1-3: a valid HTTP/1.1 GET of the /resource name/.
    assert!(s.starts_with("GET /chat HTTP/1.1\r\n"));
    // item 4: Host; item 5: Upgrade; item 6: Connection.
    assert!(s.contains("\r\nHost: server.example.com\r\n"));
    assert!(s.contains("\r\nUpgrade: websocket\r\n"));
    assert!(s.contains("\r\nConnection: Upgrade\r\n"));
    // item 7: the base64 of the 16-byte nonce (§4.1's own example nonce).
    assert!(s.contains("\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"));
    // item 8: Origin when given; item 9: version 13.
    assert!(s.contains("\r\nOrigin: http://example.com\r\n"));
    assert!(s.contains("\r\nSec-WebSocket-Version: 13\r\n"));
    assert!(s.ends_with("\r\n\r\n"));
}

#[test]
fn rfc6455_4_1_item_10_subprotocols_are_unique_tokens() {
    let base = || ClientRequest::new("h", "/", [0; 16]);
    assert!(
        base()
            .protocol("chat")
            .protocol("superchat")
            .encode()
            .is_ok()
    );
    assert_eq!(
        base()
            .protocol("a")
            .protocol("a")
            .encode()
            .unwrap_err()
            .kind(),
        K::InvalidProtocol
    );
    assert_eq!(
        base().protocol("a,b").encode().unwrap_err().kind(),
        K::InvalidProtocol
    );
    assert_eq!(
        base().protocol("").encode().unwrap_err().kind(),
        K::InvalidProtocol
    );
}

#[test]
fn rfc6455_4_1_item_12_extra_headers_cannot_inject() {
    let r = ClientRequest::new("h", "/", [0; 16]).header("X-A", "1\r\nSec-WebSocket-Version: 8");
    assert_eq!(r.encode().unwrap_err().kind(), K::InvalidHeaderField);
}

// ---- §4.1: the client's six response checks ----

#[test]
fn rfc6455_4_1_check_1_status_must_be_101() {
    let req = ClientRequest::new("h", "/", [0; 16]);
    let e = client_check(&req, "HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n").unwrap_err();
    assert_eq!(e.kind(), K::NotSwitchingProtocols { status: 302 });
}

#[test]
fn rfc6455_4_1_check_2_upgrade_must_be_websocket() {
    let req = ClientRequest::new("h", "/", [0; 16]);
    let ok = response_for(&req, &[]).replace("Upgrade: websocket", "Upgrade: WebSocket");
    assert!(client_check(&req, &ok).is_ok(), "case-insensitive");
    for bad in [
        "Upgrade: h2c",
        "Upgrade: websocket, h2c",
        "X-Upgrade: websocket",
    ] {
        let r = response_for(&req, &[]).replace("Upgrade: websocket", bad);
        assert_eq!(
            client_check(&req, &r).unwrap_err().kind(),
            K::ResponseUpgrade,
            "{bad}"
        );
    }
}

#[test]
fn rfc6455_4_1_check_3_connection_must_contain_upgrade() {
    let req = ClientRequest::new("h", "/", [0; 16]);
    let ok =
        response_for(&req, &[]).replace("Connection: Upgrade", "Connection: keep-alive, upgrade");
    assert!(client_check(&req, &ok).is_ok(), "token in a list");
    for bad in ["Connection: keep-alive", "X: y"] {
        let r = response_for(&req, &[]).replace("Connection: Upgrade", bad);
        assert_eq!(
            client_check(&req, &r).unwrap_err().kind(),
            K::ResponseConnection,
            "{bad}"
        );
    }
}

#[test]
fn rfc6455_4_1_check_4_accept_must_match_exactly() {
    let req = ClientRequest::new("h", "/", [0; 16]);
    let good = req.expected_accept();
    let lower = good.to_ascii_lowercase();
    for bad in [lower.as_str(), "", "x"] {
        let r = response_for(&req, &[]).replace(&good, bad);
        assert_eq!(
            client_check(&req, &r).unwrap_err().kind(),
            K::AcceptMismatch,
            "{bad:?}"
        );
    }
    // §11.3.3: not more than once.
    let dup = format!("Sec-WebSocket-Accept: {good}");
    let r = response_for(&req, &[&dup]);
    assert_eq!(
        client_check(&req, &r).unwrap_err().kind(),
        K::AcceptMismatch
    );
}

#[test]
fn rfc6455_4_1_check_5_extensions_only_from_offer() {
    let req = ClientRequest::new("h", "/", [0; 16]).extension(Extension::new("permessage-deflate"));
    let ok = response_for(
        &req,
        &["Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover"],
    );
    assert_eq!(client_check(&req, &ok).unwrap().extensions.len(), 1);
    let bad = response_for(&req, &["Sec-WebSocket-Extensions: x-other"]);
    assert_eq!(
        client_check(&req, &bad).unwrap_err().kind(),
        K::ResponseExtension
    );
    let none = ClientRequest::new("h", "/", [0; 16]);
    let bad = response_for(&none, &["Sec-WebSocket-Extensions: permessage-deflate"]);
    assert_eq!(
        client_check(&none, &bad).unwrap_err().kind(),
        K::ResponseExtension
    );
}

#[test]
fn rfc6455_4_1_check_6_subprotocol_only_from_offer() {
    let req = ClientRequest::new("h", "/", [0; 16])
        .protocol("chat")
        .protocol("superchat");
    let ok = response_for(&req, &["Sec-WebSocket-Protocol: superchat"]);
    assert_eq!(
        client_check(&req, &ok).unwrap().protocol.as_deref(),
        Some("superchat")
    );
    // No subprotocol chosen is fine (§4.2.2 item 4 /subprotocol/: "null").
    assert_eq!(
        client_check(&req, &response_for(&req, &[]))
            .unwrap()
            .protocol,
        None
    );
    for bad in [
        &["Sec-WebSocket-Protocol: other"][..],
        &["Sec-WebSocket-Protocol: chat, superchat"],
        &[
            "Sec-WebSocket-Protocol: chat",
            "Sec-WebSocket-Protocol: chat",
        ],
        &["Sec-WebSocket-Protocol: CHAT"],
    ] {
        let r = response_for(&req, bad);
        assert_eq!(
            client_check(&req, &r).unwrap_err().kind(),
            K::ResponseProtocol,
            "{bad:?}"
        );
    }
}

#[test]
fn rfc8441_5_a_2xx_answer_is_checked_by_checks_5_and_6_only() {
    // An extended CONNECT's answer has no Upgrade, Connection or Accept
    // (RFC 8441 §5); what it agrees to must still have been offered.
    let answer = |lines: &str| {
        let head = format!("HTTP/1.1 200 OK\r\n{lines}\r\n");
        ResponseParser::default()
            .feed(head.as_bytes())
            .unwrap()
            .expect("complete head")
            .value
    };
    let protocols = ["chat".to_owned()];
    let offered = [Extension::new("permessage-deflate")];
    let ok =
        answer("Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Extensions: permessage-deflate\r\n");
    let agreed = ok.agreement(&protocols, &offered).unwrap();
    assert_eq!(agreed.protocol.as_deref(), Some("chat"));
    assert_eq!(agreed.extensions.len(), 1);
    assert_eq!(answer("").agreement(&[], &[]).unwrap().protocol, None);
    // The same answer to a request that offered neither: check 5 first.
    assert_eq!(
        ok.agreement(&[], &[]).unwrap_err().kind(),
        K::ResponseExtension
    );
    assert_eq!(
        answer("Sec-WebSocket-Protocol: chat\r\n")
            .agreement(&[], &offered)
            .unwrap_err()
            .kind(),
        K::ResponseProtocol
    );
}

// ---- §4.2.1: the server's checks of the request ----

#[test]
fn rfc6455_4_2_1_sample_request_is_accepted() {
    let up = serve(&render("GET /chat HTTP/1.1", &base_headers())).unwrap();
    assert_eq!(up.host, "server.example.com");
    assert_eq!(up.key, KEY);
}

#[test]
fn rfc6455_4_2_1_item_1_method_must_be_get() {
    let r = serve(&render("POST /chat HTTP/1.1", &base_headers()));
    assert_eq!(kind(r.clone()), K::MethodNotGet);
    assert_eq!(status(r), Some(405));
    assert_eq!(
        kind(serve(&render("get /chat HTTP/1.1", &base_headers()))),
        K::MethodNotGet
    );
}

#[test]
fn rfc6455_4_2_1_item_1_http_1_1_or_higher() {
    let r = serve(&render("GET /chat HTTP/1.0", &base_headers()));
    assert_eq!(kind(r), K::HttpVersionTooOld);
    // HTTP/2 is not HTTP/1.x syntax at all.
    assert_eq!(
        kind(serve(&render("GET /chat HTTP/2.0", &base_headers()))),
        K::MalformedHttp
    );
}

#[test]
fn rfc6455_4_2_1_item_1_request_uri_is_resource_name_or_http_uri() {
    for ok in [
        "/",
        "/chat?x=1",
        "http://server.example.com/chat",
        "HTTPS://h/",
    ] {
        assert!(
            serve(&render(&format!("GET {ok} HTTP/1.1"), &base_headers())).is_ok(),
            "{ok}"
        );
    }
    for bad in ["*", "chat", "ws://h/chat", "/chat#frag"] {
        let r = serve(&render(&format!("GET {bad} HTTP/1.1"), &base_headers()));
        assert_eq!(kind(r), K::BadRequestTarget, "{bad}");
    }
}

#[test]
fn rfc6455_4_2_1_item_2_host_required() {
    assert_eq!(kind(serve(&without("Host"))), K::BadHost);
    assert_eq!(status(serve(&without("Host"))), Some(400));
}

#[test]
fn rfc7230_5_4_host_once_and_valid() {
    assert_eq!(kind(serve(&plus("Host", "other.example.com"))), K::BadHost);
    assert_eq!(kind(serve(&with("Host", ""))), K::BadHost);
    assert_eq!(kind(serve(&with("Host", "a b"))), K::BadHost);
    assert_eq!(kind(serve(&with("Host", "a/b"))), K::BadHost);
    assert!(serve(&with("Host", "[::1]:8080")).is_ok());
}

#[test]
fn rfc6455_4_2_1_item_3_upgrade_websocket_required() {
    assert_eq!(kind(serve(&without("Upgrade"))), K::NoUpgradeWebSocket);
    assert_eq!(kind(serve(&with("Upgrade", "h2c"))), K::NoUpgradeWebSocket);
    assert_eq!(
        kind(serve(&with("Upgrade", "websocket/13"))),
        K::NoUpgradeWebSocket
    );
    assert_eq!(
        kind(serve(&with("Upgrade", "web socket"))),
        K::NoUpgradeWebSocket
    );
    // "treated as an ASCII case-insensitive value", a token in an RFC 7230 §6.7 list.
    assert!(serve(&with("Upgrade", "WebSocket")).is_ok());
    assert!(serve(&with("Upgrade", "h2c, websocket")).is_ok());
    assert!(serve(&with("Upgrade", "websocket, foo/2")).is_ok());
}

#[test]
fn rfc6455_4_2_1_item_4_connection_upgrade_required() {
    assert_eq!(kind(serve(&without("Connection"))), K::NoConnectionUpgrade);
    assert_eq!(
        kind(serve(&with("Connection", "keep-alive"))),
        K::NoConnectionUpgrade
    );
    assert_eq!(
        kind(serve(&with("Connection", "keep-alive Upgrade"))),
        K::NoConnectionUpgrade
    );
    assert!(serve(&with("Connection", "keep-alive, UPGRADE")).is_ok());
    assert!(serve(&with("Connection", "keep-alive,\tupgrade")).is_ok());
}

#[test]
fn rfc6455_4_2_1_item_5_key_decodes_to_16_bytes() {
    assert_eq!(kind(serve(&without("Sec-WebSocket-Key"))), K::BadKey);
    for bad in [
        "",
        "dGhlIHNhbXBsZSBub25jZQ",
        "AAAAAAAAAAAAAAAAAAAAAAAA",
        "dGhlIHNhbXBsZSBub25jZQ!!",
        "AAAAAAAAAAAAAAAAAAAAAA==AAAA",
    ] {
        assert_eq!(
            kind(serve(&with("Sec-WebSocket-Key", bad))),
            K::BadKey,
            "{bad}"
        );
    }
}

#[test]
fn rfc6455_11_3_1_key_at_most_once() {
    assert_eq!(kind(serve(&plus("Sec-WebSocket-Key", KEY))), K::BadKey);
}

#[test]
fn rfc6455_4_2_1_item_6_version_13_required() {
    let r = serve(&without("Sec-WebSocket-Version"));
    assert_eq!(
        (kind(r.clone()), status(r)),
        (K::BadVersionHeader, Some(400))
    );
    let r = serve(&with("Sec-WebSocket-Version", "8"));
    assert_eq!(
        (kind(r.clone()), status(r)),
        (K::UnsupportedVersion, Some(426))
    );
}

#[test]
fn rfc6455_11_3_5_version_at_most_once_in_request() {
    assert_eq!(
        kind(serve(&plus("Sec-WebSocket-Version", "13"))),
        K::BadVersionHeader
    );
}

#[test]
fn rfc6455_4_2_1_items_8_9_protocol_and_extension_grammar() {
    let up = serve(&plus("Sec-WebSocket-Protocol", "chat, , superchat")).unwrap();
    assert_eq!(up.protocols, ["chat", "superchat"]);
    assert_eq!(
        kind(serve(&plus("Sec-WebSocket-Protocol", "chat superchat"))),
        K::BadProtocolHeader
    );
    assert_eq!(
        kind(serve(&plus("Sec-WebSocket-Protocol", ""))),
        K::BadProtocolHeader
    );
    let up = serve(&plus("Sec-WebSocket-Extensions", "foo; a=\"1\", bar")).unwrap();
    assert_eq!(
        up.extensions,
        [
            Extension::new("foo").param("a", Some("1")),
            Extension::new("bar")
        ]
    );
    assert_eq!(
        kind(serve(&plus("Sec-WebSocket-Extensions", "foo; a=\"1 2\""))),
        K::BadExtensionsHeader
    );
}

#[test]
fn rfc7230_3_2_2_repeated_list_headers_combine() {
    let mut h = base_headers();
    h.retain(|(n, _)| *n != "Connection");
    h.push(("Connection", "keep-alive"));
    h.push(("Connection", "Upgrade"));
    h.push(("Sec-WebSocket-Protocol", "a"));
    h.push(("Sec-WebSocket-Protocol", "b"));
    h.push(("Sec-WebSocket-Extensions", "x"));
    h.push(("Sec-WebSocket-Extensions", "y"));
    let up = serve(&render("GET / HTTP/1.1", &h)).unwrap();
    assert_eq!(up.protocols, ["a", "b"]);
    assert_eq!(up.extensions.len(), 2);
}

// ---- §4.2.2 ----

#[test]
fn rfc6455_4_2_2_item_4_origin_hook_gives_403() {
    let mut p = RequestParser::default();
    let req = p
        .feed(&render("GET /chat HTTP/1.1", &base_headers()))
        .unwrap()
        .unwrap()
        .value;
    assert!(
        req.validate_with(|o| o == Some("http://example.com"))
            .is_ok()
    );
    let e = req
        .validate_with(|o| o == Some("https://good.example"))
        .unwrap_err();
    assert_eq!((e.kind(), e.status()), (K::OriginRejected, Some(403)));
    let r = String::from_utf8(error_response(&e)).unwrap();
    assert!(r.starts_with("HTTP/1.1 403 Forbidden\r\n"));
}

#[test]
fn rfc6455_4_2_2_item_4_version_mismatch_gives_426_with_version_13() {
    let e = serve(&with("Sec-WebSocket-Version", "8")).unwrap_err();
    let r = String::from_utf8(error_response(&e)).unwrap();
    assert!(r.starts_with("HTTP/1.1 426 Upgrade Required\r\n"));
    assert!(r.contains("\r\nSec-WebSocket-Version: 13\r\n"));
}

#[test]
fn rfc6455_4_2_2_item_5_accept_response_shape() {
    let up = serve(&plus("Sec-WebSocket-Protocol", "chat, superchat")).unwrap();
    let chosen = up.select_protocol(&["superchat"]).unwrap().to_owned();
    let r =
        String::from_utf8(AcceptResponse::new(&up).protocol(&chosen).encode().unwrap()).unwrap();
    assert!(r.starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
    assert!(r.contains("\r\nUpgrade: websocket\r\n"));
    assert!(r.contains("\r\nConnection: Upgrade\r\n"));
    assert!(r.contains("\r\nSec-WebSocket-Protocol: superchat\r\n"));
    // A subprotocol the client did not offer cannot be chosen.
    assert_eq!(
        AcceptResponse::new(&up)
            .protocol("other")
            .encode()
            .unwrap_err()
            .kind(),
        K::InvalidProtocol
    );
}

#[test]
fn rfc6455_4_2_1_violations_answered_with_400() {
    let e = serve(&without("Upgrade")).unwrap_err();
    let r = String::from_utf8(error_response(&e)).unwrap();
    assert!(r.starts_with("HTTP/1.1 400 Bad Request\r\n"));
}

// ---- §4.4 and limits ----

#[test]
fn rfc6455_4_4_version_list_in_request_is_unsupported() {
    assert_eq!(
        kind(serve(&with("Sec-WebSocket-Version", "13, 8"))),
        K::UnsupportedVersion
    );
}

#[test]
fn rfc7230_3_2_5_oversized_heads_get_431() {
    let limits = HandshakeLimits {
        max_header_bytes: 200,
        max_headers: 8,
    };
    let e = RequestParser::new(limits)
        .feed(&plus("X-Big", "a".repeat(300).leak()))
        .unwrap_err();
    assert_eq!((e.kind(), e.status()), (K::HeadTooLarge, Some(431)));
    let mut h = base_headers();
    h.extend([("A", "1"), ("B", "2"), ("C", "3")]);
    let limits = HandshakeLimits {
        max_header_bytes: 4096,
        ..limits
    };
    let e = RequestParser::new(limits)
        .feed(&render("GET / HTTP/1.1", &h))
        .unwrap_err();
    assert_eq!((e.kind(), e.status()), (K::TooManyHeaders, Some(431)));
}
