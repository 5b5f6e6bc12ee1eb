//! Injection safety: user names and other text the client chooses cannot move the source.
//!
//! Every hostile line names the real peer in the 192.0.2.0/24 documentation range and an
//! injected one as `6.6.6.6`; the injected address must never be an event's `ip` or `source`.

use proptest::prelude::*;

use super::collect::collect_text;
use super::tests::read_path;

const INJECTED: &str = "6.6.6.6";

fn assert_clean(events: &[crate::event::Event]) {
    for e in events {
        assert_ne!(e.ip.as_deref(), Some(INJECTED), "{e:?}");
        assert!(!e.source.as_deref().unwrap_or("").contains(INJECTED), "{e:?}");
        assert!(e.ip.as_deref().is_none_or(|ip| ip.starts_with("192.0.2.")), "{e:?}");
    }
}

#[test]
fn hostile_fixture() {
    let (events, report) = read_path(&crate::testutil::fixture("linux/hostile.log"), "hostile.log", Some(2024));
    assert_eq!(report.unreadable, 0);
    assert_clean(&events);
    let got: Vec<(Option<&str>, Option<&str>)> =
        events.iter().map(|e| (e.user.as_ref().and_then(|u| u.name.as_deref()), e.ip.as_deref())).collect();
    assert_eq!(
        got,
        [
            (Some("admin from 6.6.6.6 port 22 ssh2"), Some("192.0.2.200")),
            (Some("x from 6.6.6.6 port 22"), Some("192.0.2.201")),
            (Some("admin from 6.6.6.6 port 22"), Some("192.0.2.202")),
            (Some("x rhost=6.6.6.6"), Some("192.0.2.203")),
            (Some("y rhost=6.6.6.6"), None),
            (
                Some("z\\012jun  5 10:00:05 box sshd[15]: accepted password for root from 6.6.6.6 port 22 ssh2"),
                Some("192.0.2.205")
            ),
            (Some("for invalid user w from 6.6.6.6"), Some("192.0.2.206")),
            (Some("v' from 6.6.6.6:22"), Some("192.0.2.207")),
            (Some("u] fail login: client \"6.6.6.6\""), Some("192.0.2.208")),
            (Some("t (login failed): x [6.6.6.6]) - user s"), Some("192.0.2.209")),
            (Some("x port 22 ssh2"), Some("192.0.2.210")),
        ]
    );
    // The escaped newline stays one failed attempt: no success is read out of a user name.
    assert!(events.iter().all(|e| e.outcome == crate::event::Outcome::Failure));
}

#[test]
fn a_real_newline_in_a_journal_field_stays_in_the_name() {
    let (events, _) = read_path(&crate::testutil::fixture("linux/journal.export"), "journal.export", None);
    assert_eq!(events[1].user.as_ref().and_then(|u| u.name.as_deref()), Some("ad\nmin"));
    assert_eq!(events[1].ip.as_deref(), Some("198.51.100.98"));
}

/// Text a client could send as a user name: spaces, fake suffixes, PAM fields, quotes, brackets.
fn hostile_name() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just(" from 6.6.6.6 port 22 ssh2".to_string()),
        Just(" from 6.6.6.6".to_string()),
        Just(" port 22".to_string()),
        Just(" ssh2: RSA x".to_string()),
        Just("invalid user ".to_string()),
        Just(" for invalid user ".to_string()),
        Just(" rhost=6.6.6.6".to_string()),
        Just("  user=".to_string()),
        Just("'".to_string()),
        Just("\"".to_string()),
        Just("]".to_string()),
        Just(" (Login failed): ".to_string()),
        Just("\\012".to_string()),
        "[a-z0-9._@-]{1,6}",
    ];
    proptest::collection::vec(piece, 1..6).prop_map(|p| format!("a{}", p.concat()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn injected_addresses_are_never_the_source(name in hostile_name()) {
        let lines = [
            format!("Jan  1 00:00:00 h sshd[1]: Failed password for {name} from 192.0.2.1 port 4000 ssh2"),
            format!("Jan  1 00:00:01 h sshd[2]: Failed password for invalid user {name} from 192.0.2.2 port 4000 ssh2"),
            format!("Jan  1 00:00:02 h sshd[3]: Invalid user {name} from 192.0.2.3 port 4000"),
            format!("Jan  1 00:00:03 h sshd[4]: Accepted publickey for {name} from 192.0.2.4 port 4000 ssh2: RSA SHA256:k"),
            format!("Jan  1 00:00:04 h sshd[5]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.5  user={name}"),
            format!("Jan  1 00:00:05 h sshd[6]: pam_sss(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.6 user={name}"),
            format!("Jan  1 00:00:06 h dropbear[7]: Bad password attempt for '{name}' from 192.0.2.7:22"),
            format!("Jan  1 00:00:07 h vsftpd[8]: [{name}] FAIL LOGIN: Client \"192.0.2.8\""),
            format!("Jan  1 00:00:08 h proftpd[9]: ftp (c[192.0.2.9]) - USER {name} (Login failed): Incorrect password"),
            format!("Jan  1 00:00:09 h login[10]: FAILED LOGIN 1 FROM 192.0.2.10 FOR {name}, Authentication failure"),
            format!("Jan  1 00:00:10 h sshd[11]: error: PAM: Authentication failure for {name} from 192.0.2.11"),
        ];
        for line in &lines {
            let (events, _) = collect_text(line, Some(2024));
            prop_assert!(events.len() <= 1, "{line}");
            for e in &events {
                prop_assert_ne!(e.ip.as_deref(), Some(INJECTED), "{}", line);
                prop_assert!(!e.source.as_deref().unwrap_or("").contains(INJECTED), "{}", line);
            }
        }
    }
}
