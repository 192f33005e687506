//! permessage-deflate negotiation (RFC 7692 §5, §7.1), as tables: an offer, an
//! answer, and whether a client accepts it; a server's choice among offers.

use proptest::prelude::*;
use wirecheck_codec::ws::Role;
use wirecheck_codec::ws::deflate::{
    Agreed, DeflateError, Direction, Offer, ServerPolicy, negotiate, validate_response,
};
use wirecheck_codec::ws::handshake::{format_extensions, parse_extensions};

fn exts(header: &str) -> Vec<wirecheck_codec::ws::handshake::Extension> {
    parse_extensions([header.as_bytes()]).expect("valid header syntax")
}

const DEFAULT: Direction = Direction {
    no_context_takeover: false,
    max_window_bits: 15,
};

fn dir(no_context_takeover: bool, max_window_bits: u8) -> Direction {
    Direction {
        no_context_takeover,
        max_window_bits,
    }
}

#[test]
fn rfc7692_7_1_offers_are_written_with_every_parameter() {
    let offer = Offer {
        server_no_context_takeover: true,
        client_no_context_takeover: true,
        server_max_window_bits: Some(10),
        client_max_window_bits: Some(None),
    };
    assert_eq!(
        format_extensions(&[offer.to_extension()]).unwrap(),
        "permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover; server_max_window_bits=10"
    );
    assert_eq!(Offer::parse(&offer.to_extension()), Ok(offer));
}

/// A client's check of the server's answer: (what was offered, the answer,
/// what it agrees to or `None` when the client must fail the connection).
#[test]
fn rfc7692_7_1_a_client_accepts_exactly_the_answers_its_offer_allows() {
    let plain = Offer::default();
    let with_client_bits = Offer {
        client_max_window_bits: Some(None),
        ..Offer::default()
    };
    let server_10 = Offer {
        server_max_window_bits: Some(10),
        ..Offer::default()
    };
    let server_reset = Offer {
        server_no_context_takeover: true,
        ..Offer::default()
    };
    let table: &[(&Offer, &str, Option<Agreed>)] = &[
        // The plain answer: both windows 15, context kept.
        (
            &plain,
            "permessage-deflate",
            Some(Agreed {
                server: DEFAULT,
                client: DEFAULT,
            }),
        ),
        // §7.1.1.1: the server may reset its context unasked.
        (
            &plain,
            "permessage-deflate; server_no_context_takeover",
            Some(Agreed {
                server: dir(true, 15),
                client: DEFAULT,
            }),
        ),
        // §7.1.1.2: the server may require the client to reset.
        (
            &plain,
            "permessage-deflate; client_no_context_takeover",
            Some(Agreed {
                server: DEFAULT,
                client: dir(true, 15),
            }),
        ),
        // §7.1.2.1: the server may limit its own window unasked; a quoted value is a value.
        (
            &plain,
            "permessage-deflate; server_max_window_bits=\"12\"",
            Some(Agreed {
                server: dir(false, 12),
                client: DEFAULT,
            }),
        ),
        // §7.1.2.1: at most the offered window; larger fails.
        (
            &server_10,
            "permessage-deflate; server_max_window_bits=10",
            Some(Agreed {
                server: dir(false, 10),
                client: DEFAULT,
            }),
        ),
        (
            &server_10,
            "permessage-deflate; server_max_window_bits=9",
            Some(Agreed {
                server: dir(false, 9),
                client: DEFAULT,
            }),
        ),
        (
            &server_10,
            "permessage-deflate; server_max_window_bits=11",
            None,
        ),
        // §7.1.2.1: accepting the offered limit means answering with it.
        (&server_10, "permessage-deflate", None),
        // §7.1.1.1: the same for server_no_context_takeover.
        (&server_reset, "permessage-deflate", None),
        (
            &server_reset,
            "permessage-deflate; server_no_context_takeover",
            Some(Agreed {
                server: dir(true, 15),
                client: DEFAULT,
            }),
        ),
        // §7.1.2.2: client_max_window_bits only if offered, and with a value.
        (
            &plain,
            "permessage-deflate; client_max_window_bits=10",
            None,
        ),
        (
            &with_client_bits,
            "permessage-deflate; client_max_window_bits=10",
            Some(Agreed {
                server: DEFAULT,
                client: dir(false, 10),
            }),
        ),
        (
            &with_client_bits,
            "permessage-deflate; client_max_window_bits",
            None,
        ),
        // §7: unknown parameters, duplicates, values out of range or malformed.
        (&plain, "permessage-deflate; x_unknown", None),
        (
            &plain,
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            None,
        ),
        (
            &plain,
            "permessage-deflate; server_no_context_takeover=1",
            None,
        ),
        (&plain, "permessage-deflate; server_max_window_bits=7", None),
        (
            &plain,
            "permessage-deflate; server_max_window_bits=16",
            None,
        ),
        (
            &plain,
            "permessage-deflate; server_max_window_bits=010",
            None,
        ),
        (&plain, "permessage-deflate; server_max_window_bits", None),
        // §5.1: one answer at most.
        (&plain, "permessage-deflate, permessage-deflate", None),
    ];
    for (offer, answer, want) in table {
        let got = validate_response(&[**offer], &exts(answer));
        match want {
            Some(agreed) => assert_eq!(got, Ok(Some(*agreed)), "{answer}"),
            None => assert!(got.is_err(), "{answer}: {got:?}"),
        }
    }
    // No permessage-deflate in the answer: declined, not an error.
    assert_eq!(validate_response(&[plain], &exts("x-other")), Ok(None));
    assert_eq!(
        validate_response(&[plain], &exts("permessage-deflate; x")),
        Err(DeflateError::UnknownParameter("x".into()))
    );
    assert_eq!(
        validate_response(&[server_10], &exts("permessage-deflate")),
        Err(DeflateError::NotAccepted("server_max_window_bits".into()))
    );
}

#[test]
fn rfc7692_7_1_3_the_rfcs_two_offers_and_the_answers_each_allows() {
    // §7.1.3's example: a server window of 10 asked for first, then an offer
    // asking nothing of the server; both let the server limit the client's.
    let offers = [
        Offer {
            server_max_window_bits: Some(10),
            client_max_window_bits: Some(None),
            ..Offer::default()
        },
        Offer {
            client_max_window_bits: Some(None),
            ..Offer::default()
        },
    ];
    let table: &[(&str, Option<Agreed>)] = &[
        // The first offer accepted.
        (
            "permessage-deflate; server_max_window_bits=10",
            Some(Agreed {
                server: dir(false, 10),
                client: DEFAULT,
            }),
        ),
        // The second, with nothing more.
        (
            "permessage-deflate",
            Some(Agreed {
                server: DEFAULT,
                client: DEFAULT,
            }),
        ),
        // The second with a client window the server chose (§7.1.2.2).
        (
            "permessage-deflate; client_max_window_bits=12",
            Some(Agreed {
                server: DEFAULT,
                client: dir(false, 12),
            }),
        ),
        // §5.1: one answer element at most.
        (
            "permessage-deflate; server_max_window_bits=10, permessage-deflate",
            None,
        ),
    ];
    for (answer, want) in table {
        let got = validate_response(&offers, &exts(answer));
        match want {
            Some(agreed) => assert_eq!(got, Ok(Some(*agreed)), "{answer}"),
            None => assert!(got.is_err(), "{answer}: {got:?}"),
        }
    }
}

#[test]
fn rfc7692_7_1_2_2_a_client_window_above_the_offered_value_is_refused() {
    // §7.1.2.2: with a value offered, the server may ignore it or answer
    // "with a value equal to or smaller than the received value"; a larger
    // one serves no purpose (the client's window is at most its offer), and
    // the codec fails it as an answer the offer does not allow (strict).
    let offer = Offer {
        client_max_window_bits: Some(Some(10)),
        ..Offer::default()
    };
    for (answer, ok) in [
        ("permessage-deflate; client_max_window_bits=10", true),
        ("permessage-deflate; client_max_window_bits=9", true),
        ("permessage-deflate; client_max_window_bits=11", false),
    ] {
        let got = validate_response(&[offer], &exts(answer));
        assert_eq!(got.is_ok(), ok, "{answer}: {got:?}");
    }
}

#[test]
fn rfc7692_5_1_a_server_takes_the_first_valid_offer_and_declines_invalid_ones() {
    // Autobahn 13.7's three offers: (true, 9), (true, 0), (false, 0).
    let offers = exts(
        "permessage-deflate; client_no_context_takeover; client_max_window_bits; server_max_window_bits=9; server_no_context_takeover, \
         permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover, \
         permessage-deflate; client_no_context_takeover; client_max_window_bits",
    );
    let (answer, agreed) = negotiate(&offers, &ServerPolicy::default()).expect("accepted");
    assert_eq!(agreed.server, dir(true, 9));
    assert_eq!(
        format_extensions(&[answer]).unwrap(),
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=9"
    );
    // An invalid first offer is declined; the next one is taken.
    let offers = exts("permessage-deflate; server_max_window_bits=99, permessage-deflate");
    let (_, agreed) = negotiate(&offers, &ServerPolicy::default()).expect("second offer");
    assert_eq!(
        agreed,
        Agreed {
            server: DEFAULT,
            client: DEFAULT
        }
    );
    // Nothing acceptable: no extension.
    assert_eq!(
        negotiate(&exts("permessage-deflate; bogus"), &ServerPolicy::default()),
        None
    );
    assert_eq!(
        negotiate(&exts("x-webkit-deflate-frame"), &ServerPolicy::default()),
        None
    );
    // The policy limits the client's window only where the offer allows it.
    let policy = ServerPolicy {
        client_no_context_takeover: true,
        client_max_window_bits: Some(9),
        ..ServerPolicy::default()
    };
    let (answer, agreed) =
        negotiate(&exts("permessage-deflate; client_max_window_bits"), &policy).unwrap();
    assert_eq!(agreed.client, dir(true, 9));
    assert_eq!(
        format_extensions(&[answer]).unwrap(),
        "permessage-deflate; client_no_context_takeover; client_max_window_bits=9"
    );
    let (_, agreed) = negotiate(&exts("permessage-deflate"), &policy).unwrap();
    assert_eq!(
        agreed.client,
        dir(true, 15),
        "§7.1.2.2: no limit the offer did not allow"
    );
    assert_eq!(agreed.sending(Role::Client), agreed.receiving(Role::Server));
}

fn offers() -> impl Strategy<Value = Offer> {
    (
        any::<bool>(),
        any::<bool>(),
        proptest::option::of(8u8..=15),
        proptest::option::of(proptest::option::of(8u8..=15)),
    )
        .prop_map(|(s, c, sb, cb)| Offer {
            server_no_context_takeover: s,
            client_no_context_takeover: c,
            server_max_window_bits: sb,
            client_max_window_bits: cb,
        })
}

proptest! {
    /// Whatever a client offers and a server's policy, the server's answer is
    /// one the client accepts, and both read the same windows from it.
    #[test]
    fn prop_a_servers_answer_is_accepted_by_the_client_that_offered(
        offer in offers(),
        policy in (any::<bool>(), proptest::option::of(8u8..=15), any::<bool>(), proptest::option::of(8u8..=15))
            .prop_map(|(cn, cb, sn, sb)| ServerPolicy {
                client_no_context_takeover: cn,
                client_max_window_bits: cb,
                server_no_context_takeover: sn,
                server_max_window_bits: sb,
            }),
    ) {
        let (answer, server_view) = negotiate(&[offer.to_extension()], &policy).expect("a valid offer is accepted");
        let header = format_extensions(&[answer]).unwrap();
        let client_view = validate_response(&[offer], &exts(&header)).expect("the client accepts").expect("not declined");
        prop_assert_eq!(client_view.server, server_view.server);
        prop_assert_eq!(client_view.client.max_window_bits, server_view.client.max_window_bits);
        // The client resets at least when the server requires it.
        prop_assert!(client_view.client.no_context_takeover || !server_view.client.no_context_takeover);
        if let Some(limit) = offer.server_max_window_bits {
            prop_assert!(server_view.server.max_window_bits <= limit);
        }
    }
}
