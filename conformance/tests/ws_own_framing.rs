//! wirecheck's own framing cases (`X.`) against a naive server, in memory.
//!
//! The server is written here on purpose, not with the codec: it has the
//! defects the X. cases exist to find, the ones a server written from a
//! tutorial has. It never looks at the MASK bit's absence, takes whatever
//! length the header announces (any form, bit 63 included) and waits for it,
//! buffers a frame whole before it checks its text, and echoes any close
//! code. A second flavour knows only the close codes RFC 6455 lists, as
//! servers written before IANA registered 1012-1014 do; a third accepts any
//! permessage-deflate offer, inflates a message whose first frame has RSV1
//! and never looks at RSV1 anywhere else; a fourth refuses any
//! request that offers an extension. Each case must give
//! the verdict its rule says; the reference server's (all OK) are checked
//! with the whole catalogue in `ws_memory_reference.rs`.

#[path = "support/memory.rs"]
mod memory;
#[path = "support/ws_server.rs"]
mod ws_server;

use std::collections::BTreeMap;

use wirecheck::core::Behavior;
use wirecheck::ws::cases;
use wirecheck::ws::driver::Role;
use wirecheck_codec::ws::handshake::{AcceptResponse, RequestParser};

/// A server with the defects above.
struct Naive {
    /// Only the close codes RFC 6455 §7.4.1 lists are valid (1012-1014 not).
    dated_codes: bool,
    /// Accepts any permessage-deflate offer, inflates a message whose first
    /// frame has RSV1 set, and looks at RSV1 nowhere else.
    accepts_deflate: bool,
    /// With `accepts_deflate`: the data message being reassembled (opcode,
    /// compressed, payload so far).
    message: Option<(u8, bool, Vec<u8>)>,
    /// Keeps reading (and echoing) after it sent its Close.
    reads_after_close: bool,
    head: Vec<u8>,
    open: bool,
    buf: Vec<u8>,
    out: Vec<u8>,
    closed: bool,
}

impl Naive {
    fn new(dated_codes: bool) -> Self {
        Naive {
            dated_codes,
            accepts_deflate: false,
            message: None,
            reads_after_close: false,
            head: Vec::new(),
            open: false,
            buf: Vec::new(),
            out: Vec::new(),
            closed: false,
        }
    }

    /// One unmasked, final frame with the minimal length form.
    fn send(&mut self, opcode: u8, payload: &[u8]) {
        self.out.push(0x80 | opcode);
        match payload.len() {
            n @ 0..=125 => self.out.push(n as u8),
            n @ 126..=0xffff => {
                self.out.push(126);
                self.out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                self.out.push(127);
                self.out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        self.out.extend_from_slice(payload);
    }

    /// Take every complete frame off the buffer.
    fn frames(&mut self) {
        while (!self.closed || self.reads_after_close) && self.buf.len() >= 2 {
            let (b0, b1) = (self.buf[0], self.buf[1]);
            let (len, mut at) = match b1 & 0x7f {
                126 if self.buf.len() >= 4 => {
                    (u64::from(u16::from_be_bytes([self.buf[2], self.buf[3]])), 4)
                }
                127 if self.buf.len() >= 10 => {
                    let bytes: [u8; 8] = self.buf[2..10].try_into().unwrap();
                    (u64::from_be_bytes(bytes), 10)
                }
                126 | 127 => return,
                n => (u64::from(n), 2),
            };
            // The MASK bit is read, never required.
            let key = if b1 & 0x80 != 0 {
                let Some(key) = self.buf.get(at..at + 4) else {
                    return;
                };
                at += 4;
                <[u8; 4]>::try_from(key).unwrap()
            } else {
                [0; 4]
            };
            // Waits for whatever was announced (nothing more than the test
            // sends is ever buffered).
            if ((self.buf.len() - at) as u64) < len {
                return;
            }
            let end = at + len as usize;
            let payload: Vec<u8> = self.buf[at..end]
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ key[i % 4])
                .collect();
            self.buf.drain(..end);
            if self.accepts_deflate {
                self.reassemble(b0, &payload);
            } else {
                self.handle(b0 & 0x0f, &payload);
            }
        }
    }

    /// With deflate: fragments joined, the message inflated when its first
    /// frame had RSV1; RSV1 on a continuation or a control frame goes unseen.
    fn reassemble(&mut self, b0: u8, payload: &[u8]) {
        let (fin, rsv1, opcode) = (b0 & 0x80 != 0, b0 & 0x40 != 0, b0 & 0x0f);
        if opcode >= 0x8 {
            return self.handle(opcode, payload);
        }
        let (op, compressed, mut data) = match (opcode, self.message.take()) {
            (0, Some(m)) => m,
            (0, None) => return,
            (op, _) => (op, rsv1, Vec::new()),
        };
        data.extend_from_slice(payload);
        if !fin {
            self.message = Some((op, compressed, data));
            return;
        }
        if compressed {
            // RFC 7692 §7.2.2: the tail the sender removed.
            data.extend_from_slice(&[0x00, 0x00, 0xff, 0xff]);
            let mut inflated = Vec::with_capacity(64 * 1024);
            let mut inflater = flate2::Decompress::new(false);
            if inflater
                .decompress_vec(&data, &mut inflated, flate2::FlushDecompress::Sync)
                .is_err()
            {
                return self.close(1007);
            }
            data = inflated;
        }
        self.handle(op, &data);
    }

    fn handle(&mut self, opcode: u8, payload: &[u8]) {
        match opcode {
            0x1 if std::str::from_utf8(payload).is_err() => self.close(1007),
            0x1 | 0x2 => self.send(opcode, payload),
            0x9 => self.send(0xA, payload),
            0x8 => {
                let code = match payload {
                    [a, b, ..] => u16::from_be_bytes([*a, *b]),
                    _ => 1000,
                };
                let listed = matches!(code, 1000..=1003 | 1007..=1011 | 3000..=4999);
                self.close(if self.dated_codes && !listed {
                    1002
                } else {
                    code
                });
            }
            _ => {}
        }
    }

    fn close(&mut self, code: u16) {
        self.send(0x8, &code.to_be_bytes());
        self.closed = true;
    }
}

impl memory::Peer for Naive {
    fn receive(&mut self, bytes: &[u8]) {
        if self.closed && !self.reads_after_close {
            return;
        }
        if self.open {
            self.buf.extend_from_slice(bytes);
            return self.frames();
        }
        self.head.extend_from_slice(bytes);
        let Ok(Some(parsed)) = RequestParser::default().feed(&self.head) else {
            return;
        };
        let response = parsed
            .value
            .validate()
            .ok()
            .and_then(|upgrade| AcceptResponse::new(&upgrade).encode().ok());
        let response = response.map(|mut r| {
            if self.accepts_deflate {
                // Before the blank line that ends the head.
                r.truncate(r.len() - 2);
                r.extend_from_slice(b"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n");
            }
            r
        });
        let Some(response) = response else {
            self.out = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n".to_vec();
            self.closed = true;
            return;
        };
        self.out = response;
        self.open = true;
        self.buf = self.head[parsed.consumed..].to_vec();
        self.frames();
    }

    fn transmit(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    fn closed(&self) -> bool {
        self.closed && self.out.is_empty()
    }
}

/// Every X. case against the naive server: its verdicts by id, with the
/// results' texts.
fn verdicts(dated_codes: bool) -> BTreeMap<String, (Behavior, String)> {
    verdicts_of(|| Naive::new(dated_codes))
}

fn verdicts_of(server: impl Fn() -> Naive) -> BTreeMap<String, (Behavior, String)> {
    let all: Vec<_> = cases::all()
        .into_iter()
        .filter(|c| c.id.category() == "X")
        .collect();
    assert!(all.len() >= 19, "{} X. cases", all.len());
    all.iter()
        .enumerate()
        .map(|(i, case)| {
            let r = memory::run(case, i + 1, Role::Client, &mut server());
            let failed_close = r.close.remote_close_code;
            (
                case.id.to_string(),
                (r.behavior, format!("{} (close {failed_close:?})", r.result)),
            )
        })
        .collect()
}

fn ids_with(v: &BTreeMap<String, (Behavior, String)>, b: Behavior) -> Vec<&str> {
    v.iter()
        .filter(|(_, (got, _))| *got == b)
        .map(|(id, _)| id.as_str())
        .collect()
}

#[test]
fn a_naive_server_fails_the_masking_length_and_close_code_rules() {
    let v = verdicts(false);
    assert_eq!(
        ids_with(&v, Behavior::Failed),
        ["X.1.1", "X.1.2", "X.2.3", "X.2.4", "X.3.4"],
        "{v:#?}"
    );
    // It waits for the whole frame, then fails on its text: late, not never.
    assert_eq!(ids_with(&v, Behavior::NonStrict), ["X.4.1"], "{v:#?}");
    // Non-minimal lengths are its choice; the report says it accepted them.
    assert_eq!(
        ids_with(&v, Behavior::Informational),
        ["X.2.1", "X.2.2"],
        "{v:#?}"
    );
    for id in ["X.2.1", "X.2.2"] {
        assert!(v[id].1.contains("strict outcome happened"), "{id}: {v:?}");
    }
    // The unmasked frame was echoed; the long wait ended by wirecheck.
    assert!(v["X.1.1"].1.contains("received text message of 5 bytes"));
    assert!(v["X.2.4"].1.contains("never failed the connection"));
    // It echoes 1015, which it must never send: wirecheck says so.
    assert!(v["X.3.4"].1.contains("broke a rule"), "{v:?}");
    // The zero key, the registered codes: fine; it declines every deflate
    // offer (X.5.1-X.5.4 open without it), so X.5.5-X.5.7 do not apply.
    assert_eq!(
        ids_with(&v, Behavior::Ok),
        [
            "X.1.3", "X.3.1", "X.3.2", "X.3.3", "X.3.5", "X.5.1", "X.5.2", "X.5.3", "X.5.4",
            // In memory nothing probes after the dropped connection (the
            // socket test below does).
            "X.6.1", "X.6.2"
        ],
        "{v:#?}"
    );
    assert_eq!(
        ids_with(&v, Behavior::Unimplemented),
        ["X.5.5", "X.5.6", "X.5.7"],
        "{v:#?}"
    );
}

#[test]
fn a_server_that_knows_only_rfc_6455_codes_fails_the_registered_ones() {
    let v = verdicts(true);
    for id in ["X.3.1", "X.3.2", "X.3.3"] {
        assert_eq!(v[id].0, Behavior::Failed, "{id}: {v:?}");
        assert!(v[id].1.contains("was 1002"), "{id}: {v:?}");
    }
    // 1015 is refused, as it must be.
    assert_eq!(v["X.3.4"].0, Behavior::Ok, "{v:?}");
}

#[test]
fn a_server_that_accepts_any_deflate_offer_fails_the_offers_it_must_decline() {
    let v = verdicts_of(|| Naive {
        accepts_deflate: true,
        ..Naive::new(false)
    });
    for id in ["X.5.1", "X.5.2", "X.5.3", "X.5.4"] {
        assert_eq!(v[id].0, Behavior::Failed, "{id}: {v:?}");
        assert!(v[id].1.contains("must decline"), "{id}: {v:?}");
    }
    // An uncompressed message on the compressed connection: echoed, fine.
    assert_eq!(v["X.5.5"].0, Behavior::Ok, "{v:?}");
    // RSV1 on the continuation goes unseen: it inflates and echoes "Hello".
    assert_eq!(v["X.5.6"].0, Behavior::Failed, "{v:?}");
    assert!(
        v["X.5.6"].1.contains("received text message of 5 bytes"),
        "{v:?}"
    );
    // It answers a Ping with RSV1 set.
    assert_eq!(v["X.5.7"].0, Behavior::Failed, "{v:?}");
    assert!(v["X.5.7"].1.contains("pong"), "{v:?}");
}

#[test]
fn a_server_that_reads_on_after_its_close_fails_x_6_2() {
    // It sends its Close (1007) and then still echoes the message behind the
    // bad one: a data frame after its Close.
    let v = verdicts_of(|| Naive {
        reads_after_close: true,
        ..Naive::new(false)
    });
    assert_eq!(v["X.6.2"].0, Behavior::Failed, "{v:?}");
    assert!(v["X.6.2"].1.contains("RFC 6455 §5.5.1"), "{v:?}");
}

#[test]
fn a_server_that_refuses_the_handshake_instead_of_declining_is_non_strict() {
    let refusing = Naive::new(false);
    let case = cases::all()
        .into_iter()
        .find(|c| c.id.to_string() == "X.5.1")
        .expect("X.5.1");
    // Refuses any request that offers an extension.
    let r = memory::run(&case, 1, Role::Client, &mut RefusesExtensions(refusing));
    assert_eq!(r.behavior, Behavior::NonStrict, "{}", r.result);
    assert!(
        r.result
            .contains("refused the whole handshake with status 400"),
        "{}",
        r.result
    );
}

/// The naive server, but a request with `Sec-WebSocket-Extensions` gets 400.
struct RefusesExtensions(Naive);

impl memory::Peer for RefusesExtensions {
    fn receive(&mut self, bytes: &[u8]) {
        let head = [self.0.head.as_slice(), bytes].concat();
        if !self.0.open
            && String::from_utf8_lossy(&head)
                .to_ascii_lowercase()
                .contains("\r\nsec-websocket-extensions:")
        {
            self.0.out = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n".to_vec();
            self.0.closed = true;
            return;
        }
        self.0.receive(bytes)
    }

    fn transmit(&mut self) -> Vec<u8> {
        self.0.transmit()
    }

    fn closed(&self) -> bool {
        self.0.closed()
    }
}

/// X.6.1 over loopback: a server that stops serving once a connection drops
/// in the middle of a message fails it (the textbook connection after it does
/// not open); one that shrugs passes.
#[tokio::test(start_paused = true)]
async fn a_server_that_dies_on_a_dropped_connection_fails_x_6_1() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let case = cases::all()
        .into_iter()
        .find(|c| c.id.to_string() == "X.6.1")
        .expect("X.6.1");
    for dies in [false, true] {
        let dead = Arc::new(AtomicBool::new(false));
        let addr = ws_server::listen(move |mut stream| {
            let dead = dead.clone();
            async move {
                if dead.load(Ordering::SeqCst) {
                    return;
                }
                let Some((response, _)) = ws_server::read_request(&mut stream).await else {
                    return;
                };
                if stream.write_all(&response).await.is_err() {
                    return;
                }
                // Reads until EOF: a connection that ends without a Close
                // "crashes" the dying server.
                let mut buf = [0u8; 1024];
                while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
                if dies {
                    dead.store(true, Ordering::SeqCst);
                }
            }
        })
        .await;
        let r = &ws_server::run_one(addr, &case, std::time::Duration::from_secs(60)).await;
        if dies {
            assert_eq!(r.behavior, Behavior::Failed, "{}", r.result);
            assert!(
                r.result.contains("did not open a textbook connection"),
                "{}",
                r.result
            );
        } else {
            assert_eq!(r.behavior, Behavior::Ok, "{}", r.result);
            assert_eq!(
                r.behavior_close,
                wirecheck::core::BehaviorClose::Ok,
                "{}",
                r.result_close
            );
        }
    }
}
