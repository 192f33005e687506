//! `wirecheck ws`: validate a WebSocket server the way the Autobahn testsuite's
//! fuzzingclient does, case for case.
//!
//! * [`case`]: what a case is: its id, its description, the frames it sends and
//!   the timers it arms (a small script), what it expects to receive and how it
//!   expects the connection to close. Cases are data plus small scripts.
//! * [`cases`]: the catalogue, one file per Autobahn category, each case next to
//!   the rule it checks.
//! * [`driver`]: runs one case on one connection as a sans-IO state machine
//!   (bytes and `now` in; bytes to write, a deadline and at the end the verdicts
//!   out), in either role: fuzzing client (testing a server) or fuzzing server
//!   (testing a client). The script, the timers, the close handshake with
//!   Autobahn 0.10.9's semantics, what is recorded and its bounds are all here.
//! * [`engine`]: the tokio transport of the driver: connects (or accepts),
//!   performs the opening handshake, and feeds the driver from the socket.
//! * [`verdict`]: computes `behavior` and `behaviorClose` from what happened.
//! * [`result`]: what a case run produced, as the reports need it.
//! * [`report`]: results into `core`'s outcome model; [`case_json`] the
//!   Autobahn per-case JSON (39 keys) each case's detail is.
//! * [`bounds`]: what a case may retain whatever the server sends (README "Limits").
//! * [`slots`]: how the cases of a run share `-j`: waiting never holds a slot.
//! * [`traffic`]: Autobahn's `trafficStats` of the compression cases.

pub mod bounds;
pub mod case;
pub mod case_json;
pub mod cases;
pub mod command;
pub mod compressed;
pub mod data_sets;
pub mod driver;
pub mod engine;
pub mod fuzzingserver;
pub mod h2_checks;
pub mod origin;
pub mod over_h2;
pub mod report;
pub mod result;
pub mod rng;
pub mod run;
pub mod slots;
pub mod traffic;
pub mod verdict;
