//! The simulated Active Directory domain `CONTOSO` (`contoso.com`): two domain controllers,
//! a handful of member servers, a lab PC and one workstation per person, each with a stable
//! 10.x address, and every person's domain account (`CONTOSO\sam`, SID, usual workstation).
//!
//! Hosts are numbered: the fixed ones first (see [`FIXED`]), then workstation `WS001` of user 0,
//! `WS002` of user 1, and so on. Workstation facts are computed, not stored, so a domain of
//! millions of people costs only their account names.

use crate::ids;
use crate::tenant::Tenant;
use std::collections::BTreeSet;
use std::fmt;

/// The NetBIOS domain name.
pub(crate) const NETBIOS: &str = "CONTOSO";
/// The DNS domain name (also the UPN suffix).
pub(crate) const DNS: &str = "contoso.com";
/// The Kerberos realm.
pub(crate) const REALM: &str = "CONTOSO.COM";
/// The domain SID: fixed, so a person's SID does not depend on the seed.
pub(crate) const DOMAIN_SID: &str = "S-1-5-21-3623811015-3361044348-30300820";
/// The local SAM of the lab PC (its own machine SID).
pub(crate) const LAB_SID: &str = "S-1-5-21-2841031795-1306284491-3872136524";

/// A machine of the domain, by number.
pub(crate) type HostId = u32;

/// The PDC emulator: it logs every 4740.
pub(crate) const DC01: HostId = 0;
/// The second domain controller.
pub(crate) const DC02: HostId = 1;
/// The file server (mapped drives).
pub(crate) const FILE: HostId = 2;
/// The Exchange server (mail clients and phones authenticate through it).
pub(crate) const MAIL: HostId = 3;
/// A line-of-business application server (services, NTLM logons).
pub(crate) const APP: HostId = 4;
/// The database server.
pub(crate) const SQL: HostId = 5;
/// The terminal server (RDP sessions).
pub(crate) const RDS: HostId = 6;
/// A domain-joined lab PC nobody owns (a spray may start there).
pub(crate) const LAB: HostId = 7;
/// The first workstation (`WS001`, user 0's).
pub(crate) const FIRST_WS: HostId = 8;

/// The fixed machines: NetBIOS name and address.
const FIXED: [(&str, [u8; 4]); FIRST_WS as usize] = [
    ("DC01", [10, 0, 0, 10]),
    ("DC02", [10, 0, 0, 11]),
    ("SRV-FILE01", [10, 0, 1, 20]),
    ("SRV-MAIL01", [10, 0, 1, 25]),
    ("SRV-APP01", [10, 0, 1, 30]),
    ("SRV-SQL01", [10, 0, 1, 35]),
    ("SRV-RDS01", [10, 0, 1, 40]),
    ("WS-LAB07", [10, 0, 5, 57]),
];

/// Longest sAMAccountName Windows accepts for a user.
const MAX_SAM: usize = 20;

/// The domain: its people's accounts (the machines are computed from their number).
#[derive(Debug)]
pub(crate) struct Domain {
    sams: Vec<String>,
    seed: u64,
}

/// A host's NetBIOS name (`WS001`, `SRV-FILE01`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Name(pub HostId);

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match FIXED.get(self.0 as usize) {
            Some((name, _)) => f.write_str(name),
            None => write!(f, "WS{:03}", self.0 - FIRST_WS + 1),
        }
    }
}

/// A host's DNS name (`WS001.contoso.com`), as the `Computer` of the events it logs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fqdn(pub HostId);

impl fmt::Display for Fqdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{DNS}", Name(self.0))
    }
}

/// A SID in the domain (or the lab PC's local SAM) by relative id.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sid {
    pub base: &'static str,
    pub rid: u32,
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.base, self.rid)
    }
}

impl Domain {
    /// The domain of `tenant`'s people: each gets the local part of their UPN as
    /// sAMAccountName (so `CONTOSO\ana.silva` is `ana.silva@contoso.com`), shortened when it
    /// is longer than Windows allows.
    pub(crate) fn build(tenant: &Tenant, seed: u64) -> Self {
        let mut taken = BTreeSet::new();
        let sams = tenant
            .users
            .iter()
            .enumerate()
            .map(|(i, u)| {
                let local = u.upn.split('@').next().unwrap_or(&u.upn);
                let mut sam = if local.len() <= MAX_SAM {
                    local.to_string()
                } else {
                    // `mohammed.richardson12` → `mrichardson12`: initial and family name.
                    let family = local.rsplit('.').next().unwrap_or(local);
                    let mut s = format!("{}{family}", &local[..1]);
                    s.truncate(MAX_SAM);
                    s
                };
                // Membership only: the set's order never reaches the output.
                if !taken.insert(sam.clone()) {
                    sam = format!("u{i}");
                    taken.insert(sam.clone());
                }
                sam
            })
            .collect();
        Self { sams, seed }
    }

    /// The person's sAMAccountName.
    pub(crate) fn sam(&self, u: u32) -> &str {
        self.sams.get(u as usize).map_or("", String::as_str)
    }

    /// The person's SID. User RIDs are even and machine RIDs odd, so they never meet.
    pub(crate) fn user_sid(&self, u: u32) -> Sid {
        Sid { base: DOMAIN_SID, rid: 1104 + 2 * u }
    }

    /// The SID of a machine's computer account (`WS001$`).
    pub(crate) fn machine_sid(&self, h: HostId) -> Sid {
        Sid { base: DOMAIN_SID, rid: 1105 + 2 * h }
    }

    /// The person's usual workstation.
    pub(crate) fn ws(&self, u: u32) -> HostId {
        FIRST_WS + u
    }

    /// Whether `h` is a fixed machine (a DC, a server or the lab PC) rather than a workstation.
    pub(crate) fn is_fixed(h: HostId) -> bool {
        h < FIRST_WS
    }

    /// A host's IPv4 address. Workstations fill 10.32.0.0/11, 250 to a /24, from .2.
    pub(crate) fn ip(&self, h: HostId) -> u32 {
        match FIXED.get(h as usize) {
            Some((_, ip)) => u32::from_be_bytes(*ip),
            None => {
                let i = h - FIRST_WS;
                0x0a20_0000 + (i / 250) * 256 + 2 + i % 250
            }
        }
    }

    /// The domain controller a host authenticates against (its site's DC locator answer).
    pub(crate) fn dc_of(&self, h: HostId) -> HostId {
        match h {
            DC01 | DC02 => h,
            _ => HostId::from(ids::mix(u64::from(h) ^ 0xdc).is_multiple_of(3)),
        }
    }

    /// The process id of `lsass.exe` on a host (every Security event's `Execution/@ProcessID`).
    pub(crate) fn lsass_pid(&self, h: HostId) -> u32 {
        560 + 4 * (self.cosmetic(h, 1) % 60) as u32
    }

    /// The process id of `services.exe` (the service control manager) on a host.
    pub(crate) fn services_pid(&self, h: HostId) -> u32 {
        self.lsass_pid(h) - 12
    }

    /// The process id of a long-running program on a host: the Task Scheduler's `svchost.exe`
    /// (`which` 1), IIS's `w3wp.exe` (2), PowerShell on the lab PC (3).
    pub(crate) fn pid(&self, h: HostId, which: u64) -> u32 {
        1200 + 4 * (self.cosmetic(h, 10 + which) % 2500) as u32
    }

    /// The first `EventRecordID` of a host's log: logs were cleared or rolled over at some
    /// point, so numbering starts anywhere.
    pub(crate) fn first_record(&self, h: HostId, channel: u64) -> u64 {
        let scale = if h <= DC02 { 40_000_000 } else { 2_000_000 };
        100_000 + self.cosmetic(h, 20 + channel) % scale
    }

    /// A well-spread value for cosmetic choices about a host.
    pub(crate) fn cosmetic(&self, h: HostId, what: u64) -> u64 {
        ids::combine(ids::combine(self.seed, 0xad00 + what), u64::from(h))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::tenant;

    #[test]
    fn hosts_have_stable_names_and_addresses() {
        let cfg = Config { users: 600, ..Config::default() };
        let d = Domain::build(&tenant::build(&cfg, 0), 1);
        assert_eq!(Name(DC01).to_string(), "DC01");
        assert_eq!(Fqdn(FILE).to_string(), "SRV-FILE01.contoso.com");
        assert_eq!(Name(d.ws(0)).to_string(), "WS001");
        assert_eq!(Name(d.ws(599)).to_string(), "WS600");
        assert_eq!(crate::ids::Ip(d.ip(d.ws(0))).to_string(), "10.32.0.2");
        assert_eq!(crate::ids::Ip(d.ip(d.ws(250))).to_string(), "10.32.1.2");
        assert_eq!(crate::ids::Ip(d.ip(DC02)).to_string(), "10.0.0.11");
        let ips: BTreeSet<u32> = (0..FIRST_WS + 600).map(|h| d.ip(h)).collect();
        assert_eq!(ips.len(), 608, "addresses are unique");
        assert!((FIRST_WS..FIRST_WS + 600).all(|h| d.dc_of(h) <= DC02));
    }

    #[test]
    fn accounts_are_unique_and_valid() {
        let cfg = Config { users: 3000, ..Config::default() };
        let t = tenant::build(&cfg, 0);
        let d = Domain::build(&t, 1);
        let mut seen = BTreeSet::new();
        for (i, u) in t.users.iter().enumerate() {
            let sam = d.sam(i as u32);
            assert!(!sam.is_empty() && sam.len() <= MAX_SAM, "{sam}");
            assert!(seen.insert(sam.to_string()), "{sam} twice");
            if u.upn.len() <= MAX_SAM + DNS.len() + 1 {
                assert_eq!(format!("{sam}@{DNS}"), u.upn);
            }
        }
        assert_eq!(d.user_sid(3).to_string(), format!("{DOMAIN_SID}-1110"));
        assert_ne!(d.user_sid(1).rid, d.machine_sid(0).rid);
    }
}
