//! When rules overlap (a JWT inside an `Authorization: Bearer` header, an AWS secret inside a
//! generic `secret_key = …` assignment) the overlapping candidates become one finding covering
//! all of them, so redaction never leaves part of a secret behind. It is named after the longest
//! candidate, then the most specific rule (higher priority), then the rule listed first.
//!
//! Candidates are grouped into runs of overlapping spans. A run is settled only once no later
//! candidate can join it, which is what lets the streaming scanner settle runs window by window
//! and still agree exactly with resolving the whole input at once.

use crate::engine::{Candidate, Engine};

/// Settles the runs of `pending` that end at or before `settled_before` (every run, when `None`),
/// appending the kept candidates in stream order to `out` and leaving the rest in `pending`.
pub(crate) fn settle(
    engine: &Engine,
    pending: &mut Vec<Candidate>,
    settled_before: Option<u64>,
    out: &mut Vec<Candidate>,
) {
    pending.sort_unstable_by_key(|c| (c.start, c.end, c.rule));
    pending.dedup();
    let mut rest = Vec::new();
    let mut run: Vec<Candidate> = Vec::new();
    let mut run_end = 0;
    let mut flush = |run: &mut Vec<Candidate>, run_end: u64, rest: &mut Vec<Candidate>| {
        if run.is_empty() {
            return;
        }
        if settled_before.is_some_and(|limit| run_end > limit) {
            rest.append(run);
        } else {
            keep_best(engine, run, out);
        }
    };
    for c in pending.drain(..) {
        if !run.is_empty() && c.start >= run_end {
            flush(&mut run, run_end, &mut rest);
            run.clear();
        }
        run_end = if run.is_empty() { c.end } else { run_end.max(c.end) };
        run.push(c);
    }
    flush(&mut run, run_end, &mut rest);
    *pending = rest;
}

/// Emits one finding for a run of overlapping candidates: their union, named after the best.
fn keep_best(engine: &Engine, run: &mut Vec<Candidate>, out: &mut Vec<Candidate>) {
    let rank = |c: &&Candidate| {
        (std::cmp::Reverse(c.end - c.start), std::cmp::Reverse(engine.rules[c.rule].priority), c.start, c.rule)
    };
    let Some(best) = run.iter().min_by_key(rank).copied() else { return };
    let start = run.iter().map(|c| c.start).min().unwrap_or(best.start);
    let end = run.iter().map(|c| c.end).max().unwrap_or(best.end);
    let match_start = run.iter().map(|c| c.match_start).min().unwrap_or(best.match_start);
    out.push(Candidate { rule: best.rule, start, end, match_start });
    run.clear();
}
