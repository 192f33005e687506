//! The frame header, RFC 6455 §5.2.
//!
//! ```text
//!  0                   1                   2                   3
//! +-+-+-+-+-------+-+-------------+-------------------------------+
//! |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
//! |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
//! |N|V|V|V|       |S|             |   (if payload len==126/127)   |
//! +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
//! |     Extended payload length continued, if payload len == 127  |
//! + - - - - - - - - - - - - - - - +-------------------------------+
//! |                               |Masking-key, if MASK set to 1  |
//! +-------------------------------+-------------------------------+
//! ```
//!
//! [`parse_header`] checks each rule at the first byte that can decide it, even
//! when the rest of the header has not arrived: a reserved opcode fails on byte 0,
//! a control frame longer than 125 bytes on byte 1, a 64-bit length with its MSB
//! set on byte 2. Checks run in byte order, so the error for a given input is the
//! same however the input is split into chunks. Nothing here allocates.

use super::Role;
use super::error::{ErrorKind, ProtocolError};

/// The largest possible header: 2 fixed bytes, 8 bytes of extended length, 4 of mask.
pub const MAX_HEADER_LEN: usize = 14;

/// The largest payload a control frame may carry (RFC 6455 §5.5).
pub const MAX_CONTROL_PAYLOAD: u64 = 125;

/// A frame opcode (RFC 6455 §5.2, §11.8): the six defined ones, and the
/// reserved values 0x3-0x7 and 0xB-0xF, which a receiver must reject but a
/// conformance tool must be able to send and to follow in a capture. The parser
/// rejects reserved values unless its [`HeaderRules`] allow them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpCode {
    /// 0x0: continues a fragmented message.
    Continuation,
    /// 0x1: a text frame (UTF-8 payload).
    Text,
    /// 0x2: a binary frame.
    Binary,
    /// 0x8: connection close.
    Close,
    /// 0x9: ping.
    Ping,
    /// 0xA: pong.
    Pong,
    /// A reserved value (0x3-0x7 non-control, 0xB-0xF control), kept as its 4 bits.
    Reserved(u8),
}

impl OpCode {
    /// The opcode for a 4-bit value, or the reserved-opcode error (§5.2: "If an
    /// unknown opcode is received, the receiving endpoint MUST _Fail the WebSocket
    /// Connection_").
    pub const fn from_u8(value: u8) -> Result<OpCode, ProtocolError> {
        match OpCode::from_bits(value) {
            OpCode::Reserved(other) => Err(ProtocolError::new(ErrorKind::ReservedOpcode(other))),
            known => Ok(known),
        }
    }

    /// The opcode of the low 4 bits of `value`, reserved values included.
    pub const fn from_bits(value: u8) -> OpCode {
        match value & 0x0F {
            0x0 => OpCode::Continuation,
            0x1 => OpCode::Text,
            0x2 => OpCode::Binary,
            0x8 => OpCode::Close,
            0x9 => OpCode::Ping,
            0xA => OpCode::Pong,
            other => OpCode::Reserved(other),
        }
    }

    /// The 4-bit wire value.
    pub const fn as_u8(self) -> u8 {
        match self {
            OpCode::Continuation => 0x0,
            OpCode::Text => 0x1,
            OpCode::Binary => 0x2,
            OpCode::Close => 0x8,
            OpCode::Ping => 0x9,
            OpCode::Pong => 0xA,
            OpCode::Reserved(bits) => bits & 0x0F,
        }
    }

    /// Control frames have opcodes with the most significant bit set (§5.5),
    /// the reserved control opcodes 0xB-0xF included.
    pub const fn is_control(self) -> bool {
        self.as_u8() & 0x8 != 0
    }

    /// Whether the value is reserved (§5.2: "reserved for further ... frames").
    pub const fn is_reserved(self) -> bool {
        matches!(self, OpCode::Reserved(_))
    }
}

/// A parsed frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameHeader {
    /// FIN: this is the final fragment of a message.
    pub fin: bool,
    /// RSV1, RSV2, RSV3 as a 3-bit value (RSV1 is the most significant bit, 0b100).
    pub rsv: u8,
    /// The opcode.
    pub opcode: OpCode,
    /// The masking key, present exactly when the MASK bit is set.
    pub mask: Option<[u8; 4]>,
    /// The payload length in bytes.
    pub payload_len: u64,
}

impl FrameHeader {
    /// The number of bytes this header takes on the wire in its minimal encoding.
    pub const fn encoded_len(&self) -> usize {
        let len = match self.payload_len {
            0..=125 => 2,
            126..=0xFFFF => 4,
            _ => 10,
        };
        if self.mask.is_some() { len + 4 } else { len }
    }

    /// Encode the header with the minimal length encoding into `out`, returning the
    /// number of bytes written. `payload_len` must be below 2^63 (§5.2); larger
    /// values are clamped to that bound's maximum, which no real payload reaches.
    pub fn encode(&self, out: &mut [u8; MAX_HEADER_LEN]) -> usize {
        encode_header(self, LengthForm::Minimal, out)
    }
}

/// How to encode the payload length. Only [`LengthForm::Minimal`] is valid on the
/// wire (§5.2: "the minimal number of bytes MUST be used"); the others exist so a
/// conformance tool can send the invalid forms on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LengthForm {
    /// 7-bit, 16-bit or 64-bit, whichever is the shortest that fits.
    Minimal,
    /// Always the 16-bit form (126 + 2 bytes), if the length fits in 16 bits.
    Extended16,
    /// Always the 64-bit form (127 + 8 bytes).
    Extended64,
}

/// Encode `header` into `out` with the given length form, returning the number of
/// bytes written. A length that does not fit the requested form falls back to the
/// minimal form; a length with bit 63 set is written with that bit cleared only if
/// the form is minimal (the raw form is kept so the invalid frame can be sent).
pub fn encode_header(
    header: &FrameHeader,
    form: LengthForm,
    out: &mut [u8; MAX_HEADER_LEN],
) -> usize {
    out[0] = (u8::from(header.fin) << 7) | ((header.rsv & 0b111) << 4) | header.opcode.as_u8();
    let mask_bit = if header.mask.is_some() { 0x80 } else { 0 };
    let len = header.payload_len;
    let form = match form {
        LengthForm::Extended16 if len > 0xFFFF => LengthForm::Minimal,
        other => other,
    };
    let mut pos = match (form, len) {
        (LengthForm::Minimal, 0..=125) => {
            out[1] = mask_bit | len as u8;
            2
        }
        (LengthForm::Minimal, 126..=0xFFFF) | (LengthForm::Extended16, _) => {
            out[1] = mask_bit | 126;
            out[2..4].copy_from_slice(&(len as u16).to_be_bytes());
            4
        }
        (LengthForm::Minimal, _) => {
            out[1] = mask_bit | 127;
            // §5.2: the most significant bit MUST be 0.
            out[2..10].copy_from_slice(&(len & (u64::MAX >> 1)).to_be_bytes());
            10
        }
        (LengthForm::Extended64, _) => {
            out[1] = mask_bit | 127;
            out[2..10].copy_from_slice(&len.to_be_bytes());
            10
        }
    };
    if let Some(key) = header.mask {
        out[pos..pos + 4].copy_from_slice(&key);
        pos += 4;
    }
    pos
}

/// The rules a receiver applies to a header beyond the fixed ones of §5.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderRules {
    /// The receiving role; decides which masking is required (§5.1). `None`
    /// accepts both, for tools that inspect captures of unknown direction.
    pub role: Option<Role>,
    /// RSV bits that a negotiated extension defines (0 when none is, §5.2).
    pub allowed_rsv: u8,
    /// The largest payload length accepted; longer frames fail with 1009.
    pub max_payload: u64,
    /// Accept reserved opcodes (§5.2 says fail): only for tools that follow the
    /// frames of a stream whatever they are, never for an endpoint.
    pub allow_reserved_opcodes: bool,
}

/// Parse a frame header from the start of `buf`.
///
/// Returns `Ok(Some((header, header_len)))` once the whole header is in `buf`,
/// `Ok(None)` while more bytes are needed and nothing seen so far breaks a rule,
/// and an error as soon as the bytes seen so far break one.
///
/// Always inlined: called out of line, its result came back through the stack
/// and the caller's wider reloads of the narrower stores stalled on store
/// forwarding (a quarter of the time of a 125 B message in the read loop).
#[inline(always)]
pub fn parse_header(
    buf: &[u8],
    rules: &HeaderRules,
) -> Result<Option<(FrameHeader, usize)>, ProtocolError> {
    let Some(&b0) = buf.first() else {
        return Ok(None);
    };
    // §5.2: "If an unknown opcode is received, the receiving endpoint MUST _Fail_".
    let opcode = if rules.allow_reserved_opcodes {
        OpCode::from_bits(b0)
    } else {
        OpCode::from_u8(b0 & 0x0F)?
    };
    let fin = b0 & 0x80 != 0;
    let rsv = (b0 >> 4) & 0b111;
    // §5.2: RSV1-3 "MUST be 0 unless an extension is negotiated that defines meanings".
    if rsv & !rules.allowed_rsv != 0 {
        return Err(ErrorKind::ReservedBits(rsv).into());
    }
    // §5.5: "All control frames MUST NOT be fragmented."
    if opcode.is_control() && !fin {
        return Err(ErrorKind::FragmentedControlFrame.into());
    }
    let Some(&b1) = buf.get(1) else {
        return Ok(None);
    };
    let masked = b1 & 0x80 != 0;
    match rules.role {
        // §5.1: "The server MUST close the connection upon receiving a frame that is not masked."
        Some(Role::Server) if !masked => return Err(ErrorKind::UnmaskedFrame.into()),
        // §5.1: "A client MUST close a connection if it detects a masked frame."
        Some(Role::Client) if masked => return Err(ErrorKind::MaskedFrame.into()),
        _ => {}
    }
    let len7 = b1 & 0x7F;
    // §5.5: "All control frames MUST have a payload length of 125 bytes or less."
    if opcode.is_control() && u64::from(len7) > MAX_CONTROL_PAYLOAD {
        return Err(ErrorKind::ControlFrameTooLong(len7).into());
    }
    let (payload_len, mut pos) = match len7 {
        126 => {
            let Some(ext) = buf.get(2..4) else {
                return Ok(None);
            };
            let len = u64::from(u16::from_be_bytes([ext[0], ext[1]]));
            // §5.2: "the minimal number of bytes MUST be used to encode the length".
            if len < 126 {
                return Err(ErrorKind::NonMinimalLength.into());
            }
            (len, 4)
        }
        127 => {
            // §5.2: "the most significant bit MUST be 0" (checked on the first byte).
            if let Some(&first) = buf.get(2) {
                if first & 0x80 != 0 {
                    return Err(ErrorKind::LengthMsbSet.into());
                }
            }
            let Some(ext) = buf.get(2..10) else {
                return Ok(None);
            };
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(ext);
            let len = u64::from_be_bytes(bytes);
            // §5.2: the minimal number of bytes MUST be used.
            if len <= 0xFFFF {
                return Err(ErrorKind::NonMinimalLength.into());
            }
            (len, 10)
        }
        n => (u64::from(n), 2),
    };
    // §10.4: implementations SHOULD impose limits; checked before any payload is buffered.
    if payload_len > rules.max_payload {
        return Err(ErrorKind::FrameTooLarge {
            len: payload_len,
            limit: rules.max_payload,
        }
        .into());
    }
    let mask = if masked {
        let Some(key) = buf.get(pos..pos + 4) else {
            return Ok(None);
        };
        pos += 4;
        Some([key[0], key[1], key[2], key[3]])
    } else {
        None
    };
    Ok(Some((
        FrameHeader {
            fin,
            rsv,
            opcode,
            mask,
            payload_len,
        },
        pos,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANY: HeaderRules = HeaderRules {
        role: None,
        allowed_rsv: 0,
        max_payload: u64::MAX,
        allow_reserved_opcodes: false,
    };

    fn err(buf: &[u8], rules: &HeaderRules) -> ErrorKind {
        parse_header(buf, rules).unwrap_err().kind()
    }

    #[test]
    fn rfc6455_5_2_reserved_opcodes_encode_and_are_followed_only_when_allowed() {
        for bits in (0x3..=0x7).chain(0xB..=0xF) {
            let op = OpCode::from_bits(bits);
            assert!(op.is_reserved() && op.as_u8() == bits);
            assert_eq!(op.is_control(), bits >= 0x8);
            let header = FrameHeader {
                fin: true,
                rsv: 0b101,
                opcode: op,
                mask: Some([1, 2, 3, 4]),
                payload_len: 3,
            };
            let mut out = [0u8; MAX_HEADER_LEN];
            let n = encode_header(&header, LengthForm::Minimal, &mut out);
            assert_eq!(out[0], 0x80 | 0b101_0000 | bits);
            // An endpoint fails it (§5.2), a tool following frames reads it back.
            assert_eq!(err(&out[..n], &ANY), ErrorKind::ReservedOpcode(bits));
            let lenient = HeaderRules {
                allowed_rsv: 0b111,
                allow_reserved_opcodes: true,
                ..ANY
            };
            assert_eq!(parse_header(&out[..n], &lenient), Ok(Some((header, n))));
        }
        for bits in [0x0, 0x1, 0x2, 0x8, 0x9, 0xA] {
            assert!(!OpCode::from_bits(bits).is_reserved());
            assert_eq!(OpCode::from_u8(bits).map(OpCode::as_u8), Ok(bits));
        }
    }

    #[test]
    fn rfc6455_5_2_seven_bit_length() {
        let (h, n) = parse_header(&[0x81, 0x05], &ANY).unwrap().unwrap();
        assert_eq!(n, 2);
        assert_eq!(h.payload_len, 5);
        assert!(h.fin);
        assert_eq!(h.opcode, OpCode::Text);
        assert_eq!(h.mask, None);
    }

    #[test]
    fn rfc6455_5_2_sixteen_bit_length() {
        let (h, n) = parse_header(&[0x82, 0x7E, 0x01, 0x00], &ANY)
            .unwrap()
            .unwrap();
        assert_eq!((h.payload_len, n), (256, 4));
    }

    #[test]
    fn rfc6455_5_2_sixty_four_bit_length() {
        let buf = [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0];
        let (h, n) = parse_header(&buf, &ANY).unwrap().unwrap();
        assert_eq!((h.payload_len, n), (65536, 10));
    }

    #[test]
    fn rfc6455_5_2_masking_key_follows_length() {
        let buf = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d];
        let (h, n) = parse_header(&buf, &ANY).unwrap().unwrap();
        assert_eq!(n, 6);
        assert_eq!(h.mask, Some([0x37, 0xfa, 0x21, 0x3d]));
    }

    #[test]
    fn rfc6455_5_2_sixteen_bit_length_must_be_minimal() {
        assert_eq!(
            err(&[0x82, 0x7E, 0x00, 0x7D], &ANY),
            ErrorKind::NonMinimalLength
        );
        // 126 itself is the smallest length that needs the 16-bit form.
        assert!(
            parse_header(&[0x82, 0x7E, 0x00, 0x7E], &ANY)
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn rfc6455_5_2_sixty_four_bit_length_must_be_minimal() {
        let buf = [0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF];
        assert_eq!(err(&buf, &ANY), ErrorKind::NonMinimalLength);
    }

    #[test]
    fn rfc6455_5_2_sixty_four_bit_length_msb_must_be_zero_detected_on_first_byte() {
        // Only the first extended-length byte has arrived: the error is already certain.
        assert_eq!(err(&[0x82, 0x7F, 0x80], &ANY), ErrorKind::LengthMsbSet);
    }

    #[test]
    fn rfc6455_5_2_reserved_opcodes_fail_on_first_byte() {
        for op in (0x3..=0x7).chain(0xB..=0xF) {
            assert_eq!(err(&[0x80 | op], &ANY), ErrorKind::ReservedOpcode(op));
        }
    }

    #[test]
    fn rfc6455_5_2_reserved_bits_must_be_zero_without_extension() {
        for rsv in 1..=7u8 {
            assert_eq!(
                err(&[0x81 | (rsv << 4)], &ANY),
                ErrorKind::ReservedBits(rsv)
            );
        }
        let rules = HeaderRules {
            allowed_rsv: 0b100,
            ..ANY
        };
        assert!(parse_header(&[0xC1, 0x00], &rules).unwrap().is_some());
        assert_eq!(err(&[0xA1], &rules), ErrorKind::ReservedBits(0b010));
    }

    #[test]
    fn rfc6455_5_5_control_frames_must_not_be_fragmented() {
        for op in [0x8, 0x9, 0xA] {
            assert_eq!(err(&[op], &ANY), ErrorKind::FragmentedControlFrame);
        }
    }

    #[test]
    fn rfc6455_5_5_control_payload_at_most_125_detected_on_second_byte() {
        assert_eq!(
            err(&[0x89, 0x7E], &ANY),
            ErrorKind::ControlFrameTooLong(126)
        );
        assert_eq!(
            err(&[0x88, 0x7F], &ANY),
            ErrorKind::ControlFrameTooLong(127)
        );
        assert!(parse_header(&[0x89, 0x7D], &ANY).unwrap().is_some());
    }

    #[test]
    fn rfc6455_5_1_server_rejects_unmasked_frame() {
        let rules = HeaderRules {
            role: Some(Role::Server),
            ..ANY
        };
        assert_eq!(err(&[0x81, 0x00], &rules), ErrorKind::UnmaskedFrame);
    }

    #[test]
    fn rfc6455_5_1_client_rejects_masked_frame() {
        let rules = HeaderRules {
            role: Some(Role::Client),
            ..ANY
        };
        assert_eq!(err(&[0x81, 0x80], &rules), ErrorKind::MaskedFrame);
    }

    #[test]
    fn rfc6455_10_4_length_limit_checked_before_mask_key_arrives() {
        let rules = HeaderRules {
            max_payload: 1000,
            ..ANY
        };
        let e = err(&[0x82, 0xFE, 0x03, 0xE9], &rules);
        assert_eq!(
            e,
            ErrorKind::FrameTooLarge {
                len: 1001,
                limit: 1000
            }
        );
        assert_eq!(ProtocolError::new(e).close_code(), 1009);
    }

    #[test]
    fn incomplete_header_needs_more_bytes() {
        let full = [0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4];
        for n in 0..full.len() {
            assert_eq!(parse_header(&full[..n], &ANY).unwrap(), None, "prefix {n}");
        }
        assert!(parse_header(&full, &ANY).unwrap().is_some());
    }

    #[test]
    fn encode_uses_minimal_form_and_round_trips() {
        for len in [0u64, 1, 125, 126, 127, 0xFFFF, 0x1_0000, 1 << 40] {
            for mask in [None, Some([1, 2, 3, 4])] {
                let h = FrameHeader {
                    fin: len % 2 == 0,
                    rsv: 0,
                    opcode: OpCode::Binary,
                    mask,
                    payload_len: len,
                };
                let mut buf = [0u8; MAX_HEADER_LEN];
                let n = h.encode(&mut buf);
                assert_eq!(n, h.encoded_len());
                assert_eq!(parse_header(&buf[..n], &ANY).unwrap(), Some((h, n)));
            }
        }
    }

    #[test]
    fn encode_non_minimal_forms_on_request() {
        let h = FrameHeader {
            fin: true,
            rsv: 0,
            opcode: OpCode::Text,
            mask: None,
            payload_len: 5,
        };
        let mut buf = [0u8; MAX_HEADER_LEN];
        let n = encode_header(&h, LengthForm::Extended16, &mut buf);
        assert_eq!(&buf[..n], &[0x81, 0x7E, 0x00, 0x05]);
        let n = encode_header(&h, LengthForm::Extended64, &mut buf);
        assert_eq!(&buf[..n], &[0x81, 0x7F, 0, 0, 0, 0, 0, 0, 0, 5]);
    }
}
