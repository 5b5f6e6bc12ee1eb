//! The Linux scenarios: every line is one of the messages sshd, PAM, sudo, cron, passwd and
//! systemd-logind really write, in its file's framing, and every truth row is backed by its
//! scenario's lines while bystanders only have background.

use crate::data::{config, seeds};
use crate::linuxdata::{self, Lin, Line};
use lockscope_sim::Scenario;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// `Failed|Accepted <method> for [invalid user ]<user> from <ip> port <n> ssh2[: <extra>]`
/// (formats.md §8.2's regex, by hand).
#[derive(Debug, PartialEq, Eq)]
struct Auth<'a> {
    ok: bool,
    method: &'a str,
    invalid: bool,
    user: &'a str,
    ip: &'a str,
}

fn auth(msg: &str) -> Option<Auth<'_>> {
    let (ok, rest) = match msg.split_once(' ')? {
        ("Accepted", r) => (true, r),
        ("Failed", r) => (false, r),
        _ => return None,
    };
    let (method, rest) = rest.split_once(" for ")?;
    let (invalid, rest) = match rest.strip_prefix("invalid user ") {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let (user, rest) = rest.rsplit_once(" from ")?;
    let (ip, rest) = rest.split_once(" port ")?;
    let (port, extra) = rest.split_once(" ssh2")?;
    assert!(port.parse::<u16>().is_ok(), "{msg}");
    assert!(extra.is_empty() || (ok && method == "publickey" && extra.starts_with(": ")), "{msg}");
    if let Some(fp) = extra.strip_prefix(": ") {
        let (kind, fp) = fp.split_once(" SHA256:").unwrap_or_else(|| panic!("{msg}"));
        assert!(matches!(kind, "ED25519" | "RSA" | "ECDSA") && fp.len() == 43, "{msg}");
    }
    assert!(matches!(method, "password" | "publickey"), "{msg}");
    Some(Auth { ok, method, invalid, user, ip })
}

/// The attempts a line stands for: 1, or N for `message repeated N times: [ …]`.
fn unrepeat(msg: &str) -> (usize, &str) {
    match msg.strip_prefix("message repeated ") {
        Some(rest) => {
            let (n, inner) = rest.split_once(" times: [ ").unwrap_or_else(|| panic!("{msg}"));
            (n.parse().expect("count"), inner.strip_suffix(']').expect("closing bracket"))
        }
        None => (1, msg),
    }
}

const SSHD_PREFIXES: [&str; 18] = [
    "Accepted ",
    "Failed password for ",
    "Invalid user ",
    "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=",
    "pam_unix(sshd:auth): check pass; user unknown",
    "pam_sss(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=",
    "pam_sss(sshd:auth): authentication success; logname= uid=0 euid=0 tty=ssh ruser= rhost=",
    "pam_sss(sshd:auth): received for user ",
    "pam_faillock(sshd:auth): Consecutive login failures for user ",
    "pam_faillock(sshd:auth): User unknown",
    "PAM ",
    "error: ",
    "Disconnecting ",
    "Connection closed by ",
    "Received disconnect from ",
    "Disconnected from ",
    "Unable to negotiate with ",
    "pam_unix(sshd:session): session ",
];

/// Every message is one a real program writes, under that program's name.
fn check_messages(w: &Lin) {
    let sshd_session: BTreeSet<&str> =
        w.lines.iter().filter(|l| l.prog == "sshd-session").map(|l| l.host.as_str()).collect();
    assert!(!sshd_session.is_empty(), "some hosts run OpenSSH ≥ 9.8");
    for l in &w.lines {
        let (_, msg) = unrepeat(&l.msg);
        let ok = match l.prog.as_str() {
            "sshd" | "sshd-session" => {
                assert_eq!(l.prog == "sshd-session", sshd_session.contains(l.host.as_str()), "{l:?}");
                SSHD_PREFIXES.iter().any(|p| msg.starts_with(p))
                    && (!msg.starts_with("Accepted ") || auth(msg).is_some())
            }
            "sudo" => {
                msg.starts_with("pam_unix(sudo:session): session ")
                    // sudo logs without its pid (the journal still knows it).
                    || (msg.contains(" : ") && msg.contains(" ; USER=root ; COMMAND=/") && (l.pid.is_none() || l.file.ends_with(".json")))
            }
            "CRON" | "crond" => {
                msg.starts_with("pam_unix(cron:session): session ")
                    || msg.starts_with("pam_unix(crond:session): session ")
            }
            "systemd-logind" => {
                msg.starts_with("New session ")
                    || msg.starts_with("Removed session ")
                    || msg.ends_with("logged out. Waiting for processes to exit.")
            }
            "passwd" => msg.starts_with("pam_unix(passwd:chauthtok): password changed for "),
            _ => false,
        };
        assert!(ok, "unexpected line {}/{}:{}: {} {:?}", l.host, l.file, l.n, l.prog, l.msg);
        if msg.starts_with("Failed ") {
            assert!(auth(msg).is_some_and(|a| !a.ok), "{msg}");
        }
        if msg.starts_with("pam_unix(sshd:auth): authentication failure") {
            // Linux-PAM: two spaces before `user=`, a trailing space without it.
            assert!(msg.contains("  user=") || msg.ends_with(' '), "{msg:?}");
        }
    }
}

/// Every failed password a host logged: (time, user, ip, invalid), repeats expanded.
fn failures(w: &Lin, host: &str) -> Vec<(jiff::Timestamp, String, String, bool)> {
    let mut out = Vec::new();
    for l in w.on(host) {
        let (n, msg) = unrepeat(&l.msg);
        if let Some(a) = auth(msg).filter(|a| !a.ok) {
            out.extend((0..n).map(|_| (l.t, a.user.to_string(), a.ip.to_string(), a.invalid)));
        }
    }
    out
}

fn successes<'a>(w: &'a Lin, host: &str, user: &str) -> Vec<(&'a Line, String)> {
    w.on(host)
        .into_iter()
        .filter_map(|l| auth(&l.msg).filter(|a| a.ok && a.user == user).map(|a| (l, a.ip.to_string())))
        .collect()
}

fn locks<'a>(w: &'a Lin, user: &str) -> Vec<&'a Line> {
    let needle = format!("Consecutive login failures for user {user} account temporarily locked");
    w.lines.iter().filter(|l| l.msg.ends_with(&needle)).collect()
}

fn host_of(row: &Value) -> &str {
    row["host"].as_str().unwrap_or_else(|| panic!("a one-host scenario: {row}"))
}

/// Hosts whose `pam_faillock` denies after five failures (the others after three).
const DENY_FIVE: [&str; 2] = ["bastion01", "app02"];

fn check_rows(w: &Lin) {
    let users: Vec<&str> = w.affected().iter().map(|r| r["user"].as_str().expect("user")).collect();
    assert!(users.windows(2).all(|p| p[0] < p[1]), "one row per login name, sorted");
    for row in w.affected() {
        let user = row["user"].as_str().expect("user");
        assert_eq!(user, user.to_lowercase());
        let hosts: Vec<&str> = row["hosts"].as_array().expect("hosts").iter().filter_map(Value::as_str).collect();
        assert!(!hosts.is_empty() && hosts.windows(2).all(|p| p[0] < p[1]), "{row}");
        assert_eq!(row.get("host").and_then(Value::as_str), (hosts.len() == 1).then(|| hosts[0]), "{row}");
        let attack = matches!(row["root_cause"].as_str(), Some("brute-force" | "password-spray"));
        assert_eq!(row.get("source").is_some(), attack, "{user}: an attack's source");
        let locked = row["lockout"].is_object();
        assert_eq!(locked, !locks(w, user).is_empty(), "{user}: lockout in truth iff a lock line");
        assert_eq!(row["contributing"] == serde_json::json!(["account-lockout"]), locked, "{user}");
        let (verdict, actions) = match (row["root_cause"].as_str().expect("cause"), locked) {
            ("brute-force" | "password-spray", false) => ("needs-review", vec!["block-source"]),
            ("brute-force", true) => ("needs-review", vec!["block-source", "reset-faillock"]),
            ("stale-credential", true) => ("benign", vec!["fix-stale-credential", "reset-faillock"]),
            ("user-error", _) => ("benign", vec!["none"]),
            other => panic!("{other:?}"),
        };
        assert_eq!(row["verdict"], verdict, "{user}");
        assert_eq!(row["actions"], serde_json::json!(actions), "{user}");
        if user.ends_with("@contoso.com") {
            let local = user.split('@').next().expect("local part");
            assert_eq!(row["aliases"], serde_json::json!([format!("contoso\\{local}")]));
            assert!(row["object_id"].is_string());
        } else {
            assert!(row["object_id"].is_null() && row.get("aliases").is_none(), "{row}");
        }
    }
}

fn brute_force(w: &Lin) {
    let rows = w.rows("brute-force");
    assert!((1..=2).contains(&rows.len()) && rows.iter().any(|r| r["user"] == "root"));
    for row in rows {
        let (user, host) = (row["user"].as_str().expect("user"), host_of(row));
        let mut per_ip: BTreeMap<String, Vec<jiff::Timestamp>> = BTreeMap::new();
        for (t, _, ip, _) in failures(w, host).into_iter().filter(|f| f.1 == user) {
            per_ip.entry(ip).or_default().push(t);
        }
        let (ip, times) = per_ip.into_iter().max_by_key(|(_, v)| v.len()).expect("failures");
        assert!(times.len() >= 100, "{user}: {} failures from {ip}", times.len());
        assert!(!ip.starts_with("10."), "from the Internet: {ip}");
        assert_eq!(row["source"].as_str(), Some(ip.as_str()), "{user}: truth names the attacker");
        let span = times.last().expect("last").duration_since(times[0]).as_secs();
        assert!(span <= 45 * 60, "{user}: within minutes ({span}s)");
        if let Some(lockout) = row["lockout"].as_object() {
            assert_eq!((lockout["host"].as_str(), lockout["source"].as_str()), (Some(host), Some(ip.as_str())));
        }
        assert!(user != "root" || locks(w, "root").is_empty(), "root is never locked by pam_faillock");
    }
}

fn spray(w: &Lin) {
    let rows = w.rows("password-spray");
    assert!(rows.len() >= 15, "{} accounts", rows.len());
    let targets: BTreeMap<&str, Vec<&str>> = rows
        .iter()
        .map(|r| {
            (
                r["user"].as_str().expect("user"),
                r["hosts"].as_array().expect("hosts").iter().filter_map(Value::as_str).collect(),
            )
        })
        .collect();
    let mut tries: BTreeMap<String, Vec<(String, String, jiff::Timestamp, bool)>> = BTreeMap::new();
    for host in ["bastion01", "web01", "web02"] {
        for (t, user, ip, invalid) in failures(w, host) {
            tries.entry(ip).or_default().push((user, host.to_string(), t, invalid));
        }
    }
    let (ip, attempts) = tries
        .into_iter()
        .max_by_key(|(_, v)| v.iter().filter(|a| targets.contains_key(a.0.as_str())).count())
        .expect("a source");
    let mut per: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (user, host, _, invalid) in &attempts {
        assert_eq!(*invalid, !targets.contains_key(user.as_str()), "{user}: only names that exist are in truth");
        *per.entry((user.as_str(), host.as_str())).or_default() += 1;
    }
    for (user, hosts) in &targets {
        let tried: Vec<&str> = per.keys().filter(|(u, _)| u == user).map(|(_, h)| *h).collect();
        assert_eq!(&tried, hosts, "{user}: tried on the truth row's hosts");
        assert!(hosts.iter().all(|h| (1..=2).contains(&per[&(*user, *h)])), "{user}: a password or two");
        assert!(locks(w, user).is_empty(), "{user}: nobody is locked");
    }
    assert!(attempts.iter().filter(|a| a.3).count() >= 3, "names that exist nowhere");
    assert!(rows.iter().all(|r| r["source"].as_str() == Some(ip.as_str())), "truth names the sprayer");
    let times: Vec<jiff::Timestamp> = attempts.iter().map(|a| a.2).collect();
    let span = times.iter().max().expect("max").duration_since(*times.iter().min().expect("min")).as_secs();
    assert!(span <= 3600, "from {ip} within an hour: {span}s");
}

/// People who locked themselves out, and who only mistyped.
fn user_errors(w: &Lin) {
    for row in w.rows("user-error") {
        let (user, host) = (row["user"].as_str().expect("user"), host_of(row));
        let logged = |u: &str| u == user || u.to_lowercase().replace("\\\\", "\\") == user;
        let fails: Vec<_> = failures(w, host).into_iter().filter(|f| logged(&f.1)).collect();
        let ip = fails.first().map(|f| f.2.clone()).expect("failures");
        assert!(fails.iter().all(|f| f.2 == ip), "{user}: from one address");
        let ok = successes(w, host, user).into_iter().find(|(l, i)| *i == ip && l.t > fails[0].0).expect("then in");
        match row["lockout"].as_object() {
            None => {
                assert!((3..=4).contains(&fails.len()), "{user}: {} typos", fails.len());
                assert!(ok.0.t.duration_since(fails[0].0).as_secs() <= 10 * 60);
            }
            Some(lockout) => {
                assert_eq!((lockout["host"].as_str(), lockout["source"].as_str()), (Some(host), Some(ip.as_str())));
                let lock = locks(w, user)[0];
                let deny = if DENY_FIVE.contains(&host) { 5 } else { 3 };
                // sshd logs the attempt that locks after PAM's failure delay, after the lock line.
                let until = lock.t + jiff::SignedDuration::from_secs(3);
                let before = fails.iter().filter(|f| f.0 <= until && until.duration_since(f.0).as_secs() < 900).count();
                assert!(before >= deny, "{user}: {before} failures within fail_interval before the lock");
                assert!(fails.iter().any(|f| f.0 > lock.t), "{user}: refused while locked");
                assert!(ok.0.t.duration_since(lock.t).as_secs() >= 600, "{user}: in after unlock_time");
            }
        }
        let extra = successes(w, host, user).into_iter().filter(|(l, _)| l.t > fails[0].0 && l.t < ok.0.t).count();
        assert_eq!(extra, 0, "{user}: no success in between");
    }
}

/// The fleet's addresses (README), for finding a stale job's host.
const HOSTS: [(&str, &str); 10] = [
    ("bastion01", "10.0.0.5"),
    ("web01", "10.0.1.11"),
    ("web02", "10.0.1.12"),
    ("app01", "10.0.2.21"),
    ("app02", "10.0.2.22"),
    ("db01", "10.0.3.31"),
    ("db02", "10.0.3.32"),
    ("ci01", "10.0.5.7"),
    ("backup01", "10.0.6.40"),
    ("mgmt01", "10.0.6.10"),
];

fn stale(w: &Lin) {
    for row in w.rows("stale-credential") {
        let (user, host) = (row["user"].as_str().expect("user"), host_of(row));
        let source = row["lockout"]["source"].as_str().expect("locked, from a host");
        assert_eq!(row["lockout"]["host"].as_str(), Some(host));
        let changes: Vec<&Line> = w
            .on(host)
            .into_iter()
            .filter(|l| l.msg == format!("pam_unix(passwd:chauthtok): password changed for {user}"))
            .collect();
        assert_eq!(changes.len(), 1, "{user}: one password change on {host}");
        let change = changes[0].t;
        let fails: Vec<jiff::Timestamp> =
            failures(w, host).into_iter().filter(|f| f.1 == user && f.2 == source).map(|f| f.0).collect();
        assert!(fails.len() >= 10 && fails[0] > change, "{user}: failures from {source} after the change");
        assert!(failures(w, host).iter().all(|f| f.1 != user || f.2 == source), "{user}: from one source only");
        let gaps: Vec<i64> = fails.windows(2).map(|p| p[1].duration_since(p[0]).as_secs()).collect();
        let mut sorted = gaps.clone();
        sorted.sort_unstable();
        let median = sorted[sorted.len() / 2];
        assert!((110..=310).contains(&median), "{user}: every 2 to 5 minutes: {median}s");
        assert!(gaps.iter().all(|g| (g - median).abs() <= 5), "{user}: a machine's rhythm: {gaps:?}");
        let before = successes(w, host, user);
        assert!(before.iter().any(|(l, ip)| l.t < change && ip == source), "{user}: it worked before the change");
        let lock = locks(w, user);
        assert!(!lock.is_empty() && lock.iter().all(|l| l.t > change && l.host == host));
        let deny = if DENY_FIVE.contains(&host) { 5 } else { 3 };
        let until = lock[0].t + jiff::SignedDuration::from_secs(3);
        let first = fails.iter().filter(|t| **t <= until).count();
        assert!(first >= deny, "{user}: {first} failures before the first lock");
        let a = HOSTS.iter().find(|(_, ip)| *ip == source).map(|(h, _)| *h).expect("a fleet host");
        if a != "backup01" {
            // The job is cron's: a cron session on the source opens as each run starts.
            let crons: Vec<jiff::Timestamp> = w
                .on(a)
                .into_iter()
                .filter(|l| l.msg.starts_with("pam_unix(cron") && l.msg.contains("opened"))
                .map(|l| l.t)
                .collect();
            let covered =
                fails.iter().filter(|f| crons.iter().any(|c| *c <= **f && f.duration_since(*c).as_secs() <= 6)).count();
            assert_eq!(covered, fails.len(), "{user}: every failing run starts in cron on {a}");
        }
    }
}

/// Accounts without a truth row have only background: never locked, never a changed password,
/// at most one typo a session, fixed at once.
fn bystanders(w: &Lin) {
    let affected: BTreeSet<&str> = w.affected().iter().filter_map(|r| r["user"].as_str()).collect();
    for l in &w.lines {
        if let Some(u) = l.msg.strip_prefix("pam_faillock(sshd:auth): Consecutive login failures for user ") {
            let u = u.split(' ').next().expect("user").to_lowercase();
            assert!(affected.contains(u.as_str()), "{u}: locked without a truth row");
        }
        if let Some(u) = l.msg.strip_prefix("pam_unix(passwd:chauthtok): password changed for ") {
            assert!(affected.contains(u), "{u}");
        }
    }
    for (host, _) in HOSTS {
        let all = failures(w, host);
        for (t, user, ip, invalid) in &all {
            let name = user.to_lowercase().replace("\\\\", "\\");
            let upn = name.strip_prefix("contoso\\").map(|s| format!("{s}@contoso.com"));
            if *invalid
                || affected.contains(name.as_str())
                || upn.as_ref().is_some_and(|u| affected.contains(u.as_str()))
            {
                continue;
            }
            let same = all.iter().filter(|f| f.1 == *user && f.0.duration_since(*t).as_secs().abs() < 3600).count();
            assert_eq!(same, 1, "{user} on {host}: one typo");
            let fixed = successes(w, host, user)
                .into_iter()
                .any(|(l, i)| i == *ip && l.t > *t && l.t.duration_since(*t).as_secs() < 30);
            assert!(fixed, "{user} on {host} at {t}: a typo is fixed at once");
        }
    }
}

fn every_framing(w: &Lin) {
    let files: BTreeSet<(String, String)> = w.lines.iter().map(|l| (l.host.clone(), l.file.clone())).collect();
    for (host, file) in
        [("web01", "auth.log.1.gz"), ("app01", "secure"), ("ci01", "journal.json"), ("bastion01", "auth.log")]
    {
        assert!(files.contains(&(host.to_string(), file.to_string())), "{host}/{file}");
    }
    let text = std::fs::read_to_string(w.path.join("linux/app02/auth.log")).expect("app02");
    assert!(text.starts_with('<'), "RFC 5424");
    let text = std::fs::read_to_string(w.path.join("linux/bastion01/auth.log")).expect("bastion01");
    assert!(text.starts_with("20"), "RFC 3339");
}

#[test]
fn linux_mixed_fleet_tells_every_story() {
    for seed in seeds(41) {
        let w = linuxdata::generate(&config(Scenario::LinuxMixed, 60, 4, seed));
        check_messages(&w);
        check_rows(&w);
        brute_force(&w);
        spray(&w);
        user_errors(&w);
        stale(&w);
        bystanders(&w);
        every_framing(&w);
        assert_eq!(w.summary.affected, w.affected().len());
        for cause in ["brute-force", "password-spray", "stale-credential", "user-error"] {
            assert!(!w.rows(cause).is_empty(), "{cause}");
        }
        assert!(w.rows("user-error").iter().any(|r| r["lockout"].is_object()), "someone locks themselves out");
        assert!(!w.path.join("signins").exists() && !w.path.join("windows").exists(), "Linux only");
    }
}

#[test]
fn single_linux_scenarios_and_their_smallest_fleets() {
    for seed in seeds(42) {
        for scenario in
            [Scenario::LinuxBruteForce, Scenario::LinuxSpray, Scenario::LinuxFaillock, Scenario::LinuxStaleAutomation]
        {
            for (users, days) in [scenario.minimum(), (60, 2)] {
                let w = linuxdata::generate(&config(scenario, users, days, seed));
                check_messages(&w);
                check_rows(&w);
                bystanders(&w);
                assert!(!w.affected().is_empty(), "{scenario}");
                match scenario {
                    Scenario::LinuxBruteForce => brute_force(&w),
                    Scenario::LinuxSpray => spray(&w),
                    Scenario::LinuxFaillock => {
                        user_errors(&w);
                        stale(&w);
                        assert!(w.affected().iter().all(|r| r["lockout"].is_object()), "every row was locked");
                    }
                    _ => stale(&w),
                }
            }
        }
    }
}

#[test]
fn linux_logs_depend_on_the_seed_only() {
    let make = |cfg: &lockscope_sim::Config| {
        let dir = tempfile::tempdir().expect("tempdir");
        lockscope_sim::generate(cfg, dir.path()).expect("generate");
        let mut files = BTreeMap::new();
        for host in std::fs::read_dir(dir.path().join("linux")).expect("linux") {
            for f in std::fs::read_dir(host.expect("host").path()).expect("files") {
                let p = f.expect("file").path();
                let rel = p.strip_prefix(dir.path()).expect("inside").display().to_string();
                files.insert(rel, std::fs::read(&p).expect("read"));
            }
        }
        files.insert("truth.json".into(), std::fs::read(dir.path().join("truth.json")).expect("truth"));
        files
    };
    let cfg = config(Scenario::LinuxMixed, 40, 2, 4);
    let a = make(&cfg);
    assert_eq!(a, make(&cfg), "same config, same bytes");
    let portal = lockscope_sim::Config { layout: lockscope_sim::Layout::Portal, ..cfg.clone() };
    assert_eq!(a, make(&portal), "layouts do not apply to Linux logs");
    let other = make(&config(Scenario::LinuxMixed, 40, 2, 5));
    for name in ["linux/web01/auth.log", "linux/ci01/journal.json", "linux/web01/auth.log.1.gz", "truth.json"] {
        assert_ne!(a[name], other[name], "{name}");
    }
}

#[test]
fn a_rerun_replaces_the_linux_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    lockscope_sim::generate(&config(Scenario::LinuxMixed, 40, 2, 1), dir.path()).expect("linux-mixed");
    assert!(dir.path().join("linux/web01/auth.log.1.gz").is_file());
    let entra = lockscope_sim::generate(&config(Scenario::Mixed, 40, 2, 1), dir.path()).expect("mixed");
    assert!(!dir.path().join("linux").exists(), "the Linux files are gone");
    let count = walk(dir.path());
    assert_eq!(count, entra.files.len());
    let one_day = lockscope_sim::generate(&config(Scenario::LinuxBruteForce, 5, 1, 1), dir.path()).expect("brute");
    assert_eq!(walk(dir.path()), one_day.files.len(), "only this run's files");
    assert!(!dir.path().join("linux/web01/auth.log.1.gz").exists(), "one day: nothing rotated");
}

fn walk(dir: &std::path::Path) -> usize {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                n += 1;
            }
        }
    }
    n
}
