//! The rewrite stage: transforms applied to responses on their way out, each of which also
//! reads what the response depends on, for the graph.
//!
//! - [`html`]: injects the client runtime; lists scripts, stylesheets and images.
//! - [`js`]: parses modules with oxc; adds the `import.meta.hot` prologue and `?t=` to the
//!   specifiers of changed dependencies.
//! - [`ts`]: compiles TypeScript and JSX into JavaScript (before [`js`] reads it).
//! - [`refresh`]: wraps a compiled module that defines React or Preact components, so that a
//!   save re-renders them in place (Fast Refresh).
//! - [`nesting`]: how deep a script nests, estimated before it is parsed, so that no input can
//!   overflow a parser's stack.
//! - [`css`]: reads `@import` and `url()` with cssparser; adds `?t=` the same way.

pub mod csp;
pub mod css;
pub mod html;
pub mod js;
pub mod nesting;
pub mod refresh;
pub mod ts;

pub use crate::base::with_timestamp;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Mutex;

/// The largest document, script or stylesheet that is read whole to be rewritten (runtime
/// injected, `import.meta.hot`, `?t=`). A bigger one is streamed as it is, like any file.
pub const MAX_REWRITTEN: u64 = 50 << 20;

/// The last result made from each file, by a hash of what it was made from: a file served
/// again unchanged (on every page load) is not parsed or compiled again. Parsing a 2 MB
/// library takes oxc 30–50 ms here; hashing it, about 1 ms.
pub struct ByContent<V> {
    /// File → hash of the input, and the result.
    entries: Mutex<HashMap<String, (u64, V)>>,
}

impl<V> Default for ByContent<V> {
    fn default() -> Self {
        ByContent {
            entries: Mutex::default(),
        }
    }
}

impl<V: Clone> ByContent<V> {
    /// The result for `input` of the file called `key`: the one kept, when it was made from
    /// this very input, or else what `make` makes (which is kept in its place).
    pub fn get_or_insert(&self, key: &str, input: impl Hash, make: impl FnOnce() -> V) -> V {
        let mut hasher = DefaultHasher::new();
        input.hash(&mut hasher);
        let hash = hasher.finish();
        if let Some((seen, result)) = self.entries().get(key)
            && *seen == hash
        {
            return result.clone();
        }
        let result = make();
        self.entries()
            .insert(key.to_string(), (hash, result.clone()));
        result
    }

    /// The results kept (recovered after a panic elsewhere: each entry is written whole).
    fn entries(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, (u64, V)>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Forgets a file that was deleted.
    pub fn forget(&self, key: &str) {
        self.entries().remove(key);
    }
}

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
