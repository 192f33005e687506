//! What the command-line tests share: running the binary and a scratch directory.

use std::path::PathBuf;
use std::process::{Command, Output};

/// Run `wirecheck` with `args` (no colour) and wait for it.
pub fn wirecheck(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wirecheck"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("wirecheck runs")
}

/// An empty directory path for this test process, named after `name`.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wirecheck-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}
