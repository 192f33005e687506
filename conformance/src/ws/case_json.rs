//! A WebSocket case's per-case JSON: Autobahn's 39 keys (autobahn.md §9.3),
//! sorted, with Autobahn's encodings for events (§9.4) and wire-log rows (§9.6),
//! so tools written against Autobahn's `<agent>_case_<id>.json` read ours.
//!
//! Values we do not track get Autobahn's neutral values:
//! * `createStats`: `true` (the frame and octet statistics are always kept).
//! * `createWirelog`: whether wire logging was on at the end (a case may switch
//!   it off around bulk transfers with a `WLM` row), as Autobahn reports it.
//! * `reportCompressionRatio` is `true` for the compression cases (12.x, 13.x)
//!   and `trafficStats` their counters when every echo arrived
//!   ([`crate::ws::traffic`]); `false` and `null` otherwise, as there.
//! * `isServer`: whether wirecheck was the server (`false` when it tests a
//!   server as Autobahn's fuzzingclient does).
//! * In `TF` rows, `repeatLength` is `null` and the payload is the whole payload
//!   sent (the result model records payloads already repeated), and `sync` is
//!   `false` (the model records `sync` on `TO` rows only). In `RF` rows the mask
//!   is `null` (a server's frames are unmasked; the model keeps no key).

use serde_json::{Value, json};

use crate::pyjson::sorted_object;
use crate::ws::case::{Ev, Expected, ExpectedClose};
use crate::ws::result::{CaseResult, Logged, WireRow};

/// Autobahn's cut-off for payloads and octets in events and wire-log rows.
const MAX_LOG_DATA: usize = Logged::PREFIX;
/// Appended to what was cut.
const ELLIPSIS: &str = " ...";

/// Autobahn's `binLogData`: lower-case hex; when the data is longer than 60
/// bytes, the hex of the first 64 bytes followed by `" ..."`.
pub fn hex_log(data: &[u8]) -> String {
    hex_log_of(&Logged::of(data))
}

/// [`hex_log`] of what the wire log kept of some bytes.
pub fn hex_log_of(data: &Logged) -> String {
    let head = &data.head[..data.head.len().min(MAX_LOG_DATA)];
    if data.len > MAX_LOG_DATA - ELLIPSIS.len() {
        let mut s = hex(head);
        s.push_str(ELLIPSIS);
        s
    } else {
        hex(head)
    }
}

/// Autobahn's `asciiLogData`: the payload as UTF-8 text, cut to 64 bytes with
/// `" ..."` when longer than 60 bytes; or, when those bytes are not valid UTF-8
/// (a multi-byte character cut at byte 64 included), `"0x"` and [`hex_log`].
pub fn payload_log(data: &[u8]) -> String {
    payload_log_of(&Logged::of(data))
}

/// [`payload_log`] of what the wire log kept of a payload.
pub fn payload_log_of(data: &Logged) -> String {
    let cut = data.len > MAX_LOG_DATA - ELLIPSIS.len();
    let head = &data.head[..data.head.len().min(MAX_LOG_DATA)];
    match std::str::from_utf8(head) {
        Ok(text) if cut => format!("{text}{ELLIPSIS}"),
        Ok(text) => text.to_owned(),
        Err(_) => format!("0x{}", hex_log_of(data)),
    }
}

/// Lower-case hex.
pub fn hex(data: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(data.len() * 2);
    for b in data {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    s
}

/// An event as Autobahn writes it: `["message", payload, isBinary]`,
/// `["ping", payload]`, `["pong", payload]`, `["timeout", tag]`.
pub fn event(ev: &Ev) -> Value {
    match ev {
        Ev::Message { data, binary } => json!(["message", payload_log(data), binary]),
        Ev::Ping(p) => json!(["ping", payload_log(p)]),
        Ev::Pong(p) => json!(["pong", payload_log(p)]),
        Ev::Timeout(tag) => json!(["timeout", tag]),
    }
}

/// A list of events.
pub fn events(evs: &[Ev]) -> Value {
    Value::Array(evs.iter().map(event).collect())
}

/// `expected`: `{"NON-STRICT": [...], "OK": [...]}` (the alternative only when the case has one).
pub fn expected(exp: &Expected) -> Value {
    let mut pairs = vec![("OK".to_owned(), events(&exp.ok))];
    if let Some(ns) = &exp.non_strict {
        pairs.push(("NON-STRICT".to_owned(), events(ns)));
    }
    sorted_object(pairs)
}

/// `expectedClose`: `closeCode`, `closedByMe`, `requireClean`, and
/// `closedByWrongEndpointIsFatal` when the case sets it (Autobahn's UTF-8 cases).
pub fn expected_close(exp: &ExpectedClose) -> Value {
    let mut pairs = vec![
        ("closeCode".to_owned(), json!(exp.codes)),
        ("closedByMe".to_owned(), json!(exp.closed_by_me)),
        ("requireClean".to_owned(), json!(exp.require_clean)),
    ];
    if exp.closed_by_wrong_endpoint_is_fatal {
        pairs.push(("closedByWrongEndpointIsFatal".to_owned(), json!(true)));
    }
    sorted_object(pairs)
}

/// A timer delay in seconds: an integer when whole (Autobahn's cases call
/// `killAfter(1)`), otherwise a float (`0.5`).
fn delay(secs: f64) -> Value {
    if secs.fract() == 0.0 && secs.abs() < 1e15 {
        json!(secs as i64)
    } else {
        json!(secs)
    }
}

/// A wire-log row (autobahn.md §9.6).
pub fn wire_row(row: &WireRow) -> Value {
    match row {
        WireRow::Tx { bytes, sync } => json!(["TO", [bytes.len, hex_log_of(bytes)], sync]),
        WireRow::Rx(bytes) => json!(["RO", [bytes.len, hex_log_of(bytes)]]),
        WireRow::TxFrame {
            opcode,
            fin,
            rsv,
            mask,
            payload,
            chop,
        } => json!([
            "TF",
            [payload.len, payload_log_of(payload)],
            opcode,
            fin,
            rsv,
            mask.map(|m| hex(&m)),
            null,
            chop,
            false
        ]),
        WireRow::RxFrame {
            opcode,
            fin,
            rsv,
            masked,
            payload,
        } => json!([
            "RF",
            [payload.len, payload_log_of(payload)],
            opcode,
            fin,
            rsv,
            masked,
            null
        ]),
        WireRow::WaitArmed(secs, tag) => json!(["CT", delay(*secs), tag]),
        WireRow::WaitFired(tag) => json!(["CTE", tag]),
        WireRow::KillArmed(secs) => json!(["KL", delay(*secs)]),
        WireRow::KillFired => json!(["KLE"]),
        WireRow::CloseTimerArmed(secs) => json!(["TI", delay(*secs)]),
        WireRow::CloseTimerFired => json!(["TIE"]),
        WireRow::Logging(on) => json!(["WLM", on]),
    }
}

/// An integer-keyed statistics map (`{"1": 3, "8": 1}`), in numeric key order
/// as Python sorts `int` keys.
fn stats<K: ToString>(map: impl IntoIterator<Item = (K, u64)>) -> Value {
    Value::Object(
        map.into_iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect(),
    )
}

/// The per-case JSON of `r` run by `agent`, keys sorted as Autobahn writes them.
pub fn render(r: &CaseResult, agent: &str) -> Value {
    let c = &r.close;
    let create_wirelog = r
        .wirelog
        .iter()
        .rev()
        .find_map(|row| match row {
            WireRow::Logging(on) => Some(*on),
            _ => None,
        })
        .unwrap_or(true);
    let mut pairs: Vec<(&str, Value)> = vec![
        ("agent", json!(agent)),
        ("behavior", json!(r.behavior.as_str())),
        ("behaviorClose", json!(r.behavior_close.as_str())),
        ("case", json!(r.ordinal)),
        ("closedByMe", json!(c.closed_by_me)),
        ("createStats", json!(true)),
        ("createWirelog", json!(create_wirelog)),
        ("description", json!(r.description)),
        ("droppedByMe", json!(c.dropped_by_me)),
        ("duration", json!(r.duration_ms)),
        ("expectation", json!(r.expectation)),
        ("expected", expected(&r.expected)),
        ("expectedClose", expected_close(&r.expected_close)),
        ("failedByMe", json!(c.failed_by_me)),
        ("httpRequest", json!(r.http_request)),
        ("httpResponse", json!(r.http_response)),
        ("id", json!(r.id.to_string())),
        ("isServer", json!(c.is_server)),
        ("localCloseCode", json!(c.local_close_code)),
        ("localCloseReason", json!(c.local_close_reason)),
        ("received", events(&r.received)),
        ("remoteCloseCode", json!(c.remote_close_code)),
        ("remoteCloseReason", json!(c.remote_close_reason)),
        ("reportCompressionRatio", json!(r.report_compression_ratio)),
        ("reportTime", json!(r.report_time)),
        ("result", json!(r.result)),
        ("resultClose", json!(r.result_close)),
        (
            "rxFrameStats",
            stats(r.rx_frame_stats.iter().map(|(k, v)| (*k, *v))),
        ),
        (
            "rxOctetStats",
            stats(r.rx_octet_stats.iter().map(|(k, v)| (*k, *v))),
        ),
        ("started", json!(crate::core::iso8601_utc(r.started))),
        (
            "trafficStats",
            r.traffic.map_or(Value::Null, |t| t.to_json()),
        ),
        (
            "txFrameStats",
            stats(r.tx_frame_stats.iter().map(|(k, v)| (*k, *v))),
        ),
        (
            "txOctetStats",
            stats(r.tx_octet_stats.iter().map(|(k, v)| (*k, *v))),
        ),
        ("wasClean", json!(c.was_clean)),
        (
            "wasCloseHandshakeTimeout",
            json!(c.was_close_handshake_timeout),
        ),
        ("wasNotCleanReason", json!(c.was_not_clean_reason)),
        (
            "wasOpenHandshakeTimeout",
            json!(c.was_open_handshake_timeout),
        ),
        (
            "wasServerConnectionDropTimeout",
            json!(c.was_server_connection_drop_timeout),
        ),
        (
            "wirelog",
            Value::Array(r.wirelog.iter().map(wire_row).collect()),
        ),
    ];
    // Not Autobahn's, so only where it applies: the limits of wirecheck's own
    // this case hit (README "Limits"). A case that hit none keeps Autobahn's 39 keys.
    if !r.limits.is_empty() {
        pairs.push(("wirecheckLimits", json!(r.limits)));
    }
    sorted_object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_render_as_autobahn_does() {
        assert_eq!(payload_log(b""), "");
        assert_eq!(payload_log(b"Hello"), "Hello");
        assert_eq!(payload_log("κόσμε".as_bytes()), "κόσμε");
        assert_eq!(payload_log(&[0xce, 0xba, 0xe1]), "0xcebae1");
        // 60 bytes: whole; 61 bytes: Autobahn already appends " ..." (cut-off is len > 64 - 4).
        assert_eq!(payload_log(&[b'*'; 60]), "*".repeat(60));
        assert_eq!(payload_log(&[b'*'; 61]), format!("{} ...", "*".repeat(61)));
        assert_eq!(payload_log(&[b'*'; 125]), format!("{} ...", "*".repeat(64)));
        assert_eq!(
            payload_log(&[0xfe; 100]),
            format!("0x{} ...", "fe".repeat(64))
        );
        // A two-byte character cut at byte 64 makes the head invalid: hex.
        let mut cut = vec![b'a'; 63];
        cut.extend_from_slice("é".as_bytes());
        assert_eq!(payload_log(&cut), format!("0x{} ...", hex(&cut[..64])));
        assert_eq!(hex_log(&[0x88, 0x02, 0x03, 0xe8]), "880203e8");
    }

    #[test]
    fn expected_close_keys_are_sorted() {
        let v = expected_close(&ExpectedClose {
            closed_by_me: false,
            codes: vec![1007],
            require_clean: false,
            closed_by_wrong_endpoint_is_fatal: true,
        });
        assert_eq!(
            crate::pyjson::to_string(&v),
            "{\n   \"closeCode\": [\n      1007\n   ],\n   \"closedByMe\": false,\n   \
             \"closedByWrongEndpointIsFatal\": true,\n   \"requireClean\": false\n}"
        );
    }

    #[test]
    fn wire_rows_follow_autobahn() {
        assert_eq!(wire_row(&WireRow::KillArmed(1.0)), json!(["KL", 1]));
        assert_eq!(wire_row(&WireRow::KillArmed(0.5)), json!(["KL", 0.5]));
        assert_eq!(
            wire_row(&WireRow::WaitArmed(2.0, Some("A"))),
            json!(["CT", 2, "A"])
        );
        assert_eq!(wire_row(&WireRow::WaitFired(None)), json!(["CTE", null]));
        assert_eq!(
            wire_row(&WireRow::Rx(Logged::of(&[0x88, 0x02, 0x03, 0xea]))),
            json!(["RO", [4, "880203ea"]])
        );
        assert_eq!(
            wire_row(&WireRow::RxFrame {
                opcode: 8,
                fin: true,
                rsv: 0,
                masked: false,
                payload: Logged::of(&[0x03, 0xea]),
            }),
            json!(["RF", [2, "0x03ea"], 8, true, 0, false, null])
        );
        assert_eq!(
            wire_row(&WireRow::TxFrame {
                opcode: 1,
                fin: true,
                rsv: 0,
                mask: Some([1, 2, 3, 0xff]),
                payload: Logged::of(b"Hello"),
                chop: Some(1),
            }),
            json!(["TF", [5, "Hello"], 1, true, 0, "010203ff", null, 1, false])
        );
        assert_eq!(wire_row(&WireRow::Logging(false)), json!(["WLM", false]));
    }
}
