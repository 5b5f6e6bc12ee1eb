//! Replays the `report_writers` fuzzer's saved inputs through the target's own code: every file
//! under `fuzz/regressions/report_writers/` (minimised failures, kept after their fix) and
//! `fuzz/seeds/report_writers/` must give a case folder whose files parse and whose HTML,
//! Markdown and CSV keep the input's special characters escaped. Passes with either folder empty
//! or absent. The body is included from `fuzz/src/report.rs`, so this runs exactly what
//! `cargo fuzz run report_writers` ran.

#[allow(dead_code)]
#[path = "../../../../fuzz/src/report.rs"]
mod report;

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
    for target in report::TARGETS {
        for kind in ["regressions", "seeds"] {
            for file in inputs(&fuzz.join(kind).join(target)) {
                let data = std::fs::read(&file).expect("readable fuzz input");
                if std::panic::catch_unwind(|| report::run(target, &data)).is_err() {
                    failed.push(file.display().to_string());
                }
            }
        }
    }
    assert!(failed.is_empty(), "fuzz inputs that fail again (panic messages above): {failed:#?}");
}
