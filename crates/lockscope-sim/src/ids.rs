//! Identifiers: GUIDs derived from stable keys, the sign-in `uniqueTokenIdentifier`, and the
//! opaque ids of audit rows and risk detections.
//!
//! Every id is a pure function of the run seed and a record key, so a record renders the same
//! whatever order it is written in, and a risk detection can name the request id of a sign-in
//! without the two ever meeting in memory.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::SeedableRng as _;
use rand_chacha::ChaCha8Rng;
use serde::{Serialize, Serializer};
use std::fmt;

/// SplitMix64's finaliser: a bijection on `u64`, so distinct keys give distinct ids.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Combines two values into one well-spread 64-bit value.
pub(crate) fn combine(a: u64, b: u64) -> u64 {
    mix(a ^ mix(b.wrapping_add(0x9e37_79b9_7f4a_7c15)))
}

/// A seeded ChaCha8 stream for one purpose (`stream`) and one subject (`a`, `b`), so that
/// independent parts of the data set never share random draws.
pub(crate) fn rng(seed: u64, stream: u64, a: u64, b: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(combine(combine(seed, stream), combine(a, b)))
}

/// What an id is for; keeps ids of different kinds from coinciding for the same key.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Domain {
    /// Sign-in request id (`signIn.id`).
    Request = 1,
    /// Sign-in correlation id.
    Correlation,
    /// Sign-in session id.
    Session,
    /// Audit correlation id.
    Audit,
    /// Directory objects: users, devices, service principals, policies, the tenant.
    Object,
    /// Risk detection ids.
    Risk,
}

/// A GUID held in the byte order of its text form.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub(crate) struct Guid(pub [u8; 16]);

/// Derives ids from the run seed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Keys {
    seed: u64,
}

impl Keys {
    pub(crate) fn new(seed: u64) -> Self {
        Self { seed }
    }

    /// A version-4-shaped GUID for `key`. The first mixed word is spread over bytes that the
    /// version and variant bits leave alone, so the mapping key → GUID is injective.
    pub(crate) fn guid(&self, domain: Domain, key: u64) -> Guid {
        let salt = combine(self.seed, domain as u64);
        let a = mix(key ^ salt).to_be_bytes();
        let b = mix(u64::from_be_bytes(a) ^ 0x5851_f42d_4c95_7f2d).to_be_bytes();
        let mut g = [0u8; 16];
        g[..6].copy_from_slice(&a[..6]);
        g[6] = 0x40 | (b[0] & 0x0f);
        g[7] = a[6];
        g[8] = 0x80 | (b[1] & 0x3f);
        g[9] = a[7];
        g[10..].copy_from_slice(&b[2..]);
        if matches!(domain, Domain::Request) {
            // Observed Entra request ids usually end in 00 (formats.md §9.2).
            g[15] = 0;
        }
        Guid(g)
    }

    /// A 64-hex-digit id like those of risk detections in exports.
    pub(crate) fn hex64(&self, key: u64) -> Hex64 {
        let mut words = [0u64; 4];
        let mut h = combine(self.seed ^ Domain::Risk as u64, key);
        for w in &mut words {
            h = mix(h.wrapping_add(0x9e37_79b9_7f4a_7c15));
            *w = h;
        }
        Hex64(words)
    }

    /// A well-spread value for cosmetic choices (processing time, ids' suffixes).
    pub(crate) fn noise(&self, key: u64, what: u64) -> u64 {
        combine(combine(self.seed, what), key)
    }
}

impl Guid {
    fn text(&self, out: &mut [u8; 36]) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut j = 0;
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                out[j] = b'-';
                j += 1;
            }
            out[j] = HEX[usize::from(b >> 4)];
            out[j + 1] = HEX[usize::from(b & 0x0f)];
            j += 2;
        }
    }

    /// The bytes in .NET `Guid.ToByteArray()` order: the first three fields little-endian.
    pub(crate) fn to_bytes_le(self) -> [u8; 16] {
        let b = self.0;
        [b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]]
    }

    /// The sign-in `uniqueTokenIdentifier` (JWT `uti`) for this request id (formats.md §9.2).
    pub(crate) fn uti(self) -> Uti {
        Uti(self)
    }
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 36];
        self.text(&mut buf);
        f.write_str(std::str::from_utf8(&buf).unwrap_or_default())
    }
}

impl Serialize for Guid {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 36];
        self.text(&mut buf);
        s.serialize_str(std::str::from_utf8(&buf).unwrap_or_default())
    }
}

/// Base64url (no padding) of a request id's .NET byte order: 22 characters.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Uti(Guid);

impl Uti {
    fn encode(&self, out: &mut [u8; 24]) -> usize {
        URL_SAFE_NO_PAD.encode_slice(self.0.to_bytes_le(), out).unwrap_or_default()
    }
}

impl fmt::Display for Uti {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 24];
        let n = self.encode(&mut buf);
        f.write_str(std::str::from_utf8(&buf[..n]).unwrap_or_default())
    }
}

impl Serialize for Uti {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 24];
        let n = self.encode(&mut buf);
        s.serialize_str(std::str::from_utf8(&buf[..n]).unwrap_or_default())
    }
}

/// A 256-bit id written as 64 lowercase hex digits.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Hex64([u64; 4]);

impl fmt::Display for Hex64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for w in self.0 {
            write!(f, "{w:016x}")?;
        }
        Ok(())
    }
}

impl Serialize for Hex64 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An IPv4 address held as a number.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Ip(pub u32);

impl fmt::Display for Ip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.0.to_be_bytes();
        write!(f, "{a}.{b}.{c}.{d}")
    }
}

impl Serialize for Ip {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Guid {
        let hex: Vec<u8> = text.bytes().filter(|b| *b != b'-').collect();
        let mut g = [0u8; 16];
        for (i, pair) in hex.chunks(2).enumerate() {
            let s = std::str::from_utf8(pair).expect("test value");
            g[i] = u8::from_str_radix(s, 16).expect("test value");
        }
        Guid(g)
    }

    #[test]
    fn uti_matches_the_real_record_of_formats_9_2() {
        let id = parse("4d63c1c4-c95b-4d3c-8e0a-1271fd813e00");
        assert_eq!(id.uti().to_string(), "xMFjTVvJPE2OChJx_YE-AA");
        let id = parse("49f7d321-4642-41b6-a5b7-b74341544f00");
        assert_eq!(id.uti().to_string(), "IdP3SUJGtkGlt7dDQVRPAA");
    }

    #[test]
    fn guid_text_and_shape() {
        let g = Keys::new(7).guid(Domain::Request, 42);
        let s = g.to_string();
        assert_eq!(s.len(), 36);
        assert_eq!(&s[14..15], "4");
        assert!(s.ends_with("00"));
        assert_eq!(parse(&s), g);
        assert_eq!(serde_json::to_string(&g).expect("test value"), format!("\"{s}\""));
    }

    #[test]
    fn derived_guids_are_distinct_and_seed_dependent() {
        let k = Keys::new(1);
        let mut seen = std::collections::BTreeSet::new();
        for key in 0..20_000u64 {
            assert!(seen.insert(k.guid(Domain::Request, key)));
        }
        assert_ne!(k.guid(Domain::Request, 5), Keys::new(2).guid(Domain::Request, 5));
        assert_ne!(k.guid(Domain::Request, 5), k.guid(Domain::Correlation, 5));
        assert_eq!(k.hex64(9).to_string().len(), 64);
    }

    #[test]
    fn ip_text() {
        assert_eq!(Ip(0x4a7d_2a01).to_string(), "74.125.42.1");
    }
}
