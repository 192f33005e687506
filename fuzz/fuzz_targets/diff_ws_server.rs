//! `diff_ws_server`: the property is `check_diff_ws_server` in `codec/tests/support/fuzz_checks.rs`.
#![no_main]

#[path = "../../codec/tests/support/fuzz_checks.rs"]
mod fuzz_checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::check_diff_ws_server(data));
