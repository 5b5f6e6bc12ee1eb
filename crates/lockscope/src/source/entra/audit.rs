//! Entra directory audits: Graph `directoryAudit`, the diagnostic-settings envelope (`AuditLogs`
//! category) and Log Analytics `AuditLogs` rows (`reference/formats.md` §3).
//!
//! The three shapes carry the same fields under different case and nesting; Log Analytics puts
//! `InitiatedBy`, `TargetResources` and `AdditionalDetails` in JSON text. [`Rec`] absorbs those
//! differences, so this parser reads the Graph names only.

use std::borrow::Cow;

use jiff::Timestamp;
use serde_json::Value;

use super::common::{self, principal};
use super::{Parsed, Reason, audit_kind};
use crate::event::{Actor, ActorKind, Kind, Origin, Outcome, Principal};
use crate::source::field::{Rec, decode_nested};

/// The modified property whose new value is the refresh-token cut-off (plural `Tokens`, unlike
/// the activity name).
const VALID_FROM_PROPERTY: &str = "StsRefreshTokensValidFrom";

/// Parses one directory audit record. `envelope` is the diagnostic envelope when `rec` is its
/// `properties` (it adds `operationName`, `identity` and `time`).
pub fn parse(rec: Rec<'_>, envelope: Option<Rec<'_>>, origin: Origin) -> Result<Parsed, Reason> {
    let time = time(rec, envelope).ok_or("audit record has no readable activityDateTime, TimeGenerated or time")?;
    let activity = activity(rec, envelope);
    let kind = activity.as_deref().map_or(Kind::Audit, audit_kind::kind_of);
    let targets_value = rec.nested(&["targetResources"]);
    let targets = targets(targets_value.as_deref());
    let (actor, ip) = initiator(rec, envelope);

    let mut ev = common::event(time, kind, origin);
    ev.user = targets.iter().copied().find(|t| is_user(*t)).and_then(target_user);
    ev.actor = Some(actor);
    ev.ip = ip.or_else(|| envelope.and_then(|e| common::ip_of(e, &["callerIpAddress"])));
    ev.source.clone_from(&ev.ip);
    ev.outcome = outcome(rec.str(&["result"]).as_deref());
    ev.reason = rec.string(&["resultReason"]);
    ev.ids.record = rec.string(&["id"]);
    ev.ids.correlation = rec.lower(&["correlationId"]).or_else(|| envelope.and_then(|e| e.lower(&["correlationId"])));
    ev.detail.category = rec.string(&["category"]);
    ev.detail.target = targets.iter().copied().find(|t| !is_user(*t)).and_then(|t| t.string(&["displayName", "id"]));
    if kind == Kind::TokenInvalidation {
        ev.detail.valid_from = valid_from(&targets);
    }
    ev.risk = activity.as_deref().and_then(audit_kind::remediation);
    ev.detail.activity = activity;
    Ok(Parsed::Event(Box::new(ev)))
}

/// `activityDateTime`, then Log Analytics `TimeGenerated`, then the envelope's `time`.
fn time(rec: Rec<'_>, envelope: Option<Rec<'_>>) -> Option<Timestamp> {
    common::time_of(rec, &["activityDateTime", "TimeGenerated", "time"])
        .or_else(|| envelope.and_then(|e| common::time_of(e, &["time"])))
}

/// The activity name from the record, or the envelope's `operationName` (which repeats it).
fn activity(rec: Rec<'_>, envelope: Option<Rec<'_>>) -> Option<String> {
    let raw = rec
        .str(&["activityDisplayName", "operationName"])
        .or_else(|| envelope.and_then(|e| e.str(&["operationName"])))?;
    audit_kind::normalise_activity(&raw)
}

/// The target resources as records, whether an array, one object, or JSON text of either.
fn targets(value: Option<&Value>) -> Vec<Rec<'_>> {
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(Rec::new).collect(),
        Some(v @ Value::Object(_)) => Rec::new(v).into_iter().collect(),
        _ => Vec::new(),
    }
}

/// Whether a target is a user account.
fn is_user(target: Rec<'_>) -> bool {
    target.str(&["type"]).is_some_and(|t| t.eq_ignore_ascii_case("User"))
}

/// The principal a user target names.
fn target_user(target: Rec<'_>) -> Option<Principal> {
    principal(target.string(&["userPrincipalName"]), target.string(&["id"]), target.string(&["displayName"]))
}

/// Who initiated the action, and the IP they acted from when logged.
///
/// `initiatedBy` holds exactly one of `user` and `app`; when it holds neither (`{}`, as for
/// Microsoft's just-in-time provisioning) the platform acted, and the diagnostic envelope's
/// `identity` (Log Analytics `Identity`) names it.
fn initiator(rec: Rec<'_>, envelope: Option<Rec<'_>>) -> (Actor, Option<String>) {
    let by = rec.object(&["initiatedBy"]);
    let by = by.as_deref().and_then(Rec::new);
    let user = by.and_then(|b| b.object(&["user"]));
    if let Some(u) =
        user.as_deref().and_then(Rec::new).filter(|u| u.get(&["id", "userPrincipalName", "displayName"]).is_some())
    {
        let name = u.lower(&["userPrincipalName"]).or_else(|| u.string(&["displayName"]));
        let actor = Actor { kind: ActorKind::User, id: u.lower(&["id"]), name };
        return (actor, common::ip_of(u, &["ipAddress"]));
    }
    let app = by.and_then(|b| b.object(&["app"]));
    if let Some(a) =
        app.as_deref().and_then(Rec::new).filter(|a| a.get(&["appId", "servicePrincipalId", "displayName"]).is_some())
    {
        let actor = Actor {
            kind: ActorKind::App,
            // First-party services can log a null appId; the per-tenant SP id is then the only id.
            id: a.lower(&["appId", "servicePrincipalId"]),
            name: a.string(&["displayName", "servicePrincipalName"]),
        };
        return (actor, None);
    }
    let name = envelope.and_then(|e| e.string(&["identity"])).or_else(|| rec.string(&["identity"]));
    (Actor { kind: ActorKind::System, id: None, name }, None)
}

/// `success` → success; `failure` and `timeout` → failure; anything else is plain information.
fn outcome(result: Option<&str>) -> Outcome {
    match result.map(str::to_ascii_lowercase).as_deref() {
        Some("success") => Outcome::Success,
        Some("failure" | "timeout") => Outcome::Failure,
        _ => Outcome::Info,
    }
}

/// The new `StsRefreshTokensValidFrom` of the first target that changed it.
///
/// `newValue` is JSON text inside the record's JSON (`"[\"2026-09-10T14:32:27Z\"]"`), so it is
/// decoded a second time and its first element read (§3.4).
fn valid_from(targets: &[Rec<'_>]) -> Option<Timestamp> {
    targets.iter().find_map(|t| {
        let props = t.nested(&["modifiedProperties"])?;
        props.as_array()?.iter().filter_map(Rec::new).find_map(|p| {
            let name = p.str(&["displayName"])?;
            if !name.eq_ignore_ascii_case(VALID_FROM_PROPERTY) {
                return None;
            }
            first_instant(p.get(&["newValue"])?)
        })
    })
}

/// The first timestamp in a value that may be JSON text of an array, an array, or a string.
fn first_instant(v: &Value) -> Option<Timestamp> {
    let decoded: Cow<'_, Value> = decode_nested(v)?;
    match decoded.as_ref() {
        Value::Array(items) => items.iter().find_map(first_instant),
        // `time::parse` strips the quotes of a JSON string literal (`"\"2026-…Z\""`).
        Value::String(s) => crate::time::parse(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::super::common::testing::{fixture, lines, render};
    use crate::event::Position;
    use crate::source::entra::parse_json;

    /// The events of a Graph page (`{"value": [...]}`), one per record.
    fn page(rel: &str) -> Vec<Value> {
        let page: Value = serde_json::from_str(&fixture(rel)).expect("fixture is JSON");
        let records = page["value"].as_array().cloned().unwrap_or_default();
        let file: std::sync::Arc<str> = rel.into();
        records
            .iter()
            .enumerate()
            .map(|(i, r)| render(parse_json(r, crate::event::Origin::new(&file, Position::Record(i as u64 + 1)))))
            .collect()
    }

    #[test]
    fn sample_a_revoke_sessions_is_one_operation_in_two_rows() {
        let events = page("entra/audit/graph-revoke-sessions.json");
        assert_eq!(events.len(), 2);
        assert_eq!(events[0]["kind"], "user-updated");
        assert_eq!(events[1]["kind"], "token-invalidation");
        assert_eq!(events[0]["ids"]["correlation"], events[1]["ids"]["correlation"]);
        assert_eq!(events[1]["detail"]["valid_from"], "2026-09-10T14:32:27Z");
        // Only the revocation row carries the cut-off, although both modify the property.
        assert_eq!(events[0]["detail"]["valid_from"], Value::Null);
        assert_eq!(events[1]["user"]["name"], "dumbuser2@raytakosharkygmail.onmicrosoft.com");
        assert_eq!(events[1]["actor"]["name"], "adm-jsmith@raytakosharkygmail.onmicrosoft.com");
        // `[redacted]` is not an address.
        assert_eq!(events[1]["ip"], Value::Null);
        insta::assert_json_snapshot!("sample_a", events);
    }

    #[test]
    fn sample_b_password_change_and_token_bump_share_a_correlation_id() {
        let events = lines(&fixture("entra/audit/sekoia-password-change.jsonl"), "sekoia-password-change.jsonl");
        let kinds: Vec<&Value> = events.iter().map(|e| &e["kind"]).collect();
        assert_eq!(kinds, ["password-change", "token-invalidation"]);
        assert_eq!(events[0]["ids"]["correlation"], "fd39aead-f711-4c4f-b6a9-ced2c67f3fca");
        assert_eq!(events[0]["ids"]["correlation"], events[1]["ids"]["correlation"]);
        // The user changed their own password: the initiator is the user.
        assert_eq!(events[0]["actor"]["id"], events[0]["user"]["id"]);
        // No modified properties in these rows, so no cut-off to report.
        assert_eq!(events[1]["detail"]["valid_from"], Value::Null);
        insta::assert_json_snapshot!("sample_b", events);
    }

    #[test]
    fn constructed_shapes() {
        let events = lines(&fixture("entra/audit/constructed-shapes.jsonl"), "constructed-shapes.jsonl");
        let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap_or("error")).collect();
        assert_eq!(
            kinds,
            [
                "user-created",
                "audit",
                "service-principal-created",
                "token-invalidation",
                "account-disabled",
                "token-invalidation",
                "risk-remediation",
                "risk-remediation",
                "auth-method-changed",
                "password-reset",
                "error",
            ]
        );
        // Sample C: Add user sets StsRefreshTokensValidFrom but is not a revocation.
        assert_eq!(events[0]["detail"]["valid_from"], Value::Null);
        // Null appId: the service principal id identifies the app.
        assert_eq!(
            events[1]["actor"],
            serde_json::json!({"type": "app", "id": "1de0a2d4-340e-4d98-b060-2dec8434481a", "name": "Microsoft Teams Services"})
        );
        assert_eq!(events[1]["user"]["name"], "ana.silva@contoso.com");
        assert_eq!(events[1]["detail"]["target"], "Sales Team");
        // Jit provisioning: nobody in initiatedBy; the envelope names the platform.
        assert_eq!(
            events[2]["actor"],
            serde_json::json!({"type": "system", "id": null, "name": "Microsoft Azure AD Internal - Jit Provisioning"})
        );
        assert_eq!(events[2]["detail"]["target"], "MACE Credential Revocation");
        assert_eq!(events[2]["user"], Value::Null);
        assert_eq!(events[3]["actor"]["id"], "7d636ec3-f39c-44f5-8b73-fa28a0e0c5bc");
        assert_eq!(events[3]["detail"]["valid_from"], "2025-04-19T05:01:07Z");
        assert_eq!(events[4]["detail"]["activity"], "Disable account");
        assert_eq!(events[4]["ip"], "203.0.113.7");
        // Log Analytics: JSON text columns, decoded (the cut-off twice).
        assert_eq!(events[5]["detail"]["valid_from"], "2025-04-19T05:02:11Z");
        assert_eq!(events[5]["actor"]["name"], "MACE Credential Revocation");
        assert_eq!(events[5]["ids"]["correlation"], "7d8e9fa0-7777-4c1d-8e2f-3a4b5c6d7e8f");
        assert_eq!(events[6]["risk"]["detail"], "adminDismissedAllRiskForUser");
        assert_eq!(events[7]["risk"]["detail"], "adminConfirmedSigninSafe");
        assert_eq!(events[8]["ip"], "192.0.2.44");
        assert_eq!(events[9]["outcome"], "failure");
        assert_eq!(events[9]["ip"], Value::Null);
        insta::assert_json_snapshot!("constructed_shapes", events);
    }

    #[test]
    fn otrf_golden_saml_log_analytics_rows() {
        let events = lines(&fixture("entra/audit/AADAuditEvents.json"), "AADAuditEvents.json");
        assert_eq!(events.len(), 4);
        for e in &events {
            assert_eq!(e["kind"], "audit");
            assert_eq!(e["outcome"], "success");
            assert_eq!(e["detail"]["category"], "ApplicationManagement");
            assert_eq!(e["actor"]["name"], "pgustavo@simulandlabs.com");
            assert_eq!(e["user"], Value::Null, "only application and service principal targets");
        }
        // En dash kept, trailing space trimmed.
        assert_eq!(events[0]["detail"]["activity"], "Update application \u{2013} Certificates and secrets management");
        assert_eq!(events[0]["detail"]["target"], "SimuLandApp");
        // The two secret rows are duplicates: same event, different line.
        let strip = |e: &Value| {
            let mut e = e.clone();
            e["origin"] = Value::Null;
            e
        };
        assert_eq!(strip(&events[0]), strip(&events[1]));
        assert_eq!(events[2]["detail"]["activity"], "Update application");
        assert_eq!(events[3]["detail"]["target"], "Microsoft Graph");
        insta::assert_json_snapshot!("otrf_goldensaml", events);
    }

    #[test]
    fn elastic_diagnostic_audit_rows() {
        let Some(path) = crate::testutil::corpus("entra/elastic-azure/test-auditlogs-raw.log") else {
            return;
        };
        let text = std::fs::read_to_string(path).expect("corpus file is readable");
        let events = lines(&text, "test-auditlogs-raw.log");
        assert_eq!(events.len(), 3);
        for e in &events {
            assert_eq!(e["kind"], "audit");
            assert_eq!(e["detail"]["activity"], "Update device");
            assert_eq!(e["detail"]["target"], "LAPTOP-12");
            assert_eq!(e["user"], Value::Null);
            assert_eq!(e["ip"], Value::Null, "0.0.0.0 is a placeholder");
        }
        // Sample D: the app-initiated shape.
        assert_eq!(
            events[0]["actor"],
            serde_json::json!({"type": "app", "id": "id", "name": "Device Registration Service"})
        );
        assert_eq!(events[1]["actor"]["name"], "username");
        insta::assert_json_snapshot!("elastic_auditlogs", events);
    }

    #[test]
    fn garbage_never_panics() {
        let junk = [
            r#"{"activityDisplayName": 5, "activityDateTime": "2025-04-19T05:01:07Z", "initiatedBy": "[1,2", "targetResources": {"type": ["User"]}}"#,
            r#"{"activityDisplayName": "Update StsRefreshTokenValidFrom Timestamp", "activityDateTime": "2025-04-19T05:01:07Z", "targetResources": [{"type":"User","modifiedProperties":[{"displayName":"StsRefreshTokensValidFrom","newValue":"[[[\"x\"]]]"}]}, 7, null]}"#,
            r#"{"category": "AuditLogs", "time": "2025-04-19", "properties": {"initiatedBy": {"user": {}, "app": {}}}}"#,
        ];
        for j in junk {
            let v: Value = serde_json::from_str(j).expect("test JSON");
            let _ = render(parse_json(&v, super::super::common::testing::origin("junk", 1)));
        }
        // The envelope's time stands in for a missing activityDateTime; an empty initiator is
        // the system.
        let v: Value = serde_json::from_str(junk[2]).expect("test JSON");
        let ev = render(parse_json(&v, super::super::common::testing::origin("junk", 3)));
        assert_eq!(ev["time"], "2025-04-19T00:00:00Z");
        assert_eq!(ev["actor"]["type"], "system");
    }
}
