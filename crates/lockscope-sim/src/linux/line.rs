//! Log lines as compact specs, and the text each becomes: the message part of a syslog line
//! (everything after `prog[pid]: `), exactly as OpenSSH, Linux-PAM, sudo, cron, passwd and
//! systemd-logind write it (formats.md §8.2–8.4; loghub's OpenSSH sample for the forms sshd
//! really writes).

use super::fleet::{Acct, Fleet, HostId, host};
use crate::clock::Tick;
use crate::ids::Ip;
use std::fmt::Write as _;

/// The PAM service a session belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Svc {
    Sshd,
    Sudo,
    Cron,
}

/// What a `sudo` ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cmd {
    /// An administrator's command, by index in [`COMMANDS`].
    Admin(u8),
    /// Ansible's become wrapper, with a token seed.
    Become(u64),
    /// A deployment's service reload.
    Reload,
    /// `passwd <account>`.
    Passwd(Acct),
}

/// Commands people run with `sudo`.
pub(crate) const COMMANDS: [&str; 12] = [
    "/usr/bin/systemctl restart nginx",
    "/usr/bin/journalctl -u nginx --since today",
    "/usr/bin/tail -n 200 /var/log/syslog",
    "/bin/bash",
    "/usr/bin/vim /etc/hosts",
    "/usr/bin/docker ps",
    "/usr/sbin/ss -tlnp",
    "/usr/bin/du -sh /var/lib/postgresql",
    "/usr/bin/systemctl status postgresql",
    "/usr/bin/less /var/log/nginx/error.log",
    "/usr/bin/df -h",
    "/usr/bin/crontab -l -u root",
];

/// What a line says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum What {
    /// `Accepted publickey|password for U from IP port P ssh2[: TYPE SHA256:…]`.
    Accepted { acct: Acct, ip: u32, port: u16, key: bool },
    /// `Failed password for [invalid user ]U from IP port P ssh2`.
    Failed { acct: Acct, ip: u32, port: u16 },
    /// `Invalid user U from IP port P`.
    InvalidUser { acct: Acct, ip: u32, port: u16 },
    /// `pam_unix(sshd:auth): authentication failure; … rhost=IP  user=U` (no `user=` for names
    /// that do not exist).
    PamUnixFail { acct: Acct, ip: u32 },
    /// `pam_unix(sshd:auth): check pass; user unknown`.
    PamUnixUnknown,
    /// `pam_sss(sshd:auth): authentication failure; … rhost=IP user=U`.
    PamSssFail { acct: Acct, ip: u32 },
    /// `pam_sss(sshd:auth): received for user U: 7 (Authentication failure)`.
    PamSssReceived { acct: Acct },
    /// `pam_sss(sshd:auth): authentication success; … rhost=IP user=U`.
    PamSssOk { acct: Acct, ip: u32 },
    /// `pam_faillock(sshd:auth): Consecutive login failures for user U account temporarily locked`.
    FaillockLocked { acct: Acct },
    /// `pam_faillock(sshd:auth): User unknown` (a name that does not exist, logged by each
    /// `pam_faillock` line of the stack).
    FaillockUnknown,
    /// `PAM N more authentication failure(s); … rhost=IP  user=U`.
    PamMore { acct: Acct, ip: u32, n: u8 },
    /// `PAM service(sshd) ignoring max retries; N > 3`.
    PamMaxRetries { n: u8 },
    /// `error: maximum authentication attempts exceeded for U from IP port P ssh2 [preauth]`.
    MaxAuth { acct: Acct, ip: u32, port: u16 },
    /// `Disconnecting authenticating user U IP port P: Too many authentication failures [preauth]`.
    TooMany { acct: Acct, ip: u32, port: u16 },
    /// `Connection closed by authenticating user U IP port P [preauth]`.
    ClosedAuth { acct: Acct, ip: u32, port: u16 },
    /// `Received disconnect from IP port P:11: Bye Bye [preauth]`.
    ByeBye { ip: u32, port: u16 },
    /// `Disconnected from authenticating user U IP port P [preauth]`.
    DisconnectedAuth { acct: Acct, ip: u32, port: u16 },
    /// `Received disconnect from IP port P:11: disconnected by user`.
    UserDisconnect { ip: u32, port: u16 },
    /// `Disconnected from user U IP port P`.
    DisconnectedUser { acct: Acct, ip: u32, port: u16 },
    /// `error: kex_exchange_identification: Connection closed by remote host`.
    KexClosed,
    /// `Connection closed by IP port P` (a banner grab).
    ClosedBy { ip: u32, port: u16 },
    /// `Unable to negotiate with IP port P: no matching key exchange method found. …`.
    NoKex { ip: u32, port: u16 },
    /// `pam_unix(SVC:session): session opened for user U(uid=N) by B(uid=M)`.
    SessionOpened { svc: Svc, acct: Acct, by: Option<Acct> },
    /// `pam_unix(SVC:session): session closed for user U`.
    SessionClosed { svc: Svc, acct: Acct },
    /// systemd-logind: `New session N of user U.` (the line's `conn` is the SSH connection).
    LogindNew { acct: Acct },
    /// systemd-logind: `Session N logged out. Waiting for processes to exit.`
    LogindOut,
    /// systemd-logind: `Removed session N.`
    LogindRemoved,
    /// sudo: `    U : TTY=pts/N ; PWD=… ; USER=root ; COMMAND=…`.
    Sudo { acct: Acct, tty: Option<u8>, cmd: Cmd },
    /// passwd: `pam_unix(passwd:chauthtok): password changed for U`.
    PasswdChanged { acct: Acct },
}

/// The program a line is logged under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Prog {
    Sshd,
    Sudo,
    Cron,
    Logind,
    Passwd,
}

impl What {
    /// The program that logs it.
    pub(crate) fn prog(&self) -> Prog {
        match self {
            What::SessionOpened { svc, .. } | What::SessionClosed { svc, .. } => match svc {
                Svc::Sshd => Prog::Sshd,
                Svc::Sudo => Prog::Sudo,
                Svc::Cron => Prog::Cron,
            },
            What::LogindNew { .. } | What::LogindOut | What::LogindRemoved => Prog::Logind,
            What::Sudo { .. } => Prog::Sudo,
            What::PasswdChanged { .. } => Prog::Passwd,
            _ => Prog::Sshd,
        }
    }

    /// Syslog facility and severity (PAM logs to authpriv; sshd to auth on Debian and authpriv
    /// on RHEL; systemd-logind to auth).
    pub(crate) fn priority(&self, rhel: bool) -> (u8, u8) {
        const AUTH: u8 = 4;
        const AUTHPRIV: u8 = 10;
        let sshd = if rhel { AUTHPRIV } else { AUTH };
        match self {
            What::KexClosed | What::MaxAuth { .. } => (sshd, 3),
            What::PamUnixFail { .. }
            | What::PamUnixUnknown
            | What::PamSssFail { .. }
            | What::PamSssReceived { .. }
            | What::PamSssOk { .. }
            | What::FaillockUnknown
            | What::PamMore { .. }
            | What::PamMaxRetries { .. }
            | What::PasswdChanged { .. }
            | What::Sudo { .. } => (AUTHPRIV, 5),
            What::FaillockLocked { .. } | What::SessionOpened { .. } | What::SessionClosed { .. } => (AUTHPRIV, 6),
            What::LogindNew { .. } | What::LogindOut | What::LogindRemoved => (AUTH, 6),
            _ => (sshd, 6),
        }
    }

    /// The account the line is about, if any.
    pub(crate) fn acct(&self) -> Option<Acct> {
        match *self {
            What::Accepted { acct, .. }
            | What::Failed { acct, .. }
            | What::InvalidUser { acct, .. }
            | What::PamUnixFail { acct, .. }
            | What::PamSssFail { acct, .. }
            | What::PamSssReceived { acct }
            | What::PamSssOk { acct, .. }
            | What::FaillockLocked { acct }
            | What::PamMore { acct, .. }
            | What::MaxAuth { acct, .. }
            | What::TooMany { acct, .. }
            | What::ClosedAuth { acct, .. }
            | What::DisconnectedAuth { acct, .. }
            | What::DisconnectedUser { acct, .. }
            | What::SessionOpened { acct, .. }
            | What::SessionClosed { acct, .. }
            | What::LogindNew { acct }
            | What::Sudo { acct, .. }
            | What::PasswdChanged { acct } => Some(acct),
            _ => None,
        }
    }
}

/// One line of one host's log.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Line {
    pub t: Tick,
    /// Unique; orders lines of the same instant (a connection's lines in their order).
    pub key: u64,
    /// The process instance (SSH connection, sudo, cron job) the line belongs to: lines with
    /// the same `conn` share a pid. systemd-logind's lines name the SSH connection whose session
    /// they are about.
    pub conn: u64,
    /// For `sudo` and `passwd`: the SSH connection they were run in (journald's session scope).
    pub parent: u64,
    /// The last line of `conn`: its pid and session may be forgotten.
    pub end: bool,
    pub host: HostId,
    pub what: What,
}

/// The session ids a line refers to, resolved by the writer.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Ids {
    /// The logind session of the line's connection.
    pub session: u32,
}

/// Writes the message of `line` (the part after `prog[pid]: `) into `out`.
pub(crate) fn message(fleet: &Fleet, line: &Line, ids: Ids, out: &mut String) {
    let h = line.host;
    let n = |a: Acct| fleet.sshd_name(a, h);
    let inv = |a: Acct| if a.invalid() { "invalid user " } else { "" };
    let who = |a: Acct| if a.invalid() { "invalid user" } else { "authenticating user" };
    let _ = match line.what {
        What::Accepted { acct, ip, port, key } => {
            let method = if key { "publickey" } else { "password" };
            let _ = write!(out, "Accepted {method} for {} from {} port {port} ssh2", n(acct), Ip(ip));
            if key {
                let _ = write!(out, ": {} {}", fleet.key_type(acct), fleet.fingerprint(acct));
            }
            Ok(())
        }
        What::Failed { acct, ip, port } => {
            write!(out, "Failed password for {}{} from {} port {port} ssh2", inv(acct), n(acct), Ip(ip))
        }
        What::InvalidUser { acct, ip, port } => write!(out, "Invalid user {} from {} port {port}", n(acct), Ip(ip)),
        What::PamUnixFail { acct, ip } => {
            // Linux-PAM's format: "rhost=%s %s%s" with " user=" only for a known user, hence
            // two spaces before `user=` and a trailing space without it.
            let _ = write!(
                out,
                "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={} ",
                Ip(ip)
            );
            if !acct.invalid() {
                let _ = write!(out, " user={}", fleet.name(acct, h));
            }
            Ok(())
        }
        What::PamUnixUnknown => write!(out, "pam_unix(sshd:auth): check pass; user unknown"),
        What::PamSssFail { acct, ip } => write!(
            out,
            "pam_sss(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={} user={}",
            Ip(ip),
            fleet.name(acct, h)
        ),
        What::PamSssOk { acct, ip } => write!(
            out,
            "pam_sss(sshd:auth): authentication success; logname= uid=0 euid=0 tty=ssh ruser= rhost={} user={}",
            Ip(ip),
            fleet.name(acct, h)
        ),
        What::PamSssReceived { acct } => {
            write!(out, "pam_sss(sshd:auth): received for user {}: 7 (Authentication failure)", fleet.name(acct, h))
        }
        What::FaillockLocked { acct } => write!(
            out,
            "pam_faillock(sshd:auth): Consecutive login failures for user {} account temporarily locked",
            fleet.name(acct, h)
        ),
        What::FaillockUnknown => write!(out, "pam_faillock(sshd:auth): User unknown"),
        What::PamMore { acct, ip, n: more } => {
            let s = if more == 1 { "" } else { "s" };
            let _ = write!(
                out,
                "PAM {more} more authentication failure{s}; logname= uid=0 euid=0 tty=ssh ruser= rhost={} ",
                Ip(ip)
            );
            if !acct.invalid() {
                let _ = write!(out, " user={}", fleet.name(acct, h));
            }
            Ok(())
        }
        What::PamMaxRetries { n: tries } => write!(out, "PAM service(sshd) ignoring max retries; {tries} > 3"),
        What::MaxAuth { acct, ip, port } => write!(
            out,
            "error: maximum authentication attempts exceeded for {}{} from {} port {port} ssh2 [preauth]",
            inv(acct),
            n(acct),
            Ip(ip)
        ),
        What::TooMany { acct, ip, port } => write!(
            out,
            "Disconnecting {} {} {} port {port}: Too many authentication failures [preauth]",
            who(acct),
            n(acct),
            Ip(ip)
        ),
        What::ClosedAuth { acct, ip, port } => {
            write!(out, "Connection closed by {} {} {} port {port} [preauth]", who(acct), n(acct), Ip(ip))
        }
        What::ByeBye { ip, port } => {
            write!(out, "Received disconnect from {} port {port}:11: Bye Bye [preauth]", Ip(ip))
        }
        What::DisconnectedAuth { acct, ip, port } => {
            write!(out, "Disconnected from {} {} {} port {port} [preauth]", who(acct), n(acct), Ip(ip))
        }
        What::UserDisconnect { ip, port } => {
            write!(out, "Received disconnect from {} port {port}:11: disconnected by user", Ip(ip))
        }
        What::DisconnectedUser { acct, ip, port } => {
            write!(out, "Disconnected from user {} {} port {port}", n(acct), Ip(ip))
        }
        What::KexClosed => write!(out, "error: kex_exchange_identification: Connection closed by remote host"),
        What::ClosedBy { ip, port } => write!(out, "Connection closed by {} port {port}", Ip(ip)),
        What::NoKex { ip, port } => write!(
            out,
            "Unable to negotiate with {} port {port}: no matching key exchange method found. Their offer: \
             diffie-hellman-group14-sha1,diffie-hellman-group-exchange-sha1,diffie-hellman-group1-sha1 [preauth]",
            Ip(ip)
        ),
        What::SessionOpened { svc, acct, by } => {
            let name = fleet.canonical(acct, h);
            let _ = write!(out, "pam_unix({}:session): session opened for user {name}", svc_name(svc, h));
            if !host(h).old_pam {
                let _ = write!(out, "(uid={})", fleet.uid(acct));
            }
            match by {
                Some(b) => write!(out, " by {}(uid={})", fleet.canonical(b, h), fleet.uid(b)),
                None => write!(out, " by (uid=0)"),
            }
        }
        What::SessionClosed { svc, acct } => {
            write!(out, "pam_unix({}:session): session closed for user {}", svc_name(svc, h), fleet.canonical(acct, h))
        }
        What::LogindNew { acct } => write!(out, "New session {} of user {}.", ids.session, fleet.canonical(acct, h)),
        What::LogindOut => write!(out, "Session {} logged out. Waiting for processes to exit.", ids.session),
        What::LogindRemoved => write!(out, "Removed session {}.", ids.session),
        What::Sudo { acct, tty, cmd } => {
            // sudo pads the user to eight columns: `sudo:    alice : …`.
            let _ = write!(out, "{:>8} : ", fleet.canonical(acct, h).to_string());
            if let Some(n) = tty {
                let _ = write!(out, "TTY=pts/{n} ; ");
            }
            let _ = write!(out, "PWD={} ; USER=root ; COMMAND=", fleet.home(acct, h));
            command(fleet, cmd, h, out);
            Ok(())
        }
        What::PasswdChanged { acct } => {
            write!(out, "pam_unix(passwd:chauthtok): password changed for {}", fleet.name(acct, h))
        }
    };
}

fn svc_name(svc: Svc, h: HostId) -> &'static str {
    match svc {
        Svc::Sshd => "sshd",
        Svc::Sudo => "sudo",
        Svc::Cron if host(h).rhel => "crond",
        Svc::Cron => "cron",
    }
}

/// The command of a sudo line.
pub(crate) fn command(fleet: &Fleet, cmd: Cmd, h: HostId, out: &mut String) {
    match cmd {
        Cmd::Admin(i) => out.push_str(COMMANDS[usize::from(i) % COMMANDS.len()]),
        Cmd::Become(seed) => {
            // Ansible's become marker is 32 random lowercase letters.
            out.push_str("/bin/sh -c echo BECOME-SUCCESS-");
            let mut x = seed;
            for _ in 0..32 {
                x = crate::ids::mix(x.wrapping_add(0x9e37_79b9_7f4a_7c15));
                out.push(char::from(b'a' + (x % 26) as u8));
            }
            out.push_str(" ; /usr/bin/python3");
        }
        Cmd::Reload => out.push_str(if host(h).rhel {
            "/usr/bin/systemctl reload httpd"
        } else {
            "/usr/bin/systemctl reload nginx"
        }),
        Cmd::Passwd(a) => {
            let _ = write!(out, "/usr/bin/passwd {}", fleet.name(a, h));
        }
    }
}
