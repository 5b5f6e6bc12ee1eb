//! Entra ID Protection: risk detections (Graph `riskDetection`, Log Analytics
//! `AADUserRiskEvents`, diagnostic `UserRiskEvents`) and risky users (Graph `riskyUser` and
//! `riskyUserHistoryItem`, `AADRiskyUsers`, diagnostic `RiskyUsers`); `reference/formats.md` §4.
//!
//! The diagnostic exports are not ISO-8601 throughout (US-format `time`, single-digit hours in
//! `detectedDateTime`), so every time goes through the lenient parser with fallbacks.

use jiff::Timestamp;

use super::common::{self, principal};
use super::{Parsed, Reason};
use crate::event::{Actor, ActorKind, Kind, Location, Origin, Risk};
use crate::source::field::{Rec, strings_of};

/// Parses one risk detection. `envelope` is the diagnostic envelope when `rec` is its
/// `properties`; only its `time` is used (its `correlationId` is the detection id, not the
/// sign-in's).
pub fn parse_detection(rec: Rec<'_>, envelope: Option<Rec<'_>>, origin: Origin) -> Result<Parsed, Reason> {
    let time = time(rec, envelope, &["detectedDateTime", "activityDateTime", "TimeGenerated"])
        .ok_or("risk detection has no readable detectedDateTime, activityDateTime or TimeGenerated")?;
    let mut ev = common::event(time, Kind::RiskDetection, origin);
    ev.user = principal(rec.string(&["userPrincipalName"]), rec.string(&["userId"]), rec.string(&["userDisplayName"]));
    ev.risk = Some(Risk {
        // `riskType` is the legacy duplicate; it can be coarser (`generic` for `passwordSpray`).
        event_types: rec.string(&["riskEventType", "riskType"]).into_iter().collect(),
        timing: rec.string(&["detectionTimingType"]),
        activity: rec.string(&["activity"]),
        ..state(rec)
    });
    ev.ip = common::ip_of(rec, &["ipAddress"]);
    ev.source.clone_from(&ev.ip);
    ev.location = location(rec);
    ev.ids.record = rec.string(&["id"]);
    ev.ids.request = rec.lower(&["requestId"]);
    ev.ids.correlation = rec.lower(&["correlationId"]);
    ev.reason = risk_reasons(rec);
    Ok(Parsed::Event(Box::new(ev)))
}

/// Parses one risky-user snapshot (`history == false`) or history item.
///
/// Snapshots are a stream of states; `detail.category` (`riskyUser` / `riskyUserHistory`) lets
/// the engine keep the latest snapshot per user apart from the history.
pub fn parse_risky_user(
    rec: Rec<'_>,
    envelope: Option<Rec<'_>>,
    origin: Origin,
    history: bool,
) -> Result<Parsed, Reason> {
    // A Graph history item also carries `riskLastUpdatedDateTime`, so it can arrive here
    // classified as a snapshot; its `initiatedBy` and `activity` give it away.
    let history = history || (rec.has(&["initiatedBy"]) && rec.object(&["activity"]).is_some());
    let time = time(rec, envelope, &["riskLastUpdatedDateTime", "TimeGenerated"])
        .ok_or("risky user record has no readable riskLastUpdatedDateTime or TimeGenerated")?;
    let mut ev = common::event(time, Kind::RiskState, origin);
    // In a snapshot `id` is the user's object id; a history item names the user in `userId`.
    let user_id = rec.lower(&["userId"]).or_else(|| (!history).then(|| rec.lower(&["id"])).flatten());
    ev.user = principal(rec.string(&["userPrincipalName"]), user_id.clone(), rec.string(&["userDisplayName"]));
    let activity = rec.object(&["activity"]);
    let activity = activity.as_deref().and_then(Rec::new);
    let mut risk = state(rec);
    if let Some(a) = activity {
        risk.event_types = a.strings(&["riskEventTypes", "eventTypes"]);
        risk.detail = risk.detail.or_else(|| a.string(&["detail"]));
    }
    ev.risk = Some(risk);
    if history {
        ev.actor = rec.lower(&["initiatedBy"]).filter(|by| Some(by) != user_id.as_ref()).map(|id| Actor {
            kind: ActorKind::User,
            id: Some(id),
            name: None,
        });
    }
    ev.ids.record = rec.string(&["id"]);
    ev.ids.correlation = rec.lower(&["correlationId"]);
    ev.detail.category = Some(if history { "riskyUserHistory" } else { "riskyUser" }.to_string());
    if rec.bool(&["isDeleted"]) == Some(true) {
        ev.reason = Some("deleted".to_string());
    }
    Ok(Parsed::Event(Box::new(ev)))
}

/// The first readable time among `names`, then the envelope's `time`.
fn time(rec: Rec<'_>, envelope: Option<Rec<'_>>, names: &[&str]) -> Option<Timestamp> {
    common::time_of(rec, names)
        .or_else(|| common::time_of(rec, &["time"]))
        .or_else(|| envelope.and_then(|e| common::time_of(e, &["time"])))
}

/// Level (lowercased), state and detail, shared by detections and risky users.
fn state(rec: Rec<'_>) -> Risk {
    Risk {
        level: rec.lower(&["riskLevel"]),
        state: rec.string(&["riskState"]),
        detail: rec.string(&["riskDetail"]),
        ..Risk::default()
    }
}

/// The sign-in location: an object (Graph, diagnostic) or JSON text (Log Analytics).
///
/// Only the nested record's `location` is read: the diagnostic envelope's `location` is an
/// Azure region code (`us`, `neu`), not the sign-in's place.
fn location(rec: Rec<'_>) -> Option<Location> {
    let value = rec.object(&["location"])?;
    let loc = Rec::new(&value)?;
    let location = Location { country: loc.string(&["countryOrRegion"]), city: loc.string(&["city"]) };
    (location.country.is_some() || location.city.is_some()).then_some(location)
}

/// The `riskReasons` of `additionalInfo` (JSON text of `[{"Key":…,"Value":…}]`), joined with
/// `, `; they say why a threat-intelligence detection fired (`suspiciousIP`, `passwordSpray`).
fn risk_reasons(rec: Rec<'_>) -> Option<String> {
    let info = rec.nested(&["additionalInfo"])?;
    let entry = info
        .as_array()?
        .iter()
        .filter_map(Rec::new)
        .find(|kv| kv.str(&["Key"]).is_some_and(|k| k.eq_ignore_ascii_case("riskReasons")))?;
    // An array, JSON text of one, or a comma-separated string.
    let reasons = strings_of(entry.get(&["Value"])?);
    (!reasons.is_empty()).then(|| reasons.join(", "))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::source::entra::common::testing::{fixture, lines};

    fn corpus_lines(rel: &str) -> Option<Vec<Value>> {
        let path = crate::testutil::corpus(rel)?;
        let text = std::fs::read_to_string(path).expect("corpus file is readable");
        Some(lines(&text, rel.rsplit('/').next().unwrap_or(rel)))
    }

    #[test]
    fn detections_in_graph_and_log_analytics_shapes() {
        let events = lines(&fixture("entra/risk/risk-detections.jsonl"), "risk-detections.jsonl");
        assert_eq!(events.len(), 4);
        // Leaked credentials: a user-level offline detection, tied to no sign-in.
        let leaked = &events[0];
        assert_eq!(leaked["kind"], "risk-detection");
        assert_eq!(leaked["outcome"], "info");
        assert_eq!(
            leaked["risk"],
            json!({"event_types": ["leakedCredentials"], "level": "high", "state": "atRisk", "detail": "none", "timing": "offline", "activity": "user"})
        );
        assert_eq!(leaked["user"]["name"], "ana.silva@contoso.com");
        assert_eq!(leaked["user"]["id"], "a1b2c3d4-0000-4000-8000-000000000001");
        for absent in [
            &leaked["ip"],
            &leaked["location"],
            &leaked["ids"]["request"],
            &leaked["ids"]["correlation"],
            &leaked["reason"],
        ] {
            assert_eq!(*absent, Value::Null);
        }
        let intel = &events[1];
        assert_eq!(intel["reason"], "suspiciousIP, passwordSpray");
        assert_eq!(intel["risk"]["level"], "medium");
        assert_eq!(intel["ids"]["request"], "4d63c1c4-c95b-4d3c-8e0a-1271fd813e00");
        assert_eq!(intel["location"], json!({"country": "PT", "city": "Lisbon"}));
        assert_eq!(intel["ip"], "198.51.100.77");
        // Log Analytics: an unreadable DetectedDateTime falls back to ActivityDateTime.
        let la = &events[2];
        assert_eq!(la["time"], "2025-04-19T05:01:09Z");
        assert_eq!(la["location"], json!({"country": "BR", "city": null}));
        assert_eq!(la["reason"], "suspiciousIP, passwordSpray");
        assert_eq!(la["ids"]["correlation"], Value::Null);
        // Diagnostic record without a detection time of its own: the envelope's US-format time.
        assert_eq!(events[3]["time"], "2022-03-24T14:42:35Z");
        assert_eq!(events[3]["risk"]["detail"], "aiConfirmedSigninSafe");
        // The envelope's correlationId repeats the detection id; the sign-in's is inside.
        assert_eq!(events[3]["ids"]["correlation"], "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d");
        insta::assert_json_snapshot!("detections", events);
    }

    #[test]
    fn risky_user_snapshots_and_history() {
        let events = lines(&fixture("entra/risk/risky-users.jsonl"), "risky-users.jsonl");
        let categories: Vec<&Value> = events.iter().map(|e| &e["detail"]["category"]).collect();
        assert_eq!(categories, ["riskyUser", "riskyUser", "riskyUserHistory", "riskyUserHistory"]);
        assert!(events.iter().all(|e| e["kind"] == "risk-state"));
        assert_eq!(events[0]["risk"]["state"], "dismissed");
        assert_eq!(events[0]["user"]["id"], "a1b2c3d4-0000-4000-8000-000000000002");
        assert_eq!(events[0]["time"], "2025-04-19T09:15:00.123Z");
        // Log Analytics: empty RiskLastUpdatedDateTime, so TimeGenerated; text booleans.
        assert_eq!(events[1]["time"], "2025-04-19T05:20:00Z");
        assert_eq!(events[1]["reason"], "deleted");
        assert_eq!(events[1]["risk"]["level"], "high");
        assert_eq!(events[1]["user"]["id"], "a1b2c3d4-0000-4000-8000-000000000003");
        // History: who changed the state, and the detection types behind it.
        assert_eq!(
            events[2]["actor"],
            json!({"type": "user", "id": "03ee6546-f113-4ec5-ba9d-e57381b0c928", "name": null})
        );
        assert_eq!(events[2]["risk"]["event_types"], json!(["leakedCredentials"]));
        assert_eq!(events[2]["risk"]["detail"], "adminConfirmedUserCompromised");
        // Raised by the user's own detection: no separate actor.
        assert_eq!(events[3]["actor"], Value::Null);
        assert_eq!(events[3]["risk"]["detail"], "none");
        insta::assert_json_snapshot!("risky_users", events);
    }

    #[test]
    fn elastic_user_risk_events() {
        let Some(events) = corpus_lines("entra/elastic-azure/test-userriskevents-raw.log") else {
            return;
        };
        assert_eq!(events.len(), 2);
        let types: Vec<&Value> = events.iter().map(|e| &e["risk"]["event_types"][0]).collect();
        assert_eq!(types, ["anonymizedIPAddress", "passwordSpray"]);
        assert_eq!(events[0]["user"]["name"], "joe.danger@mauriziobrancaoutlook.onmicrosoft.com");
        assert_eq!(events[0]["time"], "2022-08-22T18:05:06.133Z");
        assert_eq!(events[0]["risk"]["timing"], "realtime");
        assert_eq!(events[1]["user"]["name"], "joel.miller@mauriziobrancaoutlook.onmicrosoft.com");
        // Single-digit hour in detectedDateTime.
        assert_eq!(events[1]["time"], "2022-09-09T08:48:50.361Z");
        assert_eq!(events[1]["risk"]["timing"], "offline");
        // The sign-in correlation id, not the envelope's (which repeats the detection id).
        assert_eq!(events[1]["ids"]["correlation"], "cbfd38f4-1619-45e5-ba71-71456f75541b");
        assert_eq!(events[1]["ids"]["request"], "52a6a863-695a-42b1-b299-e44121b93f00");
        for e in &events {
            assert_eq!(e["ip"], "67.43.156.42");
            assert_eq!(e["risk"]["level"], "high");
        }
        insta::assert_json_snapshot!("elastic_userriskevents", events);
    }

    #[test]
    fn elastic_risky_users() {
        let Some(events) = corpus_lines("entra/elastic-azure/test-rickyusers-raw.log") else {
            return;
        };
        assert_eq!(events.len(), 2);
        assert_eq!(events[0]["user"]["name"], "joe.danger@mauriziobrancaoutlook.onmicrosoft.com");
        assert_eq!(events[0]["risk"]["level"], "medium");
        assert_eq!(events[0]["reason"], Value::Null);
        assert_eq!(events[1]["user"]["name"], "joel.miller@mauriziobrancaoutlook.onmicrosoft.com");
        assert_eq!(events[1]["risk"]["level"], "high");
        assert_eq!(events[1]["reason"], "deleted");
        assert_eq!(events[1]["time"], "2022-09-09T09:59:27.958Z");
        insta::assert_json_snapshot!("elastic_riskyusers", events);
    }

    #[test]
    fn a_record_without_time_is_an_error() {
        let events = lines(r#"{"riskEventType": "generic", "detectedDateTime": "soon"}"#, "x");
        assert!(events[0]["error"].is_string());
        let events = lines(r#"{"riskLastUpdatedDateTime": 5, "riskState": "atRisk"}"#, "x");
        assert!(events[0]["error"].is_string());
    }
}
