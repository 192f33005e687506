//! `E.2`: the stream format. Every byte of the main stream went through the
//! spec-exact parser and, in parallel, through the producer-grammar checker
//! (`wirecheck_codec::sse::lint`, WHATWG HTML §9.2.5–§9.2.6). Each case judges the
//! findings of a few rules: FAILED where the stream breaks a MUST or loses what the
//! server sent in every client, NON-STRICT where it is legal but fragile.

use wirecheck_codec::sse::lint::{LineEnding, Rule};

use super::super::case::{
    Case, Ctx, DataContract, Need, Verdict, failed, info, is_stream, judged_bytes, ok, stop_limit,
};
use super::super::observe::Observation;
use crate::core::Behavior;

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case {
        id: "E.2.1",
        description: "The stream is UTF-8",
        rule: "WHATWG SSE §9.2.5: event streams must always be encoded as UTF-8; clients replace other bytes with U+FFFD",
        expectation: "Valid UTF-8 throughout, no UTF-16 byte-order mark",
        needs: &[Need::Main],
        check: utf8,
    },
    Case {
        id: "E.2.2",
        description: "A byte-order mark appears only at the start of the stream",
        rule: "WHATWG SSE §9.2.5: stream = [ bom ] *event; one BOM is stripped at offset 0 only, a later one becomes part of a field name",
        expectation: "No U+FEFF at the start of any later line",
        needs: &[Need::Main],
        check: bom,
    },
    Case {
        id: "E.2.3",
        description: "Line endings are consistent: no lone CR among CR LF lines",
        rule: "WHATWG SSE §9.2.5: end-of-line = CR LF / CR / LF; each is legal, but mixed endings and a CR alone among CR LF lines (a lost LF, a raw CR in a value) break many clients (sse.md §6.4)",
        expectation: "One kind of line ending throughout: LF, CR LF or CR",
        needs: &[Need::Main],
        check: line_endings,
    },
    Case {
        id: "E.2.4",
        description: "Every event is terminated by an empty line",
        rule: "WHATWG SSE §9.2.6: at the end of the stream, pending data is discarded; an event not followed by an empty line is never dispatched",
        expectation: "When the server ends the stream, it ends at a block boundary",
        needs: &[Need::Main],
        check: terminated,
    },
    Case {
        id: "E.2.5",
        description: "Only the fields data, event, id and retry are sent",
        rule: "WHATWG SSE §9.2.6: field names are compared literally; any other field is ignored",
        expectation: "No unknown, miscased or bare lines (a bare line is often a raw newline inside a data value)",
        needs: &[Need::Main],
        check: field_names,
    },
    Case {
        id: "E.2.6",
        description: "retry values are ASCII digits",
        rule: "WHATWG SSE §9.2.6: a retry value that is not only ASCII digits is ignored; browsers reset the delay on an empty one",
        expectation: "retry: <digits>, not 0",
        needs: &[Need::Main],
        check: retry_values,
    },
    Case {
        id: "E.2.7",
        description: "id values contain no NUL",
        rule: "WHATWG SSE §9.2.6: an id containing U+0000 is ignored as a whole; ids over 128 bytes or with CORS-unsafe bytes need a preflight cross-origin (§9.2.4, Fetch)",
        expectation: "ids without NUL (short and CORS-safe noted)",
        needs: &[Need::Main],
        check: id_values,
    },
    Case {
        id: "E.2.8",
        description: "Blocks with an event type also carry data",
        rule: "WHATWG SSE §9.2.6 dispatch step 2: a block without data dispatches nothing, whatever its event type",
        expectation: "Every block with event: has a data line; no event type open or error; no second space after the colon",
        needs: &[Need::Main],
        check: event_blocks,
    },
    Case {
        id: "E.2.9",
        description: "No id, event or retry field is repeated inside one event block",
        rule: "WHATWG SSE §9.2.6: only an empty line dispatches; a second id or event in a block overwrites the first, which is how two events merged by a lost empty line look",
        expectation: "Each block sets id, event and retry at most once (data may repeat)",
        needs: &[Need::Main],
        check: repeated_fields,
    },
    Case {
        id: "E.2.10",
        description: "Every event's data honours the stream's contract (--data)",
        rule: "The application's contract: with --data json every event's data is one JSON text (RFC 8259), as a client's JSON.parse(event.data) expects",
        expectation: "With --data json: every data parses as JSON (heartbeats as comments, JSON on one data line or split cleanly)",
        needs: &[Need::Main],
        check: data_contract,
    },
];

/// No stream to check: why.
fn no_stream(o: &Observation) -> Option<Verdict> {
    if !is_stream(o) {
        return Some(info("no event stream to check (see E.1.1 and E.1.2)"));
    }
    if o.coding
        .as_deref()
        .is_some_and(|c| !matches!(c, "identity" | "gzip" | "deflate"))
    {
        return Some(info(format!(
            "the body is {}-coded: wirecheck cannot decode it",
            o.coding.as_deref().unwrap_or_default()
        )));
    }
    None
}

/// Judge the findings of `rules` (each with the verdict it earns); the worst
/// found decides, its first finding is the reason. A stream wirecheck stopped at
/// its own limit is judged up to there, never OK, and FAILED when no event was
/// dispatched before it: what the server sent never reached a listener.
fn judge(o: &Observation, rules: &[(Rule, Behavior)], clean: String) -> Verdict {
    if let Some(v) = unjudgeable(o) {
        return v;
    }
    judged_bytes(o, judge_findings(o, rules, clean))
}

/// The verdict of every E.2 case for a stream there is nothing to judge in: no
/// event stream, or one wirecheck stopped at its own limit before any event.
fn unjudgeable(o: &Observation) -> Option<Verdict> {
    if let Some(v) = no_stream(o) {
        return Some(v);
    }
    if let Some(why) = o.stopped_at_limit() {
        if o.dispatched == 0 {
            // WHATWG SSE: dispatch happens at an empty line only; a line or an
            // event without end is never dispatched.
            return Some(
                failed(format!("{why}; no event was dispatched")).shaped_by(&stop_limit(o)),
            );
        }
    }
    None
}

/// [`judge`] on the findings alone.
fn judge_findings(o: &Observation, rules: &[(Rule, Behavior)], clean: String) -> Verdict {
    if o.lint.bytes() == 0 {
        return info("the stream sent no body bytes to check");
    }
    let rank = |b: Behavior| match b {
        Behavior::Failed => 2,
        Behavior::NonStrict => 1,
        _ => 0,
    };
    // The worst verdict found decides; among equals, the rule listed first.
    let mut worst: Option<&(Rule, Behavior)> = None;
    for r in rules.iter().filter(|(r, _)| o.lint.count(*r) > 0) {
        if worst.is_none_or(|w| rank(r.1) > rank(w.1)) {
            worst = Some(r);
        }
    }
    let Some(&(rule, behavior)) = worst else {
        return ok(clean);
    };
    let n = o.lint.count(rule);
    let first = o.lint.findings().iter().find(|f| f.rule == rule);
    let mut reason = first.map_or_else(|| rule.describe().to_owned(), ToString::to_string);
    if n > 1 {
        reason.push_str(&format!(" ({n} in all)"));
    }
    match behavior {
        Behavior::Failed => failed(reason),
        Behavior::NonStrict => super::super::case::non_strict(reason),
        _ => info(reason),
    }
}

/// Lint rules with the verdict each earns when found.
type Rules = &'static [(Rule, Behavior)];

/// The findings E.2.1 judges, each with the verdict it earns.
const UTF8: Rules = &[
    (Rule::InvalidUtf8, Behavior::Failed),
    (Rule::Utf16Bom, Behavior::Failed),
];

/// The findings E.2.2 judges, each with the verdict it earns.
const BOM: Rules = &[(Rule::BomNotAtStart, Behavior::Failed)];

/// The findings E.2.3 judges, each with the verdict it earns.
const LINE_ENDINGS: Rules = &[
    (Rule::LoneCr, Behavior::NonStrict),
    (Rule::MixedLineEndings, Behavior::NonStrict),
];

/// The findings E.2.4 judges, each with the verdict it earns.
const TERMINATED: Rules = &[
    (Rule::UnterminatedBlock, Behavior::Failed),
    (Rule::PartialLine, Behavior::Failed),
];

/// The findings E.2.5 judges, each with the verdict it earns.
const FIELD_NAMES: Rules = &[
    (Rule::BareLine, Behavior::Failed),
    (Rule::MiscasedField, Behavior::Failed),
    (Rule::UnknownField, Behavior::NonStrict),
];

/// The findings E.2.6 judges, each with the verdict it earns.
const RETRY_VALUES: Rules = &[
    (Rule::RetryNotDigits, Behavior::Failed),
    (Rule::RetryEmpty, Behavior::Failed),
    (Rule::RetryZero, Behavior::NonStrict),
];

/// The findings E.2.7 judges, each with the verdict it earns.
const ID_VALUES: Rules = &[(Rule::IdNul, Behavior::Failed)];

/// The findings E.2.8 judges, each with the verdict it earns.
const EVENT_BLOCKS: Rules = &[
    (Rule::EventWithoutData, Behavior::NonStrict),
    (Rule::ReservedEventType, Behavior::NonStrict),
    (Rule::ExtraSpace, Behavior::NonStrict),
];

/// The findings E.2.9 judges, each with the verdict it earns.
const REPEATED: Rules = &[(Rule::RepeatedField, Behavior::NonStrict)];

/// Rules no case fails a stream for: reported in E.2.7's reason (and judged by
/// E.5.3 when they make a reconnect need a preflight).
const NOTED: [Rule; 2] = [Rule::IdLong, Rule::IdCorsUnsafe];

fn checked(o: &Observation) -> String {
    format!("{} bytes checked", o.lint.bytes())
}

fn utf8(cx: &Ctx<'_>) -> Verdict {
    let o = cx.main();
    judge(o, UTF8, format!("{}: valid UTF-8", checked(o)))
}

fn bom(cx: &Ctx<'_>) -> Verdict {
    let o = cx.main();
    judge(
        o,
        BOM,
        format!("{}: no byte-order mark after offset 0", checked(o)),
    )
}

fn line_endings(cx: &Ctx<'_>) -> Verdict {
    let o = cx.main();
    let counts: Vec<String> = o
        .lint
        .line_endings()
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(e, n)| {
            let name = match e {
                LineEnding::Lf => "LF",
                LineEnding::CrLf => "CR LF",
                LineEnding::Cr => "CR",
            };
            format!("{n} lines end with {name}")
        })
        .collect();
    let clean = if counts.is_empty() {
        "no complete line".to_owned()
    } else {
        counts.join(", ")
    };
    judge(o, LINE_ENDINGS, clean)
}

fn terminated(cx: &Ctx<'_>) -> Verdict {
    let o = cx.main();
    let clean = if o.server_ended() {
        "the server ended the stream at a block boundary".to_owned()
    } else {
        "the server kept the stream open; no event was cut short by its end".to_owned()
    };
    judge(o, TERMINATED, clean)
}

fn field_names(cx: &Ctx<'_>) -> Verdict {
    let o = cx.main();
    judge(
        o,
        FIELD_NAMES,
        format!("{}: only data, event, id, retry and comments", checked(o)),
    )
}

fn retry_values(cx: &Ctx<'_>) -> Verdict {
    let o = cx.main();
    judge(
        o,
        RETRY_VALUES,
        "every retry value (if any) is digits, not 0".to_owned(),
    )
}

fn id_values(cx: &Ctx<'_>) -> Verdict {
    let o = cx.main();
    let [long, cors_unsafe] = NOTED;
    let mut notes = Vec::new();
    if o.lint.count(long) > 0 {
        notes.push(format!("{} ids over 128 bytes", o.lint.count(long)));
    }
    if o.lint.count(cors_unsafe) > 0 {
        notes.push(format!(
            "{} ids with CORS-unsafe bytes",
            o.lint.count(cors_unsafe)
        ));
    }
    let clean = if notes.is_empty() {
        "no id with NUL; ids are short and CORS-safe".to_owned()
    } else {
        format!(
            "no id with NUL; {} (cross-origin reconnects need a preflight, see E.5.3)",
            notes.join(", ")
        )
    };
    judge(o, ID_VALUES, clean)
}

fn event_blocks(cx: &Ctx<'_>) -> Verdict {
    let o = cx.main();
    judge(
        o,
        EVENT_BLOCKS,
        "every block with an event type carries data".to_owned(),
    )
}

fn repeated_fields(cx: &Ctx<'_>) -> Verdict {
    let o = cx.main();
    judge(
        o,
        REPEATED,
        "no block sets id, event or retry twice".to_owned(),
    )
}

fn data_contract(cx: &Ctx<'_>) -> Verdict {
    let o = cx.main();
    if let Some(v) = unjudgeable(o) {
        return v;
    }
    let n = o.dispatched;
    let v = match cx.settings.data {
        DataContract::Text => info(format!(
            "--data text: any data is valid ({n} events); --data json checks a JSON contract"
        )),
        DataContract::Json => match o.not_json.first() {
            _ if n == 0 => info("no event dispatched: nothing to check"),
            None => ok(format!("all {n} events carry JSON data")),
            Some(bad) => failed(format!(
                "{} of {n} events carry data that is not JSON; the first is event {}: {}",
                o.not_json_count, bad.index, bad.why
            )),
        },
    };
    // Each event was parsed whole; what limits the verdict is what stopped reading.
    judged_bytes(o, v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lint_rule_is_judged_by_exactly_one_case_or_noted() {
        let judged: Vec<Rule> = [
            UTF8,
            BOM,
            LINE_ENDINGS,
            TERMINATED,
            FIELD_NAMES,
            RETRY_VALUES,
            ID_VALUES,
            EVENT_BLOCKS,
            REPEATED,
        ]
        .iter()
        .flat_map(|t| t.iter().map(|(r, _)| *r))
        .chain(NOTED)
        .collect();
        for rule in Rule::ALL {
            let n = judged.iter().filter(|r| **r == rule).count();
            assert_eq!(n, 1, "{rule:?} is judged {n} times");
        }
        assert_eq!(judged.len(), Rule::ALL.len());
    }
}
