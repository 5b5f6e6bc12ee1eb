//! `password-spray`: the user was one of many targets of the same sources.
//!
//! **Detects** membership in a password-spray incident (`incident::spray`: one or more sources,
//! many users, few attempts each, no successes that would mark a typo). A success from a spray
//! source after the attempts means the spray worked. **Why it matters**: per user a spray looks
//! like a typo or two; only the cross-user view shows the attack, and the fix is at the source
//! (block it) and for any account it broke into. **Evidence**: the user's attempts from the
//! sources and any success from them. **False positives**: a shared egress IP where many users
//! fail at once (a wrong password pushed by a device-management profile). **References**:
//! MITRE ATT&CK T1110.003.

use super::{Rule, UserCtx, cite};
use crate::event::{Event, Outcome};
use crate::finding::{Finding, RuleId};
use crate::incident::IncidentKind;
use crate::incident::spray::is_spray_attempt;

/// See the module documentation.
pub struct PasswordSpray;

impl Rule for PasswordSpray {
    fn id(&self) -> RuleId {
        RuleId::PasswordSpray
    }

    fn evaluate(&self, ctx: &UserCtx<'_>) -> Option<Finding> {
        let inc = ctx.incident(IncidentKind::PasswordSpray)?;
        let from_source = |e: &Event| e.attempt_source().is_some_and(|s| inc.sources.iter().any(|x| x == s));
        let attempts: Vec<_> = ctx.iter().filter(|(_, e)| is_spray_attempt(e) && from_source(e)).collect();
        let first = attempts.first().map(|(_, e)| e.time)?;
        let breaches: Vec<_> = ctx
            .iter()
            .filter(|(_, e)| {
                e.kind.is_auth_attempt() && e.outcome == Outcome::Success && from_source(e) && e.time >= first
            })
            .collect();
        let mut evidence: Vec<_> = attempts.iter().map(|(_, e)| cite(e)).collect();
        evidence.extend(breaches.iter().map(|(_, e)| cite(e)));
        let summary = if breaches.is_empty() {
            format!(
                "{} failed attempts from a spray against {} users ({}); no success from its sources",
                attempts.len(),
                inc.members.len(),
                inc.id
            )
        } else {
            format!(
                "targeted by a spray against {} users ({}) and signed in successfully from a spray source afterwards",
                inc.members.len(),
                inc.id
            )
        };
        let finding = ctx.finding(self.id(), summary, inc.confidence, evidence).with_sources(inc.sources.clone());
        Some(if breaches.is_empty() { finding } else { finding.compromising() })
    }
}
