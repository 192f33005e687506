//! tungstenite as a differential oracle for the WebSocket codec, and the named
//! normalisations of the differences that are deliberate.
//!
//! Shared by `tests/ws_tungstenite_diff.rs` (proptest, on every `cargo test`) and the
//! fuzz package's differential targets (included by path), so both apply exactly the
//! same rules. tungstenite is driven in memory: a mock stream whose reads report
//! `WouldBlock` while its queue is empty and end of input once the input is spent.
//!
//! Every normalisation below is a named function whose comment cites the RFC line
//! that makes our codec right; any other difference is a failure.

use std::collections::VecDeque;
use std::io::{self, Read, Write};

use super::owned::{OwnedEvent, Run, decode_split};
use tungstenite::protocol::{Role as TRole, WebSocketConfig, WebSocketContext};
use tungstenite::{Error, Message};
use wirecheck_codec::ws::message::Config;
use wirecheck_codec::ws::{ErrorKind, Limits, MessageKind, Role};

/// The limits both sides run with.
pub const LIMITS: Limits = Limits {
    max_frame_size: 1 << 16,
    max_message_size: 1 << 17,
};

/// An in-memory stream for tungstenite.
#[derive(Default)]
struct MockIo {
    input: VecDeque<u8>,
    eof: bool,
}

impl Read for MockIo {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.input.is_empty() {
            return if self.eof {
                Ok(0)
            } else {
                Err(io::ErrorKind::WouldBlock.into())
            };
        }
        let n = buf.len().min(self.input.len());
        for (dst, src) in buf[..n].iter_mut().zip(self.input.drain(..n)) {
            *dst = src;
        }
        Ok(n)
    }
}

impl Write for MockIo {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What tungstenite made of an input.
#[derive(Debug)]
pub struct OracleRun {
    /// The messages it delivered, as our owned events.
    pub events: Vec<OwnedEvent>,
    /// Whether it rejected the input (a protocol, capacity or UTF-8 error; running
    /// out of input or a closed connection is not a rejection).
    pub rejected: Option<String>,
}

/// Decode `input`, fed in the given pieces, with tungstenite in `role`.
pub fn tungstenite_decode(role: Role, pieces: &[&[u8]]) -> OracleRun {
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .max_frame_size(Some(LIMITS.max_frame_size as usize))
        .max_message_size(Some(LIMITS.max_message_size as usize));
    let role = match role {
        Role::Server => TRole::Server,
        Role::Client => TRole::Client,
    };
    let mut ctx = WebSocketContext::new(role, Some(config));
    let mut io = MockIo::default();
    let mut events = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        io.input.extend(piece.iter().copied());
        io.eof = i + 1 == pieces.len();
        loop {
            match ctx.read(&mut io) {
                Ok(message) => events.push(owned(message)),
                Err(Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(Error::ConnectionClosed | Error::AlreadyClosed) => {
                    return OracleRun {
                        events,
                        rejected: None,
                    };
                }
                Err(Error::Protocol(
                    tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
                )) => {
                    return OracleRun {
                        events,
                        rejected: None,
                    };
                }
                Err(e) => {
                    return OracleRun {
                        events,
                        rejected: Some(e.to_string()),
                    };
                }
            }
        }
    }
    OracleRun {
        events,
        rejected: None,
    }
}

fn owned(message: Message) -> OwnedEvent {
    match message {
        Message::Text(t) => OwnedEvent::Message(MessageKind::Text, t.as_bytes().to_vec()),
        Message::Binary(b) => OwnedEvent::Message(MessageKind::Binary, b.to_vec()),
        Message::Ping(p) => OwnedEvent::Ping(p.to_vec()),
        Message::Pong(p) => OwnedEvent::Pong(p.to_vec()),
        Message::Close(c) => {
            OwnedEvent::Close(c.map(|c| (u16::from(c.code), c.reason.as_str().to_owned())))
        }
        Message::Frame(_) => unreachable!("tungstenite never reads a raw frame"),
    }
}

/// Decode `input` split at `cuts` with our codec in `role`.
pub fn ours_decode(role: Role, input: &[u8], cuts: &[usize]) -> Run {
    let mut config = Config::new(role);
    config.limits = LIMITS;
    decode_split(config, input, cuts)
}

/// The close frame tungstenite substitutes for a close code it does not allow.
fn substituted_close() -> OwnedEvent {
    OwnedEvent::Close(Some((1002, "Protocol violation".to_owned())))
}

/// 1014 (Bad Gateway) is registered in the IANA WebSocket Close Code Number Registry
/// (RFC 6455 §11.7), so we accept it; tungstenite 0.30 treats it as invalid and
/// substitutes a 1002 close. Normalise ours to tungstenite's rendering.
pub fn normalise_1014_is_registered(events: &mut [OwnedEvent]) {
    for e in events {
        if matches!(e, OwnedEvent::Close(Some((1014, _)))) {
            *e = substituted_close();
        }
    }
}

/// RFC 6455 §5.5.1: the Close frame is the last frame an endpoint sends, so nothing
/// after it is compared: tungstenite stops reading (server role) while we fail the
/// connection on a later frame (a frame after close is a protocol error).
pub fn normalise_nothing_after_close(events: &mut Vec<OwnedEvent>, error: &mut Option<ErrorKind>) {
    if let Some(i) = events
        .iter()
        .position(|e| matches!(e, OwnedEvent::Close(_)))
    {
        events.truncate(i + 1);
        *error = None;
    }
}

/// RFC 6455 §7.4 and §7.1.7: a Close with a code that may not be sent is a protocol
/// error and fails the connection (our error). tungstenite instead reports a Close
/// carrying a substituted 1002 "Protocol violation"; the decision is the same.
/// (When the reason is not UTF-8 either, tungstenite, which checks the reason
/// first, rejects the frame outright: then both reject and nothing is normalised.)
pub fn normalise_invalid_close_code(
    events: &mut Vec<OwnedEvent>,
    error: &mut Option<ErrorKind>,
    they_rejected: bool,
) {
    if let (Some(ErrorKind::InvalidCloseCode(_)), false) = (*error, they_rejected) {
        events.push(substituted_close());
        *error = None;
    }
}

/// The end of the frame starting at `start`, read without any validation, or
/// `None` when its header is incomplete.
fn lenient_frame_end(input: &[u8], start: usize) -> Option<usize> {
    let b1 = *input.get(start + 1)?;
    let (len, header) = match b1 & 0x7F {
        126 => {
            let ext = input.get(start + 2..start + 4)?;
            (u64::from(u16::from_be_bytes([ext[0], ext[1]])), 4)
        }
        127 => {
            let ext = input.get(start + 2..start + 10)?;
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(ext);
            (u64::from_be_bytes(bytes), 10)
        }
        n => (u64::from(n), 2),
    };
    let header = header + if b1 & 0x80 != 0 { 4 } else { 0 };
    let end = (start as u64).saturating_add(header).saturating_add(len);
    Some(usize::try_from(end).unwrap_or(usize::MAX))
}

/// Whether the frame in which our decoder failed (the one containing `failed_at`)
/// is complete in `input`: only then could tungstenite, which checks whole frames,
/// have rejected it too.
fn failed_frame_is_complete(input: &[u8], failed_at: Option<usize>) -> bool {
    let Some(at) = failed_at else {
        return true;
    };
    let mut pos = 0;
    while pos < input.len() {
        let Some(end) = lenient_frame_end(input, pos) else {
            return false;
        };
        if at < end || end == pos {
            return end <= input.len();
        }
        pos = end;
    }
    true
}

/// Compare our run with tungstenite's on the same input. Our errors are raised as
/// soon as the deciding byte arrives, tungstenite's only once the frame is
/// complete: a rejection of ours that tungstenite lacks is accepted only when the
/// input ends inside the offending frame.
pub fn compare(input: &[u8], ours: &Run, theirs: &OracleRun) -> Result<(), String> {
    let mut our_events = ours.events.clone();
    let mut our_error = ours.error.map(|e| e.kind());
    let mut their_events = theirs.events.clone();
    let mut their_rejected = theirs.rejected.clone();
    normalise_nothing_after_close(&mut their_events, &mut None);
    if their_events
        .iter()
        .any(|e| matches!(e, OwnedEvent::Close(_)))
    {
        their_rejected = None;
    }
    normalise_1014_is_registered(&mut our_events);
    normalise_invalid_close_code(&mut our_events, &mut our_error, their_rejected.is_some());
    normalise_nothing_after_close(&mut our_events, &mut our_error);
    match (our_error, &their_rejected) {
        // RFC 6455 §5.2: "the minimal number of bytes MUST be used to encode the
        // length"; tungstenite accepts non-minimal encodings, so it may deliver more.
        // RFC 6455 §5.5 with §5.2: a control frame's length field may never hold an
        // extended-length marker: either the payload exceeds 125 bytes or the length
        // is not minimal. We reject on that byte; tungstenite accepts a non-minimal
        // encoding of a short payload, so it may deliver more.
        (Some(ErrorKind::NonMinimalLength | ErrorKind::ControlFrameTooLong(_)), _) => {
            if !their_events.starts_with(&our_events) {
                return Err(format!(
                    "before our non-minimal-length error: ours {our_events:?} vs theirs {their_events:?}"
                ));
            }
            return Ok(());
        }
        // We fail on the byte that decides the error (§5.2 header rules, §8.1 UTF-8);
        // tungstenite checks only complete frames, so where the input ends inside
        // the offending frame it has not rejected yet. It must not have delivered
        // anything more than we did.
        (Some(_), None) if !failed_frame_is_complete(input, ours.failed_at) => {}
        (Some(e), None) => return Err(format!("we rejected ({e:?}), tungstenite accepted")),
        (None, Some(t)) => return Err(format!("tungstenite rejected ({t}), we accepted")),
        _ => {}
    }
    if our_events != their_events {
        return Err(format!(
            "events differ:\n ours   {our_events:?}\n theirs {their_events:?}"
        ));
    }
    Ok(())
}
