//! The site service: answers a site's pages and files, nothing else.
//!
//! 1. Only GET and HEAD.
//! 2. **Route** (`route`): a page, a static file, a redirect or nothing; the query
//!    string never changes which file answers. Resolved routes and small static files are
//!    remembered ([`memo`]), so most requests need no blocking thread at all; resolving
//!    otherwise runs on tokio's blocking threads.
//! 3. **Respond**: pages and `.html` files as documents ([`document`]); in dev, scripts and
//!    stylesheets as modules ([`module`]), as they are on disk; other files through tower-http
//!    ([`files`]); all with the cache policy of [`super::cache`]. Rendering runs on
//!    `pool`, so an async worker only waits. Files over [`crate::rewrite::MAX_REWRITTEN`] are streamed
//!    as they are.
//!
//! In dev the layers around it put the runtime into documents and rewrite modules
//! ([`super::router`]).

use super::Pages;
use super::{document, files, guard, module};
use crate::base::Kind;
use crate::pool;
use crate::site::memo;
use crate::site::route::{self, Target};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Answers one request for the site.
pub async fn handle(State(pages): State<Arc<Pages>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
            "hotplate serves files and pages: only GET and HEAD are allowed\n",
        )
            .into_response();
    }
    let dev = pages.settings.is_dev();
    let resolved = match pages.site.memo.route(&path, dev) {
        Some(resolved) => resolved,
        // Resolving touches the file system (`canonicalize`, `is_file`): off the async workers.
        None => match resolve(&pages, path.clone()).await {
            Ok(resolved) => {
                pages.site.memo.remember_route(&path, &resolved);
                resolved
            }
            Err(refused) => return refused,
        },
    };
    let (rewritable, small) = (resolved.rewritable(), resolved.small());
    let memo::Resolved { target, .. } = resolved;
    let (parts, body) = req.into_parts();
    let response = match target {
        Target::Page { template, params } => {
            on_pool(&pages, parts, move |pages, parts| {
                document::page(pages, parts, &template, params, StatusCode::OK)
            })
            .await
        }
        Target::File { path, site } if dev && rewritable && site.kind().is_rewritten() => {
            on_pool(&pages, parts, move |pages, parts| match site.kind() {
                Kind::Document => document::static_html(pages, parts, &path, &site),
                Kind::Style => module::style(pages, parts, &path, &site),
                _ => module::script(pages, parts, &path, &site),
            })
            .await
        }
        Target::File { path, site } => {
            files::serve(&pages, Request::from_parts(parts, body), path, &site, small).await
        }
        Target::Redirect(to) => {
            let to = match parts.uri.query() {
                Some(query) => format!("{to}?{query}"),
                None => to,
            };
            (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, to)]).into_response()
        }
        Target::NotFound => on_pool(&pages, parts, document::not_found).await,
    };
    // Whatever went wrong, the reason may be that the whole site folder is gone (moved away,
    // deleted with its checkout): say so, rather than that a page does not render.
    if (response.status().is_client_error() || response.status().is_server_error())
        && !is_folder(&pages.settings.root).await
    {
        return document::root_gone(&pages.settings);
    }
    response
}

/// Whether `path` is a folder, asked on a blocking thread.
async fn is_folder(path: &std::path::Path) -> bool {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || path.is_dir())
        .await
        .unwrap_or(false)
}

/// Where `url_path` leads, on a blocking thread.
async fn resolve(pages: &Pages, url_path: String) -> Result<memo::Resolved, Response> {
    let root = pages.settings.root.clone();
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

/// Runs `respond` on the pool: renders, parses and rewrites never hold up an async worker,
/// and run with a stack that deep input cannot overflow.
async fn on_pool(
    pages: &Arc<Pages>,
    parts: Parts,
    respond: impl FnOnce(&Pages, &Parts) -> Response + Send + 'static,
) -> Response {
    let pages = pages.clone();
    pool::run(move || respond(&pages, &parts)).await
}
