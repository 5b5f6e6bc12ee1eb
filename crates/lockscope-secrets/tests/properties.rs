//! Invariants of the scanner and the redactor, on random mixtures of real secret shapes,
//! near-misses, keywords and noise, large enough to cross window boundaries.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use lockscope_secrets::{Fingerprinter, ScanOptions, Scanner, reference};
use proptest::prelude::*;

fn scanner() -> &'static Scanner {
    static S: OnceLock<Scanner> = OnceLock::new();
    S.get_or_init(|| {
        Scanner::new(lockscope_secrets::rule::builtin().expect("rules"), Fingerprinter::default()).expect("engine")
    })
}

/// Fragments: every rule example and counterexample, keywords alone, and log noise.
fn fragments() -> &'static Vec<Vec<u8>> {
    static F: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    F.get_or_init(|| {
        let mut f: Vec<Vec<u8>> = Vec::new();
        for rule in scanner().rules() {
            f.extend(rule.examples.iter().map(|e| e.as_bytes().to_vec()));
            f.extend(rule.counterexamples.iter().map(|e| e.as_bytes().to_vec()));
            f.extend(rule.keywords.iter().map(|k| k.as_bytes().to_vec()));
        }
        for noise in [
            " ",
            "\n",
            "\r\n",
            "\"",
            "'",
            "=",
            ": ",
            "&",
            "?",
            "/",
            "[REDACTED:jwt:0123456789abcdef]",
            "pragma: allowlist secret",
            "Nov 24 10:15:01 host sshd[1]: Failed password for root from 10.0.0.1 port 22 ssh2\n",
            "{\"key\": \"value\", \"token\": ",
            "\u{e9}\u{e8}",
            "\u{1F600}",
        ] {
            f.push(noise.as_bytes().to_vec());
        }
        f.push(vec![0xff, 0xfe, 0x00, 0x80]);
        f
    })
}

/// An input made of chosen fragments with runs of filler between them.
fn input() -> impl Strategy<Value = Vec<u8>> {
    let n = fragments().len();
    prop::collection::vec((0..n, 0usize..3000, any::<u8>()), 1..120).prop_map(|parts| {
        let mut out = Vec::new();
        for (i, filler, byte) in parts {
            out.extend_from_slice(&fragments()[i]);
            // Filler of one printable byte stretches inputs past the window size.
            let b = if byte.is_ascii_graphic() { byte } else { b'.' };
            out.extend(std::iter::repeat_n(b, filler));
        }
        out
    })
}

fn redact(input: &[u8], window: usize) -> Vec<u8> {
    let mut out = Vec::new();
    scanner().redact(input, &mut out, &BTreeSet::new(), window).expect("in-memory redaction");
    out
}

fn spans(input: &[u8], window: usize) -> Vec<(String, u64, u64)> {
    let opts = ScanOptions { window, ..ScanOptions::default() };
    scanner().scan_bytes(input, &opts).leaks.into_iter().map(|l| (l.rule, l.offset, l.offset + l.length)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn scanner_equals_the_naive_reference(input in input(), window in 1usize..200_000) {
        prop_assert_eq!(spans(&input, window), reference::naive(scanner(), &input));
    }

    #[test]
    fn redaction_does_not_depend_on_the_window(input in input(), window in 1usize..200_000) {
        prop_assert_eq!(redact(&input, window), redact(&input, 1 << 24));
    }

    #[test]
    fn redaction_is_idempotent_and_leaves_nothing(input in input()) {
        let once = redact(&input, 0);
        prop_assert_eq!(&redact(&once, 0), &once);
        prop_assert!(spans(&once, 0).is_empty(), "a rule matches redacted output: {:?}", spans(&once, 0));
    }

    #[test]
    fn redaction_changes_only_the_secrets(input in input()) {
        let leaks = scanner().scan_bytes(&input, &ScanOptions::default()).leaks;
        let mut expected = Vec::new();
        let mut at = 0usize;
        for l in &leaks {
            let start = usize::try_from(l.offset).expect("offset");
            expected.extend_from_slice(&input[at..start]);
            expected.extend_from_slice(lockscope_secrets::placeholder(&l.rule, &l.fingerprint).as_bytes());
            at = start + usize::try_from(l.length).expect("length");
        }
        expected.extend_from_slice(&input[at..]);
        prop_assert_eq!(redact(&input, 0), expected);
    }

    #[test]
    fn arbitrary_bytes_never_panic(input in prop::collection::vec(any::<u8>(), 0..4096)) {
        let _ = scanner().scan_bytes(&input, &ScanOptions::default());
        let _ = redact(&input, 0);
    }
}

#[test]
fn line_numbers_and_offsets() {
    let input = b"first line\nsecond 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\nthird\n";
    let report = scanner().scan_bytes(input, &ScanOptions::default());
    assert_eq!(report.leaks.len(), 1);
    assert_eq!((report.leaks[0].line, report.leaks[0].offset), (2, 18));
    assert_eq!(report.totals.lines, 3);
}

#[test]
fn a_secret_on_a_gigantic_line_is_found_with_bounded_buffers() {
    // 8 MiB without a newline, the secret in the middle, scanned with the smallest window.
    let mut input = vec![b'a'; 4 << 20];
    input.extend_from_slice(b" 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 ");
    input.extend(std::iter::repeat_n(b'b', 4 << 20));
    let opts = ScanOptions { window: 1, ..ScanOptions::default() };
    let report = scanner().scan_bytes(&input, &opts);
    assert_eq!(report.leaks.len(), 1);
    assert_eq!(report.leaks[0].offset, (4 << 20) + 1);
}
