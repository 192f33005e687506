//! `E.3`: liveness, judged from when each read of the main stream arrived.
//!
//! Events are only useful as they happen. A server (or a proxy, or a compressor
//! in front of it) that flushes by size rather than per event leaves a reader
//! inside an incomplete event until the buffer fills; one that buffers the whole
//! response delivers everything when it closes. Both show in the arrival pattern
//! without knowing the server's cadence: after a read that stops inside an event,
//! the rest of that event should follow at once.

use std::time::Duration;

use super::super::case::{
    Case, Ctx, Need, Verdict, failed, info, is_stream, judged_items, no_response, non_strict, ok,
    secs,
};
use super::super::observe::Observation;

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case {
        id: "E.3.1",
        description: "The response head is sent without waiting for the first event",
        rule: "WHATWG SSE §9.2.3: the client announces the connection (open) when the response arrives; a head held back delays it",
        expectation: "The head arrives promptly, not only together with the first event",
        needs: &[Need::Main],
        check: head_first,
    },
    Case {
        id: "E.3.2",
        description: "Time to the first event",
        rule: "Informational: how long a client waits for its first event",
        expectation: "Reported",
        needs: &[Need::Main],
        check: first_event,
    },
    Case {
        id: "E.3.3",
        description: "Events arrive as the server emits them (no buffering)",
        rule: "WHATWG SSE §9.2.7 and sse.md §4.C.19: each event is flushed as a whole; a proxy or compressor that buffers (nginx proxy_buffering, gzip without flush) holds events back",
        expectation: "No read stops inside an event for long; no silence ends in a burst of 3 or more events in one read; the stream is not delivered only at its end",
        needs: &[Need::Main],
        check: no_buffering,
    },
    Case {
        id: "E.3.4",
        description: "The longest silence stays under the heartbeat threshold",
        rule: "WHATWG SSE §9.2.7: a comment line every 15 seconds or so keeps proxies from dropping idle connections",
        expectation: "No silence longer than --heartbeat (default 15 s)",
        needs: &[Need::Main],
        check: heartbeat,
    },
];

/// Why the stream looks buffered, if it does: a read that stopped inside an event
/// whose rest came `stall` or more later, or every event delivered in the last
/// moment before the server closed a stream that had been silent.
pub fn held_back(o: &Observation, stall: Duration) -> Option<String> {
    for (i, a) in o.arrivals.iter().enumerate() {
        if !a.inside_event {
            continue;
        }
        let (next, cut) = match o.arrivals.get(i + 1) {
            Some(n) => (n.at, false),
            None => (o.ended_at, !o.server_ended()),
        };
        let waited = next.saturating_sub(a.at);
        if waited >= stall {
            return Some(if cut {
                format!(
                    "the stream stopped inside an event at byte {} for {} until wirecheck stopped reading: the event is held back (flushed by size, not per event)",
                    a.end,
                    secs(waited)
                )
            } else {
                format!(
                    "an event was held incomplete for {} at byte {}: the stream is flushed by size, not per event (a buffering proxy or compressor?)",
                    secs(waited),
                    a.end
                )
            });
        }
    }
    let events: Vec<Duration> = o.events().map(|e| e.0).collect();
    if o.server_ended() && events.len() >= 2 {
        let head = o.head_at.unwrap_or_default();
        let first = events[0];
        if first.saturating_sub(head) >= stall && o.ended_at.saturating_sub(first) < stall / 4 {
            return Some(format!(
                "all {} events arrived when the server closed the stream after {}: the response is buffered",
                events.len(),
                secs(o.ended_at)
            ));
        }
    }
    None
}

/// The fewest events one read must deliver after a silence to count as a burst.
pub const BURST: u64 = 3;

/// A read that ended a silence by delivering [`BURST`] or more events at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Burst {
    /// When the read came (since the request).
    pub at: Duration,
    /// How long nothing came before it (since the previous read, or the head).
    pub silence: Duration,
    /// Events it completed.
    pub events: u64,
    /// Decoded bytes it delivered.
    pub bytes: u64,
}

/// Reads that delivered [`BURST`] or more events at once after `stall` or more of
/// silence: events the server wrote over time, held back and flushed together.
pub fn bursts(o: &Observation, stall: Duration) -> Vec<Burst> {
    o.reads()
        .filter(|r| r.events >= BURST && r.silence >= stall)
        .map(|r| Burst {
            at: r.at,
            silence: r.silence,
            events: r.events,
            bytes: r.bytes,
        })
        .collect()
}

fn head_first(cx: &Ctx<'_>) -> Verdict {
    let o = cx.main();
    let Some(head) = o.head_at else {
        return no_response(o);
    };
    let first = o.arrivals.first().map(|a| a.at);
    match first {
        Some(f)
            if head >= cx.settings.stall()
                && f.saturating_sub(head) < Duration::from_millis(50) =>
        {
            non_strict(format!(
                "the response head came after {} together with the first body bytes: it was held until there was something to send",
                secs(head)
            ))
        }
        Some(f) => ok(format!(
            "head after {}, first body bytes after {}",
            secs(head),
            secs(f)
        )),
        None => ok(format!("head after {}, no body bytes", secs(head))),
    }
}

fn first_event(cx: &Ctx<'_>) -> Verdict {
    let o = cx.main();
    judged_items(o, first_event_of(o))
}

fn first_event_of(o: &Observation) -> Verdict {
    if !is_stream(o) {
        return info("no event stream (see E.1.1 and E.1.2)");
    }
    let n = o.events().count();
    let head = o.head_at.unwrap_or_default();
    match o.events().next() {
        Some((at, ty, _, _)) => info(format!(
            "first event ({ty}) {} after the response head; {n} events in {}",
            secs(at.saturating_sub(head)),
            secs(o.ended_at)
        )),
        None => info(format!("no event in {}", secs(o.ended_at))),
    }
}

fn no_buffering(cx: &Ctx<'_>) -> Verdict {
    let o = cx.main();
    judged_items(o, no_buffering_of(cx, o))
}

fn no_buffering_of(cx: &Ctx<'_>, o: &Observation) -> Verdict {
    if !is_stream(o) {
        return info("no event stream (see E.1.1 and E.1.2)");
    }
    let stall = cx.settings.stall();
    if let Some(why) = held_back(o, stall) {
        return failed(why);
    }
    let b = bursts(o, stall);
    if let Some(first) = b.first() {
        // A client sees events only when they arrive: several at once after a
        // silence were held back somewhere (sse.md §4.C.19); see the timeline.
        return failed(format!(
            "buffered: after {} of silence, one read at {} delivered {} events ({} bytes) at once{}; the timeline shows each read",
            secs(first.silence),
            secs(first.at),
            first.events,
            first.bytes,
            if b.len() > 1 {
                format!(" ({} such bursts in all)", b.len())
            } else {
                String::new()
            }
        ));
    }
    let n = o.events().count();
    if n == 0 {
        return info(format!(
            "no event in {}: nothing to judge",
            secs(o.ended_at)
        ));
    }
    ok(format!(
        "{n} events in {} reads over {}, none held back",
        o.arrivals.len(),
        secs(o.ended_at)
    ))
}

fn heartbeat(cx: &Ctx<'_>) -> Verdict {
    let o = cx.main();
    judged_items(o, heartbeat_of(cx, o))
}

fn heartbeat_of(cx: &Ctx<'_>, o: &Observation) -> Verdict {
    if !is_stream(o) {
        return info("no event stream (see E.1.1 and E.1.2)");
    }
    let threshold = cx.settings.heartbeat;
    let mut prev = o.head_at.unwrap_or_default();
    let mut longest = Duration::ZERO;
    let mut at = prev;
    for r in o.reads() {
        if r.silence > longest {
            longest = r.silence;
            at = prev;
        }
        prev = r.at;
    }
    // The silence after the last read counts too, when wirecheck ended it.
    let tail = o.ended_at.saturating_sub(prev);
    if !o.server_ended() && tail > longest {
        longest = tail;
        at = prev;
    }
    let observed = o.ended_at.saturating_sub(o.head_at.unwrap_or_default());
    if longest > threshold {
        non_strict(format!(
            "silent for {} from {} on, longer than the {} heartbeat threshold: proxies may drop the idle connection (send a comment every 15 s or so)",
            secs(longest),
            secs(at),
            secs(threshold)
        ))
    } else if observed < threshold {
        info(format!(
            "longest silence {} in {} observed, shorter than the {} threshold (raise --duration to judge it)",
            secs(longest),
            secs(observed),
            secs(threshold)
        ))
    } else {
        ok(format!(
            "longest silence {} in {} (threshold {})",
            secs(longest),
            secs(observed),
            secs(threshold)
        ))
    }
}
