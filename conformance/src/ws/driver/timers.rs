//! The driver's timers. The driver reads no clock: the I/O owner passes `now`
//! in, asks for the earliest deadline ([`Timers::next`]) and reports when it
//! passed. A timer fires whatever the socket does, so a peer that floods or
//! stays silent cannot keep a case from ending.

use std::time::Instant;

/// Which timer fell due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// The hard cap on a case's duration.
    Cap,
    /// The close-handshake or peer-drop timeout of the close phase.
    Phase,
    /// The end of a `Wait` step.
    Pause,
    /// `killAfter`.
    Kill,
    /// `closeAfter`.
    CloseAfter,
    /// Nothing moved for the stall limit while open.
    Stall,
}

/// Every deadline a case can have.
#[derive(Debug, Clone)]
pub struct Timers {
    /// The hard cap (always armed).
    pub cap: Instant,
    /// The close phase's timeout.
    pub phase: Option<Instant>,
    /// A `Wait` step's end, with its tag.
    pub pause: Option<(Instant, Option<&'static str>)>,
    /// `killAfter`.
    pub kill: Option<Instant>,
    /// `closeAfter`.
    pub close_after: Option<Instant>,
    /// The stall limit, when it applies (open and not pausing).
    pub stall: Option<Instant>,
}

impl Timers {
    /// Only the cap armed.
    pub fn new(cap: Instant) -> Timers {
        Timers {
            cap,
            phase: None,
            pause: None,
            kill: None,
            close_after: None,
            stall: None,
        }
    }

    fn candidates(&self) -> [(Option<Instant>, Due); 6] {
        // On a tie Autobahn's own timers go first, in this order.
        [
            (Some(self.cap), Due::Cap),
            (self.phase, Due::Phase),
            (self.pause.map(|(t, _)| t), Due::Pause),
            (self.kill, Due::Kill),
            (self.close_after, Due::CloseAfter),
            (self.stall, Due::Stall),
        ]
    }

    /// The earliest deadline.
    pub fn next(&self) -> Instant {
        self.candidates()
            .iter()
            .filter_map(|(t, _)| *t)
            .min()
            .unwrap_or(self.cap)
    }

    /// The timer that fell due first by `now`, as a reactor fires callbacks in
    /// deadline order.
    pub fn first_due(&self, now: Instant) -> Option<Due> {
        self.candidates()
            .iter()
            .filter_map(|(t, kind)| t.filter(|t| now >= *t).map(|t| (t, *kind)))
            .min_by_key(|(t, _)| *t)
            .map(|(_, kind)| kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_earliest_due_timer_fires_first_and_autobahns_win_ties() {
        let t0 = Instant::now();
        let mut t = Timers::new(t0 + Duration::from_secs(30));
        t.kill = Some(t0 + Duration::from_secs(2));
        t.close_after = Some(t0 + Duration::from_secs(1));
        t.stall = Some(t0 + Duration::from_secs(1));
        assert_eq!(t.next(), t0 + Duration::from_secs(1));
        assert_eq!(t.first_due(t0), None);
        assert_eq!(
            t.first_due(t0 + Duration::from_secs(5)),
            Some(Due::CloseAfter)
        );
        t.close_after = None;
        assert_eq!(t.first_due(t0 + Duration::from_secs(5)), Some(Due::Stall));
    }
}
