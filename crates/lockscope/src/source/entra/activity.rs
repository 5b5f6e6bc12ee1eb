//! (being written)
use super::{Parsed, Reason};
use crate::event::Origin;
use crate::source::field::Rec;

/// Parses one record of this family.
pub fn parse(_rec: Rec<'_>, _envelope: Option<Rec<'_>>, _origin: Origin) -> Result<Parsed, Reason> {
    Err("not yet supported".into())
}
