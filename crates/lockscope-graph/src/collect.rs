//! Exporting Entra logs from Graph into files `lockscope investigate` reads.
//!
//! Every stream is a list of tasks: the time-sliced logs (sign-ins, non-interactive sign-ins,
//! directory audits, risk detections: one task per slice, `$filter` on the slice), the risky
//! users, and each risky user's history. A task is read page by page along
//! `@odata.nextLink`; each page is written as `{"value": [...]}` to its own file, then the
//! checkpoint (`DIR/.collect-state.json`, written atomically) records the next link. A rerun
//! skips finished tasks and continues unfinished ones from their last completed page.
//! Throttling and dropped connections are handled (and waited out) by the [`Client`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::{Client, encode};
use crate::error::GraphError;

/// Name of the checkpoint file inside the output folder (hidden: `investigate` skips it).
pub const STATE_FILE: &str = ".collect-state.json";

/// What to collect.
#[derive(Debug, Clone)]
pub struct Options {
    /// Start of the window (inclusive).
    pub since: Timestamp,
    /// End of the window (exclusive).
    pub until: Timestamp,
    /// Length of one time slice.
    pub slice: SignedDuration,
    /// `$top` asked for each page (capped per stream to what Graph allows); `None`: Graph's default.
    pub top: Option<u32>,
    /// Also non-interactive sign-ins (beta `signInEventTypes` filter).
    pub non_interactive: bool,
    /// Also each risky user's history.
    pub history: bool,
}

impl Options {
    /// The whole window in 6-hour slices, every stream.
    pub fn new(since: Timestamp, until: Timestamp) -> Self {
        Options { since, until, slice: SignedDuration::from_hours(6), top: None, non_interactive: true, history: true }
    }
}

/// A time-sliced log stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sliced {
    SignIns,
    NonInteractive,
    Audits,
    Detections,
}

impl Sliced {
    const ALL: [Sliced; 4] = [Sliced::SignIns, Sliced::NonInteractive, Sliced::Audits, Sliced::Detections];

    /// Folder (and task prefix).
    fn name(self) -> &'static str {
        match self {
            Sliced::SignIns => "signIns-interactive",
            Sliced::NonInteractive => "signIns-nonInteractive",
            Sliced::Audits => "directoryAudits",
            Sliced::Detections => "riskDetections",
        }
    }

    /// Version, path, time field, largest `$top`, extra filter.
    fn endpoint(self) -> (&'static str, &'static str, &'static str, u32, Option<&'static str>) {
        match self {
            Sliced::SignIns => ("v1.0", "auditLogs/signIns", "createdDateTime", 1000, None),
            Sliced::NonInteractive => (
                "beta",
                "auditLogs/signIns",
                "createdDateTime",
                1000,
                Some("signInEventTypes/any(t: t eq 'nonInteractiveUser')"),
            ),
            Sliced::Audits => ("v1.0", "auditLogs/directoryAudits", "activityDateTime", 999, None),
            // riskDetections: 500 is the largest $top that works (microsoft-graph-docs-contrib#8886).
            Sliced::Detections => ("v1.0", "identityProtection/riskDetections", "detectedDateTime", 500, None),
        }
    }
}

/// Progress of one task in the checkpoint.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Task {
    /// Finished: every page written.
    done: bool,
    /// The next page to read, when started and not finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next: Option<String>,
    /// Pages written.
    pages: u32,
    /// Records written.
    records: u64,
}

/// The checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    version: u32,
    since: String,
    until: String,
    slice_seconds: i64,
    tasks: BTreeMap<String, Task>,
}

/// What a run wrote.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Records per stream (this run and earlier runs of the same collection).
    pub records: BTreeMap<String, u64>,
    /// Pages written by this run.
    pub pages: u64,
    /// Tasks found finished by an earlier run.
    pub resumed_tasks: usize,
    /// Tasks in all.
    pub tasks: usize,
}

struct Run<'a> {
    client: &'a Client,
    dir: PathBuf,
    state: State,
    report: Report,
}

impl Run<'_> {
    fn save(&self) -> Result<(), GraphError> {
        let path = self.dir.join(STATE_FILE);
        let text = serde_json::to_vec_pretty(&self.state).map_err(|e| GraphError::Config(e.to_string()))?;
        write_atomic(&path, &text)
    }

    /// Reads the task `key` from `first` (or where it stopped) to its end, writing pages as
    /// `folder/<stem>-NNNN.json`.
    fn task(
        &mut self,
        key: &str,
        folder: &str,
        stem: &str,
        first: &str,
        progress: &mut dyn FnMut(&str),
    ) -> Result<(), GraphError> {
        let mut task = self.state.tasks.get(key).cloned().unwrap_or_default();
        if task.done {
            self.report.resumed_tasks += 1;
            return Ok(());
        }
        let dir = self.dir.join(folder);
        std::fs::create_dir_all(&dir).map_err(GraphError::io(&dir))?;
        let mut link = task.next.clone().unwrap_or_else(|| first.to_string());
        if task.pages > 0 {
            progress(&format!("{key}: resuming after page {}", task.pages));
        }
        loop {
            let page = self.client.page(&link)?;
            task.pages += 1;
            task.records += page.value.len() as u64;
            let n = page.value.len();
            let file = dir.join(format!("{stem}-{:04}.json", task.pages));
            let body = serde_json::to_vec(&serde_json::json!({"value": page.value}))
                .map_err(|e| GraphError::Config(e.to_string()))?;
            write_atomic(&file, &body)?;
            self.report.pages += 1;
            *self.report.records.entry(folder.to_string()).or_default() += n as u64;
            task.next = page.next_link.clone();
            task.done = page.next_link.is_none();
            self.state.tasks.insert(key.to_string(), task.clone());
            self.save()?;
            progress(&format!("{key}: page {} ({n} records)", task.pages));
            match page.next_link {
                Some(next) => link = next,
                None => return Ok(()),
            }
        }
    }
}

/// Collects into `dir` (created if needed), resuming from its checkpoint when it has one.
pub fn collect(
    client: &Client,
    dir: &Path,
    opts: &Options,
    progress: &mut dyn FnMut(&str),
) -> Result<Report, GraphError> {
    if opts.until <= opts.since {
        return Err(GraphError::Config(format!("--until {} is not after --since {}", opts.until, opts.since)));
    }
    if opts.slice.as_secs() < 60 {
        return Err(GraphError::Config("a time slice is at least one minute".into()));
    }
    std::fs::create_dir_all(dir).map_err(GraphError::io(dir))?;
    let state_path = dir.join(STATE_FILE);
    let fresh = State {
        version: 1,
        since: opts.since.to_string(),
        until: opts.until.to_string(),
        slice_seconds: opts.slice.as_secs(),
        tasks: BTreeMap::new(),
    };
    let state = match std::fs::read(&state_path) {
        Ok(bytes) => {
            let old: State = serde_json::from_slice(&bytes)
                .map_err(|e| GraphError::Config(format!("{}: unreadable checkpoint: {e}", state_path.display())))?;
            if old.since != fresh.since || old.until != fresh.until || old.slice_seconds != fresh.slice_seconds {
                return Err(GraphError::Config(format!(
                    "{} holds a collection of {} to {} in {}s slices; collect into another folder, or delete the folder to start over",
                    dir.display(),
                    old.since,
                    old.until,
                    old.slice_seconds
                )));
            }
            progress(&format!("resuming the collection in {}", dir.display()));
            old
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => fresh,
        Err(e) => return Err(GraphError::io(&state_path)(e)),
    };
    let mut run = Run { client, dir: dir.to_path_buf(), state, report: Report::default() };
    // Totals of earlier runs count in the report too.
    for (key, t) in &run.state.tasks {
        let folder = key.split('/').next().unwrap_or(key).to_string();
        *run.report.records.entry(folder).or_default() += t.records;
    }
    run.save()?;

    let mut slices = Vec::new();
    let mut from = opts.since;
    while from < opts.until {
        let to = from.checked_add(opts.slice).unwrap_or(opts.until).min(opts.until);
        slices.push((from, to));
        from = to;
    }
    for stream in Sliced::ALL {
        if stream == Sliced::NonInteractive && !opts.non_interactive {
            continue;
        }
        let (version, path, field, max_top, extra) = stream.endpoint();
        for (from, to) in &slices {
            let mut filter = format!("{field} ge {from} and {field} lt {to}");
            if let Some(x) = extra {
                filter.push_str(" and ");
                filter.push_str(x);
            }
            let mut url = format!("/{version}/{path}?$filter={}", encode(&filter));
            if let Some(top) = opts.top {
                url.push_str(&format!("&$top={}", top.clamp(1, max_top)));
            }
            let key = format!("{}/{from}", stream.name());
            let stem = from.strftime("%Y%m%dT%H%M%SZ").to_string();
            run.report.tasks += 1;
            run.task(&key, stream.name(), &stem, &url, progress)?;
        }
    }

    let mut url = "/v1.0/identityProtection/riskyUsers".to_string();
    if let Some(top) = opts.top {
        url.push_str(&format!("?$top={}", top.clamp(1, 500)));
    }
    run.report.tasks += 1;
    run.task("riskyUsers", "riskyUsers", "riskyUsers", &url, progress)?;
    if opts.history {
        let ids = risky_user_ids(&dir.join("riskyUsers"))?;
        for id in ids {
            let key = format!("riskyUserHistory/{id}");
            run.report.tasks += 1;
            let first = format!("/v1.0/identityProtection/riskyUsers/{}/history", encode(&id));
            run.task(&key, "riskyUserHistory", &id, &first, progress)?;
        }
    }
    Ok(run.report)
}

/// The ids of the risky users in the written pages, sorted.
fn risky_user_ids(dir: &Path) -> Result<Vec<String>, GraphError> {
    let mut ids = std::collections::BTreeSet::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(GraphError::io(dir)(e)),
    };
    for e in entries {
        let path = e.map_err(GraphError::io(dir))?.path();
        if path.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(GraphError::io(&path))?;
        let page: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        for u in page.get("value").and_then(Value::as_array).into_iter().flatten() {
            if let Some(id) = u.get("id").and_then(Value::as_str)
                && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                ids.insert(id.to_lowercase());
            }
        }
    }
    Ok(ids.into_iter().collect())
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), GraphError> {
    // Hidden, so that `investigate` never reads a half-written page.
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes).map_err(GraphError::io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(GraphError::io(path))
}
