//! Throughput of Linux syslog parsing (MB/s), from auth.log bytes to normalised events.
//!
//! The input is built in memory: loghub's `OpenSSH_2k.log` from the shared corpus (a real
//! brute-forced sshd log: half its lines become or fold into events) repeated to about 32 MB;
//! when the corpus folder is absent, the repository's `fixtures/linux/auth.log` is repeated
//! instead.
#![allow(missing_docs, clippy::print_stderr)] // criterion's macros generate undocumented items

use std::io::Cursor;
use std::path::PathBuf;
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use lockscope::source::{ReadOptions, read_with};

/// Size of the in-memory log.
const TARGET: usize = 32 * 1024 * 1024;

fn input() -> (&'static str, Vec<u8>) {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let corpus = std::env::var_os("LOCKSCOPE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../../../shared/corpus"));
    let real = corpus.join("linux/loghub/OpenSSH_2k.log");
    let (label, mut unit) = match std::fs::read(&real) {
        Ok(bytes) => ("openssh-2k-repeated", bytes),
        Err(_) => {
            eprintln!("{} absent: using fixtures/linux/auth.log", real.display());
            (
                "fixture-auth-log-repeated",
                std::fs::read(manifest.join("../../fixtures/linux/auth.log")).unwrap_or_default(),
            )
        }
    };
    // loghub's file has no final line break.
    if unit.last() != Some(&b'\n') {
        unit.push(b'\n');
    }
    let mut data = Vec::with_capacity(TARGET + unit.len());
    while !unit.is_empty() && data.len() < TARGET {
        data.extend_from_slice(&unit);
    }
    (label, data)
}

fn bench(c: &mut Criterion) {
    let name: Arc<str> = Arc::from("auth.log");
    let (label, bytes) = input();
    let opts = ReadOptions { year: Some(2024), ..ReadOptions::default() };
    let mut group = c.benchmark_group("linux-syslog-parse");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_with_input(BenchmarkId::from_parameter(label), &bytes, |b, bytes| {
        b.iter(|| {
            let mut events = Vec::new();
            let report = read_with(&name, Box::new(Cursor::new(bytes.clone())), &opts, None, &mut events);
            assert_eq!(report.unreadable, 0);
            events.len()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
