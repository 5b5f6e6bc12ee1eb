//! PAM module messages: `pam_unix`, `pam_sss` and other modules' `authentication failure`,
//! sessions, password changes, and the lockout modules `pam_faillock`, `pam_tally2` and
//! `pam_tally` (`reference/formats.md` §8.3, §8.4).
//!
//! The `authentication failure; logname= uid= euid= tty= ruser= rhost= user=` tail is read from
//! the start: every field before `user=` is one word written by the system (the remote host name
//! or address, the tty, local account names), and `user=`, the name the client typed, is the last
//! field and takes the rest of the line. So a name like `x rhost=6.6.6.6` stays a name and never
//! moves the remote address.

use crate::event::{Failure, Kind};

use super::messages::{Item, Role, between, pam_text_failure};

/// `pam_MODULE(SERVICE:TYPE): REST`: module, service, type and the rest.
pub(super) fn prefix(msg: &str) -> Option<(&str, &str, &str, &str)> {
    if !msg.starts_with("pam_") {
        return None;
    }
    let open = msg.find('(')?;
    let close = msg[open..].find("): ")? + open;
    let (service, kind) = msg[open + 1..close].split_once(':')?;
    let module = &msg[..open];
    if module.contains(' ') || service.contains(' ') {
        return None;
    }
    Some((module, service, kind, &msg[close + 3..]))
}

/// The structured tail of a PAM failure line.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Fields<'a> {
    /// `logname=`: the login name of the controlling terminal.
    pub logname: Option<&'a str>,
    /// `tty=`.
    pub tty: Option<&'a str>,
    /// `ruser=`: the requesting user.
    pub ruser: Option<&'a str>,
    /// `rhost=`: the remote host as PAM was told.
    pub rhost: Option<&'a str>,
    /// `user=`: the account being authenticated (absent for unknown accounts).
    pub user: Option<&'a str>,
}

/// Reads `logname=… uid=… euid=… tty=… ruser=… rhost=… [user=…]` from the start; the one-word
/// fields end at the next space, `user=` takes the rest. `None` when the fields are not in this
/// order.
pub(super) fn fields(s: &str) -> Option<Fields<'_>> {
    let mut rest = s.trim_start().strip_prefix("logname=")?;
    // logname, uid, euid, tty, ruser, rhost.
    let mut values: [&str; 6] = [""; 6];
    for (i, key) in ["uid=", "euid=", "tty=", "ruser=", "rhost="].iter().enumerate() {
        let end = rest.find(' ')?;
        values[i] = &rest[..end];
        rest = rest[end + 1..].strip_prefix(key)?;
    }
    let end = rest.find(' ').unwrap_or(rest.len());
    values[5] = &rest[..end];
    // One or two spaces, then `user=`, or the end of the line.
    let tail = rest[end..].trim_start();
    let user = tail.strip_prefix("user=");
    if user.is_none() && !tail.is_empty() {
        return None;
    }
    let opt = |v: &'_ str| -> bool { !v.is_empty() };
    Some(Fields {
        logname: opt(values[0]).then_some(values[0]),
        tty: opt(values[3]).then_some(values[3]),
        ruser: opt(values[4]).then_some(values[4]),
        rhost: opt(values[5]).then_some(values[5]),
        user: user.map(str::trim).filter(|u| !u.is_empty()),
    })
}

/// The service as an application name: sshd's PAM service is the `ssh` service.
pub(super) fn app_of(service: &str) -> &str {
    match service {
        "sshd" | "sshd-session" => "ssh",
        other => other,
    }
}

/// Services whose PAM session follows an authentication (cron, systemd user managers and sudo
/// open sessions without one, or after one logged elsewhere).
const LOGIN_SERVICES: &[&str] = &[
    "sshd",
    "login",
    "su",
    "su-l",
    "remote",
    "rlogin",
    "rsh",
    "telnet",
    "gdm",
    "gdm-password",
    "lightdm",
    "sddm",
    "kdm",
    "xdm",
    "xrdp-sesman",
    "vsftpd",
    "proftpd",
    "cockpit",
    "dropbear",
    "mdm",
];

/// A failure line: `authentication failure; FIELDS`.
fn failure(service: &str, rest: &str) -> Option<Item> {
    let tail = rest.strip_prefix("authentication failure;")?;
    Some(failed_item(tail, "authentication failure", Role::Companion, service))
}

/// The item of a PAM failure line from its `key=value` tail. Fields in another order (a module
/// of its own) are not guessed at: a guess could take an injected value. The line is still a
/// failure, of unknown kind.
fn failed_item(tail: &str, code: &'static str, role: Role, service: &str) -> Item {
    let (f, failure) = match fields(tail) {
        Some(f) if f.user.is_some() => (f, Failure::BadPassword),
        Some(f) => (f, Failure::UnknownUser),
        None => (Fields::default(), Failure::Other),
    };
    let actor = f.ruser.or(f.logname).filter(|a| Some(*a) != f.user);
    Item::failed(failure, code, role).user(f.user).remote(f.rhost).actor(actor).app(app_of(service))
}

/// `PAM N more authentication failure[s]; FIELDS` (the summary at the end of a PAM session).
pub(super) fn more(msg: &str, prog: &str) -> Option<Item> {
    let rest = msg.strip_prefix("PAM ")?;
    let (n, rest) = rest.split_once(' ')?;
    n.parse::<u32>().ok()?;
    let tail = rest
        .strip_prefix("more authentication failures;")
        .or_else(|| rest.strip_prefix("more authentication failure;"))?;
    Some(failed_item(tail, "more authentication failures", Role::More, prog))
}

/// One message of a PAM module of `service`.
pub(super) fn parse(module: &str, service: &str, rest: &str) -> Option<Item> {
    let rest = rest.trim_end();
    match module {
        "pam_faillock" => faillock(service, rest),
        "pam_tally2" | "pam_tally" => tally(service, rest),
        "pam_sss" => failure(service, rest).or_else(|| sss_received(service, rest)),
        _ => failure(service, rest)
            .or_else(|| session(service, rest))
            .or_else(|| password_changed(service, rest))
            .or_else(|| account(service, rest)),
    }
}

/// `session opened for user U[(uid=N)] by [A][(uid=M)]`.
fn session(service: &str, rest: &str) -> Option<Item> {
    let body = rest.strip_prefix("session opened for user ")?;
    if !LOGIN_SERVICES.contains(&service) {
        return None;
    }
    // The caller part is last and fixed in shape: read it from the end.
    let (user, by) = body.rsplit_once(" by ").unwrap_or((body, ""));
    // root needs no password to su (pam_rootok): cron jobs running `su news` are no logon.
    if service.starts_with("su") && by.trim().trim_end_matches('.').ends_with("(uid=0)") {
        return None;
    }
    let strip_uid = |s: &str| -> String {
        let s = s.trim().trim_end_matches('.');
        match s.rfind("(uid=") {
            Some(p) if s.ends_with(')') => s[..p].to_string(),
            _ => s.to_string(),
        }
    };
    let user = strip_uid(user);
    let by = strip_uid(by);
    Some(
        Item::succeeded("session opened", Role::SessionOpen)
            .user(Some(&user))
            .actor(Some(by.as_str()).filter(|b| !b.is_empty() && *b != user))
            .app(app_of(service)),
    )
}

/// `password changed for USER` (pam_unix on `passwd:chauthtok`).
fn password_changed(service: &str, rest: &str) -> Option<Item> {
    let user = rest.strip_prefix("password changed for ")?;
    Some(Item::fact(Kind::PasswordChange, "password changed").user(Some(user)).app(service))
}

/// pam_unix account checks: `account U has expired (account expired)`, `expired password for
/// user U (password aged)`.
fn account(service: &str, rest: &str) -> Option<Item> {
    let (user, failure, code) = if let Some(body) = rest.strip_prefix("account ") {
        let user = body.rsplit_once(" has expired (")?.0;
        let failure =
            if body.ends_with("(failed to change password)") { Failure::PasswordExpired } else { Failure::Disabled };
        (user, failure, "account has expired")
    } else {
        let body = rest.strip_prefix("expired password for user ")?;
        (body.rsplit_once(" (")?.0, Failure::PasswordExpired, "expired password")
    };
    Some(Item::failed(failure, code, Role::Companion).user(Some(user)).app(app_of(service)))
}

/// pam_sss `received for user U: CODE (TEXT)`; the code is the PAM return value.
fn sss_received(service: &str, rest: &str) -> Option<Item> {
    let body = rest.strip_prefix("received for user ")?;
    // The code and text are last and fixed in shape: read them from the end.
    let (user, tail) = body.rsplit_once(": ")?;
    let (code, text) = tail.split_once(' ')?;
    let code: u32 = code.parse().ok()?;
    let failure = match code {
        7 => Failure::BadPassword,
        10 => Failure::UnknownUser,
        12 => Failure::PasswordExpired,
        13 => Failure::Disabled,
        _ => pam_text_failure(text.trim_start_matches('(').trim_end_matches(')')),
    };
    Some(Item::failed(failure, "received for user", Role::SssDetail).user(Some(user)).app(app_of(service)))
}

/// `Consecutive login failures for user U account temporarily locked`: the lock.
fn faillock(service: &str, rest: &str) -> Option<Item> {
    let user =
        rest.strip_prefix("Consecutive login failures for user ")?.strip_suffix(" account temporarily locked")?;
    Some(Item::fact(Kind::Lockout, "Consecutive login failures").user(Some(user)).app(app_of(service)))
}

/// pam_tally2 / pam_tally: `user U (UID) tally N, deny M` (an attempt refused while locked) and
/// `user U (UID) has time limit [Ns left] since last failure.`
fn tally(service: &str, rest: &str) -> Option<Item> {
    let body = rest.strip_prefix("user ")?;
    if let Some((head, counts)) = body.rsplit_once(") tally ") {
        let user = head.rsplit_once(" (")?.0;
        let (n, deny) = counts.split_once(", deny ")?;
        let (n, deny): (u32, u32) = (n.parse().ok()?, deny.parse().ok()?);
        // The first refusal is when the lock took hold; later ones are attempts refused by it.
        if n == deny.saturating_add(1) {
            return Some(Item::fact(Kind::Lockout, "tally").user(Some(user)).app(app_of(service)));
        }
        return Some(Item::failed(Failure::Locked, "tally", Role::Companion).user(Some(user)).app(app_of(service)));
    }
    let head = between(body, "", ") has time limit [")?;
    let user = head.rsplit_once(" (")?.0;
    Some(Item::failed(Failure::Locked, "has time limit", Role::Companion).user(Some(user)).app(app_of(service)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(prefix("pam_unix(sshd:auth): check pass"), Some(("pam_unix", "sshd", "auth", "check pass")));
        assert_eq!(prefix("pam_unix sshd:auth): x"), None);
        assert_eq!(prefix("pam_x(a:b) c"), None);
    }

    #[test]
    fn fields_in_order_with_one_or_two_spaces_before_user() {
        let f = fields(" logname= uid=0 euid=0 tty=ssh ruser= rhost=202.109.143.106  user=root").expect("fields");
        assert_eq!((f.rhost, f.user, f.ruser, f.logname), (Some("202.109.143.106"), Some("root"), None, None));
        let f = fields(" logname=bob uid=1117 euid=0 tty=/dev/pts/1 ruser=alice rhost= user=root").expect("fields");
        assert_eq!(
            (f.rhost, f.user, f.ruser, f.logname, f.tty),
            (None, Some("root"), Some("alice"), Some("bob"), Some("/dev/pts/1"))
        );
        let f = fields(" logname= uid=0 euid=0 tty=ssh ruser= rhost=173.234.31.186 ").expect("fields");
        assert_eq!((f.rhost, f.user), (Some("173.234.31.186"), None));
        assert_eq!(fields(" logname= uid=0 rhost=1.2.3.4"), None);
    }

    #[test]
    fn hostile_user_names_never_move_rhost() {
        for user in ["x rhost=6.6.6.6", "rhost=6.6.6.6", "a  user=b rhost=6.6.6.6", "x\\nrhost=6.6.6.6"] {
            let tail = format!(" logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.9  user={user}");
            let f = fields(&tail).expect("fields");
            assert_eq!((f.rhost, f.user), (Some("192.0.2.9"), Some(user)));
        }
        // With no rhost at all, the injected one is not taken either.
        let f = fields(" logname= uid=0 euid=0 tty=ssh ruser= rhost=  user=x rhost=6.6.6.6").expect("fields");
        assert_eq!((f.rhost, f.user), (None, Some("x rhost=6.6.6.6")));
    }

    #[test]
    fn lockout_modules() {
        let item = parse("pam_faillock", "sshd", "Consecutive login failures for user test account temporarily locked");
        let item = item.expect("faillock");
        assert_eq!((item.kind, item.user.as_deref()), (Kind::Lockout, Some("test")));
        let first = parse("pam_tally2", "sshd", "user alice (1000) tally 4, deny 3").expect("tally");
        assert_eq!(first.kind, Kind::Lockout);
        let later = parse("pam_tally2", "sshd", "user alice (1000) tally 5, deny 3").expect("tally");
        assert_eq!((later.failure, later.user.as_deref()), (Some(Failure::Locked), Some("alice")));
        let limit = parse("pam_tally2", "sshd", "user alice (1000) has time limit [50s left] since last failure.");
        assert_eq!(limit.and_then(|i| i.failure), Some(Failure::Locked));
    }

    #[test]
    fn sessions_and_sss() {
        let s = parse("pam_unix", "su", "session opened for user root(uid=0) by alice(uid=1000)").expect("session");
        assert_eq!((s.user.as_deref(), s.actor.as_deref()), (Some("root"), Some("alice")));
        let s = parse("pam_unix", "sshd", "session opened for user localusertest01 by (uid=0).").expect("session");
        assert_eq!((s.user.as_deref(), s.actor), (Some("localusertest01"), None));
        assert_eq!(parse("pam_unix", "cron", "session opened for user root by (uid=0)"), None);
        assert_eq!(parse("pam_unix", "su", "session opened for user news by (uid=0)"), None);
        let s = parse("pam_unix", "login", "session opened for user erin").expect("no caller part");
        assert_eq!((s.user.as_deref(), s.actor), (Some("erin"), None));
        let r = parse("pam_sss", "sshd", "received for user alice@corp.example: 7 (Authentication failure)");
        assert_eq!(
            r.map(|i| (i.failure, i.user)),
            Some((Some(Failure::BadPassword), Some("alice@corp.example".into())))
        );
    }
}
