//! The listener that tests an EventSource client: it serves each case's
//! replies in turn, records every request (when, with which `Last-Event-ID`
//! and `Accept`) and the events the client reports back, and hands them over
//! when the run ends. Routes (README "Testing an SSE client"):
//!
//! * `GET /cases`: the cases as JSON, `[{"id", "url", "types"}]`;
//! * `GET /<id>`: the case's next reply (once they are used up, 204);
//! * `POST /<id>/report`: the events the client dispatched, as JSON lines
//!   `{"type", "data", "lastEventId"}`, with a `Content-Length`;
//! * `POST /done`: the adapter is finished (the run ends);
//! * `GET /adapter.js`: the adapter in JavaScript (`wirecheckAdapter(base)`),
//!   for any EventSource implementation in JavaScript;
//! * `GET /adapter.html`: a page that runs it, for testing a browser's own
//!   EventSource (open it in the browser; same origin, so no CORS).
//!
//! Bounded whatever a client does: at most [`MAX_CONNECTIONS`] at once, a
//! deadline on every read and write, request heads of 16 KiB and reports of
//! [`MAX_REPORT`] bytes and [`MAX_EVENTS`] events at most.

use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep, timeout, timeout_at};
use wirecheck_codec::http::{HeadLimits, Request, RequestParser, body};

use super::cases::{ClientCase, Dispatched, Seen, SeenRequest};

/// The adapter in JavaScript, for any EventSource: `wirecheckAdapter(base)`
/// runs the report-back protocol against the server at `base`.
const ADAPTER_JS: &str = r#"async function wirecheckAdapter(base) {
  const cases = await (await fetch(base + '/cases')).json();
  for (const c of cases) {
    const events = await new Promise((resolve) => {
      const got = [];
      const es = new EventSource(c.url);
      const finish = () => { es.close(); resolve(got); };
      const guard = setTimeout(finish, 20000);
      for (const type of c.types) {
        es.addEventListener(type, (e) => {
          got.push({ type: e.type, data: e.data, lastEventId: e.lastEventId });
          if (type === 'wirecheck-end') { clearTimeout(guard); finish(); }
        });
      }
      es.onerror = () => {
        if (es.readyState === EventSource.CLOSED) { clearTimeout(guard); finish(); }
      };
    });
    const body = events.map((e) => JSON.stringify(e) + '\n').join('');
    await fetch(c.url + '/report', { method: 'POST', body });
  }
  await fetch(base + '/done', { method: 'POST', body: '' });
}
"#;

/// The adapter as a web page: the browser's own EventSource, same origin.
const ADAPTER_PAGE: &str = r#"<!doctype html>
<meta charset="utf-8"><title>wirecheck EventSource adapter</title>
<script src="/adapter.js"></script>
<script>wirecheckAdapter(location.origin).then(() => { document.title = 'done'; });</script>
"#;

/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 64;
/// The largest report body, in bytes.
pub const MAX_REPORT: usize = 1 << 20;
/// The most events a report may list.
pub const MAX_EVENTS: usize = 4096;
/// Requests recorded per case; more are answered and counted, not kept.
pub const MAX_REQUESTS: usize = 64;
/// How long a request head or body, or a write, may take.
const IO_DEADLINE: Duration = Duration::from_secs(5);

/// What a finished serve saw.
#[derive(Debug)]
pub struct Served {
    /// Per case id, what was seen (cases never requested are absent).
    pub seen: BTreeMap<&'static str, Seen>,
    /// Per case id, a report that could not be read, and why.
    pub bad_reports: BTreeMap<&'static str, String>,
    /// Connections accepted, whatever they asked.
    pub connections: usize,
}

struct Shared {
    cases: Arc<Vec<ClientCase>>,
    base: String,
    start: Instant,
    seen: Mutex<BTreeMap<&'static str, Seen>>,
    bad_reports: Mutex<BTreeMap<&'static str, String>>,
    connections: AtomicUsize,
    done: watch::Sender<bool>,
}

impl Shared {
    fn lock_seen(&self) -> std::sync::MutexGuard<'_, BTreeMap<&'static str, Seen>> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The fuzzing server for EventSource clients, bound and not yet serving.
pub struct SseFuzzingServer {
    listener: TcpListener,
    shared: Arc<Shared>,
}

impl SseFuzzingServer {
    /// Listen on `addr` for clients to test with `cases`.
    pub async fn bind(
        addr: SocketAddr,
        cases: Arc<Vec<ClientCase>>,
    ) -> io::Result<SseFuzzingServer> {
        let listener = TcpListener::bind(addr).await?;
        let base = format!("http://{}", listener.local_addr()?);
        Ok(SseFuzzingServer {
            listener,
            shared: Arc::new(Shared {
                cases,
                base,
                start: Instant::now(),
                seen: Mutex::new(BTreeMap::new()),
                bad_reports: Mutex::new(BTreeMap::new()),
                connections: AtomicUsize::new(0),
                done: watch::channel(false).0,
            }),
        })
    }

    /// The URL a client's adapter starts from.
    pub fn url(&self) -> &str {
        &self.shared.base
    }

    /// Serve until `stop` completes or the adapter posts `/done`; then wait
    /// `grace` (a client that reconnects where it must not is still seen)
    /// and cut what is left.
    pub async fn serve(self, stop: impl Future<Output = ()>, grace: Duration) -> Served {
        let SseFuzzingServer { listener, shared } = self;
        let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let mut tasks = JoinSet::new();
        let mut done = shared.done.subscribe();
        tokio::pin!(stop);
        let mut ending: Option<Instant> = None;
        loop {
            while tasks.try_join_next().is_some() {}
            let until = ending.unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400));
            let permit = tokio::select! {
                () = &mut stop, if ending.is_none() => { ending = Some(Instant::now() + grace); continue }
                _ = done.wait_for(|d| *d), if ending.is_none() => { ending = Some(Instant::now() + grace); continue }
                () = tokio::time::sleep_until(until) => break,
                p = Arc::clone(&permits).acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            };
            let stream = tokio::select! {
                () = &mut stop, if ending.is_none() => { ending = Some(Instant::now() + grace); continue }
                _ = done.wait_for(|d| *d), if ending.is_none() => { ending = Some(Instant::now() + grace); continue }
                () = tokio::time::sleep_until(until) => break,
                a = listener.accept() => match a { Ok((s, _)) => s, Err(_) => continue },
            };
            shared.connections.fetch_add(1, Ordering::Relaxed);
            let shared = Arc::clone(&shared);
            tasks.spawn(async move {
                connection(&shared, stream).await;
                drop(permit);
            });
        }
        drop(listener);
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
        Served {
            seen: shared.lock_seen().clone(),
            bad_reports: shared
                .bad_reports
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
            connections: shared.connections.load(Ordering::Relaxed),
        }
    }
}

fn header(req: &Request, name: &str) -> Option<String> {
    req.header_values(name)
        .next()
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

async fn connection(shared: &Shared, mut stream: TcpStream) {
    let mut buf = vec![0u8; 16 * 1024];
    let Some((req, mut body)) = read_head(&mut stream, &mut buf).await else {
        return;
    };
    let path = req.target.split('?').next().unwrap_or("").to_owned();
    match (req.method.as_str(), path.as_str()) {
        ("GET", "/cases") => {
            let list: Vec<serde_json::Value> = shared
                .cases
                .iter()
                .map(|c| {
                    let mut types = c.types.clone();
                    types.push(super::cases::END_TYPE);
                    serde_json::json!({
                        "id": c.id,
                        "url": format!("{}/{}", shared.base, c.id),
                        "types": types,
                    })
                })
                .collect();
            let body = serde_json::Value::from(list).to_string();
            respond(&mut stream, 200, "application/json", body.as_bytes()).await;
        }
        ("GET", "/adapter.html") => {
            respond(
                &mut stream,
                200,
                "text/html; charset=utf-8",
                ADAPTER_PAGE.as_bytes(),
            )
            .await;
        }
        ("GET", "/adapter.js") => {
            respond(&mut stream, 200, "text/javascript", ADAPTER_JS.as_bytes()).await;
        }
        ("POST", "/done") => {
            respond(&mut stream, 204, "text/plain", b"").await;
            shared.done.send_replace(true);
        }
        ("POST", p) if p.ends_with("/report") => {
            let id = p.trim_start_matches('/').trim_end_matches("/report");
            let Some(case) = shared.cases.iter().find(|c| c.id == id) else {
                respond(&mut stream, 404, "text/plain", b"no such case\n").await;
                return;
            };
            let read = read_body(&mut stream, &req, &mut body, &mut buf).await;
            match read.and_then(|b| parse_report(&b)) {
                Ok(events) => {
                    shared.lock_seen().entry(case.id).or_default().report = Some(events);
                    respond(&mut stream, 204, "text/plain", b"").await;
                }
                Err(why) => {
                    shared
                        .bad_reports
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(case.id, why.clone());
                    respond(
                        &mut stream,
                        400,
                        "text/plain",
                        format!("{why}\n").as_bytes(),
                    )
                    .await;
                }
            }
        }
        ("GET", p) => {
            // A case's path, or one below it (EC.2.10's redirect target).
            let id = p.trim_start_matches('/').split('/').next().unwrap_or("");
            let Some(case) = shared.cases.iter().find(|c| c.id == id) else {
                respond(&mut stream, 404, "text/plain", b"no such case\n").await;
                return;
            };
            serve_case(shared, case, &req, stream).await;
        }
        _ => respond(&mut stream, 404, "text/plain", b"no such path\n").await,
    }
}

/// Answer a request for `case` with its next reply, recording the request.
async fn serve_case(shared: &Shared, case: &ClientCase, req: &Request, mut stream: TcpStream) {
    let at = shared.start.elapsed();
    let attempt = {
        let mut seen = shared.lock_seen();
        let s = seen.entry(case.id).or_default();
        let n = s.requests.len();
        if n < MAX_REQUESTS {
            s.requests.push(SeenRequest {
                path: req.target.split('?').next().unwrap_or("").to_owned(),
                at,
                ended: None,
                last_event_id: header(req, "last-event-id"),
                accept: header(req, "accept"),
            });
        }
        n
    };
    let Some(reply) = case.replies.get(attempt) else {
        // WHATWG: 204 tells a client to stop reconnecting.
        respond(&mut stream, 204, "text/event-stream", b"").await;
        return;
    };
    if reply.drop {
        // A network error: no answer at all; the wait for the next request
        // counts from here.
        drop(stream);
        mark_ended(shared, case, attempt);
        return;
    }
    let reason = match reply.status {
        200 => "OK",
        204 => "No Content",
        307 => "Temporary Redirect",
        _ => "Error",
    };
    let location = reply
        .location
        .map_or_else(String::new, |l| format!("Location: {l}\r\n"));
    let head = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\n{location}Cache-Control: no-store\r\nConnection: close\r\n\r\n",
        reply.status, reply.content_type
    );
    let mut ok = write(&mut stream, head.as_bytes()).await;
    for (pause, piece) in &reply.pieces {
        if !ok {
            break;
        }
        if !pause.is_zero() {
            sleep(*pause).await;
        }
        ok = write(&mut stream, piece).await;
    }
    // The body ends with the connection (RFC 9112 §6.3: close-delimited).
    let _ = timeout(IO_DEADLINE, stream.shutdown()).await;
    mark_ended(shared, case, attempt);
    linger(&mut stream).await;
}

/// The reply to request `attempt` of `case` ended now.
fn mark_ended(shared: &Shared, case: &ClientCase, attempt: usize) {
    let ended = shared.start.elapsed();
    if let Some(r) = shared
        .lock_seen()
        .get_mut(case.id)
        .and_then(|s| s.requests.get_mut(attempt))
    {
        r.ended = Some(ended);
    }
}

async fn write(stream: &mut TcpStream, bytes: &[u8]) -> bool {
    matches!(
        timeout(IO_DEADLINE, stream.write_all(bytes)).await,
        Ok(Ok(()))
    )
}

async fn respond(stream: &mut TcpStream, status: u16, content_type: &str, body: &[u8]) {
    let reason = match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        _ => "Not Found",
    };
    let length = if status == 204 {
        String::new()
    } else {
        format!("Content-Length: {}\r\n", body.len())
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n{length}Connection: close\r\n\r\n"
    );
    if write(stream, head.as_bytes()).await && (status == 204 || write(stream, body).await) {
        let _ = timeout(IO_DEADLINE, stream.shutdown()).await;
        linger(stream).await;
    }
}

/// Read what the client still sends until it closes, bounded.
async fn linger(stream: &mut TcpStream) {
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut scratch = [0u8; 4096];
    while let Ok(Ok(n)) = timeout_at(deadline, stream.read(&mut scratch)).await {
        if n == 0 {
            break;
        }
    }
}

/// Read a request head; the head and the bytes after it.
async fn read_head(stream: &mut TcpStream, buf: &mut [u8]) -> Option<(Request, Vec<u8>)> {
    let deadline = Instant::now() + IO_DEADLINE;
    let mut parser = RequestParser::new(HeadLimits::default());
    loop {
        let n = match timeout_at(deadline, stream.read(buf)).await {
            Ok(Ok(n)) if n > 0 => n,
            _ => return None,
        };
        match parser.feed(&buf[..n]) {
            Ok(None) => {}
            Ok(Some(parsed)) => {
                return Some((parsed.value, buf[parsed.consumed..n].to_vec()));
            }
            Err(e) => {
                let status = e.status().unwrap_or(400);
                let _ = write(
                    stream,
                    format!("HTTP/1.1 {status} Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").as_bytes(),
                )
                .await;
                return None;
            }
        }
    }
}

/// Read a body of `Content-Length` bytes (at most [`MAX_REPORT`]).
async fn read_body(
    stream: &mut TcpStream,
    req: &Request,
    body: &mut Vec<u8>,
    buf: &mut [u8],
) -> Result<Vec<u8>, String> {
    // RFC 9112 §6.3 as the codec reads it; a chunked report is not taken.
    let length = body::content_length(req.header_values("content-length"))
        .map_err(|e| format!("the report's {e}"))?
        .ok_or("the report has no Content-Length")?;
    let length = usize::try_from(length).unwrap_or(usize::MAX);
    if length > MAX_REPORT {
        return Err(format!(
            "the report is {length} bytes, over the {MAX_REPORT} accepted"
        ));
    }
    let deadline = Instant::now() + IO_DEADLINE;
    while body.len() < length {
        match timeout_at(deadline, stream.read(buf)).await {
            Ok(Ok(n)) if n > 0 => body.extend_from_slice(&buf[..n]),
            _ => {
                return Err(format!(
                    "the report ended after {} of {length} bytes",
                    body.len()
                ));
            }
        }
    }
    body.truncate(length);
    Ok(std::mem::take(body))
}

/// JSON lines `{"type", "data", "lastEventId"}`, one per dispatched event; the
/// end event is left out.
fn parse_report(body: &[u8]) -> Result<Vec<Dispatched>, String> {
    let text = std::str::from_utf8(body).map_err(|_| "the report is not UTF-8".to_owned())?;
    let mut out = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        if out.len() >= MAX_EVENTS {
            return Err(format!("the report lists more than {MAX_EVENTS} events"));
        }
        let v: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| format!("report line {}: not JSON ({e})", i + 1))?;
        let field = |k: &str| {
            v.get(k)
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| format!("report line {}: no string \"{k}\"", i + 1))
        };
        let kind = field("type")?;
        if kind == super::cases::END_TYPE {
            continue;
        }
        out.push(Dispatched {
            kind,
            data: field("data")?,
            last_event_id: field("lastEventId")?,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_are_json_lines_and_bad_ones_say_which_line() {
        let ok = parse_report(
            b"{\"type\":\"message\",\"data\":\"a\\nb\",\"lastEventId\":\"1\"}\n\n{\"type\":\"wirecheck-end\",\"data\":\"end\",\"lastEventId\":\"\"}\n",
        )
        .expect("valid");
        assert_eq!(
            ok,
            [Dispatched {
                kind: "message".into(),
                data: "a\nb".into(),
                last_event_id: "1".into()
            }]
        );
        assert_eq!(
            parse_report(b"{\"type\":\"message\"}").unwrap_err(),
            "report line 1: no string \"data\""
        );
        assert!(
            parse_report(b"x")
                .unwrap_err()
                .starts_with("report line 1: not JSON")
        );
        assert_eq!(
            parse_report(b"\xff").unwrap_err(),
            "the report is not UTF-8"
        );
    }
}
