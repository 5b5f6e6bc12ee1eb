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
mod layout;
mod leaks;
mod linux;
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
mod windows;
mod writer;

pub use config::{Config, Scenario};
pub use error::SimError;
pub use layout::Layout;

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
/// the files of an earlier run (of any layout). The same `cfg` always produces byte-identical
/// files, and every layout of one config holds the same records and the same `truth.json`.
///
/// With [`Layout::Graph`] it writes `signins/interactive-NNNN.json`,
/// `AADNonInteractiveUserSignInLogs.csv`, `audit/PT1H.json`, `riskDetections.json`,
/// `AADRiskyUsers.json` and `truth.json`; the crate README lists the files of every layout.
/// Scenarios with a Windows domain ([`Scenario::writes_windows`]) also write
/// `windows/<HOST>-Security.xml` (and `-System.xml`) per logging machine and `identities.csv`;
/// the Windows-only ones write no Entra files. With [`Config::leaked_tokens`] above 0, scenarios
/// with Entra files also write `app/api-gateway.log`, an application log holding that many
/// users' access tokens (listed under `leaked_tokens` in `truth.json`). The Linux scenarios ([`Scenario::writes_linux`])
/// write only `linux/<host>/auth.log`, `secure` or `journal.json` (and `auth.log.1.gz`) per host
/// of the fleet, and `truth.json`.
pub fn generate(cfg: &Config, out_dir: &Path) -> Result<Summary, SimError> {
    cfg.validate()?;
    let start = clock::from_timestamp(cfg.start);
    let mut tenant = tenant::build(cfg, start);
    let (mut plan, ad, lin) = scenario::plan(cfg, &mut tenant, start);
    let tenant = tenant;
    let taken: Vec<u32> = ad.as_ref().map(|ad| ad.labels.iter().map(|l| l.user).collect()).unwrap_or_default();
    let mut leaks = leaks::plan(cfg, &tenant, &mut plan, &taken);
    let plan = plan;

    std::fs::create_dir_all(out_dir).map_err(SimError::io(out_dir))?;
    layout::clean(out_dir)?;
    let mut files = Vec::new();
    let mut seen = vec![0u8; tenant.users.len()];
    if cfg.scenario.writes_entra() {
        let forms = cfg.layout.forms();
        files = layout::write_others(&forms, out_dir, &tenant, &plan)?;
        let routes = layout::signin_routes(&forms, out_dir, plan.window)?;
        let (signin_files, bits) = stream::write(cfg, &tenant, &plan, routes)?;
        files.extend(signin_files);
        seen = bits;
        if let Some(leaks) = &mut leaks {
            files.push(leaks::write(out_dir, cfg, &tenant, plan.window, leaks)?);
        }
    }
    if let Some(ad) = &ad {
        files.extend(windows::write(cfg, &tenant, ad, out_dir)?);
        files.push(windows::write_identities(out_dir.join(windows::IDENTITIES), &tenant, &ad.domain)?);
    }
    if let Some(lin) = &lin {
        files.extend(linux::write(cfg, lin, out_dir)?);
    }
    let others = truth::Others { ad: ad.as_ref(), linux: lin.as_ref(), leaks: leaks.as_deref() };
    files.push(truth::write(out_dir.join("truth.json"), cfg, &tenant, &plan, others, &seen)?);
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let affected =
        plan.labels.len() + ad.as_ref().map_or(0, |ad| ad.labels.len()) + lin.as_ref().map_or(0, |l| l.labels.len());
    Ok(Summary { files, affected, users: cfg.users })
}
