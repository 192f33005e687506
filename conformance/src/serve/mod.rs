//! `wirecheck serve`: the reference servers (DESIGN §3).
//!
//! They exist so that `wirecheck ws` and `wirecheck sse` without a URL have something
//! correct to validate, and so that anyone can point another client at a server whose
//! behaviour follows the codec exactly. A server here owns the sockets, the timers and
//! the policy (what to echo, when to give up); every protocol rule it applies comes
//! from `wirecheck-codec`.
//!
//! * [`ws`]: the WebSocket echo server (RFC 6455), `wirecheck serve ws`.
//! * [`sse`]: the Server-Sent Events stream (WHATWG HTML §9.2), `wirecheck serve sse`.

pub mod sse;
pub mod ws;
