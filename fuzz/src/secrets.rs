//! The bodies of the secret-scanner targets, two properties on arbitrary bytes:
//!
//! - `scanner_vs_reference`: the fast scanner (keyword prefilter, windows with lookahead) finds
//!   exactly what running every rule's regex over the whole input finds
//!   ([`lockscope_secrets::reference::naive`]), for a window size picked from the data;
//! - `redact_chunking`: redaction gives the same bytes with a small window and with one larger
//!   than the input, and redacting the redacted output changes nothing.
//!
//! Shared like `sources.rs`: the main workspace's replay
//! (`crates/lockscope-secrets/tests/fuzz_regressions.rs`) includes this file by path.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use lockscope_secrets::{Fingerprinter, ScanOptions, Scanner, reference};

/// The targets this module holds, by name.
pub const TARGETS: &[&str] = &["scanner_vs_reference", "redact_chunking"];

/// The naive reference runs every regex over the whole input: inputs are cut to this length so
/// an execution stays fast.
pub const REFERENCE_MAX: usize = 4096;

/// Runs target `name` on `data`; `false` if this module has no such target.
pub fn run(name: &str, data: &[u8]) -> bool {
    match name {
        "scanner_vs_reference" => scanner_vs_reference(data),
        "redact_chunking" => redact_chunking(data),
        _ => return false,
    }
    true
}

fn scanner() -> &'static Scanner {
    static S: OnceLock<Scanner> = OnceLock::new();
    S.get_or_init(|| {
        let rules = lockscope_secrets::rule::builtin().expect("the built-in rules load");
        Scanner::new(rules, Fingerprinter::default()).expect("the built-in rules compile")
    })
}

/// A window size from the data: small ones (1 to 256 bytes) cross secrets often.
fn window(data: &[u8]) -> usize {
    1 + data.iter().fold(0usize, |h, &b| h.wrapping_mul(31).wrapping_add(usize::from(b))) % 256
}

/// The fast path equals the naive reference.
pub fn scanner_vs_reference(data: &[u8]) {
    let input = &data[..data.len().min(REFERENCE_MAX)];
    let expected = reference::naive(scanner(), input);
    for window in [0, window(input)] {
        let opts = ScanOptions { window, ..ScanOptions::default() };
        let got: Vec<(String, u64, u64)> = scanner()
            .scan_bytes(input, &opts)
            .leaks
            .into_iter()
            .map(|l| (l.rule, l.offset, l.offset + l.length))
            .collect();
        assert_eq!(got, expected, "window {window}: the scanner and the naive reference disagree");
    }
}

fn redact(input: &[u8], window: usize) -> Vec<u8> {
    let mut out = Vec::new();
    scanner().redact(input, &mut out, &BTreeSet::new(), window).expect("in-memory redaction cannot fail");
    out
}

/// Redaction does not depend on the window and is idempotent.
pub fn redact_chunking(data: &[u8]) {
    let whole = redact(data, data.len().max(1) * 2 + (1 << 16));
    let small = redact(data, window(data));
    assert!(whole == small, "redaction depends on the window size ({} bytes)", window(data));
    let again = redact(&whole, 0);
    assert!(again == whole, "redacting redacted output changed it");
}
