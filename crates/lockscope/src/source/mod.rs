//! Input formats: detection from content and the per-format readers.
//!
//! [`detect`] looks at the first bytes of a (decompressed) stream and names its [`Format`];
//! [`read`] splits the stream into records, hands each to its family parser, and counts every
//! record it could not read with the reason and position, so nothing is dropped silently.

use std::io::BufRead;
use std::sync::Arc;

use serde::Serialize;

use crate::event::{Event, Origin};

pub mod csv_rows;
pub mod entra;
pub mod field;
pub mod json_stream;
pub mod windows;

/// How many record errors are kept per file with their text; the rest are only counted.
pub const ERROR_SAMPLES: usize = 20;

/// A stream's format, named from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON records (Graph pages, arrays, JSON Lines, diagnostic envelopes, Log Analytics JSON).
    Json(json_stream::Layout),
    /// A CSV export whose header names an Entra or Azure table.
    EntraCsv(entra::CsvKind),
    /// A binary Windows event log (`.evtx`).
    Evtx,
    /// Windows events as XML (`wevtutil`, Event Viewer, `ToXml()`, forwarded records).
    WindowsXml,
    /// Nothing this tool reads.
    Unknown,
}

impl Format {
    /// A short name for reports.
    pub fn name(&self) -> &'static str {
        match self {
            Format::Json(json_stream::Layout::Lines) => "json-lines",
            Format::Json(json_stream::Layout::Document) => "json",
            Format::EntraCsv(entra::CsvKind::Portal(_)) => "entra-portal-csv",
            Format::EntraCsv(entra::CsvKind::LogAnalytics(_)) => "log-analytics-csv",
            Format::Evtx => "evtx",
            Format::WindowsXml => "windows-xml",
            Format::Unknown => "unknown",
        }
    }
}

/// Names the format of a stream from its first bytes.
pub fn detect(head: &[u8]) -> Format {
    if head.starts_with(windows::EVTX_MAGIC) {
        return Format::Evtx;
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first = text.iter().copied().find(|b| !b.is_ascii_whitespace());
    if matches!(first, Some(b'{' | b'[')) {
        return Format::Json(json_stream::layout(text));
    }
    // CSV: the header line must classify as an Entra/Azure export.
    let line_end = memchr::memchr(b'\n', text).unwrap_or(text.len());
    let header = &text[..line_end];
    if memchr::memchr(b',', header).is_some()
        && let Ok((_, headers)) = csv_rows::open(header)
        && let Some(kind) = entra::classify_csv(&headers)
    {
        return Format::EntraCsv(kind);
    }
    if windows::looks_like_xml(text) {
        return Format::WindowsXml;
    }
    // JSON behind a syslog prefix (`2025-02-02T00:27:59+08:00 HOST {"time": …}`).
    if let Some(brace) = memchr::memchr(b'{', header)
        && serde_json::from_slice::<serde::de::IgnoredAny>(header[brace..].trim_ascii_end()).is_ok()
    {
        return Format::Json(json_stream::Layout::Lines);
    }
    Format::Unknown
}

/// A record that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordError {
    /// Where it is.
    pub origin: Origin,
    /// Why it could not be read.
    pub reason: String,
}

/// What reading one stream gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileReport {
    /// The stream's name (path, `-`, or `archive!member`).
    pub file: Arc<str>,
    /// The detected format.
    pub format: &'static str,
    /// Records seen.
    pub records: u64,
    /// Events produced.
    pub events: u64,
    /// Records of a known family that carry nothing this tool uses.
    pub ignored: u64,
    /// Records that could not be read.
    pub unreadable: u64,
    /// The first [`ERROR_SAMPLES`] unreadable records with their reasons.
    pub errors: Vec<RecordError>,
    /// A problem reading the whole stream (an I/O or decompression error before any record).
    pub problem: Option<String>,
    /// Why the stream was skipped, when it holds nothing this tool reads (unrecognised format,
    /// empty, JSON of another kind).
    pub skipped: Option<String>,
    /// Caveats about what was read (a lossy export shape), each once.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl FileReport {
    fn new(file: &Arc<str>, format: Format) -> Self {
        FileReport {
            file: Arc::clone(file),
            format: format.name(),
            records: 0,
            events: 0,
            ignored: 0,
            unreadable: 0,
            errors: Vec::new(),
            problem: None,
            skipped: None,
            notes: Vec::new(),
        }
    }

    fn note(&mut self, text: &str) {
        if !self.notes.iter().any(|n| n == text) {
            self.notes.push(text.to_string());
        }
    }

    fn fail(&mut self, origin: Origin, reason: String) {
        self.unreadable += 1;
        if self.errors.len() < ERROR_SAMPLES {
            self.errors.push(RecordError { origin, reason });
        }
    }

    fn take(&mut self, parsed: Result<entra::Parsed, String>, origin: Origin, out: &mut Vec<Event>) {
        self.records += 1;
        match parsed {
            Ok(entra::Parsed::Event(e)) => {
                self.events += 1;
                out.push(*e);
            }
            Ok(entra::Parsed::Skip(_)) => self.ignored += 1,
            Err(reason) => self.fail(origin, reason),
        }
    }
}

/// Reads every record of a stream into `out`, returning what happened.
pub fn read(name: &Arc<str>, mut reader: Box<dyn BufRead + Send>, out: &mut Vec<Event>) -> FileReport {
    let head = match reader.fill_buf() {
        Ok(h) => h,
        Err(e) => {
            let mut report = FileReport::new(name, Format::Unknown);
            report.problem = Some(format!("read error: {e}"));
            return report;
        }
    };
    if head.is_empty() {
        let mut report = FileReport::new(name, Format::Unknown);
        report.skipped = Some("empty".into());
        return report;
    }
    // UTF-16 (PowerShell 5.1 redirections) is read as the UTF-8 it encodes.
    if let Some(little_endian) = windows::utf16::bom(head) {
        let utf8 = windows::utf16::Utf16ToUtf8::new(reader, little_endian);
        return read(name, Box::new(std::io::BufReader::with_capacity(256 * 1024, utf8)), out);
    }
    let format = detect(head);
    let mut report = FileReport::new(name, format);
    let mut foreign = 0;
    match format {
        Format::Json(layout) => {
            for (pos, value) in json_stream::Records::new(reader, layout) {
                let origin = Origin::new(name, pos);
                match value {
                    Ok(v) => {
                        if let Some(shape) = windows::json_shape(&v) {
                            if shape.is_lossy() {
                                report.note(windows::LOSSY_NOTE);
                            }
                            report.take(windows::parse_json(shape, &v, origin.clone()), origin, out);
                            continue;
                        }
                        let parsed = entra::parse_json(&v, origin.clone());
                        foreign += u64::from(matches!(&parsed, Err(r) if r == entra::UNRECOGNISED));
                        report.take(parsed, origin, out);
                    }
                    Err(reason) => {
                        report.records += 1;
                        report.fail(origin, reason);
                    }
                }
            }
        }
        Format::EntraCsv(kind) => match csv_rows::open(reader) {
            Ok((rdr, headers)) => {
                for (pos, row) in csv_rows::rows(rdr, headers) {
                    let origin = Origin::new(name, pos);
                    let parsed = row.and_then(|row| entra::parse_csv_row(kind, &row, origin.clone()));
                    report.take(parsed, origin, out);
                }
            }
            Err(reason) => report.problem = Some(reason),
        },
        Format::Evtx => windows::read_evtx(name, reader, &mut report, out),
        Format::WindowsXml => windows::read_xml(name, reader, &mut report, out),
        Format::Unknown => {
            report.skipped =
                Some("unrecognised format: not an Entra, Azure, Windows or Linux log this tool reads".into());
        }
    }
    let all_foreign =
        report.events == 0 && report.ignored == 0 && report.unreadable > 0 && foreign == report.unreadable;
    if all_foreign {
        // JSON, but of another kind (a tool's own output, a config file): skip it as a whole.
        report.skipped = Some(format!("JSON without any Entra or Azure record ({} records)", report.records));
        report.unreadable = 0;
        report.errors.clear();
    } else if report.problem.is_none() && report.skipped.is_none() && report.records == 0 {
        report.skipped = Some("no records found".into());
    }
    report
}
