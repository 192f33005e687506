//! `E.4`: reconnection and replay (WHATWG HTML §9.2.3 "reestablish the
//! connection", §9.2.4 `Last-Event-ID`). A client reconnects after the body ends
//! or the network fails, sending the last event ID it committed; the server
//! decides what to replay. Whatever it decides, it must not answer with a status
//! that makes browsers give up: every status but 200 fails the connection for
//! good, and 5xx did so deliberately since 2013 (sse.md §3.2).

use super::super::case::{
    Case, Ctx, Need, Verdict, failed, info, is_stream, judged_items, non_strict, ok,
    response_summary, secs, unimplemented,
};
use super::super::observe::{Observation, Seen};
use wirecheck_codec::sse::Retry;

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case {
        id: "E.4.1",
        description: "The reconnection time the server announces",
        rule: "WHATWG SSE §9.2.6: a retry field of digits sets the reconnection time in milliseconds",
        expectation: "Reported (none: the client's default, a few seconds)",
        needs: &[Need::Main],
        check: retry_announced,
    },
    Case {
        id: "E.4.2",
        description: "A reconnect with Last-Event-ID set to an id seen is accepted",
        rule: "WHATWG SSE §9.2.3, §9.2.4: the client reconnects with Last-Event-ID; any status but 200 ends it for good",
        expectation: "200 text/event-stream",
        needs: &[Need::Resume],
        check: resume_accepted,
    },
    Case {
        id: "E.4.3",
        description: "After a reconnect the stream resumes after the id sent: no duplicate, no gap",
        rule: "WHATWG SSE §9.2.4 (replay is the application's; sse.md §4.D.20): a server that replays sends the events after Last-Event-ID, once",
        expectation: "No event seen before is sent again; with sequential ids, the next id follows the one sent",
        needs: &[Need::Resume],
        check: resume_replay,
    },
    Case {
        id: "E.4.4",
        description: "A reconnect with an unknown Last-Event-ID is not answered with 5xx",
        rule: "WHATWG SSE §9.2.3: a 5xx (any status but 200) stops the client forever (whatwg/html 4e301b6b); sse.md §4.D.21",
        expectation: "200 (a fresh stream), or 204 to stop on purpose",
        needs: &[Need::UnknownId],
        check: unknown_id,
    },
    Case {
        id: "E.4.5",
        description: "A reconnect with a long, non-ASCII, CORS-unsafe Last-Event-ID is not answered with 5xx",
        rule: "WHATWG SSE §9.2.4: the header carries any id without NUL, LF or CR, UTF-8 encoded (whatwg/html#7363)",
        expectation: "200, or 204 to stop on purpose",
        needs: &[Need::OddId],
        check: odd_id,
    },
    Case {
        id: "E.4.6",
        description: "A server that ends the stream answers the reconnect with 204 to stop",
        rule: "WHATWG SSE §9.2 intro and §9.2.3: a client reconnects after the body ends; 204 No Content is the way to tell it to stop",
        expectation: "204 to the reconnect after the server ended the stream (200 resumes it; other codes are errors to the client)",
        needs: &[Need::Main, Need::EndReconnect],
        check: end_then_204,
    },
    Case {
        id: "E.4.7",
        description: "Events carry ids, so a reconnecting client can resume",
        rule: "WHATWG SSE §9.2.4, §9.2.6: a client sends Last-Event-ID only when an id field set one; without it the server cannot tell what the client missed",
        expectation: "Events set an id (each its own, for an exact resume)",
        needs: &[Need::Main],
        check: ids_for_resume,
    },
];

fn retry_announced(cx: &Ctx<'_>) -> Verdict {
    let o = cx.main();
    judged_items(o, retry_of(o))
}

fn retry_of(o: &Observation) -> Verdict {
    if !is_stream(o) {
        return info("no event stream (see E.1.1 and E.1.2)");
    }
    let retries: Vec<Retry> = o
        .items
        .iter()
        .filter_map(|(_, s)| match s {
            Seen::Retry(r) => Some(*r),
            _ => None,
        })
        .collect();
    match retries.last() {
        None => info("no retry field: clients use their default reconnection time (a few seconds)"),
        Some(Retry::Millis(ms)) => info(format!(
            "retry: {ms} ms{}",
            if retries.len() > 1 {
                format!(" (the last of {} retry fields)", retries.len())
            } else {
                String::new()
            }
        )),
        Some(Retry::Empty) => info("retry: with an empty value (browsers reset to their default)"),
        Some(Retry::TooLarge) => info("a retry value too large for 64 bits (ignored)"),
    }
}

/// How a reconnect's status reads, for a request the server should accept.
fn reconnect_status(o: &Observation, what: &str) -> Verdict {
    match o.status() {
        None => failed(format!("{what}: {}", response_summary(o))).shaped_by(&o.limits),
        Some(200) if is_stream(o) => ok(format!("{what}: {}", response_summary(o))),
        Some(204) => ok(format!(
            "{what}: 204 No Content (the server stops the client on purpose)"
        )),
        Some(s) if s >= 500 => failed(format!(
            "{what}: status {s}: browsers give up for good and never reconnect"
        )),
        Some(_) => non_strict(format!(
            "{what}: {}: the client stops for good",
            response_summary(o)
        )),
    }
}

fn ids_of(o: &Observation) -> Vec<&str> {
    o.events()
        .map(|e| e.3)
        .filter(|id| !id.is_empty())
        .collect()
}

fn resume_accepted(cx: &Ctx<'_>) -> Verdict {
    let Some((first, second)) = &cx.obs.resume else {
        return info("not observed");
    };
    // Whether an id was seen depends on what the first stream kept.
    judged_items(first, accepted_of(first, second))
}

fn accepted_of(first: &Observation, second: &Option<(String, Observation)>) -> Verdict {
    if !is_stream(first) {
        return info(format!(
            "no event stream to reconnect to: {}",
            response_summary(first)
        ));
    }
    let Some((id, o)) = second else {
        return unimplemented(format!(
            "no event carried an id in {}: nothing to resume from (see E.4.7)",
            secs(first.ended_at)
        ));
    };
    match o.status() {
        Some(204) => info(format!(
            "Last-Event-ID: {id}: 204 No Content (the server stops the client)"
        )),
        Some(200) if is_stream(o) => ok(format!("Last-Event-ID: {id}: {}", response_summary(o))),
        // An id the server itself issued: anything but a stream or 204 stops every
        // browser for good on a routine reconnect.
        _ => failed(format!(
            "Last-Event-ID: {id} (an id the server sent): {}: browsers stop for good",
            response_summary(o)
        )),
    }
}

fn resume_replay(cx: &Ctx<'_>) -> Verdict {
    let Some((first, second)) = &cx.obs.resume else {
        return info("not observed");
    };
    // Judged from the ids kept of both streams.
    let v = replay_of(first, second);
    let v = judged_items(first, v);
    match second {
        Some((_, o)) => judged_items(o, v),
        None => v,
    }
}

fn replay_of(first: &Observation, second: &Option<(String, Observation)>) -> Verdict {
    let Some((sent, o)) = second else {
        return unimplemented("no event carried an id: nothing to resume from");
    };
    if !is_stream(o) {
        return info(format!(
            "the reconnect got no stream (see E.4.2): {}",
            response_summary(o)
        ));
    }
    let before = ids_of(first);
    let after = ids_of(o);
    let Some(&next) = after.first() else {
        return info(format!(
            "no event with an id within {} of reconnecting",
            secs(o.ended_at)
        ));
    };
    if let Some(dup) = after.iter().find(|id| before.contains(id)) {
        return failed(format!(
            "event {dup} was sent again after the reconnect with Last-Event-ID: {sent}: the server ignores Last-Event-ID (duplicates)"
        ));
    }
    let numbers: Option<Vec<u64>> = before.iter().map(|i| i.parse().ok()).collect();
    let sequential = numbers
        .as_ref()
        .is_some_and(|n| n.len() >= 2 && n.windows(2).all(|w| w[1] == w[0] + 1));
    let (Some(last), Ok(next_n)) = (sent.parse::<u64>().ok(), next.parse::<u64>()) else {
        return info(format!(
            "ids are not numbers; the first id after the reconnect is {next}, none repeated"
        ));
    };
    if !sequential {
        return info(format!(
            "ids are not sequential; the first id after the reconnect is {next}, none repeated"
        ));
    }
    if next_n <= last {
        return failed(format!(
            "after Last-Event-ID: {sent} the stream restarted at id {next}: events are delivered twice"
        ));
    }
    if next_n > last + 1 {
        return non_strict(format!(
            "after Last-Event-ID: {sent} the stream went on at id {next}: events {}..{} are lost across the reconnect (no replay)",
            last + 1,
            next_n - 1
        ));
    }
    ok(format!(
        "after Last-Event-ID: {sent} the stream resumed at id {next}: no gap, no duplicate"
    ))
}

fn unknown_id(cx: &Ctx<'_>) -> Verdict {
    let Some((id, o)) = &cx.obs.unknown_id else {
        return info("not observed");
    };
    reconnect_status(o, &format!("Last-Event-ID: {id}"))
}

fn odd_id(cx: &Ctx<'_>) -> Verdict {
    let Some((id, o)) = &cx.obs.odd_id else {
        return info("not observed");
    };
    let what = format!("a {}-byte non-ASCII Last-Event-ID", id.len());
    match o.status() {
        Some(s @ (400 | 431)) => non_strict(format!(
            "{what}: status {s}: the client stops for good (ids are any text without NUL, CR, LF)"
        )),
        _ => reconnect_status(o, &what),
    }
}

fn end_then_204(cx: &Ctx<'_>) -> Verdict {
    let main = cx.main();
    if !is_stream(main) {
        return info("no event stream (see E.1.1 and E.1.2)");
    }
    let Some(Some(o)) = &cx.obs.end_reconnect else {
        return info(format!(
            "the server kept the stream open for {} (it never ended it)",
            secs(main.ended_at)
        ));
    };
    match o.status() {
        Some(204) => ok(format!(
            "the server ended the stream after {} and answered the reconnect with 204: clients stop",
            secs(main.ended_at)
        )),
        Some(200) if is_stream(o) => info(format!(
            "the server ended the stream after {} and accepts the reconnect (200): clients reconnect after every end",
            secs(main.ended_at)
        )),
        Some(s) if s >= 500 => failed(format!(
            "the reconnect after the end got {s}: to stop a client answer 204, a 5xx is an error"
        )),
        _ => non_strict(format!(
            "the reconnect after the end got {}: answer 204 to stop a client on purpose",
            response_summary(o)
        )),
    }
}

fn ids_for_resume(cx: &Ctx<'_>) -> Verdict {
    let o = cx.main();
    judged_items(o, ids_of_events(o))
}

fn ids_of_events(o: &Observation) -> Verdict {
    if !is_stream(o) {
        return info("no event stream (see E.1.1 and E.1.2)");
    }
    let (mut n, mut without, mut reused) = (0u64, 0u64, 0u64);
    let mut prev: Option<&str> = None;
    for (_, _, _, id) in o.events() {
        n += 1;
        if id.is_empty() {
            without += 1;
        } else if prev == Some(id) {
            // The last event ID did not change: this event set none of its own.
            reused += 1;
        }
        prev = Some(id);
    }
    if n == 0 {
        return info(format!(
            "no event in {}: nothing to judge",
            secs(o.ended_at)
        ));
    }
    if without == n {
        // §9.2.4: with an empty last event ID, no Last-Event-ID is sent.
        return non_strict(format!(
            "none of the {n} events carries an id: a reconnecting client cannot resume (it sends no Last-Event-ID, so what it missed is lost or sent again)"
        ));
    }
    if without + reused > 0 {
        return info(format!(
            "{} of {n} events set no id of their own ({without} before any id): a client that reconnects after one of them resumes from an earlier id",
            without + reused
        ));
    }
    ok(format!("each of the {n} events sets its own id"))
}
