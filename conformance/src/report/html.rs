//! `index.html`: one self-contained page (inline CSS, no external assets, no
//! script): the run's agent, date and wall time, counts per verdict, and a table
//! with a row per case coloured by verdict, grouped by category. Each case id
//! links to its own detail page next to its JSON (`<agent>_case_<id>.html`,
//! [`case_html`](super::case_html)), as Autobahn lays its reports out: the
//! index of a 517-case run stays small and fast, and the wire logs live on the
//! detail pages. A checkbox hides the cases that are OK (CSS only).
//!
//! Every piece of text goes through [`esc`]: descriptions, reasons and
//! payloads come from the server under test and are hostile input.

use std::fmt::Write as _;

use super::{Behavior, BehaviorClose, CaseReport, Run};

/// Escape text for HTML element content and quoted attribute values; control
/// characters other than tab and line breaks are shown as `\u{..}`.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            _ => out.push(c),
        }
    }
    out
}

/// A relative URL for a file name: every byte outside `[A-Za-z0-9._-]` percent-encoded.
pub fn href(file: &str) -> String {
    let mut out = String::with_capacity(file.len());
    for b in file.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The anchor of a case's row in `index.html` (`case_6_4_3`).
pub fn anchor(id: &str) -> String {
    format!("case_{}", href(&id.replace('.', "_")))
}

/// The CSS class and label of a `behavior` verdict (Autobahn's legend).
pub fn behavior_class(b: Behavior) -> (&'static str, &'static str) {
    match b {
        Behavior::Ok => ("pass", "Pass"),
        Behavior::NonStrict => ("nonstrict", "Non-Strict"),
        Behavior::Failed => ("fail", "Fail"),
        Behavior::Informational => ("info", "Info"),
        Behavior::Unimplemented => ("unimpl", "Unimplemented"),
    }
}

/// The CSS class and text of the close column, as Autobahn colours it: the
/// peer's close code on OK (green), FAILED BY CLIENT (light green), WRONG CODE
/// (the non-strict colour) and INFORMATIONAL (blue); "Unclean" and "Fail" in red.
pub fn close_class(case: &CaseReport) -> (&'static str, String) {
    let code = match case.remote_close_code {
        Some(code) => code.to_string(),
        None => "none".to_owned(),
    };
    match case.behavior_close {
        BehaviorClose::Ok => ("pass", code),
        BehaviorClose::FailedByClient => ("almost", code),
        BehaviorClose::WrongCode => ("nonstrict", code),
        BehaviorClose::Informational => ("info", code),
        BehaviorClose::Unclean => ("fail", "Unclean".to_owned()),
        BehaviorClose::Failed => ("fail", "Fail".to_owned()),
    }
}

/// The style sheet shared by the index and the detail pages.
pub const CSS: &str = r#"
:root { --pass: #1a8f2e; --almost: #5cc16b; --nonstrict: #e0b000; --fail: #c62828;
  --info: #3b86b8; --unimpl: #8a8a8a; --ink: #222; --muted: #666; --line: #ddd; --bg: #f6f6f4; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px; background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; }
a { color: #0b5394; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.meta { color: var(--muted); margin: 0 0 12px; }
.meta b { color: var(--ink); }
.badges { display: flex; flex-wrap: wrap; gap: 8px; margin: 12px 0; }
.badge { border-radius: 6px; padding: 6px 12px; color: #fff; font-weight: 600; }
.badge .n { font-size: 18px; margin-right: 6px; }
.badge.zero { opacity: .35; }
.outcome { display: inline-block; font-weight: 700; border-radius: 6px; padding: 6px 12px; color: #fff; margin: 4px 0 8px; }
.pass { background: var(--pass); color: #fff; }
.almost { background: var(--almost); color: #fff; }
.nonstrict { background: var(--nonstrict); color: #222; }
.fail { background: var(--fail); color: #fff; }
.info { background: var(--info); color: #fff; }
.unimpl { background: var(--unimpl); color: #fff; }
.closebad { background: #7b1fa2; color: #fff; }
.filter { margin: 12px 0; user-select: none; }
table.cases { border-collapse: collapse; width: 100%; background: #fff; }
table.cases th, table.cases td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
table.cases thead th { position: sticky; top: 0; background: #333; color: #fff; font-weight: 600; z-index: 1; }
table.cases tr.category th { background: #e4e4e0; color: var(--ink); font-size: 15px; padding: 8px; }
table.cases tr.category .counts { font-weight: 400; color: var(--muted); font-size: 13px; margin-left: 12px; }
td.id { white-space: nowrap; font-weight: 600; }
table.cases td.v { white-space: nowrap; text-align: center; width: 1%; font-weight: 600; border-left: 2px solid #fff; }
td.ms { text-align: right; white-space: nowrap; color: var(--muted); width: 1%; }
td.desc { color: #333; word-break: break-word; }
.reason { color: #8a1c1c; margin-top: 2px; }
tr.t-nonstrict td.desc, tr.t-nonstrict td.id, tr.t-nonstrict td.ms { background: #fff6d6; }
tr.t-fail td.desc, tr.t-fail td.id, tr.t-fail td.ms { background: #fdecea; }
tr.t-closebad td.desc, tr.t-closebad td.id, tr.t-closebad td.ms { background: #f6e8f8; }
tr.t-info td.desc, tr.t-info td.id, tr.t-info td.ms { background: #eaf3f9; }
tr.t-unimpl td.desc, tr.t-unimpl td.id { color: var(--muted); }
tr.t-info .reason, tr.t-unimpl .reason, tr.t-pass .reason { color: var(--muted); }
#only-problems:checked ~ table tr.row.ok { display: none; }
#only-problems:checked ~ table tbody:not(:has(tr.row.problem)) { display: none; }
.block { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; margin: 8px 0; }
.block h3 { margin: 0 0 6px; font-size: 14px; }
.verdict { border-radius: 8px; padding: 12px 16px; font-size: 17px; margin: 8px 0 16px; }
.grid { display: flex; flex-wrap: wrap; gap: 12px; }
.grid > .block { flex: 1 1 240px; margin: 0; }
details.legend { margin: 4px 0 12px; color: var(--muted); }
details.legend table { border-collapse: collapse; margin-top: 6px; background: #fff; }
details.legend td { border: 1px solid var(--line); padding: 3px 8px; color: var(--ink); }
details.legend td.v { color: #fff; font-weight: 600; text-align: center; white-space: nowrap; }
table.kv, table.events, table.wirelog, table.stats { border-collapse: collapse; background: #fff; }
table.kv td, table.kv th, table.events td, table.events th, table.stats td, table.stats th { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
table.kv th { font-weight: 600; white-space: nowrap; }
table.kv td.help { color: var(--muted); }
table.events { width: 100%; }
table.events td.payload, table.wirelog td.data { word-break: break-all; }
pre.http { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; white-space: pre-wrap; word-break: break-all; margin: 6px 0; }
table.wirelog { width: 100%; }
table.wirelog td { padding: 2px 8px; vertical-align: top; border-bottom: 1px solid rgba(255,255,255,.25); }
table.wirelog td.n { width: 1%; text-align: right; white-space: nowrap; }
table.wirelog td.what { width: 1%; white-space: nowrap; font-weight: 600; }
tr.rx-octets { background: #e6f4e6; } tr.tx-octets { background: #fbe9e9; } tr.tx-octets-sync { background: #f3e5f5; }
tr.rx-frame { background: #1a8f2e; color: #fff; } tr.tx-frame { background: #b23a3a; color: #fff; }
tr.tx-frame-sync { background: #8e3a9e; color: #fff; }
tr.timer { background: #333; color: #fff; } tr.tcp-me { background: #123f7a; color: #fff; } tr.tcp-peer { background: #111; color: #fff; }
.muted { color: var(--muted); }
"#;

/// What the colours mean (Autobahn's legend, DESIGN §5), folded away by default.
const LEGEND: &str = "<details class=\"legend\"><summary>What the colours mean</summary><table>\
<tr><td class=\"v pass\">Pass</td><td>OK: the server did what the spec requires.</td></tr>\
<tr><td class=\"v nonstrict\">Non-Strict</td><td>A SHOULD is not met (or a canonical behaviour the \
spec leaves open); the server is still conformant. Fails the run only with <code>--strict</code>.</td></tr>\
<tr><td class=\"v fail\">Fail</td><td>A MUST is broken.</td></tr>\
<tr><td class=\"v info\">Info</td><td>The spec leaves it open; the reason says what happened.</td></tr>\
<tr><td class=\"v unimpl\">Unimplemented</td><td>The server does not offer the feature \
(permessage-deflate).</td></tr>\
<tr><td class=\"v pass\">1000</td><td>Close column: the close code the server sent (<i>none</i> \
without one), coloured by <code>behaviorClose</code>: green OK, <span class=\"almost\">&nbsp;light \
green&nbsp;</span> FAILED BY CLIENT (wirecheck had to drop TCP), <span class=\"nonstrict\">&nbsp;yellow\
&nbsp;</span> WRONG CODE, blue INFORMATIONAL; <i>Unclean</i> and <i>Fail</i> in red.</td></tr>\
</table></details>\n";

/// The start of a page: doctype, head with the style sheet, and the opening body tag.
pub fn page_head(out: &mut String, title: &str) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        esc(title)
    );
}

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

fn case_row(out: &mut String, run: &Run, case: &CaseReport) {
    let (class, label) = behavior_class(case.behavior);
    let (close_cls, close_text) = if run.kind == super::Protocol::Sse {
        ("info", "n/a".to_owned())
    } else {
        close_class(case)
    };
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
         <td class=\"v {class}\">{label}</td>\
         <td class=\"v {close_cls}\" title=\"{close_title}\">{close_text}</td>\
         <td class=\"ms\">{ms}</td><td class=\"desc\">{desc}",
        anchor = anchor(&case.id),
        href = href(&file),
        id = esc(&case.id),
        close_title = esc(case.behavior_close.as_str()),
        close_text = esc(&close_text),
        ms = case.duration_ms,
        desc = esc(&case.description),
    );
    if run.kind == super::Protocol::Sse {
        // SSE has no close handshake: every row shows what was seen.
        let _ = write!(out, "<div class=\"reason\">{}</div>", esc(&case.result));
    } else if !case.is_ok() {
        let mut reasons = Vec::new();
        if case.behavior != Behavior::Ok {
            reasons.push(case.result.as_str());
        }
        if case.behavior_close != BehaviorClose::Ok
            && (case.close_fails() || case.behavior == Behavior::Ok)
        {
            reasons.push(case.result_close.as_str());
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
    let kind = run.kind.as_str();
    page_head(&mut out, &format!("wirecheck {kind} report: {}", run.agent));
    let _ = write!(
        out,
        "<h1>wirecheck {kind} report</h1>\n<p class=\"meta\">Agent <b>{}</b> · started <b>{}</b> \
         (UTC) · wall time <b>{:.1} s</b> · <b>{}</b> cases{}</p>\n",
        esc(&run.agent),
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
    let zero = if bad_close == 0 { " zero" } else { "" };
    let _ = writeln!(
        out,
        "<span class=\"badge closebad{zero}\" title=\"behaviorClose FAILED, WRONG CODE, UNCLEAN \
         or FAILED BY CLIENT\"><span class=\"n\">{bad_close}</span>Close not OK</span></div>"
    );
    out.push_str(LEGEND);
    out.push_str(
        "<p class=\"meta\">Machine-readable: <a href=\"index.json\">index.json</a> (Autobahn's \
         format) · <a href=\"junit.xml\">junit.xml</a>. Each case id opens its detail page with \
         the wire log.</p>\n",
    );

    out.push_str(
        "<input type=\"checkbox\" id=\"only-problems\"><label class=\"filter\" \
         for=\"only-problems\"> Show only cases that are not OK</label>\n<table class=\"cases\">\n\
         <thead><tr><th>Case</th><th>Behavior</th><th>Close</th><th>ms</th>\
         <th>Description</th></tr></thead>\n",
    );
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
            "<tbody id=\"cat_{}\"><tr class=\"category\"><th colspan=\"5\">{} {}\
             <span class=\"counts\">{} cases: {}</span></th></tr>",
            href(category),
            esc(category),
            esc(name),
            cases.len(),
            esc(&summary.join(", ")),
        );
        for case in cases {
            case_row(&mut out, run, case);
        }
        out.push_str("</tbody>\n");
    }
    out.push_str("</table>\n</body>\n</html>\n");
    out
}

/// A case's detail page (see [`case_html`](super::case_html)).
/// `detail` is the case's per-case JSON ([`CaseReport::detail`], made once by the caller).
pub fn case_page(run: &Run, case: &CaseReport, detail: &serde_json::Value) -> String {
    super::case_html::render(run, case, detail)
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
