//! `apply` against the mock: the acceptance run on a simulated MACE tenant, and each safety rail.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use lockscope_graph::apply::journal::{Journal, Outcome};
use lockscope_graph::apply::{ApplyError, Options, Report, apply};
use lockscope_graph::mock::{Dataset, LoggedRequest, MOCK_TOKEN, MockGraph};
use lockscope_graph::plan::PlanError;
use lockscope_graph::{Auth, Client, GraphError, Secret};
use serde_json::{Value, json};

use crate::{client_for, client_with, investigate, item, risky_tenant, simulate_mace, write_plan};

fn run(client: &Client, plan: &Path, opts: &Options) -> Result<Report, ApplyError> {
    let text = std::fs::read_to_string(plan).expect("plan");
    apply(Some(client), &text, plan, opts, &mut |line| eprintln!("apply: {line}"))
}

/// The `userIds` of every riskyUsers action the mock answered with `status`.
fn action_calls(log: &[LoggedRequest], action: &str, status: u16) -> Vec<Vec<String>> {
    log.iter()
        .filter(|r| r.method == "POST" && r.path.ends_with(&format!("/riskyUsers/{action}")) && r.status == status)
        .map(|r| {
            r.body
                .as_ref()
                .and_then(|b| b["userIds"].as_array().cloned())
                .unwrap_or_default()
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .collect()
}

fn posts(log: &[LoggedRequest]) -> usize {
    log.iter().filter(|r| r.method == "POST").count()
}

/// The acceptance check: a plan built from a simulated MACE tenant (150 users, 43 provider false
/// positives and 2 real compromises) is applied in batches, through a 429 storm and a server that
/// goes away mid-run; the rerun resumes from the journal, and the one user whose confirmation
/// answered 204 without taking is reported.
#[test]
fn acceptance_mace_tenant_storm_restart_and_a_dismissal_that_did_not_take() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = simulate_mace(tmp.path(), 150, 7);
    let case = investigate(std::slice::from_ref(&data));
    // `lockscope plan` is written in parallel; the plan is built here from the case's affected
    // users the way the plan contract describes (one item per user and action).
    let mut items = Vec::new();
    let mut incident = None;
    for u in &case.users {
        for a in &u.actions {
            let mut it = item(&u.user, u.object_id.as_deref(), a.as_str(), u.risk_state.as_deref());
            it["target"] = json!("entra");
            items.push(it);
        }
        if u.verdict.as_str() == "false-positive" {
            incident = incident.or(u.incident.clone());
        }
    }
    let plan = tmp.path().join("plan.json");
    let members = case.users.iter().filter(|u| u.incident == incident).count();
    write_plan(&plan, case.identities, incident.map(|i| json!({"incident": i, "members": members})), items.clone());
    let by_action = |a: &str| -> Vec<String> {
        items
            .iter()
            .filter(|i| i["action"] == a)
            .map(|i| i["object_id"].as_str().expect("object id").to_lowercase())
            .collect()
    };
    let safe = by_action("confirm-safe");
    let compromised = by_action("confirm-compromised");
    assert_eq!((safe.len(), compromised.len()), (43, 2), "the simulated tenant changed");
    assert_eq!(by_action("revoke-sessions").len(), 2);

    let mock = MockGraph::start(Dataset::load_dir(&data).expect("load")).expect("mock");
    let silent = safe[5].clone();
    mock.ignore_actions_for(&silent);
    let (client, sleeper) = client_with(&mock, Auth::Token(Secret::new(MOCK_TOKEN)), 6);

    // 1. The circuit breaker: 45 users is above 25 and above 10 % of 150.
    let err = run(&client, &plan, &Options::default()).expect_err("breaker");
    assert!(matches!(err, ApplyError::Breaker { users: 45, .. }), "{err}");
    assert_eq!(posts(&mock.requests()), 0);

    // 2. With --confirm, batches of 10, a 429 storm, and the server going away at the third
    //    confirmSafe call (its connection dropped on every attempt).
    let opts = Options { confirm: true, batch_size: 10, verify_wait: Duration::from_secs(10), ..Options::default() };
    mock.throttle_matching("/riskyUsers/confirmSafe", 5, 429, Some("7"));
    mock.drop_matching("/riskyUsers/confirmSafe", 5 + 2, 6);
    let err = run(&client, &plan, &opts).expect_err("connection lost");
    assert!(matches!(err, ApplyError::Graph(GraphError::Transport { attempts: 6, .. })), "{err}");
    assert_eq!(sleeper.waits().iter().filter(|w| **w == Duration::from_secs(7)).count(), 5, "Retry-After honoured");
    let journal = Journal::open(
        &Journal::path_for(&plan),
        &lockscope_graph::plan::read(&std::fs::read_to_string(&plan).expect("plan")).expect("plan").hash,
    )
    .expect("journal");
    assert_eq!(journal.with_outcome(Outcome::Applied).len(), 2 + 20, "confirmCompromised, then two confirmSafe calls");

    // 3. The rerun resumes: nothing done twice, everything verified but the silent user.
    let report = run(&client, &plan, &opts).expect("resumed run");
    assert_eq!(report.resumed, 22);
    let log = mock.requests();
    let safe_calls = action_calls(&log, "confirmSafe", 204);
    assert!(safe_calls.iter().all(|c| !c.is_empty() && c.len() <= 10), "{safe_calls:?}");
    let mut acted: Vec<String> = safe_calls.concat().iter().map(|s| s.to_lowercase()).collect();
    acted.sort();
    let before = acted.len();
    acted.dedup();
    assert_eq!(before, acted.len(), "a user was confirmed safe twice");
    let mut expected = safe.clone();
    expected.sort();
    assert_eq!(acted, expected);
    assert_eq!(action_calls(&log, "confirmCompromised", 204), vec![compromised.clone()]);
    assert!(
        log.iter()
            .filter(|r| r.method == "POST" && r.path.contains("/riskyUsers/"))
            .all(|r| { r.body.as_ref().and_then(|b| b["userIds"].as_array().map(Vec::len)).unwrap_or(0) <= 60 })
    );
    let not_applied: Vec<String> =
        report.with(Outcome::NotApplied).iter().map(|r| r.object_id.to_lowercase()).collect();
    assert_eq!(not_applied, vec![silent.clone()]);
    assert_eq!(report.with(Outcome::Verified).len(), 42 + 2);
    assert!(!report.all_good());
    assert!(compromised.iter().all(|id| mock.revocations(id) == 1));
    assert_eq!(report.manual.iter().filter(|m| m.action == "reset-password").count(), 2);
    assert!(report.warnings.iter().any(|w| w.contains("mass event")), "{:?}", report.warnings);
    // The silent user was read back three times, ten seconds apart.
    assert_eq!(sleeper.waits().iter().filter(|w| **w == Duration::from_secs(10)).count(), 2);
    for id in safe.iter().filter(|id| **id != silent) {
        assert_eq!(mock.risky_user(id).expect("user")["riskState"], "confirmedSafe");
    }
    assert_eq!(mock.risky_user(&silent).expect("user")["riskState"], "atRisk");

    // 4. Once more: only the user that did not take is tried again.
    mock.clear_log();
    let report = run(&client, &plan, &opts).expect("third run");
    assert_eq!(action_calls(&mock.requests(), "confirmSafe", 204), vec![vec![silent.clone()]]);
    assert_eq!(posts(&mock.requests()), 1, "revocations and confirmations were not repeated");
    assert_eq!(report.with(Outcome::NotApplied).len(), 1);
}

fn tenant_plan(n: usize, action: &str) -> (MockGraph, tempfile::TempDir, std::path::PathBuf, Vec<(String, String)>) {
    let (data, users) = risky_tenant(n);
    let mock = MockGraph::start(data).expect("mock");
    let tmp = tempfile::tempdir().expect("tempdir");
    let plan = tmp.path().join("plan.json");
    let items = users.iter().map(|(id, upn)| item(upn, Some(id), action, Some("atRisk"))).collect();
    write_plan(&plan, 2000, None, items);
    (mock, tmp, plan, users)
}

#[test]
fn calls_hold_at_most_60_users() {
    let (mock, _tmp, plan, users) = tenant_plan(130, "dismiss-risk");
    let (client, _) = client_for(&mock);
    let report = run(&client, &plan, &Options { confirm: true, ..Options::default() }).expect("apply");
    let sizes: Vec<usize> = action_calls(&mock.requests(), "dismiss", 204).iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![60, 60, 10]);
    assert!(report.all_good());
    assert_eq!(report.with(Outcome::Verified).len(), 130);
    assert!(users.iter().all(|(id, _)| mock.risky_user(id).expect("user")["riskState"] == "dismissed"));
    assert!(report.warnings.iter().any(|w| w.contains("looks like a mass event")), "{:?}", report.warnings);
}

#[test]
fn an_altered_plan_is_refused() {
    let (mock, _tmp, plan, _) = tenant_plan(3, "confirm-safe");
    let (client, _) = client_for(&mock);
    let text = std::fs::read_to_string(&plan).expect("plan").replacen("confirm-safe", "dismiss-risk", 1);
    std::fs::write(&plan, text).expect("write");
    let err = run(&client, &plan, &Options::default()).expect_err("altered");
    assert!(matches!(err, ApplyError::Plan(PlanError::Altered { .. })), "{err}");
    assert!(mock.requests().is_empty());
}

#[test]
fn a_stale_plan_is_refused_or_its_stale_users_left_alone() {
    let (mock, _tmp, plan, users) = tenant_plan(5, "confirm-safe");
    let (client, _) = client_for(&mock);
    mock.set_risk_state(&users[2].0, "confirmedCompromised");
    let err = run(&client, &plan, &Options::default()).expect_err("stale");
    match &err {
        ApplyError::Stale(list) => {
            assert_eq!(list.len(), 1);
            assert_eq!(list[0].user, users[2].1);
            assert_eq!(list[0].now, "confirmedCompromised");
        }
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("u2@contoso.com"));
    assert_eq!(posts(&mock.requests()), 0);
    let report = run(&client, &plan, &Options { ignore_stale: true, ..Options::default() }).expect("ignore stale");
    assert_eq!(report.stale.len(), 1);
    let acted = action_calls(&mock.requests(), "confirmSafe", 204).concat();
    assert_eq!(acted.len(), 4);
    assert!(!acted.contains(&users[2].0));
    assert_eq!(mock.risky_user(&users[2].0).expect("user")["riskState"], "confirmedCompromised");
}

#[test]
fn users_already_in_the_target_state_are_skipped() {
    let (mock, _tmp, plan, users) = tenant_plan(4, "dismiss-risk");
    let (client, _) = client_for(&mock);
    let first = run(&client, &plan, &Options::default()).expect("first");
    assert_eq!(first.with(Outcome::Verified).len(), 4);
    // Without the journal, the states read first show there is nothing to do.
    std::fs::remove_file(Journal::path_for(&plan)).expect("journal");
    mock.clear_log();
    let second = run(&client, &plan, &Options::default()).expect("second");
    assert_eq!(second.with(Outcome::Already).len(), 4);
    assert_eq!(posts(&mock.requests()), 0);
    // With it, nothing is even read.
    mock.clear_log();
    let third = run(&client, &plan, &Options::default()).expect("third");
    assert_eq!(third.resumed, 4);
    assert!(mock.requests().is_empty(), "{:?}", mock.requests());
    assert!(users.iter().all(|(id, _)| mock.risky_user(id).expect("user")["riskState"] == "dismissed"));
}

#[test]
fn a_dry_run_changes_nothing() {
    let (mock, _tmp, plan, _) = tenant_plan(30, "confirm-safe");
    let (client, _) = client_for(&mock);
    let opts = Options { dry_run: true, ..Options::default() };
    let report = run(&client, &plan, &opts).expect("dry run");
    assert_eq!(report.calls.len(), 1);
    assert_eq!(report.calls[0].users.len(), 30);
    assert!(report.warnings.iter().any(|w| w.contains("a real run would stop")), "{:?}", report.warnings);
    assert_eq!(posts(&mock.requests()), 0);
    assert!(!Journal::path_for(&plan).exists());
    // Offline, too.
    let text = std::fs::read_to_string(&plan).expect("plan");
    let offline = apply(None, &text, &plan, &opts, &mut |_| {}).expect("offline dry run");
    assert_eq!(offline.calls.len(), 1);
}

#[test]
fn incoherent_plans_are_refused() {
    let (mock, _tmp, plan, users) = tenant_plan(2, "confirm-safe");
    let (client, _) = client_for(&mock);
    let (id, upn) = &users[0];
    let items = vec![
        item(upn, Some(id), "confirm-safe", Some("atRisk")),
        item(upn, Some(id), "confirm-compromised", Some("atRisk")),
    ];
    write_plan(&plan, 100, None, items);
    let err = run(&client, &plan, &Options::default()).expect_err("incoherent");
    assert!(matches!(err, ApplyError::Incoherent(_)), "{err}");
}

#[test]
fn object_ids_are_looked_up_and_sessions_revoked_in_batches_of_20() {
    let (data, users) = risky_tenant(45);
    let mock = MockGraph::start(data).expect("mock");
    let tmp = tempfile::tempdir().expect("tempdir");
    let plan = tmp.path().join("plan.json");
    let mut items: Vec<Value> = users.iter().map(|(_, upn)| item(upn, None, "revoke-sessions", None)).collect();
    items.push(item(&users[0].1, None, "confirm-compromised", Some("atRisk")));
    items.push(item(&users[0].1, None, "reset-password", None));
    items.push(json!({"user": "CONTOSO\\u0", "object_id": null, "target": "ad", "action": "unlock-ad",
        "host": "WS-042", "reason": "locked", "evidence": [], "current_state": {"risk_state": null, "risk_level": null, "as_of": null}}));
    write_plan(&plan, 50, None, items);
    let (client, _) = client_for(&mock);
    mock.throttle_batch_items(2);
    let report = run(&client, &plan, &Options { confirm: true, ..Options::default() }).expect("apply");
    let log = mock.requests();
    let batches: Vec<usize> = log
        .iter()
        .filter(|r| r.path == "/v1.0/$batch")
        .map(|r| r.body.as_ref().and_then(|b| b["requests"].as_array().map(Vec::len)).unwrap_or(0))
        .collect();
    assert_eq!(batches, vec![20, 2, 20, 5], "the two throttled items go again before the next batch");
    assert!(users.iter().all(|(id, _)| mock.revocations(id) == 1));
    let lookups = log
        .iter()
        .filter(|r| r.query.iter().any(|(k, v)| k == "$filter" && v.starts_with("userPrincipalName eq")))
        .count();
    assert_eq!(lookups, 45, "one lookup per user");
    assert_eq!(report.with(Outcome::Applied).len(), 45);
    assert_eq!(report.with(Outcome::Verified).len(), 1);
    let manual: BTreeMap<&str, Option<&str>> =
        report.manual.iter().map(|m| (m.action.as_str(), m.host.as_deref())).collect();
    assert_eq!(manual.get("unlock-ad"), Some(&Some("WS-042")));
    assert!(manual.contains_key("reset-password"));
    let acted: BTreeSet<String> = action_calls(&log, "confirmCompromised", 204).concat().into_iter().collect();
    assert_eq!(acted, BTreeSet::from([users[0].0.clone()]));
}
