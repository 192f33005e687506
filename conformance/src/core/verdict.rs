//! The verdict vocabulary every case of every protocol uses (DESIGN §5):
//! `behavior` and `behaviorClose`, with the Autobahn strings the reports print.
//! It lives apart from any protocol so the reports and each runner depend on
//! it, and not on one another.

use std::fmt;

/// The `behavior` verdict (DESIGN §5; Autobahn's strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Behavior {
    /// The peer did what the spec requires.
    Ok,
    /// A SHOULD is not met; the peer is still conformant.
    NonStrict,
    /// A MUST is broken.
    Failed,
    /// The spec leaves it open; the reason says what happened.
    Informational,
    /// The peer does not offer the feature (e.g. permessage-deflate).
    Unimplemented,
}

impl Behavior {
    /// Autobahn's string for it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Behavior::Ok => "OK",
            Behavior::NonStrict => "NON-STRICT",
            Behavior::Failed => "FAILED",
            Behavior::Informational => "INFORMATIONAL",
            Behavior::Unimplemented => "UNIMPLEMENTED",
        }
    }

    /// Whether this verdict fails a run (FAILED always; NON-STRICT under `--strict`).
    pub const fn fails(self, strict: bool) -> bool {
        matches!(self, Behavior::Failed) || (strict && matches!(self, Behavior::NonStrict))
    }
}

impl fmt::Display for Behavior {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `behaviorClose` verdict (Autobahn's strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BehaviorClose {
    /// The connection closed as expected.
    Ok,
    /// The wrong endpoint closed, or the handshake never completed.
    Failed,
    /// The peer's close code is not one the case accepts.
    WrongCode,
    /// The case requires a clean close and it was not.
    Unclean,
    /// The fuzzer (a client) had to drop the TCP connection itself.
    FailedByClient,
    /// Not scored.
    Informational,
}

impl BehaviorClose {
    /// Autobahn's string for it.
    pub const fn as_str(self) -> &'static str {
        match self {
            BehaviorClose::Ok => "OK",
            BehaviorClose::Failed => "FAILED",
            BehaviorClose::WrongCode => "WRONG CODE",
            BehaviorClose::Unclean => "UNCLEAN",
            BehaviorClose::FailedByClient => "FAILED BY CLIENT",
            BehaviorClose::Informational => "INFORMATIONAL",
        }
    }
}

impl fmt::Display for BehaviorClose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
