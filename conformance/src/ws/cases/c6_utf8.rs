//! Category 6, UTF-8 Handling (145 cases): RFC 6455 §5.6: the payload of a text
//! message is UTF-8 (RFC 3629); §8.1: when an endpoint finds that a byte stream it
//! interprets as UTF-8 is not valid UTF-8, it MUST _Fail the WebSocket
//! Connection_ (§7.1.7), with 1007 (§7.4.1: data inconsistent with the message
//! type). Validity is a property of the whole message, whatever its framing
//! (§5.4), so fragments may split code points.
//!
//! * 6.1-6.3 (hand-written): empty fragments, valid text split on and inside code
//!   points, and an invalid message whole and in 1-byte frames.
//! * 6.4 (fail-fast): an invalid message sent in three parts with 1 s pauses;
//!   the strict server fails right after the part that makes the text invalid,
//!   a NON-STRICT one only when the frame or message is complete.
//! * 6.5-6.23 (the table [`vector_groups`]): 132 vectors, mostly from Markus
//!   Kuhn's UTF-8 decoder stress test, each sent as one text message in one
//!   frame. A valid vector must be echoed; an invalid one must fail with 1007.
//!   Which is which follows RFC 3629: no overlong forms, no surrogates
//!   (U+D800-U+DFFF), nothing above U+10FFFF, no 5- or 6-byte forms;
//!   non-characters such as U+FFFE are valid.

use super::{CONT, TEXT, echo, hex, message, peer_fails_invalid_utf8, send};
use crate::ws::case::{Case, Ev, ExpectedClose, FrameSpec, Step};
use Validity::{Invalid, Valid};

/// "κόσμε", valid UTF-8 with 2- and 3-byte code points.
const KOSME: &[u8] = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";

/// A valid text with 2-byte code points, used by 6.2.1-6.2.3.
const HELLO_UTF8: &str = "Hello-µ@ßöäüàá-UTF-8!!";

/// The encoded surrogate U+D800 (not valid UTF-8), used by 6.3.
const SURROGATE: &[u8] = b"\xed\xa0\x80";

/// The 4-byte form of 0x110000 (beyond U+10FFFF; not valid UTF-8), used by 6.4.
const OUT_OF_RANGE: &[u8] = b"\xf4\x90\x80\x80";

/// ASCII "edited", which ends the invalid texts of 6.3 and 6.4.
const EDITED: &[u8] = b"edited";

/// The parts, back to back.
fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Cases 6.1.1-6.23.7.
pub fn cases() -> Vec<Case> {
    let mut out = hand_written();
    out.extend(fail_fast());
    out.extend(generated());
    out
}

/// 6.1-6.3.
fn hand_written() -> Vec<Case> {
    let echoed = "The server echoes the text message as sent; the fuzzer then closes with 1000 and the close is clean.";
    let failed = "The server fails the connection (1007): the message is not valid UTF-8.";
    vec![
        // RFC 6455 §5.6: an empty text message is valid UTF-8 and is echoed.
        Case::new(
            "6.1.1",
            "Send a text message with an empty payload, in one frame.",
            echoed,
            vec![echo("", false)],
            ExpectedClose::fuzzer_closes_normally(),
            vec![send(FrameSpec::new(TEXT, "")), Step::close_after(1.0)],
        ),
        // RFC 6455 §5.4: fragments may be empty; three empty fragments are one empty message.
        Case::new(
            "6.1.2",
            "Send a text message in three fragments, each with an empty payload.",
            echoed,
            vec![echo("", false)],
            ExpectedClose::fuzzer_closes_normally(),
            vec![
                send(FrameSpec::new(TEXT, "").fin(false)),
                send(FrameSpec::new(CONT, "").fin(false)),
                send(FrameSpec::new(CONT, "")),
                Step::close_after(1.0),
            ],
        ),
        // RFC 6455 §5.4: empty first and last fragments around a non-empty one.
        Case::new(
            "6.1.3",
            "Send a text message in three fragments: empty, \"middle frame payload\", empty.",
            "The server echoes one text message \"middle frame payload\"; the fuzzer then closes with 1000 and the close is clean.",
            vec![echo("middle frame payload", false)],
            ExpectedClose::fuzzer_closes_normally(),
            vec![
                send(FrameSpec::new(TEXT, "").fin(false)),
                send(FrameSpec::new(CONT, "middle frame payload").fin(false)),
                send(FrameSpec::new(CONT, "")),
                Step::close_after(1.0),
            ],
        ),
        // RFC 6455 §5.6: valid UTF-8 with multi-byte code points is echoed exactly.
        Case::new(
            "6.2.1",
            format!(
                "Send the valid UTF-8 text \"{HELLO_UTF8}\" (0x{}) as one message in one frame.",
                hex(HELLO_UTF8.as_bytes())
            ),
            echoed,
            vec![echo(HELLO_UTF8, false)],
            ExpectedClose::fuzzer_closes_normally(),
            vec![message(HELLO_UTF8, false, None), Step::close_after(1.0)],
        ),
        // RFC 6455 §5.4: a message split between code points is reassembled.
        Case::new(
            "6.2.2",
            format!(
                "Send the valid UTF-8 text \"{HELLO_UTF8}\" in two fragments split between code points: \"Hello-µ@ßöä\" and \"üàá-UTF-8!!\"."
            ),
            echoed,
            vec![echo(HELLO_UTF8, false)],
            ExpectedClose::fuzzer_closes_normally(),
            vec![
                send(FrameSpec::new(TEXT, "Hello-µ@ßöä").fin(false)),
                send(FrameSpec::new(CONT, "üàá-UTF-8!!")),
                Step::close_after(1.0),
            ],
        ),
        // RFC 6455 §5.4/§5.6: validity is judged on the message, so fragments ending
        // inside a code point are fine.
        Case::new(
            "6.2.3",
            format!(
                "Send the valid UTF-8 text \"{HELLO_UTF8}\" (0x{}) in 1-byte fragments, so that most 2-byte code points are split across frames.",
                hex(HELLO_UTF8.as_bytes())
            ),
            echoed,
            vec![echo(HELLO_UTF8, false)],
            ExpectedClose::fuzzer_closes_normally(),
            vec![message(HELLO_UTF8, false, Some(1)), Step::close_after(1.0)],
        ),
        // As 6.2.3, with 2- and 3-byte code points.
        Case::new(
            "6.2.4",
            format!(
                "Send the valid UTF-8 text \"κόσμε\" (0x{}) in 1-byte fragments, splitting every code point across frames.",
                hex(KOSME)
            ),
            echoed,
            vec![echo(KOSME, false)],
            ExpectedClose::fuzzer_closes_normally(),
            vec![message(KOSME, false, Some(1)), Step::close_after(1.0)],
        ),
        // RFC 6455 §8.1: invalid UTF-8 (an encoded surrogate) MUST fail the connection.
        Case::new(
            "6.3.1",
            format!(
                "Send a text message that is not valid UTF-8 (\"κόσμε\", the encoded surrogate U+D800, \"edited\": 0x{}) in one frame.",
                hex(&concat(&[KOSME, SURROGATE, EDITED]))
            ),
            failed,
            vec![],
            peer_fails_invalid_utf8(),
            vec![
                message(concat(&[KOSME, SURROGATE, EDITED]), false, None),
                Step::kill_after(1.0),
            ],
        ),
        // RFC 6455 §8.1, whatever the fragmentation.
        Case::new(
            "6.3.2",
            format!(
                "Send the invalid text of 6.3.1 (0x{}) in 1-byte fragments.",
                hex(&concat(&[KOSME, SURROGATE, EDITED]))
            ),
            failed,
            vec![],
            peer_fails_invalid_utf8(),
            vec![
                message(concat(&[KOSME, SURROGATE, EDITED]), false, Some(1)),
                Step::kill_after(1.0),
            ],
        ),
    ]
}

/// 6.4.1-6.4.4: the text "κόσμε" + f4 90 80 80 (0x110000, beyond U+10FFFF) +
/// "edited", sent in three parts with a 1 s pause (tags A and B) after the
/// first two. The third part and the timer are sent only if the connection is
/// still open.
///
/// RFC 6455 §8.1 requires failing on invalid UTF-8 but not when; failing as soon
/// as the bytes already received cannot begin valid UTF-8 (fail fast) is the
/// strict outcome: only timeout A is recorded. Failing only once the frame or
/// message is complete records A and B: NON-STRICT. Failing earlier, on the
/// valid first part, or never failing is FAILED.
fn fail_fast() -> Vec<Case> {
    let text = concat(&[KOSME, OUT_OF_RANGE, EDITED]);
    // The first byte that makes the text invalid: 0x90 after 0xf4 (offset 12).
    let bad = KOSME.len() + 1;
    // Split 1: the valid text | the whole 4-byte sequence | "edited".
    let by_sequence: [Vec<u8>; 3] = [KOSME.to_vec(), OUT_OF_RANGE.to_vec(), EDITED.to_vec()];
    // Split 2: up to and including 0xf4 | 0x90 | the rest.
    let at_byte: [Vec<u8>; 3] = [
        text[..bad].to_vec(),
        text[bad..=bad].to_vec(),
        text[bad + 1..].to_vec(),
    ];
    let expectation = "The server accepts the first part (timeout A is recorded), then fails the connection (1007) as soon as the second part makes the text invalid, before timeout B. Failing only when the whole frame or message has arrived (timeouts A and B) is NON-STRICT.";
    let describe = |parts: &[Vec<u8>; 3], how: &str| {
        format!(
            "Send the invalid text \"κόσμε\" + f4 90 80 80 (0x110000, beyond U+10FFFF) + \"edited\" {how}: 0x{}, pause 1 s, 0x{}, pause 1 s, 0x{}.",
            hex(&parts[0]),
            hex(&parts[1]),
            hex(&parts[2])
        )
    };

    // As three frames: text (FIN clear), continuation (FIN clear), continuation (FIN set).
    let as_frames = |parts: &[Vec<u8>; 3]| {
        vec![
            send(FrameSpec::new(TEXT, parts[0].clone()).fin(false)),
            Step::wait(1.0, Some("A")),
            send(FrameSpec::new(CONT, parts[1].clone()).fin(false)),
            Step::wait(1.0, Some("B")),
            send(FrameSpec::new(CONT, parts[2].clone())),
            Step::kill_after(1.0),
        ]
    };
    // As three writes of one frame: Autobahn's `beginMessage` + `beginMessageFrame(21)`
    // sends a text frame header with FIN clear announcing all 21 bytes, the parts
    // follow as `sendMessageFrameData`, and `endMessage` ends the message with an
    // empty continuation frame with FIN set.
    let as_one_frame = |parts: &[Vec<u8>; 3]| {
        vec![
            Step::BeginFrame {
                opcode: TEXT,
                fin: false,
                total_len: text.len(),
            },
            Step::FrameData(parts[0].clone()),
            Step::wait(1.0, Some("A")),
            Step::FrameData(parts[1].clone()),
            Step::wait(1.0, Some("B")),
            Step::FrameData(parts[2].clone()),
            send(FrameSpec::new(CONT, "")),
            Step::kill_after(1.0),
        ]
    };

    let fail_fast_case = |id: &str, description: String, steps: Vec<Step>| {
        Case::new(
            id,
            description,
            expectation,
            vec![Ev::Timeout("A")],
            peer_fails_invalid_utf8(),
            steps,
        )
        .non_strict(vec![Ev::Timeout("A"), Ev::Timeout("B")])
    };

    vec![
        // RFC 6455 §8.1: fail on invalid UTF-8; here the whole bad sequence is one frame.
        fail_fast_case(
            "6.4.1",
            describe(
                &by_sequence,
                "in three frames, the second holding the whole out-of-range sequence",
            ),
            as_frames(&by_sequence),
        ),
        // RFC 6455 §8.1: the second frame ends right at the first impossible byte.
        fail_fast_case(
            "6.4.2",
            describe(
                &at_byte,
                "in three frames, the second holding only the byte that makes the text invalid",
            ),
            as_frames(&at_byte),
        ),
        // RFC 6455 §8.1: as 6.4.1, but the parts are three TCP writes of one frame.
        fail_fast_case(
            "6.4.3",
            describe(
                &by_sequence,
                "as three TCP writes of a single 21-byte frame (split as in 6.4.1)",
            ),
            as_one_frame(&by_sequence),
        ),
        // RFC 6455 §8.1: as 6.4.2, but the parts are three TCP writes of one frame.
        fail_fast_case(
            "6.4.4",
            describe(
                &at_byte,
                "as three TCP writes of a single 21-byte frame (split as in 6.4.2)",
            ),
            as_one_frame(&at_byte),
        ),
    ]
}

/// Whether a vector of the table is valid UTF-8 (RFC 3629).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Validity {
    /// Valid: the server must echo it.
    Valid,
    /// Invalid: the server must fail the connection with 1007.
    Invalid,
}

/// One subcategory of 6.5-6.23: its number, what its vectors are, the vectors in case order.
pub(super) struct Group {
    /// `n` in `6.n.*`.
    pub(super) sub: u32,
    /// What its vectors are (a phrase used in the descriptions).
    pub(super) name: &'static str,
    /// The vectors; the first is case `6.n.1`.
    pub(super) vectors: Vec<(Validity, Vec<u8>)>,
}

/// A row group of the table.
fn group(sub: u32, name: &'static str, vectors: Vec<(Validity, Vec<u8>)>) -> Group {
    Group { sub, name, vectors }
}

/// A valid vector.
fn v(bytes: &[u8]) -> (Validity, Vec<u8>) {
    (Valid, bytes.to_vec())
}

/// An invalid vector.
fn x(bytes: &[u8]) -> (Validity, Vec<u8>) {
    (Invalid, bytes.to_vec())
}

/// Each start byte in `from..to` followed by a space.
fn lonely_starts(from: u8, to: u8) -> Vec<u8> {
    (from..to).flat_map(|b| [b, b' ']).collect()
}

/// The sequences of 6.14, each missing its last continuation byte.
const LAST_BYTE_MISSING: [&[u8]; 10] = [
    b"\xc0",
    b"\xe0\x80",
    b"\xf0\x80\x80",
    b"\xf8\x80\x80\x80",
    b"\xfc\x80\x80\x80\x80",
    b"\xdf",
    b"\xef\xbf",
    b"\xf7\xbf\xbf",
    b"\xfb\xbf\xbf\xbf",
    b"\xfd\xbf\xbf\xbf\xbf",
];

/// The table of 6.5-6.23 (132 vectors: 63 valid, 69 invalid). Validity follows
/// RFC 3629 §3-§4; RFC 6455 §8.1 makes an invalid one fail the connection.
pub(super) fn vector_groups() -> Vec<Group> {
    // 6.6: every prefix of "κόσμε"; a prefix that ends inside a code point is
    // invalid (an incomplete sequence at the end of a message). Code points end
    // at lengths 2, 5, 7, 9 and 11.
    let prefixes = (1..=KOSME.len())
        .map(|n| {
            let validity = if [2, 5, 7, 9, 11].contains(&n) {
                Valid
            } else {
                Invalid
            };
            (validity, KOSME[..n].to_vec())
        })
        .collect();

    // 6.22: the non-characters U+nFFFE and U+nFFFF of planes 1-16, valid UTF-8:
    // F0-F4 × 8F/9F/AF/BF × BF × BE/BF, without the overlong F0 8F .. and without
    // F4 9F/AF/BF .. (beyond U+10FFFF).
    let mut noncharacters = vec![v(b"\xef\xbf\xbe"), v(b"\xef\xbf\xbf")];
    for lead in 0xf0..=0xf4u8 {
        for second in [0x8f, 0x9f, 0xaf, 0xbf] {
            if (lead == 0xf0 && second == 0x8f) || (lead == 0xf4 && second != 0x8f) {
                continue;
            }
            for last in [0xbe, 0xbf] {
                noncharacters.push(v(&[lead, second, 0xbf, last]));
            }
        }
    }

    vec![
        // RFC 3629: 1- to 4-byte forms of valid scalar values.
        group(
            5,
            "valid sequences of 1 to 4 bytes",
            vec![
                v(b"hello\x24world"),             // U+0024
                v(b"hello\xc2\xa2world"),         // U+00A2
                v(b"hello\xe2\x82\xacworld"),     // U+20AC
                v(b"hello\xf0\xa4\xad\xa2world"), // U+24B62
                v(KOSME),
            ],
        ),
        // RFC 3629 §3: a truncated multi-byte sequence is invalid.
        group(6, "a prefix of κόσμε", prefixes),
        // RFC 3629 §3: the shortest valid form of each length.
        group(
            7,
            "the first code point of each length",
            vec![
                v(b"\x00"),             // U+0000
                v(b"\xc2\x80"),         // U+0080
                v(b"\xe0\xa0\x80"),     // U+0800
                v(b"\xf0\x90\x80\x80"), // U+10000
            ],
        ),
        // RFC 3629 §3: 5- and 6-byte forms do not exist (nothing above U+10FFFF).
        group(
            8,
            "a 5- or 6-byte form, beyond U+10FFFF",
            vec![x(b"\xf8\x88\x80\x80\x80"), x(b"\xfc\x84\x80\x80\x80\x80")],
        ),
        // RFC 3629 §3: the largest valid value of each length.
        group(
            9,
            "the last code point of each length",
            vec![
                v(b"\x7f"),             // U+007F
                v(b"\xdf\xbf"),         // U+07FF
                v(b"\xef\xbf\xbf"),     // U+FFFF
                v(b"\xf4\x8f\xbf\xbf"), // U+10FFFF
            ],
        ),
        // RFC 3629 §3: values above U+10FFFF are invalid.
        group(
            10,
            "a 4- to 6-byte form beyond U+10FFFF",
            vec![
                x(b"\xf7\xbf\xbf\xbf"),
                x(b"\xfb\xbf\xbf\xbf\xbf"),
                x(b"\xfd\xbf\xbf\xbf\xbf\xbf"),
            ],
        ),
        // RFC 3629 §3: around the surrogate gap and the top of the range.
        group(
            11,
            "a boundary around the surrogates or U+10FFFF",
            vec![
                v(b"\xed\x9f\xbf"),     // U+D7FF
                v(b"\xee\x80\x80"),     // U+E000
                v(b"\xef\xbf\xbd"),     // U+FFFD
                v(b"\xf4\x8f\xbf\xbf"), // U+10FFFF
                x(b"\xf4\x90\x80\x80"), // 0x110000
            ],
        ),
        // RFC 3629 §3: a continuation byte cannot start a sequence.
        group(
            12,
            "stray continuation bytes",
            vec![
                x(b"\x80"),
                x(b"\xbf"),
                x(b"\x80\xbf"),
                x(b"\x80\xbf\x80"),
                x(b"\x80\xbf\x80\xbf"),
                x(b"\x80\xbf\x80\xbf\x80"),
                x(b"\x80\xbf\x80\xbf\x80\xbf"),
                // Every byte 0x80-0xbe (0xbf is left out, as in Autobahn).
                (Invalid, (0x80..0xbf).collect()),
            ],
        ),
        // RFC 3629 §3: a start byte must be followed by its continuation bytes.
        // Upper bounds are exclusive, as in Autobahn (0xdf, 0xef, 0xf7, 0xfb, 0xfd
        // are left out).
        group(
            13,
            "start bytes each followed by a space",
            vec![
                (Invalid, lonely_starts(0xc0, 0xdf)),
                (Invalid, lonely_starts(0xe0, 0xef)),
                (Invalid, lonely_starts(0xf0, 0xf7)),
                (Invalid, lonely_starts(0xf8, 0xfb)),
                (Invalid, lonely_starts(0xfc, 0xfd)),
            ],
        ),
        // RFC 3629 §3: a sequence missing its last byte is invalid.
        group(
            14,
            "a sequence missing its last byte",
            LAST_BYTE_MISSING.iter().map(|s| x(s)).collect(),
        ),
        // As 6.14, all ten back to back.
        group(
            15,
            "ten incomplete sequences back to back",
            vec![(Invalid, LAST_BYTE_MISSING.concat())],
        ),
        // RFC 3629 §1: the bytes 0xfe and 0xff never appear in UTF-8.
        group(
            16,
            "bytes that never occur in UTF-8",
            vec![x(b"\xfe"), x(b"\xff"), x(b"\xfe\xfe\xff\xff")],
        ),
        // RFC 3629 §3/§10: overlong forms are invalid ('/' encoded in 2-6 bytes).
        group(
            17,
            "an overlong form of '/'",
            vec![
                x(b"\xc0\xaf"),
                x(b"\xe0\x80\xaf"),
                x(b"\xf0\x80\x80\xaf"),
                x(b"\xf8\x80\x80\x80\xaf"),
                x(b"\xfc\x80\x80\x80\x80\xaf"),
            ],
        ),
        // RFC 3629 §3: the largest values that are still overlong.
        group(
            18,
            "the largest overlong form of a length",
            vec![
                x(b"\xc1\xbf"),
                x(b"\xe0\x9f\xbf"),
                x(b"\xf0\x8f\xbf\xbf"),
                x(b"\xf8\x87\xbf\xbf\xbf"),
                x(b"\xfc\x83\xbf\xbf\xbf\xbf"),
            ],
        ),
        // RFC 3629 §3/§10: NUL in overlong forms.
        group(
            19,
            "an overlong form of NUL",
            vec![
                x(b"\xc0\x80"),
                x(b"\xe0\x80\x80"),
                x(b"\xf0\x80\x80\x80"),
                x(b"\xf8\x80\x80\x80\x80"),
                x(b"\xfc\x80\x80\x80\x80\x80"),
            ],
        ),
        // RFC 3629 §3: the surrogates U+D800-U+DFFF must not be encoded.
        group(
            20,
            "a single UTF-16 surrogate",
            vec![
                x(b"\xed\xa0\x80"), // U+D800
                x(b"\xed\xad\xbf"), // U+DB7F
                x(b"\xed\xae\x80"), // U+DB80
                x(b"\xed\xaf\xbf"), // U+DBFF
                x(b"\xed\xb0\x80"), // U+DC00
                x(b"\xed\xbe\x80"), // U+DF80
                x(b"\xed\xbf\xbf"), // U+DFFF
            ],
        ),
        // RFC 3629 §3: nor may surrogate pairs (CESU-8 style).
        group(
            21,
            "a pair of UTF-16 surrogates",
            vec![
                x(b"\xed\xa0\x80\xed\xb0\x80"),
                x(b"\xed\xa0\x80\xed\xbf\xbf"),
                x(b"\xed\xad\xbf\xed\xb0\x80"),
                x(b"\xed\xad\xbf\xed\xbf\xbf"),
                x(b"\xed\xae\x80\xed\xb0\x80"),
                x(b"\xed\xae\x80\xed\xbf\xbf"),
                x(b"\xed\xaf\xbf\xed\xb0\x80"),
                x(b"\xed\xaf\xbf\xed\xbf\xbf"),
            ],
        ),
        // RFC 3629: non-characters are scalar values, so they are valid UTF-8.
        group(22, "a non-character", noncharacters),
        // RFC 3629: the Specials block U+FFF9-U+FFFF is valid UTF-8.
        group(
            23,
            "a code point of the Specials block U+FFF9-U+FFFF",
            vec![
                v(b"\xef\xbf\xb9"),
                v(b"\xef\xbf\xba"),
                v(b"\xef\xbf\xbb"),
                v(b"\xef\xbf\xbc"),
                v(b"\xef\xbf\xbd"), // U+FFFD, the replacement character
                v(b"\xef\xbf\xbe"),
                v(b"\xef\xbf\xbf"),
            ],
        ),
    ]
}

/// 6.5.1-6.23.7: each vector as one text message in one frame, timer 0.5 s.
fn generated() -> Vec<Case> {
    let mut out = Vec::new();
    for g in vector_groups() {
        for (i, (validity, payload)) in g.vectors.into_iter().enumerate() {
            let id = format!("6.{}.{}", g.sub, i + 1);
            let steps = vec![message(payload.clone(), false, None), Step::kill_after(0.5)];
            out.push(match validity {
                // RFC 6455 §5.6: valid text is delivered (and echoed) unchanged.
                Valid => Case::new(
                    &id,
                    format!("Send a text message in one frame whose payload is valid UTF-8 ({}): 0x{}.", g.name, hex(&payload)),
                    "The server echoes the text message as sent; the fuzzer then closes with 1000 and the close is clean.",
                    vec![echo(payload, false)],
                    ExpectedClose::fuzzer_closes_normally(),
                    steps,
                ),
                // RFC 6455 §8.1: invalid text MUST fail the connection (1007).
                Invalid => Case::new(
                    &id,
                    format!("Send a text message in one frame whose payload is not valid UTF-8 ({}): 0x{}.", g.name, hex(&payload)),
                    "The server fails the connection at once (1007): the payload is not valid UTF-8.",
                    vec![],
                    peer_fails_invalid_utf8(),
                    steps,
                ),
            });
        }
    }
    out
}
