//! What the site service remembers between requests, so the common request costs no trip to a
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

use crate::site::route::Target;
use axum::http::HeaderValue;
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
        self.len
            .is_some_and(|len| len <= crate::rewrite::MAX_REWRITTEN)
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

impl SmallFile {
    /// The file's bytes.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// When it was last modified, as read.
    pub fn modified(&self) -> SystemTime {
        self.modified
    }

    /// Its length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Its `ETag` (size and modification time).
    pub fn etag(&self) -> &HeaderValue {
        &self.etag
    }

    /// Its `Last-Modified`.
    pub fn last_modified(&self) -> &HeaderValue {
        &self.last_modified
    }

    /// Its `Content-Type`, guessed from its name.
    pub fn content_type(&self) -> &HeaderValue {
        &self.content_type
    }
}
