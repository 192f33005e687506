//! `ws_handshake_response`: the property is `check_ws_handshake_response` in `codec/tests/support/fuzz_checks.rs`.
#![no_main]

#[path = "../../codec/tests/support/fuzz_checks.rs"]
mod fuzz_checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::check_ws_handshake_response(data));
