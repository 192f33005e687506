//! One proxied connection's checker, sans-IO: the relay feeds it each read
//! (which side, when, the bytes) after relaying it, and takes the findings.
//!
//! The connection is followed through HTTP/1.1 (RFC 9112):
//! 1. the request head, from the client. A WebSocket upgrade request is
//!    checked as a server must check it (RFC 6455 §4.2.1) and remembered;
//! 2. the response head, from the server. To an upgrade request, a 101 is
//!    checked as the client must check it (§4.1: `Sec-WebSocket-Accept`, a
//!    subprotocol and extensions that were offered; RFC 7692 §7.1 for
//!    permessage-deflate's parameters); a 101 to an invalid request is the
//!    server's violation (§4.2.1: it must refuse). A `text/event-stream`
//!    response is checked as an event stream; a request that asked for one
//!    (`Accept: text/event-stream`) answered 200 with another type is the
//!    server's violation (WHATWG SSE §9.2.3: the client fails the connection);
//! 3. after a valid 101, a WebSocket stream each way ([`super::ws_flow`]);
//!    after an event-stream head, its body ([`super::sse_flow`]).
//!
//! Anything else (another response, a request with a body, a second request
//! on a kept-alive connection after an unchecked response) is relayed and no
//! longer looked at: checking follows a connection's first exchange, which is
//! where WebSocket upgrades and event streams happen.

use base64::Engine as _;
use wirecheck_codec::http::{
    Chunked, HeadLimits, Request, RequestParser, Response, ResponseParser,
};
use wirecheck_codec::ws::Role;
use wirecheck_codec::ws::deflate::{Offer, validate_response};
use wirecheck_codec::ws::handshake::{ClientRequest, HandshakeError, is_token};

use super::sse_flow::{Framing, SseFlow};
use super::ws_flow::{Problem, WsFlow};
use super::{Finding, Side};

/// What the request asked for.
#[derive(Debug)]
enum Asked {
    /// A WebSocket upgrade: valid (the request as the client sent it, and its
    /// permessage-deflate offers), or invalid (already reported).
    Upgrade(Option<(ClientRequest, Vec<Offer>)>),
    /// An event stream (`Accept: text/event-stream`).
    EventStream,
    /// Something else.
    Other,
}

#[derive(Debug)]
enum Phase {
    Request(RequestParser),
    Response {
        asked: Asked,
        parser: ResponseParser,
        early_reported: bool,
    },
    // Boxed: a flow holds a decoder and an inflater, a parser much less.
    WebSocket {
        from_client: Box<WsFlow>,
        from_server: Box<WsFlow>,
    },
    EventStream(Box<SseFlow>),
    Unchecked,
}

/// What kind of traffic a connection carried, for the summary and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Not (yet) recognised.
    Http,
    /// A WebSocket connection (a 101 was seen).
    WebSocket,
    /// An event stream.
    EventStream,
}

/// One connection's checker.
#[derive(Debug)]
pub struct Watch {
    conn: u64,
    phase: Phase,
    kind: Kind,
    /// Bytes seen from each side.
    from_client: u64,
    from_server: u64,
    findings: Vec<Finding>,
    problems: Vec<Problem>,
}

impl Watch {
    /// The checker of connection number `conn`.
    pub fn new(conn: u64) -> Watch {
        Watch {
            conn,
            phase: Phase::Request(RequestParser::new(HeadLimits::default())),
            kind: Kind::Http,
            from_client: 0,
            from_server: 0,
            findings: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// What the connection carried.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The findings since the last call.
    pub fn take_findings(&mut self) -> Vec<Finding> {
        std::mem::take(&mut self.findings)
    }

    /// `side` sent `bytes` (already relayed; they may be unmasked in place) at
    /// `t_ms` since the proxy started.
    pub fn feed(&mut self, side: Side, t_ms: u64, bytes: &mut [u8]) {
        let at = match side {
            Side::Client => self.from_client,
            Side::Server => self.from_server,
        };
        match side {
            Side::Client => self.from_client += bytes.len() as u64,
            Side::Server => self.from_server += bytes.len() as u64,
        }
        self.step(side, t_ms, at, bytes);
        self.flush(side, t_ms);
    }

    /// `side` closed its direction (or the connection broke) at `t_ms`.
    pub fn end(&mut self, side: Side, t_ms: u64) {
        if let Phase::EventStream(flow) = &mut self.phase {
            flow.finish(t_ms, side == Side::Server, &mut self.problems);
            self.phase = Phase::Unchecked;
            self.flush(Side::Server, t_ms);
        }
    }

    fn flush(&mut self, side: Side, t_ms: u64) {
        for p in self.problems.drain(..) {
            self.findings.push(Finding {
                t_ms,
                conn: self.conn,
                from: side,
                rule: p.rule,
                what: p.what,
                offset: p.offset,
            });
        }
    }

    fn report(&mut self, rule: &str, what: String, offset: u64) {
        self.problems.push(Problem {
            rule: rule.to_owned(),
            what,
            offset,
        });
    }

    fn step(&mut self, side: Side, t_ms: u64, at: u64, bytes: &mut [u8]) {
        match (&mut self.phase, side) {
            (Phase::Request(parser), Side::Client) => match parser.feed(bytes) {
                Ok(None) => {}
                Ok(Some(parsed)) => {
                    let asked = self.asked(&parsed.value, at);
                    let has_body = parsed
                        .value
                        .header_values("content-length")
                        .next()
                        .is_some()
                        || parsed
                            .value
                            .header_values("transfer-encoding")
                            .next()
                            .is_some();
                    self.phase = if has_body {
                        Phase::Unchecked
                    } else {
                        Phase::Response {
                            asked,
                            parser: ResponseParser::new(HeadLimits::default()),
                            early_reported: false,
                        }
                    };
                    let rest = parsed.consumed;
                    if rest < bytes.len() {
                        self.step(side, t_ms, at + rest as u64, &mut bytes[rest..]);
                    }
                }
                Err(e) => {
                    self.report(
                        "RFC 9112 §3",
                        format!("the request head is invalid: {e}"),
                        at,
                    );
                    self.phase = Phase::Unchecked;
                }
            },
            (Phase::Request(_), Side::Server) => {
                // The server spoke before the request ended: nothing to check it against.
                self.phase = Phase::Unchecked;
            }
            (
                Phase::Response {
                    asked: Asked::Upgrade(Some(_)),
                    early_reported,
                    ..
                },
                Side::Client,
            ) if !*early_reported => {
                *early_reported = true;
                self.report(
                    "RFC 6455 §4.1",
                    "the client sent data before the opening handshake's response (it must wait for the server's answer)".to_owned(),
                    at,
                );
            }
            (Phase::Response { parser, .. }, Side::Server) => match parser.feed(bytes) {
                Ok(None) => {}
                Ok(Some(parsed)) => {
                    let Phase::Response { asked, .. } =
                        std::mem::replace(&mut self.phase, Phase::Unchecked)
                    else {
                        return;
                    };
                    let rest = parsed.consumed;
                    self.answered(asked, &parsed.value, at + rest as u64, t_ms);
                    if rest < bytes.len() {
                        self.step(side, t_ms, at + rest as u64, &mut bytes[rest..]);
                    }
                }
                Err(e) => {
                    self.report(
                        "RFC 9112 §4",
                        format!("the response head is invalid: {e}"),
                        at,
                    );
                    self.phase = Phase::Unchecked;
                }
            },
            (Phase::WebSocket { from_client, .. }, Side::Client) => {
                from_client.feed(bytes, &mut self.problems);
            }
            (Phase::WebSocket { from_server, .. }, Side::Server) => {
                from_server.feed(bytes, &mut self.problems);
            }
            (Phase::EventStream(flow), Side::Server) => flow.feed(t_ms, bytes, &mut self.problems),
            // The client's bytes during an event stream (a pipelined request),
            // during a response it did not ask to upgrade, or on an unchecked
            // connection: relayed only.
            _ => {}
        }
    }

    /// What a request head asks for; an invalid upgrade request is reported.
    fn asked(&mut self, request: &Request, at: u64) -> Asked {
        let upgrade = request.header_values("upgrade").any(|v| {
            v.split(|&b| b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"websocket"))
        });
        if upgrade {
            return Asked::Upgrade(match client_request(request) {
                Ok(r) => Some(r),
                Err(e) => {
                    let what = super::without_rule(e.to_string(), e.rule());
                    self.report(
                        e.rule(),
                        format!("an invalid opening handshake: {what}"),
                        at,
                    );
                    None
                }
            });
        }
        let event_stream = request.header_values("accept").any(|v| {
            v.split(|&b| b == b',')
                .any(|t| essence(t).eq_ignore_ascii_case(b"text/event-stream"))
        });
        if event_stream {
            Asked::EventStream
        } else {
            Asked::Other
        }
    }

    /// The response head ended; the body or stream starts at `body_at`.
    fn answered(&mut self, asked: Asked, response: &Response, body_at: u64, t_ms: u64) {
        let content_type = response.header_values("content-type").next().map(essence);
        let is_stream = content_type.is_some_and(|t| t.eq_ignore_ascii_case(b"text/event-stream"));
        match asked {
            Asked::Upgrade(request) if response.status == 101 => {
                let Some((request, offers)) = request else {
                    self.report(
                        "RFC 6455 §4.2.1",
                        "the server switched protocols on an invalid opening handshake (it must refuse it, e.g. with 400)".to_owned(),
                        0,
                    );
                    return;
                };
                let accepted = match response.validate(&request) {
                    Ok(a) => a,
                    Err(e) => {
                        let what = super::without_rule(e.to_string(), e.rule());
                        self.report(
                            e.rule(),
                            format!("the opening handshake's response: {what}"),
                            0,
                        );
                        return;
                    }
                };
                let deflate = match validate_response(&offers, &accepted.extensions) {
                    Ok(agreed) => agreed,
                    Err(e) => {
                        self.report(
                            "RFC 7692 §7.1",
                            format!("the permessage-deflate answer does not fit the offers: {e}"),
                            0,
                        );
                        return;
                    }
                };
                self.kind = Kind::WebSocket;
                self.phase = Phase::WebSocket {
                    from_client: Box::new(WsFlow::new(Role::Server, deflate, self.from_client)),
                    from_server: Box::new(WsFlow::new(Role::Client, deflate, body_at)),
                };
            }
            _ if response.status == 200 && is_stream => {
                self.kind = Kind::EventStream;
                let length = response.header_values("content-length").next();
                let chunked = response.header_values("transfer-encoding").any(|v| {
                    v.split(|&b| b == b',')
                        .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"chunked"))
                });
                let framing = if chunked {
                    Framing::Chunked(Chunked::default())
                } else if let Some(n) = length {
                    self.report(
                        "WHATWG SSE §9.2.3",
                        format!(
                            "Content-Length: {} on an event stream: a finite stream that clients fetch again and again",
                            String::from_utf8_lossy(n)
                        ),
                        0,
                    );
                    std::str::from_utf8(n)
                        .ok()
                        .and_then(|s| s.trim().parse().ok())
                        .map_or(Framing::Close, Framing::Length)
                } else {
                    Framing::Close
                };
                self.phase = Phase::EventStream(Box::new(SseFlow::new(framing, body_at, t_ms)));
            }
            Asked::EventStream if response.status == 200 => {
                let shown = content_type.map_or("none".into(), String::from_utf8_lossy);
                self.report(
                    "WHATWG SSE §9.2.3",
                    format!("an event stream was asked for and the 200 response has Content-Type {shown} (EventSource fails the connection)"),
                    0,
                );
            }
            _ => {}
        }
    }
}

/// A media type's essence: before any `;`, trimmed.
fn essence(v: &[u8]) -> &[u8] {
    v.split(|&b| b == b';').next().unwrap_or(v).trim_ascii()
}

/// The request as the client that sent it would have built it, if it is a
/// valid opening handshake (RFC 6455 §4.1, §4.2.1), with its deflate offers.
fn client_request(request: &Request) -> Result<(ClientRequest, Vec<Offer>), HandshakeError> {
    let valid = request.validate()?;
    // validate() checked the key: base64 of 16 bytes (§4.1 item 7).
    let mut key = [0u8; 16];
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(valid.key.as_bytes())
        .unwrap_or_default();
    if decoded.len() == key.len() {
        key.copy_from_slice(&decoded);
    }
    let mut client = ClientRequest::new(&valid.host, &valid.target, key);
    client.protocols = valid.protocols.clone();
    client.extensions = valid.extensions.clone();
    // An offer the server cannot read is declined, not answered (RFC 7692 §7).
    let offers = valid
        .extensions
        .iter()
        .filter(|e| {
            e.name.eq_ignore_ascii_case("permessage-deflate") && is_token(e.name.as_bytes())
        })
        .filter_map(|e| Offer::parse(e).ok())
        .collect();
    Ok((client, offers))
}
