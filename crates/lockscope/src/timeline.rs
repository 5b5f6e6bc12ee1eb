//! Per-user timelines and what is normal for each user.
//!
//! A [`Timeline`] is the time-ordered list of one identity's events. Its [`Baseline`] says which
//! countries, IPs and devices the user normally succeeds from: a success is "familiar" when its
//! country, IP or device is seen in successes on other days too. Rules use it to tell a phone
//! with an old password (familiar) from an attacker (new).

use std::collections::{BTreeMap, BTreeSet};

use crate::event::{Event, Outcome};
use crate::identity::UserId;

/// One user's events, as indices into the sorted event list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    /// The identity.
    pub user: UserId,
    /// Event indices, ascending (events are sorted by time, so this is time order).
    pub events: Vec<usize>,
}

/// Groups event indices by resolved user.
pub fn build(users: &[Option<UserId>], count: usize) -> Vec<Timeline> {
    let mut lists: Vec<Vec<usize>> = vec![Vec::new(); count];
    for (i, u) in users.iter().enumerate() {
        if let Some(u) = u {
            lists[*u].push(i);
        }
    }
    lists.into_iter().enumerate().map(|(user, events)| Timeline { user, events }).collect()
}

/// What a user's successful sign-ins look like.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    /// Country → days with a success from it.
    pub countries: BTreeMap<String, BTreeSet<i32>>,
    /// IP → days with a success from it.
    pub ips: BTreeMap<String, BTreeSet<i32>>,
    /// Device key → days with a success from it.
    pub devices: BTreeMap<String, BTreeSet<i32>>,
    /// Windows attempt source (client IP or workstation) → days with a success from it.
    pub sources: BTreeMap<String, BTreeSet<i32>>,
    /// Successful sign-ins in all.
    pub successes: usize,
    /// Countries whose first success came from an IP and a device never seen before, after the
    /// user had an established history: a new place, judged when it first appeared (so an
    /// attacker who comes back the next day does not become "familiar").
    pub novel_countries: BTreeSet<String>,
}

/// Per country: successes, successes from an identified device, and those devices.
#[derive(Default)]
struct CountryUse {
    successes: usize,
    identified: usize,
    devices: BTreeSet<String>,
}

/// Countries that look foreign to the user over the whole window, for places that appeared too
/// early to be judged at first appearance. A country qualifies when it is a minority with enough
/// successes from other countries, shares no identified device with them, and either is a clear
/// minority (at most a quarter) or never shows an identified device while most other successes
/// do (an attacker replaying a token has no registered device). Thin or balanced histories give
/// no verdict: travel and home look alike there.
fn early_strangers(per_country: &BTreeMap<String, CountryUse>) -> Vec<String> {
    let total: usize = per_country.values().map(|c| c.successes).sum();
    let identified: usize = per_country.values().map(|c| c.identified).sum();
    per_country
        .iter()
        .filter(|(name, c)| {
            let elsewhere = total - c.successes;
            let identified_elsewhere = identified - c.identified;
            let shared = per_country.iter().any(|(o, oc)| o != *name && !oc.devices.is_disjoint(&c.devices));
            let anonymous = c.identified == 0 && identified_elsewhere * 2 >= elsewhere;
            elsewhere >= MIN_HISTORY
                && c.successes < elsewhere
                && !shared
                && (c.successes * 3 <= elsewhere || anonymous)
        })
        .map(|(name, _)| name.clone())
        .collect()
}

/// Successes needed before a new place means anything.
pub const MIN_HISTORY: usize = 3;

/// A device identity that names one machine (its id or name), not a generic OS/browser pair
/// that thousands of machines share.
fn device_identity(e: &Event) -> Option<String> {
    e.device.as_ref().and_then(|d| d.id.clone().or_else(|| d.name.clone()))
}

/// The day number of an event, for counting distinct days.
fn day(e: &Event) -> i32 {
    i32::try_from(e.time.as_second().div_euclid(86_400)).unwrap_or(0)
}

impl Baseline {
    /// Builds the baseline from a user's events.
    pub fn of(events: &[Event], timeline: &Timeline) -> Self {
        let mut b = Baseline::default();
        let (mut seen_ips, mut seen_devices) = (BTreeSet::new(), BTreeSet::new());
        // Per country: successes, and the identified devices used from it.
        let mut per_country: BTreeMap<String, CountryUse> = BTreeMap::new();
        for &i in &timeline.events {
            let e = &events[i];
            if !e.kind.is_auth_attempt() || e.outcome != Outcome::Success {
                continue;
            }
            let country = e.location.as_ref().and_then(|l| l.country.as_ref()).map(|c| c.to_ascii_uppercase());
            let device = device_identity(e);
            if let Some(c) = &country {
                let new_country = !b.countries.contains_key(c);
                let new_ip = e.ip.as_ref().is_none_or(|ip| !seen_ips.contains(ip));
                let new_device = device.as_ref().is_none_or(|d| !seen_devices.contains(d));
                if b.successes >= MIN_HISTORY && new_country && new_ip && new_device {
                    b.novel_countries.insert(c.clone());
                }
            }
            if let Some(c) = &country {
                let entry = per_country.entry(c.clone()).or_default();
                entry.successes += 1;
                entry.identified += usize::from(device.is_some());
                entry.devices.extend(device.clone());
            }
            seen_ips.extend(e.ip.clone());
            seen_devices.extend(device);
            b.successes += 1;
            let d = day(e);
            if let Some(c) = e.location.as_ref().and_then(|l| l.country.clone()) {
                b.countries.entry(c.to_ascii_uppercase()).or_default().insert(d);
            }
            if let Some(ip) = &e.ip {
                b.ips.entry(ip.clone()).or_default().insert(d);
            }
            if let Some(k) = e.device.as_ref().and_then(|d| d.key()) {
                b.devices.entry(k).or_default().insert(d);
            }
            if let (Some(src), Some(_)) = (e.attempt_source(), e.detail.event_id) {
                b.sources.entry(src.to_ascii_lowercase()).or_default().insert(d);
            }
        }
        b.novel_countries.extend(early_strangers(&per_country));
        b
    }

    /// Whether a sign-in comes from somewhere this user is known to use: its IP or device was
    /// seen in successes on a day other than its own, or on two or more days.
    pub fn is_familiar(&self, e: &Event) -> bool {
        let d = day(e);
        let seen_elsewhere =
            |days: Option<&BTreeSet<i32>>| days.is_some_and(|s| s.iter().any(|x| *x != d) || s.len() >= 2);
        let ip = e.ip.as_ref().is_some_and(|ip| seen_elsewhere(self.ips.get(ip)));
        let dev = e.device.as_ref().and_then(|d| d.key()).is_some_and(|k| seen_elsewhere(self.devices.get(&k)));
        let src = e.detail.event_id.is_some()
            && e.attempt_source().is_some_and(|s| seen_elsewhere(self.sources.get(&s.to_ascii_lowercase())));
        ip || dev || src
    }

    /// Whether the sign-in comes from a new place: a country that first appeared, after an
    /// established history, with an IP and a device the user had never used.
    pub fn is_novel(&self, e: &Event) -> bool {
        e.location
            .as_ref()
            .and_then(|l| l.country.as_ref())
            .is_some_and(|c| self.novel_countries.contains(&c.to_ascii_uppercase()))
    }

    /// Whether the sign-in's country is one the user has succeeded from on another day.
    /// Unknown country counts as familiar: absence of data is not an indicator.
    pub fn is_familiar_country(&self, e: &Event) -> bool {
        let Some(c) = e.location.as_ref().and_then(|l| l.country.as_ref()) else { return true };
        let d = day(e);
        self.countries.get(&c.to_ascii_uppercase()).is_some_and(|s| s.iter().any(|x| *x != d))
    }
}
