#![doc = include_str!("../README.md")]

pub mod case;
pub mod event;
pub mod finding;
pub mod identity;
pub mod incident;
pub mod ingest;
pub mod input;
pub mod invalidation;
pub mod leak;
pub mod plan;
pub mod rules;
mod scrub;
pub mod source;
pub mod time;
pub mod timeline;
pub mod verdict;

#[cfg(test)]
mod testutil;

pub use case::{Case, Settings, analyse};
pub use event::{Event, Kind, Origin, Outcome, Position};
pub use finding::{Action, Finding, RuleId, Verdict};
pub use ingest::ingest;
