//! The close handshake from the fuzzer's side, and the timers that drive it,
//! as Autobahn|Python 0.10.9 runs it (autobahn.md §4.3): who closed first,
//! whether the close was clean, and who dropped TCP, which is all the close
//! verdict reads. The role decides the end: a client waits for the server to
//! drop TCP, a server drops it itself (RFC 6455 §7.1.1).

use std::time::Duration;

use super::timers::Due;
use super::{Driver, Phase, Role, close_body};
use crate::ws::case::Ev;
use crate::ws::result::WireRow;

impl Driver<'_> {
    pub(super) fn on_timer(&mut self, due: Due) {
        match due {
            Due::Stall => {
                // Autobahn would wait out its own timer (up to 1000 s in 9.5/9.6) for a
                // peer that has gone quiet; wirecheck stops waiting: a limit, so the
                // case is never OK, and what Autobahn reports then is FAILED anyway.
                self.budget.observe_limit(format!(
                    "the {} sent nothing and read nothing for {:.0} s (wirecheck's stall limit)",
                    self.peer(),
                    self.timeouts.stall.as_secs_f64()
                ));
                self.stop_at_limit("wirecheck stopped waiting on a quiet connection");
            }
            Due::Cap => {
                // No Autobahn timer would end this case: drop it so the run goes on.
                // What the peer would have done after is not seen: a limit, never an OK.
                self.budget.observe_limit(format!(
                    "the case ran into wirecheck's cap of {:.0} s on one case",
                    (self.timers.cap - self.opened_at).as_secs_f64()
                ));
                self.info
                    .was_not_clean_reason
                    .get_or_insert_with(|| "the case ran past its time limit".into());
                self.drop_tcp();
            }
            Due::Phase => {
                self.timers.phase = None;
                match self.phase {
                    Phase::CloseSent => {
                        // autobahn.md §4.3: no Close reply within the close-handshake timeout.
                        self.info.was_close_handshake_timeout = true;
                        self.info.was_not_clean_reason = Some(format!(
                            "the {} did not answer the close frame in time",
                            self.peer()
                        ));
                        self.drop_tcp();
                    }
                    Phase::AwaitDrop if self.role == Role::Server && self.holding => {
                        // C.4.1: the client waited for the server to close TCP.
                        self.drop_tcp();
                    }
                    Phase::AwaitDrop if self.role == Role::Server => {
                        // The client did not read the server's Close reply in time.
                        self.info.was_not_clean_reason =
                            Some("the client did not read the close frame in time".into());
                        self.drop_tcp();
                    }
                    Phase::AwaitDrop => {
                        // The server did not drop TCP after the close handshake.
                        self.info.was_server_connection_drop_timeout = true;
                        self.info.was_clean = false;
                        self.info.was_not_clean_reason = Some(format!(
                            "the {} did not close the TCP connection after the close handshake",
                            self.peer()
                        ));
                        self.drop_tcp();
                    }
                    _ => {}
                }
            }
            Due::Pause => {
                let tag = self.timers.pause.take().and_then(|(_, tag)| tag);
                self.log_row(WireRow::WaitFired(tag));
                if self.phase == Phase::Open {
                    if let Some(tag) = tag {
                        self.received.push(Ev::Timeout(tag));
                    }
                } else {
                    // Autobahn's continuation runs only while the connection is open.
                    self.steps.clear();
                }
            }
            Due::Kill => {
                self.timers.kill = None;
                self.log_row(WireRow::KillFired);
                match self.phase {
                    // failConnection with failByDrop=False: Close 1001 "Going Away".
                    Phase::Open => {
                        self.info.failed_by_me = true;
                        self.start_close(&close_body(1001, "Going Away"));
                    }
                    // Closing: a pending killAfter drops the connection (autobahn.md §4.3).
                    Phase::CloseSent | Phase::AwaitDrop => {
                        // Autobahn's failConnection marks failedByMe, then drops TCP.
                        self.info.failed_by_me = true;
                        if !self.info.was_clean {
                            let why = if self.phase == Phase::CloseSent {
                                format!(
                                    "the {} did not answer the close frame before killAfter fired",
                                    self.peer()
                                )
                            } else {
                                format!("the {} did not close the TCP connection", self.peer())
                            };
                            self.info.was_not_clean_reason.get_or_insert(why);
                        }
                        self.drop_tcp();
                    }
                    Phase::Done => {}
                }
            }
            Due::CloseAfter => {
                self.timers.close_after = None;
                self.log_row(WireRow::CloseTimerFired);
                if self.phase == Phase::Open {
                    if self.case.scoring.round_trips().is_some() && self.round_trips.is_none() {
                        self.round_trips = Some(Err(format!(
                            "did not receive all echoes within the case timeout ({} of the messages were echoed)",
                            self.trips_done
                        )));
                    }
                    self.start_close(&[]);
                }
            }
        }
    }

    /// The fuzzer starts the close handshake (or fails the connection) with `body`.
    pub(super) fn start_close(&mut self, body: &[u8]) {
        if self.phase != Phase::Open {
            return;
        }
        self.info.closed_by_me = true;
        if body.len() >= 2 {
            self.info.local_close_code = Some(u16::from_be_bytes([body[0], body[1]]));
            self.info.local_close_reason = Some(String::from_utf8_lossy(&body[2..]).into_owned());
        }
        self.send_close_frame(body);
        self.phase = Phase::CloseSent;
        self.arm_phase(self.timeouts.close_handshake);
    }

    pub(super) fn on_close(&mut self, code: Option<u16>, reason: Option<String>) {
        self.info.remote_close_code = code;
        self.info.remote_close_reason = reason;
        match self.phase {
            Phase::Open => {
                // The peer closed first: answer 1000 (Autobahn does not echo the
                // code), RFC 6455 §5.5.1.
                self.info.local_close_code = Some(1000);
                self.info.local_close_reason = Some(String::new());
                self.send_close_frame(&close_body(1000, ""));
                // Autobahn marks the close clean when the Close frame arrives; only
                // the two timeouts take that back (autobahn.md §4.3).
                self.info.was_clean = true;
                self.phase = Phase::AwaitDrop;
                match self.role {
                    // RFC 6455 §7.1.1: the server closes TCP first; as Autobahn's
                    // server, once its reply is written.
                    Role::Server => self.drop_after_writes(),
                    // autobahn.md §4.3: Autobahn arms no timer here, so without a
                    // pending killAfter it would wait for the server to drop TCP
                    // forever. wirecheck waits the drop timeout instead (README
                    // "Limits"); a pending killAfter still decides, as in Autobahn.
                    Role::Client => {
                        if self.timers.kill.is_none() {
                            self.arm_phase(self.timeouts.peer_drop);
                        }
                    }
                }
            }
            Phase::CloseSent => {
                self.info.was_clean = true;
                self.phase = Phase::AwaitDrop;
                self.timers.phase = None;
                match (self.role, self.case.hold_drop) {
                    // C.4.1: hold TCP open; who closes it first is the case.
                    (Role::Server, Some(hold)) => {
                        self.holding = true;
                        self.closed_at = self.now;
                        self.arm_phase(hold.mul_f64(self.timeouts.scale.max(0.0)));
                    }
                    (Role::Server, None) => self.drop_after_writes(),
                    (Role::Client, _) => self.arm_phase(self.timeouts.peer_drop),
                }
            }
            Phase::AwaitDrop | Phase::Done => {}
        }
    }

    /// Arm the close phase's timeout, `d` from now.
    pub(super) fn arm_phase(&mut self, d: Duration) {
        self.timers.phase = Some(self.now + d);
    }

    /// As a server, drop TCP once what is queued (the Close reply) is written; a
    /// peer that does not read gets the close-handshake timeout for that.
    pub(super) fn drop_after_writes(&mut self) {
        self.info.dropped_by_me = true;
        if self.out.queued() == 0 {
            self.phase = Phase::Done;
        } else {
            self.arm_phase(self.timeouts.close_handshake);
        }
    }

    /// wirecheck ends the connection at one of its limits, without a close
    /// handshake: it, not the peer, closed it, and not cleanly (`why`).
    pub(super) fn stop_at_limit(&mut self, why: &str) {
        if self.phase == Phase::Open {
            self.info.closed_by_me = true;
        }
        self.info.was_clean = false;
        self.info
            .was_not_clean_reason
            .get_or_insert_with(|| why.to_owned());
        self.drop_tcp();
    }

    /// The fuzzer drops the TCP connection itself. Whether the close was clean is
    /// left as it is, as Autobahn's `dropConnection` does.
    pub(super) fn drop_tcp(&mut self) {
        if self.phase != Phase::Done {
            self.info.dropped_by_me = true;
            self.phase = Phase::Done;
        }
    }
}
