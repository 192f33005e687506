//! The fuzzer's compressed messages of 12.x and 13.x, kept within a memory
//! budget for the cases that send the same ones.
//!
//! Why: rows 10 and 15-18 of each 12.x subcategory send the same 1000
//! messages (only the framing differs), as do rows 6-9 and 11-14, and every
//! 13.x row sends the messages of the 12.1 row of its size. A message's
//! compressed form depends only on the messages before it in the case, the
//! sender's agreed direction (window, context takeover) and the coding, all
//! in the [`Key`]: zlib is deterministic, so a sequence compressed once is
//! the sequence a fresh compressor would write, and a case that finds it
//! sends it again byte for byte instead of compressing (the server sees the
//! same bytes either way; verdicts cannot change).
//!
//! Bounded: the entries and the sequences being built count against one
//! budget ([`BUDGET`]). A builder that needs room evicts entries no case is
//! reading, only of a smaller message size or of another data set (larger
//! rows are reused more and cost more to redo); when none is left it gives
//! up and frees what it built. Nothing is ever over the budget, however many
//! cases run at once.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use super::data_sets::{Coding, DataSetId};

/// The most bytes the entries and builders hold together: 128 MiB, room for
/// the largest sequence (a 128 KiB row of the bitmap, about 112 MB).
pub const BUDGET: usize = 128 << 20;

/// Bytes counted for each message beyond its own (where it ends).
const PER_MESSAGE: usize = std::mem::size_of::<usize>();

/// What decides a sequence's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    /// The data set the windows are cut from.
    pub data: DataSetId,
    /// Each window's size (units of the data set).
    pub size: usize,
    /// How many messages the case sends.
    pub count: usize,
    /// The sender's agreed context takeover (RFC 7692 §7.1.1).
    pub no_context_takeover: bool,
    /// The sender's agreed window bits (RFC 7692 §7.1.2).
    pub window_bits: u8,
    /// How the fuzzer codes the data set.
    pub coding: Coding,
}

/// A case's compressed messages, in order, back to back in one buffer.
///
/// The buffer is allocated once at the budget's size and filled as messages
/// come: only what is written becomes resident, nothing is moved as it grows,
/// and dropped it goes back to the system whole (an allocation this large is
/// a mapping of its own), where a thousand separate boxes would leave the
/// heap fragmented and the process larger than what it counts.
#[derive(Debug, Default)]
pub struct Sequence {
    bytes: Vec<u8>,
    /// Where each message ends in `bytes`.
    ends: Vec<usize>,
}

impl Sequence {
    /// Message `i`, compressed.
    pub fn message(&self, i: usize) -> Option<&[u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.bytes.get(start..end)
    }

    /// How many messages it holds.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

/// The shared store (one per run).
#[derive(Debug)]
pub struct Compressed {
    budget: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<Key, Arc<Sequence>>,
    /// The keys a builder is building.
    building: HashSet<Key>,
    /// Bytes of the entries and of every builder's messages.
    used: usize,
}

impl Default for Compressed {
    fn default() -> Self {
        Compressed::with_budget(BUDGET)
    }
}

impl Compressed {
    /// A store of at most `budget` bytes.
    pub fn with_budget(budget: usize) -> Compressed {
        Compressed {
            budget,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A case that panicked while holding the lock left the counts as they
        // were: they stay usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The sequence of `key`, if one was built.
    pub fn get(&self, key: &Key) -> Option<Arc<Sequence>> {
        self.lock().entries.get(key).cloned()
    }

    /// Start building the sequence of `key`; `None` while another case builds
    /// it (two builders of one sequence would only share the budget).
    pub fn build(self: &Arc<Self>, key: Key) -> Option<Builder> {
        if !self.lock().building.insert(key) {
            return None;
        }
        Some(Builder {
            store: Arc::clone(self),
            key,
            sequence: Some(Sequence::default()),
        })
    }

    /// Bytes counted now (entries and builders).
    pub fn used(&self) -> usize {
        self.lock().used
    }

    /// How many sequences it holds.
    pub fn entries(&self) -> usize {
        self.lock().entries.len()
    }

    /// Make room for `need` more bytes for a builder of `key`: evict entries no
    /// case holds, of a smaller size or another data set, smallest first.
    fn reserve(&self, key: &Key, need: usize) -> bool {
        let mut inner = self.lock();
        while inner.used + need > self.budget {
            let victim = inner
                .entries
                .iter()
                .filter(|(k, seq)| {
                    Arc::strong_count(seq) == 1 && (k.size < key.size || k.data != key.data)
                })
                .min_by_key(|(k, _)| (k.data == key.data, k.size))
                .map(|(k, _)| *k);
            let Some(victim) = victim else {
                return false;
            };
            if let Some(seq) = inner.entries.remove(&victim) {
                inner.used -= bytes_of(&seq);
            }
        }
        inner.used += need;
        true
    }

    fn release(&self, bytes: usize) {
        let mut inner = self.lock();
        inner.used = inner.used.saturating_sub(bytes);
    }
}

fn bytes_of(seq: &Sequence) -> usize {
    seq.bytes.len() + seq.ends.len() * PER_MESSAGE
}

/// A sequence being built, message by message; counted against the budget
/// from its first byte (what it counts is [`bytes_of`] its sequence). Dropped
/// unfinished, it frees what it held.
#[derive(Debug)]
pub struct Builder {
    store: Arc<Compressed>,
    key: Key,
    /// `None` once it gave up or was stored.
    sequence: Option<Sequence>,
}

impl Builder {
    /// Keep the next compressed message; `false` (and the builder is spent)
    /// when the budget has no room left for it.
    pub fn push(&mut self, message: &[u8]) -> bool {
        if self.sequence.is_none() {
            return false;
        }
        if !self.store.reserve(&self.key, message.len() + PER_MESSAGE) {
            self.abandon();
            return false;
        }
        if let Some(seq) = self.sequence.as_mut() {
            if seq.ends.is_empty() {
                // What the budget allows at most: reserved, not touched.
                seq.bytes = Vec::with_capacity(self.store.budget);
                seq.ends = Vec::with_capacity(self.key.count);
            }
            seq.bytes.extend_from_slice(message);
            seq.ends.push(seq.bytes.len());
        }
        true
    }

    /// Store the sequence if it holds every message of its key (a case that
    /// ended early leaves nothing behind: dropping the builder frees it).
    pub fn finish(mut self) {
        let complete = self
            .sequence
            .as_ref()
            .is_some_and(|seq| seq.len() == self.key.count);
        if !complete {
            return;
        }
        let mut inner = self.store.lock();
        if inner.entries.contains_key(&self.key) {
            // Built again after an eviction raced with a reader: the stored
            // one stays, and dropping this builder frees its bytes.
            return;
        }
        if let Some(seq) = self.sequence.take() {
            // Its bytes now count as the entry's.
            inner.entries.insert(self.key, Arc::new(seq));
        }
    }

    fn abandon(&mut self) {
        if let Some(seq) = self.sequence.take() {
            self.store.release(bytes_of(&seq));
        }
    }
}

impl Drop for Builder {
    fn drop(&mut self) {
        self.abandon();
        self.store.lock().building.remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(data: DataSetId, size: usize, count: usize) -> Key {
        Key {
            data,
            size,
            count,
            no_context_takeover: true,
            window_bits: 15,
            coding: Coding::Level(2),
        }
    }

    fn build(store: &Arc<Compressed>, k: Key, len: usize) -> bool {
        let Some(mut b) = store.build(k) else {
            return false;
        };
        for _ in 0..k.count {
            if !b.push(&vec![7; len]) {
                return false;
            }
        }
        b.finish();
        true
    }

    #[test]
    fn a_finished_sequence_is_found_and_an_unfinished_one_frees_its_bytes() {
        let store = Arc::new(Compressed::with_budget(10_000));
        let k = key(DataSetId::Json, 64, 3);
        assert!(build(&store, k, 100));
        let seq = store.get(&k).expect("stored");
        assert_eq!((seq.len(), seq.message(2).map(<[u8]>::len)), (3, Some(100)));
        assert_eq!(store.used(), 3 * (100 + PER_MESSAGE));
        // Two of three messages, then the case ended: nothing kept, nothing held.
        let other = key(DataSetId::Json, 128, 3);
        let mut b = store.build(other).unwrap();
        assert!(b.push(&[1; 50]) && b.push(&[1; 50]));
        b.finish();
        assert!(store.get(&other).is_none());
        assert_eq!(store.used(), 3 * (100 + PER_MESSAGE));
    }

    #[test]
    fn the_budget_is_never_exceeded_and_larger_rows_win_room() {
        let per = 1000 + PER_MESSAGE;
        let store = Arc::new(Compressed::with_budget(10 * per));
        // Two small rows of the bitmap fill 8 of 10 units.
        assert!(build(&store, key(DataSetId::Bitmap, 16, 4), 1000));
        assert!(build(&store, key(DataSetId::Bitmap, 64, 4), 1000));
        assert_eq!(store.used(), 8 * per);
        // A larger row evicts the smallest first, then the next.
        assert!(build(&store, key(DataSetId::Bitmap, 128, 6), 1000));
        assert!(store.get(&key(DataSetId::Bitmap, 16, 4)).is_none());
        assert!(store.get(&key(DataSetId::Bitmap, 64, 4)).is_some());
        assert_eq!(store.used(), 10 * per);
        // A smaller row of the same set may not evict the larger ones: it gives
        // up and frees what it had.
        assert!(!build(&store, key(DataSetId::Bitmap, 32, 4), 1000));
        assert_eq!(store.used(), 10 * per);
        // Another data set's builder evicts any of the old set's entries, but
        // not one a case is reading.
        let reading = store.get(&key(DataSetId::Bitmap, 128, 6)).unwrap();
        assert!(build(&store, key(DataSetId::Pdf, 16, 4), 1000));
        assert!(store.get(&key(DataSetId::Bitmap, 64, 4)).is_none());
        assert!(!build(&store, key(DataSetId::Pdf, 32, 6), 1000));
        assert_eq!(reading.len(), 6);
        assert!(store.used() <= 10 * per);
        drop(reading);
        assert!(build(&store, key(DataSetId::Pdf, 32, 6), 1000));
        assert!(store.used() <= 10 * per);
    }

    #[test]
    fn two_builders_share_the_budget() {
        let per = 1000 + PER_MESSAGE;
        let store = Arc::new(Compressed::with_budget(5 * per));
        let (mut a, mut b) = (
            store.build(key(DataSetId::Prose, 64, 3)).unwrap(),
            store.build(key(DataSetId::Prose, 128, 3)).unwrap(),
        );
        // One builder per sequence: a second case compresses without keeping.
        assert!(store.build(key(DataSetId::Prose, 64, 3)).is_none());
        assert!(a.push(&[0; 1000]) && b.push(&[0; 1000]));
        assert!(a.push(&[0; 1000]) && b.push(&[0; 1000]));
        assert!(a.push(&[0; 1000]));
        // The sixth message would pass the budget: the builder gives up.
        assert!(!b.push(&[0; 1000]));
        assert_eq!(store.used(), 3 * per);
        a.finish();
        b.finish();
        assert_eq!((store.entries(), store.used()), (1, 3 * per));
        // Both done: the sequence that was dropped may be built again.
        assert!(store.build(key(DataSetId::Prose, 128, 3)).is_some());
    }
}
