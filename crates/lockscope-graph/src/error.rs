//! Errors of the Graph boundary. No variant holds a token or a client secret: messages that come
//! back from a server are scrubbed of both before they are stored (see `Client`).

use std::path::PathBuf;

/// What went wrong talking to Microsoft Graph or its sign-in endpoint.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// No way to authenticate was given.
    #[error(
        "no Graph credentials: set LOCKSCOPE_GRAPH_TOKEN to a bearer token, or pass --tenant and --client-id and set LOCKSCOPE_CLIENT_SECRET"
    )]
    NoCredentials,
    /// A setting is unusable (a base URL that is not http(s), a batch too large, …).
    #[error("{0}")]
    Config(String),
    /// Graph answered with an error status.
    #[error("{method} {path}: HTTP {status}{}: {message}", code_suffix(.code))]
    Http {
        /// `GET`, `POST`, …
        method: &'static str,
        /// The path (and query) asked for, relative to the Graph base URL.
        path: String,
        /// The HTTP status.
        status: u16,
        /// Graph's `error.code`, when the body had one.
        code: Option<String>,
        /// Graph's `error.message` (or the start of the body), scrubbed of credentials.
        message: String,
    },
    /// Throttled (429/503) more times than the retry budget allows.
    #[error("{method} {path}: still throttled (HTTP {status}) after {attempts} attempts")]
    Throttled {
        /// `GET`, `POST`, …
        method: &'static str,
        /// The path asked for.
        path: String,
        /// The last status (429 or 503).
        status: u16,
        /// Attempts made.
        attempts: u32,
    },
    /// The connection failed (refused, reset, dropped, timed out) more times than the retry
    /// budget allows.
    #[error("{method} {path}: connection failed after {attempts} attempts: {message}")]
    Transport {
        /// `GET`, `POST`, …
        method: &'static str,
        /// The path asked for.
        path: String,
        /// Attempts made.
        attempts: u32,
        /// What the HTTP library said, scrubbed of credentials.
        message: String,
    },
    /// Getting a token with client credentials failed.
    #[error("sign-in for tenant {tenant} failed: HTTP {status}: {error}: {description}")]
    Token {
        /// The tenant asked for.
        tenant: String,
        /// HTTP status of the token endpoint.
        status: u16,
        /// OAuth `error` (e.g. `invalid_client`).
        error: String,
        /// OAuth `error_description` (AADSTS code and text), scrubbed of credentials.
        description: String,
    },
    /// A response body that should be JSON was not.
    #[error("{method} {path}: unreadable response: {message}")]
    Decode {
        /// `GET`, `POST`, …
        method: &'static str,
        /// The path asked for.
        path: String,
        /// Why it could not be read.
        message: String,
    },
    /// An `@odata.nextLink` pointing outside the configured Graph base URL (the token is never
    /// sent there).
    #[error("next link {link} is not under the Graph base URL {base}: refusing to send the token there")]
    ForeignLink {
        /// The link as received.
        link: String,
        /// The configured base.
        base: String,
    },
    /// A local file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

fn code_suffix(code: &Option<String>) -> String {
    code.as_deref().map(|c| format!(" {c}")).unwrap_or_default()
}

impl GraphError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> GraphError {
        let path = path.into();
        move |source| GraphError::Io { path, source }
    }

    /// The HTTP status, for `Http` and `Throttled` errors.
    pub fn status(&self) -> Option<u16> {
        match self {
            GraphError::Http { status, .. } | GraphError::Throttled { status, .. } => Some(*status),
            _ => None,
        }
    }
}
