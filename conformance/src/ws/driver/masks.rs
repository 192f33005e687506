//! The masking keys of the frames a client sent (RFC 6455 §5.3: "The masking
//! key is a 32-bit value chosen at random by the client ... the client MUST
//! pick a fresh masking key from the set of allowed 32-bit values" for each
//! frame, and it must not be predictable, §10.3). One key says nothing; many
//! say whether they are fresh: a zero key, or a key seen before, among a few
//! dozen random ones would be a one-in-millions accident.
//!
//! Bounded: at most [`MAX_KEYS`] distinct keys are remembered; past that, a
//! repeat is no longer noticed (the client case that judges keys sends far
//! fewer frames).

use std::collections::HashSet;

/// Distinct keys remembered per connection.
pub const MAX_KEYS: usize = 4096;

/// What the masking keys of the received frames were.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MaskKeys {
    /// Frames received masked.
    pub masked: u64,
    /// Frames received unmasked.
    pub unmasked: u64,
    /// Masked with 00 00 00 00 (which leaves the payload as it is).
    pub zero: u64,
    /// Masked with a key an earlier frame of the connection used.
    pub repeats: u64,
    /// The first key used twice.
    pub first_repeat: Option<[u8; 4]>,
    seen: HashSet<[u8; 4]>,
}

impl MaskKeys {
    /// A frame arrived with this key (`None`: unmasked).
    pub fn record(&mut self, key: Option<[u8; 4]>) {
        let Some(key) = key else {
            self.unmasked += 1;
            return;
        };
        self.masked += 1;
        if key == [0; 4] {
            self.zero += 1;
        }
        if self.seen.contains(&key) {
            self.repeats += 1;
            self.first_repeat.get_or_insert(key);
        } else if self.seen.len() < MAX_KEYS {
            self.seen.insert(key);
        }
    }

    /// Why the keys are not fresh, if they are not.
    pub fn fault(&self) -> Option<String> {
        let hex = |k: [u8; 4]| format!("{:02x} {:02x} {:02x} {:02x}", k[0], k[1], k[2], k[3]);
        if self.zero > 0 {
            return Some(format!(
                "{} of {} frames were masked with the key 00 00 00 00",
                self.zero, self.masked
            ));
        }
        self.first_repeat.map(|k| {
            format!(
                "{} of {} frames reused a masking key of an earlier frame (first: {})",
                self.repeats,
                self.masked,
                hex(k)
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_keys_have_no_fault_and_zero_or_repeated_keys_do() {
        let mut m = MaskKeys::default();
        for i in 1..=64u32 {
            m.record(Some(i.wrapping_mul(0x9E37_79B9).to_be_bytes()));
        }
        m.record(None);
        assert_eq!((m.masked, m.unmasked, m.fault()), (64, 1, None));
        let mut constant = MaskKeys::default();
        for _ in 0..3 {
            constant.record(Some([1, 2, 3, 4]));
        }
        let why = constant.fault().expect("a repeated key");
        assert!(why.starts_with("2 of 3 frames reused"), "{why}");
        assert!(why.ends_with("01 02 03 04)"), "{why}");
        let mut zero = MaskKeys::default();
        zero.record(Some([9, 9, 9, 9]));
        zero.record(Some([0; 4]));
        assert_eq!(
            zero.fault().as_deref(),
            Some("1 of 2 frames were masked with the key 00 00 00 00")
        );
    }
}
