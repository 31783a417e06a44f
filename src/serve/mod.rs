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
//!   service tells them. [`crate::layer`] puts the same two, and the runtime, around an app.
//! - [`site`]: the site service, with [`document`], [`module`] and [`files`]; [`cache`] is the
//!   caching headers of everything served.
//! - [`proxy`]: the proxy service (`--proxy`), which serves the mapped asset folders and
//!   forwards the rest to the backend ([`crate::backend`] owns whether it is up, and runs it).
//!
//! [`router`] arranges them for a site (in production: the guard and the site service
//! alone); [`crate::server`] binds it to a port.

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
pub mod runtime;
pub mod site;

use crate::app::App;
use axum::Router;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The whole HTTP surface of a site, ready to serve or to call in memory.
pub fn router(app: Arc<App>) -> Router {
    let mut router = if app.backend.is_some() {
        Router::new().fallback(proxy::handle)
    } else {
        Router::new().fallback(site::handle)
    }
    .with_state(app.clone());
    if app.settings.is_dev() {
        router = router
            .layer(module_layer::layer(app.clone()))
            .layer(inject::layer(app.clone()))
            .nest(
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
