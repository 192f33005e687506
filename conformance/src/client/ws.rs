//! `wirecheck client ws URL [--agent NAME]`: a client driver for Autobahn's
//! fuzzingserver protocol on the codec's [`Connection`], as every client
//! library keeps one: ask `URL/getCaseCount`, then for each case connect to
//! `URL/runCase?case=N&agent=NAME` and echo every message until the server
//! closes, then ask `URL/updateReports?agent=NAME`.
//!
//! It offers permessage-deflate (RFC 7692) and checks the answer, masks every
//! frame with a fresh key from the operating system (RFC 6455
//! §5.3, §10.3), answers pings and the server's Close with its code, waits for
//! the server to close TCP first (§7.1.1), and fails with the rule's close code
//! on what it must refuse. Every connection has deadlines: a server that goes
//! quiet or never closes cannot hold it.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{Instant, timeout, timeout_at};
use wirecheck_codec::ws::deflate::{Offer, validate_response};
use wirecheck_codec::ws::message::{Config, Event};
use wirecheck_codec::ws::{Connection, Limits, Role};

use crate::command::{EXIT_OK, EXIT_UNREACHABLE, usage};
use crate::net::Target;
use crate::serve::ws::respond_next;
use crate::ws::driver::opening::{ClientOpening, Progress};
use crate::ws::engine::{EngineConfig, open, opening_request};

/// Nothing moved either way for this long: the connection is given up.
const IDLE: Duration = Duration::from_secs(20);
/// The longest one connection may last (the 9.x cases move 16 MiB messages).
const CONNECTION_CAP: Duration = Duration::from_secs(300);
/// How long to wait for the server to close TCP after the close handshake
/// (RFC 6455 §7.1.1: "a reasonable time period"; C.4.1 waits 2 s).
const DROP_WAIT: Duration = Duration::from_secs(5);
/// The largest count `/getCaseCount` may announce.
const MAX_CASES: u64 = 100_000;

/// What one connection came to.
struct Session {
    /// The text messages received.
    texts: Vec<String>,
}

/// Run the driver against the fuzzing server at `url`; returns the exit code:
/// 0 once every case ran (the verdicts are the server's), 3 if the server
/// cannot be reached or does not answer `/getCaseCount`.
pub async fn run_client_ws(url: &str, agent: &str) -> u8 {
    let base = match Target::parse(url) {
        Ok(t) => t,
        Err(e) => return usage(e),
    };
    if agent.is_empty() {
        return usage("--agent must not be empty".to_owned());
    }
    let agent_q: String = url::form_urlencoded::byte_serialize(agent.as_bytes()).collect();
    let count = match session(&base, "/getCaseCount", false).await {
        Ok(s) => s.texts.first().and_then(|t| t.trim().parse::<u64>().ok()),
        Err(e) => {
            eprintln!("wirecheck: {url}/getCaseCount: {e}");
            return EXIT_UNREACHABLE;
        }
    };
    let Some(count) = count.filter(|&n| n <= MAX_CASES) else {
        eprintln!("wirecheck: {url}/getCaseCount did not answer with a case count");
        return EXIT_UNREACHABLE;
    };
    eprintln!("wirecheck: {count} cases at {url}");
    for n in 1..=count {
        let path = format!("/runCase?case={n}&agent={agent_q}");
        if let Err(e) = session(&base, &path, true).await {
            // The verdict is the server's; a connection the case makes fail is
            // part of it.
            eprintln!("wirecheck: case {n}: {e}");
        }
    }
    if let Err(e) = session(&base, &format!("/updateReports?agent={agent_q}"), false).await {
        eprintln!("wirecheck: {url}/updateReports: {e}");
    }
    EXIT_OK
}

/// One connection to `path` below `base`: open, then echo (or only read)
/// until the close handshake is over.
async fn session(base: &Target, path: &str, echo: bool) -> Result<Session, String> {
    let mut target = base.clone();
    target.path = format!("{}{path}", base.path.trim_end_matches('/'));
    let cfg = EngineConfig::default();
    let mut key = [0u8; 16];
    getrandom::fill(&mut key).map_err(|e| format!("no randomness for the key: {e}"))?;
    // RFC 7692: offer permessage-deflate, letting the server ask for both
    // client parameters (as browsers and Node ws do), so the compression
    // cases run.
    let offer = Offer {
        client_no_context_takeover: true,
        client_max_window_bits: Some(None),
        ..Offer::default()
    };
    let request = opening_request(&target, &cfg, key).extension(offer.to_extension());
    let mut hs = ClientOpening::textbook(request)?;
    let tls = crate::tls::client_config(false).map_err(|e| e.to_string())?;
    let (mut stream, progress) = timeout(
        cfg.open_handshake_timeout,
        open(&target, Some(&tls), &mut hs),
    )
    .await
    .map_err(|_| "no opening handshake within 5 s".to_owned())??;
    let leftover = match progress {
        Progress::Open(rest) => rest,
        Progress::Refused { status, .. } => return Err(format!("refused with {status}")),
        Progress::Failed(why) | Progress::BadAnswer(why) => return Err(why),
        Progress::Switched(to) => return Err(format!("101 switched to {to}, not websocket")),
        Progress::More => return Err("the opening handshake did not finish".to_owned()),
    };
    let mut conn = Connection::client(
        Config {
            limits: Limits::default(),
            ..Config::new(Role::Client)
        },
        Box::new(|| {
            let mut k = [0u8; 4];
            // §10.3: from a strong source of entropy. Should the OS fail us,
            // a zero key is still a valid frame (the server judges it).
            let _ = getrandom::fill(&mut k);
            k
        }),
    );
    // §7.1: an answer the client did not allow fails the connection.
    match validate_response(&[offer], hs.accepted_extensions()) {
        // Level 1, as the reference server: a test driver, not a bandwidth saver.
        Ok(Some(agreed)) => conn.use_deflate_at(agreed, 1),
        Ok(None) => {}
        Err(e) => return Err(format!("the server's permessage-deflate answer: {e}")),
    }
    let mut texts = Vec::new();
    let cap = Instant::now() + CONNECTION_CAP;
    // What followed the 101 in its read, then every read straight into the
    // connection's receive buffer (decoded in place).
    conn.spare(leftover.len())[..leftover.len()].copy_from_slice(&leftover);
    conn.commit(leftover.len());
    loop {
        let finished = if echo {
            respond_next(&mut conn)
        } else {
            read_texts(&mut conn, &mut texts)
        };
        let out = conn.take_outbound();
        if !out.is_empty() {
            timeout_at(cap.min(Instant::now() + IDLE), stream.write_all(&out))
                .await
                .map_err(|_| "the server stopped reading".to_owned())?
                .map_err(|e| format!("writing: {e}"))?;
        }
        if finished {
            break;
        }
        match timeout_at(
            cap.min(Instant::now() + IDLE),
            stream.read(conn.spare(64 * 1024)),
        )
        .await
        {
            Ok(Ok(0)) | Ok(Err(_)) => return Ok(Session { texts }),
            Ok(Ok(n)) => conn.commit(n),
            Err(_) => return Err("the server went quiet".to_owned()),
        }
    }
    // §7.1.1: the client waits for the server to close TCP, bounded.
    let deadline = Instant::now() + DROP_WAIT;
    let mut buf = [0u8; 4096];
    while let Ok(Ok(n)) = timeout_at(deadline, stream.read(&mut buf)).await {
        if n == 0 {
            break;
        }
    }
    Ok(Session { texts })
}

/// Feed `input`, keeping text messages (bounded: the first few).
fn read_texts(conn: &mut Connection, texts: &mut Vec<String>) -> bool {
    loop {
        match conn.receive_next() {
            Ok(Some((Event::Message { data, .. }, _))) => {
                if texts.len() < 16 {
                    texts.push(String::from_utf8_lossy(&data[..data.len().min(4096)]).into_owned());
                }
            }
            Ok(Some((Event::Close(_), _))) => return true,
            Ok(Some(_)) => {}
            Ok(None) => return conn.should_close_tcp(),
            Err(_) => return true,
        }
    }
}
