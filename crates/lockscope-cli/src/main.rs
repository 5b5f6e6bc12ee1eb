//! The `lockscope` binary: argument parsing, logging, and exit codes. All logic lives in the
//! library crates; each subcommand module only wires them together.

mod cli;
mod cmd;
mod output;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

/// Exit statuses (documented in the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Ran; nothing found.
    Clean = 0,
    /// Ran; findings.
    Findings = 1,
    /// Could not do the job.
    Error = 2,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.global);
    if let Some(n) = cli.global.threads {
        // A pool that cannot be built keeps the default; results do not depend on it.
        let _ = rayon::ThreadPoolBuilder::new().num_threads(n.max(1)).build_global();
    }
    let result = match &cli.command {
        Command::Investigate(args) => cmd::investigate::run(&cli.global, args),
        Command::Simulate(args) => cmd::simulate::run(&cli.global, args),
        Command::Demo(args) => cmd::demo::run(&cli.global, args),
        Command::Scan(args) => cmd::scan::run(&cli.global, args),
        Command::Redact(args) => cmd::redact::run(&cli.global, args),
        Command::Plan(args) => cmd::plan::run(&cli.global, args),
        Command::Apply(args) => cmd::apply::run(&cli.global, args),
        Command::Collect(args) => cmd::collect::run(&cli.global, args),
        Command::Rules => cmd::scan::list_rules(),
    };
    match result {
        Ok(status) => ExitCode::from(status as u8),
        Err(err) if output::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            output::error(&err);
            ExitCode::from(Status::Error as u8)
        }
    }
}

fn init_logging(g: &cli::Global) {
    use tracing_subscriber::EnvFilter;
    let default = match (g.quiet, g.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_env("LOCKSCOPE_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let color = std::env::var_os("NO_COLOR").is_none() && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .with_target(false)
        .without_time()
        .try_init();
}
