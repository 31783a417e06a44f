//! What the inject and module layers share: asking whatever serves (the site, a backend, an
//! app) for plain bytes, reading them, and answering with the rewritten body.
//!
//! 1. [`ask_plainly`]: a request whose answer may be rewritten goes in without
//!    `Accept-Encoding` (a compressed body could not be rewritten), `Range` (a slice of it
//!    neither) or validators (they describe the inner bytes, not the ones the browser gets),
//!    and a `HEAD` becomes a `GET`, so there is a body to measure.
//! 2. [`read`]: the answer's body, decoded when it came compressed anyway ([`decode`]: gzip,
//!    deflate, brotli, zstd), unless it is larger than [`MAX_REWRITTEN`] or not UTF-8 (each
//!    left alone, with a warning).
//! 3. [`answer`]: the rewritten body with an ETag of its own (`304` when the browser has it),
//!    `no-cache`, and without the inner validators and ranges; everything else the inner
//!    service said (status, cookies, its own headers) stays.

use super::{cache, decode};
use crate::rewrite::MAX_REWRITTEN;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::response::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{FromFn, FromFnLayer, Next};
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use hyper::body::Body as _;
use std::sync::Arc;

/// A layer's function over its state `T`: the request, and the rest of the stack to call
/// (axum's `middleware::from_fn`), as a type that can be named.
pub type Piece<T> = fn(State<Arc<T>>, Request, Next) -> BoxFuture<'static, Response>;

/// A layer made of a [`Piece`].
pub type PieceLayer<T> = FromFnLayer<Piece<T>, Arc<T>, (State<Arc<T>>, Request)>;

/// A service `S` wrapped in a [`PieceLayer`].
pub type Pieced<T, S> = FromFn<Piece<T>, Arc<T>, S, (State<Arc<T>>, Request)>;

/// What the layer needs of the request once the inner service has it.
#[derive(Clone, Debug)]
pub struct Asked {
    pub method: Method,
    pub path: String,
    pub query: Option<String>,
    pub if_none_match: Option<HeaderValue>,
    /// The `Host` it was sent to: the page's own origin, for its policy.
    pub host: Option<String>,
}

impl Asked {
    pub fn of(req: &Request) -> Asked {
        Asked {
            method: req.method().clone(),
            path: req.uri().path().to_string(),
            query: req.uri().query().map(str::to_string),
            if_none_match: req.headers().get(header::IF_NONE_MATCH).cloned(),
            host: req
                .headers()
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        }
    }

    /// Whether the answer may be rewritten at all: only GET and HEAD are.
    pub fn readable(&self) -> bool {
        self.method == Method::GET || self.method == Method::HEAD
    }
}

/// Prepares a request whose answer may be rewritten (see the module's docs).
pub fn ask_plainly(req: &mut Request) {
    if req.method() == Method::HEAD {
        *req.method_mut() = Method::GET;
    }
    let headers = req.headers_mut();
    for name in [
        header::IF_NONE_MATCH,
        header::IF_MODIFIED_SINCE,
        header::IF_RANGE,
        header::RANGE,
        header::ACCEPT_ENCODING,
    ] {
        headers.remove(name);
    }
}

/// Whether a response of this status carries a body to rewrite.
pub fn has_body(status: StatusCode) -> bool {
    !(status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED)
}

/// The essence of the response's `Content-Type` (`text/html`), lowercased.
pub fn content_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(value.split(';').next()?.trim().to_ascii_lowercase())
}

/// The response's head and its body as text, or the response back, untouched, when it cannot
/// be rewritten.
pub async fn read(response: Response, path: &str) -> Result<(Parts, String), Response> {
    let encoding = response
        .headers()
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("?").to_string())
        .filter(|encoding| !encoding.eq_ignore_ascii_case("identity"));
    if let Some(encoding) = &encoding
        && !decode::is_known(encoding)
    {
        tracing::warn!(
            "{path} came {encoding}-encoded, which hotplate cannot decode, so it sent it as it \
             is (no hot updates for it)"
        );
        return Err(response);
    }
    let declared = declared_length(&response);
    if declared.is_some_and(|len| len > MAX_REWRITTEN) {
        tracing::warn!(
            "{path} is larger than {} MB, so hotplate sent it as it is",
            MAX_REWRITTEN >> 20
        );
        return Err(response);
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_REWRITTEN as usize).await {
        Ok(bytes) => bytes,
        Err(err) => {
            return Err((
                StatusCode::BAD_GATEWAY,
                format!("hotplate could not read the answer for {path}: {err}\n"),
            )
                .into_response());
        }
    };
    let bytes = match encoding {
        None => Vec::from(bytes),
        // Decoded on the pool: inflating a large body is real work.
        Some(encoding) => {
            let compressed = bytes.clone();
            let decoded = crate::pool::run(move || {
                decode::decode(&encoding, &compressed, MAX_REWRITTEN).map_err(|err| (encoding, err))
            })
            .await;
            match decoded {
                Ok(decoded) => {
                    parts.headers.remove(header::CONTENT_ENCODING);
                    parts.headers.remove(header::CONTENT_LENGTH);
                    decoded
                }
                Err((encoding, err)) => {
                    tracing::warn!(
                        "{path} came {encoding}-encoded and could not be decoded ({err}), so \
                         hotplate sent it as it is (no hot updates for it)"
                    );
                    return Err(Response::from_parts(parts, Body::from(bytes)));
                }
            }
        }
    };
    // Taken over without a copy when the body was the only owner of its bytes.
    match String::from_utf8(bytes) {
        Ok(text) => Ok((parts, text)),
        // Rewritten as text, another encoding (a Latin-1 page) would lose its characters.
        Err(err) => {
            tracing::warn!(
                "{path} is not UTF-8, so hotplate sent it as it is (no hot updates for it)"
            );
            Err(Response::from_parts(parts, Body::from(err.into_bytes())))
        }
    }
}

/// The length a response says its body has, if it says.
pub fn declared_length(response: &Response) -> Option<u64> {
    response
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .or_else(|| response.body().size_hint().exact())
}

/// A rewritten body and its ETag, hashed where it was rewritten (on the pool).
pub struct Rewritten {
    body: String,
    etag: String,
}

impl Rewritten {
    pub fn new(body: String) -> Rewritten {
        let etag = cache::etag(body.as_bytes());
        Rewritten { body, etag }
    }
}

/// The rewritten body under the inner response's head (see the module's docs).
pub fn answer(mut parts: Parts, rewritten: Rewritten, asked: &Asked) -> Response {
    let Rewritten { body, etag } = rewritten;
    let headers = &mut parts.headers;
    for name in [
        header::LAST_MODIFIED,
        header::ACCEPT_RANGES,
        header::CONTENT_RANGE,
    ] {
        headers.remove(name);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    headers.insert(
        header::ETAG,
        HeaderValue::from_str(&etag).expect("a hex ETag"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache::REVALIDATE),
    );
    if parts.status == StatusCode::OK && cache::matches(asked.if_none_match.as_ref(), &etag) {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    }
    if asked.method == Method::HEAD {
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(body))
}
