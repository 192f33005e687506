//! Snapshots of `wirecheck decode ws` for every sample in `corpus/ws/`, so that a
//! change in behaviour shows up in review. The role comes from the file name
//! (`server-*` or `client-*`). Every sample is also decoded in several chunk sizes,
//! down to one byte at a time, and must give the same output.

use std::fs;
use std::num::NonZeroUsize;
use std::path::Path;

use wirecheck::decode::{self, ws::Options};
use wirecheck_codec::ws::Role;

fn decode(
    input: &[u8],
    role: Role,
    chunk: Option<usize>,
    frames: bool,
) -> (String, decode::Outcome) {
    let opts = Options {
        role,
        chunk: chunk.and_then(NonZeroUsize::new),
        frames,
        deflate: None,
    };
    let mut out = Vec::new();
    let outcome =
        decode::ws::run(&mut &input[..], &opts, &mut out).expect("in-memory I/O cannot fail");
    (String::from_utf8(out).expect("JSON is UTF-8"), outcome)
}

#[test]
fn decode_ws_corpus_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/ws");
    let mut names: Vec<_> = fs::read_dir(&dir)
        .expect("corpus/ws exists")
        .map(|e| {
            e.expect("readable entry")
                .file_name()
                .into_string()
                .expect("UTF-8 name")
        })
        .collect();
    names.sort();
    assert!(names.len() >= 30, "corpus/ws has {} samples", names.len());
    for name in names {
        let input = fs::read(dir.join(&name)).expect("readable sample");
        let role = if name.starts_with("server-") {
            Role::Server
        } else if name.starts_with("client-") {
            Role::Client
        } else {
            panic!("{name}: corpus/ws samples are named server-* or client-*");
        };
        let (plain, outcome) = decode(&input, role, None, false);
        let (framed, framed_outcome) = decode(&input, role, None, true);
        assert_eq!(
            outcome, framed_outcome,
            "{name}: --frames changed the outcome"
        );
        for chunk in [1, 2, 3, 5, 7, 64] {
            assert_eq!(
                decode(&input, role, Some(chunk), false),
                (plain.clone(), outcome),
                "{name} in chunks of {chunk}"
            );
            assert_eq!(
                decode(&input, role, Some(chunk), true).0,
                framed,
                "{name} --frames in chunks of {chunk}"
            );
        }
        let stem = name.trim_end_matches(".bin");
        insta::assert_snapshot!(
            format!("decode_ws__{stem}"),
            format!(
                "exit: {}\n--- plain\n{plain}--- --frames\n{framed}",
                outcome.exit_code()
            )
        );
    }
}
