//! `risk-block`: Conditional Access blocked the user's sign-ins because of risk.
//!
//! **Detects** failed sign-ins classified `risk-blocked`: 53003 with a failing block policy whose
//! risk condition was met (or with elevated risk on the sign-in), 53011 (risk on the home
//! tenant), 53004. **Why it matters**: this is what users experienced as the lockout in April
//! 2025; it lasts until the risk is remediated, and no "unlock" command exists.
//! **Evidence**: the blocked sign-ins with the policy names. **False positives**: 53003 from a
//! policy unrelated to risk is `policy-blocked` and not counted. **References**:
//! reference/formats.md §2.1 ("How to detect a risk-based CA block") and §5.

use super::{Rule, UserCtx, cite};
use crate::event::Failure;
use crate::finding::{Finding, RuleId};

/// See the module documentation.
pub struct RiskBlock;

impl Rule for RiskBlock {
    fn id(&self) -> RuleId {
        RuleId::RiskBlock
    }

    fn evaluate(&self, ctx: &UserCtx<'_>) -> Option<Finding> {
        let hits = ctx.failures(|f| f == Failure::RiskBlocked);
        let (_, first) = hits.first()?;
        let mut policies: Vec<String> =
            hits.iter().flat_map(|(_, e)| e.detail.blocking_policies.iter().cloned()).collect();
        policies.sort();
        policies.dedup();
        let by = if policies.is_empty() { String::new() } else { format!(" by {}", policies.join(", ")) };
        let summary = format!("{} sign-ins blocked because of risk{by}, from {}", hits.len(), first.time);
        let evidence = hits.iter().map(|(_, e)| cite(e)).collect();
        Some(ctx.finding(self.id(), summary, 0.9, evidence).with_sources(policies))
    }
}
