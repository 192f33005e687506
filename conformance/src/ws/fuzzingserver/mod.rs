//! The fuzzing server: wirecheck in the role of Autobahn's `fuzzingserver`,
//! testing a WebSocket **client** with the same catalogue, roles reversed
//! (wirecheck sends unmasked frames, the client must mask and echo).
//!
//! * [`route`]: the URL protocol a client driver speaks (`/getCaseCount`,
//!   `/runCase?case=N&agent=A`, ...), read exactly as the original reads it.
//! * [`server`]: the listener: routes each connection, runs a case on it with
//!   the driver in the server role ([`crate::ws::engine::serve_opened`]), keeps
//!   the results per agent and hands them to whoever writes the reports.
//!
//! Which cases apply to a client: [`crate::ws::cases::for_clients`].

pub mod deflate;
pub mod route;
pub mod server;

use std::time::Duration;

use super::case::{Case, Step};
use super::driver::Timeouts;

/// How long `case` may take with a conforming client: its own timers (pauses,
/// `killAfter`, `closeAfter`, the round trips' deadline), scaled, plus the
/// close handshake and the wait for the peer's drop.
pub fn case_time(case: &Case, t: &Timeouts) -> Duration {
    let scale = |d: Duration| d.mul_f64(t.scale.max(0.0));
    let mut pauses = Duration::ZERO;
    let mut last_timer = Duration::ZERO;
    for step in &case.steps {
        match step {
            Step::Wait(d, _) => pauses += scale(*d),
            Step::KillAfter(d) | Step::CloseAfter(d) => last_timer = last_timer.max(scale(*d)),
            _ => {}
        }
    }
    let trips = case
        .scoring
        .round_trips()
        .map_or(Duration::ZERO, |r| scale(r.timeout));
    pauses + last_timer.max(trips) + t.close_handshake + t.peer_drop
}
