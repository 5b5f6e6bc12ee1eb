//! Attempts: one authentication attempt can be logged by several machines.
//!
//! The same attempt is logged by the client (4625, with the process) and by the domain controller
//! (4771/4776, with the client address) within a second or two. Counting both would double every
//! count a rule compares with a threshold, so rules count [`Attempt`]s, not records.

use crate::event::Event;

/// One attempt, as seen by one or more machines.
pub struct Attempt<'a> {
    /// When (Unix seconds) the first record of it was logged.
    pub time: i64,
    /// The most precise source named by its records.
    pub source: Option<String>,
    /// The records of it.
    pub records: Vec<&'a Event>,
}

/// Groups time-sorted records into attempts: records of the same account logged by different
/// machines, or as different events by one machine, within two seconds are one attempt, attributed to the most precise source (the one
/// naming a process).
pub fn collapse<'a>(events: Vec<&'a Event>, source_of: impl Fn(&Event) -> Option<String>) -> Vec<Attempt<'a>> {
    let mut out: Vec<Attempt<'a>> = Vec::new();
    for e in events {
        let t = e.time.as_second();
        // Another machine's record, or the same machine's other view (4625 and 4776 of a local
        // account are both logged by the host).
        let other_view = |r: &&Event| r.host != e.host || r.detail.event_id != e.detail.event_id;
        let joins = out.last_mut().filter(|a| t - a.time <= 2 && a.records.iter().all(other_view));
        match joins {
            Some(a) => {
                if e.detail.process.is_some() || a.source.is_none() {
                    a.source = source_of(e);
                }
                a.records.push(e);
            }
            None => out.push(Attempt { time: t, source: source_of(e), records: vec![e] }),
        }
    }
    out
}
