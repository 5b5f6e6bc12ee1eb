//! Damaged, hostile and huge inputs, end to end through the binary.
//!
//! Every source family gets good records, generated here, and damaged copies of them, made at test
//! time in a temporary folder: cut inside a record, cut inside a UTF-8 sequence, invalid UTF-8 in
//! a record, a cut gzip and zstd stream, an empty file, a misleading extension, ragged CSV with
//! line breaks in quoted cells, nesting 100,000 deep, a line of 256 MiB (1 GiB with
//! `LOCKSCOPE_BIG_TESTS=1`), a decompression bomb, a folder that loops through symbolic links, an
//! unreadable file, and EVTX files with damaged chunk headers and records. For each:
//!
//! - the exit status is 0, 1 or 2, and 2 with `--strict` exactly when something was unreadable;
//! - nothing panics, and the run ends within a minute (the child is killed and the test fails
//!   otherwise);
//! - the summary names the damaged file, and the position of the damage is reported;
//! - every good record around the damage is still read.

// Skipped checks say so, and the damage table is printed for `--nocapture` readers.
#![allow(clippy::print_stderr)]

use std::io::{Cursor, Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The longest any run may take.
const LIMIT: Duration = Duration::from_secs(60);

/// Good records per family in the small files.
const N: usize = 40;

/// Good records per family in the files that are compressed and then cut (several compressed
/// blocks, so that a cut stream still holds whole records).
const N_BIG: usize = 2000;

// ---------------------------------------------------------------------------------------------
// Running the binary under a watchdog

/// One watched run of the binary.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
    /// The child's peak resident memory, in KiB, when the platform tells.
    peak_kib: Option<u64>,
}

/// The peak resident memory of a running process (Linux `VmHWM`).
fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `lockscope args`, feeding `stdin` if given; kills it and fails the test after [`LIMIT`].
fn run(args: &[&str], stdin: Option<Box<dyn Read + Send>>) -> Run {
    run_as(args, stdin, None)
}

/// [`run`], as user `uid` (and its group) if given.
fn run_as(args: &[&str], stdin: Option<Box<dyn Read + Send>>, uid: Option<u32>) -> Run {
    let start = Instant::now();
    let mut command = Command::new(env!("CARGO_BIN_EXE_lockscope"));
    #[cfg(unix)]
    if let Some(uid) = uid {
        std::os::unix::process::CommandExt::uid(&mut command, uid);
        std::os::unix::process::CommandExt::gid(&mut command, uid);
    }
    #[cfg(not(unix))]
    let _ = uid;
    let child = command
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("LOCKSCOPE_FINGERPRINT_KEY")
        .env_remove("LOCKSCOPE_LOG")
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        // Switching user may be refused (a sandbox without the capability): the caller skips.
        Err(e) if uid.is_some() => {
            let stderr = format!("Operation not permitted: {e}");
            return Run { code: None, stdout: String::new(), stderr, elapsed: start.elapsed(), peak_kib: None };
        }
        Err(e) => panic!("spawn lockscope: {e}"),
    };
    let feeder = stdin.map(|mut source| {
        let mut sink = child.stdin.take().expect("stdin");
        // The child may stop reading early (and exit): a broken pipe ends the copy.
        std::thread::spawn(move || std::io::copy(&mut source, &mut sink).is_ok())
    });
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut text);
            }
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let pid = child.id();
    let mut peak = None;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for lockscope") {
            break status;
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("lockscope {args:?} ran for more than {LIMIT:?}: killed (a hang)");
        }
        peak = peak.max(peak_kib(pid));
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    if let Some(f) = feeder {
        let _ = f.join();
    }
    Run {
        code: status.code(),
        stdout: stdout.join().expect("stdout"),
        stderr: stderr.join().expect("stderr"),
        elapsed,
        peak_kib: peak,
    }
}

/// What every run must be: exit 0, 1 or 2, no panic, within the limit.
fn sane(r: &Run, what: &str) {
    assert!(matches!(r.code, Some(0..=2)), "{what}: exit status {:?}\n{}", r.code, r.stderr);
    for text in [&r.stdout, &r.stderr] {
        assert!(!text.contains("panicked at"), "{what}: a panic\n{text}");
    }
    assert!(r.elapsed < LIMIT, "{what}: took {:?}", r.elapsed);
}

/// `investigate paths… -o case extra…`, checked sane; returns the run and `case.json`.
fn investigate(paths: &[&Path], case: &Path, extra: &[&str]) -> (Run, Value) {
    let mut args = vec!["investigate"];
    args.extend(paths.iter().map(|p| p.to_str().expect("utf-8 path")));
    args.extend(["-o", case.to_str().expect("utf-8 path")]);
    args.extend_from_slice(extra);
    let r = run(&args, None);
    sane(&r, &format!("{args:?}"));
    let manifest = std::fs::read_to_string(case.join("case.json"))
        .unwrap_or_else(|e| panic!("{args:?}: case.json: {e}\n{}", r.stderr));
    (r, serde_json::from_str(&manifest).expect("case.json is JSON"))
}

/// The report of the input whose name ends with `name` in `case.json`.
fn input<'a>(manifest: &'a Value, name: &str) -> &'a Value {
    manifest["inputs"]
        .as_array()
        .and_then(|inputs| inputs.iter().find(|f| f["file"].as_str().is_some_and(|n| n.ends_with(name))))
        .unwrap_or_else(|| panic!("{name} is not among the inputs: {:#}", manifest["inputs"]))
}

fn count(report: &Value, key: &str) -> u64 {
    report[key].as_u64().unwrap_or_else(|| panic!("no {key} in {report}"))
}

/// Where a report says the damage is: the first unreadable record's position, or a whole-file
/// problem that names one.
fn position(report: &Value) -> Option<String> {
    if let Some(origin) = report["errors"].as_array().and_then(|e| e.first()).map(|e| &e["origin"]) {
        for key in ["line", "record", "offset"] {
            if let Some(n) = origin[key].as_u64() {
                return Some(format!("{key} {n}"));
            }
        }
    }
    let problem = report["problem"].as_str()?;
    ["line", "record", "offset", "byte"].iter().any(|k| problem.contains(k)).then(|| problem.to_string())
}

// ---------------------------------------------------------------------------------------------
// Good inputs, one event per record

/// A good input: its bytes and the byte range of each record (one event each).
struct Good {
    bytes: Vec<u8>,
    records: Vec<Range<usize>>,
    /// A place inside each record, in a text field (its user name).
    inside: Vec<usize>,
}

impl Good {
    fn build(prefix: &[u8], records: impl Iterator<Item = Vec<u8>>, separator: &[u8], suffix: &[u8]) -> Self {
        let mut g = Good { bytes: prefix.to_vec(), records: Vec::new(), inside: Vec::new() };
        for (k, r) in records.enumerate() {
            if k > 0 {
                g.bytes.extend_from_slice(separator);
            }
            let start = g.bytes.len();
            g.bytes.extend_from_slice(&r);
            g.records.push(start..g.bytes.len());
            let marker = format!("user{k:04}");
            let at = r.windows(marker.len()).position(|w| w == marker.as_bytes()).map_or(r.len() / 2, |p| p + 2);
            g.inside.push(start + at);
        }
        g.bytes.extend_from_slice(suffix);
        g
    }

    /// The records wholly inside the first `len` bytes (with at least one byte after each).
    fn whole_before(&self, len: usize) -> usize {
        self.records.iter().filter(|r| r.end < len).count()
    }
}

fn time(k: usize) -> String {
    format!("2025-04-19T05:{:02}:{:02}Z", k / 60, k % 60)
}

fn ip(k: usize) -> String {
    format!("203.0.{}.{}", 113 + k / 250, k % 250 + 1)
}

/// A Graph `signIn` failure of `user{k}`.
fn signin(k: usize) -> Value {
    json!({
        "id": format!("{k:08}-1111-2222-3333-444455556666"),
        "createdDateTime": time(k),
        "userDisplayName": format!("User {k}"),
        "userPrincipalName": format!("user{k:04}@contoso.com"),
        "userId": format!("{k:08}-aaaa-2222-3333-444455556666"),
        "appId": "de8bc8b5-d9f9-48b1-a8ad-b748da725064",
        "appDisplayName": "Graph Explorer",
        "ipAddress": ip(k),
        "correlationId": format!("{k:08}-cccc-2222-3333-444455556666"),
        "status": {"errorCode": 50126, "failureReason": "Invalid username or password."},
        "deviceDetail": {"deviceId": "", "displayName": format!("LAPTOP-{k}"), "operatingSystem": "Windows 10"},
        "location": {"city": "Redmond", "countryOrRegion": "US"},
    })
}

fn entra_lines(n: usize) -> Good {
    let line = |k: usize| {
        json!({"time": time(k), "category": "SignInLogs", "operationName": "Sign-in activity", "resultType": "50126", "properties": signin(k)})
            .to_string()
            .into_bytes()
    };
    Good::build(b"", (0..n).map(line), b"\n", b"\n")
}

fn graph_page(n: usize) -> Good {
    let prefix =
        b"{\"@odata.context\": \"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns\", \"value\": [\n";
    Good::build(prefix, (0..n).map(|k| signin(k).to_string().into_bytes()), b",\n", b"\n]}\n")
}

/// A CSV line, every cell quoted.
fn csv_line(cells: &[String]) -> Vec<u8> {
    cells.iter().map(|c| format!("\"{}\"", c.replace('"', "\"\""))).collect::<Vec<_>>().join(",").into_bytes()
}

fn log_analytics_csv(n: usize) -> Good {
    let header = "TenantId,TimeGenerated,OperationName,Category,ResultType,ResultDescription,CorrelationId,AppDisplayName,AppId,CreatedDateTime,DeviceDetail,Id,IPAddress,LocationDetails,Status,UserDisplayName,UserId,UserPrincipalName,Type\r\n";
    let row = |k: usize| {
        let s = signin(k);
        let text = |key: &str| s[key].as_str().unwrap_or_default().to_string();
        csv_line(&[
            "t".into(),
            time(k),
            "Sign-in activity".into(),
            "SignInLogs".into(),
            "50126".into(),
            "Invalid username or password.".into(),
            text("correlationId"),
            text("appDisplayName"),
            text("appId"),
            time(k),
            s["deviceDetail"].to_string(),
            text("id"),
            text("ipAddress"),
            s["location"].to_string(),
            s["status"].to_string(),
            text("userDisplayName"),
            text("userId"),
            text("userPrincipalName"),
            "SigninLogs".into(),
        ])
    };
    Good::build(header.as_bytes(), (0..n).map(row), b"\r\n", b"\r\n")
}

fn portal_csv(n: usize) -> Good {
    let header = [
        "Date (UTC)",
        "Request ID",
        "User ID",
        "User",
        "Username",
        "Application",
        "Application ID",
        "IP address",
        "Location",
        "Status",
        "Sign-in error code",
        "Failure reason",
        "Client app",
        "Device ID",
        "Operating System",
    ];
    let mut prefix = "\u{feff}".as_bytes().to_vec();
    prefix.extend(csv_line(&header.map(String::from)));
    prefix.extend_from_slice(b"\r\n");
    let row = |k: usize| {
        let s = signin(k);
        let text = |key: &str| s[key].as_str().unwrap_or_default().to_string();
        csv_line(&[
            time(k),
            text("id"),
            text("userId"),
            text("userDisplayName"),
            text("userPrincipalName"),
            text("appDisplayName"),
            text("appId"),
            text("ipAddress"),
            "Redmond, Washington, US".into(),
            "Failure".into(),
            "50126".into(),
            "Invalid username or password.".into(),
            "Browser".into(),
            String::new(),
            "Windows 10".into(),
        ])
    };
    Good::build(&prefix, (0..n).map(row), b"\r\n", b"\r\n")
}

/// A 4625 as `wevtutil qe /f:xml` writes it.
fn event_xml_record(k: usize) -> Vec<u8> {
    format!(
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='{{54849625-5478-4994-a5ba-3e3b0328c30d}}'/><EventID>4625</EventID><Version>0</Version><Level>0</Level><Task>12544</Task><Opcode>0</Opcode><Keywords>0x8010000000000000</Keywords><TimeCreated SystemTime='{}'/><EventRecordID>{}</EventRecordID><Correlation/><Execution ProcessID='600' ThreadID='700'/><Channel>Security</Channel><Computer>DC01.contoso.local</Computer><Security/></System><EventData><Data Name='SubjectUserSid'>S-1-0-0</Data><Data Name='TargetUserName'>user{k:04}</Data><Data Name='TargetDomainName'>CONTOSO</Data><Data Name='Status'>0xc000006d</Data><Data Name='FailureReason'>%%2313</Data><Data Name='SubStatus'>0xc000006a</Data><Data Name='LogonType'>3</Data><Data Name='LogonProcessName'>NtLmSsp </Data><Data Name='AuthenticationPackageName'>NTLM</Data><Data Name='WorkstationName'>WS{k}</Data><Data Name='IpAddress'>{}</Data><Data Name='IpPort'>445</Data></EventData></Event>",
        time(k).replace('Z', ".000000000Z"),
        1000 + k,
        ip(k)
    )
    .into_bytes()
}

fn event_xml(n: usize) -> Good {
    Good::build(b"", (0..n).map(event_xml_record), b"\n", b"\n")
}

fn event_json(n: usize) -> Good {
    let line = |k: usize| {
        json!({
            "@timestamp": time(k),
            "event": {"code": "4625"},
            "winlog": {
                "channel": "Security", "computer_name": "DC01.contoso.local", "event_id": 4625,
                "provider_name": "Microsoft-Windows-Security-Auditing", "record_id": 1000 + k,
                "event_data": {
                    "TargetUserName": format!("user{k:04}"), "TargetDomainName": "CONTOSO", "Status": "0xc000006d",
                    "SubStatus": "0xc000006a", "LogonType": "3", "WorkstationName": format!("WS{k}"), "IpAddress": ip(k), "IpPort": "445",
                },
            },
        })
        .to_string()
        .into_bytes()
    };
    Good::build(b"", (0..n).map(line), b"\n", b"\n")
}

fn auth_log(n: usize) -> Good {
    let line = |k: usize| {
        format!(
            "2025-04-19T05:{:02}:{:02}+00:00 web1 sshd[{}]: Failed password for user{k:04} from {} port 40000 ssh2",
            k / 60,
            k % 60,
            2000 + k,
            ip(k)
        )
        .into_bytes()
    };
    Good::build(b"", (0..n).map(line), b"\n", b"\n")
}

fn journal_json(n: usize) -> Good {
    let line = |k: usize| {
        json!({
            "__CURSOR": format!("s=1;i={k}"), "__REALTIME_TIMESTAMP": ((1_745_038_800 + k as u64) * 1_000_000).to_string(),
            "_TRANSPORT": "syslog", "SYSLOG_IDENTIFIER": "sshd", "SYSLOG_PID": (2000 + k).to_string(), "_PID": (2000 + k).to_string(),
            "_COMM": "sshd", "_HOSTNAME": "web1",
            "MESSAGE": format!("Failed password for user{k:04} from {} port 40000 ssh2", ip(k)),
        })
        .to_string()
        .into_bytes()
    };
    Good::build(b"", (0..n).map(line), b"\n", b"\n")
}

/// pam_faillock records: 52-byte source, reserved, status (valid, rhost), time.
fn faillock(n: usize) -> Good {
    let rec = |k: usize| {
        let mut r = vec![0u8; 64];
        let source = ip(k);
        r[..source.len()].copy_from_slice(source.as_bytes());
        r[54..56].copy_from_slice(&3u16.to_le_bytes());
        r[56..64].copy_from_slice(&(1_745_038_800 + 30 * k as u64).to_le_bytes());
        r
    };
    let mut g = Good::build(b"", (0..n).map(rec), b"", b"");
    // Inside each record's source text.
    g.inside = g.records.iter().map(|r| r.start + 4).collect();
    g
}

/// A source family: how to make good input of it, and which damage applies.
#[derive(Clone, Copy)]
struct Family {
    name: &'static str,
    /// Its usual extension, and a misleading one.
    ext: &'static str,
    wrong_ext: &'static str,
    make: fn(usize) -> Good,
    /// Whether a cut last record is always detectable (a syslog line cut short is still a line).
    cut_detectable: bool,
}

const FAMILIES: [Family; 9] = [
    Family { name: "entra-lines", ext: "json", wrong_ext: "evtx", make: entra_lines, cut_detectable: true },
    Family { name: "graph-page", ext: "json", wrong_ext: "csv", make: graph_page, cut_detectable: true },
    Family { name: "la-csv", ext: "csv", wrong_ext: "evtx", make: log_analytics_csv, cut_detectable: true },
    Family { name: "portal-csv", ext: "csv", wrong_ext: "json", make: portal_csv, cut_detectable: true },
    Family { name: "event-xml", ext: "xml", wrong_ext: "csv", make: event_xml, cut_detectable: true },
    Family { name: "event-json", ext: "json", wrong_ext: "xml", make: event_json, cut_detectable: true },
    Family { name: "auth-log", ext: "log", wrong_ext: "json", make: auth_log, cut_detectable: false },
    Family { name: "journal-json", ext: "json", wrong_ext: "log", make: journal_json, cut_detectable: true },
    Family { name: "faillock", ext: "tally", wrong_ext: "xml", make: faillock, cut_detectable: true },
];

// ---------------------------------------------------------------------------------------------
// Damage

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip")
}

/// How many bytes a damaged stream gives before its decoder fails.
fn readable_prefix(mut decoder: impl Read) -> usize {
    let mut total = 0;
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(n) = decoder.read(&mut buf) {
        if n == 0 {
            break;
        }
        total += n;
    }
    total
}

/// A damaged file and what must hold for it.
struct Case {
    file: String,
    bytes: Vec<u8>,
    /// At least this many events must be read from it.
    min_events: usize,
    /// At most this many (a damaged record must not turn into more events).
    max_events: usize,
    /// Whether the damage must be reported with its position.
    reported: bool,
}

/// The damaged copies of a family's good input.
fn damaged(f: &Family) -> Vec<Case> {
    let good = (f.make)(N);
    let k = N / 2;
    let at = good.inside[k];
    let name = |what: &str, ext: &str| format!("{}-{what}.{ext}", f.name);
    let mut cases = vec![
        Case {
            file: name("cut-in-record", f.ext),
            bytes: good.bytes[..at].to_vec(),
            min_events: k,
            max_events: k + 1,
            reported: f.cut_detectable,
        },
        Case {
            file: name("cut-in-utf8", f.ext),
            // The first byte of `é`, and nothing after it.
            bytes: [&good.bytes[..at], &[0xc3][..]].concat(),
            min_events: k,
            max_events: k + 1,
            reported: f.cut_detectable,
        },
        Case {
            file: name("invalid-utf8", f.ext),
            // Overwritten, not inserted, so that fixed-size binary records stay aligned.
            bytes: [&good.bytes[..at], &[0xff, 0xfe, 0xc3, 0x28][..], &good.bytes[at + 4..]].concat(),
            min_events: N - 1,
            max_events: N,
            reported: false,
        },
    ];
    // Nesting 100,000 deep where the family nests: a JSON record, a JSON cell, XML elements.
    let deep_json = [&b"["[..]].repeat(100_000).concat();
    let deep = match f.name {
        "entra-lines" | "event-json" | "journal-json" => {
            let line = good.records[k].start;
            Some([&good.bytes[..line], &deep_json, b"\n", &good.bytes[line..]].concat())
        }
        "graph-page" => {
            let closed = [deep_json.clone(), b"]".repeat(100_000), b",\n".to_vec()].concat();
            let first = good.records[0].start;
            Some([&good.bytes[..first], &closed, &good.bytes[first..]].concat())
        }
        "la-csv" => {
            // The Status cell (JSON text) of record k.
            let text = String::from_utf8_lossy(&good.bytes).into_owned();
            let status = "\"{\"\"errorCode\"\":50126";
            let from = good.records[k].start;
            let p = from + text[from..].find(status).expect("status cell");
            Some([&good.bytes[..p + 1], &deep_json, &good.bytes[p + 1..]].concat())
        }
        "event-xml" => {
            let p = good.inside[k] - 2;
            let open = "<x>".repeat(100_000);
            let close = "</x>".repeat(100_000);
            Some([&good.bytes[..p], open.as_bytes(), close.as_bytes(), &good.bytes[p..]].concat())
        }
        _ => None,
    };
    if let Some(bytes) = deep {
        // A JSON record nested too deep is unreadable. A JSON cell of a CSV row that cannot be
        // decoded is read as text, and XML nesting is streamed without recursion: those rows and
        // events are read whole.
        let (min_events, reported) = match f.name {
            "la-csv" | "event-xml" => (N, false),
            _ => (N - 1, true),
        };
        cases.push(Case { file: name("deep", f.ext), bytes, min_events, max_events: N, reported });
    }
    // Ragged CSV rows (one with extra cells, one short) and line breaks in quoted cells.
    if f.ext == "csv" {
        let mut bytes = good.bytes[..good.records[5].start].to_vec();
        let row = |k: usize| good.bytes[good.records[k].clone()].to_vec();
        bytes.extend(row(5));
        bytes.extend_from_slice(b",\"extra\",\"cells\"\r\n");
        bytes.extend_from_slice(b"\"short\",\"row\"\r\n");
        let multi = String::from_utf8_lossy(&row(6))
            .replace("Invalid username or password.", "Invalid\r\nusername\nor \"\"password\"\".");
        bytes.extend_from_slice(multi.as_bytes());
        bytes.extend_from_slice(&good.bytes[good.records[6].end..]);
        // Records 5 (with extra cells) is unreadable; the short row is not an event; 6 spans lines.
        cases.push(Case { file: name("ragged", f.ext), bytes, min_events: N - 1, max_events: N, reported: true });
    }
    // Cut compressed streams, from a larger input (several blocks, so whole records survive).
    let big = (f.make)(N_BIG);
    let gz = gzip(&big.bytes);
    let gz = gz[..gz.len() * 6 / 10].to_vec();
    let survive = big.whole_before(readable_prefix(flate2::read::MultiGzDecoder::new(&gz[..]))).saturating_sub(1);
    cases.push(Case {
        file: name("cut", &format!("{}.gz", f.ext)),
        bytes: gz,
        min_events: survive,
        max_events: N_BIG,
        reported: true,
    });
    let zst = zstd::encode_all(&big.bytes[..], 3).expect("zstd");
    let zst = zst[..zst.len() * 6 / 10].to_vec();
    let decoded = zstd::stream::read::Decoder::new(&zst[..]).map_or(0, readable_prefix);
    let survive = big.whole_before(decoded).saturating_sub(1);
    cases.push(Case {
        file: name("cut", &format!("{}.zst", f.ext)),
        bytes: zst,
        min_events: survive,
        max_events: N_BIG,
        reported: true,
    });
    cases
}

/// Inputs that are not damaged, only odd: they must read in full, and `--strict` must accept them.
fn clean(f: &Family) -> Vec<Case> {
    let good = (f.make)(N);
    vec![
        Case {
            file: format!("{}-misleading-name.{}", f.name, f.wrong_ext),
            bytes: good.bytes.clone(),
            min_events: N,
            max_events: N + N,
            reported: false,
        },
        Case {
            file: format!("{}-empty.{}", f.name, f.ext),
            bytes: Vec::new(),
            min_events: 0,
            max_events: 0,
            reported: false,
        },
    ]
}

/// Checks one input of a run against what its case requires.
fn check(manifest: &Value, summary: &str, c: &Case, family: &str) {
    let r = input(manifest, &c.file);
    let what = format!("{family}: {}: {r:#}", c.file);
    let events = count(r, "events") as usize;
    // Faillock lockouts are reconstructed events on top of one event per record.
    let extra = if family == "faillock" { events.div_ceil(3) } else { 0 };
    assert!(events >= c.min_events, "{what}\n{events} events, at least {} expected (good records lost)", c.min_events);
    assert!(events <= c.max_events + extra, "{what}\n{events} events, at most {} expected", c.max_events + extra);
    if c.reported {
        let pos = position(r).unwrap_or_else(|| panic!("{what}\nthe damage is not reported with a position"));
        assert!(summary.contains(&c.file), "{what}\nthe summary does not name the file ({pos}):\n{summary}");
    }
}

#[test]
fn damaged_inputs_of_every_family_keep_their_good_records() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut table = Vec::new();
    for f in &FAMILIES {
        // Good input first: every record is one event (the generators are right).
        let good_dir = dir.path().join(format!("{}-good", f.name));
        std::fs::create_dir_all(&good_dir).expect("mkdir");
        let good = good_dir.join(format!("good.{}", f.ext));
        std::fs::write(&good, (f.make)(N).bytes).expect("write");
        let (_, manifest) = investigate(&[&good], &dir.path().join(format!("{}-good-case", f.name)), &["--strict"]);
        let r = input(&manifest, &format!("good.{}", f.ext));
        // (A faillock tally also gives the lockouts its failures add up to.)
        let lockouts = if f.name == "faillock" { 1 } else { 0 };
        let got = (count(r, "records"), count(r, "events"), count(r, "unreadable"));
        assert_eq!(got, (N as u64, (N + lockouts) as u64, 0), "{}: {r:#}", f.name);

        // The damaged copies, all in one folder, read leniently and then with --strict.
        let bad_dir = dir.path().join(format!("{}-damaged", f.name));
        std::fs::create_dir_all(&bad_dir).expect("mkdir");
        let cases = damaged(f);
        for c in &cases {
            std::fs::write(bad_dir.join(&c.file), &c.bytes).expect("write");
        }
        let case_dir = dir.path().join(format!("{}-damaged-case", f.name));
        let (lenient, manifest) = investigate(&[&bad_dir], &case_dir, &[]);
        assert_ne!(lenient.code, Some(2), "{}: lenient mode fails only on errors\n{}", f.name, lenient.stderr);
        for c in &cases {
            check(&manifest, &lenient.stdout, c, f.name);
            let r = input(&manifest, &c.file);
            table.push(format!(
                "{:<40} {:>5} events {:>3} unreadable  {}",
                c.file,
                count(r, "events"),
                count(r, "unreadable"),
                position(r).or_else(|| r["skipped"].as_str().map(str::to_string)).unwrap_or_default()
            ));
        }
        let (strict, _) = investigate(&[&bad_dir], &case_dir, &["--strict"]);
        assert_eq!(strict.code, Some(2), "{}: --strict with unreadable records\n{}", f.name, strict.stderr);
        assert!(strict.stderr.contains("--strict"), "{}", strict.stderr);

        // Odd but undamaged inputs: read in full, and accepted by --strict.
        let odd_dir = dir.path().join(format!("{}-odd", f.name));
        std::fs::create_dir_all(&odd_dir).expect("mkdir");
        let cases = clean(f);
        for c in &cases {
            std::fs::write(odd_dir.join(&c.file), &c.bytes).expect("write");
        }
        let (strict, manifest) =
            investigate(&[&odd_dir], &dir.path().join(format!("{}-odd-case", f.name)), &["--strict"]);
        assert_ne!(strict.code, Some(2), "{}: --strict rejects undamaged input\n{}", f.name, strict.stderr);
        for c in &cases {
            check(&manifest, &strict.stdout, c, f.name);
        }
        let empty = input(&manifest, &cases[1].file);
        assert_eq!(empty["skipped"], "empty", "{empty:#}");
    }
    eprintln!("damaged inputs:\n{}", table.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// One line of 256 MiB (1 GiB with LOCKSCOPE_BIG_TESTS=1), through stdin and through a sparse file

/// The size of the huge line.
fn huge() -> u64 {
    if std::env::var_os("LOCKSCOPE_BIG_TESTS").is_some_and(|v| v == "1") { 1 << 30 } else { 256 << 20 }
}

/// `n` bytes of `byte`, without holding them.
struct Filler {
    left: u64,
    byte: u8,
}

impl Read for Filler {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        buf[..n].fill(self.byte);
        self.left -= n as u64;
        Ok(n)
    }
}

#[test]
fn a_huge_line_in_any_family_is_reported_and_memory_stays_bounded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let size = huge();
    for f in &FAMILIES {
        let good = (f.make)(N);
        let k = N / 2;
        let at = good.inside[k];
        // Record k's user name becomes a huge run of text, inside its line, string or cell.
        let stream = Cursor::new(good.bytes[..at].to_vec())
            .chain(Filler { left: size, byte: b'x' })
            .chain(Cursor::new(good.bytes[at..].to_vec()));
        let case = dir.path().join(f.name);
        let r =
            run(&["investigate", "-", "-o", case.to_str().expect("utf-8"), "--format", "json"], Some(Box::new(stream)));
        sane(&r, f.name);
        let manifest: Value =
            serde_json::from_str(&std::fs::read_to_string(case.join("case.json")).expect("case.json")).expect("json");
        let report = input(&manifest, "-");
        let what = format!("{}: {report:#}", f.name);
        let min = if f.name == "faillock" { k } else { N - 1 };
        assert!(count(report, "events") as usize >= min, "{what}");
        assert!(position(report).is_some(), "{what}: not reported");
        if let Some(peak) = r.peak_kib {
            assert!(peak < 700 * 1024, "{what}: {peak} KiB resident for a {size}-byte line");
        }
        eprintln!(
            "{:<14} {size}-byte line: {:?}, peak {:?} KiB, {}",
            f.name,
            r.elapsed,
            r.peak_kib,
            position(report).unwrap_or_default()
        );
    }
}

#[test]
fn a_huge_sparse_line_in_a_file_is_read_and_scanned_in_bounded_memory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = auth_log(N);
    let at = good.inside[N / 2];
    let path = dir.path().join("auth.log");
    let mut file = std::fs::File::create(&path).expect("create");
    file.write_all(&good.bytes[..at]).expect("write");
    // A hole: NUL bytes that take no disk space, read by the parser and the secret scanner.
    let hole = i64::try_from(huge()).expect("size");
    std::io::Seek::seek(&mut file, std::io::SeekFrom::Current(hole)).expect("seek");
    file.write_all(&good.bytes[at..]).expect("write");
    drop(file);
    let case = dir.path().join("case");
    let (r, manifest) = investigate(&[&path], &case, &[]);
    let report = input(&manifest, "auth.log");
    assert_eq!(count(report, "events"), (N - 1) as u64, "{report:#}");
    assert_eq!(report["errors"][0]["origin"]["line"], (N / 2 + 1) as u64, "{report:#}");
    assert!(report["errors"][0]["reason"].as_str().is_some_and(|e| e.starts_with("line longer than")), "{report:#}");
    if let Some(peak) = r.peak_kib {
        assert!(peak < 700 * 1024, "{peak} KiB resident");
    }
}

// ---------------------------------------------------------------------------------------------
// EVTX: damaged chunk headers and records, cut files

/// Each damaged copy of an EVTX file, with what must hold: (name, bytes, events at least,
/// events + unreadable at least, note or error expected).
fn evtx_damage(bytes: &[u8], chunk: usize, reference: usize) -> Vec<(String, Vec<u8>, usize, usize, &'static str)> {
    let c = 4096 + chunk * 65536;
    let mut out = Vec::new();
    let mut magic = bytes.to_vec();
    magic[c..c + 8].copy_from_slice(b"XXXXXXXX");
    out.push(("chunk-magic.evtx".into(), magic, reference, reference, "damaged header magic ignored"));
    let mut tables = bytes.to_vec();
    tables[c + 0x80..c + 0x200].fill(0xff);
    out.push(("chunk-tables.evtx".into(), tables, 0, reference, "records lost"));
    let mut header = bytes.to_vec();
    header[c..c + 24].fill(0);
    out.push(("chunk-header-zeroed.evtx".into(), header, 0, 1, "Invalid EVTX chunk header magic"));
    // The first record of the chunk: its magic, then (in another copy) its size.
    let mut record_magic = bytes.to_vec();
    record_magic[c + 0x200..c + 0x204].fill(0);
    out.push(("record-magic.evtx".into(), record_magic, 0, reference, "damaged record"));
    let mut record_size = bytes.to_vec();
    record_size[c + 0x204..c + 0x208].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    out.push(("record-size.evtx".into(), record_size, 0, reference, "damaged record"));
    let mut file_header = bytes.to_vec();
    file_header[..8].copy_from_slice(b"NotEvtx!");
    out.push(("file-header.evtx".into(), file_header, reference, reference, ""));
    out.push(("misleading-name.json".into(), bytes.to_vec(), reference, reference, ""));
    out
}

/// Reads one EVTX file's events, unreadable count and the report.
fn evtx_run(dir: &Path, name: &str, bytes: &[u8]) -> (usize, usize, Value, String) {
    let sub = dir.join(name.replace('.', "-"));
    std::fs::create_dir_all(&sub).expect("mkdir");
    let path = sub.join(name);
    std::fs::write(&path, bytes).expect("write");
    let (r, manifest) = investigate(&[&path], &sub.join("case"), &[]);
    let report = input(&manifest, name).clone();
    (count(&report, "events") as usize, count(&report, "unreadable") as usize, report, r.stdout)
}

fn evtx_file(dir: &Path, label: &str, bytes: &[u8], chunk: usize) {
    let dir = dir.join(label);
    let (events, unreadable, report, _) = evtx_run(&dir, "good.evtx", bytes);
    assert_eq!(unreadable, 0, "{label}: {report:#}");
    for (name, damaged, min_events, min_accounted, says) in evtx_damage(bytes, chunk, events) {
        let (got, bad, report, summary) = evtx_run(&dir, &name, &damaged);
        let what = format!("{label} {name}: {got} events, {bad} unreadable: {report:#}");
        let first = position(&report).or_else(|| report["notes"][0].as_str().map(str::to_string)).unwrap_or_default();
        eprintln!("{label:<8} {name:<26} {got:>5} of {events} events {bad:>4} unreadable  {first}");
        assert!(got >= min_events, "{what}");
        // Nothing lost silently: every good record is an event or counted unreadable, except
        // when nothing says how many records a chunk held (then at least one is counted).
        assert!(got + bad >= min_accounted, "{what}");
        assert!(got <= events, "{what}");
        if !says.is_empty() {
            let text = report.to_string();
            assert!(text.contains(says), "{what}: {says:?} expected");
            assert!(summary.contains(&name), "{what}: the summary does not name the file:\n{summary}");
        }
        if got < events {
            assert!(position(&report).is_some(), "{what}: records lost without a position");
        }
    }
    // Cut inside a chunk: at least the records of the chunks before it.
    let cut = 4096 + chunk * 65536;
    let (before, _, _, _) = evtx_run(&dir, "boundary.evtx", &bytes[..cut]);
    let (got, _, report, _) = evtx_run(&dir, "cut.evtx", &bytes[..cut + 30_000]);
    assert!(got >= before, "{label} cut: {report:#}");
    assert!(report.to_string().contains("truncated"), "{label} cut: {report:#}");
    // A cut gzip stream: at least the whole chunks it still holds.
    let gz = gzip(bytes);
    let gz = &gz[..gz.len() / 2];
    let readable = readable_prefix(flate2::read::MultiGzDecoder::new(gz));
    let whole = if readable > 4096 { 4096 + (readable - 4096) / 65536 * 65536 } else { 0 };
    let (before, _, _, _) = evtx_run(&dir, "prefix.evtx", &bytes[..whole.min(bytes.len())]);
    let (got, _, report, summary) = evtx_run(&dir, "cut.evtx.gz", gz);
    assert!(got >= before, "{label} cut gzip: {got} < {before}: {report:#}");
    assert!(position(&report).is_some() && summary.contains("cut.evtx.gz"), "{label} cut gzip: {report:#}");
}

#[test]
fn evtx_with_damaged_chunks_and_records() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/windows/kerbrute-4768-4771.evtx");
    evtx_file(dir.path(), "fixture", &std::fs::read(fixture).expect("fixture"), 0);
    // A real multi-chunk log from the shared corpus (GPL-3.0 data: read, never copied into the
    // repository), damaged in its fourth chunk.
    let corpus = std::env::var_os("LOCKSCOPE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    let smb = corpus.join("windows/deepbluecli/smb-password-guessing-security.evtx");
    match std::fs::read(&smb) {
        Ok(bytes) => evtx_file(dir.path(), "corpus", &bytes, 3),
        Err(_) => eprintln!("SKIPPED: {} is absent (set LOCKSCOPE_CORPUS)", smb.display()),
    }
}

#[test]
fn evtx_followed_by_a_huge_garbage_tail() {
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/windows/kerbrute-4768-4771.evtx");
    let bytes = std::fs::read(fixture).expect("fixture");
    let dir = tempfile::tempdir().expect("tempdir");
    let (good, _, _, _) = evtx_run(dir.path(), "good.evtx", &bytes);
    let stream = Cursor::new(bytes).chain(Filler { left: huge(), byte: b'x' });
    let case = dir.path().join("case");
    let r = run(&["investigate", "-", "-o", case.to_str().expect("utf-8")], Some(Box::new(stream)));
    sane(&r, "evtx tail");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(case.join("case.json")).expect("case.json")).expect("json");
    let report = input(&manifest, "-");
    assert_eq!(count(report, "events") as usize, good, "{report:#}");
    assert!(count(report, "unreadable") > 0 && position(report).is_some(), "{report:#}");
}

// ---------------------------------------------------------------------------------------------
// Limits: decompression bombs, symbolic-link loops, unreadable files, events per identity

#[test]
fn a_decompression_bomb_stops_at_the_limit_with_an_error_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = entra_lines(N);
    // A valid start, then 4 GiB of line breaks: members of 16 MiB each, about 16 KiB compressed.
    let member = gzip(&vec![b'\n'; 16 << 20]);
    let mut bomb = gzip(&good.bytes);
    for _ in 0..256 {
        bomb.extend_from_slice(&member);
    }
    assert!(bomb.len() < 8 << 20, "the bomb is small: {} bytes", bomb.len());
    let inputs = dir.path().join("inputs");
    std::fs::create_dir_all(&inputs).expect("mkdir");
    std::fs::write(inputs.join("bomb.json.gz"), &bomb).expect("write");
    std::fs::write(inputs.join("good.log"), auth_log(N).bytes).expect("write");
    let case = dir.path().join("case");
    let (r, manifest) = investigate(&[&inputs], &case, &["--max-decompressed", "64M"]);
    let report = input(&manifest, "bomb.json.gz");
    assert_eq!(count(report, "events"), N as u64, "the records before the limit are read: {report:#}");
    let first = report["errors"][0]["reason"].as_str().unwrap_or_default();
    assert!(first.contains("more than 64 MiB decompressed (--max-decompressed)"), "{report:#}");
    assert!(r.stdout.contains("bomb.json.gz") && r.stdout.contains("--max-decompressed"), "{}", r.stdout);
    assert_eq!(count(input(&manifest, "good.log"), "events"), N as u64);
    let (strict, _) = investigate(&[&inputs], &case, &["--max-decompressed", "64M", "--strict"]);
    assert_eq!(strict.code, Some(2));
    // A bad size is refused before anything is read.
    let bad = run(&["investigate", inputs.to_str().expect("utf-8"), "--max-decompressed", "lots"], None);
    assert_eq!(bad.code, Some(2), "{}", bad.stderr);
}

#[cfg(unix)]
#[test]
fn a_folder_that_loops_through_symbolic_links_is_read_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("logs");
    std::fs::create_dir_all(root.join("hosts/web1")).expect("mkdir");
    std::fs::write(root.join("hosts/web1/auth.log"), auth_log(N).bytes).expect("write");
    std::fs::write(root.join("signins.json"), entra_lines(N).bytes).expect("write");
    std::os::unix::fs::symlink("..", root.join("hosts/web1/parent")).expect("symlink");
    std::os::unix::fs::symlink("../..", root.join("hosts/web1/root")).expect("symlink");
    std::os::unix::fs::symlink("hosts", root.join("hosts-again")).expect("symlink");
    let case = dir.path().join("case");
    let (r, manifest) = investigate(&[&root], &case, &["--strict"]);
    assert_ne!(r.code, Some(2), "loops are not failures: {}", r.stderr);
    assert_eq!(manifest["totals"]["events"], (2 * N) as u64, "each file once: {:#}", manifest["inputs"]);
    let loops = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("  - ") && l.contains(": skipped — symbolic link loop: leads back to "));
    assert_eq!(loops.count(), 2, "{}", r.stdout);
    assert!(r.stdout.contains("hosts-again: skipped — read once: the same folder as"), "{}", r.stdout);
    assert!(r.stdout.contains("  skipped files by reason: 2 symbolic link loop, 1 read once"), "{}", r.stdout);
}

#[cfg(unix)]
#[test]
fn an_unreadable_file_is_named_and_the_others_are_read() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let inputs = dir.path().join("inputs");
    std::fs::create_dir_all(&inputs).expect("mkdir");
    std::fs::write(inputs.join("good.log"), auth_log(N).bytes).expect("write");
    let locked = inputs.join("locked.log");
    std::fs::write(&locked, auth_log(N).bytes).expect("write");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    // Root reads anything whatever the mode: then the binary runs as `nobody`, which cannot.
    let uid = if std::fs::File::open(&locked).is_ok() {
        for d in [dir.path(), &inputs] {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        }
        std::fs::set_permissions(inputs.join("good.log"), std::fs::Permissions::from_mode(0o644)).expect("chmod");
        Some(65534)
    } else {
        None
    };
    let case = dir.path().join("case");
    let args = |strict: bool| {
        let mut a = vec!["investigate", inputs.to_str().expect("utf-8"), "-o", case.to_str().expect("utf-8")];
        if strict {
            a.push("--strict");
        }
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let lenient = args(false);
    let r = run_as(&lenient.iter().map(String::as_str).collect::<Vec<_>>(), None, uid);
    if uid.is_some() && r.code.is_none() || r.stderr.contains("Operation not permitted") {
        eprintln!("SKIPPED: {} stays readable at mode 000 and the test cannot run as another user", locked.display());
        return;
    }
    sane(&r, "unreadable file");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(case.join("case.json")).expect("case.json")).expect("json");
    assert_eq!(manifest["totals"]["events"], N as u64, "{}", r.stdout);
    assert!(r.stdout.contains("locked.log: Permission denied"), "{}", r.stdout);
    let strict = args(true);
    let r = run_as(&strict.iter().map(String::as_str).collect::<Vec<_>>(), None, uid);
    sane(&r, "unreadable file, --strict");
    assert_eq!(r.code, Some(2), "{}", r.stderr);
}

#[test]
fn events_over_the_per_identity_cap_are_dropped_and_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut log = String::new();
    for i in 0..60 {
        let user = if i < 50 { "flood" } else { "quiet" };
        log.push_str(&format!(
            "2025-04-19T05:{:02}:{:02}+00:00 web1 sshd[{}]: Failed password for {user} from 203.0.113.9 port 40000 ssh2\n",
            i / 60,
            i % 60,
            3000 + i
        ));
    }
    let path = dir.path().join("auth.log");
    std::fs::write(&path, log).expect("write");
    let case = dir.path().join("case");
    let (r, manifest) = investigate(&[&path], &case, &["--max-events-per-user", "10"]);
    assert_eq!(manifest["settings"]["max_events_per_user"], 10);
    let over = &manifest["events_over_cap"];
    assert_eq!(over.as_array().map(Vec::len), Some(1), "{over:#}");
    assert_eq!(
        (over[0]["user"].as_str(), over[0]["dropped"].as_u64(), over[0]["kept"].as_u64()),
        (Some("flood"), Some(40), Some(10))
    );
    assert!(r.stdout.contains("flood: 40 events over the cap of 10 per identity dropped"), "{}", r.stdout);
    assert!(std::fs::read_to_string(case.join("report.md")).expect("report").contains("40 events over the cap"));
}

#[test]
fn the_summary_counts_records_skips_by_reason_and_failed_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inputs = dir.path().join("inputs");
    std::fs::create_dir_all(&inputs).expect("mkdir");
    let good = entra_lines(N);
    std::fs::write(inputs.join("a.json"), &good.bytes[..good.inside[5]]).expect("write");
    std::fs::write(inputs.join("b.json"), b"{not json\n{\"time\":\n").expect("write");
    std::fs::write(inputs.join("empty.log"), b"").expect("write");
    std::fs::write(inputs.join("notes.txt"), b"nothing to see\n").expect("write");
    std::fs::write(inputs.join("cut.log.gz"), &gzip(&auth_log(N_BIG).bytes)[..4000]).expect("write");
    let (r, _) = investigate(&[&inputs], &dir.path().join("case"), &[]);
    let first = r.stdout.lines().next().unwrap_or_default();
    assert!(first.starts_with("read 5 files: ") && first.ends_with("; 2 skipped files, 1 failed"), "{}", r.stdout);
    assert!(r.stdout.contains("  skipped files by reason: 1 empty, 1 unrecognised format"), "{}", r.stdout);
    assert!(r.stdout.contains("  unreadable records by reason: 1 invalid JSON, 1 truncated"), "{}", r.stdout);
    assert!(r.stdout.contains("cut.log.gz: 0 unreadable — read error at line "), "{}", r.stdout);
}
