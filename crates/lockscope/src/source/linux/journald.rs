//! journald exports (`reference/formats.md` §8.6): `journalctl -o json` (one object a line),
//! `-o json-pretty`, and the binary-safe `-o export` format.
//!
//! Each entry's `MESSAGE` goes through the same message parsers as a syslog line, with the
//! program from `SYSLOG_IDENTIFIER` (else `_COMM`), the pid from `SYSLOG_PID` (else `_PID`), the
//! host from `_HOSTNAME` and the time from `_SOURCE_REALTIME_TIMESTAMP` (when the client logged
//! it; else `__REALTIME_TIMESTAMP`, when journald received it; else the RFC 3164
//! `SYSLOG_TIMESTAMP`). Entries are never filtered by unit: `sudo`, `su` and `login` are not in
//! `ssh.service`.
//!
//! In JSON a value is a string, an array of byte numbers (not UTF-8 or not printable), an array
//! of values (a field logged several times: the first is used), or `null` (too large).

use std::io::{BufRead, Read};
use std::sync::Arc;

use jiff::Timestamp;
use serde_json::Value;

use super::collect::Collector;
use super::syslog::{Frame, Stamp, civil_stamp};
use crate::event::{Event, Origin, Position};
use crate::source::json_stream::{Layout, Records};
use crate::source::{FileReport, ReadOptions};

/// The largest field value read from an export stream.
const MAX_FIELD: u64 = 16 * 1024 * 1024;

/// The fields of one entry that lockscope uses.
#[derive(Debug, Default)]
struct Entry {
    message: Option<String>,
    ident: Option<String>,
    comm: Option<String>,
    syslog_pid: Option<String>,
    pid: Option<String>,
    host: Option<String>,
    source_time: Option<String>,
    time: Option<String>,
    syslog_time: Option<String>,
}

impl Entry {
    /// Keeps `value` for `key` when it is a used field not yet set.
    fn set(&mut self, key: &str, value: impl FnOnce() -> Option<String>) {
        let slot = match key {
            "MESSAGE" => &mut self.message,
            "SYSLOG_IDENTIFIER" => &mut self.ident,
            "_COMM" => &mut self.comm,
            "SYSLOG_PID" => &mut self.syslog_pid,
            "_PID" => &mut self.pid,
            "_HOSTNAME" => &mut self.host,
            "_SOURCE_REALTIME_TIMESTAMP" => &mut self.source_time,
            "__REALTIME_TIMESTAMP" => &mut self.time,
            "SYSLOG_TIMESTAMP" => &mut self.syslog_time,
            _ => return,
        };
        if slot.is_none() {
            *slot = value();
        }
    }

    fn stamp(&self) -> Stamp {
        let micros = [&self.source_time, &self.time]
            .into_iter()
            .flatten()
            .find_map(|t| t.trim().parse::<i64>().ok().and_then(|us| Timestamp::from_microsecond(us).ok()));
        if let Some(ts) = micros {
            let date = ts.to_zoned(jiff::tz::TimeZone::UTC).date();
            return Stamp::Abs { ts, year: date.year(), month: date.month(), zoned: true };
        }
        match self.syslog_time.as_deref().and_then(civil_stamp) {
            Some(c) => Stamp::Civil(c),
            None => Stamp::None,
        }
    }

    fn push(&self, c: &mut Collector, origin: Origin) {
        let pid = [&self.syslog_pid, &self.pid].into_iter().flatten().find_map(|p| p.trim().parse().ok());
        let frame = Frame {
            stamp: self.stamp(),
            host: self.host.as_deref(),
            prog: self.ident.as_deref().or(self.comm.as_deref()),
            pid,
            msg: self.message.as_deref().unwrap_or(""),
        };
        c.push(&frame, origin);
    }
}

/// A JSON field value as text.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_u64) => {
            let bytes: Vec<u8> = items.iter().filter_map(Value::as_u64).map(|b| b as u8).collect();
            Some(String::from_utf8_lossy(&bytes).into_owned())
        }
        Value::Array(items) => items.first().and_then(text),
        _ => None,
    }
}

/// Reads `journalctl -o json` / `json-pretty`.
pub(super) fn read_json(
    name: &Arc<str>,
    reader: Box<dyn BufRead + Send>,
    layout: Layout,
    (opts, modified): (&ReadOptions, Option<Timestamp>),
    report: &mut FileReport,
    out: &mut Vec<Event>,
) {
    let mut c = Collector::new();
    for (pos, value) in Records::new(reader, layout) {
        let origin = Origin::new(name, pos);
        match value {
            Ok(Value::Object(map)) => {
                let mut e = Entry::default();
                for (k, v) in &map {
                    e.set(k, || text(v));
                }
                e.push(&mut c, origin);
            }
            Ok(_) => c.unreadable(origin, "journal JSON record that is not an object".into()),
            Err(reason) => c.unreadable(origin, reason),
        }
    }
    c.finish(report, opts, modified, out);
}

/// Reads `journalctl -o export`: `KEY=value` lines, or `KEY` then a little-endian 64-bit length,
/// the bytes and a line break; entries end with an empty line.
pub(super) fn read_export(
    name: &Arc<str>,
    mut reader: Box<dyn BufRead + Send>,
    (opts, modified): (&ReadOptions, Option<Timestamp>),
    report: &mut FileReport,
    out: &mut Vec<Event>,
) {
    let mut c = Collector::new();
    let mut entry = Entry::default();
    let mut fields = 0usize;
    let mut n = 0u64;
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = (&mut reader).take(MAX_FIELD).read_until(b'\n', &mut line);
        let origin = || Origin::new(name, Position::Record(n + 1));
        match read {
            Err(e) => {
                report.problem = Some(format!("read error at record {}: {e}", n + 1));
                break;
            }
            Ok(0) => break,
            Ok(_) => {}
        }
        if line.last() != Some(&b'\n') && line.len() as u64 >= MAX_FIELD {
            c.unreadable(origin(), "journal export field longer than 16 MiB: stopped reading".into());
            break;
        }
        let body = line.strip_suffix(b"\n").unwrap_or(&line);
        if body.is_empty() {
            if fields > 0 {
                entry.push(&mut c, origin());
                n += 1;
            }
            entry = Entry::default();
            fields = 0;
            continue;
        }
        fields += 1;
        match memchr::memchr(b'=', body) {
            Some(eq) => {
                let key = String::from_utf8_lossy(&body[..eq]).into_owned();
                entry.set(&key, || Some(String::from_utf8_lossy(&body[eq + 1..]).into_owned()));
            }
            None => {
                let key = String::from_utf8_lossy(body).into_owned();
                match binary_field(&mut reader) {
                    Ok(value) => entry.set(&key, || Some(String::from_utf8_lossy(&value).into_owned())),
                    Err(reason) => {
                        c.unreadable(origin(), reason);
                        break;
                    }
                }
            }
        }
    }
    if fields > 0 {
        entry.push(&mut c, Origin::new(name, Position::Record(n + 1)));
    }
    c.finish(report, opts, modified, out);
}

/// The value of a binary export field: length, bytes, line break.
fn binary_field(reader: &mut dyn BufRead) -> Result<Vec<u8>, String> {
    let mut len = [0u8; 8];
    reader.read_exact(&mut len).map_err(|e| format!("journal export: truncated binary field length: {e}"))?;
    let len = u64::from_le_bytes(len);
    if len > MAX_FIELD {
        return Err(format!("journal export: binary field of {len} bytes: stopped reading"));
    }
    let mut value = Vec::new();
    reader.take(len).read_to_end(&mut value).map_err(|e| format!("journal export: {e}"))?;
    if value.len() as u64 != len {
        return Err("journal export: truncated binary field".into());
    }
    let mut nl = [0u8; 1];
    reader.read_exact(&mut nl).map_err(|e| format!("journal export: {e}"))?;
    if nl[0] != b'\n' {
        return Err("journal export: binary field not followed by a line break".into());
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_arrays_and_repeated_fields() {
        assert_eq!(text(&serde_json::json!([104, 105])).as_deref(), Some("hi"));
        assert_eq!(text(&serde_json::json!(["a", "b"])).as_deref(), Some("a"));
        assert_eq!(text(&serde_json::json!(null)), None);
        assert_eq!(text(&serde_json::json!([255, 104])).as_deref(), Some("\u{fffd}h"));
    }
}
