//! Carrying out a plan against Microsoft Graph, safely.
//!
//! In order, before anything is changed:
//! 1. the plan's hash must match its content ([`crate::plan::read`]);
//! 2. the plan must be coherent: no user both cleared and confirmed compromised, no excluded user
//!    acted on;
//! 3. the circuit breaker: more than `max_users` users, or more than a tenth of the plan's
//!    `identities`, need `confirm`; a mass event (or a plan that looks like one) gets a warning;
//! 4. every user's current `riskState` is read: users already in the target state are skipped,
//!    and users whose state differs from the plan's snapshot make the plan stale (refused, or
//!    those users left alone with `ignore_stale`).
//!
//! Then `confirmCompromised`, `confirmSafe` and `dismiss` are sent in calls of at most 60 user
//! ids, and session revocations through `$batch` (at most 20 a batch). Every call's result goes
//! to the journal at once, so a rerun skips what is done. Last, each user's state is read back
//! (a `204` is not proof): users whose state did not change are reported.
//!
//! Password resets, AD and Linux actions are not done here (there are no credentials for them):
//! they come back as manual steps.

pub mod journal;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::client::{BatchRequest, Client, MAX_BATCH, encode};
use crate::error::GraphError;
use crate::plan::{self, GraphAction, Item, Plan, PlanError};
use journal::{Journal, Outcome, entry};

/// Most user ids a `riskyUsers` action takes.
pub const MAX_USER_IDS: usize = 60;

/// Settings of a run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Users acted on without `confirm`.
    pub max_users: usize,
    /// Share of the plan's `identities` acted on without `confirm` (0.10).
    pub max_share: f64,
    /// The operator confirmed a run above the limits.
    pub confirm: bool,
    /// Go on when some users changed since the plan, leaving those users alone.
    pub ignore_stale: bool,
    /// Change nothing: say what would be done.
    pub dry_run: bool,
    /// User ids per `riskyUsers` call (at most 60).
    pub batch_size: usize,
    /// Read-backs per user before a state is reported unchanged.
    pub verify_attempts: u32,
    /// Wait before a read-back is repeated (Graph applies risk changes with some delay).
    pub verify_wait: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_users: 25,
            max_share: 0.10,
            confirm: false,
            ignore_stale: false,
            dry_run: false,
            batch_size: MAX_USER_IDS,
            verify_attempts: 3,
            verify_wait: Duration::from_secs(10),
        }
    }
}

/// Why a plan was not applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// Unreadable or altered plan.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// Graph failed (after retries); what was done is in the journal, and a rerun resumes.
    #[error("{0} (what was done is in the journal; run the same command again to resume)")]
    Graph(#[from] GraphError),
    /// Too many users without `--confirm`.
    #[error(
        "circuit breaker: the plan acts on {users} users ({share:.0}% of {identities} identities); the limits are {max_users} users and {max_share:.0}% of the tenant without --confirm. Review the plan, then run again with --confirm"
    )]
    Breaker {
        /// Users acted on.
        users: usize,
        /// Their share of the tenant, in percent.
        share: f64,
        /// The tenant size.
        identities: u64,
        /// The user limit.
        max_users: usize,
        /// The share limit, in percent.
        max_share: f64,
    },
    /// Users whose state changed since the plan was made.
    #[error("the plan is stale: {} users changed since it was made: {}; make a new plan, or run with --ignore-stale to leave them alone", .0.len(), stale_list(.0))]
    Stale(Vec<Stale>),
    /// The plan contradicts itself.
    #[error("the plan is not coherent: {0}")]
    Incoherent(String),
}

fn stale_list(s: &[Stale]) -> String {
    s.iter()
        .map(|x| format!("{} ({} in the plan, {} now)", x.user, x.planned.as_deref().unwrap_or("?"), x.now))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A user whose risk state changed since the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    /// The user.
    pub user: String,
    /// The plan's snapshot.
    pub planned: Option<String>,
    /// The state now.
    pub now: String,
}

/// A step `apply` leaves to a person.
#[derive(Debug, Clone)]
pub struct ManualStep {
    /// The user.
    pub user: String,
    /// `entra`, `ad` or `linux`.
    pub target: String,
    /// The action id.
    pub action: String,
    /// The host, for AD and Linux actions.
    pub host: Option<String>,
    /// Why.
    pub reason: String,
}

/// One user's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserResult {
    /// The user.
    pub user: String,
    /// The object id (or UPN) acted on.
    pub object_id: String,
    /// The action id.
    pub action: String,
    /// The final word on it.
    pub outcome: Outcome,
    /// State read back, or the error.
    pub detail: Option<String>,
}

/// A call `apply` makes (or would make).
#[derive(Debug, Clone)]
pub struct Call {
    /// The action.
    pub action: GraphAction,
    /// `POST /v1.0/...`.
    pub endpoint: String,
    /// The object ids (or UPNs) in it.
    pub users: Vec<String>,
    /// The same users as the plan names them.
    pub names: Vec<String>,
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The plan's hash.
    pub plan_hash: String,
    /// Loud warnings (mass event, confirm overriding the breaker).
    pub warnings: Vec<String>,
    /// Calls made (or, in a dry run, to be made).
    pub calls: Vec<Call>,
    /// Every Graph action's result (empty in a dry run).
    pub results: Vec<UserResult>,
    /// Actions skipped because the journal says they were done.
    pub resumed: usize,
    /// Users left alone as stale (with `ignore_stale`).
    pub stale: Vec<Stale>,
    /// Steps for a person.
    pub manual: Vec<ManualStep>,
    /// Whether this was a dry run.
    pub dry_run: bool,
}

impl Report {
    /// Results with `outcome`.
    pub fn with(&self, outcome: Outcome) -> Vec<&UserResult> {
        self.results.iter().filter(|r| r.outcome == outcome).collect()
    }

    /// Whether every action was carried out and verified (or needed none).
    pub fn all_good(&self) -> bool {
        self.results.iter().all(|r| matches!(r.outcome, Outcome::Verified | Outcome::Already | Outcome::Applied))
    }
}

/// One Graph action on one user, ready to run.
#[derive(Debug, Clone)]
struct Work {
    user: String,
    /// Object id, or the UPN when the plan had none (revocation only).
    id: String,
    action: GraphAction,
    snapshot: Option<String>,
}

/// Reads, checks and applies the plan in `text` (the file at `plan_path`, whose journal sits
/// beside it). `client` may be `None` only for a dry run, which then reads no state.
pub fn apply(
    client: Option<&Client>,
    text: &str,
    plan_path: &Path,
    opts: &Options,
    progress: &mut dyn FnMut(&str),
) -> Result<Report, ApplyError> {
    let plan = plan::read(text)?;
    let mut report = Report { plan_hash: plan.hash.clone(), dry_run: opts.dry_run, ..Report::default() };
    check_coherent(&plan)?;
    let (graph_items, manual): (Vec<&Item>, Vec<&Item>) = plan.items.iter().partition(|i| i.graph_action().is_some());
    report.manual = manual
        .iter()
        .map(|i| ManualStep {
            user: i.user.clone(),
            target: i.target.clone(),
            action: i.action.clone(),
            host: i.host.clone(),
            reason: i.reason.clone(),
        })
        .collect();
    breaker(&plan, &graph_items, opts, &mut report)?;
    let batch_size = opts.batch_size.clamp(1, MAX_USER_IDS);
    let Some(client) = client else {
        if !opts.dry_run {
            return Err(GraphError::NoCredentials.into());
        }
        let work: Vec<Work> = graph_items
            .iter()
            .filter_map(|i| {
                Some(Work {
                    user: i.user.clone(),
                    id: i.object_id.clone().unwrap_or_else(|| i.user.clone()),
                    action: i.graph_action()?,
                    snapshot: i.snapshot_state().map(str::to_string),
                })
            })
            .collect();
        report.calls = plan_calls("v1.0", &work, batch_size);
        return Ok(report);
    };

    let journal_path = Journal::path_for(plan_path);
    let mut journal = Journal::open(&journal_path, &plan.hash)?;
    let mut work = resolve(client, &graph_items, progress)?;

    // Skip what the journal says is done; read the current state of the rest.
    let before = work.len();
    let mut to_verify: Vec<Work> = Vec::new();
    work.retain(|w| match journal.last(&w.id, w.action.id()) {
        Some(Outcome::Applied) if w.action.target_state().is_some() => {
            to_verify.push(w.clone());
            false
        }
        Some(o) if o.is_done() => false,
        _ => true,
    });
    report.resumed = before - work.len();
    if report.resumed > 0 {
        progress(&format!(
            "resuming: the journal {} shows {} actions done already",
            journal.path().display(),
            report.resumed
        ));
    }
    let states = read_states(client, &work, progress)?;
    let mut stale = Vec::new();
    let mut already = Vec::new();
    let mut todo = Vec::new();
    for w in work {
        let now = w.action.target_state().map(|_| states.get(&w.id.to_lowercase()).cloned().unwrap_or_default());
        match (&now, w.action.target_state()) {
            (Some(now), Some(target)) if now == target => already.push(w),
            (Some(now), Some(_)) if w.snapshot.as_ref().is_some_and(|s| s != now) => {
                stale.push((w.clone(), now.clone()));
            }
            _ => todo.push(w),
        }
    }
    if !stale.is_empty() {
        let mut list: Vec<Stale> = stale
            .iter()
            .map(|(w, now)| Stale { user: w.user.clone(), planned: w.snapshot.clone(), now: now.clone() })
            .collect();
        list.dedup();
        if !opts.ignore_stale {
            return Err(ApplyError::Stale(list));
        }
        // Leave stale users alone entirely, their other actions included.
        let stale_users: BTreeSet<String> = stale.iter().map(|(w, _)| w.id.to_lowercase()).collect();
        todo.retain(|w| !stale_users.contains(&w.id.to_lowercase()));
        if !opts.dry_run {
            journal.record(
                stale
                    .iter()
                    .map(|(w, now)| {
                        let mut e = entry(&w.user, &w.id, w.action.id(), Outcome::StaleSkipped);
                        e.detail = Some(format!("riskState {now}, plan said {}", w.snapshot.as_deref().unwrap_or("?")));
                        e
                    })
                    .collect(),
            )?;
        }
        progress(&format!("left alone (changed since the plan): {}", stale_list(&list)));
        report.stale = list;
    }
    report.calls = plan_calls("v1.0", &todo, batch_size);
    if opts.dry_run {
        for w in &already {
            report.results.push(result(w, Outcome::Already, states.get(&w.id.to_lowercase()).cloned()));
        }
        return Ok(report);
    }
    if !already.is_empty() {
        journal.record(already.iter().map(|w| entry(&w.user, &w.id, w.action.id(), Outcome::Already)).collect())?;
        for w in &already {
            report.results.push(result(w, Outcome::Already, states.get(&w.id.to_lowercase()).cloned()));
        }
        progress(&format!("{} actions skipped: the users are in the target state already", already.len()));
    }

    // Act.
    let total = report.calls.len();
    for (n, call) in report.calls.clone().iter().enumerate() {
        let members: Vec<&Work> =
            call.users.iter().filter_map(|id| todo.iter().find(|w| &w.id == id && w.action == call.action)).collect();
        match call.action.risk_endpoint() {
            Some(endpoint) => {
                let path = format!("/v1.0/identityProtection/riskyUsers/{endpoint}");
                let body = json!({"userIds": call.users});
                let outcome = client.post(&path, &body);
                let (outcome, status, detail) = match outcome {
                    Ok(r) => (Outcome::Applied, Some(r.status), None),
                    Err(e @ GraphError::Http { .. }) => (Outcome::Failed, e.status(), Some(e.to_string())),
                    Err(e) => return Err(e.into()),
                };
                journal.record(
                    members
                        .iter()
                        .map(|w| {
                            let mut e = entry(&w.user, &w.id, w.action.id(), outcome);
                            e.call = Some(format!("POST {path}"));
                            e.status = status;
                            e.detail = detail.clone();
                            e
                        })
                        .collect(),
                )?;
                progress(&format!(
                    "[{}/{total}] {} for {} users: {}",
                    n + 1,
                    call.action.id(),
                    call.users.len(),
                    detail.as_deref().unwrap_or("done")
                ));
                for w in &members {
                    if outcome == Outcome::Applied {
                        to_verify.push((*w).clone());
                    } else {
                        report.results.push(result(w, outcome, detail.clone()));
                    }
                }
            }
            None => {
                let requests: Vec<BatchRequest> = members
                    .iter()
                    .enumerate()
                    .map(|(i, w)| BatchRequest {
                        id: (i + 1).to_string(),
                        method: "POST",
                        url: format!("/users/{}/revokeSignInSessions", encode(&w.id)),
                        body: None,
                    })
                    .collect();
                let responses = client.batch("v1.0", &requests)?;
                let mut entries = Vec::new();
                let mut failed = 0;
                for (req, w) in requests.iter().zip(&members) {
                    let resp = responses.iter().find(|r| r.id == req.id);
                    let status = resp.map(|r| r.status).unwrap_or(0);
                    let ok = (200..300).contains(&status);
                    let detail = (!ok).then(|| {
                        let msg = resp
                            .and_then(|r| r.body.as_ref())
                            .and_then(|b| b.pointer("/error/message"))
                            .and_then(Value::as_str)
                            .unwrap_or("no answer");
                        format!("HTTP {status}: {msg}")
                    });
                    failed += usize::from(!ok);
                    let outcome = if ok { Outcome::Applied } else { Outcome::Failed };
                    let mut e = entry(&w.user, &w.id, w.action.id(), outcome);
                    e.call = Some(format!("POST /v1.0/$batch → POST {}", req.url));
                    e.status = Some(status);
                    e.detail = detail.clone();
                    entries.push(e);
                    report.results.push(result(w, outcome, detail));
                }
                journal.record(entries)?;
                progress(&format!(
                    "[{}/{total}] revoke-sessions for {} users ($batch): {}",
                    n + 1,
                    members.len(),
                    if failed == 0 { "done".to_string() } else { format!("{failed} failed") }
                ));
            }
        }
    }

    // Read back.
    if !to_verify.is_empty() {
        progress(&format!("reading back {} users' risk state", to_verify.len()));
    }
    let mut pending = to_verify;
    let mut attempt = 0;
    while !pending.is_empty() {
        attempt += 1;
        let states = read_states(client, &pending, &mut |_| {})?;
        let mut still = Vec::new();
        let mut entries = Vec::new();
        for w in pending {
            let now = states.get(&w.id.to_lowercase()).cloned().unwrap_or_default();
            if Some(now.as_str()) == w.action.target_state() {
                let mut e = entry(&w.user, &w.id, w.action.id(), Outcome::Verified);
                e.detail = Some(format!("riskState {now}"));
                entries.push(e);
                report.results.push(result(&w, Outcome::Verified, Some(format!("riskState {now}"))));
            } else if attempt >= opts.verify_attempts.max(1) {
                let detail = format!(
                    "riskState is still {now} after a successful {} call (expected {})",
                    w.action.id(),
                    w.action.target_state().unwrap_or("?")
                );
                let mut e = entry(&w.user, &w.id, w.action.id(), Outcome::NotApplied);
                e.detail = Some(detail.clone());
                entries.push(e);
                report.results.push(result(&w, Outcome::NotApplied, Some(detail)));
            } else {
                still.push(w);
            }
        }
        journal.record(entries)?;
        if !still.is_empty() {
            progress(&format!("{} users not changed yet; reading again in {:?}", still.len(), opts.verify_wait));
            client.sleep(opts.verify_wait);
        }
        pending = still;
    }
    report.results.sort_by(|a, b| (&a.action, &a.user).cmp(&(&b.action, &b.user)));
    Ok(report)
}

fn result(w: &Work, outcome: Outcome, detail: Option<String>) -> UserResult {
    UserResult { user: w.user.clone(), object_id: w.id.clone(), action: w.action.id().to_string(), outcome, detail }
}

/// Refuses plans that clear a user they also confirm compromised, or act on an excluded user.
fn check_coherent(plan: &Plan) -> Result<(), ApplyError> {
    let mut by_user: BTreeMap<String, BTreeSet<GraphAction>> = BTreeMap::new();
    for i in &plan.items {
        if let Some(a) = i.graph_action() {
            by_user.entry(i.user.to_lowercase()).or_default().insert(a);
        }
    }
    for (user, actions) in &by_user {
        if actions.contains(&GraphAction::ConfirmCompromised) && actions.iter().any(|a| a.clears_risk()) {
            return Err(ApplyError::Incoherent(format!(
                "{user} is both confirmed compromised and cleared (confirm-safe/dismiss-risk)"
            )));
        }
    }
    for x in &plan.excluded {
        if by_user.contains_key(&x.user.to_lowercase()) {
            return Err(ApplyError::Incoherent(format!("{} is excluded ({}) but has actions", x.user, x.reason)));
        }
    }
    Ok(())
}

/// The circuit breaker and the mass-event warnings.
fn breaker(plan: &Plan, items: &[&Item], opts: &Options, report: &mut Report) -> Result<(), ApplyError> {
    let users: BTreeSet<String> = items.iter().map(|i| i.user.to_lowercase()).collect();
    let n = users.len();
    let share = if plan.identities > 0 { n as f64 / plan.identities as f64 } else { 0.0 };
    let over = n > opts.max_users || (plan.identities > 0 && share > opts.max_share);
    let clearing = items.iter().filter(|i| i.graph_action().is_some_and(GraphAction::clears_risk)).count();
    if let Some(m) = &plan.mass_event {
        report.warnings.push(format!(
            "this plan answers a mass event ({}, {} users): check that the provider event is confirmed before clearing risk in bulk, and that no real compromise is among the users cleared",
            m.incident, m.members
        ));
    } else if over || clearing >= 10 {
        report.warnings.push(format!(
            "this plan looks like a mass event: it clears risk for {clearing} users ({:.0}% of {} identities); bulk dismissals have cleared real compromises before",
            share * 100.0,
            plan.identities
        ));
    }
    if over {
        if opts.confirm {
            report.warnings.push(format!(
                "--confirm given: acting on {n} users, above the limits ({} users, {:.0}% of the tenant)",
                opts.max_users,
                opts.max_share * 100.0
            ));
        } else if !opts.dry_run {
            return Err(ApplyError::Breaker {
                users: n,
                share: share * 100.0,
                identities: plan.identities,
                max_users: opts.max_users,
                max_share: opts.max_share * 100.0,
            });
        } else {
            report.warnings.push(format!(
                "a real run would stop here: {n} users is above the limits ({} users, {:.0}% of the tenant) without --confirm",
                opts.max_users,
                opts.max_share * 100.0
            ));
        }
    }
    Ok(())
}

/// Object ids for every Graph item: the plan's, or looked up by UPN among risky users.
fn resolve(client: &Client, items: &[&Item], progress: &mut dyn FnMut(&str)) -> Result<Vec<Work>, ApplyError> {
    let mut looked_up: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut out = Vec::new();
    for i in items {
        let Some(action) = i.graph_action() else { continue };
        let id = match i.object_id.as_deref().filter(|s| !s.is_empty()) {
            Some(id) => id.to_string(),
            None => {
                let upn = i.user.to_lowercase();
                let found = match looked_up.get(&upn) {
                    Some(f) => f.clone(),
                    None => {
                        let filter = format!("userPrincipalName eq '{}'", upn.replace('\'', "''"));
                        let page =
                            client.page(&format!("/v1.0/identityProtection/riskyUsers?$filter={}", encode(&filter)))?;
                        let f =
                            page.value.first().and_then(|u| u.get("id")).and_then(Value::as_str).map(str::to_string);
                        looked_up.insert(upn.clone(), f.clone());
                        f
                    }
                };
                match (found, action) {
                    (Some(id), _) => id,
                    // revokeSignInSessions takes a UPN in place of the id.
                    (None, GraphAction::RevokeSessions) => i.user.clone(),
                    (None, _) => {
                        return Err(ApplyError::Incoherent(format!(
                            "{} has no object id in the plan and is not a risky user in this tenant",
                            i.user
                        )));
                    }
                }
            }
        };
        out.push(Work { user: i.user.clone(), id, action, snapshot: i.snapshot_state().map(str::to_string) });
    }
    let looked = looked_up.len();
    if looked > 0 {
        progress(&format!("looked up {looked} object ids by user principal name"));
    }
    Ok(out)
}

/// The current `riskState` of the users of risk actions (`none` when not a risky user).
fn read_states(
    client: &Client,
    work: &[Work],
    progress: &mut dyn FnMut(&str),
) -> Result<BTreeMap<String, String>, GraphError> {
    let ids: BTreeSet<String> =
        work.iter().filter(|w| w.action.target_state().is_some()).map(|w| w.id.to_lowercase()).collect();
    let mut out = BTreeMap::new();
    for (n, id) in ids.iter().enumerate() {
        let state = client
            .get_opt(&format!("/v1.0/identityProtection/riskyUsers/{}", encode(id)))?
            .and_then(|u| u.get("riskState").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_else(|| "none".to_string());
        out.insert(id.clone(), state);
        if (n + 1) % 50 == 0 {
            progress(&format!("read the risk state of {}/{} users", n + 1, ids.len()));
        }
    }
    Ok(out)
}

/// The calls for `work`: risk actions (compromised first) in chunks of `batch_size`, then session
/// revocations in `$batch` chunks of 20.
fn plan_calls(version: &str, work: &[Work], batch_size: usize) -> Vec<Call> {
    let mut calls = Vec::new();
    for action in
        [GraphAction::ConfirmCompromised, GraphAction::ConfirmSafe, GraphAction::Dismiss, GraphAction::RevokeSessions]
    {
        let mut seen = BTreeSet::new();
        let members: Vec<&Work> =
            work.iter().filter(|w| w.action == action && seen.insert(w.id.to_lowercase())).collect();
        let (size, endpoint) = match action.risk_endpoint() {
            Some(e) => (batch_size, format!("POST /{version}/identityProtection/riskyUsers/{e}")),
            None => (MAX_BATCH, format!("POST /{version}/$batch (users/{{id}}/revokeSignInSessions)")),
        };
        for chunk in members.chunks(size) {
            calls.push(Call {
                action,
                endpoint: endpoint.clone(),
                users: chunk.iter().map(|w| w.id.clone()).collect(),
                names: chunk.iter().map(|w| w.user.clone()).collect(),
            });
        }
    }
    calls
}
