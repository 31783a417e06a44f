//! What a backend (`--proxy`) or an app ([`crate::layer()`]) served as each page, and how to
//! ask for it again: after a save of a file it reads, the pipeline fetches each page shown once,
//! as the tab that last loaded it asked for it (its cookies, its language), diffs the answer
//! against what that tab was served, and pushes the patch, instead of every tab fetching the
//! page itself.
//!
//! The inject layer notes each document it puts the runtime into for a navigation or a
//! refresh ([`Served::note`]), with the way it was asked for ([`Asker::of`]): the service below
//! the inject layer that answered it, and the request's headers and extensions. So the answer is the document as the backend or
//! the app's route made it. An axum app's `Router::layer` wraps each route on its own: the
//! route's service is the one asked, with the path parameters the router found.

use axum::body::Body;
use axum::http::{Extensions, HeaderMap, HeaderName, Request, header};
use axum::response::Response;
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, OnceLock};
use tower::{Service, ServiceExt};

/// Asks for a page as the inject layer's inner service answers it.
type Replay = Arc<dyn Fn(Request<Body>) -> BoxFuture<'static, Response> + Send + Sync>;

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
    /// The runtime the pages were served on, which asks for them again (the pipeline's thread
    /// is not one).
    runtime: OnceLock<tokio::runtime::Handle>,
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
    /// How to ask for it again.
    pub asker: Asker,
}

/// How a page was asked for, to ask again: the service that answered it, the request headers
/// that make it ([`ASKED_WITH`]) and the request's extensions (an axum router's path
/// parameters, an outer layer's state).
#[derive(Clone)]
pub struct Asker {
    replay: Replay,
    headers: HeaderMap,
    extensions: Extensions,
    /// The runtime it was asked on.
    runtime: Option<tokio::runtime::Handle>,
}

impl Asker {
    /// The way to ask `service` again for what `req` asks it (called on the runtime that
    /// serves).
    pub fn of<S>(req: &Request<Body>, service: S) -> Asker
    where
        S: Service<Request<Body>, Response = Response, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        let mut headers = HeaderMap::new();
        for name in ASKED_WITH {
            for value in req.headers().get_all(&name) {
                headers.append(name.clone(), value.clone());
            }
        }
        let mut extensions = req.extensions().clone();
        // The connection's upgrade belongs to the request that came on it.
        extensions.remove::<hyper::upgrade::OnUpgrade>();
        let replay: Replay = Arc::new(move |req| {
            let service = service.clone();
            Box::pin(async move {
                match service.oneshot(req).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                }
            })
        });
        Asker {
            replay,
            headers,
            extensions,
            runtime: tokio::runtime::Handle::try_current().ok(),
        }
    }

    /// Asks for the page again with `req` (a `GET` of its URL), sent as the tab's was.
    pub fn ask(&self, mut req: Request<Body>) -> BoxFuture<'static, Response> {
        req.headers_mut().extend(self.headers.clone());
        req.extensions_mut().extend(self.extensions.clone());
        (self.replay)(req)
    }
}

impl Served {
    /// Notes that the page at `url` was served as `body` (stamped `stamp`), asked for as
    /// `asker` says.
    pub fn note(&self, url: &str, body: &str, stamp: &str, asker: Asker) {
        if body.len() > crate::payload::patch::MAX_PAGE {
            return;
        }
        if let Some(runtime) = &asker.runtime {
            let _ = self.runtime.get_or_init(|| runtime.clone());
        }
        let page = Page {
            body: Arc::from(body),
            stamp: stamp.to_string(),
            asker,
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

    /// The runtime pages were served on, to ask for them again; `None` before any was.
    pub fn runtime(&self) -> Option<tokio::runtime::Handle> {
        self.runtime.get().cloned()
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

    /// A service that answers with what it was asked with: the cookie, the `Accept`, and the
    /// `&str` extension.
    fn echo() -> axum::Router {
        axum::Router::new().fallback(|req: Request<Body>| async move {
            let header = |name| {
                req.headers()
                    .get(name)
                    .map_or("-", |v| v.to_str().unwrap())
                    .to_string()
            };
            format!(
                "cookie={} accept={} param={}",
                header(header::COOKIE),
                header(header::ACCEPT),
                req.extensions().get::<&str>().unwrap_or(&"-"),
            )
        })
    }

    fn asked(cookie: &str) -> Request<Body> {
        let mut req = Request::get("/a?page=2")
            .header(header::COOKIE, cookie)
            .header(header::ACCEPT, "text/html")
            .body(Body::empty())
            .unwrap();
        req.extensions_mut().insert("id=7");
        req
    }

    #[tokio::test]
    async fn a_page_is_asked_for_again_with_the_headers_that_make_it_and_the_requests_extensions() {
        let served = Served::default();
        served.note(
            "/a?page=2",
            "<p>a</p>",
            "s1",
            Asker::of(&asked("session=1"), echo()),
        );
        let at = served.at(Some(&["/a".to_string()].into_iter().collect()));
        assert_eq!(at.len(), 1);
        assert_eq!(at[0].0, "/a?page=2");
        let again = Request::get("/a?page=2").body(Body::empty()).unwrap();
        let answer = at[0].1.asker.ask(again).await;
        let said = axum::body::to_bytes(answer.into_body(), 1 << 10)
            .await
            .unwrap();
        assert_eq!(
            said, "cookie=session=1 accept=- param=id=7",
            "what makes the page, not what the tab accepted"
        );
        assert!(served.runtime().is_some(), "the runtime that asks again");
    }

    #[tokio::test]
    async fn the_pages_kept_are_bounded_and_the_oldest_go_first() {
        let served = Served::default();
        served.note("/a", "<p>a</p>", "s1", Asker::of(&asked("1"), echo()));
        served.note("/b", "<p>b</p>", "s2", Asker::of(&asked("2"), echo()));
        assert_eq!(served.at(None).len(), 2);
        for i in 0..MOST_PAGES + 5 {
            served.note(&format!("/{i}"), "x", "s", Asker::of(&asked("3"), echo()));
        }
        assert_eq!(served.at(None).len(), MOST_PAGES);
        let a = ["/a".to_string()].into_iter().collect();
        assert!(served.at(Some(&a)).is_empty(), "the oldest went first");
        let big = "x".repeat(crate::payload::patch::MAX_PAGE);
        for i in 0..MOST_BYTES / big.len() + 2 {
            served.note(
                &format!("/big{i}"),
                &big,
                "s",
                Asker::of(&asked("4"), echo()),
            );
        }
        assert!(served.lock().bytes <= MOST_BYTES, "bounded in bytes too");
    }
}
