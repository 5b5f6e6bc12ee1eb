//! The on-premises side: an Active Directory domain whose machines log Windows Security events,
//! written as `wevtutil qe … /f:xml` output, one file per logging host
//! (`windows/<HOST>-Security.xml`, and `windows/<HOST>-System.xml` where a service was
//! installed), plus `identities.csv` joining each person's UPN, sAMAccountName, SID and object id.
//!
//! Like the sign-in stream, memory does not grow with the window: the fixed machines (DCs,
//! servers, the lab PC) are written in one pass over the days, holding a day of compact specs;
//! then each workstation is written on its own, regenerating its owner's days (background is a
//! pure function of seed, person and day).

pub(crate) mod domain;
pub(crate) mod event;
mod noise;
mod xml;

use crate::SimError;
use crate::clock::{DAY, Tick};
use crate::config::Config;
use crate::ids::{self, Keys};
use crate::plan::SCENARIO_KEY;
use crate::tenant::Tenant;
use crate::writer::{CsvOut, CsvStyle, FileStat, Output};
use domain::{Domain, FIRST_WS, HostId, Name};
use event::{What, WinEvent};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The folder of the event logs.
pub(crate) const DIR: &str = "windows";
/// The identity mapping file.
pub(crate) const IDENTITIES: &str = "identities.csv";

/// Where the bad passwords of a lockout came from, as truth states it.
#[derive(Clone, Debug)]
pub(crate) struct LockoutTruth {
    /// The caller computer the 4740 names (NetBIOS), when it names one.
    pub caller: Option<String>,
    /// The host or address that sent the bad passwords.
    pub source: String,
    /// The program holding the stale password, when one does.
    pub process: Option<&'static str>,
}

/// A truth label of a person affected on the Windows side.
#[derive(Clone, Debug)]
pub(crate) struct AdLabel {
    pub user: u32,
    pub root_cause: &'static str,
    pub verdict: &'static str,
    pub actions: &'static [&'static str],
    pub lockout: Option<LockoutTruth>,
}

/// Everything the Windows scenarios decided.
#[derive(Debug)]
pub(crate) struct AdPlan {
    pub domain: Domain,
    pub window: (Tick, Tick),
    /// Scenario events, sorted by time after [`AdPlan::finish`].
    pub events: Vec<WinEvent>,
    /// Attackers' machine names (`Ws::Attacker`).
    pub attackers: Vec<String>,
    /// Per person, intervals in which the scenario owns the account and their own background
    /// logons are left out.
    pub quiet: BTreeMap<u32, Vec<(Tick, Tick)>>,
    pub labels: Vec<AdLabel>,
    /// Labelled people, sorted (no background typos for them).
    scripted: Vec<u32>,
    next: u64,
}

impl AdPlan {
    pub(crate) fn new(domain: Domain, window: (Tick, Tick)) -> Self {
        Self {
            domain,
            window,
            events: Vec::new(),
            attackers: Vec::new(),
            quiet: BTreeMap::new(),
            labels: Vec::new(),
            scripted: Vec::new(),
            next: 0,
        }
    }

    /// Adds an event logged by `host` at `t` (dropped outside the window).
    pub(crate) fn push(&mut self, t: Tick, host: HostId, what: What) {
        self.next += 1;
        if t >= self.window.0 && t < self.window.1 {
            self.events.push(WinEvent { t, key: SCENARIO_KEY | self.next, host, what });
        }
    }

    /// Leaves person `u`'s own background logons out of `[from, to)`.
    pub(crate) fn quiet(&mut self, u: u32, from: Tick, to: Tick) {
        self.quiet.entry(u).or_default().push((from, to));
    }

    /// Adds an attacker's machine name and returns its index.
    pub(crate) fn attacker(&mut self, name: &str) -> u8 {
        self.attackers.push(name.to_string());
        (self.attackers.len() - 1) as u8
    }

    /// Whether person `u` is in a scenario (after [`AdPlan::finish`]).
    pub(crate) fn is_scripted(&self, u: u32) -> bool {
        self.scripted.binary_search(&u).is_ok()
    }

    /// Sorts what was planned.
    pub(crate) fn finish(&mut self, tenant: &Tenant) {
        self.events.sort_unstable_by_key(|e| (e.t, e.key));
        let users = &tenant.users;
        self.labels.sort_unstable_by(|a, b| users[a.user as usize].upn.cmp(&users[b.user as usize].upn));
        self.scripted = self.labels.iter().map(|l| l.user).collect();
        self.scripted.sort_unstable();
    }

    /// The names a person goes by on the Windows side, lowercased as truth lists them:
    /// `contoso\sam`, `sam` and the SID.
    pub(crate) fn aliases(&self, u: u32) -> Vec<String> {
        let sam = self.domain.sam(u);
        vec![
            format!("{}\\{sam}", domain::NETBIOS).to_lowercase(),
            sam.to_lowercase(),
            self.domain.user_sid(u).to_string().to_lowercase(),
        ]
    }
}

/// One host's log file being written.
struct HostLog {
    out: Output,
    record: u64,
    /// Most record ids skipped between two written records (other event ids the export left out).
    gap: u64,
}

impl HostLog {
    fn create(dir: &Path, d: &Domain, h: HostId, system: bool) -> Result<Self, SimError> {
        let path = dir.join(format!("{}-{}.xml", Name(h), if system { "System" } else { "Security" }));
        let gap = if h <= domain::DC02 { 40 } else { 6 };
        Ok(Self { out: Output::create(path)?, record: d.first_record(h, u64::from(system)), gap })
    }

    fn push(&mut self, render: &xml::Render<'_>, e: &WinEvent, buf: &mut String) -> Result<(), SimError> {
        self.record += 1 + ids::mix(e.key ^ 0x5ec) % self.gap;
        buf.clear();
        render.event(e, self.record, buf);
        // wevtutil ends each event with a Windows line break.
        buf.push_str("\r\n");
        self.out.raw(buf.as_bytes())?;
        self.out.records += 1;
        Ok(())
    }
}

/// A host's Security log and, when a service was installed there, its System log.
struct Logs {
    security: HostLog,
    system: Option<HostLog>,
}

impl Logs {
    fn create(dir: &Path, d: &Domain, h: HostId, system: &BTreeSet<HostId>) -> Result<Self, SimError> {
        let sys = if system.contains(&h) { Some(HostLog::create(dir, d, h, true)?) } else { None };
        Ok(Self { security: HostLog::create(dir, d, h, false)?, system: sys })
    }

    fn push(&mut self, render: &xml::Render<'_>, e: &WinEvent, buf: &mut String) -> Result<(), SimError> {
        match (&mut self.system, e.what.system_log()) {
            (Some(sys), true) => sys.push(render, e, buf),
            _ => self.security.push(render, e, buf),
        }
    }

    fn finish(self, files: &mut Vec<FileStat>) -> Result<(), SimError> {
        files.push(self.security.out.finish()?);
        if let Some(sys) = self.system {
            files.push(sys.out.finish()?);
        }
        Ok(())
    }
}

/// Writes every host's logs into `out_dir/windows/` and returns the files.
pub(crate) fn write(cfg: &Config, tenant: &Tenant, plan: &AdPlan, out_dir: &Path) -> Result<Vec<FileStat>, SimError> {
    let dir = out_dir.join(DIR);
    std::fs::create_dir_all(&dir).map_err(SimError::io(&dir))?;
    let d = &plan.domain;
    let render = xml::Render { domain: d, attackers: &plan.attackers, keys: Keys::new(cfg.seed) };
    let bg = noise::Background { domain: d, tenant, plan, seed: cfg.seed, per_day: cfg.noise };
    let system: BTreeSet<HostId> = plan.events.iter().filter(|e| e.what.system_log()).map(|e| e.host).collect();
    let users = tenant.users.len() as u32;
    let mut files = Vec::new();
    let mut buf = String::with_capacity(4096);
    let (mut day_events, mut scratch) = (Vec::new(), Vec::new());
    let days = |day: u32| {
        let from = plan.window.0 + Tick::from(day) * DAY;
        (from, from + DAY)
    };

    // The fixed machines, one day at a time.
    let mut fixed: Vec<Logs> = (0..FIRST_WS).map(|h| Logs::create(&dir, d, h, &system)).collect::<Result<_, _>>()?;
    for day in 0..cfg.days {
        let (from, to) = days(day);
        day_events.clear();
        for u in 0..users {
            scratch.clear();
            bg.user_day(u, day, from, &mut scratch);
            day_events.extend(scratch.iter().filter(|e| Domain::is_fixed(e.host)));
        }
        bg.machines_day(day, from, &mut day_events);
        let (lo, hi) = (plan.events.partition_point(|e| e.t < from), plan.events.partition_point(|e| e.t < to));
        day_events.extend(plan.events[lo..hi].iter().filter(|e| Domain::is_fixed(e.host)));
        // Keys are unique, so this order is total.
        day_events.sort_unstable_by_key(|e| (e.t, e.key));
        for e in &day_events {
            fixed[e.host as usize].push(&render, e, &mut buf)?;
        }
    }
    for logs in fixed {
        logs.finish(&mut files)?;
    }

    // The workstations, one at a time.
    let mut on_ws: Vec<WinEvent> = plan.events.iter().filter(|e| !Domain::is_fixed(e.host)).copied().collect();
    on_ws.sort_unstable_by_key(|e| (e.host, e.t, e.key));
    for u in 0..users {
        let h = d.ws(u);
        let mut logs = Logs::create(&dir, d, h, &system)?;
        let (lo, hi) = (on_ws.partition_point(|e| e.host < h), on_ws.partition_point(|e| e.host <= h));
        let mine = &on_ws[lo..hi];
        for day in 0..cfg.days {
            let (from, to) = days(day);
            day_events.clear();
            bg.user_day(u, day, from, &mut day_events);
            day_events.retain(|e| e.host == h);
            day_events.extend(mine.iter().filter(|e| e.t >= from && e.t < to));
            day_events.sort_unstable_by_key(|e| (e.t, e.key));
            for e in &day_events {
                logs.push(&render, e, &mut buf)?;
            }
        }
        logs.finish(&mut files)?;
    }
    Ok(files)
}

/// Writes `identities.csv`: one row per person with the Graph user properties that join the
/// two worlds (`userPrincipalName`, `onPremisesSamAccountName`, `onPremisesSecurityIdentifier`,
/// `id`), as `lockscope investigate --identities` reads them.
pub(crate) fn write_identities(path: PathBuf, tenant: &Tenant, d: &Domain) -> Result<FileStat, SimError> {
    let header = ["userPrincipalName", "onPremisesSamAccountName", "onPremisesSecurityIdentifier", "id"];
    let mut out = CsvOut::create(path, &header, CsvStyle::default())?;
    for (i, user) in tenant.users.iter().enumerate() {
        let u = i as u32;
        out.field(&user.upn)?;
        out.field(d.sam(u))?;
        out.display(d.user_sid(u))?;
        out.display(user.oid)?;
        out.end_row()?;
    }
    out.finish()
}

/// Removes the logs and identity file an earlier run wrote (only names this module writes),
/// and the folder when that leaves it empty.
pub(crate) fn clean(out_dir: &Path) -> Result<(), SimError> {
    let remove = |path: &Path| match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(SimError::io(path)(e)),
        _ => Ok(()),
    };
    remove(&out_dir.join(IDENTITIES))?;
    let dir = out_dir.join(DIR);
    let Ok(entries) = std::fs::read_dir(&dir) else { return Ok(()) };
    for entry in entries {
        let path = entry.map_err(SimError::io(&dir))?.path();
        let ours = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with("-Security.xml") || n.ends_with("-System.xml"));
        if ours {
            remove(&path)?;
        }
    }
    // Not empty means someone else's files are there: they stay.
    let _ = std::fs::remove_dir(&dir);
    Ok(())
}
