//! Drive the WebSocket codec over a whole input and collect owned events: what
//! the property, differential and fuzz checks compare (included by `#[path]`).
// Included by several test crates and the fuzz targets, each using a part.
#![allow(dead_code)]

use wirecheck_codec::ws::message::Config;
use wirecheck_codec::ws::{Event, FrameHeader, MessageDecoder, MessageKind, ProtocolError};

/// An [`Event`] that owns its data, for comparing whole runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnedEvent {
    /// A frame header (only with `report_frames`).
    Frame(FrameHeader),
    /// A complete message.
    Message(MessageKind, Vec<u8>),
    /// A ping and its payload.
    Ping(Vec<u8>),
    /// A pong and its payload.
    Pong(Vec<u8>),
    /// A close frame: code and reason, or `None` for an empty body.
    Close(Option<(u16, String)>),
}

impl From<&Event<'_>> for OwnedEvent {
    fn from(e: &Event<'_>) -> Self {
        match *e {
            Event::Frame(h) => OwnedEvent::Frame(h),
            Event::Message { kind, data, .. } => OwnedEvent::Message(kind, data.to_vec()),
            Event::Ping(p) => OwnedEvent::Ping(p.to_vec()),
            Event::Pong(p) => OwnedEvent::Pong(p.to_vec()),
            Event::Close(c) => OwnedEvent::Close(c.map(|c| (c.code.0, c.reason.to_owned()))),
        }
    }
}

/// The result of decoding a whole input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// Every event, in order.
    pub events: Vec<OwnedEvent>,
    /// The error that stopped decoding, if any.
    pub error: Option<ProtocolError>,
    /// Whether the input ended between messages.
    pub idle: bool,
    /// The largest heap capacity the decoder held while decoding.
    pub max_capacity: usize,
    /// Where the input cursor stood when the error was raised: a position
    /// inside (or at the start of) the frame that failed.
    pub failed_at: Option<usize>,
}

/// Decode `input` split at the given cut points (sorted or not, any values;
/// out-of-range cuts are clamped), as an endpoint with `config`.
pub fn decode_split(config: Config, input: &[u8], cuts: &[usize]) -> Run {
    let mut points: Vec<usize> = cuts.iter().map(|&c| c.min(input.len())).collect();
    points.push(0);
    points.push(input.len());
    points.sort_unstable();
    points.dedup();
    let mut buf = input.to_vec();
    let mut decoder = MessageDecoder::new(config);
    let mut run = Run {
        events: Vec::new(),
        error: None,
        idle: true,
        max_capacity: 0,
        failed_at: None,
    };
    let mut rest = &mut buf[..];
    let mut at = 0;
    for &end in &points[1..] {
        let (piece, tail) = std::mem::take(&mut rest).split_at_mut(end - at);
        rest = tail;
        at = end;
        let mut piece = piece;
        loop {
            let step = decoder.decode(&mut piece);
            match step {
                Ok(Some(event)) => run.events.push(OwnedEvent::from(&event)),
                Ok(None) => break,
                Err(e) => {
                    run.error = Some(e);
                    run.failed_at = Some(at - piece.len());
                    run.max_capacity = run.max_capacity.max(decoder.buffered_capacity());
                    run.idle = decoder.is_idle();
                    return run;
                }
            }
            run.max_capacity = run.max_capacity.max(decoder.buffered_capacity());
        }
    }
    run.idle = decoder.is_idle();
    run
}

/// Decode `input` in pieces of `chunk` bytes.
pub fn decode_chunked(config: Config, input: &[u8], chunk: usize) -> Run {
    let chunk = chunk.max(1);
    let cuts: Vec<usize> = (chunk..input.len()).step_by(chunk).collect();
    decode_split(config, input, &cuts)
}
