//! One request to the server and what came back, timed read by read: the
//! response head, the body through its transfer and content codings, every item
//! the spec-exact parser (`wirecheck_codec::sse::Parser`) dispatched and every
//! place the producer-grammar checker (`wirecheck_codec::sse::lint::Lint`) flagged.
//!
//! The cases never touch a socket: they judge [`Observation`]s. Every wait is
//! bounded (connect plus head by `head_timeout`, the body by the observation's
//! `duration`), and so is every buffer (`max_body` decoded bytes, `MAX_ITEMS`
//! items kept).

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout_at;
use wirecheck_codec::sse::lint::Lint;
use wirecheck_codec::sse::{Config, Item, Parser, Retry};

use super::http::{Coding, Framing, Head, HeadReader, request};
use crate::net::{Target, connect};

/// The most parser items an observation keeps (the rest are counted).
pub const MAX_ITEMS: usize = 20_000;
/// The most reads an observation records one by one.
pub const MAX_ARRIVALS: usize = 100_000;
/// The most redirects followed.
pub const MAX_REDIRECTS: usize = 5;

/// What to send.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET` or `OPTIONS`.
    pub method: &'static str,
    /// Header fields after `Host`, for the first URL's origin: the standard ones
    /// and the user's (`--header`).
    pub headers: Vec<(String, String)>,
    /// Header fields for any other origin a redirect leads to: the same without the
    /// user's (a standard field a user's header replaced is back at its standard
    /// value), so that a credential meant for one server never reaches another.
    /// curl drops `Authorization` and `Cookie` on such a hop; with no way to tell
    /// which of the user's headers are credentials, wirecheck drops them all.
    pub cross_origin: Vec<(String, String)>,
}

impl Request {
    /// A request with the same headers for every origin.
    pub fn new(method: &'static str, headers: Vec<(String, String)>) -> Request {
        Request {
            method,
            cross_origin: headers.clone(),
            headers,
        }
    }

    /// Set every field `name` to `value` (or add it), for every origin: what a
    /// probe sets wins over the user's headers.
    pub fn set(&mut self, name: &str, value: &str) {
        self.remove(name);
        for list in [&mut self.headers, &mut self.cross_origin] {
            list.push((name.to_owned(), value.to_owned()));
        }
    }

    /// Remove every field `name`, for every origin.
    pub fn remove(&mut self, name: &str) {
        for list in [&mut self.headers, &mut self.cross_origin] {
            list.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        }
    }

    /// The header fields to send to `target`, given the URL first asked for.
    fn headers_for(&self, target: &Target, first: &Target) -> &[(String, String)] {
        if target.same_origin(first) {
            &self.headers
        } else {
            &self.cross_origin
        }
    }
}

/// When to stop reading the body.
#[derive(Debug, Clone, Copy)]
pub struct Stop {
    /// The longest the body is read, from the response head on.
    pub duration: Duration,
    /// Connect plus the response head.
    pub head_timeout: Duration,
    /// The most decoded body bytes read.
    pub max_body: usize,
    /// Stop once this many events carrying a non-empty id were dispatched.
    pub ids: Option<usize>,
    /// Stop once this many events were dispatched.
    pub events: Option<usize>,
}

/// How an observation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// No response head: the reason (connect error, timeout, malformed head).
    NoResponse(String),
    /// The server ended the body (close, last chunk, `Content-Length` reached).
    ServerEnded,
    /// The server closed the connection before the body's end (mid-chunk, short
    /// `Content-Length`), or reset it.
    Broken(String),
    /// wirecheck stopped reading: the duration passed, or a stop condition was met.
    Cut,
    /// The body could not be decoded (chunked framing, gzip).
    Undecodable(String),
    /// wirecheck stopped reading at one of its own bounds: the decoded body
    /// exceeded `max_body`, or a line or event exceeded the parser's limits. Not
    /// a fault of the framing or the coding.
    Limit(String),
}

/// What the parser handed out, with the time of the read that completed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// A dispatched event.
    Event {
        /// Its type.
        event_type: String,
        /// Its data.
        data: String,
        /// The last event ID after dispatch step 1.
        id: String,
    },
    /// A `retry` field of digits.
    Retry(Retry),
    /// A comment.
    Comment,
    /// The last event ID changed.
    LastEventId(String),
}

/// One read of body bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    /// Since the request was sent.
    pub at: Duration,
    /// Decoded body bytes so far, this read included.
    pub end: u64,
    /// After this read, the stream stops inside an event (a partial line, or a
    /// block no empty line has ended).
    pub inside_event: bool,
}

/// One request and its response.
#[derive(Debug)]
pub struct Observation {
    /// The URL's target.
    pub target: Target,
    /// The last request sent, as text.
    pub request: String,
    /// Redirects followed: status and `Location`.
    pub redirects: Vec<(u16, String)>,
    /// The final response head.
    pub head: Option<Head>,
    /// Interim (1xx) statuses received before it.
    pub interim: Vec<u16>,
    /// When the head was complete, since the request was sent.
    pub head_at: Option<Duration>,
    /// The body framing (`chunked`, `content-length`, `close-delimited`).
    pub framing: Option<&'static str>,
    /// The content coding.
    pub coding: Option<String>,
    /// A `deflate` body was raw DEFLATE (RFC 1951), not the zlib format.
    pub raw_deflate: bool,
    /// Body bytes on the wire (before the content coding is undone).
    pub wire_bytes: u64,
    /// Each read that delivered decoded body bytes.
    pub arrivals: Vec<Arrival>,
    /// The parser's items with the time of the read that completed them.
    pub items: Vec<(Duration, Seen)>,
    /// Items not kept (beyond [`MAX_ITEMS`]).
    pub items_dropped: u64,
    /// The last event ID the stream committed (kept even when items are not).
    pub last_event_id: Option<String>,
    /// The producer-grammar findings (`Lint::finish` was called when the server
    /// ended the stream).
    pub lint: Lint,
    /// How it ended.
    pub end: End,
    /// When it ended, since the request was sent.
    pub ended_at: Duration,
    /// The first decoded body bytes (for the report), at most 4 KiB.
    pub body_head: Vec<u8>,
}

impl Observation {
    /// The dispatched events with their arrival times.
    pub fn events(&self) -> impl Iterator<Item = (Duration, &str, &str, &str)> {
        self.items.iter().filter_map(|(t, s)| match s {
            Seen::Event {
                event_type,
                data,
                id,
            } => Some((*t, event_type.as_str(), data.as_str(), id.as_str())),
            _ => None,
        })
    }

    /// The status, if a response came.
    pub fn status(&self) -> Option<u16> {
        self.head.as_ref().map(|h| h.status)
    }

    /// Whether the server ended the body itself.
    pub fn server_ended(&self) -> bool {
        matches!(self.end, End::ServerEnded | End::Broken(_))
    }
}

/// Send `req` to `url`'s target (following up to [`MAX_REDIRECTS`] redirects) and
/// read the response as `stop` says.
pub async fn observe(
    target: &Target,
    tls: Option<&Arc<rustls::ClientConfig>>,
    req: &Request,
    stop: Stop,
) -> Observation {
    let start = Instant::now();
    let mut obs = Observation {
        target: target.clone(),
        request: String::new(),
        redirects: Vec::new(),
        head: None,
        interim: Vec::new(),
        head_at: None,
        framing: None,
        coding: None,
        raw_deflate: false,
        wire_bytes: 0,
        arrivals: Vec::new(),
        items: Vec::new(),
        items_dropped: 0,
        last_event_id: None,
        lint: Lint::new(),
        end: End::Cut,
        ended_at: Duration::ZERO,
        body_head: Vec::new(),
    };
    let first = target.clone();
    let mut target = target.clone();
    for _ in 0..=MAX_REDIRECTS {
        // Every hop decides afresh: back at the first origin (A -> B -> A), the
        // user's headers are sent again.
        let headers = req.headers_for(&target, &first);
        let end = once(&target, tls, req.method, headers, stop, start, &mut obs).await;
        obs.ended_at = start.elapsed();
        match end {
            Ok(None) => return obs,
            Ok(Some(next)) => {
                target = next;
                obs.target = target.clone();
            }
            Err(end) => {
                obs.end = end;
                return obs;
            }
        }
    }
    obs.end = End::NoResponse(format!("more than {MAX_REDIRECTS} redirects"));
    obs
}

/// One request on its own connection. `Ok(Some(target))` asks to follow a redirect.
async fn once(
    target: &Target,
    tls: Option<&Arc<rustls::ClientConfig>>,
    method: &str,
    headers: &[(String, String)],
    stop: Stop,
    start: Instant,
    obs: &mut Observation,
) -> Result<Option<Target>, End> {
    let head_deadline = tokio::time::Instant::from_std(Instant::now() + stop.head_timeout);
    let late = |what: &str| {
        End::NoResponse(format!(
            "no {what} within {:.1} s",
            stop.head_timeout.as_secs_f64()
        ))
    };
    let mut stream = timeout_at(head_deadline, connect(target, tls))
        .await
        .map_err(|_| late("connection"))?
        .map_err(End::NoResponse)?;
    let bytes = request(method, &target.path, &target.host_header, headers);
    obs.request = String::from_utf8_lossy(&bytes).into_owned();
    timeout_at(head_deadline, stream.write_all(&bytes))
        .await
        .map_err(|_| late("request sent"))?
        .map_err(|e| End::NoResponse(format!("cannot send the request: {e}")))?;

    let mut buf = vec![0u8; 16 * 1024];
    let mut reader = HeadReader::default();
    let (head, rest) = 'head: loop {
        let n = timeout_at(head_deadline, stream.read(&mut buf))
            .await
            .map_err(|_| late("response head"))?
            .map_err(|e| End::NoResponse(format!("reading the response head: {e}")))?;
        if n == 0 {
            return Err(End::NoResponse(
                "the server closed the connection before a response head".into(),
            ));
        }
        let mut input = buf[..n].to_vec();
        loop {
            match reader.feed(&input) {
                // RFC 9110 §15.2: an interim 1xx (103 Early Hints, ...) precedes the
                // final response; read on.
                Ok(Some((head, used)))
                    if (100..200).contains(&head.status) && head.status != 101 =>
                {
                    obs.interim.push(head.status);
                    reader = HeadReader::default();
                    input.drain(..used);
                    if input.is_empty() || obs.interim.len() > 8 {
                        break;
                    }
                }
                Ok(Some((head, used))) => break 'head (head, input[used..].to_vec()),
                Ok(None) => break,
                Err(e) => return Err(End::NoResponse(e.to_string())),
            }
        }
    };
    obs.head_at = Some(start.elapsed());
    if matches!(head.status, 301 | 302 | 303 | 307 | 308) && method == "GET" {
        if let Some(next) = head.get("location").and_then(|l| redirect(target, l)) {
            obs.redirects.push((
                head.status,
                head.get("location").unwrap_or_default().to_owned(),
            ));
            return Ok(Some(next));
        }
    }
    let mut framing = Framing::of(&head).map_err(End::Undecodable)?;
    let mut coding = Coding::of(&head);
    obs.framing = Some(framing.name());
    obs.coding = Some(coding.name().to_owned());
    obs.head = Some(head);
    let decodable = !matches!(coding, Coding::Unsupported(_));

    if matches!(framing, Framing::Length(0)) && rest.is_empty() {
        // No body (204, 304, Content-Length: 0): the response is complete now.
        return Err(End::ServerEnded);
    }
    let body_deadline = tokio::time::Instant::from_std(Instant::now() + stop.duration);
    let mut parser = Parser::new(Config::default());
    let mut ids = 0usize;
    let mut events = 0usize;
    let mut total = 0u64;
    let mut framed = Vec::new();
    let mut decoded = Vec::new();
    let mut pending = rest;
    loop {
        if !pending.is_empty() {
            let at = start.elapsed();
            obs.wire_bytes += pending.len() as u64;
            framed.clear();
            let done = framing
                .decode(&pending, &mut framed)
                .map_err(End::Undecodable)?;
            pending.clear();
            decoded.clear();
            coding
                .decode(&framed, &mut decoded)
                .map_err(End::Undecodable)?;
            obs.raw_deflate = coding.is_raw_deflate();
            if !decoded.is_empty() {
                total += decoded.len() as u64;
                let keep = 4096usize.saturating_sub(obs.body_head.len());
                obs.body_head
                    .extend_from_slice(&decoded[..keep.min(decoded.len())]);
                if decodable {
                    obs.lint.feed(&decoded);
                    let items = &mut obs.items;
                    let dropped = &mut obs.items_dropped;
                    let last = &mut obs.last_event_id;
                    let fed = parser.feed(&decoded, |item| {
                        let seen = match item {
                            Item::Event(e) => {
                                events += 1;
                                if !e.last_event_id.is_empty() {
                                    ids += 1;
                                }
                                Seen::Event {
                                    event_type: e.event_type.into_owned(),
                                    data: e.data.into_owned(),
                                    id: e.last_event_id.into_owned(),
                                }
                            }
                            Item::Retry(r) => Seen::Retry(r),
                            Item::Comment(_) => Seen::Comment,
                            Item::LastEventId(id) => {
                                *last = Some(id.clone().into_owned());
                                Seen::LastEventId(id.into_owned())
                            }
                        };
                        if items.len() < MAX_ITEMS {
                            items.push((at, seen));
                        } else {
                            *dropped += 1;
                        }
                    });
                    if let Err(e) = fed {
                        return Err(End::Limit(e.to_string()));
                    }
                }
                if obs.arrivals.len() >= MAX_ARRIVALS {
                    // Keep memory bounded against a server that writes a byte at a
                    // time: later reads merge into the last one kept.
                    obs.arrivals.pop();
                }
                obs.arrivals.push(Arrival {
                    at,
                    end: total,
                    inside_event: obs.lint.inside_event(),
                });
            }
            if done {
                if decodable {
                    obs.lint.finish();
                }
                return Err(End::ServerEnded);
            }
            if total > stop.max_body as u64 {
                return Err(End::Limit(format!(
                    "more than {} decoded bytes",
                    stop.max_body
                )));
            }
            if stop.ids.is_some_and(|n| ids >= n) || stop.events.is_some_and(|n| events >= n) {
                return Err(End::Cut);
            }
        }
        let n = match timeout_at(body_deadline, stream.read(&mut buf)).await {
            Err(_) => return Err(End::Cut),
            Ok(Err(e)) => {
                // The server's doing: what it left unterminated is lost (§9.2.6).
                if decodable {
                    obs.lint.finish();
                }
                return Err(End::Broken(format!("reading the body: {e}")));
            }
            Ok(Ok(n)) => n,
        };
        if n == 0 {
            if framing.complete_at_close() {
                if decodable {
                    obs.lint.finish();
                }
                return Err(End::ServerEnded);
            }
            if decodable {
                obs.lint.finish();
            }
            return Err(End::Broken(format!(
                "the server closed the connection inside the {} body",
                framing.name()
            )));
        }
        pending.extend_from_slice(&buf[..n]);
    }
}

/// The target a `Location` names. Fetch (HTTP-redirect fetch, step 3) parses it
/// with the WHATWG URL parser against the request's URL, so relative references
/// (`stream`, `?x=1`, `../s`, `//host/s`) resolve as in a browser; the fragment is
/// kept by the client, never sent. `None` for a location that does not parse, is
/// not `http(s)`, or carries user info (Fetch: a network error in CORS mode).
fn redirect(from: &Target, location: &str) -> Option<Target> {
    let base = url::Url::parse(&from.http_url()).ok()?;
    let mut next = base.join(location).ok()?;
    next.set_fragment(None);
    Target::parse_http(next.as_str()).ok()
}

/// The standard request of an EventSource (WHATWG SSE §9.2.2 and Fetch): `Accept:
/// text/event-stream`, `Cache-Control: no-cache` (cache mode no-store), identity
/// coding unless asked otherwise, the `Origin` when cross-origin, and the user's
/// extra headers.
pub fn eventsource_request(
    origin: Option<&str>,
    last_event_id: Option<&str>,
    extra: &[(String, String)],
) -> Request {
    let mut headers = vec![
        ("Accept".to_owned(), "text/event-stream".to_owned()),
        ("Cache-Control".to_owned(), "no-cache".to_owned()),
        ("Accept-Encoding".to_owned(), "identity".to_owned()),
        (
            "User-Agent".to_owned(),
            concat!("wirecheck/", env!("CARGO_PKG_VERSION")).to_owned(),
        ),
    ];
    if let Some(o) = origin {
        headers.push(("Origin".to_owned(), o.to_owned()));
    }
    if let Some(id) = last_event_id {
        headers.push(("Last-Event-ID".to_owned(), id.to_owned()));
    }
    let cross_origin = headers.clone();
    for (k, v) in extra {
        headers.retain(|(name, _)| !name.eq_ignore_ascii_case(k));
        headers.push((k.clone(), v.clone()));
    }
    Request {
        method: "GET",
        headers,
        cross_origin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url_of(from: &str, location: &str) -> Option<String> {
        redirect(&Target::parse_http(from).unwrap(), location).map(|t| t.http_url())
    }

    #[test]
    fn locations_resolve_against_the_request_url_as_in_a_browser() {
        let base = "http://127.0.0.1:8080/a/events?x=1";
        for (location, expected) in [
            ("/s", "http://127.0.0.1:8080/s"),
            ("stream", "http://127.0.0.1:8080/a/stream"),
            ("../stream?y=2", "http://127.0.0.1:8080/stream?y=2"),
            ("?y=2", "http://127.0.0.1:8080/a/events?y=2"),
            ("//other.example/s", "http://other.example/s"),
            (
                "https://Other.Example:8443/s#top",
                "https://other.example:8443/s",
            ),
            ("stream#frag", "http://127.0.0.1:8080/a/stream"),
            ("/a b", "http://127.0.0.1:8080/a%20b"),
        ] {
            assert_eq!(
                url_of(base, location).as_deref(),
                Some(expected),
                "{location}"
            );
        }
        // Not followed: another scheme, user info, nonsense.
        for location in ["ftp://h/x", "http://user:pw@h/x", "http://[::1", "data:,x"] {
            assert_eq!(url_of(base, location), None, "{location}");
        }
    }

    #[test]
    fn user_headers_stay_with_the_first_origin() {
        let extra = [
            ("Authorization".to_owned(), "Bearer secret".to_owned()),
            ("accept".to_owned(), "*/*".to_owned()),
        ];
        let mut req = eventsource_request(None, Some("7"), &extra);
        req.set("Accept-Encoding", "gzip, deflate");
        let a = Target::parse_http("http://Example.com/x").unwrap();
        let b = Target::parse_http("http://other.example/x").unwrap();
        let get = |list: &[(String, String)], name: &str| -> Vec<String> {
            list.iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
                .collect()
        };
        let home = req.headers_for(&a, &a);
        assert_eq!(get(home, "authorization"), ["Bearer secret"]);
        assert_eq!(get(home, "accept"), ["*/*"]);
        let away = req.headers_for(&b, &a);
        assert!(get(away, "authorization").is_empty());
        // The user's Accept replaced the standard one: elsewhere, the standard one.
        assert_eq!(get(away, "accept"), ["text/event-stream"]);
        // What a probe set and what the client always sends hold on every origin.
        assert_eq!(get(away, "accept-encoding"), ["gzip, deflate"]);
        assert_eq!(get(home, "accept-encoding"), ["gzip, deflate"]);
        assert_eq!(get(away, "last-event-id"), ["7"]);
        // Back home after a hop away (A -> B -> A): the user's headers again.
        let again = Target::parse_http("http://example.com/after").unwrap();
        assert_eq!(req.headers_for(&again, &a), home);
        assert!(a.same_origin(&Target::parse_http("http://example.com:80/y").unwrap()));
        assert!(!a.same_origin(&Target::parse_http("https://example.com/x").unwrap()));
        assert!(!a.same_origin(&Target::parse_http("http://example.com:8080/x").unwrap()));
    }
}
