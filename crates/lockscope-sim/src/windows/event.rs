//! Windows events as compact specs: what a machine logged and about whom. All text (names,
//! SIDs, addresses, the XML) is produced when a spec is written (`windows::xml`).

use super::domain::{HostId, NETBIOS};
use crate::clock::{Style, Tick, Ts};

/// An account an event names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Acct {
    /// A person's domain account (`CONTOSO\sam`).
    User(u32),
    /// A computer account (`WS001$`).
    Machine(HostId),
    /// A name that does not exist in the domain (a sprayer's guess), by index in
    /// [`NONEXISTENT`].
    Unknown(u8),
    /// The lab PC's local administrator (`WS-LAB07\labadmin`).
    LabAdmin,
}

/// Names a password sprayer tries that are not accounts of the domain.
pub(crate) const NONEXISTENT: [&str; 12] = [
    "administrator1",
    "admin2",
    "test",
    "test01",
    "scanner",
    "backup",
    "svc_backup",
    "helpdesk",
    "sqlservice",
    "webadmin",
    "training",
    "reception",
];

/// A network address as an event logs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Addr {
    /// A machine of the domain.
    Host(HostId),
    /// Any other IPv4 address (an unmanaged laptop, a phone).
    Ip(u32),
    /// `127.0.0.1`: a logon at the machine itself.
    Loopback,
    /// `-`: no network side (service and batch logons).
    None,
}

/// A workstation name as an event logs it (`WorkstationName`, `Workstation`, the 4740 caller).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ws {
    /// A machine of the domain, by NetBIOS name.
    Host(HostId),
    /// An attacker's machine name, by index in the plan's attackers.
    Attacker(u8),
    /// Nothing (`-` or an empty caller).
    Empty,
}

/// How a logon reached a host; decides its logon type, logon process, package and process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Via {
    /// Type 2 at the console.
    Interactive,
    /// Type 7: unlocking the screen.
    Unlock,
    /// Type 11: cached credentials (laptop off the network).
    Cached,
    /// Type 3 with a Kerberos ticket (file shares, Exchange).
    NetworkKerberos,
    /// Type 3 with NTLM (older applications, guessing tools).
    NetworkNtlm,
    /// Type 10: Remote Desktop.
    Rdp,
    /// Type 5: a service starting under an account (by `services.exe`).
    Service,
    /// Type 4: a scheduled task running under an account (by the Task Scheduler).
    Batch,
    /// Type 8: basic authentication through IIS (`w3wp.exe`), as Exchange ActiveSync does.
    Cleartext,
}

impl Via {
    /// The `LogonType` number.
    pub(crate) fn logon_type(self) -> u8 {
        match self {
            Via::Interactive => 2,
            Via::NetworkKerberos | Via::NetworkNtlm => 3,
            Via::Batch => 4,
            Via::Service => 5,
            Via::Unlock => 7,
            Via::Cleartext => 8,
            Via::Rdp => 10,
            Via::Cached => 11,
        }
    }
}

/// What was logged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum What {
    /// 4768: a ticket-granting ticket was requested; `status` is the Kerberos result (0 issued).
    Tgt { acct: Acct, from: Addr, status: u8 },
    /// 4771: Kerberos pre-authentication failed (`0x18` wrong password, `0x12` locked).
    Preauth { user: u32, from: Addr, status: u8 },
    /// 4776: NTLM credential validation; `status` is the NTSTATUS (0 valid).
    Ntlm { acct: Acct, ws: Ws, status: u32 },
    /// 4624: a successful logon at the logging host.
    Logon { acct: Acct, via: Via, from: Addr, ws: Ws },
    /// 4625: a failed logon (wrong password, or the account is locked).
    LogonFailed { acct: Acct, via: Via, from: Addr, ws: Ws, locked: bool },
    /// 4648: a logon with explicit credentials, logged on the client.
    Explicit { subject: Acct, target: Acct, server: HostId },
    /// 4740: the account was locked out, with the caller computer the bad passwords came from.
    Lockout { user: u32, caller: Ws },
    /// 4767: an administrator unlocked the account.
    Unlock { user: u32, admin: u32 },
    /// 4723: the user changed their own password.
    PasswordChange { user: u32 },
    /// 4724: an administrator reset the password.
    PasswordReset { user: u32, admin: u32 },
    /// 4738: the account changed (`PasswordLastSet`), after a change or reset by `by`.
    UserChanged { user: u32, by: u32 },
    /// 7045 (System log): a service running as the user was installed by `by`.
    ServiceInstalled { user: u32, by: u32, service: u8 },
    /// 4698: a scheduled task running as the user every `every` minutes was created by `by`.
    TaskCreated { user: u32, by: u32, task: u8, every: u8 },
}

impl What {
    /// Whether the event goes to the System log rather than the Security log.
    pub(crate) fn system_log(&self) -> bool {
        matches!(self, What::ServiceInstalled { .. })
    }

    /// The person the event is about when it authenticates them (used to silence a user's
    /// background while a scenario owns their account).
    pub(crate) fn person(&self) -> Option<u32> {
        match *self {
            What::Tgt { acct: Acct::User(u), .. }
            | What::Ntlm { acct: Acct::User(u), .. }
            | What::Logon { acct: Acct::User(u), .. }
            | What::LogonFailed { acct: Acct::User(u), .. } => Some(u),
            What::Preauth { user, .. } => Some(user),
            _ => None,
        }
    }
}

/// One Windows event.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WinEvent {
    pub t: Tick,
    /// Unique per event; orders events of the same instant and seeds cosmetic values.
    pub key: u64,
    /// The machine that logged it.
    pub host: HostId,
    pub what: What,
}

/// A service a stale credential can hide in: name, command line (`ImagePath`), program and
/// the server it runs on.
pub(crate) struct ServiceDef {
    pub name: &'static str,
    pub image: &'static str,
    pub binary: &'static str,
    pub host: HostId,
}

/// The services of the domain that run as a person (rather than a service account).
pub(crate) const SERVICES: [ServiceDef; 3] = [
    ServiceDef {
        name: "ReportSync",
        image: "\"C:\\Program Files\\Contoso\\ReportSync\\ReportSync.exe\" /service",
        binary: "C:\\Program Files\\Contoso\\ReportSync\\ReportSync.exe",
        host: super::domain::APP,
    },
    ServiceDef {
        name: "ScanToFolder",
        image: "C:\\Program Files (x86)\\ScanRouter\\scanrouter.exe",
        binary: "C:\\Program Files (x86)\\ScanRouter\\scanrouter.exe",
        host: super::domain::FILE,
    },
    ServiceDef {
        name: "SqlExportJob",
        image: "C:\\Tools\\SqlExport\\sqlexport.exe -svc",
        binary: "C:\\Tools\\SqlExport\\sqlexport.exe",
        host: super::domain::SQL,
    },
];

/// A scheduled task a stale credential can hide in: its path and command.
pub(crate) struct TaskDef {
    pub name: &'static str,
    pub command: &'static str,
}

/// Scheduled tasks people create under their own account.
pub(crate) const TASKS: [TaskDef; 3] = [
    TaskDef { name: "\\Sync sales reports", command: "C:\\Scripts\\sync-reports.cmd" },
    TaskDef { name: "\\Contoso\\Copy scans", command: "C:\\Windows\\System32\\Robocopy.exe" },
    TaskDef { name: "\\Refresh price list", command: "C:\\Tools\\pricelist\\refresh.exe" },
];

/// The task definition a 4698 carries in `TaskContent` (UTF-16 XML as the Task Scheduler
/// stores it, CRLF line ends), repeating every `every` minutes under the user's stored password.
pub(crate) fn task_content(t: Tick, (name, command): (&str, &str), (sam, author): (&str, &str), every: u8) -> String {
    let when = Ts(t, Style::Seconds).to_string();
    let when = when.trim_end_matches('Z');
    let lines = [
        "<?xml version=\"1.0\" encoding=\"UTF-16\"?>".to_string(),
        "<Task version=\"1.2\" xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">".into(),
        "  <RegistrationInfo>".into(),
        format!("    <Date>{when}</Date>"),
        format!("    <Author>{NETBIOS}\\{author}</Author>"),
        format!("    <URI>{name}</URI>"),
        "  </RegistrationInfo>".into(),
        "  <Triggers>".into(),
        "    <TimeTrigger>".into(),
        "      <Repetition>".into(),
        format!("        <Interval>PT{every}M</Interval>"),
        "        <StopAtDurationEnd>false</StopAtDurationEnd>".into(),
        "      </Repetition>".into(),
        format!("      <StartBoundary>{when}</StartBoundary>"),
        "      <Enabled>true</Enabled>".into(),
        "    </TimeTrigger>".into(),
        "  </Triggers>".into(),
        "  <Principals>".into(),
        "    <Principal id=\"Author\">".into(),
        format!("      <UserId>{NETBIOS}\\{sam}</UserId>"),
        "      <LogonType>Password</LogonType>".into(),
        "      <RunLevel>LeastPrivilege</RunLevel>".into(),
        "    </Principal>".into(),
        "  </Principals>".into(),
        "  <Settings>".into(),
        "    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>".into(),
        "    <StartWhenAvailable>true</StartWhenAvailable>".into(),
        "    <Enabled>true</Enabled>".into(),
        "  </Settings>".into(),
        "  <Actions Context=\"Author\">".into(),
        "    <Exec>".into(),
        format!("      <Command>{command}</Command>"),
        "    </Exec>".into(),
        "  </Actions>".into(),
        "</Task>".into(),
    ];
    lines.join("\r\n")
}
