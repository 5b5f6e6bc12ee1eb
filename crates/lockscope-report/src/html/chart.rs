//! The timeline chart of `report.html`: events per minute, hour or day, stacked by family of
//! kinds, as inline SVG written here (no script draws it).
//!
//! The top panel stacks every family on one scale, so a burst of any kind stands out against the
//! usual traffic. Below it each family has a lane on its own scale, so a mass revocation shows as
//! one tall bar in the token-invalidation lane even when sign-ins dwarf it. Incident windows are
//! shaded across both.

use std::io::{self, Write};

use jiff::Timestamp;
use lockscope::event::Failure;
use lockscope::{Case, Event, Kind, Outcome};

use crate::escape::Html;

/// The families, in stacking order (bottom first); `fN` is the CSS class of family `N`.
const FAMILIES: [&str; 6] =
    ["sign-in failures", "sign-in successes", "token invalidations", "risk detections", "lockouts", "other"];

/// One event of each family, for counts of 1.
const FAMILY_ONE: [&str; 6] =
    ["sign-in failure", "sign-in success", "token invalidation", "risk detection", "lockout", "other event"];

/// `n` events of family `f`, in words: `1 lockout`, `3 lockouts`.
fn count_of(n: u32, f: usize) -> String {
    if n == 1 { format!("1 {}", FAMILY_ONE[f]) } else { format!("{n} {}", FAMILIES[f]) }
}

/// Most buckets before the next coarser unit is used.
const MAX_BUCKETS: i64 = 480;
/// Bucket sizes tried in order, with their names.
const UNITS: [(i64, &str); 4] = [(60, "minute"), (3_600, "hour"), (86_400, "day"), (604_800, "week")];
/// Spacing between time ticks tried in order, in seconds.
const TICKS: [i64; 16] = [
    300, 600, 900, 1_800, 3_600, 7_200, 10_800, 21_600, 43_200, 86_400, 172_800, 604_800, 1_209_600, 2_592_000,
    7_776_000, 31_536_000,
];

// Geometry of the SVG, in its own units.
const WIDTH: f64 = 1000.0;
const LEFT: f64 = 132.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 32.0;
const STACK_HEIGHT: f64 = 170.0;
const AXIS: f64 = 22.0;
const LANE: f64 = 34.0;

/// The family of an event: its index in [`FAMILIES`]. Sign-ins refused because the account is
/// locked count as lockouts, with the lockout events themselves (4740, pam_faillock).
fn family(e: &Event) -> usize {
    match e.kind {
        Kind::Lockout => 4,
        Kind::TokenInvalidation => 2,
        Kind::RiskDetection => 3,
        k if k.is_auth_attempt() || k == Kind::ServiceSignIn => match e.outcome {
            Outcome::Failure if e.failure == Some(Failure::Locked) => 4,
            Outcome::Failure => 0,
            Outcome::Success => 1,
            Outcome::Interrupted | Outcome::Info => 5,
        },
        _ => 5,
    }
}

/// Events counted per bucket and family.
struct Buckets {
    /// Start of the first bucket, in Unix seconds.
    start: i64,
    /// Bucket length in seconds.
    size: i64,
    /// What one bucket is called (`hour`, or `3 weeks` for very long spans).
    unit: String,
    /// Events per bucket, by family.
    counts: Vec<[u32; 6]>,
    /// Events outside the drawn range (stragglers far from the rest).
    outside: usize,
}

/// The range to draw, in Unix seconds: every event but stragglers, the at most 1 in 200 at each
/// end that lie further from the bulk of the events than the bulk spans (such as a months-old
/// risk snapshot), which would squash the chart. The `keep` ranges (incident windows) are always
/// drawn.
fn range(sorted: &[i64], keep: &[(i64, i64)]) -> Option<(i64, i64)> {
    let trim = sorted.len() / 200;
    let (bulk_first, bulk_last) = (*sorted.get(trim)?, *sorted.get(sorted.len() - 1 - trim)?);
    let reach = (bulk_last - bulk_first).max(3_600);
    let mut lo = sorted[..=trim].iter().copied().find(|&t| bulk_first - t <= reach).unwrap_or(bulk_first);
    let mut hi =
        sorted[sorted.len() - 1 - trim..].iter().copied().rfind(|&t| t - bulk_last <= reach).unwrap_or(bulk_last);
    for &(a, b) in keep {
        lo = lo.min(a);
        hi = hi.max(b);
    }
    Some((lo, hi))
}

impl Buckets {
    /// Counts `events` over the range [`range`] picks.
    fn of(events: &[Event], keep: &[(i64, i64)]) -> Option<Buckets> {
        let mut times: Vec<i64> = events.iter().map(|e| e.time.as_second()).collect();
        times.sort_unstable();
        let (first, last) = range(&times, keep)?;
        let fits = |size: i64| last.div_euclid(size) - first.div_euclid(size) < MAX_BUCKETS;
        let (size, unit) = match UNITS.iter().find(|(size, _)| fits(*size)) {
            Some(&(size, unit)) => (size, unit.to_string()),
            None => {
                let weeks = (last - first) / ((MAX_BUCKETS - 1) * 604_800) + 1;
                (weeks * 604_800, format!("{weeks} weeks"))
            }
        };
        let start = first.div_euclid(size) * size;
        let n = (last.div_euclid(size) - first.div_euclid(size) + 1) as usize;
        let mut counts = vec![[0u32; 6]; n];
        let mut outside = 0;
        for e in events {
            let t = e.time.as_second();
            match counts.get_mut(((t - start).div_euclid(size)) as usize) {
                Some(row) if t >= start => row[family(e)] += 1,
                _ => outside += 1,
            }
        }
        Some(Buckets { start, size, unit, counts, outside })
    }

    fn end(&self) -> i64 {
        self.start + self.size * self.counts.len() as i64
    }

    /// The x coordinate of a time.
    fn x(&self, secs: i64) -> f64 {
        let span = (self.end() - self.start) as f64;
        LEFT + (WIDTH - LEFT - RIGHT) * ((secs - self.start) as f64 / span).clamp(0.0, 1.0)
    }

    /// The start time of bucket `i`, formatted.
    fn label(&self, i: usize, format: &str) -> String {
        let secs = self.start + self.size * i as i64;
        Timestamp::from_second(secs).map(|t| t.strftime(format).to_string()).unwrap_or_default()
    }
}

/// A time formatted for tick labels and tooltips.
fn format_for(size: i64) -> &'static str {
    if size >= 86_400 { "%Y-%m-%d" } else { "%Y-%m-%d %H:%M" }
}

/// Writes the chart section body: the SVG figure and its legend.
pub(super) fn timeline(case: &Case, w: &mut dyn Write) -> io::Result<()> {
    let windows: Vec<(i64, i64)> =
        case.incidents.iter().map(|i| (i.window.start.as_second(), i.window.end.as_second())).collect();
    let Some(b) = Buckets::of(&case.events, &windows) else {
        return writeln!(w, "<p>No events were read.</p>");
    };
    let lanes_top = TOP + STACK_HEIGHT + AXIS;
    let height = lanes_top + LANE * FAMILIES.len() as f64 + 4.0;
    let bottom = height - 4.0;
    let slot = (WIDTH - LEFT - RIGHT) / b.counts.len() as f64;
    let bar = if slot > 3.0 { slot - 1.0 } else { slot.max(0.5) };
    let fmt = format_for(b.size);
    let totals: Vec<u32> = b.counts.iter().map(|c| c.iter().sum()).collect();
    let max = totals.iter().copied().max().unwrap_or(0).max(1);

    writeln!(w, "<figure class=\"chart\">")?;
    writeln!(
        w,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height:.0}\" role=\"img\" aria-labelledby=\"chart-caption\">"
    )?;
    // Incident windows, under everything else, labelled in two rows above the panel.
    let mut label_ends = [f64::MIN; 2];
    for inc in &case.incidents {
        let x0 = b.x(inc.window.start.as_second());
        let x1 = b.x(inc.window.end.as_second() + 1).max(x0 + 2.0);
        let label = format!("{} {}", inc.id, kind_name(inc));
        let width = 6.2 * label.chars().count() as f64;
        let x = x0.min(WIDTH - RIGHT - width);
        let row = label_ends.iter().position(|&end| end < x).unwrap_or(1);
        label_ends[row] = x + width + 8.0;
        writeln!(
            w,
            "<rect class=\"band\" x=\"{x0:.1}\" y=\"{TOP:.1}\" width=\"{:.1}\" height=\"{:.1}\"><title>{}: {} users, {} → {}</title></rect>",
            x1 - x0,
            bottom - TOP,
            Html(&label),
            inc.members.len(),
            Html(inc.window.start),
            Html(inc.window.end),
        )?;
        writeln!(
            w,
            "<text class=\"band-label\" x=\"{x:.1}\" y=\"{:.1}\">{}</text>",
            TOP - 20.0 + 13.0 * row as f64,
            Html(&label)
        )?;
    }
    // Time ticks: grid lines over the whole height, labels under the stacked panel.
    let span = b.end() - b.start;
    let step = TICKS.iter().copied().find(|&t| t >= b.size && span / t <= 8).unwrap_or(span.max(1));
    let mut tick = (b.start + step - 1).div_euclid(step) * step;
    while tick < b.end() {
        let x = b.x(tick);
        let label = Timestamp::from_second(tick).map(|t| t.strftime(fmt).to_string()).unwrap_or_default();
        writeln!(w, "<line class=\"grid\" x1=\"{x:.1}\" y1=\"{TOP:.1}\" x2=\"{x:.1}\" y2=\"{bottom:.1}\"/>")?;
        // A label too close to the right edge ends at the tick instead of centring on it.
        let anchor = if x + 3.2 * label.len() as f64 > WIDTH { "end" } else { "middle" };
        writeln!(
            w,
            "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
            TOP + STACK_HEIGHT + 15.0,
            Html(label)
        )?;
        tick += step;
    }
    // The stacked panel, with its scale.
    let base = TOP + STACK_HEIGHT;
    writeln!(w, "<line class=\"grid\" x1=\"{LEFT}\" y1=\"{TOP:.1}\" x2=\"{:.1}\" y2=\"{TOP:.1}\"/>", WIDTH - RIGHT)?;
    writeln!(w, "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{max}</text>", LEFT - 6.0, TOP + 4.0)?;
    writeln!(w, "<text x=\"{:.1}\" y=\"{base:.1}\" text-anchor=\"end\">0</text>", LEFT - 6.0)?;
    writeln!(
        w,
        "<text class=\"lane-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">all events per {}</text>",
        LEFT - 6.0,
        TOP + STACK_HEIGHT / 2.0,
        Html(&b.unit)
    )?;
    for (i, counts) in b.counts.iter().enumerate() {
        let x = LEFT + slot * i as f64;
        let mut y = base;
        for (f, &c) in counts.iter().enumerate().filter(|(_, c)| **c > 0) {
            let h = f64::from(c) / f64::from(max) * STACK_HEIGHT;
            y -= h;
            writeln!(w, "<rect class=\"f{f}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\"/>")?;
        }
        if totals[i] > 0 {
            let parts: Vec<String> =
                counts.iter().enumerate().filter(|(_, c)| **c > 0).map(|(f, c)| count_of(*c, f)).collect();
            writeln!(
                w,
                "<rect class=\"hit\" x=\"{x:.1}\" y=\"{TOP:.1}\" width=\"{slot:.1}\" height=\"{STACK_HEIGHT:.1}\"><title>{} UTC: {} event{} ({})</title></rect>",
                Html(b.label(i, fmt)),
                totals[i],
                if totals[i] == 1 { "" } else { "s" },
                Html(parts.join(", "))
            )?;
        }
    }
    writeln!(w, "<line class=\"axis\" x1=\"{LEFT}\" y1=\"{base:.1}\" x2=\"{:.1}\" y2=\"{base:.1}\"/>", WIDTH - RIGHT)?;
    // One lane per family, each on its own scale.
    for (f, name) in FAMILIES.iter().enumerate() {
        let lane_base = lanes_top + LANE * (f + 1) as f64 - 4.0;
        let peak = b.counts.iter().map(|c| c[f]).max().unwrap_or(0);
        writeln!(
            w,
            "<text class=\"lane-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT - 6.0,
            lane_base - 12.0,
            Html(name)
        )?;
        writeln!(
            w,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">peak {peak}</text>",
            LEFT - 6.0,
            lane_base - 1.0
        )?;
        writeln!(
            w,
            "<line class=\"axis\" x1=\"{LEFT}\" y1=\"{lane_base:.1}\" x2=\"{:.1}\" y2=\"{lane_base:.1}\"/>",
            WIDTH - RIGHT
        )?;
        for (i, counts) in b.counts.iter().enumerate().filter(|(_, c)| c[f] > 0) {
            let h = f64::from(counts[f]) / f64::from(peak) * (LANE - 8.0);
            writeln!(
                w,
                "<rect class=\"f{f}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\"><title>{} UTC: {}</title></rect>",
                LEFT + slot * i as f64,
                lane_base - h,
                Html(b.label(i, fmt)),
                Html(count_of(counts[f], f))
            )?;
        }
    }
    writeln!(w, "</svg>")?;
    write!(
        w,
        "<figcaption id=\"chart-caption\">Events per {} (UTC), {} to {}: stacked on one scale at the top; below, each family on its own scale (its peak at the left)",
        Html(&b.unit),
        Html(b.label(0, fmt)),
        Html(b.label(b.counts.len() - 1, fmt)),
    )?;
    if !case.incidents.is_empty() {
        write!(w, ". Shaded: incident windows")?;
    }
    if b.outside > 0 {
        let (n, s) = (b.outside, if b.outside == 1 { "" } else { "s" });
        write!(
            w,
            ". Not drawn: {n} event{s} far from the rest (all are in <code>events.jsonl</code> with <code>--events</code>)"
        )?;
    }
    writeln!(w, ".</figcaption>")?;
    writeln!(w, "<ul class=\"legend\">")?;
    for (f, name) in FAMILIES.iter().enumerate() {
        let total: u64 = b.counts.iter().map(|c| u64::from(c[f])).sum();
        let peak = b.counts.iter().enumerate().max_by_key(|(i, c)| (c[f], std::cmp::Reverse(*i)));
        write!(w, "<li><i class=\"f{f}\"></i>{}: {total}", Html(name))?;
        if let Some((i, c)) = peak.filter(|(_, c)| c[f] > 0) {
            write!(w, ", peak {} per {} at {}", c[f], Html(&b.unit), Html(b.label(i, fmt)))?;
        }
        writeln!(w, "</li>")?;
    }
    writeln!(w, "</ul>\n</figure>")
}

/// The incident kind's stable name.
pub(super) fn kind_name(inc: &lockscope::incident::Incident) -> String {
    serde_json::to_value(inc.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_follow_the_span() {
        let at = |s: i64| Timestamp::from_second(1_745_000_000 + s).expect("time");
        let origin = lockscope::Origin::new(&"f".into(), lockscope::Position::Line(1));
        let ev = |s: i64| Event::new(at(s), Kind::TokenInvalidation, origin.clone());
        let b = Buckets::of(&[ev(0), ev(3 * 3_600)], &[]).expect("buckets");
        assert_eq!((b.size, b.counts.len()), (60, 181));
        let b = Buckets::of(&[ev(0), ev(3 * 86_400)], &[]).expect("buckets");
        assert_eq!((b.size, b.unit.as_str()), (3_600, "hour"));
        assert_eq!(b.counts.iter().map(|c| c[2]).sum::<u32>(), 2);
        let b = Buckets::of(&[ev(0), ev(400 * 86_400)], &[]).expect("buckets");
        assert_eq!(b.unit, "day");
        let b = Buckets::of(&[ev(-(1 << 37)), ev(0)], &[]).expect("buckets");
        assert!(b.counts.len() <= MAX_BUCKETS as usize, "{}", b.counts.len());
        assert!(Buckets::of(&[], &[]).is_none());
    }

    #[test]
    fn a_few_stragglers_do_not_stretch_the_chart() {
        let at = |s: i64| Timestamp::from_second(1_745_000_000 + s).expect("time");
        let origin = lockscope::Origin::new(&"f".into(), lockscope::Position::Line(1));
        let ev = |s: i64| Event::new(at(s), Kind::SignIn, origin.clone());
        // 400 events over two days, and one snapshot a month before.
        let mut events: Vec<Event> = (0..400).map(|i| ev(i * 432)).collect();
        events.push(ev(-30 * 86_400));
        let b = Buckets::of(&events, &[]).expect("buckets");
        assert_eq!((b.unit.as_str(), b.outside), ("hour", 1));
        // An incident window is always drawn, even far out.
        let b = Buckets::of(&events, &[(-30 * 86_400 + 1_745_000_000, 1_745_000_000)]).expect("buckets");
        assert_eq!((b.unit.as_str(), b.outside), ("day", 0));
        // Few events: all drawn.
        let b = Buckets::of(&[ev(-30 * 86_400), ev(0), ev(60)], &[]).expect("buckets");
        assert_eq!(b.outside, 0);
    }
}
