//! Windows events as JSON records, classified one by one so mixed files read correctly:
//!
//! - the `evtx` crate's / `evtx_dump -o json|jsonl` shape, `{"Event": {"System": …, "EventData": …}}`;
//! - Winlogbeat, `{"@timestamp", "winlog": {"event_id", "event_data", …}}`;
//! - flat rows with the `EventData` fields as columns: Sentinel / Log Analytics `SecurityEvent`
//!   (and `Event` / `WindowsEvent`, whose `EventData` is XML text or an object), NXLog, Splunk;
//! - `Get-WinEvent | ConvertTo-Json`, whose `Properties` are lost at the default depth: the
//!   fields come from the English `Message` text ([`super::message`]), which is lossy.

use serde_json::{Map, Value};

use super::{Record, message, to_event, xml};
use crate::event::Origin;
use crate::source::entra::{Parsed, Reason};
use crate::source::field::Rec;

/// The shape of a Windows JSON record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonShape {
    /// `{"Event": {"System": …}}` (`evtx` crate, `evtx_dump`).
    Evtx,
    /// Winlogbeat's `winlog` object.
    Winlogbeat,
    /// Flat rows: Sentinel / Log Analytics, NXLog, Splunk and similar forwarders.
    Flat,
    /// `Get-WinEvent | ConvertTo-Json`: only the `Message` text carries the event's fields.
    GetWinEvent,
}

impl JsonShape {
    /// Whether records of this shape lose fields that the other shapes keep.
    pub fn is_lossy(self) -> bool {
        self == JsonShape::GetWinEvent
    }
}

/// Names the Windows shape of a JSON record, or `None` when it is not a Windows event.
pub fn shape(value: &Value) -> Option<JsonShape> {
    let rec = Rec::new(value)?;
    if rec.object(&["Event"]).is_some_and(|e| e.get("System").is_some_and(Value::is_object)) {
        return Some(JsonShape::Evtx);
    }
    if rec.object(&["winlog"]).is_some_and(|w| w.get("event_id").is_some()) {
        return Some(JsonShape::Winlogbeat);
    }
    if let Some(t) = rec.str(&["Type"])
        && !matches!(t.to_ascii_lowercase().as_str(), "securityevent" | "event" | "windowsevent")
    {
        return None;
    }
    let numeric = |names: &[&str]| rec.int(names).is_some();
    if numeric(&["EventID", "EventId", "EventCode"])
        && rec.has(&["Computer", "Hostname", "MachineName", "ComputerName", "EventTime", "TimeGenerated", "Channel"])
    {
        return Some(JsonShape::Flat);
    }
    if numeric(&["Id"]) && rec.has(&["MachineName"]) && rec.has(&["Message", "TimeCreated", "ProviderName"]) {
        return Some(JsonShape::GetWinEvent);
    }
    None
}

/// Parses one Windows JSON record of `shape`.
pub fn parse(shape: JsonShape, value: &Value, origin: Origin) -> Result<Parsed, Reason> {
    let rec = Rec::new(value).ok_or("record is not a JSON object")?;
    let record = match shape {
        JsonShape::Evtx => evtx_shape(rec)?,
        JsonShape::Winlogbeat => winlogbeat(rec),
        JsonShape::Flat => flat(rec)?,
        JsonShape::GetWinEvent => get_winevent(rec),
    };
    to_event(&record, origin)
}

/// The event id as a `u32`, if the value is one.
fn event_id(rec: Rec<'_>, names: &[&str]) -> Option<u32> {
    rec.int(names).and_then(|i| u32::try_from(i).ok())
}

/// A JSON scalar as text (`None` for null, objects and arrays).
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// An XML-ish JSON node's text: a scalar, or the `#text` of `{"#attributes": …, "#text": …}`.
fn node_text(v: &Value) -> Option<String> {
    text(v).or_else(|| v.get("#text").and_then(text))
}

/// An attribute of an element in the crate's JSON: `{"#attributes": {key}}`, or the
/// separate-attributes form `Element_attributes: {key}` beside it.
fn attribute(parent: &Map<String, Value>, element: &str, key: &str) -> Option<String> {
    parent
        .get(element)
        .and_then(|e| e.get("#attributes"))
        .or_else(|| parent.get(&format!("{element}_attributes")))
        .and_then(|a| a.get(key))
        .and_then(text)
}

/// Copies the fields of an `EventData`-like object into `record`: named values; an unnamed
/// `Data` array as `Data1`, `Data2`…; `UserData`'s wrapper flattened to its leaves.
fn fields_into(v: &Value, record: &mut Record) {
    let Some(map) = v.as_object() else { return };
    for (k, v) in map {
        if k == "#attributes" || k.ends_with("_attributes") || k == "Binary" {
            continue;
        }
        match v {
            Value::Array(items) if k == "Data" => {
                for (i, item) in items.iter().enumerate() {
                    if let Some(t) = node_text(item) {
                        record.set(&format!("Data{}", i + 1), t);
                    }
                }
            }
            Value::Object(inner) if !inner.contains_key("#text") => fields_into(v, record),
            other => {
                if let Some(t) = node_text(other) {
                    record.set(k, t);
                }
            }
        }
    }
}

/// `{"Event": {"System": …, "EventData": …}}`.
fn evtx_shape(rec: Rec<'_>) -> Result<Record, Reason> {
    let event = rec.object(&["Event"]).ok_or("no Event object")?;
    let system = event.get("System").and_then(Value::as_object).ok_or("no Event.System object")?;
    let sys = Rec::from_map(system);
    let mut record = Record {
        id: system.get("EventID").and_then(node_text).and_then(|t| t.trim().parse().ok()),
        time: attribute(system, "TimeCreated", "SystemTime").as_deref().and_then(crate::time::parse),
        record_id: sys.string(&["EventRecordID"]),
        computer: sys.string(&["Computer"]),
        provider: attribute(system, "Provider", "Name"),
        audit_failure: sys.str(&["Keywords"]).and_then(|k| super::audit_failure(&k)),
        user_sid: attribute(system, "Security", "UserID"),
        ..Record::default()
    };
    if let Some(data) = event.get("EventData") {
        fields_into(data, &mut record);
    }
    if let Some(data) = event.get("UserData") {
        fields_into(data, &mut record);
    }
    record.message = event.get("RenderingInfo").and_then(|r| r.get("Message")).and_then(node_text);
    Ok(record)
}

/// Winlogbeat: `winlog.event_data` holds the fields; `@timestamp` is the event time.
fn winlogbeat(rec: Rec<'_>) -> Record {
    let winlog = rec.object(&["winlog"]);
    let w = winlog.as_deref().and_then(Rec::new).unwrap_or(rec);
    let keywords = w.strings(&["keywords"]).join(" ");
    let mut record = Record {
        id: event_id(w, &["event_id"]),
        time: rec.time(&["@timestamp", "timestamp"]),
        record_id: w.string(&["record_id"]),
        computer: w.string(&["computer_name"]).or_else(|| rec.object(&["host"]).and_then(|h| text(h.get("name")?))),
        provider: w.string(&["provider_name"]),
        audit_failure: super::audit_failure(&keywords),
        user_sid: w.object(&["user"]).and_then(|u| text(u.get("identifier")?)),
        message: rec.string(&["message"]),
        ..Record::default()
    };
    for key in ["event_data", "user_data"] {
        if let Some(data) = w.object(&[key]) {
            fields_into(&data, &mut record);
        }
    }
    record
}

/// Flat rows: every scalar column is a field (Log Analytics `_string` / `_dynamic` type
/// suffixes dropped); an `EventData` column of XML text or an object adds its fields.
fn flat(rec: Rec<'_>) -> Result<Record, Reason> {
    let keywords = rec.str(&["Keywords", "EventType", "EventLevelName", "KeywordsDisplayNames"]);
    let mut record = Record {
        id: event_id(rec, &["EventID", "EventId", "EventCode"]),
        time: ["TimeCreated", "SystemTime", "EventTime", "TimeGenerated", "@timestamp", "timestamp", "_time"]
            .iter()
            .find_map(|k| rec.time(&[k])),
        record_id: rec.string(&["EventRecordID", "EventRecordId", "RecordNumber", "RecordId", "EventOriginId"]),
        computer: rec.string(&["Computer", "Hostname", "MachineName", "ComputerName"]),
        provider: rec.string(&["EventSourceName", "SourceName", "ProviderName", "Provider", "Source"]),
        audit_failure: keywords.and_then(|k| super::audit_failure(&k)),
        message: rec.string(&["Message", "RenderedDescription"]),
        ..Record::default()
    };
    // Only worth the copying for the events that will be mapped.
    if record.id.is_some_and(super::is_used) {
        for (k, v) in rec.map() {
            let key = k.strip_suffix("_string").or_else(|| k.strip_suffix("_dynamic")).unwrap_or(k);
            if key.eq_ignore_ascii_case("EventData") {
                match v {
                    Value::String(s) if s.trim_start().starts_with('<') => xml::parse_into(s, &mut record)?,
                    Value::Object(_) => fields_into(v, &mut record),
                    _ => {}
                }
            } else if let Some(t) = text(v) {
                record.set(key, t);
            }
        }
    }
    Ok(record)
}

/// `Get-WinEvent | ConvertTo-Json` (Windows PowerShell 5.1 and PowerShell 7).
fn get_winevent(rec: Rec<'_>) -> Record {
    let keywords = rec.str(&["Keywords"]).map(|k| k.into_owned());
    let display = rec.strings(&["KeywordsDisplayNames"]).join(" ");
    let mut record = Record {
        id: event_id(rec, &["Id"]),
        time: rec.time(&["TimeCreated"]),
        record_id: rec.string(&["RecordId"]),
        computer: rec.string(&["MachineName"]),
        provider: rec.string(&["ProviderName"]),
        audit_failure: keywords.as_deref().and_then(super::audit_failure).or_else(|| super::audit_failure(&display)),
        // A `SecurityIdentifier` object (`{"Value": "S-1-…"}`), or its text at a shallower depth.
        user_sid: rec.object(&["UserId"]).and_then(|u| text(u.get("Value")?)).or_else(|| rec.string(&["UserId"])),
        message: rec.string(&["Message"]),
        ..Record::default()
    };
    if let (Some(id), Some(text)) = (record.id, record.message.clone()) {
        message::fields_into(id, &text, &mut record);
    }
    record
}
