//! How the cases of a run share the machine: `-j` bounds the cases that are
//! *working* (sending, receiving, judging), not the ones that wait.
//!
//! A case spends most of its life waiting on a server: for the TCP connection
//! and the opening handshake, for an echo, for the server's Close, for the server
//! to drop TCP. Against a slow or stuck server those waits are whole seconds, and
//! a run that held a `-j` slot through each would take cases x waits / `-j`
//! (twenty minutes against a server that never closes TCP). So (DESIGN §7a,
//! "waiting never holds a -j slot"):
//! * a case takes a **connection** slot for its whole life: at most `jobs` +
//!   [`WAITING_CONNECTIONS`] connections are open at once, which bounds memory
//!   (each connection's buffers are bounded by [`super::bounds`]) and the load on
//!   the server;
//! * it takes a **work** slot only once its connection is open, and gives it back
//!   as soon as it only waits (the engine decides when: its close handshake has
//!   begun, or nothing was sent or received for [`IDLE_GRACE`]); timers cost
//!   nothing, so waiting cases run alongside the working ones;
//! * a case that must run alone (9.x, which measure time) takes every work
//!   slot; a heavy case (12.x, 13.x: a thousand compressed round trips, CPU
//!   bound) takes one, so `-j` of them share the machine.
//! * a case whose verdict is a time (S.2's ReDoS shapes, answered within 1 s)
//!   is **quiet**: it takes every connection slot, so it starts once every
//!   other case has ended and none starts until its opening is answered (then
//!   it keeps one, [`Entry::settle`]); the server answers it with nothing else
//!   to do (a Python server still reading S.3's million fragments answered
//!   S.2.3 after more than a second, and alone in under a millisecond);
//! * while alone or heavy cases work, the **gate** is closed to the others: no
//!   other case opens a connection until they have finished working (or first
//!   only wait, and are waited on side by side with the rest). Otherwise the
//!   cases queued behind a run of long cases would sit on open, idle
//!   connections for minutes, and a server's idle timeout (60 s in nginx and
//!   in wirecheck's own reference server) would close them before they start.
//!
//! The semaphores are fair (first come, first served), so a case that asks for
//! every slot is not starved by the ones queued after it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Connections that may wait (on a handshake, an echo, a close) besides the
/// `jobs` that work.
pub const WAITING_CONNECTIONS: usize = 32;

/// A working case that has sent and received nothing for this long gives its
/// work slot back: it is waiting on the server. A loopback server answers in
/// well under a millisecond.
pub const IDLE_GRACE: Duration = Duration::from_millis(100);

/// What a case needs while it works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// One work slot.
    Shared,
    /// Every work slot: nothing else works meanwhile (the 9.x cases measure time).
    Alone,
    /// One work slot, and no other kind of case connects meanwhile (12.x, 13.x).
    Heavy,
    /// No work slot: the case mostly sleeps on its own timers (5.19, 5.20, 6.4.x).
    Sleeper,
    /// Every connection slot until its opening is answered, so no other case
    /// has a connection open meanwhile (S.2's timed heads, whose answer time
    /// is the verdict); then as [`Work::Alone`].
    Quiet,
}

/// The slots of one run.
#[derive(Debug)]
pub struct Slots {
    /// Connections open at once.
    connections: Arc<Semaphore>,
    /// `jobs` permits: an alone case holds them all while it works, a heavy
    /// case one; every other case passes through with all of them before it
    /// connects.
    gate: Arc<Semaphore>,
    /// Cases working at once (`-j`).
    work: Arc<Semaphore>,
    /// `-j`.
    jobs: u32,
    /// Opening handshakes completed in this run (to tell a server that never
    /// completes one from a run that has merely begun).
    opened: AtomicUsize,
}

/// What a case holds from before it connects until it ends ([`Slots::enter`]).
#[derive(Debug)]
pub struct Entry {
    /// The gate's permits an alone, heavy or quiet case holds until it first
    /// only waits.
    pub gate: Option<OwnedSemaphorePermit>,
    /// Its connection slots.
    connection: Option<OwnedSemaphorePermit>,
}

impl Entry {
    /// The timed part of a quiet case is over (its opening was answered or
    /// timed out): it keeps one connection slot and gives the others back, so
    /// the cases after it start while it finishes.
    pub fn settle(&mut self) {
        if let Some(held) = &mut self.connection {
            let others = held.num_permits().saturating_sub(1);
            drop(held.split(others));
        }
    }
}

impl Slots {
    /// Slots for a run of `jobs` working cases at once.
    pub fn new(jobs: usize) -> Arc<Slots> {
        let jobs = jobs.clamp(1, crate::command::MAX_JOBS);
        Arc::new(Slots {
            connections: Arc::new(Semaphore::new(jobs + WAITING_CONNECTIONS)),
            gate: Arc::new(Semaphore::new(jobs)),
            work: Arc::new(Semaphore::new(jobs)),
            jobs: jobs as u32,
            opened: AtomicUsize::new(0),
        })
    }

    /// Pass the gate before connecting. An alone case closes it (all permits),
    /// a heavy case takes one permit, both until the returned permit is
    /// dropped (when they first only wait, or end); any other case waits until
    /// no alone or heavy case holds a permit, and passes. Fair: a case queued
    /// before another passes first.
    pub async fn gate(&self, work: Work) -> Option<OwnedSemaphorePermit> {
        let n = match work {
            Work::Heavy => 1,
            Work::Alone | Work::Shared | Work::Sleeper | Work::Quiet => self.jobs,
        };
        let permit = Arc::clone(&self.gate).acquire_many_owned(n).await.ok();
        match work {
            Work::Alone | Work::Heavy | Work::Quiet => permit,
            Work::Shared | Work::Sleeper => None,
        }
    }

    /// The connection slots a case of kind `work` holds: one for its whole
    /// life, or for a quiet case all of them until it settles (it waits for
    /// every other case to end, and the cases after it wait for it; its own
    /// few connections are among those it holds).
    pub async fn connection(&self, work: Work) -> Option<OwnedSemaphorePermit> {
        let n = match work {
            Work::Quiet => self.jobs + WAITING_CONNECTIONS as u32,
            Work::Shared | Work::Alone | Work::Heavy | Work::Sleeper => 1,
        };
        Arc::clone(&self.connections)
            .acquire_many_owned(n)
            .await
            .ok()
    }

    /// The gate and the connection slots of a case of kind `work`, in that
    /// order ([`Slots::gate`], [`Slots::connection`]).
    pub async fn enter(&self, work: Work) -> Entry {
        let gate = self.gate(work).await;
        let connection = self.connection(work).await;
        Entry { gate, connection }
    }

    /// The work slots `work` needs, held until the case only waits.
    pub async fn work(&self, work: Work) -> Option<OwnedSemaphorePermit> {
        let n = match work {
            Work::Shared | Work::Heavy => 1,
            Work::Alone | Work::Quiet => self.jobs,
            Work::Sleeper => return None,
        };
        Arc::clone(&self.work).acquire_many_owned(n).await.ok()
    }

    /// Count a completed opening handshake.
    pub fn note_opened(&self) {
        self.opened.fetch_add(1, Ordering::Relaxed);
    }

    /// Opening handshakes completed so far.
    pub fn opened(&self) -> usize {
        self.opened.load(Ordering::Relaxed)
    }

    /// Connections open (or being opened) right now.
    pub fn open_connections(&self) -> usize {
        self.jobs as usize + WAITING_CONNECTIONS - self.connections.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_alone_case_waits_for_every_work_slot_and_holds_them() {
        let slots = Slots::new(3);
        let one = slots.work(Work::Shared).await;
        assert!(one.is_some());
        let alone = {
            let slots = Arc::clone(&slots);
            tokio::spawn(async move { slots.work(Work::Alone).await })
        };
        tokio::task::yield_now().await;
        assert!(
            !alone.is_finished(),
            "an alone case must wait for the working one"
        );
        drop(one);
        let permit = alone.await.unwrap();
        assert!(permit.is_some());
        assert_eq!(slots.work.available_permits(), 0);
        assert!(slots.work(Work::Sleeper).await.is_none());
    }

    /// No other case connects while an alone or heavy case works, so nothing
    /// waits on an idle connection behind it; heavy cases work side by side.
    #[tokio::test]
    async fn no_case_connects_while_an_alone_or_heavy_case_works() {
        let slots = Slots::new(2);
        let blocked = |work: Work| {
            let slots = Arc::clone(&slots);
            tokio::spawn(async move { slots.gate(work).await.is_some() })
        };
        let alone = slots.gate(Work::Alone).await;
        assert!(alone.is_some());
        for work in [Work::Shared, Work::Sleeper, Work::Alone, Work::Heavy] {
            let waiting = blocked(work);
            tokio::task::yield_now().await;
            assert!(!waiting.is_finished(), "{work:?} passed a closed gate");
            waiting.abort();
        }
        drop(alone);
        let heavy = slots.gate(Work::Heavy).await;
        assert!(heavy.is_some());
        // A second heavy case works beside the first; nothing else connects.
        let second = slots.gate(Work::Heavy).await;
        assert!(second.is_some());
        let shared = blocked(Work::Shared);
        tokio::task::yield_now().await;
        assert!(!shared.is_finished());
        drop((heavy, second));
        assert!(!shared.await.expect("the task ends"));
        assert!(slots.gate(Work::Shared).await.is_none());
    }

    #[tokio::test]
    async fn connections_are_bounded() {
        let slots = Slots::new(1);
        let mut held = Vec::new();
        for _ in 0..=WAITING_CONNECTIONS {
            held.push(slots.connection(Work::Shared).await);
        }
        assert_eq!(slots.open_connections(), 1 + WAITING_CONNECTIONS);
        assert_eq!(slots.connections.available_permits(), 0);
    }

    /// A quiet case starts once no other case has a connection open, and no
    /// case connects until it settles (its opening answered).
    #[tokio::test]
    async fn a_quiet_case_waits_for_every_connection_and_keeps_others_out() {
        let slots = Slots::new(2);
        let other = slots.connection(Work::Shared).await;
        let quiet = {
            let slots = Arc::clone(&slots);
            tokio::spawn(async move { slots.enter(Work::Quiet).await })
        };
        tokio::task::yield_now().await;
        assert!(
            !quiet.is_finished(),
            "a quiet case must wait for the open connection to close"
        );
        drop(other);
        let mut entry = quiet.await.expect("the task ends");
        assert!(entry.gate.is_some() && entry.connection.is_some());
        assert_eq!(slots.connections.available_permits(), 0);
        for work in [Work::Shared, Work::Alone, Work::Heavy, Work::Sleeper] {
            let waiting = {
                let slots = Arc::clone(&slots);
                tokio::spawn(async move { slots.connection(work).await })
            };
            tokio::task::yield_now().await;
            assert!(
                !waiting.is_finished(),
                "{work:?} connected beside a quiet case"
            );
            waiting.abort();
            assert!(waiting.await.is_err(), "cancelled while waiting");
        }
        // Its opening answered, it keeps one connection slot.
        entry.settle();
        assert_eq!(slots.open_connections(), 1);
        assert!(slots.connection(Work::Shared).await.is_some());
    }
}
