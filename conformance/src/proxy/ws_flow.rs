//! One direction of a WebSocket connection, checked as the endpoint receiving
//! it must check it: client-to-server bytes in the server's role (every frame
//! masked, RFC 6455 §5.1), server-to-client bytes in the client's role (none
//! masked). The codec's `MessageDecoder` enforces the framing rules (minimal
//! lengths §5.2, RSV bits without an extension that defines them §5.2,
//! reserved opcodes §5.2, control frames of at most 125 bytes and never
//! fragmented §5.5, UTF-8 in text and close reasons §5.6/§7.4, close codes
//! that may not be sent §7.4.1, nothing after a Close §5.5.1); with
//! permessage-deflate agreed, a message with RSV1 is inflated within the
//! message limit and checked once inflated (RFC 7692 §6.1, §7.2.2).
//!
//! A broken rule ends checking of that direction: the decoder cannot find the
//! next frame boundary with certainty after it, as an endpoint would fail the
//! connection there (§7.1.7). The traffic itself is never touched.

use wirecheck_codec::ws::deflate::{Agreed, Decompressor, inflate_message};
use wirecheck_codec::ws::message::Config;
use wirecheck_codec::ws::{ErrorKind, Event, Limits, MessageDecoder, Role};

/// The largest message (and frame) the proxy checks: a larger one is a limit
/// of the proxy's, reported as such, and the direction is not checked further.
/// It bounds what one direction may hold while a compressed message arrives
/// (an uncompressed one is checked as it passes and not kept).
pub const MAX_MESSAGE: u64 = 16 << 20;

/// The rule a limit of the proxy's own is reported under.
pub const LIMIT_RULE: &str = "wirecheck limit";

/// A rule broken in this direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The rule, e.g. `RFC 6455 §5.1`.
    pub rule: String,
    /// What was wrong.
    pub what: String,
    /// Offset in the direction's stream.
    pub offset: u64,
}

/// One direction's checker.
#[derive(Debug)]
pub struct WsFlow {
    decoder: MessageDecoder,
    inflater: Option<Decompressor>,
    inflated: Vec<u8>,
    /// The direction's offset of the next byte fed.
    at: u64,
    stopped: bool,
}

impl WsFlow {
    /// The checker of the bytes an endpoint in `receiver`'s role reads, with
    /// permessage-deflate as `deflate` agreed; the stream starts at offset `at`.
    pub fn new(receiver: Role, deflate: Option<Agreed>, at: u64) -> WsFlow {
        let mut config = Config::new(receiver);
        config.limits = Limits {
            max_frame_size: MAX_MESSAGE,
            max_message_size: MAX_MESSAGE,
        };
        config.permessage_deflate = deflate.is_some();
        // Check only: an uncompressed message is validated as it passes and
        // nothing of it is kept (a compressed one is kept to be inflated).
        config.retain_data = false;
        WsFlow {
            decoder: MessageDecoder::new(config),
            inflater: deflate.map(|a| Decompressor::new(a.receiving(receiver))),
            inflated: Vec::new(),
            at,
            stopped: false,
        }
    }

    /// Check the next bytes (unmasked in place: the caller has relayed them).
    pub fn feed(&mut self, bytes: &mut [u8], out: &mut Vec<Problem>) {
        let start = self.at;
        let len = bytes.len();
        self.at += len as u64;
        if self.stopped {
            return;
        }
        let mut input = &mut bytes[..];
        loop {
            let offset = start + (len - input.len()) as u64;
            let error = match self.decoder.decode(&mut input) {
                Ok(None) => return,
                Ok(Some(Event::Message { kind, rsv, data })) => {
                    match self.inflater.as_mut() {
                        // RFC 7692 §7.2.2: inflate, bounded, then check as the kind says.
                        Some(d) if rsv & 0b100 != 0 => {
                            match inflate_message(d, kind, data, MAX_MESSAGE, &mut self.inflated) {
                                Ok(()) => {
                                    self.inflated.clear();
                                    continue;
                                }
                                Err(e) => e,
                            }
                        }
                        _ => continue,
                    }
                }
                Ok(Some(_)) => continue,
                Err(e) => e,
            };
            self.stopped = true;
            self.inflated = Vec::new();
            let ours = matches!(
                error.kind(),
                ErrorKind::FrameTooLarge { .. }
                    | ErrorKind::MessageTooLarge { .. }
                    | ErrorKind::InflatedTooLarge { .. }
            );
            out.push(if ours {
                Problem {
                    rule: LIMIT_RULE.to_owned(),
                    what: format!(
                        "a message over the proxy's limit of {MAX_MESSAGE} bytes ({error}); this direction is not checked further"
                    ),
                    offset,
                }
            } else {
                Problem {
                    rule: error.rule().to_owned(),
                    what: format!(
                        "{}: an endpoint fails the connection with {}",
                        super::without_rule(error.to_string(), error.rule()),
                        error.close_code()
                    ),
                    offset,
                }
            });
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(first: u8, mask: Option<[u8; 4]>, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![
            first,
            payload.len() as u8 | if mask.is_some() { 0x80 } else { 0 },
        ];
        match mask {
            Some(k) => {
                f.extend_from_slice(&k);
                f.extend(payload.iter().enumerate().map(|(i, b)| b ^ k[i % 4]));
            }
            None => f.extend_from_slice(payload),
        }
        f
    }

    fn check(receiver: Role, bytes: &[u8], chunk: usize) -> Vec<Problem> {
        let mut flow = WsFlow::new(receiver, None, 100);
        let mut out = Vec::new();
        for piece in bytes.chunks(chunk) {
            flow.feed(&mut piece.to_vec(), &mut out);
        }
        out
    }

    #[test]
    fn correct_traffic_gives_no_problem_in_either_role() {
        let mut client = frame(0x81, Some([1, 2, 3, 4]), b"hello");
        client.extend(frame(0x88, Some([5, 6, 7, 8]), &[0x03, 0xe8]));
        let mut server = frame(0x81, None, b"hello");
        server.extend(frame(0x88, None, &[0x03, 0xe8]));
        for chunk in [1, 3, 64] {
            assert_eq!(check(Role::Server, &client, chunk), []);
            assert_eq!(check(Role::Client, &server, chunk), []);
        }
    }

    #[test]
    fn each_direction_is_held_to_its_own_masking_rule_at_the_right_offset() {
        let mut bytes = frame(0x81, Some([1, 2, 3, 4]), b"ok");
        bytes.extend(frame(0x81, None, b"bare"));
        let p = check(Role::Server, &bytes, 5);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].rule, "RFC 6455 §5.1");
        assert_eq!(p[0].offset, 100 + 8);
        let p = check(Role::Client, &frame(0x82, Some([1, 2, 3, 4]), b"x"), 64);
        assert_eq!(p[0].rule, "RFC 6455 §5.1");
        assert_eq!(
            p[0].what,
            "masked frame received by a client: an endpoint fails the connection with 1002"
        );
    }

    #[test]
    fn a_frame_after_close_and_a_bad_close_code_are_found() {
        let mut bytes = frame(0x88, None, &[0x03, 0xe8]);
        bytes.extend(frame(0x81, None, b"late"));
        let p = check(Role::Client, &bytes, 64);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].offset, 104);
        let p = check(Role::Client, &frame(0x88, None, &[0x03, 0xed]), 64);
        assert_eq!(p.len(), 1, "1005 may not be sent: {p:?}");
        assert!(p[0].rule.starts_with("RFC 6455 §7.4"), "{p:?}");
    }

    #[test]
    fn a_message_over_the_limit_is_ours_not_a_violation() {
        let mut head = vec![0x82, 127];
        head.extend_from_slice(&(MAX_MESSAGE + 1).to_be_bytes());
        let p = check(Role::Client, &head, 64);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].rule, LIMIT_RULE);
    }
}
