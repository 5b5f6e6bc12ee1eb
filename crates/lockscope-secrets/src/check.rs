//! Checks a regex candidate must pass before it is reported. They separate real secrets from
//! look-alikes: checksums where the format has one, a JSON header for JWTs, randomness for
//! generic assignments, and placeholder/reference detection for password fields.

use serde::Deserialize;

use crate::randomness;
use crate::token;

/// A check named in a rule file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// GitHub/npm tokens: the last 6 characters are the base62 CRC32 of the random part.
    GithubCrc32,
    /// Azure identifiable keys: the Marvin32 checksum must hold (unknown signatures pass).
    AzureIdentifiable,
    /// The first segment must decode to a JSON object (a JWT header).
    JwtHeader,
    /// The value must look randomly generated (generic `key = "…"` assignments).
    Random,
    /// The value must not be a placeholder, template or code reference (`${X}`, `settings.KEY`).
    NotPlaceholder,
    /// A password in a URL: at least 8 bytes and different from the user name.
    UrlPassword,
    /// The value must not be a documentation example (`AKIAIOSFODNN7EXAMPLE`).
    NotExample,
    /// The value must not be public by design (Stripe publishable keys, public-key encodings).
    NotPublic,
    /// A value shaped like a checksummed token (`ghp_…`, `npm_…`) must pass its checksum, even
    /// when a generic rule found it.
    KnownFormat,
}

/// Runs one check on a candidate secret (and the user name the rule captured, if any).
pub fn passes(check: Check, secret: &[u8], user: Option<&[u8]>) -> bool {
    let text = std::str::from_utf8(secret).ok();
    match check {
        Check::GithubCrc32 => text.is_some_and(token::checksum::github_crc32_ok),
        Check::AzureIdentifiable => text.is_some_and(|t| token::checksum::azure_identifiable_ok(t) != Some(false)),
        Check::JwtHeader => text.and_then(|t| t.split('.').next()).is_some_and(token::jwt::header_is_json),
        Check::Random => randomness::looks_random(secret),
        Check::NotPlaceholder => !is_placeholder(secret),
        // Only templates are excluded here: `USERNAME:PASSWORD@` in a connection string is how
        // such credentials leak, while the words list below would drop it.
        Check::UrlPassword => secret.len() >= 8 && user != Some(secret) && !is_template(secret),
        Check::NotExample => !is_example(secret),
        Check::NotPublic => !is_public(secret),
        Check::KnownFormat => text.is_none_or(checksum_holds),
    }
}

/// Publishable by design: Stripe `pk_` keys, DER public keys in base64 (RSA and EC SPKI).
fn is_public(v: &[u8]) -> bool {
    const PREFIXES: &[&[u8]] = &[
        b"pk_live_",
        b"pk_test_",
        b"MIIBIjANBgkqhkiG9w0BAQEFAAOC",
        b"MFkwEwYHKoZIzj0CAQ",
        b"MHYwEAYHKoZIzj0CAQ",
        b"ssh-rsa",
        b"ssh-ed25519",
        b"ecdsa-sha2-",
    ];
    PREFIXES.iter().any(|p| v.starts_with(p))
}

/// GitHub and npm tokens carry a CRC32: a value of that exact shape with a wrong one is a decoy.
fn checksum_holds(v: &str) -> bool {
    let shaped = v.len() == 40
        && ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"].iter().any(|p| v.starts_with(p))
        && v[4..].bytes().all(|b| b.is_ascii_alphanumeric());
    let npm = v.len() == 40 && v.starts_with("npm_") && v[4..].bytes().all(|b| b.is_ascii_alphanumeric());
    !(shaped || npm) || token::checksum::github_crc32_ok(v)
}

/// Documentation values: AWS's published example keys, anything spelled `EXAMPLE`, and runs of
/// `XXXXXXXX` (Slack's documented webhook). Lowercase `xxxx` stays: real test data uses it.
fn is_example(secret: &[u8]) -> bool {
    memchr::memmem::find(secret, b"EXAMPLE").is_some()
        || memchr::memmem::find(secret, b"example").is_some()
        || memchr::memmem::find(secret, b"XXXXXXXX").is_some()
}

/// Values that stand for a secret rather than being one.
pub(crate) fn is_placeholder(v: &[u8]) -> bool {
    let v = v.trim_ascii();
    if is_template(v) {
        return true;
    }
    const WORDS: &[&[u8]] = &[
        b"password",
        b"passwd",
        b"changeme",
        b"secret",
        b"null",
        b"none",
        b"nil",
        b"undefined",
        b"true",
        b"false",
        b"redacted",
        b"hidden",
        b"masked",
        b"empty",
        b"required",
        b"optional",
        b"string",
    ];
    if WORDS.iter().any(|w| v.eq_ignore_ascii_case(w)) {
        return true;
    }
    is_code_reference(v) || is_path(v)
}

/// `/home/vagrant`, `~/src`: sudo logs `PWD=` the working directory, not a password.
fn is_path(v: &[u8]) -> bool {
    v.starts_with(b"/") || v.starts_with(b"~/")
}

/// Templates and variables (`${X}`, `$X`, `%s`, `{{x}}`, `<x>`, `@x@`) and one repeated
/// character (`********`, `xxxxxxxx`).
fn is_template(v: &[u8]) -> bool {
    let v = v.trim_ascii();
    match v.first() {
        None => true,
        Some(&first) => {
            matches!(first, b'$' | b'%' | b'<' | b'{' | b'@')
                || v.ends_with(b"}}")
                || v.ends_with(b">")
                || v.iter().all(|&b| b == first)
        }
    }
}

/// `settings.GITHUB_API_SECRET`, `os.environ.TOKEN`, `self.key`: dotted identifier paths whose
/// root is a usual object or that name a constant, and SCREAMING_SNAKE constants such as
/// `PROJECT_NAME_ALIAS`. `Welcome.Home1` is a password, not code.
fn is_code_reference(v: &[u8]) -> bool {
    const ROOTS: &[&[u8]] = &[
        b"settings",
        b"os",
        b"self",
        b"this",
        b"config",
        b"cfg",
        b"conf",
        b"process",
        b"env",
        b"secrets",
        b"vars",
        b"params",
        b"props",
        b"app",
        b"context",
        b"ctx",
    ];
    let ident = |part: &[u8]| {
        !part.is_empty()
            && (part[0].is_ascii_alphabetic() || part[0] == b'_')
            && part.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
    };
    // `API_SECRET`, `TOKEN`: uppercase words; `H7S2X822` (digits, no `_`) is random, not a name.
    let constant = |part: &[u8]| {
        part.len() > 1
            && part.iter().all(|&b| b.is_ascii_uppercase() || b == b'_' || b.is_ascii_digit())
            && (part.contains(&b'_') || !part.iter().any(u8::is_ascii_digit))
    };
    let parts: Vec<&[u8]> = v.split(|&b| b == b'.').collect();
    let dotted = parts.len() > 1
        && parts.iter().all(|p| ident(p))
        && (ROOTS.iter().any(|r| parts[0].eq_ignore_ascii_case(r)) || parts.iter().any(|p| constant(p)));
    let screaming = v.contains(&b'_')
        && v.iter().all(|&b| b.is_ascii_uppercase() || b == b'_')
        && v.iter().any(u8::is_ascii_uppercase);
    dotted || screaming
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_references() {
        for v in [
            "${DB_PASS}",
            "%s",
            "{{ secret }}",
            "<password>",
            "********",
            "settings.GITHUB_API_SECRET",
            "PROJECT_NAME_ALIAS",
            "changeme",
            "null",
            "/home/vagrant",
        ] {
            assert!(is_placeholder(v.as_bytes()), "{v}");
        }
        for v in [
            "hunter2!",
            "`-08iOR~zZik6ko^\\JPBy4r",
            "2Tm6cdsRVBTL9hRCmR6MRDTpMLFS4I",
            "PASSWORD1",
            "Welcome.Home1",
            "iH.DBAZpTGrK",
            "H7S2X822.G.z20e0c8",
        ] {
            assert!(!is_placeholder(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn url_password_needs_length_and_differs_from_user() {
        assert!(passes(Check::UrlPassword, b"PASSWORD", Some(b"USERNAME")));
        assert!(!passes(Check::UrlPassword, b"secret", Some(b"public")));
        assert!(!passes(Check::UrlPassword, b"useruser", Some(b"useruser")));
    }

    #[test]
    fn documentation_examples() {
        assert!(!passes(Check::NotExample, b"AKIAIOSFODNN7EXAMPLE", None));
        assert!(passes(Check::NotExample, b"AKIAN95B87AWHT6U0699", None));
    }
}
