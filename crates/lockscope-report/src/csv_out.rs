//! `affected-users.csv`: the per-user table for spreadsheets.

use std::io::{self, Write};

use lockscope::Case;

use crate::escape::csv_cell;

const HEADER: &[&str] = &[
    "user",
    "object_id",
    "root_cause",
    "contributing",
    "verdict",
    "confidence",
    "first_seen",
    "last_seen",
    "actions",
    "incident",
    "failures",
    "lockouts",
    "risk_blocks",
    "token_rejections",
    "risk_detections",
    "aliases",
    "explanation",
];

/// Writes the table; every cell is neutralised against formula injection.
pub fn users(case: &Case, w: &mut dyn Write) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(HEADER)?;
    for u in &case.users {
        let join = |items: Vec<String>| items.join(";");
        let row = [
            u.user.clone(),
            u.object_id.clone().unwrap_or_default(),
            u.root_cause.to_string(),
            join(u.contributing.iter().map(ToString::to_string).collect()),
            u.verdict.to_string(),
            format!("{:.2}", u.confidence),
            u.first_seen.to_string(),
            u.last_seen.to_string(),
            join(u.actions.iter().map(ToString::to_string).collect()),
            u.incident.clone().unwrap_or_default(),
            u.counts.failures.to_string(),
            u.counts.lockouts.to_string(),
            u.counts.risk_blocks.to_string(),
            u.counts.token_rejections.to_string(),
            u.counts.risk_detections.to_string(),
            join(u.aliases.clone()),
            u.explanation.clone(),
        ];
        out.write_record(row.iter().map(|c| csv_cell(c)))?;
    }
    out.flush()
}
