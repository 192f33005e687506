//! Autobahn|Testsuite category 5, Fragmentation (20 cases), at the codec level.
//!
//! Control frames must not be fragmented (RFC 6455 §5.5); a continuation frame
//! needs a fragmented message to continue and a new data frame may not start
//! inside one (§5.4): all fail with 1002. Control frames may come between the
//! fragments of a message and are answered at once (§5.4), so the pong precedes
//! the echo. Each shape is sent as one write, frame-wise (`sync`) and octet-wise.

#[macro_use]
#[path = "common/autobahn.rs"]
mod autobahn;

use autobahn::*;
use wirecheck_codec::ws::ErrorKind;

/// The three write modes of 5.3-5.14: one write, frame-wise, octet-wise.
#[derive(Clone, Copy)]
enum Mode {
    OneWrite,
    FrameWise,
    OctetWise,
}

fn start(mode: Mode) -> Fuzz {
    match mode {
        Mode::OneWrite => Fuzz::new(),
        Mode::FrameWise => Fuzz::new().sync(),
        Mode::OctetWise => Fuzz::new().chop(1),
    }
}

/// 5.1/5.2: a control frame with FIN clear, then a continuation.
fn fragmented_control(opcode: u8) -> Case {
    Fuzz::new()
        .frame(false, 0, opcode, b"fragment1")
        .bad()
        .cont_fin(b"fragment2")
        .expect([])
        .fails(1002, ErrorKind::FragmentedControlFrame)
        .expected_ok([])
        .peer_fails(&[1002])
}

/// 5.3-5.5: "fragment1" + "fragment2", echoed as one message.
fn two_fragments(mode: Mode) -> Case {
    start(mode)
        .text_first(b"fragment1")
        .cont_fin(b"fragment2")
        .then_close()
        .expect([text(b"fragment1fragment2"), close(1000, "")])
        .expected_ok([echo_text(b"fragment1fragment2")])
        .fuzzer_closes(&[1000])
}

/// 5.6-5.8: as 5.3-5.5 with a ping between the fragments.
fn two_fragments_with_ping(mode: Mode) -> Case {
    start(mode)
        .text_first(b"fragment1")
        .ping(b"ping payload")
        .cont_fin(b"fragment2")
        .then_close()
        .expect([
            ping(b"ping payload"),
            text(b"fragment1fragment2"),
            close(1000, ""),
        ])
        .expected_ok([got_pong(b"ping payload"), echo_text(b"fragment1fragment2")])
        .fuzzer_closes(&[1000])
}

/// 5.9-5.14: a continuation (FIN as given) with nothing to continue, then a text.
fn stray_continuation(mode: Mode, fin: bool) -> Case {
    start(mode)
        .frame(fin, 0, 0x0, b"non-continuation payload")
        .bad()
        .text(b"Hello, world!")
        .expect([])
        .fails(1002, ErrorKind::ContinuationWithoutStart)
        .expected_ok([])
        .peer_fails(&[1002])
}

/// 5.19/5.20: five fragments with a ping after the 2nd and the 4th, and a wait of
/// one second after the first ping.
fn five_fragments_two_pings(mode: Mode) -> Case {
    start(mode)
        .text_first(b"fragment1")
        .cont(b"fragment2")
        .ping(b"pongme 1!")
        .pause()
        .cont(b"fragment3")
        .cont(b"fragment4")
        .ping(b"pongme 2!")
        .cont_fin(b"fragment5")
        .then_close()
        .expect([
            ping(b"pongme 1!"),
            ping(b"pongme 2!"),
            text(b"fragment1fragment2fragment3fragment4fragment5"),
            close(1000, ""),
        ])
        .expected_ok([
            got_pong(b"pongme 1!"),
            got_pong(b"pongme 2!"),
            echo_text(b"fragment1fragment2fragment3fragment4fragment5"),
        ])
        .fuzzer_closes(&[1000])
}

cases! {
    /// 5.1: a ping fragmented in two.
    case_5_1 => fragmented_control(0x9),
    /// 5.2: a pong fragmented in two.
    case_5_2 => fragmented_control(0xA),
    /// 5.3: text in two fragments, one write.
    case_5_3 => two_fragments(Mode::OneWrite),
    /// 5.4: the same, frame-wise.
    case_5_4 => two_fragments(Mode::FrameWise),
    /// 5.5: the same, octet-wise.
    case_5_5 => two_fragments(Mode::OctetWise),
    /// 5.6: text in two fragments with a ping between them, one write.
    case_5_6 => two_fragments_with_ping(Mode::OneWrite),
    /// 5.7: the same, frame-wise.
    case_5_7 => two_fragments_with_ping(Mode::FrameWise),
    /// 5.8: the same, octet-wise.
    case_5_8 => two_fragments_with_ping(Mode::OctetWise),
    /// 5.9: continuation FIN=1 without a message, then text; one write.
    case_5_9 => stray_continuation(Mode::OneWrite, true),
    /// 5.10: the same, frame-wise.
    case_5_10 => stray_continuation(Mode::FrameWise, true),
    /// 5.11: the same, octet-wise.
    case_5_11 => stray_continuation(Mode::OctetWise, true),
    /// 5.12: continuation FIN=0 without a message, then text; one write.
    case_5_12 => stray_continuation(Mode::OneWrite, false),
    /// 5.13: the same, frame-wise.
    case_5_13 => stray_continuation(Mode::FrameWise, false),
    /// 5.14: the same, octet-wise.
    case_5_14 => stray_continuation(Mode::OctetWise, false),
    /// 5.15: a valid 2-fragment text (echoed), then a stray continuation FIN=0 and a text.
    case_5_15 => Fuzz::new()
        .text_first(b"fragment1")
        .cont_fin(b"fragment2")
        .cont(b"fragment3")
        .bad()
        .text(b"fragment4")
        .expect([text(b"fragment1fragment2")])
        .fails(1002, ErrorKind::ContinuationWithoutStart)
        .expected_ok([echo_text(b"fragment1fragment2")])
        .peer_fails(&[1002]),
    /// 5.16: twice { continuation FIN=0, text FIN=0, continuation FIN=1 }: fails on the first frame.
    case_5_16 => Fuzz::new()
        .cont(b"fragment1")
        .bad()
        .text_first(b"fragment2")
        .cont_fin(b"fragment3")
        .cont(b"fragment1")
        .text_first(b"fragment2")
        .cont_fin(b"fragment3")
        .expect([])
        .fails(1002, ErrorKind::ContinuationWithoutStart)
        .expected_ok([])
        .peer_fails(&[1002]),
    /// 5.17: twice { continuation FIN=1, text FIN=0, continuation FIN=1 }: fails on the first frame.
    case_5_17 => Fuzz::new()
        .cont_fin(b"fragment1")
        .bad()
        .text_first(b"fragment2")
        .cont_fin(b"fragment3")
        .cont_fin(b"fragment1")
        .text_first(b"fragment2")
        .cont_fin(b"fragment3")
        .expect([])
        .fails(1002, ErrorKind::ContinuationWithoutStart)
        .expected_ok([])
        .peer_fails(&[1002]),
    /// 5.18: text FIN=0, then another text frame instead of a continuation.
    case_5_18 => Fuzz::new()
        .text_first(b"fragment1")
        .text(b"fragment2")
        .bad()
        .expect([])
        .fails(1002, ErrorKind::DataFrameInsideFragmentedMessage)
        .expected_ok([])
        .peer_fails(&[1002]),
    /// 5.19: five fragments, two pings, a wait in between; plain writes.
    case_5_19 => five_fragments_two_pings(Mode::OneWrite),
    /// 5.20: the same with every frame written on its own (`sync`).
    case_5_20 => five_fragments_two_pings(Mode::FrameWise),
}
