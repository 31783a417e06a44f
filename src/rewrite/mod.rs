//! The rewrite stage: transforms applied to responses on their way out, each of which also
//! reads what the response depends on, for the graph.
//!
//! - [`html`]: injects the client runtime; lists scripts, stylesheets and images.
//! - [`js`]: parses modules with oxc; adds the `import.meta.hot` prologue and `?t=` to the
//!   specifiers of changed dependencies.
//! - [`css`]: reads `@import` and `url()` with cssparser; adds `?t=` the same way.

pub mod csp;
pub mod css;
pub mod html;
pub mod js;

pub use crate::base::with_timestamp;

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_join_the_query_and_keep_the_fragment() {
        use super::with_timestamp;
        assert_eq!(with_timestamp("./a.js", 5), "./a.js?t=5");
        assert_eq!(with_timestamp("/a.css?v=1", 5), "/a.css?v=1&t=5");
        assert_eq!(with_timestamp("font.svg#icon", 5), "font.svg?t=5#icon");
    }
}
