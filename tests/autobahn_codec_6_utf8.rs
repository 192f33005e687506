//! Autobahn|Testsuite category 6, UTF-8 Handling (145 cases), at the codec level.
//!
//! A text message must be valid UTF-8 (RFC 3629) or the connection fails with
//! 1007 (RFC 6455 §5.6, §8.1). The decoder validates as bytes arrive, so the
//! engine checks the error comes exactly on the first byte after which the
//! message can no longer be valid (or on the last byte of a message that ends
//! inside a sequence), in every segmentation, with nothing echoed before it.
//!
//! * 6.1-6.4 (13 cases) are hand-written: empty fragments, a valid string whole,
//!   split on and within code points, in 1-byte frames; invalid strings whole and
//!   in 1-byte frames; and the 6.4.x fail-fast cases, where the fuzzer waits
//!   (tags `A`, `B`) between three frames (6.4.1/6.4.2) or between three writes
//!   of one frame (6.4.3/6.4.4). `OK` there is `[("timeout", "A")]`: no failure
//!   before the offending part, a failure while it is fed.
//! * 6.5-6.23 (132 cases) are Autobahn's table of vectors (Markus Kuhn's UTF-8
//!   decoder stress test plus additions), each sent as one text message in one
//!   frame: valid ones are echoed, invalid ones fail with 1007.

#[macro_use]
#[path = "common/autobahn.rs"]
mod autobahn;

use autobahn::*;

/// "κόσμε".
const KOSME: &str = "cebae1bdb9cf83cebcceb5";
/// 6.2.x: a string with 2-byte code points.
const HELLO_UTF8: &str = "Hello-µ@ßöäüàá-UTF-8!!";
/// 6.3.x: κόσμε, the lone surrogate U+D800 (`ed a0 80`), "edited".
const SURROGATE_IN_THE_MIDDLE: &str = "cebae1bdb9cf83cebcceb5 eda080 656469746564";
/// 6.4.x: κόσμε, U+110000 encoded like UTF-8 (`f4 90 80 80`, beyond U+10FFFF), "edited".
const OUT_OF_RANGE_PARTS: [&str; 3] = ["cebae1bdb9cf83cebcceb5", "f4908080", "656469746564"];
/// 6.14.x: sequences with their last continuation byte missing (6.15 is their concatenation).
const LAST_BYTE_MISSING: [&str; 10] = [
    "c0",
    "e080",
    "f08080",
    "f8808080",
    "fc80808080",
    "df",
    "efbf",
    "f7bfbf",
    "fbbfbfbf",
    "fdbfbfbfbf",
];

/// 6.5.1-6.5.4: "hello" + one code point (hex) + "world".
fn hello_world(code_point: &str) -> Vec<u8> {
    [b"hello".to_vec(), hex(code_point), b"world".to_vec()].concat()
}

/// 6.6.n: the first `n` bytes of κόσμε.
fn kosme_prefix(n: usize) -> Vec<u8> {
    hex(KOSME)[..n].to_vec()
}

/// 6.12.8: the bytes `lo..hi` (Python's `xrange(0x80, 0xbf)`: 0xbf excluded).
fn byte_range(lo: u8, hi: u8) -> Vec<u8> {
    (lo..hi).collect()
}

/// 6.13.x: every start byte in `lo..hi` (upper bound excluded), each followed by a space.
fn lonely_starts(lo: u8, hi: u8) -> Vec<u8> {
    (lo..hi).flat_map(|b| [b, 0x20]).collect()
}

/// The 6.4.x payload, and the offset of its offending byte (the `0x90`).
fn out_of_range() -> (Vec<u8>, usize) {
    let p = hex(&OUT_OF_RANGE_PARTS.concat());
    (p, 12)
}

/// A generated case: one text message in one frame.
fn one_frame(validity: &str, payload: Vec<u8>) -> Case {
    match validity {
        "valid" => Fuzz::new()
            .text(&payload)
            .then_close()
            .expect([text(&payload), close(1000, "")])
            .expected_ok([echo_text(&payload)])
            .fuzzer_closes(&[1000]),
        "invalid" => Fuzz::new()
            .text(&payload)
            .expect([])
            .fails_utf8()
            .expected_ok([])
            .peer_fails(&[1007]),
        other => panic!("validity {other:?}"),
    }
}

/// A valid text message sent as the given frames, echoed whole.
fn echo_case(fuzz: Fuzz, whole: &[u8]) -> Case {
    fuzz.then_close()
        .expect([text(whole), close(1000, "")])
        .expected_ok([echo_text(whole)])
        .fuzzer_closes(&[1000])
}

/// An invalid text message: 1007 on the offending byte, nothing echoed.
fn invalid_case(fuzz: Fuzz) -> Case {
    fuzz.expect([])
        .fails_utf8()
        .expected_ok([])
        .peer_fails(&[1007])
}

/// 6.4.x: fails while the second part is fed, not before (so the case records
/// `("timeout", "A")`) and not after (no `("timeout", "B")`).
fn fail_fast_case(fuzz: Fuzz) -> Case {
    fuzz.expect([])
        .fails_utf8()
        .fail_in_write(1)
        .expected_ok([timeout("A")])
        .peer_fails(&[1007])
}

cases! {
    /// 6.1.1: an empty text message.
    case_6_1_1 => echo_case(Fuzz::new().text(b""), b""),
    /// 6.1.2: three empty fragments.
    case_6_1_2 => echo_case(Fuzz::new().text_first(b"").cont(b"").cont_fin(b""), b""),
    /// 6.1.3: empty, "middle frame payload", empty.
    case_6_1_3 => echo_case(
        Fuzz::new().text_first(b"").cont(b"middle frame payload").cont_fin(b""),
        b"middle frame payload"
    ),
    /// 6.2.1: a valid string with 2-byte code points in one frame.
    case_6_2_1 => echo_case(Fuzz::new().text(HELLO_UTF8), HELLO_UTF8.as_bytes()),
    /// 6.2.2: the same in two frames split on a code point boundary.
    case_6_2_2 => echo_case(
        Fuzz::new().text_first("Hello-µ@ßöä").cont_fin("üàá-UTF-8!!"),
        HELLO_UTF8.as_bytes()
    ),
    /// 6.2.3: the same in 1-byte frames (split within code points).
    case_6_2_3 => echo_case(Fuzz::new().text_bytewise(HELLO_UTF8), HELLO_UTF8.as_bytes()),
    /// 6.2.4: κόσμε in 1-byte frames.
    case_6_2_4 => echo_case(Fuzz::new().text_bytewise(hex(KOSME)), &hex(KOSME)),
    /// 6.3.1: κόσμε + a lone surrogate + "edited" in one frame.
    case_6_3_1 => invalid_case(Fuzz::new().text(hex(SURROGATE_IN_THE_MIDDLE))),
    /// 6.3.2: the same in 1-byte frames.
    case_6_3_2 => invalid_case(Fuzz::new().text_bytewise(hex(SURROGATE_IN_THE_MIDDLE))),
    /// 6.4.1: frames κόσμε │ wait A │ `f4 90 80 80` │ wait B │ "edited": fails in frame 2.
    case_6_4_1 => fail_fast_case(
        Fuzz::new()
            .text_first(hex(OUT_OF_RANGE_PARTS[0]))
            .wait("A")
            .cont(hex(OUT_OF_RANGE_PARTS[1]))
            .wait("B")
            .cont_fin(hex(OUT_OF_RANGE_PARTS[2]))
    ),
    /// 6.4.2: frames split at the offending byte: `…ce b5 f4` │ A │ `90` │ B │ `80 80` "edited".
    case_6_4_2 => {
        let (p, bad) = out_of_range();
        fail_fast_case(
            Fuzz::new()
                .text_first(&p[..bad])
                .wait("A")
                .cont(&p[bad..bad + 1])
                .wait("B")
                .cont_fin(&p[bad + 1..]),
        )
    },
    /// 6.4.3: one frame written in three parts, split as in 6.4.1: fails in part 2.
    case_6_4_3 => fail_fast_case(Fuzz::new().frame_in_parts(
        true,
        0x1,
        &[&hex(OUT_OF_RANGE_PARTS[0]), &hex(OUT_OF_RANGE_PARTS[1]), &hex(OUT_OF_RANGE_PARTS[2])],
        &["A", "B"],
    )),
    /// 6.4.4: one frame written in three parts, split as in 6.4.2: fails on part 2, the `0x90`.
    case_6_4_4 => {
        let (p, bad) = out_of_range();
        fail_fast_case(Fuzz::new().frame_in_parts(
            true,
            0x1,
            &[&p[..bad], &p[bad..bad + 1], &p[bad + 1..]],
            &["A", "B"],
        ))
    },
}

/// The generated cases 6.5-6.23: `case id => valid|invalid, payload;`, one
/// `#[test]` each, plus `generated()` for the table checks below.
macro_rules! utf8_table {
    ($($name:ident => $validity:ident, $payload:expr;)*) => {
        cases! { $($name => one_frame(stringify!($validity), $payload),)* }

        fn generated() -> Vec<(&'static str, bool, Vec<u8>)> {
            vec![$((stringify!($name), stringify!($validity) == "valid", $payload)),*]
        }
    };
}

utf8_table! {
    case_6_5_1 => valid, hello_world("24");
    case_6_5_2 => valid, hello_world("c2a2");
    case_6_5_3 => valid, hello_world("e282ac");
    case_6_5_4 => valid, hello_world("f0a4ada2");
    case_6_5_5 => valid, hex("cebae1bdb9cf83cebcceb5");
    case_6_6_1 => invalid, kosme_prefix(1);
    case_6_6_2 => valid, kosme_prefix(2);
    case_6_6_3 => invalid, kosme_prefix(3);
    case_6_6_4 => invalid, kosme_prefix(4);
    case_6_6_5 => valid, kosme_prefix(5);
    case_6_6_6 => invalid, kosme_prefix(6);
    case_6_6_7 => valid, kosme_prefix(7);
    case_6_6_8 => invalid, kosme_prefix(8);
    case_6_6_9 => valid, kosme_prefix(9);
    case_6_6_10 => invalid, kosme_prefix(10);
    case_6_6_11 => valid, kosme_prefix(11);
    case_6_7_1 => valid, hex("00");
    case_6_7_2 => valid, hex("c280");
    case_6_7_3 => valid, hex("e0a080");
    case_6_7_4 => valid, hex("f0908080");
    case_6_8_1 => invalid, hex("f888808080");
    case_6_8_2 => invalid, hex("fc8480808080");
    case_6_9_1 => valid, hex("7f");
    case_6_9_2 => valid, hex("dfbf");
    case_6_9_3 => valid, hex("efbfbf");
    case_6_9_4 => valid, hex("f48fbfbf");
    case_6_10_1 => invalid, hex("f7bfbfbf");
    case_6_10_2 => invalid, hex("fbbfbfbfbf");
    case_6_10_3 => invalid, hex("fdbfbfbfbfbf");
    case_6_11_1 => valid, hex("ed9fbf");
    case_6_11_2 => valid, hex("ee8080");
    case_6_11_3 => valid, hex("efbfbd");
    case_6_11_4 => valid, hex("f48fbfbf");
    case_6_11_5 => invalid, hex("f4908080");
    case_6_12_1 => invalid, hex("80");
    case_6_12_2 => invalid, hex("bf");
    case_6_12_3 => invalid, hex("80bf");
    case_6_12_4 => invalid, hex("80bf80");
    case_6_12_5 => invalid, hex("80bf80bf");
    case_6_12_6 => invalid, hex("80bf80bf80");
    case_6_12_7 => invalid, hex("80bf80bf80bf");
    case_6_12_8 => invalid, byte_range(0x80, 0xbf);
    case_6_13_1 => invalid, lonely_starts(0xc0, 0xdf);
    case_6_13_2 => invalid, lonely_starts(0xe0, 0xef);
    case_6_13_3 => invalid, lonely_starts(0xf0, 0xf7);
    case_6_13_4 => invalid, lonely_starts(0xf8, 0xfb);
    case_6_13_5 => invalid, lonely_starts(0xfc, 0xfd);
    case_6_14_1 => invalid, hex("c0");
    case_6_14_2 => invalid, hex("e080");
    case_6_14_3 => invalid, hex("f08080");
    case_6_14_4 => invalid, hex("f8808080");
    case_6_14_5 => invalid, hex("fc80808080");
    case_6_14_6 => invalid, hex("df");
    case_6_14_7 => invalid, hex("efbf");
    case_6_14_8 => invalid, hex("f7bfbf");
    case_6_14_9 => invalid, hex("fbbfbfbf");
    case_6_14_10 => invalid, hex("fdbfbfbfbf");
    case_6_15_1 => invalid, hex(&LAST_BYTE_MISSING.concat());
    case_6_16_1 => invalid, hex("fe");
    case_6_16_2 => invalid, hex("ff");
    case_6_16_3 => invalid, hex("fefeffff");
    case_6_17_1 => invalid, hex("c0af");
    case_6_17_2 => invalid, hex("e080af");
    case_6_17_3 => invalid, hex("f08080af");
    case_6_17_4 => invalid, hex("f8808080af");
    case_6_17_5 => invalid, hex("fc80808080af");
    case_6_18_1 => invalid, hex("c1bf");
    case_6_18_2 => invalid, hex("e09fbf");
    case_6_18_3 => invalid, hex("f08fbfbf");
    case_6_18_4 => invalid, hex("f887bfbfbf");
    case_6_18_5 => invalid, hex("fc83bfbfbfbf");
    case_6_19_1 => invalid, hex("c080");
    case_6_19_2 => invalid, hex("e08080");
    case_6_19_3 => invalid, hex("f0808080");
    case_6_19_4 => invalid, hex("f880808080");
    case_6_19_5 => invalid, hex("fc8080808080");
    case_6_20_1 => invalid, hex("eda080");
    case_6_20_2 => invalid, hex("edadbf");
    case_6_20_3 => invalid, hex("edae80");
    case_6_20_4 => invalid, hex("edafbf");
    case_6_20_5 => invalid, hex("edb080");
    case_6_20_6 => invalid, hex("edbe80");
    case_6_20_7 => invalid, hex("edbfbf");
    case_6_21_1 => invalid, hex("eda080edb080");
    case_6_21_2 => invalid, hex("eda080edbfbf");
    case_6_21_3 => invalid, hex("edadbfedb080");
    case_6_21_4 => invalid, hex("edadbfedbfbf");
    case_6_21_5 => invalid, hex("edae80edb080");
    case_6_21_6 => invalid, hex("edae80edbfbf");
    case_6_21_7 => invalid, hex("edafbfedb080");
    case_6_21_8 => invalid, hex("edafbfedbfbf");
    case_6_22_1 => valid, hex("efbfbe");
    case_6_22_2 => valid, hex("efbfbf");
    case_6_22_3 => valid, hex("f09fbfbe");
    case_6_22_4 => valid, hex("f09fbfbf");
    case_6_22_5 => valid, hex("f0afbfbe");
    case_6_22_6 => valid, hex("f0afbfbf");
    case_6_22_7 => valid, hex("f0bfbfbe");
    case_6_22_8 => valid, hex("f0bfbfbf");
    case_6_22_9 => valid, hex("f18fbfbe");
    case_6_22_10 => valid, hex("f18fbfbf");
    case_6_22_11 => valid, hex("f19fbfbe");
    case_6_22_12 => valid, hex("f19fbfbf");
    case_6_22_13 => valid, hex("f1afbfbe");
    case_6_22_14 => valid, hex("f1afbfbf");
    case_6_22_15 => valid, hex("f1bfbfbe");
    case_6_22_16 => valid, hex("f1bfbfbf");
    case_6_22_17 => valid, hex("f28fbfbe");
    case_6_22_18 => valid, hex("f28fbfbf");
    case_6_22_19 => valid, hex("f29fbfbe");
    case_6_22_20 => valid, hex("f29fbfbf");
    case_6_22_21 => valid, hex("f2afbfbe");
    case_6_22_22 => valid, hex("f2afbfbf");
    case_6_22_23 => valid, hex("f2bfbfbe");
    case_6_22_24 => valid, hex("f2bfbfbf");
    case_6_22_25 => valid, hex("f38fbfbe");
    case_6_22_26 => valid, hex("f38fbfbf");
    case_6_22_27 => valid, hex("f39fbfbe");
    case_6_22_28 => valid, hex("f39fbfbf");
    case_6_22_29 => valid, hex("f3afbfbe");
    case_6_22_30 => valid, hex("f3afbfbf");
    case_6_22_31 => valid, hex("f3bfbfbe");
    case_6_22_32 => valid, hex("f3bfbfbf");
    case_6_22_33 => valid, hex("f48fbfbe");
    case_6_22_34 => valid, hex("f48fbfbf");
    case_6_23_1 => valid, hex("efbfb9");
    case_6_23_2 => valid, hex("efbfba");
    case_6_23_3 => valid, hex("efbfbb");
    case_6_23_4 => valid, hex("efbfbc");
    case_6_23_5 => valid, hex("efbfbd");
    case_6_23_6 => valid, hex("efbfbe");
    case_6_23_7 => valid, hex("efbfbf");
}

/// The table has the reference's shape: 132 vectors, 63 valid, and per
/// subcategory the counts of §5.7; and each flag agrees with Rust's own UTF-8
/// validator, so the table itself is not where a failure comes from.
#[test]
fn generated_table_matches_the_reference() {
    let table = generated();
    assert_eq!(table.len(), 132);
    assert_eq!(table.iter().filter(|(_, valid, _)| *valid).count(), 63);
    let per_sub: Vec<(u32, usize, usize)> = (5..=23)
        .map(|sub| {
            let prefix = format!("case_6_{sub}_");
            let rows: Vec<_> = table
                .iter()
                .filter(|(n, _, _)| n.starts_with(&prefix))
                .collect();
            (sub, rows.len(), rows.iter().filter(|(_, v, _)| *v).count())
        })
        .collect();
    let expected: Vec<(u32, usize, usize)> = vec![
        (5, 5, 5),
        (6, 11, 5),
        (7, 4, 4),
        (8, 2, 0),
        (9, 4, 4),
        (10, 3, 0),
        (11, 5, 4),
        (12, 8, 0),
        (13, 5, 0),
        (14, 10, 0),
        (15, 1, 0),
        (16, 3, 0),
        (17, 5, 0),
        (18, 5, 0),
        (19, 5, 0),
        (20, 7, 0),
        (21, 8, 0),
        (22, 34, 34),
        (23, 7, 7),
    ];
    assert_eq!(per_sub, expected);
    for (name, valid, payload) in &table {
        assert_eq!(
            std::str::from_utf8(payload).is_ok(),
            *valid,
            "{name}: {payload:02x?}"
        );
    }
}

/// The vectors built by code rather than written out: exact bytes.
#[test]
fn computed_vectors_are_exact() {
    let table = generated();
    let get = |id: &str| table.iter().find(|(n, _, _)| *n == id).unwrap().2.clone();
    assert_eq!(get("case_6_5_1"), b"hello$world");
    assert_eq!(get("case_6_6_1"), [0xce]);
    assert_eq!(get("case_6_6_11"), hex(KOSME));
    let all_continuations = get("case_6_12_8");
    assert_eq!(all_continuations.len(), 63);
    assert_eq!((all_continuations[0], all_continuations[62]), (0x80, 0xbe));
    let lonely: Vec<usize> = (1..=5)
        .map(|j| get(&format!("case_6_13_{j}")).len())
        .collect();
    assert_eq!(lonely, [62, 30, 14, 6, 2]);
    assert_eq!(get("case_6_13_5"), [0xfc, 0x20]);
    assert_eq!(&get("case_6_13_4"), &[0xf8, 0x20, 0xf9, 0x20, 0xfa, 0x20]);
    assert_eq!(
        get("case_6_15_1"),
        hex("c0 e080 f08080 f8808080 fc80808080 df efbf f7bfbf fbbfbfbf fdbfbfbfbf")
    );
    let (p, bad) = out_of_range();
    assert_eq!((p.len(), p[bad - 1], p[bad]), (21, 0xf4, 0x90));
}
