//! What the reference servers' tests share to check that an invalid request head
//! is refused at its first byte: a TLS ClientHello sent to the plain port.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};
use wirecheck_codec::ws::handshake::ResponseParser;

/// The start of a TLS 1.2 ClientHello record: what a `wss://` or `https://`
/// client sends first. Its first byte (0x16) cannot start a request line (RFC
/// 9112 §3: the method is a token).
pub const CLIENT_HELLO: [u8; 16] = [
    0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
];

/// Send [`CLIENT_HELLO`] to `addr`; the status of the answer and the (virtual,
/// under a paused clock) time it took. A server that waited for a timeout before
/// answering shows it in that time: with a paused clock tokio advances straight
/// to the server's timer, or to `bound`, which fails the test.
pub async fn answer_to_client_hello(addr: SocketAddr, bound: Duration) -> (u16, Duration) {
    let t0 = Instant::now();
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream.write_all(&CLIENT_HELLO).await.expect("send");
        let mut parser = ResponseParser::default();
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).await.expect("read");
            assert!(n > 0, "closed without an answer");
            if let Some(parsed) = parser.feed(&buf[..n]).expect("an HTTP response") {
                return parsed.value.status;
            }
        }
    };
    let status = timeout(bound, exchange)
        .await
        .expect("an answer within the bound");
    (status, t0.elapsed())
}
