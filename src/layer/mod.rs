//! Hot updates inside an axum app: one tower [`Layer`] around the app's router.
//!
//! ```no_run
//! # async fn app() -> Result<(), hotplate::FatalError> {
//! use axum::Router;
//! use tower_http::services::ServeDir;
//!
//! let hot = hotplate::layer()
//!     .root(env!("CARGO_MANIFEST_DIR"))
//!     .assets("/static", "static") // served by the app at /static: CSS swaps, import.meta.hot
//!     .templates("templates") // read by the app: a save morphs the pages
//!     .build()?;
//! let app: Router = Router::new()
//!     .nest_service("/static", ServeDir::new("static"))
//!     .layer(hot);
//! # Ok(()) }
//! ```
//!
//! Around every request the layer:
//! 1. answers `/__hotplate/*` itself (the event stream, messages, the client runtime);
//! 2. asks the app for the plain bytes of what it will rewrite: documents and files under an
//!    asset prefix are requested without conditional or `Accept-Encoding` headers (the app's
//!    validators describe bytes the browser never gets);
//! 3. injects the client runtime into every `text/html` response, whoever produced it, and
//!    records what the document loads (the graph knows it by its URL);
//! 4. rewrites the scripts and stylesheets under an asset prefix (`import.meta.hot`, `?t=`)
//!    and records their imports;
//! 5. gives each rewritten body an ETag of its own, and answers 304 when the browser has it.
//!
//! Everything else (status, headers, cookies, streaming bodies) passes through as the app made
//! it. Rewriting runs on hotplate's pool ([`crate::pool`]), never on the app's async workers.
//! A compressed document is left alone, with a warning in the log.
//!
//! In release builds ([`Builder::build`] without `debug_assertions`), or with `HOTPLATE=off`,
//! the layer is a no-op: its service is the app's own, and nothing is watched or started.
//!
//! [`Templates`] renders minijinja templates from disk, re-read when they change in debug
//! builds, and tells the layer which templates each response read: a save then morphs only
//! the pages that used the template. Without it, a save in a template folder morphs every
//! open page.

mod templates;

pub use templates::{Page, TemplateError, Templates};

use crate::app::App;
use crate::base::SitePath;
use crate::error::FatalError;
use crate::graph::Record;
use crate::hotplate::{Handle, Hotplate};
use crate::route::{self, Target};
use crate::serve::{MAX_REWRITTEN, cache, document, module, runtime};
use crate::settings::{Mount, Settings};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::{Layer, Service, ServiceExt};

/// Starts configuring the layer for an app.
pub fn layer() -> Builder {
    Builder {
        root: None,
        mounts: Vec::new(),
        enabled: cfg!(debug_assertions) && std::env::var("HOTPLATE").as_deref() != Ok("off"),
        configure: None,
    }
}

type Configure = Box<dyn FnOnce(&mut Settings) + Send>;

/// What the layer watches, and where the app serves it.
pub struct Builder {
    root: Option<PathBuf>,
    /// (URL prefix or `None` for templates, folder relative to the root)
    mounts: Vec<(Option<String>, PathBuf)>,
    enabled: bool,
    configure: Option<Configure>,
}

impl Builder {
    /// The folder the others are relative to (default: the current directory).
    pub fn root(mut self, root: impl Into<PathBuf>) -> Self {
        self.root = Some(root.into());
        self
    }

    /// The app serves `folder` at URL `prefix` (`"/static"`): its scripts get
    /// `import.meta.hot`, its stylesheets swap in place, its images refresh.
    pub fn assets(mut self, prefix: &str, folder: impl Into<PathBuf>) -> Self {
        let prefix = format!("/{}", prefix.trim_matches('/'));
        self.mounts.push((Some(prefix), folder.into()));
        self
    }

    /// The app renders templates from `folder`: a save there morphs the pages that used the
    /// template (all open pages, unless they were rendered with [`Templates`]).
    pub fn templates(mut self, folder: impl Into<PathBuf>) -> Self {
        self.mounts.push((None, folder.into()));
        self
    }

    /// Turns the layer on or off (default: on in debug builds, unless `HOTPLATE=off`).
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.enabled = enabled;
        self
    }

    /// Adjusts the settings before starting (poll instead of native events, allowed hosts).
    pub fn configure(mut self, configure: impl FnOnce(&mut Settings) + Send + 'static) -> Self {
        self.configure = Some(Box::new(configure));
        self
    }

    /// Starts watching and returns the layer. Must be called within a tokio runtime. A folder
    /// that does not exist, or lies outside the root, is an error that names it.
    pub fn build(self) -> Result<HotLayer, FatalError> {
        if !self.enabled {
            return Ok(HotLayer { started: None });
        }
        let root = match self.root {
            Some(root) => root,
            None => std::env::current_dir().map_err(|source| FatalError::RootMissing {
                path: PathBuf::from("."),
                source,
            })?,
        };
        let mut settings = Settings::for_root(&root)?;
        for (prefix, folder) in self.mounts {
            let path = settings.root.join(&folder);
            let folder = std::fs::canonicalize(&path)
                .map_err(|source| FatalError::RootMissing { path, source })?;
            if !folder.starts_with(&settings.root) {
                return Err(FatalError::RootMissing {
                    path: folder,
                    source: std::io::Error::other("it is outside the root"),
                });
            }
            settings.mounts.push(Mount { folder, prefix });
        }
        if let Some(configure) = self.configure {
            configure(&mut settings);
        }
        let hotplate = Hotplate::start(settings);
        Ok(HotLayer {
            started: Some(Arc::new(hotplate)),
        })
    }
}

/// The layer an app adds around its router. Cloning it shares one watcher and pipeline,
/// which stop when the last clone (and the services made from it) is dropped.
#[derive(Clone)]
pub struct HotLayer {
    started: Option<Arc<Hotplate>>,
}

impl HotLayer {
    /// Triggers updates and hears from pages; `None` when the layer is off.
    pub fn handle(&self) -> Option<Handle> {
        self.started.as_ref().map(|h| h.handle())
    }

    /// Resolves once the watcher is armed (at once when the layer is off).
    pub async fn armed(&self) {
        if let Some(arming) = self.started.as_ref().and_then(|h| h.arming()) {
            arming.wait().await;
        }
    }
}

impl<S> Layer<S> for HotLayer {
    type Service = Hot<S>;

    fn layer(&self, inner: S) -> Hot<S> {
        Hot {
            inner,
            started: self.started.as_ref().map(|hotplate| Started {
                app: hotplate.app(),
                runtime: runtime::router(hotplate.app()),
                _hotplate: hotplate.clone(),
            }),
        }
    }
}

/// The app's service with hot updates around it ([`HotLayer`]).
#[derive(Clone)]
pub struct Hot<S> {
    inner: S,
    started: Option<Started>,
}

#[derive(Clone)]
struct Started {
    app: Arc<App>,
    runtime: axum::Router,
    _hotplate: Arc<Hotplate>,
}

impl<S> Service<Request> for Hot<S>
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

    fn call(&mut self, req: Request) -> Self::Future {
        // The clone that was made ready is the one that serves (tower's rule).
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let Some(started) = self.started.clone() else {
            return Box::pin(inner.call(req));
        };
        Box::pin(async move { Ok(hot(started, inner, req).await) })
    }
}

/// What the layer does with one request (see the module's docs).
async fn hot<S>(started: Started, mut inner: S, mut req: Request) -> Response
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    let app = started.app;
    let path = req.uri().path().to_string();
    if let Some(rest) = path.strip_prefix(runtime::PREFIX.trim_end_matches('/'))
        && (rest.is_empty() || rest.starts_with('/'))
    {
        let mut req = req;
        let uri = format!(
            "{}{}",
            if rest.is_empty() { "/" } else { rest },
            req.uri()
                .query()
                .map(|q| format!("?{q}"))
                .unwrap_or_default()
        );
        *req.uri_mut() = uri.parse().unwrap_or_default();
        return match started.runtime.oneshot(req).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
    }
    let method = req.method().clone();
    let readable = method == Method::GET || method == Method::HEAD;
    let asset = readable && route::mount_of(&app.settings, &path).is_some();
    let document = readable && wants_html(req.headers());
    // Validators and encodings of the app's bytes mean nothing for the bytes sent instead.
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).cloned();
    if asset || document {
        let headers = req.headers_mut();
        for name in [
            header::IF_NONE_MATCH,
            header::IF_MODIFIED_SINCE,
            header::IF_RANGE,
            header::RANGE,
            header::ACCEPT_ENCODING,
        ] {
            headers.remove(name);
        }
    }
    let query = req.uri().query().map(str::to_string);
    // Before the app answers: an update published from here on reaches the page.
    let since = app.hub.last_seq();
    let response = match inner.call(req).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    if !readable || !has_body(response.status()) {
        return response;
    }
    let kind = content_kind(response.headers());
    let rewrite = match kind {
        Some(Kind::Html) => Rewrite::Document,
        Some(kind @ (Kind::Script | Kind::Style)) if asset => match located(&app, &path) {
            Some(site) => Rewrite::Module(kind, site),
            None => Rewrite::Nothing,
        },
        _ => Rewrite::Nothing,
    };
    if asset && matches!(rewrite, Rewrite::Nothing) {
        if let Some(site) = located(&app, &path)
            && app.graph().node(&site).is_none_or(|n| n.url.is_empty())
        {
            app.inbox.record(Record::Served {
                file: site,
                url: path.clone(),
            });
        }
        return response;
    }
    if matches!(rewrite, Rewrite::Nothing) {
        return response;
    }
    if let Some(encoding) = response.headers().get(header::CONTENT_ENCODING)
        && encoding.as_bytes() != b"identity"
    {
        tracing::warn!(
            "{path} came {}-encoded, so hotplate left it as it is (no hot updates for it). \
             Put hotplate's layer outside the compression layer.",
            encoding.to_str().unwrap_or("?")
        );
        return response;
    }
    let declared = response
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_REWRITTEN) {
        return response;
    }
    let reads = response.extensions().get::<templates::Reads>().cloned();
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_REWRITTEN as usize).await {
        Ok(bytes) => bytes,
        Err(err) => {
            return (
                StatusCode::BAD_GATEWAY,
                format!("hotplate could not read the app's answer for {path}: {err}\n"),
            )
                .into_response();
        }
    };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let rewritten = {
        let app = app.clone();
        let path = path.clone();
        crate::pool::run(move || match rewrite {
            Rewrite::Document => {
                if let Some(reads) = reads {
                    app.inbox.record(Record::Render {
                        route: path.clone(),
                        reads: reads.relative_to(&app.settings.root),
                    });
                }
                let entry = SitePath::document_at(&path);
                document::inject(&app, &path, Some(&entry), &text, since)
            }
            Rewrite::Module(Kind::Style, site) => module::rewrite_style(&app, &path, &site, &text),
            Rewrite::Module(_, site) => {
                module::rewrite_script(&app, &path, query.as_deref(), &site, text)
            }
            Rewrite::Nothing => text,
        })
        .await
    };
    let etag = cache::etag(rewritten.as_bytes());
    let headers = &mut parts.headers;
    headers.remove(header::CONTENT_LENGTH);
    headers.remove(header::LAST_MODIFIED);
    headers.remove(header::ACCEPT_RANGES);
    headers.insert(
        header::ETAG,
        HeaderValue::from_str(&etag).expect("a hex ETag"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache::REVALIDATE),
    );
    if parts.status == StatusCode::OK && cache::matches(if_none_match.as_ref(), &etag) {
        parts.status = StatusCode::NOT_MODIFIED;
        return Response::from_parts(parts, Body::empty());
    }
    if method == Method::HEAD {
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(rewritten))
}

enum Rewrite {
    Nothing,
    Document,
    Module(Kind, SitePath),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Html,
    Script,
    Style,
}

/// What a response's `Content-Type` says it is, as far as rewriting goes.
fn content_kind(headers: &HeaderMap) -> Option<Kind> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next()?.trim().to_ascii_lowercase();
    match essence.as_str() {
        "text/html" => Some(Kind::Html),
        "text/javascript" | "application/javascript" | "application/x-javascript" => {
            Some(Kind::Script)
        }
        "text/css" => Some(Kind::Style),
        _ => None,
    }
}

/// Whether a request may be answered with a document hotplate rewrites: a navigation, or the
/// runtime fetching its page again to morph it.
fn wants_html(headers: &HeaderMap) -> bool {
    headers.contains_key(document::REFRESH)
        || headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
}

fn has_body(status: StatusCode) -> bool {
    !(status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED)
}

/// The file of a mounted folder that `path` names.
fn located(app: &App, path: &str) -> Option<SitePath> {
    match route::locate(&app.settings, path) {
        Ok(Target::File { site, .. }) => Some(site),
        _ => None,
    }
}

/// A file's path relative to `root`, as the graph names it.
fn site_path(root: &Path, file: &Path) -> Option<SitePath> {
    let relative = file.strip_prefix(root).ok()?;
    Some(SitePath::new(
        &relative.to_string_lossy().replace('\\', "/"),
    ))
}
