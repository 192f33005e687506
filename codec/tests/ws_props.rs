//! Property tests of the WebSocket framing codec (RFC 6455 §5).

use std::num::NonZeroUsize;

use proptest::prelude::*;
use wirecheck_codec::utf8::Utf8Validator;
use wirecheck_codec::ws::frame::{
    HeaderRules, LengthForm, MAX_HEADER_LEN, encode_header, parse_header,
};
use wirecheck_codec::ws::mask::apply_mask;
use wirecheck_codec::ws::message::Config;
use wirecheck_codec::ws::{CloseCode, FrameHeader, Limits, MessageKind, OpCode, Role, encode};
#[path = "support/owned.rs"]
mod owned;

use owned::{OwnedEvent, decode_chunked, decode_split};

/// Something an endpoint sends: a data message (with a fragment size) or a control frame.
#[derive(Debug, Clone)]
enum Item {
    Message(MessageKind, Vec<u8>, Option<NonZeroUsize>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
}

fn item() -> impl Strategy<Value = Item> {
    let fragment =
        proptest::option::of((1usize..40).prop_map(|n| NonZeroUsize::new(n).expect("n >= 1")));
    prop_oneof![
        (any::<String>(), fragment.clone()).prop_map(|(s, f)| Item::Message(
            MessageKind::Text,
            s.into_bytes(),
            f
        )),
        (proptest::collection::vec(any::<u8>(), 0..300), fragment)
            .prop_map(|(b, f)| Item::Message(MessageKind::Binary, b, f)),
        proptest::collection::vec(any::<u8>(), 0..=125).prop_map(Item::Ping),
        proptest::collection::vec(any::<u8>(), 0..=125).prop_map(Item::Pong),
    ]
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::Server), Just(Role::Client)]
}

/// Encode `items` as the peer of `receiver` would send them (masked towards a server),
/// optionally ending with a Close frame. Returns the bytes and the events expected.
fn encode_items(
    receiver: Role,
    items: &[Item],
    close: Option<(u16, String)>,
    seed: u32,
) -> (Vec<u8>, Vec<OwnedEvent>) {
    let mut key = seed;
    let mut mask = || {
        key = key.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (receiver == Role::Server).then_some(key.to_be_bytes())
    };
    let mut out = Vec::new();
    let mut expected = Vec::new();
    for item in items {
        match item {
            Item::Message(kind, data, frag) => {
                encode::message(&mut out, *kind, data, *frag, &mut mask);
                expected.push(OwnedEvent::Message(*kind, data.clone()));
            }
            Item::Ping(p) => {
                encode::ping(&mut out, mask(), p).expect("at most 125 bytes");
                expected.push(OwnedEvent::Ping(p.clone()));
            }
            Item::Pong(p) => {
                encode::pong(&mut out, mask(), p).expect("at most 125 bytes");
                expected.push(OwnedEvent::Pong(p.clone()));
            }
        }
    }
    if let Some((code, reason)) = close {
        encode::close(&mut out, mask(), Some(CloseCode(code)), &reason).expect("valid close");
        expected.push(OwnedEvent::Close(Some((code, reason))));
    }
    (out, expected)
}

fn valid_close() -> impl Strategy<Value = Option<(u16, String)>> {
    proptest::option::of((
        prop_oneof![1000u16..=1003, 1007u16..=1014, 3000u16..=4999],
        "[a-zé€😀 ]{0,20}",
    ))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// RFC 6455 §5: what the encoders write, the decoder reads back unchanged, in any chunking.
    #[test]
    fn encode_then_decode_returns_the_same_messages(
        receiver in role(),
        items in proptest::collection::vec(item(), 0..8),
        close in valid_close(),
        seed in any::<u32>(),
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
    ) {
        let (bytes, expected) = encode_items(receiver, &items, close, seed);
        let cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        let run = decode_split(Config::new(receiver), &bytes, &cuts);
        prop_assert_eq!(run.error, None);
        prop_assert!(run.idle);
        prop_assert_eq!(run.events, expected);
    }

    /// The events and the error do not depend on how the input is split into chunks.
    #[test]
    fn events_do_not_depend_on_chunking(
        receiver in role(),
        items in proptest::collection::vec(item(), 0..5),
        noise in proptest::collection::vec(any::<u8>(), 0..40),
        noise_at in any::<usize>(),
        seed in any::<u32>(),
        cuts in proptest::collection::vec(any::<usize>(), 0..20),
    ) {
        // Valid traffic with arbitrary bytes spliced in somewhere: exercises errors mid-stream.
        let (mut bytes, _) = encode_items(receiver, &items, None, seed);
        let at = noise_at % (bytes.len() + 1);
        bytes.splice(at..at, noise);
        let mut config = Config::new(receiver);
        config.report_frames = true;
        let whole = decode_split(config, &bytes, &[]);
        let cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        let split = decode_split(config, &bytes, &cuts);
        prop_assert_eq!(&split.events, &whole.events);
        prop_assert_eq!(split.error, whole.error);
        prop_assert_eq!(split.idle, whole.idle);
        let bytewise = decode_chunked(config, &bytes, 1);
        prop_assert_eq!(bytewise.events, whole.events);
        prop_assert_eq!(bytewise.error, whole.error);
    }

    /// `retain_data: false` (check only) reaches the same verdicts as a decoder that keeps
    /// messages, under any chunking, and holds nothing of them: the same events but for
    /// the data of messages that span inputs, the same error at the same place.
    #[test]
    fn checking_without_retaining_gives_the_same_verdicts_and_holds_nothing(
        receiver in role(),
        items in proptest::collection::vec(item(), 0..5),
        noise in proptest::collection::vec(any::<u8>(), 0..40),
        noise_at in any::<usize>(),
        seed in any::<u32>(),
        cuts in proptest::collection::vec(any::<usize>(), 0..20),
    ) {
        let (mut bytes, _) = encode_items(receiver, &items, None, seed);
        let at = noise_at % (bytes.len() + 1);
        bytes.splice(at..at, noise);
        let cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        let keeping = decode_split(Config::new(receiver), &bytes, &cuts);
        let mut config = Config::new(receiver);
        config.retain_data = false;
        let checking = decode_split(config, &bytes, &cuts);
        prop_assert_eq!(checking.error, keeping.error);
        prop_assert_eq!(checking.failed_at, keeping.failed_at);
        prop_assert_eq!(checking.idle, keeping.idle);
        prop_assert_eq!(checking.max_capacity, 0);
        prop_assert_eq!(checking.events.len(), keeping.events.len());
        for (c, k) in checking.events.iter().zip(&keeping.events) {
            match (c, k) {
                (OwnedEvent::Message(ck, cd), OwnedEvent::Message(kk, kd)) => {
                    prop_assert_eq!(ck, kk);
                    prop_assert!(cd.is_empty() || cd == kd);
                }
                _ => prop_assert_eq!(c, k),
            }
        }
    }

    /// Arbitrary bytes never panic the decoder, and it never holds more memory than the limits.
    #[test]
    fn arbitrary_bytes_never_panic_and_never_exceed_limits(
        receiver in role(),
        bytes in proptest::collection::vec(any::<u8>(), 0..2048),
        max_frame in 0u64..600,
        max_message in 0u64..1200,
        chunk in 1usize..64,
    ) {
        let mut config = Config::new(receiver);
        config.limits = Limits { max_frame_size: max_frame, max_message_size: max_message };
        let run = decode_chunked(config, &bytes, chunk);
        prop_assert!(run.max_capacity as u64 <= max_message, "capacity {} > limit {}", run.max_capacity, max_message);
        for event in &run.events {
            if let OwnedEvent::Message(_, data) = event {
                prop_assert!(data.len() as u64 <= max_message);
            }
        }
        if let Some(e) = run.error {
            prop_assert!(matches!(e.close_code(), 1002 | 1007 | 1009));
        }
    }

    /// Messages over the limits fail with 1009, before their payload is buffered.
    #[test]
    fn oversized_messages_fail_with_1009(
        len in 1usize..400,
        fragment in 1usize..50,
    ) {
        let mut bytes = Vec::new();
        encode::message(&mut bytes, MessageKind::Binary, &vec![7u8; len], NonZeroUsize::new(fragment), || Some([1, 2, 3, 4]));
        let mut config = Config::new(Role::Server);
        config.limits = Limits { max_frame_size: 1 << 20, max_message_size: (len - 1) as u64 };
        let run = decode_split(config, &bytes, &[]);
        prop_assert_eq!(run.error.map(|e| e.close_code()), Some(1009));
        prop_assert!(run.max_capacity < len);
    }

    /// The incremental UTF-8 validator agrees with `core::str::from_utf8`, in any split,
    /// and fails at the same offset, on the first piece that contains the bad byte.
    #[test]
    fn incremental_utf8_agrees_with_core_from_utf8(
        bytes in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..64),
            (any::<String>(), proptest::collection::vec(any::<u8>(), 0..3), any::<String>())
                .prop_map(|(a, junk, b)| [a.into_bytes(), junk, b.into_bytes()].concat()),
        ],
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        let expected = std::str::from_utf8(&bytes);
        let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        points.extend([0, bytes.len()]);
        points.sort_unstable();
        points.dedup();
        let mut v = Utf8Validator::new();
        let mut result = Ok(());
        for w in points.windows(2) {
            if let Err(e) = v.feed(&bytes[w[0]..w[1]]) {
                // Fail-fast: the bad sequence is already decided within this piece.
                let decided = std::str::from_utf8(&bytes[..w[1]]).expect_err("prefix must be invalid");
                prop_assert!(decided.error_len().is_some());
                prop_assert!(w[0] <= e.offset as usize + decided.error_len().unwrap_or(0));
                result = Err(e);
                break;
            }
        }
        if result.is_ok() {
            result = v.finish();
        }
        match (expected, result) {
            (Ok(_), Ok(())) => {}
            (Err(core), Err(ours)) => prop_assert_eq!(core.valid_up_to() as u64, ours.offset),
            (core, ours) => prop_assert!(false, "core {:?} vs ours {:?}", core, ours),
        }
    }

    /// RFC 6455 §5.3: masking twice is the identity, and matches the spec's byte loop at any offset.
    #[test]
    fn masking_twice_is_identity_and_matches_naive_loop(
        data in proptest::collection::vec(any::<u8>(), 0..200),
        key in any::<[u8; 4]>(),
        offset in any::<u64>(),
    ) {
        let mut masked = data.clone();
        apply_mask(&mut masked, key, offset);
        let naive: Vec<u8> = data
            .iter()
            .enumerate()
            .map(|(i, b)| b ^ key[((offset + i as u64) % 4) as usize])
            .collect();
        prop_assert_eq!(&masked, &naive);
        apply_mask(&mut masked, key, offset);
        prop_assert_eq!(masked, data);
    }

    /// RFC 6455 §5.2: every valid header survives encode-then-parse, with any prefix reported incomplete.
    #[test]
    fn header_encode_then_parse_round_trips(
        fin in any::<bool>(),
        opcode in prop_oneof![Just(OpCode::Text), Just(OpCode::Binary), Just(OpCode::Continuation)],
        mask in proptest::option::of(any::<[u8; 4]>()),
        len in prop_oneof![0u64..=125, 126u64..=0xFFFF, 0x1_0000u64..=(u64::MAX >> 1)],
    ) {
        let h = FrameHeader { fin, rsv: 0, opcode, mask, payload_len: len };
        let mut buf = [0u8; MAX_HEADER_LEN];
        let n = encode_header(&h, LengthForm::Minimal, &mut buf);
        let rules = HeaderRules { role: None, allowed_rsv: 0, max_payload: u64::MAX, allow_reserved_opcodes: false };
        prop_assert_eq!(parse_header(&buf[..n], &rules), Ok(Some((h, n))));
        for k in 0..n {
            prop_assert_eq!(parse_header(&buf[..k], &rules), Ok(None));
        }
    }
}
