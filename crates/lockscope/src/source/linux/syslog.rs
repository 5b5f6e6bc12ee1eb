//! Syslog line framing: the timestamp, host and tag in front of a message (`reference/formats.md`
//! §8.1).
//!
//! Shapes read, tried in this order:
//! - RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`, `-` for nil);
//! - RFC 3164 / traditional (`Mmm dd HH:MM:SS HOST TAG: MSG`, day space-padded, no year or zone),
//!   optionally behind a `<PRI>` as forwarded on the network;
//! - RFC 3339 / ISO (`2026-05-17T18:00:01.000000+00:00 HOST TAG: MSG`, rsyslog's default since
//!   Debian 12, and `journalctl -o short-iso`);
//! - vsftpd's own log (`Sat Feb  1 10:00:00 2025 [pid 12] …`, a ctime stamp with the year).
//!
//! A line with none of these has no timestamp; its tag is still read when it has one
//! (`sshd[1]: …`), so journal-style lines keep their program.
//!
//! The tag is `PROG[PID]:` or `PROG:`; old Red Hat PAM writes `sshd(pam_unix)[PID]:` and GDM
//! `gdm-password][PID]:`. The host is left out by some local loggers, so a first word that is
//! itself a tag is taken as the tag.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};

/// A date and time without a year or zone, as RFC 3164 writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Civil {
    /// 1–12.
    pub month: i8,
    /// 1–31 (not yet checked against the month: the year is unknown).
    pub day: i8,
    /// 0–23.
    pub hour: i8,
    /// 0–59.
    pub minute: i8,
    /// 0–59 (a leap second 60 is folded into 59).
    pub second: i8,
    /// Fraction of the second.
    pub nanos: i32,
}

impl Civil {
    /// The instant in `year`, reading the civil time as UTC; `None` when the date does not exist
    /// in that year (29 February of a common year).
    pub fn at_year(&self, year: i16) -> Option<Timestamp> {
        let date = Date::new(year, self.month, self.day).ok()?;
        let time = Time::new(self.hour, self.minute, self.second, self.nanos).ok()?;
        DateTime::from_parts(date, time).to_zoned(jiff::tz::TimeZone::UTC).ok().map(|z| z.timestamp())
    }
}

/// A line's timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stamp {
    /// A full instant, with the year and month as written (for year inference of other lines)
    /// and whether the text carried a zone.
    Abs {
        /// The instant (UTC; a stamp without zone is read as UTC).
        ts: Timestamp,
        /// The year as written.
        year: i16,
        /// The month as written.
        month: i8,
        /// Whether the stamp had a zone (`Z` or an offset).
        zoned: bool,
    },
    /// An RFC 3164 stamp: the year must be inferred, the zone is unknown.
    Civil(Civil),
    /// No timestamp on the line.
    None,
}

/// One framed line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Frame<'a> {
    /// The timestamp.
    pub stamp: Stamp,
    /// The logging host, as written.
    pub host: Option<&'a str>,
    /// The program (tag without pid), as written.
    pub prog: Option<&'a str>,
    /// The process id.
    pub pid: Option<u32>,
    /// The message after the tag.
    pub msg: &'a str,
}

/// Frames one line (without its line break).
pub(super) fn frame(line: &str) -> Frame<'_> {
    let (pri, rest) = strip_pri(line);
    if pri && let Some(f) = rfc5424(rest) {
        return f;
    }
    if let Some((civil, used)) = rfc3164_stamp(rest.as_bytes()) {
        return after_stamp(Stamp::Civil(civil), &rest[used..]);
    }
    if let Some((stamp, used)) = iso_stamp(rest) {
        return after_stamp(stamp, &rest[used..]);
    }
    if let Some((stamp, used)) = ctime_stamp(rest) {
        let msg = rest[used..].trim_start_matches(' ');
        // vsftpd's own log: `[pid 12] [alice] FAIL LOGIN: …`.
        let (prog, pid, msg) = match vsftpd_pid(msg) {
            Some((pid, m)) => (Some("vsftpd"), Some(pid), m),
            None => (None, None, msg),
        };
        return Frame { stamp, host: None, prog, pid, msg };
    }
    let (prog, pid, msg) = tag(line.trim_start());
    Frame { stamp: Stamp::None, host: None, prog, pid, msg }
}

/// An RFC 3164 stamp alone (journald's `SYSLOG_TIMESTAMP`, which has a trailing space).
pub(super) fn civil_stamp(s: &str) -> Option<Civil> {
    rfc3164_stamp(s.trim().as_bytes()).map(|(c, _)| c)
}

/// Whether a line frames as syslog with a timestamp (used for format detection).
pub(super) fn is_syslog(line: &str) -> bool {
    let f = frame(line);
    f.stamp != Stamp::None && (f.prog.is_some() || f.host.is_some())
}

/// Strips a `<PRI>` prefix (1–3 digits); says whether one was there.
fn strip_pri(line: &str) -> (bool, &str) {
    let b = line.as_bytes();
    if b.first() != Some(&b'<') {
        return (false, line);
    }
    let digits = b[1..].iter().take(4).take_while(|c| c.is_ascii_digit()).count();
    if (1..=3).contains(&digits) && b.get(1 + digits) == Some(&b'>') {
        (true, &line[2 + digits..])
    } else {
        (false, line)
    }
}

/// The words of an RFC 5424 header after `<PRI>`: `1 TIMESTAMP HOST APP PROCID MSGID SD [MSG]`.
fn rfc5424(rest: &str) -> Option<Frame<'_>> {
    let rest = rest.strip_prefix("1 ")?;
    let (ts, rest) = word(rest)?;
    let (host, rest) = word(rest)?;
    let (app, rest) = word(rest)?;
    let (procid, rest) = word(rest)?;
    let (_msgid, rest) = word(rest)?;
    let msg = skip_structured_data(rest)?;
    let msg = msg.strip_prefix(' ').unwrap_or(msg);
    let msg = msg.strip_prefix('\u{feff}').unwrap_or(msg);
    let stamp = if ts == "-" { Stamp::None } else { iso_stamp(ts).filter(|(_, n)| *n == ts.len())?.0 };
    Some(Frame {
        stamp,
        host: (host != "-").then_some(host),
        prog: (app != "-").then_some(app),
        pid: procid.parse().ok(),
        msg,
    })
}

/// The next space-separated word and the text after its space.
fn word(s: &str) -> Option<(&str, &str)> {
    let end = s.find(' ')?;
    (end > 0).then(|| (&s[..end], &s[end + 1..]))
}

/// Skips RFC 5424 structured data (`-` or `[id k="v" …]…`, with `\]` `\"` `\\` escapes in values);
/// returns the text after it.
fn skip_structured_data(s: &str) -> Option<&str> {
    if let Some(rest) = s.strip_prefix('-') {
        return Some(rest);
    }
    let b = s.as_bytes();
    let mut i = 0;
    while b.get(i) == Some(&b'[') {
        let mut quoted = false;
        i += 1;
        loop {
            match b.get(i)? {
                b'\\' if quoted => i += 1,
                b'"' => quoted = !quoted,
                b']' if !quoted => break,
                _ => {}
            }
            i += 1;
        }
        i += 1;
    }
    (i > 0).then(|| &s[i..])
}

const MONTHS: [&[u8; 3]; 12] =
    [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];

/// The month number of a three-letter English abbreviation (any case).
fn month(b: &[u8]) -> Option<i8> {
    let pos = MONTHS.iter().position(|m| b.len() >= 3 && m.eq_ignore_ascii_case(&b[..3]))?;
    i8::try_from(pos + 1).ok()
}

/// Reads `n` ASCII digits at `b[at..]`.
fn digits(b: &[u8], at: usize, n: usize) -> Option<i64> {
    let part = b.get(at..at + n)?;
    part.iter().all(u8::is_ascii_digit).then(|| part.iter().fold(0, |v, d| v * 10 + i64::from(d - b'0')))
}

/// `HH:MM:SS[.fraction]` at `b[at..]`: the parts and the bytes used.
fn clock(b: &[u8], at: usize) -> Option<(i8, i8, i8, i32, usize)> {
    let h = digits(b, at, 2)?;
    let m = digits(b, at + 3, 2)?;
    let s = digits(b, at + 6, 2)?;
    if b.get(at + 2) != Some(&b':') || b.get(at + 5) != Some(&b':') || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let mut used = 8;
    let mut nanos: i64 = 0;
    if b.get(at + used) == Some(&b'.') {
        let frac = b[at + used + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if frac == 0 {
            return None;
        }
        for (k, d) in b[at + used + 1..at + used + 1 + frac].iter().enumerate() {
            if k < 9 {
                nanos = nanos * 10 + i64::from(d - b'0');
            }
        }
        for _ in frac..9 {
            nanos *= 10;
        }
        used += 1 + frac;
    }
    // A leap second is folded into the last nanosecond of the minute.
    let (s, nanos) = if s == 60 { (59, 999_999_999) } else { (s, nanos) };
    Some((h as i8, m as i8, s as i8, i32::try_from(nanos).unwrap_or(0), used))
}

/// `Mmm dd HH:MM:SS` (day space-padded or not) at the start of `b`, followed by a space or the
/// end: the stamp and the bytes used including that space.
fn rfc3164_stamp(b: &[u8]) -> Option<(Civil, usize)> {
    let mo = month(b)?;
    if b.get(3) != Some(&b' ') {
        return None;
    }
    let mut at = 4;
    if b.get(at) == Some(&b' ') {
        at += 1;
    }
    let day_len = b[at..].iter().take(3).take_while(|c| c.is_ascii_digit()).count();
    if !(1..=2).contains(&day_len) {
        return None;
    }
    let day = digits(b, at, day_len)?;
    at += day_len;
    if b.get(at) != Some(&b' ') || !(1..=31).contains(&day) {
        return None;
    }
    let (hour, minute, second, nanos, used) = clock(b, at + 1)?;
    at += 1 + used;
    match b.get(at) {
        None => {}
        Some(b' ') => at += 1,
        Some(_) => return None,
    }
    Some((Civil { month: mo, day: day as i8, hour, minute, second, nanos }, at))
}

/// An RFC 3339 / ISO stamp (`YYYY-MM-DDTHH:MM:SS[.f][Z|±hh:mm|±hhmm]`) as the first word: the
/// stamp and the bytes used including the following space.
fn iso_stamp(s: &str) -> Option<(Stamp, usize)> {
    let end = s.find(' ').unwrap_or(s.len());
    let w = &s[..end];
    let b = w.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
        return None;
    }
    let year = i16::try_from(digits(b, 0, 4)?).ok()?;
    let mon = i8::try_from(digits(b, 5, 2)?).ok()?;
    clock(b, 11)?;
    let zoned = b[19..].iter().any(|c| matches!(c, b'Z' | b'z' | b'+' | b'-'));
    let ts = crate::time::parse(w)?;
    let used = if end < s.len() { end + 1 } else { end };
    Some((Stamp::Abs { ts, year, month: mon, zoned }, used))
}

/// A ctime stamp (`Www Mmm dd HH:MM:SS YYYY`), as vsftpd writes its own log; no zone.
fn ctime_stamp(s: &str) -> Option<(Stamp, usize)> {
    let b = s.as_bytes();
    if b.len() < 24 || b[3] != b' ' || !b[..3].iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    let (civil, used) = rfc3164_stamp(&b[4..])?;
    let at = 4 + used;
    let year = i16::try_from(digits(b, at, 4)?).ok()?;
    let ts = civil.at_year(year)?;
    let mut used = at + 4;
    match b.get(used) {
        None => {}
        Some(b' ') => used += 1,
        Some(_) => return None,
    }
    Some((Stamp::Abs { ts, year, month: civil.month, zoned: false }, used))
}

/// `[pid 12] rest` at the start of a vsftpd log message.
fn vsftpd_pid(msg: &str) -> Option<(u32, &str)> {
    let rest = msg.strip_prefix("[pid ")?;
    let end = rest.find(']')?;
    let pid = rest[..end].parse().ok()?;
    Some((pid, rest[end + 1..].trim_start_matches(' ')))
}

/// Host and tag after a timestamp.
fn after_stamp(stamp: Stamp, rest: &str) -> Frame<'_> {
    let rest = rest.trim_start_matches(' ');
    let first = rest.split(' ').next().unwrap_or("");
    // A first word that is a tag means the logger left the host out.
    if is_tag(first) {
        let (prog, pid, msg) = tag(rest);
        return Frame { stamp, host: None, prog, pid, msg };
    }
    let host = (!first.is_empty()).then_some(first);
    let after = rest[first.len()..].trim_start_matches(' ');
    let (prog, pid, msg) = tag(after);
    Frame { stamp, host, prog, pid, msg }
}

/// Whether a word is a whole tag: `prog:` or `prog[pid]:`.
fn is_tag(w: &str) -> bool {
    w.len() > 1 && w.ends_with(':') && !w.contains("://")
}

/// Splits `PROG[PID]: MSG` or `PROG: MSG`; text without a tag is all message.
fn tag(s: &str) -> (Option<&str>, Option<u32>, &str) {
    let b = s.as_bytes();
    let end = b.iter().position(|&c| matches!(c, b'[' | b':' | b' ')).unwrap_or(b.len());
    if end == 0 {
        return (None, None, s);
    }
    let prog = s[..end].trim_end_matches(']');
    match b.get(end) {
        Some(b':') => (Some(prog), None, s[end + 1..].strip_prefix(' ').unwrap_or(&s[end + 1..])),
        Some(b'[') => {
            let Some(close) = s[end..].find(']') else { return (None, None, s) };
            let inner = &s[end + 1..end + close];
            let after = &s[end + close + 1..];
            match after.strip_prefix(':') {
                Some(msg) if !inner.is_empty() => {
                    (Some(prog), inner.trim().parse().ok(), msg.strip_prefix(' ').unwrap_or(msg))
                }
                _ => (None, None, s),
            }
        }
        _ => (None, None, s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn civil(f: &Frame<'_>) -> Civil {
        match f.stamp {
            Stamp::Civil(c) => c,
            other => panic!("not civil: {other:?}"),
        }
    }

    #[test]
    fn traditional_with_padded_day_and_pid() {
        let f = frame("Jun  2 19:08:43 host.name sudo[654321]: pam_unix(sudo:auth): authentication failure");
        assert_eq!(civil(&f), Civil { month: 6, day: 2, hour: 19, minute: 8, second: 43, nanos: 0 });
        assert_eq!((f.host, f.prog, f.pid), (Some("host.name"), Some("sudo"), Some(654321)));
        assert_eq!(f.msg, "pam_unix(sudo:auth): authentication failure");
    }

    #[test]
    fn tags_of_every_shape() {
        let f = frame("Feb 21 23:35:33 localhost sudo: vagrant : TTY=pts/0");
        assert_eq!((f.prog, f.pid, f.msg), (Some("sudo"), None, "vagrant : TTY=pts/0"));
        let f = frame("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname=");
        assert_eq!((f.host, f.prog, f.pid), (Some("combo"), Some("sshd(pam_unix)"), Some(19939)));
        let f = frame("Mar  1 10:00:00 ws gdm-password][2734]: pam_unix(gdm-password:auth): x");
        assert_eq!((f.prog, f.pid), (Some("gdm-password"), Some(2734)));
        let f = frame("Jul  7 08:06:15 combo  -- root[2421]: ROOT LOGIN ON tty2");
        assert_eq!((f.host, f.prog, f.msg), (Some("combo"), None, "-- root[2421]: ROOT LOGIN ON tty2"));
        let f = frame("Dec 10 06:55:46 sshd[24200]: Invalid user x from 1.2.3.4");
        assert_eq!((f.host, f.prog, f.pid), (None, Some("sshd"), Some(24200)));
    }

    #[test]
    fn iso_and_rfc5424() {
        let f = frame("2026-05-17T18:00:01.000000+00:00 host12345 sshd[1234567]: pam_faillock(sshd:auth): x");
        let Stamp::Abs { ts, year, month, zoned } = f.stamp else { panic!("{f:?}") };
        assert_eq!((ts.to_string().as_str(), year, month, zoned), ("2026-05-17T18:00:01Z", 2026, 5, true));
        assert_eq!((f.host, f.prog, f.pid), (Some("host12345"), Some("sshd"), Some(1234567)));
        let f = frame("2024-07-20T19:00:08 box sshd[1]: m");
        assert!(matches!(f.stamp, Stamp::Abs { zoned: false, .. }));
        let f = frame("<30>1 2023-09-28T12:10:12.175599+02:00 test.lab.com systemd 153589 - - Stopped target.");
        let Stamp::Abs { ts, .. } = f.stamp else { panic!("{f:?}") };
        assert_eq!(ts.to_string(), "2023-09-28T10:10:12.175599Z");
        assert_eq!(
            (f.host, f.prog, f.pid, f.msg),
            (Some("test.lab.com"), Some("systemd"), Some(153589), "Stopped target.")
        );
        let f = frame(r#"<86>1 - h sshd - - [a@1 k="x\]y" j="]"][b@2] m"#);
        assert_eq!((f.stamp, f.msg), (Stamp::None, "m"));
        let f = frame("<38>Dec 10 06:55:46 LabSZ sshd[24200]: m");
        assert_eq!((civil(&f).day, f.host, f.msg), (10, Some("LabSZ"), "m"));
    }

    #[test]
    fn vsftpd_own_log_and_untimed_lines() {
        let f = frame(r#"Sat Feb  1 10:00:00 2025 [pid 1234] [alice] FAIL LOGIN: Client "::ffff:192.0.2.7""#);
        let Stamp::Abs { ts, zoned, .. } = f.stamp else { panic!("{f:?}") };
        assert_eq!((ts.to_string().as_str(), zoned), ("2025-02-01T10:00:00Z", false));
        assert_eq!(
            (f.prog, f.pid, f.msg),
            (Some("vsftpd"), Some(1234), r#"[alice] FAIL LOGIN: Client "::ffff:192.0.2.7""#)
        );
        let f = frame("sshd[7]: Failed password for root from 192.0.2.1 port 1 ssh2");
        assert_eq!((f.stamp, f.prog, f.pid), (Stamp::None, Some("sshd"), Some(7)));
        let f = frame("-- Boot 0123abcd --");
        assert_eq!((f.stamp, f.prog, f.msg), (Stamp::None, None, "-- Boot 0123abcd --"));
    }

    #[test]
    fn rejects_near_misses() {
        for line in ["Dec 32 06:55:46 h p: m", "Dec 10 24:00:00 h p: m", "Foo 10 06:55:46 h p: m", "Dec 10 06:55 h"] {
            assert_eq!(frame(line).stamp, Stamp::None, "{line}");
        }
        assert!(!is_syslog("hello world"));
        assert!(is_syslog("Dec 10 06:55:46 LabSZ sshd[24200]: m"));
    }
}
