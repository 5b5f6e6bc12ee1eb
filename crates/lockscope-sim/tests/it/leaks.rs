//! Leaked access tokens (`Config::leaked_tokens`). Each token in `app/api-gateway.log` must be a
//! well-formed JWT issued by a successful sign-in of its user that is in the logs, and its truth
//! status must follow from the audit rows and the window. The log must be deterministic and the
//! same in every layout, and it must change nothing else.

use crate::data::{self, Data, config, time, uti_matches};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lockscope_sim::{Config, Layout, Scenario};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const LOG: &str = "app/api-gateway.log";

fn leaky(scenario: Scenario, users: usize, days: u32, seed: u64) -> Config {
    Config { leaked_tokens: 8, ..config(scenario, users, days, seed) }
}

fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(path.strip_prefix(dir).expect("inside").to_path_buf(), std::fs::read(&path).expect("read"));
            }
        }
    }
    out
}

fn generate(cfg: &Config) -> (tempfile::TempDir, BTreeMap<PathBuf, Vec<u8>>) {
    let dir = tempfile::tempdir().expect("tempdir");
    lockscope_sim::generate(cfg, dir.path()).expect("generate");
    let files = files(dir.path());
    (dir, files)
}

fn segment(s: &str) -> Vec<u8> {
    assert!(!s.contains('='), "unpadded base64url: {s}");
    URL_SAFE_NO_PAD.decode(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn claims(jwt: &str) -> (Value, Value) {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "{jwt}");
    let header: Value = serde_json::from_slice(&segment(parts[0])).expect("header JSON");
    let payload: Value = serde_json::from_slice(&segment(parts[1])).expect("payload JSON");
    assert_eq!(segment(parts[2]).len(), 256, "an RS256 signature of a 2048-bit key");
    (header, payload)
}

fn seconds(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("{v} is not epoch seconds"))
}

/// The refresh-token cut-offs of every user (by object id), from the token bumps.
fn cutoffs(d: &Data) -> BTreeMap<String, Vec<i64>> {
    let mut out: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for a in d.audits.iter().filter(|a| data::activity(a) == "Update StsRefreshTokenValidFrom Timestamp") {
        let target = &a["properties"]["targetResources"][0];
        let prop = &target["modifiedProperties"][0];
        let new: Vec<String> = serde_json::from_str(prop["newValue"].as_str().expect("new")).expect("JSON in string");
        let cut: jiff::Timestamp = new[0].parse().expect("a time");
        out.entry(target["id"].as_str().expect("oid").to_string()).or_default().push(cut.as_second());
    }
    out
}

/// Checks every leaked token of `d` against the records; returns the statuses seen.
fn check(d: &Data) -> BTreeSet<String> {
    let log = std::fs::read_to_string(d.path.join(LOG)).expect("app log");
    let lines: Vec<&str> = log.lines().collect();
    let stamps: Vec<jiff::Timestamp> = lines
        .iter()
        .map(|l| l.split(' ').next().and_then(|t| t.parse().ok()).unwrap_or_else(|| panic!("no time: {l}")))
        .collect();
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]), "the log is in time order");
    let window_end = time(&d.truth["window"]["end"]);
    assert!(stamps.iter().all(|t| *t < window_end && *t >= time(&d.truth["window"]["start"])));
    let rows = d.truth["leaked_tokens"].as_array().expect("leaked_tokens");
    assert_eq!(lines.iter().filter(|l| l.contains("Bearer")).count(), rows.len(), "one logged token per row");
    let last_signin = d.signins.iter().map(|s| s.t).max().expect("sign-ins");
    let cuts = cutoffs(d);
    let tenant = d.truth["tenant_id"].as_str().expect("tenant");
    let compromised: BTreeSet<&str> =
        d.affected().iter().filter(|r| r["verdict"] == "compromised").filter_map(|r| r["user"].as_str()).collect();
    let mut users = BTreeSet::new();
    let mut statuses = BTreeSet::new();
    for row in rows {
        let user = row["user"].as_str().expect("user");
        let request = row["request_id"].as_str().expect("request_id");
        let status = row["status"].as_str().expect("status");
        assert_eq!(row["file"], LOG);
        assert!(users.insert(user), "{user}: one token a user");
        assert!(!compromised.contains(user), "{user}: a compromised user's token would muddle the verdict");
        let n = row["line"].as_u64().expect("line") as usize;
        let line = lines[n - 1];
        let jwt = line.split("Authorization: Bearer ").nth(1).unwrap_or_else(|| panic!("{user}: line {n}: {line}"));
        let (header, c) = claims(jwt);
        assert_eq!((header["typ"].as_str(), header["alg"].as_str()), (Some("JWT"), Some("RS256")), "{header}");
        assert!(header["kid"].as_str().is_some_and(|k| k.len() == 27), "{header}");
        for claim in ["aud", "iss", "iat", "nbf", "exp", "appid", "upn", "oid", "tid", "uti", "scp", "ver"] {
            assert!(!c[claim].is_null(), "{user}: no {claim}");
        }
        assert_eq!(c["upn"], user);
        assert_eq!(c["tid"], tenant);
        assert_eq!(c["iss"].as_str(), Some(format!("https://sts.windows.net/{tenant}/").as_str()));
        assert_eq!(c["ver"], "1.0");
        let (iat, exp) = (seconds(&c["iat"]), seconds(&c["exp"]));
        assert_eq!(seconds(&c["nbf"]), iat);
        assert!((3600..=5400).contains(&(exp - iat)), "{user}: lifetime {}", exp - iat);
        assert!(uti_matches(c["uti"].as_str().expect("uti"), request), "{user}: uti is the request id");

        // A real successful sign-in of the user issued it, at `iat`.
        let signin =
            d.signins.iter().find(|s| s.id == request).unwrap_or_else(|| panic!("{user}: no sign-in {request}"));
        assert_eq!((signin.user.as_str(), signin.code), (user, 0), "{user}: issued by a success of theirs");
        assert_eq!(c["oid"].as_str(), Some(signin.user_id.as_str()), "{user}: oid");
        assert_eq!(signin.t.as_second(), iat, "{user}: iat is the sign-in time");
        assert_eq!(c["appid"].as_str(), Some(signin.app_id.as_str()), "{user}: the app that signed in");
        let logged = stamps[n - 1];
        assert!(logged >= signin.t && logged.as_second() < exp, "{user}: logged while the token was valid");

        let first_cut = cuts.get(signin.user_id.as_str()).and_then(|c| c.iter().min().copied());
        let revoked = first_cut.is_some_and(|cut| cut > iat);
        if revoked {
            assert!(first_cut.is_some_and(|cut| logged.as_second() < cut), "{user}: logged before the revocation");
        }
        let expected = if revoked {
            "dead"
        } else if exp > window_end.as_second() {
            "live"
        } else {
            assert!(exp <= last_signin.as_second(), "{user}: expired before the last sign-in of the logs");
            "expired"
        };
        assert_eq!(status, expected, "{user}: status");
        statuses.insert(status.to_string());
    }
    statuses
}

#[test]
fn no_app_log_by_default() {
    let d = data::generate(&config(Scenario::Mixed, 60, 3, 1));
    assert!(!d.path.join("app").exists());
    assert!(d.truth.get("leaked_tokens").is_none());
}

#[test]
fn leaked_tokens_are_real_tokens_of_real_sign_ins() {
    for seed in data::seeds(1) {
        for cfg in [leaky(Scenario::Mace2025, 60, 4, seed), leaky(Scenario::Mixed, 80, 3, seed)] {
            let d = data::generate(&cfg);
            let statuses = check(&d);
            let all: BTreeSet<String> = ["dead", "expired", "live"].map(String::from).into();
            assert_eq!(statuses, all, "{} seed {seed}: every status", cfg.scenario);
            // The dead tokens belong to members of the mass revocation.
            for row in d.truth["leaked_tokens"].as_array().expect("rows").iter().filter(|r| r["status"] == "dead") {
                let label = d.affected().iter().find(|a| a["user"] == row["user"]).expect("a labelled user");
                assert_eq!(label["root_cause"], "provider-mass-revocation", "{row}");
            }
        }
    }
}

#[test]
fn a_live_token_exists_even_when_nobody_signs_in_late() {
    // Without background sign-ins nobody signs in in the last hour: one refresh is added there.
    for seed in [1, 2, 3] {
        let cfg = Config { noise: 0, leaked_tokens: 3, ..config(Scenario::PasswordSpray, 20, 1, seed) };
        let d = data::generate(&cfg);
        assert!(check(&d).contains("live"), "seed {seed}");
    }
}

#[test]
fn tiny_tenants_get_fewer_tokens_one_a_user() {
    let cfg = Config { leaked_tokens: 500, ..config(Scenario::Mace2025, 12, 3, 4) };
    let d = data::generate(&cfg);
    let rows = d.truth["leaked_tokens"].as_array().expect("rows").len();
    assert!(rows > 0 && rows <= 12, "{rows}");
    check(&d);
}

#[test]
fn the_app_log_is_deterministic_and_the_same_in_every_layout() {
    let base = leaky(Scenario::Mace2025, 40, 3, 9);
    let (_a, first) = generate(&base);
    let log = first.get(Path::new(LOG)).expect("app log");
    let truth = first.get(Path::new("truth.json")).expect("truth");
    for layout in Layout::ALL {
        let (_b, again) = generate(&Config { layout, ..base.clone() });
        assert!(again.get(Path::new(LOG)) == Some(log), "{layout}: app log differs");
        assert!(again.get(Path::new("truth.json")) == Some(truth), "{layout}: truth differs");
    }
}

#[test]
fn leaks_change_nothing_else() {
    let with = leaky(Scenario::Mixed, 80, 3, 5);
    let (_a, leaked) = generate(&with);
    let (_b, plain) = generate(&Config { leaked_tokens: 0, ..with.clone() });
    let mut truth: Value = serde_json::from_slice(&leaked[Path::new("truth.json")]).expect("truth");
    truth.as_object_mut().expect("object").remove("leaked_tokens");
    let plain_truth: Value = serde_json::from_slice(&plain[Path::new("truth.json")]).expect("truth");
    assert_eq!(truth, plain_truth, "truth is the same apart from leaked_tokens");
    let names: BTreeSet<&PathBuf> =
        leaked.keys().filter(|p| !p.starts_with("app") && !p.ends_with("truth.json")).collect();
    assert_eq!(names, plain.keys().filter(|p| !p.ends_with("truth.json")).collect());
    // Someone signs in in the last hour here, so no sign-in is added: every other byte is equal.
    for name in names {
        assert!(leaked[name] == plain[name], "{} differs", name.display());
    }
}

#[test]
fn scenarios_without_entra_files_write_no_app_log() {
    for scenario in [Scenario::AdMixed, Scenario::LinuxMixed] {
        let (users, days) = scenario.minimum();
        let (_d, files) = generate(&Config { leaked_tokens: 5, ..config(scenario, users.max(40), days, 1) });
        assert!(!files.keys().any(|p| p.starts_with("app")), "{scenario}");
        let truth: Value = serde_json::from_slice(&files[Path::new("truth.json")]).expect("truth");
        assert!(truth.get("leaked_tokens").is_none(), "{scenario}");
    }
}

#[test]
fn a_rerun_without_leaks_removes_the_app_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = leaky(Scenario::Mace2025, 20, 3, 2);
    lockscope_sim::generate(&cfg, dir.path()).expect("generate");
    assert!(dir.path().join(LOG).is_file());
    let summary = lockscope_sim::generate(&Config { leaked_tokens: 0, ..cfg }, dir.path()).expect("generate");
    assert!(!dir.path().join("app").exists(), "the app folder goes with its log");
    assert!(summary.files.iter().all(|(p, _, _)| !p.starts_with(dir.path().join("app"))));
}
