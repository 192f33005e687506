//! The chunked transfer coding (RFC 9112 §7.1), decoded incrementally and
//! bounded: a body of any size in any pieces, without allocating by a length
//! the peer announces. Chunk sizes are counted down, never reserved; a
//! chunk-size or trailer line is kept only up to [`MAX_CHUNK_LINE`] bytes, so a
//! peer that never ends one fails at that bound, and the trailer section as a
//! whole ends within [`MAX_TRAILER_SECTION`] bytes, so a peer that sends
//! trailer lines forever fails there too. Trailer fields are skipped, not kept
//! (RFC 9112 §7.1.2: a recipient may discard them).

use alloc::vec::Vec;
use core::fmt;

/// The longest chunk-size line (with extensions) or trailer line accepted.
pub const MAX_CHUNK_LINE: usize = 4096;

/// The most bytes the trailer section may take, its final empty line included
/// (RFC 9112 §7.1.2 sets no bound; this is the codec's, the size of the default
/// head bound of [`HeadLimits`](super::HeadLimits)).
pub const MAX_TRAILER_SECTION: usize = 16 * 1024;

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
    /// A trailer section longer than [`MAX_TRAILER_SECTION`] bytes without its
    /// final empty line (RFC 9112 §7.1.2).
    TrailersTooLarge,
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
            ChunkError::TrailersTooLarge => write!(
                f,
                "a trailer section longer than {MAX_TRAILER_SECTION} bytes (RFC 9112 §7.1.2)"
            ),
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
    /// Bytes of the trailer section in completed lines.
    trailer: usize,
}

impl Chunked {
    /// Take transport bytes and append the body bytes they carry to `out`.
    /// Returns `Ok(true)` once the body is complete (the last chunk and the
    /// trailer section are in); bytes after its end are not looked at.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<bool, ChunkError> {
        let mut input = input;
        self.run(&mut input, out)
    }

    /// As [`Chunked::decode`], also saying how many bytes of `input` the body
    /// took: once it is complete, what follows (the next message on a kept-alive
    /// connection) starts there.
    pub fn decode_counted(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(bool, usize), ChunkError> {
        let mut rest = input;
        let done = self.run(&mut rest, out)?;
        Ok((done, input.len() - rest.len()))
    }

    fn run(&mut self, input: &mut &[u8], out: &mut Vec<u8>) -> Result<bool, ChunkError> {
        while !input.is_empty() {
            match self.state {
                State::Size | State::Trailer => {
                    let newline = memchr::memchr(b'\n', input);
                    self.check_bounds(input, newline)?;
                    let Some(i) = newline else {
                        self.line.extend_from_slice(input);
                        *input = &input[input.len()..];
                        return Ok(false);
                    };
                    self.line.extend_from_slice(&input[..=i]);
                    *input = &input[i + 1..];
                    let line = core::mem::take(&mut self.line);
                    if self.state == State::Trailer {
                        self.trailer += line.len();
                        // RFC 9112 §7.1.2: trailer fields end with an empty line.
                        if line == b"\r\n" || line == b"\n" {
                            self.state = State::Done;
                            return Ok(true);
                        }
                        continue;
                    }
                    // RFC 9112 §7.1: chunk-size [ chunk-ext ] CRLF, and
                    // chunk-size = 1*HEXDIG: httparse reads an empty line as size 0,
                    // which would end the body at a blank line.
                    let parsed = match line.first() {
                        Some(b) if b.is_ascii_hexdigit() => httparse::parse_chunk_size(&line),
                        _ => Err(httparse::InvalidChunkSize),
                    };
                    let size = match parsed {
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
                    *input = &input[take..];
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
                    *input = &input[1..];
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

    /// The bounds on the line being read, checked before any of `input` is kept:
    /// the line itself (its bytes before LF) within [`MAX_CHUNK_LINE`], and in the
    /// trailer section the whole section within [`MAX_TRAILER_SECTION`]. When this
    /// input breaks both, the error is the bound its earlier byte breaks, so the
    /// verdict is the same however the input was split.
    fn check_bounds(&self, input: &[u8], newline: Option<usize>) -> Result<(), ChunkError> {
        let text = newline.unwrap_or(input.len());
        // The 1-based position in `input` of the byte that breaks each bound.
        let line_breaks = (self.line.len() + text > MAX_CHUNK_LINE)
            .then(|| (MAX_CHUNK_LINE + 1).saturating_sub(self.line.len()));
        let trailer_breaks = if self.state == State::Trailer {
            // RFC 9112 §7.1.2: the trailer section, bounded as a whole.
            let taken = newline.map_or(input.len(), |i| i + 1);
            let before = self.trailer + self.line.len();
            (before + taken > MAX_TRAILER_SECTION)
                .then(|| (MAX_TRAILER_SECTION + 1).saturating_sub(before))
        } else {
            None
        };
        match (line_breaks, trailer_breaks) {
            (Some(line), Some(trailer)) if trailer < line => Err(ChunkError::TrailersTooLarge),
            (Some(_), _) => Err(ChunkError::LineTooLong),
            (None, Some(_)) => Err(ChunkError::TrailersTooLarge),
            (None, None) => Ok(()),
        }
    }

    /// Whether the body is complete.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }
}
