//! Property tests of `wirecheck_codec::sse::lint`, the producer-grammar checker the
//! SSE runner applies to every stream: what it finds does not depend on chunking,
//! the codec's own encoder never trips it, and it agrees with the spec-exact parser
//! about what is lost.

use proptest::prelude::*;
use wirecheck_codec::sse::lint::{Lint, Rule};
use wirecheck_codec::sse::{Block, Config, Item, Parser};

fn any_stream() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just(&b"data"[..]),
        Just(&b"event"[..]),
        Just(&b"id"[..]),
        Just(&b"retry"[..]),
        Just(&b"Data"[..]),
        Just(&b":"[..]),
        Just(&b": "[..]),
        Just(&b"  "[..]),
        Just(&b"\n"[..]),
        Just(&b"\r"[..]),
        Just(&b"\r\n"[..]),
        Just(&b"\0"[..]),
        Just(&b"\xEF\xBB\xBF"[..]),
        Just(&b"\xFF"[..]),
        Just(&b"\xC3\xA9"[..]),
        Just(&b"12"[..]),
        Just(&b"x<"[..]),
    ];
    proptest::collection::vec(token, 0..60).prop_map(|t| t.concat())
}

fn lint_split(input: &[u8], splits: &[usize], finish: bool) -> Lint {
    let mut cuts: Vec<usize> = splits.iter().map(|&s| s.min(input.len())).collect();
    cuts.sort_unstable();
    cuts.push(input.len());
    let mut l = Lint::new();
    let mut start = 0;
    for end in cuts {
        l.feed(&input[start..end]);
        start = end;
    }
    if finish {
        l.finish();
    }
    l
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn lint_findings_do_not_depend_on_chunking(
        input in any_stream(),
        splits in proptest::collection::vec(0usize..400, 0..12),
        finish in any::<bool>(),
    ) {
        let whole = lint_split(&input, &[], finish);
        let split = lint_split(&input, &splits, finish);
        prop_assert_eq!(whole.findings(), split.findings());
        for rule in Rule::ALL {
            prop_assert_eq!(whole.count(rule), split.count(rule), "{:?}", rule);
        }
        prop_assert_eq!(whole.inside_event(), split.inside_event());
        prop_assert_eq!(whole.line_endings(), split.line_endings());
    }

    #[test]
    fn encoder_output_has_no_findings(
        blocks in proptest::collection::vec((
            "[a-z0-9 \u{e9}\u{20ac}\n]{0,12}",
            // Not `open` or `error`: the encoder writes them, the linter rightly flags
            // them as EventSource's own event types (ReservedEventType).
            proptest::option::of("[a-z]{1,6}".prop_filter("a reserved event type", |e| {
                e != "open" && e != "error"
            })),
            proptest::option::of("[a-zA-Z0-9_.-]{0,10}"),
            proptest::option::of(1u64..100_000),
            proptest::option::of("[a-z ]{0,8}"),
        ), 0..8),
        splits in proptest::collection::vec(0usize..400, 0..6),
    ) {
        let mut out = Vec::new();
        for (data, event, id, retry, comment) in &blocks {
            let mut b = Block::message(data);
            if let Some(e) = event { b = b.event(e); }
            if let Some(i) = id { b = b.id(i); }
            if let Some(r) = retry { b = b.retry(*r); }
            if let Some(c) = comment { b = b.comment(c); }
            b.encode(&mut out).unwrap();
        }
        let l = lint_split(&out, &splits, true);
        prop_assert!(l.findings().is_empty(), "{:?} in {:?}", l.findings(), String::from_utf8_lossy(&out));
        prop_assert!(!l.inside_event());
    }

    #[test]
    fn lint_flags_every_stream_end_where_the_parser_drops_something(input in any_stream()) {
        // WHATWG SSE §9.2.6: pending data is discarded at the end of the stream. The
        // parser says what it dropped; the lint must flag each such end.
        let mut parser = Parser::new(Config::default());
        parser.feed(&input, |_: Item<'_>| {}).unwrap();
        let end = parser.finish();
        let l = lint_split(&input, &[], true);
        prop_assert_eq!(end.discarded_event, l.findings().iter().any(|f| {
            f.rule == Rule::UnterminatedBlock && f.detail.contains("dropped")
        }));
        prop_assert_eq!(end.partial_line, l.count(Rule::PartialLine) == 1);
    }
}
