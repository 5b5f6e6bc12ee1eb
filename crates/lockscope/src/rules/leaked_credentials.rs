//! `leaked-credentials`: Identity Protection reported this user's credentials as leaked, outside
//! any mass event.
//!
//! **Detects** a `leakedCredentials` risk detection for a user who is not a member of a provider
//! mass-revocation incident. **Why it matters**: Microsoft validates found credentials against
//! the user's *current* password hash, so a lone detection means the password itself is out —
//! it must be reset, whatever the sign-in logs show. **Evidence**: the detection(s) and any
//! risk-based blocks. **False positives**: a provider mass event whose other members are missing
//! from the export; the verdict stays `needs-review` so a person looks. **References**:
//! reference/formats.md §4.4 (`leakedCredentials`: offline, user risk, always high).

use super::{Rule, UserCtx, cite};
use crate::event::Kind;
use crate::finding::{Finding, RuleId};
use crate::incident::IncidentKind;

/// See the module documentation.
pub struct LeakedCredentials;

impl Rule for LeakedCredentials {
    fn id(&self) -> RuleId {
        RuleId::LeakedCredentials
    }

    fn evaluate(&self, ctx: &UserCtx<'_>) -> Option<Finding> {
        if ctx.incident(IncidentKind::ProviderMassRevocation).is_some() {
            return None;
        }
        let hits: Vec<_> = ctx
            .iter()
            .filter(|(_, e)| {
                e.kind == Kind::RiskDetection && e.risk.as_ref().is_some_and(|r| r.has_type("leakedCredentials"))
            })
            .collect();
        let (_, first) = hits.first()?;
        let evidence = hits.iter().map(|(_, e)| cite(e)).collect();
        let summary = format!(
            "Identity Protection reported leaked credentials for this user on {}, outside any mass event: the current password is exposed",
            first.time
        );
        Some(ctx.finding(self.id(), summary, 0.8, evidence))
    }
}
