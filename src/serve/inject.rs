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

use super::Pages;
use super::decode;
use super::document::{self, Policy};
use super::extensions::{Entry, RenderFailed, RenderStamp, TemplateReads};
use super::outgoing::{self, Asked};
use super::runtime;
use crate::base::SitePath;
use crate::graph::Record;
use crate::rewrite::html;
use crate::served::Asker;
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
use std::sync::Arc;
use tokio_stream::wrappers::ReceiverStream;
use tower::ServiceExt;

/// The inject layer, around any service.
pub fn layer(pages: Arc<Pages>) -> outgoing::PieceLayer<Pages> {
    axum::middleware::from_fn_with_state(pages, around as outgoing::Piece<Pages>)
}

fn around(
    State(pages): State<Arc<Pages>>,
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
        let since = pages.live.hub.last_seq();
        // A backend's or an app's page is kept with how it was asked for, to ask again after a
        // save ([`crate::served`]).
        // Only a document can be asked for again: no work for the scripts, images and data
        // that are most of the requests.
        let asker =
            (navigation && !pages.settings.mounts.is_empty() && req.method() == Method::GET)
                .then(|| asker(&pages, &asked.path, &req, &next));
        let response = next.run(req).await;
        inject(pages, response, asked, since, asker).await
    })
}

/// How to ask `next` again for the page `req` asks for at `route`: what it says of its render
/// is noted as when a tab asks.
fn asker(pages: &Arc<Pages>, route: &str, req: &Request, next: &Next) -> Asker {
    let (pages, route) = (pages.clone(), route.to_string());
    let noted = next.clone().map_response(move |response| {
        note_render(&pages, &route, &response);
        response
    });
    Asker::of(req, noted)
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

async fn inject(
    pages: Arc<Pages>,
    response: Response,
    asked: Asked,
    since: u64,
    asker: Option<Asker>,
) -> Response {
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
    let render = response
        .extensions()
        .get::<RenderStamp>()
        .map(|stamp| stamp.0.clone());
    note_render(&pages, &asked.path, &response);
    // A document of unknown length (streamed as it is made) goes out as it comes in.
    let known_length = response.body().size_hint().exact().is_some()
        || response.headers().contains_key(header::CONTENT_LENGTH);
    let encoding = response
        .headers()
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("?").to_string());
    if !known_length && encoding.as_deref().is_none_or(decode::streams) {
        return stream(pages, response, asked, since, entry, encoding);
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
        // A backend's or an app's document: what it made is fingerprinted, so that a refresh
        // can tell whether it brought anything new. (The site's own pages are checked by the
        // pipeline before any page refreshes.)
        let source = (!pages.settings.mounts.is_empty()).then(|| html::fingerprint(&body));
        if let Some(value) = source
            .as_deref()
            .and_then(|s| HeaderValue::from_str(s).ok())
        {
            parts.headers.insert(document::SOURCE, value);
        }
        // A backend's or an app's page: what a patch after the next save starts from.
        if let (Some(asker), Some(stamp)) = (asker, &source)
            && parts.status == axum::http::StatusCode::OK
        {
            let url = match &host.query {
                Some(query) => format!("{}?{query}", host.path),
                None => host.path.clone(),
            };
            pages.live.served.note(&url, &body, stamp, asker);
        }
        let shown = document::Shown {
            since,
            repeatable: host.readable(),
            render: render.or_else(|| source.clone()),
            source,
        };
        let html = document::inject(
            &pages,
            &route,
            entry.as_ref(),
            &body,
            shown,
            policy.as_ref(),
        );
        (parts, outgoing::Rewritten::new(html))
    })
    .await;
    outgoing::answer(parts, rewritten, &asked)
}

/// Records the templates a document's render read ([`TemplateReads`]) for its URL.
/// What a response rendered with [`crate::layer::Templates`] says of its render: the templates
/// it read go to the graph, and its failure is an open problem of this URL until a render here
/// succeeds.
fn note_render(pages: &Pages, route: &str, response: &Response) {
    let Some(reads) = response.extensions().get::<TemplateReads>().cloned() else {
        return;
    };
    note_reads(pages, route, reads);
    let source = format!("render {route}");
    match response.extensions().get::<RenderFailed>() {
        Some(RenderFailed(report)) => {
            pages
                .live
                .problems
                .report(&pages.live.hub, &source, report.clone())
        }
        None => {
            pages.live.problems.resolve(&pages.live.hub, &source);
        }
    }
}

fn note_reads(pages: &Pages, route: &str, TemplateReads(files): TemplateReads) {
    let root = &pages.settings.root;
    let files = files
        .iter()
        .filter_map(|file| file.strip_prefix(root).ok())
        .map(|file| SitePath::new(&file.to_string_lossy().replace('\\', "/")))
        .collect();
    pages.live.inbox.record(Record::Render {
        route: route.to_string(),
        reads: crate::base::Reads {
            files,
            folders: BTreeSet::new(),
        },
    });
}

/// How much of a streamed document is rewritten in one pool job.
const PIECE: usize = 64 << 10;

/// How much of a compressed streamed document is decoded and rewritten in one pool job: each
/// piece may decode to far more ([`decode::PIECE_LIMIT`] at most).
const COMPRESSED_PIECE: usize = 4 << 10;

/// How many rewritten pieces may wait for a slow browser. Past them hotplate stops reading the
/// backend until the browser takes more, so a slow reader holds the backend back instead of
/// filling hotplate's memory.
const IN_FLIGHT: usize = 4;

/// A document whose length is not known (a backend that streams its render): rewritten piece
/// by piece as it arrives, and sent on as it goes; compressed (`encoding`), it is decoded as it
/// arrives and sent plain. Under a policy header the runtime's tags carry its nonce; `<meta>`
/// policies are amended with it as they pass.
///
/// Each piece is one job on the pool, so a document that waits for its backend holds no
/// thread. What goes out waits in a channel of [`IN_FLIGHT`] pieces, so the backend is read
/// only as fast as the browser reads. When the browser goes, the backend's body is dropped,
/// which closes that connection.
fn stream(
    pages: Arc<Pages>,
    response: Response,
    asked: Asked,
    since: u64,
    entry: Option<SitePath>,
    encoding: Option<String>,
) -> Response {
    let (mut parts, body) = response.into_parts();
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
    let (leaving, out) = tokio::sync::mpsc::channel::<Bytes>(IN_FLIGHT);
    let streamed = Streamed {
        pages,
        asked,
        entry,
        decoder: encoding.as_deref().and_then(decode::Decoder::new),
        rewriter: None,
        warned: false,
    };
    tokio::spawn(streamed.pump(body, leaving, since, policy));
    let frames = ReceiverStream::new(out).map(|data| Ok::<_, Infallible>(Frame::data(data)));
    Response::from_parts(parts, Body::new(StreamBody::new(frames)))
}

/// A streamed document on its way through (see [`stream`]): carried from one pool job to the
/// next.
struct Streamed {
    pages: Arc<Pages>,
    asked: Asked,
    entry: Option<SitePath>,
    decoder: Option<decode::Decoder>,
    /// Made in the first job (the runtime's tag reads the graph).
    rewriter: Option<html::Rewriter>,
    /// Whether the log said that the rewriter gave up.
    warned: bool,
}

impl Streamed {
    /// Reads the backend's body as the browser takes the rewritten document.
    async fn pump(
        mut self,
        mut body: Body,
        leaving: tokio::sync::mpsc::Sender<Bytes>,
        since: u64,
        policy: Option<Policy>,
    ) {
        self = crate::pool::run(move || {
            self.start(since, policy);
            self
        })
        .await;
        let piece = if self.decoder.is_some() {
            COMPRESSED_PIECE
        } else {
            PIECE
        };
        loop {
            let frame = tokio::select! {
                frame = body.frame() => frame,
                // The browser went: dropping the body closes the backend's connection.
                () = leaving.closed() => return,
            };
            let mut data = match frame {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => data,
                    Err(_trailers) => continue,
                },
                Some(Err(err)) => {
                    tracing::debug!("{} ended early: {err}", self.asked.path);
                    break;
                }
                None => break,
            };
            while !data.is_empty() {
                let next = data.split_to(piece.min(data.len()));
                let (back, out) = crate::pool::run(move || {
                    let out = self.feed(&next);
                    (self, out)
                })
                .await;
                self = back;
                let Some(out) = out else { return };
                if !out.is_empty() && leaving.send(Bytes::from(out)).await.is_err() {
                    return;
                }
            }
        }
        let out = crate::pool::run(move || self.finish()).await;
        if !out.is_empty() {
            let _ = leaving.send(Bytes::from(out)).await;
        }
    }

    fn start(&mut self, since: u64, policy: Option<Policy>) {
        // A streamed document is not read whole before it goes out: no fingerprint.
        let shown = document::Shown {
            since,
            repeatable: self.asked.readable(),
            source: None,
            render: None,
        };
        let tag = document::runtime_tag(&self.pages, self.entry.as_ref(), shown, policy.as_ref());
        let amend = policy.map(|p| Box::new(move |meta: &str| p.amend(meta).policy) as html::Amend);
        let inline = document::inline_modules(&self.pages, self.entry.as_ref());
        self.rewriter = Some(html::Rewriter::new(Some(tag), amend, true, Some(inline)));
    }

    /// Decodes and rewrites the next piece; `None` when the body cannot go on (it does not
    /// decode).
    fn feed(&mut self, piece: &[u8]) -> Option<Vec<u8>> {
        let decoded;
        let input = match &mut self.decoder {
            Some(decoder) => match decoder.feed(piece) {
                Ok(out) => {
                    decoded = out;
                    &decoded[..]
                }
                Err(err) => {
                    tracing::warn!("could not decode {} as it streamed: {err}", self.asked.path);
                    return None;
                }
            },
            None => piece,
        };
        let rewriter = self.rewriter.as_mut().expect("started");
        let out = rewriter.write(input);
        let gave_up = rewriter.gave_up().map(str::to_string);
        self.warn_once(gave_up.as_deref());
        Some(out)
    }

    /// Logs, once, that the rewriter gave up on this document (`why`), naming its URL.
    fn warn_once(&mut self, why: Option<&str>) {
        if let (false, Some(why)) = (self.warned, why) {
            tracing::warn!("{}: {why}", self.asked.path);
            self.warned = true;
        }
    }

    /// The end of the body: the rest of the document, and what it loads goes to the graph.
    fn finish(mut self) -> Vec<u8> {
        let mut out = Vec::new();
        if let Some(decoder) = self.decoder.take() {
            match decoder.finish() {
                Ok(rest) => out = rest,
                Err(err) => {
                    tracing::warn!("could not decode the end of {}: {err}", self.asked.path)
                }
            }
        }
        let mut rewriter = self.rewriter.take().expect("started");
        let mut html = rewriter.write(&out);
        let ended = rewriter.end();
        html.extend_from_slice(&ended.html);
        self.warn_once(ended.gave_up.as_deref());
        document::record_document(
            &self.pages,
            &self.asked.path,
            self.entry.as_ref(),
            &ended.loads.references,
        );
        self.pages.modules.note_import_map(&ended.loads.import_map);
        html
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
