//! Category 1, Framing (16 cases): text and binary messages of the sizes at the
//! boundaries of the three length encodings (RFC 6455 §5.2: 7-bit up to 125,
//! 16-bit up to 65535, 64-bit beyond), each to be echoed exactly; x.8 writes a
//! 64 KiB frame in 997-byte TCP chops.

use crate::ws::case::{Case, Chop, Ev, ExpectedClose, FrameSpec, Step};

/// The payload sizes of cases x.1 to x.7.
const SIZES: [usize; 7] = [0, 125, 126, 127, 128, 65535, 65536];

/// Cases 1.1.1-1.1.8 (text, `*`) and 1.2.1-1.2.8 (binary, 0xFE).
pub fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for (sub, binary, name, byte) in [(1, false, "text", b'*'), (2, true, "binary", 0xFE)] {
        let opcode = if binary { 2 } else { 1 };
        let echo = |len: usize| {
            let data = vec![byte; len];
            if binary {
                Ev::binary(data)
            } else {
                Ev::text(data)
            }
        };
        for (i, &len) in SIZES.iter().enumerate() {
            // Autobahn: killAfter(1) up to 128 bytes, killAfter(10) for the 64 KiB cases.
            let kill = if len > 128 { 10.0 } else { 1.0 };
            out.push(Case::new(
                &format!("1.{sub}.{}", i + 1),
                format!("Send a {name} message of {len} bytes in one frame."),
                format!("The server echoes the {name} message exactly; wirecheck then closes with 1000, cleanly."),
                vec![echo(len)],
                ExpectedClose::fuzzer_closes_normally(),
                vec![
                    Step::Frame(FrameSpec::new(opcode, vec![byte; len])),
                    Step::kill_after(kill),
                ],
            ));
        }
        out.push(Case::new(
            &format!("1.{sub}.8"),
            format!("Send a {name} message of 65536 bytes in one frame, written in TCP pieces of 997 bytes."),
            format!("The server echoes the {name} message exactly; wirecheck then closes with 1000, cleanly."),
            vec![echo(65536)],
            ExpectedClose::fuzzer_closes_normally(),
            vec![
                Step::Frame(FrameSpec::new(opcode, vec![byte; 65536]).chop(Chop::Bytes(997))),
                Step::kill_after(10.0),
            ],
        ));
    }
    out
}
