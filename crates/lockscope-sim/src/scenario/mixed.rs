//! The mixed tenant: every cause at its own time, so each must be told apart from the rest.
//!
//! With the default four days from 2025-04-17: stale credentials on the 17th, the spray on
//! the 18th, the provider burst early on Saturday the 19th (as in April 2025), and the lone
//! leaked credential, admin actions, a forgotten password and a brute force on the 20th.

use super::{Ctx, admin_action, brute_force, leaked, mace, spray, stale, user_error};
use crate::clock::{HOUR, MINUTE, Tick};
use crate::plan::Plan;

/// Plans every scenario into one tenant; the spray leaves `extra_reserve` more people untouched
/// (for the Windows side of `hybrid`).
pub(crate) fn run(ctx: &mut Ctx<'_>, plan: &mut Plan, extra_reserve: usize) {
    let last = ctx.cfg.days - 1;
    let burst_day = 2.min(last);
    // The lone leak must fall on another day than the burst.
    let leak_day = if burst_day != last { last } else { 0 };
    let at = |ctx: &mut Ctx<'_>, day: u32, from: Tick, to: Tick| {
        let d = ctx.day(day);
        ctx.between(d + from, d + to)
    };
    let burst = ctx.day(burst_day);
    mace::run(ctx, plan, burst);
    let stale_day = ctx.day(0);
    stale::run(ctx, plan, stale_day);
    let t = at(ctx, last, 22 * HOUR + 30 * MINUTE, 23 * HOUR + 10 * MINUTE);
    brute_force::run(ctx, plan, t);
    let revoke = at(ctx, last, 11 * HOUR, 12 * HOUR);
    let disable = at(ctx, last, 12 * HOUR + 30 * MINUTE, 13 * HOUR + 30 * MINUTE);
    admin_action::run(ctx, plan, revoke, disable);
    let t = at(ctx, 0, 19 * HOUR, 20 * HOUR);
    user_error::run(ctx, plan, t, true);
    let t = at(ctx, last, 21 * HOUR, 22 * HOUR);
    user_error::run(ctx, plan, t, false);
    let t = at(ctx, leak_day, 9 * HOUR, 10 * HOUR);
    leaked::run(ctx, plan, t);
    // The spray takes what is left, keeping a tenth of the tenant as bystanders.
    let reserve = (ctx.cfg.users / 10).max(4) + extra_reserve;
    let spray_day = ctx.day(1.min(last));
    spray::run(ctx, plan, spray_day, reserve);
}
