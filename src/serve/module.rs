//! Scripts and stylesheets in dev mode: what the browser loads as modules, rewritten for hot
//! updates.
//!
//! 1. read the file;
//! 2. analyze it ([`crate::rewrite::js`] with oxc, [`crate::rewrite::css`] with cssparser) and
//!    resolve what it names to files of the site;
//! 3. record its edges (and, for a script, what it accepts) in the graph; modules it no longer
//!    imports are pruned, and the browsers are told;
//! 4. rewrite it: the `import.meta.hot` prologue, and `?t=` on the names of files a hot update
//!    made stale;
//! 5. answer with an ETag over the rewritten body.
//!
//! A script that does not parse is answered as it is (the browser reports it too) and shows
//! the overlay. An empty file is read again for up to 100 ms first: it is most likely being
//! saved (see `read`).

use super::{cache, files, runtime};
use crate::app::App;
use crate::base::{ErrorReport, SitePath};
use crate::graph::{Accepts, Graph, Import, Record};
use crate::rewrite::{css, js, with_timestamp};
use crate::route;
use crate::watch;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use std::path::Path;
use std::time::Instant;

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Serves the ES module `site` (at `file` on disk).
pub fn script(app: &App, req: &Parts, file: &Path, site: &SitePath) -> Response {
    let Some(source) = read(file) else {
        return files::gone(app, req.uri.path());
    };
    as_module(app, req, JAVASCRIPT, site, source)
}

/// A module as it is on disk, for the module layer ([`super::module_layer`]) to rewrite: it
/// says which file of the site it is.
fn as_module(
    app: &App,
    req: &Parts,
    content_type: &str,
    site: &SitePath,
    source: String,
) -> Response {
    let mut response = cache::respond(app, req, StatusCode::OK, content_type, source);
    response
        .extensions_mut()
        .insert(super::module_layer::Module {
            site: site.clone(),
            url: site.url(),
        });
    response
}

/// The ES module `site`, requested at `url` with `query`, as the browser gets it: with the
/// `import.meta.hot` prologue and `?t=` on stale imports. What it imports and accepts goes to
/// the graph. A module that does not parse comes back as it is, and shows the overlay.
pub fn rewrite_script(
    app: &App,
    url: &str,
    query: Option<&str>,
    site: &SitePath,
    source: String,
) -> String {
    let analysis = match app.scripts.analyze(site.as_str(), &source) {
        Ok(analysis) => analysis,
        Err(error) => {
            let report = error.report(site);
            tracing::warn!("{}", report.one_line());
            app.problems.report(&app.hub, site.as_str(), report);
            return source;
        }
    };
    app.problems.resolve(&app.hub, site.as_str());
    let named = route::name_all(
        &app.settings,
        url,
        analysis
            .specifiers
            .iter()
            .map(|s| s.text.as_str())
            .filter(|s| js::names_a_path(s)),
    );
    let accepts = Accepts {
        itself: analysis.accepts.itself,
        deps: analysis
            .accepts
            .deps
            .iter()
            .filter(|dep| js::names_a_path(dep))
            .filter_map(|dep| route::reference(&app.settings, url, dep).file())
            .map(|import| import.file)
            .collect(),
    };
    app.inbox.record(Record::Module {
        file: site.clone(),
        url: url.to_string(),
        imports: named.imports(),
        accepts,
        missing: named.missing.clone(),
        cache_busted: super::query_has(query, "t"),
    });
    let graph = app.graph();
    let prologue = js::prologue(&runtime::hot_url(&app.settings.boot), url);
    js::rewrite(&source, &analysis, Some(&prologue), |specifier| {
        stamped(&graph, named.files.get(specifier)?, specifier)
    })
}

/// Serves the stylesheet `site` (at `file` on disk).
pub fn style(app: &App, req: &Parts, file: &Path, site: &SitePath) -> Response {
    let Some(source) = read(file) else {
        return files::gone(app, req.uri.path());
    };
    as_module(app, req, CSS, site, source)
}

/// The stylesheet `site`, requested at `url`, as the browser gets it: `?t=` on the imports
/// and `url()`s a hot update made stale. What it names goes to the graph.
pub fn rewrite_style(app: &App, url: &str, site: &SitePath, source: &str) -> String {
    let (references, too_deep) = css::analyze_deep(source);
    if too_deep {
        let report = ErrorReport::about_file(
            site.as_str(),
            format!(
                "{site} nests more than {} blocks deep: hotplate follows its @import and url() \
                 only that far, and serves it as it is",
                css::MAX_NESTING
            ),
        );
        tracing::warn!("{}", report.message);
        app.problems.report(&app.hub, site.as_str(), report);
    } else {
        app.problems.resolve(&app.hub, site.as_str());
    }
    let named = route::name_all(
        &app.settings,
        url,
        references.iter().map(|r| r.url.as_str()),
    );
    app.inbox.record(Record::Module {
        file: site.clone(),
        url: url.to_string(),
        imports: named.imports(),
        accepts: Accepts::default(),
        missing: named.missing.clone(),
        cache_busted: false,
    });
    let graph = app.graph();
    css::rewrite(source, &references, |url| {
        stamped(&graph, named.files.get(url)?, url)
    })
}

/// The specifier with `?t=` when a hot update made its file stale; `None` to leave it be.
fn stamped(graph: &Graph, import: &Import, specifier: &str) -> Option<String> {
    let timestamp = graph.timestamp(&import.file);
    (timestamp > 0).then(|| with_timestamp(specifier, timestamp))
}

/// Reads a module. A request can land in the middle of a save (a re-import right after the
/// previous save's update), so an empty file is read again for a moment before it is believed
/// ([`crate::watch::read_settled`]): otherwise the browser would run, or style the page with,
/// nothing.
fn read(file: &Path) -> Option<String> {
    let bytes = watch::read_settled(file, Instant::now() + watch::EMPTY_PATIENCE).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}
