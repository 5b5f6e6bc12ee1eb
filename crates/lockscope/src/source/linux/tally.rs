//! Binary tally files of the lockout modules (`reference/formats.md` §8.4): who failed, when,
//! from where, and who is locked.
//!
//! Both are arrays of 64-byte records in host byte order (little-endian on x86 and ARM; other
//! orders are not read): `source[52]`, `reserved: u16`, a `u16`, `time: u64`.
//!
//! - **pam_faillock** (`/var/run/faillock/<user>`): one record per failure of the user the file is
//!   named after; the `u16` is the status (`0x1` valid, `0x2` rhost, `0x4` tty, neither: the
//!   service name). Invalid records were cleared by a successful login or `faillock --reset`.
//!   Each record becomes a failed logon; the lockouts are reconstructed with faillock's default
//!   policy (`deny = 3` valid failures within `fail_interval = 900` s, unlocked `unlock_time =
//!   600` s after the last failure), which the host's `faillock.conf` may change.
//! - **pam_tally2** (`/var/log/tallylog`): a sparse array indexed by uid; the `u16` is the count of
//!   failures since the last success, `time` the last failure, `source` its tty or remote host.
//!   The uid is all the file knows of the account, so it is named `uid:N`.
//!
//! Detection is by content: records that are either all zeros or have zero `reserved`, a
//! printable NUL-padded source and a plausible time, at least one of them a failure, with damaged
//! records (if any) in the minority and a cut-off last record allowed (both are reported).
//! Empty slots or a count above 7 (not a faillock status) mean a tallylog; when the content cannot
//! tell (one record), the file name `tallylog` does.

use std::io::{BufRead, Read};
use std::sync::Arc;

use jiff::Timestamp;

use crate::event::{App, Event, Failure, Kind, Origin, Outcome, Position, Principal};
use crate::source::FileReport;

/// Which tally file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TallyKind {
    /// A pam_faillock per-user tally.
    Faillock,
    /// pam_tally2's `/var/log/tallylog`.
    Tallylog,
}

const RECORD: usize = 64;
/// Earliest and latest plausible failure times (1980 to 2100).
const TIMES: std::ops::RangeInclusive<u64> = 315_532_800..=4_102_444_800;
/// How much of a (sparse) tallylog is read: uids up to about 16 million.
const MAX_BYTES: u64 = 1 << 30;
/// Records in a row that are not tally records after which the rest of the stream is not read
/// (a tally followed by other data, or garbage).
const MAX_BAD_RUN: u64 = 256;
/// faillock.conf defaults.
const DENY: usize = 3;
const FAIL_INTERVAL: u64 = 900;
const UNLOCK_TIME: u64 = 600;

/// One record.
struct Rec {
    source: String,
    value: u16,
    time: u64,
}

/// Reads a record, or `None` when it is not one (all-zero records are `Some` with time 0).
fn record(b: &[u8]) -> Option<Rec> {
    let b: &[u8; RECORD] = b.try_into().ok()?;
    let (source, rest) = b.split_at(52);
    let reserved = u16::from_le_bytes([rest[0], rest[1]]);
    let value = u16::from_le_bytes([rest[2], rest[3]]);
    let mut time = [0u8; 8];
    time.copy_from_slice(&rest[4..12]);
    let time = u64::from_le_bytes(time);
    if b.iter().all(|&c| c == 0) {
        return Some(Rec { source: String::new(), value: 0, time: 0 });
    }
    let text_len = source.iter().position(|&c| c == 0).unwrap_or(source.len());
    let padded = source[text_len..].iter().all(|&c| c == 0);
    let printable = source[..text_len].iter().all(|&c| c >= 0x20 && c != 0x7f);
    if reserved != 0 || !padded || !printable || !TIMES.contains(&time) {
        return None;
    }
    Some(Rec { source: String::from_utf8_lossy(&source[..text_len]).into_owned(), value, time })
}

/// Names the tally kind of a stream from its first bytes.
///
/// Damage does not hide a tally: only the complete records of `head` are judged (a file cut
/// inside a record, or a short read of a decompressor, leaves a partial one at the end); records
/// that are not tally records (overwritten bytes) are allowed after a failure record, or in the
/// minority; the reader reports each of them, and stops after a long run of them.
pub(super) fn detect(head: &[u8]) -> Option<TallyKind> {
    let whole = head.len() - head.len() % RECORD;
    let (mut used, mut empty, mut bad, mut counts) = (0usize, 0usize, 0usize, false);
    // Failure records before the first record that is not one: a tally followed by other data.
    let mut leading = None;
    for chunk in head[..whole].chunks_exact(RECORD) {
        match record(chunk) {
            None => {
                bad += 1;
                leading.get_or_insert(used);
            }
            Some(rec) if rec.time == 0 => empty += 1,
            Some(rec) => {
                used += 1;
                counts |= rec.value > 7;
            }
        }
    }
    let leading = leading.unwrap_or(used);
    if used == 0 || (leading == 0 && bad > used + empty) {
        return None;
    }
    // A damaged record is no evidence of the kind: with records of both kinds' shapes damaged,
    // the good ones decide.
    Some(if empty > 0 || counts { TallyKind::Tallylog } else { TallyKind::Faillock })
}

/// The kind, corrected by the file name when the content could not tell.
pub(super) fn refine(kind: TallyKind, name: &str) -> TallyKind {
    if base_name(name) == "tallylog" { TallyKind::Tallylog } else { kind }
}

/// The last path (or archive member) component of a stream name.
fn base_name(name: &str) -> &str {
    name.rsplit(['/', '\\', '!']).next().unwrap_or(name)
}

/// Reads a tally file.
pub(super) fn read(
    kind: TallyKind,
    name: &Arc<str>,
    reader: Box<dyn BufRead + Send>,
    report: &mut FileReport,
    out: &mut Vec<Event>,
) {
    let mut reader = reader.take(MAX_BYTES);
    let mut buf = [0u8; RECORD];
    let mut index = 0u64;
    // Each failure with whether its record is valid.
    let mut failures: Vec<(Event, bool)> = Vec::new();
    // Records in a row that are not tally records: past [`MAX_BAD_RUN`], the rest is not a tally.
    let mut bad_run = 0u64;
    loop {
        let n = match read_full(&mut reader, &mut buf) {
            Ok(n) => n,
            Err(e) => {
                report.problem = Some(format!("read error at record {}: {e}", index + 1));
                break;
            }
        };
        if n == 0 {
            break;
        }
        index += 1;
        let origin = Origin::new(name, Position::Record(index));
        report.records += 1;
        if n < RECORD {
            report.fail(origin, format!("truncated record: {n} of {RECORD} bytes"));
            break;
        }
        let Some(rec) = record(&buf) else {
            report.fail(origin, "not a tally record (reserved bytes, source text or time out of range)".into());
            bad_run += 1;
            if bad_run == MAX_BAD_RUN {
                let at = (index - MAX_BAD_RUN) * RECORD as u64;
                report.problem =
                    Some(format!("stopped reading at record {index}: nothing is a tally record from byte {at} on"));
                break;
            }
            continue;
        };
        bad_run = 0;
        if rec.time == 0 {
            report.ignored += 1;
            continue;
        }
        let ev = match kind {
            TallyKind::Faillock => faillock_event(&rec, base_name(name), origin),
            TallyKind::Tallylog => tallylog_event(&rec, index - 1, origin),
        };
        let Some(ev) = ev else {
            report.fail(Origin::new(name, Position::Record(index)), "time out of range".into());
            continue;
        };
        report.events += 1;
        failures.push((ev, rec.value & 0x1 != 0));
    }
    if reader.limit() == 0 {
        report.note("stopped reading the tally after 1 GiB (uids above about 16 million are not read)");
    }
    if kind == TallyKind::Faillock {
        let locks = lockouts(&failures);
        if !locks.is_empty() {
            report.note("lockouts reconstructed from the faillock tally with faillock.conf's defaults (deny = 3 within fail_interval = 900 s, unlock_time = 600 s); the host's settings may differ");
        }
        report.events += locks.len() as u64;
        out.extend(locks);
    }
    out.extend(failures.into_iter().map(|(e, _)| e));
}

/// Fills `buf` as far as the stream allows; returns the bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Whether a tally source is a terminal rather than a host.
fn is_tty(s: &str) -> bool {
    s.starts_with('/') || s.starts_with("tty") || s.starts_with("pts") || s == "ssh" || s.starts_with(':')
}

fn base_event(time: u64, user: String, origin: Origin) -> Option<Event> {
    let time = Timestamp::from_second(i64::try_from(time).ok()?).ok()?;
    let mut ev = Event::new(time, Kind::Logon, origin);
    ev.user = Some(Principal { name: Some(user), ..Principal::default() });
    ev.outcome = Outcome::Failure;
    ev.failure = Some(Failure::BadPassword);
    Some(ev)
}

fn faillock_event(rec: &Rec, user: &str, origin: Origin) -> Option<Event> {
    let mut ev = base_event(rec.time, user.to_lowercase(), origin)?;
    let (what, valid) = (rec.value & 0x6, rec.value & 0x1 != 0);
    let kind = match what {
        0x2 => {
            ev.source = Some(rec.source.clone()).filter(|s| !s.is_empty());
            ev.ip = super::ip(&rec.source);
            "RHOST"
        }
        0x4 => "TTY",
        _ => {
            ev.app = Some(App { id: None, name: Some(rec.source.clone()) }).filter(|_| !rec.source.is_empty());
            "SVC"
        }
    };
    ev.code = Some("faillock tally".into());
    ev.detail.process = Some("pam_faillock".into());
    let state = if valid { "valid" } else { "invalid: cleared by a successful login or faillock --reset" };
    ev.reason = Some(format!("pam_faillock tally: {kind} {} ({state})", rec.source));
    Some(ev)
}

fn tallylog_event(rec: &Rec, uid: u64, origin: Origin) -> Option<Event> {
    let mut ev = base_event(rec.time, format!("uid:{uid}"), origin)?;
    if !rec.source.is_empty() && !is_tty(&rec.source) {
        ev.source = Some(rec.source.clone());
        ev.ip = super::ip(&rec.source);
    }
    ev.code = Some("tallylog".into());
    ev.detail.process = Some("pam_tally2".into());
    ev.reason = Some(format!(
        "pam_tally2 tallylog: {} failure(s) of uid {uid} since its last success; the last from {}",
        rec.value,
        if rec.source.is_empty() { "?" } else { &rec.source }
    ));
    Some(ev)
}

/// Lockouts under faillock's default policy, from the valid failures of one user's tally.
fn lockouts(failures: &[(Event, bool)]) -> Vec<Event> {
    let mut valid: Vec<&Event> = failures.iter().filter(|(_, v)| *v).map(|(e, _)| e).collect();
    valid.sort_by_key(|e| e.time);
    let mut out: Vec<Event> = Vec::new();
    // The lock being built: its event and the time of the last failure while it held.
    let mut current: Option<(Event, i64)> = None;
    for (i, e) in valid.iter().enumerate() {
        let t = e.time.as_second();
        if let Some((lock, last)) = current.take() {
            if t <= last + UNLOCK_TIME as i64 {
                current = Some((lock, t));
                continue;
            }
            out.push(close(lock, last));
        }
        let in_window = valid[..=i].iter().filter(|p| p.time.as_second() + FAIL_INTERVAL as i64 >= t).count();
        if in_window >= DENY {
            let mut lock = Event::new(e.time, Kind::Lockout, e.origin.clone());
            lock.user.clone_from(&e.user);
            lock.source.clone_from(&e.source);
            lock.ip.clone_from(&e.ip);
            lock.app.clone_from(&e.app);
            lock.code = Some("faillock tally".into());
            lock.detail.process = Some("pam_faillock".into());
            current = Some((lock, t));
        }
    }
    if let Some((lock, last)) = current {
        out.push(close(lock, last));
    }
    out
}

/// Writes the lock's reason once its last failure is known.
fn close(mut lock: Event, last: i64) -> Event {
    let until = Timestamp::from_second(last + UNLOCK_TIME as i64).map(|t| t.to_string()).unwrap_or_default();
    lock.reason = Some(format!(
        "pam_faillock tally: {DENY} valid failures within {FAIL_INTERVAL} s (faillock.conf defaults; the host's may differ): locked until {until} unless reset"
    ));
    lock
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record as pam_faillock writes it.
    pub(crate) fn rec(source: &str, status: u16, time: u64) -> Vec<u8> {
        let mut b = vec![0u8; RECORD];
        b[..source.len().min(52)].copy_from_slice(&source.as_bytes()[..source.len().min(52)]);
        b[54..56].copy_from_slice(&status.to_le_bytes());
        b[56..64].copy_from_slice(&time.to_le_bytes());
        b
    }

    #[test]
    fn detection_by_content_and_name() {
        let one = rec("203.0.113.7", 3, 1_745_038_867);
        assert_eq!(detect(&one), Some(TallyKind::Faillock));
        let mut sparse = vec![0u8; RECORD * 3];
        sparse.extend(rec("pts/0", 12, 1_745_038_867));
        assert_eq!(detect(&sparse), Some(TallyKind::Tallylog));
        assert_eq!(refine(TallyKind::Faillock, "/var/log/tallylog"), TallyKind::Tallylog);
        assert_eq!(refine(TallyKind::Faillock, "x.zip!faillock/alice"), TallyKind::Faillock);
        assert_eq!(detect(&[0u8; RECORD * 2]), None, "all empty: nothing to tell");
        assert_eq!(detect(b"Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186\n"), None);
        assert_eq!(detect(&rec("x", 3, 5)), None, "implausible time");
        let mut bad = rec("x", 3, 1_745_038_867);
        bad[52] = 1;
        assert_eq!(detect(&bad), None, "reserved bytes set");
    }

    /// Damage inside a tally does not turn it into an unrecognised file: the good records are
    /// read and each damaged one is reported with its record number.
    #[test]
    fn a_damaged_tally_is_still_read() {
        let good: Vec<u8> = (0..6).flat_map(|i| rec("203.0.113.7", 3, 1_745_038_867 + i * 60)).collect();
        let read = |bytes: &[u8]| {
            let name: Arc<str> = Arc::from("faillock/alice");
            let mut out = Vec::new();
            let report = crate::source::read(&name, Box::new(std::io::Cursor::new(bytes.to_vec())), &mut out);
            (report, out.iter().filter(|e| e.kind == Kind::Logon).count())
        };
        let (report, failures) = read(&good);
        assert_eq!((report.format, report.records, failures), ("faillock-tally", 6, 6));
        // Cut inside the last record.
        let (report, failures) = read(&good[..RECORD * 5 + 30]);
        assert_eq!(
            (report.format, report.records, report.unreadable, failures),
            ("faillock-tally", 6, 1, 5),
            "{report:?}"
        );
        assert_eq!(report.errors[0].origin.pos, Position::Record(6));
        // A record overwritten in the middle.
        let mut flipped = good.clone();
        flipped[RECORD * 2 + 52..RECORD * 2 + 56].fill(0xff);
        let (report, failures) = read(&flipped);
        assert_eq!((report.format, report.unreadable, failures), ("faillock-tally", 1, 5), "{report:?}");
        assert_eq!(report.errors[0].origin.pos, Position::Record(3));
        // Mostly damage is not a tally; a tally followed by other data is.
        let mut noise = vec![0xa5u8; RECORD * 5];
        noise.extend(rec("203.0.113.7", 3, 1_745_038_867));
        assert_eq!(detect(&noise), None);
        let mut tail = rec("203.0.113.7", 3, 1_745_038_867);
        tail.extend(vec![b'x'; RECORD * 1000]);
        assert_eq!(detect(&tail), Some(TallyKind::Faillock));
        let (report, failures) = read(&tail);
        assert_eq!((report.unreadable, failures), (MAX_BAD_RUN, 1), "{report:?}");
        let stop = report.problem.as_deref().unwrap_or_default();
        assert_eq!(stop, "stopped reading at record 257: nothing is a tally record from byte 64 on");
    }
}
