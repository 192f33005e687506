//! Category 10, Misc (1 case): 10.1 auto-fragmentation. RFC 6455 §5.4: a sender
//! may split a message into any number of fragments, and the receiver delivers
//! the reassembled message.
//!
//! Autobahn sets the fuzzer's own `autoFragmentSize` to 1300 and, after the
//! case, checks the frames the *fuzzer* sent (50 continuation frames and 1 text
//! frame): that tests the fuzzer's framing, not the server. We send the message
//! with `fragment_size` 1300, which our engine frames exactly that way (text
//! 1300, 49 continuation × 1300, final continuation 536), so that post-check has
//! nothing to check and is left out.

use super::{echo, message};
use crate::ws::case::{Case, ExpectedClose, Step};

/// Case 10.1.1.
pub fn cases() -> Vec<Case> {
    let payload = vec![b'*'; 65536];
    // RFC 6455 §5.4: the fragments of one message are delivered as one message.
    vec![Case::new(
        "10.1.1",
        "Send a text message of 65536 '*' split into frames of at most 1300 bytes (51 frames: 1 text, 50 continuation, the last one of 536 bytes).",
        "The server echoes one text message of 65536 '*'; the fuzzer then closes with 1000 and the close is clean.",
        vec![echo(payload.clone(), false)],
        ExpectedClose::fuzzer_closes_normally(),
        vec![message(payload, false, Some(1300)), Step::kill_after(10.0)],
    )]
}
