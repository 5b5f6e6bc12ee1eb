//! (being written)
use super::{Parsed, Reason};
use crate::event::Origin;
use crate::source::field::Rec;

/// Parses one risk detection.
pub fn parse_detection(_rec: Rec<'_>, _envelope: Option<Rec<'_>>, _origin: Origin) -> Result<Parsed, Reason> {
    Err("not yet supported".into())
}

/// Parses one risky-user snapshot (`history == false`) or history item.
pub fn parse_risky_user(_rec: Rec<'_>, _envelope: Option<Rec<'_>>, _origin: Origin, _history: bool) -> Result<Parsed, Reason> {
    Err("not yet supported".into())
}
