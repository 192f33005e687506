//! The `wirecheck decode` command line: output on stdout, exit codes (DESIGN §4).

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn wirecheck(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wirecheck"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wirecheck starts");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(stdin)
        .expect("stdin accepts the input");
    child.wait_with_output().expect("wirecheck finishes")
}

fn corpus(name: &str) -> String {
    format!("{}/../corpus/ws/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn decode_ws_prints_messages_and_exits_0() {
    let out = wirecheck(
        &[
            "decode",
            "ws",
            "--role",
            "server",
            &corpus("server-hello-masked.bin"),
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"message\":\"text\",\"data\":\"Hello\"}\n"
    );
}

#[test]
fn decode_ws_reads_stdin_in_chunks() {
    let input = std::fs::read(corpus("server-fragmented-text-with-ping.bin")).expect("sample");
    let whole = wirecheck(&["decode", "ws", "--role", "server"], &input);
    let bytewise = wirecheck(
        &["decode", "ws", "--role", "server", "--chunk", "1", "-"],
        &input,
    );
    assert_eq!(whole.status.code(), Some(0));
    assert_eq!(whole.stdout, bytewise.stdout);
    assert!(String::from_utf8_lossy(&whole.stdout).contains("Hello, wörld"));
}

#[test]
fn decode_ws_protocol_error_exits_1_with_error_line() {
    let out = wirecheck(
        &[
            "decode",
            "ws",
            "--role",
            "server",
            &corpus("server-unmasked-frame.bin"),
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let line = String::from_utf8_lossy(&out.stdout);
    assert!(
        line.starts_with("{\"error\":\"unmasked frame received by a server (RFC 6455 §5.1)\""),
        "{line}"
    );
    assert!(line.contains("\"close_code\":1002"));
}

#[test]
fn decode_ws_truncated_input_exits_0() {
    let out = wirecheck(&["decode", "ws", "--role", "server"], &[0x81, 0x85, 0x37]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"truncated\":true}\n"
    );
}

#[test]
fn decode_ws_frames_flag_prints_headers() {
    let out = wirecheck(
        &[
            "decode",
            "ws",
            "--role",
            "server",
            "--frames",
            &corpus("server-hello-masked.bin"),
        ],
        b"",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(
            "{\"frame\":{\"fin\":true,\"rsv\":0,\"opcode\":1,\"masked\":true,\"len\":5}}\n"
        ),
        "{text}"
    );
}

#[test]
fn usage_errors_exit_2() {
    // Missing --role.
    assert_eq!(wirecheck(&["decode", "ws"], b"").status.code(), Some(2));
    // --chunk 0 is not a chunk size.
    assert_eq!(
        wirecheck(&["decode", "ws", "--role", "client", "--chunk", "0"], b"")
            .status
            .code(),
        Some(2)
    );
    // An unreadable file: one line on stderr naming it.
    let out = wirecheck(
        &[
            "decode",
            "ws",
            "--role",
            "client",
            "/nonexistent/capture.bin",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("/nonexistent/capture.bin"), "{err}");
    // A directory opens on Unix but cannot be read: named too, exit 2.
    let dir = std::env::temp_dir();
    for protocol in [
        &["decode", "sse"][..],
        &["decode", "ws", "--role", "server"][..],
    ] {
        let mut args = protocol.to_vec();
        args.push(dir.to_str().expect("UTF-8 path"));
        let out = wirecheck(&args, b"");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(dir.to_str().expect("UTF-8")), "{err}");
    }
}

#[test]
fn decode_ws_deflate_inflates_compressed_messages() {
    // RFC 7692 §7.2.3.1 and §7.2.3.2: "Hello" compressed, then again with the
    // first as context (unmasked frames, as a client receives them).
    let mut stream = vec![0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    stream.extend_from_slice(&[0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00]);
    let out = wirecheck(
        &[
            "decode",
            "ws",
            "--role",
            "client",
            "--deflate",
            "permessage-deflate",
            "-",
        ],
        &stream,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"message\":\"text\",\"data\":\"Hello\"}\n{\"message\":\"text\",\"data\":\"Hello\"}\n"
    );
    // With server_no_context_takeover agreed, the second message cannot refer
    // back: decoding stops on it with 1007.
    let out = wirecheck(
        &[
            "decode",
            "ws",
            "--role",
            "client",
            "--deflate",
            "permessage-deflate; server_no_context_takeover",
            "-",
        ],
        &stream,
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\"close_code\":1007"), "{text}");
    // Without --deflate, RSV1 is a reserved bit: 1002.
    let out = wirecheck(&["decode", "ws", "--role", "client", "-"], &stream);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"close_code\":1002"));
}

#[test]
fn decode_ws_deflate_params_are_checked_before_reading() {
    for bad in [
        "permessage-deflate; bogus",
        "x-other",
        "permessage-deflate; server_max_window_bits=99",
    ] {
        let out = wirecheck(
            &["decode", "ws", "--role", "client", "--deflate", bad, "-"],
            b"",
        );
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--deflate"), "{err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
    }
}
