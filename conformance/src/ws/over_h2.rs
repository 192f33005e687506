//! The RFC 8441 transport of the case driver (`wirecheck ws --http 2`): each
//! case opens an HTTP/2 connection, waits for the server's SETTINGS, sends an
//! extended CONNECT with `:protocol: websocket`, and runs on the stream the
//! 200 answer opens, with the same [`Driver`] and verdicts as over HTTP/1.1.
//!
//! What RFC 8441 changes, and so what differs from `super::engine`:
//!
//! * §3: a server that does not send SETTINGS_ENABLE_CONNECT_PROTOCOL = 1
//!   cannot carry WebSockets over HTTP/2: the case is UNIMPLEMENTED, with
//!   that reason.
//! * §4-5: no `Sec-WebSocket-Key` or `Sec-WebSocket-Accept`, no Upgrade; a 2xx
//!   answer opens the WebSocket (RFC 9110 §9.3.6), any other status refuses it.
//! * §5: END_STREAM stands for the TCP FIN and RST_STREAM for the TCP RST in
//!   every close rule, so the driver's "the server closed the connection" is
//!   the server's END_STREAM here ([`crate::http2::stream`]).
//! * A write is a DATA frame, not a TCP segment: the writes of a case shorter
//!   than [`MIN_DATA_FRAME`] are joined with those queued after them (a
//!   message cut in 64-byte chops goes out in 256-byte DATA frames), since a
//!   flood of tiny DATA frames is what HTTP/2 servers rightly refuse as abuse.
//! * A case's own opening request ([`OpeningSpec`]) is made as an extended
//!   CONNECT when it changes only fields §5 keeps (the version, subprotocols,
//!   extensions, Origin: H.5, H.7.1, S.1, X.5.1-X.5.4), judged as over
//!   HTTP/1.1 with a 2xx in place of the 101. One that changes what §5
//!   replaces (the request line, Host, Upgrade, Connection, the key, the
//!   head's TCP segments: H.1-H.4, H.6, S.2.5) is not applicable
//!   (INFORMATIONAL, with why). The probes around a case (S.2's textbook
//!   requests before and after, their timing) are extended CONNECTs too,
//!   each on a connection of its own: [`super::engine::run_case`] runs the
//!   same steps over either version.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use tokio::time::{Instant, timeout};
use wirecheck_codec::ws::deflate::validate_response;
use wirecheck_codec::ws::handshake::parse_extensions;

use super::case::{Case, OpeningSpec};
use super::driver::opening::{self, CustomOffers, Progress, custom_fields};
use super::driver::{Driver, Role};
use super::engine::{EngineConfig, Target, Unopened, answer_limit, drive};
use super::result::{CaseResult, kept_request};
use super::rng::Rng;
use super::slots::{Entry, Slots, Work};
use crate::core::{Behavior, BehaviorClose};
use crate::http2::client::{
    Session, codec_response, render_request, render_response, websocket_request,
};
use crate::http2::stream::H2Stream;
use crate::http2::stream::MIN_DATA_FRAME;

/// Why a case whose own opening request changes the Upgrade handshake does
/// not run over HTTP/2.
pub const NOT_APPLICABLE: &str = "not applicable over HTTP/2: the case changes what RFC 8441 §5 replaces with an extended CONNECT (the request line, Host, Upgrade, Connection, Sec-WebSocket-Key, or how the head is cut into TCP writes)";

/// Whether a case's own opening request can be made as an extended CONNECT,
/// or why not ([`NOT_APPLICABLE`]).
pub fn over_http2(spec: &OpeningSpec) -> Result<(), &'static str> {
    // RFC 8441 §5: no Upgrade, Connection or key; the method is CONNECT and
    // :authority stands for Host (RFC 9113 §8.3.1).
    const REPLACED: [&str; 4] = ["host", "upgrade", "connection", "sec-websocket-key"];
    let mut names = spec
        .remove
        .iter()
        .chain(spec.set.iter().map(|(n, _)| n))
        .chain(spec.add.iter().map(|(n, _)| n));
    if spec.method != "GET"
        || spec.version != "HTTP/1.1"
        || !spec.segments.is_empty()
        || spec.stall.is_some()
        || names.any(|n| REPLACED.iter().any(|r| n.eq_ignore_ascii_case(r)))
    {
        return Err(NOT_APPLICABLE);
    }
    Ok(())
}

/// Why a server without RFC 8441 is UNIMPLEMENTED.
pub const NO_EXTENDED_CONNECT: &str = "the server speaks HTTP/2 but did not send SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 in its SETTINGS (RFC 8441 §3): it does not carry WebSockets over HTTP/2";

/// The request headers of every case (RFC 8441 §5 keeps RFC 6455 §4.1's
/// version, Origin, protocols and extensions; names are lowercase in HTTP/2,
/// RFC 9113 §8.2.1).
pub(super) fn request_headers(cfg: &EngineConfig, case: &Case) -> Vec<(String, String)> {
    let mut headers = base_fields(cfg);
    let offers: Vec<_> = case
        .deflate
        .iter()
        .flatten()
        .map(|o| o.to_extension())
        .collect();
    if !offers.is_empty() {
        if let Ok(value) = wirecheck_codec::ws::handshake::format_extensions(&offers) {
            headers.push(("sec-websocket-extensions".into(), value));
        }
    }
    headers
}

/// The fields of every extended CONNECT but the offers: the version, the
/// user agent, `--origin`'s Origin and `--header`s.
fn base_fields(cfg: &EngineConfig) -> Vec<(String, String)> {
    let mut headers = vec![
        // RFC 8441 §5: the version is sent as in RFC 6455; the key is not.
        ("sec-websocket-version".to_owned(), "13".to_owned()),
        (
            "user-agent".to_owned(),
            concat!("wirecheck/", env!("CARGO_PKG_VERSION")).to_owned(),
        ),
    ];
    if let Some(origin) = &cfg.origin {
        headers.push(("origin".into(), origin.clone()));
    }
    headers.extend(cfg.headers.iter().cloned());
    headers
}

/// What came of an extended CONNECT ([`open_timed`]).
enum Opened {
    /// No answer within the limit; whether the connection and its SETTINGS
    /// were up by then (the request was sent).
    Unanswered { connected: bool },
    /// No HTTP/2 connection, or the stream failed before an answer;
    /// `refused` when the server reset it (RST_STREAM: a refusal).
    Failed { why: String, refused: bool },
    /// The server does not carry WebSockets over HTTP/2 (RFC 8441 §3).
    NoExtendedConnect,
    /// An answer, with its connection and stream.
    Answered(Box<(Session, http::response::Parts, H2Stream)>),
}

/// A new HTTP/2 connection and `request` on it within `limit`: how long the
/// answer took (connect included, as over HTTP/1.1), and what came of it.
async fn open_timed(
    target: &Target,
    cfg: &EngineConfig,
    request: http::Request<()>,
    limit: Duration,
) -> (Duration, Opened) {
    let began = Instant::now();
    let connected = AtomicBool::new(false);
    let opened = timeout(limit, async {
        let mut session = match Session::connect(target, cfg.tls.as_ref()).await {
            Ok(s) => s,
            Err(why) => {
                return Opened::Failed {
                    why,
                    refused: false,
                };
            }
        };
        connected.store(true, Ordering::Relaxed);
        if !session.extended_connect() {
            return Opened::NoExtendedConnect;
        }
        match session.open(request, false).await {
            Ok((head, stream)) => Opened::Answered(Box::new((session, head, stream))),
            Err(e) => Opened::Failed {
                why: e.why,
                refused: e.refused,
            },
        }
    })
    .await;
    let unanswered = || Opened::Unanswered {
        connected: connected.load(Ordering::Relaxed),
    };
    (began.elapsed(), opened.unwrap_or_else(|_| unanswered()))
}

/// The reason for an extended CONNECT unanswered within `limit`.
pub(super) fn no_answer(limit: Duration, connected: bool) -> String {
    let secs = limit.as_secs_f64();
    if connected {
        format!(
            "no answer to the extended CONNECT within {secs:.1} s (the HTTP/2 connection and its SETTINGS were up; the stream got neither a head nor a reset)"
        )
    } else {
        format!("no HTTP/2 connection with the server's SETTINGS within {secs:.1} s")
    }
}

/// The fields of the textbook extended CONNECT (the engine's probes).
fn textbook(target: &Target, cfg: &EngineConfig) -> Result<http::Request<()>, String> {
    websocket_request(target, &base_fields(cfg))
}

/// A textbook extended CONNECT on a connection of its own within `limit`,
/// then the connection is dropped ([`super::engine`]'s probes around a case).
pub(super) async fn probe(
    target: &Target,
    cfg: &EngineConfig,
    limit: Duration,
) -> Result<Duration, Unopened> {
    let request = textbook(target, cfg).map_err(Unopened::Refused)?;
    match open_timed(target, cfg, request, limit).await {
        (took, Opened::Answered(a)) if a.1.status.is_success() => Ok(took),
        (_, Opened::Answered(a)) => Err(Unopened::Refused(format!(
            "it answered {}",
            a.1.status.as_u16()
        ))),
        (_, Opened::NoExtendedConnect) => Err(Unopened::Refused(NO_EXTENDED_CONNECT.into())),
        (_, Opened::Failed { why, refused: true }) => Err(Unopened::Refused(why)),
        (_, Opened::Failed { why, .. }) => Err(Unopened::Unanswered(why)),
        (_, Opened::Unanswered { connected }) => {
            Err(Unopened::Unanswered(no_answer(limit, connected)))
        }
    }
}

/// The case's own request once more on a connection of its own: how long the
/// answer took (`None`: none within the case's deadline).
pub(super) async fn time_opening(
    target: &Target,
    cfg: &EngineConfig,
    case: &Case,
) -> Option<Duration> {
    let spec = case.opening.as_ref()?;
    let fields = custom_fields(spec, request_headers(cfg, case));
    let request = websocket_request(target, &fields).ok()?;
    match open_timed(target, cfg, request, answer_limit(cfg, case)).await {
        (_, Opened::Unanswered { .. }) => None,
        (took, _) => Some(took),
    }
}

/// One case over RFC 8441, its slots taken (see [`super::engine`]'s
/// `run_case_once`, whose HTTP/1.1 counterpart this is): with the time the
/// server took to answer its extended CONNECT, when it answered.
pub(super) async fn run_case_once(
    target: &Target,
    cfg: &EngineConfig,
    case: &Case,
    ordinal: usize,
    slots: &Slots,
    work: Work,
    entry: &mut Entry,
) -> (CaseResult, Option<Duration>) {
    let mut result = CaseResult::unrun(case, ordinal);
    result.started = SystemTime::now();
    let spec = case.opening.as_ref();
    let seed = Rng::os_seed();
    let limit = answer_limit(cfg, case);
    let mut fields = request_headers(cfg, case);
    if let Some(spec) = spec {
        fields = custom_fields(spec, fields);
    }
    let offers = CustomOffers::of(&fields, spec.is_some_and(|s| s.decline_deflate));
    let request = match websocket_request(target, &fields) {
        Ok(r) => r,
        Err(why) => return (opening::finish_unopened(case, result, why), None),
    };
    result.http_request = kept_request(render_request(&request).as_bytes());
    let (took, opened) = open_timed(target, cfg, request, limit).await;
    // The server has answered (or not) with nothing else to do; what follows
    // is not timed.
    entry.settle();
    let answered = Some(took);
    let (session, head, stream) = match opened {
        Opened::Unanswered { connected } => {
            result.close.was_open_handshake_timeout = true;
            let why = no_answer(limit, connected);
            return (opening::finish_unopened(case, result, why), None);
        }
        Opened::Failed { why, .. } => {
            let failed = Progress::Failed(why);
            return (opening::finish_refused(case, result, &failed), answered);
        }
        Opened::NoExtendedConnect => {
            result.reached = true;
            result.behavior = Behavior::Unimplemented;
            result.behavior_close = BehaviorClose::Informational;
            result.result = NO_EXTENDED_CONNECT.into();
            result.result_close = "no WebSocket was opened".into();
            return (result, answered);
        }
        Opened::Answered(a) if !a.1.status.is_success() => {
            let head = &a.1;
            result.http_response = render_response(head);
            let versions = head
                .headers
                .get_all("sec-websocket-version")
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .collect::<Vec<_>>();
            let progress = Progress::Refused {
                status: head.status.as_u16(),
                versions: (!versions.is_empty()).then(|| versions.join(", ")),
            };
            return (opening::finish_refused(case, result, &progress), answered);
        }
        Opened::Answered(a) => *a,
    };
    result.http_response = render_response(&head);
    // RFC 6455 §4.1 checks 5 and 6 (and a permessage-deflate offer the server
    // had to decline): all a client checks of a 2xx (RFC 8441 §5).
    if let Some(why) = offers.refuse_answer(&codec_response(&head)) {
        return (
            opening::finish_refused(case, result, &Progress::BadAnswer(why)),
            answered,
        );
    }
    // A case's request the server had to refuse, accepted.
    let verdict = spec.and_then(|s| opening::judge(s.expect, &Progress::Open(Vec::new())));
    // RFC 7692 §7.1 (RFC 8441 §5 keeps extension negotiation as it is).
    let deflate = match &case.deflate {
        None => None,
        Some(offers) => {
            let answer = parse_extensions(
                head.headers
                    .get_all("sec-websocket-extensions")
                    .iter()
                    .map(http::HeaderValue::as_bytes),
            )
            .map_err(|e| format!("the server's Sec-WebSocket-Extensions: {e}"))
            .and_then(|answer| {
                validate_response(offers, &answer)
                    .map_err(|e| format!("the server's permessage-deflate answer: {e}"))
            });
            match answer {
                Ok(agreed) => agreed,
                Err(why) => return (opening::finish_unopened(case, result, why), answered),
            }
        }
    };
    slots.note_opened();
    let permit = slots.work(work).await;
    let opened_at = Instant::now();
    let mut driver = Driver::with_deflate(
        case,
        Role::Client,
        cfg.timeouts(),
        seed ^ 0x9E37_79B9_7F4A_7C15,
        opened_at.into_std(),
        &[],
        deflate,
        Some(Arc::clone(&cfg.compressed)),
    );
    driver.note_opening(result.http_request.len(), result.http_response.len());
    if verdict.is_some() {
        // The server accepted what it must refuse: close at once, normally.
        driver.close_now();
    }
    let shutdown = cfg.scaled(cfg.close_handshake_timeout);
    // A case's chops (9.5.x, 9.6.x cut a message into writes of 64 bytes) are
    // DATA frames here: short ones go out joined (`MIN_DATA_FRAME`).
    drive(
        stream,
        &mut driver,
        slots,
        work,
        permit,
        &mut entry.gate,
        shutdown,
        MIN_DATA_FRAME,
    )
    .await;
    result.duration_ms = opened_at.elapsed().as_millis() as u64;
    driver.finish(&mut result);
    opening::finish_opened(case, &mut result, verdict, head.status.as_u16());
    session.finish(shutdown).await;
    // The verdicts' words are the TCP connection's; here it is the stream's.
    for text in [&mut result.result, &mut result.result_close] {
        if text.contains("TCP") {
            text.push_str(TCP_IS_THE_STREAM);
        }
    }
    (result, answered)
}

/// Said after a reason that names TCP: over HTTP/2 it is the stream.
pub const TCP_IS_THE_STREAM: &str = " [over HTTP/2 the stream stands for the TCP connection: END_STREAM for its FIN, RST_STREAM for its RST, RFC 8441 §5]";
