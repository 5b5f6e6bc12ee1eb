//! Quoting for the languages plans are rendered in. Every value in a plan comes from logs and is
//! attacker-controlled: a user name like `a';rm -rf /;'` must stay one literal argument.

/// A PowerShell single-quoted string. Inside one, nothing is interpreted except the quote
/// characters, and PowerShell takes the typographic quotes `‘ ’ ‚ ‛` for `'` too: each is
/// doubled, which is how the language escapes them (as
/// `CodeGeneration.EscapeSingleQuotedStringContent` does).
pub fn ps(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// A POSIX shell single-quoted word: nothing inside is interpreted; a `'` ends the quote, is
/// escaped, and the quote starts again (`'\''`).
pub fn sh(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// Text safe inside a line comment (`# …`) of PowerShell or shell: line breaks and other control
/// characters (and the Unicode line and paragraph separators) are shown as `\u{…}` escapes, so
/// text cannot end the comment and start a command.
pub fn comment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// A URL path segment: every byte outside the unreserved set (and `@`) percent-encoded.
/// A segment of dots only (`.`, `..`) is encoded too, so it cannot climb the path.
pub fn url_segment(s: &str) -> String {
    let only_dots = s.bytes().all(|b| b == b'.');
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'~' | b'@') || (b == b'.' && !only_dots) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Whether a host name can be passed to `ssh` as it is: letters, digits, `.`, `-`, `_` and `:`
/// (IPv6), not starting with `-`. Anything else (a forged syslog host field, say) is not
/// connected to.
pub fn is_plain_host(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powershell_quotes_double_every_quote_character() {
        assert_eq!(ps("a';rm -rf /;'"), "'a'';rm -rf /;'''");
        assert_eq!(ps("x\u{2019}y"), "'x\u{2019}\u{2019}y'");
        assert_eq!(ps("$(calc) `n"), "'$(calc) `n'");
    }

    #[test]
    fn shell_quotes_escape_the_quote() {
        assert_eq!(sh("a';rm -rf /;'"), "'a'\\'';rm -rf /;'\\'''");
        assert_eq!(sh("$(id) `id`"), "'$(id) `id`'");
    }

    #[test]
    fn comments_cannot_break_the_line() {
        assert_eq!(comment("a\nb\r\u{2028}c"), "a\\u{a}b\\u{d}\\u{2028}c");
    }

    #[test]
    fn url_segments_are_encoded() {
        assert_eq!(url_segment("a'b c@contoso.com"), "a%27b%20c@contoso.com");
        assert_eq!(url_segment("../x?y#z"), "..%2Fx%3Fy%23z");
        assert_eq!(url_segment(".."), "%2E%2E");
    }

    #[test]
    fn host_names_are_checked() {
        assert!(is_plain_host("bastion01.contoso.com"));
        assert!(!is_plain_host("-oProxyCommand=sh"));
        assert!(!is_plain_host("evil;id"));
        assert!(!is_plain_host(""));
    }
}
