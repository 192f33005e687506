//! The client's opening handshake request: the client builds it, the server parses
//! and validates it.
//!
//! Both halves live together so the rules they share (what a valid target, Host,
//! key or subprotocol is) are written once, next to the RFC 6455 §4.1 / §4.2.1 item
//! that states them. The server side is split in two steps on purpose:
//! [`RequestParser`] only does HTTP (check the head's syntax and find its end
//! incrementally, failing on the first invalid byte; enforce the limits; run
//! httparse once) and yields a [`Request`]; [`Request::validate_with`]
//! then applies the WebSocket rules and yields an [`UpgradeRequest`] or an error that
//! carries the status to answer with. A conformance tool needs both: the raw request
//! to report what a peer sent, the verdict to know why it was refused.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::error::{HandshakeError, HandshakeErrorKind as K};
use super::extensions::{Extension, format_extensions, parse_extensions};
use super::{HandshakeLimits, Parsed, accept_key};
use crate::http::header::{
    is_field_value, is_token, list_contains, parse_token_list, single, values,
};
use crate::http::{self, Request};

// ---------------------------------------------------------------------------------
// Shared rules
// ---------------------------------------------------------------------------------

/// RFC 6455 §4.2.1 item 1: the request-target is the /resource name/ (origin-form,
/// starting with `/`) or an absolute http/https URI. §3: fragments "MUST NOT be used".
pub(crate) fn is_valid_target(t: &[u8]) -> bool {
    let visible = t.iter().all(|&b| (0x21..=0x7e).contains(&b) && b != b'#');
    let form = t.first() == Some(&b'/')
        || starts_with_ignore_case(t, b"http://")
        || starts_with_ignore_case(t, b"https://");
    visible && form
}

fn starts_with_ignore_case(s: &[u8], prefix: &[u8]) -> bool {
    s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// RFC 6455 §4.1 item 4 and §4.2.1 item 2: Host carries the authority, `host [":"
/// port]`. Checked by character class (RFC 3986 §3.2.2 reg-name, IP literals and
/// port), not by full grammar: non-empty, and nothing that could end the authority.
pub(crate) fn is_valid_host(h: &[u8]) -> bool {
    !h.is_empty()
        && h.iter().all(|&b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'-' | b'.'
                        | b'_'
                        | b'~'
                        | b'!'
                        | b'$'
                        | b'&'
                        | b'\''
                        | b'('
                        | b')'
                        | b'*'
                        | b'+'
                        | b','
                        | b';'
                        | b'='
                        | b'%'
                        | b':'
                        | b'['
                        | b']'
                )
        })
}

/// RFC 6455 §4.2.1 item 5: "a base64-encoded value that, when decoded, is 16 bytes in
/// length". Canonical base64 with padding (RFC 4648 §4), so exactly 24 characters.
pub(crate) fn decode_key(key: &[u8]) -> Option<[u8; 16]> {
    if key.len() != 24 {
        return None;
    }
    let mut out = [0u8; 18];
    match BASE64.decode_slice(key, &mut out) {
        Ok(16) => {
            let mut k = [0u8; 16];
            k.copy_from_slice(&out[..16]);
            Some(k)
        }
        _ => None,
    }
}

fn bad(kind: K, detail: &'static str) -> HandshakeError {
    HandshakeError::new(kind, detail)
}

/// Checks an extra header for a builder: a token name not in `managed`, and a value
/// free of CR, LF, NUL and other controls (header injection, RFC 7230 §3.2).
pub(crate) fn check_extra_header(
    name: &str,
    value: &str,
    managed: &[&str],
) -> Result<(), HandshakeError> {
    if !is_token(name.as_bytes()) {
        return Err(bad(K::InvalidHeaderField, "header name is not a token"));
    }
    if managed.iter().any(|m| m.eq_ignore_ascii_case(name)) {
        return Err(bad(
            K::InvalidHeaderField,
            "header is written by the builder itself",
        ));
    }
    if !is_field_value(value.as_bytes()) {
        return Err(bad(
            K::InvalidHeaderField,
            "header value contains a control byte",
        ));
    }
    Ok(())
}

/// Checks a subprotocol list for a builder: tokens (§4.1 item 10: "characters in the
/// range U+0021 to U+007E not including separator characters"), all unique.
pub(crate) fn check_protocols(protocols: &[String]) -> Result<(), HandshakeError> {
    for (i, p) in protocols.iter().enumerate() {
        if !is_token(p.as_bytes()) {
            return Err(bad(K::InvalidProtocol, "subprotocol is not a token"));
        }
        // §4.1 item 10: the elements "MUST all be unique strings". Builders take a
        // handful of protocols, so the quadratic check is bounded by the caller.
        if protocols[..i].contains(p) {
            return Err(bad(K::InvalidProtocol, "subprotocol listed twice"));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------
// Client: build the request
// ---------------------------------------------------------------------------------

/// Headers [`ClientRequest`] writes itself; extra headers may not repeat them.
const CLIENT_MANAGED: &[&str] = &[
    "host",
    "upgrade",
    "connection",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-protocol",
    "sec-websocket-extensions",
    "origin",
];

/// A client's opening handshake (RFC 6455 §4.1), built from the parts of the
/// WebSocket URI plus the 16 random bytes of the key, which the caller supplies so
/// the codec stays free of randomness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRequest {
    /// The /host/ [":" /port/] authority, sent as `Host` (§4.1 item 4).
    pub host: String,
    /// The /resource name/ (path and query), sent as the request-target (§4.1 item 3).
    pub target: String,
    /// The nonce: 16 bytes "randomly selected" per connection (§4.1 item 7).
    pub key: [u8; 16],
    /// `Origin`, which browser clients must send (§4.1 item 8).
    pub origin: Option<String>,
    /// Subprotocols in order of preference (`Sec-WebSocket-Protocol`, §4.1 item 10).
    pub protocols: Vec<String>,
    /// Extension offers in order of preference (`Sec-WebSocket-Extensions`, §4.1 item 11).
    pub extensions: Vec<Extension>,
    /// Further headers (cookies, authorization, ...), in order (§4.1 item 12).
    pub headers: Vec<(String, String)>,
}

impl ClientRequest {
    /// A request for `target` on `host` with the given key bytes.
    pub fn new(host: &str, target: &str, key: [u8; 16]) -> Self {
        ClientRequest {
            host: host.into(),
            target: target.into(),
            key,
            origin: None,
            protocols: Vec::new(),
            extensions: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// Sets `Origin`.
    pub fn origin(mut self, origin: &str) -> Self {
        self.origin = Some(origin.into());
        self
    }

    /// Offers one more subprotocol.
    pub fn protocol(mut self, protocol: &str) -> Self {
        self.protocols.push(protocol.into());
        self
    }

    /// Offers one more extension.
    pub fn extension(mut self, extension: Extension) -> Self {
        self.extensions.push(extension);
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The `Sec-WebSocket-Key` value: base64 of the 16 key bytes (§4.1 item 7).
    pub fn key_base64(&self) -> String {
        BASE64.encode(self.key)
    }

    /// The `Sec-WebSocket-Accept` value the server must answer with (§4.2.2 item 5.4).
    pub fn expected_accept(&self) -> String {
        accept_key(self.key_base64().as_bytes())
    }

    /// The request bytes. Fails if a part would make the request invalid or let one
    /// field inject another.
    pub fn encode(&self) -> Result<Vec<u8>, HandshakeError> {
        // §4.1 item 3 (and §3: no fragment).
        if !is_valid_target(self.target.as_bytes()) {
            return Err(bad(
                K::BadRequestTarget,
                "target must be /path or an http(s) URI",
            ));
        }
        // §4.1 item 4.
        if !is_valid_host(self.host.as_bytes()) {
            return Err(bad(K::BadHost, "not an authority"));
        }
        if let Some(o) = &self.origin {
            if o.is_empty() || !is_field_value(o.as_bytes()) {
                return Err(bad(
                    K::InvalidHeaderField,
                    "Origin value is empty or has a control byte",
                ));
            }
        }
        check_protocols(&self.protocols)?;
        let extensions = format_extensions(&self.extensions)?;
        for (n, v) in &self.headers {
            check_extra_header(n, v, CLIENT_MANAGED)?;
        }

        let key = self.key_base64();
        let protocols = self.protocols.join(", ");
        // §4.1 items 1-2: an HTTP/1.1 GET; 4: Host; 5, 6: Upgrade and Connection;
        // 7: the key; 9: the version; then Origin, subprotocols, extensions, extras.
        let mut fields: Vec<(&str, &str)> = vec![
            ("Host", &self.host),
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", &key),
            ("Sec-WebSocket-Version", "13"),
        ];
        if let Some(o) = &self.origin {
            fields.push(("Origin", o));
        }
        if !self.protocols.is_empty() {
            fields.push(("Sec-WebSocket-Protocol", &protocols));
        }
        if !extensions.is_empty() {
            fields.push(("Sec-WebSocket-Extensions", &extensions));
        }
        fields.extend(self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        let mut out = Vec::with_capacity(256);
        // Every part was checked above; the HTTP layer checks again as it writes.
        crate::http::write_head(
            &mut out,
            &alloc::format!("GET {} HTTP/1.1", self.target),
            fields,
        )
        .map_err(|_| bad(K::InvalidHeaderField, "a field would break the request"))?;
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------
// Server: parse the request
// ---------------------------------------------------------------------------------

/// Incremental request reader: the HTTP layer's ([`http::RequestParser`]), with
/// its errors as the handshake's (the same kind, detail and rule, and the
/// status to answer: 431 for a limit, 400 for a malformed head).
#[derive(Debug, Clone, Default)]
pub struct RequestParser(http::RequestParser);

impl RequestParser {
    /// A parser with the given limits.
    pub fn new(limits: HandshakeLimits) -> Self {
        RequestParser(http::RequestParser::new(limits))
    }

    /// Feeds the next bytes: see [`http::RequestParser::feed`]. The bytes after
    /// the head (`bytes[parsed.consumed..]`) are the first WebSocket bytes.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Option<Parsed<Request>>, HandshakeError> {
        self.0.feed(bytes).map_err(HandshakeError::from)
    }

    /// Bytes examined so far: at most about twice the input length.
    pub fn work(&self) -> u64 {
        self.0.work()
    }
}

// ---------------------------------------------------------------------------------
// Server: validate the request
// ---------------------------------------------------------------------------------

/// A request that passed every RFC 6455 §4.2.1 check: what the server needs to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradeRequest {
    /// The request-target (/resource name/ or absolute URI).
    pub target: String,
    /// The `Host` value.
    pub host: String,
    /// The `Origin` value, if sent.
    pub origin: Option<String>,
    /// The `Sec-WebSocket-Key` value as sent (24 base64 characters).
    pub key: String,
    /// Offered subprotocols, in the client's order of preference.
    pub protocols: Vec<String>,
    /// Offered extensions, in the client's order of preference.
    pub extensions: Vec<Extension>,
}

impl UpgradeRequest {
    /// The request as the client that sent it built it (its key bytes,
    /// subprotocols and extension offers): what [`super::Response::validate`]
    /// checks an answer against, for an observer that saw both (a proxy).
    /// A key that is not base64 of 16 bytes cannot have passed validation;
    /// it reads as zeros.
    pub fn as_sent(&self) -> ClientRequest {
        let mut key = [0u8; 16];
        if let Ok(bytes) = BASE64.decode(self.key.as_bytes()) {
            if bytes.len() == key.len() {
                key.copy_from_slice(&bytes);
            }
        }
        let mut request = ClientRequest::new(&self.host, &self.target, key);
        request.origin = self.origin.clone();
        request.protocols = self.protocols.clone();
        request.extensions = self.extensions.clone();
        request
    }

    /// The `Sec-WebSocket-Accept` value for this request (§4.2.2 item 5.4).
    pub fn accept_key(&self) -> String {
        accept_key(self.key.as_bytes())
    }

    /// The client's most preferred subprotocol that `supported` contains (§4.2.2 item
    /// 4 /subprotocol/), if any.
    pub fn select_protocol(&self, supported: &[&str]) -> Option<&str> {
        self.protocols
            .iter()
            .map(String::as_str)
            .find(|p| supported.contains(p))
    }
}

fn ascii_string(v: &[u8]) -> String {
    // Callers pass bytes already checked to be ASCII.
    v.iter().map(|&b| b as char).collect()
}

impl Request {
    /// [`validate_with`](Self::validate_with) accepting any Origin.
    pub fn validate(&self) -> Result<UpgradeRequest, HandshakeError> {
        self.validate_with(|_| true)
    }

    /// Applies RFC 6455 §4.2.1 and §4.2.2 item 4. `origin_allowed` sees the `Origin`
    /// value (or `None` when there is none) and returns whether to proceed; `false`
    /// gives a 403 (§4.2.2 item 4 /origin/, §10.2). Checks run in this order, and the
    /// first failure decides the status: method (405), version, target, Host, Upgrade,
    /// Connection (400), Sec-WebSocket-Version (400 if missing or repeated, 426 if not
    /// 13), key, subprotocols, extensions (400), Origin (403).
    pub fn validate_with(
        &self,
        origin_allowed: impl FnOnce(Option<&str>) -> bool,
    ) -> Result<UpgradeRequest, HandshakeError> {
        let h = &self.headers;

        // §4.2.1 item 1: "An HTTP/1.1 or higher GET request". A different method gets
        // 405 (RFC 7231 §6.5.5), the status for a method the resource does not allow.
        if self.method != "GET" {
            return Err(bad(K::MethodNotGet, "only GET can open a WebSocket"));
        }
        // §4.2.1 item 1: HTTP/1.1 or higher (httparse only reads 1.0 and 1.1).
        if self.version < 1 {
            return Err(bad(K::HttpVersionTooOld, "HTTP/1.0"));
        }
        // §4.2.1 item 1: "a "Request-URI" ... /resource name/ ... or ... an absolute
        // http/https URI".
        if !is_valid_target(self.target.as_bytes()) {
            return Err(bad(
                K::BadRequestTarget,
                "not /path or an absolute http(s) URI",
            ));
        }
        // §4.2.1 item 2: "A |Host| header field containing the server's authority";
        // RFC 7230 §5.4: 400 for a missing, repeated or invalid Host.
        let host = match single(h, "host") {
            Ok(v) if is_valid_host(v) => ascii_string(v),
            Ok(_) => return Err(bad(K::BadHost, "not an authority")),
            Err(0) => return Err(bad(K::BadHost, "missing")),
            Err(_) => return Err(bad(K::BadHost, "repeated")),
        };
        // §4.2.1 item 3: "An |Upgrade| header field containing the value "websocket",
        // treated as an ASCII case-insensitive value" (a token in an RFC 7230 §6.7 list).
        match list_contains(values(h, "upgrade"), "websocket", true) {
            Ok((true, _)) => {}
            Ok((false, 0)) => return Err(bad(K::NoUpgradeWebSocket, "missing")),
            Ok((false, _)) => return Err(bad(K::NoUpgradeWebSocket, "no websocket token")),
            Err(e) => return Err(bad(K::NoUpgradeWebSocket, e)),
        }
        // §4.2.1 item 4: "A |Connection| header field that includes the token
        // "Upgrade", treated as an ASCII case-insensitive value".
        match list_contains(values(h, "connection"), "upgrade", false) {
            Ok((true, _)) => {}
            Ok((false, 0)) => return Err(bad(K::NoConnectionUpgrade, "missing")),
            Ok((false, _)) => return Err(bad(K::NoConnectionUpgrade, "no upgrade token")),
            Err(e) => return Err(bad(K::NoConnectionUpgrade, e)),
        }
        check_version(h)?;
        // §4.2.1 item 5 (value decodes to 16 bytes); §11.3.1 (at most once).
        let key = match single(h, "sec-websocket-key") {
            Ok(v) if decode_key(v).is_some() => ascii_string(v),
            Ok(_) => return Err(bad(K::BadKey, "does not decode to 16 bytes")),
            Err(0) => return Err(bad(K::BadKey, "missing")),
            Err(_) => return Err(bad(K::BadKey, "repeated")),
        };
        let Offers {
            origin,
            protocols,
            extensions,
        } = offers(h, origin_allowed)?;
        Ok(UpgradeRequest {
            target: self.target.clone(),
            host,
            origin,
            key,
            protocols,
            extensions,
        })
    }

    /// Applies RFC 8441 §4-5 to an extended CONNECT (WebSockets over HTTP/2),
    /// with this request standing for it: `method` and `target` are its
    /// `:method` and `:path`, `headers` its regular fields, and `protocol` its
    /// `:protocol` pseudo-header field. The HTTP/2 layer has checked what
    /// HTTP/2 itself requires (`:authority`, no connection-specific fields,
    /// RFC 9113 §8.2.2, §8.3); RFC 8441 §5 drops what RFC 6455 needs the
    /// Upgrade for (`Upgrade`, `Connection`, the key) and keeps the rest, which
    /// is checked here by the same code as over HTTP/1.1, in the same order:
    /// method (400), `:protocol` (405 without, 501 for another protocol),
    /// Sec-WebSocket-Version (see [`HandshakeError::status_over_h2`]),
    /// subprotocols, extensions (400), Origin (403).
    pub fn validate_extended_connect(
        &self,
        protocol: Option<&str>,
        origin_allowed: impl FnOnce(Option<&str>) -> bool,
    ) -> Result<ConnectRequest, HandshakeError> {
        let h = &self.headers;
        // RFC 8441 §4: the extended CONNECT is a CONNECT carrying a :protocol
        // pseudo-header field.
        if self.method != "CONNECT" {
            return Err(bad(
                K::NotConnect,
                "only an extended CONNECT opens a WebSocket over HTTP/2",
            ));
        }
        match protocol {
            // RFC 8441 §5: a WebSocket is asked for with :protocol websocket (the
            // token of RFC 6455's Upgrade, RFC 6455 §11.2).
            Some("websocket") => {}
            Some(_) => return Err(bad(K::UnknownProtocol, "not a protocol this server speaks")),
            None => return Err(bad(K::PlainConnect, "a tunnel, not served here")),
        }
        // RFC 8441 §5: Origin, Sec-WebSocket-Version, Sec-WebSocket-Protocol and
        // Sec-WebSocket-Extensions are used as RFC 6455 defines them (its example
        // sends version 13); the key and the accept value are not.
        check_version(h)?;
        let Offers {
            origin,
            protocols,
            extensions,
        } = offers(h, origin_allowed)?;
        Ok(ConnectRequest {
            target: self.target.clone(),
            origin,
            protocols,
            extensions,
        })
    }
}

/// An extended CONNECT that passed every RFC 8441 §4-5 check: what the server
/// needs to answer it (a 2xx with the chosen subprotocol and extensions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectRequest {
    /// The `:path`.
    pub target: String,
    /// The `Origin` value, if sent.
    pub origin: Option<String>,
    /// Offered subprotocols, in the client's order of preference.
    pub protocols: Vec<String>,
    /// Offered extensions, in the client's order of preference.
    pub extensions: Vec<Extension>,
}

/// RFC 6455 §4.2.1 item 6 and §4.2.2 item 4 /version/ (kept by RFC 8441 §5).
fn check_version(h: &[http::Header]) -> Result<(), HandshakeError> {
    // §4.2.1 item 6: "A |Sec-WebSocket-Version| header field, with a value of 13".
    // Missing: the request is not a WebSocket handshake of any version (§4.2.1,
    // "such as 400 Bad Request"). Repeated: §11.3.5, "MUST NOT appear more than
    // once in an HTTP request". Another version: §4.2.2 item 4 /version/, "If this
    // version does not match a version understood by the server, the server MUST
    // abort ... and instead send an appropriate HTTP error code (such as 426
    // Upgrade Required) and a |Sec-WebSocket-Version| header field indicating the
    // version(s) the server is capable of understanding" (also §4.4).
    match single(h, "sec-websocket-version") {
        Ok(b"13") => {}
        Ok(_) => return Err(bad(K::UnsupportedVersion, "only version 13 is supported")),
        Err(0) => return Err(bad(K::BadVersionHeader, "missing")),
        Err(_) => return Err(bad(K::BadVersionHeader, "repeated")),
    }
    Ok(())
}

/// What a client offers besides the version: the parts of a request that
/// RFC 6455 and RFC 8441 share.
struct Offers {
    origin: Option<String>,
    protocols: Vec<String>,
    extensions: Vec<Extension>,
}

/// RFC 6455 §4.2.1 items 8 and 9, §4.2.2 item 4 /origin/.
fn offers(
    h: &[http::Header],
    origin_allowed: impl FnOnce(Option<&str>) -> bool,
) -> Result<Offers, HandshakeError> {
    // §4.2.1 item 8: optional `Sec-WebSocket-Protocol`, `1#token` (§4.1 item 10,
    // §11.3.4: may appear several times, logically one list).
    let mut protocols = Vec::new();
    let lines = values(h, "sec-websocket-protocol").count();
    if let Err(e) = parse_token_list(values(h, "sec-websocket-protocol"), &mut protocols) {
        return Err(bad(K::BadProtocolHeader, e));
    }
    if lines > 0 && protocols.is_empty() {
        return Err(bad(K::BadProtocolHeader, "empty subprotocol list"));
    }
    let protocols = protocols.into_iter().map(ascii_string).collect();
    // §4.2.1 item 9 and §9.1.
    let extensions = parse_extensions(values(h, "sec-websocket-extensions"))
        .map_err(|e| bad(K::BadExtensionsHeader, e))?;
    // §4.2.2 item 4 /origin/: "If the server does not wish to accept this
    // connection, it MUST return an appropriate HTTP error code (e.g., 403
    // Forbidden)". A repeated or non-UTF-8 Origin cannot match any policy.
    let origin = match single(h, "origin") {
        Ok(v) => match core::str::from_utf8(v) {
            Ok(s) => Some(String::from(s)),
            Err(_) => return Err(bad(K::OriginRejected, "Origin is not UTF-8")),
        },
        Err(0) => None,
        Err(_) => return Err(bad(K::OriginRejected, "repeated Origin")),
    };
    if !origin_allowed(origin.as_deref()) {
        return Err(bad(K::OriginRejected, "rejected by the origin policy"));
    }
    Ok(Offers {
        origin,
        protocols,
        extensions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &[u8] = b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://example.com\r\n\
Sec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\n\r\n";

    fn parse(bytes: &[u8]) -> Result<Request, HandshakeError> {
        let mut p = RequestParser::default();
        Ok(p.feed(bytes)?.expect("complete").value)
    }

    #[test]
    fn rfc_sample_request_is_accepted() {
        let r = parse(SAMPLE).unwrap().validate().unwrap();
        assert_eq!(r.target, "/chat");
        assert_eq!(r.host, "server.example.com");
        assert_eq!(r.origin.as_deref(), Some("http://example.com"));
        assert_eq!(r.protocols, ["chat", "superchat"]);
        assert_eq!(r.accept_key(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(r.select_protocol(&["superchat", "chat"]), Some("chat"));
    }

    /// The request rebuilt from what was received is the one the client sent:
    /// its expected `Sec-WebSocket-Accept` is §1.3's, and a server's answer is
    /// judged against its subprotocols.
    #[test]
    fn a_request_as_sent_expects_the_rfc_accept_and_its_offers() {
        let sent = parse(SAMPLE).unwrap().validate().unwrap().as_sent();
        assert_eq!(sent.key_base64(), "dGhlIHNhbXBsZSBub25jZQ==");
        assert_eq!(sent.expected_accept(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(sent.protocols, ["chat", "superchat"]);
        assert_eq!(sent.origin.as_deref(), Some("http://example.com"));
        assert_eq!(
            (sent.host.as_str(), sent.target.as_str()),
            ("server.example.com", "/chat")
        );
    }

    #[test]
    fn leftover_bytes_are_not_consumed() {
        let mut input = SAMPLE.to_vec();
        input.extend_from_slice(b"\x81\x80abcd");
        let mut p = RequestParser::default();
        let parsed = p.feed(&input).unwrap().unwrap();
        assert_eq!(&input[parsed.consumed..], b"\x81\x80abcd");
        assert_eq!(p.feed(b"x").unwrap_err().kind(), K::ParserSpent);
    }

    #[test]
    fn keys_must_decode_to_16_bytes() {
        assert!(decode_key(b"dGhlIHNhbXBsZSBub25jZQ==").is_some());
        assert!(
            decode_key(b"dGhlIHNhbXBsZSBub25jZR==").is_none(),
            "non-canonical bits"
        );
        assert!(
            decode_key(b"AAAAAAAAAAAAAAAAAAAAAAAA").is_none(),
            "18 bytes"
        );
        assert!(
            decode_key(b"dGhlIHNhbXBsZSBub25jZQ").is_none(),
            "no padding"
        );
        assert!(decode_key(b"").is_none());
    }

    #[test]
    fn builder_output_validates() {
        let req = ClientRequest::new("example.com:8080", "/a?b=c", [7; 16])
            .origin("https://example.com")
            .protocol("p1")
            .protocol("p2")
            .extension(Extension::new("x").param("y", Some("1")))
            .header("Cookie", "a=b");
        let bytes = req.encode().unwrap();
        let u = parse(&bytes).unwrap().validate().unwrap();
        assert_eq!(u.key, req.key_base64());
        assert_eq!(u.protocols, ["p1", "p2"]);
        assert_eq!(u.extensions, req.extensions);
        assert_eq!(u.accept_key(), req.expected_accept());
    }

    #[test]
    fn builder_rejects_injection() {
        let base = || ClientRequest::new("h", "/", [0; 16]);
        for r in [
            base().header("X", "a\r\nEvil: 1"),
            base().header("X\r\n", "a"),
            base().header("X", "a\0"),
            base().header("sec-websocket-key", "a"),
            base().origin("a\nb"),
        ] {
            assert_eq!(r.encode().unwrap_err().kind(), K::InvalidHeaderField);
        }
        assert_eq!(
            base().protocol("a b").encode().unwrap_err().kind(),
            K::InvalidProtocol
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
            ClientRequest::new("h/x", "/", [0; 16])
                .encode()
                .unwrap_err()
                .kind(),
            K::BadHost
        );
        assert_eq!(
            ClientRequest::new("h", "x", [0; 16])
                .encode()
                .unwrap_err()
                .kind(),
            K::BadRequestTarget
        );
    }

    /// RFC 8441 §4-5: an extended CONNECT is judged by RFC 6455's rules where
    /// RFC 8441 keeps them, with the statuses HTTP/2 allows.
    #[test]
    fn extended_connect_keeps_rfc_6455s_rules_with_http2s_statuses() {
        let request = |method: &str, fields: &[(&str, &str)]| Request {
            method: method.into(),
            target: "/chat".into(),
            version: 1,
            headers: fields
                .iter()
                .map(|(name, value)| http::Header {
                    name: (*name).into(),
                    value: value.as_bytes().to_vec(),
                })
                .collect(),
        };
        let full = [
            ("sec-websocket-version", "13"),
            ("origin", "http://example.com"),
            ("sec-websocket-protocol", "chat, superchat"),
            (
                "sec-websocket-extensions",
                "permessage-deflate; client_max_window_bits",
            ),
        ];
        let ok = request("CONNECT", &full)
            .validate_extended_connect(Some("websocket"), |_| true)
            .expect("RFC 8441 §5's example, with offers");
        assert_eq!(ok.target, "/chat");
        assert_eq!(ok.origin.as_deref(), Some("http://example.com"));
        assert_eq!(ok.protocols, ["chat", "superchat"]);
        assert_eq!(ok.extensions.len(), 1);
        // No key, no Upgrade, no Connection, no Host: RFC 8441 §5 drops them.
        let bare = request("CONNECT", &[("sec-websocket-version", "13")]);
        assert!(
            bare.validate_extended_connect(Some("websocket"), |_| true)
                .is_ok()
        );

        let v13 = ("sec-websocket-version", "13");
        /// (method, `:protocol`, fields, HTTP/2 status, names the version)
        type Refused<'a> = (
            &'a str,
            Option<&'a str>,
            &'a [(&'a str, &'a str)],
            u16,
            bool,
        );
        let refused: [Refused<'_>; 8] = [
            ("GET", Some("websocket"), &[v13], 400, false),
            ("CONNECT", None, &[v13], 405, false),
            ("CONNECT", Some("h2c"), &[v13], 501, false),
            ("CONNECT", Some("websocket"), &[], 400, true),
            // 426 over HTTP/1.1; over HTTP/2 it cannot carry its Upgrade.
            (
                "CONNECT",
                Some("websocket"),
                &[("sec-websocket-version", "8")],
                400,
                true,
            ),
            ("CONNECT", Some("websocket"), &[v13, v13], 400, true),
            (
                "CONNECT",
                Some("websocket"),
                &[v13, ("sec-websocket-extensions", "x;=")],
                400,
                false,
            ),
            (
                "CONNECT",
                Some("websocket"),
                &[v13, ("sec-websocket-protocol", "a b")],
                400,
                false,
            ),
        ];
        for (method, protocol, fields, status, names) in refused {
            let e = request(method, fields)
                .validate_extended_connect(protocol, |_| true)
                .expect_err("refused");
            assert_eq!(
                e.status_over_h2(),
                Some(status),
                "{method} {protocol:?} {fields:?}: {e}"
            );
            assert_eq!(e.names_versions(), names, "{e}");
        }
        let version_8 = request("CONNECT", &[("sec-websocket-version", "8")])
            .validate_extended_connect(Some("websocket"), |_| true)
            .expect_err("version 8");
        assert_eq!(version_8.status(), Some(426));
        let e = request("CONNECT", &full)
            .validate_extended_connect(Some("websocket"), |_| false)
            .expect_err("origin");
        assert_eq!(e.status_over_h2(), Some(403));
    }
}
