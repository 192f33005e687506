//! `wirecheck clients ws` (DESIGN §3): test a client. The command glue around
//! the fuzzing server ([`crate::ws::fuzzingserver`]): the options, serving
//! until interrupted or running the client command given after `--`, the
//! reports and the exit code. Like the other command glue it may use every
//! runner and the renderers; nothing imports it but `main`.

pub mod sse;
pub mod ws;

use std::net::IpAddr;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use crate::command::RunOptions;

/// The options of `wirecheck clients ws|sse`.
#[derive(Debug, Clone)]
pub struct ClientsOptions {
    /// Selection, agent, reports, format, strictness, timeout scale, colour.
    pub run: RunOptions,
    /// The address to listen on.
    pub host: IpAddr,
    /// The port; `None`: the protocol's default, or a free one with a command.
    pub port: Option<u16>,
    /// The client command and its arguments (`{url}` replaced), if any.
    pub command: Vec<String>,
}

/// The client command given after `--`, running.
pub struct ClientCommand {
    /// The process (killed when this is dropped).
    child: tokio::process::Child,
}

/// How the client command ended.
#[derive(Debug, Clone)]
pub enum Ended {
    /// It exited with this status.
    Exited(ExitStatus),
    /// It ran past the bound and was killed.
    TimedOut(Duration),
    /// Ctrl-C: it was killed.
    Interrupted,
    /// Waiting for it failed.
    Lost,
    /// The run was over (the adapter said so) and it was still running: stopped.
    Stopped,
}

impl Ended {
    /// Why a case did not run, for its reason (and, unless the command exited
    /// 0, printed once on stderr): a crashed client told from one that ran.
    pub fn before_running(&self) -> String {
        let how = match self {
            Ended::Exited(s) if s.success() => {
                return "the client command exited before running it".to_owned();
            }
            Ended::Stopped => {
                return "the client command was still running when the run ended".to_owned();
            }
            Ended::Exited(s) => format!("the client command ended ({s})"),
            Ended::TimedOut(bound) => format!(
                "the client command did not finish within {:.0} s and was stopped",
                bound.as_secs_f64()
            ),
            Ended::Interrupted => "the client command was interrupted".to_owned(),
            Ended::Lost => "the client command could not be waited for".to_owned(),
        };
        eprintln!("wirecheck: {how}");
        format!("{how} before running it")
    }
}

impl ClientCommand {
    /// Run `command` (program, arguments) with every `{url}` in its arguments
    /// replaced by `url`, and `WIRECHECK_URL` set to it; stdin closed.
    pub fn spawn(command: &[String], url: &str) -> Result<ClientCommand, String> {
        let Some((program, args)) = command.split_first() else {
            return Err("no client command after --".to_owned());
        };
        let child = tokio::process::Command::new(program)
            .args(args.iter().map(|a| a.replace("{url}", url)))
            .env("WIRECHECK_URL", url)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot run the client command {program:?}: {e}"))?;
        Ok(ClientCommand { child })
    }

    /// Wait for it on a task of its own: the receiver holds how it ended
    /// once it has (the run may end first, when the client says it is done).
    pub fn watch(self, bound: Duration) -> Watched {
        let (tx, rx) = tokio::sync::watch::channel(None);
        let task = tokio::spawn(async move {
            let ended = self.wait(bound).await;
            tx.send_replace(Some(ended));
        });
        Watched { rx, task }
    }

    /// Wait for it to exit, at most `bound` (then kill it) or until Ctrl-C.
    pub async fn wait(mut self, bound: Duration) -> Ended {
        let ended = tokio::select! {
            s = self.child.wait() => s.map_or(Ended::Lost, Ended::Exited),
            () = tokio::time::sleep(bound) => Ended::TimedOut(bound),
            _ = tokio::signal::ctrl_c() => Ended::Interrupted,
        };
        if !matches!(ended, Ended::Exited(_)) {
            let _ = self.child.kill().await;
        }
        ended
    }
}

/// A client command waited for on a task of its own.
pub struct Watched {
    rx: tokio::sync::watch::Receiver<Option<Ended>>,
    task: tokio::task::JoinHandle<()>,
}

impl Watched {
    /// Resolves when the command has ended.
    pub async fn exited(&self) {
        let mut rx = self.rx.clone();
        let _ = rx.wait_for(Option::is_some).await;
    }

    /// How it ended, once the run is over: it has `grace` to exit on its own
    /// (a browser never does), then it is stopped.
    pub async fn finish(self, grace: Duration) -> Ended {
        let mut rx = self.rx.clone();
        match tokio::time::timeout(grace, rx.wait_for(Option::is_some)).await {
            Ok(Ok(e)) => e.clone().unwrap_or(Ended::Lost),
            Ok(Err(_)) => Ended::Lost,
            Err(_) => {
                // Dropping the wait kills the process (`kill_on_drop`).
                self.task.abort();
                let _ = self.task.await;
                Ended::Stopped
            }
        }
    }
}
