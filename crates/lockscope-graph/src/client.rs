//! A blocking Microsoft Graph client: base URLs, authentication, retries and paging.
//!
//! - Base URLs are settings (`https://graph.microsoft.com` and `https://login.microsoftonline.com`
//!   by default), so sovereign clouds and the local mock work the same way.
//! - Authentication is a bearer token given by the caller, or client credentials (tenant, client
//!   id, secret) exchanged at `POST {login}/{tenant}/oauth2/v2.0/token` and renewed when Graph
//!   answers 401 or the token is about to expire.
//! - 429 and 503 (and 502/504) are retried, waiting what `Retry-After` asks (seconds or an HTTP
//!   date) or, without it, a capped exponential backoff. Connection failures are retried the same
//!   way. All waits go through a [`Sleeper`], so tests record them instead of waiting.
//! - Neither the token nor the secret appears in `Debug`, `Display` or any error: both are held
//!   in [`Secret`], and every message from a server is scrubbed of them.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::error::GraphError;

/// The public Graph endpoint.
pub const DEFAULT_GRAPH_URL: &str = "https://graph.microsoft.com";
/// The public Entra ID sign-in endpoint.
pub const DEFAULT_LOGIN_URL: &str = "https://login.microsoftonline.com";
/// Environment variable holding a bearer token.
pub const TOKEN_ENV: &str = "LOCKSCOPE_GRAPH_TOKEN";
/// Environment variable holding the client secret of `--client-id`.
pub const SECRET_ENV: &str = "LOCKSCOPE_CLIENT_SECRET";
/// Most requests a Graph `$batch` may hold.
pub const MAX_BATCH: usize = 20;

/// A credential. Its `Debug` and `Display` print nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The credential itself: only for the `Authorization` header and the token request.
    fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// How the client authenticates.
#[derive(Clone, Debug)]
pub enum Auth {
    /// A bearer token obtained elsewhere (`az account get-access-token --resource-type ms-graph`).
    Token(Secret),
    /// An app registration's client credentials.
    ClientCredentials {
        /// Tenant id or domain.
        tenant: String,
        /// Application (client) id.
        client_id: String,
        /// Client secret.
        secret: Secret,
    },
}

impl Auth {
    /// Picks the credentials: a bearer token if `token` is set, else client credentials when
    /// tenant, client id and secret are all given.
    pub fn choose(
        token: Option<String>,
        tenant: Option<&str>,
        client_id: Option<&str>,
        secret: Option<String>,
    ) -> Result<Auth, GraphError> {
        if let Some(t) = token.filter(|t| !t.trim().is_empty()) {
            return Ok(Auth::Token(Secret::new(t.trim())));
        }
        match (tenant, client_id, secret.filter(|s| !s.is_empty())) {
            (Some(tenant), Some(client_id), Some(secret)) => Ok(Auth::ClientCredentials {
                tenant: tenant.to_string(),
                client_id: client_id.to_string(),
                secret: Secret::new(secret),
            }),
            _ => Err(GraphError::NoCredentials),
        }
    }

    /// Reads `LOCKSCOPE_GRAPH_TOKEN`, else client credentials with `LOCKSCOPE_CLIENT_SECRET`.
    pub fn from_env(tenant: Option<&str>, client_id: Option<&str>) -> Result<Auth, GraphError> {
        Auth::choose(std::env::var(TOKEN_ENV).ok(), tenant, client_id, std::env::var(SECRET_ENV).ok())
    }
}

/// How throttling and connection failures are retried.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// First backoff when the server gives no `Retry-After`.
    pub base_delay: Duration,
    /// Longest backoff.
    pub max_delay: Duration,
    /// Longest `Retry-After` honoured as asked; longer ones are cut to this.
    pub max_retry_after: Duration,
    /// Spread backoffs by up to a quarter (off for reproducible tests).
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(300),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// The backoff before attempt `attempt + 1` (counting from 1) without `Retry-After`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.base_delay.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let d = exp.min(self.max_delay);
        if !self.jitter {
            return d;
        }
        // Jitter from the clock's sub-second part: enough to spread clients, no RNG needed.
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|t| t.subsec_nanos());
        let frac = f64::from(nanos.unwrap_or(0) % 1000) / 4000.0;
        d.mul_f64(1.0 - frac)
    }
}

/// Waits between retries. Tests inject one that records instead of sleeping.
pub trait Sleeper: Send + Sync {
    /// Waits `d`.
    fn sleep(&self, d: Duration);
}

/// Sleeps the thread.
#[derive(Debug, Default, Clone, Copy)]
pub struct ThreadSleeper;

impl Sleeper for ThreadSleeper {
    fn sleep(&self, d: Duration) {
        std::thread::sleep(d);
    }
}

/// Records every wait and returns at once (for tests).
#[derive(Debug, Default)]
pub struct RecordingSleeper {
    waits: Mutex<Vec<Duration>>,
}

impl RecordingSleeper {
    /// Every wait asked for, in order.
    pub fn waits(&self) -> Vec<Duration> {
        self.waits.lock().map(|w| w.clone()).unwrap_or_default()
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, d: Duration) {
        if let Ok(mut w) = self.waits.lock() {
            w.push(d);
        }
    }
}

/// Client settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// Graph base URL, without a version (`https://graph.microsoft.com`).
    pub graph_url: String,
    /// Sign-in base URL (`https://login.microsoftonline.com`).
    pub login_url: String,
    /// Credentials.
    pub auth: Auth,
    /// Retries.
    pub retry: RetryPolicy,
    /// Time limit of one request, connection included.
    pub timeout: Duration,
}

impl Config {
    /// Settings for the public cloud with `auth`.
    pub fn new(auth: Auth) -> Self {
        Config {
            graph_url: DEFAULT_GRAPH_URL.to_string(),
            login_url: DEFAULT_LOGIN_URL.to_string(),
            auth,
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(120),
        }
    }
}

/// A response: its status and JSON body (`None` when empty, as for `204`).
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// The body, when there was one.
    pub body: Option<Value>,
}

/// One request of a `$batch`.
#[derive(Debug, Clone)]
pub struct BatchRequest {
    /// Unique within the batch.
    pub id: String,
    /// `GET`, `POST`, …
    pub method: &'static str,
    /// Relative to the version (`/users/{id}/revokeSignInSessions`).
    pub url: String,
    /// JSON body, if any.
    pub body: Option<Value>,
}

/// One response of a `$batch`.
#[derive(Debug, Clone)]
pub struct BatchResponse {
    /// The request's id.
    pub id: String,
    /// Its status.
    pub status: u16,
    /// Its body.
    pub body: Option<Value>,
}

/// A page of a listing.
#[derive(Debug, Clone)]
pub struct Page {
    /// The records of the page.
    pub value: Vec<Value>,
    /// Where the next page is, if any.
    pub next_link: Option<String>,
}

struct Token {
    secret: Secret,
    expires: Option<Instant>,
}

/// Counts of what the client did (for progress lines and tests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// HTTP requests sent (retries included).
    pub requests: u64,
    /// Responses 429/503 waited out.
    pub throttled: u64,
    /// Connection failures retried.
    pub reconnects: u64,
    /// Tokens obtained.
    pub tokens: u64,
}

/// A blocking Graph client. Cheap to share by reference across one command.
pub struct Client {
    agent: ureq::Agent,
    graph_url: String,
    login_url: String,
    auth: Auth,
    retry: RetryPolicy,
    sleeper: Arc<dyn Sleeper>,
    token: Mutex<Option<Token>>,
    stats: Mutex<Stats>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("graph_url", &self.graph_url)
            .field("login_url", &self.login_url)
            .field("auth", &self.auth)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// What one attempt came to.
enum Attempt {
    Done(u16, Vec<(String, String)>, String),
    Retry { status: Option<u16>, wait: Option<Duration>, message: String },
}

impl Client {
    /// A client with `config`, sleeping for real between retries.
    pub fn new(config: Config) -> Result<Self, GraphError> {
        for (name, url) in [("Graph", &config.graph_url), ("sign-in", &config.login_url)] {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(GraphError::Config(format!("{name} URL {url:?} must start with https:// or http://")));
            }
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(config.timeout))
            .max_redirects(0)
            .user_agent(concat!("lockscope/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Client {
            agent,
            graph_url: config.graph_url.trim_end_matches('/').to_string(),
            login_url: config.login_url.trim_end_matches('/').to_string(),
            auth: config.auth,
            retry: config.retry,
            sleeper: Arc::new(ThreadSleeper),
            token: Mutex::new(None),
            stats: Mutex::new(Stats::default()),
        })
    }

    /// Replaces the sleeper (tests record waits instead of sleeping).
    pub fn with_sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = sleeper;
        self
    }

    /// The Graph base URL.
    pub fn graph_url(&self) -> &str {
        &self.graph_url
    }

    /// What the client did so far.
    pub fn stats(&self) -> Stats {
        self.stats.lock().map(|s| *s).unwrap_or_default()
    }

    /// Waits `d` through the sleeper (used by callers that poll, such as read-back).
    pub fn sleep(&self, d: Duration) {
        if !d.is_zero() {
            self.sleeper.sleep(d);
        }
    }

    fn count(&self, f: impl FnOnce(&mut Stats)) {
        if let Ok(mut s) = self.stats.lock() {
            f(&mut s);
        }
    }

    /// Removes the token and the secret from text that came from elsewhere.
    fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        let mut secrets: Vec<String> = Vec::new();
        match &self.auth {
            Auth::Token(t) => secrets.push(t.expose().to_string()),
            Auth::ClientCredentials { secret, .. } => secrets.push(secret.expose().to_string()),
        }
        if let Ok(guard) = self.token.lock()
            && let Some(t) = guard.as_ref()
        {
            secrets.push(t.secret.expose().to_string());
        }
        for s in secrets.iter().filter(|s| s.len() >= 4) {
            out = out.replace(s.as_str(), "[redacted]");
        }
        out.chars().take(500).collect()
    }

    /// `GET` a path (`/v1.0/...`) or an absolute link under the Graph base URL.
    pub fn get(&self, path: &str) -> Result<Value, GraphError> {
        let reply = self.request("GET", path, None)?;
        reply.body.ok_or_else(|| GraphError::Decode {
            method: "GET",
            path: path.to_string(),
            message: "empty body".into(),
        })
    }

    /// `GET`, with `404` as `None`.
    pub fn get_opt(&self, path: &str) -> Result<Option<Value>, GraphError> {
        match self.get(path) {
            Ok(v) => Ok(Some(v)),
            Err(GraphError::Http { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `POST` a JSON body; any 2xx is a success.
    pub fn post(&self, path: &str, body: &Value) -> Result<Reply, GraphError> {
        self.request("POST", path, Some(body))
    }

    /// One page of a listing: `path` (first page) or a `@odata.nextLink`.
    pub fn page(&self, path_or_link: &str) -> Result<Page, GraphError> {
        let body = self.get(path_or_link)?;
        let next_link = body.get("@odata.nextLink").and_then(Value::as_str).map(str::to_string);
        let value = match body.get("value") {
            Some(Value::Array(v)) => v.clone(),
            _ => {
                return Err(GraphError::Decode {
                    method: "GET",
                    path: path_or_link.to_string(),
                    message: "no \"value\" array in the page".into(),
                });
            }
        };
        Ok(Page { value, next_link })
    }

    /// Sends `requests` (at most 20) as one `$batch` under `version` (`v1.0` or `beta`).
    /// Requests answered 429/503 inside the batch are sent again, after the wait they ask for,
    /// until the retry budget is spent; the last answer of each is returned.
    pub fn batch(&self, version: &str, requests: &[BatchRequest]) -> Result<Vec<BatchResponse>, GraphError> {
        if requests.len() > MAX_BATCH {
            return Err(GraphError::Config(format!(
                "a $batch holds at most {MAX_BATCH} requests, not {}",
                requests.len()
            )));
        }
        let path = format!("/{version}/$batch");
        let mut pending: Vec<&BatchRequest> = requests.iter().collect();
        let mut done: Vec<BatchResponse> = Vec::with_capacity(requests.len());
        let mut round = 1u32;
        while !pending.is_empty() {
            let body = serde_json::json!({
                "requests": pending.iter().map(|r| {
                    let mut o = serde_json::json!({"id": r.id, "method": r.method, "url": r.url});
                    if let Some(b) = &r.body {
                        o["body"] = b.clone();
                        o["headers"] = serde_json::json!({"Content-Type": "application/json"});
                    }
                    o
                }).collect::<Vec<_>>()
            });
            let reply = self.post(&path, &body)?;
            let responses =
                reply.body.as_ref().and_then(|b| b.get("responses")).and_then(Value::as_array).ok_or_else(|| {
                    GraphError::Decode { method: "POST", path: path.clone(), message: "no \"responses\" array".into() }
                })?;
            let mut retry: Vec<&BatchRequest> = Vec::new();
            let mut wait = Duration::ZERO;
            for r in &pending {
                let resp = responses.iter().find(|x| x.get("id").and_then(Value::as_str) == Some(r.id.as_str()));
                let Some(resp) = resp else {
                    return Err(GraphError::Decode {
                        method: "POST",
                        path: path.clone(),
                        message: format!("no response for request {}", r.id),
                    });
                };
                let status = resp.get("status").and_then(Value::as_u64).unwrap_or(0) as u16;
                if matches!(status, 429 | 503) && round < self.retry.max_attempts {
                    let asked = resp
                        .get("headers")
                        .and_then(Value::as_object)
                        .and_then(|h| h.iter().find(|(k, _)| k.eq_ignore_ascii_case("retry-after")))
                        .and_then(|(_, v)| v.as_str().map(str::to_string).or_else(|| v.as_u64().map(|n| n.to_string())))
                        .and_then(|v| parse_retry_after(&v));
                    let this =
                        asked.map(|d| d.min(self.retry.max_retry_after)).unwrap_or_else(|| self.retry.backoff(round));
                    wait = wait.max(this);
                    retry.push(r);
                    continue;
                }
                done.push(BatchResponse { id: r.id.clone(), status, body: resp.get("body").cloned() });
            }
            if !retry.is_empty() {
                self.count(|s| s.throttled += 1);
                tracing::info!("$batch: {} requests throttled, waiting {:?}", retry.len(), wait);
                self.sleep(wait);
            }
            pending = retry;
            round += 1;
        }
        Ok(done)
    }

    fn url_for(&self, path: &str) -> Result<String, GraphError> {
        if path.starts_with("https://") || path.starts_with("http://") {
            let base = format!("{}/", self.graph_url);
            if !path.starts_with(&base) {
                return Err(GraphError::ForeignLink { link: path.to_string(), base: self.graph_url.clone() });
            }
            return Ok(path.to_string());
        }
        Ok(format!("{}{}{}", self.graph_url, if path.starts_with('/') { "" } else { "/" }, path))
    }

    /// The path shown in errors and logs: relative to the base URL.
    fn shown(&self, path: &str) -> String {
        path.strip_prefix(&self.graph_url).unwrap_or(path).to_string()
    }

    fn request(&self, method: &'static str, path: &str, body: Option<&Value>) -> Result<Reply, GraphError> {
        let url = self.url_for(path)?;
        let shown = self.shown(path);
        let payload = match body {
            Some(b) => Some(serde_json::to_vec(b).map_err(|e| GraphError::Config(e.to_string()))?),
            None => None,
        };
        let mut attempt = 0u32;
        let mut renewed = false;
        loop {
            attempt += 1;
            let bearer = self.bearer()?;
            match self.attempt(method, &url, &bearer, payload.as_deref()) {
                Attempt::Done(status, _headers, text) => {
                    if status == 401 && !renewed && matches!(self.auth, Auth::ClientCredentials { .. }) {
                        // An expired or revoked app token: get a new one once.
                        renewed = true;
                        if let Ok(mut t) = self.token.lock() {
                            *t = None;
                        }
                        continue;
                    }
                    if (200..300).contains(&status) {
                        let body = if text.trim().is_empty() {
                            None
                        } else {
                            Some(serde_json::from_str(&text).map_err(|e| GraphError::Decode {
                                method,
                                path: shown.clone(),
                                message: e.to_string(),
                            })?)
                        };
                        return Ok(Reply { status, body });
                    }
                    let (code, message) = graph_error(&text);
                    return Err(GraphError::Http { method, path: shown, status, code, message: self.scrub(&message) });
                }
                Attempt::Retry { status, wait, message } => {
                    if attempt >= self.retry.max_attempts {
                        return Err(match status {
                            Some(status) => GraphError::Throttled { method, path: shown, status, attempts: attempt },
                            None => GraphError::Transport {
                                method,
                                path: shown,
                                attempts: attempt,
                                message: self.scrub(&message),
                            },
                        });
                    }
                    let d = match wait {
                        Some(w) => w.min(self.retry.max_retry_after),
                        None => self.retry.backoff(attempt),
                    };
                    match status {
                        Some(s) => {
                            self.count(|st| st.throttled += 1);
                            tracing::info!("{method} {shown}: HTTP {s}, retrying in {d:?} (attempt {attempt})");
                        }
                        None => {
                            self.count(|st| st.reconnects += 1);
                            tracing::info!(
                                "{method} {shown}: {}, retrying in {d:?} (attempt {attempt})",
                                self.scrub(&message)
                            );
                        }
                    }
                    self.sleep(d);
                }
            }
        }
    }

    fn attempt(&self, method: &'static str, url: &str, bearer: &Secret, payload: Option<&[u8]>) -> Attempt {
        self.count(|s| s.requests += 1);
        let auth = format!("Bearer {}", bearer.expose());
        let result = match payload {
            Some(p) => self
                .agent
                .post(url)
                .header("Authorization", &auth)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .send(p),
            None if method == "GET" => {
                self.agent.get(url).header("Authorization", &auth).header("Accept", "application/json").call()
            }
            None => self.agent.post(url).header("Authorization", &auth).send_empty(),
        };
        let mut resp = match result {
            Ok(r) => r,
            Err(e) => return Attempt::Retry { status: None, wait: None, message: e.to_string() },
        };
        let status = resp.status().as_u16();
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_ascii_lowercase(), v.to_string())))
            .collect();
        let text = match resp.body_mut().with_config().limit(256 * 1024 * 1024).read_to_string() {
            Ok(t) => t,
            Err(e) => return Attempt::Retry { status: None, wait: None, message: e.to_string() },
        };
        if matches!(status, 429 | 502 | 503 | 504) {
            let wait = headers.iter().find(|(k, _)| k == "retry-after").and_then(|(_, v)| parse_retry_after(v));
            return Attempt::Retry { status: Some(status), wait, message: String::new() };
        }
        Attempt::Done(status, headers, text)
    }

    /// The bearer token to send, getting (or renewing) an app token when needed.
    fn bearer(&self) -> Result<Secret, GraphError> {
        let (tenant, client_id, secret) = match &self.auth {
            Auth::Token(t) => return Ok(t.clone()),
            Auth::ClientCredentials { tenant, client_id, secret } => (tenant, client_id, secret),
        };
        if let Ok(guard) = self.token.lock()
            && let Some(t) = guard.as_ref()
            && t.expires.is_none_or(|e| Instant::now() < e)
        {
            return Ok(t.secret.clone());
        }
        let url = format!("{}/{}/oauth2/v2.0/token", self.login_url, encode(tenant));
        let scope = format!("{}/.default", self.graph_url);
        let form = format!(
            "grant_type=client_credentials&client_id={}&client_secret={}&scope={}",
            encode(client_id),
            encode(secret.expose()),
            encode(&scope)
        );
        let mut attempt = 0u32;
        let (status, text) = loop {
            attempt += 1;
            self.count(|s| s.requests += 1);
            let sent = self
                .agent
                .post(&url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json")
                .send(form.as_bytes());
            let outcome = sent.and_then(|mut r| {
                let status = r.status().as_u16();
                let retry_after =
                    r.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(parse_retry_after);
                r.body_mut().read_to_string().map(|t| (status, retry_after, t))
            });
            match outcome {
                Ok((status, retry_after, text)) => {
                    if matches!(status, 429 | 502 | 503 | 504) && attempt < self.retry.max_attempts {
                        self.count(|s| s.throttled += 1);
                        self.sleep(retry_after.unwrap_or_else(|| self.retry.backoff(attempt)));
                        continue;
                    }
                    break (status, text);
                }
                Err(e) if attempt < self.retry.max_attempts => {
                    self.count(|s| s.reconnects += 1);
                    tracing::info!("token request: {}, retrying", self.scrub(&e.to_string()));
                    self.sleep(self.retry.backoff(attempt));
                }
                Err(e) => {
                    return Err(GraphError::Transport {
                        method: "POST",
                        path: format!("/{tenant}/oauth2/v2.0/token"),
                        attempts: attempt,
                        message: self.scrub(&e.to_string()),
                    });
                }
            }
        };
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let token = body.get("access_token").and_then(Value::as_str);
        match token {
            Some(token) if (200..300).contains(&status) => {
                let lifetime = body.get("expires_in").and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()));
                // Renew five minutes early.
                let expires =
                    lifetime.map(|s| Instant::now() + Duration::from_secs(s.saturating_sub(300).max(s.min(60))));
                let secret = Secret::new(token);
                if let Ok(mut t) = self.token.lock() {
                    *t = Some(Token { secret: secret.clone(), expires });
                }
                self.count(|s| s.tokens += 1);
                Ok(secret)
            }
            _ => Err(GraphError::Token {
                tenant: tenant.clone(),
                status,
                error: body.get("error").and_then(Value::as_str).unwrap_or("no token in the answer").to_string(),
                description: self.scrub(body.get("error_description").and_then(Value::as_str).unwrap_or("")),
            }),
        }
    }
}

/// Graph's `{"error": {"code", "message"}}`, or the start of the body.
fn graph_error(text: &str) -> (Option<String>, String) {
    let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let err = v.get("error");
    let code = err.and_then(|e| e.get("code")).and_then(Value::as_str).map(str::to_string);
    let message = err
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| text.chars().take(200).collect());
    (code, message)
}

/// `Retry-After`: delta-seconds, or an HTTP date (RFC 9110 IMF-fixdate) turned into the time
/// left until it.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = v.parse::<f64>()
        && secs.is_finite()
        && secs >= 0.0
    {
        return Some(Duration::from_secs_f64(secs));
    }
    let at = jiff::fmt::rfc2822::parse(v).ok()?.timestamp();
    let left = at.as_millisecond() - jiff::Timestamp::now().as_millisecond();
    Some(Duration::from_millis(left.max(0) as u64))
}

/// Percent-encodes a query or form value (RFC 3986 unreserved characters kept).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
        // A date in the past means "now".
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
        let soon = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(30);
        let text = jiff::fmt::rfc2822::to_string(&soon.to_zoned(jiff::tz::TimeZone::UTC)).unwrap_or_default();
        let d = parse_retry_after(&text).unwrap_or_default();
        assert!(d > Duration::from_secs(25) && d <= Duration::from_secs(30), "{d:?} from {text}");
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn backoff_is_capped_and_deterministic_without_jitter() {
        let p = RetryPolicy { jitter: false, ..RetryPolicy::default() };
        let waits: Vec<u64> = (1..=9).map(|a| p.backoff(a).as_secs()).collect();
        assert_eq!(waits, vec![1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }

    #[test]
    fn secrets_never_print() {
        let auth = Auth::choose(None, Some("contoso"), Some("app"), Some("s3cr3t-value".into()))
            .unwrap_or_else(|_| Auth::Token(Secret::new("x")));
        let cfg = Config::new(auth);
        let client = Client::new(cfg).map(|c| format!("{c:?}")).unwrap_or_default();
        assert!(client.contains("contoso") && !client.contains("s3cr3t"), "{client}");
        let t = Auth::Token(Secret::new("eyJ0eXAiOiJKV1QiLCJhbGciOi.bearer"));
        assert!(!format!("{t:?}").contains("eyJ0"));
        assert_eq!(Secret::new("abc").to_string(), "[redacted]");
    }

    #[test]
    fn encoding() {
        assert_eq!(encode("a b/c'd"), "a%20b%2Fc%27d");
    }
}
