//! What the Active Directory scenarios share: their planning context, and the domain's lockout
//! counter, which turns a stream of bad passwords into the records the DC and the client log.
//!
//! The domain policy is Windows 11 / Server 2025's default: 10 bad passwords within a
//! 10-minute observation window lock the account for 10 minutes. The PDC emulator (DC01) keeps
//! the count and logs the 4740; while the account is locked, further attempts fail as "locked"
//! (4771 `0x12`, 4776 / 4625 `0xc0000234`) without counting. A success, an unlock or the end of
//! the lockout starts the count again. (The n-2 password history exemption is not modelled:
//! stale passwords here are older than that.)

use super::Ctx;
use crate::clock::{MILLI, MINUTE, Tick};
use crate::ids;
use crate::windows::domain::{DC01, HostId, Name};
use crate::windows::event::{Acct, Addr, Via, What, Ws};
use crate::windows::{AdLabel, AdPlan, LockoutTruth};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Bad passwords that lock an account.
pub(crate) const THRESHOLD: u32 = 10;
/// The observation window in which bad passwords add up.
pub(crate) const WINDOW: Tick = 10 * MINUTE;
/// How long a lockout lasts.
pub(crate) const DURATION: Tick = 10 * MINUTE;

/// Random stream of Windows scenario planning (independent of the Entra scenarios' draws).
const STREAM: u64 = 10;

/// Planning context of the Windows scenarios.
pub(crate) struct Ad<'c, 'a> {
    pub ctx: &'c mut Ctx<'a>,
    pub rng: ChaCha8Rng,
    pub plan: AdPlan,
}

impl<'c, 'a> Ad<'c, 'a> {
    pub(crate) fn new(ctx: &'c mut Ctx<'a>, plan: AdPlan) -> Self {
        let rng = ids::rng(ctx.cfg.seed, STREAM, 0, 0);
        Self { ctx, rng, plan }
    }

    /// Takes up to `n` people nobody has used yet.
    pub(crate) fn take(&mut self, n: usize) -> Vec<u32> {
        self.ctx.take(n)
    }

    pub(crate) fn between(&mut self, lo: Tick, hi: Tick) -> Tick {
        if hi <= lo { lo } else { self.rng.gen_range(lo..hi) }
    }

    /// A time between `from` and `to` hours (UTC) of day `day`.
    pub(crate) fn at(&mut self, day: u32, from: i64, to: i64) -> Tick {
        let d = self.ctx.day(day);
        self.between(d + from * crate::clock::HOUR, d + to * crate::clock::HOUR)
    }

    /// The person's UTC offset in hours.
    pub(crate) fn offset(&self, u: u32) -> i8 {
        self.ctx.user(u).home().utc_offset
    }

    /// An administrator to reset and unlock accounts (the tenant's first admin; person 0 if
    /// none).
    pub(crate) fn admin(&self) -> u32 {
        self.ctx.tenant.admins.first().copied().unwrap_or(0)
    }

    pub(crate) fn label(
        &mut self,
        user: u32,
        root_cause: &'static str,
        actions: &'static [&'static str],
        lockout: Option<LockoutTruth>,
    ) {
        let verdict = match root_cause {
            "password-spray" | "brute-force" => "needs-review",
            _ => "benign",
        };
        self.plan.labels.push(AdLabel { user, root_cause, verdict, actions, lockout });
    }
}

/// How one bad password reaches the domain.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Proto {
    /// Kerberos pre-authentication from this address (4771 at the DC).
    Kerberos(Addr),
    /// NTLM validation for this workstation name (4776 at the DC).
    Ntlm(Ws),
}

/// What the client host itself logs for the attempt (its 4625).
#[derive(Clone, Copy, Debug)]
pub(crate) struct HostSide {
    pub host: HostId,
    pub via: Via,
    pub from: Addr,
    pub ws: Ws,
}

/// The path of a source's bad passwords: the DC that checks them, how, what the client logs,
/// and the caller computer the PDC will name.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Path {
    pub dc: HostId,
    pub proto: Proto,
    pub host_side: Option<HostSide>,
    pub caller: Ws,
}

/// The PDC's bad-password count of one account.
#[derive(Debug, Default)]
pub(crate) struct Counter {
    count: u32,
    last_bad: Tick,
    locked_until: Option<Tick>,
    /// When each lockout happened.
    pub lockouts: Vec<Tick>,
}

impl Counter {
    /// Whether the account is locked at `t`.
    pub(crate) fn locked(&self, t: Tick) -> bool {
        self.locked_until.is_some_and(|until| t < until)
    }

    /// One wrong password for `user` at `t` along `path`: plans what the DC, the client and (on
    /// the threshold) the PDC log. Returns whether this attempt locked the account.
    pub(crate) fn attempt(&mut self, ad: &mut Ad<'_, '_>, user: u32, t: Tick, path: Path) -> bool {
        let locked = self.locked(t);
        let at_dc = t + ad.rng.gen_range(MILLI..20 * MILLI);
        let what = match (path.proto, locked) {
            (Proto::Kerberos(from), false) => What::Preauth { user, from, status: 0x18 },
            (Proto::Kerberos(from), true) => What::Preauth { user, from, status: 0x12 },
            (Proto::Ntlm(ws), false) => What::Ntlm { acct: Acct::User(user), ws, status: 0xc000_006a },
            (Proto::Ntlm(ws), true) => What::Ntlm { acct: Acct::User(user), ws, status: 0xc000_0234 },
        };
        ad.plan.push(at_dc, path.dc, what);
        if let Some(side) = path.host_side {
            let at_host = at_dc + ad.rng.gen_range(5 * MILLI..40 * MILLI);
            let what =
                What::LogonFailed { acct: Acct::User(user), via: side.via, from: side.from, ws: side.ws, locked };
            ad.plan.push(at_host, side.host, what);
        }
        if locked {
            return false;
        }
        if t - self.last_bad > WINDOW {
            self.count = 0;
        }
        self.count += 1;
        self.last_bad = t;
        if self.count < THRESHOLD {
            return false;
        }
        // The PDC logs the lockout; a bad password checked elsewhere reaches it a moment later.
        let delay =
            if path.dc == DC01 { ad.rng.gen_range(MILLI..4 * MILLI) } else { ad.rng.gen_range(8 * MILLI..40 * MILLI) };
        ad.plan.push(at_dc + delay, DC01, What::Lockout { user, caller: path.caller });
        self.count = 0;
        self.locked_until = Some(t + DURATION);
        self.lockouts.push(t);
        true
    }

    /// The person logged on successfully at `t`: the count starts again.
    pub(crate) fn success(&mut self, t: Tick) {
        if !self.locked(t) {
            self.count = 0;
        }
    }

    /// An administrator unlocks the account at `t` (4767 on the PDC).
    pub(crate) fn unlock(&mut self, ad: &mut Ad<'_, '_>, user: u32, t: Tick) {
        let admin = ad.admin();
        ad.plan.push(t, DC01, What::Unlock { user, admin });
        self.locked_until = None;
        self.count = 0;
    }
}

/// The NetBIOS name of a caller, as truth names it (`None` for an empty caller).
pub(crate) fn caller_name(ad: &Ad<'_, '_>, caller: Ws) -> Option<String> {
    match caller {
        Ws::Host(h) => Some(Name(h).to_string()),
        Ws::Attacker(i) => ad.plan.attackers.get(usize::from(i)).filter(|n| !n.is_empty()).cloned(),
        Ws::Empty => None,
    }
}

/// An address in 10.64.0.0/10 that no machine of the domain has: an unmanaged laptop.
pub(crate) fn rogue_ip(rng: &mut ChaCha8Rng) -> u32 {
    0x0a40_0000 | rng.gen_range(0x100..0x3f_ff00)
}
