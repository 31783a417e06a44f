//! The inject layer: the client runtime goes into every `text/html` response, whoever produced
//! it (a page of the site, a backend's, an app's handler), and what the document loads goes to
//! the graph.
//!
//! A page's own `fetch` of HTML (`Sec-Fetch-Dest: empty`) is data for the page, not a
//! document, and passes untouched. A document that answers a POST is injected too, marked
//! (`hotplate-posted`) so that its runtime does not fetch its URL again on a change.
//!
//! Before the inner service answers, the layer notes the hub's newest message id: the runtime
//! resumes from it, so an update published while the document was made still reaches the
//! page. A navigation (`Accept: text/html`) or the runtime's own refresh is asked for plainly
//! ([`outgoing::ask_plainly`]). A document of known length (or compressed: it is decoded) is
//! then read whole, rewritten with lol_html on the pool ([`document::inject`]), and answered
//! with an ETag over what the browser gets; one of unknown length (streamed as it is made) is
//! rewritten chunk by chunk and goes out as it comes in.
//!
//! The graph knows a document by what made it:
//! - the site's pages and `.html` files say so with an [`Entry`] extension (their template or
//!   file), and its error pages with `Entry(None)`: injected, not recorded;
//! - any other document is known by its URL ([`SitePath::document_at`]);
//! - under a Content-Security-Policy (header or `<meta>`), the runtime's tags carry the
//!   page's nonce, or one the policy is given ([`crate::rewrite::csp`]);
//! - a response that carries [`TemplateReads`] (rendered with [`crate::layer::Templates`])
//!   records them as what that URL's render read, so a save morphs exactly those pages.

use super::decode;
use super::document::{self, Policy};
use super::outgoing::{self, Asked};
use super::runtime;
use crate::app::App;
use crate::base::{ErrorReport, SitePath};
use crate::graph::Record;
use crate::rewrite::html;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::response::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Body as _;
use hyper::body::Frame;
use std::collections::BTreeSet;
use std::convert::Infallible;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use tokio_stream::wrappers::ReceiverStream;

/// A response extension: the file behind a document of the site (`None`: an error page,
/// recorded by whoever made it, if at all).
#[derive(Clone, Debug)]
pub struct Entry(pub Option<SitePath>);

/// A response extension: the template files (paths on disk) the document's render read.
#[derive(Clone, Debug, Default)]
pub struct TemplateReads(pub BTreeSet<PathBuf>);

/// A response extension: the document is the error page of a render that failed. The overlay
/// shows the error on the pages open at that URL until a render there succeeds.
#[derive(Clone, Debug)]
pub struct RenderFailed(pub ErrorReport);

/// The inject layer, around any service.
pub fn layer(app: Arc<App>) -> outgoing::PieceLayer {
    axum::middleware::from_fn_with_state(app, around as outgoing::Piece)
}

fn around(
    State(app): State<Arc<App>>,
    mut req: Request,
    next: Next,
) -> BoxFuture<'static, Response> {
    Box::pin(async move {
        let asked = Asked::of(&req);
        let navigation = wants_html(req.headers());
        // A `HEAD` that is not a navigation (`curl -I`) has no body to put the runtime in:
        // its headers, `Content-Length` included, are the inner service's.
        if is_fetched(req.headers()) || (req.method() == Method::HEAD && !navigation) {
            return next.run(req).await;
        }
        if navigation {
            outgoing::ask_plainly(&mut req);
        }
        // Before the document is made: an update published from here on reaches the page.
        let since = app.hub.last_seq();
        let response = next.run(req).await;
        inject(app, response, asked, since).await
    })
}

/// Whether a page's script asks (`fetch`, XHR: `Sec-Fetch-Dest: empty`): its answer is data
/// for the page, an HTML fragment at most, never a document to put the runtime in. The
/// runtime's own refresh is the exception.
fn is_fetched(headers: &HeaderMap) -> bool {
    !headers.contains_key(document::REFRESH)
        && headers
            .get("sec-fetch-dest")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"empty"))
}

/// Whether a request may be answered with a document: a navigation, or the runtime fetching
/// its page again to morph it.
pub fn wants_html(headers: &HeaderMap) -> bool {
    headers.contains_key(document::REFRESH)
        || headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
}

async fn inject(app: Arc<App>, response: Response, asked: Asked, since: u64) -> Response {
    // A slice of a document (`206`, for a `Range` that was not a navigation's) is no place
    // for the runtime either.
    let html = outgoing::has_body(response.status())
        && response.status() != StatusCode::PARTIAL_CONTENT
        && outgoing::content_type(response.headers()).as_deref() == Some("text/html");
    if !html {
        return response;
    }
    let entry = match response.extensions().get::<Entry>() {
        Some(Entry(entry)) => entry.clone(),
        None => Some(SitePath::document_at(&asked.path)),
    };
    if let Some(reads) = response.extensions().get::<TemplateReads>().cloned() {
        note_reads(&app, &asked.path, reads);
        // Rendered by hotplate::Templates: its failure is an open problem of this URL until a
        // render here succeeds.
        let source = format!("render {}", asked.path);
        match response.extensions().get::<RenderFailed>() {
            Some(RenderFailed(report)) => app.problems.report(&app.hub, &source, report.clone()),
            None => {
                app.problems.resolve(&app.hub, &source);
            }
        }
    }
    // A document of unknown length (streamed as it is made) goes out as it comes in.
    let known_length = response.body().size_hint().exact().is_some()
        || response.headers().contains_key(header::CONTENT_LENGTH);
    let encoding = response
        .headers()
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("?").to_string());
    if !known_length && encoding.as_deref().is_none_or(decode::is_known) {
        return stream(app, response, asked, since, entry, encoding);
    }
    let (parts, body) = match outgoing::read(response, &asked.path).await {
        Ok(read) => read,
        Err(untouched) => return untouched,
    };
    let route = asked.path.clone();
    let host = asked.clone();
    let (parts, rewritten) = crate::pool::run(move || {
        let mut parts = parts;
        let policy = policy_for(&mut parts, mentions_policy(&body), &host);
        let shown = document::Shown {
            since,
            repeatable: host.readable(),
        };
        let html = document::inject(&app, &route, entry.as_ref(), &body, shown, policy.as_ref());
        (parts, outgoing::Rewritten::new(html))
    })
    .await;
    outgoing::answer(parts, rewritten, &asked)
}

/// Records the templates a document's render read ([`TemplateReads`]) for its URL.
fn note_reads(app: &App, route: &str, TemplateReads(files): TemplateReads) {
    let root = &app.settings.root;
    let files = files
        .iter()
        .filter_map(|file| file.strip_prefix(root).ok())
        .map(|file| SitePath::new(&file.to_string_lossy().replace('\\', "/")))
        .collect();
    app.inbox.record(Record::Render {
        route: route.to_string(),
        reads: crate::base::Reads {
            files,
            folders: BTreeSet::new(),
        },
    });
}

/// A document whose length is not known (a backend that streams its render): rewritten by
/// lol_html chunk by chunk on a pool thread, and sent on as it goes; compressed (`encoding`),
/// it is decoded as it arrives and sent plain. Under a policy header the runtime's tags carry
/// its nonce; `<meta>` policies are amended with it as they pass.
fn stream(
    app: Arc<App>,
    response: Response,
    asked: Asked,
    since: u64,
    entry: Option<SitePath>,
    encoding: Option<String>,
) -> Response {
    let (mut parts, mut body) = response.into_parts();
    // A `<meta>` policy may be anywhere ahead: the tags carry a nonce in any case.
    let policy = policy_for(&mut parts, true, &asked);
    for name in [
        header::CONTENT_LENGTH,
        header::CONTENT_ENCODING,
        header::ETAG,
        header::LAST_MODIFIED,
        header::ACCEPT_RANGES,
    ] {
        parts.headers.remove(name);
    }
    parts.headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(super::cache::REVALIDATE),
    );
    let (chunks, arriving) = std::sync::mpsc::channel::<Bytes>();
    let (leaving, out) = tokio::sync::mpsc::channel::<Bytes>(64);
    tokio::spawn(async move {
        while let Some(Ok(frame)) = body.frame().await {
            if let Ok(data) = frame.into_data()
                && chunks.send(data).is_err()
            {
                break;
            }
        }
    });
    tokio::spawn(crate::pool::run(move || {
        let shown = document::Shown {
            since,
            repeatable: asked.readable(),
        };
        let tag = document::runtime_tag(&app, entry.as_ref(), shown, policy.as_ref());
        let amend = |meta: &str| {
            policy
                .as_ref()
                .map_or(meta.to_string(), |p| p.amend(meta).policy)
        };
        let sink = |chunk: &[u8]| {
            let _ = leaving.blocking_send(Bytes::copy_from_slice(chunk));
        };
        let rewritten = match encoding
            .as_deref()
            .and_then(|e| decode::reader(e, Arrived::new(&arriving)))
        {
            Some(mut decoded) => {
                // What the decoder gives as it reads, a window at a time.
                let decoded = std::iter::from_fn(move || {
                    let mut window = vec![0u8; 16 << 10];
                    match decoded.read(&mut window) {
                        Ok(0) => None,
                        Ok(n) => {
                            window.truncate(n);
                            Some(window)
                        }
                        Err(err) => {
                            tracing::warn!("could not decode a streamed document: {err}");
                            None
                        }
                    }
                });
                html::rewrite_stream(decoded, &tag, Some(&amend), sink)
            }
            None => html::rewrite_stream(arriving.iter(), &tag, Some(&amend), sink),
        };
        match rewritten {
            Ok(loads) => {
                document::record_document(&app, &asked.path, entry.as_ref(), &loads.references);
                app.note_import_map(&loads.import_map);
            }
            Err(err) => tracing::warn!("could not rewrite {}: {err}", asked.path),
        }
    }));
    let frames = ReceiverStream::new(out).map(|data| Ok::<_, Infallible>(Frame::data(data)));
    Response::from_parts(parts, Body::new(StreamBody::new(frames)))
}

/// The chunks of a streamed body as one `Read`, blocking until the next one arrives.
struct Arrived<'a> {
    chunks: &'a std::sync::mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl<'a> Arrived<'a> {
    fn new(chunks: &'a std::sync::mpsc::Receiver<Bytes>) -> Arrived<'a> {
        Arrived {
            chunks,
            current: Bytes::new(),
        }
    }
}

impl std::io::Read for Arrived<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.recv() {
                Ok(chunk) => self.current = chunk,
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.current.len());
        out[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// Whether a document may hold a `<meta>` Content-Security-Policy.
fn mentions_policy(body: &str) -> bool {
    body.as_bytes()
        .windows(POLICY_NAME.len())
        .any(|w| w.eq_ignore_ascii_case(POLICY_NAME.as_bytes()))
}

/// The document's Content-Security-Policy, if it has one (headers, or a `<meta>`, which
/// `meta` says the body may hold), amended in `parts` for the runtime: how the runtime gets in.
fn policy_for(parts: &mut Parts, meta: bool, asked: &Asked) -> Option<Policy> {
    let headers: Vec<String> = parts
        .headers
        .get_all(header::CONTENT_SECURITY_POLICY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_string)
        .collect();
    if headers.is_empty() && !meta {
        return None;
    }
    let host = asked.host.as_deref().unwrap_or("localhost");
    let mut policy = Policy {
        runtime: format!("http://{host}{}", runtime::PREFIX),
        page: format!("http://{host}{}", asked.path),
        nonce: format!("{:032x}", fastrand::u128(..)),
    };
    // The page's own nonce, when a policy has one, is the one the runtime's tags carry.
    if let Some(nonce) = headers
        .iter()
        .filter_map(|h| policy.amend(h).nonce)
        .find(|nonce| *nonce != policy.nonce)
    {
        policy.nonce = nonce;
    }
    parts.headers.remove(header::CONTENT_SECURITY_POLICY);
    for value in &headers {
        if let Ok(amended) = HeaderValue::from_str(&policy.amend(value).policy) {
            parts
                .headers
                .append(header::CONTENT_SECURITY_POLICY, amended);
        }
    }
    Some(policy)
}

const POLICY_NAME: &str = "content-security-policy";
