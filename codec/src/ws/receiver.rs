//! Receiving straight into the decoder's buffer: the caller reads the socket
//! into [`Receiver::spare`], says how much arrived with [`Receiver::commit`],
//! and takes events with [`Receiver::next_event`].
//!
//! Why: with the slice API ([`MessageDecoder::decode`]) a message that spans
//! reads is copied twice, once by the socket read into the caller's buffer and
//! once from there into the decoder's message buffer. Here the bytes land where
//! they are decoded: a frame is handed to the decoder only once it is whole in
//! the buffer (the buffer grows to hold it, within the frame limit), so its
//! payload is unmasked and validated in place and a single-frame message is
//! returned as a slice of the receive buffer, never copied. Only a message
//! fragmented into several frames is assembled (by the decoder, as before),
//! and a frame larger than [`WHOLE_FRAME_LIMIT`] is fed in pieces.
//!
//! Text fails fast, by default: RFC 6455 §8.1 has an endpoint fail the
//! connection on invalid UTF-8, and a checker (Autobahn's 6.4.x) wants that as
//! soon as the bytes arrive, not once the frame is complete. So an uncompressed
//! text frame is fed to the decoder in pieces as it arrives, unmasked and
//! validated incrementally. A text message in one frame (FIN set) is fed where
//! it lies and stays there ([`MessageDecoder::detach_message`]): the receiver
//! keeps the frame whole in its buffer as it would a binary one, so the
//! message is still handed out in place with no assembly copy. Only the frames
//! of a fragmented text message are assembled by the decoder.
//! [`Receiver::set_fail_fast_text`]`(false)` waits for every text frame whole
//! and validates it then, failing at the end of the frame at the latest.
//!
//! Bounds: the buffer holds at most one frame plus what arrived after it
//! (the frame limit, checked on the header before the buffer grows, RFC 6455
//! §10.4). It keeps its size while large frames keep coming (growing it again
//! would zero it again: the codec has no `unsafe` to skip that), and shrinks
//! back to [`RETAINED`] bytes once a small frame follows (unless the owner's
//! own reads need more: up to twice what it asks for is kept); an owner that sees
//! the connection go quiet calls [`Receiver::release`].

use alloc::vec;
use alloc::vec::Vec;

use super::error::ProtocolError;
use super::frame::OpCode;
use super::frame::parse_header;
use super::message::{Config, Event, MessageDecoder};

/// A frame up to this size (header included) is waited for whole, to be decoded
/// in place; a larger one is fed to the decoder as it arrives.
pub const WHOLE_FRAME_LIMIT: usize = 16 << 20;

/// The capacity kept between messages: after a larger frame the buffer shrinks back.
pub const RETAINED: usize = 64 * 1024;

/// A frame at least this large (header included) is read up to its end and no
/// further (see [`Receiver::spare`]).
pub const LARGE_FRAME: usize = 16 * 1024;

/// The size (header included) of the frame at the front of `avail` if its
/// payload length fits the header's 7-bit field (under 126 bytes, RFC 6455
/// §5.2) and the whole frame is in `avail`; `None` otherwise, for the full
/// header parse to decide. Only the length bits are read: every rule of the
/// header is the decoder's to check.
#[inline]
fn small_frame_in(avail: &[u8]) -> Option<usize> {
    let &[_, second, ..] = avail else {
        return None;
    };
    let len = usize::from(second & 0x7F);
    if len >= 126 {
        return None;
    }
    // RFC 6455 §5.2: the mask bit, then a 4-byte masking key when it is set.
    let key = if second & 0x80 != 0 { 4 } else { 0 };
    let whole = 2 + key + len;
    (avail.len() >= whole).then_some(whole)
}

/// A message decoder with its own receive buffer.
#[derive(Debug, Clone)]
pub struct Receiver {
    decoder: MessageDecoder,
    /// Received bytes live in `buf[start..end]`; `buf[end..]` is spare.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// The size of the last frame waited for whole (header included).
    last_frame: usize,
    /// The room the owner last asked [`Receiver::spare`] for: its reads' size.
    asked: usize,
    /// The size (header included) of the frame at `buf[start..]` that
    /// [`Receiver::next_event`] found incomplete and is waiting for whole: its
    /// header parsed and prechecked once, not again on every read. Cleared
    /// whenever `start` moves past it (the decoder took bytes, or all were taken).
    waiting: Option<usize>,
    /// Feed text frames in pieces, to fail on invalid UTF-8 as it arrives.
    fail_fast_text: bool,
    /// The single-frame text message at `buf[start..]` being fed in pieces and
    /// kept in place.
    in_place: Option<InPlace>,
}

/// A text frame checked as it arrives and kept where it lies: its sizes,
/// counted from the frame's first byte (`Receiver::start`), which stays put
/// until the message is handed out.
#[derive(Debug, Clone, Copy)]
struct InPlace {
    /// The header's length.
    header: usize,
    /// The whole frame's length, header included.
    whole: usize,
    /// How many of its bytes the decoder has taken (unmasked and validated).
    fed: usize,
}

/// What feeding a piece of an in-place frame gave, with no borrow held.
enum Fed {
    /// The decoder took the piece and wants more.
    More,
    /// The frame's header, reported ([`super::message::Config::report_frames`]).
    Frame(super::frame::FrameHeader),
    /// The message is complete.
    Message(super::MessageKind, u8),
}

impl Receiver {
    /// A receiver decoding with `config`.
    pub fn new(config: Config) -> Self {
        Receiver {
            decoder: MessageDecoder::new(config),
            buf: Vec::new(),
            start: 0,
            end: 0,
            last_frame: 0,
            asked: 0,
            waiting: None,
            fail_fast_text: true,
            in_place: None,
        }
    }

    /// Whether an uncompressed text frame is fed as it arrives, so invalid
    /// UTF-8 fails the connection at once (the default), or waited for whole
    /// and decoded in place like any other frame (failing at its end).
    pub fn set_fail_fast_text(&mut self, fail_fast: bool) {
        self.fail_fast_text = fail_fast;
    }

    /// The decoder (its configuration, whether it is between messages).
    pub const fn decoder(&self) -> &MessageDecoder {
        &self.decoder
    }

    /// The decoder, for the slice API of an owner that uses both
    /// ([`super::Connection`] offers the two paths): between messages only,
    /// since a text message this receiver keeps in place is reported by the
    /// decoder with empty data.
    pub(crate) fn decoder_mut(&mut self) -> &mut MessageDecoder {
        &mut self.decoder
    }

    /// Bytes received and not yet decoded.
    pub const fn pending(&self) -> usize {
        self.end - self.start
    }

    /// The bytes received and not yet handed out: the last `n` are those of a
    /// `commit(n)` just made, as they arrived (still masked), for an owner that
    /// also logs or follows what arrives. (Earlier ones may be unmasked
    /// already: the start of a text frame checked as it arrives.)
    pub fn pending_bytes(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Forget the bytes received and not yet decoded: for an owner that goes on
    /// reading after the decoder failed (its error is final, the bytes would
    /// only pile up).
    pub fn clear(&mut self) {
        self.idle();
    }

    /// The heap capacity held: the receive buffer and the decoder's message buffer.
    pub fn capacity(&self) -> usize {
        self.buf.len() + self.decoder.buffered_capacity()
    }

    /// Where to read the socket: at least `min` bytes, and when the frame at the
    /// front is not whole yet, more room for it (up to [`WHOLE_FRAME_LIMIT`]).
    /// Read into it, then call [`Receiver::commit`] with the number of bytes read.
    ///
    /// The buffer grows with what arrives, at most doubling at a time, never by
    /// what a header announces: a peer that announces a large frame and sends
    /// nothing more makes the receiver hold nothing more (RFC 6455 §10.4).
    ///
    /// While a large frame (at least [`LARGE_FRAME`] bytes) arrives, the slice
    /// ends where that frame does: the read that completes it stops there, the
    /// frame is decoded, and the next one starts at the front of the buffer, so
    /// nothing received is ever moved (a read that took the start of the next
    /// frame would leave it to be copied to the front).
    #[inline]
    pub fn spare(&mut self, min: usize) -> &mut [u8] {
        self.asked = min;
        let pending = self.end - self.start;
        let whole = self
            .waiting
            .or(self.in_place.map(|f| f.whole))
            .or_else(|| self.waited_front_frame())
            .unwrap_or(0);
        let missing = whole.saturating_sub(pending);
        // Room for the frame grows with what of it arrived: at most as much
        // again as is pending (4 KiB at least).
        let want = min.max(missing.min(pending.max(4096)));
        let cap = if missing > 0 && whole >= LARGE_FRAME {
            missing
        } else {
            usize::MAX
        };
        if self.buf.len() - self.end < want {
            // Move what is pending to the front, then grow if that is not enough.
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            let need = self.end + want;
            if self.buf.len() < need {
                let grown = need.max(self.buf.len().saturating_mul(2)).max(4096);
                self.buf.resize(grown, 0);
            }
        }
        let stop = self.buf.len().min(self.end.saturating_add(cap));
        &mut self.buf[self.end..stop]
    }

    /// `n` bytes were read into the slice [`Receiver::spare`] gave.
    #[inline]
    pub fn commit(&mut self, n: usize) {
        self.end = (self.end + n).min(self.buf.len());
    }

    /// Take bytes the caller already holds (the slice API's input, e.g. what
    /// followed the opening handshake): copied into the receive buffer.
    pub fn extend(&mut self, bytes: &[u8]) {
        let spare = self.spare(bytes.len());
        spare[..bytes.len()].copy_from_slice(bytes);
        self.commit(bytes.len());
    }

    /// The next event from the bytes received, or `None` when more are needed.
    /// Errors are final, as [`MessageDecoder::decode`]'s.
    #[inline]
    pub fn next_event(&mut self) -> Result<Option<Event<'_>>, ProtocolError> {
        // The common case while a large frame arrives, inline in the read loop:
        // the frame waited for is not whole yet.
        if let Some(whole) = self.waiting {
            if self.end - self.start < whole {
                return Ok(None);
            }
        }
        self.next_event_slow()
    }

    /// [`Receiver::next_event`] past its inline check.
    fn next_event_slow(&mut self) -> Result<Option<Event<'_>>, ProtocolError> {
        if self.start == self.end {
            self.idle();
            return self.decoder_only();
        }
        if let Some(frame) = self.in_place {
            return self.feed_in_place(frame);
        }
        if let Some(whole) = self.waiting {
            // The header was parsed and prechecked when the wait began.
            if self.end - self.start < whole {
                return Ok(None);
            }
            return self.decode_pending();
        }
        if self.decoder.at_frame_boundary() {
            let avail = &self.buf[self.start..self.end];
            if let Some(whole) = small_frame_in(avail) {
                // A small frame that is all here (most of a busy stream's): the
                // decoder parses and checks its header itself; nothing to wait for.
                self.last_frame = whole;
                return self.decode_pending();
            }
            match parse_header(avail, self.decoder.header_rules()) {
                // The header itself is incomplete: wait.
                Ok(None) => return Ok(None),
                Ok(Some((h, header_len))) => {
                    // The rules the header alone decides fail now, as in the
                    // slice API, not once the frame is whole: let the decoder
                    // take the header and report it.
                    if self.decoder.precheck(&h).is_err() {
                        return self.decode_pending();
                    }
                    let whole = usize::try_from(h.payload_len)
                        .ok()
                        .and_then(|n| n.checked_add(header_len));
                    self.last_frame = whole.unwrap_or(usize::MAX);
                    let in_pieces = self.in_pieces(&h);
                    let incomplete = whole.filter(|&w| w <= WHOLE_FRAME_LIMIT && w > avail.len());
                    if let Some(whole) = incomplete {
                        if !in_pieces {
                            // Wait for the whole frame: it is decoded in place.
                            self.waiting = Some(whole);
                            return Ok(None);
                        }
                        if h.fin && h.opcode == OpCode::Text && self.decoder.config().retain_data {
                            // RFC 6455 §8.1, failing fast: fed as it arrives,
                            // kept where it lies.
                            self.decoder.detach_message();
                            let frame = InPlace {
                                header: header_len,
                                whole,
                                fed: 0,
                            };
                            self.in_place = Some(frame);
                            return self.feed_in_place(frame);
                        }
                    }
                }
                // The decoder reports it, with its rule.
                Err(_) => {}
            }
        }
        self.decode_pending()
    }

    /// Hand what is pending to the decoder.
    fn decode_pending(&mut self) -> Result<Option<Event<'_>>, ProtocolError> {
        self.waiting = None;
        let Receiver {
            decoder,
            buf,
            start,
            end,
            ..
        } = self;
        let mut input: &mut [u8] = &mut buf[*start..*end];
        let before = input.len();
        let event = decoder.decode(&mut input);
        *start += before - input.len();
        event
    }

    /// Feed what arrived of the in-place text frame (and nothing after it) to
    /// the decoder, which unmasks and validates it where it lies; once the
    /// frame is complete, hand out its payload from the buffer.
    fn feed_in_place(&mut self, mut frame: InPlace) -> Result<Option<Event<'_>>, ProtocolError> {
        let from = self.start + frame.fed;
        let to = self.end.min(self.start + frame.whole);
        let mut input: &mut [u8] = &mut self.buf[from..to];
        let before = input.len();
        let fed = match self.decoder.decode(&mut input) {
            Ok(None) => Ok(Fed::More),
            Ok(Some(Event::Frame(h))) => Ok(Fed::Frame(h)),
            Ok(Some(Event::Message { kind, rsv, .. })) => Ok(Fed::Message(kind, rsv)),
            // Input ends with the frame, a data frame: nothing else can come.
            Ok(Some(_)) => Ok(Fed::More),
            Err(e) => Err(e),
        };
        frame.fed += before - input.len();
        match fed {
            Ok(Fed::More) => {
                self.in_place = Some(frame);
                Ok(None)
            }
            Ok(Fed::Frame(h)) => {
                self.in_place = Some(frame);
                Ok(Some(Event::Frame(h)))
            }
            Ok(Fed::Message(kind, rsv)) => {
                self.in_place = None;
                let payload = self.start + frame.header..self.start + frame.whole;
                self.start = payload.end;
                Ok(Some(Event::Message {
                    kind,
                    rsv,
                    data: &self.buf[payload],
                }))
            }
            Err(e) => {
                // The decoder's error is final: what it took is gone.
                self.in_place = None;
                self.start += frame.fed;
                Err(e)
            }
        }
    }

    /// Nothing pending: a decoder that failed still reports its error; one
    /// that did not has nothing to say.
    fn decoder_only(&mut self) -> Result<Option<Event<'_>>, ProtocolError> {
        let mut empty: &mut [u8] = &mut [];
        self.decoder.decode(&mut empty)
    }

    /// The size (header included) of the frame at the front when it is waited
    /// for whole: the decoder is between frames, the header is in, the frame
    /// is not fed in pieces and is within [`WHOLE_FRAME_LIMIT`].
    fn waited_front_frame(&self) -> Option<usize> {
        if !self.decoder.at_frame_boundary() {
            return None;
        }
        let avail = &self.buf[self.start..self.end];
        match parse_header(avail, self.decoder.header_rules()) {
            Ok(Some((h, header_len))) if !self.in_pieces(&h) => usize::try_from(h.payload_len)
                .ok()
                .and_then(|n| n.checked_add(header_len))
                .filter(|&w| w <= WHOLE_FRAME_LIMIT),
            _ => None,
        }
    }

    /// Whether the frame with header `h` is fed as it arrives rather than
    /// waited for whole: text checked as it arrives, when failing fast.
    fn in_pieces(&self, h: &super::frame::FrameHeader) -> bool {
        self.fail_fast_text && self.decoder.carries_checked_text(h)
    }

    /// All received bytes were decoded: start over at the front, and give back
    /// a buffer a large frame grew once the frames are small again. A buffer no
    /// more than twice the owner's reads (see [`Receiver::spare`]) is kept: the
    /// next read would grow it again, zeroing it again, after every read that
    /// left nothing pending.
    fn idle(&mut self) {
        self.waiting = None;
        self.in_place = None;
        self.start = 0;
        self.end = 0;
        let kept = RETAINED.max(self.asked.saturating_mul(2));
        if self.buf.len() > kept && self.last_frame <= RETAINED {
            self.buf = vec![0; RETAINED];
        }
    }

    /// Give back a receive buffer larger than [`RETAINED`] if nothing is
    /// pending in it (for an owner whose connection went quiet).
    pub fn release(&mut self) {
        if self.start == self.end && self.buf.len() > RETAINED {
            self.start = 0;
            self.end = 0;
            self.buf = Vec::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::small_frame_in;
    use alloc::vec;

    #[test]
    fn small_frame_in_reads_only_a_whole_frame_with_a_7_bit_length() {
        // Unmasked, 5-byte payload: 7 bytes in all.
        let frame = [0x82, 5, 1, 2, 3, 4, 5];
        assert_eq!(small_frame_in(&frame), Some(7));
        assert_eq!(small_frame_in(&frame[..6]), None);
        assert_eq!(small_frame_in(&frame[..1]), None);
        assert_eq!(small_frame_in(&[]), None);
        // Masked: the 4-byte key counts.
        let mut masked = vec![0x82, 0x80 | 125];
        masked.extend([0; 4 + 125]);
        assert_eq!(small_frame_in(&masked), Some(131));
        assert_eq!(small_frame_in(&masked[..130]), None);
        // 126 and 127 announce an extended length: the full parse decides.
        for len in [126u8, 127] {
            assert_eq!(small_frame_in(&[0x82, len, 0, 0, 0, 0, 0, 0, 0, 0]), None);
        }
        // An empty payload, and bytes after the frame.
        assert_eq!(small_frame_in(&[0x89, 0, 0x81]), Some(2));
    }
}
