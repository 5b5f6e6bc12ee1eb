//! The fleet's ten servers: fixed names and addresses, and the OS profile of each, which decides
//! the log file and its framing, the sshd program name, the PAM session format, the
//! `pam_faillock` policy, SSSD, and whether the Internet reaches it.

/// A host of the fleet, by index in [`HOSTS`].
pub(crate) type HostId = u8;

/// How a host's log file frames each line (formats.md §8.1, §8.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    /// `Apr 17 06:25:01 web01 sshd[1234]: …` (RFC 3164, no year, host-local time).
    Bsd,
    /// `2025-04-17T06:25:01.123456+00:00 bastion01 sshd[1234]: …` (rsyslog's default on
    /// Debian 12).
    Iso,
    /// `<86>1 2025-04-17T06:25:01.123456+00:00 app02 sshd 1234 - - …` as a central rsyslog
    /// server writes forwarded messages (`RSYSLOG_SyslogProtocol23Format`).
    Rfc5424,
    /// `journalctl -o json`: one JSON object per entry.
    Journal,
}

/// A host's `pam_faillock` policy (`/etc/security/faillock.conf` and the PAM stack).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Faillock {
    /// Failures within `interval` that lock the account.
    pub deny: u32,
    /// Seconds in which failures add up.
    pub interval: i64,
    /// Seconds after the last counted failure the account unlocks by itself.
    pub unlock: i64,
    /// Debian's stack (`auth requisite pam_faillock.so preauth`): while locked, nothing else
    /// runs, so `pam_unix` logs nothing. RHEL's authselect stack has `required … preauth
    /// silent`: `pam_unix` still checks (and logs) a wrong password.
    pub requisite: bool,
}

/// What a host is for (which background reaches it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Bastion,
    Web,
    App,
    Db,
    Ci,
    Backup,
    Mgmt,
}

/// A host's fixed facts.
#[derive(Debug)]
pub(crate) struct Host {
    pub name: &'static str,
    pub ip: [u8; 4],
    pub role: Role,
    pub framing: Framing,
    /// The log file under `linux/<host>/`.
    pub file: &'static str,
    /// RHEL family: `secure`, `crond`, `sshd.service`, SELinux, authselect.
    pub rhel: bool,
    /// OpenSSH ≥ 9.8 logs each connection as `sshd-session`.
    pub sshd_session: bool,
    /// Linux-PAM < 1.4 writes `session opened for user root by (uid=0)` without the user's uid.
    pub old_pam: bool,
    pub faillock: Option<Faillock>,
    /// Joined to the domain with SSSD: AD users log in here.
    pub sssd: bool,
    /// Reachable from the Internet (scanners, brute force, spray).
    pub exposed: bool,
    /// rsyslog's `$RepeatedMsgReduction on` (Ubuntu's default): consecutive identical lines
    /// become `message repeated N times: [ …]`.
    pub reduce_repeats: bool,
    /// Weekly logrotate with `compress` and no `delaycompress`: the days before the last are
    /// in `<file>.1.gz`.
    pub rotated: bool,
    /// The cloud image's default account, which still has a password (`admin`, `ubuntu`).
    pub cloud: Option<&'static str>,
}

const DEBIAN: Faillock = Faillock { deny: 3, interval: 900, unlock: 600, requisite: true };
const DEBIAN_CIS: Faillock = Faillock { deny: 5, interval: 900, unlock: 900, requisite: true };
const RHEL: Faillock = Faillock { deny: 3, interval: 900, unlock: 600, requisite: false };

/// The fleet. Order is the host id; the Internet-facing hosts come first.
pub(crate) const HOSTS: [Host; 10] = [
    // Debian 12
    Host {
        name: "bastion01",
        ip: [10, 0, 0, 5],
        role: Role::Bastion,
        framing: Framing::Iso,
        file: "auth.log",
        rhel: false,
        sshd_session: false,
        old_pam: false,
        faillock: Some(DEBIAN_CIS),
        sssd: false,
        exposed: true,
        reduce_repeats: false,
        rotated: false,
        cloud: Some("admin"),
    },
    // Ubuntu 22.04
    Host {
        name: "web01",
        ip: [10, 0, 1, 11],
        role: Role::Web,
        framing: Framing::Bsd,
        file: "auth.log",
        rhel: false,
        sshd_session: false,
        old_pam: false,
        faillock: None,
        sssd: false,
        exposed: true,
        reduce_repeats: true,
        rotated: true,
        cloud: Some("ubuntu"),
    },
    // Debian 13
    Host {
        name: "web02",
        ip: [10, 0, 1, 12],
        role: Role::Web,
        framing: Framing::Bsd,
        file: "auth.log",
        rhel: false,
        sshd_session: true,
        old_pam: false,
        faillock: Some(DEBIAN),
        sssd: false,
        exposed: true,
        reduce_repeats: false,
        rotated: false,
        cloud: Some("admin"),
    },
    // RHEL 9
    Host {
        name: "app01",
        ip: [10, 0, 2, 21],
        role: Role::App,
        framing: Framing::Bsd,
        file: "secure",
        rhel: true,
        sshd_session: false,
        old_pam: false,
        faillock: Some(RHEL),
        sssd: true,
        exposed: false,
        reduce_repeats: false,
        rotated: false,
        cloud: None,
    },
    // Ubuntu 24.04
    Host {
        name: "app02",
        ip: [10, 0, 2, 22],
        role: Role::App,
        framing: Framing::Rfc5424,
        file: "auth.log",
        rhel: false,
        sshd_session: false,
        old_pam: false,
        faillock: Some(DEBIAN_CIS),
        sssd: true,
        exposed: false,
        reduce_repeats: false,
        rotated: false,
        cloud: None,
    },
    // RHEL 8
    Host {
        name: "db01",
        ip: [10, 0, 3, 31],
        role: Role::Db,
        framing: Framing::Bsd,
        file: "secure",
        rhel: true,
        sshd_session: false,
        old_pam: true,
        faillock: Some(RHEL),
        sssd: false,
        exposed: false,
        reduce_repeats: false,
        rotated: false,
        cloud: None,
    },
    // Ubuntu 22.04
    Host {
        name: "db02",
        ip: [10, 0, 3, 32],
        role: Role::Db,
        framing: Framing::Bsd,
        file: "auth.log",
        rhel: false,
        sshd_session: false,
        old_pam: false,
        faillock: Some(DEBIAN),
        sssd: true,
        exposed: false,
        reduce_repeats: true,
        rotated: false,
        cloud: None,
    },
    // Fedora 41
    Host {
        name: "ci01",
        ip: [10, 0, 5, 7],
        role: Role::Ci,
        framing: Framing::Journal,
        file: "journal.json",
        rhel: true,
        sshd_session: true,
        old_pam: false,
        faillock: Some(RHEL),
        sssd: false,
        exposed: false,
        reduce_repeats: false,
        rotated: false,
        cloud: None,
    },
    // Debian 11
    Host {
        name: "backup01",
        ip: [10, 0, 6, 40],
        role: Role::Backup,
        framing: Framing::Bsd,
        file: "auth.log",
        rhel: false,
        sshd_session: false,
        old_pam: false,
        faillock: None,
        sssd: false,
        exposed: false,
        reduce_repeats: false,
        rotated: false,
        cloud: None,
    },
    // Rocky Linux 9
    Host {
        name: "mgmt01",
        ip: [10, 0, 6, 10],
        role: Role::Mgmt,
        framing: Framing::Bsd,
        file: "secure",
        rhel: true,
        sshd_session: false,
        old_pam: false,
        faillock: None,
        sssd: false,
        exposed: false,
        reduce_repeats: false,
        rotated: false,
        cloud: None,
    },
];

/// Host ids by name, for the scenarios.
pub(crate) const BASTION: HostId = 0;
pub(crate) const CI: HostId = 7;
pub(crate) const BACKUP: HostId = 8;
pub(crate) const MGMT: HostId = 9;

/// A host's facts.
pub(crate) fn host(h: HostId) -> &'static Host {
    &HOSTS[usize::from(h) % HOSTS.len()]
}

/// A host's address as a number.
pub(crate) fn host_ip(h: HostId) -> u32 {
    u32::from_be_bytes(host(h).ip)
}
