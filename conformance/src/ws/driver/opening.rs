//! The opening handshake (RFC 6455 §4), sans-IO, for either role: bytes in,
//! bytes out, and at the end either an open connection (with whatever arrived
//! after the head) or why it failed. The deadline is the I/O owner's (it also
//! covers connecting).
//!
//! As a client it sends the request a case asks for: the textbook one by
//! default, or one an [`OpeningSpec`] describes (another method or version,
//! headers removed or replaced, a chosen key, the request cut into segments),
//! and judges the response by the case's expectation ([`Expect`]). As a server
//! it reads a request, validates it with the codec, and answers 101 or 400.

use wirecheck_codec::http::write::{write_field, write_status_line};
use wirecheck_codec::ws::handshake::{
    AcceptResponse, ClientRequest, Extension, RequestParser, ResponseParser, UpgradeRequest,
    accept_key, error_response, parse_extensions,
};

use wirecheck_codec::ws::deflate::{Agreed, validate_response};

use crate::core::{Behavior, BehaviorClose};
use crate::ws::case::{AnswerSpec, Case, Expect, OpeningSpec, Scoring};
use crate::ws::result::CaseResult;
use crate::ws::verdict::{Observed, verdicts};

/// Where the handshake stands after some input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// It needs more bytes (or its writes to go out).
    More,
    /// The connection is open; these bytes followed the head.
    Open(Vec<u8>),
    /// The peer refused to open it: an HTTP status other than 101. With an
    /// [`OpeningSpec`] that expects a refusal this is the case's success.
    Refused {
        /// The status.
        status: u16,
        /// The refusal's `Sec-WebSocket-Version` values, joined with ", "
        /// (RFC 6455 §4.2.2: the versions the server understands).
        versions: Option<String>,
    },
    /// It failed, for this reason.
    Failed(String),
    /// The peer opened the connection (101, or a 2xx over HTTP/2) with an
    /// answer the client must fail (RFC 6455 §4.1: a wrong accept value, an
    /// extension or subprotocol not offered; RFC 7692 §7.1: an offer it had
    /// to decline, accepted): an acceptance all the same, never a refusal.
    BadAnswer(String),
    /// A 101 that switched to another protocol than websocket: the `Upgrade`
    /// it named (`(none)` without one). Only a case's own request can get
    /// it; the textbook request's answer is checked whole by the codec.
    Switched(String),
}

/// What the client sent as its key, to check the server's accept value.
#[derive(Debug)]
enum Check {
    /// The textbook request: the codec validates the whole response.
    Textbook(Box<ClientRequest>),
    /// A request of the case's: 101 with the accept value for this key (if one
    /// was sent) and agreeing only to what was offered opens the connection;
    /// anything else is a refusal.
    Custom {
        key: Option<String>,
        /// What the request offered (RFC 6455 §4.1 items 10-11).
        offers: CustomOffers,
    },
}

/// The subprotocols and extensions a case's own request offered, which the
/// answer may agree to and nothing else (RFC 6455 §4.1, checks 5 and 6).
#[derive(Debug, Clone, Default)]
pub struct CustomOffers {
    /// The subprotocols, in order.
    pub protocols: Vec<String>,
    /// The extensions (an offer that does not parse offers none).
    pub extensions: Vec<Extension>,
    /// The request carries a permessage-deflate offer the server must
    /// decline ([`OpeningSpec::decline_deflate`]).
    pub decline_deflate: bool,
}

impl CustomOffers {
    /// What `headers` (a request's fields, any letter case) offer.
    pub fn of(headers: &[(String, String)], decline_deflate: bool) -> CustomOffers {
        fn values<'a>(
            headers: &'a [(String, String)],
            name: &'a str,
        ) -> impl Iterator<Item = &'a str> + 'a {
            headers
                .iter()
                .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        }
        CustomOffers {
            protocols: values(headers, "Sec-WebSocket-Protocol")
                .flat_map(|v| v.split(','))
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect(),
            extensions: parse_extensions(
                values(headers, "Sec-WebSocket-Extensions").map(str::as_bytes),
            )
            .unwrap_or_default(),
            decline_deflate,
        }
    }

    /// Why an answer that opened the connection may not (RFC 7692 §7.1 for
    /// an offer to decline; RFC 6455 §4.1 checks 5 and 6), or `None`. Over
    /// HTTP/1.1 this follows the Upgrade fields' checks; over HTTP/2 it is
    /// all there is to check of a 2xx (RFC 8441 §5).
    pub fn refuse_answer(&self, response: &wirecheck_codec::http::Response) -> Option<String> {
        let field = |name: &str| {
            response
                .header_values(name)
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        };
        if self.decline_deflate && accepts_deflate(response) {
            return Some(format!(
                "the server accepted a permessage-deflate offer it must decline ({}): RFC 7692 §7.1: a server \"MUST decline an extension negotiation offer for this extension\" with a parameter not defined for an offer, a parameter given twice, or a value out of range",
                field("Sec-WebSocket-Extensions")
            ));
        }
        if let Err(e) = response.selected_protocol(&self.protocols) {
            return Some(format!(
                "the answer's Sec-WebSocket-Protocol {:?} is not one of the subprotocols offered ({}): {e}",
                field("Sec-WebSocket-Protocol"),
                if self.protocols.is_empty() {
                    "none".to_owned()
                } else {
                    self.protocols.join(", ")
                },
            ));
        }
        response
            .agreement(&self.protocols, &self.extensions)
            .err()
            .map(|e| {
                format!(
                    "the answer's Sec-WebSocket-Extensions {:?}: {e}",
                    field("Sec-WebSocket-Extensions")
                )
            })
    }
}

/// The fields of a case's own request: `defaults` with the fields `spec`
/// removes, replaces and adds (names compared in any letter case).
pub fn custom_fields(
    spec: &OpeningSpec,
    mut fields: Vec<(String, String)>,
) -> Vec<(String, String)> {
    fields.retain(|(n, _)| !spec.remove.iter().any(|r| r.eq_ignore_ascii_case(n)));
    for (name, value) in &spec.set {
        match fields
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(h) => h.1.clone_from(value),
            None => fields.push((name.clone(), value.clone())),
        }
    }
    fields.extend(spec.add.iter().cloned());
    fields
}

/// The client side.
#[derive(Debug)]
pub struct ClientOpening {
    check: Check,
    /// The writes of the request (one, or the case's segments).
    writes: Vec<Vec<u8>>,
    written: usize,
    offset: usize,
    parser: ResponseParser,
    head: Vec<u8>,
    /// The extensions the server's 101 accepted (RFC 6455 §9.1).
    extensions: Vec<Extension>,
}

impl ClientOpening {
    /// The textbook request (RFC 6455 §4.1). Fails when the codec refuses to
    /// encode it (a header value with a line break, say).
    pub fn textbook(request: ClientRequest) -> Result<ClientOpening, String> {
        let bytes = request
            .encode()
            .map_err(|e| format!("cannot build the request: {e}"))?;
        Ok(ClientOpening::with(
            Check::Textbook(Box::new(request)),
            vec![bytes],
        ))
    }

    /// The request `spec` describes, on the textbook request's defaults.
    pub fn custom(spec: &OpeningSpec, textbook: &ClientRequest) -> ClientOpening {
        let mut defaults: Vec<(String, String)> = vec![
            ("Host".into(), textbook.host.clone()),
            ("Upgrade".into(), "websocket".into()),
            ("Connection".into(), "Upgrade".into()),
            ("Sec-WebSocket-Key".into(), textbook.key_base64()),
            ("Sec-WebSocket-Version".into(), "13".into()),
        ];
        // What every request of the run carries (User-Agent, `--origin`,
        // `--header`), as over HTTP/2: a server that needs them answers the
        // case's change, not their absence.
        if let Some(origin) = &textbook.origin {
            defaults.push(("Origin".into(), origin.clone()));
        }
        defaults.extend(textbook.headers.iter().cloned());
        let headers = custom_fields(spec, defaults);
        let key = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("Sec-WebSocket-Key"))
            .map(|(_, v)| v.clone());
        let offers = CustomOffers::of(&headers, spec.decline_deflate);
        let mut bytes = format!("{} {} {}\r\n", spec.method, textbook.target, spec.version);
        for (n, v) in &headers {
            bytes.push_str(&format!("{n}: {v}\r\n"));
        }
        bytes.push_str("\r\n");
        let bytes = bytes.into_bytes();
        // The segments: pieces that end at the given offsets, then the rest.
        let mut writes = Vec::new();
        let mut start = 0;
        for &end in spec.segments {
            let end = end.clamp(start, bytes.len());
            if end > start {
                writes.push(bytes[start..end].to_vec());
            }
            start = end;
        }
        writes.push(bytes[start..].to_vec());
        ClientOpening::with(Check::Custom { key, offers }, writes)
    }

    fn with(check: Check, writes: Vec<Vec<u8>>) -> ClientOpening {
        ClientOpening {
            check,
            writes,
            written: 0,
            offset: 0,
            parser: ResponseParser::default(),
            head: Vec::new(),
            extensions: Vec::new(),
        }
    }

    /// The extensions the server accepted, once the connection is open.
    pub fn accepted_extensions(&self) -> &[Extension] {
        &self.extensions
    }

    /// The request as sent, for the report.
    pub fn request(&self) -> Vec<u8> {
        self.writes.concat()
    }

    /// The response head received so far, for the report.
    pub fn head(&self) -> &[u8] {
        &self.head
    }

    /// The next bytes to write, if any; each segment is its own write.
    pub fn transmit(&self) -> Option<&[u8]> {
        self.writes.get(self.written).map(|w| &w[self.offset..])
    }

    /// `n` bytes of [`ClientOpening::transmit`] were written.
    pub fn written(&mut self, n: usize) {
        self.offset += n;
        if self
            .writes
            .get(self.written)
            .is_some_and(|w| self.offset >= w.len())
        {
            self.written += 1;
            self.offset = 0;
        }
    }

    /// Bytes of the response arrived.
    pub fn handle_input(&mut self, bytes: &[u8]) -> Progress {
        match self.parser.feed(bytes) {
            Ok(None) => {
                self.head.extend_from_slice(bytes);
                Progress::More
            }
            Ok(Some(parsed)) => {
                self.head.extend_from_slice(&bytes[..parsed.consumed]);
                let leftover = bytes[parsed.consumed..].to_vec();
                let response = parsed.value;
                match &self.check {
                    Check::Textbook(request) => match response.validate(request) {
                        Ok(accepted) => {
                            self.extensions = accepted.extensions;
                            Progress::Open(leftover)
                        }
                        Err(e) => Progress::Failed(e.to_string()),
                    },
                    Check::Custom { .. } if response.status != 101 => {
                        let versions: Vec<String> = response
                            .header_values("Sec-WebSocket-Version")
                            .map(|v| String::from_utf8_lossy(v).trim().to_owned())
                            .collect();
                        Progress::Refused {
                            status: response.status,
                            versions: (!versions.is_empty()).then(|| versions.join(", ")),
                        }
                    }
                    // RFC 6455 §4.2.2 item 5.2: a 101 that accepts the handshake
                    // names websocket; another token is another protocol.
                    Check::Custom { .. } if !upgrades_to_websocket(&response) => {
                        let named: Vec<String> = response
                            .header_values("Upgrade")
                            .map(|v| String::from_utf8_lossy(v).trim().to_owned())
                            .collect();
                        Progress::Switched(if named.is_empty() {
                            "(none)".to_owned()
                        } else {
                            named.join(", ")
                        })
                    }
                    Check::Custom { key, offers } => {
                        // RFC 6455 §4.2.2 step 5.4: the accept value is derived from
                        // the key the client sent.
                        let expected = key.as_ref().map(|k| accept_key(k.as_bytes()));
                        let got = response
                            .headers
                            .iter()
                            .find(|h| h.name.eq_ignore_ascii_case("Sec-WebSocket-Accept"))
                            .map(|h| String::from_utf8_lossy(&h.value).into_owned());
                        match (expected, got) {
                            (Some(e), Some(g)) if e != g => Progress::BadAnswer(format!(
                                "101 with Sec-WebSocket-Accept {g:?}, expected {e:?}"
                            )),
                            _ => match offers.refuse_answer(&response) {
                                Some(why) => Progress::BadAnswer(why),
                                None => Progress::Open(leftover),
                            },
                        }
                    }
                }
            }
            Err(e) => {
                self.head.extend_from_slice(bytes);
                Progress::Failed(e.to_string())
            }
        }
    }
}

/// Whether a 101's `Upgrade` names websocket (case-insensitively, among a list).
fn upgrades_to_websocket(response: &wirecheck_codec::http::Response) -> bool {
    response.header_values("Upgrade").any(|v| {
        String::from_utf8_lossy(v)
            .split(',')
            .any(|t| t.trim().eq_ignore_ascii_case("websocket"))
    })
}

/// What a server that switched to `protocol` did instead of refusing, with
/// the rule of that protocol it broke too when there is one.
fn switched(protocol: &str) -> String {
    let mut what = format!(
        "the server answered 101 Switching Protocols to {protocol:?}, not websocket: it neither refused the request with an HTTP error (RFC 6455 §4.2.1) nor accepted a WebSocket (§4.2.2 item 5.2)"
    );
    if protocol.eq_ignore_ascii_case("h2c") {
        what.push_str("; and an h2c upgrade needs exactly one HTTP2-Settings field, which this request did not have (RFC 7540 §3.2.1: the server \"MUST NOT upgrade\" without it)");
    }
    what
}

/// Whether a response accepts permessage-deflate (an element of that name in
/// its `Sec-WebSocket-Extensions`, RFC 6455 §9.1; an unreadable list counts
/// as accepting, since nothing in it can be relied on).
fn accepts_deflate(response: &wirecheck_codec::http::Response) -> bool {
    parse_extensions(response.header_values("Sec-WebSocket-Extensions")).map_or(true, |list| {
        list.iter()
            .any(|e| e.name.eq_ignore_ascii_case("permessage-deflate"))
    })
}

/// The verdict on a handshake a case's [`OpeningSpec`] asked for: `None` when
/// it went as expected (the case goes on, or ends OK on an expected refusal),
/// or why not.
pub fn judge(expect: Expect, progress: &Progress) -> Option<String> {
    match (expect, progress) {
        (Expect::Accept, Progress::Refused { status, .. }) => Some(format!(
            "the server refused a valid opening handshake with status {status}"
        )),
        (Expect::Refuse, Progress::Open(_)) => {
            Some("the server accepted an opening handshake it must refuse".into())
        }
        _ => None,
    }
}

/// The request with the case's permessage-deflate offers, in preference
/// order (RFC 7692 §5).
pub fn offer_deflate(case: &Case, mut request: ClientRequest) -> ClientRequest {
    for offer in case.deflate.iter().flatten() {
        request = request.extension(offer.to_extension());
    }
    request
}

/// What the server's answer agreed to, checked against the case's offers
/// (RFC 7692 §7.1): `Ok(None)` when nothing was offered or the server
/// declined, `Err` with why the client must fail the connection.
pub fn agreed_deflate(case: &Case, hs: &ClientOpening) -> Result<Option<Agreed>, String> {
    match &case.deflate {
        Some(offers) => validate_response(offers, hs.accepted_extensions())
            .map_err(|e| format!("the server's permessage-deflate answer: {e}")),
        None => Ok(None),
    }
}

/// Verdicts for a case whose connection never opened.
pub fn finish_unopened(case: &Case, mut result: CaseResult, why: String) -> CaseResult {
    let seen = Observed {
        received: &[],
        close: &result.close,
        round_trips: None,
        deflate: false,
        limit: None,
        masks: None,
    };
    let v = verdicts(case, &seen);
    result.behavior = v.behavior;
    result.result = format!("the opening handshake failed: {why}");
    result.behavior_close = v.behavior_close;
    result.result_close = v.result_close;
    result
}

/// Verdicts for a case whose opening request was refused or failed: the case's
/// success when it expects a refusal, else an unopened connection.
pub fn finish_refused(case: &Case, mut result: CaseResult, progress: &Progress) -> CaseResult {
    let expect = case.opening.as_ref().map(|s| s.expect);
    if let Progress::Switched(protocol) = progress {
        result.behavior = Behavior::Failed;
        result.result = switched(protocol);
        result.behavior_close = BehaviorClose::Ok;
        result.result_close = "no WebSocket connection was opened".into();
        return result;
    }
    if let Progress::BadAnswer(why) = progress {
        // The server accepted: a case that expects a refusal failed twice.
        result.behavior = Behavior::Failed;
        result.result = match expect {
            Some(Expect::Refuse) => format!(
                "the server accepted an opening handshake it must refuse, with an answer a client must fail: {why}"
            ),
            _ => format!("the server accepted with an answer a client must fail: {why}"),
        };
        result.behavior_close = BehaviorClose::Ok;
        result.result_close = "wirecheck failed the connection at its opening".into();
        let what = result.result.clone();
        informational(case, &mut result, &what);
        return result;
    }
    if matches!(expect, Some(Expect::Refuse | Expect::Either)) {
        result.behavior = Behavior::Ok;
        result.result = match progress {
            Progress::Refused { status, versions } => {
                let mut what = format!("the server refused the request with status {status}");
                if let Some(v) = versions {
                    what.push_str(&format!(" and Sec-WebSocket-Version: {v}"));
                }
                let lists_13 = versions
                    .as_deref()
                    .is_some_and(|v| v.split(',').any(|t| t.trim() == "13"));
                if case
                    .opening
                    .as_ref()
                    .is_some_and(|s| s.refusal_lists_versions)
                    && !lists_13
                {
                    // RFC 6455 §4.2.2, step 4 of the server's reading of the request.
                    result.behavior = Behavior::Failed;
                    what.push_str(", but no Sec-WebSocket-Version naming 13 (RFC 6455 §4.2.2: for a version it does not understand the server MUST send an HTTP error \"and a |Sec-WebSocket-Version| header field indicating the version(s) the server is capable of understanding\")");
                }
                what
            }
            Progress::Failed(why) => format!("the server did not open the connection: {why}"),
            _ => "the server did not open the connection".into(),
        };
        result.behavior_close = BehaviorClose::Ok;
        result.result_close = "no connection was opened".into();
        let what = result.result.clone();
        informational(case, &mut result, &what);
        return result;
    }
    let declining = case.opening.as_ref().is_some_and(|s| s.decline_deflate);
    if let (true, Progress::Refused { status, .. }) = (declining, progress) {
        // RFC 7692 §5: a server that declines an offer "responds without the
        // extension"; refusing the whole handshake keeps no MUST but leaves a
        // client whose offer has a parameter from a later extension of the
        // RFC without any connection.
        result.behavior = Behavior::NonStrict;
        result.result = format!(
            "the server refused the whole handshake with status {status} instead of declining the offer and opening without permessage-deflate (RFC 7692 §5)"
        );
        result.behavior_close = BehaviorClose::Ok;
        result.result_close = "no connection was opened".into();
        return result;
    }
    let why = match (expect, progress) {
        (Some(e), p @ Progress::Refused { .. }) => judge(e, p).unwrap_or_default(),
        (_, Progress::Refused { status, .. }) => {
            format!("the server answered {status} instead of 101")
        }
        (_, Progress::Failed(why)) => why.clone(),
        _ => String::new(),
    };
    finish_unopened(case, result, why)
}

/// After the case ran on a connection the server opened: a refusal the case
/// expected (`verdict`, from [`judge`]) makes it FAILED, or INFORMATIONAL with
/// what happened for a case whose RFC leaves the choice to the server;
/// `status` is the answer that opened it (101, or a 2xx over HTTP/2).
pub fn finish_opened(case: &Case, result: &mut CaseResult, verdict: Option<String>, status: u16) {
    if let Some(why) = verdict {
        result.behavior = Behavior::Failed;
        result.result = why;
        let what = format!("the server accepted the request ({status})");
        informational(case, result, &what);
    }
}

/// A case scored [`Scoring::Informational`] reports what the server did with
/// its opening request without judging it.
fn informational(case: &Case, result: &mut CaseResult, what: &str) {
    if case.scoring == Scoring::Informational {
        result.behavior = Behavior::Informational;
        result.behavior_close = BehaviorClose::Informational;
        result.result = format!("informational: {what}");
    }
}

/// The server side: reads the request and answers it.
///
/// [`ServerOpening::default`] answers every valid request with 101 at once. A
/// [`ServerOpening::routed`] one stops at a valid request ([`Self::pending`])
/// for its owner to look at (the fuzzing server routes by the request-target)
/// and answer with [`Self::accept`] or [`Self::refuse`].
#[derive(Debug, Default)]
pub struct ServerOpening {
    parser: RequestParser,
    head: Vec<u8>,
    response: Vec<u8>,
    offset: usize,
    /// What the handshake comes to once the response is written.
    outcome: Option<Progress>,
    /// Valid requests wait for [`Self::accept`] or [`Self::refuse`].
    routed: bool,
    /// The valid request waiting for an answer, and the bytes after its head.
    pending: Option<(UpgradeRequest, Vec<u8>)>,
}

impl ServerOpening {
    /// A server side that stops at a valid request for its owner to answer.
    pub fn routed() -> Self {
        ServerOpening {
            routed: true,
            ..ServerOpening::default()
        }
    }

    /// The valid request waiting for an answer ([`Self::routed`]).
    pub fn pending(&self) -> Option<&UpgradeRequest> {
        self.pending.as_ref().map(|(r, _)| r)
    }

    /// Answer the pending request with 101 Switching Protocols (RFC 6455
    /// §4.2.2 item 5), `headers` added and `extension` accepted (it must be
    /// one the client offered); the outcome once it is written.
    pub fn accept(&mut self, headers: &[(&str, &str)], extension: Option<Extension>) -> Progress {
        let Some((request, leftover)) = self.pending.take() else {
            return self.progress();
        };
        let mut answer = AcceptResponse::new(&request);
        if let Some(e) = extension {
            answer = answer.extension(e);
        }
        for (k, v) in headers {
            answer = answer.header(k, v);
        }
        match answer.encode() {
            Ok(response) => {
                self.response = response;
                self.outcome = Some(Progress::Open(leftover));
            }
            Err(e) => self.fail(e.to_string(), &e),
        }
        self.progress()
    }

    /// Answer the pending request as `spec` says (a case testing a client's
    /// checks of the answer, RFC 6455 §4.1): the textbook 101 with headers
    /// removed, replaced or added, another status, or the `Sec-WebSocket-Accept`
    /// of another key. The connection counts as open whatever the answer: what
    /// the client does next is the case.
    pub fn accept_as(&mut self, spec: &AnswerSpec, headers: &[(&str, &str)]) -> Progress {
        let Some((request, leftover)) = self.pending.take() else {
            return self.progress();
        };
        let accept = if spec.wrong_accept {
            // The accept value of the RFC's own sample key (§1.3), which no
            // client with a fresh key sends.
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ==")
        } else {
            request.accept_key()
        };
        let mut fields: Vec<(String, String)> = vec![
            ("Upgrade".into(), "websocket".into()),
            ("Connection".into(), "Upgrade".into()),
            ("Sec-WebSocket-Accept".into(), accept),
        ];
        fields.extend(
            headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        fields.retain(|(k, _)| !spec.remove.iter().any(|r| k.eq_ignore_ascii_case(r)));
        for (k, v) in &spec.set {
            match fields
                .iter_mut()
                .find(|(name, _)| name.eq_ignore_ascii_case(k))
            {
                Some(field) => field.1 = v.clone(),
                None => fields.push(((*k).to_owned(), v.clone())),
            }
        }
        let reason = if spec.status == 101 {
            "Switching Protocols"
        } else {
            // Any other answer is a complete HTTP response: it says its body is
            // empty (RFC 9112 §6.3; without a length it would last until close).
            if !fields
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            {
                fields.push(("Content-Length".to_owned(), "0".to_owned()));
            }
            "OK"
        };
        let mut out = Vec::new();
        let mut written = write_status_line(&mut out, spec.status, reason);
        for (k, v) in &fields {
            written = written.and_then(|()| write_field(&mut out, k, v.as_bytes()));
        }
        if let Err(e) = written {
            // The catalogue's own headers: a bug of ours, reported as the case's.
            self.outcome = Some(Progress::Failed(format!("cannot write the answer: {e:?}")));
            return self.progress();
        }
        out.extend_from_slice(b"\r\n");
        self.response = out;
        self.outcome = Some(Progress::Open(leftover));
        self.progress()
    }

    /// Refuse the pending request with `status` and `reason` as the reason
    /// phrase (a line of text, also the body), and fail the opening with it.
    pub fn refuse(&mut self, status: u16, reason: &str) -> Progress {
        self.pending = None;
        let phrase: String = reason
            .chars()
            .map(|c| if c.is_ascii_graphic() { c } else { ' ' })
            .collect();
        let body = format!("{phrase}\n");
        let mut out = Vec::new();
        let written = write_status_line(&mut out, status, &phrase)
            .and_then(|()| write_field(&mut out, "Content-Type", b"text/plain; charset=utf-8"))
            .and_then(|()| {
                write_field(
                    &mut out,
                    "Content-Length",
                    body.len().to_string().as_bytes(),
                )
            })
            .and_then(|()| write_field(&mut out, "Connection", b"close"));
        if written.is_err() {
            // The status is a constant of ours and the phrase is printable ASCII.
            out = b"HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\n".to_vec();
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(body.as_bytes());
        self.response = out;
        self.outcome = Some(Progress::Failed(format!("refused with {status}: {reason}")));
        self.progress()
    }

    /// The request head received so far, for the report.
    pub fn head(&self) -> &[u8] {
        &self.head
    }

    /// The response, for the report.
    pub fn response(&self) -> &[u8] {
        &self.response
    }

    /// The next bytes to write, if any.
    pub fn transmit(&self) -> Option<&[u8]> {
        (self.offset < self.response.len()).then(|| &self.response[self.offset..])
    }

    /// `n` bytes were written; the outcome once the response is out.
    pub fn written(&mut self, n: usize) -> Progress {
        self.offset += n;
        self.progress()
    }

    fn progress(&self) -> Progress {
        match &self.outcome {
            Some(p) if self.transmit().is_none() => p.clone(),
            _ => Progress::More,
        }
    }

    /// Bytes of the request arrived.
    pub fn handle_input(&mut self, bytes: &[u8]) -> Progress {
        if let Some((_, rest)) = self.pending.as_mut() {
            rest.extend_from_slice(bytes);
            return Progress::More;
        }
        if self.outcome.is_some() {
            // RFC 6455 §4.1: the client waits for the response before it sends
            // frames; bytes before it is written are kept for the connection.
            if let Some(Progress::Open(rest)) = self.outcome.as_mut() {
                rest.extend_from_slice(bytes);
            }
            return self.progress();
        }
        match self.parser.feed(bytes) {
            Ok(None) => {
                self.head.extend_from_slice(bytes);
                return Progress::More;
            }
            Ok(Some(parsed)) => {
                self.head.extend_from_slice(&bytes[..parsed.consumed]);
                let leftover = bytes[parsed.consumed..].to_vec();
                match parsed.value.validate() {
                    Ok(upgrade) if self.routed => {
                        self.pending = Some((upgrade, leftover));
                        return Progress::More;
                    }
                    Ok(upgrade) => match AcceptResponse::new(&upgrade).encode() {
                        Ok(response) => {
                            self.response = response;
                            self.outcome = Some(Progress::Open(leftover));
                        }
                        Err(e) => self.fail(e.to_string(), &e),
                    },
                    Err(e) => self.fail(format!("the client's request: {e}"), &e),
                }
            }
            Err(e) => {
                self.head.extend_from_slice(bytes);
                self.fail(format!("the client's request: {e}"), &e);
            }
        }
        self.progress()
    }

    /// Answer with the error's status (RFC 6455 §4.2.1: 400, or 426 for a version).
    fn fail(&mut self, why: String, e: &wirecheck_codec::ws::handshake::HandshakeError) {
        self.response = error_response(e);
        self.outcome = Some(Progress::Failed(why));
    }
}
