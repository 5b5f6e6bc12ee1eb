//! Truth rows are well formed and each is backed by its scenario's records; everyone else
//! has background noise only.

use crate::data::{self, Data, SignIn, activity, config, time};
use lockscope_sim::Scenario;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

const ROOT_CAUSES: [&str; 8] = [
    "provider-mass-revocation",
    "compromise-indicators",
    "password-spray",
    "brute-force",
    "stale-credential",
    "admin-action",
    "user-error",
    "leaked-credentials",
];

fn most_common<'a>(items: impl Iterator<Item = &'a str>) -> &'a str {
    let mut counts = BTreeMap::<&str, usize>::new();
    for i in items {
        *counts.entry(i).or_default() += 1;
    }
    counts.into_iter().max_by_key(|(_, n)| *n).map(|(k, _)| k).unwrap_or_default()
}

/// The address most of the user's successful sign-ins come from.
fn usual_ip<'a>(d: &'a Data, upn: &'a str) -> &'a str {
    most_common(d.signins_of(upn).filter(|s| s.code == 0).map(|s| s.ip.as_str()))
}

fn check_truth_shape(d: &Data) {
    let rows = d.affected();
    let users: Vec<&str> = rows.iter().map(|r| r["user"].as_str().expect("user")).collect();
    assert!(users.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
    let mut ids = BTreeSet::new();
    for r in rows {
        let upn = r["user"].as_str().expect("upn");
        assert_eq!(upn, upn.to_lowercase());
        assert!(ids.insert(r["object_id"].as_str().expect("oid")));
        assert!(ROOT_CAUSES.contains(&r["root_cause"].as_str().expect("cause")), "{r}");
        assert!(d.signins_of(upn).all(|s| Some(s.user_id.as_str()) == r["object_id"].as_str()));
        let expected = match r["root_cause"].as_str().expect("cause") {
            "provider-mass-revocation" => json!(["false-positive", ["confirm-safe"], "mass-revocation"]),
            "compromise-indicators" => {
                json!(["compromised", ["confirm-compromised", "revoke-sessions", "reset-password"], "mass-revocation"])
            }
            "password-spray" if r["verdict"] == "compromised" => json!([
                "compromised",
                ["confirm-compromised", "revoke-sessions", "reset-password", "block-source"],
                null
            ]),
            "password-spray" | "brute-force" => json!(["needs-review", ["block-source"], null]),
            "stale-credential" => json!(["benign", ["fix-stale-credential"], null]),
            "admin-action" | "user-error" => json!(["benign", ["none"], null]),
            "leaked-credentials" => json!(["needs-review", ["reset-password", "revoke-sessions"], null]),
            other => panic!("{other}"),
        };
        assert_eq!(json!([r["verdict"], r["actions"], r["incident"]]), expected, "{upn}");
        let contributing: Vec<&str> =
            r["contributing"].as_array().expect("contributing").iter().filter_map(Value::as_str).collect();
        assert_eq!(d.effects(upn), contributing, "{upn}: contributing is exactly what the user got");
    }
}

fn check_noise_users(d: &Data) {
    let affected: BTreeSet<&str> = d.affected().iter().filter_map(|r| r["user"].as_str()).collect();
    let mut by_user: BTreeMap<&str, Vec<&SignIn>> = BTreeMap::new();
    for s in &d.signins {
        if !affected.contains(s.user.as_str()) {
            by_user.entry(&s.user).or_default().push(s);
        }
    }
    assert!(!by_user.is_empty());
    for (upn, signins) in by_user {
        for s in &signins {
            assert!(![50053, 53003, 50173, 50057].contains(&s.code), "{upn}: {} is not background", s.code);
        }
        let mut typos_per_day = BTreeMap::<i16, usize>::new();
        for bad in signins.iter().filter(|s| s.code == 50126) {
            *typos_per_day.entry(bad.t.to_zoned(jiff::tz::TimeZone::UTC).day_of_year()).or_default() += 1;
            let fixed = signins.iter().any(|s| {
                s.code == 0
                    && s.device_key == bad.device_key
                    && s.t > bad.t
                    && s.t.duration_since(bad.t).as_secs() < 120
            });
            assert!(fixed, "{upn}: a typo is fixed within two minutes on the same device");
        }
        assert!(typos_per_day.values().all(|n| *n <= 1), "{upn}: at most one typo a day");
    }
}

#[test]
fn every_scenario_has_well_formed_truth_and_quiet_bystanders() {
    for seed in data::seeds(21) {
        for scenario in data::entra_only() {
            let d = data::generate(&config(scenario, 60, 3, seed));
            check_truth_shape(&d);
            check_noise_users(&d);
            assert!(d.affected().len() < 60, "{scenario}: some users are bystanders");
        }
    }
}

#[test]
fn the_smallest_tenants_still_tell_their_story() {
    for seed in data::seeds(25) {
        for scenario in data::entra_only() {
            let (users, days) = scenario.minimum();
            let d = data::generate(&config(scenario, users, days, seed));
            check_truth_shape(&d);
            check_noise_users(&d);
            assert!(!d.affected().is_empty(), "{scenario}");
        }
    }
}

#[test]
fn stale_credential_users_fail_regularly_from_one_old_device() {
    for seed in data::seeds(22) {
        stale_credential_users_fail_regularly_from_one_old_device_with(seed);
    }
}

fn stale_credential_users_fail_regularly_from_one_old_device_with(seed: u64) {
    let d = data::generate(&config(Scenario::StaleCredential, 60, 2, seed));
    let rows = d.rows("stale-credential");
    assert_eq!(rows.len(), d.affected().len());
    assert!(rows.len() >= 3);
    for row in rows {
        let oid = row["object_id"].as_str().expect("oid");
        let upn = row["user"].as_str().expect("upn");
        let change = d.audits_of(oid).find(|a| activity(a) == "Change user password").expect("password change");
        assert_eq!(change["properties"]["initiatedBy"]["user"]["id"], oid, "changed by the user");
        let bump =
            d.audits_of(oid).find(|a| activity(a) == "Update StsRefreshTokenValidFrom Timestamp").expect("token bump");
        assert_eq!(bump["correlationId"], change["correlationId"]);
        assert_eq!(bump["properties"]["initiatedBy"]["user"]["id"], oid);
        let t = time(&change["time"]);
        let mut by_device = BTreeMap::<&str, Vec<&SignIn>>::new();
        for s in d.signins_of(upn).filter(|s| s.t > t && s.code == 50126) {
            by_device.entry(&s.device_key).or_default().push(s);
        }
        let (device, failures) = by_device.into_iter().max_by_key(|(_, v)| v.len()).expect("failures");
        assert!(failures.len() >= 8, "{upn}: {} failures", failures.len());
        assert!(!device.is_empty() && !device.contains('/'), "{upn}: a registered device");
        for w in failures.windows(2) {
            let gap = w[1].t.duration_since(w[0].t).as_secs();
            assert!((13 * 60..=17 * 60).contains(&gap), "{upn}: every 15 min ± 1: {gap}s");
        }
        assert!(failures.iter().all(|s| s.ip == failures[0].ip && s.client == "Exchange ActiveSync"));
        let lockouts: Vec<_> = d.signins_of(upn).filter(|s| s.code == 50053 && s.device_key == device).collect();
        assert!(!lockouts.is_empty(), "{upn}: smart lockout reached");
        assert!(lockouts.iter().all(|l| failures.iter().filter(|f| f.t < l.t).count() >= 9));
        assert!(d.signins_of(upn).any(|s| s.t > t && s.code == 0 && s.client == "Browser"), "{upn}: browser works");
        assert!(
            d.signins_of(upn).any(|s| s.t < t && s.code == 0 && s.device_key == device),
            "{upn}: the device worked before"
        );
    }
}

#[test]
fn sprayed_users_are_hit_from_a_few_foreign_addresses() {
    for seed in data::seeds(23) {
        sprayed_users_are_hit_from_a_few_foreign_addresses_with(seed);
    }
}

fn sprayed_users_are_hit_from_a_few_foreign_addresses_with(seed: u64) {
    let d = data::generate(&config(Scenario::PasswordSpray, 60, 2, seed));
    let rows = d.rows("password-spray");
    assert_eq!(rows.len(), 24, "40% of 60");
    let mut spray_ips = BTreeSet::new();
    let mut first = None::<jiff::Timestamp>;
    let mut last = None::<jiff::Timestamp>;
    for row in &rows {
        let upn = row["user"].as_str().expect("upn");
        let home = usual_ip(&d, upn);
        let attempts: Vec<&SignIn> = d.signins_of(upn).filter(|s| s.code == 50126 && s.ip != home).collect();
        assert!((1..=4).contains(&attempts.len()), "{upn}: {} attempts", attempts.len());
        for a in &attempts {
            spray_ips.insert(a.ip.clone());
            first = Some(first.map_or(a.t, |f| f.min(a.t)));
            last = Some(last.map_or(a.t, |l| l.max(a.t)));
            assert!(["Authenticated SMTP", "IMAP4", "Browser"].contains(&a.client.as_str()));
        }
        let has_lockout = row["contributing"] == json!(["smart-lockout"]);
        if has_lockout {
            let ips: BTreeSet<_> = attempts.iter().map(|a| &a.ip).collect();
            assert!(ips.len() >= 2, "{upn}: locked out after several addresses");
        }
    }
    assert!((2..=5).contains(&spray_ips.len()), "{spray_ips:?}");
    let span = last.expect("last").duration_since(first.expect("first")).as_secs();
    assert!(span <= 3 * 3600, "spray within three hours: {span}s");
    assert!(rows.iter().any(|r| r["contributing"] == json!(["smart-lockout"])), "a few reach smart lockout");
    let hits: Vec<&&Value> = rows.iter().filter(|r| r["verdict"] == "compromised").collect();
    assert_eq!(hits.len(), 1);
    for row in &rows {
        let upn = row["user"].as_str().expect("upn");
        let success = d.signins_of(upn).find(|s| s.code == 0 && spray_ips.contains(&s.ip));
        assert_eq!(success.is_some(), row["verdict"] == "compromised", "{upn}");
        if let Some(success) = success {
            let wrong_first =
                d.signins_of(upn).any(|s| s.code == 50126 && spray_ips.contains(&s.ip) && s.t < success.t);
            assert!(wrong_first, "{upn}: the right password comes after a wrong one");
            let oid = row["object_id"].as_str().expect("oid");
            let det =
                d.detections_of(oid).find(|r| r["riskEventType"] == "passwordSpray").expect("passwordSpray detection");
            assert_eq!(det["requestId"].as_str(), Some(success.id.as_str()));
            assert_eq!(det["activity"], "signin");
        }
    }
}

#[test]
fn mixed_tenant_tells_each_cause_apart() {
    for seed in data::seeds(24) {
        mixed_tenant_tells_each_cause_apart_with(seed);
    }
}

fn mixed_tenant_tells_each_cause_apart_with(seed: u64) {
    let d = data::generate(&config(Scenario::Mixed, 200, 4, seed));
    let count = |cause: &str| d.rows(cause).len();
    assert_eq!(count("provider-mass-revocation") + count("compromise-indicators"), 60);
    assert_eq!(count("stale-credential"), 10);
    assert_eq!(count("brute-force"), 1);
    assert_eq!(count("admin-action"), 2);
    assert_eq!(count("user-error"), 2);
    assert_eq!(count("leaked-credentials"), 1);
    assert_eq!(count("password-spray"), 80);

    let brute = d.rows("brute-force")[0]["user"].as_str().expect("upn");
    let home = usual_ip(&d, brute);
    let failures: Vec<&SignIn> = d.signins_of(brute).filter(|s| s.code == 50126 && s.ip != home).collect();
    assert!(failures.len() >= 30);
    assert!(failures.iter().all(|f| f.ip == failures[0].ip));
    assert!(failures.last().expect("last").t.duration_since(failures[0].t).as_secs() <= 600);
    assert!(d.signins_of(brute).any(|s| s.code == 50053 && s.ip == failures[0].ip && s.t > failures[0].t));

    let admins = d.rows("admin-action");
    let mut kinds = BTreeSet::new();
    for row in admins {
        let oid = row["object_id"].as_str().expect("oid");
        let upn = row["user"].as_str().expect("upn");
        // The action and its companion row share a correlationId; background edits do not.
        let action = d
            .audits_of(oid)
            .find(|a| ["Update StsRefreshTokenValidFrom Timestamp", "Disable account"].contains(&activity(a)))
            .expect("an admin action");
        let acts: Vec<&Value> = d.audits_of(oid).filter(|a| a["correlationId"] == action["correlationId"]).collect();
        assert_eq!(acts.len(), 2, "{upn}: the action is paired");
        let by = acts[0]["properties"]["initiatedBy"]["user"]["id"].as_str().expect("initiated by a user");
        assert_ne!(by, oid, "an admin acted on the user");
        assert!(d.signins.iter().any(|s| s.user_id == by), "the admin is a user of the tenant");
        assert!(acts.iter().all(|a| a["properties"]["initiatedBy"]["user"]["id"] == by));
        let names: BTreeSet<&str> = acts.iter().map(|a| activity(a)).collect();
        let t = time(&acts[0]["time"]);
        if names.contains("Disable account") {
            kinds.insert("disable");
            assert!(d.signins_of(upn).any(|s| s.code == 50057 && s.t > t));
        } else {
            kinds.insert("revoke");
            assert_eq!(names, BTreeSet::from(["Update user", "Update StsRefreshTokenValidFrom Timestamp"]));
            assert!(d.signins_of(upn).any(|s| s.code == 50173 && s.t > t));
        }
    }
    assert_eq!(kinds.len(), 2);

    let mut locked = 0;
    for row in d.rows("user-error") {
        let upn = row["user"].as_str().expect("upn");
        let home = usual_ip(&d, upn);
        let bad: Vec<&SignIn> = d.signins_of(upn).filter(|s| s.code == 50126 && s.ip == home).collect();
        // The forgotten password is the largest burst (a typo on another day is a single one).
        let burst: Vec<&&SignIn> = bad
            .iter()
            .map(|b| bad.iter().filter(|s| s.t >= b.t && s.t.duration_since(b.t).as_secs() < 300).collect::<Vec<_>>())
            .max_by_key(Vec::len)
            .expect("failures");
        assert!((3..=5).contains(&burst.len()), "{upn}: {} quick failures", burst.len());
        let end = burst.last().expect("last").t;
        assert!(d.signins_of(upn).any(|s| s.code == 0
            && s.device_key == burst[0].device_key
            && s.t > end
            && s.t.duration_since(end).as_secs() < 3600));
        locked += usize::from(d.signins_of(upn).any(|s| s.code == 50053));
    }
    assert_eq!(locked, 1);

    let leaked = d.rows("leaked-credentials")[0];
    let oid = leaked["object_id"].as_str().expect("oid");
    let det = d.detections_of(oid).find(|r| r["riskEventType"] == "leakedCredentials").expect("detection");
    assert!(!d.audits_of(oid).any(|a| activity(a) == "Update StsRefreshTokenValidFrom Timestamp"), "no revocation");
    let detected = time(&det["detectedDateTime"]);
    let burst = time(&d.truth["incidents"][0]["start"]);
    assert_ne!(
        detected.to_zoned(jiff::tz::TimeZone::UTC).date(),
        burst.to_zoned(jiff::tz::TimeZone::UTC).date(),
        "the lone leak is on another day"
    );
    let upn = leaked["user"].as_str().expect("upn");
    assert!(d.signins_of(upn).any(|s| s.code == 53003 && s.risk_block && s.t > detected));
}
