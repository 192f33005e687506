//! `E.6`: event streams over HTTP/2 (RFC 9113), run only with `--http 2`.
//! Every other case runs over HTTP/2 as over HTTP/1.1 (the reconnect of E.4.2
//! and E.4.3 on a new stream of the same connection, as browsers make it);
//! these check what only HTTP/2 has. Browsers open an EventSource over HTTP/2
//! whenever the server offers it: that is how SSE escapes the limit of six
//! connections per origin, so the streams of many tabs share one connection.

use super::super::case::{
    CONCURRENT_STREAMS, Case, Ctx, Need, Verdict, failed, info, is_stream, no_response, non_strict,
    ok, response_summary, secs,
};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case {
        id: "E.6.1",
        description: "Several event streams at once on one HTTP/2 connection each deliver events",
        rule: "RFC 9113 §5: a connection carries concurrent streams, each independent of the others (a stream held back behind another stalls every tab but one)",
        expectation: "Every stream answers 200 text/event-stream and delivers events",
        needs: &[Need::Concurrent],
        check: concurrent,
    },
    Case {
        id: "E.6.2",
        description: "The response has no connection-specific header field",
        rule: "RFC 9113 §8.2.2: a message with Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding or Upgrade is malformed (browsers refuse it)",
        expectation: "A response head without those fields",
        needs: &[Need::Main],
        check: no_connection_fields,
    },
];

fn concurrent(cx: &Ctx<'_>) -> Verdict {
    let Some(group) = &cx.obs.concurrent else {
        return info("not observed (HTTP/2 only)");
    };
    let Some(allowed) = group.allowed else {
        return info("no HTTP/2 connection to open the streams on (see E.1.1)");
    };
    if allowed < CONCURRENT_STREAMS {
        // RFC 9113 §5.1.2: "It is recommended that this value be no smaller than 100".
        let streams = if allowed == 1 { "stream" } else { "streams" };
        return non_strict(format!(
            "the server allows {allowed} {streams} at once (SETTINGS_MAX_CONCURRENT_STREAMS), fewer than a browser's tabs need; RFC 9113 §5.1.2 recommends at least 100"
        ));
    }
    let streams = &group.streams;
    if streams.len() < CONCURRENT_STREAMS {
        return info("not observed (HTTP/2 only)");
    }
    let served = streams
        .iter()
        .filter(|o| is_stream(o) && o.dispatched > 0)
        .count();
    let each: Vec<String> = streams
        .iter()
        .enumerate()
        .map(|(i, o)| {
            format!(
                "stream {}: {}, {} events in {}",
                i + 1,
                response_summary(o),
                o.dispatched,
                secs(o.ended_at)
            )
        })
        .collect();
    let each = each.join("; ");
    if served == streams.len() {
        ok(format!("every stream delivered events ({each})"))
    } else if served == 0 && !streams.iter().any(is_stream) {
        // Not a stream at all: E.1's cases say why.
        info(format!(
            "no event stream to share a connection with ({each})"
        ))
    } else {
        failed(format!(
            "{served} of {} streams on one connection delivered events ({each}): the others were held back",
            streams.len()
        ))
    }
}

fn no_connection_fields(cx: &Ctx<'_>) -> Verdict {
    let o = cx.main();
    if o.head.is_some() {
        return ok("none of Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade");
    }
    let v = no_response(o);
    if v.reason.contains("RFC 9113 §8.2.2") {
        v
    } else {
        info(format!("no response head to judge: {}", v.reason))
    }
}
