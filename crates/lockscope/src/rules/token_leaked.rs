//! `token-leaked`: a token of this user was written into a log, and whether it still works.
//!
//! **Detects** [`Kind::TokenLeaked`] events: JWTs (access, ID, PRT cookies) found in the inputs by
//! the secret scanner, owned through their `upn`/`oid` claims. **Why it matters**: whoever reads
//! the log can replay a live token — exactly how the April 2025 incident began, with tokens in a
//! provider's logs. **Evidence**: each place the token was found (file and line, never the
//! value: a fingerprint), the sign-in that issued it (the token's `uti` is the base64url form of
//! the sign-in's request id), and the revocation that killed it. **Status**: a token issued before
//! the user's `StsRefreshTokensValidFrom` cut-off is already dead; one whose `exp` is past by the
//! end of the logs has expired; otherwise it must be treated as live and the sessions revoked.
//! **False positives**: test tokens with real-looking claims; the fingerprint lets an analyst
//! allowlist them. **References**: reference/formats.md §9.2–9.3.

use jiff::Timestamp;

use super::{Rule, UserCtx, cite};
use crate::event::{Event, Kind};
use crate::finding::{Action, Finding, RuleId};
use crate::invalidation::InvalidationKind;

/// See the module documentation.
pub struct TokenLeaked;

/// What became of one leaked token by the end of the logs.
enum Status {
    /// Issued before a revocation cut-off (its kind and time), and not usable after the logs end.
    Revoked(&'static str, Timestamp),
    /// Past its `exp`.
    Expired(Timestamp),
    /// Neither: still usable as far as the logs tell. A revocation it predates is noted: it ends
    /// the refresh tokens, while an access token stays valid until `exp` wherever Continuous
    /// Access Evaluation is not enforced.
    Live(Option<Timestamp>, Option<(&'static str, Timestamp)>),
}

impl Rule for TokenLeaked {
    fn id(&self) -> RuleId {
        RuleId::TokenLeaked
    }

    fn evaluate(&self, ctx: &UserCtx<'_>) -> Option<Finding> {
        let leaks: Vec<&Event> = ctx.iter().map(|(_, e)| e).filter(|e| e.kind == Kind::TokenLeaked).collect();
        let first = leaks.first()?;
        // The end of the logs stands for "now", so the verdict does not depend on when it runs.
        // Leaked tokens do not count: a token's claimed `iat` is not a logged event.
        let end = ctx.events.iter().rev().find(|e| e.kind != Kind::TokenLeaked).map_or(first.time, |e| e.time);
        let mut evidence = Vec::new();
        // One token written in several places is one token: counted once, cited everywhere.
        let mut seen: Vec<&str> = Vec::new();
        let (mut live, mut revoked, mut expired) = (0, 0, 0);
        let mut live_until: Option<Timestamp> = None;
        for leak in &leaks {
            let mut cited = cite(leak);
            let fingerprint = leak.detail.fingerprint.as_deref().unwrap_or_default();
            let new = !seen.contains(&fingerprint);
            if new {
                seen.push(fingerprint);
            }
            match status(ctx, leak, end) {
                Status::Revoked(kind, cut) => {
                    revoked += usize::from(new);
                    cited.note.push_str(&format!("; dead: issued before the {kind} at {cut}"));
                }
                Status::Expired(exp) => {
                    expired += usize::from(new);
                    cited.note.push_str(&format!("; expired {exp}"));
                }
                Status::Live(exp, before) => {
                    live += usize::from(new);
                    live_until = live_until.max(exp);
                    match exp {
                        Some(exp) => {
                            cited.note.push_str(&format!("; still valid at the end of the logs (until {exp})"))
                        }
                        None => cited.note.push_str("; no expiry: treat as live"),
                    }
                    if let Some((kind, cut)) = before {
                        cited.note.push_str(&format!(
                            "; issued before the {kind} at {cut}, which ends refresh tokens but not an access token where Continuous Access Evaluation is not enforced"
                        ));
                    }
                }
            }
            evidence.push(cited);
            if let Some(signin) = issuing_sign_in(ctx, leak) {
                let mut c = cite(signin);
                c.note = format!("issued this leaked token: {}", c.note);
                evidence.push(c);
            }
        }
        let mut files: Vec<&str> = leaks.iter().map(|e| &*e.origin.file).collect();
        files.sort_unstable();
        files.dedup();
        let state = if live > 0 {
            match live_until {
                Some(t) => format!("{live} still valid (until {t}): revoke the sessions"),
                None => format!("{live} still valid: revoke the sessions"),
            }
        } else {
            let mut parts = Vec::new();
            if revoked > 0 {
                parts.push(format!("{revoked} already dead (issued before a revocation)"));
            }
            if expired > 0 {
                parts.push(format!("{expired} expired"));
            }
            format!("{}; nothing to do for the tokens themselves", parts.join(", "))
        };
        let summary = format!(
            "{} token{} of this user written into logs ({}): {state}",
            seen.len(),
            if seen.len() == 1 { "" } else { "s" },
            files.join(", ")
        );
        let finding = ctx.finding(self.id(), summary, 0.9, evidence);
        Some(if live > 0 { finding.with_remedies(vec![Action::RevokeSessions]) } else { finding })
    }
}

fn status(ctx: &UserCtx<'_>, leak: &Event, end: Timestamp) -> Status {
    let before = leak.detail.token_issued.and_then(|issued| {
        ctx.invalidations
            .iter()
            .filter(|i| issued < i.cutoff())
            .min_by_key(|i| i.cutoff())
            .map(|i| (revocation(i.kind), i.cutoff()))
    });
    match (leak.detail.token_expires, before) {
        // Revoked, and past its own lifetime too: nothing can use it.
        (exp, Some((kind, cut))) if exp.is_none_or(|exp| exp <= end) => Status::Revoked(kind, cut),
        (Some(exp), None) if exp <= end => Status::Expired(exp),
        (exp, before) => Status::Live(exp, before),
    }
}

/// How a revocation reads in a note.
fn revocation(kind: InvalidationKind) -> &'static str {
    match kind {
        InvalidationKind::RefreshTokenRevocation => "refresh-token revocation",
        InvalidationKind::SessionRevocation => "session revocation",
        InvalidationKind::PasswordChange => "password change",
        InvalidationKind::PasswordReset => "password reset",
        InvalidationKind::AccountDisabled => "account disable",
        InvalidationKind::ProviderRevocation => "provider revocation",
    }
}

/// The sign-in whose request id the token's `uti` decodes to.
fn issuing_sign_in<'a>(ctx: &UserCtx<'a>, leak: &Event) -> Option<&'a Event> {
    let request = leak.ids.request.as_deref()?;
    let same = |e: &&Event| {
        e.kind.is_user_sign_in() && e.ids.record.as_deref().is_some_and(|r| r.eq_ignore_ascii_case(request))
    };
    ctx.iter().map(|(_, e)| e).find(same).or_else(|| ctx.events.iter().find(same))
}
