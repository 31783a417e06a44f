//! hotplate's own URLs under `/__hotplate/` (dev mode only): the hub's event stream and the
//! client runtime, whose files live in `client/` and are embedded in the binary.

use super::guard;
use crate::app::App;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

pub const PREFIX: &str = "/__hotplate/";

/// The tag injected into every HTML document.
pub const TAG: &str = r#"<script type="module" src="/__hotplate/client.js"></script>"#;

/// The client runtime's files, by URL name.
pub const ASSETS: &[(&str, &str)] = &[
    ("client.js", include_str!("../../client/client.js")),
    ("overlay.js", include_str!("../../client/overlay.js")),
    ("css.js", include_str!("../../client/css.js")),
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
    match ASSETS.iter().find(|(asset, _)| *asset == name) {
        Some((_, source)) => (
            [
                (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
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
