//! The affected users: one sortable, filterable table row each, and a `<details>` per user with
//! the explanation and the evidence chain.

use std::collections::BTreeMap;
use std::io::{self, Write};

use lockscope::verdict::AffectedUser;
use lockscope::{Case, Verdict};

use super::evidence_table;
use crate::escape::Html;

/// Most users given a drill-down; the table lists all, `affected-users.jsonl` details all.
const DETAILED_USERS: usize = 1000;

/// Where a verdict sorts: the order of `Verdict::ALL`, so compromised sorts last ascending.
fn verdict_rank(v: Verdict) -> usize {
    Verdict::ALL.iter().position(|x| *x == v).unwrap_or(0)
}

/// The users that get a drill-down, most urgent first (compromised, needs-review, benign,
/// false-positive), then by user: their indices in `case.users`.
fn detail_order(case: &Case) -> Vec<usize> {
    let mut order: Vec<usize> = (0..case.users.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(verdict_rank(case.users[i].verdict)), i));
    order.truncate(DETAILED_USERS);
    order
}

/// The users that have a drill-down, by name, with their index (the anchor `#u-N`).
pub(super) fn detailed(case: &Case) -> BTreeMap<&str, usize> {
    detail_order(case).into_iter().map(|i| (case.users[i].user.as_str(), i)).collect()
}

/// The users table, with the controls the script reveals.
pub(super) fn table(case: &Case, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "<section id=\"users\">\n<h2>Affected users</h2>")?;
    if case.users.is_empty() {
        return writeln!(w, "<p>No affected users.</p>\n</section>");
    }
    writeln!(w, "<p id=\"user-count\">{} users</p>", case.users.len())?;
    writeln!(
        w,
        "<div class=\"controls\" id=\"user-controls\" hidden>\n<label>Filter <input id=\"user-filter\" type=\"search\" placeholder=\"user, cause, action, incident…\" autocomplete=\"off\"></label>\n<label>Verdict <select id=\"verdict-filter\"><option value=\"\">all</option>"
    )?;
    for v in Verdict::ALL {
        write!(w, "<option>{v}</option>")?;
    }
    writeln!(w, "</select></label>\n</div>")?;
    let detailed = detailed(case);
    let th = |name: &str, class: &str| format!("<th{class}><button type=\"button\">{name}</button></th>");
    writeln!(
        w,
        "<table id=\"users-table\">\n<thead><tr>{}{}{}{}{}{}{}</tr></thead>\n<tbody>",
        th("user", ""),
        th("root cause", ""),
        th("verdict", " data-type=\"num\""),
        th("confidence", " class=\"num\" data-type=\"num\""),
        th("actions", ""),
        th("incident", ""),
        th("first seen", " data-type=\"num\""),
    )?;
    for (i, u) in case.users.iter().enumerate() {
        row(i, u, detailed.contains_key(u.user.as_str()), w)?;
    }
    writeln!(w, "</tbody>\n</table>\n</section>")
}

fn row(i: usize, u: &AffectedUser, detailed: bool, w: &mut dyn Write) -> io::Result<()> {
    write!(w, "<tr data-i=\"{i}\" data-verdict=\"{}\"><td class=\"wrap\">", Html(u.verdict))?;
    if detailed {
        write!(w, "<a href=\"#u-{i}\">{}</a>", Html(&u.user))?;
    } else {
        write!(w, "{}", Html(&u.user))?;
    }
    let actions: Vec<&str> = u.actions.iter().map(|a| a.as_str()).collect();
    write!(
        w,
        "</td><td>{}</td><td data-key=\"{}\"><span class=\"v v-{}\">{}</span></td><td class=\"num\">{:.2}</td><td>{}</td><td>",
        Html(u.root_cause),
        verdict_rank(u.verdict),
        Html(u.verdict),
        Html(u.verdict),
        u.confidence,
        Html(actions.join(", "))
    )?;
    if let Some(inc) = &u.incident {
        write!(w, "<a href=\"#{}\">{}</a>", Html(inc), Html(inc))?;
    }
    writeln!(
        w,
        "</td><td class=\"mono\" data-key=\"{}\">{}</td></tr>",
        u.first_seen.as_millisecond(),
        Html(u.first_seen)
    )
}

/// One `<details>` per user (the most urgent first): explanation, facts, evidence.
pub(super) fn details(case: &Case, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "<section id=\"evidence\">\n<h2>Evidence per user</h2>")?;
    if case.users.is_empty() {
        return writeln!(w, "<p>No affected users.</p>\n</section>");
    }
    writeln!(
        w,
        "<p class=\"note\">Most urgent first: compromised, needs review, benign, false positive. Each piece of evidence names its file and line, record or byte offset.</p>"
    )?;
    writeln!(
        w,
        "<div class=\"controls\" hidden><button type=\"button\" id=\"expand-all\">Expand all</button><button type=\"button\" id=\"collapse-all\">Collapse all</button></div>"
    )?;
    let order = detail_order(case);
    for &i in &order {
        user(i, &case.users[i], w)?;
    }
    if case.users.len() > order.len() {
        writeln!(w, "<p>{} more users: see <code>affected-users.jsonl</code>.</p>", case.users.len() - order.len())?;
    }
    writeln!(w, "</section>")
}

fn user(i: usize, u: &AffectedUser, w: &mut dyn Write) -> io::Result<()> {
    writeln!(
        w,
        "<details class=\"user\" id=\"u-{i}\">\n<summary><span class=\"v v-{}\">{}</span> {} <span class=\"why\">— {}, confidence {:.2}</span></summary>",
        Html(u.verdict),
        Html(u.verdict),
        Html(&u.user),
        Html(u.root_cause),
        u.confidence
    )?;
    writeln!(w, "<p class=\"wrap\">{}</p>\n<dl class=\"facts\">", Html(&u.explanation))?;
    let list = |items: Vec<&str>| if items.is_empty() { "—".to_string() } else { items.join(", ") };
    let facts = [
        ("object id", u.object_id.clone().unwrap_or_else(|| "—".to_string())),
        ("aliases", list(u.aliases.iter().map(String::as_str).collect())),
        ("contributing", list(u.contributing.iter().map(|c| c.as_str()).collect())),
        ("actions", list(u.actions.iter().map(|a| a.as_str()).collect())),
        ("incident", u.incident.clone().unwrap_or_else(|| "—".to_string())),
        ("seen", format!("{} → {}", u.first_seen, u.last_seen)),
        (
            "counts",
            format!(
                "{} events, {} sign-ins, {} failures, {} lockouts, {} risk blocks, {} token rejections, {} risk detections",
                u.counts.events,
                u.counts.sign_ins,
                u.counts.failures,
                u.counts.lockouts,
                u.counts.risk_blocks,
                u.counts.token_rejections,
                u.counts.risk_detections
            ),
        ),
        ("findings", list(u.findings.iter().map(String::as_str).collect())),
    ];
    for (name, value) in facts {
        writeln!(w, "<dt>{name}</dt><dd>{}</dd>", Html(value))?;
    }
    writeln!(w, "</dl>")?;
    if u.evidence.is_empty() {
        writeln!(w, "<p>No evidence records.</p>")?;
    } else {
        evidence_table(&u.evidence, w)?;
    }
    writeln!(w, "</details>")
}
