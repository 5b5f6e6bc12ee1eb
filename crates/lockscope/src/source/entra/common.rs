//! Small pieces shared by the audit, risk and activity-log parsers: the empty event, lenient
//! time fallbacks, IP clean-up and test helpers.

use std::net::IpAddr;

use jiff::Timestamp;

use crate::event::{Event, Kind, Origin, Principal};
use crate::source::field::Rec;

/// An event with only its time, kind and origin set; parsers fill in what their record carries.
pub(super) fn event(time: Timestamp, kind: Kind, origin: Origin) -> Event {
    Event::new(time, kind, origin)
}

/// The first of `names` that holds a parseable time. Unlike [`Rec::time`], a present but
/// unparseable field does not hide the next one (a bad `activityDateTime` falls back to
/// `TimeGenerated`).
pub(super) fn time_of(rec: Rec<'_>, names: &[&str]) -> Option<Timestamp> {
    names.iter().find_map(|name| rec.time(&[*name]))
}

/// An IP address as text, or `None` for placeholders (`<null>`, `[redacted]`, `0.0.0.0`) and
/// anything else that is not an address. IPv4-mapped IPv6 (`::ffff:1.2.3.4`) becomes IPv4.
pub(super) fn ip(text: &str) -> Option<String> {
    let t = text.trim().trim_start_matches('[').trim_end_matches(']');
    let addr: IpAddr = t.parse().ok()?;
    let addr = addr.to_canonical();
    (!addr.is_unspecified()).then(|| addr.to_string())
}

/// The first field among `names` of `rec` that is a usable IP address.
pub(super) fn ip_of(rec: Rec<'_>, names: &[&str]) -> Option<String> {
    names.iter().find_map(|name| rec.str(&[*name]).and_then(|s| ip(&s)))
}

/// A principal from a login name, an object id and a display name; `None` when all are absent.
/// Names and ids are lowercased (UPNs and GUIDs compare case-insensitively).
pub(super) fn principal(name: Option<String>, id: Option<String>, display: Option<String>) -> Option<Principal> {
    let lower = |s: String| crate::scrub::lowercase(&s);
    let p = Principal { name: name.map(lower), id: id.map(lower), display };
    (!p.is_empty() || p.display.is_some()).then_some(p)
}

#[cfg(test)]
pub(super) mod testing {
    //! Helpers for the parser tests: run records through the public dispatcher and render the
    //! results as JSON for snapshots.

    use std::sync::Arc;

    use serde_json::{Value, json};

    use crate::event::{Event, Origin, Position};
    use crate::source::entra::{Parsed, parse_json};

    /// An origin at `line` of `file`.
    pub fn origin(file: &str, line: u64) -> Origin {
        Origin::new(&Arc::from(file), Position::Line(line))
    }

    /// Parses one record through [`parse_json`]; panics (test only) on a skip or an error.
    pub fn event(value: &Value, file: &str, line: u64) -> Event {
        match parse_json(value, origin(file, line)) {
            Ok(Parsed::Event(ev)) => *ev,
            other => panic!("{file}:{line}: expected an event, got {other:?}"),
        }
    }

    /// Parses every non-empty line of `text` (JSON Lines) and renders each result as JSON:
    /// the event, or `{"error": …}` / `{"skip": …}`.
    pub fn lines(text: &str, file: &str) -> Vec<Value> {
        text.split('\n')
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                let value: Value = serde_json::from_str(l.trim()).expect("fixture line is JSON");
                render(parse_json(&value, origin(file, i as u64 + 1)))
            })
            .collect()
    }

    /// One parse result as JSON.
    pub fn render(result: Result<Parsed, String>) -> Value {
        match result {
            Ok(Parsed::Event(ev)) => serde_json::to_value(&*ev).expect("events serialise"),
            Ok(Parsed::Skip(why)) => json!({ "skip": why }),
            Err(reason) => json!({ "error": reason }),
        }
    }

    /// The text of a fixture file under `fixtures/`.
    pub fn fixture(rel: &str) -> String {
        std::fs::read_to_string(crate::testutil::fixture(rel)).expect("fixture exists")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_keeps_addresses_and_drops_placeholders() {
        assert_eq!(ip("81.2.69.144").as_deref(), Some("81.2.69.144"));
        assert_eq!(ip(" ::ffff:10.23.123.11 ").as_deref(), Some("10.23.123.11"));
        assert_eq!(ip("2001:DB8::1").as_deref(), Some("2001:db8::1"));
        for junk in ["<null>", "[redacted]", "0.0.0.0", "::", "", "host.example", "1.2.3"] {
            assert_eq!(ip(junk), None, "{junk:?}");
        }
    }

    /// The keys these parsers read.
    fn key() -> impl proptest::strategy::Strategy<Value = &'static str> + Clone {
        proptest::sample::select(vec![
            "activityDisplayName",
            "activityDateTime",
            "initiatedBy",
            "targetResources",
            "user",
            "app",
            "modifiedProperties",
            "displayName",
            "newValue",
            "type",
            "riskEventType",
            "detectedDateTime",
            "riskLastUpdatedDateTime",
            "activity",
            "claims",
            "identity",
            "eventTimestamp",
            "operationName",
            "properties",
            "category",
            "location",
            "additionalInfo",
            "Key",
            "Value",
            "httpRequest",
            "time",
            "isDeleted",
            "Claims_d",
            "authorization",
            "evidence",
            "uti",
            "iat",
            "ipAddress",
            "id",
            "userId",
        ])
    }

    /// Arbitrary JSON objects built from those keys, with values of every type and depth.
    fn arb_object() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        use serde_json::Value;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            ".{0,12}".prop_map(Value::from),
            Just(Value::from("2025-04-19T05:01:07Z")),
            Just(Value::from("[\"2025-04-19T05:01:07Z\"]")),
            Just(Value::from("{\"user\":{\"id\":1}}")),
            Just(Value::from("StsRefreshTokensValidFrom")),
            Just(Value::from("User")),
        ];
        let value = leaf.prop_recursive(4, 32, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                proptest::collection::btree_map(key(), inner, 0..5).prop_map(object),
            ]
        });
        proptest::collection::btree_map(key(), value, 0..10).prop_map(object)
    }

    /// A JSON object from key/value pairs.
    fn object(m: std::collections::BTreeMap<&'static str, serde_json::Value>) -> serde_json::Value {
        serde_json::Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    proptest::proptest! {
        #[test]
        fn parsers_never_panic(record in arb_object(), envelope in arb_object()) {
            use crate::source::entra::{Family, dispatch, parse_json};
            let origin = testing::origin("prop", 1);
            let _ = parse_json(&record, origin.clone());
            let (Some(rec), env) = (Rec::new(&record), Rec::new(&envelope)) else { return Ok(()) };
            for family in [Family::Audit, Family::RiskDetection, Family::RiskyUser, Family::RiskyUserHistory, Family::AzureActivity] {
                let _ = dispatch(family, rec, env, origin.clone());
                let _ = dispatch(family, rec, None, origin.clone());
            }
            let _ = super::super::portal_audit::canonicalise(rec.map());
        }
    }
}
