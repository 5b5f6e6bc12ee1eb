//! The Entra portal's audit-log CSV download (formats.md §3.6): the nested `directoryAudit`
//! flattened into numbered columns (`Target1ModifiedProperty1Name`, …, `AdditionalDetail6Value`),
//! values keeping their JSON-in-string encoding.

use crate::SimError;
use crate::audit;
use crate::clock::{Style, Ts};
use crate::plan::Audit;
use crate::tenant::Tenant;
use crate::writer::{CsvOut, CsvStyle, FileStat};
use std::path::PathBuf;

/// The columns before the numbered groups.
const FIXED: &[&str] = &[
    "Date (UTC)",
    "CorrelationId",
    "Service",
    "Category",
    "Activity",
    "Result",
    "ResultReason",
    "User Agent",
    "ActorType",
    "ActorDisplayName",
    "ActorObjectId",
    "ActorUserPrincipalName",
    "IPAddress",
    "ActorHomeTenantId",
    "ActorHomeTenantName",
    "ActorServicePrincipalId",
    "ActorServicePrincipalName",
];

/// Numbered groups as far as portal exports go (formats.md §3.6: up to about
/// `Target3ModifiedProperty5…` and `AdditionalDetail6…`). Every simulated row fits.
const TARGETS: usize = 3;
const PROPERTIES: usize = 5;
const DETAILS: usize = 6;

/// The full header.
pub(crate) fn header() -> Vec<String> {
    let mut h: Vec<String> = FIXED.iter().map(|s| s.to_string()).collect();
    for t in 1..=TARGETS {
        for field in ["Type", "DisplayName", "ObjectId", "UserPrincipalName"] {
            h.push(format!("Target{t}{field}"));
        }
        for m in 1..=PROPERTIES {
            for field in ["Name", "OldValue", "NewValue"] {
                h.push(format!("Target{t}ModifiedProperty{m}{field}"));
            }
        }
    }
    for d in 1..=DETAILS {
        h.push(format!("AdditionalDetail{d}Key"));
        h.push(format!("AdditionalDetail{d}Value"));
    }
    h
}

/// `success` → `Success`.
fn result_word(result: &str) -> &'static str {
    match result {
        "success" => "Success",
        "timeout" => "Timeout",
        _ => "Failure",
    }
}

/// Writes every audit row, oldest first, as the portal download.
pub(crate) fn write(path: PathBuf, tenant: &Tenant, audits: &[Audit], gzip: bool) -> Result<FileStat, SimError> {
    let header = header();
    let names: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut out = CsvOut::create(path, &names, CsvStyle { bom: true, quote_all: true, gzip })?;
    for a in audits {
        let e = audit::render(tenant, a);
        let p = &e.properties;
        out.display(Ts(a.t, Style::Ticks))?;
        out.display(p.correlation_id)?;
        out.field(p.logged_by_service)?;
        out.field(p.category)?;
        out.field(p.activity_display_name)?;
        out.field(result_word(p.result))?;
        out.field(p.result_reason)?;
        // The portal gives the user agent its own column rather than an additional detail.
        let agent = p.additional_details.iter().find(|d| d.key == "User-Agent");
        out.field(agent.map_or("", |d| d.value.as_str()))?;
        let by = &p.initiated_by;
        match (&by.user, &by.app) {
            (Some(u), _) => {
                out.field("User")?;
                out.field(u.display_name.unwrap_or(""))?;
                out.display(u.id)?;
                out.field(u.user_principal_name)?;
                out.display(u.ip_address)?;
                for _ in 0..4 {
                    out.field("")?;
                }
            }
            (None, Some(app)) => {
                out.field("Application")?;
                out.field(app.display_name)?;
                // No appId column: an application actor's object id is its service principal's.
                out.display(app.service_principal_id)?;
                for _ in 0..4 {
                    out.field("")?;
                }
                out.display(app.service_principal_id)?;
                out.field(app.service_principal_name.unwrap_or(""))?;
            }
            (None, None) => {
                // Microsoft itself (just-in-time provisioning): no type, only a name.
                out.field("")?;
                out.field(e.identity)?;
                for _ in 0..7 {
                    out.field("")?;
                }
            }
        }
        for i in 0..TARGETS {
            let Some(t) = p.target_resources.get(i) else {
                for _ in 0..4 + 3 * PROPERTIES {
                    out.field("")?;
                }
                continue;
            };
            out.field(t.kind)?;
            out.field(t.display_name.unwrap_or(""))?;
            out.display(t.id)?;
            out.field(t.user_principal_name.unwrap_or(""))?;
            for m in 0..PROPERTIES {
                match t.modified_properties.get(m) {
                    Some(prop) => {
                        out.field(prop.display_name)?;
                        out.field(prop.old_value.as_deref().unwrap_or(""))?;
                        out.field(prop.new_value.as_deref().unwrap_or(""))?;
                    }
                    None => {
                        for _ in 0..3 {
                            out.field("")?;
                        }
                    }
                }
            }
        }
        let mut details = p.additional_details.iter().filter(|d| d.key != "User-Agent");
        for _ in 0..DETAILS {
            match details.next() {
                Some(d) => {
                    out.field(d.key)?;
                    out.field(&d.value)?;
                }
                None => {
                    out.field("")?;
                    out.field("")?;
                }
            }
        }
        out.end_row()?;
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_has_the_documented_columns_and_every_row_fits() {
        let h = header();
        assert_eq!(h[..FIXED.len()], *FIXED);
        assert_eq!(h[17], "Target1Type");
        assert_eq!(h[21], "Target1ModifiedProperty1Name");
        assert_eq!(h.last().map(String::as_str), Some("AdditionalDetail6Value"));
        assert_eq!(h.len(), FIXED.len() + TARGETS * (4 + 3 * PROPERTIES) + 2 * DETAILS);
        let cfg = crate::Config::default();
        let start = crate::clock::from_timestamp(cfg.start);
        let mut tenant = crate::tenant::build(&cfg, start);
        let (plan, _, _) = crate::scenario::plan(&cfg, &mut tenant, start);
        for a in &plan.audits {
            let e = audit::render(&tenant, a);
            let p = &e.properties;
            assert!(p.target_resources.len() <= TARGETS);
            assert!(p.target_resources.iter().all(|t| t.modified_properties.len() <= PROPERTIES));
            assert!(p.additional_details.len() <= DETAILS);
        }
    }
}
