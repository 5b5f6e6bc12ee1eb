//! Brute force against the domain: an unmanaged laptop guesses passwords for one or two
//! accounts over SMB (NTLM) on a server, dozens of tries a few seconds apart. The server logs
//! 4625 type 3 with the attacker's address and machine name, its DC 4776 with that name; the
//! tenth bad password locks the account (4740 naming the attacker's machine, or nothing when
//! the tool sends no name) and the rest fail as locked. Truth: `brute-force`, `needs-review`,
//! `block-source` and `unlock-ad`.

use super::actions::BLOCK_SOURCE_UNLOCK;
use super::ad::{Ad, Counter, HostSide, Path, Proto, caller_name, rogue_ip};
use crate::clock::{MINUTE, SECOND, Tick};
use crate::ids::Ip;
use crate::windows::LockoutTruth;
use crate::windows::domain::{FILE, RDS};
use crate::windows::event::{Addr, Via, Ws};
use rand::Rng;

/// Machine names guessing tools send (the last: none).
const NAMES: [&str; 4] = ["kali", "WIN-7Q2K9L3VJ5D", "DESKTOP-H4X0R1", ""];

/// Plans the attack starting at `t` against `accounts` people.
pub(crate) fn run(ad: &mut Ad<'_, '_>, t: Tick, accounts: usize) {
    let ip = rogue_ip(&mut ad.rng);
    let name = NAMES[ad.rng.gen_range(0..NAMES.len())];
    let index = ad.plan.attacker(name);
    let caller = if name.is_empty() { Ws::Empty } else { Ws::Attacker(index) };
    let server = if ad.rng.gen_bool(0.6) { FILE } else { RDS };
    let path = Path {
        dc: ad.plan.domain.dc_of(server),
        proto: Proto::Ntlm(caller),
        host_side: Some(HostSide { host: server, via: Via::NetworkNtlm, from: Addr::Ip(ip), ws: caller }),
        caller,
    };
    let mut now = t;
    for u in ad.take(accounts) {
        let first = now;
        let mut counter = Counter::default();
        for _ in 0..ad.rng.gen_range(30..=60) {
            counter.attempt(ad, u, now, path);
            now += ad.between(SECOND, 6 * SECOND);
        }
        ad.plan.quiet(u, first - MINUTE, now + MINUTE);
        let lockout = LockoutTruth { caller: caller_name(ad, caller), source: Ip(ip).to_string(), process: None };
        ad.label(u, "brute-force", BLOCK_SOURCE_UNLOCK, Some(lockout));
        now += ad.between(10 * SECOND, 60 * SECOND);
    }
}
