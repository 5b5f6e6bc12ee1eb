//! `case.sqlite` and the SIEM exports (`investigate --export`): the database holds exactly what
//! the case files hold; every exported line is valid JSON with the fields its format requires;
//! the first lines of each export for a frozen input are snapshots; the same input gives the
//! same bytes; CSV cells never start a formula.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::{investigate, jsonl, lockscope, simulate};

const ALL_EXPORTS: &[&str] = &["--export", "ocsf", "--export", "ecs", "--export", "splunk-hec", "--export", "sentinel"];

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/e2e/mace-mini")
}

/// Investigates `data` into `case` with every export and `events.jsonl`.
fn investigate_all(data: &Path, case: &Path) {
    let mut extra = vec!["--events"];
    extra.extend_from_slice(ALL_EXPORTS);
    let out = investigate(data, case, &extra);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json_file(path: &Path) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every line of a JSON Lines export, parsed; fails on the first invalid one.
fn lines(path: &Path) -> Vec<Value> {
    read(path)
        .lines()
        .enumerate()
        .map(|(i, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}:{}: {e}: {l}", path.display(), i + 1)))
        .collect()
}

/// The value at a dotted path (`metadata.product.name`); ECS keys holding dots (`@timestamp`)
/// are looked up whole first.
fn at<'a>(v: &'a Value, path: &str) -> &'a Value {
    if let Some(x) = v.get(path) {
        return x;
    }
    path.split('.').fold(v, |v, k| &v[k])
}

fn require(v: &Value, fields: &[&str], what: &str) {
    for f in fields {
        assert!(!at(v, f).is_null(), "{what}: missing {f}: {v}");
    }
}

fn is_time(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.parse::<jiff::Timestamp>().is_ok())
}

#[test]
fn case_sqlite_holds_what_the_case_files_hold() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = dir.path().join("case");
    investigate_all(&fixture(), &case);
    let db =
        rusqlite::Connection::open_with_flags(case.join("case.sqlite"), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open case.sqlite");
    let count = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).unwrap_or_else(|e| panic!("{sql}: {e}")) };
    let len = |v: &[Value]| v.len() as i64;
    let sum = |v: &[Value], key: &str| v.iter().map(|x| x[key].as_array().map_or(0, Vec::len) as i64).sum::<i64>();

    let events = jsonl(&case.join("events.jsonl"));
    let findings = jsonl(&case.join("findings.jsonl"));
    let users = jsonl(&case.join("affected-users.jsonl"));
    let invalidations = jsonl(&case.join("token-invalidations.jsonl"));
    let secrets = jsonl(&case.join("secrets.jsonl"));
    let incidents = json_file(&case.join("incidents.json"))["incidents"].as_array().expect("incidents").clone();
    assert!(!events.is_empty() && !findings.is_empty() && !incidents.is_empty());

    assert_eq!(count("SELECT count(*) FROM events"), len(&events));
    assert_eq!(count("SELECT count(*) FROM findings"), len(&findings));
    assert_eq!(count("SELECT count(*) FROM finding_users"), sum(&findings, "users"));
    assert_eq!(count("SELECT count(*) FROM evidence"), sum(&findings, "evidence"));
    assert_eq!(count("SELECT count(*) FROM users"), len(&users));
    assert_eq!(count("SELECT count(*) FROM incidents"), len(&incidents));
    assert_eq!(count("SELECT count(*) FROM incident_members"), sum(&incidents, "members"));
    assert_eq!(count("SELECT count(*) FROM invalidations"), len(&invalidations));
    assert_eq!(count("SELECT count(*) FROM secrets"), len(&secrets));
    assert_eq!(count("PRAGMA user_version"), 1);
    let meta: String =
        db.query_row("SELECT value FROM meta WHERE name = 'schema_version'", [], |r| r.get(0)).expect("meta");
    assert_eq!(meta, "1");
    let ok: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0)).expect("integrity");
    assert_eq!(ok, "ok");

    // Rows are in the case's order and carry the same values.
    let mut st = db.prepare("SELECT time, kind, user, file FROM events ORDER BY id").expect("prepare");
    let rows: Vec<(String, String, Option<String>, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    for (row, e) in rows.iter().zip(&events) {
        assert_eq!(row.0, e["time"].as_str().unwrap_or_default());
        assert_eq!(row.1, e["kind"].as_str().unwrap_or_default());
        assert_eq!(row.2.as_deref(), e["user"].as_str());
        assert_eq!(row.3, e["origin"]["file"].as_str().unwrap_or_default());
    }
    let mut st = db.prepare("SELECT user, verdict, root_cause FROM users ORDER BY rowid").expect("prepare");
    let rows: Vec<(String, String, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    for (row, u) in rows.iter().zip(&users) {
        assert_eq!(
            (row.0.as_str(), row.1.as_str(), row.2.as_str()),
            (
                u["user"].as_str().unwrap_or_default(),
                u["verdict"].as_str().unwrap_or_default(),
                u["root_cause"].as_str().unwrap_or_default()
            )
        );
    }
    // The documented indexes exist and the queries in docs/schemas.md run.
    for index in ["events_time", "events_user_time", "events_kind", "finding_users_user", "users_user"] {
        let n = count(&format!("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = '{index}'"));
        assert_eq!(n, 1, "index {index}");
    }
    let mass_users = count(
        "SELECT count(DISTINCT u.user) FROM users u JOIN finding_users fu ON fu.user = u.user \
         JOIN findings f ON f.id = fu.finding_id WHERE f.rule = 'provider-mass-revocation'",
    );
    assert!(mass_users > 0);

    sqlite3_shell_counts(&case.join("case.sqlite"), events.len());
}

/// The sqlite3 command-line shell reads the database too, when installed.
#[allow(clippy::print_stderr)] // a skipped check must say so
fn sqlite3_shell_counts(db: &Path, events: usize) {
    match Command::new("sqlite3").arg(db).arg("select count(*) from events").output() {
        Ok(out) if out.status.success() => {
            assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), events.to_string());
        }
        Ok(out) => panic!("sqlite3 failed: {}", String::from_utf8_lossy(&out.stderr)),
        Err(_) => eprintln!("SKIPPED: sqlite3 is not installed; case.sqlite was checked through rusqlite only"),
    }
}

#[test]
fn exports_of_a_fixed_input_match_snapshots() {
    let fixture = fixture();
    let dir = tempfile::tempdir().expect("tempdir");
    let case = dir.path().join("case");
    investigate_all(&fixture, &case);
    let root = fixture.parent().and_then(Path::parent).map(|p| p.display().to_string()).unwrap_or_default();
    let head = |rel: &str, n: usize| {
        let text = read(&case.join("export").join(rel));
        let kept: Vec<&str> = text.lines().take(n).collect();
        format!("{rel}\n{}\n", kept.join("\n")).replace(&root, "[fixtures]")
    };
    insta::assert_snapshot!("ocsf", head("ocsf/events.jsonl", 3) + &head("ocsf/findings.jsonl", 2));
    insta::assert_snapshot!("ecs", head("ecs/events.jsonl", 3) + &head("ecs/findings.jsonl", 2));
    insta::assert_snapshot!("splunk_hec", head("splunk-hec/events.jsonl", 3) + &head("splunk-hec/findings.jsonl", 2));
    insta::assert_snapshot!(
        "sentinel",
        head("sentinel/Custom-LockscopeEvents.json", 4) + &head("sentinel/Custom-LockscopeFindings.json", 3)
    );
}

/// Checks every export of a case folder; returns how many lines of each file were checked.
fn check_exports(case: &Path) -> BTreeMap<String, usize> {
    let events = jsonl(&case.join("events.jsonl"));
    let findings = jsonl(&case.join("findings.jsonl"));
    let export = case.join("export");
    let mut checked = BTreeMap::new();

    // OCSF.
    let ocsf = lines(&export.join("ocsf/events.jsonl"));
    assert_eq!(ocsf.len(), events.len(), "one OCSF event per event");
    for (v, e) in ocsf.iter().zip(&events) {
        require(
            v,
            &["class_uid", "category_uid", "activity_id", "type_uid", "time", "severity_id", "status_id"],
            "ocsf event",
        );
        require(v, &["metadata.version", "metadata.product.name", "unmapped.lockscope.origin.file"], "ocsf event");
        assert_eq!(v["metadata"]["product"]["name"], "lockscope");
        let class = v["class_uid"].as_u64().expect("class_uid");
        let activity = v["activity_id"].as_u64().expect("activity_id");
        assert!([0, 3001, 3002].contains(&class), "{v}");
        assert_eq!(v["category_uid"].as_u64(), Some(class / 1000));
        assert_eq!(v["type_uid"].as_u64(), Some(class * 100 + activity));
        let millis = e["time"].as_str().and_then(|t| t.parse::<jiff::Timestamp>().ok()).map(|t| t.as_millisecond());
        assert_eq!(v["time"].as_i64(), millis, "{v}");
        if class != 0 {
            require(v, &["user.name"], "ocsf authentication/account change");
        }
        let kind = e["kind"].as_str().unwrap_or_default();
        let expected = match kind {
            "sign-in"
            | "non-interactive-sign-in"
            | "logon"
            | "kerberos-ticket"
            | "kerberos-preauth"
            | "ntlm-validation" => Some(3002),
            "password-change" | "password-reset" | "account-disabled" | "account-enabled" | "lockout"
            | "account-unlocked" | "token-invalidation" => Some(3001),
            _ => None,
        };
        if let Some(want) = expected {
            assert_eq!(class, want, "{kind}: {v}");
        }
    }
    let ocsf_findings = lines(&export.join("ocsf/findings.jsonl"));
    assert_eq!(ocsf_findings.len(), findings.len());
    for (v, f) in ocsf_findings.iter().zip(&findings) {
        require(
            v,
            &["time", "severity_id", "finding_info.uid", "finding_info.title", "finding_info.desc", "evidences"],
            "ocsf finding",
        );
        assert_eq!((v["class_uid"].as_u64(), v["type_uid"].as_u64()), (Some(2004), Some(200401)));
        assert_eq!(v["finding_info"]["uid"], f["id"]);
        assert!(v["evidences"].as_array().is_some_and(|e| e.iter().all(|e| e["data"]["file"].is_string())));
    }
    checked.insert("ocsf".into(), ocsf.len() + ocsf_findings.len());

    // ECS.
    let ecs = lines(&export.join("ecs/events.jsonl"));
    assert_eq!(ecs.len(), events.len());
    for (v, e) in ecs.iter().zip(&events) {
        require(
            v,
            &["@timestamp", "ecs.version", "event.kind", "event.category", "event.action", "log.file.path"],
            "ecs",
        );
        assert!(is_time(&v["@timestamp"]));
        assert_eq!(v["@timestamp"], e["time"]);
        assert_eq!(v["event"]["kind"], "event");
        assert_eq!(v["user"]["name"], e["user"].as_str().map_or_else(|| v["user"]["name"].clone(), Value::from));
        if let Some(ip) = e["ip"].as_str() {
            assert_eq!(v["source"]["ip"], ip);
            assert!(v["related"]["ip"].as_array().is_some_and(|r| r.iter().any(|x| x == ip)));
        }
    }
    let ecs_findings = lines(&export.join("ecs/findings.jsonl"));
    assert_eq!(ecs_findings.len(), findings.len());
    for (v, f) in ecs_findings.iter().zip(&findings) {
        require(v, &["@timestamp", "event.kind", "event.id", "rule.id", "message", "related.user"], "ecs alert");
        assert_eq!(v["event"]["kind"], "alert");
        assert_eq!(v["rule"]["id"], f["rule"]);
    }
    checked.insert("ecs".into(), ecs.len() + ecs_findings.len());

    // Splunk HEC.
    let hec = lines(&export.join("splunk-hec/events.jsonl"));
    assert_eq!(hec.len(), events.len());
    for (v, e) in hec.iter().zip(&events) {
        require(v, &["time", "source", "sourcetype", "event"], "hec");
        assert!(v["time"].is_f64() && v["source"] == "lockscope" && v["sourcetype"] == "lockscope:event");
        assert_eq!(&v["event"], e, "the HEC event is the events.jsonl line");
        assert_eq!(v.get("host"), e.get("host").filter(|h| !h.is_null()));
    }
    let hec_findings = lines(&export.join("splunk-hec/findings.jsonl"));
    assert_eq!(hec_findings.len(), findings.len());
    for (v, f) in hec_findings.iter().zip(&findings) {
        assert!(v["time"].is_number() && v["sourcetype"] == "lockscope:finding");
        assert_eq!(&v["event"], f);
    }
    checked.insert("splunk-hec".into(), hec.len() + hec_findings.len());

    // Sentinel: arrays whose rows hold only declared columns, with values of the declared type.
    let dcr = json_file(&export.join("sentinel/dcr-streams.json"));
    let mut rows_checked = 0;
    for (stream, expected) in [("Custom-LockscopeEvents", events.len()), ("Custom-LockscopeFindings", findings.len())] {
        let columns: BTreeMap<String, String> = dcr["streamDeclarations"][stream]["columns"]
            .as_array()
            .expect("columns")
            .iter()
            .map(|c| (c["name"].as_str().expect("name").into(), c["type"].as_str().expect("type").into()))
            .collect();
        let rows = json_file(&export.join(format!("sentinel/{stream}.json")));
        let rows = rows.as_array().expect("a JSON array");
        assert_eq!(rows.len(), expected, "{stream}");
        for row in rows {
            assert!(is_time(&row["TimeGenerated"]), "{stream}: {row}");
            for (k, v) in row.as_object().expect("row") {
                let kind = columns.get(k).unwrap_or_else(|| panic!("{stream}: undeclared column {k}"));
                let ok = match kind.as_str() {
                    "string" => v.is_string(),
                    "datetime" => is_time(v),
                    "int" | "long" => v.is_i64() || v.is_u64(),
                    "real" => v.is_number(),
                    "boolean" => v.is_boolean(),
                    "dynamic" => v.is_array() || v.is_object(),
                    other => panic!("unknown type {other}"),
                };
                assert!(ok, "{stream}: {k} is not a {kind}: {v}");
            }
        }
        rows_checked += rows.len();
    }
    checked.insert("sentinel".into(), rows_checked);
    checked
}

#[test]
fn every_exported_line_is_valid_json_with_the_required_fields() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Entra exports with hostile names, an Active Directory domain, then a Linux fleet: every
    // kind of event reaches an export.
    let windows = simulate(dir.path(), "ad-mixed", 40, 3);
    let linux = simulate(dir.path(), "linux-mixed", 40, 3);
    for (name, data) in [("mace-mini", fixture()), ("windows", windows), ("linux", linux)] {
        let case = dir.path().join(format!("case-{name}"));
        investigate_all(&data, &case);
        let checked = check_exports(&case);
        assert!(checked.values().all(|n| *n > 0), "{name}: {checked:?}");
    }
}

#[test]
fn exports_and_case_sqlite_are_the_same_bytes_for_any_thread_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = fixture();
    let run = |name: &str, threads: &str| {
        let case = dir.path().join(name);
        let mut args = vec!["--threads", threads, "investigate", data.to_str().expect("utf-8"), "-o"];
        let case_arg = case.to_str().expect("utf-8").to_string();
        args.push(&case_arg);
        args.extend_from_slice(ALL_EXPORTS);
        assert_eq!(lockscope(&args).status.code(), Some(1));
        case
    };
    let one = run("one", "1");
    let two = run("two", "2");
    let mut files = vec![PathBuf::from("case.sqlite")];
    for format in ["ocsf", "ecs", "splunk-hec", "sentinel"] {
        let mut names: Vec<PathBuf> = std::fs::read_dir(one.join("export").join(format))
            .expect("export dir")
            .map(|e| PathBuf::from("export").join(format).join(e.expect("entry").file_name()))
            .collect();
        names.sort();
        files.extend(names);
    }
    assert_eq!(files.len(), 10, "{files:?}");
    for f in files {
        assert!(
            std::fs::read(one.join(&f)).expect("read") == std::fs::read(two.join(&f)).expect("read"),
            "{} differs between runs",
            f.display()
        );
    }
}

#[test]
fn csv_cells_never_start_a_formula() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = dir.path().join("case");
    let out = investigate(&fixture(), &case, &[]);
    assert_eq!(out.status.code(), Some(1));
    let mut reader = csv::Reader::from_path(case.join("affected-users.csv")).expect("csv");
    let mut hostile = 0;
    for record in reader.records() {
        let record = record.expect("record");
        for cell in &record {
            assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "formula cell {cell:?}");
        }
        hostile += usize::from(record.iter().any(|c| c.starts_with("'=cmd")));
    }
    assert_eq!(hostile, 1, "the fixture's `=cmd|…` user is written neutralised");
}

#[test]
fn a_case_without_events_has_the_tables_and_empty_exports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("notes.txt");
    std::fs::write(&input, "nothing a log reader knows\n").expect("write");
    let case = dir.path().join("case");
    let out = investigate(&input, &case, ALL_EXPORTS);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let db = rusqlite::Connection::open(case.join("case.sqlite")).expect("open");
    for table in ["events", "findings", "users", "incidents", "invalidations", "secrets"] {
        let n: i64 = db.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).expect("count");
        assert_eq!(n, 0, "{table}");
    }
    assert!(!case.join("case.sqlite.tmp").exists());
    assert_eq!(read(&case.join("export/ocsf/events.jsonl")), "");
    assert_eq!(read(&case.join("export/sentinel/Custom-LockscopeEvents.json")), "[]\n");
}
