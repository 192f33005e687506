//! tungstenite's server handshake as a differential oracle for our request checks,
//! and the named normalisations of the differences that are deliberate.
//!
//! Shared by `tests/handshake_tungstenite.rs` (proptest, on every `cargo test`) and
//! the fuzz package's `diff_ws_handshake` target (through
//! `tests/support/fuzz_checks.rs`, included by path), so both apply exactly the same
//! rules. A request is described by a [`Spec`] (its parts, one entry per header
//! line); each known difference is one function that rewrites a spec into one that
//! *we* judge the way tungstenite judges the original, with the RFC line that decides
//! who is right. Anything else that differs is a failure of [`check_spec`].
//!
//! What tungstenite 0.30 does (read from `src/handshake/server.rs`): method GET,
//! version >= 1.1, the **first** `Connection` line split on ' ' and ',' must contain
//! `Upgrade`, the **first** `Upgrade` line must equal `websocket` as a whole value,
//! the first `Sec-WebSocket-Version` must be exactly `13`, the first
//! `Sec-WebSocket-Key` must be 24 characters decoding to 16 bytes. It does not look
//! at `Host`, `Sec-WebSocket-Protocol` or `Sec-WebSocket-Extensions`, it parses the
//! target with `http::Uri`, allows 124 headers, and rejects bytes after the request.
#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::rc::Rc;

use wirecheck_codec::ws::handshake::{
    ClientRequest, HandshakeError, HandshakeLimits, RequestParser, ResponseParser, UpgradeRequest,
};

// ---------------------------------------------------------------------------------
// An in-memory stream (rust-ws.md §2.3): reads drain `input`, then WouldBlock or EOF.
// ---------------------------------------------------------------------------------

#[derive(Default)]
pub struct Pipe {
    pub input: VecDeque<u8>,
    pub output: Vec<u8>,
    pub eof: bool,
}

#[derive(Clone, Default)]
pub struct Mock(pub Rc<RefCell<Pipe>>);

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
pub fn tungstenite_accepts(request: &[u8]) -> (bool, Vec<u8>) {
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

pub fn ours(request: &[u8]) -> Result<UpgradeRequest, HandshakeError> {
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
pub enum Key {
    Valid([u8; 16]),
    Raw(String),
}

impl Key {
    pub fn text(&self) -> String {
        match self {
            Key::Valid(k) => b64(k, true),
            Key::Raw(s) => s.clone(),
        }
    }
}

/// A request described by its parts; each `Vec` holds one entry per header line.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    pub method: &'static str,
    pub minor: u8,
    pub target: &'static str,
    pub host: Vec<&'static str>,
    pub upgrade: Vec<&'static str>,
    pub connection: Vec<&'static str>,
    pub key: Vec<Key>,
    pub version: Vec<&'static str>,
    pub protocol: Vec<&'static str>,
    pub extensions: Vec<&'static str>,
    pub filler: usize,
}

impl Spec {
    /// The number of header lines the request has.
    pub fn header_lines(&self) -> usize {
        self.host.len()
            + self.upgrade.len()
            + self.connection.len()
            + self.key.len()
            + self.version.len()
            + self.protocol.len()
            + self.extensions.len()
            + self.filler
    }

    pub fn render(&self) -> Vec<u8> {
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

/// Standard base64 (RFC 4648 §4), with or without padding; small enough to inline
/// here rather than add a dependency to the test package.
pub fn b64(bytes: &[u8], pad: bool) -> String {
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
pub fn host_is_not_checked(s: &mut Spec) {
    s.host = vec!["server.example.com"];
}

/// tungstenite compares the first `Upgrade` line with `websocket` as a whole value,
/// so `websocket, foo` and a second `Upgrade` line are rejected. RFC 6455 §4.2.1 item
/// 3 asks for a field "containing the value "websocket"", `Upgrade` is a list (RFC
/// 7230 §6.7, `1#protocol`), and repeated lines are one list (RFC 7230 §3.2.2): we
/// accept a `websocket` token anywhere in it.
pub fn upgrade_is_first_line_whole_value(s: &mut Spec) {
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
pub fn connection_is_first_line_split_on_space_and_comma(s: &mut Spec) {
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
pub fn repeated_key_and_version_use_the_first(s: &mut Spec) {
    s.key.truncate(1);
    s.version.truncate(1);
}

/// tungstenite ignores `Sec-WebSocket-Protocol` and `Sec-WebSocket-Extensions`. RFC
/// 6455 §4.2.1 (a request with "any violations of the ABNF grammar specified for the
/// components of the handshake" gets a 400), §4.1 item 10 / §11.3.4 (`1#token`) and
/// §9.1 (extension grammar) decide: we reject malformed ones.
pub fn protocol_and_extensions_are_not_parsed(s: &mut Spec) {
    s.protocol.clear();
    s.extensions.clear();
}

/// tungstenite accepts any target `http::Uri` parses (`*`, `ws://h/x`). RFC 6455
/// §4.2.1 item 1: the Request-URI must be the /resource name/ "(a relative URI) or be
/// an absolute http/https URI": we reject the others.
pub fn target_is_any_uri(s: &mut Spec) {
    let parses = s.target.parse::<tungstenite::http::Uri>().is_ok();
    s.target = if parses { "/chat" } else { "no-slash" };
}

/// tungstenite allows 124 headers; our default is 64. Header limits are the
/// implementation's choice (RFC 7230 §3.2.5: a server "MUST respond with an
/// appropriate 4xx" to headers larger than it wishes to process). tungstenite's
/// verdict depends on the request as sent; ours is taken on the normalised request,
/// which may have gained a line (a `Host` from [`host_is_not_checked`]), so our
/// limit is checked on that one.
pub fn header_count_limit_is_124(original: &Spec, s: &mut Spec) {
    if original.header_lines() > 124 {
        s.filler = 200; // over both limits: both reject
    } else if s.header_lines() > HandshakeLimits::default().max_headers {
        s.filler = 0; // within tungstenite's: judge the rest
    }
}

pub fn as_tungstenite_sees_it(spec: &Spec) -> Spec {
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

/// Inverse of [`b64`] for padded input (test helper; input is known valid).
pub fn unb64(s: &str) -> Vec<u8> {
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

/// The differential property for one request: tungstenite's verdict on the request
/// as sent equals ours on the normalised request; without any difference in play
/// the verdicts agree on the request as sent; and when tungstenite accepts, the 101
/// it wrote passes our client's checks.
pub fn check_spec(spec: &Spec) -> Result<(), String> {
    let (theirs, written) = tungstenite_accepts(&spec.render());
    let normalised = as_tungstenite_sees_it(spec);
    let ours_normalised = ours(&normalised.render());
    if ours_normalised.is_ok() != theirs {
        return Err(format!(
            "tungstenite accepts: {theirs}\nrequest {spec:?}\nnormalised {normalised:?}\nours: {ours_normalised:?}"
        ));
    }
    if normalised == *spec && ours(&spec.render()).is_ok() != theirs {
        return Err(format!("no difference in play, verdicts differ: {spec:?}"));
    }
    if theirs {
        if let Some(Key::Valid(k)) = spec.key.first() {
            let req = ClientRequest::new("server.example.com", "/chat", *k);
            let mut p = ResponseParser::default();
            let ok = match p.feed(&written) {
                Ok(Some(resp)) => resp.value.validate(&req).is_ok(),
                _ => false,
            };
            if !ok {
                return Err(format!(
                    "our client rejects tungstenite's 101: {}",
                    String::from_utf8_lossy(&written)
                ));
            }
        }
    }
    Ok(())
}
