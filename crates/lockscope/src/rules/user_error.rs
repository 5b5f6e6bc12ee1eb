//! `user-error`: the user mistyped the password a few times, then got in.
//!
//! **Detects** a short burst (within 30 minutes) of at least three credential failures from a
//! client the user normally uses, followed within two hours by a success from the same IP or
//! device, with no password change just before. **Why it matters**: it explains a short lockout
//! that needs no action, so people stop chasing it. **Evidence**: the failures and the success.
//! **False positives**: an attacker on the user's own network who guessed right — the
//! compromise rule looks at the same success. **References**: SPEC "user error".

use super::{Rule, UserCtx, cite, secs};
use crate::event::{Event, Failure, Outcome};
use crate::finding::{Finding, RuleId};

/// See the module documentation.
pub struct UserError;

const BURST_SECS: i64 = 1800;
const RECOVERY_SECS: i64 = 7200;
const MIN_FAILURES: usize = 3;

fn same_client(a: &Event, b: &Event) -> bool {
    let dev = |e: &Event| e.device.as_ref().and_then(|d| d.key());
    (a.attempt_source().is_some() && a.attempt_source() == b.attempt_source()) || (dev(a).is_some() && dev(a) == dev(b))
}

impl Rule for UserError {
    fn id(&self) -> RuleId {
        RuleId::UserError
    }

    fn evaluate(&self, ctx: &UserCtx<'_>) -> Option<Finding> {
        let fails = ctx.failures(|f| matches!(f, Failure::BadPassword | Failure::Locked));
        let changes: Vec<i64> = ctx.invalidations.iter().map(|i| i.time.as_second()).collect();
        let mut start = 0;
        while start < fails.len() {
            let first = fails[start].1;
            let burst: Vec<&Event> = fails[start..]
                .iter()
                .map(|(_, e)| *e)
                .take_while(|e| secs(first, e) <= BURST_SECS && same_client(first, e))
                .collect();
            // A failure with no source and no device matches nothing, not even itself.
            let Some(&last) = burst.last() else {
                start += 1;
                continue;
            };
            let familiar = ctx.baseline.is_familiar(first);
            let after_change = changes.iter().any(|&c| (0..=86_400).contains(&(first.time.as_second() - c)));
            let locked = burst.iter().any(|e| e.failure == Some(Failure::Locked));
            if (burst.len() >= MIN_FAILURES || locked) && familiar && !after_change {
                let success = ctx.iter().map(|(_, e)| e).find(|e| {
                    e.kind.is_auth_attempt()
                        && e.outcome == Outcome::Success
                        && e.time > last.time
                        && secs(last, e) <= RECOVERY_SECS
                        && same_client(first, e)
                });
                if let Some(ok) = success {
                    let mut evidence: Vec<_> = burst.iter().map(|e| cite(e)).collect();
                    evidence.push(cite(ok));
                    let summary = format!(
                        "{} failed attempts from the user's usual client at {}{}, then a successful sign-in from it {} minutes later",
                        burst.len(),
                        first.time,
                        if locked { " (locked out)" } else { "" },
                        secs(last, ok) / 60
                    );
                    let sources = first.ip.iter().cloned().collect();
                    return Some(ctx.finding(self.id(), summary, 0.8, evidence).with_sources(sources));
                }
            }
            start += burst.len();
        }
        None
    }
}
