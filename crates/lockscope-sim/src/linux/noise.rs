//! Background on the fleet: what every person and every host does every day. Each (person, day)
//! and (host, day) has its own random stream, so a day can be generated on its own.
//!
//! People log in during their office hours (1 + `noise / 4` sessions a day on the hosts they work
//! on) from their workstation, with their key or password, run a few `sudo` commands when they
//! may, and log out. About one password session in twenty-five starts with one mistyped password
//! (`Failed password`, then `Accepted password` from the same address seconds later); nobody in
//! a scenario mistypes, and while a scenario owns a person's account their own logins are left
//! out. Hosts run cron every hour (and cron.daily on Debian), take Ansible's nightly run from
//! mgmt01 (public key, `sudo` become), CI deployments from ci01 as `deploy` on the web and app
//! servers, backup01's nightly pull as `backup` on the databases, and the Internet-facing hosts
//! get a few scanners a day: banner grabs, old clients that cannot agree on a key exchange, and
//! single tries of a name that exists nowhere. Background never locks anyone and never fails a
//! real account's password more than once.

use super::LinuxPlan;
use super::conn::{Close, Gate, Gen, from_host, port};
use super::fleet::{Acct, BACKUP, CI, HOSTS, HostId, MGMT, Method, PROBES, Role, Sys, host, internet_ip};
use super::line::{COMMANDS, Cmd, Line, What};
use crate::clock::{DAY, HOUR, MILLI, MINUTE, SECOND, Tick};
use crate::ids;
use rand::Rng;

/// Random stream of per-person background.
const PERSON_STREAM: u64 = 21;
/// Random stream of per-host background.
const HOST_STREAM: u64 = 22;
/// Background keys have bit 62 set (scenario keys bits 63 and 62).
const BG: u64 = 1 << 62;
/// Keys of one (person or host, day): connection blocks of 1024 lines.
const SPAN: u64 = 1 << 22;
/// Chance a password session starts with one typo.
const TYPO: f64 = 0.04;

fn base(day: u32, entity: u64) -> u64 {
    BG | (u64::from(day) << 50) | (entity << 22)
}

/// What background generation needs.
pub(crate) struct Background<'a> {
    pub plan: &'a LinuxPlan,
    pub seed: u64,
    /// The config's background sign-ins per user per day.
    pub per_day: u32,
}

impl Background<'_> {
    /// Appends the background of `day` (starting at `from`) of every person and host to `out`.
    pub(crate) fn day(&self, day: u32, from: Tick, out: &mut Vec<Line>) {
        for u in 0..self.plan.fleet.people.len() as u32 {
            self.person_day(u, day, from, out);
        }
        for h in 0..HOSTS.len() as HostId {
            self.host_day(h, day, from, out);
        }
    }

    fn person_day(&self, u: u32, day: u32, from: Tick, out: &mut Vec<Line>) {
        let p = self.plan.fleet.person(u);
        let mut rng = ids::rng(self.seed, PERSON_STREAM, u64::from(u), u64::from(day));
        let mut g = Gen::new(out, base(day, u64::from(u)), SPAN, (from, from + DAY));
        let hosts = p.host_list();
        let scripted = self.plan.is_scripted(u);
        for _ in 0..(1 + rng.gen_range(0..=self.per_day / 4)).min(64) {
            let h = hosts[rng.gen_range(0..hosts.len())];
            // Office hours where they live, wrapped into this UTC day.
            let local = (8 - i64::from(p.offset)).rem_euclid(24) * HOUR + rng.gen_range(0..10 * HOUR);
            let t = from + local % DAY;
            let len = rng.gen_range(2 * MINUTE..90 * MINUTE).min(from + DAY - 2 * MINUTE - t);
            if len < MINUTE || self.plan.is_quiet(u, t - MINUTE, t + len + MINUTE) {
                continue;
            }
            let key = matches!(p.method, Method::Key(_));
            let mut c = g.conn(h, p.ip, port(&mut rng, false), t);
            if !key && !scripted && rng.gen_bool(TYPO) {
                g.wrong(&mut rng, &mut c, p.acct, Gate::Open);
                c.t += rng.gen_range(3 * SECOND..12 * SECOND);
            }
            g.accepted(&mut rng, &mut c, p.acct, key);
            let end = t + len;
            if p.sudo {
                let tty = Some(rng.gen_range(0..4));
                for _ in 0..rng.gen_range(0..=2) {
                    let at = c.t + rng.gen_range(0..(end - c.t - 30 * SECOND).max(1));
                    let dur = rng.gen_range(200 * MILLI..10 * MINUTE).min(end - at - 10 * SECOND).max(MILLI);
                    let cmd = Cmd::Admin(rng.gen_range(0..COMMANDS.len() as u8));
                    g.sudo(&mut rng, h, at, p.acct, tty, cmd, c.base, dur);
                }
            }
            g.logout(&mut rng, &mut c, p.acct, end);
        }
    }

    fn host_day(&self, h: HostId, day: u32, from: Tick, out: &mut Vec<Line>) {
        let hp = host(h);
        let mut rng = ids::rng(self.seed, HOST_STREAM, u64::from(h), u64::from(day));
        let mut g = Gen::new(out, base(day, (1 << 27) | u64::from(h)), SPAN, (from, from + DAY));
        // cron.hourly: Debian's crontab runs it at :17, RHEL's 0hourly at :01.
        let minute = if hp.rhel { MINUTE } else { 17 * MINUTE };
        for hour in 0..24 {
            let t = from + hour * HOUR + minute + rng.gen_range(0..800 * MILLI);
            g.cron(h, t, rng.gen_range(150 * MILLI..4 * SECOND));
        }
        if !hp.rhel {
            let t = from + 6 * HOUR + 25 * MINUTE + rng.gen_range(0..800 * MILLI);
            g.cron(h, t, rng.gen_range(5 * SECOND..40 * SECOND));
        }
        if h != MGMT {
            // Ansible's nightly run reaches the hosts one after another.
            let t = from + 2 * HOUR + i64::from(h) * 97 * SECOND + rng.gen_range(0..60 * SECOND);
            let acct = Acct::Sys(Sys::Ansible);
            let mut c = g.conn(h, from_host(MGMT), port(&mut rng, true), t);
            g.accepted(&mut rng, &mut c, acct, true);
            let end = c.t + rng.gen_range(20 * SECOND..90 * SECOND);
            for k in 0..rng.gen_range(1..=3) {
                let at = c.t + k * 5 * SECOND + rng.gen_range(0..4 * SECOND);
                let become_ = Cmd::Become(ids::combine(self.seed, at as u64));
                let dur = rng.gen_range(500 * MILLI..4 * SECOND);
                g.sudo(&mut rng, h, at, acct, None, become_, c.base, dur);
            }
            g.logout(&mut rng, &mut c, acct, end);
        }
        if matches!(hp.role, Role::Web | Role::App) {
            for _ in 0..rng.gen_range(0..=3) {
                let t = from + rng.gen_range(8 * HOUR..18 * HOUR);
                let acct = Acct::Sys(Sys::Deploy);
                let mut c = g.conn(h, from_host(CI), port(&mut rng, true), t);
                g.accepted(&mut rng, &mut c, acct, true);
                let at = c.t + rng.gen_range(3 * SECOND..20 * SECOND);
                let dur = rng.gen_range(100 * MILLI..2 * SECOND);
                g.sudo(&mut rng, h, at, acct, None, Cmd::Reload, c.base, dur);
                let end = at + rng.gen_range(5 * SECOND..20 * SECOND);
                g.logout(&mut rng, &mut c, acct, end);
            }
        }
        if hp.role == Role::Db {
            let t = from + HOUR + rng.gen_range(0..30 * MINUTE);
            let acct = Acct::Sys(Sys::Backup);
            let mut c = g.conn(h, from_host(BACKUP), port(&mut rng, true), t);
            g.accepted(&mut rng, &mut c, acct, true);
            let end = c.t + rng.gen_range(2 * MINUTE..12 * MINUTE);
            g.logout(&mut rng, &mut c, acct, end);
        }
        if hp.exposed {
            for _ in 0..rng.gen_range(3..=8) {
                let t = from + rng.gen_range(0..DAY - MINUTE);
                let ip = internet_ip(&mut rng);
                let mut c = g.conn(h, ip, port(&mut rng, false), t);
                let port = c.port;
                match rng.gen_range(0..4) {
                    0 => {
                        g.push(&mut c, What::KexClosed, rng.gen_range(MILLI..5 * MILLI));
                        g.line(&mut c, What::ClosedBy { ip, port }, 0, true);
                    }
                    1 => g.line(&mut c, What::NoKex { ip, port }, 0, true),
                    _ => {
                        // One name that exists nowhere, once or twice: never a pattern.
                        let acct = Acct::Probe(rng.gen_range(0..PROBES.len() as u8));
                        g.invalid_user(&mut rng, &mut c, acct);
                        for _ in 0..rng.gen_range(1..=2) {
                            g.wrong(&mut rng, &mut c, acct, Gate::Open);
                        }
                        g.close_failed(&mut rng, &mut c, acct, Close::ByeBye);
                    }
                }
            }
        }
    }
}
