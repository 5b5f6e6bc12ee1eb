//! Messages of the other programs that authenticate users: `sudo`, `su`, `login`, dropbear,
//! vsftpd, proftpd, Himmelblau (Entra ID login), and the account tools (`reference/formats.md`
//! §8.3, §8.5).
//!
//! Each parser reads the fixed parts of a line from the side the client cannot write to: the
//! `from ADDR:PORT` of dropbear and the `Client "ADDR"` of vsftpd from the end, proftpd's
//! `SERVER (HOST[IP]) - ` prefix from the start, and a login name only between those.

use crate::event::{Failure, Kind};

use super::messages::{Item, Role, between, pam_text_failure};

/// sudo: `USER : N incorrect password attempts ; TTY=… ; COMMAND=…` and the refusals
/// (`user NOT in sudoers`, `command not allowed`, `a password is required`). Commands that ran
/// are not authentications and are left out.
pub(super) fn sudo(msg: &str) -> Option<Item> {
    // The caller is a local account name (no ` : `); everything after it is fixed or, for PWD and
    // COMMAND, chosen by the caller and not read.
    let (user, rest) = msg.trim_start().split_once(" : ")?;
    let what = rest.split(" ; ").next().unwrap_or(rest);
    let item = if let Some(n) =
        what.strip_suffix(" incorrect password attempts").or(what.strip_suffix(" incorrect password attempt"))
    {
        n.parse::<u32>().ok()?;
        Item::failed(Failure::BadPassword, "incorrect password attempts", Role::Result)
    } else {
        let code = match what {
            "user NOT in sudoers" => "user NOT in sudoers",
            "command not allowed" => "command not allowed",
            "a password is required" => "a password is required",
            "user NOT authorized on host" => "user NOT authorized on host",
            _ => return None,
        };
        Item::failed(Failure::Other, code, Role::Result)
    };
    Some(item.user(Some(user)).app("sudo"))
}

/// su: `FAILED SU (to ROOT) CALLER on TTY`, `FAILED su for ROOT by CALLER`, the successes
/// `(to ROOT) CALLER on TTY` and `Successful su for ROOT by CALLER`, and the old shadow form
/// `+ TTY CALLER:ROOT` / `- TTY CALLER:ROOT`.
pub(super) fn su(msg: &str) -> Option<Item> {
    let (failed, target, caller) = if let Some(rest) = msg.strip_prefix("FAILED SU (to ") {
        let (target, rest) = rest.split_once(") ")?;
        (true, target, rest.rsplit_once(" on ").map_or(rest, |(c, _)| c))
    } else if let Some(rest) = msg.strip_prefix("(to ") {
        let (target, rest) = rest.split_once(") ")?;
        (false, target, rest.rsplit_once(" on ").map_or(rest, |(c, _)| c))
    } else if let Some(rest) = msg.strip_prefix("FAILED su for ") {
        let (target, caller) = rest.rsplit_once(" by ")?;
        (true, target, caller)
    } else if let Some(rest) = msg.strip_prefix("Successful su for ") {
        let (target, caller) = rest.rsplit_once(" by ")?;
        (false, target, caller)
    } else {
        let (sign, rest) = msg.split_at_checked(2)?;
        let failed = match sign {
            "+ " => false,
            "- " => true,
            _ => return None,
        };
        let (_tty, pair) = rest.split_once(' ')?;
        let (caller, target) = pair.split_once(':')?;
        (failed, target, caller)
    };
    let item = if failed {
        Item::failed(Failure::BadPassword, "FAILED SU", Role::Result)
    } else {
        Item::succeeded("su", Role::Result)
    };
    Some(item.user(Some(target)).actor(Some(caller)).app("su"))
}

/// login: `FAILED LOGIN (N) on 'TTY' [from 'HOST'] FOR 'USER', REASON` (shadow),
/// `FAILED LOGIN N FROM HOST FOR USER, REASON` / `… ON TTY FOR …` (util-linux), and the successes
/// `ROOT LOGIN ON TTY [FROM HOST]`, `LOGIN ON TTY BY USER [FROM HOST]`.
pub(super) fn login(msg: &str) -> Option<Item> {
    if let Some(rest) = msg.strip_prefix("FAILED LOGIN ") {
        // The reason is a PAM error text, last, without a comma; the tty and host before FOR are
        // single words; the user is what lies between.
        let (head, reason) = rest.rsplit_once(", ").unwrap_or((rest, ""));
        let (before, user) = head.split_once(" FOR ")?;
        let remote = word_after(before, &[" FROM ", " from "]);
        let failure = if reason.is_empty() { Failure::Other } else { pam_text_failure(reason) };
        let user = unquote(user);
        let user = (!user.eq_ignore_ascii_case("UNKNOWN")).then_some(user);
        return Some(Item::failed(failure, "FAILED LOGIN", Role::Result).user(user).remote(remote).app("login"));
    }
    let (user, rest) = if let Some(rest) = msg.strip_prefix("ROOT LOGIN ") {
        ("root", rest)
    } else {
        let rest = msg.strip_prefix("LOGIN ON ")?;
        let by = rest.find(" BY ")?;
        let after = &rest[by + 4..];
        (after.split(' ').next().unwrap_or(after), rest)
    };
    let remote = word_after(rest, &[" FROM ", " from "]);
    Some(Item::succeeded("LOGIN", Role::Result).user(Some(user)).remote(remote).app("login"))
}

/// The word after the first of `keys` in `s`, without quotes.
fn word_after<'a>(s: &'a str, keys: &[&str]) -> Option<&'a str> {
    let at = keys.iter().find_map(|k| s.find(k).map(|p| p + k.len()))?;
    Some(unquote(s[at..].split(' ').next().unwrap_or("")))
}

/// `'x'` → `x`.
fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')).unwrap_or(s)
}

/// dropbear: `Bad password attempt for 'U' from ADDR:PORT`, `Bad PAM password attempt …`,
/// `Login attempt for nonexistent user ['U' ]from ADDR:PORT`, `Password auth succeeded for 'U'
/// from ADDR:PORT`, `Pubkey auth succeeded for 'U' with KEY from ADDR:PORT`, `User account 'U' is
/// locked`.
pub(super) fn dropbear(msg: &str) -> Option<Item> {
    if let Some(rest) = msg.strip_prefix("User account '") {
        let user = rest.strip_suffix("' is locked")?;
        return Some(
            Item::failed(Failure::Disabled, "User account is locked", Role::Result).user(Some(user)).app("ssh"),
        );
    }
    let (head, addr) = msg.rsplit_once(" from ")?;
    let addr = host_of(addr)?;
    let (item, who) = if let Some(who) =
        head.strip_prefix("Bad password attempt for ").or(head.strip_prefix("Bad PAM password attempt for "))
    {
        (Item::failed(Failure::BadPassword, "Bad password attempt", Role::Result), who)
    } else if let Some(who) = head.strip_prefix("Login attempt for nonexistent user") {
        (Item::failed(Failure::UnknownUser, "Login attempt for nonexistent user", Role::Result), who.trim_start())
    } else if let Some(who) =
        head.strip_prefix("Password auth succeeded for ").or(head.strip_prefix("PAM password auth succeeded for "))
    {
        (Item::succeeded("Password auth succeeded", Role::Result), who)
    } else if let Some(who) = head.strip_prefix("Pubkey auth succeeded for ") {
        (Item::succeeded("Pubkey auth succeeded", Role::Result), who.rsplit_once(" with ").map_or(who, |(w, _)| w))
    } else {
        return None;
    };
    Some(item.user(Some(unquote(who))).remote(Some(addr)).app("ssh"))
}

/// The host of `ADDR:PORT` (`[v6]:port`, or a v6 address whose last `:` part is the port).
fn host_of(s: &str) -> Option<&str> {
    let s = s.trim().trim_start_matches('<').trim_end_matches('>');
    let (host, port) = s.rsplit_once(':')?;
    if port.is_empty() || !port.bytes().all(|c| c.is_ascii_digit()) || host.contains(' ') || host.is_empty() {
        return None;
    }
    Some(host.trim_start_matches('[').trim_end_matches(']'))
}

/// vsftpd: `[U] FAIL LOGIN: Client "ADDR"` and `[U] OK LOGIN: Client "ADDR"` (anonymous logins,
/// which add the anonymous password after the address, are left out).
pub(super) fn vsftpd(msg: &str) -> Option<Item> {
    let body = msg.strip_prefix('[')?;
    let (head, addr) = body.strip_suffix('"')?.rsplit_once("Client \"")?;
    let (item, user) = if let Some(user) = head.strip_suffix("] FAIL LOGIN: ") {
        (Item::failed(Failure::BadPassword, "FAIL LOGIN", Role::Result), user)
    } else if let Some(user) = head.strip_suffix("] OK LOGIN: ") {
        (Item::succeeded("OK LOGIN", Role::Result), user)
    } else {
        return None;
    };
    Some(item.user(Some(user)).remote(Some(addr)).app("ftp"))
}

/// proftpd: `SERVER (HOST[IP]) - USER U (Login failed): REASON`, `… - USER U: no such user found
/// from …`, `… - USER U: Login successful.`
pub(super) fn proftpd(msg: &str) -> Option<Item> {
    // The prefix is written by the server before the user part: read it from the start.
    let open = msg.find(" (")?;
    let rest = &msg[open + 2..];
    let lb = rest.find('[')?;
    let close = rest.find("]) - ")?;
    if close < lb {
        return None;
    }
    let ip = &rest[lb + 1..close];
    let body = rest[close + 5..].strip_prefix("USER ")?;
    let (item, user) = if let Some((user, reason)) = body.rsplit_once(" (Login failed): ") {
        let failure = if reason.starts_with("Incorrect password") { Failure::BadPassword } else { Failure::Other };
        (Item::failed(failure, "Login failed", Role::Result), user)
    } else if let Some((user, _)) = body.rsplit_once(": no such user found from ") {
        (Item::failed(Failure::UnknownUser, "no such user found", Role::Result), user)
    } else if let Some(user) = body.strip_suffix(": Login successful.") {
        (Item::succeeded("Login successful", Role::Result), user)
    } else {
        return None;
    };
    Some(item.user(Some(user)).remote(Some(ip)).app("ftp"))
}

/// Himmelblau (Entra ID login for Linux): lines naming an `AADSTSnnnnn` error, and failed
/// authentications. Its exact wording is not documented (`reference/formats.md` §8.5), so the
/// account is the first word shaped like a UPN, when there is one.
pub(super) fn himmelblau(msg: &str) -> Option<Item> {
    let code = aadsts(msg);
    let failed = msg.contains("Failed to authenticate") || msg.starts_with("Authentication failed");
    if code.is_none() && !failed {
        return None;
    }
    let failure = code.and_then(|c| c[6..].parse::<i64>().ok()).and_then(crate::source::entra::aadsts::failure);
    let user = msg
        .split(|c: char| {
            c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ':' | ';' | '(' | ')' | '[' | ']' | '{' | '}')
        })
        .find(|w| w.split_once('@').is_some_and(|(a, d)| !a.is_empty() && d.contains('.')));
    let code = code.map_or("Failed to authenticate".to_string(), str::to_string);
    Some(Item::failed(failure.unwrap_or(Failure::Other), code, Role::Plain).user(user).app("himmelblau"))
}

/// The first `AADSTS` followed by digits.
fn aadsts(msg: &str) -> Option<&str> {
    let at = msg.find("AADSTS")?;
    let digits = msg[at + 6..].bytes().take_while(u8::is_ascii_digit).count();
    (digits > 0).then(|| &msg[at..at + 6 + digits])
}

/// useradd / userdel / usermod: `new user: name=U, …`, `delete user 'U'`, `lock user 'U'
/// password`, `unlock user 'U' password`.
pub(super) fn account(msg: &str) -> Option<Item> {
    if let Some(rest) = msg.strip_prefix("new user: name=") {
        let user = rest.split(',').next().unwrap_or(rest);
        return Some(Item::fact(Kind::UserCreated, "new user").user(Some(user)));
    }
    let (kind, code, rest) = if let Some(rest) = msg.strip_prefix("delete user ") {
        (Kind::UserDeleted, "delete user", rest)
    } else if let Some(rest) = msg.strip_prefix("lock user ") {
        (Kind::AccountDisabled, "lock user", rest.strip_suffix(" password")?)
    } else {
        (Kind::AccountEnabled, "unlock user", msg.strip_prefix("unlock user ")?.strip_suffix(" password")?)
    };
    Some(Item::fact(kind, code).user(between(rest, "'", "'").or(Some(rest))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Outcome;

    #[test]
    fn sudo_lines() {
        let i = sudo("     tsg : user NOT in sudoers ; TTY=pts/1 ; PWD=/home/vagrant ; USER=root ; COMMAND=/bin/ls");
        assert_eq!(i.map(|i| (i.user, i.code.into_owned())), Some((Some("tsg".into()), "user NOT in sudoers".into())));
        let i = sudo("alice : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/x ; USER=root ; COMMAND=/bin/id")
            .expect("i");
        assert_eq!((i.failure, i.user.as_deref()), (Some(Failure::BadPassword), Some("alice")));
        assert!(sudo("vagrant : TTY=pts/0 ; PWD=/home/vagrant ; USER=root ; COMMAND=/bin/ls").is_none());
        // A hostile working directory does not turn a command into a failure.
        assert!(sudo("eve : TTY=pts/0 ; PWD=/tmp/ ; 3 incorrect password attempts ; USER=root ; COMMAND=x").is_none());
    }

    #[test]
    fn su_and_login() {
        let i = su("FAILED SU (to root) alice on pts/1").expect("su");
        assert_eq!((i.user.as_deref(), i.actor.as_deref(), i.outcome), (Some("root"), Some("alice"), Outcome::Failure));
        let i = su("(to root) alice on pts/1").expect("su");
        assert_eq!(i.outcome, Outcome::Success);
        assert_eq!(su("FAILED su for root by bob").and_then(|i| i.actor), Some("bob".into()));
        assert_eq!(
            su("+ pts/1 alice:root").map(|i| (i.user, i.outcome)),
            Some((Some("root".into()), Outcome::Success))
        );
        let i = login("FAILED LOGIN (1) on '/dev/tty1' FOR 'alice', Authentication failure").expect("login");
        assert_eq!((i.user.as_deref(), i.failure), (Some("alice"), Some(Failure::BadPassword)));
        let i = login("FAILED LOGIN 1 FROM 192.0.2.5 FOR bob, User not known to the underlying authentication module");
        let i = i.expect("login");
        assert_eq!((i.remote.as_deref(), i.failure), (Some("192.0.2.5"), Some(Failure::UnknownUser)));
        let i = login(
            "FAILED LOGIN (1) on '/dev/tty1' FOR 'UNKNOWN', User not known to the underlying authentication module",
        );
        assert_eq!(i.and_then(|i| i.user), None);
        assert_eq!(login("ROOT LOGIN ON tty2").and_then(|i| i.user), Some("root".into()));
        assert_eq!(login("LOGIN ON tty1 BY alice").and_then(|i| i.user), Some("alice".into()));
    }

    #[test]
    fn ftp_and_dropbear_with_hostile_names() {
        let i = dropbear("Bad password attempt for 'x' from 6.6.6.6:22' from 192.0.2.7:5555").expect("dropbear");
        assert_eq!((i.user.as_deref(), i.remote.as_deref()), (Some("x' from 6.6.6.6:22"), Some("192.0.2.7")));
        let i = dropbear("Login attempt for nonexistent user from [2001:db8::2]:5555").expect("dropbear");
        assert_eq!((i.user, i.remote.as_deref()), (None, Some("2001:db8::2")));
        let i = vsftpd(r#"[a] FAIL LOGIN: Client "6.6.6.6"] FAIL LOGIN: Client "::ffff:192.0.2.8""#).expect("vsftpd");
        assert_eq!(i.remote.as_deref(), Some("::ffff:192.0.2.8"));
        assert_eq!(i.user.as_deref(), Some(r#"a] FAIL LOGIN: Client "6.6.6.6""#));
        let line = "ftp.example.com (client.example.net[192.0.2.9]) - USER x (Login failed): y [6.6.6.6] (Login failed): Incorrect password";
        let i = proftpd(line).expect("proftpd");
        assert_eq!((i.remote.as_deref(), i.failure), (Some("192.0.2.9"), Some(Failure::BadPassword)));
        let i = proftpd("ftp (h[192.0.2.9]) - USER bob: no such user found from h [192.0.2.9] to 10.0.0.1:21");
        assert_eq!(i.map(|i| i.failure), Some(Some(Failure::UnknownUser)));
    }

    #[test]
    fn entra_and_accounts() {
        let i = himmelblau("Failed to authenticate alice@contoso.com: AADSTS50126: Error validating credentials");
        let i = i.expect("himmelblau");
        assert_eq!(
            (i.code.as_ref(), i.failure, i.user.as_deref()),
            ("AADSTS50126", Some(Failure::BadPassword), Some("alice@contoso.com"))
        );
        assert_eq!(himmelblau("Throttling authentication attempt"), None);
        let i = account("new user: name=apache, UID=48, GID=48, home=/usr/share/httpd, shell=/sbin/nologin");
        assert_eq!(i.map(|i| (i.kind, i.user)), Some((Kind::UserCreated, Some("apache".into()))));
        assert_eq!(account("lock user 'bob' password").map(|i| i.kind), Some(Kind::AccountDisabled));
    }
}
