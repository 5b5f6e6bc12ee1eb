//! Token invalidations: every event that made a user's refresh tokens or sessions invalid, told
//! apart by the audit rows that share its correlation id.
//!
//! One operation writes several audit rows with one correlation id (`Update user` + `Update
//! StsRefreshTokenValidFrom Timestamp` for an admin revoke; `Change user password` + the token bump
//! for a password change), so rows are grouped by (correlation id, user) and the group is one
//! invalidation — counting rows would double-count. `Add user` also sets
//! `StsRefreshTokensValidFrom` and is not a revocation.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

use crate::event::{Actor, ActorKind, Event, Kind};
use crate::finding::Evidence;
use crate::identity::UserId;

/// What kind of invalidation happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InvalidationKind {
    /// Refresh tokens revoked with no other change (legacy revoke, or an app's bump).
    RefreshTokenRevocation,
    /// Sessions revoked (`revokeSignInSessions`: `Update user` + token bump).
    SessionRevocation,
    /// The user changed their password (or it was synced from on-premises).
    PasswordChange,
    /// The password was reset.
    PasswordReset,
    /// The account was disabled.
    AccountDisabled,
    /// A provider (identity platform) revoked the tokens, as in the April 2025 MACE event.
    ProviderRevocation,
}

/// One invalidation of one user's tokens.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Invalidation {
    /// The user, as resolved.
    pub user: String,
    /// Resolved user index.
    #[serde(skip)]
    pub user_id: UserId,
    /// When.
    #[serde(serialize_with = "crate::time::serialize")]
    pub time: Timestamp,
    /// What kind.
    pub kind: InvalidationKind,
    /// Who did it.
    pub initiator: Option<Actor>,
    /// Audit correlation id shared by the rows of the operation.
    pub correlation_id: Option<String>,
    /// New `StsRefreshTokensValidFrom`: tokens issued before it are rejected.
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub valid_from: Option<Timestamp>,
    /// The mass-event incident this belongs to, if any.
    pub incident: Option<String>,
    /// The audit rows.
    pub evidence: Vec<Evidence>,
    /// Index of the first row in the event list.
    #[serde(skip)]
    pub event: usize,
}

impl Invalidation {
    /// The instant from which tokens are valid again: `valid_from`, else the audit time.
    pub fn cutoff(&self) -> Timestamp {
        self.valid_from.unwrap_or(self.time)
    }

    /// Whether the initiator is someone other than the user (an admin, an app, the platform).
    pub fn by_other(&self, user_names: &[&str]) -> bool {
        match &self.initiator {
            Some(a) if a.kind == ActorKind::User => {
                let mine = |v: &Option<String>| {
                    v.as_deref().is_some_and(|n| user_names.iter().any(|u| u.eq_ignore_ascii_case(n)))
                };
                !(mine(&a.id) || mine(&a.name))
            }
            Some(_) => true,
            None => false,
        }
    }
}

/// Whether an actor is the directory-sync service (on-premises changes synced to the cloud).
pub fn is_sync(actor: &Actor) -> bool {
    let hit = |s: &Option<String>| {
        s.as_deref().is_some_and(|n| {
            let n = n.to_ascii_lowercase();
            n.starts_with("sync_")
                || n.contains("directory synchronization")
                || n.contains("azure ad connect")
                || n.contains("entra connect")
        })
    };
    hit(&actor.name) || hit(&actor.id)
}

fn is_invalidating(kind: Kind) -> bool {
    matches!(kind, Kind::TokenInvalidation | Kind::PasswordChange | Kind::PasswordReset | Kind::AccountDisabled)
}

fn is_groupable(kind: Kind) -> bool {
    is_invalidating(kind) || matches!(kind, Kind::UserUpdated | Kind::UserCreated)
}

/// Finds the invalidations among `events` (sorted by time), with their users resolved.
pub fn collect(events: &[Event], users: &[Option<UserId>], names: &[String]) -> Vec<Invalidation> {
    // (correlation id or a per-row key, user) → row indices.
    let mut groups: BTreeMap<(String, UserId), Vec<usize>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        let Some(uid) = users[i] else { continue };
        if !is_groupable(e.kind) {
            continue;
        }
        let key = e.ids.correlation.clone().unwrap_or_else(|| format!("row:{i}"));
        groups.entry((key, uid)).or_default().push(i);
    }
    let mut out: Vec<Invalidation> = groups
        .into_iter()
        .filter_map(|((corr, uid), rows)| build(events, &rows, uid, names, (!corr.starts_with("row:")).then_some(corr)))
        .collect();
    out.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.user.cmp(&b.user)).then_with(|| a.event.cmp(&b.event)));
    out
}

fn build(
    events: &[Event],
    rows: &[usize],
    uid: UserId,
    names: &[String],
    correlation: Option<String>,
) -> Option<Invalidation> {
    let kinds: Vec<Kind> = rows.iter().map(|&i| events[i].kind).collect();
    if !kinds.iter().any(|k| is_invalidating(*k)) || kinds.contains(&Kind::UserCreated) {
        return None;
    }
    let has = |k: Kind| kinds.contains(&k);
    let kind = if has(Kind::PasswordReset) {
        InvalidationKind::PasswordReset
    } else if has(Kind::PasswordChange) {
        InvalidationKind::PasswordChange
    } else if has(Kind::AccountDisabled) {
        InvalidationKind::AccountDisabled
    } else if has(Kind::UserUpdated) {
        InvalidationKind::SessionRevocation
    } else {
        InvalidationKind::RefreshTokenRevocation
    };
    let primary = rows.iter().copied().find(|&i| events[i].kind == Kind::TokenInvalidation).unwrap_or(rows[0]);
    let first = rows.iter().copied().min_by_key(|&i| (events[i].time, i)).unwrap_or(primary);
    let p = &events[primary];
    let evidence = rows
        .iter()
        .map(|&i| {
            let e = &events[i];
            Evidence {
                origin: e.origin.clone(),
                time: e.time,
                note: format!("audit: {}", e.detail.activity.as_deref().unwrap_or(e.kind.as_str())),
            }
        })
        .collect();
    Some(Invalidation {
        user: names.get(uid).cloned().unwrap_or_default(),
        user_id: uid,
        time: events[first].time,
        kind,
        initiator: p.actor.clone(),
        correlation_id: correlation,
        valid_from: rows.iter().find_map(|&i| events[i].detail.valid_from),
        incident: None,
        evidence,
        event: first,
    })
}
