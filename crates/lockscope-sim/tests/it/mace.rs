//! The provider mass revocation: every member has the record chain of formats.md §1.2, and
//! the compromises hidden in the burst carry their own indicators.

use crate::data::{self, Data, activity, config, time};
use lockscope_sim::Scenario;
use serde_json::Value;
use std::collections::BTreeSet;

const JIT: &str = "Microsoft Azure AD Internal - Jit Provisioning";

fn bump<'a>(d: &'a Data, oid: &'a str, provider: &str) -> &'a Value {
    d.audits_of(oid)
        .find(|a| {
            activity(a) == "Update StsRefreshTokenValidFrom Timestamp"
                && a["properties"]["initiatedBy"]["app"]["displayName"] == provider
        })
        .unwrap_or_else(|| panic!("{oid}: no token bump by {provider}"))
}

fn check_chain(d: &Data, row: &Value, provider: &str, incident: &Value) -> jiff::Timestamp {
    let oid = row["object_id"].as_str().expect("oid");
    let upn = row["user"].as_str().expect("upn");
    let b = bump(d, oid, provider);
    let t1 = time(&b["time"]);
    assert!(t1 >= time(&incident["start"]) && t1 <= time(&incident["end"]), "{upn}: bump inside the burst");
    let update = d
        .audits_of(oid)
        .find(|a| activity(a) == "Update user" && a["correlationId"] == b["correlationId"])
        .unwrap_or_else(|| panic!("{upn}: no Update user with the bump's correlationId"));
    let gap = time(&update["time"]).duration_since(t1).as_secs_f64().abs();
    assert!(gap < 0.005, "{upn}: Update user {gap}s from the bump");
    let prop = &b["properties"]["targetResources"][0]["modifiedProperties"][0];
    assert_eq!(prop["displayName"], "StsRefreshTokensValidFrom");
    let old: Vec<String> = serde_json::from_str(prop["oldValue"].as_str().expect("old")).expect("JSON in string");
    let new: Vec<String> = serde_json::from_str(prop["newValue"].as_str().expect("new")).expect("JSON in string");
    assert!(old[0] < new[0], "{upn}: the cut-off moves forward");

    let leaked = d
        .detections_of(oid)
        .find(|r| r["riskEventType"] == "leakedCredentials")
        .unwrap_or_else(|| panic!("{upn}: no leakedCredentials detection"));
    assert_eq!(leaked["activity"], "user");
    assert_eq!(leaked["detectionTimingType"], "offline");
    assert_eq!(leaked["riskLevel"], "high");
    assert_eq!(leaked["riskState"], "atRisk");
    assert_eq!(leaked["source"], "IdentityProtection");
    assert!(leaked["requestId"].is_null() && leaked["ipAddress"].is_null());
    let detected = time(&leaked["detectedDateTime"]);
    assert!(detected > t1 && detected.duration_since(t1).as_secs() < 15 * 60, "{upn}: detected within minutes");

    let contributing: Vec<&str> =
        row["contributing"].as_array().expect("contributing").iter().filter_map(Value::as_str).collect();
    assert_eq!(d.effects(upn), contributing, "{upn}: contributing is what the user got");
    let before: Vec<_> = d.signins_of(upn).filter(|s| s.t < t1 && s.code == 0).collect();
    let usual_ips: BTreeSet<&str> = before.iter().map(|s| s.ip.as_str()).collect();
    for s in d.signins_of(upn).filter(|s| s.code == 50173) {
        assert!(s.t > t1 && !s.interactive && s.token == "refreshToken", "{upn}: 50173 is a refresh after the bump");
        // One of the user's registered devices at their usual address (with little noise a
        // rarely used device may not have signed in before the bump).
        assert!(!s.device.is_empty() && usual_ips.contains(s.ip.as_str()), "{upn}: usual device and address");
    }
    for s in d.signins_of(upn).filter(|s| s.code == 53003) {
        assert!(s.t > t1 && s.risk_block, "{upn}: 53003 by the user-risk policy");
        assert_eq!((s.risk_level.as_str(), s.risk_state.as_str()), ("high", "atRisk"));
    }
    assert!(contributing.contains(&"token-rejected"), "{upn}: refreshes fail within the window");
    let latest =
        d.risky.iter().filter(|r| r["Id"] == oid).max_by_key(|r| time(&r["TimeGenerated"])).expect("risky user");
    assert_eq!((latest["RiskState"].as_str(), latest["RiskLevel"].as_str()), (Some("atRisk"), Some("high")));
    t1
}

#[test]
fn every_member_of_the_burst_has_the_record_chain() {
    for seed in data::seeds(11) {
        burst_chain(seed);
    }
}

fn burst_chain(seed: u64) {
    let d = data::generate(&config(Scenario::Mace2025, 60, 4, seed));
    let incidents = d.truth["incidents"].as_array().expect("incidents");
    assert_eq!(incidents.len(), 1);
    let incident = &incidents[0];
    assert_eq!(incident["kind"], "provider-mass-revocation");
    let provider = incident["initiator"]["name"].as_str().expect("name");
    let members: Vec<&Value> = d.affected().iter().filter(|r| r["incident"] == "mass-revocation").collect();
    assert_eq!(members.len() as u64, incident["members"].as_u64().expect("members"));
    assert_eq!(members.len(), d.affected().len());
    assert!((17..=19).contains(&members.len()), "about 30% of 60 users: {}", members.len());
    let burst = time(&incident["end"]).duration_since(time(&incident["start"])).as_secs();
    assert!(burst <= 90 * 60, "burst of {burst}s");

    let sp: Vec<&Value> = d.audits.iter().filter(|a| activity(a) == "Add service principal").collect();
    assert_eq!(sp.len(), 1, "the provider's service principal is created once");
    assert_eq!(sp[0]["identity"], JIT);
    assert_eq!(sp[0]["properties"]["initiatedBy"], serde_json::json!({}));
    assert_eq!(sp[0]["properties"]["targetResources"][0]["displayName"], provider);
    let lead = time(&incident["start"]).duration_since(time(&sp[0]["time"])).as_secs();
    assert!((60..=15 * 60).contains(&lead), "created minutes before the burst: {lead}s");

    let mut passwordless = 0;
    for row in &members {
        let t1 = check_chain(&d, row, provider, incident);
        let upn = row["user"].as_str().expect("upn");
        let interactive: Vec<_> = d.signins_of(upn).filter(|s| s.interactive).collect();
        if !interactive.is_empty() && interactive.iter().all(|s| !s.methods.iter().any(|m| m == "Password")) {
            passwordless += 1;
            assert!(
                interactive
                    .iter()
                    .any(|s| s.methods.iter().any(|m| m == "FIDO2 security key" || m == "Windows Hello for Business"))
            );
        }
        let oid = row["object_id"].as_str().expect("oid");
        let signin_risks: Vec<&Value> = d.detections_of(oid).filter(|r| r["activity"] == "signin").collect();
        if row["root_cause"] == "compromise-indicators" {
            assert_eq!(row["verdict"], "compromised");
            assert_eq!(row["actions"], serde_json::json!(["confirm-compromised", "revoke-sessions", "reset-password"]));
            assert_eq!(signin_risks.len(), 1, "{upn}");
            let r = signin_risks[0];
            assert!(["unfamiliarFeatures", "anomalousToken"].contains(&r["riskEventType"].as_str().expect("type")));
            let hit =
                d.signins.iter().find(|s| Some(s.id.as_str()) == r["requestId"].as_str()).expect("flagged sign-in");
            assert_eq!((hit.user.as_str(), hit.code), (upn, 0));
            assert!(hit.t < t1, "compromised before the burst");
            let home: BTreeSet<&str> =
                d.signins_of(upn).filter(|s| s.id != hit.id && s.ip != hit.ip).map(|s| s.country.as_str()).collect();
            assert!(!home.contains(hit.country.as_str()), "{upn}: a new country");
            assert!(
                !d.signins_of(upn).any(|s| s.t < hit.t && s.device_key == hit.device_key),
                "{upn}: an unseen device"
            );
        } else {
            assert_eq!(
                (row["root_cause"].as_str(), row["verdict"].as_str()),
                (Some("provider-mass-revocation"), Some("false-positive"))
            );
            assert_eq!(row["actions"], serde_json::json!(["confirm-safe"]));
            assert!(signin_risks.is_empty(), "{upn}: no other risk");
        }
    }
    assert!(passwordless >= 2, "about a fifth of the victims are passwordless: {passwordless}");
    assert_eq!(d.rows("compromise-indicators").len(), 1, "5% of 18 victims, at least one");
}

#[test]
fn the_provider_shows_up_in_three_ways_across_seeds() {
    let mut seen = BTreeSet::new();
    for seed in 1..=12 {
        let d = data::generate(&lockscope_sim::Config { noise: 1, ..config(Scenario::Mace2025, 12, 3, seed) });
        let incident = &d.truth["incidents"][0];
        let id = incident["initiator"]["id"].as_str().map(str::to_string);
        let name = incident["initiator"]["name"].as_str().expect("name").to_string();
        for row in d.affected() {
            let b = bump(&d, row["object_id"].as_str().expect("oid"), &name);
            assert_eq!(b["properties"]["initiatedBy"]["app"]["appId"].as_str().map(str::to_string), id);
        }
        assert!(d.affected().len() >= 8, "at least 8 victims");
        assert!(!d.rows("compromise-indicators").is_empty(), "at least one hidden compromise");
        seen.insert((id, name));
    }
    let ids: BTreeSet<_> = seen.iter().map(|(id, _)| id.clone()).collect();
    assert!(ids.contains(&Some("7d636ec3-f39c-44f5-8b73-fa28a0e0c5bc".to_string())), "{seen:?}");
    assert!(ids.contains(&None), "appId null variant: {seen:?}");
    assert!(seen.iter().any(|(_, n)| n != "MACE Credential Revocation"), "unknown app variant: {seen:?}");
}
