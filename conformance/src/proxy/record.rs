//! What the proxy keeps of each connection for `--report-dir`: one "case" per
//! connection in the usual reports (`index.json`, `index.html`, `junit.xml`,
//! a page each), FAILED when it broke a rule, with its findings.
//!
//! Bounded: a connection keeps at most [`MAX_FINDINGS`] findings (every one is
//! still printed and counted; the page says how many were not kept).

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use super::watch::Kind;
use super::{Finding, Side};
use crate::core::{Behavior, CaseId, CaseReport, Detail, Protocol, Run};

/// The most findings a connection keeps for its report.
pub const MAX_FINDINGS: usize = 100;

/// One connection, as far as it went.
#[derive(Debug, Clone)]
pub struct ConnRecord {
    /// Its number.
    pub conn: u64,
    /// The client's address.
    pub peer: String,
    /// What it carried.
    pub kind: Kind,
    /// When it was accepted and when it ended (ms since the proxy started).
    pub opened_ms: u64,
    /// `None` while it is open.
    pub closed_ms: Option<u64>,
    /// Bytes from the client and from the server.
    pub bytes: [u64; 2],
    /// Its upstream could not be reached.
    pub unreachable: bool,
    /// The findings kept, and how many there were.
    pub findings: Vec<Finding>,
    /// Every finding, kept or not.
    pub found: u64,
}

impl ConnRecord {
    /// A connection accepted at `opened_ms` from `peer`.
    pub fn new(conn: u64, peer: String, opened_ms: u64) -> ConnRecord {
        ConnRecord {
            conn,
            peer,
            kind: Kind::Http,
            opened_ms,
            closed_ms: None,
            bytes: [0, 0],
            unreachable: false,
            findings: Vec::new(),
            found: 0,
        }
    }

    /// Count bytes from `side`.
    pub fn add_bytes(&mut self, side: Side, n: u64) {
        self.bytes[usize::from(side == Side::Server)] += n;
    }

    /// Keep a finding (up to [`MAX_FINDINGS`]).
    pub fn add_finding(&mut self, f: &Finding) {
        self.found += 1;
        if self.findings.len() < MAX_FINDINGS {
            self.findings.push(f.clone());
        }
    }

    fn kind_name(&self) -> &'static str {
        match self.kind {
            Kind::WebSocket => "WebSocket",
            Kind::EventStream => "event stream",
            Kind::Http => "HTTP",
        }
    }

    /// The connection as a case of the report, `now_ms` closing one still open.
    pub fn to_case(&self, now_ms: u64) -> CaseReport {
        let id = format!("P.{}", self.conn);
        let closed = self.closed_ms.unwrap_or(now_ms);
        let (behavior, result) = if self.unreachable {
            (
                Behavior::Failed,
                "the upstream could not be reached".to_owned(),
            )
        } else if let Some(first) = self.findings.first() {
            (
                Behavior::Failed,
                format!(
                    "{} finding(s); first: {} at byte {}: {} ({})",
                    self.found, first.from, first.offset, first.what, first.rule
                ),
            )
        } else {
            (
                Behavior::Ok,
                format!(
                    "no violation in {} bytes from the client and {} from the server",
                    self.bytes[0], self.bytes[1]
                ),
            )
        };
        let detail = json!({
            "conn": self.conn,
            "peer": self.peer,
            "kind": self.kind_name(),
            "openedMs": self.opened_ms,
            "closedMs": self.closed_ms,
            "bytesFromClient": self.bytes[0],
            "bytesFromServer": self.bytes[1],
            "findingsTotal": self.found,
            "findings": self.findings.iter().map(|f| json!({
                "t_ms": f.t_ms, "from": f.from.as_str(), "offset": f.offset,
                "rule": f.rule, "what": f.what,
            })).collect::<Vec<Value>>(),
        });
        CaseReport {
            sort_key: CaseId::parse(&id).unwrap_or_else(|| CaseId::parse("P").expect("an id")),
            id,
            category: "P".to_owned(),
            category_name: "Proxied connections".to_owned(),
            description: format!(
                "connection {} from {} ({})",
                self.conn,
                self.peer,
                self.kind_name()
            ),
            expectation: "Both directions follow the protocol's rules".to_owned(),
            behavior,
            result,
            close: None,
            duration_ms: closed.saturating_sub(self.opened_ms),
            report_time: false,
            compression: None,
            remote_close_code: None,
            // The proxy relays HTTP/1.1.
            http: Some("1.1"),
            limits: Vec::new(),
            detail: Detail::value(detail),
        }
    }
}

/// The run's report: every connection a case.
pub fn run_report(records: &[ConnRecord], started: SystemTime, wall: Duration, now_ms: u64) -> Run {
    let mut cases: Vec<CaseReport> = records.iter().map(|r| r.to_case(now_ms)).collect();
    cases.sort_by(|a, b| a.sort_key.cmp(&b.sort_key));
    Run {
        agent: "wirecheck-proxy".to_owned(),
        kind: Protocol::Proxy,
        client: false,
        started,
        wall_time: wall,
        strict: false,
        cases,
    }
}
