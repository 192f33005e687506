//! permessage-deflate (RFC 7692): the extension most real servers negotiate.
//!
//! * [`negotiate`]: the offers a client sends, the answer a server chooses
//!   among several offers, and every check a client applies to that answer
//!   (§7.1: a parameter it did not offer, a duplicate, a value out of range).
//!   The outcome is an [`Agreed`] set of parameters, the same on both ends.
//!
//! The compression itself (per-message deflate with the `00 00 ff ff` tail,
//! context takeover, bounded inflation) is the next layer on top of [`Agreed`].

pub mod negotiate;

pub use negotiate::{
    Agreed, DeflateError, Direction, Offer, ServerPolicy, negotiate, validate_response,
};

/// The extension's token in `Sec-WebSocket-Extensions` (RFC 7692 §7).
pub const NAME: &str = "permessage-deflate";
