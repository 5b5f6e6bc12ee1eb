//! Audit rows as diagnostic-settings envelopes (`audit/PT1H.json`, JSON Lines) around Graph
//! `directoryAudit` objects (formats.md §3.2–3.5).

use crate::SimError;
use crate::clock::{SECOND, Style, Tick, Ts};
use crate::ids::{Domain, Guid, Ip};
use crate::plan::{At, Audit, AuditKind, Initiator};
use crate::tenant::Tenant;
use crate::writer::{FileStat, Output};
use serde::Serialize;
use std::path::PathBuf;

const JIT: &str = "Microsoft Azure AD Internal - Jit Provisioning";
const PORTAL_AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Envelope<'a> {
    pub(crate) time: Ts,
    pub(crate) resource_id: &'a str,
    pub(crate) operation_name: &'static str,
    pub(crate) operation_version: &'static str,
    pub(crate) category: &'static str,
    pub(crate) tenant_id: Guid,
    pub(crate) result_signature: &'static str,
    pub(crate) duration_ms: u32,
    pub(crate) caller_ip_address: String,
    pub(crate) correlation_id: Guid,
    pub(crate) identity: &'a str,
    pub(crate) level: &'static str,
    pub(crate) properties: DirectoryAudit<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DirectoryAudit<'a> {
    pub(crate) id: String,
    pub(crate) category: &'static str,
    pub(crate) correlation_id: Guid,
    pub(crate) result: &'static str,
    pub(crate) result_reason: &'static str,
    pub(crate) activity_display_name: &'static str,
    pub(crate) activity_date_time: Ts,
    pub(crate) logged_by_service: &'static str,
    pub(crate) operation_type: &'static str,
    pub(crate) initiated_by: InitiatedBy<'a>,
    pub(crate) target_resources: Vec<Target<'a>>,
    pub(crate) additional_details: Vec<Detail>,
}

#[derive(Serialize)]
pub(crate) struct InitiatedBy<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) user: Option<UserIdentity<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) app: Option<AppIdentity<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserIdentity<'a> {
    pub(crate) id: Guid,
    pub(crate) display_name: Option<&'a str>,
    pub(crate) user_principal_name: &'a str,
    pub(crate) ip_address: Ip,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AppIdentity<'a> {
    pub(crate) app_id: Option<&'a str>,
    pub(crate) display_name: &'a str,
    pub(crate) service_principal_id: Guid,
    pub(crate) service_principal_name: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Target<'a> {
    pub(crate) id: Guid,
    pub(crate) display_name: Option<&'a str>,
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) user_principal_name: Option<&'a str>,
    pub(crate) modified_properties: Vec<Modified>,
}

/// A changed property; values are JSON text inside the JSON string (formats.md §3.4).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Modified {
    pub(crate) display_name: &'static str,
    pub(crate) old_value: Option<String>,
    pub(crate) new_value: Option<String>,
}

fn changed(name: &'static str, old: Option<String>, new: String) -> Modified {
    Modified { display_name: name, old_value: old, new_value: Some(new) }
}

/// `["2025-04-19T05:01:07Z"]`: a one-element JSON array of a timestamp.
fn instant(t: Tick) -> String {
    format!("[\"{}\"]", Ts(t, Style::Seconds))
}

fn included(names: &str) -> Modified {
    changed("Included Updated Properties", None, format!("\"{names}\""))
}

#[derive(Serialize)]
pub(crate) struct Detail {
    pub(crate) key: &'static str,
    pub(crate) value: String,
}

const ATTRIBUTES: [(&str, [&str; 4]); 4] = [
    ("Department", ["Sales", "Marketing", "Finance", "Engineering"]),
    ("JobTitle", ["Analyst", "Account Manager", "Engineer", "Team Lead"]),
    ("OfficeLocation", ["Building 1", "Building 4", "Remote", "Building 7"]),
    ("MobilePhone", ["+1 425 555 0100", "+1 425 555 0142", "+44 20 7946 0018", "+49 30 901820"]),
];

const GROUPS: [&str; 4] = ["Sales Team", "All Staff", "Project Falcon", "VPN Users"];

pub(crate) fn render<'a>(tenant: &'a Tenant, a: &Audit) -> Envelope<'a> {
    let keys = &tenant.keys;
    let corr = keys.guid(Domain::Audit, a.corr);
    let provider = tenant.provider.as_ref();
    let (initiated_by, identity, caller): (InitiatedBy<'a>, &'a str, String) = match a.by {
        Initiator::Jit => (InitiatedBy { user: None, app: None }, JIT, "<null>".into()),
        Initiator::Provider => {
            let (app_id, name, sp) = provider.map_or((None, "", Guid([0; 16])), |p| (p.app_id, p.name, p.sp_id));
            let app =
                AppIdentity { app_id, display_name: name, service_principal_id: sp, service_principal_name: None };
            (InitiatedBy { user: None, app: Some(app) }, name, "<null>".into())
        }
        Initiator::User { user, at } => {
            let u = tenant.user(user);
            let ip = match at {
                At::Own(_) => Ip(u.ip),
                At::Foreign(i) => Ip(tenant.foreign(i).ip),
            };
            let who =
                UserIdentity { id: u.oid, display_name: None, user_principal_name: u.upn_logged(), ip_address: ip };
            (InitiatedBy { user: Some(who), app: None }, &u.display, ip.to_string())
        }
    };
    let by_admin = matches!(a.by, Initiator::User { .. });
    let user_target = |user: u32, props: Vec<Modified>| {
        let u = tenant.user(user);
        Target {
            id: u.oid,
            display_name: None,
            kind: "User",
            user_principal_name: Some(u.upn_logged()),
            modified_properties: props,
        }
    };
    let user_details = |agent: bool| {
        let mut d = vec![Detail { key: "UserType", value: "Member".into() }];
        if agent {
            d.push(Detail { key: "User-Agent", value: PORTAL_AGENT.into() });
        }
        d
    };
    let member = || changed("TargetId.UserType", None, "\"Member\"".into());
    let new_from = instant(a.t.div_euclid(SECOND) * SECOND);
    let (activity, category, service, op, reason, targets, details) = match a.kind {
        AuditKind::AddProviderSp => {
            let (app_id, name, sp) = provider.map_or(("", "", Guid([0; 16])), |p| (p.sp_app_id, p.name, p.sp_id));
            let props = vec![
                changed("AccountEnabled", Some("[]".into()), "[true]".into()),
                changed("AppPrincipalId", Some("[]".into()), format!("[\"{app_id}\"]")),
                changed("DisplayName", Some("[]".into()), format!("[\"{name}\"]")),
                changed("ServicePrincipalName", Some("[]".into()), format!("[\"{app_id}\"]")),
                included("AccountEnabled, AppPrincipalId, DisplayName, ServicePrincipalName"),
            ];
            let target = Target {
                id: sp,
                display_name: Some(name),
                kind: "ServicePrincipal",
                user_principal_name: None,
                modified_properties: props,
            };
            let details = vec![Detail { key: "AppId", value: app_id.into() }];
            ("Add service principal", "ApplicationManagement", "Core Directory", "Add", "", vec![target], details)
        }
        AuditKind::TokenBump { user, old } => {
            let props = vec![changed("StsRefreshTokensValidFrom", Some(instant(old)), new_from)];
            let t = user_target(user, props);
            (
                "Update StsRefreshTokenValidFrom Timestamp",
                "UserManagement",
                "Core Directory",
                "Update",
                "",
                vec![t],
                Vec::new(),
            )
        }
        AuditKind::UpdateUserTokens { user, old } => {
            let props = vec![
                changed("StsRefreshTokensValidFrom", Some(instant(old)), new_from),
                included("StsRefreshTokensValidFrom"),
                member(),
            ];
            let t = user_target(user, props);
            ("Update user", "UserManagement", "Core Directory", "Update", "", vec![t], user_details(by_admin))
        }
        AuditKind::ChangePassword { user } => {
            let t = user_target(user, Vec::new());
            ("Change user password", "UserManagement", "Core Directory", "Update", "", vec![t], Vec::new())
        }
        AuditKind::DisableAccount { user } => {
            let t = user_target(user, Vec::new());
            ("Disable account", "UserManagement", "Core Directory", "Update", "", vec![t], Vec::new())
        }
        AuditKind::UpdateUserDisabled { user } => {
            let props = vec![
                changed("AccountEnabled", Some("[true]".into()), "[false]".into()),
                included("AccountEnabled"),
                member(),
            ];
            let t = user_target(user, props);
            ("Update user", "UserManagement", "Core Directory", "Update", "", vec![t], user_details(true))
        }
        AuditKind::SecurityInfo { user } => {
            let mut t = user_target(user, Vec::new());
            t.display_name = Some(&tenant.user(user).display);
            (
                "User registered security info",
                "UserManagement",
                "Authentication Methods",
                "Add",
                "User registered Authenticator App with Notification and Code",
                vec![t],
                Vec::new(),
            )
        }
        AuditKind::UpdateUserAttribute { user, attr } => {
            let (name, values) = ATTRIBUTES[usize::from(attr) % ATTRIBUTES.len()];
            let k = keys.noise(a.key, 7) as usize;
            let old = values[k % 4];
            let new = values[(k + 1 + k / 4 % 3) % 4];
            let props =
                vec![changed(name, Some(format!("[\"{old}\"]")), format!("[\"{new}\"]")), included(name), member()];
            let t = user_target(user, props);
            ("Update user", "UserManagement", "Core Directory", "Update", "", vec![t], user_details(true))
        }
        AuditKind::AddGroupMember { user, group } => {
            let gname = GROUPS[usize::from(group) % GROUPS.len()];
            let gid = tenant.object_id(0x6000 + u64::from(group));
            let props = vec![
                changed("Group.ObjectID", None, format!("\"{gid}\"")),
                changed("Group.DisplayName", None, format!("\"{gname}\"")),
            ];
            let t = user_target(user, props);
            let g = Target {
                id: gid,
                display_name: Some(gname),
                kind: "Group",
                user_principal_name: None,
                modified_properties: Vec::new(),
            };
            ("Add member to group", "GroupManagement", "Core Directory", "Assign", "", vec![t, g], Vec::new())
        }
    };
    let prefix = if service == "Authentication Methods" { "AuthenticationMethods" } else { "Directory" };
    const TAG: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut h = keys.noise(a.key, 8);
    let mut tag = String::with_capacity(5);
    for _ in 0..5 {
        tag.push(char::from(TAG[(h % 32) as usize]));
        h /= 32;
    }
    Envelope {
        time: Ts(a.t, Style::Ticks),
        resource_id: &tenant.resource_path,
        operation_name: activity,
        operation_version: "1.0",
        category: "AuditLogs",
        tenant_id: tenant.id,
        result_signature: "None",
        duration_ms: 0,
        caller_ip_address: caller,
        correlation_id: corr,
        identity,
        level: "Informational",
        properties: DirectoryAudit {
            id: format!("{prefix}_{corr}_{tag}_{:08}", h % 100_000_000),
            category,
            correlation_id: corr,
            result: "success",
            result_reason: reason,
            activity_display_name: activity,
            activity_date_time: Ts(a.t, Style::TicksOffset),
            logged_by_service: service,
            operation_type: op,
            initiated_by,
            target_resources: targets,
            additional_details: details,
        },
    }
}

/// Writes every audit row, oldest first, as JSON Lines.
pub(crate) fn write(path: PathBuf, tenant: &Tenant, audits: &[Audit], gzip: bool) -> Result<FileStat, SimError> {
    let mut out = Output::create_with(path, gzip)?;
    for a in audits {
        out.line(&render(tenant, a))?;
    }
    out.finish()
}
