//! A lone leaked-credentials detection: one user, on a day without any revocation burst, is
//! flagged high risk (the password really is in a leak) and blocked by risk-based
//! Conditional Access. Unlike the provider event there is no token revocation.

use super::actions::LEAKED;
use super::{Ctx, desk_flow, primary_auth, refresh_device, risky_series};
use crate::clock::{MINUTE, Tick};
use crate::noise::next_awake;
use crate::plan::{At, Auth, Detection, Disruption, Plan, RiskKind, RiskMark, SignInSpec};
use rand::Rng;

/// Plans the detection around `t`.
pub(crate) fn run(ctx: &mut Ctx<'_>, plan: &mut Plan, t: Tick) {
    let Some(&u) = ctx.take(1).first() else {
        return;
    };
    // A leaked password only matters to a user who has one.
    ctx.tenant.users[u as usize].passwordless = false;
    let detected = t + ctx.rng.gen_range(0..60 * MINUTE);
    let key = plan.key();
    plan.detection(Detection {
        key,
        user: u,
        kind: RiskKind::LeakedCredentials,
        level: "high",
        activity: detected - ctx.rng.gen_range(0..30 * MINUTE),
        detected,
        signin: None,
        at: None,
    });
    let end = ctx.end;
    risky_series(ctx, plan, u, detected, end, "high");
    plan.disruptions[u as usize] = Disruption::RiskBlocked { from: detected, revoked: false };
    let (d, flow) = refresh_device(&mut ctx.rng, ctx.tenant.user(u));
    let r = detected + ctx.rng.gen_range(5 * MINUTE..40 * MINUTE);
    plan.signin(SignInSpec::new(r, u, 53003, At::Own(d), flow, Auth::Refresh).risk(RiskMark::UserHigh));
    let user = ctx.user(u);
    let (offset, flow, auth) = (user.home().utc_offset, desk_flow(user), primary_auth(user));
    let t = next_awake(&mut ctx.rng, detected + MINUTE, offset);
    plan.signin(SignInSpec::new(t, u, 53003, At::Own(0), flow, auth).risk(RiskMark::UserHigh));
    plan.label(u, "leaked-credentials", "needs-review", LEAKED, false);
}
