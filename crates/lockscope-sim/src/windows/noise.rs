//! Background Windows activity: what every person's account and every machine does every day,
//! at the person's local office hours. Each (user, day) and (machine, day) has its own random
//! stream, so any host's log can be written on its own, in any order, with the same records.
//!
//! Per person and day: the workstation's computer account gets its boot TGT; the person logs
//! on in the morning (4768 at the DC, 4624 type 2 at the workstation, or type 11 from cached
//! credentials off the network), unlocks the screen once or twice (4768 + 4624 type 7), opens
//! shares and mail (4624 type 3 Kerberos on the file, mail and database servers) and an NTLM
//! application (4776 at the DC, 4624 type 3 NTLM on the application server), and some use the
//! terminal server (4624 type 10). About one day in twenty a person mistypes the password once
//! (4771 `0x18`) and gets in at once. Nobody in a scenario mistypes, and while a scenario owns
//! an account (its `quiet` intervals) its person's own logons are left out.

use super::AdPlan;
use super::domain::{APP, Domain, FILE, FIRST_WS, HostId, LAB, MAIL, RDS, SQL};
use super::event::{Acct, Addr, Via, What, WinEvent, Ws};
use crate::clock::{DAY, HOUR, MILLI, MINUTE, SECOND, Tick};
use crate::ids;
use crate::plan::noise_key;
use crate::tenant::Tenant;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Random stream of per-person background.
const STREAM: u64 = 11;
/// Random stream of per-machine background.
const MACHINE_STREAM: u64 = 12;
/// Background keys have bit 62 set (scenario keys bit 63); machine ones bit 61 too.
const BG: u64 = 1 << 62;
const MACHINE: u64 = 1 << 61;
/// Chance per day that a person mistypes their password once.
const TYPO_PER_DAY: f64 = 0.05;

/// What background generation needs.
pub(crate) struct Background<'a> {
    pub domain: &'a Domain,
    pub tenant: &'a Tenant,
    pub plan: &'a AdPlan,
    pub seed: u64,
    /// The config's background sign-ins per user per day; resource logons are half of it.
    pub per_day: u32,
}

struct Day<'o> {
    out: &'o mut Vec<WinEvent>,
    range: (Tick, Tick),
    key: u64,
    n: u64,
}

impl Day<'_> {
    fn push(&mut self, t: Tick, host: HostId, what: What) {
        let key = self.key | self.n;
        self.n += 1;
        // Kept inside its day so that day-sized chunks stay in order.
        if t >= self.range.0 && t < self.range.1 {
            self.out.push(WinEvent { t, key, host, what });
        }
    }
}

/// A time in the UTC day at `day_start` when it is `hour` to `hour + span` o'clock at UTC
/// `offset` (wrapping round midnight), leaving room for follow-up records.
fn local(rng: &mut ChaCha8Rng, day_start: Tick, offset: i8, hour: i64, span: i64) -> Tick {
    let utc = (hour - i64::from(offset)).rem_euclid(24);
    (day_start + utc * HOUR + rng.gen_range(0..span * HOUR)).min(day_start + DAY - 2 * MINUTE)
}

impl Background<'_> {
    /// Appends person `u`'s background of `day` (starting at `day_start`) to `out`, all hosts.
    pub(crate) fn user_day(&self, u: u32, day: u32, day_start: Tick, out: &mut Vec<WinEvent>) {
        let first = out.len();
        let mut rng = ids::rng(self.seed, STREAM, u64::from(u), u64::from(day));
        let mut g = Day { out, range: (day_start, day_start + DAY), key: BG | noise_key(day, u, 0), n: 0 };
        let user = self.tenant.user(u);
        let offset = user.home().utc_offset;
        let ws = self.domain.ws(u);
        let dc = self.domain.dc_of(ws);
        let me = Acct::User(u);
        let from = Addr::Host(ws);
        if rng.gen_bool(0.9) {
            let t = local(&mut rng, day_start, offset, 6, 1);
            g.push(t, dc, What::Tgt { acct: Acct::Machine(ws), from, status: 0 });
        }
        if rng.gen_bool(0.95) {
            let t = local(&mut rng, day_start, offset, 7, 3);
            if rng.gen_bool(0.05) {
                // A laptop off the network: cached credentials, no domain controller involved.
                g.push(t, ws, What::Logon { acct: me, via: Via::Cached, from: Addr::Loopback, ws: Ws::Host(ws) });
            } else {
                g.push(t, dc, What::Tgt { acct: me, from, status: 0 });
                let at = t + rng.gen_range(100 * MILLI..900 * MILLI);
                g.push(at, ws, What::Logon { acct: me, via: Via::Interactive, from: Addr::Loopback, ws: Ws::Host(ws) });
            }
        }
        for _ in 0..rng.gen_range(0..=2) {
            let t = local(&mut rng, day_start, offset, 9, 9);
            g.push(t, dc, What::Tgt { acct: me, from, status: 0 });
            let at = t + rng.gen_range(100 * MILLI..900 * MILLI);
            g.push(at, ws, What::Logon { acct: me, via: Via::Unlock, from: Addr::Loopback, ws: Ws::Host(ws) });
        }
        for _ in 0..(self.per_day / 2).max(1) {
            let t = local(&mut rng, day_start, offset, 8, 10);
            let r: f64 = rng.r#gen();
            if r < 0.15 {
                // An older application that only speaks NTLM: the DC validates for the server.
                g.push(t, self.domain.dc_of(APP), What::Ntlm { acct: me, ws: Ws::Host(ws), status: 0 });
                let at = t + rng.gen_range(5 * MILLI..60 * MILLI);
                g.push(at, APP, What::Logon { acct: me, via: Via::NetworkNtlm, from, ws: Ws::Host(ws) });
            } else {
                let server = if r < 0.65 {
                    FILE
                } else if r < 0.92 {
                    MAIL
                } else {
                    SQL
                };
                g.push(t, server, What::Logon { acct: me, via: Via::NetworkKerberos, from, ws: Ws::Empty });
            }
        }
        let remote_worker = user.admin || ids::mix(u64::from(u) ^ 0x4d5).is_multiple_of(8);
        if remote_worker && rng.gen_bool(0.4) {
            let t = local(&mut rng, day_start, offset, 9, 8);
            g.push(t, self.domain.dc_of(RDS), What::Tgt { acct: me, from: Addr::Host(RDS), status: 0 });
            let at = t + rng.gen_range(200 * MILLI..2 * SECOND);
            g.push(at, RDS, What::Logon { acct: me, via: Via::Rdp, from, ws: Ws::Host(ws) });
        }
        if !self.plan.is_scripted(u) && rng.gen_bool(TYPO_PER_DAY) {
            // One mistyped password at the lock screen, right again at the next try.
            let t = local(&mut rng, day_start, offset, 8, 10);
            g.push(t, dc, What::Preauth { user: u, from, status: 0x18 });
            let again = t + rng.gen_range(5 * SECOND..40 * SECOND);
            g.push(again, dc, What::Tgt { acct: me, from, status: 0 });
            let at = again + rng.gen_range(100 * MILLI..900 * MILLI);
            g.push(at, ws, What::Logon { acct: me, via: Via::Unlock, from: Addr::Loopback, ws: Ws::Host(ws) });
        }
        if let Some(quiet) = self.plan.quiet.get(&u) {
            let mut i = first;
            while i < out.len() {
                let e = &out[i];
                let silenced = e.what.person() == Some(u) && quiet.iter().any(|(a, b)| (*a..*b).contains(&e.t));
                if silenced {
                    out.remove(i);
                } else {
                    i += 1;
                }
            }
        }
    }

    /// Appends the background of the fixed machines (servers and the lab PC) for `day`: each
    /// computer account's daily TGT, and the lab PC's local administrator now and then.
    pub(crate) fn machines_day(&self, day: u32, day_start: Tick, out: &mut Vec<WinEvent>) {
        for h in 2..FIRST_WS {
            let mut rng = ids::rng(self.seed, MACHINE_STREAM, u64::from(h), u64::from(day));
            let key = BG | MACHINE | u64::from(day) << 16 | u64::from(h) << 8;
            let mut g = Day { out: &mut *out, range: (day_start, day_start + DAY), key, n: 0 };
            let t = day_start + rng.gen_range(0..DAY - HOUR);
            g.push(t, self.domain.dc_of(h), What::Tgt { acct: Acct::Machine(h), from: Addr::Host(h), status: 0 });
            if h == LAB && rng.gen_bool(0.6) {
                let t = day_start + rng.gen_range(8 * HOUR..16 * HOUR);
                let what =
                    What::Logon { acct: Acct::LabAdmin, via: Via::Interactive, from: Addr::Loopback, ws: Ws::Host(h) };
                g.push(t, h, what);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::tenant;
    use crate::windows::domain::{DC01, DC02};

    #[test]
    fn background_is_benign_and_repeatable() {
        let cfg = Config { users: 200, ..Config::default() };
        let t = tenant::build(&cfg, 0);
        let domain = Domain::build(&t, 1);
        let plan = AdPlan::new(Domain::build(&t, 1), (0, 4 * DAY));
        let bg = Background { domain: &domain, tenant: &t, plan: &plan, seed: 1, per_day: 8 };
        let mut out = Vec::new();
        for u in 0..200 {
            bg.user_day(u, 2, 2 * DAY, &mut out);
        }
        bg.machines_day(2, 2 * DAY, &mut out);
        assert!(out.len() > 200 * 5, "{}", out.len());
        let mut typos = 0;
        for e in &out {
            assert!(e.t >= 2 * DAY && e.t < 3 * DAY);
            match e.what {
                What::Preauth { status, user, from } => {
                    assert_eq!(status, 0x18);
                    typos += 1;
                    let fixed = out.iter().any(|o| {
                        matches!(o.what, What::Tgt { acct: Acct::User(v), status: 0, from: f } if v == user && f == from)
                            && o.t > e.t
                            && o.t - e.t < MINUTE
                    });
                    assert!(fixed, "a typo is followed by a success");
                }
                What::Tgt { status, .. } => assert_eq!(status, 0),
                What::Ntlm { status, .. } => assert_eq!(status, 0),
                What::Logon { .. } => {}
                other => panic!("not background: {other:?}"),
            }
            if matches!(e.what, What::Tgt { .. } | What::Preauth { .. } | What::Ntlm { .. }) {
                assert!(e.host == DC01 || e.host == DC02);
            }
        }
        assert!((1..40).contains(&typos), "{typos}");
        let mut again = Vec::new();
        for u in 0..200 {
            bg.user_day(u, 2, 2 * DAY, &mut again);
        }
        bg.machines_day(2, 2 * DAY, &mut again);
        assert!(out.iter().zip(&again).all(|(a, b)| a.key == b.key && a.t == b.t && a.what == b.what));
        let keys: std::collections::BTreeSet<u64> = out.iter().map(|e| e.key).collect();
        assert_eq!(keys.len(), out.len(), "keys are unique");
    }
}
