//! Properties of the opening handshake: round trips between our own client and
//! server, independence from how bytes are chunked, no panics on any input, and
//! linear work (counted, not timed) for heads delivered one byte at a time.

use proptest::prelude::*;
use wirecheck_codec::ws::handshake::{
    AcceptResponse, Accepted, ClientRequest, Extension, HandshakeError, HandshakeErrorKind,
    HandshakeLimits, Parsed, Request, RequestParser, Response, ResponseParser, UpgradeRequest,
    error_response,
};

fn token() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9!#$%&'*+.^_`|~-]{1,8}"
}

fn unique(v: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in v {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

fn extension() -> impl Strategy<Value = Extension> {
    (
        token(),
        prop::collection::vec((token(), prop::option::of(token())), 0..3),
    )
        .prop_map(|(name, params)| Extension { name, params })
}

fn client_request() -> impl Strategy<Value = ClientRequest> {
    (
        "[a-z0-9.-]{1,20}(:[0-9]{1,5})?",
        "/[a-zA-Z0-9/._~%!$&'()*+,;=:@?-]{0,30}",
        any::<[u8; 16]>(),
        prop::option::of("https?://[a-z0-9.]{1,15}"),
        prop::collection::vec(token(), 0..5).prop_map(unique),
        prop::collection::vec(extension(), 0..4),
    )
        .prop_map(
            |(host, target, key, origin, protocols, extensions)| ClientRequest {
                host,
                target,
                key,
                origin,
                protocols,
                extensions,
                headers: vec![("User-Agent".into(), "wirecheck test".into())],
            },
        )
}

/// Chunk sizes 1..=40 cycled over the input.
fn chunks(sizes: &[usize], input: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut k = 0;
    while i < input.len() {
        let n = sizes
            .get(k % sizes.len().max(1))
            .copied()
            .unwrap_or(1)
            .max(1);
        let end = (i + n).min(input.len());
        out.push(input[i..end].to_vec());
        i = end;
        k += 1;
    }
    out
}

/// What feeding produced: the head (or error) and the bytes left for the stream.
type Outcome<T> = Result<Option<(T, Vec<u8>)>, HandshakeError>;

fn feed_request(limits: HandshakeLimits, pieces: &[Vec<u8>]) -> Outcome<Request> {
    let mut p = RequestParser::new(limits);
    for (i, piece) in pieces.iter().enumerate() {
        if let Some(Parsed { value, consumed }) = p.feed(piece)? {
            let mut rest = piece[consumed..].to_vec();
            for later in &pieces[i + 1..] {
                rest.extend_from_slice(later);
            }
            return Ok(Some((value, rest)));
        }
    }
    Ok(None)
}

fn feed_response(pieces: &[Vec<u8>]) -> Outcome<Response> {
    let mut p = ResponseParser::default();
    for (i, piece) in pieces.iter().enumerate() {
        if let Some(Parsed { value, consumed }) = p.feed(piece)? {
            let mut rest = piece[consumed..].to_vec();
            for later in &pieces[i + 1..] {
                rest.extend_from_slice(later);
            }
            return Ok(Some((value, rest)));
        }
    }
    Ok(None)
}

fn serve(bytes: &[u8]) -> Result<UpgradeRequest, HandshakeError> {
    let (req, rest) =
        feed_request(HandshakeLimits::default(), &[bytes.to_vec()])?.expect("complete");
    assert!(rest.is_empty());
    req.validate()
}

fn check(req: &ClientRequest, bytes: &[u8]) -> Result<Accepted, HandshakeError> {
    let (resp, _) = feed_response(&[bytes.to_vec()])?.expect("complete");
    resp.validate(req)
}

/// Byte-level mutations of a valid message: overwrite, insert, delete.
fn mutate(mut v: Vec<u8>, edits: &[(usize, u8, u8)]) -> Vec<u8> {
    for &(pos, op, byte) in edits {
        if v.is_empty() {
            v.push(byte);
            continue;
        }
        let i = pos % v.len();
        match op % 3 {
            0 => v[i] = byte,
            1 => v.insert(i, byte),
            _ => {
                v.remove(i);
            }
        }
    }
    v
}

fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        4 => prop::sample::select(&b"\r\n :,;=\"\\/\tA0aGET13-"[..]),
        1 => any::<u8>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn client_request_is_accepted_by_server_and_response_by_client(
        req in client_request(),
        pick in any::<prop::sample::Index>(),
        choose_protocol in any::<bool>(),
        ext_mask in any::<u8>(),
    ) {
        let bytes = req.encode().unwrap();
        let up = serve(&bytes).unwrap();
        prop_assert_eq!(&up.protocols, &req.protocols);
        prop_assert_eq!(&up.extensions, &req.extensions);
        prop_assert_eq!(&up.origin, &req.origin);
        prop_assert_eq!(up.accept_key(), req.expected_accept());

        let protocol = (choose_protocol && !up.protocols.is_empty())
            .then(|| up.protocols[pick.index(up.protocols.len())].clone());
        let extensions: Vec<Extension> = up.extensions.iter().enumerate()
            .filter(|(i, _)| ext_mask & (1 << (i % 8)) != 0)
            .map(|(_, e)| e.clone())
            .collect();
        let mut resp = AcceptResponse::new(&up);
        if let Some(p) = &protocol {
            resp = resp.protocol(p);
        }
        for e in &extensions {
            resp = resp.extension(e.clone());
        }
        let accepted = check(&req, &resp.encode().unwrap()).unwrap();
        prop_assert_eq!(accepted.protocol, protocol);
        prop_assert_eq!(accepted.extensions, extensions);
    }

    #[test]
    fn result_is_independent_of_chunking(
        req in client_request(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), interesting_byte()), 0..4),
        tail in prop::collection::vec(any::<u8>(), 0..20),
        sizes in prop::collection::vec(1usize..40, 1..8),
    ) {
        let mut input = mutate(req.encode().unwrap(), &edits);
        input.extend_from_slice(&tail);
        let limits = HandshakeLimits { max_header_bytes: 400, max_headers: 8 };
        let whole = feed_request(limits, &[input.clone()]);
        let pieces = chunks(&sizes, &input);
        prop_assert_eq!(&feed_request(limits, &pieces), &whole);
        let bytewise: Vec<Vec<u8>> = input.iter().map(|&b| vec![b]).collect();
        prop_assert_eq!(&feed_request(limits, &bytewise), &whole);
        // The verdict depends only on the head, so it is chunking-independent too.
        if let Ok(Some((r, rest))) = whole {
            let _ = r.validate();
            // Nothing is lost: head + rest is the input.
            prop_assert!(input.ends_with(&rest));
        }
    }

    #[test]
    fn response_result_is_independent_of_chunking(
        req in client_request(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), interesting_byte()), 0..4),
        tail in prop::collection::vec(any::<u8>(), 0..20),
        sizes in prop::collection::vec(1usize..40, 1..8),
    ) {
        let up = serve(&req.encode().unwrap()).unwrap();
        let mut input = mutate(AcceptResponse::new(&up).encode().unwrap(), &edits);
        input.extend_from_slice(&tail);
        let whole = feed_response(&[input.clone()]);
        prop_assert_eq!(&feed_response(&chunks(&sizes, &input)), &whole);
        if edits.is_empty() {
            let (resp, rest) = whole.unwrap().unwrap();
            prop_assert_eq!(rest, tail);
            prop_assert!(resp.validate(&req).is_ok());
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..600),
        sizes in prop::collection::vec(1usize..64, 1..4),
    ) {
        let req = ClientRequest::new("h", "/", [0; 16]).protocol("p").extension(Extension::new("e"));
        let pieces = chunks(&sizes, &bytes);
        if let Ok(Some((r, _))) = feed_request(HandshakeLimits::default(), &pieces) {
            if let Err(e) = r.validate_with(|o| o.is_some()) {
                let _ = error_response(&e);
                let _ = e.to_string();
            }
        }
        if let Ok(Some((r, _))) = feed_response(&pieces) {
            let _ = r.validate(&req);
        }
    }

    #[test]
    fn mutated_requests_never_panic_and_errors_map_to_a_status(
        req in client_request(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), interesting_byte()), 1..8),
    ) {
        let input = mutate(req.encode().unwrap(), &edits);
        let result = feed_request(HandshakeLimits::default(), &[input])
            .and_then(|o| o.map(|(r, _)| r.validate()).transpose());
        if let Err(e) = result {
            // Every error a server can meet while reading a request has a 4xx status.
            let s = e.status().expect("server-side error has a status");
            prop_assert!((400..500).contains(&s), "{}", e);
        }
    }

    #[test]
    fn parse_work_is_linear_under_any_chunking(
        req in client_request(),
        pad in 0usize..2000,
        sizes in prop::collection::vec(1usize..8, 1..4),
    ) {
        let mut bytes = req.encode().unwrap();
        bytes.truncate(bytes.len() - 2);
        bytes.extend_from_slice(format!("X-Pad: {}\r\n\r\n", "p".repeat(pad)).as_bytes());
        let mut p = RequestParser::default();
        let mut done = false;
        for piece in chunks(&sizes, &bytes) {
            done |= p.feed(&piece).unwrap().is_some();
        }
        prop_assert!(done);
        prop_assert!(p.work() <= 2 * bytes.len() as u64);
    }
}

/// Feeds `bytes` one byte at a time and returns the parser's work counter.
fn bytewise_work(limits: HandshakeLimits, bytes: &[u8]) -> (u64, Option<Request>) {
    let mut p = RequestParser::new(limits);
    let mut out = None;
    for b in bytes.chunks(1) {
        if let Some(parsed) = p.feed(b).unwrap() {
            out = Some(parsed.value);
        }
    }
    (p.work(), out)
}

const MIB: usize = 1 << 20;

/// 1 MiB of `Sec-WebSocket-Extensions` in one header value, delivered one byte per
/// `feed`: the scanner looks at each byte once and httparse runs once, so the work is
/// about twice the input, where re-parsing per read would be ~MIB²/2.
#[test]
fn header_list_parse_is_linear_for_1_mib_value_in_1_byte_pieces() {
    let mut value = String::with_capacity(MIB);
    while value.len() < MIB {
        value.push_str("x-ext; a=\"b\"; c, ");
    }
    let bytes = format!(
        "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Extensions: {value}\r\n\r\n"
    )
    .into_bytes();
    let limits = HandshakeLimits {
        max_header_bytes: 2 * MIB,
        max_headers: 64,
    };
    let (work, req) = bytewise_work(limits, &bytes);
    assert!(
        work <= 2 * bytes.len() as u64,
        "work {work} for {} bytes",
        bytes.len()
    );
    let up = req.unwrap().validate().unwrap();
    assert!(up.extensions.len() > 50_000);
}

/// The same with 1 MiB spread over many short header lines (raised `max_headers`).
#[test]
fn head_scan_is_linear_for_1_mib_of_headers_in_1_byte_pieces() {
    let mut bytes = b"GET / HTTP/1.1\r\n".to_vec();
    let mut n = 0;
    while bytes.len() < MIB {
        bytes.extend_from_slice(format!("X-H{n}: v\r\n").as_bytes());
        n += 1;
    }
    bytes.extend_from_slice(b"\r\n");
    let limits = HandshakeLimits {
        max_header_bytes: 2 * MIB,
        max_headers: n,
    };
    let (work, req) = bytewise_work(limits, &bytes);
    assert!(
        work <= 2 * bytes.len() as u64,
        "work {work} for {} bytes",
        bytes.len()
    );
    assert_eq!(req.unwrap().headers.len(), n);
}

/// With the default limits the same trickle is cut off at 16 KiB, before buffering more.
#[test]
fn default_limits_stop_a_trickled_oversized_head() {
    let mut p = RequestParser::default();
    let mut fed = 0;
    let err = loop {
        match p.feed(b"a") {
            Ok(None) => fed += 1,
            Ok(Some(_)) => panic!("no head here"),
            Err(e) => break e,
        }
    };
    assert_eq!(err.kind(), HandshakeErrorKind::HeadTooLarge);
    assert_eq!(fed, 16 * 1024 - 1);
    assert!(p.work() <= 16 * 1024);
}
