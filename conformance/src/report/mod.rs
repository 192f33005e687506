//! The reports of a run (DESIGN §6): Autobahn's `index.json` and per-case JSON,
//! a self-contained `index.html` with one detail page per case, `junit.xml`, and
//! the text summary on stdout.
//!
//! Everything renders from one protocol-neutral model, `core`'s [`Run`] of
//! [`CaseReport`]s: a runner turns its own results into it (the WebSocket
//! runner in `ws::report`, the SSE runner in `sse::run`), and the command glue
//! calls [`write_all`] and [`summary::render`]. This module depends on `core`
//! (and the neutral `crate::pyjson`), never on a runner. A case's
//! protocol-specific detail travels as its per-case JSON
//! ([`CaseReport::detail`]); the HTML detail page renders from that same JSON,
//! so the two can never disagree.
//!
//! * [`index_json`] renders `index.json`.
//! * [`html`] renders `index.html`.
//! * [`page`] holds what every page shares (style sheet, escaping, verdict colours).
//! * [`case_html`] renders a case's detail page from its per-case JSON.
//! * [`timeline`] draws an SSE stream's reads over time on a liveness case's page.
//! * [`junit`] renders `junit.xml`.
//! * [`summary`] renders the text summary, and decides whether to colour it.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

pub use crate::core::{
    Behavior, BehaviorClose, CaseReport, CloseVerdict, Detail, Protocol, Run, case_file_stem,
    clean_for_filename, iso8601_utc, sort_key,
};

pub mod case_html;
pub mod html;
pub mod index_json;
pub mod junit;
pub mod page;
pub mod summary;
pub mod timeline;

pub use summary::{ColorChoice, color_enabled};

/// What [`write_all`] wrote.
#[derive(Debug, Clone)]
pub struct Written {
    /// The report folder.
    pub dir: PathBuf,
    /// `index.json`.
    pub index_json: PathBuf,
    /// `index.html`.
    pub index_html: PathBuf,
    /// `junit.xml`.
    pub junit_xml: PathBuf,
    /// How many per-case files (`.json` and `.html`) were written.
    pub case_files: usize,
}

fn write_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut w = BufWriter::new(fs::File::create(path)?);
    w.write_all(contents)?;
    w.flush()
}

/// Create the report folder and prove it can be written, before any traffic:
/// a run whose reports cannot be written must not run at all (DESIGN §3: a
/// configuration error is found before any network traffic).
pub fn prepare_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let probe = dir.join(".wirecheck-write-test");
    write_file(&probe, b"")?;
    fs::remove_file(&probe)
}

/// Write every report file of `run` into `dir` (created if missing): per case
/// `<agent>_case_<id>.json` and `.html`, then `index.json`, `index.html` and
/// `junit.xml`. Files of earlier runs with other names are left alone.
pub fn write_all(dir: &Path, run: &Run) -> io::Result<Written> {
    fs::create_dir_all(dir)?;
    let mut case_files = 0;
    for case in &run.cases {
        let stem = run.case_file_stem(&case.id);
        let detail = case.detail.json();
        let mut json = crate::pyjson::to_string(&detail);
        json.push('\n');
        write_file(&dir.join(format!("{stem}.json")), json.as_bytes())?;
        write_file(
            &dir.join(format!("{stem}.html")),
            case_html::render(run, case, &detail).as_bytes(),
        )?;
        case_files += 2;
    }
    let written = Written {
        dir: dir.to_owned(),
        index_json: dir.join("index.json"),
        index_html: dir.join("index.html"),
        junit_xml: dir.join("junit.xml"),
        case_files,
    };
    write_file(&written.index_json, index_json::render(run).as_bytes())?;
    write_file(&written.index_html, html::index_page(run).as_bytes())?;
    let junit = junit::render(run).map_err(io::Error::other)?;
    write_file(&written.junit_xml, junit.as_bytes())?;
    Ok(written)
}
