//! The one error type of the opening handshake.
//!
//! Kept apart from the framing errors on purpose: the handshake is HTTP, so what a
//! server needs from an error is the HTTP status to answer with (400, 403, 405, 426,
//! 431), not a close code. Every error names the rule it enforces, so the one-line
//! `Display` can be shown to a peer, put in a report, or compared against the RFC
//! without reading the code. The kind is a plain `Copy` enum so tests can match on
//! it; the detail is a static string so building an error never allocates.

use core::fmt;

/// What was wrong with a handshake message, or with the input given to a builder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HandshakeErrorKind {
    // ---- limits, both sides ----
    /// The header block grew past `max_header_bytes` without ending (431).
    HeadTooLarge,
    /// The header block has more than `max_headers` header lines (431).
    TooManyHeaders,
    /// The bytes are not an HTTP/1.x message head (httparse rejected them) (400).
    MalformedHttp,

    // ---- server side: the client's request ----
    /// The request method is not `GET` (405).
    MethodNotGet,
    /// The request is older than HTTP/1.1 (400).
    HttpVersionTooOld,
    /// The request-target is neither origin-form nor an absolute http(s) URI (400).
    BadRequestTarget,
    /// `Host` is missing, repeated or not an authority (400).
    BadHost,
    /// `Upgrade` is missing or has no `websocket` token (400).
    NoUpgradeWebSocket,
    /// `Connection` is missing or has no `upgrade` token (400).
    NoConnectionUpgrade,
    /// `Sec-WebSocket-Key` is missing, repeated, or does not decode to 16 bytes (400).
    BadKey,
    /// `Sec-WebSocket-Version` is missing or repeated (400).
    BadVersionHeader,
    /// `Sec-WebSocket-Version` names a version other than 13 (426).
    UnsupportedVersion,
    /// `Sec-WebSocket-Protocol` in the request breaks the `1#token` grammar (400).
    BadProtocolHeader,
    /// `Sec-WebSocket-Extensions` in the request breaks the RFC 6455 §9.1 grammar (400).
    BadExtensionsHeader,
    /// The Origin check rejected the request (403).
    OriginRejected,

    // ---- server side over HTTP/2: the client's extended CONNECT (RFC 8441) ----
    /// The request's method is not CONNECT (400).
    NotConnect,
    /// A CONNECT without `:protocol`: a tunnel, not a WebSocket (405).
    PlainConnect,
    /// A CONNECT whose `:protocol` is not `websocket` (501).
    UnknownProtocol,

    // ---- client side: the server's response ----
    /// The response status is not 101; the client handles it per HTTP.
    NotSwitchingProtocols {
        /// The status code the server sent.
        status: u16,
    },
    /// The response's `Upgrade` is missing or holds something other than `websocket`.
    ResponseUpgrade,
    /// The response's `Connection` is missing or has no `upgrade` token.
    ResponseConnection,
    /// `Sec-WebSocket-Accept` is missing, repeated or not the expected value.
    AcceptMismatch,
    /// The response's `Sec-WebSocket-Protocol` is malformed, repeated, has more than
    /// one value, or names a subprotocol the client did not offer.
    ResponseProtocol,
    /// The response's `Sec-WebSocket-Extensions` is malformed or names an extension
    /// the client did not offer.
    ResponseExtension,

    // ---- builders and API misuse (a bug on this side, never the peer's fault) ----
    /// A header name or value given to a builder would break the message (not a token,
    /// a CR/LF/NUL or other control byte, or a field the builder writes itself).
    InvalidHeaderField,
    /// A subprotocol given to a builder is not a token, is repeated, or (server) was
    /// not offered by the client.
    InvalidProtocol,
    /// An extension given to a builder has a name or parameter that is not a token,
    /// or (server) was not offered by the client.
    InvalidExtension,
    /// A parser was fed again after it returned a complete message or an error.
    ParserSpent,
}

/// A handshake failure: its kind plus a short static detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HandshakeError {
    /// What was wrong.
    kind: HandshakeErrorKind,
    /// The specific problem, in a few words.
    detail: &'static str,
    /// The rule broken, when it is narrower than the kind's (e.g. one section of
    /// RFC 9112 for a malformed head); `None` for the kind's own rule.
    rule: Option<&'static str>,
}

impl HandshakeError {
    pub(crate) const fn new(kind: HandshakeErrorKind, detail: &'static str) -> Self {
        HandshakeError {
            kind,
            detail,
            rule: None,
        }
    }

    /// What was wrong.
    pub const fn kind(&self) -> HandshakeErrorKind {
        self.kind
    }

    /// A few words on the specific problem, e.g. `"repeated"` or `"does not decode to 16 bytes"`.
    pub const fn detail(&self) -> &'static str {
        self.detail
    }

    /// The HTTP status a server answers this error with, or `None` for errors that a
    /// server never sends (client-side response checks, builder misuse).
    pub const fn status(&self) -> Option<u16> {
        use HandshakeErrorKind::*;
        Some(match self.kind {
            // RFC 6585 §5; RFC 7230 §3.2.5: "a server that receives a request header
            // field, or set of fields, larger than it wishes to process MUST respond
            // with an appropriate 4xx (Client Error) status code".
            HeadTooLarge | TooManyHeaders => 431,
            // RFC 7231 §6.5.5 (with the Allow header it requires); over HTTP/2 a
            // CONNECT tunnel is a method this resource does not allow either.
            MethodNotGet | PlainConnect => 405,
            // RFC 9220 §3 (RFC 8441's extended CONNECT for any protocol): a
            // protocol the server does not implement.
            UnknownProtocol => 501,
            // RFC 6455 §4.2.2 item 4 /version/ and §4.4.
            UnsupportedVersion => 426,
            // RFC 6455 §4.2.2 item 4 /origin/: "(e.g., 403 Forbidden)".
            OriginRejected => 403,
            // RFC 6455 §4.2.1: a request that does not match the description "including
            // ... any violations of the ABNF grammar" gets "an appropriate error code
            // (such as 400 Bad Request)"; RFC 7230 §5.4 makes 400 mandatory for Host.
            MalformedHttp | HttpVersionTooOld | BadRequestTarget | BadHost | NoUpgradeWebSocket
            | NoConnectionUpgrade | BadKey | BadVersionHeader | BadProtocolHeader
            | BadExtensionsHeader | NotConnect => 400,
            NotSwitchingProtocols { .. }
            | ResponseUpgrade
            | ResponseConnection
            | AcceptMismatch
            | ResponseProtocol
            | ResponseExtension
            | InvalidHeaderField
            | InvalidProtocol
            | InvalidExtension
            | ParserSpent => return None,
        })
    }

    /// The HTTP/2 status a server answers this error with (an extended
    /// CONNECT's, RFC 8441): [`HandshakeError::status`], except that an
    /// unsupported version gets 400 rather than 426, since a 426 must carry
    /// `Upgrade` (RFC 9110 §15.5.22), a field HTTP/2 forbids (RFC 9113
    /// §8.2.2); the `Sec-WebSocket-Version` field of RFC 6455 §4.4 still says
    /// which version would do.
    pub const fn status_over_h2(&self) -> Option<u16> {
        match (self.kind, self.status()) {
            (HandshakeErrorKind::UnsupportedVersion, _) => Some(400),
            (_, status) => status,
        }
    }

    /// Whether the answer should name the versions the server understands
    /// (`Sec-WebSocket-Version: 13`, RFC 6455 §4.4).
    pub const fn names_versions(&self) -> bool {
        matches!(
            self.kind,
            HandshakeErrorKind::UnsupportedVersion | HandshakeErrorKind::BadVersionHeader
        )
    }

    /// The rule this error enforces, e.g. `"RFC 6455 §4.2.1 item 5"`.
    pub const fn rule(&self) -> &'static str {
        use HandshakeErrorKind::*;
        if let Some(rule) = self.rule {
            return rule;
        }
        match self.kind {
            HeadTooLarge | TooManyHeaders => "RFC 7230 §3.2.5, RFC 6585 §5",
            MalformedHttp => "RFC 7230 §3",
            MethodNotGet | HttpVersionTooOld => "RFC 6455 §4.2.1 item 1",
            BadRequestTarget => "RFC 6455 §4.2.1 item 1",
            BadHost => "RFC 6455 §4.2.1 item 2, RFC 7230 §5.4",
            NoUpgradeWebSocket => "RFC 6455 §4.2.1 item 3",
            NoConnectionUpgrade => "RFC 6455 §4.2.1 item 4",
            BadKey => "RFC 6455 §4.2.1 item 5, §11.3.1",
            BadVersionHeader => "RFC 6455 §4.2.1 item 6, §11.3.5",
            UnsupportedVersion => "RFC 6455 §4.2.2 item 4, §4.4",
            BadProtocolHeader => "RFC 6455 §4.2.1 item 8, §11.3.4",
            BadExtensionsHeader => "RFC 6455 §4.2.1 item 9, §9.1",
            OriginRejected => "RFC 6455 §4.2.2 item 4, §10.2",
            NotConnect | PlainConnect => "RFC 8441 §4",
            UnknownProtocol => "RFC 8441 §4, RFC 9220 §3",
            NotSwitchingProtocols { .. } => "RFC 6455 §4.1 (response check 1)",
            ResponseUpgrade => "RFC 6455 §4.1 (response check 2)",
            ResponseConnection => "RFC 6455 §4.1 (response check 3)",
            AcceptMismatch => "RFC 6455 §4.1 (response check 4), §11.3.3",
            ResponseExtension => "RFC 6455 §4.1 (response check 5), §9.1",
            ResponseProtocol => "RFC 6455 §4.1 (response check 6), §11.3.4",
            InvalidHeaderField => "RFC 7230 §3.2",
            InvalidProtocol => "RFC 6455 §4.1 item 10, §4.2.2 item 5",
            InvalidExtension => "RFC 6455 §9.1",
            ParserSpent => "API: a parser yields one message",
        }
    }

    /// What the kind means, in a few words (the start of the `Display` line).
    const fn summary(&self) -> &'static str {
        use HandshakeErrorKind::*;
        match self.kind {
            HeadTooLarge => "header block too large",
            TooManyHeaders => "too many header fields",
            MalformedHttp => "malformed HTTP message head",
            MethodNotGet => "request method is not GET",
            HttpVersionTooOld => "request is not HTTP/1.1 or later",
            BadRequestTarget => "bad request-target",
            BadHost => "bad Host",
            NoUpgradeWebSocket => "Upgrade does not contain websocket",
            NoConnectionUpgrade => "Connection does not contain upgrade",
            BadKey => "bad Sec-WebSocket-Key",
            BadVersionHeader => "bad Sec-WebSocket-Version",
            UnsupportedVersion => "unsupported Sec-WebSocket-Version",
            BadProtocolHeader => "bad Sec-WebSocket-Protocol",
            BadExtensionsHeader => "bad Sec-WebSocket-Extensions",
            OriginRejected => "origin not allowed",
            NotConnect => "request method is not CONNECT",
            PlainConnect => "CONNECT without :protocol",
            UnknownProtocol => ":protocol is not websocket",
            NotSwitchingProtocols { .. } => "server did not switch protocols",
            ResponseUpgrade => "response Upgrade is not websocket",
            ResponseConnection => "response Connection does not contain upgrade",
            AcceptMismatch => "bad Sec-WebSocket-Accept",
            ResponseProtocol => "bad Sec-WebSocket-Protocol in response",
            ResponseExtension => "bad Sec-WebSocket-Extensions in response",
            InvalidHeaderField => "invalid header field for builder",
            InvalidProtocol => "invalid subprotocol for builder",
            InvalidExtension => "invalid extension for builder",
            ParserSpent => "parser already finished",
        }
    }
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.summary())?;
        if let HandshakeErrorKind::NotSwitchingProtocols { status } = self.kind {
            write!(f, ": status {status}")?;
        }
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        write!(f, " ({})", self.rule())
    }
}

#[cfg(feature = "std")]
impl std::error::Error for HandshakeError {}

/// The HTTP layer's errors are the handshake's limits and syntax errors, with
/// the same detail and rule.
impl From<crate::http::HeadError> for HandshakeError {
    fn from(e: crate::http::HeadError) -> Self {
        use crate::http::HeadErrorKind as H;
        let kind = match e.kind() {
            H::HeadTooLarge => HandshakeErrorKind::HeadTooLarge,
            H::TooManyHeaders => HandshakeErrorKind::TooManyHeaders,
            H::Malformed => HandshakeErrorKind::MalformedHttp,
            H::ReaderSpent => HandshakeErrorKind::ParserSpent,
        };
        HandshakeError {
            kind,
            detail: e.detail(),
            rule: e.precise_rule(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn display_is_one_line_with_rule() {
        let e = HandshakeError::new(HandshakeErrorKind::BadKey, "does not decode to 16 bytes");
        assert_eq!(
            e.to_string(),
            "bad Sec-WebSocket-Key: does not decode to 16 bytes (RFC 6455 §4.2.1 item 5, §11.3.1)"
        );
        assert_eq!(e.status(), Some(400));
        let e = HandshakeError::new(
            HandshakeErrorKind::NotSwitchingProtocols { status: 404 },
            "",
        );
        assert_eq!(
            e.to_string(),
            "server did not switch protocols: status 404 (RFC 6455 §4.1 (response check 1))"
        );
        assert_eq!(e.status(), None);
    }
}
