//! Differential tests of the server-side request checks against tungstenite 0.30.
//!
//! For generated requests (valid, and invalid in each way that matters), our
//! `RequestParser` + `Request::validate` and tungstenite's `accept` must agree on
//! accept/reject, after each *known* difference is normalised away. Each difference
//! has one normalising function below, named after what tungstenite does, with the
//! RFC line that decides who is right. Anything else that differs fails the test.
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

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::rc::Rc;

use proptest::prelude::*;
use wirecheck_codec::ws::handshake::{
    AcceptResponse, ClientRequest, HandshakeError, HandshakeLimits, RequestParser, ResponseParser,
    UpgradeRequest,
};

// ---------------------------------------------------------------------------------
// An in-memory stream (rust-ws.md §2.3): reads drain `input`, then WouldBlock or EOF.
// ---------------------------------------------------------------------------------

#[derive(Default)]
struct Pipe {
    input: VecDeque<u8>,
    output: Vec<u8>,
    eof: bool,
}

#[derive(Clone, Default)]
struct Mock(Rc<RefCell<Pipe>>);

impl Read for Mock {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut p = self.0.borrow_mut();
        if p.input.is_empty() {
            return if p.eof {
                Ok(0)
            } else {
                Err(io::ErrorKind::WouldBlock.into())
            };
        }
        let n = buf.len().min(p.input.len());
        for (d, s) in buf[..n].iter_mut().zip(p.input.drain(..n)) {
            *d = s;
        }
        Ok(n)
    }
}

impl Write for Mock {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().output.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// tungstenite's server verdict, and what it wrote back. The request is delivered
/// whole (so `AttackCheck`'s minimum average read size never triggers), then EOF.
fn tungstenite_accepts(request: &[u8]) -> (bool, Vec<u8>) {
    let mock = Mock::default();
    {
        let mut p = mock.0.borrow_mut();
        p.input.extend(request);
        p.eof = true;
    }
    let ok = tungstenite::accept(mock.clone()).is_ok();
    let out = mock.0.borrow().output.clone();
    (ok, out)
}

fn ours(request: &[u8]) -> Result<UpgradeRequest, HandshakeError> {
    let mut p = RequestParser::new(HandshakeLimits::default());
    match p.feed(request)? {
        Some(parsed) => parsed.value.validate(),
        None => panic!("generated requests are complete"),
    }
}

// ---------------------------------------------------------------------------------
// Request specs
// ---------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Key {
    Valid([u8; 16]),
    Raw(String),
}

impl Key {
    fn text(&self) -> String {
        match self {
            Key::Valid(k) => b64(k, true),
            Key::Raw(s) => s.clone(),
        }
    }
}

/// A request described by its parts; each `Vec` holds one entry per header line.
#[derive(Debug, Clone, PartialEq)]
struct Spec {
    method: &'static str,
    minor: u8,
    target: &'static str,
    host: Vec<&'static str>,
    upgrade: Vec<&'static str>,
    connection: Vec<&'static str>,
    key: Vec<Key>,
    version: Vec<&'static str>,
    protocol: Vec<&'static str>,
    extensions: Vec<&'static str>,
    filler: usize,
}

impl Spec {
    fn render(&self) -> Vec<u8> {
        let mut s = format!("{} {} HTTP/1.{}\r\n", self.method, self.target, self.minor);
        let mut line = |n: &str, v: &str| s.push_str(&format!("{n}: {v}\r\n"));
        self.host.iter().for_each(|v| line("Host", v));
        self.upgrade.iter().for_each(|v| line("Upgrade", v));
        self.connection.iter().for_each(|v| line("Connection", v));
        self.key
            .iter()
            .for_each(|k| line("Sec-WebSocket-Key", &k.text()));
        self.version
            .iter()
            .for_each(|v| line("Sec-WebSocket-Version", v));
        self.protocol
            .iter()
            .for_each(|v| line("Sec-WebSocket-Protocol", v));
        self.extensions
            .iter()
            .for_each(|v| line("Sec-WebSocket-Extensions", v));
        (0..self.filler).for_each(|i| line(&format!("X-Filler-{i}"), "1"));
        s.push_str("\r\n");
        s.into_bytes()
    }
}

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

/// Standard base64 (RFC 4648 §4), with or without padding; small enough to inline
/// here rather than add a dependency to the test package.
fn b64(bytes: &[u8], pad: bool) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else if pad {
                out.push('=');
            }
        }
    }
    out
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

// ---------------------------------------------------------------------------------
// The known differences, one normalising function each: each rewrites a spec into
// one that *we* judge the way tungstenite judges the original.
// ---------------------------------------------------------------------------------

/// tungstenite does not require or check `Host`. RFC 6455 §4.2.1 item 2 ("A |Host|
/// header field containing the server's authority") and RFC 7230 §5.4 ("A server
/// MUST respond with a 400 (Bad Request) status code to any HTTP/1.1 request message
/// that lacks a Host header field and to any request message that contains more than
/// one Host header field or a Host header field with an invalid field-value") decide:
/// we reject.
fn host_is_not_checked(s: &mut Spec) {
    s.host = vec!["server.example.com"];
}

/// tungstenite compares the first `Upgrade` line with `websocket` as a whole value,
/// so `websocket, foo` and a second `Upgrade` line are rejected. RFC 6455 §4.2.1 item
/// 3 asks for a field "containing the value "websocket"", `Upgrade` is a list (RFC
/// 7230 §6.7, `1#protocol`), and repeated lines are one list (RFC 7230 §3.2.2): we
/// accept a `websocket` token anywhere in it.
fn upgrade_is_first_line_whole_value(s: &mut Spec) {
    let ok = s
        .upgrade
        .first()
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("websocket"));
    s.upgrade = if ok { vec!["websocket"] } else { vec![] };
}

/// tungstenite splits the first `Connection` line on ' ' and ',' only. RFC 6455
/// §4.2.1 item 4 asks for a field "that includes the token "Upgrade"", in an RFC 7230
/// §7 list: elements separated by commas with optional whitespace (SP or HTAB), so
/// `keep-alive,\tUpgrade` contains it and `keep-alive Upgrade` is not a list of
/// tokens at all; repeated lines combine (RFC 7230 §3.2.2).
fn connection_is_first_line_split_on_space_and_comma(s: &mut Spec) {
    let ok = s.connection.first().is_some_and(|v| {
        v.split([' ', ','])
            .any(|p| p.eq_ignore_ascii_case("upgrade"))
    });
    s.connection = if ok { vec!["Upgrade"] } else { vec![] };
}

/// tungstenite reads only the first `Sec-WebSocket-Key` and `Sec-WebSocket-Version`.
/// RFC 6455 §11.3.1: "The |Sec-WebSocket-Key| header field MUST NOT appear more than
/// once in an HTTP request"; §11.3.5: likewise for |Sec-WebSocket-Version|. We reject
/// repeats.
fn repeated_key_and_version_use_the_first(s: &mut Spec) {
    s.key.truncate(1);
    s.version.truncate(1);
}

/// tungstenite ignores `Sec-WebSocket-Protocol` and `Sec-WebSocket-Extensions`. RFC
/// 6455 §4.2.1 (a request with "any violations of the ABNF grammar specified for the
/// components of the handshake" gets a 400), §4.1 item 10 / §11.3.4 (`1#token`) and
/// §9.1 (extension grammar) decide: we reject malformed ones.
fn protocol_and_extensions_are_not_parsed(s: &mut Spec) {
    s.protocol.clear();
    s.extensions.clear();
}

/// tungstenite accepts any target `http::Uri` parses (`*`, `ws://h/x`). RFC 6455
/// §4.2.1 item 1: the Request-URI must be the /resource name/ "(a relative URI) or be
/// an absolute http/https URI": we reject the others.
fn target_is_any_uri(s: &mut Spec) {
    let parses = s.target.parse::<tungstenite::http::Uri>().is_ok();
    s.target = if parses { "/chat" } else { "no-slash" };
}

/// tungstenite allows 124 headers; our default is 64. Header limits are the
/// implementation's choice (RFC 7230 §3.2.5: a server "MUST respond with an
/// appropriate 4xx" to headers larger than it wishes to process).
fn header_count_limit_is_124(original: &Spec, s: &mut Spec) {
    let o = original;
    let total = o.host.len()
        + o.upgrade.len()
        + o.connection.len()
        + o.key.len()
        + o.version.len()
        + o.protocol.len()
        + o.extensions.len()
        + o.filler;
    if total > 124 {
        s.filler = 200; // over both limits: both reject
    } else if total > HandshakeLimits::default().max_headers {
        s.filler = 0; // within tungstenite's: judge the rest
    }
}

fn as_tungstenite_sees_it(spec: &Spec) -> Spec {
    let mut s = spec.clone();
    host_is_not_checked(&mut s);
    upgrade_is_first_line_whole_value(&mut s);
    connection_is_first_line_split_on_space_and_comma(&mut s);
    repeated_key_and_version_use_the_first(&mut s);
    protocol_and_extensions_are_not_parsed(&mut s);
    target_is_any_uri(&mut s);
    header_count_limit_is_124(spec, &mut s);
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn tungstenite_agrees_after_named_normalisations(spec in spec()) {
        let (theirs, written) = tungstenite_accepts(&spec.render());
        let normalised = as_tungstenite_sees_it(&spec);
        let ours_normalised = ours(&normalised.render());
        prop_assert_eq!(
            ours_normalised.is_ok(), theirs,
            "request {:?}\nnormalised {:?}\nours: {:?}", spec, normalised, ours_normalised
        );
        // Without any difference in play, the verdicts agree on the request as sent.
        if normalised == spec {
            prop_assert_eq!(ours(&spec.render()).is_ok(), theirs);
        }
        // When tungstenite accepts, its 101 passes our client checks.
        if theirs {
            if let Some(Key::Valid(k)) = spec.key.first() {
                let req = ClientRequest::new("server.example.com", "/chat", *k);
                let mut p = ResponseParser::default();
                let resp = p.feed(&written).unwrap().expect("complete 101");
                prop_assert!(resp.value.validate(&req).is_ok(), "{}", String::from_utf8_lossy(&written));
            }
        }
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

/// Inverse of [`b64`] for padded input (test helper; input is known valid).
fn unb64(s: &str) -> Vec<u8> {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes().filter(|&c| c != b'=') {
        bits = bits << 6 | ABC.iter().position(|&a| a == c).unwrap() as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out
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
