//! What the mock tenant holds: sign-ins, directory audits, risk detections, risky users and their
//! history, loaded from files in the shapes `lockscope simulate` writes (Graph pages and
//! diagnostic-settings envelopes, whose `properties` are the Graph objects) or added by tests.

use std::collections::BTreeMap;
use std::path::Path;

use jiff::Timestamp;
use serde_json::Value;

/// Records the mock serves.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Sign-ins (interactive and not), with their time.
    pub(crate) signins: Vec<(Timestamp, Value)>,
    /// Directory audits, with their time.
    pub(crate) audits: Vec<(Timestamp, Value)>,
    /// Risk detections, with their detection time.
    pub(crate) detections: Vec<(Timestamp, Value)>,
    /// Risky-user snapshots per user id, oldest first; the last is the current state.
    pub(crate) snapshots: BTreeMap<String, Vec<Value>>,
}

impl Dataset {
    /// An empty tenant.
    pub fn new() -> Self {
        Dataset::default()
    }

    /// Loads every JSON file under `dir` (recursively; `truth.json` and other non-Entra JSON are
    /// ignored): Graph pages or arrays, JSON Lines, Event Hub `{"records": [...]}` batches and
    /// diagnostic envelopes (their `properties`).
    pub fn load_dir(dir: &Path) -> std::io::Result<Self> {
        let mut data = Dataset::new();
        let mut files = Vec::new();
        walk(dir, &mut files)?;
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f)?;
            match serde_json::from_str::<Value>(&text) {
                Ok(v) => data.add_document(v),
                Err(_) => {
                    for line in text.lines().filter(|l| !l.trim().is_empty()) {
                        if let Ok(v) = serde_json::from_str::<Value>(line) {
                            data.add_document(v);
                        }
                    }
                }
            }
        }
        data.sort();
        Ok(data)
    }

    fn add_document(&mut self, v: Value) {
        match v {
            Value::Array(items) => items.into_iter().for_each(|i| self.add(i)),
            Value::Object(ref o) if o.get("value").is_some_and(Value::is_array) => {
                if let Some(Value::Array(items)) = o.get("value") {
                    items.iter().cloned().for_each(|i| self.add(i));
                }
            }
            Value::Object(ref o) if o.get("records").is_some_and(Value::is_array) => {
                if let Some(Value::Array(items)) = o.get("records") {
                    items.iter().cloned().for_each(|i| self.add(i));
                }
            }
            other => self.add(other),
        }
    }

    /// Adds one record (a Graph object, or a diagnostic envelope whose `properties` is one),
    /// filed by its content. Records of no known family are ignored.
    pub fn add(&mut self, record: Value) {
        let record = match record.get("properties") {
            Some(p) if p.is_object() && record.get("category").is_some() => p.clone(),
            _ => record,
        };
        let time =
            |keys: &[&str]| keys.iter().find_map(|k| record.get(*k).and_then(Value::as_str).and_then(parse_time));
        if record.get("riskEventType").is_some() {
            if let Some(t) = time(&["detectedDateTime", "activityDateTime"]) {
                self.detections.push((t, record));
            }
        } else if record.get("activityDisplayName").is_some() {
            if let Some(t) = time(&["activityDateTime"]) {
                self.audits.push((t, record));
            }
        } else if record.get("createdDateTime").is_some() && record.get("status").is_some() {
            if let Some(t) = time(&["createdDateTime"]) {
                self.signins.push((t, record));
            }
        } else if record.get("riskLastUpdatedDateTime").is_some() || record.get("riskState").is_some() {
            let id = record.get("userId").or_else(|| record.get("id")).and_then(Value::as_str).map(str::to_lowercase);
            if let Some(id) = id {
                let mut snap = record.clone();
                if let Some(o) = snap.as_object_mut() {
                    o.insert("id".into(), Value::String(id.clone()));
                    for k in ["userId", "initiatedBy", "activity"] {
                        o.remove(k);
                    }
                }
                self.snapshots.entry(id).or_default().push(snap);
            }
        }
    }

    /// Adds a risky user in `state` at `level` (a test helper).
    pub fn add_risky_user(&mut self, id: &str, upn: &str, state: &str, level: &str) {
        self.add(serde_json::json!({
            "id": id, "userPrincipalName": upn, "userDisplayName": upn.split('@').next().unwrap_or(upn),
            "riskLastUpdatedDateTime": "2025-04-19T05:16:22.418Z", "riskState": state,
            "riskDetail": "none", "riskLevel": level, "isDeleted": false, "isProcessing": false,
        }));
    }

    /// Newest first, as Graph lists logs; snapshots oldest first.
    pub(crate) fn sort(&mut self) {
        let key = |v: &Value| v.get("id").and_then(Value::as_str).unwrap_or("").to_string();
        for list in [&mut self.signins, &mut self.audits, &mut self.detections] {
            list.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| key(&a.1).cmp(&key(&b.1))));
        }
        for snaps in self.snapshots.values_mut() {
            snaps.sort_by_key(|s| s.get("riskLastUpdatedDateTime").and_then(Value::as_str).and_then(parse_time));
        }
    }

    /// Numbers of records per family: sign-ins, audits, detections, risky users.
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        (self.signins.len(), self.audits.len(), self.detections.len(), self.snapshots.len())
    }
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    if dir.is_file() {
        out.push(dir.to_path_buf());
        return Ok(());
    }
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || name == "truth.json" {
            continue;
        }
        if p.is_dir() {
            walk(&p, out)?;
        } else if name.ends_with(".json") || name.ends_with(".jsonl") {
            out.push(p);
        }
    }
    Ok(())
}

/// Any timestamp shape Microsoft writes.
pub(crate) fn parse_time(s: &str) -> Option<Timestamp> {
    lockscope::time::parse(s)
}
