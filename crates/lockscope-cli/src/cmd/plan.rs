//! `lockscope plan`: case folder → `plan.json` (and its renderings). Read-only: nothing here talks
//! to any system; `lockscope apply` carries a reviewed plan out.

use std::fmt::Write as _;

use anyhow::Context;
use lockscope::plan::{self, Options, Plan};
use lockscope_report::plan::{Rendering, render, write_renderings};

use crate::Status;
use crate::cli::{Global, PlanArgs, PlanFormat};
use crate::output;

/// Runs the command.
pub fn run(g: &Global, args: &PlanArgs) -> anyhow::Result<Status> {
    let plan = plan::build(&args.case, &Options { dismiss: args.dismiss })
        .with_context(|| format!("{}: cannot build a plan from this case folder", args.case.display()))?;
    let out = args.output.clone().unwrap_or_else(|| args.case.join("plan.json"));
    std::fs::write(&out, plan.to_json()).with_context(|| format!("{}: cannot write the plan", out.display()))?;
    let mut written = vec![out.display().to_string()];
    if let Some(dir) = &args.render_dir {
        let files = write_renderings(&plan, dir).context("writing the renderings")?;
        written.extend(files.iter().map(|p| p.display().to_string()));
    }
    if let Some(format) = args.format {
        match format {
            PlanFormat::Json => output::data(&String::from_utf8_lossy(&plan.to_json()))?,
            PlanFormat::Powershell => output::data(&render(&plan, Rendering::GraphPowerShell))?,
            PlanFormat::GraphBatch => output::data(&render(&plan, Rendering::GraphBatch))?,
            PlanFormat::AdPowershell => output::data(&render(&plan, Rendering::AdPowerShell))?,
            PlanFormat::Shell => output::data(&render(&plan, Rendering::Shell))?,
        }
    }
    output::note(g.quiet, &summary(&plan, &written));
    Ok(if plan.items.is_empty() { Status::Clean } else { Status::Findings })
}

/// The few lines on stderr: items by action, exclusions, the mass-event warning, the files.
fn summary(plan: &Plan, written: &[String]) -> String {
    let mut s = String::new();
    let users: usize = {
        let mut u: Vec<&str> = plan.items.iter().map(|i| i.user.as_str()).collect();
        u.sort_unstable();
        u.dedup();
        u.len()
    };
    let _ = writeln!(
        s,
        "plan {}: {} actions on {users} accounts, {} users excluded",
        plan.hash,
        plan.items.len(),
        plan.excluded.len()
    );
    for (action, n) in plan.users_by_action() {
        let targets: Vec<&str> = {
            let mut t: Vec<&str> =
                plan.items.iter().filter(|i| i.action == action).map(|i| i.target.as_str()).collect();
            t.sort_unstable();
            t.dedup();
            t
        };
        let _ = writeln!(s, "  {:<22} {n:>5}  ({})", action.as_str(), targets.join(", "));
    }
    if let Some(m) = &plan.mass_event {
        let _ = writeln!(s, "mass event in the case: {} ({} users)", m.incident, m.members);
    }
    let warnings = plan.mass_warnings();
    if !warnings.is_empty() {
        let _ = writeln!(s, "WARNING: this plan looks like a mass event; review it before running anything:");
        for w in &warnings {
            let _ = writeln!(s, "  - {}", lockscope_report::terminal(w));
        }
    }
    let _ = write!(s, "wrote {}", written.iter().map(|w| lockscope_report::terminal(w)).collect::<Vec<_>>().join(", "));
    s
}
