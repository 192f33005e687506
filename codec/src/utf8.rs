//! Incremental, fail-fast UTF-8 validation, for WebSocket text (RFC 6455 §5.6,
//! §8.1) and for the SSE parser and producer-grammar checker (WHATWG: an event
//! stream is UTF-8).
//!
//! A text message may arrive in many frames and each frame in many TCP segments.
//! §8.1 says an endpoint that receives invalid UTF-8 MUST _Fail the WebSocket
//! Connection_, and Autobahn's 6.4.x cases score an endpoint that waits for the end
//! of the frame as NON-STRICT. So the validator takes the bytes as they come and
//! fails on the first byte after which no continuation could make the prefix
//! valid: exactly the offset `core::str::from_utf8` reports as `valid_up_to` for
//! the whole input, at the earliest moment it can be known.
//!
//! The bulk of the work is done by `simdutf8`. Pieces shorter than one SIMD
//! block (64 bytes), where `simdutf8` falls back to `core::str::from_utf8`, go
//! through a table-driven automaton instead ([`short_is_valid`]), a few
//! instructions per byte: small messages are the common case on a WebSocket.
//! The same automaton carries an incomplete sequence (at most 3 bytes) from one
//! piece to the next, as its state, and completes it byte by byte.

use simdutf8::compat::from_utf8 as from_utf8_detailed;

/// The error of an incremental validation: the input is not UTF-8 from `offset` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Utf8Error {
    /// Offset, from the start of all input fed since the last reset, of the first
    /// byte of the sequence that is invalid (or, from [`Utf8Validator::finish`],
    /// incomplete). Equal to `valid_up_to` of `core::str::from_utf8`.
    pub offset: u64,
}

/// An incremental UTF-8 validator.
#[derive(Debug, Clone, Default)]
pub struct Utf8Validator {
    /// The state of [`short_is_valid`]'s automaton after the bytes of an
    /// incomplete sequence at the end of the input so far (`ACCEPT` when there
    /// are none).
    state: u8,
    /// How many bytes that incomplete sequence has (0 to 3).
    pending_len: u8,
    /// How many bytes were fed since the last reset.
    fed: u64,
}

impl Utf8Validator {
    /// A validator at the start of a string.
    pub const fn new() -> Self {
        Utf8Validator {
            state: ACCEPT as u8,
            pending_len: 0,
            fed: 0,
        }
    }

    /// Forget everything fed so far.
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    /// Whether the input so far ends on a character boundary.
    pub const fn is_complete(&self) -> bool {
        self.pending_len == 0
    }

    /// Validate the next piece. Fails as soon as the input so far cannot be the
    /// prefix of any valid UTF-8 string.
    pub fn feed(&mut self, mut bytes: &[u8]) -> Result<(), Utf8Error> {
        let start = self.fed;
        self.fed += bytes.len() as u64;
        if self.pending_len > 0 {
            // Complete the carried sequence one byte at a time (at most 3 bytes),
            // through the automaton from where it stopped.
            let seq_start = start - u64::from(self.pending_len);
            while let Some((&b, rest)) = bytes.split_first() {
                bytes = rest;
                self.pending_len += 1;
                match step(u32::from(self.state), b) {
                    ACCEPT => {
                        self.state = ACCEPT as u8;
                        self.pending_len = 0;
                        break;
                    }
                    REJECT => return Err(Utf8Error { offset: seq_start }),
                    state => self.state = state as u8,
                }
            }
            if self.pending_len > 0 {
                return Ok(());
            }
        }
        let base = self.fed - bytes.len() as u64;
        // A sequence cut short by the end of the piece is checked on its own, so the
        // fast validator sees only whole sequences and runs once over the piece.
        let cut = incomplete_tail_start(bytes);
        let (body, tail) = bytes.split_at(cut);
        if !is_valid_utf8(body) {
            // The first error in `body` is the first in the input: an invalid sequence,
            // or one that ends unfinished where the tail's lead byte follows it.
            let valid = match from_utf8_detailed(body) {
                Ok(_) => body.len(),
                Err(e) => e.valid_up_to(),
            };
            return Err(Utf8Error {
                offset: base + valid as u64,
            });
        }
        if tail.is_empty() {
            return Ok(());
        }
        // The tail is one sequence, its lead byte announcing more bytes than it has.
        match tail.iter().fold(ACCEPT, |state, &b| step(state, b)) {
            REJECT => Err(Utf8Error {
                offset: base + cut as u64,
            }),
            // Unreachable (the sequence is longer than the tail); harmless.
            ACCEPT => Ok(()),
            state => {
                // An incomplete but so far valid sequence ends the piece: carry it.
                self.state = state as u8;
                self.pending_len = tail.len() as u8;
                Ok(())
            }
        }
    }

    /// [`feed`](Self::feed) for a piece the caller has already found to be ASCII
    /// (e.g. while unmasking it): valid unless it follows an unfinished sequence, so
    /// its bytes need not be looked at again.
    pub fn feed_ascii(&mut self, bytes: &[u8]) -> Result<(), Utf8Error> {
        debug_assert!(bytes.is_ascii());
        if self.pending_len > 0 {
            return self.feed(bytes);
        }
        self.fed += bytes.len() as u64;
        Ok(())
    }

    /// End of input: fails if it ends inside a sequence.
    pub fn finish(&self) -> Result<(), Utf8Error> {
        if self.pending_len == 0 {
            Ok(())
        } else {
            Err(Utf8Error {
                offset: self.fed - u64::from(self.pending_len),
            })
        }
    }
}

/// Below this length [`short_is_valid`] validates instead of `simdutf8` (whose
/// SIMD loop starts at 64 bytes).
const SHORT: usize = 64;

/// The states of the automaton of [`short_is_valid`], each a shift amount into a
/// row of [`TRANSITIONS`]: the state after a byte is `TRANSITIONS[byte] >> state`,
/// in 6 bits.
const ACCEPT: u32 = 0;
const REJECT: u32 = 6;
/// 1, 2 or 3 continuation bytes (80..BF) still needed.
const NEED1: u32 = 12;
const NEED2: u32 = 18;
const NEED3: u32 = 24;
/// After E0: A0..BF next (no overlong 3-byte form).
const AFTER_E0: u32 = 30;
/// After ED: 80..9F next (no surrogates U+D800..U+DFFF).
const AFTER_ED: u32 = 36;
/// After F0: 90..BF next (no overlong 4-byte form).
const AFTER_F0: u32 = 42;
/// After F4: 80..8F next (nothing above U+10FFFF).
const AFTER_F4: u32 = 48;

/// The transitions of the well-formed UTF-8 byte sequences of RFC 3629 §4 (the
/// grammar §5.6 of RFC 6455 refers to), one row per byte value.
const TRANSITIONS: [u64; 256] = transitions();

const fn next_state(state: u32, b: u8) -> u32 {
    let cont = matches!(b, 0x80..=0xBF);
    match state {
        ACCEPT => match b {
            0x00..=0x7F => ACCEPT,
            0xC2..=0xDF => NEED1,
            0xE0 => AFTER_E0,
            0xE1..=0xEC | 0xEE..=0xEF => NEED2,
            0xED => AFTER_ED,
            0xF0 => AFTER_F0,
            0xF1..=0xF3 => NEED3,
            0xF4 => AFTER_F4,
            // 80..BF cannot start a sequence; C0, C1, F5..FF never occur.
            _ => REJECT,
        },
        NEED1 if cont => ACCEPT,
        NEED2 if cont => NEED1,
        NEED3 if cont => NEED2,
        AFTER_E0 if matches!(b, 0xA0..=0xBF) => NEED1,
        AFTER_ED if matches!(b, 0x80..=0x9F) => NEED1,
        AFTER_F0 if matches!(b, 0x90..=0xBF) => NEED2,
        AFTER_F4 if matches!(b, 0x80..=0x8F) => NEED2,
        _ => REJECT,
    }
}

const fn transitions() -> [u64; 256] {
    let states = [
        ACCEPT, REJECT, NEED1, NEED2, NEED3, AFTER_E0, AFTER_ED, AFTER_F0, AFTER_F4,
    ];
    let mut table = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let mut i = 0;
        while i < states.len() {
            table[b] |= (next_state(states[i], b as u8) as u64) << states[i];
            i += 1;
        }
        b += 1;
    }
    table
}

/// The automaton's state after byte `b` in `state` (`REJECT` stays `REJECT`).
#[inline]
fn step(state: u32, b: u8) -> u32 {
    ((TRANSITIONS[usize::from(b)] >> state) & 63) as u32
}

/// Whether `bytes` is well-formed UTF-8 that ends on a character boundary: one
/// table load and one shift per byte (a shift-based DFA).
#[inline]
fn short_is_valid(bytes: &[u8]) -> bool {
    let mut state = u64::from(ACCEPT);
    for &b in bytes {
        state = TRANSITIONS[usize::from(b)] >> (state & 63);
    }
    state & 63 == u64::from(ACCEPT)
}

/// Whether `bytes` is valid UTF-8 as a whole (ending on a character boundary): the
/// one-call check for a complete message, [`short_is_valid`] or `simdutf8` by length.
#[inline]
pub fn is_valid_utf8(bytes: &[u8]) -> bool {
    if bytes.len() < SHORT {
        short_is_valid(bytes)
    } else {
        simdutf8::basic::from_utf8(bytes).is_ok()
    }
}

/// Where the last sequence of `bytes` starts if the end of `bytes` cuts it short,
/// else `bytes.len()`. Only the last 3 bytes can hold such a sequence (the longest is
/// 4 bytes); its lead byte announces the length (§5.6 refers to RFC 3629 §3). A byte
/// that can never start a sequence is left for the validator to reject.
pub(crate) fn incomplete_tail_start(bytes: &[u8]) -> usize {
    let len = bytes.len();
    for back in 1..=len.min(3) {
        let b = bytes[len - back];
        if b & 0xC0 == 0x80 {
            continue; // A continuation byte: the lead is further back.
        }
        let need = match b {
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => 1,
        };
        return if need > back { len - back } else { len };
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_8_1_fails_on_first_invalid_byte_even_mid_piece() {
        // Autobahn 6.4.1: "κόσμε" (11 bytes) then 0xF4 0x90 (beyond U+10FFFF) fails at the 0x90.
        let kosme: &[u8] = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";
        let mut v = Utf8Validator::new();
        v.feed(kosme).unwrap();
        v.feed(&[0xF4]).unwrap();
        assert_eq!(v.feed(&[0x90]), Err(Utf8Error { offset: 11 }));
    }

    #[test]
    fn sequence_split_across_pieces_is_valid() {
        let s = "a€b𝄞c".as_bytes();
        for cut in 0..=s.len() {
            let mut v = Utf8Validator::new();
            v.feed(&s[..cut]).unwrap();
            v.feed(&s[cut..]).unwrap();
            v.finish().unwrap();
        }
    }

    #[test]
    fn offsets_match_std_for_every_split_of_every_tail() {
        // Valid text, then one of the malformed endings, split at every point.
        let inputs: [&[u8]; 9] = [
            "ab€𝄞é".as_bytes(),
            b"ab\xE2\x82",
            b"ab\xE2\x82\xC3\xA9",
            b"ab\xE0\x80x",
            b"ab\xF0\x9F\x98",
            b"ab\xF4\x90\x80\x80",
            b"ab\xC0",
            b"ab\xF8",
            b"\xCE\xBA\xFF",
        ];
        for input in inputs {
            let expected = core::str::from_utf8(input);
            for cut in 0..=input.len() {
                let mut v = Utf8Validator::new();
                let got = v
                    .feed(&input[..cut])
                    .and_then(|()| v.feed(&input[cut..]))
                    .and_then(|()| v.finish());
                match expected {
                    Ok(_) => assert_eq!(got, Ok(()), "{input:x?} cut {cut}"),
                    Err(e) => assert_eq!(
                        got,
                        Err(Utf8Error {
                            offset: e.valid_up_to() as u64
                        }),
                        "{input:x?} cut {cut}"
                    ),
                }
            }
        }
    }

    #[test]
    fn short_automaton_agrees_with_std_on_every_sequence_of_up_to_3_bytes() {
        let mut buf = [0u8; 3];
        for a in 0..=255u8 {
            buf[0] = a;
            assert_eq!(
                short_is_valid(&buf[..1]),
                core::str::from_utf8(&buf[..1]).is_ok()
            );
            for b in 0..=255u8 {
                buf[1] = b;
                let two = &buf[..2];
                assert_eq!(
                    short_is_valid(two),
                    core::str::from_utf8(two).is_ok(),
                    "{two:x?}"
                );
                for c in 0..=255u8 {
                    buf[2] = c;
                    assert_eq!(short_is_valid(&buf), core::str::from_utf8(&buf).is_ok());
                }
            }
        }
    }

    #[test]
    fn short_automaton_agrees_with_std_on_4_byte_sequences() {
        // Every lead byte F0..F7 and C0..FF with every second byte, then the interesting
        // third and fourth bytes (the boundaries of each continuation range).
        let edges = [
            0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xF4, 0xFF,
        ];
        for a in 0xC0..=0xFFu8 {
            for b in 0..=255u8 {
                for c in edges {
                    for d in edges {
                        let seq = [a, b, c, d];
                        assert_eq!(
                            short_is_valid(&seq),
                            core::str::from_utf8(&seq).is_ok(),
                            "{seq:x?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn incomplete_sequence_at_end_is_reported_by_finish() {
        let mut v = Utf8Validator::new();
        v.feed(b"ab\xE2\x82").unwrap();
        assert!(!v.is_complete());
        assert_eq!(v.finish(), Err(Utf8Error { offset: 2 }));
    }

    #[test]
    fn surrogates_and_overlongs_are_invalid() {
        for bad in [
            &b"\xED\xA0\x80"[..],
            b"\xC0\xAF",
            b"\xE0\x80\xAF",
            b"\xF8\x88\x80\x80\x80",
        ] {
            let mut v = Utf8Validator::new();
            assert_eq!(v.feed(bad), Err(Utf8Error { offset: 0 }), "{bad:x?}");
        }
    }
}
