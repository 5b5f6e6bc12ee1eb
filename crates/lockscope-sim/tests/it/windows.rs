//! The Windows scenarios: every record is a well-formed `wevtutil` event shaped as formats.md
//! §7 says, and every truth row is backed by its scenario's records while bystanders only have
//! background.

use crate::data::{config, seeds};
use crate::windata::{self, Rec, Win};
use lockscope_sim::Scenario;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

const FAILURE: &str = "0x8010000000000000";
const SUCCESS: &str = "0x8020000000000000";

/// Which events are failures, and the subcategory (task) each id is logged under (§7.1).
fn expected_header(e: &Rec) -> (&'static str, u32, u32) {
    let ok = |yes: bool| if yes { SUCCESS } else { FAILURE };
    match e.id {
        4768 => (ok(e.get("Status") == "0x0"), 14339, 0),
        4771 => (FAILURE, 14339, 0),
        4776 => (ok(e.get("Status") == "0x0"), 14336, 0),
        4624 => (SUCCESS, 12544, 2),
        4625 => (FAILURE, if e.get("Status") == "0xc0000234" { 12546 } else { 12544 }, 0),
        4648 => (SUCCESS, 12544, 0),
        4740 | 4767 | 4723 | 4724 | 4738 => (SUCCESS, 13824, 0),
        4698 => (SUCCESS, 12804, 0),
        7045 => ("0x8080000000000000", 0, 0),
        other => panic!("unexpected event id {other}"),
    }
}

fn check_files(w: &Win) {
    let mut by_file: BTreeMap<(&str, &str), Vec<&Rec>> = BTreeMap::new();
    for e in &w.events {
        by_file.entry((&e.file_host, &e.file_channel)).or_default().push(e);
    }
    assert!(by_file.contains_key(&("DC01", "Security")) && by_file.contains_key(&("DC02", "Security")));
    for ((host, channel), recs) in by_file {
        for pair in recs.windows(2) {
            assert!(pair[0].record < pair[1].record, "{host}: record ids increase");
            assert!(pair[0].t <= pair[1].t, "{host}: time order");
        }
        for e in recs {
            assert_eq!(e.computer, format!("{host}.contoso.com"));
            assert_eq!(e.channel, channel);
            let (keywords, task, version) = expected_header(e);
            assert_eq!((e.keywords.as_str(), e.task, e.version), (keywords, task, version), "{host}: {}", e.id);
            let frac = e.time_text.split('.').nth(1).unwrap_or_default();
            assert!(frac.len() == 8 && frac.ends_with('Z'), "7 fractional digits: {}", e.time_text);
            let provider = if e.id == 7045 { "Service Control Manager" } else { "Microsoft-Windows-Security-Auditing" };
            assert_eq!(e.provider, provider);
            assert_eq!(channel == "System", e.id == 7045);
        }
    }
}

fn sam_of<'a>(w: &'a Win, row: &Value) -> &'a str {
    w.sam(row["user"].as_str().expect("user"))
}

/// Truth rows of the Windows side (they carry `lockout`, `null` when not locked).
fn ad_rows<'a>(w: &'a Win, root_cause: &str) -> Vec<&'a Value> {
    w.rows(root_cause).into_iter().filter(|r| r.get("lockout").is_some()).collect()
}

/// Truth rows name the person by UPN with their Windows names as aliases, as identities.csv does.
fn check_rows(w: &Win) {
    let people: BTreeMap<&str, &[String; 4]> = w.identities.iter().map(|r| (r[0].as_str(), r)).collect();
    assert_eq!(people.len(), w.truth["users_total"].as_u64().expect("total") as usize);
    for row in w.affected() {
        let upn = row["user"].as_str().expect("user");
        let id = people[upn];
        let aliases = json!([format!("contoso\\{}", id[1]), id[1], id[2].to_lowercase()]);
        assert_eq!(row["aliases"], aliases, "{upn}");
        assert_eq!(row["object_id"], id[3]);
        assert!(upn.ends_with("@contoso.com") && upn == upn.to_lowercase());
        if row.get("lockout").is_none() {
            continue;
        }
        let (verdict, actions) = match row["root_cause"].as_str().expect("cause") {
            "stale-credential" => ("benign", json!(["fix-stale-credential", "unlock-ad"])),
            "brute-force" => ("needs-review", json!(["block-source", "unlock-ad"])),
            "password-spray" => ("needs-review", json!(["block-source"])),
            "user-error" => ("benign", json!(["none"])),
            other => panic!("{other}"),
        };
        assert_eq!((row["verdict"].as_str().expect("verdict"), &row["actions"]), (verdict, &actions), "{upn}");
        let locked = !w.of(4740, id[1].as_str()).is_empty();
        assert_eq!(row["lockout"].is_object(), locked, "{upn}: a lockout in truth iff a 4740");
    }
}

fn stale_users(w: &Win) {
    let rows = ad_rows(w, "stale-credential");
    assert!((3..=5).contains(&rows.len()), "{}", rows.len());
    for row in rows {
        let sam = sam_of(w, row);
        let changes: Vec<&Rec> = w.of(4723, sam).into_iter().chain(w.of(4724, sam)).collect();
        assert_eq!(changes.len(), 1, "{sam}: one change or reset");
        let change = changes[0];
        let by = change.get("SubjectUserName");
        assert_eq!(by == sam, change.id == 4723, "{sam}: a change by the user, a reset by an admin");
        let lockout = &row["lockout"];
        let caller = lockout["caller"].as_str().expect("caller");
        // The DC's view of the failures, per source.
        let mut per_source: BTreeMap<String, Vec<&Rec>> = BTreeMap::new();
        for e in w.of(4771, sam).into_iter().chain(w.of(4776, sam)).filter(|e| e.t > change.t) {
            let source = if e.id == 4771 { e.ip().to_string() } else { e.get("Workstation").to_string() };
            per_source.entry(source).or_default().push(e);
        }
        let (source, mut fails) = per_source.into_iter().max_by_key(|(_, v)| v.len()).expect("failures");
        fails.sort_by_key(|e| e.t);
        let bad = fails.iter().filter(|e| matches!(e.get("Status"), "0x18" | "0xc000006a")).count();
        assert!(bad >= 10, "{sam}: {bad} bad passwords from {source}");
        let gaps: Vec<i64> = fails.windows(2).map(|p| p[1].t.duration_since(p[0].t).as_secs()).collect();
        let mut sorted = gaps.clone();
        sorted.sort_unstable();
        let median = sorted[sorted.len() / 2];
        assert!((59..=310).contains(&median), "{sam}: every 1–5 minutes: {median}s");
        assert!(gaps.iter().all(|g| (g - median).abs() <= 12), "{sam}: regular: {gaps:?}");
        let locks = w.of(4740, sam);
        assert!(!locks.is_empty(), "{sam}: locked out");
        for l in &locks {
            assert_eq!(l.host(), "DC01", "the PDC logs it");
            assert_eq!(l.get("TargetDomainName"), caller, "{sam}: the caller");
            assert_eq!(l.get("SubjectUserName"), "DC01$");
            let before = fails.iter().filter(|f| f.t <= l.t).count();
            assert!(before >= 10, "{sam}: {before} failures before the lockout");
        }
        if fails[0].id == 4776 {
            assert_eq!(source, caller);
        } else if let Some(e) =
            w.events.iter().find(|e| e.id == 4768 && e.get("TargetUserName") == format!("{caller}$"))
        {
            // The caller's computer account gets its TGTs from the caller's own address.
            assert_eq!(e.ip(), source, "{sam}: failures come from the caller's address");
        }
        if let Some(process) = lockout["process"].as_str() {
            let owner = w.events.iter().find(|e| {
                e.host() == caller
                    && e.t < change.t
                    && ((e.id == 7045
                        && e.get("AccountName") == format!("CONTOSO\\{sam}")
                        && e.get("ImagePath").contains(process))
                        || (e.id == 4698
                            && e.get("TaskContent").contains(&format!("<UserId>CONTOSO\\{sam}</UserId>"))
                            && e.get("TaskContent").contains(&format!("<Command>{process}</Command>"))))
            });
            assert!(owner.is_some(), "{sam}: the service or task was installed on {caller} before the change");
            let host_side: Vec<&Rec> =
                w.of(4625, sam).into_iter().filter(|e| e.host() == caller && e.t > change.t).collect();
            assert!(host_side.len() >= fails.len() - 2, "{sam}: the caller logs its own failures");
            assert!(host_side.iter().all(|e| matches!(e.get("LogonType"), "4" | "5")));
        }
    }
}

fn spray(w: &Win) {
    let rows = ad_rows(w, "password-spray");
    assert!(rows.len() >= 20, "{}", rows.len());
    let targets: BTreeSet<&str> = rows.iter().map(|r| sam_of(w, r)).collect();
    let known: BTreeSet<&str> = w.identities.iter().map(|r| r[1].as_str()).collect();
    let mut sources = BTreeMap::<&str, usize>::new();
    for e in w.events.iter().filter(|e| e.id == 4771 && targets.contains(e.get("TargetUserName"))) {
        *sources.entry(e.ip()).or_default() += 1;
    }
    let source = sources.into_iter().max_by_key(|(_, n)| *n).expect("a source").0.to_string();
    let attempts: Vec<&Rec> = w
        .events
        .iter()
        .filter(|e| matches!(e.id, 4771 | 4768) && e.ip() == source && e.get("Status") != "0x0")
        .collect();
    let hit: BTreeSet<&str> = attempts.iter().filter(|e| e.id == 4771).map(|e| e.get("TargetUserName")).collect();
    assert_eq!(hit, targets, "the source tried exactly the truth rows' accounts");
    for sam in &targets {
        let n = attempts.iter().filter(|e| e.get("TargetUserName") == *sam).count();
        assert!((1..=2).contains(&n), "{sam}: {n}");
    }
    let unknown: Vec<&&Rec> = attempts.iter().filter(|e| e.id == 4768).collect();
    assert!(unknown.len() >= 3 && unknown.iter().all(|e| e.get("Status") == "0x6"));
    assert!(unknown.iter().all(|e| !known.contains(e.get("TargetUserName"))), "unknown names are not people");
    let span = attempts.last().expect("last").t.duration_since(attempts[0].t).as_secs();
    assert!(span <= 3600, "within an hour: {span}s");
    if source == "10.0.5.57" {
        let explicit = w.events.iter().filter(|e| e.id == 4648 && e.host() == "WS-LAB07").count();
        assert_eq!(explicit, attempts.len(), "the lab PC logs every explicit logon");
    }
    assert!(w.events.iter().all(|e| e.id != 4740 || !targets.contains(e.get("TargetUserName"))), "no spray lockout");
}

fn brute_force(w: &Win) {
    let rows = ad_rows(w, "brute-force");
    assert!((1..=2).contains(&rows.len()));
    for row in rows {
        let sam = sam_of(w, row);
        let source = row["lockout"]["source"].as_str().expect("source");
        let caller = row["lockout"]["caller"].as_str().unwrap_or_default();
        let tries: Vec<&Rec> = w.of(4625, sam).into_iter().filter(|e| e.get("IpAddress") == source).collect();
        assert!(tries.len() >= 30, "{sam}: {}", tries.len());
        assert!(tries.last().expect("last").t.duration_since(tries[0].t).as_secs() <= 600, "{sam}: within minutes");
        assert!(tries.iter().all(|e| e.get("LogonType") == "3" && e.get("AuthenticationPackageName") == "NTLM"));
        assert!(tries[..10].iter().all(|e| e.get("SubStatus") == "0xc000006a"));
        let dc: Vec<&Rec> = w.of(4776, sam).into_iter().filter(|e| e.get("Status") != "0x0").collect();
        assert_eq!(dc.len(), tries.len(), "{sam}: the DC validates every try");
        assert!(dc.iter().all(|e| e.get("Workstation") == caller));
        let locks = w.of(4740, sam);
        assert_eq!(locks.len(), 1);
        assert_eq!(locks[0].get("TargetDomainName"), caller);
    }
}

fn user_errors(w: &Win) {
    let rows = ad_rows(w, "user-error");
    assert_eq!(rows.len(), 2);
    for row in rows {
        let sam = sam_of(w, row);
        let home = w.usual_ip(sam);
        let typos = w.of(4771, sam);
        assert!((3..=4).contains(&typos.len()) && typos.iter().all(|e| e.ip() == home && e.get("Status") == "0x18"));
        let span = typos.last().expect("last").t.duration_since(typos[0].t).as_secs();
        assert!(span <= 180, "{sam}: {span}s");
        let last = typos.last().expect("last").t;
        let ok = w.of(4768, sam).into_iter().find(|e| e.t > last && e.get("Status") == "0x0").expect("success");
        assert_eq!(ok.ip(), home);
        assert!(ok.t.duration_since(last).as_secs() <= 600);
        assert!(w.of(4740, sam).is_empty());
    }
}

fn bystanders(w: &Win) {
    let affected: BTreeSet<&str> = w.affected().iter().map(|r| sam_of(w, r)).collect();
    let mut typos_per_day = BTreeMap::<(&str, i16), usize>::new();
    for e in &w.events {
        let sam = e.get("TargetUserName");
        if affected.contains(sam) || !w.identities.iter().any(|r| r[1] == sam) {
            continue;
        }
        assert!(!matches!(e.id, 4740 | 4625 | 4723 | 4724 | 4767), "{sam}: {} is not background", e.id);
        assert!(!matches!(e.get("Status"), "0xc000006a" | "0xc0000234" | "0x12" | "0x6"), "{sam}: {e:?}");
        if e.id == 4771 {
            *typos_per_day.entry((sam, e.t.to_zoned(jiff::tz::TimeZone::UTC).day_of_year())).or_default() += 1;
            let fixed = w.of(4768, sam).into_iter().any(|s| {
                s.get("Status") == "0x0" && s.ip() == e.ip() && s.t > e.t && s.t.duration_since(e.t).as_secs() < 60
            });
            assert!(fixed, "{sam}: a typo is fixed at once");
        }
    }
    assert!(typos_per_day.values().all(|n| *n == 1));
}

#[test]
fn ad_mixed_domain_tells_every_story() {
    for seed in seeds(31) {
        let w = windata::generate(&config(Scenario::AdMixed, 80, 4, seed));
        check_files(&w);
        check_rows(&w);
        stale_users(&w);
        spray(&w);
        brute_force(&w);
        user_errors(&w);
        bystanders(&w);
        assert_eq!(w.summary.affected, w.affected().len());
        assert!(!w.path.join("signins").exists() && !w.path.join("audit").exists(), "no Entra files");
    }
}

#[test]
fn single_ad_scenarios_and_their_smallest_domains() {
    for seed in seeds(32) {
        for scenario in [Scenario::AdStaleCredential, Scenario::AdPasswordSpray, Scenario::AdBruteForce] {
            for (users, days) in [scenario.minimum(), (60, 2)] {
                let w = windata::generate(&config(scenario, users, days, seed));
                check_files(&w);
                check_rows(&w);
                bystanders(&w);
                assert!(!w.affected().is_empty(), "{scenario}");
                match scenario {
                    Scenario::AdStaleCredential => stale_users(&w),
                    Scenario::AdPasswordSpray => spray(&w),
                    _ => brute_force(&w),
                }
            }
        }
    }
}

#[test]
fn hybrid_joins_the_entra_tenant_and_the_domain() {
    let w = windata::generate(&config(Scenario::Hybrid, 120, 3, 9));
    check_files(&w);
    check_rows(&w);
    stale_users(&w);
    brute_force(&w);
    user_errors(&w);
    bystanders(&w);
    let causes: BTreeSet<&str> = w.affected().iter().filter_map(|r| r["root_cause"].as_str()).collect();
    for cause in ["provider-mass-revocation", "stale-credential", "brute-force", "user-error", "password-spray"] {
        assert!(causes.contains(cause), "{cause} in {causes:?}");
    }
    // One row per person, sorted; Entra rows have aliases too but no lockout.
    let users: Vec<&str> = w.affected().iter().filter_map(|r| r["user"].as_str()).collect();
    assert!(users.windows(2).all(|p| p[0] < p[1]));
    assert!(w.affected().iter().all(|r| r["aliases"].is_array()));
    assert!(w.path.join("signins/interactive-0001.json").is_file());
}

/// Every file under `dir`, relative path → bytes.
fn tree(dir: &std::path::Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).expect("inside").display().to_string();
                out.insert(rel, std::fs::read(&path).expect("read"));
            }
        }
    }
    out
}

#[test]
fn windows_logs_depend_on_the_seed_only() {
    let make = |cfg: &lockscope_sim::Config| -> BTreeMap<String, Vec<u8>> {
        let dir = tempfile::tempdir().expect("tempdir");
        lockscope_sim::generate(cfg, dir.path()).expect("generate");
        let files = tree(dir.path());
        files
            .into_iter()
            .filter(|(k, _)| k.starts_with("windows") || k == "identities.csv" || k == "truth.json")
            .collect()
    };
    let cfg = config(Scenario::Hybrid, 100, 2, 4);
    let a = make(&cfg);
    assert!(a.len() > 100, "{} files", a.len());
    assert_eq!(a, make(&cfg), "same config, same bytes");
    let portal = lockscope_sim::Config { layout: lockscope_sim::Layout::Portal, ..cfg.clone() };
    assert_eq!(a, make(&portal), "the layout does not touch the Windows logs");
    let other = make(&config(Scenario::Hybrid, 100, 2, 5));
    for name in ["windows/DC01-Security.xml", "windows/WS001-Security.xml", "truth.json"] {
        assert_ne!(a[name], other[name], "{name}");
    }
    // Names, SIDs and object ids are the seed's too (the tenant's people differ).
    assert_ne!(a["identities.csv"], other["identities.csv"]);
}

#[test]
fn a_rerun_replaces_the_windows_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    lockscope_sim::generate(&config(Scenario::AdMixed, 60, 2, 1), dir.path()).expect("ad-mixed");
    assert!(dir.path().join("identities.csv").is_file() && dir.path().join("windows/DC01-Security.xml").is_file());
    let entra = lockscope_sim::generate(&config(Scenario::Mixed, 40, 2, 1), dir.path()).expect("mixed");
    assert!(!dir.path().join("windows").exists() && !dir.path().join("identities.csv").exists());
    assert_eq!(tree(dir.path()).len(), entra.files.len());
    let small = lockscope_sim::generate(&config(Scenario::AdBruteForce, 5, 1, 1), dir.path()).expect("brute");
    assert_eq!(tree(dir.path()).len(), small.files.len(), "only this run's files");
    assert!(!dir.path().join("signins").exists());
}
