//! The simulated tenant: users, their devices and home addresses, the Conditional Access
//! policy set, resource service principals, and the attackers' sources.

use crate::apps::Res;
use crate::clock::{DAY, Tick};
use crate::config::Config;
use crate::geo::{self, City};
use crate::ids::{self, Domain, Guid, Keys};
use crate::names;
use rand::Rng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;

/// The tenant's verified domain.
pub(crate) const DOMAIN: &str = "contoso.com";

/// What kind of device a user has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DevKind {
    WindowsPc,
    Mac,
    IPhone,
    Android,
    /// A tablet whose native mail app polls Exchange ActiveSync with a saved password.
    LegacyMail,
}

/// One of a user's devices.
#[derive(Clone, Debug)]
pub(crate) struct Device {
    pub id: Guid,
    pub name: String,
    pub kind: DevKind,
    pub os: &'static str,
    pub browser: &'static str,
    pub trust: &'static str,
    pub managed: bool,
    pub compliant: bool,
    /// Polling interval of a legacy mail app, minutes (0 for other devices).
    pub poll_minutes: u16,
    /// Phase of the polling schedule, in ticks.
    pub poll_phase: Tick,
}

/// A member of the tenant.
#[derive(Clone, Debug)]
pub(crate) struct User {
    pub oid: Guid,
    /// Lowercase, as Graph stores it.
    pub upn: String,
    /// As typed at creation (`Ana.Silva@contoso.com`) for some users; Log Analytics and audit
    /// rows show this form, which tests case-insensitive joins.
    pub upn_cased: Option<String>,
    pub display: String,
    pub city: u16,
    pub ip: u32,
    pub devices: Vec<Device>,
    /// Signs in with FIDO2 keys or Windows Hello only, never a password.
    pub passwordless: bool,
    pub admin: bool,
    /// `StsRefreshTokensValidFrom` before the window (last password set).
    pub tokens_valid_from: Tick,
}

impl User {
    pub(crate) fn home(&self) -> &'static City {
        &geo::HOME[usize::from(self.city)]
    }

    /// The UPN as Log Analytics and audit rows spell it.
    pub(crate) fn upn_logged(&self) -> &str {
        self.upn_cased.as_deref().unwrap_or(&self.upn)
    }
}

/// An attacker's source: address, place and client.
#[derive(Clone, Debug)]
pub(crate) struct Foreign {
    pub city: u16,
    pub ip: u32,
    pub os: &'static str,
    pub browser: &'static str,
    pub user_agent: &'static str,
}

impl Foreign {
    pub(crate) fn place(&self) -> &'static City {
        &geo::FOREIGN[usize::from(self.city)]
    }
}

/// Conditional Access policies the tenant may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PolicyKind {
    BlockHighUserRisk,
    MfaAllUsers,
    MfaAzureManagement,
    BlockLegacyReportOnly,
    SignInFrequencyUnmanaged,
}

impl PolicyKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            PolicyKind::BlockHighUserRisk => "Block high user risk",
            PolicyKind::MfaAllUsers => "Require MFA for all users",
            PolicyKind::MfaAzureManagement => "Require MFA for Azure management",
            PolicyKind::BlockLegacyReportOnly => "Block legacy authentication",
            PolicyKind::SignInFrequencyUnmanaged => "Sign-in frequency for unmanaged devices",
        }
    }

    pub(crate) fn grant(self) -> &'static [&'static str] {
        match self {
            PolicyKind::BlockHighUserRisk | PolicyKind::BlockLegacyReportOnly => &["Block"],
            PolicyKind::MfaAllUsers | PolicyKind::MfaAzureManagement => &["Mfa"],
            PolicyKind::SignInFrequencyUnmanaged => &[],
        }
    }

    pub(crate) fn session(self) -> &'static [&'static str] {
        match self {
            PolicyKind::SignInFrequencyUnmanaged => &["SignInFrequency"],
            _ => &[],
        }
    }
}

/// A Conditional Access policy of the tenant.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Policy {
    pub id: Guid,
    pub kind: PolicyKind,
}

/// The app that revokes tokens en masse in the provider scenario.
#[derive(Clone, Debug)]
pub(crate) struct Provider {
    pub app_id: Option<&'static str>,
    /// The app id the service principal was created for (also set when `app_id` is not logged).
    pub sp_app_id: &'static str,
    pub name: &'static str,
    pub sp_id: Guid,
}

/// Everything rendering needs to know about the tenant.
#[derive(Debug)]
pub(crate) struct Tenant {
    pub keys: Keys,
    pub id: Guid,
    pub users: Vec<User>,
    pub admins: Vec<u32>,
    pub policies: Vec<Policy>,
    pub resource_sp: [Guid; Res::COUNT],
    pub foreign: Vec<Foreign>,
    pub provider: Option<Provider>,
    /// `/tenants/<id>/providers/Microsoft.aadiam`.
    pub resource_path: String,
}

/// Object-id keys; distinct from every record key (those are below 2^63 or have bit 63 set
/// with a small counter).
const OBJ: u64 = 0x7f00_0000_0000_0000;
/// Tenant-level objects (tenant, resources, policies); user and device keys stay below 2^36.
const TENANT_OBJ: u64 = OBJ | 1 << 50;
/// Objects named by scenarios (`Tenant::object_id`).
const NAMED_OBJ: u64 = OBJ | 1 << 51;

impl Tenant {
    pub(crate) fn user(&self, i: u32) -> &User {
        &self.users[i as usize]
    }

    pub(crate) fn foreign(&self, i: u16) -> &Foreign {
        &self.foreign[usize::from(i)]
    }

    /// Adds an attacker source in a random foreign city (avoiding `avoid` cities) and returns
    /// its index.
    pub(crate) fn add_foreign(&mut self, rng: &mut ChaCha8Rng, avoid: &[u16]) -> u16 {
        let choices: Vec<u16> = (0..geo::FOREIGN.len() as u16).filter(|c| !avoid.contains(c)).collect();
        let city = choices.choose(rng).copied().unwrap_or_else(|| rng.gen_range(0..geo::FOREIGN.len() as u16));
        let ip = geo::address(&geo::FOREIGN[usize::from(city)], rng.r#gen());
        let (os, browser, user_agent) = *[
            (
                "Windows 10",
                "Firefox 125.0",
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
            ),
            (
                "Linux",
                "Chrome 123.0.0",
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36",
            ),
            (
                "MacOs",
                "Safari 16.6",
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Safari/605.1.15",
            ),
        ]
        .choose(rng)
        .unwrap_or(&("Linux", "Chrome 123.0.0", "Mozilla/5.0"));
        self.foreign.push(Foreign { city, ip, os, browser, user_agent });
        (self.foreign.len() - 1) as u16
    }

    /// A directory object id for a named object (`what`) of the tenant.
    pub(crate) fn object_id(&self, what: u64) -> Guid {
        self.keys.guid(Domain::Object, NAMED_OBJ | what)
    }
}

/// Picks an item with probability proportional to its weight.
pub(crate) fn weighted<T: Copy>(rng: &mut ChaCha8Rng, items: &[(T, u32)]) -> Option<T> {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    if total == 0 {
        return None;
    }
    let mut r = rng.gen_range(0..total);
    for (item, w) in items {
        if r < *w {
            return Some(*item);
        }
        r -= w;
    }
    None
}

fn device(rng: &mut ChaCha8Rng, keys: &Keys, user: u64, n: u64, kind: DevKind, first: &str) -> Device {
    let id = keys.guid(Domain::Object, OBJ | (user << 8) | (n + 1));
    let tag = {
        let mut v = ids::mix(user << 8 | n);
        let mut s = String::with_capacity(7);
        for _ in 0..7 {
            s.push(char::from(b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789"[(v % 32) as usize]));
            v /= 32;
        }
        s
    };
    let (name, os, browser, trust, managed, compliant) = match kind {
        DevKind::WindowsPc => {
            let prefix = if rng.gen_bool(0.5) { "DESKTOP" } else { "LT" };
            let trust = if rng.gen_bool(0.6) { "Azure AD joined" } else { "Hybrid Azure AD joined" };
            (format!("{prefix}-{tag}"), "Windows 10", "Edge 124.0.0", trust, true, true)
        }
        DevKind::Mac => {
            (format!("{first}'s MacBook Pro"), "MacOs", "Chrome 124.0.0", "Azure AD registered", true, true)
        }
        DevKind::IPhone => {
            ("iPhone".to_string(), "Ios 17.4.1", "Mobile Safari 17.4", "Azure AD registered", false, false)
        }
        DevKind::Android => {
            let model = if rng.gen_bool(0.5) { "Pixel 7" } else { "SM-S911B" };
            (model.to_string(), "Android 14", "Chrome Mobile 124.0.6367", "Azure AD registered", false, false)
        }
        DevKind::LegacyMail => {
            (format!("{first}'s iPad"), "Ios 15.8", "Mobile Safari 15.8", "Azure AD registered", false, false)
        }
    };
    Device { id, name, kind, os, browser, trust, managed, compliant, poll_minutes: 0, poll_phase: 0 }
}

/// Adds a legacy mail device to `user` polling every `minutes`, and returns its index.
pub(crate) fn add_legacy_mail(t: &mut Tenant, rng: &mut ChaCha8Rng, user: u32, minutes: u16) -> u8 {
    let keys = t.keys;
    let u = &mut t.users[user as usize];
    let first = u.display.split(' ').next().unwrap_or("User").to_string();
    let n = u.devices.len() as u64;
    let mut d = device(rng, &keys, u64::from(user), n, DevKind::LegacyMail, &first);
    d.poll_minutes = minutes;
    d.poll_phase = rng.gen_range(0..Tick::from(minutes) * crate::clock::MINUTE);
    u.devices.push(d);
    (u.devices.len() - 1) as u8
}

/// Builds the tenant for `cfg`, before any scenario touches it.
pub(crate) fn build(cfg: &Config, start: Tick) -> Tenant {
    let keys = Keys::new(cfg.seed);
    let mut rng = ids::rng(cfg.seed, 1, 0, 0);
    let home_weights: Vec<(u16, u32)> = geo::HOME.iter().enumerate().map(|(i, c)| (i as u16, c.weight)).collect();
    let mut taken: HashMap<String, u32> = HashMap::new();
    let mut users = Vec::with_capacity(cfg.users);
    for i in 0..cfg.users as u64 {
        let first = names::FIRST[rng.gen_range(0..names::FIRST.len())];
        let last = names::LAST[rng.gen_range(0..names::LAST.len())];
        let base = format!("{first}.{last}");
        // Membership only: a HashMap's iteration order never reaches the output.
        let count = taken.entry(base.to_ascii_lowercase()).or_insert(0);
        *count += 1;
        let local = if *count == 1 { base } else { format!("{base}{count}") };
        let upn = format!("{}@{DOMAIN}", local.to_ascii_lowercase());
        let upn_cased = rng.gen_bool(0.12).then(|| format!("{local}@{DOMAIN}"));
        let city = weighted(&mut rng, &home_weights).unwrap_or(0);
        let ip = geo::address(&geo::HOME[usize::from(city)], rng.r#gen());
        let mut devices = Vec::with_capacity(3);
        let primary = if rng.gen_bool(0.7) { DevKind::WindowsPc } else { DevKind::Mac };
        devices.push(device(&mut rng, &keys, i, 0, primary, first));
        if rng.gen_bool(0.85) {
            let phone = if rng.gen_bool(0.6) { DevKind::IPhone } else { DevKind::Android };
            devices.push(device(&mut rng, &keys, i, 1, phone, first));
        }
        if rng.gen_bool(0.15) {
            let n = devices.len() as u64;
            devices.push(device(&mut rng, &keys, i, n, DevKind::WindowsPc, first));
        }
        users.push(User {
            oid: keys.guid(Domain::Object, OBJ | (i << 8)),
            upn,
            upn_cased,
            display: format!("{first} {last}"),
            city,
            ip,
            devices,
            passwordless: rng.gen_bool(0.2),
            admin: false,
            tokens_valid_from: start - rng.gen_range(20 * DAY..400 * DAY),
        });
    }
    let mut t = Tenant {
        keys,
        id: keys.guid(Domain::Object, TENANT_OBJ),
        users,
        admins: Vec::new(),
        policies: Vec::new(),
        resource_sp: [Guid([0; 16]); Res::COUNT],
        foreign: Vec::new(),
        provider: None,
        resource_path: String::new(),
    };
    t.resource_path = format!("/tenants/{}/providers/Microsoft.aadiam", t.id);
    for (i, sp) in t.resource_sp.iter_mut().enumerate() {
        *sp = keys.guid(Domain::Object, TENANT_OBJ | 0x100 | i as u64);
    }
    let optional =
        [PolicyKind::MfaAzureManagement, PolicyKind::BlockLegacyReportOnly, PolicyKind::SignInFrequencyUnmanaged];
    let extra = rng.gen_range(1..=optional.len());
    let mut kinds = vec![PolicyKind::BlockHighUserRisk, PolicyKind::MfaAllUsers];
    kinds.extend(optional.choose_multiple(&mut rng, extra).copied());
    kinds.sort_by_key(|k| *k as u8);
    t.policies = kinds
        .into_iter()
        .map(|kind| Policy { id: keys.guid(Domain::Object, TENANT_OBJ | 0x200 | kind as u64), kind })
        .collect();
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upns_are_unique_lowercase_and_devices_bounded() {
        let cfg = Config { users: 3000, ..Config::default() };
        let t = build(&cfg, 0);
        let mut seen = std::collections::BTreeSet::new();
        for u in &t.users {
            assert!(seen.insert(u.upn.clone()), "{}", u.upn);
            assert_eq!(u.upn, u.upn.to_ascii_lowercase());
            assert!(u.upn.ends_with("@contoso.com"));
            assert!((1..=3).contains(&u.devices.len()));
            if let Some(c) = &u.upn_cased {
                assert_eq!(c.to_ascii_lowercase(), u.upn);
            }
        }
        assert!((3..=5).contains(&t.policies.len()));
        assert_eq!(t.policies[0].kind, PolicyKind::BlockHighUserRisk);
    }
}
