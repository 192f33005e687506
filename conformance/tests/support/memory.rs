//! The case driver in memory: no sockets, no sleeps, simulated time. A case
//! runs against a sans-IO peer; every write of the driver reaches the peer as
//! one segment, the peer answers at once, and when nothing moves the clock
//! jumps to the driver's next deadline. Deterministic: the same case, peer and
//! seed give the same result, byte for byte.

use std::time::{Duration, Instant};

use wirecheck::ws::case::Case;
use wirecheck::ws::driver::opening::{self, ClientOpening, Progress, ServerOpening};
use wirecheck::ws::driver::{Driver, Role, Timeouts};
use wirecheck::ws::result::{CaseResult, kept_request};
use wirecheck_codec::ws::handshake::ClientRequest;

/// An endpoint of either role, sans-IO.
pub trait Peer {
    /// Bytes from the driver arrived (one write, one segment).
    fn receive(&mut self, bytes: &[u8]);
    /// What the peer sends now (empty when nothing).
    fn transmit(&mut self) -> Vec<u8>;
    /// Whether the peer has closed its TCP connection (after what it sent).
    fn closed(&self) -> bool;
}

/// More turns than any case needs: a run that takes more is a loop.
const MAX_TURNS: usize = 2_000_000;

/// More simulated time than any case needs (the cap is 30 s, 9.x add theirs).
const MAX_TIME: Duration = Duration::from_secs(600);

/// Run `case` with the driver in `role` against `peer`.
pub fn run(case: &Case, ordinal: usize, role: Role, peer: &mut dyn Peer) -> CaseResult {
    let t0 = Instant::now();
    let mut result = CaseResult::unrun(case, ordinal);
    let mut deflate = None;
    let mut verdict = None;
    let leftover = match role {
        Role::Client => {
            let request =
                opening::offer_deflate(case, ClientRequest::new("127.0.0.1:9001", "/", [7; 16]));
            let mut hs = match &case.opening {
                Some(spec) => ClientOpening::custom(spec, &request),
                None => ClientOpening::textbook(request).expect("the textbook request"),
            };
            result.http_request = kept_request(&hs.request());
            while let Some(bytes) = hs.transmit() {
                let bytes = bytes.to_vec();
                peer.receive(&bytes);
                hs.written(bytes.len());
            }
            let progress = loop {
                let out = peer.transmit();
                if out.is_empty() {
                    break Progress::Failed("the peer answered nothing".into());
                }
                match hs.handle_input(&out) {
                    Progress::More => {}
                    done => break done,
                }
            };
            result.http_response = String::from_utf8_lossy(hs.head()).into_owned();
            // As the engine judges it: a refusal (expected or not), an answer
            // the deflate offers do not allow, or an open connection.
            match (progress, opening::agreed_deflate(case, &hs)) {
                (Progress::Open(leftover), Ok(agreed)) => {
                    deflate = agreed;
                    verdict = case
                        .opening
                        .as_ref()
                        .and_then(|s| opening::judge(s.expect, &Progress::Open(Vec::new())));
                    leftover
                }
                (Progress::Open(_), Err(why)) => {
                    return opening::finish_unopened(case, result, why);
                }
                (other, _) => return opening::finish_refused(case, result, &other),
            }
        }
        Role::Server => {
            let mut hs = ServerOpening::default();
            let mut progress = Progress::More;
            while progress == Progress::More {
                let out = peer.transmit();
                if out.is_empty() {
                    break;
                }
                progress = hs.handle_input(&out);
                while let Some(bytes) = hs.transmit() {
                    let bytes = bytes.to_vec();
                    peer.receive(&bytes);
                    progress = hs.written(bytes.len());
                }
            }
            result.http_request = kept_request(hs.head());
            result.http_response = String::from_utf8_lossy(hs.response()).into_owned();
            match progress {
                Progress::Open(leftover) => leftover,
                other => {
                    result.result = format!("the opening handshake failed: {other:?}");
                    return result;
                }
            }
        }
    };
    let mut now = t0;
    let mut driver = Driver::with_deflate(
        case,
        role,
        Timeouts::scaled(1.0),
        42,
        now,
        &leftover,
        deflate,
        None,
    );
    if verdict.is_some() {
        // The server accepted what it must refuse: close at once, normally.
        driver.close_now();
    }
    let mut turns = 0;
    loop {
        turns += 1;
        assert!(turns < MAX_TURNS, "{}: the driver never finished", case.id);
        assert!(now - t0 < MAX_TIME, "{}: ran past {MAX_TIME:?}", case.id);
        driver.handle_timeout(now);
        if driver.is_done() {
            break;
        }
        // What the peer sent arrives first: it was on the wire before the
        // driver's next segment reached the peer.
        let out = peer.transmit();
        if !out.is_empty() {
            driver.handle_input(now, &out);
        } else if peer.closed() {
            // Everything it sent has arrived; then its FIN (a write after it
            // would fail with a reset, the same end for the driver).
            driver.handle_eof();
        } else if let Some(bytes) = driver.transmit() {
            let bytes = bytes.to_vec();
            peer.receive(&bytes);
            driver.written(now, bytes.len());
        } else {
            // Nothing moves: the clock jumps to the next deadline.
            now = now.max(driver.deadline());
        }
    }
    result.duration_ms = (now - t0).as_millis() as u64;
    driver.finish(&mut result);
    opening::finish_opened(case, &mut result, verdict, 101);
    result
}
