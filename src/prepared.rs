//! Modules made ready before their `update` message left: the pipeline rewrites each script a
//! hot update stamped (as the module layer would answer `url?t=<timestamp>`) and keeps the
//! bytes here, so the `import()`s that follow are answered from memory, with no file read and
//! no hop to the blocking pool.
//!
//! Each batch's modules replace the last batch's: at most [`MOST`] modules of at most
//! [`LARGEST`] bytes are held at a time. The module an update re-imports also rides in the
//! message, within [`MOST_PUSHED`] (`pipeline::prepare_modules`): then it is not asked for at
//! all, and what it imports anew is answered from here.

use std::collections::HashMap;
use std::sync::Mutex;

/// The most modules held: an update that stamps more gets the first ones ready, and the rest
/// are answered as any request.
pub const MOST: usize = 64;

/// The biggest module held.
pub const LARGEST: usize = 1 << 20;

/// The most code one `update` message carries for the page to import without a request: the
/// modules past it are imported from their URL (and answered from here).
pub const MOST_PUSHED: usize = 256 << 10;

/// The modules of the last hot update, by URL path.
#[derive(Default)]
pub struct Prepared {
    modules: Mutex<HashMap<String, Ready>>,
}

struct Ready {
    timestamp: u64,
    body: String,
}

impl Prepared {
    /// Holds `modules` (URL path, the update's timestamp, the answer's body) in place of what
    /// was held, within [`MOST`] and [`LARGEST`].
    pub fn replace(&self, modules: impl IntoIterator<Item = (String, u64, String)>) {
        let ready = modules
            .into_iter()
            .filter(|(_, _, body)| body.len() <= LARGEST)
            .take(MOST)
            .map(|(path, timestamp, body)| (path, Ready { timestamp, body }))
            .collect();
        *self.lock() = ready;
    }

    /// The body held for `path` asked for with `query`, when the query is exactly the `?t=` of
    /// the update it was made for.
    pub fn get(&self, path: &str, query: Option<&str>) -> Option<String> {
        let timestamp = query?
            .strip_prefix(crate::protocol::TIMESTAMP_PARAM)?
            .strip_prefix('=')?
            .parse::<u64>()
            .ok()?;
        let modules = self.lock();
        let ready = modules.get(path).filter(|r| r.timestamp == timestamp)?;
        Some(ready.body.clone())
    }

    /// Lets go of every module held (the graph they were rewritten against changed).
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Ready>> {
        self.modules
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_module_is_answered_only_for_the_update_it_was_made_for() {
        let prepared = Prepared::default();
        prepared.replace([("/app.js".to_string(), 7, "export {}".to_string())]);
        assert_eq!(
            prepared.get("/app.js", Some("t=7")).as_deref(),
            Some("export {}")
        );
        assert!(prepared.get("/app.js", Some("t=6")).is_none());
        assert!(prepared.get("/app.js", None).is_none());
        assert!(prepared.get("/app.js", Some("t=7&x=1")).is_none());
        assert!(prepared.get("/other.js", Some("t=7")).is_none());
        prepared.replace([("/b.js".to_string(), 8, String::new())]);
        assert!(prepared.get("/app.js", Some("t=7")).is_none(), "replaced");
    }

    #[test]
    fn what_is_held_is_bounded() {
        let prepared = Prepared::default();
        prepared.replace(
            (0..MOST + 10)
                .map(|i| (format!("/{i}.js"), 1, String::new()))
                .chain([("/big.js".to_string(), 1, "x".repeat(LARGEST + 1))]),
        );
        assert_eq!(prepared.lock().len(), MOST);
        assert!(prepared.get("/big.js", Some("t=1")).is_none());
    }
}
