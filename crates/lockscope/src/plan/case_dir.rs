//! Reading a case folder back: the few fields of `case.json`, `affected-users.jsonl`,
//! `findings.jsonl` and `incidents.json` a plan needs (docs/schemas.md).
//!
//! The engine's output types only serialize; these private structs read what they wrote. Every
//! list is optional where the schema allows an older case to lack it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::PlanError;
use crate::case::SCHEMA_VERSION;
use crate::finding::Verdict;

/// A case folder, read.
#[derive(Debug)]
pub(super) struct CaseDir {
    /// Hex SHA-256 of `case.json`.
    pub manifest_sha256: String,
    /// `case.json`.
    pub manifest: Manifest,
    /// `affected-users.jsonl`, in file order (sorted by user).
    pub users: Vec<UserRow>,
    /// `findings.jsonl` by id.
    pub findings: BTreeMap<String, FindingRow>,
    /// `incidents.json`.
    pub incidents: Vec<IncidentRow>,
}

/// The parts of `case.json` a plan uses.
#[derive(Debug, Deserialize)]
pub(super) struct Manifest {
    pub schema_version: u64,
    #[serde(default)]
    pub identities: usize,
    /// First and last event read (cases written before it was added lack it).
    #[serde(default)]
    pub window: Option<WindowRow>,
    #[serde(default)]
    pub inputs: Vec<InputRow>,
}

/// One input stream of `case.json`.
#[derive(Debug, Deserialize)]
pub(super) struct InputRow {
    pub file: String,
    #[serde(default)]
    pub format: String,
}

/// The end of a `{start, end}` window.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct WindowRow {
    pub end: String,
}

/// One line of `affected-users.jsonl`.
#[derive(Debug, Deserialize)]
pub(super) struct UserRow {
    pub user: String,
    #[serde(default)]
    pub object_id: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub root_cause: String,
    #[serde(default)]
    pub contributing: Vec<String>,
    pub verdict: Verdict,
    #[serde(default)]
    pub last_seen: Option<String>,
    /// Action ids; ids this version does not know are kept as text and never planned.
    #[serde(default)]
    pub actions: Vec<String>,
    #[serde(default)]
    pub incident: Option<String>,
    #[serde(default)]
    pub explanation: String,
    #[serde(default)]
    pub findings: Vec<String>,
    #[serde(default)]
    pub evidence: Vec<EvidenceRow>,
    #[serde(default)]
    pub risk_state: Option<String>,
    #[serde(default)]
    pub risk_level: Option<String>,
    #[serde(default)]
    pub risk_as_of: Option<String>,
}

/// One line of `findings.jsonl`.
#[derive(Debug, Deserialize)]
pub(super) struct FindingRow {
    pub id: String,
    pub rule: String,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub window: Option<WindowRow>,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub compromise: bool,
    #[serde(default)]
    pub remedies: Vec<String>,
    #[serde(default)]
    pub evidence: Vec<EvidenceRow>,
}

/// One incident of `incidents.json`.
#[derive(Debug, Deserialize)]
pub(super) struct IncidentRow {
    pub id: String,
    pub kind: String,
    #[serde(default)]
    pub window: Option<WindowRow>,
    #[serde(default)]
    pub members: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct IncidentsDoc {
    #[serde(default)]
    incidents: Vec<IncidentRow>,
}

/// An evidence object.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct EvidenceRow {
    pub file: String,
    #[serde(default)]
    pub line: Option<u64>,
    #[serde(default)]
    pub record: Option<u64>,
    #[serde(default)]
    pub offset: Option<u64>,
    #[serde(default)]
    pub time: String,
    #[serde(default)]
    pub note: String,
}

impl CaseDir {
    /// Reads the case folder at `dir`.
    pub fn read(dir: &Path) -> Result<Self, PlanError> {
        let manifest_path = dir.join("case.json");
        let bytes = read(&manifest_path)?;
        let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|source| PlanError::Json {
            path: manifest_path.display().to_string(),
            line: 1,
            source,
        })?;
        if manifest.schema_version != u64::from(SCHEMA_VERSION) {
            return Err(PlanError::Schema {
                path: manifest_path.display().to_string(),
                found: manifest.schema_version,
                expected: SCHEMA_VERSION,
            });
        }
        let users: Vec<UserRow> = lines(&dir.join("affected-users.jsonl"))?;
        let findings: Vec<FindingRow> = lines(&dir.join("findings.jsonl"))?;
        let incidents_path = dir.join("incidents.json");
        let incidents: IncidentsDoc = serde_json::from_slice(&read(&incidents_path)?)
            .map_err(|source| PlanError::Json { path: incidents_path.display().to_string(), line: 1, source })?;
        Ok(CaseDir {
            manifest_sha256: super::sha256_hex(&bytes),
            manifest,
            users,
            findings: findings.into_iter().map(|f| (f.id.clone(), f)).collect(),
            incidents: incidents.incidents,
        })
    }
}

fn read(path: &Path) -> Result<Vec<u8>, PlanError> {
    std::fs::read(path).map_err(|source| PlanError::Io { path: path.display().to_string(), source })
}

/// Reads a JSON Lines file (blank lines skipped).
fn lines<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, PlanError> {
    let bytes = read(path)?;
    let mut out = Vec::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let row = serde_json::from_slice(line).map_err(|source| PlanError::Json {
            path: path.display().to_string(),
            line: i + 1,
            source,
        })?;
        out.push(row);
    }
    Ok(out)
}
