//! `proxy_watch`: the property is `check_proxy_watch` in `conformance/tests/support/proxy_fuzz.rs`.
#![no_main]

#[path = "../../conformance/tests/support/proxy_fuzz.rs"]
mod proxy_fuzz;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = proxy_fuzz::check_proxy_watch(data);
});
