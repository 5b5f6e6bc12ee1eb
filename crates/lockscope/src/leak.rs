//! Secrets and tokens found in the inputs themselves. Every input `investigate` reads is also
//! scanned by `lockscope-secrets`; each find becomes a [`Sighting`] (listed in `secrets.jsonl`)
//! and, when the token names its owner (a JWT's `upn`/`oid`), a [`Kind::TokenLeaked`] event on
//! that user's timeline, which the `token-leaked` rule explains.

use std::sync::Arc;

use jiff::Timestamp;
use lockscope_secrets::{Leak, ScanOptions, Scanner, TokenInfo};
use serde::Serialize;

use crate::event::{App, Event, Kind, Origin, Position, Principal};

/// One secret found in an input. Holds no secret material: its fingerprint names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sighting {
    /// Where it is (file and line).
    #[serde(flatten)]
    pub origin: Origin,
    /// Byte offset in the (decompressed) file.
    pub offset: u64,
    /// The scanner rule (`jwt`, `entra-refresh-token`, `aws-access-key-id`, …).
    pub rule: String,
    /// The rule's human name.
    pub name: String,
    /// The keyed fingerprint of the secret.
    pub fingerprint: String,
    /// What the token says about itself (owner, tenant, app, issue and expiry), read offline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenInfo>,
    /// The identity the token belongs to, once resolved against the other logs.
    pub owner: Option<String>,
}

/// Scans one stream; read errors end the scan of that stream and are returned with what was found.
pub(crate) fn scan(scanner: &Scanner, name: &Arc<str>, reader: impl std::io::Read) -> (Vec<Sighting>, Option<String>) {
    let (report, error) = match scanner.scan_reader(reader, &ScanOptions::default()) {
        Ok(r) => (r, None),
        Err((r, e)) => (r, Some(format!("{name}: secret scan stopped: {e}"))),
    };
    (report.leaks.into_iter().map(|l| sighting(name, l)).collect(), error)
}

fn sighting(name: &Arc<str>, leak: Leak) -> Sighting {
    Sighting {
        origin: Origin::new(name, Position::Line(leak.line)),
        offset: leak.offset,
        rule: leak.rule,
        name: leak.name,
        fingerprint: leak.fingerprint,
        token: leak.token,
        owner: None,
    }
}

/// The event for a sighting of a token that names its owner and says when it was issued.
pub(crate) fn event(s: &Sighting) -> Option<Event> {
    let token = s.token.as_ref()?;
    if token.upn.is_none() && token.oid.is_none() {
        return None;
    }
    // Without `iat` the token has no place on a timeline (its `exp` would put it after every
    // other event and move the end of the logs); it stays in `secrets.jsonl`.
    let time: Timestamp = token.issued_at?;
    let mut e = Event::new(time, Kind::TokenLeaked, s.origin.clone());
    e.user = Some(Principal {
        name: token.upn.as_ref().map(|u| u.to_ascii_lowercase()),
        id: token.oid.as_ref().map(|o| o.to_ascii_lowercase()),
        display: None,
    });
    e.app = token.app_id.as_ref().map(|id| App { id: Some(id.to_ascii_lowercase()), name: None });
    e.resource = token.audience.clone();
    e.ids.token = token.uti.clone();
    e.ids.request = token.request_id.clone();
    e.ids.session = token.session_id.clone();
    e.reason = Some(format!("{} ({})", s.name, token.kind.as_deref().unwrap_or("token")));
    e.detail.activity = Some(s.rule.clone());
    e.detail.token_issued = token.issued_at;
    e.detail.token_expires = token.expires_at;
    e.detail.fingerprint = Some(s.fingerprint.clone());
    Some(e)
}
