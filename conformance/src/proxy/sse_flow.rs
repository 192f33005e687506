//! An event stream as it passes: the response body decoded from its framing
//! (chunked, a Content-Length, or until the server closes), fed to the
//! producer-grammar checker (`wirecheck_codec::sse::lint`: BOMs, lone CRs in a
//! CRLF stream, unknown or miscased fields, invalid `retry`, ...), and timed:
//! the longest silence, and how long the stream stopped inside an event (a
//! buffering server or proxy in front of it holds events back).
//!
//! Offsets: a grammar finding's offset is in the server's direction, exact for
//! a body without chunked framing; in a chunked body it is the offset of the
//! end of the read that revealed it (chunk framing sits between body bytes).

use wirecheck_codec::http::Framing;
use wirecheck_codec::sse::lint::Lint;

use super::ws_flow::Problem;

/// A silence longer than this is reported (WHATWG SSE §9.2.7: a comment line
/// every 15 seconds or so keeps proxies from dropping the connection).
pub const HEARTBEAT_MS: u64 = 15_000;

/// A read that stops inside an event whose rest arrives this much later or
/// more is a held-back event.
pub const HELD_MS: u64 = 1_000;

/// One event stream.
#[derive(Debug)]
pub struct SseFlow {
    framing: Framing,
    lint: Lint,
    body: Vec<u8>,
    /// The server direction's offset of the next byte fed, and of the body's first.
    at: u64,
    body_start: u64,
    reported: usize,
    framing_failed: bool,
    /// The body ended (its length, its last chunk).
    ended: bool,
    last_ms: u64,
    longest_silence_ms: u64,
    /// Since when the stream has stopped inside an event.
    inside_since: Option<u64>,
    longest_held_ms: u64,
}

impl SseFlow {
    /// A stream with `framing` whose body starts at offset `at`, opened at `now_ms`.
    pub fn new(framing: Framing, at: u64, now_ms: u64) -> SseFlow {
        SseFlow {
            framing,
            lint: Lint::new(),
            body: Vec::new(),
            at,
            body_start: at,
            reported: 0,
            framing_failed: false,
            ended: false,
            last_ms: now_ms,
            longest_silence_ms: 0,
            inside_since: None,
            longest_held_ms: 0,
        }
    }

    /// Whether the body is complete (its last chunk, or its length, is in):
    /// what follows is the next response on the connection.
    pub fn done(&self) -> bool {
        self.ended
    }

    /// The next bytes from the server, read at `now_ms`: how many of them the
    /// body took (all, unless it ended among them).
    pub fn feed(&mut self, now_ms: u64, bytes: &[u8], out: &mut Vec<Problem>) -> usize {
        let read_at = self.at;
        if self.framing_failed || bytes.is_empty() {
            self.at += bytes.len() as u64;
            return bytes.len();
        }
        self.longest_silence_ms = self
            .longest_silence_ms
            .max(now_ms.saturating_sub(self.last_ms));
        self.last_ms = now_ms;
        if let Some(since) = self.inside_since.take() {
            self.longest_held_ms = self.longest_held_ms.max(now_ms.saturating_sub(since));
        }
        // Chunk framing sits between body bytes: an offset inside the body is
        // then not one in the transport.
        let exact = !matches!(self.framing, Framing::Chunked(_));
        self.body.clear();
        let taken = match self.framing.take(bytes, &mut self.body) {
            Ok((n, ended)) => {
                self.ended = ended;
                n
            }
            Err(e) => {
                self.framing_failed = true;
                out.push(Problem {
                    rule: "RFC 9112 §7.1".to_owned(),
                    what: format!("the chunked body does not decode: {e}"),
                    offset: read_at,
                });
                bytes.len()
            }
        };
        self.lint.feed(&self.body);
        self.at += taken as u64;
        self.report(exact, out);
        if self.lint.inside_event() {
            self.inside_since = Some(now_ms);
        }
        taken
    }

    /// The stream ended at `now_ms`; `by_server`: the server closed it (not the
    /// client going away), so an unfinished last event is the server's doing.
    pub fn finish(&mut self, now_ms: u64, by_server: bool, out: &mut Vec<Problem>) {
        if by_server && !self.framing_failed {
            self.lint.finish();
            self.report(true, out);
        }
        let silence = self
            .longest_silence_ms
            .max(now_ms.saturating_sub(self.last_ms));
        if silence > HEARTBEAT_MS {
            out.push(Problem {
                rule: "WHATWG SSE §9.2.7".to_owned(),
                what: format!(
                    "the stream was silent for {:.1} s (a comment line every 15 s or so keeps proxies from dropping it)",
                    silence as f64 / 1000.0
                ),
                offset: self.at,
            });
        }
        if self.longest_held_ms >= HELD_MS {
            out.push(Problem {
                rule: "WHATWG SSE §9.2.7".to_owned(),
                what: format!(
                    "a read stopped inside an event and its rest came {:.1} s later (events held back: a buffering server, proxy or compressor)",
                    self.longest_held_ms as f64 / 1000.0
                ),
                offset: self.at,
            });
        }
    }

    fn report(&mut self, exact: bool, out: &mut Vec<Problem>) {
        for f in &self.lint.findings()[self.reported..] {
            out.push(Problem {
                rule: f.rule.clause().to_owned(),
                what: format!(
                    "line {}: {}{}",
                    f.line,
                    f.rule.describe(),
                    if f.detail.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", f.detail)
                    }
                ),
                offset: if exact {
                    self.body_start + f.offset
                } else {
                    self.at
                },
            });
        }
        self.reported = self.lint.findings().len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wirecheck_codec::http::Chunked;

    fn run(framing: Framing, reads: &[(u64, &[u8])], end_ms: u64, by_server: bool) -> Vec<Problem> {
        let mut flow = SseFlow::new(framing, 50, 0);
        let mut out = Vec::new();
        for (t, b) in reads {
            flow.feed(*t, b, &mut out);
        }
        flow.finish(end_ms, by_server, &mut out);
        out
    }

    #[test]
    fn a_clean_stream_in_any_framing_gives_nothing() {
        let body: &[u8] = b"retry: 1000\n\nid: 1\ndata: a\n\n: ping\n\n";
        assert_eq!(run(Framing::Close, &[(0, body)], 100, true), []);
        assert_eq!(
            run(Framing::Length(body.len() as u64), &[(0, body)], 100, true),
            []
        );
        let chunked = b"5\r\nretry\r\n1f\r\n: 1000\n\nid: 1\ndata: a\n\n: ping\n\n\r\n0\r\n\r\n";
        assert_eq!(
            run(
                Framing::Chunked(Chunked::default()),
                &[(0, chunked)],
                100,
                true
            ),
            []
        );
    }

    #[test]
    fn grammar_findings_name_their_clause_and_offset() {
        let p = run(
            Framing::Close,
            &[(0, b"data: a\n\nretry: soon\n\n")],
            10,
            true,
        );
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].rule, "WHATWG SSE §9.2.6");
        assert_eq!(p[0].offset, 50 + 9);
        assert!(p[0].what.contains("retry"), "{}", p[0].what);
        let p = run(
            Framing::Close,
            &[(0, b"data: a\r\ndata: b\r\rdata: c\r\n\r\n")],
            10,
            true,
        );
        assert!(p.iter().any(|p| p.rule == "WHATWG SSE §9.2.5"), "{p:?}");
    }

    #[test]
    fn an_unfinished_event_counts_only_when_the_server_ended_the_stream() {
        let reads: &[(u64, &[u8])] = &[(0, b"data: a\n\ndata: cut")];
        let p = run(Framing::Close, reads, 10, true);
        assert!(!p.is_empty(), "{p:?}");
        assert!(p.iter().all(|p| p.rule == "WHATWG SSE §9.2.6"), "{p:?}");
        assert_eq!(run(Framing::Close, reads, 10, false), []);
    }

    #[test]
    fn silence_and_held_back_events_are_timed_by_the_callers_clock() {
        let reads: &[(u64, &[u8])] = &[(0, b"data: a\n\n"), (20_000, b"data: b\n\n")];
        let p = run(Framing::Close, reads, 20_100, false);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].what.contains("silent for 20.0 s"), "{}", p[0].what);
        let reads: &[(u64, &[u8])] = &[(0, b"data: a\n\ndata: b"), (1_500, b"\n\n")];
        let p = run(Framing::Close, reads, 1_600, false);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].what.contains("held back"), "{}", p[0].what);
    }

    #[test]
    fn a_broken_chunked_body_is_reported_once() {
        let p = run(
            Framing::Chunked(Chunked::default()),
            &[(0, b"zz\r\n"), (1, b"more")],
            2,
            true,
        );
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].rule, "RFC 9112 §7.1");
    }
}
