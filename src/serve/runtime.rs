//! hotplate's own URLs under `/__hotplate/` (dev mode only): the hub's event stream and the
//! client runtime, whose files live in `client/` and are embedded in the binary.
//!
//! Documents load the runtime from `/__hotplate/<boot>/client.js`. The files cannot change
//! while the process runs, so under the current boot they are cached as immutable: a page
//! reload fetches none of them again. Any other folder (or none) serves the same files with
//! `no-cache`.

use super::{cache, guard};
use crate::app::App;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

pub const PREFIX: &str = "/__hotplate/";

/// The tag injected into every HTML document of the server started as `boot`.
pub fn tag(boot: &str) -> String {
    format!(r#"<script type="module" src="{PREFIX}{boot}/client.js"></script>"#)
}

/// The client runtime's files, by URL name.
pub const ASSETS: &[(&str, &str)] = &[
    ("client.js", include_str!("../../client/client.js")),
    ("overlay.js", include_str!("../../client/overlay.js")),
    ("css.js", include_str!("../../client/css.js")),
    ("worker.js", include_str!("../../client/worker.js")),
];

/// Answers `/__hotplate/<name>`.
pub fn respond(app: &App, name: &str, req: &Request) -> Response {
    if name == "events" {
        if let Err(rejection) = guard::check_origin(&app.settings, req.headers()) {
            return rejection.into_response();
        }
        let last_event_id = req
            .headers()
            .get("last-event-id")
            .and_then(|v| v.to_str().ok());
        return app.hub.connect(last_event_id).into_response();
    }
    let (folder, file) = name.rsplit_once('/').unwrap_or(("", name));
    let control = if folder == app.settings.boot {
        cache::IMMUTABLE
    } else {
        cache::REVALIDATE
    };
    match ASSETS.iter().find(|(asset, _)| *asset == file) {
        Some((_, source)) => (
            [
                (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                (header::CACHE_CONTROL, control),
            ],
            *source,
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            format!("hotplate has no runtime file {name:?}\n"),
        )
            .into_response(),
    }
}
