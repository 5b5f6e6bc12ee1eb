//! `plan-batch.json`: the Entra items as Microsoft Graph JSON batch bodies.
//!
//! The document is `{"schema_version", "tool", "plan", "warnings", "batches", "not_batched"}`.
//! Each element of `batches` is a body for `POST https://graph.microsoft.com/v1.0/$batch`
//! (`{"requests": [{"id", "method", "url", "body", "headers"}]}`, at most 20 requests); each
//! riskyUsers request carries at most 60 user ids. What a static batch cannot carry is listed in
//! `not_batched` with the reason: a password reset (a password must not be written into a file),
//! a riskyUsers action for a user without an object id in the logs, and the manual fixes of stale
//! credentials.

use lockscope::Action;
use lockscope::plan::{Item, PLAN_SCHEMA_VERSION, Plan, Target};
use serde_json::{Value, json};

use super::quote::url_segment;
use super::{MAX_BATCH_REQUESTS, MAX_USER_IDS};

/// Renders the document (pretty JSON and a newline).
pub fn render(plan: &Plan) -> String {
    let items: Vec<&Item> = plan.items.iter().filter(|i| i.target == Target::Entra).collect();
    let mut requests: Vec<Value> = Vec::new();
    let mut not_batched: Vec<Value> = Vec::new();
    let mut skip = |i: &Item, why: &str| {
        not_batched.push(json!({ "user": i.user, "action": i.action, "reason": why }));
    };
    let of = |a: Action| items.iter().copied().filter(move |i| i.action == a);
    let riskyusers = |a: Action, path: &str, requests: &mut Vec<Value>, skip: &mut dyn FnMut(&Item, &str)| {
        let mut ids: Vec<&str> = Vec::new();
        for i in of(a) {
            match &i.object_id {
                Some(id) => ids.push(id),
                None => skip(
                    i,
                    "no object id in the logs: riskyUsers actions take object ids; look it up (GET /users/{userPrincipalName}) or use plan.ps1",
                ),
            }
        }
        for (n, chunk) in ids.chunks(MAX_USER_IDS).enumerate() {
            requests.push(json!({
                "id": format!("{a}-{}", n + 1),
                "method": "POST",
                "url": format!("/identityProtection/riskyUsers/{path}"),
                "body": { "userIds": chunk },
                "headers": { "Content-Type": "application/json" },
            }));
        }
    };
    riskyusers(Action::ConfirmCompromised, "confirmCompromised", &mut requests, &mut skip);
    for (n, i) in of(Action::RevokeSessions).enumerate() {
        let who = i.object_id.as_deref().unwrap_or(&i.user);
        requests.push(json!({
            "id": format!("revoke-sessions-{}", n + 1),
            "method": "POST",
            "url": format!("/users/{}/revokeSignInSessions", url_segment(who)),
        }));
    }
    for i in of(Action::ResetPassword) {
        skip(
            i,
            "a password reset needs a new password, which must not be written into a file: use plan.ps1 or the portal",
        );
    }
    riskyusers(Action::ConfirmSafe, "confirmSafe", &mut requests, &mut skip);
    riskyusers(Action::DismissRisk, "dismiss", &mut requests, &mut skip);
    for i in of(Action::FixStaleCredential) {
        let on = i.host.as_deref().map(|h| format!(" on {h}")).unwrap_or_default();
        skip(i, &format!("manual: update or remove the old password stored{on}"));
    }
    let batches: Vec<Value> = requests.chunks(MAX_BATCH_REQUESTS).map(|chunk| json!({ "requests": chunk })).collect();
    let doc = json!({
        "schema_version": PLAN_SCHEMA_VERSION,
        "tool": plan.tool,
        "plan": plan.hash,
        "warnings": plan.mass_warnings(),
        "batches": batches,
        "not_batched": not_batched,
    });
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}
