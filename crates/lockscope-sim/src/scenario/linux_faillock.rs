//! People who lock themselves out, and people who only mistype.
//!
//! [`locked_out`]: a person at their own workstation (a new laptop without their key) types the
//! wrong password three times (the ssh client's prompts), again in a second connection when the
//! host allows five, so `pam_faillock` locks the account; sure of the password, they try again and
//! are refused (`Failed password` for the right password — only the lock line said why); after
//! `unlock_time` they get in. Truth: `user-error`, `benign`, `none`, with the lockout (host and
//! their address).
//!
//! [`typo`]: a person mistypes three or four times on a host where that stays under the
//! threshold and gets in within minutes. Truth: `user-error`, `benign`, `none`, no lockout.

use super::linux::{Lx, actions_for};
use crate::clock::{HOUR, MINUTE, SECOND, Tick};
use crate::linux::conn::{Close, Gate, port};
use crate::linux::fleet::{Fleet, HostId, host};
use rand::Rng;

/// The person's morning (09:00 in their time zone) on day `day`, plus up to `spread`.
fn office(lx: &mut Lx<'_, '_>, u: u32, day: u32, spread: Tick) -> Tick {
    let offset = i64::from(lx.fleet().person(u).offset);
    let morning = lx.ctx.day(day) + (9 - offset).rem_euclid(24) * HOUR;
    // Room for the lockout, the wait and the session before the window ends.
    (morning + lx.between(0, spread)).min(lx.ctx.end - 3 * HOUR)
}

/// Hosts of person `u` that `keep` accepts.
fn hosts_of(fleet: &Fleet, u: u32, keep: impl Fn(HostId) -> bool) -> Vec<HostId> {
    fleet.person(u).host_list().into_iter().filter(|&h| keep(h)).collect()
}

/// Plans one person locking themselves out on day `day`.
pub(crate) fn locked_out(lx: &mut Lx<'_, '_>, day: u32) {
    let with_faillock = |h: HostId| host(h).faillock.is_some();
    let Some(u) = lx.take_person(|f, u| !hosts_of(f, u, with_faillock).is_empty()) else { return };
    let hosts = hosts_of(lx.fleet(), u, with_faillock);
    let h = hosts[lx.rng.gen_range(0..hosts.len())];
    let p = lx.fleet().person(u).clone();
    let start = office(lx, u, day, 7 * HOUR);
    let mut lines = Vec::new();
    let mut g = lx.lines(&mut lines);
    let mut t = start;
    let mut locked = false;
    let mut last_counted = start;
    // Wrong passwords, three prompts a connection, until the lock (two connections at most:
    // `deny` is 3 or 5).
    for _ in 0..4 {
        if locked {
            break;
        }
        let mut c = g.conn(h, p.ip, port(&mut lx.rng, false), t);
        for k in 0..3 {
            if k > 0 {
                c.t += lx.between(4 * SECOND, 15 * SECOND);
            }
            let at = c.t;
            match lx.wrong(&mut g, &mut c, p.acct) {
                Gate::Lock => {
                    locked = true;
                    last_counted = at;
                    break;
                }
                Gate::Open => last_counted = at,
                Gate::Locked => break,
            }
        }
        g.close_failed(&mut lx.rng, &mut c, p.acct, Close::Client);
        t = c.t + lx.between(20 * SECOND, 70 * SECOND);
    }
    // The right password now, refused while locked.
    let mut c = g.conn(h, p.ip, port(&mut lx.rng, false), t);
    for k in 0..lx.rng.gen_range(1..=2) {
        if k > 0 {
            c.t += lx.between(5 * SECOND, 20 * SECOND);
        }
        lx.right(&mut g, &mut c, p.acct, false);
    }
    g.close_failed(&mut lx.rng, &mut c, p.acct, Close::Client);
    // After unlock_time (they asked a colleague, or went for coffee) it works.
    let unlock = host(h).faillock.map_or(600, |f| f.unlock) * SECOND;
    let back = last_counted + unlock + lx.between(MINUTE, 8 * MINUTE);
    let mut c = g.conn(h, p.ip, port(&mut lx.rng, false), back);
    let ok = lx.right(&mut g, &mut c, p.acct, false);
    let end = c.t + lx.between(5 * MINUTE, 30 * MINUTE);
    if ok {
        g.logout(&mut lx.rng, &mut c, p.acct, end);
    }
    lx.plan.lines.extend(lines);
    lx.plan.quiet(u, start - 30 * MINUTE, end + 30 * MINUTE);
    lx.label(p.acct, h, "user-error", actions_for("user-error", true), vec![h], (Some((h, p.ip)), None));
}

/// Plans one person mistyping (below any threshold) on day `day`.
pub(crate) fn typo(lx: &mut Lx<'_, '_>, day: u32) {
    let safe = |h: HostId| host(h).faillock.is_none_or(|f| f.deny > 4);
    let Some(u) = lx.take_person(|f, u| !hosts_of(f, u, safe).is_empty()) else { return };
    let hosts = hosts_of(lx.fleet(), u, safe);
    let h = hosts[lx.rng.gen_range(0..hosts.len())];
    let p = lx.fleet().person(u).clone();
    let start = office(lx, u, day, 8 * HOUR);
    let tries = lx.rng.gen_range(3..=4);
    let mut lines = Vec::new();
    let mut g = lx.lines(&mut lines);
    let mut c = g.conn(h, p.ip, port(&mut lx.rng, false), start);
    for k in 0..3 {
        if k > 0 {
            c.t += lx.between(4 * SECOND, 15 * SECOND);
        }
        lx.wrong(&mut g, &mut c, p.acct);
    }
    g.close_failed(&mut lx.rng, &mut c, p.acct, Close::Client);
    let at = c.t + lx.between(15 * SECOND, 4 * MINUTE);
    let mut c = g.conn(h, p.ip, port(&mut lx.rng, false), at);
    if tries == 4 {
        lx.wrong(&mut g, &mut c, p.acct);
        c.t += lx.between(4 * SECOND, 15 * SECOND);
    }
    lx.right(&mut g, &mut c, p.acct, false);
    let end = c.t + lx.between(5 * MINUTE, 40 * MINUTE);
    g.logout(&mut lx.rng, &mut c, p.acct, end);
    lx.plan.lines.extend(lines);
    lx.plan.quiet(u, start - 30 * MINUTE, end + 30 * MINUTE);
    lx.label(p.acct, h, "user-error", actions_for("user-error", false), vec![h], (None, None));
}
