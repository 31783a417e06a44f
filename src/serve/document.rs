//! HTML documents: rendered pages, static `.html` files, error and 404 pages.
//!
//! Every document goes the same way out:
//! 1. render it (a page) or read it (a static file);
//! 2. rewrite it: in dev, inject the client runtime and collect its stylesheet links;
//! 3. record in the graph that this route showed this entry, which links those files;
//! 4. answer with an ETag over the body, so an unchanged document revalidates to 304.

use super::{cache, route, runtime};
use crate::app::App;
use crate::base::{ErrorReport, SitePath};
use crate::graph::Import;
use crate::render::PageContext;
use crate::rewrite::html;
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hasher};
use std::path::Path;

/// Renders the page template `template` for this request.
pub fn page(
    app: &App,
    req: &Parts,
    template: &SitePath,
    params: BTreeMap<String, String>,
    status: StatusCode,
) -> Response {
    let route = req.uri.path();
    let context = PageContext {
        path: route.to_string(),
        params,
    };
    match app.renderer.render(template, &context) {
        Ok(body) => finish(app, req, Some(template), status, &body),
        Err(err) => {
            tracing::error!("{}", describe(&err.report));
            // Remember the route, so that fixing the template updates the error page too.
            if app.settings.is_dev() {
                app.graph().record_document(route, template, Vec::new());
            }
            let body = error_page(&err.report);
            finish(app, req, None, StatusCode::INTERNAL_SERVER_ERROR, &body)
        }
    }
}

/// Serves a static `.html` file with the runtime injected.
pub async fn static_html(app: &App, req: &Parts, file: &Path, site: &SitePath) -> Response {
    match tokio::fs::read(file).await {
        Ok(bytes) => finish(
            app,
            req,
            Some(site),
            StatusCode::OK,
            &String::from_utf8_lossy(&bytes),
        ),
        Err(_) => plain_not_found(app, req.uri.path()),
    }
}

/// The answer for a URL nothing serves: `pages/404.html` when the site has one.
pub fn not_found(app: &App, req: &Parts) -> Response {
    let template = SitePath::new("pages/404.html");
    if app.settings.root.join(template.as_str()).is_file() {
        return page(app, req, &template, BTreeMap::new(), StatusCode::NOT_FOUND);
    }
    plain_not_found(app, req.uri.path())
}

/// hotplate's own 404 page.
pub fn plain_not_found(app: &App, url_path: &str) -> Response {
    let body = format!(
        "<!doctype html><html><head><meta charset=utf-8><title>Not found</title></head><body><h1>404 Not found</h1><p>Nothing in this site answers <code>{}</code>. Add <code>pages/404.html</code> to show your own page here.</p></body></html>",
        escape(url_path)
    );
    let tag = app
        .settings
        .is_dev()
        .then(|| runtime::tag(&app.settings.boot));
    respond(
        StatusCode::NOT_FOUND,
        &Method::GET,
        None,
        html::rewrite(&body, tag.as_deref()).html,
        cache::REVALIDATE,
    )
}

/// One line for the terminal.
pub fn describe(report: &ErrorReport) -> String {
    match (&report.file, report.line) {
        (Some(file), Some(line)) => format!("{file}:{line}: {}", report.message),
        (Some(file), None) => format!("{file}: {}", report.message),
        _ => report.message.clone(),
    }
}

fn finish(
    app: &App,
    req: &Parts,
    entry: Option<&SitePath>,
    status: StatusCode,
    body: &str,
) -> Response {
    let dev = app.settings.is_dev();
    let tag = dev.then(|| runtime::tag(&app.settings.boot));
    let rewritten = html::rewrite(body, tag.as_deref());
    let route = req.uri.path();
    if let (true, Some(entry)) = (dev, entry) {
        let imports = rewritten
            .stylesheets
            .iter()
            .filter_map(|href| import(&app.settings.root, route, href))
            .collect();
        app.graph().record_document(route, entry, imports);
    }
    let control = cache::control(&app.settings, req.uri.query());
    let control = control.to_str().unwrap_or(cache::REVALIDATE);
    let if_none_match = req.headers.get(header::IF_NONE_MATCH);
    respond(status, &req.method, if_none_match, rewritten.html, control)
}

fn respond(
    status: StatusCode,
    method: &Method,
    if_none_match: Option<&HeaderValue>,
    body: String,
    control: &str,
) -> Response {
    let mut hasher = DefaultHasher::new();
    hasher.write(body.as_bytes());
    let etag = format!("\"{:016x}\"", hasher.finish());
    let fresh = status == StatusCode::OK
        && if_none_match
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(',')
                    .any(|t| t.trim().trim_start_matches("W/") == etag || t.trim() == "*")
            });
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
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, control)
        .header(header::ETAG, etag);
    if !fresh {
        builder = builder.header(header::CONTENT_LENGTH, length);
    }
    builder.body(body).expect("a valid response")
}

/// The file a stylesheet `href` in the document at `route` leads to, if it is one of ours.
fn import(root: &Path, route: &str, href: &str) -> Option<Import> {
    if href.contains("://") || href.starts_with("//") || href.starts_with("data:") {
        return None;
    }
    let href = href.split(['?', '#']).next().unwrap_or("");
    let joined = if href.starts_with('/') {
        href.to_string()
    } else {
        let base = &route[..route.rfind('/').map_or(0, |i| i + 1)];
        format!("{base}{href}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    let url = format!("/{}", parts.join("/"));
    match route::resolve(root, &url).ok()? {
        route::Target::File { site, .. } => Some(Import { file: site, url }),
        _ => None,
    }
}

/// The page shown in place of a template that failed to render.
fn error_page(report: &ErrorReport) -> String {
    let location = match (&report.file, report.line, report.column) {
        (Some(f), Some(l), Some(c)) => format!("{f}:{l}:{c}"),
        (Some(f), Some(l), None) => format!("{f}:{l}"),
        (Some(f), None, _) => f.clone(),
        _ => String::new(),
    };
    format!(
        r#"<!doctype html><html><head><meta charset=utf-8><title>Template error</title>
<style>body{{font:14px/1.5 ui-monospace,monospace;margin:2rem;color:#222}}h1{{color:#b00020;font-size:1.2rem}}pre{{background:#f6f6f6;padding:1rem;overflow:auto}}</style>
</head><body><h1 id="hotplate-error-message">{}</h1><p id="hotplate-error-file">{}</p><pre>{}</pre>
<p>Fix the file and save: this page updates by itself.</p></body></html>"#,
        escape(&report.message),
        escape(&location),
        escape(&report.frame)
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stylesheet_hrefs_resolve_against_the_route() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir_all(root.join("docs")).unwrap();
        std::fs::create_dir_all(root.join("public")).unwrap();
        std::fs::write(root.join("docs/a.css"), "").unwrap();
        std::fs::write(root.join("public/main.css"), "").unwrap();
        let a = import(&root, "/docs/", "a.css?v=1").unwrap();
        assert_eq!(
            (a.file.as_str(), a.url.as_str()),
            ("docs/a.css", "/docs/a.css")
        );
        let main = import(&root, "/docs/page", "../main.css#x").unwrap();
        assert_eq!(
            (main.file.as_str(), main.url.as_str()),
            ("public/main.css", "/main.css")
        );
        assert!(import(&root, "/", "https://cdn.example/x.css").is_none());
        assert!(import(&root, "/", "/missing.css").is_none());
    }

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
