//! `truth.json`: what the engine should conclude about every affected user.

use crate::SimError;
use crate::clock::{Style, Ts};
use crate::config::Config;
use crate::ids::{Domain, Guid, Ip};
use crate::leaks::Leak;
use crate::linux::fleet::host;
use crate::linux::{LinuxPlan, label_name};
use crate::plan::{CONTRIBUTING, Plan};
use crate::tenant::Tenant;
use crate::windows::AdPlan;
use crate::writer::{FileStat, Output};
use serde::Serialize;
use std::path::PathBuf;

/// Version of the truth file's layout.
pub(crate) const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Truth<'a> {
    schema_version: u32,
    generator: String,
    scenario: &'static str,
    seed: u64,
    users_total: usize,
    tenant_id: Guid,
    window: Window,
    affected: Vec<Row<'a>>,
    incidents: Vec<IncidentRow<'a>>,
    /// Tokens written into an application log (only with `leaked_tokens` set).
    #[serde(skip_serializing_if = "Option::is_none")]
    leaked_tokens: Option<Vec<LeakRow<'a>>>,
}

/// One leaked token: whose it is, where it was written, the sign-in that issued it (its `uti`
/// is that request id), and whether it still worked when the window ended.
#[derive(Serialize)]
struct LeakRow<'a> {
    user: &'a str,
    file: &'static str,
    line: u64,
    request_id: Guid,
    status: &'static str,
}

#[derive(Serialize)]
struct Window {
    start: Ts,
    end: Ts,
}

#[derive(Serialize)]
struct Row<'a> {
    user: std::borrow::Cow<'a, str>,
    /// The person's Windows names (`contoso\sam`, `sam`, SID), in scenarios with a domain; an
    /// AD user's `contoso\sam` on Linux.
    #[serde(skip_serializing_if = "Option::is_none")]
    aliases: Option<Vec<String>>,
    /// The directory object id (`null` for Linux local accounts, which have none).
    object_id: Option<Guid>,
    root_cause: &'static str,
    verdict: &'static str,
    actions: &'static [&'static str],
    contributing: Vec<&'static str>,
    incident: Option<&'static str>,
    /// For accounts affected on the Windows or Linux side: where their lockout came from
    /// (`null` when the account was not locked).
    #[serde(skip_serializing_if = "Option::is_none")]
    lockout: Option<Option<LockoutRow<'a>>>,
    /// Linux: the host of a scenario that happened on one host.
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<&'static str>,
    /// Linux: every host the scenario's records about the account are on.
    #[serde(skip_serializing_if = "Option::is_none")]
    hosts: Option<Vec<&'static str>>,
    /// Linux: the attacker's address (brute force, spray).
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum LockoutRow<'a> {
    /// A Windows lockout: the caller computer the 4740 names, the source, the process.
    Windows { caller: Option<&'a str>, source: &'a str, process: Option<&'a str> },
    /// A `pam_faillock` lock: the host and the address the failures came from.
    Linux { host: &'static str, source: String },
}

/// The plans of the other families.
#[derive(Clone, Copy)]
pub(crate) struct Others<'a> {
    pub ad: Option<&'a AdPlan>,
    pub linux: Option<&'a LinuxPlan>,
    /// The leaked tokens, when an application log was written.
    pub leaks: Option<&'a [Leak]>,
}

#[derive(Serialize)]
struct IncidentRow<'a> {
    kind: &'static str,
    initiator: Initiator<'a>,
    start: Ts,
    end: Ts,
    members: usize,
}

#[derive(Serialize)]
struct Initiator<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: Option<&'a str>,
    name: &'a str,
    service_principal_id: Guid,
}

/// The Entra lockout effects a user got, in truth's order.
fn effects(seen: &[u8], u: u32) -> Vec<&'static str> {
    let bits = seen.get(u as usize).copied().unwrap_or(0);
    CONTRIBUTING.iter().enumerate().filter(|(i, _)| bits & (1 << i) != 0).map(|(_, (name, _))| *name).collect()
}

/// Writes `truth.json`; `seen` holds each user's Entra lockout effects as written, `others` the
/// Windows plan of scenarios with a domain and the Linux plan of Linux scenarios.
pub(crate) fn write(
    path: PathBuf,
    cfg: &Config,
    tenant: &Tenant,
    plan: &Plan,
    others: Others<'_>,
    seen: &[u8],
) -> Result<FileStat, SimError> {
    let ad = others.ad;
    let aliases = |u: u32| ad.map(|ad| ad.aliases(u));
    let mut affected: Vec<Row<'_>> = plan
        .labels
        .iter()
        .map(|l| {
            let user = tenant.user(l.user);
            Row {
                user: user.upn.as_str().into(),
                aliases: aliases(l.user),
                object_id: Some(user.oid),
                root_cause: l.root_cause,
                verdict: l.verdict,
                actions: l.actions,
                contributing: effects(seen, l.user),
                incident: l.incident.then_some("mass-revocation"),
                lockout: None,
                host: None,
                hosts: None,
                source: None,
            }
        })
        .collect();
    for l in ad.map_or(&[][..], |ad| &ad.labels) {
        let user = tenant.user(l.user);
        let mut contributing = effects(seen, l.user);
        if l.lockout.is_some() {
            contributing.push("account-lockout");
        }
        affected.push(Row {
            user: user.upn.as_str().into(),
            aliases: aliases(l.user),
            object_id: Some(user.oid),
            root_cause: l.root_cause,
            verdict: l.verdict,
            actions: l.actions,
            contributing,
            incident: None,
            lockout: Some(l.lockout.as_ref().map(|o| LockoutRow::Windows {
                caller: o.caller.as_deref(),
                source: &o.source,
                process: o.process,
            })),
            host: None,
            hosts: None,
            source: None,
        });
    }
    if let Some(lin) = others.linux {
        affected.extend(linux_rows(tenant, lin));
    }
    // Each list is sorted and a person is in at most one of them.
    affected.sort_by(|a, b| a.user.cmp(&b.user));
    let incidents = match &tenant.provider {
        Some(p) => plan
            .incidents
            .iter()
            .map(|i| IncidentRow {
                kind: "provider-mass-revocation",
                initiator: Initiator { kind: "app", id: p.app_id, name: p.name, service_principal_id: p.sp_id },
                start: Ts(i.start, Style::Ticks),
                end: Ts(i.end, Style::Ticks),
                members: i.members,
            })
            .collect(),
        None => Vec::new(),
    };
    let truth = Truth {
        schema_version: SCHEMA_VERSION,
        generator: format!("lockscope-sim {}", env!("CARGO_PKG_VERSION")),
        scenario: cfg.scenario.as_str(),
        seed: cfg.seed,
        users_total: cfg.users,
        tenant_id: tenant.id,
        window: Window { start: Ts(plan.window.0, Style::TicksTrim), end: Ts(plan.window.1, Style::TicksTrim) },
        affected,
        incidents,
        leaked_tokens: others.leaks.map(|leaks| {
            leaks
                .iter()
                .map(|l| LeakRow {
                    user: &tenant.user(l.signin.user).upn,
                    file: crate::leaks::FILE,
                    line: l.line,
                    request_id: tenant.keys.guid(Domain::Request, l.signin.key),
                    status: l.status.as_str(),
                })
                .collect()
        }),
    };
    let mut out = Output::create(path)?;
    let mut ser =
        serde_json::Serializer::with_formatter(out.writer_mut(), serde_json::ser::PrettyFormatter::with_indent(b"  "));
    truth.serialize(&mut ser).map_err(SimError::json(&out.path.clone()))?;
    out.raw(b"\n")?;
    out.records = truth.affected.len() as u64;
    out.finish()
}

/// The rows of the Linux scenarios: one per login name (the engine joins a name across hosts, so
/// `root` attacked on one host and used on all is one row), an AD user by UPN with
/// `contoso\sam` among the aliases, local accounts without an object id.
fn linux_rows<'a>(tenant: &'a Tenant, lin: &'a LinuxPlan) -> Vec<Row<'a>> {
    lin.labels
        .iter()
        .map(|l| {
            let ad = matches!(l.acct, crate::linux::fleet::Acct::Upn(_) | crate::linux::fleet::Acct::Netbios(_));
            let person = l.person().filter(|_| ad);
            let aliases = person.map(|u| {
                let local = tenant.user(u).upn.split('@').next().unwrap_or_default();
                vec![format!("contoso\\{local}")]
            });
            let hosts: Vec<&'static str> = l.hosts.iter().map(|&h| host(h).name).collect();
            Row {
                user: label_name(&lin.fleet, l).into(),
                aliases,
                object_id: person.map(|u| tenant.user(u).oid),
                root_cause: l.root_cause,
                verdict: l.verdict,
                actions: l.actions,
                contributing: if l.lockout.is_some() { vec!["account-lockout"] } else { Vec::new() },
                incident: None,
                lockout: Some(
                    l.lockout.map(|(h, ip)| LockoutRow::Linux { host: host(h).name, source: Ip(ip).to_string() }),
                ),
                host: (hosts.len() == 1).then(|| hosts[0]),
                hosts: Some(hosts),
                source: l.source.map(|ip| Ip(ip).to_string()),
            }
        })
        .collect()
}
