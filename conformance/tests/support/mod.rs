//! What the command-line tests share: running the binary and a scratch directory.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long one run of the binary may take before the test fails (a liveness
/// bound: a run that does not end is the bug, and CI must not hang on it).
const BOUND: Duration = Duration::from_secs(180);

/// Run `wirecheck` with `args` (no colour) and wait for it, at most [`BOUND`].
pub fn wirecheck(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wirecheck"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wirecheck runs");
    // The pipes are drained on threads of their own, so a chatty run cannot
    // block on a full pipe; the exit is awaited on another, with the bound.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut out = Vec::new();
            let _ = pipe.read_to_end(&mut out);
            out
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let pid = child.id();
    let (done, exited) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait());
    });
    let status = match exited.recv_timeout(BOUND) {
        Ok(status) => status.expect("wirecheck exits"),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("wirecheck {args:?} did not end within {BOUND:?}");
        }
    };
    Output {
        status,
        stdout: stdout.join().expect("stdout drained"),
        stderr: stderr.join().expect("stderr drained"),
    }
}

/// A server on a loopback port (on a thread) that writes `partial` (perhaps
/// nothing) on each of its first 64 connections and then holds it open without
/// another byte: a silent or stalled server.
pub fn holding_server(partial: &'static [u8]) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(64) {
            let Ok(mut s) = stream else { continue };
            let _ = s.write_all(partial);
            held.push(s);
        }
    });
    addr
}

/// An empty directory path for this test process, named after `name`.
pub fn temp_dir(name: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("wirecheck-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    TempDir(dir)
}

/// A scratch path, removed (directory or file) when the test is done with it.
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = PathBuf;

    fn deref(&self) -> &PathBuf {
        &self.0
    }
}

impl AsRef<std::path::Path> for TempDir {
    fn as_ref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Check a compression case's `trafficStats` (Autobahn's 16 counters) in its
/// per-case JSON `case`: `count` messages of `size` bytes each way, one frame
/// each, the wire level above the WebSocket level by the frame headers, the
/// ratios derived from the levels, and the opening handshake counted apart
/// (`sent`, `received`: the request's and response's lengths as the fuzzer
/// sent and read them). Used by the WebSocket tests only.
#[allow(dead_code)]
pub fn check_traffic_stats(
    case: &serde_json::Value,
    size: u64,
    count: u64,
    sent: u64,
    received: u64,
) {
    assert_eq!(case["reportCompressionRatio"], true, "{case}");
    let t = case["trafficStats"]
        .as_object()
        .expect("trafficStats is an object");
    assert_eq!(t.len(), 16, "{t:?}");
    let n = |k: &str| t[k].as_u64().unwrap_or_else(|| panic!("{k}: {:?}", t[k]));
    for dir in ["incoming", "outgoing"] {
        let key = |s: &str| format!("{dir}{s}");
        assert_eq!(n(&key("OctetsAppLevel")), size * count, "{dir}");
        assert_eq!(n(&key("WebSocketMessages")), count, "{dir}");
        assert_eq!(n(&key("WebSocketFrames")), count, "{dir}");
        let ws = n(&key("OctetsWebSocketLevel"));
        let wire = n(&key("OctetsWireLevel"));
        // Each frame adds 2 to 14 bytes of header (and mask) to its payload.
        assert!(
            wire >= ws + 2 * count && wire <= ws + 14 * count,
            "{dir}: {wire} vs {ws}"
        );
        let ratio = t[&key("CompressionRatio")].as_f64().expect("ratio");
        assert!(
            (ratio - ws as f64 / (size * count) as f64).abs() < 1e-9,
            "{dir}"
        );
        let overhead = t[&key("WebSocketOverhead")].as_f64().expect("overhead");
        assert!(
            (overhead - (wire - ws) as f64 / ws as f64).abs() < 1e-9,
            "{dir}"
        );
    }
    assert_eq!(n("preopenOutgoingOctetsWireLevel"), sent);
    assert_eq!(n("preopenIncomingOctetsWireLevel"), received);
}
