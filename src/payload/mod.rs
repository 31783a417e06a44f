//! What an update carries, so that the page applies it without asking the server again.
//!
//! The pipeline fills these in before a message leaves:
//! - [`stylesheet`]: a small stylesheet's new text, its references absolute, cut into the
//!   rules the page puts into the sheet it already has;
//! - [`patch`]: a re-rendered page as the changes to what its tabs show, diffed from the tree
//!   kept for the render they show ([`kept`], parsed by [`parse`], which places each text in
//!   its render), or from that same tree with only its texts changed ([`in_place`]); [`nodes`]
//!   answers what both ask of a node.

mod in_place;
mod kept;
mod nodes;
pub mod parse;
pub mod patch;
pub mod stylesheet;
