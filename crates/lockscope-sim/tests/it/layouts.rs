//! Every layout holds the same records and the same truth, in files that parse, shaped the way
//! formats.md says each export path writes them.

use crate::data::config;
use lockscope_sim::{Config, Layout, Scenario, Summary};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

fn run(cfg: &Config) -> (tempfile::TempDir, Summary) {
    let dir = tempfile::tempdir().expect("tempdir");
    let summary = lockscope_sim::generate(cfg, dir.path()).expect("generate");
    (dir, summary)
}

fn text(path: &Path) -> String {
    let bytes = std::fs::read(path).expect("read");
    let text = if path.extension().is_some_and(|e| e == "gz") {
        let mut s = String::new();
        flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut s).expect("gzip");
        s
    } else {
        String::from_utf8(bytes).expect("utf-8")
    };
    text.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(text)
}

fn is_csv(path: &Path) -> bool {
    let name = path.to_string_lossy();
    name.ends_with(".csv") || name.ends_with(".csv.gz")
}

/// The records of a file as JSON objects: CSV rows keyed by header (every row must have the
/// header's width), Graph pages and arrays by element, JSON Lines by line, Event Hub batches by
/// record.
fn records(path: &Path) -> Vec<Value> {
    let text = text(path);
    if is_csv(path) {
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = rdr.headers().expect("header").iter().map(str::to_string).collect();
        return rdr
            .records()
            .map(|r| {
                let r = r.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert_eq!(r.len(), header.len(), "{}: ragged row", path.display());
                let mut m = Map::new();
                for (h, c) in header.iter().zip(r.iter()) {
                    // Duplicate portal columns keep the first value, like the engine.
                    m.entry(h.clone()).or_insert_with(|| Value::from(c));
                }
                Value::Object(m)
            })
            .collect();
    }
    let expand = |v: Value| -> Vec<Value> {
        match v {
            Value::Array(items) => items,
            Value::Object(m) if m.contains_key("value") => m["value"].as_array().cloned().unwrap_or_default(),
            Value::Object(m) if m.contains_key("records") => m["records"].as_array().cloned().unwrap_or_default(),
            other => vec![other],
        }
    };
    // A document parses whole; JSON Lines of more than one line never do.
    match serde_json::from_str::<Value>(&text) {
        Ok(doc) => expand(doc),
        Err(_) => text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .flat_map(|l| expand(serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}", path.display()))))
            .collect(),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Family {
    SignIn,
    Audit,
    Detection,
    RiskyUser,
    Truth,
}

fn family(path: &Path) -> Family {
    let p = path.to_string_lossy();
    let has = |s: &str| p.contains(s);
    if has("truth.json") {
        Family::Truth
    } else if has("signins/") || has("SignIns") || has("SigninLogs") || has("SignInLogs") || has("eventhub/") {
        Family::SignIn
    } else if has("audit") || has("AuditLogs") {
        Family::Audit
    } else if has("isk") && (has("Detections") || has("RiskEvents") || has("riskevents")) {
        Family::Detection
    } else {
        assert!(has("iskyUsers") || has("riskyusers"), "unknown file {p}");
        Family::RiskyUser
    }
}

/// A field by any of `names`, in the record or its envelope's `properties`; a leading `'`
/// (Excel protection) is dropped.
fn get(v: &Value, names: &[&str]) -> String {
    for name in names {
        for r in [v, &v["properties"]] {
            match &r[*name] {
                Value::String(s) => return s.trim_start_matches('\'').to_string(),
                Value::Number(n) => return n.to_string(),
                _ => {}
            }
        }
    }
    panic!("none of {names:?} in {v}")
}

/// What identifies a record across shapes, with what it says: sign-ins by request id (with
/// code and user), audits by correlation id and activity, detections by id, snapshots by
/// user and state.
fn key(family: Family, v: &Value) -> String {
    match family {
        Family::SignIn => {
            let code = match v["status"]["errorCode"].as_i64() {
                Some(c) => c.to_string(),
                None => get(v, &["resultType", "ResultType", "Sign-in error code"]),
            };
            let user = get(v, &["userPrincipalName", "UserPrincipalName", "Username"]).to_lowercase();
            format!("{} {code} {user}", get(v, &["id", "Id", "Request ID"]))
        }
        Family::Audit => {
            let activity = get(v, &["activityDisplayName", "ActivityDisplayName", "Activity"]);
            format!("{} {activity}", get(v, &["correlationId", "CorrelationId"]))
        }
        Family::Detection => get(v, &["id", "Id"]),
        Family::RiskyUser => format!("{} {}", get(v, &["id", "Id"]), get(v, &["riskState", "RiskState"])),
        Family::Truth => String::new(),
    }
}

/// Per family, the sorted keys of every record the data set in `dir` holds.
fn contents(dir: &Path, summary: &Summary) -> BTreeMap<Family, Vec<String>> {
    let mut out: BTreeMap<Family, Vec<String>> = BTreeMap::new();
    for (path, _, count) in &summary.files {
        let f = family(path.strip_prefix(dir).expect("inside"));
        if f == Family::Truth {
            continue;
        }
        let recs = records(path);
        assert_eq!(recs.len() as u64, *count, "{}: summary count", path.display());
        out.entry(f).or_default().extend(recs.iter().map(|r| key(f, r)));
    }
    for keys in out.values_mut() {
        keys.sort();
    }
    out
}

#[test]
fn every_layout_is_deterministic_per_seed() {
    for layout in Layout::ALL {
        let cfg = Config { layout, ..config(Scenario::Mixed, 50, 2, 7) };
        let (a, sa) = run(&cfg);
        let (b, sb) = run(&cfg);
        let rel = |d: &Path, s: &Summary| -> Vec<(PathBuf, u64)> {
            s.files.iter().map(|(p, n, _)| (p.strip_prefix(d).expect("inside").to_path_buf(), *n)).collect()
        };
        assert_eq!(rel(a.path(), &sa), rel(b.path(), &sb), "{layout}");
        for (pa, pb) in sa.files.iter().zip(&sb.files) {
            let same = std::fs::read(&pa.0).expect("read") == std::fs::read(&pb.0).expect("read");
            assert!(same, "{layout}: {} differs between runs", pa.0.display());
        }
    }
}

#[test]
fn truth_and_records_do_not_depend_on_the_layout() {
    let base = config(Scenario::Mixed, 60, 3, 5);
    let (graph_dir, graph) = run(&base);
    let truth = std::fs::read(graph_dir.path().join("truth.json")).expect("truth");
    let expected = contents(graph_dir.path(), &graph);
    assert!(expected.values().all(|k| !k.is_empty()), "every family has records");
    for layout in Layout::ALL {
        let (dir, summary) = run(&Config { layout, ..base.clone() });
        assert_eq!(std::fs::read(dir.path().join("truth.json")).expect("truth"), truth, "{layout}: truth.json");
        assert_eq!((summary.affected, summary.users), (graph.affected, graph.users));
        let got = contents(dir.path(), &summary);
        for (family, keys) in &expected {
            assert_eq!(keys.len(), got[family].len(), "{layout}: {family:?} record count");
            assert!(keys == &got[family], "{layout}: {family:?} records differ from the graph layout");
        }
    }
}

/// The files of one layout, parsed, by name relative to the output folder.
fn files_of(layout: Layout) -> (tempfile::TempDir, BTreeMap<String, Vec<Value>>) {
    let (dir, summary) = run(&Config { layout, ..config(Scenario::Mixed, 60, 3, 6) });
    let files = summary
        .files
        .iter()
        .map(|(p, _, _)| {
            let rel = p.strip_prefix(dir.path()).expect("inside").to_string_lossy().into_owned();
            (rel, records(p))
        })
        .collect();
    (dir, files)
}

fn only<'a>(files: &'a BTreeMap<String, Vec<Value>>, pattern: &str) -> Vec<&'a Value> {
    files.iter().filter(|(name, _)| name.contains(pattern)).flat_map(|(_, v)| v).collect()
}

#[test]
fn diagnostic_layout_has_event_hub_batches_and_storage_blobs() {
    let (dir, files) = files_of(Layout::Diagnostic);
    let hub = std::fs::read_to_string(dir.path().join("eventhub/entra-signins.json")).expect("hub");
    for line in hub.lines() {
        let batch: Value = serde_json::from_str(line).expect("a batch a line");
        let records = batch["records"].as_array().expect("records");
        assert!(!records.is_empty() && batch.as_object().map(Map::len) == Some(1));
    }
    let signins = only(&files, "eventhub/");
    let mut categories = std::collections::BTreeSet::new();
    for r in &signins {
        categories.insert(r["category"].as_str().expect("category"));
        assert!(r["resultType"].is_string(), "resultType is a string");
        assert_eq!(r["resultType"].as_str(), Some(r["properties"]["status"]["errorCode"].to_string().as_str()));
        assert!(r["properties"]["createdDateTime"].as_str().expect("time").ends_with("+00:00"));
        assert_eq!(r["operationName"], "Sign-in activity");
    }
    assert_eq!(categories.into_iter().collect::<Vec<_>>(), ["NonInteractiveUserSignInLogs", "SignInLogs"]);
    let times: Vec<&str> = signins.iter().map(|r| r["time"].as_str().expect("time")).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "Event Hub delivers in time order");
    for (name, _) in files.iter().filter(|(n, _)| n.starts_with("insights-logs-")) {
        let re = name.split('/').collect::<Vec<_>>();
        assert!(re[1].starts_with("tenantId=") && re[2].starts_with("y=") && re[6] == "m=00", "{name}");
        assert_eq!(re[7], "PT1H.json");
    }
    for r in only(&files, "insights-logs-userriskevents") {
        assert_eq!(r["category"], "UserRiskEvents");
        let time = r["time"].as_str().expect("time");
        assert!(time.ends_with(" AM") || time.ends_with(" PM"), "US time: {time}");
        assert!(time.split('/').count() == 3, "M/D/YYYY: {time}");
    }
    assert!(only(&files, "insights-logs-riskyusers").iter().all(|r| r["category"] == "RiskyUsers"));
    assert!(only(&files, "insights-logs-auditlogs").iter().all(|r| r["category"] == "AuditLogs"));
}

#[test]
fn log_analytics_layout_types_its_columns_per_table() {
    let (_dir, files) = files_of(Layout::LogAnalytics);
    let interactive = only(&files, "SigninLogs.json");
    let non_interactive = only(&files, "AADNonInteractiveUserSignInLogs.json");
    assert!(!interactive.is_empty() && !non_interactive.is_empty());
    for r in &interactive {
        assert_eq!(r["Type"], "SigninLogs");
        assert!(r["Status"].is_object() && r["DeviceDetail"].is_object() && r["LocationDetails"].is_object());
        assert!(r["ResultType"].is_string() && r["IsInteractive"] == true);
    }
    for r in &non_interactive {
        assert_eq!(r["Type"], "AADNonInteractiveUserSignInLogs");
        let status: Value = serde_json::from_str(r["Status"].as_str().expect("JSON text")).expect("JSON");
        assert_eq!(status["errorCode"].to_string(), r["ResultType"].as_str().expect("string"));
        assert!(r["DeviceDetail"].is_string() && r["ProcessingTimeInMs"].is_string());
    }
    for r in only(&files, "AuditLogs.csv") {
        let by: Value = serde_json::from_str(r["InitiatedBy"].as_str().expect("text")).expect("JSON text");
        assert!(by.is_object());
        assert!(r["TargetResources"].as_str().expect("text").starts_with('['));
        assert!(r.get("TimeGenerated [UTC]").is_some(), "the portal's time header suffix");
    }
    let mut per_user = BTreeMap::<&str, usize>::new();
    for r in only(&files, "AADRiskyUsers.csv") {
        *per_user.entry(r["Id"].as_str().expect("id")).or_default() += 1;
    }
    assert!(per_user.values().any(|n| *n >= 3), "several snapshots per risky user");
    assert!(!only(&files, "AADUserRiskEvents.csv").is_empty());
}

#[test]
fn portal_layout_writes_the_download_with_its_quirks() {
    let (dir, files) = files_of(Layout::Portal);
    let name = |prefix: &str| files.keys().find(|n| n.starts_with(prefix)).cloned().expect(prefix);
    let interactive = name("InteractiveSignIns_");
    assert_eq!(interactive, "InteractiveSignIns_2025-04-17_2025-04-19.csv");
    let raw = std::fs::read(dir.path().join(&interactive)).expect("read");
    assert!(raw.starts_with(b"\xEF\xBB\xBF\"Date (UTC)\",\"Request ID\""), "BOM, quoted header");
    let head = String::from_utf8_lossy(&raw[..2000]).into_owned();
    assert_eq!(head.matches("\"Incoming token type\"").count(), 2);
    assert!(head.contains("\"Application ID \"") && head.contains("\"Autonomous system  number\""));
    let rows: Vec<&Value> = only(&files, "SignIns_");
    let mut statuses = std::collections::BTreeSet::new();
    let mut quoted_uti = 0;
    for r in &rows {
        statuses.insert(r["Status"].as_str().expect("status"));
        let location = r["Location"].as_str().expect("location");
        assert_eq!(location.split(", ").count(), 3, "City, State, CC: {location}");
        let date = r["Date (UTC)"].as_str().expect("date");
        assert!(date.len() == 20 && date.ends_with('Z'), "whole seconds: {date}");
        let uti = r["Unique token identifier"].as_str().expect("uti");
        quoted_uti += usize::from(uti.starts_with('\''));
        assert!(!uti.trim_start_matches('\'').starts_with(['-', '+']) || uti.starts_with('\''));
    }
    assert_eq!(statuses.into_iter().collect::<Vec<_>>(), ["Failure", "Interrupted", "Success"]);
    assert!(quoted_uti > 0, "some token identifiers start with - and are protected");
    let audits = only(&files, "AuditLogs_");
    assert!(audits.iter().any(|r| r["ActorType"] == "Application" && !r["Target1ModifiedProperty1NewValue"].is_null()));
    assert!(audits.iter().all(|r| r.get("AdditionalDetail6Value").is_some()));
    assert!(only(&files, "riskyUsers.json").iter().all(|r| r["riskLastUpdatedDateTime"].is_string()));
}

#[test]
fn mixed_layout_mixes_shapes_and_compresses_some_files() {
    let (_dir, files) = files_of(Layout::Mixed);
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert!(names.iter().any(|n| n.ends_with(".gz")), "{names:?}");
    assert!(names.iter().any(|n| n.starts_with("InteractiveSignIns_")), "{names:?}");
    assert!(names.contains(&"eventhub/entra-signins.json.gz") && names.contains(&"AuditLogs.csv.gz"));
    let hub = only(&files, "eventhub/");
    assert!(
        hub.iter().all(|r| r["category"] == "NonInteractiveUserSignInLogs"),
        "interactive ones are in the portal file"
    );
}

#[test]
fn a_rerun_in_another_layout_replaces_the_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut all = Vec::new();
    for layout in [Layout::Diagnostic, Layout::Mixed, Layout::Portal, Layout::LogAnalytics, Layout::Graph] {
        let summary = lockscope_sim::generate(&Config { layout, ..config(Scenario::Mace2025, 12, 2, 1) }, dir.path())
            .expect("run");
        let mut on_disk = Vec::new();
        let mut stack = vec![dir.path().to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).expect("dir") {
                let p = e.expect("entry").path();
                if p.is_dir() { stack.push(p) } else { on_disk.push(p) }
            }
        }
        on_disk.sort();
        let listed: Vec<PathBuf> = summary.files.iter().map(|f| f.0.clone()).collect();
        assert_eq!(on_disk, listed, "{layout}: only this run's files remain");
        all.push(summary.files.len());
    }
    assert!(all.iter().any(|n| *n > 10), "the diagnostic run wrote blobs: {all:?}");
}
