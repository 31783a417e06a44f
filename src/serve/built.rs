//! A build, served as a static host would serve it (`hotplate serve --prod` serves a build:
//! `hotplate build`'s output, or a site built first).
//!
//! - Files as they are: small ones (and their variants) from memory, as the site service keeps
//!   them ([`crate::site::memo`], checked with one `stat`), the rest through tower-http's
//!   `ServeDir` (Content-Type, ETag, Last-Modified, Range, the folder redirect);
//!   `/about/` is `about/index.html`.
//! - A fingerprinted name (`style.4f9c2a1b.css`: 8 hex digits before the extension) is cached
//!   for good (`immutable`); anything else (pages, `public/` files) is revalidated
//!   (`no-cache`), so a deploy shows at once.
//! - The `.br` or `.gz` beside a file is sent to a browser that accepts it.
//! - Anything not found gets the build's `404.html`, with status 404.
//! - Dotfiles are not served.

use super::cache::IMMUTABLE;
use super::files;
use crate::base::SitePath;
use crate::site::memo::{Memo, Resolved, SmallFile};
use crate::site::route::{Target, confine};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

/// What serving a build reads.
struct Built {
    folder: PathBuf,
    memo: Arc<Memo>,
    files: ServeDir<tower_http::set_status::SetStatus<ServeFile>>,
}

/// The router that serves the build at `folder` (canonical), keeping small files in `memo`.
pub fn router(folder: &Path, memo: Arc<Memo>) -> Router {
    let files = ServeDir::new(folder)
        .precompressed_br()
        .precompressed_gzip()
        .not_found_service(ServeFile::new(folder.join("404.html")));
    Router::new()
        .fallback(serve)
        .with_state(Arc::new(Built {
            folder: folder.to_path_buf(),
            memo,
            files,
        }))
        .layer(axum::middleware::from_fn(caching))
}

/// A small file from memory when the request allows it, else `ServeDir`.
async fn serve(State(built): State<Arc<Built>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    if files::answerable(&parts)
        && let Some(file) = built.file_at(parts.uri.path())
    {
        let accepts = parts
            .headers
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let url = parts.uri.path().to_string();
        // On this worker: where the URL led (remembered for a second, as the site service
        // remembers routes) and the small file in memory (a `stat` or two). On a blocking
        // thread: resolving the path (symlinks, confinement) and reading the file, when not.
        let remembered = match built.memo.route(&url, false).map(|r| r.target) {
            Some(Target::File { path, .. }) => built.small(&path, &accepts, false),
            _ => None,
        };
        let found = match remembered {
            Some(found) => Some(found),
            None => {
                let state = built.clone();
                tokio::task::spawn_blocking(move || {
                    let real = state.resolve(&url, &file)?;
                    state.small(&real, &accepts, true)
                })
                .await
                .ok()
                .flatten()
            }
        };
        if let Some((small, encoding, content_type)) = found {
            let mut response = files::respond(&small, &parts, HeaderValue::from_static("no-cache"));
            let modified = response.status() != StatusCode::NOT_MODIFIED;
            let headers = response.headers_mut();
            headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
            if modified {
                headers.insert(header::CONTENT_TYPE, content_type);
            }
            if let Some(encoding) = encoding {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
            }
            return response;
        }
    }
    match built
        .files
        .clone()
        .oneshot(Request::from_parts(parts, body))
        .await
    {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    }
}

impl Built {
    /// The file `url_path` names in the build (a folder's `index.html` for a path ending in
    /// `/`), confined to it; `None` for anything else, which `ServeDir` then answers.
    fn file_at(&self, url_path: &str) -> Option<PathBuf> {
        let segments = confine::sanitize(url_path).ok()?;
        let mut candidate = segments.iter().fold(self.folder.clone(), |p, s| p.join(s));
        if url_path.ends_with('/') {
            candidate.push("index.html");
        }
        Some(candidate)
    }

    /// The file `candidate` (what `url` names) really is, confined to the build, remembered for
    /// `url`. Blocking.
    fn resolve(&self, url: &str, candidate: &Path) -> Option<PathBuf> {
        let real = confine::enforce(&self.folder, candidate).ok()??;
        let meta = std::fs::metadata(&real).ok().filter(|m| m.is_file())?;
        let relative = real.strip_prefix(&self.folder).ok()?.to_string_lossy();
        let resolved = Resolved {
            target: Target::File {
                site: SitePath::new(&relative.replace('\\', "/")),
                path: real.clone(),
            },
            len: Some(meta.len()),
        };
        self.memo.remember_route(url, &resolved);
        Some(real)
    }

    /// The small file `real` (canonical, in the build) from memory, or the variant of it the
    /// browser accepts (`br`, then `gzip`), with that encoding and the file's own Content-Type.
    /// With `load`, what is not in memory yet is read (blocking); without, `None` says it must
    /// be.
    fn small(
        &self,
        real: &Path,
        accepts: &str,
        load: bool,
    ) -> Option<(Arc<SmallFile>, Option<&'static str>, HeaderValue)> {
        let mime = mime_guess::from_path(real).first_or_octet_stream();
        let content_type = HeaderValue::from_str(mime.as_ref()).ok()?;
        let get = |path: &Path| {
            if load {
                self.memo
                    .small_file(path)
                    .or_else(|| self.memo.load_small_file(path))
            } else {
                self.memo.small_file(path)
            }
        };
        for (encoding, ext) in [("br", "br"), ("gzip", "gz")] {
            if !accepts
                .split(',')
                .any(|e| e.trim().split(';').next() == Some(encoding))
            {
                continue;
            }
            let mut name = real.as_os_str().to_os_string();
            name.push(".");
            name.push(ext);
            let variant = PathBuf::from(name);
            if let Some(small) = get(&variant) {
                return Some((small, Some(encoding), content_type));
            }
            if !load && variant.is_file() {
                return None;
            }
        }
        get(real).map(|small| (small, None, content_type))
    }
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
