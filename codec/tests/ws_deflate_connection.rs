//! Two connections that negotiated permessage-deflate (RFC 7692), in memory:
//! compressed messages both ways, and every rule of §6 on RSV1.

use wirecheck_codec::ws::deflate::{Offer, ServerPolicy, negotiate, validate_response};
use wirecheck_codec::ws::encode;
use wirecheck_codec::ws::frame::{FrameHeader, HeaderRules, parse_header};
use wirecheck_codec::ws::message::Config;
use wirecheck_codec::ws::{Connection, ErrorKind, Event, Limits, MessageKind, OpCode, Role};

fn pair(policy: ServerPolicy) -> (Connection, Connection) {
    let offer = Offer {
        client_max_window_bits: Some(None),
        ..Offer::default()
    };
    let (answer, server_view) = negotiate(&[offer.to_extension()], &policy).expect("accepted");
    let client_view = validate_response(&[offer], &[answer]).unwrap().unwrap();
    let limits = Limits {
        max_frame_size: 1 << 20,
        max_message_size: 1 << 20,
    };
    let mut client = Connection::client(
        Config {
            limits,
            ..Config::new(Role::Client)
        },
        Box::new(|| [1, 2, 3, 4]),
    );
    let mut server = Connection::server(Config {
        limits,
        ..Config::new(Role::Server)
    });
    client.use_deflate(client_view);
    server.use_deflate(server_view);
    (client, server)
}

/// The first frame header of `bytes`.
fn first_header(bytes: &[u8]) -> FrameHeader {
    let rules = HeaderRules {
        role: None,
        allowed_rsv: 0b111,
        max_payload: u64::MAX,
        allow_reserved_opcodes: true,
    };
    parse_header(bytes, &rules).unwrap().unwrap().0
}

/// Deliver everything `from` has queued to `to`: the messages, or the error.
fn deliver(from: &mut Connection, to: &mut Connection) -> Result<Vec<Vec<u8>>, ErrorKind> {
    let mut bytes = from.take_outbound();
    let mut input = &mut bytes[..];
    let mut got = Vec::new();
    loop {
        match to.receive(&mut input) {
            Ok(None) => return Ok(got),
            Ok(Some((Event::Message { data, .. }, _))) => got.push(data.to_vec()),
            Ok(Some(_)) => {}
            Err(e) => return Err(e.kind()),
        }
    }
}

#[test]
fn rfc7692_6_messages_travel_compressed_both_ways() {
    for policy in [
        ServerPolicy::default(),
        ServerPolicy {
            client_no_context_takeover: true,
            client_max_window_bits: Some(9),
            server_no_context_takeover: true,
            server_max_window_bits: Some(10),
        },
    ] {
        let (mut client, mut server) = pair(policy);
        let text = "Ein Wort, ein Satz: aus Sternen. ".repeat(50);
        for _ in 0..3 {
            client
                .sender()
                .send_message(MessageKind::Text, text.as_bytes())
                .unwrap();
            let h = first_header(client.outbound());
            assert_eq!(h.rsv, 0b100, "RSV1 marks the compressed message");
            assert!(
                (h.payload_len as usize) < text.len() / 4,
                "{}",
                h.payload_len
            );
            assert_eq!(
                deliver(&mut client, &mut server),
                Ok(vec![text.as_bytes().to_vec()])
            );
            server
                .sender()
                .send_message(MessageKind::Binary, &[7; 5000])
                .unwrap();
            assert_eq!(first_header(server.outbound()).mask, None);
            assert_eq!(deliver(&mut server, &mut client), Ok(vec![vec![7; 5000]]));
        }
    }
}

#[test]
fn rfc7692_6_a_server_that_skips_incompressible_echoes_sends_them_without_rsv1() {
    let (mut client, mut server) = pair(ServerPolicy::default());
    server.skip_incompressible();
    // Bytes deflate cannot shrink (a xorshift stream).
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    let noise: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let text = "Ein Wort, ein Satz: aus Sternen. ".repeat(50);
    // Tried and poor: compressed; the next one goes as it is; then text, tried
    // after the skip, compresses again; context takeover stays in step.
    let mut rsv = Vec::new();
    for m in [&noise[..], &noise[..], text.as_bytes(), text.as_bytes()] {
        server
            .sender()
            .send_message(MessageKind::Binary, m)
            .unwrap();
        rsv.push(first_header(server.outbound()).rsv);
        assert_eq!(deliver(&mut server, &mut client), Ok(vec![m.to_vec()]));
    }
    assert_eq!(rsv, [0b100, 0, 0b100, 0b100]);
}

#[test]
fn rfc7692_6_1_rsv1_only_on_a_first_data_frame() {
    let key = Some([9, 9, 9, 9]);
    // On a control frame: 1002.
    let (_, mut server) = pair(ServerPolicy::default());
    let mut ping = Vec::new();
    encode::frame(&mut ping, true, 0b100, OpCode::Ping, key, b"p");
    let e = server.receive(&mut &mut ping[..]).unwrap_err();
    assert_eq!(
        (e.kind(), e.close_code()),
        (ErrorKind::CompressedControlFrame, 1002)
    );
    // On a continuation: 1002.
    let (_, mut server) = pair(ServerPolicy::default());
    let mut frames = Vec::new();
    encode::frame(&mut frames, false, 0, OpCode::Binary, key, b"a");
    encode::frame(&mut frames, true, 0b100, OpCode::Continuation, key, b"b");
    let mut input = &mut frames[..];
    let e = loop {
        match server.receive(&mut input) {
            Err(e) => break e,
            Ok(None) => panic!("accepted"),
            Ok(Some(_)) => {}
        }
    };
    assert_eq!(
        (e.kind(), e.close_code()),
        (ErrorKind::CompressedContinuation, 1002)
    );
    // Without the extension, RSV1 is a reserved bit: 1002 (RFC 6455 §5.2).
    let mut plain = Connection::server(Config::new(Role::Server));
    let mut frame = Vec::new();
    encode::frame(&mut frame, true, 0b100, OpCode::Text, key, b"x");
    let e = plain.receive(&mut &mut frame[..]).unwrap_err();
    assert_eq!(
        (e.kind(), e.close_code()),
        (ErrorKind::ReservedBits(0b100), 1002)
    );
}

#[test]
fn rfc7692_8_a_compressed_bomb_fails_with_1009_and_bad_data_with_1007() {
    let (mut client, mut server) = pair(ServerPolicy::default());
    // 8 MiB of zeros, compressed by the client, against a 1 MiB limit.
    client
        .sender()
        .send_message(MessageKind::Binary, &vec![0; 8 << 20])
        .unwrap();
    assert!(client.outbound().len() < 64 << 10);
    assert_eq!(
        deliver(&mut client, &mut server),
        Err(ErrorKind::InflatedTooLarge { limit: 1 << 20 })
    );
    assert!(server.has_failed());
    // Its Close carries 1009, and the failure is final.
    let close = server.take_outbound();
    assert_eq!(&close[2..4], &1009u16.to_be_bytes());
    assert!(server.receive(&mut &mut [][..]).is_err());
    // Invalid UTF-8 inside a compressed text message: 1007 once inflated.
    let (mut client, mut server) = pair(ServerPolicy::default());
    client
        .sender()
        .send_message(MessageKind::Text, &[b'a', 0xff, b'b'])
        .unwrap();
    assert_eq!(
        deliver(&mut client, &mut server),
        Err(ErrorKind::InvalidUtf8 { offset: 1 })
    );
    // Garbage with RSV1: 1007.
    let (_, mut server) = pair(ServerPolicy::default());
    let mut frame = Vec::new();
    encode::frame(
        &mut frame,
        true,
        0b100,
        OpCode::Binary,
        Some([1, 1, 1, 1]),
        &[0xff; 8],
    );
    let e = server.receive(&mut &mut frame[..]).unwrap_err();
    assert_eq!(
        (e.kind(), e.close_code()),
        (ErrorKind::InvalidCompressedData, 1007)
    );
}
