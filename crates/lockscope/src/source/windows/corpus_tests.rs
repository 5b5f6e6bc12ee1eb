//! Every Windows file of the shared corpus, read end to end, against the facts measured in
//! `corpus/MANIFEST.md`. Each test prints SKIPPED and passes when the corpus is absent.

use std::collections::{BTreeMap, BTreeSet};

use super::tests::read_path;
use crate::event::{Event, Failure, Kind, Outcome, Position};
use crate::source::FileReport;

/// Reads a corpus file, or `None` (with a SKIPPED note) when it is absent.
fn corpus(rel: &str) -> Option<(Vec<Event>, FileReport)> {
    let path = crate::testutil::corpus(rel)?;
    let (events, report) = read_path(&path, rel);
    assert_eq!(report.records, report.events + report.ignored + report.unreadable, "{rel}: {report:?}");
    Some((events, report))
}

/// How many events have each value of `key`.
fn count<K: Ord>(events: &[Event], key: impl Fn(&Event) -> K) -> BTreeMap<K, usize> {
    let mut m = BTreeMap::new();
    for e in events {
        *m.entry(key(e)).or_default() += 1;
    }
    m
}

/// The bare sAMAccountName of the event's user, as a `&str` for comparisons.
fn sam(e: &Event) -> String {
    let name = e.user.as_ref().and_then(|u| u.name.as_deref()).unwrap_or("");
    name.rsplit('\\').next().unwrap_or(name).to_string()
}

fn ids(events: &[Event]) -> BTreeMap<u32, usize> {
    count(events, |e| e.detail.event_id.unwrap_or(0))
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

#[test]
fn smb_password_guessing() {
    let Some((ev, r)) = corpus("windows/deepbluecli/smb-password-guessing-security.evtx") else { return };
    assert_eq!((r.records, r.events, r.unreadable), (3561, 3561, 0));
    assert_eq!(ids(&ev), BTreeMap::from([(4625, 3561)]));
    assert_eq!(count(&ev, sam), BTreeMap::from([("administrator".into(), 3560), ("jcdfcztc".into(), 1)]));
    assert_eq!(count(&ev, |e| e.ip.clone()), BTreeMap::from([(s("192.168.198.149"), 3561)]));
    assert_eq!(count(&ev, |e| e.code.clone()), BTreeMap::from([(s("0xc000006d"), 3559), (s("0xc000006e"), 2)]));
    let subs = count(&ev, |e| e.detail.sub_status.clone());
    assert_eq!(subs, BTreeMap::from([(s("0xc0000064"), 1), (s("0xc000006a"), 3558), (s("0xc0000072"), 2)]));
    let failures = count(&ev, |e| e.failure);
    let want = [(Some(Failure::BadPassword), 3558), (Some(Failure::UnknownUser), 1), (Some(Failure::Disabled), 2)];
    assert_eq!(failures, BTreeMap::from(want));
    assert!(ev.iter().all(|e| e.detail.logon_type == Some(3) && e.host.as_deref() == Some("DESKTOP-M5SN04R")));
    assert_eq!(ev.first().map(|e| e.time.to_string()).as_deref(), Some("2016-09-19T16:50:06.4778789Z"));
    assert_eq!(ev.last().map(|e| e.time.to_string()).as_deref(), Some("2016-09-19T16:52:49.3996746Z"));
}

#[test]
fn password_spray_from_the_attacking_workstation() {
    let Some((ev, r)) = corpus("windows/deepbluecli/password-spray.evtx") else { return };
    assert_eq!((r.records, r.events, r.ignored), (295, 294, 1), "the 1102 is ignored");
    assert!(ev.iter().all(|e| e.kind == Kind::ExplicitCredential && e.outcome == Outcome::Info));
    let users = count(&ev, sam);
    assert_eq!(users.len(), 41);
    assert_eq!(users["smisenar"], 14);
    assert!(users.iter().all(|(u, n)| *n == 7 || u == "smisenar"));
    assert!(
        ev.iter().all(|e| e.user.as_ref().and_then(|u| u.name.as_deref()).is_some_and(|n| n.starts_with("domain\\")))
    );
    assert_eq!(
        count(&ev, |e| e.actor.as_ref().and_then(|a| a.name.clone())),
        BTreeMap::from([(s("desktop-jr78rlp\\jwrig"), 294)])
    );
    assert_eq!(count(&ev, |e| e.ip.clone()), BTreeMap::from([(s("172.16.144.128"), 294)]));
    assert_eq!(ev.first().map(|e| e.time.to_string()).as_deref(), Some("2019-04-30T19:27:02.8472846Z"));
}

#[test]
fn kerberos_brute_force_of_one_user() {
    let Some((ev, r)) = corpus("windows/evtx-to-mitre/ID4771-Kerberos brutforce with valid user.evtx") else { return };
    assert_eq!((r.records, r.events), (54, 54));
    assert_eq!(count(&ev, sam), BTreeMap::from([("admin-hacker".into(), 54)]));
    assert_eq!(count(&ev, |e| e.ip.clone()), BTreeMap::from([(s("10.23.123.11"), 54)]), "::ffff: stripped");
    assert_eq!(
        count(&ev, |e| (e.code.clone(), e.failure)),
        BTreeMap::from([((s("0x18"), Some(Failure::BadPassword)), 54)])
    );
    assert!(ev.iter().all(|e| e.kind == Kind::KerberosPreauth && e.host.as_deref() == Some("rootdc1.offsec.lan")));
}

#[test]
fn kerberos_brute_force_of_unknown_users() {
    let rel = "windows/evtx-to-mitre/ID4768-4771-Kerberos brutforce with non existing users.evtx";
    let Some((ev, r)) = corpus(rel) else { return };
    assert_eq!((r.records, r.events), (52, 52));
    assert_eq!(ids(&ev), BTreeMap::from([(4768, 50), (4771, 2)]));
    let tgt: Vec<Event> = ev.iter().filter(|e| e.kind == Kind::KerberosTicket).cloned().collect();
    assert_eq!(count(&tgt, sam).len(), 50);
    assert_eq!(count(&tgt, |e| e.code.clone()), BTreeMap::from([(s("0x0"), 3), (s("0x12"), 1), (s("0x6"), 46)]));
    assert_eq!(count(&tgt, |e| e.outcome)[&Outcome::Success], 3);
    let ips = count(&ev, |e| e.ip.clone());
    assert_eq!(ips, BTreeMap::from([(s("10.23.123.11"), 51), (s("10.23.42.16"), 1)]));
    let pre: BTreeSet<String> = ev.iter().filter(|e| e.kind == Kind::KerberosPreauth).map(sam).collect();
    assert_eq!(pre, BTreeSet::from(["admin-hacker".into(), "adminupn42".into()]));
}

#[test]
fn kerbrute_user_enumeration() {
    let Some((ev, r)) = corpus("windows/evtx-to-mitre/ID4768-4771-Kerberos user enumeration (Kerbrute).evtx") else {
        return;
    };
    assert_eq!((r.records, r.events), (42, 42));
    assert_eq!(ids(&ev), BTreeMap::from([(4768, 20), (4771, 22)]));
    let pre: Vec<Event> = ev.iter().filter(|e| e.kind == Kind::KerberosPreauth).cloned().collect();
    let users: Vec<String> = count(&pre, sam).into_keys().collect();
    let want = "HealthMailbox0ab31b3 HealthMailbox2cfa5bd HealthMailbox9a2d0da HealthMailboxa935ecd HealthMailboxa99e1bd \
                HealthMailboxc9291f7 HealthMailboxdabf0a3 HealthMailboxe8b0d98 HealthMailboxeb3dc3f HealthMailboxebdc745 \
                HealthMailboxf49e2c8 HealthMailboxf7e4358 SRVFS02$ Svc-SQL-DB01 admin-hacker admin-te domadm proabcdef svc-ata \
                svc_adfs01 svc_nxlog vuln_scan";
    let mut want: Vec<String> = want.split_whitespace().map(str::to_lowercase).collect();
    want.sort();
    assert_eq!(users, want);
    assert!(pre.iter().all(|e| e.failure == Some(Failure::BadPassword)));
    let tgt = count(&ev, |e| (e.kind == Kind::KerberosTicket).then(|| e.code.clone()).flatten());
    assert_eq!((tgt[&s("0x12")], tgt[&s("0x0")]), (15, 5));
    assert_eq!(count(&ev, |e| e.ip.clone()), BTreeMap::from([(s("10.23.123.11"), 42)]));
}

#[test]
fn local_brute_force_without_a_network_source() {
    let Some((ev, r)) = corpus("windows/evtx-to-mitre/ID 4776,4625-AccountRestore local bruteforce.evtx") else {
        return;
    };
    assert_eq!((r.records, r.events), (16, 16));
    assert_eq!(count(&ev, sam), BTreeMap::from([("admin".into(), 8), ("administrator".into(), 8)]));
    assert!(ev.iter().all(|e| e.ip.is_none() && e.detail.logon_type == Some(2)));
    assert!(
        ev.iter()
            .all(|e| e.failure == Some(Failure::BadPassword) && e.detail.sub_status.as_deref() == Some("0xc000006a"))
    );
}

#[test]
fn openssh_failures_have_no_source_ip() {
    let Some((ev, r)) = corpus("windows/evtx-to-mitre/ID4625-OpenSSH brutforce with valid users.evtx") else { return };
    assert_eq!((r.records, r.events, r.ignored), (11, 9, 2), "the two 4688 are ignored");
    assert_eq!(ids(&ev), BTreeMap::from([(4624, 2), (4625, 5), (4648, 2)]));
    let failed: Vec<&Event> = ev.iter().filter(|e| e.detail.event_id == Some(4625)).collect();
    for e in &failed {
        assert_eq!(e.user.as_ref().and_then(|u| u.name.as_deref()), Some("admmig@offsec.lan"));
        assert_eq!((e.ip.as_deref(), e.source.as_deref(), e.detail.logon_type), (None, Some("FS01"), Some(8)));
        assert_eq!(e.detail.sub_status.as_deref(), Some("0xc000006a"));
    }

    let Some((ev, r)) = corpus("windows/evtx-to-mitre/ID4625-OpenSSH brutforce with non existing users.evtx") else {
        return;
    };
    assert_eq!((r.records, r.events, r.ignored), (20, 12, 8));
    assert_eq!(ids(&ev), BTreeMap::from([(4624, 1), (4625, 5), (4648, 1), (4776, 5)]));
    for e in ev.iter().filter(|e| matches!(e.detail.event_id, Some(4625 | 4776))) {
        assert_eq!((sam(e).as_str(), e.failure), ("nouser", Some(Failure::UnknownUser)));
    }
    let ntlm: Vec<&Event> = ev.iter().filter(|e| e.kind == Kind::NtlmValidation).collect();
    assert!(
        ntlm.iter().all(|e| e.detail.workstation.as_deref() == Some("FS01") && e.code.as_deref() == Some("0xc0000064"))
    );
}

#[test]
fn failure_without_an_account_name() {
    let rel = "windows/evtx-to-mitre/ID4625-failed login with denied access due to account restriction.evtx";
    let Some((ev, r)) = corpus(rel) else { return };
    assert_eq!((r.records, r.events), (2, 2));
    for e in &ev {
        assert_eq!(e.user, None, "TargetUserName `-`");
        assert_eq!((e.ip.as_deref(), e.detail.logon_type), (Some("10.23.23.9"), Some(10)));
        assert_eq!((e.code.as_deref(), e.detail.sub_status.as_deref()), (Some("0xc000006e"), Some("0x0")));
        assert_eq!(e.failure, Some(Failure::PolicyBlocked));
    }
}

#[test]
fn evtx_crate_security_short_selected() {
    let Some((ev, r)) = corpus("windows/omerbenamram-evtx/Security_short_selected.evtx") else { return };
    assert_eq!((r.records, r.events, r.ignored), (7, 2, 5));
    let logon = ev.iter().find(|e| e.kind == Kind::Logon).expect("the 4625");
    assert_eq!(logon.user.as_ref().and_then(|u| u.name.as_deref()), Some("temporal\\administrator"));
    assert_eq!((logon.ip.as_deref(), logon.detail.logon_type), (Some("23.94.153.202"), Some(10)));
    assert_eq!(logon.detail.process.as_deref(), Some("C:\\Windows\\System32\\winlogon.exe"));
    let ntlm = ev.iter().find(|e| e.kind == Kind::NtlmValidation).expect("the 4776");
    assert_eq!((ntlm.detail.workstation.as_deref(), ntlm.code.as_deref()), (Some("TEMPORAL"), Some("0xc000006a")));
    assert!(
        ev.iter().all(|e| e.ids.record.as_deref().and_then(|r| r.parse::<u64>().ok()).is_some_and(|r| r >= 319457771))
    );
}

#[test]
fn a_bad_chunk_is_reported_and_the_good_records_kept() {
    let Some((ev, r)) = corpus("windows/omerbenamram-evtx/sample_with_a_bad_chunk_magic.evtx") else { return };
    // 301 good records (AppXDeployment 325s and one without an id: none is a Security event),
    // and the damage the `evtx` crate itself reports: chunks 6 and 10, and one record of chunk 7.
    assert_eq!((r.records, r.events, r.ignored, r.unreadable), (304, 0, 301, 3), "{r:?}");
    assert!(ev.is_empty() && r.problem.is_none());
    let chunk10 = r.errors.iter().find(|e| e.reason.starts_with("chunk 10 ")).expect("chunk 10 reported");
    assert_eq!(chunk10.origin.pos, Position::Offset(4096 + 10 * 65536));
    assert!(chunk10.reason.contains("Invalid EVTX chunk header magic"), "{}", chunk10.reason);
    assert!(r.errors.iter().any(|e| e.reason.contains("chunk 7") && e.origin.pos == Position::Offset(0x73060)));
}

#[test]
fn evtx_crate_security_account_management() {
    let Some((ev, r)) = corpus("windows/omerbenamram-evtx/security.evtx") else { return };
    assert_eq!((r.records, r.unreadable), (2261, 0));
    let want = [(4624, 583), (4648, 45), (4720, 2), (4722, 2), (4723, 1), (4724, 1), (4738, 10)];
    assert_eq!(ids(&ev), BTreeMap::from(want));
    assert!(ev.iter().all(|e| e.failure.is_none()), "no failed logons");
    let change = ev.iter().find(|e| e.kind == Kind::PasswordChange).expect("4723");
    assert_eq!((sam(change).as_str(), change.time.to_string().as_str()), ("fsir", "2016-07-09T22:26:10.0775494Z"));
    let reset = ev.iter().find(|e| e.kind == Kind::PasswordReset).expect("4724");
    assert_eq!(sam(reset), "fsir");
    assert!(reset.actor.as_ref().and_then(|a| a.name.as_deref()).is_some_and(|n| n.ends_with("\\win-03dliiofrra$")));
    let created: BTreeSet<String> = ev.iter().filter(|e| e.kind == Kind::UserCreated).map(sam).collect();
    assert_eq!(created, BTreeSet::from(["archir".into(), "fsir".into()]));
}

#[test]
fn sentinel_security_events() {
    let Some((ev, r)) = corpus("windows/otrf-goldensaml/WindowsEvents.json") else { return };
    assert_eq!((r.records, r.events, r.ignored, r.unreadable), (38, 28, 10, 0));
    let want = [
        ("adfsadmin".into(), 3),
        ("cjones".into(), 14),
        ("msol_2826475d0356".into(), 2),
        ("pgustavo".into(), 2),
        ("wardog".into(), 7),
    ];
    assert_eq!(count(&ev, sam), BTreeMap::from(want));
    assert!(ev.iter().all(|e| e.kind == Kind::Logon && e.detail.logon_type == Some(3)));
    let hosts = count(&ev, |e| e.host.clone());
    assert_eq!(hosts, BTreeMap::from([(s("ADFS01.simulandlabs.com"), 4), (s("DC01.simulandlabs.com"), 24)]));
}

/// The cheap skip of unused event ids never drops a used one: every record the `evtx` crate
/// renders with a used id is an event, per id, in every corpus file.
#[test]
fn skipping_unused_ids_drops_no_used_record() {
    for rel in [
        "windows/deepbluecli/smb-password-guessing-security.evtx",
        "windows/deepbluecli/password-spray.evtx",
        "windows/evtx-to-mitre/ID4625-OpenSSH brutforce with non existing users.evtx",
        "windows/evtx-to-mitre/ID4768-4771-Kerberos user enumeration (Kerbrute).evtx",
        "windows/omerbenamram-evtx/security.evtx",
        "windows/omerbenamram-evtx/sample_with_a_bad_chunk_magic.evtx",
    ] {
        let Some(path) = crate::testutil::corpus(rel) else { continue };
        let (ev, _) = read_path(&path, rel);
        let mut parser = evtx::EvtxParser::from_path(&path).expect("evtx");
        let mut rendered = BTreeMap::new();
        for record in parser.records_json_value().flatten() {
            let id = &record.data["Event"]["System"]["EventID"];
            let id = id.as_u64().or_else(|| id["#text"].as_u64()).and_then(|i| u32::try_from(i).ok()).unwrap_or(0);
            if super::is_used(id) {
                *rendered.entry(id).or_insert(0usize) += 1;
            }
        }
        assert_eq!(ids(&ev), rendered, "{rel}");
    }
}
