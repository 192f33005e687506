//! `Sec-WebSocket-Extensions`: parse, format, and the name-level negotiation rules.
//!
//! The grammar is RFC 6455 §9.1, written in RFC 2616 ABNF (so whitespace is allowed
//! around `;` and `=`):
//!
//! ```text
//! Sec-WebSocket-Extensions = extension-list
//! extension-list = 1#extension
//! extension = extension-token *( ";" extension-param )
//! extension-param = token [ "=" (token | quoted-string) ]
//! ```
//!
//! with the rule that a quoted value, once unescaped, "MUST conform to the 'token'
//! ABNF". The parser is the single-pass cursor of [`header`](super::header), so it is
//! linear on any input (ReDoS in this header is a known class of peer bugs). What a
//! parameter *means* belongs to the extension (permessage-deflate lives elsewhere);
//! this module only enforces the syntax and the §9.1 / §4.1 rule that a server may
//! answer only with extensions the client offered.

use alloc::string::String;
use alloc::vec::Vec;

use super::error::{HandshakeError, HandshakeErrorKind};
use super::header::{Cursor, is_token, parse_list};

/// One element of `Sec-WebSocket-Extensions`: an extension name and its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Extension {
    /// The extension token, e.g. `permessage-deflate`.
    pub name: String,
    /// Parameters in order: name and, if given, the value (unescaped when it was a
    /// quoted string; always a token).
    pub params: Vec<(String, Option<String>)>,
}

impl Extension {
    /// An extension without parameters.
    pub fn new(name: &str) -> Self {
        Extension {
            name: name.into(),
            params: Vec::new(),
        }
    }

    /// Adds a parameter (builder style).
    pub fn param(mut self, name: &str, value: Option<&str>) -> Self {
        self.params.push((name.into(), value.map(Into::into)));
        self
    }

    /// Whether every name and value is a token, as §9.1 requires.
    pub fn is_valid(&self) -> bool {
        is_token(self.name.as_bytes())
            && self.params.iter().all(|(n, v)| {
                is_token(n.as_bytes()) && v.as_ref().is_none_or(|v| is_token(v.as_bytes()))
            })
    }
}

/// One `extension` element at the cursor (RFC 6455 §9.1).
fn extension(cur: &mut Cursor<'_>) -> Result<Extension, &'static str> {
    let name = cur.token()?;
    let mut ext = Extension {
        name: ascii(name),
        params: Vec::new(),
    };
    loop {
        cur.steps += 1;
        cur.skip_ows();
        if !cur.eat(b';') {
            return Ok(ext);
        }
        cur.skip_ows();
        let pname = ascii(cur.token()?);
        cur.skip_ows();
        let value = if cur.eat(b'=') {
            cur.skip_ows();
            let raw = cur.param_value()?;
            // RFC 6455 §9.1: "the value after quoted-string unescaping MUST conform
            // to the 'token' ABNF".
            if !is_token(&raw) {
                return Err("parameter value is not a token after unescaping");
            }
            Some(ascii(&raw))
        } else {
            None
        };
        ext.params.push((pname, value));
    }
}

/// Tokens are ASCII, so this never loses anything.
fn ascii(token: &[u8]) -> String {
    token.iter().map(|&b| b as char).collect()
}

/// Parses all `Sec-WebSocket-Extensions` lines (combined as one list, RFC 7230
/// §3.2.2) into the offered or accepted extensions, in order. `Ok(vec![])` when there
/// are no lines. A line with no element at all breaks `1#extension`.
pub fn parse_extensions<'a>(
    values: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Vec<Extension>, &'static str> {
    let mut out = Vec::new();
    let mut lines = 0usize;
    for value in values {
        lines += 1;
        let mut cur = Cursor::new(value);
        parse_list(&mut cur, |c| {
            out.push(extension(c)?);
            Ok(())
        })?;
    }
    if lines > 0 && out.is_empty() {
        return Err("empty extension list");
    }
    Ok(out)
}

/// Formats extensions as one `Sec-WebSocket-Extensions` value (`a; p=v, b`).
/// Fails with [`HandshakeErrorKind::InvalidExtension`] if a name or value is not a
/// token (§9.1), which also rules out header injection.
pub fn format_extensions(extensions: &[Extension]) -> Result<String, HandshakeError> {
    let mut out = String::new();
    for (i, ext) in extensions.iter().enumerate() {
        if !ext.is_valid() {
            return Err(HandshakeError::new(
                HandshakeErrorKind::InvalidExtension,
                "name or parameter is not a token",
            ));
        }
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&ext.name);
        for (name, value) in &ext.params {
            out.push_str("; ");
            out.push_str(name);
            if let Some(v) = value {
                out.push('=');
                out.push_str(v);
            }
        }
    }
    Ok(out)
}

/// Whether an extension named `name` is among `offered` (names compare byte for byte).
pub fn is_offered(offered: &[Extension], name: &str) -> bool {
    offered.iter().any(|e| e.name == name)
}

/// A simple server-side policy: for each name in `supported`, accept the client's
/// first offer of that name with its parameters echoed back (§9.1: the client lists
/// offers in order of preference). Extensions whose parameters need real negotiation
/// (permessage-deflate) should use their own logic instead.
pub fn accept_by_name(offered: &[Extension], supported: &[&str]) -> Vec<Extension> {
    let mut out: Vec<Extension> = Vec::new();
    for ext in offered {
        if supported.contains(&ext.name.as_str()) && !is_offered(&out, &ext.name) {
            out.push(ext.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn parse(v: &str) -> Result<Vec<Extension>, &'static str> {
        parse_extensions([v.as_bytes()])
    }

    #[test]
    fn rfc_9_1_grammar() {
        let e = parse("permessage-deflate; client_max_window_bits, x-foo ;a = \"b\" ;c").unwrap();
        assert_eq!(
            e,
            vec![
                Extension::new("permessage-deflate").param("client_max_window_bits", None),
                Extension::new("x-foo")
                    .param("a", Some("b"))
                    .param("c", None),
            ]
        );
        assert_eq!(
            parse("a; b=\"1\\0\"").unwrap()[0].params[0].1.as_deref(),
            Some("10")
        );
        assert!(
            parse("a; b=\"1 0\"").is_err(),
            "unescaped value must be a token"
        );
        assert!(parse("a;").is_err());
        assert!(parse("a; =1").is_err());
        assert!(parse("a; b=").is_err());
        assert!(parse("a b").is_err());
        assert!(parse(";a").is_err());
        assert!(parse("a, ,b,").unwrap().len() == 2);
        assert!(parse(" , ").is_err(), "1#extension needs one element");
        assert_eq!(parse_extensions([]).unwrap(), vec![]);
        assert_eq!(parse_extensions([&b"a"[..], b"b; x"]).unwrap().len(), 2);
    }

    #[test]
    fn format_round_trips() {
        let exts = vec![
            Extension::new("permessage-deflate").param("server_max_window_bits", Some("10")),
            Extension::new("b"),
        ];
        let s = format_extensions(&exts).unwrap();
        assert_eq!(s, "permessage-deflate; server_max_window_bits=10, b");
        assert_eq!(parse(&s).unwrap(), exts);
        assert!(format_extensions(&[Extension::new("a\r\nX: y")]).is_err());
        assert!(format_extensions(&[Extension::new("a").param("b", Some("1 0"))]).is_err());
    }

    #[test]
    fn accept_by_name_takes_first_offer() {
        let offered = parse("a; x=1, b, a; x=2").unwrap();
        assert_eq!(
            accept_by_name(&offered, &["a"]),
            vec![Extension::new("a").param("x", Some("1"))]
        );
        assert!(accept_by_name(&offered, &["c"]).is_empty());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        #[test]
        fn extension_parse_is_linear_and_never_panics(v in proptest::collection::vec(
            proptest::sample::select(&b"a,; =\"\\\t/x\x80"[..]), 0..2000)) {
            let mut cur = Cursor::new(&v);
            let _ = parse_list(&mut cur, |c| { extension(c)?; Ok(()) });
            proptest::prop_assert!(cur.steps <= 3 * v.len() + 2);
        }
    }
}
