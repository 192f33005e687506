//! `wirecheck decode`: print, as JSON Lines, what the codec makes of a byte stream
//! (DESIGN §4). Each protocol has its own module; both share the exit-code rules:
//! 0 when the input was read to its end, 1 when decoding stopped on a protocol
//! error, 2 on a usage error or an unreadable file.

use std::io::{self, Read};

pub mod sse;
pub mod ws;

/// How a `decode` run ended; maps onto the exit codes of DESIGN §4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The input was read to its end (possibly truncated inside a frame or event).
    Complete,
    /// Decoding stopped on a protocol error.
    ProtocolError,
}

impl Outcome {
    /// The process exit code for this outcome.
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Complete => 0,
            Outcome::ProtocolError => 1,
        }
    }
}

/// Lower-case hexadecimal, as DESIGN §4 prints binary payloads.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xF)]));
    }
    s
}

/// Read into `buf`: when `exact`, keep reading until `buf` is full or the input
/// ends (so `--chunk N` really feeds N bytes at a time); otherwise one read.
/// Returns the number of bytes read, 0 at the end of the input.
pub fn read_full(input: &mut dyn Read, buf: &mut [u8], exact: bool) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => {
                filled += n;
                if !exact {
                    break;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
