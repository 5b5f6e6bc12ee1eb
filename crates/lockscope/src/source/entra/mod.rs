//! Microsoft Entra ID and Azure sources: sign-ins, directory audits, ID Protection risk, and the
//! Azure activity log, in every shape `reference/formats.md` lists.
//!
//! Records are classified one by one from their content (envelope `category`, then the keys they
//! carry), never from a file name, so a mixed Event Hub batch or a folder of unlabelled exports
//! reads correctly.

use serde_json::{Map, Value};

use super::field::Rec;
use crate::event::{Event, Origin};

pub(crate) mod aadsts;
mod activity;
mod audit;
mod audit_kind;
mod common;
mod portal;
mod portal_audit;
mod portal_signin;
mod risk;
mod signin;
mod signin_policy;
pub mod uti;

pub use portal::CsvKind;

/// The record families of this source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// Graph `signIn`, `SigninLogs`, `AADNonInteractiveUserSignInLogs`, diagnostic sign-in categories.
    SignIn,
    /// Graph `directoryAudit`, `AuditLogs`.
    Audit,
    /// Graph `riskDetection`, `AADUserRiskEvents`, `UserRiskEvents`.
    RiskDetection,
    /// Graph `riskyUser`, `AADRiskyUsers`, `RiskyUsers` (snapshots).
    RiskyUser,
    /// Graph `riskyUserHistoryItem`.
    RiskyUserHistory,
    /// Azure activity log (`az monitor activity-log list`, diagnostic, `AzureActivity`).
    AzureActivity,
}

/// What one record turned into.
#[derive(Debug)]
pub enum Parsed {
    /// A normalised event.
    Event(Box<Event>),
    /// A record of a known family that carries nothing this tool uses (with why).
    Skip(&'static str),
}

/// Why a record could not be read.
pub type Reason = String;

/// The reason given for a JSON record that is not of any Entra or Azure family. A file made only
/// of such records is not a log this tool reads, and is reported as skipped, not as damaged.
pub const UNRECOGNISED: &str = "not a recognised Entra or Azure record";

/// Classifies and parses one JSON record (already split out of its page/array/line).
///
/// Diagnostic-settings envelopes (`{time, category, properties}`) are unwrapped here; the family
/// parsers receive the inner record and the envelope.
pub fn parse_json(value: &Value, origin: Origin) -> Result<Parsed, Reason> {
    let Some(rec) = Rec::new(value) else {
        return Err("record is not a JSON object".into());
    };
    let (inner, envelope, family) = unwrap(rec);
    let Some(family) = family else {
        return Err(UNRECOGNISED.into());
    };
    let inner = Rec::new(&inner).unwrap_or(rec);
    dispatch(family, inner, envelope, origin)
}

/// Sends a classified record to its family parser.
fn dispatch(family: Family, rec: Rec<'_>, envelope: Option<Rec<'_>>, origin: Origin) -> Result<Parsed, Reason> {
    match family {
        Family::SignIn => signin::parse(rec, envelope, origin),
        Family::Audit => audit::parse(rec, envelope, origin),
        Family::RiskDetection => risk::parse_detection(rec, envelope, origin),
        Family::RiskyUser => risk::parse_risky_user(rec, envelope, origin, false),
        Family::RiskyUserHistory => risk::parse_risky_user(rec, envelope, origin, true),
        Family::AzureActivity => activity::parse(rec, envelope, origin),
    }
}

/// Splits a diagnostic envelope from its `properties` and classifies the record.
fn unwrap(rec: Rec<'_>) -> (Value, Option<Rec<'_>>, Option<Family>) {
    if let Some(category) = rec.str(&["category"]) {
        let from_category = family_of_category(&category);
        if let Some(props) = rec.object(&["properties"]) {
            // An envelope: its category names the family. The activity log's envelope carries
            // identity/claims outside `properties`, so its parser gets the envelope too.
            let family = from_category.or_else(|| Rec::new(&props).and_then(classify));
            if family.is_some() {
                return (props.into_owned(), Some(rec), family);
            }
        }
        if from_category.is_some() {
            return (Value::Object(rec.map().clone()), None, from_category);
        }
    }
    (Value::Object(rec.map().clone()), None, classify(rec))
}

/// The family named by a diagnostic `category` or a Log Analytics `Type`.
fn family_of_category(category: &str) -> Option<Family> {
    let c = category.to_ascii_lowercase();
    Some(match c.as_str() {
        "signinlogs"
        | "noninteractiveusersigninlogs"
        | "serviceprincipalsigninlogs"
        | "managedidentitysigninlogs"
        | "microsoftserviceprincipalsigninlogs"
        | "adfssigninlogs"
        | "aadnoninteractiveusersigninlogs"
        | "aadserviceprincipalsigninlogs"
        | "aadmanagedidentitysigninlogs" => Family::SignIn,
        "auditlogs" => Family::Audit,
        "userriskevents" | "aaduserriskevents" => Family::RiskDetection,
        "riskyusers" | "aadriskyusers" => Family::RiskyUser,
        "azureactivity" | "administrative" | "security" | "policy" | "servicehealth" | "resourcehealth" | "alert"
        | "autoscale" | "recommendation" | "action" | "write" | "delete" => Family::AzureActivity,
        _ => return None,
    })
}

/// Classifies a bare record (Graph object or Log Analytics row) by the keys it carries.
fn classify(rec: Rec<'_>) -> Option<Family> {
    if let Some(t) = rec.str(&["Type"]) {
        match t.to_ascii_lowercase().as_str() {
            "signinlogs"
            | "aadnoninteractiveusersigninlogs"
            | "aadserviceprincipalsigninlogs"
            | "aadmanagedidentitysigninlogs" => return Some(Family::SignIn),
            "auditlogs" => return Some(Family::Audit),
            "aaduserriskevents" => return Some(Family::RiskDetection),
            "aadriskyusers" => return Some(Family::RiskyUser),
            "azureactivity" => return Some(Family::AzureActivity),
            _ => {}
        }
    }
    if rec.has(&["riskEventType"]) {
        return Some(Family::RiskDetection);
    }
    if rec.has(&["activityDisplayName"]) {
        return Some(Family::Audit);
    }
    // History items carry the riskyUser fields too; their `initiatedBy` + `activity` tell them apart.
    if rec.has(&["riskState"]) && rec.has(&["initiatedBy"]) && rec.has(&["activity"]) {
        return Some(Family::RiskyUserHistory);
    }
    if rec.has(&["riskLastUpdatedDateTime"]) || (rec.has(&["riskState"]) && rec.has(&["isDeleted", "isProcessing"])) {
        return Some(Family::RiskyUser);
    }
    if rec.has(&["eventTimestamp", "operationNameValue"]) || (rec.has(&["authorization"]) && rec.has(&["claims"])) {
        return Some(Family::AzureActivity);
    }
    let status = rec.has(&["status", "resultType", "errorCode"]);
    if status
        && rec.has(&["userPrincipalName", "userId", "servicePrincipalId"])
        && rec.has(&["createdDateTime", "appId", "ipAddress"])
    {
        return Some(Family::SignIn);
    }
    None
}

/// Reads one CSV row (keys are the header names, trimmed and with inner runs of spaces
/// collapsed) of a file whose header was classified as `kind`.
pub fn parse_csv_row(kind: CsvKind, row: &Map<String, Value>, origin: Origin) -> Result<Parsed, Reason> {
    match kind {
        CsvKind::LogAnalytics(family) => dispatch(family, Rec::from_map(row), None, origin),
        CsvKind::Portal(family) => {
            let canonical = portal::canonicalise(family, row);
            dispatch(family, Rec::from_map(&canonical), None, origin)
        }
    }
}

/// Classifies a CSV header row (names trimmed, spaces collapsed), or `None` if it is not an
/// Entra/Azure export.
pub fn classify_csv(headers: &[String]) -> Option<CsvKind> {
    portal::classify_headers(headers)
}

#[cfg(test)]
mod tests;
