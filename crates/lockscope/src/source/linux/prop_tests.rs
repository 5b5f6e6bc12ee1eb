//! Hostile input never panics: arbitrary lines through framing and the message parsers,
//! arbitrary bytes through every Linux reader.

use proptest::prelude::*;

use super::tests::read_bytes;
use super::{messages, syslog, tally};

/// Pieces of syslog lines to build hostile inputs from.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Dec 31 23:59:59 ".to_string()),
        Just("Feb 29 00:00:00 ".to_string()),
        Just("Jan  1 00:00:00.123456 ".to_string()),
        Just("2026-05-17T18:00:01.000000+00:00 ".to_string()),
        Just("<86>1 - h sshd - - [x@1 a=\"]\\\"\"] ".to_string()),
        Just("<13>".to_string()),
        Just("host ".to_string()),
        Just("sshd[123]: ".to_string()),
        Just("sshd(pam_unix)[9]: ".to_string()),
        Just("gdm-password][7]: ".to_string()),
        Just("pam_unix(sshd:auth): ".to_string()),
        Just("pam_sss(sshd:auth): received for user ".to_string()),
        Just("authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=".to_string()),
        Just("  user=".to_string()),
        Just("Failed password for ".to_string()),
        Just("invalid user ".to_string()),
        Just(" from ".to_string()),
        Just(" port 22 ssh2".to_string()),
        Just("message repeated 3 times: [ ".to_string()),
        Just("PAM 2 more authentication failures; ".to_string()),
        Just("session opened for user x by (uid=0)".to_string()),
        Just("user a (1) tally 4, deny 3".to_string()),
        Just("Consecutive login failures for user ".to_string()),
        Just(" : 3 incorrect password attempts ; ".to_string()),
        Just("FAILED SU (to ".to_string()),
        Just("FAILED LOGIN ".to_string()),
        Just(" FOR ".to_string()),
        Just("Client \"".to_string()),
        Just(") - USER ".to_string()),
        Just("AADSTS".to_string()),
        "[ -~]{0,12}",
        "\\PC{0,6}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn lines_never_panic(parts in proptest::collection::vec(piece(), 0..12), prog in "[a-z_()\\-]{0,12}") {
        let line = parts.concat();
        let f = syslog::frame(&line);
        let _ = messages::parse(f.prog, f.msg);
        let _ = messages::parse(Some(&prog), &line);
        let _ = messages::parse(None, &line);
        let text = format!("Jan  1 00:00:00 h sshd[1]: x\n{line}\n{line}\n");
        let _ = read_bytes(text.as_bytes(), "prop.log", None);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = syslog::frame(&text);
        let _ = messages::parse(Some("sshd"), &text);
        let _ = read_bytes(text.as_bytes(), "any.log", Some(2024));
    }

    #[test]
    fn arbitrary_bytes_through_the_tally_reader(bytes in proptest::collection::vec(any::<u8>(), 0..640), records in 0usize..4) {
        let _ = tally::detect(&bytes);
        let _ = read_bytes(&bytes, "faillock/x", None);
        // Valid-looking records followed by garbage, so the reader itself (not detection) sees it.
        let mut data = Vec::new();
        for i in 0..records {
            let mut r = vec![0u8; 64];
            r[..4].copy_from_slice(b"tty1");
            r[54] = 1;
            r[56..64].copy_from_slice(&(1_700_000_000u64 + i as u64).to_le_bytes());
            data.extend(r);
        }
        data.extend(&bytes);
        let _ = read_bytes(&data, "faillock/y", None);
        let _ = read_bytes(&data, "tallylog", None);
    }

    #[test]
    fn arbitrary_journal_exports_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut data = b"__CURSOR=s=1\n__REALTIME_TIMESTAMP=1700000000000000\nMESSAGE\n".to_vec();
        data.extend(&bytes);
        let _ = read_bytes(&data, "x.export", None);
        let mut json = b"{\"__REALTIME_TIMESTAMP\":\"1\",\"MESSAGE\":".to_vec();
        json.extend(&bytes);
        let _ = read_bytes(&json, "x.json", None);
    }
}
