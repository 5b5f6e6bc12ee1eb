//! `stale-credential`: a device or app keeps trying an old password.
//!
//! **Detects**, per client (device id, else device name, else app and IP; on Windows the source
//! host and process), repeated credential failures that start after the user's password changed
//! or was reset and repeat at a machine's rhythm — regular gaps of a minute or more (a mail app
//! polling, a service retrying, a task on its schedule); or, with no change in the data, at least
//! eight such failures from a client the user really uses (or a Windows host) with no success
//! from it in between. Guessing tools are regular too but far faster; people are irregular. **Why it matters**: it is the most common cause of
//! recurring lockouts and the fix is on the device, not the account. **Evidence**: the credential
//! change and the failures. **False positives**: a user retrying by hand at regular intervals.
//! **References**: SPEC "stale credential on a host or device"; reference/formats.md §1.3.

use std::collections::BTreeMap;

use super::{Rule, UserCtx, cite, describe};
use crate::event::{Event, Failure, Kind, Outcome};
use crate::finding::{Finding, RuleId};
use crate::invalidation::InvalidationKind;

/// See the module documentation.
pub struct StaleCredential;

/// Failures after a change that make a pattern.
const MIN_AFTER_CHANGE: usize = 5;
/// Failures without a change in the data that make a pattern.
const MIN_WITHOUT_CHANGE: usize = 8;

/// The client a failure came from.
fn client(e: &Event) -> Option<String> {
    if let Some(k) = e.device.as_ref().and_then(|d| d.id.clone().or_else(|| d.name.clone())) {
        return Some(format!("device {k}"));
    }
    if e.detail.event_id.is_some() {
        // Windows: the source machine (and the process, when the host logged it).
        let from = e.attempt_source()?;
        return Some(match &e.detail.process {
            Some(p) => format!("{p} on {from}"),
            None => format!("host {from}"),
        });
    }
    let app = e.app.as_ref().and_then(|a| a.name.clone().or_else(|| a.id.clone()));
    match (app, &e.ip) {
        (None, None) => None,
        (app, ip) => Some(format!("{} at {}", app.unwrap_or_else(|| "client".into()), ip.as_deref().unwrap_or("?"))),
    }
}

/// Whether failures come at a machine's rhythm: regular gaps (coefficient of variation under
/// 0.6) of a minute or more (services retry, mail apps poll). Guessing tools are as regular but
/// much faster, and people are irregular.
pub(crate) fn machine_rhythm(times: &[i64]) -> bool {
    let mut gaps: Vec<i64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    gaps.sort_unstable();
    let median = gaps.get(gaps.len() / 2).copied().unwrap_or(0);
    // 55 s rather than 60: a task "every minute" jitters around it.
    irregularity(times) < 0.6 && median >= 55
}

/// Coefficient of variation of the gaps: low means a machine-like rhythm.
fn irregularity(times: &[i64]) -> f64 {
    let gaps: Vec<f64> = times.windows(2).map(|w| (w[1] - w[0]) as f64).collect();
    if gaps.len() < 2 {
        return f64::INFINITY;
    }
    let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
    if mean <= 0.0 {
        return f64::INFINITY;
    }
    let var = gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / gaps.len() as f64;
    var.sqrt() / mean
}

impl Rule for StaleCredential {
    fn id(&self) -> RuleId {
        RuleId::StaleCredential
    }

    fn evaluate(&self, ctx: &UserCtx<'_>) -> Option<Finding> {
        let change = ctx
            .invalidations
            .iter()
            .filter(|i| matches!(i.kind, InvalidationKind::PasswordChange | InvalidationKind::PasswordReset))
            .map(|i| (i.time, i.evidence.clone()))
            .chain(
                ctx.iter()
                    .filter(|(_, e)| matches!(e.kind, Kind::PasswordChange | Kind::PasswordReset))
                    .map(|(_, e)| (e.time, vec![cite(e)])),
            )
            .min_by_key(|(t, _)| *t);
        let since = change.as_ref().map(|(t, _)| *t);
        let mut per_client: BTreeMap<String, Vec<&Event>> = BTreeMap::new();
        for (_, e) in ctx.failures(|f| matches!(f, Failure::BadPassword | Failure::Locked)) {
            if since.is_some_and(|t| e.time < t) {
                continue;
            }
            if let Some(c) = client(e) {
                per_client.entry(c).or_default().push(e);
            }
        }
        let min = if since.is_some() { MIN_AFTER_CHANGE } else { MIN_WITHOUT_CHANGE };
        let (name, fails) = per_client.into_iter().find(|(c, fails)| {
            // Retries refused because the account is locked keep the rhythm going through the
            // lockout; leaving them out would punch a hole in it.
            let bad: Vec<i64> = fails.iter().map(|e| e.time.as_second()).collect();
            // A machine retrying on a schedule, not a person or a guessing tool: see `machine_rhythm`.
            let rhythm = machine_rhythm(&bad);
            let span = bad.last().zip(bad.first()).map_or(0, |(l, f)| l - f);
            // After a change the rhythm is enough; without one, the client must be one the user
            // really uses (an Entra device or IP), or a Windows host/process.
            let known =
                since.is_some() || fails.iter().any(|e| ctx.baseline.is_familiar(e) || e.detail.event_id.is_some());
            let recovered = since.is_none() && succeeded_between(ctx, c, fails);
            let min_span = if since.is_some() { 600 } else { 1800 };
            bad.len() >= min && span >= min_span && rhythm && known && !recovered
        })?;
        let mut evidence: Vec<_> = fails.iter().map(|e| cite(e)).collect();
        let (summary, confidence) = match change {
            Some((t, ev)) => {
                evidence.extend(ev);
                (
                    format!(
                        "{name} keeps failing with the old password after the password change of {t}: {} failures at a regular interval ({})",
                        fails.len(),
                        describe(fails[0])
                    ),
                    0.85,
                )
            }
            None => (
                format!(
                    "{name} fails {} times at a regular interval: a stored password is out of date ({})",
                    fails.len(),
                    describe(fails[0])
                ),
                0.6,
            ),
        };
        Some(ctx.finding(self.id(), summary, confidence, evidence).with_sources(vec![name]))
    }
}

/// Whether the same client signed in successfully between its first and last failure.
fn succeeded_between(ctx: &UserCtx<'_>, name: &str, fails: &[&Event]) -> bool {
    let (Some(first), Some(last)) = (fails.first(), fails.last()) else { return false };
    ctx.iter().any(|(_, e)| {
        e.outcome == Outcome::Success && e.time > first.time && e.time < last.time && client(e).as_deref() == Some(name)
    })
}
