//! The Windows readers on every export shape, with snapshots of the events they give.

use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};

use super::LOSSY_NOTE;
use crate::event::Event;
use crate::source::{FileReport, read};

/// Reads `path` through [`read`] under the report name `name`.
pub(super) fn read_path(path: &Path, name: &str) -> (Vec<Event>, FileReport) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    read_bytes_from(Box::new(BufReader::new(file)), name)
}

/// Reads in-memory bytes through [`read`].
pub(super) fn read_bytes(bytes: &[u8], name: &str) -> (Vec<Event>, FileReport) {
    read_bytes_from(Box::new(std::io::Cursor::new(bytes.to_vec())), name)
}

fn read_bytes_from(reader: Box<dyn std::io::BufRead + Send>, name: &str) -> (Vec<Event>, FileReport) {
    let name: Arc<str> = Arc::from(name);
    let mut events = Vec::new();
    let report = read(&name, reader, &mut events);
    if report.skipped.is_none() {
        assert_eq!(report.records, report.events + report.ignored + report.unreadable, "{report:?}");
    }
    assert_eq!(report.events, events.len() as u64);
    (events, report)
}

/// Reads a file of `fixtures/windows/`.
fn fixture(rel: &str) -> (Vec<Event>, FileReport) {
    read_path(&crate::testutil::fixture(&format!("windows/{rel}")), rel)
}

/// Events as JSON, for assertions and snapshots.
pub(super) fn values(events: &[Event]) -> Vec<Value> {
    events.iter().map(|e| serde_json::to_value(e).expect("events serialise")).collect()
}

/// The one event with `event_id`.
fn by_id(values: &[Value], id: u32) -> &Value {
    let mut hits = values.iter().filter(|v| v["detail"]["event_id"] == id);
    let hit = hits.next().unwrap_or_else(|| panic!("no event {id}"));
    assert!(hits.next().is_none(), "several events {id}");
    hit
}

const SID: &str = "S-1-5-21-3457937927-2839227994-823803824-";

#[test]
fn every_event_id_from_wevtutil_fragments() {
    let (events, report) = fixture("wevtutil-by-event-id.xml");
    assert_eq!(report.format, "windows-xml");
    assert_eq!((report.records, report.events, report.ignored, report.unreadable), (20, 19, 1, 0), "{report:?}");
    let v = values(&events);
    let ids: Vec<u32> = events.iter().filter_map(|e| e.detail.event_id).collect();
    assert_eq!(
        ids,
        [
            4740, 4625, 4771, 4776, 4767, 4624, 4648, 4768, 4723, 4724, 4738, 4720, 4722, 4725, 4726, 4697, 4698, 4702,
            7045
        ]
    );

    // 4740: the caller computer is in TargetDomainName; the user is the bare sam plus the SID.
    let e = by_id(&v, 4740);
    assert_eq!(e["kind"], "lockout");
    assert_eq!(e["outcome"], "info");
    assert_eq!(e["user"], json!({"name": "auditor", "id": format!("{SID}2104"), "display": null}));
    assert_eq!(e["detail"]["workstation"], "WIN81");
    assert_eq!(e["source"], "WIN81");
    assert_eq!(e["actor"], json!({"type": "user", "id": "S-1-5-18", "name": "contoso\\dc01$"}));
    assert_eq!(e["host"], "DC01.contoso.local");
    assert_eq!(e["ids"]["record"], "175703");
    assert_eq!(e["origin"]["line"], 1);
    assert_eq!(e["time"], "2015-08-21T22:06:08.5768875Z");

    // 4625, lockout variant: the effect of a lockout, from a local console logon.
    let e = by_id(&v, 4625);
    assert_eq!((&e["outcome"], &e["failure"], &e["code"]), (&json!("failure"), &json!("locked"), &json!("0xc0000234")));
    assert_eq!(e["detail"]["sub_status"], "0x0");
    assert_eq!(e["detail"]["logon_type"], 2);
    assert_eq!(e["detail"]["process"], "C:\\Windows\\System32\\winlogon.exe");
    assert_eq!(e["reason"], "Account locked out");
    assert_eq!((&e["ip"], &e["source"]), (&json!("127.0.0.1"), &json!("127.0.0.1")));
    assert_eq!(e["user"], json!({"name": "contoso\\auditor", "id": null, "display": null}), "S-1-0-0 is no SID");

    // 4771: `::ffff:` stripped; the realm of krbtgt/CONTOSO.LOCAL is the domain.
    let e = by_id(&v, 4771);
    assert_eq!(e["kind"], "kerberos-preauth");
    assert_eq!((&e["ip"], &e["code"], &e["failure"]), (&json!("10.0.0.12"), &json!("0x10"), &json!("other")));
    assert_eq!(e["user"]["name"], "contoso\\dadmin");
    assert_eq!(e["actor"], Value::Null);

    let e = by_id(&v, 4776);
    assert_eq!(
        (&e["kind"], &e["failure"], &e["code"]),
        (&json!("ntlm-validation"), &json!("locked"), &json!("0xc0000234"))
    );
    assert_eq!((&e["detail"]["workstation"], &e["source"], &e["ip"]), (&json!("WIN81"), &json!("WIN81"), &Value::Null));
    assert_eq!(e["user"]["name"], "dadmin");

    let e = by_id(&v, 4767);
    assert_eq!((&e["kind"], &e["outcome"]), (&json!("account-unlocked"), &json!("success")));
    assert_eq!(e["actor"], json!({"type": "user", "id": format!("{SID}1104"), "name": "contoso\\dadmin"}));
    assert_eq!(e["user"]["name"], "contoso\\auditor");

    let e = by_id(&v, 4624);
    assert_eq!((&e["outcome"], &e["ip"]), (&json!("success"), &json!("10.0.0.12")));
    assert_eq!(e["user"]["name"], "contoso\\auditor", "CONTOSO.LOCAL is cut to its first label");
    assert_eq!(e["actor"], json!({"type": "system", "id": null, "name": null}));

    let e = by_id(&v, 4648);
    assert_eq!((&e["kind"], &e["outcome"]), (&json!("explicit-credential"), &json!("info")));
    assert_eq!(e["user"]["name"], "contoso\\auditor");
    assert_eq!(e["actor"]["name"], "contoso\\dadmin");
    assert_eq!((&e["detail"]["target"], &e["ip"]), (&json!("FS01.contoso.local"), &json!("10.0.0.20")));

    let e = by_id(&v, 4768);
    assert_eq!(
        (&e["kind"], &e["failure"], &e["code"]),
        (&json!("kerberos-ticket"), &json!("disabled"), &json!("0x12"))
    );

    let e = by_id(&v, 4723);
    assert_eq!((&e["kind"], &e["outcome"]), (&json!("password-change"), &json!("failure")), "Audit Failure keywords");
    assert_eq!(e["actor"]["name"], "contoso\\auditor");
    let e = by_id(&v, 4724);
    assert_eq!((&e["kind"], &e["outcome"]), (&json!("password-reset"), &json!("success")));
    assert_eq!((&e["actor"]["name"], &e["user"]["id"]), (&json!("contoso\\dadmin"), &json!(format!("{SID}2104"))));
    for (id, kind) in
        [(4738, "user-updated"), (4720, "user-created"), (4722, "account-enabled"), (4725, "account-disabled")]
    {
        assert_eq!(by_id(&v, id)["kind"], kind);
    }
    assert_eq!(by_id(&v, 4726)["user"]["name"], "contoso\\jdoe");

    // Services and tasks: what runs as the account on the caller.
    let e = by_id(&v, 4697);
    assert_eq!((&e["kind"], &e["detail"]["target"]), (&json!("service-installed"), &json!("Backup Agent")));
    assert_eq!(e["user"]["name"], "contoso\\auditor");
    assert_eq!(e["detail"]["process"], "\"C:\\Program Files\\Backup\\agent.exe\" -service");
    let e = by_id(&v, 7045);
    assert_eq!(e["user"]["name"], "contoso\\auditor");
    assert_eq!(e["actor"], json!({"type": "user", "id": format!("{SID}1104"), "name": null}));
    assert_eq!(e["host"], "WIN81.contoso.local");
    let e = by_id(&v, 4698);
    assert_eq!((&e["kind"], &e["detail"]["target"]), (&json!("task-scheduled"), &json!("\\Nightly Sync")));
    assert_eq!(
        (&e["user"]["name"], &e["detail"]["process"]),
        (&json!("contoso\\auditor"), &json!("C:\\Scripts\\sync.cmd"))
    );
    assert_eq!(by_id(&v, 4702)["user"], json!({"name": null, "id": format!("{SID}2104"), "display": null}));
    insta::assert_json_snapshot!("wevtutil_by_event_id", v);
}

#[test]
fn rendered_xml_reads_the_system_block_not_rendering_info() {
    let (events, report) = fixture("rendered-xml.xml");
    assert_eq!((report.records, report.events), (1, 1));
    let v = values(&events);
    assert_eq!(v[0]["host"], "FS01.contoso.local");
    assert_eq!((&v[0]["failure"], &v[0]["detail"]["sub_status"]), (&json!("bad-password"), &json!("0xc000006a")));
    assert_eq!((&v[0]["user"]["name"], &v[0]["source"]), (&json!("contoso\\svc_backup"), &json!("10.0.0.12")));
    insta::assert_json_snapshot!("rendered_xml", v);
}

#[test]
fn event_viewer_saved_xml_with_a_root() {
    let (events, report) = fixture("event-viewer-saved.xml");
    assert_eq!((report.records, report.events, report.ignored), (3, 2, 1));
    let v = values(&events);
    let lines: Vec<&Value> = v.iter().map(|e| &e["origin"]["line"]).collect();
    assert_eq!(lines, [&json!(3), &json!(55)]);
    insta::assert_json_snapshot!("event_viewer_saved", v);
}

#[test]
fn forwarded_single_quoted_records_behind_a_syslog_prefix() {
    let (events, report) = fixture("forwarded-syslog.log");
    assert_eq!(report.format, "windows-xml");
    assert_eq!((report.records, report.events, report.unreadable), (2, 2, 0), "the plain syslog line is no record");
    let v = values(&events);
    let e = &v[0];
    assert_eq!((&e["origin"]["line"], &e["ids"]["record"]), (&json!(1), &json!("6858529940")));
    assert_eq!(e["user"], json!({"name": "cod\\ltm-bind", "id": null, "display": null}), "NULL SID");
    // The SID rendered as a name does not hide the machine account.
    assert_eq!(e["actor"], json!({"type": "user", "id": null, "name": "cod\\bjvmwcdc01$"}));
    assert_eq!((&e["failure"], &e["ip"]), (&json!("bad-password"), &json!("10.134.159.249")));
    assert_eq!((&v[1]["origin"]["line"], &v[1]["detail"]["workstation"]), (&json!(3), &json!("WS4CCADB6B")));
    insta::assert_json_snapshot!("forwarded_syslog", v);
}

#[test]
fn sentinel_security_event_rows() {
    let (events, report) = fixture("sentinel-securityevent.jsonl");
    assert_eq!(report.format, "json-lines");
    assert_eq!((report.records, report.events, report.ignored, report.unreadable), (6, 3, 3, 0), "{report:?}");
    let v = values(&events);
    assert_eq!(v[0]["user"]["name"], "simulandlabs\\wardog");
    assert_eq!(v[0]["user"]["id"], "S-1-5-21-2490359158-13971675-3780420524-500");
    assert_eq!(v[0]["ids"]["record"], "2d67cfe2-b74b-41c2-b17a-b448e4a08eb1", "EventOriginId");
    assert_eq!(v[1]["user"]["name"], "simulandlabs\\pgustavo");
    assert_eq!((&v[1]["source"], &v[1]["detail"]["logon_type"]), (&json!("192.168.2.5"), &json!(3)));
    // No IP: the workstation is the source; the subject is the built-in LOCAL SERVICE.
    assert_eq!((&v[2]["ip"], &v[2]["source"]), (&Value::Null, &json!("DC01")));
    assert_eq!(v[2]["actor"], json!({"type": "system", "id": "S-1-5-19", "name": "nt authority\\local service"}));
    insta::assert_json_snapshot!("sentinel_securityevent", v);
}

#[test]
fn get_winevent_json_is_read_from_the_message_and_noted_as_lossy() {
    let (events, report) = fixture("get-winevent.json");
    assert_eq!(report.format, "json");
    assert_eq!((report.records, report.events, report.ignored), (5, 4, 1));
    assert_eq!(report.notes, [LOSSY_NOTE]);
    let v = values(&events);
    let e = by_id(&v, 4740);
    assert_eq!(e["time"], "2025-04-22T09:14:03.001Z");
    assert_eq!((&e["detail"]["workstation"], &e["user"]["name"]), (&json!("WIN81"), &json!("svc_backup")));
    assert_eq!(e["actor"]["name"], "contoso\\dc01$");
    let e = by_id(&v, 4625);
    assert_eq!((&e["code"], &e["detail"]["sub_status"]), (&json!("0xc000006d"), &json!("0xc000006a")));
    assert_eq!((&e["failure"], &e["ip"]), (&json!("bad-password"), &json!("10.0.0.12")));
    assert_eq!(
        (&e["user"]["name"], &e["reason"]),
        (&json!("contoso\\svc_backup"), &json!("Unknown user name or bad password"))
    );
    let e = by_id(&v, 4771);
    assert_eq!((&e["ip"], &e["code"], &e["failure"]), (&json!("10.0.0.12"), &json!("0x18"), &json!("bad-password")));
    let e = by_id(&v, 7045);
    assert_eq!((&e["user"]["name"], &e["detail"]["target"]), (&json!("contoso\\svc_backup"), &json!("Backup Agent")));
    assert_eq!(e["actor"]["id"], format!("{SID}1104"));
    insta::assert_json_snapshot!("get_winevent", v);
}

#[test]
fn winlogbeat_and_nxlog_records() {
    let (events, report) = fixture("forwarders.jsonl");
    assert_eq!((report.records, report.events), (2, 2), "{report:?}");
    let v = values(&events);
    assert_eq!((&v[0]["failure"], &v[0]["ids"]["record"]), (&json!("bad-password"), &json!("884213")));
    assert_eq!(v[0]["host"], "FS01.contoso.local");
    assert_eq!((&v[1]["kind"], &v[1]["detail"]["workstation"]), (&json!("lockout"), &json!("WIN81")));
    assert_eq!(v[1]["time"], "2025-04-22T09:14:03Z", "NXLog EventTime without zone is read as UTC");
    insta::assert_json_snapshot!("forwarders", v);
}

#[test]
fn evtx_fixtures_one_event_per_file_and_id() {
    let mut picked = Vec::new();
    for rel in [
        "Security_short_selected.evtx",
        "kerbrute-4768-4771.evtx",
        "openssh-4625-4776.evtx",
        "account-restriction-4625.evtx",
    ] {
        let (events, report) = fixture(rel);
        assert_eq!((report.format, report.unreadable), ("evtx", 0));
        let mut seen = std::collections::BTreeSet::new();
        picked.extend(values(&events).into_iter().filter(|e| seen.insert(e["detail"]["event_id"].to_string())));
    }
    let e = &picked[0];
    assert_eq!((&e["kind"], &e["detail"]["workstation"]), (&json!("ntlm-validation"), &json!("TEMPORAL")));
    let e = &picked[1];
    assert_eq!((&e["ip"], &e["detail"]["logon_type"]), (&json!("23.94.153.202"), &json!(10)));
    // The position is the record's number in the file's record header (what `evtx_dump` prints
    // as `Record 4`); the EventRecordID Windows logged is the record id.
    assert_eq!(e["origin"], json!({"file": "Security_short_selected.evtx", "record": 4}));
    assert_eq!(e["ids"]["record"], "319457832");
    insta::assert_json_snapshot!("evtx_fixtures", picked);
}

/// The `evtx` crate's JSON rendering (what `evtx_dump -o jsonl` writes) read through the JSON
/// path gives the same events as the binary path.
#[test]
fn evtx_json_shape_matches_the_binary_path() {
    for rel in [
        "Security_short_selected.evtx",
        "kerbrute-4768-4771.evtx",
        "openssh-4625-4776.evtx",
        "account-restriction-4625.evtx",
    ] {
        let path = crate::testutil::fixture(&format!("windows/{rel}"));
        let (binary, _) = read_path(&path, rel);
        let mut parser = evtx::EvtxParser::from_path(&path).expect("evtx");
        let lines: Vec<String> = parser
            .records_json_value()
            .map(|r| serde_json::to_string(&r.expect("record").data).expect("json"))
            .collect();
        let (from_json, report) = read_bytes(lines.join("\n").as_bytes(), rel);
        assert_eq!(report.unreadable, 0, "{report:?}");
        let strip = |events: &[Event]| {
            values(events)
                .into_iter()
                .map(|mut e| {
                    e["origin"] = Value::Null;
                    e
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(&binary), strip(&from_json), "{rel}");
    }
}

#[test]
fn damaged_xml_is_reported_by_line_and_the_rest_is_kept() {
    let good = std::fs::read_to_string(crate::testutil::fixture("windows/forwarded-syslog.log")).expect("fixture");
    let first = good.lines().next().expect("a line");
    let text = [
        first.to_string(),
        "<Event xmlns='x'><System><EventID>4740</EventID><TimeCreated SystemTime='2025-02-01T15:30:33Z'/></System>"
            .into(),
        first.replace("</Data><Data Name='Status'>", "</Dat><Data Name='Status'>"),
        first.replace("<EventID>4625</EventID>", ""),
        first.replace("2025-02-01T15:30:33.499045800Z", "yesterday"),
        "<Event><System><EventID>4624</EventID>".into(),
    ]
    .join("\n");
    let (events, report) = read_bytes(text.as_bytes(), "damaged.xml");
    assert_eq!(events.len(), 1);
    assert_eq!((report.records, report.unreadable), (6, 5), "{report:?}");
    let errors: Vec<(String, &str)> =
        report.errors.iter().map(|e| (e.origin.pos.to_string(), e.reason.split(':').next().unwrap_or(""))).collect();
    assert_eq!(
        errors,
        [
            ("line 2".to_string(), "truncated <Event> element (another one starts before its end)"),
            ("line 3".into(), "invalid XML at byte 861"),
            ("line 4".into(), "Windows event without a readable EventID"),
            ("line 5".into(), "Windows event 4625 without a readable TimeCreated"),
            ("line 6".into(), "truncated <Event> element at the end of the input"),
        ]
    );
}

#[test]
fn utf16_exports_read_like_utf8() {
    let path = crate::testutil::fixture("windows/wevtutil-by-event-id.xml");
    let text = std::fs::read_to_string(&path).expect("fixture");
    let (utf8, _) = read_path(&path, "x.xml");
    for le in [true, false] {
        let mut bytes = if le { vec![0xFF, 0xFE] } else { vec![0xFE, 0xFF] };
        for unit in text.encode_utf16() {
            bytes.extend(if le { unit.to_le_bytes() } else { unit.to_be_bytes() });
        }
        let (utf16, report) = read_bytes(&bytes, "x.xml");
        assert_eq!(report.format, "windows-xml");
        assert_eq!(utf16, utf8);
    }
}

#[test]
fn evtx_streams_through_gzip_and_truncation() {
    let bytes = std::fs::read(crate::testutil::fixture("windows/Security_short_selected.evtx")).expect("fixture");
    let dir = tempfile::tempdir().expect("tempdir");
    let gz = dir.path().join("security.evtx.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &bytes).expect("gzip");
    std::fs::write(&gz, enc.finish().expect("gzip")).expect("write");
    let ingested = crate::ingest::ingest(&[gz]);
    assert_eq!(ingested.events.len(), 2);
    assert_eq!(ingested.files[0].format, "evtx");

    // Cut inside the first chunk: the records before the cut are kept and the cut is reported.
    let (events, report) = read_bytes(&bytes[..4096 + 3000], "cut.evtx");
    assert!(events.len() <= 2);
    assert!(report.errors.iter().any(|e| e.reason.contains("truncated")), "{report:?}");
    let (events, report) = read_bytes(&bytes[..100], "header.evtx");
    assert!(events.is_empty());
    assert!(report.problem.as_deref().is_some_and(|p| p.starts_with("truncated EVTX file")), "{report:?}");
}

#[test]
fn xml_split_across_tiny_reads_reads_the_same() {
    for rel in ["wevtutil-by-event-id.xml", "event-viewer-saved.xml", "forwarded-syslog.log"] {
        let path = crate::testutil::fixture(&format!("windows/{rel}"));
        let bytes = std::fs::read(&path).expect("fixture");
        let whole: Vec<_> = super::xml::Fragments::new(&bytes[..]).collect();
        assert!(whole.iter().all(|(_, f)| f.is_ok()), "{rel}");
        // Reads so small that tags and `</Event>` are split between them.
        for capacity in [1, 7, 64, 4099] {
            let split: Vec<_> = super::xml::Fragments::new(BufReader::with_capacity(capacity, &bytes[..])).collect();
            assert_eq!(split, whole, "{rel} at {capacity}");
        }
        let (events, _) = read_path(&path, rel);
        let file = std::fs::File::open(&path).expect("fixture");
        let (split, report) = read_bytes_from(Box::new(BufReader::with_capacity(4099, file)), rel);
        assert_eq!((split, report.unreadable), (events, 0), "{rel}");
    }
}

#[test]
fn damaged_evtx_chunks_are_repaired_or_counted_whole() {
    let bytes = std::fs::read(crate::testutil::fixture("windows/kerbrute-4768-4771.evtx")).expect("fixture");
    let (good, report) = read_bytes(&bytes, "good.evtx");
    assert_eq!((report.records, report.unreadable), (42, 0));

    // Only the chunk's magic is damaged: the chunk is read, with a note saying so.
    let mut magic = bytes.clone();
    magic[4096..4104].copy_from_slice(b"XXXXXXXX");
    let (events, report) = read_bytes(&magic, "magic.evtx");
    assert_eq!((events.len(), report.records, report.unreadable), (good.len(), 42, 0), "{report:?}");
    assert_eq!(report.notes, ["chunk 0 at offset 0x1000: damaged header magic ignored, 42 records read from it"]);

    // The chunk's string and template tables are garbage: the chunk is lost, and each of the 42
    // records its header lists is counted unreadable, under one error naming the chunk.
    let mut tables = bytes.clone();
    tables[4096 + 0x80..4096 + 0x200].fill(0xff);
    let (events, report) = read_bytes(&tables, "tables.evtx");
    assert!(events.is_empty());
    assert_eq!((report.records, report.unreadable, report.errors.len()), (42, 42, 1), "{report:?}");
    assert!(report.errors[0].reason.starts_with("chunk 0 at offset 0x1000: "), "{report:?}");
    assert!(report.errors[0].reason.ends_with("(42 records lost)"), "{report:?}");
    assert_eq!(report.unreadable_by_reason.values().sum::<u64>(), 42);

    // Magic and record numbers both gone: nothing says how many records were lost; one is counted.
    let mut header = bytes;
    header[4096..4096 + 24].fill(0);
    header[4096 + 0x80..4096 + 0x200].fill(0xff);
    let (_, report) = read_bytes(&header, "header.evtx");
    assert_eq!((report.records, report.unreadable), (1, 1), "{report:?}");
    assert!(report.errors[0].reason.contains("Invalid EVTX chunk header magic"), "{report:?}");
}
