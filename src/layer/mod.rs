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
//! The layer is the site's own tower pieces ([`crate::serve`]) around the app's router:
//! 1. `/__hotplate/*` is answered by the runtime router (the event stream, messages, the
//!    client files);
//! 2. the inject layer puts the client runtime into every `text/html` response, whoever
//!    produced it, and records what the document loads (the graph knows it by its URL);
//! 3. the module layer rewrites the scripts and stylesheets under an asset prefix
//!    (`import.meta.hot`, `?t=`) and records their imports.
//!
//! What they rewrite is asked of the app plainly (no validators, ranges or compression) and
//! answered with an ETag of its own ([`crate::serve::outgoing`]). Everything else (status,
//! headers, cookies, streaming bodies) passes through as the app made it. Rewriting runs on
//! hotplate's pool (`pool`), never on the app's async workers. A compressed document is
//! decoded to be rewritten and sent plain: put the layer outside any compression layer to
//! spare it that work.
//!
//! In release builds ([`Builder::build`] without `debug_assertions`), or with `HOTPLATE=off`,
//! the layer is a no-op: its service is the app's own, and nothing is watched or started.
//!
//! [`Templates`] renders minijinja templates from disk, re-read when they change while a layer
//! is on (and in debug builds), and tells the layer which templates each response read: a save
//! then morphs only the pages that used the template. Without it, a save in a template folder
//! morphs every open page. Either way, each page shown is asked of its route once, as the tab
//! that last loaded it asked (the inject layer keeps the route's service and the request's
//! headers and extensions, [`crate::served`]), and the patch pushed to its tabs.

mod templates;

pub use templates::{Page, TemplateError, Templates};

use crate::error::FatalError;
use crate::hotplate::{Handle, Hotplate};
use crate::serve::outgoing::Pieced;
use crate::serve::{Pages, Scripts};
use crate::serve::{inject, module_layer, runtime};
use crate::settings::{Mount, Settings};
use axum::extract::Request;
use axum::http::Uri;
use axum::response::Response;
use futures_util::future::BoxFuture;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::{Layer, Service, ServiceBuilder, ServiceExt};

/// Whether a layer was started in this process: [`Templates`] then follow their files.
static ON: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether a hot layer is on in this process.
pub(crate) fn is_on() -> bool {
    ON.load(std::sync::atomic::Ordering::Relaxed)
}

fn turned_on() {
    ON.store(true, std::sync::atomic::Ordering::Relaxed);
}

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
            let what = match &prefix {
                Some(prefix) => format!(".assets(\"{prefix}\", …)"),
                None => ".templates(…)".to_string(),
            };
            let folder =
                std::fs::canonicalize(&path).map_err(|error| FatalError::BadLayerFolder {
                    folder: path,
                    what: what.clone(),
                    why: format!("cannot be read: {error}"),
                })?;
            if !folder.starts_with(&settings.root) {
                return Err(FatalError::BadLayerFolder {
                    why: format!("is outside the app's root {}", settings.root.display()),
                    folder,
                    what,
                });
            }
            settings.mounts.push(Mount { folder, prefix });
        }
        if let Some(configure) = self.configure {
            configure(&mut settings);
        }
        let hotplate = Hotplate::start(settings);
        turned_on();
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
        match &self.started {
            Some(hotplate) => {
                let scripts = Arc::new(Scripts::of(hotplate.state()));
                let pages = Arc::new(Pages::of(hotplate.state()));
                let layers = ServiceBuilder::new()
                    .layer(inject::layer(pages))
                    .layer(module_layer::layer(scripts.clone()));
                Hot::On {
                    inner: layers.service(inner),
                    runtime: runtime::router(scripts),
                    _hotplate: hotplate.clone(),
                }
            }
            None => Hot::Off(inner),
        }
    }
}

/// The app's service with hot updates around it ([`HotLayer`]): the runtime at
/// `/__hotplate/*`, and everything else through the inject and module layers
/// (hotplate's `serve` stage). Off, it is the app's own service. The app's service must be
/// `Clone + Send + Sync` with `Infallible` errors, as an axum `Router` is.
#[derive(Clone)]
pub enum Hot<S> {
    On {
        inner: Pieced<Pages, Pieced<Scripts, S>>,
        runtime: axum::Router,
        _hotplate: Arc<Hotplate>,
    },
    Off(S),
}

impl<S> Service<Request> for Hot<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        match self {
            Hot::On { inner, .. } => inner.poll_ready(cx),
            Hot::Off(inner) => inner.poll_ready(cx),
        }
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        match self {
            Hot::Off(inner) => Box::pin(inner.call(req)),
            Hot::On { inner, runtime, .. } => {
                let Some(rest) = runtime_path(req.uri()) else {
                    return Box::pin(inner.call(req));
                };
                *req.uri_mut() = rest;
                Box::pin(runtime.clone().oneshot(req))
            }
        }
    }
}

/// The URI below `/__hotplate` when `uri` is one of the runtime's.
fn runtime_path(uri: &Uri) -> Option<Uri> {
    let rest = uri
        .path()
        .strip_prefix(runtime::PREFIX.trim_end_matches('/'))?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    let rest = if rest.is_empty() { "/" } else { rest };
    let rest = match uri.query() {
        Some(query) => format!("{rest}?{query}"),
        None => rest.to_string(),
    };
    rest.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(builder: Builder) -> String {
        match builder.enabled(true).build() {
            Ok(_) => panic!("the layer started"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn a_mounted_folder_that_is_missing_is_named_with_the_call_that_mounted_it() {
        let root = tempfile::tempdir().unwrap();
        let said = error_of(layer().root(root.path()).assets("/static", "static"));
        assert!(said.contains("static"), "{said}");
        assert!(said.contains(r#".assets("/static", …)"#), "{said}");
        assert!(said.contains("cannot be read"), "{said}");
        assert!(!said.contains("site root"), "{said}");
    }

    #[test]
    fn a_templates_folder_outside_the_root_says_so() {
        let outer = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(outer.path().join("app")).unwrap();
        std::fs::create_dir_all(outer.path().join("templates")).unwrap();
        let said = error_of(
            layer()
                .root(outer.path().join("app"))
                .templates("../templates"),
        );
        assert!(said.contains(".templates(…)"), "{said}");
        assert!(said.contains("is outside the app's root"), "{said}");
    }
}
