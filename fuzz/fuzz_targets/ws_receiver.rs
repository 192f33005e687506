//! `ws_receiver`: the property is `check_ws_receiver` in `codec/tests/support/fuzz_checks.rs`.
#![no_main]

#[path = "../../codec/tests/support/fuzz_checks.rs"]
mod fuzz_checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::check_ws_receiver(data));
