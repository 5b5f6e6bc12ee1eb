//! `lockscope simulate`: writes a labelled data set with the simulator crate.

use anyhow::Context;
use lockscope_sim::{Config, Layout, Scenario};

use crate::Status;
use crate::cli::{Global, SimulateArgs};
use crate::output;

/// Runs the command.
pub fn run(g: &Global, args: &SimulateArgs) -> anyhow::Result<Status> {
    let scenario: Scenario = args.scenario.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let start = lockscope::time::parse(&args.start)
        .with_context(|| format!("--start {:?} is not a date or time", args.start))?;
    let layout: Layout = args.layout.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let cfg = Config {
        scenario,
        users: args.users,
        seed: args.seed,
        days: args.days,
        start,
        noise: args.noise,
        layout,
        leaked_tokens: args.leaked_tokens,
    };
    let summary = lockscope_sim::generate(&cfg, &args.output)
        .with_context(|| format!("simulating into {}", args.output.display()))?;
    let bytes: u64 = summary.files.iter().map(|f| f.1).sum();
    let records: u64 = summary.files.iter().map(|f| f.2).sum();
    // Layouts only change the Entra exports; Windows event XML has one shape.
    let shape = if scenario.writes_entra() { format!(", {layout} layout") } else { String::new() };
    output::note(
        g.quiet,
        &format!(
            "wrote {} files ({:.1} MB, {records} records{shape}) for {} users, {} affected, into {}/ (labels in truth.json)",
            summary.files.len(),
            bytes as f64 / 1e6,
            summary.users,
            summary.affected,
            args.output.display()
        ),
    );
    Ok(Status::Clean)
}
