//! The short summary `lockscope investigate` prints: counts a person reads in five seconds.

use std::collections::BTreeMap;
use std::fmt::Write;

use lockscope::{Case, Verdict};

/// Renders the summary as plain text (no colour; the caller decides about terminals).
pub fn summary(case: &Case) -> String {
    let mut s = String::new();
    let t = &case.totals;
    let _ = writeln!(
        s,
        "read {} files: {} records, {} events, {} unreadable, {} skipped files",
        t.files, t.records, t.events, t.unreadable, t.skipped
    );
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
    let _ = writeln!(
        s,
        "{} identities, {} affected users, {} incidents",
        case.identities,
        case.users.len(),
        case.incidents.len()
    );
    if !case.secrets.is_empty() {
        let owned = case.secrets.iter().filter(|x| x.owner.is_some()).count();
        let _ = writeln!(
            s,
            "{} secrets or tokens written in the inputs ({owned} owned by known users): see secrets.jsonl",
            case.secrets.len()
        );
    }
    for inc in &case.incidents {
        let kind = serde_json::to_value(inc.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        let _ =
            writeln!(s, "  {} {kind}: {} users, {} → {}", inc.id, inc.members.len(), inc.window.start, inc.window.end);
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
