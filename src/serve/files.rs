//! Static files: small ones from memory ([`crate::site::memo`]), the rest through tower-http's `ServeFile`:
//! Content-Type, ETag, Last-Modified, conditional requests (304), HEAD and Range requests. This module adds the cache policy,
//! records in the graph (dev) that the file was served, and turns a file that vanished
//! mid-request into a clean 404.

use super::Pages;
use super::{cache, document};
use crate::base::SitePath;
use crate::graph::Record;
use crate::settings::Settings;
use crate::site::memo::SmallFile;
use axum::body::Body;
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;
use tower::ServiceExt;
use tower_http::services::ServeFile;

/// Serves `file`; `small` when it was small enough for memory when its route was resolved
/// (a bigger one goes straight to `ServeFile`, without a trip to try).
pub async fn serve(
    pages: &Arc<Pages>,
    req: Request,
    file: PathBuf,
    site: &SitePath,
    small: bool,
) -> Response {
    let control = cache::control(&pages.settings, req.uri().query());
    let url_path = req.uri().path().to_string();
    let (parts, body) = req.into_parts();
    if small && answerable(&parts) {
        // A small file from memory: checked with one `stat`, read (once) on a blocking thread.
        let small = match pages.site.memo.small_file(&file) {
            Some(small) => Some(small),
            None => {
                let (pages, file) = (pages.clone(), file.clone());
                tokio::task::spawn_blocking(move || pages.site.memo.load_small_file(&file))
                    .await
                    .ok()
                    .flatten()
            }
        };
        if let Some(small) = small {
            note_served(pages, site);
            return respond(&small, &parts, control);
        }
    }
    let req = Request::from_parts(parts, body);
    let mut response = match ServeFile::new(&file).oneshot(req).await {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    };
    if response.status() == StatusCode::NOT_FOUND {
        return gone(&pages.settings, &url_path);
    }
    note_served(pages, site);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, control);
    response
}

/// Tells the graph (dev) that `site` was served at its URL: news only the first time.
fn note_served(pages: &Pages, site: &SitePath) {
    let known = pages
        .live
        .graph()
        .node(site)
        .is_some_and(|node| !node.url.is_empty());
    if pages.settings.is_dev() && !known {
        pages.live.inbox.record(Record::Served {
            file: site.clone(),
            url: site.url(),
        });
    }
}

/// The answer for a file that was routed to but vanished before it could be read.
pub fn gone(settings: &Settings, url_path: &str) -> Response {
    document::plain_not_found(settings, url_path)
}

/// Whether `req` can be answered from memory: a plain GET or HEAD, no Range.
pub fn answerable(req: &Parts) -> bool {
    (req.method == Method::GET || req.method == Method::HEAD)
        && !req.headers.contains_key(header::RANGE)
}

/// The response to `req`, with `cache_control`: 304 when the client's validators match.
pub fn respond(file: &SmallFile, req: &Parts, cache_control: HeaderValue) -> Response {
    let not_modified = matches(file, &req.headers);
    let mut response = if not_modified {
        Response::builder().status(StatusCode::NOT_MODIFIED)
    } else {
        Response::builder()
            .header(header::CONTENT_TYPE, file.content_type().clone())
            .header(header::CONTENT_LENGTH, file.len())
            .header(header::ACCEPT_RANGES, "bytes")
    };
    response = response
        .header(header::ETAG, file.etag().clone())
        .header(header::LAST_MODIFIED, file.last_modified().clone())
        .header(header::CACHE_CONTROL, cache_control);
    let body = if not_modified || req.method == Method::HEAD {
        Body::empty()
    } else {
        Body::from(file.body().clone())
    };
    response.body(body).expect("valid headers")
}

/// `If-None-Match` names this version, or (without it) `If-Modified-Since` is no older.
fn matches(file: &SmallFile, headers: &HeaderMap) -> bool {
    if let Some(tags) = headers.get(header::IF_NONE_MATCH) {
        let tags = tags.to_str().unwrap_or("");
        let ours = file.etag().to_str().unwrap_or("");
        return tags.trim() == "*"
            || tags
                .split(',')
                .any(|tag| tag.trim().trim_start_matches("W/") == ours);
    }
    let Some(since) = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
    else {
        return false;
    };
    // HTTP dates have whole seconds.
    let modified = file
        .modified()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let since = since
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    modified <= since
}
