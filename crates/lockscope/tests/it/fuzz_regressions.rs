//! Replays the fuzzers' saved inputs through the parser targets' own code: every file under
//! `fuzz/regressions/<target>/` (minimised crashes, kept after their fix) and `fuzz/seeds/<target>/`
//! (the seed corpus). Passes with either folder empty or absent. The targets' bodies are included
//! from `fuzz/src/sources.rs`, so this runs exactly what `cargo fuzz run <target>` ran.

#[allow(dead_code)]
#[path = "../../../../fuzz/src/sources.rs"]
mod sources;

use std::path::{Path, PathBuf};

/// The targets of the other crates, which replay them in their own tests.
const ELSEWHERE: &[&str] = &["scanner_vs_reference", "redact_chunking", "report_writers"];

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The input files of `dir`, sorted; none if it is absent.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
        .collect();
    files.sort();
    files
}

#[test]
fn every_saved_fuzz_input_replays_cleanly() {
    let mut failed = Vec::new();
    for target in sources::TARGETS {
        for kind in ["regressions", "seeds"] {
            for file in inputs(&fuzz_dir().join(kind).join(target)) {
                let data = std::fs::read(&file).expect("readable fuzz input");
                if std::panic::catch_unwind(|| sources::run(target, &data)).is_err() {
                    failed.push(file.display().to_string());
                }
            }
        }
    }
    assert!(failed.is_empty(), "fuzz inputs that fail again (panic messages above): {failed:#?}");
}

#[test]
fn regression_folders_are_named_after_targets() {
    let Ok(entries) = std::fs::read_dir(fuzz_dir().join("regressions")) else { return };
    for entry in entries.filter_map(Result::ok).filter(|e| e.path().is_dir()) {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            sources::TARGETS.contains(&name.as_str()) || ELSEWHERE.contains(&name.as_str()),
            "fuzz/regressions/{name} is not a fuzz target"
        );
    }
}
