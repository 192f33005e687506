//! The `wirecheck` command line (DESIGN §3 and §4).

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::net::IpAddr;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use wirecheck::{decode, serve};

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
}

#[derive(Subcommand)]
enum ServeCommand {
    /// The WebSocket echo server (RFC 6455): echoes messages, answers pings and closes.
    Ws(ServeWsArgs),
}

#[derive(Args)]
struct ServeWsArgs {
    /// The port to listen on (0 picks a free one).
    #[arg(long, value_name = "N", default_value_t = serve::ws::DEFAULT_PORT)]
    port: u16,
    /// The IP address to listen on. Only loopback unless given explicitly.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    host: IpAddr,
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

fn open_input(path: &PathBuf) -> Result<Box<dyn Read>, ExitCode> {
    if path.as_os_str() == "-" {
        return Ok(Box::new(io::stdin().lock()));
    }
    match File::open(path) {
        Ok(f) => Ok(Box::new(f)),
        Err(e) => {
            eprintln!("wirecheck: cannot read {}: {e}", path.display());
            Err(ExitCode::from(EXIT_USAGE))
        }
    }
}

fn finish(result: io::Result<decode::Outcome>) -> ExitCode {
    match result {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        // A closed stdout (e.g. `| head`) is not an error worth a message.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::InvalidData || e.kind() == io::ErrorKind::NotFound => {
            eprintln!("wirecheck: cannot read input: {e}");
            ExitCode::from(EXIT_USAGE)
        }
        Err(e) => {
            eprintln!("wirecheck: {e}");
            ExitCode::from(EXIT_INTERNAL)
        }
    }
}

/// `wirecheck serve ws`: bind, print the URL, serve until Ctrl-C.
fn serve_ws(args: &ServeWsArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wirecheck: cannot start the runtime: {e}");
            return ExitCode::from(EXIT_INTERNAL);
        }
    };
    runtime.block_on(async {
        let config = serve::ws::WsServerConfig {
            host: args.host,
            port: args.port,
            ..Default::default()
        };
        let server = match serve::ws::bind(config).await {
            Ok(server) => server,
            Err(e) => {
                eprintln!(
                    "wirecheck: cannot listen on {}:{}: {e}",
                    args.host, args.port
                );
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
        let _ = writeln!(stdout, "listening on ws://{addr}");
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Decode(DecodeCommand::Ws(args)) => {
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
        Command::Serve(ServeCommand::Ws(args)) => serve_ws(&args),
    }
}
