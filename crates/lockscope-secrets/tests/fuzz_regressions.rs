//! Replays the fuzzers' saved inputs through the scanner targets' own code: every file under
//! `fuzz/regressions/<target>/` (minimised failures, kept after their fix) and
//! `fuzz/seeds/<target>/` (the seed corpus) must keep the target's property: the scanner equals
//! the naive reference, redaction does not depend on the window and is idempotent. Passes with
//! either folder empty or absent. The bodies are included from `fuzz/src/secrets.rs`, so this
//! runs exactly what `cargo fuzz run <target>` ran.

#[allow(dead_code)]
#[path = "../../../fuzz/src/secrets.rs"]
mod secrets;

use std::path::{Path, PathBuf};

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
    let fuzz = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut failed = Vec::new();
    for target in secrets::TARGETS {
        for kind in ["regressions", "seeds"] {
            for file in inputs(&fuzz.join(kind).join(target)) {
                let data = std::fs::read(&file).expect("readable fuzz input");
                if std::panic::catch_unwind(|| secrets::run(target, &data)).is_err() {
                    failed.push(file.display().to_string());
                }
            }
        }
    }
    assert!(failed.is_empty(), "fuzz inputs that fail again (panic messages above): {failed:#?}");
}
