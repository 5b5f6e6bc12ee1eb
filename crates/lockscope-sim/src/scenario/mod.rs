//! Scenarios: each picks its users from a shared pool (a user is in at most one scenario),
//! writes its records into the plan and labels its users.

mod ad;
mod ad_brute;
mod ad_mixed;
mod ad_spray;
mod ad_stale;
mod ad_user_error;
mod admin_action;
mod brute_force;
mod leaked;
mod linux;
mod linux_brute;
mod linux_faillock;
mod linux_mixed;
mod linux_spray;
mod linux_stale;
mod mace;
mod mixed;
mod spray;
mod stale;
mod user_error;

use crate::apps::Flow;
use crate::clock::{DAY, HOUR, MINUTE, SECOND, Tick};
use crate::config::{Config, Scenario};
use crate::ids;
use crate::linux::LinuxPlan;
use crate::linux::fleet::Fleet;
use crate::plan::{Auth, Plan, Snapshot};
use crate::tenant::{self, DevKind, Tenant, User};
use crate::windows::AdPlan;
use crate::windows::domain::Domain;
use ad::Ad;
use rand::Rng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// Truth ids (the engine's output contract).
pub(crate) mod actions {
    pub const CONFIRM_SAFE: &[&str] = &["confirm-safe"];
    pub const COMPROMISED: &[&str] = &["confirm-compromised", "revoke-sessions", "reset-password"];
    pub const SPRAY_COMPROMISED: &[&str] =
        &["confirm-compromised", "revoke-sessions", "reset-password", "block-source"];
    pub const BLOCK_SOURCE: &[&str] = &["block-source"];
    pub const FIX_STALE: &[&str] = &["fix-stale-credential"];
    pub const NONE: &[&str] = &["none"];
    pub const LEAKED: &[&str] = &["reset-password", "revoke-sessions"];
    pub const FIX_STALE_UNLOCK: &[&str] = &["fix-stale-credential", "unlock-ad"];
    pub const BLOCK_SOURCE_UNLOCK: &[&str] = &["block-source", "unlock-ad"];
    pub const BLOCK_SOURCE_RESET: &[&str] = &["block-source", "reset-faillock"];
    pub const FIX_STALE_RESET: &[&str] = &["fix-stale-credential", "reset-faillock"];
}

/// What scenarios share while planning.
pub(crate) struct Ctx<'a> {
    pub cfg: &'a Config,
    pub tenant: &'a mut Tenant,
    pub rng: ChaCha8Rng,
    pub start: Tick,
    pub end: Tick,
    pool: Vec<u32>,
}

impl Ctx<'_> {
    /// Takes up to `n` users nobody has used yet.
    pub(crate) fn take(&mut self, n: usize) -> Vec<u32> {
        let n = n.min(self.pool.len());
        self.pool.split_off(self.pool.len() - n)
    }

    pub(crate) fn free(&self) -> usize {
        self.pool.len()
    }

    /// Start of day `d` of the window (clamped to the last day).
    pub(crate) fn day(&self, d: u32) -> Tick {
        self.start + Tick::from(d.min(self.cfg.days - 1)) * DAY
    }

    /// A share of the tenant's users, at least `min`.
    pub(crate) fn share(&self, fraction: f64, min: usize) -> usize {
        ((self.cfg.users as f64 * fraction).round() as usize).max(min)
    }

    pub(crate) fn between(&mut self, lo: Tick, hi: Tick) -> Tick {
        if hi <= lo { lo } else { self.rng.gen_range(lo..hi) }
    }

    pub(crate) fn user(&self, u: u32) -> &User {
        self.tenant.user(u)
    }
}

/// A device of `user` that refreshes tokens in the background, and the flow it uses.
pub(crate) fn refresh_device(rng: &mut ChaCha8Rng, user: &User) -> (u8, Flow) {
    let candidates: Vec<(u8, u32)> = user
        .devices
        .iter()
        .enumerate()
        .filter(|(_, d)| d.kind != DevKind::LegacyMail)
        .map(|(i, d)| (i as u8, if d.kind == DevKind::WindowsPc { 1 } else { 2 }))
        .collect();
    let d = tenant::weighted(rng, &candidates).unwrap_or(0);
    let kind = user.devices[usize::from(d)].kind;
    let refreshing: Vec<(Flow, u32)> =
        Flow::background(kind).iter().copied().filter(|(f, _)| f.info().refresh).collect();
    (d, tenant::weighted(rng, &refreshing).unwrap_or(Flow::TeamsRefresh))
}

/// The interactive flow a person uses on their primary device.
pub(crate) fn desk_flow(user: &User) -> Flow {
    match user.devices.first().map(|d| d.kind) {
        Some(DevKind::IPhone | DevKind::Android) => Flow::OutlookMobile,
        _ => Flow::WebMail,
    }
}

/// How `user` authenticates interactively on their primary device.
pub(crate) fn primary_auth(user: &User) -> Auth {
    match (user.passwordless, user.devices.first().map(|d| d.kind)) {
        (true, Some(DevKind::WindowsPc)) => Auth::Whfb,
        (true, _) => Auth::Fido2,
        (false, _) => Auth::PasswordMfa,
    }
}

/// Risky-user snapshots from `from` (when the risk changed) until `until`: one while Identity
/// Protection is still processing, one settled, then a daily re-export.
pub(crate) fn risky_series(
    ctx: &mut Ctx<'_>,
    plan: &mut Plan,
    user: u32,
    from: Tick,
    until: Tick,
    level: &'static str,
) {
    let processing = from + ctx.rng.gen_range(5 * SECOND..40 * SECOND);
    let settled = processing + ctx.rng.gen_range(MINUTE..4 * MINUTE);
    let snap = |t: Tick, processing: bool| Snapshot {
        t,
        user,
        level,
        state: "atRisk",
        detail: "none",
        updated: from,
        processing,
    };
    for s in [snap(processing, true), snap(settled, false)] {
        if s.t < until {
            plan.snapshot(s);
        }
    }
    let mut t = settled + DAY - ctx.rng.gen_range(0..2 * HOUR);
    while t < until {
        plan.snapshot(snap(t, false));
        t += DAY - ctx.rng.gen_range(0..2 * HOUR);
    }
}

/// People the Entra part of `hybrid` leaves to the Windows scenarios.
fn hybrid_reserve(users: usize) -> usize {
    (users * 3 / 10).max(30)
}

/// What the scenarios planned: the Entra plan (empty for scenarios without Entra files), the
/// Windows plan of scenarios with a domain, and the Linux plan of the Linux scenarios.
pub(crate) type Plans = (Plan, Option<AdPlan>, Option<LinuxPlan>);

/// Plans the scenario of `cfg` on `tenant`.
pub(crate) fn plan(cfg: &Config, tenant: &mut Tenant, start: Tick) -> Plans {
    let end = start + Tick::from(cfg.days) * DAY;
    let mut plan = Plan::new(cfg.users, (start, end));
    let mut rng = ids::rng(cfg.seed, 3, 0, 0);
    let mut pool: Vec<u32> = (0..cfg.users as u32).collect();
    pool.shuffle(&mut rng);
    let mut ctx = Ctx { cfg, tenant, rng, start, end, pool };
    let admins = ctx.take(if cfg.users >= 50 { 2 } else { 1 });
    for &a in &admins {
        ctx.tenant.users[a as usize].admin = true;
        ctx.tenant.users[a as usize].passwordless = false;
    }
    ctx.tenant.admins = admins;
    let last = cfg.days - 1;
    match cfg.scenario {
        Scenario::Mace2025 => {
            let day = ctx.day(2.min(last));
            mace::run(&mut ctx, &mut plan, day);
        }
        Scenario::PasswordSpray => {
            let day = ctx.day(1.min(last));
            spray::run(&mut ctx, &mut plan, day, 1);
        }
        Scenario::StaleCredential => {
            let day = ctx.day(1.min(last));
            stale::run(&mut ctx, &mut plan, day);
        }
        Scenario::Mixed => mixed::run(&mut ctx, &mut plan, 0),
        Scenario::Hybrid => mixed::run(&mut ctx, &mut plan, hybrid_reserve(cfg.users)),
        Scenario::AdStaleCredential
        | Scenario::AdPasswordSpray
        | Scenario::AdBruteForce
        | Scenario::AdMixed
        | Scenario::LinuxBruteForce
        | Scenario::LinuxSpray
        | Scenario::LinuxFaillock
        | Scenario::LinuxStaleAutomation
        | Scenario::LinuxMixed => {}
    }
    let ad_plan = cfg.scenario.writes_windows().then(|| {
        let domain = Domain::build(ctx.tenant, cfg.seed);
        let mut ad = Ad::new(&mut ctx, AdPlan::new(domain, (start, end)));
        match cfg.scenario {
            Scenario::AdStaleCredential => ad_stale::run(&mut ad, 1.min(last)),
            Scenario::AdPasswordSpray => {
                let reserve = (cfg.users / 10).max(4);
                ad_spray::run(&mut ad, 1.min(last), reserve);
            }
            Scenario::AdBruteForce => {
                let t = ad.at(last, 20, 23);
                let accounts = ad.rng.gen_range(1..=2);
                ad_brute::run(&mut ad, t, accounts);
            }
            _ => ad_mixed::run(&mut ad),
        }
        let mut ad_plan = ad.plan;
        ad_plan.finish(ctx.tenant);
        ad_plan
    });
    let linux_plan = cfg.scenario.writes_linux().then(|| {
        let fleet = Fleet::build(ctx.tenant, cfg.seed);
        let mut lx = linux::Lx::new(&mut ctx, LinuxPlan::new(fleet, (start, end)));
        linux_mixed::run(&mut lx, cfg.scenario);
        let mut linux_plan = lx.plan;
        linux_plan.finish();
        linux_plan
    });
    if cfg.scenario.writes_entra() {
        background(&mut ctx, &mut plan);
    }
    plan.signins.sort_unstable_by_key(|s| (s.t, s.key));
    plan.audits.sort_unstable_by_key(|a| (a.t, a.key));
    plan.detections.sort_unstable_by_key(|d| (d.detected, d.key));
    plan.snapshots.sort_unstable_by_key(|s| (s.t, s.user));
    let users = &ctx.tenant.users;
    plan.labels.sort_unstable_by(|a, b| users[a.user as usize].upn.cmp(&users[b.user as usize].upn));
    (plan, ad_plan, linux_plan)
}

/// Things every tenant has that are no incident: admins editing users and groups, a few
/// mail apps polling with a saved password, risky users remediated long ago.
fn background(ctx: &mut Ctx<'_>, plan: &mut Plan) {
    use crate::plan::{At, AuditKind, Initiator};
    let free = ctx.take(ctx.free());
    let polling = (free.len() / 50).max(usize::from(free.len() >= 20));
    for &u in &free[..polling] {
        tenant::add_legacy_mail(ctx.tenant, &mut ctx.rng, u, 30);
    }
    let remediated = (free.len() / 100).max(usize::from(free.len() >= 10));
    for &u in &free[polling..polling + remediated.min(free.len() - polling)] {
        let t = ctx.between(ctx.start, ctx.end);
        let dismissed = ctx.rng.gen_bool(0.5);
        let updated = ctx.start - ctx.rng.gen_range(10 * DAY..200 * DAY);
        plan.snapshot(Snapshot {
            t,
            user: u,
            level: "none",
            state: if dismissed { "dismissed" } else { "remediated" },
            detail: if dismissed { "adminDismissedAllRiskForUser" } else { "userPerformedSecuredPasswordChange" },
            updated,
            processing: false,
        });
    }
    let per_day = 1 + ctx.cfg.users / 150;
    for day in 0..ctx.cfg.days {
        for _ in 0..per_day {
            let t = ctx.day(day) + ctx.rng.gen_range(13 * HOUR..22 * HOUR);
            let admin = *ctx.tenant.admins.choose(&mut ctx.rng).unwrap_or(&0);
            let user = ctx.rng.gen_range(0..ctx.cfg.users as u32);
            let kind = if ctx.rng.gen_bool(0.6) {
                AuditKind::UpdateUserAttribute { user, attr: ctx.rng.gen_range(0..4) }
            } else {
                AuditKind::AddGroupMember { user, group: ctx.rng.gen_range(0..4) }
            };
            let corr = plan.key();
            let by = Initiator::User { user: admin, at: At::Own(0) };
            plan.audit(t, corr, by, kind);
        }
    }
}
