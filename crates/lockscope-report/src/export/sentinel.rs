//! Microsoft Sentinel through the Azure Monitor Logs Ingestion API: one JSON array per stream
//! (`Custom-LockscopeEvents`, `Custom-LockscopeFindings`), each element a flat row of PascalCase
//! columns with `TimeGenerated`, plus `dcr-streams.json`, the `streamDeclarations` a data
//! collection rule needs to accept them.
//!
//! The columns are declared once, in [`EVENT_COLUMNS`] and [`FINDING_COLUMNS`]; a row holds only
//! declared columns (absent values are left out). One element is written per line, so a sender
//! can cut the array into calls under the API's 1 MB limit without parsing it.

use std::io::{self, Write};

use lockscope::event::{ActorKind, Event};
use lockscope::{Case, Finding, Position};
use serde_json::{Value, json};

use super::{account, caption, events_with_users, finding_severity, is_empty, prune};
use crate::TOOL;
use crate::sqlite::outcome;

/// The stream of events.
pub const EVENTS_STREAM: &str = "Custom-LockscopeEvents";
/// The stream of findings.
pub const FINDINGS_STREAM: &str = "Custom-LockscopeFindings";

/// The event stream's columns and their DCR types.
pub const EVENT_COLUMNS: &[(&str, &str)] = &[
    ("TimeGenerated", "datetime"),
    ("Kind", "string"),
    ("User", "string"),
    ("PrincipalName", "string"),
    ("PrincipalId", "string"),
    ("PrincipalDisplayName", "string"),
    ("ActorType", "string"),
    ("ActorId", "string"),
    ("ActorName", "string"),
    ("Host", "string"),
    ("Source", "string"),
    ("IPAddress", "string"),
    ("Outcome", "string"),
    ("ResultCode", "string"),
    ("Failure", "string"),
    ("Reason", "string"),
    ("AppId", "string"),
    ("AppName", "string"),
    ("Resource", "string"),
    ("DeviceId", "string"),
    ("DeviceName", "string"),
    ("DeviceOS", "string"),
    ("Browser", "string"),
    ("Country", "string"),
    ("City", "string"),
    ("RecordId", "string"),
    ("CorrelationId", "string"),
    ("RequestId", "string"),
    ("SessionId", "string"),
    ("RiskLevel", "string"),
    ("RiskState", "string"),
    ("RiskEventTypes", "dynamic"),
    ("Activity", "string"),
    ("EventId", "int"),
    ("LogonType", "int"),
    ("Process", "string"),
    ("Workstation", "string"),
    ("OriginFile", "string"),
    ("OriginLine", "long"),
    ("OriginRecord", "long"),
    ("OriginOffset", "long"),
    ("SchemaVersion", "int"),
    ("Tool", "string"),
];

/// The finding stream's columns and their DCR types.
pub const FINDING_COLUMNS: &[(&str, &str)] = &[
    ("TimeGenerated", "datetime"),
    ("FindingId", "string"),
    ("Rule", "string"),
    ("Title", "string"),
    ("Summary", "string"),
    ("Users", "dynamic"),
    ("Sources", "dynamic"),
    ("WindowStart", "datetime"),
    ("WindowEnd", "datetime"),
    ("Confidence", "real"),
    ("Severity", "string"),
    ("Compromise", "boolean"),
    ("Remedies", "dynamic"),
    ("Evidence", "dynamic"),
    ("EvidenceTotal", "int"),
    ("SchemaVersion", "int"),
    ("Tool", "string"),
];

/// One event as a row.
fn event(e: &Event, user: Option<&str>) -> Value {
    let principal = e.user.as_ref();
    let actor = e.actor.as_ref();
    let device = e.device.as_ref();
    let location = e.location.as_ref();
    let risk = e.risk.as_ref();
    let pos = |want: fn(Position) -> Option<u64>| want(e.origin.pos);
    row(vec![
        ("TimeGenerated", json!(e.time.to_string())),
        ("Kind", json!(e.kind)),
        ("User", json!(account(e, user))),
        ("PrincipalName", json!(principal.and_then(|p| p.name.as_deref()))),
        ("PrincipalId", json!(principal.and_then(|p| p.id.as_deref()))),
        ("PrincipalDisplayName", json!(principal.and_then(|p| p.display.as_deref()))),
        (
            "ActorType",
            json!(actor.map(|a| match a.kind {
                ActorKind::User => "user",
                ActorKind::App => "app",
                ActorKind::System => "system",
            })),
        ),
        ("ActorId", json!(actor.and_then(|a| a.id.as_deref()))),
        ("ActorName", json!(actor.and_then(|a| a.name.as_deref()))),
        ("Host", json!(e.host)),
        ("Source", json!(e.source)),
        ("IPAddress", json!(e.ip)),
        ("Outcome", json!(outcome(e.outcome))),
        ("ResultCode", json!(e.code)),
        ("Failure", json!(e.failure)),
        ("Reason", json!(e.reason)),
        ("AppId", json!(e.app.as_ref().and_then(|a| a.id.as_deref()))),
        ("AppName", json!(e.app.as_ref().and_then(|a| a.name.as_deref()))),
        ("Resource", json!(e.resource)),
        ("DeviceId", json!(device.and_then(|d| d.id.as_deref()))),
        ("DeviceName", json!(device.and_then(|d| d.name.as_deref()))),
        ("DeviceOS", json!(device.and_then(|d| d.os.as_deref()))),
        ("Browser", json!(device.and_then(|d| d.browser.as_deref()))),
        ("Country", json!(location.and_then(|l| l.country.as_deref()))),
        ("City", json!(location.and_then(|l| l.city.as_deref()))),
        ("RecordId", json!(e.ids.record)),
        ("CorrelationId", json!(e.ids.correlation)),
        ("RequestId", json!(e.ids.request)),
        ("SessionId", json!(e.ids.session)),
        ("RiskLevel", json!(risk.and_then(|r| r.level.as_deref()))),
        ("RiskState", json!(risk.and_then(|r| r.state.as_deref()))),
        ("RiskEventTypes", json!(risk.map(|r| &r.event_types))),
        ("Activity", json!(e.detail.activity)),
        ("EventId", json!(e.detail.event_id)),
        ("LogonType", json!(e.detail.logon_type)),
        ("Process", json!(e.detail.process)),
        ("Workstation", json!(e.detail.workstation)),
        ("OriginFile", json!(&*e.origin.file)),
        ("OriginLine", json!(pos(|p| if let Position::Line(n) = p { Some(n) } else { None }))),
        ("OriginRecord", json!(pos(|p| if let Position::Record(n) = p { Some(n) } else { None }))),
        ("OriginOffset", json!(pos(|p| if let Position::Offset(n) = p { Some(n) } else { None }))),
        ("SchemaVersion", json!(lockscope::case::SCHEMA_VERSION)),
        ("Tool", json!(TOOL)),
    ])
}

/// One finding as a row.
fn finding(f: &Finding) -> Value {
    let (_, severity) = finding_severity(f);
    row(vec![
        ("TimeGenerated", json!(f.window.end.to_string())),
        ("FindingId", json!(f.id)),
        ("Rule", json!(f.rule)),
        ("Title", json!(caption(f.rule))),
        ("Summary", json!(f.summary)),
        ("Users", json!(f.users)),
        ("Sources", json!(f.sources)),
        ("WindowStart", json!(f.window.start.to_string())),
        ("WindowEnd", json!(f.window.end.to_string())),
        ("Confidence", json!(f.confidence)),
        ("Severity", json!(severity)),
        ("Compromise", json!(f.compromise)),
        ("Remedies", json!(f.remedies)),
        ("Evidence", json!(f.evidence)),
        ("EvidenceTotal", json!(f.evidence_total)),
        ("SchemaVersion", json!(lockscope::case::SCHEMA_VERSION)),
        ("Tool", json!(TOOL)),
    ])
}

/// A row from its cells, in column order, leaving out absent values.
fn row(cells: Vec<(&'static str, Value)>) -> Value {
    Value::Object(cells.into_iter().map(|(k, v)| (k.to_string(), prune(v))).filter(|(_, v)| !is_empty(v)).collect())
}

/// Writes rows as a JSON array, one element per line.
fn array(w: &mut dyn Write, rows: impl Iterator<Item = Value>) -> io::Result<()> {
    w.write_all(b"[")?;
    let mut first = true;
    for row in rows {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut *w, &row)?;
        first = false;
    }
    w.write_all(if first { b"]\n" } else { b"\n]\n" })
}

/// `export/sentinel/Custom-LockscopeEvents.json`.
pub(super) fn events(case: &Case, w: &mut dyn Write) -> io::Result<()> {
    array(w, events_with_users(case).map(|(e, user)| event(e, user)))
}

/// `export/sentinel/Custom-LockscopeFindings.json`.
pub(super) fn findings(case: &Case, w: &mut dyn Write) -> io::Result<()> {
    array(w, case.findings.iter().map(finding))
}

/// `export/sentinel/dcr-streams.json`: the DCR `streamDeclarations` for both streams.
pub(super) fn streams(_: &Case, w: &mut dyn Write) -> io::Result<()> {
    let columns =
        |cols: &[(&str, &str)]| cols.iter().map(|(name, kind)| json!({"name": name, "type": kind})).collect::<Vec<_>>();
    let doc = json!({"streamDeclarations": {
        EVENTS_STREAM: {"columns": columns(EVENT_COLUMNS)},
        FINDINGS_STREAM: {"columns": columns(FINDING_COLUMNS)},
    }});
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    w.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_are_unique_and_start_with_time_generated() {
        for cols in [EVENT_COLUMNS, FINDING_COLUMNS] {
            assert_eq!(cols[0], ("TimeGenerated", "datetime"));
            let mut names: Vec<&str> = cols.iter().map(|(n, _)| *n).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), cols.len());
            for (_, kind) in cols {
                assert!(["string", "int", "long", "real", "boolean", "datetime", "dynamic"].contains(kind));
            }
        }
    }
}
