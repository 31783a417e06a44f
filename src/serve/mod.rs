//! The serve stage: the HTTP side as tower pieces, and the site they serve.
//!
//! ```text
//!                     ┌── runtime router: /__hotplate/* (events, send, client files) ──┐
//! request ──> guard ──┤                                                                  ├──> response
//! (Host)              └─> inject layer (any text/html: the runtime, records what it loads)
//!                           └─> module layer (JS/CSS: import.meta.hot, ?t=, imports)
//!                                 └─> site service (pages, files) | an app's router
//! ```
//!
//! - [`guard`]: the `Host` must be this server; streams and messages take only its own
//!   `Origin`.
//! - [`runtime`]: hotplate's own URLs, a nested router (dev only): the event stream, the
//!   client's files, npm packages and CommonJS ones converted ([`crate::modules`] makes them).
//! - [`inject`] and [`module_layer`]: the layers, whatever they wrap. [`outgoing`] is what
//!   they share, [`decode`] reads a compressed body, and [`extensions`] is what an inner
//!   service tells them. [`crate::layer()`] puts the same two, and the runtime, around an app.
//! - [`site`]: the site service, with [`document`], [`module`] and [`files`]; [`cache`] is the
//!   caching headers of everything served; [`specifiers`] writes what a module (or a page's
//!   inline module) imports as the URLs that serve it.
//! - [`proxy`]: the proxy service (`--proxy`), which serves the mapped asset folders and
//!   forwards the rest to the backend ([`crate::backend`] owns whether it is up, and runs it);
//!   [`refetch`] asks it for the pages shown again after a save, and pushes their patches.
//! - [`built`]: a build (`hotplate build`'s output) served as a static host would, which is
//!   what `hotplate serve --prod` serves: the guard and it alone.
//!
//! Each piece takes the handles it reads, not the whole application: [`Scripts`] (settings,
//! live connections, module state) for the module layer and the runtime router, [`Pages`]
//! (those and the site) for the site service and the inject layer, [`proxy::Proxied`] for the
//! proxy service, the settings alone for the guard.
//!
//! [`router`] builds those handles from the application once and arranges the pieces for a
//! site (in production: the guard and the site service alone); [`crate::server`] binds it to
//! a port.

pub mod built;
pub mod cache;
pub mod decode;
pub mod document;
pub mod extensions;
pub mod files;
pub mod guard;
pub mod inject;
pub mod module;
pub mod module_layer;
pub mod outgoing;
pub mod proxy;
pub mod refetch;
pub mod runtime;
pub mod site;
pub mod specifiers;

use crate::app::App;
use crate::live::Live;
use crate::modules::Modules;
use crate::settings::Settings;
use crate::site::Site;
use axum::Router;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// What serving a script or stylesheet reads: the module layer, and the runtime router with its
/// npm and deps routes. Cloning it clones three handles.
#[derive(Clone)]
pub struct Scripts {
    pub settings: Arc<Settings>,
    /// To record what a module imports, report what fails, and stamp `?t=`.
    pub live: Live,
    /// Compiling, analysing and resolving.
    pub modules: Arc<Modules>,
}

/// What serving a page or a file reads: the site service and the inject layer. A page's
/// modules are served too, so it is [`Scripts`] and the site (renderer, checked renders, memo).
#[derive(Clone)]
pub struct Pages {
    pub scripts: Scripts,
    pub site: Arc<Site>,
}

impl std::ops::Deref for Pages {
    type Target = Scripts;

    fn deref(&self) -> &Scripts {
        &self.scripts
    }
}

impl Scripts {
    /// The handles of `app` that serving scripts reads.
    pub fn of(app: &App) -> Scripts {
        Scripts {
            settings: app.settings.clone(),
            live: app.live.clone(),
            modules: app.modules.clone(),
        }
    }
}

impl Pages {
    /// The handles of `app` that serving pages reads.
    pub fn of(app: &App) -> Pages {
        Pages {
            scripts: Scripts::of(app),
            site: app.site.clone(),
        }
    }
}

/// The whole HTTP surface of a site, ready to serve or to call in memory.
pub fn router(app: Arc<App>) -> Router {
    if app.settings.built {
        let memo = Arc::new(crate::site::memo::Memo::default());
        return built::router(&app.settings.root, memo).layer(
            axum::middleware::from_fn_with_state(app.settings.clone(), this_host),
        );
    }
    let scripts = Arc::new(Scripts::of(&app));
    let pages = Arc::new(Pages::of(&app));
    let mut router = match &app.backend {
        Some(backend) => {
            Router::new()
                .fallback(proxy::handle)
                .with_state(Arc::new(proxy::Proxied {
                    pages: pages.clone(),
                    backend: backend.clone(),
                }))
        }
        None => Router::new()
            .fallback(site::handle)
            .with_state(pages.clone()),
    };
    if app.settings.is_dev() {
        router = router.layer(module_layer::layer(scripts.clone()));
        router = router.layer(inject::layer(pages)).nest(
            runtime::PREFIX.trim_end_matches('/'),
            runtime::router(scripts),
        );
    }
    router.layer(axum::middleware::from_fn_with_state(
        app.settings.clone(),
        this_host,
    ))
}

/// Refuses a `Host` that is not this server, before anything is looked up.
async fn this_host(
    State(settings): State<Arc<Settings>>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    match guard::check_host(&settings, req.headers()) {
        Ok(()) => next.run(req).await,
        Err(rejection) => rejection.into_response(),
    }
}
