//! What the Linux scenarios share: their planning context, the people they may take, and
//! `pam_faillock`'s tally, which decides for every wrong password whether it is counted, locks
//! the account, or is refused because the account is locked (Linux-PAM `pam_faillock.c`).
//!
//! The tally keeps the times of counted failures. An attempt is refused while at least `deny`
//! of them lie within `fail_interval` of the latest and `unlock_time` has not passed since it;
//! refused attempts are not counted. A counted failure first drops records older than
//! `fail_interval` (all of them once the lock has expired) and locks the account when the count
//! reaches exactly `deny` — the only time the lock is logged. A success clears the tally. `root`
//! is never locked and never logged (no `even_deny_root`); names that do not exist are not
//! counted.

use super::Ctx;
use super::actions;
use crate::clock::{HOUR, SECOND, Tick};
use crate::ids;
use crate::linux::conn::{Conn, Gate, Gen};
use crate::linux::fleet::{Acct, Faillock, Fleet, HostId, host};
use crate::linux::line::Line;
use crate::linux::{LinuxLabel, LinuxPlan};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// Random stream of Linux scenario planning.
const STREAM: u64 = 23;
/// Scenario keys: bits 63 and 62, then a block of 2^40 per scenario instance.
const SCENARIO: u64 = 3 << 62;
const INSTANCE: u64 = 1 << 40;

/// One account's failure records on one host.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    fails: Vec<i64>,
}

impl Tally {
    /// Whether an attempt at `now` (seconds) is refused.
    pub(crate) fn locked(&self, f: &Faillock, now: i64) -> bool {
        let Some(&latest) = self.fails.iter().max() else { return false };
        let counted = self.fails.iter().filter(|&&t| latest - t < f.interval).count();
        counted >= f.deny as usize && !(f.unlock > 0 && latest + f.unlock < now)
    }

    /// Counts a failure at `now` (not locked); returns whether it locks the account.
    pub(crate) fn fail(&mut self, f: &Faillock, now: i64) -> bool {
        let latest = self.fails.iter().max().copied();
        let counted = latest.map_or(0, |l| self.fails.iter().filter(|&&t| l - t < f.interval).count());
        if counted >= f.deny as usize {
            // The lock has expired: pam_faillock invalidates every record.
            self.fails.clear();
        }
        self.fails.retain(|&t| now - t < f.interval);
        self.fails.push(now);
        self.fails.len() == f.deny as usize
    }
}

/// Planning context of the Linux scenarios.
pub(crate) struct Lx<'c, 'a> {
    pub ctx: &'c mut Ctx<'a>,
    pub rng: ChaCha8Rng,
    pub plan: LinuxPlan,
    /// People nobody has used yet with a local account, and AD users (typing their UPN).
    local: Vec<u32>,
    ad: Vec<u32>,
    tallies: BTreeMap<(HostId, Acct), Tally>,
    instances: u64,
    services: u8,
}

impl<'c, 'a> Lx<'c, 'a> {
    /// Takes every free person into the Linux pools (the tenant's administrators stay out:
    /// they are the fleet's sysadmins).
    pub(crate) fn new(ctx: &'c mut Ctx<'a>, plan: LinuxPlan) -> Self {
        let rng = ids::rng(ctx.cfg.seed, STREAM, 0, 0);
        let free = ctx.take(ctx.free());
        let (mut local, mut ad) = (Vec::new(), Vec::new());
        for u in free {
            match plan.fleet.person(u).acct {
                Acct::Local(_) => local.push(u),
                Acct::Upn(_) => ad.push(u),
                // People who type `CONTOSO\sam` stay bystanders.
                _ => {}
            }
        }
        Self { ctx, rng, plan, local, ad, tallies: BTreeMap::new(), instances: 0, services: 0 }
    }

    pub(crate) fn fleet(&self) -> &Fleet {
        &self.plan.fleet
    }

    /// Free people with a local account.
    pub(crate) fn free_local(&self) -> usize {
        self.local.len()
    }

    /// Takes up to `n` people with a local account, the first `filter` accepts.
    pub(crate) fn take_local(&mut self, n: usize, filter: impl Fn(&Fleet, u32) -> bool) -> Vec<u32> {
        take(&mut self.local, n, |u| filter(&self.plan.fleet, u))
    }

    /// Takes one person (local or AD, at random) that `filter` accepts.
    pub(crate) fn take_person(&mut self, filter: impl Fn(&Fleet, u32) -> bool) -> Option<u32> {
        let ad_first = self.rng.gen_bool(0.4);
        let fleet = &self.plan.fleet;
        let (a, b) = if ad_first { (&mut self.ad, &mut self.local) } else { (&mut self.local, &mut self.ad) };
        take(a, 1, |u| filter(fleet, u)).pop().or_else(|| take(b, 1, |u| filter(fleet, u)).pop())
    }

    /// A fresh stale-automation account.
    pub(crate) fn service(&mut self) -> Acct {
        self.services += 1;
        Acct::Service((self.services - 1) % crate::linux::fleet::SERVICES.len() as u8)
    }

    /// A line collector for one scenario instance, with its own block of keys.
    pub(crate) fn lines<'v>(&mut self, out: &'v mut Vec<Line>) -> Gen<'v> {
        self.instances += 1;
        Gen::new(out, SCENARIO | (self.instances << 40), INSTANCE - 1, self.plan.window)
    }

    pub(crate) fn between(&mut self, lo: Tick, hi: Tick) -> Tick {
        if hi <= lo { lo } else { self.rng.gen_range(lo..hi) }
    }

    /// A time between `from` and `to` hours (UTC) of day `day`.
    pub(crate) fn at(&mut self, day: u32, from: i64, to: i64) -> Tick {
        let d = self.ctx.day(day);
        self.between(d + from * HOUR, d + to * HOUR)
    }

    /// The fleet's sysadmin (the tenant's first administrator; person 0 if none).
    pub(crate) fn admin(&self) -> u32 {
        self.ctx.tenant.admins.first().copied().unwrap_or(0)
    }

    /// What `pam_faillock` on `h` does with a wrong password for `acct` at `t`.
    pub(crate) fn gate(&mut self, h: HostId, acct: Acct, t: Tick) -> Gate {
        let Some(f) = host(h).faillock else { return Gate::Open };
        if acct == Acct::Root || acct.invalid() {
            return Gate::Open;
        }
        let now = t.div_euclid(SECOND);
        let tally = self.tallies.entry((h, acct)).or_default();
        if tally.locked(&f, now) {
            Gate::Locked
        } else if tally.fail(&f, now) {
            Gate::Lock
        } else {
            Gate::Open
        }
    }

    /// One wrong password in connection `c`; returns what faillock did.
    pub(crate) fn wrong(&mut self, g: &mut Gen<'_>, c: &mut Conn, acct: Acct) -> Gate {
        let gate = self.gate(c.host, acct, c.t);
        g.wrong(&mut self.rng, c, acct, gate);
        gate
    }

    /// The right password (or key) in connection `c`: accepted, clearing the tally, unless the
    /// account is locked (a key skips PAM's auth stack and always works).
    pub(crate) fn right(&mut self, g: &mut Gen<'_>, c: &mut Conn, acct: Acct, key: bool) -> bool {
        let locked = host(c.host).faillock.is_some_and(|f| {
            acct != Acct::Root
                && self.tallies.get(&(c.host, acct)).is_some_and(|t| t.locked(&f, c.t.div_euclid(SECOND)))
        });
        if locked && !key {
            g.refused(&mut self.rng, c, acct);
            return false;
        }
        self.tallies.remove(&(c.host, acct));
        g.accepted(&mut self.rng, c, acct, key);
        true
    }

    /// Labels an account: where it was locked and, for an attack, the attacker's address. The
    /// verdict follows from the cause.
    #[allow(clippy::too_many_arguments)] // one per truth field
    pub(crate) fn label(
        &mut self,
        acct: Acct,
        name_host: HostId,
        root_cause: &'static str,
        actions: &'static [&'static str],
        mut hosts: Vec<HostId>,
        (lockout, source): (Option<(HostId, u32)>, Option<u32>),
    ) {
        let verdict = match root_cause {
            "password-spray" | "brute-force" => "needs-review",
            _ => "benign",
        };
        hosts.sort_unstable();
        hosts.dedup();
        self.plan.labels.push(LinuxLabel { acct, name_host, root_cause, verdict, actions, hosts, lockout, source });
    }
}

/// Takes up to `n` of `pool` that `keep` accepts (from the end: the pool is shuffled).
fn take(pool: &mut Vec<u32>, n: usize, keep: impl Fn(u32) -> bool) -> Vec<u32> {
    let mut out = Vec::new();
    let mut i = pool.len();
    while i > 0 && out.len() < n {
        i -= 1;
        if keep(pool[i]) {
            out.push(pool.remove(i));
        }
    }
    out
}

/// The actions of a cause, with `reset-faillock` when the account was locked.
pub(crate) fn actions_for(root_cause: &str, locked: bool) -> &'static [&'static str] {
    match (root_cause, locked) {
        ("brute-force" | "password-spray", false) => actions::BLOCK_SOURCE,
        ("brute-force" | "password-spray", true) => actions::BLOCK_SOURCE_RESET,
        ("stale-credential", false) => actions::FIX_STALE,
        ("stale-credential", true) => actions::FIX_STALE_RESET,
        _ => actions::NONE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: Faillock = Faillock { deny: 3, interval: 900, unlock: 600, requisite: true };

    #[test]
    fn tally_locks_at_deny_and_unlocks_after_unlock_time() {
        let mut t = Tally::default();
        assert!(!t.fail(&F, 0));
        assert!(!t.fail(&F, 100));
        assert!(t.fail(&F, 200), "the third within 15 minutes locks");
        assert!(t.locked(&F, 300) && t.locked(&F, 800));
        assert!(!t.locked(&F, 801), "ten minutes after the last counted failure");
        assert!(!t.fail(&F, 801), "the expired lock's records are dropped");
        assert!(!t.fail(&F, 900));
        assert!(t.fail(&F, 1000), "and three more lock again");
    }

    #[test]
    fn slow_failures_never_lock() {
        let mut t = Tally::default();
        for i in 0..20 {
            assert!(!t.fail(&F, i * 450), "failures 7.5 minutes apart never reach three in 15");
        }
    }
}
