//! The error of the HTTP/1.1 layer: a message head that breaks the grammar or
//! one of the reader's bounds. Like every error of the codec it names the rule
//! it enforces, and it carries the status a server answers with; the
//! WebSocket handshake turns it into its own error
//! ([`HandshakeError`](crate::ws::handshake::HandshakeError)) with the same
//! kind, detail and rule.

use core::fmt;

/// What was wrong with a message head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeadErrorKind {
    /// The head grew past `max_header_bytes` without ending (431).
    HeadTooLarge,
    /// The head has more than `max_headers` header lines (431).
    TooManyHeaders,
    /// The bytes are not an HTTP/1.x message head (400).
    Malformed,
    /// A reader was fed again after it returned a head or an error.
    ReaderSpent,
}

/// A message head failure: its kind, a short static detail, the precise rule
/// when it is narrower than the kind's, and for a byte no valid head can
/// contain, that byte and where it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HeadError {
    kind: HeadErrorKind,
    detail: &'static str,
    rule: Option<&'static str>,
    at: Option<(usize, u8)>,
}

impl HeadError {
    pub(crate) const fn new(kind: HeadErrorKind, detail: &'static str) -> Self {
        HeadError {
            kind,
            detail,
            rule: None,
            at: None,
        }
    }

    pub(crate) const fn with_rule(
        kind: HeadErrorKind,
        detail: &'static str,
        rule: &'static str,
    ) -> Self {
        HeadError {
            kind,
            detail,
            rule: Some(rule),
            at: None,
        }
    }

    /// The same error, naming the invalid byte and its offset from the head's
    /// first byte.
    pub(crate) const fn at(mut self, offset: usize, byte: u8) -> Self {
        self.at = Some((offset, byte));
        self
    }

    /// For a head that failed on a byte no valid head can contain: its offset
    /// from the first byte of the head (leading empty lines included) and the
    /// byte itself. `None` for the limits, and for a head that failed only once
    /// complete (a status code out of range, say). Not part of the message, so
    /// the text a peer is answered with stays short.
    pub const fn invalid_byte(&self) -> Option<(usize, u8)> {
        self.at
    }

    /// What was wrong.
    pub const fn kind(&self) -> HeadErrorKind {
        self.kind
    }

    /// A few words on the specific problem.
    pub const fn detail(&self) -> &'static str {
        self.detail
    }

    /// The precise rule broken, when narrower than the kind's.
    pub const fn precise_rule(&self) -> Option<&'static str> {
        self.rule
    }

    /// The rule this error enforces.
    pub const fn rule(&self) -> &'static str {
        if let Some(rule) = self.rule {
            return rule;
        }
        match self.kind {
            HeadErrorKind::HeadTooLarge | HeadErrorKind::TooManyHeaders => {
                "RFC 7230 §3.2.5, RFC 6585 §5"
            }
            HeadErrorKind::Malformed => "RFC 7230 §3",
            HeadErrorKind::ReaderSpent => "API: a parser yields one message",
        }
    }

    /// The status a server answers with (RFC 6585 §5: 431 for a head larger
    /// than it will process; RFC 9112 §3: 400 for an invalid request line or
    /// field), `None` for API misuse.
    pub const fn status(&self) -> Option<u16> {
        match self.kind {
            HeadErrorKind::HeadTooLarge | HeadErrorKind::TooManyHeaders => Some(431),
            HeadErrorKind::Malformed => Some(400),
            HeadErrorKind::ReaderSpent => None,
        }
    }

    const fn summary(&self) -> &'static str {
        match self.kind {
            HeadErrorKind::HeadTooLarge => "header block too large",
            HeadErrorKind::TooManyHeaders => "too many header fields",
            HeadErrorKind::Malformed => "malformed HTTP message head",
            HeadErrorKind::ReaderSpent => "parser already finished",
        }
    }
}

impl fmt::Display for HeadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.summary())?;
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        write!(f, " ({})", self.rule())
    }
}

#[cfg(feature = "std")]
impl std::error::Error for HeadError {}
