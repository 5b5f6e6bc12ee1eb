//! `collect` against the mock: what it writes investigates like the data it came from, and an
//! interrupted collection resumes after its last completed page.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use lockscope_graph::GraphError;
use lockscope_graph::collect::{Options, STATE_FILE, collect};
use lockscope_graph::mock::{Dataset, MOCK_TOKEN, MockGraph};
use lockscope_graph::{Auth, Secret};
use serde_json::{Value, json};

use crate::{client_for, client_with, investigate, simulate_mace};

fn ts(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}

fn records_in(dir: &Path) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir(dir).expect("dir") {
        let p = e.expect("entry").path();
        let v: Value = serde_json::from_slice(&std::fs::read(&p).expect("page")).expect("json page");
        n += v["value"].as_array().map(Vec::len).unwrap_or(0);
    }
    n
}

/// The verdicts that matter, per user.
fn verdicts(case: &lockscope::Case) -> BTreeMap<String, (String, String, Vec<String>)> {
    case.users
        .iter()
        .map(|u| {
            let actions = u.actions.iter().map(|a| a.as_str().to_string()).collect();
            (u.user.clone(), (u.root_cause.as_str().to_string(), u.verdict.as_str().to_string(), actions))
        })
        .collect()
}

#[test]
fn collected_pages_investigate_like_the_simulated_exports() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = simulate_mace(tmp.path(), 150, 11);
    let dataset = Dataset::load_dir(&data).expect("load");
    let (signins, audits, detections, risky) = dataset.counts();
    let mock = MockGraph::start(dataset).expect("mock");
    mock.set_page_size(250);
    mock.throttle_matching("/auditLogs/signIns", 4, 429, Some("2"));
    let (client, sleeper) = client_for(&mock);
    let out = tmp.path().join("collected");
    let opts = Options::new(ts("2025-04-17T00:00:00Z"), ts("2025-04-21T00:00:00Z"));
    let report = collect(&client, &out, &opts, &mut |line| eprintln!("collect: {line}")).expect("collect");
    assert_eq!(sleeper.waits(), vec![Duration::from_secs(2); 4]);
    let got = |k: &str| report.records.get(k).copied().unwrap_or(0) as usize;
    assert_eq!(got("signIns-interactive") + got("signIns-nonInteractive"), signins);
    assert!(got("signIns-nonInteractive") > 0);
    assert_eq!(got("directoryAudits"), audits);
    assert_eq!(got("riskDetections"), detections);
    assert_eq!(got("riskyUsers"), risky);
    assert_eq!(records_in(&out.join("riskyUsers")), risky);
    assert!(got("riskyUserHistory") >= risky);
    // 4 days in 6-hour slices, 4 sliced streams, the risky users and their histories.
    assert_eq!(report.tasks, 16 * 4 + 1 + risky);
    // Every page was asked for with a time filter on its slice.
    let log = mock.requests();
    assert!(
        log.iter()
            .filter(|r| r.path.ends_with("/auditLogs/directoryAudits"))
            .all(|r| { r.query.iter().any(|(k, v)| k == "$filter" && v.starts_with("activityDateTime ge 2025-04-")) })
    );

    let direct = investigate(std::slice::from_ref(&data));
    let collected = investigate(std::slice::from_ref(&out));
    assert!(!direct.users.is_empty());
    assert_eq!(verdicts(&collected), verdicts(&direct));
    assert_eq!(collected.identities, direct.identities);
    assert_eq!(collected.incidents.len(), direct.incidents.len());
}

fn small_tenant() -> Dataset {
    let mut d = Dataset::new();
    for i in 0..40 {
        let t = Timestamp::from_second(1_745_020_800 + i * 2700).expect("time"); // from 2025-04-19, every 45 min
        d.add(json!({"id": format!("s{i}"), "createdDateTime": t.to_string(), "userPrincipalName": "a@contoso.com",
            "userId": "u1", "ipAddress": "1.2.3.4", "appId": "x", "status": {"errorCode": 0}, "isInteractive": true}));
        d.add(json!({"id": format!("a{i}"), "activityDateTime": t.to_string(), "activityDisplayName": "Update user",
            "category": "UserManagement", "result": "success", "initiatedBy": {}, "targetResources": []}));
    }
    d
}

#[test]
fn an_interrupted_collection_resumes_after_its_last_page() {
    let mock = MockGraph::start(small_tenant()).expect("mock");
    mock.set_page_size(5);
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let mut opts = Options::new(ts("2025-04-19T00:00:00Z"), ts("2025-04-21T00:00:00Z"));
    opts.slice = SignedDuration::from_hours(12);
    let (client, _) = client_with(&mock, Auth::Token(Secret::new(MOCK_TOKEN)), 3);
    // The server goes away at the second page of audits.
    mock.drop_matching("/directoryAudits", 1, 3);
    let err = collect(&client, &out, &opts, &mut |_| {}).expect_err("interrupted");
    assert!(matches!(err, GraphError::Transport { attempts: 3, .. }), "{err}");
    assert!(out.join(STATE_FILE).exists());
    assert_eq!(records_in(&out.join("signIns-interactive")), 40);
    assert_eq!(records_in(&out.join("directoryAudits")), 5);

    mock.clear_log();
    let report = collect(&client, &out, &opts, &mut |line| eprintln!("collect: {line}")).expect("resumed");
    let log = mock.requests();
    assert!(log.iter().all(|r| !r.path.ends_with("/auditLogs/signIns")), "finished tasks are not read again");
    let first_audit = log.iter().find(|r| r.path.ends_with("/directoryAudits")).expect("audits");
    assert!(first_audit.query.iter().any(|(k, _)| k == "$skiptoken"), "resumed from the saved next link");
    assert_eq!(records_in(&out.join("directoryAudits")), 40, "every audit once");
    assert_eq!(report.records.get("directoryAudits"), Some(&40));
    assert!(report.resumed_tasks >= 4);

    // A third run finds everything done.
    mock.clear_log();
    collect(&client, &out, &opts, &mut |_| {}).expect("done already");
    assert!(mock.requests().is_empty());
    // Another window into the same folder is refused.
    let mut other = opts.clone();
    other.until = ts("2025-04-22T00:00:00Z");
    let err = collect(&client, &out, &other, &mut |_| {}).expect_err("other window");
    assert!(err.to_string().contains("holds a collection"), "{err}");
}
