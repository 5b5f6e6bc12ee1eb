//! The body of the `report_writers` target: arbitrary strings put into every text field of a
//! small synthetic case (user names, display names, sources, hosts, apps, reasons, file names,
//! error texts, notes, secrets) → `write_case` into a temporary folder → checks that the files
//! stay what they claim to be, whatever the strings:
//!
//! - every `.jsonl` line and every `.json` file parses as JSON;
//! - every CSV file parses with one field per header column, and no cell starts with a
//!   character a spreadsheet would evaluate (`=`, `+`, `-`, `@`, tab, carriage return);
//! - `report.md`: every row of a table has its header's number of unescaped `|`;
//! - `report.html` and `report.md` hold as many raw `<`, `>`, `"`, `'` (HTML) and `<`, `>`,
//!   unescaped `|` and `` ` `` (Markdown) as the same case written with those characters of the
//!   strings replaced by look-alikes: so no such character of the input reaches the page raw.
//!
//! Shared like `sources.rs`: `crates/lockscope-report/tests/fuzz_regressions.rs` includes this
//! file by path.

use std::path::Path;
use std::sync::Arc;

use lockscope::event::{Actor, ActorKind, App, Device, Failure, Location, Principal, Risk};
use lockscope::ingest::Ingested;
use lockscope::leak::Sighting;
use lockscope::source::{self, RecordError};
use lockscope::{Event, Kind, Origin, Outcome, Position, Settings, analyse};

/// The targets this module holds, by name.
pub const TARGETS: &[&str] = &["report_writers"];

/// Runs target `name` on `data`; `false` if this module has no such target.
pub fn run(name: &str, data: &[u8]) -> bool {
    match name {
        "report_writers" => report_writers(data),
        _ => return false,
    }
    true
}

/// How many strings the synthetic case takes.
const PIECES: usize = 40;

/// The characters compared between the two renderings, each with the look-alike that replaces it.
const LOOK_ALIKES: [(char, char); 6] =
    [('<', '\u{2039}'), ('>', '\u{203A}'), ('"', '\u{201C}'), ('\'', '\u{2019}'), ('|', '\u{00A6}'), ('`', '\u{02CB}')];

/// Splits the data at `0xFF` bytes into [`PIECES`] strings, reusing pieces (with a counter, so
/// user names stay distinct) when there are fewer. Look-alikes are taken out of the input, so
/// replacing the special characters by them keeps distinct strings distinct.
fn pieces(data: &[u8]) -> Vec<String> {
    let segments: Vec<String> = data
        .split(|&b| b == 0xFF)
        .map(|s| String::from_utf8_lossy(s).chars().filter(|c| !LOOK_ALIKES.iter().any(|(_, l)| l == c)).collect())
        .collect();
    (0..PIECES)
        .map(|i| {
            let s = &segments[i % segments.len()];
            if i < segments.len() { s.clone() } else { format!("{s}{}", i / segments.len()) }
        })
        .collect()
}

fn look_alike(s: &str) -> String {
    s.chars().map(|c| LOOK_ALIKES.iter().find(|(from, _)| *from == c).map_or(c, |(_, to)| *to)).collect()
}

/// A small case whose every text comes from `p`: a spray over seven users from one source, a
/// brute force with a lockout on the first, risk detections and a token invalidation by an app,
/// a leaked token, damaged and skipped files, an input error and a secret.
fn case(p: &[String]) -> lockscope::Case {
    let base = jiff::Timestamp::from_second(1_744_984_800).expect("a valid time"); // 2025-04-18T14:00:00Z
    let at = |s: i64| base.checked_add(jiff::SignedDuration::from_secs(s)).expect("a valid time");
    let file: Arc<str> = Arc::from(p[16].as_str());
    let origin = |n: u64| Origin::new(&file, Position::Line(n));
    let some = |i: usize| Some(p[i].clone());
    let user = |i: usize| Some(Principal { name: some(i), id: None, display: some(i + 1) });
    let mut events = Vec::new();
    for i in 0..7 {
        let mut e = Event::new(at(30 * i as i64), Kind::SignIn, origin(i as u64 + 1));
        e.user = user(i);
        e.ip = some(7);
        e.source = some(7);
        e.outcome = Outcome::Failure;
        e.failure = Some(Failure::BadPassword);
        e.code = Some("50126".into());
        e.reason = some(10);
        e.app = Some(App { id: some(8), name: some(9) });
        e.location = Some(Location { country: some(11), city: some(12) });
        e.device = Some(Device { id: None, name: some(13), os: some(14), browser: some(15) });
        e.ids.record = Some(format!("{}-{i}", p[25]));
        events.push(e);
    }
    for i in 0..12 {
        let mut e = Event::new(at(3600 + 5 * i), Kind::Logon, origin(20 + i as u64));
        e.user = user(0);
        e.ip = some(17);
        e.host = some(18);
        e.outcome = Outcome::Failure;
        e.failure = Some(Failure::BadPassword);
        e.code = some(21);
        e.detail.workstation = some(19);
        e.detail.process = some(20);
        e.detail.sub_status = some(21);
        e.detail.event_id = Some(4625);
        e.detail.logon_type = Some(3);
        events.push(e);
    }
    let mut lock = Event::new(at(3700), Kind::Lockout, origin(40));
    lock.user = user(0);
    lock.host = some(18);
    lock.detail.workstation = some(19);
    events.push(lock);
    for i in 1..7 {
        let mut e = Event::new(at(7200 + 10 * i as i64), Kind::RiskDetection, origin(50 + i as u64));
        e.user = user(i);
        e.outcome = Outcome::Info;
        e.actor = Some(Actor { kind: ActorKind::App, id: some(24), name: some(23) });
        e.risk = Some(Risk {
            event_types: vec![p[22].clone(), "leakedCredentials".into()],
            level: Some("high".into()),
            state: Some("atRisk".into()),
            detail: some(26),
            timing: Some("offline".into()),
            activity: Some("user".into()),
        });
        events.push(e);
        let mut t = Event::new(at(7205 + 10 * i as i64), Kind::TokenInvalidation, origin(60 + i as u64));
        t.user = user(i);
        t.actor = Some(Actor { kind: ActorKind::App, id: some(24), name: some(23) });
        t.ids.correlation = some(25);
        t.detail.activity = some(26);
        t.detail.valid_from = Some(at(7205));
        events.push(t);
    }
    let mut ok = Event::new(at(9000), Kind::SignIn, origin(70));
    ok.user = user(2);
    ok.ip = some(27);
    ok.outcome = Outcome::Success;
    ok.location = Some(Location { country: some(28), city: some(29) });
    events.push(ok);
    let mut leaked = Event::new(at(9100), Kind::TokenLeaked, origin(71));
    leaked.user = user(3);
    leaked.detail.fingerprint = some(30);
    events.push(leaked);
    events.sort_by(|a, b| (a.time, &a.origin).cmp(&(b.time, &b.origin)));
    let produced = events.len() as u64;
    let report = |name: &str| {
        // A report from reading nothing (its constructor is private), then filled in.
        let mut r = source::read(&Arc::from(name), Box::new(std::io::Cursor::new(Vec::new())), &mut Vec::new());
        (r.format, r.records, r.events, r.ignored, r.unreadable) = ("json", 40, produced, 1, 1);
        r.errors = vec![RecordError { origin: origin(3), reason: p[31].clone() }];
        (r.problem, r.skipped, r.notes) = (some(32), None, vec![p[33].clone()]);
        r
    };
    let mut skipped = report(&p[34]);
    skipped.skipped = some(35);
    // Rule ids, names and fingerprints come from the rules and the keyed hash, never from the
    // input; what a token says about itself (its claims) does.
    let mut secret = Sighting {
        origin: Origin::new(&Arc::from(p[37].as_str()), Position::Line(1)),
        offset: 0,
        rule: "jwt".into(),
        name: "JSON Web Token".into(),
        fingerprint: p[30].bytes().take(8).map(|b| format!("{b:02x}")).collect(),
        token: Some(Default::default()),
        owner: None,
    };
    if let Some(t) = secret.token.as_mut() {
        (t.kind, t.upn, t.oid, t.tenant_id, t.app_id) = (some(38), some(39), some(24), some(25), some(8));
        (t.audience, t.issuer, t.uti, t.scopes) = (some(26), some(27), some(29), some(10));
        t.expires_at = Some(at(86_400));
    }
    let mut owned = secret.clone();
    owned.owner = some(3);
    let ingested = Ingested {
        events,
        files: vec![report(&p[16]), skipped],
        errors: vec![p[36].clone()],
        duplicates: 0,
        secrets: vec![secret, owned],
    };
    analyse(ingested, &Settings::default(), None)
}

/// Writes the case folder of `p` into a temporary folder and returns its files (name, bytes).
fn write(p: &[String]) -> Vec<(String, Vec<u8>)> {
    let case = case(p);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let exports = lockscope_report::export::Format::ALL.into_iter().collect();
    lockscope_report::write_case(&case, dir.path(), lockscope_report::Options { events: true, exports })
        .expect("the case folder is written");
    let mut files = Vec::new();
    collect(dir.path(), dir.path(), &mut files);
    files.sort();
    if let Some(keep) = std::env::var_os("LOCKSCOPE_FUZZ_KEEP") {
        // To look at what a failing input wrote: the last case folder is copied there.
        let keep = Path::new(&keep);
        for (name, bytes) in &files {
            let path = keep.join(name);
            std::fs::create_dir_all(path.parent().unwrap_or(keep)).expect("LOCKSCOPE_FUZZ_KEEP is writable");
            std::fs::write(path, bytes).expect("LOCKSCOPE_FUZZ_KEEP is writable");
        }
    }
    files
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).expect("the case folder is readable") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            collect(root, &path, out);
        } else {
            let name = path.strip_prefix(root).expect("inside the folder").to_string_lossy().into_owned();
            out.push((name, std::fs::read(&path).expect("an output file is readable")));
        }
    }
}

/// Counts `c` not preceded by an odd number of backslashes.
fn unescaped(text: &str, c: char) -> usize {
    let mut n = 0;
    let mut backslashes = 0;
    for ch in text.chars() {
        if ch == c && backslashes % 2 == 0 {
            n += 1;
        }
        backslashes = if ch == '\\' { backslashes + 1 } else { 0 };
    }
    n
}

fn check_file(name: &str, bytes: &[u8]) {
    if name.ends_with(".jsonl") {
        for (i, line) in bytes.split(|&b| b == b'\n').enumerate().filter(|(_, l)| !l.is_empty()) {
            if let Err(e) = serde_json::from_slice::<serde_json::Value>(line) {
                panic!("{name}: line {} is not JSON: {e}", i + 1);
            }
        }
    } else if name.ends_with(".json") {
        if let Err(e) = serde_json::from_slice::<serde_json::Value>(bytes) {
            panic!("{name} is not JSON: {e}");
        }
    } else if name.ends_with(".csv") {
        let mut rdr = csv::Reader::from_reader(bytes);
        for row in rdr.records() {
            let row = row.unwrap_or_else(|e| panic!("{name}: {e}"));
            for cell in &row {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "{name}: cell {cell:?} would be evaluated as a formula"
                );
            }
        }
    } else if name.ends_with(".md") {
        let text = String::from_utf8_lossy(bytes);
        let mut columns = None;
        for line in text.lines() {
            if !line.starts_with('|') {
                columns = None;
                continue;
            }
            let pipes = unescaped(line, '|');
            match columns {
                None => columns = Some(pipes),
                Some(n) => assert_eq!(pipes, n, "{name}: a table row has another number of cells: {line:?}"),
            }
        }
    }
}

/// Arbitrary strings in a case → a case folder whose files stay well-formed and escaped.
pub fn report_writers(data: &[u8]) {
    let p = pieces(data);
    let written = write(&p);
    for (name, bytes) in &written {
        check_file(name, bytes);
    }
    let baseline = write(&p.iter().map(|s| look_alike(s)).collect::<Vec<_>>());
    let text = |files: &[(String, Vec<u8>)], name: &str| {
        let bytes = &files.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("{name} is written")).1;
        String::from_utf8(bytes.clone()).unwrap_or_else(|_| panic!("{name} is not UTF-8"))
    };
    let (html, html_base) = (text(&written, "report.html"), text(&baseline, "report.html"));
    for c in ['<', '>', '"', '\''] {
        let (got, base) = (html.matches(c).count(), html_base.matches(c).count());
        assert_eq!(got, base, "report.html: {c:?} from the input reached the page unescaped ({got} vs {base})");
    }
    let (md, md_base) = (text(&written, "report.md"), text(&baseline, "report.md"));
    for c in ['<', '>', '|', '`'] {
        let (got, base) = (unescaped(&md, c), unescaped(&md_base, c));
        assert_eq!(got, base, "report.md: {c:?} from the input reached the page unescaped ({got} vs {base})");
    }
}
