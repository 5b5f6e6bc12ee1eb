//! Identity Protection output: Graph `riskDetection` objects (`riskDetections.json`) and
//! `AADRiskyUsers` snapshot rows (`AADRiskyUsers.json`, a Log Analytics JSON export).

use crate::SimError;
use crate::clock::{Style, Ts};
use crate::ids::{Domain, Guid, Hex64, Ip};
use crate::plan::{At, Detection, Snapshot};
use crate::signin::Location;
use crate::tenant::Tenant;
use crate::writer::{FileStat, JsonArray};
use serde::Serialize;
use std::path::PathBuf;

const DETECTIONS_PREFIX: &str =
    "{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#identityProtection/riskDetections\",\"value\":";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RiskDetection<'a> {
    id: Hex64,
    request_id: Option<Guid>,
    correlation_id: Option<Guid>,
    risk_event_type: &'static str,
    risk_state: &'static str,
    risk_level: &'static str,
    risk_detail: &'static str,
    source: &'static str,
    detection_timing_type: &'static str,
    activity: &'static str,
    token_issuer_type: &'static str,
    ip_address: Option<Ip>,
    location: Option<Location>,
    activity_date_time: Ts,
    detected_date_time: Ts,
    last_updated_date_time: Ts,
    user_id: Guid,
    user_display_name: &'a str,
    user_principal_name: &'a str,
    additional_info: String,
}

fn render<'a>(tenant: &'a Tenant, d: &Detection) -> RiskDetection<'a> {
    let keys = &tenant.keys;
    let user = tenant.user(d.user);
    let (ip, location) = match d.at {
        Some(At::Foreign(i)) => {
            let f = tenant.foreign(i);
            (Some(Ip(f.ip)), Some(crate::signin::location_of(f.place())))
        }
        Some(At::Own(_)) => (Some(Ip(user.ip)), Some(crate::signin::location_of(user.home()))),
        None => (None, None),
    };
    let agent = match d.at {
        Some(At::Foreign(i)) => tenant.foreign(i).user_agent,
        _ => "",
    };
    let additional_info = match d.kind {
        crate::plan::RiskKind::LeakedCredentials => "[{\"Key\":\"alertUrl\",\"Value\":null}]".to_string(),
        crate::plan::RiskKind::PasswordSpray => {
            "[{\"Key\":\"userAgent\",\"Value\":\"BAV2ROPC\"},{\"Key\":\"alertUrl\",\"Value\":null}]".to_string()
        }
        _ => format!(
            "[{{\"Key\":\"userAgent\",\"Value\":\"{agent}\"}},{{\"Key\":\"alertUrl\",\"Value\":null}},{{\"Key\":\"riskReasons\",\"Value\":[\"UnfamiliarASN\",\"UnfamiliarBrowser\",\"UnfamiliarDevice\",\"UnfamiliarIP\",\"UnfamiliarLocation\"]}}]"
        ),
    };
    let signin = d.signin;
    // Identity Protection touches a detection again within a minute or so.
    let updated_after = (keys.noise(d.key, 3) % 90) as i64 * crate::clock::SECOND;
    RiskDetection {
        id: keys.hex64(d.key),
        request_id: signin.map(|(k, _)| keys.guid(Domain::Request, k)),
        correlation_id: signin.map(|(_, c)| keys.guid(Domain::Correlation, c)),
        risk_event_type: d.kind.as_str(),
        risk_state: "atRisk",
        risk_level: d.level,
        risk_detail: "none",
        source: "IdentityProtection",
        detection_timing_type: if d.kind.realtime() { "realtime" } else { "offline" },
        activity: if signin.is_some() { "signin" } else { "user" },
        token_issuer_type: "AzureAD",
        ip_address: ip,
        location,
        activity_date_time: Ts(d.activity, Style::Millis),
        detected_date_time: Ts(d.detected, Style::Millis),
        last_updated_date_time: Ts(d.detected + updated_after, Style::Millis),
        user_id: user.oid,
        user_display_name: &user.display,
        user_principal_name: &user.upn,
        additional_info,
    }
}

/// Writes the detections, in detection order, as one Graph list response.
pub(crate) fn write_detections(path: PathBuf, tenant: &Tenant, detections: &[Detection]) -> Result<FileStat, SimError> {
    let mut out = JsonArray::create(path, DETECTIONS_PREFIX)?;
    for d in detections {
        out.push(&render(tenant, d))?;
    }
    out.finish()
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RiskyUserRow<'a> {
    tenant_id: Guid,
    source_system: &'static str,
    time_generated: Ts,
    id: Guid,
    correlation_id: Guid,
    is_deleted: bool,
    is_processing: bool,
    operation_name: &'static str,
    risk_detail: &'static str,
    risk_last_updated_date_time: Ts,
    risk_level: &'static str,
    risk_state: &'static str,
    user_display_name: &'a str,
    user_principal_name: &'a str,
    #[serde(rename = "Type")]
    kind: &'static str,
}

/// Writes the risky-user snapshots, oldest first, as a Log Analytics JSON export.
pub(crate) fn write_snapshots(path: PathBuf, tenant: &Tenant, snapshots: &[Snapshot]) -> Result<FileStat, SimError> {
    let mut out = JsonArray::create(path, "")?;
    for s in snapshots {
        let user = tenant.user(s.user);
        out.push(&RiskyUserRow {
            tenant_id: tenant.id,
            source_system: "Azure AD",
            time_generated: Ts(s.t, Style::MillisTrim),
            id: user.oid,
            correlation_id: user.oid,
            is_deleted: false,
            is_processing: s.processing,
            operation_name: "Risky user",
            risk_detail: s.detail,
            risk_last_updated_date_time: Ts(s.updated, Style::Ticks),
            risk_level: s.level,
            risk_state: s.state,
            user_display_name: &user.display,
            user_principal_name: user.upn_logged(),
            kind: "AADRiskyUsers",
        })?;
    }
    out.finish()
}
