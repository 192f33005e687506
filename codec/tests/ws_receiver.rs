//! The receive path that reads straight into the decoder's buffer
//! (`ws::Receiver`: `spare`, `commit`, `next`) against the slice API: the same
//! events and the same error whatever the read sizes, a single-frame message
//! decoded in place (nothing assembled), and the buffer within its bounds.

#[path = "support/owned.rs"]
mod owned;

use std::num::NonZeroUsize;

use owned::{OwnedEvent, decode_split};
use proptest::prelude::*;
use wirecheck_codec::ws::message::Config;
use wirecheck_codec::ws::receiver::RETAINED;
use wirecheck_codec::ws::{
    CloseCode, Event, Limits, MessageKind, OpCode, ProtocolError, Receiver, Role, encode,
};

/// Everything a receiver yields when `input` arrives in reads of the given
/// sizes (repeated): the events, the error, and the most capacity it held.
fn receive(
    config: Config,
    fail_fast: bool,
    input: &[u8],
    reads: &[usize],
) -> (Vec<OwnedEvent>, Option<ProtocolError>, usize) {
    let mut rx = Receiver::new(config);
    rx.set_fail_fast_text(fail_fast);
    let mut events = Vec::new();
    let mut at = 0;
    let mut max_capacity = 0;
    let mut i = 0;
    loop {
        loop {
            match rx.next_event() {
                Ok(Some(e)) => events.push(OwnedEvent::from(&e)),
                Ok(None) => break,
                Err(e) => return (events, Some(e), max_capacity.max(rx.capacity())),
            }
        }
        max_capacity = max_capacity.max(rx.capacity());
        if at == input.len() {
            return (events, None, max_capacity);
        }
        let want = reads
            .get(i % reads.len().max(1))
            .copied()
            .unwrap_or(4096)
            .max(1);
        i += 1;
        let spare = rx.spare(1);
        let n = want.min(spare.len()).min(input.len() - at);
        spare[..n].copy_from_slice(&input[at..at + n]);
        rx.commit(n);
        at += n;
    }
}

/// One final frame (RSV 0) carrying `payload`, masked with `key` if given.
fn one_frame(opcode: OpCode, key: Option<[u8; 4]>, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode::frame(&mut out, true, 0, opcode, key, payload);
    out
}

/// A stream of messages (some fragmented), pings and a close, masked when the
/// receiver is a server.
fn stream(receiver: Role, sizes: &[(usize, bool, Option<usize>)], seed: u8) -> Vec<u8> {
    let mut key = u32::from(seed);
    let mut mask = || {
        key = key.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (receiver == Role::Server).then_some(key.to_be_bytes())
    };
    let mut out = Vec::new();
    for (i, &(size, text, frag)) in sizes.iter().enumerate() {
        let data: Vec<u8> = (0..size).map(|j| b'a' + ((i + j) % 26) as u8).collect();
        let kind = if text {
            MessageKind::Text
        } else {
            MessageKind::Binary
        };
        encode::message(
            &mut out,
            kind,
            &data,
            frag.and_then(NonZeroUsize::new),
            &mut mask,
        );
        if i % 3 == 1 {
            encode::ping(&mut out, mask(), b"p").expect("ping");
        }
    }
    encode::close(&mut out, mask(), Some(CloseCode(1000)), "bye").expect("close");
    out
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::Server), Just(Role::Client)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// The receive path decides as the slice API does, however the socket's
    /// reads fall, valid traffic or with bytes spliced in (errors mid-stream).
    #[test]
    fn receiving_in_place_gives_the_slice_apis_events_under_any_reads(
        receiver in role(),
        sizes in proptest::collection::vec((0usize..3000, any::<bool>(), proptest::option::of(1usize..700)), 0..6),
        noise in proptest::collection::vec(any::<u8>(), 0..12),
        noise_at in any::<usize>(),
        seed in any::<u8>(),
        reads in proptest::collection::vec(1usize..5000, 1..6),
        report_frames in any::<bool>(),
        fail_fast in any::<bool>(),
    ) {
        let mut bytes = stream(receiver, &sizes, seed);
        let at = noise_at % (bytes.len() + 1);
        bytes.splice(at..at, noise);
        let mut config = Config::new(receiver);
        config.report_frames = report_frames;
        let slice = decode_split(config, &bytes, &[]);
        let (events, error, capacity) = receive(config, fail_fast, &bytes, &reads);
        let mut expected = slice.events;
        // A frame the receiver waits for whole has its header reported once
        // the frame is: one cut off by the end of the input is reported by
        // the slice API only.
        if error.is_none()
            && events.len() + 1 == expected.len()
            && matches!(expected.last(), Some(OwnedEvent::Frame(_)))
        {
            expected.pop();
        }
        // Without failing fast, a text frame cut off by the end of the input
        // is never validated: its UTF-8 error is the slice API's only.
        let cut_off = !fail_fast && error.is_none() && slice.error.is_some_and(|e| e.close_code() == 1007);
        if cut_off {
            prop_assert!(expected.starts_with(&events));
        } else {
            prop_assert_eq!(events, expected);
            prop_assert_eq!(error, slice.error);
        }
        // The receive buffer: what arrived and room for a read (4 KiB at
        // least while a frame is waited for), doubled at most once past that;
        // the decoder's: a fragmented message being assembled.
        let largest_read = reads.iter().copied().max().unwrap_or(1);
        prop_assert!(capacity <= 2 * (bytes.len() + largest_read.max(4096)) + bytes.len(), "{capacity}");
    }
}

/// Everything `rx` yields when `bytes` arrive in 1460-byte reads (one TCP
/// segment each), asserting after every read that the decoder has assembled
/// nothing: the frame waits, or is checked, where it lies in the receive buffer.
fn segments_in_place(rx: &mut Receiver, bytes: &[u8]) -> Vec<OwnedEvent> {
    let mut events = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let spare = rx.spare(1460);
        let n = 1460.min(spare.len()).min(bytes.len() - at);
        spare[..n].copy_from_slice(&bytes[at..at + n]);
        rx.commit(n);
        at += n;
        while let Some(event) = rx.next_event().expect("valid") {
            events.push(OwnedEvent::from(&event));
        }
        assert_eq!(rx.decoder().buffered_capacity(), 0, "assembled");
    }
    events
}

#[test]
fn a_large_message_arriving_in_small_reads_is_decoded_in_place() {
    let payload: Vec<u8> = (0..1 << 20).map(|i| (i % 251) as u8).collect();
    let bytes = one_frame(OpCode::Binary, Some([9, 8, 7, 6]), &payload);
    let mut rx = Receiver::new(Config::new(Role::Server));
    let events = segments_in_place(&mut rx, &bytes);
    assert_eq!(events, [OwnedEvent::Message(MessageKind::Binary, payload)]);
}

/// Failing fast does not cost the assembly copy: a text message in one frame
/// is unmasked and validated as it arrives, and handed out where it lies.
#[test]
fn a_large_text_message_is_checked_as_it_arrives_and_handed_out_in_place() {
    let text = "grüße, 世界 ".repeat(60_000);
    let bytes = one_frame(OpCode::Text, Some([9, 8, 7, 6]), text.as_bytes());
    for report_frames in [false, true] {
        let mut config = Config::new(Role::Server);
        config.report_frames = report_frames;
        let mut rx = Receiver::new(config);
        let mut events = segments_in_place(&mut rx, &bytes);
        assert_eq!(
            events.pop(),
            Some(OwnedEvent::Message(
                MessageKind::Text,
                text.clone().into_bytes()
            ))
        );
        // With frame reports, the header came first, before the payload.
        assert_eq!(events.len(), usize::from(report_frames));
        assert!(events.iter().all(|e| matches!(e, OwnedEvent::Frame(_))));
    }
}

#[test]
fn the_buffer_grows_only_within_the_frame_limit_and_shrinks_back() {
    let mut config = Config::new(Role::Client);
    config.limits = Limits {
        max_frame_size: 1 << 20,
        max_message_size: 1 << 20,
    };
    // A header announcing 8 GiB: refused on the header, nothing grown for it.
    let mut rx = Receiver::new(config);
    let head = [0x82, 127, 0, 0, 0, 2, 0, 0, 0, 0];
    rx.extend(&head);
    assert!(rx.next_event().is_err());
    assert!(rx.spare(1).len() < 64 * 1024);
    assert!(rx.capacity() < 64 * 1024);
    // A header announcing a frame within the limit, and nothing more: the
    // buffer grows with what arrives, not with what is announced.
    let mut rx = Receiver::new(config);
    rx.extend(&[0x82, 127, 0, 0, 0, 0, 0, 0x0f, 0, 0]);
    assert!(rx.next_event().expect("valid so far").is_none());
    assert!(
        rx.spare(1).len() <= 8192 && rx.capacity() <= 8192,
        "{}",
        rx.capacity()
    );
    // After a 1 MiB frame, a small one gives the large buffer back.
    let mut rx = Receiver::new(config);
    let bytes = one_frame(OpCode::Binary, None, &vec![1u8; 1 << 20]);
    rx.extend(&bytes);
    assert!(matches!(rx.next_event(), Ok(Some(Event::Message { .. }))));
    assert!(rx.next_event().expect("nothing more").is_none());
    assert!(rx.capacity() > RETAINED);
    rx.extend(b"\x81\x02hi");
    assert!(matches!(rx.next_event(), Ok(Some(Event::Message { .. }))));
    assert!(rx.next_event().expect("nothing more").is_none());
    assert_eq!(rx.capacity(), RETAINED);
    rx.release();
    assert_eq!(
        rx.capacity(),
        RETAINED,
        "a buffer at the retained size is kept"
    );
}

#[test]
fn a_buffer_the_owners_reads_need_is_kept_between_small_frames() {
    // An owner reading 1 MiB at a time: every read that leaves nothing pending
    // must not give the buffer back only to grow (and zero) it again.
    let read = 1 << 20;
    let mut rx = Receiver::new(Config::new(Role::Client));
    for round in 0..3 {
        let frame = one_frame(OpCode::Binary, None, b"small");
        let spare = rx.spare(read);
        assert!(spare.len() >= read);
        spare[..frame.len()].copy_from_slice(&frame);
        rx.commit(frame.len());
        assert!(matches!(rx.next_event(), Ok(Some(Event::Message { .. }))));
        assert!(rx.next_event().expect("nothing more").is_none());
        assert!(rx.capacity() >= read, "round {round}: {}", rx.capacity());
    }
    // Reads of a few KiB after it: the large buffer is given back.
    let frame = one_frame(OpCode::Binary, None, b"small");
    let spare = rx.spare(4096);
    spare[..frame.len()].copy_from_slice(&frame);
    rx.commit(frame.len());
    assert!(matches!(rx.next_event(), Ok(Some(Event::Message { .. }))));
    assert!(rx.next_event().expect("nothing more").is_none());
    assert_eq!(rx.capacity(), RETAINED);
}

/// RFC 6455 §8.1, failing fast: by default a text frame is checked as it
/// arrives, so invalid UTF-8 fails before the frame is complete; with
/// `set_fail_fast_text(false)` the frame is decoded in place and fails once whole.
#[test]
fn invalid_text_fails_as_it_arrives_unless_told_to_decode_in_place() {
    let mut payload = vec![b'a'; 10_000];
    payload[10] = 0xff;
    let bytes = one_frame(OpCode::Text, Some([1, 2, 3, 4]), &payload);
    for (fail_fast, fails_within) in [(true, 100), (false, bytes.len())] {
        let mut rx = Receiver::new(Config::new(Role::Server));
        rx.set_fail_fast_text(fail_fast);
        let mut fed = 0;
        let failed_at = loop {
            assert!(fed < bytes.len(), "never failed");
            let n = 50.min(bytes.len() - fed);
            rx.extend(&bytes[fed..fed + n]);
            fed += n;
            if let Err(e) = rx.next_event() {
                assert_eq!(e.close_code(), 1007);
                break fed;
            }
        };
        assert!(
            failed_at <= fails_within,
            "fail_fast {fail_fast}: failed after {failed_at} bytes"
        );
        if !fail_fast {
            assert_eq!(failed_at, bytes.len());
        }
    }
}

#[test]
fn pending_bytes_are_what_arrived_undecoded_and_clear_forgets_them() {
    // A 300-byte masked frame: its first 100 bytes arrive, then 50 more.
    let bytes = one_frame(OpCode::Binary, Some([1, 2, 3, 4]), &[7u8; 300]);
    let mut rx = Receiver::new(Config::new(Role::Server));
    for (from, to) in [(0, 100), (100, 150)] {
        rx.extend(&bytes[from..to]);
        assert!(rx.next_event().expect("valid so far").is_none());
        // Still masked, exactly as received: the frame waits whole.
        assert_eq!(rx.pending_bytes(), &bytes[..to]);
    }
    rx.clear();
    assert_eq!(rx.pending(), 0);
    assert!(rx.pending_bytes().is_empty());
}
