//! What the handler remembers between requests, so the common request costs no trip to a
//! blocking thread: where a URL path leads, and the bytes of small static files.
//!
//! 1. **Routes.** A resolved URL path (a page, a file, a redirect; never a 404 or a refusal) is
//!    remembered. In dev every change batch forgets them all ([`Memo::forget`], from the
//!    pipeline); in production, with no watcher, an entry lives for [`ROUTE_TTL`].
//! 2. **Small files.** A static file of at most [`SMALL`] bytes is kept in memory with its
//!    headers. Every hit checks the file's size and modification time with one `stat`, so a
//!    file saved a moment ago is never answered from memory. A Range request, a bigger file or
//!    anything unusual goes through tower-http's `ServeFile` as before.
//!
//! Without this, each request went through two to five handoffs to tokio's blocking threads
//! (resolve, then `ServeFile`'s open, metadata and reads), and a kept-alive client got about a
//! quarter of nginx's throughput.

use crate::route::Target;
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

/// The largest file kept in memory.
pub const SMALL: u64 = 256 << 10;

/// How long a production route is trusted.
pub const ROUTE_TTL: Duration = Duration::from_secs(1);

/// The most entries of each kind; past it, everything is forgotten and memory starts over.
const MAX_ENTRIES: usize = 4096;

/// Where a URL path leads, and, for a file, its size when it was resolved.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub target: Target,
    pub len: Option<u64>,
}

impl Resolved {
    /// Small enough to be read whole and rewritten (documents, scripts, stylesheets in dev).
    pub fn rewritable(&self) -> bool {
        self.len.is_some_and(|len| len <= super::MAX_REWRITTEN)
    }

    /// Small enough to be kept in memory: worth a trip to read it.
    pub fn small(&self) -> bool {
        self.len.is_some_and(|len| len <= SMALL)
    }
}

#[derive(Default)]
pub struct Memo {
    routes: Mutex<HashMap<String, (Resolved, Instant)>>,
    files: Mutex<HashMap<PathBuf, Arc<SmallFile>>>,
}

/// A small static file with its response headers.
pub struct SmallFile {
    body: Bytes,
    modified: SystemTime,
    len: u64,
    etag: HeaderValue,
    last_modified: HeaderValue,
    content_type: HeaderValue,
}

impl Memo {
    /// Where `url_path` led last time, if that is still to be trusted.
    pub fn route(&self, url_path: &str, dev: bool) -> Option<Resolved> {
        let routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
        let (resolved, at) = routes.get(url_path)?;
        (dev || at.elapsed() < ROUTE_TTL).then(|| resolved.clone())
    }

    pub fn remember_route(&self, url_path: &str, resolved: &Resolved) {
        if matches!(resolved.target, Target::NotFound) {
            return;
        }
        let mut routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
        if routes.len() >= MAX_ENTRIES {
            routes.clear();
        }
        routes.insert(url_path.to_string(), (resolved.clone(), Instant::now()));
    }

    /// Forgets everything: files changed.
    pub fn forget(&self) {
        self.routes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        self.files
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// The small file at `path`, if it is in memory and unchanged on disk (one `stat`).
    pub fn small_file(&self, path: &Path) -> Option<Arc<SmallFile>> {
        let file = self
            .files
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(path)?
            .clone();
        let meta = std::fs::metadata(path).ok()?;
        (meta.len() == file.len && meta.modified().ok()? == file.modified).then_some(file)
    }

    /// Reads `path` into memory if it is small (blocking: call it off the async workers).
    pub fn load_small_file(&self, path: &Path) -> Option<Arc<SmallFile>> {
        let meta = std::fs::metadata(path).ok()?;
        if !meta.is_file() || meta.len() > SMALL {
            return None;
        }
        let modified = meta.modified().ok()?;
        let body = Bytes::from(std::fs::read(path).ok()?);
        // Read while it was being saved: leave it to the next request.
        if body.len() as u64 != meta.len() {
            return None;
        }
        let since_epoch = modified
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        let mime = mime_guess::from_path(path).first_or_octet_stream();
        let file = Arc::new(SmallFile {
            etag: HeaderValue::from_str(&format!(
                "\"{:x}-{:x}\"",
                meta.len(),
                since_epoch.as_nanos()
            ))
            .ok()?,
            last_modified: HeaderValue::from_str(&httpdate::fmt_http_date(modified)).ok()?,
            content_type: HeaderValue::from_str(mime.as_ref()).ok()?,
            len: meta.len(),
            modified,
            body,
        });
        let mut files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        if files.len() >= MAX_ENTRIES {
            files.clear();
        }
        files.insert(path.to_path_buf(), file.clone());
        Some(file)
    }
}

/// Whether `req` can be answered from memory: a plain GET or HEAD, no Range.
pub fn answerable(req: &Parts) -> bool {
    (req.method == Method::GET || req.method == Method::HEAD)
        && !req.headers.contains_key(header::RANGE)
}

impl SmallFile {
    /// The response to `req`, with `cache_control`: 304 when the client's validators match.
    pub fn respond(&self, req: &Parts, cache_control: HeaderValue) -> Response {
        let not_modified = self.matches(&req.headers);
        let mut response = if not_modified {
            Response::builder().status(StatusCode::NOT_MODIFIED)
        } else {
            Response::builder()
                .header(header::CONTENT_TYPE, self.content_type.clone())
                .header(header::CONTENT_LENGTH, self.len)
                .header(header::ACCEPT_RANGES, "bytes")
        };
        response = response
            .header(header::ETAG, self.etag.clone())
            .header(header::LAST_MODIFIED, self.last_modified.clone())
            .header(header::CACHE_CONTROL, cache_control);
        let body = if not_modified || req.method == Method::HEAD {
            Body::empty()
        } else {
            Body::from(self.body.clone())
        };
        response.body(body).expect("valid headers")
    }

    /// `If-None-Match` names this version, or (without it) `If-Modified-Since` is no older.
    fn matches(&self, headers: &HeaderMap) -> bool {
        if let Some(tags) = headers.get(header::IF_NONE_MATCH) {
            let tags = tags.to_str().unwrap_or("");
            let ours = self.etag.to_str().unwrap_or("");
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
        let modified = self
            .modified
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let since = since
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        modified <= since
    }
}
