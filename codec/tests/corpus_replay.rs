//! Every fuzz target's check, run by `cargo test` without cargo-fuzz:
//! * every file in `corpus/<target>/` (hand-made seeds, minimised fuzz finds and the
//!   input of every crash ever fixed) is replayed through its target's check, so a
//!   crash once found stays fixed;
//! * proptest properties run each check, the differential ones against tungstenite
//!   included, on fresh random inputs and on random mutations of the seeds.
//!
//! The checks live in `support/fuzz_checks.rs`, shared with `fuzz/fuzz_targets/`.

#[path = "support/fuzz_checks.rs"]
mod fuzz_checks;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use fuzz_checks::TARGETS;
use proptest::prelude::*;

/// The files of `corpus/<target>/`, sorted by name.
fn corpus_files(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_corpus_file_passes_its_target_check() {
    let mut failures = Vec::new();
    let mut count = 0;
    for &(target, check) in TARGETS {
        let files = corpus_files(target);
        assert!(!files.is_empty(), "corpus/{target}/ has no seeds");
        for file in files {
            let data = std::fs::read(&file).expect("readable corpus file");
            count += 1;
            if let Err(e) = catch_unwind(AssertUnwindSafe(|| check(&data))) {
                let why = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                failures.push(format!("{}: {why}", file.display()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} corpus files fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every seed of every target, loaded once.
fn seeds() -> &'static Vec<Vec<Vec<u8>>> {
    static SEEDS: OnceLock<Vec<Vec<Vec<u8>>>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        TARGETS
            .iter()
            .map(|(t, _)| {
                corpus_files(t)
                    .iter()
                    .map(|f| std::fs::read(f).expect("readable corpus file"))
                    .collect()
            })
            .collect()
    })
}

/// A seed of target `t` with byte edits, insertions and a truncation applied.
fn mutate(t: usize, pick: usize, edits: &[(usize, u8, u8)], cut: Option<usize>) -> Vec<u8> {
    let files = &seeds()[t];
    let mut data = files[pick % files.len()].clone();
    for &(at, op, value) in edits {
        let at = at % (data.len() + 1);
        match op % 3 {
            0 if at < data.len() => data[at] = value,
            1 => data.insert(at, value),
            _ if at < data.len() => {
                data.remove(at);
            }
            _ => data.push(value),
        }
    }
    if let Some(c) = cut {
        data.truncate(c % (data.len() + 1));
    }
    data
}

macro_rules! target_properties {
    ($($name:ident => $index:expr),* $(,)?) => {
        mod properties {
            use super::*;
            proptest! {
                #![proptest_config(ProptestConfig::with_cases(96))]
                $(
                    #[test]
                    fn $name(
                        random in proptest::collection::vec(any::<u8>(), 0..400),
                        pick in any::<usize>(),
                        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 0..8),
                        cut in proptest::option::of(any::<usize>()),
                    ) {
                        let (target, check) = TARGETS[$index];
                        assert_eq!(target, stringify!($name));
                        check(&random);
                        check(&mutate($index, pick, &edits, cut));
                    }
                )*
            }
        }
    };
}

target_properties! {
    ws_frame_header => 0,
    ws_frame_decoder => 1,
    ws_message_server => 2,
    ws_message_client => 3,
    ws_handshake_request => 4,
    ws_handshake_response => 5,
    ws_extensions => 6,
    sse_parser => 7,
    sse_roundtrip => 8,
    diff_ws_server => 9,
    diff_ws_client => 10,
    diff_ws_handshake => 11,
    http_chunked => 12,
    ws_deflate_negotiation => 13,
    ws_deflate_inflate => 14,
    http_head => 15,
    ws_receiver => 16,
}

#[test]
fn every_target_has_a_property() {
    assert_eq!(TARGETS.len(), 17);
}
