//! Generates a data set into a temporary folder and loads it back into plain structs.

use base64::Engine as _;
use lockscope_sim::{Config, Scenario, Summary};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One sign-in, from either the Graph pages or the Log Analytics CSV.
#[derive(Clone, Debug)]
pub struct SignIn {
    pub user: String,
    pub user_id: String,
    pub code: i64,
    pub t: jiff::Timestamp,
    pub interactive: bool,
    /// `deviceDetail.deviceId` (empty for unregistered devices).
    pub device: String,
    pub device_key: String,
    pub ip: String,
    pub country: String,
    pub id: String,
    pub uti: String,
    pub token: String,
    pub client: String,
    /// The client application's id (`appId`).
    pub app_id: String,
    pub methods: Vec<String>,
    pub risk_level: String,
    pub risk_state: String,
    /// A "Block high user risk"-style policy failed with `userRisk` among its conditions.
    pub risk_block: bool,
}

pub struct Data {
    pub _dir: tempfile::TempDir,
    pub path: PathBuf,
    pub summary: Summary,
    pub truth: Value,
    pub signins: Vec<SignIn>,
    pub audits: Vec<Value>,
    pub detections: Vec<Value>,
    pub risky: Vec<Value>,
}

/// The scenarios that write only Entra exports (the checks of the Entra records apply).
pub fn entra_only() -> impl Iterator<Item = Scenario> {
    Scenario::ALL.into_iter().filter(|s| s.writes_entra() && !s.writes_windows())
}

pub fn config(scenario: Scenario, users: usize, days: u32, seed: u64) -> Config {
    Config { scenario, users, seed, days, noise: 4, ..Config::default() }
}

/// `default`, or seeds 1..=N when `LOCKSCOPE_SIM_SEEDS=N` is set (a longer soak of the
/// scenario contract).
pub fn seeds(default: u64) -> Vec<u64> {
    match std::env::var("LOCKSCOPE_SIM_SEEDS").ok().and_then(|n| n.parse::<u64>().ok()) {
        Some(n) => (1..=n).collect(),
        None => vec![default],
    }
}

pub fn time(v: &Value) -> jiff::Timestamp {
    let s = v.as_str().unwrap_or_default();
    s.parse().unwrap_or_else(|e| panic!("bad time {s:?}: {e}"))
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn policies_block_on_risk(policies: &Value) -> bool {
    policies.as_array().into_iter().flatten().any(|p| {
        let block = p["enforcedGrantControls"].as_array().is_some_and(|g| g.iter().any(|c| c == "Block"));
        let risk = match &p["conditionsSatisfied"] {
            Value::String(s) => s.split(',').any(|c| c == "userRisk"),
            Value::Number(n) => n.as_u64().is_some_and(|n| n & 64 != 0),
            _ => false,
        };
        p["result"] == "failure" && block && risk
    })
}

fn methods(details: &Value) -> Vec<String> {
    details
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["authenticationMethod"].as_str().map(str::to_string))
        .collect()
}

fn device_key(d: &Value) -> String {
    match d["deviceId"].as_str() {
        Some(id) if !id.is_empty() => id.to_string(),
        _ => format!("{}/{}", d["operatingSystem"], d["browser"]),
    }
}

/// Checks the uti is the base64url of the request id in .NET byte order (formats.md §9.2).
pub fn uti_matches(uti: &str, id: &str) -> bool {
    let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(uti) else {
        return false;
    };
    if bytes.len() != 16 || uti.len() != 22 {
        return false;
    }
    let order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
    let hex: String = order.iter().map(|&i| format!("{:02x}", bytes[i])).collect();
    let text = format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32]);
    text == id
}

pub fn generate(cfg: &Config) -> Data {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_path_buf();
    let summary = lockscope_sim::generate(cfg, &path).expect("generate");
    let mut signins = Vec::new();
    let mut pages: Vec<PathBuf> =
        std::fs::read_dir(path.join("signins")).expect("signins dir").map(|e| e.expect("entry").path()).collect();
    pages.sort();
    for page in &pages {
        for r in json(page)["value"].as_array().expect("value array") {
            signins.push(SignIn {
                user: r["userPrincipalName"].as_str().expect("upn").to_lowercase(),
                user_id: r["userId"].as_str().expect("userId").to_string(),
                code: r["status"]["errorCode"].as_i64().expect("errorCode is a number"),
                t: time(&r["createdDateTime"]),
                interactive: r["isInteractive"].as_bool().expect("isInteractive"),
                device: r["deviceDetail"]["deviceId"].as_str().expect("deviceId").to_string(),
                device_key: device_key(&r["deviceDetail"]),
                ip: r["ipAddress"].as_str().expect("ip").to_string(),
                country: r["location"]["countryOrRegion"].as_str().expect("country").to_string(),
                id: r["id"].as_str().expect("id").to_string(),
                uti: r["uniqueTokenIdentifier"].as_str().expect("uti").to_string(),
                token: r["incomingTokenType"].as_str().expect("token").to_string(),
                client: r["clientAppUsed"].as_str().expect("client").to_string(),
                app_id: r["appId"].as_str().expect("appId").to_string(),
                methods: methods(&r["authenticationDetails"]),
                risk_level: r["riskLevelAggregated"].as_str().expect("risk level").to_string(),
                risk_state: r["riskState"].as_str().expect("risk state").to_string(),
                risk_block: policies_block_on_risk(&r["appliedConditionalAccessPolicies"]),
            });
        }
    }
    let mut csv = csv::Reader::from_path(path.join("AADNonInteractiveUserSignInLogs.csv")).expect("csv");
    let header: Vec<String> = csv.headers().expect("header").iter().map(str::to_string).collect();
    let col: BTreeMap<&str, usize> = header.iter().enumerate().map(|(i, h)| (h.as_str(), i)).collect();
    for row in csv.records() {
        let row = row.expect("csv row");
        assert_eq!(row.len(), header.len(), "every row has the header's column count");
        let get = |name: &str| row.get(col[name]).expect("column").to_string();
        let nested = |name: &str| -> Value {
            serde_json::from_str(&get(name)).unwrap_or_else(|e| panic!("{name} is JSON text: {e}"))
        };
        let status = nested("Status");
        let code = status["errorCode"].as_i64().expect("Status.errorCode");
        assert_eq!(get("ResultType"), code.to_string(), "ResultType is the code as text");
        let device = nested("DeviceDetail");
        signins.push(SignIn {
            user: get("UserPrincipalName").to_lowercase(),
            user_id: get("UserId"),
            code,
            t: get("CreatedDateTime").parse().expect("CreatedDateTime"),
            interactive: get("IsInteractive") == "true",
            device: device["deviceId"].as_str().expect("deviceId").to_string(),
            device_key: device_key(&device),
            ip: get("IPAddress"),
            country: nested("LocationDetails")["countryOrRegion"].as_str().expect("country").to_string(),
            id: get("Id"),
            uti: get("UniqueTokenIdentifier"),
            token: get("IncomingTokenType"),
            client: get("ClientAppUsed"),
            app_id: get("AppId"),
            methods: methods(&nested("AuthenticationDetails")),
            risk_level: get("RiskLevelAggregated"),
            risk_state: get("RiskState"),
            risk_block: policies_block_on_risk(&nested("ConditionalAccessPolicies")),
        });
    }
    signins.sort_by(|a, b| (a.t, &a.id).cmp(&(b.t, &b.id)));
    let audits = std::fs::read_to_string(path.join("audit/PT1H.json"))
        .expect("audit")
        .lines()
        .map(|l| serde_json::from_str(l).expect("audit line is JSON"))
        .collect();
    let detections = json(&path.join("riskDetections.json"))["value"].as_array().expect("value").clone();
    let risky = json(&path.join("AADRiskyUsers.json")).as_array().expect("array").clone();
    let truth = json(&path.join("truth.json"));
    Data { _dir: dir, path, summary, truth, signins, audits, detections, risky }
}

impl Data {
    pub fn affected(&self) -> &[Value] {
        self.truth["affected"].as_array().map(Vec::as_slice).unwrap_or_default()
    }

    pub fn rows(&self, root_cause: &str) -> Vec<&Value> {
        self.affected().iter().filter(|r| r["root_cause"] == root_cause).collect()
    }

    pub fn signins_of<'a>(&'a self, upn: &'a str) -> impl Iterator<Item = &'a SignIn> + 'a {
        self.signins.iter().filter(move |s| s.user == upn)
    }

    /// Audit rows whose first target is the user with this object id.
    pub fn audits_of<'a>(&'a self, oid: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.audits.iter().filter(move |a| a["properties"]["targetResources"][0]["id"] == oid)
    }

    pub fn detections_of<'a>(&'a self, oid: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.detections.iter().filter(move |d| d["userId"] == oid)
    }

    /// The lockout effects a user got, named as in truth's `contributing`.
    pub fn effects(&self, upn: &str) -> Vec<&'static str> {
        let codes: Vec<i64> = self.signins_of(upn).map(|s| s.code).collect();
        [("risk-block", 53003), ("token-rejected", 50173), ("smart-lockout", 50053), ("account-disabled", 50057)]
            .into_iter()
            .filter(|(_, c)| codes.contains(c))
            .map(|(n, _)| n)
            .collect()
    }
}

pub fn activity(a: &Value) -> &str {
    a["properties"]["activityDisplayName"].as_str().unwrap_or_default()
}
