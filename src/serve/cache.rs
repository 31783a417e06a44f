//! Cache headers. In dev every response is `no-cache` (always revalidated, using the ETag and
//! Last-Modified validators). In production a URL that carries a `v=` query parameter names one
//! immutable version of the file and may be cached for a year.
//!
//! Bodies hotplate builds itself (documents, rewritten scripts and stylesheets) get an ETag over
//! the body, so an unchanged one revalidates to 304 ([`respond`]).

use crate::settings::Settings;
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::hash::{DefaultHasher, Hasher};

pub const REVALIDATE: &str = "no-cache";
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// A file hotplate answers whole (a package's module, a converted dependency): cached for
/// good when its URL carries what versions it (`immutable`), else revalidated.
pub fn whole_file(body: Vec<u8>, content_type: &str, immutable: bool) -> Response {
    let cache = if immutable { IMMUTABLE } else { REVALIDATE };
    let content_type = HeaderValue::from_str(content_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// The `Cache-Control` value for a response to a URL with `query`.
pub fn control(settings: &Settings, query: Option<&str>) -> HeaderValue {
    let versioned = crate::protocol::query_has(query, crate::protocol::VERSION_PARAM);
    if !settings.is_dev() && versioned {
        HeaderValue::from_static(IMMUTABLE)
    } else {
        HeaderValue::from_static(REVALIDATE)
    }
}

/// Answers `req` with a body hotplate built, under the cache policy of its URL.
pub fn respond(
    settings: &Settings,
    req: &Parts,
    status: StatusCode,
    content_type: &str,
    body: String,
) -> Response {
    let control = control(settings, req.uri.query());
    let control = control.to_str().unwrap_or(REVALIDATE);
    let if_none_match = req.headers.get(header::IF_NONE_MATCH);
    validated(
        status,
        &req.method,
        if_none_match,
        content_type,
        body,
        control,
    )
}

/// A response with an ETag over `body`: 304 when `if_none_match` already names it.
pub fn validated(
    status: StatusCode,
    method: &Method,
    if_none_match: Option<&HeaderValue>,
    content_type: &str,
    body: String,
    control: &str,
) -> Response {
    let etag = etag(body.as_bytes());
    let fresh = status == StatusCode::OK && matches(if_none_match, &etag);
    let length = body.len();
    let (status, body) = if fresh {
        (StatusCode::NOT_MODIFIED, Body::empty())
    } else if method == Method::HEAD {
        (status, Body::empty())
    } else {
        (status, Body::from(body))
    };
    let mut builder = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CACHE_CONTROL, control)
        .header(header::ETAG, etag);
    if !fresh {
        builder = builder.header(header::CONTENT_LENGTH, length);
    }
    builder.body(body).expect("a valid response")
}

/// A strong validator for `body`.
pub fn etag(body: &[u8]) -> String {
    let mut hasher = DefaultHasher::new();
    hasher.write(body);
    format!("\"{:016x}\"", hasher.finish())
}

/// Whether an `If-None-Match` header names `etag` (or any version, `*`).
pub fn matches(if_none_match: Option<&HeaderValue>, etag: &str) -> bool {
    if_none_match
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag || t.trim() == "*")
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Mode;

    #[test]
    fn only_versioned_urls_in_production_are_immutable() {
        let mut s = Settings::for_root(std::env::temp_dir()).unwrap();
        assert_eq!(control(&s, Some("v=abc")), REVALIDATE);
        s.mode = Mode::Prod;
        assert_eq!(control(&s, Some("v=abc")), IMMUTABLE);
        assert_eq!(control(&s, Some("x=1&v=abc")), IMMUTABLE);
        assert_eq!(control(&s, Some("version=abc")), REVALIDATE);
        assert_eq!(control(&s, None), REVALIDATE);
    }
}
