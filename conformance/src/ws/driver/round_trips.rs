//! Round trips (9.x, 12.x, 13.x): one message at a time, each after the echo
//! of the one before, every echo checked against what was sent. The messages
//! come from the case's steps (9.x, the same message each time) or are the
//! consecutive windows of a data set (12.x, 13.x, sent compressed when the
//! connection agreed permessage-deflate, RFC 7692 §6).

use super::{Driver, Phase, close_body};
use crate::ws::case::{Messages, Payload, RoundTrips, Step};
use crate::ws::compressed::Key;
use crate::ws::data_sets::DataSet;
use crate::ws::result::WireRow;

impl Driver<'_> {
    /// Queue the next message of a round-trip case and note what its echo must be.
    pub(super) fn next_round_trip(&mut self, rt: &RoundTrips) {
        match &rt.messages {
            Messages::Steps(payload) => {
                self.echo = payload.clone();
                self.steps = self.case.steps.iter().cloned().collect();
            }
            Messages::Windows {
                data,
                size,
                autofrag,
            } => {
                let set = DataSet::get(*data);
                let (bytes, next) = set.data().window(self.window_at, *size);
                self.window_at = next;
                // Everything the compressed bytes of this window depend on.
                self.window = self.deflate.as_ref().map(|d| {
                    let key = Key {
                        data: *data,
                        size: *size,
                        count: rt.count,
                        no_context_takeover: d.sending.no_context_takeover,
                        window_bits: d.sending.max_window_bits,
                        coding: set.coding,
                    };
                    (key, self.trips_done)
                });
                self.echo = Payload::exact(bytes.clone());
                self.steps.push_back(Step::Message {
                    payload: Payload::exact(bytes),
                    binary: rt.binary,
                    fragment_size: (*autofrag > 0).then_some(*autofrag),
                });
            }
        }
    }

    /// A message arrived in a round-trip case: check it is the echo of the
    /// last message sent, then send the next or, after the last, close with 1000.
    pub(super) fn on_echo(&mut self, rt: &RoundTrips, data: &[u8], binary: bool) {
        if self.phase != Phase::Open || self.round_trips.is_some() {
            return;
        }
        self.trips_done += 1;
        let kind = |b: bool| if b { "binary" } else { "text" };
        if binary != rt.binary || data.len() != self.echo.len {
            self.round_trips = Some(Err(format!(
                "echo {} was a {} message of {} bytes; sent a {} message of {} bytes",
                self.trips_done,
                kind(binary),
                data.len(),
                kind(rt.binary),
                self.echo.len
            )));
        } else if let Some(at) = self.echo.first_difference(data) {
            self.round_trips = Some(Err(format!(
                "echo {} has the right length but differs from what was sent at byte {at}",
                self.trips_done
            )));
        } else if self.trips_done < rt.count {
            self.next_round_trip(rt);
            return;
        } else {
            self.round_trips = Some(Ok(()));
            // Autobahn keeps the traffic counters of a compression case that
            // received every echo, as they stand before its Close.
            self.stats.traffic_at_ok = Some(self.stats.traffic);
        }
        self.log.on = true;
        self.log.rows.push(WireRow::Logging(true));
        self.start_close(&close_body(1000, ""));
    }
}
