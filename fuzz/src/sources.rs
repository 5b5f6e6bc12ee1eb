//! The bodies of the parser targets: each feeds arbitrary bytes to one family's reader (or, for
//! `detect_any`, to the whole dispatch) and checks what every read must give, whatever the input:
//!
//! - no panic and no hang (libFuzzer's `-timeout` catches the second);
//! - the report agrees with what was read: `events` is the number of events produced, at most
//!   [`source::ERROR_SAMPLES`] error samples and never more than `unreadable`, and every event
//!   points back to the stream it came from;
//! - for a known format, the result does not depend on how the stream is buffered (decompressors
//!   hand out short reads, so a reader must not assume a full buffer).
//!
//! This file is shared: the fuzz crate compiles it as `lockscope_fuzz::sources`, and the main
//! workspace's regression replay (`crates/lockscope/tests/it/fuzz_regressions.rs`) includes it by
//! path, so a saved crash replays through exactly the code the fuzzer ran.

use std::io::{BufRead, BufReader, Cursor};
use std::sync::Arc;

use lockscope::Event;
use lockscope::source::entra::{CsvKind, Family};
use lockscope::source::json_stream::{self, Layout, Records};
use lockscope::source::linux::TallyKind;
use lockscope::source::{self, FileReport, Format, ReadOptions, csv_rows, entra, windows};
use lockscope::{Origin, time};

/// The targets this module holds, by name (the names of `fuzz/fuzz_targets/*.rs`).
pub const TARGETS: &[&str] = &[
    "entra_json",
    "entra_csv",
    "evtx",
    "event_xml",
    "event_json",
    "syslog",
    "journald",
    "faillock",
    "detect_any",
    "time_parse",
];

/// Runs target `name` on `data`; `false` if this module has no such target.
pub fn run(name: &str, data: &[u8]) -> bool {
    match name {
        "entra_json" => entra_json(data),
        "entra_csv" => entra_csv(data),
        "evtx" => evtx(data),
        "event_xml" => event_xml(data),
        "event_json" => event_json(data),
        "syslog" => syslog(data),
        "journald" => journald(data),
        "faillock" => faillock(data),
        "detect_any" => detect_any(data),
        "time_parse" => time_parse(data),
        _ => return false,
    }
    true
}

/// The modification time given to every read, so the year of RFC 3164 lines never comes from
/// the clock and a replay gives what the fuzzer saw.
fn modified() -> Option<jiff::Timestamp> {
    jiff::Timestamp::from_second(1_750_000_000).ok()
}

fn stream(data: &[u8], capacity: usize) -> Box<dyn BufRead + Send> {
    Box::new(BufReader::with_capacity(capacity, Cursor::new(data.to_vec())))
}

/// What every report must say of the events it came with.
fn check(name: &str, report: &FileReport, events: &[Event]) {
    assert_eq!(report.events, events.len() as u64, "{name}: report.events is not the number of events produced");
    assert!(report.errors.len() <= source::ERROR_SAMPLES, "{name}: {} error samples", report.errors.len());
    assert!(
        report.errors.len() as u64 <= report.unreadable,
        "{name}: {} error samples but {} unreadable",
        report.errors.len(),
        report.unreadable
    );
    for e in events {
        assert_eq!(&*e.origin.file, name, "an event points to another stream: {:?}", e.origin);
    }
}

/// Reads `data` as `format` twice, with a large buffer and with a small one (chosen from the
/// data, 1 to 64 bytes), checks both and that they agree.
fn read_as(format: Format, name: &str, data: &[u8]) {
    let name: Arc<str> = Arc::from(name);
    let opts = ReadOptions { year: None, skip_secrets: true };
    let mut big = Vec::new();
    let a = source::read_as(format, &name, stream(data, 256 * 1024), &opts, modified(), &mut big);
    check(&name, &a, &big);
    let small_cap = 1 + data.len() % 64;
    let mut small = Vec::new();
    let b = source::read_as(format, &name, stream(data, small_cap), &opts, modified(), &mut small);
    assert_eq!(a, b, "{format:?}: the report depends on the buffer size ({small_cap} bytes)");
    assert!(big == small, "{format:?}: the events depend on the buffer size ({small_cap} bytes)");
}

/// Entra and Azure JSON (Graph pages, arrays, JSON Lines, envelopes, Log Analytics rows), in both
/// layouts, through the whole JSON path (which also routes Windows JSON shapes).
pub fn entra_json(data: &[u8]) {
    read_as(Format::Json(Layout::Lines), "entra.jsonl", data);
    read_as(Format::Json(Layout::Document), "entra.json", data);
}

/// Every Entra CSV kind the header could be. The header's own classification is read first (as
/// `detect` would), then one forced kind picked from the data, so rows meet parsers of other kinds.
pub fn entra_csv(data: &[u8]) {
    if let Ok((_, headers)) = csv_rows::open(data)
        && let Some(kind) = entra::classify_csv(&headers)
    {
        read_as(Format::EntraCsv(kind), "entra.csv", data);
    }
    const FAMILIES: [Family; 6] = [
        Family::SignIn,
        Family::Audit,
        Family::RiskDetection,
        Family::RiskyUser,
        Family::RiskyUserHistory,
        Family::AzureActivity,
    ];
    let pick = data.iter().fold(0usize, |h, &b| h.wrapping_mul(31).wrapping_add(usize::from(b)));
    let family = FAMILIES[pick % FAMILIES.len()];
    let kind =
        if (pick / FAMILIES.len()).is_multiple_of(2) { CsvKind::Portal(family) } else { CsvKind::LogAnalytics(family) };
    read_as(Format::EntraCsv(kind), "forced.csv", data);
}

/// Binary `.evtx`, chunk by chunk.
pub fn evtx(data: &[u8]) {
    read_as(Format::Evtx, "Security.evtx", data);
}

/// Windows event XML: fragments, documents, RenderedXml, forwarded single-quoted records.
pub fn event_xml(data: &[u8]) {
    read_as(Format::WindowsXml, "events.xml", data);
}

/// Windows event JSON: every record through the whole JSON path, and through each Windows shape's
/// parser whether or not the record has that shape.
pub fn event_json(data: &[u8]) {
    read_as(Format::Json(Layout::Lines), "events.jsonl", data);
    let name: Arc<str> = Arc::from("events.json");
    let layout = json_stream::layout(data);
    for (pos, value) in Records::new(Cursor::new(data), layout) {
        let Ok(value) = value else { continue };
        let origin = Origin::new(&name, pos);
        let _ = windows::json_shape(&value);
        for shape in [
            windows::JsonShape::Evtx,
            windows::JsonShape::Winlogbeat,
            windows::JsonShape::Flat,
            windows::JsonShape::GetWinEvent,
        ] {
            if let Ok(entra::Parsed::Event(e)) = windows::parse_json(shape, &value, origin.clone()) {
                assert_eq!(e.origin, origin);
            }
        }
    }
}

/// Linux syslog text (RFC 3164 with year inference, RFC 3339, RFC 5424) and every message parser.
pub fn syslog(data: &[u8]) {
    read_as(Format::Syslog, "auth.log", data);
}

/// journald: `journalctl -o export`, and `-o json` / `json-pretty` in both layouts.
pub fn journald(data: &[u8]) {
    read_as(Format::JournalExport, "journal.export", data);
    read_as(Format::JournalJson(Layout::Lines), "journal.json", data);
    read_as(Format::JournalJson(Layout::Document), "journal-pretty.json", data);
}

/// The binary tallies: a pam_faillock file (named after its user) and pam_tally2's `tallylog`.
pub fn faillock(data: &[u8]) {
    read_as(Format::Tally(TallyKind::Faillock), "faillock/alice", data);
    read_as(Format::Tally(TallyKind::Tallylog), "tallylog", data);
}

/// The whole dispatch: UTF-16 conversion, format detection, then whichever reader it names.
pub fn detect_any(data: &[u8]) {
    let _ = source::detect(data);
    for name in ["input", "var/log/tallylog"] {
        let name: Arc<str> = Arc::from(name);
        let mut events = Vec::new();
        let report =
            source::read_with(&name, stream(data, 256 * 1024), &ReadOptions::default(), modified(), &mut events);
        check(&name, &report, &events);
    }
}

/// The lenient timestamp parser: no panic, and an instant it reads is written in a form it reads
/// back to the same instant (years 1 to 9999, the range of RFC 3339).
pub fn time_parse(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = time::from_unix_seconds(&text);
    let Some(ts) = time::parse(&text) else { return };
    let year = ts.to_zoned(jiff::tz::TimeZone::UTC).year();
    if (1..=9999).contains(&year) {
        let written = time::format(ts);
        assert_eq!(time::parse(&written), Some(ts), "{text:?} was read as {written}, which reads back differently");
    }
}
