//! The module layer: scripts and stylesheets on their way out get what hot updates need, whoever
//! served them (the site, or an app's `ServeDir` under a mounted prefix).
//!
//! - a script: the `import.meta.hot` prologue, and `?t=` on imports a hot update made stale
//!   ([`module::rewrite_script`]); what it imports and accepts goes to the graph;
//! - a stylesheet: `?t=` on its `@import`s and `url()`s ([`module::rewrite_style`]);
//! - a stylesheet, image or JSON file a module imports (`?import`): answered as a module;
//! - any file imported with `?url`, `?raw`, `?inline`, `?worker` or `?sharedworker`: answered
//!   as the module Vite gives ([`crate::modules::queries`]);
//! - a script a hot update stamped, asked for with that update's `?t=`: answered from memory,
//!   as the pipeline rewrote it before the update left ([`crate::prepared`]).
//!
//! Which requests: for a site, any URL of a script or stylesheet (`.js`, `.mjs`, `.ts`,
//! `.tsx`, `.jsx`, `.mts`, `.css`: [`Kind::of`]); for an app, any URL
//! under an asset prefix (where other files, images say, are recorded as served, so a page
//! naming them gets `asset` updates; only scripts and stylesheets are asked for plainly, so
//! the others keep their ranges and validators). The answer must say it is JavaScript or CSS, and name a
//! file of the watched folders: the site's service says which ([`Module`]); otherwise the URL
//! is located under the mounted folders, on the pool.

use super::Scripts;
use super::extensions::Module;
use super::module;
use super::outgoing::{self, Asked};
use crate::base::Kind;
use crate::graph::Record;
use crate::modules::frameworks;
use crate::modules::queries::{self, AssetQuery};
use crate::rewrite::ts;
use crate::site::route::{self, Target};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use futures_util::future::BoxFuture;
use std::sync::Arc;

/// The `Server-Timing` of a module answered from memory ([`crate::prepared`]): the browser's
/// resource timing shows it (`serverTiming`), so a developer, or a test, can see which
/// `import()`s cost no work.
pub const READY_TIMING: &str = "ready;desc=\"made ready before the update left\"";

/// The module layer, around any service.
pub fn layer(scripts: Arc<Scripts>) -> outgoing::PieceLayer<Scripts> {
    axum::middleware::from_fn_with_state(scripts, around as outgoing::Piece<Scripts>)
}

fn around(
    State(scripts): State<Arc<Scripts>>,
    mut req: Request,
    next: Next,
) -> BoxFuture<'static, Response> {
    Box::pin(async move {
        let asked = Asked::of(&req);
        if asked.readable()
            && let Some(body) = scripts
                .live
                .prepared
                .get(&asked.path, asked.query.as_deref())
        {
            // Made ready by the pipeline before the update that asks for it left.
            let (parts, _) = req.into_parts();
            let status = axum::http::StatusCode::OK;
            let mut response =
                super::cache::respond(&scripts.settings, &parts, status, module::JAVASCRIPT, body);
            response.headers_mut().insert(
                axum::http::HeaderName::from_static("server-timing"),
                axum::http::HeaderValue::from_static(READY_TIMING),
            );
            return response;
        }
        let query = AssetQuery::of(asked.query.as_deref());
        if asked.readable()
            && (query.is_some()
                || crate::protocol::query_has(
                    asked.query.as_deref(),
                    crate::protocol::IMPORT_PARAM,
                ) && Kind::of(&asked.path) != Kind::Script)
        {
            let (scripts, path) = (scripts.clone(), asked.path.clone());
            if let Some(response) = crate::pool::run(move || imported(&scripts, &path, query)).await
            {
                return response;
            }
        }
        if !asked.readable() || !in_scope(&scripts, &asked.path) {
            return next.run(req).await;
        }
        // Only what is named like a script or stylesheet is asked for whole: an image or a
        // video under an asset prefix keeps its ranges and validators.
        if matches!(Kind::of(&asked.path), Kind::Script | Kind::Style) {
            outgoing::ask_plainly(&mut req);
        }
        let response = next.run(req).await;
        rewrite(scripts, response, asked).await
    })
}

/// Whether the answer to `path` may be a module to rewrite (decided from the URL alone, before
/// anything is read).
fn in_scope(scripts: &Scripts, path: &str) -> bool {
    if scripts.settings.mounts.is_empty() {
        matches!(Kind::of(path), Kind::Script | Kind::Style)
    } else {
        route::mount_of(&scripts.settings, path).is_some()
    }
}

async fn rewrite(scripts: Arc<Scripts>, response: Response, asked: Asked) -> Response {
    if !response.status().is_success()
        || !outgoing::has_body(response.status())
        || response.status() == axum::http::StatusCode::PARTIAL_CONTENT
    {
        return response;
    }
    let style = match outgoing::content_type(response.headers()).as_deref() {
        Some("text/css") => true,
        Some("text/javascript" | "application/javascript" | "application/x-javascript") => false,
        // An app's file service names `.ts` MPEG video, `.tsx` nothing: compiled, they are
        // JavaScript.
        _ if ts::is_compiled(&asked.path) => false,
        _ => {
            note_asset(scripts, &asked.path).await;
            return response;
        }
    };
    let known = response.extensions().get::<Module>().cloned();
    // Too large to compile: as it is, the browser could not run it either.
    if let Some(size) = outgoing::declared_length(&response).filter(|size| {
        !style && *size > crate::rewrite::MAX_REWRITTEN && ts::is_compiled(&asked.path)
    }) {
        let path = asked.path.clone();
        let body = crate::pool::run(move || {
            let site = known.or_else(|| located(&scripts, &path)).map(|m| m.site);
            module::too_large(&scripts, &path, site.as_ref(), size)
        })
        .await;
        let (mut parts, _) = response.into_parts();
        parts.headers.insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static(super::module::JAVASCRIPT),
        );
        return outgoing::answer(parts, outgoing::Rewritten::new(body), &asked);
    }
    let (mut parts, body) = match outgoing::read(response, &asked.path).await {
        Ok(read) => read,
        Err(untouched) => return untouched,
    };
    if !style {
        parts.headers.insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static(super::module::JAVASCRIPT),
        );
    }
    let query = asked.query.clone();
    let path = asked.path.clone();
    let rewritten = crate::pool::run(move || {
        let body = match known.or_else(|| located(&scripts, &path)) {
            Some(Module { site, url }) if style => {
                module::rewrite_style(&scripts, &url, &site, &body)
            }
            Some(Module { site, url }) => {
                module::rewrite_script(&scripts, &url, query.as_deref(), &site, body)
            }
            // Not a file of the watched folders: nothing to update it by.
            None => body,
        };
        outgoing::Rewritten::new(body)
    })
    .await;
    outgoing::answer(parts, rewritten, &asked)
}

/// A stylesheet or another file imported by a module (`?import`), or any file imported with
/// one of Vite's asset queries ([`AssetQuery`]), answered as a module
/// ([`module::style_module`], [`module::asset_module`], [`crate::modules::queries`]); `None`
/// when no file of the watched folders answers `path` (the request goes on as it is).
fn imported(scripts: &Scripts, path: &str, query: Option<AssetQuery>) -> Option<Response> {
    let Ok(Target::File { path: file, site }) = route::locate(&scripts.settings, path) else {
        return None;
    };
    if let Some(why) = frameworks::unsupported_file(path) {
        return Some(as_javascript(module::unsupported(scripts, &site, why)));
    }
    let bytes = std::fs::read(&file).ok()?;
    let text = || String::from_utf8_lossy(&bytes);
    let quoted = || serde_json::to_string(path).expect("a string serializes");
    let style = site.kind() == Kind::Style;
    let body = match query {
        Some(AssetQuery::Url) => queries::string_module(path),
        Some(AssetQuery::Raw) => queries::string_module(&text()),
        Some(AssetQuery::Inline) if style => module::inline_style(scripts, path, &site, &text()),
        Some(AssetQuery::Inline) => queries::string_module(&queries::data_url(path, &bytes)),
        Some(AssetQuery::Worker) => queries::worker_module(&quoted(), false),
        Some(AssetQuery::SharedWorker) => queries::worker_module(&quoted(), true),
        None if style => module::style_module(scripts, path, &site, &text()),
        None => module::asset_module(path, &site, &bytes),
    };
    Some(as_javascript(body))
}

/// `body` as a module's answer, revalidated on every request.
fn as_javascript(body: String) -> Response {
    let mut response = Response::new(axum::body::Body::from(body));
    let headers = response.headers_mut();
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static(module::JAVASCRIPT),
    );
    headers.insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static(super::cache::REVALIDATE),
    );
    response
}

/// The mounted file `path` names.
fn located(scripts: &Scripts, path: &str) -> Option<Module> {
    match route::locate(&scripts.settings, path) {
        Ok(Target::File { site, .. }) => Some(Module {
            site,
            url: path.to_string(),
        }),
        _ => None,
    }
}

/// An app's image, font or other file under a mounted prefix: recorded as served, the first
/// time. (The site's own files record themselves.)
async fn note_asset(scripts: Arc<Scripts>, path: &str) {
    if scripts.settings.mounts.is_empty() {
        return;
    }
    let path = path.to_string();
    crate::pool::run(move || {
        if let Some(Module { site, url }) = located(&scripts, &path)
            && scripts
                .live
                .graph()
                .node(&site)
                .is_none_or(|node| node.url.is_empty())
        {
            scripts
                .live
                .inbox
                .record(Record::Served { file: site, url });
        }
    })
    .await;
}
