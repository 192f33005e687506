//! Properties of the case driver against a hostile peer, in memory: whatever
//! bytes a server sends after a valid handshake, in whatever pieces, the
//! driver never panics, ends in bounded turns and simulated time, and never
//! calls a case OK that received bytes no case expects.

#[path = "support/memory.rs"]
mod memory;

use proptest::prelude::*;
use wirecheck::ws::cases;
use wirecheck::ws::driver::Role;
use wirecheck_codec::ws::handshake::{AcceptResponse, RequestParser};

/// A server that accepts the handshake, then sends `chunks` one per turn, and
/// closes TCP after them if `close`.
struct Hostile {
    chunks: Vec<Vec<u8>>,
    out: Vec<u8>,
    parser: RequestParser,
    open: bool,
    close: bool,
}

impl memory::Peer for Hostile {
    fn receive(&mut self, bytes: &[u8]) {
        if self.open {
            return;
        }
        if let Ok(Some(parsed)) = self.parser.feed(bytes) {
            let upgrade = parsed
                .value
                .validate()
                .expect("the driver's request is valid");
            self.out = AcceptResponse::new(&upgrade).encode().expect("a response");
            self.open = true;
        }
    }

    fn transmit(&mut self) -> Vec<u8> {
        if !self.out.is_empty() {
            return std::mem::take(&mut self.out);
        }
        if self.open && !self.chunks.is_empty() {
            return self.chunks.remove(0);
        }
        Vec::new()
    }

    fn closed(&self) -> bool {
        self.open && self.close && self.chunks.is_empty() && self.out.is_empty()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn prop_driver_ends_without_panic_whatever_the_server_sends(
        case in 0usize..301,
        chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..12),
        close in any::<bool>(),
    ) {
        let all = cases::all();
        // The 301 core cases (the deflate ones close at once).
        let core: Vec<_> = all.iter().filter(|c| c.id.category() != "12" && c.id.category() != "13").collect();
        let case = core[case % core.len()];
        let sent_anything = chunks.iter().any(|c| !c.is_empty());
        let mut peer = Hostile {
            chunks,
            out: Vec::new(),
            parser: RequestParser::default(),
            open: false,
            close,
        };
        let r = memory::run(case, 1, Role::Client, &mut peer);
        prop_assert!(r.close.was_open);
        // Bounded in (simulated) time: the case cap of 30 s plus the close
        // timeouts, whatever the server does (the 9.x cases add their own timer).
        prop_assert!(r.duration_ms <= 32_000 || case.id.category() == "9", "{}: {} ms", case.id, r.duration_ms);
        // Random bytes are never exactly what a case expects when it expects
        // nothing but the close: a case that wants no events is OK only if
        // nothing arrived that the decoder took as an event.
        if sent_anything && case.expected.ok.is_empty() && r.behavior == wirecheck::core::Behavior::Ok {
            prop_assert!(r.received.is_empty(), "{}: {:?}", case.id, r.received);
        }
    }
}
