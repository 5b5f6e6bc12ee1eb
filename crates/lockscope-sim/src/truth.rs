//! `truth.json`: what the engine should conclude about every affected user.

use crate::SimError;
use crate::clock::{Style, Ts};
use crate::config::Config;
use crate::ids::Guid;
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
}

#[derive(Serialize)]
struct Window {
    start: Ts,
    end: Ts,
}

#[derive(Serialize)]
struct Row<'a> {
    user: &'a str,
    /// The person's Windows names (`contoso\sam`, `sam`, SID), in scenarios with a domain.
    #[serde(skip_serializing_if = "Option::is_none")]
    aliases: Option<Vec<String>>,
    object_id: Guid,
    root_cause: &'static str,
    verdict: &'static str,
    actions: &'static [&'static str],
    contributing: Vec<&'static str>,
    incident: Option<&'static str>,
    /// For people affected on the Windows side: where their lockout came from (`null` when
    /// the account was not locked).
    #[serde(skip_serializing_if = "Option::is_none")]
    lockout: Option<Option<LockoutRow<'a>>>,
}

#[derive(Serialize)]
struct LockoutRow<'a> {
    caller: Option<&'a str>,
    source: &'a str,
    process: Option<&'a str>,
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

/// Writes `truth.json`; `seen` holds each user's Entra lockout effects as written, `ad` the
/// Windows plan of scenarios with a domain.
pub(crate) fn write(
    path: PathBuf,
    cfg: &Config,
    tenant: &Tenant,
    plan: &Plan,
    ad: Option<&AdPlan>,
    seen: &[u8],
) -> Result<FileStat, SimError> {
    let aliases = |u: u32| ad.map(|ad| ad.aliases(u));
    let mut affected: Vec<Row<'_>> = plan
        .labels
        .iter()
        .map(|l| {
            let user = tenant.user(l.user);
            Row {
                user: &user.upn,
                aliases: aliases(l.user),
                object_id: user.oid,
                root_cause: l.root_cause,
                verdict: l.verdict,
                actions: l.actions,
                contributing: effects(seen, l.user),
                incident: l.incident.then_some("mass-revocation"),
                lockout: None,
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
            user: &user.upn,
            aliases: aliases(l.user),
            object_id: user.oid,
            root_cause: l.root_cause,
            verdict: l.verdict,
            actions: l.actions,
            contributing,
            incident: None,
            lockout: Some(l.lockout.as_ref().map(|o| LockoutRow {
                caller: o.caller.as_deref(),
                source: &o.source,
                process: o.process,
            })),
        });
    }
    // Each list is sorted and a person is in at most one of them.
    affected.sort_by(|a, b| a.user.cmp(b.user));
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
    };
    let mut out = Output::create(path)?;
    let mut ser =
        serde_json::Serializer::with_formatter(out.writer_mut(), serde_json::ser::PrettyFormatter::with_indent(b"  "));
    truth.serialize(&mut ser).map_err(SimError::json(&out.path.clone()))?;
    out.raw(b"\n")?;
    out.records = truth.affected.len() as u64;
    out.finish()
}
