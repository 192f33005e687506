//! The verdicts a run must reach, shared by the runs over sockets and in
//! memory: tungstenite's published Autobahn results (vendored in
//! corpus/reference/, source beside it) and the reference server's.
// Included by several test crates, each using a part.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use wirecheck::core::{Behavior, BehaviorClose};
use wirecheck::ws::case::{Case, Messages};
use wirecheck::ws::result::CaseResult;

/// tungstenite's published results: case id to its `index.json` entry.
fn tungstenite_expected() -> BTreeMap<String, serde_json::Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../corpus/reference/tungstenite-autobahn-expected.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let cases = json
        .get("Tungstenite")
        .and_then(|v| v.as_object())
        .expect("agent Tungstenite");
    cases.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// Where `results` differ from tungstenite's published verdicts and close codes.
pub fn tungstenite_differences<'a>(
    results: impl IntoIterator<Item = &'a CaseResult>,
) -> Vec<String> {
    let expected = tungstenite_expected();
    let mut differences = Vec::new();
    for r in results {
        let id = r.id.to_string();
        let Some(want) = expected.get(&id) else {
            differences.push(format!("{id}: not in tungstenite's results"));
            continue;
        };
        let got = (
            r.behavior.as_str(),
            r.behavior_close.as_str(),
            r.close.remote_close_code.map(u64::from),
        );
        let want = (
            want["behavior"].as_str().unwrap_or_default(),
            want["behaviorClose"].as_str().unwrap_or_default(),
            want["remoteCloseCode"].as_u64(),
        );
        if got != want {
            differences.push(format!(
                "{id}: got {got:?}, tungstenite's published result is {want:?} ({} / {})",
                r.result, r.result_close
            ));
        }
    }
    differences
}

/// What the reference server gets: OK, but INFORMATIONAL where Autobahn always
/// says so (and H.5.4, X.2.1, X.2.2 and the fragment floods S.3.x, where the
/// RFC leaves the choice; the S.1 cases with no origin policy resolved expect
/// an upgrade). It negotiates permessage-deflate, so 12.x and 13.x are OK too,
/// and it refuses the decompression bombs with 1009.
pub fn reference_verdicts(id: &str) -> (Behavior, BehaviorClose) {
    if ["7.1.6", "7.13.1", "7.13.2", "H.5.4", "X.2.1", "X.2.2"].contains(&id)
        || id.starts_with("S.3.")
    {
        (Behavior::Informational, BehaviorClose::Informational)
    } else {
        (Behavior::Ok, BehaviorClose::Ok)
    }
}

/// The cases a test runs: every core case, and the compression cases whose
/// messages add up to at most 8 MiB (rows 1-6 and 11 of every 12.x/13.x
/// subcategory: every data set, every offer, one-frame and fragmented). The
/// other 132 move up to 128 MiB each; the main job (`wirecheck ws`, release)
/// runs them.
pub fn light(case: &Case) -> bool {
    if case.full_profile {
        // wirecheck's heavy S. cases: `--profile full` only.
        return false;
    }
    match case.scoring.round_trips().map(|rt| &rt.messages) {
        Some(Messages::Windows { size, .. }) => size.saturating_mul(1000) <= 8 << 20,
        _ => true,
    }
}
