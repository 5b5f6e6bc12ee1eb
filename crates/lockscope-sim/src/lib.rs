#![doc = include_str!("../README.md")]

mod apps;
mod audit;
mod clock;
mod config;
mod error;
mod geo;
mod graph;
mod ids;
mod la;
mod names;
mod noise;
mod plan;
mod risk;
mod scenario;
mod signin;
mod signin_parts;
mod stream;
mod tenant;
mod truth;
mod writer;

pub use config::{Config, Scenario};
pub use error::SimError;

use std::path::{Path, PathBuf};

/// What `generate` wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Every file written, sorted by path: (path, bytes, records).
    pub files: Vec<(PathBuf, u64, u64)>,
    /// Users with a truth row.
    pub affected: usize,
    /// Users in the tenant.
    pub users: usize,
}

impl Summary {
    /// Total bytes written.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|(_, b, _)| b).sum()
    }

    /// Total records written (truth rows included).
    pub fn records(&self) -> u64 {
        self.files.iter().map(|(_, _, r)| r).sum()
    }
}

/// Generates the data set described by `cfg` into `out_dir` (created if missing), replacing
/// the files of an earlier run. The same `cfg` always produces byte-identical files.
///
/// Writes `signins/interactive-NNNN.json`, `AADNonInteractiveUserSignInLogs.csv`,
/// `audit/PT1H.json`, `riskDetections.json`, `AADRiskyUsers.json` and `truth.json`.
pub fn generate(cfg: &Config, out_dir: &Path) -> Result<Summary, SimError> {
    cfg.validate()?;
    let start = clock::from_timestamp(cfg.start);
    let mut tenant = tenant::build(cfg, start);
    let plan = scenario::plan(cfg, &mut tenant, start);
    let tenant = tenant;

    let signins = out_dir.join("signins");
    let audit_dir = out_dir.join("audit");
    for dir in [&signins, &audit_dir] {
        std::fs::create_dir_all(dir).map_err(SimError::io(dir))?;
    }
    remove_old_pages(&signins)?;

    let mut files = vec![
        audit::write(audit_dir.join("PT1H.json"), &tenant, &plan.audits)?,
        risk::write_detections(out_dir.join("riskDetections.json"), &tenant, &plan.detections)?,
        risk::write_snapshots(out_dir.join("AADRiskyUsers.json"), &tenant, &plan.snapshots)?,
    ];
    let (signin_files, seen) = stream::write(cfg, &tenant, &plan, out_dir)?;
    files.extend(signin_files);
    files.push(truth::write(out_dir.join("truth.json"), cfg, &tenant, &plan, &seen)?);
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Summary { files, affected: plan.labels.len(), users: cfg.users })
}

/// Removes `interactive-*.json` pages of an earlier, larger run so they cannot mix with ours.
fn remove_old_pages(dir: &Path) -> Result<(), SimError> {
    let entries = std::fs::read_dir(dir).map_err(SimError::io(dir))?;
    for entry in entries {
        let path = entry.map_err(SimError::io(dir))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with("interactive-") && name.ends_with(".json") {
            std::fs::remove_file(&path).map_err(SimError::io(&path))?;
        }
    }
    Ok(())
}
