//! What an update carries, so that the page applies it without asking the server again.
//!
//! The pipeline fills these in before a message leaves:
//! - [`stylesheet`]: a small stylesheet's new text, its references absolute, cut into the
//!   rules the page puts into the sheet it already has;
//! - [`patch`]: a re-rendered page as the changes to what its tabs show.

pub mod parse;
pub mod patch;
pub mod stylesheet;
