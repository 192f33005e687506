//! The connection object and the role-aware encoders: two endpoints in memory.

use proptest::prelude::*;
use wirecheck_codec::ws::connection::MAX_QUEUED_PONGS;
use wirecheck_codec::ws::encode::{
    self, ClientEncoder, MAX_CLOSE_REASON, ServerEncoder, close_reason,
};
use wirecheck_codec::ws::frame::{HeaderRules, parse_header};
use wirecheck_codec::ws::message::Config;
use wirecheck_codec::ws::{
    CloseCode, CloseState, Connection, Event, Message, MessageKind, OpCode, Role,
};

fn pair() -> (Connection, Connection) {
    let mut n = 0u32;
    let keys = Box::new(move || {
        n = n.wrapping_add(0x9E37_79B9);
        n.to_be_bytes()
    });
    (
        Connection::client(Config::new(Role::Client), keys),
        Connection::server(Config::new(Role::Server)),
    )
}

/// Owned events, for comparing.
#[derive(Debug, PartialEq, Eq)]
enum Got {
    Text(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<u16>),
}

/// Deliver what `from` has to send to `to`; the events `to` saw, or its error.
fn deliver(from: &mut Connection, to: &mut Connection) -> Result<Vec<Got>, String> {
    let mut bytes = from.take_outbound();
    let mut input = &mut bytes[..];
    let mut got = Vec::new();
    loop {
        match to.receive(&mut input) {
            Ok(None) => return Ok(got),
            Ok(Some((e, _))) => got.push(match e {
                Event::Message { data, .. } => Got::Text(data.to_vec()),
                Event::Ping(p) => Got::Ping(p.to_vec()),
                Event::Pong(p) => Got::Pong(p.to_vec()),
                Event::Close(c) => Got::Close(c.map(|c| c.code.0)),
                Event::Frame(_) => continue,
            }),
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Every frame header in `bytes`, read leniently.
fn headers(bytes: &[u8]) -> Vec<(OpCode, bool)> {
    let rules = HeaderRules {
        role: None,
        allowed_rsv: 0b111,
        max_payload: u64::MAX,
        allow_reserved_opcodes: true,
    };
    let mut at = 0;
    let mut out = Vec::new();
    while let Ok(Some((h, n))) = parse_header(&bytes[at..], &rules) {
        out.push((h.opcode, h.mask.is_some()));
        at += n + h.payload_len as usize;
    }
    out
}

#[test]
fn rfc6455_5_1_messages_both_ways_masked_only_by_the_client() {
    let (mut client, mut server) = pair();
    client
        .sender()
        .send_message(MessageKind::Text, b"hi")
        .unwrap();
    assert_eq!(headers(client.outbound()), [(OpCode::Text, true)]);
    // The owned form of what arrives outlives the decoder's borrow.
    let mut bytes = client.take_outbound();
    let mut input = &mut bytes[..];
    let (event, _) = server.receive(&mut input).unwrap().unwrap();
    assert_eq!(event.to_message(), Some(Message::text("hi")));
    client
        .sender()
        .send_message(MessageKind::Text, b"hi")
        .unwrap();
    assert_eq!(
        deliver(&mut client, &mut server),
        Ok(vec![Got::Text(b"hi".to_vec())])
    );
    server
        .sender()
        .send_message(MessageKind::Text, b"yo")
        .unwrap();
    assert_eq!(headers(server.outbound()), [(OpCode::Text, false)]);
    assert_eq!(
        deliver(&mut server, &mut client),
        Ok(vec![Got::Text(b"yo".to_vec())])
    );
}

#[test]
fn rfc6455_5_5_2_a_ping_gets_a_pong_with_its_payload() {
    let (mut client, mut server) = pair();
    let mut ping = Vec::new();
    ClientEncoder
        .ping(&mut ping, [9, 8, 7, 6], b"are you there")
        .unwrap();
    let mut input = &mut ping[..];
    assert!(matches!(
        server.receive(&mut input),
        Ok(Some((Event::Ping(_), _)))
    ));
    assert_eq!(
        deliver(&mut server, &mut client),
        Ok(vec![Got::Pong(b"are you there".to_vec())])
    );
}

#[test]
fn rfc6455_7_1_1_the_server_closes_tcp_after_a_close_handshake_either_side_starts() {
    // The client starts.
    let (mut client, mut server) = pair();
    client.sender().close(Some(CloseCode(4000)), "bye").unwrap();
    assert_eq!(
        deliver(&mut client, &mut server),
        Ok(vec![Got::Close(Some(4000))])
    );
    assert!(server.close_state().is_closed() && server.should_close_tcp());
    // §5.5.1: the reply echoes the code.
    assert_eq!(
        deliver(&mut server, &mut client),
        Ok(vec![Got::Close(Some(4000))])
    );
    assert!(client.close_state().is_closed());
    assert!(
        !client.should_close_tcp(),
        "a client waits for the server's FIN"
    );
    // The server starts.
    let (mut client, mut server) = pair();
    server
        .sender()
        .close(Some(CloseCode::GOING_AWAY), "")
        .unwrap();
    assert!(!server.should_close_tcp());
    assert_eq!(
        deliver(&mut server, &mut client),
        Ok(vec![Got::Close(Some(1001))])
    );
    assert_eq!(
        deliver(&mut client, &mut server),
        Ok(vec![Got::Close(Some(1001))])
    );
    assert!(server.should_close_tcp());
    // No data after a Close (§5.5.1).
    assert!(
        server
            .sender()
            .send_message(MessageKind::Text, b"late")
            .is_err()
    );
}

#[test]
fn rfc6455_7_1_7_a_broken_rule_fails_with_its_close_code() {
    let (mut client, mut server) = pair();
    // An unmasked frame from a client: §5.1, 1002.
    let mut bad = Vec::new();
    ServerEncoder.message(&mut bad, MessageKind::Text, b"x", None);
    let mut input = &mut bad[..];
    assert!(server.receive(&mut input).is_err());
    assert!(server.has_failed() && server.should_close_tcp());
    assert_eq!(server.close_state(), CloseState::CloseSent);
    assert_eq!(
        deliver(&mut server, &mut client),
        Ok(vec![Got::Close(Some(1002))])
    );
}

#[test]
fn pongs_stop_queueing_when_the_peer_does_not_read() {
    let (_, mut server) = pair();
    let mut pings = Vec::new();
    for _ in 0..20_000 {
        ClientEncoder
            .ping(&mut pings, [1, 2, 3, 4], &[b'p'; 125])
            .unwrap();
    }
    let mut input = &mut pings[..];
    while let Ok(Some(_)) = server.receive(&mut input) {}
    assert!(server.outbound().len() <= MAX_QUEUED_PONGS + 127);
    assert!(server.pongs_dropped() > 0);
}

proptest! {
    #[test]
    fn prop_client_encoder_always_masks_and_server_encoder_never(
        payload in proptest::collection::vec(any::<u8>(), 0..300),
        fragment in 1usize..64,
        key in any::<[u8; 4]>(),
    ) {
        let mut out = Vec::new();
        ClientEncoder.message(&mut out, MessageKind::Binary, &payload, std::num::NonZeroUsize::new(fragment), || key);
        let c = headers(&out);
        prop_assert!(!c.is_empty() && c.iter().all(|(_, masked)| *masked));
        let mut out = Vec::new();
        ServerEncoder.message(&mut out, MessageKind::Binary, &payload, std::num::NonZeroUsize::new(fragment));
        let s = headers(&out);
        prop_assert_eq!(c.len(), s.len());
        prop_assert!(s.iter().all(|(_, masked)| !*masked));
    }

    #[test]
    fn prop_close_reason_fits_the_frame_and_stays_utf8(reason in ".{0,200}") {
        let cut = close_reason(&reason);
        prop_assert!(cut.len() <= MAX_CLOSE_REASON);
        prop_assert!(reason.starts_with(cut));
        // Cut no more than the last character that would not fit.
        prop_assert!(reason.len() <= MAX_CLOSE_REASON || cut.len() + 4 > MAX_CLOSE_REASON);
        let mut out = Vec::new();
        prop_assert!(encode::close(&mut out, None, Some(CloseCode::NORMAL), cut).is_ok());
    }
}
