//! A case's detail page (`<agent>_case_<id>.html`, next to its JSON), rendered
//! from the per-case JSON ([`CaseReport::detail`]) so the page and the JSON
//! always agree: the verdicts with their reasons (no `behaviorClose` for a
//! protocol without one), description and expectation,
//! expected against received events, the closing behaviour, the opening
//! handshake, the wire statistics and the wire log as a table.
//!
//! The sections render the keys they know when present (Autobahn's per-case
//! keys); any other key is listed under "Other details", so an SSE case's JSON
//! renders too. Payloads are already cut to 64 bytes in the JSON; a wire log
//! longer than [`MAX_WIRELOG_ROWS`] shows its head and tail.

use std::fmt::Write as _;

use serde_json::Value;

use super::page::{anchor, behavior_class, close_class, esc, href, page_head};
use super::{CaseReport, Run};

/// The most wire-log rows a page shows (half from the start, half from the end).
pub const MAX_WIRELOG_ROWS: usize = 1000;

/// Autobahn's explanations of the closing-behaviour keys.
const CLOSE_KEYS: [(&str, &str); 13] = [
    (
        "isServer",
        "True if wirecheck is the server and the peer a client.",
    ),
    (
        "closedByMe",
        "True if wirecheck started the closing handshake (sent a Close first).",
    ),
    (
        "failedByMe",
        "True if wirecheck failed the connection (protocol error or timer), by a Close or by dropping TCP.",
    ),
    (
        "droppedByMe",
        "True if wirecheck dropped the TCP connection.",
    ),
    (
        "wasClean",
        "True if both Close frames were exchanged and the server dropped TCP (its duty).",
    ),
    ("wasNotCleanReason", "When not clean: what happened."),
    (
        "wasServerConnectionDropTimeout",
        "True if the server did not drop TCP in time after the closing handshake.",
    ),
    (
        "wasOpenHandshakeTimeout",
        "True if the opening handshake did not finish in time.",
    ),
    (
        "wasCloseHandshakeTimeout",
        "True if wirecheck started the closing handshake and the peer did not answer in time.",
    ),
    ("localCloseCode", "The close code wirecheck sent (if any)."),
    (
        "localCloseReason",
        "The close reason wirecheck sent (if any).",
    ),
    ("remoteCloseCode", "The close code the peer sent (if any)."),
    (
        "remoteCloseReason",
        "The close reason the peer sent (if any).",
    ),
];

/// Keys rendered by a section of their own (everything else goes to "Other details").
const SHOWN_KEYS: [&str; 26] = [
    "agent",
    "behavior",
    "behaviorClose",
    "case",
    "createStats",
    "createWirelog",
    "description",
    "duration",
    "expectation",
    "expected",
    "expectedClose",
    "httpRequest",
    "httpResponse",
    "id",
    "received",
    "reportCompressionRatio",
    "reportTime",
    "result",
    "resultClose",
    "rxFrameStats",
    "rxOctetStats",
    "started",
    "trafficStats",
    "txFrameStats",
    "txOctetStats",
    "wirelog",
];

/// A JSON value as plain text: strings as they are, everything else as JSON.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn opcode_name(op: u64) -> &'static str {
    match op {
        0 => "continuation",
        1 => "text",
        2 => "binary",
        8 => "close",
        9 => "ping",
        10 => "pong",
        _ => "reserved",
    }
}

/// A table of events (`["message", payload, isBinary]`, `["ping", payload]`, ...).
fn events_table(out: &mut String, title: &str, events: &Value) {
    let _ = write!(out, "<div class=\"block\"><h3>{}</h3>", esc(title));
    let list = events.as_array().map(Vec::as_slice).unwrap_or_default();
    if list.is_empty() {
        out.push_str("<p class=\"muted\">no events</p></div>\n");
        return;
    }
    /// A page stays readable when a server sent thousands of events: the rest
    /// are counted (the JSON has every event the run kept).
    const SHOWN: usize = 200;
    out.push_str("<table class=\"events\"><tr><th>#</th><th>Event</th><th>Payload</th></tr>");
    for (i, ev) in list.iter().enumerate().take(SHOWN) {
        let parts = ev.as_array().map(Vec::as_slice).unwrap_or_default();
        let kind = parts.first().map(text).unwrap_or_default();
        let kind = match (kind.as_str(), parts.get(2)) {
            ("message", Some(Value::Bool(true))) => "binary message".to_owned(),
            ("message", _) => "text message".to_owned(),
            _ => kind,
        };
        let payload = parts.get(1).map(text).unwrap_or_default();
        let _ = write!(
            out,
            "<tr><td>{i}</td><td>{}</td><td class=\"payload mono\">{}</td></tr>",
            esc(&kind),
            esc(&payload)
        );
    }
    if list.len() > SHOWN {
        let _ = write!(
            out,
            "<tr><td colspan=\"3\" class=\"muted\">... and {} more events (see this case's JSON)</td></tr>",
            list.len() - SHOWN
        );
    }
    out.push_str("</table></div>\n");
}

/// One wire-log row: its CSS class, what it is, and its data.
fn wire_row(row: &Value) -> (&'static str, String, String) {
    let parts = row.as_array().map(Vec::as_slice).unwrap_or_default();
    let at = |i: usize| parts.get(i).cloned().unwrap_or(Value::Null);
    let len_data = |v: Value| {
        let pair = v.as_array().cloned().unwrap_or_default();
        (
            pair.first().map(text).unwrap_or_default(),
            pair.get(1).map(text).unwrap_or_default(),
        )
    };
    let tag = |v: Value| match v {
        Value::Null => String::new(),
        v => format!(" for tag {}", text(&v)),
    };
    match parts.first().and_then(Value::as_str).unwrap_or("") {
        "TO" => {
            let (len, data) = len_data(at(1));
            let sync = at(2).as_bool().unwrap_or(false);
            let class = if sync { "tx-octets-sync" } else { "tx-octets" };
            let what = format!("TX OCTETS {len} bytes{}", if sync { ", sync" } else { "" });
            (class, what, data)
        }
        "RO" => {
            let (len, data) = len_data(at(1));
            ("rx-octets", format!("RX OCTETS {len} bytes"), data)
        }
        "TF" => {
            let (len, data) = len_data(at(1));
            let op = at(2).as_u64().unwrap_or(0);
            let chop = at(7);
            let sync = at(8).as_bool().unwrap_or(false);
            let class = if sync || !chop.is_null() {
                "tx-frame-sync"
            } else {
                "tx-frame"
            };
            let mut what = format!(
                "TX FRAME {} ({op}) FIN={} RSV={} LEN={len} MASK={}",
                opcode_name(op),
                text(&at(3)),
                text(&at(4)),
                text(&at(5)),
            );
            if !chop.is_null() {
                let _ = write!(what, " CHOP={}", text(&chop));
            }
            (class, what, data)
        }
        "RF" => {
            let (len, data) = len_data(at(1));
            let op = at(2).as_u64().unwrap_or(0);
            let what = format!(
                "RX FRAME {} ({op}) FIN={} RSV={} LEN={len} MASKED={}",
                opcode_name(op),
                text(&at(3)),
                text(&at(4)),
                text(&at(5)),
            );
            ("rx-frame", what, data)
        }
        "CT" => (
            "timer",
            format!("DELAY {} s{}", text(&at(1)), tag(at(2))),
            String::new(),
        ),
        "CTE" => ("timer", format!("DELAY FIRED{}", tag(at(1))), String::new()),
        "KL" => (
            "timer",
            format!("FAIL CONNECTION AFTER {} s", text(&at(1))),
            String::new(),
        ),
        "KLE" => ("timer", "FAILING CONNECTION".to_owned(), String::new()),
        "TI" => (
            "timer",
            format!("CLOSE CONNECTION AFTER {} s", text(&at(1))),
            String::new(),
        ),
        "TIE" => ("timer", "CLOSING CONNECTION".to_owned(), String::new()),
        "WLM" => {
            let on = at(1).as_bool().unwrap_or(true);
            let what = if on {
                "WIRE LOG ENABLED"
            } else {
                "WIRE LOG DISABLED"
            };
            ("timer", what.to_owned(), String::new())
        }
        _ => ("timer", row.to_string(), String::new()),
    }
}

fn wirelog(out: &mut String, rows: &[Value], dropped_by_me: Option<bool>) {
    out.push_str("<table class=\"wirelog mono\">");
    let skip = rows.len().saturating_sub(MAX_WIRELOG_ROWS);
    let head = if skip > 0 {
        MAX_WIRELOG_ROWS / 2
    } else {
        rows.len()
    };
    for (i, row) in rows.iter().enumerate() {
        if i >= head && i < head + skip {
            if i == head {
                let _ = write!(
                    out,
                    "<tr class=\"timer\"><td class=\"n\"></td><td class=\"what\">… {skip} rows \
                     not shown (see the JSON)</td><td></td></tr>"
                );
            }
            continue;
        }
        let (class, what, data) = wire_row(row);
        let _ = write!(
            out,
            "<tr class=\"{class}\"><td class=\"n\">{i:03}</td><td class=\"what\">{}</td>\
             <td class=\"data\">{}</td></tr>",
            esc(&what),
            esc(&data)
        );
    }
    match dropped_by_me {
        Some(true) => {
            let _ = write!(
                out,
                "<tr class=\"tcp-me\"><td class=\"n\">{:03}</td><td class=\"what\">TCP DROPPED \
                 BY WIRECHECK</td><td></td></tr>",
                rows.len()
            );
        }
        Some(false) => {
            let _ = write!(
                out,
                "<tr class=\"tcp-peer\"><td class=\"n\">{:03}</td><td class=\"what\">TCP \
                 DROPPED BY PEER</td><td></td></tr>",
                rows.len()
            );
        }
        None => {}
    }
    out.push_str("</table>\n");
}

fn stats_table(out: &mut String, title: &str, key_name: &str, stats: &Value, octets: bool) {
    let Some(map) = stats.as_object() else {
        return;
    };
    let _ = write!(
        out,
        "<div class=\"block\"><h3>{}</h3><table class=\"stats\"><tr><th>{}</th><th>Count</th>{}</tr>",
        esc(title),
        esc(key_name),
        if octets { "<th>Octets</th>" } else { "" }
    );
    let (mut total, mut total_octets) = (0u64, 0u64);
    for (k, v) in map {
        let n = v.as_u64().unwrap_or(0);
        total += n;
        let _ = write!(out, "<tr><td>{}</td><td>{n}</td>", esc(k));
        if octets {
            let size: u64 = k.parse().unwrap_or(0);
            total_octets += size * n;
            let _ = write!(out, "<td>{}</td>", size * n);
        }
        out.push_str("</tr>");
    }
    let _ = write!(out, "<tr><th>Total</th><th>{total}</th>");
    if octets {
        let _ = write!(out, "<th>{total_octets}</th>");
    }
    out.push_str("</tr></table></div>\n");
}

/// The text of a case's detail page.
pub fn render(run: &Run, case: &CaseReport, detail: &Value) -> String {
    let d = detail;
    let get = |k: &str| d.get(k).cloned().unwrap_or(Value::Null);
    let mut out = String::with_capacity(16 * 1024);
    page_head(
        &mut out,
        &format!(
            "wirecheck {}: case {} ({})",
            run.kind.as_str(),
            case.id,
            run.agent
        ),
    );
    let (class, label) = behavior_class(case.behavior);
    let started = d
        .get("started")
        .map(text)
        .unwrap_or_else(|| super::iso8601_utc(run.started));
    let _ = write!(
        out,
        "<p><a href=\"index.html#{}\">← all cases</a> · <a href=\"{}\">this case as JSON</a></p>\n\
         <div class=\"verdict {class}\"><b>Case {}</b> · {} · {label} · {} ms · started {}</div>\n",
        anchor(&case.id),
        href(&format!("{}.json", run.case_file_stem(&case.id))),
        esc(&case.id),
        esc(&run.agent),
        case.duration_ms,
        esc(&started),
    );

    let _ = write!(
        out,
        "<div class=\"block\"><h3>Description</h3>{}</div>\n\
         <div class=\"block\"><h3>Expectation</h3>{}</div>\n\
         <div class=\"block\"><h3>Outcome</h3><table class=\"kv\">\
         <tr><th>behavior</th><td class=\"{class}\">{}</td><td>{}</td></tr>",
        esc(&case.description),
        esc(&case.expectation),
        esc(case.behavior.as_str()),
        esc(&case.result),
    );
    // A protocol without a close verdict (SSE) has no behaviorClose row.
    if let Some(close) = &case.close {
        let (close_cls, _) = close_class(case);
        let _ = write!(
            out,
            "<tr><th>behaviorClose</th><td class=\"{close_cls}\">{}</td><td>{}</td></tr>",
            esc(close.behavior.as_str()),
            esc(&close.result),
        );
    }
    out.push_str("</table></div>\n");

    if d.get("expected").is_some() || d.get("received").is_some() {
        out.push_str("<h2>Events: expected and received</h2>\n<div class=\"grid\">\n");
        if let Some(Value::Object(expected)) = d.get("expected") {
            // OK first, then the alternative, whatever the key order on disk.
            let mut keys: Vec<&String> = expected.keys().collect();
            keys.sort_by_key(|k| (k.as_str() != "OK", k.as_str()));
            for k in keys {
                events_table(&mut out, &format!("Expected ({k})"), &expected[k]);
            }
        }
        if let Some(received) = d.get("received") {
            events_table(&mut out, "Received", received);
        }
        out.push_str("</div>\n");
    }

    if run.kind == super::Protocol::Proxy {
        proxy_sections(&mut out, d);
        out.push_str("</body>\n</html>\n");
        return out;
    }
    if run.kind == super::Protocol::Sse {
        if let Some(rule) = d.get("rule") {
            let _ = writeln!(
                out,
                "<div class=\"block\"><h3>Rule</h3>{}</div>",
                esc(&text(rule))
            );
        }
        if let Some(tl) = d.get("timeline") {
            super::timeline::render(&mut out, tl);
        }
        if let Some(Value::Array(observations)) = d.get("observations") {
            for o in observations {
                observation_section(&mut out, o);
            }
        }
        client_sections(&mut out, d);
        out.push_str("</body>\n</html>\n");
        return out;
    }

    out.push_str("<h2>Closing behaviour</h2>\n");
    if let Some(Value::Object(ec)) = d.get("expectedClose") {
        out.push_str("<div class=\"block\"><h3>Expected close</h3><table class=\"kv\">");
        for (k, v) in ec {
            let _ = write!(
                out,
                "<tr><th>{}</th><td>{}</td></tr>",
                esc(k),
                esc(&text(v))
            );
        }
        out.push_str("</table></div>\n");
    }
    out.push_str("<div class=\"block\"><h3>Observed</h3><table class=\"kv\">");
    for (key, help) in CLOSE_KEYS {
        if let Some(v) = d.get(key) {
            let _ = write!(
                out,
                "<tr><th>{key}</th><td class=\"mono\">{}</td><td class=\"help\">{help}</td></tr>",
                esc(&text(v))
            );
        }
    }
    out.push_str("</table></div>\n");

    let request = get("httpRequest");
    let response = get("httpResponse");
    if !request.is_null() || !response.is_null() {
        let _ = write!(
            out,
            "<h2>Opening handshake</h2>\n<pre class=\"http\">{}</pre>\n<pre class=\"http\">{}</pre>\n",
            esc(text(&request).trim()),
            esc(text(&response).trim()),
        );
    }

    let other: Vec<(&String, &Value)> = d
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| {
                    !SHOWN_KEYS.contains(&k.as_str()) && !CLOSE_KEYS.iter().any(|(ck, _)| ck == k)
                })
                .collect()
        })
        .unwrap_or_default();
    if !other.is_empty() {
        out.push_str("<h2>Other details</h2>\n<div class=\"block\"><table class=\"kv\">");
        for (k, v) in other {
            let _ = write!(
                out,
                "<tr><th>{}</th><td class=\"mono\">{}</td></tr>",
                esc(k),
                esc(&text(v))
            );
        }
        out.push_str("</table></div>\n");
    }

    if [
        "rxOctetStats",
        "txOctetStats",
        "rxFrameStats",
        "txFrameStats",
    ]
    .iter()
    .any(|k| d.get(*k).is_some())
    {
        out.push_str("<h2>Wire statistics</h2>\n<div class=\"grid\">\n");
        stats_table(
            &mut out,
            "Octets received by read size",
            "Size",
            &get("rxOctetStats"),
            true,
        );
        stats_table(
            &mut out,
            "Octets sent by write size",
            "Size",
            &get("txOctetStats"),
            true,
        );
        stats_table(
            &mut out,
            "Frames received by opcode",
            "Opcode",
            &get("rxFrameStats"),
            false,
        );
        stats_table(
            &mut out,
            "Frames sent by opcode",
            "Opcode",
            &get("txFrameStats"),
            false,
        );
        out.push_str("</div>\n");
    }

    if let Some(Value::Array(rows)) = d.get("wirelog") {
        out.push_str("<h2>Wire log</h2>\n");
        if d.get("createWirelog") == Some(&Value::Bool(false)) {
            out.push_str("<p class=\"muted\">Wire logging was switched off during the case.</p>\n");
        }
        wirelog(
            &mut out,
            rows,
            d.get("droppedByMe").and_then(Value::as_bool),
        );
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// One SSE observation: the request and response, what was read and when, the
/// first events and the producer-grammar findings.
/// An EventSource client case (`clients sse`): the client's requests and the
/// events it reported dispatching.
fn client_sections(out: &mut String, d: &Value) {
    if let Some(Value::Array(requests)) = d.get("requests") {
        out.push_str("<div class=\"block\"><h3>The client's requests</h3><table class=\"kv\"><tr><th>at (ms)</th><th>reply ended (ms)</th><th>Last-Event-ID</th><th>Accept</th></tr>");
        for r in requests {
            let _ = write!(
                out,
                "<tr><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td></tr>",
                esc(&text(&r["atMs"])),
                esc(&text(&r["endedMs"])),
                esc(&text(&r["lastEventId"])),
                esc(&text(&r["accept"]))
            );
        }
        out.push_str("</table></div>\n");
    }
    match d.get("reported") {
        Some(Value::Array(events)) => {
            out.push_str("<div class=\"block\"><h3>Events the client reported</h3><table class=\"kv\"><tr><th>type</th><th>data</th><th>lastEventId</th></tr>");
            for e in events {
                let _ = write!(
                    out,
                    "<tr><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td></tr>",
                    esc(&text(&e["type"])),
                    esc(&format!("{:?}", e["data"].as_str().unwrap_or_default())),
                    esc(&format!(
                        "{:?}",
                        e["lastEventId"].as_str().unwrap_or_default()
                    ))
                );
            }
            out.push_str("</table></div>\n");
        }
        Some(Value::Null) => {
            out.push_str(
                "<div class=\"block\"><h3>Events the client reported</h3>no report</div>\n",
            );
        }
        _ => {}
    }
}

/// A proxied connection: what it was, then each finding kept.
fn proxy_sections(out: &mut String, d: &Value) {
    out.push_str("<div class=\"block\"><table class=\"kv\">");
    for (k, label) in [
        ("conn", "connection"),
        ("peer", "client address"),
        ("kind", "traffic"),
        ("openedMs", "accepted at (ms)"),
        ("closedMs", "ended at (ms)"),
        ("bytesFromClient", "bytes from the client"),
        ("bytesFromServer", "bytes from the server"),
        ("findingsTotal", "findings"),
    ] {
        if let Some(v) = d.get(k).filter(|v| !v.is_null()) {
            let _ = write!(
                out,
                "<tr><th>{label}</th><td class=\"mono\">{}</td></tr>",
                esc(&text(v))
            );
        }
    }
    out.push_str("</table></div>\n");
    if let Some(Value::Array(findings)) = d
        .get("findings")
        .filter(|v| v.as_array().is_some_and(|a| !a.is_empty()))
    {
        out.push_str("<div class=\"block\"><h3>Findings</h3><table class=\"events\"><tr><th>ms</th><th>from</th><th>byte</th><th>rule</th><th>what</th></tr>");
        for f in findings {
            let field = |k: &str| f.get(k).map(text).unwrap_or_default();
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&field("t_ms")),
                esc(&field("from")),
                esc(&field("offset")),
                esc(&field("rule")),
                esc(&field("what")),
            );
        }
        out.push_str("</table></div>\n");
    }
}

fn observation_section(out: &mut String, o: &Value) {
    let field = |k: &str| o.get(k).map(text).unwrap_or_default();
    let _ = write!(
        out,
        "<h2>Observation: {}</h2>\n<div class=\"block\"><table class=\"kv\">",
        esc(&field("name"))
    );
    for (k, label) in [
        ("url", "URL"),
        ("headAtMs", "response head after (ms)"),
        ("framing", "body framing"),
        ("contentEncoding", "content coding"),
        ("wireBytes", "body bytes on the wire"),
        ("bodyBytes", "decoded body bytes"),
        ("reads", "reads with body bytes"),
        ("events", "events dispatched"),
        ("comments", "comments"),
        ("end", "how it ended"),
        ("endedAtMs", "ended after (ms)"),
    ] {
        if let Some(v) = o.get(k).filter(|v| !v.is_null()) {
            let _ = write!(
                out,
                "<tr><th>{label}</th><td class=\"mono\">{}</td></tr>",
                esc(&text(v))
            );
        }
    }
    out.push_str("</table></div>\n");
    let _ = write!(
        out,
        "<pre class=\"http\">{}</pre>\n<pre class=\"http\">{}</pre>\n",
        esc(field("request").trim()),
        esc(field("response").trim()),
    );
    if let Some(Value::Array(events)) = o
        .get("firstEvents")
        .filter(|v| v.as_array().is_some_and(|a| !a.is_empty()))
    {
        out.push_str("<div class=\"block\"><h3>First events</h3><table class=\"events\"><tr><th>ms</th><th>type</th><th>id</th><th>data</th></tr>");
        for e in events {
            let f = |k: &str| e.get(k).map(text).unwrap_or_default();
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td></tr>",
                esc(&f("atMs")),
                esc(&f("type")),
                esc(&f("id")),
                esc(&f("data"))
            );
        }
        out.push_str("</table></div>\n");
    }
    if let Some(Value::Array(findings)) = o
        .get("findings")
        .filter(|v| v.as_array().is_some_and(|a| !a.is_empty()))
    {
        out.push_str("<div class=\"block\"><h3>Stream format findings</h3><table class=\"events\"><tr><th>line</th><th>byte</th><th>finding</th><th>detail</th></tr>");
        for f in findings {
            let g = |k: &str| f.get(k).map(text).unwrap_or_default();
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"mono\">{}</td></tr>",
                esc(&g("line")),
                esc(&g("offset")),
                esc(&g("rule")),
                esc(&g("detail"))
            );
        }
        out.push_str("</table></div>\n");
    }
    let body = field("bodyStart");
    if !body.is_empty() {
        let _ = writeln!(
            out,
            "<div class=\"block\"><h3>Start of the body (decoded)</h3><pre class=\"http\">{}</pre></div>",
            esc(&body)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_of_events_shows_the_first_ones_and_counts_the_rest() {
        let events = Value::Array(vec![serde_json::json!(["message", "flood", false]); 5000]);
        let mut out = String::new();
        events_table(&mut out, "Received", &events);
        assert_eq!(out.matches("<tr><td>").count(), 200);
        assert!(out.contains("... and 4800 more events"), "{out}");
    }
}
