//! The serve stage: one handler that answers every HTTP request, top to bottom.
//!
//! 1. **Guard** ([`guard`]): the `Host` must be this server; the path must stay in the root.
//! 2. **Route**: `/__hotplate/*` ([`runtime`]: hub, change feed, messages from pages and the
//!    client files; dev only), then a page, a static file or nothing ([`route`]). The query
//!    string never changes which file answers.
//! 3. **Respond**: pages and static HTML as documents ([`document`]); in dev, scripts and
//!    stylesheets as modules ([`module`]); other files through tower-http ([`files`]); all with
//!    the cache policy of [`cache`]. Resolving runs on tokio's blocking threads; rendering,
//!    parsing and rewriting on [`crate::pool`], so an async worker only waits. Files over
//!    [`MAX_REWRITTEN`] are streamed as they are. Resolved routes and small static files are
//!    remembered ([`memo`]), so most requests need no blocking thread at all.
//! 4. **Post-process**: documents get the client runtime, scripts the `import.meta.hot`
//!    prologue and `?t=` specifiers, and everything served is recorded in the graph (dev;
//!    through [`crate::rewrite`]).
//!
//! [`router`] builds the axum app in memory; [`crate::server`] binds it to a port.

pub mod cache;
pub mod document;
pub mod files;
pub mod guard;
pub mod memo;
pub mod module;
pub mod runtime;

use crate::app::App;
use crate::pool;
use crate::route::{self, Target};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The whole HTTP surface of a site, ready to serve or to call in memory.
pub fn router(app: Arc<App>) -> Router {
    let mut router = Router::new().fallback(handle).with_state(app.clone());
    if app.settings.is_dev() {
        router = router.nest(
            runtime::PREFIX.trim_end_matches('/'),
            runtime::router(app.clone()),
        );
    }
    router.layer(axum::middleware::from_fn_with_state(app, this_host))
}

/// Refuses a `Host` that is not this server, before anything is looked up.
async fn this_host(
    State(app): State<Arc<App>>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    match guard::check_host(&app.settings, req.headers()) {
        Ok(()) => next.run(req).await,
        Err(rejection) => rejection.into_response(),
    }
}

async fn handle(State(app): State<Arc<App>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
            "hotplate serves files and pages: only GET and HEAD are allowed\n",
        )
            .into_response();
    }
    let dev = app.settings.is_dev();
    let resolved = match app.memo.route(&path, dev) {
        Some(resolved) => resolved,
        // Resolving touches the file system (`canonicalize`, `is_file`): off the async workers.
        None => match resolve(&app, path.clone()).await {
            Ok(resolved) => {
                app.memo.remember_route(&path, &resolved);
                resolved
            }
            Err(refused) => return refused,
        },
    };
    let (rewritable, small) = (resolved.rewritable(), resolved.small());
    let memo::Resolved { target, .. } = resolved;
    let (parts, body) = req.into_parts();
    match target {
        Target::Page { template, params } => {
            on_pool(&app, parts, move |app, parts| {
                document::page(app, parts, &template, params, StatusCode::OK)
            })
            .await
        }
        Target::File { path, site }
            if dev
                && rewritable
                && matches!(site.extension().as_str(), "html" | "js" | "mjs" | "css") =>
        {
            on_pool(&app, parts, move |app, parts| {
                match site.extension().as_str() {
                    "html" => document::static_html(app, parts, &path, &site),
                    "css" => module::style(app, parts, &path, &site),
                    _ => module::script(app, parts, &path, &site),
                }
            })
            .await
        }
        Target::File { path, site } => {
            files::serve(&app, Request::from_parts(parts, body), path, &site, small).await
        }
        Target::Redirect(to) => {
            let to = match parts.uri.query() {
                Some(query) => format!("{to}?{query}"),
                None => to,
            };
            (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, to)]).into_response()
        }
        Target::NotFound => on_pool(&app, parts, document::not_found).await,
    }
}

/// Where `url_path` leads, on a blocking thread.
async fn resolve(app: &App, url_path: String) -> Result<memo::Resolved, Response> {
    let root = app.settings.root.clone();
    let resolved = tokio::task::spawn_blocking(move || {
        let target = route::resolve(&root, &url_path)?;
        // The size decides how a file is answered: from memory, rewritten, or streamed.
        let len = match &target {
            Target::File { path, .. } => std::fs::metadata(path).ok().map(|meta| meta.len()),
            _ => None,
        };
        Ok::<_, guard::Rejection>(memo::Resolved { target, len })
    });
    match resolved.await {
        Ok(Ok(resolved)) => Ok(resolved),
        Ok(Err(rejection)) => Err(rejection.into_response()),
        Err(_) => Err(StatusCode::INTERNAL_SERVER_ERROR.into_response()),
    }
}

/// The largest document, script or stylesheet that is read whole to be rewritten (runtime
/// injected, `import.meta.hot`, `?t=`). A bigger one is streamed as it is, like any file.
pub const MAX_REWRITTEN: u64 = 50 << 20;

/// Runs `respond` on the pool: renders, parses and rewrites never hold up an async worker,
/// and run with a stack that deep input cannot overflow.
async fn on_pool(
    app: &Arc<App>,
    parts: Parts,
    respond: impl FnOnce(&App, &Parts) -> Response + Send + 'static,
) -> Response {
    let app = app.clone();
    pool::run(move || respond(&app, &parts)).await
}

/// Whether the query string has a parameter called `name` (`v` for versioned URLs, `t` for
/// hot-update timestamps). The query never changes which file answers.
pub(crate) fn query_has(query: Option<&str>, name: &str) -> bool {
    query
        .unwrap_or("")
        .split('&')
        .any(|pair| pair.split('=').next() == Some(name))
}
