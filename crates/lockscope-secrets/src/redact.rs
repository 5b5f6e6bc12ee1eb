//! Redaction: copy a stream, replacing each secret by `[REDACTED:<rule>:<fingerprint>]`.
//! Every other byte is copied as is, and memory stays bounded on any line length.

use std::collections::BTreeSet;
use std::io::{self, Read, Write};

use crate::Scanner;
use crate::engine::Candidate;
use crate::stream::{self, Sink, Totals};

/// What a redaction did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RedactReport {
    /// Secrets replaced.
    pub redacted: u64,
    /// Allowlisted secrets left in place.
    pub allowed: u64,
    /// Bytes and lines read.
    pub totals: Totals,
}

/// The placeholder for a secret: its type and fingerprint, so redacted logs keep what they need.
pub fn placeholder(rule: &str, fingerprint: &str) -> String {
    format!("[REDACTED:{rule}:{fingerprint}]")
}

impl Scanner {
    /// Copies `reader` to `writer` with every secret replaced by its placeholder, except those
    /// whose fingerprint is in `allow`. `window` 0 means the default size.
    pub fn redact(
        &self,
        reader: impl Read,
        writer: impl Write,
        allow: &BTreeSet<String>,
        window: usize,
    ) -> io::Result<RedactReport> {
        let mut sink = Redactor { scanner: self, allow, out: writer, written_to: 0, report: RedactReport::default() };
        let window = if window == 0 { stream::WINDOW } else { window };
        let totals = stream::drive(&self.engine, reader, window, &mut sink)?;
        sink.out.flush()?;
        Ok(RedactReport { totals, ..sink.report })
    }

    /// Redacts bytes in memory.
    pub fn redact_bytes(&self, input: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(input.len());
        // Slices and vectors cannot fail to read or write.
        let _ = self.redact(input, &mut out, &BTreeSet::new(), 0);
        out
    }
}

struct Redactor<'a, W> {
    scanner: &'a Scanner,
    allow: &'a BTreeSet<String>,
    out: W,
    /// Stream offset up to which output has been written.
    written_to: u64,
    report: RedactReport,
}

impl<W: Write> Redactor<'_, W> {
    fn copy_to(&mut self, window: &[u8], base: u64, upto: u64) -> io::Result<()> {
        if upto > self.written_to {
            let from = usize::try_from(self.written_to - base).unwrap_or(0);
            let to = usize::try_from(upto - base).unwrap_or(window.len());
            self.out.write_all(&window[from..to])?;
            self.written_to = upto;
        }
        Ok(())
    }
}

impl<W: Write> Sink for Redactor<'_, W> {
    fn finding(&mut self, window: &[u8], base: u64, c: &Candidate, _line: u64) -> io::Result<()> {
        let value = crate::slice(window, base, c);
        let fingerprint = self.scanner.fingerprints.of(value);
        if self.allow.contains(&fingerprint) {
            self.report.allowed += 1;
            return Ok(());
        }
        self.copy_to(window, base, c.start)?;
        let rule = &self.scanner.engine.rules[c.rule];
        self.out.write_all(placeholder(&rule.id, &fingerprint).as_bytes())?;
        self.written_to = c.end;
        self.report.redacted += 1;
        Ok(())
    }

    fn advance(&mut self, window: &[u8], base: u64, upto: u64) -> io::Result<()> {
        self.copy_to(window, base, upto)
    }
}
