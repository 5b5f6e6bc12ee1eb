//! Rules are data: one TOML file per provider under `rules/`, embedded in the binary. Each rule
//! names the literal keywords every match must contain (the prefilter), a bounded regex with a
//! `secret` group, the checks a candidate must pass, and examples that a test runs.

use regex::bytes::{Regex, RegexBuilder};
use serde::Deserialize;

use crate::check::Check;

/// The built-in rule files, one per provider.
const BUILTIN: &[(&str, &str)] = &[
    ("aws.toml", include_str!("../rules/aws.toml")),
    ("azure.toml", include_str!("../rules/azure.toml")),
    ("entra.toml", include_str!("../rules/entra.toml")),
    ("gcp.toml", include_str!("../rules/gcp.toml")),
    ("generic.toml", include_str!("../rules/generic.toml")),
    ("github.toml", include_str!("../rules/github.toml")),
    ("gitlab.toml", include_str!("../rules/gitlab.toml")),
    ("http.toml", include_str!("../rules/http.toml")),
    ("jwt.toml", include_str!("../rules/jwt.toml")),
    ("keys.toml", include_str!("../rules/keys.toml")),
    ("other.toml", include_str!("../rules/other.toml")),
    ("slack.toml", include_str!("../rules/slack.toml")),
];

/// The longest match any rule may produce. The streaming window keeps twice this much context, so
/// a bounded maximum is what makes scanning exact across buffer boundaries.
pub const MAX_MATCH_LEN: usize = 16 * 1024;

/// Size of each regex's lazy DFA cache. Rules are run one at a time on short windows, so a modest
/// cache stays warm; the default would be shared by one giant alternation, which we avoid.
const DFA_CACHE: usize = 1 << 20;

/// A rule file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    provider: String,
    #[serde(rename = "rule")]
    rules: Vec<Spec>,
}

/// One rule as written in TOML.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    id: String,
    name: String,
    keywords: Vec<String>,
    #[serde(default)]
    case_sensitive: bool,
    #[serde(default)]
    at_keyword: Option<String>,
    pattern: String,
    #[serde(default)]
    checks: Vec<Check>,
    #[serde(default = "default_priority")]
    priority: u8,
    #[serde(default)]
    decode: Option<Decode>,
    #[serde(default)]
    examples: Vec<String>,
    #[serde(default)]
    counterexamples: Vec<String>,
}

fn default_priority() -> u8 {
    50
}

/// Which offline decoder reads a rule's secret for metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decode {
    /// A JWT: claims from the payload.
    Jwt,
    /// An Entra refresh token or authorization code: tenant and client from the header.
    EntraToken,
    /// An Azure SAS query string: expiry, permissions, delegating user.
    Sas,
}

/// A compiled rule.
#[derive(Debug)]
pub struct Rule {
    /// Stable id, used in findings and placeholders (`entra-refresh-token`).
    pub id: String,
    /// Human name.
    pub name: String,
    /// Provider (the rule file's `provider`).
    pub provider: String,
    /// Literal keywords; every match contains one of them (ASCII case-insensitively).
    pub keywords: Vec<String>,
    /// Keywords match only in the case written (short, common keywords such as Twilio's `AC`).
    pub case_sensitive: bool,
    /// What must follow at a keyword hit for the hit to be worth a regex search (anchored at
    /// the hit's first byte). Every match must contain a hit where it holds.
    pub(crate) at_keyword: Option<Regex>,
    pub(crate) regex: Regex,
    pub(crate) secret_group: usize,
    pub(crate) user_group: Option<usize>,
    /// Checks a candidate must pass.
    pub checks: Vec<Check>,
    /// Which decoder reads metadata from the secret.
    pub decode: Option<Decode>,
    /// Wins over lower priorities when two rules match overlapping text.
    pub priority: u8,
    /// The longest match the regex can produce.
    pub max_len: usize,
    /// Texts that must yield exactly one finding of this rule.
    pub examples: Vec<String>,
    /// Texts that must yield no finding of this rule.
    pub counterexamples: Vec<String>,
}

/// Why a rule file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// The TOML is malformed.
    #[error("{file}: {source}")]
    Toml {
        /// The file.
        file: String,
        /// The parse error.
        source: toml::de::Error,
    },
    /// A rule's regex does not compile, or breaks a rule contract.
    #[error("{file}: rule {id}: {reason}")]
    Invalid {
        /// The file.
        file: String,
        /// The rule.
        id: String,
        /// Why.
        reason: String,
    },
}

/// Loads the built-in rules.
pub fn builtin() -> Result<Vec<Rule>, RuleError> {
    let mut rules = Vec::new();
    for (file, text) in BUILTIN {
        rules.extend(parse(file, text)?);
    }
    check_unique(&rules)?;
    Ok(rules)
}

/// Parses one rule file.
pub fn parse(file: &str, text: &str) -> Result<Vec<Rule>, RuleError> {
    let parsed: File = toml::from_str(text).map_err(|source| RuleError::Toml { file: file.to_string(), source })?;
    parsed.rules.into_iter().map(|spec| compile(file, &parsed.provider, spec)).collect()
}

fn compile(file: &str, provider: &str, spec: Spec) -> Result<Rule, RuleError> {
    let invalid = |reason: String| RuleError::Invalid { file: file.to_string(), id: spec.id.clone(), reason };
    // Byte semantics: logs are not always UTF-8, and `[^…]` must match any byte.
    let regex = RegexBuilder::new(&spec.pattern)
        .unicode(false)
        .dfa_size_limit(DFA_CACHE)
        .build()
        .map_err(|e| invalid(e.to_string()))?;
    let secret_group = regex
        .capture_names()
        .position(|n| n == Some("secret"))
        .ok_or_else(|| invalid("the pattern has no `secret` group".into()))?;
    let user_group = regex.capture_names().position(|n| n == Some("user"));
    let at_keyword = match &spec.at_keyword {
        Some(p) => Some(
            RegexBuilder::new(&format!("^(?:{p})"))
                .unicode(false)
                .build()
                .map_err(|e| invalid(format!("at_keyword: {e}")))?,
        ),
        None => None,
    };
    let max_len =
        max_len(&spec.pattern).ok_or_else(|| invalid("the pattern can match unboundedly long text".into()))?;
    if max_len > MAX_MATCH_LEN {
        return Err(invalid(format!("the pattern can match {max_len} bytes; the limit is {MAX_MATCH_LEN}")));
    }
    if spec.keywords.is_empty() || spec.keywords.iter().any(|k| k.len() < 2) {
        return Err(invalid("every rule needs keywords of at least 2 bytes".into()));
    }
    if !spec.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return Err(invalid("ids are lowercase letters, digits and `-`".into()));
    }
    Ok(Rule {
        id: spec.id,
        name: spec.name,
        provider: provider.to_string(),
        keywords: spec.keywords,
        case_sensitive: spec.case_sensitive,
        at_keyword,
        regex,
        secret_group,
        user_group,
        checks: spec.checks,
        decode: spec.decode,
        priority: spec.priority,
        max_len,
        examples: spec.examples,
        counterexamples: spec.counterexamples,
    })
}

/// The longest match of a pattern, parsed with the same flags it is compiled with.
fn max_len(pattern: &str) -> Option<usize> {
    let hir = regex_syntax::ParserBuilder::new().unicode(false).utf8(false).build().parse(pattern).ok()?;
    hir.properties().maximum_len()
}

fn check_unique(rules: &[Rule]) -> Result<(), RuleError> {
    let mut ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    match ids.windows(2).find(|w| w[0] == w[1]) {
        Some(w) => {
            Err(RuleError::Invalid { file: "(all)".into(), id: w[0].to_string(), reason: "duplicate id".into() })
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use crate::{ScanOptions, Scanner};

    fn scanner() -> Scanner {
        Scanner::new(super::builtin().expect("built-in rules load"), crate::Fingerprinter::default()).expect("engine")
    }

    /// Every rule's examples yield exactly one finding, of that rule; its counterexamples none.
    #[test]
    fn examples_and_counterexamples() {
        let s = scanner();
        let mut failures = Vec::new();
        for rule in s.rules() {
            for ex in &rule.examples {
                let found: Vec<String> =
                    s.scan_bytes(ex.as_bytes(), &ScanOptions::default()).leaks.into_iter().map(|l| l.rule).collect();
                if found != [rule.id.clone()] {
                    failures.push(format!("{}: example {ex:?} gave {found:?}", rule.id));
                }
            }
            for ex in &rule.counterexamples {
                let found: Vec<String> =
                    s.scan_bytes(ex.as_bytes(), &ScanOptions::default()).leaks.into_iter().map(|l| l.rule).collect();
                if found.contains(&rule.id) {
                    failures.push(format!("{}: counterexample {ex:?} gave {found:?}", rule.id));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// The prefilter is sound only if every match contains a keyword: check it on the examples.
    #[test]
    fn examples_contain_a_keyword() {
        for rule in scanner().rules() {
            for ex in &rule.examples {
                let hay = if rule.case_sensitive { ex.clone() } else { ex.to_ascii_lowercase() };
                assert!(
                    rule.keywords.iter().any(|k| hay.contains(&if rule.case_sensitive {
                        k.clone()
                    } else {
                        k.to_ascii_lowercase()
                    })),
                    "{}: {ex:?}",
                    rule.id
                );
            }
        }
    }

    #[test]
    fn unbounded_patterns_are_refused() {
        let toml = "provider = \"x\"\n[[rule]]\nid = \"x\"\nname = \"x\"\nkeywords = [\"ab\"]\npattern = '''ab(?P<secret>.+)'''\n";
        assert!(super::parse("x.toml", toml).is_err());
    }
}
