//! Microsoft Entra token identifiers that are not JWTs: the `uti` claim (which is the sign-in
//! request id in disguise) and the header of opaque refresh tokens and authorization codes.
//!
//! Both layouts come from formats.md §9.1 and §9.2. The `uti` mapping is confirmed by
//! Microsoft's own tooling; the refresh-token header layout is **empirical and undocumented**,
//! so what it yields is enrichment, never a verdict.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::TokenInfo;
use super::jwt::decode_segment;

/// Byte range of the tenant GUID in a decoded refresh-token header (formats.md §9.1).
const RT_TENANT: std::ops::Range<usize> = 3..19;
/// Byte range of the client application GUID in a decoded refresh-token header.
const RT_CLIENT: std::ops::Range<usize> = 19..35;

/// Decodes a `uti` / `uniqueTokenIdentifier` into the sign-in request id it encodes.
///
/// The value must be exactly 22 characters of unpadded base64url holding 16 bytes, which are
/// read as a GUID in .NET `Guid.ToByteArray()` order. Anything else returns `None`: the
/// 48-character "base64 of the GUID text" values in some fixtures are not real token ids.
pub fn uti_to_request_id(uti: &str) -> Option<String> {
    if uti.len() != 22 {
        return None;
    }
    // The strict engine rejects padding, the standard alphabet and non-zero trailing bits: a
    // real uti is the canonical encoding of 16 bytes, and anything looser would make two
    // different strings join to the same sign-in.
    let bytes = URL_SAFE_NO_PAD.decode(uti).ok()?;
    let bytes: [u8; 16] = bytes.try_into().ok()?;
    Some(guid_from_le_bytes(&bytes))
}

/// Formats 16 bytes in .NET `Guid.ToByteArray()` order (the first three fields little-endian)
/// as a lowercase hyphenated GUID, e.g. `4d63c1c4-c95b-4d3c-8e0a-1271fd813e00`.
pub fn guid_from_le_bytes(b: &[u8; 16]) -> String {
    let d1 = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let d2 = u16::from_le_bytes([b[4], b[5]]);
    let d3 = u16::from_le_bytes([b[6], b[7]]);
    format!(
        "{d1:08x}-{d2:04x}-{d3:04x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]
    )
}

/// Reads the tenant and client ids from the header of an Entra refresh token or authorization
/// code shaped `<ver>.<header>[.<n>].<body>[.<tail>]` (formats.md §9.1).
///
/// The shape is checked first: `<ver>` is `0` or `1`, `<header>` is base64url starting with
/// `A`, `<n>` is one optional digit, `<body>` is base64url starting with `Ag`, and `<tail>` is
/// one optional base64url segment starting with `A`. The header must decode (padding optional)
/// to at least 35 bytes; bytes 3..19 are the tenant id and 19..35 the client id, both in .NET
/// byte order. Returns `None` rather than guessing when any of this does not hold.
///
/// `kind` is `refresh-token`; a caller that knows better (an authorization code in a redirect
/// URL) may override it. The body, which is the secret part, is never decoded or kept.
pub fn decode_refresh_token(token: &str) -> Option<TokenInfo> {
    let mut parts = token.trim().split('.');
    let ver = parts.next()?;
    if ver != "0" && ver != "1" {
        return None;
    }
    let header = parts.next()?;
    if !header.starts_with('A') || !is_base64url(header) {
        return None;
    }
    let mut body = parts.next()?;
    if body.len() == 1 && body.bytes().all(|c| c.is_ascii_digit()) {
        body = parts.next()?;
    }
    if !body.starts_with("Ag") || !is_base64url(body) {
        return None;
    }
    if let Some(tail) = parts.next()
        && (!tail.starts_with('A') || !is_base64url(tail))
    {
        return None;
    }
    if parts.next().is_some() {
        return None;
    }
    let (tenant, client) = header_ids(header)?;
    Some(TokenInfo {
        kind: Some("refresh-token".to_owned()),
        tenant_id: Some(tenant),
        app_id: Some(client),
        ..TokenInfo::default()
    })
}

/// The (tenant, application) GUIDs in a refresh-token header or an access token's `rh` claim
/// header segment, or `None` when it does not decode to at least 35 bytes.
fn header_ids(header: &str) -> Option<(String, String)> {
    let bytes = decode_segment(header)?;
    let tenant: [u8; 16] = bytes.get(RT_TENANT)?.try_into().ok()?;
    let client: [u8; 16] = bytes.get(RT_CLIENT)?.try_into().ok()?;
    Some((guid_from_le_bytes(&tenant), guid_from_le_bytes(&client)))
}

/// True when `s` is non-empty and uses only the base64url alphabet (no padding).
fn is_base64url(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Builds an `rh`-style header from known GUIDs: 3 flag bytes, tenant and client in .NET
    /// order, 3 trailer bytes. The flag bytes `01 82 00` reproduce the `AYIA` prefix seen in
    /// formats.md §9.1.
    fn header_for(tenant: &str, client: &str) -> String {
        let mut raw = vec![0x01, 0x82, 0x00];
        raw.extend_from_slice(&guid_to_le_bytes(tenant));
        raw.extend_from_slice(&guid_to_le_bytes(client));
        raw.extend_from_slice(&[0x01, 0x00, 0x00]);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Test-only inverse of [`guid_from_le_bytes`].
    fn guid_to_le_bytes(text: &str) -> [u8; 16] {
        let hex: String = text.chars().filter(|c| *c != '-').collect();
        let mut be = [0u8; 16];
        for (i, byte) in be.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("test value");
        }
        let mut le = be;
        le[0..4].reverse();
        le[4..6].reverse();
        le[6..8].reverse();
        le
    }

    fn body() -> String {
        format!("AgABAwEAAAAuQLDzsjJ3TYwhxABdnzRyAwDs_wUA7_9{}", "x".repeat(250))
    }

    #[test]
    fn uti_vectors_from_formats_md() {
        assert_eq!(
            uti_to_request_id("xMFjTVvJPE2OChJx_YE-AA").as_deref(),
            Some("4d63c1c4-c95b-4d3c-8e0a-1271fd813e00")
        );
        assert_eq!(
            uti_to_request_id("IdP3SUJGtkGlt7dDQVRPAA").as_deref(),
            Some("49f7d321-4642-41b6-a5b7-b74341544f00")
        );
    }

    #[test]
    fn uti_rejects_other_shapes() {
        // The Elastic fixtures' fake form: base64 of the GUID text.
        assert_eq!(uti_to_request_id("MjkwZmFmZmEtNDc3Yi00YjI4LWFlOTItNTc5ZGFhZTdiMDAw"), None);
        assert_eq!(uti_to_request_id("xMFjTVvJPE2OChJx_YE-AA=="), None);
        assert_eq!(uti_to_request_id("xMFjTVvJPE2OChJx_YE+AA"), None);
        assert_eq!(uti_to_request_id("xMFjTVvJPE2OChJx_YE-A"), None);
        // Non-zero trailing bits: not the canonical encoding of any 16 bytes.
        assert_eq!(uti_to_request_id("xMFjTVvJPE2OChJx_YE-AB"), None);
        assert_eq!(uti_to_request_id("xMFjTVvJPE2OChJx_YE-Aé"), None);
        assert_eq!(uti_to_request_id(""), None);
    }

    #[test]
    fn guid_round_trip() {
        let g = "d2af6ef7-a00c-438f-903b-65592cfddc48";
        assert_eq!(guid_from_le_bytes(&guid_to_le_bytes(g)), g);
    }

    #[test]
    fn rh_style_header_decodes_to_arm() {
        let header = header_for("d2af6ef7-a00c-438f-903b-65592cfddc48", "797f4846-ba00-4fd7-ba43-dac1f8f63013");
        assert!(header.starts_with("AYIA926v"), "{header}");
        let (tenant, client) = header_ids(&header).expect("test value");
        assert_eq!(tenant, "d2af6ef7-a00c-438f-903b-65592cfddc48");
        assert_eq!(client, "797f4846-ba00-4fd7-ba43-dac1f8f63013");

        let info = decode_refresh_token(&format!("0.{header}.{}", body())).expect("test value");
        assert_eq!(info.kind.as_deref(), Some("refresh-token"));
        assert_eq!(info.tenant_id.as_deref(), Some("d2af6ef7-a00c-438f-903b-65592cfddc48"));
        assert_eq!(info.app_id.as_deref(), Some("797f4846-ba00-4fd7-ba43-dac1f8f63013"));
    }

    #[test]
    fn trufflehog_sample_prefix() {
        let rt = format!("1.AAEA-W8xnNOnEke-ljgE71hsE5V3sATbjRpGu-4G-eG_e0YBAFIaAA.1.{}", body());
        let info = decode_refresh_token(&rt).expect("test value");
        // One byte off the Azure CLI id 04b07795-…-02f9e1bf7b46: the test data was mutated.
        assert_eq!(info.app_id.as_deref(), Some("04b07795-8ddb-461a-bbee-06f9e1bf7b46"));
        assert_eq!(info.tenant_id.as_deref(), Some("9c316ff9-a7d3-4712-be96-3804ef586c13"));
    }

    #[test]
    fn refresh_token_shape_is_checked() {
        let h = header_for("d2af6ef7-a00c-438f-903b-65592cfddc48", "797f4846-ba00-4fd7-ba43-dac1f8f63013");
        let b = body();
        assert!(decode_refresh_token(&format!("1.{h}.{b}")).is_some());
        assert!(decode_refresh_token(&format!("1.{h}.7.{b}.A{}", "y".repeat(200))).is_some());
        assert!(decode_refresh_token(&format!("2.{h}.{b}")).is_none());
        assert!(decode_refresh_token(&format!("1.{h}")).is_none());
        assert!(decode_refresh_token(&format!("1.{h}.Bg{b}")).is_none());
        assert!(decode_refresh_token(&format!("1.{h}.12.{b}")).is_none());
        assert!(decode_refresh_token(&format!("1.{h}.{b}.B")).is_none());
        assert!(decode_refresh_token(&format!("1.{h}.{b}.A.A")).is_none());
        assert!(decode_refresh_token(&format!("1.B{h}.{b}")).is_none());
        // Too short to hold both GUIDs.
        assert!(decode_refresh_token(&format!("1.AAEA-W8xnNOnEke.{b}")).is_none());
        // Not base64 at all (4n+1 characters).
        assert_eq!(h.len() % 4, 3);
        assert!(decode_refresh_token(&format!("1.{h}AA.{b}")).is_none());
        assert!(decode_refresh_token("").is_none());
    }

    #[test]
    fn debug_output_never_holds_the_body() {
        let b = body();
        let h = header_for("d2af6ef7-a00c-438f-903b-65592cfddc48", "797f4846-ba00-4fd7-ba43-dac1f8f63013");
        let info = decode_refresh_token(&format!("0.{h}.{b}")).expect("test value");
        let shown = format!("{info:?}");
        assert!(!shown.contains(&b[..20]));
        assert!(!shown.contains(&h));
    }

    proptest! {
        #[test]
        fn never_panics(s in ".*") {
            let _ = uti_to_request_id(&s);
            let _ = decode_refresh_token(&s);
        }

        #[test]
        fn never_panics_on_rt_shaped_input(h in "A[A-Za-z0-9_-]{0,80}", d in "[0-9]?", b in "[A-Za-z0-9_=.-]{0,40}") {
            let _ = decode_refresh_token(&format!("0.{h}.{d}.Ag{b}"));
            let _ = decode_refresh_token(&format!("1.{h}.Ag{b}"));
        }

        #[test]
        fn uti_round_trips(bytes in proptest::array::uniform16(any::<u8>())) {
            let uti = URL_SAFE_NO_PAD.encode(bytes);
            prop_assert_eq!(uti_to_request_id(&uti), Some(guid_from_le_bytes(&bytes)));
        }
    }
}
