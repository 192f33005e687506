//! wirecheck's own opening-handshake cases (`H.`) against servers that break
//! their rules, in memory: a lenient server that upgrades any request with a
//! readable head (every `H.` case that expects a refusal must be FAILED, the
//! valid spellings OK), and a picky one that upgrades only the textbook
//! spelling (the valid variants must be FAILED). The reference server's
//! verdicts (all OK) are checked with the whole catalogue in
//! `ws_memory_reference.rs` and over sockets in `ws_runner_reference.rs`.

#[path = "support/memory.rs"]
mod memory;

use wirecheck::core::Behavior;
use wirecheck::ws::case::{Case, Expect, Scoring};
use wirecheck::ws::cases;
use wirecheck::ws::driver::Role;
use wirecheck_codec::http::RequestParser;
use wirecheck_codec::ws::handshake::accept_key;
use wirecheck_codec::ws::message::Config;
use wirecheck_codec::ws::{Connection, Event, Limits};

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

struct Broken {
    policy: Policy,
    head: Vec<u8>,
    conn: Option<Connection>,
    out: Vec<u8>,
    closed: bool,
}

impl Broken {
    fn new(policy: Policy) -> Self {
        Broken {
            policy,
            head: Vec::new(),
            conn: None,
            out: Vec::new(),
            closed: false,
        }
    }

    fn upgrade(&mut self, request: &wirecheck_codec::http::Request) -> bool {
        let value = |name: &str| {
            request
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| String::from_utf8_lossy(&h.value).trim().to_owned())
        };
        match self.policy {
            Policy::Anything => true,
            Policy::TextbookSpellingOnly => {
                let valid = matches!(
                    wirecheck_codec::ws::handshake::RequestParser::default().feed(&self.head),
                    Ok(Some(p)) if p.value.validate().is_ok()
                );
                valid
                    && value("Upgrade").as_deref() == Some("websocket")
                    && value("Connection").as_deref() == Some("Upgrade")
            }
        }
    }
}

impl memory::Peer for Broken {
    fn receive(&mut self, bytes: &[u8]) {
        if self.closed {
            return;
        }
        if let Some(conn) = self.conn.as_mut() {
            echo(conn, &mut bytes.to_vec());
            self.out.append(&mut conn.take_outbound());
            self.closed = conn.should_close_tcp();
            return;
        }
        self.head.extend_from_slice(bytes);
        let parsed = match RequestParser::default().feed(&self.head) {
            Ok(Some(parsed)) => parsed,
            Ok(None) => return,
            Err(_) => {
                self.out = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n".to_vec();
                self.closed = true;
                return;
            }
        };
        if !self.upgrade(&parsed.value) {
            self.out = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n".to_vec();
            self.closed = true;
            return;
        }
        let key = parsed
            .value
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("sec-websocket-key"))
            .map(|h| h.value.clone())
            .unwrap_or_default();
        self.out = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
            accept_key(&key)
        )
        .into_bytes();
        let mut conn = Connection::server(Config {
            limits: Limits {
                max_frame_size: 1 << 20,
                max_message_size: 1 << 20,
            },
            ..Config::new(wirecheck_codec::ws::Role::Server)
        });
        let mut rest = self.head[parsed.consumed..].to_vec();
        echo(&mut conn, &mut rest);
        self.out.append(&mut conn.take_outbound());
        self.conn = Some(conn);
    }

    fn transmit(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    fn closed(&self) -> bool {
        self.closed && self.out.is_empty()
    }
}

/// Echo every message in `input` (RFC 6455 as the codec's endpoint does it).
fn echo(conn: &mut Connection, mut input: &mut [u8]) {
    while let Ok(Some((event, tx))) = conn.receive(&mut input) {
        if let Event::Message { kind, data, .. } = event {
            let _ = tx.send_message(kind, data);
        }
    }
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
        let r = memory::run(
            case,
            i + 1,
            Role::Client,
            &mut Broken::new(Policy::Anything),
        );
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
            Expect::Accept => {
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
            &mut Broken::new(Policy::TextbookSpellingOnly),
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
