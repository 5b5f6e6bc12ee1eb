//! `lockscope redact`: a streaming filter that replaces every secret with a placeholder.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::sync::Arc;

use anyhow::{Context, bail};
use lockscope::input::{self, Input};
use lockscope_secrets::Scanner;

use crate::Status;
use crate::cli::{Global, RedactArgs};
use crate::cmd::scan::read_allowlist;
use crate::output;

/// Runs the command.
pub fn run(g: &Global, args: &RedactArgs) -> anyhow::Result<Status> {
    let scanner = Scanner::builtin().context("loading the secret rules")?;
    let allow = match &args.allow {
        Some(path) => read_allowlist(path)?,
        None => Default::default(),
    };
    let source = match &args.input {
        Some(p) => Input { name: Arc::from(p.display().to_string()), path: Some(p.clone()) },
        None => Input { name: Arc::from("-"), path: None },
    };
    let mut sink: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(File::create(p).with_context(|| format!("{}: cannot create", p.display()))?),
        None => Box::new(io::stdout().lock()),
    };
    let mut out = BufWriter::with_capacity(1 << 20, &mut sink);
    let mut result: anyhow::Result<lockscope_secrets::RedactReport> = Err(anyhow::anyhow!("no input stream"));
    let errors = input::open(&source, |stream| {
        let name = stream.name.clone();
        result = scanner.redact(stream.reader, &mut out, &allow, 0).with_context(|| format!("{name}: redacting"));
    });
    if let Some(e) = errors.into_iter().next() {
        bail!(e);
    }
    let report = result?;
    out.flush()?;
    drop(out);
    if args.stats {
        output::note(
            g.quiet,
            &format!(
                "{} secrets redacted, {} allowlisted, {} bytes in {} lines",
                report.redacted, report.allowed, report.totals.bytes, report.totals.lines
            ),
        );
    }
    Ok(Status::Clean)
}
