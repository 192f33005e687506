//! What the proxy prints: each finding as it happens, one JSON object per line
//! on stdout (`--format jsonl`) or one line for people (`--format text`), and
//! at the end a summary on stderr (stdout stays parseable JSON Lines).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::json;

use super::Finding;

/// How findings are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line.
    Jsonl,
    /// One line for people.
    Text,
}

/// One finding, as a line (without the newline).
pub fn line(f: &Finding, format: Format) -> String {
    match format {
        Format::Jsonl => json!({
            "t_ms": f.t_ms,
            "conn": f.conn,
            "from": f.from.as_str(),
            "rule": f.rule,
            "what": f.what,
            "offset": f.offset,
        })
        .to_string(),
        Format::Text => format!(
            "{:>8.3} s  conn {}  {} at byte {}: {} ({})",
            f.t_ms as f64 / 1000.0,
            f.conn,
            f.from,
            f.offset,
            f.what,
            f.rule
        ),
    }
}

/// What the whole run saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Connections accepted.
    pub connections: u64,
    /// Of them, WebSocket connections and event streams.
    pub websockets: u64,
    /// Event streams.
    pub event_streams: u64,
    /// Bytes from clients and from servers.
    pub bytes_from_clients: u64,
    /// Bytes from servers.
    pub bytes_from_servers: u64,
    /// Findings by rule.
    pub by_rule: BTreeMap<String, u64>,
    /// Connections whose upstream could not be reached.
    pub unreachable: u64,
    /// Connections left out of the report (over its limit).
    pub not_reported: u64,
    /// The report written, if any.
    pub report: Option<std::path::PathBuf>,
}

impl Summary {
    /// Count a finding.
    pub fn count(&mut self, f: &Finding) {
        *self.by_rule.entry(f.rule.clone()).or_default() += 1;
    }

    /// Every finding counted.
    pub fn findings(&self) -> u64 {
        self.by_rule.values().sum()
    }

    /// The summary for people.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "wirecheck proxy: {} connections ({} WebSocket, {} event streams, {} upstream unreachable), {} bytes from clients, {} from servers",
            self.connections,
            self.websockets,
            self.event_streams,
            self.unreachable,
            self.bytes_from_clients,
            self.bytes_from_servers
        );
        if let Some(r) = &self.report {
            let _ = writeln!(s, "report: {}", r.display());
        }
        if self.not_reported > 0 {
            let _ = writeln!(
                s,
                "{} connections over the report's limit were not reported",
                self.not_reported
            );
        }
        if self.by_rule.is_empty() {
            s.push_str("no violations\n");
        } else {
            let _ = writeln!(s, "{} findings:", self.findings());
            for (rule, n) in &self.by_rule {
                let _ = writeln!(s, "  {n:>6}  {rule}");
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::super::Side;
    use super::*;

    #[test]
    fn a_finding_is_one_json_object_with_the_six_keys() {
        let f = Finding {
            t_ms: 12,
            conn: 3,
            from: Side::Client,
            rule: "RFC 6455 §5.1".to_owned(),
            what: "unmasked \"frame\"".to_owned(),
            offset: 200,
        };
        let l = line(&f, Format::Jsonl);
        assert!(!l.contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&l).unwrap();
        assert_eq!(v["from"], "client");
        assert_eq!(v["offset"], 200);
        assert_eq!(v.as_object().unwrap().len(), 6);
        let t = line(&f, Format::Text);
        assert!(t.contains("conn 3") && t.contains("RFC 6455 §5.1"), "{t}");
        let mut s = Summary::default();
        s.count(&f);
        s.count(&f);
        assert!(
            s.render().contains("     2  RFC 6455 §5.1"),
            "{}",
            s.render()
        );
    }
}
