//! From a [`Record`] to an [`Event`], per event id (`reference/formats.md` §7.2).
//!
//! Naming, decided once for every Windows event:
//!
//! - `user` is the account the event is about (`Target*`); for 4648 the account whose
//!   credentials were used. Its `name` is `domain\sam`, lowercased, when the record names a
//!   domain, so a local `WS01\administrator` and a domain `CONTOSO\administrator` stay apart. A
//!   DNS-form domain (Kerberos logons log `CONTOSO.COM`, NTLM logons `CONTOSO`) is cut to its first
//!   label, the usual NetBIOS name, so both forms of one account meet. Without a usable domain (`-`,
//!   empty, or `.` for "this machine") the name is the bare `sam`; a name already qualified
//!   (`sam@domain`, `DOMAIN\sam`) is kept whole. The bare sAMAccountName is always the part after
//!   the last `\`. The identity resolver joins `domain\sam`, `sam` and `sam@domain.tld`.
//! - `user.id` is the target SID when it is a real one (not `S-1-0-0` / `NULL SID`).
//! - 4740 names the *caller computer* in `TargetDomainName`, so its user is the bare `sam` (plus
//!   the SID), and the caller goes to `detail.workstation` and `source`.
//! - `actor` is the Subject: a machine account (`HOST$`) is a user; `SYSTEM`, `LOCAL SERVICE`,
//!   `NETWORK SERVICE` and an empty subject (`-`) are the system.

use std::net::IpAddr;

use jiff::Timestamp;

use super::{Record, codes};
use crate::event::{Actor, ActorKind, Event, Kind, Origin, Outcome, Principal};

/// Builds the event of a record whose id is one of [`super::EVENT_IDS`].
pub(super) fn event(id: u32, time: Timestamp, rec: &Record, origin: Origin) -> Event {
    let mut ev = Event::new(time, kind_of(id), origin);
    ev.host = rec.computer.clone();
    ev.detail.event_id = Some(id);
    ev.ids.record = rec.record_id.clone();
    match id {
        4624 | 4625 => logon(&mut ev, rec, id == 4625),
        4648 => explicit_credential(&mut ev, rec),
        4768 | 4771 => kerberos(&mut ev, rec, id == 4771),
        4776 => ntlm(&mut ev, rec),
        4740 => lockout(&mut ev, rec),
        7045 | 4697 => service(&mut ev, rec),
        4698 | 4702 => task(&mut ev, rec),
        _ => account_change(&mut ev, rec),
    }
    if !ev.kind.is_auth_attempt() {
        ev.detail.activity = title(id).map(str::to_string);
    }
    ev
}

/// The event kind of a used event id.
fn kind_of(id: u32) -> Kind {
    match id {
        4624 | 4625 => Kind::Logon,
        4648 => Kind::ExplicitCredential,
        4768 => Kind::KerberosTicket,
        4771 => Kind::KerberosPreauth,
        4776 => Kind::NtlmValidation,
        4740 => Kind::Lockout,
        4767 => Kind::AccountUnlocked,
        4723 => Kind::PasswordChange,
        4724 => Kind::PasswordReset,
        4720 => Kind::UserCreated,
        4722 => Kind::AccountEnabled,
        4725 => Kind::AccountDisabled,
        4726 => Kind::UserDeleted,
        7045 | 4697 => Kind::ServiceInstalled,
        4698 | 4702 => Kind::TaskScheduled,
        _ => Kind::UserUpdated,
    }
}

/// The event's title as Windows words it, for the non-authentication events.
fn title(id: u32) -> Option<&'static str> {
    Some(match id {
        4740 => "A user account was locked out",
        4767 => "A user account was unlocked",
        4723 => "An attempt was made to change an account's password",
        4724 => "An attempt was made to reset an account's password",
        4738 => "A user account was changed",
        4720 => "A user account was created",
        4722 => "A user account was enabled",
        4725 => "A user account was disabled",
        4726 => "A user account was deleted",
        7045 | 4697 => "A service was installed in the system",
        4698 => "A scheduled task was created",
        4702 => "A scheduled task was updated",
        _ => return None,
    })
}

/// 4624 (success) and 4625 (failure).
fn logon(ev: &mut Event, rec: &Record, failed: bool) {
    ev.user = target(rec, rec.get("TargetDomainName"));
    ev.actor = subject(rec);
    remote(ev, rec, &["WorkstationName"]);
    ev.detail.logon_type = rec.get("LogonType").and_then(|t| t.parse().ok());
    ev.detail.process = rec.get("ProcessName").map(str::to_string);
    if !failed {
        ev.outcome = Outcome::Success;
        return;
    }
    ev.outcome = Outcome::Failure;
    let status = rec.get("Status");
    let sub = rec.get("SubStatus");
    ev.code = status.map(codes::canonical);
    ev.detail.sub_status = sub.map(codes::canonical);
    ev.failure = Some(codes::logon_failure(status.and_then(codes::parse), sub.and_then(codes::parse)));
    ev.reason = rec.get("FailureReason").map(codes::failure_reason).or_else(|| {
        let specific = sub.and_then(codes::parse).filter(|s| *s != 0).or(status.and_then(codes::parse))?;
        Some(codes::ntstatus(specific).1.to_string())
    });
}

/// 4648: logged on the client; the user is the account whose credentials were used, the remote
/// side is the target server. Whether the logon then worked is not in the record.
fn explicit_credential(ev: &mut Event, rec: &Record) {
    ev.user = target(rec, rec.get("TargetDomainName"));
    ev.actor = subject(rec);
    remote(ev, rec, &["TargetServerName"]);
    ev.detail.target = rec.get("TargetServerName").map(str::to_string);
    ev.detail.process = rec.get("ProcessName").map(str::to_string);
}

/// 4768 (TGT request, any result) and 4771 (pre-authentication failed), both on a DC.
fn kerberos(ev: &mut Event, rec: &Record, preauth: bool) {
    // 4771 has no domain field; its service is `krbtgt/REALM`, the realm the account is in.
    let realm = rec.get("ServiceName").and_then(|s| {
        let (svc, realm) = s.split_once('/')?;
        svc.eq_ignore_ascii_case("krbtgt").then_some(realm)
    });
    ev.user = target(rec, rec.get("TargetDomainName").or(realm));
    remote(ev, rec, &[]);
    let status = rec.get("Status");
    ev.code = status.map(codes::canonical);
    match status.and_then(codes::parse) {
        Some(0) if !preauth => ev.outcome = Outcome::Success,
        code => {
            let (failure, meaning) = code.map_or((crate::event::Failure::Other, "No result code"), codes::kerberos);
            ev.outcome = Outcome::Failure;
            ev.failure = Some(failure);
            ev.reason = Some(meaning.to_string());
        }
    }
}

/// 4776: NTLM credential validation by the authoritative machine; the client is `Workstation`.
fn ntlm(ev: &mut Event, rec: &Record) {
    ev.user = target(rec, None);
    ev.detail.workstation = rec.get("Workstation").map(str::to_string);
    ev.source.clone_from(&ev.detail.workstation);
    let status = rec.get("Status");
    ev.code = status.map(codes::canonical);
    match status.and_then(codes::parse) {
        Some(0) => ev.outcome = Outcome::Success,
        code => {
            let (failure, meaning) = code.map_or((crate::event::Failure::Other, "No status"), codes::ntstatus);
            ev.outcome = Outcome::Failure;
            ev.failure = Some(failure);
            ev.reason = Some(meaning.to_string());
        }
    }
}

/// 4740: `TargetDomainName` is the caller computer, not a domain.
fn lockout(ev: &mut Event, rec: &Record) {
    ev.user = target(rec, None);
    ev.actor = subject(rec);
    ev.detail.workstation = rec.get("TargetDomainName").map(str::to_string);
    ev.source.clone_from(&ev.detail.workstation);
}

/// Account management (4720, 4722–4726, 4738, 4767): the Subject acted on the Target.
fn account_change(ev: &mut Event, rec: &Record) {
    ev.user = target(rec, rec.get("TargetDomainName"));
    ev.actor = subject(rec);
    // The password events are "attempts" and are logged as Audit Failure when they fail.
    ev.outcome = if rec.audit_failure == Some(true) { Outcome::Failure } else { Outcome::Success };
}

/// 7045 (System log) and 4697 (Security log): the service, its binary and the account it runs as.
fn service(ev: &mut Event, rec: &Record) {
    ev.detail.target = rec.get("ServiceName").map(str::to_string);
    ev.detail.process = rec.first(&["ImagePath", "ServiceFileName"]).map(str::to_string);
    ev.user = rec.first(&["AccountName", "ServiceAccount"]).and_then(run_as);
    // 7045 has no Subject; the System block's `Security/@UserID` is who installed it.
    ev.actor = subject(rec).or_else(|| rec.user_sid.as_deref().and_then(sid).map(|id| well_known_or_user(id, None)));
}

/// 4698 (created) and 4702 (updated): the task, its command and its run-as account from the
/// task XML's `<UserId>`.
fn task(ev: &mut Event, rec: &Record) {
    ev.actor = subject(rec);
    ev.detail.target = rec.get("TaskName").map(str::to_string);
    let content = rec.first(&["TaskContent", "TaskContentNew"]).unwrap_or_default();
    ev.user = element_text(content, "UserId").as_deref().and_then(run_as);
    ev.detail.process = element_text(content, "Command");
}

/// The account the event is about: `TargetUserName` in `domain` (see the module docs), and the
/// target SID.
fn target(rec: &Record, domain: Option<&str>) -> Option<Principal> {
    let name = rec.get("TargetUserName").and_then(|u| account(u, domain));
    let id = rec.first(&["TargetSid", "TargetUserSid"]).and_then(sid);
    let p = Principal { name, id, display: None };
    (!p.is_empty()).then_some(p)
}

/// Who acted: the Subject, when the record has one.
fn subject(rec: &Record) -> Option<Actor> {
    // The null SID (`S-1-0-0`, or `NULL SID` when a forwarder renders SIDs as names) is no one.
    let raw_sid =
        rec.get("SubjectUserSid").filter(|s| !s.eq_ignore_ascii_case("S-1-0-0") && !s.eq_ignore_ascii_case("NULL SID"));
    let name = rec.get("SubjectUserName");
    if raw_sid.is_none() && name.is_none() && rec.get("SubjectDomainName").is_none() {
        // `-` everywhere (network logons) or no Subject at all (4771, 4776).
        return rec.data.iter().any(|(k, _)| k.eq_ignore_ascii_case("SubjectUserName")).then_some(Actor {
            kind: ActorKind::System,
            id: None,
            name: None,
        });
    }
    let id = raw_sid.and_then(sid);
    // Forwarders can render the SID as a name (`NT AUTHORITY\SYSTEM`).
    let sid_as_name = raw_sid.filter(|s| id.is_none() && !s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("s-1-")));
    let qualified =
        name.and_then(|n| account(n, rec.get("SubjectDomainName"))).or(sid_as_name.map(crate::scrub::lowercase));
    Some(match (id, qualified) {
        (id, Some(n)) if n.ends_with('$') => Actor { kind: ActorKind::User, id, name: Some(n) },
        (Some(id), n) => well_known_or_user(id, n),
        (None, n) => {
            let system = n.as_deref().is_none_or(is_system_name);
            Actor { kind: if system { ActorKind::System } else { ActorKind::User }, id: None, name: n }
        }
    })
}

/// An actor from a SID: the well-known service SIDs are the system.
fn well_known_or_user(id: String, name: Option<String>) -> Actor {
    let system = matches!(id.as_str(), "S-1-5-18" | "S-1-5-19" | "S-1-5-20" | "S-1-5-7")
        || name.as_deref().is_some_and(is_system_name);
    Actor { kind: if system { ActorKind::System } else { ActorKind::User }, id: Some(id), name }
}

/// Whether a (lowercased, possibly qualified) account name is one of the built-in service
/// identities rather than a person's or a machine's account.
fn is_system_name(name: &str) -> bool {
    let bare = name.rsplit('\\').next().unwrap_or(name);
    matches!(
        bare,
        "system"
            | "local service"
            | "network service"
            | "localsystem"
            | "localservice"
            | "networkservice"
            | "anonymous logon"
    ) || name.starts_with("nt authority\\")
        || name.starts_with("nt service\\")
}

/// The run-as account of a service or task, when it is a real account (a SID or a name) and
/// not one of the built-in service identities.
fn run_as(value: &str) -> Option<Principal> {
    let v = value.trim();
    if let Some(id) = sid(v) {
        let builtin = matches!(id.as_str(), "S-1-5-18" | "S-1-5-19" | "S-1-5-20");
        return (!builtin).then_some(Principal { name: None, id: Some(id), display: None });
    }
    let (domain, user) = match v.rsplit_once('\\') {
        Some((d, u)) => (Some(d), u),
        None => (None, v),
    };
    let name = account(user, domain)?;
    (!is_system_name(&name)).then_some(Principal { name: Some(name), id: None, display: None })
}

/// `domain\user`, lowercased, per the module's naming rules; `None` for an absent user.
fn account(user: &str, domain: Option<&str>) -> Option<String> {
    let user = user.trim();
    if super::is_placeholder(user) {
        return None;
    }
    // Lowercased, unless it holds a secret (redacted instead, see `scrub::lowercase`).
    if user.contains('@') || user.contains('\\') {
        return Some(crate::scrub::lowercase(user));
    }
    let domain = domain.map(str::trim).filter(|d| !super::is_placeholder(d) && *d != ".");
    Some(match domain {
        Some(d) => crate::scrub::lowercase(&format!("{}\\{user}", d.split('.').next().unwrap_or(d))),
        None => crate::scrub::lowercase(user),
    })
}

/// A SID in its canonical `S-1-…` form, or `None` for the null SID and anything that is not one.
pub(super) fn sid(value: &str) -> Option<String> {
    let v = value.trim();
    let rest = v.get(..4).filter(|p| p.eq_ignore_ascii_case("s-1-")).map(|_| &v[4..])?;
    let valid = !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit() || b == b'-');
    (valid && rest != "0-0").then(|| format!("S-1-{rest}"))
}

/// Sets `ip` from `IpAddress` and `source` to it, else to the first named field present.
fn remote(ev: &mut Event, rec: &Record, fallback: &[&str]) {
    ev.ip = rec.get("IpAddress").and_then(ip);
    ev.source = ev.ip.clone().or_else(|| rec.first(fallback).map(str::to_string));
}

/// An IP address as text: IPv4-mapped IPv6 (`::ffff:10.0.0.12`) becomes IPv4; loopback is kept
/// (a local logon says so); `-`, `0.0.0.0`, `::` and non-addresses are absent.
pub(super) fn ip(text: &str) -> Option<String> {
    let t = text.trim().trim_start_matches('[').trim_end_matches(']');
    let addr: IpAddr = t.parse().ok()?;
    let addr = addr.to_canonical();
    (!addr.is_unspecified()).then(|| addr.to_string())
}

/// The text of the first `<name>…</name>` in an XML string (the task definition inside
/// 4698's `TaskContent`), with the basic entities decoded; `None` when absent or empty.
fn element_text(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xml.find(&open)? + open.len();
    let len = xml[start..].find(&close)?;
    let text = xml[start..start + len]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_names_follow_the_naming_rules() {
        assert_eq!(account("Auditor", Some("CONTOSO")).as_deref(), Some("contoso\\auditor"));
        assert_eq!(account("cjones", Some("SIMULANDLABS.COM")).as_deref(), Some("simulandlabs\\cjones"));
        assert_eq!(account("Administrator", Some(".")).as_deref(), Some("administrator"));
        assert_eq!(account("admmig@offsec.lan", Some("")).as_deref(), Some("admmig@offsec.lan"));
        assert_eq!(account("DC01$", Some("CONTOSO")).as_deref(), Some("contoso\\dc01$"));
        assert_eq!(account("-", Some("CONTOSO")), None);
        assert_eq!(account("bob", Some("-")).as_deref(), Some("bob"));
    }

    #[test]
    fn sids_and_ips() {
        assert_eq!(sid("S-1-5-21-1-2-3-1104").as_deref(), Some("S-1-5-21-1-2-3-1104"));
        assert_eq!(sid("s-1-5-18").as_deref(), Some("S-1-5-18"));
        for junk in ["S-1-0-0", "NULL SID", "NT AUTHORITY\\SYSTEM", "-", "S-1-", "S-1-x"] {
            assert_eq!(sid(junk), None, "{junk}");
        }
        assert_eq!(ip("::ffff:10.23.123.11").as_deref(), Some("10.23.123.11"));
        assert_eq!(ip("127.0.0.1").as_deref(), Some("127.0.0.1"));
        assert_eq!(ip("::1").as_deref(), Some("::1"));
        assert_eq!(ip("-"), None);
        assert_eq!(ip("0.0.0.0"), None);
    }

    #[test]
    fn run_as_accounts_skip_builtins() {
        assert_eq!(run_as("LocalSystem"), None);
        assert_eq!(run_as("NT AUTHORITY\\LocalService"), None);
        assert_eq!(run_as("S-1-5-18"), None);
        assert_eq!(run_as("CONTOSO\\svc_sql").and_then(|p| p.name).as_deref(), Some("contoso\\svc_sql"));
        assert_eq!(run_as(".\\backup").and_then(|p| p.name).as_deref(), Some("backup"));
        assert_eq!(run_as("svc@contoso.com").and_then(|p| p.name).as_deref(), Some("svc@contoso.com"));
        assert_eq!(run_as("S-1-5-21-1-2-3-1105").and_then(|p| p.id).as_deref(), Some("S-1-5-21-1-2-3-1105"));
    }

    #[test]
    fn task_xml_elements() {
        let xml = "<?xml version=\"1.0\"?><Task><Principals><Principal id=\"Author\"><UserId>CONTOSO\\svc_backup</UserId>\
                   <LogonType>Password</LogonType></Principal></Principals><Actions><Exec><Command>C:\\b&amp;r.exe</Command>\
                   </Exec></Actions></Task>";
        assert_eq!(element_text(xml, "UserId").as_deref(), Some("CONTOSO\\svc_backup"));
        assert_eq!(element_text(xml, "Command").as_deref(), Some("C:\\b&r.exe"));
        assert_eq!(element_text(xml, "GroupId"), None);
    }
}
