//! End-to-end tests of the engine on real files: the shared corpus (skipped with a note when the
//! folder is absent) and the repository's fixtures.
#![allow(clippy::print_stderr)]

use std::path::PathBuf;

use lockscope::{Kind, Outcome, Settings, analyse, ingest};

fn corpus(rel: &str) -> Option<PathBuf> {
    let root = std::env::var_os("LOCKSCOPE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    let p = root.join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("SKIPPED: {} is absent (set LOCKSCOPE_CORPUS to the shared corpus folder)", p.display());
        None
    }
}

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures").join(rel)
}

#[test]
fn every_real_entra_file_reads_without_errors() {
    let Some(dir) = corpus("entra") else { return };
    let got = ingest(&[dir]);
    for f in &got.files {
        assert_eq!(f.unreadable, 0, "{}: {:?}", f.file, f.errors);
        assert!(f.problem.is_none() && f.skipped.is_none(), "{}: {:?} {:?}", f.file, f.problem, f.skipped);
    }
    let count = |k: Kind| got.events.iter().filter(|e| e.kind == k).count();
    // MANIFEST: 5 + 2 sign-ins, 3 + 4 audit rows, 2 risk detections, 2 risky users, 3 activity
    // records: 21 records. Elastic's sanitising gave the three service-principal sign-ins one
    // request id and time, and the three `Update device` audit variants one id and time; the OTRF
    // export holds one row twice. Same kind, id and time is the same record (formats.md §2.5:
    // deduplicate on the request id), so 5 copies are dropped.
    assert_eq!(got.totals().records, 21);
    assert_eq!(got.duplicates, 5);
    assert_eq!(count(Kind::SignIn) + count(Kind::NonInteractiveSignIn) + count(Kind::ServiceSignIn), 5);
    assert_eq!(count(Kind::RiskDetection), 2);
    assert_eq!(count(Kind::RiskState), 2);
    assert_eq!(count(Kind::AzureOperation), 3);
    let failures = got.events.iter().filter(|e| e.kind.is_user_sign_in() && e.outcome == Outcome::Failure).count();
    assert_eq!(failures, 0, "50140 is an interrupt, not a failure");
    let case = analyse(got, &Settings::default(), None);
    // joel.miller has a passwordSpray detection: one indicator, so review, never cleared.
    let joel = case.users.iter().find(|u| u.user.starts_with("joel.miller")).expect("joel is affected");
    assert_eq!(joel.verdict, lockscope::Verdict::NeedsReview);
}

#[test]
fn fixtures_read_the_same_compressed_and_plain() {
    let plain = fixture("entra/audit/AADAuditEvents.json");
    let dir = tempfile::tempdir().expect("tempdir");
    let gz = dir.path().join("audit.bin");
    let bytes = std::fs::read(&plain).expect("fixture");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &bytes).expect("gzip");
    std::fs::write(&gz, enc.finish().expect("gzip")).expect("write");
    let a = ingest(&[plain]);
    let b = ingest(&[gz]);
    assert_eq!((a.events.len(), a.duplicates), (3, 1), "the two identical rows are one record");
    assert_eq!(
        a.events.iter().map(|e| (e.time, e.kind)).collect::<Vec<_>>(),
        b.events.iter().map(|e| (e.time, e.kind)).collect::<Vec<_>>()
    );
}

#[test]
fn unknown_and_damaged_inputs_are_reported_not_fatal() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("notes.txt"), "just some text\n").expect("write");
    std::fs::write(dir.path().join("empty.json"), "").expect("write");
    std::fs::write(dir.path().join("package.json"), "{\"name\": \"x\", \"version\": \"1\"}").expect("write");
    let good = std::fs::read_to_string(fixture("entra/audit/AADAuditEvents.json")).expect("fixture");
    let mut lines: Vec<&str> = good.lines().collect();
    lines.insert(1, "{\"broken\": ");
    std::fs::write(dir.path().join("mixed.jsonl"), lines.join("\n")).expect("write");
    let got = ingest(&[dir.path().to_path_buf(), PathBuf::from("/no/such/file")]);
    assert_eq!(got.errors.len(), 1);
    let by_name = |n: &str| got.files.iter().find(|f| f.file.ends_with(n)).expect("reported");
    assert!(by_name("notes.txt").skipped.as_deref().is_some_and(|p| p.starts_with("unrecognised format")));
    assert_eq!(by_name("empty.json").skipped.as_deref(), Some("empty"));
    let other = by_name("package.json");
    assert_eq!(
        (other.unreadable, other.skipped.as_deref()),
        (0, Some("JSON without any Entra or Azure record (1 records)"))
    );
    let mixed = by_name("mixed.jsonl");
    assert_eq!((mixed.events, mixed.unreadable), (4, 1));
    assert_eq!(mixed.errors[0].origin.pos, lockscope::Position::Line(2));
}
