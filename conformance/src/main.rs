//! The `wirecheck` command line (DESIGN §3 and §4).

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::net::IpAddr;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use wirecheck::serve::Server;
use wirecheck::{client, clients, command, decode, report, serve, sse, ws};

/// Exit code for usage and configuration errors (DESIGN §3).
const EXIT_USAGE: u8 = 2;
/// Exit code for internal errors (DESIGN §3).
const EXIT_INTERNAL: u8 = 4;

#[derive(Parser)]
#[command(
    name = "wirecheck",
    version,
    about = "WebSocket and Server-Sent Events conformance checks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode a captured byte stream and print what the codec sees, as JSON Lines.
    #[command(subcommand)]
    Decode(DecodeCommand),
    /// Run a reference server, built on the codec, until Ctrl-C.
    #[command(subcommand)]
    Serve(ServeCommand),
    /// Validate a WebSocket server with Autobahn's cases (the reference server when no URL is given).
    Ws(WsArgs),
    /// Validate a Server-Sent Events server (the reference server when no URL is given).
    Sse(SseArgs),
    /// Test a client: serve Autobahn's fuzzingserver protocol, or run the client command after `--`.
    #[command(subcommand)]
    Clients(ClientsCommand),
    /// Reference clients, built on the codec.
    #[command(subcommand)]
    Client(ClientCommand),
    /// List case ids and descriptions.
    #[command(subcommand)]
    Cases(CasesCommand),
    /// Relay a client's traffic to a server and check both directions as they talk, until
    /// SIGINT or SIGTERM; exit 0 when nothing broke a rule, 1 otherwise.
    Proxy(ProxyArgs),
}

#[derive(Args)]
struct ProxyArgs {
    /// Where to accept clients (ADDR:PORT; port 0 picks a free one, printed on stderr).
    #[arg(long, value_name = "ADDR:PORT")]
    listen: std::net::SocketAddr,
    /// The server to relay to: http://, https://, ws:// or wss:// host[:port].
    #[arg(long, value_name = "URL")]
    upstream: String,
    /// How each finding is printed on stdout.
    #[arg(long, value_enum, default_value = "jsonl")]
    format: ProxyFormat,
    /// Accept an upstream certificate that does not verify (self-signed).
    #[arg(long)]
    insecure: bool,
    /// Stop by itself once N connections have ended (for scripts and CI).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    connections: Option<u64>,
    /// Write the reports (index.json, index.html, junit.xml, a page per connection) here at the end.
    #[arg(long, value_name = "DIR")]
    report_dir: Option<PathBuf>,
    /// Speak TLS to clients, with this PEM certificate chain and PEM private key.
    #[arg(long, num_args = 2, value_names = ["CERT", "KEY"])]
    listen_tls: Option<Vec<PathBuf>>,
}

#[derive(Clone, Copy, ValueEnum)]
enum ProxyFormat {
    Jsonl,
    Text,
}

#[derive(Subcommand)]
enum ClientsCommand {
    /// Test a WebSocket client with Autobahn's cases, roles reversed.
    Ws(ClientsWsArgs),
    /// Test an EventSource client with the EC. cases (see the README for the adapter protocol).
    Sse(ClientsWsArgs),
}

#[derive(Subcommand)]
enum ClientCommand {
    /// Run the EventSource adapter against `wirecheck clients sse`: every case, its events
    /// reported back.
    Sse {
        /// The fuzzing server (http://host:port).
        url: String,
    },
    /// Drive a fuzzing server (`wirecheck clients ws`, or Autobahn's) as a client library's test
    /// driver does: every case, echoing, then `/updateReports`.
    Ws(ClientWsArgs),
}

#[derive(Args)]
struct ClientWsArgs {
    /// The fuzzing server (ws://host:port).
    url: String,
    /// The agent name the server reports the results under.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "wirecheck-reference-client"
    )]
    agent: String,
}

#[derive(Args)]
struct ClientsWsArgs {
    /// The port to listen on (default 9001 for ws, Autobahn's, and 9002 for sse; a free one when a
    /// command is given).
    #[arg(long, value_name = "N")]
    port: Option<u16>,
    /// The IP address to listen on. Only loopback unless given explicitly.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    host: IpAddr,
    /// Run only the cases these patterns select (comma-separated, e.g. `1.*,6.4.*`).
    #[arg(long, value_delimiter = ',', value_name = "PAT,..")]
    cases: Vec<String>,
    /// Skip the cases these patterns select.
    #[arg(long, value_delimiter = ',', value_name = "PAT,..")]
    exclude: Vec<String>,
    /// Judge only this agent's results (default: every agent that ran a case).
    #[arg(long, value_name = "NAME")]
    agent: Option<String>,
    /// Where to write the reports (default: wirecheck-reports/clients-ws or clients-sse).
    #[arg(long, value_name = "DIR")]
    report_dir: Option<PathBuf>,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = command::Format::Text)]
    format: command::Format,
    /// Fail the run on NON-STRICT results too.
    #[arg(long)]
    strict: bool,
    /// Multiply every timeout and case timer (for slow clients or machines).
    #[arg(long, value_name = "F", default_value_t = 1.0)]
    timeout_scale: f64,
    /// When to colour the summary.
    #[arg(long, value_enum, default_value_t = report::ColorChoice::Auto)]
    color: report::ColorChoice,
    /// The client command to test, `{url}` in its arguments replaced by the server's URL (also in
    /// $WIRECHECK_URL).
    #[arg(last = true, value_name = "CMD ARG...")]
    command: Vec<String>,
}

#[derive(Subcommand)]
enum CasesCommand {
    /// The WebSocket cases.
    Ws {
        /// Only the cases these patterns select (comma-separated as for `--cases`;
        /// `*` within one id component, a trailing `.*` selects everything below).
        #[arg(value_name = "PAT,..")]
        pattern: Option<String>,
    },
    /// The Server-Sent Events cases.
    Sse {
        /// Only the cases these patterns select (comma-separated as for `--cases`:
        /// `E.2.*,E.*.1`).
        #[arg(value_name = "PAT,..")]
        pattern: Option<String>,
    },
}

/// The flags `wirecheck ws` and `wirecheck sse` share.
#[derive(Args)]
struct RunArgs {
    /// Run only the cases these patterns select (comma-separated, e.g. `1.*,6.4.*` or `E.1.*`).
    #[arg(long, value_delimiter = ',', value_name = "PAT,..")]
    cases: Vec<String>,
    /// Skip the cases these patterns select.
    #[arg(long, value_delimiter = ',', value_name = "PAT,..")]
    exclude: Vec<String>,
    /// Cases (ws) or requests (sse) at once (default: the number of CPUs). Verdicts do not
    /// depend on it.
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    jobs: Option<std::num::NonZeroUsize>,
    /// The agent name in the reports (default: the server's `Server` header).
    #[arg(long, value_name = "NAME")]
    agent: Option<String>,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = command::Format::Text)]
    format: command::Format,
    /// Fail the run on NON-STRICT results too.
    #[arg(long)]
    strict: bool,
    /// Multiply every timeout and case timer (for slow servers or machines).
    #[arg(long, value_name = "F", default_value_t = 1.0)]
    timeout_scale: f64,
    /// Send an extra request header (repeatable).
    #[arg(long = "header", value_name = "'K: V'")]
    headers: Vec<String>,
    /// When to colour the summary.
    #[arg(long, value_enum, default_value_t = report::ColorChoice::Auto)]
    color: report::ColorChoice,
    /// For wss:// and https:// targets: accept any server certificate (self-signed test servers).
    #[arg(long)]
    insecure: bool,
    /// The HTTP version to speak: 1.1, or 2 (prior knowledge over cleartext, ALPN h2 over TLS;
    /// WebSockets by RFC 8441's extended CONNECT).
    #[arg(long, value_enum, value_name = "1.1|2", default_value_t = wirecheck::net::Http::V1_1)]
    http: wirecheck::net::Http,
}

impl RunArgs {
    /// The options of a run, with what each command asks for itself.
    fn into_options(
        self,
        url: Option<String>,
        report_dir: PathBuf,
        origin: Option<String>,
    ) -> command::RunOptions {
        command::RunOptions {
            url,
            cases: self.cases,
            exclude: self.exclude,
            jobs: self.jobs.map_or_else(
                || {
                    std::thread::available_parallelism()
                        .map_or(2, std::num::NonZeroUsize::get)
                        .min(command::MAX_JOBS)
                },
                std::num::NonZeroUsize::get,
            ),
            agent: self.agent,
            report_dir,
            format: self.format,
            strict: self.strict,
            timeout_scale: self.timeout_scale,
            origin,
            headers: self.headers,
            color: self.color,
            insecure: self.insecure,
            http: self.http,
        }
    }
}

#[derive(Args)]
struct SseArgs {
    /// The server to validate (http:// or https://host[:port]/path). Without it, wirecheck starts
    /// its reference SSE server on a free loopback port and validates that.
    url: Option<String>,
    #[command(flatten)]
    run: RunArgs,
    /// Where to write the reports.
    #[arg(long, value_name = "DIR", default_value = "wirecheck-reports/sse")]
    report_dir: PathBuf,
    /// Send this Origin header and check CORS (cases E.5.*).
    #[arg(long, value_name = "ORIGIN")]
    origin: Option<String>,
    /// How long to observe the stream, in seconds (liveness, heartbeat, buffering).
    #[arg(long, value_name = "SECS", default_value_t = 20.0)]
    duration: f64,
    /// The longest silence tolerated before E.3.4 reports a missing heartbeat, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 15.0)]
    heartbeat: f64,
    /// What every event's data must be (E.2.10): text (anything) or json (one JSON text each).
    #[arg(long, value_enum, default_value_t = sse::case::DataContract::Text)]
    data: sse::case::DataContract,
}

#[derive(Args)]
struct WsArgs {
    /// The server to validate (ws:// or wss://host[:port]/path). Without it, wirecheck starts its
    /// reference server on a free loopback port and validates that.
    url: Option<String>,
    #[command(flatten)]
    run: RunArgs,
    /// Where to write the reports.
    #[arg(long, value_name = "DIR", default_value = "wirecheck-reports/ws")]
    report_dir: PathBuf,
    /// Send this Origin header.
    #[arg(long, value_name = "ORIGIN")]
    origin: Option<String>,
    /// Which of wirecheck's own S. cases run: quick (the default) or full, which adds the
    /// heavy or slow ones (slowloris for up to 30 s, a million fragments, a 4 GiB decompression bomb).
    #[arg(long, value_enum, default_value_t = ws::command::Profile::Quick)]
    profile: ws::command::Profile,
    /// The origins the server is meant to accept, which judges the S.1 cases: any, same (the
    /// target's own), or a comma-separated list (https://app.example,https://example.com:8443).
    /// Without it the S.1 cases are INFORMATIONAL.
    #[arg(long, value_name = "any|same|LIST")]
    origin_policy: Option<String>,
}

#[derive(Subcommand)]
enum ServeCommand {
    /// The WebSocket echo server (RFC 6455): echoes messages, answers pings and closes.
    Ws(ServeWsArgs),
    /// The Server-Sent Events server: one event per interval, Last-Event-ID replay, ?end=N, gzip, CORS.
    Sse(ServeSseArgs),
}

#[derive(Args)]
struct ServeWsArgs {
    /// The port to listen on (0 picks a free one).
    #[arg(long, value_name = "N", default_value_t = serve::ws::DEFAULT_PORT)]
    port: u16,
    /// The IP address to listen on. Only loopback unless given explicitly.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    host: IpAddr,
    /// Serve over TLS with this PEM certificate chain and PEM private key; ALPN offers h2 then
    /// http/1.1 (cleartext serves both too, HTTP/2 by prior knowledge).
    #[arg(long, num_args = 2, value_names = ["CERT", "KEY"])]
    tls: Option<Vec<PathBuf>>,
}

#[derive(Args)]
struct ServeSseArgs {
    /// The port to listen on (0 picks a free one).
    #[arg(long, value_name = "N", default_value_t = serve::sse::DEFAULT_PORT)]
    port: u16,
    /// The IP address to listen on. Only loopback unless given explicitly.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    host: IpAddr,
    /// Serve over TLS with this PEM certificate chain and PEM private key; ALPN offers h2 then
    /// http/1.1 (cleartext serves both too, HTTP/2 by prior knowledge).
    #[arg(long, num_args = 2, value_names = ["CERT", "KEY"])]
    tls: Option<Vec<PathBuf>>,
}

#[derive(Subcommand)]
enum DecodeCommand {
    /// Decode WebSocket frames as received by an endpoint of the given role.
    Ws(DecodeWsArgs),
    /// Decode a text/event-stream body.
    Sse(DecodeSseArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Server,
    Client,
}

#[derive(Args)]
struct DecodeWsArgs {
    /// The role of the decoding endpoint: a server receives masked frames, a client unmasked ones.
    #[arg(long, value_enum)]
    role: RoleArg,
    /// Feed the input N bytes at a time (the output must not depend on N).
    #[arg(long, value_name = "N")]
    chunk: Option<NonZeroUsize>,
    /// Also print each frame header before its effect.
    #[arg(long)]
    frames: bool,
    /// permessage-deflate was agreed: the server's `Sec-WebSocket-Extensions` answer,
    /// e.g. "permessage-deflate; server_no_context_takeover" (RFC 7692).
    #[arg(long, value_name = "PARAMS")]
    deflate: Option<String>,
    /// The input file, or `-` for standard input.
    #[arg(default_value = "-")]
    input: PathBuf,
}

#[derive(Args)]
struct DecodeSseArgs {
    /// Feed the input N bytes at a time (the output must not depend on N).
    #[arg(long, value_name = "N")]
    chunk: Option<NonZeroUsize>,
    /// Seed the last event ID, as a reconnecting client would.
    #[arg(long, value_name = "ID")]
    last_event_id: Option<String>,
    /// The input file, or `-` for standard input.
    #[arg(default_value = "-")]
    input: PathBuf,
}

/// An error reading `decode`'s input, tagged with the input's name so that
/// [`finish`] names it and exits 2 (DESIGN §4: an unreadable file is a usage
/// error), whatever the decoder was doing when the read failed.
#[derive(Debug)]
struct InputError(String);

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

/// `decode`'s input: its read errors carry the input's name.
struct Input {
    inner: Box<dyn Read>,
    name: String,
}

impl Read for Input {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::Interrupted {
                return e;
            }
            io::Error::new(
                e.kind(),
                InputError(format!("cannot read {}: {e}", self.name)),
            )
        })
    }
}

fn open_input(path: &PathBuf) -> Result<Input, ExitCode> {
    if path.as_os_str() == "-" {
        return Ok(Input {
            inner: Box::new(io::stdin().lock()),
            name: "standard input".to_owned(),
        });
    }
    let name = path.display().to_string();
    let unreadable = |why: String| {
        eprintln!("wirecheck: cannot read {name}: {why}");
        ExitCode::from(EXIT_USAGE)
    };
    match File::open(path) {
        // Opening a directory succeeds on Unix; reading it does not.
        Ok(f) if f.metadata().is_ok_and(|m| m.is_dir()) => {
            Err(unreadable("it is a directory".to_owned()))
        }
        Ok(f) => Ok(Input {
            inner: Box::new(f),
            name: name.clone(),
        }),
        Err(e) => Err(unreadable(e.to_string())),
    }
}

fn finish(result: io::Result<decode::Outcome>) -> ExitCode {
    match result {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(e) if e.get_ref().is_some_and(|i| i.is::<InputError>()) => {
            eprintln!("wirecheck: {e}");
            ExitCode::from(EXIT_USAGE)
        }
        // A closed stdout (e.g. `| head`) is not an error worth a message.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wirecheck: cannot write the output: {e}");
            ExitCode::from(EXIT_INTERNAL)
        }
    }
}

/// Run `work` on a multi-threaded tokio runtime (exit code 4 if none starts).
fn block_on(work: impl std::future::Future<Output = ExitCode>) -> ExitCode {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(work),
        Err(e) => {
            eprintln!("wirecheck: cannot start the runtime: {e}");
            ExitCode::from(EXIT_INTERNAL)
        }
    }
}

/// `--tls CERT KEY` of `wirecheck serve`, loaded before anything listens: a
/// file that cannot be read is a usage error (exit 2) naming it.
fn server_tls(files: Option<&[PathBuf]>) -> Result<Option<wirecheck::tls::ServerTls>, ExitCode> {
    let Some(files) = files else {
        return Ok(None);
    };
    let [cert, key] = files else {
        eprintln!("wirecheck: --tls takes a certificate file and a key file");
        return Err(ExitCode::from(EXIT_USAGE));
    };
    wirecheck::tls::ServerTls::from_pem(cert, key)
        .map(Some)
        .map_err(|e| {
            eprintln!("wirecheck: --tls: {e}");
            ExitCode::from(EXIT_USAGE)
        })
}

/// `wirecheck serve ws|sse`: bind, print the URL, serve until Ctrl-C.
fn serve_until_ctrl_c<S: Server>(
    host: IpAddr,
    port: u16,
    bind: impl std::future::Future<Output = io::Result<S>>,
) -> ExitCode {
    block_on(async {
        let server = match bind.await {
            Ok(server) => server,
            Err(e) => {
                eprintln!("wirecheck: cannot listen on {host}:{port}: {e}");
                return ExitCode::from(EXIT_USAGE);
            }
        };
        let addr = match server.local_addr() {
            Ok(addr) => addr,
            Err(e) => {
                eprintln!("wirecheck: {e}");
                return ExitCode::from(EXIT_INTERNAL);
            }
        };
        let mut stdout = io::stdout().lock();
        let _ = writeln!(stdout, "listening on {}", server.url_at(addr));
        let _ = stdout.flush();
        drop(stdout);
        server
            .serve(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await;
        ExitCode::SUCCESS
    })
}

fn validate_ws(args: WsArgs) -> ExitCode {
    let opts = ws::command::WsOptions {
        run: args
            .run
            .into_options(args.url, args.report_dir, args.origin),
        profile: args.profile,
        origin_policy: args.origin_policy,
    };
    block_on(async { ExitCode::from(ws::command::run_ws(opts).await) })
}

fn validate_sse(args: SseArgs) -> ExitCode {
    let (duration, heartbeat) = match (
        command::seconds("--duration", args.duration),
        command::seconds("--heartbeat", args.heartbeat),
    ) {
        (Ok(d), Ok(h)) => (d, h),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("wirecheck: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let opts = sse::command::SseOptions {
        run: args
            .run
            .into_options(args.url, args.report_dir, args.origin),
        duration,
        heartbeat,
        data: args.data,
    };
    block_on(async { ExitCode::from(sse::command::run_sse(opts).await) })
}

fn clients_options(args: ClientsWsArgs, protocol: &str) -> clients::ClientsOptions {
    clients::ClientsOptions {
        run: command::RunOptions {
            url: None,
            cases: args.cases,
            exclude: args.exclude,
            jobs: 1,
            agent: args.agent,
            report_dir: args
                .report_dir
                .unwrap_or_else(|| PathBuf::from(format!("wirecheck-reports/clients-{protocol}"))),
            format: args.format,
            strict: args.strict,
            timeout_scale: args.timeout_scale,
            origin: None,
            headers: Vec::new(),
            color: args.color,
            insecure: false,
            http: wirecheck::net::Http::V1_1,
        },
        host: args.host,
        port: args.port,
        command: args.command,
    }
}

/// `wirecheck proxy`: the upstream is checked before anything listens; the
/// summary goes to stderr, so stdout stays one finding per line.
fn run_proxy(args: ProxyArgs) -> ExitCode {
    use wirecheck::proxy::output::Format;
    use wirecheck::proxy::run::{Options, print, run, upstream_target};
    if let Err(e) = upstream_target(&args.upstream) {
        eprintln!("wirecheck: {e}");
        return ExitCode::from(EXIT_USAGE);
    }
    let opts = Options {
        listen: args.listen,
        upstream: args.upstream,
        format: match args.format {
            ProxyFormat::Jsonl => Format::Jsonl,
            ProxyFormat::Text => Format::Text,
        },
        insecure: args.insecure,
        connections: args.connections,
        report_dir: args.report_dir,
        listen_tls: args.listen_tls.and_then(|v| match v.as_slice() {
            [cert, key] => Some((cert.clone(), key.clone())),
            _ => None,
        }),
    };
    block_on(async move {
        let stop = async {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{SignalKind, signal};
                match signal(SignalKind::terminate()) {
                    Ok(mut term) => {
                        tokio::select! {
                            _ = tokio::signal::ctrl_c() => {}
                            _ = term.recv() => {}
                        }
                    }
                    Err(_) => {
                        let _ = tokio::signal::ctrl_c().await;
                    }
                }
            }
            #[cfg(not(unix))]
            {
                let _ = tokio::signal::ctrl_c().await;
            }
        };
        let ready = |addr| {
            eprintln!(
                "wirecheck proxy: listening on {addr}, relaying to {}",
                opts.upstream
            );
        };
        let format = opts.format;
        match run(&opts, stop, ready, |f| print(f, format)).await {
            Ok((summary, code)) => {
                eprint!("{}", summary.render());
                ExitCode::from(code)
            }
            Err(e) => {
                eprintln!("wirecheck: {e}");
                ExitCode::from(EXIT_USAGE)
            }
        }
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Decode(DecodeCommand::Ws(args)) => {
            // A usage error before any input is read.
            let deflate = match args.deflate.as_deref().map(decode::ws::parse_deflate) {
                None => None,
                Some(Ok(agreed)) => Some(agreed),
                Some(Err(why)) => {
                    eprintln!("wirecheck: {why}");
                    return ExitCode::from(EXIT_USAGE);
                }
            };
            let mut input = match open_input(&args.input) {
                Ok(r) => r,
                Err(code) => return code,
            };
            let opts = decode::ws::Options {
                role: match args.role {
                    RoleArg::Server => wirecheck_codec::ws::Role::Server,
                    RoleArg::Client => wirecheck_codec::ws::Role::Client,
                },
                chunk: args.chunk,
                frames: args.frames,
                deflate,
            };
            let mut out = BufWriter::new(io::stdout().lock());
            let result = decode::ws::run(&mut input, &opts, &mut out);
            finish(result.and_then(|o| out.flush().map(|()| o)))
        }
        Command::Decode(DecodeCommand::Sse(args)) => {
            let mut input = match open_input(&args.input) {
                Ok(r) => r,
                Err(code) => return code,
            };
            let opts = decode::sse::Options {
                chunk: args.chunk,
                last_event_id: args.last_event_id,
            };
            let mut out = BufWriter::new(io::stdout().lock());
            let result = decode::sse::run(&mut input, &opts, &mut out);
            finish(result.and_then(|o| out.flush().map(|()| o)))
        }
        Command::Proxy(args) => run_proxy(args),
        Command::Serve(ServeCommand::Ws(args)) => {
            let tls = match server_tls(args.tls.as_deref()) {
                Ok(tls) => tls,
                Err(code) => return code,
            };
            serve_until_ctrl_c(
                args.host,
                args.port,
                serve::ws::bind(serve::ws::WsServerConfig {
                    host: args.host,
                    port: args.port,
                    tls,
                    ..Default::default()
                }),
            )
        }
        Command::Serve(ServeCommand::Sse(args)) => {
            let tls = match server_tls(args.tls.as_deref()) {
                Ok(tls) => tls,
                Err(code) => return code,
            };
            serve_until_ctrl_c(
                args.host,
                args.port,
                serve::sse::bind(serve::sse::SseServerConfig {
                    host: args.host,
                    port: args.port,
                    tls,
                    ..Default::default()
                }),
            )
        }
        Command::Cases(CasesCommand::Ws { pattern }) => {
            ExitCode::from(ws::command::list_cases(pattern.as_deref()))
        }
        Command::Ws(args) => validate_ws(args),
        Command::Clients(ClientsCommand::Ws(args)) => {
            let opts = clients_options(args, "ws");
            block_on(async { ExitCode::from(clients::ws::run_clients_ws(opts).await) })
        }
        Command::Clients(ClientsCommand::Sse(args)) => {
            let opts = clients_options(args, "sse");
            block_on(async { ExitCode::from(clients::sse::run_clients_sse(opts).await) })
        }
        Command::Client(ClientCommand::Sse { url }) => {
            block_on(async { ExitCode::from(client::sse::run_client_sse(&url).await) })
        }
        Command::Client(ClientCommand::Ws(args)) => block_on(async {
            ExitCode::from(client::ws::run_client_ws(&args.url, &args.agent).await)
        }),
        Command::Sse(args) => validate_sse(args),
        Command::Cases(CasesCommand::Sse { pattern }) => {
            ExitCode::from(sse::command::list_cases(pattern.as_deref()))
        }
    }
}
