//! The text summary printed at the end of a run (DESIGN §3): a table of
//! verdict counts per category with a total line, one line per case that is not
//! OK with its one-line reason, the outcome, and where the reports are.
//!
//! The category name is the last column so the table fits in 80 columns. A run
//! without close verdicts (SSE) has no BAD CLOSE column.
//! UNIMPLEMENTED cases are folded into one line per category and reason (a
//! server without permessage-deflate has 216 of them, all for the same reason).
//! Colour is ANSI only, and only when the caller says so; [`color_enabled`]
//! decides that from `--color`, `NO_COLOR` and whether stdout is a terminal.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::Path;

use super::{Behavior, BehaviorClose, CaseReport, Run};

/// `--color`: when to colour the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// When stdout is a terminal, `NO_COLOR` is unset or empty, and `TERM` is not `dumb`.
    #[default]
    Auto,
    /// Always, even when `NO_COLOR` is set (an explicit flag overrides it, as no-color.org says).
    Always,
    /// Never.
    Never,
}

/// Whether to colour output: `choice`, `NO_COLOR` and `TERM` from the
/// environment, and whether the output `is_terminal`.
pub fn color_enabled(choice: ColorChoice, is_terminal: bool) -> bool {
    decide_color(
        choice,
        is_terminal,
        std::env::var_os("NO_COLOR").as_deref(),
        std::env::var_os("TERM").as_deref(),
    )
}

/// [`color_enabled`] with the environment passed in.
pub fn decide_color(
    choice: ColorChoice,
    is_terminal: bool,
    no_color: Option<&OsStr>,
    term: Option<&OsStr>,
) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            is_terminal && no_color.is_none_or(OsStr::is_empty) && term.is_none_or(|t| t != "dumb")
        }
    }
}

/// An ANSI style, applied only when colour is on.
#[derive(Clone, Copy)]
struct Paint {
    on: bool,
}

const GREEN: &str = "32";
const YELLOW: &str = "33";
const RED: &str = "31";
const BLUE: &str = "34";
const DIM: &str = "2";
const BOLD: &str = "1";

impl Paint {
    fn paint(self, code: &str, text: &str) -> String {
        if self.on && !text.is_empty() {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

fn behavior_color(b: Behavior) -> &'static str {
    match b {
        Behavior::Ok => GREEN,
        Behavior::NonStrict => YELLOW,
        Behavior::Failed => RED,
        Behavior::Informational => BLUE,
        Behavior::Unimplemented => DIM,
    }
}

/// The columns of the table: header and how a case counts in it.
const COLUMNS: [(&str, &str); 7] = [
    ("OK", GREEN),
    ("NON-STRICT", YELLOW),
    ("FAILED", RED),
    ("INFO", BLUE),
    ("UNIMPL", DIM),
    ("BAD CLOSE", RED),
    ("TOTAL", BOLD),
];

fn counts<'a>(cases: impl IntoIterator<Item = &'a CaseReport>) -> [usize; 7] {
    let mut n = [0; 7];
    for c in cases {
        let col = match c.behavior {
            Behavior::Ok => 0,
            Behavior::NonStrict => 1,
            Behavior::Failed => 2,
            Behavior::Informational => 3,
            Behavior::Unimplemented => 4,
        };
        n[col] += 1;
        if c.close_fails() {
            n[5] += 1;
        }
        n[6] += 1;
    }
    n
}

/// The index of the BAD CLOSE column in [`COLUMNS`], left out for a run
/// without close verdicts (SSE).
const BAD_CLOSE: usize = 5;

fn table_row(
    out: &mut String,
    p: Paint,
    shown: &[usize],
    widths: &[usize; 7],
    label: &str,
    n: &[usize; 7],
    name: &str,
) {
    let _ = write!(out, "{label:<9}");
    for &i in shown {
        let (count, width, color) = (n[i], widths[i], COLUMNS[i].1);
        let cell = format!("{count:>width$}");
        let cell = if count == 0 {
            cell
        } else {
            p.paint(color, &cell)
        };
        let _ = write!(out, "  {cell}");
    }
    if !name.is_empty() {
        let _ = write!(out, "  {name}");
    }
    out.push('\n');
}

/// `s` made safe for a terminal: control characters (C0, DEL, C1; an ESC in a
/// close reason could drive the terminal) are shown as `\u{..}` escapes.
pub fn printable(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// The label and reason of a case that is not OK.
fn problem(c: &CaseReport, p: Paint) -> (String, usize, String) {
    let close_bad = c.close_fails();
    let behavior_shown = c.behavior != Behavior::Ok || !close_bad;
    let mut plain = String::new();
    let mut label = String::new();
    if behavior_shown {
        plain.push_str(c.behavior.as_str());
        label.push_str(&p.paint(behavior_color(c.behavior), c.behavior.as_str()));
    }
    let close = c.close.as_ref().filter(|_| close_bad);
    if let Some(close) = close {
        let text = format!("close {}", close.behavior.as_str());
        if behavior_shown {
            plain.push_str(", ");
            label.push_str(", ");
        }
        plain.push_str(&text);
        label.push_str(&p.paint(RED, &text));
    }
    let reason = printable(&match (behavior_shown, close) {
        (true, Some(close)) => format!("{}; close: {}", c.result, close.result),
        (false, Some(close)) => close.result.clone(),
        _ => c.result.clone(),
    });
    (label, plain.len(), reason)
}

/// The summary of `run`, with the report folder when reports were written.
pub fn render(run: &Run, report_dir: Option<&Path>, color: bool) -> String {
    let p = Paint { on: color };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "wirecheck {}{}: {} cases against \"{}\"{} in {:.1} s (started {})",
        if run.client { "clients " } else { "" },
        run.kind.as_str(),
        run.cases.len(),
        printable(&run.agent),
        // HTTP/1.1 is the default and goes unsaid.
        if run.http() == Some("2") {
            " over HTTP/2"
        } else {
            ""
        },
        run.wall_time.as_secs_f64(),
        super::iso8601_utc(run.started),
    );
    out.push('\n');

    // Each column as wide as its header or its total, whichever is wider.
    let totals = counts(&run.cases);
    let mut widths = [0; 7];
    for (i, (header, _)) in COLUMNS.iter().enumerate() {
        widths[i] = header.len().max(totals[i].to_string().len());
    }
    let shown: Vec<usize> = (0..COLUMNS.len())
        .filter(|&i| i != BAD_CLOSE || run.has_close_verdicts())
        .collect();
    let _ = write!(out, "{:<9}", "Category");
    for &i in &shown {
        let (header, width) = (COLUMNS[i].0, widths[i]);
        let _ = write!(out, "  {header:>width$}");
    }
    out.push('\n');
    for (category, name, cases) in run.categories() {
        let n = counts(cases.iter().copied());
        table_row(
            &mut out,
            p,
            &shown,
            &widths,
            &printable(category),
            &n,
            &printable(name),
        );
    }
    table_row(&mut out, p, &shown, &widths, "Total", &totals, "");

    // One line per case that is not OK; UNIMPLEMENTED folded per category and reason.
    let mut lines: Vec<(String, String, usize, String)> = Vec::new();
    let mut unimplemented: Vec<(&str, &str, usize)> = Vec::new();
    for c in &run.cases {
        if c.is_ok() {
            continue;
        }
        if c.behavior == Behavior::Unimplemented && !c.close_fails() {
            match unimplemented
                .iter_mut()
                .find(|u| u.0 == c.category && u.1 == c.result)
            {
                Some(u) => u.2 += 1,
                None => unimplemented.push((&c.category, &c.result, 1)),
            }
            continue;
        }
        if c.behavior == Behavior::Ok && c.behavior_close() == Some(BehaviorClose::Informational) {
            continue;
        }
        let (label, width, reason) = problem(c, p);
        lines.push((c.id.clone(), label, width, reason));
    }
    for (category, reason, n) in unimplemented {
        let word = if n == 1 { "case" } else { "cases" };
        let label = Behavior::Unimplemented.as_str();
        lines.push((
            format!("{category}.*"),
            p.paint(DIM, label),
            label.len(),
            format!("{n} {word}: {}", printable(reason)),
        ));
    }
    if !lines.is_empty() {
        out.push('\n');
        let id_w = lines.iter().map(|l| l.0.len()).max().unwrap_or(0);
        let label_w = lines.iter().map(|l| l.2).max().unwrap_or(0);
        for (id, label, width, reason) in &lines {
            let pad = " ".repeat(label_w - width);
            let _ = writeln!(out, "{:<id_w$}  {label}{pad}  {reason}", printable(id));
        }
    }

    // DESIGN §7a: every limit of ours that was hit shows here, never silently.
    let hit: Vec<&CaseReport> = run.limits_hit().collect();
    if !hit.is_empty() {
        out.push('\n');
        let word = if hit.len() == 1 { "case" } else { "cases" };
        let _ = writeln!(
            out,
            "{}",
            p.paint(
                YELLOW,
                &format!("wirecheck's own limits were hit in {} {word}:", hit.len())
            )
        );
        const SHOWN: usize = 10;
        for c in hit.iter().take(SHOWN) {
            let _ = writeln!(
                out,
                "  {}  {}",
                printable(&c.id),
                printable(&c.limits.join("; "))
            );
        }
        if hit.len() > SHOWN {
            let _ = writeln!(
                out,
                "  ... and {} more (see the case reports)",
                hit.len() - SHOWN
            );
        }
    }

    out.push('\n');
    let failed = run.failed();
    let strict = if run.strict {
        " (--strict: NON-STRICT fails)"
    } else {
        ""
    };
    if failed == 0 {
        let _ = writeln!(out, "{}{strict}", p.paint(GREEN, "PASS: no case failed"));
    } else {
        let word = if failed == 1 { "case" } else { "cases" };
        let _ = writeln!(
            out,
            "{}{strict}",
            p.paint(RED, &format!("FAIL: {failed} {word} failed"))
        );
    }
    if let Some(dir) = report_dir {
        let _ = writeln!(
            out,
            "Reports: {}",
            printable(&dir.join("index.html").display().to_string())
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_follows_flag_no_color_and_terminal() {
        let nc = Some(OsStr::new("1"));
        let empty = Some(OsStr::new(""));
        let dumb = Some(OsStr::new("dumb"));
        let xterm = Some(OsStr::new("xterm-256color"));
        assert!(decide_color(ColorChoice::Auto, true, None, xterm));
        assert!(decide_color(ColorChoice::Auto, true, empty, None));
        assert!(!decide_color(ColorChoice::Auto, true, nc, xterm));
        assert!(!decide_color(ColorChoice::Auto, false, None, xterm));
        assert!(!decide_color(ColorChoice::Auto, true, None, dumb));
        assert!(decide_color(ColorChoice::Always, false, nc, dumb));
        assert!(!decide_color(ColorChoice::Never, true, None, xterm));
    }

    #[test]
    fn control_characters_are_escaped_for_the_terminal() {
        assert_eq!(
            printable("a\x1b[31mb\u{9b}c\té"),
            "a\\u{1b}[31mb\\u{9b}c\\u{9}é"
        );
    }
}
