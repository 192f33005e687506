//! The server's opening handshake response: the server builds it (the 101, or an
//! error response), the client parses and validates it.
//!
//! As on the request side, parsing ([`ResponseParser`], shared scanner, httparse
//! once) and checking ([`Response::validate`], RFC 6455 §4.1's six response checks)
//! are separate steps, so a client can still read the headers of a non-101 answer
//! (a redirect's `Location`, a 401's challenge) while the check reports which rule
//! failed. The builders check their own inputs: a server cannot pick a subprotocol or
//! extension the client did not offer, and no caller-supplied header can inject
//! another, so everything this module emits passes its own checks.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::error::{HandshakeError, HandshakeErrorKind as K};
use super::extensions::{Extension, format_extensions, is_offered, parse_extensions};
use super::request::{ClientRequest, UpgradeRequest, check_extra_header};
use super::{HandshakeLimits, Parsed};
use crate::http::header::{list_contains, parse_token_list, single, values};
use crate::http::{self, Response};

fn bad(kind: K, detail: &'static str) -> HandshakeError {
    HandshakeError::new(kind, detail)
}

// ---------------------------------------------------------------------------------
// Server: the 101
// ---------------------------------------------------------------------------------

/// Headers [`AcceptResponse`] writes itself; a 101 also carries no body, so no
/// `Content-Length` (RFC 7230 §3.3.2) or `Transfer-Encoding` (§3.3.1) either.
const SERVER_MANAGED: &[&str] = &[
    "upgrade",
    "connection",
    "sec-websocket-accept",
    "sec-websocket-protocol",
    "sec-websocket-extensions",
    "content-length",
    "transfer-encoding",
];

/// Builder for the server's `101 Switching Protocols` (RFC 6455 §4.2.2 item 5).
#[derive(Debug, Clone)]
pub struct AcceptResponse<'a> {
    /// The validated request being answered.
    pub request: &'a UpgradeRequest,
    /// The chosen subprotocol; must be one the client offered.
    pub protocol: Option<String>,
    /// The accepted extensions; each name must be one the client offered.
    pub extensions: Vec<Extension>,
    /// Further headers (e.g. `Set-Cookie`), in order.
    pub headers: Vec<(String, String)>,
}

impl<'a> AcceptResponse<'a> {
    /// A plain 101 for `request`: no subprotocol, no extensions.
    pub fn new(request: &'a UpgradeRequest) -> Self {
        AcceptResponse {
            request,
            protocol: None,
            extensions: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// Chooses a subprotocol.
    pub fn protocol(mut self, protocol: &str) -> Self {
        self.protocol = Some(protocol.into());
        self
    }

    /// Accepts an extension.
    pub fn extension(mut self, extension: Extension) -> Self {
        self.extensions.push(extension);
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The response bytes.
    pub fn encode(&self) -> Result<Vec<u8>, HandshakeError> {
        // §4.2.2 item 5.5 /subprotocol/: "one of the values" the client sent (§4.2.2
        // item 4), a single one (§11.3.4: not more than once in a response).
        if let Some(p) = &self.protocol {
            if !self.request.protocols.iter().any(|o| o == p) {
                return Err(bad(K::InvalidProtocol, "subprotocol was not offered"));
            }
        }
        // §9.1: the server answers with extensions from the client's offer; §4.1
        // requires the client to fail on any other.
        if self
            .extensions
            .iter()
            .any(|e| !is_offered(&self.request.extensions, &e.name))
        {
            return Err(bad(K::InvalidExtension, "extension was not offered"));
        }
        let extensions = format_extensions(&self.extensions)?;
        for (n, v) in &self.headers {
            check_extra_header(n, v, SERVER_MANAGED)?;
        }
        // §4.2.2 item 5.1-5.4: status line, Upgrade, Connection, Sec-WebSocket-Accept;
        // 5.5 the subprotocol; 5.6 /extensions/; then the extras.
        let accept = self.request.accept_key();
        let mut fields: Vec<(&str, &str)> = vec![
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", &accept),
        ];
        if let Some(p) = &self.protocol {
            fields.push(("Sec-WebSocket-Protocol", p));
        }
        if !extensions.is_empty() {
            fields.push(("Sec-WebSocket-Extensions", &extensions));
        }
        fields.extend(self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        let mut out = Vec::new();
        crate::http::write_head(&mut out, "HTTP/1.1 101 Switching Protocols", fields)
            .map_err(|_| bad(K::InvalidHeaderField, "a field would break the response"))?;
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------
// Server: error responses
// ---------------------------------------------------------------------------------

/// The reason phrase for the statuses this module sends.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        403 => "Forbidden",
        405 => "Method Not Allowed",
        426 => "Upgrade Required",
        431 => "Request Header Fields Too Large",
        _ => "Internal Server Error",
    }
}

/// The response a server sends when the handshake fails with `error`: the error's
/// status (500 for errors that are this side's bug, e.g. builder misuse), a
/// one-line `text/plain` body naming the rule, and `Connection: close`. A 426 also
/// carries `Sec-WebSocket-Version: 13` (§4.2.2 item 4 /version/, §4.4) and `Upgrade:
/// websocket` (RFC 7231 §6.5.15: "The server MUST send an Upgrade header field in a
/// 426 response"); a 405 carries `Allow: GET` (RFC 7231 §6.5.5: "MUST generate an
/// Allow header field").
pub fn error_response(error: &HandshakeError) -> Vec<u8> {
    let status = error.status().unwrap_or(500);
    let body = format!("{error}\n");
    let mut out = format!("HTTP/1.1 {status} {}\r\n", reason_phrase(status));
    match status {
        426 => out.push_str(
            "Sec-WebSocket-Version: 13\r\nUpgrade: websocket\r\nConnection: Upgrade, close\r\n",
        ),
        405 => out.push_str("Allow: GET\r\nConnection: close\r\n"),
        _ => out.push_str("Connection: close\r\n"),
    }
    out.push_str("Content-Type: text/plain; charset=utf-8\r\n");
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    out.push_str(&body);
    out.into_bytes()
}

// ---------------------------------------------------------------------------------
// Client: parse the response
// ---------------------------------------------------------------------------------

/// Incremental response reader: the HTTP layer's ([`http::ResponseParser`]),
/// with its errors as the handshake's.
#[derive(Debug, Clone, Default)]
pub struct ResponseParser(http::ResponseParser);

impl ResponseParser {
    /// A parser with the given limits.
    pub fn new(limits: HandshakeLimits) -> Self {
        ResponseParser(http::ResponseParser::new(limits))
    }

    /// Feeds the next bytes: see [`http::RequestParser::feed`]. Bytes after the
    /// head (`bytes[parsed.consumed..]`) are the server's first frames.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Option<Parsed<Response>>, HandshakeError> {
        self.0.feed(bytes).map_err(HandshakeError::from)
    }

    /// Bytes examined so far.
    pub fn work(&self) -> u64 {
        self.0.work()
    }
}

// ---------------------------------------------------------------------------------
// Client: validate the response
// ---------------------------------------------------------------------------------

/// What the server agreed to in a valid 101.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The subprotocol in use, if the server chose one.
    pub protocol: Option<String>,
    /// The extensions in use, in the server's order, with its parameters.
    pub extensions: Vec<Extension>,
}

impl Response {
    /// Applies the client's checks of RFC 6455 §4.1 ("the client MUST validate the
    /// server's response as follows") against the request that was sent.
    pub fn validate(&self, request: &ClientRequest) -> Result<Accepted, HandshakeError> {
        let h = &self.headers;
        // Check 1: "If the status code received from the server is not 101, the client
        // handles the response per HTTP procedures" — reported with its status.
        if self.status != 101 {
            return Err(bad(
                K::NotSwitchingProtocols {
                    status: self.status,
                },
                "",
            ));
        }
        // Check 2: "If the response lacks an |Upgrade| header field or the |Upgrade|
        // header field contains a value that is not an ASCII case-insensitive match
        // for the value "websocket", the client MUST _Fail_": so every element must be
        // websocket, and at least one must be present.
        let mut upgrades = Vec::new();
        parse_token_list(values(h, "upgrade"), &mut upgrades)
            .map_err(|e| bad(K::ResponseUpgrade, e))?;
        if upgrades.is_empty() {
            return Err(bad(K::ResponseUpgrade, "missing"));
        }
        if upgrades
            .iter()
            .any(|u| !u.eq_ignore_ascii_case(b"websocket"))
        {
            return Err(bad(K::ResponseUpgrade, "a value other than websocket"));
        }
        // Check 3: "If the response lacks a |Connection| header field or the
        // |Connection| header field doesn't contain a token that is an ASCII
        // case-insensitive match for the value "Upgrade", the client MUST _Fail_".
        match list_contains(values(h, "connection"), "upgrade", false) {
            Ok((true, _)) => {}
            Ok((false, 0)) => return Err(bad(K::ResponseConnection, "missing")),
            Ok((false, _)) => return Err(bad(K::ResponseConnection, "no upgrade token")),
            Err(e) => return Err(bad(K::ResponseConnection, e)),
        }
        // Check 4: the exact base64 SHA-1 of key + GUID; §11.3.3: at most once.
        match single(h, "sec-websocket-accept") {
            Ok(v) if v == request.expected_accept().as_bytes() => {}
            Ok(_) => return Err(bad(K::AcceptMismatch, "not the expected value")),
            Err(0) => return Err(bad(K::AcceptMismatch, "missing")),
            Err(_) => return Err(bad(K::AcceptMismatch, "repeated")),
        }
        self.agreement(&request.protocols, &request.extensions)
    }

    /// The client's checks 5 and 6 of RFC 6455 §4.1 alone: the extensions and
    /// the subprotocol the response agrees to, each of which must have been
    /// offered (`protocols`, `extensions`). This is all a client checks of a
    /// 2xx answer to an RFC 8441 extended CONNECT: §5 keeps the negotiation of
    /// extensions and subprotocols, and checks 1-4 belong to the Upgrade
    /// handshake HTTP/2 does not have.
    pub fn agreement(
        &self,
        protocols: &[String],
        extensions: &[Extension],
    ) -> Result<Accepted, HandshakeError> {
        // Check 5: "If the response includes a |Sec-WebSocket-Extensions| header field
        // and this header field indicates the use of an extension that was not present
        // in the client's handshake ..., the client MUST _Fail_".
        let agreed = parse_extensions(values(&self.headers, "sec-websocket-extensions"))
            .map_err(|e| bad(K::ResponseExtension, e))?;
        if agreed.iter().any(|e| !is_offered(extensions, &e.name)) {
            return Err(bad(K::ResponseExtension, "extension was not offered"));
        }
        let protocol = self.selected_protocol(protocols)?;
        Ok(Accepted {
            protocol,
            extensions: agreed,
        })
    }

    /// The client's check 6 of RFC 6455 §4.1 alone, for a request the client
    /// wrote itself: the subprotocol the response selects, if any, which must
    /// be one of `offered`.
    pub fn selected_protocol(&self, offered: &[String]) -> Result<Option<String>, HandshakeError> {
        // Check 6: "If the response includes a |Sec-WebSocket-Protocol| header field
        // and this header field indicates the use of a subprotocol that was not present
        // in the client's handshake ..., the client MUST _Fail_". §4.2.2 item 5.5 sends
        // a single value and §11.3.4 forbids the field twice in a response.
        match single(&self.headers, "sec-websocket-protocol") {
            Err(0) => Ok(None),
            Err(_) => Err(bad(K::ResponseProtocol, "repeated")),
            Ok(v) => {
                let mut list = Vec::new();
                parse_token_list([v], &mut list).map_err(|e| bad(K::ResponseProtocol, e))?;
                let [p] = list.as_slice() else {
                    return Err(bad(K::ResponseProtocol, "not exactly one subprotocol"));
                };
                match offered.iter().find(|o| o.as_bytes() == *p) {
                    Some(o) => Ok(Some(o.clone())),
                    None => Err(bad(K::ResponseProtocol, "subprotocol was not offered")),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ws::handshake::RequestParser;

    fn upgrade(req: &ClientRequest) -> UpgradeRequest {
        let bytes = req.encode().unwrap();
        RequestParser::default()
            .feed(&bytes)
            .unwrap()
            .unwrap()
            .value
            .validate()
            .unwrap()
    }

    fn check(req: &ClientRequest, resp: &[u8]) -> Result<Accepted, HandshakeError> {
        let mut p = ResponseParser::default();
        p.feed(resp)?.expect("complete").value.validate(req)
    }

    #[test]
    fn round_trip_with_protocol_and_extension() {
        let req = ClientRequest::new("h", "/", [1; 16])
            .protocol("a")
            .protocol("b")
            .extension(Extension::new("x").param("p", None));
        let up = upgrade(&req);
        let bytes = AcceptResponse::new(&up)
            .protocol("b")
            .extension(Extension::new("x"))
            .header("Set-Cookie", "s=1")
            .encode()
            .unwrap();
        let acc = check(&req, &bytes).unwrap();
        assert_eq!(acc.protocol.as_deref(), Some("b"));
        assert_eq!(acc.extensions, [Extension::new("x")]);
    }

    #[test]
    fn server_builder_refuses_unoffered_choices() {
        let req = ClientRequest::new("h", "/", [1; 16]).protocol("a");
        let up = upgrade(&req);
        assert_eq!(
            AcceptResponse::new(&up)
                .protocol("z")
                .encode()
                .unwrap_err()
                .kind(),
            K::InvalidProtocol
        );
        assert_eq!(
            AcceptResponse::new(&up)
                .extension(Extension::new("x"))
                .encode()
                .unwrap_err()
                .kind(),
            K::InvalidExtension
        );
        assert_eq!(
            AcceptResponse::new(&up)
                .header("Content-Length", "0")
                .encode()
                .unwrap_err()
                .kind(),
            K::InvalidHeaderField
        );
    }

    #[test]
    fn error_response_shape() {
        let e = HandshakeError::new(K::UnsupportedVersion, "only version 13 is supported");
        let r = String::from_utf8(error_response(&e)).unwrap();
        assert!(r.starts_with("HTTP/1.1 426 Upgrade Required\r\n"));
        assert!(r.contains("\r\nSec-WebSocket-Version: 13\r\n"));
        let (head, body) = r.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("Content-Length: {}", body.len())));
        assert_eq!(body.matches('\n').count(), 1);
    }

    /// Check 6 alone, for requests the codec did not build.
    #[test]
    fn the_selected_protocol_is_one_offered() {
        let offered = [String::from("a"), String::from("b")];
        let response = |extra: &str| {
            let head = format!("HTTP/1.1 101 Switching Protocols\r\n{extra}\r\n");
            ResponseParser::default()
                .feed(head.as_bytes())
                .unwrap()
                .unwrap()
                .value
        };
        assert_eq!(response("").selected_protocol(&offered).unwrap(), None);
        let b = response("Sec-WebSocket-Protocol: b\r\n");
        assert_eq!(b.selected_protocol(&offered).unwrap().as_deref(), Some("b"));
        for bad in [
            "Sec-WebSocket-Protocol: c\r\n",
            "Sec-WebSocket-Protocol: a, b\r\n",
            "Sec-WebSocket-Protocol: a\r\nSec-WebSocket-Protocol: a\r\n",
        ] {
            assert!(
                response(bad).selected_protocol(&offered).is_err(),
                "{bad:?}"
            );
        }
        assert!(b.selected_protocol(&[]).is_err());
    }
}
