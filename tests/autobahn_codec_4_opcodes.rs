//! Autobahn|Testsuite category 4, Opcodes (10 cases), at the codec level.
//!
//! Reserved non-control opcodes 0x3-0x7 (4.1.x) and control opcodes 0xB-0xF
//! (4.2.x) fail the connection with 1002 (RFC 6455 §5.2). Cases with a leading
//! valid text expect its echo (`OK`) and never the pong of the trailing ping.

#[macro_use]
#[path = "common/autobahn.rs"]
mod autobahn;

use autobahn::*;
use wirecheck_codec::ws::ErrorKind;

const HELLO: &[u8] = b"Hello, world!";

/// A single frame with a reserved opcode.
fn lone(opcode: u8, payload: &[u8]) -> Case {
    Fuzz::new()
        .frame(true, 0, opcode, payload)
        .bad()
        .expect([])
        .fails(1002, ErrorKind::ReservedOpcode(opcode))
        .expected_ok([])
        .peer_fails(&[1002])
}

/// Valid text, a frame with a reserved opcode, then an empty ping.
fn text_then(fuzz: Fuzz, opcode: u8, payload: &[u8]) -> Case {
    fuzz.text(HELLO)
        .frame(true, 0, opcode, payload)
        .bad()
        .ping(b"")
        .expect([text(HELLO)])
        .fails(1002, ErrorKind::ReservedOpcode(opcode))
        .expected_ok([echo_text(HELLO)])
        .peer_fails(&[1002])
}

cases! {
    /// 4.1.1: opcode 3, empty.
    case_4_1_1 => lone(3, b""),
    /// 4.1.2: opcode 4 with a payload.
    case_4_1_2 => lone(4, b"reserved opcode payload"),
    /// 4.1.3: valid text, opcode 5 (empty), ping.
    case_4_1_3 => text_then(Fuzz::new(), 5, b""),
    /// 4.1.4: valid text, opcode 6 with a payload, ping.
    case_4_1_4 => text_then(Fuzz::new(), 6, HELLO),
    /// 4.1.5: valid text, opcode 7 with a payload, ping; octet-wise writes.
    case_4_1_5 => text_then(Fuzz::new().chop(1), 7, HELLO),
    /// 4.2.1: opcode 11, empty.
    case_4_2_1 => lone(11, b""),
    /// 4.2.2: opcode 12 with a payload.
    case_4_2_2 => lone(12, b"reserved opcode payload"),
    /// 4.2.3: valid text, opcode 13 (empty), ping.
    case_4_2_3 => text_then(Fuzz::new(), 13, b""),
    /// 4.2.4: valid text, opcode 14 with a payload, ping.
    case_4_2_4 => text_then(Fuzz::new(), 14, HELLO),
    /// 4.2.5: valid text, opcode 15 with a payload, ping; octet-wise writes.
    case_4_2_5 => text_then(Fuzz::new().chop(1), 15, HELLO),
}
