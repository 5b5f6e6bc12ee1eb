//! Integration tests of lockscope-sim: determinism, output formats, and that every truth row
//! is backed by the records of its scenario.

mod data;
mod determinism;
mod formats;
mod layouts;
mod leaks;
mod linux;
mod linuxdata;
mod mace;
mod scenarios;
mod windata;
mod windows;
