//! `account-lockout`: an Active Directory (or local Windows) account was locked out, and where
//! the bad passwords came from.
//!
//! **Detects** each lockout (4740) and follows its evidence chain: the caller computer the domain
//! controller named; the bad-password failures that filled the lockout counter (the DC's 4771
//! with the client address and 4776 with the workstation, and the caller's own 4625 with the
//! process and logon type); and what on the caller owns the credential (a service or scheduled
//! task running as the account). It ranks the sources by how many of the counted failures each
//! explains, and reconstructs the counter under the domain policy (threshold, observation window,
//! duration): which attempts tripped the lock and when it unlocks by itself. **Why it matters**:
//! the commercial lockout tools query domain controllers live; from collected logs this is the
//! same answer, with every claim pointing at its record. **Evidence**: the 4740, the counted
//! failures, the services and tasks. **False positives**: a DC without audit of Kerberos or
//! NTLM failures shows no counted attempts; the caller computer alone is then the lead.
//! **References**: reference/formats.md §7.2 (4740 caller computer in `TargetDomainName`).

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::attempts::{Attempt, collapse};
use super::{Rule, UserCtx, cite};
use crate::event::{Event, Failure, Kind};
use crate::finding::{Action, Evidence, Finding, RuleId};

/// See the module documentation.
pub struct AccountLockout;

/// The domain lockout policy used to reconstruct the counter. The default is Windows 11 /
/// Server 2025's: 10 attempts, 10-minute observation window, 10-minute lockout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Policy {
    /// Bad attempts that lock the account.
    pub threshold: usize,
    /// Window in which attempts count (seconds).
    pub window: i64,
    /// How long a lockout lasts (seconds; 0 = until an admin unlocks it).
    pub duration: i64,
}

impl Policy {
    /// pam_faillock's defaults (`faillock.conf`): deny = 3 failures within fail_interval = 900 s,
    /// unlock_time = 600 s.
    pub const FAILLOCK_DEFAULT: Policy = Policy { threshold: 3, window: 900, duration: 600 };
}

impl Default for Policy {
    fn default() -> Self {
        Policy { threshold: 10, window: 600, duration: 600 }
    }
}

/// Whether a failure counts toward the lockout threshold (a wrong password; lockouts themselves
/// and unknown users do not), for a Windows or a Linux lock.
fn counts(e: &Event, windows: bool) -> bool {
    // Tally-file failures repeat what the syslog lines of the same attempts say.
    let from_tally = matches!(e.code.as_deref(), Some("faillock tally" | "tallylog"));
    e.kind.is_auth_attempt()
        && e.failure == Some(Failure::BadPassword)
        && e.detail.event_id.is_some() == windows
        && !from_tally
}

/// Two optional host names name the same machine.
fn same_host_opt(a: Option<&str>, b: Option<&str>) -> bool {
    matches!((a, b), (Some(a), Some(b)) if same_host(a, b))
}

/// A candidate source of the bad passwords.
fn source_of(e: &Event) -> Option<String> {
    match (e.kind, &e.detail.process) {
        // The caller's own record names the process that used the credential.
        (Kind::Logon, Some(p)) => Some(format!("{} ({p})", e.host.as_deref().unwrap_or("?"))),
        _ => e.attempt_source().map(str::to_string),
    }
}

impl Rule for AccountLockout {
    fn id(&self) -> RuleId {
        RuleId::AccountLockout
    }

    fn evaluate(&self, ctx: &UserCtx<'_>) -> Option<Finding> {
        let lockouts: Vec<&Event> = ctx.iter().map(|(_, e)| e).filter(|e| e.kind == Kind::Lockout).collect();
        let last = *lockouts.last()?;
        // A Windows lock (4740) counts attempts across the domain under the domain policy; a
        // Linux lock (pam_faillock, pam_tally2) counts attempts on its own host under the PAM
        // module's policy.
        let windows = last.detail.event_id.is_some();
        let policy = if windows { ctx.settings.lockout } else { ctx.settings.faillock };
        let mut evidence: Vec<Evidence> = lockouts.iter().map(|e| cite(e)).collect();
        let on_lock_host = |e: &Event| windows || same_host_opt(e.host.as_deref(), last.host.as_deref());
        let attempts =
            collapse(ctx.iter().map(|(_, e)| e).filter(|e| counts(e, windows) && on_lock_host(e)).collect(), source_of);
        // Attempts refused because the account was already locked: the source kept going.
        let refused = ctx
            .iter()
            .map(|(_, e)| e)
            .filter(|e| e.kind.is_auth_attempt() && e.failure == Some(Failure::Locked) && on_lock_host(e))
            .count();
        let mut ranked: BTreeMap<String, usize> = BTreeMap::new();
        let mut tripped = 0;
        let mut trip_window: Option<(i64, i64)> = None;
        for lock in &lockouts {
            let t = lock.time.as_second();
            // The attempts in the observation window before the lock are what filled the counter.
            // Active Directory resets the counter only after a full window with no bad password,
            // so the attempts that count are the run leading up to the lock.
            let counted: Vec<&Attempt<'_>> = run_before(&attempts, t + 5, policy.window);
            tripped += counted.len().min(policy.threshold);
            // The last `threshold` attempts before the lock are the ones that tripped it.
            let trip = &counted[counted.len().saturating_sub(policy.threshold)..];
            if let (Some(first), Some(last)) = (trip.first(), trip.last()) {
                trip_window = Some((first.time, last.time));
            }
            for a in &counted {
                if let Some(s) = &a.source {
                    *ranked.entry(s.clone()).or_default() += 1;
                }
                evidence.extend(a.records.iter().map(|e| cite(e)));
            }
            if let Some(caller) = lock.detail.workstation.as_ref().filter(|c| !c.is_empty())
                && !ranked.keys().any(|k| same_host(k.split(' ').next().unwrap_or(k), caller))
            {
                ranked.entry(caller.clone()).or_default();
            }
        }
        // What on the caller runs as this account: services and tasks are the usual owners of a
        // stale stored password.
        let callers: Vec<String> = lockouts.iter().filter_map(|l| l.detail.workstation.clone()).collect();
        let owners: Vec<&Event> = ctx
            .iter()
            .map(|(_, e)| e)
            .filter(|e| matches!(e.kind, Kind::ServiceInstalled | Kind::TaskScheduled))
            .filter(|e| e.host.as_ref().is_some_and(|h| callers.iter().any(|c| same_host(c, h))))
            .collect();
        evidence.extend(owners.iter().map(|e| cite(e)));
        let mut order: Vec<(String, usize)> = ranked.into_iter().collect();
        order.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let lead = order
            .first()
            .map(|(s, n)| format!("{s} ({n} counted failures)"))
            .unwrap_or_else(|| "not in the data".into());
        let owned = owners
            .iter()
            .map(|e| format!("{} `{}`", e.kind, e.detail.target.as_deref().unwrap_or("?")))
            .collect::<Vec<_>>();
        let unlock = unlock_at(last.time, policy, ctx);
        let near = near_misses(&attempts, &lockouts, policy);
        let tripped_by = match trip_window
            .and_then(|(a, b)| Some((Timestamp::from_second(a).ok()?, Timestamp::from_second(b).ok()?)))
        {
            Some((a, b)) => format!(" (the attempts from {a} to {b} tripped the last lock)"),
            None => String::new(),
        };
        let summary = format!(
            "locked out {} time(s), last at {}; most likely source: {lead}{}; {tripped} bad passwords counted under a threshold of {} (counter reset after {} min without one){tripped_by}{near}{}; {}",
            lockouts.len(),
            last.time,
            if owned.is_empty() {
                String::new()
            } else {
                format!(", where {} run(s) as this account", owned.join(", "))
            },
            policy.threshold,
            policy.window / 60,
            if refused > 0 { format!("; {refused} more attempts were refused while locked") } else { String::new() },
            unlock
        );
        let sources = order.into_iter().map(|(s, _)| s).collect();
        let confidence = if tripped > 0 { 0.9 } else { 0.6 };
        // The lock is over when an admin unlocked it, the account signed in again afterwards, or
        // its duration passed with no refusal after it.
        let lock_t = last.time.as_second();
        let signed_in = ctx.iter().any(|(_, e)| {
            e.kind.is_auth_attempt()
                && e.outcome == crate::event::Outcome::Success
                && e.time > last.time
                && on_lock_host(e)
        });
        let expired = policy.duration > 0 && {
            let end = lock_t + policy.duration;
            let seen_after = ctx.iter().any(|(_, e)| e.time.as_second() > end);
            let refused_after = ctx.iter().any(|(_, e)| e.failure == Some(Failure::Locked) && e.time.as_second() > end);
            seen_after && !refused_after
        };
        let still_locked = !unlock.starts_with("unlocked by") && !signed_in && !expired;
        let remedy = if windows { Action::UnlockAd } else { Action::ResetFaillock };
        let finding = ctx.finding(self.id(), summary, confidence, evidence).with_ranked_sources(sources);
        Some(if still_locked { finding.with_remedies(vec![remedy]) } else { finding })
    }
}

/// Windows with `threshold - 1` or `threshold - 2` counted attempts that did not end in a lock:
/// the account came close, and the next burst from the same source will lock it.
fn near_misses(attempts: &[Attempt<'_>], lockouts: &[&Event], policy: Policy) -> String {
    if policy.threshold < 3 {
        return String::new();
    }
    let locked_at: Vec<i64> = lockouts.iter().map(|l| l.time.as_second()).collect();
    let misses = runs(attempts, policy.window)
        .into_iter()
        .filter(|run| {
            let (first, last) = (run[0].time, run[run.len() - 1].time);
            let locked = locked_at.iter().any(|&l| (first..=last + policy.window).contains(&l));
            !locked && run.len() + 2 >= policy.threshold && run.len() < policy.threshold
        })
        .count();
    match misses {
        0 => String::new(),
        n => format!("; {n} near miss(es) that stopped just under the threshold"),
    }
}

/// Splits attempts into runs that share one lockout counter: a gap longer than the observation
/// window resets it.
fn runs<'s, 'a>(attempts: &'s [Attempt<'a>], window: i64) -> Vec<&'s [Attempt<'a>]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=attempts.len() {
        if i == attempts.len() || attempts[i].time - attempts[i - 1].time > window {
            if start < i {
                out.push(&attempts[start..i]);
            }
            start = i;
        }
    }
    out
}

/// The attempts of the counter run that was open at `until`.
fn run_before<'s, 'a>(attempts: &'s [Attempt<'a>], until: i64, window: i64) -> Vec<&'s Attempt<'a>> {
    let upto: Vec<&Attempt<'a>> = attempts.iter().filter(|a| a.time <= until).collect();
    let mut start = upto.len();
    while start > 0 {
        let gap_after =
            if start == upto.len() { until - upto[start - 1].time } else { upto[start].time - upto[start - 1].time };
        if gap_after > window && start == upto.len() {
            // The last attempt is older than a window: nothing was counting any more.
            return Vec::new();
        }
        if start < upto.len() && gap_after > window {
            break;
        }
        start -= 1;
    }
    upto[start..].to_vec()
}

/// Host names compare without domain suffix and case (`WS01` and `ws01.contoso.com`).
fn same_host(a: &str, b: &str) -> bool {
    let short = |s: &str| s.split('.').next().unwrap_or(s).trim_end_matches('$').to_ascii_lowercase();
    short(a) == short(b)
}

/// When the account unlocks: an admin's unlock (4767) after the lock, else the policy's duration.
fn unlock_at(locked: Timestamp, policy: Policy, ctx: &UserCtx<'_>) -> String {
    let admin = ctx.iter().map(|(_, e)| e).find(|e| e.kind == Kind::AccountUnlocked && e.time >= locked);
    match (admin, policy.duration) {
        (Some(u), _) => format!("unlocked by an administrator at {}", u.time),
        (None, 0) => "stays locked until an administrator unlocks it".into(),
        (None, d) => match locked.checked_add(jiff::SignedDuration::from_secs(d)) {
            Ok(t) => format!("unlocks by itself at {t} unless the source keeps failing"),
            Err(_) => "unlocks by itself after the lockout duration".into(),
        },
    }
}
