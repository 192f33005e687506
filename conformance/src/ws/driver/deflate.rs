//! The driver's permessage-deflate state (RFC 7692): its compressor and
//! decompressor, and, for the windows of 12.x/13.x, the sequences of
//! compressed messages shared with the cases that send the same ones
//! ([`crate::ws::compressed`]): replayed when another case built them,
//! recorded as they are compressed when none did.

use std::sync::Arc;

use wirecheck_codec::ws::deflate::{Compressor, Decompressor, Direction};

use crate::ws::compressed::{Builder, Compressed, Key, Sequence};

/// The compressor and decompressor of a connection that agreed permessage-deflate.
#[derive(Debug)]
pub(super) struct Deflate {
    pub(super) compressor: Compressor,
    pub(super) decompressor: Decompressor,
    /// What the fuzzer's compressor agreed to (the key of its sequences).
    pub(super) sending: Direction,
    reuse: Reuse,
}

/// What the case does with the shared sequence of its windows.
#[derive(Debug)]
enum Reuse {
    /// Not decided yet, or nothing to share.
    Off,
    /// Another case built it: send its messages.
    Replay(Arc<Sequence>),
    /// Build it while compressing.
    Record(Builder),
}

impl Deflate {
    pub(super) fn new(
        compressor: Compressor,
        decompressor: Decompressor,
        sending: Direction,
    ) -> Deflate {
        Deflate {
            compressor,
            decompressor,
            sending,
            reuse: Reuse::Off,
        }
    }

    /// Message `i` of the windows `key` names, compressed: from the shared
    /// sequence if `store` has it, else compressed here (and recorded from
    /// the first message on, while the budget allows).
    pub(super) fn window(
        &mut self,
        store: Option<&Arc<Compressed>>,
        key: Key,
        i: usize,
        payload: &[u8],
    ) -> Vec<u8> {
        if i == 0 {
            self.reuse = match store {
                Some(s) => match s.get(&key) {
                    Some(seq) => Reuse::Replay(seq),
                    // None while another case builds it: compress, keep nothing.
                    None => s.build(key).map_or(Reuse::Off, Reuse::Record),
                },
                None => Reuse::Off,
            };
        }
        if let Reuse::Replay(seq) = &self.reuse {
            // The sequence holds `key.count` messages and `i` is below it.
            if let Some(m) = seq.message(i) {
                return m.to_vec();
            }
        }
        let mut out = Vec::new();
        self.compressor.compress(payload, &mut out);
        if let Reuse::Record(builder) = &mut self.reuse {
            if !builder.push(&out) {
                self.reuse = Reuse::Off;
            } else if i + 1 == key.count {
                if let Reuse::Record(builder) = std::mem::replace(&mut self.reuse, Reuse::Off) {
                    builder.finish();
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ws::data_sets::{DataSet, DataSetId};

    fn deflate(coding: crate::ws::data_sets::Coding) -> Deflate {
        let d = Direction {
            no_context_takeover: false,
            max_window_bits: 15,
        };
        Deflate::new(coding.compressor(d), Decompressor::new(d), d)
    }

    /// Five windows of the prose, as a 12.3 case sends them, compressed by
    /// `d` with `store`.
    fn send(d: &mut Deflate, store: Option<&Arc<Compressed>>, key: Key) -> Vec<Vec<u8>> {
        let data = DataSet::get(key.data).data();
        let mut at = 0;
        (0..key.count)
            .map(|i| {
                let (bytes, next) = data.window(at, key.size);
                at = next;
                d.window(store, key, i, &bytes)
            })
            .collect()
    }

    #[test]
    fn a_replayed_sequence_is_what_a_fresh_compressor_writes() {
        let coding = DataSet::get(DataSetId::Prose).coding;
        let key = Key {
            data: DataSetId::Prose,
            size: 4096,
            count: 5,
            no_context_takeover: false,
            window_bits: 15,
            coding,
        };
        let store = Arc::new(Compressed::default());
        let fresh = send(&mut deflate(coding), None, key);
        // The first case compresses and keeps; the second finds it.
        assert_eq!(send(&mut deflate(coding), Some(&store), key), fresh);
        assert_eq!(store.entries(), 1);
        let mut second = deflate(coding);
        assert_eq!(send(&mut second, Some(&store), key), fresh);
        assert!(matches!(second.reuse, Reuse::Replay(_)));
        // With context takeover the replayed messages depend on the ones
        // before: message 3 differs from message 3 compressed alone.
        let alone = {
            let (bytes, _) = DataSet::get(key.data).data().window(3 * 4096, 4096);
            let mut out = Vec::new();
            coding.compressor(second.sending).compress(&bytes, &mut out);
            out
        };
        assert_ne!(fresh[3], alone);
        // Another key (another window) is not served from this one.
        let other = Key { size: 1024, ..key };
        let mut third = deflate(coding);
        send(&mut third, Some(&store), other);
        assert!(
            matches!(third.reuse, Reuse::Off),
            "finished: it was recorded"
        );
        assert_eq!(store.entries(), 2);
    }
}
