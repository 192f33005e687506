//! HTTP/2 (RFC 9113) for `--http 2`: WebSockets over RFC 8441's extended
//! CONNECT and event streams over HTTP/2 streams, for the runners and the
//! reference servers.
//!
//! The `h2` crate does the framing, HPACK and flow control (the README's
//! "Over HTTP/2" section says why it is not ours); this module holds what sits
//! between it and the protocol drivers:
//!
//! * [`stream`]: one stream as a byte stream (END_STREAM as the end of input,
//!   RST_STREAM as a failure, flow control given back as bytes are read);
//! * [`client`]: a connection as the runners open it, the server's SETTINGS
//!   learnt before anything is judged, requests and responses as report text;
//! * [`server`]: the reference servers' side: prior-knowledge detection, the
//!   connection's settings, extended CONNECT enabled.

pub mod client;
pub mod server;
pub mod stream;
