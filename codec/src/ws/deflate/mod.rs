//! permessage-deflate (RFC 7692): the extension most real servers negotiate.
//!
//! * [`negotiate`]: the offers a client sends, the answer a server chooses
//!   among several offers, and every check a client applies to that answer
//!   (§7.1: a parameter it did not offer, a duplicate, a value out of range).
//!   The outcome is an [`Agreed`] set of parameters, the same on both ends.
//! * `compress` (feature `deflate`): per-message compression for an [`Agreed`]
//!   direction, the `00 00 ff ff` tail removed and restored, context kept or
//!   reset as agreed, inflation bounded while it runs.

#[cfg(feature = "deflate")]
pub mod compress;
pub mod negotiate;

#[cfg(feature = "deflate")]
pub use compress::{
    Compressor, DEFAULT_LEVEL, Decompressor, InflateError, MAX_SKIPPED, inflate_message,
};
pub use negotiate::{
    Agreed, DeflateError, Direction, Offer, ServerPolicy, negotiate, validate_response,
};

/// The extension's token in `Sec-WebSocket-Extensions` (RFC 7692 §7).
pub const NAME: &str = "permessage-deflate";
