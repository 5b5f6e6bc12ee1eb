//! The JSON and JSON Lines files of the case folder.
//!
//! Every record carries `schema_version` so a line taken out of its file still says what it is.

use std::io::{self, Write};

use lockscope::case::SCHEMA_VERSION;
use lockscope::{Case, Event};
use serde::Serialize;
use serde_json::{Value, json};

use crate::TOOL;

/// Writes one JSON value and a newline.
fn line(w: &mut dyn Write, v: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *w, v)?;
    w.write_all(b"\n")
}

/// `{"schema_version": N, …fields of v}`.
pub(crate) fn versioned(v: &impl Serialize) -> io::Result<Value> {
    let mut value = serde_json::to_value(v)?;
    if let Value::Object(map) = &mut value {
        let mut out = serde_json::Map::with_capacity(map.len() + 1);
        out.insert("schema_version".into(), json!(SCHEMA_VERSION));
        out.append(map);
        return Ok(Value::Object(out));
    }
    Ok(value)
}

/// `case.json`: what was read, with what settings, and what was found, in counts.
pub fn manifest(case: &Case, w: &mut dyn Write) -> io::Result<()> {
    let verdicts = lockscope::Verdict::ALL
        .iter()
        .map(|v| (v.as_str().to_string(), json!(case.users.iter().filter(|u| u.verdict == *v).count())))
        .collect::<serde_json::Map<_, _>>();
    let doc = json!({
        "schema_version": SCHEMA_VERSION,
        "tool": TOOL,
        "settings": case.settings,
        "totals": case.totals,
        "window": window(case),
        "duplicates_dropped": case.duplicates,
        "identities": case.identities,
        "affected_users": case.users.len(),
        "verdicts": verdicts,
        "incidents": case.incidents.len(),
        "findings": case.findings.len(),
        "token_invalidations": case.invalidations.len(),
        "secrets_found": case.secrets.len(),
        "inputs": case.files,
        "input_errors": case.input_errors,
        "events_over_cap": case.overflow,
    });
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    w.write_all(b"\n")
}

/// `{"start", "end"}`: the times of the first and last event read (null without events).
fn window(case: &Case) -> Value {
    match (case.events.first(), case.events.last()) {
        (Some(first), Some(last)) => json!({
            "start": lockscope::time::format(first.time),
            "end": lockscope::time::format(last.time),
        }),
        _ => Value::Null,
    }
}

/// `affected-users.jsonl`.
pub fn users(case: &Case, w: &mut dyn Write) -> io::Result<()> {
    case.users.iter().try_for_each(|u| line(w, &versioned(u)?))
}

/// `findings.jsonl`.
pub fn findings(case: &Case, w: &mut dyn Write) -> io::Result<()> {
    case.findings.iter().try_for_each(|f| line(w, &versioned(f)?))
}

/// `secrets.jsonl`: every secret or token found in the inputs, by fingerprint (never the value).
pub fn secrets(case: &Case, w: &mut dyn Write) -> io::Result<()> {
    case.secrets.iter().try_for_each(|s| line(w, &versioned(s)?))
}

/// `token-invalidations.jsonl`.
pub fn invalidations(case: &Case, w: &mut dyn Write) -> io::Result<()> {
    case.invalidations.iter().try_for_each(|i| line(w, &versioned(i)?))
}

/// `incidents.json`: one document with the incidents.
pub fn incidents(case: &Case, w: &mut dyn Write) -> io::Result<()> {
    let doc = json!({ "schema_version": SCHEMA_VERSION, "tool": TOOL, "incidents": case.incidents });
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    w.write_all(b"\n")
}

/// One line of `events.jsonl`: the contract's fields first, then the rest of the event.
#[derive(Serialize)]
pub(crate) struct EventLine<'a> {
    schema_version: u32,
    #[serde(serialize_with = "lockscope::time::serialize")]
    time: jiff::Timestamp,
    kind: lockscope::Kind,
    user: Option<&'a str>,
    host: Option<&'a str>,
    source: Option<&'a str>,
    ip: Option<&'a str>,
    outcome: lockscope::Outcome,
    code: Option<&'a str>,
    reason: Option<&'a str>,
    app: Option<&'a lockscope::event::App>,
    origin: &'a lockscope::Origin,
    failure: Option<lockscope::event::Failure>,
    actor: Option<&'a lockscope::event::Actor>,
    principal: Option<&'a lockscope::event::Principal>,
    resource: Option<&'a str>,
    device: Option<&'a lockscope::event::Device>,
    location: Option<&'a lockscope::event::Location>,
    ids: &'a lockscope::event::Ids,
    risk: Option<&'a lockscope::event::Risk>,
    detail: &'a lockscope::event::Detail,
}

/// `events.jsonl`.
pub fn events(case: &Case, w: &mut dyn Write) -> io::Result<()> {
    for (e, user) in case.events.iter().zip(&case.event_users) {
        line(w, &event_line(e, user.and_then(|u| case.names.get(u)).map(String::as_str)))?;
    }
    Ok(())
}

/// The `events.jsonl` line of one event, whose resolved identity is `user`.
pub(crate) fn event_line<'a>(e: &'a Event, user: Option<&'a str>) -> EventLine<'a> {
    EventLine {
        schema_version: SCHEMA_VERSION,
        time: e.time,
        kind: e.kind,
        user,
        host: e.host.as_deref(),
        source: e.source.as_deref(),
        ip: e.ip.as_deref(),
        outcome: e.outcome,
        code: e.code.as_deref(),
        reason: e.reason.as_deref(),
        app: e.app.as_ref(),
        origin: &e.origin,
        failure: e.failure,
        actor: e.actor.as_ref(),
        principal: e.user.as_ref(),
        resource: e.resource.as_deref(),
        device: e.device.as_ref(),
        location: e.location.as_ref(),
        ids: &e.ids,
        risk: e.risk.as_ref(),
        detail: &e.detail,
    }
}
