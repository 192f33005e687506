//! Unit tests of the parser, one per rule, each named after the spec step it checks
//! ("stage N" refers to the stages of reference/sse.md §2: 1 decoding and the BOM,
//! 2 line splitting, 3 classifying lines, 4 fields; "dispatch step N" to §9.2.6).
//! Every vector is also re-parsed one byte at a time and at every two-way split, and
//! must give the same items.

use alloc::borrow::Cow;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use crate::sse::{Config, EndOfStream, Event, Item, Limit, LimitExceeded, Parser, Retry};

type Parsed = (Vec<Item<'static>>, EndOfStream);

fn parse_chunks_with(parser: Parser, chunks: &[&[u8]]) -> (Parsed, Option<LimitExceeded>) {
    let mut parser = parser;
    let mut items = Vec::new();
    let mut error = None;
    for chunk in chunks {
        if let Err(e) = parser.feed(chunk, |item| items.push(item.into_owned())) {
            error = Some(e);
            break;
        }
    }
    ((items, parser.finish()), error)
}

fn parse_chunks(chunks: &[&[u8]]) -> Parsed {
    let (parsed, error) = parse_chunks_with(Parser::new(Config::default()), chunks);
    assert_eq!(error, None);
    parsed
}

/// Parses `input` whole, then checks one-byte chunking and every two-way split agree.
fn parse(input: &[u8]) -> Parsed {
    let whole = parse_chunks(&[input]);
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(parse_chunks(&bytes), whole, "one byte at a time");
    for split in 0..=input.len() {
        let (a, b) = input.split_at(split);
        assert_eq!(parse_chunks(&[a, b]), whole, "split at {split}");
    }
    whole
}

fn items(input: &[u8]) -> Vec<Item<'static>> {
    parse(input).0
}

fn ev(event_type: &str, data: &str, id: &str) -> Item<'static> {
    Item::Event(Event {
        event_type: Cow::Owned(event_type.to_string()),
        data: Cow::Owned(data.to_string()),
        last_event_id: Cow::Owned(id.to_string()),
    })
}

fn id(id: &str) -> Item<'static> {
    Item::LastEventId(Cow::Owned(id.to_string()))
}

fn comment(text: &str) -> Item<'static> {
    Item::Comment(Cow::Owned(text.to_string()))
}

fn events(input: &[u8]) -> Vec<Item<'static>> {
    items(input)
        .into_iter()
        .filter(|i| matches!(i, Item::Event(_)))
        .collect()
}

// ---- Stage 1: UTF-8 decoding and the byte-order mark -------------------------------

#[test]
fn stage1_bom_at_stream_start_is_stripped() {
    assert_eq!(items(b"\xEF\xBB\xBFdata: a\n\n"), [ev("message", "a", "")]);
}

#[test]
fn stage1_bom_split_across_chunks_is_stripped() {
    let (items, end) = parse_chunks(&[b"\xEF", b"\xBB", b"\xBF", b"data: a\n\n"]);
    assert_eq!(items, [ev("message", "a", "")]);
    assert!(!end.truncated());
    let (items, _) = parse_chunks(&[b"\xEF\xBB", b"\xBFdata: a\n\n"]);
    assert_eq!(items, [ev("message", "a", "")]);
}

#[test]
fn stage1_second_bom_is_part_of_the_first_field_name() {
    // The second U+FEFF makes the name "\u{FEFF}data": unknown, so no event.
    assert_eq!(items(b"\xEF\xBB\xBF\xEF\xBB\xBFdata: a\n\n"), []);
}

#[test]
fn stage1_bom_not_at_stream_start_is_an_ordinary_character() {
    assert_eq!(
        items(b"data: a\n\n\xEF\xBB\xBFdata: b\n\ndata: c\n\n"),
        [ev("message", "a", ""), ev("message", "c", "")]
    );
    // Inside a value it is kept.
    assert_eq!(
        items(b"data:\xEF\xBB\xBFx\n\n"),
        [ev("message", "\u{FEFF}x", "")]
    );
}

#[test]
fn stage1_utf16_boms_are_not_recognised() {
    // FF FE and FE FF decode to two U+FFFD that join the first field name.
    assert_eq!(
        items(b"\xFF\xFEdata: a\n\ndata: b\n\n"),
        [ev("message", "b", "")]
    );
    assert_eq!(
        items(b"\xFE\xFFdata: a\n\ndata: b\n\n"),
        [ev("message", "b", "")]
    );
    // Visible in a comment position: the line no longer starts with a colon.
    assert_eq!(items(b"\xFF\xFE: c\n\n"), []);
}

#[test]
fn stage1_partial_bom_bytes_are_line_content() {
    // EF BB then "data..." decodes to U+FFFD "data: a": an unknown field.
    assert_eq!(
        items(b"\xEF\xBBdata: a\n\ndata: b\n\n"),
        [ev("message", "b", "")]
    );
    // A stream of only a BOM prefix ends inside a line (it would decode to U+FFFD).
    let (items, end) = parse(b"\xEF\xBB");
    assert!(items.is_empty());
    assert!(end.partial_line);
    // A complete BOM alone is nothing at all.
    let (_, end) = parse(b"\xEF\xBB\xBF");
    assert!(!end.truncated());
    // A partial BOM followed by a line break is a line of its own (U+FFFD).
    let (_, end) = parse(b"\xEF\n");
    assert!(end.unterminated_block && !end.partial_line);
}

#[test]
fn stage1_invalid_utf8_becomes_replacement_characters() {
    // A stray byte, a truncated 2-byte sequence before LF, a surrogate, a truncated
    // 4-byte sequence: one U+FFFD per maximal malformed subpart, as WHATWG decodes.
    assert_eq!(
        items(b"data: a\xFFb\ndata: \xC3\ndata: \xED\xA0\x80\ndata: \xF0\x9F\x98\n\n"),
        [ev(
            "message",
            "a\u{FFFD}b\n\u{FFFD}\n\u{FFFD}\u{FFFD}\u{FFFD}\n\u{FFFD}",
            ""
        )]
    );
    assert_eq!(
        items(b"event: \xFF\nid: \xC0\xAF\n:\xFE\ndata\n\n"),
        [
            comment("\u{FFFD}"),
            id("\u{FFFD}\u{FFFD}"),
            ev("\u{FFFD}", "", "\u{FFFD}\u{FFFD}")
        ]
    );
}

#[test]
fn stage1_multibyte_character_split_across_chunks_decodes_whole() {
    let (items, _) = parse_chunks(&[b"data: \xE2", b"\x82", b"\xAC\xF0\x9F", b"\x98\x80\n\n"]);
    assert_eq!(items, [ev("message", "\u{20AC}\u{1F600}", "")]);
}

// ---- Stage 2: line splitting --------------------------------------------------------

#[test]
fn stage2_crlf_lf_and_lone_cr_each_end_a_line() {
    assert_eq!(
        events(b"data: a\r\n\r\ndata: b\n\ndata: c\r\rdata: d\r\ndata: e\n\r\n"),
        [
            ev("message", "a", ""),
            ev("message", "b", ""),
            ev("message", "c", ""),
            ev("message", "d\ne", ""),
        ]
    );
}

#[test]
fn stage2_cr_at_chunk_end_completes_its_line_at_once() {
    let mut parser = Parser::new(Config::default());
    let mut got = Vec::new();
    parser
        .feed(b"data: a\r\r", |i| got.push(i.into_owned()))
        .unwrap();
    // The event is out before the next byte is known.
    assert_eq!(got, [ev("message", "a", "")]);
    parser.feed(b"\n", |i| got.push(i.into_owned())).unwrap();
    assert_eq!(got.len(), 1);
    // That LF completed the CR LF pair: it was not an empty line of its own.
    assert!(!parser.finish().truncated());
}

#[test]
fn stage2_lf_after_a_chunk_end_cr_is_swallowed() {
    // Were the LF an empty line, "a" and "b" would be two events.
    let (items, _) = parse_chunks(&[b"data: a\r", b"\ndata: b\r", b"", b"\n\r", b"\n"]);
    assert_eq!(items, [ev("message", "a\nb", "")]);
}

#[test]
fn stage2_cr_cr_lf_lf_is_three_terminators() {
    // "data: a" CR | "" CR LF | "" LF: an event, then an empty block.
    let (items, end) = parse(b"event: t\ndata: a\r\r\n\nevent: u\r\r\n\ndata: b\n\n");
    assert_eq!(items, [ev("t", "a", ""), ev("message", "b", "")]);
    assert!(!end.truncated());
}

#[test]
fn stage2_a_final_cr_terminates_the_last_line() {
    let (items, end) = parse(b"data: a\r\r");
    assert_eq!(items, [ev("message", "a", "")]);
    assert!(!end.truncated());
}

#[test]
fn stage2_empty_input_and_empty_chunks_do_nothing() {
    let (items, end) = parse_chunks(&[b"", b"", b"data: a\r", b"", b"\n", b"", b"\n"]);
    assert_eq!(items, [ev("message", "a", "")]);
    assert!(!end.truncated());
    let (items, end) = parse(b"");
    assert!(items.is_empty() && !end.truncated() && !end.discarded_event);
}

// ---- Stage 3: classifying lines ----------------------------------------------------

#[test]
fn stage3_empty_line_dispatches() {
    assert_eq!(items(b"data: a\n"), []);
    assert_eq!(items(b"data: a\n\n"), [ev("message", "a", "")]);
}

#[test]
fn stage3_line_starting_with_colon_is_a_comment() {
    assert_eq!(
        items(b":\n: hi\n::x\ndata: a\n:mid\n\n"),
        [
            comment(""),
            comment(" hi"),
            comment(":x"),
            comment("mid"),
            ev("message", "a", "")
        ]
    );
}

#[test]
fn stage3_field_splits_at_the_first_colon() {
    assert_eq!(
        items(b"data: a:b: c\ndata:: x\n\n"),
        [ev("message", "a:b: c\n: x", "")]
    );
}

#[test]
fn stage3_exactly_one_leading_space_is_removed() {
    assert_eq!(
        items(b"data:x\ndata: x\ndata:  x\ndata:\tx\ndata: \n\n"),
        [ev("message", "x\nx\n x\n\tx\n", "")]
    );
}

#[test]
fn stage3_line_without_colon_is_a_field_with_empty_value() {
    assert_eq!(items(b"data\n\n"), [ev("message", "", "")]);
    assert_eq!(items(b"data\ndata\n\n"), [ev("message", "\n", "")]);
}

#[test]
fn stage3_field_names_are_literal() {
    assert_eq!(
        items(b"Data: a\n data: b\ndata : c\nDATA\ndat\0a: d\n\n"),
        []
    );
}

// ---- Stage 4: fields ---------------------------------------------------------------

#[test]
fn stage4_event_sets_the_event_type_buffer() {
    assert_eq!(
        items(b"event: a\nevent: b\ndata: x\n\n"),
        [ev("b", "x", "")]
    );
}

#[test]
fn stage4_empty_or_bare_event_means_message() {
    assert_eq!(
        events(b"event:\ndata: x\n\nevent: a\nevent\ndata: y\n\nevent: \ndata: z\n\n"),
        [
            ev("message", "x", ""),
            ev("message", "y", ""),
            ev("message", "z", "")
        ]
    );
}

#[test]
fn stage4_data_appends_the_value_and_one_lf() {
    assert_eq!(
        items(b"data: a\ndata:\ndata: b\n\n"),
        [ev("message", "a\n\nb", "")]
    );
}

#[test]
fn stage4_nul_is_kept_in_data_and_event() {
    assert_eq!(items(b"event: a\0b\ndata: \0\n\n"), [ev("a\0b", "\0", "")]);
}

#[test]
fn stage4_id_sets_the_last_event_id_buffer() {
    assert_eq!(
        items(b"id: 1\ndata: a\n\n"),
        [id("1"), ev("message", "a", "1")]
    );
}

#[test]
fn stage4_id_containing_nul_is_ignored() {
    assert_eq!(
        items(b"id: 1\n\nid: 2\0\ndata: a\n\nid: \0\ndata: b\n\n"),
        [id("1"), ev("message", "a", "1"), ev("message", "b", "1")]
    );
}

#[test]
fn stage4_bare_or_empty_id_resets_the_last_event_id() {
    assert_eq!(
        items(b"id: 1\n\nid\ndata: a\n\nid: 2\n\nid:\ndata: b\n\n"),
        [
            id("1"),
            id(""),
            ev("message", "a", ""),
            id("2"),
            id(""),
            ev("message", "b", "")
        ]
    );
}

#[test]
fn stage4_retry_of_digits_is_applied_when_parsed() {
    let mut parser = Parser::new(Config::default());
    let mut got = Vec::new();
    // "retry: 1000" with the customary space: the space is stripped first.
    parser
        .feed(b"retry: 1000\n", |i| got.push(i.into_owned()))
        .unwrap();
    assert_eq!(got, [Item::Retry(Retry::Millis(1000))]);
    assert_eq!(parser.reconnection_time(), Some(1000));
    // A block with only retry dispatches nothing, and the time stays set.
    parser.feed(b"\n", |i| got.push(i.into_owned())).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(parser.finish().reconnection_time, Some(1000));
}

#[test]
fn stage4_retry_with_any_non_digit_is_ignored() {
    let (items, end) =
        parse(b"retry:+1\nretry:-1\nretry: 1000ms\nretry: 1.5\nretry:  1000\nretry:1 \nretry:1e3\nretry:\xEF\xBC\x91\n\n");
    assert_eq!(items, []);
    assert_eq!(end.reconnection_time, None);
}

#[test]
fn stage4_retry_leading_zeros_are_decimal() {
    let (items, end) = parse(b"retry:010\nretry:000000000000000000000000000042\n\n");
    assert_eq!(
        items,
        [
            Item::Retry(Retry::Millis(10)),
            Item::Retry(Retry::Millis(42))
        ]
    );
    assert_eq!(end.reconnection_time, Some(42));
}

#[test]
fn stage4_retry_empty_is_reported_and_changes_nothing() {
    let (items, end) = parse(b"retry: 5\nretry:\nretry: \nretry\ndata: x\n\n");
    assert_eq!(
        items,
        [
            Item::Retry(Retry::Millis(5)),
            Item::Retry(Retry::Empty),
            Item::Retry(Retry::Empty),
            Item::Retry(Retry::Empty),
            ev("message", "x", "")
        ]
    );
    assert_eq!(end.reconnection_time, Some(5));
}

#[test]
fn stage4_retry_overflow_is_reported_and_ignored() {
    let (items, end) =
        parse(b"retry: 7\nretry:18446744073709551616\nretry:999999999999999999999999999999\n\n");
    assert_eq!(
        items,
        [
            Item::Retry(Retry::Millis(7)),
            Item::Retry(Retry::TooLarge),
            Item::Retry(Retry::TooLarge)
        ]
    );
    assert_eq!(end.reconnection_time, Some(7));
    let (items, _) = parse(b"retry:18446744073709551615\n\n");
    assert_eq!(items, [Item::Retry(Retry::Millis(u64::MAX))]);
}

#[test]
fn stage4_unknown_fields_are_ignored() {
    assert_eq!(
        items(b"foo: bar\nevent: t\nbaz\nid2: 3\ndata: a\nqux:\n\n"),
        [ev("t", "a", "")]
    );
}

// ---- Dispatch ----------------------------------------------------------------------

#[test]
fn dispatch_step_1_commits_last_event_id_without_event() {
    let mut parser = Parser::new(Config::default());
    let mut got = Vec::new();
    parser
        .feed(b"id: 7\n\n", |i| got.push(i.into_owned()))
        .unwrap();
    assert_eq!(got, [id("7")]);
    assert_eq!(parser.last_event_id(), "7");
    parser
        .feed(b"data: a\n\n", |i| got.push(i.into_owned()))
        .unwrap();
    assert_eq!(got, [id("7"), ev("message", "a", "7")]);
}

#[test]
fn dispatch_step_1_last_event_id_persists_and_is_reported_once_per_change() {
    assert_eq!(
        items(b"id: 1\ndata: a\n\ndata: b\n\nid: 1\ndata: c\n\nid: 2\n\ndata: d\n\n"),
        [
            id("1"),
            ev("message", "a", "1"),
            ev("message", "b", "1"),
            ev("message", "c", "1"),
            id("2"),
            ev("message", "d", "2")
        ]
    );
}

#[test]
fn dispatch_step_1_only_the_last_id_of_a_block_counts() {
    assert_eq!(
        items(b"id: 1\nid: 2\ndata: a\n\n"),
        [id("2"), ev("message", "a", "2")]
    );
}

#[test]
fn dispatch_step_2_empty_data_means_no_event_and_resets_the_type() {
    assert_eq!(
        items(b"event: a\n\ndata: x\n\nevent: b\nid: 3\n\ndata: y\n\n"),
        [ev("message", "x", ""), id("3"), ev("message", "y", "3")]
    );
}

#[test]
fn dispatch_step_3_removes_exactly_one_trailing_lf() {
    assert_eq!(
        events(b"data: a\ndata:\n\ndata:\ndata:\n\ndata:\ndata:\ndata:\n\n"),
        [
            ev("message", "a\n", ""),
            ev("message", "\n", ""),
            ev("message", "\n\n", "")
        ]
    );
}

#[test]
fn dispatch_step_6_nonempty_type_buffer_names_the_event() {
    assert_eq!(items(b"event: ping\ndata\n\n"), [ev("ping", "", "")]);
    // "message" spelled out is the same as the default.
    assert_eq!(items(b"event: message\ndata\n\n"), [ev("message", "", "")]);
}

#[test]
fn dispatch_step_7_type_and_data_reset_after_an_event() {
    assert_eq!(
        items(b"event: a\ndata: x\n\ndata: y\n\n"),
        [ev("a", "x", ""), ev("message", "y", "")]
    );
}

// ---- End of stream and reconnection ------------------------------------------------

#[test]
fn end_of_stream_discards_an_unterminated_event() {
    let (items, end) = parse(b"data: a\n\nid: 5\nevent: t\ndata: b\n");
    assert_eq!(items, [ev("message", "a", "")]);
    assert!(end.unterminated_block && end.discarded_event && !end.partial_line);
    // The id of the discarded block was never committed.
    assert_eq!(end.last_event_id, "");
}

#[test]
fn end_of_stream_discards_a_partial_line() {
    let (items, end) = parse(b"data: a\n\ndata: b");
    assert_eq!(items, [ev("message", "a", "")]);
    assert!(end.partial_line && !end.unterminated_block && !end.discarded_event);
    assert!(end.truncated());
    // A trailing comment without an empty line also leaves the block open.
    let (_, end) = parse(b":hb\n");
    assert!(end.unterminated_block && !end.discarded_event);
}

#[test]
fn reconnect_seeds_the_last_event_id() {
    let seeded = || Parser::with_last_event_id("42", Config::default());
    let ((items, end), _) = parse_chunks_with(seeded(), &[b"data: a\n\n"]);
    assert_eq!(items, [ev("message", "a", "42")]);
    assert_eq!(end.last_event_id, "42");
    // Re-sending the same id is no change; a bare id resets it.
    let ((items, _), _) = parse_chunks_with(seeded(), &[b"id: 42\n\nid\ndata: b\n\n"]);
    assert_eq!(items, [id(""), ev("message", "b", "")]);
    // Without the seed the first event would carry "".
    assert_eq!(items_unseeded(), [ev("message", "a", "")]);
}

fn items_unseeded() -> Vec<Item<'static>> {
    items(b"data: a\n\n")
}

// ---- Limits ------------------------------------------------------------------------

fn small(max_line_len: usize, max_event_len: usize) -> Parser {
    Parser::new(Config {
        max_line_len,
        max_event_len,
    })
}

#[test]
fn limit_line_of_exactly_max_len_is_accepted() {
    let ((items, _), err) = parse_chunks_with(small(8, 64), &[b"data: ab\n\n"]);
    assert_eq!(err, None);
    assert_eq!(items, [ev("message", "ab", "")]);
}

#[test]
fn limit_line_exceeded_is_terminal_under_any_chunking() {
    let input = b"data: a\n\n:long comment\ndata: b\n\n";
    let expected_err = LimitExceeded {
        limit: Limit::Line,
        max: 8,
    };
    for size in 1..=input.len() {
        let chunks: Vec<&[u8]> = input.chunks(size).collect();
        let mut parser = small(8, 64);
        let mut got = Vec::new();
        let mut err = None;
        for chunk in &chunks {
            if let Err(e) = parser.feed(chunk, |i| got.push(i.into_owned())) {
                err = Some(e);
                break;
            }
        }
        assert_eq!(err, Some(expected_err), "chunk size {size}");
        assert_eq!(got, [ev("message", "a", "")], "chunk size {size}");
        // Terminal: later input is refused and nothing is emitted.
        assert_eq!(
            parser.feed(b"data: c\n\n", |_| panic!("item after error")),
            Err(expected_err)
        );
        assert_eq!(parser.error(), Some(expected_err));
        assert_eq!(parser.buffered().line, 0);
    }
}

#[test]
fn limit_unterminated_line_fails_before_buffering_past_the_limit() {
    let mut parser = small(8, 64);
    assert!(parser.feed(b"data: 12", |_| {}).is_ok());
    assert!(parser.buffered().line <= 8);
    assert_eq!(
        parser.feed(b"3", |_| {}),
        Err(LimitExceeded {
            limit: Limit::Line,
            max: 8
        })
    );
}

#[test]
fn limit_event_data_exceeded_is_terminal() {
    // Each data line adds value + LF: 4 + 4 = 8 fits, a third line does not.
    let ((items, _), err) = parse_chunks_with(small(64, 8), &[b"data:abc\ndata:abc\n\n"]);
    assert_eq!(err, None);
    assert_eq!(items, [ev("message", "abc\nabc", "")]);
    let ((items, _), err) = parse_chunks_with(small(64, 8), &[b"data:abc\ndata:abc\ndata:\n\n"]);
    assert_eq!(
        err,
        Some(LimitExceeded {
            limit: Limit::Event,
            max: 8
        })
    );
    assert!(items.is_empty());
}

#[test]
fn limit_never_sent_empty_line_keeps_memory_bounded() {
    let mut parser = small(16, 100);
    let mut err = None;
    for _ in 0..1000 {
        if let Err(e) = parser.feed(b"data: 0123456789\n", |_| {}) {
            err = Some(e);
            break;
        }
        let b = parser.buffered();
        assert!(b.data <= 100 && b.line <= 16, "{b:?}");
    }
    assert_eq!(err.map(|e| e.limit), Some(Limit::Event));
}

// ---- Zero copy and work counting ---------------------------------------------------

#[test]
fn zero_copy_for_lines_inside_the_chunk() {
    let mut parser = Parser::new(Config::default());
    let mut borrowed = Vec::new();
    parser
        .feed(b":c\nevent: t\ndata: hello\n\n", |item| match item {
            Item::Comment(c) => borrowed.push(matches!(c, Cow::Borrowed(_))),
            Item::Event(e) => {
                borrowed.push(matches!(e.data, Cow::Borrowed(_)));
                borrowed.push(matches!(e.event_type, Cow::Borrowed(_)));
            }
            _ => {}
        })
        .unwrap();
    assert_eq!(borrowed, [true, true, true]);
    assert_eq!(parser.bytes_copied(), 0);
}

#[test]
fn values_that_outlive_their_chunk_are_copied() {
    let mut parser = Parser::new(Config::default());
    let mut got = Vec::new();
    parser
        .feed(b"event: t\ndata: a\n", |i| got.push(i.into_owned()))
        .unwrap();
    // The unfinished block from its first value on is kept in one piece.
    assert_eq!(parser.bytes_copied(), 10, "t\\ndata: a\\n");
    // The first chunk may now be gone; the event still has its type and data.
    let second = String::from("data: b\n\n");
    parser
        .feed(second.as_bytes(), |i| got.push(i.into_owned()))
        .unwrap();
    assert_eq!(got, [ev("t", "a\nb", "")]);
    // Nothing is referred to once the block is dispatched, and no line is unfinished.
    assert_eq!(parser.state.first_referred(), None);
    assert_eq!(parser.line_start, parser.carry.len());
}

#[test]
fn a_block_too_large_to_keep_whole_has_its_values_copied_one_by_one() {
    let mut parser = Parser::new(Config::default());
    let mut got = Vec::new();
    // The type, then 8 KiB of comments before the end of the chunk.
    let mut first = b"event: t\n".to_vec();
    for _ in 0..1024 {
        first.extend_from_slice(b":comment\n");
    }
    first.extend_from_slice(b"da");
    parser.feed(&first, |_| {}).unwrap();
    assert_eq!(
        parser.bytes_copied(),
        1 + 2,
        "type \"t\" and the line begun"
    );
    assert_eq!(&parser.carry[parser.line_start..], b"da");
    parser
        .feed(b"ta: a\n\n", |i| got.push(i.into_owned()))
        .unwrap();
    assert_eq!(got, [ev("t", "a", "")]);
}

#[test]
fn small_chunks_are_carried_and_what_is_dispatched_is_dropped() {
    // An event split over chunks of 5 bytes: each is appended to the carry, whose
    // values are handed out from there and dropped once dispatched.
    let input = b"event: quote\nid: 7\ndata: {\"p\":1}\n\ndata: x";
    let mut parser = Parser::new(Config::default());
    let mut got = Vec::new();
    for piece in input.chunks(5) {
        parser.feed(piece, |i| got.push(i.into_owned())).unwrap();
        let b = parser.buffered();
        assert!(b.data == 0 && b.event_type == 0 && b.id == 0, "{b:?}");
    }
    assert_eq!(
        got,
        [Item::LastEventId("7".into()), ev("quote", "{\"p\":1}", "7")]
    );
    // Only the unfinished line is left (the bytes before it are dropped once 2048
    // or more have gathered).
    assert_eq!(parser.state.first_referred(), None);
    assert_eq!(&parser.carry[parser.line_start..], b"data: x");
    assert!(parser.finish().partial_line);
}

/// `count` small events, each with its number as ID and data.
fn numbered_events(count: usize) -> Vec<u8> {
    let mut input = Vec::new();
    for i in 0..count {
        input.extend_from_slice(alloc::format!("event: e\nid: {i}\ndata: {i}\n\n").as_bytes());
    }
    input
}

#[test]
fn the_carry_stays_small_over_a_long_stream_of_small_chunks() {
    let input = numbered_events(2000);
    let mut parser = Parser::new(Config::default());
    let mut events = 0;
    for piece in input.chunks(7) {
        parser
            .feed(piece, |i| events += matches!(i, Item::Event(_)) as usize)
            .unwrap();
        assert!(parser.carry.len() < 4096, "{}", parser.carry.len());
    }
    assert_eq!(events, 2000);
    assert!(parser.bytes_copied() <= 3 * input.len() as u64);
}

#[test]
fn compaction_keeps_the_dispatched_bytes_a_text_may_start_early_by() {
    let input = numbered_events(2000);
    let mut parser = Parser::new(Config::default());
    let mut compactions = 0;
    for piece in input.chunks(7) {
        let before = parser.carry.len();
        parser.feed(piece, |_| {}).unwrap();
        if parser.carry.len() < before {
            compactions += 1;
            // What was dropped ended 63 bytes before the first byte still needed.
            let first = parser.state.first_needed(parser.line_start);
            assert_eq!(first, 63, "after {} bytes", parser.bytes_scanned());
        }
    }
    assert!(compactions > 10, "{compactions}");
}

#[test]
fn bytes_scanned_counts_each_input_byte_about_once() {
    let input = vec![b'x'; 10_000];
    let mut parser = Parser::new(Config::default());
    parser.feed(b"data: ", |_| {}).unwrap();
    for b in input.chunks(1) {
        parser.feed(b, |_| {}).unwrap();
    }
    let mut n = 0;
    parser.feed(b"\n\n", |_| n += 1).unwrap();
    assert_eq!(n, 1);
    let total = 6 + input.len() as u64 + 2;
    // One terminator scan per byte plus one UTF-8 decode of the data.
    assert!(
        parser.bytes_scanned() <= 2 * total + 16,
        "{}",
        parser.bytes_scanned()
    );
    assert!(
        parser.bytes_copied() <= 2 * total + 16,
        "{}",
        parser.bytes_copied()
    );
}
