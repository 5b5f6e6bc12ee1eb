//! Offline checksum checks for secrets that carry one, so a scanner can tell a real-looking key
//! from random text of the same shape without ever sending it anywhere.
//!
//! * GitHub and npm tokens (`ghp_…`, `npm_…`): a CRC32 of the random part, base62-encoded.
//! * Azure "identifiable" keys (Microsoft security-utilities, formats.md §9.6): a fixed 4-character
//!   signature, then a Marvin32 checksum of the decoded key, seeded per key type.
//!
//! A valid checksum says the text was minted by the issuer's generator (or someone who copied
//! it), not that the key is live.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};

/// Base62 alphabet of GitHub's token checksum.
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Length of the random part of a new-format GitHub or npm token.
const RANDOM_LEN: usize = 30;
/// Length of the base62 checksum that follows it.
const CHECKSUM_LEN: usize = 6;

/// CRC-32 (IEEE 802.3, reflected polynomial `0xEDB88320`) lookup table, built at compile time.
const CRC32_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
};

/// CRC-32 as computed by zlib's `crc32` (and Go's `hash/crc32.ChecksumIEEE`).
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc = CRC32_TABLE[usize::from((crc ^ u32::from(b)) as u8)] ^ (crc >> 8);
    }
    !crc
}

/// True iff `token` is `<prefix>_<30 base62 chars><6-char checksum>` and the checksum is the
/// CRC-32 of the 30-character random part, base62-encoded (`0-9A-Za-z`) and left-padded with
/// `0` to six characters. This is the format of GitHub's `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_`
/// tokens and of npm's `npm_` tokens.
///
/// The prefix is the text before the last `_` and must be non-empty ASCII alphanumerics or
/// `_`. Fine-grained `github_pat_…` tokens have a different layout and are never valid here.
pub fn github_crc32_ok(token: &str) -> bool {
    let Some((prefix, body)) = token.rsplit_once('_') else { return false };
    if prefix.is_empty()
        || !prefix.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
        || body.len() != RANDOM_LEN + CHECKSUM_LEN
        || !body.bytes().all(|c| c.is_ascii_alphanumeric())
    {
        return false;
    }
    let (random, checksum) = body.as_bytes().split_at(RANDOM_LEN);
    base62_padded(crc32(random)) == checksum
}

/// `value` in base62, left-padded with `'0'` to six digits (62⁶ > 2³², so it always fits).
fn base62_padded(mut value: u32) -> [u8; CHECKSUM_LEN] {
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(value % 62) as usize];
        value /= 62;
    }
    out
}

/// One mixing round of Marvin32.
fn marvin_block(p0: &mut u32, p1: &mut u32) {
    *p1 ^= *p0;
    *p0 = p0.rotate_left(20);
    *p0 = p0.wrapping_add(*p1);
    *p1 = p1.rotate_left(9);
    *p1 ^= *p0;
    *p0 = p0.rotate_left(27);
    *p0 = p0.wrapping_add(*p1);
    *p1 = p1.rotate_left(19);
}

/// The 64-bit Marvin hash (the .NET string-hashing function, as in SymCrypt) of `data` under
/// `seed`, returned as `(p1 << 32) | p0`.
///
/// Each little-endian 32-bit word is added into `p0` and mixed; the 0–3 leftover bytes are
/// closed with a `0x80` byte into one last word, followed by two more rounds.
pub(crate) fn marvin64(data: &[u8], seed: u64) -> u64 {
    // The seed's low half initialises p0 and its high half p1.
    let mut p0 = seed as u32;
    let mut p1 = (seed >> 32) as u32;
    let mut words = data.chunks_exact(4);
    for word in &mut words {
        let word = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
        p0 = p0.wrapping_add(word);
        marvin_block(&mut p0, &mut p1);
    }
    let mut last = 0x80u32;
    for &b in words.remainder().iter().rev() {
        last = (last << 8) | u32::from(b);
    }
    p0 = p0.wrapping_add(last);
    marvin_block(&mut p0, &mut p1);
    marvin_block(&mut p0, &mut p1);
    (u64::from(p1) << 32) | u64::from(p0)
}

/// Marvin32: the 64-bit Marvin hash folded to 32 bits (`p0 ^ p1`), as .NET's
/// `Marvin.ComputeHash32` and the identifiable-key checksums use it.
pub(crate) fn marvin32(data: &[u8], seed: u64) -> u32 {
    let h = marvin64(data, seed);
    (h as u32) ^ ((h >> 32) as u32)
}

/// The base64 alphabet a key family is encoded with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Alphabet {
    /// `A-Za-z0-9+/`.
    Standard,
    /// `A-Za-z0-9-_`.
    UrlSafe,
    /// `A-Za-z0-9` only (Azure Search keys are generated URL-safe but kept to base62).
    Base62,
}

/// One family of Azure identifiable keys (Microsoft security-utilities `IdentifiableMetadata`).
struct Family {
    /// The 4-character signature just before the 6-character encoded checksum.
    signature: &'static str,
    /// Key length in characters without `=` padding.
    unpadded_len: usize,
    /// How many `=` the padded form has (the unpadded form is accepted too).
    padding: usize,
    /// The alphabet the key is encoded with.
    alphabet: Alphabet,
    /// Marvin seeds, one per key kind in the family (e.g. Functions' function, master and system
    /// keys). Each is an 8-character ASCII name read big-endian, e.g. `Default0`.
    seeds: &'static [u64],
}

/// The seed values from security-utilities `IdentifiableMetadata.cs` and the per-rule
/// `ChecksumSeeds` of `PreciselyClassifiedSecurityKeys/SEC101_*.cs` (HEAD 2025-11-12).
const FAMILIES: &[Family] = &[
    // SEC101/152 Storage account key, "Default0".
    Family {
        signature: "+ASt",
        unpadded_len: 86,
        padding: 2,
        alphabet: Alphabet::Standard,
        seeds: &[0x4465_6661_756c_7430],
    },
    // SEC101/160 Cosmos DB: SysAll00, Resour00, MastRO00, SystRO00, Encryp00, MastRW00, SystRW00.
    Family {
        signature: "ACDb",
        unpadded_len: 86,
        padding: 2,
        alphabet: Alphabet::Standard,
        seeds: &[
            0x5379_7341_6c6c_3030,
            0x5265_736f_7572_3030,
            0x4d61_7374_524f_3030,
            0x5379_7374_524f_3030,
            0x456e_6372_7970_3030,
            0x4d61_7374_5257_3030,
            0x5379_7374_5257_3030,
        ],
    },
    // SEC101/163 Batch, "AbAcct00".
    Family {
        signature: "+ABa",
        unpadded_len: 86,
        padding: 2,
        alphabet: Alphabet::Standard,
        seeds: &[0x4162_4163_6374_3030],
    },
    // SEC101/170 Machine Learning web service (classic), "Classic0".
    Family {
        signature: "+AMC",
        unpadded_len: 86,
        padding: 2,
        alphabet: Alphabet::Standard,
        seeds: &[0x436c_6173_7369_6330],
    },
    // SEC101/181–184 API Management: Tenant00, IoTHub00 (sic, subscription keys), Gatewy00, GitKey00.
    Family {
        signature: "APIM",
        unpadded_len: 86,
        padding: 2,
        alphabet: Alphabet::Standard,
        seeds: &[0x5465_6e61_6e74_3030, 0x496f_5448_7562_3030, 0x4761_7465_7779_3030, 0x4769_744b_6579_3030],
    },
    // SEC101/158 Functions: Functi00, Master00, System00.
    Family {
        signature: "AzFu",
        unpadded_len: 54,
        padding: 2,
        alphabet: Alphabet::UrlSafe,
        seeds: &[0x4675_6e63_7469_3030, 0x4d61_7374_6572_3030, 0x5379_7374_656d_3030],
    },
    // SEC101/171–173 Service Bus, Event Hubs, Relay: Send0000, Listen00, Manage00.
    Family {
        signature: "+ASb",
        unpadded_len: 43,
        padding: 1,
        alphabet: Alphabet::Standard,
        seeds: &[0x5365_6e64_3030_3030, 0x4c69_7374_656e_3030, 0x4d61_6e61_6765_3030],
    },
    Family {
        signature: "+AEh",
        unpadded_len: 43,
        padding: 1,
        alphabet: Alphabet::Standard,
        seeds: &[0x5365_6e64_3030_3030, 0x4c69_7374_656e_3030, 0x4d61_6e61_6765_3030],
    },
    Family {
        signature: "+ARm",
        unpadded_len: 43,
        padding: 1,
        alphabet: Alphabet::Standard,
        seeds: &[0x5365_6e64_3030_3030, 0x4c69_7374_656e_3030, 0x4d61_6e61_6765_3030],
    },
    // SEC101/178–180 IoT Hub, Device Provisioning, Device: IoTHub00, DpsKey00, Device00.
    Family {
        signature: "AIoT",
        unpadded_len: 43,
        padding: 1,
        alphabet: Alphabet::Standard,
        seeds: &[0x496f_5448_7562_3030, 0x4470_734b_6579_3030, 0x4465_7669_6365_3030],
    },
    // SEC101/154 Cache for Redis, "Access00".
    Family {
        signature: "AzCa",
        unpadded_len: 43,
        padding: 1,
        alphabet: Alphabet::Standard,
        seeds: &[0x4163_6365_7373_3030],
    },
    // SEC101/199 Event Grid (`AZEG`, seed "SendRecv") is left out on purpose: the only public
    // example key checks out under "Default0" instead, so nothing confirms the rule.

    // SEC101/176 Container Registry, "ACRDflt0".
    Family {
        signature: "+ACR",
        unpadded_len: 52,
        padding: 0,
        alphabet: Alphabet::Standard,
        seeds: &[0x4143_5244_666c_7430],
    },
    // SEC101/166–167 AI Search: Query000, PAdmin00.
    Family {
        signature: "AzSe",
        unpadded_len: 52,
        padding: 0,
        alphabet: Alphabet::Base62,
        seeds: &[0x5175_6572_7930_3030, 0x5041_646d_696e_3030],
    },
];

/// Checks the Marvin32 checksum of an Azure identifiable key (Microsoft security-utilities
/// format, formats.md §9.6): Storage, Cosmos DB, Batch, ML classic, API Management, Functions,
/// Service Bus, Event Hubs, Relay, IoT, Cache for Redis, Container Registry and AI Search keys.
///
/// The family is picked by the 4-character signature that sits just before the 6-character
/// encoded checksum (ignoring `=` padding). Returns `None` when that signature is not one of
/// the families above. Two kinds are deliberately unsupported and so give `None`: the
/// 84/88-character `JQQJ` common annotated keys (a different checksum encoding) and Event Grid
/// `AZEG` keys (no public example confirms their seed).
///
/// Otherwise returns `Some(true)` iff the key has the family's length, padding and alphabet, is
/// canonical base64, and its last four decoded bytes are the little-endian Marvin32 of all the
/// bytes before them under one of the family's seeds.
pub fn azure_identifiable_ok(key: &str) -> Option<bool> {
    let unpadded = key.trim_end_matches('=');
    let sig_start = unpadded.len().checked_sub(10)?;
    let signature = unpadded.get(sig_start..sig_start + 4)?;
    let family = FAMILIES.iter().find(|f| f.signature == signature)?;
    Some(family_ok(family, key, unpadded))
}

/// The checks of [`azure_identifiable_ok`] once the family is known.
fn family_ok(family: &Family, key: &str, unpadded: &str) -> bool {
    let padding = key.len() - unpadded.len();
    if unpadded.len() != family.unpadded_len || (padding != 0 && padding != family.padding) {
        return false;
    }
    let alphabet_ok = |c: u8| {
        c.is_ascii_alphanumeric()
            || match family.alphabet {
                Alphabet::Standard => c == b'+' || c == b'/',
                Alphabet::UrlSafe => c == b'-' || c == b'_',
                Alphabet::Base62 => false,
            }
    };
    if !unpadded.bytes().all(alphabet_ok) {
        return false;
    }
    // Strict decoding: real keys are the canonical encoding of their bytes, so a final
    // character whose unused low bits are set is not one (and must not validate).
    let decoded = match family.alphabet {
        Alphabet::Standard => STANDARD_NO_PAD.decode(unpadded),
        Alphabet::UrlSafe | Alphabet::Base62 => URL_SAFE_NO_PAD.decode(unpadded),
    };
    let Ok(bytes) = decoded else { return false };
    let Some(split) = bytes.len().checked_sub(4) else { return false };
    let (body, stored) = bytes.split_at(split);
    let stored = u32::from_le_bytes([stored[0], stored[1], stored[2], stored[3]]);
    family.seeds.iter().any(|&seed| marvin32(body, seed) == stored)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Replaces the character at `i` by a different one from the same alphabet.
    fn mutate(s: &str, i: usize, alphabet: &[u8]) -> String {
        let mut b = s.as_bytes().to_vec();
        let pos = alphabet.iter().position(|&c| c == b[i]).unwrap_or(0);
        b[i] = alphabet[(pos + 1) % alphabet.len()];
        String::from_utf8(b).expect("test value")
    }

    #[test]
    fn crc32_matches_zlib() {
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b"The quick brown fox jumps over the lazy dog"), 0x414F_A339);
    }

    #[test]
    fn github_and_npm_vectors() {
        for token in ["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", "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"] {
            assert!(github_crc32_ok(token), "{token}");
            let start = token.find('_').expect("test value") + 1;
            for i in start..token.len() {
                let changed = mutate(token, i, BASE62);
                assert!(!github_crc32_ok(&changed), "{changed}");
            }
            assert!(!github_crc32_ok(&token[..token.len() - 1]));
            assert!(!github_crc32_ok(&format!("{token}0")));
            assert!(!github_crc32_ok(&token[start..]));
        }
        assert!(!github_crc32_ok("_wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx"));
        assert!(!github_crc32_ok("gh-p_wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx"));
        assert!(!github_crc32_ok(""));
    }

    #[test]
    fn base62_padding() {
        assert_eq!(&base62_padded(0), b"000000");
        assert_eq!(&base62_padded(61), b"00000z");
        assert_eq!(&base62_padded(62), b"000010");
        assert_eq!(&base62_padded(u32::MAX), b"4gfFC3");
    }

    /// SymCrypt's Marvin32 known-answer tests, as quoted in security-utilities' `marvin_tests.rs`.
    #[test]
    fn marvin_symcrypt_vectors() {
        assert_eq!(marvin64(b"abc", 0xd53c_d9ce_cd08_93b7), 0x22c7_4339_4927_69bf);
        assert_eq!(marvin64(b"abcdefghijklmnopqrstuvwxyz", 0x0ddd_deee_efff_f000), 0xa128_eb7e_7260_aca2);
    }

    /// The short-input cases security-utilities cross-checks against skeeto/marvin32.
    #[test]
    fn marvin_short_inputs() {
        let s0 = 0x004f_b61a_001b_dbcc;
        let s1 = 0x804f_b61a_001b_dbcc;
        let s2 = 0x804f_b61a_801b_dbcc;
        let cases: &[(u64, u64, &[u8])] = &[
            (s0, 0x30ed_35c1_00cd_3c7d, &[]),
            (s0, 0x48e7_3fc7_7d75_ddc1, &[175]),
            (s0, 0xb5f6_e1fc_485d_bff8, &[231, 15]),
            (s0, 0xf0b0_7c78_9b8c_f7e8, &[55, 244, 149]),
            (s0, 0x7008_f2e8_7e9c_f556, &[134, 66, 220, 89]),
            (s0, 0xe6c0_8c6d_a2af_a997, &[21, 63, 183, 152, 38]),
            (s0, 0x6f04_bf1a_5ea2_4060, &[9, 50, 230, 36, 108, 71]),
            (s0, 0xe118_47e4_f067_8c41, &[171, 66, 126, 168, 209, 15, 199]),
            (s1, 0x10a9_d5d3_996f_d65d, &[]),
            (s1, 0x6820_1f91_960e_bf91, &[175]),
            (s1, 0x64b5_8163_1f6a_b378, &[231, 15]),
            (s1, 0xe1f2_dfa6_e513_1408, &[55, 244, 149]),
            (s1, 0x3628_9d96_54fb_49f6, &[134, 66, 220, 89]),
            (s1, 0x0a06_114b_1346_4dbd, &[21, 63, 183, 152, 38]),
            (s1, 0xd6dd_5e40_ad1b_c2ed, &[9, 50, 230, 36, 108, 71]),
            (s1, 0xe203_987d_ba25_2fb3, &[171, 66, 126, 168, 209, 15, 199]),
            (s2, 0xa37f_b0da_2eca_e06c, &[0]),
            (s2, 0xfece_f370_701a_e054, &[255]),
            (s2, 0xa638_e757_0004_8880, &[0, 255]),
            (s2, 0xbdfb_46d9_6973_0e2a, &[255, 0]),
            (s2, 0x9d85_77c0_fe0d_30bf, &[255, 0, 255]),
            (s2, 0x4f9f_bdde_1509_9497, &[0, 255, 0]),
            (s2, 0x24ea_a279_d9a5_29ca, &[0, 255, 0, 255]),
            (s2, 0xd3be_c772_6b05_7943, &[255, 0, 255, 0]),
            (s2, 0x920b_62bb_ca3e_0b72, &[255, 0, 255, 0, 255]),
            (s2, 0x1d7d_df9d_fdf3_c1bf, &[0, 255, 0, 255, 0]),
            (s2, 0xec21_276a_17e8_21a5, &[0, 255, 0, 255, 0, 255]),
            (s2, 0x6911_a53c_a8c1_2254, &[255, 0, 255, 0, 255, 0]),
            (s2, 0xfdfd_187b_1d3c_e784, &[255, 0, 255, 0, 255, 0, 255]),
            (s2, 0x7187_6f2e_fb1b_0ee8, &[0, 255, 0, 255, 0, 255, 0]),
        ];
        for &(seed, expected, data) in cases {
            assert_eq!(marvin64(data, seed), expected, "{data:?}");
            assert_eq!(marvin32(data, seed), (expected as u32) ^ ((expected >> 32) as u32));
        }
    }

    #[test]
    fn seeds_spell_their_names() {
        // Each seed is an 8-character ASCII name read big-endian (`ComputeHisV1ChecksumSeed`).
        let name = |seed: u64| String::from_utf8(seed.to_be_bytes().to_vec()).expect("test value");
        assert_eq!(name(FAMILIES[0].seeds[0]), "Default0");
        for family in FAMILIES {
            for &seed in family.seeds {
                assert!(name(seed).bytes().all(|c| c.is_ascii_alphanumeric()), "{}", family.signature);
            }
        }
    }

    const STANDARD_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const URL_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    /// Known-valid keys from the public microsoft/security-utilities test data (HEAD
    /// 2025-11-12: `identifiable_scans.rs` `his_v1_scan_bytes`, `SecretMaskerTests.cs`
    /// `SecretMasker_PlaceholderTestSecretsAreMasked`, and the `doubleAzCa` string of
    /// `IdentifiableScanTests.cs`). The comment names the seed each one checks out under.
    const PUBLIC_KEYS: &[(&str, &str)] = &[
        ("+ARm Relay, Send0000", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa+ARmD7h+qo="),
        ("+AEh Event Hubs, Send0000", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa+AEhG2s/8w="),
        ("+ASb Service Bus, Send0000", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa+ASbHpHeAI="),
        ("AIoT IoT Hub, IoTHub00", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaAIoTOumzco="),
        ("AzCa Cache for Redis, Access00", "8Ht8juqPlWFke0o5KOxQ+oprdPBxZEanQAzCaAzCakQ="),
        ("AzSe AI Search query key, Query000", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaAzSeCjhzCu"),
        ("+ACR Container Registry, ACRDflt0", "dddddddddddddddddddddddddddddddddddddddddd+ACRCUDxQE"),
        ("+ACR Container Registry, ACRDflt0", "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee+ACRCTB7t/"),
        ("AzFu Functions system key, System00", "ddddddddddddddddddddddddddddddddddddddddddddAzFu182vhA=="),
        (
            "+ASt Storage, Default0",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa+ASt5mnCaw==",
        ),
        (
            "ACDb Cosmos DB, Encryp00",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaACDbOpqrYA==",
        ),
        (
            "+ABa Batch, AbAcct00",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa+ABa13FZVQ==",
        ),
        (
            "+AMC ML classic, Classic0",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa+AMCFNqWyA==",
        ),
        (
            "APIM direct management, Tenant00",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaAPIMHbKhsQ==",
        ),
    ];

    #[test]
    fn public_azure_keys_validate() {
        for (what, key) in PUBLIC_KEYS {
            assert_eq!(azure_identifiable_ok(key), Some(true), "{what}");
            // The unpadded form is accepted too.
            assert_eq!(azure_identifiable_ok(key.trim_end_matches('=')), Some(true), "{what}");
        }
    }

    #[test]
    fn any_changed_character_fails() {
        for (what, key) in PUBLIC_KEYS {
            let alphabet = if key.contains("AzSe") {
                BASE62
            } else if key.contains("AzFu") {
                URL_ALPHABET
            } else {
                STANDARD_ALPHABET
            };
            let unpadded = key.trim_end_matches('=').len();
            for i in 0..unpadded {
                let changed = mutate(key, i, alphabet);
                let verdict = azure_identifiable_ok(&changed);
                if (unpadded - 10..unpadded - 6).contains(&i) {
                    // A changed signature is no longer this family (or any).
                    assert_ne!(verdict, Some(true), "{what}: {changed}");
                } else {
                    assert_eq!(verdict, Some(false), "{what}: {changed}");
                }
            }
        }
    }

    #[test]
    fn wrong_shapes_fail() {
        let storage = PUBLIC_KEYS[9].1;
        assert_eq!(azure_identifiable_ok(&format!("{storage}=")), Some(false));
        assert_eq!(azure_identifiable_ok(&format!("{}=", &storage[..storage.len() - 2])), Some(false));
        assert_eq!(azure_identifiable_ok(&format!("a{storage}")), Some(false));
        assert_eq!(azure_identifiable_ok(&storage[1..]), Some(false));
        // Standard-alphabet characters in a URL-safe family, and the reverse.
        let function = PUBLIC_KEYS[8].1;
        assert_eq!(azure_identifiable_ok(&function.replacen('d', "+", 1)), Some(false));
        assert_eq!(azure_identifiable_ok(&storage.replacen('a', "-", 1)), Some(false));
        // The Search family is base62 only.
        let search = PUBLIC_KEYS[5].1;
        assert_eq!(azure_identifiable_ok(&search.replacen('a', "-", 1)), Some(false));
    }

    #[test]
    fn unknown_signatures_are_none() {
        // The scan tests' Event Grid key: it checks out under "Default0", not the rule's seed.
        assert_eq!(azure_identifiable_ok("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbAZEGLiQbng="), None);
        // A common annotated (JQQJ) key from the same test file.
        assert_eq!(
            azure_identifiable_ok(
                "6666666666666666666666666666666666666666666666666666JQQJ99AEAAAAAAAAAAAAAAAAAZFUrS9sdA=="
            ),
            None
        );
        assert_eq!(azure_identifiable_ok("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"), None);
        assert_eq!(azure_identifiable_ok("short"), None);
        assert_eq!(azure_identifiable_ok(""), None);
        assert_eq!(azure_identifiable_ok("=========="), None);
        assert_eq!(azure_identifiable_ok("ééééééééééé"), None);
    }

    proptest! {
        #[test]
        fn never_panics(s in ".*") {
            let _ = github_crc32_ok(&s);
            let _ = azure_identifiable_ok(&s);
        }

        #[test]
        fn never_panics_on_key_shaped_input(
            head in "[A-Za-z0-9+/_-]{0,90}",
            sig in "(\\+ASt|ACDb|AzFu|\\+ASb|AzSe|\\+ACR|AIoT)",
            tail in "[A-Za-z0-9+/_=-]{0,9}",
        ) {
            let _ = azure_identifiable_ok(&format!("{head}{sig}{tail}"));
        }

        #[test]
        fn marvin_is_total(data in proptest::collection::vec(any::<u8>(), 0..64), seed in any::<u64>()) {
            let _ = marvin32(&data, seed);
        }
    }
}
