//! User error: a person forgets their password, tries a few times from their own computer,
//! maybe locks themselves out, and gets in within the hour.

use super::Ctx;
use super::actions::NONE;
use crate::apps::Flow;
use crate::clock::{MINUTE, SECOND, Tick};
use crate::plan::{At, Auth, Plan, SignInSpec};
use rand::Rng;

/// Plans one forgotten password at `t`; with `lockout` the attempts end in smart lockout.
pub(crate) fn run(ctx: &mut Ctx<'_>, plan: &mut Plan, t: Tick, lockout: bool) {
    let Some(&u) = ctx.take(1).first() else {
        return;
    };
    ctx.tenant.users[u as usize].passwordless = false;
    let flow = super::desk_flow(ctx.user(u));
    let at = At::Own(0);
    let mut now = t;
    let mut corr = None;
    for _ in 0..ctx.rng.gen_range(3..=5) {
        let mut spec = SignInSpec::new(now, u, 50126, at, flow, Auth::PasswordBad);
        if let Some(c) = corr {
            spec = spec.corr(c);
        }
        let key = plan.signin(spec);
        corr.get_or_insert(key);
        now += ctx.rng.gen_range(10 * SECOND..40 * SECOND);
    }
    if lockout {
        plan.signin(SignInSpec::new(now, u, 50053, at, flow, Auth::None));
    }
    let back = now + ctx.rng.gen_range(8 * MINUTE..50 * MINUTE);
    plan.signin(SignInSpec::new(back, u, 0, at, Flow::WebMail, Auth::PasswordMfa));
    plan.label(u, "user-error", "benign", NONE, false);
}
