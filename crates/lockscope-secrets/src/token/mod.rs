//! What a leaked token or key says about itself, read offline: owner, tenant, app, issue and
//! expiry. Nothing here ever sends a secret anywhere or verifies one against a service.

pub mod checksum;
pub mod entra;
pub mod jwt;
pub mod sas;

use serde::Serialize;

/// Metadata read from a token without using it. Holds no secret material.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    /// `access-token`, `id-token`, `refresh-token`, `authorization-code`, `sas`, `jwt`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The user principal name (`upn`, else `preferred_username`, else `unique_name`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    /// The user or service principal object id (`oid`; for a user-delegation SAS, `skoid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oid: Option<String>,
    /// The tenant id (`tid`, the refresh-token header, or a SAS `sktid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// The client application (`appid` or `azp`, or the refresh-token header's client id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// The audience (`aud`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// The issuer (`iss`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// When the token was issued (`iat`; SAS `st`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<jiff::Timestamp>,
    /// When the token stops being valid (`exp`; SAS `se`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<jiff::Timestamp>,
    /// The token id (`uti`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uti: Option<String>,
    /// The sign-in request id the `uti` decodes to (joins the sign-in log's `id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The session id (`sid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Delegated scopes (`scp`) or SAS permissions (`sp`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<String>,
}
