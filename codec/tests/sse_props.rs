//! Property tests of `wirecheck_codec::sse`: chunking independence, encode-then-parse
//! round trips, grammatical encoder output, and robustness with bounded memory on
//! arbitrary bytes.

use std::borrow::Cow;

use proptest::prelude::*;
use wirecheck_codec::sse::{
    Block, Config, EncodeError, EndOfStream, Event, Item, LimitExceeded, Parser, Retry,
};

type Parsed = (Vec<Item<'static>>, EndOfStream, Option<LimitExceeded>);

/// Feeds `input` split at `splits` (offsets, any order) and ends the stream.
fn parse_split(parser: Parser, input: &[u8], splits: &[usize]) -> Parsed {
    let mut cuts: Vec<usize> = splits.iter().map(|&s| s.min(input.len())).collect();
    cuts.sort_unstable();
    cuts.push(input.len());
    let mut parser = parser;
    let mut items = Vec::new();
    let mut error = None;
    let mut start = 0;
    for end in cuts {
        if let Err(e) = parser.feed(&input[start..end], |i| items.push(i.into_owned())) {
            error = Some(e);
            break;
        }
        start = end;
    }
    (items, parser.finish(), error)
}

fn any_stream() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just(&b"data"[..]),
        Just(&b"event"[..]),
        Just(&b"id"[..]),
        Just(&b"retry"[..]),
        Just(&b":"[..]),
        Just(&b": "[..]),
        Just(&b"\n"[..]),
        Just(&b"\r"[..]),
        Just(&b"\r\n"[..]),
        Just(&b"\0"[..]),
        Just(&b"\xEF\xBB\xBF"[..]),
        Just(&b"\xEF\xBB"[..]),
        Just(&b"\xF0\x9F\x98\x80"[..]),
        Just(&b"\xFF"[..]),
        Just(&b"123"[..]),
        Just(&b"abc"[..]),
    ];
    prop_oneof![
        2 => prop::collection::vec(token, 0..80).prop_map(|t| t.concat()),
        1 => prop::collection::vec(any::<u8>(), 0..300),
    ]
}

/// Any scalar value, with the characters that matter to the format made common.
fn any_text() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        4 => any::<char>(),
        2 => Just('\n'),
        2 => Just('\r'),
        2 => Just(' '),
        1 => Just(':'),
        1 => Just('\0'),
        1 => Just('\u{FEFF}'),
        1 => Just('\u{2028}'),
    ];
    prop::collection::vec(ch, 0..24).prop_map(String::from_iter)
}

/// Text without CR and LF (and, for ids, without NUL): what the encoder accepts.
fn line_text(allow_nul: bool) -> impl Strategy<Value = String> {
    any_text().prop_map(move |s| {
        s.chars()
            .filter(|&c| c != '\r' && c != '\n' && (allow_nul || c != '\0'))
            .collect()
    })
}

#[derive(Debug, Clone)]
struct OwnedBlock {
    comment: Option<String>,
    event_type: Option<String>,
    id: Option<String>,
    retry: Option<u64>,
    data: Option<String>,
}

impl OwnedBlock {
    fn as_block(&self) -> Block<'_> {
        Block {
            comment: self.comment.as_deref(),
            event_type: self.event_type.as_deref(),
            id: self.id.as_deref(),
            retry: self.retry,
            data: self.data.as_deref(),
        }
    }
}

fn any_block() -> impl Strategy<Value = OwnedBlock> {
    (
        prop::option::of(line_text(true)),
        prop::option::of(line_text(true)),
        prop::option::of(line_text(false)),
        prop::option::of(prop_oneof![Just(0u64), Just(u64::MAX), any::<u64>()]),
        prop::option::weighted(0.8, any_text()),
    )
        .prop_map(|(comment, event_type, id, retry, data)| OwnedBlock {
            comment,
            event_type,
            id,
            retry,
            data,
        })
}

/// What a client must see for `blocks`, from the spec's rules (not from the parser).
fn expected_items(blocks: &[OwnedBlock]) -> Vec<Item<'static>> {
    let mut last_id = String::new();
    let mut out = Vec::new();
    for b in blocks {
        if let Some(c) = &b.comment {
            out.push(Item::Comment(Cow::Owned(c.clone())));
        }
        if let Some(ms) = b.retry {
            out.push(Item::Retry(Retry::Millis(ms)));
        }
        if let Some(id) = &b.id {
            if *id != last_id {
                last_id = id.clone();
                out.push(Item::LastEventId(Cow::Owned(id.clone())));
            }
        }
        if let Some(data) = &b.data {
            let event_type = match b.event_type.as_deref() {
                None | Some("") => "message",
                Some(t) => t,
            };
            out.push(Item::Event(Event {
                event_type: Cow::Owned(event_type.to_string()),
                // The format carries line breaks as separate lines: all read back as LF.
                data: Cow::Owned(data.replace("\r\n", "\n").replace('\r', "\n")),
                last_event_id: Cow::Owned(last_id.clone()),
            }));
        }
    }
    out
}

/// The ABNF of WHATWG HTML §9.2.5, checked on encoder output (which never writes a
/// BOM), plus: only the four known field names, and `retry` values of digits only.
fn check_grammar(stream: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(stream).map_err(|e| e.to_string())?;
    // stream = [ bom ] *event; event = *( comment / field ) end-of-line
    // So every line is terminated, and the last line is empty.
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lines.push(std::mem::take(&mut line));
            }
            '\n' => lines.push(std::mem::take(&mut line)),
            c => line.push(c),
        }
    }
    if !line.is_empty() {
        return Err(format!("unterminated line {line:?}"));
    }
    if lines.last().is_some_and(|l| !l.is_empty()) {
        return Err(format!("does not end with an empty line: {text:?}"));
    }
    for line in lines {
        if line.is_empty() || line.starts_with(':') {
            continue; // end of an event, or comment = colon *any-char end-of-line
        }
        // field = 1*name-char [ colon [ space ] *any-char ] end-of-line
        let (name, value) = match line.split_once(':') {
            Some((n, v)) => (n, v.strip_prefix(' ').unwrap_or(v)),
            None => (line.as_str(), ""),
        };
        match name {
            "data" | "event" | "id" => {}
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {}
            _ => return Err(format!("bad field line {line:?}")),
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn output_is_independent_of_chunking(
        (input, splits) in any_stream().prop_flat_map(|s| {
            let n = s.len();
            (Just(s), prop::collection::vec(0..=n, 0..12))
        })
    ) {
        let whole = parse_split(Parser::new(Config::default()), &input, &[]);
        prop_assert_eq!(parse_split(Parser::new(Config::default()), &input, &splits), whole.clone());
        let every: Vec<usize> = (0..input.len()).collect();
        prop_assert_eq!(parse_split(Parser::new(Config::default()), &input, &every), whole);
    }

    #[test]
    fn output_is_independent_of_chunking_even_when_a_limit_stops_the_parser(
        (input, splits) in any_stream().prop_flat_map(|s| {
            let n = s.len();
            (Just(s), prop::collection::vec(0..=n, 0..12))
        })
    ) {
        let config = Config { max_line_len: 12, max_event_len: 24 };
        let (items, _, error) = parse_split(Parser::new(config), &input, &[]);
        let (items2, _, error2) = parse_split(Parser::new(config), &input, &splits);
        prop_assert_eq!(items2, items);
        prop_assert_eq!(error2, error);
    }

    #[test]
    fn encode_then_parse_returns_the_same_events(
        (blocks, splits) in prop::collection::vec(any_block(), 0..8).prop_flat_map(|b| {
            (Just(b), prop::collection::vec(0..2000usize, 0..10))
        })
    ) {
        let mut stream = Vec::new();
        for b in &blocks {
            b.as_block().encode(&mut stream).unwrap();
        }
        let (items, end, error) = parse_split(Parser::new(Config::default()), &stream, &splits);
        prop_assert_eq!(error, None);
        prop_assert_eq!(items, expected_items(&blocks));
        prop_assert!(!end.truncated(), "encoder output must end at a block boundary");
    }

    #[test]
    fn encoder_output_matches_the_grammar(blocks in prop::collection::vec(any_block(), 0..8)) {
        let mut stream = Vec::new();
        for b in &blocks {
            b.as_block().encode(&mut stream).unwrap();
        }
        wirecheck_codec::sse::heartbeat(&mut stream);
        prop_assert_eq!(check_grammar(&stream), Ok(()));
    }

    #[test]
    fn encoder_rejects_what_the_format_cannot_carry_and_writes_nothing(
        id in any_text(), event_type in any_text(), comment in any_text()
    ) {
        let mut out = b"prefix".to_vec();
        let r = Block::message("d").id(&id).encode(&mut out);
        if id.contains(['\r', '\n', '\0']) {
            prop_assert_eq!(r, Err(EncodeError::InvalidId));
        } else {
            prop_assert_eq!(r, Ok(()));
        }
        let mut out2 = b"prefix".to_vec();
        let r = Block::message("d").event(&event_type).encode(&mut out2);
        prop_assert_eq!(r.is_err(), event_type.contains(['\r', '\n']));
        let mut out3 = b"prefix".to_vec();
        let r = wirecheck_codec::sse::comment(&mut out3, &comment);
        prop_assert_eq!(r.is_err(), comment.contains(['\r', '\n']));
        for (o, failed) in [(&out, id.contains(['\r', '\n', '\0'])), (&out2, event_type.contains(['\r', '\n'])), (&out3, comment.contains(['\r', '\n']))] {
            if failed {
                prop_assert_eq!(o.as_slice(), b"prefix");
            } else {
                prop_assert_eq!(check_grammar(&o[6..]), Ok(()));
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_stay_within_the_limits(
        input in prop::collection::vec(any::<u8>(), 0..2000),
        chunk in 1usize..64,
        max_line_len in 0usize..40,
        max_event_len in 0usize..80,
    ) {
        let config = Config { max_line_len, max_event_len };
        let mut parser = Parser::new(config);
        let mut failed = None;
        for piece in input.chunks(chunk) {
            let mut item_ok = true;
            let r = parser.feed(piece, |item| match item {
                Item::Event(e) => {
                    item_ok &= e.data.len() <= 3 * max_event_len
                        && e.event_type.len() <= 3 * max_line_len.max(7)
                        && e.last_event_id.len() <= 3 * max_line_len;
                }
                Item::Comment(c) => item_ok &= c.len() <= 3 * max_line_len,
                Item::LastEventId(id) => item_ok &= id.len() <= 3 * max_line_len,
                Item::Retry(_) => {}
            });
            prop_assert!(item_ok, "an item exceeded the limits");
            let b = parser.buffered();
            prop_assert!(b.line <= max_line_len, "{b:?}");
            prop_assert!(b.data <= max_event_len, "{b:?}");
            prop_assert!(b.event_type <= max_line_len && b.id <= max_line_len, "{b:?}");
            prop_assert!(b.last_event_id <= 3 * max_line_len, "{b:?}");
            if let Err(e) = r {
                failed = Some(e);
                break;
            }
        }
        if let Some(e) = failed {
            // Terminal: the same error again, and nothing handed out.
            prop_assert_eq!(parser.feed(b"data: x\n\n", |_| panic!("item after error")), Err(e));
        }
        let _ = parser.finish();
    }
}
