//! The EventSource client cases (`EC.`, DESIGN §5), each next to the WHATWG
//! rule it checks. A case is the replies the fuzzing server gives to the
//! client's successive requests for it, and a judge of what was seen: the
//! requests themselves (whether and when the client reconnected, the
//! `Last-Event-ID` it sent, which shows how it parsed the ids) and the events
//! the client reports it dispatched (the report-back protocol, README
//! "Testing an SSE client").
//!
//! * EC.1, parsing (WHATWG HTML "Parsing an event stream", "Interpreting an
//!   event stream", "Dispatch the event"): judged from the reported events.
//! * EC.2, the connection (WHATWG HTML "Processing model", "Reestablish the
//!   connection", "Fail the connection"): judged from the requests.

use std::time::Duration;

use super::super::case::{Verdict, failed, info, ok};

/// The event every case's last reply ends with: the client's adapter closes
/// the EventSource when it arrives and posts its report.
pub const END_TYPE: &str = "wirecheck-end";

/// The reconnection time the reconnecting cases announce, in milliseconds.
pub const RETRY_MS: u64 = 300;

/// Timer slack: a client that waits the announced time may start a little
/// before the server saw the end of the body.
const SLACK: Duration = Duration::from_millis(100);

/// One reply of the fuzzing server to one request of a case.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The body, in pieces each written after its pause (so a client reads
    /// them separately: a CR at the end of one read, a character cut in two).
    pub pieces: Vec<(Duration, Vec<u8>)>,
    /// Close TCP without answering at all (a network error).
    pub drop: bool,
    /// A `Location` header (a redirect).
    pub location: Option<&'static str>,
}

impl Reply {
    /// `200 text/event-stream` with `body`, written at once.
    pub fn stream(body: &[u8]) -> Reply {
        Reply::pieces(vec![body.to_vec()])
    }

    /// `200 text/event-stream`, each piece written 50 ms after the last.
    pub fn pieces(pieces: Vec<Vec<u8>>) -> Reply {
        Reply {
            status: 200,
            content_type: "text/event-stream",
            pieces: pieces
                .into_iter()
                .enumerate()
                .map(|(i, p)| (Duration::from_millis(if i == 0 { 0 } else { 50 }), p))
                .collect(),
            drop: false,
            location: None,
        }
    }

    /// A reply without an event stream: `status`, `content_type`, `body`.
    pub fn other(status: u16, content_type: &'static str, body: &[u8]) -> Reply {
        Reply {
            status,
            content_type,
            pieces: vec![(Duration::ZERO, body.to_vec())],
            drop: false,
            location: None,
        }
    }

    /// A redirect: `status` with `Location: location` and no body.
    pub fn redirect(status: u16, location: &'static str) -> Reply {
        Reply {
            location: Some(location),
            ..Reply::other(status, "text/plain", b"")
        }
    }

    /// TCP closed before any answer.
    pub fn dropped() -> Reply {
        Reply {
            status: 0,
            content_type: "",
            pieces: Vec::new(),
            drop: true,
            location: None,
        }
    }
}

/// A request the client made for a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenRequest {
    /// Its path (the case's, or below it after a redirect).
    pub path: String,
    /// When it arrived, since the run started.
    pub at: Duration,
    /// When the reply to it ended (the body closed), since the run started.
    pub ended: Option<Duration>,
    /// Its `Last-Event-ID`, if sent.
    pub last_event_id: Option<String>,
    /// Its `Accept`, if sent.
    pub accept: Option<String>,
}

/// An event the client reports it dispatched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispatched {
    /// The event's type.
    pub kind: String,
    /// Its data.
    pub data: String,
    /// Its `lastEventId`.
    pub last_event_id: String,
}

/// What was seen of a case.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// Every request for it, in order.
    pub requests: Vec<SeenRequest>,
    /// The events the client reported, if it reported; without the end event.
    pub report: Option<Vec<Dispatched>>,
}

/// A judge of what was seen.
pub type Judge = Box<dyn Fn(&Seen) -> Verdict + Send + Sync>;

/// One EventSource client case.
pub struct ClientCase {
    /// Its id (`EC.1.1`).
    pub id: &'static str,
    /// What it does, with the rule quoted.
    pub description: String,
    /// What a conforming client does.
    pub expectation: String,
    /// The event types the adapter listens for, besides [`END_TYPE`].
    pub types: Vec<&'static str>,
    /// The reply to the client's first, second, ... request; later ones get
    /// `204 No Content`, which tells a client to stop.
    pub replies: Vec<Reply>,
    /// The verdict.
    pub judge: Judge,
}

fn end() -> &'static [u8] {
    b"event: wirecheck-end\ndata: end\n\n"
}

fn with_end(body: &[u8]) -> Vec<u8> {
    [body, end()].concat()
}

fn show(events: &[Dispatched]) -> String {
    let shown: Vec<String> = events
        .iter()
        .take(8)
        .map(|e| format!("{}:{:?}@{:?}", e.kind, e.data, e.last_event_id))
        .collect();
    let more = if events.len() > 8 {
        format!(" and {} more", events.len() - 8)
    } else {
        String::new()
    };
    format!("[{}]{more}", shown.join(", "))
}

/// Judge the reported events against `want` (type, data, lastEventId).
fn events(want: &[(&str, &str, &str)]) -> Judge {
    let want: Vec<Dispatched> = want
        .iter()
        .map(|(k, d, i)| Dispatched {
            kind: (*k).to_owned(),
            data: (*d).to_owned(),
            last_event_id: (*i).to_owned(),
        })
        .collect();
    Box::new(move |seen: &Seen| match &seen.report {
        None => failed(format!(
            "the client reported no events ({} request(s) for the case); expected {}",
            seen.requests.len(),
            show(&want)
        )),
        Some(got) if *got == want => ok(format!("dispatched {}", show(got))),
        Some(got) => failed(format!(
            "expected {}, dispatched {}",
            show(&want),
            show(got)
        )),
    })
}

/// The delay between the end of the reply to request `i` and request `i + 1`.
fn delay(seen: &Seen, i: usize) -> Option<Duration> {
    let end = seen.requests.get(i)?.ended?;
    Some(seen.requests.get(i + 1)?.at.saturating_sub(end))
}

/// Judge a reconnect after the first stream ended: it came, at least `min`
/// after the end (a little early is timer slack), and carried `id`.
fn reconnects(id: Option<&'static str>, min: Duration) -> Judge {
    Box::new(move |seen: &Seen| {
        let Some(wait) = delay(seen, 0) else {
            return failed(format!(
                "the client did not reconnect after the stream ended ({} request(s))",
                seen.requests.len()
            ));
        };
        let sent = seen.requests[1].last_event_id.as_deref();
        let ms = wait.as_millis();
        if sent != id {
            return failed(format!(
                "reconnected after {ms} ms with Last-Event-ID {}, expected {}",
                header(sent),
                header(id)
            ));
        }
        if wait + SLACK < min {
            return failed(format!(
                "reconnected {ms} ms after the stream ended, before the {} ms it was told to wait (retry)",
                min.as_millis()
            ));
        }
        ok(format!(
            "reconnected {ms} ms after the stream ended, with Last-Event-ID {}",
            header(sent)
        ))
    })
}

fn header(v: Option<&str>) -> String {
    v.map_or("absent".to_owned(), |v| format!("{v:?}"))
}

/// Judge a client that must fail the connection: one request, no reconnect,
/// and no event dispatched.
fn gives_up(what: &'static str) -> Judge {
    Box::new(move |seen: &Seen| {
        let dispatched = seen.report.as_ref().map_or(0, Vec::len);
        if seen.requests.len() > 1 {
            let after =
                delay(seen, 0).map_or(String::new(), |d| format!(" {} ms after", d.as_millis()));
            return failed(format!(
                "the client reconnected{after} {what} ({} requests); it must fail the connection",
                seen.requests.len()
            ));
        }
        if dispatched > 0 {
            return failed(format!(
                "the client dispatched {dispatched} event(s) from a response it must refuse ({what})"
            ));
        }
        ok(format!(
            "the client failed the connection {what} and did not reconnect"
        ))
    })
}

/// The redirect target of EC.2.10, below the case's own path.
pub const MOVED: &str = "/EC.2.10/moved";

/// How many network errors in a row EC.2.11 answers with.
const FAILURES: usize = 4;

/// Judge a client whose reconnections meet network errors: each reconnect
/// waits at least the reconnection time; whether the waits grow (a backoff,
/// which the spec leaves to the client) is reported.
fn backs_off(seen: &Seen) -> Verdict {
    let waits: Vec<Duration> = (0..seen.requests.len())
        .map_while(|i| delay(seen, i))
        .collect();
    let shown = waits
        .iter()
        .map(|w| format!("{} ms", w.as_millis()))
        .collect::<Vec<_>>()
        .join(", ");
    let min = Duration::from_millis(RETRY_MS);
    if waits.len() < FAILURES + 1 {
        return failed(format!(
            "the client stopped reconnecting after {} network error(s) (waits: {}); WHATWG: a network error reestablishes the connection",
            waits.len().saturating_sub(1),
            if shown.is_empty() { "none" } else { &shown }
        ));
    }
    if let Some(w) = waits.iter().find(|w| **w + SLACK < min) {
        return failed(format!(
            "reconnected {} ms after a failure, before the reconnection time of {RETRY_MS} ms (waits: {shown})",
            w.as_millis()
        ));
    }
    let grows = waits.windows(2).skip(1).all(|p| p[1] > p[0] + p[0] / 4);
    if grows {
        info(format!(
            "the client backs off while the server keeps failing (waits: {shown})"
        ))
    } else {
        info(format!(
            "the client reconnects at the reconnection time without backing off (waits: {shown}); WHATWG lets a user agent add an exponential backoff after a failed attempt"
        ))
    }
}

/// Cases EC.1.1-EC.2.11.
pub fn cases() -> Vec<ClientCase> {
    let retry = format!("retry: {RETRY_MS}\n");
    let min = Duration::from_millis(RETRY_MS);
    vec![
        ClientCase {
            id: "EC.1.1",
            description: "Send data fields: two lines, one without the space after the colon, one with two spaces, and a data field without a colon. WHATWG HTML, Interpreting an event stream: \"If the field name is data: append the field value to the data buffer, then append a single U+000A LINE FEED (LF)\"; a colon followed by a space drops only that one space; a line without a colon is a field name with an empty value.".into(),
            expectation: "The client dispatches \"a\\nb\", \"c\", \" d\" and \"\" as message events.".into(),
            types: vec!["message"],
            replies: vec![Reply::stream(&with_end(b"data: a\ndata: b\n\ndata:c\n\ndata:  d\n\ndata\n\n"))],
            judge: events(&[("message", "a\nb", ""), ("message", "c", ""), ("message", " d", ""), ("message", "", "")]),
        },
        ClientCase {
            id: "EC.1.2",
            description: "End lines with CR LF, LF and CR alone, with a CR at the end of one read and its LF in the next. WHATWG HTML, Parsing an event stream: \"end-of-line = ( cr lf / cr / lf )\".".into(),
            expectation: "The client dispatches \"1\", \"2\", \"3\", \"4\\n5\" and \"6\": a CR LF cut between reads is one line end.".into(),
            types: vec!["message"],
            replies: vec![Reply::pieces(vec![
                b"data: 1\r\n\r\ndata: 2\r\rdata: 3\n\ndata: 4\r\ndata: 5\r\n\ndata: 6\r".to_vec(),
                b"\n\r\n".to_vec(),
                end().to_vec(),
            ])],
            judge: events(&[("message", "1", ""), ("message", "2", ""), ("message", "3", ""), ("message", "4\n5", ""), ("message", "6", "")]),
        },
        ClientCase {
            id: "EC.1.3",
            description: "Start the stream with a byte order mark, and put another at the start of a later line. WHATWG HTML, Parsing an event stream: \"a single U+FEFF BYTE ORDER MARK character ... at the start of a stream ... must be ignored\"; anywhere else it is part of the line (a field named \"\\u{FEFF}data\", which is ignored).".into(),
            expectation: "The client dispatches \"first\" only.".into(),
            types: vec!["message"],
            replies: vec![Reply::stream(&with_end("\u{FEFF}data: first\n\n\u{FEFF}data: second\n\n".as_bytes()))],
            judge: events(&[("message", "first", "")]),
        },
        ClientCase {
            id: "EC.1.4",
            description: "Send comments and a field of an unknown name around one data field. WHATWG HTML, Interpreting an event stream: a line that starts with a colon is ignored; \"Otherwise: The field is ignored.\"".into(),
            expectation: "The client dispatches \"ok\" only.".into(),
            types: vec!["message"],
            replies: vec![Reply::stream(&with_end(b": a comment\nfoo: bar\ndata: ok\n:\n\n"))],
            judge: events(&[("message", "ok", "")]),
        },
        ClientCase {
            id: "EC.1.5",
            description: "Name an event \"add\", then send one without a name and one with an empty name. WHATWG HTML, Dispatch the event: the event type buffer names the event when it is not empty, else \"message\", and it is reset after each dispatch.".into(),
            expectation: "The client dispatches \"1\" as an add event, then \"2\" and \"3\" as message events.".into(),
            types: vec!["message", "add"],
            replies: vec![Reply::stream(&with_end(b"event: add\ndata: 1\n\ndata: 2\n\nevent:\ndata: 3\n\n"))],
            judge: events(&[("add", "1", ""), ("message", "2", ""), ("message", "3", "")]),
        },
        ClientCase {
            id: "EC.1.6",
            description: "Send blocks with an event name or an id but no data, then one with data. WHATWG HTML, Dispatch the event: \"If the data buffer is an empty string, set the data buffer and the event type buffer to the empty string and return\" (the id is still set).".into(),
            expectation: "The client dispatches one message event, \"x\", whose lastEventId is \"5\" (the type \"add\" was dropped with its block).".into(),
            types: vec!["message", "add"],
            replies: vec![Reply::stream(&with_end(b"event: add\n\nid: 5\n\ndata: x\n\nid\n\n"))],
            judge: events(&[("message", "x", "5")]),
        },
        ClientCase {
            id: "EC.1.7",
            description: "End the body inside an event (\"data: dropped\" with no blank line after it), then, on the reconnect, send one more event. WHATWG HTML, Parsing an event stream: \"Once the end of the file is reached, any pending data must be discarded. (If the file ends in the middle of an event, before the final empty line, the incomplete event is not dispatched.)\"".into(),
            expectation: "The client dispatches \"kept\" and, after reconnecting, \"after\"; never \"dropped\".".into(),
            types: vec!["message"],
            replies: vec![
                Reply::stream(format!("{retry}data: kept\n\ndata: dropped").as_bytes()),
                Reply::stream(&with_end(b"data: after\n\n")),
            ],
            judge: events(&[("message", "kept", ""), ("message", "after", "")]),
        },
        ClientCase {
            id: "EC.1.8",
            description: "Send \"café\" with its é cut between two reads, and a byte that is not UTF-8 (FF). WHATWG HTML, Parsing an event stream: \"Event streams ... must always be decoded as UTF-8\", with the UTF-8 decode algorithm, which turns a malformed byte into U+FFFD.".into(),
            expectation: "The client dispatches \"café\" and \"a\\u{FFFD}b\".".into(),
            types: vec!["message"],
            replies: vec![Reply::pieces(vec![
                b"data: caf\xc3".to_vec(),
                b"\xa9\n\ndata: a\xffb\n\n".to_vec(),
                end().to_vec(),
            ])],
            judge: events(&[("message", "café", ""), ("message", "a\u{FFFD}b", "")]),
        },
        ClientCase {
            id: "EC.1.9",
            description: "Set an id, send an event without one, then an id field with no value. WHATWG HTML, Interpreting an event stream: \"If the field name is id: If the field value does not contain U+0000 NULL, then set the last event ID buffer to the field value\" (an empty value too); each event carries the last event ID.".into(),
            expectation: "The client dispatches \"a\" and \"b\" with lastEventId \"1\", then \"c\" with lastEventId \"\".".into(),
            types: vec!["message"],
            replies: vec![Reply::stream(&with_end(b"id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\n"))],
            judge: events(&[("message", "a", "1"), ("message", "b", "1"), ("message", "c", "")]),
        },
        ClientCase {
            id: "EC.1.10",
            description: "Set the id 7, then send an id with a NUL in it. WHATWG HTML, Interpreting an event stream: an id field whose value contains U+0000 NULL is ignored.".into(),
            expectation: "The client dispatches \"a\" and \"b\", both with lastEventId \"7\".".into(),
            types: vec!["message"],
            replies: vec![Reply::stream(&with_end(b"id: 7\ndata: a\n\nid: x\0y\ndata: b\n\n"))],
            judge: events(&[("message", "a", "7"), ("message", "b", "7")]),
        },
        ClientCase {
            id: "EC.2.1",
            description: format!("Announce retry: {RETRY_MS} and the id 42, then end the body. WHATWG HTML, Processing model: when the body ends, \"reestablish the connection\": wait the reconnection time, then request again with `Last-Event-ID` set to the last event ID string."),
            expectation: format!("The client reconnects at least {RETRY_MS} ms after the body ended, sending Last-Event-ID: 42."),
            types: vec!["message"],
            replies: vec![
                Reply::stream(format!("{retry}id: 42\ndata: one\n\n").as_bytes()),
                Reply::stream(&with_end(b"data: two\n\n")),
            ],
            judge: reconnects(Some("42"), min),
        },
        ClientCase {
            id: "EC.2.2",
            description: "Announce retry: 1500, then end the body. WHATWG HTML, Interpreting an event stream: a retry field of digits sets the reconnection time; Reestablish the connection: \"Wait a delay equal to the reconnection time of the event source.\"".into(),
            expectation: "The client reconnects, no sooner than 1500 ms after the body ended.".into(),
            types: vec!["message"],
            replies: vec![
                Reply::stream(b"retry: 1500\ndata: one\n\n"),
                Reply::stream(&with_end(b"data: two\n\n")),
            ],
            judge: reconnects(None, Duration::from_millis(1500)),
        },
        ClientCase {
            id: "EC.2.3",
            description: format!("Set the id 5, then send an id with a NUL in it, then end the body (retry: {RETRY_MS}). WHATWG HTML: an id with U+0000 NULL is ignored, so the reconnect carries the last valid one."),
            expectation: "The client reconnects with Last-Event-ID: 5.".into(),
            types: vec!["message"],
            replies: vec![
                Reply::stream(format!("{retry}id: 5\ndata: a\n\nid: x\0y\ndata: b\n\n").as_bytes()),
                Reply::stream(&with_end(b"data: c\n\n")),
            ],
            judge: reconnects(Some("5"), min),
        },
        ClientCase {
            id: "EC.2.4",
            description: format!("Set the id 5, then an empty id, then end the body (retry: {RETRY_MS}). WHATWG HTML, Reestablish the connection: \"If the EventSource object's last event ID string is not the empty string, set (`Last-Event-ID`, last event ID string ...)\": an empty id clears it, and no header is sent."),
            expectation: "The client reconnects without a Last-Event-ID header.".into(),
            types: vec!["message"],
            replies: vec![
                Reply::stream(format!("{retry}id: 5\ndata: a\n\nid\ndata: b\n\n").as_bytes()),
                Reply::stream(&with_end(b"data: c\n\n")),
            ],
            judge: reconnects(None, min),
        },
        ClientCase {
            id: "EC.2.5",
            description: "Answer 204 No Content. WHATWG HTML, Server-sent events: \"Clients will reconnect if the connection is closed; a client can be told to stop reconnecting using the HTTP 204 No Content response code\" (the status is not 200: fail the connection).".into(),
            expectation: "The client fails the connection and never requests the case again.".into(),
            types: vec!["message"],
            replies: vec![Reply::other(204, "text/event-stream", b"")],
            judge: gives_up("after 204 No Content"),
        },
        ClientCase {
            id: "EC.2.6",
            description: "Answer 500 with an event stream body. WHATWG HTML, Processing model: \"if res's status is not 200, or if res's `Content-Type` is not `text/event-stream`, then fail the connection.\"".into(),
            expectation: "The client fails the connection: no event dispatched, no new request.".into(),
            types: vec!["message"],
            replies: vec![Reply::other(500, "text/event-stream", b"data: not an event\n\n")],
            judge: gives_up("after status 500"),
        },
        ClientCase {
            id: "EC.2.7",
            description: "Answer 200 with Content-Type: text/plain and an event stream body. WHATWG HTML, Processing model: \"if res's `Content-Type` is not `text/event-stream`, then fail the connection.\"".into(),
            expectation: "The client fails the connection: no event dispatched, no new request.".into(),
            types: vec!["message"],
            replies: vec![Reply::other(200, "text/plain", b"data: not an event\n\n")],
            judge: gives_up("after Content-Type text/plain"),
        },
        ClientCase {
            id: "EC.2.8",
            description: "Close the connection without answering, then answer the next request. WHATWG HTML, Processing model: \"if res is a network error, ... reestablish the connection, unless the user agent knows that to be futile\".".into(),
            expectation: "The client requests again and dispatches \"back\".".into(),
            types: vec!["message"],
            replies: vec![Reply::dropped(), Reply::stream(&with_end(b"data: back\n\n"))],
            judge: Box::new(|seen: &Seen| {
                if seen.requests.len() < 2 {
                    return failed("the client did not request again after a network error");
                }
                let back = seen
                    .report
                    .as_ref()
                    .is_some_and(|r| r.iter().any(|e| e.data == "back"));
                if back {
                    ok(format!("requested again ({} requests) and dispatched \"back\"", seen.requests.len()))
                } else {
                    failed("requested again but did not report the event \"back\"")
                }
            }),
        },
        ClientCase {
            id: "EC.2.9",
            description: "Look at the request. WHATWG HTML, EventSource constructor: the request is made with \"(`Accept`, `text/event-stream`)\" in its header list.".into(),
            expectation: "The request carries Accept: text/event-stream.".into(),
            types: vec!["message"],
            replies: vec![Reply::stream(&with_end(b"data: x\n\n"))],
            judge: Box::new(|seen: &Seen| match seen.requests.first() {
                None => failed("the client never requested the case"),
                Some(r) => match r.accept.as_deref() {
                    Some(a) if a.split(',').any(|v| v.trim().eq_ignore_ascii_case("text/event-stream")) => {
                        ok(format!("Accept: {a}"))
                    }
                    Some(a) => failed(format!("Accept: {a}, without text/event-stream")),
                    None => info("the request has no Accept header (a client outside a browser may leave it out; WHATWG sets it)"),
                },
            }),
        },
        ClientCase {
            id: "EC.2.10",
            description: format!("Answer 307 Temporary Redirect with Location: {MOVED}, and serve the stream there. WHATWG HTML, EventSource constructor: the request is a fetch whose redirect mode is left at \"follow\" (Fetch: a 307 is followed with the same method), and the Processing model judges the response at the end of the redirects."),
            expectation: format!("The client requests {MOVED} and dispatches \"moved\"."),
            types: vec!["message"],
            replies: vec![Reply::redirect(307, MOVED), Reply::stream(&with_end(b"data: moved\n\n"))],
            judge: Box::new(|seen: &Seen| {
                let Some(next) = seen.requests.get(1) else {
                    return failed("the client did not follow the redirect (one request); WHATWG: the EventSource request follows redirects");
                };
                if next.path != MOVED {
                    return failed(format!("after the redirect the client requested {}, not {MOVED}", next.path));
                }
                let moved = seen.report.as_ref().is_some_and(|r| r.iter().any(|e| e.data == "moved"));
                if moved {
                    ok(format!("followed the redirect to {MOVED} and dispatched \"moved\""))
                } else {
                    failed(format!("followed the redirect to {MOVED} but did not report the event \"moved\""))
                }
            }),
        },
        ClientCase {
            id: "EC.2.11",
            description: format!("Announce retry: {RETRY_MS}, end the body, then close the connection without answering the next {FAILURES} requests, then answer the one after. WHATWG HTML, Processing model: after a network error, \"reestablish the connection\"; Reestablish the connection: \"Wait a delay equal to the reconnection time of the event source. Optionally, wait some more. In particular, if the previous attempt failed, then user agents might introduce an exponential backoff delay to avoid overloading a potentially already overloaded server.\""),
            expectation: format!("The client keeps reconnecting, each time after at least {RETRY_MS} ms, and dispatches \"back\". Whether its waits grow (a backoff, optional in the spec) is INFORMATIONAL; reconnecting sooner than the reconnection time, or giving up, is FAILED."),
            types: vec!["message"],
            replies: [Reply::stream(format!("retry: {RETRY_MS}\ndata: one\n\n").as_bytes())]
                .into_iter()
                .chain((0..FAILURES).map(|_| Reply::dropped()))
                .chain([Reply::stream(&with_end(b"data: back\n\n"))])
                .collect(),
            judge: Box::new(backs_off),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_every_last_reply_ends_the_case_or_stops_the_client() {
        let all = cases();
        let mut ids: Vec<&str> = all.iter().map(|c| c.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), all.len());
        for c in &all {
            let last = c.replies.last().expect("a reply");
            let body: Vec<u8> = last.pieces.iter().flat_map(|(_, p)| p.clone()).collect();
            let ends = body.ends_with(end());
            assert!(
                ends || last.status != 200 || last.content_type != "text/event-stream" || last.drop,
                "{}",
                c.id
            );
        }
    }

    fn requests(waits_ms: &[u64]) -> Seen {
        let mut at = Duration::ZERO;
        let mut requests = Vec::new();
        for w in waits_ms.iter().map(|w| Some(*w)).chain([None]) {
            requests.push(SeenRequest {
                path: "/EC.2.11".into(),
                at,
                ended: w.map(|_| at + Duration::from_millis(10)),
                last_event_id: None,
                accept: None,
            });
            at += Duration::from_millis(10 + w.unwrap_or(0));
        }
        Seen {
            requests,
            report: None,
        }
    }

    #[test]
    fn backoff_is_reported_and_early_or_missing_reconnects_fail() {
        use crate::core::Behavior;
        let v = backs_off(&requests(&[300, 300, 600, 1200, 2400]));
        assert_eq!(v.behavior, Behavior::Informational);
        assert!(v.reason.contains("backs off"), "{}", v.reason);
        let v = backs_off(&requests(&[300, 300, 300, 300, 300]));
        assert_eq!(v.behavior, Behavior::Informational);
        assert!(v.reason.contains("without backing off"), "{}", v.reason);
        let v = backs_off(&requests(&[300, 300, 50, 300, 300]));
        assert_eq!(v.behavior, Behavior::Failed);
        assert!(
            v.reason.contains("before the reconnection time"),
            "{}",
            v.reason
        );
        let v = backs_off(&requests(&[300, 300]));
        assert_eq!(v.behavior, Behavior::Failed);
        assert!(v.reason.contains("stopped reconnecting"), "{}", v.reason);
    }

    #[test]
    fn a_judge_tells_the_right_events_from_wrong_ones() {
        let judge = events(&[("message", "a", "1")]);
        let seen = |data: &str| Seen {
            requests: vec![],
            report: Some(vec![Dispatched {
                kind: "message".into(),
                data: data.into(),
                last_event_id: "1".into(),
            }]),
        };
        assert_eq!(judge(&seen("a")).behavior, crate::core::Behavior::Ok);
        assert_eq!(judge(&seen("b")).behavior, crate::core::Behavior::Failed);
        assert_eq!(
            judge(&Seen::default()).behavior,
            crate::core::Behavior::Failed
        );
    }
}
