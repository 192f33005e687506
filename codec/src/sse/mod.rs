//! Server-Sent Events (`text/event-stream`), WHATWG HTML "Server-sent events".
//!
//! (Being written: see issue "The text/event-stream parser and encoder".)
