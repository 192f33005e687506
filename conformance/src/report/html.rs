//! `index.html`: one self-contained page (inline CSS, no external assets, no
//! script): the run's agent, date and wall time, counts per verdict, and a table
//! with a row per case coloured by verdict, grouped by category. Each case id
//! links to its own detail page next to its JSON (`<agent>_case_<id>.html`,
//! `case_html`), as Autobahn lays its reports out: the
//! index of a 517-case run stays small and fast, and the wire logs live on the
//! detail pages. A checkbox hides the cases that are OK (CSS only). A run
//! without close verdicts (SSE) has no close column, close badge or close
//! legend row.
//!
//! Every piece of text goes through [`esc`]: descriptions, reasons and
//! payloads come from the server under test and are hostile input. What the
//! index shares with the detail pages is in [`page`](super::page).

use std::fmt::Write as _;

use super::page::{anchor, behavior_class, close_class, esc, href, page_head};
use super::{Behavior, BehaviorClose, CaseReport, Run};

/// What the colours mean (Autobahn's legend, DESIGN §5), folded away by
/// default: the `behavior` colours, then [`LEGEND_CLOSE`] for a run with close
/// verdicts, then [`LEGEND_END`].
const LEGEND: &str = "<details class=\"legend\"><summary>What the colours mean</summary><table>\
<tr><td class=\"v pass\">Pass</td><td>OK: the server did what the spec requires.</td></tr>\
<tr><td class=\"v nonstrict\">Non-Strict</td><td>A SHOULD is not met (or a canonical behaviour the \
spec leaves open); the server is still conformant. Fails the run only with <code>--strict</code>.</td></tr>\
<tr><td class=\"v fail\">Fail</td><td>A MUST is broken.</td></tr>\
<tr><td class=\"v info\">Info</td><td>The spec leaves it open; the reason says what happened.</td></tr>\
<tr><td class=\"v unimpl\">Unimplemented</td><td>The server does not offer the feature \
(permessage-deflate).</td></tr>\
";

/// The legend's row for the close column.
const LEGEND_CLOSE: &str = "<tr><td class=\"v pass\">1000</td><td>Close column: the close code the server sent (<i>none</i> \
without one), coloured by <code>behaviorClose</code>: green OK, <span class=\"almost\">&nbsp;light \
green&nbsp;</span> FAILED BY CLIENT (wirecheck had to drop TCP), <span class=\"nonstrict\">&nbsp;yellow\
&nbsp;</span> WRONG CODE, blue INFORMATIONAL; <i>Unclean</i> and <i>Fail</i> in red.</td></tr>\
";

/// The end of the legend.
const LEGEND_END: &str = "</table></details>\n";

/// Counts per `behavior`, in legend order, and the cases whose close fails.
fn verdict_counts<'a>(
    cases: impl IntoIterator<Item = &'a CaseReport>,
) -> ([(Behavior, usize); 5], usize) {
    let mut n = [
        (Behavior::Ok, 0),
        (Behavior::NonStrict, 0),
        (Behavior::Failed, 0),
        (Behavior::Informational, 0),
        (Behavior::Unimplemented, 0),
    ];
    let mut bad_close = 0;
    for c in cases {
        if let Some(slot) = n.iter_mut().find(|s| s.0 == c.behavior) {
            slot.1 += 1;
        }
        if c.close_fails() {
            bad_close += 1;
        }
    }
    (n, bad_close)
}

fn case_row(out: &mut String, run: &Run, case: &CaseReport, close_column: bool) {
    let (class, label) = behavior_class(case.behavior);
    let state = if case.is_ok() { "ok" } else { "problem" };
    let tint = if case.close_fails() && case.behavior == Behavior::Ok {
        "closebad"
    } else {
        class
    };
    let file = format!("{}.html", run.case_file_stem(&case.id));
    let _ = write!(
        out,
        "<tr class=\"row {state} t-{tint}\" id=\"{anchor}\">\
         <td class=\"id\"><a href=\"{href}\">{id}</a></td>\
         <td class=\"v {class}\">{label}</td>",
        anchor = anchor(&case.id),
        href = href(&file),
        id = esc(&case.id),
    );
    if close_column {
        let (close_cls, close_text) = close_class(case);
        let close_title = case.behavior_close().map_or("", BehaviorClose::as_str);
        let _ = write!(
            out,
            "<td class=\"v {close_cls}\" title=\"{}\">{}</td>",
            esc(close_title),
            esc(&close_text),
        );
    }
    let _ = write!(out, "<td class=\"ms\">{}", case.duration_ms);
    if let Some(ratios) = &case.compression {
        let _ = write!(
            out,
            "<br><span class=\"ratio\" title=\"compression ratio in/out\">{}</span>",
            esc(ratios)
        );
    }
    let _ = write!(
        out,
        "</td><td class=\"desc\">{desc}",
        desc = esc(&case.description),
    );
    if run.kind != super::Protocol::Ws {
        // SSE has no close handshake, a proxied connection no script: every
        // row shows what was seen.
        let _ = write!(out, "<div class=\"reason\">{}</div>", esc(&case.result));
    } else if !case.is_ok() {
        let mut reasons = Vec::new();
        if case.behavior != Behavior::Ok {
            reasons.push(case.result.as_str());
        }
        if let Some(close) = &case.close {
            if close.behavior != BehaviorClose::Ok
                && (case.close_fails() || case.behavior == Behavior::Ok)
            {
                reasons.push(close.result.as_str());
            }
        }
        for r in reasons {
            let _ = write!(out, "<div class=\"reason\">{}</div>", esc(r));
        }
    }
    out.push_str("</td></tr>\n");
}

/// The text of `index.html`.
pub fn index_page(run: &Run) -> String {
    let mut out = String::with_capacity(4096 + run.cases.len() * 400);
    // A protocol without close verdicts (SSE) gets no close column, badge or legend row.
    let close_column = run.has_close_verdicts();
    let kind = format!(
        "{}{}",
        if run.client { "clients " } else { "" },
        run.kind.as_str()
    );
    page_head(&mut out, &format!("wirecheck {kind} report: {}", run.agent));
    let _ = write!(
        out,
        "<h1>wirecheck {kind} report</h1>\n<p class=\"meta\">Agent <b>{}</b>{} · started <b>{}</b> \
         (UTC) · wall time <b>{:.1} s</b> · <b>{}</b> cases{}</p>\n",
        esc(&run.agent),
        run.http()
            .map(|v| format!(" · HTTP/<b>{v}</b>"))
            .unwrap_or_default(),
        esc(&super::iso8601_utc(run.started)),
        run.wall_time.as_secs_f64(),
        run.cases.len(),
        if run.strict {
            " · <b>--strict</b> (NON-STRICT fails)"
        } else {
            ""
        },
    );

    let failed = run.failed();
    if failed == 0 {
        out.push_str("<div class=\"outcome pass\">PASS: no case failed</div>\n");
    } else {
        let word = if failed == 1 { "case" } else { "cases" };
        let _ = writeln!(
            out,
            "<div class=\"outcome fail\">FAIL: {failed} {word} failed</div>"
        );
    }
    let (counts, bad_close) = verdict_counts(&run.cases);
    out.push_str("<div class=\"badges\">");
    for (b, n) in counts {
        let (class, label) = behavior_class(b);
        let zero = if n == 0 { " zero" } else { "" };
        let _ = write!(
            out,
            "<span class=\"badge {class}{zero}\" title=\"{}\"><span class=\"n\">{n}</span>{label}</span>",
            b.as_str()
        );
    }
    if close_column {
        let zero = if bad_close == 0 { " zero" } else { "" };
        let _ = write!(
            out,
            "<span class=\"badge closebad{zero}\" title=\"behaviorClose FAILED, WRONG CODE, \
             UNCLEAN or FAILED BY CLIENT\"><span class=\"n\">{bad_close}</span>Close not OK</span>"
        );
    }
    out.push_str("</div>\n");
    out.push_str(LEGEND);
    if close_column {
        out.push_str(LEGEND_CLOSE);
    }
    out.push_str(LEGEND_END);
    let detail = match run.kind {
        super::Protocol::Ws => "its detail page with the wire log",
        super::Protocol::Sse => "its detail page with what was observed",
        super::Protocol::Proxy => "its detail page with every finding",
    };
    let _ = writeln!(
        out,
        "<p class=\"meta\">Machine-readable: <a href=\"index.json\">index.json</a> (Autobahn's \
         format) · <a href=\"junit.xml\">junit.xml</a>. Each case id opens {detail}.</p>",
    );

    out.push_str(
        "<input type=\"checkbox\" id=\"only-problems\"><label class=\"filter\" \
         for=\"only-problems\"> Show only cases that are not OK</label>\n<table class=\"cases\">\n\
         <thead><tr><th>Case</th><th>Behavior</th>",
    );
    if close_column {
        out.push_str("<th>Close</th>");
    }
    out.push_str("<th>ms</th><th>Description</th></tr></thead>\n");
    let columns = if close_column { 5 } else { 4 };
    for (category, name, cases) in run.categories() {
        let (counts, bad_close) = verdict_counts(cases.iter().copied());
        let mut summary: Vec<String> = counts
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(b, n)| format!("{n} {}", behavior_class(*b).1))
            .collect();
        if bad_close > 0 {
            summary.push(format!("{bad_close} close not OK"));
        }
        let _ = writeln!(
            out,
            "<tbody id=\"cat_{}\"><tr class=\"category\"><th colspan=\"{columns}\">{} {}\
             <span class=\"counts\">{} cases: {}</span></th></tr>",
            href(category),
            esc(category),
            esc(name),
            cases.len(),
            esc(&summary.join(", ")),
        );
        for case in cases {
            case_row(&mut out, run, case, close_column);
        }
        out.push_str("</tbody>\n");
    }
    out.push_str("</table>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("</script><b a=\"1\" b='2'>&amp;"),
            "&lt;/script&gt;&lt;b a=&quot;1&quot; b=&#39;2&#39;&gt;&amp;amp;"
        );
        assert_eq!(esc("a\u{1b}[2J\u{0}\tb\n"), "a\\u{1b}[2J\\u{0}\tb\n");
        assert_eq!(href("a b#?%.html"), "a%20b%23%3F%25.html");
        assert_eq!(anchor("6.4.3"), "case_6_4_3");
    }
}
