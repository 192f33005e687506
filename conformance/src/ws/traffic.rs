//! Autobahn's `trafficStats`: what a compression case (12.x, 13.x) moved at
//! each level, so its report shows how well the peer compressed.
//!
//! Counted as Autobahn|Python 0.10.9's `TrafficStats` counts (autobahn.md §9.5),
//! from the fuzzer's side, each way:
//! * wire level: every byte read or written while the connection is open;
//!   the opening handshake's bytes are the `preopen` counts instead;
//! * WebSocket level: the payload bytes of data frames (text, binary,
//!   continuation) as they travel, compressed when the message is;
//! * application level: those payloads as the application sees them, inflated;
//! * data frames and messages.
//!
//! The ratios are derived when written: compression = WebSocket level /
//! application level, overhead = (wire level - WebSocket level) / WebSocket
//! level, `null` when the divisor is 0. Control frames count at the wire level
//! only, as there.
//!
//! Autobahn copies the counters when the last echo of a compression case has
//! arrived (before its Close) and reports them only for a case that got there
//! (OK); so does [`super::driver`]. One difference, from the transport: Autobahn
//! counts a read that holds the end of the opening handshake and the first
//! frames as preopen whole; wirecheck splits it where the handshake ends.

use serde_json::{Value, json};

use crate::pyjson::sorted_object;

/// One direction's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flow {
    /// Bytes on the wire while open.
    pub wire: u64,
    /// Payload bytes of data frames, as sent (compressed or not).
    pub websocket: u64,
    /// Those payloads as the application sees them (inflated).
    pub app: u64,
    /// Data frames.
    pub frames: u64,
    /// Messages.
    pub messages: u64,
    /// Bytes of the opening handshake.
    pub preopen: u64,
}

impl Flow {
    /// A data message sent or received: `app` bytes as the application sees
    /// them, `websocket` bytes of payload in `frames` frames.
    pub fn message(&mut self, app: usize, websocket: usize, frames: usize) {
        self.app += app as u64;
        self.websocket += websocket as u64;
        self.frames += frames as u64;
        self.messages += 1;
    }
}

/// Both directions, from the fuzzer's side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traffic {
    /// What the fuzzer read.
    pub incoming: Flow,
    /// What the fuzzer wrote.
    pub outgoing: Flow,
}

impl Traffic {
    /// Autobahn's `trafficStats` object: its 16 keys, sorted.
    pub fn to_json(&self) -> Value {
        let ratio = |num: u64, den: u64| {
            if den == 0 {
                Value::Null
            } else {
                json!(num as f64 / den as f64)
            }
        };
        let mut keys = Vec::with_capacity(16);
        for (prefix, f) in [("incoming", &self.incoming), ("outgoing", &self.outgoing)] {
            let key = |name: &str| format!("{prefix}{name}");
            keys.push((key("CompressionRatio"), ratio(f.websocket, f.app)));
            keys.push((key("OctetsAppLevel"), json!(f.app)));
            keys.push((key("OctetsWebSocketLevel"), json!(f.websocket)));
            keys.push((key("OctetsWireLevel"), json!(f.wire)));
            keys.push((key("WebSocketFrames"), json!(f.frames)));
            keys.push((key("WebSocketMessages"), json!(f.messages)));
            keys.push((
                key("WebSocketOverhead"),
                ratio(f.wire.saturating_sub(f.websocket), f.websocket),
            ));
        }
        keys.push((
            "preopenIncomingOctetsWireLevel".to_owned(),
            json!(self.incoming.preopen),
        ));
        keys.push((
            "preopenOutgoingOctetsWireLevel".to_owned(),
            json!(self.outgoing.preopen),
        ));
        sorted_object(keys)
    }

    /// Autobahn's index-page note for a compression case: ` [in/out]`, the
    /// compression ratios to three decimals, `-` where there is none.
    pub fn ratios_note(&self) -> String {
        let r = |f: &Flow| {
            if f.app == 0 {
                "-".to_owned()
            } else {
                format!("{:.3}", f.websocket as f64 / f.app as f64)
            }
        };
        format!("[{}/{}]", r(&self.incoming), r(&self.outgoing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traffic_stats_have_autobahns_sixteen_keys_and_ratios() {
        let t = Traffic {
            incoming: Flow {
                wire: 1_100,
                websocket: 1_000,
                app: 4_000,
                frames: 10,
                messages: 10,
                preopen: 129,
            },
            outgoing: Flow {
                preopen: 250,
                ..Flow::default()
            },
        };
        let v = t.to_json();
        let o = v.as_object().unwrap();
        assert_eq!(o.len(), 16);
        assert_eq!(o["incomingCompressionRatio"], json!(0.25));
        assert_eq!(o["incomingWebSocketOverhead"], json!(0.1));
        assert_eq!(o["incomingOctetsAppLevel"], json!(4_000));
        assert_eq!(o["outgoingCompressionRatio"], Value::Null);
        assert_eq!(o["outgoingWebSocketOverhead"], Value::Null);
        assert_eq!(o["preopenIncomingOctetsWireLevel"], json!(129));
        assert_eq!(o["preopenOutgoingOctetsWireLevel"], json!(250));
        let keys: Vec<&String> = o.keys().collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(
            keys, sorted,
            "sorted as Autobahn's json.dumps(sort_keys=True)"
        );
        assert_eq!(t.ratios_note(), "[0.250/-]");
    }
}
