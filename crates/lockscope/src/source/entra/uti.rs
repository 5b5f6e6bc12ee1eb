//! The `uti` token claim ⇄ sign-in request id (`reference/formats.md` §9.2).
//!
//! Entra writes the unique token identifier (`uti` in a JWT, `uniqueTokenIdentifier` in the
//! sign-in log) as the unpadded base64url text of the 16 bytes of the sign-in request-id GUID, in
//! .NET `Guid.ToByteArray()` order: the first three fields little-endian, the last eight bytes as
//! they are. Decoding it joins an Azure activity-log operation to the sign-in that issued its
//! token.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The number of base64url characters that encode 16 bytes without padding.
const UTI_LEN: usize = 22;

/// Decodes a `uti` (22 base64url characters, no padding) into the lowercase hyphenated request
/// id GUID, or `None` when the text is not a real `uti` (wrong length, other alphabet, or the fake
/// 48-character form some test fixtures carry).
pub fn to_request_id(uti: &str) -> Option<String> {
    let uti = uti.trim();
    if uti.len() != UTI_LEN || !uti.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return None;
    }
    // The decoder rejects non-zero trailing bits, so only canonical encodings are accepted.
    let bytes: [u8; 16] = URL_SAFE_NO_PAD.decode(uti).ok()?.try_into().ok()?;
    Some(guid_text(&dotnet_order(bytes)))
}

/// Encodes a request id GUID (hyphenated, optionally in braces, any case) as the `uti` Entra
/// would write for it; the inverse of [`to_request_id`]. `None` when the text is not a GUID.
pub fn from_request_id(request_id: &str) -> Option<String> {
    let t = request_id.trim();
    let t = t.strip_prefix('{').and_then(|s| s.strip_suffix('}')).unwrap_or(t);
    let bytes = parse_guid(t)?;
    Some(URL_SAFE_NO_PAD.encode(dotnet_order(bytes)))
}

/// Swaps between text (big-endian) byte order and .NET `ToByteArray` order. The swap is its own
/// inverse: the first three fields are reversed in place.
fn dotnet_order(mut b: [u8; 16]) -> [u8; 16] {
    b[0..4].reverse();
    b[4..6].reverse();
    b[6..8].reverse();
    b
}

/// Writes 16 bytes in text order as `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
fn guid_text(b: &[u8; 16]) -> String {
    let mut out = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// Reads `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` into 16 bytes in text order.
fn parse_guid(s: &str) -> Option<[u8; 16]> {
    let b = s.as_bytes();
    if b.len() != 36 || [8, 13, 18, 23].iter().any(|&i| b[i] != b'-') {
        return None;
    }
    let hex: Vec<u8> = b.iter().copied().filter(|&c| c != b'-').collect();
    if hex.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (slot, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        let text = std::str::from_utf8(pair).ok()?;
        *slot = u8::from_str_radix(text, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_real_pairs_of_the_reference() {
        assert_eq!(to_request_id("xMFjTVvJPE2OChJx_YE-AA").as_deref(), Some("4d63c1c4-c95b-4d3c-8e0a-1271fd813e00"));
        assert_eq!(to_request_id("IdP3SUJGtkGlt7dDQVRPAA").as_deref(), Some("49f7d321-4642-41b6-a5b7-b74341544f00"));
        assert_eq!(from_request_id("4D63C1C4-C95B-4D3C-8E0A-1271FD813E00").as_deref(), Some("xMFjTVvJPE2OChJx_YE-AA"));
        assert_eq!(
            from_request_id("{49f7d321-4642-41b6-a5b7-b74341544f00}").as_deref(),
            Some("IdP3SUJGtkGlt7dDQVRPAA")
        );
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "",
            "IdP3SUJGtkGlt7dDQVRPA",
            "IdP3SUJGtkGlt7dDQVRPAAA",
            "IdP3SUJGtkGlt7dDQVRPA=",
            "IdP3SUJGtkGlt7dDQVRP+/",
            // Non-zero trailing bits: not what an encoder writes.
            "IdP3SUJGtkGlt7dDQVRPAB",
            // The fake form in Elastic fixtures: base64 of the GUID text.
            "MjkwZmFmZmEtNDc3Yi00YjI4LWFlOTItNTc5ZGFhZTdiMDAw",
            "8a4de8b5-095c-47d0-a96f-a75130c61d53",
            "ééééééééééé",
        ] {
            assert_eq!(to_request_id(bad), None, "{bad:?}");
        }
        for bad in [
            "",
            "49f7d321464241b6a5b7b74341544f00",
            "49f7d321-4642-41b6-a5b7-b74341544f0g",
            "49f7d321-4642-41b6-a5b7+b74341544f00",
            "49f7d321-4642-41b6-a5b7-b74341544f0é",
        ] {
            assert_eq!(from_request_id(bad), None, "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn round_trips(bytes in proptest::array::uniform16(proptest::num::u8::ANY)) {
            let guid = guid_text(&bytes);
            let uti = from_request_id(&guid).expect("a GUID encodes");
            proptest::prop_assert_eq!(uti.len(), UTI_LEN);
            proptest::prop_assert_eq!(to_request_id(&uti), Some(guid));
        }

        #[test]
        fn never_panics(s in ".{0,40}") {
            let _ = to_request_id(&s);
            let _ = from_request_id(&s);
        }
    }
}
