//! What a backend (`--proxy`) served as each page, and how to ask it again: after a save of a
//! file the backend reads, the pipeline fetches each page shown once, as the tab that last
//! loaded it asked for it (its cookies, its language), diffs the answer against what that tab
//! was served, and pushes the patch, instead of every tab fetching the page itself.
//!
//! The inject layer notes each document it puts the runtime into ([`Served::note`]); the
//! router gives the way to ask ([`Served::set_replay`]): its service below the inject layer,
//! so the answer is the backend's document as it made it.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, Request, header};
use axum::response::Response;
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Asks for a page as the inject layer's inner service answers it.
pub type Replay = Arc<dyn Fn(Request<Body>) -> BoxFuture<'static, Response> + Send + Sync>;

/// The most pages kept, and the most HTML over all of them: past either, the oldest go (their
/// tabs fetch their page after a save, as before).
pub const MOST_PAGES: usize = 256;
pub const MOST_BYTES: usize = 64 << 20;

/// The request headers a page is asked for again with: what makes the backend answer as it
/// answered that tab.
const ASKED_WITH: [HeaderName; 4] = [
    header::COOKIE,
    header::AUTHORIZATION,
    header::ACCEPT_LANGUAGE,
    header::USER_AGENT,
];

#[derive(Default)]
pub struct Served {
    pages: Mutex<Pages>,
    /// The way to ask, and the runtime the asking runs on (the pipeline's thread is not one).
    replay: OnceLock<(Replay, tokio::runtime::Handle)>,
}

#[derive(Default)]
struct Pages {
    /// By URL (path and query).
    by_url: HashMap<String, Page>,
    /// The order they were noted in, oldest first.
    order: Vec<String>,
    bytes: usize,
}

/// A page as a tab was served it.
#[derive(Clone)]
pub struct Page {
    /// The document as the backend made it (before the runtime went in).
    pub body: Arc<str>,
    /// Its fingerprint (`rewrite::html::fingerprint`): the stamp the tab shows.
    pub stamp: String,
    /// The headers it was asked with ([`ASKED_WITH`]).
    pub headers: HeaderMap,
}

impl Served {
    /// Notes that the page at `url` was served as `body` (stamped `stamp`) to a request with
    /// `asked` headers.
    pub fn note(&self, url: &str, body: &str, stamp: &str, asked: &HeaderMap) {
        if body.len() > crate::payload::patch::MAX_PAGE {
            return;
        }
        let mut headers = HeaderMap::new();
        for name in ASKED_WITH {
            for value in asked.get_all(&name) {
                headers.append(name.clone(), value.clone());
            }
        }
        let page = Page {
            body: Arc::from(body),
            stamp: stamp.to_string(),
            headers,
        };
        self.keep(url, page);
    }

    /// Keeps `page` as `url`'s, within the bounds.
    pub fn keep(&self, url: &str, page: Page) {
        let mut pages = self.lock();
        if let Some(old) = pages.by_url.remove(url) {
            pages.bytes -= old.body.len();
            pages.order.retain(|u| u != url);
        }
        pages.bytes += page.body.len();
        pages.by_url.insert(url.to_string(), page);
        pages.order.push(url.to_string());
        while pages.order.len() > MOST_PAGES || pages.bytes > MOST_BYTES {
            let oldest = pages.order.remove(0);
            if let Some(old) = pages.by_url.remove(&oldest) {
                pages.bytes -= old.body.len();
            }
        }
    }

    /// The pages kept whose URL path is one of `paths` (all of them for `None`), by URL.
    pub fn at(&self, paths: Option<&std::collections::BTreeSet<String>>) -> Vec<(String, Page)> {
        let pages = self.lock();
        pages
            .order
            .iter()
            .filter(|url| paths.is_none_or(|paths| paths.contains(path_of(url))))
            .filter_map(|url| Some((url.clone(), pages.by_url.get(url)?.clone())))
            .collect()
    }

    /// How the router answers a page as the backend makes it (set once, on the runtime that
    /// serves).
    pub fn set_replay(&self, replay: Replay) {
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let _ = self.replay.set((replay, runtime));
        }
    }

    /// The way to ask again, and the runtime to ask on.
    pub fn replay(&self) -> Option<(Replay, tokio::runtime::Handle)> {
        self.replay.get().cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pages> {
        self.pages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The path of a URL noted (`/a?b` → `/a`).
pub fn path_of(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_kept_by_url_with_the_headers_that_make_them_and_bounded() {
        let served = Served::default();
        let mut asked = HeaderMap::new();
        asked.insert(header::COOKIE, "session=1".parse().unwrap());
        asked.insert(header::ACCEPT, "text/html".parse().unwrap());
        served.note("/a?page=2", "<p>a</p>", "s1", &asked);
        served.note("/b", "<p>b</p>", "s2", &HeaderMap::new());
        let paths = ["/a".to_string()].into_iter().collect();
        let at = served.at(Some(&paths));
        assert_eq!(at.len(), 1);
        assert_eq!(at[0].0, "/a?page=2");
        assert_eq!(at[0].1.headers.get(header::COOKIE).unwrap(), "session=1");
        assert!(
            at[0].1.headers.get(header::ACCEPT).is_none(),
            "only what makes the page"
        );
        assert_eq!(served.at(None).len(), 2);
        for i in 0..MOST_PAGES + 5 {
            served.note(&format!("/{i}"), "x", "s", &HeaderMap::new());
        }
        assert_eq!(served.at(None).len(), MOST_PAGES);
        assert!(served.at(Some(&paths)).is_empty(), "the oldest went first");
    }
}
