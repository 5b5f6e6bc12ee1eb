//! Root-cause rules: each looks at one user's timeline (plus the incidents the user is part of)
//! and says what it found, with evidence. One file per rule; each file's doc comment says what it
//! detects, why it matters, what evidence it cites, its false positives, and references.

use crate::event::{Event, Failure, Kind, Outcome};
use crate::finding::{Evidence, Finding, RuleId};
use crate::identity::UserId;
use crate::incident::{Incident, IncidentKind};
use crate::invalidation::Invalidation;
use crate::timeline::Baseline;

mod account_disabled;
pub mod account_lockout;
mod admin_action;
mod attempts;
mod brute_force;
mod compromise_indicators;
mod leaked_credentials;
mod password_expired;
mod password_spray;
mod provider_mass_revocation;
mod risk_block;
mod smart_lockout;
pub(crate) mod stale_credential;
mod token_leaked;
mod token_rejected;
mod user_error;

/// A root-cause rule.
pub trait Rule: Sync {
    /// The rule's stable id.
    fn id(&self) -> RuleId;
    /// What the rule concludes about one user, if anything.
    fn evaluate(&self, ctx: &UserCtx<'_>) -> Option<Finding>;
}

/// Every rule, in evaluation order (the order does not change results: each is independent).
pub static ALL: &[&dyn Rule] = &[
    &provider_mass_revocation::ProviderMassRevocation,
    &leaked_credentials::LeakedCredentials,
    &compromise_indicators::CompromiseIndicators,
    &password_spray::PasswordSpray,
    &brute_force::BruteForce,
    &stale_credential::StaleCredential,
    &admin_action::AdminAction,
    &user_error::UserError,
    &smart_lockout::SmartLockout,
    &account_lockout::AccountLockout,
    &risk_block::RiskBlock,
    &token_rejected::TokenRejected,
    &token_leaked::TokenLeaked,
    &account_disabled::AccountDisabled,
    &password_expired::PasswordExpired,
];

/// Everything a rule may look at for one user.
pub struct UserCtx<'a> {
    /// The identity.
    pub user: UserId,
    /// Its display name (UPN when known).
    pub name: &'a str,
    /// Other names of the same identity.
    pub aliases: &'a [String],
    /// All events, sorted by time.
    pub events: &'a [Event],
    /// This user's event indices, in time order.
    pub timeline: &'a [usize],
    /// What is normal for this user.
    pub baseline: Baseline,
    /// Incidents the user is a member of.
    pub incidents: Vec<&'a Incident>,
    /// This user's token invalidations.
    pub invalidations: Vec<&'a Invalidation>,
    /// Thresholds and policies of this run.
    pub settings: &'a crate::case::Settings,
}

impl<'a> UserCtx<'a> {
    /// The user's events with their indices, in time order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &'a Event)> + '_ {
        self.timeline.iter().map(|&i| (i, &self.events[i]))
    }

    /// The user's failed user sign-ins whose failure matches `pred`.
    pub fn failures(&self, pred: impl Fn(Failure) -> bool) -> Vec<(usize, &'a Event)> {
        self.iter()
            .filter(|(_, e)| e.kind.is_auth_attempt() && e.outcome == Outcome::Failure && e.failure.is_some_and(&pred))
            .collect()
    }

    /// The first incident of `kind` the user belongs to.
    pub fn incident(&self, kind: IncidentKind) -> Option<&'a Incident> {
        self.incidents.iter().copied().find(|i| i.kind == kind)
    }

    /// Every name the user goes by (for comparing with initiators).
    pub fn names(&self) -> Vec<&str> {
        std::iter::once(self.name).chain(self.aliases.iter().map(String::as_str)).collect()
    }

    /// A finding about this user.
    pub fn finding(&self, rule: RuleId, summary: String, confidence: f64, evidence: Vec<Evidence>) -> Finding {
        Finding::new(rule, vec![self.name.to_string()], summary, confidence, evidence)
    }
}

/// Evidence for an event, with a note built from its fields.
pub fn cite(e: &Event) -> Evidence {
    Evidence { origin: e.origin.clone(), time: e.time, note: describe(e) }
}

/// One line describing an event for evidence lists.
pub fn describe(e: &Event) -> String {
    let mut s = match e.kind {
        Kind::SignIn | Kind::NonInteractiveSignIn | Kind::ServiceSignIn => {
            let what = if e.kind == Kind::NonInteractiveSignIn { "non-interactive sign-in" } else { "sign-in" };
            match e.outcome {
                Outcome::Success => format!("{what} succeeded"),
                Outcome::Interrupted => format!("{what} interrupted ({})", e.code.as_deref().unwrap_or("?")),
                _ => format!(
                    "{what} failed {} ({})",
                    e.code.as_deref().unwrap_or("?"),
                    e.failure.map_or("other", Failure::as_str)
                ),
            }
        }
        Kind::RiskDetection => {
            format!("risk detection {}", e.risk.as_ref().map(|r| r.event_types.join(",")).unwrap_or_default())
        }
        Kind::TokenLeaked => format!(
            "{} written in this log (fingerprint {})",
            e.reason.as_deref().unwrap_or("token"),
            e.detail.fingerprint.as_deref().unwrap_or("?")
        ),
        Kind::RiskState => {
            format!("risky-user state {}", e.risk.as_ref().and_then(|r| r.state.clone()).unwrap_or_default())
        }
        _ => format!("audit: {}", e.detail.activity.as_deref().unwrap_or(e.kind.as_str())),
    };
    if let Some(from) = e.ip.as_deref().or(e.detail.workstation.as_deref().filter(|_| e.kind != Kind::Lockout)) {
        s.push_str(&format!(" from {from}"));
    }
    if let (Some(host), Some(_)) = (&e.host, e.detail.event_id) {
        s.push_str(&format!(" on {host}"));
    }
    if let Some(p) = &e.detail.process {
        s.push_str(&format!(" by {p}"));
    }
    if let Some(c) = e.location.as_ref().and_then(|l| l.country.as_deref()) {
        s.push_str(&format!(" [{c}]"));
    }
    if let Some(d) = e.device.as_ref().and_then(|d| d.name.as_deref().or(d.os.as_deref())) {
        s.push_str(&format!(" device {d}"));
    }
    if let Some(a) = e.app.as_ref().and_then(|a| a.name.as_deref()) {
        s.push_str(&format!(" app {a}"));
    }
    if !e.detail.blocking_policies.is_empty() {
        s.push_str(&format!(" blocked by {}", e.detail.blocking_policies.join(", ")));
    }
    s
}

/// Seconds between two events (`b` after `a` is positive).
pub fn secs(a: &Event, b: &Event) -> i64 {
    b.time.as_second() - a.time.as_second()
}

#[cfg(test)]
pub(crate) mod testkit;

#[cfg(test)]
mod tests;
