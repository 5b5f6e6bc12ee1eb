//! Password sprays: few attempts on many users from the same sources.
//!
//! A spray tries one or two common passwords against many accounts to stay under lockout
//! thresholds, so per user it looks like a typo. Seen from the source it is obvious: one IP, many
//! users, few attempts each, and (unlike an office NAT where people mistype) an IP the targets
//! had never signed in from. Sources active at the same time are one campaign.

use std::collections::{BTreeMap, BTreeSet};

use super::{Incident, IncidentKind, bursts};
use crate::event::{Event, Failure, Kind, Outcome};
use crate::finding::{Evidence, Window};
use crate::identity::UserId;

/// Largest gap between two attempts from one source in one spray.
const GAP_SECS: i64 = 2 * 3600;
/// Fewest users one source must target to be part of a campaign.
const MIN_USERS_PER_SOURCE: usize = 2;
/// More attempts than this on the typical (median) user from one source is brute force against
/// several accounts, not spraying. The median, not the maximum: one account hammered inside a
/// spray does not hide the spray.
const MAX_PER_USER: usize = 10;

/// Whether a failure is a credential guess (as opposed to a policy block or token problem), in
/// any system: Entra sign-ins, Windows logons, Kerberos pre-authentication, NTLM validation.
pub fn is_guess(e: &Event) -> bool {
    e.kind.is_auth_attempt()
        && e.outcome == Outcome::Failure
        && matches!(e.failure, Some(Failure::BadPassword | Failure::UnknownUser | Failure::Locked))
}

/// Whether an event is an attempt that can belong to a spray: a guess, or a logon with explicit
/// credentials (4648 is logged on the attacking client, with no outcome: its spread over many
/// accounts is the signal).
pub fn is_spray_attempt(e: &Event) -> bool {
    let tried = e.kind.is_auth_attempt()
        && e.outcome == Outcome::Failure
        && matches!(e.failure, Some(Failure::Disabled | Failure::PasswordExpired));
    is_guess(e) || tried || (e.kind == Kind::ExplicitCredential && e.outcome != Outcome::Success)
}

/// Finds spray campaigns.
pub fn find(events: &[Event], users: &[Option<UserId>], names: &[String], min_users: usize) -> Vec<Incident> {
    let mut by_ip: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut successes: BTreeMap<(&str, UserId), Vec<i64>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        let (Some(ip), Some(u)) = (e.attempt_source(), users[i]) else { continue };
        if is_spray_attempt(e) {
            by_ip.entry(ip).or_default().push(i);
        } else if e.kind.is_auth_attempt() && e.outcome == Outcome::Success {
            successes.entry((ip, u)).or_default().push(e.time.as_second());
        }
    }
    let mut campaigns: Vec<Campaign> = Vec::new();
    for (ip, rows) in &by_ip {
        for run in bursts(rows, |&i| events[i].time, GAP_SECS) {
            let rows = &rows[run];
            let mut per_user: BTreeMap<UserId, Vec<usize>> = BTreeMap::new();
            for &i in rows {
                if let Some(u) = users[i] {
                    per_user.entry(u).or_default().push(i);
                }
            }
            // Not a target from this IP: a user for whom it was already a known IP (a success
            // from it before the failures), like an office NAT where people mistype. A first-ever
            // success right after a failure is how a spray that worked looks, so it does not count.
            let own = |u: UserId, attempts: &[usize]| {
                let first = attempts.iter().map(|&i| events[i].time.as_second()).min().unwrap_or(0);
                successes.get(&(*ip, u)).is_some_and(|s| s.iter().any(|&x| x < first))
            };
            let targets: BTreeSet<UserId> = per_user.iter().filter(|(u, a)| !own(**u, a)).map(|(u, _)| *u).collect();
            let mut per: Vec<usize> = per_user.values().map(Vec::len).collect();
            per.sort_unstable();
            let median_per_user = per.get(per.len() / 2).copied().unwrap_or(0);
            // One IP may hit only a few users of a small tenant; campaigns are judged after the
            // sources active at the same time are merged.
            if targets.len() < MIN_USERS_PER_SOURCE || median_per_user > MAX_PER_USER {
                continue;
            }
            let rows: Vec<usize> =
                rows.iter().copied().filter(|i| users[*i].is_some_and(|u| targets.contains(&u))).collect();
            let window = Window { start: events[rows[0]].time, end: events[rows[rows.len() - 1]].time };
            campaigns.push((window, BTreeSet::from([ip.to_string()]), targets, rows));
        }
    }
    merge_overlapping(campaigns)
        .into_iter()
        .filter(|(_, _, members, _)| members.len() >= min_users)
        .map(|(window, sources, members, rows)| {
            let attempts = rows.len();
            let per_user = attempts as f64 / members.len().max(1) as f64;
            let signature = vec![
                format!(
                    "{} failed sign-ins against {} users from {} source(s)",
                    attempts,
                    members.len(),
                    sources.len()
                ),
                format!("{per_user:.1} attempts per user on average: under lockout thresholds, the mark of a spray"),
                format!("sources: {}", sources.iter().cloned().collect::<Vec<_>>().join(", ")),
            ];
            let evidence = rows
                .iter()
                .take(crate::finding::MAX_EVIDENCE)
                .map(|&i| {
                    let e = &events[i];
                    Evidence {
                        origin: e.origin.clone(),
                        time: e.time,
                        note: format!(
                            "failed sign-in ({}) from {}",
                            e.code.as_deref().unwrap_or("?"),
                            e.ip.as_deref().unwrap_or("?")
                        ),
                    }
                })
                .collect();
            let confidence = 0.7 + 0.05 * (sources.len() as f64 - 1.0) + if members.len() >= 20 { 0.1 } else { 0.0 };
            let members: Vec<(String, UserId)> =
                members.iter().map(|&u| (names.get(u).cloned().unwrap_or_default(), u)).collect();
            Incident::new(
                IncidentKind::PasswordSpray,
                window,
                None,
                sources.into_iter().collect(),
                signature,
                confidence.min(0.95),
                members,
                evidence,
            )
        })
        .collect()
}

type Campaign = (Window, BTreeSet<String>, BTreeSet<UserId>, Vec<usize>);

/// Sources whose activity overlaps in time (within an hour) form one campaign.
fn merge_overlapping(mut campaigns: Vec<Campaign>) -> Vec<Campaign> {
    campaigns.sort_by(|a, b| a.0.start.cmp(&b.0.start).then_with(|| a.1.cmp(&b.1)));
    let mut out: Vec<Campaign> = Vec::new();
    for c in campaigns {
        match out.last_mut() {
            Some(last) if c.0.start.as_second() <= last.0.end.as_second() + 3600 => {
                if c.0.end > last.0.end {
                    last.0.end = c.0.end;
                }
                last.1.extend(c.1);
                last.2.extend(c.2);
                last.3.extend(c.3);
                last.3.sort_unstable();
            }
            _ => out.push(c),
        }
    }
    out
}
