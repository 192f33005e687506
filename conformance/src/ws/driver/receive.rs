//! What arrives from the peer: bytes through the frame tracker (for the log)
//! and the message decoder (for the events), automatic pongs, the peer's
//! Close, and failing the connection on a protocol error with the code its
//! rule maps to (RFC 6455 §7.1.7). The round trips ([`super::round_trips`]) and
//! Autobahn's `finishWhenDone` judge each event as it arrives.

use wirecheck_codec::ws::deflate::inflate_message;
use wirecheck_codec::ws::frame::MAX_HEADER_LEN;
use wirecheck_codec::ws::{Event, MessageKind, ProtocolError};

use super::{Driver, LogSink, Phase, close_body, close_body_trimmed, receive_limits};
use crate::ws::case::Ev;
use crate::ws::result::{Logged, WireRow};

impl Driver<'_> {
    /// The last `n` bytes the receiver holds just arrived.
    pub(super) fn on_received(&mut self, n: usize) {
        let pending = self.rx.pending_bytes();
        // The tracker unmasks what it follows: it works on a copy.
        let mut copy = pending[pending.len().saturating_sub(n)..].to_vec();
        self.log_row(WireRow::Rx(Logged::of(&copy)));
        let base = self.rx_total;
        self.rx_total += n as u64;
        self.tracker.follow(
            &mut copy,
            base,
            &mut LogSink {
                log: &mut self.log,
                budget: &mut self.budget,
                masks: &mut self.masks,
            },
        );
        if self.decoder_failed_at.is_some() {
            // The message decoder holds nothing more once it failed.
            self.rx.clear();
            self.partial = 0;
            self.close_after_failure();
            return;
        }
        self.partial = self.partial.saturating_add(n);
        loop {
            if self.phase == Phase::Done {
                return;
            }
            match self.rx.next_event() {
                Ok(None) => return,
                Ok(Some(Event::Frame(h))) => {
                    *self.stats.rx_frames.entry(h.opcode.as_u8()).or_default() += 1;
                    if !h.opcode.is_control() {
                        let t = &mut self.stats.traffic.incoming;
                        t.frames += 1;
                        t.websocket += h.payload_len;
                    }
                }
                Ok(Some(Event::Message { kind, rsv, data })) => {
                    self.partial = 0;
                    let data = match self.deflate.as_mut() {
                        // RFC 7692 §7.2.2: a compressed message is inflated, within
                        // the case's message limit, and text checked once inflated.
                        Some(d) if rsv & 0b100 != 0 => {
                            let limit = receive_limits(self.case).max_message_size;
                            let mut out = Vec::new();
                            match inflate_message(&mut d.decompressor, kind, data, limit, &mut out)
                            {
                                Ok(()) => out,
                                Err(e) => {
                                    let at = self.decoded_up_to();
                                    self.fail_on(e, at);
                                    return;
                                }
                            }
                        }
                        _ => data.to_vec(),
                    };
                    let t = &mut self.stats.traffic.incoming;
                    t.app += data.len() as u64;
                    t.messages += 1;
                    let ev = Ev::Message {
                        data,
                        binary: kind == MessageKind::Binary,
                    };
                    self.on_event(ev);
                }
                Ok(Some(Event::Ping(p))) => {
                    let p = p.to_vec();
                    // Autobahn answers pings automatically; a peer that pings without
                    // reading does not grow the queue past its bound.
                    if self.phase == Phase::Open
                        && self
                            .budget
                            .take_pong(self.out.queued(), p.len() + MAX_HEADER_LEN)
                    {
                        let bytes = self.encode(0xA, true, 0, &p).0;
                        self.out.push(bytes, false);
                    }
                    self.on_event(Ev::Ping(p));
                }
                Ok(Some(Event::Pong(p))) => {
                    let p = p.to_vec();
                    self.on_event(Ev::Pong(p));
                }
                Ok(Some(Event::Close(c))) => {
                    let (code, reason) = match c {
                        Some(c) => (Some(c.code.0), Some(c.reason.to_owned())),
                        None => (None, None),
                    };
                    self.on_close(code, reason);
                    // RFC 6455 §5.5.1: nothing may follow the peer's Close. Frames
                    // behind it in the same read are decoded too (the decoder
                    // reports them as FrameAfterClose), as in a later read.
                    continue;
                }
                Err(e) => {
                    let at = self.decoded_up_to();
                    self.fail_on(e, at);
                    return;
                }
            }
        }
    }

    /// Where decoding stands in the stream received (errors name it).
    fn decoded_up_to(&self) -> u64 {
        self.rx_total - self.rx.pending() as u64
    }

    /// The peer broke a rule at stream offset `at`: fail the connection with the
    /// code the rule maps to.
    pub(super) fn fail_on(&mut self, e: ProtocolError, at: u64) {
        // RFC 6455 §7.4.1: 1009 is a message too big for the receiver, here
        // for wirecheck's own bound: what followed was not observed.
        if e.close_code() == 1009 {
            self.budget.observe_limit(format!(
                "the {} sent a message or frame over wirecheck's limit of {} bytes ({e})",
                self.peer(),
                receive_limits(self.case).max_message_size
            ));
        }
        // The peer broke the protocol: fail the connection with the code
        // the rule maps to (RFC 6455 §7.1.7), as Autobahn's protocol does.
        self.info.failed_by_me = true;
        self.info
            .peer_violation
            .get_or_insert_with(|| e.to_string());
        self.decoder_failed_at = Some(at);
        if self.phase == Phase::Open {
            self.start_close(&close_body_trimmed(e.close_code(), &e.to_string()));
            // Autobahn skips the invalid frame and still takes the peer's
            // Close reply; the frame tracker has seen what followed it.
            self.close_after_failure();
        } else {
            // Failing while closing drops the connection (autobahn.md §4.3).
            self.drop_tcp();
        }
    }

    /// After the message decoder failed: take the first Close frame that starts
    /// after the failing frame as the peer's Close.
    pub(super) fn close_after_failure(&mut self) {
        let Some(failed_at) = self.decoder_failed_at else {
            return;
        };
        let Some(body) = self.tracker.close_after(failed_at) else {
            return;
        };
        // The codec validates the body (RFC 6455 §5.5.1, §7.4); an invalid one is
        // a second violation while closing, which drops the connection.
        let Some(body) = body else {
            self.drop_tcp();
            return;
        };
        match wirecheck_codec::ws::message::parse_close(&body) {
            Ok(Some(c)) => {
                let reason = c.reason.to_owned();
                self.on_close(Some(c.code.0), Some(reason));
            }
            Ok(None) => self.on_close(None, None),
            Err(_) => self.drop_tcp(),
        }
    }

    pub(super) fn on_event(&mut self, ev: Ev) {
        if let Some(rt) = self.case.scoring.round_trips() {
            if let Ev::Message { data, binary } = &ev {
                self.on_echo(rt, data, *binary);
                return;
            }
        }
        if !self.budget.take_event(ev.payload_len()) {
            // Past the bound nothing more is observed, and the verdict is already
            // FAILED (no case expects so much): end the case at once.
            self.stop_at_limit("wirecheck stopped at its limit on received events");
            return;
        }
        self.received.push(ev);
        self.finish_when_done();
    }

    /// Autobahn's `finishWhenDone`: when what was received equals every expected
    /// list, a case where the fuzzer closes does so at once with its first code.
    pub(super) fn finish_when_done(&mut self) {
        let e = &self.case.expected;
        let all_match =
            self.received == e.ok && e.non_strict.as_ref().is_none_or(|ns| *ns == self.received);
        if all_match && self.case.expected_close.closed_by_me && !self.case.suppress_close {
            let code = self
                .case
                .expected_close
                .codes
                .first()
                .copied()
                .unwrap_or(1000);
            self.start_close(&close_body(code, ""));
        }
    }
}
