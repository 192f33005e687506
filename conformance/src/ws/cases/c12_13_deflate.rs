//! Categories 12 and 13, WebSocket Compression (216 cases): RFC 7692
//! permessage-deflate on top of RFC 6455 §9 (extensions, negotiated in the
//! opening handshake; §5.2: RSV1 marks a compressed message once negotiated).
//!
//! Each case offers permessage-deflate, then sends 1000 messages one at a time,
//! each after the echo of the previous one; a message is the next `size`-byte
//! window of a data set, wrapping around at its end (for the UTF-8 data sets the
//! window counts characters, not bytes), sent in frames of at most `autofrag`
//! bytes (0: one frame). OK when every echo arrives before the timeout with the
//! type, length and SHA-1 digest sent.
//!
//! * 12.1-12.5: the five data sets, with the default offer.
//! * 13.1-13.7: the JSON data set, with seven different offers.
//!
//! This runner does not offer the extension yet, so the cases are listed with
//! their parameters and no script: they score UNIMPLEMENTED (the fuzzer closes
//! with 1000 at once, as Autobahn does when the extension is not negotiated).
//! The tables are kept as data for the RFC 7692 work.

use crate::ws::case::{Case, ExpectedClose, Scoring};

/// A data set the messages are cut from (a file shipped with Autobahn).
pub(super) struct DataSet {
    /// What it is.
    pub(super) what: &'static str,
    /// Its file name in Autobahn's `testdata/`.
    pub(super) file: &'static str,
    /// Sent as binary messages (true) or as UTF-8 text (false); Faust is plain
    /// text but sent as binary.
    pub(super) binary: bool,
    /// Its size in bytes.
    pub(super) len: usize,
}

/// The data sets of 12.1-12.5, in subcategory order.
pub(super) const DATA_SETS: [DataSet; 5] = [
    DataSet {
        what: "a large JSON file",
        file: "data1.json",
        binary: false,
        len: 194_056,
    },
    DataSet {
        what: "a 512x512 black-and-white bitmap picture (Lena)",
        file: "lena512.bmp",
        binary: true,
        len: 263_222,
    },
    DataSet {
        what: "German prose, Goethe's Faust I (Project Gutenberg)",
        file: "pg2229.txt",
        binary: true,
        len: 222_218,
    },
    DataSet {
        what: "a large HTML file",
        file: "data1.html",
        binary: false,
        len: 263_647,
    },
    DataSet {
        what: "a larger PDF document",
        file: "10.1.1.105.5439.pdf",
        binary: true,
        len: 1_042_328,
    },
];

/// One row of every subcategory (cases x.y.1-x.y.18).
#[derive(Debug, Clone, Copy)]
pub(super) struct Row {
    /// The size of each message (bytes, or characters for UTF-8 data sets).
    pub(super) size: usize,
    /// How many messages, one at a time.
    pub(super) count: usize,
    /// The case timeout in seconds (Autobahn's `closeAfter`).
    pub(super) timeout_secs: u64,
    /// The largest frame payload when sending (0: each message in one frame).
    pub(super) autofrag: usize,
}

const fn row(size: usize, timeout_secs: u64, autofrag: usize) -> Row {
    Row {
        size,
        count: 1000,
        timeout_secs,
        autofrag,
    }
}

/// The 18 rows, in case order.
pub(super) const ROWS: [Row; 18] = [
    row(16, 60, 0),
    row(64, 60, 0),
    row(256, 120, 0),
    row(1024, 240, 0),
    row(4096, 480, 0),
    row(8192, 480, 0),
    row(16384, 480, 0),
    row(32768, 480, 0),
    row(65536, 480, 0),
    row(131072, 480, 0),
    row(8192, 480, 256),
    row(16384, 480, 256),
    row(32768, 480, 256),
    row(65536, 480, 256),
    row(131072, 480, 256),
    row(131072, 480, 1024),
    row(131072, 480, 4096),
    row(131072, 480, 32768),
];

/// One permessage-deflate offer of 13.x: whether it asks the server not to take
/// over its compression context, and the server window bits it asks for (0: not
/// asked). Every offer also allows the server to ask for client no context
/// takeover and client window bits (`client_no_context_takeover;
/// client_max_window_bits`).
pub(super) type Offer = (bool, u8);

/// The offers of 13.1-13.7 (13.7 makes three, in order of preference).
pub(super) const OFFERS: [&[Offer]; 7] = [
    &[(false, 0)],
    &[(true, 0)],
    &[(false, 9)],
    &[(false, 15)],
    &[(true, 9)],
    &[(true, 15)],
    &[(true, 9), (true, 0), (false, 0)],
];

/// The `Sec-WebSocket-Extensions` value the offers make (RFC 7692 §7.1).
pub(super) fn offer_header(offers: &[Offer]) -> String {
    offers
        .iter()
        .map(|&(no_context_takeover, window_bits)| {
            let mut s =
                "permessage-deflate; client_no_context_takeover; client_max_window_bits".to_owned();
            if no_context_takeover {
                s.push_str("; server_no_context_takeover");
            }
            if window_bits != 0 {
                s.push_str(&format!("; server_max_window_bits={window_bits}"));
            }
            s
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn deflate_case(id: String, data: &DataSet, row: Row, offers: &[Offer]) -> Case {
    let kind = if data.binary { "binary" } else { "text" };
    let unit = if data.binary { "bytes" } else { "characters" };
    let framing = if row.autofrag == 0 {
        "each in one frame".to_owned()
    } else {
        format!("in frames of at most {} compressed bytes", row.autofrag)
    };
    // RFC 7692 §7.2: each message is compressed and echoed; the echo must
    // decompress to exactly what was sent.
    Case::new(
        &id,
        format!(
            "Offer the extension as \"{}\", then send {} compressed {kind} messages of {} {unit} each, {framing}, one at a time; the messages are consecutive windows of {} ({}, {} bytes).",
            offer_header(offers),
            row.count,
            row.size,
            data.what,
            data.file,
            data.len
        ),
        format!(
            "The server negotiates permessage-deflate and echoes every message with the same type, length and SHA-1 digest, all within {} s; the fuzzer then closes with 1000 and the close is clean. Without the extension the case is UNIMPLEMENTED.",
            row.timeout_secs
        ),
        vec![],
        ExpectedClose::fuzzer_closes_normally(),
        vec![],
    )
    .scoring(Scoring::Deflate)
    .report_time()
}

/// Cases 12.1.1-12.5.18 and 13.1.1-13.7.18.
pub fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    // 12.x: every data set with the default offer.
    for (j, data) in DATA_SETS.iter().enumerate() {
        for (i, &row) in ROWS.iter().enumerate() {
            out.push(deflate_case(
                format!("12.{}.{}", j + 1, i + 1),
                data,
                row,
                OFFERS[0],
            ));
        }
    }
    // 13.x: the JSON data set with each offer.
    for (j, offers) in OFFERS.iter().enumerate() {
        for (i, &row) in ROWS.iter().enumerate() {
            out.push(deflate_case(
                format!("13.{}.{}", j + 1, i + 1),
                &DATA_SETS[0],
                row,
                offers,
            ));
        }
    }
    out
}
