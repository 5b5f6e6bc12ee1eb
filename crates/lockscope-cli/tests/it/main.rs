//! End-to-end tests of the `lockscope` binary: accuracy against simulated ground truth,
//! determinism across thread counts, exit codes, and what users see.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

mod damaged;
mod exports;
mod graph;
mod html;
mod leaks;
mod output_safety;
mod plan;
mod secrets;

fn lockscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lockscope"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("LOCKSCOPE_FINGERPRINT_KEY")
        .output()
        .expect("run lockscope")
}

fn simulate(dir: &Path, scenario: &str, users: usize, seed: u64) -> PathBuf {
    let data = dir.join(format!("data-{scenario}-{seed}"));
    let out = lockscope(&[
        "simulate",
        "--scenario",
        scenario,
        "--users",
        &users.to_string(),
        "--seed",
        &seed.to_string(),
        "-o",
        data.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "simulate failed: {}", String::from_utf8_lossy(&out.stderr));
    data
}

fn investigate(data: &Path, case: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["investigate", data.to_str().expect("utf-8"), "-o", case.to_str().expect("utf-8")];
    args.extend_from_slice(extra);
    lockscope(&args)
}

fn jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path).expect("read").lines().map(|l| serde_json::from_str(l).expect("json line")).collect()
}

/// The names a row goes by, lowercased: its `user`, then its `aliases` (truth rows of people with
/// a Windows account list `contoso\\sam`, `sam` and the SID; affected users list every other name).
fn names(row: &Value) -> Vec<String> {
    std::iter::once(&row["user"])
        .chain(row["aliases"].as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .map(str::to_lowercase)
        .collect()
}

/// Compares a case with the simulator's truth; returns (right root causes, truth users). A truth
/// row matches the affected user one of whose names (`user` or `aliases`) is one of its own.
fn score(data: &Path, case: &Path) -> (usize, usize, Vec<String>) {
    let truth: Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("truth.json")).expect("truth")).expect("json");
    let rows = jsonl(&case.join("affected-users.jsonl"));
    let mut got: BTreeMap<String, &Value> = BTreeMap::new();
    for row in &rows {
        for name in names(row) {
            got.entry(name).or_insert(row);
        }
    }
    let mut right = 0;
    let mut problems = Vec::new();
    let affected = truth["affected"].as_array().expect("affected");
    for t in affected {
        let user = t["user"].as_str().expect("user");
        let Some(g) = names(t).iter().find_map(|n| got.get(n).copied()) else {
            problems.push(format!("missed {user} ({})", t["root_cause"]));
            continue;
        };
        if g["root_cause"] == t["root_cause"] {
            right += 1;
        } else {
            problems.push(format!("{user}: root cause {} (truth {})", g["root_cause"], t["root_cause"]));
        }
        if t["verdict"] == "compromised" {
            let actions = g["actions"].as_array().expect("actions");
            assert_ne!(g["verdict"], "false-positive", "compromised user {user} cleared");
            assert!(
                !actions.iter().any(|a| a == "confirm-safe" || a == "dismiss-risk"),
                "compromised user {user} given {actions:?}"
            );
        }
    }
    (right, affected.len(), problems)
}

#[test]
fn verdicts_match_the_simulated_truth() {
    let dir = tempfile::tempdir().expect("tempdir");
    for seed in [1, 2, 3] {
        let data = simulate(dir.path(), "mixed", 150, seed);
        let case = dir.path().join(format!("case-{seed}"));
        let out = investigate(&data, &case, &[]);
        assert_eq!(out.status.code(), Some(1), "stderr: {}", String::from_utf8_lossy(&out.stderr));
        let (right, total, problems) = score(&data, &case);
        let missed = problems.iter().filter(|p| p.starts_with("missed")).count();
        assert_eq!(missed, 0, "seed {seed}: every affected user must be found: {problems:#?}");
        assert!(right as f64 >= 0.95 * total as f64, "seed {seed}: {right}/{total} right root causes: {problems:#?}");
        let truth: Value =
            serde_json::from_str(&std::fs::read_to_string(data.join("truth.json")).expect("truth")).expect("json");
        let extra = jsonl(&case.join("affected-users.jsonl")).len() - total;
        let users = truth["users_total"].as_u64().unwrap_or(0) as usize;
        assert!(extra * 20 <= users, "seed {seed}: {extra} users flagged that truth does not list");
    }
}

#[test]
fn verdicts_do_not_depend_on_the_export_layout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut verdicts = Vec::new();
    for layout in ["graph", "diagnostic", "log-analytics", "portal", "mixed"] {
        let data = dir.path().join(format!("data-{layout}"));
        let out = lockscope(&[
            "simulate",
            "--scenario",
            "mixed",
            "--users",
            "120",
            "--seed",
            "21",
            "--layout",
            layout,
            "-o",
            data.to_str().expect("utf-8"),
        ]);
        assert!(out.status.success(), "{layout}: simulate failed: {}", String::from_utf8_lossy(&out.stderr));
        let case = dir.path().join(format!("case-{layout}"));
        let out = investigate(&data, &case, &[]);
        assert_eq!(out.status.code(), Some(1), "{layout}: {}", String::from_utf8_lossy(&out.stderr));
        let (right, total, problems) = score(&data, &case);
        let missed = problems.iter().filter(|p| p.starts_with("missed")).count();
        assert_eq!(missed, 0, "{layout}: every affected user must be found: {problems:#?}");
        assert!(right as f64 >= 0.95 * total as f64, "{layout}: {right}/{total} right root causes: {problems:#?}");
        let mut triples: Vec<(String, String, String)> = jsonl(&case.join("affected-users.jsonl"))
            .iter()
            .map(|u| {
                let text = |k: &str| u[k].as_str().unwrap_or_default().to_string();
                (text("user"), text("root_cause"), text("verdict"))
            })
            .collect();
        triples.sort();
        verdicts.push((layout, triples));
    }
    let (_, graph) = &verdicts[0];
    for (layout, triples) in &verdicts[1..] {
        let only_graph: Vec<_> = graph.iter().filter(|t| !triples.contains(t)).collect();
        let only_here: Vec<_> = triples.iter().filter(|t| !graph.contains(t)).collect();
        assert!(
            only_graph.is_empty() && only_here.is_empty(),
            "{layout} differs from graph: graph only {only_graph:#?}, {layout} only {only_here:#?}"
        );
    }
}

#[test]
fn each_scenario_alone_is_explained() {
    let dir = tempfile::tempdir().expect("tempdir");
    for scenario in ["mace-2025", "password-spray", "stale-credential"] {
        let data = simulate(dir.path(), scenario, 80, 11);
        let case = dir.path().join(format!("case-{scenario}"));
        assert_eq!(investigate(&data, &case, &[]).status.code(), Some(1));
        let (right, total, problems) = score(&data, &case);
        assert!(total > 0 && right as f64 >= 0.95 * total as f64, "{scenario}: {right}/{total}: {problems:#?}");
    }
}

/// Whether an `account-lockout` finding traces the lockout to where truth says it came from:
/// its sources hold the caller computer (any case, with or without the domain suffix or a
/// process after it), or its summary names the caller, the source host or address, or the
/// process.
fn traces(finding: &Value, lockout: &Value) -> bool {
    let short = |s: &str| s.split([' ', '.']).next().unwrap_or(s).to_ascii_lowercase();
    let caller = lockout["caller"].as_str();
    let in_sources = finding["sources"].as_array().into_iter().flatten().filter_map(Value::as_str).any(|s| {
        caller.is_some_and(|c| short(s) == short(c)) || lockout["source"].as_str().is_some_and(|src| s.starts_with(src))
    });
    let summary = finding["summary"].as_str().unwrap_or_default().to_ascii_lowercase();
    let named = [&lockout["caller"], &lockout["source"], &lockout["process"]]
        .into_iter()
        .filter_map(Value::as_str)
        .any(|n| summary.contains(&n.to_ascii_lowercase()));
    in_sources || named
}

#[test]
fn ad_lockouts_are_traced_to_their_source() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = simulate(dir.path(), "ad-mixed", 80, 31);
    let case = dir.path().join("case");
    let identities = data.join("identities.csv");
    let out = investigate(&data, &case, &["--identities", identities.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let (right, total, problems) = score(&data, &case);
    let missed = problems.iter().filter(|p| p.starts_with("missed")).count();
    assert_eq!(missed, 0, "every affected user must be found: {problems:#?}");
    assert!(right as f64 >= 0.95 * total as f64, "{right}/{total} right root causes: {problems:#?}");
    let truth: Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("truth.json")).expect("truth")).expect("json");
    let findings = jsonl(&case.join("findings.jsonl"));
    let mut untraced = Vec::new();
    let mut lockouts = 0;
    for t in truth["affected"].as_array().expect("affected").iter().filter(|t| t["lockout"].is_object()) {
        lockouts += 1;
        let user = t["user"].as_str().expect("user");
        let finding = findings.iter().find(|f| {
            f["rule"] == "account-lockout" && f["users"].as_array().is_some_and(|u| u.iter().any(|u| u == user))
        });
        match finding {
            Some(f) if traces(f, &t["lockout"]) => {}
            Some(f) => untraced.push(format!("{user}: {} does not name {}", f["summary"], t["lockout"])),
            None => untraced.push(format!("{user}: no account-lockout finding ({})", t["lockout"])),
        }
    }
    assert!(lockouts >= 4, "stale credentials and a brute force lock accounts: {lockouts}");
    assert!(untraced.is_empty(), "lockouts not traced to their caller: {untraced:#?}");
}

#[test]
fn linux_attacks_are_explained() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = simulate(dir.path(), "linux-mixed", 40, 41);
    let case = dir.path().join("case");
    // RFC 3164 lines carry no year; the simulator sets each file's mtime to its last line, and
    // --year says it outright.
    let out = investigate(&data, &case, &["--year", "2025"]);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let (right, total, problems) = score(&data, &case);
    let missed = problems.iter().filter(|p| p.starts_with("missed")).count();
    assert_eq!(missed, 0, "every affected account must be found: {problems:#?}");
    assert!(right as f64 >= 0.95 * total as f64, "{right}/{total} right root causes: {problems:#?}");
    let truth: Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("truth.json")).expect("truth")).expect("json");
    let findings = jsonl(&case.join("findings.jsonl"));
    let brute: Vec<&Value> =
        truth["affected"].as_array().expect("affected").iter().filter(|t| t["root_cause"] == "brute-force").collect();
    assert!(!brute.is_empty(), "linux-mixed has a brute force");
    for t in brute {
        let (user, ip) = (t["user"].as_str().expect("user"), t["source"].as_str().expect("attacker"));
        let finding = findings
            .iter()
            .find(|f| f["rule"] == "brute-force" && f["users"].as_array().is_some_and(|u| u.iter().any(|u| u == user)));
        let sources: Vec<&str> = finding
            .and_then(|f| f["sources"].as_array())
            .map(|s| s.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        assert!(sources.contains(&ip), "{user}: brute-force sources {sources:?} lack the attacker {ip}");
    }
}

#[test]
fn output_is_identical_for_any_thread_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = simulate(dir.path(), "mixed", 100, 5);
    let one = dir.path().join("one");
    let many = dir.path().join("many");
    let run = |case: &Path, threads: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_lockscope"))
            .args([
                "--threads",
                threads,
                "investigate",
                data.to_str().expect("utf-8"),
                "-o",
                case.to_str().expect("utf-8"),
                "--events",
            ])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(1));
        out.stdout
    };
    assert_eq!(run(&one, "1"), run(&many, "4"), "summary differs");
    let mut names: Vec<_> = std::fs::read_dir(&one).expect("dir").map(|e| e.expect("entry").file_name()).collect();
    names.sort();
    assert!(names.len() >= 8, "{names:?}");
    for name in names {
        let a = std::fs::read(one.join(&name)).expect("read");
        let b = std::fs::read(many.join(&name)).expect("read");
        assert!(a == b, "{name:?} differs between 1 and 4 threads");
    }
}

#[test]
fn exit_codes_and_strict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let quiet = dir.path().join("quiet.jsonl");
    std::fs::write(&quiet, "{\"id\":\"1\",\"createdDateTime\":\"2025-04-19T05:00:00Z\",\"userPrincipalName\":\"a@b.com\",\"appId\":\"x\",\"ipAddress\":\"10.0.0.1\",\"status\":{\"errorCode\":0}}\n").expect("write");
    let case = dir.path().join("case");
    let ok = investigate(&quiet, &case, &[]);
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    let broken = dir.path().join("broken.jsonl");
    std::fs::write(&broken, "{\"id\":\"1\",\"createdDateTime\":\"2025-04-19T05:00:00Z\",\"userPrincipalName\":\"a@b.com\",\"appId\":\"x\",\"ipAddress\":\"10.0.0.1\",\"status\":{\"errorCode\":0}}\n{not json\n").expect("write");
    assert_eq!(investigate(&broken, &case, &[]).status.code(), Some(0));
    let strict = investigate(&broken, &case, &["--strict"]);
    assert_eq!(strict.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&strict.stderr).contains("--strict"));
    let missing = investigate(Path::new("/no/such/path"), &case, &[]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/no/such/path"));
}

#[test]
fn stdin_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = dir.path().join("case");
    let mut child = Command::new(env!("CARGO_BIN_EXE_lockscope"))
        .args(["investigate", "-", "-o", case.to_str().expect("utf-8"), "--format", "json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let line = "{\"id\":\"1\",\"createdDateTime\":\"2025-04-19T05:00:00Z\",\"userPrincipalName\":\"a@b.com\",\"appId\":\"x\",\"ipAddress\":\"10.0.0.1\",\"status\":{\"errorCode\":50057}}\n";
    std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), line.as_bytes()).expect("write");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json summary");
    assert_eq!(doc["users"][0]["root_cause"], "account-disabled");
}

#[test]
fn case_folder_from_a_fixed_input_matches_snapshots() {
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/e2e/mace-mini");
    let dir = tempfile::tempdir().expect("tempdir");
    let case = dir.path().join("case");
    let out = investigate(&fixture, &case, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let root = fixture.parent().and_then(Path::parent).map(|p| p.display().to_string()).unwrap_or_default();
    let clean = |s: String| s.replace(&root, "[fixtures]");
    insta::assert_snapshot!("summary", clean(String::from_utf8_lossy(&out.stdout).into_owned()));
    insta::assert_snapshot!("report_md", clean(std::fs::read_to_string(case.join("report.md")).expect("report")));
    insta::assert_snapshot!(
        "affected_users_csv",
        clean(std::fs::read_to_string(case.join("affected-users.csv")).expect("csv"))
    );
}

#[test]
fn help_lists_examples_and_exit_codes() {
    let out = lockscope(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Examples:") && text.contains("Exit status"));
}
