//! Tests of the sign-in parser: every input shape of formats.md §2, snapshotted, plus the facts
//! the corpus manifest states about the real Elastic files.

use serde_json::{Value, json};

use super::*;
use crate::event::{Failure, Kind, Outcome};
use crate::source::entra::common::testing::{self, fixture, lines, render};
use crate::source::entra::parse_json;

/// Parses one record through the public dispatcher.
fn event(v: &Value) -> Event {
    testing::event(v, "test.json", 1)
}

/// Parses one record through the public dispatcher and renders the result for a snapshot.
fn rendered(v: &Value) -> Value {
    render(parse_json(v, testing::origin("test.json", 1)))
}

/// A fixture file as JSON.
fn json_fixture(rel: &str) -> Value {
    serde_json::from_str(&fixture(rel)).expect("fixture is JSON")
}

/// Diagnostic sample B: the JSON after the syslog `timestamp host ` prefix.
fn sample_b() -> Value {
    let text = fixture("entra/signin/diagnostic-sample-b.log");
    let start = text.find('{').expect("JSON after the prefix");
    serde_json::from_str(text[start..].trim()).expect("sample B is JSON")
}

#[test]
fn graph_v1_page() {
    let page = json_fixture("entra/signin/graph-v1-page.json");
    let records = page["value"].as_array().expect("value array");
    let events: Vec<Value> = records.iter().map(rendered).collect();
    let ev = event(&records[0]);
    assert_eq!(
        (ev.kind, ev.outcome, ev.code.as_deref(), ev.failure),
        (Kind::SignIn, Outcome::Success, Some("0"), None)
    );
    assert_eq!(ev.risk, None, "every risk field is none");
    assert_eq!(ev.device.and_then(|d| d.id), None, "empty deviceId is absent");
    insta::assert_json_snapshot!("graph_v1_page", events);
}

#[test]
fn graph_beta_risk_block() {
    let rec = json_fixture("entra/signin/graph-beta-risk-block.json");
    let ev = event(&rec);
    assert_eq!((ev.outcome, ev.failure), (Outcome::Failure, Some(Failure::RiskBlocked)));
    assert_eq!(ev.detail.blocking_policies, vec!["Block high user risk"]);
    assert!(ev.detail.risk_policy);
    assert_eq!(ev.ids.token.as_deref(), Some("kysOX0eMHUq24tOpxx9OAA"));
    assert_eq!(ev.user.as_ref().and_then(|u| u.name.as_deref()), Some("bruno.costa@contoso.com"));
    assert_eq!(ev.ip.as_deref(), Some("2001:db8:4f1a::27"));
    insta::assert_json_snapshot!("graph_beta_risk_block", rendered(&rec));
}

#[test]
fn diagnostic_sample_a() {
    let rec = json_fixture("entra/signin/diagnostic-sample-a.json");
    let ev = event(&rec);
    // The category says interactive although the record says `isInteractive: false`.
    assert_eq!(ev.kind, Kind::SignIn);
    assert_eq!((ev.outcome, ev.failure), (Outcome::Interrupted, None));
    assert_eq!(ev.time.to_string(), "2019-10-18T09:45:48.0729893Z", "-05:00 offset applied");
    insta::assert_json_snapshot!("diagnostic_sample_a", rendered(&rec));
}

#[test]
fn diagnostic_sample_b() {
    let rec = sample_b();
    let ev = event(&rec);
    assert_eq!(ev.kind, Kind::NonInteractiveSignIn);
    assert_eq!((ev.outcome, ev.code.as_deref(), ev.failure), (Outcome::Interrupted, Some("50097"), None));
    assert_eq!(
        ev.detail.blocking_policies,
        vec!["Block Access to O365 from Mobile Devices for All Users", "Block All Access from Untrusted IP"]
    );
    assert!(!ev.detail.risk_policy, "bitmasks 7 and 1035 carry no risk condition");
    assert_eq!(ev.detail.incoming_token.as_deref(), Some("refreshToken"));
    assert_eq!(ev.ids.token.as_deref(), Some("xMFjTVvJPE2OChJx_YE-AA"));
    insta::assert_json_snapshot!("diagnostic_sample_b", rendered(&rec));
}

#[test]
fn log_analytics_signinlogs_row() {
    let rec = json_fixture("entra/signin/la-signinlogs-row.json");
    let ev = event(&rec);
    assert_eq!((ev.kind, ev.failure), (Kind::SignIn, Some(Failure::BadPassword)));
    assert_eq!(ev.detail.auth_methods, vec!["Password"]);
    insta::assert_json_snapshot!("la_signinlogs_row", rendered(&rec));
}

#[test]
fn log_analytics_noninteractive_row() {
    let rec = json_fixture("entra/signin/la-noninteractive-row.json");
    let ev = event(&rec);
    assert_eq!((ev.kind, ev.failure), (Kind::NonInteractiveSignIn, Some(Failure::TokenRevoked)));
    assert_eq!(ev.device.as_ref().and_then(|d| d.name.as_deref()), Some("ANA-LAPTOP"), "DeviceDetail is JSON text");
    assert_eq!(ev.location.as_ref().and_then(|l| l.city.as_deref()), Some("Seattle"), "LocationDetails is JSON text");
    insta::assert_json_snapshot!("la_noninteractive_row", rendered(&rec));
}

/// Sample B turned into a 53003 block whose two failed policies have `conditionsSatisfied` set to
/// `mask`, with every risk level `none`, so only the policy can show risk.
fn ca_block_with_mask(mask: Value) -> Event {
    let mut rec = sample_b();
    rec["resultType"] = json!("53003");
    rec["properties"]["status"]["errorCode"] = json!(53003);
    if let Some(policies) = rec["properties"]["appliedConditionalAccessPolicies"].as_array_mut() {
        for p in policies {
            p["conditionsSatisfied"] = mask.clone();
        }
    }
    event(&rec)
}

#[test]
fn risk_bitmask_96_is_a_risk_block_and_1035_is_not() {
    let risky = ca_block_with_mask(json!(96));
    assert_eq!(risky.failure, Some(Failure::RiskBlocked));
    assert!(risky.detail.risk_policy);
    for mask in [json!(1035), json!(263), json!(7), json!("1035")] {
        let plain = ca_block_with_mask(mask.clone());
        assert_eq!(plain.failure, Some(Failure::PolicyBlocked), "{mask}");
        assert!(!plain.detail.risk_policy, "{mask}");
    }
    assert_eq!(ca_block_with_mask(json!("application,users,signInRisk")).failure, Some(Failure::RiskBlocked));
}

#[test]
fn risk_level_or_state_alone_makes_a_policy_block_a_risk_block() {
    let base = json!({"id": "r1", "createdDateTime": "2025-04-19T05:00:00Z", "userPrincipalName": "a@b.c",
        "status": {"errorCode": 53003}, "riskLevelAggregated": "none", "riskLevelDuringSignIn": "none", "riskState": "none"});
    assert_eq!(event(&base).failure, Some(Failure::PolicyBlocked));
    assert_eq!(event(&base).risk, None);
    let mut during = base.clone();
    during["riskLevelDuringSignIn"] = json!("Medium");
    let ev = event(&during);
    assert_eq!(ev.failure, Some(Failure::RiskBlocked));
    assert_eq!(ev.risk.and_then(|r| r.level).as_deref(), Some("medium"));
    let mut state = base.clone();
    state["riskState"] = json!("atRisk");
    assert_eq!(event(&state).failure, Some(Failure::RiskBlocked));
    let mut low = base;
    low["riskLevelAggregated"] = json!("low");
    assert_eq!(event(&low).failure, Some(Failure::PolicyBlocked));
}

#[test]
fn timestamps_in_every_shape() {
    let at = |created: Value| {
        let rec =
            json!({"createdDateTime": created, "userPrincipalName": "a@b.c", "status": {"errorCode": 0}, "id": "x"});
        rendered(&rec)["time"].clone()
    };
    assert_eq!(at(json!("2019-10-18T04:45:48.0729893-05:00")), json!("2019-10-18T09:45:48.0729893Z"));
    assert_eq!(at(json!("2025-02-01T16:26:24.6955459+00:00")), json!("2025-02-01T16:26:24.6955459Z"));
    assert_eq!(at(json!("2022-09-09T8:48:50.361Z")), json!("2022-09-09T08:48:50.361Z"));
    assert_eq!(at(json!("2025-04-19T5:03:17+02:00")), json!("2025-04-19T03:03:17Z"));
    assert_eq!(at(json!("9/9/2022 9:54:27 AM")), json!("2022-09-09T09:54:27Z"));
    assert_eq!(at(json!("2020-03-13T19:15:41Z")), json!("2020-03-13T19:15:41Z"));
}

#[test]
fn time_falls_back_and_errors_name_the_field() {
    let row = json!({"Type": "SigninLogs", "CreatedDateTime": "garbage", "TimeGenerated": "2025-04-19T05:00:00Z", "ResultType": "0"});
    assert_eq!(rendered(&row)["time"], json!("2025-04-19T05:00:00Z"));
    let env = json!({"category": "SignInLogs", "time": "2025-04-19T06:00:00Z", "properties": {"userId": "u"}});
    assert_eq!(rendered(&env)["time"], json!("2025-04-19T06:00:00Z"));
    let bad = json!({"Type": "SigninLogs", "CreatedDateTime": "not a time at all, and quite a long value too", "ResultType": "0"});
    assert_eq!(rendered(&bad), json!({"error": "unreadable time in createdDateTime: a value of 45 characters"}));
    let none = json!({"Type": "SigninLogs", "ResultType": "0"});
    assert_eq!(rendered(&none), json!({"error": "no time: none of createdDateTime, TimeGenerated, time is present"}));
}

#[test]
fn guid_user_principal_names_and_nil_ids() {
    let guid = "C3813493-BF92-5123-2717-8A8B2979C38B";
    let rec = json!({"createdDateTime": "2025-01-01T00:00:00Z", "userPrincipalName": guid, "status": {"errorCode": 0}, "id": "x"});
    let user = event(&rec).user.expect("user");
    assert_eq!((user.name, user.id.as_deref()), (None, Some("c3813493-bf92-5123-2717-8a8b2979c38b")));
    let rec = json!({"createdDateTime": "2025-01-01T00:00:00Z", "userPrincipalName": "Nobody@Contoso.com",
        "userId": "00000000-0000-0000-0000-000000000000", "status": {"errorCode": 50034}, "id": "x"});
    let ev = event(&rec);
    assert_eq!(ev.failure, Some(Failure::UnknownUser));
    let user = ev.user.expect("user");
    assert_eq!((user.name.as_deref(), user.id), (Some("nobody@contoso.com"), None));
}

#[test]
fn service_sign_ins_name_the_service_principal() {
    let rec = json!({"createdDateTime": "2025-01-01T00:00:00Z", "signInEventTypes": ["servicePrincipal"], "appId": "a",
        "servicePrincipalId": "ABC", "servicePrincipalName": "Backup job", "status": {"errorCode": 7000215}, "ipAddress": "192.0.2.1"});
    let ev = event(&rec);
    assert_eq!((ev.kind, ev.outcome, ev.failure), (Kind::ServiceSignIn, Outcome::Failure, Some(Failure::Other)));
    let user = ev.user.expect("service principal");
    assert_eq!((user.id.as_deref(), user.display.as_deref()), (Some("abc"), Some("Backup job")));
}

#[test]
fn success_drops_the_other_placeholder_and_words_stand_in_for_codes() {
    let rec = json!({"createdDateTime": "2025-01-01T00:00:00Z", "userPrincipalName": "a@b.c", "id": "x",
        "status": "{\"errorCode\":\"0\",\"failureReason\":\"Other.\"}"});
    let ev = event(&rec);
    assert_eq!((ev.outcome, ev.reason), (Outcome::Success, None));
    let word =
        json!({"createdDateTime": "2025-01-01T00:00:00Z", "userPrincipalName": "a@b.c", "resultType": "Failure"});
    let ev = event(&word);
    assert_eq!((ev.outcome, ev.code), (Outcome::Failure, None));
    let odd = json!({"createdDateTime": "2025-01-01T00:00:00Z", "userPrincipalName": "a@b.c", "resultType": "E42"});
    let ev = event(&odd);
    assert_eq!((ev.outcome, ev.code.as_deref()), (Outcome::Info, Some("E42")));
}

#[test]
fn hostile_shapes_do_not_panic() {
    let weird = [
        json!({"createdDateTime": "2025-01-01T00:00:00Z", "userPrincipalName": 7, "status": [1, 2], "deviceDetail": "{bad json",
            "location": ["x"], "appliedConditionalAccessPolicies": {"result": "failure"}, "authenticationDetails": "[1,{}]",
            "riskEventTypes_v2": {"a": 1}, "mfaDetail": 3, "uniqueTokenIdentifier": "'", "isInteractive": "maybe", "ipAddress": "not-an-ip"}),
        json!({"createdDateTime": "2025-01-01T00:00:00Z", "userId": "u", "status": {"errorCode": 1e30}, "riskLevelAggregated": true}),
        json!({"createdDateTime": "2025-01-01T00:00:00Z", "userId": "u", "status": {"errorCode": -50126}, "location": "{\"city\":1}"}),
    ];
    for rec in &weird {
        let Ok(Parsed::Event(_)) = parse(Rec::new(rec).expect("object"), None, testing::origin("w", 1)) else {
            panic!("expected an event for {rec}");
        };
    }
}

/// Every line of a corpus file, parsed and rendered; `None` when the corpus is absent.
fn corpus_lines(rel: &str) -> Option<Vec<Value>> {
    let path = crate::testutil::corpus(rel)?;
    let text = std::fs::read_to_string(path).expect("corpus file readable");
    Some(lines(&text, rel))
}

#[test]
fn corpus_elastic_signinlogs_raw() {
    let Some(events) = corpus_lines("entra/elastic-azure/test-signinlogs-raw.log") else {
        return;
    };
    assert_eq!(events.len(), 5);
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds, ["sign-in", "non-interactive-sign-in", "service-sign-in", "service-sign-in", "service-sign-in"]);
    for e in &events {
        assert_eq!((e["outcome"].as_str(), e["code"].as_str()), (Some("interrupted"), Some("50140")), "{e}");
        assert_eq!(e["failure"], Value::Null, "50140 is an interrupt, not a credential failure");
        assert_eq!(e["time"], json!("2019-10-18T09:45:48.0729893Z"));
    }
    let with_name = events.iter().filter(|e| e["user"]["name"].is_string()).count();
    assert_eq!(with_name, 1, "4 of 5 carry a GUID in userPrincipalName");
    insta::assert_json_snapshot!("corpus_elastic_signinlogs_raw", events);
}

#[test]
fn corpus_elastic_signinlogs_sample() {
    let Some(events) = corpus_lines("entra/elastic-azure/test-signinlogs-sample.log") else {
        return;
    };
    assert_eq!(events.len(), 2);
    for e in &events {
        assert_eq!(e["user"]["name"], json!("mpliftrelastic20210901@outlook.com"));
        assert_eq!((e["outcome"].as_str(), e["kind"].as_str()), (Some("success"), Some("sign-in")));
        assert_eq!(e["app"]["name"], json!("Azure Portal"));
        assert_eq!(e["ip"], json!("1.128.3.4"));
        assert_eq!(e["detail"]["auth_requirement"], json!("singleFactorAuthentication"));
    }
    assert_eq!(events[0]["time"], json!("2022-01-24T05:10:08.6816663Z"));
    assert_eq!(events[1]["time"], json!("2022-01-24T05:10:12.2444226Z"));
    insta::assert_json_snapshot!("corpus_elastic_signinlogs_sample", events);
}
