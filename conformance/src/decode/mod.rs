//! `wirecheck decode`: print, as JSON Lines, what the codec makes of a byte stream
//! (DESIGN §4). Each protocol has its own module; both share the exit-code rules:
//! 0 when the input was read to its end, 1 when decoding stopped on a protocol
//! error, 2 on a usage error or an unreadable file.

pub mod sse;
pub mod ws;

/// How a `decode` run ended; maps onto the exit codes of DESIGN §4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The input was read to its end (possibly truncated inside a frame or event).
    Complete,
    /// Decoding stopped on a protocol error.
    ProtocolError,
}

impl Outcome {
    /// The process exit code for this outcome.
    pub fn exit_code(self) -> i32 {
        match self {
            Outcome::Complete => 0,
            Outcome::ProtocolError => 1,
        }
    }
}
