//! Answers `/__hotplate/deps/<file>`: the CommonJS packages the module layer found, converted
//! into ES modules ([`crate::modules::optimize`]), built on the first request that needs them.
//! Entries carry the build's key (`?v=`) and chunks are named by their content, so both are
//! cached for good.

use crate::modules::optimize;
use crate::serve::Scripts;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Answers `/__hotplate/deps/<file>`: builds first, if needed.
pub async fn serve(State(scripts): State<Arc<Scripts>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let versioned = crate::protocol::query_has(req.uri().query(), crate::protocol::VERSION_PARAM);
    let answered = tokio::task::spawn_blocking(move || answer(&scripts, &path, versioned)).await;
    answered.unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

fn answer(scripts: &Scripts, path: &str, versioned: bool) -> Response {
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
    scripts.modules.optimizer.ensure_built(&scripts.modules);
    if let Some((specifier, why)) = scripts
        .modules
        .optimizer
        .failure(name.trim_end_matches(".js"))
    {
        let message = format!("hotplate could not convert the CommonJS package {specifier}: {why}");
        return (StatusCode::INTERNAL_SERVER_ERROR, format!("{message}\n")).into_response();
    }
    let file = scripts
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
    let immutable = versioned || !scripts.modules.optimizer.is_entry(name);
    crate::serve::cache::whole_file(body, crate::serve::module::JAVASCRIPT, immutable)
}
