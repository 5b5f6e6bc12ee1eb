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

impl Scanner {
    /// Whether `bytes` may hold a secret: `false` means none is there (no rule's keyword occurs),
    /// at the cost of one keyword search.
    pub fn may_hold_secret(&self, bytes: &[u8]) -> bool {
        self.engine.any_keyword(bytes)
    }

    /// Redacts one short text, such as a field of a parsed record: `None` when it holds no
    /// secret (the keyword prefilter alone decides most texts, without allocating), else the text
    /// with each secret replaced by its placeholder.
    pub fn redact_text(&self, text: &str) -> Option<String> {
        let hay = text.as_bytes();
        if !self.engine.any_keyword(hay) {
            return None;
        }
        // The whole text is one window: the same search and settling as the streaming redactor
        // (the test below holds them equal), without its window buffer.
        let mut cursor = self.engine.cursor();
        let mut pending = Vec::new();
        self.engine.scan_window(hay, 0, hay.len(), &mut cursor, &mut pending);
        let mut settled = Vec::new();
        crate::resolve::settle(&self.engine, &mut pending, None, &mut settled);
        if settled.is_empty() {
            return None;
        }
        let mut out = Vec::with_capacity(hay.len() + 48 * settled.len());
        let mut at = 0;
        for c in &settled {
            let (start, end) = (usize::try_from(c.start).ok()?, usize::try_from(c.end).ok()?);
            out.extend_from_slice(hay.get(at..start)?);
            let fingerprint = self.fingerprints.of(hay.get(start..end)?);
            out.extend_from_slice(placeholder(&self.engine.rules[c.rule].id, &fingerprint).as_bytes());
            at = end;
        }
        out.extend_from_slice(hay.get(at..)?);
        Some(String::from_utf8_lossy(&out).into_owned())
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

#[cfg(test)]
mod tests {
    use crate::Scanner;

    /// `redact_text` agrees with the streaming redactor on every line of the fixtures, and says
    /// `None` exactly when nothing changes.
    #[test]
    fn redact_text_agrees_with_redact_bytes() {
        let scanner = Scanner::builtin().expect("rules");
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/secrets/");
        let mut redacted = 0;
        // Every rule's examples and counterexamples, as texts of their own.
        let samples: Vec<String> =
            scanner.rules().iter().flat_map(|r| r.examples.iter().chain(&r.counterexamples).cloned()).collect();
        for name in ["app.log", "clean.log", "rule examples"] {
            let text = match name {
                "rule examples" => samples.join("\n"),
                _ => std::fs::read_to_string(format!("{root}{name}")).expect("fixture"),
            };
            for line in text.lines().chain(["", "Failed password for root", "user=alice@contoso.com"]) {
                let whole = String::from_utf8_lossy(&scanner.redact_bytes(line.as_bytes())).into_owned();
                match scanner.redact_text(line) {
                    Some(r) => {
                        assert_eq!(r, whole, "{name}: {line}");
                        assert_ne!(r, line);
                        redacted += 1;
                    }
                    None => assert_eq!(whole, line, "{name}: a secret missed in {line}"),
                }
            }
        }
        assert!(redacted >= 40, "the fixture and the examples plant secrets: {redacted}");
    }
}
