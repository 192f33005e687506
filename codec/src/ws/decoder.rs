//! The incremental frame decoder.
//!
//! It is fed whatever slices the socket produced, down to one byte at a time, and
//! yields a [`FrameEvent::Header`] per frame followed by one or more
//! [`FrameEvent::Payload`] pieces. Payload pieces are slices of the caller's
//! buffer, unmasked in place: a payload that is contiguous in the input is never
//! copied. Only a header split across inputs is copied (into a 14-byte array).
//!
//! Header rules are checked by [`parse_header`] at the first byte that decides
//! them; an error is final and repeated by every later call.

use super::error::ProtocolError;
use super::frame::{FrameHeader, HeaderRules, MAX_HEADER_LEN, parse_header};
use super::mask::apply_mask;

/// What the decoder found.
#[derive(Debug, PartialEq, Eq)]
pub enum FrameEvent<'a> {
    /// A complete, valid frame header. Payload pieces follow (at least one, even
    /// for an empty payload).
    Header(FrameHeader),
    /// A piece of the current frame's payload, unmasked.
    Payload {
        /// The bytes, a slice of the input.
        data: &'a [u8],
        /// The position of `data` within the frame's payload.
        offset: u64,
        /// Whether this piece ends the frame.
        last: bool,
    },
}

/// A [`FrameEvent`] whose payload is still masked (see [`FrameDecoder::decode_masked`]).
#[derive(Debug)]
pub(crate) enum MaskedEvent<'a> {
    /// As [`FrameEvent::Header`].
    Header(FrameHeader),
    /// As [`FrameEvent::Payload`], with the frame's masking key, if any, still to be
    /// applied to `data` as the bytes at `offset` of the payload (§5.3).
    Payload {
        data: &'a mut [u8],
        offset: u64,
        last: bool,
        mask: Option<[u8; 4]>,
    },
}

/// Where the decoder is within the frame.
#[derive(Debug, Clone, Copy)]
enum State {
    /// Collecting header bytes (the first `header_len` are in `header_buf`).
    Header,
    /// Passing payload through.
    Payload {
        /// The masking key, if the frame is masked.
        mask: Option<[u8; 4]>,
        /// The payload length.
        len: u64,
        /// How many payload bytes were passed on already.
        done: u64,
    },
    /// A protocol error was found; it is final.
    Failed(ProtocolError),
}

/// An incremental frame decoder.
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    /// The rules applied to every header.
    rules: HeaderRules,
    /// Header bytes that arrived in an earlier input.
    header_buf: [u8; MAX_HEADER_LEN],
    /// How many bytes of `header_buf` are in use.
    header_len: usize,
    /// Where the decoder is.
    state: State,
}

impl FrameDecoder {
    /// A decoder applying `rules` to every frame.
    pub const fn new(rules: HeaderRules) -> Self {
        FrameDecoder {
            rules,
            header_buf: [0; MAX_HEADER_LEN],
            header_len: 0,
            state: State::Header,
        }
    }

    /// The rules in force.
    pub const fn rules(&self) -> &HeaderRules {
        &self.rules
    }

    /// Change the rules for the frames that follow (e.g. once an extension allows RSV1).
    pub fn set_rules(&mut self, rules: HeaderRules) {
        self.rules = rules;
    }

    /// Whether the decoder is between frames (no header or payload byte pending).
    pub const fn is_idle(&self) -> bool {
        matches!(self.state, State::Header) && self.header_len == 0
    }

    /// Decode from the front of `input`, advancing it past the bytes consumed.
    /// Returns the event those bytes completed, or `None` once every byte of
    /// `input` was consumed and more are needed. Call it in a loop until `None`:
    ///
    /// ```
    /// # use wirecheck_codec::ws::{FrameDecoder, FrameEvent, Role, frame::HeaderRules};
    /// let mut dec = FrameDecoder::new(HeaderRules { role: Some(Role::Client), allowed_rsv: 0, max_payload: 1 << 20, allow_reserved_opcodes: false });
    /// let mut bytes = *b"\x81\x02hi";
    /// let mut input = &mut bytes[..];
    /// assert!(matches!(dec.decode(&mut input), Ok(Some(FrameEvent::Header(_)))));
    /// assert!(matches!(dec.decode(&mut input), Ok(Some(FrameEvent::Payload { data: b"hi", .. }))));
    /// assert!(matches!(dec.decode(&mut input), Ok(None)));
    /// ```
    pub fn decode<'a>(
        &mut self,
        input: &mut &'a mut [u8],
    ) -> Result<Option<FrameEvent<'a>>, ProtocolError> {
        Ok(match self.decode_masked(input)? {
            None => None,
            Some(MaskedEvent::Header(h)) => Some(FrameEvent::Header(h)),
            Some(MaskedEvent::Payload {
                data,
                offset,
                last,
                mask,
            }) => {
                // §5.3: unmask in place.
                if let Some(key) = mask {
                    apply_mask(data, key, offset);
                }
                Some(FrameEvent::Payload { data, offset, last })
            }
        })
    }

    /// [`decode`](Self::decode), but payload pieces come out still masked, with their
    /// key: the message layer unmasks them in the same pass that validates UTF-8.
    #[inline]
    pub(crate) fn decode_masked<'a>(
        &mut self,
        input: &mut &'a mut [u8],
    ) -> Result<Option<MaskedEvent<'a>>, ProtocolError> {
        match self.state {
            State::Failed(e) => Err(e),
            State::Header => self.decode_header(input),
            State::Payload { mask, len, done } => {
                let want = len - done;
                let n = usize::try_from(want).map_or(input.len(), |w| w.min(input.len()));
                if n == 0 && want > 0 {
                    return Ok(None);
                }
                let (data, rest) = core::mem::take(input).split_at_mut(n);
                *input = rest;
                let last = n as u64 == want;
                self.state = if last {
                    State::Header
                } else {
                    State::Payload {
                        mask,
                        len,
                        done: done + n as u64,
                    }
                };
                Ok(Some(MaskedEvent::Payload {
                    data,
                    offset: done,
                    last,
                    mask,
                }))
            }
        }
    }

    #[inline]
    fn decode_header<'a>(
        &mut self,
        input: &mut &'a mut [u8],
    ) -> Result<Option<MaskedEvent<'a>>, ProtocolError> {
        let (header, consumed) = if self.header_len == 0 {
            // Fast path: the header is read straight from the input.
            match parse_header(input, &self.rules) {
                Ok(Some(parsed)) => parsed,
                Ok(None) => {
                    // The whole input is a header prefix (at most 13 bytes).
                    self.header_buf[..input.len()].copy_from_slice(input);
                    self.header_len = input.len();
                    *input = &mut [];
                    return Ok(None);
                }
                Err(e) => return Err(self.fail(e)),
            }
        } else {
            let before = self.header_len;
            let take = (MAX_HEADER_LEN - before).min(input.len());
            self.header_buf[before..before + take].copy_from_slice(&input[..take]);
            match parse_header(&self.header_buf[..before + take], &self.rules) {
                Ok(Some((h, n))) => {
                    self.header_len = 0;
                    (h, n - before)
                }
                Ok(None) => {
                    // Every byte taken belongs to the header, which is longer still.
                    self.header_len = before + take;
                    let rest = core::mem::take(input);
                    *input = &mut rest[take..];
                    return Ok(None);
                }
                Err(e) => return Err(self.fail(e)),
            }
        };
        let rest = core::mem::take(input);
        *input = &mut rest[consumed..];
        self.state = State::Payload {
            mask: header.mask,
            len: header.payload_len,
            done: 0,
        };
        Ok(Some(MaskedEvent::Header(header)))
    }

    fn fail(&mut self, e: ProtocolError) -> ProtocolError {
        self.state = State::Failed(e);
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ws::Role;
    use crate::ws::frame::OpCode;
    use alloc::vec::Vec;

    fn rules(role: Role) -> HeaderRules {
        HeaderRules {
            role: Some(role),
            allowed_rsv: 0,
            max_payload: 1 << 20,
            allow_reserved_opcodes: false,
        }
    }

    /// Decode `input` in pieces of `chunk` bytes; returns headers and the concatenated payloads.
    fn run(role: Role, input: &[u8], chunk: usize) -> (Vec<FrameHeader>, Vec<Vec<u8>>) {
        let mut dec = FrameDecoder::new(rules(role));
        let mut headers = Vec::new();
        let mut payloads: Vec<Vec<u8>> = Vec::new();
        let mut buf = input.to_vec();
        for mut piece in buf.chunks_mut(chunk) {
            loop {
                match dec.decode(&mut piece).unwrap() {
                    None => break,
                    Some(FrameEvent::Header(h)) => {
                        headers.push(h);
                        payloads.push(Vec::new());
                    }
                    Some(FrameEvent::Payload { data, offset, .. }) => {
                        let p = payloads.last_mut().unwrap();
                        assert_eq!(offset as usize, p.len());
                        p.extend_from_slice(data);
                    }
                }
            }
        }
        assert!(dec.is_idle());
        (headers, payloads)
    }

    #[test]
    fn rfc6455_5_7_examples_decode_in_any_chunking() {
        let mut stream = Vec::new();
        stream.extend_from_slice(&[
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ]); // "Hello" masked
        stream.extend_from_slice(&[
            0x89, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ]); // masked ping "Hello"
        stream.extend_from_slice(&[0x82, 0x80, 1, 2, 3, 4]); // empty masked binary
        for chunk in 1..=stream.len() {
            let (h, p) = run(Role::Server, &stream, chunk);
            assert_eq!(h.len(), 3);
            assert_eq!(h[1].opcode, OpCode::Ping);
            assert_eq!(p, [b"Hello".to_vec(), b"Hello".to_vec(), Vec::new()]);
        }
    }

    #[test]
    fn contiguous_payload_is_one_piece() {
        let mut bytes = [0x82, 0x03, 1, 2, 3];
        let mut input = &mut bytes[..];
        let mut dec = FrameDecoder::new(rules(Role::Client));
        assert!(matches!(
            dec.decode(&mut input).unwrap(),
            Some(FrameEvent::Header(_))
        ));
        assert_eq!(input.len(), 3);
        assert_eq!(
            dec.decode(&mut input).unwrap(),
            Some(FrameEvent::Payload {
                data: &[1, 2, 3],
                offset: 0,
                last: true
            })
        );
    }

    #[test]
    fn error_is_final() {
        let mut dec = FrameDecoder::new(rules(Role::Server));
        assert!(dec.decode(&mut &mut [0x83u8][..]).is_err());
        assert!(
            dec.decode(&mut &mut [0x81u8, 0x80, 0, 0, 0, 0][..])
                .is_err()
        );
    }
}
