//! Throughput of Windows event parsing (MB/s), from EVTX bytes to normalised events.
//!
//! Two real files from the shared corpus: `security.evtx` (mostly events lockscope skips: the
//! cost of skipping before rendering) and the SMB brute force (every record mapped: the cost of
//! full rendering). When the corpus folder is absent the repository's small fixtures are used.
#![allow(missing_docs, clippy::print_stderr)] // criterion's macros generate undocumented items

use std::io::Cursor;
use std::path::PathBuf;
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn inputs() -> Vec<(&'static str, Vec<u8>)> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let corpus = std::env::var_os("LOCKSCOPE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../../../shared/corpus"));
    let fixtures = manifest.join("../../fixtures/windows");
    let pick = |name: &'static str, corpus_rel: &str, fixture: &str| {
        let path = corpus.join(corpus_rel);
        let path = if path.exists() {
            path
        } else {
            eprintln!("{} absent: using fixture {fixture}", path.display());
            fixtures.join(fixture)
        };
        std::fs::read(&path).ok().map(|b| (name, b))
    };
    [
        pick("mostly-skipped", "windows/omerbenamram-evtx/security.evtx", "Security_short_selected.evtx"),
        pick("all-mapped", "windows/deepbluecli/smb-password-guessing-security.evtx", "kerbrute-4768-4771.evtx"),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn bench(c: &mut Criterion) {
    let name: Arc<str> = Arc::from("bench.evtx");
    let mut group = c.benchmark_group("windows-evtx-parse");
    group.sample_size(20);
    for (label, bytes) in inputs() {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(label), &bytes, |b, bytes| {
            b.iter(|| {
                let mut events = Vec::new();
                let report = lockscope::source::read(&name, Box::new(Cursor::new(bytes.clone())), &mut events);
                assert_eq!(report.unreadable, 0);
                events.len()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
