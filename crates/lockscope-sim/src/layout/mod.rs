//! Export layouts: in which native shape each record family is written.
//!
//! The records (and `truth.json`) are decided before any of this runs; a layout only picks, per
//! family, the writer that renders them. Writers stream: they hold one record and a buffer.

pub(crate) mod diagnostic;
pub(crate) mod log_analytics;
pub(crate) mod portal;
mod portal_audit;

use crate::SimError;
use crate::clock::{Style, Tick, Ts};
use crate::graph::{self, SignInRecord};
use crate::la::{LaSignIns, Table};
use crate::plan::Plan;
use crate::signin::View;
use crate::stream::{PAGE_SIZE, Route, SignInSink};
use crate::tenant::Tenant;
use crate::writer::{FileStat, Pager, named};
use crate::{audit, risk};
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// How the files of a data set are shaped: the same records, written the way a given export
/// path (Graph API, diagnostic settings, Log Analytics, the Entra portal) writes them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layout {
    /// Graph sign-in pages, the Log Analytics non-interactive CSV, diagnostic audit JSON Lines,
    /// Graph risk detections and the Log Analytics risky-users JSON (the original layout).
    #[default]
    Graph,
    /// Everything as Azure Monitor diagnostic settings deliver it: sign-ins as Event Hub
    /// batches, audit and risk as hourly storage blobs.
    Diagnostic,
    /// Everything as Log Analytics exports: sign-in tables as JSON, audit and risk as CSV.
    LogAnalytics,
    /// The Entra portal's downloads: sign-in and audit CSVs; risk as Graph JSON.
    Portal,
    /// A different layout per family, some files gzip-compressed.
    Mixed,
}

impl Layout {
    /// Every layout, in a stable order.
    pub const ALL: [Layout; 5] =
        [Layout::Graph, Layout::Diagnostic, Layout::LogAnalytics, Layout::Portal, Layout::Mixed];

    /// The layout's id as used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Graph => "graph",
            Layout::Diagnostic => "diagnostic",
            Layout::LogAnalytics => "log-analytics",
            Layout::Portal => "portal",
            Layout::Mixed => "mixed",
        }
    }

    /// The shape of every family.
    pub(crate) fn forms(self) -> Forms {
        use {AuditShape as A, RiskShape as R, SignInShape as S};
        fn plain<S>(shape: S) -> Form<S> {
            Form { shape, gzip: false }
        }
        fn gz<S>(shape: S) -> Form<S> {
            Form { shape, gzip: true }
        }
        match self {
            Layout::Graph => Forms {
                interactive: plain(S::GraphPages),
                non_interactive: plain(S::LogAnalyticsCsv),
                audit: plain(A::StorageFile),
                detections: plain(R::Graph),
                risky_users: plain(R::LogAnalyticsJson),
            },
            Layout::Diagnostic => Forms {
                interactive: plain(S::EventHub),
                non_interactive: plain(S::EventHub),
                audit: plain(A::StorageBlobs),
                detections: plain(R::StorageBlobs),
                risky_users: plain(R::StorageBlobs),
            },
            Layout::LogAnalytics => Forms {
                interactive: plain(S::LogAnalyticsJson),
                non_interactive: plain(S::LogAnalyticsJson),
                audit: plain(A::LogAnalyticsCsv),
                detections: plain(R::LogAnalyticsCsv),
                risky_users: plain(R::LogAnalyticsCsv),
            },
            Layout::Portal => Forms {
                interactive: plain(S::Portal),
                non_interactive: plain(S::Portal),
                audit: plain(A::Portal),
                detections: plain(R::Graph),
                risky_users: plain(R::Graph),
            },
            Layout::Mixed => Forms {
                interactive: plain(S::Portal),
                non_interactive: gz(S::EventHub),
                audit: gz(A::LogAnalyticsCsv),
                detections: plain(R::Graph),
                risky_users: plain(R::StorageBlobs),
            },
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Layout {
    type Err = SimError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Layout::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| SimError::UnknownLayout(s.to_string()))
    }
}

/// A family's shape and whether its files are gzipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Form<S> {
    pub shape: S,
    pub gzip: bool,
}

/// The shapes of the five families.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Forms {
    pub interactive: Form<SignInShape>,
    pub non_interactive: Form<SignInShape>,
    pub audit: Form<AuditShape>,
    pub detections: Form<RiskShape>,
    pub risky_users: Form<RiskShape>,
}

/// Shapes of sign-ins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SignInShape {
    /// Graph beta `signIn` list pages, `signins/interactive-NNNN.json` (`noninteractive-NNNN`).
    GraphPages,
    /// Log Analytics CSV export of the table (`SigninLogs.csv` or `AADNonInteractiveUserSignInLogs.csv`).
    LogAnalyticsCsv,
    /// Log Analytics JSON export of the table (`SigninLogs.json` or `AADNonInteractiveUserSignInLogs.json`).
    LogAnalyticsJson,
    /// Diagnostic envelopes in Event Hub batches, `eventhub/entra-signins.json`.
    EventHub,
    /// The portal download (`InteractiveSignIns_<from>_<to>.csv` or `NonInteractiveSignIns_…`).
    Portal,
}

/// Shapes of directory audits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AuditShape {
    /// Diagnostic envelopes in one JSON Lines file, `audit/PT1H.json`.
    StorageFile,
    /// Diagnostic envelopes in hourly storage blobs under `insights-logs-auditlogs/`.
    StorageBlobs,
    /// Log Analytics `AuditLogs.csv`.
    LogAnalyticsCsv,
    /// The portal download `AuditLogs_<from>_<to>.csv`.
    Portal,
}

/// Shapes of risk detections and risky users.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RiskShape {
    /// A Graph list response (`riskDetections.json`, `riskyUsers.json`).
    Graph,
    /// Diagnostic envelopes in hourly storage blobs (`insights-logs-userriskevents/`, `insights-logs-riskyusers/`).
    StorageBlobs,
    /// Log Analytics CSV (`AADUserRiskEvents.csv`, `AADRiskyUsers.csv`).
    LogAnalyticsCsv,
    /// Log Analytics JSON (`AADRiskyUsers.json`).
    LogAnalyticsJson,
}

/// Event Hub delivers sign-ins in arrival order; the other exports list newest first.
fn oldest_first(shape: SignInShape) -> bool {
    shape == SignInShape::EventHub
}

/// `2025-04-17_2025-04-20`: the window's first and last day, as portal file names carry them.
fn portal_span(window: (Tick, Tick)) -> String {
    let day = |t: Tick| Ts(t, Style::Seconds).to_string().chars().take(10).collect::<String>();
    format!("{}_{}", day(window.0), day(window.1 - 1))
}

/// Opens the sign-in writers of `forms`: one per family, or one for both when both go to the
/// same Event Hub stream (which mixes categories, as a real hub does).
pub(crate) fn signin_routes(forms: &Forms, out_dir: &Path, window: (Tick, Tick)) -> Result<Vec<Route>, SimError> {
    let (i, n) = (forms.interactive, forms.non_interactive);
    if i == n && i.shape == SignInShape::EventHub {
        let sink = diagnostic::EventHub::create(out_dir, i.gzip)?;
        return Ok(vec![Route { sink: Box::new(sink), interactive: true, non_interactive: true, oldest_first: true }]);
    }
    let mut routes = Vec::with_capacity(2);
    for (form, interactive) in [(i, true), (n, false)] {
        let sink = signin_sink(form, interactive, out_dir, window)?;
        routes.push(Route { sink, interactive, non_interactive: !interactive, oldest_first: oldest_first(form.shape) });
    }
    Ok(routes)
}

fn signin_sink(
    form: Form<SignInShape>,
    interactive: bool,
    out_dir: &Path,
    window: (Tick, Tick),
) -> Result<Box<dyn SignInSink>, SimError> {
    let table = Table::of(interactive);
    Ok(match form.shape {
        SignInShape::GraphPages => {
            let dir = out_dir.join("signins");
            std::fs::create_dir_all(&dir).map_err(SimError::io(&dir))?;
            let (stem, next) = if interactive {
                ("interactive", graph::NEXT_LINK)
            } else {
                ("noninteractive", graph::NEXT_LINK_NON_INTERACTIVE)
            };
            Box::new(Pager::new(&dir, stem, graph::PAGE_PREFIX, next, PAGE_SIZE))
        }
        SignInShape::LogAnalyticsCsv => {
            let path = named(out_dir, &format!("{}.csv", table.name()), form.gzip);
            Box::new(LaSignIns::csv(path, table, form.gzip)?)
        }
        SignInShape::LogAnalyticsJson => {
            let path = named(out_dir, &format!("{}.json", table.name()), form.gzip);
            Box::new(LaSignIns::json(path, table, form.gzip)?)
        }
        SignInShape::EventHub => Box::new(diagnostic::EventHub::create(out_dir, form.gzip)?),
        SignInShape::Portal => {
            let stem = if interactive { "InteractiveSignIns" } else { "NonInteractiveSignIns" };
            let path = named(out_dir, &format!("{stem}_{}.csv", portal_span(window)), form.gzip);
            Box::new(portal::SignInCsv::create(path, form.gzip)?)
        }
    })
}

impl SignInSink for Pager {
    fn push(&mut self, v: &View<'_>) -> Result<(), SimError> {
        Pager::push(self, &SignInRecord::new(v))
    }

    fn finish(self: Box<Self>) -> Result<Vec<FileStat>, SimError> {
        Pager::finish(*self)
    }
}

impl SignInSink for LaSignIns {
    fn push(&mut self, v: &View<'_>) -> Result<(), SimError> {
        LaSignIns::push(self, v)
    }

    fn finish(self: Box<Self>) -> Result<Vec<FileStat>, SimError> {
        Ok(vec![LaSignIns::finish(*self)?])
    }
}

/// Writes the audit rows, risk detections and risky-user snapshots in their shapes.
pub(crate) fn write_others(
    forms: &Forms,
    out_dir: &Path,
    tenant: &Tenant,
    plan: &Plan,
) -> Result<Vec<FileStat>, SimError> {
    let mut files = Vec::new();
    let Form { shape, gzip } = forms.audit;
    match shape {
        AuditShape::StorageFile => {
            let dir = out_dir.join("audit");
            std::fs::create_dir_all(&dir).map_err(SimError::io(&dir))?;
            files.push(audit::write(named(&dir, "PT1H.json", gzip), tenant, &plan.audits, gzip)?);
        }
        AuditShape::StorageBlobs => files.extend(diagnostic::write_audits(out_dir, tenant, &plan.audits, gzip)?),
        AuditShape::LogAnalyticsCsv => {
            files.push(log_analytics::write_audits(named(out_dir, "AuditLogs.csv", gzip), tenant, &plan.audits, gzip)?)
        }
        AuditShape::Portal => {
            let path = named(out_dir, &format!("AuditLogs_{}.csv", portal_span(plan.window)), gzip);
            files.push(portal_audit::write(path, tenant, &plan.audits, gzip)?);
        }
    }
    let Form { shape, gzip } = forms.detections;
    let detections = &plan.detections;
    match shape {
        RiskShape::Graph => {
            files.push(risk::write_detections(named(out_dir, "riskDetections.json", gzip), tenant, detections, gzip)?)
        }
        RiskShape::StorageBlobs => files.extend(diagnostic::write_detections(out_dir, tenant, detections, gzip)?),
        RiskShape::LogAnalyticsCsv | RiskShape::LogAnalyticsJson => {
            let json = shape == RiskShape::LogAnalyticsJson;
            let name = if json { "AADUserRiskEvents.json" } else { "AADUserRiskEvents.csv" };
            files.push(log_analytics::write_detections(named(out_dir, name, gzip), tenant, detections, json, gzip)?);
        }
    }
    let Form { shape, gzip } = forms.risky_users;
    let snapshots = &plan.snapshots;
    match shape {
        RiskShape::Graph => {
            files.push(risk::write_risky_users_graph(named(out_dir, "riskyUsers.json", gzip), tenant, snapshots, gzip)?)
        }
        RiskShape::StorageBlobs => files.extend(diagnostic::write_snapshots(out_dir, tenant, snapshots, gzip)?),
        RiskShape::LogAnalyticsCsv | RiskShape::LogAnalyticsJson => {
            let json = shape == RiskShape::LogAnalyticsJson;
            let name = if json { "AADRiskyUsers.json" } else { "AADRiskyUsers.csv" };
            files.push(log_analytics::write_snapshots(named(out_dir, name, gzip), tenant, snapshots, json, gzip)?);
        }
    }
    Ok(files)
}

/// Files any layout writes at the top of the output folder (each also as `….gz`).
const TOP_FILES: &[&str] = &[
    "SigninLogs.csv",
    "SigninLogs.json",
    "AADNonInteractiveUserSignInLogs.csv",
    "AADNonInteractiveUserSignInLogs.json",
    "AuditLogs.csv",
    "riskDetections.json",
    "riskyUsers.json",
    "AADUserRiskEvents.csv",
    "AADUserRiskEvents.json",
    "AADRiskyUsers.csv",
    "AADRiskyUsers.json",
    "truth.json",
];

/// Prefixes of portal downloads, followed by the date span and `.csv` (or `.csv.gz`).
const PORTAL_PREFIXES: &[&str] = &["InteractiveSignIns_", "NonInteractiveSignIns_", "AuditLogs_"];

/// Storage containers whose `PT1H.json` blobs a diagnostic layout writes.
const CONTAINERS: &[&str] =
    &[diagnostic::AUDIT_CONTAINER, diagnostic::RISK_EVENTS_CONTAINER, diagnostic::RISKY_USERS_CONTAINER];

/// Removes the `PT1H.json(.gz)` blobs under `dir`, then the folders they leave empty.
fn remove_blobs(dir: &Path) -> Result<(), SimError> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(()) };
    for entry in entries {
        let path = entry.map_err(SimError::io(dir))?.path();
        if path.is_dir() {
            remove_blobs(&path)?;
        } else if path.file_name().is_some_and(|n| n == "PT1H.json" || n == "PT1H.json.gz") {
            std::fs::remove_file(&path).map_err(SimError::io(&path))?;
        }
    }
    // Not empty means someone else's files are there: they stay.
    let _ = std::fs::remove_dir(dir);
    Ok(())
}

/// Removes what an earlier run (of any layout) wrote into `out_dir`, so that files of two runs
/// never mix (the engine would read both). Only names this generator uses are touched.
pub(crate) fn clean(out_dir: &Path) -> Result<(), SimError> {
    let remove = |path: &Path| -> Result<(), SimError> {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(SimError::io(path)(e)),
            _ => Ok(()),
        }
    };
    for name in TOP_FILES {
        remove(&out_dir.join(name))?;
        remove(&named(out_dir, name, true))?;
    }
    for dir in CONTAINERS {
        remove_blobs(&out_dir.join(dir))?;
    }
    for name in ["audit/PT1H.json", diagnostic::EVENT_HUB_FILE] {
        remove(&out_dir.join(name))?;
        remove(&named(out_dir, name, true))?;
    }
    let listed = |dir: &Path, keep: &dyn Fn(&str) -> bool| -> Result<(), SimError> {
        let Ok(entries) = std::fs::read_dir(dir) else { return Ok(()) };
        for entry in entries {
            let path = entry.map_err(SimError::io(dir))?.path();
            if path.file_name().and_then(|n| n.to_str()).is_some_and(keep) {
                remove(&path)?;
            }
        }
        Ok(())
    };
    listed(&out_dir.join("signins"), &|n| {
        (n.starts_with("interactive-") || n.starts_with("noninteractive-")) && n.ends_with(".json")
    })?;
    listed(out_dir, &|n| {
        PORTAL_PREFIXES.iter().any(|p| n.starts_with(p)) && (n.ends_with(".csv") || n.ends_with(".csv.gz"))
    })?;
    // Folders left empty go too; a folder that still holds someone else's files stays.
    for dir in ["signins", "audit", diagnostic::EVENT_HUB_DIR] {
        let _ = std::fs::remove_dir(out_dir.join(dir));
    }
    crate::windows::clean(out_dir)?;
    crate::leaks::clean(out_dir)?;
    crate::linux::clean(out_dir)
}
