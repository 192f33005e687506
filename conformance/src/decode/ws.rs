//! `wirecheck decode ws` (DESIGN §4).

use std::io::{self, Read, Write};
use std::num::NonZeroUsize;

use wirecheck_codec::ws::Role;

use super::Outcome;

/// Options of `decode ws`.
#[derive(Debug, Clone)]
pub struct Options {
    /// The role of the decoding endpoint.
    pub role: Role,
    /// Feed the decoder this many bytes at a time; `None` feeds each read whole.
    pub chunk: Option<NonZeroUsize>,
    /// Print each frame header before its effect.
    pub frames: bool,
}

/// Decode `input` as the frames an endpoint of `opts.role` receives, printing JSON Lines to `out`.
pub fn run(_input: &mut dyn Read, _opts: &Options, _out: &mut dyn Write) -> io::Result<Outcome> {
    Err(io::Error::other("decode ws is not built yet"))
}
