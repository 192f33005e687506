//! What one case run produced: verdicts with their one-line reasons, the close
//! details Autobahn reports, the events received and the wire log. This is the
//! input of every report (index.json, per-case JSON, HTML, JUnit, text summary).

use std::collections::BTreeMap;
use std::time::SystemTime;

use super::case::{Case, CaseId, Ev, Expected, ExpectedClose, Scoring};
use super::traffic::Traffic;
use crate::core::{Behavior, BehaviorClose};

/// Bytes as the wire log keeps them: how many there were, and the first
/// [`Logged::PREFIX`] of them. A report shows no more (Autobahn cuts logged
/// payloads and octets to 64 bytes), so a row never holds a whole 16 MiB
/// message, and what a row costs is bounded whatever the server sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    /// How many bytes there were.
    pub len: usize,
    /// The first [`Logged::PREFIX`] of them (all of them when fewer).
    pub head: Vec<u8>,
}

impl Logged {
    /// The bytes of a payload a report shows (Autobahn's 64).
    pub const PREFIX: usize = 64;

    /// What the wire log keeps of `bytes`.
    pub fn of(bytes: &[u8]) -> Logged {
        Logged {
            len: bytes.len(),
            head: bytes[..bytes.len().min(Self::PREFIX)].to_vec(),
        }
    }
}

/// One row of the wire log (Autobahn §9.6), in the order things happened.
#[derive(Debug, Clone, PartialEq)]
pub enum WireRow {
    /// Octets transmitted (`TO`): the bytes, and whether they were a write of their own.
    Tx {
        /// The bytes (their length and a prefix).
        bytes: Logged,
        /// Written on their own (frame-wise or chopped).
        sync: bool,
    },
    /// Octets received (`RO`).
    Rx(Logged),
    /// A frame transmitted (`TF`).
    TxFrame {
        /// Opcode.
        opcode: u8,
        /// FIN.
        fin: bool,
        /// RSV bits.
        rsv: u8,
        /// The masking key.
        mask: Option<[u8; 4]>,
        /// The payload (unmasked).
        payload: Logged,
        /// The chop size, if chopped.
        chop: Option<usize>,
    },
    /// A frame received (`RF`).
    RxFrame {
        /// Opcode.
        opcode: u8,
        /// FIN.
        fin: bool,
        /// RSV bits.
        rsv: u8,
        /// Whether it was masked.
        masked: bool,
        /// The payload.
        payload: Logged,
    },
    /// A `continueLater` armed (`CT`), with its delay in seconds and tag.
    WaitArmed(f64, Option<&'static str>),
    /// A `continueLater` fired (`CTE`).
    WaitFired(Option<&'static str>),
    /// `killAfter` armed (`KL`).
    KillArmed(f64),
    /// `killAfter` fired (`KLE`).
    KillFired,
    /// `closeAfter` armed (`TI`).
    CloseTimerArmed(f64),
    /// `closeAfter` fired (`TIE`).
    CloseTimerFired,
    /// Wire logging switched on or off (`WLM`), as the 9.x cases do around bulk transfers.
    Logging(bool),
}

impl WireRow {
    /// The payload bytes the row holds (what keeping it costs, besides the row).
    pub fn kept_bytes(&self) -> usize {
        match self {
            WireRow::Tx { bytes, .. } | WireRow::Rx(bytes) => bytes.head.len(),
            WireRow::TxFrame { payload, .. } | WireRow::RxFrame { payload, .. } => {
                payload.head.len()
            }
            _ => 0,
        }
    }
}

/// How the connection ended, as the close verdict needs it (Autobahn's protocol flags).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CloseInfo {
    /// The opening handshake completed.
    pub was_open: bool,
    /// wirecheck was the server (Autobahn's fuzzingserver, testing a client);
    /// `false` when it was the client (the fuzzingclient, testing a server).
    pub is_server: bool,
    /// The fuzzer sent the first Close (or failed the connection).
    pub closed_by_me: bool,
    /// The fuzzer failed the connection (protocol violation by the peer, or `killAfter`).
    pub failed_by_me: bool,
    /// The fuzzer dropped the TCP connection itself.
    pub dropped_by_me: bool,
    /// ... because the case's script said so ([`super::case::Step::Drop`]),
    /// not because the peer kept it open.
    pub dropped_on_purpose: bool,
    /// Both Close frames were exchanged and the server closed TCP in time.
    pub was_clean: bool,
    /// Why it was not clean.
    pub was_not_clean_reason: Option<String>,
    /// The fuzzer's Close got no answer within the close-handshake timeout.
    pub was_close_handshake_timeout: bool,
    /// The opening handshake did not complete within its timeout.
    pub was_open_handshake_timeout: bool,
    /// The server did not drop TCP within its timeout after the close handshake.
    pub was_server_connection_drop_timeout: bool,
    /// The peer's close code, if its Close had one.
    pub remote_close_code: Option<u16>,
    /// The peer's close reason.
    pub remote_close_reason: Option<String>,
    /// The fuzzer's close code.
    pub local_close_code: Option<u16>,
    /// The fuzzer's close reason.
    pub local_close_reason: Option<String>,
    /// The first rule of RFC 6455 the peer broke, when wirecheck failed the
    /// connection for it (an invalid frame, an invalid close code, bad text).
    pub peer_violation: Option<String>,
    /// When the case holds TCP open after the close handshake (C.4.1): how
    /// long the client took to close it first, in milliseconds (`None`: it
    /// waited, and wirecheck closed).
    pub peer_drop_ms: Option<u64>,
}

/// The most of an opening request a result keeps for the reports: wirecheck's
/// S.2 cases send heads of up to 1 MiB, which would otherwise be copied into
/// two report files each.
pub const MAX_KEPT_REQUEST: usize = 16 * 1024;

/// An opening request as the reports show it: its first
/// [`MAX_KEPT_REQUEST`] bytes, and how many more there were.
pub fn kept_request(bytes: &[u8]) -> String {
    if bytes.len() <= MAX_KEPT_REQUEST {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    format!(
        "{}\n[... {} more bytes sent, not kept]",
        String::from_utf8_lossy(&bytes[..MAX_KEPT_REQUEST]),
        bytes.len() - MAX_KEPT_REQUEST
    )
}

/// Everything one case run produced.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// The case id.
    pub id: CaseId,
    /// Its 1-based position in the selected, sorted list.
    pub ordinal: usize,
    /// Its description.
    pub description: String,
    /// Its expectation.
    pub expectation: String,
    /// The `behavior` verdict.
    pub behavior: Behavior,
    /// One line: why (what was expected, what was received).
    pub result: String,
    /// The `behaviorClose` verdict.
    pub behavior_close: BehaviorClose,
    /// One line: why.
    pub result_close: String,
    /// Milliseconds from the open connection to the TCP close (Autobahn's `duration`).
    pub duration_ms: u64,
    /// When the case started.
    pub started: SystemTime,
    /// The expected events.
    pub expected: Expected,
    /// The expected close.
    pub expected_close: ExpectedClose,
    /// The events received.
    pub received: Vec<Ev>,
    /// How the connection ended.
    pub close: CloseInfo,
    /// The opening handshake request as sent.
    pub http_request: String,
    /// The response head as received (empty if none).
    pub http_response: String,
    /// The server was reached without an answer to judge (slowloris: TCP
    /// connected, then the server closed or waited).
    pub reached: bool,
    /// The wire log.
    pub wirelog: Vec<WireRow>,
    /// Frames received per opcode.
    pub rx_frame_stats: BTreeMap<u8, u64>,
    /// Frames sent per opcode.
    pub tx_frame_stats: BTreeMap<u8, u64>,
    /// Reads per size.
    pub rx_octet_stats: BTreeMap<usize, u64>,
    /// Writes per size.
    pub tx_octet_stats: BTreeMap<usize, u64>,
    /// Whether the duration is the point of the case.
    pub report_time: bool,
    /// Whether the case reports compression ratios (Autobahn's
    /// `reportCompressionRatio`: the compression cases 12.x, 13.x).
    pub report_compression_ratio: bool,
    /// What moved at each level, for a compression case that received every
    /// echo (Autobahn's `trafficStats`; `None` otherwise).
    pub traffic: Option<Traffic>,
    /// The limits of wirecheck's own this case hit (README "Limits"), one line each.
    pub limits: Vec<String>,
}

impl CaseResult {
    /// The result of `case` (at `ordinal` in the run) before anything happened:
    /// FAILED on both counts, nothing received, nothing logged.
    pub fn unrun(case: &Case, ordinal: usize) -> CaseResult {
        CaseResult {
            id: case.id.clone(),
            ordinal,
            description: case.description.clone(),
            expectation: case.expectation.clone(),
            behavior: Behavior::Failed,
            result: String::new(),
            behavior_close: BehaviorClose::Failed,
            result_close: String::new(),
            duration_ms: 0,
            started: SystemTime::now(),
            expected: case.expected.clone(),
            expected_close: case.expected_close.clone(),
            received: Vec::new(),
            close: CloseInfo::default(),
            http_request: String::new(),
            http_response: String::new(),
            reached: false,
            wirelog: Vec::new(),
            rx_frame_stats: BTreeMap::new(),
            tx_frame_stats: BTreeMap::new(),
            rx_octet_stats: BTreeMap::new(),
            tx_octet_stats: BTreeMap::new(),
            report_time: case.report_time,
            report_compression_ratio: matches!(case.scoring, Scoring::Deflate(_)),
            traffic: None,
            limits: Vec::new(),
        }
    }
}
