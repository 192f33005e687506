//! A WebSocket endpoint after the opening handshake, of either role: the
//! message decoder, the close handshake and the frames the protocol itself
//! requires, sans-IO.
//!
//! An endpoint owes its peer some frames whatever the application does: a Pong
//! for every Ping (RFC 6455 §5.5.2), a Close answering the peer's (§5.5.1), a
//! Close with the right code when the peer breaks a rule (§7.1.7). Writing that
//! by hand around a [`MessageDecoder`] is where endpoints go wrong, so the
//! connection does it: bytes in through [`Connection::receive`], events out to
//! the application, and every frame to send (the protocol's and the
//! application's, through [`Sender`]) into one outbound buffer the owner of the
//! socket writes. Masking follows the role (§5.1): a client's frames are masked
//! with keys from the caller's source (the codec draws no random numbers), a
//! server's never are.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;

use super::Role;
use super::close::{CloseCode, CloseState, CloseStateError};
use super::encode::{self, close_reason};
use super::error::ProtocolError;
use super::message::{CloseFrame, Config, Event, MessageKind};
use super::receiver::Receiver;

/// Bytes waiting to be written past which Pongs are no longer queued: a peer
/// that pings without reading cannot grow the buffer. §5.5.2 allows answering
/// only the most recent Ping when earlier ones are still unanswered.
pub const MAX_QUEUED_PONGS: usize = 1 << 20;

/// Where a client's masking keys come from: a fresh, unpredictable key per
/// frame (§5.3), drawn by the caller.
pub type KeySource = Box<dyn FnMut() -> [u8; 4] + Send>;

/// The sending half: the close state and the outbound bytes.
pub struct Sender {
    role: Role,
    state: CloseState,
    out: Vec<u8>,
    keys: Option<KeySource>,
    failed: bool,
    pongs_dropped: u64,
    /// permessage-deflate's compressor, once negotiated.
    #[cfg(feature = "deflate")]
    compressor: Option<super::deflate::Compressor>,
    /// A message compressed before it is framed.
    #[cfg(feature = "deflate")]
    scratch: Vec<u8>,
}

impl fmt::Debug for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("role", &self.role)
            .field("state", &self.state)
            .field("queued", &self.out.len())
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl Sender {
    /// The mask of the next frame: a fresh key for a client, none for a server.
    fn mask(&mut self) -> Option<[u8; 4]> {
        self.keys.as_mut().map(|next| next())
    }

    /// Send a data message (one frame), compressed when permessage-deflate was
    /// negotiated (RFC 7692 §6: RSV1 on its frame). §5.5.1: not after this
    /// endpoint's Close.
    pub fn send_message(&mut self, kind: MessageKind, data: &[u8]) -> Result<(), CloseStateError> {
        if !self.state.may_send_data() {
            return Err(CloseStateError { state: self.state });
        }
        let mask = self.mask();
        #[cfg(feature = "deflate")]
        if let Some(c) = self.compressor.as_mut() {
            self.scratch.clear();
            // RFC 7692 §6: an adaptive compressor may leave a message as it is
            // (RSV1 clear, below).
            if !c.compress_message(data, &mut self.scratch) {
                encode::message(&mut self.out, kind, data, None, || mask);
                return Ok(());
            }
            let opcode = match kind {
                MessageKind::Text => super::OpCode::Text,
                MessageKind::Binary => super::OpCode::Binary,
            };
            encode::frame(&mut self.out, true, 0b100, opcode, mask, &self.scratch);
            return Ok(());
        }
        encode::message(&mut self.out, kind, data, None, || mask);
        Ok(())
    }

    /// Start the close handshake (or answer the peer's) with `code` and a reason
    /// cut to fit the frame (§5.5: 125 bytes) at a character boundary. `None`
    /// sends an empty Close. A code that may not be sent (§7.4) sends an empty
    /// Close too, which is always valid.
    pub fn close(&mut self, code: Option<CloseCode>, reason: &str) -> Result<(), CloseStateError> {
        self.state.on_send_close()?;
        let mask = self.mask();
        if encode::close(&mut self.out, mask, code, close_reason(reason)).is_err() {
            let _ = encode::close(&mut self.out, mask, None, "");
        }
        Ok(())
    }

    /// §5.5.2: answer a Ping with a Pong carrying its payload, unless this
    /// endpoint has closed or too much waits to be written.
    fn pong(&mut self, payload: &[u8]) {
        if !self.state.may_send_data() {
            return;
        }
        if self.out.len() > MAX_QUEUED_PONGS {
            self.pongs_dropped += 1;
            return;
        }
        let mask = self.mask();
        // At most 125 bytes: the decoder checked it (§5.5).
        let _ = encode::pong(&mut self.out, mask, payload);
    }

    /// The peer's Close arrived: §5.5.1, answer it if this endpoint has not
    /// closed, "typically echoing the status code it received".
    fn on_close(&mut self, frame: Option<CloseFrame<'_>>) {
        // The decoder refuses a second Close, so this cannot fail.
        let _ = self.state.on_receive_close();
        if self.state.must_reply() {
            let _ = self.close(frame.map(|f| f.code), "");
        }
    }

    /// §7.1.7: Fail the WebSocket Connection: a Close with the code the broken
    /// rule maps to (§7.4.1) and the rule as the reason, unless a Close was sent.
    fn fail(&mut self, e: &ProtocolError) {
        self.failed = true;
        if self.state.may_send_data() || self.state == CloseState::CloseReceived {
            let reason = alloc::format!("{e}");
            let _ = self.close(Some(CloseCode(e.close_code())), &reason);
        }
    }
}

/// A WebSocket endpoint of either role.
#[derive(Debug)]
pub struct Connection {
    /// The decoder, with its receive buffer for the in-place path
    /// ([`Connection::spare`], [`Connection::commit`], [`Connection::receive_next`]).
    rx: Receiver,
    tx: Sender,
    /// The error that failed the connection, repeated by every later call.
    error: Option<ProtocolError>,
    /// permessage-deflate's decompressor, once negotiated.
    #[cfg(feature = "deflate")]
    inflater: Option<super::deflate::Decompressor>,
    /// The last message inflated, handed out as its event's data.
    #[cfg(feature = "deflate")]
    inflated: Vec<u8>,
}

impl Connection {
    /// A server endpoint (`config.role` is set to [`Role::Server`]).
    pub fn server(mut config: Config) -> Connection {
        config.role = Role::Server;
        Connection::with(config, None)
    }

    /// A client endpoint (`config.role` is set to [`Role::Client`]) that masks
    /// every frame with a key from `keys`.
    pub fn client(mut config: Config, keys: KeySource) -> Connection {
        config.role = Role::Client;
        Connection::with(config, Some(keys))
    }

    fn with(config: Config, keys: Option<KeySource>) -> Connection {
        Connection {
            error: None,
            rx: Receiver::new(config),
            tx: Sender {
                role: config.role,
                state: CloseState::Open,
                out: Vec::new(),
                keys,
                failed: false,
                pongs_dropped: 0,
                #[cfg(feature = "deflate")]
                compressor: None,
                #[cfg(feature = "deflate")]
                scratch: Vec::new(),
            },
            #[cfg(feature = "deflate")]
            inflater: None,
            #[cfg(feature = "deflate")]
            inflated: Vec::new(),
        }
    }

    /// Use permessage-deflate as negotiated (RFC 7692), from the first byte on:
    /// call it right after the opening handshake. Messages sent are compressed;
    /// messages received with RSV1 are inflated, bounded by the message limit,
    /// and a text one is checked as UTF-8 once inflated.
    #[cfg(feature = "deflate")]
    pub fn use_deflate(&mut self, agreed: super::deflate::Agreed) {
        self.use_deflate_at(agreed, super::deflate::DEFAULT_LEVEL);
    }

    /// [`Connection::use_deflate`], compressing at zlib level `level` (0-9; 1
    /// is fastest, 6 zlib's default). The level is the sender's own choice; the
    /// peer inflates any level.
    #[cfg(feature = "deflate")]
    pub fn use_deflate_at(&mut self, agreed: super::deflate::Agreed, level: u8) {
        let mut config = *self.rx.decoder().config();
        config.permessage_deflate = true;
        self.rx = Receiver::new(config);
        self.tx.compressor = Some(super::deflate::Compressor::with_level(
            agreed.sending(config.role),
            level,
        ));
        self.inflater = Some(super::deflate::Decompressor::new(
            agreed.receiving(config.role),
        ));
    }

    /// Make the compressor of a connection that agreed permessage-deflate
    /// adaptive: messages that do not compress are sent uncompressed (RFC 7692
    /// §6; see [`super::deflate::Compressor::adaptive`]). Nothing without the
    /// extension.
    #[cfg(feature = "deflate")]
    pub fn skip_incompressible(&mut self) {
        if let Some(c) = self.tx.compressor.take() {
            self.tx.compressor = Some(c.adaptive());
        }
    }

    /// Decode from the front of `input` (advancing it), answer what the protocol
    /// requires, and return the next event with the sending half, so the
    /// application can answer it at once (an echo sends the message it got).
    /// An error has already queued its Close; it is final.
    pub fn receive<'s, 'a: 's>(
        &'s mut self,
        input: &mut &'a mut [u8],
    ) -> Result<Option<(Event<'s>, &'s mut Sender)>, ProtocolError> {
        self.receive_with(|rx| rx.decoder_mut().decode(input))
    }

    /// Where to read the socket for [`Connection::receive_next`] (the in-place
    /// path of [`super::receiver`]: the bytes are decoded where they land).
    /// Use this path or [`Connection::receive`], not both.
    #[inline]
    pub fn spare(&mut self, min: usize) -> &mut [u8] {
        self.rx.spare(min)
    }

    /// `n` bytes were read into [`Connection::spare`].
    #[inline]
    pub fn commit(&mut self, n: usize) {
        self.rx.commit(n);
    }

    /// As [`Connection::receive`], from the bytes committed: the next event,
    /// or `None` when more must be read.
    pub fn receive_next(&mut self) -> Result<Option<(Event<'_>, &mut Sender)>, ProtocolError> {
        self.receive_with(Receiver::next_event)
    }

    /// Both receive paths: an error is final; otherwise `decode` takes the next
    /// event from the receiver and [`Connection::answer`] acts on it.
    fn receive_with<'s>(
        &'s mut self,
        decode: impl FnOnce(&'s mut Receiver) -> Result<Option<Event<'s>>, ProtocolError>,
    ) -> Result<Option<(Event<'s>, &'s mut Sender)>, ProtocolError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let limit = self.rx.decoder().config().limits.max_message_size;
        Self::answer(
            decode(&mut self.rx),
            limit,
            &mut self.tx,
            &mut self.error,
            #[cfg(feature = "deflate")]
            &mut self.inflater,
            #[cfg(feature = "deflate")]
            &mut self.inflated,
        )
    }

    /// What both receive paths do with a decoded event: inflate a compressed
    /// message (bounded), answer Pings and the peer's Close, fail on an error.
    fn answer<'s>(
        decoded: Result<Option<Event<'s>>, ProtocolError>,
        // The message limit, for inflation.
        #[cfg_attr(not(feature = "deflate"), allow(unused_variables))] limit: u64,
        tx: &'s mut Sender,
        error: &mut Option<ProtocolError>,
        #[cfg(feature = "deflate")] inflater: &mut Option<super::deflate::Decompressor>,
        #[cfg(feature = "deflate")] inflated: &'s mut Vec<u8>,
    ) -> Result<Option<(Event<'s>, &'s mut Sender)>, ProtocolError> {
        match decoded {
            Ok(None) => Ok(None),
            #[cfg(feature = "deflate")]
            Ok(Some(Event::Message { kind, rsv, data }))
                if rsv & 0b100 != 0 && inflater.is_some() =>
            {
                let result = match inflater.as_mut() {
                    Some(d) => super::deflate::inflate_message(d, kind, data, limit, inflated),
                    None => Err(super::ErrorKind::InvalidCompressedData.into()),
                };
                match result {
                    Ok(()) => Ok(Some((
                        Event::Message {
                            kind,
                            rsv,
                            data: inflated,
                        },
                        tx,
                    ))),
                    Err(e) => {
                        tx.fail(&e);
                        *error = Some(e);
                        Err(e)
                    }
                }
            }
            Ok(Some(event)) => {
                match event {
                    Event::Ping(payload) => tx.pong(payload),
                    Event::Close(frame) => tx.on_close(frame),
                    _ => {}
                }
                Ok(Some((event, tx)))
            }
            Err(e) => {
                tx.fail(&e);
                *error = Some(e);
                Err(e)
            }
        }
    }

    /// The sending half, to send without having received.
    pub fn sender(&mut self) -> &mut Sender {
        &mut self.tx
    }

    /// The bytes waiting to be written.
    pub fn outbound(&self) -> &[u8] {
        &self.tx.out
    }

    /// `n` bytes of [`Connection::outbound`] were written.
    pub fn advance(&mut self, n: usize) {
        let n = n.min(self.tx.out.len());
        self.tx.out.drain(..n);
    }

    /// Take every byte waiting to be written.
    pub fn take_outbound(&mut self) -> Vec<u8> {
        core::mem::take(&mut self.tx.out)
    }

    /// Where the close handshake stands.
    pub fn close_state(&self) -> CloseState {
        self.tx.state
    }

    /// Whether the connection failed on a protocol error of the peer's.
    pub fn has_failed(&self) -> bool {
        self.tx.failed
    }

    /// Pongs not queued because too much waited to be written ([`MAX_QUEUED_PONGS`]).
    pub fn pongs_dropped(&self) -> u64 {
        self.tx.pongs_dropped
    }

    /// Whether this endpoint should now close the TCP connection, once the
    /// outbound bytes are written: §7.1.1, the server closes it first, when the
    /// close handshake is complete or the connection failed. A client waits for
    /// the server to close it (and may close it after a timeout of its own, which
    /// is the caller's), so this is never true for a client.
    pub fn should_close_tcp(&self) -> bool {
        self.tx.role == Role::Server && (self.tx.state.is_closed() || self.tx.failed)
    }
}
