//! Autobahn|Testsuite category 2, Pings/Pongs (11 cases), at the codec level.
//!
//! A ping must be answered with a pong carrying the same payload (RFC 6455
//! §5.5.2, §5.5.3), in order, however it is chopped; a ping longer than 125 bytes
//! fails the connection with 1002 (§5.5); unsolicited pongs are ignored.

#[macro_use]
#[path = "common/autobahn.rs"]
mod autobahn;

use autobahn::*;
use wirecheck_codec::ws::ErrorKind;

/// One ping, answered, then the fuzzer's Close 1000.
fn ping_case(payload: &[u8], chop: Option<usize>) -> Case {
    let mut fuzz = Fuzz::new();
    if let Some(n) = chop {
        fuzz = fuzz.chop(n);
    }
    fuzz.ping(payload)
        .then_close()
        .expect([ping(payload), close(1000, "")])
        .expected_ok([got_pong(payload)])
        .fuzzer_closes(&[1000])
}

/// 2.10/2.11: ten pings `payload-0` .. `payload-9` back to back, ten pongs in order.
fn ten_pings(chop: Option<usize>) -> Case {
    let payloads: Vec<Vec<u8>> = (0..10)
        .map(|i| format!("payload-{i}").into_bytes())
        .collect();
    let mut fuzz = Fuzz::new();
    if let Some(n) = chop {
        fuzz = fuzz.chop(n);
    }
    for p in &payloads {
        fuzz = fuzz.ping(p);
    }
    let mut events: Vec<Ev> = payloads.iter().map(ping).collect();
    events.push(close(1000, ""));
    fuzz.then_close()
        .expect(events)
        .expected_ok(payloads.iter().map(got_pong))
        .fuzzer_closes(&[1000])
}

const HELLO: &[u8] = b"Hello, world!";
const BINARY: &[u8] = &[0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff];

cases! {
    /// 2.1: ping with an empty payload.
    case_2_1 => ping_case(b"", None),
    /// 2.2: ping "Hello, world!".
    case_2_2 => ping_case(HELLO, None),
    /// 2.3: ping with a binary payload.
    case_2_3 => ping_case(BINARY, None),
    /// 2.4: ping with the largest control payload, 125 bytes.
    case_2_4 => ping_case(&[0xFE; 125], None),
    /// 2.5: ping with 126 bytes: too long for a control frame, 1002, no pong.
    case_2_5 => Fuzz::new()
        .ping([0xFE; 126]).bad()
        .expect([])
        .fails(1002, ErrorKind::ControlFrameTooLong(126))
        .expected_ok([])
        .peer_fails(&[1002]),
    /// 2.6: the 125-byte ping written in 1-byte chops.
    case_2_6 => ping_case(&[0xFE; 125], Some(1)),
    /// 2.7: unsolicited empty pong, then Close 1000: nothing answered.
    case_2_7 => Fuzz::new()
        .pong(b"")
        .close(1000, "")
        .expect([pong(b""), close(1000, "")])
        .expected_ok([])
        .fuzzer_closes(&[1000]),
    /// 2.8: unsolicited pong with a payload, then Close 1000.
    case_2_8 => Fuzz::new()
        .pong(b"unsolicited pong payload")
        .close(1000, "")
        .expect([pong(b"unsolicited pong payload"), close(1000, "")])
        .expected_ok([])
        .fuzzer_closes(&[1000]),
    /// 2.9: unsolicited pong, then a ping: only the ping is answered.
    case_2_9 => Fuzz::new()
        .pong(b"unsolicited pong payload")
        .ping(b"ping payload")
        .then_close()
        .expect([pong(b"unsolicited pong payload"), ping(b"ping payload"), close(1000, "")])
        .expected_ok([got_pong(b"ping payload")])
        .fuzzer_closes(&[1000]),
    /// 2.10: ten pings back to back.
    case_2_10 => ten_pings(None),
    /// 2.11: ten pings in 1-byte chops.
    case_2_11 => ten_pings(Some(1)),
}
