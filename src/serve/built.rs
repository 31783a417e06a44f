//! A build, served as a static host would serve it (`hotplate serve --prod` serves a build:
//! `hotplate build`'s output, or a site built first).
//!
//! - Files as they are (tower-http's `ServeDir`: Content-Type, ETag, Last-Modified, Range);
//!   `/about` is `about/index.html`.
//! - A fingerprinted name (`style.4f9c2a1b.css`: 8 hex digits before the extension) is cached
//!   for good (`immutable`); anything else (pages, `public/` files) is revalidated
//!   (`no-cache`), so a deploy shows at once.
//! - The `.br` or `.gz` beside a file is sent to a browser that accepts it.
//! - Anything not found gets the build's `404.html`, with status 404.
//! - Dotfiles are not served.

use super::cache::IMMUTABLE;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::path::Path;
use tower_http::services::{ServeDir, ServeFile};

/// The router that serves the build at `folder`.
pub fn router(folder: &Path) -> Router {
    let files = ServeDir::new(folder)
        .precompressed_br()
        .precompressed_gzip()
        .not_found_service(ServeFile::new(folder.join("404.html")));
    Router::new()
        .fallback_service(files)
        .layer(axum::middleware::from_fn(caching))
}

/// Refuses dotfiles, and says how long a response may be cached by what its name says.
async fn caching(req: Request, next: axum::middleware::Next) -> Response {
    let path = req.uri().path().to_string();
    if path.split('/').any(|segment| segment.starts_with('.')) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mut response = next.run(req).await;
    let cache = if response.status().is_success() && fingerprinted(&path) {
        IMMUTABLE
    } else {
        "no-cache"
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// Whether the last segment of `path` carries a build's fingerprint: `name.<8 hex>.ext` (or
/// `.ext.map`).
pub fn fingerprinted(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    // A chunk's source map is named after the chunk.
    let name = name.strip_suffix(".map").unwrap_or(name);
    let mut parts = name.rsplit('.');
    let (Some(_ext), Some(hash), Some(stem)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !stem.is_empty() && hash.len() == 8 && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_is_eight_hex_digits_before_the_extension() {
        assert!(fingerprinted("/css/style.4f9c2a1b.css"));
        assert!(fingerprinted("/src/main.3a6f8d2a.js.map"));
        assert!(fingerprinted("/assets/shared.0011aabb.js"));
        assert!(!fingerprinted("/style.css"));
        assert!(!fingerprinted("/logo.svg"));
        assert!(!fingerprinted("/about/"));
        assert!(!fingerprinted("/.4f9c2a1b.css"));
        assert!(!fingerprinted("/v1.deadbeefx.js"));
    }
}
