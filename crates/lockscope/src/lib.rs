#![doc = include_str!("../README.md")]

pub mod event;
pub mod ingest;
pub mod input;
pub mod source;
pub mod time;

#[cfg(test)]
mod testutil;

pub use event::{Event, Kind, Origin, Outcome, Position};
