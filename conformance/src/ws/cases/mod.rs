//! The case catalogue: Autobahn's cases, one file per category, with Autobahn's
//! ids, descriptions, payloads, chop sizes and timers, so results compare line by
//! line with Autobahn's reports. Each case is a record built from the helpers in
//! [`super::case`]; read it next to the Autobahn case it mirrors.
//!
//! The few helpers below are the vocabulary the category files share: opcode
//! names, "send this frame", "send this message", and the close expectations
//! that recur (the peer fails with 1002; the peer fails with 1007; the fuzzer
//! closes and accepts these codes).

use super::case::{Case, Ev, ExpectedClose, FrameSpec, Payload, Step};

mod c10_misc;
mod c12_13_deflate;
mod c1_framing;
mod c2_pings;
mod c3_reserved_bits;
mod c4_opcodes;
mod c5_fragmentation;
mod c6_utf8;
mod c7_close;
mod c9_limits;
mod c_client;
mod h2_streams;
mod h_handshake;
mod s_security;
mod x_deflate;
mod x_framing;

/// The cases that test a client (`wirecheck clients ws`), sorted by id:
/// Autobahn's 517 with the roles reversed (the compression cases answer the
/// client's offer as Autobahn's fuzzingserver does), and wirecheck's own C.
/// cases. wirecheck's own H., S. and X. cases send requests or client frames
/// only a server judges.
pub fn for_clients() -> Vec<Case> {
    let mut cases: Vec<Case> = all()
        .into_iter()
        .filter(|c| {
            c.id.to_string().starts_with(|ch: char| ch.is_ascii_digit()) && c.opening.is_none()
        })
        .collect();
    cases.extend(c_client::cases());
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    cases
}

/// wirecheck's H2. cases, which check the HTTP/2 streams that carry
/// WebSockets (`wirecheck ws --http 2` adds them to [`all`]).
pub fn over_http2() -> Vec<Case> {
    h2_streams::cases()
}

/// Every case that tests a server (`wirecheck ws`) over either HTTP version,
/// sorted by id.
pub fn all() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(c1_framing::cases());
    cases.extend(c2_pings::cases());
    cases.extend(c3_reserved_bits::cases());
    cases.extend(c4_opcodes::cases());
    cases.extend(c5_fragmentation::cases());
    cases.extend(c6_utf8::cases());
    cases.extend(c7_close::cases());
    cases.extend(c9_limits::cases());
    cases.extend(c10_misc::cases());
    cases.extend(c12_13_deflate::cases());
    cases.extend(h_handshake::cases());
    cases.extend(s_security::cases());
    cases.extend(x_framing::cases());
    cases.extend(x_deflate::cases());
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    cases
}

// Opcodes (RFC 6455 §5.2), by the names the scripts use.

/// Continuation frame.
const CONT: u8 = 0x0;
/// Text frame.
const TEXT: u8 = 0x1;
/// Binary frame.
const BINARY: u8 = 0x2;
/// Close frame.
const CLOSE: u8 = 0x8;
/// Ping frame.
const PING: u8 = 0x9;
/// Pong frame.
const PONG: u8 = 0xA;

/// `sendFrame`: send this frame as it is (valid or not).
fn send(frame: FrameSpec) -> Step {
    Step::Frame(frame)
}

/// `sendMessage`: send a text or binary message, in frames of at most
/// `fragment_size` bytes when given, else in one frame.
fn message(payload: impl Into<Vec<u8>>, binary: bool, fragment_size: Option<usize>) -> Step {
    Step::Message {
        payload: Payload::exact(payload),
        binary,
        fragment_size,
    }
}

/// The echo of a message: same type, same bytes.
fn echo(payload: impl Into<Vec<u8>>, binary: bool) -> Ev {
    if binary {
        Ev::binary(payload)
    } else {
        Ev::text(payload)
    }
}

/// The server must fail the connection with 1002 (protocol error), or drop TCP.
fn peer_fails_protocol() -> ExpectedClose {
    ExpectedClose::peer_fails(1002)
}

/// The server must fail the connection with 1007 (invalid payload data), or drop
/// TCP; if the fuzzer has to close instead, the server never noticed the bad
/// text, and `behavior` is FAILED too.
fn peer_fails_invalid_utf8() -> ExpectedClose {
    ExpectedClose {
        closed_by_me: false,
        codes: vec![1007],
        require_clean: false,
        closed_by_wrong_endpoint_is_fatal: true,
    }
}

/// The fuzzer closes; the server's Close may carry one of `codes` (or none), and
/// with `require_clean` the close handshake must complete cleanly.
fn fuzzer_closes(codes: &[u16], require_clean: bool) -> ExpectedClose {
    ExpectedClose {
        closed_by_me: true,
        codes: codes.to_vec(),
        require_clean,
        closed_by_wrong_endpoint_is_fatal: false,
    }
}

/// Lower-case hex, for descriptions.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ws::case::Scoring;
    use std::collections::{BTreeMap, BTreeSet, HashSet};
    use std::sync::LazyLock;

    /// The catalogue, built once for all tests (9.x holds some 200 MiB of payloads).
    static ALL: LazyLock<Vec<Case>> = LazyLock::new(all);

    /// Tungstenite's published Autobahn results: one entry per case Autobahn runs.
    const EXPECTED_JSON: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../corpus/reference/tungstenite-autobahn-expected.json"
    );

    #[test]
    fn ids_are_unique() {
        let ids: HashSet<String> = ALL.iter().map(|c| c.id.to_string()).collect();
        assert_eq!(ids.len(), ALL.len());
    }

    #[test]
    fn counts_per_category() {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for c in ALL.iter() {
            *counts.entry(c.id.category()).or_default() += 1;
        }
        let expected: BTreeMap<String, usize> = [
            ("1", 16),
            ("2", 11),
            ("3", 7),
            ("4", 10),
            ("5", 20),
            ("6", 145),
            ("7", 37),
            ("9", 54),
            ("10", 1),
            ("12", 90),
            ("13", 126),
            ("H", 20),
            ("S", 13),
            ("X", 22),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        assert_eq!(counts, expected);
        assert_eq!(ALL.len(), 517 + 20 + 22 + 13);
        assert_eq!(ALL.iter().filter(|c| c.full_profile).count(), 3);
        assert_eq!(ALL.iter().filter(|c| c.id.is_autobahn()).count(), 517);
    }

    #[test]
    fn ids_match_autobahn() {
        let text = std::fs::read_to_string(EXPECTED_JSON).unwrap_or_else(|e| {
            panic!("cannot read {EXPECTED_JSON} ({e}): it is vendored in corpus/reference/")
        });
        let json: serde_json::Value =
            serde_json::from_str(&text).expect("the expected results are valid JSON");
        let agents = json.as_object().expect("an object keyed by agent");
        assert_eq!(agents.len(), 1, "one agent in {EXPECTED_JSON}");
        let (_, results) = agents.iter().next().unwrap();
        let theirs: BTreeSet<String> = results
            .as_object()
            .expect("an object keyed by case id")
            .keys()
            .cloned()
            .collect();
        let ours: BTreeSet<String> = ALL
            .iter()
            .filter(|c| c.id.is_autobahn())
            .map(|c| c.id.to_string())
            .collect();
        let missing: Vec<_> = theirs.difference(&ours).collect();
        let extra: Vec<_> = ours.difference(&theirs).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "missing {missing:?}, extra {extra:?}"
        );
    }

    /// Sorted by id, wirecheck's own cases after Autobahn's.
    #[test]
    fn sorted_by_id() {
        assert!(ALL.windows(2).all(|w| w[0].id < w[1].id));
        let first_own = ALL.iter().position(|c| !c.id.is_autobahn());
        assert!(first_own.is_some_and(|i| ALL[i..].iter().all(|c| !c.id.is_autobahn())));
    }

    /// The text payload a case sends (the concatenation of its text and
    /// continuation payloads), for the UTF-8 cases.
    fn text_sent(case: &Case) -> Vec<u8> {
        let mut out = Vec::new();
        for step in &case.steps {
            match step {
                Step::Frame(f) if f.opcode == TEXT || f.opcode == CONT => {
                    out.extend(f.full_payload());
                }
                Step::Message {
                    payload,
                    binary: false,
                    ..
                } => out.extend(payload.bytes()),
                Step::FrameData(d) => out.extend(d),
                _ => {}
            }
        }
        out
    }

    #[test]
    fn utf8_expectations_follow_validity() {
        let mut generated = (0, 0);
        for c in ALL.iter().filter(|c| c.id.category() == "6") {
            let sent = text_sent(c);
            let valid = std::str::from_utf8(&sent).is_ok();
            if c.id.to_string().starts_with("6.4.") {
                // Fail-fast cases: invalid text, judged by the timeouts seen.
                assert!(!valid, "{}", c.id);
                assert_eq!(c.expected_close, peer_fails_invalid_utf8(), "{}", c.id);
                continue;
            }
            if valid {
                assert_eq!(c.expected.ok, vec![Ev::text(sent)], "{}", c.id);
                assert_eq!(
                    c.expected_close,
                    ExpectedClose::fuzzer_closes_normally(),
                    "{}",
                    c.id
                );
            } else {
                assert!(c.expected.ok.is_empty(), "{}", c.id);
                assert_eq!(c.expected_close, peer_fails_invalid_utf8(), "{}", c.id);
            }
            assert!(c.expected.non_strict.is_none(), "{}", c.id);
            if c.id.0[1] >= crate::ws::case::IdPart::Num(5) {
                if valid {
                    generated.0 += 1;
                } else {
                    generated.1 += 1;
                }
            }
        }
        assert_eq!(generated, (63, 69), "valid and invalid vectors of 6.5-6.23");
    }

    #[test]
    fn utf8_table_agrees_with_std() {
        for g in c6_utf8::vector_groups() {
            for (i, (validity, bytes)) in g.vectors.iter().enumerate() {
                let valid = std::str::from_utf8(bytes).is_ok();
                assert_eq!(
                    valid,
                    *validity == c6_utf8::Validity::Valid,
                    "6.{}.{}",
                    g.sub,
                    i + 1
                );
            }
        }
    }

    fn has(case: &Case, pred: impl Fn(&Step) -> bool) -> bool {
        case.steps.iter().any(pred)
    }

    #[test]
    fn peer_closing_cases_arm_kill_after() {
        for c in ALL.iter().filter(|c| !c.expected_close.closed_by_me) {
            assert!(
                has(c, |s| matches!(s, Step::KillAfter(_))),
                "{} expects the server to close but arms no killAfter",
                c.id
            );
        }
    }

    /// No run can hang: every case arms a timer; a round-trip case arms its
    /// `closeAfter` (the driver does), a deflate case that is declined
    /// closes at once, and slowloris (S.2.5) never opens and ends by its
    /// stall's total.
    #[test]
    fn every_case_has_a_timer() {
        for c in ALL.iter() {
            if let Some(stall) = c.opening.as_ref().and_then(|s| s.stall) {
                assert!(
                    !stall.total.is_zero() && stall.interval < stall.total,
                    "{}",
                    c.id
                );
                continue;
            }
            match c.scoring.round_trips() {
                Some(rt) => assert!(!rt.timeout.is_zero(), "{}", c.id),
                None => assert!(
                    has(c, |s| matches!(s, Step::KillAfter(_) | Step::CloseAfter(_))),
                    "{} arms no timer",
                    c.id
                ),
            }
        }
    }

    #[test]
    fn scoring_per_category() {
        for c in ALL.iter() {
            let id = c.id.to_string();
            let expected = match c.id.category().as_str() {
                "7" if id == "7.1.6" || id.starts_with("7.13.") => "informational",
                "H" if id == "H.5.4" => "informational",
                "X" if id == "X.2.1" || id == "X.2.2" => "informational",
                "X" if id == "X.3.5" => "echoes close code",
                "X" if id.starts_with("X.3.") => "wrong code fails",
                "S" if id.starts_with("S.3.") || id == "S.2.5" => "informational",
                "7" => "wrong code fails",
                "9" => "round trips",
                "12" | "13" => "deflate",
                _ => "standard",
            };
            let actual = match c.scoring {
                Scoring::Standard => "standard",
                Scoring::WrongCodeFails => "wrong code fails",
                Scoring::Informational => "informational",
                Scoring::RoundTrips(_) => "round trips",
                Scoring::Deflate(_) => "deflate",
                Scoring::MaskingKeys => "masking keys",
                Scoring::WaitsForDrop => "waits for drop",
                Scoring::EchoesCloseCode => "echoes close code",
            };
            assert_eq!(actual, expected, "{id}");
            assert_eq!(c.report_time, c.scoring.round_trips().is_some(), "{id}");
            // Only the deflate cases, the decompression bombs and the own
            // deflate rules offer the extension (as a typed offer), and all
            // of them do.
            let own = id.starts_with("S.4.") || ["X.5.5", "X.5.6", "X.5.7"].contains(&id.as_str());
            assert_eq!(c.deflate.is_some(), expected == "deflate" || own, "{id}");
        }
    }

    /// The client cases: Autobahn's 517, with the roles reversed (none sends
    /// its own request; only 12.x/13.x negotiate deflate), and the C.
    /// ones, which only a client meets; C.1 judges masking keys.
    #[test]
    fn the_client_catalogue_is_autobahns_core_and_the_c_cases() {
        let clients = for_clients();
        let count = |p: &str| {
            clients
                .iter()
                .filter(|c| c.id.to_string().starts_with(p))
                .count()
        };
        assert_eq!(clients.len() - count("C."), 517);
        assert!(count("C.") >= 10);
        for c in &clients {
            let id = c.id.to_string();
            assert!(c.opening.is_none(), "{id}");
            assert_eq!(
                c.deflate.is_some(),
                id.starts_with("12.") || id.starts_with("13."),
                "{id}"
            );
            assert_eq!(c.answer.is_some(), id.starts_with("C.2."), "{id}");
            assert_eq!(
                c.scoring == Scoring::MaskingKeys,
                id.starts_with("C.1."),
                "{id}"
            );
            assert_eq!(
                c.scoring == Scoring::EchoesCloseCode,
                id.starts_with("C.5.") || id == "X.3.5",
                "{id}"
            );
            assert!(
                !ALL.iter().any(|s| s.id == c.id) || !id.starts_with("C."),
                "{id}"
            );
        }
    }

    /// 9.x: the steps send exactly the one message the round trips check;
    /// 12.x/13.x: no steps, the windows are the messages.
    #[test]
    fn round_trip_steps_send_the_checked_payload() {
        use crate::ws::case::Messages;
        for c in ALL.iter() {
            let Some(rt) = c.scoring.round_trips() else {
                continue;
            };
            let payload = match &rt.messages {
                Messages::Steps(p) => p,
                Messages::Windows { .. } => {
                    assert!(c.steps.is_empty(), "{}", c.id);
                    continue;
                }
            };
            assert_eq!(c.steps.len(), 1, "{}", c.id);
            let (sent, sent_binary) = match &c.steps[0] {
                Step::Frame(f) => (f.payload_spec(), f.opcode == BINARY),
                Step::Message {
                    payload, binary, ..
                } => (payload.clone(), *binary),
                other => panic!("{}: unexpected step {other:?}", c.id),
            };
            assert_eq!(sent_binary, rt.binary, "{}", c.id);
            assert_eq!(
                sent.bytes(),
                payload.bytes(),
                "{}: the checked payload differs",
                c.id
            );
        }
    }

    #[test]
    fn descriptions_are_filled_in() {
        for c in ALL.iter() {
            assert!(!c.description.trim().is_empty(), "{}", c.id);
            assert!(!c.expectation.trim().is_empty(), "{}", c.id);
        }
    }
}
