//! Remediation plans: what to do for each affected user of a case, and why.
//!
//! A [`Plan`] is built from a case folder (the files `lockscope investigate -o CASE` writes), not
//! from a live [`crate::Case`]: a plan is made, reviewed and applied later, often by someone
//! else, and must say exactly which case it came from. It is read-only data (`plan.json`,
//! documented in `docs/schemas.md`): one [`Item`] per user, target and action, with the reason and
//! the evidence, and the users left out ([`Excluded`]) with why. It is content-hashed
//! ([`Plan::compute_hash`]) so that `apply` can refuse a plan altered after review.
//!
//! The rules (SPEC "Remediation rules") are encoded in [`build`]: provider false positives are
//! confirmed safe (or dismissed), never given a password reset; compromised users are confirmed
//! compromised, their sessions revoked and their password reset; users that need review get no
//! automatic action except the safe remedies the case names (revoke the sessions of a live leaked
//! token, unlock a lock still in force, fix a stale credential); benign users with nothing to do
//! are excluded. A user whose verdict is not `false-positive`, or who shows any compromise
//! indicator, is never cleared: [`build`] fails rather than write such a plan.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::finding::Action;

mod build;
mod case_dir;
mod hash;
#[cfg(test)]
mod tests;

pub use hash::{canonical_json, hash_of_document, sha256_hex};

/// Version of the `plan.json` schema.
pub const PLAN_SCHEMA_VERSION: u32 = 1;

/// Most evidence pointers kept per item.
pub const MAX_ITEM_EVIDENCE: usize = 5;

/// An action on more users than this looks like a mass event.
pub const MASS_USERS: usize = 10;

/// An action on more than this share of the identities (in percent) looks like a mass event.
pub const MASS_SHARE_PERCENT: usize = 20;

/// The tool name and version written into plans.
pub const TOOL: &str = concat!("lockscope ", env!("CARGO_PKG_VERSION"));

/// A remediation plan (`plan.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// [`PLAN_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// `lockscope <version>`.
    pub tool: String,
    /// `sha256:` and the hex SHA-256 of the canonical JSON of `{case, items, excluded}`.
    pub hash: String,
    /// The time of the case's last event (RFC 3339): a plan is as fresh as its data.
    pub created: String,
    /// The case the plan was built from.
    pub case: CaseRef,
    /// Users known in the case: the size of the tenant as the logs show it.
    pub identities: usize,
    /// The largest provider mass revocation in the case, if any.
    pub mass_event: Option<MassEvent>,
    /// What to do, sorted by (target, action, user).
    pub items: Vec<Item>,
    /// Affected users with no action, and why, sorted by user.
    pub excluded: Vec<Excluded>,
}

/// Which case a plan was built from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseRef {
    /// The case folder, as given.
    pub path: String,
    /// Hex SHA-256 of the bytes of the case's `case.json`.
    pub manifest_sha256: String,
}

/// The largest provider mass revocation of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MassEvent {
    /// Its id (`inc-…`).
    pub incident: String,
    /// How many users it hit.
    pub members: usize,
}

/// Where an action is carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// Microsoft Entra ID, through Microsoft Graph.
    Entra,
    /// On-premises Active Directory.
    Ad,
    /// A Linux host.
    Linux,
}

impl Target {
    /// The stable id.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Entra => "entra",
            Target::Ad => "ad",
            Target::Linux => "linux",
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One action on one user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// The account on the target: the UPN for Entra, `DOMAIN\sam` for Active Directory when
    /// known, the account name for Linux.
    pub user: String,
    /// The Entra object id, when the logs name it.
    pub object_id: Option<String>,
    /// Where the action is carried out.
    pub target: Target,
    /// What to do.
    pub action: Action,
    /// The host concerned, when known: where the stale credential is (`fix-stale-credential`),
    /// where the faillock tally is (`reset-faillock`), the most likely source of the bad
    /// passwords (`unlock-ad`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// One sentence: the root cause, the verdict, and why this action.
    pub reason: String,
    /// Supporting records (at most [`MAX_ITEM_EVIDENCE`]).
    pub evidence: Vec<PlanEvidence>,
    /// The user's risk state in the latest risky-user record of the case.
    pub current_state: CurrentState,
}

/// A pointer to a record of the case's inputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanEvidence {
    /// The input path as given.
    pub file: String,
    /// 1-based line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// 1-based record number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
    /// Byte offset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// When it happened.
    pub time: String,
    /// What the record shows.
    pub note: String,
}

/// What Identity Protection said about the user when the logs end.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentState {
    /// `atRisk`, `confirmedSafe`, `dismissed`, `remediated`, `confirmedCompromised`, `none`.
    pub risk_state: Option<String>,
    /// `low`, `medium`, `high`, `hidden`, `none`.
    pub risk_level: Option<String>,
    /// The time of the latest risky-user record, if any.
    pub as_of: Option<String>,
}

/// An affected user the plan does not act on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Excluded {
    /// The user.
    pub user: String,
    /// Why there is no automatic action.
    pub reason: String,
}

/// Choices when building a plan.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Dismiss the risk of provider false positives (`riskyUsers/dismiss`) instead of confirming
    /// them safe.
    pub dismiss: bool,
}

/// Why a plan could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// A case file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A case file is not what `investigate` writes.
    #[error("{path}: line {line}: {source}")]
    Json {
        /// The file.
        path: String,
        /// 1-based line (1 for whole-document files).
        line: usize,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// The case was written with another schema version.
    #[error("{path}: schema_version {found} is not supported (this lockscope reads {expected})")]
    Schema {
        /// The file.
        path: String,
        /// The version found.
        found: u64,
        /// The version this build reads.
        expected: u32,
    },
    /// The plan would clear a user the case does not clear. This is a bug guard: it never
    /// happens with cases `investigate` writes.
    #[error("refusing to plan {action} for {user}: the case says {verdict}{indicator}")]
    UnsafeClear {
        /// The user.
        user: String,
        /// `confirm-safe` or `dismiss-risk`.
        action: Action,
        /// The user's verdict.
        verdict: String,
        /// `" with a compromise indicator"` when that is the reason.
        indicator: &'static str,
    },
}

/// Builds the plan of the case folder at `dir`.
pub fn build(dir: &Path, opts: &Options) -> Result<Plan, PlanError> {
    let case = case_dir::CaseDir::read(dir)?;
    build::plan(&case, dir.display().to_string(), opts)
}

impl Plan {
    /// `sha256:<hex>` of the canonical JSON of `{case, items, excluded}` (see
    /// [`hash_of_document`]).
    pub fn compute_hash(&self) -> String {
        let doc = serde_json::json!({ "case": self.case, "items": self.items, "excluded": self.excluded });
        hash_of_document(&doc)
    }

    /// Whether `hash` matches the content.
    pub fn hash_is_valid(&self) -> bool {
        self.hash == self.compute_hash()
    }

    /// The plan as `plan.json` bytes: pretty JSON and a final newline, the same bytes for the
    /// same plan.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// How many distinct users each action concerns, in action order.
    pub fn users_by_action(&self) -> Vec<(Action, usize)> {
        let mut out: Vec<(Action, usize)> = Vec::new();
        for action in Action::ALL {
            let mut users: Vec<&str> =
                self.items.iter().filter(|i| i.action == *action).map(|i| i.user.as_str()).collect();
            users.sort_unstable();
            users.dedup();
            if !users.is_empty() {
                out.push((*action, users.len()));
            }
        }
        out
    }

    /// Warnings for people when the plan looks like a mass event: an action on more than
    /// [`MASS_USERS`] users or more than [`MASS_SHARE_PERCENT`]% of the identities. Empty when it
    /// does not.
    pub fn mass_warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (action, n) in self.users_by_action() {
            let share = (n * 100).checked_div(self.identities).unwrap_or(0);
            let over_share = self.identities > 0 && n * 100 > self.identities * MASS_SHARE_PERCENT;
            if n > MASS_USERS || over_share {
                out.push(format!(
                    "{action} on {n} users ({share}% of {} identities): more than {MASS_USERS} users or {MASS_SHARE_PERCENT}% of the tenant in one action",
                    self.identities
                ));
            }
        }
        if !out.is_empty()
            && let Some(m) = &self.mass_event
        {
            out.push(format!(
                "the case holds a provider mass revocation ({}, {} users): check that this plan is the response you mean",
                m.incident, m.members
            ));
        }
        out
    }
}
