//! The step interpreter: turns a case's script ([`Step`]) into frames in the
//! outbox and timers, as Autobahn's case classes call `sendFrame`,
//! `sendMessage`, `killAfter`, `closeAfter` and `continueLater` on their
//! protocol. Frames are encoded here, any opcode, RSV bits, length form and
//! mask included: the fuzzer sends invalid frames on purpose.

use std::time::Instant;

use wirecheck_codec::ws::deflate::Compressor;
use wirecheck_codec::ws::frame::{FrameHeader, LengthForm, MAX_HEADER_LEN, OpCode, encode_header};
use wirecheck_codec::ws::mask::apply_mask;

use super::{Driver, OpenFrame, Phase, Role};
use crate::ws::case::{Chop, FrameSpec, Mask, Payload, Step};
use crate::ws::result::{Logged, WireRow};

/// A frame header with any 4-bit opcode and RSV bits.
fn header_bytes(
    opcode: u8,
    fin: bool,
    rsv: u8,
    mask: Option<[u8; 4]>,
    len: u64,
    form: LengthForm,
) -> Vec<u8> {
    // Any 4-bit opcode, reserved ones included (RFC 6455 §5.2), and any RSV bits.
    let header = FrameHeader {
        fin,
        rsv: rsv & 0b111,
        opcode: OpCode::from_bits(opcode),
        mask,
        payload_len: len,
    };
    let mut head = [0u8; MAX_HEADER_LEN];
    let n = encode_header(&header, form, &mut head);
    head[..n].to_vec()
}

impl Driver<'_> {
    /// The key for a frame masked as `mask` says, in this driver's role.
    fn key(&mut self, mask: Mask) -> Option<[u8; 4]> {
        match (mask, self.role) {
            // RFC 6455 §5.3: a client masks every frame with a fresh key; §5.1: a
            // server masks none.
            (Mask::Role, Role::Client) => Some(self.rng.mask()),
            (Mask::Role, Role::Server) | (Mask::None, _) => None,
            (Mask::Key(k), _) => Some(k),
        }
    }

    /// One frame as the role sends it; returns its bytes and its key.
    pub(super) fn encode(
        &mut self,
        opcode: u8,
        fin: bool,
        rsv: u8,
        payload: &[u8],
    ) -> (Vec<u8>, Option<[u8; 4]>) {
        let key = self.key(Mask::Role);
        let bytes = frame_bytes(opcode, fin, rsv, key, None, LengthForm::Minimal, payload);
        (bytes, key)
    }

    /// Run steps until the script pauses or ends. Like Autobahn's `onOpen` and its
    /// continuations, a segment between waits runs to its end even when it starts
    /// the close handshake (7.1.x send frames after their own Close); a
    /// continuation after a wait runs only if the connection is still open.
    pub(super) fn run_steps(&mut self, now: Instant) {
        while self.phase != Phase::Done && self.timers.pause.is_none() {
            let Some(step) = self.steps.pop_front() else {
                break;
            };
            match step {
                Step::Frame(spec) => self.send_frame_spec(&spec),
                Step::Message {
                    payload,
                    binary,
                    fragment_size,
                } => {
                    let first = if binary { 2 } else { 1 };
                    // RFC 7692 §6.1: a compressed message is compressed whole, then
                    // split into frames (Autobahn's autoFragmentSize applies to the
                    // compressed bytes), with RSV1 on its first frame only.
                    let mut rsv = 0;
                    let app_len = payload.len;
                    let window = self.window.take();
                    let payload = match (self.deflate.as_mut(), window) {
                        (Some(d), Some((key, i))) => {
                            rsv = 0b100;
                            d.window(self.compressed.as_ref(), key, i, &payload.pattern)
                        }
                        (Some(d), None) => {
                            rsv = 0b100;
                            compress_in_chunks(&mut d.compressor, &payload)
                        }
                        (None, _) => payload.bytes(),
                    };
                    let size = fragment_size
                        .filter(|&s| s > 0)
                        .unwrap_or(payload.len().max(1));
                    let count = fragment_count(payload.len(), size);
                    self.stats
                        .traffic
                        .outgoing
                        .message(app_len, payload.len(), count);
                    for i in 0..count {
                        let piece = &payload
                            [(i * size).min(payload.len())..((i + 1) * size).min(payload.len())];
                        let (op, bits) = if i == 0 { (first, rsv) } else { (0, 0) };
                        self.send_frame_spec(
                            &FrameSpec::new(op, piece.to_vec())
                                .fin(i + 1 == count)
                                .rsv(bits),
                        );
                    }
                }
                Step::BeginFrame {
                    opcode,
                    fin,
                    total_len,
                } => {
                    let key = self.key(Mask::Role);
                    let head =
                        header_bytes(opcode, fin, 0, key, total_len as u64, LengthForm::Minimal);
                    *self.stats.tx_frames.entry(opcode).or_default() += 1;
                    self.log_row(WireRow::TxFrame {
                        opcode,
                        fin,
                        rsv: 0,
                        mask: key,
                        payload: Logged::of(&[]),
                        chop: None,
                    });
                    self.out.push(head, true);
                    self.open_frame = Some(OpenFrame {
                        mask: key,
                        offset: 0,
                    });
                }
                Step::FrameData(mut data) => {
                    if let Some(f) = self.open_frame.as_mut() {
                        if let Some(key) = f.mask {
                            apply_mask(&mut data, key, f.offset);
                        }
                        f.offset += data.len() as u64;
                    }
                    self.out.push(data, true);
                }
                Step::Raw { bytes, chop } => self.write_chopped(bytes, chop),
                Step::Drop => {
                    // The case's own doing, not a server that kept TCP open.
                    self.info.closed_by_me = true;
                    self.info.dropped_on_purpose = true;
                    self.steps.clear();
                    self.out.flush();
                    if self.out.queued() == 0 {
                        self.drop_tcp();
                    } else {
                        self.drop_when_written = true;
                    }
                }
                Step::Close(body) => self.start_close(&body),
                Step::KillAfter(d) => {
                    let d = self.timeouts.script(d);
                    self.timers.kill = Some(now + d);
                    self.log_row(WireRow::KillArmed(d.as_secs_f64()));
                }
                Step::CloseAfter(d) => {
                    let d = self.timeouts.script(d);
                    self.timers.close_after = Some(now + d);
                    self.log_row(WireRow::CloseTimerArmed(d.as_secs_f64()));
                }
                Step::Wait(d, tag) => {
                    let d = self.timeouts.script(d);
                    self.out.flush();
                    self.timers.pause = Some((now + d, tag));
                    self.log_row(WireRow::WaitArmed(d.as_secs_f64(), tag));
                }
            }
        }
    }

    fn send_frame_spec(&mut self, spec: &FrameSpec) {
        let payload = spec.full_payload();
        let key = self.key(spec.mask);
        let bytes = frame_bytes(
            spec.opcode,
            spec.fin,
            spec.rsv,
            key,
            spec.announce,
            spec.length,
            &payload,
        );
        *self.stats.tx_frames.entry(spec.opcode).or_default() += 1;
        let chop = match spec.chop {
            Chop::Bytes(n) => Some(n),
            _ => None,
        };
        self.log_row(WireRow::TxFrame {
            opcode: spec.opcode,
            fin: spec.fin,
            rsv: spec.rsv,
            mask: key,
            payload: Logged::of(&payload),
            chop,
        });
        self.write_chopped(bytes, spec.chop);
    }

    /// Queue `bytes` cut as `chop` says.
    fn write_chopped(&mut self, bytes: Vec<u8>, chop: Chop) {
        match chop {
            Chop::Whole => self.out.coalesce(&bytes),
            Chop::FrameWise => self.out.push(bytes, true),
            Chop::Bytes(n) => {
                for piece in bytes.chunks(n.max(1)) {
                    self.out.push(piece.to_vec(), true);
                }
            }
            Chop::At(ends) => {
                let mut start = 0;
                for &end in ends {
                    let end = end.clamp(start, bytes.len());
                    if end > start {
                        self.out.push(bytes[start..end].to_vec(), true);
                    }
                    start = end;
                }
                if start < bytes.len() {
                    self.out.push(bytes[start..].to_vec(), true);
                }
            }
        }
    }

    /// Send a Close frame with `body`. Like any unchopped frame: Autobahn writes
    /// it at once, and Twisted sends the frames written in one reactor turn
    /// together (7.1.x: Close, then a frame).
    pub(super) fn send_close_frame(&mut self, body: &[u8]) {
        let (bytes, key) = self.encode(8, true, 0, body);
        *self.stats.tx_frames.entry(8).or_default() += 1;
        self.log_row(WireRow::TxFrame {
            opcode: 8,
            fin: true,
            rsv: 0,
            mask: key,
            payload: Logged::of(body),
            chop: None,
        });
        self.out.coalesce(&bytes);
    }
}

/// A whole frame: header (announcing `announce` or the payload's length) and
/// the payload, masked with `key` if there is one (RFC 6455 §5.3).
fn frame_bytes(
    opcode: u8,
    fin: bool,
    rsv: u8,
    key: Option<[u8; 4]>,
    announce: Option<u64>,
    form: LengthForm,
    payload: &[u8],
) -> Vec<u8> {
    let len = announce.unwrap_or(payload.len() as u64);
    let mut out = header_bytes(opcode, fin, rsv, key, len, form);
    let start = out.len();
    out.extend_from_slice(payload);
    if let Some(key) = key {
        apply_mask(&mut out[start..], key, 0);
    }
    out
}

/// Compress `payload` as one message, a megabyte at a time, so a payload of
/// gigabytes (S.4's decompression bombs) is never held whole: each piece ends
/// in a sync flush whose `00 00 ff ff` the compressor strips (RFC 7692
/// §7.2.1) and which is put back between pieces, where an empty stored block
/// is as valid as anywhere in a DEFLATE stream (RFC 1951 §3.2.4).
fn compress_in_chunks(compressor: &mut Compressor, payload: &Payload) -> Vec<u8> {
    const CHUNK: usize = 1 << 20;
    let mut out = Vec::new();
    if payload.pattern.len() == payload.len {
        // An exact payload (the 12.x/13.x windows): compressed as it is.
        compressor.compress(&payload.pattern, &mut out);
        return out;
    }
    let mut start = 0;
    loop {
        let end = (start + CHUNK).min(payload.len);
        compressor.compress(&payload.range(start, end), &mut out);
        if end == payload.len {
            return out;
        }
        out.extend_from_slice(&[0x00, 0x00, 0xff, 0xff]);
        start = end;
    }
}

/// How many frames a message of `len` bytes takes in fragments of `size`, cut
/// as Autobahn's `sendMessageHybi` cuts: one frame when it fits (an empty
/// message is one empty frame); else pieces until a cut would pass the end, so
/// a length that is an exact multiple ends with an empty FIN continuation
/// (9.3.2: 16384 fragments of 256 bytes, then an empty one; Node ws allows
/// 16384 fragments and fails the 16385th with 1008, under Autobahn as here).
fn fragment_count(len: usize, size: usize) -> usize {
    if len <= size { 1 } else { len / size + 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_cut_as_autobahn_cuts_them() {
        // (length, fragment size, frames): a fit is one frame; an exact
        // multiple gets an empty final frame; a remainder is the last frame.
        for (len, size, frames) in [
            (0, 1, 1),
            (5, 5, 1),
            (5, 64, 1),
            (6, 5, 2),
            (10, 5, 3),
            (4 << 20, 256, 16385),
            (4 << 20, 4 << 20, 1),
            (1000, 1, 1001),
        ] {
            assert_eq!(fragment_count(len, size), frames, "{len} / {size}");
        }
    }

    #[test]
    fn frames_take_any_opcode_rsv_length_form_and_mask() {
        let key = [1, 2, 3, 4];
        let bytes = frame_bytes(
            0x3,
            false,
            0b101,
            Some(key),
            None,
            LengthForm::Minimal,
            b"ab",
        );
        assert_eq!(bytes[0], 0b0101_0011);
        assert_eq!(bytes[1], 0x82);
        assert_eq!(&bytes[2..6], &key);
        assert_eq!(bytes[6] ^ key[0], b'a');
        let bytes = frame_bytes(0x1, true, 0, None, None, LengthForm::Extended64, b"a");
        assert_eq!(bytes, [0x81, 127, 0, 0, 0, 0, 0, 0, 0, 1, b'a']);
        let bytes = frame_bytes(0x2, true, 0, None, Some(1 << 62), LengthForm::Minimal, b"");
        assert_eq!(bytes, [0x82, 127, 0x40, 0, 0, 0, 0, 0, 0, 0]);
    }

    /// A payload compressed a megabyte at a time inflates to itself, as one
    /// message, with or without context takeover.
    #[test]
    fn a_payload_compressed_in_chunks_is_one_message() {
        use wirecheck_codec::ws::deflate::{Decompressor, Direction};
        let payload = Payload::repeat(b"wirecheck ".to_vec(), (5 << 20) / 2 + 3);
        for no_context_takeover in [false, true] {
            let direction = Direction {
                no_context_takeover,
                max_window_bits: 15,
            };
            let wire = compress_in_chunks(&mut Compressor::new(direction), &payload);
            assert!(wire.len() < payload.len / 100, "{} bytes", wire.len());
            let mut out = Vec::new();
            Decompressor::new(direction)
                .decompress(&wire, payload.len, &mut out)
                .expect("one valid message");
            assert_eq!(out, payload.bytes());
        }
    }
}
