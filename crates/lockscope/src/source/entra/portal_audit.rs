//! The Entra portal's audit-log CSV download (`reference/formats.md` §3.6), mapped to a Graph
//! `directoryAudit` object so [`super::audit::parse`] reads it like any other audit record.
//!
//! The portal flattens the nested record into numbered columns (`Target2ModifiedProperty3Name`,
//! `AdditionalDetail4Value`, …) whose upper bounds are not documented, so the numbered headers are
//! parsed, not listed. Cell values keep Graph's JSON-in-string encoding and are copied as text.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::portal::normalise_header;
use crate::source::field::is_absent;

/// Fixed portal columns (normalised, spaces removed) and the Graph field each one becomes.
const TOP_LEVEL: &[(&str, &str)] = &[
    ("date(utc)", "activityDateTime"),
    ("date", "activityDateTime"),
    ("id", "id"),
    ("correlationid", "correlationId"),
    ("service", "loggedByService"),
    ("category", "category"),
    ("activity", "activityDisplayName"),
    ("result", "result"),
    ("resultreason", "resultReason"),
    ("operationtype", "operationType"),
];

/// Actor columns (normalised, spaces removed) and the `initiatedBy.user` / `.app` field each one
/// fills; which of the two objects is built depends on `ActorType`.
const ACTOR: &[(&str, &str)] = &[
    ("actordisplayname", "displayName"),
    ("actorobjectid", "id"),
    ("actoruserprincipalname", "userPrincipalName"),
    ("ipaddress", "ipAddress"),
    ("actorhometenantid", "homeTenantId"),
    ("actorhometenantname", "homeTenantName"),
    ("actorserviceprincipalid", "servicePrincipalId"),
    ("actorserviceprincipalname", "servicePrincipalName"),
];

/// Maps a portal audit CSV row (keys trimmed, inner whitespace collapsed) to Graph
/// `directoryAudit` names: top-level fields, `initiatedBy`, `targetResources` with their
/// `modifiedProperties`, and `additionalDetails`. Unknown columns are dropped; empty cells are
/// left out.
pub fn canonicalise(row: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    let mut actor = Map::new();
    let mut actor_type = None;
    let mut targets: BTreeMap<u32, Target> = BTreeMap::new();
    let mut details: BTreeMap<u32, [Option<Value>; 2]> = BTreeMap::new();
    for (header, value) in row {
        if is_absent(value) {
            continue;
        }
        let key: String = normalise_header(header).chars().filter(|c| !c.is_whitespace()).collect();
        if let Some((_, graph)) = TOP_LEVEL.iter().find(|(name, _)| *name == key) {
            out.entry(graph.to_string()).or_insert_with(|| value.clone());
        } else if key == "actortype" {
            actor_type = value.as_str().map(str::to_ascii_lowercase);
        } else if let Some((_, graph)) = ACTOR.iter().find(|(name, _)| *name == key) {
            actor.insert(graph.to_string(), value.clone());
        } else if key == "useragent" {
            // Graph keeps the user agent among the additional details; 0 sorts it first.
            details.insert(0, [Some(Value::from("User-Agent")), Some(value.clone())]);
        } else if let Some((n, field)) = numbered(&key, "target") {
            targets.entry(n).or_default().set(field, value.clone());
        } else if let Some((n, field)) = numbered(&key, "additionaldetail") {
            let slot = match field {
                "key" => 0,
                "value" => 1,
                _ => continue,
            };
            details.entry(n).or_default()[slot] = Some(value.clone());
        }
    }
    let (initiated_by, identity) = initiated_by(actor, actor_type.as_deref());
    out.insert("initiatedBy".into(), initiated_by);
    if let Some(identity) = identity {
        out.insert("identity".into(), identity);
    }
    let targets: Vec<Value> = targets.into_values().filter_map(Target::into_value).collect();
    out.insert("targetResources".into(), Value::Array(targets));
    let details: Vec<Value> = details.into_values().filter_map(detail_value).collect();
    out.insert("additionalDetails".into(), Value::Array(details));
    out
}

/// Splits `target12modifiedproperty3name` into `(12, "modifiedproperty3name")` for `prefix`
/// `target`: the prefix, a number, and the rest of the name.
fn numbered<'k>(key: &'k str, prefix: &str) -> Option<(u32, &'k str)> {
    let rest = key.strip_prefix(prefix)?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let n = rest[..digits].parse().ok()?;
    Some((n, &rest[digits..]))
}

/// The `initiatedBy` object: an `app` for application actors, a `user` for user actors (or when
/// the type is missing but user columns are filled), and `{}` otherwise. In that last case the
/// actor's display name, if any, is returned apart: it names the platform itself (e.g. just-in-time
/// provisioning) and goes where Log Analytics keeps it, the `identity` column.
fn initiated_by(mut actor: Map<String, Value>, actor_type: Option<&str>) -> (Value, Option<Value>) {
    let mut by = Map::new();
    if matches!(actor_type, Some("application" | "app" | "serviceprincipal")) {
        // The portal gives no appId; the object id of an application actor is its service
        // principal's.
        if let Some(id) = actor.remove("id") {
            actor.entry("servicePrincipalId").or_insert(id);
        }
        actor.remove("userPrincipalName");
        by.insert("app".into(), Value::Object(actor));
    } else if actor_type == Some("user") || actor.contains_key("id") || actor.contains_key("userPrincipalName") {
        by.insert("user".into(), Value::Object(actor));
    } else {
        return (Value::Object(by), actor.remove("displayName"));
    }
    (Value::Object(by), None)
}

/// One `TargetN…` group of columns.
#[derive(Default)]
struct Target {
    fields: Map<String, Value>,
    properties: BTreeMap<u32, Map<String, Value>>,
}

impl Target {
    /// Stores one column of this target (`type`, `displayname`, `modifiedproperty2oldvalue`, …).
    fn set(&mut self, field: &str, value: Value) {
        let graph = match field {
            "type" => "type",
            "displayname" => "displayName",
            "objectid" | "id" => "id",
            "userprincipalname" => "userPrincipalName",
            _ => {
                if let Some((m, which)) = numbered(field, "modifiedproperty") {
                    let name = match which {
                        "name" => "displayName",
                        "oldvalue" => "oldValue",
                        "newvalue" => "newValue",
                        _ => return,
                    };
                    self.properties.entry(m).or_default().insert(name.into(), value);
                }
                return;
            }
        };
        self.fields.insert(graph.into(), value);
    }

    /// The Graph `targetResource`, or `None` when every column of the group was empty.
    fn into_value(self) -> Option<Value> {
        if self.fields.is_empty() && self.properties.is_empty() {
            return None;
        }
        let mut fields = self.fields;
        let props = self.properties.into_values().map(Value::Object).collect();
        fields.insert("modifiedProperties".into(), Value::Array(props));
        Some(Value::Object(fields))
    }
}

/// An `additionalDetails` entry from a key/value column pair.
fn detail_value([key, value]: [Option<Value>; 2]) -> Option<Value> {
    let key = key?;
    let mut m = Map::new();
    m.insert("key".into(), key);
    m.insert("value".into(), value.unwrap_or(Value::Null));
    Some(Value::Object(m))
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value, json};

    use super::canonicalise;
    use crate::source::entra::common::testing::{origin, render};
    use crate::source::entra::{CsvKind, Family, classify_csv, parse_csv_row};

    /// A CSV row as the reader hands it over: header → text cell (empty cells stay empty).
    fn row(cells: &[(&str, &str)]) -> Map<String, Value> {
        cells.iter().map(|(k, v)| (k.to_string(), Value::from(*v))).collect()
    }

    /// The MACE revocation as the portal would export it (§3.6 header, §1.2 values).
    fn mace_row() -> Map<String, Value> {
        row(&[
            ("Date (UTC)", "2025-04-19T05:01:07.1234567Z"),
            ("CorrelationId", "5a6b7c8d-5555-4a1b-9c2d-3e4f5a6b7c8d"),
            ("Service", "Core Directory"),
            ("Category", "UserManagement"),
            ("Activity", "Update StsRefreshTokenValidFrom Timestamp"),
            ("Result", "Success"),
            ("ResultReason", ""),
            ("User Agent", ""),
            ("ActorType", "Application"),
            ("ActorDisplayName", "MACE Credential Revocation"),
            ("ActorObjectId", "9c4b2a10-4444-4e5f-8a9b-0c1d2e3f4a5b"),
            ("ActorUserPrincipalName", ""),
            ("IPAddress", ""),
            ("ActorServicePrincipalId", ""),
            ("Target1Type", "User"),
            ("Target1DisplayName", "Ana Silva"),
            ("Target1ObjectId", "a1b2c3d4-0000-4000-8000-000000000001"),
            ("Target1UserPrincipalName", "Ana.Silva@contoso.com"),
            ("Target1ModifiedProperty1Name", "StsRefreshTokensValidFrom"),
            ("Target1ModifiedProperty1OldValue", r#"["2025-03-02T08:15:00Z"]"#),
            ("Target1ModifiedProperty1NewValue", r#"["2025-04-19T05:01:07Z"]"#),
            ("AdditionalDetail1Key", ""),
            ("AdditionalDetail1Value", ""),
        ])
    }

    /// An admin reset with two targets, numbered past 9 and with a gap, plus columns the
    /// portal may add that nothing maps.
    fn admin_row() -> Map<String, Value> {
        row(&[
            ("Date (UTC)", "4/19/2025 9:30:00 AM"),
            ("CorrelationId", "c2d3e4f5-cccc-4b32-937e-8f9012345678"),
            ("Service", "Core Directory"),
            ("Category", "UserManagement"),
            ("Activity", "Reset password (by admin)"),
            ("Result", "Failure"),
            ("ResultReason", "Password does not meet complexity requirements"),
            ("User Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"),
            ("ActorType", "User"),
            ("ActorDisplayName", "SecOps"),
            ("ActorObjectId", "03EE6546-F113-4EC5-BA9D-E57381B0C928"),
            ("ActorUserPrincipalName", "SecOps@contoso.com"),
            ("IPAddress", "198.51.100.20"),
            ("Target1Type", "User"),
            ("Target1ObjectId", "a1b2c3d4-0000-4000-8000-000000000002"),
            ("Target1UserPrincipalName", "bruno.costa@contoso.com"),
            ("Target1ModifiedProperty1Name", "Included Updated Properties"),
            ("Target1ModifiedProperty1OldValue", ""),
            ("Target1ModifiedProperty1NewValue", r#""""#),
            ("Target1ModifiedProperty10Name", "TargetId.UserType"),
            ("Target1ModifiedProperty10NewValue", r#""Member""#),
            ("Target12Type", "Group"),
            ("Target12DisplayName", "Sales Team"),
            ("AdditionalDetail3Key", "UserType"),
            ("AdditionalDetail3Value", "Member"),
            ("Some New Column", "x"),
        ])
    }

    #[test]
    fn the_header_is_classified_as_a_portal_audit_export() {
        let headers: Vec<String> = mace_row().keys().cloned().collect();
        assert_eq!(classify_csv(&headers), Some(CsvKind::Portal(Family::Audit)));
    }

    #[test]
    fn numbered_columns_become_nested_graph_objects() {
        let canonical = canonicalise(&admin_row());
        assert_eq!(canonical["initiatedBy"]["user"]["ipAddress"], "198.51.100.20");
        let targets = canonical["targetResources"].as_array().cloned().unwrap_or_default();
        assert_eq!(targets.len(), 2);
        assert_eq!(targets[0]["modifiedProperties"][1]["displayName"], "TargetId.UserType");
        assert_eq!(targets[1]["displayName"], "Sales Team");
        assert_eq!(canonical["additionalDetails"][0]["key"], "User-Agent");
        insta::assert_json_snapshot!("canonical_admin_row", canonical);
    }

    #[test]
    fn portal_rows_parse_like_graph_records() {
        let system = row(&[
            ("Date (UTC)", "2025-04-19T05:00:42Z"),
            ("Activity", "Add service principal"),
            ("Category", "ApplicationManagement"),
            ("Result", "Success"),
            ("ActorType", ""),
            ("ActorDisplayName", "Microsoft Azure AD Internal - Jit Provisioning"),
            ("Target1Type", "ServicePrincipal"),
            ("Target1DisplayName", "MACE Credential Revocation"),
        ]);
        let events: Vec<Value> = [mace_row(), admin_row(), system]
            .iter()
            .enumerate()
            .map(|(i, r)| render(parse_csv_row(CsvKind::Portal(Family::Audit), r, origin("audit.csv", i as u64 + 2))))
            .collect();
        assert_eq!(events[0]["kind"], "token-invalidation");
        assert_eq!(events[0]["detail"]["valid_from"], "2025-04-19T05:01:07Z");
        // No appId in the portal export: the service principal's object id stands in.
        assert_eq!(
            events[0]["actor"],
            json!({"type": "app", "id": "9c4b2a10-4444-4e5f-8a9b-0c1d2e3f4a5b", "name": "MACE Credential Revocation"})
        );
        assert_eq!(events[0]["user"]["name"], "ana.silva@contoso.com");
        assert_eq!(events[1]["kind"], "password-reset");
        assert_eq!(events[1]["time"], "2025-04-19T09:30:00Z");
        assert_eq!(events[1]["outcome"], "failure");
        assert_eq!(events[1]["actor"]["name"], "secops@contoso.com");
        assert_eq!(events[1]["detail"]["target"], "Sales Team");
        assert_eq!(
            events[2]["actor"],
            json!({"type": "system", "id": null, "name": "Microsoft Azure AD Internal - Jit Provisioning"})
        );
        insta::assert_json_snapshot!("portal_rows", events);
    }

    #[test]
    fn odd_headers_never_panic() {
        let odd = row(&[
            ("Target", "x"),
            ("Target99999999999ModifiedProperty1Name", "x"),
            ("TargetXType", "User"),
            ("AdditionalDetail", "k"),
            ("Target1ModifiedPropertyName", "n"),
            ("", ""),
        ]);
        let canonical = canonicalise(&odd);
        assert_eq!(canonical["targetResources"], json!([]));
    }
}
