//! The reference Server-Sent Events server: `wirecheck serve sse` (DESIGN §3).
//!
//! It streams one event per `interval` to every client, honours `Last-Event-ID` by
//! replaying what the client missed, ends a stream on request (`?end=N`) and answers
//! the reconnect that follows with 204, compresses with gzip when asked, and answers
//! CORS requests and preflights: every behaviour `wirecheck sse` checks a server for
//! (sse.md §4), so that the runner has a correct server to validate.
//!
//! Why it is built the way it is:
//!
//! * **One clock, no storage.** Event `n` (n = 1, 2, 3, ...) happens `n * interval`
//!   after [`SseServer::serve`] started, for every connection alike, and its id, type
//!   and data are computed from `n` alone ([`encode_event`]). Replaying what a client
//!   missed is therefore recomputing a range of numbers: no buffer, no broadcast
//!   channel, no lagging receiver, and two clients see identical events. The ids are
//!   the decimal numbers, so an id the server issued is recognised by parsing it.
//! * **The codec writes the protocol.** Every block on the wire comes from
//!   `wirecheck_codec::sse` ([`Block`], [`heartbeat`], [`comment`]), whose output its
//!   parser reads back exactly; the request head is read by the codec's incremental
//!   HTTP head reader ([`RequestParser`]: each byte looked at once, the first byte no
//!   valid head can hold answered with 400 at once (a TLS ClientHello on this plain
//!   port, say), httparse run once over the complete head, 16 KiB and 64 header
//!   fields answered with 431). This file only routes, times and frames.
//! * **One event, one chunk, one write.** A live event is encoded, compressed and
//!   sync-flushed when gzip is on, framed as one HTTP/1.1 chunk, and written with one
//!   `write_all` the moment it happens, on a socket with Nagle's algorithm off, so the
//!   client sees it at once (sse.md §4.C check 19; the buffering bugs of §4.A check 7
//!   are exactly a server that does not). Replayed events are past due, so they are
//!   framed one chunk each but grouped into writes of about [`REPLAY_WRITE`] bytes.
//! * **Every wait is bounded**: the request head (`request_timeout`), each write
//!   ([`WRITE_TIMEOUT`]), the end of a connection ([`CLOSE_TIMEOUT`]) and the shutdown
//!   as a whole. Connections beyond `max_connections` are dropped on accept.
//!
//! How a stream ends:
//!
//! * **`?end=N`**: after event `N` the body ends cleanly: the gzip trailer, then the
//!   last chunk (`0\r\n\r\n`) or, for HTTP/1.0, the close. A browser reconnects after
//!   a clean end (WHATWG SSE §9.2.3, sse.md §3.3), so the reconnect (its
//!   `Last-Event-ID` is `N`) gets 204 No Content: "Clients will reconnect if the
//!   connection is closed; a client can be told to stop reconnecting using the HTTP
//!   204 No Content response code" (§9.2.1).
//! * **Server shutdown**: the same clean end, without waiting for the next event.
//! * **The client leaves**: noticed when its FIN or reset arrives (the socket is read
//!   while streaming) or the next write fails.
//!
//! Then the server half-closes and reads until the client's FIN (at most
//! [`CLOSE_TIMEOUT`]) before dropping the socket, so that unread request bytes do not
//! turn the close into a reset that could destroy the end of the response in flight.

use std::future::Future;
use std::io::{self, Write as _};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use super::{Opened, Running, Server, accept_until, open};
use crate::http2;
use crate::http2::server::{ServeLimits, request_as_http1, response_from_http1};
use crate::http2::stream::H2Stream;
use flate2::Compression;
use flate2::write::GzEncoder;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::{Instant, sleep_until, timeout, timeout_at};
use wirecheck_codec::http::{self, HeadLimits, Request, RequestParser};
use wirecheck_codec::sse::{Block, comment, heartbeat};

/// The port `wirecheck serve sse` listens on by default: the one after `serve ws`'s.
pub const DEFAULT_PORT: u16 = 9002;

/// The value of every response's `Server` header (what a runner reports as the agent).
pub const SERVER_NAME: &str = "wirecheck-reference";

/// How long one write may stay blocked (a client that stopped reading) before the
/// connection is given up.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the last write of a refused request or of a stream ended by shutdown
/// may take, and how long the server then waits for the client's FIN.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// Replayed events are written in groups of about this many bytes.
const REPLAY_WRITE: usize = 64 * 1024;

/// The size of the buffer that reads request heads and drains the socket.
const READ_BUF: usize = 4096;

/// The shortest event interval and heartbeat honoured; shorter values (zero
/// included) would make a connection spin.
const MIN_PERIOD: Duration = Duration::from_millis(1);

/// The request headers a preflight may ask for (`Access-Control-Request-Headers`):
/// the ones an `EventSource` sends (WHATWG SSE §9.2.4 `Last-Event-ID`; `Accept` and
/// `Cache-Control` per sse.md §3.1), lower-case.
const ALLOWED_REQUEST_HEADERS: [&str; 3] = ["last-event-id", "accept", "cache-control"];

/// How the SSE server behaves. [`Default`] gives the values documented per field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseServerConfig {
    /// The address to listen on. Default `127.0.0.1`: other interfaces only when
    /// asked for explicitly.
    pub host: IpAddr,
    /// The port to listen on; 0 picks a free one (read it back with
    /// [`SseServer::local_addr`]). Default [`DEFAULT_PORT`] (9002).
    pub port: u16,
    /// The time between two events: event `n` happens `n * interval` after the
    /// server started serving. Default 250 ms; at least 1 ms is used.
    pub interval: Duration,
    /// A stream on which nothing was written for this long gets a heartbeat (an
    /// empty comment, `:`), so that proxies do not drop it (WHATWG SSE §9.2.7: "a
    /// comment line ... every 15 seconds or so"). Default 5 s; at least 1 ms is used.
    pub heartbeat: Duration,
    /// The reconnection time announced at the start of every stream (`retry`), in
    /// milliseconds. Default 2000.
    pub retry_ms: u64,
    /// How long a client has, from the TCP accept, to send its complete request head.
    /// A client that has not by then is dropped without an answer. Default 10 s.
    pub request_timeout: Duration,
    /// The most connections served at once; connections beyond it are closed on
    /// accept, before any byte is read. Default 256.
    pub max_connections: usize,
    /// The most events replayed for one `Last-Event-ID`. An id more than this many
    /// events behind the clock is treated as unknown (a live stream, announced by a
    /// comment) rather than replayed with a gap. Default 10 000.
    pub max_replay: u64,
    /// TLS (`wirecheck serve sse --tls CERT KEY`): `https://`, with ALPN `h2`
    /// or `http/1.1`. Default `None`: cleartext.
    pub tls: Option<crate::tls::ServerTls>,
}

impl Default for SseServerConfig {
    fn default() -> Self {
        SseServerConfig {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: DEFAULT_PORT,
            interval: Duration::from_millis(250),
            heartbeat: Duration::from_secs(5),
            retry_ms: 2000,
            request_timeout: Duration::from_secs(10),
            max_connections: 256,
            max_replay: 10_000,
            tls: None,
        }
    }
}

impl SseServerConfig {
    /// The defaults on `127.0.0.1` with an ephemeral port: what a runner that starts
    /// the server in-process wants.
    pub fn ephemeral() -> Self {
        SseServerConfig {
            port: 0,
            ..SseServerConfig::default()
        }
    }
}

/// A bound, not yet serving, SSE server.
#[derive(Debug)]
pub struct SseServer {
    /// The listening socket.
    listener: TcpListener,
    /// The configuration, shared with every connection task.
    config: Arc<SseServerConfig>,
}

/// Bind the listening socket. Connections queue in the backlog until
/// [`Server::serve`] (or [`Server::spawn`]) runs.
pub async fn bind(config: SseServerConfig) -> io::Result<SseServer> {
    let listener = TcpListener::bind((config.host, config.port)).await?;
    Ok(SseServer {
        listener,
        config: Arc::new(config),
    })
}

impl Server for SseServer {
    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// `http://ADDR/events`, or `https://ADDR/events` with TLS.
    fn url_at(&self, addr: SocketAddr) -> String {
        let scheme = if self.config.tls.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{addr}/events")
    }

    /// Start the event clock and serve connections until `shutdown` completes. Then
    /// stop accepting, end every open stream cleanly (waiting at most about twice
    /// [`CLOSE_TIMEOUT`] for them), and return.
    ///
    /// Over `max_connections` a new connection is closed at once: a network error
    /// makes an EventSource reconnect later, where a 503 would stop it for good
    /// (WHATWG SSE §9.2.3: any status other than 200 fails the connection; sse.md
    /// §3.2).
    fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> impl Future<Output = ()> + Send + 'static {
        let SseServer { listener, config } = self;
        let clock = Clock::new(Instant::now(), config.interval);
        // A stream ends within its last write plus the wait for the client's FIN;
        // a task still blocked in a live write after that is aborted.
        let grace = CLOSE_TIMEOUT * 2 + Duration::from_secs(1);
        let max_connections = config.max_connections;
        // HTTP/2 streams are event streams too: as many at once as connections.
        let streams = Arc::new(Semaphore::new(max_connections));
        accept_until(
            listener,
            max_connections,
            grace,
            shutdown,
            move |stream, stop| {
                let config = Arc::clone(&config);
                let streams = Arc::clone(&streams);
                async move { connection(stream, config, clock, streams, stop).await }
            },
        )
    }
}

/// An SSE server serving in a background task (see [`Server::spawn`]).
pub type RunningSseServer = Running;

// ---------------------------------------------------------------------------------
// The event sequence
// ---------------------------------------------------------------------------------

/// The shared clock: when event `n` happens, and which event happened last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Clock {
    /// When serving started: the time of event 0, which is never sent.
    start: Instant,
    /// The time between two events, in nanoseconds (at least [`MIN_PERIOD`]).
    interval_ns: u128,
}

impl Clock {
    fn new(start: Instant, interval: Duration) -> Self {
        Clock {
            start,
            interval_ns: interval.max(MIN_PERIOD).as_nanos(),
        }
    }

    /// When event `n` happens: `start + n * interval`, computed exactly in
    /// nanoseconds, so that `at(current(t)) <= t < at(current(t) + 1)`. A time beyond
    /// what `Instant` can hold is a day from now, i.e. never for a connection.
    fn at(&self, n: u64) -> Instant {
        let ns = u128::from(n).saturating_mul(self.interval_ns);
        u64::try_from(ns)
            .ok()
            .and_then(|ns| self.start.checked_add(Duration::from_nanos(ns)))
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400))
    }

    /// The number of the last event that has happened at `now` (0 before the first).
    fn current(&self, now: Instant) -> u64 {
        let elapsed = now.saturating_duration_since(self.start).as_nanos();
        u64::try_from(elapsed / self.interval_ns).unwrap_or(u64::MAX)
    }

    /// Milliseconds from the start to event `n` (saturating), carried in its data.
    fn at_ms(&self, n: u64) -> u128 {
        u128::from(n).saturating_mul(self.interval_ns) / 1_000_000
    }
}

/// Append event `n` to `out`, computed from `n` alone:
///
/// * `id: n`, the decimal number, so a `Last-Event-ID` the server issued parses back
///   to the event it names (WHATWG SSE §9.2.6 "id" field; §9.2.4).
/// * `event: tick`, except every 5th event, which has no `event` field and so the
///   default type `message` (§9.2.6 dispatch step 6): both kinds appear.
/// * `data`: a JSON object `{"n":n,"at_ms":t}` where `t` is when the event happened,
///   in ms from the start. Every 4th event splits its object over two `data` lines
///   (`..."at_ms":t,` then `"lines":2}`), which a client joins with LF (§9.2.6 "data"
///   field), so multi-line data is exercised and every event's data is still JSON.
fn encode_event(clock: &Clock, n: u64, out: &mut Vec<u8>) {
    let id = n.to_string();
    let at_ms = clock.at_ms(n);
    let data = if n % 4 == 0 {
        format!("{{\"n\":{n},\"at_ms\":{at_ms},\n\"lines\":2}}")
    } else {
        format!("{{\"n\":{n},\"at_ms\":{at_ms}}}")
    };
    let mut block = Block::message(&data).id(&id);
    if n % 5 != 0 {
        block = block.event("tick");
    }
    // The id is digits and the type is fixed, so the encoder accepts both; it
    // writes nothing when it refuses, and there is nothing else to write.
    let _ = block.encode(out);
}

// ---------------------------------------------------------------------------------
// Routing: from a request head to an answer, without I/O
// ---------------------------------------------------------------------------------

/// What to do with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    /// Send this complete response, then close.
    Respond(Vec<u8>),
    /// Send this response head, then the event stream it describes.
    Stream(StreamPlan),
}

/// An accepted stream request.
#[derive(Debug, Clone, PartialEq, Eq)]
struct StreamPlan {
    /// The response head (status line, headers, empty line).
    head: Vec<u8>,
    /// HTTP/1.1: the body is chunked; HTTP/1.0: it ends with the connection.
    chunked: bool,
    /// The body is gzip-compressed.
    gzip: bool,
    /// The first event to send: the one after `Last-Event-ID`, or the next one.
    first: u64,
    /// The last event to send (`?end=N`), if the stream is finite.
    end: Option<u64>,
    /// A comment written before the first event (why `Last-Event-ID` was not used).
    note: Option<String>,
}

/// Decide the answer to `req`, given the number of the last event that happened.
fn route(req: &Request, config: &SseServerConfig, current: u64) -> Route {
    let origin = origin(req);
    // RFC 7230 §5.4: "A server MUST respond with a 400 (Bad Request) status code to
    // any HTTP/1.1 request message that lacks a Host header field and to any request
    // message that contains more than one Host header field".
    let hosts = req.header_values("host").count();
    if hosts > 1 || (req.version >= 1 && hosts == 0) {
        return Route::Respond(plain(400, origin, "exactly one Host header is required"));
    }
    let Some((path, query)) = split_target(&req.target) else {
        return Route::Respond(plain(400, origin, "the request-target is not a path"));
    };
    if path != "/events" && path != "/" {
        return Route::Respond(plain(404, origin, "not found: the stream is at /events"));
    }
    match req.method.as_str() {
        "GET" => stream(req, config, current, origin, query),
        "OPTIONS" => Route::Respond(options(req, origin)),
        // RFC 7231 §6.5.5: a 405 "MUST generate an Allow header field".
        _ => Route::Respond(plain(405, origin, "only GET and OPTIONS are allowed")),
    }
}

/// `GET /events`: a stream, a 204 that stops a reconnecting client, or a 400.
fn stream(
    req: &Request,
    config: &SseServerConfig,
    current: u64,
    origin: Option<&[u8]>,
    query: Option<&str>,
) -> Route {
    let end = match query_end(query) {
        Ok(end) => end,
        Err(why) => return Route::Respond(plain(400, origin, why)),
    };
    let resume = resume(req, config, current);
    // WHATWG SSE §9.2.1: "a client can be told to stop reconnecting using the HTTP
    // 204 No Content response code" (sse.md §3.3, §4.A check 3). A stream that has
    // nothing left to send before its end answers so: the client has seen event N
    // (its Last-Event-ID, even one from before a server restart), or it comes after
    // event N happened with no id below N to resume from.
    if let Some(end) = end {
        let seen_end = resume.number.is_some_and(|k| k >= end);
        if seen_end || resume.first(current) > end {
            return Route::Respond(no_content(origin));
        }
    }
    let gzip = accepts_gzip(req);
    let chunked = req.version >= 1;
    let mut head = status_line(200);
    // WHATWG SSE §9.2.3: anything but a 200 with the `text/event-stream` essence
    // fails the EventSource; the stream is always UTF-8 (§9.2.5), said explicitly.
    header(
        &mut head,
        "Content-Type",
        b"text/event-stream; charset=utf-8",
    );
    // The client asks for `no-store` (§9.2.2 constructor); caches and CDNs in between
    // must not keep a live stream either (sse.md §4.A check 4).
    header(&mut head, "Cache-Control", b"no-store");
    // nginx buffers proxied responses unless told not to (sse.md §4.A check 7).
    header(&mut head, "X-Accel-Buffering", b"no");
    // No Content-Length: the body is open-ended (sse.md §4.A check 5). RFC 7230
    // §3.3.1: chunked for HTTP/1.1; an HTTP/1.0 client cannot parse chunked, so its
    // body is delimited by the close (RFC 7230 §3.3.3 item 7).
    if chunked {
        header(&mut head, "Transfer-Encoding", b"chunked");
    }
    if gzip {
        header(&mut head, "Content-Encoding", b"gzip");
    }
    // RFC 7231 §7.1.4: the representation depends on these request headers.
    header(&mut head, "Vary", b"Origin, Accept-Encoding");
    cors(&mut head, origin);
    head.extend_from_slice(b"\r\n");
    Route::Stream(StreamPlan {
        head,
        chunked,
        gzip,
        first: resume.first(current),
        end,
        note: resume.note,
    })
}

/// What a request's `Last-Event-ID` means for its stream.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Resume {
    /// The id as an event number, when it is one the server could have issued
    /// (canonical decimal), whether or not it can be replayed.
    number: Option<u64>,
    /// The event to resume after, when the id can be replayed from.
    after: Option<u64>,
    /// Why an id that was sent cannot be resumed from, as a comment.
    note: Option<String>,
}

impl Resume {
    /// The first event of the stream: after the resumed id, or the next live one.
    fn first(&self, current: u64) -> u64 {
        self.after.unwrap_or(current).saturating_add(1)
    }
}

/// Read `Last-Event-ID` (WHATWG SSE §9.2.4): the last event ID string of a
/// reconnecting client, which it sends only when non-empty (§9.2.3 reestablish step
/// 4). Any value is accepted and never answered with an error (sse.md §4.D check 21:
/// a 5xx would stop the client for good); one the server cannot resume from gets a
/// live stream and a comment saying so (whatwg/html#8297: signalling that replay is
/// unavailable is application-specific, best done in the stream itself).
fn resume(req: &Request, config: &SseServerConfig, current: u64) -> Resume {
    let mut ids = req.header_values("last-event-id");
    let (Some(id), None) = (ids.next(), ids.next()) else {
        let sent = req.header_values("last-event-id").next().is_some();
        return Resume {
            number: None,
            after: None,
            note: sent.then(|| live_note("Last-Event-ID was sent more than once", current)),
        };
    };
    if id.is_empty() {
        // An empty last event ID string means "none" (§9.2.3 step 4 never sends it).
        return Resume {
            number: None,
            after: None,
            note: None,
        };
    }
    let number = parse_event_number(id);
    let why = match number {
        None => "Last-Event-ID is not an id this server issued",
        Some(k) if k > current => "Last-Event-ID is ahead of this server's clock",
        Some(k) if current - k > config.max_replay => {
            "Last-Event-ID is older than the events this server replays"
        }
        Some(k) => {
            return Resume {
                number,
                after: Some(k),
                note: None,
            };
        }
    };
    Resume {
        number,
        after: None,
        note: Some(live_note(why, current)),
    }
}

/// The comment text for a stream that could not resume: why, and where it starts.
/// It never repeats the client's id (any bytes, up to the header limit).
fn live_note(why: &str, current: u64) -> String {
    format!(" {why}; live from event {}", current.saturating_add(1))
}

/// An event number as this server writes it: ASCII digits without a sign or a
/// leading zero (`0` alone is allowed: "nothing seen yet"), within `u64`. Anything
/// else (`007`, `+5`, `5.0`, non-ASCII) is an id it never issued.
fn parse_event_number(id: &[u8]) -> Option<u64> {
    let canonical =
        !id.is_empty() && id.iter().all(u8::is_ascii_digit) && (id.len() == 1 || id[0] != b'0');
    if !canonical {
        return None;
    }
    std::str::from_utf8(id).ok()?.parse().ok()
}

/// The `end` query parameter: `Ok(None)` without one, `Err` when it is not one
/// canonical decimal number.
fn query_end(query: Option<&str>) -> Result<Option<u64>, &'static str> {
    let mut end = None;
    for pair in query.unwrap_or("").split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if name != "end" {
            continue;
        }
        if end.is_some() {
            return Err("the end parameter is given more than once");
        }
        end = Some(
            parse_event_number(value.as_bytes())
                .ok_or("the end parameter must be a decimal event number")?,
        );
    }
    Ok(end)
}

/// The path and query of a request-target in origin-form (`/events?end=3`) or
/// absolute-form (`http://host/events`, which RFC 7230 §5.3.2 says a server "MUST
/// accept"). `None` for anything else (`*`, authority-form).
fn split_target(target: &str) -> Option<(&str, Option<&str>)> {
    // A fragment is never sent (RFC 7230 §5.1); drop one rather than route on it.
    let target = target.split('#').next().unwrap_or(target);
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    if path.starts_with('/') {
        return Some((path, query));
    }
    let lower = |n: usize| path.get(..n).map(str::to_ascii_lowercase);
    let scheme = match (lower(7).as_deref(), lower(8).as_deref()) {
        (Some("http://"), _) => 7,
        (_, Some("https://")) => 8,
        _ => return None,
    };
    // After the authority; RFC 3986 §6.2.3: an empty path is `/`.
    let rest = &path[scheme..];
    Some((rest.find('/').map_or("/", |i| &rest[i..]), query))
}

/// Whether the client accepts gzip (RFC 7231 §5.3.4): a `gzip` coding (or `x-gzip`,
/// RFC 7230 §4.2.3: "A recipient SHOULD consider "x-gzip" to be equivalent to
/// "gzip"") with a non-zero weight, or else `*` with a non-zero weight. Codings are
/// case-insensitive tokens; an element whose weight is malformed is ignored; several
/// header lines form one list (RFC 7230 §3.2.2).
fn accepts_gzip(req: &Request) -> bool {
    let mut gzip: Option<bool> = None;
    let mut any: Option<bool> = None;
    for value in req.header_values("accept-encoding") {
        let Ok(value) = std::str::from_utf8(value) else {
            continue;
        };
        for element in value.split(',') {
            let mut parts = element.split(';');
            let coding = parts.next().unwrap_or("").trim();
            let mut weight = Some(1000);
            for param in parts {
                let (name, v) = param.split_once('=').unwrap_or((param, ""));
                if name.trim().eq_ignore_ascii_case("q") {
                    weight = qvalue(v.trim());
                }
            }
            let Some(weight) = weight else {
                continue;
            };
            let slot =
                if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
                    &mut gzip
                } else if coding == "*" {
                    &mut any
                } else {
                    continue;
                };
            // Listed twice: the higher weight wins.
            *slot = Some(slot.unwrap_or(false) || weight > 0);
        }
    }
    gzip.or(any).unwrap_or(false)
}

/// A weight in thousandths (RFC 7231 §5.3.1: `qvalue = ( "0" [ "." 0*3DIGIT ] ) / (
/// "1" [ "." 0*3("0") ] )`), or `None` when malformed.
fn qvalue(v: &str) -> Option<u32> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths: u32 = 0;
    for (i, b) in frac.bytes().enumerate() {
        thousandths += u32::from(b - b'0') * [100, 10, 1][i];
    }
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// The request's `Origin`, when there is exactly one and it is printable (so it can
/// be reflected without injecting anything; httparse already refuses CR and LF).
fn origin(req: &Request) -> Option<&[u8]> {
    let mut origins = req.header_values("origin");
    match (origins.next(), origins.next()) {
        (Some(o), None) if !o.is_empty() && o.iter().all(|&b| b >= 0x20 && b != 0x7f) => Some(o),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------

/// The status line and the headers every response carries.
fn status_line(status: u16) -> Vec<u8> {
    let reason = match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        _ => "Error",
    };
    // RFC 7230 §2.6: a server sends the highest version it conforms to (1.1), also
    // to an HTTP/1.0 client, as long as it uses no 1.1 feature the client lacks.
    let mut out = Vec::new();
    let written = http::write_status_line(&mut out, status, reason);
    debug_assert!(written.is_ok(), "{status} {reason}: {written:?}");
    header(&mut out, "Server", SERVER_NAME.as_bytes());
    // RFC 7230 §6.1: "A server that does not support persistent connections MUST send
    // the "close" connection option in every response message that does not have a
    // 1xx (Informational) status code." One request per connection here.
    header(&mut out, "Connection", b"close");
    out
}

/// One header field, written by the codec's HTTP layer, which refuses a name
/// or value that would break the head (RFC 9110 §5.1, §5.5). Every value here
/// is the server's own or one the request head reader already accepted (an
/// `Origin` echoed for CORS), so a refusal is a bug of this file: it leaves the
/// field out rather than send a broken head.
fn header(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    let written = http::write_field(out, name, value);
    debug_assert!(written.is_ok(), "{name}: {written:?}");
}

/// CORS for a request with an `Origin` (sse.md §3.6, §4.A check 8): the origin
/// echoed, never `*`, so that `withCredentials` streams pass too (Fetch: a
/// credentialed response needs the exact origin and `Allow-Credentials: true`).
fn cors(out: &mut Vec<u8>, origin: Option<&[u8]>) {
    if let Some(origin) = origin {
        header(out, "Access-Control-Allow-Origin", origin);
        header(out, "Access-Control-Allow-Credentials", b"true");
    }
}

/// A complete short response with a one-line `text/plain` body.
fn plain(status: u16, origin: Option<&[u8]>, message: &str) -> Vec<u8> {
    let body = format!("{message}\n");
    let mut out = status_line(status);
    if status == 405 {
        header(&mut out, "Allow", b"GET, OPTIONS");
    }
    cors(&mut out, origin);
    header(&mut out, "Content-Type", b"text/plain; charset=utf-8");
    header(
        &mut out,
        "Content-Length",
        body.len().to_string().as_bytes(),
    );
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body.as_bytes());
    out
}

/// 204 No Content: "stop reconnecting" (WHATWG SSE §9.2.1). RFC 7230 §3.3.2: no
/// Content-Length in a 204. The CORS headers let a cross-origin EventSource see it.
fn no_content(origin: Option<&[u8]>) -> Vec<u8> {
    let mut out = status_line(204);
    header(&mut out, "Cache-Control", b"no-store");
    header(&mut out, "Vary", b"Origin, Accept-Encoding");
    cors(&mut out, origin);
    out.extend_from_slice(b"\r\n");
    out
}

/// `OPTIONS /events`: 204 with `Allow`, and for a CORS preflight the permission to
/// GET with the headers an EventSource sends. A reconnect whose `Last-Event-ID` is
/// long or CORS-unsafe is preflighted with `Access-Control-Request-Headers:
/// last-event-id` (sse.md §3.4, §4.A check 8).
fn options(req: &Request, origin: Option<&[u8]>) -> Vec<u8> {
    let mut out = status_line(204);
    header(&mut out, "Allow", b"GET, OPTIONS");
    header(&mut out, "Vary", b"Origin");
    if origin.is_some() {
        cors(&mut out, origin);
        header(&mut out, "Access-Control-Allow-Methods", b"GET");
        let allowed = allowed_request_headers(req);
        header(&mut out, "Access-Control-Allow-Headers", allowed.as_bytes());
        header(&mut out, "Access-Control-Max-Age", b"600");
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// The requested headers (`Access-Control-Request-Headers`, a comma list of
/// case-insensitive names) that are among [`ALLOWED_REQUEST_HEADERS`], as sent; when
/// none is, `last-event-id`. A request listing only allowed names gets its list back.
fn allowed_request_headers(req: &Request) -> String {
    let mut allowed: Vec<&str> = Vec::new();
    for value in req.header_values("access-control-request-headers") {
        let Ok(value) = std::str::from_utf8(value) else {
            continue;
        };
        for name in value.split(',').map(str::trim) {
            let known = ALLOWED_REQUEST_HEADERS
                .iter()
                .any(|a| a.eq_ignore_ascii_case(name));
            if known && !allowed.iter().any(|a| a.eq_ignore_ascii_case(name)) {
                allowed.push(name);
            }
        }
    }
    if allowed.is_empty() {
        ALLOWED_REQUEST_HEADERS[0].to_string()
    } else {
        allowed.join(", ")
    }
}

// ---------------------------------------------------------------------------------
// I/O
// ---------------------------------------------------------------------------------

/// One connection, from the TCP accept to the close: HTTP/1.1 (one request),
/// or HTTP/2 with prior knowledge (RFC 9113 §3.3), told apart by the first
/// bytes; over HTTP/2 every request is a stream of its own ([`h2_stream`]).
async fn connection(
    tcp: TcpStream,
    config: Arc<SseServerConfig>,
    clock: Clock,
    streams: Arc<Semaphore>,
    mut stop: watch::Receiver<()>,
) {
    let mut buf = vec![0u8; READ_BUF];
    let deadline = Instant::now() + config.request_timeout;
    let (mut stream, first) = match open(tcp, config.tls.as_ref(), &mut buf, deadline).await {
        Some(Opened::Http1(stream, first)) => (stream, first),
        Some(Opened::Http2(io)) => {
            let handler =
                |req, respond| h2_stream(req, respond, Arc::clone(&config), clock, stop.clone());
            // A connection without a stream is dropped as a silent HTTP/1.1
            // client is: after the request timeout.
            let limits = ServeLimits {
                handshake: config.request_timeout,
                idle: config.request_timeout,
                grace: CLOSE_TIMEOUT * 2,
                streams,
            };
            http2::server::serve(io, stop.clone(), limits, handler).await;
            return;
        }
        None => return,
    };
    let request = match read_request(&mut stream, &mut buf, first, deadline, &mut stop).await {
        Incoming::Request(request) => request,
        Incoming::Refused(response) => {
            respond(&mut stream, &response, &mut buf).await;
            return;
        }
        Incoming::Gone => return,
    };
    match route(&request, &config, clock.current(Instant::now())) {
        Route::Respond(response) => respond(&mut stream, &response, &mut buf).await,
        Route::Stream(plan) => {
            if send_stream(&mut stream, &config, &clock, plan, &mut buf, stop).await {
                linger_close(&mut stream, &mut buf).await;
            }
        }
    }
}

/// One request over HTTP/2: routed exactly as over HTTP/1.1, the answer sent
/// as HEADERS without the connection-specific fields (RFC 9113 §8.2.2) and the
/// body as DATA, unframed (no chunked coding: DATA frames delimit it, §8.1);
/// a stream's end is END_STREAM.
async fn h2_stream(
    req: ::http::Request<h2::RecvStream>,
    mut respond: h2::server::SendResponse<bytes::Bytes>,
    config: Arc<SseServerConfig>,
    clock: Clock,
    stop: watch::Receiver<()>,
) {
    let request = request_as_http1(&req);
    let route = route(&request, &config, clock.current(Instant::now()));
    let head = match &route {
        Route::Respond(bytes) => bytes.as_slice(),
        Route::Stream(plan) => plan.head.as_slice(),
    };
    let Some((answer, used)) = response_from_http1(head) else {
        respond.send_reset(h2::Reason::INTERNAL_ERROR);
        return;
    };
    match route {
        Route::Respond(bytes) => {
            let body = &bytes[used..];
            let Ok(mut send) = respond.send_response(answer, body.is_empty()) else {
                return;
            };
            if !body.is_empty() {
                // A few hundred bytes at most, within any initial window.
                let _ = send.send_data(bytes::Bytes::copy_from_slice(body), true);
            }
        }
        Route::Stream(mut plan) => {
            let Ok(send) = respond.send_response(answer, false) else {
                return;
            };
            plan.head.clear();
            plan.chunked = false;
            let mut io = H2Stream::new(send, req.into_body());
            let mut scratch = vec![0u8; READ_BUF];
            if send_stream(&mut io, &config, &clock, plan, &mut scratch, stop).await {
                let _ = io.shutdown().await;
            }
        }
    }
}

/// How reading a request head ended.
enum Incoming {
    /// A complete head.
    Request(Request),
    /// Not a request this server reads (400, 431): send this response and close.
    Refused(Vec<u8>),
    /// Timed out, the client left, or the server is stopping: just close.
    Gone,
}

/// Read one request head by `deadline`; the first `first` bytes of `buf` are
/// its start, read already. Bytes after the head (a body or a pipelined
/// request) are never answered: every response closes the connection.
async fn read_request<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut [u8],
    first: usize,
    deadline: Instant,
    stop: &mut watch::Receiver<()>,
) -> Incoming {
    // 16 KiB and 64 header fields, answered with 431 (RFC 6585 §5).
    let mut parser = RequestParser::new(HeadLimits::default());
    let refused = |e: http::HeadError| {
        let status = e.status().unwrap_or(400);
        Incoming::Refused(plain(status, None, &e.to_string()))
    };
    match parser.feed(&buf[..first]) {
        Ok(None) => {}
        Ok(Some(parsed)) => return Incoming::Request(parsed.value),
        Err(e) => return refused(e),
    }
    loop {
        let read = tokio::select! {
            read = timeout_at(deadline, stream.read(buf)) => read,
            _ = stop.changed() => return Incoming::Gone,
        };
        let n = match read {
            Ok(Ok(n)) if n > 0 => n,
            _ => return Incoming::Gone,
        };
        match parser.feed(&buf[..n]) {
            Ok(None) => {}
            Ok(Some(parsed)) => return Incoming::Request(parsed.value),
            Err(e) => return refused(e),
        }
    }
}

/// Write a complete response and close.
async fn respond<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    response: &[u8],
    scratch: &mut [u8],
) {
    if matches!(
        timeout(CLOSE_TIMEOUT, stream.write_all(response)).await,
        Ok(Ok(()))
    ) {
        linger_close(stream, scratch).await;
    }
}

/// A response body being produced: SSE blocks in, framed (and compressed) bytes out.
struct Body {
    /// Frame every block as one HTTP/1.1 chunk (otherwise write it as it is).
    chunked: bool,
    /// The gzip stream, while it is open; its output collects in its `Vec`.
    gzip: Option<GzEncoder<Vec<u8>>>,
    /// The body has ended (gzip trailer and last chunk appended); nothing more.
    finished: bool,
    /// The plain text of the block being built.
    block: Vec<u8>,
    /// Bytes ready for the socket.
    wire: Vec<u8>,
}

impl Body {
    /// A body whose first bytes on the wire are `head`.
    fn new(head: Vec<u8>, chunked: bool, gzip: bool) -> Body {
        Body {
            chunked,
            gzip: gzip.then(|| GzEncoder::new(Vec::new(), Compression::default())),
            finished: false,
            block: Vec::new(),
            wire: head,
        }
    }

    /// Move the block in `self.block` to the wire as one chunk. With gzip, a sync
    /// flush after it makes every byte of the block decodable from what was sent so
    /// far, so a client never waits for the next event to read this one.
    fn push_block(&mut self) -> io::Result<()> {
        if self.finished {
            return Err(io::Error::other("body already ended"));
        }
        match &mut self.gzip {
            Some(gz) => {
                gz.write_all(&self.block)?;
                gz.flush()?;
                frame(&mut self.wire, self.chunked, gz.get_ref());
                gz.get_mut().clear();
            }
            None => frame(&mut self.wire, self.chunked, &self.block),
        }
        self.block.clear();
        Ok(())
    }

    /// End the body: the gzip trailer, then the last chunk (RFC 7230 §4.1:
    /// `last-chunk = 1*("0") [ chunk-ext ] CRLF`, then the empty trailer line).
    fn finish(&mut self) -> io::Result<()> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        if let Some(gz) = self.gzip.take() {
            let rest = gz.finish()?;
            frame(&mut self.wire, self.chunked, &rest);
        }
        if self.chunked {
            self.wire.extend_from_slice(b"0\r\n\r\n");
        }
        Ok(())
    }

    /// Write what is ready with one `write_all` bounded by `limit`, and empty it.
    /// Returns whether the write succeeded.
    async fn send<S: AsyncWrite + Unpin>(&mut self, stream: &mut S, limit: Duration) -> bool {
        let written = timeout(limit, stream.write_all(&self.wire)).await;
        self.wire.clear();
        matches!(written, Ok(Ok(())))
    }
}

/// Append `payload` as one chunk (RFC 7230 §4.1: `chunk-size CRLF chunk-data CRLF`,
/// size in hex), or as it is when not chunked. An empty payload writes nothing: a
/// zero-size chunk would end the body.
fn frame(wire: &mut Vec<u8>, chunked: bool, payload: &[u8]) {
    if payload.is_empty() {
        return;
    }
    if chunked {
        wire.extend_from_slice(format!("{:X}\r\n", payload.len()).as_bytes());
        wire.extend_from_slice(payload);
        wire.extend_from_slice(b"\r\n");
    } else {
        wire.extend_from_slice(payload);
    }
}

/// How a stream stopped.
enum Stop {
    /// The last event was sent (`?end=N`).
    End,
    /// The server is shutting down.
    Shutdown,
    /// The client left or stalled; the socket is unusable.
    Gone,
}

/// Send the response head and the stream `plan` describes until it ends. Returns
/// whether the socket should now be closed gracefully ([`linger_close`]).
async fn send_stream<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    config: &SseServerConfig,
    clock: &Clock,
    mut plan: StreamPlan,
    scratch: &mut [u8],
    stop: watch::Receiver<()>,
) -> bool {
    let head = std::mem::take(&mut plan.head);
    let mut body = Body::new(head, plan.chunked, plan.gzip);
    let stopped = match events(stream, config, clock, &plan, &mut body, scratch, stop).await {
        Ok(stopped) => stopped,
        Err(_) => Stop::Gone,
    };
    let limit = match stopped {
        Stop::End => WRITE_TIMEOUT,
        Stop::Shutdown => CLOSE_TIMEOUT,
        Stop::Gone => return false,
    };
    body.finish().is_ok() && body.send(stream, limit).await
}

/// The body of a stream: the `retry` block, the note, the replay, then each event as
/// it happens, with heartbeats in between. Returns why it stopped; an `Err` is a
/// compression failure (never expected).
async fn events<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    config: &SseServerConfig,
    clock: &Clock,
    plan: &StreamPlan,
    body: &mut Body,
    scratch: &mut [u8],
    mut stop: watch::Receiver<()>,
) -> io::Result<Stop> {
    let last = plan.end.unwrap_or(u64::MAX);
    // WHATWG SSE §9.2.6 "retry" field: sets the client's reconnection time, in a block
    // of its own so it is in effect before the first event.
    let _ = Block::default()
        .retry(config.retry_ms)
        .encode(&mut body.block);
    body.push_block()?;
    if let Some(note) = &plan.note {
        // The note holds no CR or LF, so the encoder accepts it.
        let _ = comment(&mut body.block, note);
        body.push_block()?;
    }
    // The replay: every event that has already happened, from the first one wanted,
    // sent at once (sse.md §4.D check 20: no duplicate, no gap).
    let mut next = plan.first;
    let replay_to = clock.current(Instant::now()).min(last);
    while next <= replay_to {
        encode_event(clock, next, &mut body.block);
        body.push_block()?;
        next += 1;
        if body.wire.len() >= REPLAY_WRITE && !body.send(stream, WRITE_TIMEOUT).await {
            return Ok(Stop::Gone);
        }
    }
    if !body.send(stream, WRITE_TIMEOUT).await {
        return Ok(Stop::Gone);
    }
    let heartbeat_every = config.heartbeat.max(MIN_PERIOD);
    let mut last_write = Instant::now();
    // The client sends nothing after its request; reading still shows when it
    // leaves. After its FIN (which may be only a half-close) the writes tell.
    let mut reading = true;
    loop {
        if next > last {
            return Ok(Stop::End);
        }
        let due = clock.at(next);
        let beat = last_write + heartbeat_every;
        tokio::select! {
            // Timers before reads: a client that floods bytes cannot delay events.
            biased;
            _ = stop.changed() => return Ok(Stop::Shutdown),
            () = sleep_until(due.min(beat)) => {}
            read = stream.read(scratch), if reading => {
                match read {
                    Ok(0) => reading = false,
                    Ok(_) => {}
                    Err(_) => return Ok(Stop::Gone),
                }
                continue;
            }
        }
        let now = Instant::now();
        if now >= due {
            // Every event that has happened by now, each in its own chunk and its
            // own write (several only when this task fell behind the clock).
            let upto = clock.current(now).min(last);
            while next <= upto {
                encode_event(clock, next, &mut body.block);
                body.push_block()?;
                next += 1;
                if !body.send(stream, WRITE_TIMEOUT).await {
                    return Ok(Stop::Gone);
                }
            }
            last_write = Instant::now();
        } else if now >= beat {
            // WHATWG SSE §9.2.7: a comment line keeps proxies from dropping an idle
            // connection; it fires nothing in the client (§9.2.6: lines starting with
            // a colon are ignored).
            heartbeat(&mut body.block);
            body.push_block()?;
            if !body.send(stream, WRITE_TIMEOUT).await {
                return Ok(Stop::Gone);
            }
            last_write = Instant::now();
        }
    }
}

/// Close from the server's side: send FIN, then read and discard what still comes
/// until the client's FIN or [`CLOSE_TIMEOUT`], and only then drop the socket.
/// Dropping it with unread data would send a reset, which can make the client lose
/// the end of the response it has not read yet.
async fn linger_close<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S, scratch: &mut [u8]) {
    let _ = timeout(CLOSE_TIMEOUT, stream.shutdown()).await;
    let deadline = Instant::now() + CLOSE_TIMEOUT;
    while let Ok(Ok(n)) = timeout_at(deadline, stream.read(scratch)).await {
        if n == 0 {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wirecheck_codec::http::Header;
    use wirecheck_codec::sse::{Config, Item, Parser};

    fn request(method: &str, target: &str, version: u8, headers: &[(&str, &[u8])]) -> Request {
        let mut all = vec![Header {
            name: "Host".into(),
            value: b"127.0.0.1".to_vec(),
        }];
        all.extend(headers.iter().map(|(n, v)| Header {
            name: (*n).into(),
            value: v.to_vec(),
        }));
        Request {
            method: method.into(),
            target: target.into(),
            version,
            headers: all,
        }
    }

    fn get(target: &str, headers: &[(&str, &[u8])]) -> Request {
        request("GET", target, 1, headers)
    }

    fn config() -> SseServerConfig {
        SseServerConfig {
            max_replay: 100,
            ..SseServerConfig::ephemeral()
        }
    }

    fn plan(route: Route) -> StreamPlan {
        match route {
            Route::Stream(plan) => plan,
            Route::Respond(r) => panic!("not a stream: {}", String::from_utf8_lossy(&r)),
        }
    }

    fn status(route: &Route) -> u16 {
        let head = match route {
            Route::Respond(r) => r,
            Route::Stream(p) => &p.head,
        };
        std::str::from_utf8(&head[9..12]).unwrap().parse().unwrap()
    }

    #[test]
    fn clock_at_and_current_agree() {
        let start = Instant::now();
        let clock = Clock::new(start, Duration::from_millis(250));
        assert_eq!(clock.current(start), 0);
        for n in [1u64, 2, 7, 1_000_000] {
            assert_eq!(clock.current(clock.at(n)), n);
            assert_eq!(clock.current(clock.at(n) - Duration::from_nanos(1)), n - 1);
        }
        assert_eq!(clock.at_ms(8), 2000);
        // Zero would spin; huge numbers saturate instead of overflowing.
        let fast = Clock::new(start, Duration::ZERO);
        assert_eq!(fast.interval_ns, 1_000_000);
        let _ = clock.at(u64::MAX);
        assert_eq!(clock.at_ms(u64::MAX), u128::from(u64::MAX) * 250);
    }

    #[test]
    fn events_parse_back_with_ids_types_and_json_data() {
        let clock = Clock::new(Instant::now(), Duration::from_millis(100));
        let mut out = Vec::new();
        for n in 1..=20 {
            encode_event(&clock, n, &mut out);
        }
        let mut events = Vec::new();
        let mut parser = Parser::new(Config::default());
        parser
            .feed(&out, |item| {
                if let Item::Event(e) = item {
                    events.push(e.into_owned());
                }
            })
            .unwrap();
        assert!(!parser.finish().truncated());
        assert_eq!(events.len(), 20);
        for (e, n) in events.iter().zip(1u64..) {
            assert_eq!(e.last_event_id, n.to_string());
            let want_type = if n % 5 == 0 { "message" } else { "tick" };
            assert_eq!(e.event_type, want_type);
            assert_eq!(e.data.contains('\n'), n % 4 == 0, "{}", e.data);
            let json: serde_json::Value = serde_json::from_str(&e.data).unwrap();
            assert_eq!(json["n"], n);
            assert_eq!(json["at_ms"], n * 100);
        }
    }

    #[test]
    fn event_numbers_are_canonical_decimals() {
        assert_eq!(parse_event_number(b"0"), Some(0));
        assert_eq!(parse_event_number(b"42"), Some(42));
        assert_eq!(parse_event_number(b"18446744073709551615"), Some(u64::MAX));
        for bad in [
            &b""[..],
            b"007",
            b"+5",
            b"-1",
            b"5.0",
            b" 5",
            b"18446744073709551616",
            "\u{e9}".as_bytes(),
        ] {
            assert_eq!(parse_event_number(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn whatwg_9_2_4_last_event_id_resumes_only_what_it_can() {
        let c = config();
        let p = plan(route(&get("/events", &[("Last-Event-ID", b"7")]), &c, 10));
        assert_eq!((p.first, p.note), (8, None));
        let p = plan(route(&get("/events", &[("Last-Event-ID", b"0")]), &c, 10));
        assert_eq!(p.first, 1);
        let p = plan(route(&get("/events", &[("Last-Event-ID", b"10")]), &c, 10));
        assert_eq!((p.first, p.note), (11, None));
        // Unknown, ahead, too old, repeated: live, with a note; never an error.
        for ids in [
            &[&b"abc"[..]][..],
            &[b"11"],
            &[b"007"],
            &[b"\xc3\xa9"],
            &[b"1", b"2"],
        ] {
            let headers: Vec<(&str, &[u8])> = ids.iter().map(|v| ("Last-Event-ID", *v)).collect();
            let p = plan(route(&get("/events", &headers), &c, 10));
            assert_eq!(p.first, 11, "{ids:?}");
            assert!(p.note.is_some(), "{ids:?}");
        }
        let p = plan(route(&get("/events", &[("Last-Event-ID", b"5")]), &c, 200));
        assert_eq!(p.first, 201, "older than max_replay");
        assert!(p.note.unwrap().contains("older"));
        let p = plan(route(&get("/events", &[("Last-Event-ID", b"")]), &c, 10));
        assert_eq!((p.first, p.note), (11, None));
    }

    #[test]
    fn whatwg_9_2_1_end_then_204() {
        let c = config();
        // Before event 3: a stream that ends after it.
        let p = plan(route(&get("/events?end=3", &[]), &c, 1));
        assert_eq!((p.first, p.end), (2, Some(3)));
        // Event 3 has happened and no id below 3: nothing left, 204.
        assert_eq!(status(&route(&get("/events?end=3", &[]), &c, 3)), 204);
        // Its reconnect, even when the clock has not reached the id (a restart).
        for current in [1, 3, 50] {
            let r = route(
                &get("/events?end=3", &[("Last-Event-ID", b"3")]),
                &c,
                current,
            );
            assert_eq!(status(&r), 204, "{current}");
        }
        // An id below the end replays up to the end.
        let p = plan(route(
            &get("/events?end=5", &[("Last-Event-ID", b"1")]),
            &c,
            9,
        ));
        assert_eq!((p.first, p.end), (2, Some(5)));
        // A malformed end is a client error.
        for q in ["end=x", "end=", "end=1&end=2", "end=-1"] {
            assert_eq!(
                status(&route(&get(&format!("/?{q}"), &[]), &c, 0)),
                400,
                "{q}"
            );
        }
        assert_eq!(status(&route(&get("/?other=1", &[]), &c, 0)), 200);
    }

    #[test]
    fn rfc7231_5_3_4_accept_encoding() {
        let gz = |v: &str| accepts_gzip(&get("/", &[("Accept-Encoding", v.as_bytes())]));
        assert!(gz("gzip"));
        assert!(gz("GZip"));
        assert!(gz("br, gzip;q=0.5"));
        assert!(gz("x-gzip"));
        assert!(gz("*"));
        assert!(gz("deflate ; q=1.0, gzip ; Q=0.001"));
        assert!(!gz("gzip;q=0"));
        assert!(!gz("gzip;q=0.000, *"));
        assert!(!gz("br, deflate"));
        assert!(!gz("identity"));
        assert!(!gz("gzip;q=2"), "a malformed weight drops the element");
        assert!(!gz("gzip;q=0.5000"));
        assert!(!gz("gzipx"));
        assert!(!gz(""));
        assert!(gz("gzip;q=0, gzip;q=1"), "the higher weight wins");
        assert!(!accepts_gzip(&get("/", &[])));
        assert!(accepts_gzip(&get(
            "/",
            &[("Accept-Encoding", b"br"), ("accept-encoding", b"gzip")]
        )));
        assert_eq!(qvalue("0.5"), Some(500));
        assert_eq!(qvalue("1.000"), Some(1000));
        assert_eq!(qvalue("1.5"), None);
        assert_eq!(qvalue("."), None);
    }

    #[test]
    fn targets_and_statuses() {
        let c = config();
        assert_eq!(
            split_target("/events?end=3"),
            Some(("/events", Some("end=3")))
        );
        assert_eq!(split_target("HTTP://h:1/events"), Some(("/events", None)));
        assert_eq!(split_target("https://h"), Some(("/", None)));
        assert_eq!(split_target("http://h?end=1"), Some(("/", Some("end=1"))));
        assert_eq!(split_target("*"), None);
        assert_eq!(split_target("/a#b"), Some(("/a", None)));
        assert_eq!(status(&route(&get("/events", &[]), &c, 0)), 200);
        assert_eq!(status(&route(&get("/", &[]), &c, 0)), 200);
        assert_eq!(status(&route(&get("/other", &[]), &c, 0)), 404);
        assert_eq!(
            status(&route(&request("POST", "/events", 1, &[]), &c, 0)),
            405
        );
        assert_eq!(
            status(&route(&request("HEAD", "/events", 1, &[]), &c, 0)),
            405
        );
        let mut no_host = get("/events", &[]);
        no_host.headers.clear();
        assert_eq!(status(&route(&no_host, &c, 0)), 400);
        no_host.version = 0;
        assert_eq!(
            status(&route(&no_host, &c, 0)),
            200,
            "HTTP/1.0 needs no Host"
        );
        let two = get("/events", &[("Host", b"x")]);
        assert_eq!(status(&route(&two, &c, 0)), 400);
    }

    #[test]
    fn preflight_allows_the_eventsource_headers() {
        let pre = |acrh: &[u8]| {
            let r = request(
                "OPTIONS",
                "/events",
                1,
                &[
                    ("Origin", b"https://a.test"),
                    ("Access-Control-Request-Method", b"GET"),
                    ("Access-Control-Request-Headers", acrh),
                ],
            );
            String::from_utf8(options(&r, origin(&r))).unwrap()
        };
        assert!(pre(b"last-event-id").contains("Access-Control-Allow-Headers: last-event-id\r\n"));
        assert!(
            pre(b"Last-Event-ID, accept,cache-control")
                .contains("Access-Control-Allow-Headers: Last-Event-ID, accept, cache-control\r\n")
        );
        assert!(
            pre(b"x-evil, last-event-id")
                .contains("Access-Control-Allow-Headers: last-event-id\r\n")
        );
        assert!(pre(b"x-evil").contains("Access-Control-Allow-Headers: last-event-id\r\n"));
        let r = pre(b"");
        for want in [
            "HTTP/1.1 204 No Content\r\n",
            "Access-Control-Allow-Origin: https://a.test\r\n",
            "Access-Control-Allow-Credentials: true\r\n",
            "Access-Control-Allow-Methods: GET\r\n",
            "Access-Control-Max-Age: 600\r\n",
            "Vary: Origin\r\n",
        ] {
            assert!(r.contains(want), "{want} in {r}");
        }
    }

    #[test]
    fn origins_with_control_bytes_are_not_reflected() {
        assert_eq!(
            origin(&get("/", &[("Origin", b"https://a.test")])),
            Some(&b"https://a.test"[..])
        );
        assert_eq!(origin(&get("/", &[("Origin", b"a\x01b")])), None);
        assert_eq!(
            origin(&get("/", &[("Origin", b"a"), ("Origin", b"b")])),
            None
        );
        assert_eq!(origin(&get("/", &[("Origin", b"")])), None);
    }

    #[test]
    fn body_frames_one_chunk_per_block_and_ends_gzip_cleanly() {
        let mut body = Body::new(Vec::new(), true, false);
        body.block.extend_from_slice(b"data: x\n\n");
        body.push_block().unwrap();
        body.finish().unwrap();
        assert_eq!(body.wire, b"9\r\ndata: x\n\n\r\n0\r\n\r\n");
        assert!(body.push_block().is_err(), "nothing after the end");

        let mut body = Body::new(Vec::new(), false, true);
        body.block.extend_from_slice(b"data: x\n\n");
        body.push_block().unwrap();
        // Decodable as it stands, before the trailer.
        let mut d = flate2::write::GzDecoder::new(Vec::new());
        d.write_all(&body.wire).unwrap();
        d.flush().unwrap();
        assert_eq!(d.get_ref(), b"data: x\n\n");
        body.finish().unwrap();
        body.finish().unwrap();
        let mut d = flate2::write::GzDecoder::new(Vec::new());
        d.write_all(&body.wire).unwrap();
        assert_eq!(d.finish().unwrap(), b"data: x\n\n");
    }
}
