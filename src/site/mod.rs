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

use render::{RenderCache, Renderer};

/// The site's state while hotplate runs: its renderer (minijinja's environment, reloaded as
/// templates change), the renders the pipeline checked (for the hot refreshes that follow) and
/// what the site service remembers between requests.
pub struct Site {
    pub renderer: Renderer,
    /// The renders the pipeline checked, for the hot refreshes that follow.
    pub pages: RenderCache,
    /// Resolved routes and small static files, remembered between requests.
    pub memo: memo::Memo,
}

impl Site {
    pub fn new(settings: &crate::settings::Settings) -> Site {
        Site {
            renderer: Renderer::new(settings),
            pages: RenderCache::default(),
            memo: memo::Memo::default(),
        }
    }
}
