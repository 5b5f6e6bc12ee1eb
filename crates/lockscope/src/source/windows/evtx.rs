//! Binary `.evtx` files, read chunk by chunk with the `evtx` crate (multithreading off).
//!
//! The file is streamed: the 4 KiB header, then one 64 KiB chunk at a time, each parsed on its
//! own through the crate's public chunk API. So any stream works (stdin, a `.gz`, a zip
//! member), without `Seek` and without holding the file in memory, and the order is the file's
//! own, whatever the thread count. A damaged chunk or record is one unreadable record with its
//! chunk number and file offset; the chunks and records around it are still read.
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
        let parsed = catch_unwind(AssertUnwindSafe(|| chunk(name, number, offset, data, &settings, report, out)));
        if parsed.is_err() {
            // A parser bug must not end the run: the chunk is reported and reading goes on.
            let why = format!("chunk {number} at offset {offset:#x}: the EVTX parser failed on this chunk");
            chunk_error(name, offset, why, report);
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
    let mut data = match EvtxChunkData::new(data, false) {
        Ok(d) => d,
        Err(e) => {
            return chunk_error(name, offset, format!("chunk {number} at offset {offset:#x}: {}", chain(&e)), report);
        }
    };
    data.number = Some(number);
    let mut chunk = match data.parse(Arc::clone(settings)) {
        Ok(c) => c,
        Err(e) => {
            return chunk_error(name, offset, format!("chunk {number} at offset {offset:#x}: {}", chain(&e)), report);
        }
    };
    for record in chunk.iter() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let at = match &e {
                    EvtxError::FailedToReadRecordAt { offset: inside, .. } => offset + inside,
                    _ => offset,
                };
                report.records += 1;
                report.fail(Origin::new(name, Position::Offset(at)), format!("chunk {number}: {}", chain(&e)));
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
