//! Command-line definitions (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Who got locked out, why, and what to do — across Microsoft Entra ID logs, offline.
#[derive(Debug, Parser)]
#[command(name = "lockscope", version, about, long_about = None, after_help = EXAMPLES)]
pub struct Cli {
    /// Options for every command.
    #[command(flatten)]
    pub global: Global,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

const EXAMPLES: &str = "Examples:
  lockscope demo                                   simulate a tenant with a mass false positive and investigate it
  lockscope investigate exports/ -o case           investigate a folder of Entra exports
  lockscope investigate signins.json.gz audit.csv  any mix of files, compressed or not
  az rest --url … | lockscope investigate -        read from stdin

Exit status: 0 nothing found, 1 affected users found, 2 error.";

/// Options shared by all commands.
#[derive(Debug, Args)]
pub struct Global {
    /// Less output: only errors on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// More log output on stderr (repeat for more). `LOCKSCOPE_LOG` overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Worker threads (default: one per core). Results are identical for any value.
    #[arg(long, global = true, value_name = "N")]
    pub threads: Option<usize>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read logs, explain every affected user, and write a case folder.
    Investigate(InvestigateArgs),
    /// Write a realistic, labelled incident data set (with truth.json).
    Simulate(SimulateArgs),
    /// Simulate a tenant hit by a provider mass false positive, then investigate it.
    Demo(DemoArgs),
}

/// Output format of the summary on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// A table for people.
    #[default]
    Text,
    /// One JSON document (the case manifest plus the affected users).
    Json,
}

/// `lockscope investigate`.
#[derive(Debug, Args)]
#[command(
    after_help = "Inputs are detected from their content, not their names: Graph JSON pages, arrays and JSON Lines, diagnostic-settings envelopes, Log Analytics JSON and CSV, portal CSV downloads; gzip, zstd and zip are opened transparently."
)]
pub struct InvestigateArgs {
    /// Files, directories (read recursively) or `-` for stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The case folder to write.
    #[arg(short, long, value_name = "DIR", default_value = "lockscope-case")]
    pub output: PathBuf,
    /// Also write events.jsonl: every normalised event with its origin.
    #[arg(long)]
    pub events: bool,
    /// Treat any unreadable record or input as an error (exit 2).
    #[arg(long)]
    pub strict: bool,
    /// CSV mapping names of the same person (UPN, object id, sAMAccountName, DOMAIN\user, …), one person a row.
    #[arg(long, value_name = "FILE")]
    pub identities: Option<PathBuf>,
    /// Fewest users a mass revocation must hit to be an incident.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub min_mass_users: usize,
    /// Fewest users a password spray must target to be an incident.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub min_spray_users: usize,
    /// Domain lockout threshold: bad passwords that lock an account (to reconstruct lockouts).
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub lockout_threshold: usize,
    /// Domain lockout observation window, in minutes.
    #[arg(long, default_value_t = 10, value_name = "MIN")]
    pub lockout_window: i64,
    /// Domain lockout duration, in minutes (0: until an administrator unlocks the account).
    #[arg(long, default_value_t = 10, value_name = "MIN")]
    pub lockout_duration: i64,
    /// Summary format on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Year of the first line of RFC 3164 syslog files (`Dec 10 06:55:46` carries none); by
    /// default taken from a dated line in the file, else its modification time.
    #[arg(long, value_name = "YYYY", value_parser = clap::value_parser!(i16).range(1970..=9999))]
    pub year: Option<i16>,
}

/// `lockscope simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Scenario: mace-2025, password-spray, stale-credential or mixed (Entra ID exports);
    /// ad-stale-credential, ad-password-spray, ad-brute-force or ad-mixed (Windows Security event
    /// XML of an Active Directory domain, plus identities.csv for `investigate --identities`);
    /// hybrid (both, for the same people); linux-brute-force, linux-spray, linux-faillock,
    /// linux-stale-automation or linux-mixed (auth.log, secure and journalctl JSON of a fleet of
    /// Linux hosts).
    #[arg(long, default_value = "mixed")]
    pub scenario: String,
    /// Users in the simulated tenant.
    #[arg(long, default_value_t = 200)]
    pub users: usize,
    /// Random seed: the same seed writes the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Days of logs.
    #[arg(long, default_value_t = 4)]
    pub days: u32,
    /// First day (UTC), e.g. 2025-04-17.
    #[arg(long, default_value = "2025-04-17T00:00:00Z")]
    pub start: String,
    /// Background sign-ins per user per day (raise for bigger data sets).
    #[arg(long, default_value_t = 8)]
    pub noise: u32,
    /// How the files are shaped; the records and truth.json are the same in every layout.
    ///
    /// graph: Graph sign-in pages, Log Analytics non-interactive CSV, diagnostic audit JSON Lines,
    /// Graph risk detections, Log Analytics risky users. diagnostic: Event Hub sign-in batches,
    /// hourly storage blobs for audit and risk. log-analytics: SigninLogs/AADNonInteractive JSON,
    /// AuditLogs, AADUserRiskEvents and AADRiskyUsers CSV. portal: the Entra portal's sign-in and
    /// audit CSV downloads, risk as Graph JSON. mixed: a different one per family, some gzipped.
    /// Windows event logs always have one shape (wevtutil XML) whatever the layout.
    #[arg(
        long,
        default_value = "graph",
        value_name = "LAYOUT",
        value_parser = ["graph", "diagnostic", "log-analytics", "portal", "mixed"],
    )]
    pub layout: String,
    /// Folder to write.
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
}

/// `lockscope demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder for the simulated data (`data/`) and the case (`case/`).
    #[arg(short, long, value_name = "DIR", default_value = "lockscope-demo")]
    pub output: PathBuf,
    /// Users in the simulated tenant.
    #[arg(long, default_value_t = 150)]
    pub users: usize,
    /// Random seed.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}
