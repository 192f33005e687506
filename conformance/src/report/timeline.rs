//! The timeline of an SSE stream on a liveness case's page: one bar per read
//! (its height the events it completed), drawn as inline SVG from the case
//! JSON's `timeline` key, so the page needs no script or external asset.
//!
//! A liveness verdict rests on when bytes arrived; the chart lets a reader see
//! it at a glance: a long flat stretch is a silence (shaded red past the
//! heartbeat threshold), a tall bar after one is a burst of events that were
//! held back (shaded orange), and the table under it lists each read.

use std::fmt::Write as _;

use serde_json::Value;

use super::page::esc;

/// The chart's size in CSS pixels, and its plot margins.
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 150.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 24.0;

/// Seconds with one decimal.
fn s(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

/// One row of the timeline: `[atMs, bytes, events, silenceMs]`.
fn row(v: &Value) -> Option<[u64; 4]> {
    let a = v.as_array()?;
    let n = |i: usize| a.get(i).and_then(Value::as_u64);
    Some([n(0)?, n(1)?, n(2)?, n(3)?])
}

/// Render the timeline `tl` (the case JSON's `timeline`) as a titled block.
pub fn render(out: &mut String, tl: &Value) {
    let num = |k: &str| tl.get(k).and_then(Value::as_u64);
    let rows: Vec<[u64; 4]> = tl
        .get("reads")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(row).collect())
        .unwrap_or_default();
    let end = num("endedAtMs").unwrap_or(0).max(1);
    let heartbeat = num("heartbeatMs").unwrap_or(u64::MAX);
    let stall = num("stallMs").unwrap_or(u64::MAX);
    // The judge's burst size, as the case JSON carries it (never shaded without it).
    let burst = num("burstEvents").unwrap_or(u64::MAX);
    let most = rows.iter().map(|r| r[2]).max().unwrap_or(0).max(1);
    let (pw, ph) = (WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    let x = |ms: u64| LEFT + (ms.min(end) as f64 / end as f64) * pw;
    let base = TOP + ph;

    out.push_str("<div class=\"block\"><h3>Timeline of the stream</h3>\n");
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
         viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"reads of the stream over time\" \
         style=\"max-width:100%;font:11px sans-serif\">"
    );
    // Silences first, under the bars.
    for r in &rows {
        let [at, _, events, silence] = *r;
        let colour = if silence > heartbeat {
            "#f5c6cb"
        } else if silence >= stall && events >= burst {
            "#ffe0b2"
        } else {
            continue;
        };
        let (x0, x1) = (x(at.saturating_sub(silence)), x(at));
        let _ = write!(
            out,
            "<rect x=\"{x0:.1}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{ph}\" fill=\"{colour}\"><title>silent for {}</title></rect>",
            (x1 - x0).max(1.0),
            s(silence)
        );
    }
    if let Some(head) = num("headAtMs") {
        let hx = x(head);
        let _ = write!(
            out,
            "<line x1=\"{hx:.1}\" y1=\"{TOP}\" x2=\"{hx:.1}\" y2=\"{base}\" stroke=\"#888\" stroke-dasharray=\"3,3\"><title>response head at {}</title></line>",
            s(head)
        );
    }
    for r in &rows {
        let [at, bytes, events, silence] = *r;
        let (h, colour) = if events == 0 {
            (4.0, "#999")
        } else {
            ((events as f64 / most as f64 * ph).max(3.0), "#1565c0")
        };
        let _ = write!(
            out,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"2\" height=\"{h:.1}\" fill=\"{colour}\"><title>{}: {events} events, {bytes} bytes, after {} of silence</title></rect>",
            x(at) - 1.0,
            base - h,
            s(at),
            s(silence)
        );
    }
    let _ = writeln!(
        out,
        "<line x1=\"{LEFT}\" y1=\"{base}\" x2=\"{:.1}\" y2=\"{base}\" stroke=\"#333\"/>\
         <text x=\"{LEFT}\" y=\"{:.1}\">0 s</text>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{most}</text>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">events</text></svg>",
        WIDTH - RIGHT,
        base + 16.0,
        WIDTH - RIGHT,
        base + 16.0,
        s(end),
        LEFT - 6.0,
        TOP + 10.0,
        LEFT - 6.0,
        TOP + 22.0,
    );
    let _ = writeln!(
        out,
        "<p class=\"muted\">One bar per read{}: its height is the events it completed (grey: bytes but no complete event). \
         The dashed line is the response head. Shaded: a silence longer than the {} heartbeat (red), \
         a silence of {} or more that ended in a burst of {} or more events (orange).</p>",
        num("sliceMs").map_or(String::new(), |w| format!(
            " (reads summed per {} ms slice)",
            w
        )),
        s(heartbeat.min(u64::MAX / 2)),
        s(stall.min(u64::MAX / 2)),
        burst,
    );
    out.push_str("<details><summary>Reads</summary><table class=\"events\"><tr><th>at</th><th>silence before</th><th>bytes</th><th>events</th></tr>");
    for r in &rows {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&s(r[0])),
            esc(&s(r[3])),
            r[1],
            r[2]
        );
    }
    out.push_str("</table></details></div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_burst_after_a_silence_is_shaded_and_every_read_is_a_bar() {
        let tl = json!({
            "headAtMs": 5, "endedAtMs": 20_000, "heartbeatMs": 15_000, "stallMs": 1000, "burstEvents": 3,
            "sliceMs": null,
            "reads": [[10, 20, 0, 5], [14_010, 4200, 70, 14_000], [14_110, 60, 1, 100]],
        });
        let mut out = String::new();
        render(&mut out, &tl);
        assert_eq!(out.matches("fill=\"#1565c0\"").count(), 2, "{out}");
        assert_eq!(out.matches("fill=\"#999\"").count(), 1);
        assert_eq!(out.matches("fill=\"#ffe0b2\"").count(), 1, "the burst");
        assert!(!out.contains("#f5c6cb"), "14 s is under the 15 s heartbeat");
        assert!(out.contains("14.0 s: 70 events, 4200 bytes, after 14.0 s of silence"));
        assert_eq!(out.matches("<tr><td>").count(), 3);
    }
}
