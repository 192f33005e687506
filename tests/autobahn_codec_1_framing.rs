//! Autobahn|Testsuite category 1, Framing (16 cases), at the codec level.
//!
//! Every case sends one text (1.1.x, `"*"` repeated) or binary (1.2.x, `0xFE`
//! repeated) frame of 0, 125, 126, 127, 128, 65535 or 65536 bytes, so every
//! length form (7-bit, 16-bit, 64-bit) and both sides of each boundary are
//! crossed; x.x.8 writes the 65536-byte frame in TCP chops of 997 bytes. The
//! server must echo it exactly; then the fuzzer closes with 1000.

#[macro_use]
#[path = "common/autobahn.rs"]
mod autobahn;

use autobahn::*;

/// One frame of `len` bytes, echoed, then the fuzzer's Close 1000.
fn echo_case(binary_frame: bool, len: usize, chop: Option<usize>) -> Case {
    let mut fuzz = Fuzz::new();
    if let Some(n) = chop {
        fuzz = fuzz.chop(n);
    }
    let (fuzz, event, echo) = if binary_frame {
        let p = fill(&[0xFE], len);
        (fuzz.binary(&p), binary(&p), echo_binary(&p))
    } else {
        let p = fill(b"*", len);
        (fuzz.text(&p), text(&p), echo_text(&p))
    };
    fuzz.then_close()
        .expect([event, close(1000, "")])
        .expected_ok([echo])
        .fuzzer_closes(&[1000])
}

cases! {
    case_1_1_1 => echo_case(false, 0, None),
    case_1_1_2 => echo_case(false, 125, None),
    case_1_1_3 => echo_case(false, 126, None),
    case_1_1_4 => echo_case(false, 127, None),
    case_1_1_5 => echo_case(false, 128, None),
    case_1_1_6 => echo_case(false, 65535, None),
    case_1_1_7 => echo_case(false, 65536, None),
    case_1_1_8 => echo_case(false, 65536, Some(997)),
    case_1_2_1 => echo_case(true, 0, None),
    case_1_2_2 => echo_case(true, 125, None),
    case_1_2_3 => echo_case(true, 126, None),
    case_1_2_4 => echo_case(true, 127, None),
    case_1_2_5 => echo_case(true, 128, None),
    case_1_2_6 => echo_case(true, 65535, None),
    case_1_2_7 => echo_case(true, 65536, None),
    case_1_2_8 => echo_case(true, 65536, Some(997)),
}
