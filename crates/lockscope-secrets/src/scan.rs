//! Scanning: every secret in a stream, with where it is, what it is, its fingerprint and what
//! the token says about itself.

use std::collections::BTreeSet;
use std::io::{self, Read};

use serde::Serialize;

use crate::Scanner;
use crate::engine::Candidate;
use crate::rule::Decode;
use crate::secret::Secret;
use crate::stream::{self, Sink, Totals};
use crate::token::{self, TokenInfo};

/// One secret found in a stream. Holds no secret material unless `--reveal` asked for it.
#[derive(Debug, Clone, Serialize)]
pub struct Leak {
    /// The rule id (`entra-refresh-token`).
    pub rule: String,
    /// The rule's human name.
    pub name: String,
    /// The provider.
    pub provider: String,
    /// Byte offset of the secret in the (decompressed) stream.
    pub offset: u64,
    /// 1-based line of the secret's first byte.
    pub line: u64,
    /// Length of the secret in bytes.
    pub length: u64,
    /// The keyed fingerprint (see [`crate::Fingerprinter`]).
    pub fingerprint: String,
    /// What the token says about itself, read offline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenInfo>,
    /// The value, only when revealing was asked for.
    #[serde(skip)]
    pub value: Option<Secret>,
}

/// How to scan.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// Keep each secret's value in [`Leak::value`].
    pub reveal: bool,
    /// Fingerprints the user has declared harmless; their matches are counted, not reported.
    pub allow: BTreeSet<String>,
    /// Window size in bytes (0: the default). Only tests and benches change it.
    pub window: usize,
}

/// What a scan of one stream found.
#[derive(Debug, Clone, Default)]
pub struct ScanReport {
    /// The secrets, in stream order.
    pub leaks: Vec<Leak>,
    /// Matches whose fingerprint is allowlisted.
    pub allowed: u64,
    /// Bytes and lines read.
    pub totals: Totals,
}

impl Scanner {
    /// Scans a stream. An I/O error mid-stream ends the scan; what was found before it is lost
    /// with it only if the caller drops the error, so callers report both.
    pub fn scan_reader(&self, reader: impl Read, opts: &ScanOptions) -> Result<ScanReport, (ScanReport, io::Error)> {
        let mut sink = Collect { scanner: self, opts, report: ScanReport::default() };
        let window = if opts.window == 0 { stream::WINDOW } else { opts.window };
        match stream::drive(&self.engine, reader, window, &mut sink) {
            Ok(totals) => {
                sink.report.totals = totals;
                Ok(sink.report)
            }
            Err(e) => Err((sink.report, e)),
        }
    }

    /// Scans bytes in memory.
    pub fn scan_bytes(&self, bytes: &[u8], opts: &ScanOptions) -> ScanReport {
        // Reading from a slice cannot fail.
        self.scan_reader(bytes, opts).unwrap_or_else(|(report, _)| report)
    }

    /// Builds the finding for a candidate whose secret is `value`.
    pub(crate) fn leak(&self, c: &Candidate, value: &[u8], line: u64, reveal: bool) -> Leak {
        let rule = &self.engine.rules[c.rule];
        Leak {
            rule: rule.id.clone(),
            name: rule.name.clone(),
            provider: rule.provider.clone(),
            offset: c.start,
            line,
            length: c.end - c.start,
            fingerprint: self.fingerprints.of(value),
            token: decode(rule.decode, value),
            value: reveal.then(|| Secret::new(value)),
        }
    }
}

/// Reads metadata from a secret with the rule's decoder.
fn decode(how: Option<Decode>, value: &[u8]) -> Option<TokenInfo> {
    let text = std::str::from_utf8(value).ok()?;
    match how? {
        Decode::Jwt => token::jwt::decode(text),
        Decode::EntraToken => token::entra::decode_refresh_token(text),
        Decode::Sas => token::sas::decode(text),
    }
}

struct Collect<'a> {
    scanner: &'a Scanner,
    opts: &'a ScanOptions,
    report: ScanReport,
}

impl Sink for Collect<'_> {
    fn finding(&mut self, window: &[u8], base: u64, c: &Candidate, line: u64) -> io::Result<()> {
        let value = crate::slice(window, base, c);
        let leak = self.scanner.leak(c, value, line, self.opts.reveal);
        if self.opts.allow.contains(&leak.fingerprint) {
            self.report.allowed += 1;
        } else {
            self.report.leaks.push(leak);
        }
        Ok(())
    }

    fn advance(&mut self, _: &[u8], _: u64, _: u64) -> io::Result<()> {
        Ok(())
    }
}
