//! `lockscope apply` and `lockscope collect entra` against the local mock Graph (never the
//! internet): a simulated MACE tenant is investigated, planned and applied; and collected back
//! from the mock, investigated, and compared with investigating the simulated files directly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use lockscope_graph::mock::{Dataset, MOCK_TOKEN, MockGraph};
use serde_json::Value;

use super::{investigate, jsonl, lockscope};

/// Runs `lockscope` against `mock` with its token.
fn graph(mock: &MockGraph, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lockscope"))
        .args(args)
        .args(["--graph-url", &mock.url(), "--login-url", &mock.url()])
        .env("NO_COLOR", "1")
        .env("LOCKSCOPE_GRAPH_TOKEN", MOCK_TOKEN)
        .env_remove("LOCKSCOPE_CLIENT_SECRET")
        .output()
        .expect("run lockscope")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A MACE tenant in the diagnostic layout (every family's `properties` is the Graph object).
fn simulate_diagnostic(dir: &Path, seed: u64) -> PathBuf {
    let data = dir.join("data");
    let out = lockscope(&[
        "simulate",
        "--scenario",
        "mace-2025",
        "--users",
        "150",
        "--seed",
        &seed.to_string(),
        "--layout",
        "diagnostic",
        "-o",
        data.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "simulate: {}", text(&out.stderr));
    data
}

/// `confirmSafe` calls the mock answered 204, as their sizes.
fn confirm_safe_sizes(mock: &MockGraph) -> Vec<usize> {
    mock.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/riskyUsers/confirmSafe") && r.status == 204)
        .map(|r| r.body.as_ref().and_then(|b| b["userIds"].as_array().map(Vec::len)).unwrap_or(0))
        .collect()
}

#[test]
fn apply_a_plan_of_a_simulated_mace_tenant() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = simulate_diagnostic(tmp.path(), 7);
    let case = tmp.path().join("case");
    assert_eq!(investigate(&data, &case, &[]).status.code(), Some(1));
    let plan = tmp.path().join("plan.json");
    let p = plan.to_str().expect("utf-8");
    let out = lockscope(&["plan", case.to_str().expect("utf-8"), "-o", p]);
    assert!(out.status.code().is_some_and(|c| c < 2), "plan: {}", text(&out.stderr));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&plan).expect("plan")).expect("plan json");
    let safe: Vec<(&str, &str)> = doc["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["action"] == "confirm-safe")
        .filter_map(|i| Some((i["user"].as_str()?, i["object_id"].as_str()?)))
        .collect();
    assert_eq!(safe.len(), 43);
    let (silent_upn, silent_id) = safe[3];

    let mock = MockGraph::start(Dataset::load_dir(&data).expect("load")).expect("mock");
    mock.ignore_actions_for(silent_id);

    let out = graph(&mock, &["apply", p, "--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("confirmSafe — 43 users"), "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("WARNING: this plan answers a mass event"), "{}", text(&out.stderr));

    let out = graph(&mock, &["apply", p]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("circuit breaker"), "{}", text(&out.stderr));
    assert!(mock.requests().iter().all(|r| r.method != "POST"));

    mock.throttle_matching("/riskyUsers/confirmSafe", 2, 429, Some("1"));
    let args = ["apply", p, "--confirm", "--batch-size", "20", "--verify-wait", "0", "--verify-attempts", "1"];
    let out = graph(&mock, &args);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("confirm-safe {silent_upn}")), "{stdout}");
    assert!(stdout.contains("reset-password"), "{stdout}");
    assert!(stderr.contains("did not take effect") && stderr.contains(silent_upn), "{stderr}");
    assert_eq!(confirm_safe_sizes(&mock), vec![20, 20, 3]);
    assert!(Path::new(&format!("{p}.journal.jsonl")).exists());

    mock.clear_log();
    let out = graph(&mock, &args);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(confirm_safe_sizes(&mock), vec![1], "only the user that did not take is tried again");
    assert_eq!(mock.requests().iter().filter(|r| r.method == "POST").count(), 1);
}

/// user → (root cause, verdict, actions) of a case folder.
fn verdicts(case: &Path) -> BTreeMap<String, (Value, Value, Value)> {
    jsonl(&case.join("affected-users.jsonl"))
        .into_iter()
        .map(|u| {
            (
                u["user"].as_str().unwrap_or("").to_string(),
                (u["root_cause"].clone(), u["verdict"].clone(), u["actions"].clone()),
            )
        })
        .collect()
}

#[test]
fn collect_then_investigate_gives_the_same_verdicts() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = simulate_diagnostic(tmp.path(), 11);
    let mock = MockGraph::start(Dataset::load_dir(&data).expect("load")).expect("mock");
    mock.set_page_size(300);
    mock.throttle(2, 503, Some("1"));
    let out_dir = tmp.path().join("graph");
    let o = out_dir.to_str().expect("utf-8");
    let args = ["collect", "entra", "--since", "2025-04-17T00:00:00Z", "--until", "2025-04-21T00:00:00Z", "-o", o];
    let out = graph(&mock, &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("signIns-nonInteractive") && stdout.contains("riskyUserHistory"), "{stdout}");
    assert!(out_dir.join(".collect-state.json").exists());

    let direct = tmp.path().join("case-direct");
    let collected = tmp.path().join("case-collected");
    assert_eq!(investigate(&data, &direct, &[]).status.code(), Some(1));
    let out = investigate(&out_dir, &collected, &["--strict"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let (a, b) = (verdicts(&direct), verdicts(&collected));
    assert_eq!(a.len(), 45);
    assert_eq!(a, b);

    // Running it again finds every task done and asks Graph for nothing.
    mock.clear_log();
    let out = graph(&mock, &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(mock.requests().is_empty());
}
