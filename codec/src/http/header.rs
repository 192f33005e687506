//! RFC 7230 field-value syntax: tokens, comma lists, quoted strings.
//!
//! Built as a forward-only cursor over bytes instead of regular expressions or
//! splitting, because the ReDoS advisories against WebSocket peers came from exactly
//! these headers (`Sec-WebSocket-Extensions`, `Sec-WebSocket-Protocol`): every
//! function here either consumes at least one byte or returns, nothing backtracks
//! and nothing recurses, so parsing is linear in the value length whatever the
//! input. The cursor counts its loop steps (`steps`) so a test can assert that
//! bound instead of timing it. Errors are static strings that the caller wraps in
//! the error kind that fits the header (the WebSocket handshake's, say).
//!
//! List rules (RFC 7230 §7): elements are separated by commas with optional
//! whitespace around them, and empty elements (`a, , b`, a leading or trailing
//! comma) are accepted and skipped ("a recipient MUST accept ... empty list
//! elements"). Several header lines with the same name form one list (RFC 7230
//! §3.2.2), which callers get by parsing each line in turn into one output.

use alloc::borrow::Cow;
use alloc::vec::Vec;

/// A header field as received: the name as sent and the value with surrounding
/// whitespace removed (httparse trims it, RFC 7230 §3.2.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The field name, as sent (compare it case-insensitively).
    pub name: alloc::string::String,
    /// The field value: any bytes httparse allows in a value, including obs-text.
    pub value: Vec<u8>,
}

/// Whether `b` is a `tchar` (RFC 7230 §3.2.6).
pub(crate) const fn is_tchar(b: u8) -> bool {
    matches!(b,
        b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.'
        | b'^' | b'_' | b'`' | b'|' | b'~' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
}

/// The essence of a media type (RFC 9110 §8.3.1; WHATWG MIME Sniffing §4.1):
/// `type "/" subtype` before any parameters, whitespace trimmed, when both are
/// tokens; `None` otherwise. An `Accept` element (a media range) reads the same
/// way. Compared ASCII case-insensitively by the caller.
pub fn media_type_essence(value: &[u8]) -> Option<&[u8]> {
    let end = value.iter().position(|&b| b == b';').unwrap_or(value.len());
    let essence = value[..end].trim_ascii();
    let slash = essence.iter().position(|&b| b == b'/')?;
    let (ty, sub) = (&essence[..slash], &essence[slash + 1..]);
    (is_token(ty) && is_token(sub)).then_some(essence)
}

/// Whether `s` is a non-empty `token` (RFC 7230 §3.2.6): the syntax RFC 6455 requires
/// of subprotocol names (§4.1 item 10), extension names and parameters (§9.1).
pub fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_tchar(b))
}

/// Whether `s` may be sent as a field value: visible ASCII, space, HTAB or obs-text,
/// and no CR, LF, NUL or other control byte (RFC 7230 §3.2: `field-content`). This is
/// the check that stops header injection through builder input.
pub fn is_field_value(s: &[u8]) -> bool {
    s.iter().all(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

/// A forward-only cursor over one field value.
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Loop iterations spent so far, for the linear-work tests.
    pub(crate) steps: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Cursor {
            bytes,
            pos: 0,
            steps: 0,
        }
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    /// Skips `OWS = *( SP / HTAB )`.
    pub(crate) fn skip_ows(&mut self) {
        while let Some(b' ' | b'\t') = self.peek() {
            self.steps += 1;
            self.pos += 1;
        }
    }

    /// Consumes `c` if it is next.
    pub(crate) fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.steps += 1;
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// `token = 1*tchar`.
    pub(crate) fn token(&mut self) -> Result<&'a [u8], &'static str> {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if !is_tchar(b) {
                break;
            }
            self.steps += 1;
            self.pos += 1;
        }
        if self.pos == start {
            return Err(if self.at_end() {
                "expected a token, found the end"
            } else {
                "expected a token"
            });
        }
        Ok(&self.bytes[start..self.pos])
    }

    /// `parameter-value = ( token / quoted-string )` (RFC 9110 §5.6.6): a token
    /// as it stands, a quoted string unescaped.
    pub(crate) fn param_value(&mut self) -> Result<Cow<'a, [u8]>, &'static str> {
        if self.peek() == Some(b'"') {
            self.quoted_string().map(Cow::Owned)
        } else {
            self.token().map(Cow::Borrowed)
        }
    }

    /// `quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE`, unescaped
    /// (RFC 7230 §3.2.6: `quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )`).
    pub(crate) fn quoted_string(&mut self) -> Result<Vec<u8>, &'static str> {
        if !self.eat(b'"') {
            return Err("expected a quoted string");
        }
        let mut out = Vec::new();
        loop {
            self.steps += 1;
            let Some(b) = self.peek() else {
                return Err("unterminated quoted string");
            };
            self.pos += 1;
            match b {
                b'"' => return Ok(out),
                b'\\' => match self.peek() {
                    Some(e) if e == b'\t' || (0x20..=0x7e).contains(&e) || e >= 0x80 => {
                        self.pos += 1;
                        out.push(e);
                    }
                    Some(_) => return Err("invalid escaped byte in quoted string"),
                    None => return Err("unterminated quoted string"),
                },
                // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
                b'\t' | b' ' | 0x21 | 0x23..=0x5b | 0x5d..=0x7e | 0x80..=0xff => out.push(b),
                _ => return Err("invalid byte in quoted string"),
            }
        }
    }
}

/// Parses one line of a comma-separated list (RFC 7230 §7), calling `element` on the
/// cursor at the start of each non-empty element. `element` must consume at least one
/// byte or fail; after it, only OWS then `,` or the end may follow.
pub(crate) fn parse_list<'a>(
    cur: &mut Cursor<'a>,
    mut element: impl FnMut(&mut Cursor<'a>) -> Result<(), &'static str>,
) -> Result<(), &'static str> {
    loop {
        cur.steps += 1;
        cur.skip_ows();
        if cur.at_end() {
            return Ok(());
        }
        // RFC 7230 §7: empty list elements are accepted.
        if cur.eat(b',') {
            continue;
        }
        let before = cur.pos;
        element(cur)?;
        if cur.pos == before {
            return Err("expected a list element");
        }
        cur.skip_ows();
        if cur.at_end() {
            return Ok(());
        }
        if !cur.eat(b',') {
            return Err("expected ',' between list elements");
        }
    }
}

/// The elements of a comma-separated list over every line of a field (RFC 9110
/// §5.6.1), each `token [ "=" ( token / quoted-string ) ]` as it stands in the
/// value: RFC 9111 §5.2's cache directives. Empty elements are skipped; a comma
/// inside a quoted string separates nothing; anything else is an error naming
/// what was expected. A list of plain tokens is [`token_list`].
pub fn list_elements<'a>(
    values: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Vec<&'a [u8]>, &'static str> {
    let mut out = Vec::new();
    for value in values {
        let mut cur = Cursor::new(value);
        parse_list(&mut cur, |c| {
            let start = c.pos;
            c.token()?;
            if c.eat(b'=') {
                c.param_value()?;
            }
            out.push(&value[start..c.pos]);
            Ok(())
        })?;
    }
    Ok(out)
}

/// The elements of a `#token` list over every line of a field (RFC 9110
/// §5.6.1): content codings (§8.4), field names (Fetch's
/// `Access-Control-Allow-Headers`). Empty elements are skipped; an element
/// that is not a token is an error.
pub fn token_list<'a>(
    values: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Vec<&'a [u8]>, &'static str> {
    let mut out = Vec::new();
    parse_token_list(values, &mut out)?;
    Ok(out)
}

/// Parses every line of a `#token` list into `out`.
pub(crate) fn parse_token_list<'a>(
    values: impl IntoIterator<Item = &'a [u8]>,
    out: &mut Vec<&'a [u8]>,
) -> Result<(), &'static str> {
    for value in values {
        let mut cur = Cursor::new(value);
        parse_list(&mut cur, |c| {
            out.push(c.token()?);
            Ok(())
        })?;
    }
    Ok(())
}

/// Whether a `#token` list (all lines) contains `wanted`, ASCII case-insensitively.
/// `versioned` allows `token "/" token` elements as in `Upgrade` (RFC 7230 §6.7:
/// `protocol = protocol-name ["/" protocol-version]`); such an element never equals
/// a bare token. Returns `(found, number of elements)` or a syntax error.
pub(crate) fn list_contains<'a>(
    values: impl IntoIterator<Item = &'a [u8]>,
    wanted: &str,
    versioned: bool,
) -> Result<(bool, usize), &'static str> {
    let mut found = false;
    let mut count = 0usize;
    for value in values {
        let mut cur = Cursor::new(value);
        parse_list(&mut cur, |c| {
            let name = c.token()?;
            let mut whole = true;
            if versioned && c.eat(b'/') {
                c.token()?;
                whole = false;
            }
            count += 1;
            found |= whole && name.eq_ignore_ascii_case(wanted.as_bytes());
            Ok(())
        })?;
    }
    Ok((found, count))
}

/// The values of every header named `name` (ASCII case-insensitive), in order.
pub(crate) fn values<'h>(
    headers: &'h [Header],
    name: &'h str,
) -> impl Iterator<Item = &'h [u8]> + 'h {
    headers
        .iter()
        .filter(move |h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_slice())
}

/// The value of the header `name` if it appears exactly once; `Err(count)` otherwise.
pub(crate) fn single<'h>(headers: &'h [Header], name: &'h str) -> Result<&'h [u8], usize> {
    let mut it = values(headers, name);
    match (it.next(), it.next()) {
        (Some(v), None) => Ok(v),
        (None, _) => Err(0),
        (Some(_), Some(_)) => Err(2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn tokens(v: &[u8]) -> Result<Vec<&[u8]>, &'static str> {
        let mut out = Vec::new();
        parse_token_list([v], &mut out)?;
        Ok(out)
    }

    /// RFC 9110 §8.3.1: type "/" subtype, parameters ignored, both tokens.
    #[test]
    fn media_type_essence_is_type_and_subtype_only() {
        assert_eq!(
            media_type_essence(b"text/event-stream"),
            Some(&b"text/event-stream"[..])
        );
        assert_eq!(
            media_type_essence(b" Text/Event-Stream ; charset=utf-8"),
            Some(&b"Text/Event-Stream"[..])
        );
        assert_eq!(
            media_type_essence(b"text/event-stream;q=0.9"),
            Some(&b"text/event-stream"[..])
        );
        assert_eq!(media_type_essence(b"text"), None);
        assert_eq!(media_type_essence(b"text/"), None);
        assert_eq!(media_type_essence(b"te xt/plain"), None);
        assert_eq!(media_type_essence(b""), None);
    }

    #[test]
    fn token_lists_with_empty_elements() {
        assert_eq!(tokens(b"a, b").unwrap(), vec![&b"a"[..], b"b"]);
        assert_eq!(tokens(b" ,a,,\t, b ,").unwrap(), vec![&b"a"[..], b"b"]);
        assert_eq!(tokens(b"").unwrap(), Vec::<&[u8]>::new());
        assert!(tokens(b"a b").is_err());
        assert!(tokens(b"a;b").is_err());
        assert!(tokens(b"\"a\"").is_err());
    }

    #[test]
    fn contains_is_case_insensitive_and_versioned() {
        assert_eq!(
            list_contains([&b"keep-alive, UPGRADE"[..]], "upgrade", false),
            Ok((true, 2))
        );
        assert_eq!(
            list_contains([&b"websocket/13"[..]], "websocket", true),
            Ok((false, 1))
        );
        assert_eq!(
            list_contains([&b"h2c, WebSocket"[..]], "websocket", true),
            Ok((true, 2))
        );
        assert!(list_contains([&b"websocket/"[..]], "websocket", true).is_err());
        assert_eq!(
            list_contains([&b"foo"[..], &b"Upgrade"[..]], "upgrade", false),
            Ok((true, 2))
        );
    }

    #[test]
    fn quoted_strings_unescape() {
        let mut c = Cursor::new(br#""a\"b\\c d""#);
        assert_eq!(c.quoted_string().unwrap(), b"a\"b\\c d".to_vec());
        assert!(c.at_end());
        assert!(Cursor::new(b"\"abc").quoted_string().is_err());
        assert!(Cursor::new(b"\"ab\\").quoted_string().is_err());
        assert!(Cursor::new(b"\"a\x01b\"").quoted_string().is_err());
        assert!(Cursor::new(b"\"a\\\x7fb\"").quoted_string().is_err());
    }

    #[test]
    fn field_values_reject_injection() {
        assert!(is_field_value(b"a b\tc\x80"));
        assert!(!is_field_value(b"a\r\nX: y"));
        assert!(!is_field_value(b"a\0"));
        assert!(!is_field_value(b"a\x7f"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Work is bounded by a constant times the input, whatever the bytes.
        #[test]
        fn header_list_parse_is_linear(v in proptest::collection::vec(
            proptest::sample::select(&b"a,; =\"\\\t/x"[..]), 0..2000)) {
            let mut cur = Cursor::new(&v);
            let _ = parse_list(&mut cur, |c| { c.token()?; if c.eat(b'"') { c.quoted_string()?; } Ok(()) });
            proptest::prop_assert!(cur.steps <= 3 * v.len() + 2);
        }

        /// Arbitrary bytes never panic.
        #[test]
        fn arbitrary_values_never_panic(v in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = tokens(&v);
            let _ = list_contains([v.as_slice()], "websocket", true);
            let _ = Cursor::new(&v).quoted_string();
        }
    }
}
