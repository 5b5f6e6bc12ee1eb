//! The plan file `lockscope plan` writes, as `apply` reads it, and its content hash.
//!
//! The hash is `"sha256:" + hex(SHA-256(canonical JSON))` of the plan's `case`, `items` and
//! `excluded`. Two canonical forms are accepted, as both bind every byte of content:
//!
//! - [`plan_hash`]: keys sorted by byte order at every level, no whitespace (the form
//!   `lockscope plan` writes, `lockscope::plan::hash_of_document`);
//! - [`plan_hash_of_text`]: `serde_json::to_vec` of `{"case", "items", "excluded"}` with every
//!   object's keys in the order written (what hashing the writer's structs directly gives).

use std::collections::BTreeMap;

use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The plan schema version this crate reads.
pub const SCHEMA_VERSION: u32 = 1;

/// A remediation plan.
#[derive(Debug, Clone, Deserialize)]
pub struct Plan {
    /// Schema version (1).
    pub schema_version: u32,
    /// The tool that wrote it (`lockscope 0.1.0`).
    #[serde(default)]
    pub tool: String,
    /// `sha256:<hex>` of `{case, items, excluded}`.
    pub hash: String,
    /// When it was written (RFC 3339).
    #[serde(default)]
    pub created: String,
    /// The case it was built from.
    pub case: CaseRef,
    /// Identities in the case (the tenant size the circuit breaker compares with).
    #[serde(default)]
    pub identities: u64,
    /// The mass event the plan answers, if any.
    #[serde(default)]
    pub mass_event: Option<MassEvent>,
    /// What to do, per user and action.
    pub items: Vec<Item>,
    /// Users left out on purpose, with why.
    #[serde(default)]
    pub excluded: Vec<Excluded>,
}

/// The case a plan was built from.
#[derive(Debug, Clone, Deserialize)]
pub struct CaseRef {
    /// Its folder.
    #[serde(default)]
    pub path: String,
    /// SHA-256 of its `case.json`.
    #[serde(default)]
    pub manifest_sha256: String,
}

/// A mass event behind the plan.
#[derive(Debug, Clone, Deserialize)]
pub struct MassEvent {
    /// Incident id.
    pub incident: String,
    /// Users in it.
    #[serde(default)]
    pub members: u64,
}

/// One action on one user.
#[derive(Debug, Clone, Deserialize)]
pub struct Item {
    /// UPN (or the name the logs use).
    pub user: String,
    /// Entra object id, when known.
    #[serde(default)]
    pub object_id: Option<String>,
    /// `entra`, `ad` or `linux`.
    pub target: String,
    /// The action id (`confirm-safe`, `dismiss-risk`, …).
    pub action: String,
    /// Host for AD / Linux actions.
    #[serde(default)]
    pub host: Option<String>,
    /// Why.
    #[serde(default)]
    pub reason: String,
    /// Evidence pointers (kept as written).
    #[serde(default)]
    pub evidence: Vec<Value>,
    /// The user's risk state when the plan was made.
    #[serde(default)]
    pub current_state: Option<CurrentState>,
}

/// A risk-state snapshot.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CurrentState {
    /// `atRisk`, `dismissed`, … or unknown.
    #[serde(default)]
    pub risk_state: Option<String>,
    /// `high`, … or unknown.
    #[serde(default)]
    pub risk_level: Option<String>,
    /// When the snapshot was taken.
    #[serde(default)]
    pub as_of: Option<String>,
}

/// A user the plan leaves alone.
#[derive(Debug, Clone, Deserialize)]
pub struct Excluded {
    /// The user.
    pub user: String,
    /// Why.
    #[serde(default)]
    pub reason: String,
}

/// What a plan action does through Graph, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GraphAction {
    /// `POST identityProtection/riskyUsers/confirmSafe`.
    ConfirmSafe,
    /// `POST identityProtection/riskyUsers/dismiss`.
    Dismiss,
    /// `POST identityProtection/riskyUsers/confirmCompromised`.
    ConfirmCompromised,
    /// `POST users/{id}/revokeSignInSessions` (through `$batch`).
    RevokeSessions,
}

impl GraphAction {
    /// The plan's action id.
    pub fn id(self) -> &'static str {
        match self {
            GraphAction::ConfirmSafe => "confirm-safe",
            GraphAction::Dismiss => "dismiss-risk",
            GraphAction::ConfirmCompromised => "confirm-compromised",
            GraphAction::RevokeSessions => "revoke-sessions",
        }
    }

    /// The risk state the action leads to (`None` for session revocation, which has none).
    pub fn target_state(self) -> Option<&'static str> {
        match self {
            GraphAction::ConfirmSafe => Some("confirmedSafe"),
            GraphAction::Dismiss => Some("dismissed"),
            GraphAction::ConfirmCompromised => Some("confirmedCompromised"),
            GraphAction::RevokeSessions => None,
        }
    }

    /// The `riskyUsers` action path segment.
    pub fn risk_endpoint(self) -> Option<&'static str> {
        match self {
            GraphAction::ConfirmSafe => Some("confirmSafe"),
            GraphAction::Dismiss => Some("dismiss"),
            GraphAction::ConfirmCompromised => Some("confirmCompromised"),
            GraphAction::RevokeSessions => None,
        }
    }

    /// Whether the action clears a user's risk (never allowed with compromise indicators).
    pub fn clears_risk(self) -> bool {
        matches!(self, GraphAction::ConfirmSafe | GraphAction::Dismiss)
    }
}

impl Item {
    /// The Graph action `apply` carries out for this item, or `None` when it is a manual step
    /// (password resets, AD and Linux actions, anything unknown).
    pub fn graph_action(&self) -> Option<GraphAction> {
        if !self.target.eq_ignore_ascii_case("entra") {
            return None;
        }
        match self.action.as_str() {
            "confirm-safe" => Some(GraphAction::ConfirmSafe),
            "dismiss-risk" => Some(GraphAction::Dismiss),
            "confirm-compromised" => Some(GraphAction::ConfirmCompromised),
            "revoke-sessions" => Some(GraphAction::RevokeSessions),
            _ => None,
        }
    }

    /// The plan's risk-state snapshot, if it had one.
    pub fn snapshot_state(&self) -> Option<&str> {
        self.current_state.as_ref().and_then(|s| s.risk_state.as_deref())
    }
}

/// Why a plan cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// Not JSON, or not a plan.
    #[error("not a lockscope plan: {0}")]
    Shape(String),
    /// A schema this version does not know.
    #[error("plan schema_version {0} is not supported (this lockscope reads {SCHEMA_VERSION})")]
    Version(u32),
    /// The hash does not match the content.
    #[error(
        "the plan was altered after it was written: its hash is {recorded} but its content hashes to {computed}; make a new plan with `lockscope plan`"
    )]
    Altered {
        /// The `hash` field.
        recorded: String,
        /// The content's hash.
        computed: String,
    },
}

/// Parses a plan and checks its version and hash.
pub fn read(text: &str) -> Result<Plan, PlanError> {
    let plan: Plan = serde_json::from_str(text).map_err(|e| PlanError::Shape(e.to_string()))?;
    if plan.schema_version != SCHEMA_VERSION {
        return Err(PlanError::Version(plan.schema_version));
    }
    verify_hash(text, &plan.hash)?;
    Ok(plan)
}

/// Checks `recorded` against the plan text's content hash (key order as written, or sorted).
pub fn verify_hash(text: &str, recorded: &str) -> Result<(), PlanError> {
    let computed = plan_hash_of_text(text)?;
    if computed.eq_ignore_ascii_case(recorded) {
        return Ok(());
    }
    let value: Value = serde_json::from_str(text).map_err(|e| PlanError::Shape(e.to_string()))?;
    if plan_hash(&value).eq_ignore_ascii_case(recorded) {
        return Ok(());
    }
    Err(PlanError::Altered { recorded: recorded.to_string(), computed })
}

/// `sha256:<hex>` of the canonical JSON of `{"case", "excluded", "items"}` taken from a plan
/// document: every object's keys sorted by byte order (the top level's too), no whitespace,
/// strings and numbers as `serde_json` writes them. This is the form `lockscope plan` writes
/// (`lockscope::plan::hash_of_document`); it does not depend on key order in the file.
pub fn plan_hash(plan: &Value) -> String {
    let pick = |k: &str| plan.get(k).cloned().unwrap_or(Value::Null);
    let mut subset = serde_json::Map::new();
    for k in ["case", "items", "excluded"] {
        subset.insert(k.to_string(), pick(k));
    }
    let mut out = Vec::new();
    write_sorted(&Value::Object(subset), &mut out);
    digest(&out)
}

fn write_sorted(value: &Value, out: &mut Vec<u8>) {
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
                    write_sorted(v, out);
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
                write_sorted(v, out);
            }
            out.push(b']');
        }
        scalar => out.extend_from_slice(scalar.to_string().as_bytes()),
    }
}

/// `sha256:<hex>` of the canonical `{"case", "items", "excluded"}` of a plan's text, every
/// object's keys kept in the order written: equal to hashing `serde_json::to_vec` of the
/// writer's structs, whether the file was written compact or pretty.
pub fn plan_hash_of_text(text: &str) -> Result<String, PlanError> {
    let doc: Ordered = serde_json::from_str(text).map_err(|e| PlanError::Shape(e.to_string()))?;
    let Ordered::Object(fields) = doc else {
        return Err(PlanError::Shape("the plan is not a JSON object".into()));
    };
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or(Ordered::Null);
    let hashed = Ordered::Object(vec![
        ("case".into(), get("case")),
        ("items".into(), get("items")),
        ("excluded".into(), get("excluded")),
    ]);
    let bytes = serde_json::to_vec(&hashed).map_err(|e| PlanError::Shape(e.to_string()))?;
    Ok(digest(&bytes))
}

fn digest(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    let mut s = String::with_capacity(71);
    s.push_str("sha256:");
    for b in d {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// JSON that keeps object keys in the order written.
#[derive(Debug, Clone)]
enum Ordered {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Ordered>),
    Object(Vec<(String, Ordered)>),
}

impl Serialize for Ordered {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Ordered::Null => s.serialize_unit(),
            Ordered::Bool(b) => s.serialize_bool(*b),
            Ordered::Number(n) => n.serialize(s),
            Ordered::String(t) => s.serialize_str(t),
            Ordered::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(i)?;
                }
                seq.end()
            }
            Ordered::Object(fields) => {
                let mut map = s.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Null)
            }
            fn visit_none<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Ordered, E> {
                Ok(Ordered::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Ordered, E> {
                Ok(Ordered::Number(n.into()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Ordered, E> {
                Ok(Ordered::Number(n.into()))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Ordered, E> {
                Ok(serde_json::Number::from_f64(n).map(Ordered::Number).unwrap_or(Ordered::Null))
            }
            fn visit_str<E>(self, s: &str) -> Result<Ordered, E> {
                Ok(Ordered::String(s.to_string()))
            }
            fn visit_string<E>(self, s: String) -> Result<Ordered, E> {
                Ok(Ordered::String(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = seq.next_element()? {
                    v.push(x);
                }
                Ok(Ordered::Array(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut v: Vec<(String, Ordered)> = Vec::new();
                while let Some((k, x)) = map.next_entry::<String, Ordered>()? {
                    // A repeated key keeps its last value, in its first position (as serde_json).
                    match v.iter_mut().find(|(n, _)| *n == k) {
                        Some(slot) => slot.1 = x,
                        None => v.push((k, x)),
                    }
                }
                Ok(Ordered::Object(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// Distinct users of the items, by action, for summaries.
pub fn users_by_action(items: &[Item]) -> BTreeMap<String, usize> {
    let mut m: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for i in items {
        m.entry(i.action.clone()).or_default().insert(i.user.to_ascii_lowercase());
    }
    m.into_iter().map(|(k, v)| (k, v.len())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct W<'a> {
        case: Value,
        items: Vec<Value>,
        excluded: Vec<Value>,
        #[serde(skip)]
        _p: std::marker::PhantomData<&'a ()>,
    }

    fn sample() -> String {
        let case = serde_json::json!({"path": "case", "manifest_sha256": "ab"});
        let items = vec![serde_json::json!({"user": "ana@contoso.com", "object_id": null, "target": "entra",
            "action": "confirm-safe", "reason": "mass event", "evidence": [], "current_state":
            {"risk_state": "atRisk", "risk_level": "high", "as_of": null}})];
        let w = W { case, items, excluded: vec![], _p: std::marker::PhantomData };
        let hash = digest(&serde_json::to_vec(&w).unwrap_or_default());
        let doc = serde_json::json!({"schema_version": 1, "tool": "t", "hash": hash, "created": "",
            "case": w.case, "identities": 10, "mass_event": null, "items": w.items, "excluded": w.excluded});
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    }

    #[test]
    fn hash_verifies_pretty_and_compact_and_rejects_changes() {
        let text = sample();
        let plan = read(&text).expect("valid plan");
        assert_eq!(plan.items.len(), 1);
        let compact: Value = serde_json::from_str(&text).expect("json");
        assert!(read(&serde_json::to_string(&compact).unwrap_or_default()).is_ok());
        let altered = text.replace("confirm-safe", "dismiss-risk");
        assert!(matches!(read(&altered), Err(PlanError::Altered { .. })));
    }

    #[test]
    fn plan_hash_is_the_sorted_canonical_form() {
        let doc: Value =
            serde_json::from_str(r#"{"hash":"x","items":[],"case":{"path":"c","manifest_sha256":"00"},"excluded":[]}"#)
                .expect("json");
        let canonical = r#"{"case":{"manifest_sha256":"00","path":"c"},"excluded":[],"items":[]}"#;
        assert_eq!(plan_hash(&doc), digest(canonical.as_bytes()));
    }

    #[test]
    fn ordered_form_hashes_keys_as_written() {
        let hashed =
            r#"{"case":{"path":"c","manifest_sha256":"00"},"items":[{"user":"u","action":"a"}],"excluded":[]}"#;
        let text = format!(
            "{{\n  \"schema_version\": 1,\n  \"hash\": \"{}\",\n  \"case\": {{\"path\": \"c\", \"manifest_sha256\": \"00\"}},\n  \"items\": [{{\"user\": \"u\", \"action\": \"a\"}}],\n  \"excluded\": []\n}}",
            digest(hashed.as_bytes())
        );
        assert_eq!(plan_hash_of_text(&text).expect("hash"), digest(hashed.as_bytes()));
    }

    #[test]
    fn plan_hash_of_value_is_accepted() {
        let mut v: Value = serde_json::from_str(&sample()).expect("json");
        v["hash"] = Value::String(plan_hash(&v));
        let text = serde_json::to_string(&v).unwrap_or_default();
        assert!(read(&text).is_ok());
    }
}
