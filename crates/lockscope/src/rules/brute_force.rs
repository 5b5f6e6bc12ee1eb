//! `brute-force`: many password guesses against this user from one source.
//!
//! **Detects** at least ten failed credential guesses from one source within an hour (or five
//! within a minute: faster than anyone types), one attempt logged by host and DC counting once,
//! from a
//! source the user does not normally sign in from, that are not the slow regular rhythm of a
//! device or service with an old password (see `stale_credential::machine_rhythm`). A later success from that IP means the guessing worked. **Why it matters**: it is
//! the classic cause of a lockout and the source must be blocked. **Evidence**: the attempts and
//! any success from the source. **False positives**: a misconfigured script on an unfamiliar
//! network. **References**: MITRE ATT&CK T1110.001.

use std::collections::BTreeMap;

use super::attempts::collapse;
use super::stale_credential::machine_rhythm;
use super::{Rule, UserCtx, cite};
use crate::event::{Event, Outcome};
use crate::finding::{Finding, RuleId};
use crate::incident::spray::is_guess;

/// See the module documentation.
pub struct BruteForce;

/// Guesses within [`WINDOW_SECS`] that make a brute force.
const MIN_ATTEMPTS: usize = 10;
const WINDOW_SECS: i64 = 3600;
/// Or this many within [`FAST_SECS`]: faster than anyone types a password.
const MIN_FAST: usize = 5;
const FAST_SECS: i64 = 60;

impl Rule for BruteForce {
    fn id(&self) -> RuleId {
        RuleId::BruteForce
    }

    fn evaluate(&self, ctx: &UserCtx<'_>) -> Option<Finding> {
        let mut by_ip: BTreeMap<&str, Vec<&Event>> = BTreeMap::new();
        for (_, e) in ctx.iter() {
            if let (true, Some(ip)) = (is_guess(e), e.attempt_source()) {
                by_ip.entry(ip).or_default().push(e);
            }
        }
        let mut heavy: Vec<(&str, Vec<&Event>)> = by_ip
            .into_iter()
            .filter(|(_, a)| {
                // One attempt logged by the host and the DC counts once.
                let times: Vec<i64> = collapse(a.clone(), |_| None).iter().map(|x| x.time).collect();
                let dense = densest(&times, WINDOW_SECS) >= MIN_ATTEMPTS || densest(&times, FAST_SECS) >= MIN_FAST;
                dense && !a.iter().all(|e| ctx.baseline.is_familiar(e)) && !machine_rhythm(&times)
            })
            .collect();
        // Several sources may hammer one account; the one with the most attempts leads.
        heavy.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(b.0)));
        let others: Vec<String> = heavy.iter().skip(1).map(|(s, _)| s.to_string()).collect();
        let (ip, attempts) = heavy.into_iter().next()?;
        let first = attempts[0].time;
        let tries = collapse(attempts.clone(), |_| None).len();
        // A Windows logon with no remote side was typed on (or relayed by a service of) the host.
        let local = if attempts.iter().all(|e| e.ip.is_none() && e.detail.event_id.is_some()) {
            " (logged locally: no source IP in the records)"
        } else {
            ""
        };
        let breaches: Vec<_> = ctx
            .iter()
            .filter(|(_, e)| {
                e.kind.is_auth_attempt()
                    && e.outcome == Outcome::Success
                    && e.attempt_source() == Some(ip)
                    && e.time >= first
            })
            .collect();
        let mut evidence: Vec<_> = attempts.iter().map(|e| cite(e)).collect();
        evidence.extend(breaches.iter().map(|(_, e)| cite(e)));
        let also = match others.len() {
            0 => String::new(),
            n => format!(" ({n} more source(s) also hammered this account)"),
        };
        let summary = if breaches.is_empty() {
            format!("{tries} failed password attempts from {ip}{local} starting {first}{also}; no success from it")
        } else {
            format!(
                "{} failed password attempts from {ip} starting {first}, then a successful sign-in from the same IP",
                tries
            )
        };
        let mut sources = vec![ip.to_string()];
        sources.extend(others);
        let finding = ctx.finding(self.id(), summary, 0.85, evidence).with_ranked_sources(sources);
        Some(if breaches.is_empty() { finding } else { finding.compromising() })
    }
}

/// The most attempts inside any window of `window` seconds (times ascending).
fn densest(times: &[i64], window: i64) -> usize {
    let mut best = 0;
    let mut lo = 0;
    for hi in 0..times.len() {
        while times[hi] - times[lo] > window {
            lo += 1;
        }
        best = best.max(hi - lo + 1);
    }
    best
}
