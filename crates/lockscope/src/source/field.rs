//! [`Rec`]: tolerant field access over one JSON record.
//!
//! The same Entra record arrives camelCase (Graph), PascalCase (Log Analytics), with nested
//! objects or with those objects JSON-encoded into strings, with numbers as strings, and with
//! `""`, `null`, `"<null>"` or `"-"` meaning "absent". Parsers read fields through `Rec` so that
//! every one of those variations is handled in one place and the parsers read like the schema.

use std::borrow::Cow;

use jiff::Timestamp;
use serde_json::{Map, Value};

/// A read-only view of one JSON object with case-insensitive, alias-aware lookups.
#[derive(Clone, Copy)]
pub struct Rec<'a> {
    map: &'a Map<String, Value>,
}

/// Whether a JSON value means "no value" in Microsoft exports.
pub fn is_absent(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => {
            let t = s.trim();
            t.is_empty() || t == "<null>" || t == "-" || t.eq_ignore_ascii_case("null")
        }
        _ => false,
    }
}

impl<'a> Rec<'a> {
    /// A view of `v` if it is an object.
    pub fn new(v: &'a Value) -> Option<Self> {
        v.as_object().map(|map| Rec { map })
    }

    /// A view of an object map.
    pub fn from_map(map: &'a Map<String, Value>) -> Self {
        Rec { map }
    }

    /// The underlying map.
    pub fn map(&self) -> &'a Map<String, Value> {
        self.map
    }

    /// The first present (not absent) value among `names`, matched case-insensitively.
    pub fn get(&self, names: &[&str]) -> Option<&'a Value> {
        for name in names {
            if let Some(v) = self.map.get(*name)
                && !is_absent(v)
            {
                return Some(v);
            }
            // The same name in another case (`IPAddress` for `ipAddress`) may hold the value.
            let other =
                self.map.iter().find(|(k, v)| k.as_str() != *name && k.eq_ignore_ascii_case(name) && !is_absent(v));
            if let Some((_, v)) = other {
                return Some(v);
            }
        }
        None
    }

    /// Whether any of `names` is present as a key, even with an absent value.
    pub fn has(&self, names: &[&str]) -> bool {
        names.iter().any(|n| self.map.contains_key(*n) || self.map.keys().any(|k| k.eq_ignore_ascii_case(n)))
    }

    /// A string field; numbers and booleans are rendered as text. Trimmed; absent values are `None`.
    pub fn str(&self, names: &[&str]) -> Option<Cow<'a, str>> {
        match self.get(names)? {
            Value::String(s) => Some(Cow::Borrowed(s.trim())),
            Value::Number(n) => Some(Cow::Owned(n.to_string())),
            Value::Bool(b) => Some(Cow::Owned(b.to_string())),
            _ => None,
        }
    }

    /// A string field as an owned `String`.
    pub fn string(&self, names: &[&str]) -> Option<String> {
        self.str(names).map(Cow::into_owned)
    }

    /// A string field, lowercased (UPNs, GUIDs, enum values).
    pub fn lower(&self, names: &[&str]) -> Option<String> {
        // A secret written there is redacted first: lowercased, it could not be recognised.
        self.str(names).map(|s| crate::scrub::lowercase(&s))
    }

    /// An integer given as a number, a decimal string or a `0x` hex string.
    pub fn int(&self, names: &[&str]) -> Option<i64> {
        match self.get(names)? {
            Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
            Value::String(s) => parse_int(s),
            _ => None,
        }
    }

    /// A boolean given as `true`/`false`, `"True"`/`"false"`, or `1`/`0`.
    pub fn bool(&self, names: &[&str]) -> Option<bool> {
        match self.get(names)? {
            Value::Bool(b) => Some(*b),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Some(true),
                "false" | "0" | "no" => Some(false),
                _ => None,
            },
            Value::Number(n) => n.as_i64().map(|i| i != 0),
            _ => None,
        }
    }

    /// A timestamp in any shape [`crate::time::parse`] accepts.
    pub fn time(&self, names: &[&str]) -> Option<Timestamp> {
        match self.get(names)? {
            Value::String(s) => crate::time::parse(s),
            _ => None,
        }
    }

    /// A nested value that may be an object/array or a JSON-encoded string of one.
    pub fn nested(&self, names: &[&str]) -> Option<Cow<'a, Value>> {
        decode_nested(self.get(names)?)
    }

    /// A nested object, decoded from a string if needed, as an owned-or-borrowed value.
    /// Use [`Rec::new`] on the result to read it.
    pub fn object(&self, names: &[&str]) -> Option<Cow<'a, Value>> {
        self.nested(names).filter(|v| v.is_object())
    }

    /// A list of strings from an array, a JSON-encoded array, or a comma-separated string.
    pub fn strings(&self, names: &[&str]) -> Vec<String> {
        let Some(v) = self.get(names) else { return Vec::new() };
        strings_of(v)
    }
}

/// Decodes a value that may hold JSON text (`"{\"a\":1}"`) into the value it encodes.
/// Non-JSON strings are returned as they are.
pub fn decode_nested(v: &Value) -> Option<Cow<'_, Value>> {
    match v {
        Value::String(s) => {
            let t = s.trim();
            if t.starts_with('{') || t.starts_with('[') {
                serde_json::from_str::<Value>(t).ok().map(Cow::Owned)
            } else if is_absent(v) {
                None
            } else {
                Some(Cow::Borrowed(v))
            }
        }
        Value::Null => None,
        other => Some(Cow::Borrowed(other)),
    }
}

/// A list of strings from an array, a JSON-encoded array, or a comma-separated string.
pub fn strings_of(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items
            .iter()
            .filter(|i| !is_absent(i))
            .filter_map(|i| match i {
                Value::String(s) => Some(s.trim().to_string()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        Value::String(s) => {
            let t = s.trim();
            if t.starts_with('[')
                && let Ok(inner) = serde_json::from_str::<Value>(t)
            {
                return strings_of(&inner);
            }
            t.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_string).collect()
        }
        _ => Vec::new(),
    }
}

/// Parses `50140`, `"50140"`, ` 0x18 ` or `"-5"` into an integer.
pub fn parse_int(s: &str) -> Option<i64> {
    let t = s.trim();
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return i64::from_str_radix(hex, 16).ok();
    }
    t.parse::<i64>().ok().or_else(|| t.parse::<f64>().ok().filter(|f| f.fract() == 0.0).map(|f| f as i64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn case_insensitive_and_absent_values() {
        let v = json!({"UserPrincipalName": "A@B.com", "ipAddress": "<null>", "IPAddress": "1.2.3.4", "ResultType": "50140", "n": 7});
        let r = Rec::new(&v).expect("object");
        assert_eq!(r.lower(&["userPrincipalName"]).as_deref(), Some("a@b.com"));
        assert_eq!(r.str(&["ipAddress"]).as_deref(), Some("1.2.3.4"));
        assert_eq!(r.int(&["resultType"]), Some(50140));
        assert_eq!(r.str(&["n"]).as_deref(), Some("7"));
        assert!(r.get(&["missing"]).is_none());
    }

    #[test]
    fn nested_json_strings_are_decoded() {
        let v = json!({"Status": "{\"errorCode\":53003}", "DeviceDetail": {"os": "x"}, "Types": "[\"a\",\"b\"]", "csv": "a, b"});
        let r = Rec::new(&v).expect("object");
        let status = r.object(&["status"]).expect("status");
        assert_eq!(Rec::new(&status).and_then(|s| s.int(&["errorCode"])), Some(53003));
        assert!(r.object(&["deviceDetail"]).is_some());
        assert_eq!(r.strings(&["types"]), vec!["a", "b"]);
        assert_eq!(r.strings(&["csv"]), vec!["a", "b"]);
    }

    #[test]
    fn ints_in_every_shape() {
        assert_eq!(parse_int("0x18"), Some(24));
        assert_eq!(parse_int(" 50053 "), Some(50053));
        assert_eq!(parse_int("4.0"), Some(4));
        assert_eq!(parse_int("abc"), None);
    }
}
