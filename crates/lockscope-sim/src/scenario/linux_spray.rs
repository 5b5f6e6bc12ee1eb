//! SSH password spray: one Internet address tries one password, then for about half the names a
//! second, against 15 or more local accounts within an hour, each on one or two of the
//! Internet-facing hosts where it exists, in the order of the attacker's (alphabetical) list,
//! with a few names that exist nowhere mixed in (`Invalid user …`, `Failed password for invalid
//! user …`; not in truth). One try per connection, then the tool hangs up. Nobody reaches a
//! `pam_faillock` threshold (at most two tries per account and host). Truth: `password-spray`,
//! `needs-review`, `block-source` for every existing account tried, with the hosts it was tried on.

use super::linux::{Lx, actions_for};
use crate::clock::{MILLI, MINUTE, Tick};
use crate::linux::conn::{Close, port};
use crate::linux::fleet::{Acct, HOSTS, HostId, PROBES, host, internet_ip};
use rand::Rng;
use rand::seq::SliceRandom;

/// Fewest accounts a spray tries.
const MIN_TARGETS: usize = 15;

/// One entry of the attacker's list: an account and the hosts it is tried on.
struct Entry {
    acct: Acct,
    name: String,
    hosts: Vec<HostId>,
}

/// Plans a spray on day `day`, leaving at least `reserve` people with a local account untouched.
pub(crate) fn run(lx: &mut Lx<'_, '_>, day: u32, reserve: usize) {
    let want = lx.ctx.share(0.3, MIN_TARGETS).min(lx.free_local().saturating_sub(reserve));
    let targets = lx.take_local(want, |_, _| true);
    if targets.is_empty() {
        return;
    }
    let exposed: Vec<HostId> = (0..HOSTS.len() as HostId).filter(|&h| host(h).exposed).collect();
    let ip = internet_ip(&mut lx.rng);
    let mut list: Vec<Entry> = Vec::new();
    for &u in &targets {
        let acct = lx.fleet().person(u).acct;
        let mut hosts: Vec<HostId> = exposed.iter().copied().filter(|&h| lx.fleet().person(u).on(h)).collect();
        hosts.shuffle(&mut lx.rng);
        hosts.truncate(lx.rng.gen_range(1..=2));
        let name = lx.fleet().name(acct, 0).to_string();
        list.push(Entry { acct, name, hosts });
    }
    let mut probes: Vec<u8> = (0..PROBES.len() as u8).collect();
    probes.shuffle(&mut lx.rng);
    for &i in probes.iter().take(lx.rng.gen_range(3..=8)) {
        let h = exposed[lx.rng.gen_range(0..exposed.len())];
        list.push(Entry { acct: Acct::Probe(i), name: PROBES[usize::from(i)].to_string(), hosts: vec![h] });
    }
    list.sort_by(|a, b| a.name.cmp(&b.name));
    let start = lx.at(day, 0, 20);
    let length = lx.between(20 * MINUTE, 55 * MINUTE);
    // The first password over the first 60% of the time, the second over the rest.
    let second: Vec<usize> = (0..list.len()).filter(|_| lx.rng.gen_bool(0.5)).collect();
    let first: Vec<usize> = (0..list.len()).collect();
    let mut lines = Vec::new();
    let mut g = lx.lines(&mut lines);
    for (round, order) in [(0, &first), (1, &second)] {
        let (lo, span) = if round == 0 { (start, length * 6 / 10) } else { (start + length * 6 / 10, length * 4 / 10) };
        let tries: Vec<(usize, HostId)> =
            order.iter().flat_map(|&i| list[i].hosts.iter().map(move |&h| (i, h))).collect();
        let step = span / tries.len().max(1) as Tick;
        for (k, &(i, h)) in tries.iter().enumerate() {
            let at = lo + k as Tick * step + lx.between(0, step.max(MILLI));
            let acct = list[i].acct;
            let mut c = g.conn(h, ip, port(&mut lx.rng, true), at);
            if acct.invalid() {
                g.invalid_user(&mut lx.rng, &mut c, acct);
            }
            lx.wrong(&mut g, &mut c, acct);
            g.close_failed(&mut lx.rng, &mut c, acct, Close::Client);
        }
    }
    lx.plan.lines.extend(lines);
    for e in list.into_iter().filter(|e| !e.acct.invalid()) {
        lx.label(e.acct, 0, "password-spray", actions_for("password-spray", false), e.hosts, (None, Some(ip)));
    }
}
