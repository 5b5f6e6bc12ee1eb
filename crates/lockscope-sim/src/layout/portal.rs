//! The Entra portal's sign-in CSV download (formats.md §2.4): the exact user sign-ins header
//! (UTF-8 BOM, every field quoted, `"Incoming token type"` twice, `"Application ID "` with a
//! trailing space, `"Autonomous system  number"` with two spaces), human values (`Status`
//! `Success`/`Failure`/`Interrupted`, `Location` `City, State, CC`, `Conditional Access`
//! `Not Applied`), whole-second times, and Excel's `'` before a token identifier starting with
//! `-` or `+`.
//!
//! The download has no risk, policy or authentication-step columns, and nothing in a row says
//! whether the sign-in was interactive: only the file name does.

use crate::SimError;
use crate::clock::{Style, Ts};
use crate::signin::View;
use crate::stream::SignInSink;
use crate::writer::{CsvOut, CsvStyle, FileStat};
use std::fmt::Write as _;
use std::path::PathBuf;

/// The user sign-ins header, exactly as the portal writes it.
pub(crate) const HEADER: &[&str] = &[
    "Date (UTC)",
    "Request ID",
    "User agent",
    "Correlation ID",
    "User ID",
    "User",
    "Username",
    "User type",
    "Cross tenant access type",
    "Incoming token type",
    "Authentication Protocol",
    "Unique token identifier",
    "Original transfer method",
    "Client credential type",
    "Token Protection - Sign In Session",
    "Token Protection - Sign In Session StatusCode",
    "Application",
    "Application ID ",
    "Resource",
    "Resource ID ",
    "Resource tenant ID",
    "Home tenant ID",
    "Home tenant name",
    "IP address",
    "Location",
    "Status",
    "Sign-in error code",
    "Failure reason",
    "Client app",
    "Device ID",
    "Browser",
    "Operating System",
    "Compliant",
    "Managed",
    "Join Type",
    "Multifactor authentication result",
    "Multifactor authentication auth method",
    "Multifactor authentication auth detail",
    "Authentication requirement",
    "Sign-in identifier",
    "Session ID",
    "IP address (seen by resource)",
    "Through Global Secure Access",
    "Global Secure Access IP address",
    "Autonomous system  number",
    "Flagged for review",
    "Token issuer type",
    "Incoming token type",
    "Token issuer name",
    "Latency",
    "Conditional Access",
    "Managed Identity type",
    "Associated Resource Id",
    "Federated Token Id",
    "Federated Token Issuer",
];

/// The tenant's name as the portal shows it in `Home tenant name`.
const TENANT_NAME: &str = "Contoso";

/// The portal's word for a sign-in's result.
fn status_word(code: u32) -> &'static str {
    match code {
        0 => "Success",
        c if crate::signin::is_interrupt(c) => "Interrupted",
        _ => "Failure",
    }
}

/// `success` → `Success`, `notApplied` → `Not Applied`.
fn ca_word(status: &str) -> &'static str {
    match status {
        "success" => "Success",
        "failure" => "Failure",
        _ => "Not Applied",
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// One portal download file (interactive or non-interactive), newest first.
pub(crate) struct SignInCsv {
    out: CsvOut,
    uti: String,
}

impl SignInCsv {
    pub(crate) fn create(path: PathBuf, gzip: bool) -> Result<Self, SimError> {
        let style = CsvStyle { bom: true, quote_all: true, gzip };
        Ok(SignInCsv { out: CsvOut::create(path, HEADER, style)?, uti: String::new() })
    }
}

impl SignInSink for SignInCsv {
    fn push(&mut self, v: &View<'_>) -> Result<(), SimError> {
        let out = &mut self.out;
        let (s, t, user) = (v.s, v.tenant, v.user);
        let status = v.status();
        let resource = v.info.resource.app();
        let token = v.incoming_token_type();
        let device = v.device_detail();
        out.display(Ts(s.t, Style::Seconds))?;
        out.display(v.id)?;
        out.field(v.user_agent)?;
        out.display(v.corr)?;
        out.display(user.oid)?;
        out.field(&user.display)?;
        out.field(&user.upn)?;
        out.field("Member")?;
        out.field("none")?;
        out.field(token)?;
        out.field(v.info.protocol)?;
        // Excel protection: a leading `-` or `+` would start a formula.
        self.uti.clear();
        let _ = write!(self.uti, "{}", v.id.uti());
        if self.uti.starts_with(['-', '+']) {
            self.uti.insert(0, '\'');
        }
        out.field(&self.uti)?;
        out.field("none")?;
        out.field("none")?;
        out.field("")?;
        out.field("")?;
        out.field(v.info.app.name)?;
        out.field(v.info.app.id)?;
        out.field(resource.name)?;
        out.field(resource.id)?;
        out.display(t.id)?;
        out.display(t.id)?;
        out.field(TENANT_NAME)?;
        out.display(v.ip)?;
        out.display(format_args!("{}, {}, {}", v.place.city, v.place.state, v.place.country))?;
        out.field(status_word(s.code))?;
        out.display(s.code)?;
        // The download fills the reason of a success with the placeholder the API leaves null.
        out.field(status.failure_reason.unwrap_or("Other."))?;
        out.field(v.info.client)?;
        match device.device_id {
            Some(id) => out.display(id)?,
            None => out.field("")?,
        }
        out.field(device.browser)?;
        out.field(device.operating_system)?;
        out.field(yes_no(device.is_compliant))?;
        out.field(yes_no(device.is_managed))?;
        out.field(device.trust_type.unwrap_or(""))?;
        out.field(status.additional_details.unwrap_or(""))?;
        out.field(v.mfa_detail().auth_method.unwrap_or(""))?;
        out.field("")?;
        out.field(v.requirement())?;
        out.field(&user.upn)?;
        out.display(v.session)?;
        out.field("")?;
        out.field("False")?;
        out.field("")?;
        out.display(v.asn())?;
        out.field("False")?;
        out.field("AzureAD")?;
        out.field(token)?;
        out.field("")?;
        out.display(v.processing_ms)?;
        out.field(ca_word(v.ca_status()))?;
        for _ in 0..4 {
            out.field("")?;
        }
        out.end_row()
    }

    fn finish(self: Box<Self>) -> Result<Vec<FileStat>, SimError> {
        Ok(vec![self.out.finish()?])
    }
}
