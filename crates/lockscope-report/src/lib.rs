#![doc = include_str!("../README.md")]

mod csv_out;
mod escape;
pub mod export;
mod html;
mod jsonl;
mod markdown;
pub mod plan;
mod sqlite;
mod summary;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use lockscope::Case;

pub use escape::{csv_cell, html, md_cell, terminal};
pub use summary::summary;

/// The tool name and version written into every output.
pub const TOOL: &str = concat!("lockscope ", env!("CARGO_PKG_VERSION"));

/// What to write besides the always-written files.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Also write `events.jsonl` (every normalised event with its origin).
    pub events: bool,
    /// SIEM exports to write under `export/<format>/`.
    pub exports: export::Exports,
}

/// A failure to write an output file.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct ReportError {
    /// The file.
    pub path: String,
    /// The I/O error.
    #[source]
    pub source: std::io::Error,
}

/// Writes the case folder into `dir` (created if missing); returns the files written.
pub fn write_case(case: &Case, dir: &Path, opts: Options) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError { path: dir.display().to_string(), source })?;
    let mut written = Vec::new();
    let mut file = |name: &str, f: &dyn Fn(&mut dyn Write) -> std::io::Result<()>| -> Result<(), ReportError> {
        let path = dir.join(name);
        let err = |source| ReportError { path: path.display().to_string(), source };
        let mut w = BufWriter::new(File::create(&path).map_err(err)?);
        f(&mut w).and_then(|()| w.flush()).map_err(err)?;
        written.push(path);
        Ok(())
    };
    file("case.json", &|w| jsonl::manifest(case, w))?;
    file("affected-users.jsonl", &|w| jsonl::users(case, w))?;
    file("affected-users.csv", &|w| csv_out::users(case, w))?;
    file("findings.jsonl", &|w| jsonl::findings(case, w))?;
    file("incidents.json", &|w| jsonl::incidents(case, w))?;
    file("token-invalidations.jsonl", &|w| jsonl::invalidations(case, w))?;
    file("secrets.jsonl", &|w| jsonl::secrets(case, w))?;
    file("report.md", &|w| markdown::report(case, w))?;
    file("report.html", &|w| html::report(case, w))?;
    if opts.events {
        file("events.jsonl", &|w| jsonl::events(case, w))?;
    }
    written.push(sqlite::write(case, &dir.join("case.sqlite"))?);
    written.extend(export::write(case, dir, opts.exports)?);
    Ok(written)
}
