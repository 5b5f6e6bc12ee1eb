//! `account-disabled`: sign-ins failed because the account is disabled (50057).
//!
//! **Detects** failed sign-ins classified `disabled`. **Why it matters**: a disabled account is
//! an administrative state, not a lockout; the fix is to find who disabled it and why (see
//! `admin-action`). **Evidence**: the failed sign-ins. **False positives**: none known.
//! **References**: reference/formats.md §5 (50057 UserDisabled; keep apart from 50053).

use super::{Rule, UserCtx, cite};
use crate::event::Failure;
use crate::finding::{Finding, RuleId};

/// See the module documentation.
pub struct AccountDisabled;

impl Rule for AccountDisabled {
    fn id(&self) -> RuleId {
        RuleId::AccountDisabled
    }

    fn evaluate(&self, ctx: &UserCtx<'_>) -> Option<Finding> {
        let hits = ctx.failures(|f| f == Failure::Disabled);
        let (_, first) = hits.first()?;
        let summary = format!("{} sign-ins refused because the account is disabled, from {}", hits.len(), first.time);
        Some(ctx.finding(self.id(), summary, 0.95, hits.iter().map(|(_, e)| cite(e)).collect()))
    }
}
