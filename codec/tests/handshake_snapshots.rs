//! Snapshot of the server's answer to a set of bad requests: for each, the status,
//! the reason phrase and the full response text. A change to any status, header or
//! error line shows up in review as a diff of this one snapshot.

use serde_json::json;
use wirecheck_codec::ws::handshake::{HandshakeLimits, RequestParser, error_response};

const GOOD: &str = "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Origin: http://example.com\r\nSec-WebSocket-Version: 13\r\n\r\n";

/// The cases: a name and the request bytes (most are the good request with one edit).
fn cases() -> Vec<(&'static str, String)> {
    let edit = |from: &str, to: &str| GOOD.replacen(from, to, 1);
    vec![
        ("method POST", edit("GET", "POST")),
        ("HTTP/1.0", edit("HTTP/1.1", "HTTP/1.0")),
        ("request-target *", edit("/chat", "*")),
        ("Host missing", edit("Host: server.example.com\r\n", "")),
        (
            "Host repeated",
            edit("Host: server.example.com\r\n", "Host: a\r\nHost: b\r\n"),
        ),
        ("Upgrade missing", edit("Upgrade: websocket\r\n", "")),
        ("Upgrade h2c", edit("Upgrade: websocket", "Upgrade: h2c")),
        (
            "Connection keep-alive",
            edit("Connection: Upgrade", "Connection: keep-alive"),
        ),
        (
            "Sec-WebSocket-Key missing",
            edit("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""),
        ),
        (
            "Sec-WebSocket-Key 18 bytes",
            edit("dGhlIHNhbXBsZSBub25jZQ==", "AAAAAAAAAAAAAAAAAAAAAAAA"),
        ),
        (
            "Sec-WebSocket-Version missing",
            edit("Sec-WebSocket-Version: 13\r\n", ""),
        ),
        ("Sec-WebSocket-Version 8", edit("Version: 13", "Version: 8")),
        (
            "Sec-WebSocket-Protocol not a list",
            edit(
                "\r\n\r\n",
                "\r\nSec-WebSocket-Protocol: chat superchat\r\n\r\n",
            ),
        ),
        (
            "Sec-WebSocket-Extensions quoted non-token",
            edit(
                "\r\n\r\n",
                "\r\nSec-WebSocket-Extensions: x; a=\"b c\"\r\n\r\n",
            ),
        ),
        (
            "Origin rejected by policy",
            edit("http://example.com", "http://evil.example"),
        ),
        (
            "malformed header line",
            edit("Upgrade: websocket", "Upgrade websocket"),
        ),
        (
            "too many headers",
            edit("\r\n\r\n", &format!("\r\n{}\r\n", "X-A: 1\r\n".repeat(12))),
        ),
        (
            "head too large",
            edit(
                "\r\n\r\n",
                &format!("\r\nX-Big: {}\r\n\r\n", "a".repeat(600)),
            ),
        ),
    ]
}

#[test]
fn error_responses_to_bad_requests() {
    let limits = HandshakeLimits {
        max_header_bytes: 512,
        max_headers: 16,
    };
    let mut out = Vec::new();
    for (name, request) in cases() {
        let mut parser = RequestParser::new(limits);
        let error = match parser.feed(request.as_bytes()) {
            Err(e) => e,
            Ok(Some(parsed)) => parsed
                .value
                .validate_with(|origin| origin == Some("http://example.com"))
                .expect_err(name),
            Ok(None) => panic!("{name}: head incomplete"),
        };
        let response = String::from_utf8(error_response(&error)).unwrap();
        let reason = response
            .lines()
            .next()
            .unwrap()
            .splitn(3, ' ')
            .nth(2)
            .unwrap()
            .to_owned();
        out.push(json!({
            "case": name,
            "status": error.status(),
            "reason": reason,
            "error": error.to_string(),
            "response": response,
        }));
    }
    insta::assert_json_snapshot!(out);
}
