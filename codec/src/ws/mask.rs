//! Masking, RFC 6455 §5.3.
//!
//! Every byte `i` of a masked payload is XORed with byte `i mod 4` of the masking
//! key. A payload that arrives in pieces is unmasked piece by piece, so the key is
//! rotated by the piece's offset within the payload.
//!
//! The loops work on blocks of [`BLOCK`] bytes as 8-byte words XORed with the
//! rotated key repeated twice: a fixed-size shape the compiler turns into SIMD loads,
//! XORs and stores without any `unsafe`. What does not fill a block is done in
//! words, then bytes.
//!
//! [`unmask_is_ascii`] fuses the receiver's two passes over a text payload: it
//! unmasks and, in the same pass, ORs the bytes together, so a piece that turns out
//! to be ASCII (always valid UTF-8, §5.6) needs no second look.

/// Bytes per block of the vectorised loops.
const BLOCK: usize = 64;

/// The key as seen from payload position `offset`: its 4 bytes in the order they
/// apply from there on, as a little-endian word.
#[inline]
fn rotated(key: [u8; 4], offset: u64) -> u32 {
    u32::from_le_bytes(key).rotate_right(8 * (offset & 3) as u32)
}

/// XOR `buf` with `key`, as the bytes at positions `offset..offset + buf.len()` of
/// a payload masked with `key`. Masking and unmasking are the same operation.
#[inline]
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: u64) {
    let word = u64::from(rotated(key, offset)) * 0x0000_0001_0000_0001;
    let mut blocks = buf.chunks_exact_mut(BLOCK);
    for block in &mut blocks {
        for lane in block.chunks_exact_mut(8) {
            xor_word(lane, word);
        }
    }
    // Every block is a multiple of 4 bytes long, so the key still lines up.
    mask_tail(blocks.into_remainder(), word);
}

/// Unmask `buf` as [`apply_mask`] does and report whether every unmasked byte is
/// ASCII, in one pass over the bytes.
#[inline]
pub fn unmask_is_ascii(buf: &mut [u8], key: [u8; 4], offset: u64) -> bool {
    let word = u64::from(rotated(key, offset)) * 0x0000_0001_0000_0001;
    let mut blocks = buf.chunks_exact_mut(BLOCK);
    let mut any = 0;
    if blocks.len() > 0 {
        // Bytes against bytes here, with one accumulator per byte of the block: the
        // shape the compiler vectorises when the loop also reduces (8-byte lanes with
        // an OR reduction stay scalar). The key pattern is computed from the word,
        // so it is built in a register, not stored and read back.
        let pat: [u8; BLOCK] = core::array::from_fn(|i| (word >> (8 * (i % 8))) as u8);
        let mut acc = [0u8; BLOCK];
        for block in &mut blocks {
            for ((b, k), a) in block.iter_mut().zip(&pat).zip(acc.iter_mut()) {
                *b ^= k;
                *a |= *b;
            }
        }
        any = acc.iter().fold(0, |x, y| x | u64::from(*y));
    }
    any |= mask_tail(blocks.into_remainder(), word);
    any & 0x8080_8080_8080_8080 == 0
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

/// The end of a buffer, shorter than a block: 8-byte words, then 4, 2 and 1 bytes.
/// Returns the OR of the unmasked bytes (in some byte of the word).
#[inline]
fn mask_tail(tail: &mut [u8], word: u64) -> u64 {
    let mut any = 0;
    // At most 63 bytes: 32, 16 and 8 at a time (straight-line code; a loop here gets
    // vectorised with more set-up than the bytes repay), then 4, 2 and 1.
    let mut rest = tail;
    for size in [32, 16, 8] {
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
    fn every_length_and_offset_matches_the_definition() {
        // §5.3: "octet i of the transformed data is the XOR of octet i of the original
        // data with octet at index i modulo 4 of the masking key".
        let key = [0x9d, 0x13, 0xe0, 0x7a];
        let data: alloc::vec::Vec<u8> = (0..200u32).map(|i| (i * 37 % 251) as u8).collect();
        for len in 0..data.len() {
            for offset in 0..8u64 {
                let expected: alloc::vec::Vec<u8> = data[..len]
                    .iter()
                    .enumerate()
                    .map(|(i, b)| b ^ key[(i + offset as usize) % 4])
                    .collect();
                let mut plain = data[..len].to_vec();
                apply_mask(&mut plain, key, offset);
                assert_eq!(plain, expected, "len {len} offset {offset}");
                let mut fused = data[..len].to_vec();
                let ascii = unmask_is_ascii(&mut fused, key, offset);
                assert_eq!(fused, expected, "len {len} offset {offset}");
                assert_eq!(ascii, expected.is_ascii(), "len {len} offset {offset}");
            }
        }
    }
}
