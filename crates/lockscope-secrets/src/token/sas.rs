//! Azure Storage shared access signatures: what a SAS grants and until when (formats.md §9.7).
//!
//! A SAS is a URL query string. Its `sig` is the secret (an HMAC over the other parameters);
//! everything else is plain metadata, and only that is read here.

use jiff::tz::TimeZone;
use jiff::{Timestamp, civil};

use super::TokenInfo;

/// Reads the metadata of an Azure SAS.
///
/// `query` may be a bare query string (`sv=…&sig=…`), start with `?`, or be a whole URL; any
/// `#fragment` is dropped. Parameters are split on `&` and values are percent-decoded (`+` is
/// left alone, since it is a base64 character in `sig`, not a space). The first occurrence of a
/// parameter wins.
///
/// Returns `None` unless both `sig` and `sv` are present and non-empty. The result has
/// `kind: "sas"` and:
///
/// * `expires_at` from `se` and `issued_at` from `st`: ISO-8601 in UTC, with or without
///   seconds, fractions or the `Z`, or date-only (`2025-01-01` means midnight UTC);
/// * `scopes` from `sp` (the permission letters, e.g. `rw`);
/// * `oid` from `skoid` and `tenant_id` from `sktid`, for a user-delegation SAS: the Entra
///   principal that signed it. Such a SAS stays valid after that user's tokens are revoked.
///
/// `sig` is only checked for presence; it is never copied into the result.
pub fn decode(query: &str) -> Option<TokenInfo> {
    let query = query.trim();
    // Everything after the first `?` when there is one: a whole URL or a `?`-prefixed query.
    let query = query.split_once('?').map_or(query, |(_, q)| q);
    let query = query.split_once('#').map_or(query, |(q, _)| q);

    let mut params = Params::default();
    for pair in query.split('&') {
        let Some((name, value)) = pair.split_once('=') else { continue };
        let slot = match name {
            "sig" => &mut params.sig,
            "sv" => &mut params.sv,
            "se" => &mut params.se,
            "st" => &mut params.st,
            "sp" => &mut params.sp,
            "skoid" => &mut params.skoid,
            "sktid" => &mut params.sktid,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(percent_decode(value));
        }
    }

    if params.sig.as_deref().is_none_or(str::is_empty) || params.sv.as_deref().is_none_or(str::is_empty) {
        return None;
    }
    let non_empty = |v: Option<String>| v.filter(|s| !s.is_empty());
    Some(TokenInfo {
        kind: Some("sas".to_owned()),
        expires_at: params.se.as_deref().and_then(parse_time),
        issued_at: params.st.as_deref().and_then(parse_time),
        scopes: non_empty(params.sp),
        oid: non_empty(params.skoid),
        tenant_id: non_empty(params.sktid),
        ..TokenInfo::default()
    })
}

/// The parameters that matter, percent-decoded. Private and short-lived, so `sig` never
/// escapes; no `Debug` on purpose.
#[derive(Default)]
struct Params {
    sig: Option<String>,
    sv: Option<String>,
    se: Option<String>,
    st: Option<String>,
    sp: Option<String>,
    skoid: Option<String>,
    sktid: Option<String>,
}

/// Decodes `%XX` escapes. A `%` not followed by two hex digits is kept as it is, and invalid
/// UTF-8 becomes U+FFFD, so this never fails.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&hi), Some(&lo)) => hex_value(hi).zip(hex_value(lo)).map(|(h, l)| h << 4 | l),
            _ => None,
        };
        match escaped {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// The value of one hex digit.
fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Parses a SAS time. Azure accepts `YYYY-MM-DD`, `YYYY-MM-DDThh:mmZ` and `YYYY-MM-DDThh:mm:ssZ`
/// (with optional fractions); all SAS times are UTC, so a missing offset means UTC.
fn parse_time(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Some(ts);
    }
    let datetime = match s.parse::<civil::DateTime>() {
        Ok(dt) => dt,
        Err(_) => s.parse::<civil::Date>().ok()?.to_datetime(civil::Time::midnight()),
    };
    datetime.to_zoned(TimeZone::UTC).ok().map(|z| z.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The Azure Storage docs' service-SAS example (formats.md §9.7); the signature is a doc
    /// value, not a live key.
    const DOCS_EXAMPLE: &str = "https://myaccount.blob.core.windows.net/sascontainer/sasblob.txt?sv=2015-04-05&st=2015-04-29T22%3A18%3A26Z&se=2015-04-30T02%3A23%3A26Z&sr=b&sp=rw&sip=168.1.5.60-168.1.5.70&spr=https&sig=Z%2FRHIX5Xcg0Mq2rqI3OlWTjEg2tYkboXr1P9ZUXDtkk%3D";

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("test value")
    }

    #[test]
    fn docs_example() {
        let info = decode(DOCS_EXAMPLE).expect("test value");
        assert_eq!(info.kind.as_deref(), Some("sas"));
        assert_eq!(info.issued_at, Some(ts("2015-04-29T22:18:26Z")));
        assert_eq!(info.expires_at, Some(ts("2015-04-30T02:23:26Z")));
        assert_eq!(info.scopes.as_deref(), Some("rw"));
        assert_eq!(info.oid, None);
        assert_eq!(info.tenant_id, None);
    }

    #[test]
    fn query_forms_agree() {
        let query = DOCS_EXAMPLE.split_once('?').expect("test value").1;
        let expected = decode(DOCS_EXAMPLE);
        assert_eq!(decode(query), expected);
        assert_eq!(decode(&format!("?{query}")), expected);
        assert_eq!(decode(&format!("  {DOCS_EXAMPLE}#frag\n")), expected);
    }

    #[test]
    fn secret_never_reaches_the_output() {
        let info = decode(DOCS_EXAMPLE).expect("test value");
        let shown = format!("{info:?}{}", serde_json::to_string(&info).expect("test value"));
        assert!(!shown.contains("RHIX5Xcg0Mq2rqI3OlWTjEg2tYkboXr1P9ZUXDtkk"));
    }

    #[test]
    fn user_delegation_sas() {
        let q = "sp=r&st=2025-01-01&se=2025-01-08T10:30Z&skoid=11111111-2222-3333-4444-555555555555\
                 &sktid=d2af6ef7-a00c-438f-903b-65592cfddc48&skt=2025-01-01T00:00:00Z&ske=2025-01-08T00:00:00Z\
                 &sks=b&skv=2022-11-02&spr=https&sv=2022-11-02&sr=c&sig=abc%2Bdef%3D";
        let info = decode(q).expect("test value");
        assert_eq!(info.oid.as_deref(), Some("11111111-2222-3333-4444-555555555555"));
        assert_eq!(info.tenant_id.as_deref(), Some("d2af6ef7-a00c-438f-903b-65592cfddc48"));
        assert_eq!(info.issued_at, Some(ts("2025-01-01T00:00:00Z")));
        assert_eq!(info.expires_at, Some(ts("2025-01-08T10:30:00Z")));
        assert_eq!(info.scopes.as_deref(), Some("r"));
    }

    #[test]
    fn time_forms() {
        assert_eq!(parse_time("2025-01-01"), Some(ts("2025-01-01T00:00:00Z")));
        assert_eq!(parse_time("2025-01-01T08:09Z"), Some(ts("2025-01-01T08:09:00Z")));
        assert_eq!(parse_time("2025-01-01T08:09:10Z"), Some(ts("2025-01-01T08:09:10Z")));
        assert_eq!(parse_time("2025-01-01T08:09:10.1234567Z"), Some(ts("2025-01-01T08:09:10.1234567Z")));
        assert_eq!(parse_time("2025-01-01T08:09:10"), Some(ts("2025-01-01T08:09:10Z")));
        assert_eq!(parse_time("2025-13-01"), None);
        assert_eq!(parse_time(""), None);
        assert_eq!(parse_time("tomorrow"), None);
    }

    #[test]
    fn requires_sig_and_sv() {
        assert!(decode("sv=2022-11-02&se=2025-01-01").is_none());
        assert!(decode("sig=abc&se=2025-01-01").is_none());
        assert!(decode("sv=&sig=abc").is_none());
        assert!(decode("sv=2022-11-02&sig=").is_none());
        assert!(decode("https://example.com/path").is_none());
        assert!(decode("").is_none());
        // A bad expiry does not void the rest.
        let info = decode("sv=2022-11-02&sig=abc&se=garbage&sp=racwdl").expect("test value");
        assert_eq!(info.expires_at, None);
        assert_eq!(info.scopes.as_deref(), Some("racwdl"));
    }

    #[test]
    fn first_occurrence_wins_and_bad_escapes_survive() {
        let info = decode("sv=1&sig=x&sp=r&sp=rwd&skoid=%ZZ%4").expect("test value");
        assert_eq!(info.scopes.as_deref(), Some("r"));
        assert_eq!(info.oid.as_deref(), Some("%ZZ%4"));
        assert_eq!(percent_decode("%E2%82%AC%ff"), "€\u{fffd}");
        assert_eq!(percent_decode("a+b%2Bc%3d"), "a+b+c=");
    }

    proptest! {
        #[test]
        fn never_panics(s in ".*") {
            let _ = decode(&s);
        }

        #[test]
        fn never_panics_on_sas_shaped_input(se in "[0-9TZ:%.-]{0,30}", sp in "[%0-9A-Fa-z]{0,8}") {
            let _ = decode(&format!("sv=2022-11-02&sig=x&se={se}&st={se}&sp={sp}&skoid={sp}"));
        }
    }
}
