//! Scanner throughput (MB/s) on ordinary logs with no secrets, and on logs dense with them.
#![allow(missing_docs)] // criterion_group! generates undocumented items

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lockscope_secrets::{ScanOptions, Scanner};

/// Ordinary sshd/pam/app log lines, deterministic, about `size` bytes.
fn ordinary_log(size: usize) -> Vec<u8> {
    let lines = [
        "Nov 24 10:15:01 web01 sshd[2211]: Accepted publickey for deploy from 10.1.2.3 port 50122 ssh2: RSA SHA256:Zm9vYmFyYmF6cXV4\n",
        "Nov 24 10:15:02 web01 sshd[2214]: Failed password for invalid user admin from 203.0.113.7 port 4242 ssh2\n",
        "Nov 24 10:15:03 web01 app[991]: GET /api/v1/items?page=2&sort=desc 200 12ms user=alice@contoso.com\n",
        "Nov 24 10:15:04 web01 CRON[3012]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)\n",
        "{\"time\":\"2025-04-19T05:01:00Z\",\"level\":\"info\",\"msg\":\"request served\",\"status\":200,\"path\":\"/health\",\"keyId\":\"3f2504e0-4f89-11d3-9a0c-0305e82c3301\"}\n",
    ];
    let mut out = Vec::with_capacity(size + 256);
    let mut i = 0;
    while out.len() < size {
        out.extend_from_slice(lines[i % lines.len()].as_bytes());
        i += 1;
    }
    out
}

fn bench(c: &mut Criterion) {
    let scanner = Scanner::builtin().expect("rules");
    let log = ordinary_log(8 << 20);
    let mut group = c.benchmark_group("scan");
    group.throughput(Throughput::Bytes(log.len() as u64));
    group.sample_size(10);
    group.bench_function("ordinary-log", |b| b.iter(|| scanner.scan_bytes(&log, &ScanOptions::default()).leaks.len()));
    let mut dense = log.clone();
    for (i, chunk) in dense.chunks_mut(4096).enumerate() {
        if i % 4 == 0 && chunk.len() > 100 {
            chunk[..46].copy_from_slice(b"token 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 ");
        }
    }
    group.bench_function("one-secret-per-16k", |b| {
        b.iter(|| scanner.scan_bytes(&dense, &ScanOptions::default()).leaks.len())
    });
    group.bench_function("redact-ordinary-log", |b| b.iter(|| scanner.redact_bytes(&log).len()));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
