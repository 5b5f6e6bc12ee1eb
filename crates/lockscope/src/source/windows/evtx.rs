//! Binary `.evtx` files, read chunk by chunk with the `evtx` crate (multithreading off).
//!
//! The file is streamed: the 4 KiB header, then one 64 KiB chunk at a time, each parsed on its
//! own through the crate's public chunk API. So any stream works (stdin, a `.gz`, a zip
//! member), without `Seek` and without holding the file in memory, and the order is the file's
//! own, whatever the thread count. A damaged record is one unreadable record with its chunk
//! number and file offset; the chunks and records around it are still read. A chunk that cannot
//! be read at all counts as many unreadable records as its header says it holds (when that number
//! is plausible), so the lost records are counted, not just the chunk. A chunk whose only damage
//! is its header magic is read anyway, with a note.
//!
//! A record's position is `Record(n)` with `n` the record number of its EVTX record header (what
//! `evtx_dump` prints as `Record n`); the `EventRecordID` Windows logged is the event's
//! `ids.record` (the two differ in files assembled from other logs).
//!
//! Records of unused event ids are skipped before rendering: the record's template
//! substitution values are scanned (cheap, no rendering) and, when none of its `UInt16` values
//! is a used event id, the record is counted as ignored. The event id of a Windows record is
//! one of those values; when a record has no `UInt16` value at all, it is rendered to be sure.

use std::error::Error;
use std::io::{BufRead, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use evtx::binxml::value_variant::BinXmlValue;
use evtx::err::EvtxError;
use evtx::{EvtxChunkData, EvtxRecord, ParserSettings};

use super::{Name, is_used, to_event, xml};
use crate::event::{Event, Origin, Position};
use crate::source::FileReport;
use crate::source::entra::Parsed;

/// Size of the file header; the first chunk starts after it.
const HEADER: usize = 4096;
/// Size of one chunk.
const CHUNK: usize = 65536;
/// The magic every chunk starts with.
const CHUNK_MAGIC: &[u8; 8] = b"ElfChnk\0";
/// More records than this in one chunk header is not a plausible count (a record takes at least
/// a few dozen bytes of the 64 KiB).
const MAX_CHUNK_RECORDS: u64 = 4096;

/// Reads every record of an `.evtx` stream into `out`.
pub fn read(name: &Name, mut reader: Box<dyn BufRead + Send>, report: &mut FileReport, out: &mut Vec<Event>) {
    let mut header = vec![0u8; HEADER];
    match read_full(&mut reader, &mut header) {
        Ok(n) if n == HEADER => {}
        Ok(n) => {
            report.problem = Some(format!("truncated EVTX file: {n} bytes, shorter than its {HEADER}-byte header"));
            return;
        }
        Err(e) => {
            report.problem = Some(format!("read error in the EVTX header: {e}"));
            return;
        }
    }
    let settings = Arc::new(ParserSettings::new().indent(false));
    for number in 0u64.. {
        let offset = HEADER as u64 + number * CHUNK as u64;
        let mut data = vec![0u8; CHUNK];
        let got = match read_full(&mut reader, &mut data) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                report.problem = Some(format!("read error at offset {offset}: {e}"));
                break;
            }
        };
        if got < CHUNK {
            // A cut-off file: say so, and still read the records the partial chunk holds (the
            // rest of the buffer is zeros, which the parser reads as free space).
            let why = format!("chunk {number} at offset {offset:#x}: truncated, {got} of {CHUNK} bytes");
            chunk_error(name, offset, why, report);
        }
        if data.iter().all(|b| *b == 0) {
            // Never-used chunks of a pre-allocated file.
            continue;
        }
        let lost = records_in(&data);
        let parsed = catch_unwind(AssertUnwindSafe(|| chunk(name, number, offset, data, &settings, report, out)));
        if parsed.is_err() {
            // A parser bug must not end the run: the chunk is reported and reading goes on.
            let why = format!("chunk {number} at offset {offset:#x}: the EVTX parser failed on this chunk");
            lost_chunk(name, offset, why, lost, report);
        }
        if got < CHUNK {
            break;
        }
    }
}

/// Reads until `buf` is full or the stream ends; returns the bytes read.
fn read_full(reader: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Counts one unreadable record for a chunk-level problem.
fn chunk_error(name: &Name, offset: u64, reason: String, report: &mut FileReport) {
    report.records += 1;
    report.fail(Origin::new(name, Position::Offset(offset)), reason);
}

/// The records a chunk's header says it holds, when its numbers are plausible.
fn records_in(data: &[u8]) -> Option<u64> {
    let number = |at: usize| data.get(at..at + 8).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes);
    let (first, last) = (number(8)?, number(16)?);
    let n = last.checked_sub(first)?.checked_add(1)?;
    (first > 0 && n <= MAX_CHUNK_RECORDS).then_some(n)
}

/// Counts a chunk that could not be read: as many unreadable records as it holds (one when its
/// header cannot say), with one error naming the chunk.
fn lost_chunk(name: &Name, offset: u64, reason: String, lost: Option<u64>, report: &mut FileReport) {
    let n = lost.unwrap_or(1);
    let reason = match lost {
        Some(n) if n > 1 => format!("{reason} ({n} records lost)"),
        _ => reason,
    };
    report.records += n;
    report.fail_many(Origin::new(name, Position::Offset(offset)), reason, n);
}

/// Reads the records of one chunk.
fn chunk(
    name: &Name,
    number: u64,
    offset: u64,
    data: Vec<u8>,
    settings: &Arc<ParserSettings>,
    report: &mut FileReport,
    out: &mut Vec<Event>,
) {
    let lost = records_in(&data);
    let at = format!("chunk {number} at offset {offset:#x}");
    // A chunk whose magic alone is damaged (the rest of its header is plausible) is read with the
    // magic restored, and a note; if it still cannot be read, the error says both.
    let bad_magic = data.get(..8).is_some_and(|m| m != CHUNK_MAGIC);
    if bad_magic && lost.is_none() {
        let why = format!("{at}: Invalid EVTX chunk header magic, expected `ElfChnk0`, and no plausible header");
        return lost_chunk(name, offset, why, lost, report);
    }
    let repaired = bad_magic;
    let mut data = data;
    if repaired {
        data[..8].copy_from_slice(CHUNK_MAGIC);
    }
    let because = |e: &dyn Error| match repaired {
        true => format!("{at}: Invalid EVTX chunk header magic, expected `ElfChnk0`; with it restored: {}", chain(e)),
        false => format!("{at}: {}", chain(e)),
    };
    let mut data = match EvtxChunkData::new(data, false) {
        Ok(d) => d,
        Err(e) => return lost_chunk(name, offset, because(&e), lost, report),
    };
    data.number = Some(number);
    let mut chunk = match data.parse(Arc::clone(settings)) {
        Ok(c) => c,
        Err(e) => return lost_chunk(name, offset, because(&e), lost, report),
    };
    let before = report.records;
    for record in chunk.iter() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let at = match &e {
                    EvtxError::FailedToReadRecordAt { offset: inside, .. } => offset + inside,
                    _ => offset,
                };
                report.records += 1;
                report.fail(
                    Origin::new(name, Position::Offset(at)),
                    format!("damaged record in chunk {number}: {}", chain(&e)),
                );
                continue;
            }
        };
        let id = record.event_record_id;
        let origin = Origin::new(name, Position::Record(id));
        if !maybe_used(&record) {
            report.take(Ok(Parsed::Skip("Windows event id not used")), origin, out);
            continue;
        }
        let timestamp = record.timestamp;
        let parsed = record
            .into_xml_bytes()
            .map_err(|e| format!("record {id} in chunk {number}: {}", chain(&e)))
            .and_then(|x| xml::parse(&String::from_utf8_lossy(&x.data)))
            .and_then(|mut rec| {
                // The record header repeats the id and time; use them if the XML lacks them.
                rec.time = rec.time.or(Some(timestamp));
                rec.record_id = rec.record_id.or_else(|| Some(id.to_string()));
                to_event(&rec, origin.clone())
            });
        report.take(parsed, origin, out);
    }
    if repaired {
        let read = report.records - before;
        report.note(&format!("{at}: damaged header magic ignored, {read} records read from it"));
    }
}

/// Whether a record may be of a used event id, judged from its template substitution values
/// without rendering it (see the module docs).
fn maybe_used(record: &EvtxRecord<'_>) -> bool {
    let Ok(instances) = record.template_instances() else { return true };
    let mut any = false;
    for value in instances.iter().flat_map(|t| t.values.iter()) {
        if let BinXmlValue::UInt16Type(v) = value {
            if is_used(u32::from(*v)) {
                return true;
            }
            any = true;
        }
    }
    !any
}

/// An error with its causes, `outer: inner: …`, as one line.
fn chain(e: &dyn Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let next = c.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        cause = c.source();
    }
    text
}
