//! Input formats: detection from content and the per-format readers.
//!
//! [`detect`] looks at the first bytes of a (decompressed) stream and names its [`Format`];
//! [`read`] splits the stream into records, hands each to its family parser, and counts every
//! record it could not read with the reason and position, so nothing is dropped silently.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::sync::Arc;

use serde::Serialize;

use crate::event::{Event, Origin};

pub mod csv_rows;
pub mod entra;
pub mod field;
pub mod json_stream;
pub mod linux;
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
    /// Linux syslog text (`auth.log`, `secure`, `messages`; RFC 3164, RFC 3339, RFC 5424).
    Syslog,
    /// journald entries as JSON (`journalctl -o json` or `json-pretty`).
    JournalJson(json_stream::Layout),
    /// journald entries in the export format (`journalctl -o export`).
    JournalExport,
    /// A binary tally file of pam_faillock or pam_tally2.
    Tally(linux::TallyKind),
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
            Format::Syslog => "syslog",
            Format::JournalJson(_) => "journald-json",
            Format::JournalExport => "journald-export",
            Format::Tally(linux::TallyKind::Faillock) => "faillock-tally",
            Format::Tally(linux::TallyKind::Tallylog) => "tallylog",
            Format::Unknown => "unknown",
        }
    }
}

/// Names the format of a stream from its first bytes.
pub fn detect(head: &[u8]) -> Format {
    // An `.evtx` file, also one whose file header is damaged but whose first chunk follows it.
    if head.starts_with(windows::EVTX_MAGIC) || head.get(4096..4104) == Some(b"ElfChnk\0") {
        return Format::Evtx;
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first = text.iter().copied().find(|b| !b.is_ascii_whitespace());
    if matches!(first, Some(b'{' | b'[')) {
        let layout = json_stream::layout(text);
        if linux::looks_like_journal_json(text) {
            return Format::JournalJson(layout);
        }
        return Format::Json(layout);
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
    // Linux formats last, so nothing above changes: the binary tallies (NUL bytes no text has),
    // the journal export, then syslog text.
    if let Some(kind) = linux::detect_tally(head) {
        return Format::Tally(kind);
    }
    if linux::looks_like_journal_export(text) {
        return Format::JournalExport;
    }
    if linux::looks_like_syslog(text) {
        return Format::Syslog;
    }
    Format::Unknown
}

/// Options of a read that the data cannot carry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// The year of the first RFC 3164 syslog line (`Dec 10 06:55:46` has none); `None` to infer it
    /// from the file (a dated line, its modification time, the current date).
    pub year: Option<i16>,
    /// Do not scan the inputs for leaked secrets and tokens (they are scanned by default).
    pub skip_secrets: bool,
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
    /// Unreadable records counted by kind of reason ([`reason_kind`]), all of them, not only the
    /// samples in `errors`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub unreadable_by_reason: BTreeMap<String, u64>,
}

/// The kind of a reason (why a record is unreadable or a file skipped), to count reasons alike
/// together: the reason up to its first `: ` or ` (`, without quoted values, numbers as `N`
/// (`line longer than N bytes`, `invalid JSON`, `chunk N at offset N`).
pub fn reason_kind(reason: &str) -> String {
    let head = reason.split(": ").next().unwrap_or(reason);
    let head = head.split(" (").next().unwrap_or(head);
    let head = head.split(['"', '\'']).next().unwrap_or(head);
    let mut out = String::new();
    let mut chars = head.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            // A number, decimal or hexadecimal (`0x31000`).
            while chars.peek().is_some_and(|d| d.is_ascii_hexdigit() || *d == 'x') {
                chars.next();
            }
            out.push('N');
        } else {
            out.push(c);
        }
    }
    let out = out.trim().trim_end_matches([',', ';', '(']).trim();
    match out.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &out[..cut]),
        None if out.is_empty() => "unreadable".to_string(),
        None => out.to_string(),
    }
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
            unreadable_by_reason: BTreeMap::new(),
        }
    }

    fn note(&mut self, text: &str) {
        if !self.notes.iter().any(|n| n == text) {
            self.notes.push(text.to_string());
        }
    }

    fn fail(&mut self, origin: Origin, reason: String) {
        self.fail_many(origin, reason, 1);
    }

    /// Counts `n` unreadable records that share one position and reason (a damaged EVTX chunk).
    fn fail_many(&mut self, origin: Origin, reason: String, n: u64) {
        self.unreadable += n;
        *self.unreadable_by_reason.entry(reason_kind(&reason)).or_default() += n;
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

/// Reads every record of a stream into `out`, returning what happened, with default options.
pub fn read(name: &Arc<str>, reader: Box<dyn BufRead + Send>, out: &mut Vec<Event>) -> FileReport {
    read_with(name, reader, &ReadOptions::default(), None, out)
}

/// Reads every record of a stream into `out` with `opts`; `modified` is the stream's modification
/// time when known (a clue to the year of RFC 3164 syslog lines).
pub fn read_with(
    name: &Arc<str>,
    mut reader: Box<dyn BufRead + Send>,
    opts: &ReadOptions,
    modified: Option<jiff::Timestamp>,
    out: &mut Vec<Event>,
) -> FileReport {
    let head = match reader.fill_buf() {
        Ok(h) => h,
        Err(e) => {
            let mut report = FileReport::new(name, Format::Unknown);
            report.problem = Some(format!("read error before the first record: {e}"));
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
        return read_with(name, Box::new(std::io::BufReader::with_capacity(256 * 1024, utf8)), opts, modified, out);
    }
    let format = match detect(head) {
        Format::Tally(kind) => Format::Tally(linux::refine_tally(kind, name)),
        Format::Unknown if linux::is_empty_tallylog(name, head) => Format::Tally(linux::TallyKind::Tallylog),
        other => other,
    };
    read_as(format, name, reader, opts, modified, out)
}

/// Reads every record of a stream as `format`, whatever its content looks like (for callers that
/// know the format, and the fuzz targets, which drive each family's reader with arbitrary bytes).
/// UTF-16 is not converted here: [`read_with`] does that before detecting the format.
pub fn read_as(
    format: Format,
    name: &Arc<str>,
    reader: Box<dyn BufRead + Send>,
    opts: &ReadOptions,
    modified: Option<jiff::Timestamp>,
    out: &mut Vec<Event>,
) -> FileReport {
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
        Format::Syslog => linux::read_syslog(name, reader, (opts, modified), &mut report, out),
        Format::JournalJson(layout) => {
            linux::read_journal_json(name, reader, layout, (opts, modified), &mut report, out)
        }
        Format::JournalExport => linux::read_journal_export(name, reader, (opts, modified), &mut report, out),
        Format::Tally(kind) => linux::read_tally(kind, name, reader, &mut report, out),
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
        report.unreadable_by_reason.clear();
    } else if report.problem.is_none() && report.skipped.is_none() && report.records == 0 {
        report.skipped = Some("no records found".into());
    }
    report
}

#[cfg(test)]
mod reason_tests {
    use super::reason_kind;

    #[test]
    fn reasons_are_grouped_by_kind() {
        for (reason, kind) in [
            ("invalid JSON: EOF while parsing a string at line 1 column 451", "invalid JSON"),
            ("line longer than 67108864 bytes", "line longer than N bytes"),
            ("chunk 3 at offset 0x31000: Failed to parse chunk header", "chunk N at offset N"),
            ("unreadable time in createdDateTime: \"yesterday\"", "unreadable time in createdDateTime"),
            ("row has 21 cells but the header has 19", "row has N cells but the header has N"),
            ("JSON without any Entra or Azure record (1 records)", "JSON without any Entra or Azure record"),
            ("", "unreadable"),
        ] {
            assert_eq!(reason_kind(reason), kind, "{reason}");
        }
        assert!(reason_kind(&"x".repeat(500)).chars().count() <= 61);
    }
}
