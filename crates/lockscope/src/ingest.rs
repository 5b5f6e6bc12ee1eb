//! Stage 1 of the analysis: read every input, in parallel, into one sorted list of events.
//!
//! Files are read on the rayon pool; results are merged in input order and events sorted by
//! (time, origin), so the output does not depend on the thread count. The same record exported
//! twice (a Graph page and a CSV of the same sign-ins) is kept once, by its record id.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;

use crate::event::{Event, Kind};
use crate::input;
use crate::leak::{self, Sighting};
use crate::scrub;
use crate::source::{self, FileReport, ReadOptions};

/// Everything read from the inputs.
#[derive(Debug, Default)]
pub struct Ingested {
    /// Events sorted by time, then origin.
    pub events: Vec<Event>,
    /// One report per stream read, in input order.
    pub files: Vec<FileReport>,
    /// Inputs that could not be opened at all.
    pub errors: Vec<String>,
    /// Duplicate records dropped (same record id seen in several inputs).
    pub duplicates: u64,
    /// Secrets and tokens found in the inputs, in input order.
    pub secrets: Vec<Sighting>,
}

/// Totals over all files, for summaries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Streams read.
    pub files: u64,
    /// Records seen.
    pub records: u64,
    /// Events produced.
    pub events: u64,
    /// Records ignored as irrelevant.
    pub ignored: u64,
    /// Records that could not be read.
    pub unreadable: u64,
    /// Streams or inputs that could not be read (I/O, decompression).
    pub problems: u64,
    /// Streams skipped because they hold nothing this tool reads.
    pub skipped: u64,
}

impl Ingested {
    /// Sums the per-file reports.
    pub fn totals(&self) -> Totals {
        let mut t = Totals { files: self.files.len() as u64, ..Totals::default() };
        for f in &self.files {
            t.records += f.records;
            t.events += f.events;
            t.ignored += f.ignored;
            t.unreadable += f.unreadable;
            t.problems += u64::from(f.problem.is_some());
            t.skipped += u64::from(f.skipped.is_some());
        }
        t.problems += self.errors.len() as u64;
        t
    }
}

/// Reads all `paths` (files, directories, `-`) with default options.
pub fn ingest(paths: &[PathBuf]) -> Ingested {
    ingest_with(paths, &ReadOptions::default())
}

/// Reads all `paths` (files, directories, `-`) with `opts` and the default input limits.
pub fn ingest_with(paths: &[PathBuf], opts: &ReadOptions) -> Ingested {
    ingest_with_limits(paths, opts, &input::Limits::default())
}

/// Reads all `paths` (files, directories, `-`) with `opts`, under `limits`.
///
/// Every text of every event and file report is scrubbed of secrets here (see [`crate::scrub`]),
/// whether or not the inputs are scanned for them. A symbolic-link loop or a second path to an
/// input already found is reported as a skipped input, not as a failure.
pub fn ingest_with_limits(paths: &[PathBuf], opts: &ReadOptions, limits: &input::Limits) -> Ingested {
    let (inputs, expand_errors) = input::expand(paths);
    let scanner = secret_scanner();
    let sightings = if opts.skip_secrets { None } else { scanner };
    let per_input: Vec<PerInput> = inputs.par_iter().map(|inp| read_input(inp, opts, limits, sightings)).collect();
    let mut out = Ingested::default();
    for one in per_input {
        out.events.extend(one.events);
        out.files.extend(one.reports);
        out.errors.extend(one.errors);
        out.secrets.extend(one.secrets);
    }
    for e in expand_errors {
        if e.is_skip() {
            out.files.push(skipped(e.path(), e.reason()));
        } else {
            out.errors.push(e.to_string());
        }
    }
    out.events.extend(out.secrets.iter().filter_map(leak::event));
    if let Some(scanner) = scanner {
        out.events.par_iter_mut().for_each(|e| scrub::event(scanner, e));
        out.files.par_iter_mut().for_each(|f| scrub::report(scanner, f));
        for e in &mut out.errors {
            if let Some(clean) = scanner.redact_text(e) {
                *e = clean;
            }
        }
    }
    out.events.par_sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.origin.cmp(&b.origin)));
    out.duplicates = dedupe(&mut out.events);
    out
}

/// The report of an input that was found but not read (a loop, a second path to a file).
fn skipped(path: &str, why: String) -> FileReport {
    FileReport {
        file: Arc::from(path),
        format: "unknown",
        records: 0,
        events: 0,
        ignored: 0,
        unreadable: 0,
        errors: Vec::new(),
        problem: None,
        skipped: Some(why),
        notes: Vec::new(),
        unreadable_by_reason: Default::default(),
    }
}

/// What one input gave.
struct PerInput {
    events: Vec<Event>,
    reports: Vec<FileReport>,
    errors: Vec<String>,
    secrets: Vec<Sighting>,
}

/// The built-in secret scanner; if its rules cannot load, the run goes on without it.
fn secret_scanner() -> Option<&'static lockscope_secrets::Scanner> {
    match scrub::scanner() {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::error!("secret scanning disabled: {e}");
            None
        }
    }
}

fn read_input(
    inp: &input::Input,
    opts: &ReadOptions,
    limits: &input::Limits,
    scanner: Option<&lockscope_secrets::Scanner>,
) -> PerInput {
    let mut events = Vec::new();
    let mut reports: Vec<FileReport> = Vec::new();
    // The file's modification time dates RFC 3164 syslog lines (archive members share it).
    let modified = inp
        .path
        .as_ref()
        .and_then(|p| std::fs::metadata(p).ok())
        .and_then(|m| m.modified().ok())
        .and_then(|t| jiff::Timestamp::try_from(t).ok());
    let errors: Vec<String> = input::open_with(inp, limits, |stream| {
        reports.push(source::read_with(&stream.name, stream.reader, opts, modified, &mut events));
    })
    .iter()
    .map(ToString::to_string)
    .collect();
    // A second pass for secrets: parsers consume structure, the scanner needs the raw bytes.
    // Stdin cannot be read twice, so it is not scanned (the summary says so).
    let mut secrets = Vec::new();
    let mut scan_errors = Vec::new();
    if let (Some(scanner), Some(_)) = (scanner, &inp.path) {
        input::open_with(inp, limits, |stream| {
            let (found, error) = leak::scan(scanner, &stream.name, stream.reader);
            secrets.extend(found);
            // A stream that broke was reported by the parsing pass already: report it once.
            let known = |e: &str| {
                let why = e.split_once(": secret scan stopped: ").map_or(e, |(_, why)| why);
                reports.iter().filter(|r| r.file == stream.name).any(|r| {
                    r.problem.as_deref().is_some_and(|p| p.contains(why))
                        || r.errors.iter().any(|x| x.reason.contains(why))
                })
            };
            scan_errors.extend(error.filter(|e| !known(e)));
        });
    }
    PerInput { events, reports, errors: errors.into_iter().chain(scan_errors).collect(), secrets }
}

/// Drops later copies of a record with the same id in the same family; returns how many.
fn dedupe(events: &mut Vec<Event>) -> u64 {
    // Keyed by kind and time as well as id: the same record exported twice (Graph page + CSV)
    // repeats all three, while records that merely reuse an id (sanitised test data, ids that
    // are only unique per service) differ in kind or time and are kept.
    let mut seen: HashSet<(Kind, String, jiff::Timestamp)> = HashSet::new();
    let before = events.len();
    events.retain(|e| match (&e.ids.record, e.kind) {
        // Risky-user snapshots share the user id as record id: they are a stream, not copies.
        (_, Kind::RiskState) => true,
        (Some(id), kind) => seen.insert((kind, id.clone(), e.time)),
        (None, _) => true,
    });
    (before - events.len()) as u64
}
