//! Elastic Common Schema (8.x) JSON Lines: events as `event.kind: event`, findings as
//! `event.kind: alert`, ready for the `_bulk` API or Filebeat's filestream input.
//!
//! `user.*` is always the account the event is about (an admin or app that acted on it is under
//! `lockscope.actor` and in `related.user`); what ECS has no field for is under `lockscope.*`.

use std::io::{self, Write};

use lockscope::event::{Event, Kind, Outcome};
use lockscope::{Case, Finding, Position, RuleId};
use serde_json::{Value, json};

use super::{
    VERSION, account, caption, event_severity, events_with_users, finding_severity, is_ip, line, origin, outcome_of,
    prune, set,
};

/// The ECS version the exports follow.
pub const ECS_VERSION: &str = "8.11.0";

/// `event.category` and `event.type` for a kind of event.
fn categorise(k: Kind) -> (&'static str, &'static [&'static str]) {
    match k {
        Kind::SignIn | Kind::NonInteractiveSignIn | Kind::ServiceSignIn | Kind::Logon | Kind::ExplicitCredential => {
            ("authentication", &["start"])
        }
        Kind::KerberosTicket | Kind::KerberosPreauth | Kind::NtlmValidation => ("authentication", &["info"]),
        Kind::UserCreated => ("iam", &["user", "creation"]),
        Kind::UserDeleted => ("iam", &["user", "deletion"]),
        Kind::PasswordChange
        | Kind::PasswordReset
        | Kind::AccountDisabled
        | Kind::AccountEnabled
        | Kind::AccountUnlocked
        | Kind::UserUpdated
        | Kind::TokenInvalidation
        | Kind::AuthMethodChanged
        | Kind::RiskRemediation
        | Kind::Lockout => ("iam", &["user", "change"]),
        Kind::ServicePrincipalCreated => ("iam", &["creation"]),
        Kind::Audit | Kind::RiskState => ("iam", &["info"]),
        Kind::RiskDetection => ("threat", &["indicator"]),
        Kind::TokenLeaked => ("intrusion_detection", &["info"]),
        Kind::AzureOperation => ("configuration", &["info"]),
        Kind::ServiceInstalled | Kind::TaskScheduled => ("configuration", &["creation"]),
    }
}

/// `event.outcome`: ECS knows only success, failure and unknown.
fn outcome(o: Outcome) -> Option<&'static str> {
    match o {
        Outcome::Success => Some("success"),
        Outcome::Failure => Some("failure"),
        Outcome::Interrupted => Some("unknown"),
        Outcome::Info => None,
    }
}

fn observer() -> Value {
    json!({"product": "lockscope", "vendor": "lockscope", "version": VERSION})
}

/// One event as an ECS document.
fn event(e: &Event, user: Option<&str>) -> Value {
    let (category, types) = categorise(e.kind);
    let (severity, _) = event_severity(e);
    let principal = e.user.as_ref();
    let name = account(e, user);
    let actor_name = e.actor.as_ref().and_then(|a| a.name.as_deref());
    let windows_id = e.detail.event_id.map(|id| id.to_string());
    let peer = e.source.as_deref();
    let v = json!({
        "@timestamp": e.time.to_string(),
        "ecs": {"version": ECS_VERSION},
        "message": e.reason,
        "event": {
            "kind": "event",
            "category": [category],
            "type": types,
            "outcome": outcome(outcome_of(e)),
            "action": e.kind,
            // A Windows event is known by its id (4625); other sources by their result code.
            "code": windows_id.as_deref().or(e.code.as_deref()),
            "reason": e.reason,
            "id": e.ids.record,
            "severity": severity,
            "module": "lockscope",
            "dataset": "lockscope.events",
        },
        "error": if e.outcome == Outcome::Failure { json!({"code": e.code}) } else { Value::Null },
        "user": {
            "name": name,
            "id": principal.and_then(|p| p.id.as_deref()),
            "full_name": principal.and_then(|p| p.display.as_deref()),
        },
        "source": {
            "ip": e.ip,
            "address": peer,
            "geo": e.location.as_ref().map(|l| json!({"country_iso_code": l.country, "city_name": l.city})),
        },
        "host": {"name": e.host},
        "process": {"executable": e.detail.process},
        "related": {
            "user": set([name, principal.and_then(|p| p.name.as_deref()), actor_name]),
            "ip": set([e.ip.as_deref(), peer.filter(|p| is_ip(p))]),
            "hosts": set([e.host.as_deref(), peer.filter(|p| !is_ip(p)), e.detail.workstation.as_deref()]),
        },
        "log": {
            "file": {"path": &*e.origin.file},
            "offset": match e.origin.pos { Position::Offset(n) => Some(n), _ => None },
        },
        "observer": observer(),
        "lockscope": {
            "kind": e.kind,
            "failure": e.failure,
            "principal": principal.and_then(|p| p.name.as_deref()),
            "actor": e.actor,
            "app": e.app,
            "resource": e.resource,
            "device": e.device,
            "ids": e.ids,
            "risk": e.risk,
            "activity": e.detail.activity,
            "logon_type": e.detail.logon_type,
            "workstation": e.detail.workstation,
            "origin": origin(&e.origin),
        },
    });
    prune(v)
}

/// `event.category` of a finding: authentication for causes seen in failed sign-ins, iam for the
/// rest (revocations, admin actions, leaks, compromise).
fn finding_category(rule: RuleId) -> &'static str {
    match rule {
        RuleId::PasswordSpray
        | RuleId::BruteForce
        | RuleId::StaleCredential
        | RuleId::UserError
        | RuleId::SmartLockout
        | RuleId::RiskBlock
        | RuleId::TokenRejected
        | RuleId::AccountDisabled
        | RuleId::PasswordExpired
        | RuleId::AccountLockout => "authentication",
        RuleId::ProviderMassRevocation
        | RuleId::LeakedCredentials
        | RuleId::CompromiseIndicators
        | RuleId::AdminAction
        | RuleId::TokenLeaked => "iam",
    }
}

/// One finding as an ECS alert.
fn finding(f: &Finding) -> Value {
    let (severity, _) = finding_severity(f);
    let v = json!({
        "@timestamp": f.window.end.to_string(),
        "ecs": {"version": ECS_VERSION},
        "message": f.summary,
        "event": {
            "kind": "alert",
            "category": [finding_category(f.rule)],
            "type": ["info"],
            "action": f.rule.as_str(),
            "id": f.id,
            "start": f.window.start.to_string(),
            "end": f.window.end.to_string(),
            "severity": severity,
            "risk_score": (f.confidence * 100.0).round(),
            "module": "lockscope",
            "dataset": "lockscope.findings",
        },
        "rule": {"id": f.rule.as_str(), "name": caption(f.rule), "ruleset": "lockscope", "description": f.summary},
        "user": {"name": if f.users.len() == 1 { f.users.first() } else { None }},
        "related": {
            "user": set(f.users.iter().map(|u| Some(u.as_str()))),
            "ip": set(f.sources.iter().map(|s| Some(s.as_str()).filter(|s| is_ip(s)))),
        },
        "observer": observer(),
        "lockscope": {"finding": {
            "id": f.id,
            "rule": f.rule,
            "users": f.users,
            "sources": f.sources,
            "confidence": f.confidence,
            "compromise": f.compromise,
            "remedies": f.remedies,
            "evidence": f.evidence,
            "evidence_total": f.evidence_total,
        }},
    });
    prune(v)
}

/// `export/ecs/events.jsonl`.
pub(super) fn events(case: &Case, w: &mut dyn Write) -> io::Result<()> {
    events_with_users(case).try_for_each(|(e, user)| line(w, &event(e, user)))
}

/// `export/ecs/findings.jsonl`.
pub(super) fn findings(case: &Case, w: &mut dyn Write) -> io::Result<()> {
    case.findings.iter().try_for_each(|f| line(w, &finding(f)))
}
