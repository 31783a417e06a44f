//! The inject layer: the client runtime goes into every `text/html` response, whoever produced
//! it (a page of the site, a backend's, an app's handler), and what the document loads goes to
//! the graph.
//!
//! Before the inner service answers, the layer notes the hub's newest message id: the runtime
//! resumes from it, so an update published while the document was made still reaches the
//! page. A navigation (`Accept: text/html`) or the runtime's own refresh is asked for plainly
//! ([`outgoing::ask_plainly`]). The document is then read whole, rewritten with lol_html on the
//! pool ([`document::inject`]), and answered with an ETag over what the browser gets.
//!
//! The graph knows a document by what made it:
//! - the site's pages and `.html` files say so with an [`Entry`] extension (their template or
//!   file), and its error pages with `Entry(None)`: injected, not recorded;
//! - any other document is known by its URL ([`SitePath::document_at`]);
//! - under a Content-Security-Policy (header or `<meta>`), the runtime's tags carry the
//!   page's nonce, or one the policy is given ([`crate::rewrite::csp`]);
//! - a response that carries [`TemplateReads`] (rendered with [`crate::layer::Templates`])
//!   records them as what that URL's render read, so a save morphs exactly those pages.

use super::document::{self, Policy};
use super::outgoing::{self, Asked};
use super::runtime;
use crate::app::App;
use crate::base::SitePath;
use crate::graph::Record;
use axum::extract::Request;
use axum::http::response::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use futures_util::future::BoxFuture;
use std::collections::BTreeSet;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::{Layer, Service};

/// A response extension: the file behind a document of the site (`None`: an error page,
/// recorded by whoever made it, if at all).
#[derive(Clone, Debug)]
pub struct Entry(pub Option<SitePath>);

/// A response extension: the template files (paths on disk) the document's render read.
#[derive(Clone, Debug, Default)]
pub struct TemplateReads(pub BTreeSet<PathBuf>);

#[derive(Clone)]
pub struct InjectLayer {
    app: Arc<App>,
}

impl InjectLayer {
    pub fn new(app: Arc<App>) -> InjectLayer {
        InjectLayer { app }
    }
}

impl<S> Layer<S> for InjectLayer {
    type Service = Inject<S>;

    fn layer(&self, inner: S) -> Inject<S> {
        Inject {
            app: self.app.clone(),
            inner,
        }
    }
}

/// The inner service, with the runtime injected into its documents.
#[derive(Clone)]
pub struct Inject<S> {
    app: Arc<App>,
    inner: S,
}

impl<S> Service<Request> for Inject<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        // The clone that was made ready is the one that serves (tower's rule).
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let app = self.app.clone();
        let asked = Asked::of(&req);
        if !asked.readable() {
            return Box::pin(inner.call(req));
        }
        if wants_html(req.headers()) {
            outgoing::ask_plainly(&mut req);
        }
        // Before the document is made: an update published from here on reaches the page.
        let since = app.hub.last_seq();
        Box::pin(async move {
            let Ok(response) = inner.call(req).await;
            Ok(inject(app, response, asked, since).await)
        })
    }
}

/// Whether a request may be answered with a document: a navigation, or the runtime fetching
/// its page again to morph it.
pub fn wants_html(headers: &HeaderMap) -> bool {
    headers.contains_key(document::REFRESH)
        || headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
}

async fn inject(app: Arc<App>, response: Response, asked: Asked, since: u64) -> Response {
    let html = outgoing::has_body(response.status())
        && outgoing::content_type(response.headers()).as_deref() == Some("text/html");
    if !html {
        return response;
    }
    let entry = match response.extensions().get::<Entry>() {
        Some(Entry(entry)) => entry.clone(),
        None => Some(SitePath::document_at(&asked.path)),
    };
    let reads = response.extensions().get::<TemplateReads>().cloned();
    let (mut parts, body) = match outgoing::read(response, &asked.path).await {
        Ok(read) => read,
        Err(untouched) => return untouched,
    };
    let policy = policy_for(&mut parts, &body, &asked);
    let route = asked.path.clone();
    let rewritten = crate::pool::run(move || {
        if let Some(TemplateReads(files)) = reads {
            let root = &app.settings.root;
            let files = files
                .iter()
                .filter_map(|file| file.strip_prefix(root).ok())
                .map(|file| SitePath::new(&file.to_string_lossy().replace('\\', "/")))
                .collect();
            app.inbox.record(Record::Render {
                route: route.clone(),
                reads: crate::base::Reads {
                    files,
                    folders: BTreeSet::new(),
                },
            });
        }
        document::inject(&app, &route, entry.as_ref(), &body, since, policy.as_ref())
    })
    .await;
    outgoing::answer(parts, rewritten, &asked)
}

/// The document's Content-Security-Policy, if it has one (headers, or a `<meta>` the body
/// may hold), amended in `parts` for the runtime: how the runtime gets in.
fn policy_for(parts: &mut Parts, body: &str, asked: &Asked) -> Option<Policy> {
    let headers: Vec<String> = parts
        .headers
        .get_all(header::CONTENT_SECURITY_POLICY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_string)
        .collect();
    let meta = body
        .as_bytes()
        .windows(POLICY_NAME.len())
        .any(|w| w.eq_ignore_ascii_case(POLICY_NAME.as_bytes()));
    if headers.is_empty() && !meta {
        return None;
    }
    let host = asked.host.as_deref().unwrap_or("localhost");
    let mut policy = Policy {
        runtime: format!("http://{host}{}", runtime::PREFIX),
        page: format!("http://{host}{}", asked.path),
        nonce: format!("{:032x}", fastrand::u128(..)),
    };
    // The page's own nonce, when a policy has one, is the one the runtime's tags carry.
    if let Some(nonce) = headers
        .iter()
        .filter_map(|h| policy.amend(h).nonce)
        .find(|nonce| *nonce != policy.nonce)
    {
        policy.nonce = nonce;
    }
    parts.headers.remove(header::CONTENT_SECURITY_POLICY);
    for value in &headers {
        if let Ok(amended) = HeaderValue::from_str(&policy.amend(value).policy) {
            parts
                .headers
                .append(header::CONTENT_SECURITY_POLICY, amended);
        }
    }
    Some(policy)
}

const POLICY_NAME: &str = "content-security-policy";
