//! Windows event sources: the Security log (and the System log's service installs) in every
//! export shape `reference/formats.md` §7.5 lists, read into the normalised [`Event`].
//!
//! Every shape is first read into one [`Record`] (System fields plus the `EventData` name/value
//! pairs), and [`map`] turns a record into an event by its event id. The shapes:
//!
//! - binary `.evtx`, chunk by chunk ([`evtx`]);
//! - XML: `wevtutil qe /f:xml` (fragments without a root), `/f:RenderedXml`, Event Viewer "Save as
//!   XML", `ToXml()`, and forwarded one-line records behind a syslog prefix with single-quoted
//!   attributes ([`xml`]);
//! - JSON: the `evtx` crate's / `evtx_dump` shape (`Event.System`), Sentinel / Log Analytics
//!   `SecurityEvent` and `Event` rows, Winlogbeat, NXLog and other flat JSON, and
//!   `Get-WinEvent | ConvertTo-Json`, whose named fields are lost and are recovered from the
//!   English `Message` text ([`json`], [`message`]).
//!
//! Only the event ids in [`EVENT_IDS`] become events; other records are counted as ignored.

use std::sync::Arc;

use jiff::Timestamp;

use super::entra::{Parsed, Reason};
use crate::event::Origin;

mod codes;
mod evtx;
mod json;
mod map;
mod message;
pub(super) mod utf16;
mod xml;

#[cfg(test)]
mod corpus_tests;
#[cfg(test)]
mod prop_tests;
#[cfg(test)]
mod tests;

pub(super) use evtx::read as read_evtx;
pub use json::{JsonShape, parse as parse_json, shape as json_shape};
pub(super) use xml::{looks_like_xml, read as read_xml};

/// The event ids lockscope turns into events. Every other id is read only far enough to be
/// counted as ignored.
pub const EVENT_IDS: [u32; 19] =
    [4740, 4625, 4771, 4768, 4776, 4767, 4624, 4648, 4723, 4724, 4738, 4720, 4722, 4725, 4726, 7045, 4697, 4698, 4702];

/// Whether an event id is one lockscope uses.
pub fn is_used(id: u32) -> bool {
    EVENT_IDS.contains(&id)
}

/// The note added to a file's report when it holds `Get-WinEvent | ConvertTo-Json` records.
pub const LOSSY_NOTE: &str = "Get-WinEvent ConvertTo-Json records: the named event fields are lost at the default \
     depth, so they were read from the English Message text (best effort); export with \
     `Get-WinEvent … | ForEach-Object { $_.ToXml() }` or copy the .evtx instead";

/// The magic at the start of an `.evtx` file.
pub const EVTX_MAGIC: &[u8] = b"ElfFile\0";

/// One Windows event as read from any export shape: the System fields lockscope uses and the
/// `EventData` (or `UserData`) fields by name, values as logged.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Record {
    /// `System/EventID`.
    pub id: Option<u32>,
    /// `System/TimeCreated/@SystemTime`.
    pub time: Option<Timestamp>,
    /// `System/EventRecordID` (or the export's own record id when it has no other).
    pub record_id: Option<String>,
    /// `System/Computer`: the machine that logged the event.
    pub computer: Option<String>,
    /// `System/Provider/@Name`.
    pub provider: Option<String>,
    /// Whether `Keywords` say Audit Failure (`Some(true)`) or Audit Success (`Some(false)`).
    pub audit_failure: Option<bool>,
    /// `System/Security/@UserID`: the account the logging component ran as (7045 names no subject
    /// otherwise).
    pub user_sid: Option<String>,
    /// `EventData/Data` (or `UserData` leaf) fields in record order: name, value.
    pub data: Vec<(String, String)>,
    /// The rendered message, when the export carries one.
    pub message: Option<String>,
}

impl Record {
    /// A field by name (case-insensitive), trimmed; `-` and the empty string are absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.data
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
            .filter(|v| !is_placeholder(v))
    }

    /// The first present field among `names`.
    pub fn first(&self, names: &[&str]) -> Option<&str> {
        names.iter().find_map(|n| self.get(n))
    }

    /// Adds a field unless one of that name is already set (the first value wins).
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        if !self.data.iter().any(|(k, _)| k.eq_ignore_ascii_case(name)) {
            self.data.push((name.to_string(), value.into()));
        }
    }
}

/// Whether a value means "nothing" in Windows events.
pub(crate) fn is_placeholder(v: &str) -> bool {
    let t = v.trim();
    t.is_empty() || t == "-"
}

/// Reads the audit outcome out of `Keywords` as logged: hex (`0x8010000000000000`), the signed
/// int64 some exporters write, or the display name (`Audit Failure`).
pub(crate) fn audit_failure(keywords: &str) -> Option<bool> {
    const FAILURE: u64 = 0x0010_0000_0000_0000;
    const SUCCESS: u64 = 0x0020_0000_0000_0000;
    let t = keywords.trim();
    let bits = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => t.parse::<u64>().ok().or_else(|| t.parse::<i64>().ok().map(|i| i as u64)),
    };
    if let Some(bits) = bits {
        return if bits & FAILURE != 0 {
            Some(true)
        } else if bits & SUCCESS != 0 {
            Some(false)
        } else {
            None
        };
    }
    let lower = t.to_ascii_lowercase();
    if lower.contains("audit failure") || lower.contains("audit_failure") {
        Some(true)
    } else if lower.contains("audit success") || lower.contains("audit_success") {
        Some(false)
    } else {
        None
    }
}

/// Turns a record into an event, or says why it is ignored or unreadable.
pub(crate) fn to_event(rec: &Record, origin: Origin) -> Result<Parsed, Reason> {
    let Some(id) = rec.id else {
        return Err("Windows event without a readable EventID".into());
    };
    if !is_used(id) {
        return Ok(Parsed::Skip("Windows event id not used"));
    }
    if !from_expected_provider(id, rec.provider.as_deref()) {
        return Ok(Parsed::Skip("Windows event id of another provider"));
    }
    let Some(time) = rec.time else {
        return Err(format!("Windows event {id} without a readable TimeCreated"));
    };
    Ok(Parsed::Event(Box::new(map::event(id, time, rec, origin))))
}

/// Whether the provider, when the export names it, is the one that defines `id`: another
/// provider could reuse the number for something else.
fn from_expected_provider(id: u32, provider: Option<&str>) -> bool {
    let Some(p) = provider.map(str::to_ascii_lowercase) else { return true };
    if id == 7045 {
        p.contains("service control manager")
    } else {
        p.contains("security-auditing") || p.contains("security auditing") || p == "security"
    }
}

/// A stream name, as origins carry it.
pub(super) type Name = Arc<str>;
