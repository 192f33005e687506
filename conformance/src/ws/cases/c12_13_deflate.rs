//! Categories 12 and 13, WebSocket Compression (216 cases): RFC 7692
//! permessage-deflate on top of RFC 6455 §9 (extensions, negotiated in the
//! opening handshake; RFC 7692 §6: RSV1 marks the first frame of a compressed
//! message).
//!
//! Each case offers permessage-deflate, then sends 1000 messages one at a time,
//! each after the echo of the previous one; a message is the next `size`-unit
//! window of a data set, wrapping around at its end (for the UTF-8 data sets
//! the window counts characters, not bytes), compressed whole and sent in
//! frames of at most `autofrag` compressed bytes (0: one frame). OK when every
//! echo arrives before the timeout and inflates to the type and bytes sent.
//! A server that declines the extension makes the case UNIMPLEMENTED (the
//! fuzzer closes with 1000 at once, as Autobahn does); an answer the offers do
//! not allow (RFC 7692 §7.1) fails the connection and the case.
//!
//! * 12.1-12.5: the five data sets ([`DATA_SETS`]), with the default offer.
//! * 13.1-13.7: the JSON data set, with seven different offers.

use std::time::Duration;

use crate::ws::case::{Case, ExpectedClose, Messages, Offer, RoundTrips, Scoring};
use crate::ws::data_sets::{DATA_SETS, DataSet};

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

/// One permessage-deflate offer of 13.x, as Autobahn's
/// `(requestNoContextTakeover, requestMaxWindowBits)`: whether it asks the
/// server not to take over its compression context, and the server window bits
/// it asks for (0: not asked).
type OfferParams = (bool, u8);

/// The offers of 13.1-13.7 (13.7 makes three, in order of preference).
const OFFERS: [&[OfferParams]; 7] = [
    &[(false, 0)],
    &[(true, 0)],
    &[(false, 9)],
    &[(false, 15)],
    &[(true, 9)],
    &[(true, 15)],
    &[(true, 9), (true, 0), (false, 0)],
];

/// The offer Autobahn's `PerMessageDeflateOffer` makes: it always lets the
/// server ask for client no context takeover and a client window
/// (`client_no_context_takeover; client_max_window_bits`, RFC 7692 §7.1.1.2,
/// §7.1.2.2), and asks what `params` says of the server.
fn offer((server_no_context_takeover, bits): OfferParams) -> Offer {
    Offer {
        server_no_context_takeover,
        client_no_context_takeover: true,
        server_max_window_bits: (bits != 0).then_some(bits),
        client_max_window_bits: Some(None),
    }
}

/// The `Sec-WebSocket-Extensions` value the offers make, for descriptions.
fn offer_header(offers: &[Offer]) -> String {
    wirecheck_codec::ws::handshake::format_extensions(
        &offers.iter().map(Offer::to_extension).collect::<Vec<_>>(),
    )
    .unwrap_or_default()
}

fn deflate_case(id: String, data: &DataSet, row: Row, offers: &[OfferParams]) -> Case {
    let offers: Vec<Offer> = offers.iter().copied().map(offer).collect();
    let kind = if data.binary { "binary" } else { "text" };
    let unit = if data.binary { "bytes" } else { "characters" };
    let framing = if row.autofrag == 0 {
        "each in one frame".to_owned()
    } else {
        format!("in frames of at most {} compressed bytes", row.autofrag)
    };
    // RFC 7692 §7.2: each message is compressed and echoed; the echo must
    // inflate to exactly what was sent.
    Case::new(
        &id,
        format!(
            "Offer the extension as \"{}\", then send {} compressed {kind} messages of {} {unit} each, {framing}, one at a time; the messages are consecutive windows of {} (standing in for Autobahn's {}, {} bytes).",
            offer_header(&offers),
            row.count,
            row.size,
            data.what,
            data.file,
            data.len
        ),
        format!(
            "The server negotiates permessage-deflate and echoes every message with the same type and bytes, all within {} s; the fuzzer then closes with 1000 and the close is clean. If the server declines the extension the case is UNIMPLEMENTED.",
            row.timeout_secs
        ),
        vec![],
        ExpectedClose::fuzzer_closes_normally(),
        vec![],
    )
    .deflate_offers(offers)
    .scoring(Scoring::Deflate(RoundTrips {
        count: row.count,
        binary: data.binary,
        messages: Messages::Windows {
            data: data.id,
            size: row.size,
            autofrag: row.autofrag,
        },
        timeout: Duration::from_secs(row.timeout_secs),
    }))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The requests carry Autobahn's offers byte for byte (its per-case
    /// `httpRequest`: 12.1.1, 13.2.1, 13.3.1, 13.7.1).
    #[test]
    fn offers_are_autobahns() {
        let header =
            |i: usize| offer_header(&OFFERS[i].iter().copied().map(offer).collect::<Vec<_>>());
        assert_eq!(
            header(0),
            "permessage-deflate; client_no_context_takeover; client_max_window_bits"
        );
        assert_eq!(
            header(1),
            "permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover"
        );
        assert_eq!(
            header(2),
            "permessage-deflate; client_no_context_takeover; client_max_window_bits; server_max_window_bits=9"
        );
        assert_eq!(
            header(6),
            "permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover; server_max_window_bits=9, permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover, permessage-deflate; client_no_context_takeover; client_max_window_bits"
        );
    }
}
