//! Answers `/__hotplate/deps/<file>`: the CommonJS packages the module layer found, converted
//! into ES modules ([`crate::modules::optimize`]), built on the first request that needs them.
//! Entries carry the build's key (`?v=`) and chunks are named by their content, so both are
//! cached for good.

use crate::app::App;
use crate::modules::optimize;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Answers `/__hotplate/deps/<file>`: builds first, if needed.
pub async fn serve(State(app): State<Arc<App>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let versioned = crate::protocol::query_has(req.uri().query(), crate::protocol::VERSION_PARAM);
    let answered = tokio::task::spawn_blocking(move || answer(&app, &path, versioned)).await;
    answered.unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

fn answer(app: &App, path: &str, versioned: bool) -> Response {
    let name = path.rsplit('/').next().unwrap_or("");
    let plain = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !plain || name.starts_with('.') || !name.ends_with(".js") {
        return (
            StatusCode::NOT_FOUND,
            format!("hotplate: no dependency at {path}\n"),
        )
            .into_response();
    }
    app.modules.optimizer.ensure_built(&app.modules);
    if let Some((specifier, why)) = app.modules.optimizer.failure(name.trim_end_matches(".js")) {
        let message = format!("hotplate could not convert the CommonJS package {specifier}: {why}");
        return (StatusCode::INTERNAL_SERVER_ERROR, format!("{message}\n")).into_response();
    }
    let file = app
        .settings
        .root
        .join(optimize::CACHE)
        .join("deps")
        .join(name);
    let Ok(body) = std::fs::read(&file) else {
        return (
            StatusCode::NOT_FOUND,
            format!("hotplate: no dependency at {path}\n"),
        )
            .into_response();
    };
    // Chunks are named by their content; entries carry the key.
    let cache = if versioned || !app.modules.optimizer.is_entry(name) {
        crate::serve::cache::IMMUTABLE
    } else {
        crate::serve::cache::REVALIDATE
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(crate::serve::module::JAVASCRIPT),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}
