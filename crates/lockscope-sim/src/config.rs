//! What to generate: the scenario and the size of the tenant.

use crate::SimError;
use crate::layout::Layout;
use std::fmt;
use std::str::FromStr;

/// The story a generated tenant tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scenario {
    /// A provider mass revocation shaped like the April 2025 MACE event, with a few real
    /// compromises hidden in the burst.
    Mace2025,
    /// A password spray from a few foreign IPs, one sprayed user compromised.
    PasswordSpray,
    /// Users whose old device keeps trying a changed password until smart lockout.
    StaleCredential,
    /// All of the above at distinct times, plus brute force, admin actions, user error and a
    /// lone leaked-credentials detection.
    Mixed,
    /// Active Directory: a service, task, drive mapping or phone on one host keeps using a
    /// changed password until the domain locks the account (Windows Security events).
    AdStaleCredential,
    /// Active Directory: one source tries a password or two against many domain accounts.
    AdPasswordSpray,
    /// Active Directory: one source guesses dozens of passwords for one or two accounts.
    AdBruteForce,
    /// Active Directory: every AD scenario plus user errors and background in one domain.
    AdMixed,
    /// The Entra `mixed` tenant and the `ad-mixed` domain for the same people.
    Hybrid,
    /// Linux: one Internet address guesses hundreds of SSH passwords for `root` (and sometimes a
    /// cloud image's default account) on one exposed host.
    LinuxBruteForce,
    /// Linux: one Internet address tries a password or two for 15+ local accounts across the
    /// exposed hosts.
    LinuxSpray,
    /// Linux: `pam_faillock` locks accounts, once because a person mistyped and once because a
    /// script kept an old password.
    LinuxFaillock,
    /// Linux: cron jobs and schedules on one host keep logging in to another with a password
    /// that was changed there, until `pam_faillock` locks the account.
    LinuxStaleAutomation,
    /// Linux: every Linux scenario plus user errors and background on one fleet.
    LinuxMixed,
}

impl Scenario {
    /// Every scenario, in a stable order.
    pub const ALL: [Scenario; 14] = [
        Scenario::Mace2025,
        Scenario::PasswordSpray,
        Scenario::StaleCredential,
        Scenario::Mixed,
        Scenario::AdStaleCredential,
        Scenario::AdPasswordSpray,
        Scenario::AdBruteForce,
        Scenario::AdMixed,
        Scenario::Hybrid,
        Scenario::LinuxBruteForce,
        Scenario::LinuxSpray,
        Scenario::LinuxFaillock,
        Scenario::LinuxStaleAutomation,
        Scenario::LinuxMixed,
    ];

    /// Whether the scenario writes Entra ID exports (sign-ins, audit, risk).
    pub fn writes_entra(self) -> bool {
        matches!(
            self,
            Scenario::Mace2025
                | Scenario::PasswordSpray
                | Scenario::StaleCredential
                | Scenario::Mixed
                | Scenario::Hybrid
        )
    }

    /// Whether the scenario writes Windows Security event logs (and `identities.csv`).
    pub fn writes_windows(self) -> bool {
        matches!(
            self,
            Scenario::AdStaleCredential
                | Scenario::AdPasswordSpray
                | Scenario::AdBruteForce
                | Scenario::AdMixed
                | Scenario::Hybrid
        )
    }

    /// Whether the scenario writes the auth logs of a fleet of Linux hosts (and nothing else).
    pub fn writes_linux(self) -> bool {
        matches!(
            self,
            Scenario::LinuxBruteForce
                | Scenario::LinuxSpray
                | Scenario::LinuxFaillock
                | Scenario::LinuxStaleAutomation
                | Scenario::LinuxMixed
        )
    }

    /// The scenario's id as used on the command line and in `truth.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scenario::Mace2025 => "mace-2025",
            Scenario::PasswordSpray => "password-spray",
            Scenario::StaleCredential => "stale-credential",
            Scenario::Mixed => "mixed",
            Scenario::AdStaleCredential => "ad-stale-credential",
            Scenario::AdPasswordSpray => "ad-password-spray",
            Scenario::AdBruteForce => "ad-brute-force",
            Scenario::AdMixed => "ad-mixed",
            Scenario::Hybrid => "hybrid",
            Scenario::LinuxBruteForce => "linux-brute-force",
            Scenario::LinuxSpray => "linux-spray",
            Scenario::LinuxFaillock => "linux-faillock",
            Scenario::LinuxStaleAutomation => "linux-stale-automation",
            Scenario::LinuxMixed => "linux-mixed",
        }
    }

    /// The fewest users and days the scenario can be told with.
    pub fn minimum(self) -> (usize, u32) {
        match self {
            Scenario::Mace2025 => (10, 1),
            Scenario::PasswordSpray => (5, 1),
            Scenario::StaleCredential => (4, 1),
            Scenario::Mixed => (40, 2),
            Scenario::AdStaleCredential => (10, 1),
            Scenario::AdPasswordSpray => (25, 1),
            Scenario::AdBruteForce => (5, 1),
            Scenario::AdMixed => (40, 2),
            Scenario::Hybrid => (100, 2),
            Scenario::LinuxBruteForce => (5, 1),
            // 15 local accounts to spray (a quarter of the people are AD users) and four left alone.
            Scenario::LinuxSpray => (30, 1),
            // A person's typo is only told from an attack by an address used on another day.
            Scenario::LinuxFaillock => (10, 2),
            Scenario::LinuxStaleAutomation => (5, 1),
            Scenario::LinuxMixed => (40, 2),
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scenario {
    type Err = SimError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scenario::ALL
            .into_iter()
            .find(|sc| sc.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| SimError::UnknownScenario(s.to_string()))
    }
}

/// Parameters of one generated data set. The same `Config` always gives the same bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Which story to tell.
    pub scenario: Scenario,
    /// Users in the tenant.
    pub users: usize,
    /// Seed of every random choice.
    pub seed: u64,
    /// Length of the window in days.
    pub days: u32,
    /// Start of the window.
    pub start: jiff::Timestamp,
    /// Background sign-ins per user per day (Windows scenarios derive their background logons
    /// from it too).
    pub noise: u32,
    /// How the Entra files are shaped. The records and `truth.json` do not depend on it; Windows
    /// event logs always have one shape.
    pub layout: Layout,
    /// Users whose access tokens an application wrote into its log (`app/api-gateway.log`),
    /// in scenarios with Entra files; 0 (the default) writes no such log. Some tokens were
    /// issued before a revocation of the user's refresh tokens (dead), one is still valid at the
    /// end of the window (live), the others have expired; `truth.json` lists them under
    /// `leaked_tokens`. At most one token per user, so fewer are written in tiny tenants.
    pub leaked_tokens: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            scenario: Scenario::Mixed,
            users: 200,
            seed: 1,
            days: 4,
            // 2025-04-17T00:00:00Z: day 3 of the window is the real MACE Saturday.
            start: jiff::Timestamp::from_second(1_744_848_000).unwrap_or_default(),
            noise: 8,
            layout: Layout::Graph,
            leaked_tokens: 0,
        }
    }
}

/// Upper bounds that keep record keys unique (see `plan::noise_key`).
pub(crate) const MAX_USERS: usize = 1 << 27;
pub(crate) const MAX_DAYS: u32 = 1 << 12;
pub(crate) const MAX_NOISE: u32 = 10_000;
/// Upper bound on users of scenarios with a Windows domain: every person has a workstation in
/// 10.32.0.0/11 (see `windows::domain`).
pub(crate) const MAX_DOMAIN_USERS: usize = 2_000_000;

impl Config {
    /// Checks the config can be generated.
    pub(crate) fn validate(&self) -> Result<(), SimError> {
        let (min_users, min_days) = self.scenario.minimum();
        let bad = |reason: String| Err(SimError::InvalidConfig(reason));
        if self.users < min_users {
            return bad(format!("scenario {} needs at least {min_users} users, got {}", self.scenario, self.users));
        }
        if self.users > MAX_USERS {
            return bad(format!("at most {MAX_USERS} users, got {}", self.users));
        }
        if self.scenario.writes_windows() && self.users > MAX_DOMAIN_USERS {
            return bad(format!("scenario {} has at most {MAX_DOMAIN_USERS} users, got {}", self.scenario, self.users));
        }
        if self.days < min_days || self.days > MAX_DAYS {
            return bad(format!("scenario {} needs {min_days} to {MAX_DAYS} days, got {}", self.scenario, self.days));
        }
        if self.noise > MAX_NOISE {
            return bad(format!("at most {MAX_NOISE} background sign-ins per user per day, got {}", self.noise));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_names_round_trip() {
        for sc in Scenario::ALL {
            assert_eq!(sc.to_string().parse::<Scenario>().expect("test value"), sc);
        }
        assert_eq!("MACE-2025".parse::<Scenario>().expect("test value"), Scenario::Mace2025);
        assert_eq!("ad-mixed".parse::<Scenario>().expect("test value"), Scenario::AdMixed);
        for sc in Scenario::ALL {
            assert!(sc.writes_entra() || sc.writes_windows() || sc.writes_linux(), "{sc} writes something");
            assert!(!sc.writes_linux() || !(sc.writes_entra() || sc.writes_windows()), "{sc}: Linux stands alone");
        }
        assert!(Scenario::Hybrid.writes_entra() && Scenario::Hybrid.writes_windows());
        assert_eq!("linux-mixed".parse::<Scenario>().expect("test value"), Scenario::LinuxMixed);
        let err = "nope".parse::<Scenario>().expect_err("must fail").to_string();
        assert!(err.contains("unknown scenario"), "{err}");
    }

    #[test]
    fn default_is_the_demo() {
        let c = Config::default();
        assert_eq!(c.start.to_string(), "2025-04-17T00:00:00Z");
        assert_eq!((c.users, c.days, c.seed, c.noise), (200, 4, 1, 8));
        assert_eq!(c.scenario, Scenario::Mixed);
        assert_eq!(c.layout, Layout::Graph);
        assert_eq!(c.leaked_tokens, 0);
        c.validate().expect("test value");
    }

    #[test]
    fn layout_names_round_trip() {
        for l in Layout::ALL {
            assert_eq!(l.to_string().parse::<Layout>().expect("test value"), l);
        }
        assert_eq!(" Log-Analytics ".parse::<Layout>().expect("test value"), Layout::LogAnalytics);
        let err = "csv".parse::<Layout>().expect_err("must fail").to_string();
        assert!(err.contains("unknown layout") && err.contains("log-analytics"), "{err}");
    }

    #[test]
    fn rejects_too_small() {
        let c = Config { users: 5, ..Config::default() };
        assert!(c.validate().is_err());
        let c = Config { days: 1, ..Config::default() };
        assert!(c.validate().is_err());
    }
}
