//! Identity Protection records: Graph `riskDetection` objects (`riskDetections.json`),
//! `AADRiskyUsers` snapshot rows and `riskyUser` objects. The layout modules write the other
//! shapes from these.

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
pub(crate) struct RiskDetection<'a> {
    pub(crate) id: Hex64,
    pub(crate) request_id: Option<Guid>,
    pub(crate) correlation_id: Option<Guid>,
    pub(crate) risk_event_type: &'static str,
    pub(crate) risk_state: &'static str,
    pub(crate) risk_level: &'static str,
    pub(crate) risk_detail: &'static str,
    pub(crate) source: &'static str,
    pub(crate) detection_timing_type: &'static str,
    pub(crate) activity: &'static str,
    pub(crate) token_issuer_type: &'static str,
    pub(crate) ip_address: Option<Ip>,
    pub(crate) location: Option<Location>,
    pub(crate) activity_date_time: Ts,
    pub(crate) detected_date_time: Ts,
    pub(crate) last_updated_date_time: Ts,
    pub(crate) user_id: Guid,
    pub(crate) user_display_name: &'a str,
    pub(crate) user_principal_name: &'a str,
    pub(crate) additional_info: String,
}

pub(crate) fn render<'a>(tenant: &'a Tenant, d: &Detection) -> RiskDetection<'a> {
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
pub(crate) fn write_detections(
    path: PathBuf,
    tenant: &Tenant,
    detections: &[Detection],
    gzip: bool,
) -> Result<FileStat, SimError> {
    let mut out = JsonArray::create_with(path, DETECTIONS_PREFIX, gzip)?;
    for d in detections {
        out.push(&render(tenant, d))?;
    }
    out.finish()
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RiskyUserRow<'a> {
    pub(crate) tenant_id: Guid,
    pub(crate) source_system: &'static str,
    pub(crate) time_generated: Ts,
    pub(crate) id: Guid,
    pub(crate) correlation_id: Guid,
    pub(crate) is_deleted: bool,
    pub(crate) is_processing: bool,
    pub(crate) operation_name: &'static str,
    pub(crate) risk_detail: &'static str,
    pub(crate) risk_last_updated_date_time: Ts,
    pub(crate) risk_level: &'static str,
    pub(crate) risk_state: &'static str,
    pub(crate) user_display_name: &'a str,
    pub(crate) user_principal_name: &'a str,
    #[serde(rename = "Type")]
    pub(crate) kind: &'static str,
}

/// The `AADRiskyUsers` row of a snapshot.
pub(crate) fn snapshot_row<'a>(tenant: &'a Tenant, s: &Snapshot) -> RiskyUserRow<'a> {
    let user = tenant.user(s.user);
    RiskyUserRow {
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
    }
}

/// A snapshot as a Graph `riskyUser` object (formats.md §4.2), or, with `is_guest`, as the
/// `properties` of a diagnostic `RiskyUsers` envelope (§4.3).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RiskyUser<'a> {
    pub(crate) id: Guid,
    pub(crate) user_display_name: &'a str,
    pub(crate) user_principal_name: &'a str,
    pub(crate) risk_last_updated_date_time: Ts,
    pub(crate) risk_state: &'static str,
    pub(crate) risk_detail: &'static str,
    pub(crate) risk_level: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) is_guest: Option<bool>,
    pub(crate) is_deleted: bool,
    pub(crate) is_processing: bool,
}

/// The `riskyUser` object of a snapshot. Graph stores the UPN lowercase; the diagnostic
/// pipeline, like Log Analytics, keeps it as typed and adds `isGuest`.
pub(crate) fn risky_user<'a>(tenant: &'a Tenant, s: &Snapshot, diagnostic: bool) -> RiskyUser<'a> {
    let user = tenant.user(s.user);
    RiskyUser {
        id: user.oid,
        user_display_name: &user.display,
        user_principal_name: if diagnostic { user.upn_logged() } else { &user.upn },
        risk_last_updated_date_time: Ts(s.updated, if diagnostic { Style::Millis } else { Style::Ticks }),
        risk_state: s.state,
        risk_detail: s.detail,
        risk_level: s.level,
        is_guest: diagnostic.then_some(false),
        is_deleted: false,
        is_processing: s.processing,
    }
}

const RISKY_USERS_PREFIX: &str =
    "{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#identityProtection/riskyUsers\",\"value\":";

/// Writes every snapshot, oldest first, as Graph `riskyUser` objects in one list response: the
/// state of each user every time it changed, as a poller of `GET riskyUsers` collects it (the
/// API itself only returns the current state, which would drop records other layouts keep).
pub(crate) fn write_risky_users_graph(
    path: PathBuf,
    tenant: &Tenant,
    snapshots: &[Snapshot],
    gzip: bool,
) -> Result<FileStat, SimError> {
    let mut out = JsonArray::create_with(path, RISKY_USERS_PREFIX, gzip)?;
    for s in snapshots {
        out.push(&risky_user(tenant, s, false))?;
    }
    out.finish()
}
