//! Byte searches tuned for the short lines of an event stream.
//!
//! Most lines of a busy stream are a few dozen bytes (`id: 42`, `event: tick`, a short
//! JSON `data` line). `memchr`'s SIMD search has a fixed cost per call that such short
//! searches do not repay, so line ends are found two ways:
//! * [`Terminators`], for a chunk with many lines: 64 bytes at a time, four 16-byte
//!   SIMD compares against CR and LF make one bit mask, and each line end is then a
//!   trailing-zero count. The compares cost about as much as one short `memchr2` call,
//!   paid once per 64 bytes instead of once per line (measured on small events: half
//!   the time of a `memchr2` per line). A block with no line end hands the rest of a
//!   long line to `memchr2`.
//! * [`find2`] and [`find1`], for one search in few bytes (a chunk fed a byte at a
//!   time, the colon of a field): the first [`HEAD`] bytes eight at a time in a `u64`
//!   (SWAR), the last few one by one; only a search that gets past them goes to
//!   `memchr`.
//!
//! The results are exactly `memchr`'s.

use memchr::{memchr, memchr2};
use wide::u8x16;

/// Bytes searched word by word before handing the rest to `memchr`.
const HEAD: usize = 64;

const LOW_BITS: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// A word whose lowest set high bit marks the first zero byte of `v` (a borrow may
/// set bits above it spuriously, never below: only the lowest is used).
#[inline(always)]
fn zero_bytes(v: u64) -> u64 {
    v.wrapping_sub(LOW_BITS) & !v & HIGH_BITS
}

/// The position of the first `a` or `b` in `bytes`.
#[inline]
pub(super) fn find2(a: u8, b: u8, bytes: &[u8]) -> Option<usize> {
    let (wa, wb) = (LOW_BITS * u64::from(a), LOW_BITS * u64::from(b));
    let head = &bytes[..bytes.len().min(HEAD)];
    let mut words = head.chunks_exact(8);
    for (i, w) in (&mut words).enumerate() {
        let w = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        let hits = zero_bytes(w ^ wa) | zero_bytes(w ^ wb);
        if hits != 0 {
            return Some(8 * i + (hits.trailing_zeros() / 8) as usize);
        }
    }
    let done = head.len() - words.remainder().len();
    if let Some(i) = words.remainder().iter().position(|&c| c == a || c == b) {
        return Some(done + i);
    }
    let rest = bytes.get(HEAD..).filter(|r| !r.is_empty())?;
    memchr2(a, b, rest).map(|i| HEAD + i)
}

/// The position of the first `a` in `bytes`.
#[inline]
pub(super) fn find1(a: u8, bytes: &[u8]) -> Option<usize> {
    let wa = LOW_BITS * u64::from(a);
    let head = &bytes[..bytes.len().min(HEAD)];
    let mut words = head.chunks_exact(8);
    for (i, w) in (&mut words).enumerate() {
        let w = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        let hits = zero_bytes(w ^ wa);
        if hits != 0 {
            return Some(8 * i + (hits.trailing_zeros() / 8) as usize);
        }
    }
    let done = head.len() - words.remainder().len();
    if let Some(i) = words.remainder().iter().position(|&c| c == a) {
        return Some(done + i);
    }
    let rest = bytes.get(HEAD..).filter(|r| !r.is_empty())?;
    memchr(a, rest).map(|i| HEAD + i)
}

/// Bytes covered by one mask of [`Terminators`].
const BLOCK: usize = 64;

/// The CR and LF positions in `bytes[from..from + 64]` as a bit mask (bit `i` for
/// `bytes[from + i]`); bytes past the end count as neither.
#[inline]
fn block_mask(bytes: &[u8], from: usize) -> u64 {
    if let Some(block) = bytes.get(from..from + BLOCK) {
        return mask_of(block);
    }
    if let Some(last) = bytes.len().checked_sub(BLOCK) {
        // The last, partial block inside a longer slice: the last 64 bytes, shifted
        // past the ones before `from`.
        return mask_of(&bytes[last..]) >> (from - last);
    }
    // A slice shorter than a block: zeros are neither CR nor LF.
    let rest = bytes.get(from..).unwrap_or_default();
    let mut block = [0u8; BLOCK];
    block[..rest.len()].copy_from_slice(rest);
    mask_of(&block)
}

/// [`block_mask`] of exactly [`BLOCK`] bytes.
#[inline(always)]
fn mask_of(block: &[u8]) -> u64 {
    let (cr, lf) = (u8x16::splat(b'\r'), u8x16::splat(b'\n'));
    let mut mask = 0u64;
    for (i, lane) in block.chunks_exact(16).enumerate() {
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(lane);
        let v = u8x16::new(bytes);
        // `move_mask` gathers the top bit of each lane: set where a compare matched.
        let hits = (v.cmp_eq(cr) | v.cmp_eq(lf)).move_mask() as u32 & 0xFFFF;
        mask |= u64::from(hits) << (16 * i);
    }
    mask
}

/// The line ends (CR or LF) of one chunk, found block by block and handed out in
/// order; see the module doc. Each byte is compared about once (the last, partial
/// block of a longer slice re-compares up to 63 bytes before it).
#[derive(Debug, Clone, Default)]
pub(super) struct Terminators {
    /// Where the current block starts.
    base: usize,
    /// Line ends in the current block, bit `i` for `base + i`.
    mask: u64,
    /// Every line end before this position is in `mask` or was handed out.
    end: usize,
}

impl Terminators {
    /// The position of the first CR or LF at or after `from` in `bytes`, which must
    /// be the same slice on every call, with `from` greater than the position the
    /// previous call returned (the parser asks from just after each line end; a
    /// smaller `from` may skip a line end).
    #[inline]
    pub(super) fn find(&mut self, bytes: &[u8], from: usize) -> Option<usize> {
        let off = from.wrapping_sub(self.base);
        // Bits at and after `from` (none when `from` is past the block).
        let left = if off < BLOCK {
            self.mask & (u64::MAX << off)
        } else {
            0
        };
        if left != 0 {
            return Some(self.base + left.trailing_zeros() as usize);
        }
        let from = from.max(self.end);
        if from >= bytes.len() {
            // The end of a chunk (every chunk ends here once): no call.
            return None;
        }
        self.refill(bytes, from)
    }

    /// Masks the next block from `from` on; a block with no line end hands the rest
    /// of the search to `memchr2` (a long line), then masks the block at its result.
    /// `from` is inside `bytes` (see [`Terminators::find`]).
    #[inline(always)]
    fn refill(&mut self, bytes: &[u8], from: usize) -> Option<usize> {
        let mut base = from;
        let mut mask = block_mask(bytes, from);
        if mask == 0 {
            let rest = bytes.get(from + BLOCK..).unwrap_or_default();
            base = from + BLOCK + memchr2(b'\r', b'\n', rest)?;
            mask = block_mask(bytes, base);
        }
        self.base = base;
        self.mask = mask;
        self.end = base + BLOCK;
        Some(base + mask.trailing_zeros() as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn agrees_with_memchr_at_every_position_and_length() {
        for len in 0..150usize {
            for pos in 0..=len {
                for other in [None, Some(pos / 2), Some(len.saturating_sub(1))] {
                    let mut bytes: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
                    // Bytes that differ from the target by one bit each, to trip
                    // any false positive of the zero-byte trick.
                    for (i, b) in bytes.iter_mut().enumerate() {
                        if i % 3 == 0 {
                            *b = [b'\n' ^ 1, b'\r' ^ 0x80, b':' ^ 2, 0x0B][i % 4];
                        }
                    }
                    if pos < len {
                        bytes[pos] = b'\n';
                    }
                    if let Some(o) = other.filter(|&o| o < len) {
                        bytes[o] = b'\r';
                    }
                    assert_eq!(find2(b'\r', b'\n', &bytes), memchr2(b'\r', b'\n', &bytes));
                    assert_eq!(find1(b'\n', &bytes), memchr(b'\n', &bytes));
                    assert_eq!(find1(b':', &bytes), memchr(b':', &bytes));
                }
            }
        }
    }

    /// Every line end of `bytes`, asked for as the parser asks: from just after the
    /// previous one, sometimes skipping ahead (a CR LF pair, a line the parser
    /// takes whole).
    fn all_ends(bytes: &[u8], skip: usize) -> Vec<usize> {
        let mut ends = Vec::new();
        let mut scanner = Terminators::default();
        let mut from = 0;
        while let Some(at) = scanner.find(bytes, from) {
            ends.push(at);
            from = at + 1 + (ends.len() % 3 == 0) as usize * skip;
        }
        ends
    }

    #[test]
    fn terminators_agree_with_memchr2_across_blocks_and_long_lines() {
        for len in [0usize, 1, 15, 16, 63, 64, 65, 127, 128, 129, 200, 1000] {
            for every in [1usize, 2, 7, 31, 63, 64, 65, 130, 2000] {
                for skip in [0usize, 1, 5, 70] {
                    let bytes: Vec<u8> = (0..len)
                        .map(|i| match i % every {
                            0 if i % 2 == 0 => b'\n',
                            0 => b'\r',
                            // Neighbours of CR and LF, and bytes with the top bit set.
                            _ => [b'\n' ^ 1, b'\r' ^ 0x80, 0x8D, b'a'][i % 4],
                        })
                        .collect();
                    let mut want = Vec::new();
                    let mut from = 0;
                    while let Some(i) = bytes.get(from..).and_then(|r| memchr2(b'\r', b'\n', r)) {
                        want.push(from + i);
                        from += i + 1 + (want.len() % 3 == 0) as usize * skip;
                    }
                    assert_eq!(
                        all_ends(&bytes, skip),
                        want,
                        "len {len} every {every} skip {skip}"
                    );
                }
            }
        }
    }
}
