//! The accounts that log in to the fleet ([`super::hosts`]): people, `root`, the automation's
//! service accounts, and the names guessing tools try.
//!
//! People are the tenant's: about a quarter are Active Directory users who log in through SSSD
//! on the domain-joined hosts as `first.last@contoso.com` (a few type `CONTOSO\first.last`), the
//! rest have a local account (`ana`, `anas`, …) on the bastion and one to three team hosts.
//! Every host also has `root` and the service accounts of the fleet's automation.

pub(crate) use super::hosts::{BACKUP, BASTION, CI, Faillock, Framing, HOSTS, HostId, MGMT, Role, host, host_ip};
use crate::ids;
use crate::tenant::Tenant;
use crate::windows::domain::Domain;
use base64::Engine as _;
use rand::Rng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeSet;
use std::fmt;

/// The fleet's service accounts (besides `root` and the cloud image's default account).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Sys {
    /// CI deployments from ci01 (public key).
    Deploy,
    /// Nightly configuration runs from mgmt01 (public key, `sudo`).
    Ansible,
    /// Nightly database pulls from backup01 (public key).
    Backup,
}

impl Sys {
    fn name(self) -> &'static str {
        match self {
            Sys::Deploy => "deploy",
            Sys::Ansible => "ansible",
            Sys::Backup => "backup",
        }
    }
}

/// Accounts that only automation uses with a password, one per stale-automation story.
pub(crate) const SERVICES: [&str; 6] = ["reports", "etl", "dbexport", "logship", "svc-sync", "mirror"];

/// Names guessing tools try that exist on no host of the fleet.
pub(crate) const PROBES: [&str; 24] = [
    "test",
    "user",
    "oracle",
    "guest",
    "ftpuser",
    "pi",
    "support",
    "hadoop",
    "test1",
    "user1",
    "jenkins",
    "tomcat",
    "mysql",
    "zabbix",
    "odoo",
    "sol",
    "solana",
    "validator",
    "vagrant",
    "centos",
    "ec2-user",
    "azureuser",
    "administrator",
    "steam",
];

/// An account as logs name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Acct {
    Root,
    Sys(Sys),
    /// The host's cloud-image default account ([`Host::cloud`]).
    Cloud,
    /// A stale-automation account, by index in [`SERVICES`].
    Service(u8),
    /// A person's local account.
    Local(u32),
    /// An AD user through SSSD, by UPN.
    Upn(u32),
    /// An AD user who types `CONTOSO\sam`.
    Netbios(u32),
    /// A name that exists nowhere, by index in [`PROBES`].
    Probe(u8),
}

impl Acct {
    /// Whether the account does not exist (sshd says `invalid user`).
    pub(crate) fn invalid(self) -> bool {
        matches!(self, Acct::Probe(_))
    }

    /// Whether the account is an AD user (PAM goes on to `pam_sss`).
    pub(crate) fn ad(self) -> bool {
        matches!(self, Acct::Upn(_) | Acct::Netbios(_))
    }
}

/// How a person authenticates to SSH.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    /// A public key of this type.
    Key(&'static str),
    Password,
}

/// A person's Linux side.
#[derive(Clone, Debug)]
pub(crate) struct Person {
    /// The account they log in with (`Local`, `Upn` or `Netbios`).
    pub acct: Acct,
    /// Bit `h` set: the person has an account and works on host `h`.
    pub hosts: u16,
    pub sudo: bool,
    /// Their workstation (or VPN) address, stable across the window.
    pub ip: u32,
    pub method: Method,
    /// UTC offset of their office hours.
    pub offset: i8,
}

impl Person {
    /// Whether the person works on host `h`.
    pub(crate) fn on(&self, h: HostId) -> bool {
        self.hosts & (1 << h) != 0
    }

    /// The hosts the person works on.
    pub(crate) fn host_list(&self) -> Vec<HostId> {
        (0..HOSTS.len() as HostId).filter(|&h| self.on(h)).collect()
    }
}

/// The fleet's people and their names.
#[derive(Debug)]
pub(crate) struct Fleet {
    pub people: Vec<Person>,
    logins: Vec<String>,
    upns: Vec<String>,
    sams: Vec<String>,
    seed: u64,
}

/// Names a local login must not take.
const RESERVED: [&str; 7] = ["root", "deploy", "ansible", "backup", "admin", "ubuntu", "postgres"];

/// Random stream of the fleet's people.
const STREAM: u64 = 20;

impl Fleet {
    /// The fleet of `tenant`'s people. `admins` (the tenant's administrators) are sysadmins with
    /// an account and `sudo` on every host.
    pub(crate) fn build(tenant: &Tenant, seed: u64) -> Self {
        let mut rng = ids::rng(seed, STREAM, 0, 0);
        let n = tenant.users.len();
        let domain = Domain::build(tenant, seed);
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.shuffle(&mut rng);
        let ad_count = if n >= 8 { n / 4 } else { 0 };
        let ad: BTreeSet<u32> = order.iter().copied().filter(|u| !tenant.admins.contains(u)).take(ad_count).collect();
        let mut taken: BTreeSet<String> = RESERVED.iter().chain(PROBES.iter()).map(|s| s.to_string()).collect();
        let mut logins = vec![String::new(); n];
        let mut people = Vec::with_capacity(n);
        let sssd_hosts: Vec<HostId> = (0..HOSTS.len() as HostId).filter(|&h| host(h).sssd).collect();
        let team_hosts: Vec<HostId> = (1..HOSTS.len() as HostId).collect();
        for (i, user) in tenant.users.iter().enumerate() {
            let u = i as u32;
            let mut rng = ids::rng(seed, STREAM, 1, u64::from(u));
            let admin = tenant.admins.contains(&u);
            let offset = user.home().utc_offset;
            let ip = 0x0a14_0000 + (u / 250) * 256 + 2 + u % 250;
            let key = ["ED25519", "ED25519", "ED25519", "RSA", "ECDSA"][rng.gen_range(0..5)];
            if ad.contains(&u) {
                let mut hosts = 0u16;
                for _ in 0..rng.gen_range(1..=sssd_hosts.len()) {
                    hosts |= 1 << sssd_hosts[rng.gen_range(0..sssd_hosts.len())];
                }
                let acct = if rng.gen_bool(0.2) { Acct::Netbios(u) } else { Acct::Upn(u) };
                let method = if rng.gen_bool(0.9) { Method::Password } else { Method::Key(key) };
                people.push(Person { acct, hosts, sudo: rng.gen_bool(0.2), ip, method, offset });
                continue;
            }
            logins[i] = local_login(&user.display, &mut taken);
            let mut hosts = 1u16 << BASTION;
            if admin {
                hosts = (1 << HOSTS.len()) - 1;
            } else {
                for _ in 0..rng.gen_range(1..=3) {
                    hosts |= 1 << team_hosts[rng.gen_range(0..team_hosts.len())];
                }
            }
            let method = if rng.gen_bool(0.8) { Method::Key(key) } else { Method::Password };
            people.push(Person { acct: Acct::Local(u), hosts, sudo: admin || rng.gen_bool(0.5), ip, method, offset });
        }
        let upns = tenant.users.iter().map(|u| u.upn.clone()).collect();
        let sams = (0..n as u32).map(|u| domain.sam(u).to_string()).collect();
        Self { people, logins, upns, sams, seed }
    }

    /// The person `u`.
    pub(crate) fn person(&self, u: u32) -> &Person {
        &self.people[u as usize]
    }

    /// The account's name as PAM and the system know it (no escaping). `h` picks the cloud
    /// account's name.
    pub(crate) fn name(&self, a: Acct, h: HostId) -> Name<'_> {
        Name { fleet: self, acct: a, host: h, escape: false }
    }

    /// The account's name as sshd logs it: OpenSSH's log escaping (`strnvis` with `VIS_CSTYLE`)
    /// doubles a backslash, so `CONTOSO\ana.silva` appears as `CONTOSO\\ana.silva`.
    pub(crate) fn sshd_name(&self, a: Acct, h: HostId) -> Name<'_> {
        Name { fleet: self, acct: a, host: h, escape: true }
    }

    /// The account's canonical name (`getpwnam`'s `pw_name`): SSSD's fully qualified name for
    /// AD users whatever they typed.
    pub(crate) fn canonical(&self, a: Acct, h: HostId) -> Name<'_> {
        let acct = match a {
            Acct::Netbios(u) => Acct::Upn(u),
            other => other,
        };
        Name { fleet: self, acct, host: h, escape: false }
    }

    /// The account's uid (the same on every host: accounts are managed centrally; AD users'
    /// come from SSSD's ID mapping of their RID).
    pub(crate) fn uid(&self, a: Acct) -> u64 {
        match a {
            Acct::Root => 0,
            Acct::Cloud => 1000,
            Acct::Sys(s) => 1001 + s as u64,
            Acct::Service(i) => 1100 + u64::from(i),
            Acct::Local(u) => 2000 + u64::from(u),
            Acct::Upn(u) | Acct::Netbios(u) => 1_286_400_000 + 1104 + 2 * u64::from(u),
            Acct::Probe(_) => 0,
        }
    }

    /// The account's home directory.
    pub(crate) fn home(&self, a: Acct, h: HostId) -> String {
        match a {
            Acct::Root => "/root".into(),
            Acct::Sys(Sys::Backup) => "/var/backups".into(),
            other => format!("/home/{}", self.canonical(other, h)),
        }
    }

    /// The SHA256 fingerprint of the account's public key (OpenSSH's form: unpadded base64).
    pub(crate) fn fingerprint(&self, a: Acct) -> String {
        let mut bytes = [0u8; 32];
        let mut h = ids::combine(self.seed ^ 0x55_4b, ids::combine(self.uid(a), a.discriminant()));
        for chunk in bytes.chunks_mut(8) {
            h = ids::mix(h.wrapping_add(0x9e37_79b9_7f4a_7c15));
            chunk.copy_from_slice(&h.to_be_bytes());
        }
        format!("SHA256:{}", base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes))
    }

    /// The key type of the account's public key.
    pub(crate) fn key_type(&self, a: Acct) -> &'static str {
        match a {
            Acct::Local(u) | Acct::Upn(u) | Acct::Netbios(u) => match self.person(u).method {
                Method::Key(k) => k,
                Method::Password => "ED25519",
            },
            Acct::Sys(Sys::Backup) => "RSA",
            _ => "ED25519",
        }
    }
}

impl Acct {
    fn discriminant(self) -> u64 {
        match self {
            Acct::Root => 1,
            Acct::Sys(s) => 2 + s as u64,
            Acct::Cloud => 8,
            Acct::Service(i) => 16 + u64::from(i),
            Acct::Local(_) | Acct::Upn(_) | Acct::Netbios(_) => 64,
            Acct::Probe(i) => 128 + u64::from(i),
        }
    }
}

/// A person's local login: the given name in lower case, or with the family name's initial, or
/// the whole family name, or numbered, whichever is free first.
fn local_login(display: &str, taken: &mut BTreeSet<String>) -> String {
    let mut parts = display.split_whitespace().map(|p| p.to_ascii_lowercase());
    let first = parts.next().unwrap_or_else(|| "user".into());
    let last = parts.next().unwrap_or_default();
    let initial: String = last.chars().take(1).collect();
    let candidates = [first.clone(), format!("{first}{initial}"), format!("{first}{last}")];
    let mut pick = candidates.iter().find(|c| !taken.contains(*c)).cloned();
    let mut n = 2;
    while pick.is_none() {
        let c = format!("{first}{last}{n}");
        if !taken.contains(&c) {
            pick = Some(c);
        }
        n += 1;
    }
    let name = pick.unwrap_or_default();
    taken.insert(name.clone());
    name
}

/// An account's name, written without allocating.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Name<'a> {
    fleet: &'a Fleet,
    acct: Acct,
    host: HostId,
    escape: bool,
}

impl fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fl = self.fleet;
        match self.acct {
            Acct::Root => f.write_str("root"),
            Acct::Sys(s) => f.write_str(s.name()),
            Acct::Cloud => f.write_str(host(self.host).cloud.unwrap_or("admin")),
            Acct::Service(i) => f.write_str(SERVICES[usize::from(i) % SERVICES.len()]),
            Acct::Local(u) => f.write_str(&fl.logins[u as usize]),
            Acct::Upn(u) => f.write_str(&fl.upns[u as usize]),
            Acct::Netbios(u) => {
                let sep = if self.escape { "\\\\" } else { "\\" };
                write!(f, "CONTOSO{sep}{}", fl.sams[u as usize])
            }
            Acct::Probe(i) => f.write_str(PROBES[usize::from(i) % PROBES.len()]),
        }
    }
}

/// A random Internet address outside private, reserved and documentation ranges, in blocks
/// scanners and rented servers are commonly seen in.
pub(crate) fn internet_ip(rng: &mut ChaCha8Rng) -> u32 {
    const FIRST: [u8; 24] = [
        45, 61, 92, 103, 106, 112, 116, 117, 121, 139, 141, 159, 161, 165, 176, 178, 183, 185, 188, 193, 195, 218, 221,
        222,
    ];
    let a = FIRST[rng.gen_range(0..FIRST.len())];
    u32::from_be_bytes([a, rng.gen_range(1..255), rng.gen_range(0..256) as u8, rng.gen_range(1..255)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::tenant;

    #[test]
    fn people_have_unique_names_and_hosts() {
        let cfg = Config { users: 300, ..Config::default() };
        let mut t = tenant::build(&cfg, 0);
        t.admins = vec![3];
        let fleet = Fleet::build(&t, 1);
        let mut names = BTreeSet::new();
        for (i, p) in fleet.people.iter().enumerate() {
            assert!(p.hosts != 0, "person {i} works somewhere");
            let name = fleet.name(p.acct, 0).to_string();
            assert!(names.insert(name.clone()), "{name} twice");
            assert!(!PROBES.contains(&name.as_str()) && !RESERVED.contains(&name.as_str()));
            if p.acct.ad() {
                assert!((0..HOSTS.len() as HostId).all(|h| !p.on(h) || host(h).sssd), "AD users on SSSD hosts");
            } else {
                assert!(p.on(BASTION), "local accounts exist on the bastion");
            }
        }
        assert_eq!(fleet.person(3).hosts, (1 << HOSTS.len()) - 1, "the admin is everywhere");
        assert!(fleet.people.iter().filter(|p| p.acct.ad()).count() >= 70);
        let netbios = fleet.people.iter().find(|p| matches!(p.acct, Acct::Netbios(_))).expect("one types CONTOSO\\");
        assert!(fleet.sshd_name(netbios.acct, 0).to_string().starts_with("CONTOSO\\\\"));
        assert!(fleet.canonical(netbios.acct, 0).to_string().ends_with("@contoso.com"));
        let fp = fleet.fingerprint(Acct::Sys(Sys::Deploy));
        assert_eq!(fp.len(), 7 + 43, "{fp}");
        assert_eq!(HOSTS.iter().map(|h| h.name).collect::<BTreeSet<_>>().len(), HOSTS.len());
    }

    #[test]
    fn internet_addresses_are_public() {
        let mut rng = ids::rng(1, 99, 0, 0);
        for _ in 0..1000 {
            let [a, _, _, d] = internet_ip(&mut rng).to_be_bytes();
            assert!(a != 10 && a != 127 && a != 192 && a != 172 && d != 0 && d != 255);
        }
    }
}
