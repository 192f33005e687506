//! The opening handshake, RFC 6455 §4.
//!
//! (Being written: see issue "The opening handshake, client and server".)
