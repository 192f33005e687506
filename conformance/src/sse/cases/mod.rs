//! The SSE case catalogue, one file per group, each case a record next to the
//! rule it checks (DESIGN §5: ids `E.<group>.<n>`).
//!
//! * `E.1` the response: status, `Content-Type`, length, caching, framing,
//!   compression, `Accept` ([`e1_response`]).
//! * `E.2` the stream format, against the producer grammar ([`e2_format`]).
//! * `E.3` liveness: first bytes, first event, buffering, heartbeat ([`e3_liveness`]).
//! * `E.4` reconnection and replay ([`e4_reconnect`]).
//! * `E.5` CORS, with `--origin` ([`e5_cors`]).
//! * `E.6` HTTP/2 streams, with `--http 2` ([`e6_http2`]).

use super::case::Case;

pub mod e1_response;
pub mod e2_format;
pub mod e3_liveness;
pub mod e4_reconnect;
pub mod e5_cors;
pub mod e6_http2;

/// Every case, in id order.
pub fn all() -> Vec<Case> {
    let mut all = Vec::new();
    all.extend_from_slice(e1_response::CASES);
    all.extend_from_slice(e2_format::CASES);
    all.extend_from_slice(e3_liveness::CASES);
    all.extend_from_slice(e4_reconnect::CASES);
    all.extend_from_slice(e5_cors::CASES);
    all
}

/// The cases that check HTTP/2 streams (`wirecheck sse --http 2` adds them to [`all`]).
pub fn over_http2() -> Vec<Case> {
    e6_http2::CASES.to_vec()
}

/// The name of a group (`E.1` → `Response`).
pub fn group_name(group: &str) -> &'static str {
    match group {
        "1" => "Response",
        "2" => "Stream format",
        "3" => "Liveness",
        "4" => "Reconnection and replay",
        "5" => "CORS",
        "6" => "HTTP/2 streams",
        _ => "Other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_numbered_in_order() {
        let all = all();
        let mut last: Option<(u32, u32)> = None;
        for c in &all {
            let mut parts = c.id.split('.');
            assert_eq!(parts.next(), Some("E"), "{}", c.id);
            let g: u32 = parts.next().unwrap().parse().unwrap();
            let n: u32 = parts.next().unwrap().parse().unwrap();
            assert!(parts.next().is_none());
            match last {
                Some((lg, ln)) if lg == g => assert_eq!(n, ln + 1, "{}", c.id),
                Some((lg, _)) => assert!(g == lg + 1 && n == 1, "{}", c.id),
                None => assert_eq!((g, n), (1, 1)),
            }
            last = Some((g, n));
            assert!(!c.needs.is_empty() && !c.rule.is_empty() && !c.description.is_empty());
        }
    }
}
