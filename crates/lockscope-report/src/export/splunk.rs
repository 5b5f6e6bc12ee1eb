//! Splunk HTTP Event Collector event JSON, one event per line: the body of a batched
//! `POST /services/collector/event` (`curl … --data-binary @events.jsonl`).
//!
//! Each line is `{"time": epoch seconds, "host", "source": "lockscope", "sourcetype", "event"}`;
//! the `event` is the line `events.jsonl` or `findings.jsonl` holds for the same record, so the
//! field names inside Splunk are the documented case-folder ones.

use std::io::{self, Write};

use lockscope::Case;
use serde::Serialize;

use super::events_with_users;
use crate::jsonl::{event_line, versioned};

/// The `sourcetype` of events.
pub const EVENT_SOURCETYPE: &str = "lockscope:event";
/// The `sourcetype` of findings.
pub const FINDING_SOURCETYPE: &str = "lockscope:finding";

/// One HEC event.
#[derive(Serialize)]
struct Hec<'a, T: Serialize> {
    /// Epoch seconds with milliseconds.
    time: f64,
    /// The machine that logged the event, when known (else HEC's default host).
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<&'a str>,
    source: &'static str,
    sourcetype: &'static str,
    event: T,
}

/// Epoch seconds with millisecond precision, as HEC's `time` wants them.
fn seconds(ts: jiff::Timestamp) -> f64 {
    ts.as_millisecond() as f64 / 1000.0
}

fn write_line(w: &mut dyn Write, v: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *w, v)?;
    w.write_all(b"\n")
}

/// `export/splunk-hec/events.jsonl`.
pub(super) fn events(case: &Case, w: &mut dyn Write) -> io::Result<()> {
    events_with_users(case).try_for_each(|(e, user)| {
        let hec = Hec {
            time: seconds(e.time),
            host: e.host.as_deref(),
            source: "lockscope",
            sourcetype: EVENT_SOURCETYPE,
            event: event_line(e, user),
        };
        write_line(w, &hec)
    })
}

/// `export/splunk-hec/findings.jsonl`.
pub(super) fn findings(case: &Case, w: &mut dyn Write) -> io::Result<()> {
    case.findings.iter().try_for_each(|f| {
        let hec = Hec {
            time: seconds(f.window.end),
            host: None,
            source: "lockscope",
            sourcetype: FINDING_SOURCETYPE,
            event: versioned(f)?,
        };
        write_line(w, &hec)
    })
}
