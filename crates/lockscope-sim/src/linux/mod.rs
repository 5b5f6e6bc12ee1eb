//! Linux hosts: a fleet of ten servers whose authentication logs are written the way each
//! host's OS writes them — `auth.log` (Debian, Ubuntu) and `secure` (RHEL family) in RFC 3164
//! framing, one host in rsyslog's RFC 3339 form, one as a central syslog server's RFC 5424 file,
//! one as `journalctl -o json`, one with last week in a rotated `auth.log.1.gz` — under
//! `linux/<host>/`.
//!
//! Like the Windows logs, memory does not grow with the window: the scenarios' lines are planned
//! up front, and each day's background (a pure function of seed, person or host, and day) is
//! generated, merged with that day's scenario lines, and written host by host. Process ids and
//! logind session numbers are assigned as lines are written, so they increase over time as on a
//! real host. A file's modification time is set to its last line: the year of RFC 3164 stamps
//! can be taken from it as from a real file (or from `lockscope investigate --year`).

pub(crate) mod conn;
pub(crate) mod fleet;
mod hosts;
mod journald;
pub(crate) mod line;
mod noise;
mod syslog;

use crate::SimError;
use crate::clock::{DAY, Tick};
use crate::config::Config;
use crate::ids;
use crate::writer::{FileStat, Output};
use fleet::{Acct, Fleet, Framing, HOSTS, HostId, host};
use journald::Journal;
use line::{Ids, Line, Prog};
use std::collections::BTreeMap;
use std::path::Path;
use syslog::Repeats;

/// The folder of the host logs.
pub(crate) const DIR: &str = "linux";

/// A truth label of an account affected on the Linux side.
#[derive(Clone, Debug)]
pub(crate) struct LinuxLabel {
    pub acct: Acct,
    /// The host whose name for the account is meant (the cloud account's name is per host).
    pub name_host: HostId,
    pub root_cause: &'static str,
    pub verdict: &'static str,
    pub actions: &'static [&'static str],
    /// Hosts where the scenario's records about the account are.
    pub hosts: Vec<HostId>,
    /// Where `pam_faillock` locked the account, and the address the failures came from.
    pub lockout: Option<(HostId, u32)>,
    /// The attacker's address (brute force, spray).
    pub source: Option<u32>,
}

impl LinuxLabel {
    /// The person behind the account, if it is a person's.
    pub(crate) fn person(&self) -> Option<u32> {
        match self.acct {
            Acct::Local(u) | Acct::Upn(u) | Acct::Netbios(u) => Some(u),
            _ => None,
        }
    }
}

/// Everything the Linux scenarios decided.
#[derive(Debug)]
pub(crate) struct LinuxPlan {
    pub fleet: Fleet,
    pub window: (Tick, Tick),
    /// Scenario lines, sorted by time after [`LinuxPlan::finish`].
    pub lines: Vec<Line>,
    pub labels: Vec<LinuxLabel>,
    /// Per person, intervals in which a scenario owns their logins.
    quiet: BTreeMap<u32, Vec<(Tick, Tick)>>,
    /// People with a label, sorted (no background typos for them).
    scripted: Vec<u32>,
}

impl LinuxPlan {
    pub(crate) fn new(fleet: Fleet, window: (Tick, Tick)) -> Self {
        Self { fleet, window, lines: Vec::new(), labels: Vec::new(), quiet: BTreeMap::new(), scripted: Vec::new() }
    }

    /// Leaves person `u`'s own logins out of `[from, to)`.
    pub(crate) fn quiet(&mut self, u: u32, from: Tick, to: Tick) {
        self.quiet.entry(u).or_default().push((from, to));
    }

    /// Whether `[from, to)` overlaps one of person `u`'s quiet intervals.
    pub(crate) fn is_quiet(&self, u: u32, from: Tick, to: Tick) -> bool {
        self.quiet.get(&u).is_some_and(|q| q.iter().any(|(a, b)| from < *b && *a < to))
    }

    /// Whether person `u` is in a scenario (after [`LinuxPlan::finish`]).
    pub(crate) fn is_scripted(&self, u: u32) -> bool {
        self.scripted.binary_search(&u).is_ok()
    }

    /// Sorts what was planned.
    pub(crate) fn finish(&mut self) {
        self.lines.sort_unstable_by_key(|l| (l.t, l.key));
        self.scripted = self.labels.iter().filter_map(LinuxLabel::person).collect();
        self.scripted.sort_unstable();
        self.scripted.dedup();
        let fleet = &self.fleet;
        self.labels.sort_by_cached_key(|l| label_name(fleet, l));
    }
}

/// The name truth gives a label's account: the login name the engine will see, lowercase (an AD
/// user's UPN, whatever form they typed).
pub(crate) fn label_name(fleet: &Fleet, l: &LinuxLabel) -> String {
    fleet.canonical(l.acct, l.name_host).to_string().to_lowercase()
}

/// A process the writer has seen: its pid and, for an SSH connection, its logind session.
#[derive(Clone, Copy, Debug)]
struct Proc {
    pid: u32,
    session: u32,
}

/// One host's log being written.
struct HostWriter {
    h: HostId,
    main: Output,
    /// The rotated file and the time before which lines go to it.
    older: Option<(Tick, Output)>,
    last: [Tick; 2],
    procs: BTreeMap<u64, Proc>,
    next_pid: u32,
    pid_max: u32,
    next_session: u32,
    logind_pid: u32,
    repeats: Option<Repeats>,
    journal: Option<Journal>,
    text: String,
    msg: String,
    json: Vec<u8>,
}

impl HostWriter {
    fn create(cfg: &Config, dir: &Path, h: HostId, window: (Tick, Tick)) -> Result<Self, SimError> {
        let hp = host(h);
        let folder = dir.join(hp.name);
        std::fs::create_dir_all(&folder).map_err(SimError::io(&folder))?;
        let main = Output::create(folder.join(hp.file))?;
        // logrotate ran at midnight before the last day (weekly, no delaycompress).
        let older = if hp.rotated && window.1 - window.0 >= 2 * DAY {
            Some((window.1 - DAY, Output::create_with(folder.join(format!("{}.1.gz", hp.file)), true)?))
        } else {
            None
        };
        let k = ids::combine(cfg.seed, 0x11_0000 + u64::from(h));
        // Older kernels and distributions keep the 32768 default; systemd raises it.
        let pid_max = if hp.old_pam { 32_768 } else { 4_194_304 };
        Ok(Self {
            h,
            main,
            older,
            last: [window.0; 2],
            procs: BTreeMap::new(),
            next_pid: 2_000 + (k % u64::from(pid_max / 2)) as u32,
            pid_max,
            next_session: 1 + (ids::mix(k) % 40_000) as u32,
            logind_pid: 500 + (ids::mix(k ^ 1) % 700) as u32,
            repeats: (hp.reduce_repeats && matches!(hp.framing, Framing::Bsd | Framing::Iso)).then(Repeats::default),
            journal: (hp.framing == Framing::Journal).then(|| Journal::new(cfg.seed, h, window.0)),
            text: String::with_capacity(512),
            msg: String::with_capacity(256),
            json: Vec::with_capacity(2048),
        })
    }

    fn proc(&mut self, conn: u64) -> Proc {
        let (next, max) = (&mut self.next_pid, self.pid_max);
        *self.procs.entry(conn).or_insert_with(|| {
            // Other processes start in between.
            *next += 1 + (ids::mix(conn) % 23) as u32;
            if *next >= max {
                *next = 300 + *next % max;
            }
            Proc { pid: *next, session: 0 }
        })
    }

    fn push(&mut self, fleet: &Fleet, line: &Line) -> Result<(), SimError> {
        let prog = line.what.prog();
        let mut p = self.proc(line.conn);
        if matches!(line.what, line::What::LogindNew { .. }) {
            self.next_session += 1 + (ids::mix(line.key) % 3) as u32;
            p.session = self.next_session;
            self.procs.insert(line.conn, p);
        }
        let pid = if prog == Prog::Logind { self.logind_pid } else { p.pid };
        let parent = (line.parent != 0).then(|| self.procs.get(&line.parent).map(|q| q.session)).flatten();
        if line.end {
            self.procs.remove(&line.conn);
        }
        self.msg.clear();
        line::message(fleet, line, Ids { session: p.session }, &mut self.msg);
        let hp = host(self.h);
        if let Some(journal) = &mut self.journal {
            self.json.clear();
            journal
                .entry(fleet, line, &self.msg, pid, p.session, parent, &mut self.json)
                .map_err(SimError::json(&self.main.path))?;
            self.main.raw(&self.json)?;
            self.main.records += 1;
            self.last[0] = line.t;
            return Ok(());
        }
        let name = prog_name(prog, self.h);
        let pid = (prog != Prog::Sudo).then_some(pid);
        if let Some(rep) = &mut self.repeats {
            if rep.absorb(name, pid, &self.msg, line.t) {
                return Ok(());
            }
            if let Some((t, p, i, m)) = rep.flush(Some((name, pid, &self.msg))) {
                Self::write(
                    &mut self.main,
                    &mut self.older,
                    &mut self.last,
                    &mut self.text,
                    (hp.framing, hp.name),
                    t,
                    (&p, i, &m),
                    (0, 0),
                )?;
            }
        }
        let pri = line.what.priority(hp.rhel);
        let msg = std::mem::take(&mut self.msg);
        let res = Self::write(
            &mut self.main,
            &mut self.older,
            &mut self.last,
            &mut self.text,
            (hp.framing, hp.name),
            line.t,
            (name, pid, &msg),
            pri,
        );
        self.msg = msg;
        res
    }

    #[allow(clippy::too_many_arguments)] // the writer's parts, borrowed apart
    fn write(
        main: &mut Output,
        older: &mut Option<(Tick, Output)>,
        last: &mut [Tick; 2],
        text: &mut String,
        (framing, host_name): (Framing, &str),
        t: Tick,
        (prog, pid, msg): (&str, Option<u32>, &str),
        pri: (u8, u8),
    ) -> Result<(), SimError> {
        let (out, slot) = match older {
            Some((until, old)) if t < *until => (old, 1),
            _ => (main, 0),
        };
        text.clear();
        syslog::prefix(framing, t, host_name, prog, pid, pri, text);
        text.push_str(msg);
        text.push('\n');
        out.raw(text.as_bytes())?;
        out.records += 1;
        last[slot] = t;
        Ok(())
    }

    fn finish(mut self, files: &mut Vec<FileStat>) -> Result<(), SimError> {
        let hp = host(self.h);
        if let Some(rep) = &mut self.repeats
            && let Some((t, p, i, m)) = rep.flush(None)
        {
            Self::write(
                &mut self.main,
                &mut self.older,
                &mut self.last,
                &mut self.text,
                (hp.framing, hp.name),
                t,
                (&p, i, &m),
                (0, 0),
            )?;
        }
        let main = self.main.finish()?;
        set_mtime(&main.0, self.last[0])?;
        files.push(main);
        if let Some((_, old)) = self.older {
            let old = old.finish()?;
            set_mtime(&old.0, self.last[1])?;
            files.push(old);
        }
        Ok(())
    }
}

/// The program name a line is logged under on host `h`.
fn prog_name(prog: Prog, h: HostId) -> &'static str {
    let hp = host(h);
    match prog {
        Prog::Sshd if hp.sshd_session => "sshd-session",
        Prog::Sshd => "sshd",
        Prog::Sudo => "sudo",
        Prog::Cron if hp.rhel => "crond",
        Prog::Cron => "CRON",
        Prog::Logind => "systemd-logind",
        Prog::Passwd => "passwd",
    }
}

/// Sets a file's modification time to the time of its last line, as a real log file's is.
fn set_mtime(path: &Path, t: Tick) -> Result<(), SimError> {
    let Ok(micros) = u64::try_from(t / 10) else { return Ok(()) };
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_micros(micros);
    let file = std::fs::File::options().write(true).open(path).map_err(SimError::io(path))?;
    file.set_modified(when).map_err(SimError::io(path))
}

/// Writes every host's log into `out_dir/linux/<host>/` and returns the files.
pub(crate) fn write(cfg: &Config, plan: &LinuxPlan, out_dir: &Path) -> Result<Vec<FileStat>, SimError> {
    let dir = out_dir.join(DIR);
    std::fs::create_dir_all(&dir).map_err(SimError::io(&dir))?;
    let mut writers: Vec<HostWriter> =
        (0..HOSTS.len() as HostId).map(|h| HostWriter::create(cfg, &dir, h, plan.window)).collect::<Result<_, _>>()?;
    let bg = noise::Background { plan, seed: cfg.seed, per_day: cfg.noise };
    let mut day_lines = Vec::new();
    for day in 0..cfg.days {
        let from = plan.window.0 + Tick::from(day) * DAY;
        let to = from + DAY;
        day_lines.clear();
        bg.day(day, from, &mut day_lines);
        let (lo, hi) = (plan.lines.partition_point(|l| l.t < from), plan.lines.partition_point(|l| l.t < to));
        day_lines.extend_from_slice(&plan.lines[lo..hi]);
        // Keys are unique, so this order is total.
        day_lines.sort_unstable_by_key(|l| (l.host, l.t, l.key));
        for l in &day_lines {
            writers[usize::from(l.host)].push(&plan.fleet, l)?;
        }
    }
    let mut files = Vec::new();
    for w in writers {
        w.finish(&mut files)?;
    }
    Ok(files)
}

/// Removes the logs an earlier run wrote (only names this module writes), and folders that
/// leaves empty.
pub(crate) fn clean(out_dir: &Path) -> Result<(), SimError> {
    let dir = out_dir.join(DIR);
    for hp in &HOSTS {
        let folder = dir.join(hp.name);
        for name in [hp.file.to_string(), format!("{}.1.gz", hp.file)] {
            let path = folder.join(name);
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(SimError::io(&path)(e)),
                _ => {}
            }
        }
        // Not empty means someone else's files are there: they stay.
        let _ = std::fs::remove_dir(&folder);
    }
    let _ = std::fs::remove_dir(&dir);
    Ok(())
}
