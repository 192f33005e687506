//! One HTTP/2 stream as a byte stream: what a WebSocket over RFC 8441 or an
//! event stream is carried in, so that the drivers written for a TCP
//! connection run over a stream unchanged.
//!
//! Why it exists: the case driver and the reference echo server read and write
//! bytes and take the end of the input as the peer's close. Over HTTP/2 the
//! same roles are played by DATA frames and END_STREAM: RFC 8441 §5 makes
//! stream closure the analogue of the TCP connection's closure, orderly
//! closures represented by END_STREAM and RST exceptions by RST_STREAM (with
//! CANCEL). This adapter maps one onto the other:
//!
//! * reading gives the DATA payloads in order; END_STREAM reads as the end of
//!   input, RST_STREAM (or the connection's failure) as an error that says so;
//! * reading gives the flow-control window back as the bytes are taken (RFC
//!   9113 §6.9), never before: a reader that stops reading stops the peer,
//!   and what is buffered stays within the window;
//! * writing waits for send window (the peer's flow control) and sends at most
//!   that much per call; shutting down sends an empty DATA frame with
//!   END_STREAM, once.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes};
use h2::{RecvStream, SendStream};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The most one write hands to the stream: a larger buffer is written in
/// several calls, each waiting for its share of the peer's window.
const MAX_WRITE: usize = 64 * 1024;

/// The smallest DATA frame wirecheck sends while more is queued. The `h2`
/// crate counts every DATA frame under 256 bytes as overhead against a budget
/// and ends a connection that exhausts it with GOAWAY ENHANCE_YOUR_CALM (RFC
/// 9113 §10.5: a flood of small frames is a denial of service a server may
/// refuse); other HTTP/2 servers have like limits. Cutting a message into
/// tiny writes tests TCP reassembly over HTTP/1.1; over HTTP/2 it would test
/// only that limit.
pub const MIN_DATA_FRAME: usize = 256;

/// How a stream ended, as the reader saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// Still open.
    Open,
    /// The peer sent END_STREAM (an orderly end of its side).
    EndStream,
    /// The peer reset the stream, with this error code (RFC 9113 §7).
    Reset(String),
    /// wirecheck's HTTP/2 layer reset the stream because the peer broke a rule
    /// of HTTP/2 on it (flow control, a malformed message), with this code.
    LocalReset(String),
    /// The connection failed or went away under the stream.
    Connection(String),
}

/// A stream's two halves as one `AsyncRead + AsyncWrite`.
pub struct H2Stream {
    send: SendStream<Bytes>,
    recv: RecvStream,
    /// The rest of the DATA payload the last read did not take.
    pending: Bytes,
    /// END_STREAM has been sent.
    ended: bool,
    /// How the peer's side ended, once it has.
    ending: Ending,
}

impl H2Stream {
    /// The stream whose request (or response) headers have been exchanged.
    pub fn new(send: SendStream<Bytes>, recv: RecvStream) -> H2Stream {
        H2Stream {
            send,
            recv,
            pending: Bytes::new(),
            ended: false,
            ending: Ending::Open,
        }
    }

    /// How the peer's side of the stream ended (`Open` while it has not).
    pub fn ending(&self) -> &Ending {
        &self.ending
    }

    /// Reset the stream with `reason` (a failure, RFC 8441 §5: "in place of
    /// the TCP RST").
    pub fn reset(&mut self, reason: h2::Reason) {
        self.send.send_reset(reason);
    }
}

/// What an h2 error means for the reader.
fn ending_of(e: &h2::Error) -> Ending {
    match e.reason() {
        Some(reason) if e.is_reset() && e.is_remote() => Ending::Reset(format!("{reason:?}")),
        Some(reason) if e.is_reset() => Ending::LocalReset(format!("{reason:?}")),
        _ => Ending::Connection(e.to_string()),
    }
}

impl AsyncRead for H2Stream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        while this.pending.is_empty() {
            match ready!(this.recv.poll_data(cx)) {
                Some(Ok(data)) => this.pending = data,
                Some(Err(e)) => {
                    this.ending = ending_of(&e);
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::ConnectionReset,
                        match &this.ending {
                            Ending::Reset(code) => format!("the peer reset the stream ({code})"),
                            Ending::LocalReset(code) => format!(
                                "the peer broke a rule of HTTP/2 on the stream, which wirecheck reset ({code})"
                            ),
                            _ => format!("the HTTP/2 connection failed: {e}"),
                        },
                    )));
                }
                None => {
                    this.ending = Ending::EndStream;
                    return Poll::Ready(Ok(()));
                }
            }
        }
        let n = this.pending.len().min(buf.remaining());
        buf.put_slice(&this.pending[..n]);
        this.pending.advance(n);
        // RFC 9113 §6.9: the window opens again as the bytes are taken.
        let _ = this.recv.flow_control().release_capacity(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for H2Stream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let this = &mut *self;
        let gone = || io::Error::new(io::ErrorKind::BrokenPipe, "the HTTP/2 stream is closed");
        if this.ended {
            return Poll::Ready(Err(gone()));
        }
        let want = buf.len().min(MAX_WRITE);
        // RFC 9113 §6.9.1: nothing is sent beyond the peer's window.
        this.send.reserve_capacity(want);
        let n = loop {
            match ready!(this.send.poll_capacity(cx)) {
                Some(Ok(0)) => {}
                Some(Ok(n)) => break n.min(want),
                Some(Err(e)) => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::BrokenPipe,
                        format!("the HTTP/2 stream failed: {e}"),
                    )));
                }
                None => return Poll::Ready(Err(gone())),
            }
        };
        match this
            .send
            .send_data(Bytes::copy_from_slice(&buf[..n]), false)
        {
            Ok(()) => Poll::Ready(Ok(n)),
            Err(e) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                format!("the HTTP/2 stream failed: {e}"),
            ))),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // The connection task writes what the stream queued.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if !this.ended {
            this.ended = true;
            // RFC 8441 §5: END_STREAM in place of the TCP FIN.
            let _ = this.send.send_data(Bytes::new(), true);
        }
        Poll::Ready(Ok(()))
    }
}
