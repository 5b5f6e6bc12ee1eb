//! The records are shaped like Microsoft's (formats.md §2–4).

use crate::data::{self, config, uti_matches};
use lockscope_sim::Scenario;
use serde_json::Value;
use std::collections::BTreeSet;

#[test]
fn every_scenario_writes_the_expected_files() {
    for scenario in data::entra_only() {
        let d = data::generate(&config(scenario, 40, 2, 5));
        for name in [
            "AADNonInteractiveUserSignInLogs.csv",
            "audit/PT1H.json",
            "riskDetections.json",
            "AADRiskyUsers.json",
            "truth.json",
            "signins/interactive-0001.json",
        ] {
            assert!(d.path.join(name).is_file(), "{scenario}: {name}");
        }
        assert_eq!(d.truth["scenario"], scenario.to_string());
        assert_eq!(d.truth["users_total"], 40);
        assert_eq!(d.truth["schema_version"], 1);
        assert!(d.truth["generator"].as_str().expect("generator").starts_with("lockscope-sim "));
        assert_eq!(d.summary.affected, d.affected().len());
    }
}

#[test]
fn graph_pages_hold_1000_records_and_link_to_the_next() {
    let d = data::generate(&lockscope_sim::Config { noise: 12, ..config(Scenario::Mixed, 80, 3, 2) });
    let mut pages: Vec<_> = d.summary.files.iter().filter(|f| f.0.starts_with(d.path.join("signins"))).collect();
    pages.sort();
    assert!(pages.len() >= 2);
    for (i, (path, _, records)) in pages.iter().enumerate() {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("page")).expect("JSON");
        let last = i + 1 == pages.len();
        assert_eq!(v["@odata.context"], "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns");
        assert_eq!(v.get("@odata.nextLink").is_some(), !last);
        assert_eq!(v["value"].as_array().expect("value").len() as u64, *records);
        if !last {
            assert_eq!(*records, 1000);
        }
        let times: Vec<jiff::Timestamp> =
            v["value"].as_array().into_iter().flatten().map(|r| data::time(&r["createdDateTime"])).collect();
        assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first, like Graph");
    }
}

#[test]
fn every_uti_decodes_to_its_request_id_and_ids_are_unique() {
    let d = data::generate(&config(Scenario::Mixed, 60, 2, 4));
    let mut ids = BTreeSet::new();
    for s in &d.signins {
        assert!(uti_matches(&s.uti, &s.id), "{} {}", s.uti, s.id);
        assert!(ids.insert(s.id.clone()), "duplicate request id {}", s.id);
    }
}

#[test]
fn log_analytics_rows_have_string_codes_json_text_and_varied_fractions() {
    let d = data::generate(&config(Scenario::Mixed, 60, 2, 6));
    let mut csv = csv::Reader::from_path(d.path.join("AADNonInteractiveUserSignInLogs.csv")).expect("csv");
    let header: Vec<String> = csv.headers().expect("header").iter().map(str::to_string).collect();
    for col in ["TimeGenerated", "ResultType", "Status", "DeviceDetail", "LocationDetails", "ConditionalAccessPolicies"]
    {
        assert!(header.iter().any(|h| h == col), "{col}");
    }
    let at = |name: &str| header.iter().position(|h| h == name).expect("column");
    let mut fraction_lengths = BTreeSet::new();
    let mut mixed_case = false;
    for row in csv.records() {
        let row = row.expect("row");
        assert_eq!(row.len(), header.len());
        let generated = &row[at("TimeGenerated")];
        let _: jiff::Timestamp = generated.parse().expect("TimeGenerated");
        fraction_lengths.insert(generated.split('.').nth(1).map_or(0, str::len));
        assert_eq!(&row[at("Type")], "AADNonInteractiveUserSignInLogs");
        assert_eq!(&row[at("IsInteractive")], "false");
        for col in ["Status", "DeviceDetail", "LocationDetails", "ConditionalAccessPolicies", "AuthenticationDetails"] {
            let text = &row[at(col)];
            assert!(text.starts_with('{') || text.starts_with('['), "{col} is JSON text: {text}");
        }
        let upn = &row[at("UserPrincipalName")];
        mixed_case |= upn != upn.to_lowercase();
    }
    assert!(fraction_lengths.len() >= 2, "fractional digits vary: {fraction_lengths:?}");
    assert!(mixed_case, "some rows spell the UPN in mixed case");
    for s in d.signins.iter().filter(|s| !s.interactive) {
        assert!(["refreshToken", "primaryRefreshToken"].contains(&s.token.as_str()), "{}", s.token);
    }
}

#[test]
fn graph_sign_ins_are_lowercase_interactive_and_typed() {
    let d = data::generate(&config(Scenario::Mixed, 60, 2, 8));
    let interactive: Vec<_> = d.signins.iter().filter(|s| s.interactive).collect();
    assert!(!interactive.is_empty());
    for s in interactive {
        assert_eq!(s.user, s.user.to_lowercase());
        assert!(["none", "primaryRefreshToken"].contains(&s.token.as_str()), "{}", s.token);
    }
    let text = std::fs::read_to_string(d.path.join("signins/interactive-0001.json")).expect("page");
    assert!(text.contains("\"errorCode\":0"), "errorCode is a JSON number");
}

#[test]
fn audit_rows_are_diagnostic_envelopes() {
    let d = data::generate(&config(Scenario::Mixed, 60, 3, 9));
    assert!(!d.audits.is_empty());
    let keys = [
        "time",
        "resourceId",
        "operationName",
        "category",
        "tenantId",
        "resultSignature",
        "durationMs",
        "callerIpAddress",
        "correlationId",
        "identity",
        "level",
        "properties",
    ];
    for a in &d.audits {
        for k in keys {
            assert!(a.get(k).is_some(), "missing {k}: {a}");
        }
        assert_eq!(a["category"], "AuditLogs");
        assert_eq!(a["level"], "Informational");
        let p = &a["properties"];
        assert_eq!(p["correlationId"], a["correlationId"]);
        assert_eq!(p["activityDisplayName"], a["operationName"]);
        assert!(p["activityDateTime"].as_str().expect("time").ends_with("+00:00"));
        let _ = data::time(&p["activityDateTime"]);
        assert!(p["id"].as_str().expect("id").contains('_'));
        for t in p["targetResources"].as_array().expect("targets") {
            for m in t["modifiedProperties"].as_array().expect("modified") {
                // Values are JSON text inside a string (formats.md §3.4).
                for v in [&m["oldValue"], &m["newValue"]] {
                    if let Some(s) = v.as_str() {
                        serde_json::from_str::<Value>(s).unwrap_or_else(|e| panic!("{s}: {e}"));
                    }
                }
            }
        }
    }
    let times: Vec<_> = d.audits.iter().map(|a| data::time(&a["time"])).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "PT1H.json is appended in time order");
}

#[test]
fn risky_users_are_snapshots_with_pascal_case_columns() {
    let d = data::generate(&config(Scenario::Mixed, 60, 3, 10));
    assert!(!d.risky.is_empty());
    for r in &d.risky {
        for k in [
            "TimeGenerated",
            "Id",
            "RiskLevel",
            "RiskState",
            "RiskDetail",
            "UserPrincipalName",
            "RiskLastUpdatedDateTime",
        ] {
            assert!(r.get(k).is_some(), "{k}");
        }
        assert_eq!(r["Type"], "AADRiskyUsers");
        let _ = data::time(&r["TimeGenerated"]);
    }
    let mut per_user = std::collections::BTreeMap::<&str, usize>::new();
    for r in &d.risky {
        *per_user.entry(r["Id"].as_str().expect("id")).or_default() += 1;
    }
    assert!(per_user.values().any(|n| *n >= 3), "several snapshots per risky user");
}
