//! Stage 2 of the analysis: incidents that span many users.
//!
//! A per-user view cannot tell a provider's mass false positive from a real compromise, nor a
//! password spray from a typo: both need the view across users. This stage looks only at the
//! small subset of events that can form an incident (token invalidations, leaked-credential
//! detections, failed sign-ins by source) and finds bursts: many users, one initiator or source,
//! a short window.

use jiff::Timestamp;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::event::Actor;
use crate::finding::{Evidence, Window, round2};
use crate::identity::UserId;

pub mod mass_revocation;
pub mod spray;

pub use mass_revocation::{MACE_APP_ID, find as find_mass_revocations, is_known_provider};
pub use spray::find as find_sprays;

/// What kind of incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IncidentKind {
    /// The identity provider revoked many users' tokens at once (the MACE signature).
    ProviderMassRevocation,
    /// One administrator or one customer application revoked many users at once.
    BulkRevocation,
    /// Few attempts on many users from the same sources.
    PasswordSpray,
}

/// One incident across users.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    /// Stable id (`inc-` + hash of kind, initiator/sources and start).
    pub id: String,
    /// What kind.
    pub kind: IncidentKind,
    /// First and last member record.
    pub window: Window,
    /// The initiator (mass revocations) when there is one.
    pub initiator: Option<Actor>,
    /// Source IPs (sprays).
    pub sources: Vec<String>,
    /// The signature: the facts that make this an incident, one line each.
    pub signature: Vec<String>,
    /// How sure the signature is, 0–1.
    pub confidence: f64,
    /// Member users, sorted.
    pub members: Vec<String>,
    /// Member identities (same order as `members`).
    #[serde(skip)]
    pub member_ids: Vec<UserId>,
    /// Representative records.
    pub evidence: Vec<Evidence>,
}

impl Incident {
    /// Builds an incident with its id; members are sorted and deduplicated.
    #[allow(clippy::too_many_arguments)]
    fn new(
        kind: IncidentKind,
        window: Window,
        initiator: Option<Actor>,
        sources: Vec<String>,
        signature: Vec<String>,
        confidence: f64,
        mut members: Vec<(String, UserId)>,
        mut evidence: Vec<Evidence>,
    ) -> Self {
        members.sort();
        members.dedup();
        evidence.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.origin.cmp(&b.origin)));
        evidence.truncate(crate::finding::MAX_EVIDENCE);
        let mut h = Sha256::new();
        h.update(format!("{kind:?}"));
        if let Some(a) = &initiator {
            h.update(format!("{:?}{:?}", a.id, a.name));
        }
        for s in &sources {
            h.update(s);
        }
        h.update(window.start.to_string());
        let id: String = h.finalize().iter().take(6).map(|b| format!("{b:02x}")).collect();
        Incident {
            id: format!("inc-{id}"),
            kind,
            window,
            initiator,
            sources,
            signature,
            confidence: round2(confidence),
            members: members.iter().map(|(m, _)| m.clone()).collect(),
            member_ids: members.iter().map(|(_, u)| *u).collect(),
            evidence,
        }
    }

    /// Adds members, keeping the lists sorted and unique.
    pub(crate) fn add_members(&mut self, extra: Vec<(String, UserId)>) {
        if extra.is_empty() {
            return;
        }
        let mut all: Vec<(String, UserId)> =
            self.members.drain(..).zip(self.member_ids.drain(..)).chain(extra).collect();
        all.sort();
        all.dedup();
        self.members = all.iter().map(|(m, _)| m.clone()).collect();
        self.member_ids = all.iter().map(|(_, u)| *u).collect();
    }

    /// Whether `user` is a member.
    pub fn has(&self, user: UserId) -> bool {
        self.member_ids.contains(&user)
    }
}

/// Splits time-sorted items into runs where consecutive items are at most `gap` seconds apart.
pub(crate) fn bursts<T>(items: &[T], time: impl Fn(&T) -> Timestamp, gap: i64) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=items.len() {
        let split = i == items.len() || time(&items[i]).as_second() - time(&items[i - 1]).as_second() > gap;
        if split {
            out.push(start..i);
            start = i;
        }
    }
    out.retain(|r| !r.is_empty());
    out
}
