//! The opening handshake, RFC 6455 §4, for both ends, sans-IO.
//!
//! Nothing here reads a socket, a clock or a random source: the caller feeds the
//! bytes it received, writes the bytes it is given, and supplies the 16 random key
//! bytes. One concern per module:
//!
//! The HTTP/1.1 underneath is the codec's one HTTP layer ([`crate::http`]): the
//! incremental scanner that looks at each byte of a head once (a head delivered
//! one byte at a time costs linear work; tungstenite's CVE-2023-43669 was
//! quadratic here), the byte-at-a-time RFC 9112 syntax check that fails a head
//! that cannot be valid (a TLS ClientHello on a plain port) on its first invalid
//! byte, and the field syntax as a forward-only cursor. This module adds the
//! RFC 6455 rules, and its errors carry the HTTP status a server answers with.
//! * [`extensions`]: `Sec-WebSocket-Extensions` (RFC 6455 §9.1) parse and format.
//! * [`request`]: [`ClientRequest`] (build), [`RequestParser`] and
//!   [`Request::validate_with`] (server side, §4.2.1).
//! * [`response`]: [`AcceptResponse`] and [`error_response`] (server side, §4.2.2),
//!   [`ResponseParser`] and [`Response::validate`] (client side, §4.1).
//! * [`error`]: [`HandshakeError`], which names the rule it enforces and the HTTP
//!   status a server answers with.
//!
//! A server loop: feed bytes to a [`RequestParser`] until it yields a [`Request`];
//! [`Request::validate_with`] it (with an Origin policy); on success send
//! [`AcceptResponse::encode`], on error send [`error_response`]; the bytes after the
//! head (`&input[parsed.consumed..]`) are the first WebSocket bytes. A client builds
//! a [`ClientRequest`], sends [`ClientRequest::encode`], feeds the answer to a
//! [`ResponseParser`] and checks it with [`Response::validate`].
//!
//! Example (RFC 6455 §1.3): the key `dGhlIHNhbXBsZSBub25jZQ==` is answered with
//! ```
//! assert_eq!(
//!     wirecheck_codec::ws::handshake::accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
//!     "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
//! );
//! ```

use alloc::string::String;

use base64::Engine as _;
use sha1::{Digest, Sha1};

pub mod error;
pub mod extensions;
pub mod request;
pub mod response;

pub use crate::http::header;
pub use crate::http::{Header, Parsed, Request, Response, is_field_value, is_token};
pub use error::{HandshakeError, HandshakeErrorKind};
pub use extensions::{Extension, accept_by_name, format_extensions, parse_extensions};
pub use request::{ClientRequest, ConnectRequest, RequestParser, UpgradeRequest};

/// Bounds on a received handshake head: the HTTP layer's ([`crate::http::HeadLimits`]).
pub type HandshakeLimits = crate::http::HeadLimits;
pub use response::{AcceptResponse, Accepted, ResponseParser, error_response, reason_phrase};

/// The GUID appended to the key before hashing (RFC 6455 §1.3, §4.2.2 item 5.4).
pub const WEBSOCKET_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key` value: base64 of the SHA-1 of the
/// key (as sent, not decoded) followed by the GUID (RFC 6455 §4.2.2 item 5.4).
pub fn accept_key(key: &[u8]) -> String {
    let mut sha = Sha1::new();
    sha.update(key);
    sha.update(WEBSOCKET_GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(sha.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6455 §1.3 and §4.2.2 worked example.
    #[test]
    fn rfc6455_1_3_worked_example() {
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }
}
