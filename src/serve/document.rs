//! HTML documents: rendered pages, static `.html` files, error and 404 pages.
//!
//! Every document goes the same way out:
//! 1. render it (a page) or read it (a static file);
//! 2. rewrite it: in dev, inject the client runtime (with `modulepreload`s for the modules its
//!    scripts imported last time), write the bare imports of its inline modules as URLs, and
//!    collect what it loads;
//! 3. record in the graph that this route showed this entry, which loads those files, and (for
//!    a page) what its render read;
//! 4. answer with an ETag over the body, so an unchanged document revalidates to 304.

use super::Pages;
use super::cache;
use super::extensions::{Entry, RenderStamp};
use crate::base::{ErrorReport, SitePath};
use crate::graph::Record;
use crate::protocol;
use crate::rewrite::{csp, html, js};
use crate::settings::Settings;
use crate::site::render::{self, RenderError};
use crate::site::route;
use crate::watch;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

const HTML: &str = "text/html; charset=utf-8";

/// The request header of a hot refresh: the runtime fetching its own page again to morph it
/// after an `html` update. It is answered with the render the pipeline just checked.
pub use crate::protocol::REFRESH_HEADER as REFRESH;

/// The response header, and the `<meta>` name in a document, that carry the fingerprint of a
/// backend's or an app's document as it made it ([`crate::rewrite::html::fingerprint`]): a
/// refresh that brings the fingerprint the page shows brought nothing new (a backend that
/// caches its templates until its own reloader looks), and the runtime asks again.
pub use crate::protocol::{SOURCE_HEADER as SOURCE, SOURCE_META};

/// The most modules a document preloads.
const PRELOADS: usize = 200;

/// Renders the page template `template` for this request.
pub fn page(
    pages: &Pages,
    req: &Parts,
    template: &SitePath,
    params: BTreeMap<String, String>,
    status: StatusCode,
) -> Response {
    let route = req.uri.path();
    let dev = pages.settings.is_dev();
    if dev
        && req.headers.contains_key(REFRESH)
        && let Some((stamp, body)) = pages.site.pages.get(route)
    {
        return finish(pages, req, Some(template), status, &body, Some(stamp));
    }
    match render(pages, route, template, params) {
        Ok(rendered) => finish(
            pages,
            req,
            Some(template),
            status,
            &rendered.html,
            dev.then_some(rendered.stamp),
        ),
        Err(err) => {
            // Remember the route, so that fixing the template updates the error page too.
            if dev {
                pages.live.inbox.record(Record::Document {
                    route: route.to_string(),
                    entry: template.clone(),
                    imports: Vec::new(),
                    missing: Default::default(),
                });
            }
            let body = error_page(&err.report);
            finish(
                pages,
                req,
                None,
                StatusCode::INTERNAL_SERVER_ERROR,
                &body,
                None,
            )
        }
    }
}

/// Renders the page template `template` at `route` for a request (`render::render_route`);
/// in dev, what it read goes to the pipeline for the graph.
pub fn render(
    pages: &Pages,
    route: &str,
    template: &SitePath,
    params: BTreeMap<String, String>,
) -> Result<render::Rendered, RenderError> {
    let dev = pages.settings.is_dev();
    let (result, reads) = render::render_route(
        &pages.site.renderer,
        &pages.site.pages,
        dev,
        route,
        template,
        params,
        false,
    );
    if dev {
        pages.live.inbox.record(Record::Render {
            route: route.to_string(),
            reads,
        });
    }
    result
}

/// Serves a static `.html` file. A file found empty is read again
/// for a moment first ([`watch::read_settled`]): a reload can land between an editor's
/// truncate and its write.
pub fn static_html(pages: &Pages, req: &Parts, file: &Path, site: &SitePath) -> Response {
    match watch::read_settled(file, Instant::now() + watch::EMPTY_PATIENCE) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => finish(pages, req, Some(site), StatusCode::OK, &text, None),
            // In another encoding (Latin-1, Shift JIS), read as UTF-8 it would lose its
            // characters: it goes out byte for byte, and the inject layer leaves it so.
            Err(err) => {
                let mut response = Response::new(axum::body::Body::from(err.into_bytes()));
                let headers = response.headers_mut();
                headers.insert(
                    axum::http::header::CONTENT_TYPE,
                    axum::http::HeaderValue::from_static("text/html"),
                );
                headers.insert(
                    axum::http::header::CACHE_CONTROL,
                    axum::http::HeaderValue::from_static(cache::REVALIDATE),
                );
                response.extensions_mut().insert(Entry(None));
                response
            }
        },
        Err(_) => plain_not_found(&pages.settings, req.uri.path()),
    }
}

/// The answer for a URL nothing serves: `pages/404.html` when the site has one.
pub fn not_found(pages: &Pages, req: &Parts) -> Response {
    if let Some(template) = route::not_found_page(&pages.settings.root) {
        return page(
            pages,
            req,
            &template,
            BTreeMap::new(),
            StatusCode::NOT_FOUND,
        );
    }
    plain_not_found(&pages.settings, req.uri.path())
}

/// The page for any request while the site folder is gone: `503`, and (in dev) the runtime,
/// so the page reloads when the folder comes back (the watcher arms it again and reloads every
/// page).
pub fn root_gone(settings: &Settings) -> Response {
    let root = escape(&settings.root.display().to_string());
    let then = if settings.is_dev() {
        "Put it back and this page comes back by itself: hotplate is waiting for it."
    } else {
        "Put it back and reload this page."
    };
    let body = format!(
        "<!doctype html><html><head><meta charset=utf-8><title>The site folder is gone</title></head><body><h1>The site folder is gone</h1><p id=\"hotplate-root-gone\">hotplate serves <code>{root}</code>, which is not there any more (moved away, renamed or deleted).</p><p>{then}</p></body></html>"
    );
    let mut response = cache::validated(
        StatusCode::SERVICE_UNAVAILABLE,
        &Method::GET,
        None,
        HTML,
        body,
        cache::REVALIDATE,
    );
    response.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from_static("1"),
    );
    if settings.is_dev() {
        response.extensions_mut().insert(Entry(None));
    }
    response
}

/// hotplate's own 404 page.
pub fn plain_not_found(settings: &Settings, url_path: &str) -> Response {
    let body = format!(
        "<!doctype html><html><head><meta charset=utf-8><title>Not found</title></head><body><h1>404 Not found</h1><p>Nothing in this site answers <code>{}</code>. Add <code>pages/404.html</code> to show your own page here.</p></body></html>",
        escape(url_path)
    );
    let mut response = cache::validated(
        StatusCode::NOT_FOUND,
        &Method::GET,
        None,
        HTML,
        body,
        cache::REVALIDATE,
    );
    if settings.is_dev() {
        response.extensions_mut().insert(Entry(None));
    }
    response
}

/// Answers with a document as it was made. In dev it goes out through the inject layer
/// ([`super::inject`]), which puts the runtime in (with the render's `stamp`, for a page) and
/// records `entry`'s imports.
fn finish(
    pages: &Pages,
    req: &Parts,
    entry: Option<&SitePath>,
    status: StatusCode,
    body: &str,
    stamp: Option<String>,
) -> Response {
    let mut response = cache::respond(&pages.settings, req, status, HTML, body.to_string());
    if pages.settings.is_dev() {
        response.extensions_mut().insert(Entry(entry.cloned()));
        if let Some(stamp) = stamp {
            response.extensions_mut().insert(RenderStamp(stamp));
        }
    }
    response
}

/// A document on its way out in dev, whoever made it: the client runtime goes in (resuming
/// from hub message `since`, with `modulepreload`s for what `entry`'s scripts imported last
/// time), and what it loads goes to the graph as `entry`'s imports, shown at `route`. Without
/// an entry (an error page) nothing is recorded. Under a Content-Security-Policy (`policy`),
/// the runtime's tags carry its nonce and the document's own `<meta>` policies are amended.
pub fn inject(
    pages: &Pages,
    route: &str,
    entry: Option<&SitePath>,
    body: &str,
    shown: Shown,
    policy: Option<&Policy>,
) -> String {
    let tag = runtime_tag(pages, entry, shown, policy);
    let amend = policy
        .cloned()
        .map(|p| Box::new(move |meta: &str| p.amend(meta).policy) as html::Amend);
    let inline = inline_modules(pages, entry);
    let rewritten = html::rewrite_with_policy(body, Some(&tag), amend, Some(inline));
    if let Some(why) = &rewritten.gave_up {
        tracing::warn!("{route}: {why}");
    }
    record_document(pages, route, entry, &rewritten.references);
    pages.modules.note_import_map(&rewritten.import_map);
    rewritten.html
}

/// What rewrites a document's inline `<script type=module>`s: their bare imports (`preact`)
/// written as the URLs that serve them, resolved from the document's file (`entry`) as a
/// served module's are; what the page's import map maps, and paths, are left as they are.
pub fn inline_modules(pages: &Pages, entry: Option<&SitePath>) -> html::InlineModules {
    let scripts = pages.scripts.clone();
    let importer = pages
        .settings
        .root
        .join(entry.map_or("index.html", SitePath::as_str));
    Arc::new(move |source: &str, import_map: &[String]| {
        let mapped = |text: &str| {
            import_map
                .iter()
                .any(|key| key == text || (key.ends_with('/') && text.starts_with(key.as_str())))
        };
        let bare = |text: &str| {
            !js::names_a_path(text)
                && !text.contains(':')
                && !mapped(text)
                && !scripts.modules.is_import_mapped(text)
        };
        if !source.contains("import") {
            return None;
        }
        let analysis = js::analyze(source).ok()?;
        if !analysis.specifiers.iter().any(|s| bare(&s.text)) {
            return None;
        }
        let resolved = super::specifiers::resolutions(&scripts, &importer, &analysis, bare);
        Some(js::rewrite(source, &analysis, None, |specifier, _| {
            resolved.get(specifier).cloned()
        }))
    })
}

/// What goes first into a document: the runtime (resuming from hub message `since`, carrying
/// the policy's nonce), React's Fast Refresh runtime in a React project, and `modulepreload`s for what `entry`'s scripts imported last time, so
/// the browser fetches it all at once instead of one import level after another.
pub fn runtime_tag(
    pages: &Pages,
    entry: Option<&SitePath>,
    shown: Shown,
    policy: Option<&Policy>,
) -> String {
    let nonce = policy.map(|p| p.nonce.as_str());
    let mut tag = protocol::tag_with_nonce(&pages.settings.boot, shown.since, nonce);
    if !shown.repeatable {
        // The answer to a form's POST: fetching the URL again would not show this page.
        tag.insert_str(
            0,
            &format!(r#"<meta name="{}" content="">"#, protocol::POSTED_META),
        );
    }
    if policy.is_some() {
        tag.push_str(&format!(
            r#"<meta name="{}" content="">"#,
            protocol::IMPORTS_BY_URL_META
        ));
    }
    if let Some(render) = &shown.render {
        tag.push_str(&format!(
            r#"<meta name="{}" content="{}">"#,
            protocol::RENDER_META,
            escape(render)
        ));
    }
    if let Some(source) = &shown.source {
        tag.insert_str(
            0,
            &format!(
                r#"<meta name="{SOURCE_META}" content="{}">"#,
                escape(source)
            ),
        );
    }
    let nonce_attribute = nonce
        .map(|n| format!(r#" nonce="{n}""#))
        .unwrap_or_default();
    if let Some(preamble) = pages.modules.refresh_preamble() {
        tag.push_str(&format!(
            r#"<script type="module"{nonce_attribute} src="{preamble}"></script>"#
        ));
    }
    if let Some(entry) = entry {
        for url in pages.live.graph().preloads(entry, PRELOADS) {
            tag.push_str(&format!(
                r#"<link rel="modulepreload"{nonce_attribute} href="{}">"#,
                escape(&url)
            ));
        }
    }
    tag
}

/// Sends the graph what the document `entry`, shown at `route`, loads (`references`, as
/// written). Without an entry (an error page) nothing is recorded.
pub fn record_document(
    pages: &Pages,
    route: &str,
    entry: Option<&SitePath>,
    references: &[String],
) {
    let Some(entry) = entry else { return };
    let named = route::name_all(
        &pages.settings,
        route,
        references.iter().map(String::as_str),
    );
    pages.live.inbox.record(Record::Document {
        route: route.to_string(),
        entry: entry.clone(),
        imports: named.imports(),
        missing: named.missing,
    });
}

/// How a document was asked for, as its runtime needs to know.
#[derive(Clone, Debug)]
pub struct Shown {
    /// The hub's newest message id before the document was made: the runtime resumes there.
    pub since: u64,
    /// Whether fetching the URL again shows the same page (a GET), or not (a form's POST: the
    /// page says why it does not refresh).
    pub repeatable: bool,
    /// The fingerprint of the document as its backend or app made it ([`SOURCE`]), when known.
    pub source: Option<String>,
    /// The stamp of the page's render ([`RenderStamp`]): a patch that starts from it applies.
    pub render: Option<String>,
}

/// How a document under a Content-Security-Policy lets the runtime in ([`csp`]).
#[derive(Clone, Debug)]
pub struct Policy {
    /// `http://host/__hotplate/`
    pub runtime: String,
    /// The document's own URL, without its query.
    pub page: String,
    /// The nonce the runtime's tags carry: the page's own, or one made for it.
    pub nonce: String,
}

impl Policy {
    pub fn amend(&self, policy: &str) -> csp::Amended {
        csp::amend(policy, &self.runtime, &self.page, &self.nonce)
    }
}

/// The page shown in place of a template that failed to render.
pub(crate) fn error_page(report: &ErrorReport) -> String {
    let location = match (&report.file, report.line, report.column) {
        (Some(f), Some(l), Some(c)) => format!("{f}:{l}:{c}"),
        (Some(f), Some(l), None) => format!("{f}:{l}"),
        (Some(f), None, _) => f.clone(),
        _ => String::new(),
    };
    format!(
        r#"<!doctype html><html><head><meta charset=utf-8><title>Template error</title>
<style>body{{font:14px/1.5 ui-monospace,monospace;margin:2rem;color:#222}}h1{{color:#b00020;font-size:1.2rem}}pre{{background:#f6f6f6;padding:1rem;overflow:auto}}</style>
</head><body><h1 id="{error_id}">{}</h1><p id="hotplate-error-file">{}</p><pre>{}</pre>
<p>Fix the file and save: this page updates by itself.</p></body></html>"#,
        escape(&report.message),
        escape(&location),
        escape(&report.frame),
        error_id = protocol::ERROR_MESSAGE_ID,
    )
}

pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_pages_escape_what_they_show() {
        let page = error_page(&ErrorReport {
            message: "bad <tag>".into(),
            file: Some("pages/a.html".into()),
            line: Some(3),
            column: None,
            frame: "> 3 | {{ <b> }}".into(),
        });
        assert!(page.contains("bad &lt;tag&gt;"));
        assert!(page.contains("pages/a.html:3"));
        assert!(!page.contains("<b>"));
    }
}
