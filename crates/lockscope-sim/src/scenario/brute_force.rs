//! Brute force: one foreign address tries dozens of passwords against one user within ten
//! minutes, until smart lockout answers 50053.

use super::Ctx;
use super::actions::BLOCK_SOURCE;
use crate::apps::Flow;
use crate::clock::{SECOND, Tick};
use crate::plan::{At, Auth, Plan, SignInSpec};
use rand::Rng;

/// Plans the attack starting at `t`.
pub(crate) fn run(ctx: &mut Ctx<'_>, plan: &mut Plan, t: Tick) {
    let Some(&u) = ctx.take(1).first() else {
        return;
    };
    let f = ctx.tenant.add_foreign(&mut ctx.rng, &[]);
    let at = At::Foreign(f);
    let mut now = t;
    for _ in 0..ctx.rng.gen_range(30..=45) {
        now += ctx.rng.gen_range(5 * SECOND..=13 * SECOND);
        plan.signin(SignInSpec::new(now, u, 50126, at, Flow::Ropc, Auth::PasswordBad));
    }
    for _ in 0..ctx.rng.gen_range(3..=6) {
        now += ctx.rng.gen_range(8 * SECOND..=20 * SECOND);
        plan.signin(SignInSpec::new(now, u, 50053, at, Flow::Ropc, Auth::None));
    }
    plan.label(u, "brute-force", "needs-review", BLOCK_SOURCE, false);
}
