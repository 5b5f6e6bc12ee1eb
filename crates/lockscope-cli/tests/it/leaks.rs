//! Leaked tokens end to end. The simulator writes an application log holding some users'
//! access tokens (`--leaked-tokens`). `investigate` must then find every token and name its
//! owner. It must trace each token to the sign-in that issued it and tell dead, expired and live
//! tokens apart. No other user's verdict may change.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{investigate, jsonl, lockscope, score};

/// Simulates `scenario` into `dir/name` with `leaked` leaked tokens.
fn simulate(dir: &Path, name: &str, scenario: &str, users: usize, seed: u64, leaked: u32) -> PathBuf {
    let data = dir.join(name);
    let out = lockscope(&[
        "simulate",
        "--scenario",
        scenario,
        "--users",
        &users.to_string(),
        "--seed",
        &seed.to_string(),
        "--leaked-tokens",
        &leaked.to_string(),
        "-o",
        data.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "simulate failed: {}", String::from_utf8_lossy(&out.stderr));
    data
}

fn truth(data: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(data.join("truth.json")).expect("truth")).expect("json")
}

/// Affected users by UPN.
fn affected(case: &Path) -> BTreeMap<String, Value> {
    jsonl(&case.join("affected-users.jsonl"))
        .into_iter()
        .map(|u| (u["user"].as_str().expect("user").to_string(), u))
        .collect()
}

/// (root cause, verdict, actions) of an affected user.
fn outcome(u: &Value) -> (String, String, Vec<String>) {
    let text = |k: &str| u[k].as_str().unwrap_or_default().to_string();
    let actions = u["actions"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect();
    (text("root_cause"), text("verdict"), actions)
}

/// The text of the record an evidence item cites: its line, or its element of a JSON array or
/// Graph page (1-based).
fn cited(ev: &Value) -> String {
    let path = ev["file"].as_str().expect("evidence file");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    if let Some(line) = ev["line"].as_u64() {
        return text.lines().nth(line as usize - 1).unwrap_or_default().to_string();
    }
    let record = ev["record"].as_u64().unwrap_or_else(|| panic!("{ev}: neither line nor record")) as usize;
    let doc: Value = serde_json::from_str(&text).expect("json input");
    let items = doc.get("value").unwrap_or(&doc).as_array().expect("array of records");
    items[record - 1].to_string()
}

/// What the evidence note of a token says for each truth status.
fn status_text(status: &str) -> &'static str {
    match status {
        "dead" => "; dead: issued before the ",
        "expired" => "; expired ",
        "live" => "; still valid at the end of the logs",
        other => panic!("unknown status {other:?}"),
    }
}

#[test]
fn leaked_tokens_are_found_traced_and_classified() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut fp_kept = 0;
    for (scenario, users, seed) in [("mace-2025", 80, 1), ("mace-2025", 80, 2), ("mixed", 150, 3)] {
        let tag = format!("{scenario}-{seed}");
        let data = simulate(dir.path(), &format!("data-{tag}"), scenario, users, seed, 8);
        let plain = simulate(dir.path(), &format!("plain-{tag}"), scenario, users, seed, 0);
        assert!(data.join("app/api-gateway.log").is_file(), "{tag}: no app log");
        assert!(!plain.join("app").exists(), "{tag}: an app log without --leaked-tokens");
        let case = dir.path().join(format!("case-{tag}"));
        let plain_case = dir.path().join(format!("plain-case-{tag}"));
        for (d, c) in [(&data, &case), (&plain, &plain_case)] {
            let out = investigate(d, c, &[]);
            assert_eq!(out.status.code(), Some(1), "{tag}: {}", String::from_utf8_lossy(&out.stderr));
        }

        let t = truth(&data);
        let mut bare = t.clone();
        bare.as_object_mut().expect("object").remove("leaked_tokens");
        assert_eq!(bare, truth(&plain), "{tag}: the leaks change nothing else in truth.json");
        let leaks = t["leaked_tokens"].as_array().expect("leaked_tokens");
        assert_eq!(leaks.len(), 8, "{tag}");
        let statuses: BTreeSet<&str> = leaks.iter().filter_map(|l| l["status"].as_str()).collect();
        assert_eq!(statuses, BTreeSet::from(["dead", "expired", "live"]), "{tag}: every status is told");
        let labels: BTreeMap<&str, &Value> = t["affected"]
            .as_array()
            .expect("affected")
            .iter()
            .map(|r| (r["user"].as_str().expect("user"), r))
            .collect();

        let secrets = jsonl(&case.join("secrets.jsonl"));
        let findings = jsonl(&case.join("findings.jsonl"));
        let got = affected(&case);
        let before = affected(&plain_case);
        let mut leaked_users = BTreeSet::new();
        for leak in leaks {
            let user = leak["user"].as_str().expect("user");
            let (file, line) = (leak["file"].as_str().expect("file"), leak["line"].as_u64().expect("line"));
            let request = leak["request_id"].as_str().expect("request_id");
            let status = leak["status"].as_str().expect("status");
            let what = format!("{tag}: {user}'s {status} token at {file}:{line}");
            leaked_users.insert(user.to_string());

            // The scanner found it where truth says and resolved its owner.
            let secret = secrets
                .iter()
                .find(|s| s["file"].as_str().is_some_and(|f| f.ends_with(file)) && s["line"] == line)
                .unwrap_or_else(|| panic!("{what}: not in secrets.jsonl"));
            assert_eq!(secret["owner"], user, "{what}: owner");
            assert_eq!(secret["token"]["request_id"], request, "{what}: uti decodes to the issuing request id");

            // The token-leaked finding cites the log line with the right status and the sign-in
            // that issued the token.
            let finding = findings
                .iter()
                .find(|f| {
                    f["rule"] == "token-leaked" && f["users"].as_array().is_some_and(|u| u.iter().any(|u| u == user))
                })
                .unwrap_or_else(|| panic!("{what}: no token-leaked finding"));
            let evidence = finding["evidence"].as_array().expect("evidence");
            let at_line = evidence
                .iter()
                .find(|e| e["file"].as_str().is_some_and(|f| f.ends_with(file)) && e["line"] == line)
                .unwrap_or_else(|| panic!("{what}: evidence does not cite the log line: {evidence:#?}"));
            let note = at_line["note"].as_str().expect("note");
            assert!(note.contains(status_text(status)), "{what}: note {note:?}");
            let issuing = evidence
                .iter()
                .find(|e| e["note"].as_str().is_some_and(|n| n.starts_with("issued this leaked token")))
                .unwrap_or_else(|| panic!("{what}: evidence does not cite the issuing sign-in: {evidence:#?}"));
            assert!(issuing["note"].as_str().is_some_and(|n| n.contains("sign-in succeeded")), "{what}: {issuing}");
            assert!(cited(issuing).contains(request), "{what}: {issuing} is not sign-in {request}");

            // Verdicts: a live token is never cleared; anything else leaves the verdict alone.
            let row = got.get(user).unwrap_or_else(|| panic!("{what}: not an affected user"));
            let (root, verdict, actions) = outcome(row);
            if status == "live" {
                assert!(actions.iter().any(|a| a == "revoke-sessions"), "{what}: actions {actions:?}");
                assert_ne!(verdict, "false-positive", "{what}");
                assert!(!actions.iter().any(|a| a == "confirm-safe"), "{what}: actions {actions:?}");
            } else if let Some(old) = before.get(user) {
                assert_eq!((root, verdict, actions), outcome(old), "{what}: verdict changed");
            } else {
                assert_eq!((root.as_str(), verdict.as_str()), ("token-leaked", "benign"), "{what}");
                assert!(!actions.iter().any(|a| a == "revoke-sessions"), "{what}: actions {actions:?}");
            }
            if status == "dead" && labels.get(user).is_some_and(|l| l["verdict"] == "false-positive") {
                let (_, verdict, actions) = outcome(row);
                assert_eq!((verdict.as_str(), actions), ("false-positive", vec!["confirm-safe".to_string()]), "{what}");
                fp_kept += 1;
            }
        }
        // The app log's ordinary lines hold no secret.
        let in_log = secrets.iter().filter(|s| s["file"].as_str().is_some_and(|f| f.ends_with("app/api-gateway.log")));
        assert_eq!(in_log.count(), leaks.len(), "{tag}: only the leaked tokens are secrets in the app log");

        // Everyone else is explained exactly as without the leaks, and as accurately.
        let others: BTreeSet<&String> =
            got.keys().chain(before.keys()).filter(|u| !leaked_users.contains(*u)).collect();
        for user in others {
            assert_eq!(
                got.get(user).map(outcome),
                before.get(user).map(outcome),
                "{tag}: {user} is not leaked but changed"
            );
        }
        let (right, total, problems) = score(&data, &case);
        let (right_before, _, _) = score(&plain, &plain_case);
        assert_eq!(right, right_before, "{tag}: accuracy changed: {problems:#?}");
        assert!(problems.iter().all(|p| !p.starts_with("missed")), "{tag}: {right}/{total}: {problems:#?}");
    }
    assert!(fp_kept >= 3, "mass-revocation false positives with dead tokens stay cleared ({fp_kept})");
}
