//! Static files: small ones from memory ([`memo`]), the rest through tower-http's `ServeFile`:
//! Content-Type, ETag, Last-Modified, conditional requests (304), HEAD and Range requests. This module adds the cache policy,
//! records in the graph (dev) that the file was served, and turns a file that vanished
//! mid-request into a clean 404.

use super::{cache, document, memo};
use crate::app::App;
use crate::base::SitePath;
use crate::graph::Record;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::Response;
use std::path::PathBuf;
use std::sync::Arc;
use tower::ServiceExt;
use tower_http::services::ServeFile;

/// Serves `file`; `small` when it was small enough for memory when its route was resolved
/// (a bigger one goes straight to `ServeFile`, without a trip to try).
pub async fn serve(
    app: &Arc<App>,
    req: Request,
    file: PathBuf,
    site: &SitePath,
    small: bool,
) -> Response {
    let control = cache::control(&app.settings, req.uri().query());
    let url_path = req.uri().path().to_string();
    let (parts, body) = req.into_parts();
    if small && memo::answerable(&parts) {
        // A small file from memory: checked with one `stat`, read (once) on a blocking thread.
        let small = match app.memo.small_file(&file) {
            Some(small) => Some(small),
            None => {
                let (app, file) = (app.clone(), file.clone());
                tokio::task::spawn_blocking(move || app.memo.load_small_file(&file))
                    .await
                    .ok()
                    .flatten()
            }
        };
        if let Some(small) = small {
            note_served(app, site);
            return small.respond(&parts, control);
        }
    }
    let req = Request::from_parts(parts, body);
    let mut response = match ServeFile::new(&file).oneshot(req).await {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    };
    if response.status() == StatusCode::NOT_FOUND {
        return gone(app, &url_path);
    }
    note_served(app, site);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, control);
    response
}

/// Tells the graph (dev) that `site` was served at its URL: news only the first time.
fn note_served(app: &App, site: &SitePath) {
    let known = app
        .graph()
        .node(site)
        .is_some_and(|node| !node.url.is_empty());
    if app.settings.is_dev() && !known {
        app.inbox.record(Record::Served {
            file: site.clone(),
            url: site.url(),
        });
    }
}

/// The answer for a file that was routed to but vanished before it could be read.
pub fn gone(app: &App, url_path: &str) -> Response {
    document::plain_not_found(app, url_path)
}
