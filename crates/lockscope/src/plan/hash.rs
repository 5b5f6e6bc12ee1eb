//! The plan's content hash.
//!
//! `hash` is `sha256:` and the hex SHA-256 of the *canonical JSON* of the object
//! `{"case": …, "excluded": […], "items": […]}` taken from the plan as written: objects with their
//! keys sorted by byte order, no whitespace, strings and numbers as `serde_json` writes them.
//! Any reader can recompute it from the parsed `plan.json` ([`hash_of_document`]), whatever its
//! key order, so a plan edited after review no longer matches its hash.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The canonical JSON of `value`: keys sorted by byte order at every level, no whitespace.
pub fn canonical_json(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write(value, &mut out);
    out
}

fn write(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
            out.push(b'{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(Value::String(key.clone()).to_string().as_bytes());
                out.push(b':');
                if let Some(v) = map.get(key) {
                    write(v, out);
                }
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(v, out);
            }
            out.push(b']');
        }
        scalar => out.extend_from_slice(scalar.to_string().as_bytes()),
    }
}

/// The hash of a plan document (a parsed `plan.json`, or any object with the keys `case`,
/// `items` and `excluded`): `sha256:` and the hex SHA-256 of the canonical JSON of those three
/// keys (a missing key counts as `null`).
pub fn hash_of_document(doc: &Value) -> String {
    let pick = |k: &str| doc.get(k).cloned().unwrap_or(Value::Null);
    let subset = serde_json::json!({ "case": pick("case"), "items": pick("items"), "excluded": pick("excluded") });
    format!("sha256:{}", sha256_hex(&canonical_json(&subset)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_and_drops_whitespace() {
        let v: Value = serde_json::from_str(r#"{ "b": [1, {"z": null, "a": "x\"y"}], "a": true }"#).expect("json");
        assert_eq!(
            String::from_utf8(canonical_json(&v)).expect("utf-8"),
            r#"{"a":true,"b":[1,{"a":"x\"y","z":null}]}"#
        );
    }

    #[test]
    fn hash_ignores_key_order_and_other_fields() {
        let a: Value =
            serde_json::from_str(r#"{"hash":"x","case":{"path":"c","manifest_sha256":"00"},"items":[],"excluded":[]}"#)
                .expect("json");
        let b: Value = serde_json::from_str(
            r#"{"excluded":[],"items":[],"case":{"manifest_sha256":"00","path":"c"},"created":"t"}"#,
        )
        .expect("json");
        assert_eq!(hash_of_document(&a), hash_of_document(&b));
        assert!(hash_of_document(&a).starts_with("sha256:") && hash_of_document(&a).len() == 71);
        let c: Value = serde_json::from_str(r#"{"case":{"path":"c","manifest_sha256":"01"},"items":[],"excluded":[]}"#)
            .expect("json");
        assert_ne!(hash_of_document(&a), hash_of_document(&c));
    }
}
