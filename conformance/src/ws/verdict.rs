//! The verdicts, computed when the TCP connection is gone, exactly as Autobahn's
//! `Case.onConnectionLost` computes them (reference: autobahn.md §3), plus a
//! one-line reason for each that says what was expected and what was received.

use super::case::{Case, Ev, Scoring};
use super::driver::masks::MaskKeys;
use super::result::CloseInfo;
use crate::core::{Behavior, BehaviorClose};

/// What the engine observed that the verdicts depend on.
#[derive(Debug, Clone)]
pub struct Observed<'a> {
    /// The events received.
    pub received: &'a [Ev],
    /// How the connection ended.
    pub close: &'a CloseInfo,
    /// For [`Scoring::RoundTrips`]: `Ok(())` when every echo arrived in time and
    /// matched, or why not.
    pub round_trips: Option<&'a Result<(), String>>,
    /// Whether permessage-deflate was negotiated.
    pub deflate: bool,
    /// The observation limit of wirecheck's own that was hit, if one was
    /// ([`super::bounds`]): what followed it was not seen, so the case is FAILED.
    pub limit: Option<&'a str>,
    /// The masking keys of the frames received, once the connection opened.
    pub masks: Option<&'a MaskKeys>,
}

/// `behavior` and `behaviorClose`, each with its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdicts {
    /// The `behavior` verdict.
    pub behavior: Behavior,
    /// Why.
    pub result: String,
    /// The `behaviorClose` verdict.
    pub behavior_close: BehaviorClose,
    /// Why.
    pub result_close: String,
}

/// Render events compactly for a one-line reason.
pub fn events_summary(events: &[Ev]) -> String {
    /// A reason stays one readable line however much the server sent: runs of
    /// alike events are counted, and at most this many runs are listed.
    const LISTED: usize = 8;
    if events.is_empty() {
        return "no events".to_owned();
    }
    let describe = |e: &Ev| match e {
        Ev::Message { data, binary } => {
            let kind = if *binary { "binary" } else { "text" };
            format!("{kind} message of {} bytes", data.len())
        }
        Ev::Ping(p) => format!("ping of {} bytes", p.len()),
        Ev::Pong(p) => format!("pong of {} bytes", p.len()),
        Ev::Timeout(tag) => format!("timeout {tag}"),
    };
    let mut runs: Vec<(String, usize)> = Vec::new();
    let mut more = false;
    for e in events {
        let d = describe(e);
        if let Some((last, n)) = runs.last_mut() {
            if *last == d {
                *n += 1;
                continue;
            }
        }
        if runs.len() == LISTED {
            more = true;
            break;
        }
        runs.push((d, 1));
    }
    let mut parts: Vec<String> = runs
        .into_iter()
        .map(|(d, n)| if n > 1 { format!("{d} (x{n})") } else { d })
        .collect();
    if more {
        parts.push(format!("... ({} events in all)", events.len()));
    }
    parts.join(", ")
}

fn codes(codes: &[u16]) -> String {
    codes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Compute the verdicts of `case` from what was observed.
pub fn verdicts(case: &Case, seen: &Observed<'_>) -> Verdicts {
    let expected_close = &case.expected_close;
    let close = seen.close;

    // behavior: the first expected list equal to what was received (OK before NON-STRICT).
    let (mut behavior, mut result) = if seen.received == case.expected.ok.as_slice() {
        (
            Behavior::Ok,
            format!(
                "received what was expected: {}",
                events_summary(seen.received)
            ),
        )
    } else if case.expected.non_strict.as_deref() == Some(seen.received) {
        (
            Behavior::NonStrict,
            format!(
                "expected {}, received the non-strict alternative: {}",
                events_summary(&case.expected.ok),
                events_summary(seen.received)
            ),
        )
    } else {
        (
            Behavior::Failed,
            format!(
                "expected {}, received {}",
                events_summary(&case.expected.ok),
                events_summary(seen.received)
            ),
        )
    };

    // Why wirecheck failed the connection, if it did: added to the close reasons.
    let why = match (&close.failed_by_me, &close.local_close_reason) {
        (true, Some(r)) if !r.is_empty() => format!(" (wirecheck failed it: {r})"),
        _ => String::new(),
    };
    // behaviorClose, first matching rule wins (autobahn.md §3.4).
    let (mut behavior_close, mut result_close) = if !close.was_open {
        (
            BehaviorClose::Failed,
            "the WebSocket opening handshake was never completed".to_owned(),
        )
    } else if expected_close.closed_by_me != close.closed_by_me {
        let peer = if close.is_server {
            "the client"
        } else {
            "the server"
        };
        let who = |me: bool| if me { "wirecheck" } else { peer };
        (
            BehaviorClose::Failed,
            format!(
                "the connection was closed by the wrong endpoint: expected {} to close, {} did{why}",
                who(expected_close.closed_by_me),
                who(close.closed_by_me)
            ),
        )
    } else if expected_close.require_clean && !close.was_clean {
        (
            BehaviorClose::Unclean,
            format!(
                "the close must be clean here, it was not: {}{why}",
                close
                    .was_not_clean_reason
                    .as_deref()
                    .unwrap_or("no close handshake")
            ),
        )
    } else if let Some(code) = close
        .remote_close_code
        .filter(|c| !expected_close.codes.contains(c))
    {
        (
            BehaviorClose::WrongCode,
            format!(
                "the close code should have been {} or empty, was {code}",
                codes(&expected_close.codes)
            ),
        )
    } else if close.dropped_by_me && !close.dropped_on_purpose && !close.is_server {
        // A server drops TCP first after the close handshake (RFC 6455 §7.1.1), so
        // only wirecheck as a client must not have had to.
        (
            BehaviorClose::FailedByClient,
            "the server did not close the TCP connection; wirecheck had to (RFC 6455 §7.1.1: the server closes it first)"
                .to_owned(),
        )
    } else {
        (
            BehaviorClose::Ok,
            match close.remote_close_code {
                Some(code) => format!("connection properly closed, remote code {code}"),
                None => "connection properly closed".to_owned(),
            },
        )
    };

    // UTF-8 cases and wirecheck's own framing cases: the peer never detected
    // what it had to refuse if the fuzzer had to close.
    if close.was_open
        && expected_close.closed_by_wrong_endpoint_is_fatal
        && expected_close.closed_by_me != close.closed_by_me
    {
        behavior = Behavior::Failed;
        let peer = if close.is_server { "client" } else { "server" };
        result = format!("{result}; the {peer} never failed the connection on what it received");
    }

    // wirecheck's own cases: a server that broke a rule of the protocol while
    // answering (a Close with a code it must not send, say) fails the case,
    // whatever else matched. Autobahn's cases keep Autobahn's verdicts.
    if let (false, Some(rule)) = (case.id.is_autobahn(), &close.peer_violation) {
        if behavior != Behavior::Failed {
            behavior = Behavior::Failed;
            result = format!(
                "{result}; but the {} broke a rule and wirecheck failed the connection: {rule}",
                if close.is_server { "client" } else { "server" }
            );
        }
    }

    // Autobahn: UNIMPLEMENTED when the extension a case needs (12.x, 13.x,
    // wirecheck's S.4) was not negotiated.
    let declined = case.deflate.is_some() && !seen.deflate && close.was_open;
    match &case.scoring {
        _ if declined => {
            behavior = Behavior::Unimplemented;
            result = if close.is_server {
                "permessage-deflate was not agreed: the client offered none, or no offer that lets the server ask what the case asks (client_no_context_takeover, client_max_window_bits; RFC 7692 §7.1)".to_owned()
            } else {
                "the server declined permessage-deflate: its opening handshake answer holds no permessage-deflate extension (RFC 7692 §5)".to_owned()
            };
            // What wirecheck's own case expects of the close (a bomb refused
            // with 1009, say) presumes the extension: without it there is
            // nothing to judge. Autobahn's keep Autobahn's close verdict.
            if !case.id.is_autobahn() && behavior_close != BehaviorClose::Ok {
                behavior_close = BehaviorClose::Informational;
                result_close = format!(
                    "informational: not judged without permessage-deflate ({result_close})"
                );
            }
        }
        Scoring::Standard => {}
        Scoring::WrongCodeFails => {
            if behavior_close == BehaviorClose::WrongCode {
                behavior = Behavior::Failed;
                result = result_close.clone();
            }
        }
        Scoring::Informational => {
            result = match behavior {
                Behavior::Ok => format!("informational: the strict outcome happened ({result})"),
                Behavior::NonStrict => {
                    format!("informational: the alternative outcome happened ({result})")
                }
                _ => format!("informational: {result}"),
            };
            // Who ended it, and how, is often the information (X.2.x).
            if close.was_open && !close.closed_by_me {
                let peer = if close.is_server { "client" } else { "server" };
                match close.remote_close_code {
                    Some(code) => result = format!("{result}; the {peer} closed with {code}"),
                    None => result = format!("{result}; the {peer} closed"),
                }
                if let Some(reason) = close
                    .remote_close_reason
                    .as_deref()
                    .filter(|r| !r.is_empty())
                {
                    result = format!("{result} ({reason:?})");
                }
            }
            result_close = format!("informational: {result_close}");
            behavior = Behavior::Informational;
            behavior_close = BehaviorClose::Informational;
        }
        // RFC 6455 §7.1.1: "the client SHOULD wait for the server to close the
        // connection but MAY close the connection at any time after sending and
        // receiving a Close message, e.g., if it has not received a TCP Close
        // from the server in a reasonable time period".
        Scoring::WaitsForDrop => match (close.peer_drop_ms, behavior) {
            (Some(ms), Behavior::Ok) => {
                behavior = Behavior::NonStrict;
                result = format!(
                    "the client closed TCP {ms} ms after the close handshake, before the server did (RFC 6455 §7.1.1: the client SHOULD wait for the server to close it)"
                );
            }
            (None, Behavior::Ok) if close.was_clean && close.dropped_by_me => {
                result =
                    "the client left closing TCP to the server, as RFC 6455 §7.1.1 asks".to_owned();
            }
            _ => {}
        },
        // RFC 6455 §5.5.1: "When sending a Close frame in response, the
        // endpoint typically echos the status code it received."
        Scoring::EchoesCloseCode if behavior == Behavior::Ok && close.closed_by_me => {
            let sent = close.local_close_code;
            let got = close.remote_close_code;
            let code = |c: Option<u16>| c.map_or_else(|| "no code".to_owned(), |c| c.to_string());
            if sent == got {
                result = format!("{result}; the close code echoed ({})", code(sent));
            } else {
                behavior = Behavior::NonStrict;
                result = format!(
                    "the {} answered wirecheck's Close ({}) with {} (RFC 6455 §5.5.1: an endpoint typically echoes the status code it received)",
                    if close.is_server { "client" } else { "server" },
                    code(sent),
                    code(got)
                );
            }
        }
        Scoring::EchoesCloseCode => {}
        // RFC 6455 §5.3: a fresh key per frame, judged from all of them.
        Scoring::MaskingKeys => match seen.masks.and_then(MaskKeys::fault) {
            Some(fault) => {
                behavior = Behavior::Failed;
                result = format!("{fault} (RFC 6455 §5.3: a fresh key for each frame)");
            }
            None if behavior == Behavior::Ok => {
                let n = seen.masks.map_or(0, |m| m.masked);
                result = format!("{result}; {n} frames, each masked with a fresh nonzero key");
            }
            None => {}
        },
        Scoring::RoundTrips(_) | Scoring::Deflate(_) => match seen.round_trips {
            Some(Ok(())) => {
                behavior = Behavior::Ok;
                result =
                    "received every echo in time, with the type, length and bytes sent".to_owned();
            }
            Some(Err(why)) => {
                behavior = Behavior::Failed;
                result = why.clone();
            }
            None => {
                behavior = Behavior::Failed;
                // Why the echoes stopped, when the peer ended it (a limit of
                // its own, say: Node ws closes with 1008 past 16384 fragments).
                let peer = if close.is_server { "client" } else { "server" };
                let reason = close
                    .remote_close_reason
                    .as_deref()
                    .filter(|r| !r.is_empty())
                    .map(|r| format!(" ({r:?})"))
                    .unwrap_or_default();
                result = match close.remote_close_code {
                    Some(code) if close.was_open && !close.closed_by_me => format!(
                        "the {peer} closed the connection with {code}{reason} before every echo arrived"
                    ),
                    None if close.was_open && !close.closed_by_me && !close.dropped_by_me => {
                        format!("the {peer} ended the connection before every echo arrived")
                    }
                    _ => "the case did not finish".to_owned(),
                };
            }
        },
    }
    // DESIGN §7a: a limit of wirecheck's own never turns into an OK. Every
    // observation limit is far above what any case expects, so the server sent
    // what no case allows.
    if let Some(limit) = seen.limit {
        behavior = Behavior::Failed;
        result = format!("{limit}; {result}");
    }
    Verdicts {
        behavior,
        result,
        behavior_close,
        result_close,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ws::case::ExpectedClose;

    fn case(ok: Vec<Ev>, close: ExpectedClose) -> Case {
        Case::new("1.1.1", "d", "e", ok, close, vec![])
    }

    fn clean_close_by_me() -> CloseInfo {
        CloseInfo {
            was_open: true,
            closed_by_me: true,
            was_clean: true,
            remote_close_code: Some(1000),
            ..CloseInfo::default()
        }
    }

    fn observe<'a>(received: &'a [Ev], close: &'a CloseInfo) -> Observed<'a> {
        Observed {
            received,
            close,
            round_trips: None,
            deflate: false,
            limit: None,
            masks: None,
        }
    }

    #[test]
    fn a_reason_lists_a_few_events_however_many_arrived() {
        let flood = vec![Ev::text("flood"); 4096];
        assert_eq!(events_summary(&flood), "text message of 5 bytes (x4096)");
        let mixed: Vec<Ev> = (0..4096).map(|i| Ev::text(vec![b'a'; i % 3])).collect();
        let summary = events_summary(&mixed);
        assert!(summary.len() < 300, "{summary}");
        assert!(summary.ends_with("... (4096 events in all)"), "{summary}");
        assert_eq!(
            events_summary(&[Ev::text("a"), Ev::Ping(vec![])]),
            "text message of 1 bytes, ping of 0 bytes"
        );
    }

    #[test]
    fn echo_and_clean_close_is_ok() {
        let c = case(vec![Ev::text("a")], ExpectedClose::fuzzer_closes_normally());
        let close = clean_close_by_me();
        let v = verdicts(&c, &observe(&[Ev::text("a")], &close));
        assert_eq!(
            (v.behavior, v.behavior_close),
            (Behavior::Ok, BehaviorClose::Ok)
        );
    }

    #[test]
    fn wrong_payload_fails_with_reason() {
        let c = case(vec![Ev::text("a")], ExpectedClose::fuzzer_closes_normally());
        let close = clean_close_by_me();
        let v = verdicts(&c, &observe(&[Ev::binary("a")], &close));
        assert_eq!(v.behavior, Behavior::Failed);
        assert_eq!(
            v.result,
            "expected text message of 1 bytes, received binary message of 1 bytes"
        );
    }

    #[test]
    fn close_rules_apply_in_order() {
        let c = case(vec![], ExpectedClose::peer_fails(1002));
        // The fuzzer had to close: wrong endpoint.
        let v = verdicts(&c, &observe(&[], &clean_close_by_me()));
        assert_eq!(v.behavior_close, BehaviorClose::Failed);
        // The peer closed with another code.
        let close = CloseInfo {
            was_open: true,
            remote_close_code: Some(1000),
            ..CloseInfo::default()
        };
        let v = verdicts(&c, &observe(&[], &close));
        assert_eq!(v.behavior_close, BehaviorClose::WrongCode);
        // The peer dropped TCP without a close frame: accepted (requireClean is false).
        let close = CloseInfo {
            was_open: true,
            ..CloseInfo::default()
        };
        let v = verdicts(&c, &observe(&[], &close));
        assert_eq!(v.behavior_close, BehaviorClose::Ok);
        // The fuzzer dropped TCP itself.
        let close = CloseInfo {
            was_open: true,
            dropped_by_me: true,
            remote_close_code: Some(1002),
            ..CloseInfo::default()
        };
        let v = verdicts(&c, &observe(&[], &close));
        assert_eq!(v.behavior_close, BehaviorClose::FailedByClient);
    }

    #[test]
    fn unclean_when_clean_required() {
        let c = case(vec![], ExpectedClose::fuzzer_closes_normally());
        let close = CloseInfo {
            was_open: true,
            closed_by_me: true,
            was_not_clean_reason: Some("no close reply".into()),
            ..CloseInfo::default()
        };
        let v = verdicts(&c, &observe(&[], &close));
        assert_eq!(v.behavior_close, BehaviorClose::Unclean);
        assert!(v.result_close.contains("no close reply"));
    }

    #[test]
    fn handshake_never_completed_fails_both() {
        let c = case(vec![Ev::text("a")], ExpectedClose::fuzzer_closes_normally());
        let close = CloseInfo::default();
        let v = verdicts(&c, &observe(&[], &close));
        assert_eq!(
            (v.behavior, v.behavior_close),
            (Behavior::Failed, BehaviorClose::Failed)
        );
    }

    #[test]
    fn wrong_endpoint_is_fatal_for_utf8_cases() {
        let mut close_rule = ExpectedClose::peer_fails(1007);
        close_rule.closed_by_wrong_endpoint_is_fatal = true;
        let c = case(vec![], close_rule);
        let v = verdicts(&c, &observe(&[], &clean_close_by_me()));
        assert_eq!(v.behavior, Behavior::Failed);
    }

    #[test]
    fn non_strict_alternative_and_informational_override() {
        let c = case(vec![Ev::text("a")], ExpectedClose::peer_fails(1002)).non_strict(vec![]);
        let close = CloseInfo {
            was_open: true,
            remote_close_code: Some(1002),
            ..CloseInfo::default()
        };
        assert_eq!(
            verdicts(&c, &observe(&[], &close)).behavior,
            Behavior::NonStrict
        );
        let c = c.scoring(Scoring::Informational);
        let v = verdicts(&c, &observe(&[], &close));
        assert_eq!(
            (v.behavior, v.behavior_close),
            (Behavior::Informational, BehaviorClose::Informational)
        );
    }

    #[test]
    fn wrong_code_fails_behavior_in_close_cases() {
        let c =
            case(vec![], ExpectedClose::fuzzer_closes_normally()).scoring(Scoring::WrongCodeFails);
        let close = CloseInfo {
            remote_close_code: Some(1002),
            ..clean_close_by_me()
        };
        let v = verdicts(&c, &observe(&[], &close));
        assert_eq!(
            (v.behavior, v.behavior_close),
            (Behavior::Failed, BehaviorClose::WrongCode)
        );
    }

    /// A rule the server broke fails wirecheck's own cases; Autobahn's keep
    /// Autobahn's verdict (7.9.x: an echoed invalid code is not looked at).
    #[test]
    fn a_peer_violation_fails_own_cases_only() {
        let close = CloseInfo {
            failed_by_me: true,
            remote_close_code: None,
            peer_violation: Some("invalid close code 1015 (RFC 6455 §7.4.1)".into()),
            ..clean_close_by_me()
        };
        let rule = || ExpectedClose {
            closed_by_me: true,
            codes: vec![1002],
            require_clean: false,
            closed_by_wrong_endpoint_is_fatal: false,
        };
        let autobahn = case(vec![], rule());
        assert_eq!(
            verdicts(&autobahn, &observe(&[], &close)).behavior,
            Behavior::Ok
        );
        let own = Case::new("X.3.4", "d", "e", vec![], rule(), vec![]);
        let v = verdicts(&own, &observe(&[], &close));
        assert_eq!(v.behavior, Behavior::Failed);
        assert!(v.result.contains("invalid close code 1015"), "{}", v.result);
    }

    /// Round trips cut short by the peer's Close say so, with its code.
    #[test]
    fn unfinished_round_trips_name_the_peers_close() {
        let mut c = case(vec![], ExpectedClose::fuzzer_closes_normally());
        c.scoring = Scoring::RoundTrips(crate::ws::case::RoundTrips {
            count: 1,
            binary: true,
            messages: crate::ws::case::Messages::Steps(crate::ws::case::Payload::exact(
                b"x".to_vec(),
            )),
            timeout: std::time::Duration::from_secs(1),
        });
        let close = CloseInfo {
            was_open: true,
            remote_close_code: Some(1008),
            remote_close_reason: Some("too many fragments".into()),
            ..CloseInfo::default()
        };
        let v = verdicts(&c, &observe(&[], &close));
        assert_eq!(v.behavior, Behavior::Failed);
        assert_eq!(
            v.result,
            "the server closed the connection with 1008 (\"too many fragments\") before every echo arrived"
        );
        let v = verdicts(&c, &observe(&[], &clean_close_by_me()));
        assert_eq!(v.result, "the case did not finish");
    }

    /// An own case that needs permessage-deflate, declined, judges no close.
    #[test]
    fn a_declined_own_deflate_case_judges_no_close() {
        let rule = || ExpectedClose::peer_fails(1009);
        let close = clean_close_by_me();
        let own = Case::new("S.4.1", "d", "e", vec![], rule(), vec![]).deflate_offers(vec![]);
        let v = verdicts(&own, &observe(&[], &close));
        assert_eq!(
            (v.behavior, v.behavior_close),
            (Behavior::Unimplemented, BehaviorClose::Informational),
            "{}",
            v.result_close
        );
        assert!(
            v.result_close.starts_with("informational: not judged"),
            "{}",
            v.result_close
        );
        // Autobahn's keep their close verdict.
        let autobahn = Case::new("12.1.1", "d", "e", vec![], rule(), vec![]).deflate_offers(vec![]);
        let v = verdicts(&autobahn, &observe(&[], &close));
        assert_eq!(
            (v.behavior, v.behavior_close),
            (Behavior::Unimplemented, BehaviorClose::Failed)
        );
    }

    /// An informational case says how the peer ended the connection.
    #[test]
    fn informational_results_say_how_the_peer_closed() {
        let c = case(vec![Ev::text("a")], ExpectedClose::fuzzer_closes_normally())
            .scoring(Scoring::Informational);
        let close = CloseInfo {
            was_open: true,
            remote_close_code: Some(1002),
            remote_close_reason: Some("non-minimal length".into()),
            ..CloseInfo::default()
        };
        let v = verdicts(&c, &observe(&[], &close));
        assert!(
            v.result
                .ends_with("; the server closed with 1002 (\"non-minimal length\")"),
            "{}",
            v.result
        );
    }
}
