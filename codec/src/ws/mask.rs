//! Masking, RFC 6455 §5.3.
//!
//! Every byte `i` of a masked payload is XORed with byte `i mod 4` of the masking
//! key. A payload that arrives in pieces is unmasked piece by piece, so the key is
//! rotated by the piece's offset within the payload.
//!
//! The bulk is done in blocks of [`BLOCK`] bytes, in loops shaped so the compiler
//! turns them into SIMD loads, XORs and stores without any `unsafe`, kept out of
//! line so that shape does not depend on the caller they would be inlined into
//! (inlined into a large function, the OR accumulators of [`unmask_is_ascii`] were
//! spilled to the stack: a third of the speed). The blocks start at a 64-byte
//! boundary of memory, so no vector load or store straddles two cache lines
//! (measured: 40 against 65 GB/s in L1 for a buffer 14 bytes past a boundary, where
//! a frame's payload lies after its header). The bytes before the first boundary and
//! after the last block are done in straight-line steps.
//!
//! The block loops are compiled twice, for the baseline target and for AVX2,
//! and the `multiversion` crate picks one at run time (with `std`; without it,
//! the target's own features decide at compile time), so the codec keeps
//! `#![forbid(unsafe_code)]`. Measured on an AVX-512 Xeon (bench `ws-read-*`,
//! 64 KiB reads): binary 64 KiB messages 21.8 to 23.2 GiB/s, UTF-8 text in place
//! 8.4 to 8.7 GiB/s; 1 MiB messages are bound by memory, not by the XOR. An
//! AVX-512 version was slower (12 GiB/s: 512-bit vectors without the tuning
//! `-C target-cpu` brings), so there is none.
//!
//! [`extend_masked`] fuses a sender's two passes over a large payload: it appends
//! the payload masked, reading each byte once and writing it once, where a copy
//! then a mask in place write every byte twice (measured: 1 MiB frames 27%
//! faster, 64 KiB ones 22%).
//!
//! [`unmask_is_ascii`] fuses the receiver's two passes over a text payload: it
//! unmasks and, in the same pass, ORs the bytes together, so a piece that turns out
//! to be ASCII (always valid UTF-8, §5.6) needs no second look.

use alloc::vec::Vec;

/// Bytes per block of the vectorised loops, and the alignment of the first block.
const BLOCK: usize = 64;

/// The key as seen from payload position `offset`, its 4 bytes in the order they
/// apply from there on, repeated twice in a little-endian word.
#[inline]
fn key_word(key: [u8; 4], offset: u64) -> u64 {
    u64::from(u32::from_le_bytes(key).rotate_right(8 * (offset & 3) as u32)) * 0x0000_0001_0000_0001
}

/// The key word repeated over `N` bytes (`N` a multiple of 8), for the loops that
/// XOR a block of bytes with a block of key at a time.
#[inline(always)]
fn key_pattern<const N: usize>(word: u64) -> [u8; N] {
    let mut pattern = [0u8; N];
    for lane in pattern.chunks_exact_mut(8) {
        lane.copy_from_slice(&word.to_le_bytes());
    }
    pattern
}

/// XOR `buf` with `key`, as the bytes at positions `offset..offset + buf.len()` of
/// a payload masked with `key`. Masking and unmasking are the same operation.
#[inline]
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: u64) {
    mask::<false>(buf, key, offset);
}

/// Unmask `buf` as [`apply_mask`] does and report whether every unmasked byte is
/// ASCII, in one pass over the bytes.
#[inline]
pub fn unmask_is_ascii(buf: &mut [u8], key: [u8; 4], offset: u64) -> bool {
    mask::<true>(buf, key, offset) & 0x8080_8080_8080_8080 == 0
}

/// Masks `buf`; with `OR`, returns the OR of the masked bytes (in some byte of the
/// word), else 0.
#[inline(always)]
fn mask<const OR: bool>(buf: &mut [u8], key: [u8; 4], offset: u64) -> u64 {
    if buf.len() < 2 * BLOCK {
        return mask_short(buf, key_word(key, offset));
    }
    let head = buf.as_ptr().align_offset(BLOCK).min(buf.len());
    let (head_bytes, rest) = buf.split_at_mut(head);
    let mut any = mask_short(head_bytes, key_word(key, offset));
    let word = key_word(key, offset + head as u64);
    let (blocks, tail) = rest.split_at_mut(rest.len() / BLOCK * BLOCK);
    any |= if OR {
        mask_blocks_or(blocks, word)
    } else {
        mask_blocks(blocks, word);
        0
    };
    // The blocks are a multiple of 4 bytes long, so the key still lines up.
    any | mask_short(tail, word)
}

/// Bytes per step of [`extend_masked`], and the length of the key pattern it
/// XORs with (a multiple of 4, so every step starts where the key does).
const PATTERN: usize = 512;

/// Append `src` to `out` masked with `key` from `offset` into the payload, in one
/// pass: each byte is read once from `src` and written once to `out`, rather than
/// copied, then read and written again to mask it.
#[inline]
pub fn extend_masked(out: &mut Vec<u8>, src: &[u8], key: [u8; 4], offset: u64) {
    let word = key_word(key, offset);
    out.reserve(src.len());
    extend_masked_steps(out, src, &key_pattern(word));
}

/// [`PATTERN`]-byte steps of `src`, XORed with the pattern, appended to `out`
/// (out of line, as the block loops are, so the vector loop keeps its shape).
#[multiversion::multiversion(targets("x86_64+avx2"))]
#[inline(never)]
fn extend_masked_steps(out: &mut Vec<u8>, src: &[u8], pattern: &[u8; PATTERN]) {
    for step in src.chunks(PATTERN) {
        out.extend(step.iter().zip(pattern).map(|(b, k)| b ^ k));
    }
}

/// [`BLOCK`]-byte blocks as 8-byte words XORed with the key word.
#[multiversion::multiversion(targets("x86_64+avx2"))]
#[inline(never)]
fn mask_blocks(blocks: &mut [u8], word: u64) {
    for block in blocks.chunks_exact_mut(BLOCK) {
        for lane in block.chunks_exact_mut(8) {
            xor_word(lane, word);
        }
    }
}

/// [`mask_blocks`], also returning the OR of the masked bytes. Bytes against bytes
/// here, with one accumulator per byte of the block: the shape the compiler
/// vectorises when the loop also reduces (8-byte lanes with an OR reduction stay
/// scalar). The key pattern is computed from the word, so it is built in a register,
/// not stored byte by byte and read back (a stalled store forward).
#[multiversion::multiversion(targets("x86_64+avx2"))]
#[inline(never)]
fn mask_blocks_or(blocks: &mut [u8], word: u64) -> u64 {
    let pat: [u8; BLOCK] = key_pattern(word);
    let mut acc = [0u8; BLOCK];
    for block in blocks.chunks_exact_mut(BLOCK) {
        for ((b, k), a) in block.iter_mut().zip(&pat).zip(acc.iter_mut()) {
            *b ^= k;
            *a |= *b;
        }
    }
    acc.iter().fold(0, |x, y| x | u64::from(*y))
}

/// XOR 8 bytes with `word` (the key repeated twice); returns the result.
#[inline(always)]
fn xor_word(lane: &mut [u8], word: u64) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(lane);
    let v = u64::from_le_bytes(bytes) ^ word;
    lane.copy_from_slice(&v.to_le_bytes());
    v
}

/// Fewer than 128 bytes: 64, 32, 16 and 8 at a time in straight-line code (a loop
/// here gets vectorised with more set-up than the bytes repay), then 4, 2 and 1.
/// Returns the OR of the masked bytes (in some byte of the word).
#[inline]
fn mask_short(buf: &mut [u8], word: u64) -> u64 {
    debug_assert!(buf.len() < 2 * BLOCK);
    let mut any = 0;
    let mut rest = buf;
    for size in [64, 32, 16, 8] {
        if rest.len() >= size {
            let (head, after) = rest.split_at_mut(size);
            for w in head.chunks_exact_mut(8) {
                any |= xor_word(w, word);
            }
            rest = after;
        }
    }
    let mut key = word;
    if rest.len() >= 4 {
        let (four, after) = rest.split_at_mut(4);
        let v = u32::from_le_bytes([four[0], four[1], four[2], four[3]]) ^ key as u32;
        four.copy_from_slice(&v.to_le_bytes());
        any |= u64::from(v);
        rest = after; // 4 bytes on, the key lines up as before.
    }
    if rest.len() >= 2 {
        let (two, after) = rest.split_at_mut(2);
        let v = u16::from_le_bytes([two[0], two[1]]) ^ key as u16;
        two.copy_from_slice(&v.to_le_bytes());
        any |= u64::from(v);
        rest = after;
        key >>= 16;
    }
    if let [b] = rest {
        *b ^= key as u8;
        any |= u64::from(*b);
    }
    any
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_5_7_masked_hello_example() {
        // §5.7: "A single-frame masked text message": 0x81 0x85 0x37 0xfa 0x21 0x3d 0x7f 0x9f 0x4d 0x51 0x58
        let mut payload = [0x7f, 0x9f, 0x4d, 0x51, 0x58];
        apply_mask(&mut payload, [0x37, 0xfa, 0x21, 0x3d], 0);
        assert_eq!(&payload, b"Hello");
    }

    #[test]
    fn rfc6455_5_3_key_rotates_with_offset() {
        let key = [1, 2, 4, 8];
        let mut whole = *b"abcdefghijklmnopqrstu";
        apply_mask(&mut whole, key, 0);
        let mut pieces = *b"abcdefghijklmnopqrstu";
        let (a, rest) = pieces.split_at_mut(3);
        let (b, c) = rest.split_at_mut(9);
        apply_mask(a, key, 0);
        apply_mask(b, key, 3);
        apply_mask(c, key, 12);
        assert_eq!(whole, pieces);
    }

    #[test]
    fn extend_masked_appends_what_masking_a_copy_gives() {
        let key = [0x9d, 0x13, 0xe0, 0x7a];
        let data: alloc::vec::Vec<u8> = (0..3000u32).map(|i| (i * 37 % 251) as u8).collect();
        for len in [0, 1, 3, 4, 7, 63, 64, 511, 512, 513, 1024, 1500, 2999] {
            for offset in 0..4u64 {
                let src = &data[..len];
                let expected: alloc::vec::Vec<u8> = b"head"
                    .iter()
                    .copied()
                    .chain(
                        src.iter()
                            .enumerate()
                            .map(|(i, b)| b ^ key[(i + offset as usize) % 4]),
                    )
                    .collect();
                let mut out = b"head".to_vec();
                extend_masked(&mut out, src, key, offset);
                assert_eq!(out, expected, "length {len}, offset {offset}");
            }
        }
    }

    #[test]
    fn every_length_offset_and_alignment_matches_the_definition() {
        // §5.3: "octet i of the transformed data is the XOR of octet i of the original
        // data with octet at index i modulo 4 of the masking key". Every start position
        // within a cache line, so the aligned blocks begin at every possible point.
        let key = [0x9d, 0x13, 0xe0, 0x7a];
        let data: alloc::vec::Vec<u8> = (0..400u32).map(|i| (i * 37 % 251) as u8).collect();
        for start in 0..64 {
            for len in (0..300).filter(|l| start < 2 || l % 7 == 0 || *l < 140) {
                let src = &data[start..start + len];
                for offset in 0..4u64 {
                    let expected: alloc::vec::Vec<u8> = src
                        .iter()
                        .enumerate()
                        .map(|(i, b)| b ^ key[(i + offset as usize) % 4])
                        .collect();
                    let mut plain = data.clone();
                    apply_mask(&mut plain[start..start + len], key, offset);
                    assert_eq!(
                        &plain[start..start + len],
                        &expected[..],
                        "{start} {len} {offset}"
                    );
                    let mut fused = data.clone();
                    let ascii = unmask_is_ascii(&mut fused[start..start + len], key, offset);
                    assert_eq!(
                        &fused[start..start + len],
                        &expected[..],
                        "{start} {len} {offset}"
                    );
                    assert_eq!(ascii, expected.is_ascii(), "{start} {len} {offset}");
                }
            }
        }
    }

    #[test]
    fn ascii_check_sees_a_high_bit_anywhere() {
        let key = [0x11, 0x22, 0x33, 0x44];
        for len in [1, 63, 64, 127, 128, 129, 300, 1000] {
            for at in [0, len / 2, len - 1] {
                let mut plain = alloc::vec![b'a'; len];
                plain[at] = 0xC3;
                apply_mask(&mut plain, key, 0);
                assert!(!unmask_is_ascii(&mut plain, key, 0), "{len} {at}");
            }
        }
    }
}
