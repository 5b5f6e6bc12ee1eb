//! The [`Case`]: everything one investigation concluded, and [`analyse`], which builds it.
//!
//! `analyse` runs stages 2 and 3 over the events stage 1 ([`crate::ingest`]) read: identities,
//! token invalidations, incidents across users, then the rules per user (in parallel) and one
//! explanation per affected user. Every list in the case is sorted, so the same input gives the
//! same case whatever the thread count.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::event::{Event, Failure, Kind};
use crate::finding::Finding;
use crate::identity::{Resolver, UserId};
use crate::incident::{self, Incident};
use crate::ingest::{Ingested, Totals};
use crate::invalidation::{self, Invalidation};
use crate::leak::Sighting;
pub use crate::rules::account_lockout::Policy as LockoutPolicy;
use crate::rules::{self, UserCtx};
use crate::source::FileReport;
use crate::timeline::{self, Baseline};
use crate::verdict::{self, AffectedUser, Counts};

/// Version of the output schemas (docs/schemas.md). Bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// The default of [`Settings::max_events_per_user`].
pub const DEFAULT_MAX_EVENTS_PER_USER: usize = 5_000_000;

/// Tunable thresholds.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// Fewest users a mass revocation must hit within its window.
    pub min_mass_users: usize,
    /// Fewest users a password spray must target.
    pub min_spray_users: usize,
    /// The Active Directory lockout policy, to reconstruct lockout counters.
    pub lockout: LockoutPolicy,
    /// The Linux pam_faillock policy (`deny`, `fail_interval`, `unlock_time`).
    pub faillock: LockoutPolicy,
    /// The most events kept per identity, earliest first; the rest are dropped and counted in
    /// [`Case::overflow`], so a flood against one account cannot exhaust the analysis.
    pub max_events_per_user: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            min_mass_users: 5,
            min_spray_users: 5,
            lockout: LockoutPolicy::default(),
            faillock: LockoutPolicy::FAILLOCK_DEFAULT,
            max_events_per_user: DEFAULT_MAX_EVENTS_PER_USER,
        }
    }
}

/// The result of an investigation.
#[derive(Debug)]
pub struct Case {
    /// Thresholds used.
    pub settings: Settings,
    /// Totals over the inputs.
    pub totals: Totals,
    /// Per-stream reports (unreadable records with positions).
    pub files: Vec<FileReport>,
    /// Inputs that could not be opened.
    pub input_errors: Vec<String>,
    /// Duplicate records dropped.
    pub duplicates: u64,
    /// Users resolved in all.
    pub identities: usize,
    /// Affected users, sorted by user.
    pub users: Vec<AffectedUser>,
    /// Findings, sorted by user then rule.
    pub findings: Vec<Finding>,
    /// Incidents across users, by start time.
    pub incidents: Vec<Incident>,
    /// Token invalidations, by time.
    pub invalidations: Vec<Invalidation>,
    /// Secrets and tokens found in the inputs (never the values: fingerprints).
    pub secrets: Vec<Sighting>,
    /// All events, sorted by (time, origin).
    pub events: Vec<Event>,
    /// The resolved identity of each event (index into `names`), parallel to `events`.
    pub event_users: Vec<Option<UserId>>,
    /// Identity display names, indexed by `UserId`.
    pub names: Vec<String>,
    /// Identities that had more events than [`Settings::max_events_per_user`], by name.
    pub overflow: Vec<Overflow>,
}

/// The events of one identity dropped over [`Settings::max_events_per_user`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Overflow {
    /// The identity.
    pub user: String,
    /// Events kept (the cap).
    pub kept: u64,
    /// Events dropped.
    pub dropped: u64,
    /// The time of the first event dropped: the identity's analysis ends there.
    #[serde(serialize_with = "crate::time::serialize")]
    pub from: jiff::Timestamp,
}

/// Keeps at most `cap` events per identity, the earliest (events are time-sorted); returns, per
/// identity over the cap, how many were dropped and the time of the first.
fn cap_per_user(
    events: &mut Vec<Event>,
    users: &mut Vec<Option<UserId>>,
    cap: usize,
) -> BTreeMap<UserId, (u64, jiff::Timestamp)> {
    let mut dropped: BTreeMap<UserId, (u64, jiff::Timestamp)> = BTreeMap::new();
    if events.len() <= cap {
        return dropped;
    }
    let mut seen: std::collections::HashMap<UserId, usize> = std::collections::HashMap::new();
    let keep: Vec<bool> = events
        .iter()
        .zip(users.iter())
        .map(|(e, u)| {
            let Some(u) = *u else { return true };
            let n = seen.entry(u).or_default();
            *n += 1;
            if *n <= cap {
                return true;
            }
            dropped.entry(u).or_insert((0, e.time)).0 += 1;
            false
        })
        .collect();
    if !dropped.is_empty() {
        let mut k = keep.iter();
        events.retain(|_| *k.next().unwrap_or(&true));
        let mut k = keep.iter();
        users.retain(|_| *k.next().unwrap_or(&true));
    }
    dropped
}

/// Keeps only the latest risky-user snapshot per user (Log Analytics `AADRiskyUsers` is a stream
/// of snapshots; formats.md §4.3: `arg_max(TimeGenerated, *)`).
fn latest_snapshots(events: &mut Vec<Event>, users: &mut Vec<Option<UserId>>) {
    let mut latest: BTreeMap<UserId, usize> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        if e.kind == Kind::RiskState
            && e.detail.category.as_deref() == Some("riskyUser")
            && let Some(u) = users[i]
        {
            latest.insert(u, i); // events are time-sorted: the last one wins
        }
    }
    let keep: Vec<bool> = events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            !(e.kind == Kind::RiskState && e.detail.category.as_deref() == Some("riskyUser"))
                || users[i].is_none_or(|u| latest.get(&u) == Some(&i))
        })
        .collect();
    let mut k = keep.iter();
    events.retain(|_| *k.next().unwrap_or(&true));
    let mut k = keep.iter();
    users.retain(|_| *k.next().unwrap_or(&true));
}

/// A domain controller answers the Kerberos requests of a *locked* account with
/// `KDC_ERR_CLIENT_REVOKED` (0x12), the same code as for a disabled one, without checking the
/// password. Between a 4740 and the unlock (4767, a success, or the end of the lockout duration),
/// those failures are the lock, not a disabled account.
fn locked_not_disabled(events: &mut [Event], users: &[Option<UserId>], policy: LockoutPolicy) {
    let mut locked_until: BTreeMap<UserId, i64> = BTreeMap::new();
    for (e, u) in events.iter_mut().zip(users) {
        let Some(u) = *u else { continue };
        let t = e.time.as_second();
        match e.kind {
            Kind::Lockout => {
                let until = if policy.duration == 0 { i64::MAX } else { t + policy.duration };
                locked_until.insert(u, until);
            }
            Kind::AccountUnlocked => {
                locked_until.remove(&u);
            }
            _ if e.kind.is_auth_attempt() && e.outcome == crate::event::Outcome::Success => {
                locked_until.remove(&u);
            }
            Kind::KerberosTicket | Kind::KerberosPreauth
                if e.failure == Some(Failure::Disabled) && locked_until.get(&u).is_some_and(|&until| t <= until) =>
            {
                e.failure = Some(Failure::Locked);
            }
            _ => {}
        }
    }
}

/// Records on `user` the latest risky-user record (snapshot or history item) among `events`
/// (time-ordered): what Identity Protection said about the user when the logs end.
fn risk_snapshot<'a>(user: &mut AffectedUser, events: impl Iterator<Item = &'a Event>) {
    let latest =
        events.filter(|e| e.kind == Kind::RiskState).filter_map(|e| e.risk.as_ref().map(|r| (e.time, r))).last();
    if let Some((time, risk)) = latest {
        user.risk_state.clone_from(&risk.state);
        user.risk_level.clone_from(&risk.level);
        user.risk_as_of = Some(time);
    }
}

/// Names the owner of each leaked token whose event joined an identity.
fn name_owners(secrets: &mut [Sighting], events: &[Event], users: &[Option<UserId>], names: &[String]) {
    for (e, user) in events.iter().zip(users) {
        if e.kind != Kind::TokenLeaked {
            continue;
        }
        let Some(user) = user else { continue };
        for s in
            secrets.iter_mut().filter(|s| s.origin == e.origin && Some(&s.fingerprint) == e.detail.fingerprint.as_ref())
        {
            s.owner = Some(names[*user].clone());
        }
    }
}

/// Runs the analysis over ingested events. `mapping` is a resolver pre-loaded with an identity
/// mapping file, if one was given.
pub fn analyse(ingested: Ingested, settings: &Settings, mapping: Option<Resolver>) -> Case {
    let totals = ingested.totals();
    let Ingested { mut events, files, errors, duplicates, mut secrets } = ingested;
    let mut mapping = mapping;
    let (resolver, mut users) = Resolver::resolve_all(&events, mapping.as_mut());
    latest_snapshots(&mut events, &mut users);
    let dropped = cap_per_user(&mut events, &mut users, settings.max_events_per_user.max(1));
    locked_not_disabled(&mut events, &users, settings.lockout);
    let identities = resolver.identities();
    let names: Vec<String> = identities.iter().map(|i| i.user.clone()).collect();
    let cap = settings.max_events_per_user.max(1) as u64;
    let overflow = dropped
        .into_iter()
        .map(|(u, (n, from))| {
            tracing::warn!("{}: {n} events over the cap of {cap} per identity dropped, from {from} on", names[u]);
            Overflow { user: names[u].clone(), kept: cap, dropped: n, from }
        })
        .collect();
    name_owners(&mut secrets, &events, &users, &names);

    let mut invalidations = invalidation::collect(&events, &users, &names);
    let mut incidents =
        incident::find_mass_revocations(&events, &users, &names, &mut invalidations, settings.min_mass_users);
    incidents.extend(incident::find_sprays(&events, &users, &names, settings.min_spray_users));
    incidents.sort_by(|a, b| a.window.start.cmp(&b.window.start).then_with(|| a.id.cmp(&b.id)));

    let timelines = timeline::build(&users, identities.len());
    let explained: Vec<(Vec<Finding>, Option<AffectedUser>)> = timelines
        .par_iter()
        .map(|tl| {
            let ctx = UserCtx {
                user: tl.user,
                name: &identities[tl.user].user,
                aliases: &identities[tl.user].aliases,
                events: &events,
                timeline: &tl.events,
                baseline: Baseline::of(&events, tl),
                incidents: incidents.iter().filter(|i| i.has(tl.user)).collect(),
                invalidations: invalidations.iter().filter(|i| i.user_id == tl.user).collect(),
                settings,
            };
            let findings: Vec<Finding> = rules::ALL.iter().filter_map(|r| r.evaluate(&ctx)).collect();
            if findings.is_empty() {
                return (findings, None);
            }
            let counts = Counts::of(tl.events.iter().map(|&i| &events[i]));
            let mut user = verdict::explain(&identities[tl.user], &findings, &ctx.incidents, counts);
            if let Some(u) = user.as_mut() {
                risk_snapshot(u, tl.events.iter().map(|&i| &events[i]));
            }
            (findings, user)
        })
        .collect();
    let mut findings = Vec::new();
    let mut affected = Vec::new();
    for (f, u) in explained {
        findings.extend(f);
        affected.extend(u);
    }
    affected.sort_by(|a, b| a.user.cmp(&b.user));
    findings.sort_by(|a, b| a.users.cmp(&b.users).then_with(|| a.rule.cmp(&b.rule)).then_with(|| a.id.cmp(&b.id)));
    Case {
        settings: settings.clone(),
        totals,
        files,
        input_errors: errors,
        duplicates,
        identities: identities.len(),
        users: affected,
        findings,
        incidents,
        invalidations,
        secrets,
        events,
        event_users: users,
        names,
        overflow,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::event::{Origin, Outcome, Position, Principal};

    fn failure(user: &str, second: i64) -> Event {
        let origin = Origin::new(&Arc::from("f.json"), Position::Line(second as u64 + 1));
        let time = jiff::Timestamp::from_second(1_745_000_000 + second).expect("time");
        let mut e = Event::new(time, Kind::SignIn, origin);
        e.user = Some(Principal { name: Some(user.into()), ..Principal::default() });
        e.outcome = Outcome::Failure;
        e
    }

    #[test]
    fn events_over_the_per_user_cap_are_dropped_and_counted() {
        let mut events: Vec<Event> = (0..10).map(|i| failure("flood@contoso.com", i)).collect();
        events.extend((0..2).map(|i| failure("quiet@contoso.com", 100 + i)));
        let settings = Settings { max_events_per_user: 4, ..Settings::default() };
        let case = analyse(Ingested { events, ..Ingested::default() }, &settings, None);
        assert_eq!(case.events.len(), 6);
        assert_eq!(
            case.overflow,
            [Overflow {
                user: "flood@contoso.com".into(),
                kept: 4,
                dropped: 6,
                from: jiff::Timestamp::from_second(1_745_000_004).expect("time"),
            }]
        );
        // The default cap is far above any real tenant's volume per user.
        let case =
            analyse(Ingested { events: vec![failure("a@b.c", 0)], ..Ingested::default() }, &Settings::default(), None);
        assert!(case.overflow.is_empty());
    }
}
