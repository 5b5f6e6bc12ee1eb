//! CSV exports read as JSON-like rows.
//!
//! Portal downloads and Log Analytics exports are CSV with quirks: a UTF-8 BOM, headers with
//! trailing or doubled spaces, duplicate columns (the portal writes `Incoming token type` twice),
//! ragged rows, and cells a spreadsheet prefixed with `'`. Rows are handed to the parsers as maps
//! from the cleaned header name to a string value, so CSV and JSON share one code path.

use std::io::Read;

use serde_json::{Map, Value};

use crate::event::Position;

/// One CSV row: its position (the physical line where it starts) and its cells, or why not.
pub type Row = (Position, Result<Map<String, Value>, String>);

/// Cleans a header cell: BOM and surrounding whitespace removed, inner runs collapsed, and the
/// ` [UTC]` suffix the Log Analytics portal adds to time columns (`TimeGenerated [UTC]`) dropped.
pub fn clean_header(h: &str) -> String {
    let joined = h.trim().trim_start_matches('\u{feff}').split_whitespace().collect::<Vec<_>>().join(" ");
    match joined.strip_suffix(" [UTC]") {
        Some(base) => base.to_string(),
        None => joined,
    }
}

/// Reads the header row of a CSV stream. Returns the reader positioned after it.
pub fn open<R: Read>(reader: R) -> Result<(csv::Reader<R>, Vec<String>), String> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(reader);
    let headers = match rdr.byte_headers() {
        Ok(h) => h.iter().map(|c| clean_header(&String::from_utf8_lossy(c))).collect(),
        Err(e) => return Err(format!("unreadable CSV header: {e}")),
    };
    Ok((rdr, headers))
}

/// Iterates the data rows of `rdr`, keyed by `headers`.
pub fn rows<R: Read>(rdr: csv::Reader<R>, headers: Vec<String>) -> impl Iterator<Item = Row> {
    let mut records = rdr.into_byte_records();
    std::iter::from_fn(move || {
        let rec = records.next()?;
        Some(match rec {
            Ok(rec) => {
                let line = rec.position().map_or(0, csv::Position::line);
                (Position::Line(line), to_map(&headers, &rec))
            }
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                (Position::Line(line), Err(format!("unreadable CSV row: {e}")))
            }
        })
    })
}

fn to_map(headers: &[String], rec: &csv::ByteRecord) -> Result<Map<String, Value>, String> {
    if rec.len() > headers.len() && rec.iter().skip(headers.len()).any(|c| !c.is_empty()) {
        return Err(format!("row has {} cells but the header has {}", rec.len(), headers.len()));
    }
    let mut map = Map::new();
    for (name, cell) in headers.iter().zip(rec.iter()) {
        let text = String::from_utf8_lossy(cell);
        // Spreadsheets protect cells starting with `-`/`+`/`=` by a leading apostrophe.
        let text = text.strip_prefix('\'').unwrap_or(&text).trim();
        match map.get(name) {
            // A duplicate column keeps the first non-empty value.
            Some(Value::String(prev)) if !prev.is_empty() => {}
            _ => {
                map.insert(name.clone(), Value::String(text.to_string()));
            }
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_duplicates_spaces_and_apostrophes() {
        let data = "\u{feff}\"Date (UTC)\",\"Application ID \",\"Autonomous system  number\",\"Incoming token type\",\"Incoming token type\",\"Unique token identifier\"\n\
                    2025-04-19T05:01:07Z,abc,4134,,refreshToken,'-xMFjTVvJPE2OChJx_YE-A\n\
                    \"2025-04-19T05:02:07Z\",\"multi\nline\",1,none,refreshToken,x\n";
        let (rdr, headers) = open(data.as_bytes()).expect("header");
        assert_eq!(
            headers,
            [
                "Date (UTC)",
                "Application ID",
                "Autonomous system number",
                "Incoming token type",
                "Incoming token type",
                "Unique token identifier"
            ]
        );
        let rows: Vec<_> = rows(rdr, headers).collect();
        let (pos, first) = &rows[0];
        let first = first.as_ref().expect("row");
        assert_eq!(*pos, Position::Line(2));
        assert_eq!(first["Incoming token type"], "refreshToken");
        assert_eq!(first["Unique token identifier"], "-xMFjTVvJPE2OChJx_YE-A");
        let second = rows[1].1.as_ref().expect("row");
        assert_eq!(second["Application ID"], "multi\nline");
        assert_eq!(second["Incoming token type"], "none");
    }

    #[test]
    fn log_analytics_time_suffix_is_dropped() {
        assert_eq!(clean_header("TimeGenerated [UTC]"), "TimeGenerated");
        assert_eq!(clean_header(" \u{feff}Autonomous system  number "), "Autonomous system number");
    }

    #[test]
    fn ragged_rows_are_reported_not_fatal() {
        let data = "a,b\n1,2\n1,2,3\n4\n5,6\n";
        let (rdr, headers) = open(data.as_bytes()).expect("header");
        let got: Vec<_> = rows(rdr, headers).map(|(p, r)| (p, r.is_ok())).collect();
        assert_eq!(
            got,
            [
                (Position::Line(2), true),
                (Position::Line(3), false),
                (Position::Line(4), true),
                (Position::Line(5), true)
            ]
        );
    }
}
