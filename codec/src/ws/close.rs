//! Close codes (RFC 6455 §7.4) and the close handshake (§7.1, §5.5.1).
//!
//! The close handshake is a small state machine kept apart from the decoder, so
//! that the owner of the socket can ask what it may still do: send data, send a
//! Close, expect frames, or close the TCP connection.

/// A close status code (§7.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000: normal closure.
    pub const NORMAL: CloseCode = CloseCode(1000);
    /// 1001: going away.
    pub const GOING_AWAY: CloseCode = CloseCode(1001);
    /// 1002: protocol error.
    pub const PROTOCOL_ERROR: CloseCode = CloseCode(1002);
    /// 1003: unsupported data.
    pub const UNSUPPORTED_DATA: CloseCode = CloseCode(1003);
    /// 1007: invalid frame payload data (e.g. non-UTF-8 text).
    pub const INVALID_PAYLOAD: CloseCode = CloseCode(1007);
    /// 1008: policy violation.
    pub const POLICY_VIOLATION: CloseCode = CloseCode(1008);
    /// 1009: message too big.
    pub const MESSAGE_TOO_BIG: CloseCode = CloseCode(1009);
    /// 1010: mandatory extension missing.
    pub const MANDATORY_EXTENSION: CloseCode = CloseCode(1010);
    /// 1011: internal error.
    pub const INTERNAL_ERROR: CloseCode = CloseCode(1011);

    /// Whether the code may appear in a Close frame on the wire.
    ///
    /// * 0-999: "not used" (§7.4.2).
    /// * 1000-1003, 1007-1011: defined by §7.4.1.
    /// * 1004: reserved; 1005, 1006, 1015: "MUST NOT be set as a status code in a
    ///   Close control frame by an endpoint" (§7.4.1).
    /// * 1012-1014: registered in the IANA "WebSocket Close Code Number Registry"
    ///   (§11.7) after the RFC (Service Restart, Try Again Later, Bad Gateway).
    /// * 1016-2999: reserved for future revisions of the protocol (§7.4.2).
    /// * 3000-3999: registered with IANA; 4000-4999: private use (§7.4.2).
    /// * 5000 and above: not defined.
    pub const fn is_valid_on_wire(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }
}

/// Where an endpoint is in the close handshake (§7.1.2-§7.1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CloseState {
    /// Neither side has sent a Close frame.
    #[default]
    Open,
    /// This endpoint sent a Close frame and waits for the peer's.
    CloseSent,
    /// The peer sent a Close frame that this endpoint has not answered yet.
    CloseReceived,
    /// Both Close frames were exchanged: the WebSocket Connection is closed
    /// (§7.1.4); only the TCP connection remains to be closed.
    Closed,
}

/// A request to do something the close handshake no longer allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CloseStateError {
    /// The state the request was made in.
    pub state: CloseState,
}

impl core::fmt::Display for CloseStateError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "not allowed after a close frame was sent (state {:?}) (RFC 6455 §5.5.1)",
            self.state
        )
    }
}

impl CloseState {
    /// Whether data frames may still be sent. §5.5.1: "After sending a Close frame,
    /// the application MUST NOT send any more data frames." Between receiving a
    /// Close and answering it, an endpoint "MAY delay sending a Close frame until
    /// its current message is sent".
    pub const fn may_send_data(self) -> bool {
        matches!(self, CloseState::Open | CloseState::CloseReceived)
    }

    /// Whether the peer may still send frames. §5.5.1: after the peer's Close, no
    /// further frame may come from it.
    pub const fn may_receive(self) -> bool {
        matches!(self, CloseState::Open | CloseState::CloseSent)
    }

    /// Whether this endpoint owes the peer a Close frame. §5.5.1: "If an endpoint
    /// receives a Close frame and did not previously send a Close frame, the
    /// endpoint MUST send a Close frame in response."
    pub const fn must_reply(self) -> bool {
        matches!(self, CloseState::CloseReceived)
    }

    /// Whether the close handshake is complete (§7.1.4).
    pub const fn is_closed(self) -> bool {
        matches!(self, CloseState::Closed)
    }

    /// Record that this endpoint sends a Close frame. A second Close is refused.
    pub fn on_send_close(&mut self) -> Result<(), CloseStateError> {
        *self = match *self {
            CloseState::Open => CloseState::CloseSent,
            CloseState::CloseReceived => CloseState::Closed,
            state => return Err(CloseStateError { state }),
        };
        Ok(())
    }

    /// Record that the peer's Close frame arrived. A second one is refused (the
    /// decoder reports it as a frame after close).
    pub fn on_receive_close(&mut self) -> Result<(), CloseStateError> {
        *self = match *self {
            CloseState::Open => CloseState::CloseReceived,
            CloseState::CloseSent => CloseState::Closed,
            state => return Err(CloseStateError { state }),
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_7_4_valid_codes() {
        for code in [
            1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999,
            4000, 4999,
        ] {
            assert!(CloseCode(code).is_valid_on_wire(), "{code}");
        }
        for code in [
            0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
        ] {
            assert!(!CloseCode(code).is_valid_on_wire(), "{code}");
        }
    }

    #[test]
    fn rfc6455_7_1_2_initiator_waits_for_reply() {
        let mut s = CloseState::Open;
        s.on_send_close().unwrap();
        assert!(!s.may_send_data());
        assert!(s.may_receive());
        assert!(s.on_send_close().is_err(), "a second close must be refused");
        s.on_receive_close().unwrap();
        assert!(s.is_closed());
        assert!(!s.may_receive());
    }

    #[test]
    fn rfc6455_5_5_1_receiver_must_reply() {
        let mut s = CloseState::Open;
        s.on_receive_close().unwrap();
        assert!(s.must_reply());
        assert!(s.may_send_data());
        assert!(!s.may_receive());
        assert!(s.on_receive_close().is_err());
        s.on_send_close().unwrap();
        assert!(s.is_closed());
        assert!(!s.must_reply());
    }
}
