//! `admin-action`: an administrator (or the customer's own automation) revoked the user's
//! sessions, reset the password or disabled the account.
//!
//! **Detects** token invalidations and account changes initiated by someone other than the user
//! and other than the identity provider, and membership in a bulk revocation by one admin or
//! app. **Why it matters**: the sign-in failures that follow are expected and need no fix; the
//! question is only whether the action was intended. **Evidence**: the audit rows (with the
//! initiator) and the failures that followed. **False positives**: an attacker with admin rights
//! — the initiator is always shown. **References**: reference/formats.md §1.3 (Sample A:
//! `Update user` + `Update StsRefreshTokenValidFrom Timestamp`, same correlationId).

use super::{Rule, UserCtx, cite};
use crate::event::{Failure, Kind};
use crate::finding::{Finding, RuleId};
use crate::incident::mass_revocation::describe as describe_actor;
use crate::invalidation::InvalidationKind;

/// See the module documentation.
pub struct AdminAction;

impl Rule for AdminAction {
    fn id(&self) -> RuleId {
        RuleId::AdminAction
    }

    fn evaluate(&self, ctx: &UserCtx<'_>) -> Option<Finding> {
        let names = ctx.names();
        let actions: Vec<_> = ctx
            .invalidations
            .iter()
            .filter(|i| i.kind != InvalidationKind::ProviderRevocation && i.by_other(&names))
            .filter(|i| !i.initiator.as_ref().is_some_and(crate::invalidation::is_sync))
            .collect();
        let first = actions.first()?;
        let mut evidence: Vec<_> = actions.iter().flat_map(|i| i.evidence.iter().cloned()).collect();
        evidence.extend(
            ctx.failures(|f| matches!(f, Failure::TokenRevoked | Failure::Disabled))
                .into_iter()
                .filter(|(_, e)| e.time >= first.time)
                .map(|(_, e)| cite(e)),
        );
        evidence.extend(ctx.iter().filter(|(_, e)| e.kind == Kind::AccountDisabled).map(|(_, e)| cite(e)));
        let who: Vec<String> = actions.iter().filter_map(|i| i.initiator.as_ref().map(describe_actor)).collect();
        let what: Vec<&str> = actions
            .iter()
            .map(|i| match i.kind {
                InvalidationKind::PasswordReset => "reset the password",
                InvalidationKind::AccountDisabled => "disabled the account",
                InvalidationKind::PasswordChange => "changed the password",
                _ => "revoked the sessions",
            })
            .collect();
        let summary = format!(
            "{} {} at {}; the failures that follow are expected",
            who.first().map_or("an administrator", String::as_str),
            what[0],
            first.time
        );
        Some(ctx.finding(self.id(), summary, 0.9, evidence).with_sources(who))
    }
}
