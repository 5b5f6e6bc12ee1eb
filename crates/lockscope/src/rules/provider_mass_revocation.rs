//! `provider-mass-revocation`: the user is one of many whose tokens the identity provider
//! invalidated at once.
//!
//! **Detects** membership in a provider mass-revocation incident (see `incident::mass_revocation`
//! for the signature: one first-party initiator, the same audit activity on many users in a short
//! window, a service principal created just before, `leakedCredentials` detections following).
//! **Why it matters**: in April 2025 Microsoft's MACE Credential Revocation app flagged thousands
//! of users whose credentials were never leaked; risk-based Conditional Access locked them out
//! and admins reset passwords one by one. These users need `confirmSafe`, not a reset.
//! **Evidence**: the user's token-invalidation rows, the leaked-credentials detection, and the
//! blocks that followed. **False positives**: a real compromise inside the burst looks the same
//! from the burst alone — `compromise-indicators` runs on every member and overrides the verdict.
//! **References**: reference/formats.md §1; Office 365 for IT Pros on MACE Credential Revocation.

use super::{Rule, UserCtx, cite};
use crate::event::{Failure, Kind};
use crate::finding::{Finding, RuleId};
use crate::incident::IncidentKind;

/// See the module documentation.
pub struct ProviderMassRevocation;

impl Rule for ProviderMassRevocation {
    fn id(&self) -> RuleId {
        RuleId::ProviderMassRevocation
    }

    fn evaluate(&self, ctx: &UserCtx<'_>) -> Option<Finding> {
        let inc = ctx.incident(IncidentKind::ProviderMassRevocation)?;
        let lo = inc.window.start.as_second() - 6 * 3600;
        let hi = inc.window.end.as_second() + 3 * 86_400;
        let mut evidence: Vec<_> = ctx
            .invalidations
            .iter()
            .filter(|i| i.incident.as_deref() == Some(inc.id.as_str()))
            .flat_map(|i| i.evidence.iter().cloned())
            .collect();
        let related = ctx.iter().filter(|(_, e)| (lo..=hi).contains(&e.time.as_second())).filter(|(_, e)| {
            (e.kind == Kind::RiskDetection && e.risk.as_ref().is_some_and(|r| r.has_type("leakedCredentials")))
                || matches!(e.failure, Some(Failure::RiskBlocked | Failure::TokenRevoked))
        });
        evidence.extend(related.map(|(_, e)| cite(e)));
        let who = inc.initiator.as_ref().and_then(|a| a.name.clone()).unwrap_or_else(|| "the identity provider".into());
        let summary = format!(
            "one of {} users whose tokens were invalidated by {who} in a mass event ({}): a provider-side false positive, not a leak of this user's credentials",
            inc.members.len(),
            inc.id
        );
        Some(ctx.finding(self.id(), summary, inc.confidence, evidence).with_sources(vec![who]))
    }
}
