//! The apply journal: `PLAN.journal.jsonl`, one line per user and completed call, flushed and
//! synced after every call, so a run that stops anywhere can be resumed without acting twice.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::GraphError;

/// What became of one user's action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The call succeeded (2xx); not yet read back.
    Applied,
    /// The user was already in the target state: nothing sent.
    Already,
    /// Read back: the user is in the target state.
    Verified,
    /// Read back: the state did not change although the call succeeded.
    NotApplied,
    /// The call failed for this user.
    Failed,
    /// Left alone: the state changed since the plan (with `--ignore-stale`).
    StaleSkipped,
}

impl Outcome {
    /// Whether the call needs no repeating.
    pub fn is_done(self) -> bool {
        matches!(self, Outcome::Applied | Outcome::Already | Outcome::Verified)
    }
}

/// One journal line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    /// The plan's hash.
    pub plan: String,
    /// When (RFC 3339).
    pub time: String,
    /// The user as the plan names them.
    pub user: String,
    /// Object id acted on (or the UPN when none was known).
    pub object_id: String,
    /// The plan action id.
    pub action: String,
    /// What happened.
    pub outcome: Outcome,
    /// The Graph call (`POST /v1.0/identityProtection/riskyUsers/dismiss`), if one was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<String>,
    /// Its HTTP status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Read-back state or error text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The journal of one plan.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    plan: String,
    /// Last outcome per (object id, action).
    last: BTreeMap<(String, String), Outcome>,
    file: Option<std::fs::File>,
}

impl Journal {
    /// The journal path of a plan file: `plan.json.journal.jsonl`.
    pub fn path_for(plan: &Path) -> PathBuf {
        let mut name = plan.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push(".journal.jsonl");
        plan.with_file_name(name)
    }

    /// Opens (and reads) the journal at `path` for the plan `hash`. A journal of another plan
    /// is refused; a last line cut short by a crash is ignored.
    pub fn open(path: &Path, hash: &str) -> Result<Journal, GraphError> {
        let mut last = BTreeMap::new();
        match std::fs::read_to_string(path) {
            Ok(text) => {
                for line in text.lines().filter(|l| !l.trim().is_empty()) {
                    let Ok(e) = serde_json::from_str::<Entry>(line) else { continue };
                    if e.plan != hash {
                        return Err(GraphError::Config(format!(
                            "{}: this journal belongs to another plan ({}); move it away to apply {hash}",
                            path.display(),
                            e.plan
                        )));
                    }
                    last.insert((e.object_id.to_lowercase(), e.action.clone()), e.outcome);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(GraphError::io(path)(e)),
        }
        Ok(Journal { path: path.to_path_buf(), plan: hash.to_string(), last, file: None })
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The last outcome recorded for `object_id` and `action`.
    pub fn last(&self, object_id: &str, action: &str) -> Option<Outcome> {
        self.last.get(&(object_id.to_lowercase(), action.to_string())).copied()
    }

    /// Every (object id, action) whose last outcome is `outcome`.
    pub fn with_outcome(&self, outcome: Outcome) -> Vec<(String, String)> {
        self.last.iter().filter(|(_, o)| **o == outcome).map(|(k, _)| k.clone()).collect()
    }

    /// Appends entries (stamped with the plan and the time) and syncs them to disk.
    pub fn record(&mut self, entries: Vec<Entry>) -> Result<(), GraphError> {
        if entries.is_empty() {
            return Ok(());
        }
        if self.file.is_none() {
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .map_err(GraphError::io(&self.path))?;
            self.file = Some(f);
        }
        let now = jiff::Timestamp::now().to_string();
        let mut buf = Vec::new();
        for mut e in entries {
            e.plan = self.plan.clone();
            e.time = now.clone();
            self.last.insert((e.object_id.to_lowercase(), e.action.clone()), e.outcome);
            serde_json::to_writer(&mut buf, &e).map_err(|err| GraphError::Config(err.to_string()))?;
            buf.push(b'\n');
        }
        if let Some(f) = self.file.as_mut() {
            f.write_all(&buf).map_err(GraphError::io(&self.path))?;
            f.sync_data().map_err(GraphError::io(&self.path))?;
        }
        Ok(())
    }
}

/// A blank entry to fill.
pub fn entry(user: &str, object_id: &str, action: &str, outcome: Outcome) -> Entry {
    Entry {
        plan: String::new(),
        time: String::new(),
        user: user.to_string(),
        object_id: object_id.to_string(),
        action: action.to_string(),
        outcome,
        call: None,
        status: None,
        detail: None,
    }
}
