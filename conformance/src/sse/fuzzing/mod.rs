//! Testing an EventSource client (`wirecheck clients sse`): the `EC.` cases
//! ([`cases`]) and the listener that serves them and records what the client
//! does ([`server`]). The client is judged from the server's side (its
//! requests) and from the events it reports back through a few lines of
//! adapter code (README "Testing an SSE client").

pub mod cases;
pub mod server;
