//! Admin actions: an administrator revokes one user's sessions (their apps then fail 50173
//! until they sign in again) and disables another account (everything fails 50057).

use super::actions::NONE;
use super::{Ctx, desk_flow, primary_auth, refresh_device};
use crate::apps::Flow;
use crate::clock::{MILLI, MINUTE, Tick};
use crate::noise::next_awake;
use crate::plan::{At, AuditKind, Auth, Disruption, Initiator, Plan, SignInSpec};
use rand::Rng;

/// The admin opens the Azure portal shortly before acting.
fn admin_signs_in(ctx: &mut Ctx<'_>, plan: &mut Plan, admin: u32, t: Tick) {
    let login = t - ctx.rng.gen_range(2 * MINUTE..6 * MINUTE);
    plan.signin(SignInSpec::new(login, admin, 0, At::Own(0), Flow::WebPortal, Auth::PasswordMfa));
}

/// Plans a session revocation at `revoke` and an account disable at `disable`.
pub(crate) fn run(ctx: &mut Ctx<'_>, plan: &mut Plan, revoke: Tick, disable: Tick) {
    let Some(&admin) = ctx.tenant.admins.first() else {
        return;
    };
    let by = Initiator::User { user: admin, at: At::Own(0) };
    if let Some(&u) = ctx.take(1).first() {
        admin_signs_in(ctx, plan, admin, revoke);
        let old = ctx.user(u).tokens_valid_from;
        let corr = plan.key();
        plan.audit(revoke, corr, by, AuditKind::TokenBump { user: u, old });
        let then = revoke + ctx.rng.gen_range(8 * MILLI / 10..12 * MILLI / 10);
        plan.audit(then, corr, by, AuditKind::UpdateUserTokens { user: u, old });
        for _ in 0..ctx.rng.gen_range(1..=3) {
            let (d, flow) = refresh_device(&mut ctx.rng, ctx.tenant.user(u));
            let t = revoke + ctx.rng.gen_range(MINUTE..30 * MINUTE);
            plan.signin(SignInSpec::new(t, u, 50173, At::Own(d), flow, Auth::None));
        }
        let user = ctx.user(u);
        let (offset, flow, auth) = (user.home().utc_offset, desk_flow(user), primary_auth(user));
        let back = next_awake(&mut ctx.rng, revoke + 30 * MINUTE, offset);
        plan.signin(SignInSpec::new(back, u, 0, At::Own(0), flow, auth));
        plan.disruptions[u as usize] = Disruption::Revoked { from: revoke, until: back };
        plan.label(u, "admin-action", "benign", NONE, false);
    }
    if let Some(&u) = ctx.take(1).first() {
        admin_signs_in(ctx, plan, admin, disable);
        let corr = plan.key();
        plan.audit(disable, corr, by, AuditKind::DisableAccount { user: u });
        let then = disable + ctx.rng.gen_range(8 * MILLI / 10..12 * MILLI / 10);
        plan.audit(then, corr, by, AuditKind::UpdateUserDisabled { user: u });
        plan.disruptions[u as usize] = Disruption::Disabled { from: disable };
        let (d, flow) = refresh_device(&mut ctx.rng, ctx.tenant.user(u));
        let t = disable + ctx.rng.gen_range(2 * MINUTE..20 * MINUTE);
        plan.signin(SignInSpec::new(t, u, 50057, At::Own(d), flow, Auth::None));
        let user = ctx.user(u);
        let (offset, flow) = (user.home().utc_offset, desk_flow(user));
        let t = next_awake(&mut ctx.rng, disable + 5 * MINUTE, offset);
        plan.signin(SignInSpec::new(t, u, 50057, At::Own(0), flow, Auth::None));
        plan.label(u, "admin-action", "benign", NONE, false);
    }
}
