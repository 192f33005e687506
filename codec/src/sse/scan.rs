//! Byte searches tuned for the short lines of an event stream.
//!
//! Most lines of a busy stream are a few dozen bytes (`id: 42`, `event: tick`, a short
//! JSON `data` line), and a chunk fed one byte at a time is searched one byte at a
//! time. `memchr`'s SIMD search has a fixed cost per call that such short searches do
//! not repay, so the first [`HEAD`] bytes are searched here eight at a time in a
//! `u64` (SWAR), the last few one by one; only a search that gets past them goes to
//! `memchr`. The results are exactly `memchr`'s.

use memchr::{memchr, memchr2};

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
}
