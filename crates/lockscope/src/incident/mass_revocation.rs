//! Mass token revocations: the April 2025 MACE signature, found from the data.
//!
//! The signature (reference/formats.md §1.2, SPEC "Cluster across users"): many users get the
//! same audit activity (`Update StsRefreshTokenValidFrom Timestamp`) from the same application
//! initiator within a short window; the initiator's service principal was often created minutes
//! before by just-in-time provisioning; `leakedCredentials` detections follow for the same users;
//! passwordless users are among them. The known MACE app id is a strong signal, not a
//! requirement: a future provider event with another app must be found the same way. A burst by
//! an administrator or by the customer's own application is a bulk revocation, not a provider
//! event.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;

use super::{Incident, IncidentKind, bursts};
use crate::event::{Actor, ActorKind, Event, Kind, Outcome};
use crate::finding::{Evidence, Window};
use crate::identity::UserId;
use crate::invalidation::{Invalidation, InvalidationKind, is_sync};

/// The application id of "MACE Credential Revocation" (Microsoft first-party).
pub const MACE_APP_ID: &str = "7d636ec3-f39c-44f5-8b73-fa28a0e0c5bc";

/// Largest gap between two revocations of one burst.
const GAP_SECS: i64 = 3600;
/// How far around a burst related records (detections, SP creation) are looked for.
const BEFORE_SECS: i64 = 24 * 3600;
const AFTER_SECS: i64 = 24 * 3600;

/// Whether an actor is a known provider revocation app.
pub fn is_known_provider(a: &Actor) -> bool {
    a.id.as_deref().is_some_and(|id| id.eq_ignore_ascii_case(MACE_APP_ID))
        || a.name.as_deref().is_some_and(|n| n.to_ascii_lowercase().contains("mace credential revocation"))
}

fn initiator_key(a: &Actor) -> String {
    // Per-tenant service principal ids differ; match on app id or name (formats.md §1.1).
    let name = a.name.as_deref().unwrap_or("").to_ascii_lowercase();
    format!("{:?}|{}|{}", a.kind, a.id.as_deref().map(str::to_ascii_lowercase).unwrap_or_default(), name)
}

/// Finds mass revocations, marks their invalidations, and returns the incidents.
pub fn find(
    events: &[Event],
    users: &[Option<UserId>],
    names: &[String],
    invalidations: &mut [Invalidation],
    min_users: usize,
) -> Vec<Incident> {
    let mut by_initiator: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, inv) in invalidations.iter().enumerate() {
        let revocation =
            matches!(inv.kind, InvalidationKind::RefreshTokenRevocation | InvalidationKind::SessionRevocation);
        let Some(actor) = &inv.initiator else { continue };
        if revocation && !is_sync(actor) {
            by_initiator.entry(initiator_key(actor)).or_default().push(i);
        }
    }
    let leaked = leaked_detections(events, users);
    let mut incidents = Vec::new();
    for group in by_initiator.values() {
        for run in bursts(group, |&i| invalidations[i].time, GAP_SECS) {
            let members: BTreeSet<UserId> = group[run.clone()].iter().map(|&i| invalidations[i].user_id).collect();
            if members.len() < min_users {
                continue;
            }
            let rows: Vec<usize> = group[run].to_vec();
            incidents.push(classify(events, users, invalidations, &rows, &leaked));
        }
    }
    join_flagged(&mut incidents, &leaked, names);
    incidents.extend(leaked_only_bursts(events, &leaked, &incidents, names, min_users));
    incidents.sort_by(|a, b| a.window.start.cmp(&b.window.start).then_with(|| a.id.cmp(&b.id)));
    incidents
}

/// `leakedCredentials` detections: (time, user, event index), time-sorted.
fn leaked_detections(events: &[Event], users: &[Option<UserId>]) -> Vec<(Timestamp, UserId, usize)> {
    events
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            e.kind == Kind::RiskDetection && e.risk.as_ref().is_some_and(|r| r.has_type("leakedCredentials"))
        })
        .filter_map(|(i, e)| users[i].map(|u| (e.time, u, i)))
        .collect()
}

fn note(e: &Event, text: &str) -> Evidence {
    Evidence { origin: e.origin.clone(), time: e.time, note: text.to_string() }
}

fn classify(
    events: &[Event],
    users: &[Option<UserId>],
    invalidations: &mut [Invalidation],
    rows: &[usize],
    leaked: &[(Timestamp, UserId, usize)],
) -> Incident {
    let first = &invalidations[rows[0]];
    let actor = first.initiator.clone();
    let start = rows.iter().map(|&i| invalidations[i].time).min().unwrap_or(first.time);
    let end = rows.iter().map(|&i| invalidations[i].time).max().unwrap_or(first.time);
    let members: BTreeSet<UserId> = rows.iter().map(|&i| invalidations[i].user_id).collect();
    let member_names: Vec<(String, UserId)> =
        rows.iter().map(|&i| (invalidations[i].user.clone(), invalidations[i].user_id)).collect();
    let mut evidence: Vec<Evidence> =
        rows.iter().take(10).flat_map(|&i| invalidations[i].evidence.iter().take(1).cloned()).collect();
    let mut signature = vec![format!(
        "{} users had their refresh tokens invalidated by the same initiator within {} minutes",
        members.len(),
        (end.as_second() - start.as_second()) / 60 + 1
    )];
    let is_app = actor.as_ref().is_some_and(|a| a.kind != ActorKind::User);
    let known = actor.as_ref().is_some_and(is_known_provider);
    let name = actor.as_ref().map(describe).unwrap_or_else(|| "unknown initiator".into());
    signature.push(format!("initiator: {name}"));
    if known {
        signature
            .push(format!("initiator is the Microsoft first-party app MACE Credential Revocation ({MACE_APP_ID})"));
    }
    let sp = sp_created_before(events, actor.as_ref(), start);
    if let Some(i) = sp {
        let e = &events[i];
        signature.push(format!(
            "its service principal was created {} minutes before the first revocation",
            (start.as_second() - e.time.as_second()).max(0) / 60
        ));
        evidence.push(note(e, "audit: service principal created just before the burst"));
    }
    let lo = start.as_second() - 6 * 3600;
    let hi = end.as_second() + AFTER_SECS;
    let flagged: BTreeSet<UserId> = leaked
        .iter()
        .filter(|(t, u, _)| members.contains(u) && (lo..=hi).contains(&t.as_second()))
        .map(|(_, u, _)| *u)
        .collect();
    let leaked_share = flagged.len() as f64 / members.len() as f64;
    if !flagged.is_empty() {
        signature.push(format!("{} of {} members got a leakedCredentials detection", flagged.len(), members.len()));
        evidence.extend(
            leaked
                .iter()
                .filter(|(_, u, _)| flagged.contains(u))
                .take(5)
                .map(|(_, _, i)| note(&events[*i], "risk: leakedCredentials detection")),
        );
    }
    let passwordless = passwordless_members(events, users, &members);
    if passwordless > 0 {
        signature
            .push(format!("{passwordless} members sign in without a password (a leaked password cannot explain them)"));
    }
    let provider = is_app && (known || sp.is_some() || leaked_share >= 0.5);
    let (kind, confidence) = if provider {
        let c = 0.6
            + if known { 0.15 } else { 0.0 }
            + if sp.is_some() { 0.1 } else { 0.0 }
            + 0.1 * leaked_share
            + if passwordless > 0 { 0.04 } else { 0.0 };
        (IncidentKind::ProviderMassRevocation, c.min(0.99))
    } else {
        (IncidentKind::BulkRevocation, 0.8)
    };
    let window = Window { start, end };
    let incident = Incident::new(kind, window, actor, Vec::new(), signature, confidence, member_names, evidence);
    for &i in rows {
        invalidations[i].incident = Some(incident.id.clone());
        if provider {
            invalidations[i].kind = InvalidationKind::ProviderRevocation;
        }
    }
    incident
}

/// A short human name for an actor.
pub(crate) fn describe(a: &Actor) -> String {
    match (&a.name, &a.id) {
        (Some(n), Some(id)) if n != id => format!("{n} ({id})"),
        (Some(n), _) => n.clone(),
        (None, Some(id)) => id.clone(),
        (None, None) => format!("{:?}", a.kind).to_lowercase(),
    }
}

/// A service principal created within a day before `start`, named like the initiator or
/// provisioned just-in-time by the platform.
fn sp_created_before(events: &[Event], actor: Option<&Actor>, start: Timestamp) -> Option<usize> {
    let name = actor.and_then(|a| a.name.as_deref()).map(str::to_ascii_lowercase);
    let lo = start.as_second() - BEFORE_SECS;
    events.iter().enumerate().rev().find_map(|(i, e)| {
        if e.kind != Kind::ServicePrincipalCreated || !(lo..=start.as_second()).contains(&e.time.as_second()) {
            return None;
        }
        let target = e.detail.target.as_deref().map(str::to_ascii_lowercase);
        let same_name = name.is_some() && target == name;
        let jit = e
            .actor
            .as_ref()
            .and_then(|a| a.name.as_deref())
            .is_some_and(|n| n.to_ascii_lowercase().contains("jit provisioning"));
        (same_name || (jit && name.is_none())).then_some(i)
    })
}

/// Members whose successful sign-ins used authentication methods but never a password.
fn passwordless_members(events: &[Event], users: &[Option<UserId>], members: &BTreeSet<UserId>) -> usize {
    let mut methods: BTreeMap<UserId, (bool, bool)> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        let Some(u) = users[i] else { continue };
        if !members.contains(&u)
            || !e.kind.is_user_sign_in()
            || e.outcome != Outcome::Success
            || e.detail.auth_methods.is_empty()
        {
            continue;
        }
        let entry = methods.entry(u).or_default();
        entry.0 = true;
        entry.1 |= e.detail.auth_methods.iter().any(|m| m.to_ascii_lowercase().contains("password"));
    }
    methods.values().filter(|(any, pw)| *any && !*pw).count()
}

/// Bursts of leakedCredentials detections with no revocation burst near them (the audit log was
/// not exported, or the provider did not revoke): still a mass event, with less certainty.
/// Detections near an existing provider incident join it.
fn leaked_only_bursts(
    events: &[Event],
    leaked: &[(Timestamp, UserId, usize)],
    incidents: &[Incident],
    names: &[String],
    min_users: usize,
) -> Vec<Incident> {
    let mut out = Vec::new();
    for run in bursts(leaked, |l| l.0, GAP_SECS) {
        let items = &leaked[run];
        let members: BTreeSet<UserId> = items.iter().map(|l| l.1).collect();
        if members.len() < min_users {
            continue;
        }
        let (start, end) = (items[0].0, items[items.len() - 1].0);
        let near = incidents.iter().any(|inc| {
            inc.kind == IncidentKind::ProviderMassRevocation
                && start.as_second() <= inc.window.end.as_second() + AFTER_SECS
                && end.as_second() >= inc.window.start.as_second() - 6 * 3600
        });
        if near {
            continue;
        }
        let member_names: Vec<(String, UserId)> =
            items.iter().map(|l| (names.get(l.1).cloned().unwrap_or_default(), l.1)).collect();
        let evidence = items.iter().take(10).map(|l| note(&events[l.2], "risk: leakedCredentials detection")).collect();
        let signature = vec![
            format!(
                "{} users got a leakedCredentials detection within {} minutes",
                members.len(),
                (end.as_second() - start.as_second()) / 60 + 1
            ),
            "no matching token-revocation burst in the audit data given".to_string(),
        ];
        out.push(Incident::new(
            IncidentKind::ProviderMassRevocation,
            Window { start, end },
            None,
            Vec::new(),
            signature,
            0.6,
            member_names,
            evidence,
        ));
    }
    out
}

/// Users flagged with leakedCredentials in a provider incident's window belong to it even when
/// their revocation row is missing from the export.
fn join_flagged(incidents: &mut [Incident], leaked: &[(Timestamp, UserId, usize)], names: &[String]) {
    for inc in incidents.iter_mut().filter(|i| i.kind == IncidentKind::ProviderMassRevocation) {
        let lo = inc.window.start.as_second() - 6 * 3600;
        let hi = inc.window.end.as_second() + AFTER_SECS;
        let extra: Vec<(String, UserId)> = leaked
            .iter()
            .filter(|(t, u, _)| (lo..=hi).contains(&t.as_second()) && !inc.has(*u))
            .map(|(_, u, _)| (names.get(*u).cloned().unwrap_or_default(), *u))
            .collect();
        inc.add_members(extra);
    }
}
