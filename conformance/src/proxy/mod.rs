//! `wirecheck proxy`: check the live traffic between any client and any server.
//!
//! The proxy relays each TCP connection to the upstream unmodified and, beside
//! the relay, feeds both directions to a checker that knows the protocols:
//!
//! * [`relay`]: the tokio side. Each read is written to the other side whole
//!   (the same bytes, in the same order, one write per read) before it is
//!   checked, so checking never delays, alters or reorders traffic; a read
//!   waits for the previous write, so backpressure passes through and no
//!   direction holds more than one buffer.
//! * [`watch`]: one connection's checker, sans-IO (bytes, side and time in;
//!   findings out): the HTTP/1.1 request and response heads, then a WebSocket
//!   stream each way or an event stream.
//! * [`ws_flow`]: one direction of a WebSocket connection through the strict
//!   codec (RFC 6455, RFC 7692), in the role of the endpoint receiving it.
//! * [`sse_flow`]: an event stream: its framing, the producer grammar
//!   (`wirecheck_codec::sse::lint`) and its liveness.
//! * [`output`]: findings as JSON Lines or text, and the summary.
//! * [`record`]: each connection for `--report-dir`, a case of the usual reports.
//! * [`run`]: the command: options, the signal that ends it, the exit code.

pub mod output;
pub mod record;
pub mod relay;
pub mod run;
pub mod sse_flow;
pub mod watch;
pub mod ws_flow;

use std::fmt;

/// Which side sent the bytes a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    /// The client (the proxy's accepted connection).
    Client,
    /// The server (the upstream).
    Server,
}

impl Side {
    /// `client` or `server`, as the JSON's `from`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Server => "server",
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error's text without the ` (rule)` its Display ends with: a finding
/// carries the rule in a field of its own.
pub fn without_rule(text: String, rule: &str) -> String {
    match text.strip_suffix(&format!(" ({rule})")) {
        Some(t) => t.to_owned(),
        None => text,
    }
}

/// One rule broken on one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Milliseconds since the proxy started.
    pub t_ms: u64,
    /// The connection, numbered from 1 in the order accepted.
    pub conn: u64,
    /// Who sent the offending bytes.
    pub from: Side,
    /// The rule, e.g. `RFC 6455 §5.1`.
    pub rule: String,
    /// What was wrong, one line.
    pub what: String,
    /// Byte offset in that direction's stream (from the connection's start).
    pub offset: u64,
}
