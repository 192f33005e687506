//! wirecheck's own opening-handshake cases (`H.`) against servers that break
//! their rules, in memory: a lenient server that upgrades any request with a
//! readable head (every `H.` case that expects a refusal must be FAILED, the
//! valid spellings OK), and a picky one that upgrades only the textbook
//! spelling (the valid variants must be FAILED). The reference server's
//! verdicts (all OK) are checked with the whole catalogue in
//! `ws_memory_reference.rs` and over sockets in `ws_runner_reference.rs`.

#[path = "support/echo_peer.rs"]
mod echo_peer;
#[path = "support/memory.rs"]
mod memory;

use echo_peer::{EchoPeer, header};
use wirecheck::core::Behavior;
use wirecheck::ws::case::{Case, Expect, Scoring};
use wirecheck::ws::cases;
use wirecheck::ws::driver::Role;

/// What the broken server accepts.
#[derive(Clone, Copy)]
enum Policy {
    /// Any request whose head parses: the first `Sec-WebSocket-Key` (or none)
    /// gets its Accept.
    Anything,
    /// A valid request (the codec's rules), and only with `Upgrade:
    /// websocket` and `Connection: Upgrade` exactly: one token, this case.
    TextbookSpellingOnly,
}

/// The broken server of `policy`.
fn broken(policy: Policy) -> EchoPeer {
    EchoPeer::new(move |head, request| match policy {
        Policy::Anything => true,
        Policy::TextbookSpellingOnly => {
            let valid = matches!(
                wirecheck_codec::ws::handshake::RequestParser::default().feed(head),
                Ok(Some(p)) if p.value.validate().is_ok()
            );
            valid
                && header(request, "Upgrade").as_deref() == Some("websocket")
                && header(request, "Connection").as_deref() == Some("Upgrade")
        }
    })
}

fn own_handshake_cases() -> Vec<Case> {
    cases::all()
        .into_iter()
        .filter(|c| c.id.category() == "H")
        .collect()
}

fn expects(case: &Case) -> Expect {
    case.opening
        .as_ref()
        .expect("an H. case sends its own request")
        .expect
}

#[test]
fn a_server_that_upgrades_anything_fails_every_refusal_case() {
    let all = own_handshake_cases();
    assert!(all.len() >= 15, "{} H. cases", all.len());
    for (i, case) in all.iter().enumerate() {
        let r = memory::run(case, i + 1, Role::Client, &mut broken(Policy::Anything));
        if case.scoring == Scoring::Informational {
            // H.5.4: the RFC leaves it to the server; the report says what it did.
            assert_eq!(r.behavior, Behavior::Informational, "{}", case.id);
            assert_eq!(
                r.result,
                "informational: the server accepted the request (101)"
            );
            continue;
        }
        match expects(case) {
            Expect::Refuse => {
                assert_eq!(r.behavior, Behavior::Failed, "{}: {}", case.id, r.result);
                assert!(r.result.contains("accepted"), "{}: {}", case.id, r.result);
                // wirecheck closed the connection it should not have got.
                assert_eq!(r.close.local_close_code, Some(1000), "{}", case.id);
            }
            Expect::Accept | Expect::Either => {
                assert_eq!(r.behavior, Behavior::Ok, "{}: {}", case.id, r.result);
            }
        }
    }
}

#[test]
fn a_server_that_wants_the_textbook_spelling_fails_the_valid_variants() {
    let mut failed = Vec::new();
    for (i, case) in own_handshake_cases().iter().enumerate() {
        let r = memory::run(
            case,
            i + 1,
            Role::Client,
            &mut broken(Policy::TextbookSpellingOnly),
        );
        if case.scoring == Scoring::Informational {
            assert_eq!(r.behavior, Behavior::Informational, "{}", case.id);
            assert!(r.result.contains("status 400"), "{}: {}", case.id, r.result);
            continue;
        }
        if r.behavior == Behavior::Failed {
            assert!(r.result.contains("refused"), "{}: {}", case.id, r.result);
            failed.push(case.id.to_string());
        } else {
            assert_eq!(r.behavior, Behavior::Ok, "{}: {}", case.id, r.result);
        }
    }
    // Mixed case, a token list, whitespace around tokens: valid, refused.
    // Version 99: refused, but with a bare 400 that names no version.
    assert_eq!(failed, ["H.3.4", "H.3.5", "H.3.6", "H.5.1"]);
}

/// RFC 6455 §4.1: a subprotocol the client did not offer fails the
/// connection; H.7.1 offers two.
#[test]
fn a_server_that_selects_a_subprotocol_nobody_offered_fails_h_7_1() {
    let case = own_handshake_cases()
        .into_iter()
        .find(|c| c.id.to_string() == "H.7.1")
        .expect("H.7.1");
    for (selects, ok) in [
        ("wirecheck.two", true),
        ("chat", false),
        ("wirecheck.one, wirecheck.two", false),
    ] {
        let mut server = EchoPeer::new(|_, _| true).header("Sec-WebSocket-Protocol", selects);
        let r = memory::run(&case, 1, Role::Client, &mut server);
        if ok {
            assert_eq!(r.behavior, Behavior::Ok, "{selects}: {}", r.result);
        } else {
            assert_eq!(r.behavior, Behavior::Failed, "{selects}: {}", r.result);
            assert!(
                r.result.contains("not one of the subprotocols offered"),
                "{}",
                r.result
            );
        }
    }
}

/// A 101 to another protocol is neither a refusal nor a WebSocket: hypercorn
/// 0.18 answers H.3.3's `Upgrade: h2c` (without HTTP2-Settings) so.
#[test]
fn a_server_that_switches_to_h2c_fails_h_3_3_naming_the_protocol() {
    let case = own_handshake_cases()
        .into_iter()
        .find(|c| c.id.to_string() == "H.3.3")
        .expect("H.3.3");
    let mut server = EchoPeer::new(|_, _| true).switching_to("h2c");
    let r = memory::run(&case, 1, Role::Client, &mut server);
    assert_eq!(r.behavior, Behavior::Failed, "{}", r.result);
    assert!(
        r.result.contains("101 Switching Protocols to \"h2c\""),
        "{}",
        r.result
    );
    assert!(r.result.contains("RFC 7540 §3.2.1"), "{}", r.result);
    // A valid spelling answered with another protocol fails too.
    let valid = own_handshake_cases()
        .into_iter()
        .find(|c| c.id.to_string() == "H.3.4")
        .expect("H.3.4");
    let mut server = EchoPeer::new(|_, _| true).switching_to("h2c");
    let r = memory::run(&valid, 1, Role::Client, &mut server);
    assert_eq!(r.behavior, Behavior::Failed, "{}", r.result);
}
