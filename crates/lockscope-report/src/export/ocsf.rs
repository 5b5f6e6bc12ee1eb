//! OCSF 1.3 JSON Lines: events as Authentication (3002) or Account Change (3001), the rest as
//! Base Event (0); findings as Detection Finding (2004).
//!
//! Field names are the schema's own (`class_uid`, `activity_id`, `type_uid` = `class_uid` × 100 +
//! `activity_id`, `time` in epoch milliseconds, `user`, `src_endpoint`, `dst_endpoint`,
//! `finding_info`, `evidences`, …). What OCSF has no attribute for goes under
//! `unmapped.lockscope`, always with the record's origin.

use std::io::{self, Write};

use lockscope::event::{ActorKind, Event, Kind, Outcome};
use lockscope::{Case, Finding};
use serde_json::{Value, json};

use super::{
    VERSION, account, caption, event_severity, events_with_users, finding_severity, is_ip, line, millis, origin,
    outcome_of, prune,
};

/// The OCSF schema version the exports follow.
pub const OCSF_VERSION: &str = "1.3.0";

/// Where an event lands in OCSF: class, category and activity.
struct Class {
    class_uid: u32,
    class_name: &'static str,
    category_uid: u32,
    category_name: &'static str,
    activity_id: u32,
    activity_name: &'static str,
}

const AUTHENTICATION: (u32, &str) = (3002, "Authentication");
const ACCOUNT_CHANGE: (u32, &str) = (3001, "Account Change");
const IAM: (u32, &str) = (3, "Identity & Access Management");

fn class(e: &Event) -> Class {
    let iam = |(class_uid, class_name): (u32, &'static str), activity_id, activity_name| Class {
        class_uid,
        class_name,
        category_uid: IAM.0,
        category_name: IAM.1,
        activity_id,
        activity_name,
    };
    match e.kind {
        Kind::SignIn | Kind::NonInteractiveSignIn | Kind::ServiceSignIn | Kind::Logon | Kind::ExplicitCredential => {
            iam(AUTHENTICATION, 1, "Logon")
        }
        // 4776: the DC validated an NTLM credential on behalf of a logon.
        Kind::NtlmValidation => iam(AUTHENTICATION, 1, "Logon"),
        Kind::KerberosTicket => iam(AUTHENTICATION, 3, "Authentication Ticket"),
        Kind::KerberosPreauth => iam(AUTHENTICATION, 6, "Preauth"),
        Kind::UserCreated => iam(ACCOUNT_CHANGE, 1, "Create"),
        Kind::AccountEnabled => iam(ACCOUNT_CHANGE, 2, "Enable"),
        Kind::PasswordChange => iam(ACCOUNT_CHANGE, 3, "Password Change"),
        Kind::PasswordReset => iam(ACCOUNT_CHANGE, 4, "Password Reset"),
        Kind::AccountDisabled => iam(ACCOUNT_CHANGE, 5, "Disable"),
        Kind::UserDeleted => iam(ACCOUNT_CHANGE, 6, "Delete"),
        Kind::Lockout => iam(ACCOUNT_CHANGE, 9, "Lock"),
        // OCSF 1.3 has no Unlock, token revocation or update activity: 99 (Other) with a name.
        Kind::AccountUnlocked => iam(ACCOUNT_CHANGE, 99, "Unlock"),
        Kind::TokenInvalidation => iam(ACCOUNT_CHANGE, 99, "Token Invalidation"),
        Kind::UserUpdated => iam(ACCOUNT_CHANGE, 99, "Update"),
        Kind::AuthMethodChanged => iam(ACCOUNT_CHANGE, 99, "Authentication Method Change"),
        Kind::RiskRemediation => iam(ACCOUNT_CHANGE, 99, "Risk Remediation"),
        Kind::ServicePrincipalCreated
        | Kind::Audit
        | Kind::RiskDetection
        | Kind::RiskState
        | Kind::AzureOperation
        | Kind::ServiceInstalled
        | Kind::TaskScheduled
        | Kind::TokenLeaked => Class {
            class_uid: 0,
            class_name: "Base Event",
            category_uid: 0,
            category_name: "Uncategorized",
            activity_id: 99,
            activity_name: e.kind.as_str(),
        },
    }
}

/// `status_id` and `status`.
fn status(o: Outcome) -> (u32, &'static str) {
    match o {
        Outcome::Success => (1, "Success"),
        Outcome::Failure => (2, "Failure"),
        Outcome::Interrupted => (99, "Interrupted"),
        Outcome::Info => (0, "Unknown"),
    }
}

/// `auth_protocol_id` and `auth_protocol`, when the event says which protocol.
fn auth_protocol(k: Kind) -> Option<(u32, &'static str)> {
    match k {
        Kind::NtlmValidation => Some((1, "NTLM")),
        Kind::KerberosTicket | Kind::KerberosPreauth => Some((2, "Kerberos")),
        _ => None,
    }
}

/// `logon_type_id` and `logon_type` from a Windows logon type (OCSF uses the same numbers).
fn logon_type(t: u32) -> (u32, &'static str) {
    match t {
        0 => (0, "System"),
        2 => (2, "Interactive"),
        3 => (3, "Network"),
        4 => (4, "Batch"),
        5 => (5, "OS Service"),
        7 => (7, "Unlock"),
        8 => (8, "Network Cleartext"),
        9 => (9, "New Credentials"),
        10 => (10, "Remote Interactive"),
        11 => (11, "Cached Interactive"),
        12 => (12, "Cached Remote Interactive"),
        13 => (13, "Cached Unlock"),
        _ => (99, "Other"),
    }
}

fn metadata(e: Option<&Event>) -> Value {
    json!({
        "version": OCSF_VERSION,
        "product": {"name": "lockscope", "vendor_name": "lockscope", "version": VERSION},
        "uid": e.and_then(|e| e.ids.record.as_deref()),
        "correlation_uid": e.and_then(|e| e.ids.correlation.as_deref()),
        "event_code": e.and_then(|e| e.detail.event_id).map(|id| id.to_string()),
        "log_name": e.map(|e| &*e.origin.file),
    })
}

/// One event as an OCSF object.
fn event(e: &Event, user: Option<&str>) -> Value {
    let c = class(e);
    let (status_id, status_name) = status(outcome_of(e));
    let (severity_id, severity) = event_severity(e);
    let principal = e.user.as_ref();
    let name = account(e, user);
    let base = c.class_uid == 0;
    let actor = e.actor.as_ref().map(|a| match a.kind {
        ActorKind::User => json!({"user": {"name": a.name, "uid": a.id, "type_id": 1, "type": "User"}}),
        ActorKind::App | ActorKind::System => json!({"app_name": a.name, "app_uid": a.id}),
    });
    let peer_host = e.source.as_deref().filter(|s| Some(*s) != e.ip.as_deref() && !is_ip(s));
    let src_endpoint = json!({
        "ip": e.ip,
        "hostname": peer_host.or(e.detail.workstation.as_deref()),
        "name": e.device.as_ref().and_then(|d| d.name.as_deref()),
        "uid": e.device.as_ref().and_then(|d| d.id.as_deref()),
        "location": e.location.as_ref().map(|l| json!({"country": l.country, "city": l.city})),
    });
    let mut v = json!({
        "class_uid": c.class_uid,
        "class_name": c.class_name,
        "category_uid": c.category_uid,
        "category_name": c.category_name,
        "activity_id": c.activity_id,
        "activity_name": c.activity_name,
        "type_uid": c.class_uid * 100 + c.activity_id,
        "type_name": format!("{}: {}", c.class_name, c.activity_name),
        "time": millis(e.time),
        "severity_id": severity_id,
        "severity": severity,
        "status_id": status_id,
        "status": status_name,
        "status_code": e.code,
        "status_detail": e.reason,
        "message": e.reason,
        "metadata": metadata(Some(e)),
    });
    if base {
        // Base Event has no user or endpoint attributes: the names are observables.
        let mut observables = Vec::new();
        if let Some(n) = name {
            observables.push(json!({"name": "unmapped.lockscope.user", "type_id": 4, "type": "User Name", "value": n}));
        }
        if let Some(ip) = &e.ip {
            observables.push(json!({"name": "unmapped.lockscope.ip", "type_id": 2, "type": "IP Address", "value": ip}));
        }
        v["observables"] = json!(observables);
    } else {
        v["user"] = json!({
            "name": name,
            "uid": principal.and_then(|p| p.id.as_deref()),
            "full_name": principal.and_then(|p| p.display.as_deref()),
        });
        v["actor"] = json!(actor);
        v["src_endpoint"] = src_endpoint;
        v["dst_endpoint"] = json!({"hostname": e.host});
        v["session"] = json!({"uid": e.ids.session});
        if c.class_uid == AUTHENTICATION.0 {
            v["service"] = json!({
                "name": e.app.as_ref().and_then(|a| a.name.as_deref()),
                "uid": e.app.as_ref().and_then(|a| a.id.as_deref()),
            });
            if let Some((id, name)) = auth_protocol(e.kind) {
                v["auth_protocol_id"] = json!(id);
                v["auth_protocol"] = json!(name);
            }
            if let Some(t) = e.detail.logon_type {
                let (id, name) = logon_type(t);
                v["logon_type_id"] = json!(id);
                v["logon_type"] = json!(name);
            }
            match e.detail.auth_requirement.as_deref() {
                Some("multiFactorAuthentication") => v["is_mfa"] = json!(true),
                Some("singleFactorAuthentication") => v["is_mfa"] = json!(false),
                _ => {}
            }
        }
    }
    v["unmapped"] = json!({"lockscope": {
        "kind": e.kind,
        "failure": e.failure,
        "principal": principal.and_then(|p| p.name.as_deref()),
        "user": if base { name } else { None },
        "host": if base { e.host.as_deref() } else { None },
        "source": if base { e.source.as_deref() } else { None },
        "ip": if base { e.ip.as_deref() } else { None },
        "actor": if base { e.actor.as_ref() } else { None },
        "app": if base { e.app.as_ref() } else { None },
        "activity": e.detail.activity,
        "resource": e.resource,
        "request_id": e.ids.request,
        "risk": e.risk,
        "origin": origin(&e.origin),
    }});
    prune(v)
}

/// `confidence_id` and `confidence` from a 0–1 confidence.
fn confidence(c: f64) -> (u32, &'static str) {
    if c >= 0.8 {
        (3, "High")
    } else if c >= 0.5 {
        (2, "Medium")
    } else {
        (1, "Low")
    }
}

/// One finding as an OCSF Detection Finding.
fn finding(f: &Finding) -> Value {
    let (severity_id, severity) = finding_severity(f);
    let (confidence_id, confidence_name) = confidence(f.confidence);
    let (start, end) = (millis(f.window.start), millis(f.window.end));
    let mut observables: Vec<Value> = f
        .users
        .iter()
        .map(|u| json!({"name": "resources.name", "type_id": 4, "type": "User Name", "value": u}))
        .collect();
    observables.extend(
        f.sources
            .iter()
            .filter(|s| is_ip(s))
            .map(|s| json!({"name": "unmapped.lockscope.sources", "type_id": 2, "type": "IP Address", "value": s})),
    );
    let evidences: Vec<Value> = f.evidence.iter().map(|e| json!({"data": e})).collect();
    let remedies: Vec<&str> = f.remedies.iter().map(|a| a.as_str()).collect();
    let v = json!({
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "category_uid": 2,
        "category_name": "Findings",
        "activity_id": 1,
        "activity_name": "Create",
        "type_uid": 200401,
        "type_name": "Detection Finding: Create",
        // The finding is dated by its last supporting record, so the same logs give the same bytes.
        "time": end,
        "start_time": start,
        "end_time": end,
        "severity_id": severity_id,
        "severity": severity,
        "status_id": 1,
        "status": "New",
        "is_alert": true,
        "confidence_id": confidence_id,
        "confidence": confidence_name,
        "confidence_score": (f.confidence * 100.0).round() as i64,
        "message": f.summary,
        "finding_info": {
            "uid": f.id,
            "title": caption(f.rule),
            "desc": f.summary,
            "types": [f.rule.as_str()],
            "first_seen_time": start,
            "last_seen_time": end,
            "analytic": {"uid": f.rule.as_str(), "name": f.rule.as_str(), "type_id": 1, "type": "Rule"},
        },
        "resources": f.users.iter().map(|u| json!({"type": "User", "name": u})).collect::<Vec<_>>(),
        "evidences": evidences,
        "observables": observables,
        "remediation": if remedies.is_empty() { Value::Null } else { json!({"desc": remedies.join(", ")}) },
        "metadata": metadata(None),
        "unmapped": {"lockscope": {
            "rule": f.rule,
            "users": f.users,
            "sources": f.sources,
            "compromise": f.compromise,
            "remedies": remedies,
            "evidence_total": f.evidence_total,
        }},
    });
    prune(v)
}

/// `export/ocsf/events.jsonl`.
pub(super) fn events(case: &Case, w: &mut dyn Write) -> io::Result<()> {
    events_with_users(case).try_for_each(|(e, user)| line(w, &event(e, user)))
}

/// `export/ocsf/findings.jsonl`.
pub(super) fn findings(case: &Case, w: &mut dyn Write) -> io::Result<()> {
    case.findings.iter().try_for_each(|f| line(w, &finding(f)))
}
