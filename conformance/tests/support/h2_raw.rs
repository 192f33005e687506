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
pub async fn answers_with_connection_header(tcp: TcpStream) {
    serve_frames(tcp, |kind, stream, _| match kind {
        // HEADERS: 200 (static index 8) and `connection: close` as a
        // literal field without indexing, END_HEADERS.
        0x1 => {
            let mut block = vec![0x88, 0x00, 10];
            block.extend_from_slice(b"connection");
            block.push(5);
            block.extend_from_slice(b"close");
            frame(0x1, 0x4, stream, &block)
        }
        _ => Vec::new(),
    })
    .await;
}

/// Answers each extended CONNECT with 200, and the client's Close with a
/// Close (1000) in a DATA frame followed at once by RST_STREAM (CANCEL) where
/// END_STREAM is due (RFC 8441 §5: the reset stands for a TCP RST).
pub async fn answers_close_then_resets(tcp: TcpStream) {
    serve_frames(tcp, |kind, stream, payload| match kind {
        // HEADERS: 200 (static index 8), END_HEADERS.
        0x1 => frame(0x1, 0x4, stream, &[0x88]),
        // DATA starting a masked Close frame (FIN, opcode 8).
        0x0 if payload.first() == Some(&0x88) => {
            let mut out = frame(0x0, 0, stream, &[0x88, 0x02, 0x03, 0xe8]);
            out.extend(frame(0x3, 0, stream, &[0, 0, 0, 0x8]));
            out
        }
        _ => Vec::new(),
    })
    .await;
}

/// One frame: length, type, flags, stream, payload (RFC 9113 §4.1).
fn frame(kind: u8, flags: u8, stream: [u8; 4], payload: &[u8]) -> Vec<u8> {
    let len = payload.len();
    let mut out = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags];
    out.extend_from_slice(&stream);
    out.extend_from_slice(payload);
    out
}

/// The connection: the preface read, SETTINGS with ENABLE_CONNECT_PROTOCOL
/// sent, SETTINGS acknowledged and PINGs answered; every other frame goes to
/// `answer` (type, stream, payload), whose bytes are written as they are.
async fn serve_frames(mut tcp: TcpStream, mut answer: impl FnMut(u8, [u8; 4], &[u8]) -> Vec<u8>) {
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
        let stream = [head[5], head[6], head[7], head[8]];
        let mut payload = vec![0u8; len.min(1 << 16)];
        if len > payload.len() || tcp.read_exact(&mut payload).await.is_err() {
            return;
        }
        let out = match kind {
            // SETTINGS without ACK: acknowledge.
            0x4 if flags & 1 == 0 => frame(0x4, 1, [0; 4], &[]),
            // PING without ACK: answer with the same payload.
            0x6 if flags & 1 == 0 => frame(0x6, 1, [0; 4], &payload),
            _ => answer(kind, stream, &payload),
        };
        if !out.is_empty() && tcp.write_all(&out).await.is_err() {
            return;
        }
    }
}
