//! The naive reference the scanner is tested against: every rule's regex over the whole input,
//! no keywords, no windows. Slow and obviously right; the fast path must agree with it exactly.

use crate::Scanner;
use crate::engine::{Candidate, accept};
use crate::resolve::settle;

/// The kept candidates of the whole input, in order: `(rule id, secret start, secret end)`.
pub fn naive(scanner: &Scanner, input: &[u8]) -> Vec<(String, u64, u64)> {
    let engine = &scanner.engine;
    let mut all = Vec::new();
    for (r, rule) in engine.rules.iter().enumerate() {
        let mut pos = 0;
        while pos <= input.len() {
            let Some(caps) = rule.regex.captures_at(input, pos) else { break };
            let whole = caps.get(0).map_or(0..0, |m| m.range());
            let secret = caps.get(rule.secret_group).map_or(whole.clone(), |m| m.range());
            let user = rule.user_group.and_then(|g| caps.get(g)).map(|m| m.as_bytes());
            if accept(rule, input, secret.clone(), user) {
                all.push(Candidate {
                    rule: r,
                    start: secret.start as u64,
                    end: secret.end as u64,
                    match_start: whole.start as u64,
                });
            }
            pos = secret.end.max(whole.start + 1);
        }
    }
    let mut kept = Vec::new();
    settle(engine, &mut all, None, &mut kept);
    kept.into_iter().map(|c| (engine.rules[c.rule].id.clone(), c.start, c.end)).collect()
}
