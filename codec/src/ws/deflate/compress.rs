//! Per-message compression (RFC 7692 §7.2), by zlib-rs: raw DEFLATE with the
//! negotiated window, a sync flush per message with its `00 00 ff ff` tail
//! removed (§7.2.1), the tail restored before inflating (§7.2.2), and the
//! context kept or reset after each message as agreed (§7.1.1).
//!
//! Inflation is bounded while it runs: output is produced a block at a time
//! and a message that grows past the caller's limit stops there (a 1 KiB
//! message that would inflate to gigabytes costs at most the limit plus one
//! block), so a peer cannot make an endpoint allocate by compressing well.
//!
//! Adaptive compression (opt-in, [`Compressor::adaptive`]): RFC 7692 §6 marks
//! compression per message (RSV1) precisely so that an endpoint may send a
//! message whose contents do not compress as it is. An adaptive compressor
//! judges by its own results: after a message that did not shrink by a fifth
//! (already-compressed data: pictures, PDFs, archives; deflate costs several
//! nanoseconds a byte on them to save little or, with level 1's fixed codes,
//! to grow them) it sends the next one uncompressed, after another such result
//! the next two, then four, up to [`MAX_SKIPPED`], and compresses again at once
//! when a tried message shrinks. A skipped message never enters the
//! compression context, exactly as it never enters the peer's inflater, so
//! context takeover stays in step.
//!
//! Window bits 8: zlib (and zlib-rs) cannot deflate with a raw 256-byte window.
//! A compressor limited to 8 bits therefore writes stored blocks (level 0, no
//! back-references at all), which any decompressor reads whatever its window;
//! the messages are valid and simply not smaller.

use alloc::vec::Vec;
use core::fmt;

use zlib_rs::{Deflate, DeflateConfig, DeflateFlush, Inflate, InflateFlush, Status, Strategy};

use super::negotiate::Direction;
use crate::ws::message::MessageKind;
use crate::ws::{ErrorKind, ProtocolError};

/// The tail every sync-flushed message ends with, removed on the wire (§7.2.1).
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// Output is produced in blocks of this size.
const BLOCK: usize = 16 * 1024;

/// The compression level of [`Compressor::new`]: zlib's default.
pub const DEFAULT_LEVEL: u8 = 6;

/// Why a compressed message could not be inflated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InflateError {
    /// It inflates to more than the limit (RFC 6455 §7.4.1: 1009).
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// It is not valid DEFLATE data (RFC 7692 §7.2.2: fail the connection, 1007
    /// as for invalid payload data).
    Corrupt,
}

impl InflateError {
    /// The close code to fail the connection with.
    pub const fn close_code(&self) -> u16 {
        match self {
            InflateError::TooLarge { .. } => 1009,
            InflateError::Corrupt => 1007,
        }
    }
}

impl fmt::Display for InflateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InflateError::TooLarge { limit } => write!(
                f,
                "the message inflates to more than {limit} bytes (RFC 6455 §7.4.1, RFC 7692 §7.2.2)"
            ),
            InflateError::Corrupt => {
                f.write_str("the compressed message is not valid DEFLATE data (RFC 7692 §7.2.2)")
            }
        }
    }
}

/// The most messages in a row an adaptive compressor sends uncompressed
/// before it tries compressing again.
pub const MAX_SKIPPED: u32 = 64;

/// The sending side of a direction: compresses messages.
pub struct Compressor {
    deflate: Deflate,
    no_context_takeover: bool,
    /// With [`Compressor::adaptive`]: how many messages to send uncompressed
    /// before the next try, and how many after the next poor result.
    adaptive: Option<Backoff>,
}

/// Adaptive compression's state.
#[derive(Debug, Clone, Copy, Default)]
struct Backoff {
    skip: u32,
    next: u32,
}

impl fmt::Debug for Compressor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compressor")
            .field("no_context_takeover", &self.no_context_takeover)
            .finish_non_exhaustive()
    }
}

impl Compressor {
    /// A compressor for the direction agreed.
    pub fn new(direction: Direction) -> Compressor {
        Compressor::with_level(direction, DEFAULT_LEVEL)
    }

    /// A compressor for the direction agreed, at zlib level `level` (0-9,
    /// larger values are 9): 1 is fastest, 6 zlib's default, 0 stored blocks.
    pub fn with_level(direction: Direction, level: u8) -> Compressor {
        Compressor::configured(
            direction,
            DeflateConfig {
                level: i32::from(level.min(9)),
                ..DeflateConfig::default()
            },
        )
    }

    /// A compressor for the direction agreed that codes literals only (zlib's
    /// `Z_HUFFMAN_ONLY`): dynamic Huffman blocks without back-references. For
    /// high-entropy bytes, where a match search finds next to nothing, it
    /// writes what level 2 writes at about three times its speed.
    pub fn literals_only(direction: Direction) -> Compressor {
        Compressor::configured(
            direction,
            DeflateConfig {
                level: 1,
                strategy: Strategy::HuffmanOnly,
                ..DeflateConfig::default()
            },
        )
    }

    fn configured(direction: Direction, mut config: DeflateConfig) -> Compressor {
        let mut bits = direction.max_window_bits.clamp(8, 15);
        if bits == 8 {
            // No raw 8-bit window in zlib: stored blocks, which need none.
            config = DeflateConfig {
                level: 0,
                ..DeflateConfig::default()
            };
            bits = 9;
        }
        // Negative: raw DEFLATE, no zlib header (RFC 7692 §7.2.1).
        config.window_bits = -i32::from(bits);
        Compressor {
            deflate: Deflate::new_with_config(config),
            no_context_takeover: direction.no_context_takeover,
            adaptive: None,
        }
    }

    /// This compressor, made adaptive (see the module doc): with
    /// [`Compressor::compress_message`] it sends messages that do not compress
    /// uncompressed, backing off exponentially.
    pub fn adaptive(mut self) -> Compressor {
        self.adaptive = Some(Backoff::default());
        self
    }

    /// Compress one message into `out` unless the adaptive policy sends it
    /// uncompressed: `true` if `out` got its compressed form (send it with
    /// RSV1), `false` if nothing was appended (send `data` as it is, RSV1
    /// clear; RFC 7692 §6). Without [`Compressor::adaptive`] always `true`.
    pub fn compress_message(&mut self, data: &[u8], out: &mut Vec<u8>) -> bool {
        if let Some(b) = self.adaptive.as_mut().filter(|b| b.skip > 0) {
            b.skip -= 1;
            return false;
        }
        let start = out.len();
        self.compress(data, out);
        if let Some(b) = self.adaptive.as_mut() {
            // Poor: it did not shrink by a fifth.
            if (out.len() - start) * 5 > data.len() * 4 {
                b.next = (b.next * 2).clamp(1, MAX_SKIPPED);
                b.skip = b.next;
            } else {
                b.next = 0;
            }
        }
        true
    }

    /// Append the compressed form of one message to `out` (§7.2.1): deflate
    /// with a sync flush, the final `00 00 ff ff` removed.
    pub fn compress(&mut self, data: &[u8], out: &mut Vec<u8>) {
        let start = out.len();
        let in_start = self.deflate.total_in();
        let mut block = [0u8; BLOCK];
        loop {
            let consumed = (self.deflate.total_in() - in_start) as usize;
            let before = self.deflate.total_out();
            // zlib-rs reports no error for a valid stream and a flush; a failure
            // here would be a bug of ours, and the loop then ends on no progress.
            let _ = self
                .deflate
                .compress(&data[consumed..], &mut block, DeflateFlush::SyncFlush);
            let produced = (self.deflate.total_out() - before) as usize;
            out.extend_from_slice(&block[..produced]);
            let now = (self.deflate.total_in() - in_start) as usize;
            // Done when all input is in and the flush left room; a call that
            // moved nothing ends the loop too, whatever the reason.
            if (now >= data.len() && produced < BLOCK) || (produced == 0 && now == consumed) {
                break;
            }
        }
        // §7.2.1: the sync flush ends with an empty stored block, 00 00 ff ff.
        if out[start..].ends_with(&TAIL) {
            out.truncate(out.len() - TAIL.len());
        } else if out.len() == start {
            // zlib writes nothing for a flush right after a flush (an empty
            // message following another message), and an empty payload would
            // inflate as the start of a stored block whose length is the
            // restored tail. §7.2.3.6: an empty message is the single byte 00
            // (an empty stored block, BFINAL 0, its tail removed).
            out.push(0x00);
        }
        // §7.1.1: without context takeover, each message starts a fresh stream.
        if self.no_context_takeover {
            self.deflate.reset();
        }
    }
}

/// The receiving side of a direction: inflates messages, bounded.
pub struct Decompressor {
    inflate: Inflate,
    no_context_takeover: bool,
}

impl fmt::Debug for Decompressor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decompressor")
            .field("no_context_takeover", &self.no_context_takeover)
            .finish_non_exhaustive()
    }
}

impl Decompressor {
    /// A decompressor for the direction agreed. It always keeps a 32 KiB
    /// window, which reads any smaller one.
    pub fn new(direction: Direction) -> Decompressor {
        Decompressor {
            inflate: Inflate::new(false, 15),
            no_context_takeover: direction.no_context_takeover,
        }
    }

    /// Append the inflated form of one message's payload to `out` (§7.2.2:
    /// the `00 00 ff ff` tail appended, then inflated), producing at most
    /// `limit` bytes: past it, [`InflateError::TooLarge`] before any more is kept.
    pub fn decompress(
        &mut self,
        data: &[u8],
        limit: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), InflateError> {
        let start = out.len();
        let result = self.feed(data, limit, start, out).and_then(|ended| {
            if ended {
                Ok(true)
            } else {
                self.feed(&TAIL, limit, start, out)
            }
        });
        match result {
            Ok(ended) => {
                // A final block (BFINAL) ends the stream: the next message starts
                // a new one; so does every message without context takeover.
                if ended || self.no_context_takeover {
                    self.inflate.reset(false);
                }
                Ok(())
            }
            Err(e) => {
                out.truncate(start);
                self.inflate.reset(false);
                Err(e)
            }
        }
    }

    /// Inflate `input` into `out`; `Ok(true)` if the stream ended (BFINAL).
    fn feed(
        &mut self,
        input: &[u8],
        limit: usize,
        start: usize,
        out: &mut Vec<u8>,
    ) -> Result<bool, InflateError> {
        let in_start = self.inflate.total_in();
        let mut block = [0u8; BLOCK];
        loop {
            let consumed = (self.inflate.total_in() - in_start) as usize;
            let before = self.inflate.total_out();
            let status = self
                .inflate
                .decompress(&input[consumed..], &mut block, InflateFlush::SyncFlush)
                .map_err(|_| InflateError::Corrupt)?;
            let produced = (self.inflate.total_out() - before) as usize;
            // Checked before the block is kept: memory stays within the limit.
            if out.len() - start + produced > limit {
                return Err(InflateError::TooLarge { limit });
            }
            out.extend_from_slice(&block[..produced]);
            if status == Status::StreamEnd {
                return Ok(true);
            }
            let now = (self.inflate.total_in() - in_start) as usize;
            if (now >= input.len() && produced < BLOCK) || (produced == 0 && now == consumed) {
                return Ok(false);
            }
        }
    }
}

/// One compressed message as an endpoint takes it (RFC 7692 §6.2): inflated
/// into `out` (cleared first) within `limit` bytes, and a text one checked as
/// UTF-8 once inflated (RFC 6455 §8.1), each failure the protocol error the
/// connection fails with (1009, 1007).
pub fn inflate_message(
    decompressor: &mut Decompressor,
    kind: MessageKind,
    data: &[u8],
    limit: u64,
    out: &mut Vec<u8>,
) -> Result<(), ProtocolError> {
    out.clear();
    let cap = usize::try_from(limit).unwrap_or(usize::MAX);
    decompressor
        .decompress(data, cap, out)
        .map_err(|e| match e {
            InflateError::TooLarge { .. } => {
                ProtocolError::from(ErrorKind::InflatedTooLarge { limit })
            }
            InflateError::Corrupt => ProtocolError::from(ErrorKind::InvalidCompressedData),
        })?;
    if kind == MessageKind::Text {
        if let Err(e) = core::str::from_utf8(out) {
            let offset = e.valid_up_to() as u64;
            return Err(ErrorKind::InvalidUtf8 { offset }.into());
        }
    }
    Ok(())
}
