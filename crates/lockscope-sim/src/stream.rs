//! The sign-in stream: day by day, newest first (as Graph lists them), background records of
//! every user merged with the scenario's, split into Graph pages (interactive) and the Log
//! Analytics CSV (non-interactive).
//!
//! Only one day of compact specs is in memory at a time.

use crate::SimError;
use crate::clock::{DAY, Tick};
use crate::config::Config;
use crate::graph::{self, SignInRecord};
use crate::la::NonInteractiveCsv;
use crate::noise;
use crate::plan::{Plan, contributing_bit};
use crate::signin::View;
use crate::tenant::Tenant;
use crate::writer::{FileStat, Pager};
use std::path::Path;

/// Records per Graph page (Graph's maximum `$top` for sign-ins).
pub(crate) const PAGE_SIZE: u64 = 1000;

/// Writes every sign-in; returns the files and, per user, the lockout effects they got
/// (bits of `plan::CONTRIBUTING`).
pub(crate) fn write(
    cfg: &Config,
    tenant: &Tenant,
    plan: &Plan,
    out_dir: &Path,
) -> Result<(Vec<FileStat>, Vec<u8>), SimError> {
    let mut pager =
        Pager::new(&out_dir.join("signins"), "interactive", graph::PAGE_PREFIX, graph::NEXT_LINK, PAGE_SIZE);
    let mut csv = NonInteractiveCsv::create(out_dir.join("AADNonInteractiveUserSignInLogs.csv"))?;
    let mut seen = vec![0u8; tenant.users.len()];
    let mut day_specs = Vec::new();
    let start = plan.window.0;
    let background = noise::Background { tenant, disruptions: &plan.disruptions, seed: cfg.seed, per_day: cfg.noise };
    for day in (0..cfg.days).rev() {
        let from = start + Tick::from(day) * DAY;
        let to = from + DAY;
        day_specs.clear();
        background.day(day, from, &mut day_specs);
        let lo = plan.signins.partition_point(|s| s.t < from);
        let hi = plan.signins.partition_point(|s| s.t < to);
        day_specs.extend_from_slice(&plan.signins[lo..hi]);
        // Keys are unique, so this order is total and the sort's stability does not matter.
        day_specs.sort_unstable_by_key(|s| std::cmp::Reverse((s.t, s.key)));
        for s in &day_specs {
            if let Some(bits) = seen.get_mut(s.user as usize) {
                *bits |= contributing_bit(s.code);
            }
            let v = View::new(tenant, s);
            if v.info.interactive {
                pager.push(&SignInRecord::new(&v))?;
            } else {
                csv.push(&v)?;
            }
        }
    }
    let mut files = pager.finish()?;
    files.push(csv.finish()?);
    Ok((files, seen))
}
