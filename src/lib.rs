//! The root package of the wirecheck workspace. It exists to own the tests in
//! `tests/` that need both crates (the codec and the runner): snapshots of the
//! `wirecheck decode` output over the corpus. The codec's own tests live in
//! `codec/tests/`, the runner's in `conformance/tests/`.
#![forbid(unsafe_code)]
