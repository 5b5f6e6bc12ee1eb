//! Syslog line framing (formats.md §8.1): the traditional RFC 3164 form of `auth.log` and
//! `secure` (`Apr 17 06:25:01 web01 sshd[1234]: …`: no year, day space-padded, whole seconds),
//! rsyslog's high-precision form (`2025-04-17T06:25:01.123456+00:00 bastion01 sshd[1234]: …`)
//! and RFC 5424 as a central rsyslog server writes forwarded messages
//! (`<86>1 2025-04-17T06:25:01.123456+00:00 app02 sshd 1234 - - …`). Hosts run on UTC, so
//! local time is UTC and the offset is `+00:00`.

use super::fleet::Framing;
use crate::clock::{Tick, civil_of};
use std::fmt::Write as _;

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// `Apr  7 06:25:01`: RFC 3164's timestamp (also journald's `SYSLOG_TIMESTAMP`, plus a space).
pub(crate) fn bsd_time(t: Tick, out: &mut String) {
    let c = civil_of(t);
    let month = MONTHS[(c.month as usize + 11) % 12];
    let _ = write!(out, "{month} {:>2} {:02}:{:02}:{:02}", c.day, c.hour, c.minute, c.second);
}

/// `2025-04-17T06:25:01.123456+00:00`: RFC 3339 with microseconds.
pub(crate) fn iso_time(t: Tick, out: &mut String) {
    let c = civil_of(t);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}+00:00",
        c.year, c.month, c.day, c.hour, c.minute, c.second, c.micros
    );
}

/// Writes a line's prefix up to the message: timestamp, host, program and pid.
#[allow(clippy::too_many_arguments)] // one per syslog header field
pub(crate) fn prefix(
    framing: Framing,
    t: Tick,
    host: &str,
    prog: &str,
    pid: Option<u32>,
    (facility, severity): (u8, u8),
    out: &mut String,
) {
    match framing {
        Framing::Bsd | Framing::Iso | Framing::Journal => {
            if framing == Framing::Iso {
                iso_time(t, out);
            } else {
                bsd_time(t, out);
            }
            let _ = write!(out, " {host} {prog}");
            if let Some(pid) = pid {
                let _ = write!(out, "[{pid}]");
            }
            out.push_str(": ");
        }
        Framing::Rfc5424 => {
            let _ = write!(out, "<{}>1 ", u16::from(facility) * 8 + u16::from(severity));
            iso_time(t, out);
            let _ = write!(out, " {host} {prog} ");
            match pid {
                Some(pid) => {
                    let _ = write!(out, "{pid}");
                }
                None => out.push('-'),
            }
            // No MSGID and no structured data.
            out.push_str(" - - ");
        }
    }
}

/// rsyslog's repeated-message reduction (`$RepeatedMsgReduction on`): a line identical to the
/// one before it (same program, pid and message) is not written; when a different line comes,
/// `message repeated N times: [ <message>]` stands for the run, at the time of its last copy.
#[derive(Debug, Default)]
pub(crate) struct Repeats {
    /// The last line written: program, pid and message.
    last: Option<(String, Option<u32>, String)>,
    count: u32,
    at: Tick,
}

impl Repeats {
    /// Whether the line repeats the last one (then it is only counted).
    pub(crate) fn absorb(&mut self, prog: &str, pid: Option<u32>, msg: &str, t: Tick) -> bool {
        let same = self.last.as_ref().is_some_and(|(p, i, m)| p == prog && *i == pid && m == msg);
        if same {
            self.count += 1;
            self.at = t;
        }
        same
    }

    /// The summary line owed for the run so far, if any: (time, program, pid, message), and
    /// `next` (program, pid, message) becomes the line to compare with.
    pub(crate) fn flush(
        &mut self,
        next: Option<(&str, Option<u32>, &str)>,
    ) -> Option<(Tick, String, Option<u32>, String)> {
        let owed = match (&self.last, self.count) {
            (Some((p, i, m)), n) if n > 0 => {
                Some((self.at, p.clone(), *i, format!("message repeated {n} times: [ {m}]")))
            }
            _ => None,
        };
        self.count = 0;
        self.last = next.map(|(p, i, m)| (p.to_string(), i, m.to_string()));
        owed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::from_timestamp;

    fn tick(s: &str) -> Tick {
        from_timestamp(s.parse().expect("test value"))
    }

    #[test]
    fn framings_match_the_samples() {
        let t = tick("2025-04-07T06:25:01.1234567Z");
        let mut s = String::new();
        prefix(Framing::Bsd, t, "web01", "sshd", Some(3402), (4, 6), &mut s);
        assert_eq!(s, "Apr  7 06:25:01 web01 sshd[3402]: ");
        s.clear();
        prefix(Framing::Iso, t, "bastion01", "sudo", None, (10, 5), &mut s);
        assert_eq!(s, "2025-04-07T06:25:01.123456+00:00 bastion01 sudo: ");
        s.clear();
        prefix(Framing::Rfc5424, t, "app02", "sshd", Some(1234), (10, 6), &mut s);
        assert_eq!(s, "<86>1 2025-04-07T06:25:01.123456+00:00 app02 sshd 1234 - - ");
        s.clear();
        bsd_time(tick("2025-12-31T23:59:59Z"), &mut s);
        assert_eq!(s, "Dec 31 23:59:59");
    }

    #[test]
    fn repeats_collapse_into_one_line() {
        let mut r = Repeats::default();
        assert!(r.flush(Some(("sshd", Some(1), "Failed"))).is_none());
        assert!(r.absorb("sshd", Some(1), "Failed", 5));
        assert!(r.absorb("sshd", Some(1), "Failed", 7));
        assert!(!r.absorb("sshd", Some(2), "Failed", 8));
        let (t, prog, pid, msg) = r.flush(Some(("sshd", Some(2), "Failed"))).expect("owed");
        assert_eq!((t, prog.as_str(), pid, msg.as_str()), (7, "sshd", Some(1), "message repeated 2 times: [ Failed]"));
        assert!(r.flush(None).is_none());
    }
}
