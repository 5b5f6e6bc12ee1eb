//! Stale credential: the user changes their password, and an old tablet whose mail app
//! polls Exchange ActiveSync with the saved password keeps failing every 15 minutes until
//! smart lockout, while the user's browser sign-ins with the new password work.

use super::Ctx;
use super::actions::FIX_STALE;
use crate::apps::Flow;
use crate::clock::{HOUR, MILLI, MINUTE, SECOND, Tick};
use crate::plan::{At, AuditKind, Auth, Disruption, Initiator, Plan, SignInSpec};
use crate::tenant;
use rand::Rng;

/// Entra's default smart-lockout threshold.
const LOCKOUT_THRESHOLD: usize = 10;
const POLL_MINUTES: u16 = 15;

/// Plans the password changes in the morning of the day at `day_start`.
pub(crate) fn run(ctx: &mut Ctx<'_>, plan: &mut Plan, day_start: Tick) {
    let n = ctx.share(0.05, 3);
    for u in ctx.take(n) {
        one(ctx, plan, u, day_start);
    }
}

fn one(ctx: &mut Ctx<'_>, plan: &mut Plan, u: u32, day_start: Tick) {
    ctx.tenant.users[u as usize].passwordless = false;
    let d = tenant::add_legacy_mail(ctx.tenant, &mut ctx.rng, u, POLL_MINUTES);
    let interval = Tick::from(POLL_MINUTES) * MINUTE;
    // Leave room for the lockout to happen inside the window.
    let latest = ctx.end - (LOCKOUT_THRESHOLD as Tick + 3) * interval;
    let t = (day_start + ctx.rng.gen_range(6 * HOUR..10 * HOUR)).min(latest).max(ctx.start + HOUR);

    // The change itself, in the browser on the user's computer.
    let login = t - ctx.rng.gen_range(MINUTE..3 * MINUTE);
    plan.signin(SignInSpec::new(login, u, 0, At::Own(0), Flow::WebMail, Auth::PasswordMfa));
    let corr = plan.key();
    let by = Initiator::User { user: u, at: At::Own(0) };
    let old = ctx.user(u).tokens_valid_from;
    plan.audit(t, corr, by, AuditKind::ChangePassword { user: u });
    let bump = t + ctx.rng.gen_range(5 * MILLI..40 * MILLI);
    plan.audit(bump, corr, by, AuditKind::TokenBump { user: u, old });
    plan.disruptions[u as usize] = Disruption::StaleDevice { from: t, device: d };
    // Signed out by the change, the user signs in again in the browser with the new password.
    let again = t + ctx.rng.gen_range(2 * MINUTE..20 * MINUTE);
    plan.signin(SignInSpec::new(again, u, 0, At::Own(0), Flow::WebMail, Auth::PasswordMfa));

    if ctx.rng.gen_bool(0.5) {
        // The modern mail app on the same tablet notices the revoked grant at once.
        let r = t + ctx.rng.gen_range(MINUTE..5 * MINUTE);
        plan.signin(SignInSpec::new(r, u, 50173, At::Own(d), Flow::OutlookRefresh, Auth::None));
    }

    // The native mail app keeps its poll schedule and its old password.
    let phase = ctx.user(u).devices[usize::from(d)].poll_phase;
    let mut slot = t + (phase - t).rem_euclid(interval);
    if slot - t < MINUTE {
        slot += interval;
    }
    let attempts = ctx.rng.gen_range(16..=28);
    for k in 0..attempts {
        let at = slot + k as Tick * interval + ctx.rng.gen_range(-60 * SECOND..=60 * SECOND);
        let (code, auth) = if k < LOCKOUT_THRESHOLD { (50126, Auth::PasswordBad) } else { (50053, Auth::None) };
        plan.signin(SignInSpec::new(at, u, code, At::Own(d), Flow::ActiveSync, auth));
    }
    plan.label(u, "stale-credential", "benign", FIX_STALE, false);
}
