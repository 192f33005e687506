//! Autobahn|Testsuite category 3, Reserved Bits (7 cases), at the codec level.
//!
//! With no extension negotiated, a frame with any of RSV1-3 set fails the
//! connection with 1002 (RFC 6455 §5.2). Autobahn's `rsv` argument is the 3-bit
//! value RSV1 RSV2 RSV3 (`rsv=1` is RSV3), as is the codec's `FrameHeader::rsv`.
//! 3.2-3.4 send a valid text first: a strict, in-order server echoes it before it
//! fails (`OK`); failing before the echo is `NON-STRICT`. The ping that follows
//! the bad frame must never be answered.

#[macro_use]
#[path = "common/autobahn.rs"]
mod autobahn;

use autobahn::*;
use wirecheck_codec::ws::ErrorKind;

const HELLO: &[u8] = b"Hello, world!";

/// Valid text, the same text with `rsv`, then an empty ping.
fn text_then_rsv(fuzz: Fuzz, rsv: u8) -> Case {
    fuzz.text(HELLO)
        .frame(true, rsv, 0x1, HELLO)
        .bad()
        .ping(b"")
        .expect([text(HELLO)])
        .fails(1002, ErrorKind::ReservedBits(rsv))
        .expected_ok([echo_text(HELLO)])
        .peer_fails(&[1002])
}

/// A single frame with reserved bits set.
fn lone(rsv: u8, opcode: u8, payload: &[u8]) -> Case {
    Fuzz::new()
        .frame(true, rsv, opcode, payload)
        .bad()
        .expect([])
        .fails(1002, ErrorKind::ReservedBits(rsv))
        .expected_ok([])
        .peer_fails(&[1002])
}

cases! {
    /// 3.1: text "Hello, world!" with RSV=1.
    case_3_1 => lone(1, 0x1, HELLO),
    /// 3.2: valid text, the text with RSV=2, a ping; one write.
    case_3_2 => text_then_rsv(Fuzz::new(), 2),
    /// 3.3: as 3.2 with RSV=3, frame-wise writes.
    case_3_3 => text_then_rsv(Fuzz::new().sync(), 3),
    /// 3.4: as 3.2 with RSV=4, octet-wise writes.
    case_3_4 => text_then_rsv(Fuzz::new().chop(1), 4),
    /// 3.5: binary `00 ff fe fd fc fb 00 ff` with RSV=5.
    case_3_5 => lone(5, 0x2, &[0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff]),
    /// 3.6: described as a ping, but Autobahn sends a binary frame "Hello, world!" with RSV=6.
    case_3_6 => lone(6, 0x2, HELLO),
    /// 3.7: an empty Close frame with RSV=7 (a raw frame: not the fuzzer's close, so
    /// `closedByMe` stays false).
    case_3_7 => lone(7, 0x8, b""),
}
