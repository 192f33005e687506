//! The `proxy_watch` fuzz target's check run by `cargo test`: every file of
//! `corpus/proxy_watch/` (seeds, and the input of every crash ever fixed), and
//! proptest on fresh inputs and on mutations of the seeds. The check is in
//! `support/proxy_fuzz.rs`, shared with `fuzz/fuzz_targets/proxy_watch.rs`.

#[path = "support/proxy_fuzz.rs"]
mod proxy_fuzz;

use std::path::Path;

use proptest::prelude::*;
use proxy_fuzz::check_proxy_watch;

fn seed(name: &str) -> Vec<u8> {
    let f = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../corpus/proxy_watch")
        .join(name);
    std::fs::read(f).expect("readable")
}

/// The seeds are what they say: correct traffic gives nothing, and the one
/// with a Content-Length on its event stream gives exactly that.
#[test]
fn the_seeds_hold_what_their_names_say() {
    assert_eq!(check_proxy_watch(&seed("websocket-deflate-hello")), []);
    assert_eq!(check_proxy_watch(&seed("event-stream-chunked")), []);
    let f = check_proxy_watch(&seed("keep-alive-then-stream"));
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].what.starts_with("Content-Length: 9"), "{f:?}");
}

fn seeds() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/proxy_watch");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| std::fs::read(f).expect("readable"))
        .collect()
}

#[test]
fn every_corpus_file_passes_the_check() {
    let seeds = seeds();
    assert!(seeds.len() >= 3, "corpus/proxy_watch/ has its seeds");
    for s in &seeds {
        let _ = check_proxy_watch(s);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn proxy_watch_never_panics_and_its_findings_stay_bounded_and_in_range(
        random in proptest::collection::vec(any::<u8>(), 0..600),
        pick in any::<usize>(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8),
    ) {
        let _ = check_proxy_watch(&random);
        let seeds = seeds();
        let mut s = seeds[pick % seeds.len()].clone();
        for (at, v) in edits {
            let at = at % (s.len() + 1);
            if at < s.len() { s[at] = v } else { s.push(v) }
        }
        let _ = check_proxy_watch(&s);
    }
}
