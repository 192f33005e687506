//! permessage-deflate in the server role (RFC 7692): how the fuzzing server
//! answers a client's offer in the compression cases, exactly as Autobahn's
//! fuzzingserver does (its `accept1`-`accept7` in `case12_x_x.py`,
//! autobahn.md §5.11).
//!
//! A case's parameter pairs (request no context takeover, request window
//! bits; 0 is none) are what the fuzzer, as a client, asks of a server; as a
//! server it asks the same of the client: `client_no_context_takeover` and
//! `client_max_window_bits=N`. Each pair is tried in order against the
//! client's first permessage-deflate offer. A server may always ask for
//! `client_no_context_takeover` (RFC 7692 §7.1.1.2: the offer's parameter is
//! only a hint; Autobahn's offer parser sets `acceptNoContextTakeover` for
//! every offer), but `client_max_window_bits=N` only if the client offered
//! `client_max_window_bits` (RFC 7692 §7.1.2.2); what the client asked of the
//! server is granted as offered. No pair fits: no extension in
//! the answer, and the case is UNIMPLEMENTED, as Autobahn's is.

use wirecheck_codec::ws::deflate::{Agreed, Direction, Offer};
use wirecheck_codec::ws::handshake::Extension;

use crate::ws::case::Case;

/// The largest window (RFC 7692 §7.1.2: 8 to 15).
const MAX_BITS: u8 = 15;

/// The answer to `offers` (the client's `Sec-WebSocket-Extensions`, in order)
/// for `case`, and what it agrees to; `None` when the case offers nothing or
/// no pair fits.
pub fn accept(case: &Case, offers: &[Extension]) -> Option<(Extension, Agreed)> {
    let pairs: Vec<(bool, u8)> = case
        .deflate
        .as_ref()?
        .iter()
        .map(|o| {
            (
                o.server_no_context_takeover,
                o.server_max_window_bits.unwrap_or(0),
            )
        })
        .collect();
    // Autobahn's accept functions look at the first offer that parses.
    let offer = offers
        .iter()
        .filter(|e| e.name.eq_ignore_ascii_case("permessage-deflate"))
        .find_map(|e| Offer::parse(e).ok())?;
    pairs.into_iter().find_map(|(no_takeover, bits)| {
        // RFC 7692 §7.1.1.2: client_no_context_takeover needs no offer;
        // §7.1.2.2: client_max_window_bits=N does.
        let fits = bits == 0 || offer.client_max_window_bits.is_some();
        fits.then(|| answer(&offer, no_takeover, bits))
    })
}

/// Autobahn's `PerMessageDeflateOfferAccept(offer, requestNoContextTakeover,
/// requestMaxWindowBits)`: the server's own parameters as the client asked,
/// the client's as the pair asks.
fn answer(offer: &Offer, no_takeover: bool, bits: u8) -> (Extension, Agreed) {
    let server = Direction {
        no_context_takeover: offer.server_no_context_takeover,
        max_window_bits: offer.server_max_window_bits.unwrap_or(MAX_BITS),
    };
    // Unasked, the client may use the window it offered, else the largest;
    // the fuzzer inflates with a full window either way.
    let client_bits = match (bits, offer.client_max_window_bits) {
        (0, Some(Some(n))) => n,
        (0, _) => MAX_BITS,
        (n, _) => n,
    };
    let client = Direction {
        no_context_takeover: no_takeover,
        max_window_bits: client_bits,
    };
    let mut e = Extension::new("permessage-deflate");
    if server.no_context_takeover {
        e = e.param("server_no_context_takeover", None);
    }
    if let Some(n) = offer.server_max_window_bits {
        e = e.param("server_max_window_bits", Some(&n.to_string()));
    }
    if no_takeover {
        e = e.param("client_no_context_takeover", None);
    }
    if bits != 0 {
        e = e.param("client_max_window_bits", Some(&bits.to_string()));
    }
    (e, Agreed { server, client })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wirecheck_codec::ws::handshake::{format_extensions, parse_extensions};

    fn case(id: &str) -> Case {
        crate::ws::cases::all()
            .into_iter()
            .find(|c| c.id.to_string() == id)
            .unwrap_or_else(|| panic!("{id}"))
    }

    fn answer_to(id: &str, offer: &str) -> Option<String> {
        let offers = parse_extensions([offer.as_bytes()]).expect("valid");
        accept(&case(id), &offers).map(|(e, _)| format_extensions(&[e]).expect("valid"))
    }

    /// The answers Autobahn's accept1-accept7 give a client that offers what
    /// browsers and Node ws offer (`client_max_window_bits`), and what they
    /// give a client that offers nothing to ask of it.
    #[test]
    fn the_answers_are_autobahns_accept_functions() {
        let ws = "permessage-deflate; client_max_window_bits";
        assert_eq!(
            answer_to("12.1.1", ws).as_deref(),
            Some("permessage-deflate")
        );
        assert_eq!(
            answer_to("13.1.1", ws).as_deref(),
            Some("permessage-deflate")
        );
        // accept2 asks for client_no_context_takeover, unoffered or not.
        assert_eq!(
            answer_to("13.2.1", ws).as_deref(),
            Some("permessage-deflate; client_no_context_takeover")
        );
        assert_eq!(
            answer_to("13.3.1", ws).as_deref(),
            Some("permessage-deflate; client_max_window_bits=9")
        );
        assert_eq!(
            answer_to("13.5.1", ws).as_deref(),
            Some("permessage-deflate; client_no_context_takeover; client_max_window_bits=9")
        );
        // Window bits need the client's client_max_window_bits.
        assert_eq!(answer_to("13.5.1", "permessage-deflate"), None);
        assert_eq!(
            answer_to("13.2.1", "permessage-deflate").as_deref(),
            Some("permessage-deflate; client_no_context_takeover")
        );
        // accept7: (True, 9), then (True, 0), then (False, 0).
        assert_eq!(
            answer_to("13.7.1", ws).as_deref(),
            Some("permessage-deflate; client_no_context_takeover; client_max_window_bits=9")
        );
        assert_eq!(
            answer_to("13.7.1", "permessage-deflate").as_deref(),
            Some("permessage-deflate; client_no_context_takeover")
        );
        let both = "permessage-deflate; client_no_context_takeover; client_max_window_bits";
        assert_eq!(
            answer_to("13.7.1", both).as_deref(),
            Some("permessage-deflate; client_no_context_takeover; client_max_window_bits=9")
        );
        // What the client asks of the server is granted as offered.
        let (e, agreed) = accept(
            &case("13.6.1"),
            &parse_extensions([&b"permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_no_context_takeover; client_max_window_bits"[..]])
            .expect("valid"),
        )
        .expect("accepted");
        assert_eq!(
            format_extensions(&[e]).expect("valid"),
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_no_context_takeover; client_max_window_bits=15"
        );
        assert_eq!(
            (
                agreed.server.no_context_takeover,
                agreed.server.max_window_bits
            ),
            (true, 10)
        );
        assert_eq!(
            (
                agreed.client.no_context_takeover,
                agreed.client.max_window_bits
            ),
            (true, 15)
        );
        // A case that offers nothing accepts nothing; no offer, no answer.
        assert!(
            accept(
                &case("1.1.1"),
                &parse_extensions([ws.as_bytes()]).expect("valid")
            )
            .is_none()
        );
        assert_eq!(answer_to("12.1.1", "x-other"), None);
    }
}
