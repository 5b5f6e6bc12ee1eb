//! Stale automation: a job on host A logs in to host B every few minutes with a password
//! (`sshpass`), as a service account that exists for it (`reports`, `etl`, …). It has worked
//! since before the logs begin. Then the fleet's sysadmin changes that account's password on B
//! (`sudo passwd reports`: `passwd[…]: pam_unix(passwd:chauthtok): password changed for
//! reports`) and nobody updates the job: every run fails (`Failed password for reports from
//! <A> port … ssh2`, then `sshpass` gives up), at the job's rhythm, until `pam_faillock` locks the
//! account, lets it go after `unlock_time`, and locks it again, until someone fixes the job hours
//! later. The interval is always short enough to lock (`deny` failures within `fail_interval`).
//!
//! The job is a cron entry on A (each run opens and closes a cron session for root there), an
//! Ansible playbook scheduled by cron on mgmt01, or backup01's log shipper (a systemd timer:
//! nothing on A's auth log). Truth: `stale-credential`, `benign`, `fix-stale-credential` and
//! `reset-faillock`, with the lockout on B and A's address as its source.

use super::linux::{Lx, actions_for};
use crate::clock::{HOUR, MILLI, MINUTE, SECOND};
use crate::linux::conn::{Close, Gate, from_host, port};
use crate::linux::fleet::{BACKUP, HOSTS, HostId, MGMT, host};
use crate::linux::line::Cmd;
use rand::Rng;

/// What runs the job on A.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Holder {
    Cron,
    Ansible,
    Shipper,
}

/// Every holder, for scenarios that plan several.
pub(crate) const HOLDERS: [Holder; 3] = [Holder::Cron, Holder::Ansible, Holder::Shipper];

/// Plans one stale job whose target password changes on day `day`, avoiding targets in `used`
/// (returns the target host).
pub(crate) fn run(lx: &mut Lx<'_, '_>, day: u32, holder: Holder, used: &[HostId]) -> Option<HostId> {
    let source = match holder {
        Holder::Ansible => Some(MGMT),
        Holder::Shipper => Some(BACKUP),
        Holder::Cron => None,
    };
    let targets: Vec<HostId> = (0..HOSTS.len() as HostId)
        .filter(|&h| host(h).faillock.is_some() && !used.contains(&h) && Some(h) != source && !host(h).exposed)
        .collect();
    let b = *targets.get(lx.rng.gen_range(0..targets.len().max(1)))?;
    let a = source.unwrap_or_else(|| {
        let others: Vec<HostId> = (0..HOSTS.len() as HostId).filter(|&h| h != b && !host(h).exposed).collect();
        others[lx.rng.gen_range(0..others.len())]
    });
    let f = host(b).faillock?;
    // Minutes between runs that make `deny` failures fit in `fail_interval`.
    let fits = |n: i64| n * 60 * i64::from(f.deny - 1) < f.interval;
    let choices: Vec<i64> = [2, 3, 5].into_iter().filter(|&n| fits(n)).collect();
    // A log shipper runs as often as it can, a playbook as seldom as still locks, cron anything.
    let pick = match holder {
        Holder::Shipper => 0,
        Holder::Ansible => choices.len() - 1,
        Holder::Cron => lx.rng.gen_range(0..choices.len()),
    };
    let every = choices[pick] * MINUTE;
    let acct = lx.service();
    let admin = lx.admin();
    let admin_acct = lx.fleet().person(admin).acct;
    let admin_ip = lx.fleet().person(admin).ip;
    let change = lx.at(day, 8, 16).min(lx.ctx.end - 4 * HOUR);
    let fix = (change + lx.between(3 * HOUR, 8 * HOUR)).min(lx.ctx.end);
    let ip = from_host(a);
    let mut lines = Vec::new();
    let mut g = lx.lines(&mut lines);

    // The change: the sysadmin logs in to B and runs `sudo passwd <account>`.
    let mut c = g.conn(b, admin_ip, port(&mut lx.rng, false), change - lx.between(MINUTE, 5 * MINUTE));
    g.accepted(&mut lx.rng, &mut c, admin_acct, true);
    let tty = Some(lx.rng.gen_range(0..3));
    let change = g.sudo(&mut lx.rng, b, change - 8 * SECOND, admin_acct, tty, Cmd::Passwd(acct), c.base, 0);
    let end = change + lx.between(2 * MINUTE, 10 * MINUTE);
    g.logout(&mut lx.rng, &mut c, admin_acct, end);

    // The job, on its schedule from the start of the window to its end.
    let mut run = (lx.plan.window.0 / every + 1) * every;
    let mut locked = false;
    while run < lx.plan.window.1 - MINUTE {
        let fires = run + lx.between(0, 400 * MILLI);
        let connects = fires + lx.between(600 * MILLI, 2500 * MILLI);
        let mut c = g.conn(b, ip, port(&mut lx.rng, true), connects);
        let stale = connects > change && connects < fix;
        let done = if stale {
            locked |= lx.wrong(&mut g, &mut c, acct) == Gate::Lock;
            g.close_failed(&mut lx.rng, &mut c, acct, Close::Client);
            c.t
        } else if lx.right(&mut g, &mut c, acct, false) {
            let done = c.t + lx.between(2 * SECOND, 20 * SECOND);
            g.logout(&mut lx.rng, &mut c, acct, done);
            done
        } else {
            // Fixed while still locked: refused until the lock expires.
            g.close_failed(&mut lx.rng, &mut c, acct, Close::Client);
            c.t
        };
        if holder != Holder::Shipper {
            g.cron(a, fires, done - fires + lx.between(20 * MILLI, 300 * MILLI));
        }
        run += every;
    }
    lx.plan.lines.extend(lines);
    let lockout = locked.then_some((b, ip));
    lx.label(acct, b, "stale-credential", actions_for("stale-credential", locked), vec![b], (lockout, None));
    Some(b)
}
