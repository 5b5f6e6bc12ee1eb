//! `lockscope plan` end to end: on simulated tenants the plan clears exactly the provider's false
//! positives and none of the real compromises; its bytes and hash are stable and bound to the
//! case; its renderings of a frozen case are snapshotted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use super::{investigate, jsonl, lockscope, names, simulate};

/// Runs `lockscope plan CASE extra…`; returns the output and the plan written.
fn plan(case: &Path, extra: &[&str]) -> (Output, Value) {
    let mut args = vec!["plan", case.to_str().expect("utf-8")];
    args.extend_from_slice(extra);
    let out = lockscope(&args);
    assert!(matches!(out.status.code(), Some(0 | 1)), "plan failed: {}", String::from_utf8_lossy(&out.stderr));
    let path = extra
        .iter()
        .position(|a| *a == "-o")
        .and_then(|i| extra.get(i + 1))
        .map_or_else(|| case.join("plan.json"), PathBuf::from);
    let doc = serde_json::from_slice(&std::fs::read(path).expect("plan.json")).expect("plan json");
    (out, doc)
}

/// What a plan does, per user of the case (items are named by the account on their target).
struct Planned {
    /// Case user → (target, action, host) of its items.
    actions: BTreeMap<String, Vec<(String, String, Option<String>)>>,
    /// Case users excluded.
    excluded: BTreeSet<String>,
    /// Case user → truth row.
    truth: BTreeMap<String, Value>,
    /// The case's affected users.
    rows: Vec<Value>,
    /// Every name of a case user (lowercased) → the case user.
    canon: BTreeMap<String, String>,
}

impl Planned {
    fn read(data: &Path, case: &Path, plan: &Value) -> Self {
        let rows = jsonl(&case.join("affected-users.jsonl"));
        let mut canon: BTreeMap<String, String> = BTreeMap::new();
        for row in &rows {
            let user = row["user"].as_str().expect("user").to_string();
            for n in names(row) {
                canon.entry(n).or_insert_with(|| user.clone());
            }
        }
        let of =
            |name: &str| canon.get(&name.to_lowercase()).cloned().unwrap_or_else(|| panic!("{name} is no case user"));
        let mut actions: BTreeMap<String, Vec<(String, String, Option<String>)>> = BTreeMap::new();
        for i in plan["items"].as_array().expect("items") {
            let text = |k: &str| i[k].as_str().unwrap_or_default().to_string();
            actions.entry(of(&text("user"))).or_default().push((
                text("target"),
                text("action"),
                i["host"].as_str().map(str::to_string),
            ));
        }
        let excluded: BTreeSet<String> = plan["excluded"]
            .as_array()
            .expect("excluded")
            .iter()
            .map(|e| of(e["user"].as_str().expect("user")))
            .collect();
        let truth_doc: Value =
            serde_json::from_str(&std::fs::read_to_string(data.join("truth.json")).expect("truth")).expect("json");
        let mut truth = BTreeMap::new();
        for t in truth_doc["affected"].as_array().expect("affected") {
            if let Some(user) = names(t).iter().find_map(|n| canon.get(n)) {
                truth.insert(user.clone(), t.clone());
            }
        }
        Planned { actions, excluded, truth, rows, canon }
    }

    /// The case user an item acts on.
    fn user_of(&self, item: &Value) -> Option<&String> {
        self.canon.get(&item["user"].as_str()?.to_lowercase())
    }

    fn has(&self, user: &str, action: &str) -> bool {
        self.actions.get(user).is_some_and(|a| a.iter().any(|(_, x, _)| x == action))
    }

    fn users_with(&self, action: &str) -> BTreeSet<String> {
        self.actions.keys().filter(|u| self.has(u, action)).cloned().collect()
    }

    fn truth_with(&self, verdict: &str) -> BTreeSet<String> {
        self.truth.iter().filter(|(_, t)| t["verdict"] == verdict).map(|(u, _)| u.clone()).collect()
    }

    /// The remediation rules, checked against the simulator's labels: clear exactly the false
    /// positives (with `clear`), never a compromised or unreviewed user, never reset a false
    /// positive's password; every compromise confirmed, revoked and reset; every user planned or
    /// excluded, not both.
    fn check(&self, clear: &str, label: &str) {
        let cleared = self.users_with(clear);
        assert_eq!(
            cleared,
            self.truth_with("false-positive"),
            "{label}: {clear} must go to exactly the false positives"
        );
        let other = if clear == "confirm-safe" { "dismiss-risk" } else { "confirm-safe" };
        assert!(self.users_with(other).is_empty(), "{label}: {other} planned");
        for u in self.truth_with("compromised") {
            assert!(!cleared.contains(&u), "{label}: compromised {u} cleared");
            let row = self.rows.iter().find(|r| r["user"] == u.as_str()).expect("row");
            assert!(self.has(&u, "reset-password"), "{label}: compromised {u} keeps its password");
            if !row["object_id"].is_null() {
                assert!(self.has(&u, "confirm-compromised") && self.has(&u, "revoke-sessions"), "{label}: {u}");
            }
        }
        for u in self.truth_with("needs-review") {
            assert!(!cleared.contains(&u), "{label}: {u} needs review but is cleared");
            assert!(!self.has(&u, "reset-password") && !self.has(&u, "confirm-compromised"), "{label}: {u}");
        }
        for u in self.truth_with("false-positive") {
            assert!(!self.has(&u, "reset-password"), "{label}: false positive {u} gets a password reset");
        }
        for row in &self.rows {
            let u = row["user"].as_str().expect("user");
            assert!(
                self.actions.contains_key(u) != self.excluded.contains(u),
                "{label}: {u} must be either planned or excluded"
            );
            // Every lock the case says is still in force is planned to be cleared.
            for remedy in ["unlock-ad", "reset-faillock"] {
                if row["actions"].as_array().is_some_and(|a| a.iter().any(|x| x == remedy)) {
                    assert!(self.has(u, remedy), "{label}: {u} lacks {remedy}");
                }
            }
        }
    }
}

#[test]
fn the_plan_clears_exactly_the_false_positives() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (scenario, users, seed) in [("mace-2025", 120, 1), ("mace-2025", 120, 2), ("mixed", 120, 4)] {
        let label = format!("{scenario} seed {seed}");
        let data = simulate(dir.path(), scenario, users, seed);
        let case = dir.path().join(format!("case-{scenario}-{seed}"));
        assert_eq!(investigate(&data, &case, &[]).status.code(), Some(1), "{label}");
        let (out, doc) = plan(&case, &[]);
        assert_eq!(out.status.code(), Some(1), "{label}: a plan with actions exits 1");
        let planned = Planned::read(&data, &case, &doc);
        assert!(!planned.truth_with("false-positive").is_empty(), "{label}: a mass event to clear");
        assert!(!planned.truth_with("compromised").is_empty(), "{label}: real compromises hidden in it");
        planned.check("confirm-safe", &label);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("WARNING: this plan looks like a mass event"), "{label}: {stderr}");
        assert_eq!(doc["mass_event"]["incident"].as_str().map(|s| s.starts_with("inc-")), Some(true), "{label}");
        let identities = doc["identities"].as_u64().unwrap_or(0);
        assert!(identities >= users as u64, "{label}: {identities} identities");
        // --dismiss: the same users, dismissed instead.
        let alt = dir.path().join(format!("plan-dismiss-{scenario}-{seed}.json"));
        let (_, doc) = plan(&case, &["--dismiss", "-o", alt.to_str().expect("utf-8")]);
        Planned::read(&data, &case, &doc).check("dismiss-risk", &format!("{label} --dismiss"));
    }
}

#[test]
fn active_directory_and_linux_plans_name_their_hosts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = simulate(dir.path(), "ad-mixed", 80, 31);
    let case = dir.path().join("case-ad");
    let identities = data.join("identities.csv");
    assert_eq!(
        investigate(&data, &case, &["--identities", identities.to_str().expect("utf-8")]).status.code(),
        Some(1)
    );
    let (_, doc) = plan(&case, &["--render-dir", dir.path().join("r-ad").to_str().expect("utf-8")]);
    let planned = Planned::read(&data, &case, &doc);
    planned.check("confirm-safe", "ad-mixed");
    let short = |s: &str| s.split('.').next().unwrap_or(s).to_ascii_lowercase();
    let mut stale = 0;
    for (user, t) in &planned.truth {
        if t["root_cause"] != "stale-credential" {
            continue;
        }
        stale += 1;
        let caller = t["lockout"]["caller"].as_str().expect("caller");
        let item = doc["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["action"] == "fix-stale-credential" && i["target"] == "ad" && planned.user_of(i) == Some(user))
            .unwrap_or_else(|| panic!("{user}: no fix-stale-credential item"));
        let host = item["host"].as_str().unwrap_or_default();
        assert!(
            short(host) == short(caller) || item["reason"].as_str().is_some_and(|r| r.contains(caller)),
            "{user}: stale credential on {host}, truth says {caller}"
        );
        assert!(item["user"].as_str().is_some_and(|u| u.starts_with("contoso\\")), "AD items name the Windows account");
    }
    assert!(stale >= 2, "ad-mixed has stale credentials");
    let ad_script = std::fs::read_to_string(dir.path().join("r-ad/plan-ad.ps1")).expect("plan-ad.ps1");
    for i in doc["items"].as_array().expect("items").iter().filter(|i| i["action"] == "unlock-ad") {
        let sam = i["user"].as_str().and_then(|u| u.rsplit('\\').next()).expect("sam");
        assert!(ad_script.contains(&format!("Unlock-ADAccount -Identity '{sam}'")), "{sam} not unlocked:\n{ad_script}");
    }

    let data = simulate(dir.path(), "linux-mixed", 40, 41);
    let case = dir.path().join("case-linux");
    assert_eq!(investigate(&data, &case, &["--year", "2025"]).status.code(), Some(1));
    let (_, doc) = plan(&case, &["--render-dir", dir.path().join("r-linux").to_str().expect("utf-8")]);
    let planned = Planned::read(&data, &case, &doc);
    planned.check("confirm-safe", "linux-mixed");
    let faillock: Vec<&Value> =
        doc["items"].as_array().expect("items").iter().filter(|i| i["action"] == "reset-faillock").collect();
    assert!(!faillock.is_empty(), "linux-mixed leaves a faillock lock in force");
    let sh = std::fs::read_to_string(dir.path().join("r-linux/plan.sh")).expect("plan.sh");
    for i in faillock {
        let user = i["user"].as_str().expect("user");
        let truth_host = planned.truth.get(user).and_then(|t| t["lockout"]["host"].as_str()).expect("truth host");
        assert_eq!(i["host"].as_str(), Some(truth_host), "{user}: faillock reset on the locked host");
        assert!(
            sh.contains(&format!("ssh -- '{truth_host}' 'sudo faillock --user '\\''{user}'\\'' --reset'")),
            "{user} on {truth_host}:\n{sh}"
        );
    }
}

#[test]
fn the_plan_is_stable_and_bound_to_its_case() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = simulate(dir.path(), "mace-2025", 60, 5);
    let case = dir.path().join("case");
    assert_eq!(investigate(&data, &case, &[]).status.code(), Some(1));
    let render = |name: &str| {
        let r = dir.path().join(name);
        let (_, doc) = plan(&case, &["--render-dir", r.to_str().expect("utf-8")]);
        let mut files: Vec<(String, Vec<u8>)> =
            vec![("plan.json".into(), std::fs::read(case.join("plan.json")).expect("plan"))];
        for f in ["plan.ps1", "plan-batch.json", "plan-ad.ps1", "plan.sh"] {
            files.push((f.into(), std::fs::read(r.join(f)).expect("rendering")));
        }
        (doc, files)
    };
    let (first, files_a) = render("r1");
    let (second, files_b) = render("r2");
    assert_eq!(files_a, files_b, "same case, same bytes");
    assert_eq!(first, second);
    let hash = first["hash"].as_str().expect("hash").to_string();
    assert_eq!(lockscope::plan::hash_of_document(&first), hash, "the hash is the canonical JSON's");
    assert!(hash.starts_with("sha256:") && hash.len() == 71);
    assert_eq!(
        first["case"]["manifest_sha256"].as_str(),
        Some(lockscope::plan::sha256_hex(&std::fs::read(case.join("case.json")).expect("case.json")).as_str())
    );
    // An edited plan no longer matches its hash.
    let mut edited = first.clone();
    edited["items"][0]["user"] = Value::String("someone.else@contoso.com".into());
    assert_ne!(lockscope::plan::hash_of_document(&edited), hash);
    // One byte of affected-users.jsonl (a planned user's object id) changes the plan's hash.
    let users_file = case.join("affected-users.jsonl");
    let original = std::fs::read(&users_file).expect("read");
    let oid = first["items"][0]["object_id"].as_str().expect("object id").to_string();
    let at =
        original.windows(oid.len()).position(|w| w == oid.as_bytes()).expect("object id in the file") + oid.len() - 1;
    let mut changed = original.clone();
    changed[at] = if changed[at] == b'0' { b'1' } else { b'0' };
    std::fs::write(&users_file, &changed).expect("write");
    let (third, _) = render("r3");
    assert_ne!(third["hash"].as_str(), Some(hash.as_str()), "the hash follows the case");
    std::fs::write(&users_file, &original).expect("restore");
    let (fourth, _) = render("r4");
    assert_eq!(fourth["hash"].as_str(), Some(hash.as_str()));
}

#[test]
fn plan_renderings_of_a_fixed_case_match_snapshots() {
    // Relative paths throughout, so that the bytes (the hash covers the case path and case.json,
    // which names the inputs) do not depend on where the repository or the temporary folder is.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = tempfile::tempdir().expect("tempdir");
    let case = dir.path().join("case");
    let out = Command::new(env!("CARGO_BIN_EXE_lockscope"))
        .current_dir(&root)
        .args(["investigate", "fixtures/e2e/mace-mini", "-o", case.to_str().expect("utf-8")])
        .env("NO_COLOR", "1")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(env!("CARGO_BIN_EXE_lockscope"))
        .current_dir(dir.path())
        .args(["plan", "case", "--render-dir", "rendered", "--format", "json"])
        .env("NO_COLOR", "1")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let written = std::fs::read(case.join("plan.json")).expect("plan.json");
    assert_eq!(out.stdout, written, "--format json prints plan.json");
    let doc: Value = serde_json::from_slice(&written).expect("json");
    // The two users with hostile names are benign and excluded; nobody is cleared but the
    // provider's false positives.
    for e in doc["excluded"].as_array().expect("excluded") {
        let u = e["user"].as_str().unwrap_or_default();
        if u.contains('<') || u.contains('=') {
            assert!(e["reason"].as_str().is_some_and(|r| r.starts_with("benign")), "{e}");
        }
    }
    for name in ["plan.ps1", "plan-batch.json", "plan-ad.ps1", "plan.sh"] {
        let text = std::fs::read_to_string(dir.path().join("rendered").join(name)).expect("rendering");
        insta::assert_snapshot!(name.replace(['.', '-'], "_"), text);
    }
}
