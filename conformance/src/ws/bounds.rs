//! What one case may keep, whatever the server sends (DESIGN §7a, README
//! "Limits"): the limits of the WebSocket runner, and the one type that enforces
//! them on a connection.
//!
//! A conformance run is pointed at servers that are broken or hostile by
//! definition: a flood of tiny messages, an endless run of 1-byte continuation
//! frames, a frame that announces 2^62 bytes, pings that are never read back.
//! Every byte the engine retains for a case is counted here against a fixed
//! budget, so the memory of a run is bounded by the number of connections open
//! at once ([`crate::ws::run`] bounds that) times these budgets, and never by
//! what a server chooses to send.
//!
//! Two kinds of limit, told apart because they are judged differently:
//! * **observation limits** (a message over [`MAX_MESSAGE`], more received events
//!   or bytes than [`MAX_RECEIVED_EVENTS`] / [`MAX_RECEIVED_BYTES`], answers that
//!   pile up beyond [`MAX_QUEUED_WRITES`]): wirecheck could not see everything the
//!   server did, so the case can never be OK; the verdict says FAILED and names
//!   the limit (the server sent far more than any case expects).
//! * **the wire log cap** [`MAX_WIRE_LOG`]: only the record is shortened. The
//!   verdict does not depend on it; the case report says how much was dropped.
//!
//! Either way the limit is listed in [`Budget::limits`], which reaches the case
//! report and the summary. The records of all finished cases together are
//! bounded by [`RunBudget`] until the reports are written.

use std::collections::BTreeMap;

use crate::ws::case::Ev;
use crate::ws::result::{CaseResult, Logged, WireRow};

/// The largest message or frame accepted from the server in a case that is not
/// a round-trip case (9.x): sixteen times the largest message any other case
/// expects (1.1.8, 1.2.8, 10.1.1: 64 KiB). Past it the codec fails the
/// connection with 1009 (RFC 6455 §7.4.1).
pub const MAX_MESSAGE: u64 = 1 << 20;

/// How long an open connection may see nothing move (no byte read or written)
/// while its script is not pausing, x `--timeout-scale`. Autobahn's own timers
/// wait up to 1000 s (9.5, 9.6) for a server that has gone quiet; the longest
/// quiet a case expects of a conforming server is `killAfter(10)` (1.1.6-1.1.8).
pub const STALL: std::time::Duration = std::time::Duration::from_secs(15);

/// Received events kept per case; every case expects fewer than 20.
pub const MAX_RECEIVED_EVENTS: usize = 4096;

/// Payload bytes of received events kept per case (9.x echoes are compared as
/// they arrive and not kept).
pub const MAX_RECEIVED_BYTES: usize = 1 << 20;

/// Bytes of the wire log kept per connection: a row keeps at most the first
/// [`Logged::PREFIX`] bytes of its payload (all a report shows) and costs them
/// plus [`ROW_COST`], so this is at least 4096 rows; a conforming server's
/// busiest case (6.x, octet by octet) logs about 300.
pub const MAX_WIRE_LOG: usize = 512 << 10;

/// What a wire log row costs besides its payload (the row itself in memory).
pub const ROW_COST: usize = 64;

/// Bytes waiting to be written before wirecheck stops answering pings: a server
/// that pings without reading its socket must not grow the queue of pongs.
pub const MAX_QUEUED_WRITES: usize = 1 << 20;

/// Distinct read or write sizes counted per direction (Autobahn's
/// `rxOctetStats`/`txOctetStats`): a flood read in every size up to 64 KiB
/// would otherwise keep 65536 counters per case. The compression cases
/// (12.x, 13.x) read and write 1000 messages of as many compressed sizes,
/// a few hundred distinct ones each way; 1024 counters are about 40 KiB.
pub const MAX_OCTET_SIZES: usize = 1024;

/// Close frames remembered by the frame tracker after the message decoder
/// failed (only the first one that follows the failure is ever used).
pub const MAX_TRACKED_CLOSES: usize = 16;

/// How much a case has retained, and which limits it hit.
#[derive(Debug, Default)]
pub struct Budget {
    /// Received events kept.
    pub events: usize,
    /// Payload bytes of the received events kept.
    pub event_bytes: usize,
    /// Events dropped at the limit.
    pub events_dropped: u64,
    /// Bytes the wire log holds.
    pub wire_log: usize,
    /// Wire log rows dropped at [`MAX_WIRE_LOG`].
    pub rows_dropped: u64,
    /// Payload bytes of the rows dropped.
    pub row_bytes_dropped: u64,
    /// Pongs not sent because [`MAX_QUEUED_WRITES`] bytes were waiting.
    pub pongs_dropped: u64,
    /// Reads or writes not counted in the octet statistics ([`MAX_OCTET_SIZES`]).
    pub sizes_dropped: u64,
    /// The first observation limit hit, as a one-line reason; it shapes the verdict.
    pub observation: Option<String>,
}

impl Budget {
    /// Whether one more received event of `len` payload bytes may be kept; if
    /// not, the observation limit is recorded.
    pub fn take_event(&mut self, len: usize) -> bool {
        if self.events < MAX_RECEIVED_EVENTS && self.event_bytes + len <= MAX_RECEIVED_BYTES {
            self.events += 1;
            self.event_bytes += len;
            return true;
        }
        self.events_dropped += 1;
        self.observe_limit(format!(
            "the server sent more than wirecheck keeps per case ({MAX_RECEIVED_EVENTS} events or {} MiB of payload)",
            MAX_RECEIVED_BYTES >> 20
        ));
        false
    }

    /// Whether the wire log can take any row at all.
    pub fn has_room(&self) -> bool {
        self.wire_log + ROW_COST <= MAX_WIRE_LOG
    }

    /// Whether a wire log row keeping `payload` bytes may be kept; if not it is
    /// counted as dropped.
    pub fn take_row(&mut self, payload: usize) -> bool {
        let cost = payload.saturating_add(ROW_COST);
        if self.wire_log.saturating_add(cost) <= MAX_WIRE_LOG {
            self.wire_log += cost;
            return true;
        }
        self.rows_dropped += 1;
        self.row_bytes_dropped += payload as u64;
        false
    }

    /// Whether a pong may be queued behind `queued` bytes already waiting.
    pub fn take_pong(&mut self, queued: usize, len: usize) -> bool {
        if queued.saturating_add(len) <= MAX_QUEUED_WRITES {
            return true;
        }
        self.pongs_dropped += 1;
        self.observe_limit(format!(
            "the server pinged while not reading: over {} MiB waited to be written, so wirecheck stopped answering pings",
            MAX_QUEUED_WRITES >> 20
        ));
        false
    }

    /// Count one read or write of `n` bytes in `stats`, within [`MAX_OCTET_SIZES`].
    pub fn count_size(&mut self, stats: &mut BTreeMap<usize, u64>, n: usize) {
        if let Some(count) = stats.get_mut(&n) {
            *count += 1;
        } else if stats.len() < MAX_OCTET_SIZES {
            stats.insert(n, 1);
        } else {
            self.sizes_dropped += 1;
        }
    }

    /// Record an observation limit (the first one is the reason given).
    pub fn observe_limit(&mut self, why: String) {
        self.observation.get_or_insert(why);
    }

    /// Every limit hit, one line each, for the case report and the summary.
    pub fn limits(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(why) = &self.observation {
            out.push(why.clone());
        }
        if self.events_dropped > 0 {
            out.push(format!(
                "received events: kept {} ({} bytes), dropped {}",
                self.events, self.event_bytes, self.events_dropped
            ));
        }
        if self.pongs_dropped > 0 {
            out.push(format!("pongs not sent: {}", self.pongs_dropped));
        }
        if self.sizes_dropped > 0 {
            out.push(format!(
                "octet statistics: {} reads or writes of sizes beyond the first {MAX_OCTET_SIZES} not counted",
                self.sizes_dropped
            ));
        }
        if self.rows_dropped > 0 {
            out.push(format!(
                "wire log truncated at {} KiB: {} later rows ({} payload bytes) dropped",
                MAX_WIRE_LOG >> 10,
                self.rows_dropped,
                self.row_bytes_dropped
            ));
        }
        out
    }
}

/// What the finished cases of a whole run keep, together, of their wire logs and
/// received events until the reports are written: every case's record is
/// bounded, but 517 bounded records are not small. A conforming server's run
/// (the reference server, all 517 cases) keeps about 300 KiB.
pub const MAX_RUN_RETAINED: usize = 8 << 20;

/// The run's share of [`MAX_RUN_RETAINED`] used so far.
#[derive(Debug, Default)]
pub struct RunBudget {
    /// Bytes kept by the finished cases (payloads plus [`ROW_COST`] per row or event).
    pub used: usize,
}

impl RunBudget {
    /// Take a finished case's record into the run. Its received events are cut
    /// to what a report shows of them (the first [`Logged::PREFIX`] bytes: the
    /// verdicts, which needed them whole, are made); then its wire log rows and
    /// received events are kept in order while the run's budget lasts, and what
    /// does not fit is dropped and listed as a limit of the case.
    pub fn admit(&mut self, r: &mut CaseResult) {
        for ev in &mut r.received {
            if let Ev::Message { data, .. } | Ev::Ping(data) | Ev::Pong(data) = ev {
                data.truncate(Logged::PREFIX);
                data.shrink_to_fit();
            }
        }
        // The opening handshake's request and response heads (16 KiB each at
        // most, `HandshakeLimits`) are kept whole: they name the agent and show
        // what failed; they count against the budget first.
        self.used = self
            .used
            .saturating_add(r.http_request.len() + r.http_response.len());
        let rows = self.keep(r.wirelog.iter().map(WireRow::kept_bytes));
        let events = self.keep(r.received.iter().map(Ev::payload_len));
        let (rows_dropped, events_dropped) = (r.wirelog.len() - rows, r.received.len() - events);
        // What is dropped is freed: a truncated Vec keeps its capacity.
        r.wirelog.truncate(rows);
        r.wirelog.shrink_to_fit();
        r.received.truncate(events);
        r.received.shrink_to_fit();
        if rows_dropped + events_dropped > 0 {
            r.limits.push(format!(
                "the run's report budget ({} MiB for every case's log) was used up: {rows_dropped} wire log rows and {events_dropped} received events of this case are not in its report",
                MAX_RUN_RETAINED >> 20
            ));
        }
    }

    /// How many of the items (by payload length) fit, counting them as used.
    fn keep(&mut self, lens: impl Iterator<Item = usize>) -> usize {
        let mut kept = 0;
        for len in lens {
            let cost = len.saturating_add(ROW_COST);
            if self.used.saturating_add(cost) > MAX_RUN_RETAINED {
                // Keep the record's order: nothing after the first item that does not fit.
                self.used = MAX_RUN_RETAINED;
                break;
            }
            self.used += cost;
            kept += 1;
        }
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ws::result::WireRow;

    #[test]
    fn events_stop_at_either_limit_and_say_so() {
        let mut b = Budget::default();
        for _ in 0..MAX_RECEIVED_EVENTS {
            assert!(b.take_event(0));
        }
        assert!(!b.take_event(0));
        assert!(b.observation.is_some());
        let mut b = Budget::default();
        assert!(b.take_event(MAX_RECEIVED_BYTES));
        assert!(!b.take_event(1));
        assert_eq!(b.events_dropped, 1);
        assert_eq!(b.limits().len(), 2);
    }

    #[test]
    fn the_wire_log_keeps_its_first_part_and_counts_the_rest() {
        let mut b = Budget::default();
        let mut kept = 0;
        for _ in 0..10_000 {
            if b.take_row(1000) {
                kept += 1;
            }
        }
        assert_eq!(kept, MAX_WIRE_LOG / (1000 + ROW_COST));
        assert!(b.wire_log <= MAX_WIRE_LOG);
        assert_eq!(b.rows_dropped, 10_000 - kept as u64);
        // Truncating the record is not an observation limit: the verdict stands.
        assert!(b.observation.is_none());
        assert!(b.limits()[0].contains("wire log truncated"));
    }

    #[test]
    fn the_run_keeps_records_until_its_budget_is_spent() {
        let case = crate::ws::cases::all().into_iter().next().expect("a case");
        let mut run = RunBudget::default();
        let row = || WireRow::Rx(Logged::of(&[0; 100]));
        let per_row = Logged::PREFIX + ROW_COST;
        let mut first = CaseResult::unrun(&case, 1);
        first.wirelog = (0..MAX_RUN_RETAINED / per_row - 1).map(|_| row()).collect();
        first.received.push(Ev::text(vec![b'a'; 1 << 20]));
        run.admit(&mut first);
        assert!(first.limits.is_empty(), "{:?}", first.limits);
        assert_eq!(
            first.received[0].payload_len(),
            Logged::PREFIX,
            "events are cut to what the report shows"
        );
        let mut second = CaseResult::unrun(&case, 2);
        second.wirelog = vec![row(), row(), row()];
        run.admit(&mut second);
        assert!(second.wirelog.len() < 3, "the budget ran out");
        assert!(
            second.limits[0].contains("wire log rows"),
            "{:?}",
            second.limits
        );
        assert!(run.used <= MAX_RUN_RETAINED);
    }

    #[test]
    fn octet_statistics_count_a_bounded_number_of_sizes() {
        let mut b = Budget::default();
        let mut stats = BTreeMap::new();
        for n in 0..5000 {
            b.count_size(&mut stats, n);
        }
        b.count_size(&mut stats, 0);
        assert_eq!(stats.len(), MAX_OCTET_SIZES);
        assert_eq!(stats[&0], 2);
        assert_eq!(b.sizes_dropped, (5000 - MAX_OCTET_SIZES) as u64);
        assert!(b.limits()[0].contains("octet statistics"));
    }

    #[test]
    fn pongs_stop_when_the_queue_is_full() {
        let mut b = Budget::default();
        assert!(b.take_pong(MAX_QUEUED_WRITES - 10, 10));
        assert!(!b.take_pong(MAX_QUEUED_WRITES - 10, 11));
        assert!(b.observation.is_some());
    }
}
