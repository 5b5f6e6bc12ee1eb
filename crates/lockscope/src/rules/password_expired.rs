//! `password-expired`: sign-ins failed because the password expired (50055, 50144).
//!
//! **Detects** failed sign-ins classified `password-expired`. **Why it matters**: users read it
//! as a lockout; the fix is a password change by the user, not an admin action.
//! **Evidence**: the failed sign-ins. **False positives**: none known. **References**:
//! reference/formats.md §5 (50055, 50144 for the on-premises password of hybrid users).

use super::{Rule, UserCtx, cite};
use crate::event::Failure;
use crate::finding::{Finding, RuleId};

/// See the module documentation.
pub struct PasswordExpired;

impl Rule for PasswordExpired {
    fn id(&self) -> RuleId {
        RuleId::PasswordExpired
    }

    fn evaluate(&self, ctx: &UserCtx<'_>) -> Option<Finding> {
        let hits = ctx.failures(|f| f == Failure::PasswordExpired);
        let (_, first) = hits.first()?;
        let summary = format!("{} sign-ins refused because the password expired, from {}", hits.len(), first.time);
        Some(ctx.finding(self.id(), summary, 0.95, hits.iter().map(|(_, e)| cite(e)).collect()))
    }
}
