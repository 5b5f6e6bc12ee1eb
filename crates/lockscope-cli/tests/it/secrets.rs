//! `scan`, `redact` and `rules` end to end on a fixture log with planted fake secrets.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

use super::lockscope;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/secrets").join(name)
}

/// The secret values planted in `app.log`, which must never be printed without `--reveal`.
const PLANTED: &[&str] = &[
    "c2lnbmF0dXJlLW5vdC1yZWFs",
    "Zk8q2Lp9Wx4r",
    "Tr0ub4dor&3",
    "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",
    "lJzRc1YdHaAA2KCNJJ1tkYwF",
    "abc8Q~Zb3.pQ1r_tU8vW2xY4z",
];

fn path(p: &std::path::Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn scan_reports_types_owners_and_fingerprints_but_never_values() {
    let log = fixture("app.log");
    // Run from the fixture folder so the table's column widths do not depend on the checkout path.
    let out = Command::new(env!("CARGO_BIN_EXE_lockscope"))
        .args(["scan", "app.log", "--at", "2025-04-18T10:00:00Z"])
        .current_dir(fixture(""))
        .output()
        .expect("run lockscope");
    assert_eq!(out.status.code(), Some(1), "secrets found → exit 1");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for value in PLANTED {
        assert!(!stdout.contains(value) && !stderr.contains(value), "{value} leaked into output");
    }
    insta::assert_snapshot!("scan_text", stdout);

    let out = lockscope(&["scan", path(&log), "--format", "jsonl", "--at", "2025-04-18T11:00:00Z", "-q"]);
    let rows: Vec<Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("json")).collect();
    let rules: Vec<&str> = rows.iter().filter_map(|r| r["rule"].as_str()).collect();
    assert_eq!(
        rules,
        [
            "jwt",
            "url-credentials",
            "password-field",
            "github-token",
            "azure-storage-account-key",
            "entra-client-secret"
        ],
        "the two decoys on line 6 are not reported"
    );
    let jwt = &rows[0];
    assert_eq!(jwt["token"]["upn"], "alice@contoso.com");
    assert_eq!(jwt["token"]["request_id"], "4d63c1c4-c95b-4d3c-8e0a-1271fd813e00", "uti decodes to the sign-in id");
    assert!(jwt["validity"].as_str().is_some_and(|v| v.starts_with("expired")), "{}", jwt["validity"]);
    assert_eq!((jwt["state"].as_str(), jwt["owner"].as_str()), (Some("expired"), Some("alice@contoso.com")));
    assert_eq!(jwt["tenant"], "a2164b8e-d052-4f10-8352-fa46f761a964");
    assert_eq!(rows[1]["state"], "unknown");
    assert!(rows.iter().all(|r| r.get("value").is_none()));
}

#[test]
fn reveal_allowlist_and_exit_codes() {
    let log = fixture("app.log");
    let out = lockscope(&["scan", path(&log), "--reveal", "--format", "jsonl", "-q"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Tr0ub4dor&3"), "--reveal prints the values");

    let dir = tempfile::tempdir().expect("tempdir");
    let allow = dir.path().join("allow.txt");
    let fingerprints: Vec<String> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("json")["fingerprint"].as_str().expect("fp").to_string())
        .collect();
    std::fs::write(&allow, format!("# reviewed\n{}\n", fingerprints.join("  # ok\n"))).expect("write");
    let out = lockscope(&["scan", path(&log), "--allow", path(&allow)]);
    assert_eq!(out.status.code(), Some(0), "everything allowlisted → exit 0");
    assert!(String::from_utf8_lossy(&out.stderr).contains("6 allowlisted"));

    assert_eq!(lockscope(&["scan", path(&fixture("clean.log"))]).status.code(), Some(0));
    assert_eq!(lockscope(&["scan", "/nonexistent/lockscope"]).status.code(), Some(2));
}

#[test]
fn redact_is_a_byte_exact_filter() {
    let input = std::fs::read(fixture("app.log")).expect("fixture");
    let mut child = Command::new(env!("CARGO_BIN_EXE_lockscope"))
        .args(["redact", "--stats"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().expect("stdin").write_all(&input).expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success());
    let redacted = String::from_utf8(out.stdout).expect("utf-8");
    for value in PLANTED {
        assert!(!redacted.contains(value), "{value} survived redaction");
    }
    assert!(String::from_utf8_lossy(&out.stderr).contains("6 secrets redacted"));
    insta::assert_snapshot!("redacted_app_log", redacted);

    // What is left is clean, and lines without secrets are untouched.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("redacted.log");
    std::fs::write(&file, &redacted).expect("write");
    assert_eq!(lockscope(&["scan", path(&file)]).status.code(), Some(0));
    let original = String::from_utf8(input).expect("utf-8");
    assert_eq!(original.lines().next(), redacted.lines().next());
    assert_eq!(original.lines().nth(5), redacted.lines().nth(5), "decoys are left alone");
}

#[test]
fn rules_are_listed() {
    let out = lockscope(&["rules"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for id in
        ["entra-refresh-token", "jwt", "entra-client-secret", "aws-access-key-id", "private-key", "url-credentials"]
    {
        assert!(text.lines().any(|l| l.starts_with(&format!("{id}\t"))), "{id} listed");
    }
}
