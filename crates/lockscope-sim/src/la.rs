//! Sign-ins as Log Analytics rows of `SigninLogs` (interactive) and
//! `AADNonInteractiveUserSignInLogs` (formats.md §2.3): PascalCase columns, `ResultType` a
//! string, nested values `dynamic` in `SigninLogs` but JSON text in the non-interactive table.
//!
//! One column emitter ([`row`]) feeds both the CSV export (every nested value as JSON text) and
//! the JSON export (dynamic columns as objects, string columns as JSON text), so the two can
//! never disagree on a value.

use crate::SimError;
use crate::clock::{Style, Ts};
use crate::signin::{LaStatus, PROCESSING, View};
use crate::writer::{CsvOut, CsvStyle, FileStat, JsonArray};
use serde::ser::{Error as _, SerializeMap};
use serde::{Serialize, Serializer};
use std::fmt::Display;
use std::path::PathBuf;

/// The two sign-in tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Table {
    /// `SigninLogs`: interactive sign-ins.
    SigninLogs,
    /// `AADNonInteractiveUserSignInLogs`.
    NonInteractive,
}

impl Table {
    /// The table for a sign-in's interactivity.
    pub(crate) fn of(interactive: bool) -> Self {
        if interactive { Table::SigninLogs } else { Table::NonInteractive }
    }

    /// The table's name (`Type` column and export file stem).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Table::SigninLogs => "SigninLogs",
            Table::NonInteractive => "AADNonInteractiveUserSignInLogs",
        }
    }

    fn has(self, only: Only) -> bool {
        match only {
            Only::Both => true,
            Only::Interactive => self == Table::SigninLogs,
            Only::NonInteractive => self == Table::NonInteractive,
        }
    }

    /// The columns in the order Log Analytics exports them (standard columns, then the
    /// table's own alphabetically, then `Type`).
    pub(crate) fn header(self) -> Vec<&'static str> {
        COLUMNS.iter().filter(|(_, only)| self.has(*only)).map(|(name, _)| *name).collect()
    }
}

/// Which table a column belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Only {
    Both,
    Interactive,
    NonInteractive,
}

use Only::{Both, Interactive as I, NonInteractive as N};

/// Every column of either table; [`row`] emits them in this order.
const COLUMNS: &[(&str, Only)] = &[
    ("TenantId", Both),
    ("SourceSystem", Both),
    ("TimeGenerated", Both),
    ("ResourceId", Both),
    ("OperationName", Both),
    ("OperationVersion", Both),
    ("Category", Both),
    ("ResultType", Both),
    ("ResultSignature", Both),
    ("ResultDescription", Both),
    ("DurationMs", Both),
    ("CorrelationId", Both),
    ("Resource", Both),
    ("ResourceGroup", Both),
    ("ResourceProvider", Both),
    ("Identity", Both),
    ("Level", Both),
    ("Location", Both),
    ("AADTenantId", I),
    ("AlternateSignInName", Both),
    ("AppDisplayName", Both),
    ("AppId", Both),
    ("AppliedConditionalAccessPolicies", I),
    ("AppliedEventListeners", I),
    ("AuthenticationContextClassReferences", Both),
    ("AuthenticationDetails", Both),
    ("AuthenticationMethodsUsed", Both),
    ("AuthenticationProcessingDetails", Both),
    ("AuthenticationProtocol", Both),
    ("AuthenticationRequirement", Both),
    ("AuthenticationRequirementPolicies", Both),
    ("AutonomousSystemNumber", Both),
    ("ClientAppUsed", Both),
    ("ConditionalAccessPolicies", Both),
    ("ConditionalAccessStatus", Both),
    ("CreatedDateTime", Both),
    ("CrossTenantAccessType", Both),
    ("DeviceDetail", Both),
    ("FlaggedForReview", I),
    ("HomeTenantId", Both),
    ("Id", Both),
    ("IncomingTokenType", Both),
    ("IPAddress", Both),
    ("IPAddressFromResourceProvider", I),
    ("IsInteractive", Both),
    ("IsRisky", Both),
    ("LocationDetails", Both),
    ("MfaDetail", Both),
    ("NetworkLocationDetails", Both),
    ("OriginalRequestId", Both),
    ("ProcessingTimeInMilliseconds", I),
    ("ProcessingTimeInMs", N),
    ("ResourceDisplayName", Both),
    ("ResourceIdentity", Both),
    ("ResourceServicePrincipalId", Both),
    ("ResourceTenantId", Both),
    ("RiskDetail", Both),
    ("RiskEventTypes", Both),
    ("RiskEventTypes_V2", Both),
    ("RiskLevel", I),
    ("RiskLevelAggregated", Both),
    ("RiskLevelDuringSignIn", Both),
    ("RiskState", Both),
    ("ServicePrincipalId", Both),
    ("ServicePrincipalName", Both),
    ("SessionId", Both),
    ("SessionLifetimePolicies", Both),
    ("SignInEventTypes", N),
    ("SignInIdentifier", Both),
    ("SignInIdentifierType", Both),
    ("Status", Both),
    ("TokenIssuerName", Both),
    ("TokenIssuerType", Both),
    ("UniqueTokenIdentifier", Both),
    ("UserAgent", Both),
    ("UserDisplayName", Both),
    ("UserId", Both),
    ("UserPrincipalName", Both),
    ("UserType", Both),
    ("Type", Both),
];

/// Receives a row's cells by column type; the CSV and JSON writers render each type their way.
pub(crate) trait Cells {
    type Error;
    /// A `string` column.
    fn text(&mut self, name: &'static str, value: &str) -> Result<(), Self::Error>;
    /// A `string` column holding a value's `Display` text.
    fn display<D: Display + ?Sized>(&mut self, name: &'static str, value: &D) -> Result<(), Self::Error>;
    /// A `long` column.
    fn number(&mut self, name: &'static str, value: u64) -> Result<(), Self::Error>;
    /// A `bool` column.
    fn boolean(&mut self, name: &'static str, value: bool) -> Result<(), Self::Error>;
    /// A `dynamic` column (an object or array).
    fn dynamic<T: Serialize + ?Sized>(&mut self, name: &'static str, value: &T) -> Result<(), Self::Error>;
    /// A `string` column holding JSON text.
    fn json_text<T: Serialize + ?Sized>(&mut self, name: &'static str, value: &T) -> Result<(), Self::Error>;
}

const NONE: [u8; 0] = [];

/// Emits the columns of one sign-in, in [`COLUMNS`] order for `table`.
pub(crate) fn row<C: Cells>(v: &View<'_>, table: Table, c: &mut C) -> Result<(), C::Error> {
    let (s, t) = (v.s, v.tenant);
    let status = v.status();
    let (risk_detail, aggregated, during, state, types) = v.risk();
    let resource = v.info.resource.app();
    let interactive = table == Table::SigninLogs;
    // Nested columns: `dynamic` in SigninLogs, JSON text in the non-interactive table.
    macro_rules! nested {
        ($name:expr, $value:expr) => {
            if interactive { c.dynamic($name, $value) } else { c.json_text($name, $value) }
        };
    }
    c.display("TenantId", &t.id)?;
    c.text("SourceSystem", "Azure AD")?;
    c.display("TimeGenerated", &Ts(s.t, Style::MillisTrim))?;
    c.text("ResourceId", &t.resource_path)?;
    c.text("OperationName", "Sign-in activity")?;
    c.text("OperationVersion", "1.0")?;
    c.text("Category", if interactive { "SignInLogs" } else { "NonInteractiveUserSignInLogs" })?;
    c.display("ResultType", &s.code)?;
    c.text("ResultSignature", "None")?;
    c.text("ResultDescription", status.failure_reason.unwrap_or(""))?;
    c.number("DurationMs", 0)?;
    c.display("CorrelationId", &v.corr)?;
    c.text("Resource", "Microsoft.aadiam")?;
    c.text("ResourceGroup", "Microsoft.aadiam")?;
    c.text("ResourceProvider", "Microsoft.aadiam")?;
    c.text("Identity", &v.user.display)?;
    c.text("Level", "4")?;
    c.text("Location", v.place.country)?;
    if interactive {
        c.display("AADTenantId", &t.id)?;
    }
    c.text("AlternateSignInName", v.user.upn_logged())?;
    c.text("AppDisplayName", v.info.app.name)?;
    c.text("AppId", v.info.app.id)?;
    if interactive {
        c.text("AppliedConditionalAccessPolicies", "[]")?;
        c.dynamic("AppliedEventListeners", &NONE)?;
    }
    c.text("AuthenticationContextClassReferences", "[]")?;
    c.json_text("AuthenticationDetails", &v.auth_details())?;
    c.text("AuthenticationMethodsUsed", "[]")?;
    c.json_text("AuthenticationProcessingDetails", &PROCESSING)?;
    c.text("AuthenticationProtocol", v.info.protocol)?;
    c.text("AuthenticationRequirement", v.requirement())?;
    c.text("AuthenticationRequirementPolicies", "[]")?;
    c.display("AutonomousSystemNumber", &v.asn())?;
    c.text("ClientAppUsed", v.info.client)?;
    nested!("ConditionalAccessPolicies", &v.policies(true))?;
    c.text("ConditionalAccessStatus", v.ca_status())?;
    c.display("CreatedDateTime", &Ts(s.t, Style::TicksTrim))?;
    c.text("CrossTenantAccessType", "none")?;
    nested!("DeviceDetail", &v.device_detail())?;
    if interactive {
        c.boolean("FlaggedForReview", false)?;
    }
    c.display("HomeTenantId", &t.id)?;
    c.display("Id", &v.id)?;
    c.text("IncomingTokenType", v.incoming_token_type())?;
    c.display("IPAddress", &v.ip)?;
    if interactive {
        c.text("IPAddressFromResourceProvider", "")?;
    }
    c.boolean("IsInteractive", interactive)?;
    c.boolean("IsRisky", state == "atRisk")?;
    nested!("LocationDetails", &v.location(false))?;
    nested!("MfaDetail", &v.mfa_detail())?;
    c.text("NetworkLocationDetails", "[]")?;
    c.display("OriginalRequestId", &v.original)?;
    c.display(if interactive { "ProcessingTimeInMilliseconds" } else { "ProcessingTimeInMs" }, &v.processing_ms)?;
    c.text("ResourceDisplayName", resource.name)?;
    c.text("ResourceIdentity", resource.id)?;
    c.display("ResourceServicePrincipalId", &v.resource_sp())?;
    c.display("ResourceTenantId", &t.id)?;
    c.text("RiskDetail", risk_detail)?;
    c.json_text("RiskEventTypes", &types)?;
    c.json_text("RiskEventTypes_V2", &types)?;
    if interactive {
        c.text("RiskLevel", "")?;
    }
    c.text("RiskLevelAggregated", aggregated)?;
    c.text("RiskLevelDuringSignIn", during)?;
    c.text("RiskState", state)?;
    c.text("ServicePrincipalId", "")?;
    c.text("ServicePrincipalName", "")?;
    c.display("SessionId", &v.session)?;
    c.text("SessionLifetimePolicies", "[]")?;
    if !interactive {
        c.text("SignInEventTypes", "[\"nonInteractiveUser\"]")?;
    }
    c.text("SignInIdentifier", "")?;
    c.text("SignInIdentifierType", "")?;
    nested!("Status", &LaStatus::from(status))?;
    c.text("TokenIssuerName", "")?;
    c.text("TokenIssuerType", "AzureAD")?;
    c.display("UniqueTokenIdentifier", &v.id.uti())?;
    c.text("UserAgent", v.user_agent)?;
    c.text("UserDisplayName", &v.user.display)?;
    c.display("UserId", &v.user.oid)?;
    c.text("UserPrincipalName", v.user.upn_logged())?;
    c.text("UserType", "Member")?;
    c.text("Type", table.name())
}

impl Cells for CsvOut {
    type Error = SimError;

    fn text(&mut self, _: &'static str, value: &str) -> Result<(), SimError> {
        self.field(value)
    }

    fn display<D: Display + ?Sized>(&mut self, _: &'static str, value: &D) -> Result<(), SimError> {
        CsvOut::display(self, value)
    }

    fn number(&mut self, _: &'static str, value: u64) -> Result<(), SimError> {
        CsvOut::display(self, value)
    }

    fn boolean(&mut self, _: &'static str, value: bool) -> Result<(), SimError> {
        self.field(if value { "true" } else { "false" })
    }

    fn dynamic<T: Serialize + ?Sized>(&mut self, _: &'static str, value: &T) -> Result<(), SimError> {
        self.json(value)
    }

    fn json_text<T: Serialize + ?Sized>(&mut self, _: &'static str, value: &T) -> Result<(), SimError> {
        self.json(value)
    }
}

/// Cells as the entries of a JSON object.
struct MapCells<'m, M>(&'m mut M);

/// A `Display` value serialized as a string without an intermediate `String`.
struct Text<'d, D: ?Sized>(&'d D);

impl<D: Display + ?Sized> Serialize for Text<'_, D> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self.0)
    }
}

impl<M: SerializeMap> Cells for MapCells<'_, M> {
    type Error = M::Error;

    fn text(&mut self, name: &'static str, value: &str) -> Result<(), M::Error> {
        self.0.serialize_entry(name, value)
    }

    fn display<D: Display + ?Sized>(&mut self, name: &'static str, value: &D) -> Result<(), M::Error> {
        self.0.serialize_entry(name, &Text(value))
    }

    fn number(&mut self, name: &'static str, value: u64) -> Result<(), M::Error> {
        self.0.serialize_entry(name, &value)
    }

    fn boolean(&mut self, name: &'static str, value: bool) -> Result<(), M::Error> {
        self.0.serialize_entry(name, &value)
    }

    fn dynamic<T: Serialize + ?Sized>(&mut self, name: &'static str, value: &T) -> Result<(), M::Error> {
        self.0.serialize_entry(name, value)
    }

    fn json_text<T: Serialize + ?Sized>(&mut self, name: &'static str, value: &T) -> Result<(), M::Error> {
        let text = serde_json::to_string(value).map_err(M::Error::custom)?;
        self.0.serialize_entry(name, &text)
    }
}

/// One sign-in as a Log Analytics JSON row.
pub(crate) struct LaRow<'v, 'a> {
    pub v: &'v View<'a>,
    pub table: Table,
}

impl Serialize for LaRow<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        row(self.v, self.table, &mut MapCells(&mut map))?;
        map.end()
    }
}

/// A Log Analytics sign-in export of one table: CSV (`<Table>.csv`) or a JSON array
/// (`<Table>.json`), newest first like the query results.
pub(crate) enum LaSignIns {
    Csv(Box<CsvOut>, Table),
    Json(JsonArray, Table),
}

impl LaSignIns {
    pub(crate) fn csv(path: PathBuf, table: Table, gzip: bool) -> Result<Self, SimError> {
        let style = CsvStyle { gzip, ..CsvStyle::default() };
        Ok(LaSignIns::Csv(Box::new(CsvOut::create(path, &table.header(), style)?), table))
    }

    pub(crate) fn json(path: PathBuf, table: Table, gzip: bool) -> Result<Self, SimError> {
        Ok(LaSignIns::Json(JsonArray::create_with(path, "", gzip)?, table))
    }

    pub(crate) fn push(&mut self, v: &View<'_>) -> Result<(), SimError> {
        match self {
            LaSignIns::Csv(out, table) => {
                row(v, *table, out.as_mut())?;
                out.end_row()
            }
            LaSignIns::Json(out, table) => out.push(&LaRow { v, table: *table }),
        }
    }

    pub(crate) fn finish(self) -> Result<FileStat, SimError> {
        match self {
            LaSignIns::Csv(out, _) => out.finish(),
            LaSignIns::Json(out, _) => out.finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records the column names a row emits.
    struct Names(Vec<&'static str>);

    impl Cells for Names {
        type Error = ();
        fn text(&mut self, n: &'static str, _: &str) -> Result<(), ()> {
            self.0.push(n);
            Ok(())
        }
        fn display<D: Display + ?Sized>(&mut self, n: &'static str, _: &D) -> Result<(), ()> {
            self.0.push(n);
            Ok(())
        }
        fn number(&mut self, n: &'static str, _: u64) -> Result<(), ()> {
            self.0.push(n);
            Ok(())
        }
        fn boolean(&mut self, n: &'static str, _: bool) -> Result<(), ()> {
            self.0.push(n);
            Ok(())
        }
        fn dynamic<T: Serialize + ?Sized>(&mut self, n: &'static str, _: &T) -> Result<(), ()> {
            self.0.push(n);
            Ok(())
        }
        fn json_text<T: Serialize + ?Sized>(&mut self, n: &'static str, _: &T) -> Result<(), ()> {
            self.0.push(n);
            Ok(())
        }
    }

    #[test]
    fn rows_emit_exactly_the_header_of_their_table() {
        let cfg = crate::Config { users: 40, days: 2, noise: 2, ..crate::Config::default() };
        let start = crate::clock::from_timestamp(cfg.start);
        let mut tenant = crate::tenant::build(&cfg, start);
        let (plan, _, _) = crate::scenario::plan(&cfg, &mut tenant, start);
        let s = plan.signins.first().expect("a scenario sign-in");
        let v = View::new(&tenant, s);
        for table in [Table::SigninLogs, Table::NonInteractive] {
            let mut names = Names(Vec::new());
            row(&v, table, &mut names).expect("names");
            assert_eq!(names.0, table.header(), "{table:?}");
        }
        assert_eq!(Table::NonInteractive.header().len(), 73);
    }
}
