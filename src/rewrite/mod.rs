//! The rewrite stage: transforms applied to responses on their way out.
//!
//! - [`html`]: injects the client runtime and reads the document's dependencies for the graph.
//!
//! Rewrites for JavaScript (hot-context prologue, timestamped imports) and CSS arrive with the
//! module graph.

pub mod html;
