//! The crate's dependency rule (`conformance/src/lib.rs`, `core/mod.rs`): the
//! WebSocket runner (`ws`), the SSE runner (`sse`) and the renderers (`report`)
//! depend on `core` and never on each other, and `core` on none of them; only
//! the command glue (`ws/command.rs`, `sse/command.rs`, `command.rs`,
//! `main.rs`) ties them together. Checked on the source text: a `crate::`
//! path (or `wirecheck::`) naming another of the three is a violation.

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
            for other in layers.iter().filter(|o| **o != layer && **o != "core") {
                for needle in [format!("crate::{other}"), format!("wirecheck::{other}")] {
                    if text.contains(&needle) {
                        violations.push(format!("{rel} uses {needle}"));
                    }
                }
            }
            // `core` depends on nothing else of the crate.
            let code = text.lines().filter(|l| !l.trim_start().starts_with("//"));
            if layer == "core"
                && code
                    .into_iter()
                    .any(|l| l.contains("crate::") && !l.contains("crate::core"))
            {
                violations.push(format!(
                    "{rel}: core depends on another module of the crate"
                ));
            }
        }
    }
    assert!(
        checked > 40,
        "only {checked} files checked: the layout moved?"
    );
    assert!(violations.is_empty(), "{violations:#?}");
}
