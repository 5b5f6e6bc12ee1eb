//! `report.html`: a snapshot of the page for the frozen fixture (whose `hostile-names.json` names
//! users with HTML, Markdown and formula injections), what the page may load, and a headless
//! Chromium run: the page loads under its Content-Security-Policy, its script runs without error,
//! the counts it shows are those of `case.json`, and hostile names stay text.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::investigate;

/// The hostile user of `fixtures/e2e/mace-mini/hostile-names.json`, as the page must show it.
const HOSTILE_ESCAPED: &str = "&lt;img src=x onerror=alert(1)&gt;@contoso.com";

/// Investigates the frozen fixture into `dir/case`; returns the case folder and the fixture root.
fn fixture_case(dir: &Path) -> (PathBuf, String) {
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/e2e/mace-mini");
    let case = dir.join("case");
    let out = investigate(&fixture, &case, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let root = fixture.parent().and_then(Path::parent).map(|p| p.display().to_string()).unwrap_or_default();
    (case, root)
}

/// The text between the `>` that ends the start tag of the element with `id` and the next `<`.
fn text_of<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no element #{id}"));
    let rest = &html[at..];
    let start = rest.find('>').expect("end of tag") + 1;
    let end = rest[start..].find('<').expect("next tag") + start;
    &rest[start..end]
}

/// `s` with the contents of its `<style>` and `<script>` elements, and the script's hash, named
/// instead of shown: the snapshot is about the page, and page.css/page.js are tested on their own.
fn without_assets(s: &str) -> String {
    let mut out = s.to_string();
    for (open, close, name) in [("<style>", "</style>", "[page.css]"), ("<script>", "</script>", "[page.js]")] {
        if let (Some(a), Some(b)) = (out.find(open), out.find(close)) {
            out.replace_range(a + open.len()..b, name);
        }
    }
    if let Some(a) = out.find("'sha256-") {
        let b = out[a + 1..].find('\'').map_or(a, |i| a + 1 + i);
        out.replace_range(a..=b, "'sha256-[hash of page.js]'");
    }
    out
}

#[test]
fn report_html_matches_snapshot_and_loads_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (case, root) = fixture_case(dir.path());
    let html = std::fs::read_to_string(case.join("report.html")).expect("report.html");
    // Self-contained: links are in-page anchors, no element loads anything.
    for attr in ["href=\"", "src=\"", "action=\"", "srcset=\""] {
        for (i, _) in html.match_indices(attr) {
            let value: String = html[i + attr.len()..].chars().take(60).collect();
            assert!(value.starts_with('#'), "{attr}{value}… loads something");
        }
    }
    assert_eq!(html.matches("<script").count(), 1, "one script only");
    assert!(html.contains(HOSTILE_ESCAPED) && !html.contains("<img"), "a hostile name was not escaped");
    insta::assert_snapshot!("report_html", without_assets(&html.replace(&root, "[fixtures]")));
}

/// Chromium, if installed (`LOCKSCOPE_CHROMIUM` names another binary); else says the test is
/// skipped.
#[allow(clippy::print_stderr)]
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("LOCKSCOPE_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let names = ["chromium", "chromium-browser", "google-chrome"];
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file());
    if found.is_none() {
        eprintln!("SKIPPED: chromium not found");
    }
    found
}

/// Loads `page` in headless Chromium; returns the DOM after the scripts ran, and Chromium's log.
fn dump_dom(chromium: &Path, page: &Path, scratch: &Path) -> (String, String) {
    let profile = tempfile::tempdir_in(scratch).expect("profile");
    let (dom, log) = (scratch.join("dom.html"), scratch.join("chromium.log"));
    let mut child = Command::new(chromium)
        .args(["--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--enable-logging=stderr", "--v=0"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.canonicalize().expect("page").display()))
        .stdin(Stdio::null())
        .stdout(File::create(&dom).expect("dom file"))
        .stderr(File::create(&log).expect("log file"))
        .spawn()
        .expect("run chromium");
    let deadline = Instant::now() + Duration::from_secs(90);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish in 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(status.success(), "chromium failed: {log}");
    (std::fs::read_to_string(&dom).expect("dom"), log)
}

#[test]
fn report_html_runs_in_chromium_under_its_csp() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let (case, _) = fixture_case(dir.path());
    let (dom, log) = dump_dom(&chromium, &case.join("report.html"), dir.path());

    // No console message at all: no CSP violation, no uncaught error. And the script ran.
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught")).collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    assert!(dom.contains("<body data-js=\"ready\">"), "the script did not run");
    assert_eq!(text_of(&dom, "js-errors"), "", "the script reported errors");

    // The counts shown are those of case.json.
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(case.join("case.json")).expect("case.json")).expect("json");
    let shown = |id: &str| text_of(&dom, id).parse::<u64>().unwrap_or_else(|_| panic!("#{id} is not a number"));
    let n = |v: &Value| v.as_u64().expect("count");
    assert_eq!(shown("n-files"), n(&manifest["totals"]["files"]));
    assert_eq!(shown("n-events"), n(&manifest["totals"]["events"]));
    assert_eq!(shown("n-identities"), n(&manifest["identities"]));
    assert_eq!(shown("n-affected"), n(&manifest["affected_users"]));
    assert_eq!(shown("n-incidents"), n(&manifest["incidents"]));
    for (verdict, count) in manifest["verdicts"].as_object().expect("verdicts") {
        assert_eq!(shown(&format!("n-{verdict}")), n(count), "{verdict}");
    }
    let users = n(&manifest["affected_users"]);
    assert_eq!(dom.matches("<tr data-i=").count() as u64, users, "one table row per affected user");
    assert_eq!(text_of(&dom, "user-count"), format!("{users} of {users} users shown"), "the script's count");

    // The hostile name is text in the live DOM, not an element.
    assert!(dom.contains(HOSTILE_ESCAPED), "the hostile user is missing");
    assert!(!dom.contains("<img"), "a hostile name became an element");
}

#[test]
fn chromium_refuses_a_script_that_is_not_the_hashed_one() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let (case, _) = fixture_case(dir.path());
    // One added space changes the script's hash: the CSP must then block it.
    let html = std::fs::read_to_string(case.join("report.html")).expect("report.html");
    let tampered = dir.path().join("tampered.html");
    std::fs::write(&tampered, html.replacen("\"use strict\";", "\"use strict\"; ", 1)).expect("write");
    let (dom, log) = dump_dom(&chromium, &tampered, dir.path());
    assert!(!dom.contains("data-js=\"ready\""), "a script outside the CSP hash ran");
    assert!(log.contains("Content Security Policy"), "no CSP report in: {log}");
    // Without its script the page still holds every user.
    assert!(dom.contains(HOSTILE_ESCAPED));
}

#[test]
fn report_html_names_secrets_by_fingerprint_never_by_value() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/secrets/app.log");
    let case = dir.path().join("case");
    let out = investigate(&log, &case, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let html = std::fs::read_to_string(case.join("report.html")).expect("report.html");
    let secrets = std::fs::read_to_string(case.join("secrets.jsonl")).expect("secrets.jsonl");
    let fingerprints: Vec<String> = secrets
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("json")["fingerprint"].as_str().expect("fp").to_string())
        .collect();
    assert_eq!(fingerprints.len(), 6);
    for fp in &fingerprints {
        assert!(html.contains(&format!("<code>{fp}</code>")), "{fp} is not listed");
    }
    for value in
        ["Zk8q2Lp9Wx4r", "Tr0ub4dor", "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", "lJzRc1YdHaAA2KCNJJ1t", "eyJhbGci"]
    {
        assert!(!html.contains(value), "a secret value is in the page: {value}");
    }
    // The JWT names its owner; investigate says whether it still works.
    assert!(html.contains("alice@contoso.com") && html.contains("still valid at the end of the logs"));
}
