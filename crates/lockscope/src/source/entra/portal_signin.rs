//! (being written)
use serde_json::{Map, Value};

/// Maps a portal sign-in CSV row to Graph `signIn` names.
pub fn canonicalise(row: &Map<String, Value>) -> Map<String, Value> {
    row.clone()
}
