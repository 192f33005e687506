//! What every HTML page of a report shares: the style sheet, the page head,
//! escaping, links, and the colours of the verdicts. The index (`html`) and
//! the detail pages (`case_html`) both build on it and on nothing of each other.

use std::fmt::Write as _;

use super::{Behavior, BehaviorClose, CaseReport};

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
/// A case without a close verdict shows a muted "—".
pub fn close_class(case: &CaseReport) -> (&'static str, String) {
    let code = match case.remote_close_code {
        Some(code) => code.to_string(),
        None => "none".to_owned(),
    };
    match case.behavior_close() {
        Some(BehaviorClose::Ok) => ("pass", code),
        Some(BehaviorClose::FailedByClient) => ("almost", code),
        Some(BehaviorClose::WrongCode) => ("nonstrict", code),
        Some(BehaviorClose::Informational) => ("info", code),
        Some(BehaviorClose::Unclean) => ("fail", "Unclean".to_owned()),
        Some(BehaviorClose::Failed) => ("fail", "Fail".to_owned()),
        None => ("muted", "\u{2014}".to_owned()),
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
td.ms .ratio { font-size: 0.85em; }
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
