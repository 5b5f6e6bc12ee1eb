//! Same config → same bytes; different seed → different data; the summary tells the truth.

use crate::data::config;
use lockscope_sim::{Config, Scenario};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).expect("inside").to_path_buf();
                out.insert(rel, std::fs::read(&path).expect("read"));
            }
        }
    }
    out
}

fn run(cfg: &Config) -> (tempfile::TempDir, lockscope_sim::Summary, BTreeMap<PathBuf, Vec<u8>>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let summary = lockscope_sim::generate(cfg, dir.path()).expect("generate");
    let files = files(dir.path());
    (dir, summary, files)
}

#[test]
fn same_config_gives_identical_bytes_for_every_scenario() {
    for scenario in Scenario::ALL {
        let (users, days) = scenario.minimum();
        let cfg = config(scenario, users.max(60), days.max(3), 7);
        let (_a, sa, fa) = run(&cfg);
        let (_b, sb, fb) = run(&cfg);
        assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>(), "{scenario}");
        for (name, bytes) in &fa {
            assert!(bytes == &fb[name], "{scenario}: {} differs between runs", name.display());
        }
        assert_eq!(sa.affected, sb.affected);
        assert_eq!(sa.records(), sb.records());
    }
}

#[test]
fn different_seeds_give_different_data() {
    let (_a, _, fa) = run(&config(Scenario::Mixed, 60, 3, 1));
    let (_b, _, fb) = run(&config(Scenario::Mixed, 60, 3, 2));
    for name in ["truth.json", "audit/PT1H.json", "riskDetections.json", "AADNonInteractiveUserSignInLogs.csv"] {
        let name = PathBuf::from(name);
        assert_ne!(fa[&name], fb[&name], "{}", name.display());
    }
    assert_ne!(
        fa[&PathBuf::from("signins/interactive-0001.json")],
        fb[&PathBuf::from("signins/interactive-0001.json")]
    );
}

#[test]
fn summary_lists_every_file_with_its_size() {
    let (dir, summary, files) = run(&config(Scenario::Mixed, 60, 3, 3));
    assert_eq!(summary.files.len(), files.len());
    assert_eq!(summary.users, 60);
    for (path, bytes, records) in &summary.files {
        let rel = path.strip_prefix(dir.path()).expect("inside out_dir");
        assert_eq!(files[rel].len() as u64, *bytes, "{}", rel.display());
        assert!(*records > 0 || rel.ends_with("riskDetections.json"), "{}", rel.display());
    }
    let mut sorted = summary.files.clone();
    sorted.sort();
    assert_eq!(sorted, summary.files);
}

#[test]
fn a_rerun_replaces_the_pages_of_a_larger_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let big = Config { noise: 10, ..config(Scenario::PasswordSpray, 150, 2, 1) };
    let first = lockscope_sim::generate(&big, dir.path()).expect("big run");
    let pages =
        |s: &lockscope_sim::Summary| s.files.iter().filter(|f| f.0.starts_with(dir.path().join("signins"))).count();
    assert!(pages(&first) >= 2, "the big run needs several pages");
    let small = lockscope_sim::generate(&config(Scenario::PasswordSpray, 10, 1, 1), dir.path()).expect("small run");
    assert_eq!(pages(&small), 1);
    assert_eq!(files(dir.path()).len(), small.files.len(), "no stale page left behind");
}

#[test]
fn bad_configs_are_errors_not_panics() {
    let dir = tempfile::tempdir().expect("tempdir");
    for cfg in
        [config(Scenario::Mixed, 10, 4, 1), config(Scenario::Mixed, 200, 1, 1), config(Scenario::Mace2025, 0, 1, 1)]
    {
        let err = lockscope_sim::generate(&cfg, dir.path()).expect_err("rejected");
        let text = err.to_string();
        assert!(text.starts_with("invalid config: "), "{text}");
    }
    let err = "nonsense".parse::<Scenario>().expect_err("unknown");
    assert!(err.to_string().contains("unknown scenario"));
}
