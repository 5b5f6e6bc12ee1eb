//! Hostile input never panics: arbitrary XML, message text, JSON and damaged EVTX.

use proptest::prelude::*;

use super::tests::{read_bytes, values};
use super::{Record, message, xml};

/// Snippets of Windows event XML to build hostile inputs from.
fn snippet() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("<Event xmlns='x'>".to_string()),
        Just("</Event>".to_string()),
        Just("<System><EventID>4625</EventID>".to_string()),
        Just("<TimeCreated SystemTime='2025-02-01T15:30:33Z'/>".to_string()),
        Just("</System><EventData>".to_string()),
        Just("<Data Name='TargetUserName'>".to_string()),
        Just("<Data Name=\"Status\">0xc000006d</Data>".to_string()),
        Just("<Data Name='IpAddress'>::ffff:1.2.3.4</Data>".to_string()),
        Just("&amp;&#x41;&bogus;&#0;".to_string()),
        Just("<![CDATA[x]]>".to_string()),
        Just("<UserData><W><Leaf>v</Leaf></W></UserData>".to_string()),
        "[ -~\n]{0,16}",
        "\\PC{0,8}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn xml_paths_never_panic(parts in proptest::collection::vec(snippet(), 0..24), raw in proptest::collection::vec(any::<u8>(), 0..256)) {
        let text = parts.concat();
        let (events, _) = read_bytes(text.as_bytes(), "prop.xml");
        let _ = values(&events);
        let _ = xml::parse(&text);
        let mut bytes = b"<Event ".to_vec();
        bytes.extend(&raw);
        let _ = read_bytes(&bytes, "raw.xml");
        for (_, fragment) in xml::Fragments::new(&raw[..]) {
            let _ = fragment.map(|f| xml::parse(&f));
        }
    }

    #[test]
    fn message_parsing_never_panics(text in "\\PC{0,64}(:\t[ -~]{0,8}\r?\n){0,6}") {
        let mut rec = Record::default();
        message::fields_into(4625, &text, &mut rec);
    }

    #[test]
    fn json_paths_never_panic(record in arb_object()) {
        let line = serde_json::to_string(&record).expect("json");
        let (events, _) = read_bytes(line.as_bytes(), "prop.json");
        let _ = values(&events);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Damaged EVTX: random bytes written over a real file.
    #[test]
    fn evtx_damage_never_panics(flips in proptest::collection::vec((4096usize..69632, any::<u8>()), 1..64)) {
        let mut bytes = std::fs::read(crate::testutil::fixture("windows/Security_short_selected.evtx")).expect("fixture");
        for (at, b) in flips {
            bytes[at] = b;
        }
        let (events, _) = read_bytes(&bytes, "damaged.evtx");
        let _ = values(&events);
    }
}

/// Arbitrary JSON objects with the keys the Windows JSON shapes read.
fn arb_object() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let key = proptest::sample::select(vec![
        "Event",
        "System",
        "EventID",
        "EventData",
        "TimeCreated",
        "#attributes",
        "SystemTime",
        "#text",
        "Data",
        "UserData",
        "winlog",
        "event_id",
        "event_data",
        "Computer",
        "TimeGenerated",
        "Type",
        "Id",
        "MachineName",
        "Message",
        "TargetUserName",
        "Status",
        "SubStatus",
        "IpAddress",
        "TaskContent",
        "Keywords",
        "UserId",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(Value::from),
        Just(Value::from(4625)),
        Just(Value::from(4740)),
        Just(Value::from("4625")),
        Just(Value::from("2025-04-22T09:14:03Z")),
        Just(Value::from("/Date(1745313242576)/")),
        Just(Value::from("Account Name:\tx\r\nStatus:\t0xC000006A")),
        Just(Value::from("<Data Name='X'>y</Data>")),
        Just(Value::from("SecurityEvent")),
        ".{0,12}".prop_map(Value::from),
    ];
    let value = leaf.prop_recursive(4, 32, 5, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map(key.clone(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    });
    let top = proptest::sample::select(vec![
        "Event",
        "winlog",
        "EventID",
        "Computer",
        "Id",
        "MachineName",
        "Message",
        "Type",
        "EventData",
    ]);
    proptest::collection::btree_map(top, value, 0..8)
        .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
}
