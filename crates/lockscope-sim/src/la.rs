//! Non-interactive sign-ins as a Log Analytics CSV export of
//! `AADNonInteractiveUserSignInLogs`: PascalCase columns, nested values as JSON text,
//! `ResultType` as a string.

use crate::SimError;
use crate::clock::{Style, Ts};
use crate::signin::{LaStatus, PROCESSING, View};
use crate::writer::{Counted, FileStat};
use serde::Serialize;
use std::fmt::Write as _;
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;

/// The columns, in the order Log Analytics exports them.
pub(crate) const HEADER: &[&str] = &[
    "TenantId",
    "SourceSystem",
    "TimeGenerated",
    "ResourceId",
    "OperationName",
    "OperationVersion",
    "Category",
    "ResultType",
    "ResultSignature",
    "ResultDescription",
    "DurationMs",
    "CorrelationId",
    "Resource",
    "ResourceGroup",
    "ResourceProvider",
    "Identity",
    "Level",
    "Location",
    "AlternateSignInName",
    "AppDisplayName",
    "AppId",
    "AuthenticationContextClassReferences",
    "AuthenticationDetails",
    "AuthenticationMethodsUsed",
    "AuthenticationProcessingDetails",
    "AuthenticationProtocol",
    "AuthenticationRequirement",
    "AuthenticationRequirementPolicies",
    "AutonomousSystemNumber",
    "ClientAppUsed",
    "ConditionalAccessPolicies",
    "ConditionalAccessStatus",
    "CreatedDateTime",
    "CrossTenantAccessType",
    "DeviceDetail",
    "HomeTenantId",
    "Id",
    "IncomingTokenType",
    "IPAddress",
    "IsInteractive",
    "IsRisky",
    "LocationDetails",
    "MfaDetail",
    "NetworkLocationDetails",
    "OriginalRequestId",
    "ProcessingTimeInMs",
    "ResourceDisplayName",
    "ResourceIdentity",
    "ResourceServicePrincipalId",
    "ResourceTenantId",
    "RiskDetail",
    "RiskEventTypes",
    "RiskEventTypes_V2",
    "RiskLevelAggregated",
    "RiskLevelDuringSignIn",
    "RiskState",
    "ServicePrincipalId",
    "ServicePrincipalName",
    "SessionId",
    "SessionLifetimePolicies",
    "SignInEventTypes",
    "SignInIdentifier",
    "SignInIdentifierType",
    "Status",
    "TokenIssuerName",
    "TokenIssuerType",
    "UniqueTokenIdentifier",
    "UserAgent",
    "UserDisplayName",
    "UserId",
    "UserPrincipalName",
    "UserType",
    "Type",
];

/// The CSV file being written. The csv writer buffers, so it writes straight to the file.
pub(crate) struct NonInteractiveCsv {
    path: PathBuf,
    csv: csv::Writer<Counted<File>>,
    text: String,
    json: Vec<u8>,
    records: u64,
}

impl NonInteractiveCsv {
    pub(crate) fn create(path: PathBuf) -> Result<Self, SimError> {
        let file = File::create(&path).map_err(SimError::io(&path))?;
        let mut csv = csv::WriterBuilder::new().buffer_capacity(1 << 18).from_writer(Counted::new(file));
        csv.write_record(HEADER).map_err(SimError::csv(&path))?;
        Ok(Self { path, csv, text: String::new(), json: Vec::new(), records: 0 })
    }

    fn field(&mut self, value: &str) -> Result<(), SimError> {
        self.csv.write_field(value).map_err(SimError::csv(&self.path))
    }

    fn display(&mut self, value: impl std::fmt::Display) -> Result<(), SimError> {
        self.text.clear();
        let _ = write!(self.text, "{value}");
        self.csv.write_field(self.text.as_bytes()).map_err(SimError::csv(&self.path))
    }

    fn json<T: Serialize>(&mut self, value: &T) -> Result<(), SimError> {
        self.json.clear();
        serde_json::to_writer(&mut self.json, value).map_err(SimError::json(&self.path))?;
        self.csv.write_field(&self.json).map_err(SimError::csv(&self.path))
    }

    pub(crate) fn push(&mut self, v: &View<'_>) -> Result<(), SimError> {
        let s = v.s;
        let t = v.tenant;
        let status = v.status();
        let (risk_detail, aggregated, during, state, types) = v.risk();
        let resource = v.info.resource.app();
        self.display(t.id)?;
        self.field("Azure AD")?;
        self.display(Ts(s.t, Style::MillisTrim))?;
        self.field(&t.resource_path)?;
        self.field("Sign-in activity")?;
        self.field("1.0")?;
        self.field("NonInteractiveUserSignInLogs")?;
        self.display(s.code)?;
        self.field("None")?;
        self.field(status.failure_reason.unwrap_or(""))?;
        self.field("0")?;
        self.display(v.corr)?;
        self.field("Microsoft.aadiam")?;
        self.field("Microsoft.aadiam")?;
        self.field("Microsoft.aadiam")?;
        self.field(&v.user.display)?;
        self.field("4")?;
        self.field(v.place.country)?;
        self.field(v.user.upn_logged())?;
        self.field(v.info.app.name)?;
        self.field(v.info.app.id)?;
        self.field("[]")?;
        self.json(&v.auth_details())?;
        self.field("[]")?;
        self.json(&PROCESSING)?;
        self.field(v.info.protocol)?;
        self.field(v.requirement())?;
        self.field("[]")?;
        self.display(v.asn())?;
        self.field(v.info.client)?;
        self.json(&v.policies(true))?;
        self.field(v.ca_status())?;
        self.display(Ts(s.t, Style::TicksTrim))?;
        self.field("none")?;
        self.json(&v.device_detail())?;
        self.display(t.id)?;
        self.display(v.id)?;
        self.field(v.incoming_token_type())?;
        self.display(v.ip)?;
        self.field("false")?;
        self.field(if state == "atRisk" { "true" } else { "false" })?;
        self.json(&v.location(false))?;
        self.json(&v.mfa_detail())?;
        self.field("[]")?;
        self.display(v.original)?;
        self.display(v.processing_ms)?;
        self.field(resource.name)?;
        self.field(resource.id)?;
        self.display(v.resource_sp())?;
        self.display(t.id)?;
        self.field(risk_detail)?;
        self.json(&types)?;
        self.json(&types)?;
        self.field(aggregated)?;
        self.field(during)?;
        self.field(state)?;
        self.field("")?;
        self.field("")?;
        self.display(v.session)?;
        self.field("[]")?;
        self.field("[\"nonInteractiveUser\"]")?;
        self.field("")?;
        self.field("")?;
        self.json(&LaStatus::from(status))?;
        self.field("")?;
        self.field("AzureAD")?;
        self.display(v.id.uti())?;
        self.field(v.user_agent)?;
        self.field(&v.user.display)?;
        self.display(v.user.oid)?;
        self.field(v.user.upn_logged())?;
        self.field("Member")?;
        self.field("AADNonInteractiveUserSignInLogs")?;
        self.csv.write_record(None::<&[u8]>).map_err(SimError::csv(&self.path))?;
        self.records += 1;
        Ok(())
    }

    pub(crate) fn finish(mut self) -> Result<FileStat, SimError> {
        self.csv.flush().map_err(SimError::io(&self.path))?;
        let mut sink = self
            .csv
            .into_inner()
            .map_err(|e| SimError::Io { path: self.path.clone(), source: std::io::Error::other(e.to_string()) })?;
        sink.flush().map_err(SimError::io(&self.path))?;
        Ok((self.path, sink.bytes(), self.records))
    }
}
