//! From framed lines to events: one event per authentication attempt, placed in time.
//!
//! **One attempt, several lines.** A failed SSH password is logged by PAM (`pam_unix(sshd:auth):
//! authentication failure`, `check pass; user unknown`) and by sshd (`Invalid user`, `Failed
//! password`), by the same process. Counting every line would double or triple each attempt, so
//! lines are matched per process (host, program family, pid): the program's own result line
//! (sshd `Failed`/`Accepted`, `FAILED SU`, sudo's `incorrect password attempts`, …) stands for
//! the attempt, and the PAM and pre-auth lines of that process before it ("companions") are
//! folded into it, lending it a more precise failure (locked, expired) when they have one. A
//! companion becomes an event of its own only when its process logs no result line, as in old
//! Red Hat `/var/log/messages`, which has the PAM lines only. When the result is logged by another
//! process than PAM's (keyboard-interactive runs PAM in a child; sudo may log without a pid), a
//! recent companion of the same host, program, user and remote address is folded instead.
//!
//! **Time.** Lines keep their stamp until the end of the file, when the year of RFC 3164 stamps
//! is known ([`super::year`]); a line without a timestamp takes the time of the line before it.

use std::collections::{HashMap, VecDeque};

use jiff::Timestamp;

use super::messages::{self, Item, Role, family, split_prog};
use super::syslog::{Civil, Frame, Stamp};
use super::year::Years;
use crate::event::{Actor, ActorKind, App, Event, Failure, Kind, Origin, Outcome, Principal};
use crate::source::{FileReport, ReadOptions};

/// How far back (in records) a companion logged by another process is matched.
const FALLBACK_WINDOW: u64 = 200;
/// Processes silent for this many records are forgotten (pids are reused).
const SESSION_TTL: u64 = 100_000;
/// The most attempts one `message repeated N times` line is read as (a forged line could claim
/// billions; real reductions are of one connection's few identical lines).
const MAX_REPEAT: u32 = 1000;
/// pam_faillock's default `unlock_time`, in seconds.
const UNLOCK_TIME: i64 = 600;

/// A line's time before the year is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum When {
    Abs(Timestamp),
    /// An RFC 3164 stamp and its year offset.
    Civil(Civil, i32),
    Unknown,
}

/// The process a line belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    host: Option<Box<str>>,
    family: Box<str>,
    pid: Option<u32>,
}

/// What is known of one process.
#[derive(Debug, Default)]
struct Session {
    /// Companions waiting for a result line.
    pending: Vec<usize>,
    /// A result line was logged (only tracked for processes with a pid).
    result: bool,
    /// A successful result was logged.
    success: bool,
    /// Any companion was logged.
    companions: bool,
    /// The last PAM failure, for pam_sss's detail line.
    pam_failure: Option<usize>,
    /// The last record of it.
    last: u64,
}

/// An event candidate.
struct Slot {
    ev: Event,
    when: When,
    seq: u64,
    /// The process, for companions (matched later).
    key: Option<Key>,
    absorbed: bool,
    untimed: bool,
    /// How many attempts the line stands for (`message repeated N times`: N).
    times: u32,
}

/// Collects the events of one stream.
pub(super) struct Collector {
    slots: Vec<Slot>,
    sessions: HashMap<Key, Session>,
    /// Companions still waiting, oldest first, for the cross-process match.
    recent: VecDeque<usize>,
    years: Years,
    last: When,
    first: Option<When>,
    records: u64,
    untimed: u64,
    repeated: u64,
    capped: u64,
    folded: u64,
    unzoned: bool,
    errors: Vec<(Origin, String)>,
    /// The last faillock lock line per host and user, in [`approx_seconds`].
    locks: HashMap<(String, String), i64>,
}

impl Collector {
    /// An empty collector.
    pub fn new() -> Self {
        Collector {
            slots: Vec::new(),
            sessions: HashMap::new(),
            recent: VecDeque::new(),
            years: Years::default(),
            last: When::Unknown,
            first: None,
            records: 0,
            untimed: 0,
            repeated: 0,
            capped: 0,
            folded: 0,
            unzoned: false,
            errors: Vec::new(),
            locks: HashMap::new(),
        }
    }

    /// A record that could not be read at all.
    pub fn unreadable(&mut self, origin: Origin, reason: String) {
        self.records += 1;
        self.errors.push((origin, reason));
    }

    /// Reads one framed line.
    pub fn push(&mut self, frame: &Frame<'_>, origin: Origin) {
        self.records += 1;
        let seq = self.records;
        if seq.is_multiple_of(SESSION_TTL) {
            self.sessions.retain(|_, s| s.last + SESSION_TTL > seq);
        }
        let when = match frame.stamp {
            Stamp::Abs { ts, year, month, zoned } => {
                self.years.absolute(year, month);
                self.unzoned |= !zoned;
                When::Abs(ts)
            }
            Stamp::Civil(c) => When::Civil(c, self.years.civil(c.month, c.day)),
            Stamp::None => {
                self.untimed += 1;
                self.last
            }
        };
        let untimed = frame.stamp == Stamp::None;
        if !untimed {
            self.last = when;
            self.first.get_or_insert(when);
        }
        let parsed = messages::parse(frame.prog, frame.msg);
        let Some(mut item) = parsed.item else { return };
        let times = match parsed.repeated {
            Some(n) => {
                self.repeated += 1;
                self.capped += u64::from(n > MAX_REPEAT);
                n.clamp(1, MAX_REPEAT)
            }
            None => 1,
        };
        self.faillock_refusal(&mut item, frame.host, when);
        let (name, _) = split_prog(frame.prog.unwrap_or(""));
        let key = Key { host: frame.host.map(Box::from), family: Box::from(family(name)), pid: frame.pid };
        let ev = build(&item, frame, name, origin);
        let slot = Slot { ev, when, seq, key: None, absorbed: false, untimed, times };
        match item.role {
            Role::Result => self.result(slot, key, &item),
            Role::Companion => self.companion(slot, key, &item),
            Role::SssDetail => self.sss_detail(slot, key, &item),
            Role::More => {
                let sess = self.session(&key, seq);
                if sess.result {
                    self.folded += 1;
                } else {
                    self.slots.push(slot);
                }
            }
            Role::SessionOpen => {
                let sess = self.session(&key, seq);
                if sess.success {
                    self.folded += 1;
                } else {
                    sess.success = key.pid.is_some();
                    self.slots.push(slot);
                }
            }
            Role::Plain => self.slots.push(slot),
        }
    }

    /// pam_faillock before Linux-PAM 1.5 (RHEL 7) logs `Consecutive login failures … account
    /// temporarily locked` at every attempt it refuses, newer ones only when the lock is set. A
    /// line for the same user within [`UNLOCK_TIME`] of the previous one is therefore a refusal by
    /// the running lock: a `Locked` failure folded into its process's result line.
    fn faillock_refusal(&mut self, item: &mut Item, host: Option<&str>, when: When) {
        if item.kind != Kind::Lockout || item.code != "Consecutive login failures" {
            return;
        }
        let Some(at) = approx_seconds(when) else { return };
        let key = (host.unwrap_or("").to_string(), item.user.clone().unwrap_or_default().to_lowercase());
        if let Some(prev) = self.locks.insert(key, at)
            && (0..=UNLOCK_TIME).contains(&(at - prev))
        {
            *item = Item {
                kind: Kind::Logon,
                outcome: Outcome::Failure,
                failure: Some(Failure::Locked),
                role: Role::Companion,
                ..item.clone()
            };
        }
    }

    fn session(&mut self, key: &Key, seq: u64) -> &mut Session {
        let sess = self.sessions.entry(key.clone()).or_default();
        sess.last = seq;
        sess
    }

    /// A result line: it stands for the pending companions of its process.
    fn result(&mut self, mut slot: Slot, key: Key, item: &Item) {
        let seq = slot.seq;
        let sess = self.session(&key, seq);
        let mut taken = std::mem::take(&mut sess.pending);
        let first = !sess.result && !sess.companions;
        if key.pid.is_some() {
            sess.result = true;
            sess.success |= item.outcome == Outcome::Success;
        }
        if taken.is_empty() && first {
            taken = self.other_process(&key, &slot.ev, seq);
        }
        for idx in taken {
            let companion = &mut self.slots[idx];
            if companion.absorbed {
                continue;
            }
            companion.absorbed = true;
            self.folded += 1;
            // A companion that says why (locked, expired, disabled) is more precise than the
            // program's generic failure.
            let precise =
                matches!(companion.ev.failure, Some(Failure::Locked | Failure::Disabled | Failure::PasswordExpired));
            if precise && slot.ev.outcome == Outcome::Failure {
                slot.ev.failure = companion.ev.failure;
            }
        }
        self.slots.push(slot);
    }

    /// The companions of another process of the same host and program that match a result:
    /// same account (or an unknown one), same remote address when both name one.
    fn other_process(&mut self, key: &Key, ev: &Event, seq: u64) -> Vec<usize> {
        while let Some(&front) = self.recent.front() {
            if self.slots[front].absorbed || self.slots[front].seq + FALLBACK_WINDOW < seq {
                self.recent.pop_front();
            } else {
                break;
            }
        }
        let user = ev.user.as_ref().and_then(|u| u.name.as_deref());
        let matches = |s: &Slot| {
            let Some(k) = &s.key else { return false };
            let su = s.ev.user.as_ref().and_then(|u| u.name.as_deref());
            let same_user = su == user || su.is_none() && ev.failure == Some(Failure::UnknownUser);
            let same_remote = match (&s.ev.ip, &ev.ip, &s.ev.source, &ev.source) {
                (Some(a), Some(b), _, _) => a == b,
                (_, _, Some(a), Some(b)) => a == b,
                _ => true,
            };
            !s.absorbed && k.host == key.host && k.family == key.family && same_user && same_remote
        };
        let Some(newest) = self.recent.iter().rev().copied().find(|&i| matches(&self.slots[i])) else {
            return Vec::new();
        };
        let owner = self.slots[newest].key.clone();
        self.recent.iter().copied().filter(|&i| self.slots[i].key == owner && matches(&self.slots[i])).collect()
    }

    /// A companion line: folded into a result already logged, or waiting for one.
    fn companion(&mut self, mut slot: Slot, key: Key, item: &Item) {
        let idx = self.slots.len();
        let sess = self.sessions.entry(key.clone()).or_default();
        sess.last = slot.seq;
        if sess.result {
            self.folded += 1;
            return;
        }
        // PAM's unknown-user failure after sshd's `Invalid user` of the same process is the same
        // attempt.
        let slots = &self.slots;
        let invalid_pending = sess.pending.iter().any(|&i| slots[i].ev.code.as_deref() == Some("Invalid user"));
        if invalid_pending && item.code == "authentication failure" && item.user.is_none() {
            self.folded += 1;
            return;
        }
        sess.pending.push(idx);
        sess.companions = true;
        if item.code == "authentication failure" {
            sess.pam_failure = Some(idx);
        }
        slot.key = Some(key);
        self.recent.push_back(idx);
        self.slots.push(slot);
    }

    /// pam_sss's `received for user` line: the code of the failure it just logged.
    fn sss_detail(&mut self, slot: Slot, key: Key, item: &Item) {
        let seq = slot.seq;
        let sess = self.session(&key, seq);
        if let Some(idx) = sess.pam_failure.take() {
            let target = &mut self.slots[idx];
            if !target.absorbed && target.seq + 3 >= seq {
                target.ev.failure = item.failure;
                self.folded += 1;
                return;
            }
        }
        self.companion(slot, key, item);
    }

    /// Places every event in time and writes the counts and notes of the stream.
    pub fn finish(
        self,
        report: &mut FileReport,
        opts: &ReadOptions,
        modified: Option<Timestamp>,
        out: &mut Vec<Event>,
    ) {
        let (base, source) = self.years.base(opts.year, modified);
        let resolve = |w: When| -> Result<Timestamp, String> {
            match w {
                When::Abs(t) => Ok(t),
                When::Civil(c, offset) => {
                    let year = i32::from(base) + offset;
                    i16::try_from(year).ok().and_then(|y| c.at_year(y)).ok_or_else(|| {
                        format!("{:02}-{:02} does not exist in the inferred year {year}", c.month, c.day)
                    })
                }
                When::Unknown => Err("no timestamp on this line or any line before it".into()),
            }
        };
        let first = self.first.unwrap_or(When::Unknown);
        let mut untimed_events = 0;
        let mut lines_with_events = 0;
        for slot in self.slots {
            if slot.absorbed {
                continue;
            }
            let when = if slot.when == When::Unknown { first } else { slot.when };
            let mut ev = slot.ev;
            match resolve(when) {
                Ok(t) => {
                    ev.time = t;
                    untimed_events += u64::from(slot.untimed);
                    lines_with_events += 1;
                    // A repeated line is as many attempts, all at its time.
                    for _ in 1..slot.times {
                        out.push(ev.clone());
                    }
                    report.events += u64::from(slot.times);
                    out.push(ev);
                }
                Err(reason) => report.fail(ev.origin, reason),
            }
        }
        for (origin, reason) in self.errors {
            report.fail(origin, reason);
        }
        report.records += self.records;
        report.ignored += self.records.saturating_sub(lines_with_events + report.unreadable);
        if self.years.any() {
            let mut note = format!("RFC 3164 timestamps carry no year: {base} was {}", source.describe());
            if self.years.rollovers() > 0 {
                note.push_str(&format!(
                    "; the year went up by one {} time(s) where the month went backwards (Dec → Jan)",
                    self.years.rollovers()
                ));
            }
            report.note(&note);
        }
        if self.years.any() || self.unzoned {
            report.note("timestamps without a time zone (RFC 3164, ISO without offset) are the host's local time; they were read as UTC");
        }
        if self.untimed > 0 {
            report.note(&format!(
                "{} line(s) had no timestamp; they were kept at the time of the line before, or of the first timed line ({untimed_events} became events)",
                self.untimed
            ));
        }
        if self.repeated > 0 {
            report.note(&format!(
                "{} `message repeated N times` line(s) (rsyslog's reduction of identical lines): each was read as N events at its time{}",
                self.repeated,
                if self.capped > 0 { format!(", at most {MAX_REPEAT} ({} line(s) claimed more)", self.capped) } else { String::new() }
            ));
        }
        if self.folded > 0 {
            report.note(&format!(
                "{} line(s) log an attempt that a line of the same process also logs (PAM, `Invalid user`, session lines): each attempt was counted once",
                self.folded
            ));
        }
    }
}

/// Seconds on a scale that orders the lines of one file: the instant for dated lines, and for
/// yearless ones a count from their year offset (exact within a month, enough to compare lines
/// minutes apart); `None` when unknown.
fn approx_seconds(w: When) -> Option<i64> {
    match w {
        When::Abs(t) => Some(t.as_second()),
        When::Civil(c, offset) => {
            let days = i64::from(offset) * 372 + i64::from(c.month) * 31 + i64::from(c.day);
            Some(days * 86_400 + i64::from(c.hour) * 3600 + i64::from(c.minute) * 60 + i64::from(c.second))
        }
        When::Unknown => None,
    }
}

/// The event of an item read from `frame`, with a placeholder time.
fn build(item: &Item, frame: &Frame<'_>, prog: &str, origin: Origin) -> Event {
    let mut ev = Event::new(Timestamp::UNIX_EPOCH, item.kind, origin);
    // Lowercased, unless they hold a secret (redacted instead, see `scrub::lowercase`).
    let lower = |s: &String| crate::scrub::lowercase(s);
    ev.user = item.user.as_ref().map(|u| Principal { name: Some(lower(u)), ..Principal::default() });
    ev.actor = item.actor.as_ref().map(|a| Actor { kind: ActorKind::User, id: None, name: Some(lower(a)) });
    ev.host = frame.host.map(str::to_string);
    ev.source.clone_from(&item.remote);
    ev.ip = item.remote.as_deref().and_then(super::ip);
    ev.outcome = item.outcome;
    ev.failure = item.failure;
    ev.code = Some(item.code.to_string());
    ev.reason = Some(frame.msg.trim().to_string()).filter(|r| !r.is_empty());
    ev.app = item.app.as_ref().map(|n| App { id: None, name: Some(n.clone()) });
    ev.detail.process = (!prog.is_empty()).then(|| prog.to_string());
    ev
}

/// Events of a stream given as text lines, for tests.
#[cfg(test)]
pub(super) fn collect_text(text: &str, year: Option<i16>) -> (Vec<Event>, FileReport) {
    let name: std::sync::Arc<str> = std::sync::Arc::from("test.log");
    let mut c = Collector::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        c.push(&super::syslog::frame(line), Origin::new(&name, crate::event::Position::Line(i as u64 + 1)));
    }
    let mut report = FileReport::new(&name, crate::source::Format::Syslog);
    let mut out = Vec::new();
    c.finish(&mut report, &ReadOptions { year, ..ReadOptions::default() }, None, &mut out);
    (out, report)
}
