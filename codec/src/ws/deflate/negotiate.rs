//! The negotiation of permessage-deflate (RFC 7692 §5, §7.1), for both roles.
//!
//! A client offers one or more parameter sets (in preference order); a server
//! accepts at most one of them (§5.1) and answers with its parameters; the
//! client checks that answer against what it offered and fails the connection
//! on anything §7.1 forbids. The four parameters:
//!
//! | parameter | in an offer | in the answer |
//! |---|---|---|
//! | `server_no_context_takeover` | the client asks the server to reset its context per message (§7.1.1.1) | the server will; allowed even if not asked |
//! | `client_no_context_takeover` | the client says it will reset (a hint, §7.1.1.2) | the server requires the client to reset |
//! | `server_max_window_bits=N` | the client limits the server's window to 2^N (§7.1.2.1) | the server's window, at most N when offered |
//! | `client_max_window_bits[=N]` | the client can limit its own window (§7.1.2.2) | the client's window; only if offered, at most N |
//!
//! Values are decimal integers 8-15 without leading zeros, possibly quoted
//! (RFC 6455 §9.1 unquotes them); the no-context-takeover parameters take no
//! value. An unknown parameter, a duplicate or an invalid value makes a server
//! decline the offer (§7) and a client fail the connection (§7.1).

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use super::NAME;
use crate::ws::Role;
use crate::ws::handshake::Extension;

const SERVER_NO_CONTEXT_TAKEOVER: &str = "server_no_context_takeover";
const CLIENT_NO_CONTEXT_TAKEOVER: &str = "client_no_context_takeover";
const SERVER_MAX_WINDOW_BITS: &str = "server_max_window_bits";
const CLIENT_MAX_WINDOW_BITS: &str = "client_max_window_bits";

/// The default (and largest) window: 2^15 bytes (§7.1.2).
pub const MAX_WINDOW_BITS: u8 = 15;
/// The smallest window the parameters allow: 2^8 bytes (§7.1.2).
pub const MIN_WINDOW_BITS: u8 = 8;

/// Why a parameter set is refused: by a server, the offer is declined; by a
/// client, the connection fails (§7.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeflateError {
    /// A parameter this extension does not define (§7).
    UnknownParameter(String),
    /// A parameter given twice (§7).
    Duplicate(String),
    /// A value that is not a decimal integer 8-15, or a value where none is
    /// allowed (§7.1.1, §7.1.2).
    InvalidValue(String),
    /// A parameter an answer may not hold: `client_max_window_bits` the client
    /// did not offer, or a window larger than offered (§7.1.2.1, §7.1.2.2).
    NotOffered(String),
    /// A parameter of the offer that the answer leaves out although a server
    /// accepts it only by including it: `server_no_context_takeover`
    /// (§7.1.1.1), `server_max_window_bits` (§7.1.2.1).
    NotAccepted(String),
    /// More than one permessage-deflate answer (§5.1: at most one is accepted).
    SeveralAnswers,
}

impl fmt::Display for DeflateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeflateError::UnknownParameter(p) => {
                write!(f, "unknown permessage-deflate parameter {p} (RFC 7692 §7)")
            }
            DeflateError::Duplicate(p) => write!(f, "parameter {p} given twice (RFC 7692 §7)"),
            DeflateError::InvalidValue(p) => {
                write!(f, "invalid value in {p} (RFC 7692 §7.1.1, §7.1.2)")
            }
            DeflateError::NotOffered(p) => {
                write!(
                    f,
                    "{p} in the answer does not fit the offer (RFC 7692 §7.1.2)"
                )
            }
            DeflateError::NotAccepted(p) => write!(
                f,
                "{p} was offered but the answer leaves it out; a server accepts it only \
                 by including it (RFC 7692 §7.1.1.1, §7.1.2.1)"
            ),
            DeflateError::SeveralAnswers => {
                f.write_str("more than one permessage-deflate answer (RFC 7692 §5.1)")
            }
        }
    }
}

/// A window bits value: a decimal integer 8-15 without leading zeros
/// (§7.1.2.1: `1*DIGIT` in that range; a leading zero is not a valid form).
fn window_bits(name: &str, value: Option<&str>) -> Result<u8, DeflateError> {
    let invalid = || DeflateError::InvalidValue(name.to_string());
    let v = value.ok_or_else(invalid)?;
    if v.len() > 2 || v.starts_with('0') || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let n: u8 = v.parse().map_err(|_| invalid())?;
    if (MIN_WINDOW_BITS..=MAX_WINDOW_BITS).contains(&n) {
        Ok(n)
    } else {
        Err(invalid())
    }
}

/// The four parameters as one set reads them, each checked once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Params {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    /// `Some(None)`: present without a value (allowed in an offer only).
    client_max_window_bits: Option<Option<u8>>,
}

impl Params {
    fn parse(ext: &Extension) -> Result<Params, DeflateError> {
        let mut p = Params::default();
        let mut seen: Vec<&str> = Vec::new();
        for (name, value) in &ext.params {
            if seen.iter().any(|s| s.eq_ignore_ascii_case(name)) {
                return Err(DeflateError::Duplicate(name.clone()));
            }
            seen.push(name);
            let no_value = |flag: &mut bool| {
                if value.is_some() {
                    return Err(DeflateError::InvalidValue(name.clone()));
                }
                *flag = true;
                Ok(())
            };
            match name.to_ascii_lowercase().as_str() {
                SERVER_NO_CONTEXT_TAKEOVER => no_value(&mut p.server_no_context_takeover)?,
                CLIENT_NO_CONTEXT_TAKEOVER => no_value(&mut p.client_no_context_takeover)?,
                SERVER_MAX_WINDOW_BITS => {
                    p.server_max_window_bits = Some(window_bits(name, value.as_deref())?);
                }
                CLIENT_MAX_WINDOW_BITS => {
                    p.client_max_window_bits = Some(match value {
                        None => None,
                        Some(v) => Some(window_bits(name, Some(v))?),
                    });
                }
                _ => return Err(DeflateError::UnknownParameter(name.clone())),
            }
        }
        Ok(p)
    }
}

/// One offer of a client (§7.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Offer {
    /// Ask the server to reset its compression context per message (§7.1.1.1).
    pub server_no_context_takeover: bool,
    /// Say the client resets its own context per message (§7.1.1.2).
    pub client_no_context_takeover: bool,
    /// Limit the server's window (§7.1.2.1).
    pub server_max_window_bits: Option<u8>,
    /// Let the server limit the client's window: `Some(None)` sends the
    /// parameter without a value, `Some(Some(n))` with one (§7.1.2.2).
    pub client_max_window_bits: Option<Option<u8>>,
}

impl Offer {
    /// The offer as an element of `Sec-WebSocket-Extensions`.
    /// The order of the parameters is Autobahn's (what the client allows, then
    /// what it asks), so that requests compare byte for byte with its own.
    pub fn to_extension(&self) -> Extension {
        let mut e = Extension::new(NAME);
        if self.client_no_context_takeover {
            e = e.param(CLIENT_NO_CONTEXT_TAKEOVER, None);
        }
        if let Some(bits) = self.client_max_window_bits {
            let value = bits.map(|n| n.to_string());
            e = e.param(CLIENT_MAX_WINDOW_BITS, value.as_deref());
        }
        if self.server_no_context_takeover {
            e = e.param(SERVER_NO_CONTEXT_TAKEOVER, None);
        }
        if let Some(n) = self.server_max_window_bits {
            e = e.param(SERVER_MAX_WINDOW_BITS, Some(&n.to_string()));
        }
        e
    }

    /// Read a client's offer, as a server does: an offer with an unknown
    /// parameter, a duplicate or an invalid value must be declined (§7).
    pub fn parse(ext: &Extension) -> Result<Offer, DeflateError> {
        let p = Params::parse(ext)?;
        Ok(Offer {
            server_no_context_takeover: p.server_no_context_takeover,
            client_no_context_takeover: p.client_no_context_takeover,
            server_max_window_bits: p.server_max_window_bits,
            client_max_window_bits: p.client_max_window_bits,
        })
    }
}

/// What one direction of the connection agreed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Direction {
    /// The compressor resets its context after every message.
    pub no_context_takeover: bool,
    /// The compressor's window is at most 2^this bytes (8-15).
    pub max_window_bits: u8,
}

/// The parameters agreed to. Both ends compute the same values from the
/// answer, except that a client that said it resets its context
/// (`client_no_context_takeover` in its offer) records that it does, which
/// the server need not know: a decompressor that keeps its window reads a
/// reset compressor's output as well.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Agreed {
    /// What the server's compressor (and the client's decompressor) uses.
    pub server: Direction,
    /// What the client's compressor (and the server's decompressor) uses.
    pub client: Direction,
}

impl Agreed {
    /// The direction an endpoint of `role` compresses in.
    pub fn sending(&self, role: Role) -> Direction {
        match role {
            Role::Server => self.server,
            Role::Client => self.client,
        }
    }

    /// The direction an endpoint of `role` decompresses.
    pub fn receiving(&self, role: Role) -> Direction {
        self.sending(role.peer())
    }

    /// The answer a server sends for this agreement (§7.1).
    pub fn to_extension(&self, offer: &Offer) -> Extension {
        let mut e = Extension::new(NAME);
        if self.server.no_context_takeover {
            e = e.param(SERVER_NO_CONTEXT_TAKEOVER, None);
        }
        if self.client.no_context_takeover {
            e = e.param(CLIENT_NO_CONTEXT_TAKEOVER, None);
        }
        // §7.1.2.1: accepting an offer with server_max_window_bits means
        // answering with it; without one, only a smaller window needs saying.
        if offer.server_max_window_bits.is_some() || self.server.max_window_bits < MAX_WINDOW_BITS {
            e = e.param(
                SERVER_MAX_WINDOW_BITS,
                Some(&self.server.max_window_bits.to_string()),
            );
        }
        // §7.1.2.2: only if the client offered it.
        if offer.client_max_window_bits.is_some() && self.client.max_window_bits < MAX_WINDOW_BITS {
            e = e.param(
                CLIENT_MAX_WINDOW_BITS,
                Some(&self.client.max_window_bits.to_string()),
            );
        }
        e
    }
}

/// What a server asks of the offers it accepts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerPolicy {
    /// Require the client to reset its context per message (§7.1.1.2).
    pub client_no_context_takeover: bool,
    /// Limit the client's window, where the offer lets the server (§7.1.2.2).
    pub client_max_window_bits: Option<u8>,
    /// Reset the server's own context per message (§7.1.1.1).
    pub server_no_context_takeover: bool,
    /// Limit the server's own window (§7.1.2.1).
    pub server_max_window_bits: Option<u8>,
}

/// The server's side: among the client's `offers` (every element of
/// `Sec-WebSocket-Extensions`, in order), accept the first permessage-deflate
/// offer that is valid (§5.1: at most one; §7: an invalid one is declined),
/// under `policy`. Returns the answer to send and what was agreed, or `None`
/// when no offer is acceptable (the extension is then not used).
pub fn negotiate(offers: &[Extension], policy: &ServerPolicy) -> Option<(Extension, Agreed)> {
    let min = |a: Option<u8>, b: Option<u8>| match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    offers
        .iter()
        .filter(|e| e.name.eq_ignore_ascii_case(NAME))
        .filter_map(|e| Offer::parse(e).ok())
        .map(|offer| {
            let client_bits = match offer.client_max_window_bits {
                // §7.1.2.2: a limit on the client only where the offer allows one,
                // never above the offered value.
                Some(offered) => min(policy.client_max_window_bits, offered),
                None => None,
            };
            let agreed = Agreed {
                server: Direction {
                    no_context_takeover: offer.server_no_context_takeover
                        || policy.server_no_context_takeover,
                    max_window_bits: min(
                        offer.server_max_window_bits,
                        policy.server_max_window_bits,
                    )
                    .unwrap_or(MAX_WINDOW_BITS),
                },
                client: Direction {
                    no_context_takeover: policy.client_no_context_takeover,
                    max_window_bits: client_bits.unwrap_or(MAX_WINDOW_BITS),
                },
            };
            (agreed.to_extension(&offer), agreed)
        })
        .next()
}

/// Whether `answer` is a valid answer to `offer`, and what it agrees to.
fn answer_to(offer: &Offer, answer: &Params) -> Result<Agreed, DeflateError> {
    // §7.1.1.1: "A server accepts an extension negotiation offer that includes
    // the server_no_context_takeover parameter by including [it] in the
    // extension negotiation response".
    if offer.server_no_context_takeover && !answer.server_no_context_takeover {
        return Err(DeflateError::NotAccepted(SERVER_NO_CONTEXT_TAKEOVER.into()));
    }
    // §7.1.2.1: the same for server_max_window_bits, "with the same or smaller
    // value as the offer"; without it the server's window would be unbounded.
    if offer.server_max_window_bits.is_some() && answer.server_max_window_bits.is_none() {
        return Err(DeflateError::NotAccepted(SERVER_MAX_WINDOW_BITS.into()));
    }
    // §7.1.2.1: "a value ... larger than the one in the offer" fails.
    if let (Some(offered), Some(got)) =
        (offer.server_max_window_bits, answer.server_max_window_bits)
    {
        if got > offered {
            return Err(DeflateError::NotOffered(SERVER_MAX_WINDOW_BITS.into()));
        }
    }
    let client_bits = match (offer.client_max_window_bits, answer.client_max_window_bits) {
        // §7.1.2.2: the answer may not hold it when the offer did not.
        (None, Some(_)) => return Err(DeflateError::NotOffered(CLIENT_MAX_WINDOW_BITS.into())),
        // An answer must give a value (§7.1.2.2: "MUST have a value").
        (Some(_), Some(None)) => {
            return Err(DeflateError::InvalidValue(CLIENT_MAX_WINDOW_BITS.into()));
        }
        (Some(Some(offered)), Some(Some(got))) if got > offered => {
            return Err(DeflateError::NotOffered(CLIENT_MAX_WINDOW_BITS.into()));
        }
        (_, Some(Some(got))) => got,
        (Some(Some(offered)), None) => offered,
        (_, None) => MAX_WINDOW_BITS,
    };
    Ok(Agreed {
        server: Direction {
            no_context_takeover: answer.server_no_context_takeover,
            max_window_bits: answer.server_max_window_bits.unwrap_or(MAX_WINDOW_BITS),
        },
        client: Direction {
            no_context_takeover: answer.client_no_context_takeover
                || offer.client_no_context_takeover,
            max_window_bits: client_bits,
        },
    })
}

/// The client's side: check the server's `Sec-WebSocket-Extensions` answer
/// against the `offers` sent (§7.1). `Ok(None)`: the server declined (no
/// permessage-deflate in the answer); `Ok(Some(agreed))`: it accepted one
/// offer; `Err`: the client must fail the connection.
pub fn validate_response(
    offers: &[Offer],
    answer: &[Extension],
) -> Result<Option<Agreed>, DeflateError> {
    let mut ours = answer.iter().filter(|e| e.name.eq_ignore_ascii_case(NAME));
    let Some(ext) = ours.next() else {
        return Ok(None);
    };
    if ours.next().is_some() {
        return Err(DeflateError::SeveralAnswers);
    }
    let params = Params::parse(ext)?;
    // The answer is to one of the offers; it is valid if it fits any of them.
    let mut first_error = None;
    for offer in offers {
        match answer_to(offer, &params) {
            Ok(agreed) => return Ok(Some(agreed)),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or(DeflateError::NotOffered(NAME.into())))
}
