//! The fuzz targets' bodies, one module per crate under test. Each target in `fuzz_targets/` is
//! one line calling a function here, and the main workspace's regression tests include these
//! files by path, so `cargo test` replays every saved crash through the same code. See
//! `fuzz/README.md`.

pub mod report;
pub mod secrets;
pub mod sources;

/// Every target, by name, with the module that runs it.
pub fn run(target: &str, data: &[u8]) -> bool {
    sources::run(target, data) || secrets::run(target, data) || report::run(target, data)
}
