//! The provider mass false positive, shaped like Microsoft's April 2025 "MACE Credential
//! Revocation" event (formats.md §1.2): a service principal appears, then within an hour or
//! so a third of the tenant has its refresh tokens revoked by that app, gets a
//! `leakedCredentials` detection and is blocked by risk-based Conditional Access.
//!
//! A few victims were really compromised a day or more before: a successful sign-in from a
//! new country and device, flagged by a sign-in risk detection. They are in the burst too,
//! which is what makes the case hard.

use super::actions::{COMPROMISED, CONFIRM_SAFE};
use super::{Ctx, desk_flow, primary_auth, refresh_device, risky_series};
use crate::apps::Flow;
use crate::clock::{DAY, HOUR, MILLI, MINUTE, SECOND, Tick};
use crate::noise::next_awake;
use crate::plan::{
    At, AuditKind, Auth, Detection, Disruption, Incident, Initiator, Plan, RiskKind, RiskMark, SignInSpec,
};
use crate::tenant::Provider;
use rand::Rng;

/// The MACE Credential Revocation first-party app id (formats.md §1.1).
pub(crate) const MACE_APP_ID: &str = "7d636ec3-f39c-44f5-8b73-fa28a0e0c5bc";
const MACE_NAME: &str = "MACE Credential Revocation";
/// A made-up first-party app for the variant the engine cannot know by id.
const OTHER_APP_ID: &str = "3c1d9f5e-7a2b-4e8c-b6d4-91f0a2e7c5b3";
const OTHER_NAME: &str = "Microsoft Credential Protection Service";

/// Plans the burst on the day starting at `day_start`.
pub(crate) fn run(ctx: &mut Ctx<'_>, plan: &mut Plan, day_start: Tick) {
    let want = ctx.share(0.30, 8);
    let victims = ctx.take(want);
    if victims.is_empty() {
        return;
    }
    let sp_id = ctx.tenant.object_id(0x3ace);
    // Which way the provider shows up in the audit log is the seed's choice: the engine must
    // find the burst from its shape, not from a known id.
    ctx.tenant.provider = Some(match ctx.rng.gen_range(0..3) {
        0 => Provider { app_id: Some(MACE_APP_ID), sp_app_id: MACE_APP_ID, name: MACE_NAME, sp_id },
        1 => Provider { app_id: None, sp_app_id: MACE_APP_ID, name: MACE_NAME, sp_id },
        _ => Provider { app_id: Some(OTHER_APP_ID), sp_app_id: OTHER_APP_ID, name: OTHER_NAME, sp_id },
    });
    let shift = ctx.rng.gen_range(-60..=150) * MINUTE;
    let burst = day_start + 4 * HOUR + 20 * MINUTE + shift + ctx.rng.gen_range(0..MINUTE);
    let length = ctx.rng.gen_range(30..=90) * MINUTE;
    let sp_created = burst - ctx.rng.gen_range(2 * MINUTE..8 * MINUTE);
    let corr = plan.key();
    plan.audit(sp_created, corr, Initiator::Jit, AuditKind::AddProviderSp);

    let compromised = if victims.len() >= 8 { ((victims.len() as f64 * 0.05).round() as usize).max(1) } else { 0 };
    // Passwordless victims show the block cannot be about a leaked password.
    let passwordless_wanted = (victims.len() as f64 * 0.2).ceil() as usize;
    let mut passwordless = 0;
    for (i, &v) in victims.iter().enumerate() {
        let user = &mut ctx.tenant.users[v as usize];
        if i < compromised {
            user.passwordless = false;
        } else if user.passwordless {
            passwordless += 1;
        }
    }
    for &v in victims.iter().skip(compromised) {
        if passwordless >= passwordless_wanted {
            break;
        }
        let user = &mut ctx.tenant.users[v as usize];
        if !user.passwordless {
            user.passwordless = true;
            passwordless += 1;
        }
    }

    // Front-loaded: most revocations land early in the burst. (u^1.5 via sqrt, which IEEE 754
    // rounds exactly everywhere, unlike powf.)
    let mut times: Vec<Tick> = victims
        .iter()
        .map(|_| {
            let u: f64 = ctx.rng.r#gen();
            burst + (length as f64 * u * u.sqrt()) as Tick + ctx.rng.gen_range(0..SECOND)
        })
        .collect();
    times.sort_unstable();
    for (i, (&v, &t1)) in victims.iter().zip(&times).enumerate() {
        if i < compromised {
            compromise(ctx, plan, v, t1);
        }
        victim(ctx, plan, v, t1);
        if i < compromised {
            plan.label(v, "compromise-indicators", "compromised", COMPROMISED, true);
        } else {
            plan.label(v, "provider-mass-revocation", "false-positive", CONFIRM_SAFE, true);
        }
    }
    plan.incidents.push(Incident { start: times[0], end: times[times.len() - 1], members: victims.len() });
}

/// The revocation, the leaked-credentials detection and the blocks that follow for one user.
fn victim(ctx: &mut Ctx<'_>, plan: &mut Plan, u: u32, t1: Tick) {
    let old = ctx.user(u).tokens_valid_from;
    let corr = plan.key();
    plan.audit(t1, corr, Initiator::Provider, AuditKind::TokenBump { user: u, old });
    let then = t1 + ctx.rng.gen_range(8 * MILLI / 10..12 * MILLI / 10);
    plan.audit(then, corr, Initiator::Provider, AuditKind::UpdateUserTokens { user: u, old });

    let detected = t1 + ctx.rng.gen_range(MINUTE..8 * MINUTE);
    let key = plan.key();
    let activity = t1 - ctx.rng.gen_range(0..30 * SECOND);
    plan.detection(Detection {
        key,
        user: u,
        kind: RiskKind::LeakedCredentials,
        level: "high",
        activity,
        detected,
        signin: None,
        at: None,
    });
    let end = ctx.end;
    risky_series(ctx, plan, u, detected, end, "high");
    plan.disruptions[u as usize] = Disruption::RiskBlocked { from: t1, revoked: true };

    // Apps on the user's usual devices try to refresh and are told the grant was revoked.
    for _ in 0..ctx.rng.gen_range(1..=3) {
        let (d, flow) = refresh_device(&mut ctx.rng, ctx.tenant.user(u));
        let t = t1 + ctx.rng.gen_range(MINUTE..40 * MINUTE);
        plan.signin(SignInSpec::new(t, u, 50173, At::Own(d), flow, Auth::None));
    }
    // Then the person signs in again and risk-based Conditional Access blocks them.
    let user = ctx.user(u);
    let (offset, flow, auth) = (user.home().utc_offset, desk_flow(user), primary_auth(user));
    let t = next_awake(&mut ctx.rng, t1 + 2 * MINUTE, offset);
    let flow = if ctx.rng.gen_bool(0.4) && flow == Flow::WebMail { Flow::TeamsDesktop } else { flow };
    let first = plan.signin(SignInSpec::new(t, u, 53003, At::Own(0), flow, auth).risk(RiskMark::UserHigh));
    let retry = t + ctx.rng.gen_range(20 * SECOND..3 * MINUTE);
    plan.signin(SignInSpec::new(retry, u, 53003, At::Own(0), flow, auth).risk(RiskMark::UserHigh).corr(first));
}

/// A real compromise one to three days before the burst.
fn compromise(ctx: &mut Ctx<'_>, plan: &mut Plan, u: u32, t1: Tick) {
    let kind = if ctx.rng.gen_bool(0.5) { RiskKind::UnfamiliarFeatures } else { RiskKind::AnomalousToken };
    let earliest = ctx.start + 30 * MINUTE;
    let latest = t1 - 3 * HOUR;
    let wanted = t1 - ctx.rng.gen_range(DAY..3 * DAY);
    let tc = if wanted >= earliest { wanted } else { ctx.between(earliest, latest.max(earliest + MINUTE)) };
    let f = ctx.tenant.add_foreign(&mut ctx.rng, &[]);
    let at = At::Foreign(f);
    let spec = match kind {
        // Phished password and MFA: an interactive sign-in from the attacker's browser.
        RiskKind::UnfamiliarFeatures => SignInSpec::new(tc, u, 0, at, Flow::WebMail, Auth::PasswordMfa),
        // A stolen refresh token replayed from elsewhere.
        _ => SignInSpec::new(tc, u, 0, at, Flow::OfficeRefresh, Auth::Refresh),
    };
    let key = plan.signin(spec.risk(RiskMark::Signin(kind)));
    let detected = if kind.realtime() {
        tc + ctx.rng.gen_range(SECOND..20 * SECOND)
    } else {
        tc + ctx.rng.gen_range(20 * MINUTE..4 * HOUR)
    };
    let dkey = plan.key();
    plan.detection(Detection {
        key: dkey,
        user: u,
        kind,
        level: "medium",
        activity: tc,
        detected,
        signin: Some((key, key)),
        at: Some(at),
    });
    let leak_detected_after = t1;
    risky_series(ctx, plan, u, detected, leak_detected_after, "medium");
    // The attacker keeps using the session until the revocation.
    for _ in 0..ctx.rng.gen_range(1..=4) {
        let t = tc + ctx.rng.gen_range(10 * MINUTE..6 * HOUR);
        if t < t1 - 5 * MINUTE {
            plan.signin(SignInSpec::new(t, u, 0, at, Flow::OfficeRefresh, Auth::Refresh));
        }
    }
    if ctx.rng.gen_bool(0.6) {
        let t = tc + ctx.rng.gen_range(3 * MINUTE..30 * MINUTE);
        if t < t1 {
            let corr = plan.key();
            let by = Initiator::User { user: u, at };
            plan.audit(t, corr, by, AuditKind::SecurityInfo { user: u });
        }
    }
}
