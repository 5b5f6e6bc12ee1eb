//! Secrets inside parsed records are replaced before anything is written.
//!
//! Attackers and careless applications write tokens and passwords into fields a parser keeps: a
//! user name, an application name, a failure reason, a device name. Every text an [`Event`]
//! carries, and every text a [`FileReport`] quotes from its input, goes through the secret
//! redactor once, at ingest: a secret becomes `[REDACTED:<rule>:<fingerprint>]`, so no report,
//! export or database written later can hold it. The keyword prefilter decides most fields
//! without further work (see [`lockscope_secrets::Scanner::redact_text`]).
//!
//! The destructuring below names every field, so a new text field cannot be added to an event
//! without deciding here whether it is scrubbed.

use std::sync::OnceLock;

use lockscope_secrets::Scanner;

use crate::event::{Actor, App, Detail, Device, Event, Ids, Location, Principal, Risk};
use crate::source::FileReport;

/// The built-in scanner, built once and shared, or why its rules could not load.
pub(crate) fn scanner() -> Result<&'static Scanner, &'static str> {
    static SCANNER: OnceLock<Result<Scanner, String>> = OnceLock::new();
    match SCANNER.get_or_init(|| Scanner::builtin().map_err(|e| e.to_string())) {
        Ok(s) => Ok(s),
        Err(e) => Err(e),
    }
}

/// `s` lowercased, to compare names and ids, unless it holds a secret: a lowercased secret is
/// still a leak, but one the redactor no longer recognises (checksums and encodings break), so
/// such a text is returned redacted, as written.
pub(crate) fn lowercase(s: &str) -> String {
    match scanner().ok().and_then(|sc| sc.redact_text(s)) {
        Some(clean) => clean,
        None => s.to_lowercase(),
    }
}

/// Replaces the secrets in one text.
fn text(scanner: &Scanner, s: &mut String) {
    if let Some(clean) = scanner.redact_text(s) {
        *s = clean;
    }
}

/// Replaces the secrets in every text of an event. One keyword search over all its texts decides
/// most events (they hold no keyword) before any text is looked at alone.
pub(crate) fn event(scanner: &Scanner, e: &mut Event) {
    let mut fields = texts(e);
    let mut joined = Vec::with_capacity(fields.iter().map(|f| f.len() + 1).sum());
    for f in &fields {
        // Keywords hold no line break, so none is found across two texts.
        joined.extend_from_slice(f.as_bytes());
        joined.push(b'\n');
    }
    if !scanner.may_hold_secret(&joined) {
        return;
    }
    for f in &mut fields {
        text(scanner, f);
    }
}

/// Every text of an event.
fn texts(e: &mut Event) -> Vec<&mut String> {
    let mut out: Vec<&mut String> = Vec::new();
    let Event {
        time: _,
        kind: _,
        user,
        actor,
        host,
        source,
        ip,
        outcome: _,
        code,
        failure: _,
        reason,
        app,
        resource,
        device,
        location,
        ids,
        risk,
        detail,
        origin: _,
    } = e;
    if let Some(Principal { name, id, display }) = user {
        out.extend([name, id, display].into_iter().flatten());
    }
    if let Some(Actor { kind: _, id, name }) = actor {
        out.extend([id, name].into_iter().flatten());
    }
    out.extend([host, source, ip, code, reason, resource].into_iter().flatten());
    if let Some(App { id, name }) = app {
        out.extend([id, name].into_iter().flatten());
    }
    if let Some(Device { id, name, os, browser }) = device {
        out.extend([id, name, os, browser].into_iter().flatten());
    }
    if let Some(Location { country, city }) = location {
        out.extend([country, city].into_iter().flatten());
    }
    let Ids { record, correlation, request, token, session } = ids;
    out.extend([record, correlation, request, token, session].into_iter().flatten());
    if let Some(Risk { event_types, level, state, detail, timing, activity }) = risk {
        out.extend(event_types.iter_mut());
        out.extend([level, state, detail, timing, activity].into_iter().flatten());
    }
    let Detail {
        activity,
        category,
        valid_from: _,
        target,
        blocking_policies,
        risk_policy: _,
        incoming_token,
        auth_requirement,
        auth_methods,
        token_issued: _,
        token_expires: _,
        fingerprint: _,
        event_id: _,
        logon_type: _,
        process,
        sub_status,
        workstation,
    } = detail;
    out.extend(
        [activity, category, target, incoming_token, auth_requirement, process, sub_status, workstation]
            .into_iter()
            .flatten(),
    );
    out.extend(blocking_policies.iter_mut());
    out.extend(auth_methods.iter_mut());
    out
}

/// Replaces the secrets in the texts of a file report (error reasons may quote the input).
pub(crate) fn report(scanner: &Scanner, r: &mut FileReport) {
    for e in &mut r.errors {
        text(scanner, &mut e.reason);
    }
    for s in [&mut r.problem, &mut r.skipped].into_iter().flatten().chain(r.notes.iter_mut()) {
        text(scanner, s);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::event::{Kind, Origin, Position};

    const GITHUB: &str = "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";

    #[test]
    fn every_text_field_is_scrubbed() {
        let scanner = Scanner::builtin().expect("rules");
        let origin = Origin::new(&Arc::from("f"), Position::Line(1));
        let mut e = Event::new(jiff::Timestamp::UNIX_EPOCH, Kind::SignIn, origin);
        let planted = || Some(format!("token {GITHUB}"));
        e.user = Some(Principal { name: planted(), id: planted(), display: planted() });
        e.app = Some(App { id: planted(), name: planted() });
        e.device = Some(Device { id: planted(), name: planted(), os: planted(), browser: planted() });
        e.reason = planted();
        e.ip = planted();
        e.detail.blocking_policies = vec![format!("policy {GITHUB}")];
        e.detail.workstation = planted();
        e.risk = Some(Risk { event_types: vec![format!("x {GITHUB}")], detail: planted(), ..Risk::default() });
        e.ids.correlation = Some("cccc-1111".into());
        event(&scanner, &mut e);
        let json = serde_json::to_string(&e).expect("json");
        assert!(!json.contains(GITHUB), "{json}");
        assert!(json.contains("[REDACTED:github-"), "{json}");
        assert_eq!(e.ids.correlation.as_deref(), Some("cccc-1111"), "clean fields are left alone");
    }
}
