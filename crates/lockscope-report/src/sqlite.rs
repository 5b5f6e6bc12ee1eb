//! `case.sqlite`: the whole case in one SQLite database, for ad-hoc SQL over every event, finding,
//! affected user, incident, invalidation and leaked secret (by fingerprint only).
//!
//! Rows go in through prepared statements inside one transaction, with the indexes built after
//! the rows (fast for a million events); rows are inserted in the case's own sorted order, so the
//! same case gives the same file, byte for byte. The database is written to `case.sqlite.tmp`
//! and renamed into place, so a reader never sees a half-written file. The schema is documented
//! in `docs/schemas.md` and kept in [`SCHEMA`].

use std::io;
use std::path::{Path, PathBuf};

use lockscope::case::SCHEMA_VERSION;
use lockscope::event::{Actor, ActorKind};
use lockscope::finding::Evidence;
use lockscope::{Case, Event, Position};
use rusqlite::{Connection, Transaction, params};

use crate::{ReportError, TOOL};

/// The tables, created before any row is inserted. Lists are JSON arrays in `TEXT` columns;
/// times are RFC 3339 UTC text as in every other output.
pub const SCHEMA: &str = "
CREATE TABLE meta (
  name  TEXT NOT NULL,
  value TEXT NOT NULL
);
CREATE TABLE events (
  id                INTEGER PRIMARY KEY,
  time              TEXT NOT NULL,
  unix_ms           INTEGER NOT NULL,
  kind              TEXT NOT NULL,
  user              TEXT,
  principal_name    TEXT,
  principal_id      TEXT,
  principal_display TEXT,
  actor_type        TEXT,
  actor_id          TEXT,
  actor_name        TEXT,
  host              TEXT,
  source            TEXT,
  ip                TEXT,
  outcome           TEXT NOT NULL,
  code              TEXT,
  failure           TEXT,
  reason            TEXT,
  app_id            TEXT,
  app_name          TEXT,
  resource          TEXT,
  device_id         TEXT,
  device_name       TEXT,
  device_os         TEXT,
  device_browser    TEXT,
  country           TEXT,
  city              TEXT,
  record_id         TEXT,
  correlation_id    TEXT,
  request_id        TEXT,
  token_id          TEXT,
  session_id        TEXT,
  risk_level        TEXT,
  risk_state        TEXT,
  risk_types        TEXT,
  activity          TEXT,
  event_id          INTEGER,
  logon_type        INTEGER,
  process           TEXT,
  workstation       TEXT,
  file              TEXT NOT NULL,
  position_kind     TEXT NOT NULL,
  position          INTEGER NOT NULL
);
CREATE TABLE findings (
  id             TEXT NOT NULL,
  rule           TEXT NOT NULL,
  summary        TEXT NOT NULL,
  confidence     REAL NOT NULL,
  window_start   TEXT NOT NULL,
  window_end     TEXT NOT NULL,
  users          TEXT NOT NULL,
  sources        TEXT NOT NULL,
  compromise     INTEGER NOT NULL,
  remedies       TEXT NOT NULL,
  evidence_total INTEGER NOT NULL
);
CREATE TABLE finding_users (
  finding_id TEXT NOT NULL,
  user       TEXT NOT NULL
);
CREATE TABLE evidence (
  finding_id    TEXT NOT NULL,
  seq           INTEGER NOT NULL,
  file          TEXT NOT NULL,
  position_kind TEXT NOT NULL,
  position      INTEGER NOT NULL,
  time          TEXT NOT NULL,
  note          TEXT NOT NULL
);
CREATE TABLE users (
  user             TEXT NOT NULL,
  object_id        TEXT,
  aliases          TEXT NOT NULL,
  root_cause       TEXT NOT NULL,
  contributing     TEXT NOT NULL,
  verdict          TEXT NOT NULL,
  confidence       REAL NOT NULL,
  first_seen       TEXT NOT NULL,
  last_seen        TEXT NOT NULL,
  actions          TEXT NOT NULL,
  incident         TEXT,
  explanation      TEXT NOT NULL,
  events           INTEGER NOT NULL,
  sign_ins         INTEGER NOT NULL,
  failures         INTEGER NOT NULL,
  lockouts         INTEGER NOT NULL,
  risk_blocks      INTEGER NOT NULL,
  token_rejections INTEGER NOT NULL,
  risk_detections  INTEGER NOT NULL,
  findings         TEXT NOT NULL
);
CREATE TABLE incidents (
  id             TEXT NOT NULL,
  kind           TEXT NOT NULL,
  window_start   TEXT NOT NULL,
  window_end     TEXT NOT NULL,
  initiator_type TEXT,
  initiator_id   TEXT,
  initiator_name TEXT,
  sources        TEXT NOT NULL,
  signature      TEXT NOT NULL,
  confidence     REAL NOT NULL,
  members        INTEGER NOT NULL,
  evidence       TEXT NOT NULL
);
CREATE TABLE incident_members (
  incident_id TEXT NOT NULL,
  user        TEXT NOT NULL
);
CREATE TABLE invalidations (
  user           TEXT NOT NULL,
  time           TEXT NOT NULL,
  kind           TEXT NOT NULL,
  initiator_type TEXT,
  initiator_id   TEXT,
  initiator_name TEXT,
  correlation_id TEXT,
  valid_from     TEXT,
  incident       TEXT,
  evidence       TEXT NOT NULL
);
CREATE TABLE secrets (
  file        TEXT NOT NULL,
  line        INTEGER NOT NULL,
  byte_offset INTEGER NOT NULL,
  rule        TEXT NOT NULL,
  name        TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  owner       TEXT,
  token_kind  TEXT,
  upn         TEXT,
  issued_at   TEXT,
  expires_at  TEXT,
  token       TEXT
);
";

/// Built after the rows are in: one index build is much faster than a million index updates.
pub const INDEXES: &str = "
CREATE INDEX events_time ON events (time);
CREATE INDEX events_user_time ON events (user, time);
CREATE INDEX events_kind ON events (kind);
CREATE INDEX findings_id ON findings (id);
CREATE INDEX findings_window ON findings (window_start);
CREATE INDEX finding_users_user ON finding_users (user);
CREATE INDEX finding_users_finding ON finding_users (finding_id);
CREATE INDEX evidence_finding ON evidence (finding_id);
CREATE INDEX evidence_time ON evidence (time);
CREATE INDEX users_user ON users (user);
CREATE INDEX users_first_seen ON users (first_seen);
CREATE INDEX incidents_id ON incidents (id);
CREATE INDEX incident_members_user ON incident_members (user);
CREATE INDEX incident_members_incident ON incident_members (incident_id);
CREATE INDEX invalidations_user_time ON invalidations (user, time);
CREATE INDEX invalidations_time ON invalidations (time);
CREATE INDEX secrets_owner ON secrets (owner);
";

/// Writes `case.sqlite` at `path` (through `path` + `.tmp`, renamed into place).
pub fn write(case: &Case, path: &Path) -> Result<PathBuf, ReportError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let err = |source: io::Error| ReportError { path: path.display().to_string(), source };
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(err(e)),
        _ => {}
    }
    let written = build(case, &tmp).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        // Best effort: the error that matters is the one returned.
        let _ = std::fs::remove_file(&tmp);
        return Err(err(e));
    }
    Ok(path.to_path_buf())
}

/// Creates the database at `path` and fills it.
fn build(case: &Case, path: &Path) -> io::Result<()> {
    let mut conn = Connection::open(path).map_err(io::Error::other)?;
    // A fresh file that is renamed into place only once complete: no journal is needed.
    conn.execute_batch(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA temp_store = MEMORY; \
         PRAGMA cache_size = -65536;",
    )
    .map_err(io::Error::other)?;
    conn.pragma_update(None, "user_version", SCHEMA_VERSION).map_err(io::Error::other)?;
    conn.execute_batch(SCHEMA).map_err(io::Error::other)?;
    let tx = conn.transaction().map_err(io::Error::other)?;
    fill(case, &tx).map_err(io::Error::other)?;
    tx.execute_batch(INDEXES).map_err(io::Error::other)?;
    tx.commit().map_err(io::Error::other)?;
    conn.close().map_err(|(_, e)| io::Error::other(e))
}

/// Inserts every row, in the case's order.
fn fill(case: &Case, tx: &Transaction<'_>) -> rusqlite::Result<()> {
    meta(case, tx)?;
    events(case, tx)?;
    findings(case, tx)?;
    users(case, tx)?;
    incidents(case, tx)?;
    invalidations(case, tx)?;
    secrets(case, tx)
}

/// A list as JSON text (`[]` when empty).
fn json<T: serde::Serialize + ?Sized>(v: &T) -> rusqlite::Result<String> {
    serde_json::to_string(v).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// The stable id a unit enum serialises to (`password-spray`, `session-revocation`, …).
fn name(v: &impl serde::Serialize) -> rusqlite::Result<String> {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        Ok(other) => Ok(other.to_string()),
        Err(e) => Err(rusqlite::Error::ToSqlConversionFailure(Box::new(e))),
    }
}

/// An unsigned count or position as SQLite's signed integer (saturating; never reached).
fn int(n: impl TryInto<i64>) -> i64 {
    n.try_into().unwrap_or(i64::MAX)
}

/// A position as (`line` | `record` | `offset`, number).
fn position(p: Position) -> (&'static str, i64) {
    match p {
        Position::Line(n) => ("line", int(n)),
        Position::Record(n) => ("record", int(n)),
        Position::Offset(n) => ("offset", int(n)),
    }
}

/// An actor as (type, id, name).
fn actor(a: Option<&Actor>) -> (Option<&'static str>, Option<&str>, Option<&str>) {
    match a {
        Some(a) => (
            Some(match a.kind {
                ActorKind::User => "user",
                ActorKind::App => "app",
                ActorKind::System => "system",
            }),
            a.id.as_deref(),
            a.name.as_deref(),
        ),
        None => (None, None, None),
    }
}

fn meta(case: &Case, tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let mut st = tx.prepare("INSERT INTO meta (name, value) VALUES (?1, ?2)")?;
    let rows = [
        ("schema_version", SCHEMA_VERSION.to_string()),
        ("tool", TOOL.to_string()),
        ("events", case.events.len().to_string()),
        ("identities", case.identities.to_string()),
        ("affected_users", case.users.len().to_string()),
    ];
    for (name, value) in rows {
        st.execute(params![name, value])?;
    }
    Ok(())
}

fn events(case: &Case, tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let mut st = tx.prepare(
        "INSERT INTO events VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, \
         ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37, ?38, \
         ?39, ?40, ?41, ?42, ?43)",
    )?;
    for (i, (e, user)) in case.events.iter().zip(&case.event_users).enumerate() {
        let user = user.and_then(|u| case.names.get(u)).map(String::as_str);
        event(&mut st, int(i + 1), e, user)?;
    }
    Ok(())
}

fn event(st: &mut rusqlite::Statement<'_>, id: i64, e: &Event, user: Option<&str>) -> rusqlite::Result<()> {
    let principal = e.user.as_ref();
    let (actor_type, actor_id, actor_name) = actor(e.actor.as_ref());
    let device = e.device.as_ref();
    let location = e.location.as_ref();
    let risk = e.risk.as_ref();
    let risk_types = match risk {
        Some(r) if !r.event_types.is_empty() => Some(json(&r.event_types)?),
        _ => None,
    };
    let (position_kind, position) = position(e.origin.pos);
    st.execute(params![
        id,
        e.time.to_string(),
        e.time.as_millisecond(),
        e.kind.as_str(),
        user,
        principal.and_then(|p| p.name.as_deref()),
        principal.and_then(|p| p.id.as_deref()),
        principal.and_then(|p| p.display.as_deref()),
        actor_type,
        actor_id,
        actor_name,
        e.host.as_deref(),
        e.source.as_deref(),
        e.ip.as_deref(),
        outcome(e.outcome),
        e.code.as_deref(),
        e.failure.map(|f| f.as_str()),
        e.reason.as_deref(),
        e.app.as_ref().and_then(|a| a.id.as_deref()),
        e.app.as_ref().and_then(|a| a.name.as_deref()),
        e.resource.as_deref(),
        device.and_then(|d| d.id.as_deref()),
        device.and_then(|d| d.name.as_deref()),
        device.and_then(|d| d.os.as_deref()),
        device.and_then(|d| d.browser.as_deref()),
        location.and_then(|l| l.country.as_deref()),
        location.and_then(|l| l.city.as_deref()),
        e.ids.record.as_deref(),
        e.ids.correlation.as_deref(),
        e.ids.request.as_deref(),
        e.ids.token.as_deref(),
        e.ids.session.as_deref(),
        risk.and_then(|r| r.level.as_deref()),
        risk.and_then(|r| r.state.as_deref()),
        risk_types,
        e.detail.activity.as_deref(),
        e.detail.event_id,
        e.detail.logon_type,
        e.detail.process.as_deref(),
        e.detail.workstation.as_deref(),
        &*e.origin.file,
        position_kind,
        position,
    ])?;
    Ok(())
}

/// The stable name of an outcome, as in `events.jsonl`.
pub(crate) fn outcome(o: lockscope::Outcome) -> &'static str {
    match o {
        lockscope::Outcome::Success => "success",
        lockscope::Outcome::Failure => "failure",
        lockscope::Outcome::Interrupted => "interrupted",
        lockscope::Outcome::Info => "info",
    }
}

fn findings(case: &Case, tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let mut finding = tx.prepare("INSERT INTO findings VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")?;
    let mut user = tx.prepare("INSERT INTO finding_users VALUES (?1, ?2)")?;
    let mut evidence = tx.prepare("INSERT INTO evidence VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?;
    for f in &case.findings {
        finding.execute(params![
            f.id,
            f.rule.as_str(),
            f.summary,
            f.confidence,
            f.window.start.to_string(),
            f.window.end.to_string(),
            json(&f.users)?,
            json(&f.sources)?,
            f.compromise,
            json(&f.remedies)?,
            int(f.evidence_total),
        ])?;
        for u in &f.users {
            user.execute(params![f.id, u])?;
        }
        for (seq, ev) in f.evidence.iter().enumerate() {
            let Evidence { origin, time, note } = ev;
            let (kind, pos) = position(origin.pos);
            evidence.execute(params![f.id, int(seq + 1), &*origin.file, kind, pos, time.to_string(), note])?;
        }
    }
    Ok(())
}

fn users(case: &Case, tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let mut st = tx.prepare(
        "INSERT INTO users VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, \
         ?18, ?19, ?20)",
    )?;
    for u in &case.users {
        let c = &u.counts;
        st.execute(params![
            u.user,
            u.object_id,
            json(&u.aliases)?,
            u.root_cause.as_str(),
            json(&u.contributing)?,
            u.verdict.as_str(),
            u.confidence,
            u.first_seen.to_string(),
            u.last_seen.to_string(),
            json(&u.actions)?,
            u.incident,
            u.explanation,
            int(c.events),
            int(c.sign_ins),
            int(c.failures),
            int(c.lockouts),
            int(c.risk_blocks),
            int(c.token_rejections),
            int(c.risk_detections),
            json(&u.findings)?,
        ])?;
    }
    Ok(())
}

fn incidents(case: &Case, tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let mut st = tx.prepare("INSERT INTO incidents VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)")?;
    let mut member = tx.prepare("INSERT INTO incident_members VALUES (?1, ?2)")?;
    for i in &case.incidents {
        let (actor_type, actor_id, actor_name) = actor(i.initiator.as_ref());
        st.execute(params![
            i.id,
            name(&i.kind)?,
            i.window.start.to_string(),
            i.window.end.to_string(),
            actor_type,
            actor_id,
            actor_name,
            json(&i.sources)?,
            json(&i.signature)?,
            i.confidence,
            int(i.members.len()),
            json(&i.evidence)?,
        ])?;
        for m in &i.members {
            member.execute(params![i.id, m])?;
        }
    }
    Ok(())
}

fn invalidations(case: &Case, tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let mut st = tx.prepare("INSERT INTO invalidations VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")?;
    for v in &case.invalidations {
        let (actor_type, actor_id, actor_name) = actor(v.initiator.as_ref());
        st.execute(params![
            v.user,
            v.time.to_string(),
            name(&v.kind)?,
            actor_type,
            actor_id,
            actor_name,
            v.correlation_id,
            v.valid_from.map(|t| t.to_string()),
            v.incident,
            json(&v.evidence)?,
        ])?;
    }
    Ok(())
}

fn secrets(case: &Case, tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let mut st = tx.prepare("INSERT INTO secrets VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)")?;
    for s in &case.secrets {
        let (_, line) = position(s.origin.pos);
        let token = s.token.as_ref();
        st.execute(params![
            &*s.origin.file,
            line,
            int(s.offset),
            s.rule,
            s.name,
            s.fingerprint,
            s.owner,
            token.and_then(|t| t.kind.as_deref()),
            token.and_then(|t| t.upn.as_deref()),
            token.and_then(|t| t.issued_at).map(|t| t.to_string()),
            token.and_then(|t| t.expires_at).map(|t| t.to_string()),
            token.map(json).transpose()?,
        ])?;
    }
    Ok(())
}
