//! The Azure activity log (`reference/formats.md` §6): `az monitor activity-log list` / REST
//! `EventData` objects, the diagnostic/storage form (`identity{authorization, claims}` beside
//! `properties`), and Log Analytics `AzureActivity` rows (`Claims` text or `Claims_d` object).
//!
//! The forensic value is in the token claims: `uti` names the sign-in that issued the token
//! (§9.2), `iat` says when, `ipaddr` and `appid` say from where and with what. Request and
//! response bodies are never read, so their shape (text or object) cannot break a record.

use std::borrow::Cow;

use jiff::Timestamp;
use serde_json::Value;

use super::common::{self, principal};
use super::{Parsed, Reason, uti};
use crate::event::{Actor, ActorKind, App, Kind, Origin, Outcome};
use crate::source::field::Rec;

/// Claim keys, long URI form first (activity logs use it), short JWT name second: the UPN…
const UPN: &[&str] = &["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn", "upn", "unique_name"];
/// …the user's (or principal's) object id…
const OBJECT_ID: &[&str] = &["http://schemas.microsoft.com/identity/claims/objectidentifier", "oid"];
/// …and the delegated scope, which only user tokens carry.
const SCOPE: &[&str] = &["http://schemas.microsoft.com/identity/claims/scope", "scp"];

/// Parses one activity-log record. `envelope` is the diagnostic record when `rec` is its
/// `properties`; envelope fields are read first, then the record's.
pub fn parse(rec: Rec<'_>, envelope: Option<Rec<'_>>, origin: Origin) -> Result<Parsed, Reason> {
    let layers: Vec<Rec<'_>> = envelope.into_iter().chain([rec]).collect();
    let time = time(&layers).ok_or("activity-log record has no readable eventTimestamp, TimeGenerated or time")?;
    let claims = claims(&layers);
    let claims = claims.as_deref().and_then(Rec::new);

    let mut ev = common::event(time, Kind::AzureOperation, origin);
    ev.detail.activity = value_text(&layers, &["operationNameValue", "operationName"]);
    ev.detail.category = value_text(&layers, &["categoryValue", "category"]);
    ev.detail.target = first(&layers, |l| l.string(&["resourceId", "_ResourceId"]));
    ev.outcome = outcome(value_text(&layers, &["activityStatusValue", "status", "resultType"]).as_deref());
    ev.code = value_text(&layers, &["activitySubstatusValue", "subStatus", "resultSignature"]);
    ev.ip = claims
        .and_then(|c| common::ip_of(c, &["ipaddr"]))
        .or_else(|| {
            first(&layers, |l| {
                l.object(&["httpRequest"]).and_then(|h| common::ip_of(Rec::new(&h)?, &["clientIpAddress"]))
            })
        })
        .or_else(|| first(&layers, |l| common::ip_of(l, &["callerIpAddress"])));
    ev.source.clone_from(&ev.ip);
    ev.ids.correlation = first(&layers, |l| l.lower(&["correlationId"]));
    ev.ids.record = first(&layers, |l| l.lower(&["eventDataId"]));

    let caller_upn = first(&layers, |l| l.string(&["caller"])).filter(|c| c.contains('@'));
    let upn = caller_upn.or_else(|| claims.and_then(|c| c.string(UPN)));
    if let Some(c) = claims {
        let app_id = c.lower(&["appid", "azp"]);
        ev.app = app_id.clone().map(|id| App { id: Some(id), name: None });
        ev.ids.token = c.string(&["uti"]);
        ev.ids.request = ev.ids.token.as_deref().and_then(uti::to_request_id);
        ev.detail.token_issued = c.str(&["iat"]).and_then(|s| crate::time::from_unix_seconds(&s));
        if upn.is_none() && app_only(c, &layers) {
            // A service principal's or managed identity's own token: it is the actor, and no
            // user's timeline should hold the operation.
            ev.actor = Some(Actor { kind: ActorKind::App, id: app_id.or_else(|| c.lower(OBJECT_ID)), name: None });
            return Ok(Parsed::Event(Box::new(ev)));
        }
    }
    let id = claims.and_then(|c| c.string(OBJECT_ID));
    ev.user = principal(upn, id, claims.and_then(|c| c.string(&["name"])));
    Ok(Parsed::Event(Box::new(ev)))
}

/// `eventTimestamp` (REST), `TimeGenerated` (Log Analytics), `time` (diagnostic), each looked
/// up in every layer before the next name is tried.
fn time(layers: &[Rec<'_>]) -> Option<Timestamp> {
    ["eventTimestamp", "TimeGenerated", "time"].iter().find_map(|name| first(layers, |l| common::time_of(l, &[*name])))
}

/// The first layer's answer to `f`.
fn first<'a, T>(layers: &[Rec<'a>], f: impl Fn(Rec<'a>) -> Option<T>) -> Option<T> {
    layers.iter().find_map(|l| f(*l))
}

/// A field that is either a string or a `{value, localizedValue}` object (REST), as text.
fn value_text(layers: &[Rec<'_>], names: &[&str]) -> Option<String> {
    first(layers, |l| {
        names.iter().find_map(|name| match l.get(&[*name])? {
            v @ Value::Object(_) => Rec::new(v)?.string(&["value"]),
            _ => l.string(&[*name]),
        })
    })
}

/// The token claims: `claims` (REST, object), `Claims_d` / `Claims` (Log Analytics, object or
/// JSON text), or `identity.claims` (diagnostic).
fn claims<'a>(layers: &[Rec<'a>]) -> Option<Cow<'a, Value>> {
    first(layers, |l| {
        l.object(&["claims_d"]).or_else(|| l.object(&["claims"])).or_else(|| match l.object(&["identity"])? {
            Cow::Borrowed(identity) => Rec::new(identity)?.object(&["claims"]),
            Cow::Owned(identity) => Rec::new(&identity)?.object(&["claims"]).map(|c| Cow::Owned(c.into_owned())),
        })
    })
}

/// Whether the token is an application's own (client credentials, managed identity) rather than
/// a user's: `idtyp` says so, the role assignment names a service principal, or there is no
/// delegated scope (every user token carries `scp`).
fn app_only(claims: Rec<'_>, layers: &[Rec<'_>]) -> bool {
    if let Some(t) = claims.str(&["idtyp"]) {
        return t.eq_ignore_ascii_case("app");
    }
    let principal_type = first(layers, |l| {
        let auth = l.object(&["authorization"]).or_else(|| {
            let identity = l.object(&["identity"])?;
            Rec::new(&identity)?.object(&["authorization"]).map(|a| Cow::Owned(a.into_owned()))
        })?;
        let evidence = Rec::new(&auth)?.object(&["evidence"])?;
        Rec::new(&evidence)?.string(&["principalType"])
    });
    match principal_type {
        Some(t) => t.eq_ignore_ascii_case("ServicePrincipal"),
        None => claims.get(SCOPE).is_none(),
    }
}

/// `Succeeded` → success, `Failed` → failure; `Started`, `Accepted`, `Active`, … are neither.
fn outcome(status: Option<&str>) -> Outcome {
    match status.map(str::to_ascii_lowercase).as_deref() {
        Some("succeeded" | "success") => Outcome::Success,
        Some("failed" | "failure") => Outcome::Failure,
        _ => Outcome::Info,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::source::entra::common::testing::{event, fixture, lines};

    #[test]
    fn rest_sample_of_the_reference() {
        let records: Value =
            serde_json::from_str(&fixture("entra/activity/az-activity-log-list.json")).expect("fixture is JSON");
        let ev = event(&records[0], "az-activity-log-list.json", 1);
        let ev = serde_json::to_value(&ev).expect("events serialise");
        assert_eq!(ev["kind"], "azure-operation");
        assert_eq!(ev["time"], "2018-01-29T20:42:31.3810679Z");
        assert_eq!(ev["outcome"], "success");
        assert_eq!(ev["detail"]["activity"], "Microsoft.Network/networkSecurityGroups/write");
        assert_eq!(ev["detail"]["category"], "Administrative");
        assert_eq!(
            ev["user"],
            json!({"name": "rob@contoso.com", "id": "f409edeb-4d29-44b5-9763-ee9348ad91bb", "display": "Rob Robertson"})
        );
        assert_eq!(ev["ip"], "111.111.1.111");
        assert_eq!(ev["app"]["id"], "00001111-aaaa-2222-bbbb-3333cccc4444");
        assert_eq!(ev["ids"]["token"], "IdP3SUJGtkGlt7dDQVRPAA");
        assert_eq!(ev["ids"]["request"], "49f7d321-4642-41b6-a5b7-b74341544f00");
        assert_eq!(ev["ids"]["record"], "aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e");
        assert_eq!(ev["detail"]["token_issued"], "2009-02-13T23:31:30Z");
        insta::assert_json_snapshot!("rest_sample", ev);
    }

    #[test]
    fn log_analytics_and_diagnostic_shapes() {
        let events = lines(&fixture("entra/activity/constructed-shapes.jsonl"), "constructed-shapes.jsonl");
        assert_eq!(events.len(), 5);
        // Claims as JSON text; the claim IP wins over the HTTP request's.
        assert_eq!(events[0]["ip"], "198.51.100.77");
        assert_eq!(events[0]["ids"]["request"], "4d63c1c4-c95b-4d3c-8e0a-1271fd813e00");
        assert_eq!(events[0]["detail"]["token_issued"], "2025-04-19T05:00:00Z");
        assert_eq!(events[0]["detail"]["activity"], "MICROSOFT.KEYVAULT/VAULTS/SECRETS/READ");
        assert_eq!(events[0]["outcome"], "success");
        // Claims_d object, numeric iat, a fake uti that is not decoded, a GUID caller.
        assert_eq!(events[1]["outcome"], "failure");
        assert_eq!(events[1]["code"], "Forbidden");
        assert_eq!(events[1]["ids"]["request"], Value::Null);
        assert_eq!(events[1]["detail"]["token_issued"], "2025-04-19T06:00:00Z");
        assert_eq!(events[1]["user"]["name"], "bruno.costa@contoso.com");
        assert_eq!(events[1]["ip"], "198.51.100.78");
        // Diagnostic: claims under the envelope's identity; bodies as text and object.
        assert_eq!(events[2]["user"]["id"], "a1b2c3d4-0000-4000-8000-000000000002");
        assert_eq!(events[2]["time"], "2025-04-19T05:40:00.1234567Z");
        assert_eq!(events[2]["ids"]["correlation"], "b5c6d7e8-5555-4f90-81a2-b3c4d5e6f708");
        // An application's own token: the app acts, no user.
        assert_eq!(events[3]["user"], Value::Null);
        assert_eq!(
            events[3]["actor"],
            json!({"type": "app", "id": "11112222-3333-4444-5555-666677778888", "name": null})
        );
        assert_eq!(events[3]["outcome"], "info");
        assert!(events[4]["error"].is_string());
        insta::assert_json_snapshot!("constructed_shapes", events);
    }

    #[test]
    fn elastic_activity_logs() {
        let Some(path) = crate::testutil::corpus("entra/elastic-azure/test-activitylogs-raw.log") else {
            return;
        };
        let text = std::fs::read_to_string(path).expect("corpus file is readable");
        let events = lines(&text, "test-activitylogs-raw.log");
        assert_eq!(events.len(), 3);
        assert!(events.iter().all(|e| e["kind"] == "azure-operation"));
        let list_keys: Vec<&Value> = events
            .iter()
            .filter(|e| e["detail"]["activity"].as_str().is_some_and(|a| a.to_ascii_lowercase().contains("listkeys")))
            .collect();
        assert_eq!(list_keys.len(), 1);
        let lk = list_keys[0];
        assert_eq!(lk["detail"]["category"], "Action");
        assert_eq!(lk["ip"], "81.2.69.144");
        assert_eq!(lk["time"], "2019-10-24T00:13:46.3554259Z");
        assert_eq!(lk["detail"]["token_issued"], "2019-10-24T00:08:46Z");
        // A service principal (role assignment evidence), not a user.
        assert_eq!(lk["user"], Value::Null);
        assert_eq!(lk["actor"]["type"], "app");
        // The fixture's uti is a GUID, not the 22-character form.
        assert_eq!(lk["ids"]["request"], Value::Null);
        // Lines 2 and 3 differ only in the shape of their bodies (text / object).
        assert_eq!(events[1]["detail"], events[2]["detail"]);
        assert_eq!(events[1]["time"], "2025-10-17T11:50:07.22Z");
        assert_eq!(events[1]["detail"]["category"], "ResourceHealth");
        insta::assert_json_snapshot!("elastic_activitylogs", events);
    }
}
