//! `lockscope scan`: find leaked credentials and tokens in files, directories or stdin.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, bail};
use lockscope::input::{self, Input};
use lockscope_secrets::{Leak, ScanOptions, Scanner};
use rayon::prelude::*;
use serde::Serialize;

use crate::Status;
use crate::cli::{Global, ScanArgs, ScanFormat};
use crate::output;

/// One finding as written to JSON Lines: where, what, whose, and whether it still works.
#[derive(Debug, Serialize)]
struct Record<'a> {
    schema_version: u32,
    file: &'a str,
    #[serde(flatten)]
    leak: &'a Leak,
    /// Who the token belongs to (`upn`, else `oid`), when it says.
    #[serde(skip_serializing_if = "Option::is_none")]
    owner: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    app: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    issued: Option<jiff::Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<jiff::Timestamp>,
    /// `expired`, `possibly-live` (not expired at `--at`) or `unknown` (no expiry in the secret).
    state: &'static str,
    /// The same, for people.
    validity: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<String>,
}

/// The machine-readable state of a secret at `at`.
fn state(leak: &Leak, at: jiff::Timestamp) -> &'static str {
    match leak.token.as_ref().and_then(|t| t.expires_at) {
        Some(exp) if exp <= at => "expired",
        Some(_) => "possibly-live",
        None => "unknown",
    }
}

/// What one stream gave.
struct Scanned {
    file: String,
    leaks: Vec<Leak>,
    allowed: u64,
    bytes: u64,
    error: Option<String>,
}

/// Runs the command.
pub fn run(g: &Global, args: &ScanArgs) -> anyhow::Result<Status> {
    let scanner = Scanner::builtin().context("loading the secret rules")?;
    let allow = match &args.allow {
        Some(path) => read_allowlist(path)?,
        None => BTreeSet::new(),
    };
    let at = match &args.at {
        Some(t) => t.parse::<jiff::Timestamp>().with_context(|| format!("--at {t}: not an RFC 3339 time"))?,
        None => jiff::Timestamp::now(),
    };
    let (inputs, errors) = input::expand(&args.paths);
    let opts = ScanOptions { reveal: args.reveal, allow, window: 0 };
    // Files in parallel; results are gathered in input order, so output never depends on timing.
    let scanned: Vec<Vec<Scanned>> = inputs.par_iter().map(|i| scan_input(&scanner, i, &opts)).collect();
    let scanned: Vec<Scanned> = scanned.into_iter().flatten().collect();
    // A symbolic-link loop or a second path to an input is a note, not an unreadable input.
    for e in errors.iter().filter(|e| e.is_skip()) {
        tracing::info!("{}", lockscope_report::terminal(&e.to_string()));
    }
    let mut problems: Vec<String> = errors.iter().filter(|e| !e.is_skip()).map(ToString::to_string).collect();
    problems.extend(scanned.iter().filter_map(|s| s.error.as_ref().map(|e| format!("{}: {e}", s.file))));
    for p in &problems {
        tracing::warn!("{}", lockscope_report::terminal(p));
    }
    if scanned.is_empty() && !problems.is_empty() {
        bail!("no input could be read: {}", problems.join("; "));
    }
    let mut jsonl = String::new();
    for s in &scanned {
        for leak in &s.leaks {
            let token = leak.token.as_ref();
            let record = Record {
                schema_version: 1,
                file: &s.file,
                leak,
                owner: token.and_then(|t| t.upn.as_deref().or(t.oid.as_deref())),
                tenant: token.and_then(|t| t.tenant_id.as_deref()),
                app: token.and_then(|t| t.app_id.as_deref()),
                issued: token.and_then(|t| t.issued_at),
                expires: token.and_then(|t| t.expires_at),
                state: state(leak, at),
                validity: validity(leak, at),
                value: leak.value.as_ref().map(|v| String::from_utf8_lossy(v.expose()).into_owned()),
            };
            jsonl.push_str(&serde_json::to_string(&record)?);
            jsonl.push('\n');
        }
    }
    if let Some(path) = &args.output {
        std::fs::write(path, &jsonl).with_context(|| format!("{}: cannot write", path.display()))?;
    }
    match args.format {
        ScanFormat::Jsonl => output::data(&jsonl)?,
        ScanFormat::Text => output::data(&table(&scanned, at, args.reveal))?,
    }
    let found: usize = scanned.iter().map(|s| s.leaks.len()).sum();
    let allowed: u64 = scanned.iter().map(|s| s.allowed).sum();
    let bytes: u64 = scanned.iter().map(|s| s.bytes).sum();
    output::note(
        g.quiet,
        &format!(
            "{found} secrets in {} inputs ({bytes} bytes){}{}",
            scanned.len(),
            if allowed > 0 { format!(", {allowed} allowlisted") } else { String::new() },
            if problems.is_empty() { String::new() } else { format!(", {} inputs unreadable", problems.len()) },
        ),
    );
    if args.strict && !problems.is_empty() {
        bail!("--strict: {} inputs could not be read", problems.len());
    }
    Ok(if found > 0 { Status::Findings } else { Status::Clean })
}

fn scan_input(scanner: &Scanner, input: &Input, opts: &ScanOptions) -> Vec<Scanned> {
    let mut out = Vec::new();
    let errors = input::open(input, |stream| {
        let file = stream.name.to_string();
        out.push(match scanner.scan_reader(stream.reader, opts) {
            Ok(r) => Scanned { file, leaks: r.leaks, allowed: r.allowed, bytes: r.totals.bytes, error: None },
            // Keep what was found before the stream broke, and say where it broke.
            Err((r, e)) => Scanned {
                file,
                leaks: r.leaks,
                allowed: r.allowed,
                bytes: r.totals.bytes,
                error: Some(format!("read error after the findings listed: {e}")),
            },
        });
    });
    for e in errors {
        out.push(Scanned {
            file: input.name.to_string(),
            leaks: Vec::new(),
            allowed: 0,
            bytes: 0,
            error: Some(e.to_string()),
        });
    }
    out
}

/// Whether the secret can still be used, as far as can be told offline.
fn validity(leak: &Leak, at: jiff::Timestamp) -> String {
    match leak.token.as_ref().and_then(|t| t.expires_at) {
        Some(exp) if exp <= at => format!("expired {exp}"),
        Some(exp) => format!("valid until {exp}"),
        None => "no expiry: rotate it".to_string(),
    }
}

fn table(scanned: &[Scanned], at: jiff::Timestamp, reveal: bool) -> String {
    let mut rows: Vec<[String; 5]> = Vec::new();
    for s in scanned {
        for l in &s.leaks {
            let owner = l.token.as_ref().and_then(|t| t.upn.clone().or_else(|| t.oid.clone())).unwrap_or_default();
            let mut status = validity(l, at);
            if let Some(v) = l.value.as_ref().filter(|_| reveal) {
                status.push_str(&format!("  value {}", String::from_utf8_lossy(v.expose())));
            }
            rows.push([format!("{}:{}", s.file, l.line), l.rule.clone(), l.fingerprint.clone(), owner, status]);
        }
    }
    if rows.is_empty() {
        return String::new();
    }
    let header = ["LOCATION", "TYPE", "FINGERPRINT", "OWNER", "STATUS"].map(String::from);
    let rows: Vec<[String; 5]> =
        std::iter::once(header).chain(rows).map(|r| r.map(|c| lockscope_report::terminal(&c))).collect();
    let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
    let widths = [width(0), width(1), width(2), width(3)];
    let mut out = String::new();
    for r in &rows {
        for (i, w) in widths.iter().enumerate() {
            let _ = write!(out, "{:<w$}  ", r[i]);
        }
        out.push_str(&r[4]);
        out.push('\n');
    }
    out
}

/// `lockscope rules`: every secret rule with its provider, checks and keywords.
pub fn list_rules() -> anyhow::Result<Status> {
    let scanner = Scanner::builtin().context("loading the secret rules")?;
    let mut out = String::from("ID\tPROVIDER\tNAME\tCHECKS\tKEYWORDS\n");
    for r in scanner.rules() {
        let checks: Vec<String> = r
            .checks
            .iter()
            .map(|c| serde_json::to_value(c).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default())
            .collect();
        let _ = writeln!(out, "{}\t{}\t{}\t{}\t{}", r.id, r.provider, r.name, checks.join(","), r.keywords.join(" "));
    }
    output::data(&out)?;
    Ok(Status::Clean)
}

/// Reads fingerprints (first word of each line; `#` comments and blank lines skipped).
pub fn read_allowlist(path: &Path) -> anyhow::Result<BTreeSet<String>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read allowlist", path.display()))?;
    Ok(text
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_ascii_lowercase)
        .collect())
}
