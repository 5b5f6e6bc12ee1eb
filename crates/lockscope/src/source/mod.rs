//! Input formats: detection from content and the per-format readers.

pub mod entra;
pub mod field;
