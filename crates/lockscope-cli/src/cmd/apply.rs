//! `lockscope apply PLAN`: carries a plan out against Microsoft Graph (logic in
//! `lockscope_graph::apply`), with progress on stderr and the outcome on stdout.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use lockscope_graph::apply::journal::{Journal, Outcome};
use lockscope_graph::apply::{MAX_USER_IDS, Options, Report, apply};

use super::graph::GraphArgs;
use crate::Status;
use crate::cli::Global;
use crate::output;

/// `lockscope apply`.
#[derive(Debug, Args)]
#[command(after_help = "Before changing anything, apply checks the plan's hash (an edited plan is refused), the \
circuit breaker (more than --max-users users or 10% of the tenant need --confirm), and every user's current risk \
state: users already in the target state are skipped, and users whose state changed since the plan make it stale \
(refused unless --ignore-stale). It then acts in calls of at most 60 users (sessions: $batch of 20), waits out \
throttling, journals every call to PLAN.journal.jsonl (run again to resume), and reads every state back.

Password resets, Active Directory and Linux actions are listed as manual steps: `lockscope plan CASE --render-dir DIR` \
writes them as scripts.

Credentials: LOCKSCOPE_GRAPH_TOKEN (a bearer token with IdentityRiskyUser.ReadWrite.All and User.RevokeSessions.All), \
or --tenant and --client-id with LOCKSCOPE_CLIENT_SECRET. See docs/graph.md.

Examples:
  lockscope apply case/plan.json --dry-run
  LOCKSCOPE_GRAPH_TOKEN=$(az account get-access-token --resource-type ms-graph --query accessToken -o tsv) \\
    lockscope apply case/plan.json --confirm

Exit status: 0 every action done and verified, 1 some users did not change or a call failed, 2 refused or error.")]
pub struct ApplyArgs {
    /// The plan file `lockscope plan` wrote.
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    /// Users acted on without --confirm (the circuit breaker; 10% of the tenant also needs it).
    #[arg(long, default_value_t = 25, value_name = "N")]
    pub max_users: usize,
    /// Act even above the circuit breaker's limits (after reviewing the plan).
    #[arg(long)]
    pub confirm: bool,
    /// Go on when some users' risk state changed since the plan; those users are left alone.
    #[arg(long)]
    pub ignore_stale: bool,
    /// Change nothing: print what would be done (reads the current states when credentials are set).
    #[arg(long)]
    pub dry_run: bool,
    /// Users per risk-action call (Graph takes at most 60).
    #[arg(long, default_value_t = MAX_USER_IDS as u16, value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=60))]
    pub batch_size: u16,
    /// Seconds between read-backs of a user whose state has not changed yet.
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    pub verify_wait: u64,
    /// Read-backs before a user is reported as not changed.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub verify_attempts: u32,
    /// Graph connection.
    #[command(flatten)]
    pub graph: GraphArgs,
}

/// Runs the command.
pub fn run(g: &Global, args: &ApplyArgs) -> anyhow::Result<Status> {
    let text = std::fs::read_to_string(&args.plan)
        .with_context(|| format!("{}: cannot read the plan", args.plan.display()))?;
    let opts = Options {
        max_users: args.max_users,
        confirm: args.confirm,
        ignore_stale: args.ignore_stale,
        dry_run: args.dry_run,
        batch_size: usize::from(args.batch_size),
        verify_attempts: args.verify_attempts.max(1),
        verify_wait: Duration::from_secs(args.verify_wait),
        ..Options::default()
    };
    let client = match args.graph.auth() {
        Ok(auth) => Some(args.graph.client(auth)?),
        Err(_) if args.dry_run => {
            output::note(g.quiet, "no Graph credentials: dry run from the plan alone (current states not read)");
            None
        }
        Err(e) => return Err(e.into()),
    };
    let mut progress = |line: &str| output::note(g.quiet, line);
    let report = apply(client.as_ref(), &text, &args.plan, &opts, &mut progress)?;
    for w in &report.warnings {
        output::warn(&format!("WARNING: {w}"));
    }
    output::data(&render(&report, args))?;
    let bad: Vec<_> =
        report.results.iter().filter(|r| matches!(r.outcome, Outcome::NotApplied | Outcome::Failed)).collect();
    if bad.is_empty() {
        return Ok(Status::Clean);
    }
    let names = bad.iter().map(|r| format!("{} ({})", r.user, r.action)).collect::<Vec<_>>().join(", ");
    output::warn(&format!(
        "lockscope: {} actions did not take effect: {names}. Check these users in Entra ID Protection › Risky users; \
running `lockscope apply {}` again retries them (the journal skips what is done).",
        bad.len(),
        args.plan.display()
    ));
    Ok(Status::Findings)
}

fn render(r: &Report, args: &ApplyArgs) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "plan {}", r.plan_hash);
    if r.dry_run {
        let _ = writeln!(s, "dry run: nothing changed. Calls a real run would make:");
        for c in &r.calls {
            let _ = writeln!(s, "  {} — {} users: {}", c.endpoint, c.users.len(), c.names.join(", "));
        }
        if r.calls.is_empty() {
            let _ = writeln!(s, "  none");
        }
        for x in r.with(Outcome::Already) {
            let _ = writeln!(s, "  skip {} ({}): already {}", x.user, x.action, x.detail.as_deref().unwrap_or(""));
        }
    } else {
        let _ = writeln!(
            s,
            "{} calls made; {} actions already done in an earlier run (journal {})",
            r.calls.len(),
            r.resumed,
            Journal::path_for(&args.plan).display()
        );
        let mut by_action: std::collections::BTreeMap<&str, [usize; 5]> = Default::default();
        for x in &r.results {
            let slot = match x.outcome {
                Outcome::Verified => 0,
                Outcome::Applied => 1,
                Outcome::Already => 2,
                Outcome::NotApplied => 3,
                Outcome::Failed | Outcome::StaleSkipped => 4,
            };
            by_action.entry(x.action.as_str()).or_default()[slot] += 1;
        }
        if !by_action.is_empty() {
            let _ = writeln!(
                s,
                "\n{:<22} {:>8} {:>8} {:>8} {:>12} {:>7}",
                "action", "verified", "done", "already", "not-changed", "failed"
            );
            for (a, c) in by_action {
                let _ = writeln!(s, "{a:<22} {:>8} {:>8} {:>8} {:>12} {:>7}", c[0], c[1], c[2], c[3], c[4]);
            }
        }
        let bad: Vec<_> =
            r.results.iter().filter(|x| matches!(x.outcome, Outcome::NotApplied | Outcome::Failed)).collect();
        if !bad.is_empty() {
            let _ = writeln!(s, "\nnot done:");
            for x in bad {
                let _ =
                    writeln!(s, "  {} {} ({}): {}", x.action, x.user, x.object_id, x.detail.as_deref().unwrap_or(""));
            }
        }
    }
    if !r.stale.is_empty() {
        let _ = writeln!(s, "\nleft alone (changed since the plan):");
        for x in &r.stale {
            let _ = writeln!(s, "  {}: {} in the plan, {} now", x.user, x.planned.as_deref().unwrap_or("?"), x.now);
        }
    }
    if !r.manual.is_empty() {
        let _ = writeln!(
            s,
            "\nmanual steps (apply has no credentials for these; `lockscope plan CASE --render-dir DIR` writes them as scripts):"
        );
        for m in &r.manual {
            let host = m.host.as_deref().map(|h| format!(" on {h}")).unwrap_or_default();
            let _ = writeln!(s, "  {:<6} {:<22} {}{host}", m.target, m.action, m.user);
        }
    }
    s
}
