//! `wirecheck`: the conformance runner library behind the `wirecheck` binary.
//!
//! The protocol logic lives in `wirecheck-codec`; this crate owns the I/O:
//! reading files and sockets, driving the codec, and printing what it saw.
#![forbid(unsafe_code)]

pub mod command;
pub mod core;
pub mod decode;
pub mod net;
pub mod report;
pub mod serve;
pub mod sse;
pub mod tls;
pub mod ws;
