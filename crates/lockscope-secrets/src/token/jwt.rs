//! JSON Web Tokens (access tokens, ID tokens, anything `eyJ…`): the claims that say whose token
//! it is, for which app and tenant, and when it was issued and expires (formats.md §9.3).
//!
//! Nothing is verified: a signature check needs the issuer's keys, and a forensic report only
//! needs what the token claims about itself. The payload may hold secrets of its own (the PRT
//! cookie carries a refresh token), so only the named claims below are ever copied out.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::{Map, Value};

use super::TokenInfo;
use super::entra;

/// base64url that takes padding or none and ignores trailing bits: tokens in logs are
/// re-encoded by all sorts of tools, and the claims do not depend on those details.
const LENIENT_URL_SAFE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Decodes one base64url segment, with or without padding. The standard alphabet (`+`, `/`)
/// is accepted too, because some tools re-encode tokens that way.
pub(crate) fn decode_segment(segment: &str) -> Option<Vec<u8>> {
    if segment.contains(['+', '/']) {
        let mapped: String = segment
            .chars()
            .map(|c| match c {
                '+' => '-',
                '/' => '_',
                other => other,
            })
            .collect();
        LENIENT_URL_SAFE.decode(mapped).ok()
    } else {
        LENIENT_URL_SAFE.decode(segment).ok()
    }
}

/// Decodes a segment and parses it as a JSON object.
fn json_object(segment: &str) -> Option<Map<String, Value>> {
    match serde_json::from_slice(&decode_segment(segment)?).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// True iff `segment` base64url-decodes to a JSON object. The scanner uses this to tell a real
/// JWT header from `eyJ`-shaped junk.
pub fn header_is_json(segment: &str) -> bool {
    json_object(segment).is_some()
}

/// Reads the metadata of a JWT (JWS `header.payload.signature`, or the 5-segment JWE form).
///
/// Returns `None` unless there are at least two `.`-separated segments and the first decodes
/// to a JSON object. When the payload is not a JSON object (an encrypted JWE, junk), the result
/// is just `kind: "jwt"`. Otherwise these claims are read when present:
///
/// * `upn`: `upn`, else `preferred_username`, else `unique_name`, else `email`;
/// * `oid`, `tenant_id` (`tid`), `app_id` (`appid`, else `azp`), `issuer` (`iss`);
/// * `audience`: `aud` as a string, or the first string of an `aud` array;
/// * `issued_at` / `expires_at`: `iat` / `exp`, epoch seconds as an integer or a numeric string
///   (activity logs carry them as strings);
/// * `uti`, and `request_id` decoded from it ([`entra::uti_to_request_id`]);
/// * `session_id` (`sid`);
/// * `scopes`: `scp`, else the `roles` array joined with spaces.
///
/// `kind` follows the first rule that matches:
///
/// 1. a `nonce` claim in the payload → `id-token` (Entra puts the Graph `nonce` in the *header*
///    of access tokens, never in the payload);
/// 2. `scp`, `roles` or `appid` → `access-token`;
/// 3. `preferred_username` or `email` → `id-token`;
/// 4. otherwise `jwt`.
///
/// The signature segment is never decoded or copied.
pub fn decode(token: &str) -> Option<TokenInfo> {
    let mut segments = token.trim().split('.');
    let header = segments.next()?;
    let payload = segments.next()?;
    json_object(header)?;

    let Some(claims) = json_object(payload) else {
        return Some(TokenInfo { kind: Some("jwt".to_owned()), ..TokenInfo::default() });
    };

    let uti = string_claim(&claims, "uti");
    let request_id = uti.as_deref().and_then(entra::uti_to_request_id);
    Some(TokenInfo {
        kind: Some(kind(&claims).to_owned()),
        upn: first_string_claim(&claims, &["upn", "preferred_username", "unique_name", "email"]),
        oid: string_claim(&claims, "oid"),
        tenant_id: string_claim(&claims, "tid"),
        app_id: first_string_claim(&claims, &["appid", "azp"]),
        audience: audience(&claims),
        issuer: string_claim(&claims, "iss"),
        issued_at: time_claim(&claims, "iat"),
        expires_at: time_claim(&claims, "exp"),
        uti,
        request_id,
        session_id: string_claim(&claims, "sid"),
        scopes: scopes(&claims),
    })
}

/// The token kind, by the rules documented on [`decode`].
fn kind(claims: &Map<String, Value>) -> &'static str {
    let has = |name: &str| claims.contains_key(name);
    if has("nonce") {
        "id-token"
    } else if has("scp") || has("roles") || has("appid") {
        "access-token"
    } else if has("preferred_username") || has("email") {
        "id-token"
    } else {
        "jwt"
    }
}

/// A non-empty string claim.
fn string_claim(claims: &Map<String, Value>, name: &str) -> Option<String> {
    match claims.get(name)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// The first of `names` that is a non-empty string claim.
fn first_string_claim(claims: &Map<String, Value>, names: &[&str]) -> Option<String> {
    names.iter().find_map(|name| string_claim(claims, name))
}

/// `aud` is a string in Entra tokens but may be an array under RFC 7519.
fn audience(claims: &Map<String, Value>) -> Option<String> {
    match claims.get("aud")? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Array(items) => items.iter().find_map(|v| v.as_str().filter(|s| !s.is_empty()).map(str::to_owned)),
        _ => None,
    }
}

/// `scp` (delegated), else the application `roles`, space-separated like `scp`.
fn scopes(claims: &Map<String, Value>) -> Option<String> {
    if let Some(scp) = string_claim(claims, "scp") {
        return Some(scp);
    }
    match claims.get("roles")? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Array(items) => {
            let roles: Vec<&str> = items.iter().filter_map(Value::as_str).filter(|s| !s.is_empty()).collect();
            (!roles.is_empty()).then(|| roles.join(" "))
        }
        _ => None,
    }
}

/// An epoch-seconds claim: an integer or a float (truncated to whole seconds), or either as a
/// string (Azure activity logs render `iat`/`exp` as strings).
fn time_claim(claims: &Map<String, Value>, name: &str) -> Option<jiff::Timestamp> {
    let seconds = match claims.get(name)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().and_then(float_seconds))?,
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>().ok().or_else(|| s.parse::<f64>().ok().and_then(float_seconds))?
        }
        _ => return None,
    };
    jiff::Timestamp::from_second(seconds).ok()
}

/// Whole seconds from a float, or `None` when it is not finite or out of `i64` range.
fn float_seconds(f: f64) -> Option<i64> {
    // The range check keeps the cast from saturating into a plausible-looking but wrong time;
    // jiff then rejects anything outside its own (much smaller) range.
    (f.is_finite() && f.abs() < 1e15).then(|| f.trunc() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
    use proptest::prelude::*;

    fn b64(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    fn token(header: &str, payload: &str) -> String {
        format!("{}.{}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk", b64(header), b64(payload))
    }

    const HEADER: &str = r#"{"typ":"JWT","nonce":"abc","alg":"RS256","x5t":"k","kid":"k"}"#;

    #[test]
    fn v1_graph_access_token() {
        let payload = r#"{"aud":"https://graph.microsoft.com","iss":"https://sts.windows.net/d2af6ef7-a00c-438f-903b-65592cfddc48/",
            "iat":1714000000,"nbf":1714000000,"exp":1714004000,"appid":"04b07795-8ddb-461a-bbee-02f9e1bf7b46",
            "oid":"11111111-2222-3333-4444-555555555555","tid":"d2af6ef7-a00c-438f-903b-65592cfddc48",
            "upn":"alice@contoso.com","unique_name":"alice@contoso.example","scp":"User.Read Mail.Read",
            "uti":"xMFjTVvJPE2OChJx_YE-AA","sid":"0a1b2c3d-0000-0000-0000-000000000000","ver":"1.0"}"#;
        let info = decode(&token(HEADER, payload)).expect("test value");
        assert_eq!(info.kind.as_deref(), Some("access-token"));
        assert_eq!(info.upn.as_deref(), Some("alice@contoso.com"));
        assert_eq!(info.oid.as_deref(), Some("11111111-2222-3333-4444-555555555555"));
        assert_eq!(info.tenant_id.as_deref(), Some("d2af6ef7-a00c-438f-903b-65592cfddc48"));
        assert_eq!(info.app_id.as_deref(), Some("04b07795-8ddb-461a-bbee-02f9e1bf7b46"));
        assert_eq!(info.audience.as_deref(), Some("https://graph.microsoft.com"));
        assert_eq!(info.issuer.as_deref(), Some("https://sts.windows.net/d2af6ef7-a00c-438f-903b-65592cfddc48/"));
        assert_eq!(info.issued_at, Some(jiff::Timestamp::from_second(1_714_000_000).expect("test value")));
        assert_eq!(info.expires_at, Some(jiff::Timestamp::from_second(1_714_004_000).expect("test value")));
        assert_eq!(info.uti.as_deref(), Some("xMFjTVvJPE2OChJx_YE-AA"));
        assert_eq!(info.request_id.as_deref(), Some("4d63c1c4-c95b-4d3c-8e0a-1271fd813e00"));
        assert_eq!(info.session_id.as_deref(), Some("0a1b2c3d-0000-0000-0000-000000000000"));
        assert_eq!(info.scopes.as_deref(), Some("User.Read Mail.Read"));
    }

    #[test]
    fn v2_id_token() {
        let payload = r#"{"aud":"797f4846-ba00-4fd7-ba43-dac1f8f63013","iss":"https://login.microsoftonline.com/t/v2.0",
            "iat":"1714000000","exp":"1714003600","nonce":"n-0S6_WzA2Mj","preferred_username":"bob@contoso.com",
            "email":"bob@mail.example","oid":"o","tid":"t","ver":"2.0"}"#;
        let info = decode(&token(r#"{"typ":"JWT","alg":"RS256"}"#, payload)).expect("test value");
        assert_eq!(info.kind.as_deref(), Some("id-token"));
        assert_eq!(info.upn.as_deref(), Some("bob@contoso.com"));
        assert_eq!(info.app_id, None);
        assert_eq!(info.issued_at, Some(jiff::Timestamp::from_second(1_714_000_000).expect("test value")));
        assert_eq!(info.expires_at, Some(jiff::Timestamp::from_second(1_714_003_600).expect("test value")));
        assert_eq!(info.scopes, None);
    }

    #[test]
    fn kind_rules() {
        let h = r#"{"alg":"none"}"#;
        let k = |p: &str| decode(&token(h, p)).expect("test value").kind.expect("test value");
        assert_eq!(k(r#"{"nonce":"x","roles":["A"]}"#), "id-token");
        assert_eq!(k(r#"{"roles":["A"],"email":"e@x"}"#), "access-token");
        assert_eq!(k(r#"{"appid":"a"}"#), "access-token");
        assert_eq!(k(r#"{"email":"e@x"}"#), "id-token");
        assert_eq!(k(r#"{"sub":"s"}"#), "jwt");
    }

    #[test]
    fn app_only_token_roles_and_array_audience() {
        let payload = r#"{"aud":["api://one","api://two"],"azp":"azp-client","roles":["Mail.Read","",5,"User.Read.All"],
            "iat":1714000000.0,"exp":"not a number","unique_name":"svc"}"#;
        let info = decode(&token(HEADER, payload)).expect("test value");
        assert_eq!(info.kind.as_deref(), Some("access-token"));
        assert_eq!(info.audience.as_deref(), Some("api://one"));
        assert_eq!(info.app_id.as_deref(), Some("azp-client"));
        assert_eq!(info.scopes.as_deref(), Some("Mail.Read User.Read.All"));
        assert_eq!(info.issued_at, Some(jiff::Timestamp::from_second(1_714_000_000).expect("test value")));
        assert_eq!(info.expires_at, None);
        assert_eq!(info.upn.as_deref(), Some("svc"));
    }

    #[test]
    fn claims_of_the_wrong_type_are_ignored() {
        let payload = r#"{"upn":7,"preferred_username":"","unique_name":null,"email":"e@x","oid":{},"aud":[1,2],
            "iat":1e300,"exp":-99999999999999999,"uti":"MjkwZmFmZmEtNDc3Yi00YjI4LWFlOTItNTc5ZGFhZTdiMDAw","scp":""}"#;
        let info = decode(&token(HEADER, payload)).expect("test value");
        assert_eq!(info.upn.as_deref(), Some("e@x"));
        assert_eq!(info.oid, None);
        assert_eq!(info.audience, None);
        assert_eq!(info.issued_at, None);
        assert_eq!(info.expires_at, None);
        assert_eq!(info.uti.as_deref(), Some("MjkwZmFmZmEtNDc3Yi00YjI4LWFlOTItNTc5ZGFhZTdiMDAw"));
        assert_eq!(info.request_id, None);
        assert_eq!(info.scopes, None);
    }

    #[test]
    fn padding_and_standard_alphabet_are_tolerated() {
        // The `??>` makes the standard encoding contain `/` (`_` in the URL-safe one).
        assert!(STANDARD.encode(r#"{"upn":"a@b??>","tid":"t"}"#).contains('/'));
        let header = r#"{"alg":"RS256","typ":"JWT","x":"??>"}"#;
        let payload = r#"{"upn":"a@b??>","tid":"t"}"#;
        for (h, p) in
            [(URL_SAFE.encode(header), URL_SAFE.encode(payload)), (STANDARD.encode(header), STANDARD.encode(payload))]
        {
            assert!(h.ends_with('=') && p.ends_with('='));
            let info = decode(&format!("{h}.{p}.sig")).expect("test value");
            assert_eq!(info.upn.as_deref(), Some("a@b??>"));
            assert_eq!(info.tenant_id.as_deref(), Some("t"));
        }
    }

    #[test]
    fn encrypted_or_junk_payload_is_just_a_jwt() {
        let jwe = format!(
            "{}.{}.iv.ciphertext.tag",
            b64(r#"{"alg":"RSA-OAEP","enc":"A256GCM"}"#),
            "OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGeipsEdY3mx_etLbbWSrFr05kLzcSr4qKAq7YN7e9jwQRb23nfa6c9d-StnImGyFDbSv04uVuxIp5Zms1gNxKKK2Da14B8S4rzVRltdYwam_lDp5XnZAYpQdb76FdIKLaVmqgfwX7XWRxv2322i-vDxRfqNzo_tETKzpVLzfiwQyeyPGLBIO56YJ7eObdv0je81860ppamavo35UgoRdbYaBcoh9QcfylQr66oc6vFWXRcZ_ZT2LawVCWTIy3brGPi6UklfCpIMfIjf7iGdXKHzg"
        );
        assert_eq!(decode(&jwe), Some(TokenInfo { kind: Some("jwt".to_owned()), ..TokenInfo::default() }));
        let junk = format!("{}.eyJub3QganNvbg.sig", b64(r#"{"alg":"none"}"#));
        assert_eq!(decode(&junk).expect("test value").kind.as_deref(), Some("jwt"));
        // A payload that is JSON but not an object.
        let array = format!("{}.{}.sig", b64(r#"{"alg":"none"}"#), b64("[1,2]"));
        assert_eq!(decode(&array), Some(TokenInfo { kind: Some("jwt".to_owned()), ..TokenInfo::default() }));
    }

    #[test]
    fn header_must_be_a_json_object() {
        assert!(header_is_json(&b64(r#"{"alg":"RS256"}"#)));
        assert!(header_is_json("eyJ0eXAiOiJKV1QiLCJub25jZSI6IjEyMyJ9"));
        assert!(!header_is_json("eyJzomethingthatisnotjson"));
        assert!(!header_is_json(&b64("[1]")));
        assert!(!header_is_json(&b64("\"eyJ\"")));
        assert!(!header_is_json(""));
        assert!(!header_is_json("e"));
        assert_eq!(decode(&format!("eyJzomethingthatisnotjson.{}.sig", b64(r#"{"upn":"x"}"#))), None);
        assert_eq!(decode(&b64(r#"{"alg":"none"}"#)), None);
        assert_eq!(decode(""), None);
    }

    #[test]
    fn signature_and_secret_claims_never_reach_the_output() {
        let payload = r#"{"refresh_token":"0.ASECRETREFRESHTOKEN","is_primary":"true","iat":1714000000}"#;
        let t = format!("{}.{}.U0VDUkVUU0lHTkFUVVJF", b64(HEADER), b64(payload));
        let info = decode(&t).expect("test value");
        let shown = format!("{info:?}{}", serde_json::to_string(&info).expect("test value"));
        assert!(!shown.contains("SECRET"));
        assert!(!shown.contains("U0VDUkVUU0lHTkFUVVJF"));
    }

    proptest! {
        #[test]
        fn never_panics(s in ".*") {
            let _ = decode(&s);
            let _ = header_is_json(&s);
        }

        #[test]
        fn never_panics_on_jwt_shaped_input(a in "[A-Za-z0-9_=+/-]{0,60}", b in "[A-Za-z0-9_=+/-]{0,60}") {
            let _ = decode(&format!("eyJ{a}.eyJ{b}.x"));
            let _ = decode(&format!("{}.{b}", b64(r#"{"a":1}"#)));
        }

        #[test]
        fn arbitrary_json_payloads_never_panic(json in "\\{(\"(iat|exp|aud|roles|scp|upn|uti)\":(-?[0-9]{1,25}(\\.[0-9]{1,3})?|\"[^\"]{0,10}\"|\\[[0-9,]{0,6}\\]|null),?){0,6}\\}") {
            let _ = decode(&format!("{}.{}.s", b64(r#"{"a":1}"#), b64(&json)));
        }
    }
}
