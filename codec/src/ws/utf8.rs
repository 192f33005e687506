//! Incremental, fail-fast UTF-8 validation (RFC 6455 §5.6, §8.1).
//!
//! A text message may arrive in many frames and each frame in many TCP segments.
//! §8.1 says an endpoint that receives invalid UTF-8 MUST _Fail the WebSocket
//! Connection_, and Autobahn's 6.4.x cases score an endpoint that waits for the end
//! of the frame as NON-STRICT. So the validator takes the bytes as they come and
//! fails on the first byte after which no continuation could make the prefix
//! valid: exactly the offset `core::str::from_utf8` reports as `valid_up_to` for
//! the whole input, at the earliest moment it can be known.
//!
//! The bulk of the work is done by `simdutf8`; at most 3 bytes of an incomplete
//! sequence are carried from one piece to the next.

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
    /// The bytes of an incomplete sequence at the end of the input so far.
    pending: [u8; 4],
    /// How many bytes of `pending` are in use (0 to 3).
    pending_len: u8,
    /// How many bytes were fed since the last reset.
    fed: u64,
}

impl Utf8Validator {
    /// A validator at the start of a string.
    pub const fn new() -> Self {
        Utf8Validator {
            pending: [0; 4],
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
            // Complete the carried sequence one byte at a time (at most 3 bytes).
            let seq_start = start - u64::from(self.pending_len);
            while let Some((&b, rest)) = bytes.split_first() {
                self.pending[usize::from(self.pending_len)] = b;
                self.pending_len += 1;
                bytes = rest;
                match from_utf8_detailed(&self.pending[..usize::from(self.pending_len)]) {
                    Ok(_) => {
                        self.pending_len = 0;
                        break;
                    }
                    Err(e) if e.error_len().is_some() => {
                        return Err(Utf8Error { offset: seq_start });
                    }
                    Err(_) => {}
                }
            }
            if self.pending_len > 0 {
                return Ok(());
            }
        }
        let base = self.fed - bytes.len() as u64;
        if simdutf8::basic::from_utf8(bytes).is_ok() {
            return Ok(());
        }
        match from_utf8_detailed(bytes) {
            Ok(_) => Ok(()),
            Err(e) => {
                let valid = e.valid_up_to();
                if e.error_len().is_some() {
                    return Err(Utf8Error {
                        offset: base + valid as u64,
                    });
                }
                // An incomplete but so far valid sequence ends the piece: carry it.
                let tail = &bytes[valid..];
                self.pending[..tail.len()].copy_from_slice(tail);
                self.pending_len = tail.len() as u8;
                Ok(())
            }
        }
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
