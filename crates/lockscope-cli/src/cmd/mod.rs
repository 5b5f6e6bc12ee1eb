//! One module per subcommand: `run(&Global, &Args) -> anyhow::Result<Status>`.

pub mod demo;
pub mod investigate;
pub mod redact;
pub mod scan;
pub mod simulate;
