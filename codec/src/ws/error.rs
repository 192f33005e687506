//! Protocol errors of the framing and message layers.
//!
//! An error is final: RFC 6455 §7.1.7 asks the endpoint to *fail the WebSocket
//! connection*, which means sending a Close frame with a status code and dropping
//! the TCP connection. So every error knows the close code it maps to (§7.4.1) and
//! the rule that was broken, and formats as one line naming both, e.g.
//! `reserved opcode 0x3 (RFC 6455 §5.2)`.

use core::fmt;

/// What was wrong, precisely enough for a conformance report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An opcode from the reserved ranges 0x3-0x7 or 0xB-0xF.
    ReservedOpcode(u8),
    /// RSV1-3 bits set (given as the 3-bit value RSV1 RSV2 RSV3) without an
    /// extension that defines them.
    ReservedBits(u8),
    /// RSV1 (permessage-deflate's "compressed" bit) on a control frame.
    CompressedControlFrame,
    /// RSV1 on a continuation frame: only a message's first frame carries it.
    CompressedContinuation,
    /// A compressed message that inflates past the message limit.
    InflatedTooLarge {
        /// The configured limit.
        limit: u64,
    },
    /// A compressed message that is not valid DEFLATE data.
    InvalidCompressedData,
    /// A 16-bit or 64-bit length that would have fit a shorter form.
    NonMinimalLength,
    /// A 64-bit length with its most significant bit set.
    LengthMsbSet,
    /// A control frame with an extended length marker (126 or 127) in its 7-bit
    /// length field. The error is raised on that byte, before the extended length
    /// arrives: whatever follows, the frame is invalid, since either its payload
    /// exceeds 125 bytes (§5.5) or its length is not minimally encoded (§5.2).
    ControlFrameTooLong(u8),
    /// A control frame with FIN clear.
    FragmentedControlFrame,
    /// A server received an unmasked frame.
    UnmaskedFrame,
    /// A client received a masked frame.
    MaskedFrame,
    /// A continuation frame with no fragmented message in progress.
    ContinuationWithoutStart,
    /// A text or binary frame while a fragmented message is in progress.
    DataFrameInsideFragmentedMessage,
    /// A text message (or close reason) that is not valid UTF-8. `offset` counts
    /// bytes from the start of the message (or reason) to the first byte that
    /// cannot begin or continue a valid sequence.
    InvalidUtf8 {
        /// Offset of the first invalid byte within the message or reason.
        offset: u64,
    },
    /// A text message whose last frame ends inside a UTF-8 sequence.
    IncompleteUtf8,
    /// A Close frame with a one-byte body.
    CloseBodyOneByte,
    /// A Close frame carrying a status code that may not be sent on the wire.
    InvalidCloseCode(u16),
    /// A Close frame whose reason is not valid UTF-8.
    InvalidCloseReason,
    /// A frame whose announced payload length exceeds the configured limit.
    FrameTooLarge {
        /// The announced payload length.
        len: u64,
        /// The configured limit.
        limit: u64,
    },
    /// A message whose accumulated size would exceed the configured limit.
    MessageTooLarge {
        /// The size the message would reach with this frame.
        len: u64,
        /// The configured limit.
        limit: u64,
    },
    /// A frame arrived after the peer's Close frame.
    FrameAfterClose,
}

/// A protocol error: what was wrong, the close code to fail the connection with,
/// and the rule it enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProtocolError {
    kind: ErrorKind,
}

impl ProtocolError {
    /// An error of the given kind.
    pub const fn new(kind: ErrorKind) -> Self {
        ProtocolError { kind }
    }

    /// What was wrong.
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The status code to fail the connection with (RFC 6455 §7.4.1):
    /// 1007 for data inconsistent with the message type, 1009 for a message too
    /// big to process, 1002 for every other protocol error.
    pub const fn close_code(&self) -> u16 {
        match self.kind {
            ErrorKind::InvalidUtf8 { .. }
            | ErrorKind::IncompleteUtf8
            | ErrorKind::InvalidCloseReason => 1007,
            ErrorKind::FrameTooLarge { .. }
            | ErrorKind::MessageTooLarge { .. }
            | ErrorKind::InflatedTooLarge { .. } => 1009,
            ErrorKind::InvalidCompressedData => 1007,
            _ => 1002,
        }
    }

    /// The rule this error enforces, e.g. `RFC 6455 §5.2`.
    pub const fn rule(&self) -> &'static str {
        match self.kind {
            ErrorKind::ReservedOpcode(_)
            | ErrorKind::ReservedBits(_)
            | ErrorKind::NonMinimalLength
            | ErrorKind::LengthMsbSet => "RFC 6455 §5.2",
            ErrorKind::ControlFrameTooLong(_) | ErrorKind::FragmentedControlFrame => {
                "RFC 6455 §5.5"
            }
            ErrorKind::UnmaskedFrame | ErrorKind::MaskedFrame => "RFC 6455 §5.1",
            ErrorKind::ContinuationWithoutStart | ErrorKind::DataFrameInsideFragmentedMessage => {
                "RFC 6455 §5.4"
            }
            ErrorKind::InvalidUtf8 { .. } | ErrorKind::IncompleteUtf8 => "RFC 6455 §8.1",
            ErrorKind::CloseBodyOneByte | ErrorKind::InvalidCloseReason => "RFC 6455 §5.5.1",
            ErrorKind::InvalidCloseCode(_) => "RFC 6455 §7.4",
            ErrorKind::FrameTooLarge { .. } | ErrorKind::MessageTooLarge { .. } => "RFC 6455 §10.4",
            ErrorKind::FrameAfterClose => "RFC 6455 §5.5.1",
            ErrorKind::CompressedControlFrame | ErrorKind::CompressedContinuation => {
                "RFC 7692 §6.1"
            }
            ErrorKind::InflatedTooLarge { .. } => "RFC 6455 §10.4, RFC 7692 §8",
            ErrorKind::InvalidCompressedData => "RFC 7692 §6.2",
        }
    }
}

impl From<ErrorKind> for ProtocolError {
    fn from(kind: ErrorKind) -> Self {
        ProtocolError::new(kind)
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ErrorKind::ReservedOpcode(op) => write!(f, "reserved opcode 0x{op:X}")?,
            ErrorKind::ReservedBits(bits) => write!(
                f,
                "reserved bits RSV1-3 = {bits:03b} set without a negotiated extension"
            )?,
            ErrorKind::CompressedControlFrame => {
                f.write_str("RSV1 (compressed) set on a control frame")?
            }
            ErrorKind::CompressedContinuation => {
                f.write_str("RSV1 (compressed) set on a continuation frame")?
            }
            ErrorKind::InflatedTooLarge { limit } => write!(
                f,
                "compressed message inflates past the limit of {limit} bytes"
            )?,
            ErrorKind::InvalidCompressedData => {
                f.write_str("compressed message is not valid DEFLATE data")?
            }
            ErrorKind::NonMinimalLength => {
                f.write_str("payload length not encoded in the minimal number of bytes")?
            }
            ErrorKind::LengthMsbSet => {
                f.write_str("64-bit payload length with the most significant bit set")?
            }
            ErrorKind::ControlFrameTooLong(field) => write!(
                f,
                "control frame with extended payload length marker {field}: its payload is over 125 bytes or its length is not minimally encoded"
            )?,
            ErrorKind::FragmentedControlFrame => f.write_str("fragmented control frame (FIN=0)")?,
            ErrorKind::UnmaskedFrame => f.write_str("unmasked frame received by a server")?,
            ErrorKind::MaskedFrame => f.write_str("masked frame received by a client")?,
            ErrorKind::ContinuationWithoutStart => {
                f.write_str("continuation frame without a message to continue")?
            }
            ErrorKind::DataFrameInsideFragmentedMessage => {
                f.write_str("new data frame while a fragmented message is in progress")?
            }
            ErrorKind::InvalidUtf8 { offset } => {
                write!(f, "invalid UTF-8 in text message at byte {offset}")?
            }
            ErrorKind::IncompleteUtf8 => {
                f.write_str("text message ends inside a UTF-8 sequence")?
            }
            ErrorKind::CloseBodyOneByte => f.write_str("close frame with a 1-byte body")?,
            ErrorKind::InvalidCloseCode(code) => write!(f, "invalid close code {code}")?,
            ErrorKind::InvalidCloseReason => f.write_str("close reason is not valid UTF-8")?,
            ErrorKind::FrameTooLarge { len, limit } => write!(
                f,
                "frame payload of {len} bytes exceeds the limit of {limit}"
            )?,
            ErrorKind::MessageTooLarge { len, limit } => {
                write!(f, "message of {len} bytes exceeds the limit of {limit}")?
            }
            ErrorKind::FrameAfterClose => {
                f.write_str("frame received after the peer's close frame")?
            }
        }
        write!(f, " ({})", self.rule())
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ProtocolError {}
