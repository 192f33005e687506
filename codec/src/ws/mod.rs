//! WebSocket, RFC 6455.
//!
//! The layers, bottom up, one concern per module:
//! * [`frame`]: the frame header (§5.2): parse and encode, with every rule the
//!   header alone can decide checked as soon as the header bytes are in.
//! * [`mask`]: (un)masking (§5.3) with key rotation for payloads that arrive in pieces.
//! * [`decoder`]: an incremental frame decoder fed arbitrary slices.
//! * [`message`]: the message layer: fragmentation (§5.4), control frames (§5.5),
//!   close frames (§5.5.1, §7.4), size limits, and the close handshake (§7).
//! * [`receiver`]: a message decoder with its own receive buffer: the socket is
//!   read straight into it and frames are decoded in place (no second copy).
//! * [`encode`]: encoders for frames and messages: free functions for any frame
//!   (a fuzzer's), and role-aware encoders that mask exactly when the role must.
//! * [`connection`]: an endpoint of either role after the handshake: the decoder,
//!   the close handshake, automatic Pongs and failing on errors, bytes in and out.
//! * [`handshake`]: the HTTP/1.1 opening handshake (§4).
//! * [`deflate`]: permessage-deflate (RFC 7692): its negotiation.
//!
//! Every error is a [`ProtocolError`] that names the rule it enforces and the close
//! code (§7.4.1) the connection should be failed with.

pub mod close;
pub mod connection;
pub mod decoder;
pub mod deflate;
pub mod encode;
mod error;
pub mod frame;
pub mod handshake;
pub mod mask;
pub mod message;
pub mod receiver;

pub use close::{CloseCode, CloseState};
pub use connection::{Connection, Sender};
pub use decoder::{FrameDecoder, FrameEvent};
pub use error::{ErrorKind, ProtocolError};
pub use frame::{FrameHeader, OpCode};
pub use message::{CloseFrame, Config, Event, Message, MessageDecoder, MessageKind};
pub use receiver::Receiver;

/// Which end of the connection an endpoint is. Decides masking (RFC 6455 §5.1):
/// a client masks every frame it sends, a server never does, and each rejects
/// frames that break this rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The endpoint that sent the opening handshake request.
    Client,
    /// The endpoint that accepted it.
    Server,
}

impl Role {
    /// Whether frames *received* by this role must be masked (§5.1).
    pub const fn expects_masked(self) -> bool {
        matches!(self, Role::Server)
    }

    /// The other end.
    pub const fn peer(self) -> Role {
        match self {
            Role::Client => Role::Server,
            Role::Server => Role::Client,
        }
    }
}

/// Size limits applied to received data. Every limit is checked against the length
/// a header announces, before any payload byte is buffered, so a hostile length
/// never causes an allocation (RFC 6455 §10.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest payload of a single frame, in bytes. Larger frames fail with 1009.
    pub max_frame_size: u64,
    /// The largest message (sum of its fragments), in bytes. Larger messages fail with 1009.
    pub max_message_size: u64,
}

impl Default for Limits {
    /// 16 MiB frames and 64 MiB messages, the limits tungstenite uses by default.
    fn default() -> Self {
        Limits {
            max_frame_size: 16 << 20,
            max_message_size: 64 << 20,
        }
    }
}
