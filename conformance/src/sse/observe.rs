//! One request to the server and what came back, timed read by read: the
//! response head, the body through its transfer and content codings, every item
//! the spec-exact parser (`wirecheck_codec::sse::Parser`) dispatched and every
//! place the producer-grammar checker (`wirecheck_codec::sse::lint::Lint`) flagged.
//!
//! The cases never touch a socket: they judge [`Observation`]s. Every wait has a
//! deadline that fires whatever the socket does (connect plus head by
//! `head_timeout`, the body by the observation's `duration`, checked before every
//! read too, so a server that is always ready to send cannot hold it open), and
//! every buffer is bounded: at most `max_body` decoded bytes are read, a prefix of
//! each value and of the items is kept and the rest counted
//! ([`Observation::retained_bytes`] stays under [`MAX_RETAINED`]). Each limit of
//! wirecheck's own that an observation hits is named in [`Observation::limits`].
//!
//! Time is `tokio::time::Instant`, so tests can run it on a paused clock.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{Instant, timeout_at};
use wirecheck_codec::sse::lint::Lint;
use wirecheck_codec::sse::{Config, Item, Limit, LimitExceeded, Parser, Retry};

use super::http::{
    Coding, Framing, Head, HeadError, HeadReader, decode_body, request, response_framing, size,
};
use crate::http2::client::{Opener, Session, render_request, render_response, uri};
use crate::net::{Http, Stream, Target, connect};

/// The most parser items an observation keeps (the rest are counted).
pub const MAX_ITEMS: usize = 20_000;
/// The most reads an observation records one by one (later ones merge into the
/// last).
pub const MAX_ARRIVALS: usize = 50_000;
/// The most redirects followed.
pub const MAX_REDIRECTS: usize = 5;
/// The most interim (1xx) responses read before the final one.
pub const MAX_INTERIM: usize = 8;
/// The most bytes kept of each event type, data and id in [`Seen`] (a prefix; the
/// full length is counted).
pub const MAX_VALUE: usize = 1024;
/// The most bytes of values kept in [`Observation::items`] in all.
pub const MAX_VALUES: usize = 1 << 20;
/// The longest last event ID kept for a reconnect.
pub const MAX_LAST_ID: usize = 64 * 1024;
/// The bound on [`Observation::retained_bytes`].
pub const MAX_RETAINED: usize = 8 << 20;
/// Transport bytes handed to the decoders at a time: a compressed read cannot
/// inflate past `max_body` by more than one slice's output.
const DECODE_SLICE: usize = 4096;
/// The read buffer.
const READ_BUF: usize = 16 * 1024;

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
    /// HTTP/1.1, or HTTP/2 (each request on a stream of a connection of its
    /// own, unless `via` gives one).
    pub http: Http,
    /// HTTP/2: open the stream on this connection (at the first URL's origin)
    /// instead of a new one: a reconnect, or one of several streams, on one
    /// connection, as browsers make them.
    pub via: Option<Opener>,
}

impl Request {
    /// A request with the same headers for every origin.
    pub fn new(method: &'static str, headers: Vec<(String, String)>) -> Request {
        Request {
            method,
            cross_origin: headers.clone(),
            headers,
            http: Http::V1_1,
            via: None,
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
    /// Not a byte of a response: the reason (connect error, timeout, closed).
    NoResponse(String),
    /// Bytes came, but no response a client can use: a malformed, oversized or
    /// incomplete head, a redirect loop, too many interim responses.
    BadResponse(String),
    /// The server ended the body (close, last chunk, `Content-Length` reached).
    ServerEnded,
    /// The server closed the connection before the body's end (mid-chunk, short
    /// `Content-Length`), or reset it.
    Broken(String),
    /// wirecheck stopped reading: the duration passed, or a stop condition was met.
    Cut,
    /// The body could not be decoded (invalid `Content-Length`, chunked framing,
    /// gzip).
    Undecodable(String),
    /// wirecheck stopped reading at one of its own bounds: the decoded body
    /// exceeded `max_body`, or a line or event exceeded the parser's limits. Not
    /// a fault of the framing or the coding. The text names the limit.
    Limit(String),
}

impl std::fmt::Display for End {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            End::NoResponse(why) => write!(f, "no response: {why}"),
            End::BadResponse(why) => write!(f, "no usable response: {why}"),
            End::ServerEnded => f.write_str("the server ended the body"),
            End::Broken(why) => write!(f, "broken: {why}"),
            End::Cut => f.write_str("wirecheck stopped reading"),
            End::Undecodable(why) => write!(f, "undecodable: {why}"),
            End::Limit(why) => write!(f, "wirecheck stopped reading at its limit: {why}"),
        }
    }
}

/// The most events with non-JSON data an observation describes (all are counted).
pub const MAX_NOT_JSON: usize = 4;

/// An event whose data is not one JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotJson {
    /// Its 1-based number among the events dispatched.
    pub index: u64,
    /// Its id and data (quoted, cut) and what the JSON parser said.
    pub why: String,
}

/// What the parser handed out, with the time of the read that completed it.
/// Values are kept up to [`MAX_VALUE`] bytes (cut at a character boundary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// A dispatched event.
    Event {
        /// Its type.
        event_type: String,
        /// Its data (a prefix).
        data: String,
        /// The length of its data, in bytes.
        data_len: usize,
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
    /// Events dispatched so far, this read's included.
    pub events: u64,
}

/// One read of a stream as the timeline shows it: when, how many bytes,
/// how many events it completed, and the silence before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Read {
    /// When it came (since the request).
    pub at: Duration,
    /// The silence before it: since the previous read, or since the head.
    pub silence: Duration,
    /// Decoded bytes it delivered.
    pub bytes: u64,
    /// Events it completed.
    pub events: u64,
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
    /// The final response head (the last redirect's when redirects did not end).
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
    /// Bytes of any response received, over every hop (0: nothing answered).
    pub received: u64,
    /// Body bytes on the wire (before the content coding is undone).
    pub wire_bytes: u64,
    /// Each read that delivered decoded body bytes.
    pub arrivals: Vec<Arrival>,
    /// The parser's items with the time of the read that completed them.
    pub items: Vec<(Duration, Seen)>,
    /// Items not kept (beyond [`MAX_ITEMS`] or [`MAX_VALUES`]).
    pub items_dropped: u64,
    /// Events dispatched, kept or not.
    pub dispatched: u64,
    /// The last event ID the stream committed (kept even when items are not; not
    /// kept beyond [`MAX_LAST_ID`] bytes).
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
    /// Every limit of wirecheck's own this observation hit, one line each.
    pub limits: Vec<String>,
    /// The first events (at most [`MAX_NOT_JSON`]) whose data is not one JSON text,
    /// for `--data json` (every event is checked whole as it is dispatched).
    pub not_json: Vec<NotJson>,
    /// Events whose data is not JSON, kept or not.
    pub not_json_count: u64,
    /// Values cut to [`MAX_VALUE`] (counted for the limit line).
    values_cut: u64,
    /// Bytes of values kept in `items`.
    values_kept: usize,
    /// Reads merged into the last arrival kept.
    arrivals_merged: u64,
}

impl Observation {
    /// An observation that was not made: `why` says so.
    pub fn not_made(target: &Target, why: String) -> Observation {
        let mut o = Observation::new(target);
        o.end = End::NoResponse(why);
        o
    }

    fn new(target: &Target) -> Observation {
        Observation {
            target: target.clone(),
            request: String::new(),
            redirects: Vec::new(),
            head: None,
            interim: Vec::new(),
            head_at: None,
            framing: None,
            coding: None,
            raw_deflate: false,
            received: 0,
            wire_bytes: 0,
            arrivals: Vec::new(),
            items: Vec::new(),
            items_dropped: 0,
            dispatched: 0,
            last_event_id: None,
            lint: Lint::new(),
            end: End::Cut,
            ended_at: Duration::ZERO,
            body_head: Vec::new(),
            limits: Vec::new(),
            not_json: Vec::new(),
            not_json_count: 0,
            values_cut: 0,
            values_kept: 0,
            arrivals_merged: 0,
        }
    }

    /// The dispatched events kept, with their arrival times.
    pub fn events(&self) -> impl Iterator<Item = (Duration, &str, &str, &str)> {
        self.items.iter().filter_map(|(t, s)| match s {
            Seen::Event {
                event_type,
                data,
                id,
                ..
            } => Some((*t, event_type.as_str(), data.as_str(), id.as_str())),
            _ => None,
        })
    }

    /// The stream read by read, in time order (one pass over the arrivals).
    pub fn reads(&self) -> impl Iterator<Item = Read> + '_ {
        let mut prev = (self.head_at.unwrap_or_default(), 0u64, 0u64);
        self.arrivals.iter().map(move |a| {
            let r = Read {
                at: a.at,
                silence: a.at.saturating_sub(prev.0),
                bytes: a.end.saturating_sub(prev.1),
                events: a.events.saturating_sub(prev.2),
            };
            prev = (a.at, a.end, a.events);
            r
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

    /// The limit that stopped the body, if one did.
    pub fn stopped_at_limit(&self) -> Option<&str> {
        match &self.end {
            End::Limit(why) => Some(why),
            _ => None,
        }
    }

    /// The bytes this observation holds on to (an upper bound of its heap use,
    /// the lint's bounded findings aside): always under [`MAX_RETAINED`].
    pub fn retained_bytes(&self) -> usize {
        let head = self.head.as_ref().map_or(0, |h| {
            h.raw.capacity()
                + h.reason.capacity()
                + h.headers
                    .iter()
                    .map(|(k, v)| k.capacity() + v.capacity() + size_of::<(String, String)>())
                    .sum::<usize>()
        });
        let items: usize = self
            .items
            .iter()
            .map(|(_, s)| match s {
                Seen::Event {
                    event_type,
                    data,
                    id,
                    ..
                } => event_type.capacity() + data.capacity() + id.capacity(),
                Seen::LastEventId(id) => id.capacity(),
                Seen::Retry(_) | Seen::Comment => 0,
            })
            .sum();
        head + items
            + self.items.capacity() * size_of::<(Duration, Seen)>()
            + self.arrivals.capacity() * size_of::<Arrival>()
            + self.body_head.capacity()
            + self.request.capacity()
            + self.last_event_id.as_ref().map_or(0, String::capacity)
            + self
                .redirects
                .iter()
                .map(|(_, l)| l.capacity() + 32)
                .sum::<usize>()
            + self.interim.capacity() * 2
            + self
                .not_json
                .iter()
                .map(|n| n.why.capacity() + size_of::<NotJson>())
                .sum::<usize>()
    }

    /// Record a limit hit (once per text).
    fn limit(&mut self, what: String) {
        if !self.limits.contains(&what) {
            self.limits.push(what);
        }
    }

    /// Name the retention limits hit, once the observation is over.
    fn close_limits(&mut self) {
        if self.items_dropped > 0 {
            self.limit(format!(
                "kept the first {} parser items ({} of values); {} more were counted, not kept",
                self.items.len(),
                size(self.values_kept as u64),
                self.items_dropped
            ));
        }
        if self.values_cut > 0 {
            self.limit(format!(
                "kept the first {} of each value; {} longer values were cut",
                size(MAX_VALUE as u64),
                self.values_cut
            ));
        }
        if self.arrivals_merged > 0 {
            self.limit(format!(
                "timed the first {MAX_ARRIVALS} reads one by one; {} later reads were merged into the last",
                self.arrivals_merged
            ));
        }
    }

    /// A value quoted in a reason: at most 80 bytes of it, marked when cut.
    fn keep_short(value: &str) -> String {
        let kept = prefix(value, 80);
        if kept.len() < value.len() {
            format!("{kept}…")
        } else {
            kept.to_owned()
        }
    }

    /// A value to keep: at most [`MAX_VALUE`] bytes of it.
    fn keep(&mut self, value: &str) -> String {
        if value.len() <= MAX_VALUE {
            return value.to_owned();
        }
        self.values_cut += 1;
        prefix(value, MAX_VALUE).to_owned()
    }

    /// Keep a parser item if within [`MAX_ITEMS`] and [`MAX_VALUES`]; count it
    /// either way.
    fn seen(&mut self, at: Duration, item: Item<'_>) -> Counted {
        let mut out = Counted::default();
        if let Item::LastEventId(id) = &item {
            if id.len() <= MAX_LAST_ID {
                self.last_event_id = Some(id.clone().into_owned());
            } else {
                self.last_event_id = None;
                self.limit(format!(
                    "an id longer than {} was not kept: a reconnect sends none",
                    size(MAX_LAST_ID as u64)
                ));
            }
        }
        if let Item::Event(e) = &item {
            self.dispatched += 1;
            out.event = true;
            out.id = !e.last_event_id.is_empty();
            // RFC 8259: the data as a whole is one JSON text (what
            // `JSON.parse(event.data)` accepts), checked on every event, kept or not.
            if let Err(err) = serde_json::from_str::<serde::de::IgnoredAny>(&e.data) {
                self.not_json_count += 1;
                if self.not_json.len() < MAX_NOT_JSON {
                    let data = Self::keep_short(&e.data);
                    let id = Self::keep_short(&e.last_event_id);
                    self.not_json.push(NotJson {
                        index: self.dispatched,
                        why: format!(
                            "{}data {data:?}: {err}",
                            if id.is_empty() {
                                String::new()
                            } else {
                                format!("id {id:?}, ")
                            }
                        ),
                    });
                }
            }
        }
        let len = match &item {
            Item::Event(e) => {
                e.event_type.len().min(MAX_VALUE)
                    + e.data.len().min(MAX_VALUE)
                    + e.last_event_id.len().min(MAX_VALUE)
            }
            Item::LastEventId(id) => id.len().min(MAX_VALUE),
            Item::Retry(_) | Item::Comment(_) => 0,
        };
        if self.items.len() >= MAX_ITEMS || self.values_kept + len > MAX_VALUES {
            self.items_dropped += 1;
            return out;
        }
        self.values_kept += len;
        let seen = match item {
            Item::Event(e) => Seen::Event {
                event_type: self.keep(&e.event_type),
                data: self.keep(&e.data),
                data_len: e.data.len(),
                id: self.keep(&e.last_event_id),
            },
            Item::Retry(r) => Seen::Retry(r),
            Item::Comment(_) => Seen::Comment,
            Item::LastEventId(id) => Seen::LastEventId(self.keep(&id)),
        };
        self.items.push((at, seen));
        out
    }

    /// Record a read that delivered decoded body bytes.
    fn arrival(&mut self, a: Arrival) {
        if self.arrivals.len() >= MAX_ARRIVALS {
            // A server that writes a byte at a time: later reads merge into the
            // last one kept.
            self.arrivals.pop();
            self.arrivals_merged += 1;
        }
        self.arrivals.push(a);
    }
}

/// What one parser item counted for the stop conditions.
#[derive(Default)]
struct Counted {
    event: bool,
    id: bool,
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
    let mut obs = Observation::new(target);
    let first = target.clone();
    let mut target = target.clone();
    let mut visited = vec![target.http_url()];
    obs.end = loop {
        // Every hop decides afresh: back at the first origin (A -> B -> A), the
        // user's headers are sent again.
        let headers = req.headers_for(&target, &first);
        // A shared connection serves its own origin only.
        let via = req.via.as_ref().filter(|_| target.same_origin(&first));
        let end = once(&target, tls, req, via, headers, stop, start, &mut obs).await;
        obs.ended_at = start.elapsed();
        let next = match end {
            Ok(next) => next,
            Err(end) => break end,
        };
        let url = next.http_url();
        let chain = || {
            let hops: Vec<String> = visited.iter().chain([&url]).map(|u| short(u)).collect();
            hops.join(" → ")
        };
        // Fetch (HTTP-redirect fetch step 5) gives up after 20 redirects; a URL
        // seen before means it would go round until then.
        if visited.contains(&url) {
            break End::BadResponse(format!("a redirect loop: {}", chain()));
        }
        if obs.redirects.len() > MAX_REDIRECTS {
            obs.limit(format!(
                "follows at most {MAX_REDIRECTS} redirects (browsers follow 20)"
            ));
            break End::BadResponse(format!("more than {MAX_REDIRECTS} redirects: {}", chain()));
        }
        visited.push(url);
        target = next;
        obs.target = target.clone();
    };
    obs.close_limits();
    obs
}

/// One request on its own connection. `Ok(target)` asks to follow a redirect;
/// `Err(end)` is how the observation ended.
#[allow(clippy::too_many_arguments)]
async fn once(
    target: &Target,
    tls: Option<&Arc<rustls::ClientConfig>>,
    req: &Request,
    via: Option<&Opener>,
    headers: &[(String, String)],
    stop: Stop,
    start: Instant,
    obs: &mut Observation,
) -> Result<Target, End> {
    let method = req.method;
    let head_deadline = Instant::now() + stop.head_timeout;
    let mut buf = vec![0u8; READ_BUF];
    let (head, rest, mut stream, session) = match req.http {
        Http::V1_1 => {
            let (head, rest, stream) = once_http1(
                target,
                tls,
                method,
                headers,
                stop,
                head_deadline,
                &mut buf,
                obs,
            )
            .await?;
            (head, rest, stream, None)
        }
        Http::V2 => {
            let (head, stream, session) =
                once_http2(target, tls, via, method, headers, stop, head_deadline, obs).await?;
            (head, Vec::new(), stream, session)
        }
    };
    obs.head_at = Some(start.elapsed());
    obs.framing = None;
    obs.coding = None;
    // RFC 9110 §15.4: the redirects a browser follows (Fetch: a GET stays a GET).
    // The redirect's head is kept: the last one shows when redirects never end.
    let next = match head.get("location") {
        Some(l) if matches!(head.status, 301 | 302 | 303 | 307 | 308) && method == "GET" => {
            redirect(target, l).map(|next| (next, (head.status, l.to_owned())))
        }
        _ => None,
    };
    let framing = response_framing(&head);
    let http2 = head.version == 2;
    let coding = Coding::of(&head);
    obs.head = Some(head);
    if let Some((next, hop)) = next {
        obs.redirects.push(hop);
        return Ok(next);
    }
    // RFC 9112 §6.3 item 5: an invalid Content-Length is an unrecoverable error;
    // the head is kept so the cases judge it.
    let framing = framing.map_err(End::Undecodable)?;
    // RFC 9113 §8.1: over HTTP/2 the body is its DATA frames, up to END_STREAM.
    obs.framing = Some(if http2 {
        "HTTP/2 DATA frames"
    } else {
        framing.name()
    });
    obs.coding = Some(coding.name().to_owned());
    if framing.is_empty() {
        // No body (204, 304, Content-Length: 0): the response is complete now.
        return Err(End::ServerEnded);
    }
    let mut body = Body {
        framing,
        decodable: !matches!(coding, Coding::Unsupported(_)),
        coding,
        parser: Parser::new(Config::default()),
        total: 0,
        ids: 0,
        events: 0,
        framed: Vec::new(),
        decoded: Vec::new(),
    };
    let deadline = Instant::now() + stop.duration;
    let end = body
        .read(&mut stream, &mut buf, rest, deadline, stop, start, obs)
        .await;
    if let Some(session) = session {
        // The stream is reset (CANCEL) as it is dropped, then the connection
        // ends with GOAWAY, within a bounded wait.
        drop(stream);
        session.finish(SESSION_END).await;
    }
    Err(end)
}

/// How long an HTTP/2 connection is given to end in order after its stream.
const SESSION_END: Duration = Duration::from_millis(500);

/// Connect, send the HTTP/1.1 request and read the response head by
/// `head_deadline`: the head, the bytes after it, and the connection.
#[allow(clippy::too_many_arguments)]
async fn once_http1(
    target: &Target,
    tls: Option<&Arc<rustls::ClientConfig>>,
    method: &str,
    headers: &[(String, String)],
    stop: Stop,
    head_deadline: Instant,
    buf: &mut [u8],
    obs: &mut Observation,
) -> Result<(Head, Vec<u8>, Stream), End> {
    let late = |what: &str| {
        End::NoResponse(format!(
            "no {what} within {:.1} s",
            stop.head_timeout.as_secs_f64()
        ))
    };
    // Built before connecting: a request the HTTP layer refuses to write (a
    // redirect's target with a control byte, say) sends nothing.
    let bytes = request(method, &target.path, &target.host_header, headers)
        .map_err(|e| End::NoResponse(format!("cannot build the request: {e}")))?;
    let mut stream = timeout_at(head_deadline, connect(target, tls))
        .await
        .map_err(|_| late("connection"))?
        .map_err(End::NoResponse)?;
    obs.request = String::from_utf8_lossy(&bytes).into_owned();
    timeout_at(head_deadline, stream.write_all(&bytes))
        .await
        .map_err(|_| late("request sent"))?
        .map_err(|e| End::NoResponse(format!("cannot send the request: {e}")))?;
    let (head, rest) = read_head(&mut stream, buf, head_deadline, stop, obs).await?;
    Ok((head, rest, stream))
}

/// Connect over HTTP/2 and send the request on a stream of its own (RFC 9113
/// §8.3: `:authority` in place of `Host`, names in lowercase), ended with its
/// headers, on `via`'s connection if given; wait for the response head by
/// `head_deadline`. The session is the new connection's, if one was made.
#[allow(clippy::too_many_arguments)]
async fn once_http2(
    target: &Target,
    tls: Option<&Arc<rustls::ClientConfig>>,
    via: Option<&Opener>,
    method: &str,
    headers: &[(String, String)],
    stop: Stop,
    head_deadline: Instant,
    obs: &mut Observation,
) -> Result<(Head, Stream, Option<Session>), End> {
    let late = |what: &str| {
        End::NoResponse(format!(
            "no {what} within {:.1} s",
            stop.head_timeout.as_secs_f64()
        ))
    };
    let mut builder = http::Request::builder()
        .method(method)
        .uri(uri(target, &target.path).map_err(End::NoResponse)?);
    for (k, v) in headers {
        builder = builder.header(k.to_ascii_lowercase(), v);
    }
    let req = builder
        .body(())
        .map_err(|e| End::NoResponse(format!("cannot build the request: {e}")))?;
    obs.request = render_request(&req);
    let (opener, session) = match via {
        Some(opener) => (opener.clone(), None),
        None => {
            let session = timeout_at(head_deadline, Session::connect(target, tls))
                .await
                .map_err(|_| late("HTTP/2 connection"))?
                .map_err(End::NoResponse)?;
            let opener = session
                .opener()
                .ok_or_else(|| End::NoResponse("the HTTP/2 connection ended at once".into()))?;
            (opener, Some(session))
        }
    };
    let (parts, stream) = timeout_at(head_deadline, opener.open(req, true))
        .await
        .map_err(|_| late("response head"))?
        .map_err(|e| {
            if e.answered {
                End::BadResponse(e.why)
            } else {
                End::NoResponse(e.why)
            }
        })?;
    let raw = render_response(&parts);
    obs.received += raw.len() as u64;
    let head = Head {
        version: 2,
        status: parts.status.as_u16(),
        reason: parts.status.canonical_reason().unwrap_or("").to_owned(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        raw,
    };
    Ok((head, Box::new(stream), session))
}

/// Read the response head (after any interim 1xx ones) by `deadline`; returns it
/// and the bytes after it.
async fn read_head(
    stream: &mut Stream,
    buf: &mut [u8],
    deadline: Instant,
    stop: Stop,
    obs: &mut Observation,
) -> Result<(Head, Vec<u8>), End> {
    let mut reader = HeadReader::default();
    // Bytes of this hop's response so far, and its interim responses.
    let mut got = 0u64;
    let mut interim = 0usize;
    let incomplete = |got: u64, what: String| {
        if got == 0 {
            End::NoResponse(what)
        } else {
            End::BadResponse(format!("{what} (after {got} bytes of it)"))
        }
    };
    loop {
        // The deadline is checked before each read as well as around it.
        if Instant::now() >= deadline {
            let within = stop.head_timeout.as_secs_f64();
            return Err(if got == 0 {
                End::NoResponse(format!("no response head within {within:.1} s"))
            } else {
                End::BadResponse(format!(
                    "the response head was still incomplete after {within:.1} s ({got} bytes of it came)"
                ))
            });
        }
        let n = match timeout_at(deadline, stream.read(buf)).await {
            Err(_) => continue,
            Ok(Err(e)) => {
                return Err(incomplete(got, format!("reading the response head: {e}")));
            }
            Ok(Ok(n)) => n,
        };
        if n == 0 {
            return Err(incomplete(
                got,
                "the server closed the connection before a complete response head".into(),
            ));
        }
        got += n as u64;
        obs.received += n as u64;
        let mut input = &buf[..n];
        loop {
            match reader.feed(input) {
                // RFC 9110 §15.2: an interim 1xx (103 Early Hints, ...) precedes the
                // final response; read on.
                Ok(Some((head, used)))
                    if (100..200).contains(&head.status) && head.status != 101 =>
                {
                    obs.interim.push(head.status);
                    interim += 1;
                    if interim > MAX_INTERIM {
                        obs.limit(format!(
                            "reads at most {MAX_INTERIM} interim (1xx) responses"
                        ));
                        return Err(End::BadResponse(format!(
                            "more than {MAX_INTERIM} interim (1xx) responses before a final one"
                        )));
                    }
                    reader = HeadReader::default();
                    input = &input[used..];
                    if input.is_empty() {
                        break;
                    }
                }
                Ok(Some((head, used))) => return Ok((head, input[used..].to_vec())),
                Ok(None) => break,
                Err(e @ HeadError::TooLarge) => {
                    obs.limit(format!(
                        "reads response heads of at most {}",
                        size(super::http::MAX_HEAD as u64)
                    ));
                    return Err(End::BadResponse(e.to_string()));
                }
                Err(e) => return Err(End::BadResponse(e.to_string())),
            }
        }
    }
}

/// The body's decoding state.
struct Body {
    framing: Framing,
    coding: Coding,
    decodable: bool,
    parser: Parser,
    /// Decoded bytes so far.
    total: u64,
    ids: usize,
    events: usize,
    /// Scratch: the framing's output for one slice.
    framed: Vec<u8>,
    /// Scratch: the coding's output for one slice.
    decoded: Vec<u8>,
}

impl Body {
    /// Read until the body ends, `deadline`, a stop condition or a limit.
    #[allow(clippy::too_many_arguments)]
    async fn read(
        &mut self,
        stream: &mut Stream,
        buf: &mut [u8],
        rest: Vec<u8>,
        deadline: Instant,
        stop: Stop,
        start: Instant,
        obs: &mut Observation,
    ) -> End {
        if !rest.is_empty() {
            if let Some(end) = self.take(&rest, stop, start, obs) {
                return end;
            }
        }
        loop {
            // Checked before every read: a server that always has bytes ready
            // (tokio's Timeout polls the read first) cannot keep it open.
            if Instant::now() >= deadline {
                return End::Cut;
            }
            let n = match timeout_at(deadline, stream.read(buf)).await {
                Err(_) => return End::Cut,
                Ok(Err(e)) => {
                    // The server's doing: what it left unterminated is lost (§9.2.6).
                    self.finish(obs);
                    return End::Broken(format!("reading the body: {e}"));
                }
                Ok(Ok(n)) => n,
            };
            if n == 0 {
                self.finish(obs);
                if self.framing.complete_at_close() {
                    return End::ServerEnded;
                }
                return End::Broken(format!(
                    "the server closed the connection inside the {} body",
                    self.framing.name()
                ));
            }
            obs.received += n as u64;
            if let Some(end) = self.take(&buf[..n], stop, start, obs) {
                return end;
            }
        }
    }

    /// WHATWG SSE §9.2.6: at the end of the stream the lint learns what was left
    /// unterminated.
    fn finish(&self, obs: &mut Observation) {
        if self.decodable {
            obs.lint.finish();
        }
    }

    /// Take one read's transport bytes; `Some(end)` when the observation ends.
    fn take(
        &mut self,
        input: &[u8],
        stop: Stop,
        start: Instant,
        obs: &mut Observation,
    ) -> Option<End> {
        let at = start.elapsed();
        obs.wire_bytes += input.len() as u64;
        let before = self.total;
        let mut result = None;
        for slice in input.chunks(DECODE_SLICE) {
            self.framed.clear();
            let done = match decode_body(&mut self.framing, slice, &mut self.framed) {
                Ok(done) => done,
                Err(e) => {
                    result = Some(End::Undecodable(e));
                    break;
                }
            };
            self.decoded.clear();
            if let Err(e) = self.coding.decode(&self.framed, &mut self.decoded) {
                result = Some(End::Undecodable(e));
                break;
            }
            obs.raw_deflate = self.coding.is_raw_deflate();
            if let Some(end) = self.body_bytes(at, stop, obs) {
                result = Some(end);
                break;
            }
            if done {
                self.finish(obs);
                result = Some(End::ServerEnded);
                break;
            }
        }
        if self.total > before {
            obs.arrival(Arrival {
                at,
                end: self.total,
                inside_event: obs.lint.inside_event(),
                events: obs.dispatched,
            });
        }
        if result.is_none()
            && (stop.ids.is_some_and(|n| self.ids >= n)
                || stop.events.is_some_and(|n| self.events >= n))
        {
            result = Some(End::Cut);
        }
        result
    }

    /// Hand `self.decoded` to the lint and the parser, within `max_body`.
    fn body_bytes(&mut self, at: Duration, stop: Stop, obs: &mut Observation) -> Option<End> {
        if self.decoded.is_empty() {
            return None;
        }
        // The limit is checked before the bytes are used: at most max_body are.
        let room = (stop.max_body as u64).saturating_sub(self.total);
        let over = self.decoded.len() as u64 > room;
        let take = usize::try_from(room)
            .unwrap_or(usize::MAX)
            .min(self.decoded.len());
        let bytes = &self.decoded[..take];
        self.total += take as u64;
        let keep = 4096usize.saturating_sub(obs.body_head.len());
        obs.body_head
            .extend_from_slice(&bytes[..keep.min(bytes.len())]);
        if self.decodable {
            obs.lint.feed(bytes);
            let (mut events, mut ids) = (0, 0);
            let fed = self.parser.feed(bytes, |item| {
                let s = obs.seen(at, item);
                events += usize::from(s.event);
                ids += usize::from(s.id);
            });
            self.events += events;
            self.ids += ids;
            if let Err(e) = fed {
                let why = parser_limit(e, self.total);
                obs.limit(why.clone());
                return Some(End::Limit(why));
            }
        }
        if over {
            let why = format!(
                "the body exceeded wirecheck's {} limit per stream after {} bytes",
                size(stop.max_body as u64),
                self.total
            );
            obs.limit(why.clone());
            return Some(End::Limit(why));
        }
        None
    }
}

/// The longest prefix of `value` of at most `max` bytes that ends on a character
/// boundary.
fn prefix(value: &str, max: usize) -> &str {
    let mut end = value.len().min(max);
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    &value[..end]
}

/// A URL for a one-line message: at most 120 characters.
fn short(url: &str) -> String {
    match url.char_indices().nth(120) {
        Some((i, _)) => format!("{}…", &url[..i]),
        None => url.to_owned(),
    }
}

/// The one line naming a parser limit hit after `total` body bytes.
fn parser_limit(e: LimitExceeded, total: u64) -> String {
    match e.limit {
        Limit::Line => format!(
            "a line exceeded wirecheck's {} line limit after {total} bytes",
            size(e.max as u64)
        ),
        Limit::Event => format!(
            "an event's data exceeded wirecheck's {} event limit after {total} bytes",
            size(e.max as u64)
        ),
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
        http: Http::V1_1,
        via: None,
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
    fn kept_values_are_bounded_prefixes_and_every_item_is_counted() {
        use std::borrow::Cow;
        use wirecheck_codec::sse::Event;
        let mut o = Observation::new(&Target::parse_http("http://127.0.0.1/").unwrap());
        // 'é' is two bytes: a cut at MAX_VALUE must fall on a character boundary.
        let data = format!("x{}", "é".repeat(MAX_VALUE));
        let id = "i".repeat(MAX_LAST_ID + 1);
        let n = MAX_ITEMS + 10;
        for _ in 0..n {
            o.seen(
                Duration::ZERO,
                Item::Event(Event {
                    event_type: Cow::Borrowed("message"),
                    data: Cow::Borrowed(&data),
                    last_event_id: Cow::Borrowed(""),
                }),
            );
        }
        o.seen(Duration::ZERO, Item::LastEventId(Cow::Borrowed(&id)));
        o.close_limits();
        assert_eq!(o.dispatched, n as u64);
        assert_eq!(o.items.len() as u64 + o.items_dropped, n as u64 + 1);
        assert!(o.values_kept <= MAX_VALUES);
        let Some((
            _,
            Seen::Event {
                data: kept,
                data_len,
                ..
            },
        )) = o.items.first()
        else {
            panic!("the first event is kept");
        };
        assert!(kept.len() <= MAX_VALUE && data.starts_with(kept.as_str()));
        assert_eq!(*data_len, data.len());
        // An id too long to send again is not kept, and that is said.
        assert_eq!(o.last_event_id, None);
        assert!(o.retained_bytes() <= MAX_RETAINED);
        assert_eq!(o.limits.len(), 3, "{:?}", o.limits);
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
