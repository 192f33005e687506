//! The root package of the wirecheck workspace. It exists to own the cross-crate
//! tests in `tests/` (conformance against the specs, differential tests against
//! tungstenite, corpus replay and snapshots); it has no code of its own to ship.
#![forbid(unsafe_code)]
