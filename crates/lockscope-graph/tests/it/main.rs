//! Integration tests of lockscope-graph against the local mock Graph (never the internet).
#![allow(clippy::print_stderr)]

mod apply;
mod client;
mod collect;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use lockscope_graph::mock::{Dataset, MOCK_TOKEN, MockGraph};
use lockscope_graph::{Auth, Client, Config, RecordingSleeper, RetryPolicy, Secret};
use serde::Serialize;
use serde_json::{Value, json};

/// A client of `mock` with the mock's token, recording waits instead of sleeping.
pub fn client_for(mock: &MockGraph) -> (Client, Arc<RecordingSleeper>) {
    client_with(mock, Auth::Token(Secret::new(MOCK_TOKEN)), 10)
}

/// A client of `mock` with `auth` and `attempts` attempts per request.
pub fn client_with(mock: &MockGraph, auth: Auth, attempts: u32) -> (Client, Arc<RecordingSleeper>) {
    let mut cfg = Config::new(auth);
    cfg.graph_url = mock.url();
    cfg.login_url = mock.url();
    cfg.retry = RetryPolicy { max_attempts: attempts, jitter: false, ..RetryPolicy::default() };
    cfg.timeout = std::time::Duration::from_secs(20);
    let sleeper = Arc::new(RecordingSleeper::default());
    let client = Client::new(cfg).expect("client").with_sleeper(sleeper.clone());
    (client, sleeper)
}

/// `lockscope simulate --scenario mace-2025 --layout diagnostic` into `dir`: every family as
/// diagnostic envelopes whose `properties` are the Graph objects.
pub fn simulate_mace(dir: &Path, users: usize, seed: u64) -> PathBuf {
    let data = dir.join("data");
    let cfg = lockscope_sim::Config {
        scenario: "mace-2025".parse().expect("scenario"),
        users,
        seed,
        layout: "diagnostic".parse().expect("layout"),
        ..lockscope_sim::Config::default()
    };
    lockscope_sim::generate(&cfg, &data).expect("simulate");
    data
}

/// Investigates `paths` with the engine's defaults.
pub fn investigate(paths: &[PathBuf]) -> lockscope::Case {
    let ingested = lockscope::ingest(paths);
    lockscope::analyse(ingested, &lockscope::Settings::default(), None)
}

/// The plan file's shape, fields in the order of the contract.
#[derive(Serialize)]
struct PlanDoc<'a> {
    schema_version: u32,
    tool: &'a str,
    hash: String,
    created: &'a str,
    case: &'a Value,
    identities: usize,
    mass_event: Option<Value>,
    items: &'a [Value],
    excluded: &'a [Value],
}

/// Writes a plan (hashed over `{case, items, excluded}` as `lockscope plan` does) to `path`.
pub fn write_plan(path: &Path, identities: usize, mass_event: Option<Value>, items: Vec<Value>) -> String {
    let case = json!({"path": "case", "manifest_sha256": "00"});
    let excluded: Vec<Value> = Vec::new();
    let subset = json!({"case": case, "items": items, "excluded": excluded});
    let hash = lockscope_graph::plan_hash(&subset);
    let doc = PlanDoc {
        schema_version: 1,
        tool: "lockscope test",
        hash,
        created: "2025-04-21T00:00:00Z",
        case: &case,
        identities,
        mass_event,
        items: &items,
        excluded: &excluded,
    };
    let text = serde_json::to_string_pretty(&doc).expect("plan json");
    std::fs::write(path, &text).expect("write plan");
    text
}

/// A plan item.
pub fn item(user: &str, object_id: Option<&str>, action: &str, state: Option<&str>) -> Value {
    json!({"user": user, "object_id": object_id, "target": "entra", "action": action,
        "reason": "test", "evidence": [],
        "current_state": {"risk_state": state, "risk_level": state.map(|_| "high"), "as_of": null}})
}

/// A tenant of `n` risky users `u{i}@contoso.com` at risk, ids `00000000-0000-0000-0000-{i:012}`.
pub fn risky_tenant(n: usize) -> (Dataset, Vec<(String, String)>) {
    let mut d = Dataset::new();
    let mut users = Vec::new();
    for i in 0..n {
        let id = format!("00000000-0000-0000-0000-{i:012}");
        let upn = format!("u{i}@contoso.com");
        d.add_risky_user(&id, &upn, "atRisk", "high");
        users.push((id, upn));
    }
    (d, users)
}
