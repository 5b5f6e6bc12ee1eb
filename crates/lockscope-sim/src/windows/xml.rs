//! One Windows event as `wevtutil qe … /f:xml` renders it (formats.md §7.1–7.4): a single line
//! `<Event xmlns='…'><System>…</System><EventData><Data Name='…'>…</Data>…</EventData></Event>`
//! with single-quoted attributes, the provider GUID in lower case, `TimeCreated` with 7
//! fractional digits, and the EventData fields of each event id in the order Windows logs them.

use super::domain::{DC01, DOMAIN_SID, Domain, Fqdn, HostId, LAB, LAB_SID, NETBIOS, Name, REALM, Sid};
use super::event::{Acct, Addr, NONEXISTENT, SERVICES, TASKS, Via, What, WinEvent, Ws, task_content};
use crate::clock::{Style, Ts, UsTime};
use crate::ids::{self, Domain as IdDomain, Ip, Keys};
use std::fmt::{self, Display, Write as _};

const NS: &str = "http://schemas.microsoft.com/win/2004/08/events/event";
const AUDITING: &str =
    "<Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-a5ba-3e3b0328c30d}'/>";
const SCM: &str = "<Provider Name='Service Control Manager' Guid='{555908d1-a6d7-4695-8e1e-26931d2012f4}' EventSourceName='Service Control Manager'/>";
const SUCCESS: &str = "0x8020000000000000";
const FAILURE: &str = "0x8010000000000000";
const CLASSIC: &str = "0x8080000000000000";
const NULL_SID: &str = "S-1-0-0";
const NO_GUID: &str = "{00000000-0000-0000-0000-000000000000}";
const WINLOGON: &str = "C:\\Windows\\System32\\winlogon.exe";

/// Renders events; holds what the text of an event depends on beyond its spec.
pub(crate) struct Render<'a> {
    pub domain: &'a Domain,
    /// Attackers' machine names (`Ws::Attacker`); empty when the tool sends none.
    pub attackers: &'a [String],
    pub keys: Keys,
}

/// A value written with XML's three special characters escaped (text content).
struct Esc<'a>(&'a str);

impl Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(i) = rest.find(['&', '<', '>']) {
            f.write_str(&rest[..i])?;
            f.write_str(match rest.as_bytes()[i] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                _ => "&gt;",
            })?;
            rest = &rest[i + 1..];
        }
        f.write_str(rest)
    }
}

/// The `EventData` under construction.
struct Data<'o> {
    out: &'o mut String,
}

impl Data<'_> {
    fn put(&mut self, name: &str, value: impl Display) -> &mut Self {
        let _ = write!(self.out, "<Data Name='{name}'>{value}</Data>");
        self
    }
}

/// An account's name, domain and SID as a target field shows them.
struct Account {
    name: String,
    domain: String,
    sid: String,
}

impl Render<'_> {
    /// A cosmetic value for an event (ports, logon ids, thread ids).
    fn cosmetic(&self, e: &WinEvent, what: u64) -> u64 {
        self.keys.noise(e.key, 0xe000 + what)
    }

    fn account(&self, a: Acct, kerberos: bool) -> Account {
        let domain = if kerberos { REALM } else { NETBIOS };
        match a {
            Acct::User(u) => Account {
                name: self.domain.sam(u).to_string(),
                domain: domain.into(),
                sid: self.domain.user_sid(u).to_string(),
            },
            Acct::Machine(h) => Account {
                name: format!("{}$", Name(h)),
                domain: domain.into(),
                sid: self.domain.machine_sid(h).to_string(),
            },
            Acct::Unknown(i) => Account {
                name: NONEXISTENT[usize::from(i) % NONEXISTENT.len()].into(),
                domain: domain.into(),
                sid: NULL_SID.into(),
            },
            Acct::LabAdmin => Account {
                name: "labadmin".into(),
                domain: Name(LAB).to_string(),
                sid: Sid { base: LAB_SID, rid: 1001 }.to_string(),
            },
        }
    }

    fn ws(&self, w: Ws) -> String {
        match w {
            Ws::Host(h) => Name(h).to_string(),
            Ws::Attacker(i) => self.attackers.get(usize::from(i)).cloned().unwrap_or_default(),
            Ws::Empty => String::new(),
        }
    }

    fn ip(&self, a: Addr, mapped: bool) -> String {
        let v4 = |ip: u32| if mapped { format!("::ffff:{}", Ip(ip)) } else { Ip(ip).to_string() };
        match a {
            Addr::Host(h) => v4(self.domain.ip(h)),
            Addr::Ip(ip) => v4(ip),
            Addr::Loopback => "127.0.0.1".into(),
            Addr::None => "-".into(),
        }
    }

    fn port(&self, e: &WinEvent, a: Addr) -> String {
        match a {
            Addr::Host(_) | Addr::Ip(_) => (49152 + self.cosmetic(e, 1) % 16_000).to_string(),
            Addr::Loopback => "0".into(),
            Addr::None => "-".into(),
        }
    }

    fn logon_id(&self, e: &WinEvent, what: u64) -> String {
        format!("{:#x}", 0x10_0000 + self.cosmetic(e, what) % 0x7f0_0000)
    }

    fn guid(&self, e: &WinEvent, what: u64) -> String {
        format!("{{{}}}", self.keys.guid(IdDomain::Correlation, ids::combine(e.key, what)).to_string().to_uppercase())
    }

    /// The Subject of an event logged by `host` on its own behalf (`SYSTEM`, `HOST$`).
    fn system_subject(&self, d: &mut Data<'_>, host: HostId) {
        d.put("SubjectUserSid", "S-1-5-18")
            .put("SubjectUserName", format_args!("{}$", Name(host)))
            .put("SubjectDomainName", NETBIOS)
            .put("SubjectLogonId", "0x3e7");
    }

    fn null_subject(&self, d: &mut Data<'_>) {
        d.put("SubjectUserSid", NULL_SID)
            .put("SubjectUserName", "-")
            .put("SubjectDomainName", "-")
            .put("SubjectLogonId", "0x0");
    }

    fn user_subject(&self, d: &mut Data<'_>, e: &WinEvent, a: Acct) {
        let acc = self.account(a, false);
        d.put("SubjectUserSid", &acc.sid)
            .put("SubjectUserName", &acc.name)
            .put("SubjectDomainName", &acc.domain)
            .put("SubjectLogonId", self.logon_id(e, 2));
    }

    fn target(&self, d: &mut Data<'_>, user: u32) {
        d.put("TargetUserName", self.domain.sam(user))
            .put("TargetDomainName", NETBIOS)
            .put("TargetSid", self.domain.user_sid(user));
    }

    /// Renders `e` as record `record` of its log, without a line end.
    pub(crate) fn event(&self, e: &WinEvent, record: u64, out: &mut String) {
        let (id, version, task, keywords) = header(&e.what);
        let system = e.what.system_log();
        let activity = matches!(e.what, What::Logon { .. } | What::LogonFailed { .. } | What::Explicit { .. });
        let pid = if system { self.domain.services_pid(e.host) } else { self.domain.lsass_pid(e.host) };
        let tid = 4 * (40 + self.cosmetic(e, 3) % 2400);
        let _ = write!(out, "<Event xmlns='{NS}'><System>{}", if system { SCM } else { AUDITING });
        if system {
            let _ = write!(out, "<EventID Qualifiers='16384'>{id}</EventID>");
        } else {
            let _ = write!(out, "<EventID>{id}</EventID>");
        }
        let _ = write!(
            out,
            "<Version>{version}</Version><Level>{}</Level><Task>{task}</Task><Opcode>0</Opcode><Keywords>{keywords}</Keywords><TimeCreated SystemTime='{}'/><EventRecordID>{record}</EventRecordID>",
            if system { 4 } else { 0 },
            Ts(e.t, Style::Ticks),
        );
        if activity {
            // Logon events carry the host's boot-time activity id.
            let boot = self.keys.guid(IdDomain::Correlation, u64::from(e.host) | 0xb007 << 32);
            let _ = write!(out, "<Correlation ActivityID='{{{}}}'/>", boot.to_string().to_uppercase());
        } else {
            out.push_str("<Correlation/>");
        }
        let _ = write!(
            out,
            "<Execution ProcessID='{pid}' ThreadID='{tid}'/><Channel>{}</Channel><Computer>{}</Computer>",
            if system { "System" } else { "Security" },
            Fqdn(e.host)
        );
        match e.what {
            What::ServiceInstalled { by, .. } => {
                let _ = write!(out, "<Security UserID='{}'/>", self.domain.user_sid(by));
            }
            _ => out.push_str("<Security/>"),
        }
        out.push_str("</System><EventData>");
        self.data(e, &mut Data { out });
        out.push_str("</EventData></Event>");
    }

    fn data(&self, e: &WinEvent, d: &mut Data<'_>) {
        match e.what {
            What::Tgt { acct, from, status } => {
                let acc = self.account(acct, true);
                let ok = status == 0;
                d.put("TargetUserName", &acc.name)
                    .put("TargetDomainName", REALM)
                    .put("TargetSid", if ok { acc.sid.as_str() } else { NULL_SID })
                    .put("ServiceName", if ok { "krbtgt".to_string() } else { format!("krbtgt/{REALM}") })
                    .put("ServiceSid", if ok { format!("{DOMAIN_SID}-502") } else { NULL_SID.into() })
                    .put("TicketOptions", "0x40810010")
                    .put("Status", format_args!("{status:#x}"))
                    .put("TicketEncryptionType", if ok { "0x12" } else { "0xffffffff" })
                    .put("PreAuthType", if ok { "2" } else { "-" })
                    .put("IpAddress", self.ip(from, true))
                    .put("IpPort", self.port(e, from))
                    .put("CertIssuerName", "")
                    .put("CertSerialNumber", "")
                    .put("CertThumbprint", "");
            }
            What::Preauth { user, from, status } => {
                d.put("TargetUserName", self.domain.sam(user))
                    .put("TargetSid", self.domain.user_sid(user))
                    .put("ServiceName", format_args!("krbtgt/{REALM}"))
                    .put("TicketOptions", "0x40810010")
                    .put("Status", format_args!("{status:#x}"))
                    .put("PreAuthType", "2")
                    .put("IpAddress", self.ip(from, true))
                    .put("IpPort", self.port(e, from))
                    .put("CertIssuerName", "")
                    .put("CertSerialNumber", "")
                    .put("CertThumbprint", "");
            }
            What::Ntlm { acct, ws, status } => {
                d.put("PackageName", "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0")
                    .put("TargetUserName", self.account(acct, false).name)
                    .put("Workstation", self.ws(ws))
                    .put("Status", format_args!("{status:#x}"));
            }
            What::Logon { acct, via, from, ws } => self.logon(e, d, acct, via, from, ws),
            What::LogonFailed { acct, via, from, ws, locked } => self.logon_failed(e, d, acct, via, (from, ws), locked),
            What::Explicit { subject, target, server } => {
                let acc = self.account(target, false);
                self.user_subject(d, e, subject);
                d.put("LogonGuid", NO_GUID)
                    .put("TargetUserName", &acc.name)
                    .put("TargetDomainName", &acc.domain)
                    .put("TargetLogonGuid", NO_GUID)
                    .put("TargetServerName", Fqdn(server))
                    .put("TargetInfo", format_args!("ldap/{}", Fqdn(server)))
                    .put("ProcessId", format_args!("{:#x}", self.domain.pid(e.host, 3)))
                    .put("ProcessName", "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe")
                    .put("IpAddress", self.ip(Addr::Host(server), false))
                    .put("IpPort", "389");
            }
            What::Lockout { user, caller } => {
                d.put("TargetUserName", self.domain.sam(user))
                    .put("TargetDomainName", self.ws(caller))
                    .put("TargetSid", self.domain.user_sid(user));
                self.system_subject(d, DC01);
            }
            What::Unlock { user, admin } => {
                self.target(d, user);
                self.user_subject(d, e, Acct::User(admin));
            }
            What::PasswordChange { user } => {
                self.target(d, user);
                self.user_subject(d, e, Acct::User(user));
                d.put("PrivilegeList", "-");
            }
            What::PasswordReset { user, admin } => {
                self.target(d, user);
                self.user_subject(d, e, Acct::User(admin));
            }
            What::UserChanged { user, by } => {
                d.put("Dummy", "-");
                self.target(d, user);
                self.user_subject(d, e, Acct::User(by));
                d.put("PrivilegeList", "-");
                for f in ["SamAccountName", "DisplayName", "UserPrincipalName", "HomeDirectory", "HomePath"] {
                    d.put(f, "-");
                }
                for f in ["ScriptPath", "ProfilePath", "UserWorkstations"] {
                    d.put(f, "-");
                }
                d.put("PasswordLastSet", UsTime(e.t)).put("AccountExpires", "-").put("PrimaryGroupId", "-");
                d.put("AllowedToDelegateTo", "-").put("OldUacValue", "0x10").put("NewUacValue", "0x10");
                for f in ["UserAccountControl", "UserParameters", "SidHistory", "LogonHours"] {
                    d.put(f, "-");
                }
            }
            What::ServiceInstalled { user, service, .. } => {
                let s = &SERVICES[usize::from(service) % SERVICES.len()];
                d.put("ServiceName", s.name)
                    .put("ImagePath", Esc(s.image))
                    .put("ServiceType", "user mode service")
                    .put("StartType", "auto start")
                    .put("AccountName", format_args!("{NETBIOS}\\{}", self.domain.sam(user)));
            }
            What::TaskCreated { user, by, task, every } => {
                let def = &TASKS[usize::from(task) % TASKS.len()];
                self.user_subject(d, e, Acct::User(by));
                let who = (self.domain.sam(user), self.domain.sam(by));
                let content = task_content(e.t, (def.name, def.command), who, every);
                d.put("TaskName", Esc(def.name)).put("TaskContent", Esc(&content));
            }
        }
    }

    /// The fields of a logon, per [`Via`]: subject, logon process, package, workstation,
    /// process and address as Windows fills them for that logon type.
    fn logon(&self, e: &WinEvent, d: &mut Data<'_>, acct: Acct, via: Via, from: Addr, ws: Ws) {
        let shape = Shape::of(via);
        let acc = self.account(acct, via == Via::NetworkKerberos);
        if shape.system_subject {
            self.system_subject(d, e.host);
        } else {
            self.null_subject(d);
        }
        d.put("TargetUserSid", &acc.sid)
            .put("TargetUserName", &acc.name)
            .put("TargetDomainName", &acc.domain)
            .put("TargetLogonId", self.logon_id(e, 4))
            .put("LogonType", via.logon_type())
            .put("LogonProcessName", shape.process_name)
            .put("AuthenticationPackageName", shape.package)
            .put("WorkstationName", nonempty(self.ws(ws)))
            .put("LogonGuid", if shape.kerberos { self.guid(e, 5) } else { NO_GUID.into() })
            .put("TransmittedServices", "-")
            .put("LmPackageName", if via == Via::NetworkNtlm { "NTLM V2" } else { "-" })
            .put("KeyLength", if via == Via::NetworkNtlm { "128" } else { "0" });
        self.process(d, e.host, via);
        d.put("IpAddress", self.ip(from, false))
            .put("IpPort", self.port(e, from))
            .put("ImpersonationLevel", "%%1833")
            .put("RestrictedAdminMode", if via == Via::Rdp { "%%1843" } else { "-" })
            .put("TargetOutboundUserName", "-")
            .put("TargetOutboundDomainName", "-")
            .put("VirtualAccount", "%%1843")
            .put("TargetLinkedLogonId", "0x0")
            .put("ElevatedToken", if matches!(via, Via::Service | Via::Batch) { "%%1842" } else { "%%1843" });
    }

    fn logon_failed(&self, e: &WinEvent, d: &mut Data<'_>, acct: Acct, via: Via, (from, ws): (Addr, Ws), locked: bool) {
        let shape = Shape::of(via);
        let acc = self.account(acct, false);
        if shape.system_subject {
            self.system_subject(d, e.host);
        } else {
            self.null_subject(d);
        }
        let (status, reason, sub) =
            if locked { ("0xc0000234", "%%2307", "0x0") } else { ("0xc000006d", "%%2313", "0xc000006a") };
        d.put("TargetUserSid", NULL_SID)
            .put("TargetUserName", &acc.name)
            .put("TargetDomainName", &acc.domain)
            .put("Status", status)
            .put("FailureReason", reason)
            .put("SubStatus", sub)
            .put("LogonType", via.logon_type())
            .put("LogonProcessName", shape.process_name)
            .put("AuthenticationPackageName", shape.package)
            .put("WorkstationName", nonempty(self.ws(ws)))
            .put("TransmittedServices", "-")
            .put("LmPackageName", "-")
            .put("KeyLength", "0");
        self.process(d, e.host, via);
        d.put("IpAddress", self.ip(from, false)).put("IpPort", self.port(e, from));
    }

    /// `ProcessId` and `ProcessName`: the program that asked for the logon on `host`.
    fn process(&self, d: &mut Data<'_>, host: HostId, via: Via) {
        let (pid, name) = match via {
            Via::Interactive | Via::Unlock | Via::Cached | Via::Rdp => (self.domain.lsass_pid(host) - 84, WINLOGON),
            Via::Service => (self.domain.services_pid(host), "C:\\Windows\\System32\\services.exe"),
            Via::Batch => (self.domain.pid(host, 1), "C:\\Windows\\System32\\svchost.exe"),
            Via::Cleartext => (self.domain.pid(host, 2), "C:\\Windows\\System32\\inetsrv\\w3wp.exe"),
            Via::NetworkKerberos | Via::NetworkNtlm => (0, "-"),
        };
        d.put("ProcessId", format_args!("{pid:#x}")).put("ProcessName", name);
    }
}

/// `-` for an empty workstation name, as logon events write it.
fn nonempty(s: String) -> String {
    if s.is_empty() { "-".into() } else { s }
}

/// How Windows fills a logon's fixed fields for one logon type.
struct Shape {
    system_subject: bool,
    process_name: &'static str,
    package: &'static str,
    kerberos: bool,
}

impl Shape {
    fn of(via: Via) -> Self {
        let (system_subject, process_name, package, kerberos) = match via {
            Via::Interactive | Via::Unlock | Via::Rdp => (true, "User32 ", "Negotiate", true),
            Via::Cached => (true, "User32 ", "Negotiate", false),
            Via::NetworkKerberos => (false, "Kerberos", "Kerberos", true),
            Via::NetworkNtlm => (false, "NtLmSsp ", "NTLM", false),
            Via::Service | Via::Batch | Via::Cleartext => (true, "Advapi  ", "Negotiate", true),
        };
        Self { system_subject, process_name, package, kerberos }
    }
}

/// Event id, version, task (subcategory) and keywords of an event.
fn header(w: &What) -> (u32, u8, u32, &'static str) {
    let ok = |yes: bool| if yes { SUCCESS } else { FAILURE };
    match *w {
        What::Tgt { status, .. } => (4768, 0, 14339, ok(status == 0)),
        What::Preauth { .. } => (4771, 0, 14339, FAILURE),
        What::Ntlm { status, .. } => (4776, 0, 14336, ok(status == 0)),
        What::Logon { .. } => (4624, 2, 12544, SUCCESS),
        // Failures against a locked account are audited by the Account Lockout subcategory.
        What::LogonFailed { locked, .. } => (4625, 0, if locked { 12546 } else { 12544 }, FAILURE),
        What::Explicit { .. } => (4648, 0, 12544, SUCCESS),
        What::Lockout { .. } => (4740, 0, 13824, SUCCESS),
        What::Unlock { .. } => (4767, 0, 13824, SUCCESS),
        What::PasswordChange { .. } => (4723, 0, 13824, SUCCESS),
        What::PasswordReset { .. } => (4724, 0, 13824, SUCCESS),
        What::UserChanged { .. } => (4738, 0, 13824, SUCCESS),
        What::ServiceInstalled { .. } => (7045, 0, 0, CLASSIC),
        What::TaskCreated { .. } => (4698, 0, 12804, SUCCESS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::tenant;
    use crate::windows::domain::{FILE, MAIL};

    fn render(what: What, host: HostId) -> String {
        let cfg = Config { users: 5, ..Config::default() };
        let domain = Domain::build(&tenant::build(&cfg, 0), 1);
        let attackers = vec!["kali".to_string()];
        let r = Render { domain: &domain, attackers: &attackers, keys: Keys::new(1) };
        let mut out = String::new();
        let t = crate::clock::from_timestamp("2025-04-18T09:12:33.1234567Z".parse().expect("test value"));
        r.event(&WinEvent { t, key: 7, host, what }, 175_703, &mut out);
        out
    }

    #[test]
    fn a_lockout_looks_like_wevtutil_output() {
        let xml = render(What::Lockout { user: 0, caller: Ws::Host(FILE) }, DC01);
        assert!(xml.starts_with("<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-a5ba-3e3b0328c30d}'/><EventID>4740</EventID><Version>0</Version><Level>0</Level><Task>13824</Task><Opcode>0</Opcode><Keywords>0x8020000000000000</Keywords><TimeCreated SystemTime='2025-04-18T09:12:33.1234567Z'/><EventRecordID>175703</EventRecordID><Correlation/><Execution ProcessID='"), "{xml}");
        assert!(xml.contains("<Channel>Security</Channel><Computer>DC01.contoso.com</Computer><Security/></System>"));
        assert!(xml.contains("<Data Name='TargetDomainName'>SRV-FILE01</Data>"), "{xml}");
        assert!(xml.contains("<Data Name='SubjectUserName'>DC01$</Data>"));
        assert!(xml.ends_with("</EventData></Event>"));
        assert!(!xml.contains('\n'));
    }

    #[test]
    fn failures_carry_codes_addresses_and_processes() {
        let xml = render(What::Preauth { user: 1, from: Addr::Host(MAIL), status: 0x18 }, DC01);
        assert!(xml.contains("<Keywords>0x8010000000000000</Keywords>") && xml.contains("<Task>14339</Task>"));
        assert!(xml.contains("<Data Name='Status'>0x18</Data>") && xml.contains("'IpAddress'>::ffff:10.0.1.25<"));
        let xml = render(
            What::LogonFailed {
                acct: Acct::User(1),
                via: Via::Service,
                from: Addr::None,
                ws: Ws::Host(FILE),
                locked: false,
            },
            FILE,
        );
        for needle in [
            "<Data Name='Status'>0xc000006d</Data><Data Name='FailureReason'>%%2313</Data><Data Name='SubStatus'>0xc000006a</Data><Data Name='LogonType'>5</Data>",
            "<Data Name='ProcessName'>C:\\Windows\\System32\\services.exe</Data><Data Name='IpAddress'>-</Data><Data Name='IpPort'>-</Data>",
            "<Correlation ActivityID='{",
        ] {
            assert!(xml.contains(needle), "{needle} in {xml}");
        }
        let xml = render(What::Ntlm { acct: Acct::User(2), ws: Ws::Attacker(0), status: 0xc000_006a }, DC01);
        assert!(xml.contains("<Data Name='Workstation'>kali</Data><Data Name='Status'>0xc000006a</Data>"), "{xml}");
    }

    #[test]
    fn services_go_to_the_system_log_and_tasks_are_escaped() {
        let xml = render(What::ServiceInstalled { user: 0, by: 1, service: 0 }, FILE);
        assert!(xml.contains("<Provider Name='Service Control Manager'") && xml.contains("<Channel>System</Channel>"));
        assert!(xml.contains("<EventID Qualifiers='16384'>7045</EventID>"));
        assert!(xml.contains("<Data Name='AccountName'>CONTOSO\\"), "{xml}");
        let xml = render(What::TaskCreated { user: 0, by: 0, task: 1, every: 3 }, FILE);
        assert!(xml.contains("&lt;UserId&gt;CONTOSO\\"), "{xml}");
        assert!(xml.contains("&lt;Interval&gt;PT3M&lt;/Interval&gt;\r\n"), "{xml}");
        assert!(!xml.contains("<Task version"));
    }
}
