//! sshd messages (`reference/formats.md` §8.2), from `sshd` and OpenSSH ≥ 9.8's `sshd-session`.
//!
//! The result line is `STATUS METHOD for [invalid user ]USER from ADDR port N ssh2[: EXTRA]`.
//! USER is whatever the client sent (sshd escapes control characters but keeps spaces), so it can
//! contain ` from 6.6.6.6 port 22 ssh2`. The address is therefore read from the END: the last
//! ` from ` followed by a one-word address, ` port `, digits and the protocol word, ending the
//! message (or followed by `: ` and the key of a key-based method). USER is everything between
//! `for [invalid user ]` and that suffix.

use crate::event::Failure;

use super::messages::{Item, Role, pam_text_failure};

/// The sshd service as an application name.
const APP: &str = "ssh";

/// Reads an sshd message; `None` when it says nothing this tool uses.
pub(super) fn parse(msg: &str) -> Option<Item> {
    let msg = msg.strip_suffix(" [preauth]").unwrap_or(msg);
    let item = if let Some(rest) = msg.strip_prefix("Invalid user ").or_else(|| msg.strip_prefix("Illegal user ")) {
        invalid_user(rest)?
    } else if let Some(rest) = msg.strip_prefix("error: PAM: ") {
        pam_error(rest)?
    } else if let Some(rest) = msg.strip_prefix("User ") {
        not_allowed(rest)?
    } else {
        result(msg)?
    };
    Some(item.app(APP))
}

/// `Accepted|Failed|Partial METHOD for WHO from ADDR port N ssh2[: EXTRA]`.
fn result(msg: &str) -> Option<Item> {
    let (status, rest) = msg.split_once(' ')?;
    if !matches!(status, "Accepted" | "Failed" | "Partial" | "Postponed") {
        return None;
    }
    let (method, rest) = rest.split_once(' ')?;
    if method.is_empty() || !method.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'/' | b'@' | b'.'))
    {
        return None;
    }
    let who = rest.strip_prefix("for ")?;
    let (who, addr) = auth_suffix(who)?;
    if status == "Postponed" {
        // A keyboard-interactive prompt, not an attempt.
        return None;
    }
    let (invalid, user) = invalid_prefix(who);
    let code = format!("{status} {method}");
    let item = match status {
        "Accepted" => Item::succeeded(code, Role::Result),
        "Partial" => {
            let mut item = Item::succeeded(code, Role::Result);
            item.outcome = crate::event::Outcome::Interrupted;
            item
        }
        _ => {
            let guess = matches!(method, "password" | "keyboard-interactive" | "keyboard-interactive/pam");
            let failure = if invalid {
                Failure::UnknownUser
            } else if guess {
                Failure::BadPassword
            } else {
                Failure::Other
            };
            Item::failed(failure, code, Role::Result)
        }
    };
    Some(item.user(Some(user)).remote(Some(addr)))
}

/// Strips `invalid user ` (or the old `illegal user `); says whether it was there.
fn invalid_prefix(who: &str) -> (bool, &str) {
    match who.strip_prefix("invalid user ").or_else(|| who.strip_prefix("illegal user ")) {
        Some(user) => (true, user),
        None => (false, who),
    }
}

/// `USER from ADDR [port N]` with the address part read from the end.
fn invalid_user(rest: &str) -> Option<Item> {
    let (user, addr) = from_tail(rest, |tail| {
        let (addr, port) = match tail.split_once(" port ") {
            Some((a, p)) => (a, Some(p)),
            None => (tail, None),
        };
        (is_addr(addr) && port.is_none_or(is_digits)).then_some(addr)
    })?;
    Some(Item::failed(Failure::UnknownUser, "Invalid user", Role::Companion).user(Some(user)).remote(Some(addr)))
}

/// `error: PAM: TEXT for [illegal user ]USER from ADDR` (keyboard-interactive and old sshd).
fn pam_error(rest: &str) -> Option<Item> {
    // The PAM error texts are fixed and contain no ` for `: the first one ends the text.
    let (text, who) = rest.split_once(" for ")?;
    let (who, addr) = from_tail(who, |tail| is_addr(tail).then_some(tail))?;
    let (invalid, user) = invalid_prefix(who);
    let failure = if invalid { Failure::UnknownUser } else { pam_text_failure(text) };
    Some(Item::failed(failure, "error: PAM", Role::Companion).user(Some(user)).remote(Some(addr)))
}

/// `User USER [from ADDR] not allowed because REASON` (AllowUsers/DenyUsers/AllowGroups, a
/// missing shell, a locked password).
fn not_allowed(rest: &str) -> Option<Item> {
    // The reason is written by sshd after the name: the last ` not allowed because ` is its start.
    let (head, why) = rest.rsplit_once(" not allowed because ")?;
    let (user, addr) = match from_tail(head, |tail| is_addr(tail).then_some(tail)) {
        Some((user, addr)) => (user, Some(addr)),
        None => (head, None),
    };
    let failure = if why.starts_with("account is locked") { Failure::Disabled } else { Failure::PolicyBlocked };
    Some(Item::failed(failure, "not allowed", Role::Companion).user(Some(user)).remote(addr))
}

/// The user part and the address of `WHO from ADDR port N ssh2[: EXTRA]`, the suffix found from
/// the end. A suffix ending the message is preferred to one followed by `: EXTRA`, so that key
/// text cannot stand in for the real suffix of a line without it.
pub(super) fn auth_suffix(who: &str) -> Option<(&str, &str)> {
    // `ADDR port N[ ssh2]` then the end (true) or `: EXTRA` (false).
    let ends = |tail: &str| -> Option<(bool, usize)> {
        let (addr, rest) = tail.split_once(" port ")?;
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if !is_addr(addr) || digits == 0 {
            return None;
        }
        let after = &rest[digits..];
        let after = after.strip_prefix(" ssh2").or_else(|| after.strip_prefix(" ssh1")).unwrap_or(after);
        if after.is_empty() { Some((true, addr.len())) } else { after.starts_with(": ").then_some((false, addr.len())) }
    };
    let mut extra: Option<(usize, usize)> = None;
    for (at, _) in who.rmatch_indices(" from ") {
        let tail = &who[at + 6..];
        match ends(tail) {
            Some((true, len)) => return Some((&who[..at], &tail[..len])),
            Some((false, len)) if extra.is_none() => extra = Some((at, len)),
            _ => {}
        }
    }
    let (at, len) = extra?;
    Some((&who[..at], &who[at + 6..at + 6 + len]))
}

/// The last ` from ` of `s` whose tail `accept` takes: the text before it and what `accept` gave.
fn from_tail<'a>(s: &'a str, accept: impl Fn(&'a str) -> Option<&'a str>) -> Option<(&'a str, &'a str)> {
    s.rmatch_indices(" from ").find_map(|(at, _)| accept(&s[at + 6..]).map(|addr| (&s[..at], addr)))
}

/// Whether a word can be an address as sshd logs it: an IP or a host name.
fn is_addr(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b':' | b'-' | b'_' | b'%'))
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Kind, Outcome};

    fn get(msg: &str) -> Item {
        parse(msg).unwrap_or_else(|| panic!("no item: {msg}"))
    }

    #[test]
    fn result_lines() {
        let i = get("Accepted publickey for vagrant from 10.0.2.2 port 63673 ssh2: RSA 39:33:99:e9:a0:dc:f2:33");
        assert_eq!((i.kind, i.outcome, i.code.as_ref()), (Kind::Logon, Outcome::Success, "Accepted publickey"));
        assert_eq!((i.user.as_deref(), i.remote.as_deref()), (Some("vagrant"), Some("10.0.2.2")));
        let i = get("Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2");
        assert_eq!((i.failure, i.user.as_deref()), (Some(Failure::UnknownUser), Some("webmaster")));
        let i = get("Failed none for invalid user admin from 10.0.0.1 port 5 ssh2");
        assert_eq!(i.failure, Some(Failure::UnknownUser));
        let i = get("Failed publickey for root from 10.0.0.1 port 5 ssh2: ED25519 SHA256:abc");
        assert_eq!(i.failure, Some(Failure::Other));
        let i = get("Failed keyboard-interactive/pam for root from 2001:db8::1 port 22 ssh2");
        assert_eq!((i.failure, i.remote.as_deref()), (Some(Failure::BadPassword), Some("2001:db8::1")));
        assert_eq!(parse("Postponed keyboard-interactive for u from 1.2.3.4 port 1 ssh2"), None);
        assert_eq!(get("Partial publickey for u from 1.2.3.4 port 1 ssh2: RSA x").outcome, Outcome::Interrupted);
        assert_eq!(parse("Connection closed by 173.234.31.186 [preauth]"), None);
    }

    #[test]
    fn other_forms() {
        let i = get("Invalid user test from 10.0.2.2");
        assert_eq!((i.role, i.user.as_deref(), i.remote.as_deref()), (Role::Companion, Some("test"), Some("10.0.2.2")));
        let i = get("Invalid user  from 10.0.2.2 port 4");
        assert_eq!(i.user, None, "an empty name is no name");
        let i = get(
            "error: PAM: User not known to the underlying authentication module for illegal user test from test.example.com",
        );
        assert_eq!((i.failure, i.remote.as_deref()), (Some(Failure::UnknownUser), Some("test.example.com")));
        let i = get("User root from 192.0.2.4 not allowed because not listed in AllowUsers");
        assert_eq!((i.failure, i.user.as_deref()), (Some(Failure::PolicyBlocked), Some("root")));
        let i = get("User alice not allowed because account is locked");
        assert_eq!((i.failure, i.user.as_deref(), i.remote), (Some(Failure::Disabled), Some("alice"), None));
    }

    #[test]
    fn injected_addresses_are_never_the_source() {
        for user in [
            "admin from 6.6.6.6 port 22",
            "admin from 6.6.6.6 port 22 ssh2",
            "x from 6.6.6.6 port 22 ssh2: RSA y",
            "for invalid user z from 6.6.6.6",
            " from 6.6.6.6 port 1 ssh2 from 6.6.6.6 port 2 ssh2",
        ] {
            let i = get(&format!("Failed password for {user} from 192.0.2.1 port 4242 ssh2"));
            assert_eq!((i.user.as_deref(), i.remote.as_deref()), (Some(user.trim()), Some("192.0.2.1")), "{user}");
            let i = get(&format!("Failed password for invalid user {user} from 192.0.2.1 port 4242 ssh2"));
            assert_eq!(i.remote.as_deref(), Some("192.0.2.1"), "{user}");
            let i = get(&format!("Invalid user {user} from 192.0.2.1 port 4242"));
            assert_eq!(i.remote.as_deref(), Some("192.0.2.1"), "{user}");
            let i = get(&format!("Accepted publickey for {user} from 192.0.2.1 port 4242 ssh2: RSA SHA256:k"));
            assert_eq!(i.remote.as_deref(), Some("192.0.2.1"), "{user}");
        }
    }
}
