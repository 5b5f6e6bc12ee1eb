//! The nested objects of a sign-in record: `status`, `deviceDetail`, `location`,
//! `mfaDetail`, `appliedConditionalAccessPolicies`, `authenticationDetails`. Each serializes
//! straight from the resolved view, without building JSON values.

use crate::clock::{Style, Tick, Ts};
use crate::geo::City;
use crate::ids::Guid;
use crate::plan::Auth;
use crate::signin::View;
use crate::tenant::PolicyKind;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

/// Conditional Access condition flags (Graph `conditionalAccessConditions`).
pub(crate) mod cond {
    pub const APPLICATION: u32 = 1;
    pub const USERS: u32 = 2;
    pub const CLIENT_TYPE: u32 = 16;
    pub const USER_RISK: u32 = 64;
    pub const DEVICE_STATE: u32 = 256;
    pub(crate) const NAMES: [(u32, &str); 5] = [
        (APPLICATION, "application"),
        (USERS, "users"),
        (CLIENT_TYPE, "clientType"),
        (USER_RISK, "userRisk"),
        (DEVICE_STATE, "deviceState"),
    ];
}

/// The Graph `signInLocation` of a city.
pub(crate) fn location_of(place: &'static City) -> Location {
    Location {
        city: place.city,
        state: place.state,
        country_or_region: place.country,
        geo_coordinates: Geo { altitude: true, latitude: place.lat, longitude: place.lon },
    }
}

/// `status` object.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Status {
    pub error_code: u32,
    pub failure_reason: Option<&'static str>,
    pub additional_details: Option<&'static str>,
}

/// `status` as Log Analytics stores it: absent keys rather than nulls.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LaStatus {
    pub error_code: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_details: Option<&'static str>,
}

impl From<Status> for LaStatus {
    fn from(s: Status) -> Self {
        LaStatus {
            error_code: s.error_code,
            failure_reason: s.failure_reason,
            additional_details: s.additional_details,
        }
    }
}

/// `mfaDetail`: `{}` unless MFA was performed in this sign-in.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MfaDetail {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_method: Option<&'static str>,
}

/// `deviceDetail`; an unregistered device has `deviceId: ""`.
pub(crate) struct DeviceDetail<'a> {
    pub(crate) device_id: Option<Guid>,
    pub(crate) display_name: &'a str,
    pub(crate) operating_system: &'a str,
    pub(crate) browser: &'a str,
    pub(crate) is_compliant: bool,
    pub(crate) is_managed: bool,
    pub(crate) trust_type: Option<&'a str>,
}

impl Serialize for DeviceDetail<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(7))?;
        match &self.device_id {
            Some(id) => m.serialize_entry("deviceId", id)?,
            None => m.serialize_entry("deviceId", "")?,
        }
        m.serialize_entry("displayName", self.display_name)?;
        m.serialize_entry("operatingSystem", self.operating_system)?;
        m.serialize_entry("browser", self.browser)?;
        m.serialize_entry("isCompliant", &self.is_compliant)?;
        m.serialize_entry("isManaged", &self.is_managed)?;
        m.serialize_entry("trustType", &self.trust_type)?;
        m.end()
    }
}

/// `location` / `LocationDetails`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Location {
    city: &'static str,
    state: &'static str,
    country_or_region: &'static str,
    pub(crate) geo_coordinates: Geo,
}

/// Coordinates; Graph has a null `altitude`, Log Analytics omits it.
pub(crate) struct Geo {
    pub(crate) altitude: bool,
    latitude: f64,
    longitude: f64,
}

impl Serialize for Geo {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if self.altitude {
            m.serialize_entry("altitude", &None::<f64>)?;
        }
        m.serialize_entry("latitude", &self.latitude)?;
        m.serialize_entry("longitude", &self.longitude)?;
        m.end()
    }
}

/// Condition flags as Graph writes them: `"application,users,userRisk"`.
struct Flags(u32);

impl Serialize for Flags {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{}", FlagsText(self.0)))
    }
}

struct FlagsText(u32);

impl std::fmt::Display for FlagsText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0 == 0 {
            return f.write_str("none");
        }
        let mut first = true;
        for (bit, name) in cond::NAMES {
            if self.0 & bit != 0 {
                if !first {
                    f.write_str(",")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        Ok(())
    }
}

/// `appliedConditionalAccessPolicies` (Graph: flag strings; Log Analytics: integer bitmasks).
pub(crate) struct Policies<'v, 'a> {
    pub(crate) view: &'v View<'a>,
    pub(crate) numeric: bool,
}

struct PolicyRow {
    id: Guid,
    kind: PolicyKind,
    result: &'static str,
    satisfied: u32,
    not_satisfied: u32,
    numeric: bool,
}

impl Serialize for PolicyRow {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(7))?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("displayName", self.kind.name())?;
        m.serialize_entry("enforcedGrantControls", self.kind.grant())?;
        m.serialize_entry("enforcedSessionControls", self.kind.session())?;
        m.serialize_entry("result", self.result)?;
        if self.numeric {
            m.serialize_entry("conditionsSatisfied", &self.satisfied)?;
            m.serialize_entry("conditionsNotSatisfied", &self.not_satisfied)?;
        } else {
            m.serialize_entry("conditionsSatisfied", &Flags(self.satisfied))?;
            m.serialize_entry("conditionsNotSatisfied", &Flags(self.not_satisfied))?;
        }
        m.end()
    }
}

impl Serialize for Policies<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !self.view.ca_evaluated() {
            return s.serialize_seq(Some(0))?.end();
        }
        let policies = &self.view.tenant.policies;
        let mut seq = s.serialize_seq(Some(policies.len()))?;
        for p in policies {
            let (result, satisfied, not_satisfied) = self.view.evaluate(p.kind);
            seq.serialize_element(&PolicyRow {
                id: p.id,
                kind: p.kind,
                result,
                satisfied,
                not_satisfied,
                numeric: self.numeric,
            })?;
        }
        seq.end()
    }
}

/// `authenticationDetails`.
pub(crate) struct AuthDetails {
    pub(crate) auth: Auth,
    pub(crate) t: Tick,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Step {
    authentication_step_date_time: Ts,
    authentication_method: &'static str,
    authentication_method_detail: Option<&'static str>,
    succeeded: bool,
    authentication_step_result_detail: &'static str,
    authentication_step_requirement: &'static str,
}

impl Serialize for AuthDetails {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let at = Ts(self.t, Style::Seconds);
        let step = |method, detail, ok, result, requirement| Step {
            authentication_step_date_time: at,
            authentication_method: method,
            authentication_method_detail: detail,
            succeeded: ok,
            authentication_step_result_detail: result,
            authentication_step_requirement: requirement,
        };
        const PRIMARY: &str = "Primary authentication";
        const MFA: &str = "Multifactor authentication";
        let password = Some("Password in the cloud");
        let steps: Vec<Step> = match self.auth {
            Auth::Refresh | Auth::None => Vec::new(),
            Auth::Prt => vec![
                step(
                    "Previously satisfied",
                    None,
                    true,
                    "First factor requirement satisfied by claim in the token",
                    PRIMARY,
                ),
                step("Previously satisfied", None, true, "MFA requirement satisfied by claim in the token", MFA),
            ],
            Auth::Password => vec![step("Password", password, true, "Correct password", PRIMARY)],
            Auth::PasswordBad => vec![step(
                "Password",
                password,
                false,
                "Invalid username or password or Invalid on-premise username or password.",
                PRIMARY,
            )],
            Auth::PasswordMfa => vec![
                step("Password", password, true, "Correct password", PRIMARY),
                step("Microsoft Authenticator app", Some("Notification"), true, "MFA successfully completed", MFA),
            ],
            Auth::MfaPending => vec![
                step("Password", password, true, "Correct password", PRIMARY),
                step("Microsoft Authenticator app", Some("Notification"), false, "MFA required in Azure AD", MFA),
            ],
            Auth::Fido2 => vec![step("FIDO2 security key", None, true, "MFA successfully completed", PRIMARY)],
            Auth::Whfb => vec![step("Windows Hello for Business", None, true, "MFA successfully completed", PRIMARY)],
        };
        let mut seq = s.serialize_seq(Some(steps.len()))?;
        for st in &steps {
            seq.serialize_element(st)?;
        }
        seq.end()
    }
}

/// A `{key, value}` pair (`authenticationProcessingDetails`).
#[derive(Serialize)]
pub(crate) struct Kv {
    pub key: &'static str,
    pub value: &'static str,
}

/// `authenticationProcessingDetails` of ordinary sign-ins.
pub(crate) const PROCESSING: [Kv; 2] =
    [Kv { key: "Legacy TLS (TLS 1.0, 1.1, 3DES)", value: "False" }, Kv { key: "Is CAE Token", value: "False" }];
