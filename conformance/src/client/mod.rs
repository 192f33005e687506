//! The reference clients (`wirecheck client ws URL`), built on the codec: they
//! pass every case of `wirecheck clients`, and are handy for trying a server
//! by hand.

pub mod sse;
pub mod ws;
