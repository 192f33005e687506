//! A slow, literal transcription of the WHATWG algorithm ("Interpreting an event
//! stream", HTML §9.2.6), kept here as the oracle for `wirecheck_codec::sse::Parser`.
//!
//! It works the way the spec reads: decode the *whole* stream to text first, strip
//! one leading BOM, walk the characters splitting lines, and run the field and
//! dispatch steps on `String`s. No chunking, no limits, no borrowing, no bytes. The
//! fast parser must agree with it on every input, whole or chunked.
//!
//! The one assumption: `String::from_utf8_lossy` is the Encoding Standard's "UTF-8
//! decode" (without BOM sniffing). Both replace each maximal malformed subpart by one
//! U+FFFD (Unicode's recommended practice, which the Encoding Standard adopts).

use std::borrow::Cow;

use proptest::prelude::*;
use wirecheck_codec::sse::{Config, EndOfStream, Event, Item, Parser, Retry};

/// The state of one event stream (§9.2.6: "data buffer", "event type buffer",
/// "last event ID buffer"; §9.2.3: the source's "last event ID string" and
/// "reconnection time"), and what the stream produced.
struct Reference {
    data: String,
    event_type: String,
    last_event_id_buffer: String,
    last_event_id_string: String,
    reconnection_time: Option<u64>,
    lines_since_empty_line: bool,
    produced: Vec<Item<'static>>,
}

fn reference(stream: &[u8], seed: &str) -> (Vec<Item<'static>>, EndOfStream) {
    // "Streams must be decoded using the UTF-8 decode algorithm." That algorithm
    // removes one leading U+FEFF BYTE ORDER MARK and replaces errors by U+FFFD.
    let decoded = String::from_utf8_lossy(stream);
    let text = decoded.strip_prefix('\u{FEFF}').unwrap_or(&decoded);

    let mut es = Reference {
        data: String::new(),
        event_type: String::new(),
        // A reconnecting client's parser starts with its last event ID (reference/sse.md §2.7).
        last_event_id_buffer: seed.to_string(),
        last_event_id_string: seed.to_string(),
        reconnection_time: None,
        lines_since_empty_line: false,
        produced: Vec::new(),
    };

    // "The stream must then be parsed by reading everything line by line, with a U+000D
    // CARRIAGE RETURN U+000A LINE FEED (CRLF) character pair, a single U+000A LINE FEED
    // (LF) character not preceded by a U+000D CARRIAGE RETURN (CR) character, and a
    // single U+000D CARRIAGE RETURN (CR) character not followed by a U+000A LINE FEED
    // (LF) character being the ways in which a line can end."
    let chars: Vec<char> = text.chars().collect();
    let mut line = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\r' => {
                es.process_line(&line);
                line.clear();
                if chars.get(i + 1) == Some(&'\n') {
                    i += 1;
                }
            }
            '\n' => {
                es.process_line(&line);
                line.clear();
            }
            c => line.push(c),
        }
        i += 1;
    }

    // "Once the end of the file is reached, any pending data must be discarded. (If the
    // file ends in the middle of an event, before the final empty line, the incomplete
    // event is not dispatched.)"
    let end = EndOfStream {
        last_event_id: es.last_event_id_string.clone(),
        reconnection_time: es.reconnection_time,
        partial_line: !line.is_empty(),
        unterminated_block: es.lines_since_empty_line,
        discarded_event: !es.data.is_empty(),
    };
    (es.produced, end)
}

impl Reference {
    fn process_line(&mut self, line: &str) {
        if line.is_empty() {
            // "If the line is empty (a blank line): Dispatch the event, as defined below."
            self.lines_since_empty_line = false;
            self.dispatch();
            return;
        }
        self.lines_since_empty_line = true;
        if let Some(comment) = line.strip_prefix(':') {
            // "If the line starts with a U+003A COLON character (:): Ignore the line."
            // (Recorded, since the parser reports comments.)
            self.produced
                .push(Item::Comment(Cow::Owned(comment.to_string())));
        } else if let Some(colon) = line.find(':') {
            // "If the line contains a U+003A COLON character (:): Collect the characters on
            // the line before the first U+003A COLON character (:), and let field be that
            // string. Collect the characters on the line after the first U+003A COLON
            // character (:), and let value be that string. If value starts with a U+0020
            // SPACE character, remove it from value. Process the field using the steps
            // described below, using field as the field name and value as the field value."
            let field = &line[..colon];
            let mut value = &line[colon + 1..];
            if value.starts_with(' ') {
                value = &value[1..];
            }
            self.process_field(field, value);
        } else {
            // "Otherwise, the string is not empty but does not contain a U+003A COLON
            // character (:): Process the field using the steps described below, using the
            // whole line as the field name, and the empty string as the field value."
            self.process_field(line, "");
        }
    }

    fn process_field(&mut self, field: &str, value: &str) {
        // "The steps to process the field given a field name and a field value depend on
        // the field name, as given in the following list. Field names must be compared
        // literally, with no case folding performed."
        if field == "event" {
            // "Set the event type buffer to field value."
            self.event_type = value.to_string();
        } else if field == "data" {
            // "Append the field value to the data buffer, then append a single U+000A
            // LINE FEED (LF) character to the data buffer."
            self.data.push_str(value);
            self.data.push('\n');
        } else if field == "id" {
            // "If the field value does not contain U+0000 NULL, then set the last event
            // ID buffer to the field value. Otherwise, ignore the field."
            if !value.contains('\0') {
                self.last_event_id_buffer = value.to_string();
            }
        } else if field == "retry" {
            // "If the field value consists of only ASCII digits, then interpret the field
            // value as an integer in base ten, and set the event stream's reconnection
            // time to that integer. Otherwise, ignore the field."
            if value.chars().all(|c| c.is_ascii_digit()) {
                let retry = self.retry(value);
                self.produced.push(Item::Retry(retry));
            }
        } else {
            // "Otherwise: The field is ignored."
        }
    }

    /// The integer, the empty value (no integer at all) and values past `u64::MAX`
    /// (which the parser documents as ignored) as the parser reports them.
    fn retry(&mut self, digits: &str) -> Retry {
        if digits.is_empty() {
            return Retry::Empty;
        }
        let significant = digits.trim_start_matches('0');
        if significant.len() > 20 {
            return Retry::TooLarge;
        }
        let value: u128 = if significant.is_empty() {
            0
        } else {
            significant.parse().unwrap()
        };
        match u64::try_from(value) {
            Ok(ms) => {
                self.reconnection_time = Some(ms);
                Retry::Millis(ms)
            }
            Err(_) => Retry::TooLarge,
        }
    }

    fn dispatch(&mut self) {
        // 1. "Set the last event ID string of the event source to the value of the last
        // event ID buffer. The buffer does not get reset, so the last event ID string of
        // the event source remains set to this value until the next time it is set by
        // the server." (A change is recorded, since the parser reports it.)
        if self.last_event_id_string != self.last_event_id_buffer {
            self.last_event_id_string = self.last_event_id_buffer.clone();
            self.produced.push(Item::LastEventId(Cow::Owned(
                self.last_event_id_string.clone(),
            )));
        }
        // 2. "If the data buffer is an empty string, set the data buffer and the event
        // type buffer to the empty string and return."
        if self.data.is_empty() {
            self.data = String::new();
            self.event_type = String::new();
            return;
        }
        // 3. "If the data buffer's last character is a U+000A LINE FEED (LF) character,
        // then remove the last character from the data buffer."
        if self.data.ends_with('\n') {
            self.data.pop();
        }
        // 4.-5. "Let event be the result of creating an event using MessageEvent ...
        // Initialize event's type attribute to "message", its data attribute to data,
        // ... and its lastEventId attribute to the last event ID string of the event
        // source."
        let mut event = Event {
            event_type: Cow::Owned("message".to_string()),
            data: Cow::Owned(self.data.clone()),
            last_event_id: Cow::Owned(self.last_event_id_string.clone()),
        };
        // 6. "If the event type buffer has a value other than the empty string, change
        // the type of the newly created event to equal the value of the event type
        // buffer."
        if !self.event_type.is_empty() {
            event.event_type = Cow::Owned(self.event_type.clone());
        }
        // 7. "Set the data buffer and the event type buffer to the empty string."
        self.data = String::new();
        self.event_type = String::new();
        // 8. "Queue a task which, if the readyState attribute is set to a value other
        // than CLOSED, dispatches the newly created event at the EventSource object."
        self.produced.push(Item::Event(event));
    }
}

/// The fast parser, fed `input` split at `splits` (sorted offsets), with no effective limits.
fn fast(input: &[u8], splits: &[usize], seed: &str) -> (Vec<Item<'static>>, EndOfStream) {
    let config = Config {
        max_line_len: usize::MAX,
        max_event_len: usize::MAX,
    };
    let mut parser = Parser::with_last_event_id(seed, config);
    let mut items = Vec::new();
    let mut start = 0;
    for &end in splits.iter().chain(std::iter::once(&input.len())) {
        let end = end.clamp(start, input.len());
        parser
            .feed(&input[start..end], |item| items.push(item.into_owned()))
            .unwrap();
        start = end;
    }
    (items, parser.finish())
}

/// Byte soup built from the pieces the algorithm cares about.
fn stream() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        4 => Just(&b"data"[..]),
        2 => Just(&b"event"[..]),
        2 => Just(&b"id"[..]),
        2 => Just(&b"retry"[..]),
        4 => Just(&b":"[..]),
        3 => Just(&b" "[..]),
        4 => Just(&b"\n"[..]),
        3 => Just(&b"\r"[..]),
        2 => Just(&b"\r\n"[..]),
        1 => Just(&b"\0"[..]),
        1 => Just(&b"\xEF\xBB\xBF"[..]),
        1 => Just(&b"\xEF"[..]),
        1 => Just(&b"\xBB"[..]),
        1 => Just(&b"\xFF\xFE"[..]),
        1 => Just(&b"\xC3"[..]),
        1 => Just(&b"\xE2\x82\xAC"[..]),
        2 => Just(&b"7"[..]),
        1 => Just(&b"18446744073709551616"[..]),
        1 => Just(&b"+"[..]),
        2 => Just(&b"x"[..]),
        1 => Just(&b"Data"[..]),
    ];
    prop_oneof![
        3 => prop::collection::vec(token, 0..60).prop_map(|t| t.concat()),
        1 => prop::collection::vec(any::<u8>(), 0..200),
    ]
}

/// Soup with long lines in it (data and comments of up to 6000 bytes), so chunks are
/// larger than what the parser carries whole (4 KiB) and unfinished blocks larger than
/// what it keeps in one piece (4 KiB): the paths a short stream never reaches.
fn large_stream() -> impl Strategy<Value = Vec<u8>> {
    let long = |prefix: &'static [u8], fill: u8| {
        (1usize..6000).prop_map(move |n| {
            let mut line = prefix.to_vec();
            line.extend(std::iter::repeat_n(fill, n));
            line.push(b'\n');
            line
        })
    };
    prop::collection::vec(
        prop_oneof![
            4 => stream(),
            1 => long(b"data: ", b'x'),
            1 => long(b":", b'c'),
            1 => long(b"event: ", b'e'),
        ],
        1..10,
    )
    .prop_map(|parts| parts.concat())
}

fn splits(len: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0..=len, 0..8).prop_map(|mut v| {
        v.sort_unstable();
        v
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn fast_parser_agrees_with_the_literal_spec_transcription(
        (input, splits) in stream().prop_flat_map(|s| { let n = s.len(); (Just(s), splits(n)) }),
        seed in prop_oneof![Just(String::new()), Just("41".to_string()), "[a-z\u{e9}]{0,3}"],
    ) {
        prop_assert_eq!(fast(&input, &splits, &seed), reference(&input, &seed));
    }

    #[test]
    fn fast_parser_agrees_with_the_literal_spec_transcription_in_large_chunks(
        (input, splits) in large_stream().prop_flat_map(|s| { let n = s.len(); (Just(s), splits(n)) }),
    ) {
        prop_assert_eq!(fast(&input, &splits, ""), reference(&input, ""));
    }

    #[test]
    fn fast_parser_agrees_with_the_literal_spec_transcription_one_byte_at_a_time(input in stream()) {
        let every: Vec<usize> = (0..input.len()).collect();
        prop_assert_eq!(fast(&input, &every, ""), reference(&input, ""));
    }
}

#[test]
fn fast_parser_agrees_with_the_literal_spec_transcription_on_the_corpus() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/sse");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let input = std::fs::read(entry.unwrap().path()).unwrap();
        let every: Vec<usize> = (0..input.len()).collect();
        let expected = reference(&input, "");
        assert_eq!(fast(&input, &[], ""), expected);
        assert_eq!(fast(&input, &every, ""), expected);
        n += 1;
    }
    assert!(n >= 30);
}

#[test]
fn literal_spec_transcription_sanity() {
    // The oracle itself must follow the spec on a hand-checked vector.
    let (items, end) = reference(
        b"\xEF\xBB\xBFid: 1\nevent: t\ndata: a\r\ndata:\r\rretry: 9\nid\ndata: b",
        "",
    );
    assert_eq!(
        items,
        [
            Item::LastEventId("1".to_string().into()),
            Item::Event(Event {
                event_type: "t".to_string().into(),
                data: "a\n".to_string().into(),
                last_event_id: "1".to_string().into(),
            }),
            Item::Retry(Retry::Millis(9)),
        ]
    );
    assert_eq!(end.last_event_id, "1");
    assert!(end.partial_line && end.unterminated_block && !end.discarded_event);
}
