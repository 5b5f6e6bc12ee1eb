//! What one log message says, by program (`reference/formats.md` §8.2–§8.5), before it is placed
//! in time and matched with the other lines of its process.
//!
//! Every parser takes the attacker-controlled parts (the login name, a key id, an anonymous
//! password) from where the program writes them and reads fixed fields around them from the side
//! the attacker cannot reach: sshd's `from ADDR port N ssh2` suffix from the end, PAM's
//! `logname= … rhost=` fields from the start with `user=` (the only free text) last.

use std::borrow::Cow;

use crate::event::{Failure, Kind, Outcome};

use super::{pam, programs, sshd};

/// How a line relates to the other lines of the same process (see [`super::collect`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// The program's own record of an attempt's result (sshd `Failed password`, `FAILED SU`,
    /// sudo's `incorrect password attempts`): it stands for the PAM lines of the same attempt.
    Result,
    /// A line that repeats an attempt the program usually logs itself (a PAM `authentication
    /// failure`, sshd's `Invalid user`): an event only when no result line of the process follows.
    Companion,
    /// `PAM N more authentication failures`: the end-of-session summary of PAM.
    More,
    /// A PAM session opened after authentication: a success when the program logged none.
    SessionOpen,
    /// pam_sss `received for user U: CODE (TEXT)`: the detail of the failure pam_sss just logged.
    SssDetail,
    /// A fact of its own (a lockout, a password change).
    Plain,
}

/// An event candidate read from a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Item {
    /// What happened.
    pub kind: Kind,
    /// How it ended.
    pub outcome: Outcome,
    /// The failure class.
    pub failure: Option<Failure>,
    /// The account, as logged.
    pub user: Option<String>,
    /// Who acted, when it is someone else (the caller of `su` or `sudo`).
    pub actor: Option<String>,
    /// The remote peer, as logged (IP or host name).
    pub remote: Option<String>,
    /// The message's key phrase.
    pub code: Cow<'static, str>,
    /// The service (`ssh`, `su`, `ftp`, the PAM service).
    pub app: Option<String>,
    /// How it relates to other lines.
    pub role: Role,
}

impl Item {
    /// A failed logon.
    pub fn failed(failure: Failure, code: impl Into<Cow<'static, str>>, role: Role) -> Self {
        Item {
            kind: Kind::Logon,
            outcome: Outcome::Failure,
            failure: Some(failure),
            user: None,
            actor: None,
            remote: None,
            code: code.into(),
            app: None,
            role,
        }
    }

    /// A successful logon.
    pub fn succeeded(code: impl Into<Cow<'static, str>>, role: Role) -> Self {
        Item { outcome: Outcome::Success, failure: None, ..Item::failed(Failure::Other, code, role) }
    }

    /// An event of `kind` with no outcome.
    pub fn fact(kind: Kind, code: impl Into<Cow<'static, str>>) -> Self {
        Item { kind, outcome: Outcome::Info, failure: None, ..Item::failed(Failure::Other, code, Role::Plain) }
    }

    /// Sets the account (an empty name is no name).
    pub fn user(mut self, user: Option<&str>) -> Self {
        self.user = user.map(str::trim).filter(|u| !u.is_empty()).map(str::to_string);
        self
    }

    /// Sets the remote peer (an empty value is none).
    pub fn remote(mut self, remote: Option<&str>) -> Self {
        self.remote = remote.map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);
        self
    }

    /// Sets the acting account.
    pub fn actor(mut self, actor: Option<&str>) -> Self {
        self.actor = actor.map(str::trim).filter(|a| !a.is_empty()).map(str::to_string);
        self
    }

    /// Sets the service.
    pub fn app(mut self, app: &str) -> Self {
        self.app = (!app.is_empty()).then(|| app.to_string());
        self
    }
}

/// What a message gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Parsed {
    /// The event candidate, or `None` when the line carries nothing this tool uses.
    pub item: Option<Item>,
    /// `N` of an rsyslog `message repeated N times: [ … ]` line.
    pub repeated: Option<u32>,
}

/// A program name split into the name and, for the old Red Hat form `sshd(pam_unix)`, the module.
pub(super) fn split_prog(prog: &str) -> (&str, Option<&str>) {
    match (prog.find('('), prog.strip_suffix(')')) {
        (Some(open), Some(inner)) if open > 0 => (&prog[..open], Some(&inner[open + 1..])),
        _ => (prog, None),
    }
}

/// The correlation family of a program: processes of one family log one attempt together.
pub(super) fn family(name: &str) -> &str {
    match name {
        "sshd-session" | "sshd-auth" => "sshd",
        other => other,
    }
}

/// Reads one message of `prog` (the tag without pid; `None` for untagged lines).
pub(super) fn parse(prog: Option<&str>, msg: &str) -> Parsed {
    let msg = msg.trim_end();
    if let Some((n, inner)) = repeated(msg) {
        // One level only: rsyslog does not nest the reduction.
        return Parsed { item: dispatch(prog, inner), repeated: Some(n) };
    }
    Parsed { item: dispatch(prog, msg), repeated: None }
}

fn dispatch(prog: Option<&str>, msg: &str) -> Option<Item> {
    let (name, module) = prog.map_or(("", None), split_prog);
    if let Some((module, service, _kind, rest)) = pam::prefix(msg) {
        return pam::parse(module, service, rest);
    }
    if let Some(module) = module.filter(|m| m.starts_with("pam_")) {
        return pam::parse(module, name, msg);
    }
    if let Some(item) = pam::more(msg, name) {
        return Some(item);
    }
    match family(name) {
        "sshd" => sshd::parse(msg),
        "sudo" => programs::sudo(msg),
        "su" => programs::su(msg),
        "login" => programs::login(msg),
        "dropbear" => programs::dropbear(msg),
        "vsftpd" => programs::vsftpd(msg),
        "proftpd" => programs::proftpd(msg),
        "himmelblaud" | "himmelblau" => programs::himmelblau(msg),
        "useradd" | "userdel" | "usermod" => programs::account(msg),
        // An untagged line (`journalctl -o cat`): sshd's phrases are distinctive enough.
        "" => sshd::parse(msg),
        _ => None,
    }
}

/// `message repeated N times: [ MSG]` (rsyslog's repeated-message reduction).
fn repeated(msg: &str) -> Option<(u32, &str)> {
    let rest = msg.strip_prefix("message repeated ")?;
    let (n, rest) = rest.split_once(' ')?;
    let inner = rest.strip_prefix("times: [")?;
    let inner = inner.strip_suffix(']').unwrap_or(inner);
    Some((n.parse().ok()?, inner.trim()))
}

/// The failure class of a PAM error text (`pam_strerror`), as programs quote it.
pub(super) fn pam_text_failure(text: &str) -> Failure {
    let t = text.trim().to_ascii_lowercase();
    if t.contains("user not known") || t.contains("unknown user") || t.contains("user unknown") {
        Failure::UnknownUser
    } else if t.contains("authentication failure") || t.contains("incorrect password") {
        Failure::BadPassword
    } else if t.contains("account has expired") || t.contains("account expired") {
        Failure::Disabled
    } else if t.contains("new one required") || t.contains("password expired") || t.contains("password has expired") {
        Failure::PasswordExpired
    } else if t.contains("locked") {
        Failure::Locked
    } else {
        Failure::Other
    }
}

/// The text between the first `open` and the last `close` of `s`, when both exist in that order.
pub(super) fn between<'a>(s: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = s.find(open)? + open.len();
    let end = s.rfind(close)?;
    (end >= start).then(|| &s[start..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_names() {
        assert_eq!(split_prog("sshd(pam_unix)"), ("sshd", Some("pam_unix")));
        assert_eq!(split_prog("sshd"), ("sshd", None));
        assert_eq!(split_prog("(x)"), ("(x)", None));
        assert_eq!(family("sshd-session"), "sshd");
    }

    #[test]
    fn repeated_lines() {
        let p = parse(
            Some("sshd"),
            "message repeated 5 times: [ Failed password for root from 5.36.59.76 port 42393 ssh2]",
        );
        assert_eq!(p.repeated, Some(5));
        let item = p.item.expect("item");
        assert_eq!((item.user.as_deref(), item.remote.as_deref()), (Some("root"), Some("5.36.59.76")));
        assert_eq!(parse(Some("sshd"), "message repeated x times: [ y]").repeated, None);
    }

    #[test]
    fn pam_texts() {
        assert_eq!(pam_text_failure("User not known to the underlying authentication module"), Failure::UnknownUser);
        assert_eq!(pam_text_failure("Authentication failure"), Failure::BadPassword);
        assert_eq!(pam_text_failure("User account has expired"), Failure::Disabled);
        assert_eq!(
            pam_text_failure("Authentication token is no longer valid; new one required"),
            Failure::PasswordExpired
        );
        assert_eq!(pam_text_failure("Permission denied"), Failure::Other);
    }
}
