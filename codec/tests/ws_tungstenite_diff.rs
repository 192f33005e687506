//! Differential tests of the WebSocket codec against tungstenite: the same bytes,
//! decoded by both for both roles, give the same messages and the same accept or
//! reject decision, after the named normalisations in `support/ws_oracle.rs`.

#[path = "support/owned.rs"]
mod owned;

#[path = "support/ws_oracle.rs"]
mod ws_oracle;

use std::num::NonZeroUsize;

use proptest::prelude::*;
use wirecheck_codec::ws::frame::{FrameHeader, LengthForm, MAX_HEADER_LEN, encode_header};
use wirecheck_codec::ws::{CloseCode, MessageKind, OpCode, Role, encode};
use ws_oracle::{compare, ours_decode, tungstenite_decode};

/// A frame as a peer might send it, valid or not.
#[derive(Debug, Clone)]
enum Piece {
    Message(MessageKind, Vec<u8>, Option<NonZeroUsize>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<u16>, String),
    /// A raw frame: first byte, payload, length form (the masking follows the role).
    Raw(u8, Vec<u8>, LengthForm),
    /// Bytes from nowhere.
    Junk(Vec<u8>),
}

fn piece() -> impl Strategy<Value = Piece> {
    let fragment =
        proptest::option::of((1usize..30).prop_map(|n| NonZeroUsize::new(n).expect("n >= 1")));
    let text = prop_oneof![
        any::<String>().prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..40),
    ];
    prop_oneof![
        4 => (text, fragment.clone()).prop_map(|(t, f)| Piece::Message(MessageKind::Text, t, f)),
        2 => (proptest::collection::vec(any::<u8>(), 0..200), fragment)
            .prop_map(|(b, f)| Piece::Message(MessageKind::Binary, b, f)),
        1 => proptest::collection::vec(any::<u8>(), 0..=125).prop_map(Piece::Ping),
        1 => proptest::collection::vec(any::<u8>(), 0..=125).prop_map(Piece::Pong),
        1 => (proptest::option::of(prop_oneof![0u16..1100, 2990u16..3010, 4990u16..5010]), "[a-z€]{0,8}")
            .prop_map(|(c, r)| Piece::Close(c, r)),
        3 => (any::<u8>(), proptest::collection::vec(any::<u8>(), 0..140),
              prop_oneof![Just(LengthForm::Minimal), Just(LengthForm::Extended16), Just(LengthForm::Extended64)])
            .prop_map(|(b0, p, f)| Piece::Raw(b0, p, f)),
        1 => proptest::collection::vec(any::<u8>(), 0..12).prop_map(Piece::Junk),
    ]
}

/// Encode the pieces as sent towards `receiver` (masked towards a server).
fn encode_pieces(receiver: Role, pieces: &[Piece]) -> Vec<u8> {
    let mut key = 0x9e37_79b9u32;
    let mut mask = || {
        key = key.rotate_left(5) ^ 0x85eb_ca6b;
        (receiver == Role::Server).then_some(key.to_be_bytes())
    };
    let mut out = Vec::new();
    for p in pieces {
        match p {
            Piece::Message(kind, data, frag) => {
                encode::message(&mut out, *kind, data, *frag, &mut mask)
            }
            Piece::Ping(d) => encode::ping(&mut out, mask(), d).expect("at most 125 bytes"),
            Piece::Pong(d) => encode::pong(&mut out, mask(), d).expect("at most 125 bytes"),
            Piece::Close(code, reason) => {
                // Written raw so that invalid codes go out too.
                let mut body = code.map(|c| c.to_be_bytes().to_vec()).unwrap_or_default();
                if code.is_some() {
                    body.extend_from_slice(reason.as_bytes());
                }
                encode::frame(&mut out, true, 0, OpCode::Close, mask(), &body);
            }
            Piece::Raw(b0, payload, form) => {
                let m = mask();
                let header = FrameHeader {
                    fin: true,
                    rsv: 0,
                    opcode: OpCode::Binary,
                    mask: m,
                    payload_len: payload.len() as u64,
                };
                let mut head = [0u8; MAX_HEADER_LEN];
                let n = encode_header(&header, *form, &mut head);
                head[0] = *b0;
                out.extend_from_slice(&head[..n]);
                let start = out.len();
                out.extend_from_slice(payload);
                if let Some(k) = m {
                    wirecheck_codec::ws::mask::apply_mask(&mut out[start..], k, 0);
                }
            }
            Piece::Junk(j) => out.extend_from_slice(j),
        }
    }
    out
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::Server), Just(Role::Client)]
}

fn check(receiver: Role, input: &[u8], cuts: &[usize]) -> Result<(), TestCaseError> {
    let ours = ours_decode(receiver, input, cuts);
    let mut points: Vec<usize> = cuts.iter().map(|&c| c.min(input.len())).collect();
    points.extend([0, input.len()]);
    points.sort_unstable();
    points.dedup();
    let pieces: Vec<&[u8]> = points.windows(2).map(|w| &input[w[0]..w[1]]).collect();
    let pieces = if pieces.is_empty() {
        vec![&input[..0]]
    } else {
        pieces
    };
    let theirs = tungstenite_decode(receiver, &pieces);
    compare(input, &ours, &theirs)
        .map_err(|why| TestCaseError::fail(format!("{receiver:?} {input:02x?}: {why}")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Valid and invalid frame sequences: both decoders agree on messages and on accept/reject.
    #[test]
    fn codec_agrees_with_tungstenite_on_frame_sequences(
        receiver in role(),
        pieces in proptest::collection::vec(piece(), 0..6),
        cuts in proptest::collection::vec(any::<usize>(), 0..6),
        truncate in proptest::option::of(any::<usize>()),
    ) {
        let mut input = encode_pieces(receiver, &pieces);
        if let Some(t) = truncate {
            input.truncate(t % (input.len() + 1));
        }
        let cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
        check(receiver, &input, &cuts)?;
    }

    /// Arbitrary bytes: both decoders agree.
    #[test]
    fn codec_agrees_with_tungstenite_on_arbitrary_bytes(
        receiver in role(),
        input in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        check(receiver, &input, &[])?;
    }
}

/// The documented divergences, each shown on a concrete input.
#[test]
fn named_divergences_are_normalised_and_nothing_else() {
    let mut input = Vec::new();
    // 1014 is registered (RFC 6455 §11.7): we accept it, tungstenite substitutes 1002.
    encode::close(&mut input, Some([1, 2, 3, 4]), Some(CloseCode(1014)), "").expect("valid code");
    check(Role::Server, &input, &[]).expect("1014 normalised");
    // A non-minimal length (§5.2): we reject, tungstenite accepts.
    let input = [0x81u8, 0xFE, 0x00, 0x01, 0, 0, 0, 0, b'x'];
    let ours = ours_decode(Role::Server, &input, &[]);
    assert!(ours.error.is_some());
    assert!(
        tungstenite_decode(Role::Server, &[&input])
            .rejected
            .is_none()
    );
    check(Role::Server, &input, &[]).expect("non-minimal length normalised");
    // A real difference is caught: pretend tungstenite delivered one more message.
    let mut theirs = tungstenite_decode(Role::Server, &[&input]);
    theirs.events.push(owned::OwnedEvent::Ping(vec![]));
    let ours = ours_decode(Role::Client, &[0x89, 0x00], &[]);
    assert!(compare(&[0x89, 0x00], &ours, &theirs).is_err());
}
