//! The Linux readers on every fixture shape, with snapshots of the events they give.

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::Timestamp;
use serde_json::{Value, json};

use crate::event::{Event, Failure, Kind, Outcome};
use crate::source::{FileReport, ReadOptions, detect, read_with};

/// Reads `path` through [`read_with`] under the report name `name`, with `year` for RFC 3164.
pub(super) fn read_path(path: &Path, name: &str, year: Option<i16>) -> (Vec<Event>, FileReport) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    read_from(Box::new(BufReader::new(file)), name, year)
}

/// Reads in-memory bytes.
pub(super) fn read_bytes(bytes: &[u8], name: &str, year: Option<i16>) -> (Vec<Event>, FileReport) {
    read_from(Box::new(std::io::Cursor::new(bytes.to_vec())), name, year)
}

fn read_from(reader: Box<dyn std::io::BufRead + Send>, name: &str, year: Option<i16>) -> (Vec<Event>, FileReport) {
    let name: Arc<str> = Arc::from(name);
    let mut events = Vec::new();
    let report = read_with(&name, reader, &ReadOptions { year, ..ReadOptions::default() }, None, &mut events);
    assert_eq!(report.events, events.len() as u64, "{report:?}");
    (events, report)
}

fn fixture_path(rel: &str) -> PathBuf {
    crate::testutil::fixture(&format!("linux/{rel}"))
}

/// Reads a file of `fixtures/linux/`; every line is a record, each an event, ignored or unreadable.
fn fixture(rel: &str, year: Option<i16>) -> (Vec<Event>, FileReport) {
    let (events, report) = read_path(&fixture_path(rel), rel, year);
    assert_eq!(report.records, lines_with_events(&events) + report.ignored + report.unreadable, "{report:?}");
    (events, report)
}

/// How many records gave events: a repeated line gives several, a faillock lockout shares the
/// record of the failure that set it.
pub(super) fn lines_with_events(events: &[Event]) -> u64 {
    events.iter().map(|e| &e.origin).collect::<std::collections::BTreeSet<_>>().len() as u64
}

/// Events as JSON.
pub(super) fn values(events: &[Event]) -> Vec<Value> {
    events.iter().map(|e| serde_json::to_value(e).expect("events serialise")).collect()
}

/// The snapshot document: the report's counts and notes, and the events.
fn doc(events: &[Event], report: &FileReport) -> Value {
    json!({
        "format": report.format,
        "records": report.records,
        "events": report.events,
        "ignored": report.ignored,
        "unreadable": report.unreadable,
        "errors": report.errors,
        "notes": report.notes,
        "parsed": values(events),
    })
}

/// A compact view of an event for assertions: time, kind, user, ip, outcome, failure, code.
pub(super) fn brief(e: &Event) -> String {
    format!(
        "{} {} {} {} {:?} {} {}",
        e.time,
        e.kind,
        e.user.as_ref().and_then(|u| u.name.as_deref()).unwrap_or("-"),
        e.ip.as_deref().or(e.source.as_deref()).unwrap_or("-"),
        e.outcome,
        e.failure.map_or("-", Failure::as_str),
        e.code.as_deref().unwrap_or("-"),
    )
}

#[test]
fn debian_auth_log_one_event_per_attempt_across_the_new_year() {
    let (events, report) = fixture("auth.log", Some(2024));
    assert_eq!(report.format, "syslog");
    let got: Vec<String> = events.iter().map(brief).collect();
    assert_eq!(
        got,
        [
            "2024-12-30T23:58:03Z logon oracle 203.0.113.50 Failure unknown-user Failed password",
            "2024-12-31T23:59:52Z logon root 198.51.100.7 Failure bad-password Failed password",
            "2025-01-01T00:00:04Z logon root 198.51.100.7 Failure bad-password Failed password",
            "2025-01-01T00:00:04Z logon root 198.51.100.7 Failure bad-password Failed password",
            "2025-01-01T08:00:00Z logon alice 2001:db8::10 Success - Accepted publickey",
            "2025-01-01T08:05:10Z logon bob 192.0.2.44 Failure bad-password Failed password",
            "2025-01-01T08:05:20Z logon bob 192.0.2.44 Success - Accepted password",
            "2025-01-01T09:00:00Z logon carol 192.0.2.45 Failure other Failed publickey",
            "2025-01-01T09:00:01Z logon admin 192.0.2.45 Failure unknown-user Failed none",
            "2025-01-01T09:10:00Z lockout dave - Info - Consecutive login failures",
            "2025-01-01T09:10:00Z logon dave 192.0.2.46 Failure bad-password Failed password",
            "2025-01-01T10:00:09Z logon alice - Failure bad-password incorrect password attempts",
            "2025-01-01T10:01:00Z logon bob - Failure other user NOT in sudoers",
            "2025-01-01T11:00:02Z logon root - Failure bad-password FAILED SU",
            "2025-01-01T11:01:00Z logon root - Success - su",
            "2025-01-01T12:00:03Z logon erin - Failure bad-password FAILED LOGIN",
            "2025-01-01T12:01:00Z password-change erin - Info - password changed",
            "2025-01-01T12:02:00Z user-created frank - Info - new user",
        ]
    );
    // The `::ffff:` peer is logged as is; the IP is IPv4.
    let bob = &events[5];
    assert_eq!((bob.source.as_deref(), bob.ip.as_deref()), (Some("::ffff:192.0.2.44"), Some("192.0.2.44")));
    assert_eq!(events[13].actor.as_ref().and_then(|a| a.name.as_deref()), Some("alice"));
    assert_eq!(events[4].detail.process.as_deref(), Some("sshd-session"));
    assert!(report.notes.iter().any(|n| n.starts_with("1 `message repeated N times` line(s)")));
    assert!(
        report.notes.iter().any(|n| n.contains("2024 was given with --year") && n.contains("went up by one 1 time"))
    );
    insta::assert_json_snapshot!("auth_log", doc(&events, &report));
}

#[test]
fn rhel_secure_with_sss_tally2_and_ftp() {
    let (events, report) = fixture("secure", Some(2025));
    let got: Vec<String> = events.iter().map(brief).collect();
    assert_eq!(
        got,
        [
            "2025-03-03T07:15:03Z logon alice@corp.example 198.51.100.20 Failure bad-password Failed password",
            "2025-03-03T07:16:00Z logon bob@corp.example - Failure password-expired received for user",
            "2025-03-03T07:17:00Z lockout carol - Info - tally",
            "2025-03-03T07:17:02Z logon carol 198.51.100.21 Failure bad-password Failed password",
            "2025-03-03T07:17:32Z logon carol 198.51.100.21 Failure locked Failed password",
            "2025-03-03T07:20:00Z logon root 198.51.100.22 Failure bad-password Failed keyboard-interactive/pam",
            "2025-03-03T07:21:02Z logon root 198.51.100.23 Failure unknown-user Failed password",
            "2025-03-03T07:30:05Z logon dave - Failure bad-password incorrect password attempts",
            "2025-03-03T07:40:00Z logon erin 198.51.100.30 Failure bad-password FAIL LOGIN",
            "2025-03-03T07:40:05Z logon erin 198.51.100.30 Success - OK LOGIN",
            "2025-03-03T07:41:00Z logon frank 198.51.100.31 Failure bad-password Login failed",
            "2025-03-03T07:41:10Z logon nobody1 198.51.100.32 Failure unknown-user no such user found",
            "2025-03-03T07:41:20Z logon frank 198.51.100.31 Success - Login successful",
            "2025-03-03T07:50:00Z logon root 198.51.100.40 Failure bad-password Bad password attempt",
            "2025-03-03T07:50:01Z logon - 198.51.100.40 Failure unknown-user Login attempt for nonexistent user",
            "2025-03-03T07:50:02Z logon grace 2001:db8::40 Success - Password auth succeeded",
            "2025-03-03T08:00:00Z logon henry 198.51.100.50 Failure disabled Failed password",
        ]
    );
    insta::assert_json_snapshot!("secure", doc(&events, &report));
}

#[test]
fn rfc3339_lines_date_the_traditional_ones() {
    let (events, report) = fixture("rsyslog-iso.log", None);
    let got: Vec<String> = events.iter().map(brief).collect();
    assert_eq!(
        got,
        [
            "2026-05-17T17:57:47.009102Z password-change user123 - Info - password changed",
            "2026-05-17T17:57:49.234567Z logon user123 - Failure bad-password authentication failure",
            "2026-05-17T15:59:58Z logon test 192.0.2.77 Failure bad-password Failed password",
            "2026-05-17T18:00:01Z lockout test - Info - Consecutive login failures",
            "2026-05-17T18:05:00Z logon test 192.0.2.77 Failure bad-password Failed password",
            "2026-05-17T18:10:00Z logon test 192.0.2.78 Success - Accepted password",
        ]
    );
    assert!(report.notes.iter().any(|n| n.contains("2026 was taken from a line of the file")), "{:?}", report.notes);
    assert!(report.notes.iter().any(|n| n.contains("read as UTC")));
    insta::assert_json_snapshot!("rsyslog_iso", doc(&events, &report));
}

#[test]
fn rfc5424_with_structured_data_bom_and_nil_time() {
    let (events, report) = fixture("rfc5424.log", None);
    let got: Vec<String> = events.iter().map(brief).collect();
    assert_eq!(
        got,
        [
            "2023-09-28T10:11:00.000001Z logon guest 192.0.2.90 Failure unknown-user Failed password",
            "2023-09-28T12:11:05Z logon ops 192.0.2.91 Success - Accepted publickey",
            "2023-09-28T10:12:00Z logon root - Failure bad-password authentication failure",
            "2023-09-28T10:12:00Z logon ops - Failure bad-password incorrect password attempts",
        ]
    );
    assert!(report.notes.iter().any(|n| n.starts_with("1 line(s) had no timestamp")), "{:?}", report.notes);
    assert!(!report.notes.iter().any(|n| n.contains("read as UTC")), "every stamp had a zone");
    insta::assert_json_snapshot!("rfc5424", doc(&events, &report));
}

#[test]
fn entra_login_on_linux() {
    let (events, report) = fixture("entra-linux.log", Some(2024));
    let got: Vec<String> = events.iter().map(brief).collect();
    assert_eq!(
        got,
        [
            "2024-05-09T23:49:43Z logon alice@contoso.com 192.0.2.15 Success - Accepted publickey",
            "2024-05-09T23:52:10Z logon bob@contoso.com - Failure bad-password AADSTS50126",
            "2024-05-09T23:52:30Z logon carol@contoso.com - Failure locked AADSTS50053",
        ]
    );
    insta::assert_json_snapshot!("entra_linux", doc(&events, &report));
}

#[test]
fn lines_without_timestamp_are_kept_and_counted() {
    let (events, report) = fixture("untimed.log", Some(2024));
    let got: Vec<String> = events.iter().map(brief).collect();
    assert_eq!(
        got,
        [
            "2024-07-20T19:00:08Z logon root 192.0.2.150 Failure bad-password Failed password",
            "2024-07-20T19:00:08Z logon root 192.0.2.151 Failure bad-password Failed password",
            "2024-07-20T19:00:08Z logon root 192.0.2.152 Failure bad-password Failed password",
            "2024-07-20T19:00:08Z logon root 192.0.2.153 Failure bad-password Failed password",
        ]
    );
    assert_eq!((report.records, report.ignored), (6, 2));
    assert!(
        report.notes.iter().any(|n| n.starts_with("4 line(s) had no timestamp") && n.contains("(3 became events)"))
    );
    assert!(events.iter().all(|e| e.host.as_deref() != Some("Failed")), "no host invented");
}

#[test]
fn nothing_before_the_first_timestamp_and_no_timestamp_at_all() {
    let (events, report) = read_bytes(b"sshd[1]: Failed password for root from 192.0.2.1 port 1 ssh2\n", "x.log", None);
    // Without any timestamp the text is not recognised as syslog at all.
    assert_eq!((events.len(), report.format), (0, "unknown"));
    let text = "Jan  1 00:00:00 h sshd[1]: Connection closed by 192.0.2.1\nsshd[2]: Failed password for root from 192.0.2.2 port 1 ssh2\nFeb 29 00:00:00 h sshd[3]: Failed password for root from 192.0.2.3 port 1 ssh2\n";
    let (events, report) = read_bytes(text.as_bytes(), "y.log", Some(2023));
    assert_eq!(events.len(), 1);
    assert_eq!(report.unreadable, 1, "29 February 2023 does not exist");
    assert!(report.errors[0].reason.contains("inferred year 2023"), "{:?}", report.errors);
}

#[test]
fn journald_json_pretty_and_export() {
    let (events, report) = fixture("journal.json", Some(2026));
    assert_eq!(report.format, "journald-json");
    let got: Vec<String> = events.iter().map(brief).collect();
    assert_eq!(
        got,
        [
            "2026-07-21T00:00:08.629149Z logon test 192.0.2.61 Success - Accepted password",
            "2026-07-21T00:01:40Z logon ubnt 203.0.113.9 Failure unknown-user Failed password",
            "2026-07-21T00:03:20Z logon test - Failure bad-password incorrect password attempts",
            "2026-07-21T00:05:00Z lockout test - Info - Consecutive login failures",
            "2026-07-20T19:30:00Z logon root 203.0.113.10 Failure bad-password Failed password",
        ]
    );
    assert_eq!(events[0].host.as_deref(), Some("test-station"));
    assert_eq!(events[3].detail.process.as_deref(), Some("sshd"), "_COMM when no SYSLOG_IDENTIFIER");
    insta::assert_json_snapshot!("journal_json", doc(&events, &report));

    let (pretty, report) = fixture("journal-pretty.json", None);
    assert_eq!((report.format, pretty.len()), ("journald-json", 2));
    assert_eq!(pretty.iter().map(brief).collect::<Vec<_>>(), got[..2]);

    let (events, report) = fixture("journal.export", None);
    assert_eq!((report.format, report.records, report.unreadable), ("journald-export", 3, 0));
    let got: Vec<String> = events.iter().map(brief).collect();
    assert_eq!(
        got,
        [
            "2026-07-21T00:08:20Z logon root 198.51.100.99 Failure bad-password Failed password",
            "2026-07-21T00:08:21Z logon ad\nmin 198.51.100.98 Failure unknown-user Invalid user",
            "2026-07-21T00:08:22Z logon root - Failure bad-password FAILED SU",
        ]
    );
    insta::assert_json_snapshot!("journal_export", doc(&events, &report));
}

#[test]
fn faillock_tally_and_tallylog() {
    let (events, report) = fixture("faillock/alice", None);
    assert_eq!(report.format, "faillock-tally");
    let got: Vec<String> = events.iter().map(brief).collect();
    assert_eq!(
        got,
        [
            "2025-04-19T05:03:07Z lockout alice 203.0.113.8 Info - faillock tally",
            "2025-04-19T03:01:07Z logon alice - Failure bad-password faillock tally",
            "2025-04-19T05:01:07Z logon alice 203.0.113.7 Failure bad-password faillock tally",
            "2025-04-19T05:02:07Z logon alice 203.0.113.7 Failure bad-password faillock tally",
            "2025-04-19T05:03:07Z logon alice 203.0.113.8 Failure bad-password faillock tally",
            "2025-04-19T05:06:07Z logon alice 203.0.113.7 Failure bad-password faillock tally",
            "2025-04-19T06:24:27Z logon alice - Failure bad-password faillock tally",
        ]
    );
    assert_eq!((report.records, report.events), (6, 7));
    assert!(events[0].reason.as_deref().is_some_and(|r| r.contains("locked until 2025-04-19T05:16:07Z")));
    insta::assert_json_snapshot!("faillock_tally", doc(&events, &report));

    let (events, report) = fixture("tallylog", None);
    assert_eq!((report.format, report.records, report.events, report.ignored), ("tallylog", 6, 2, 4));
    let got: Vec<String> = events.iter().map(brief).collect();
    assert_eq!(
        got,
        [
            "2025-04-19T05:01:07Z logon uid:3 198.51.100.60 Failure bad-password tallylog",
            "2025-04-19T05:01:17Z logon uid:5 - Failure bad-password tallylog",
        ]
    );
    insta::assert_json_snapshot!("tallylog", doc(&events, &report));
}

#[test]
fn elastic_beats_fixture() {
    let (events, report) = fixture("elastic-beats-auth.log", Some(2024));
    assert_eq!((report.records, report.events, report.ignored), (10, 6, 4));
    let hosts: std::collections::BTreeSet<_> = events.iter().filter_map(|e| e.host.as_deref()).collect();
    assert_eq!(hosts.into_iter().collect::<Vec<_>>(), ["localhost", "precise32", "slave22"]);
    insta::assert_json_snapshot!("elastic_beats", doc(&events, &report));
}

#[test]
fn detection_by_content() {
    let head = |rel: &str| std::fs::read(fixture_path(rel)).expect("fixture");
    for (rel, want) in [
        ("auth.log", "syslog"),
        ("secure", "syslog"),
        ("rsyslog-iso.log", "syslog"),
        ("rfc5424.log", "syslog"),
        ("untimed.log", "syslog"),
        ("journal.json", "journald-json"),
        ("journal-pretty.json", "journald-json"),
        ("journal.export", "journald-export"),
        ("faillock/alice", "faillock-tally"),
        ("tallylog", "tallylog"),
    ] {
        assert_eq!(detect(&head(rel)).name(), want, "{rel}");
    }
    // Formats of other families keep their detection.
    for (rel, want) in [("windows/forwarded-syslog.log", "windows-xml"), ("windows/forwarders.jsonl", "json-lines")] {
        let bytes = std::fs::read(crate::testutil::fixture(rel)).expect("fixture");
        assert_eq!(detect(&bytes).name(), want, "{rel}");
    }
    assert_eq!(detect(b"hello\nworld\n").name(), "unknown");
}

#[test]
fn year_option_and_modification_time_reach_the_reader() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("auth.log");
    std::fs::write(&path, "Dec 10 06:55:48 h sshd[1]: Failed password for root from 192.0.2.1 port 1 ssh2\n")
        .expect("write");
    let modified: Timestamp = "2019-01-05T00:00:00Z".parse().expect("ts");
    let file = std::fs::File::options().write(true).open(&path).expect("open");
    file.set_modified(std::time::SystemTime::from(modified)).expect("mtime");
    drop(file);
    let by_mtime = crate::ingest::ingest(std::slice::from_ref(&path));
    assert_eq!(by_mtime.events[0].time.to_string(), "2018-12-10T06:55:48Z", "Dec lines before a Jan mtime");
    let given = crate::ingest::ingest_with(
        std::slice::from_ref(&path),
        &ReadOptions { year: Some(2021), ..ReadOptions::default() },
    );
    assert_eq!(given.events[0].time.to_string(), "2021-12-10T06:55:48Z");
    assert!(given.files[0].notes.iter().any(|n| n.contains("--year")));
}

#[test]
fn outcome_and_kind_of_every_role() {
    let (events, _) = crate::source::linux::collect::collect_text(
        "Jan  1 00:00:00 h sshd[1]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.1  user=root\n\
         Jan  1 00:00:01 h sshd[1]: PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.1  user=root\n\
         Jan  1 00:00:02 h sshd[2]: pam_unix(sshd:session): session opened for user root by (uid=0)\n",
        Some(2020),
    );
    // Old Red Hat style: no sshd result line, so the PAM lines are the events.
    let kinds: Vec<_> = events.iter().map(|e| (e.kind, e.outcome, e.code.clone())).collect();
    assert_eq!(
        kinds,
        [
            (Kind::Logon, Outcome::Failure, Some("authentication failure".into())),
            (Kind::Logon, Outcome::Failure, Some("more authentication failures".into())),
            (Kind::Logon, Outcome::Success, Some("session opened".into())),
        ]
    );
}

#[test]
fn old_faillock_logs_every_refusal_new_only_the_lock() {
    let text = "\
Mar  1 10:00:00 h sshd[1]: pam_faillock(sshd:auth): Consecutive login failures for user root account temporarily locked
Mar  1 10:00:00 h sshd[1]: Failed password for root from 192.0.2.1 port 1 ssh2
Mar  1 10:01:00 h sshd[2]: pam_faillock(sshd:auth): Consecutive login failures for user root account temporarily locked
Mar  1 10:01:02 h sshd[2]: Failed password for root from 192.0.2.1 port 2 ssh2
Mar  1 11:00:00 h sshd[3]: pam_faillock(sshd:auth): Consecutive login failures for user root account temporarily locked
";
    let (events, report) = crate::source::linux::collect::collect_text(text, Some(2024));
    let got: Vec<String> = events.iter().map(brief).collect();
    assert_eq!(
        got,
        [
            "2024-03-01T10:00:00Z lockout root - Info - Consecutive login failures",
            "2024-03-01T10:00:00Z logon root 192.0.2.1 Failure bad-password Failed password",
            "2024-03-01T10:01:02Z logon root 192.0.2.1 Failure locked Failed password",
            "2024-03-01T11:00:00Z lockout root - Info - Consecutive login failures",
        ]
    );
    assert_eq!(report.ignored, 1);
}
