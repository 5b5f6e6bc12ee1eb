//! `truth.json`: what the engine should conclude about every affected user.

use crate::SimError;
use crate::clock::{Style, Ts};
use crate::config::Config;
use crate::ids::Guid;
use crate::plan::{CONTRIBUTING, Plan};
use crate::tenant::Tenant;
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
    object_id: Guid,
    root_cause: &'static str,
    verdict: &'static str,
    actions: &'static [&'static str],
    contributing: Vec<&'static str>,
    incident: Option<&'static str>,
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

/// Writes `truth.json`; `seen` holds each user's lockout effects as written.
pub(crate) fn write(
    path: PathBuf,
    cfg: &Config,
    tenant: &Tenant,
    plan: &Plan,
    seen: &[u8],
) -> Result<FileStat, SimError> {
    let affected = plan
        .labels
        .iter()
        .map(|l| {
            let user = tenant.user(l.user);
            let bits = seen.get(l.user as usize).copied().unwrap_or(0);
            Row {
                user: &user.upn,
                object_id: user.oid,
                root_cause: l.root_cause,
                verdict: l.verdict,
                actions: l.actions,
                contributing: CONTRIBUTING
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| bits & (1 << i) != 0)
                    .map(|(_, (name, _))| *name)
                    .collect(),
                incident: l.incident.then_some("mass-revocation"),
            }
        })
        .collect();
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
    out.records = plan.labels.len() as u64;
    out.finish()
}
