//! `wirecheck decode ws` (DESIGN §4): the events an endpoint of a given role sees
//! in a byte stream, one JSON object per line.
//!
//! The input is read in pieces (of `--chunk` bytes when given) and each piece is
//! fed to [`MessageDecoder`] as it is, so this is also how the codec's chunking
//! invariance can be checked from the command line: the output must not depend
//! on `--chunk`. Decoding stops at the first protocol error, as an endpoint that
//! fails the connection would (RFC 6455 §7.1.7).
//!
//! With `--deflate PARAMS` (the `Sec-WebSocket-Extensions` answer that agreed
//! permessage-deflate) a message with RSV1 is inflated as the endpoint would
//! (RFC 7692 §7.2.2), bounded by the message limit, and a text one checked as
//! UTF-8 once inflated; RSV1 anywhere else fails as §6.1 says.

use std::io::{self, Read, Write};
use std::num::NonZeroUsize;

use serde_json::{Value, json};
use wirecheck_codec::ws::deflate::{
    Agreed, Decompressor, Offer, inflate_message, validate_response,
};
use wirecheck_codec::ws::handshake::parse_extensions;
use wirecheck_codec::ws::message::Config;
use wirecheck_codec::ws::{ErrorKind, Event, MessageDecoder, MessageKind, Role};

use super::{Outcome, hex, read_full};

/// Options of `decode ws`.
#[derive(Debug, Clone)]
pub struct Options {
    /// The role of the decoding endpoint.
    pub role: Role,
    /// Feed the decoder this many bytes at a time; `None` feeds each read whole.
    pub chunk: Option<NonZeroUsize>,
    /// Print each frame header before its effect.
    pub frames: bool,
    /// permessage-deflate as agreed, if it was ([`parse_deflate`]).
    pub deflate: Option<Agreed>,
}

/// The agreement a `--deflate` value states: the server's answer
/// (`permessage-deflate; server_no_context_takeover; ...`), checked as a client
/// checks it (RFC 7692 §7.1) against an offer that allowed every parameter.
pub fn parse_deflate(params: &str) -> Result<Agreed, String> {
    let answer =
        parse_extensions([params.as_bytes()]).map_err(|e| format!("--deflate {params:?}: {e}"))?;
    let offer = Offer {
        client_max_window_bits: Some(None),
        ..Offer::default()
    };
    match validate_response(&[offer], &answer) {
        Ok(Some(agreed)) => Ok(agreed),
        Ok(None) => Err(format!("--deflate {params:?}: no permessage-deflate in it")),
        Err(e) => Err(format!("--deflate {params:?}: {e}")),
    }
}

/// The size of a read when no chunk size is given.
const READ_SIZE: usize = 64 * 1024;

/// Decode `input` as the frames an endpoint of `opts.role` receives, printing JSON Lines to `out`.
pub fn run(input: &mut dyn Read, opts: &Options, out: &mut dyn Write) -> io::Result<Outcome> {
    let mut config = Config::new(opts.role);
    config.report_frames = opts.frames;
    config.permessage_deflate = opts.deflate.is_some();
    let mut decoder = MessageDecoder::new(config);
    let mut inflater = opts
        .deflate
        .map(|agreed| Decompressor::new(agreed.receiving(opts.role)));
    let limit = config.limits.max_message_size;
    let mut inflated = Vec::new();
    let mut buf = vec![0u8; opts.chunk.map_or(READ_SIZE, NonZeroUsize::get)];
    loop {
        let n = read_full(input, &mut buf, opts.chunk.is_some())?;
        if n == 0 {
            break;
        }
        let mut piece = &mut buf[..n];
        loop {
            let decoded = match decoder.decode(&mut piece) {
                // RFC 7692 §7.2.2: a compressed message is inflated first.
                Ok(Some(Event::Message { kind, rsv, data })) if rsv & 0b100 != 0 => {
                    let result = match inflater.as_mut() {
                        Some(d) => inflate_message(d, kind, data, limit, &mut inflated),
                        None => Err(ErrorKind::InvalidCompressedData.into()),
                    };
                    match result {
                        Ok(()) => Ok(Some(event_json(&Event::Message {
                            kind,
                            rsv,
                            data: &inflated,
                        }))),
                        Err(e) => Err(e),
                    }
                }
                Ok(Some(event)) => Ok(Some(event_json(&event))),
                Ok(None) => Ok(None),
                Err(e) => Err(e),
            };
            match decoded {
                Ok(Some(line)) => print_line(out, &line)?,
                Ok(None) => break,
                Err(e) => {
                    print_line(
                        out,
                        &json!({"error": e.to_string(), "close_code": e.close_code()}),
                    )?;
                    return Ok(Outcome::ProtocolError);
                }
            }
        }
    }
    if !decoder.is_idle() {
        print_line(out, &json!({"truncated": true}))?;
    }
    Ok(Outcome::Complete)
}

fn print_line(out: &mut dyn Write, value: &Value) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}

/// The JSON object DESIGN §4 gives for an event.
fn event_json(event: &Event<'_>) -> Value {
    match event {
        Event::Frame(h) => json!({"frame": {
            "fin": h.fin,
            "rsv": h.rsv,
            "opcode": h.opcode.as_u8(),
            "masked": h.mask.is_some(),
            "len": h.payload_len,
        }}),
        Event::Message {
            kind: MessageKind::Text,
            data,
            ..
        } => json!({"message": "text", "data": String::from_utf8_lossy(data)}),
        Event::Message {
            kind: MessageKind::Binary,
            data,
            ..
        } => json!({"message": "binary", "hex": hex(data)}),
        Event::Ping(p) => json!({"ping": hex(p)}),
        Event::Pong(p) => json!({"pong": hex(p)}),
        Event::Close(Some(c)) => json!({"close": c.code.0, "reason": c.reason}),
        Event::Close(None) => json!({"close": null, "reason": ""}),
    }
}
