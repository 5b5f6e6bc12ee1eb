//! The normalised [`Event`]: one record of any supported log, whatever its source format.
//!
//! Every source turns its records into this one shape so the rest of the engine (identity
//! resolution, timelines, rules, clustering) never looks at a source format again. Fields a source
//! does not carry stay `None`; nothing is invented.

use std::fmt;
use std::sync::Arc;

use jiff::Timestamp;
use serde::Serialize;

/// One normalised log record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// When it happened, as a UTC instant.
    #[serde(serialize_with = "crate::time::serialize")]
    pub time: Timestamp,
    /// What happened.
    pub kind: Kind,
    /// The account the event is about (the one signing in, the target of an audit action, the
    /// subject of a risk detection).
    pub user: Option<Principal>,
    /// Who did it, when that is someone else than `user` (the admin, the app, the system).
    pub actor: Option<Actor>,
    /// The machine that logged the event or was logged on to.
    pub host: Option<String>,
    /// The remote peer as logged (IP or host name).
    pub source: Option<String>,
    /// The remote IP address when known.
    pub ip: Option<String>,
    /// Success, failure, interrupt or plain information.
    pub outcome: Outcome,
    /// The source's own result code (`50053`, `0xc000006a`, …), kept verbatim.
    pub code: Option<String>,
    /// The failure taxonomy shared by every source.
    pub failure: Option<Failure>,
    /// The source's own reason or description text.
    pub reason: Option<String>,
    /// The client application involved.
    pub app: Option<App>,
    /// The resource (API) the sign-in was for.
    pub resource: Option<String>,
    /// The device used, when the source names one.
    pub device: Option<Device>,
    /// Coarse geolocation as logged by the provider.
    pub location: Option<Location>,
    /// Correlation identifiers, for joins across sources.
    pub ids: Ids,
    /// Identity Protection risk attached to the record.
    pub risk: Option<Risk>,
    /// Facts specific to the kind of event.
    pub detail: Detail,
    /// Where the record came from.
    pub origin: Origin,
}

impl Event {
    /// Where an authentication attempt came from, as the attempt's source for spray and brute
    /// force grouping: the IP when logged; for an explicit-credential logon (4648, logged on the
    /// client) the client host itself; else the workstation name or the remote peer as logged;
    /// else, for a Windows logon with no remote side (local, or OpenSSH on Windows), the host.
    pub fn attempt_source(&self) -> Option<&str> {
        if self.kind == Kind::ExplicitCredential {
            return self.host.as_deref();
        }
        let remote = self.ip.as_deref().or(self.detail.workstation.as_deref()).or(self.source.as_deref());
        match self.kind {
            Kind::Logon => remote.or(self.host.as_deref()),
            _ => remote,
        }
    }

    /// An event with only its time, kind and origin set; sources fill in what their record carries.
    pub fn new(time: Timestamp, kind: Kind, origin: Origin) -> Self {
        Event {
            time,
            kind,
            user: None,
            actor: None,
            host: None,
            source: None,
            ip: None,
            outcome: Outcome::Info,
            code: None,
            failure: None,
            reason: None,
            app: None,
            resource: None,
            device: None,
            location: None,
            ids: Ids::default(),
            risk: None,
            detail: Detail::default(),
            origin,
        }
    }
}

/// What an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// An interactive user sign-in (or a sign-in whose interactivity is unknown).
    SignIn,
    /// A non-interactive user sign-in (token refresh, SSO by a client on the user's behalf).
    NonInteractiveSignIn,
    /// A sign-in by a service principal or managed identity.
    ServiceSignIn,
    /// A refresh-token validity bump (`Update StsRefreshTokenValidFrom Timestamp`).
    TokenInvalidation,
    /// A user changed their own password.
    PasswordChange,
    /// A password was reset (by an admin or self-service).
    PasswordReset,
    /// The account was disabled.
    AccountDisabled,
    /// The account was enabled.
    AccountEnabled,
    /// The account was unlocked.
    AccountUnlocked,
    /// The account was created.
    UserCreated,
    /// The account was deleted.
    UserDeleted,
    /// Some attribute of the account was updated.
    UserUpdated,
    /// A service principal was added to the tenant.
    ServicePrincipalCreated,
    /// An authentication method or security info was added or changed.
    AuthMethodChanged,
    /// An admin acted on Identity Protection risk (confirm safe, dismiss, confirm compromised).
    RiskRemediation,
    /// Any other directory audit activity.
    Audit,
    /// An Identity Protection risk detection.
    RiskDetection,
    /// A risky-user state snapshot or history item.
    RiskState,
    /// An Azure Resource Manager (activity log) operation.
    AzureOperation,
    /// A Windows logon on a host (4624 success, 4625 failure).
    Logon,
    /// A Kerberos ticket-granting ticket request at a domain controller (4768).
    KerberosTicket,
    /// A failed Kerberos pre-authentication at a domain controller (4771).
    KerberosPreauth,
    /// An NTLM credential validation at a domain controller or host (4776).
    NtlmValidation,
    /// A logon with explicitly given credentials, seen on the client (4648).
    ExplicitCredential,
    /// An account was locked out (Windows 4740, pam_faillock).
    Lockout,
    /// A service was installed, with the account it runs as (7045, 4697).
    ServiceInstalled,
    /// A scheduled task was created or updated, with its run-as account (4698, 4702).
    TaskScheduled,
    /// A user's token was found written in a log (by the secret scanner).
    TokenLeaked,
}

impl Kind {
    /// Whether this kind is a user sign-in of any interactivity.
    pub fn is_user_sign_in(self) -> bool {
        matches!(self, Kind::SignIn | Kind::NonInteractiveSignIn)
    }

    /// Whether this kind is an authentication attempt by an account, in any system: Entra user
    /// sign-ins, Windows logons, Kerberos and NTLM validations, explicit-credential logons.
    pub fn is_auth_attempt(self) -> bool {
        matches!(
            self,
            Kind::SignIn
                | Kind::NonInteractiveSignIn
                | Kind::Logon
                | Kind::KerberosTicket
                | Kind::KerberosPreauth
                | Kind::NtlmValidation
                | Kind::ExplicitCredential
        )
    }

    /// The stable name used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::SignIn => "sign-in",
            Kind::NonInteractiveSignIn => "non-interactive-sign-in",
            Kind::ServiceSignIn => "service-sign-in",
            Kind::TokenInvalidation => "token-invalidation",
            Kind::PasswordChange => "password-change",
            Kind::PasswordReset => "password-reset",
            Kind::AccountDisabled => "account-disabled",
            Kind::AccountEnabled => "account-enabled",
            Kind::AccountUnlocked => "account-unlocked",
            Kind::UserCreated => "user-created",
            Kind::UserDeleted => "user-deleted",
            Kind::UserUpdated => "user-updated",
            Kind::ServicePrincipalCreated => "service-principal-created",
            Kind::AuthMethodChanged => "auth-method-changed",
            Kind::RiskRemediation => "risk-remediation",
            Kind::Audit => "audit",
            Kind::RiskDetection => "risk-detection",
            Kind::RiskState => "risk-state",
            Kind::AzureOperation => "azure-operation",
            Kind::Logon => "logon",
            Kind::KerberosTicket => "kerberos-ticket",
            Kind::KerberosPreauth => "kerberos-preauth",
            Kind::NtlmValidation => "ntlm-validation",
            Kind::ExplicitCredential => "explicit-credential",
            Kind::Lockout => "lockout",
            Kind::ServiceInstalled => "service-installed",
            Kind::TaskScheduled => "task-scheduled",
            Kind::TokenLeaked => "token-leaked",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an event ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// It worked.
    Success,
    /// It failed.
    Failure,
    /// It was interrupted to ask for more (MFA, KMSI, consent): neither a success nor a failure.
    Interrupted,
    /// A statement of fact with no outcome (risk detections, state snapshots).
    #[default]
    Info,
}

/// The failure taxonomy every source maps its codes onto.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Failure {
    /// Wrong password.
    BadPassword,
    /// The account does not exist.
    UnknownUser,
    /// The account is locked (smart lockout, AD lockout, faillock).
    Locked,
    /// The account is disabled.
    Disabled,
    /// The password has expired.
    PasswordExpired,
    /// Blocked by Conditional Access because of user or sign-in risk.
    RiskBlocked,
    /// Blocked by a policy (Conditional Access without a risk condition, security defaults).
    PolicyBlocked,
    /// The token or session presented was revoked (issued before an invalidation).
    TokenRevoked,
    /// The token expired through inactivity or sign-in frequency: not a revocation.
    TokenExpired,
    /// Multi-factor authentication was required and not satisfied.
    MfaFailed,
    /// Anything else.
    Other,
}

impl Failure {
    /// The stable name used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Failure::BadPassword => "bad-password",
            Failure::UnknownUser => "unknown-user",
            Failure::Locked => "locked",
            Failure::Disabled => "disabled",
            Failure::PasswordExpired => "password-expired",
            Failure::RiskBlocked => "risk-blocked",
            Failure::PolicyBlocked => "policy-blocked",
            Failure::TokenRevoked => "token-revoked",
            Failure::TokenExpired => "token-expired",
            Failure::MfaFailed => "mfa-failed",
            Failure::Other => "other",
        }
    }
}

/// An account as the log names it. Identity resolution later ties these together.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Principal {
    /// User principal name or other login name, lowercased.
    pub name: Option<String>,
    /// Directory object id (GUID), lowercased.
    pub id: Option<String>,
    /// Display name, as logged.
    pub display: Option<String>,
}

impl Principal {
    /// Whether the principal names nobody.
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.id.is_none()
    }
}

/// Who initiated an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// A user, an application, or the system itself.
    #[serde(rename = "type")]
    pub kind: ActorKind,
    /// Object id, app id or account name.
    pub id: Option<String>,
    /// Display name or UPN.
    pub name: Option<String>,
}

/// The kind of an [`Actor`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActorKind {
    /// A person's account.
    User,
    /// An application or service principal.
    App,
    /// The platform itself, with no named initiator.
    System,
}

/// A client application.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct App {
    /// Application (client) id.
    pub id: Option<String>,
    /// Display name.
    pub name: Option<String>,
}

/// A device as the sign-in log describes it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Device {
    /// Directory device id.
    pub id: Option<String>,
    /// Device name.
    pub name: Option<String>,
    /// Operating system.
    pub os: Option<String>,
    /// Browser or client.
    pub browser: Option<String>,
}

impl Device {
    /// A key that identifies the client side of a sign-in: the device id when there is one,
    /// otherwise the device name, otherwise operating system and browser.
    pub fn key(&self) -> Option<String> {
        if let Some(id) = &self.id {
            return Some(id.clone());
        }
        if let Some(name) = &self.name {
            return Some(name.clone());
        }
        match (&self.os, &self.browser) {
            (None, None) => None,
            (os, browser) => Some(format!("{}/{}", os.as_deref().unwrap_or("?"), browser.as_deref().unwrap_or("?"))),
        }
    }
}

/// Geolocation as logged.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Location {
    /// Two-letter country or region code.
    pub country: Option<String>,
    /// City.
    pub city: Option<String>,
}

/// Identifiers used to join records across sources.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Ids {
    /// The record's own id (sign-in request id, audit id, risk detection id).
    pub record: Option<String>,
    /// Correlation id (sign-in or audit; they are different id spaces).
    pub correlation: Option<String>,
    /// Sign-in request id referenced by this record (risk detections, activity-log `uti`).
    pub request: Option<String>,
    /// Unique token identifier (`uti`), raw as logged.
    pub token: Option<String>,
    /// Session id.
    pub session: Option<String>,
}

/// Identity Protection risk carried by a record.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Risk {
    /// Detection types (`leakedCredentials`, `unfamiliarFeatures`, …).
    pub event_types: Vec<String>,
    /// `low`, `medium`, `high`, `hidden`, `none`.
    pub level: Option<String>,
    /// `atRisk`, `confirmedSafe`, `dismissed`, `remediated`, `confirmedCompromised`, `none`.
    pub state: Option<String>,
    /// `riskDetail` (`adminDismissedAllRiskForUser`, …).
    pub detail: Option<String>,
    /// `offline`, `realtime`, …
    pub timing: Option<String>,
    /// `user` or `signin`.
    pub activity: Option<String>,
}

impl Risk {
    /// Whether the level is medium or high.
    pub fn is_elevated(&self) -> bool {
        matches!(self.level.as_deref(), Some("medium" | "high"))
    }

    /// Whether any of the detection types equals `name`, ignoring case.
    pub fn has_type(&self, name: &str) -> bool {
        self.event_types.iter().any(|t| t.eq_ignore_ascii_case(name))
    }
}

/// Facts that only some kinds of events carry.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Detail {
    /// Audit activity name, trimmed of a trailing `.`.
    pub activity: Option<String>,
    /// Audit category or activity-log category.
    pub category: Option<String>,
    /// The new `StsRefreshTokensValidFrom` of a token invalidation.
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub valid_from: Option<Timestamp>,
    /// Name of the target when it is not a user (service principal, application, device).
    pub target: Option<String>,
    /// Conditional Access policies that failed and enforce a block.
    pub blocking_policies: Vec<String>,
    /// Whether a failed policy had a risk condition satisfied.
    pub risk_policy: bool,
    /// The kind of token presented at sign-in (`refreshToken`, `primaryRefreshToken`, `none`).
    pub incoming_token: Option<String>,
    /// Authentication requirement (`singleFactorAuthentication`, `multiFactorAuthentication`).
    pub auth_requirement: Option<String>,
    /// Authentication methods used (`Password`, `FIDO2 security key`, …).
    pub auth_methods: Vec<String>,
    /// Issue time of the token that authorised this operation (activity log `iat`).
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub token_issued: Option<Timestamp>,
    /// Expiry of a token found in a log (`exp`).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "crate::time::serialize_opt")]
    pub token_expires: Option<Timestamp>,
    /// Fingerprint of a secret found in a log (never the secret).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// Windows event id (4625, 4740, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<u32>,
    /// Windows logon type (2 interactive, 3 network, 8 cleartext, 10 remote interactive, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logon_type: Option<u32>,
    /// The process that asked for the logon (4625/4648 `ProcessName`), or a service's binary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    /// The more precise failure code (4625 `SubStatus`), kept verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_status: Option<String>,
    /// The computer named as the source of a lockout (4740 caller computer) or the client
    /// workstation of an NTLM validation (4776).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workstation: Option<String>,
}

/// Where a record came from: the file and a position inside it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Origin {
    /// The input path as given (or `-` for stdin), with `!member` for archive members.
    pub file: Arc<str>,
    /// The record's position.
    #[serde(flatten)]
    pub pos: Position,
}

impl Origin {
    /// An origin at `pos` in `file`.
    pub fn new(file: &Arc<str>, pos: Position) -> Self {
        Origin { file: Arc::clone(file), pos }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.pos)
    }
}

/// A position inside an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Position {
    /// 1-based line number (text, JSON lines, CSV rows counted as physical lines).
    Line(u64),
    /// 1-based record number inside a JSON array or binary log.
    Record(u64),
    /// Byte offset from the start of the (decompressed) file.
    Offset(u64),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Line(n) => write!(f, "line {n}"),
            Position::Record(n) => write!(f, "record {n}"),
            Position::Offset(n) => write!(f, "offset {n}"),
        }
    }
}
