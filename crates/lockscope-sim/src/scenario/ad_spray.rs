//! Password spray against the domain: one source tries one password, then for about half the
//! accounts a second one, against 20 or more accounts within an hour, in the order of its
//! (alphabetical) user list, with a few names that do not exist mixed in.
//!
//! Two sources, by seed: an unmanaged laptop on the office network (a Kerbrute-style tool:
//! 4771 `0x18` and, for the missing names, 4768 `0x6`, at one DC), or the domain-joined lab PC
//! where the attacker runs PowerShell as its local administrator (each try also logs 4648,
//! explicit credentials, on the lab PC). Nobody reaches the lockout threshold. Truth:
//! `password-spray`, `needs-review`, `block-source` for every existing account tried.

use super::actions::BLOCK_SOURCE;
use super::ad::{Ad, rogue_ip};
use crate::clock::{MILLI, MINUTE, Tick};
use crate::windows::domain::{DC01, DC02, LAB};
use crate::windows::event::{Acct, Addr, NONEXISTENT, What};
use rand::Rng;
use rand::seq::SliceRandom;

/// Plans a spray in the afternoon (UTC) of day `day`, leaving at least `reserve` people
/// untouched.
pub(crate) fn run(ad: &mut Ad<'_, '_>, day: u32, reserve: usize) {
    let want = ad.ctx.share(0.3, 20).min(ad.ctx.free().saturating_sub(reserve));
    let mut targets = ad.take(want);
    if targets.is_empty() {
        return;
    }
    let lab = ad.rng.gen_bool(0.5);
    let (from, dc) = if lab {
        (Addr::Host(LAB), ad.plan.domain.dc_of(LAB))
    } else {
        let dc = if ad.rng.gen_bool(0.5) { DC01 } else { DC02 };
        (Addr::Ip(rogue_ip(&mut ad.rng)), dc)
    };
    // The attacker's list: the accounts found (sorted) and a few guesses.
    let mut list: Vec<Acct> = targets.iter().map(|&u| Acct::User(u)).collect();
    let mut unknown: Vec<u8> = (0..NONEXISTENT.len() as u8).collect();
    unknown.shuffle(&mut ad.rng);
    list.extend(unknown.iter().take(ad.rng.gen_range(3..=8)).map(|&i| Acct::Unknown(i)));
    let d = &ad.plan.domain;
    let name = |a: &Acct| match *a {
        Acct::User(u) => d.sam(u).to_string(),
        Acct::Unknown(i) => NONEXISTENT[usize::from(i)].to_string(),
        _ => String::new(),
    };
    list.sort_by_key(|a| name(a));
    let start = ad.at(day, 13, 17);
    let length = ad.between(20 * MINUTE, 55 * MINUTE);
    // First password over the first 60% of the hour, the second over the rest.
    let second: Vec<Acct> = list.iter().copied().filter(|_| ad.rng.gen_bool(0.5)).collect();
    for (round, accounts) in [(0, &list), (1, &second)] {
        let (lo, span) = if round == 0 { (start, length * 6 / 10) } else { (start + length * 6 / 10, length * 4 / 10) };
        let step = span / accounts.len().max(1) as Tick;
        for (i, acct) in accounts.iter().enumerate() {
            let t = lo + i as Tick * step + ad.between(0, step.max(MILLI));
            attempt(ad, *acct, t, from, dc, lab);
        }
    }
    targets.sort_unstable();
    for u in targets {
        ad.label(u, "password-spray", BLOCK_SOURCE, None);
    }
}

/// One guess: the lab PC's 4648 when the attacker is there, and the DC's verdict.
fn attempt(ad: &mut Ad<'_, '_>, acct: Acct, t: Tick, from: Addr, dc: u32, lab: bool) {
    if lab {
        let before = t - ad.between(20 * MILLI, 300 * MILLI);
        ad.plan.push(before, LAB, What::Explicit { subject: Acct::LabAdmin, target: acct, server: dc });
    }
    let what = match acct {
        Acct::User(user) => What::Preauth { user, from, status: 0x18 },
        other => What::Tgt { acct: other, from, status: 0x6 },
    };
    ad.plan.push(t, dc, what);
}
