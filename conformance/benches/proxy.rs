//! `wirecheck proxy`'s cost: a WebSocket client talking to the reference echo
//! server directly, through a plain TCP relay (tokio's `copy_bidirectional`:
//! what any transparent proxy costs), and through the proxy (which decodes and
//! checks both directions), side by side in one run. Throughput: a 1 MiB binary message
//! echoed per iteration; latency: a 64-byte message echoed per iteration (the
//! difference of the two times is what the proxy adds to a round trip).
//! Loopback only; the proxy and the server run in this process.

use std::hint::black_box;
use std::net::SocketAddr;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::runtime::Runtime;
use wirecheck::proxy::output::Format;
use wirecheck::proxy::run::{Options, run};
use wirecheck::serve::Server as _;
use wirecheck::serve::ws::{WsServerConfig, bind};
use wirecheck_codec::ws::OpCode;
use wirecheck_codec::ws::encode::frame;

const REQUEST: &[u8] =
    b"GET / HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
    Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

/// A client connection past its opening handshake.
async fn open(addr: SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.set_nodelay(true).expect("nodelay");
    s.write_all(REQUEST).await.expect("request");
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut b).await.expect("response");
        head.push(b[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"));
    s
}

/// Send one masked binary message of `payload` and read its echo (unmasked).
async fn echo(s: &mut TcpStream, message: &[u8], echo_len: usize, buf: &mut [u8]) {
    s.write_all(message).await.expect("send");
    s.read_exact(&mut buf[..echo_len]).await.expect("echo");
}

fn bench(c: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    let (server, relay, proxy) = rt.block_on(async {
        let server = bind(WsServerConfig::ephemeral())
            .await
            .expect("bind")
            .spawn()
            .expect("serve");
        let (tx, rx) = tokio::sync::oneshot::channel();
        let opts = Options {
            listen: "127.0.0.1:0".parse().expect("addr"),
            upstream: format!("ws://{}", server.local_addr()),
            format: Format::Jsonl,
            insecure: false,
            connections: None,
            report_dir: None,
            listen_tls: None,
        };
        tokio::spawn(async move {
            // A finding in correct traffic panics the proxy's task: the echo
            // then fails and the benchmark stops, loudly.
            let _ = run(
                &opts,
                std::future::pending(),
                |a| tx.send(a).expect("addr"),
                |f| panic!("the proxy found {f:?} in correct traffic"),
            )
            .await;
        });
        let relay = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let relay_addr = relay.local_addr().expect("addr");
        let upstream = server.local_addr();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = relay.accept().await {
                tokio::spawn(async move {
                    let _ = client.set_nodelay(true);
                    let Ok(mut up) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let _ = up.set_nodelay(true);
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut up).await;
                });
            }
        });
        (server, relay_addr, rx.await.expect("listening"))
    });
    for (name, size) in [("1MiB", 1 << 20), ("64B", 64)] {
        let payload = vec![0x5au8; size];
        let mut message = Vec::new();
        frame(
            &mut message,
            true,
            0,
            OpCode::Binary,
            Some([1, 2, 3, 4]),
            &payload,
        );
        let echo_len = size + if size < 126 { 2 } else { 10 };
        let mut group = c.benchmark_group(format!("proxy-echo-{name}"));
        group.throughput(Throughput::Bytes(size as u64));
        for (function, addr) in [
            ("direct", server.local_addr()),
            ("relay", relay),
            ("proxied", proxy),
        ] {
            let mut s = rt.block_on(open(addr));
            let mut buf = vec![0u8; echo_len];
            group.bench_function(function, |b| {
                b.iter(|| rt.block_on(echo(&mut s, black_box(&message), echo_len, &mut buf)));
            });
        }
        group.finish();
    }
    rt.block_on(server.shutdown());
}

criterion_group!(benches, bench);
criterion_main!(benches);
