//! Integration tests of the report writers.

mod fuzz_regressions;
