//! `wirecheck-codec`: sans-IO codecs for the two push protocols of the web.
//!
//! * [`ws`]: WebSocket (RFC 6455): frames, masking, messages, the close handshake,
//!   a connection of either role, and (in [`ws::handshake`]) the opening handshake.
//! * [`http`]: the HTTP/1.1 heads (incremental, bounded), chunked bodies and head
//!   writing that the handshake and the SSE pieces share.
//! * [`sse`]: Server-Sent Events (WHATWG HTML, `text/event-stream`): an incremental
//!   parser and an encoder.
//! * [`utf8`]: the incremental, fail-fast UTF-8 validator both protocols use
//!   (RFC 6455 §5.6, §8.1 for WebSocket text; WHATWG's UTF-8 decode for SSE).
//!
//! Nothing here performs I/O, sleeps, reads a clock or draws random numbers: the
//! owner of the socket feeds bytes in, takes events and bytes out, and supplies
//! whatever randomness the protocol needs (masking keys, handshake nonces).
//! This is the model of `quinn-proto` and `rustls`.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod http;
pub mod sse;
pub mod utf8;
pub mod ws;
