//! `lockscope collect entra`: exports Entra logs from Microsoft Graph into files `investigate`
//! reads (logic in `lockscope_graph::collect`), with progress on stderr.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use lockscope_graph::collect::{Options, STATE_FILE, collect};

use super::graph::GraphArgs;
use crate::Status;
use crate::cli::Global;
use crate::output;

/// `lockscope collect`.
#[derive(Debug, Args)]
pub struct CollectArgs {
    /// What to collect from.
    #[command(subcommand)]
    pub source: CollectSource,
}

/// Sources `collect` knows.
#[derive(Debug, Subcommand)]
pub enum CollectSource {
    /// Entra ID sign-ins (interactive and non-interactive), directory audits, risk detections,
    /// risky users and their history, from Microsoft Graph.
    Entra(CollectEntraArgs),
}

/// `lockscope collect entra`.
#[derive(Debug, Args)]
#[command(after_help = "Each stream is read in time slices, page by page along @odata.nextLink; every page is \
written as it arrives (DIR/<stream>/<slice>-NNNN.json, {\"value\": [...]}) and DIR/.collect-state.json records \
where each slice stopped, so running the same command again resumes after the last completed page. Throttling \
(429/503) is waited out as Retry-After asks. Then: lockscope investigate DIR.

Non-interactive sign-ins come from the beta endpoint (filter signInEventTypes/any(t: t eq 'nonInteractiveUser')). \
Sign-in logs need Entra ID P1; risk data needs P2.

Credentials: LOCKSCOPE_GRAPH_TOKEN (a bearer token with AuditLog.Read.All, IdentityRiskEvent.Read.All and \
IdentityRiskyUser.Read.All), or --tenant and --client-id with LOCKSCOPE_CLIENT_SECRET. See docs/graph.md.

Example:
  lockscope collect entra --since 2025-04-18T00:00:00Z --until 2025-04-21T00:00:00Z -o exports/graph
  lockscope investigate exports/graph -o case")]
pub struct CollectEntraArgs {
    /// Start of the window (RFC 3339, e.g. 2025-04-18T00:00:00Z).
    #[arg(long, value_name = "TIME")]
    pub since: String,
    /// End of the window (exclusive). Keep it fixed to resume a collection.
    #[arg(long, value_name = "TIME")]
    pub until: String,
    /// Folder to write (created; a folder with a checkpoint is resumed).
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// Length of a time slice: 30m, 6h, 1d, …
    #[arg(long, default_value = "6h", value_name = "DURATION")]
    pub slice: String,
    /// Records per page asked for (capped to what each endpoint allows; default: Graph's).
    #[arg(long, value_name = "N")]
    pub top: Option<u32>,
    /// Skip the non-interactive sign-ins (beta endpoint).
    #[arg(long)]
    pub no_non_interactive: bool,
    /// Skip each risky user's history.
    #[arg(long)]
    pub no_history: bool,
    /// Graph connection.
    #[command(flatten)]
    pub graph: GraphArgs,
}

/// Runs the command.
pub fn run(g: &Global, args: &CollectArgs) -> anyhow::Result<Status> {
    let CollectSource::Entra(args) = &args.source;
    let time =
        |flag: &str, s: &str| lockscope::time::parse(s).with_context(|| format!("{flag} {s:?} is not a date or time"));
    let since = time("--since", &args.since)?;
    let until = time("--until", &args.until)?;
    let slice = parse_slice(&args.slice)?;
    let opts = Options {
        since,
        until,
        slice,
        top: args.top,
        non_interactive: !args.no_non_interactive,
        history: !args.no_history,
    };
    let client = args.graph.client(args.graph.auth()?)?;
    let mut progress = |line: &str| output::note(g.quiet, line);
    let report = collect(&client, &args.output, &opts, &mut progress)
        .with_context(|| format!("collecting into {} (run the same command again to resume)", args.output.display()))?;
    let mut text = format!(
        "collected into {}/ ({} pages this run; {} of {} tasks were done before):\n",
        args.output.display(),
        report.pages,
        report.resumed_tasks,
        report.tasks
    );
    for (stream, n) in &report.records {
        text.push_str(&format!("  {stream:<26} {n:>9} records\n"));
    }
    text.push_str(&format!(
        "checkpoint: {}\nnext: lockscope investigate {}\n",
        args.output.join(STATE_FILE).display(),
        args.output.display()
    ));
    output::data(&text)?;
    Ok(Status::Clean)
}

/// `30m`, `6h`, `1d`, `90s`, or a friendly/ISO 8601 duration jiff reads.
fn parse_slice(s: &str) -> anyhow::Result<jiff::SignedDuration> {
    let t = s.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let d = match (num.parse::<i64>(), unit) {
        (Ok(n), "s") => jiff::SignedDuration::from_secs(n),
        (Ok(n), "m") => jiff::SignedDuration::from_mins(n),
        (Ok(n), "h") => jiff::SignedDuration::from_hours(n),
        (Ok(n), "d") => jiff::SignedDuration::from_hours(n * 24),
        _ => match t.parse::<jiff::SignedDuration>() {
            Ok(d) => d,
            Err(_) => bail!("--slice {s:?}: use a duration such as 30m, 6h or 1d"),
        },
    };
    if d.as_secs() < 60 {
        bail!("--slice {s:?}: a slice is at least one minute");
    }
    Ok(d)
}
