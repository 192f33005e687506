//! `wirecheck client sse URL`: an EventSource on the codec's SSE parser, with
//! the adapter loop of the report-back protocol (README "Testing an SSE
//! client"): read `URL/cases`, open each case's stream as an EventSource does,
//! report every event dispatched to `<case url>/report`, then post `URL/done`.
//!
//! The EventSource follows WHATWG HTML's processing model: `Accept:
//! text/event-stream` and `Last-Event-ID` once an id is set; a status other
//! than 200 or a type other than `text/event-stream` fails the connection (no
//! reconnect); a body that ends, or a network error, reestablishes it after
//! the reconnection time (the `retry` field, 1 s at first), doubled for every
//! network error in a row after the first (the optional backoff); redirects
//! are followed as Fetch follows them, and every reconnect starts again at
//! the EventSource's own URL. Bounded: each case stops after [`CASE_CAP`] or
//! [`MAX_CONNECTS`] connections.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{Instant, sleep, timeout_at};
use wirecheck_codec::sse::{Config, Item, Parser};

use crate::command::{EXIT_OK, EXIT_UNREACHABLE, usage};
use crate::net::{Stream, Target};
use crate::sse::fuzzing::cases::END_TYPE;
use crate::sse::http::{HeadReader, decode_body, request, response_framing};

/// The longest one case may take.
const CASE_CAP: Duration = Duration::from_secs(30);
/// The most connections one case may open.
const MAX_CONNECTS: usize = 8;
/// The reconnection time before a `retry` field sets one (WHATWG: "a user-agent-defined value").
const INITIAL_RETRY: Duration = Duration::from_secs(1);
/// Fetch, HTTP-redirect fetch: "If request's redirect count is 20, then
/// return a network error."
const MAX_REDIRECTS: usize = 20;
/// The most the backoff multiplies the reconnection time by.
const MAX_BACKOFF: u32 = 8;
/// The largest body of `/cases` read.
const MAX_CASES_BODY: usize = 1 << 20;

/// What one connection came to.
enum Outcome {
    /// The end event arrived: the case is over.
    Ended,
    /// The connection failed for good (WHATWG "fail the connection").
    Failed,
    /// Reestablish it: the body ended (`false`), or a network error came
    /// before any response (`true`).
    Again(bool),
}

/// Run the adapter against the fuzzing server at `url`; 0 once every case
/// ran (the verdicts are the server's), 3 if `/cases` cannot be read.
pub async fn run_client_sse(url: &str) -> u8 {
    let base = match Target::parse_http(url) {
        Ok(t) => t,
        Err(e) => return usage(e),
    };
    let root = base.path.trim_end_matches('/').to_owned();
    let cases = match fetch(&base, "GET", &format!("{root}/cases"), None).await {
        Ok((200, body)) => serde_json::from_slice::<serde_json::Value>(&body).ok(),
        Ok((status, _)) => {
            eprintln!("wirecheck: {url}/cases answered {status}");
            return EXIT_UNREACHABLE;
        }
        Err(e) => {
            eprintln!("wirecheck: {url}/cases: {e}");
            return EXIT_UNREACHABLE;
        }
    };
    let Some(cases) = cases.as_ref().and_then(serde_json::Value::as_array) else {
        eprintln!("wirecheck: {url}/cases is not a JSON list of cases");
        return EXIT_UNREACHABLE;
    };
    for case in cases {
        let Some(case_url) = case.get("url").and_then(serde_json::Value::as_str) else {
            continue;
        };
        let Ok(target) = Target::parse_http(case_url) else {
            continue;
        };
        let events = event_source(&target).await;
        let lines: String = events
            .iter()
            .map(|(kind, data, id)| {
                format!(
                    "{}\n",
                    serde_json::json!({"type": kind, "data": data, "lastEventId": id})
                )
            })
            .collect();
        let report = format!("{}/report", target.path);
        if let Err(e) = fetch(&target, "POST", &report, Some(lines.as_bytes())).await {
            eprintln!("wirecheck: {case_url}/report: {e}");
        }
    }
    let _ = fetch(&base, "POST", &format!("{root}/done"), Some(b"")).await;
    EXIT_OK
}

/// One EventSource on `target` until the end event, a failure, or a bound:
/// every event dispatched, as (type, data, lastEventId).
async fn event_source(target: &Target) -> Vec<(String, String, String)> {
    let cap = Instant::now() + CASE_CAP;
    let mut last_id = String::new();
    let mut retry = INITIAL_RETRY;
    let mut events = Vec::new();
    let mut failures = 0u32;
    for _ in 0..MAX_CONNECTS {
        match connection(target, cap, &mut last_id, &mut retry, &mut events).await {
            Outcome::Ended | Outcome::Failed => break,
            Outcome::Again(failed) => {
                failures = if failed { failures + 1 } else { 0 };
                // WHATWG, reestablish the connection: "Wait a delay equal to
                // the reconnection time of the event source. Optionally, wait
                // some more. In particular, if the previous attempt failed,
                // then user agents might introduce an exponential backoff
                // delay": doubled for each failure in a row after the first.
                let wait = retry * (1u32 << failures.saturating_sub(1)).min(MAX_BACKOFF);
                if Instant::now() + wait >= cap {
                    break;
                }
                sleep(wait).await;
            }
        }
    }
    events
}

async fn open(target: &Target, cap: Instant) -> Result<Stream, String> {
    let tls = crate::tls::client_config(false).map_err(|e| e.to_string())?;
    timeout_at(cap, crate::net::connect(target, Some(&tls)))
        .await
        .map_err(|_| "timed out".to_owned())?
}

async fn connection(
    target: &Target,
    cap: Instant,
    last_id: &mut String,
    retry: &mut Duration,
    events: &mut Vec<(String, String, String)>,
) -> Outcome {
    let mut headers = vec![
        ("Accept".to_owned(), "text/event-stream".to_owned()),
        ("Cache-Control".to_owned(), "no-cache".to_owned()),
    ];
    if !last_id.is_empty() {
        headers.push(("Last-Event-ID".to_owned(), last_id.clone()));
    }
    let mut buf = vec![0u8; 16 * 1024];
    let mut current = target.clone();
    let mut redirects = 0;
    let (mut stream, head, rest) = loop {
        let Ok(mut stream) = open(&current, cap).await else {
            return Outcome::Again(true);
        };
        let Ok(req) = request("GET", &current.path, &current.host_header, &headers) else {
            return Outcome::Failed;
        };
        if !matches!(timeout_at(cap, stream.write_all(&req)).await, Ok(Ok(()))) {
            return Outcome::Again(true);
        }
        let mut reader = HeadReader::default();
        let (head, rest) = loop {
            let n = match timeout_at(cap, stream.read(&mut buf)).await {
                Ok(Ok(n)) if n > 0 => n,
                // A network error before the answer: reestablish.
                _ => return Outcome::Again(true),
            };
            match reader.feed(&buf[..n]) {
                Ok(None) => {}
                Ok(Some((head, used))) => break (head, buf[used..n].to_vec()),
                Err(_) => return Outcome::Failed,
            }
        };
        // Fetch, HTTP fetch: a redirect status with a Location is followed
        // (the EventSource request's redirect mode is "follow").
        if matches!(head.status, 301 | 302 | 303 | 307 | 308) {
            if let Some(next) = head.get("location").and_then(|l| resolve(&current, l)) {
                redirects += 1;
                if redirects > MAX_REDIRECTS {
                    return Outcome::Again(true);
                }
                current = next;
                continue;
            }
        }
        break (stream, head, rest);
    };
    // WHATWG: a status other than 200, or another type, fails the connection.
    if head.status != 200 || head.mime_essence().as_deref() != Some("text/event-stream") {
        return Outcome::Failed;
    }
    let Ok(mut framing) = response_framing(&head) else {
        return Outcome::Failed;
    };
    let mut parser = Parser::with_last_event_id(last_id, Config::default());
    let mut body = Vec::new();
    let mut input = rest;
    loop {
        body.clear();
        let complete = decode_body(&mut framing, &input, &mut body).unwrap_or(true);
        let mut ended = false;
        let fed = parser.feed(&body, |item| {
            if let Item::Event(e) = item {
                if e.event_type == END_TYPE {
                    ended = true;
                }
                events.push((
                    e.event_type.into_owned(),
                    e.data.into_owned(),
                    e.last_event_id.into_owned(),
                ));
            }
        });
        if let Some(ms) = parser.reconnection_time() {
            *retry = Duration::from_millis(ms);
        }
        *last_id = parser.last_event_id().to_owned();
        if ended {
            return Outcome::Ended;
        }
        if fed.is_err() || complete {
            return Outcome::Again(false);
        }
        match timeout_at(cap, stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => input = buf[..n].to_vec(),
            // The body ended (or the connection broke): reestablish.
            _ => return Outcome::Again(false),
        }
    }
}

/// `location` resolved against the URL of `base` (RFC 3986 §5), without its
/// fragment; `None` when it is not an http(s) URL.
fn resolve(base: &Target, location: &str) -> Option<Target> {
    let scheme = if base.tls { "https" } else { "http" };
    let base = url::Url::parse(&format!("{scheme}://{}{}", base.host_header, base.path)).ok()?;
    let mut next = base.join(location).ok()?;
    next.set_fragment(None);
    Target::parse_http(next.as_str()).ok()
}

/// A plain request with an optional body: the status and the body.
async fn fetch(
    target: &Target,
    method: &str,
    path: &str,
    body: Option<&[u8]>,
) -> Result<(u16, Vec<u8>), String> {
    let cap = Instant::now() + Duration::from_secs(10);
    let mut stream = open(target, cap).await?;
    let mut headers = vec![("Connection".to_owned(), "close".to_owned())];
    if let Some(b) = body {
        headers.push(("Content-Type".to_owned(), "application/x-ndjson".to_owned()));
        headers.push(("Content-Length".to_owned(), b.len().to_string()));
    }
    let mut req =
        request(method, path, &target.host_header, &headers).map_err(|e| format!("{e:?}"))?;
    req.extend_from_slice(body.unwrap_or_default());
    timeout_at(cap, stream.write_all(&req))
        .await
        .map_err(|_| "timed out".to_owned())?
        .map_err(|e| e.to_string())?;
    let mut reader = HeadReader::default();
    let mut buf = vec![0u8; 16 * 1024];
    let (head, rest) = loop {
        let n = match timeout_at(cap, stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => n,
            _ => return Err("no answer".to_owned()),
        };
        if let Some((head, used)) = reader.feed(&buf[..n]).map_err(|e| format!("{e:?}"))? {
            break (head, buf[used..n].to_vec());
        }
    };
    let mut framing = response_framing(&head)?;
    let mut out = Vec::new();
    let mut input = rest;
    loop {
        if decode_body(&mut framing, &input, &mut out)? || out.len() > MAX_CASES_BODY {
            break;
        }
        match timeout_at(cap, stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => input = buf[..n].to_vec(),
            _ => break,
        }
    }
    Ok((head.status, out))
}
