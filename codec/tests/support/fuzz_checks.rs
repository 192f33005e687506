//! The property behind every fuzz target, written once.
//!
//! Each `check_<target>(data)` decodes its input from the raw bytes with
//! [`arbitrary::Unstructured`], runs the codec, and panics when a property does not
//! hold. Three drivers call the same functions:
//! * the cargo-fuzz targets in `fuzz/fuzz_targets/<target>.rs` (one line each, this
//!   file included by `#[path]`);
//! * `tests/corpus_replay.rs`, which replays every file in `corpus/<target>/` through
//!   its check, so a crash once found stays fixed;
//! * the proptest properties in the same file, so `cargo test` runs every check,
//!   differential ones included, on fresh inputs each run without cargo-fuzz.
//!
//! Input layout: a target first reads a few option bytes (roles, limits, a chunking
//! plan), in the order its doc comment gives, then takes the rest of the input as the
//! bytes to parse. A missing option byte reads as 0, so a plain capture prefixed with
//! zero bytes is a valid seed. A *chunking plan* is one byte `n % 5` (how many sizes)
//! followed by `n` bytes, each giving a piece size `1 + b % 64`; the sizes repeat
//! until the input is cut up, and `n = 0` means "one piece".
//!
//! Limits are kept small (frames and messages of at most 128 KiB, handshake heads of
//! at most 16 KiB, SSE lines of at most 1 MiB) so that no check allocates much.
#![allow(dead_code)]

use std::borrow::Cow;
use std::num::NonZeroUsize;

use arbitrary::Unstructured;
use owned::{OwnedEvent, Run, decode_split};
use wirecheck_codec::sse::{self, Block, EndOfStream, Item, LimitExceeded, Parser, Retry};
use wirecheck_codec::ws::frame::{
    FrameHeader, HeaderRules, LengthForm, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN, encode_header,
    parse_header,
};
use wirecheck_codec::ws::handshake::{
    AcceptResponse, ClientRequest, Extension, HandshakeError, HandshakeErrorKind, HandshakeLimits,
    Request, RequestParser, Response, ResponseParser, UpgradeRequest, accept_by_name,
    format_extensions, is_token, parse_extensions,
};
use wirecheck_codec::ws::message::Config;
use wirecheck_codec::ws::{
    CloseCode, ErrorKind, FrameDecoder, FrameEvent, Limits, MessageKind, ProtocolError, Role,
    encode,
};

#[path = "handshake_oracle.rs"]
mod handshake_oracle;

#[path = "owned.rs"]
mod owned;
#[allow(dead_code)]
#[path = "ws_oracle.rs"]
mod ws_oracle;

/// A target's check: panics when a property does not hold.
pub type Check = fn(&[u8]);

/// Every target, by name (= its fuzz target and its `corpus/<name>/` directory).
pub const TARGETS: &[(&str, Check)] = &[
    ("ws_frame_header", check_ws_frame_header),
    ("ws_frame_decoder", check_ws_frame_decoder),
    ("ws_message_server", check_ws_message_server),
    ("ws_message_client", check_ws_message_client),
    ("ws_handshake_request", check_ws_handshake_request),
    ("ws_handshake_response", check_ws_handshake_response),
    ("ws_extensions", check_ws_extensions),
    ("sse_parser", check_sse_parser),
    ("sse_roundtrip", check_sse_roundtrip),
    ("diff_ws_server", check_diff_ws_server),
    ("diff_ws_client", check_diff_ws_client),
    ("diff_ws_handshake", check_diff_ws_handshake),
    ("http_chunked", check_http_chunked),
    ("ws_deflate_negotiation", check_ws_deflate_negotiation),
    ("ws_deflate_inflate", check_ws_deflate_inflate),
    ("http_head", check_http_head),
    ("ws_receiver", check_ws_receiver),
];

// ---------------------------------------------------------------------------------
// Input decoding shared by the targets
// ---------------------------------------------------------------------------------

/// One option byte (0 once the input is spent).
fn byte(u: &mut Unstructured<'_>) -> u8 {
    u.arbitrary().unwrap_or(0)
}

/// A chunking plan: the piece sizes, repeated until the input is cut up.
fn plan(u: &mut Unstructured<'_>) -> Vec<usize> {
    let n = byte(u) % 5;
    (0..n).map(|_| 1 + usize::from(byte(u) % 64)).collect()
}

/// The cut points a plan gives for an input of `len` bytes.
fn cuts(plan: &[usize], len: usize) -> Vec<usize> {
    let mut out = Vec::new();
    if plan.is_empty() {
        return out;
    }
    let mut at = 0;
    for &size in plan.iter().cycle() {
        at += size;
        if at >= len {
            break;
        }
        out.push(at);
    }
    out
}

/// `input` cut at `cuts` (sorted, in range); always at least one piece.
fn pieces<'a>(input: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for &c in cuts {
        out.push(&input[start..c]);
        start = c;
    }
    out.push(&input[start..]);
    out
}

// ---------------------------------------------------------------------------------
// ws_frame_header
// ---------------------------------------------------------------------------------

/// Payload limits a rules byte can select.
const MAX_PAYLOADS: [u64; 8] = [
    u64::MAX,
    0,
    125,
    126,
    0xFFFF,
    0x1_0000,
    1 << 20,
    i64::MAX as u64,
];

/// Header rules from one byte: role (`b % 3`: any, server, client), allowed RSV bits
/// (`b >> 2 & 7`), payload limit (`b >> 5`, an index into [`MAX_PAYLOADS`]).
fn header_rules(b: u8) -> HeaderRules {
    HeaderRules {
        role: match b % 3 {
            0 => None,
            1 => Some(Role::Server),
            _ => Some(Role::Client),
        },
        allowed_rsv: (b >> 2) & 7,
        max_payload: MAX_PAYLOADS[usize::from(b >> 5)],
        allow_reserved_opcodes: false,
    }
}

/// Input: rules byte, then header bytes.
///
/// Properties: the verdict is decided at one byte and never changes once decided
/// (so it cannot depend on chunking); a complete header takes exactly the bytes of
/// its minimal encoding, and encoding it gives back those bytes; the header obeys
/// the rules (masking by role, RSV bits, payload limit, control frames final and at
/// most 125 bytes); non-minimal encodings of it are rejected; errors map to 1002 or
/// 1009.
pub fn check_ws_frame_header(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let rules = header_rules(byte(&mut u));
    let buf = u.take_rest();
    let whole = parse_header(buf, &rules);
    // The shortest prefix with a verdict; every longer prefix has the same one.
    let mut decided = None;
    for n in 0..=buf.len() {
        let r = parse_header(&buf[..n], &rules);
        match (decided, r) {
            (None, Ok(None)) => assert!(n < MAX_HEADER_LEN, "no verdict after {n} bytes"),
            (None, r) => decided = Some((n, r)),
            (Some((at, d)), r) => {
                assert_eq!(r, d, "verdict at {at} bytes changed at {n}: {buf:02x?}");
                if n > at + MAX_HEADER_LEN {
                    break;
                }
            }
        }
    }
    match decided {
        None => assert_eq!(whole, Ok(None)),
        Some((at, verdict)) => {
            assert_eq!(whole, verdict);
            match verdict {
                Ok(Some((h, n))) => {
                    assert_eq!(n, at, "a header is decided by its last byte");
                    check_parsed_header(&rules, &h, &buf[..n]);
                }
                Ok(None) => unreachable!("a verdict is never Ok(None)"),
                Err(e) => assert!(
                    matches!(e.close_code(), 1002 | 1009),
                    "frame error {e:?} maps to {}",
                    e.close_code()
                ),
            }
        }
    }
}

fn check_parsed_header(rules: &HeaderRules, h: &FrameHeader, bytes: &[u8]) {
    assert_eq!(
        bytes.len(),
        h.encoded_len(),
        "{h:?}: only minimal lengths parse"
    );
    let mut out = [0u8; MAX_HEADER_LEN];
    let n = h.encode(&mut out);
    assert_eq!(&out[..n], bytes, "encode(parse(bytes)) != bytes");
    match rules.role {
        Some(Role::Server) => assert!(h.mask.is_some(), "server accepted an unmasked frame"),
        Some(Role::Client) => assert!(h.mask.is_none(), "client accepted a masked frame"),
        None => {}
    }
    assert_eq!(h.rsv & !rules.allowed_rsv, 0, "RSV bits not allowed");
    assert!(h.payload_len <= rules.max_payload, "limit not respected");
    assert!(h.payload_len >> 63 == 0, "64-bit length with the MSB set");
    if h.opcode.is_control() {
        assert!(
            h.fin && h.payload_len <= MAX_CONTROL_PAYLOAD,
            "bad control frame"
        );
    }
    // The non-minimal encodings of the same header are rejected (§5.2).
    let any = HeaderRules {
        role: None,
        allowed_rsv: 7,
        max_payload: u64::MAX,
        allow_reserved_opcodes: false,
    };
    for form in [LengthForm::Extended16, LengthForm::Extended64] {
        let mut raw = [0u8; MAX_HEADER_LEN];
        let m = encode_header(h, form, &mut raw);
        let r = parse_header(&raw[..m], &any);
        if m == n {
            assert_eq!(&raw[..m], bytes, "{form:?} fell back to the minimal form");
            assert_eq!(r, Ok(Some((*h, n))));
        } else {
            let kind = r.expect_err("a non-minimal length parsed").kind();
            assert!(
                matches!(
                    kind,
                    ErrorKind::NonMinimalLength | ErrorKind::ControlFrameTooLong(_)
                ),
                "{form:?}: {kind:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------
// ws_frame_decoder
// ---------------------------------------------------------------------------------

/// A frame as the decoder reported it: header, payload, and whether it was complete.
type DecodedFrame = (FrameHeader, Vec<u8>, bool);

/// Run a [`FrameDecoder`] over `input` fed in `pieces`, checking the payload piece
/// bookkeeping as it goes. Returns the frames, the error, and whether it ended idle.
fn decode_frames(
    rules: HeaderRules,
    input: &[u8],
    cuts: &[usize],
) -> (Vec<DecodedFrame>, Option<ProtocolError>, bool) {
    let mut buf = input.to_vec();
    let mut dec = FrameDecoder::new(rules);
    let mut frames: Vec<DecodedFrame> = Vec::new();
    let mut rest = &mut buf[..];
    let mut at = 0;
    let mut ends: Vec<usize> = cuts.to_vec();
    ends.push(input.len());
    for end in ends {
        let (piece, tail) = std::mem::take(&mut rest).split_at_mut(end - at);
        rest = tail;
        at = end;
        let mut piece = piece;
        loop {
            match dec.decode(&mut piece) {
                Ok(Some(FrameEvent::Header(h))) => {
                    if let Some(last) = frames.last() {
                        assert!(last.2, "a header before the previous payload ended");
                    }
                    frames.push((h, Vec::new(), false));
                }
                Ok(Some(FrameEvent::Payload { data, offset, last })) => {
                    let f = frames.last_mut().expect("payload before any header");
                    assert!(!f.2, "payload after the last piece");
                    assert_eq!(offset, f.1.len() as u64, "payload offsets are contiguous");
                    f.1.extend_from_slice(data);
                    assert_eq!(last, f.1.len() as u64 == f.0.payload_len, "last flag");
                    assert!(f.1.len() as u64 <= f.0.payload_len, "payload overrun");
                    f.2 = last;
                }
                Ok(None) => {
                    assert!(piece.is_empty(), "Ok(None) with input left");
                    break;
                }
                Err(e) => {
                    // An error is final.
                    assert_eq!(dec.decode(&mut piece), Err(e));
                    return (frames, Some(e), false);
                }
            }
        }
    }
    (frames, None, dec.is_idle())
}

/// Input: rules byte (as for `ws_frame_header`), chunking plan, then frames.
///
/// Properties: the frames, payloads and error do not depend on the chunking; payload
/// pieces are contiguous, end with exactly one `last`, never overrun; re-encoding the
/// complete frames gives back the input bytes they came from, exactly (so only minimal
/// lengths are accepted and unmasking is right at every key rotation); the decoder is
/// idle exactly when the input ends between frames.
pub fn check_ws_frame_decoder(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let rules = header_rules(byte(&mut u));
    let plan = plan(&mut u);
    let input = u.take_rest();
    let whole = decode_frames(rules, input, &[]);
    let chunked = decode_frames(rules, input, &cuts(&plan, input.len()));
    assert_eq!(
        whole, chunked,
        "chunking changed the result (plan {plan:?})"
    );
    let (frames, error, idle) = whole;
    if let Some(e) = error {
        assert!(matches!(e.close_code(), 1002 | 1009), "{e:?}");
    }
    let mut again = Vec::new();
    for (h, payload, complete) in &frames {
        if *complete {
            encode::frame(&mut again, h.fin, h.rsv, h.opcode, h.mask, payload);
        }
    }
    assert_eq!(
        &again[..],
        &input[..again.len().min(input.len())],
        "re-encoding"
    );
    let all_complete = frames.iter().all(|f| f.2);
    if error.is_none() {
        assert_eq!(idle, all_complete && again.len() == input.len(), "idle");
    }
}

// ---------------------------------------------------------------------------------
// ws_message_server, ws_message_client
// ---------------------------------------------------------------------------------

/// (max frame, max message) pairs a limits byte can select.
const MESSAGE_LIMITS: [(u64, u64); 8] = [
    (1 << 16, 1 << 17),
    (125, 125),
    (126, 1000),
    (1000, 1000),
    (0, 0),
    (1, 3),
    (16, 64),
    (1 << 16, 1 << 16),
];

/// The masking keys a client uses when re-encoding (any fixed sequence will do).
fn key_stream() -> impl FnMut() -> [u8; 4] {
    let mut k = 0x9e37_79b9u32;
    move || {
        k = k.rotate_left(5) ^ 0x85eb_ca6b;
        k.to_be_bytes()
    }
}

/// Input: config byte (`b & 7`: an index into [`MESSAGE_LIMITS`]; `b & 8`: report
/// frames), chunking plan, then the bytes received by an endpoint in `role`.
///
/// Properties: events, error and idleness do not depend on the chunking; buffered
/// capacity never exceeds the message limit; messages respect the limits, text is
/// UTF-8, control payloads at most 125 bytes, close codes valid on the wire;
/// encoding the events as the peer would and decoding that gives the same events,
/// without error.
fn check_ws_message(role: Role, data: &[u8]) {
    let mut u = Unstructured::new(data);
    let b = byte(&mut u);
    let (max_frame_size, max_message_size) = MESSAGE_LIMITS[usize::from(b & 7)];
    let mut config = Config::new(role);
    config.limits = Limits {
        max_frame_size,
        max_message_size,
    };
    config.report_frames = b & 8 != 0;
    let plan = plan(&mut u);
    let input = u.take_rest();
    let whole = decode_split(config, input, &[]);
    let chunked = decode_split(config, input, &cuts(&plan, input.len()));
    let same = |r: &Run| (r.events.clone(), r.error, r.error.is_none() && r.idle);
    assert_eq!(
        same(&whole),
        same(&chunked),
        "chunking changed the result (plan {plan:?})"
    );
    for run in [&whole, &chunked] {
        assert!(run.max_capacity as u64 <= max_message_size, "capacity");
    }
    let mut messages = Vec::new();
    for e in &whole.events {
        match e {
            OwnedEvent::Frame(h) => {
                assert!(config.report_frames, "frame reported");
                assert!(h.payload_len <= max_frame_size);
                continue;
            }
            OwnedEvent::Message(kind, d) => {
                assert!(d.len() as u64 <= max_message_size, "message limit");
                if *kind == MessageKind::Text {
                    assert!(std::str::from_utf8(d).is_ok(), "text is not UTF-8");
                }
            }
            OwnedEvent::Ping(p) | OwnedEvent::Pong(p) => {
                assert!(p.len() as u64 <= MAX_CONTROL_PAYLOAD.min(max_frame_size));
            }
            OwnedEvent::Close(c) => {
                if let Some((code, _)) = c {
                    assert!(CloseCode(*code).is_valid_on_wire(), "close code {code}");
                }
            }
        }
        messages.push(e.clone());
    }
    // Encode what was received the way the peer would send it, and decode it again.
    let mut keys = key_stream();
    let mut mask = || (role == Role::Server).then(&mut keys);
    let fragment = NonZeroUsize::new(usize::try_from(max_frame_size.max(1)).unwrap_or(usize::MAX))
        .expect("at least 1");
    let mut wire = Vec::new();
    for e in &messages {
        match e {
            OwnedEvent::Message(kind, d) => {
                encode::message(&mut wire, *kind, d, Some(fragment), &mut mask)
            }
            OwnedEvent::Ping(p) => encode::ping(&mut wire, mask(), p).expect("ping"),
            OwnedEvent::Pong(p) => encode::pong(&mut wire, mask(), p).expect("pong"),
            OwnedEvent::Close(c) => encode::close(
                &mut wire,
                mask(),
                c.as_ref().map(|(code, _)| CloseCode(*code)),
                c.as_ref().map_or("", |(_, r)| r),
            )
            .expect("close"),
            OwnedEvent::Frame(_) => unreachable!(),
        }
    }
    let mut plain = config;
    plain.report_frames = false;
    let again = decode_split(plain, &wire, &[]);
    assert_eq!(again.error, None, "re-encoded events fail to decode");
    assert_eq!(
        again.events, messages,
        "encode-then-decode changed the events"
    );
    assert!(again.idle);
}

/// [`check_ws_message`] for the server role.
pub fn check_ws_message_server(data: &[u8]) {
    check_ws_message(Role::Server, data);
}

/// [`check_ws_message`] for the client role.
pub fn check_ws_message_client(data: &[u8]) {
    check_ws_message(Role::Client, data);
}

// ---------------------------------------------------------------------------------
// ws_receiver
// ---------------------------------------------------------------------------------

/// The in-place receive path (`ws::Receiver`) on any bytes, read in any sizes:
/// the same events and error as the slice API on the whole input, the receive
/// buffer within one frame (at most the limit) plus a read, doubled, never more
/// than what arrived allows; text failing fast decides exactly alike, text
/// decoded in place alike but for invalid UTF-8 in a frame that never completed.
///
/// Layout: one byte (`b & 7` the limits as `ws_message_*`, `b & 8` the role
/// server, `b & 16` text decoded in place), a chunking plan for the read sizes,
/// then the bytes.
pub fn check_ws_receiver(data: &[u8]) {
    use wirecheck_codec::ws::Receiver;
    let mut u = Unstructured::new(data);
    let b = byte(&mut u);
    let (max_frame_size, max_message_size) = MESSAGE_LIMITS[usize::from(b & 7)];
    let role = if b & 8 != 0 {
        Role::Server
    } else {
        Role::Client
    };
    let mut config = Config::new(role);
    config.limits = Limits {
        max_frame_size,
        max_message_size,
    };
    let plan = plan(&mut u);
    let input = u.take_rest();
    let slice = decode_split(config, input, &[]);
    let mut rx = Receiver::new(config);
    rx.set_fail_fast_text(b & 16 == 0);
    let mut events = Vec::new();
    let mut error = None;
    let mut at = 0;
    let mut reads = plan.iter().copied().cycle();
    let largest_read = plan.iter().copied().max().unwrap_or(input.len()).max(1);
    'outer: loop {
        loop {
            match rx.next_event() {
                Ok(Some(e)) => events.push(OwnedEvent::from(&e)),
                Ok(None) => break,
                Err(e) => {
                    error = Some(e);
                    break 'outer;
                }
            }
        }
        // The receive buffer holds what arrived and room for a read, doubled
        // at most; the decoder's message buffer is within the message limit.
        assert!(
            rx.capacity() <= 2 * (at + largest_read) + 4096 + max_message_size as usize,
            "capacity {} after {at} bytes",
            rx.capacity()
        );
        if at == input.len() {
            break;
        }
        let want = reads
            .next()
            .unwrap_or(input.len() - at)
            .min(input.len() - at);
        let spare = rx.spare(want);
        let n = spare.len().min(want).max(1).min(input.len() - at);
        spare[..n].copy_from_slice(&input[at..at + n]);
        rx.commit(n);
        at += n;
    }
    assert_eq!(events, slice.events, "the receive path's events differ");
    let in_place = b & 16 != 0;
    if in_place && error.is_none() && rx.pending() > 0 {
        // Text decoded in place fails at the end of its frame at the latest: a
        // frame that never completed may hold an error the slice API found early.
        assert!(
            matches!(
                slice.error.map(|e| e.kind()),
                None | Some(ErrorKind::InvalidUtf8 { .. })
            ),
            "{:?}",
            slice.error
        );
    } else {
        assert_eq!(error, slice.error, "the receive path decided otherwise");
    }
}

// ---------------------------------------------------------------------------------
// ws_handshake_request, ws_handshake_response
// ---------------------------------------------------------------------------------

/// Handshake limits from one byte: `b & 3` picks the byte limit, `b >> 2 & 3` the
/// header-count limit.
fn handshake_limits(b: u8) -> HandshakeLimits {
    HandshakeLimits {
        max_header_bytes: [16 * 1024, 64, 256, 1024][usize::from(b & 3)],
        max_headers: [64, 0, 1, 8][usize::from((b >> 2) & 3)],
    }
}

/// What feeding a head in pieces gave: the head and where it ended in the whole
/// input, nothing yet, or an error.
type Fed<T> = Result<Option<(T, usize)>, HandshakeError>;

fn feed_pieces<T>(
    pieces: &[&[u8]],
    mut feed: impl FnMut(
        &[u8],
    )
        -> Result<Option<wirecheck_codec::ws::handshake::Parsed<T>>, HandshakeError>,
) -> Fed<T> {
    let mut before = 0;
    for piece in pieces {
        if let Some(p) = feed(piece)? {
            assert!(p.consumed <= piece.len(), "consumed beyond the input");
            return Ok(Some((p.value, before + p.consumed)));
        }
        before += piece.len();
    }
    Ok(None)
}

fn feed_request(limits: HandshakeLimits, pieces: &[&[u8]]) -> Fed<Request> {
    let mut parser = RequestParser::new(limits);
    let r = feed_pieces(pieces, |b| parser.feed(b));
    let work = parser.work();
    let len: usize = pieces.iter().map(|p| p.len()).sum();
    assert!(work <= 2 * len as u64 + 64, "work {work} for {len} bytes");
    r
}

fn feed_response(limits: HandshakeLimits, pieces: &[&[u8]]) -> Fed<Response> {
    let mut parser = ResponseParser::new(limits);
    let r = feed_pieces(pieces, |b| parser.feed(b));
    let work = parser.work();
    let len: usize = pieces.iter().map(|p| p.len()).sum();
    assert!(work <= 2 * len as u64 + 64, "work {work} for {len} bytes");
    r
}

/// The limits a parsed head must respect.
fn check_head_limits(limits: HandshakeLimits, consumed: usize, headers: usize) {
    assert!(
        consumed <= limits.max_header_bytes,
        "head of {consumed} bytes"
    );
    assert!(headers <= limits.max_headers, "{headers} headers");
}

/// A server error is answered with a 4xx (431 for the limits).
fn check_server_error(e: &HandshakeError) {
    let status = e.status().unwrap_or_else(|| panic!("no status for {e:?}"));
    assert!((400..500).contains(&status), "{e:?} answered with {status}");
    if matches!(
        e.kind(),
        HandshakeErrorKind::HeadTooLarge | HandshakeErrorKind::TooManyHeaders
    ) {
        assert_eq!(status, 431);
    }
}

/// The client that sent `up`: same host, target, key, origin and offers.
fn client_of(up: &UpgradeRequest) -> ClientRequest {
    let decoded = handshake_oracle::unb64(&up.key);
    let key: [u8; 16] = decoded.try_into().expect("a validated key is 16 bytes");
    let mut client = ClientRequest::new(&up.host, &up.target, key);
    client.origin = up.origin.clone();
    client.protocols = up.protocols.clone();
    client.extensions = up.extensions.clone();
    client
}

/// Input: limits byte, chunking plan, then the request bytes.
///
/// Properties: the result and where the head ends do not depend on the chunking;
/// parsing work is linear; a parsed head respects the limits; every error (parse or
/// validation) is answered with a 4xx, 431 for the limits; for an accepted request,
/// our 101 (choosing the first subprotocol and echoing every offered extension) is
/// accepted by the client that sent the request, with those choices; the request
/// that client would build parses and validates to the same request; and the same
/// fields as an RFC 8441 extended CONNECT are refused with an HTTP/2 status or, for
/// a valid upgrade, accepted with the same offers.
pub fn check_ws_handshake_request(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let limits = handshake_limits(byte(&mut u));
    let plan = plan(&mut u);
    let input = u.take_rest();
    let whole = feed_request(limits, &[input]);
    let chunked = feed_request(limits, &pieces(input, &cuts(&plan, input.len())));
    assert_eq!(
        whole, chunked,
        "chunking changed the result (plan {plan:?})"
    );
    let (request, consumed) = match whole {
        Err(e) => return check_server_error(&e),
        Ok(None) => return,
        Ok(Some(r)) => r,
    };
    check_head_limits(limits, consumed, request.headers.len());
    // RFC 8441: the same fields in an extended CONNECT are judged by the rules
    // RFC 6455 and RFC 8441 share; a refusal is an HTTP/2 error status (never
    // 426, which needs the Upgrade field HTTP/2 forbids).
    let mut connect = request.clone();
    connect.method = "CONNECT".into();
    let as_h2 = connect.validate_extended_connect(Some("websocket"), |_| true);
    if let Err(e) = &as_h2 {
        let status = e.status_over_h2().expect("a server's error");
        assert!(
            (400..600).contains(&status) && status != 426,
            "{e}: {status}"
        );
    }
    let up = match request.validate() {
        Err(e) => return check_server_error(&e),
        Ok(up) => up,
    };
    let connect = as_h2.expect("a valid upgrade's fields make a valid extended CONNECT");
    assert_eq!(
        (&connect.origin, &connect.protocols, &connect.extensions),
        (&up.origin, &up.protocols, &up.extensions)
    );
    let client = client_of(&up);
    let names: Vec<&str> = up.extensions.iter().map(|e| e.name.as_str()).collect();
    let extensions = accept_by_name(&up.extensions, &names);
    let mut response = AcceptResponse::new(&up);
    if let Some(p) = up.protocols.first() {
        response = response.protocol(p);
    }
    response.extensions = extensions.clone();
    let bytes = response.encode().expect("a 101 for a valid request");
    let (parsed, used) = feed_response(HandshakeLimits::default(), &[&bytes])
        .expect("our 101 parses")
        .expect("our 101 is complete");
    assert_eq!(used, bytes.len());
    let accepted = parsed
        .validate(&client)
        .expect("the client accepts our 101");
    assert_eq!(accepted.protocol.as_ref(), up.protocols.first());
    assert_eq!(accepted.extensions, extensions);
    // What that client would send parses back to the same request.
    if let Ok(again) = client.encode() {
        let (req, _) = feed_request(HandshakeLimits::default(), &[&again])
            .expect("our request parses")
            .expect("our request is complete");
        assert_eq!(req.validate(), Ok(up), "request round trip");
    }
}

/// The offers a client byte can select: `b & 3` picks the subprotocols, `b >> 2 & 3`
/// the extensions.
fn client_offers(b: u8) -> ClientRequest {
    let mut c = ClientRequest::new("server.example.com", "/chat", *b"the sample nonce");
    let protocols: &[&str] =
        [&[][..], &["chat"], &["chat", "superchat"], &["a", "b", "c"]][usize::from(b & 3)];
    c.protocols = protocols.iter().map(|p| (*p).to_owned()).collect();
    c.extensions = match (b >> 2) & 3 {
        0 => vec![],
        1 => vec![Extension::new("permessage-deflate")],
        2 => vec![
            Extension::new("permessage-deflate").param("client_max_window_bits", None),
            Extension::new("x-foo").param("a", Some("1")),
        ],
        _ => vec![Extension::new("x-foo"), Extension::new("x-bar")],
    };
    c
}

/// Input: client byte (what the client offered; its key is always the RFC 6455 §1.3
/// sample nonce, answered by `s3pPLMBiTxaQ9kYGzzhZRbK+xOo=`), limits byte, chunking
/// plan, then the response bytes.
///
/// Properties: the result and where the head ends do not depend on the chunking;
/// parsing work is linear; a parsed head respects the limits; a response the client
/// accepts has status 101, a subprotocol it offered (if any) and only extensions it
/// offered, exactly those of the `Sec-WebSocket-Extensions` lines; a rejection is a
/// client-side error (no HTTP status to answer with).
pub fn check_ws_handshake_response(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let client = client_offers(byte(&mut u));
    let limits = handshake_limits(byte(&mut u));
    let plan = plan(&mut u);
    let input = u.take_rest();
    let whole = feed_response(limits, &[input]);
    let chunked = feed_response(limits, &pieces(input, &cuts(&plan, input.len())));
    assert_eq!(
        whole, chunked,
        "chunking changed the result (plan {plan:?})"
    );
    let Ok(Some((response, consumed))) = whole else {
        return;
    };
    check_head_limits(limits, consumed, response.headers.len());
    match response.validate(&client) {
        Ok(accepted) => {
            assert_eq!(response.status, 101);
            if let Some(p) = &accepted.protocol {
                assert!(client.protocols.contains(p), "unoffered subprotocol {p}");
            }
            for e in &accepted.extensions {
                assert!(client.extensions.iter().any(|o| o.name == e.name));
            }
            let lines = parse_extensions(response.header_values("sec-websocket-extensions"));
            assert_eq!(Ok(accepted.extensions), lines);
        }
        Err(e) => assert_eq!(e.status(), None, "{e:?}"),
    }
}

// ---------------------------------------------------------------------------------
// ws_extensions
// ---------------------------------------------------------------------------------

/// A request head with `name: line` for each line.
fn request_with(name: &str, lines: &[&[u8]]) -> Vec<u8> {
    let mut r = b"GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        .to_vec();
    for line in lines {
        r.extend_from_slice(name.as_bytes());
        r.extend_from_slice(b": ");
        r.extend_from_slice(line);
        r.extend_from_slice(b"\r\n");
    }
    r.extend_from_slice(b"\r\n");
    r
}

/// Input: mode byte (`b & 1`: 0 for `Sec-WebSocket-Extensions`, 1 for
/// `Sec-WebSocket-Protocol`), then the header lines separated by LF (at most 8).
///
/// Properties, extensions: whatever parses is valid (tokens), formats, and parses
/// back to the same list; separate lines mean the same as one line joined by commas
/// (RFC 7230 §3.2.2); in a request, the server sees exactly what the parser gives, or
/// rejects with 400 when the parser fails. Subprotocols: a request either is rejected
/// for its subprotocol header alone, or yields tokens; a client offering those (if
/// unique) sends a request that validates to the same list, and our 101 choosing any
/// of them is accepted with that choice.
pub fn check_ws_extensions(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let mode = byte(&mut u) & 1;
    let rest = u.take_rest();
    let lines: Vec<&[u8]> = rest.split(|&b| b == b'\n').take(8).collect();
    let parsed_request = |name: &str| -> Option<Result<UpgradeRequest, HandshakeError>> {
        let bytes = request_with(name, &lines);
        match RequestParser::default().feed(&bytes) {
            // A line httparse refuses (a control byte) is not a header value at all.
            Err(e) if e.kind() == HandshakeErrorKind::MalformedHttp => None,
            Err(e) => panic!("{e:?}"),
            Ok(p) => Some(p.expect("complete").value.validate()),
        }
    };
    if mode == 0 {
        let direct = parse_extensions(lines.iter().copied());
        if let Ok(exts) = &direct {
            assert!(exts.iter().all(Extension::is_valid), "{exts:?}");
            let text = format_extensions(exts).expect("valid extensions format");
            if !exts.is_empty() {
                assert_eq!(parse_extensions([text.as_bytes()]).as_ref(), Ok(exts));
            }
            let joined = lines.join(&b", "[..]);
            assert_eq!(parse_extensions([&joined[..]]).as_ref(), Ok(exts), "joined");
        }
        if let Some(r) = parsed_request("Sec-WebSocket-Extensions") {
            // httparse trims the value; the list syntax ignores surrounding OWS.
            match (r, direct) {
                (Ok(up), Ok(exts)) => assert_eq!(up.extensions, exts),
                (Err(e), Err(_)) => {
                    assert_eq!(e.kind(), HandshakeErrorKind::BadExtensionsHeader)
                }
                (r, d) => panic!("request {r:?} vs parser {d:?}"),
            }
        }
        return;
    }
    let Some(r) = parsed_request("Sec-WebSocket-Protocol") else {
        return;
    };
    let up = match r {
        Err(e) => return assert_eq!(e.kind(), HandshakeErrorKind::BadProtocolHeader, "{e:?}"),
        Ok(up) => up,
    };
    assert!(up.protocols.iter().all(|p| is_token(p.as_bytes())));
    assert_eq!(lines.is_empty(), up.protocols.is_empty());
    let client = client_of(&up);
    let unique = up
        .protocols
        .iter()
        .enumerate()
        .all(|(i, p)| !up.protocols[..i].contains(p));
    match client.encode() {
        Ok(bytes) => {
            assert!(unique, "a repeated subprotocol was sent");
            let again = RequestParser::default()
                .feed(&bytes)
                .expect("parses")
                .expect("complete")
                .value
                .validate()
                .expect("validates");
            assert_eq!(again.protocols, up.protocols);
        }
        Err(e) => {
            assert!(!unique, "{e:?}");
            assert_eq!(e.kind(), HandshakeErrorKind::InvalidProtocol);
        }
    }
    for p in up.protocols.iter().take(4) {
        let bytes = AcceptResponse::new(&up).protocol(p).encode().expect("101");
        let accepted = ResponseParser::default()
            .feed(&bytes)
            .expect("parses")
            .expect("complete")
            .value
            .validate(&client)
            .expect("accepted");
        assert_eq!(accepted.protocol.as_ref(), Some(p));
    }
}

// ---------------------------------------------------------------------------------
// sse_parser, sse_roundtrip
// ---------------------------------------------------------------------------------

type SseRun = (Vec<Item<'static>>, EndOfStream, Option<LimitExceeded>);

/// Feed `input` in `pieces` to `parser`, checking the buffer bounds after each piece.
fn parse_sse(mut parser: Parser, pieces: &[&[u8]], seed_len: usize) -> SseRun {
    let config = *parser.config();
    let mut items = Vec::new();
    let mut error = None;
    let mut len = 0u64;
    for piece in pieces {
        len += piece.len() as u64;
        let r = parser.feed(piece, |i| items.push(i.into_owned()));
        let b = parser.buffered();
        assert!(b.line <= config.max_line_len, "line buffer {b:?}");
        assert!(b.data <= config.max_event_len, "data buffer {b:?}");
        assert!(
            b.event_type <= config.max_line_len,
            "event type buffer {b:?}"
        );
        assert!(b.id <= config.max_line_len.max(seed_len), "id buffer {b:?}");
        let most = config.max_line_len.saturating_mul(3).max(seed_len);
        assert!(b.last_event_id <= most, "last event id {b:?}");
        // Linear work under any chunking: each byte is looked at a bounded number of
        // times (terminator scan, colon scan, value checks, UTF-8 decoding).
        let (scanned, copied) = (parser.bytes_scanned(), parser.bytes_copied());
        assert!(scanned <= 6 * len + 64, "scanned {scanned} for {len} bytes");
        assert!(copied <= 6 * len + 64, "copied {copied} for {len} bytes");
        if let Err(e) = r {
            error = Some(e);
            // Terminal: the same error again, and nothing handed out.
            assert_eq!(
                parser.feed(b"data: x\n\n", |_| panic!("item after a limit")),
                Err(e)
            );
            break;
        }
    }
    (items, parser.finish(), error)
}

/// Line and event limits a config byte can select (`b & 7` and `b >> 3 & 7`).
const SSE_LINE_LIMITS: [usize; 8] = [1 << 20, 0, 1, 2, 8, 64, 1024, 3];
const SSE_EVENT_LIMITS: [usize; 8] = [1 << 20, 0, 1, 2, 16, 256, 4096, 5];

/// Input: config byte (line limit `b & 7`, event limit `b >> 3 & 7`, `b & 64`: seed
/// the last event ID with `seed`), chunking plan, then the stream.
///
/// Properties: items, end-of-stream state and error do not depend on the chunking;
/// buffers stay within the limits and work is linear at every step; an error is
/// terminal; dispatched events respect the limits; encoding the dispatched events
/// and parsing that gives the same events.
pub fn check_sse_parser(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let b = byte(&mut u);
    let config = sse::Config {
        max_line_len: SSE_LINE_LIMITS[usize::from(b & 7)],
        max_event_len: SSE_EVENT_LIMITS[usize::from((b >> 3) & 7)],
    };
    let seed = if b & 64 != 0 { "seed" } else { "" };
    let plan = plan(&mut u);
    let input = u.take_rest();
    let new = || Parser::with_last_event_id(seed, config);
    let whole = parse_sse(new(), &[input], seed.len());
    let chunked = parse_sse(new(), &pieces(input, &cuts(&plan, input.len())), seed.len());
    assert_eq!(
        whole, chunked,
        "chunking changed the result (plan {plan:?})"
    );
    let (items, _end, _error) = whole;
    let events: Vec<_> = items
        .iter()
        .filter_map(|i| match i {
            Item::Event(e) => Some(e.clone()),
            _ => None,
        })
        .collect();
    let mut wire = Vec::new();
    for e in &events {
        // The data buffer holds at most max_event_len bytes; lossy decoding may
        // turn each byte into a 3-byte U+FFFD.
        assert!(
            e.data.len() <= 3 * config.max_event_len,
            "event data {}",
            e.data.len()
        );
        Block::message(&e.data)
            .event(&e.event_type)
            .id(&e.last_event_id)
            .encode(&mut wire)
            .expect("a parsed event can be encoded");
    }
    let (again, end, error) = parse_sse(Parser::new(sse::Config::default()), &[&wire], 0);
    assert_eq!(error, None);
    assert!(!end.truncated());
    let again: Vec<_> = again
        .into_iter()
        .filter_map(|i| match i {
            Item::Event(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(again, events, "encode-then-parse changed the events");
}

/// A block as the round-trip target generates it.
#[derive(Debug, Clone, arbitrary::Arbitrary)]
struct OwnedBlock {
    comment: Option<String>,
    event_type: Option<String>,
    id: Option<String>,
    retry: Option<u64>,
    data: Option<String>,
}

impl OwnedBlock {
    fn as_block(&self) -> Block<'_> {
        Block {
            comment: self.comment.as_deref(),
            event_type: self.event_type.as_deref(),
            id: self.id.as_deref(),
            retry: self.retry,
            data: self.data.as_deref(),
        }
    }

    /// Whether the format can carry it (no line break in a comment, type or ID, no
    /// NUL in an ID).
    fn encodable(&self) -> bool {
        let line = |s: &Option<String>| s.as_ref().is_none_or(|s| !s.contains(['\r', '\n']));
        line(&self.comment)
            && line(&self.event_type)
            && line(&self.id)
            && self.id.as_ref().is_none_or(|s| !s.contains('\0'))
    }
}

/// What a client must see for `blocks`, from the spec's rules (not from the parser).
fn expected_items(blocks: &[OwnedBlock]) -> Vec<Item<'static>> {
    let mut last_id = String::new();
    let mut out = Vec::new();
    for b in blocks {
        if let Some(c) = &b.comment {
            out.push(Item::Comment(Cow::Owned(c.clone())));
        }
        if let Some(ms) = b.retry {
            out.push(Item::Retry(Retry::Millis(ms)));
        }
        // Dispatch step 1 reports the last event ID when it changes.
        if let Some(id) = b.id.as_ref().filter(|id| **id != last_id) {
            last_id = id.clone();
            out.push(Item::LastEventId(Cow::Owned(id.clone())));
        }
        if let Some(data) = &b.data {
            let event_type = match b.event_type.as_deref() {
                None | Some("") => "message",
                Some(t) => t,
            };
            out.push(Item::Event(sse::Event {
                event_type: Cow::Owned(event_type.to_owned()),
                // Line breaks travel as separate data lines and read back as LF.
                data: Cow::Owned(data.replace("\r\n", "\n").replace('\r', "\n")),
                last_event_id: Cow::Owned(last_id.clone()),
            }));
        }
    }
    out
}

/// Input: chunking plan, then up to 8 blocks decoded with `Arbitrary`.
///
/// Properties: a block encodes exactly when the format can carry it, and a refused
/// block writes nothing; the encoded stream, parsed in any chunking, gives exactly
/// the items the spec's rules predict, ends at a block boundary, and leaves the last
/// event ID of the last block that set one.
pub fn check_sse_roundtrip(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let plan = plan(&mut u);
    let n = byte(&mut u) % 9;
    let mut blocks = Vec::new();
    for _ in 0..n {
        let Ok(b) = u.arbitrary::<OwnedBlock>() else {
            break;
        };
        blocks.push(b);
    }
    let mut wire = Vec::new();
    let mut sent = Vec::new();
    for b in blocks {
        let before = wire.len();
        match b.as_block().encode(&mut wire) {
            Ok(()) => {
                assert!(b.encodable(), "encoded an unencodable block {b:?}");
                sent.push(b);
            }
            Err(e) => {
                assert!(!b.encodable(), "{e:?} for {b:?}");
                assert_eq!(wire.len(), before, "a refused block wrote bytes");
            }
        }
    }
    let config = sse::Config::default();
    let (items, end, error) = parse_sse(
        Parser::new(config),
        &pieces(&wire, &cuts(&plan, wire.len())),
        0,
    );
    assert_eq!(error, None);
    assert_eq!(
        items,
        expected_items(&sent),
        "stream {:?}",
        String::from_utf8_lossy(&wire)
    );
    assert!(!end.truncated(), "{end:?}");
    let last_id = sent
        .iter()
        .rev()
        .find_map(|b| b.id.clone())
        .unwrap_or_default();
    assert_eq!(end.last_event_id, last_id);
}

// ---------------------------------------------------------------------------------
// diff_ws_server, diff_ws_client, diff_ws_handshake
// ---------------------------------------------------------------------------------

/// Input: chunking plan, then the bytes an endpoint in `role` receives; both our
/// codec and tungstenite get them in the same pieces. Property: after the named
/// normalisations of `ws_oracle.rs`, the same messages and the same accept/reject.
fn check_diff_ws(role: Role, data: &[u8]) {
    let mut u = Unstructured::new(data);
    let plan = plan(&mut u);
    let input = u.take_rest();
    let cuts = cuts(&plan, input.len());
    let ours = ws_oracle::ours_decode(role, input, &cuts);
    let theirs = ws_oracle::tungstenite_decode(role, &pieces(input, &cuts));
    if let Err(why) = ws_oracle::compare(input, &ours, &theirs) {
        panic!("{role:?} {input:02x?} (plan {plan:?}): {why}");
    }
}

/// [`check_diff_ws`] for the server role (masked frames expected).
pub fn check_diff_ws_server(data: &[u8]) {
    check_diff_ws(Role::Server, data);
}

/// [`check_diff_ws`] for the client role (unmasked frames expected).
pub fn check_diff_ws_client(data: &[u8]) {
    check_diff_ws(Role::Client, data);
}

/// Pick one of `options` with one byte.
fn pick<T: Copy>(u: &mut Unstructured<'_>, options: &[T]) -> T {
    options[usize::from(byte(u)) % options.len()]
}

/// Header lines for one field: the good value, another, none, or both (in a byte's
/// order), as the handshake proptest generates them.
fn spec_lines(
    u: &mut Unstructured<'_>,
    good: &'static str,
    others: &[&'static str],
) -> Vec<&'static str> {
    match byte(u) % 8 {
        0..=3 => vec![good],
        4 | 5 => vec![pick(u, others)],
        6 => vec![],
        _ => {
            let other = pick(u, others);
            if byte(u) & 1 == 0 {
                vec![other, good]
            } else {
                vec![good, other]
            }
        }
    }
}

/// A key: valid (16 bytes), or the base64 of other bytes, unpadded, or malformed.
fn spec_key(u: &mut Unstructured<'_>) -> handshake_oracle::Key {
    use handshake_oracle::{Key, b64};
    match byte(u) % 8 {
        0..=4 => Key::Valid(u.arbitrary().unwrap_or([0; 16])),
        5 => {
            let n = usize::from(byte(u) % 40);
            let bytes = u.bytes(n).unwrap_or_default();
            Key::Raw(b64(bytes, true))
        }
        6 => Key::Raw(b64(&u.arbitrary::<[u8; 16]>().unwrap_or([0; 16]), false)),
        _ => Key::Raw(
            pick(
                u,
                &[
                    "dGhlIHNhbXBsZSBub25jZR==",
                    "dGhlIHNhbXBsZSBub25jZQ!!",
                    "AAAAAAAAAAAAAAAAAAAAAAAA",
                    "dGhlIHNhbXBsZSBub25jZQ==AAAA",
                    "dGhlIHNhbXBsZSBub25j ZQ==",
                ],
            )
            .to_owned(),
        ),
    }
}

/// A request [`Spec`](handshake_oracle::Spec) from bytes, over the same value pools
/// as the handshake proptest (plus a few more list spellings).
fn spec_from(u: &mut Unstructured<'_>) -> handshake_oracle::Spec {
    handshake_oracle::Spec {
        method: pick(u, &["GET", "GET", "GET", "GET", "POST", "get", "HEAD"]),
        minor: pick(u, &[1, 1, 1, 0]),
        target: pick(
            u,
            &[
                "/chat",
                "/chat",
                "/",
                "/a/b?c=d",
                "http://h/chat",
                "*",
                "ws://h/chat",
                "chat",
            ],
        ),
        host: spec_lines(
            u,
            "server.example.com",
            &["", "[::1]:8080", "a b", "h/x", "other.example"],
        ),
        upgrade: spec_lines(
            u,
            "websocket",
            &[
                "WebSocket",
                "websocket, foo",
                "foo, websocket",
                "h2c",
                "",
                "websocket/13",
                "websocket foo",
                "websocket,",
                "WEBSOCKET",
            ],
        ),
        connection: spec_lines(
            u,
            "Upgrade",
            &[
                "upgrade",
                "keep-alive, Upgrade",
                "keep-alive,Upgrade",
                "keep-alive",
                "Upgrade, keep-alive",
                "keep-alive Upgrade",
                "keep-alive,\tUpgrade",
                "",
                "Upgrade;x",
                "Upgrade,",
                "close, upgrade",
            ],
        ),
        key: match byte(u) % 8 {
            0..=5 => vec![spec_key(u)],
            6 => vec![],
            _ => vec![spec_key(u), spec_key(u)],
        },
        version: spec_lines(u, "13", &["8", "13, 8", "", "013", "14"]),
        protocol: match byte(u) % 4 {
            0 => vec![pick(
                u,
                &["chat", "chat, superchat", "chat superchat", ",", "a;b"],
            )],
            _ => vec![],
        },
        extensions: match byte(u) % 4 {
            0 => vec![pick(
                u,
                &[
                    "permessage-deflate; client_max_window_bits",
                    "x, , y; a=\"b\"",
                    "x; a=\"b c\"",
                    "x;",
                    "x y",
                ],
            )],
            _ => vec![],
        },
        filler: match byte(u) % 10 {
            0..=7 => usize::from(byte(u) % 4),
            8 => 60 + usize::from(byte(u) % 10),
            _ => 120 + usize::from(byte(u) % 10),
        },
    }
}

/// Input: the choices that make a request [`Spec`](handshake_oracle::Spec) (see
/// [`spec_from`]). Property: `handshake_oracle::check_spec` (our verdict on the
/// normalised request is tungstenite's on the request as sent, and tungstenite's 101
/// passes our client checks).
pub fn check_diff_ws_handshake(data: &[u8]) {
    let spec = spec_from(&mut Unstructured::new(data));
    if let Err(why) = handshake_oracle::check_spec(&spec) {
        panic!("{why}");
    }
}

// ---------------------------------------------------------------------------------
// http_chunked
// ---------------------------------------------------------------------------------

/// The chunked decoder (RFC 9112 §7.1) on any bytes in any pieces: it never
/// panics, never outputs more bytes than it was given, keeps no line past its
/// bound, and its outcome (the body so far, complete or not, or the error) does
/// not depend on how the input was cut.
pub fn check_http_chunked(data: &[u8]) {
    use wirecheck_codec::http::Chunked;
    let mut u = Unstructured::new(data);
    let plan = plan(&mut u);
    let input = u.take_rest();
    let run = |cuts: &[usize]| {
        let mut c = Chunked::default();
        let mut out = Vec::new();
        let mut outcome = Ok(false);
        for piece in pieces(input, cuts) {
            outcome = c.decode(piece, &mut out);
            if !matches!(outcome, Ok(false)) {
                break;
            }
        }
        assert!(out.len() <= input.len());
        (outcome, out)
    };
    let whole = run(&[]);
    let split = run(&cuts(&plan, input.len()));
    assert_eq!(whole, split);
}

// ---------------------------------------------------------------------------------
// http_head
// ---------------------------------------------------------------------------------

/// Feed HTTP-layer heads in pieces: the head and where it ended in the whole
/// input, nothing yet, or the error; the work is checked to be linear.
fn read_http_head<T>(
    pieces: &[&[u8]],
    mut feed: impl FnMut(
        &[u8],
    ) -> Result<
        Option<wirecheck_codec::http::Parsed<T>>,
        wirecheck_codec::http::HeadError,
    >,
    work: impl Fn() -> u64,
) -> Result<Option<(T, usize)>, wirecheck_codec::http::HeadError> {
    let len: usize = pieces.iter().map(|p| p.len()).sum();
    let mut before = 0;
    let mut outcome = Ok(None);
    for piece in pieces {
        match feed(piece) {
            Ok(None) => before += piece.len(),
            Ok(Some(p)) => {
                assert!(p.consumed <= piece.len(), "consumed beyond the input");
                outcome = Ok(Some((p.value, before + p.consumed)));
                break;
            }
            Err(e) => {
                outcome = Err(e);
                break;
            }
        }
    }
    assert!(
        work() <= 2 * len as u64 + 64,
        "work {} for {len} bytes",
        work()
    );
    outcome
}

/// An HTTP-layer head error: 400 or 431, and a syntax error names a byte of
/// the input at the offset it gives.
fn check_http_head_error(e: &wirecheck_codec::http::HeadError, input: &[u8]) {
    use wirecheck_codec::http::HeadErrorKind;
    let status = e.status();
    match e.kind() {
        HeadErrorKind::HeadTooLarge | HeadErrorKind::TooManyHeaders => {
            assert_eq!(status, Some(431));
        }
        HeadErrorKind::Malformed => assert_eq!(status, Some(400)),
        HeadErrorKind::ReaderSpent => panic!("a fresh reader is spent: {e:?}"),
    }
    if let Some((offset, b)) = e.invalid_byte() {
        assert_eq!(input.get(offset), Some(&b), "{e:?}");
    }
}

/// The HTTP layer's head reader (RFC 9112 §2-§5), for both start lines, on any
/// bytes in any pieces. Input: a role byte (bit 0: a response head), a limits
/// byte (as [`handshake_limits`]), a chunking plan, then the bytes. Properties:
/// the same head, end or error however the input is cut; linear work; a head
/// within the limits; errors are 400 or 431, and one that names an invalid byte
/// names the byte at that offset; a head written back with `write_head` reads
/// back the same.
pub fn check_http_head(data: &[u8]) {
    use wirecheck_codec::http::{
        HeadLimits, RequestParser, ResponseParser, write_field, write_head, write_status_line,
    };
    let mut u = Unstructured::new(data);
    let is_response = byte(&mut u) & 1 == 1;
    let limits = handshake_limits(byte(&mut u));
    let plan = plan(&mut u);
    let input = u.take_rest();
    let cut = cuts(&plan, input.len());
    let roomy = HeadLimits {
        max_header_bytes: 1 << 20,
        max_headers: limits.max_headers,
    };
    if is_response {
        let read = |pieces: &[&[u8]], limits| {
            let parser = std::cell::RefCell::new(ResponseParser::new(limits));
            read_http_head(
                pieces,
                |b| parser.borrow_mut().feed(b),
                || parser.borrow().work(),
            )
        };
        let whole = read(&[input], limits);
        assert_eq!(read(&pieces(input, &cut), limits), whole);
        match whole {
            Err(e) => check_http_head_error(&e, input),
            Ok(None) => {}
            Ok(Some((head, end))) => {
                check_head_limits(limits, end, head.headers.len());
                let Ok(values) = head
                    .headers
                    .iter()
                    .map(|h| std::str::from_utf8(&h.value).map(|v| (h.name.as_str(), v)))
                    .collect::<Result<Vec<_>, _>>()
                else {
                    return;
                };
                // A status line is written by write_status_line (its reason
                // phrase may hold HTAB, RFC 9112 §4, which write_head's start
                // line refuses), then field by field.
                let mut out = Vec::new();
                if write_status_line(&mut out, head.status, &head.reason).is_err() {
                    // Only a code below 100: 3DIGIT (RFC 9112 §4) but no status
                    // (RFC 9110 §15), which the reader reads and nobody writes.
                    assert!(head.status < 100, "{head:?}");
                    return;
                }
                if head.version == 0 {
                    // write_status_line writes HTTP/1.1 (RFC 9110 §6.2).
                    out[7] = b'0';
                }
                for (name, value) in &values {
                    write_field(&mut out, name, value.as_bytes())
                        .expect("a field that was read can be written");
                }
                out.extend_from_slice(b"\r\n");
                let again = read(&[&out], roomy).expect("reads back").expect("complete");
                assert_eq!(again, (head, out.len()));
            }
        }
    } else {
        let read = |pieces: &[&[u8]], limits| {
            let parser = std::cell::RefCell::new(RequestParser::new(limits));
            read_http_head(
                pieces,
                |b| parser.borrow_mut().feed(b),
                || parser.borrow().work(),
            )
        };
        let whole = read(&[input], limits);
        assert_eq!(read(&pieces(input, &cut), limits), whole);
        match whole {
            Err(e) => check_http_head_error(&e, input),
            Ok(None) => {}
            Ok(Some((head, end))) => {
                check_head_limits(limits, end, head.headers.len());
                let Ok(values) = head
                    .headers
                    .iter()
                    .map(|h| std::str::from_utf8(&h.value).map(|v| (h.name.as_str(), v)))
                    .collect::<Result<Vec<_>, _>>()
                else {
                    return;
                };
                let start = format!("{} {} HTTP/1.{}", head.method, head.target, head.version);
                let mut out = Vec::new();
                write_head(&mut out, &start, values.iter().copied())
                    .expect("a head that was read can be written");
                let again = read(&[&out], roomy).expect("reads back").expect("complete");
                assert_eq!(again, (head, out.len()));
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// ws_deflate_negotiation
// ---------------------------------------------------------------------------------

/// permessage-deflate negotiation (RFC 7692 §5, §7.1) on any extension header:
/// never panics; whatever offers a server accepts, the client that sent them
/// accepts the server's answer and reads the same windows from it; a client
/// never accepts an answer whose windows exceed what some offer allowed.
pub fn check_ws_deflate_negotiation(data: &[u8]) {
    use wirecheck_codec::ws::deflate::{Offer, ServerPolicy, negotiate, validate_response};
    use wirecheck_codec::ws::handshake::parse_extensions;
    let mut u = Unstructured::new(data);
    let p = byte(&mut u);
    let bits = |b: u8| (b % 10 < 8).then_some(8 + b % 8);
    let policy = ServerPolicy {
        client_no_context_takeover: p & 1 != 0,
        server_no_context_takeover: p & 2 != 0,
        client_max_window_bits: bits(byte(&mut u)),
        server_max_window_bits: bits(byte(&mut u)),
    };
    let rest = u.take_rest();
    let (offers_header, answer_header) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &b""[..]),
    };
    let Ok(offers) = parse_extensions([offers_header]) else {
        return;
    };
    let parsed: Vec<Offer> = offers
        .iter()
        .filter(|e| e.name.eq_ignore_ascii_case("permessage-deflate"))
        .filter_map(|e| Offer::parse(e).ok())
        .collect();
    if let Some((answer, server_view)) = negotiate(&offers, &policy) {
        let client_view = validate_response(&parsed, &[answer])
            .expect("the client accepts the server's answer")
            .expect("not declined");
        assert_eq!(client_view.server, server_view.server);
        assert_eq!(
            client_view.client.max_window_bits,
            server_view.client.max_window_bits
        );
    }
    // Any answer at all: accepted only within what an offer allowed.
    if let Ok(answer) = parse_extensions([answer_header]) {
        if let Ok(Some(agreed)) = validate_response(&parsed, &answer) {
            assert!((8..=15).contains(&agreed.server.max_window_bits));
            assert!((8..=15).contains(&agreed.client.max_window_bits));
            // §7.1.1.1, §7.1.2.1: an offer's limits on the server hold.
            assert!(parsed.iter().any(|o| {
                o.server_max_window_bits
                    .is_none_or(|n| agreed.server.max_window_bits <= n)
                    && (!o.server_no_context_takeover || agreed.server.no_context_takeover)
            }));
        }
    }
}

// ---------------------------------------------------------------------------------
// ws_deflate_inflate
// ---------------------------------------------------------------------------------

/// Inflation with a limit (RFC 7692 §7.2.2) on any bytes, in messages of any
/// size: never panics, never keeps more than the limit, fails as 1009 or 1007
/// only, and what it inflates round-trips through the compressor.
pub fn check_ws_deflate_inflate(data: &[u8]) {
    use wirecheck_codec::ws::deflate::{Compressor, Decompressor, Direction, InflateError};
    let mut u = Unstructured::new(data);
    let o = byte(&mut u);
    let direction = Direction {
        no_context_takeover: o & 1 != 0,
        max_window_bits: 8 + (o >> 1) % 8,
    };
    let limit = 1 + usize::from(byte(&mut u)) * 64;
    let plan = plan(&mut u);
    let input = u.take_rest();
    let mut d = Decompressor::new(direction);
    for piece in pieces(input, &cuts(&plan, input.len())) {
        let mut out = Vec::new();
        match d.decompress(piece, limit, &mut out) {
            Ok(()) => {
                assert!(out.len() <= limit);
                // What came out goes back in and out again unchanged.
                let mut c = Compressor::new(direction);
                let mut wire = Vec::new();
                c.compress(&out, &mut wire);
                let mut again = Vec::new();
                Decompressor::new(direction)
                    .decompress(&wire, limit, &mut again)
                    .expect("our own output inflates");
                assert_eq!(again, out);
            }
            Err(e @ InflateError::TooLarge { .. }) => {
                assert_eq!(e.close_code(), 1009);
                assert!(out.is_empty());
            }
            Err(e @ InflateError::Corrupt) => assert_eq!(e.close_code(), 1007),
        }
    }
}
