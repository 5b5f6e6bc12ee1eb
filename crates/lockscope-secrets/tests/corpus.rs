//! The scanner on real public files: ripsecrets' test fixtures (counts stated in the corpus
//! MANIFEST) and the real Entra, Windows and Linux logs, which hold no secrets.
//!
//! The corpus lives in `../shared/corpus` (or `$LOCKSCOPE_CORPUS`); without it these tests say
//! so and pass, because CI provides it and a laptop may not.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use lockscope_secrets::{Fingerprinter, ScanOptions, Scanner};

#[allow(clippy::print_stderr)] // a skipped test must say so
fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("LOCKSCOPE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIPPED: corpus folder {} not found (set LOCKSCOPE_CORPUS)", dir.display());
        None
    }
}

fn scanner() -> Scanner {
    Scanner::new(lockscope_secrets::rule::builtin().expect("rules"), Fingerprinter::default()).expect("engine")
}

fn scan(s: &Scanner, path: &Path, allow: BTreeSet<String>) -> Vec<(u64, String)> {
    let bytes = std::fs::read(path).expect("corpus file");
    let opts = ScanOptions { allow, ..ScanOptions::default() };
    s.scan_bytes(&bytes, &opts).leaks.into_iter().map(|l| (l.line, l.rule)).collect()
}

/// ripsecrets: every line of every `one_per_line` file holds exactly one secret.
#[test]
fn ripsecrets_one_per_line() {
    let Some(root) = corpus() else { return };
    let s = scanner();
    let mut total = 0;
    let mut entries: Vec<_> =
        std::fs::read_dir(root.join("secrets/ripsecrets/one_per_line")).expect("dir").flatten().collect();
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let text = std::fs::read_to_string(entry.path()).expect("text");
        let lines = text.matches('\n').count();
        let found = scan(&s, &entry.path(), BTreeSet::new());
        let on_lines: Vec<u64> = found.iter().map(|f| f.0).collect();
        let expected: Vec<u64> = (1..=lines as u64).collect();
        assert_eq!(on_lines, expected, "{}: {found:?}", entry.path().display());
        total += found.len();
    }
    assert_eq!(total, 46, "MANIFEST: 46 secrets in one_per_line");
}

/// ripsecrets: each `one_per_file` file holds exactly one secret.
#[test]
fn ripsecrets_one_per_file() {
    let Some(root) = corpus() else { return };
    let s = scanner();
    for (name, rule) in [("aws_json", "aws-access-key-id"), ("pem_key", "private-key"), ("private_key", "private-key")]
    {
        let found = scan(&s, &root.join("secrets/ripsecrets/one_per_file").join(name), BTreeSet::new());
        assert_eq!(found.iter().map(|f| f.1.as_str()).collect::<Vec<_>>(), [rule], "{name}: {found:?}");
    }
}

/// ripsecrets `none`: look-alikes. The inline `pragma: allowlist secret` is honoured; the one
/// real-looking URL password is clean upstream only through ripsecrets' repo-level ignore file,
/// which here is an allowlist of its fingerprint.
#[test]
fn ripsecrets_none() {
    let Some(root) = corpus() else { return };
    let s = scanner();
    let path = root.join("secrets/ripsecrets/none");
    let found = scan(&s, &path, BTreeSet::new());
    assert_eq!(found, [(12, "url-credentials".to_string())], "only the .secretsignore'd URL password");
    let allow = BTreeSet::from([s.fingerprint(b"ReTllpYQYfIZu2Jnf2lAPFjD")]);
    assert_eq!(scan(&s, &path, allow), []);
}

/// The real logs in the corpus hold no secrets: nothing is reported on any of them.
#[test]
fn real_logs_report_nothing() {
    let Some(root) = corpus() else { return };
    let s = scanner();
    let mut files = Vec::new();
    for dir in ["entra", "windows", "linux"] {
        walk(&root.join(dir), &mut files);
    }
    assert!(files.len() > 10, "corpus logs found: {}", files.len());
    let mut reported = Vec::new();
    for f in &files {
        for (line, rule) in scan(&s, f, BTreeSet::new()) {
            reported.push(format!("{}:{line} {rule}", f.display()));
        }
    }
    assert!(reported.is_empty(), "{}", reported.join("\n"));
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}
