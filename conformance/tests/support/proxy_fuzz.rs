//! The property behind the `proxy_watch` fuzz target, written once and driven
//! by `fuzz/fuzz_targets/proxy_watch.rs` (cargo-fuzz) and by
//! `tests/proxy_watch_fuzz.rs` (`cargo test`: every file of
//! `corpus/proxy_watch/`, and proptest on fresh and mutated inputs).
//!
//! Input layout: a script of steps. Each step is one byte `b`: `0xFF` ends
//! the server's direction, `0xFE` the client's; otherwise the next `1 + (b >> 1)`
//! bytes (or what is left) come from the client (`b & 1 == 0`) or the server,
//! one millisecond after the step before. So a capture of one side, cut into
//! pieces of at most 64 bytes with a step byte before each, is a valid seed
//! (`scripts/` need not know more).
//!
//! Seeds (`corpus/proxy_watch/`, made by hand): a WebSocket connection with
//! permessage-deflate (RFC 6455 §1.3's key, §5.7's masked "Hello", RFC 7692
//! §7.2.3.1's compressed "Hello"), a chunked event stream, and a kept-alive
//! connection whose second response is an event stream.
//!
//! The property: nothing panics on any input, every finding's offset lies
//! within what its side sent (or at its end), every finding names a rule, and
//! a connection reports a bounded number of findings however long it runs.
#![allow(dead_code)]

use wirecheck::proxy::Side;
use wirecheck::proxy::watch::Watch;

/// Findings one connection may report at most: the handshake's few, one per
/// WebSocket direction, and for each event stream the grammar checker's
/// examples (at most 4 per rule, 20 rules) and two liveness findings; a
/// kept-alive connection may carry several streams, each bounded so.
fn bound(streams: u64) -> u64 {
    8 + 2 + streams * (4 * 20 + 2 + 2)
}

/// The check; the findings, for tests that know what an input holds.
pub fn check_proxy_watch(data: &[u8]) -> Vec<wirecheck::proxy::Finding> {
    let mut w = Watch::new(1);
    let mut sent = [0u64; 2];
    let mut findings = Vec::new();
    let mut i = 0;
    let mut t = 0;
    while i < data.len() {
        let b = data[i];
        i += 1;
        t += 1;
        match b {
            0xFF => w.end(Side::Server, t),
            0xFE => w.end(Side::Client, t),
            _ => {
                let side = if b & 1 == 0 {
                    Side::Client
                } else {
                    Side::Server
                };
                let n = (1 + usize::from(b >> 1)).min(data.len() - i);
                let mut piece = data[i..i + n].to_vec();
                i += n;
                w.feed(side, t, &mut piece);
                sent[usize::from(side == Side::Server)] += n as u64;
            }
        }
        for f in w.take_findings() {
            let side_sent = sent[usize::from(f.from == Side::Server)];
            assert!(
                f.offset <= side_sent,
                "{f:?} beyond the {side_sent} bytes sent"
            );
            assert!(!f.rule.is_empty() && !f.what.is_empty(), "{f:?}");
            findings.push(f);
        }
    }
    // Every response head may open an event stream: count them generously.
    let heads = data.windows(5).filter(|w| w == b"HTTP/").count() as u64;
    assert!(
        (findings.len() as u64) <= bound(heads.max(1)),
        "{} findings for {heads} responses",
        findings.len()
    );
    findings
}
