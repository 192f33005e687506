//! The HTTP/1.1 a client of an event stream needs, as small sans-IO pieces the
//! observer drives: the request bytes, the response head (httparse, bounded), the
//! body framing (RFC 9112 §6: chunked, `Content-Length`, or close-delimited) and the
//! content coding (RFC 9110 §8.4: gzip and deflate via flate2).
//!
//! Each piece takes bytes as they arrive and gives back what they complete, so the
//! observer can time every event by the read that delivered it. Nothing here
//! allocates by a length the server announces: chunk sizes and `Content-Length`
//! are counted down, never reserved.

use std::io::Write;

use flate2::write::{DeflateDecoder, GzDecoder, ZlibDecoder};
use wirecheck_codec::http;
pub use wirecheck_codec::http::Framing;

/// The largest response head accepted, in bytes.
pub const MAX_HEAD: usize = 16 * 1024;
/// The most header fields accepted in a response head.
pub const MAX_HEADERS: usize = 64;

/// One of the codec's list readers ([`http::list_elements`], [`http::token_list`]).
type ListParser<'a> = fn(Vec<&'a [u8]>) -> Result<Vec<&'a [u8]>, &'static str>;

/// A parsed response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// `1` for HTTP/1.1, `0` for HTTP/1.0, `2` for HTTP/2.
    pub version: u8,
    /// The status code.
    pub status: u16,
    /// The reason phrase.
    pub reason: String,
    /// The header fields in order, names as sent, values lossily decoded.
    pub headers: Vec<(String, String)>,
    /// The head as received, lossily decoded (for reports).
    pub raw: String,
}

impl Head {
    /// The first value of a header field (names compare case-insensitively).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header field, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The directives of every value of a list header, lower-cased, each a
    /// token with an optional `=value` (the codec's [`http::list_elements`],
    /// RFC 9111 §5.2's grammar); or why the list is not one.
    pub fn list(&self, name: &str) -> Result<Vec<String>, String> {
        self.parsed(name, http::list_elements)
    }

    /// The tokens of every value of a `#token` list header, lower-cased (the
    /// codec's [`http::token_list`]: content codings, field names); or why the
    /// list is not one.
    pub fn tokens(&self, name: &str) -> Result<Vec<String>, String> {
        self.parsed(name, http::token_list)
    }

    /// The field `name` read by `parse`, lower-cased, or why not, with the
    /// field as received (RFC 9110 §5.6.1).
    fn parsed<'a>(&'a self, name: &'a str, parse: ListParser<'a>) -> Result<Vec<String>, String> {
        parse(self.all(name).map(str::as_bytes).collect())
            .map(|members| {
                members
                    .iter()
                    .map(|m| String::from_utf8_lossy(m).to_ascii_lowercase())
                    .collect()
            })
            .map_err(|e| {
                format!(
                    "{name}: {:?} is not a valid list ({e}, RFC 9110 §5.6.1)",
                    self.all(name).collect::<Vec<_>>().join(", ")
                )
            })
    }

    /// The MIME type essence of `Content-Type` (type/subtype, lower-cased, without
    /// parameters), if the header is present and well-formed (WHATWG MIME Sniffing
    /// "parse a MIME type", reduced to what the essence needs).
    pub fn mime_essence(&self) -> Option<String> {
        let v = self.get("content-type")?;
        let essence = http::media_type_essence(v.as_bytes())?;
        Some(String::from_utf8_lossy(essence).to_ascii_lowercase())
    }
}

/// Why a response head was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadError {
    /// More than [`MAX_HEAD`] bytes without the end of the head: wirecheck's own
    /// limit (RFC 9112 sets none).
    TooLarge,
    /// Not HTTP/1.x, or malformed (httparse's reason).
    Malformed(String),
}

impl std::fmt::Display for HeadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeadError::TooLarge => write!(
                f,
                "the response head exceeded wirecheck's {} head limit without ending",
                size(MAX_HEAD as u64)
            ),
            HeadError::Malformed(why) => write!(f, "malformed response head: {why}"),
        }
    }
}

/// Reads the response head with the codec's HTTP layer
/// ([`wirecheck_codec::http::ResponseParser`]): each byte looked at once, the
/// first byte no valid head can contain fails on the read that delivers it, and
/// nothing beyond [`MAX_HEAD`] bytes or [`MAX_HEADERS`] fields is kept. `feed`
/// returns the head and how many bytes of the last input belong to it.
#[derive(Debug)]
pub struct HeadReader {
    parser: http::ResponseParser,
    /// The head as received so far (for the report), at most [`MAX_HEAD`] bytes.
    raw: Vec<u8>,
}

impl Default for HeadReader {
    fn default() -> Self {
        HeadReader {
            parser: http::ResponseParser::new(http::HeadLimits {
                max_header_bytes: MAX_HEAD,
                max_headers: MAX_HEADERS,
            }),
            raw: Vec::new(),
        }
    }
}

impl HeadReader {
    /// Feed bytes; `Ok(Some((head, used)))` once complete, where `used` bytes of
    /// this input were the head's and the rest is body.
    pub fn feed(&mut self, input: &[u8]) -> Result<Option<(Head, usize)>, HeadError> {
        let parsed = self.parser.feed(input).map_err(|e| match e.kind() {
            http::HeadErrorKind::HeadTooLarge => HeadError::TooLarge,
            http::HeadErrorKind::TooManyHeaders => {
                HeadError::Malformed(format!("more than {MAX_HEADERS} header fields"))
            }
            _ => HeadError::Malformed(e.to_string()),
        });
        let kept = match &parsed {
            Ok(Some(p)) => p.consumed,
            _ => input.len(),
        };
        let room = MAX_HEAD.saturating_sub(self.raw.len());
        self.raw.extend_from_slice(&input[..kept.min(room)]);
        let Some(p) = parsed? else {
            return Ok(None);
        };
        let r = p.value;
        let head = Head {
            version: r.version,
            status: r.status,
            reason: r.reason,
            headers: r
                .headers
                .iter()
                .map(|h| {
                    (
                        h.name.clone(),
                        String::from_utf8_lossy(&h.value).into_owned(),
                    )
                })
                .collect(),
            raw: String::from_utf8_lossy(&self.raw).into_owned(),
        };
        Ok(Some((head, p.consumed)))
    }

    /// The work done so far: bytes examined, by the scan and by httparse.
    pub fn work(&self) -> u64 {
        self.parser.work()
    }
}

/// A size for messages: `4 MiB`, `16 KiB`, or bytes.
pub fn size(n: u64) -> String {
    match n {
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

/// A value from the server for a one-line message: quoted, control characters
/// escaped, at most 64 characters.
pub fn quoted(value: &str) -> String {
    let mut out: String = value.chars().take(64).collect::<String>();
    if value.chars().nth(64).is_some() {
        out.push('…');
    }
    format!("\"{}\"", out.escape_debug())
}

/// The body length `Content-Length` announces (RFC 9112 §6.3 item 5, RFC 9110
/// §8.6; [`http::body::content_length`]): `Ok(None)` without one.
pub fn content_length(head: &Head) -> Result<Option<u64>, String> {
    http::body::content_length(head.all("content-length").map(str::as_bytes))
        .map_err(|e| e.to_string())
}

/// The framing of the response to a GET (RFC 9112 §6.3, [`Framing::response`]).
pub fn response_framing(head: &Head) -> Result<Framing, String> {
    Framing::response(
        head.status,
        false,
        head.all("transfer-encoding").map(str::as_bytes),
        head.all("content-length").map(str::as_bytes),
    )
    .map_err(|e| e.to_string())
}

/// Take transport bytes, append the body bytes they carry to `out` ([`Framing::take`]).
/// Returns `Ok(true)` when the body is complete (bytes after its end are ignored).
pub fn decode_body(framing: &mut Framing, input: &[u8], out: &mut Vec<u8>) -> Result<bool, String> {
    framing
        .take(input, out)
        .map(|(_, done)| done)
        .map_err(|e| match e {
            http::ChunkError::BadSize(line) => format!(
                "invalid chunk-size line {}",
                quoted(&String::from_utf8_lossy(&line))
            ),
            other => other.to_string(),
        })
}

/// The content coding of a response body (RFC 9110 §8.4.1).
pub enum Coding {
    /// No coding.
    Identity,
    /// `gzip`.
    Gzip(Box<GzDecoder<Vec<u8>>>),
    /// `deflate`: the zlib format (RFC 9110 §8.4.1.2), or raw DEFLATE.
    Deflate(Box<Inflate>),
    /// A coding wirecheck cannot decode (its name).
    Unsupported(String),
}

impl std::fmt::Debug for Coding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Coding {
    /// The coding named by `Content-Encoding` (the last one applied is decoded
    /// first; more than one coding is reported as unsupported).
    pub fn of(head: &Head) -> Coding {
        let codings = match head.tokens("content-encoding") {
            Ok(codings) => codings,
            Err(why) => return Coding::Unsupported(why),
        };
        match codings.as_slice() {
            [] => Coding::Identity,
            [c] if c == "identity" => Coding::Identity,
            [c] if c == "gzip" || c == "x-gzip" => {
                Coding::Gzip(Box::new(GzDecoder::new(Vec::new())))
            }
            [c] if c == "deflate" => Coding::Deflate(Box::new(Inflate::Sniffing(Vec::new()))),
            _ => Coding::Unsupported(codings.join(", ")),
        }
    }

    /// Its name in reports.
    pub fn name(&self) -> &str {
        match self {
            Coding::Identity => "identity",
            Coding::Gzip(_) => "gzip",
            Coding::Deflate(_) => "deflate",
            Coding::Unsupported(name) => name,
        }
    }

    /// Whether a `deflate` body has turned out to be raw DEFLATE, not zlib.
    pub fn is_raw_deflate(&self) -> bool {
        matches!(self, Coding::Deflate(d) if matches!(**d, Inflate::Raw(_)))
    }

    /// Decode the next body bytes into `out`; everything the decoder can produce
    /// from them now is produced now (a server that flushes per event is decodable
    /// per event).
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        fn run<W: Write>(d: &mut W, input: &[u8]) -> std::io::Result<()> {
            d.write_all(input)?;
            d.flush()
        }
        match self {
            Coding::Identity | Coding::Unsupported(_) => {
                out.extend_from_slice(input);
                Ok(())
            }
            Coding::Gzip(d) => {
                run(d.as_mut(), input).map_err(|e| format!("gzip: {e}"))?;
                out.append(d.get_mut());
                Ok(())
            }
            Coding::Deflate(d) => {
                let input = match d.as_mut() {
                    Inflate::Sniffing(head) => {
                        head.extend_from_slice(input);
                        let [cmf, flg, ..] = head[..] else {
                            return Ok(());
                        };
                        let head = core::mem::take(head);
                        **d = if is_zlib_header(cmf, flg) {
                            Inflate::Zlib(ZlibDecoder::new(Vec::new()))
                        } else {
                            Inflate::Raw(DeflateDecoder::new(Vec::new()))
                        };
                        return self.decode(&head, out);
                    }
                    _ => input,
                };
                let produced = match d.as_mut() {
                    Inflate::Zlib(z) => run(z, input).map(|()| z.get_mut()),
                    Inflate::Raw(r) => run(r, input).map(|()| r.get_mut()),
                    Inflate::Sniffing(_) => unreachable!("decided above"),
                };
                out.append(produced.map_err(|e| format!("deflate: {e}"))?);
                Ok(())
            }
        }
    }
}

/// The decoder of a `deflate` body. RFC 9110 §8.4.1.2 defines `deflate` as the
/// zlib format (RFC 1950), but servers have long sent raw DEFLATE (RFC 1951) under
/// that name, and browsers accept both: like them, the first two bytes decide.
pub enum Inflate {
    /// Fewer than two bytes seen yet.
    Sniffing(Vec<u8>),
    /// A zlib header: the format the RFC names.
    Zlib(ZlibDecoder<Vec<u8>>),
    /// No zlib header: raw DEFLATE.
    Raw(DeflateDecoder<Vec<u8>>),
}

/// RFC 1950 §2.2: CM = 8 (deflate), CINFO <= 7, and CMF·256 + FLG a multiple of 31.
fn is_zlib_header(cmf: u8, flg: u8) -> bool {
    cmf & 0x0F == 8 && cmf >> 4 <= 7 && (u16::from(cmf) << 8 | u16::from(flg)) % 31 == 0
}

/// A request: the method, the target and the header fields after `Host`,
/// written by the codec's HTTP layer, which checks every field first (RFC 9110
/// §5.1, §5.5): the options that feed it were checked before any traffic.
pub fn request(
    method: &str,
    path: &str,
    host: &str,
    headers: &[(String, String)],
) -> Result<Vec<u8>, http::InvalidField> {
    let mut out = Vec::new();
    let fields = std::iter::once(("Host", host))
        .chain(headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    http::write_head(&mut out, &format!("{method} {path} HTTP/1.1"), fields)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(raw: &str) -> Head {
        let mut r = HeadReader::default();
        r.feed(raw.as_bytes()).unwrap().unwrap().0
    }

    #[test]
    fn heads_are_read_across_chunks_and_bounded() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: x";
        let mut r = HeadReader::default();
        assert_eq!(r.feed(&raw[..10]).unwrap(), None);
        let (h, used) = r.feed(&raw[10..]).unwrap().unwrap();
        assert_eq!(h.status, 200);
        assert_eq!(&raw[10 + used..], b"data: x");
        let mut r = HeadReader::default();
        let big = format!("HTTP/1.1 200 OK\r\nX: {}\r\n", "a".repeat(MAX_HEAD));
        assert_eq!(r.feed(big.as_bytes()), Err(HeadError::TooLarge));
    }

    #[test]
    fn a_head_fed_a_byte_at_a_time_costs_linear_work() {
        // Just under the limit: 63 fields of ~250 bytes.
        let mut raw = String::from("HTTP/1.1 200 OK\r\n");
        for i in 0..63 {
            raw.push_str(&format!("X-Field-{i}: {}\r\n", "v".repeat(240)));
        }
        raw.push_str("\r\n");
        assert!(raw.len() < MAX_HEAD && raw.len() > 15_000);
        let mut r = HeadReader::default();
        let mut done = None;
        for (i, b) in raw.as_bytes().iter().enumerate() {
            if let Some((h, used)) = r.feed(std::slice::from_ref(b)).unwrap() {
                done = Some((i, h, used));
                break;
            }
        }
        let (i, h, used) = done.expect("the head completes");
        assert_eq!((i, used), (raw.len() - 1, 1));
        assert_eq!(h.headers.len(), 63);
        // Each byte scanned once plus one httparse pass: about 2n, never n²/2 (the
        // old reader re-parsed the whole buffer on every read: ~60 million here).
        let n = raw.len() as u64;
        assert!(r.work() <= 2 * n + 16, "work {} for {n} bytes", r.work());
    }

    #[test]
    fn the_end_of_the_head_is_found_however_it_is_split() {
        for raw in [
            &b"HTTP/1.1 200 OK\r\nA: b\r\n\r\nBODY"[..],
            b"HTTP/1.1 200 OK\nA: b\n\nBODY",
            b"HTTP/1.1 200 OK\nA: b\n\r\nBODY",
            b"\r\n\r\nHTTP/1.1 200 OK\r\nA: b\r\n\r\nBODY",
        ] {
            for a in 0..raw.len() {
                for b in a..raw.len() {
                    let mut r = HeadReader::default();
                    let mut got = None;
                    let mut offset = 0;
                    for piece in [&raw[..a], &raw[a..b], &raw[b..]] {
                        if let Some((h, used)) = r.feed(piece).unwrap() {
                            got = Some((h, offset + used));
                            break;
                        }
                        offset += piece.len();
                    }
                    let (h, end) = got.expect("complete");
                    assert_eq!(h.get("a"), Some("b"));
                    assert_eq!(&raw[end..], b"BODY", "split at {a}, {b}");
                }
            }
        }
    }

    #[test]
    fn heads_over_the_limit_are_refused_without_keeping_them() {
        let mut r = HeadReader::default();
        let line = format!("X: {}\r\n", "a".repeat(1000));
        assert_eq!(r.feed(b"HTTP/1.1 200 OK\r\n"), Ok(None));
        let mut result = Ok(None);
        for _ in 0..100 {
            result = r.feed(line.as_bytes());
            if result.is_err() {
                break;
            }
        }
        assert_eq!(result, Err(HeadError::TooLarge));
        assert!(r.raw.len() <= MAX_HEAD);
        assert!(
            HeadError::TooLarge
                .to_string()
                .contains("16 KiB head limit")
        );
        // Empty lines alone never end a head, and are bounded too: a head takes
        // at most MAX_HEAD bytes, its final empty line included.
        let mut r = HeadReader::default();
        assert_eq!(r.feed(&[b'\n'; MAX_HEAD - 1]), Ok(None));
        assert_eq!(r.feed(b"\n"), Err(HeadError::TooLarge));
        let mut r = HeadReader::default();
        assert!(matches!(
            r.feed(b"NOT HTTP\r\n\r\n"),
            Err(HeadError::Malformed(_))
        ));
    }

    #[test]
    fn content_length_is_digits_that_fit() {
        let cl = |v: &str| {
            content_length(&head(&format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {v}\r\n\r\n"
            )))
        };
        assert_eq!(cl("42"), Ok(Some(42)));
        assert_eq!(cl("7, 7"), Ok(Some(7)));
        for bad in ["99999999999999999999", "-1", "+5", "0x10", "1 2", "7, 8"] {
            let e = cl(bad).unwrap_err();
            assert!(e.contains("RFC 9112 §6.3"), "{bad}: {e}");
        }
        assert!(
            cl("99999999999999999999")
                .unwrap_err()
                .contains("\"99999999999999999999\"")
        );
        assert_eq!(content_length(&head("HTTP/1.1 200 OK\r\n\r\n")), Ok(None));
    }

    #[test]
    fn the_mime_essence_ignores_parameters_and_case() {
        let h = head("HTTP/1.1 200 OK\r\nContent-Type: Text/Event-Stream ; charset=utf-8\r\n\r\n");
        assert_eq!(h.mime_essence().as_deref(), Some("text/event-stream"));
        let h = head("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream;\r\n\r\n");
        assert_eq!(h.mime_essence().as_deref(), Some("text/event-stream"));
        let h = head("HTTP/1.1 200 OK\r\nContent-Type: event-stream\r\n\r\n");
        assert_eq!(h.mime_essence(), None);
    }

    #[test]
    fn a_body_that_does_not_decode_is_named() {
        // Any chunking, the body's end and RFC 9112 §6.3 are the codec's
        // (`wirecheck_codec::http::body`); here the reasons the reports show.
        use wirecheck_codec::http::Chunked;
        let mut f = Framing::Chunked(Chunked::default());
        let e = decode_body(&mut f, b"zz\r\n", &mut Vec::new()).unwrap_err();
        assert_eq!(e, "invalid chunk-size line \"zz\"");
        let mut f = Framing::Chunked(Chunked::default());
        let e = decode_body(&mut f, b"2\r\nabX", &mut Vec::new()).unwrap_err();
        assert!(e.contains("CRLF"), "{e}");
        let mut f = Framing::Length(2);
        assert_eq!(decode_body(&mut f, b"abc", &mut Vec::new()), Ok(true));
    }

    #[test]
    fn framing_follows_rfc9112() {
        let f = |raw: &str| response_framing(&head(raw)).map(|f| f.name());
        assert_eq!(
            f("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Ok("chunked")
        );
        assert_eq!(
            f("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n"),
            Ok("content-length")
        );
        assert_eq!(f("HTTP/1.1 200 OK\r\n\r\n"), Ok("close-delimited"));
        assert_eq!(f("HTTP/1.1 204 No Content\r\n\r\n"), Ok("content-length"));
        assert!(f("HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\n").is_err());
    }

    #[test]
    fn deflate_is_zlib_or_raw_as_browsers_take_it() {
        use flate2::Compression;
        use flate2::write::{DeflateEncoder, ZlibEncoder};
        let text = b"data: 1\n\ndata: 2\n\n";
        let mut zlib = ZlibEncoder::new(Vec::new(), Compression::default());
        zlib.write_all(text).unwrap();
        let zlib = zlib.finish().unwrap();
        let mut raw = DeflateEncoder::new(Vec::new(), Compression::default());
        raw.write_all(text).unwrap();
        let raw = raw.finish().unwrap();
        let h = head("HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\n\r\n");
        for (wire, is_raw) in [(&zlib, false), (&raw, true)] {
            // The first read may hold a single byte: the choice waits for two.
            for cut in [1, 2, 3, wire.len()] {
                let mut c = Coding::of(&h);
                let mut out = Vec::new();
                c.decode(&wire[..cut], &mut out).unwrap();
                c.decode(&wire[cut..], &mut out).unwrap();
                assert_eq!(out, text, "raw {is_raw} cut at {cut}");
                assert_eq!(c.is_raw_deflate(), is_raw);
                assert_eq!(c.name(), "deflate");
            }
        }
        // A zlib header is what RFC 1950 §2.2 says it is.
        assert!(is_zlib_header(0x78, 0x9C));
        assert!(is_zlib_header(0x78, 0x01));
        assert!(!is_zlib_header(0x78, 0x9D));
        assert!(!is_zlib_header(0x79, 0x9C));
        let mut c = Coding::of(&h);
        assert!(
            c.decode(&[0x78, 0x9C, 0xFF, 0xFF, 0xFF], &mut Vec::new())
                .is_err()
        );
    }

    #[test]
    fn gzip_flushed_per_event_decodes_per_event() {
        use flate2::{Compression, write::GzEncoder};
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        let mut wire = Vec::new();
        let mut cuts = Vec::new();
        for ev in ["data: 1\n\n", "data: 2\n\n"] {
            enc.write_all(ev.as_bytes()).unwrap();
            enc.flush().unwrap();
            wire.append(enc.get_mut());
            cuts.push(wire.len());
        }
        let h = head("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n");
        let mut c = Coding::of(&h);
        let mut out = Vec::new();
        c.decode(&wire[..cuts[0]], &mut out).unwrap();
        assert_eq!(out, b"data: 1\n\n");
        c.decode(&wire[cuts[0]..], &mut out).unwrap();
        assert_eq!(out, b"data: 1\n\ndata: 2\n\n");
    }
}
