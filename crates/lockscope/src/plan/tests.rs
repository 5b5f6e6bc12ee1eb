//! The remediation rules on a hand-written case folder, and the guard that no plan clears a user
//! the case does not clear.

use std::path::Path;

use serde_json::{Value, json};

use super::{Options, PlanError, Target, build};
use crate::finding::Action;

fn user(name: &str, verdict: &str, root: &str, actions: &[&str], findings: &[&str]) -> Value {
    json!({
        "schema_version": 1, "user": name, "object_id": format!("oid-{name}"), "aliases": [],
        "root_cause": root, "contributing": [], "verdict": verdict, "confidence": 0.9,
        "first_seen": "2025-04-19T05:00:00Z", "last_seen": "2025-04-19T06:00:00Z",
        "actions": actions, "incident": null, "explanation": "why",
        "findings": findings, "evidence": [],
        "risk_state": "atRisk", "risk_level": "high", "risk_as_of": "2025-04-19T05:30:00Z",
    })
}

fn finding(id: &str, rule: &str, sources: &[&str], remedies: &[&str], compromise: bool, file: &str) -> Value {
    let mut f = json!({
        "schema_version": 1, "id": id, "rule": rule, "users": ["x"], "sources": sources,
        "window": {"start": "2025-04-19T05:00:00Z", "end": "2025-04-19T06:00:00Z"},
        "summary": format!("summary of {id}"), "confidence": 0.9,
        "evidence": [{"file": file, "line": 3, "time": "2025-04-19T05:00:00Z", "note": "n"}],
        "evidence_total": 1,
    });
    if compromise {
        f["compromise"] = json!(true);
    }
    if !remedies.is_empty() {
        f["remedies"] = json!(remedies);
    }
    f
}

fn write_case(dir: &Path, users: &[Value], findings: &[Value]) {
    let manifest = json!({
        "schema_version": 1, "tool": "lockscope test", "identities": 40,
        "window": {"start": "2025-04-17T00:00:00Z", "end": "2025-04-20T23:59:59.5Z"},
        "inputs": [
            {"file": "entra.json", "format": "json"},
            {"file": "DC01.xml", "format": "windows-xml"},
            {"file": "auth.log", "format": "syslog"},
        ],
    });
    std::fs::write(dir.join("case.json"), serde_json::to_vec_pretty(&manifest).expect("json")).expect("write");
    let lines = |rows: &[Value]| rows.iter().map(|r| format!("{r}\n")).collect::<String>();
    std::fs::write(dir.join("affected-users.jsonl"), lines(users)).expect("write");
    std::fs::write(dir.join("findings.jsonl"), lines(findings)).expect("write");
    let incidents = json!({"schema_version": 1, "incidents": [
        {"id": "inc-small", "kind": "provider-mass-revocation", "members": ["a", "b"]},
        {"id": "inc-big", "kind": "provider-mass-revocation", "members": ["a", "b", "c"]},
        {"id": "inc-spray", "kind": "password-spray", "members": ["a", "b", "c", "d"]},
    ]});
    std::fs::write(dir.join("incidents.json"), incidents.to_string()).expect("write");
}

fn sample(dir: &Path) {
    write_case(
        dir,
        &[
            user("fp@contoso.com", "false-positive", "provider-mass-revocation", &["confirm-safe"], &["f-fp"]),
            user(
                "bad@contoso.com",
                "compromised",
                "compromise-indicators",
                &["confirm-compromised", "revoke-sessions", "reset-password"],
                &["f-bad"],
            ),
            user("weak@contoso.com", "needs-review", "provider-mass-revocation", &["none"], &["f-weak", "f-weak2"]),
            user(
                "leak@contoso.com",
                "needs-review",
                "leaked-credentials",
                &["reset-password", "revoke-sessions"],
                &["f-leak"],
            ),
            user("live@contoso.com", "needs-review", "token-leaked", &["revoke-sessions"], &["f-live"]),
            user("typo@contoso.com", "benign", "user-error", &["none"], &["f-typo"]),
            user(
                "svc@contoso.com",
                "benign",
                "stale-credential",
                &["fix-stale-credential", "unlock-ad"],
                &["f-stale", "f-lock"],
            ),
            user(
                "root",
                "needs-review",
                "brute-force",
                &["block-source", "reset-faillock"],
                &["f-brute", "f-faillock"],
            ),
            // A tampered or future case: a user that needs review but whose actions clear it.
            user("tamper@contoso.com", "needs-review", "risk-block", &["confirm-safe", "dismiss-risk"], &["f-tamper"]),
            // A false positive that nonetheless carries a compromise indicator.
            user(
                "odd@contoso.com",
                "false-positive",
                "provider-mass-revocation",
                &["confirm-safe"],
                &["f-odd", "f-odd2"],
            ),
        ],
        &[
            finding("f-fp", "provider-mass-revocation", &["MACE"], &[], false, "entra.json"),
            finding("f-bad", "compromise-indicators", &[], &[], true, "entra.json"),
            finding("f-weak", "provider-mass-revocation", &[], &[], false, "entra.json"),
            finding("f-weak2", "compromise-indicators", &[], &[], false, "entra.json"),
            finding("f-leak", "leaked-credentials", &[], &[], false, "entra.json"),
            finding("f-live", "token-leaked", &[], &["revoke-sessions"], false, "entra.json"),
            finding("f-typo", "user-error", &[], &[], false, "entra.json"),
            finding(
                "f-stale",
                "stale-credential",
                &[r"C:\Windows\System32\svchost.exe on SRV-APP01"],
                &[],
                false,
                "DC01.xml",
            ),
            finding(
                "f-lock",
                "account-lockout",
                &[r"SRV-APP01.contoso.com (C:\Windows\System32\svchost.exe)"],
                &["unlock-ad"],
                false,
                "DC01.xml",
            ),
            finding("f-brute", "brute-force", &["203.0.113.9"], &[], false, "auth.log"),
            finding("f-faillock", "account-lockout", &["bastion01 (sshd)"], &["reset-faillock"], false, "auth.log"),
            finding("f-tamper", "risk-block", &[], &[], false, "entra.json"),
            finding("f-odd", "provider-mass-revocation", &[], &[], false, "entra.json"),
            finding("f-odd2", "compromise-indicators", &[], &[], true, "entra.json"),
        ],
    );
}

fn actions_of<'a>(plan: &'a super::Plan, user: &str) -> Vec<(Target, Action, Option<&'a str>)> {
    plan.items.iter().filter(|i| i.user == user).map(|i| (i.target, i.action, i.host.as_deref())).collect()
}

#[test]
fn the_remediation_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    sample(dir.path());
    let plan = build(dir.path(), &Options::default()).expect("plan");
    assert_eq!(actions_of(&plan, "fp@contoso.com"), vec![(Target::Entra, Action::ConfirmSafe, None)]);
    assert_eq!(
        actions_of(&plan, "bad@contoso.com"),
        vec![
            (Target::Entra, Action::ConfirmCompromised, None),
            (Target::Entra, Action::ResetPassword, None),
            (Target::Entra, Action::RevokeSessions, None)
        ]
    );
    assert_eq!(actions_of(&plan, "live@contoso.com"), vec![(Target::Entra, Action::RevokeSessions, None)]);
    assert_eq!(
        actions_of(&plan, "svc@contoso.com"),
        vec![
            (Target::Ad, Action::FixStaleCredential, Some("SRV-APP01")),
            (Target::Ad, Action::UnlockAd, Some("SRV-APP01.contoso.com"))
        ]
    );
    assert_eq!(actions_of(&plan, "root"), vec![(Target::Linux, Action::ResetFaillock, Some("bastion01"))]);
    for u in ["weak@contoso.com", "leak@contoso.com", "typo@contoso.com", "tamper@contoso.com", "odd@contoso.com"] {
        assert!(actions_of(&plan, u).is_empty(), "{u} gets nothing automatic");
    }
    let reason =
        |u: &str| plan.excluded.iter().find(|e| e.user == u).map(|e| e.reason.as_str()).unwrap_or("not excluded");
    assert_eq!(reason("weak@contoso.com"), "needs review: one compromise indicator; no automatic action");
    assert_eq!(reason("typo@contoso.com"), "benign: nothing to do (user-error)");
    assert!(reason("leak@contoso.com").contains("left to a person: reset-password, revoke-sessions"));
    assert!(reason("tamper@contoso.com").contains("left to a person: confirm-safe, dismiss-risk"));
    assert!(reason("odd@contoso.com").contains("never cleared"));
    assert_eq!(plan.excluded.len(), 5);
    // Header fields.
    assert_eq!(plan.identities, 40);
    assert_eq!(plan.mass_event.as_ref().map(|m| (m.incident.as_str(), m.members)), Some(("inc-big", 3)));
    assert_eq!(plan.created, "2025-04-20T23:59:59.5Z");
    assert!(plan.hash_is_valid());
    let fp = plan.items.iter().find(|i| i.user == "fp@contoso.com").expect("fp item");
    assert_eq!(fp.current_state.risk_state.as_deref(), Some("atRisk"));
    assert_eq!(fp.evidence.len(), 1);
    // Items are sorted by (target, action, user).
    let keys: Vec<(&str, &str, &str)> =
        plan.items.iter().map(|i| (i.target.as_str(), i.action.as_str(), i.user.as_str())).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn dismiss_replaces_confirm_safe() {
    let dir = tempfile::tempdir().expect("tempdir");
    sample(dir.path());
    let plan = build(dir.path(), &Options { dismiss: true }).expect("plan");
    assert_eq!(actions_of(&plan, "fp@contoso.com"), vec![(Target::Entra, Action::DismissRisk, None)]);
    assert!(!plan.items.iter().any(|i| i.action == Action::ConfirmSafe));
}

#[test]
fn the_plan_round_trips_and_its_hash_covers_the_content() {
    let dir = tempfile::tempdir().expect("tempdir");
    sample(dir.path());
    let plan = build(dir.path(), &Options::default()).expect("plan");
    let again = build(dir.path(), &Options::default()).expect("plan");
    assert_eq!(plan.to_json(), again.to_json(), "same case, same bytes");
    let back: super::Plan = serde_json::from_slice(&plan.to_json()).expect("plan.json reads back");
    assert_eq!(back, plan);
    let mut doc: Value = serde_json::from_slice(&plan.to_json()).expect("json");
    assert_eq!(super::hash_of_document(&doc), plan.hash);
    doc["items"][0]["action"] = json!("dismiss-risk");
    assert_ne!(super::hash_of_document(&doc), plan.hash, "an altered plan no longer matches its hash");
    // Any change to case.json changes the manifest digest, so the hash.
    let manifest = dir.path().join("case.json");
    let mut bytes = std::fs::read(&manifest).expect("read");
    bytes.push(b'\n');
    std::fs::write(&manifest, bytes).expect("write");
    assert_ne!(build(dir.path(), &Options::default()).expect("plan").hash, plan.hash);
}

#[test]
fn a_plan_that_clears_an_unsafe_user_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    sample(dir.path());
    let case = super::case_dir::CaseDir::read(dir.path()).expect("case");
    let plan = build(dir.path(), &Options::default()).expect("plan");
    for (user, action) in [
        ("bad@contoso.com", Action::ConfirmSafe),
        ("weak@contoso.com", Action::DismissRisk),
        ("odd@contoso.com", Action::ConfirmSafe),
        ("nobody@contoso.com", Action::ConfirmSafe),
    ] {
        let mut items = plan.items.clone();
        let mut forged = items[0].clone();
        forged.user = user.to_string();
        forged.action = action;
        items.push(forged);
        let err = super::build::check_no_unsafe_clear(&items, &case).expect_err("refused");
        assert!(matches!(err, PlanError::UnsafeClear { .. }), "{err}");
    }
    assert!(super::build::check_no_unsafe_clear(&plan.items, &case).is_ok());
}

#[test]
fn a_folder_that_is_not_a_case_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = build(dir.path(), &Options::default()).expect_err("no case.json");
    assert!(err.to_string().contains("case.json"), "{err}");
    sample(dir.path());
    std::fs::write(dir.path().join("findings.jsonl"), "{\"id\": 1}\n").expect("write");
    let err = build(dir.path(), &Options::default()).expect_err("bad findings");
    assert!(err.to_string().contains("findings.jsonl: line 1"), "{err}");
    std::fs::write(dir.path().join("case.json"), "{\"schema_version\": 2}").expect("write");
    assert!(matches!(build(dir.path(), &Options::default()), Err(PlanError::Schema { found: 2, .. })));
}
