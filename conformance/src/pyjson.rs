//! JSON text byte-identical to what Autobahn writes with Python's
//! `json.dumps(obj, sort_keys=True, indent=3, separators=(',', ': '))`.
//!
//! Downstream CI diffs Autobahn's `index.json` as text (tungstenite-rs compares
//! the whole file after a `jq` filter), so "equivalent JSON" is not enough: the
//! indentation, the separators, the escapes and the number forms must be
//! Python's. serde_json's pretty printer differs in three ways that matter here
//! (it writes non-ASCII characters raw, escapes control characters differently
//! and prints floats in another form), so this is a small writer of its own.
//!
//! Key order is the map's own order: the builders insert keys in the order
//! Python's `sort_keys=True` produces (see [`sorted_object`]), which for the
//! integer-keyed statistics maps is numeric, not textual (Python sorts the `int`
//! keys before turning them into strings).

use serde_json::{Map, Number, Value};

/// The indent Autobahn uses.
const INDENT: &str = "   ";

/// Serialise `value` as Python's `json.dumps(value, indent=3,
/// separators=(',', ': '), ensure_ascii=True)` does, keeping map order. No
/// trailing newline.
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, 0);
    out
}

/// An object whose keys are in the order Python's `sort_keys=True` gives for
/// string keys: by code point, which is byte order for UTF-8.
pub fn sorted_object(pairs: impl IntoIterator<Item = (String, Value)>) -> Value {
    let mut pairs: Vec<(String, Value)> = pairs.into_iter().collect();
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    Value::Object(pairs.into_iter().collect::<Map<String, Value>>())
}

fn newline(out: &mut String, level: usize) {
    out.push('\n');
    for _ in 0..level {
        out.push_str(INDENT);
    }
}

fn write_value(out: &mut String, value: &Value, level: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_str(out, s),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, level + 1);
                write_value(out, item, level + 1);
            }
            newline(out, level);
            out.push(']');
        }
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, level + 1);
                write_str(out, key);
                out.push_str(": ");
                write_value(out, item, level + 1);
            }
            newline(out, level);
            out.push('}');
        }
    }
}

fn write_number(out: &mut String, n: &Number) {
    if let Some(i) = n.as_i64() {
        out.push_str(&i.to_string());
    } else if let Some(u) = n.as_u64() {
        out.push_str(&u.to_string());
    } else if let Some(f) = n.as_f64() {
        out.push_str(&float_repr(f));
    }
}

/// Python's `repr(float)`: the shortest digits that round-trip, in fixed
/// notation when the decimal exponent is in -4..16 (always with a fractional
/// part: `1.0`), otherwise as `1e+16` / `1e-05` (a sign and two or more digits).
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0" } else { "0.0" }.to_owned();
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "-1.2345e-7".
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if (-4..16).contains(&exp) {
        let point = exp + 1; // digits before the decimal point
        let body = if point <= 0 {
            format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
        } else {
            let point = point as usize;
            if digits.len() > point {
                format!("{}.{}", &digits[..point], &digits[point..])
            } else {
                format!("{digits}{}.0", "0".repeat(point - digits.len()))
            }
        };
        format!("{sign}{body}")
    } else {
        let mantissa = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{esign}{:02}", exp.unsigned_abs())
    }
}

/// A JSON string with `ensure_ascii=True` escapes: `\"`, `\\`, `\n`, `\r`,
/// `\t`, `\b`, `\f`, and `\uXXXX` (lower-case hex, surrogate pairs above the
/// BMP) for every other character outside printable ASCII (0x20-0x7e).
fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn layout_matches_python() {
        // python3 -c 'import json; print(json.dumps({"a": [1, {}, []], "b": {"c": None, "d": True}},
        //   indent=3, separators=(",", ": "), sort_keys=True))'
        let v = sorted_object([
            ("b".to_owned(), json!({"c": null, "d": true})),
            ("a".to_owned(), json!([1, {}, []])),
        ]);
        assert_eq!(
            to_string(&v),
            "{\n   \"a\": [\n      1,\n      {},\n      []\n   ],\n   \"b\": {\n      \"c\": null,\n      \"d\": true\n   }\n}"
        );
        assert_eq!(to_string(&json!({})), "{}");
        assert_eq!(to_string(&json!([])), "[]");
    }

    #[test]
    fn strings_are_escaped_as_ensure_ascii_does() {
        // python3 -c 'import json; print(json.dumps("a\"\\/\n\r\t\b\f\x01\x7fé€😀"))'
        let s = "a\"\\/\n\r\t\u{8}\u{c}\u{1}\u{7f}é€😀";
        assert_eq!(
            to_string(&json!(s)),
            r#""a\"\\/\n\r\t\b\f\u0001\u007f\u00e9\u20ac\ud83d\ude00""#
        );
        assert_eq!(to_string(&json!("</script>")), "\"</script>\"");
    }

    #[test]
    fn floats_print_as_python_repr() {
        for (f, py) in [
            (0.5, "0.5"),
            (1.0, "1.0"),
            (10.0, "10.0"),
            (0.1, "0.1"),
            (-2.25, "-2.25"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (123456789012345.6, "123456789012345.6"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.25e-7, "1.25e-07"),
            (1e100, "1e+100"),
            (0.0, "0.0"),
        ] {
            assert_eq!(float_repr(f), py, "{f}");
        }
        assert_eq!(to_string(&json!(0.5)), "0.5");
        assert_eq!(to_string(&json!(1000)), "1000");
        assert_eq!(to_string(&json!(-3)), "-3");
    }
}
