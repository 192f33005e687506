//! A sans-IO echo server for the in-memory tests of wirecheck's own cases
//! (`support/memory.rs` drives it). It reads the opening request with the
//! codec's HTTP parser and lets the test decide whether to upgrade it, so a
//! test can write the server that breaks one rule (upgrades anything, checks
//! an origin by prefix, ...); once upgraded it echoes every message with the
//! codec's connection, or reads and says nothing.

// Each test file uses the part it needs.
#![allow(dead_code)]

use wirecheck_codec::http::{Request, RequestParser};
use wirecheck_codec::ws::handshake::accept_key;
use wirecheck_codec::ws::message::Config;
use wirecheck_codec::ws::{Connection, Event, Limits};

/// Whether to upgrade a request: its raw head and the parsed request.
pub type Upgrade = Box<dyn Fn(&[u8], &Request) -> bool>;

/// The server.
pub struct EchoPeer {
    upgrade: Upgrade,
    /// Header lines the 101 adds (the connection itself never inflates: a
    /// peer that agrees permessage-deflate is silent).
    extra: Vec<String>,
    /// Read everything after the upgrade, answer nothing.
    silent: bool,
    /// The protocol the 101 names (`websocket`).
    protocol: String,
    head: Vec<u8>,
    conn: Option<Connection>,
    out: Vec<u8>,
    closed: bool,
}

impl EchoPeer {
    /// A server that upgrades what `upgrade` accepts (the first
    /// `Sec-WebSocket-Key` gets its Accept) and answers 400 otherwise.
    pub fn new(upgrade: impl Fn(&[u8], &Request) -> bool + 'static) -> Self {
        EchoPeer {
            upgrade: Box::new(upgrade),
            extra: Vec::new(),
            silent: false,
            protocol: "websocket".to_owned(),
            head: Vec::new(),
            conn: None,
            out: Vec::new(),
            closed: false,
        }
    }

    /// Agree this extension and then say nothing.
    pub fn silent_with_extension(self, extensions: &str) -> Self {
        let mut peer = self.header("Sec-WebSocket-Extensions", extensions);
        peer.silent = true;
        peer
    }

    /// Name this protocol in the 101's `Upgrade` instead of websocket.
    pub fn switching_to(mut self, protocol: &str) -> Self {
        self.protocol = protocol.to_owned();
        self
    }

    /// Add this header to the 101.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.extra.push(format!("{name}: {value}\r\n"));
        self
    }

    fn echo(&mut self, mut input: &mut [u8]) {
        let Some(conn) = self.conn.as_mut() else {
            return;
        };
        if self.silent {
            return;
        }
        while let Ok(Some((event, tx))) = conn.receive(&mut input) {
            if let Event::Message { kind, data, .. } = event {
                let _ = tx.send_message(kind, data);
            }
        }
        self.out.append(&mut conn.take_outbound());
        self.closed = conn.should_close_tcp();
    }

    fn refuse(&mut self) {
        self.out = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n".to_vec();
        self.closed = true;
    }
}

/// The first value of header `name`, trimmed.
pub fn header(request: &Request, name: &str) -> Option<String> {
    request
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| String::from_utf8_lossy(&h.value).trim().to_owned())
}

impl super::memory::Peer for EchoPeer {
    fn receive(&mut self, bytes: &[u8]) {
        if self.closed {
            return;
        }
        if self.conn.is_some() {
            return self.echo(&mut bytes.to_vec());
        }
        self.head.extend_from_slice(bytes);
        let parsed = match RequestParser::default().feed(&self.head) {
            Ok(Some(parsed)) => parsed,
            Ok(None) => return,
            Err(_) => return self.refuse(),
        };
        if !(self.upgrade)(&self.head, &parsed.value) {
            return self.refuse();
        }
        let key = header(&parsed.value, "sec-websocket-key").unwrap_or_default();
        self.out = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: {}\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n",
            self.protocol,
            accept_key(key.as_bytes())
        )
        .into_bytes();
        for line in &self.extra {
            self.out.extend_from_slice(line.as_bytes());
        }
        self.out.extend_from_slice(b"\r\n");
        self.conn = Some(Connection::server(Config {
            limits: Limits {
                max_frame_size: 1 << 20,
                max_message_size: 1 << 20,
            },
            ..Config::new(wirecheck_codec::ws::Role::Server)
        }));
        let mut rest = self.head[parsed.consumed..].to_vec();
        self.echo(&mut rest);
    }

    fn transmit(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    fn closed(&self) -> bool {
        self.closed && self.out.is_empty()
    }
}
