//! SIEM exports: the case's events and findings in the shapes SIEMs ingest, written under
//! `export/<format>/` in the case folder (`investigate --export FORMAT`, repeatable).
//!
//! | format | files |
//! |---|---|
//! | [`Format::Ocsf`] | `export/ocsf/events.jsonl`, `export/ocsf/findings.jsonl` (OCSF 1.3 JSON Lines) |
//! | [`Format::Ecs`] | `export/ecs/events.jsonl`, `export/ecs/findings.jsonl` (Elastic Common Schema) |
//! | [`Format::SplunkHec`] | `export/splunk-hec/events.jsonl`, `export/splunk-hec/findings.jsonl` (HEC event JSON) |
//! | [`Format::Sentinel`] | `export/sentinel/Custom-LockscopeEvents.json`, `…Findings.json`, `dcr-streams.json` |
//!
//! Every string in an export comes from the logs and reaches the file only through JSON
//! serialisation, which escapes it. The case's lists are sorted, so the same case gives the same
//! bytes. The field mappings are documented in `docs/exports.md`.

mod ecs;
mod ocsf;
mod sentinel;
mod splunk;

use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use lockscope::{Case, Event, RuleId};
use serde_json::Value;

use crate::ReportError;

/// The version of lockscope written into the exports' product metadata.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A SIEM export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// Open Cybersecurity Schema Framework 1.3: Authentication (3002), Account Change (3001),
    /// Detection Finding (2004), and Base Event (0) for the rest.
    Ocsf,
    /// Elastic Common Schema 8.x documents; findings as `event.kind: alert`.
    Ecs,
    /// Splunk HTTP Event Collector event JSON, one event per line.
    SplunkHec,
    /// Microsoft Sentinel (Azure Monitor Logs Ingestion API): one JSON array per stream, with
    /// the data collection rule's stream declarations.
    Sentinel,
}

impl Format {
    /// Every format, in documentation order.
    pub const ALL: [Format; 4] = [Format::Ocsf, Format::Ecs, Format::SplunkHec, Format::Sentinel];

    /// The stable name, also the folder under `export/`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Ocsf => "ocsf",
            Format::Ecs => "ecs",
            Format::SplunkHec => "splunk-hec",
            Format::Sentinel => "sentinel",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of export formats (small and `Copy`, like the [`crate::Options`] that hold it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Exports(u8);

impl Exports {
    /// No export.
    pub const NONE: Exports = Exports(0);

    /// This set with `format` added.
    #[must_use]
    pub fn with(self, format: Format) -> Self {
        Exports(self.0 | format.bit())
    }

    /// Whether `format` is in the set.
    pub fn contains(self, format: Format) -> bool {
        self.0 & format.bit() != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The formats in the set, in [`Format::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Format> {
        Format::ALL.into_iter().filter(move |f| self.contains(*f))
    }
}

impl FromIterator<Format> for Exports {
    fn from_iter<I: IntoIterator<Item = Format>>(iter: I) -> Self {
        iter.into_iter().fold(Exports::NONE, Exports::with)
    }
}

/// Writes the requested exports under `dir/export/`; returns the files written.
pub(crate) fn write(case: &Case, dir: &Path, exports: Exports) -> Result<Vec<PathBuf>, ReportError> {
    let mut written = Vec::new();
    for format in exports.iter() {
        let folder = dir.join("export").join(format.as_str());
        std::fs::create_dir_all(&folder)
            .map_err(|source| ReportError { path: folder.display().to_string(), source })?;
        let mut file = |name: &str, f: &dyn Fn(&Case, &mut dyn Write) -> io::Result<()>| {
            let path = folder.join(name);
            let err = |source| ReportError { path: path.display().to_string(), source };
            let mut w = BufWriter::new(File::create(&path).map_err(err)?);
            f(case, &mut w).and_then(|()| w.flush()).map_err(err)?;
            written.push(path);
            Ok::<(), ReportError>(())
        };
        match format {
            Format::Ocsf => {
                file("events.jsonl", &ocsf::events)?;
                file("findings.jsonl", &ocsf::findings)?;
            }
            Format::Ecs => {
                file("events.jsonl", &ecs::events)?;
                file("findings.jsonl", &ecs::findings)?;
            }
            Format::SplunkHec => {
                file("events.jsonl", &splunk::events)?;
                file("findings.jsonl", &splunk::findings)?;
            }
            Format::Sentinel => {
                file(&format!("{}.json", sentinel::EVENTS_STREAM), &sentinel::events)?;
                file(&format!("{}.json", sentinel::FINDINGS_STREAM), &sentinel::findings)?;
                file("dcr-streams.json", &sentinel::streams)?;
            }
        }
    }
    Ok(written)
}

/// Every event with the name of the identity it resolved to.
fn events_with_users(case: &Case) -> impl Iterator<Item = (&Event, Option<&str>)> {
    case.events.iter().zip(&case.event_users).map(|(e, u)| (e, u.and_then(|u| case.names.get(u)).map(String::as_str)))
}

/// The name an event's account goes by: the resolved identity, else the name as logged.
fn account<'a>(e: &'a Event, user: Option<&'a str>) -> Option<&'a str> {
    user.or_else(|| e.user.as_ref().and_then(|p| p.name.as_deref().or(p.id.as_deref())))
}

/// Writes one JSON value and a newline.
fn line(w: &mut dyn Write, v: &Value) -> io::Result<()> {
    serde_json::to_writer(&mut *w, v)?;
    w.write_all(b"\n")
}

/// Removes nulls, empty objects and empty arrays, recursively, so absent facts are absent keys.
fn prune(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, prune(v))).filter(|(_, v)| !is_empty(v)).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(prune).filter(|v| !is_empty(v)).collect()),
        v => v,
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// Whether a source string is an IP address (findings' sources mix IPs, hosts and processes).
fn is_ip(s: &str) -> bool {
    s.parse::<std::net::IpAddr>().is_ok()
}

/// Sorted, deduplicated, non-empty values.
fn set<'a>(items: impl IntoIterator<Item = Option<&'a str>>) -> Vec<&'a str> {
    let mut v: Vec<&str> = items.into_iter().flatten().filter(|s| !s.is_empty()).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// A rule's human name, used as a finding's title.
fn caption(rule: RuleId) -> &'static str {
    match rule {
        RuleId::ProviderMassRevocation => "Provider mass revocation",
        RuleId::LeakedCredentials => "Leaked credentials",
        RuleId::CompromiseIndicators => "Compromise indicators",
        RuleId::PasswordSpray => "Password spray",
        RuleId::BruteForce => "Brute force",
        RuleId::StaleCredential => "Stale credential",
        RuleId::AdminAction => "Admin action",
        RuleId::UserError => "User error",
        RuleId::SmartLockout => "Smart lockout",
        RuleId::RiskBlock => "Risk block",
        RuleId::TokenRejected => "Token rejected",
        RuleId::AccountDisabled => "Account disabled",
        RuleId::PasswordExpired => "Password expired",
        RuleId::AccountLockout => "Account lockout",
        RuleId::TokenLeaked => "Token leaked",
    }
}

/// A finding's severity on the OCSF scale (1 informational … 4 high), shared by every export:
/// high when it says someone else used the account, medium for attacks and leaks, low otherwise.
fn finding_severity(f: &lockscope::Finding) -> (u8, &'static str) {
    if f.compromise {
        return (4, "High");
    }
    match f.rule {
        RuleId::PasswordSpray
        | RuleId::BruteForce
        | RuleId::CompromiseIndicators
        | RuleId::LeakedCredentials
        | RuleId::TokenLeaked => (3, "Medium"),
        _ => (2, "Low"),
    }
}

/// An event's severity on the OCSF scale: a lockout is medium, a failure low, the rest
/// informational.
fn event_severity(e: &Event) -> (u8, &'static str) {
    match (e.kind, e.outcome) {
        (lockscope::Kind::Lockout, _) => (3, "Medium"),
        (_, lockscope::Outcome::Failure) => (2, "Low"),
        _ => (1, "Informational"),
    }
}

/// How an event ended, for the exports: an account change (password, enable/disable, lock,
/// unlock, token invalidation) logged without an outcome was recorded because it happened.
fn outcome_of(e: &Event) -> lockscope::Outcome {
    use lockscope::Kind;
    let change = matches!(
        e.kind,
        Kind::PasswordChange
            | Kind::PasswordReset
            | Kind::AccountDisabled
            | Kind::AccountEnabled
            | Kind::AccountUnlocked
            | Kind::Lockout
            | Kind::TokenInvalidation
            | Kind::UserCreated
            | Kind::UserDeleted
    );
    match e.outcome {
        lockscope::Outcome::Info if change => lockscope::Outcome::Success,
        o => o,
    }
}

/// The origin of a record as `{file, line|record|offset}`.
fn origin(o: &lockscope::Origin) -> Value {
    serde_json::to_value(o).unwrap_or(Value::Null)
}

/// Milliseconds since the Unix epoch.
fn millis(ts: jiff::Timestamp) -> i64 {
    ts.as_millisecond()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_sets_hold_what_was_added() {
        let set: Exports = [Format::Sentinel, Format::Ocsf, Format::Ocsf].into_iter().collect();
        assert!(set.contains(Format::Ocsf) && set.contains(Format::Sentinel));
        assert!(!set.contains(Format::Ecs) && !set.is_empty());
        assert_eq!(set.iter().collect::<Vec<_>>(), vec![Format::Ocsf, Format::Sentinel]);
        assert!(Exports::NONE.is_empty());
    }

    #[test]
    fn prune_drops_absent_facts() {
        let v = serde_json::json!({"a": null, "b": {"c": null}, "d": [], "e": [null, 1], "f": "x", "g": 0});
        assert_eq!(prune(v), serde_json::json!({"e": [1], "f": "x", "g": 0}));
    }
}
