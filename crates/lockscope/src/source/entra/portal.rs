//! CSV exports: which family and which dialect a header row belongs to.
//!
//! Two dialects exist. Log Analytics exports use the table's column names (PascalCase, which
//! [`Rec`](crate::source::field::Rec) matches case-insensitively against the Graph names) and
//! JSON text in nested columns. The Entra portal download uses human column names, which are
//! mapped to Graph names before parsing (see `portal_signin` and `portal_audit`).

use serde_json::{Map, Value};

use super::{Family, portal_audit, portal_signin};

/// How a CSV file's header was classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvKind {
    /// Log Analytics export: column names are the table's; nested columns are JSON text.
    LogAnalytics(Family),
    /// Entra portal download: human column names, mapped to Graph names by [`canonicalise`].
    Portal(Family),
}

/// Normalises a header for comparison: trimmed, inner whitespace collapsed, lowercase.
pub fn normalise_header(h: &str) -> String {
    let mut out = String::with_capacity(h.len());
    for word in h.trim_start_matches('\u{feff}').split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&word.to_lowercase());
    }
    out
}

/// Classifies a header row (names as found; normalised here).
pub fn classify_headers(headers: &[String]) -> Option<CsvKind> {
    let names: Vec<String> = headers.iter().map(|h| normalise_header(h)).collect();
    let has = |n: &str| names.iter().any(|h| h == n);
    // Portal downloads.
    if has("date (utc)") && has("request id") && (has("sign-in error code") || has("status")) {
        return Some(CsvKind::Portal(Family::SignIn));
    }
    if has("date (utc)") && has("activity") && (has("correlationid") || has("category")) {
        return Some(CsvKind::Portal(Family::Audit));
    }
    // Log Analytics exports (column names of the tables).
    if has("riskeventtype") {
        return Some(CsvKind::LogAnalytics(Family::RiskDetection));
    }
    if has("activitydisplayname") {
        return Some(CsvKind::LogAnalytics(Family::Audit));
    }
    if has("risklastupdateddatetime") {
        return Some(CsvKind::LogAnalytics(Family::RiskyUser));
    }
    if has("operationnamevalue") || (has("claims") && has("caller")) {
        return Some(CsvKind::LogAnalytics(Family::AzureActivity));
    }
    if (has("resulttype") || has("status")) && (has("userprincipalname") || has("userid")) && has("appid") {
        return Some(CsvKind::LogAnalytics(Family::SignIn));
    }
    None
}

/// Maps a portal CSV row to a Graph-shaped record the family parser reads.
pub fn canonicalise(family: Family, row: &Map<String, Value>) -> Map<String, Value> {
    match family {
        Family::SignIn => portal_signin::canonicalise(row),
        Family::Audit => portal_audit::canonicalise(row),
        _ => row.clone(),
    }
}
