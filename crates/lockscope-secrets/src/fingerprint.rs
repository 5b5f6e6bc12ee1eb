//! Fingerprints name a secret without revealing it: the same secret always gets the same
//! fingerprint, so findings, placeholders in redacted logs and allowlists can refer to it.
//!
//! A plain hash of a short password can be reversed with a dictionary, so the hash is keyed:
//! HMAC-SHA-256 under `LOCKSCOPE_FINGERPRINT_KEY` when it is set (keep it like any other secret),
//! else under a fixed public key, which still gives stable, comparable fingerprints.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The key used when no site key is configured.
const DEFAULT_KEY: &[u8] = b"lockscope-fingerprint-v1";

/// Hex digits kept: 64 bits tell secrets apart in any one investigation.
const HEX_LEN: usize = 16;

/// Computes fingerprints under one key.
#[derive(Clone)]
pub struct Fingerprinter {
    key: Vec<u8>,
}

impl std::fmt::Debug for Fingerprinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fingerprinter { key: <hidden> }")
    }
}

impl Default for Fingerprinter {
    fn default() -> Self {
        Self { key: DEFAULT_KEY.to_vec() }
    }
}

impl Fingerprinter {
    /// A fingerprinter under a site key.
    pub fn with_key(key: &[u8]) -> Self {
        Self { key: key.to_vec() }
    }

    /// Reads the key from `LOCKSCOPE_FINGERPRINT_KEY`, falling back to the default.
    pub fn from_env() -> Self {
        match std::env::var_os("LOCKSCOPE_FINGERPRINT_KEY") {
            Some(k) if !k.is_empty() => Self::with_key(k.as_encoded_bytes()),
            _ => Self::default(),
        }
    }

    /// The fingerprint of a secret: 16 lowercase hex digits.
    pub fn of(&self, secret: &[u8]) -> String {
        // HMAC accepts keys of any length, so this cannot fail; an empty fingerprint would
        // only ever come from a broken hmac crate.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else { return String::new() };
        mac.update(secret);
        let digest = mac.finalize().into_bytes();
        let mut hex = String::with_capacity(HEX_LEN);
        for b in digest.iter().take(HEX_LEN / 2) {
            hex.push(char::from(HEX[usize::from(b >> 4)]));
            hex.push(char::from(HEX[usize::from(b & 15)]));
        }
        hex
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::Fingerprinter;

    #[test]
    fn stable_keyed_and_short() {
        let f = Fingerprinter::default();
        assert_eq!(f.of(b"hunter2"), f.of(b"hunter2"));
        assert_ne!(f.of(b"hunter2"), f.of(b"hunter3"));
        assert_ne!(f.of(b"hunter2"), Fingerprinter::with_key(b"site").of(b"hunter2"));
        assert_eq!(f.of(b"x").len(), 16);
        assert!(!format!("{f:?}").contains("lockscope-fingerprint"));
    }
}
