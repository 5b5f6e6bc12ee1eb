//! `journalctl -o json` (formats.md §8.6): one JSON object per entry, every value a string.
//! The export is the authentication part of the journal (`SYSLOG_FACILITY=4` and `10`), so the
//! sequence numbers of the entries written have gaps where other entries were.
//!
//! Programs that use `syslog(3)` (sshd-session, sudo, crond, passwd) arrive over the syslog
//! transport with `SYSLOG_IDENTIFIER`, `SYSLOG_PID` (not sudo, which logs without its pid) and
//! `SYSLOG_TIMESTAMP` (the RFC 3164 stamp with a trailing space); systemd-logind logs natively,
//! with `CODE_*`, `MESSAGE_ID`, `SESSION_ID` and `USER_ID`.

use super::fleet::{Acct, Fleet, HostId, host};
use super::line::{Line, Prog, What, command};
use super::syslog::bsd_time;
use crate::clock::{DAY, Tick};
use crate::ids;
use serde::Serialize;

/// `MESSAGE_ID` of logind's "New session" (`SD_MESSAGE_SESSION_START`).
const SESSION_START: &str = "8d45620c1a4348dbb17410da57c60c66";
/// `MESSAGE_ID` of logind's "Removed session" (`SD_MESSAGE_SESSION_STOP`).
const SESSION_STOP: &str = "3354939424b4456d9802ca8333ed424a";

/// One journal entry, fields in the order `journalctl` prints them.
#[derive(Serialize)]
#[allow(non_snake_case)] // journal field names
struct Entry<'a> {
    __CURSOR: String,
    __REALTIME_TIMESTAMP: String,
    __MONOTONIC_TIMESTAMP: String,
    __SEQNUM: String,
    __SEQNUM_ID: &'a str,
    _BOOT_ID: &'a str,
    _TRANSPORT: &'static str,
    PRIORITY: String,
    SYSLOG_FACILITY: String,
    SYSLOG_IDENTIFIER: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    SYSLOG_PID: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    SYSLOG_TIMESTAMP: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    CODE_FILE: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    CODE_LINE: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    CODE_FUNC: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    MESSAGE_ID: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    SESSION_ID: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    USER_ID: Option<String>,
    MESSAGE: &'a str,
    _PID: String,
    _UID: &'static str,
    _GID: &'static str,
    _COMM: &'static str,
    _EXE: &'static str,
    _CMDLINE: String,
    _CAP_EFFECTIVE: &'static str,
    _SELINUX_CONTEXT: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    _AUDIT_SESSION: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    _AUDIT_LOGINUID: Option<String>,
    _SYSTEMD_CGROUP: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    _SYSTEMD_SESSION: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    _SYSTEMD_OWNER_UID: Option<String>,
    _SYSTEMD_UNIT: String,
    _SYSTEMD_SLICE: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    _SYSTEMD_INVOCATION_ID: Option<&'a str>,
    _MACHINE_ID: &'a str,
    _HOSTNAME: &'static str,
    _RUNTIME_SCOPE: &'static str,
    _SOURCE_REALTIME_TIMESTAMP: String,
}

/// A host's journal: its boot, machine and sequence ids and the running counters.
#[derive(Debug)]
pub(crate) struct Journal {
    host: HostId,
    boot_id: String,
    machine_id: String,
    seqnum_id: String,
    /// When the host booted (the zero of the monotonic clock).
    boot: Tick,
    seqnum: u64,
    /// Invocation ids of the units whose processes log: sshd, crond, systemd-logind.
    invocations: [String; 3],
}

/// Who an entry's process is, as the journal's trusted fields describe it.
struct Origin {
    comm: &'static str,
    exe: &'static str,
    cmdline: String,
    selinux: &'static str,
    cap: &'static str,
    unit: String,
    slice: String,
    invocation: Option<usize>,
}

/// A 128-bit id (boot, machine, sequence) as 32 hex digits, from a host key and a purpose.
fn hex128(k: u64, what: u64) -> String {
    format!("{:016x}{:016x}", ids::combine(k, what), ids::combine(what, k))
}

impl Journal {
    /// The journal of `h`, booted some days before `start`.
    pub(crate) fn new(seed: u64, h: HostId, start: Tick) -> Self {
        let k = ids::combine(seed, 0x10_0000 + u64::from(h));
        let boot = start - (3 + (k % 30) as i64) * DAY - (ids::mix(k) % (DAY as u64)) as i64;
        Self {
            host: h,
            boot_id: hex128(k, 1),
            machine_id: hex128(k, 2),
            seqnum_id: hex128(k, 3),
            boot,
            seqnum: 40_000 + ids::mix(k ^ 4) % 3_000_000,
            invocations: [hex128(k, 5), hex128(k, 6), hex128(k, 7)],
        }
    }

    /// Writes `line` (message `msg`, process `pid`, logind session `session`) as one JSON line.
    #[allow(clippy::too_many_arguments)] // the writer's resolved ids
    pub(crate) fn entry(
        &mut self,
        fleet: &Fleet,
        line: &Line,
        msg: &str,
        pid: u32,
        session: u32,
        parent_session: Option<u32>,
        out: &mut Vec<u8>,
    ) -> serde_json::Result<()> {
        // Entries of other facilities were journaled in between.
        self.seqnum += 1 + ids::mix(line.key) % 7;
        let realtime = line.t / 10;
        let mono = (line.t - self.boot) / 10;
        let h = host(self.host);
        let prog = line.what.prog();
        let (facility, severity) = line.what.priority(h.rhel);
        let acct = line.what.acct();
        let logind = prog == Prog::Logind;
        let user_scope = matches!(prog, Prog::Sudo | Prog::Passwd).then_some(parent_session).flatten();
        let o = origin(fleet, self.host, line, prog, acct, user_scope);
        let login_uid = match (prog, acct) {
            (Prog::Sudo, Some(a)) => Some(fleet.uid(a).to_string()),
            (Prog::Passwd, _) => user_scope.map(|_| "0".to_string()),
            _ => None,
        };
        let mut stamp = String::with_capacity(16);
        bsd_time(line.t, &mut stamp);
        stamp.push(' ');
        let (code, func, id) = match line.what {
            What::LogindNew { .. } => (Some("src/login/logind-session.c"), Some("session_start"), Some(SESSION_START)),
            What::LogindOut => (Some("src/login/logind-session.c"), Some("session_stop"), None),
            What::LogindRemoved => (Some("src/login/logind-session.c"), Some("session_finalize"), Some(SESSION_STOP)),
            _ => (None, None, None),
        };
        let cursor = format!(
            "s={};i={:x};b={};m={:x};t={:x};x={:016x}",
            self.seqnum_id,
            self.seqnum,
            self.boot_id,
            mono,
            realtime,
            ids::mix(line.key ^ self.seqnum)
        );
        let entry = Entry {
            __CURSOR: cursor,
            __REALTIME_TIMESTAMP: realtime.to_string(),
            __MONOTONIC_TIMESTAMP: mono.to_string(),
            __SEQNUM: self.seqnum.to_string(),
            __SEQNUM_ID: &self.seqnum_id,
            _BOOT_ID: &self.boot_id,
            _TRANSPORT: if logind { "journal" } else { "syslog" },
            PRIORITY: severity.to_string(),
            SYSLOG_FACILITY: facility.to_string(),
            SYSLOG_IDENTIFIER: identifier(prog),
            SYSLOG_PID: (!logind && prog != Prog::Sudo).then(|| pid.to_string()),
            SYSLOG_TIMESTAMP: (!logind).then_some(stamp),
            CODE_FILE: code,
            CODE_LINE: code.map(|_| match func {
                Some("session_start") => "831",
                Some("session_stop") => "950",
                _ => "781",
            }),
            CODE_FUNC: func,
            MESSAGE_ID: id,
            SESSION_ID: logind.then(|| session.to_string()),
            USER_ID: match line.what {
                What::LogindNew { acct } => Some(fleet.canonical(acct, self.host).to_string()),
                _ => None,
            },
            MESSAGE: msg,
            _PID: pid.to_string(),
            _UID: "0",
            _GID: "0",
            _COMM: o.comm,
            _EXE: o.exe,
            _CMDLINE: o.cmdline,
            _CAP_EFFECTIVE: o.cap,
            _SELINUX_CONTEXT: o.selinux,
            _AUDIT_SESSION: user_scope.map(|s| s.to_string()),
            _AUDIT_LOGINUID: login_uid,
            _SYSTEMD_CGROUP: format!("/{}/{}", o.slice, o.unit),
            _SYSTEMD_SESSION: user_scope.map(|s| s.to_string()),
            _SYSTEMD_OWNER_UID: match (user_scope, line.what) {
                (Some(_), What::Sudo { acct, .. }) => Some(fleet.uid(acct).to_string()),
                _ => None,
            },
            _SYSTEMD_UNIT: o.unit,
            _SYSTEMD_SLICE: o.slice,
            _SYSTEMD_INVOCATION_ID: o.invocation.map(|i| self.invocations[i].as_str()),
            _MACHINE_ID: &self.machine_id,
            _HOSTNAME: h.name,
            _RUNTIME_SCOPE: "system",
            _SOURCE_REALTIME_TIMESTAMP: (realtime - 40 - (ids::mix(line.key) % 400) as i64).to_string(),
        };
        serde_json::to_writer(&mut *out, &entry)?;
        out.push(b'\n');
        Ok(())
    }
}

fn identifier(prog: Prog) -> &'static str {
    match prog {
        Prog::Sshd => "sshd-session",
        Prog::Sudo => "sudo",
        Prog::Cron => "crond",
        Prog::Logind => "systemd-logind",
        Prog::Passwd => "passwd",
    }
}

fn origin(fleet: &Fleet, h: HostId, line: &Line, prog: Prog, acct: Option<Acct>, scope: Option<u32>) -> Origin {
    let system = |unit: &str, invocation| (unit.to_string(), "system.slice".to_string(), Some(invocation));
    let (unit, slice, invocation) = match prog {
        Prog::Sshd => system("sshd.service", 0),
        Prog::Cron => system("crond.service", 1),
        Prog::Logind => system("systemd-logind.service", 2),
        Prog::Sudo | Prog::Passwd => {
            // In the scope of the SSH session it was run from.
            let uid = match line.what {
                What::Sudo { acct, .. } => fleet.uid(acct),
                _ => 0,
            };
            let unit = scope.map_or_else(|| "sshd.service".to_string(), |s| format!("session-{s}.scope"));
            (unit, format!("user.slice/user-{uid}.slice"), None)
        }
    };
    let (comm, exe, selinux, cap) = match prog {
        Prog::Sshd => (
            "sshd-session",
            "/usr/libexec/openssh/sshd-session",
            "system_u:system_r:sshd_t:s0-s0:c0.c1023",
            "1ffffffffff",
        ),
        Prog::Cron => ("crond", "/usr/sbin/crond", "system_u:system_r:crond_t:s0-s0:c0.c1023", "1ffffffffff"),
        Prog::Logind => {
            ("systemd-logind", "/usr/lib/systemd/systemd-logind", "system_u:system_r:systemd_logind_t:s0", "24420124a")
        }
        Prog::Sudo => ("sudo", "/usr/bin/sudo", "unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023", "1ffffffffff"),
        Prog::Passwd => {
            ("passwd", "/usr/bin/passwd", "unconfined_u:unconfined_r:passwd_t:s0-s0:c0.c1023", "1ffffffffff")
        }
    };
    let cmdline = match (prog, line.what) {
        (Prog::Sshd, _) => match acct {
            Some(a) => format!("sshd-session: {} [priv]", fleet.name(a, h)),
            None => "sshd-session: unknown [priv]".to_string(),
        },
        (Prog::Cron, _) => "/usr/sbin/crond -n".to_string(),
        (Prog::Logind, _) => exe.to_string(),
        (Prog::Sudo, What::Sudo { cmd, .. }) => {
            let mut s = "sudo ".to_string();
            command(fleet, cmd, h, &mut s);
            s
        }
        (Prog::Sudo, _) => "sudo".to_string(),
        (Prog::Passwd, What::PasswdChanged { acct }) => format!("passwd {}", fleet.name(acct, h)),
        (Prog::Passwd, _) => "passwd".to_string(),
    };
    Origin { comm, exe, cmdline, selinux, cap, unit, slice, invocation }
}
