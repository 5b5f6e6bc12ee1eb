//! `token-rejected`: refresh tokens or sessions were refused after they were invalidated.
//!
//! **Detects** failed sign-ins classified `token-revoked` (50173, 50133, 50132, 70008, 70000).
//! **Why it matters**: after `StsRefreshTokensValidFrom` moves forward, every client holding an
//! older refresh token fails until the user signs in again; this is the visible effect of a
//! revocation, not a separate problem. **Evidence**: the rejected sign-ins, and the invalidation
//! they follow. **False positives**: inactivity expiry (700082, 70043) is `token-expired` and not
//! counted. **References**: reference/formats.md §3.4, §5 (50173 FreshTokenNeeded).

use super::{Rule, UserCtx, cite};
use crate::event::Failure;
use crate::finding::{Finding, RuleId};

/// See the module documentation.
pub struct TokenRejected;

impl Rule for TokenRejected {
    fn id(&self) -> RuleId {
        RuleId::TokenRejected
    }

    fn evaluate(&self, ctx: &UserCtx<'_>) -> Option<Finding> {
        let hits = ctx.failures(|f| f == Failure::TokenRevoked);
        let (_, first) = hits.first()?;
        let after = ctx.invalidations.iter().filter(|i| i.cutoff() <= first.time).max_by_key(|i| i.time);
        let mut evidence: Vec<_> = hits.iter().map(|(_, e)| cite(e)).collect();
        let (summary, confidence) = match after {
            Some(inv) => {
                evidence.extend(inv.evidence.iter().cloned());
                (format!("{} token refreshes rejected after the invalidation of {}", hits.len(), inv.time), 0.9)
            }
            None => {
                (format!("{} token refreshes rejected as revoked (no invalidation in the data given)", hits.len()), 0.6)
            }
        };
        Some(ctx.finding(self.id(), summary, confidence, evidence))
    }
}
