//! `wirecheck clients ws` (DESIGN §3): test a client. The command glue around
//! the fuzzing server ([`crate::ws::fuzzingserver`]): the options, serving
//! until interrupted or running the client command given after `--`, the
//! reports and the exit code. Like the other command glue it may use every
//! runner and the renderers; nothing imports it but `main`.

pub mod ws;
