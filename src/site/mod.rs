//! What a site is, with no HTTP: which URL leads to which page or file, and what a page
//! renders to.
//!
//! - [`route`]: a URL path → a page (`pages/`, with `[param]` folders), a static file, a
//!   redirect or nothing, confined to the root (or an app's mounted folders).
//! - [`render`]: minijinja templates, Markdown content and data → HTML, and what each render
//!   read (for the graph's server side).
//! - [`memo`]: where URL paths led, and the bytes of small files, remembered between
//!   requests.
//!
//! The dev server's site service ([`crate::serve::site`]) answers requests with these; the
//! build renders every page with the same ones.

pub mod memo;
pub mod render;
pub mod route;
