//! The H2. cases (`super::cases::h2_streams`): rules of the HTTP/2 streams
//! that carry WebSockets (RFC 8441), checked with several streams on one
//! connection, which the one-connection case driver cannot do.
//!
//! Each check speaks RFC 6455 on its streams through a [`Probe`]: frames are
//! encoded and decoded by the codec, every wait has a deadline (the case's
//! close handshake and drop timeouts, scaled), and what the server did is
//! the case's result, worded with the rule it keeps or breaks.

use std::time::SystemTime;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{Duration, Instant, timeout, timeout_at};
use wirecheck_codec::ws::message::{Config, Event, MessageDecoder};
use wirecheck_codec::ws::{CloseCode, OpCode, Role, encode};

use super::case::{Case, StreamCheck};
use super::engine::{EngineConfig, Target};
use super::over_h2::{NO_EXTENDED_CONNECT, request_headers};
use super::result::{CaseResult, kept_request};
use super::rng::Rng;
use crate::core::{Behavior, BehaviorClose};
use crate::http2::client::{Session, render_request, render_response, websocket_request};
use crate::http2::stream::{Ending, H2Stream};

/// What a probe saw next on its stream.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Got {
    /// A data message (its text, lossily, for reports).
    Message(String),
    /// A Close frame and its code.
    Close(Option<u16>),
    /// A Ping or Pong.
    Control,
    /// The stream's end: END_STREAM, a reset, or the connection's failure.
    End(Ending),
    /// The server broke RFC 6455 on this stream (the codec's one line).
    Broken(String),
    /// Nothing by the deadline.
    Nothing,
}

/// One WebSocket on one stream, as a client.
struct Probe {
    io: H2Stream,
    dec: MessageDecoder,
    /// Received bytes not yet given to the decoder.
    pending: Vec<u8>,
    rng: Rng,
}

/// The largest message a probe reads (the checks send a few bytes).
const PROBE_LIMIT: u64 = 64 * 1024;

impl Probe {
    fn new(io: H2Stream, seed: u64) -> Probe {
        let mut config = Config::new(Role::Client);
        config.limits.max_frame_size = PROBE_LIMIT;
        config.limits.max_message_size = PROBE_LIMIT;
        Probe {
            io,
            dec: MessageDecoder::new(config),
            pending: Vec::new(),
            rng: Rng::from_seed(seed),
        }
    }

    /// Write `bytes` within `limit`.
    async fn write(&mut self, bytes: &[u8], limit: Duration) -> Result<(), String> {
        match timeout(limit, self.io.write_all(bytes)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("cannot write on the stream: {e}")),
            Err(_) => Err("the stream's window stayed closed".into()),
        }
    }

    /// A text message "Hello", masked (`masked`) or not.
    async fn hello(&mut self, masked: bool, limit: Duration) -> Result<(), String> {
        let mut out = Vec::new();
        let mask = masked.then(|| self.rng.mask());
        encode::frame(&mut out, true, 0, OpCode::Text, mask, b"Hello");
        self.write(&out, limit).await
    }

    /// A Close 1000.
    async fn close(&mut self, limit: Duration) -> Result<(), String> {
        let mut out = Vec::new();
        let _ = encode::close(&mut out, Some(self.rng.mask()), Some(CloseCode(1000)), "");
        self.write(&out, limit).await
    }

    /// End the client's side (END_STREAM).
    async fn end(&mut self) {
        let _ = self.io.shutdown().await;
    }

    /// The next thing the server does on this stream, by `deadline`.
    async fn next(&mut self, deadline: Instant) -> Got {
        let mut buf = [0u8; 4096];
        loop {
            if !self.pending.is_empty() {
                let total = self.pending.len();
                let mut input: &mut [u8] = &mut self.pending[..];
                let got = match self.dec.decode(&mut input) {
                    Ok(Some(Event::Message { data, .. })) => {
                        Some(Got::Message(String::from_utf8_lossy(data).into_owned()))
                    }
                    Ok(Some(Event::Close(frame))) => Some(Got::Close(frame.map(|f| f.code.0))),
                    Ok(Some(_)) => Some(Got::Control),
                    Ok(None) => None,
                    Err(e) => Some(Got::Broken(e.to_string())),
                };
                let used = total - input.len();
                self.pending.drain(..used);
                if let Some(got) = got {
                    return got;
                }
            }
            match timeout_at(deadline, self.io.read(&mut buf)).await {
                Err(_) => return Got::Nothing,
                Ok(Ok(0)) | Ok(Err(_)) => return Got::End(self.io.ending().clone()),
                Ok(Ok(n)) => self.pending.extend_from_slice(&buf[..n]),
            }
        }
    }

    /// Wait for a Close (skipping messages and controls) by `deadline`.
    async fn close_answer(&mut self, deadline: Instant) -> Got {
        loop {
            match self.next(deadline).await {
                Got::Message(_) | Got::Control => {}
                other => return other,
            }
        }
    }

    /// Wait for the echo of "Hello" (skipping controls) by `deadline`.
    async fn echo(&mut self, deadline: Instant) -> Got {
        loop {
            match self.next(deadline).await {
                Got::Control => {}
                other => return other,
            }
        }
    }
}

/// What a stream's end is, for the reports.
fn ending(e: &Ending) -> String {
    match e {
        Ending::Open | Ending::EndStream => "ended its stream (END_STREAM)".into(),
        Ending::Reset(code) => format!("reset the stream ({code})"),
        Ending::LocalReset(code) => {
            format!("broke a rule of HTTP/2 on the stream, which wirecheck reset ({code})")
        }
        Ending::Connection(why) => format!("ended the whole connection ({why})"),
    }
}

/// What `got` was, for the reports.
fn seen(got: &Got) -> String {
    match got {
        Got::Message(m) => format!("a message {m:?}"),
        Got::Close(Some(code)) => format!("a Close {code}"),
        Got::Close(None) => "an empty Close".into(),
        Got::Control => "a Ping or Pong".into(),
        Got::End(e) => format!("the server {}", ending(e)),
        Got::Broken(why) => format!("a frame that breaks RFC 6455: {why}"),
        Got::Nothing => "nothing".into(),
    }
}

/// Run the H2. case `case` (its check `check`) against `target`.
pub async fn run(
    target: &Target,
    cfg: &EngineConfig,
    case: &Case,
    check: StreamCheck,
    mut result: CaseResult,
) -> CaseResult {
    let began = Instant::now();
    result.started = SystemTime::now();
    let verdict = timeout(
        cfg.scaled(cfg.case_cap),
        judge(target, cfg, case, check, &mut result),
    )
    .await
    .unwrap_or_else(|_| {
        (
            Behavior::Failed,
            format!(
                "the case did not end within {:.0} s",
                cfg.scaled(cfg.case_cap).as_secs_f64()
            ),
        )
    });
    result.behavior = verdict.0;
    result.result = verdict.1;
    result.behavior_close = BehaviorClose::Informational;
    result.result_close = "judged by the case itself (the streams' ends are its subject)".into();
    result.duration_ms = began.elapsed().as_millis() as u64;
    result
}

/// A connection with extended CONNECT, and one WebSocket stream on it.
async fn open(
    session: &mut Session,
    target: &Target,
    cfg: &EngineConfig,
    case: &Case,
    result: &mut CaseResult,
) -> Result<H2Stream, (Behavior, String)> {
    let request = websocket_request(target, &request_headers(cfg, case))
        .map_err(|why| (Behavior::Failed, why))?;
    if result.http_request.is_empty() {
        result.http_request = kept_request(render_request(&request).as_bytes());
    }
    let limit = cfg.scaled(cfg.open_handshake_timeout);
    let (head, stream) = match timeout(limit, session.open(request, false)).await {
        Err(_) => {
            return Err((
                Behavior::Failed,
                format!(
                    "no answer to the extended CONNECT within {:.1} s",
                    limit.as_secs_f64()
                ),
            ));
        }
        Ok(Err(e)) => return Err((Behavior::Failed, e.why)),
        Ok(Ok(opened)) => opened,
    };
    if result.http_response.is_empty() {
        result.http_response = render_response(&head);
    }
    if !head.status.is_success() {
        return Err((
            Behavior::Failed,
            format!(
                "the server refused the extended CONNECT with status {}",
                head.status.as_u16()
            ),
        ));
    }
    Ok(stream)
}

async fn judge(
    target: &Target,
    cfg: &EngineConfig,
    case: &Case,
    check: StreamCheck,
    result: &mut CaseResult,
) -> (Behavior, String) {
    let limit = cfg.scaled(cfg.open_handshake_timeout);
    let mut session = match timeout(limit, Session::connect(target, cfg.tls.as_ref())).await {
        Ok(Ok(s)) => s,
        Ok(Err(why)) => {
            return (
                Behavior::Failed,
                format!("the HTTP/2 connection failed: {why}"),
            );
        }
        Err(_) => {
            return (
                Behavior::Failed,
                format!("no HTTP/2 connection within {:.1} s", limit.as_secs_f64()),
            );
        }
    };
    result.reached = true;
    if !session.extended_connect() {
        return (Behavior::Unimplemented, NO_EXTENDED_CONNECT.into());
    }
    let seed = Rng::os_seed();
    let verdict = match check {
        StreamCheck::ServerEndsStream => {
            ends_stream(&mut session, target, cfg, case, result, seed).await
        }
        StreamCheck::ClientEndKeepsConnection => {
            other_stream_lives(&mut session, target, cfg, case, result, seed, false).await
        }
        StreamCheck::FailureIsolated => {
            other_stream_lives(&mut session, target, cfg, case, result, seed, true).await
        }
        StreamCheck::UnknownProtocolRefused => {
            unknown_protocol(&mut session, target, cfg, case, result).await
        }
        StreamCheck::NoConnectionHeaders => {
            match open(&mut session, target, cfg, case, result).await {
                // A connection-specific field makes the answer malformed: the h2
                // crate resets the stream, and the error names RFC 9113 §8.2.2
                // (`http2::client::describe`).
                Err(verdict) => verdict,
                Ok(stream) => {
                    let mut probe = Probe::new(stream, seed);
                    let wait = cfg.scaled(cfg.close_handshake_timeout);
                    let _ = probe.close(wait).await;
                    let _ = probe.close_answer(Instant::now() + wait).await;
                    probe.end().await;
                    (
                        Behavior::Ok,
                        "the 200 answer has no connection-specific field (RFC 9113 §8.2.2)".into(),
                    )
                }
            }
        }
    };
    session.finish(cfg.scaled(cfg.server_drop_timeout)).await;
    verdict
}

/// H2.1.1: the closing handshake, then the server's END_STREAM.
async fn ends_stream(
    session: &mut Session,
    target: &Target,
    cfg: &EngineConfig,
    case: &Case,
    result: &mut CaseResult,
    seed: u64,
) -> (Behavior, String) {
    let stream = match open(session, target, cfg, case, result).await {
        Ok(s) => s,
        Err(v) => return v,
    };
    let mut probe = Probe::new(stream, seed);
    let wait = cfg.scaled(cfg.close_handshake_timeout);
    if let Err(why) = probe.close(wait).await {
        return (Behavior::Failed, why);
    }
    match probe.close_answer(Instant::now() + wait).await {
        Got::Close(_) => {}
        other => {
            return (
                Behavior::Failed,
                format!(
                    "the server did not answer the Close (RFC 6455 §5.5.1) within {:.1} s: {}",
                    wait.as_secs_f64(),
                    seen(&other)
                ),
            );
        }
    }
    let drop = cfg.scaled(cfg.server_drop_timeout);
    let outcome = match probe.next(Instant::now() + drop).await {
        Got::End(Ending::EndStream | Ending::Open) => (
            Behavior::Ok,
            "the server answered the Close and ended its stream (END_STREAM)".into(),
        ),
        Got::End(Ending::Reset(code)) => (
            Behavior::NonStrict,
            format!(
                "the server answered the Close, then reset the stream ({code}) where END_STREAM was due: RFC 8441 §5 maps a reset to the TCP RST of an abnormal close"
            ),
        ),
        Got::End(e @ Ending::LocalReset(_)) => (
            Behavior::Failed,
            format!("after the closing handshake the server {}", ending(&e)),
        ),
        Got::End(Ending::Connection(why)) => (
            Behavior::NonStrict,
            format!(
                "the server answered the Close, then the whole connection ended ({why}) rather than the stream alone"
            ),
        ),
        Got::Nothing => (
            Behavior::Failed,
            format!(
                "the server answered the Close but did not end its stream within {:.1} s: RFC 6455 §5.5.1 (after both Close frames the endpoint \"MUST close the underlying TCP connection\") with RFC 8441 §5 (END_STREAM in place of the TCP FIN)",
                drop.as_secs_f64()
            ),
        ),
        other => (
            Behavior::Failed,
            format!(
                "after the closing handshake the server sent {}",
                seen(&other)
            ),
        ),
    };
    probe.end().await;
    outcome
}

/// H2.1.2 and H2.1.3: end (or break) one stream, then the other must echo.
async fn other_stream_lives(
    session: &mut Session,
    target: &Target,
    cfg: &EngineConfig,
    case: &Case,
    result: &mut CaseResult,
    seed: u64,
    break_first: bool,
) -> (Behavior, String) {
    // RFC 9113 §5.1.2: "It is recommended that this value be no smaller than 100".
    if let Some(allowed) = session.max_streams().filter(|&n| n < 2) {
        return (
            Behavior::NonStrict,
            format!(
                "the server allows {allowed} stream at once (SETTINGS_MAX_CONCURRENT_STREAMS): two WebSockets cannot share a connection; RFC 9113 §5.1.2 recommends at least 100"
            ),
        );
    }
    let first = match open(session, target, cfg, case, result).await {
        Ok(s) => s,
        Err(v) => return v,
    };
    let second = match open(session, target, cfg, case, result).await {
        Ok(s) => s,
        Err((b, why)) => return (b, format!("the second WebSocket on the connection: {why}")),
    };
    let mut a = Probe::new(first, seed);
    let mut b = Probe::new(second, seed ^ 1);
    let wait = cfg.scaled(cfg.close_handshake_timeout);
    let drop = cfg.scaled(cfg.server_drop_timeout);
    // What happens to the first stream, for the report.
    let first_story = if break_first {
        // RFC 6455 §5.1: "a client MUST mask all frames"; the server fails it.
        if let Err(why) = a.hello(false, wait).await {
            return (Behavior::Failed, format!("the first WebSocket: {why}"));
        }
        let got = a.close_answer(Instant::now() + wait).await;
        let end = match &got {
            Got::End(_) => String::new(),
            _ => match a.next(Instant::now() + drop).await {
                Got::End(e) => format!(", then the server {}", ending(&e)),
                other => format!(", then {}", seen(&other)),
            },
        };
        format!(
            "the unmasked frame on the first WebSocket got {}{end}",
            seen(&got)
        )
    } else {
        if let Err(why) = a.close(wait).await {
            return (Behavior::Failed, format!("the first WebSocket: {why}"));
        }
        let got = a.close_answer(Instant::now() + wait).await;
        // A client that ends its side after the handshake (as it closes TCP).
        a.end().await;
        let end = match &got {
            Got::End(_) => String::new(),
            _ => match a.next(Instant::now() + drop).await {
                Got::End(e) => format!(", then the server {}", ending(&e)),
                other => format!(", then {}", seen(&other)),
            },
        };
        format!(
            "the first WebSocket's Close got {}{end}; wirecheck ended that stream",
            seen(&got)
        )
    };
    let rule = if break_first {
        "one stream's failure is a stream error (RFC 9113 §5.4.2), not a connection error"
    } else {
        "END_STREAM closes one stream (RFC 9113 §5.1; RFC 8441 §5: it stands for that WebSocket's FIN), not the connection"
    };
    // A server may react to the first stream's end a moment later: the second
    // is watched for that long (the drop timeout) before it is used.
    match b.next(Instant::now() + drop).await {
        Got::Nothing => {}
        other => {
            return (
                Behavior::Failed,
                format!(
                    "{first_story}; then the second WebSocket on the same connection got {}: {rule}",
                    seen(&other)
                ),
            );
        }
    }
    if let Err(why) = b.hello(true, wait).await {
        return (
            Behavior::Failed,
            format!("{first_story}; then the second WebSocket could not send ({why}): {rule}"),
        );
    }
    let outcome = match b.echo(Instant::now() + wait).await {
        Got::Message(m) if m == "Hello" => (
            Behavior::Ok,
            format!(
                "{first_story}; the second WebSocket on the same connection still echoed its message"
            ),
        ),
        other => (
            Behavior::Failed,
            format!(
                "{first_story}; then the second WebSocket on the same connection got {} instead of its echo: {rule}",
                seen(&other)
            ),
        ),
    };
    let _ = b.close(wait).await;
    let _ = b.close_answer(Instant::now() + wait).await;
    b.end().await;
    outcome
}

/// H2.2.1: an extended CONNECT for a protocol nobody speaks.
async fn unknown_protocol(
    session: &mut Session,
    target: &Target,
    cfg: &EngineConfig,
    case: &Case,
    result: &mut CaseResult,
) -> (Behavior, String) {
    let mut request = match websocket_request(target, &request_headers(cfg, case)) {
        Ok(r) => r,
        Err(why) => return (Behavior::Failed, why),
    };
    request
        .extensions_mut()
        .insert(h2::ext::Protocol::from("wirecheck-unknown"));
    result.http_request = kept_request(render_request(&request).as_bytes());
    let limit = cfg.scaled(cfg.open_handshake_timeout);
    match timeout(limit, session.open(request, false)).await {
        Err(_) => (
            Behavior::Failed,
            format!("no answer within {:.1} s", limit.as_secs_f64()),
        ),
        Ok(Err(e)) if e.refused => (Behavior::Ok, format!("refused: {}", e.why)),
        // A malformed answer (wirecheck reset the stream) refuses nothing.
        Ok(Err(e)) if e.answered => (Behavior::Failed, e.why),
        Ok(Err(e)) => (
            Behavior::Failed,
            format!(
                "{}: a request the server will not serve is refused on its stream (501, RFC 9220 §3), not by failing the whole connection",
                e.why
            ),
        ),
        Ok(Ok((head, _))) => {
            result.http_response = render_response(&head);
            let status = head.status.as_u16();
            if head.status.is_success() {
                (
                    Behavior::NonStrict,
                    format!(
                        "the server accepted :protocol = wirecheck-unknown with {status}: RFC 9220 §3 (with RFC 8441's semantics) says a server SHOULD answer an unknown :protocol with 501 (Not Implemented)"
                    ),
                )
            } else if status == 501 {
                (
                    Behavior::Ok,
                    "refused with 501 (Not Implemented), as RFC 9220 §3 asks".into(),
                )
            } else {
                (
                    Behavior::Ok,
                    format!("refused with {status} (RFC 9220 §3 recommends 501)"),
                )
            }
        }
    }
}
