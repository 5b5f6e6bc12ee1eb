//! Entra portal sign-in CSV rows (formats.md §2.4) rewritten with Graph `signIn` names, so the one
//! sign-in parser reads them.
//!
//! Headers are matched by normalised name (trimmed, spaces collapsed, lowercase), never by
//! position: `"Application ID "` ends in a space, `"Autonomous system  number"` has two, and the
//! column order changes between portal versions. Values lose a leading `'` (Excel formula
//! protection, seen on token identifiers starting with `-` or `+`). Columns with no Graph
//! counterpart are dropped; the parser would ignore them anyway.

use serde_json::{Map, Value};

use super::portal::normalise_header;
use crate::source::field::parse_int;

/// Normalised portal header → Graph path (dots for nested objects). Covers the user sign-ins
/// header and the application (service principal) sign-ins header.
const COLUMNS: &[(&str, &str)] = &[
    ("date (utc)", "createdDateTime"),
    ("request id", "id"),
    ("user agent", "userAgent"),
    ("correlation id", "correlationId"),
    ("user id", "userId"),
    ("user", "userDisplayName"),
    ("username", "userPrincipalName"),
    ("user type", "userType"),
    ("cross tenant access type", "crossTenantAccessType"),
    ("incoming token type", "incomingTokenType"),
    ("authentication protocol", "authenticationProtocol"),
    ("unique token identifier", "uniqueTokenIdentifier"),
    ("original transfer method", "originalTransferMethod"),
    ("client credential type", "clientCredentialType"),
    ("token protection - sign in session", "tokenProtectionStatusDetails.signInSessionStatus"),
    ("token protection - sign in session statuscode", "tokenProtectionStatusDetails.signInSessionStatusCode"),
    ("application", "appDisplayName"),
    ("application id", "appId"),
    ("resource", "resourceDisplayName"),
    ("resource id", "resourceId"),
    ("resource tenant id", "resourceTenantId"),
    ("home tenant id", "homeTenantId"),
    ("ip address", "ipAddress"),
    ("failure reason", "status.failureReason"),
    ("client app", "clientAppUsed"),
    ("device id", "deviceDetail.deviceId"),
    ("browser", "deviceDetail.browser"),
    ("operating system", "deviceDetail.operatingSystem"),
    ("compliant", "deviceDetail.isCompliant"),
    ("managed", "deviceDetail.isManaged"),
    ("join type", "deviceDetail.trustType"),
    ("multifactor authentication auth method", "mfaDetail.authMethod"),
    ("multifactor authentication auth detail", "mfaDetail.authDetail"),
    ("authentication requirement", "authenticationRequirement"),
    ("sign-in identifier", "signInIdentifier"),
    ("session id", "sessionId"),
    ("ip address (seen by resource)", "ipAddressFromResourceProvider"),
    ("through global secure access", "isThroughGlobalSecureAccess"),
    ("global secure access ip address", "globalSecureAccessIpAddress"),
    ("autonomous system number", "autonomousSystemNumber"),
    ("flagged for review", "flaggedForReview"),
    ("token issuer type", "tokenIssuerType"),
    ("token issuer name", "tokenIssuerName"),
    ("latency", "processingTimeInMilliseconds"),
    ("managed identity type", "managedServiceIdentity.msiType"),
    ("associated resource id", "managedServiceIdentity.associatedResourceId"),
    ("federated token id", "managedServiceIdentity.federatedTokenId"),
    ("federated token issuer", "managedServiceIdentity.federatedTokenIssuer"),
    ("service principal id", "servicePrincipalId"),
    ("service principal name", "servicePrincipalName"),
    ("credential key id", "servicePrincipalCredentialKeyId"),
    ("credential thumbprint", "servicePrincipalCredentialThumbprint"),
    ("app owner tenant id", "appOwnerTenantId"),
    ("resource owner tenant id", "resourceOwnerTenantId"),
];

/// Maps a portal sign-in CSV row to Graph `signIn` names.
pub fn canonicalise(row: &Map<String, Value>) -> Map<String, Value> {
    let cells = Cells::of(row);
    let mut out = Map::new();
    for (header, path) in COLUMNS {
        if let Some(value) = cells.get(header) {
            set(&mut out, path, Value::String(value.to_string()));
        }
    }
    if let Some(location) = cells.get("location") {
        out.insert("location".into(), Value::Object(split_location(location)));
    }
    if let Some(status) = cells.get("conditional access") {
        out.insert("conditionalAccessStatus".into(), Value::String(ca_status(status)));
    }
    set_result(&mut out, &cells);
    if let Some(kind) = event_type(&cells) {
        out.insert("signInEventTypes".into(), Value::Array(vec![Value::String(kind.into())]));
    }
    out
}

/// The row's cells by normalised header, values cleaned. The CSV reader already merged repeated
/// columns; should two keys still normalise to one name, the first non-empty value (in map
/// order) wins.
struct Cells(Vec<(String, String)>);

impl Cells {
    /// Normalises the headers and cleans the values of `row`.
    fn of(row: &Map<String, Value>) -> Self {
        let mut cells: Vec<(String, String)> = Vec::with_capacity(row.len());
        for (header, value) in row {
            let Some(value) = clean(value) else { continue };
            let header = normalise_header(header);
            if !cells.iter().any(|(h, _)| *h == header) {
                cells.push((header, value));
            }
        }
        Cells(cells)
    }

    /// The cleaned value under a normalised header.
    fn get(&self, header: &str) -> Option<&str> {
        self.0.iter().find(|(h, _)| h == header).map(|(_, v)| v.as_str())
    }
}

/// A cell's text: trimmed, without Excel's leading `'`, `None` when empty or a placeholder.
fn clean(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => s.trim(),
        Value::Number(n) => return Some(n.to_string()),
        Value::Bool(b) => return Some(b.to_string()),
        _ => return None,
    };
    let text = text.strip_prefix('\'').unwrap_or(text).trim();
    (!(text.is_empty() || text == "-" || text.eq_ignore_ascii_case("<null>"))).then(|| text.to_string())
}

/// Sets `path` (dot-separated) in `out`, creating intermediate objects.
fn set(out: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        None => {
            out.insert(path.to_string(), value);
        }
        Some((head, rest)) => {
            let child = out.entry(head.to_string()).or_insert_with(|| Value::Object(Map::new()));
            if !child.is_object() {
                *child = Value::Object(Map::new());
            }
            if let Value::Object(map) = child {
                set(map, rest, value);
            }
        }
    }
}

/// `"City, State, CC"` as a Graph `signInLocation`. Two parts are city and country; one part is
/// a country when it is a two-letter code, else a city.
fn split_location(text: &str) -> Map<String, Value> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    let mut out = Map::new();
    let mut put = |key: &str, v: &str| {
        if !v.is_empty() {
            out.insert(key.to_string(), Value::String(v.to_string()));
        }
    };
    match parts.as_slice() {
        [one] if one.len() == 2 && one.chars().all(|c| c.is_ascii_alphabetic()) => put("countryOrRegion", one),
        [one] => put("city", one),
        [city, country] => {
            put("city", city);
            put("countryOrRegion", country);
        }
        [city, middle @ .., country] => {
            put("city", city);
            put("state", &middle.join(", "));
            put("countryOrRegion", country);
        }
        [] => {}
    }
    out
}

/// The portal's `Conditional Access` words as the Graph enum (`Not Applied` → `notApplied`).
fn ca_status(text: &str) -> String {
    match normalise_header(text).as_str() {
        "success" => "success".into(),
        "failure" => "failure".into(),
        "not applied" => "notApplied".into(),
        _ => text.to_string(),
    }
}

/// `status.errorCode` from `Sign-in error code`. Without a code, `Status` `Success` means 0, and
/// other words are kept in `resultType` for the parser to read as an outcome.
fn set_result(out: &mut Map<String, Value>, cells: &Cells) {
    let code = cells.get("sign-in error code");
    match code.and_then(parse_int) {
        Some(n) => set(out, "status.errorCode", Value::from(n)),
        None => match (code, cells.get("status")) {
            (Some(text), _) => set(out, "status.errorCode", Value::String(text.to_string())),
            (None, Some(s)) if s.eq_ignore_ascii_case("success") => set(out, "status.errorCode", Value::from(0)),
            (None, Some(s)) => {
                out.insert("resultType".into(), Value::String(s.to_string()));
            }
            (None, None) => {}
        },
    }
}

/// The sign-in event type the columns reveal: a managed-identity type, or a service principal
/// without a user. User rows say nothing about interactivity (that is only in the file name).
fn event_type(cells: &Cells) -> Option<&'static str> {
    if cells.get("managed identity type").is_some() {
        return Some("managedIdentity");
    }
    let user = ["user", "username", "user id"].iter().any(|h| cells.get(h).is_some());
    (cells.get("service principal id").is_some() && !user).then_some("servicePrincipal")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::event::{Event, Failure, Kind, Outcome};
    use crate::source::entra::Parsed;
    use crate::source::entra::common::testing::origin;
    use crate::source::field::Rec;

    /// A CSV row as the reader hands it over: header → string value.
    fn row(cells: &[(&str, &str)]) -> Map<String, Value> {
        cells.iter().map(|(h, v)| (h.to_string(), Value::String(v.to_string()))).collect()
    }

    /// Canonicalises a row and parses it with the sign-in parser.
    fn parse_row(row: &Map<String, Value>) -> Event {
        let canonical = canonicalise(row);
        match super::super::signin::parse(Rec::from_map(&canonical), None, origin("InteractiveSignIns.csv", 2)) {
            Ok(Parsed::Event(ev)) => *ev,
            other => panic!("expected an event, got {other:?}"),
        }
    }

    /// A successful user sign-in with the header quirks of formats.md §2.4: `Application ID `
    /// with a trailing space, `Autonomous system  number` with two, and a token identifier
    /// starting with `-` behind Excel's `'`.
    fn success_row() -> Map<String, Value> {
        row(&[
            ("Date (UTC)", "2025-12-04T08:19:41Z"),
            ("Request ID", "0c61a7f9-3e2b-4c8d-9a14-6f0b2d7e8c00"),
            ("User agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edg/131.0.0.0"),
            ("Correlation ID", "6d1f0e3a-8b2c-4a7d-9e5f-2b0c4d6a8e13"),
            ("User ID", "7C1E4A92-3B6D-4F0E-8A25-D9B3C6E1F084"),
            ("User", "Ana Silva"),
            ("Username", "Ana.Silva@Contoso.com"),
            ("User type", "Member"),
            ("Incoming token type", "primaryRefreshToken"),
            ("Authentication Protocol", "none"),
            ("Unique token identifier", "'-adhDCs-jUyaFG8LLX6MAA"),
            ("Application", "Microsoft Office"),
            ("Application ID ", "d3590ed6-52b3-4102-aeff-aad2292ab01c"),
            ("Resource", "Office 365 SharePoint Online"),
            ("Resource ID ", "00000003-0000-0ff1-ce00-000000000000"),
            ("IP address", "203.0.113.47"),
            ("Location", "Redmond, Washington, US"),
            ("Status", "Success"),
            ("Sign-in error code", "0"),
            ("Failure reason", "Other."),
            ("Client app", "Mobile Apps and Desktop clients"),
            ("Device ID", ""),
            ("Browser", "Edge 131.0.0"),
            ("Operating System", "Windows10"),
            ("Compliant", "False"),
            ("Join Type", "Microsoft Entra registered"),
            ("Multifactor authentication auth method", "Previously satisfied"),
            ("Authentication requirement", "singleFactorAuthentication"),
            ("Session ID", "4a8c1e63-7f2b-4d90-a3e5-6b0d9c2f1e84"),
            ("Autonomous system  number", "8075"),
            ("Conditional Access", "Not Applied"),
            ("Managed Identity type", ""),
        ])
    }

    /// A Conditional Access block (53003) as the portal shows it: no policy names, no risk.
    fn blocked_row() -> Map<String, Value> {
        row(&[
            ("Date (UTC)", "2025-04-19T05:03:17Z"),
            ("Request ID", "2e9b41c8-7d05-4f3a-b8e6-1c4a9f0d3b00"),
            ("User ID", "b2d6f0a4-9e13-4c57-8f2a-6c0e3d9b1a78"),
            ("User", "Bruno Costa"),
            ("Username", "bruno.costa@contoso.com"),
            ("Incoming token type", ""),
            ("Unique token identifier", "yEGbLgV9Ok-45hxKnw07AA"),
            ("Application", "Microsoft Teams Web Client"),
            ("Application ID", "5e3ce6c0-2b1f-4285-8d4b-75ee78787346"),
            ("IP address", "2001:db8:4f1a::27"),
            ("Location", "Lisbon, Lisboa, PT"),
            ("Status", "Failure"),
            ("Sign-in error code", "53003"),
            (
                "Failure reason",
                "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
            ),
            ("Operating System", "MacOs"),
            ("Browser", "Safari 18.3"),
            ("Conditional Access", "Failure"),
        ])
    }

    #[test]
    fn success_row_canonical_and_parsed() {
        let canonical = canonicalise(&success_row());
        assert_eq!(canonical["appId"], json!("d3590ed6-52b3-4102-aeff-aad2292ab01c"));
        assert_eq!(canonical["autonomousSystemNumber"], json!("8075"));
        assert_eq!(canonical["uniqueTokenIdentifier"], json!("-adhDCs-jUyaFG8LLX6MAA"));
        assert_eq!(canonical["conditionalAccessStatus"], json!("notApplied"));
        insta::assert_json_snapshot!("success_row_canonical", canonical);
        let ev = parse_row(&success_row());
        assert_eq!((ev.kind, ev.outcome, ev.reason.as_deref()), (Kind::SignIn, Outcome::Success, None));
        assert_eq!(ev.ids.token.as_deref(), Some("-adhDCs-jUyaFG8LLX6MAA"));
        insta::assert_json_snapshot!("success_row_event", ev);
    }

    #[test]
    fn conditional_access_failure_row() {
        let canonical = canonicalise(&blocked_row());
        assert_eq!(
            canonical["status"],
            json!({"errorCode": 53003,
            "failureReason": "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance."})
        );
        assert_eq!(canonical["conditionalAccessStatus"], json!("failure"));
        let ev = parse_row(&blocked_row());
        assert_eq!((ev.outcome, ev.failure), (Outcome::Failure, Some(Failure::PolicyBlocked)));
        assert!(ev.detail.blocking_policies.is_empty(), "the portal CSV names no policies");
        insta::assert_json_snapshot!("conditional_access_failure_event", ev);
    }

    #[test]
    fn application_sign_in_row() {
        let app = row(&[
            ("Date (UTC)", "2025-04-19T06:00:00Z"),
            ("Request ID", "r-1"),
            ("Service principal ID", "9F1C2B3A-0000-4000-8000-00000000ABCD"),
            ("Service principal name", "Nightly export"),
            ("Application", "Nightly export"),
            ("Application ID ", "a-1"),
            ("IP address", "192.0.2.10"),
            ("Location", "DE"),
            ("Status", "Failure"),
            ("Sign-in error code", "7000215"),
            ("Failure reason", "Invalid client secret provided."),
        ]);
        let ev = parse_row(&app);
        assert_eq!((ev.kind, ev.failure), (Kind::ServiceSignIn, Some(Failure::Other)));
        let user = ev.user.expect("service principal");
        assert_eq!(
            (user.id.as_deref(), user.display.as_deref()),
            (Some("9f1c2b3a-0000-4000-8000-00000000abcd"), Some("Nightly export"))
        );
        assert_eq!(ev.location.and_then(|l| l.country).as_deref(), Some("DE"));
    }

    #[test]
    fn locations_split_by_commas() {
        let loc = |t: &str| Value::Object(split_location(t));
        assert_eq!(
            loc("Redmond, Washington, US"),
            json!({"city": "Redmond", "state": "Washington", "countryOrRegion": "US"})
        );
        assert_eq!(loc("London, GB"), json!({"city": "London", "countryOrRegion": "GB"}));
        assert_eq!(loc("US"), json!({"countryOrRegion": "US"}));
        assert_eq!(loc("Redmond"), json!({"city": "Redmond"}));
        assert_eq!(loc(", , FR"), json!({"countryOrRegion": "FR"}));
    }

    #[test]
    fn status_without_code_and_dirty_cells() {
        let ok = canonicalise(&row(&[("Status", "Success"), ("Sign-in error code", "")]));
        assert_eq!(ok["status"], json!({"errorCode": 0}));
        let interrupted = canonicalise(&row(&[("Status", "Interrupted")]));
        assert_eq!(interrupted["resultType"], json!("Interrupted"));
        let dirty = canonicalise(&row(&[(" Username ", "'<null>"), ("IP  ADDRESS", " '+1.2.3.4 "), ("User", "-")]));
        assert_eq!(Value::Object(dirty), json!({"ipAddress": "+1.2.3.4"}));
        let repeated = canonicalise(&row(&[("Incoming token type", ""), ("Incoming  token type", "refreshToken")]));
        assert_eq!(repeated["incomingTokenType"], json!("refreshToken"), "an empty duplicate does not hide a value");
    }
}
