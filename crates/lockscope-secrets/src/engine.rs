//! The matcher: a literal prefilter, then each rule's own regex only where its keywords occur.
//!
//! One Aho-Corasick pass finds every keyword occurrence in a window. A rule's regex then runs
//! only near its own hits, never over the whole window and never as one giant alternation.
//!
//! Exactness, not a heuristic: every match of a rule contains one of its keywords and is at most
//! `max_len` bytes long, so a match containing hit `h` starts in `[h - max_len, h]` and ends before
//! `h + max_len`. Searching `[max(pos, h - max_len), h + max_len]` therefore finds exactly the match
//! the same regex would find scanning the whole input from `pos` — the property test checks this
//! against [`crate::reference`].

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::check;
use crate::rule::Rule;

/// Bytes past a match the regex may look at (word boundaries, the end assertion).
const LOOKAHEAD: usize = 4;

/// Bytes an `at_keyword` check may look at after a hit.
const AT_KEYWORD_SPAN: usize = 512;

/// Bytes searched after a secret for an inline `pragma: allowlist secret`.
pub(crate) const PRAGMA_WINDOW: usize = 256;

/// An accepted candidate: a rule's secret span, in stream offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// Index of the rule in the rule set.
    pub rule: usize,
    /// Start of the secret (stream offset).
    pub start: u64,
    /// End of the secret (exclusive).
    pub end: u64,
    /// Start of the whole regex match (context such as `password=`).
    pub match_start: u64,
}

/// The rules and the keyword automaton over all of them.
#[derive(Debug)]
pub struct Engine {
    pub(crate) rules: Vec<Rule>,
    /// Keywords matched ASCII case-insensitively, and those matched as written.
    keywords: [Keywords; 2],
    /// The longest match any rule can produce.
    pub(crate) max_len: usize,
}

/// One keyword automaton and, for each of its patterns, the rules it triggers.
#[derive(Debug)]
struct Keywords {
    automaton: AhoCorasick,
    /// For each keyword, every keyword occurring inside it (itself included), with its offset,
    /// each with the rules it triggers.
    implied: Vec<Vec<(usize, Vec<usize>)>>,
}

impl Keywords {
    fn build(rules: &[Rule], case_sensitive: bool) -> Result<Self, aho_corasick::BuildError> {
        let mut words: Vec<Vec<u8>> = Vec::new();
        let mut triggers: Vec<Vec<usize>> = Vec::new();
        for (i, rule) in rules.iter().enumerate().filter(|(_, r)| r.case_sensitive == case_sensitive) {
            for k in &rule.keywords {
                let k = if case_sensitive { k.clone().into_bytes() } else { k.to_ascii_lowercase().into_bytes() };
                match words.iter().position(|w| *w == k) {
                    Some(p) => triggers[p].push(i),
                    None => {
                        words.push(k);
                        triggers.push(vec![i]);
                    }
                }
            }
        }
        // Leftmost-longest search keeps the automaton's fast prefilters (an overlapping search
        // cannot use them and ran 4x slower). It reports one keyword per start position, so
        // keywords nested in it (`key` in `accountkey=`) are added from this table.
        let implied = words
            .iter()
            .map(|outer| {
                let mut inner = Vec::new();
                for (j, w) in words.iter().enumerate() {
                    for at in 0..=outer.len().saturating_sub(w.len()) {
                        if outer[at..].starts_with(w) {
                            inner.push((at, triggers[j].clone()));
                        }
                    }
                }
                inner
            })
            .collect();
        // Case-insensitive keywords are searched, lowercased, in a lowercased copy of the window:
        // an ASCII-case-insensitive automaton loses its SIMD prefilter and ran 3x slower.
        let automaton = AhoCorasickBuilder::new().match_kind(MatchKind::LeftmostLongest).build(&words)?;
        Ok(Self { automaton, implied })
    }
}

/// Per-stream search state: for each rule, the offset its next match may start at.
#[derive(Debug, Clone)]
pub(crate) struct Cursor {
    pub(crate) next: Vec<u64>,
    hits: Vec<Vec<usize>>,
    /// The window, ASCII-lowercased (reused between windows).
    lower: Vec<u8>,
}

impl Engine {
    /// Builds the engine over a rule set.
    pub fn new(rules: Vec<Rule>) -> Result<Self, aho_corasick::BuildError> {
        let keywords = [Keywords::build(&rules, false)?, Keywords::build(&rules, true)?];
        let max_len = rules.iter().map(|r| r.max_len).max().unwrap_or(0);
        Ok(Self { rules, keywords, max_len })
    }

    /// The rules, in the order candidates refer to them.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Whether any rule's keyword occurs in `hay`: without one, `hay` holds no secret.
    pub(crate) fn any_keyword(&self, hay: &[u8]) -> bool {
        let [insensitive, sensitive] = &self.keywords;
        // Short texts (record fields, the common case) are lowercased on the stack.
        let mut stack = [0u8; 256];
        let heap;
        let lower: &[u8] = match stack.get_mut(..hay.len()) {
            Some(buf) => {
                buf.copy_from_slice(hay);
                buf.make_ascii_lowercase();
                buf
            }
            None => {
                heap = hay.to_ascii_lowercase();
                &heap
            }
        };
        insensitive.automaton.is_match(lower) || sensitive.automaton.is_match(hay)
    }

    pub(crate) fn cursor(&self) -> Cursor {
        Cursor { next: vec![0; self.rules.len()], hits: vec![Vec::new(); self.rules.len()], lower: Vec::new() }
    }

    /// Finds every accepted candidate whose match starts before `until` in `hay` (which begins at
    /// stream offset `base`), continuing from the cursor; afterwards every rule's cursor is at
    /// least `until`, because every match starting earlier has been seen.
    pub(crate) fn scan_window(&self, hay: &[u8], base: u64, until: usize, cur: &mut Cursor, out: &mut Vec<Candidate>) {
        for hits in &mut cur.hits {
            hits.clear();
        }
        cur.lower.clear();
        cur.lower.extend(hay.iter().map(u8::to_ascii_lowercase));
        for (k, text) in self.keywords.iter().zip([&cur.lower[..], hay]) {
            // Every occurrence of every keyword: after a hit at `s` the search resumes at
            // `s + 1`, so occurrences overlapping the hit are found too; those starting at `s`
            // are inside the longest one found there, and come from `implied`.
            let mut at = 0;
            while at < text.len() {
                let Some(m) = k.automaton.find(aho_corasick::Input::new(text).range(at..)) else { break };
                for (offset, rules) in &k.implied[m.pattern().as_usize()] {
                    for &r in rules {
                        cur.hits[r].push(m.start() + offset);
                    }
                }
                at = m.start() + 1;
            }
        }
        for (r, rule) in self.rules.iter().enumerate() {
            let hits = &mut cur.hits[r];
            if hits.is_empty() {
                continue;
            }
            hits.sort_unstable();
            hits.dedup();
            if let Some(at) = &rule.at_keyword {
                // Drop hits where the rule's match cannot be anchored (`password` in
                // "Failed password for"), so keyword-dense logs cost no regex search.
                hits.retain(|&h| at.is_match(&hay[h..hay.len().min(h + AT_KEYWORD_SPAN)]));
            }
            let mut pos = usize::try_from(cur.next[r].saturating_sub(base)).unwrap_or(usize::MAX);
            let mut i = 0;
            while pos < until {
                while i < hits.len() && hits[i] < pos {
                    i += 1;
                }
                let Some(&h) = hits.get(i) else { break };
                let from = pos.max(h.saturating_sub(rule.max_len));
                if from >= until {
                    break;
                }
                let end = hay.len().min(h + rule.max_len + LOOKAHEAD);
                let Some(caps) = rule.regex.captures_at(&hay[..end], from) else {
                    pos = h + 1;
                    continue;
                };
                let whole = caps.get(0).map_or(0..0, |m| m.range());
                if whole.start > h {
                    // A match not containing this hit; the hit that it does contain finds it.
                    pos = h + 1;
                    continue;
                }
                if whole.start >= until {
                    break;
                }
                let secret = caps.get(rule.secret_group).map_or(whole.clone(), |m| m.range());
                let user = rule.user_group.and_then(|g| caps.get(g)).map(|m| m.as_bytes());
                if accept(rule, hay, secret.clone(), user) {
                    out.push(Candidate {
                        rule: r,
                        start: base + secret.start as u64,
                        end: base + secret.end as u64,
                        match_start: base + whole.start as u64,
                    });
                }
                pos = secret.end.max(whole.start + 1);
            }
            cur.next[r] = cur.next[r].max(base + pos.max(until) as u64);
        }
    }
}

/// A candidate is reported when it passes the rule's checks, is not an earlier placeholder and
/// is not marked `pragma: allowlist secret` later on its line.
pub(crate) fn accept(rule: &Rule, hay: &[u8], secret: std::ops::Range<usize>, user: Option<&[u8]>) -> bool {
    let value = &hay[secret.clone()];
    if value.is_empty() || memchr::memmem::find(value, b"REDACTED:").is_some() {
        return false;
    }
    if !rule.checks.iter().all(|&c| check::passes(c, value, user)) {
        return false;
    }
    let tail = &hay[secret.end..hay.len().min(secret.end + PRAGMA_WINDOW)];
    let line = memchr::memchr(b'\n', tail).map_or(tail, |nl| &tail[..nl]);
    memchr::memmem::find(line, b"pragma: allowlist secret").is_none()
}
