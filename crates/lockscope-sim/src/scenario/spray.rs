//! A password spray: a few foreign addresses try one or two common passwords against many
//! users over an hour or three, mostly through legacy protocols. Some users reach smart
//! lockout; one (in a tenant of 20 or more) had the sprayed password and is compromised.

use super::Ctx;
use super::actions::{BLOCK_SOURCE, SPRAY_COMPROMISED};
use super::risky_series;
use crate::apps::Flow;
use crate::clock::{HOUR, MINUTE, SECOND, Tick};
use crate::plan::{At, Auth, Detection, Plan, RiskKind, RiskMark, SignInSpec};
use rand::Rng;
use rand::seq::SliceRandom;

/// Plans a spray starting in the afternoon of the day at `day_start`, leaving at least
/// `reserve` users untouched.
pub(crate) fn run(ctx: &mut Ctx<'_>, plan: &mut Plan, day_start: Tick, reserve: usize) {
    let wanted = ctx.share(0.40, 3);
    let targets = ctx.take(wanted.min(ctx.free().saturating_sub(reserve)));
    if targets.is_empty() {
        return;
    }
    let mut sources: Vec<(u16, Flow)> = Vec::new();
    let mut cities: Vec<u16> = Vec::new();
    for _ in 0..ctx.rng.gen_range(2..=5) {
        let f = ctx.tenant.add_foreign(&mut ctx.rng, &cities);
        cities.push(ctx.tenant.foreign(f).city);
        let tool = *[Flow::Smtp, Flow::Imap, Flow::WebSpray].choose(&mut ctx.rng).unwrap_or(&Flow::Smtp);
        sources.push((f, tool));
    }
    let start = day_start + ctx.rng.gen_range(14 * HOUR..18 * HOUR);
    let length = ctx.rng.gen_range(60..=180) * MINUTE;
    let succeeds = ctx.cfg.users >= 20;
    let lockouts = if targets.len() >= 5 { ((targets.len() as f64 * 0.08).round() as usize).max(1) } else { 0 };
    for (i, &u) in targets.iter().enumerate() {
        let success = succeeds && i == 0;
        let lockout = !success && (1..=lockouts).contains(&i);
        // The right password comes after at least one wrong one.
        let attempts = if lockout {
            ctx.rng.gen_range(3..=4)
        } else if success {
            ctx.rng.gen_range(2..=3)
        } else {
            ctx.rng.gen_range(1..=3)
        };
        let mut times: Vec<Tick> = (0..attempts).map(|_| start + ctx.rng.gen_range(0..length)).collect();
        times.sort_unstable();
        let mut last = (sources[0], 0);
        for (k, &t) in times.iter().enumerate() {
            // A locked-out user was hit from at least two addresses.
            let src = if lockout && k == 1 && sources.len() > 1 {
                sources[(sources.iter().position(|s| *s == last.0).unwrap_or(0) + 1) % sources.len()]
            } else {
                *sources.choose(&mut ctx.rng).unwrap_or(&sources[0])
            };
            let final_try = k + 1 == times.len();
            if success && final_try {
                let (f, _) = src;
                hit(ctx, plan, u, t, f);
            } else {
                let spec = SignInSpec::new(t, u, 50126, At::Foreign(src.0), src.1, Auth::PasswordBad);
                plan.signin(spec);
            }
            last = (src, t);
        }
        if lockout {
            let other = sources.iter().copied().find(|s| *s != last.0).unwrap_or(last.0);
            let t = last.1 + ctx.rng.gen_range(10 * SECOND..120 * SECOND);
            plan.signin(SignInSpec::new(t, u, 50053, At::Foreign(other.0), other.1, Auth::None));
        }
        if success {
            plan.label(u, "password-spray", "compromised", SPRAY_COMPROMISED, false);
        } else {
            plan.label(u, "password-spray", "needs-review", BLOCK_SOURCE, false);
        }
    }
}

/// The sprayed password was right: a legacy sign-in succeeds, mail is read, and Identity
/// Protection flags it offline some hours later.
fn hit(ctx: &mut Ctx<'_>, plan: &mut Plan, u: u32, t: Tick, f: u16) {
    let at = At::Foreign(f);
    let spec = SignInSpec::new(t, u, 0, at, Flow::Imap, Auth::Password).risk(RiskMark::Signin(RiskKind::PasswordSpray));
    let key = plan.signin(spec);
    let later = t + ctx.rng.gen_range(20 * MINUTE..50 * MINUTE);
    plan.signin(SignInSpec::new(later, u, 0, at, Flow::Imap, Auth::Password));
    let detected = t + ctx.rng.gen_range(HOUR..6 * HOUR);
    let dkey = plan.key();
    plan.detection(Detection {
        key: dkey,
        user: u,
        kind: RiskKind::PasswordSpray,
        level: "medium",
        activity: t,
        detected,
        signin: Some((key, key)),
        at: Some(at),
    });
    let end = ctx.end;
    risky_series(ctx, plan, u, detected, end, "medium");
}
