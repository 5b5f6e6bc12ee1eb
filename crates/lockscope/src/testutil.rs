//! Test helpers shared by the unit tests of this crate.
#![allow(clippy::print_stderr)]

use std::path::PathBuf;

/// The path of a file in the shared corpus (`../shared/corpus` next to the repository, or
/// `$LOCKSCOPE_CORPUS`), or `None` with a clear note on stderr when the folder is absent, so a
/// test can skip instead of failing on machines without it. CI has the folder.
pub fn corpus(rel: &str) -> Option<PathBuf> {
    let root = std::env::var_os("LOCKSCOPE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    let path = root.join(rel);
    if path.exists() {
        Some(path)
    } else {
        eprintln!(
            "SKIPPED: corpus file {} is absent (set LOCKSCOPE_CORPUS to the shared corpus folder)",
            path.display()
        );
        None
    }
}

/// The path of a file under the repository's `fixtures/` folder.
pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures").join(rel)
}
