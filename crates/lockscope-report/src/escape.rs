//! Escaping for outputs people open in tools that interpret text.

use std::fmt;

/// Neutralises a CSV cell a spreadsheet would evaluate as a formula (`=`, `+`, `-`, `@`, tab,
/// carriage return at the start) by prefixing `'`, as OWASP recommends for CSV injection.
pub fn csv_cell(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

/// Escapes text for a Markdown table cell or inline text: characters with Markdown or HTML
/// meaning are backslash-escaped or turned into entities, and line breaks become spaces, so a
/// log field cannot add table columns, links, images, emphasis or HTML.
pub fn md_cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '#' | '!' | '~' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for HTML element content and quoted attribute values: `&`, `<`, `>`, `"` and `'`
/// become character references, so a log field can never open a tag, close an attribute or start
/// an entity of its own.
pub fn html(s: &str) -> String {
    Html(s).to_string()
}

/// Displays any value with its text [`html`]-escaped, so HTML is written straight to its sink
/// without an unescaped intermediate string: `write!(w, "<td>{}</td>", Html(&user.name))`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Html<T>(pub T);

impl<T: fmt::Display> fmt::Display for Html<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// Escapes every piece the inner value writes.
        struct Escaper<'a, 'b>(&'a mut fmt::Formatter<'b>);
        impl fmt::Write for Escaper<'_, '_> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                let mut rest = s;
                while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
                    self.0.write_str(&rest[..i])?;
                    self.0.write_str(match rest.as_bytes()[i] {
                        b'&' => "&amp;",
                        b'<' => "&lt;",
                        b'>' => "&gt;",
                        b'"' => "&quot;",
                        _ => "&#39;",
                    })?;
                    rest = &rest[i + 1..];
                }
                self.0.write_str(rest)
            }
        }
        fmt::write(&mut Escaper(f), format_args!("{}", self.0))
    }
}

/// Makes text safe to print on a terminal: control characters (which could move the cursor,
/// recolour or rewrite earlier output through escape sequences) are shown as `\u{…}` escapes.
pub fn terminal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_control_characters() {
        assert_eq!(terminal("a\x1b[31mred\n"), "a\\u{1b}[31mred\\u{a}");
    }

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_cell("-2+3"), "'-2+3");
        assert_eq!(csv_cell("ana@contoso.com"), "ana@contoso.com");
    }

    #[test]
    fn markdown_cannot_be_injected() {
        assert_eq!(md_cell("<img src=x onerror=alert(1)>"), "&lt;img src=x onerror=alert\\(1\\)&gt;");
        assert_eq!(md_cell("a|b\nc"), "a\\|b c");
        assert_eq!(md_cell("[x](http://e)"), "\\[x\\]\\(http://e\\)");
    }

    #[test]
    fn html_cannot_be_injected() {
        assert_eq!(html("<img src=x onerror=alert(1)>"), "&lt;img src=x onerror=alert(1)&gt;");
        assert_eq!(html("a\" onmouseover='x' &amp;"), "a&quot; onmouseover=&#39;x&#39; &amp;amp;");
        assert_eq!(html("</script><script>"), "&lt;/script&gt;&lt;script&gt;");
        assert_eq!(html("ünïcödé ✓"), "ünïcödé ✓");
        assert_eq!(Html(42).to_string(), "42");
    }

    proptest::proptest! {
        #[test]
        fn escaped_cells_have_no_raw_specials(s in ".{0,60}") {
            let e = md_cell(&s);
            proptest::prop_assert!(!e.contains('<') && !e.contains('>') && !e.contains('\n'));
            let unescaped_pipe = e.char_indices().any(|(i, c)| c == '|' && (i == 0 || !e[..i].ends_with('\\')));
            proptest::prop_assert!(!unescaped_pipe);
        }

        #[test]
        fn escaped_html_has_no_raw_specials(s in "(.|[<>&\"'])*") {
            let e = html(&s);
            proptest::prop_assert!(!e.contains(['<', '>', '"', '\'']));
            // Every `&` starts one of the five references, so decoding gives the input back.
            let decoded = e.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'");
            proptest::prop_assert_eq!(decoded.replace("&amp;", "&"), s);
        }
    }
}
