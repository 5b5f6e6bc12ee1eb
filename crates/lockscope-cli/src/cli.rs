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
  lockscope scan /var/log/app/                     find leaked tokens and keys (values never printed)
  tail -F app.log | lockscope redact >> clean.log  strip secrets from a log stream
  lockscope plan case --render-dir case/plan       what to do per user, as plan.json and scripts to review
  lockscope apply case/plan.json --dry-run         what applying the plan through Graph would do
  lockscope collect entra --since 2025-04-18 --until 2025-04-21 -o graph   export Entra logs from Graph

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
    /// Find leaked credentials and tokens in any text or log files (never prints them).
    Scan(ScanArgs),
    /// Copy a log with every secret replaced by a typed, fingerprinted placeholder.
    Redact(RedactArgs),
    /// Build a remediation plan (plan.json, content-hashed) from a case folder; read-only.
    Plan(PlanArgs),
    /// Carry a plan out against Microsoft Graph: batches, retries, journal, read-back.
    Apply(crate::cmd::apply::ApplyArgs),
    /// Export Entra logs from Microsoft Graph into files `investigate` reads.
    Collect(crate::cmd::collect::CollectArgs),
    /// List the secret-detection rules (`scan`, `redact` and `investigate` use them).
    Rules,
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
    /// Treat any unreadable record or input as an error (exit 2). By default damaged records
    /// and inputs are counted, reported with their position, and the rest is read.
    #[arg(long)]
    pub strict: bool,
    /// The most bytes decompressed from one input (gzip, zstd and zip layers and members
    /// together); beyond it the rest of that input is reported unreadable. Binary units: K, M, G, T.
    #[arg(long, value_name = "SIZE", default_value = "64G", value_parser = lockscope::input::parse_bytes)]
    pub max_decompressed: u64,
    /// The most events analysed per identity, earliest first; the rest are dropped and reported,
    /// so a flood against one account cannot exhaust memory or time.
    #[arg(long, value_name = "N", default_value_t = lockscope::case::DEFAULT_MAX_EVENTS_PER_USER)]
    pub max_events_per_user: usize,
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
    /// Do not scan the inputs for leaked tokens and secrets (`secrets.jsonl`, `token-leaked`).
    #[arg(long)]
    pub no_secrets: bool,
    /// Also write the events and findings for a SIEM under `export/<format>/` (repeatable, or
    /// comma-separated: `--export ocsf,ecs`).
    #[arg(long, value_enum, value_name = "FORMAT", value_delimiter = ',')]
    pub export: Vec<ExportFormat>,
}

/// A SIEM export format (`investigate --export`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// OCSF 1.3 JSON Lines: Authentication, Account Change and Detection Finding.
    Ocsf,
    /// Elastic Common Schema JSON Lines; findings as alerts.
    Ecs,
    /// Splunk HTTP Event Collector event JSON, one per line.
    SplunkHec,
    /// Microsoft Sentinel Logs Ingestion API arrays, with the DCR stream declarations.
    Sentinel,
}

impl From<ExportFormat> for lockscope_report::export::Format {
    fn from(f: ExportFormat) -> Self {
        match f {
            ExportFormat::Ocsf => Self::Ocsf,
            ExportFormat::Ecs => Self::Ecs,
            ExportFormat::SplunkHec => Self::SplunkHec,
            ExportFormat::Sentinel => Self::Sentinel,
        }
    }
}

/// How `scan` prints its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ScanFormat {
    /// A table for people.
    #[default]
    Text,
    /// One JSON object per finding.
    Jsonl,
}

/// `lockscope scan`.
#[derive(Debug, Args)]
#[command(
    after_help = "Nothing found is ever used or sent anywhere: owners and expiry are read offline from the tokens themselves. Fingerprints are keyed by LOCKSCOPE_FINGERPRINT_KEY when set.\n\nExit status: 0 nothing found, 1 secrets found, 2 error."
)]
pub struct ScanArgs {
    /// Files, directories (read recursively) or `-` for stdin; gzip, zstd and zip are opened.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ScanFormat::Text)]
    pub format: ScanFormat,
    /// Also write the findings as JSON Lines to this file.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print the secrets themselves (the only way to see a value).
    #[arg(long)]
    pub reveal: bool,
    /// File of fingerprints to ignore, one per line (`#` starts a comment).
    #[arg(long, value_name = "FILE")]
    pub allow: Option<PathBuf>,
    /// Judge token expiry at this instant instead of now (RFC 3339).
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Treat an unreadable input as an error (exit 2) even when others were scanned.
    #[arg(long)]
    pub strict: bool,
}

/// `lockscope redact`.
#[derive(Debug, Args)]
#[command(
    after_help = "Placeholders look like [REDACTED:jwt:3f9a1c2e5b7d9f01]: the rule and the fingerprint of the secret, so redacted logs can still be correlated. Every other byte is copied unchanged. Compressed input is decompressed."
)]
pub struct RedactArgs {
    /// Input file (default: stdin).
    #[arg(value_name = "IN")]
    pub input: Option<PathBuf>,
    /// Output file (default: stdout).
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// File of fingerprints to leave in place, one per line (`#` starts a comment).
    #[arg(long, value_name = "FILE")]
    pub allow: Option<PathBuf>,
    /// Print what was redacted on stderr.
    #[arg(long)]
    pub stats: bool,
}

/// What `lockscope plan` prints on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// The plan itself (plan.json).
    Json,
    /// Microsoft Graph PowerShell for the Entra actions (plan.ps1).
    Powershell,
    /// Graph $batch request bodies for the Entra actions (plan-batch.json).
    GraphBatch,
    /// ActiveDirectory PowerShell for the Active Directory actions (plan-ad.ps1).
    AdPowershell,
    /// POSIX shell for the Linux actions (plan.sh).
    Shell,
}

/// `lockscope plan`.
#[derive(Debug, Args)]
#[command(
    after_help = "Provider false positives get confirm-safe (or dismiss-risk with --dismiss), never a password reset; compromised users get confirm-compromised, revoke-sessions and reset-password; users that need review get only the safe remedies the case names (revoke a live leaked token, unlock, fix a stale credential); the others are listed as excluded, with the reason. Nothing is changed anywhere: review the plan, then run `lockscope apply` or the renderings.\n\nExit status: 0 nothing to do, 1 a plan with actions, 2 error."
)]
pub struct PlanArgs {
    /// The case folder `lockscope investigate -o CASE` wrote.
    #[arg(value_name = "CASE")]
    pub case: PathBuf,
    /// Where to write the plan (default: CASE/plan.json).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also print the plan, or one rendering of it, on stdout.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<PlanFormat>,
    /// Also write every rendering into this folder: plan.ps1, plan-batch.json, plan-ad.ps1, plan.sh.
    #[arg(long, value_name = "DIR")]
    pub render_dir: Option<PathBuf>,
    /// Dismiss the risk of provider false positives instead of confirming them safe.
    #[arg(long)]
    pub dismiss: bool,
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
    /// Users whose access tokens an app wrote into its log (app/api-gateway.log, listed under
    /// leaked_tokens in truth.json): some dead (issued before a revocation), one still valid,
    /// the others expired. Scenarios with Entra files only; 0 writes no such log.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub leaked_tokens: u32,
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
