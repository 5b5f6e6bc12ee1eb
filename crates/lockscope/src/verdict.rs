//! Stage 3 of the analysis: one explanation per affected user.
//!
//! The rules each say what they saw; this module decides which of those findings is the root
//! cause, which only contributed, what that means for the account (the verdict) and what to do.
//! The order encodes domain judgement: evidence that someone else used the account wins over
//! everything; a provider mass event is cleared only when nothing points to compromise; a device
//! with an old password explains a lockout better than the admin reset that made it stale.

use jiff::Timestamp;
use serde::Serialize;

use crate::event::{Event, Failure, Kind, Outcome};
use crate::finding::{Action, Evidence, Finding, MAX_EVIDENCE, RuleId, Verdict, round2};
use crate::identity::Identity;
use crate::incident::Incident;

/// One affected user, explained.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AffectedUser {
    /// The user (UPN when known).
    pub user: String,
    /// Directory object id, when known.
    pub object_id: Option<String>,
    /// Other names and ids of the same person.
    pub aliases: Vec<String>,
    /// The primary cause.
    pub root_cause: RuleId,
    /// Other causes that contributed.
    pub contributing: Vec<RuleId>,
    /// What the evidence says about the account.
    pub verdict: Verdict,
    /// 0–1.
    pub confidence: f64,
    /// First supporting record.
    #[serde(serialize_with = "crate::time::serialize")]
    pub first_seen: Timestamp,
    /// Last supporting record.
    #[serde(serialize_with = "crate::time::serialize")]
    pub last_seen: Timestamp,
    /// Recommended actions.
    pub actions: Vec<Action>,
    /// The incident the root cause belongs to, if any.
    pub incident: Option<String>,
    /// The user's risk state (`atRisk`, `confirmedSafe`, `dismissed`, …) in the latest risky-user
    /// record of the logs, if any.
    pub risk_state: Option<String>,
    /// The user's risk level (`low`, `medium`, `high`, `none`, …) in that record.
    pub risk_level: Option<String>,
    /// The time of that record.
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub risk_as_of: Option<Timestamp>,
    /// Why, in one paragraph: the root cause's summary and what overrode what.
    pub explanation: String,
    /// Counts over the user's events.
    pub counts: Counts,
    /// The ids of the user's findings.
    pub findings: Vec<String>,
    /// Supporting records, time-ordered (at most [`MAX_EVIDENCE`]).
    pub evidence: Vec<Evidence>,
}

/// Counts over one user's events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Events of any kind.
    pub events: usize,
    /// User sign-ins.
    pub sign_ins: usize,
    /// Failed user sign-ins.
    pub failures: usize,
    /// Lockouts.
    pub lockouts: usize,
    /// Risk-based blocks.
    pub risk_blocks: usize,
    /// Refused (revoked) tokens.
    pub token_rejections: usize,
    /// Risk detections.
    pub risk_detections: usize,
}

impl Counts {
    /// Counts the given events.
    pub fn of<'a>(events: impl Iterator<Item = &'a Event>) -> Self {
        let mut c = Counts::default();
        for e in events {
            c.events += 1;
            if e.kind.is_auth_attempt() {
                c.sign_ins += 1;
                if e.outcome == Outcome::Failure {
                    c.failures += 1;
                }
            }
            match e.failure {
                Some(Failure::Locked) => c.lockouts += 1,
                Some(Failure::RiskBlocked) => c.risk_blocks += 1,
                Some(Failure::TokenRevoked) => c.token_rejections += 1,
                _ => {}
            }
            c.risk_detections += usize::from(e.kind == Kind::RiskDetection);
        }
        c
    }
}

/// Root-cause precedence for causes that do not say "compromised" (first wins).
const PRECEDENCE: &[RuleId] = &[
    RuleId::ProviderMassRevocation,
    RuleId::BruteForce,
    RuleId::PasswordSpray,
    RuleId::LeakedCredentials,
    RuleId::StaleCredential,
    RuleId::AdminAction,
    RuleId::UserError,
    RuleId::AccountDisabled,
    RuleId::PasswordExpired,
    RuleId::SmartLockout,
    RuleId::AccountLockout,
    RuleId::RiskBlock,
    RuleId::TokenRejected,
    RuleId::CompromiseIndicators,
    RuleId::TokenLeaked,
];

/// Explains one user from their findings (non-empty). `incidents` are the user's incidents.
pub fn explain(
    identity: &Identity,
    findings: &[Finding],
    incidents: &[&Incident],
    counts: Counts,
) -> Option<AffectedUser> {
    let by = |r: RuleId| findings.iter().find(|f| f.rule == r);
    let compromised = [RuleId::PasswordSpray, RuleId::BruteForce, RuleId::CompromiseIndicators]
        .into_iter()
        .find_map(|r| by(r).filter(|f| f.compromise));
    let root = match compromised {
        Some(f) => f,
        None => PRECEDENCE.iter().find_map(|r| by(*r))?,
    };
    let weak_compromise = compromised.is_none() && by(RuleId::CompromiseIndicators).is_some();
    let (mut verdict, mut actions) = if compromised.is_some() {
        let mut a = vec![Action::ConfirmCompromised, Action::RevokeSessions, Action::ResetPassword];
        if matches!(root.rule, RuleId::PasswordSpray | RuleId::BruteForce) {
            a.push(Action::BlockSource);
        }
        (Verdict::Compromised, a)
    } else {
        consequence(root.rule, findings)
    };
    // A lock still in force needs an unlock whatever caused it (after the cause is fixed:
    // unlocking before a stale device is updated only locks the account again).
    for remedy in findings.iter().flat_map(|f| f.remedies.iter().copied()) {
        if !actions.contains(&remedy) {
            actions.retain(|a| *a != Action::None);
            actions.push(remedy);
        }
    }
    let mut confidence = root.confidence;
    let mut explanation = root.summary.clone();
    if weak_compromise && root.rule != RuleId::CompromiseIndicators {
        // One indicator is not proof, but it is enough to never clear the user automatically.
        if matches!(verdict, Verdict::FalsePositive | Verdict::Benign) {
            verdict = Verdict::NeedsReview;
            actions.retain(|a| !matches!(a, Action::ConfirmSafe | Action::DismissRisk));
            if actions.is_empty() {
                actions.push(Action::None);
            }
        }
        confidence *= 0.8;
        explanation.push_str(". Not cleared: one compromise indicator needs review first");
    }
    // A live token in readable logs is a way in for whoever reads them: never clear the user.
    if live_leak(findings)
        && root.rule != RuleId::TokenLeaked
        && matches!(verdict, Verdict::FalsePositive | Verdict::Benign)
    {
        verdict = Verdict::NeedsReview;
        actions.retain(|a| !matches!(a, Action::ConfirmSafe | Action::DismissRisk | Action::None));
        if !actions.contains(&Action::RevokeSessions) {
            actions.push(Action::RevokeSessions);
        }
        explanation.push_str(". Not cleared: a token of this user written into the logs is still valid");
    }
    if compromised.is_some()
        && root.rule == RuleId::CompromiseIndicators
        && by(RuleId::ProviderMassRevocation).is_some()
    {
        explanation.push_str(". Also part of the provider mass event, which does not explain these signs");
    }
    let mut contributing: Vec<RuleId> = findings.iter().map(|f| f.rule).filter(|r| *r != root.rule).collect();
    contributing.sort();
    contributing.dedup();
    let incident = incident_of(root, incidents);
    let mut evidence: Vec<Evidence> = root.evidence.clone();
    for f in findings.iter().filter(|f| f.rule != root.rule) {
        evidence.extend(f.evidence.iter().cloned());
    }
    evidence.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.origin.cmp(&b.origin)));
    evidence.dedup_by(|a, b| a.origin == b.origin);
    evidence.truncate(MAX_EVIDENCE);
    let first_seen = findings.iter().map(|f| f.window.start).min().unwrap_or(root.window.start);
    let last_seen = findings.iter().map(|f| f.window.end).max().unwrap_or(root.window.end);
    Some(AffectedUser {
        user: identity.user.clone(),
        object_id: identity.object_id.clone(),
        aliases: identity.aliases.clone(),
        root_cause: root.rule,
        contributing,
        verdict,
        confidence: round2(confidence),
        first_seen,
        last_seen,
        actions,
        incident,
        risk_state: None,
        risk_level: None,
        risk_as_of: None,
        explanation,
        counts,
        findings: findings.iter().map(|f| f.id.clone()).collect(),
        evidence,
    })
}

/// Verdict and actions for a root cause that does not say "compromised".
fn consequence(rule: RuleId, findings: &[Finding]) -> (Verdict, Vec<Action>) {
    match rule {
        RuleId::ProviderMassRevocation => (Verdict::FalsePositive, vec![Action::ConfirmSafe]),
        RuleId::PasswordSpray | RuleId::BruteForce => (Verdict::NeedsReview, vec![Action::BlockSource]),
        RuleId::LeakedCredentials => (Verdict::NeedsReview, vec![Action::ResetPassword, Action::RevokeSessions]),
        RuleId::StaleCredential => (Verdict::Benign, vec![Action::FixStaleCredential]),
        RuleId::AdminAction | RuleId::UserError | RuleId::AccountDisabled | RuleId::PasswordExpired => {
            (Verdict::Benign, vec![Action::None])
        }
        // A rejected token after a known invalidation is the expected effect of it.
        RuleId::TokenRejected if findings.iter().any(|f| f.rule == RuleId::TokenRejected && f.confidence >= 0.9) => {
            (Verdict::Benign, vec![Action::None])
        }
        // The unlock itself comes from the finding's remedies.
        RuleId::AccountLockout => (Verdict::NeedsReview, vec![Action::None]),
        RuleId::SmartLockout | RuleId::RiskBlock | RuleId::TokenRejected | RuleId::CompromiseIndicators => {
            (Verdict::NeedsReview, vec![Action::None])
        }
        // A live token in a log must be revoked (the remedy); a dead one is history.
        RuleId::TokenLeaked if live_leak(findings) => (Verdict::NeedsReview, vec![Action::None]),
        RuleId::TokenLeaked => (Verdict::Benign, vec![Action::None]),
    }
}

/// Whether a token of the user found in the logs is still valid.
fn live_leak(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.rule == RuleId::TokenLeaked && f.remedies.contains(&Action::RevokeSessions))
}

/// The incident a root-cause finding refers to: the one whose id its summary names.
fn incident_of(root: &Finding, incidents: &[&Incident]) -> Option<String> {
    incidents.iter().find(|i| root.summary.contains(&i.id)).map(|i| i.id.clone())
}
