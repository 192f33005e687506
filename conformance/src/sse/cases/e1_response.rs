//! `E.1`: the response an EventSource gets (WHATWG HTML §9.2.3 processing model,
//! RFC 9110/9112). A browser opens the stream only on status 200 with a
//! `text/event-stream` content type; anything else fails the connection for good.

use super::super::case::{
    Case, Ctx, Need, Verdict, failed, info, is_stream, judged_items, no_response, non_strict, ok,
    response_summary, secs,
};
use super::super::http::content_length;
use super::super::observe::{End, Observation};
use super::e3_liveness::held_back;

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case {
        id: "E.1.1",
        description: "A GET as an EventSource sends it is answered with status 200",
        rule: "WHATWG SSE §9.2.3: a status other than 200 fails the connection (no reconnect); 204 is only for stopping a reconnecting client (§9.2 intro)",
        expectation: "200, after at most a few redirects",
        needs: &[Need::Main],
        check: status_200,
    },
    Case {
        id: "E.1.2",
        description: "The Content-Type essence is text/event-stream",
        rule: "WHATWG SSE §9.2.3: a MIME type essence other than text/event-stream fails the connection; parameters are ignored, the stream is always UTF-8 (§9.2.5)",
        expectation: "Content-Type: text/event-stream (parameters tolerated; charset, if any, utf-8)",
        needs: &[Need::Main],
        check: content_type,
    },
    Case {
        id: "E.1.3",
        description: "The endless stream carries no Content-Length",
        rule: "WHATWG SSE §9.2.3: the end of the body makes clients reconnect, so a fixed length makes a finite stream that clients fetch again and again",
        expectation: "No Content-Length on a 200 stream",
        needs: &[Need::Main],
        check: no_content_length,
    },
    Case {
        id: "E.1.4",
        description: "The stream is marked not to be cached",
        rule: "WHATWG SSE §9.2.2: clients fetch with cache mode no-store; servers should say Cache-Control: no-cache or no-store so proxies and CDNs do not hold the stream (sse.md §4.A.4)",
        expectation: "Cache-Control: no-cache or no-store",
        needs: &[Need::Main],
        check: cache_control,
    },
    Case {
        id: "E.1.5",
        description: "The body is framed by HTTP/1.1 chunked coding or by closing the connection",
        rule: "RFC 9112 §6.3, §7.1: a chunked or close-delimited body, both valid (over HTTP/2, DATA frames, RFC 9113 §8.1); the framing must decode",
        expectation: "A chunked or close-delimited body that decodes",
        needs: &[Need::Main],
        check: framing,
    },
    Case {
        id: "E.1.6",
        description: "With gzip offered, events are still decodable as they arrive",
        rule: "RFC 9110 §8.4, §12.5.3: only an offered coding may be used; WHATWG SSE §9.2.7: events are useless if a compressor holds them (flush per event)",
        expectation: "Identity, or gzip/deflate flushed per event",
        needs: &[Need::Gzip, Need::Main],
        check: compression,
    },
    Case {
        id: "E.1.7",
        description: "A GET without Accept still gets the stream",
        rule: "WHATWG SSE §9.2.2: sending Accept: text/event-stream is optional for user agents (sse.md §4.A.9)",
        expectation: "200 text/event-stream without Accept",
        needs: &[Need::NoAccept],
        check: without_accept,
    },
];

fn redirects(o: &Observation) -> String {
    if o.redirects.is_empty() {
        String::new()
    } else {
        let chain: Vec<String> = o
            .redirects
            .iter()
            .map(|(s, l)| format!("{s} → {l}"))
            .collect();
        format!(" after {}", chain.join(", "))
    }
}

fn status_200(cx: &Ctx<'_>) -> Verdict {
    let o = cx.main();
    match (o.status(), &o.end) {
        // Fetch (HTTP-redirect fetch): a redirect chain that does not end is a
        // network error; EventSource fails the connection for good.
        (Some(s), End::BadResponse(why)) if (300..400).contains(&s) => failed(format!(
            "{s}: {why}: browsers fail the connection and never reconnect"
        ))
        .shaped_by(&o.limits),
        _ => status_of(o),
    }
}

fn status_of(o: &Observation) -> Verdict {
    match o.status() {
        None => no_response(o),
        Some(200) => ok(format!("200{}", redirects(o))),
        Some(204) => failed(
            "204 No Content to the first request: browsers stop for good before any event (204 is for stopping a reconnecting client)",
        ),
        Some(s) if (300..400).contains(&s) => failed(format!(
            "{s}{}: a redirect that does not end in 200 (no usable Location?) fails the connection",
            redirects(o)
        )),
        Some(s) => failed(format!(
            "status {s}: browsers fail the connection and never reconnect (only 200 opens a stream)"
        )),
    }
}

fn content_type(cx: &Ctx<'_>) -> Verdict {
    let o = cx.main();
    let Some(h) = &o.head else {
        return no_response(o);
    };
    let raw = h.get("content-type");
    match (raw, h.mime_essence()) {
        (None, _) => {
            failed("no Content-Type: browsers fail the connection (text/event-stream required)")
        }
        (Some(v), Some(e)) if e == "text/event-stream" => {
            let charset = v
                .split(';')
                .skip(1)
                .filter_map(|p| p.split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
                .map(|(_, c)| c.trim().trim_matches('"').to_owned());
            match charset {
                Some(c) if !c.eq_ignore_ascii_case("utf-8") => non_strict(format!(
                    "Content-Type: {v}: charset={c} is ignored, event streams are always decoded as UTF-8"
                )),
                _ => ok(format!("Content-Type: {v}")),
            }
        }
        (Some(v), _) => failed(format!(
            "Content-Type: {v}: not text/event-stream, browsers fail the connection and never reconnect"
        )),
    }
}

fn no_content_length(cx: &Ctx<'_>) -> Verdict {
    let o = cx.main();
    let Some(h) = &o.head else {
        return no_response(o);
    };
    // RFC 9112 §6.3 item 5: an invalid Content-Length (not digits, beyond 64
    // bits, conflicting values) makes the response an unrecoverable error.
    if let Err(why) = content_length(h) {
        return failed(format!("{why}: clients fail the request"));
    }
    match h.get("content-length") {
        Some(n) if h.status == 200 => non_strict(format!(
            "Content-Length: {n}: a finite stream; clients reconnect to it at every end, in a loop"
        )),
        _ => ok("no Content-Length"),
    }
}

fn cache_control(cx: &Ctx<'_>) -> Verdict {
    let o = cx.main();
    let Some(h) = &o.head else {
        return no_response(o);
    };
    let members = match h.list("cache-control") {
        Ok(members) => members,
        // Not RFC 9111 §5.2's grammar: a cache that splits on commas may
        // still find no-cache in it, a strict one finds nothing.
        Err(why) => {
            return non_strict(format!(
                "{why}: caches and proxies may store or hold the stream"
            ));
        }
    };
    if members
        .iter()
        // RFC 9111 §5.2.2.4: `no-cache="field"` only restricts those fields.
        .any(|m| m == "no-cache" || m == "no-store")
    {
        ok(format!("Cache-Control: {}", members.join(", ")))
    } else if members.is_empty() {
        non_strict("no Cache-Control: caches and proxies may store or hold the stream")
    } else {
        non_strict(format!(
            "Cache-Control: {}: neither no-cache nor no-store",
            members.join(", ")
        ))
    }
}

fn framing(cx: &Ctx<'_>) -> Verdict {
    let o = cx.main();
    if o.head.is_none() {
        return no_response(o);
    }
    let Some(name) = o.framing else {
        return match &o.end {
            End::Undecodable(why) => failed(format!("the body's framing is invalid: {why}")),
            end => failed(format!("no body framing: {end}")),
        };
    };
    match &o.end {
        End::Undecodable(why) => failed(format!("{name} body does not decode: {why}")),
        End::Broken(why) => failed(format!("{name} body broken: {why}")),
        end => {
            // A stream that outgrew wirecheck's own bounds is not the framing's fault.
            let note = match end {
                End::Limit(why) => {
                    format!(" (decoded until wirecheck stopped at its limit: {why})")
                }
                _ => String::new(),
            };
            match name {
                "chunked" => ok(format!("chunked transfer coding{note}")),
                "close-delimited" => ok(format!("close-delimited body{note}")),
                // RFC 9113 §8.1: DATA frames up to END_STREAM, no transfer coding.
                "HTTP/2 DATA frames" => ok(format!("HTTP/2 DATA frames{note}")),
                other => info(format!("{other} body (see E.1.3){note}")),
            }
        }
    }
}

fn compression(cx: &Ctx<'_>) -> Verdict {
    let Some(g) = &cx.obs.gzip else {
        return info("not observed");
    };
    if g.head.is_none() {
        return no_response(g);
    }
    if !is_stream(g) {
        return failed(format!(
            "with Accept-Encoding: gzip, deflate: {} (an offered coding must not change the stream)",
            response_summary(g)
        ));
    }
    let coding = g.coding.as_deref().unwrap_or("identity");
    match coding {
        "identity" => return ok("not compressed when gzip, deflate are offered"),
        "gzip" | "deflate" => {}
        other => {
            return failed(format!(
                "Content-Encoding: {other} was not offered (Accept-Encoding: gzip, deflate)"
            ));
        }
    }
    if let End::Undecodable(why) = &g.end {
        return failed(format!("{coding} body does not decode: {why}"));
    }
    let events = g.events().count();
    let main_events = cx.obs.main.as_ref().map_or(0, |m| m.events().count());
    if events == 0 && main_events > 0 {
        return failed(format!(
            "{coding}: no event decodable in {} while the identity stream delivered {main_events}: the compressor holds events (flush after each)",
            secs(g.ended_at)
        ));
    }
    if events == 0 {
        return info(format!(
            "{coding}: no event in {} on either stream: nothing to judge",
            secs(g.ended_at)
        ));
    }
    if let Some(stall) = held_back(g, cx.settings.stall()) {
        return judged_items(g, failed(format!("{coding}: {stall}")));
    }
    if g.raw_deflate {
        // RFC 9110 §8.4.1.2: "deflate" is the zlib format; browsers also take raw
        // DEFLATE, other clients (and proxies) may not.
        return non_strict(format!(
            "Content-Encoding: deflate but the body is raw DEFLATE (RFC 1951) without the zlib wrapper RFC 9110 §8.4.1.2 requires; {events} events decodable as they arrived (browsers accept it)"
        ));
    }
    judged_items(
        g,
        ok(format!(
            "{coding}, {events} events decodable as they arrived"
        )),
    )
}

fn without_accept(cx: &Ctx<'_>) -> Verdict {
    let Some(o) = &cx.obs.no_accept else {
        return info("not observed");
    };
    match o.status() {
        None => no_response(o),
        Some(406) => non_strict("406 Not Acceptable without Accept: clients need not send it"),
        _ if is_stream(o) => ok(response_summary(o)),
        _ => non_strict(format!(
            "without Accept: {} (with it: a stream)",
            response_summary(o)
        )),
    }
}
