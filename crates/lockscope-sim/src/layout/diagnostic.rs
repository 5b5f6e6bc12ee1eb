//! Azure Monitor diagnostic-settings exports (formats.md §2.2, §3.2, §4.3): sign-ins as Event Hub
//! batches (`{"records": [...]}`, one batch a line), audit and risk records as storage blobs
//! (`<container>/tenantId=<tid>/y=YYYY/m=MM/d=DD/h=HH/m=00/PT1H.json`, JSON Lines, one blob an
//! hour).

use crate::SimError;
use crate::clock::{HOUR, Style, Tick, Ts, UsTime};
use crate::graph::SignInRecord;
use crate::ids::{self, Guid, Ip};
use crate::plan::{Audit, Detection, RiskKind, Snapshot};
use crate::risk::{self, RiskDetection};
use crate::signin::View;
use crate::stream::SignInSink;
use crate::tenant::Tenant;
use crate::writer::{FileStat, Output, named};
use serde::{Serialize, Serializer};
use std::fmt::Display;
use std::path::{Path, PathBuf};

/// Folder of the Event Hub capture.
pub(crate) const EVENT_HUB_DIR: &str = "eventhub";
/// The Event Hub capture: every sign-in category the layout routes to the hub.
pub(crate) const EVENT_HUB_FILE: &str = "eventhub/entra-signins.json";
/// Storage container of the `AuditLogs` category.
pub(crate) const AUDIT_CONTAINER: &str = "insights-logs-auditlogs";
/// Storage container of the `UserRiskEvents` category.
pub(crate) const RISK_EVENTS_CONTAINER: &str = "insights-logs-userriskevents";
/// Storage container of the `RiskyUsers` category.
pub(crate) const RISKY_USERS_CONTAINER: &str = "insights-logs-riskyusers";

/// A value written as a JSON string (`resultType` is the AADSTS code as text).
struct AsText<T>(T);

impl<T: Display> Serialize for AsText<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

/// `Level` of a sign-in envelope: the real samples have the string `"4"` (interactive,
/// formats.md §2.2 sample A) and the number `4` (non-interactive, sample B).
enum Level {
    Text,
    Number,
}

impl Serialize for Level {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Level::Text => s.serialize_str("4"),
            Level::Number => s.serialize_u8(4),
        }
    }
}

/// A sign-in in its diagnostic envelope.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SignInEnvelope<'v, 'a> {
    time: Ts,
    resource_id: &'a str,
    operation_name: &'static str,
    operation_version: &'static str,
    category: &'static str,
    tenant_id: Guid,
    result_type: AsText<u32>,
    result_signature: &'static str,
    result_description: &'static str,
    duration_ms: u32,
    caller_ip_address: Ip,
    correlation_id: Guid,
    identity: &'a str,
    #[serde(rename = "Level")]
    level: Level,
    location: &'static str,
    properties: SignInRecord<'v, 'a>,
}

impl<'v, 'a> SignInEnvelope<'v, 'a> {
    fn new(v: &'v View<'a>) -> Self {
        let interactive = v.info.interactive;
        SignInEnvelope {
            time: Ts(v.s.t, Style::Ticks),
            resource_id: &v.tenant.resource_path,
            operation_name: "Sign-in activity",
            operation_version: "1.0",
            category: if interactive { "SignInLogs" } else { "NonInteractiveUserSignInLogs" },
            tenant_id: v.tenant.id,
            result_type: AsText(v.s.code),
            result_signature: "None",
            result_description: v.status().failure_reason.unwrap_or(""),
            duration_ms: 0,
            caller_ip_address: v.ip,
            correlation_id: v.corr,
            identity: &v.user.display,
            level: if interactive { Level::Text } else { Level::Number },
            location: v.place.country,
            properties: SignInRecord::diagnostic(v),
        }
    }
}

/// Sign-ins as an Event Hub consumer saves them: each message a `{"records": [...]}` batch on its
/// own line, in arrival (time) order, categories mixed as the hub mixes them.
pub(crate) struct EventHub {
    out: Output,
    batch: u64,
    in_batch: u64,
    size: u64,
}

/// Records in the `n`th batch: 16 to 79, varying like real message sizes do.
fn batch_size(n: u64) -> u64 {
    16 + ids::mix(n ^ 0xeb0b) % 64
}

impl EventHub {
    pub(crate) fn create(out_dir: &Path, gzip: bool) -> Result<Self, SimError> {
        let dir = out_dir.join(EVENT_HUB_DIR);
        std::fs::create_dir_all(&dir).map_err(SimError::io(&dir))?;
        let out = Output::create_with(named(out_dir, EVENT_HUB_FILE, gzip), gzip)?;
        Ok(EventHub { out, batch: 0, in_batch: 0, size: batch_size(0) })
    }
}

impl SignInSink for EventHub {
    fn push(&mut self, v: &View<'_>) -> Result<(), SimError> {
        self.out.raw(if self.in_batch == 0 { b"{\"records\":[" } else { b"," })?;
        self.out.json(&SignInEnvelope::new(v))?;
        self.out.records += 1;
        self.in_batch += 1;
        if self.in_batch == self.size {
            self.out.raw(b"]}\n")?;
            self.batch += 1;
            self.in_batch = 0;
            self.size = batch_size(self.batch);
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<Vec<FileStat>, SimError> {
        if self.in_batch > 0 {
            self.out.raw(b"]}\n")?;
        }
        Ok(vec![self.out.finish()?])
    }
}

/// Hourly `PT1H.json` blobs of one storage container, written as records arrive in time order.
struct Blobs {
    root: PathBuf,
    gzip: bool,
    hour: Tick,
    out: Option<Output>,
    files: Vec<FileStat>,
}

impl Blobs {
    fn new(out_dir: &Path, container: &str, tenant: &Tenant, gzip: bool) -> Self {
        let root = out_dir.join(container).join(format!("tenantId={}", tenant.id));
        Blobs { root, gzip, hour: Tick::MIN, out: None, files: Vec::new() }
    }

    /// Appends a record to the blob of the hour of `t`. Callers pass times in order; a record
    /// of an earlier hour would stay in the open blob rather than overwrite a closed one.
    fn push<T: Serialize>(&mut self, t: Tick, value: &T) -> Result<(), SimError> {
        let hour = t.div_euclid(HOUR);
        if self.out.is_none() || hour > self.hour {
            if let Some(out) = self.out.take() {
                self.files.push(out.finish()?);
            }
            self.hour = hour;
            let stamp = Ts(hour * HOUR, Style::Seconds).to_string();
            let part = |from: usize, to: usize| stamp.get(from..to).unwrap_or("00").to_string();
            let dir =
                self.root.join(format!("y={}/m={}/d={}/h={}/m=00", part(0, 4), part(5, 7), part(8, 10), part(11, 13)));
            std::fs::create_dir_all(&dir).map_err(SimError::io(&dir))?;
            self.out = Some(Output::create_with(named(&dir, "PT1H.json", self.gzip), self.gzip)?);
        }
        match &mut self.out {
            Some(out) => out.line(value),
            None => Ok(()),
        }
    }

    fn finish(mut self) -> Result<Vec<FileStat>, SimError> {
        if let Some(out) = self.out.take() {
            self.files.push(out.finish()?);
        }
        Ok(self.files)
    }
}

/// Writes the audit rows (already diagnostic envelopes) into hourly blobs.
pub(crate) fn write_audits(
    out_dir: &Path,
    tenant: &Tenant,
    audits: &[Audit],
    gzip: bool,
) -> Result<Vec<FileStat>, SimError> {
    let mut blobs = Blobs::new(out_dir, AUDIT_CONTAINER, tenant, gzip);
    for a in audits {
        blobs.push(a.t, &crate::audit::render(tenant, a))?;
    }
    blobs.finish()
}

/// The envelope of the Identity Protection categories (formats.md §4.3 samples).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RiskEnvelope<'a, C, P> {
    time: UsTime,
    resource_id: &'a str,
    operation_name: &'static str,
    operation_version: &'static str,
    category: &'static str,
    tenant_id: Guid,
    result_signature: &'static str,
    duration_ms: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    caller_ip_address: Option<Ip>,
    correlation_id: C,
    /// The user's display name, lowercased as in the samples.
    identity: String,
    #[serde(rename = "Level")]
    level: u8,
    location: &'static str,
    properties: P,
}

/// A detection as the `properties` of a `UserRiskEvents` envelope: the Graph object plus the
/// fields diagnostic exports add, `detectedDateTime`/`lastUpdatedDateTime` with an unpadded hour.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DiagnosticDetection<'a> {
    #[serde(flatten)]
    detection: RiskDetection<'a>,
    /// The legacy duplicate of `riskEventType`; coarser for some types (formats.md §4.1).
    risk_type: &'static str,
    resource_tenant_id: Option<Guid>,
    home_tenant_id: Guid,
    user_type: &'static str,
    cross_tenant_access_type: &'static str,
}

/// The lowercase resource path the risk samples carry (`…/providers/microsoft.aadiam`).
fn risk_resource_id(tenant: &Tenant) -> String {
    format!("/tenants/{}/providers/microsoft.aadiam", tenant.id)
}

/// Writes the detections as `UserRiskEvents` envelopes into hourly blobs (by detection time).
pub(crate) fn write_detections(
    out_dir: &Path,
    tenant: &Tenant,
    detections: &[Detection],
    gzip: bool,
) -> Result<Vec<FileStat>, SimError> {
    let resource_id = risk_resource_id(tenant);
    let mut blobs = Blobs::new(out_dir, RISK_EVENTS_CONTAINER, tenant, gzip);
    for d in detections {
        let mut detection = risk::render(tenant, d);
        detection.detected_date_time.1 = Style::MillisLooseHour;
        detection.last_updated_date_time.1 = Style::MillisLooseHour;
        let envelope = RiskEnvelope {
            time: UsTime(detection.last_updated_date_time.0),
            resource_id: &resource_id,
            operation_name: "User Risk Detection",
            operation_version: "1.0",
            category: "UserRiskEvents",
            tenant_id: tenant.id,
            result_signature: "None",
            duration_ms: 0,
            caller_ip_address: detection.ip_address,
            correlation_id: detection.id,
            identity: detection.user_display_name.to_lowercase(),
            level: 4,
            location: "us",
            properties: DiagnosticDetection {
                risk_type: if d.kind == RiskKind::PasswordSpray { "generic" } else { d.kind.as_str() },
                detection,
                resource_tenant_id: None,
                home_tenant_id: tenant.id,
                user_type: "member",
                cross_tenant_access_type: "none",
            },
        };
        blobs.push(d.detected, &envelope)?;
    }
    blobs.finish()
}

/// Writes the risky-user snapshots as `RiskyUsers` envelopes into hourly blobs.
pub(crate) fn write_snapshots(
    out_dir: &Path,
    tenant: &Tenant,
    snapshots: &[Snapshot],
    gzip: bool,
) -> Result<Vec<FileStat>, SimError> {
    let resource_id = risk_resource_id(tenant);
    let mut blobs = Blobs::new(out_dir, RISKY_USERS_CONTAINER, tenant, gzip);
    for s in snapshots {
        let user = tenant.user(s.user);
        let envelope = RiskEnvelope {
            time: UsTime(s.t),
            resource_id: &resource_id,
            operation_name: "Risky user",
            operation_version: "1.0",
            category: "RiskyUsers",
            tenant_id: tenant.id,
            result_signature: "None",
            duration_ms: 0,
            caller_ip_address: None,
            correlation_id: user.oid,
            identity: user.display.to_lowercase(),
            level: 4,
            location: "us",
            properties: risk::risky_user(tenant, s, true),
        };
        blobs.push(s.t, &envelope)?;
    }
    blobs.finish()
}
