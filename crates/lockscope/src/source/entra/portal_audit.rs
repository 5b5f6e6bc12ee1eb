//! (being written)
use serde_json::{Map, Value};

/// Maps a portal audit CSV row to Graph `directoryAudit` names.
pub fn canonicalise(row: &Map<String, Value>) -> Map<String, Value> {
    row.clone()
}
