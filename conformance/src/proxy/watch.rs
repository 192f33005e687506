//! One proxied connection's checker, sans-IO: the relay feeds it each read
//! (which side, when, the bytes) after relaying it, and takes the findings.
//!
//! The connection is followed as HTTP/1.1 (RFC 9112), each side on its own:
//! the client's requests one after another (their bodies skipped by their
//! framing, §6), the server's responses matched to them in order (bodies
//! skipped likewise: none after HEAD, 1xx, 204 or 304, §6.3), so a kept-alive
//! connection is followed from request to request, pipelined or not.
//! * A WebSocket upgrade request is checked as a server must check it (RFC
//!   6455 §4.2.1); its 101 as the client must (§4.1: `Sec-WebSocket-Accept`, a
//!   subprotocol and extensions that were offered; RFC 7692 §7.1 for
//!   permessage-deflate's parameters); a 101 to an invalid request is the
//!   server's violation (§4.2.1: it must refuse), and so are bytes the client
//!   sends before the answer (§4.1: it must wait). After a valid 101 each
//!   direction is a WebSocket stream ([`super::ws_flow`]).
//! * A `text/event-stream` response is checked as an event stream
//!   ([`super::sse_flow`]); a request that asked for one (`Accept:
//!   text/event-stream`) answered 200 with another type is the server's
//!   violation (WHATWG SSE §9.2.3: the client fails the connection). A stream
//!   whose body ends (its last chunk) leaves the connection to the next response.
//!
//! What cannot be followed is relayed unchecked from there: a body delimited
//! by the close of the connection, a head that does not parse, more than
//! [`MAX_PENDING`] requests waiting for their responses.

use std::collections::VecDeque;

use wirecheck_codec::http::{
    Framing, HeadLimits, Request, RequestParser, Response, ResponseParser, media_type_essence,
};
use wirecheck_codec::ws::Role;
use wirecheck_codec::ws::deflate::{Offer, validate_response};
use wirecheck_codec::ws::handshake::{ClientRequest, HandshakeError};

use super::sse_flow::SseFlow;
use super::ws_flow::{Problem, WsFlow};
use super::{Finding, Side};

/// The most requests that may wait for their responses (pipelining); past
/// it the connection is relayed unchecked.
pub const MAX_PENDING: usize = 32;

/// What a request asked for.
#[derive(Debug)]
enum Asked {
    /// A WebSocket upgrade: valid (the request as the client sent it, and its
    /// permessage-deflate offers), or invalid (already reported).
    Upgrade(Option<Box<(ClientRequest, Vec<Offer>)>>),
    /// An event stream (`Accept: text/event-stream`).
    EventStream,
    /// Something else.
    Other,
}

/// A request waiting for its response.
#[derive(Debug)]
struct Pending {
    asked: Asked,
    /// A HEAD request: its response has no body (RFC 9112 §6.3).
    head: bool,
}

/// The client's side.
#[derive(Debug)]
enum Client {
    Head(RequestParser),
    Body(Framing),
    /// A valid upgrade request was sent: nothing may follow until the answer.
    AwaitSwitch {
        early_reported: bool,
    },
    Stream(Box<WsFlow>),
    Unchecked,
}

/// The server's side.
#[derive(Debug)]
enum Server {
    Head(ResponseParser),
    Body(Framing),
    Stream(Box<WsFlow>),
    Events(Box<SseFlow>),
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
    client: Client,
    server: Server,
    pending: VecDeque<Pending>,
    kind: Kind,
    /// Bytes seen from each side.
    from_client: u64,
    from_server: u64,
    scratch: Vec<u8>,
    findings: Vec<Finding>,
    problems: Vec<Problem>,
}

impl Watch {
    /// The checker of connection number `conn`.
    pub fn new(conn: u64) -> Watch {
        Watch {
            conn,
            client: Client::Head(RequestParser::new(HeadLimits::default())),
            server: Server::Head(ResponseParser::new(HeadLimits::default())),
            pending: VecDeque::new(),
            kind: Kind::Http,
            from_client: 0,
            from_server: 0,
            scratch: Vec::new(),
            findings: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// What the connection carried (the first WebSocket or event stream seen).
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
        match side {
            Side::Client => {
                let at = self.from_client;
                self.from_client += bytes.len() as u64;
                self.client_bytes(at, bytes);
            }
            Side::Server => {
                let at = self.from_server;
                self.from_server += bytes.len() as u64;
                self.server_bytes(t_ms, at, bytes);
            }
        }
        self.flush(side, t_ms);
    }

    /// `side` closed its direction (or the connection broke) at `t_ms`.
    pub fn end(&mut self, side: Side, t_ms: u64) {
        if let Server::Events(flow) = &mut self.server {
            flow.finish(t_ms, side == Side::Server, &mut self.problems);
            self.server = Server::Unchecked;
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

    fn client_bytes(&mut self, at: u64, bytes: &mut [u8]) {
        let mut at = at;
        let mut bytes = bytes;
        while !bytes.is_empty() {
            let taken = match &mut self.client {
                Client::Head(parser) => match parser.feed(bytes) {
                    Ok(None) => bytes.len(),
                    Ok(Some(parsed)) => {
                        self.requested(&parsed.value, at);
                        parsed.consumed
                    }
                    Err(e) => {
                        self.report(
                            "RFC 9112 §3",
                            format!("the request head is invalid: {e}"),
                            at,
                        );
                        // Not HTTP from here: neither side can be followed.
                        self.client = Client::Unchecked;
                        self.server = Server::Unchecked;
                        bytes.len()
                    }
                },
                Client::Body(body) => match skip(body, bytes, &mut self.scratch) {
                    Ok((n, done)) => {
                        if done {
                            self.client = Client::Head(RequestParser::new(HeadLimits::default()));
                        }
                        n
                    }
                    Err(e) => {
                        self.report(
                            "RFC 9112 §7.1",
                            format!("the request's chunked body does not decode: {e}"),
                            at,
                        );
                        self.client = Client::Unchecked;
                        bytes.len()
                    }
                },
                Client::AwaitSwitch { early_reported } => {
                    if !*early_reported {
                        *early_reported = true;
                        self.report(
                            "RFC 6455 §4.1",
                            "the client sent data before the opening handshake's response (it must wait for the server's answer)".to_owned(),
                            at,
                        );
                    }
                    bytes.len()
                }
                Client::Stream(flow) => {
                    flow.feed(bytes, &mut self.problems);
                    bytes.len()
                }
                Client::Unchecked => bytes.len(),
            };
            at += taken as u64;
            bytes = &mut bytes[taken..];
        }
    }

    fn server_bytes(&mut self, t_ms: u64, at: u64, bytes: &mut [u8]) {
        let mut at = at;
        let mut bytes = bytes;
        while !bytes.is_empty() {
            let taken = match &mut self.server {
                Server::Head(parser) => match parser.feed(bytes) {
                    Ok(None) => bytes.len(),
                    Ok(Some(parsed)) => {
                        let consumed = parsed.consumed;
                        self.responded(&parsed.value, at, at + consumed as u64, t_ms);
                        consumed
                    }
                    Err(e) => {
                        self.report(
                            "RFC 9112 §4",
                            format!("the response head is invalid: {e}"),
                            at,
                        );
                        self.server = Server::Unchecked;
                        bytes.len()
                    }
                },
                Server::Body(body) => match skip(body, bytes, &mut self.scratch) {
                    Ok((n, done)) => {
                        if done {
                            self.server = Server::Head(ResponseParser::new(HeadLimits::default()));
                        }
                        n
                    }
                    Err(e) => {
                        self.report(
                            "RFC 9112 §7.1",
                            format!("the response's chunked body does not decode: {e}"),
                            at,
                        );
                        self.server = Server::Unchecked;
                        bytes.len()
                    }
                },
                Server::Stream(flow) => {
                    flow.feed(bytes, &mut self.problems);
                    bytes.len()
                }
                Server::Events(flow) => {
                    let n = flow.feed(t_ms, bytes, &mut self.problems);
                    if flow.done() {
                        // The stream ended with its body: the connection goes on.
                        flow.finish(t_ms, true, &mut self.problems);
                        self.server = Server::Head(ResponseParser::new(HeadLimits::default()));
                    }
                    n
                }
                Server::Unchecked => bytes.len(),
            };
            at += taken as u64;
            bytes = &mut bytes[taken..];
        }
    }

    /// A request head ended at `at` (where it started): note what it asks for
    /// and skip its body.
    fn requested(&mut self, request: &Request, at: u64) {
        let asked = self.asked(request, at);
        let upgrade = matches!(asked, Asked::Upgrade(Some(_)));
        if self.pending.len() >= MAX_PENDING {
            self.client = Client::Unchecked;
            self.server = Server::Unchecked;
            return;
        }
        self.pending.push_back(Pending {
            asked,
            head: request.method == "HEAD",
        });
        self.client = if upgrade {
            Client::AwaitSwitch {
                early_reported: false,
            }
        } else {
            match Framing::request(
                request.header_values("transfer-encoding"),
                request.header_values("content-length"),
            ) {
                Ok(body) if body.is_empty() => {
                    Client::Head(RequestParser::new(HeadLimits::default()))
                }
                Ok(body) => Client::Body(body),
                Err(e) => {
                    self.report("RFC 9112 §6.3", format!("the request's body: {e}"), at);
                    // Where the next request starts cannot be known.
                    self.server = Server::Unchecked;
                    Client::Unchecked
                }
            }
        };
    }

    /// What a request head asks for; an invalid upgrade request is reported.
    fn asked(&mut self, request: &Request, at: u64) -> Asked {
        if request.has_token("upgrade", "websocket") {
            return Asked::Upgrade(match client_request(request) {
                Ok(r) => Some(Box::new(r)),
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
        // Accept is a list of media ranges, each with its own parameters.
        let event_stream = request.header_values("accept").any(|v| {
            v.split(|&b| b == b',')
                .filter_map(media_type_essence)
                .any(|t| t.eq_ignore_ascii_case(b"text/event-stream"))
        });
        if event_stream {
            Asked::EventStream
        } else {
            Asked::Other
        }
    }

    /// A response head from `head_at` ended; its body or stream starts at `body_at`.
    fn responded(&mut self, response: &Response, head_at: u64, body_at: u64, t_ms: u64) {
        let next_head = || Server::Head(ResponseParser::new(HeadLimits::default()));
        if (100..200).contains(&response.status) && response.status != 101 {
            // An interim response: the final one is still to come.
            self.server = next_head();
            return;
        }
        let Some(pending) = self.pending.pop_front() else {
            self.report(
                "RFC 9112 §9.3",
                format!("a {} response to no request", response.status),
                head_at,
            );
            self.server = Server::Unchecked;
            return;
        };
        let content_type = response.content_type();
        let is_stream = content_type.is_some_and(|t| t.eq_ignore_ascii_case(b"text/event-stream"));
        match pending.asked {
            Asked::Upgrade(request) if response.status == 101 => {
                self.switched(request, response, head_at, body_at);
                return;
            }
            Asked::Upgrade(_) => {
                // Refused: the client may go on with another request.
                if matches!(self.client, Client::AwaitSwitch { .. }) {
                    self.client = Client::Head(RequestParser::new(HeadLimits::default()));
                }
            }
            _ if response.status == 101 => {
                self.report(
                    "RFC 9110 §15.2.2",
                    "the server switched protocols though the request asked for no upgrade"
                        .to_owned(),
                    head_at,
                );
                self.client = Client::Unchecked;
                self.server = Server::Unchecked;
                return;
            }
            _ if response.status == 200 && is_stream && !pending.head => {
                self.event_stream(response, head_at, body_at, t_ms);
                return;
            }
            Asked::EventStream if response.status == 200 => {
                let shown = content_type.map_or("none".into(), String::from_utf8_lossy);
                self.report(
                    "WHATWG SSE §9.2.3",
                    format!("an event stream was asked for and the 200 response has Content-Type {shown} (EventSource fails the connection)"),
                    head_at,
                );
            }
            _ => {}
        }
        self.server = match self.response_framing(response, pending.head, head_at) {
            Some(body) if body.is_empty() => next_head(),
            // Delimited by the close: nothing follows it.
            Some(Framing::Close) => Server::Unchecked,
            Some(body) => Server::Body(body),
            // Reported: where the next response starts cannot be known.
            None => Server::Unchecked,
        };
    }

    /// The framing of `response` (RFC 9112 §6.3); one that cannot be known
    /// is reported (`None`).
    fn response_framing(
        &mut self,
        response: &Response,
        to_head: bool,
        head_at: u64,
    ) -> Option<Framing> {
        let framing = Framing::response(
            response.status,
            to_head,
            response.header_values("transfer-encoding"),
            response.header_values("content-length"),
        );
        match framing {
            Ok(framing) => Some(framing),
            Err(e) => {
                let what = format!("the response's body: {e}");
                self.report("RFC 9112 §6.3", what, head_at);
                None
            }
        }
    }

    /// A 101 answered an upgrade request.
    fn switched(
        &mut self,
        request: Option<Box<(ClientRequest, Vec<Offer>)>>,
        response: &Response,
        head_at: u64,
        body_at: u64,
    ) {
        self.client = Client::Unchecked;
        self.server = Server::Unchecked;
        let Some(request) = request else {
            self.report(
                "RFC 6455 §4.2.1",
                "the server switched protocols on an invalid opening handshake (it must refuse it, e.g. with 400)".to_owned(),
                head_at,
            );
            return;
        };
        let (request, offers) = *request;
        let accepted = match response.validate(&request) {
            Ok(a) => a,
            Err(e) => {
                let what = super::without_rule(e.to_string(), e.rule());
                self.report(
                    e.rule(),
                    format!("the opening handshake's response: {what}"),
                    head_at,
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
                    head_at,
                );
                return;
            }
        };
        self.kind = Kind::WebSocket;
        self.client = Client::Stream(Box::new(WsFlow::new(
            Role::Server,
            deflate,
            self.from_client,
        )));
        self.server = Server::Stream(Box::new(WsFlow::new(Role::Client, deflate, body_at)));
    }

    /// A 200 `text/event-stream` response.
    fn event_stream(&mut self, response: &Response, head_at: u64, body_at: u64, t_ms: u64) {
        if self.kind == Kind::Http {
            self.kind = Kind::EventStream;
        }
        if let Some(n) = response.header_values("content-length").next() {
            self.report(
                "WHATWG SSE §9.2.3",
                format!(
                    "Content-Length: {} on an event stream: a finite stream that clients fetch again and again",
                    String::from_utf8_lossy(n)
                ),
                head_at,
            );
        }
        // A framing that cannot be known is followed to the close, as a
        // client that reads on would.
        let framing = self
            .response_framing(response, false, head_at)
            .unwrap_or(Framing::Close);
        self.server = Server::Events(Box::new(SseFlow::new(framing, body_at, t_ms)));
    }
}

/// Pass over what of `bytes` belongs to a body nobody checks (its bytes are
/// dropped from `scratch` on the next call).
fn skip(
    body: &mut Framing,
    bytes: &[u8],
    scratch: &mut Vec<u8>,
) -> Result<(usize, bool), wirecheck_codec::http::ChunkError> {
    scratch.clear();
    body.take(bytes, scratch)
}

/// The request as the client that sent it built it, if it is a valid opening
/// handshake (RFC 6455 §4.1, §4.2.1), with its permessage-deflate offers.
fn client_request(request: &Request) -> Result<(ClientRequest, Vec<Offer>), HandshakeError> {
    let valid = request.validate()?;
    // An offer the server cannot read is declined, not answered (RFC 7692 §7).
    let offers = valid
        .extensions
        .iter()
        .filter(|e| e.name.eq_ignore_ascii_case("permessage-deflate"))
        .filter_map(|e| Offer::parse(e).ok())
        .collect();
    Ok((valid.as_sent(), offers))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(exchanges: &[(Side, &[u8])]) -> (Vec<Finding>, Kind) {
        let mut w = Watch::new(1);
        let mut out = Vec::new();
        for (i, (side, bytes)) in exchanges.iter().enumerate() {
            w.feed(*side, i as u64, &mut bytes.to_vec());
            out.extend(w.take_findings());
        }
        w.end(Side::Server, 99);
        out.extend(w.take_findings());
        (out, w.kind())
    }

    const PAGE: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    const EVENTS: &[u8] = b"GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n";

    #[test]
    fn a_kept_alive_connection_is_followed_to_its_event_stream() {
        let (f, kind) = run(&[
            (Side::Client, PAGE),
            (
                Side::Server,
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
            ),
            (Side::Client, EVENTS),
            (
                Side::Server,
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\nretry: x\n\n",
            ),
        ]);
        assert_eq!(kind, Kind::EventStream);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].rule, "WHATWG SSE §9.2.6");
        // The line is the body's first: after the first response (43 bytes) and
        // the second head (52).
        assert_eq!(f[0].offset, 43 + 52, "{f:?}");
    }

    #[test]
    fn pipelined_requests_and_chunked_bodies_keep_their_order() {
        let mut both = PAGE.to_vec();
        both.extend_from_slice(EVENTS);
        let (f, kind) = run(&[
            (Side::Client, &both),
            (
                Side::Server,
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n\
                  HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n",
            ),
        ]);
        assert_eq!(kind, Kind::Http);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].what.contains("text/plain"), "{f:?}");
    }

    #[test]
    fn an_event_stream_that_ends_leaves_the_connection_to_the_next_response() {
        let (f, _) = run(&[
            (Side::Client, EVENTS),
            (
                Side::Server,
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n\
                  9\r\ndata: a\n\n\r\n0\r\n\r\n",
            ),
            (Side::Client, EVENTS),
            (Side::Server, b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\nDATA: b\n\n"),
        ]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].what.contains("DATA") || f[0].what.contains("case"),
            "{f:?}"
        );
    }

    #[test]
    fn an_upgrade_refused_lets_the_client_go_on() {
        let upgrade: &[u8] =
            b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
            Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        let (f, kind) = run(&[
            (Side::Client, upgrade),
            (
                Side::Server,
                b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
            ),
            (Side::Client, EVENTS),
            (
                Side::Server,
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: a\n\n",
            ),
        ]);
        assert_eq!(f, []);
        assert_eq!(kind, Kind::EventStream);
    }

    #[test]
    fn a_response_to_no_request_and_a_switch_nobody_asked_for_are_the_servers() {
        let (f, _) = run(&[(
            Side::Server,
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        )]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, "RFC 9112 §9.3");
        let (f, _) = run(&[
            (Side::Client, PAGE),
            (
                Side::Server,
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
            ),
        ]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, "RFC 9110 §15.2.2");
    }

    /// RFC 9112 §6.3: a message whose body cannot be delimited is an
    /// unrecoverable framing error; the proxy says so and follows no further.
    #[test]
    fn a_body_that_cannot_be_delimited_is_reported_and_ends_following() {
        let (f, _) = run(&[
            (Side::Client, PAGE),
            (
                Side::Server,
                b"HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\nabcd",
            ),
            // Not followed: no response to no request is reported.
            (
                Side::Server,
                b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            ),
        ]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].rule, "RFC 9112 §6.3");
        assert!(f[0].what.contains("conflicting Content-Length"), "{f:?}");
        let (f, _) = run(&[(
            Side::Client,
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nxyz",
        )]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].rule, "RFC 9112 §6.3");
        assert!(f[0].what.contains("not chunked"), "{f:?}");
        // A response whose final coding is not chunked is read to the close.
        let (f, _) = run(&[
            (Side::Client, PAGE),
            (
                Side::Server,
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
            ),
        ]);
        assert_eq!(f, [], "the bytes after the body are its own");
    }
}
