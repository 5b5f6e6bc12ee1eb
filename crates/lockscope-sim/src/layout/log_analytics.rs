//! Log Analytics exports of the audit and Identity Protection tables (formats.md §3.2, §4.3):
//! `AuditLogs.csv` with `InitiatedBy`, `TargetResources` and `AdditionalDetails` as JSON text,
//! `AADUserRiskEvents` and `AADRiskyUsers` as CSV (or JSON arrays). The CSVs are the Log
//! Analytics portal's "Export to CSV": datetime headers carry a ` [UTC]` suffix. The sign-in
//! tables are in `crate::la`.

use crate::SimError;
use crate::clock::{Style, Ts};
use crate::ids::{Guid, Hex64, Ip};
use crate::plan::{Audit, Detection, Snapshot};
use crate::tenant::Tenant;
use crate::writer::{CsvOut, CsvStyle, FileStat, JsonArray};
use crate::{audit, risk};
use serde::Serialize;
use std::path::PathBuf;

/// `AuditLogs` columns in export order: the standard columns, then the table's own, then `Type`.
pub(crate) const AUDIT_HEADER: &[&str] = &[
    "TenantId",
    "SourceSystem",
    "TimeGenerated",
    "ResourceId",
    "OperationName",
    "OperationVersion",
    "Category",
    "ResultType",
    "ResultSignature",
    "ResultDescription",
    "DurationMs",
    "CorrelationId",
    "Resource",
    "ResourceGroup",
    "ResourceProvider",
    "Identity",
    "Level",
    "Location",
    "AdditionalDetails",
    "Id",
    "InitiatedBy",
    "LoggedByService",
    "Result",
    "ResultReason",
    "TargetResources",
    "AADTenantId",
    "ActivityDisplayName",
    "ActivityDateTime",
    "AADOperationType",
    "Type",
];

/// Columns of these tables that hold a `datetime`.
const DATETIME: &[&str] =
    &["TimeGenerated", "ActivityDateTime", "DetectedDateTime", "LastUpdatedDateTime", "RiskLastUpdatedDateTime"];

/// `header` as the Log Analytics portal's CSV export writes it: datetime columns get a
/// ` [UTC]` suffix (`TimeGenerated [UTC]`).
fn portal_header(header: &[&str]) -> Vec<String> {
    header.iter().map(|h| if DATETIME.contains(h) { format!("{h} [UTC]") } else { h.to_string() }).collect()
}

/// Creates a CSV export with `header` in the portal's spelling.
fn create_csv(path: PathBuf, header: &[&str], gzip: bool) -> Result<CsvOut, SimError> {
    let header = portal_header(header);
    let names: Vec<&str> = header.iter().map(String::as_str).collect();
    CsvOut::create(path, &names, CsvStyle { gzip, ..CsvStyle::default() })
}

/// Writes the audit rows, oldest first, as a Log Analytics `AuditLogs` CSV export.
pub(crate) fn write_audits(path: PathBuf, tenant: &Tenant, audits: &[Audit], gzip: bool) -> Result<FileStat, SimError> {
    let mut out = create_csv(path, AUDIT_HEADER, gzip)?;
    for a in audits {
        let e = audit::render(tenant, a);
        let p = &e.properties;
        out.display(tenant.id)?;
        out.field("Azure AD")?;
        out.display(Ts(a.t, Style::MillisTrim))?;
        out.field(e.resource_id)?;
        out.field(p.activity_display_name)?;
        out.field("1.0")?;
        out.field(p.category)?;
        out.field("")?;
        out.field("None")?;
        out.field("")?;
        out.field("0")?;
        out.display(p.correlation_id)?;
        out.field("Microsoft.aadiam")?;
        out.field("Microsoft.aadiam")?;
        out.field("Microsoft.aadiam")?;
        out.field(e.identity)?;
        out.field("4")?;
        out.field("")?;
        out.json(&p.additional_details)?;
        out.field(&p.id)?;
        out.json(&p.initiated_by)?;
        out.field(p.logged_by_service)?;
        out.field(p.result)?;
        out.field(p.result_reason)?;
        out.json(&p.target_resources)?;
        out.display(tenant.id)?;
        out.field(p.activity_display_name)?;
        out.display(Ts(a.t, Style::TicksTrim))?;
        out.field(p.operation_type)?;
        out.field("AuditLogs")?;
        out.end_row()?;
    }
    out.finish()
}

/// An `AADUserRiskEvents` row.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RiskEventRow<'a> {
    tenant_id: Guid,
    source_system: &'static str,
    time_generated: Ts,
    activity: &'static str,
    activity_date_time: Ts,
    additional_info: Dynamic,
    correlation_id: Option<Guid>,
    detected_date_time: Ts,
    detection_timing_type: &'static str,
    id: Hex64,
    ip_address: Option<Ip>,
    last_updated_date_time: Ts,
    location: Dynamic,
    operation_name: &'static str,
    request_id: Option<Guid>,
    risk_detail: &'static str,
    risk_event_type: &'static str,
    risk_level: &'static str,
    risk_state: &'static str,
    source: &'static str,
    token_issuer_type: &'static str,
    user_display_name: &'a str,
    user_id: Guid,
    user_principal_name: &'a str,
    #[serde(rename = "Type")]
    kind: &'static str,
}

/// A `dynamic` column: JSON text in a CSV export, the value itself in a JSON export.
enum Dynamic {
    Text(String),
    Value(serde_json::Value),
}

impl Dynamic {
    /// `text` (JSON, or empty for no value) in the form of the export.
    fn of(text: String, json: bool) -> Result<Self, serde_json::Error> {
        Ok(match (json, text.is_empty()) {
            (false, _) => Dynamic::Text(text),
            (true, true) => Dynamic::Value(serde_json::Value::Null),
            (true, false) => Dynamic::Value(serde_json::from_str(&text)?),
        })
    }
}

impl Serialize for Dynamic {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Dynamic::Text(t) => s.serialize_str(t),
            Dynamic::Value(v) => v.serialize(s),
        }
    }
}

/// `AADUserRiskEvents` columns, in [`RiskEventRow`] field order.
pub(crate) const RISK_EVENTS_HEADER: &[&str] = &[
    "TenantId",
    "SourceSystem",
    "TimeGenerated",
    "Activity",
    "ActivityDateTime",
    "AdditionalInfo",
    "CorrelationId",
    "DetectedDateTime",
    "DetectionTimingType",
    "Id",
    "IpAddress",
    "LastUpdatedDateTime",
    "Location",
    "OperationName",
    "RequestId",
    "RiskDetail",
    "RiskEventType",
    "RiskLevel",
    "RiskState",
    "Source",
    "TokenIssuerType",
    "UserDisplayName",
    "UserId",
    "UserPrincipalName",
    "Type",
];

/// `AADRiskyUsers` columns, in `risk::RiskyUserRow` field order.
pub(crate) const RISKY_USERS_HEADER: &[&str] = &[
    "TenantId",
    "SourceSystem",
    "TimeGenerated",
    "Id",
    "CorrelationId",
    "IsDeleted",
    "IsProcessing",
    "OperationName",
    "RiskDetail",
    "RiskLastUpdatedDateTime",
    "RiskLevel",
    "RiskState",
    "UserDisplayName",
    "UserPrincipalName",
    "Type",
];

/// Rows to a CSV (with `header`) or a JSON array.
enum Rows {
    Csv(Box<CsvOut>),
    Json(JsonArray),
}

impl Rows {
    fn create(path: PathBuf, header: &[&str], json: bool, gzip: bool) -> Result<Self, SimError> {
        Ok(if json {
            Rows::Json(JsonArray::create_with(path, "", gzip)?)
        } else {
            Rows::Csv(Box::new(create_csv(path, header, gzip)?))
        })
    }

    fn push<T: Serialize>(&mut self, row: &T) -> Result<(), SimError> {
        match self {
            Rows::Csv(out) => out.row(row),
            Rows::Json(out) => out.push(row),
        }
    }

    fn finish(self) -> Result<FileStat, SimError> {
        match self {
            Rows::Csv(out) => out.finish(),
            Rows::Json(out) => out.finish(),
        }
    }
}

/// The `AADUserRiskEvents` row of a detection, its `dynamic` columns as JSON text or values.
fn event_row<'a>(tenant: &'a Tenant, d: &Detection, json: bool) -> Result<RiskEventRow<'a>, serde_json::Error> {
    let r = risk::render(tenant, d);
    let location = match &r.location {
        Some(l) => serde_json::to_string(l)?,
        None => String::new(),
    };
    let trim = |ts: Ts| Ts(ts.0, Style::MillisTrim);
    Ok(RiskEventRow {
        tenant_id: tenant.id,
        source_system: "Azure AD",
        time_generated: trim(r.last_updated_date_time),
        activity: r.activity,
        activity_date_time: trim(r.activity_date_time),
        additional_info: Dynamic::of(r.additional_info, json)?,
        correlation_id: r.correlation_id,
        detected_date_time: trim(r.detected_date_time),
        detection_timing_type: r.detection_timing_type,
        id: r.id,
        ip_address: r.ip_address,
        last_updated_date_time: trim(r.last_updated_date_time),
        location: Dynamic::of(location, json)?,
        operation_name: "User Risk Detection",
        request_id: r.request_id,
        risk_detail: r.risk_detail,
        risk_event_type: r.risk_event_type,
        risk_level: r.risk_level,
        risk_state: r.risk_state,
        source: r.source,
        token_issuer_type: r.token_issuer_type,
        user_display_name: r.user_display_name,
        user_id: r.user_id,
        user_principal_name: tenant.user(d.user).upn_logged(),
        kind: "AADUserRiskEvents",
    })
}

/// Writes the detections, in detection order, as an `AADUserRiskEvents` export.
pub(crate) fn write_detections(
    path: PathBuf,
    tenant: &Tenant,
    detections: &[Detection],
    json: bool,
    gzip: bool,
) -> Result<FileStat, SimError> {
    let file = path.clone();
    let mut out = Rows::create(path, RISK_EVENTS_HEADER, json, gzip)?;
    for d in detections {
        out.push(&event_row(tenant, d, json).map_err(SimError::json(&file))?)?;
    }
    out.finish()
}

/// Writes the risky-user snapshots, oldest first, as an `AADRiskyUsers` export.
pub(crate) fn write_snapshots(
    path: PathBuf,
    tenant: &Tenant,
    snapshots: &[Snapshot],
    json: bool,
    gzip: bool,
) -> Result<FileStat, SimError> {
    let mut out = Rows::create(path, RISKY_USERS_HEADER, json, gzip)?;
    for s in snapshots {
        out.push(&risk::snapshot_row(tenant, s))?;
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The header of a CSV the csv crate writes for `row` on its own.
    fn serde_header<T: Serialize>(row: &T) -> Vec<String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.serialize(row).expect("serialize");
        let bytes = w.into_inner().expect("bytes");
        let text = String::from_utf8(bytes).expect("utf-8");
        text.lines().next().expect("header").split(',').map(str::to_string).collect()
    }

    #[test]
    fn csv_headers_match_the_row_fields() {
        let cfg = crate::Config::default();
        let start = crate::clock::from_timestamp(cfg.start);
        let mut tenant = crate::tenant::build(&cfg, start);
        let (plan, _, _) = crate::scenario::plan(&cfg, &mut tenant, start);
        let snapshot = plan.snapshots.first().expect("a snapshot");
        assert_eq!(serde_header(&risk::snapshot_row(&tenant, snapshot)), RISKY_USERS_HEADER);
        let detection = plan.detections.first().expect("a detection");
        assert_eq!(serde_header(&event_row(&tenant, detection, false).expect("row")), RISK_EVENTS_HEADER);
        assert_eq!(portal_header(&["Id", "TimeGenerated"]), ["Id", "TimeGenerated [UTC]"]);
    }
}
