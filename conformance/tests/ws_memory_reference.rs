//! The whole catalogue in memory, with simulated time: the case driver (the
//! same one `wirecheck ws` runs over sockets) against the codec's reference
//! endpoint, `wirecheck_codec::ws::Connection` as a server echoing every
//! message (the frame loop of `wirecheck serve ws`). No sockets, no sleeps,
//! deterministic: every case OK (INFORMATIONAL where Autobahn always says
//! so), the permessage-deflate cases over a negotiated extension as the server
//! negotiates it, every close OK; and each case's events and close exactly
//! what the case expects. The compression cases run here are the light ones
//! (`verdicts::light`); a server that declines the extension makes them
//! UNIMPLEMENTED.
//!
//! This replaces a second model of Autobahn's cases at the codec level: the
//! catalogue itself is what runs here.

#[path = "support/memory.rs"]
mod memory;
#[path = "support/verdicts.rs"]
mod verdicts;

use wirecheck::core::{Behavior, BehaviorClose};
use wirecheck::ws::cases;
use wirecheck::ws::driver::Role;
use wirecheck_codec::ws::deflate::{ServerPolicy, negotiate};
use wirecheck_codec::ws::handshake::{AcceptResponse, RequestParser, error_response};
use wirecheck_codec::ws::message::Config;
use wirecheck_codec::ws::{Connection, Event, Limits};

/// The reference server: the codec's request validation and Connection,
/// echoing, with `wirecheck serve ws`'s limits.
struct Reference {
    /// The permessage-deflate policy, or `None` to decline every offer.
    deflate: Option<ServerPolicy>,
    parser: RequestParser,
    conn: Option<Connection>,
    out: Vec<u8>,
    closed: bool,
}

impl Reference {
    fn new() -> Self {
        Reference {
            deflate: Some(ServerPolicy::default()),
            parser: RequestParser::default(),
            conn: None,
            out: Vec::new(),
            closed: false,
        }
    }
}

impl memory::Peer for Reference {
    fn receive(&mut self, bytes: &[u8]) {
        if self.closed {
            return;
        }
        let Some(conn) = self.conn.as_mut() else {
            match self.parser.feed(bytes) {
                Ok(None) => {}
                Ok(Some(parsed)) => {
                    // An invalid opening request (the H. cases) is answered
                    // as `wirecheck serve ws` answers it, then TCP closes.
                    let upgrade = match parsed.value.validate() {
                        Ok(upgrade) => upgrade,
                        Err(e) => {
                            self.out = error_response(&e);
                            self.closed = true;
                            return;
                        }
                    };
                    // RFC 7692 §5.1: the first valid offer, as `wirecheck serve ws`.
                    let deflate = self
                        .deflate
                        .and_then(|policy| negotiate(&upgrade.extensions, &policy));
                    let mut accept = AcceptResponse::new(&upgrade);
                    if let Some((answer, _)) = &deflate {
                        accept = accept.extension(answer.clone());
                    }
                    self.out = accept.encode().expect("a response");
                    let mut conn = Connection::server(Config {
                        limits: Limits {
                            max_frame_size: 16 << 20,
                            max_message_size: 16 << 20,
                        },
                        ..Config::new(wirecheck_codec::ws::Role::Server)
                    });
                    if let Some((_, agreed)) = deflate {
                        conn.use_deflate(agreed);
                    }
                    let mut rest = bytes[parsed.consumed..].to_vec();
                    echo(&mut conn, &mut rest);
                    self.out.append(&mut conn.take_outbound());
                    self.closed = conn.should_close_tcp();
                    self.conn = Some(conn);
                }
                Err(e) => {
                    self.out = error_response(&e);
                    self.closed = true;
                }
            }
            return;
        };
        let mut bytes = bytes.to_vec();
        echo(conn, &mut bytes);
        self.out.append(&mut conn.take_outbound());
        // RFC 6455 §7.1.1: the server closes TCP once the handshake is done or
        // the connection failed, after what it had to send.
        self.closed = conn.should_close_tcp();
    }

    fn transmit(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    fn closed(&self) -> bool {
        self.closed && self.out.is_empty()
    }
}

fn echo(conn: &mut Connection, mut input: &mut [u8]) {
    while let Ok(Some((event, tx))) = conn.receive(&mut input) {
        if let Event::Message { kind, data, .. } = event {
            let _ = tx.send_message(kind, data);
        }
    }
}

#[test]
fn in_memory_the_reference_endpoint_passes_every_case_as_expected() {
    let mut wrong = Vec::new();
    for (i, case) in cases::all()
        .iter()
        .filter(|c| verdicts::light(c))
        .enumerate()
    {
        let r = memory::run(case, i + 1, Role::Client, &mut Reference::new());
        let id = r.id.to_string();
        let want = verdicts::reference_verdicts(&id);
        if (r.behavior, r.behavior_close) != want {
            wrong.push(format!(
                "{id}: {:?} {:?}: {} / {}",
                r.behavior, r.behavior_close, r.result, r.result_close
            ));
            continue;
        }
        if want != (Behavior::Ok, BehaviorClose::Ok) {
            continue;
        }
        if !r.close.was_open {
            // An opening request the server refused, as the case expects
            // (the H. cases) or allows (the S.2 heads, which the reference
            // server's head limits refuse): no connection, nothing more to check.
            use wirecheck::ws::case::Expect;
            assert!(
                case.opening
                    .as_ref()
                    .is_some_and(|s| matches!(s.expect, Expect::Refuse | Expect::Either)),
                "{id}: never opened"
            );
            assert!(
                r.http_response.starts_with("HTTP/1.1 4"),
                "{id}: {}",
                r.http_response
            );
            continue;
        }
        // OK means exactly the events of the OK list, and a close by the
        // endpoint the case names with one of its codes.
        if r.received != case.expected.ok && r.behavior == Behavior::Ok {
            wrong.push(format!("{id}: received {:?}", r.received));
        }
        if r.close.closed_by_me != case.expected_close.closed_by_me {
            wrong.push(format!("{id}: closed by the wrong endpoint"));
        }
        if let Some(code) = r.close.remote_close_code {
            if !case.expected_close.codes.contains(&code) {
                wrong.push(format!("{id}: close code {code}"));
            }
        }
        assert!(r.limits.is_empty(), "{id}: {:?}", r.limits);
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// The same driver, the same cases, run twice: simulated time and a fixed seed
/// make a run reproducible byte for byte (events, close, wire log).
#[test]
fn in_memory_runs_are_deterministic() {
    for case in cases::all()
        .iter()
        .filter(|c| c.id.category() != "9" && verdicts::light(c))
    {
        let a = memory::run(case, 1, Role::Client, &mut Reference::new());
        let b = memory::run(case, 1, Role::Client, &mut Reference::new());
        assert_eq!(a.received, b.received, "{}", case.id);
        assert_eq!(a.close, b.close, "{}", case.id);
        assert_eq!(
            format!("{:?}", a.wirelog),
            format!("{:?}", b.wirelog),
            "{}",
            case.id
        );
        assert_eq!(a.duration_ms, b.duration_ms, "{}", case.id);
    }
}
