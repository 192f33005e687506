//! `wirecheck`: the conformance runner library behind the `wirecheck` binary.
//!
//! The protocol logic lives in `wirecheck-codec`; this crate owns the I/O:
//! reading files and sockets, driving the codec, and printing what it saw.
//!
//! The seams: [`core`] holds what every protocol shares (case ids, selection,
//! the verdict vocabulary, the outcome model the reports read); [`ws`] and
//! [`sse`] are the runners, [`report`] the renderers. Those three depend on
//! `core` (and on neutral helpers: [`net`], [`pyjson`], [`tls`]) and never on
//! each other; only the command glue ([`command`], `ws::command`,
//! `sse::command`, `main`) ties them together. `tests/layering.rs` checks it.
#![forbid(unsafe_code)]

pub mod client;
pub mod clients;
pub mod command;
pub mod core;
pub mod decode;
pub mod http2;
pub mod net;
pub mod proxy;
pub mod pyjson;
pub mod report;
pub mod serve;
pub mod sse;
pub mod tls;
pub mod ws;
