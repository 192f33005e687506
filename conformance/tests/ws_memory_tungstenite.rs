//! Parity with tungstenite, in memory: the whole catalogue through the case
//! driver against tungstenite's own WebSocket (its server role, echoing as its
//! Autobahn echo server does) over an in-memory stream, with simulated time.
//! Every verdict and `remoteCloseCode` must equal tungstenite's published
//! Autobahn results (corpus/reference/tungstenite-autobahn-expected.json), as
//! the same test over sockets (ws_runner_tungstenite.rs) requires.

#[path = "support/memory.rs"]
mod memory;
#[path = "support/verdicts.rs"]
mod verdicts;

use std::collections::VecDeque;
use std::io::{self, Read, Write};

use tungstenite::handshake::client::ClientHandshake;
use tungstenite::handshake::server::{NoCallback, ServerHandshake};
use tungstenite::handshake::{HandshakeError, MidHandshake};
use tungstenite::{Message, WebSocket};
use wirecheck::ws::cases;
use wirecheck::ws::driver::Role;

/// An in-memory socket: reads what the driver wrote, would block when empty.
#[derive(Debug, Default)]
struct Pipe {
    inbox: VecDeque<u8>,
    outbox: Vec<u8>,
}

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.inbox.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(self.inbox.len());
        for (b, v) in buf.iter_mut().zip(self.inbox.drain(..n)) {
            *b = v;
        }
        Ok(n)
    }
}

impl Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.outbox.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

enum State {
    Fresh(Pipe),
    Handshaking(MidHandshake<ServerHandshake<Pipe, NoCallback>>),
    Connecting(MidHandshake<ClientHandshake<Pipe>>),
    Open(Box<WebSocket<Pipe>>),
    Closed,
}

/// tungstenite's echo loop: echo text and binary, let the library answer pings
/// and closes; any error ends the connection (the task drops the socket).
struct Tungstenite {
    state: State,
    out: Vec<u8>,
}

impl Tungstenite {
    /// tungstenite as a server, waiting for the request.
    fn new() -> Self {
        Tungstenite {
            state: State::Fresh(Pipe::default()),
            out: Vec::new(),
        }
    }

    /// tungstenite as a client (its Autobahn client's loop): the request is out.
    fn client() -> Self {
        let mut t = Tungstenite {
            state: State::Closed,
            out: Vec::new(),
        };
        t.state = connected(tungstenite::client("ws://127.0.0.1:9001/", Pipe::default()));
        t.step();
        t
    }

    fn pipe(&mut self) -> Option<&mut Pipe> {
        match &mut self.state {
            State::Fresh(p) => Some(p),
            State::Handshaking(mid) => Some(mid.get_mut().get_mut()),
            State::Connecting(mid) => Some(mid.get_mut().get_mut()),
            State::Open(ws) => Some(ws.get_mut()),
            State::Closed => None,
        }
    }

    fn step(&mut self) {
        let state = std::mem::replace(&mut self.state, State::Closed);
        self.state = match state {
            State::Fresh(pipe) => accepted(tungstenite::accept(pipe)),
            State::Handshaking(mid) => accepted(mid.handshake()),
            State::Connecting(mid) => connected(mid.handshake()),
            State::Open(mut ws) => loop {
                match ws.read() {
                    Ok(msg @ (Message::Text(_) | Message::Binary(_))) => {
                        if ws.send(msg).is_err() {
                            self.out.append(&mut ws.get_mut().outbox);
                            break State::Closed;
                        }
                    }
                    Ok(_) => {}
                    Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                        break State::Open(ws);
                    }
                    Err(_) => {
                        self.out.append(&mut ws.get_mut().outbox);
                        break State::Closed;
                    }
                }
            },
            State::Closed => State::Closed,
        };
        if let Some(p) = self.pipe() {
            let mut bytes = std::mem::take(&mut p.outbox);
            self.out.append(&mut bytes);
        }
    }
}

fn accepted(
    r: Result<WebSocket<Pipe>, HandshakeError<ServerHandshake<Pipe, NoCallback>>>,
) -> State {
    match r {
        Ok(ws) => State::Open(Box::new(ws)),
        Err(HandshakeError::Interrupted(mid)) => State::Handshaking(mid),
        Err(HandshakeError::Failure(_)) => State::Closed,
    }
}

fn connected(
    r: Result<
        (WebSocket<Pipe>, tungstenite::handshake::client::Response),
        HandshakeError<ClientHandshake<Pipe>>,
    >,
) -> State {
    match r {
        Ok((ws, _)) => State::Open(Box::new(ws)),
        Err(HandshakeError::Interrupted(mid)) => State::Connecting(mid),
        Err(HandshakeError::Failure(_)) => State::Closed,
    }
}

impl memory::Peer for Tungstenite {
    fn receive(&mut self, bytes: &[u8]) {
        if let Some(p) = self.pipe() {
            p.inbox.extend(bytes);
            self.step();
        }
    }

    fn transmit(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    fn closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }
}

#[test]
fn in_memory_verdicts_match_tungstenite_published_results() {
    let results: Vec<_> = cases::all()
        .iter()
        .filter(|c| c.id.is_autobahn())
        .enumerate()
        .map(|(i, case)| memory::run(case, i + 1, Role::Client, &mut Tungstenite::new()))
        .collect();
    let differences = verdicts::tungstenite_differences(&results);
    assert!(differences.is_empty(), "{differences:#?}");
}

/// The same catalogue with the driver as a fuzzing server and tungstenite as
/// the client (RFC 6455 §5.1: now the driver sends unmasked frames and expects
/// masked ones; §7.1.1: it drops TCP after the close handshake). tungstenite
/// applies the same rules in both roles, so every verdict equals the one it
/// gets as a server, but for the cases where the roles differ on purpose.
#[test]
fn as_a_fuzzing_server_tungstenite_the_client_gets_the_verdicts_it_gets_as_a_server() {
    let mut differences = Vec::new();
    // Autobahn's cases: wirecheck's own H. cases send their own opening
    // request, a client-side matter.
    for (i, case) in cases::all()
        .iter()
        .filter(|c| c.id.is_autobahn())
        .enumerate()
    {
        let as_server = memory::run(case, i + 1, Role::Client, &mut Tungstenite::new());
        let as_client = memory::run(case, i + 1, Role::Server, &mut Tungstenite::client());
        let verdicts = |r: &wirecheck::ws::result::CaseResult| {
            (
                r.behavior.as_str(),
                r.behavior_close.as_str(),
                r.close.remote_close_code,
            )
        };
        if verdicts(&as_server) != verdicts(&as_client) {
            differences.push(format!(
                "{}: as server {:?}, as client {:?} ({} / {})",
                case.id,
                verdicts(&as_server),
                verdicts(&as_client),
                as_client.result,
                as_client.result_close
            ));
        }
    }
    assert!(differences.is_empty(), "{differences:#?}");
}
