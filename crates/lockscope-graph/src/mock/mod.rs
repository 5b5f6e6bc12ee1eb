//! A local Microsoft Graph stand-in for tests (feature `mock`): HTTP/1.1 on `127.0.0.1`, one
//! thread per connection, following the documented contract of the endpoints lockscope uses.
//!
//! - `GET /{v}/identityProtection/riskyUsers[/{id}[/history]]`, `…/riskDetections`,
//!   `/{v}/auditLogs/signIns` (interactive only unless `$filter` has
//!   `signInEventTypes/any(t: t eq 'nonInteractiveUser')`), `/{v}/auditLogs/directoryAudits`:
//!   `$filter` (`and`-joined comparisons on dates and strings), `$top`, paging by
//!   `@odata.nextLink` with a `$skiptoken`.
//! - `POST /{v}/identityProtection/riskyUsers/{dismiss|confirmCompromised|confirmSafe}` with
//!   `{"userIds": [...]}` (400 above 60 ids), answering `204` and changing the users' state and
//!   history as the documentation says.
//! - `POST /{v}/users/{id}/revokeSignInSessions` (`200`, `{"value": true}`).
//! - `POST /{v}/$batch` (at most 20 requests, each routed to the same handlers, per-request
//!   status).
//! - `POST /{tenant}/oauth2/v2.0/token` (client credentials).
//! - Faults: throttling storms (429/503 with `Retry-After`), throttled `$batch` items, users
//!   whose actions answer `204` and change nothing, dropped connections; and a request log.

mod data;
mod http;
mod routes;

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufReader;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;

pub use data::Dataset;

/// The bearer token the mock accepts unless told otherwise.
pub const MOCK_TOKEN: &str = "lockscope-mock-token";

/// One request the mock received (the token request's secret is not kept).
#[derive(Debug, Clone)]
pub struct LoggedRequest {
    /// `GET`, `POST`.
    pub method: String,
    /// The path (with its version prefix; for `$batch` items, the item's URL).
    pub path: String,
    /// The decoded query parameters.
    pub query: Vec<(String, String)>,
    /// The JSON body, if there was one.
    pub body: Option<Value>,
    /// The status answered (0 when the connection was dropped instead).
    pub status: u16,
    /// For `$batch` items: the index of the `$batch` request in this log.
    pub in_batch: Option<usize>,
}

/// A throttling storm: the next `remaining` matching requests are answered `status`.
#[derive(Debug, Clone)]
struct Storm {
    remaining: usize,
    status: u16,
    retry_after: Option<String>,
    path_contains: Option<String>,
}

/// Everything the mock knows and does.
#[derive(Debug)]
pub(crate) struct State {
    pub data: Dataset,
    /// Current risky-user objects by lowercase id.
    pub risky: BTreeMap<String, Value>,
    /// History items by user id, oldest first.
    pub history: BTreeMap<String, Vec<Value>>,
    /// Session revocations per user id.
    pub revoked: BTreeMap<String, u32>,
    pub page_size: usize,
    pub tokens: BTreeSet<String>,
    pub clients: Vec<(String, String, String)>,
    storms: Vec<Storm>,
    pub batch_item_throttle: usize,
    pub silent: BTreeSet<String>,
    /// Only requests whose path contains this count; requests still to serve before dropping;
    /// connections to drop then.
    drop_plan: Option<(String, usize, usize)>,
    pub echo_auth: bool,
    pub log: Vec<LoggedRequest>,
    issued: u64,
}

impl State {
    fn new(data: Dataset) -> Self {
        let mut risky = BTreeMap::new();
        let mut history = BTreeMap::new();
        for (id, snaps) in &data.snapshots {
            if let Some(last) = snaps.last() {
                risky.insert(id.clone(), last.clone());
            }
            history.insert(id.clone(), snaps.iter().map(|s| routes::history_item(id, s, id)).collect());
        }
        State {
            data,
            risky,
            history,
            revoked: BTreeMap::new(),
            page_size: 100,
            tokens: BTreeSet::from([MOCK_TOKEN.to_string()]),
            clients: Vec::new(),
            storms: Vec::new(),
            batch_item_throttle: 0,
            silent: BTreeSet::new(),
            drop_plan: None,
            echo_auth: false,
            log: Vec::new(),
            issued: 0,
        }
    }

    /// A storm answer for `path`, consuming one throttled request.
    pub(crate) fn storm_for(&mut self, path: &str) -> Option<http::Response> {
        let storm = self
            .storms
            .iter_mut()
            .find(|s| s.remaining > 0 && s.path_contains.as_deref().is_none_or(|p| path.contains(p)))?;
        storm.remaining -= 1;
        let mut r = http::Response::error(
            storm.status,
            if storm.status == 429 { "TooManyRequests" } else { "ServiceUnavailable" },
            "Too many requests, retry later.",
        );
        if let Some(ra) = &storm.retry_after {
            r.headers.push(("Retry-After".into(), ra.clone()));
        }
        Some(r)
    }

    /// Whether to drop this connection instead of answering.
    fn should_drop(&mut self, path: &str) -> bool {
        let Some((filter, after, count)) = &mut self.drop_plan else { return false };
        if !path.contains(filter.as_str()) {
            return false;
        }
        if *after > 0 {
            *after -= 1;
            return false;
        }
        if *count == 0 {
            self.drop_plan = None;
            return false;
        }
        *count -= 1;
        true
    }

    /// A new access token.
    pub(crate) fn issue_token(&mut self) -> String {
        self.issued += 1;
        let t = format!("mock-app-token-{}", self.issued);
        self.tokens.insert(t.clone());
        t
    }

    /// The time of a state change (whole seconds, as Graph writes them).
    pub(crate) fn now(&mut self) -> String {
        let now = jiff::Timestamp::now().as_second();
        jiff::Timestamp::from_second(now).map(|t| t.to_string()).unwrap_or_default()
    }
}

/// A running mock Graph server. Stops when dropped.
pub struct MockGraph {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for MockGraph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockGraph").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl MockGraph {
    /// Starts a server on a free port of 127.0.0.1 serving `data`.
    pub fn start(mut data: Dataset) -> std::io::Result<MockGraph> {
        data.sort();
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::new(data)));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp) = (Arc::clone(&state), Arc::clone(&stop));
        let thread = std::thread::Builder::new().name("mock-graph".into()).spawn(move || {
            for conn in listener.incoming() {
                if sp.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let st = Arc::clone(&st);
                let _ = std::thread::Builder::new().name("mock-graph-conn".into()).spawn(move || serve(conn, &st));
            }
        })?;
        Ok(MockGraph { addr, state, stop, thread: Some(thread) })
    }

    /// `http://127.0.0.1:PORT`: the Graph and the sign-in base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Accepts `token` as a bearer token too.
    pub fn accept_token(&self, token: &str) {
        self.state().tokens.insert(token.to_string());
    }

    /// Registers an app for client credentials.
    pub fn register_client(&self, tenant: &str, client_id: &str, secret: &str) {
        self.state().clients.push((tenant.to_string(), client_id.to_string(), secret.to_string()));
    }

    /// The next `n` Graph requests are answered `status` (429 or 503) with `Retry-After`
    /// (`None`: no header).
    pub fn throttle(&self, n: usize, status: u16, retry_after: Option<&str>) {
        self.throttle_matching("", n, status, retry_after);
    }

    /// Like [`MockGraph::throttle`], only for requests whose path contains `path_contains`.
    pub fn throttle_matching(&self, path_contains: &str, n: usize, status: u16, retry_after: Option<&str>) {
        self.state().storms.push(Storm {
            remaining: n,
            status,
            retry_after: retry_after.map(str::to_string),
            path_contains: (!path_contains.is_empty()).then(|| path_contains.to_string()),
        });
    }

    /// The next `n` requests inside `$batch` bodies are answered 429 with `Retry-After: 1`.
    pub fn throttle_batch_items(&self, n: usize) {
        self.state().batch_item_throttle = n;
    }

    /// Risk actions on `user_id` answer 204 and change nothing (the known Graph issue).
    pub fn ignore_actions_for(&self, user_id: &str) {
        self.state().silent.insert(user_id.to_lowercase());
    }

    /// After `after` more requests, drops the next `count` connections without answering.
    pub fn drop_connections(&self, after: usize, count: usize) {
        self.drop_matching("", after, count);
    }

    /// Like [`MockGraph::drop_connections`], counting only requests whose path contains
    /// `path_contains` (a server going away in the middle of one kind of call).
    pub fn drop_matching(&self, path_contains: &str, after: usize, count: usize) {
        self.state().drop_plan = Some((path_contains.to_string(), after, count));
    }

    /// Error messages echo the request's `Authorization` header (to test scrubbing).
    pub fn echo_credentials_in_errors(&self, on: bool) {
        self.state().echo_auth = on;
    }

    /// Largest page served.
    pub fn set_page_size(&self, n: usize) {
        self.state().page_size = n.max(1);
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.state().log.clone()
    }

    /// Forgets the request log.
    pub fn clear_log(&self) {
        self.state().log.clear();
    }

    /// The current risky-user object of `id`.
    pub fn risky_user(&self, id: &str) -> Option<Value> {
        self.state().risky.get(&id.to_lowercase()).cloned()
    }

    /// Sets a user's risk state as someone else would (a portal click between plan and apply).
    pub fn set_risk_state(&self, id: &str, risk_state: &str) {
        let mut st = self.state();
        let now = st.now();
        if let Some(u) = st.risky.get_mut(&id.to_lowercase()) {
            u["riskState"] = Value::String(risk_state.to_string());
            u["riskLastUpdatedDateTime"] = Value::String(now);
        }
    }

    /// Session revocations of `id` so far.
    pub fn revocations(&self, id: &str) -> u32 {
        self.state().revoked.get(&id.to_lowercase()).copied().unwrap_or(0)
    }
}

impl Drop for MockGraph {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Serves one connection until the client closes it.
fn serve(conn: TcpStream, state: &Arc<Mutex<State>>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(mut write) = conn.try_clone() else { return };
    let mut reader = BufReader::new(conn);
    loop {
        let req = match http::read_request(&mut reader) {
            Ok(Some(r)) => r,
            _ => return,
        };
        let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
        let is_token = req.path.ends_with("/oauth2/v2.0/token");
        if !is_token && st.should_drop(&req.path) {
            let logged = routes::logged(&req, 0, None);
            st.log.push(logged);
            drop(st);
            let _ = write.shutdown(std::net::Shutdown::Both);
            return;
        }
        let host = req.header("host").unwrap_or("127.0.0.1").to_string();
        let resp = routes::handle(&mut st, &req, &format!("http://{host}"));
        drop(st);
        let close = req.header("connection").is_some_and(|c| c.eq_ignore_ascii_case("close"));
        if http::write_response(&mut write, &resp, close).is_err() || close {
            return;
        }
    }
}
