//! `wirecheck sse`: validate a Server-Sent Events server (issue #7, DESIGN §3,
//! §5, §6). No conformance tool for SSE servers existed; the rules are WHATWG HTML
//! §9.2 ("Server-sent events") and its EventSource connection model.
//!
//! * [`http`]: the sans-IO HTTP/1.1 pieces a stream client needs (head, chunked,
//!   gzip/deflate).
//! * [`observe`]: one request and its response, timed read by read, parsed by the
//!   codec's spec-exact parser and checked by its producer-grammar lint.
//! * [`case`] and [`cases`]: the catalogue (`E.<group>.<n>`), each case a record
//!   with its rule and a check that judges observations.
//! * [`run`]: makes the observations the selected cases need, judges them, and
//!   builds the reports; [`command`]: the command line around it.

pub mod case;
pub mod cases;
pub mod command;
pub mod fuzzing;
pub mod http;
pub mod observe;
pub mod run;
