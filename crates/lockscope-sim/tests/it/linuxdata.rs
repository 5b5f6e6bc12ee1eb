//! Generates a Linux data set and reads every host's log back, checking on the way that each
//! line has its file's framing: RFC 3164 (`Apr  7 06:25:01 host prog[pid]: msg`), RFC 3339
//! (`2025-04-07T06:25:01.123456+00:00 host prog[pid]: msg`), RFC 5424
//! (`<PRI>1 2025-… host prog pid - - msg`) or `journalctl -o json` (string values only).

use flate2::read::GzDecoder;
use lockscope_sim::{Config, Summary};
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};

/// One log line as read back.
#[derive(Clone, Debug)]
pub struct Line {
    /// The host folder and file name (`web01`, `auth.log.1.gz`).
    pub host: String,
    pub file: String,
    pub t: jiff::Timestamp,
    pub prog: String,
    pub pid: Option<u32>,
    pub msg: String,
    /// 1-based line number in its file.
    pub n: usize,
}

pub struct Lin {
    pub _dir: tempfile::TempDir,
    pub path: PathBuf,
    pub summary: Summary,
    pub truth: Value,
    /// Every line of every file, files in name order, lines in file order.
    pub lines: Vec<Line>,
}

impl Lin {
    pub fn affected(&self) -> &[Value] {
        self.truth["affected"].as_array().map(Vec::as_slice).unwrap_or_default()
    }

    pub fn rows(&self, root_cause: &str) -> Vec<&Value> {
        self.affected().iter().filter(|r| r["root_cause"] == root_cause).collect()
    }

    /// Lines of `host` (both of its files), in time order.
    pub fn on(&self, host: &str) -> Vec<&Line> {
        let mut v: Vec<&Line> = self.lines.iter().filter(|l| l.host == host).collect();
        v.sort_by_key(|l| l.t);
        v
    }
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

fn num<T: std::str::FromStr>(s: &str, what: &str, line: &str) -> T {
    assert!(!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()), "{what} {s:?} in {line:?}");
    s.parse().unwrap_or_else(|_| panic!("{what} {s:?} in {line:?}"))
}

/// `Apr  7 06:25:01` in `year`.
fn bsd_time(s: &str, year: i16, line: &str) -> jiff::Timestamp {
    assert_eq!(s.len(), 15, "RFC 3164 stamp {s:?} in {line:?}");
    let month = MONTHS.iter().position(|m| *m == &s[..3]).unwrap_or_else(|| panic!("month in {line:?}")) + 1;
    assert_eq!(&s[3..4], " ");
    let day = &s[4..6];
    assert!(day.starts_with(' ') || !day.starts_with('0'), "the day is space-padded: {line:?}");
    let day: i8 = num(day.trim_start(), "day", line);
    let (h, m, sec) = (&s[7..9], &s[10..12], &s[13..15]);
    assert_eq!((&s[6..7], &s[9..10], &s[12..13]), (" ", ":", ":"), "{line:?}");
    let dt = jiff::civil::date(year, month as i8, day).at(
        num(h, "hour", line),
        num(m, "minute", line),
        num(sec, "second", line),
        0,
    );
    dt.to_zoned(jiff::tz::TimeZone::UTC).expect("utc").timestamp()
}

/// `2025-04-07T06:25:01.123456+00:00`.
fn iso_time(s: &str, line: &str) -> jiff::Timestamp {
    assert_eq!(s.len(), 32, "RFC 3339 stamp with microseconds {s:?} in {line:?}");
    assert!(s.ends_with("+00:00") && &s[19..20] == ".", "{line:?}");
    s.parse().unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

/// `host prog[pid]: msg` after the timestamp.
fn tag(rest: &str, line: &str) -> (String, String, Option<u32>, String) {
    let (host, rest) = rest.split_once(' ').unwrap_or_else(|| panic!("host in {line:?}"));
    let (tag, msg) = rest.split_once(": ").unwrap_or_else(|| panic!("tag in {line:?}"));
    let (prog, pid) = match tag.split_once('[') {
        Some((p, pid)) => {
            (p, Some(num(pid.strip_suffix(']').unwrap_or_else(|| panic!("pid in {line:?}")), "pid", line)))
        }
        None => (tag, None),
    };
    assert!(!prog.is_empty() && !prog.contains(' '), "{line:?}");
    (host.to_string(), prog.to_string(), pid, msg.to_string())
}

fn read_syslog(host: &str, file: &str, text: &str, year: i16, out: &mut Vec<Line>) {
    assert!(text.ends_with('\n'), "{host}/{file} ends with a newline");
    for (i, raw) in text.lines().enumerate() {
        assert!(!raw.contains('\r'), "{raw:?}");
        let (t, rest) = if let Some(header) = raw.strip_prefix('<') {
            // RFC 5424: <PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG
            let (pri, rest) = header.split_once(">1 ").unwrap_or_else(|| panic!("{raw:?}"));
            let pri: u16 = num(pri, "PRI", raw);
            assert!((32..40).contains(&pri) || (80..88).contains(&pri), "auth or authpriv: {raw:?}");
            let mut parts = rest.splitn(7, ' ');
            let mut next = || parts.next().unwrap_or_else(|| panic!("{raw:?}"));
            let t = iso_time(next(), raw);
            let (h, app, procid, msgid, sd) = (next(), next(), next(), next(), next());
            assert_eq!((msgid, sd), ("-", "-"), "{raw:?}");
            let pid = (procid != "-").then(|| num(procid, "procid", raw));
            let msg = next();
            out.push(Line { host: h.into(), file: file.into(), t, prog: app.into(), pid, msg: msg.into(), n: i + 1 });
            continue;
        } else if raw.as_bytes().first().is_some_and(u8::is_ascii_digit) {
            (iso_time(&raw[..32], raw), &raw[33..])
        } else {
            (bsd_time(&raw[..15], year, raw), &raw[16..])
        };
        let (h, prog, pid, msg) = tag(rest, raw);
        out.push(Line { host: h, file: file.into(), t, prog, pid, msg, n: i + 1 });
    }
}

fn read_journal(host: &str, file: &str, text: &str, out: &mut Vec<Line>) {
    let mut last_seq = 0u64;
    for (i, raw) in text.lines().enumerate() {
        let v: Value = serde_json::from_str(raw).unwrap_or_else(|e| panic!("{host}/{file}:{}: {e}", i + 1));
        let o = v.as_object().expect("one object per line");
        assert!(o.values().all(Value::is_string), "journal values are strings: {raw}");
        let s = |k: &str| o.get(k).and_then(Value::as_str).unwrap_or_else(|| panic!("{k} in {raw}"));
        for k in ["__CURSOR", "__MONOTONIC_TIMESTAMP", "_BOOT_ID", "_PID", "_SYSTEMD_UNIT", "PRIORITY", "_TRANSPORT"] {
            s(k);
        }
        let seq: u64 = num(s("__SEQNUM"), "seqnum", raw);
        assert!(seq > last_seq, "sequence numbers increase");
        last_seq = seq;
        let us: i64 = num(s("__REALTIME_TIMESTAMP"), "realtime", raw);
        assert_eq!(s("_HOSTNAME"), host);
        if s("_TRANSPORT") == "syslog" {
            assert!(s("SYSLOG_TIMESTAMP").ends_with(' '), "the RFC 3164 stamp keeps its trailing space");
        }
        let pid = o.get("SYSLOG_PID").or(o.get("_PID")).and_then(Value::as_str).map(|p| num(p, "pid", raw));
        out.push(Line {
            host: host.into(),
            file: file.into(),
            t: jiff::Timestamp::from_microsecond(us).expect("time"),
            prog: s("SYSLOG_IDENTIFIER").into(),
            pid,
            msg: s("MESSAGE").into(),
            n: i + 1,
        });
    }
}

/// Reads every file under `linux/`.
pub fn read(path: &Path, year: i16) -> Vec<Line> {
    let mut files: Vec<PathBuf> = Vec::new();
    for host in std::fs::read_dir(path.join("linux")).expect("linux dir") {
        for f in std::fs::read_dir(host.expect("entry").path()).expect("host dir") {
            files.push(f.expect("entry").path());
        }
    }
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let host = f.parent().and_then(Path::file_name).and_then(|n| n.to_str()).expect("host").to_string();
        let name = f.file_name().and_then(|n| n.to_str()).expect("name").to_string();
        let bytes = std::fs::read(&f).expect("read");
        let text = if name.ends_with(".gz") {
            let mut s = String::new();
            GzDecoder::new(&bytes[..]).read_to_string(&mut s).expect("gzip");
            s
        } else {
            String::from_utf8(bytes).expect("utf-8")
        };
        let first = out.len();
        if name.ends_with(".json") {
            read_journal(&host, &name, &text, &mut out);
        } else {
            read_syslog(&host, &name, &text, year, &mut out);
        }
        let lines = &out[first..];
        assert!(!lines.is_empty(), "{host}/{name} is empty");
        assert!(lines.iter().all(|l| l.host == host), "{host}/{name}: every line names its host");
        assert!(lines.windows(2).all(|p| p[0].t <= p[1].t), "{host}/{name}: time order");
        // The file's modification time is its last line's (the year of RFC 3164 stamps).
        let mtime = std::fs::metadata(&f).and_then(|m| m.modified()).expect("mtime");
        let mtime = jiff::Timestamp::try_from(mtime).expect("mtime");
        let last = lines.last().map(|l| l.t).expect("last");
        assert!((mtime.as_second() - last.as_second()).abs() <= 1, "{host}/{name}: mtime {mtime} vs {last}");
    }
    out
}

pub fn generate(cfg: &Config) -> Lin {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_path_buf();
    let summary = lockscope_sim::generate(cfg, &path).expect("generate");
    let truth: Value =
        serde_json::from_str(&std::fs::read_to_string(path.join("truth.json")).expect("truth")).expect("json");
    let start: jiff::Timestamp = truth["window"]["start"].as_str().expect("start").parse().expect("time");
    let end: jiff::Timestamp = truth["window"]["end"].as_str().expect("end").parse().expect("time");
    let year = start.to_zoned(jiff::tz::TimeZone::UTC).year();
    assert_eq!(year, (end - jiff::SignedDuration::from_secs(1)).to_zoned(jiff::tz::TimeZone::UTC).year(), "one year");
    let lines = read(&path, year);
    assert!(lines.iter().all(|l| l.t >= start && l.t < end), "every line inside the window");
    Lin { _dir: dir, path, summary, truth, lines }
}
