//! `wirecheck decode sse` over every file in `corpus/sse/`: one insta snapshot per file,
//! and the same output under every `--chunk` size (DESIGN §4: "the output must not
//! depend on N").

use std::fs;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use wirecheck::decode::Outcome;
use wirecheck::decode::sse::{Options, run};

fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/sse");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn decode(input: &[u8], chunk: Option<usize>, last_event_id: Option<&str>) -> (String, Outcome) {
    let opts = Options {
        chunk: chunk.map(|n| NonZeroUsize::new(n).unwrap()),
        last_event_id: last_event_id.map(String::from),
    };
    let mut out = Vec::new();
    let outcome = run(&mut &input[..], &opts, &mut out).unwrap();
    (String::from_utf8(out).unwrap(), outcome)
}

#[test]
fn decode_output_of_every_corpus_file_matches_its_snapshot() {
    let files = corpus();
    assert!(files.len() >= 30, "corpus/sse has {} files", files.len());
    for path in files {
        let input = fs::read(&path).unwrap();
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let (output, outcome) = decode(&input, None, None);
        assert_eq!(outcome, Outcome::Complete, "{name}");
        for line in output.lines() {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            assert!(value.is_object(), "{name}: {line}");
        }
        insta::assert_snapshot!(name, output);
    }
}

#[test]
fn decode_output_is_independent_of_chunk_size() {
    for path in corpus() {
        let input = fs::read(&path).unwrap();
        let (whole, _) = decode(&input, None, None);
        for n in [1, 2, 3, 4, 5, 7, 16, 64] {
            let (chunked, _) = decode(&input, Some(n), None);
            assert_eq!(chunked, whole, "{} with --chunk {n}", path.display());
        }
    }
}

#[test]
fn decode_with_last_event_id_seeds_a_reconnect() {
    let input = b"data: a\n\nid: 5\ndata: b\n\nid\ndata: c\n\n";
    let (output, _) = decode(input, Some(1), Some("41"));
    insta::assert_snapshot!("seeded_last_event_id", output);
    let (unseeded, _) = decode(input, None, None);
    assert!(unseeded.starts_with("{\"event\":\"message\",\"data\":\"a\",\"id\":\"\"}\n"));
}

#[test]
fn decode_prints_events_in_documented_key_order() {
    let (output, outcome) = decode(b"event: t\nid: 1\ndata: x\n\nretry: 30\n:c\n", None, None);
    assert_eq!(outcome, Outcome::Complete);
    assert_eq!(
        output,
        "{\"event\":\"t\",\"data\":\"x\",\"id\":\"1\"}\n{\"retry\":30}\n{\"comment\":\"c\"}\n{\"truncated\":true}\n"
    );
}

#[test]
fn decode_stops_with_an_error_line_past_the_line_limit() {
    // A server that never ends a line: the default 4 MiB limit stops the decoder.
    let mut input = b"data: ok\n\ndata: ".to_vec();
    input.resize(input.len() + (4 << 20) + 1, b'x');
    let (output, outcome) = decode(&input, None, None);
    assert_eq!(outcome, Outcome::ProtocolError);
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines.len(), 2, "{output}");
    assert_eq!(
        lines[0],
        "{\"event\":\"message\",\"data\":\"ok\",\"id\":\"\"}"
    );
    let err: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    assert!(err["error"].as_str().unwrap().contains("4194304"), "{err}");
}
