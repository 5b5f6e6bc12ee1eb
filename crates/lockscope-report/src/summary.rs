//! The short summary `lockscope investigate` prints: counts a person reads in five seconds.

use std::collections::BTreeMap;
use std::fmt::Write;

use lockscope::{Case, Verdict};

/// Renders the summary as plain text (no colour; the caller decides about terminals). Control
/// characters from the inputs (file names, reasons) are escaped, so a hostile name cannot drive
/// the terminal.
pub fn summary(case: &Case) -> String {
    render(case).lines().map(|l| crate::escape::terminal(l) + "\n").collect()
}

fn render(case: &Case) -> String {
    let mut s = String::new();
    let t = &case.totals;
    let _ = writeln!(
        s,
        "read {} files: {} records, {} events, {} ignored, {} unreadable; {} skipped files, {} failed",
        t.files, t.records, t.events, t.ignored, t.unreadable, t.skipped, t.problems
    );
    // Why files were skipped and records unreadable, by kind, over every file (the lines below
    // name each file with its first problem).
    let mut skipped: BTreeMap<String, u64> = BTreeMap::new();
    let mut unreadable: BTreeMap<&str, u64> = BTreeMap::new();
    for f in &case.files {
        if let Some(why) = &f.skipped {
            *skipped.entry(lockscope::source::reason_kind(why)).or_default() += 1;
        }
        for (kind, n) in &f.unreadable_by_reason {
            *unreadable.entry(kind).or_default() += n;
        }
    }
    let by_count = |m: Vec<(String, u64)>| {
        let mut m = m;
        m.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        m.iter().map(|(k, n)| format!("{n} {k}")).collect::<Vec<_>>().join(", ")
    };
    if !skipped.is_empty() {
        let _ = writeln!(s, "  skipped files by reason: {}", by_count(skipped.into_iter().collect()));
    }
    if !unreadable.is_empty() {
        let list = unreadable.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
        let _ = writeln!(s, "  unreadable records by reason: {}", by_count(list));
    }
    for f in case.files.iter().filter(|f| f.unreadable > 0 || f.problem.is_some() || f.skipped.is_some()) {
        if let Some(why) = &f.skipped {
            let _ = writeln!(s, "  - {}: skipped — {why}", f.file);
            continue;
        }
        let why = f
            .problem
            .clone()
            .or_else(|| f.errors.first().map(|e| format!("first at {}: {}", e.origin.pos, e.reason)))
            .unwrap_or_default();
        let _ = writeln!(s, "  ! {}: {} unreadable — {}", f.file, f.unreadable, why);
    }
    for f in case.files.iter().filter(|f| !f.notes.is_empty()) {
        for n in &f.notes {
            let _ = writeln!(s, "  - {}: {n}", f.file);
        }
    }
    for e in &case.input_errors {
        let _ = writeln!(s, "  ! {e}");
    }
    for o in &case.overflow {
        let _ = writeln!(
            s,
            "  ! {}: {} events over the cap of {} per identity dropped, from {} on (--max-events-per-user)",
            o.user, o.dropped, o.kept, o.from
        );
    }
    let _ = writeln!(
        s,
        "{} identities, {} affected users, {} incidents",
        case.identities,
        case.users.len(),
        case.incidents.len()
    );
    for inc in &case.incidents {
        let kind = serde_json::to_value(inc.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        let _ =
            writeln!(s, "  {} {kind}: {} users, {} → {}", inc.id, inc.members.len(), inc.window.start, inc.window.end);
    }
    if !case.secrets.is_empty() {
        let owned = case.secrets.iter().filter(|x| x.owner.is_some()).count();
        let _ = writeln!(
            s,
            "{} secrets or tokens written in the inputs ({owned} owned by known users): see secrets.jsonl",
            case.secrets.len()
        );
    }
    if case.users.is_empty() {
        return s;
    }
    let mut rows: BTreeMap<(&str, usize), (usize, [usize; 4])> = BTreeMap::new();
    for u in &case.users {
        let v = Verdict::ALL.iter().position(|x| *x == u.verdict).unwrap_or(0);
        let order = lockscope::RuleId::ALL.iter().position(|r| *r == u.root_cause).unwrap_or(0);
        let row = rows.entry((u.root_cause.as_str(), order)).or_default();
        row.0 += 1;
        row.1[v] += 1;
    }
    let _ = writeln!(
        s,
        "\n{:<26} {:>6} {:>15} {:>8} {:>13} {:>12}",
        "root cause", "users", "false-positive", "benign", "needs-review", "compromised"
    );
    let mut rows: Vec<_> = rows.into_iter().collect();
    rows.sort_by_key(|((_, order), _)| *order);
    for ((cause, _), (n, v)) in rows {
        let _ = writeln!(s, "{cause:<26} {n:>6} {:>15} {:>8} {:>13} {:>12}", v[0], v[1], v[2], v[3]);
    }
    s
}
