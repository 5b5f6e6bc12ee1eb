//! Linux authentication logs (`reference/formats.md` §8): syslog text (`/var/log/auth.log`,
//! `/var/log/secure`, `/var/log/messages`, forwarded syslog), journald exports, and the binary
//! tally files of `pam_faillock` and `pam_tally2`.
//!
//! - `syslog` frames a line (RFC 3164 with year inference, RFC 3339 / ISO, RFC 5424);
//! - `messages` reads the message by program: sshd (`sshd`), PAM modules including the
//!   lockout modules (`pam`), sudo, su, login, dropbear, vsftpd, proftpd, Himmelblau and the
//!   account tools (`programs`);
//! - `collect` folds the several lines of one attempt into one event and places events in time
//!   (`year` infers the year of RFC 3164 stamps);
//! - `journald` feeds journal entries into the same parsers; `tally` reads the tally files.
//!
//! Events: a `Logon` per authentication attempt (success or failure, with the `Failure` class),
//! `Lockout` for a pam_faillock lock (and pam_tally2's first refusal), `PasswordChange`,
//! `UserCreated`, `UserDeleted`, `AccountDisabled` / `AccountEnabled` (`usermod -L` / `-U`).
//! `ip` is the remote address (IPv4-mapped IPv6 as IPv4), `source` the peer as logged, `host` the
//! logging machine, `user` the lowercased login name as logged, `detail.process` the program,
//! `code` the message's key phrase and `reason` the message text verbatim.
//!
//! Decisions:
//! - **One event per attempt.** The PAM and pre-auth lines of a process are folded into the
//!   program's own result line (`collect`); the report notes how many lines were folded.
//! - **`message repeated N times: [ … ]`** (rsyslog's reduction of N identical lines following
//!   the one logged) is read as N events at its time, so a brute force or a user's typos count
//!   as often as they happened (at most 1000 a line); the report notes such lines. Counts of
//!   *lines* (loghub's templates, `corpus/MANIFEST.md`) are counts of distinct event origins.
//! - **Year and zone.** RFC 3164 stamps get their year from `--year`, a dated line of the file,
//!   the file's modification time or the clock, rolling over where the month goes back
//!   (`year`); stamps without a zone are read as UTC. The report says which, for every file.
//! - **Lines without a timestamp** are kept at the time of the line before and counted in a note.
//! - **pam_faillock**: its lock line is a `Lockout`; old versions repeat it at every refused
//!   attempt, and a repeat within the default `unlock_time` is read as a `Locked` failure.
//! - **Injection**: every parser reads the fields a client cannot write first (from the end for
//!   sshd's `from ADDR port N ssh2`, from the start for PAM's `logname= … rhost=`) and takes the
//!   user name from between them; see `sshd` and `pam`.

use std::io::BufRead;
use std::net::IpAddr;
use std::sync::Arc;

use jiff::Timestamp;

use super::json_stream::Layout;
use super::{FileReport, ReadOptions};
use crate::event::{Event, Origin, Position};

mod collect;
mod journald;
mod messages;
mod pam;
mod programs;
mod sshd;
mod syslog;
mod tally;
mod year;

#[cfg(test)]
mod corpus_tests;
#[cfg(test)]
mod inject_tests;
#[cfg(test)]
mod prop_tests;
#[cfg(test)]
mod tests;

pub use tally::TallyKind;

/// The longest line read; longer lines are reported unreadable.
const MAX_LINE: usize = 1024 * 1024;

/// How many first lines of a stream are looked at to recognise syslog text.
const SNIFF_LINES: usize = 16;

/// An address as text: IPv4-mapped IPv6 (`::ffff:1.2.3.4`) becomes IPv4; brackets are dropped;
/// host names, `0.0.0.0`, `::` and other non-addresses are absent.
pub(crate) fn ip(text: &str) -> Option<String> {
    let t = text.trim().trim_start_matches('[').trim_end_matches(']');
    let addr: IpAddr = t.parse().ok()?;
    let addr = addr.to_canonical();
    (!addr.is_unspecified()).then(|| addr.to_string())
}

/// Whether the first bytes are syslog text: among the first complete lines, at least one (and a
/// quarter) frame with a timestamp, a host or a tag.
pub(super) fn looks_like_syslog(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let complete = match text.rfind('\n') {
        Some(end) => &text[..end],
        None => &text[..],
    };
    let lines: Vec<&str> = complete.lines().filter(|l| !l.trim().is_empty()).take(SNIFF_LINES).collect();
    let framed = lines.iter().filter(|l| syslog::is_syslog(l)).count();
    framed > 0 && framed * 4 >= lines.len()
}

/// Whether a JSON stream is journald's (`journalctl -o json` or `json-pretty`).
pub(super) fn looks_like_journal_json(head: &[u8]) -> bool {
    let window = &head[..head.len().min(64 * 1024)];
    [&b"\"__REALTIME_TIMESTAMP\""[..], b"\"__CURSOR\"", b"\"_SOURCE_REALTIME_TIMESTAMP\"", b"\"SYSLOG_IDENTIFIER\""]
        .iter()
        .any(|k| memchr::memmem::find(window, k).is_some())
}

/// Whether a stream is `journalctl -o export`: `KEY=value` lines with journal fields.
pub(super) fn looks_like_journal_export(head: &[u8]) -> bool {
    if head.starts_with(b"__CURSOR=") || head.starts_with(b"__REALTIME_TIMESTAMP=") {
        return true;
    }
    let first = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let key_len = first.iter().take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || **c == b'_').count();
    key_len > 0
        && first.get(key_len) == Some(&b'=')
        && [&b"\n__REALTIME_TIMESTAMP="[..], b"\nMESSAGE=", b"\n_HOSTNAME="]
            .iter()
            .any(|k| memchr::memmem::find(head, k).is_some())
}

/// The tally kind of a binary stream, from its content.
pub(super) fn detect_tally(head: &[u8]) -> Option<TallyKind> {
    tally::detect(head)
}

/// The tally kind corrected by the stream's name (`tallylog`), for when content cannot tell.
pub(super) fn refine_tally(kind: TallyKind, name: &str) -> TallyKind {
    tally::refine(kind, name)
}

/// Whether a stream named `tallylog` holds only empty slots (no failures): content alone cannot
/// tell it from any run of zeros.
pub(super) fn is_empty_tallylog(name: &str, head: &[u8]) -> bool {
    tally::refine(TallyKind::Faillock, name) == TallyKind::Tallylog
        && head.len().is_multiple_of(64)
        && head.iter().all(|&b| b == 0)
}

/// Reads syslog text.
pub(super) fn read_syslog(
    name: &Arc<str>,
    mut reader: Box<dyn BufRead + Send>,
    ctx: (&ReadOptions, Option<Timestamp>),
    report: &mut FileReport,
    out: &mut Vec<Event>,
) {
    let mut c = collect::Collector::new();
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    loop {
        buf.clear();
        let (n, overlong) = match read_line(&mut reader, &mut buf) {
            Ok(r) => r,
            Err(e) => {
                // Where it broke: the lines before it were read.
                report.problem = Some(format!("read error at line {}: {e}", line_no + 1));
                break;
            }
        };
        if n == 0 {
            break;
        }
        line_no += 1;
        let origin = Origin::new(name, Position::Line(line_no));
        if overlong {
            c.unreadable(origin, format!("line longer than {MAX_LINE} bytes"));
            continue;
        }
        let text = String::from_utf8_lossy(buf.trim_ascii_end());
        if text.trim().is_empty() {
            continue;
        }
        c.push(&syslog::frame(&text), origin);
    }
    c.finish(report, ctx.0, ctx.1, out);
}

/// Reads `journalctl -o json` / `json-pretty`.
pub(super) fn read_journal_json(
    name: &Arc<str>,
    reader: Box<dyn BufRead + Send>,
    layout: Layout,
    ctx: (&ReadOptions, Option<Timestamp>),
    report: &mut FileReport,
    out: &mut Vec<Event>,
) {
    journald::read_json(name, reader, layout, ctx, report, out);
}

/// Reads `journalctl -o export`.
pub(super) fn read_journal_export(
    name: &Arc<str>,
    reader: Box<dyn BufRead + Send>,
    ctx: (&ReadOptions, Option<Timestamp>),
    report: &mut FileReport,
    out: &mut Vec<Event>,
) {
    journald::read_export(name, reader, ctx, report, out);
}

/// Reads a pam_faillock tally or a pam_tally2 tallylog.
pub(super) fn read_tally(
    kind: TallyKind,
    name: &Arc<str>,
    reader: Box<dyn BufRead + Send>,
    report: &mut FileReport,
    out: &mut Vec<Event>,
) {
    tally::read(kind, name, reader, report, out);
}

/// Reads one line into `buf`, keeping at most [`MAX_LINE`] bytes; returns the bytes consumed and
/// whether the line was cut.
fn read_line(r: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<(usize, bool)> {
    super::json_stream::read_line_bounded(r, buf, MAX_LINE)
}
