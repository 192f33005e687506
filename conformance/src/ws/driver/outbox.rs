//! The bytes the driver wants written, in the writes Autobahn would make.
//!
//! How bytes are cut into writes is part of a case (Autobahn's `chopsize` and
//! `sync`): a frame written on its own, or in 1-byte pieces, reaches the peer
//! in separate TCP segments; frames queued in one reactor turn go out together.
//! The outbox keeps that cutting, so the I/O owner writes exactly these pieces,
//! and counts what waits, so the driver can bound it.

use std::collections::VecDeque;

/// One write waiting to go out.
#[derive(Debug)]
pub struct Write {
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Written on its own (Autobahn: `sync=True`), as the wire log says.
    pub sync: bool,
}

/// The queue of writes.
#[derive(Debug, Default)]
pub struct Outbox {
    writes: VecDeque<Write>,
    /// Unchopped frames queued in this turn, to go out in one write.
    coalesce: Vec<u8>,
    /// How much of the front write is written.
    offset: usize,
    /// Bytes queued and not yet written (coalesced ones included).
    queued: usize,
}

impl Outbox {
    /// Queue a frame that goes out with its neighbours in one write.
    pub fn coalesce(&mut self, bytes: &[u8]) {
        self.queued += bytes.len();
        self.coalesce.extend_from_slice(bytes);
    }

    /// Queue a write of its own; coalesced frames queued before it go first.
    pub fn push(&mut self, bytes: Vec<u8>, sync: bool) {
        self.flush();
        self.queued += bytes.len();
        self.writes.push_back(Write { bytes, sync });
    }

    /// End the turn: coalesced frames become one write.
    pub fn flush(&mut self) {
        if !self.coalesce.is_empty() {
            let bytes = std::mem::take(&mut self.coalesce);
            self.writes.push_back(Write { bytes, sync: false });
        }
    }

    /// The bytes to write next, if any.
    pub fn front(&self) -> Option<&[u8]> {
        self.writes.front().map(|w| &w.bytes[self.offset..])
    }

    /// The bytes to write next, with the writes queued after the front one
    /// joined to it (copied into `scratch`) while it is shorter than `min`,
    /// up to `max`: for a transport where a tiny write is a frame of its own
    /// that a peer may count as abuse (HTTP/2 DATA frames). Written bytes are
    /// given back with [`Outbox::advance`] as for [`Outbox::front`].
    pub fn front_joined<'a>(
        &'a self,
        min: usize,
        max: usize,
        scratch: &'a mut Vec<u8>,
    ) -> Option<&'a [u8]> {
        let front = self.front()?;
        if front.len() >= min || self.writes.len() < 2 {
            return Some(front);
        }
        scratch.clear();
        scratch.extend_from_slice(front);
        for w in self.writes.iter().skip(1) {
            if scratch.len() >= min {
                break;
            }
            let take = w.bytes.len().min(max.saturating_sub(scratch.len()));
            scratch.extend_from_slice(&w.bytes[..take]);
        }
        Some(scratch)
    }

    /// `n` bytes of the front write were written; returns the write when it is
    /// complete.
    pub fn advance(&mut self, n: usize) -> Option<Write> {
        self.offset += n;
        self.queued = self.queued.saturating_sub(n);
        let done = self
            .writes
            .front()
            .is_some_and(|w| self.offset >= w.bytes.len());
        if !done {
            return None;
        }
        self.offset = 0;
        self.writes.pop_front()
    }

    /// Bytes waiting to be written.
    pub fn queued(&self) -> usize {
        self.queued
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_writes_are_joined_up_to_the_minimum_and_given_back_one_by_one() {
        let mut o = Outbox::default();
        for chop in [b"ab", b"cd", b"ef", b"gh"] {
            o.push(chop.to_vec(), false);
        }
        let mut scratch = Vec::new();
        // At least 5 bytes: the first three writes (6 bytes), not the fourth.
        assert_eq!(o.front_joined(5, 64, &mut scratch), Some(&b"abcdef"[..]));
        // A long enough front write, or a lone one, is not copied.
        assert_eq!(o.front_joined(2, 64, &mut scratch), Some(&b"ab"[..]));
        // The cap bounds the copy, cutting a write.
        assert_eq!(o.front_joined(100, 5, &mut scratch), Some(&b"abcde"[..]));
        // Advancing over joined bytes completes the writes in order.
        assert_eq!(o.advance(2).expect("ab").bytes, b"ab");
        assert!(o.advance(1).is_none());
        assert_eq!(o.front(), Some(&b"d"[..]));
    }

    #[test]
    fn coalesced_frames_go_before_a_write_of_their_own() {
        let mut o = Outbox::default();
        o.coalesce(b"ab");
        o.coalesce(b"c");
        o.push(b"d".to_vec(), true);
        assert_eq!(o.queued(), 4);
        assert_eq!(o.front(), Some(&b"abc"[..]));
        assert!(o.advance(2).is_none());
        assert_eq!(o.front(), Some(&b"c"[..]));
        let w = o.advance(1).expect("complete");
        assert!(!w.sync && w.bytes == b"abc");
        let w = o.advance(1).expect("complete");
        assert!(w.sync && w.bytes == b"d");
        assert_eq!((o.front(), o.queued()), (None, 0));
    }
}
