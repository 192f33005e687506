//! The chunked transfer coding (RFC 9112 §7.1), decoded incrementally and
//! bounded: a body of any size in any pieces, without allocating by a length
//! the peer announces. Chunk sizes are counted down, never reserved; a
//! chunk-size or trailer line is kept only up to [`MAX_CHUNK_LINE`] bytes, so a
//! peer that never ends one fails at that bound.

use alloc::vec::Vec;
use core::fmt;

/// The longest chunk-size line (with extensions) or trailer line accepted.
pub const MAX_CHUNK_LINE: usize = 4096;

/// Why a chunked body is invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkError {
    /// A chunk-size or trailer line longer than [`MAX_CHUNK_LINE`] bytes.
    LineTooLong,
    /// A chunk-size line that is not `chunk-size [ chunk-ext ] CRLF` (RFC 9112
    /// §7.1), or a size that does not fit 64 bits; the line's first 64 bytes.
    BadSize(Vec<u8>),
    /// Chunk data not followed by CRLF (RFC 9112 §7.1).
    MissingCrlf,
}

impl fmt::Display for ChunkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChunkError::LineTooLong => write!(
                f,
                "a chunk-size or trailer line longer than {MAX_CHUNK_LINE} bytes"
            ),
            ChunkError::BadSize(line) => write!(
                f,
                "invalid chunk-size line {:?} (RFC 9112 §7.1)",
                alloc::string::String::from_utf8_lossy(line)
            ),
            ChunkError::MissingCrlf => f.write_str("chunk data not followed by CRLF"),
        }
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a chunk-size line.
    #[default]
    Size,
    /// Inside chunk data: this many bytes are left.
    Data(u64),
    /// After chunk data: the CRLF (this many bytes of it seen).
    DataEnd(u8),
    /// After the last chunk: trailer lines until an empty one.
    Trailer,
    /// The body is complete.
    Done,
}

/// The decoder of a chunked body.
#[derive(Debug, Default, Clone)]
pub struct Chunked {
    state: State,
    line: Vec<u8>,
}

impl Chunked {
    /// Take transport bytes and append the body bytes they carry to `out`.
    /// Returns `Ok(true)` once the body is complete (the last chunk and the
    /// trailer section are in); bytes after its end are not looked at.
    pub fn decode(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<bool, ChunkError> {
        while !input.is_empty() {
            match self.state {
                State::Size | State::Trailer => {
                    let Some(i) = memchr::memchr(b'\n', input) else {
                        if self.line.len() + input.len() > MAX_CHUNK_LINE {
                            return Err(ChunkError::LineTooLong);
                        }
                        self.line.extend_from_slice(input);
                        return Ok(false);
                    };
                    if self.line.len() + i > MAX_CHUNK_LINE {
                        return Err(ChunkError::LineTooLong);
                    }
                    self.line.extend_from_slice(&input[..=i]);
                    input = &input[i + 1..];
                    let line = core::mem::take(&mut self.line);
                    if self.state == State::Trailer {
                        // RFC 9112 §7.1.2: trailer fields end with an empty line.
                        if line == b"\r\n" || line == b"\n" {
                            self.state = State::Done;
                            return Ok(true);
                        }
                        continue;
                    }
                    // RFC 9112 §7.1: chunk-size [ chunk-ext ] CRLF.
                    let size = match httparse::parse_chunk_size(&line) {
                        Ok(httparse::Status::Complete((_, size))) => size,
                        _ => {
                            let mut shown = line;
                            while shown.last().is_some_and(|b| b.is_ascii_whitespace()) {
                                shown.pop();
                            }
                            shown.truncate(64);
                            return Err(ChunkError::BadSize(shown));
                        }
                    };
                    // RFC 9112 §7.1: a size of 0 is the last chunk.
                    self.state = if size == 0 {
                        State::Trailer
                    } else {
                        State::Data(size)
                    };
                }
                State::Data(left) => {
                    let take = input.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    out.extend_from_slice(&input[..take]);
                    input = &input[take..];
                    let left = left - take as u64;
                    self.state = if left == 0 {
                        State::DataEnd(0)
                    } else {
                        State::Data(left)
                    };
                }
                State::DataEnd(seen) => {
                    let expected = if seen == 0 { b'\r' } else { b'\n' };
                    if input[0] != expected {
                        return Err(ChunkError::MissingCrlf);
                    }
                    input = &input[1..];
                    self.state = if seen == 0 {
                        State::DataEnd(1)
                    } else {
                        State::Size
                    };
                }
                State::Done => return Ok(true),
            }
        }
        Ok(self.state == State::Done)
    }

    /// Whether the body is complete.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }
}
