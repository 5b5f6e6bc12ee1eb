//! The sign-in stream: day by day, background records of every user merged with the scenario's,
//! rendered once and handed to the layout's sign-in writers.
//!
//! Only one day of compact specs is in memory at a time. Writers that list newest first (Graph,
//! Log Analytics, the portal) and those that deliver oldest first (Event Hub) get separate passes
//! over the days; a day's specs are a pure function of the config, so both passes see the same
//! records.

use crate::SimError;
use crate::clock::{DAY, Tick};
use crate::config::Config;
use crate::noise;
use crate::plan::{Plan, contributing_bit};
use crate::signin::View;
use crate::tenant::Tenant;
use crate::writer::FileStat;

/// Records per Graph page (Graph's maximum `$top` for sign-ins).
pub(crate) const PAGE_SIZE: u64 = 1000;

/// A writer of sign-ins in one shape.
pub(crate) trait SignInSink {
    /// Writes one sign-in.
    fn push(&mut self, v: &View<'_>) -> Result<(), SimError>;
    /// Closes the writer and returns the files it wrote.
    fn finish(self: Box<Self>) -> Result<Vec<FileStat>, SimError>;
}

/// A writer and the sign-ins it takes.
pub(crate) struct Route {
    pub sink: Box<dyn SignInSink>,
    pub interactive: bool,
    pub non_interactive: bool,
    /// Takes the records oldest first (otherwise newest first).
    pub oldest_first: bool,
}

/// Writes every sign-in through `routes`; returns the files and, per user, the lockout effects
/// they got (bits of `plan::CONTRIBUTING`).
pub(crate) fn write(
    cfg: &Config,
    tenant: &Tenant,
    plan: &Plan,
    routes: Vec<Route>,
) -> Result<(Vec<FileStat>, Vec<u8>), SimError> {
    let mut seen = vec![0u8; tenant.users.len()];
    let mut files = Vec::new();
    let (oldest, newest): (Vec<Route>, Vec<Route>) = routes.into_iter().partition(|r| r.oldest_first);
    for (mut pass, oldest_first) in [(newest, false), (oldest, true)] {
        if pass.is_empty() {
            continue;
        }
        let days: Box<dyn Iterator<Item = u32>> =
            if oldest_first { Box::new(0..cfg.days) } else { Box::new((0..cfg.days).rev()) };
        let mut day_specs = Vec::new();
        let start = plan.window.0;
        let background =
            noise::Background { tenant, disruptions: &plan.disruptions, seed: cfg.seed, per_day: cfg.noise };
        for day in days {
            let from = start + Tick::from(day) * DAY;
            let to = from + DAY;
            day_specs.clear();
            background.day(day, from, &mut day_specs);
            let lo = plan.signins.partition_point(|s| s.t < from);
            let hi = plan.signins.partition_point(|s| s.t < to);
            day_specs.extend_from_slice(&plan.signins[lo..hi]);
            // Keys are unique, so this order is total and the sort's stability does not matter.
            if oldest_first {
                day_specs.sort_unstable_by_key(|s| (s.t, s.key));
            } else {
                day_specs.sort_unstable_by_key(|s| std::cmp::Reverse((s.t, s.key)));
            }
            for s in &day_specs {
                // Both passes see the same records, so OR-ing twice changes nothing.
                if let Some(bits) = seen.get_mut(s.user as usize) {
                    *bits |= contributing_bit(s.code);
                }
                let v = View::new(tenant, s);
                let interactive = v.info.interactive;
                for route in &mut pass {
                    if (interactive && route.interactive) || (!interactive && route.non_interactive) {
                        route.sink.push(&v)?;
                    }
                }
            }
        }
        for route in pass {
            files.extend(route.sink.finish()?);
        }
    }
    Ok((files, seen))
}
