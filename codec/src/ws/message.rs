//! The message layer: fragmentation (RFC 6455 §5.4), control frames (§5.5), close
//! frames (§5.5.1, §7.4), UTF-8 (§5.6, §8.1) and size limits (§10.4).
//!
//! [`MessageDecoder`] sits on a [`FrameDecoder`] and turns frames into messages,
//! pings, pongs and closes. It is built for speed and for strictness at once:
//!
//! * A message that arrives as one frame, contiguous in the input, is handed out
//!   as a slice of the input: no copy, one pass to unmask and one to validate.
//! * Anything else is assembled in one buffer whose growth is bounded by the
//!   message size limit, checked against the lengths headers announce before any
//!   payload byte is stored.
//! * Text is validated as it arrives, so invalid UTF-8 fails the connection on
//!   the first offending byte, even in the middle of a frame (Autobahn 6.4.x).
//! * Control frames (at most 125 bytes) that arrive in pieces are assembled in a
//!   fixed array, never on the heap, and may come between the fragments of a
//!   message (§5.4).
//!
//! Every error is final and carries its close code.

use alloc::vec::Vec;

use super::close::CloseCode;
use super::decoder::{FrameDecoder, MaskedEvent};
use super::error::{ErrorKind, ProtocolError};
use super::frame::{FrameHeader, HeaderRules, MAX_CONTROL_PAYLOAD, OpCode, parse_header};
use super::mask::{apply_mask, unmask_is_ascii};
use super::{Limits, Role};
use crate::utf8::{Utf8Validator, is_valid_utf8};

/// The largest message buffer kept for reuse after a message was handed out.
const RETAINED_CAPACITY: usize = 64 * 1024;

/// Text payloads are unmasked and validated in blocks of this size, so the bytes
/// the unmasking pass just wrote are still in the L1 cache when validation reads them.
const FUSED_BLOCK: usize = 16 * 1024;

/// The kind of a data message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// Opcode 0x1: the payload is UTF-8 text.
    Text,
    /// Opcode 0x2: the payload is binary data.
    Binary,
}

/// The body of a Close frame that carried a status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseFrame<'a> {
    /// The status code (valid on the wire, §7.4).
    pub code: CloseCode,
    /// The reason (valid UTF-8, possibly empty).
    pub reason: &'a str,
}

/// What the decoder found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// A frame header, reported only when [`Config::report_frames`] is set, before
    /// the frame has any effect.
    Frame(FrameHeader),
    /// A complete data message. For [`MessageKind::Text`], `data` is valid UTF-8.
    Message {
        /// Text or binary.
        kind: MessageKind,
        /// The RSV bits of its first frame: what a negotiated extension says
        /// of the whole message (RFC 7692 §6: RSV1 marks a compressed message).
        rsv: u8,
        /// The payload of all its fragments.
        data: &'a [u8],
    },
    /// A Ping frame and its payload (at most 125 bytes).
    Ping(&'a [u8]),
    /// A Pong frame and its payload (at most 125 bytes).
    Pong(&'a [u8]),
    /// A Close frame: `None` when its body was empty.
    Close(Option<CloseFrame<'a>>),
}

/// A complete data message that owns its payload: for callers that keep
/// messages beyond the next `decode` (a queue, a test's expectations), which
/// the borrowed [`Event::Message`] cannot outlive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Message {
    /// Text or binary.
    pub kind: MessageKind,
    /// The RSV bits of its first frame (RFC 7692 §6: RSV1 for a compressed message).
    pub rsv: u8,
    /// The payload.
    pub data: Vec<u8>,
}

impl Message {
    /// A text message (the caller vouches for UTF-8, RFC 6455 §5.6).
    pub fn text(data: impl Into<Vec<u8>>) -> Message {
        Message {
            kind: MessageKind::Text,
            rsv: 0,
            data: data.into(),
        }
    }

    /// A binary message.
    pub fn binary(data: impl Into<Vec<u8>>) -> Message {
        Message {
            kind: MessageKind::Binary,
            rsv: 0,
            data: data.into(),
        }
    }
}

impl Event<'_> {
    /// The owned message of an [`Event::Message`], `None` for any other event.
    pub fn to_message(&self) -> Option<Message> {
        match *self {
            Event::Message { kind, rsv, data } => Some(Message {
                kind,
                rsv,
                data: data.to_vec(),
            }),
            _ => None,
        }
    }
}

/// How a [`MessageDecoder`] behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// The role of the receiving endpoint (decides masking, §5.1).
    pub role: Role,
    /// Frame and message size limits.
    pub limits: Limits,
    /// RSV bits that a negotiated extension defines (0 when none is).
    pub allowed_rsv: u8,
    /// Whether to report every frame header as an [`Event::Frame`].
    pub report_frames: bool,
    /// permessage-deflate was negotiated (RFC 7692): RSV1 marks a compressed
    /// message on its first frame only (§6.1: on a control frame or a
    /// continuation it fails with 1002), and a compressed text message is
    /// validated as UTF-8 once inflated, not as it arrives.
    pub permessage_deflate: bool,
    /// Keep the payload of a data message that spans inputs, to hand it out
    /// whole (the default). Without it the decoder only checks: every rule is
    /// enforced as before (UTF-8 of text as it arrives, sizes, fragmentation),
    /// but a message not contiguous in one input is reported with empty
    /// `data`, and nothing of it is held (an observer such as a proxy needs
    /// the verdict, not the bytes). A compressed message is always kept: it
    /// must be inflated whole to be checked (RFC 7692 §7.2.2).
    pub retain_data: bool,
}

impl Config {
    /// The default configuration for `role`: default limits, no extension, no frame reports.
    pub fn new(role: Role) -> Self {
        Config {
            role,
            limits: Limits::default(),
            allowed_rsv: 0,
            report_frames: false,
            permessage_deflate: false,
            retain_data: true,
        }
    }
}

/// Where a message being received stands.
#[derive(Debug, Clone, Copy)]
struct Open {
    /// Text or binary.
    kind: MessageKind,
    /// The RSV bits of its first frame.
    rsv: u8,
    /// Compressed (RSV1 under permessage-deflate): its UTF-8 is checked later.
    compressed: bool,
    /// Payload bytes announced by the frames seen so far.
    announced: u64,
}

/// What a processed payload piece asks the decode loop to do.
///
/// Its variants hold only scalars and slices, never an [`Event`]: the event is built
/// where `decode` returns it, so it is written once into the caller's slot instead of
/// being assembled on the stack and copied (a copy that stalled on store forwarding
/// and cost a small message a third of its decode time).
enum Step<'a> {
    /// Nothing to report yet.
    Continue,
    /// Report a message that lies in the input, with its first frame's RSV bits.
    Message(MessageKind, u8, &'a [u8]),
    /// Report a control frame whose payload lies in the input.
    Control(OpCode, &'a [u8]),
    /// Report the message assembled in the buffer, with its first frame's RSV bits.
    BufferedMessage(MessageKind, u8),
    /// Report the control frame assembled in the control buffer.
    BufferedControl(OpCode),
}

/// Turns received bytes into messages and control frames.
#[derive(Debug, Clone)]
pub struct MessageDecoder {
    /// The frame layer.
    frames: FrameDecoder,
    /// The configuration.
    config: Config,
    /// The header of the frame whose payload is arriving.
    current: Option<FrameHeader>,
    /// A header already reported as [`Event::Frame`], still to be checked and applied.
    pending_header: Option<FrameHeader>,
    /// The data message in progress, if any.
    open: Option<Open>,
    /// The assembled payload of a message that did not arrive contiguously.
    buf: Vec<u8>,
    /// UTF-8 state of the text message in progress.
    utf8: Utf8Validator,
    /// A block of the text message in progress was not ASCII: its later
    /// pieces are unmasked without the ASCII check.
    mixed: bool,
    /// A control frame payload that arrives in pieces.
    control: [u8; MAX_CONTROL_PAYLOAD as usize],
    /// How many bytes of `control` are in use.
    control_len: usize,
    /// The buffer was handed out with the last event; clear it on the next call.
    release_buf: bool,
    /// The peer's Close frame arrived: no further frame may follow (§5.5.1).
    close_received: bool,
    /// The error that failed the connection, repeated by every later call.
    failed: Option<ProtocolError>,
    /// The text message now arriving stays where it lies in the caller's
    /// buffer ([`MessageDecoder::detach_message`]): checked, not assembled.
    detached: bool,
}

impl MessageDecoder {
    /// A decoder with the given configuration.
    pub fn new(config: Config) -> Self {
        MessageDecoder {
            frames: FrameDecoder::new(HeaderRules {
                role: Some(config.role),
                // RFC 7692 §6: RSV1 is the extension's; where it may appear is
                // the message layer's check.
                allowed_rsv: config.allowed_rsv | if config.permessage_deflate { 0b100 } else { 0 },
                max_payload: config.limits.max_frame_size,
                allow_reserved_opcodes: false,
            }),
            config,
            current: None,
            pending_header: None,
            open: None,
            buf: Vec::new(),
            utf8: Utf8Validator::new(),
            mixed: false,
            control: [0; MAX_CONTROL_PAYLOAD as usize],
            control_len: 0,
            release_buf: false,
            close_received: false,
            failed: None,
            detached: false,
        }
    }

    /// The configuration.
    pub const fn config(&self) -> &Config {
        &self.config
    }

    /// Whether the peer's Close frame has arrived.
    pub const fn close_received(&self) -> bool {
        self.close_received
    }

    /// Whether the input so far ends exactly between messages: no frame and no
    /// fragmented message is partly received.
    pub const fn is_idle(&self) -> bool {
        self.frames.is_idle() && self.open.is_none() && self.pending_header.is_none()
    }

    /// Whether the next byte decoded starts a frame header (no header or
    /// payload byte of a frame is pending, and no reported header awaits its
    /// checks): what [`super::receiver::Receiver`] needs to wait for a whole frame.
    pub(crate) const fn at_frame_boundary(&self) -> bool {
        self.frames.is_idle() && self.pending_header.is_none() && self.failed.is_none()
    }

    /// Whether a frame with header `h` carries text whose UTF-8 is checked as
    /// it arrives (§8.1, fail fast): an uncompressed Text frame, or a
    /// continuation of an uncompressed text message.
    pub(crate) fn carries_checked_text(&self, h: &FrameHeader) -> bool {
        match h.opcode {
            OpCode::Text => !self.is_compressed(h),
            OpCode::Continuation => self
                .open
                .is_some_and(|o| o.kind == MessageKind::Text && !o.compressed),
            _ => false,
        }
    }

    /// The next frame is a whole uncompressed text message (FIN set) that the
    /// caller keeps contiguous in its own buffer while feeding it in pieces:
    /// each piece is unmasked and validated in place as usual (RFC 6455 §8.1:
    /// invalid UTF-8 fails at once), but not copied into the message buffer,
    /// and the message is reported with empty `data` for the caller to fill in
    /// from its buffer ([`super::receiver::Receiver`]'s fail-fast path).
    pub(crate) fn detach_message(&mut self) {
        self.detached = true;
    }

    /// The header rules of the frame layer.
    pub(crate) const fn header_rules(&self) -> &HeaderRules {
        self.frames.rules()
    }

    /// The heap capacity held for assembling messages, in bytes. It never exceeds
    /// the message size limit.
    pub fn buffered_capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Decode from the front of `input`, advancing it past the bytes consumed.
    /// Returns the next event, or `None` once all of `input` was consumed and more
    /// bytes are needed. Payloads are unmasked in place in `input`.
    pub fn decode<'s, 'a: 's>(
        &'s mut self,
        input: &mut &'a mut [u8],
    ) -> Result<Option<Event<'s>>, ProtocolError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if self.release_buf {
            self.release_buf = false;
            // A large message's buffer is freed once handed out, so an idle
            // connection does not keep its peak memory; small ones are reused.
            if self.buf.capacity() > RETAINED_CAPACITY {
                self.buf = Vec::new();
            } else {
                self.buf.clear();
            }
        }
        if let Some(h) = self.pending_header.take() {
            self.on_header(h).map_err(|e| self.fail(e))?;
        }
        loop {
            let step = if let Some((h, payload)) = self.whole_frame(input) {
                if let Some(kind) = self.single_frame_message(&h) {
                    // The header passes every rule of `on_header`, which would open a
                    // message that this payload completes at once: skip the bookkeeping.
                    if kind == MessageKind::Text && !self.is_compressed(&h) {
                        self.unmask_whole_text(payload, h.mask)
                            .map_err(|e| self.fail(e))?;
                    } else if let Some(key) = h.mask {
                        apply_mask(payload, key, 0);
                    }
                    return Ok(Some(Event::Message {
                        kind,
                        rsv: h.rsv,
                        data: payload,
                    }));
                }
                self.on_header(h).map_err(|e| self.fail(e))?;
                self.on_payload(payload, h.mask, 0, true)
            } else {
                match self.frames.decode_masked(input).map_err(|e| self.fail(e))? {
                    None => return Ok(None),
                    Some(MaskedEvent::Header(h)) => {
                        if self.config.report_frames {
                            self.pending_header = Some(h);
                            return Ok(Some(Event::Frame(h)));
                        }
                        self.on_header(h).map_err(|e| self.fail(e))?;
                        continue;
                    }
                    Some(MaskedEvent::Payload {
                        data,
                        offset,
                        last,
                        mask,
                    }) => self.on_payload(data, mask, offset, last),
                }
            };
            match step.map_err(|e| self.fail(e))? {
                Step::Continue => {}
                Step::Message(kind, rsv, data) => {
                    return Ok(Some(Event::Message { kind, rsv, data }));
                }
                Step::Control(op, data) => {
                    return control_event(op, data).map(Some).map_err(|e| self.fail(e));
                }
                Step::BufferedMessage(kind, rsv) => {
                    self.release_buf = true;
                    return Ok(Some(Event::Message {
                        kind,
                        rsv,
                        data: &self.buf,
                    }));
                }
                Step::BufferedControl(op) => {
                    let len = self.control_len;
                    // Validated once to record a failure, then built for the caller
                    // (at most 125 bytes; the borrow rules want the two steps apart).
                    if let Err(e) = control_event(op, &self.control[..len]) {
                        return Err(self.fail(e));
                    }
                    return control_event(op, &self.control[..len]).map(Some);
                }
            }
        }
    }

    /// The fast path: between frames, a frame whose header and payload are both at the
    /// front of `input` is taken whole, without stepping the frame decoder through it
    /// (whose state would end where it began). The header is checked by the same
    /// [`parse_header`] the frame decoder uses; a header that is incomplete or breaks a
    /// rule is left to the frame decoder, which reports it as usual.
    #[inline]
    fn whole_frame<'a>(&self, input: &mut &'a mut [u8]) -> Option<(FrameHeader, &'a mut [u8])> {
        if self.config.report_frames || !self.frames.is_idle() {
            return None;
        }
        let Ok(Some((h, header_len))) = parse_header(input, self.frames.rules()) else {
            return None;
        };
        let end = usize::try_from(h.payload_len)
            .ok()
            .and_then(|len| len.checked_add(header_len))
            .filter(|&end| end <= input.len())?;
        let (frame, rest) = core::mem::take(input).split_at_mut(end);
        *input = rest;
        Some((h, &mut frame[header_len..]))
    }

    /// Whether the message this first frame starts is compressed (RFC 7692 §6).
    fn is_compressed(&self, h: &FrameHeader) -> bool {
        self.config.permessage_deflate && h.rsv & 0b100 != 0
    }

    fn fail(&mut self, e: ProtocolError) -> ProtocolError {
        self.detached = false;
        self.failed = Some(e);
        e
    }

    /// The kind of the message `h` carries whole, when `h` is a final Text or Binary
    /// frame that [`on_header`](Self::on_header) accepts: not after the peer's Close
    /// (§5.5.1), not inside a fragmented message (§5.4), within the message limit
    /// (§10.4). `None` for everything else, which takes the general path.
    #[inline]
    fn single_frame_message(&self, h: &FrameHeader) -> Option<MessageKind> {
        let kind = match h.opcode {
            OpCode::Text => MessageKind::Text,
            OpCode::Binary => MessageKind::Binary,
            _ => return None,
        };
        let fits = h.payload_len <= self.config.limits.max_message_size;
        (h.fin && fits && !self.close_received && self.open.is_none()).then_some(kind)
    }

    /// Apply the rules a complete header decides beyond those of the frame layer.
    /// The message layer's rules that a frame header alone decides, checked
    /// without changing anything: what [`MessageDecoder::on_header`] would
    /// fail with. [`super::receiver::Receiver`] checks a header with it before
    /// it waits for the rest of the frame, so an error is found as early as the
    /// slice API finds it.
    pub(crate) fn precheck(&self, h: &FrameHeader) -> Result<(), ProtocolError> {
        // §5.5.1: the peer "MUST NOT send any more data frames" after its Close; a
        // Close is the last frame an endpoint sends.
        if self.close_received {
            return Err(ErrorKind::FrameAfterClose.into());
        }
        let limit = self.config.limits.max_message_size;
        if self.is_compressed(h) {
            // RFC 7692 §6.1: RSV1 belongs to a message's first frame only.
            if h.opcode.is_control() {
                return Err(ErrorKind::CompressedControlFrame.into());
            }
            if h.opcode == OpCode::Continuation {
                return Err(ErrorKind::CompressedContinuation.into());
            }
        }
        match h.opcode {
            OpCode::Continuation => {
                // §5.4: a continuation frame continues a fragmented message in progress.
                let Some(open) = self.open.as_ref() else {
                    return Err(ErrorKind::ContinuationWithoutStart.into());
                };
                let total = open.announced.saturating_add(h.payload_len);
                // §10.4: limits are checked on announced lengths, before buffering.
                if total > limit {
                    return Err(ErrorKind::MessageTooLarge { len: total, limit }.into());
                }
            }
            OpCode::Text | OpCode::Binary => {
                // §5.4: fragments of one message are not interleaved with another message.
                if self.open.is_some() {
                    return Err(ErrorKind::DataFrameInsideFragmentedMessage.into());
                }
                if h.payload_len > limit {
                    return Err(ErrorKind::MessageTooLarge {
                        len: h.payload_len,
                        limit,
                    }
                    .into());
                }
            }
            // §5.2: the frame layer rejects reserved opcodes for an endpoint; should
            // its rules allow them, the message layer still does.
            OpCode::Reserved(bits) => return Err(ErrorKind::ReservedOpcode(bits).into()),
            // §5.4: control frames MAY be injected in the middle of a fragmented message.
            OpCode::Close | OpCode::Ping | OpCode::Pong => {}
        }
        Ok(())
    }

    fn on_header(&mut self, h: FrameHeader) -> Result<(), ProtocolError> {
        self.precheck(&h)?;
        match h.opcode {
            OpCode::Continuation => {
                if let Some(open) = self.open.as_mut() {
                    open.announced = open.announced.saturating_add(h.payload_len);
                }
            }
            OpCode::Text | OpCode::Binary => {
                let kind = if h.opcode == OpCode::Text {
                    MessageKind::Text
                } else {
                    MessageKind::Binary
                };
                self.open = Some(Open {
                    kind,
                    rsv: h.rsv,
                    compressed: self.is_compressed(&h),
                    announced: h.payload_len,
                });
                self.utf8.reset();
                self.mixed = false;
                self.buf.clear();
            }
            OpCode::Reserved(_) => {}
            OpCode::Close | OpCode::Ping | OpCode::Pong => {
                self.control_len = 0;
                // §5.5.1: the Close frame is the last frame the peer may send.
                self.close_received |= h.opcode == OpCode::Close;
            }
        }
        self.current = Some(h);
        Ok(())
    }

    /// Unmask a payload piece in place (§5.3) and apply it.
    fn on_payload<'a>(
        &mut self,
        data: &'a mut [u8],
        mask: Option<[u8; 4]>,
        offset: u64,
        last: bool,
    ) -> Result<Step<'a>, ProtocolError> {
        let (Some(h), Some(open)) = (self.current, self.open) else {
            if let Some(key) = mask {
                apply_mask(data, key, offset);
            }
            return self.on_control(data, offset, last);
        };
        if h.opcode.is_control() {
            if let Some(key) = mask {
                apply_mask(data, key, offset);
            }
            return self.on_control(data, offset, last);
        }
        // A compressed text message is checked once inflated, not here.
        let check_as = if open.compressed {
            MessageKind::Binary
        } else {
            open.kind
        };
        self.unmask_data(check_as, data, mask, offset)?;
        let data: &'a [u8] = data;
        let ends_message = last && h.fin;
        if ends_message && check_as == MessageKind::Text && !self.utf8.is_complete() {
            // §8.1: a message that ends inside a sequence is not valid UTF-8.
            return Err(ErrorKind::IncompleteUtf8.into());
        }
        if ends_message && offset == 0 && h.opcode != OpCode::Continuation {
            // A single-frame message, contiguous in the input: hand it out in place.
            self.open = None;
            self.detached = false;
            return Ok(Step::Message(open.kind, open.rsv, data));
        }
        if (!self.config.retain_data || self.detached) && !open.compressed {
            // Checked above; nothing is kept (a detached message is kept by
            // the caller, where it lies).
            if ends_message {
                self.open = None;
                self.detached = false;
                return Ok(Step::Message(open.kind, open.rsv, &data[data.len()..]));
            }
            return Ok(Step::Continue);
        }
        self.append(data, open.announced);
        if ends_message {
            self.open = None;
            Ok(Step::BufferedMessage(open.kind, open.rsv))
        } else {
            Ok(Step::Continue)
        }
    }

    /// A piece of a control frame's payload, already unmasked (or of a frame outside
    /// any message, which the header checks make impossible: ignored).
    fn on_control<'a>(
        &mut self,
        data: &'a [u8],
        offset: u64,
        last: bool,
    ) -> Result<Step<'a>, ProtocolError> {
        let Some(h) = self.current else {
            return Ok(Step::Continue);
        };
        if !h.opcode.is_control() {
            return Ok(Step::Continue);
        }
        if offset == 0 && last {
            // The whole control payload is contiguous in the input.
            return Ok(Step::Control(h.opcode, data));
        }
        // At most 125 bytes in all: the header check guarantees it fits.
        let end = self.control_len + data.len();
        self.control[self.control_len..end].copy_from_slice(data);
        self.control_len = end;
        Ok(if last {
            Step::BufferedControl(h.opcode)
        } else {
            Step::Continue
        })
    }

    /// Unmask a piece of a data message in place (§5.3) and, for text, validate it.
    #[inline(always)]
    fn unmask_data(
        &mut self,
        kind: MessageKind,
        data: &mut [u8],
        mask: Option<[u8; 4]>,
        offset: u64,
    ) -> Result<(), ProtocolError> {
        if kind == MessageKind::Text {
            // §8.1: invalid UTF-8 fails the connection as soon as it is seen.
            self.unmask_and_validate(data, mask, offset)
                .map_err(|offset| ProtocolError::new(ErrorKind::InvalidUtf8 { offset }))
        } else {
            if let Some(key) = mask {
                apply_mask(data, key, offset);
            }
            Ok(())
        }
    }

    /// Unmask a whole text message (§5.3) and validate it (§5.6, §8.1). A message of
    /// up to one block is unmasked with an ASCII check in the same pass and, if not
    /// ASCII, validated in one call with no incremental state; a longer one goes
    /// through the incremental validator block by block. Only an invalid message
    /// is looked at again, by the incremental validator, to find where it fails.
    #[inline]
    fn unmask_whole_text(
        &mut self,
        data: &mut [u8],
        mask: Option<[u8; 4]>,
    ) -> Result<(), ProtocolError> {
        if data.len() <= FUSED_BLOCK {
            let valid = match mask {
                Some(key) => unmask_is_ascii(data, key, 0) || is_valid_utf8(data),
                None => is_valid_utf8(data),
            };
            if valid {
                return Ok(());
            }
            self.utf8.reset();
            self.mixed = false;
            return self.validate_rest(data, None);
        }
        self.utf8.reset();
        self.mixed = false;
        self.validate_rest(data, mask)
    }

    /// The incremental validation of a whole message from its start (unmasking it
    /// first if `mask` is given), including the check that it ends on a character.
    fn validate_rest(
        &mut self,
        data: &mut [u8],
        mask: Option<[u8; 4]>,
    ) -> Result<(), ProtocolError> {
        self.unmask_and_validate(data, mask, 0)
            .map_err(|offset| ProtocolError::new(ErrorKind::InvalidUtf8 { offset }))?;
        if !self.utf8.is_complete() {
            // §8.1: a message that ends inside a sequence is not valid UTF-8.
            return Err(ErrorKind::IncompleteUtf8.into());
        }
        Ok(())
    }

    /// Unmask a piece of a text message and validate it (§5.3, §8.1), in blocks that
    /// stay in the L1 cache between the two steps; a block that unmasks to ASCII is
    /// valid as it stands and is not looked at again. Fails with the offset of the
    /// first invalid byte within the message.
    fn unmask_and_validate(
        &mut self,
        data: &mut [u8],
        mask: Option<[u8; 4]>,
        offset: u64,
    ) -> Result<(), u64> {
        let Some(key) = mask else {
            return self.utf8.feed(data).map_err(|e| e.offset);
        };
        let mut at = offset;
        // Once a block is not ASCII the text is taken to be mixed: the rest of
        // the message, in this piece and later ones, is unmasked without the
        // ASCII check (a pass that only XORs is faster than one that also ORs),
        // then validated.
        for block in data.chunks_mut(FUSED_BLOCK) {
            if !self.mixed && unmask_is_ascii(block, key, at) {
                self.utf8.feed_ascii(block)
            } else {
                if self.mixed {
                    apply_mask(block, key, at);
                }
                self.mixed = true;
                self.utf8.feed(block)
            }
            .map_err(|e| e.offset)?;
            at += block.len() as u64;
        }
        Ok(())
    }

    /// Append to the message buffer, growing it geometrically but never beyond the
    /// larger of the message limit and what is needed (which the header checks
    /// already bounded by the limit).
    fn append(&mut self, data: &[u8], announced: u64) {
        let need = self.buf.len() + data.len();
        if need > self.buf.capacity() {
            let limit = usize::try_from(self.config.limits.max_message_size).unwrap_or(usize::MAX);
            let announced = usize::try_from(announced).unwrap_or(usize::MAX);
            let target = need
                .max(self.buf.capacity().saturating_mul(2))
                .min(limit.min(announced))
                .max(need);
            self.buf.reserve_exact(target - self.buf.len());
        }
        self.buf.extend_from_slice(data);
    }
}

/// Build the event for a complete control frame, validating a Close body.
fn control_event(op: OpCode, payload: &[u8]) -> Result<Event<'_>, ProtocolError> {
    match op {
        OpCode::Ping => Ok(Event::Ping(payload)),
        OpCode::Pong => Ok(Event::Pong(payload)),
        _ => parse_close(payload).map(Event::Close),
    }
}

/// Validate a Close frame body (§5.5.1): empty, or a 2-byte code and a UTF-8 reason.
pub fn parse_close(body: &[u8]) -> Result<Option<CloseFrame<'_>>, ProtocolError> {
    match body {
        [] => Ok(None),
        // §5.5.1: "If there is a body, the first two bytes of the body MUST be a
        // 2-byte unsigned integer": one byte cannot be.
        [_] => Err(ErrorKind::CloseBodyOneByte.into()),
        [hi, lo, reason @ ..] => {
            let code = CloseCode(u16::from_be_bytes([*hi, *lo]));
            // §7.4.1/§7.4.2: only defined and registered codes may be sent.
            if !code.is_valid_on_wire() {
                return Err(ErrorKind::InvalidCloseCode(code.0).into());
            }
            // §5.5.1: the reason is UTF-8 encoded data.
            let reason = core::str::from_utf8(reason)
                .map_err(|_| ProtocolError::new(ErrorKind::InvalidCloseReason))?;
            Ok(Some(CloseFrame { code, reason }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ws::encode;
    use alloc::string::String;
    use alloc::vec;

    const KEY: Option<[u8; 4]> = Some([0x11, 0x22, 0x33, 0x44]);

    /// One owned event per line, or the error, for compact assertions.
    fn decode_all(config: Config, mut bytes: Vec<u8>) -> (Vec<String>, Option<ProtocolError>) {
        let mut dec = MessageDecoder::new(config);
        let mut input = &mut bytes[..];
        let mut out = Vec::new();
        loop {
            match dec.decode(&mut input) {
                Ok(Some(e)) => out.push(alloc::format!("{e:?}")),
                Ok(None) => return (out, None),
                Err(e) => return (out, Some(e)),
            }
        }
    }

    fn server(bytes: Vec<u8>) -> (Vec<String>, Option<ProtocolError>) {
        decode_all(Config::new(Role::Server), bytes)
    }

    fn frame(fin: bool, op: OpCode, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encode::frame(&mut out, fin, 0, op, KEY, payload);
        out
    }

    #[test]
    fn rfc6455_5_4_fragments_reassemble_with_control_frames_between() {
        let bytes = [
            frame(false, OpCode::Binary, b"ab"),
            frame(true, OpCode::Ping, b"p"),
            frame(false, OpCode::Continuation, b""),
            frame(true, OpCode::Pong, b""),
            frame(true, OpCode::Continuation, b"c"),
        ]
        .concat();
        let (events, err) = server(bytes);
        assert_eq!(err, None);
        assert_eq!(
            events,
            [
                "Ping([112])",
                "Pong([])",
                "Message { kind: Binary, rsv: 0, data: [97, 98, 99] }"
            ]
        );
    }

    #[test]
    fn rfc6455_5_4_continuation_without_start_fails_1002() {
        let (_, err) = server(frame(true, OpCode::Continuation, b"x"));
        let err = err.unwrap();
        assert_eq!(err.kind(), ErrorKind::ContinuationWithoutStart);
        assert_eq!(err.close_code(), 1002);
    }

    #[test]
    fn rfc6455_5_4_new_data_frame_inside_fragmented_message_fails_1002() {
        let bytes = [
            frame(false, OpCode::Text, b"a"),
            frame(true, OpCode::Text, b"b"),
        ]
        .concat();
        let (_, err) = server(bytes);
        assert_eq!(
            err.unwrap().kind(),
            ErrorKind::DataFrameInsideFragmentedMessage
        );
    }

    #[test]
    fn rfc6455_5_5_1_close_with_code_and_reason() {
        let mut bytes = Vec::new();
        encode::close(&mut bytes, KEY, Some(CloseCode::GOING_AWAY), "bye").unwrap();
        let (events, err) = server(bytes);
        assert_eq!(err, None);
        assert_eq!(
            events,
            ["Close(Some(CloseFrame { code: CloseCode(1001), reason: \"bye\" }))"]
        );
    }

    #[test]
    fn rfc6455_5_5_1_close_body_of_one_byte_fails_1002() {
        let (_, err) = server(frame(true, OpCode::Close, &[0x03]));
        assert_eq!(err.unwrap().kind(), ErrorKind::CloseBodyOneByte);
    }

    #[test]
    fn rfc6455_5_5_1_close_reason_must_be_utf8_fails_1007() {
        let (_, err) = server(frame(true, OpCode::Close, &[0x03, 0xE8, 0xFF]));
        let err = err.unwrap();
        assert_eq!(err.kind(), ErrorKind::InvalidCloseReason);
        assert_eq!(err.close_code(), 1007);
    }

    #[test]
    fn rfc6455_5_5_1_no_frame_after_close() {
        for after in [
            frame(true, OpCode::Text, b"x"),
            frame(true, OpCode::Ping, b""),
        ] {
            let bytes = [frame(true, OpCode::Close, &[]), after].concat();
            let (events, err) = server(bytes);
            assert_eq!(events, ["Close(None)"]);
            assert_eq!(err.unwrap().kind(), ErrorKind::FrameAfterClose);
        }
    }

    #[test]
    fn rfc6455_5_5_2_ping_payload_is_delivered_for_the_pong() {
        let (events, _) = server(frame(true, OpCode::Ping, b"Hello"));
        assert_eq!(events, ["Ping([72, 101, 108, 108, 111])"]);
    }

    #[test]
    fn rfc6455_7_4_invalid_close_codes_fail_1002() {
        for code in [0u16, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000] {
            let (_, err) = server(frame(true, OpCode::Close, &code.to_be_bytes()));
            assert_eq!(
                err.unwrap().kind(),
                ErrorKind::InvalidCloseCode(code),
                "{code}"
            );
        }
    }

    #[test]
    fn rfc6455_5_6_text_must_be_utf8_fails_1007() {
        let (_, err) = server(frame(true, OpCode::Text, b"ok\xFF"));
        let err = err.unwrap();
        assert_eq!(err.kind(), ErrorKind::InvalidUtf8 { offset: 2 });
        assert_eq!(err.close_code(), 1007);
    }

    #[test]
    fn rfc6455_8_1_utf8_fails_before_the_frame_is_complete() {
        // The frame announces 100 bytes; only 3 arrive, the last of them invalid.
        let mut bytes = frame(true, OpCode::Text, &[b'a'; 100]);
        let header = 2 + 4;
        for (i, b) in [b'a', b'b', 0xFF].iter().enumerate() {
            bytes[header + i] = b ^ KEY.unwrap()[i % 4];
        }
        bytes.truncate(header + 3);
        let (_, err) = server(bytes);
        assert_eq!(err.unwrap().kind(), ErrorKind::InvalidUtf8 { offset: 2 });
    }

    #[test]
    fn mixed_text_over_several_blocks_is_unmasked_and_checked_in_every_block() {
        // §5.3, §5.6: a text message over three fused blocks whose first block is not
        // ASCII, so the later ones are unmasked without the ASCII check; a 2-byte
        // character straddles the second block boundary.
        let mut text = vec![b'x'; 3 * FUSED_BLOCK + 5];
        text[..2].copy_from_slice("é".as_bytes());
        text[2 * FUSED_BLOCK - 1..2 * FUSED_BLOCK + 1].copy_from_slice("ß".as_bytes());
        let (events, err) = server(frame(true, OpCode::Text, &text));
        assert_eq!(err, None);
        assert_eq!(
            events,
            [alloc::format!(
                "{:?}",
                Event::Message {
                    kind: MessageKind::Text,
                    rsv: 0,
                    data: &text
                }
            )]
        );
        // An invalid byte in the last block is found there, at its offset.
        let bad = 2 * FUSED_BLOCK + 100;
        text[bad] = 0xFF;
        let (_, err) = server(frame(true, OpCode::Text, &text));
        assert_eq!(
            err.unwrap().kind(),
            ErrorKind::InvalidUtf8 { offset: bad as u64 }
        );
    }

    #[test]
    fn rfc6455_8_1_utf8_sequence_may_span_fragments() {
        let euro = "€".as_bytes();
        let bytes = [
            frame(false, OpCode::Text, &euro[..1]),
            frame(false, OpCode::Continuation, &euro[1..2]),
            frame(true, OpCode::Continuation, &euro[2..]),
        ]
        .concat();
        let (events, err) = server(bytes);
        assert_eq!(err, None);
        assert_eq!(
            events,
            ["Message { kind: Text, rsv: 0, data: [226, 130, 172] }"]
        );
    }

    #[test]
    fn rfc6455_10_4_message_limit_fails_1009_on_the_header() {
        let mut config = Config::new(Role::Server);
        config.limits.max_message_size = 4;
        let mut bytes = [
            frame(false, OpCode::Binary, b"abc"),
            frame(true, OpCode::Continuation, b"de"),
        ]
        .concat();
        // Drop the second frame's payload: the header alone must trigger the error.
        bytes.truncate(bytes.len() - 2);
        let (_, err) = decode_all(config, bytes);
        let err = err.unwrap();
        assert_eq!(err.kind(), ErrorKind::MessageTooLarge { len: 5, limit: 4 });
        assert_eq!(err.close_code(), 1009);
    }

    #[test]
    fn rfc6455_7_1_7_errors_are_final() {
        let mut dec = MessageDecoder::new(Config::new(Role::Server));
        let mut bad = frame(true, OpCode::Continuation, b"x");
        assert!(dec.decode(&mut &mut bad[..]).is_err());
        let mut good = frame(true, OpCode::Text, b"x");
        assert!(dec.decode(&mut &mut good[..]).is_err());
    }

    #[test]
    fn large_message_buffer_is_freed_after_delivery() {
        let big = [
            frame(false, OpCode::Binary, &vec![1u8; 100_000]),
            frame(true, OpCode::Continuation, b"x"),
        ]
        .concat();
        let mut dec = MessageDecoder::new(Config::new(Role::Server));
        let mut bytes = big;
        let mut input = &mut bytes[..];
        assert!(matches!(
            dec.decode(&mut input),
            Ok(Some(Event::Message { .. }))
        ));
        assert!(dec.buffered_capacity() > RETAINED_CAPACITY);
        let mut next = frame(true, OpCode::Ping, b"");
        assert!(matches!(
            dec.decode(&mut &mut next[..]),
            Ok(Some(Event::Ping(_)))
        ));
        assert_eq!(dec.buffered_capacity(), 0);
    }

    #[test]
    fn rfc7692_6_a_message_carries_the_rsv_bits_of_its_first_frame() {
        let mut config = Config::new(Role::Server);
        config.allowed_rsv = 0b100;
        let mut first = Vec::new();
        encode::frame(&mut first, false, 0b100, OpCode::Text, KEY, b"a");
        let whole = {
            let mut out = Vec::new();
            encode::frame(&mut out, true, 0b100, OpCode::Binary, KEY, b"z");
            out
        };
        for (bytes, want) in [
            (
                [first.clone(), frame(true, OpCode::Continuation, b"b")].concat(),
                0b100,
            ),
            (frame(true, OpCode::Text, b"ab"), 0),
            (whole, 0b100),
        ] {
            // Whole, and a byte at a time (the buffered path).
            for chunk in [bytes.len(), 1] {
                let mut dec = MessageDecoder::new(config);
                let mut bytes = bytes.clone();
                let mut rsv = None;
                for piece in bytes.chunks_mut(chunk) {
                    let mut input = piece;
                    while let Ok(Some(e)) = dec.decode(&mut input) {
                        if let Event::Message { rsv: r, .. } = e {
                            rsv = Some(r);
                        }
                    }
                }
                assert_eq!(rsv, Some(want), "chunk {chunk}");
            }
        }
    }

    #[test]
    fn single_contiguous_frame_is_not_copied() {
        let mut bytes = frame(true, OpCode::Binary, &vec![9u8; 1000]);
        let mut dec = MessageDecoder::new(Config::new(Role::Server));
        let mut input = &mut bytes[..];
        assert!(matches!(
            dec.decode(&mut input),
            Ok(Some(Event::Message { .. }))
        ));
        assert_eq!(dec.buffered_capacity(), 0);
    }
}
