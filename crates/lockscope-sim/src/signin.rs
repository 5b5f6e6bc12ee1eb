//! Sign-in records: everything a spec resolves to (ids, place, device, status, risk,
//! Conditional Access), shared by the Graph and Log Analytics writers.

use crate::apps::{Flow, FlowInfo, Res};
use crate::geo::City;
use crate::ids::{Domain, Guid, Ip, combine};
use crate::plan::{At, Auth, RiskMark, SignIn};
pub(crate) use crate::signin_parts::{
    AuthDetails, DeviceDetail, Kv, LaStatus, Location, MfaDetail, PROCESSING, Policies, Status, cond, location_of,
};
use crate::tenant::{PolicyKind, Tenant, User};

/// Failure text of an AADSTS code as the sign-in log words it.
pub(crate) fn failure_reason(code: u32) -> &'static str {
    match code {
        50126 => "Error validating credentials due to invalid username or password.",
        50053 => "The account is locked, you've tried to sign in too many times with an incorrect user ID or password.",
        50057 => "User account is disabled. The account has been disabled by an administrator.",
        50173 => {
            "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '{authTime}' and the TokensValidFrom date (before which tokens are not valid) for this user is '{validDate}'."
        }
        53003 => {
            "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance."
        }
        50140 => "This error occurred due to 'Keep me signed in' interrupt when the user was signing-in.",
        50074 => "Strong Authentication is required.",
        50076 => {
            "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '{resource}'."
        }
        _ => "Other.",
    }
}

/// Whether a code is an interrupt the simulator writes (KMSI, MFA required): a step of a
/// sign-in that then succeeds, which the portal shows as `Interrupted`.
pub(crate) fn is_interrupt(code: u32) -> bool {
    matches!(code, 50140 | 50074 | 50076)
}

/// A sign-in spec with everything resolved.
pub(crate) struct View<'a> {
    pub s: &'a SignIn,
    pub tenant: &'a Tenant,
    pub user: &'a User,
    pub info: FlowInfo,
    pub id: Guid,
    pub corr: Guid,
    pub original: Guid,
    pub session: Guid,
    pub ip: Ip,
    pub place: &'static City,
    pub device_id: Option<Guid>,
    pub device_name: &'a str,
    pub os: &'a str,
    pub browser: &'a str,
    pub trust: Option<&'a str>,
    pub managed: bool,
    pub compliant: bool,
    pub user_agent: &'a str,
    pub processing_ms: u32,
}

impl<'a> View<'a> {
    pub(crate) fn new(tenant: &'a Tenant, s: &'a SignIn) -> Self {
        let keys = &tenant.keys;
        let user = tenant.user(s.user);
        let info = s.flow.info();
        let day = s.t.div_euclid(crate::clock::DAY) as u64;
        let (at_code, ip, place) = match s.at {
            At::Own(d) => (u64::from(d) + 1, user.ip, user.home()),
            At::Foreign(i) => {
                let f = tenant.foreign(i);
                (1 << 20 | u64::from(i), f.ip, f.place())
            }
        };
        let mut v = View {
            s,
            tenant,
            user,
            info,
            id: keys.guid(Domain::Request, s.key),
            corr: keys.guid(Domain::Correlation, s.corr),
            original: keys.guid(Domain::Request, s.corr),
            session: keys.guid(Domain::Session, combine(combine(u64::from(s.user), at_code), day)),
            ip: Ip(ip),
            place,
            device_id: None,
            device_name: "",
            os: "",
            browser: "",
            trust: None,
            managed: false,
            compliant: false,
            user_agent: "",
            processing_ms: 40 + (keys.noise(s.key, 1) % 360) as u32,
        };
        match s.at {
            At::Own(d) => {
                if let Some(dev) = user.devices.get(usize::from(d)) {
                    v.device_id = Some(dev.id);
                    v.device_name = &dev.name;
                    v.os = dev.os;
                    v.browser = dev.browser;
                    v.trust = Some(dev.trust);
                    v.managed = dev.managed;
                    v.compliant = dev.compliant;
                    v.user_agent = s.flow.user_agent(dev.kind);
                }
            }
            At::Foreign(i) => {
                let f = tenant.foreign(i);
                v.os = f.os;
                v.browser = f.browser;
                v.user_agent = match s.flow {
                    Flow::Smtp | Flow::Imap | Flow::Ropc | Flow::WebSpray => {
                        s.flow.user_agent(crate::tenant::DevKind::WindowsPc)
                    }
                    _ => f.user_agent,
                };
            }
        }
        v
    }

    pub(crate) fn resource_sp(&self) -> Guid {
        let i = match self.info.resource {
            Res::Exchange => 0,
            Res::Graph => 1,
            Res::SharePoint => 2,
            Res::TeamsServices => 3,
            Res::AzureManagement => 4,
        };
        self.tenant.resource_sp[i]
    }

    pub(crate) fn asn(&self) -> u32 {
        self.place.asn
    }

    /// Whether Conditional Access was evaluated (primary authentication succeeded).
    pub(crate) fn ca_evaluated(&self) -> bool {
        matches!(self.s.code, 0 | 50140 | 53003)
    }

    pub(crate) fn ca_status(&self) -> &'static str {
        if !self.ca_evaluated() {
            return "notApplied";
        }
        let mut any_success = false;
        for p in &self.tenant.policies {
            match self.evaluate(p.kind).0 {
                "failure" => return "failure",
                "success" => any_success = true,
                _ => {}
            }
        }
        if any_success { "success" } else { "notApplied" }
    }

    /// (result, conditions satisfied, conditions not satisfied) of one policy.
    pub(crate) fn evaluate(&self, kind: PolicyKind) -> (&'static str, u32, u32) {
        use cond::*;
        let legacy = self.info.legacy;
        match kind {
            PolicyKind::BlockHighUserRisk if self.s.risk == RiskMark::UserHigh => {
                ("failure", APPLICATION | USERS | USER_RISK, 0)
            }
            PolicyKind::BlockHighUserRisk => ("notApplied", APPLICATION | USERS, USER_RISK),
            PolicyKind::MfaAllUsers if legacy => ("notApplied", APPLICATION | USERS, CLIENT_TYPE),
            PolicyKind::MfaAllUsers => ("success", APPLICATION | USERS, 0),
            PolicyKind::MfaAzureManagement if self.info.resource == Res::AzureManagement => {
                ("success", APPLICATION | USERS, 0)
            }
            PolicyKind::MfaAzureManagement => ("notApplied", USERS, APPLICATION),
            PolicyKind::BlockLegacyReportOnly if legacy => ("reportOnlyFailure", APPLICATION | USERS | CLIENT_TYPE, 0),
            PolicyKind::BlockLegacyReportOnly => ("reportOnlyNotApplied", APPLICATION | USERS, CLIENT_TYPE),
            PolicyKind::SignInFrequencyUnmanaged if self.managed => ("notApplied", APPLICATION | USERS, DEVICE_STATE),
            PolicyKind::SignInFrequencyUnmanaged => ("success", APPLICATION | USERS | DEVICE_STATE, 0),
        }
    }

    /// (riskDetail, riskLevelAggregated, riskLevelDuringSignIn, riskState, riskEventTypes_v2).
    pub(crate) fn risk(&self) -> (&'static str, &'static str, &'static str, &'static str, &'static [&'static str]) {
        match self.s.risk {
            RiskMark::None => ("none", "none", "none", "none", &[]),
            RiskMark::UserHigh => ("none", "high", "none", "atRisk", &[]),
            RiskMark::Signin(kind) => {
                let types: &'static [&'static str] = match kind {
                    crate::plan::RiskKind::LeakedCredentials => &["leakedCredentials"],
                    crate::plan::RiskKind::UnfamiliarFeatures => &["unfamiliarFeatures"],
                    crate::plan::RiskKind::AnomalousToken => &["anomalousToken"],
                    crate::plan::RiskKind::PasswordSpray => &["passwordSpray"],
                };
                let during = if kind.realtime() { "medium" } else { "none" };
                ("none", "medium", during, "atRisk", types)
            }
        }
    }

    pub(crate) fn incoming_token_type(&self) -> &'static str {
        match (self.s.flow, self.s.auth) {
            (Flow::BrokerPrt, _) | (_, Auth::Prt) => "primaryRefreshToken",
            _ if !self.info.interactive => "refreshToken",
            _ => "none",
        }
    }

    pub(crate) fn requirement(&self) -> &'static str {
        match self.s.auth {
            Auth::PasswordMfa | Auth::Prt | Auth::Fido2 | Auth::Whfb | Auth::Refresh => "multiFactorAuthentication",
            Auth::MfaPending if self.s.code == 0 => "multiFactorAuthentication",
            _ => "singleFactorAuthentication",
        }
    }

    /// `status` (failureReason as Graph writes it: null on success).
    pub(crate) fn status(&self) -> Status {
        let code = self.s.code;
        let additional = match (code, self.s.auth) {
            (0, Auth::Refresh | Auth::Prt) => Some("MFA requirement satisfied by claim in the token"),
            (0, Auth::PasswordMfa) => Some("MFA completed in Azure AD"),
            (50074 | 50076, _) => Some("MFA required in Azure AD"),
            _ => None,
        };
        Status {
            error_code: code,
            failure_reason: (code != 0).then(|| failure_reason(code)),
            additional_details: additional,
        }
    }

    pub(crate) fn policies(&self, numeric: bool) -> Policies<'_, 'a> {
        Policies { view: self, numeric }
    }

    pub(crate) fn auth_details(&self) -> AuthDetails {
        AuthDetails { auth: self.s.auth, t: self.s.t }
    }

    pub(crate) fn mfa_detail(&self) -> MfaDetail {
        MfaDetail {
            auth_method: (self.s.auth == Auth::PasswordMfa && matches!(self.s.code, 0 | 53003))
                .then_some("Mobile app notification"),
        }
    }

    pub(crate) fn device_detail(&self) -> DeviceDetail<'_> {
        DeviceDetail {
            device_id: self.device_id,
            display_name: self.device_name,
            operating_system: self.os,
            browser: self.browser,
            is_compliant: self.compliant,
            is_managed: self.managed,
            trust_type: self.trust,
        }
    }

    pub(crate) fn location(&self, altitude: bool) -> Location {
        let mut l = location_of(self.place);
        l.geo_coordinates.altitude = altitude;
        l
    }
}
