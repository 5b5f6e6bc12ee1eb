//! One module per subcommand: `run(&Global, &Args) -> anyhow::Result<Status>`.

pub mod apply;
pub mod collect;
pub mod demo;
pub mod graph;
pub mod investigate;
pub mod plan;
pub mod redact;
pub mod scan;
pub mod simulate;
