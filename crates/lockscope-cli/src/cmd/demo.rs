//! `lockscope demo`: the 60-second tour — simulate a tenant hit by a provider mass false
//! positive (plus a spray, stale devices and real compromises), then investigate it.

use anyhow::Context;
use lockscope::{Settings, analyse, ingest};
use lockscope_report::Options;
use lockscope_sim::{Config, Scenario};

use crate::Status;
use crate::cli::{DemoArgs, Global};
use crate::output;

/// Runs the command.
pub fn run(g: &Global, args: &DemoArgs) -> anyhow::Result<Status> {
    let data = args.output.join("data");
    let case_dir = args.output.join("case");
    // A few access tokens written into an app log, as in April 2025: the case shows whose, where,
    // and which still work.
    let cfg =
        Config { scenario: Scenario::Mixed, users: args.users, seed: args.seed, leaked_tokens: 6, ..Config::default() };
    lockscope_sim::generate(&cfg, &data).with_context(|| format!("simulating into {}", data.display()))?;
    // The labels sit beside the exports, not among them: an investigation never sees the answers.
    let truth = args.output.join("truth.json");
    std::fs::rename(data.join("truth.json"), &truth)
        .with_context(|| format!("moving the labels to {}", truth.display()))?;
    output::note(
        g.quiet,
        &format!("simulated a {}-user tenant into {}/ (labels in {})\n", args.users, data.display(), truth.display()),
    );
    let case = analyse(ingest(std::slice::from_ref(&data)), &Settings::default(), None);
    lockscope_report::write_case(&case, &case_dir, Options::default()).context("writing the case folder")?;
    output::data(&lockscope_report::summary(&case))?;
    output::note(
        g.quiet,
        &format!(
            "\nopen {}/report.html (or report.md), or compare the verdicts with {}",
            case_dir.display(),
            truth.display()
        ),
    );
    Ok(if case.users.is_empty() { Status::Clean } else { Status::Findings })
}
