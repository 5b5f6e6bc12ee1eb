//! Does a value look randomly generated? Generic assignments (`api_key = "…"`) are only secrets
//! when the value is machine-made; words, identifiers, paths and repeated patterns are not.
//!
//! The test compares the value's Shannon entropy with the most a string of its length could have
//! over the smallest alphabet that covers it (hex, lowercase+digits, alphanumerics, base64 and
//! punctuation). Random strings come close to that bound; words and patterns fall well short.

/// True when `v` looks like a generated secret.
pub fn looks_random(v: &[u8]) -> bool {
    let n = v.len();
    if !(12..=512).contains(&n) || v.iter().any(|&b| !b.is_ascii_graphic()) {
        return false;
    }
    if v[0] == b'/' || is_guid(v) || v.iter().all(|&b| b.is_ascii_digit() || b == b'.' || b == b'-') {
        return false;
    }
    let digits = v.iter().any(u8::is_ascii_digit);
    let lower = v.iter().any(u8::is_ascii_lowercase);
    let upper = v.iter().any(u8::is_ascii_uppercase);
    let other = v.iter().any(|b| !b.is_ascii_alphanumeric());
    let hex = v.iter().all(u8::is_ascii_hexdigit) && !(lower && upper);
    let alphabet: f64 = if hex {
        16.0
    } else if other {
        80.0
    } else {
        match (digits, lower, upper) {
            (_, true, true) => 62.0,
            (true, _, _) => 36.0,
            _ => 26.0,
        }
    };
    let bound = alphabet.min(n as f64).log2();
    let ratio = entropy(v) / bound;
    // Letters only (no digit, no symbol) is how words look; demand more of those.
    let needed = if digits || other { 0.80 } else { 0.90 };
    ratio >= needed && !(lower && !upper && !digits && !other) && (digits || !is_words(v)) && !is_sequence(v)
}

/// `0123456789abcdef`, `abcdefgh12345678`: mostly runs of consecutive characters.
fn is_sequence(v: &[u8]) -> bool {
    let steps = v.windows(2).filter(|w| w[1] == w[0].wrapping_add(1)).count();
    steps * 2 > v.len()
}

/// `UserType`, `User-Agent`, `session_cookie_name`: identifiers made of words — every piece
/// (split at separators and lower-to-upper case changes) has 3+ letters and a vowel.
fn is_words(v: &[u8]) -> bool {
    let mut pieces: Vec<&[u8]> = Vec::new();
    let mut start = 0;
    for i in 0..v.len() {
        let split_here = matches!(v[i], b'-' | b'_' | b'.')
            || (i > start && v[i].is_ascii_uppercase() && v[i - 1].is_ascii_lowercase());
        if split_here {
            pieces.push(&v[start..i]);
            start = if v[i].is_ascii_alphabetic() { i } else { i + 1 };
        }
    }
    pieces.push(&v[start..]);
    let pieces: Vec<&[u8]> = pieces.into_iter().filter(|p| !p.is_empty()).collect();
    let vowel = |p: &&[u8]| p.iter().any(|b| matches!(b.to_ascii_lowercase(), b'a' | b'e' | b'i' | b'o' | b'u' | b'y'));
    let alpha = |p: &&[u8]| p.iter().all(u8::is_ascii_alphabetic);
    // Short pieces (`To` in `ConvertTo-SecureString`, `Az` in `Get-AzAccessToken`) are words
    // too when most pieces are long.
    let long = pieces.iter().filter(|p| p.len() >= 3).count();
    !pieces.is_empty() && pieces.iter().all(|p| alpha(p) && vowel(p) && p.len() >= 2) && long * 3 >= pieces.len() * 2
}

/// Shannon entropy in bits per byte.
fn entropy(v: &[u8]) -> f64 {
    let mut counts = [0u32; 256];
    for &b in v {
        counts[usize::from(b)] += 1;
    }
    let n = v.len() as f64;
    counts.iter().filter(|&&c| c > 0).map(|&c| f64::from(c) / n).map(|p| -p * p.log2()).sum()
}

/// `8-4-4-4-12` hex: an identifier, not a secret.
fn is_guid(v: &[u8]) -> bool {
    v.len() == 36
        && v.iter()
            .enumerate()
            .all(|(i, &b)| if matches!(i, 8 | 13 | 18 | 23) { b == b'-' } else { b.is_ascii_hexdigit() })
}

#[cfg(test)]
mod tests {
    use super::looks_random;

    #[test]
    fn generated_values_are_random() {
        for v in [
            "iftkeq2y4qj0nbt",
            "2Tm6cdsRVBTL9hRCmR6MRDTpMLFS4I",
            "9e51341f8d87894c927d0150be0a9676c7427850c11607bb2e8943292a029a91ebed6a91",
            "47briy6QVrPNDx.atlasv1.3mN8lSunwfczCI44eDPUmUx5t9NTBjalbNpE6w0Qj1uFe0QuRC3Y2t21Wbpqyf1MXzo",
            "1W0T1eqNpAk3imtH8mJtkSf2AQ3eNMrPqe3u3Tf6",
        ] {
            assert!(looks_random(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn words_patterns_and_ids_are_not() {
        for v in [
            "asdfasdfasdfasdfasdfasdfasdfasdfasdfasdfasdfasdf",
            "mysecretpassword",
            "0123456789",
            "/usr/local/lib/python3",
            "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
            "aaaaaaaaaaaa",
            "short",
            "UserType",
            "UserPrincipalName",
            "session_cookie_name",
            "ConvertTo-SecureString",
            "Get-AzAccessToken",
            "0123456789abcdef",
        ] {
            assert!(!looks_random(v.as_bytes()), "{v}");
        }
    }
}
