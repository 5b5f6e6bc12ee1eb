//! The mock's endpoints.

use jiff::Timestamp;
use serde_json::{Value, json};

use super::data::parse_time;
use super::http::{Request, Response, parse_query};
use super::{LoggedRequest, State};

/// Most user ids one risky-user action takes.
const MAX_USER_IDS: usize = 60;
/// Most requests in one `$batch`.
const MAX_BATCH: usize = 20;

/// A log entry for `req`.
pub(crate) fn logged(req: &Request, status: u16, in_batch: Option<usize>) -> LoggedRequest {
    let token_request = req.path.ends_with("/oauth2/v2.0/token");
    LoggedRequest {
        method: req.method.clone(),
        path: req.path.clone(),
        query: req.params(),
        // The token request's form holds the client secret: never kept.
        body: if token_request { None } else { serde_json::from_slice(&req.body).ok() },
        status,
        in_batch,
    }
}

/// A `riskyUserHistoryItem` from a risky-user snapshot.
pub(crate) fn history_item(user_id: &str, snapshot: &Value, initiated_by: &str) -> Value {
    let mut item = snapshot.clone();
    if let Some(o) = item.as_object_mut() {
        o.insert("userId".into(), Value::String(user_id.to_string()));
        o.insert("initiatedBy".into(), Value::String(initiated_by.to_string()));
        let detail = snapshot.get("riskDetail").cloned().unwrap_or(Value::String("none".into()));
        o.insert("activity".into(), json!({"riskEventTypes": [], "detail": detail}));
    }
    item
}

/// Answers one request and logs it.
pub(crate) fn handle(st: &mut State, req: &Request, base: &str) -> Response {
    let index = st.log.len();
    st.log.push(logged(req, 0, None));
    let resp = route(st, req, base, index);
    if let Some(l) = st.log.get_mut(index) {
        l.status = resp.status;
    }
    resp
}

fn route(st: &mut State, req: &Request, base: &str, index: usize) -> Response {
    if req.path.ends_with("/oauth2/v2.0/token") {
        return token(st, req);
    }
    let bearer = req.header("authorization").and_then(|a| a.strip_prefix("Bearer ")).unwrap_or("");
    if !st.tokens.contains(bearer) {
        let mut msg = "Access token is empty or invalid.".to_string();
        if st.echo_auth {
            msg.push_str(&format!(" Received: Bearer {bearer}"));
        }
        return Response::error(401, "InvalidAuthenticationToken", &msg);
    }
    if let Some(r) = st.storm_for(&req.path) {
        return r;
    }
    let (version, rest) = match req.path.strip_prefix("/v1.0") {
        Some(r) => ("v1.0", r),
        None => match req.path.strip_prefix("/beta") {
            Some(r) => ("beta", r),
            None => return Response::error(404, "BadRequest", "Unknown API version"),
        },
    };
    if req.method == "POST" && rest == "/$batch" {
        return batch(st, req, version, index);
    }
    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    let mut resp = dispatch(st, &req.method, version, rest, &req.params(), &body, base);
    if st.echo_auth && resp.status >= 400 {
        resp = Response::error(resp.status, "Echo", &format!("request carried Authorization: Bearer {bearer}"));
    }
    resp
}

/// Routes a Graph call (top-level or inside a `$batch`).
fn dispatch(
    st: &mut State,
    method: &str,
    version: &str,
    rest: &str,
    params: &[(String, String)],
    body: &Value,
    base: &str,
) -> Response {
    let segs: Vec<&str> = rest.trim_matches('/').split('/').collect();
    match (method, segs.as_slice()) {
        ("GET", ["auditLogs", "signIns"]) => list(st, Family::SignIns, version, rest, params, base),
        ("GET", ["auditLogs", "directoryAudits"]) => list(st, Family::Audits, version, rest, params, base),
        ("GET", ["identityProtection", "riskDetections"]) => list(st, Family::Detections, version, rest, params, base),
        ("GET", ["identityProtection", "riskyUsers"]) => list(st, Family::RiskyUsers, version, rest, params, base),
        ("GET", ["identityProtection", "riskyUsers", id]) => match st.risky.get(&id.to_lowercase()) {
            Some(u) => Response::json(200, u),
            None => Response::error(404, "ResourceNotFound", "The risky user was not found."),
        },
        ("GET", ["identityProtection", "riskyUsers", id, "history"]) => {
            if !st.risky.contains_key(&id.to_lowercase()) {
                return Response::error(404, "ResourceNotFound", "The risky user was not found.");
            }
            list(st, Family::History(id.to_lowercase()), version, rest, params, base)
        }
        ("POST", ["identityProtection", "riskyUsers", action @ ("dismiss" | "confirmCompromised" | "confirmSafe")]) => {
            risk_action(st, action, body)
        }
        ("POST", ["users", id, "revokeSignInSessions"]) => {
            let id = id.to_lowercase();
            *st.revoked.entry(id).or_default() += 1;
            Response::json(
                200,
                &json!({"@odata.context": format!("{base}/{version}/$metadata#Edm.Boolean"), "value": true}),
            )
        }
        _ => Response::error(400, "BadRequest", &format!("Resource not found for the segment '{}'.", segs.join("/"))),
    }
}

fn token(st: &mut State, req: &Request) -> Response {
    let tenant = req.path.trim_start_matches('/').split('/').next().unwrap_or("").to_string();
    let form = parse_query(&String::from_utf8_lossy(&req.body));
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).unwrap_or("");
    if get("grant_type") != "client_credentials" {
        return Response::json(
            400,
            &json!({"error": "unsupported_grant_type", "error_description": "AADSTS70003: The app requested an unsupported grant type."}),
        );
    }
    let known = st.clients.iter().any(|(t, c, s)| *t == tenant && c == get("client_id") && s == get("client_secret"));
    if !known {
        return Response::json(
            401,
            &json!({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID."}),
        );
    }
    let token = st.issue_token();
    Response::json(
        200,
        &json!({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}),
    )
}

fn risk_action(st: &mut State, action: &str, body: &Value) -> Response {
    let Some(ids) = body.get("userIds").and_then(Value::as_array) else {
        return Response::error(400, "BadRequest", "Missing property 'userIds'.");
    };
    if ids.is_empty() {
        return Response::error(400, "BadRequest", "userIds must not be empty.");
    }
    if ids.len() > MAX_USER_IDS {
        return Response::error(
            400,
            "BadRequest",
            &format!("The maximum count of users in one call is {MAX_USER_IDS}; got {}.", ids.len()),
        );
    }
    let (state, level, detail) = match action {
        "dismiss" => ("dismissed", "none", "adminDismissedAllRiskForUser"),
        "confirmCompromised" => ("confirmedCompromised", "high", "adminConfirmedUserCompromised"),
        // UNCONFIRMED detail (formats.md §4.2); the state is what the action is for.
        _ => ("confirmedSafe", "none", "adminConfirmedAccountSafe"),
    };
    let now = st.now();
    for id in ids.iter().filter_map(Value::as_str).map(str::to_lowercase) {
        if st.silent.contains(&id) {
            continue;
        }
        let Some(u) = st.risky.get_mut(&id) else { continue };
        u["riskState"] = json!(state);
        u["riskLevel"] = json!(level);
        u["riskDetail"] = json!(detail);
        u["riskLastUpdatedDateTime"] = json!(now);
        let item = history_item(&id, u, "00000000-0000-0000-0000-00000000ad01");
        st.history.entry(id).or_default().push(item);
    }
    Response::empty(204)
}

fn batch(st: &mut State, req: &Request, version: &str, index: usize) -> Response {
    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    let Some(requests) = body.get("requests").and_then(Value::as_array) else {
        return Response::error(400, "BadRequest", "Invalid batch payload format.");
    };
    if requests.len() > MAX_BATCH {
        return Response::error(400, "BadRequest", "Number of batch requests exceeds the limit of 20.");
    }
    let mut responses = Vec::with_capacity(requests.len());
    for r in requests {
        let id = r.get("id").cloned().unwrap_or(Value::Null);
        let method = r.get("method").and_then(Value::as_str).unwrap_or("GET").to_ascii_uppercase();
        let url = r.get("url").and_then(Value::as_str).unwrap_or("");
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        let path = if path.starts_with('/') { path.to_string() } else { format!("/{path}") };
        let params = parse_query(query);
        let sub_body = r.get("body").cloned().unwrap_or(Value::Null);
        let (status, headers, body) = if st.batch_item_throttle > 0 {
            st.batch_item_throttle -= 1;
            (
                429,
                json!({"Retry-After": "1"}),
                json!({"error": {"code": "TooManyRequests", "message": "Too many requests."}}),
            )
        } else {
            let resp = dispatch(st, &method, version, &path, &params, &sub_body, "");
            let body = serde_json::from_slice::<Value>(&resp.body).unwrap_or(Value::Null);
            (resp.status, json!({"Content-Type": "application/json"}), body)
        };
        st.log.push(LoggedRequest {
            method: method.clone(),
            path: format!("/{version}{path}"),
            query: params,
            body: (!sub_body.is_null()).then_some(sub_body),
            status,
            in_batch: Some(index),
        });
        let mut out = json!({"id": id, "status": status, "headers": headers});
        if !body.is_null() {
            out["body"] = body;
        }
        responses.push(out);
    }
    Response::json(200, &json!({"responses": responses}))
}

/// The listed families.
enum Family {
    SignIns,
    Audits,
    Detections,
    RiskyUsers,
    History(String),
}

/// One `$filter` clause.
enum Clause {
    /// `field op value`.
    Cmp { field: String, op: String, value: String },
    /// `signInEventTypes/any(t: t eq 'x')`.
    EventType(String),
}

fn parse_filter(filter: &str) -> Result<Vec<Clause>, String> {
    let mut out = Vec::new();
    for raw in split_and(filter) {
        let c = raw.trim();
        if let Some(inner) = c.strip_prefix("signInEventTypes/any(") {
            let inner = inner.trim_end_matches(')');
            let value = inner.split("eq").nth(1).map(|v| v.trim().trim_matches('\'').to_string());
            match value {
                Some(v) if !v.is_empty() => out.push(Clause::EventType(v)),
                _ => return Err(format!("Invalid filter clause: {c}")),
            }
            continue;
        }
        let parts: Vec<&str> = c.splitn(3, ' ').collect();
        let [field, op, value] = parts.as_slice() else {
            return Err(format!("Invalid filter clause: {c}"));
        };
        let op = op.to_ascii_lowercase();
        if !["eq", "ne", "ge", "gt", "le", "lt"].contains(&op.as_str()) {
            return Err(format!("Invalid filter clause: unsupported operator '{op}'"));
        }
        out.push(Clause::Cmp { field: field.to_string(), op, value: value.trim().trim_matches('\'').to_string() });
    }
    Ok(out)
}

/// Splits on ` and ` (any case) outside quotes and parentheses.
fn split_and(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut depth, mut quoted) = (0i32, false);
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let ch = chars[i];
        match ch {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            _ => {}
        }
        if !quoted && depth == 0 && i + 5 <= chars.len() {
            let w: String = chars[i..i + 5].iter().collect();
            if w.eq_ignore_ascii_case(" and ") {
                out.push(std::mem::take(&mut cur));
                i += 5;
                continue;
            }
        }
        cur.push(ch);
        i += 1;
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
}

fn field<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('/').try_fold(v, |cur, k| cur.get(k))
}

fn matches(v: &Value, clauses: &[Clause], default_interactive: bool) -> bool {
    let mut wanted_type: Option<&str> = None;
    for c in clauses {
        match c {
            Clause::EventType(t) => wanted_type = Some(t),
            Clause::Cmp { field: f, op, value } => {
                let Some(actual) = field(v, f) else { return false };
                let ok = if f.ends_with("DateTime") {
                    match (actual.as_str().and_then(parse_time), parse_time(value)) {
                        (Some(a), Some(b)) => cmp_op(op, a.cmp(&b)),
                        _ => false,
                    }
                } else {
                    let a = match actual {
                        Value::String(s) => s.to_lowercase(),
                        other => other.to_string().to_lowercase(),
                    };
                    cmp_op(op, a.cmp(&value.to_lowercase()))
                };
                if !ok {
                    return false;
                }
            }
        }
    }
    if default_interactive {
        let types: Vec<String> = match v.get("signInEventTypes").and_then(Value::as_array) {
            Some(a) if !a.is_empty() => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            _ => {
                let interactive = v.get("isInteractive").and_then(Value::as_bool).unwrap_or(true);
                vec![if interactive { "interactiveUser" } else { "nonInteractiveUser" }.to_string()]
            }
        };
        let wanted = wanted_type.unwrap_or("interactiveUser");
        return types.iter().any(|t| t.eq_ignore_ascii_case(wanted));
    }
    true
}

fn cmp_op(op: &str, o: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        "eq" => o == Equal,
        "ne" => o != Equal,
        "ge" => o != Less,
        "gt" => o == Greater,
        "le" => o != Greater,
        "lt" => o == Less,
        _ => false,
    }
}

fn list(st: &mut State, fam: Family, version: &str, rest: &str, params: &[(String, String)], base: &str) -> Response {
    let get = |k: &str| params.iter().find(|(n, _)| n.eq_ignore_ascii_case(k)).map(|(_, v)| v.as_str());
    let clauses = match get("$filter").map(parse_filter).transpose() {
        Ok(c) => c.unwrap_or_default(),
        Err(e) => return Response::error(400, "BadRequest", &e),
    };
    let top = match get("$top").map(str::parse::<usize>).transpose() {
        Ok(t) => t.unwrap_or(st.page_size).clamp(1, st.page_size),
        Err(_) => return Response::error(400, "BadRequest", "Invalid $top."),
    };
    let skip = match get("$skiptoken") {
        Some(t) => match t.strip_prefix("mock-").and_then(|n| usize::from_str_radix(n, 16).ok()) {
            Some(n) => n,
            None => return Response::error(400, "BadRequest", "Invalid $skiptoken."),
        },
        None => 0,
    };
    let signins = matches!(fam, Family::SignIns);
    let from_timed = |list: &[(Timestamp, Value)]| -> Vec<Value> {
        list.iter().map(|(_, v)| v).filter(|v| matches(v, &clauses, signins)).cloned().collect()
    };
    let all: Vec<Value> = match &fam {
        Family::SignIns => from_timed(&st.data.signins),
        Family::Audits => from_timed(&st.data.audits),
        Family::Detections => from_timed(&st.data.detections),
        Family::RiskyUsers => st.risky.values().filter(|v| matches(v, &clauses, false)).cloned().collect(),
        Family::History(id) => {
            { st.history.get(id).map(|h| h.iter().rev().filter(|v| matches(v, &clauses, false)).cloned().collect()) }
                .unwrap_or_default()
        }
    };
    let page: Vec<Value> = all.iter().skip(skip).take(top).cloned().collect();
    let mut out = json!({"@odata.context": format!("{base}/{version}/$metadata#{}", rest.trim_start_matches('/')), "value": page});
    if skip + top < all.len() {
        let mut q: Vec<String> = params
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("$skiptoken"))
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        q.push(format!("$skiptoken=mock-{:x}", skip + top));
        out["@odata.nextLink"] = json!(format!("{base}/{version}{rest}?{}", q.join("&")));
    }
    Response::json(200, &out)
}

fn enc(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'$' | b':' | b'\'' | b'/' => {
                o.push(b as char)
            }
            _ => o.push_str(&format!("%{b:02X}")),
        }
    }
    o
}
