//! Findings and the stable vocabularies of the output contract: rule ids (root causes),
//! verdicts and recommended actions.
//!
//! These ids are part of the documented output (`docs/schemas.md`): they are never renamed, only
//! added to.

use std::fmt;

use jiff::Timestamp;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::event::Origin;

/// Most evidence pointers kept per finding; the total is still counted.
pub const MAX_EVIDENCE: usize = 40;

macro_rules! id_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident => $text:literal,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($(#[$vm])* $variant,)* }

        impl $name {
            /// Every value, in documentation order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The stable id.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s { $($text => Ok($name::$variant),)* _ => Err(format!("unknown {}: {s}", stringify!($name))) }
            }
        }
    };
}

id_enum! {
    /// A rule id, which is also a root-cause id.
    RuleId {
        /// A provider invalidated many users' tokens at once (the April 2025 MACE event).
        ProviderMassRevocation => "provider-mass-revocation",
        /// Leaked credentials reported for one user, outside a mass event.
        LeakedCredentials => "leaked-credentials",
        /// Signs that someone else used the account.
        CompromiseIndicators => "compromise-indicators",
        /// Few attempts on many users from the same sources.
        PasswordSpray => "password-spray",
        /// Many attempts on one user from one source.
        BruteForce => "brute-force",
        /// A client keeps using an old password after a change.
        StaleCredential => "stale-credential",
        /// An administrator revoked sessions, reset the password or disabled the account.
        AdminAction => "admin-action",
        /// The user mistyped their password and then got in.
        UserError => "user-error",
        /// Entra smart lockout (50053).
        SmartLockout => "smart-lockout",
        /// Conditional Access blocked the user because of risk.
        RiskBlock => "risk-block",
        /// Refresh tokens or sessions were rejected after an invalidation.
        TokenRejected => "token-rejected",
        /// Sign-ins failed because the account is disabled.
        AccountDisabled => "account-disabled",
        /// Sign-ins failed because the password expired.
        PasswordExpired => "password-expired",
        /// An Active Directory or Windows account was locked out (4740), traced to its source.
        AccountLockout => "account-lockout",
        /// A token of the user was written into a log.
        TokenLeaked => "token-leaked",
    }
}

id_enum! {
    /// What the evidence says about the account.
    Verdict {
        /// The alert or block was a false positive (e.g. a provider mass event): clear it.
        FalsePositive => "false-positive",
        /// A real but harmless cause (stale device, typo, admin action).
        Benign => "benign",
        /// An attack or an unexplained signal: a person should look.
        NeedsReview => "needs-review",
        /// Someone else used the account.
        Compromised => "compromised",
    }
}

id_enum! {
    /// A recommended remediation.
    Action {
        /// Graph `riskyUsers/confirmSafe`.
        ConfirmSafe => "confirm-safe",
        /// Graph `riskyUsers/dismiss`.
        DismissRisk => "dismiss-risk",
        /// Graph `riskyUsers/confirmCompromised`.
        ConfirmCompromised => "confirm-compromised",
        /// Graph `users/{id}/revokeSignInSessions`.
        RevokeSessions => "revoke-sessions",
        /// Reset the user's password.
        ResetPassword => "reset-password",
        /// AD `Unlock-ADAccount`.
        UnlockAd => "unlock-ad",
        /// Linux `faillock --user U --reset`.
        ResetFaillock => "reset-faillock",
        /// Update or remove the stale credential on the named device or service.
        FixStaleCredential => "fix-stale-credential",
        /// Block the attacking sources.
        BlockSource => "block-source",
        /// Nothing to do.
        None => "none",
    }
}

/// A pointer to a record that supports a finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Evidence {
    /// Where the record is.
    #[serde(flatten)]
    pub origin: Origin,
    /// When it happened.
    #[serde(serialize_with = "crate::time::serialize")]
    pub time: Timestamp,
    /// One line saying what the record shows.
    pub note: String,
}

/// A conclusion of one rule about one or more users.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable id: a hash of the rule, users and window.
    pub id: String,
    /// The rule that concluded it.
    pub rule: RuleId,
    /// The users concerned.
    pub users: Vec<String>,
    /// Hosts, IPs, devices, apps or initiators involved.
    pub sources: Vec<String>,
    /// First and last supporting record.
    pub window: Window,
    /// One sentence for people.
    pub summary: String,
    /// 0–1.
    pub confidence: f64,
    /// Whether the finding says someone else used the account (only `compromise-indicators`,
    /// `password-spray` and `brute-force` can).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub compromise: bool,
    /// Actions the finding itself calls for, whatever the root cause (unlock a lock in force).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub remedies: Vec<Action>,
    /// Supporting records (at most [`MAX_EVIDENCE`]).
    pub evidence: Vec<Evidence>,
    /// How many supporting records there were in all.
    pub evidence_total: usize,
}

/// A time range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    /// Start.
    #[serde(serialize_with = "crate::time::serialize")]
    pub start: Timestamp,
    /// End.
    #[serde(serialize_with = "crate::time::serialize")]
    pub end: Timestamp,
}

impl Finding {
    /// Builds a finding, computing its id, window and evidence cap.
    pub fn new(
        rule: RuleId,
        users: Vec<String>,
        summary: String,
        confidence: f64,
        mut evidence: Vec<Evidence>,
    ) -> Self {
        evidence.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.origin.cmp(&b.origin)));
        evidence.dedup_by(|a, b| a.origin == b.origin);
        let start = evidence.first().map_or(Timestamp::UNIX_EPOCH, |e| e.time);
        let end = evidence.last().map_or(start, |e| e.time);
        let total = evidence.len();
        let kept = cap_evidence(evidence);
        let mut h = Sha256::new();
        h.update(rule.as_str());
        for u in &users {
            h.update([0]);
            h.update(u);
        }
        h.update(start.to_string());
        let digest = h.finalize();
        let id = digest.iter().take(8).map(|b| format!("{b:02x}")).collect::<String>();
        Finding {
            id: format!("f-{id}"),
            rule,
            users,
            sources: Vec::new(),
            window: Window { start, end },
            summary,
            confidence: round2(confidence),
            compromise: false,
            remedies: Vec::new(),
            evidence: kept,
            evidence_total: total,
        }
    }

    /// Sets the sources (sorted, deduplicated).
    pub fn with_sources(mut self, mut sources: Vec<String>) -> Self {
        sources.sort();
        sources.dedup();
        self.sources = sources;
        self
    }

    /// Sets the actions the finding calls for.
    pub fn with_remedies(mut self, remedies: Vec<Action>) -> Self {
        self.remedies = remedies;
        self
    }

    /// Sets the sources in the given order (most likely first), dropping repeats.
    pub fn with_ranked_sources(mut self, sources: Vec<String>) -> Self {
        let mut seen = std::collections::BTreeSet::new();
        self.sources = sources.into_iter().filter(|s| seen.insert(s.clone())).collect();
        self
    }

    /// Marks the finding as evidence of compromise.
    pub fn compromising(mut self) -> Self {
        self.compromise = true;
        self
    }
}

/// Keeps the first and last records and an even spread between, up to [`MAX_EVIDENCE`].
fn cap_evidence(evidence: Vec<Evidence>) -> Vec<Evidence> {
    let n = evidence.len();
    if n <= MAX_EVIDENCE {
        return evidence;
    }
    let step = (n - 1) as f64 / (MAX_EVIDENCE - 1) as f64;
    let keep: std::collections::BTreeSet<usize> =
        (0..MAX_EVIDENCE).map(|i| ((i as f64) * step).round() as usize).collect();
    evidence.into_iter().enumerate().filter(|(i, _)| keep.contains(i)).map(|(_, e)| e).collect()
}

/// Rounds to two decimals so outputs are short and stable.
pub fn round2(x: f64) -> f64 {
    (x.clamp(0.0, 1.0) * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for r in RuleId::ALL {
            assert_eq!(r.as_str().parse::<RuleId>(), Ok(*r));
        }
        for v in Verdict::ALL {
            assert_eq!(v.as_str().parse::<Verdict>(), Ok(*v));
        }
        for a in Action::ALL {
            assert_eq!(a.as_str().parse::<Action>(), Ok(*a));
        }
    }

    #[test]
    fn evidence_is_capped_keeping_ends() {
        let file: std::sync::Arc<str> = "f".into();
        let ev: Vec<Evidence> = (0..100)
            .map(|i| Evidence {
                origin: Origin::new(&file, crate::event::Position::Line(i + 1)),
                time: Timestamp::from_second(i as i64).expect("ts"),
                note: String::new(),
            })
            .collect();
        let f = Finding::new(RuleId::BruteForce, vec!["u".into()], "s".into(), 0.123, ev);
        assert_eq!(f.evidence.len(), MAX_EVIDENCE);
        assert_eq!(f.evidence_total, 100);
        assert_eq!(f.evidence[0].time.as_second(), 0);
        assert_eq!(f.evidence[MAX_EVIDENCE - 1].time.as_second(), 99);
        assert_eq!(f.confidence, 0.12);
    }
}
