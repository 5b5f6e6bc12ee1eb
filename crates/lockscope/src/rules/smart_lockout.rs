//! `smart-lockout`: Entra smart lockout locked the account (50053).
//!
//! **Detects** failed sign-ins classified `locked`. **Why it matters**: it is the cloud lockout
//! users report; it clears by itself after the lockout period (there is no admin unlock command
//! for it), so the question is always what caused the failed attempts. **Evidence**: the
//! locked sign-ins. **False positives**: 50053 is also returned for sign-ins from IPs with
//! malicious activity. **References**: reference/formats.md §5 (IdsLocked).

use super::{Rule, UserCtx, cite};
use crate::event::Failure;
use crate::finding::{Finding, RuleId};

/// See the module documentation.
pub struct SmartLockout;

impl Rule for SmartLockout {
    fn id(&self) -> RuleId {
        RuleId::SmartLockout
    }

    fn evaluate(&self, ctx: &UserCtx<'_>) -> Option<Finding> {
        // Smart lockout is Entra's: Windows and Linux refusals of a locked account belong to the
        // `account-lockout` finding of their lock.
        let hits: Vec<_> =
            ctx.failures(|f| f == Failure::Locked).into_iter().filter(|(_, e)| e.kind.is_user_sign_in()).collect();
        let (_, first) = hits.first()?;
        let mut sources: Vec<String> = hits.iter().filter_map(|(_, e)| e.ip.clone()).collect();
        sources.sort();
        sources.dedup();
        let summary = format!("account locked by smart lockout {} times, first at {}", hits.len(), first.time);
        let evidence = hits.iter().map(|(_, e)| cite(e)).collect();
        Some(ctx.finding(self.id(), summary, 0.9, evidence).with_sources(sources))
    }
}
