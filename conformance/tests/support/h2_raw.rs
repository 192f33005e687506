//! An HTTP/2 server written frame by frame, for what the `h2` crate refuses
//! to send: a response with a connection-specific header field (RFC 9113
//! §8.2.2). Used by the WebSocket and the SSE runner tests.
#![allow(dead_code)]

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A server written frame by frame (the `h2` crate refuses to send what this
/// one sends): SETTINGS with ENABLE_CONNECT_PROTOCOL, PING answered, and every
/// request answered `:status: 200` with `connection: close`, a field HTTP/2
/// forbids (RFC 9113 §8.2.2).
pub async fn answers_with_connection_header(mut tcp: TcpStream) {
    let mut preface = [0u8; 24];
    if tcp.read_exact(&mut preface).await.is_err() {
        return;
    }
    // SETTINGS: SETTINGS_ENABLE_CONNECT_PROTOCOL (0x8) = 1.
    let settings = [0, 0, 6, 0x4, 0, 0, 0, 0, 0, 0, 0x8, 0, 0, 0, 1];
    if tcp.write_all(&settings).await.is_err() {
        return;
    }
    loop {
        let mut head = [0u8; 9];
        if tcp.read_exact(&mut head).await.is_err() {
            return;
        }
        let len = usize::from(head[0]) << 16 | usize::from(head[1]) << 8 | usize::from(head[2]);
        let (kind, flags) = (head[3], head[4]);
        let stream = &head[5..9];
        let mut payload = vec![0u8; len.min(1 << 16)];
        if len > payload.len() || tcp.read_exact(&mut payload).await.is_err() {
            return;
        }
        let mut out = Vec::new();
        match kind {
            // SETTINGS without ACK: acknowledge.
            0x4 if flags & 1 == 0 => out.extend_from_slice(&[0, 0, 0, 0x4, 1, 0, 0, 0, 0]),
            // PING without ACK: answer with the same payload.
            0x6 if flags & 1 == 0 => {
                out.extend_from_slice(&[0, 0, 8, 0x6, 1, 0, 0, 0, 0]);
                out.extend_from_slice(&payload);
            }
            // HEADERS: 200 (static index 8) and `connection: close` as a
            // literal field without indexing, END_HEADERS.
            0x1 => {
                let mut block = vec![0x88, 0x00, 10];
                block.extend_from_slice(b"connection");
                block.push(5);
                block.extend_from_slice(b"close");
                out.extend_from_slice(&[0, 0, block.len() as u8, 0x1, 0x4]);
                out.extend_from_slice(stream);
                out.extend_from_slice(&block);
            }
            _ => {}
        }
        if !out.is_empty() && tcp.write_all(&out).await.is_err() {
            return;
        }
    }
}
