//! HTTP/1.1 message heads and bodies (RFC 9112), sans-IO: the one HTTP layer of
//! the codec. The WebSocket opening handshake (`ws::handshake`) adds the
//! RFC 6455 §4 rules on top of it; the SSE runner's client and both reference
//! servers read and write their heads with it.
//!
//! * [`head`](self) (private): the byte-at-a-time RFC 9112 syntax check of a head,
//!   failing on the first byte no valid head can contain.
//! * [`scan`]: [`HeadLimits`] and the scanner that finds the end of a head
//!   looking at each byte once (linear however the input is split).
//! * [`message`]: [`Request`] and [`Response`] heads and their incremental
//!   readers, [`RequestParser`] and [`ResponseParser`].
//! * [`header`]: field syntax (tokens, comma lists, quoted strings) as a
//!   forward-only cursor.
//! * [`chunked`]: the chunked transfer coding, bounded.
//! * [`body`]: which bytes after a head are its body (RFC 9112 §6.3), for
//!   requests and responses.
//! * [`write`]: writing a head (whole, or a status line then field by field),
//!   every part checked first.
//! * [`error`]: [`HeadError`], with the rule broken and the status to answer.

pub mod body;
pub mod chunked;
pub mod error;
pub(crate) mod head;
pub mod header;
pub mod message;
pub mod scan;
pub mod write;

pub use body::{Framing, FramingError};
pub use chunked::{ChunkError, Chunked};
pub use error::{HeadError, HeadErrorKind};
pub use header::{Header, is_field_value, is_token, list_elements, media_type_essence, token_list};
pub use message::{Parsed, Request, RequestParser, Response, ResponseParser};
pub use scan::HeadLimits;
pub use write::{InvalidField, write_field, write_head, write_status_line};
