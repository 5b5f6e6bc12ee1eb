//! What `investigate` writes is safe whatever the inputs hold.
//!
//! - Secrets planted in every field of Entra sign-ins and audit records, Windows event XML and
//!   auth.log lines (user and device names, applications, addresses, reasons, ids, times) appear
//!   in no output: not in any file of the case folder (the reports, `case.sqlite`'s bytes, the SIEM
//!   exports, `events.jsonl`), not on stdout or stderr. A value cut short would be a leak too, so
//!   the first 16 characters of each secret are searched as well, ignoring case.
//! - Names taken from the inputs never decide where a file is written: a zip member named
//!   `../../…` makes no file outside the case folder.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::{investigate, lockscope};

const JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1cG4iOiJhbGljZUBjb250b3NvLmNvbSIsIm9pZCI6IjExMDMzY2Y2LTMyOGYtNGExYS1iNjZkLTgyODA3YjBmMmFjYiIsInRpZCI6ImEyMTY0YjhlLWQwNTItNGYxMC04MzUyLWZhNDZmNzYxYTk2NCIsImFwcGlkIjoiMDRiMDc3OTUtOGRkYi00NjFhLWJiZWUtMDJmOWUxYmY3YjQ2IiwiaWF0IjoxNzQ0OTY3MDAwLCJleHAiOjE3NDQ5NzA2MDAsInV0aSI6InhNRmpUVnZKUEUyT0NoSnhfWUUtQUEiLCJzY3AiOiJVc2VyLlJlYWQifQ.c2lnbmF0dXJlLW5vdC1yZWFs";
const GITHUB: &str = "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";
const PASSWORD: &str = "Xk9pQ2mZ7vB4wR";
const STORAGE_KEY: &str = "lJzRc1YdHaAA2KCNJJ1tkYwF/+mKK6Ygw0NGe170Xu592euJv2wYUtBlV8z+qnlcNQSnIYVTkLWntUO1F8j8rQ==";

/// The `i`-th secret alone, where a log field cannot hold a space (a host name).
fn bare(i: usize) -> String {
    match i % 4 {
        0 => JWT.to_string(),
        1 => GITHUB.to_string(),
        2 => format!("password={PASSWORD}"),
        _ => format!("AccountKey={STORAGE_KEY}"),
    }
}

/// The `i`-th planted text: each secret in the context a log would give it.
fn planted(i: usize) -> String {
    match i % 4 {
        0 => format!("Bearer {JWT}"),
        1 => format!("token {GITHUB}"),
        2 => format!("password={PASSWORD}"),
        _ => format!("AccountKey={STORAGE_KEY}"),
    }
}

/// What must appear nowhere: each secret, its distinctive part, and its first 16 characters,
/// lowercased (the search ignores case).
fn needles() -> Vec<String> {
    let payload = JWT.split('.').nth(1).unwrap_or(JWT);
    [JWT, payload, GITHUB, PASSWORD, STORAGE_KEY, "lJzRc1YdHaAA2KCNJJ1tkYwF"]
        .iter()
        .flat_map(|s| [s.to_string(), s.chars().take(16).collect()])
        .chain([payload.chars().skip(40).take(16).collect()])
        .map(|s| s.to_ascii_lowercase())
        .collect()
}

/// The path of every string leaf of a JSON value.
fn leaves(v: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                path.push(json!(k));
                leaves(x, path, out);
                path.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.push(json!(i));
                leaves(x, path, out);
                path.pop();
            }
        }
        Value::String(_) => out.push(path.clone()),
        _ => {}
    }
}

fn set(v: &mut Value, path: &[Value], to: Value) {
    let mut at = v;
    for p in path {
        at = match p {
            Value::String(k) => &mut at[k.as_str()],
            Value::Number(i) => &mut at[i.as_u64().unwrap_or(0) as usize],
            _ => return,
        };
    }
    *at = to;
}

/// A locked-out sign-in (50053) of `user{k}`.
fn signin(k: usize) -> Value {
    json!({
        "id": format!("{k:08}-1111-2222-3333-444455556666"),
        "createdDateTime": format!("2025-04-19T05:{:02}:{:02}Z", k / 60, k % 60),
        "userDisplayName": format!("User {k}"),
        "userPrincipalName": format!("user{k:04}@contoso.com"),
        "userId": format!("{k:08}-aaaa-2222-3333-444455556666"),
        "appId": "de8bc8b5-d9f9-48b1-a8ad-b748da725064",
        "appDisplayName": "Graph Explorer",
        "ipAddress": format!("203.0.113.{}", k % 250 + 1),
        "correlationId": format!("{k:08}-cccc-2222-3333-444455556666"),
        "resourceDisplayName": "Microsoft Graph",
        "userAgent": "Mozilla/5.0",
        "clientAppUsed": "Browser",
        "conditionalAccessStatus": "failure",
        "riskDetail": "none",
        "riskLevelDuringSignIn": "none",
        "riskState": "none",
        "riskEventTypes_v2": ["unfamiliarFeatures"],
        "authenticationRequirement": "singleFactorAuthentication",
        "incomingTokenType": "none",
        "uniqueTokenIdentifier": format!("uti{k}"),
        "sessionId": format!("session-{k}"),
        "originalRequestId": format!("request-{k}"),
        "status": {"errorCode": 50053, "failureReason": "Account is locked.", "additionalDetails": "locked"},
        "deviceDetail": {"deviceId": format!("device-{k}"), "displayName": format!("LAPTOP-{k}"), "operatingSystem": "Windows 10", "browser": "Edge"},
        "location": {"city": "Redmond", "state": "WA", "countryOrRegion": "US"},
        "appliedConditionalAccessPolicies": [{"id": "policy", "displayName": "Block legacy", "result": "failure", "enforcedGrantControls": ["Block"]}],
    })
}

/// An admin's session revocation of `user{k}`.
fn audit(k: usize) -> Value {
    json!({
        "id": format!("Directory_{k}"),
        "category": "UserManagement",
        "correlationId": format!("{k:08}-dddd-2222-3333-444455556666"),
        "result": "success",
        "resultReason": "done",
        "activityDisplayName": "Update user",
        "activityDateTime": format!("2025-04-19T06:{:02}:{:02}Z", k / 60, k % 60),
        "loggedByService": "Core Directory",
        "operationType": "Update",
        "initiatedBy": {"user": {"id": "admin-id", "displayName": "Admin", "userPrincipalName": "admin@contoso.com", "ipAddress": "198.51.100.1"}},
        "targetResources": [{
            "id": format!("target-{k}"), "displayName": "Target", "type": "User", "userPrincipalName": format!("user{k:04}@contoso.com"),
            "modifiedProperties": [{"displayName": "StsRefreshTokensValidFrom", "oldValue": "[]", "newValue": "[\"2025-04-19T06:00:00Z\"]"}],
        }],
        "additionalDetails": [{"key": "UserAgent", "value": "Mozilla/5.0"}],
    })
}

/// One record per string field of `make(0)`, with that field planted, plus one with every field
/// planted; wrapped as diagnostic-settings lines of `category`.
fn plant_json(make: fn(usize) -> Value, category: &str, time_key: &str) -> String {
    let mut paths = Vec::new();
    leaves(&make(0), &mut Vec::new(), &mut paths);
    let line =
        |props: Value, time: &Value| json!({"time": time, "category": category, "properties": props}).to_string();
    let mut out = String::new();
    for (i, path) in paths.iter().enumerate() {
        let mut rec = make(i + 1);
        let time = rec[time_key].clone();
        set(&mut rec, path, json!(planted(i)));
        out.push_str(&line(rec, &time));
        out.push('\n');
    }
    let mut all = make(900);
    let time = all[time_key].clone();
    for (i, path) in paths.iter().enumerate() {
        set(&mut all, path, json!(format!("{} {i}", planted(i))));
    }
    out.push_str(&line(all, &time));
    out.push('\n');
    out
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('\'', "&apos;")
}

/// 4740 lockouts and 4625 failures, each with one field planted (every EventData field, the
/// computer, the record id).
fn plant_xml() -> String {
    let fields = [
        "SubjectUserSid",
        "SubjectUserName",
        "SubjectDomainName",
        "TargetUserSid",
        "TargetUserName",
        "TargetDomainName",
        "Status",
        "FailureReason",
        "SubStatus",
        "LogonType",
        "LogonProcessName",
        "AuthenticationPackageName",
        "WorkstationName",
        "ProcessName",
        "IpAddress",
        "IpPort",
        "CallerComputerName",
    ];
    let mut out = String::new();
    for id in [4740, 4625] {
        for (i, field) in fields.iter().chain(&["Computer", "EventRecordID"]).enumerate() {
            let mut data: Vec<(&str, String)> = fields.iter().map(|f| (*f, "-".to_string())).collect();
            let mut set = |name: &str, v: String| {
                if let Some(d) = data.iter_mut().find(|(n, _)| *n == name) {
                    d.1 = v;
                }
            };
            set("TargetUserName", format!("user{i:04}"));
            set("TargetDomainName", "CONTOSO".into());
            set("Status", "0xc000006d".into());
            set("SubStatus", "0xc000006a".into());
            set("LogonType", "3".into());
            set("IpAddress", format!("10.0.0.{}", i + 1));
            set("WorkstationName", format!("WS{i}"));
            set("CallerComputerName", format!("WS{i}"));
            let (mut computer, mut record) = ("DC01.contoso.local".to_string(), format!("{}", 5000 + i));
            match *field {
                "Computer" => computer = planted(i),
                "EventRecordID" => record = planted(i),
                f => set(f, planted(i)),
            }
            let data: String = data.iter().map(|(n, v)| format!("<Data Name='{n}'>{}</Data>", xml_escape(v))).collect();
            out.push_str(&format!(
                "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing'/><EventID>{id}</EventID><TimeCreated SystemTime='2025-04-19T07:{:02}:{:02}.000Z'/><EventRecordID>{}</EventRecordID><Channel>Security</Channel><Computer>{}</Computer></System><EventData>{data}</EventData></Event>\n",
                id % 60,
                i,
                xml_escape(&record),
                xml_escape(&computer)
            ));
        }
    }
    out
}

/// sshd, PAM, sudo and su lines with the host, the user, the address or the whole message planted.
fn plant_auth_log() -> String {
    let templates = [
        "{time} {host} sshd[{pid}]: Failed password for {user} from {ip} port 40000 ssh2",
        "{time} {host} sshd[{pid}]: Failed password for invalid user {user} from {ip} port 40000 ssh2",
        "{time} {host} sshd[{pid}]: Accepted password for {user} from {ip} port 40000 ssh2",
        "{time} {host} sshd[{pid}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={ip}  user={user}",
        "{time} {host} sudo[{pid}]: {user} : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home ; USER=root ; COMMAND=/bin/ls",
        "{time} {host} su[{pid}]: FAILED SU (to root) {user} on pts/0",
        "{time} {host} sshd[{pid}]: pam_faillock(sshd:auth): Consecutive login failures for user {user} account temporarily locked",
        "{time} {host} sshd[{pid}]: Invalid user {user} from {ip} port 4000",
    ];
    let mut out = String::new();
    let mut n = 0;
    for t in templates {
        for field in ["host", "user", "ip", "message"] {
            let p = planted(n);
            let (host, user, ip) = match field {
                "host" => (bare(n), "bob".to_string(), "203.0.113.9".to_string()),
                "user" => ("web1".to_string(), p, "203.0.113.9".to_string()),
                "ip" => ("web1".to_string(), "bob".to_string(), p),
                _ => ("web1".to_string(), format!("bob {p}"), format!("203.0.113.9 {p}")),
            };
            let line = t
                .replace("{time}", &format!("2025-04-19T08:00:{:02}+00:00", n % 60))
                .replace("{host}", &host)
                .replace("{pid}", &(3000 + n).to_string())
                .replace("{user}", &user)
                .replace("{ip}", &ip);
            out.push_str(&line);
            out.push('\n');
            n += 1;
        }
    }
    out
}

/// Every file under `dir`.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let p = entry.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn secrets_planted_in_every_field_reach_no_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inputs = dir.path().join("inputs");
    std::fs::create_dir_all(&inputs).expect("mkdir");
    std::fs::write(inputs.join("signins.json"), plant_json(signin, "SignInLogs", "createdDateTime")).expect("write");
    std::fs::write(inputs.join("audit.json"), plant_json(audit, "AuditLogs", "activityDateTime")).expect("write");
    std::fs::write(inputs.join("security.xml"), plant_xml()).expect("write");
    std::fs::write(inputs.join("auth.log"), plant_auth_log()).expect("write");
    let case = dir.path().join("case");
    let out = investigate(&inputs, &case, &["--events", "--export", "ocsf,ecs,splunk-hec,sentinel", "-vv"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{stderr}");
    // The planted records were read: the test means something only if they reached the outputs.
    let events = std::fs::read_to_string(case.join("events.jsonl")).expect("events.jsonl");
    assert!(events.lines().count() > 150, "{stdout}");
    assert!(events.contains("[REDACTED:github-token:") && events.contains("[REDACTED:jwt:"), "nothing was redacted");
    let affected = std::fs::read_to_string(case.join("affected-users.jsonl")).expect("affected");
    assert!(affected.lines().count() > 20, "few affected users: {stdout}");

    let mut written = Vec::new();
    files(&case, &mut written);
    for want in ["report.html", "report.md", "case.sqlite", "events.jsonl", "export"] {
        assert!(written.iter().any(|p| p.to_string_lossy().contains(want)), "{want} not written");
    }
    let mut leaks = Vec::new();
    let texts = written
        .iter()
        .map(|p| (p.display().to_string(), std::fs::read(p).expect("read")))
        .chain([("stdout".to_string(), out.stdout.clone()), ("stderr".to_string(), out.stderr.clone())]);
    for (name, bytes) in texts {
        let lower = String::from_utf8_lossy(&bytes).to_ascii_lowercase();
        for needle in needles() {
            if let Some(at) = lower.find(&needle) {
                let from = lower[..at].char_indices().rev().nth(60).map_or(0, |(i, _)| i);
                let context: String = lower[from..].chars().take(160).collect();
                leaks.push(format!("{name}: {needle:?} in …{context}…"));
            }
        }
    }
    assert!(leaks.is_empty(), "{} leaks:\n{}", leaks.len(), leaks.join("\n"));
}

#[test]
fn names_from_the_inputs_never_place_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inputs = dir.path().join("a/b/inputs");
    std::fs::create_dir_all(&inputs).expect("mkdir");
    let zipped = inputs.join("export.zip");
    let mut zw = zip::ZipWriter::new(std::fs::File::create(&zipped).expect("create"));
    let opts = zip::write::SimpleFileOptions::default();
    let line = "{\"id\":\"1\",\"createdDateTime\":\"2025-04-19T05:00:00Z\",\"userPrincipalName\":\"a@contoso.com\",\"appId\":\"x\",\"ipAddress\":\"10.0.0.1\",\"status\":{\"errorCode\":50053}}\n";
    for name in
        ["../../escaped.json", "/tmp/absolute.json", "..\\..\\windows.json", "ok/../../../up.json", "<script>.json"]
    {
        zw.start_file(name, opts).expect("zip");
        std::io::Write::write_all(&mut zw, line.as_bytes()).expect("zip");
    }
    zw.finish().expect("zip");
    let case = dir.path().join("a/b/case");
    let before = snapshot(dir.path());
    let out = investigate(&inputs, &case, &["--events", "--export", "ocsf,ecs,splunk-hec,sentinel"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(case.join("case.json")).expect("case.json")).expect("json");
    assert_eq!(manifest["totals"]["events"], 5, "every member is read, under its archive's name");
    // Nothing new outside the case folder; the inputs are untouched.
    let after = snapshot(dir.path());
    let new: Vec<&String> = after.iter().filter(|p| !before.contains(p) && !p.starts_with("a/b/case/")).collect();
    assert!(new.is_empty(), "files written outside the case folder: {new:?}");
    assert!(!Path::new("/tmp/absolute.json").exists() || before_tmp_existed());
    // The member names are shown as data, escaped where they are shown.
    let html = std::fs::read_to_string(case.join("report.html")).expect("html");
    assert!(!html.contains("<script>.json") && html.contains("&lt;script&gt;.json"), "unescaped member name");
    let names: Vec<&str> =
        manifest["inputs"].as_array().into_iter().flatten().filter_map(|f| f["file"].as_str()).collect();
    assert!(names.iter().any(|n| n.ends_with("export.zip!../../escaped.json")), "{names:?}");
    // And the exports keep the names as data, with the case folder as the only place written.
    let listed = lockscope(&["investigate", inputs.to_str().expect("utf-8"), "-o", case.to_str().expect("utf-8")]);
    assert_eq!(listed.status.code(), Some(1));
}

/// Whether `/tmp/absolute.json` existed before the test (another program's file).
fn before_tmp_existed() -> bool {
    std::fs::metadata("/tmp/absolute.json")
        .is_ok_and(|m| m.modified().is_ok_and(|t| t.elapsed().is_ok_and(|e| e.as_secs() > 60)))
}

/// Every path under `root`, relative, with `/` separators.
fn snapshot(root: &Path) -> Vec<String> {
    let mut all = Vec::new();
    files(root, &mut all);
    let mut dirs: Vec<String> =
        all.iter().map(|p| p.strip_prefix(root).unwrap_or(p).to_string_lossy().replace('\\', "/")).collect();
    dirs.sort();
    dirs
}
