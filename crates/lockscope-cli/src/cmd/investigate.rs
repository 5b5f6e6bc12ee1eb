//! `lockscope investigate`: ingest → analyse → write the case folder → print the summary.

use anyhow::{Context, bail};
use lockscope::case::LockoutPolicy;
use lockscope::identity::Resolver;
use lockscope::ingest::ingest_with_limits;
use lockscope::input::Limits;
use lockscope::source::ReadOptions;
use lockscope::{Settings, analyse};
use lockscope_report::Options;

use crate::Status;
use crate::cli::{Format, Global, InvestigateArgs};
use crate::output;

/// Runs the command.
pub fn run(g: &Global, args: &InvestigateArgs) -> anyhow::Result<Status> {
    let mapping = match &args.identities {
        Some(path) => {
            let file = std::fs::File::open(path)
                .with_context(|| format!("{}: cannot open identity mapping", path.display()))?;
            let mut r = Resolver::new();
            let rows = r.load_mapping(file).with_context(|| path.display().to_string())?;
            tracing::info!("{}: {rows} identity mappings", path.display());
            Some(r)
        }
        None => None,
    };
    let opts = ReadOptions { year: args.year, skip_secrets: args.no_secrets };
    let limits = Limits { max_decompressed: args.max_decompressed.max(1) };
    let ingested = ingest_with_limits(&args.paths, &opts, &limits);
    for f in ingested.files.iter().filter(|f| f.unreadable > 0) {
        let first = f.errors.first().map(|e| format!("{}: {}", e.origin.pos, e.reason)).unwrap_or_default();
        let line = format!("{}: {} unreadable records (first: {first})", f.file, f.unreadable);
        tracing::warn!("{}", lockscope_report::terminal(&line));
    }
    let totals = ingested.totals();
    if totals.files == 0 && !ingested.errors.is_empty() {
        bail!("no input could be read: {}", ingested.errors.join("; "));
    }
    let strict_failure = args.strict && (totals.unreadable > 0 || totals.problems > 0);
    let settings = Settings {
        min_mass_users: args.min_mass_users,
        min_spray_users: args.min_spray_users,
        lockout: LockoutPolicy {
            threshold: args.lockout_threshold.max(1),
            window: args.lockout_window.max(1) * 60,
            duration: args.lockout_duration.max(0) * 60,
        },
        max_events_per_user: args.max_events_per_user.max(1),
        ..Settings::default()
    };
    let case = analyse(ingested, &settings, mapping);
    lockscope_report::write_case(
        &case,
        &args.output,
        Options { events: args.events, exports: args.export.iter().map(|&f| f.into()).collect() },
    )
    .context("writing the case folder")?;
    match args.format {
        Format::Text => {
            output::data(&lockscope_report::summary(&case))?;
            output::note(
                g.quiet,
                &format!(
                    "\ncase written to {}/ (report.html, report.md, affected-users.csv, case.sqlite, …)",
                    args.output.display()
                ),
            );
        }
        Format::Json => {
            let doc = serde_json::json!({
                "schema_version": lockscope::case::SCHEMA_VERSION,
                "tool": lockscope_report::TOOL,
                "case": args.output.display().to_string(),
                "totals": case.totals,
                "incidents": case.incidents,
                "users": case.users,
            });
            output::data(&format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
        }
    }
    if strict_failure {
        bail!(
            "--strict: {} unreadable records and {} unreadable inputs (see {}/case.json)",
            totals.unreadable,
            totals.problems,
            args.output.display()
        );
    }
    Ok(if case.users.is_empty() { Status::Clean } else { Status::Findings })
}
