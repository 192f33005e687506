//! The runner's one PRNG: masking keys and handshake nonces for the driver,
//! from a seed the I/O owner supplies (the driver draws no randomness of its
//! own, so a test that fixes the seed replays a case byte for byte), and the
//! fixed-seed streams the 12.x/13.x data sets are generated from.
//!
//! RFC 6455 §5.3 asks for unpredictable masking keys so that intermediaries
//! cannot be poisoned; the fuzzer's peers are test servers, and xorshift seeded
//! by the OS once per case keeps keys fresh per frame without a lock or a
//! syscall each time.

use std::time::SystemTime;

/// A small PRNG (xorshift64*).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator that starts from `seed` (any value; zero is made odd).
    pub fn from_seed(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    /// A seed from the OS. An OS without a random source still gets distinct
    /// seeds per process and per call.
    pub fn os_seed() -> u64 {
        let mut seed = [0u8; 8];
        if getrandom::fill(&mut seed).is_err() {
            let t = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default();
            seed = (t.as_nanos() as u64 ^ u64::from(std::process::id())).to_le_bytes();
        }
        u64::from_le_bytes(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A fresh masking key (RFC 6455 §5.3).
    pub fn mask(&mut self) -> [u8; 4] {
        (self.next_u64() as u32).to_be_bytes()
    }

    /// A fresh 16-byte handshake nonce (RFC 6455 §4.1, `Sec-WebSocket-Key`).
    pub fn nonce(&mut self) -> [u8; 16] {
        let mut key = [0u8; 16];
        key[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        key[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        key
    }
}
