//! The frame tracker: follows the frame boundaries of everything received with
//! a lenient frame-level decoder (any opcode, any RSV bits, masked or not).
//!
//! Two jobs need it besides the message decoder, which stops at the first
//! violation: the wire log shows every received frame (`RF` rows), and after
//! the message decoder failed on a frame, the peer's Close that follows that
//! frame must still be taken, as Autobahn skips the invalid frame and reads on.
//! The tracker remembers Close frames for that, and stops at the first header
//! it cannot parse (a length over the limit).

use wirecheck_codec::ws::frame::{HeaderRules, OpCode};
use wirecheck_codec::ws::{FrameDecoder, FrameEvent, FrameHeader};

use crate::ws::bounds;

/// How much of a Close frame's body is kept: a valid one has at most 125
/// bytes (RFC 6455 §5.5), so a longer one is invalid whatever follows.
const MAX_CLOSE_KEPT: usize = 128;

/// Where the tracked frames go: how much of each payload to keep, and the
/// frame once complete.
pub trait Sink {
    /// How many payload bytes of a frame with this header to keep for the log
    /// (0 when the log is full: a flood then costs no allocation).
    fn keep(&self, header: &FrameHeader) -> usize;
    /// A complete frame, with the payload bytes kept.
    fn frame(&mut self, header: &FrameHeader, kept: &[u8]);
}

/// A Close frame the tracker saw: where it started in the stream, and its body
/// (`None` for a body too long to be valid).
type TrackedClose = (u64, Option<Vec<u8>>);

/// The tracker's state.
#[derive(Debug)]
pub struct Tracker {
    frames: FrameDecoder,
    /// The frame being followed, where it started, and its payload kept so far.
    current: Option<(FrameHeader, u64, Vec<u8>)>,
    closes: Vec<TrackedClose>,
}

impl Tracker {
    /// A tracker that accepts frames of up to `max_payload` bytes.
    pub fn new(max_payload: u64) -> Tracker {
        Tracker {
            frames: FrameDecoder::new(HeaderRules {
                role: None,
                allowed_rsv: 0b111,
                max_payload,
                allow_reserved_opcodes: true,
            }),
            current: None,
            closes: Vec::new(),
        }
    }

    /// Follow `bytes`, which start at offset `base` of the received stream.
    pub fn follow(&mut self, bytes: &mut [u8], base: u64, sink: &mut dyn Sink) {
        let len = bytes.len();
        let mut input = bytes;
        while let Ok(Some(event)) = self.frames.decode(&mut input) {
            let at = base + (len - input.len()) as u64;
            match event {
                FrameEvent::Header(h) => {
                    let start = at - h.encoded_len() as u64;
                    self.current = Some((h, start, Vec::new()));
                }
                FrameEvent::Payload { data, last, .. } => {
                    let Some((h, start, mut payload)) = self.current.take() else {
                        continue;
                    };
                    let keep = if h.opcode == OpCode::Close {
                        MAX_CLOSE_KEPT
                    } else {
                        sink.keep(&h)
                    };
                    let take = data.len().min(keep.saturating_sub(payload.len()));
                    payload.extend_from_slice(&data[..take]);
                    if !last {
                        self.current = Some((h, start, payload));
                        continue;
                    }
                    if h.opcode == OpCode::Close && self.closes.len() < bounds::MAX_TRACKED_CLOSES {
                        let complete = payload.len() as u64 == h.payload_len;
                        self.closes.push((start, complete.then(|| payload.clone())));
                    }
                    sink.frame(&h, &payload);
                }
            }
        }
    }

    /// The first Close frame that started after stream offset `failed_at` (the
    /// failing frame): `Some(body)`, where the body is `None` when it was too long
    /// to be valid. Forgets every tracked Close once one is found.
    pub fn close_after(&mut self, failed_at: u64) -> Option<Option<Vec<u8>>> {
        let i = self
            .closes
            .iter()
            .position(|(start, _)| *start > failed_at)?;
        let (_, body) = self.closes.swap_remove(i);
        self.closes.clear();
        Some(body)
    }
}
