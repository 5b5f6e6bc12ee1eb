//! Entra sign-in records, in every shape of formats.md §2: Graph `signIn` objects (v1.0 and beta),
//! the `properties` of a diagnostic-settings envelope, Log Analytics `SigninLogs` and
//! `AADNonInteractiveUserSignInLogs` rows, and portal CSV rows once `portal_signin` has given them
//! Graph names.
//!
//! Field names are looked up through [`Rec`], which ignores case (so `ipAddress` also finds
//! `IPAddress`), decodes JSON-in-string columns, and treats `""`, `null`, `"<null>"` and `"-"` as
//! absent. Unknown keys are ignored: new ones appear every year.

use std::borrow::Cow;

use jiff::Timestamp;
use serde_json::Value;

use super::{Parsed, Reason, aadsts, common, signin_policy};
use crate::event::{App, Detail, Device, Event, Ids, Kind, Location, Origin, Outcome, Principal, Risk};
use crate::source::field::Rec;

/// The nil GUID: some exports put it in `userId` for sign-ins of accounts that do not exist. It
/// names nobody, and keeping it would merge every unknown user into one principal.
const NIL_GUID: &str = "00000000-0000-0000-0000-000000000000";

/// Parses one sign-in record. `rec` is the Graph object, the Log Analytics row, or the
/// `properties` of a diagnostic envelope; `envelope` is that envelope when there was one.
pub fn parse(rec: Rec<'_>, envelope: Option<Rec<'_>>, origin: Origin) -> Result<Parsed, Reason> {
    let time = time(rec, envelope)?;
    let kind = kind(rec, envelope);
    let policies = signin_policy::read(rec);
    let risk = risk(rec);
    let risk_shown = policies.risk_policy || risk_is_shown(rec);
    let status = Status::read(rec, envelope);
    let (outcome, failure) = match status.code {
        Some(code) => aadsts::classify(code, risk_shown),
        None => (status.text_outcome.unwrap_or(Outcome::Info), None),
    };
    let reason = status.reason.filter(|r| !(outcome == Outcome::Success && is_placeholder_reason(r)));
    let ip =
        common::ip_of(rec, &["ipAddress"]).or_else(|| envelope.and_then(|e| common::ip_of(e, &["callerIpAddress"])));
    let event = Event {
        time,
        kind,
        user: user(rec, kind),
        actor: None,
        host: None,
        source: ip.clone(),
        ip,
        outcome,
        code: status.code.map(|c| c.to_string()).or(status.raw_code),
        failure,
        reason,
        app: app(rec),
        resource: rec.string(&["resourceDisplayName"]),
        device: device(rec),
        location: location(rec, envelope),
        ids: ids(rec),
        risk,
        detail: Detail {
            blocking_policies: policies.blocking,
            risk_policy: policies.risk_policy,
            incoming_token: rec.string(&["incomingTokenType"]),
            auth_requirement: rec.string(&["authenticationRequirement"]),
            auth_methods: auth_methods(rec),
            ..Detail::default()
        },
        origin,
    };
    Ok(Parsed::Event(Box::new(event)))
}

/// The sign-in time: `createdDateTime`, then Log Analytics `TimeGenerated`, then the envelope's
/// `time` (which is when the record was written, seconds to minutes later).
fn time(rec: Rec<'_>, envelope: Option<Rec<'_>>) -> Result<Timestamp, Reason> {
    let candidates = [(Some(rec), "createdDateTime"), (Some(rec), "TimeGenerated"), (envelope, "time")];
    let mut first_bad: Option<(&str, &Value)> = None;
    for (source, name) in candidates {
        let Some(value) = source.and_then(|r| r.get(&[name])) else {
            continue;
        };
        if let Some(ts) = value.as_str().and_then(crate::time::parse) {
            return Ok(ts);
        }
        first_bad.get_or_insert((name, value));
    }
    Err(match first_bad {
        Some((name, value)) => format!("unreadable time in {name}: {}", shorten(value)),
        None => "no time: none of createdDateTime, TimeGenerated, time is present".to_string(),
    })
}

/// A value rendered for an error message: quoted when short, else only its length. A long value
/// is never cut and quoted: the part shown could be most of a secret written there, which the
/// redactor could then no longer recognise (a whole short value is redacted at ingest).
fn shorten(value: &Value) -> String {
    const MAX: usize = 40;
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match text.chars().count() {
        n if n > MAX => format!("a value of {n} characters"),
        _ => format!("{text:?}"),
    }
}

/// Interactive, non-interactive or service sign-in. The table or category decides when there is
/// one (the real `SignInLogs` sample has `isInteractive: false`); then `signInEventTypes`; then
/// `isInteractive`. Unknown interactivity is [`Kind::SignIn`].
fn kind(rec: Rec<'_>, envelope: Option<Rec<'_>>) -> Kind {
    let named = [envelope.and_then(|e| e.str(&["category"])), rec.str(&["Type"]), rec.str(&["category"])];
    if let Some(kind) = named.iter().flatten().find_map(|c| kind_of_category(c)) {
        return kind;
    }
    let types = rec.strings(&["signInEventTypes"]);
    let has = |t: &str| types.iter().any(|x| x.eq_ignore_ascii_case(t));
    if has("servicePrincipal") || has("managedIdentity") {
        return Kind::ServiceSignIn;
    }
    if has("interactiveUser") {
        return Kind::SignIn;
    }
    if has("nonInteractiveUser") || rec.bool(&["isInteractive"]) == Some(false) {
        return Kind::NonInteractiveSignIn;
    }
    Kind::SignIn
}

/// The kind named by a diagnostic category or Log Analytics table. ADFS sign-ins mix both
/// interactivities, so they are left to the record's own fields.
fn kind_of_category(category: &str) -> Option<Kind> {
    match category.to_ascii_lowercase().as_str() {
        "signinlogs" => Some(Kind::SignIn),
        "noninteractiveusersigninlogs" | "aadnoninteractiveusersigninlogs" => Some(Kind::NonInteractiveSignIn),
        "serviceprincipalsigninlogs"
        | "microsoftserviceprincipalsigninlogs"
        | "managedidentitysigninlogs"
        | "aadserviceprincipalsigninlogs"
        | "aadmanagedidentitysigninlogs" => Some(Kind::ServiceSignIn),
        _ => None,
    }
}

/// The result of a sign-in as logged.
struct Status {
    /// The AADSTS code, when it is a number.
    code: Option<i64>,
    /// A non-numeric code, kept verbatim.
    raw_code: Option<String>,
    /// An outcome stated in words (`Success`, `Failure`, `Interrupted`) when there is no code.
    text_outcome: Option<Outcome>,
    /// Failure reason or result description.
    reason: Option<String>,
}

impl Status {
    /// Reads `status` (object, or JSON text in `AADNonInteractiveUserSignInLogs`), then Log
    /// Analytics `ResultType`/`ResultDescription`, then the envelope's `resultType`/`resultDescription`.
    fn read(rec: Rec<'_>, envelope: Option<Rec<'_>>) -> Self {
        let object = rec.object(&["status"]);
        let status = object.as_deref().and_then(Rec::new);
        let sources: [(Option<Rec<'_>>, &str); 4] =
            [(status, "errorCode"), (Some(rec), "resultType"), (Some(rec), "errorCode"), (envelope, "resultType")];
        let code = sources.iter().find_map(|(r, name)| r.and_then(|r| r.int(&[name])));
        let words: Vec<Cow<'_, str>> = sources
            .iter()
            .filter_map(|(r, name)| r.and_then(|r| r.str(&[name])))
            .chain(rec.str(&["status"]).filter(|s| !s.starts_with('{')))
            .collect();
        let text_outcome = words.iter().find_map(|w| outcome_word(w));
        let raw_code = match (code, text_outcome) {
            (None, None) => words.first().map(|w| w.to_string()),
            _ => None,
        };
        let reason = status
            .and_then(|s| s.string(&["failureReason"]))
            .or_else(|| rec.string(&["resultDescription"]))
            .or_else(|| envelope.and_then(|e| e.string(&["resultDescription"])));
        Status { code, raw_code, text_outcome, reason }
    }
}

/// An outcome written as a word, as the portal's `Status` column does.
fn outcome_word(word: &str) -> Option<Outcome> {
    match word.trim().to_ascii_lowercase().as_str() {
        "success" => Some(Outcome::Success),
        "failure" => Some(Outcome::Failure),
        "interrupted" => Some(Outcome::Interrupted),
        _ => None,
    }
}

/// Whether a reason is the placeholder `Other.` that successful sign-ins carry in exports.
fn is_placeholder_reason(reason: &str) -> bool {
    reason.trim_end_matches('.').eq_ignore_ascii_case("other")
}

/// The account signing in. A GUID in `userPrincipalName` (seen in real exports) is an object id,
/// not a name. Service sign-ins without a user name their service principal instead.
fn user(rec: Rec<'_>, kind: Kind) -> Option<Principal> {
    let mut name = rec.lower(&["userPrincipalName"]);
    let mut id = rec.lower(&["userId"]).filter(|id| id != NIL_GUID);
    if name.as_deref().is_some_and(is_guid) {
        let guid = name.take();
        if id.is_none() {
            id = guid.filter(|g| g != NIL_GUID);
        }
    }
    let mut principal = Principal { name, id, display: rec.string(&["userDisplayName"]) };
    if principal.is_empty() && kind == Kind::ServiceSignIn {
        principal = Principal {
            name: None,
            id: rec.lower(&["servicePrincipalId"]),
            display: rec.string(&["servicePrincipalName"]),
        };
    }
    (!principal.is_empty()).then_some(principal)
}

/// Whether `s` is a GUID in its 8-4-4-4-12 text form.
fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// The client application.
fn app(rec: Rec<'_>) -> Option<App> {
    let app = App { id: rec.string(&["appId"]), name: rec.string(&["appDisplayName"]) };
    (app.id.is_some() || app.name.is_some()).then_some(app)
}

/// The device, from `deviceDetail` (object, or JSON text in Log Analytics). An empty `deviceId`
/// is absent.
fn device(rec: Rec<'_>) -> Option<Device> {
    let object = rec.object(&["deviceDetail"])?;
    let d = Rec::new(&object)?;
    let device = Device {
        id: d.string(&["deviceId"]),
        name: d.string(&["displayName"]),
        os: d.string(&["operatingSystem"]),
        browser: d.string(&["browser"]),
    };
    (device != Device::default()).then_some(device)
}

/// The location, from the `location` object (Graph) or `LocationDetails` (Log Analytics, maybe
/// JSON text). In Log Analytics and in the envelope, `Location` is a plain country code.
fn location(rec: Rec<'_>, envelope: Option<Rec<'_>>) -> Option<Location> {
    let object = rec.object(&["locationDetails", "location"]);
    let detail = object.as_deref().and_then(Rec::new);
    let country = detail
        .and_then(|d| d.string(&["countryOrRegion"]))
        .or_else(|| country_code(rec))
        .or_else(|| envelope.and_then(country_code));
    let location = Location { country, city: detail.and_then(|d| d.string(&["city"])) };
    (location != Location::default()).then_some(location)
}

/// A `location` field holding plain text (a country code), not an object or JSON text.
fn country_code(rec: Rec<'_>) -> Option<String> {
    match rec.get(&["location"])? {
        Value::String(s) if !s.trim_start().starts_with('{') => Some(s.trim().to_string()),
        _ => None,
    }
}

/// Join keys. The token identifier may carry Excel's formula-protection quote.
fn ids(rec: Rec<'_>) -> Ids {
    Ids {
        record: rec.string(&["id"]),
        correlation: rec.string(&["correlationId"]),
        request: None,
        token: rec
            .str(&["uniqueTokenIdentifier"])
            .map(|t| t.trim_start_matches('\'').to_string())
            .filter(|t| !t.is_empty()),
        session: rec.string(&["sessionId"]),
    }
}

/// Identity Protection risk on the sign-in, or `None` when every risk field is absent or `none`.
/// State and detail keep Microsoft's camelCase values; the level is lowercased.
fn risk(rec: Rec<'_>) -> Option<Risk> {
    let event_types = ["riskEventTypes_v2", "riskEventTypes"]
        .iter()
        .map(|name| rec.strings(&[name]))
        .find(|types| !types.is_empty())
        .unwrap_or_default()
        .into_iter()
        .filter(|t| !is_none(t))
        .collect::<Vec<_>>();
    let levels: Vec<String> = ["riskLevelAggregated", "riskLevelDuringSignIn", "riskLevel"]
        .iter()
        .filter_map(|name| rec.lower(&[name]))
        .collect();
    let level = levels.iter().find(|l| !is_none(l)).or(levels.first()).cloned();
    let risk = Risk {
        event_types,
        level,
        state: rec.string(&["riskState"]),
        detail: rec.string(&["riskDetail"]),
        timing: None,
        activity: None,
    };
    let informative = |v: &Option<String>| v.as_deref().is_some_and(|v| !is_none(v));
    let any = !risk.event_types.is_empty()
        || informative(&risk.level)
        || informative(&risk.state)
        || informative(&risk.detail);
    any.then_some(risk)
}

/// Whether a risk value is `none`.
fn is_none(v: &str) -> bool {
    v.eq_ignore_ascii_case("none")
}

/// Whether the record shows risk by level (aggregated or during sign-in, medium or high) or by
/// state (`atRisk`). Both levels are checked: either can be the elevated one.
fn risk_is_shown(rec: Rec<'_>) -> bool {
    let elevated = ["riskLevelAggregated", "riskLevelDuringSignIn"]
        .iter()
        .filter_map(|name| rec.lower(&[name]))
        .any(|l| l == "medium" || l == "high");
    elevated || rec.str(&["riskState"]).is_some_and(|s| s.eq_ignore_ascii_case("atRisk"))
}

/// Authentication methods, sorted and deduplicated: from `authenticationDetails` when it names
/// any, else `authenticationMethodsUsed`, else `mfaDetail.authMethod`.
fn auth_methods(rec: Rec<'_>) -> Vec<String> {
    let mut methods: Vec<String> = match rec.nested(&["authenticationDetails"]).as_deref() {
        Some(Value::Array(steps)) => {
            steps.iter().filter_map(Rec::new).filter_map(|s| s.string(&["authenticationMethod"])).collect()
        }
        _ => Vec::new(),
    };
    if methods.is_empty() {
        methods = rec.strings(&["authenticationMethodsUsed"]);
    }
    if methods.is_empty() {
        let mfa = rec.object(&["mfaDetail"]);
        methods.extend(mfa.as_deref().and_then(Rec::new).and_then(|m| m.string(&["authMethod"])));
    }
    methods.sort();
    methods.dedup();
    methods
}

#[cfg(test)]
#[path = "signin_tests.rs"]
mod tests;
