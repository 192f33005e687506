//! The crate's dependency rule (`conformance/src/lib.rs`, `core/mod.rs`): the
//! WebSocket runner (`ws`), the SSE runner (`sse`) and the renderers (`report`)
//! depend on `core` and never on each other, and `core` on none of them; only
//! the command glue (`ws/command.rs`, `sse/command.rs`, `command.rs`,
//! `main.rs`) ties them together. Checked on the source text: a path that
//! names another of the three from the crate root is a violation, however it
//! is spelled (`crate::ws::..`, `crate::{core, ws}`, `wirecheck::ws`, or a
//! `super::` chain that climbs to the root, `super::super::ws` in
//! `report/html.rs`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out
}

/// The module depth of a file under `src/` (given as `ws/run.rs`): how many
/// `super::` lead from its top level to the crate root.
fn depth(rel: &str) -> usize {
    let parts = rel.split('/').count();
    if rel.ends_with("/mod.rs") {
        parts - 1
    } else {
        parts
    }
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The first segment of each item of the `{..}` group `s` starts with.
fn group_heads(s: &str) -> Vec<&str> {
    let mut heads = Vec::new();
    let mut level = 0;
    let mut item_start = true;
    for (i, c) in s.char_indices() {
        match c {
            '{' => {
                level += 1;
                if level == 1 {
                    item_start = true;
                    continue;
                }
            }
            '}' => {
                level -= 1;
                if level == 0 {
                    break;
                }
            }
            ',' if level == 1 => {
                item_start = true;
                continue;
            }
            _ => {}
        }
        if level == 1 && item_start && !c.is_whitespace() {
            heads.push(ident(&s[i..]));
            item_start = false;
        }
    }
    heads
}

/// The top-level modules of the crate that `text`, the source of a file at
/// module depth `depth`, names by path.
fn top_modules(text: &str, depth: usize) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut named = |rest: &str| {
        if rest.starts_with('{') {
            found.extend(group_heads(rest).into_iter().map(str::to_owned));
        } else {
            found.insert(ident(rest).to_owned());
        }
    };
    for root in ["crate::", "wirecheck::"] {
        for (i, _) in text.match_indices(root) {
            let before = &text[..i];
            if before.ends_with(|c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '$'))
            {
                continue; // `$crate::`, `wirecheck_codec::`, `x::crate::`
            }
            named(&text[i + root.len()..]);
        }
    }
    for (i, _) in text.match_indices("super::") {
        if text[..i].ends_with("::") {
            continue; // not the start of a chain
        }
        let mut rest = &text[i..];
        let mut climbed = 0;
        while let Some(r) = rest.strip_prefix("super::") {
            climbed += 1;
            rest = r;
        }
        if climbed == depth {
            named(rest);
        }
    }
    found.remove("");
    found
}

#[test]
fn the_checker_sees_every_spelling_of_a_path() {
    let names = |text: &str, depth: usize| -> Vec<String> {
        top_modules(text, depth).into_iter().collect()
    };
    assert_eq!(names("use crate::ws::case::Ev;", 2), ["ws"]);
    assert_eq!(
        names("use crate::{core::{A, B}, sse::run};", 2),
        ["core", "sse"]
    );
    assert_eq!(
        names("use crate::{\n    core,\n    report::{self, Run},\n};", 1),
        ["core", "report"]
    );
    assert_eq!(names("let x = wirecheck::report::Run;", 2), ["report"]);
    assert_eq!(names("use super::super::ws::run;", 2), ["ws"]);
    assert_eq!(names("use super::super::{core, sse};", 2), ["core", "sse"]);
    // `super::` that stays inside the module, and paths of other crates.
    assert!(names("use super::case::Ev; use super::super::x;", 3).is_empty());
    assert!(names("use wirecheck_codec::ws::Role; $crate::ws::x", 2).is_empty());
    assert_eq!(depth("ws/run.rs"), 2);
    assert_eq!(depth("ws/mod.rs"), 1);
    assert_eq!(depth("ws/driver/mod.rs"), 2);
    assert_eq!(depth("ws/driver/close.rs"), 3);
}

#[test]
fn ws_sse_report_and_core_do_not_import_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let layers = ["ws", "sse", "report", "core"];
    let glue = ["ws/command.rs", "sse/command.rs"];
    let mut violations = Vec::new();
    let mut checked = 0;
    for layer in layers {
        for file in sources(&src.join(layer)) {
            let rel = file
                .strip_prefix(&src)
                .expect("under src")
                .to_string_lossy()
                .replace('\\', "/");
            if glue.contains(&rel.as_str()) {
                continue;
            }
            checked += 1;
            let text = std::fs::read_to_string(&file).expect("readable source");
            // Doc links count too: a runner's docs that point into another
            // runner say it leans on it. `core`'s own docs may name the
            // others (to state the rule); its code may not.
            let text = if layer == "core" {
                text.lines()
                    .filter(|l| !l.trim_start().starts_with("//"))
                    .collect::<Vec<_>>()
                    .join("\n")
            } else {
                text
            };
            for other in top_modules(&text, depth(&rel)) {
                let allowed = other == layer
                    || (layer != "core" && !layers.contains(&other.as_str()))
                    || other == "core";
                if !allowed {
                    violations.push(format!("{rel} names crate::{other}"));
                }
            }
        }
    }
    assert!(
        checked > 40,
        "only {checked} files checked: the layout moved?"
    );
    assert!(violations.is_empty(), "{violations:#?}");
}
