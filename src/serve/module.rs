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
//! the overlay.

use super::{cache, files, route, runtime};
use crate::app::App;
use crate::base::{Message, SitePath};
use crate::graph::{Accepts, Graph, Import};
use crate::pipeline;
use crate::rewrite::{css, js, with_timestamp};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use std::collections::BTreeMap;
use std::path::Path;

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Serves the ES module `site` (at `file` on disk).
pub async fn script(app: &App, req: &Parts, file: &Path, site: &SitePath) -> Response {
    let Some(source) = read(file).await else {
        return files::gone(app, req.uri.path());
    };
    let base = req.uri.path();
    let analysis = match app.scripts.analyze(site.as_str(), &source) {
        Ok(analysis) => analysis,
        Err(error) => {
            let report = pipeline::script_report(site, error);
            app.problems.report(&app.hub, site.as_str(), report);
            return cache::respond(app, req, StatusCode::OK, JAVASCRIPT, source);
        }
    };
    app.problems.resolve(&app.hub, site.as_str());
    let resolved: BTreeMap<&str, Import> = analysis
        .specifiers
        .iter()
        .filter(|s| js::names_a_path(&s.text))
        .filter_map(|s| {
            Some((
                s.text.as_str(),
                route::reference(&app.settings.root, base, &s.text)?,
            ))
        })
        .collect();
    let accepts = Accepts {
        itself: analysis.accepts.itself,
        deps: analysis
            .accepts
            .deps
            .iter()
            .filter(|dep| js::names_a_path(dep))
            .filter_map(|dep| route::reference(&app.settings.root, base, dep))
            .map(|import| import.file)
            .collect(),
    };
    let url = site.url();
    let body = {
        let mut graph = app.graph();
        let pruned = graph.record_module(site, &url, resolved.values().cloned().collect(), accepts);
        prune(app, pruned);
        if super::query_has(req.uri.query(), "t") {
            graph.record_cache_busted(site);
        }
        let prologue = js::prologue(&runtime::hot_url(&app.settings.boot), &url);
        js::rewrite(&source, &analysis, Some(&prologue), |specifier| {
            stamped(&graph, resolved.get(specifier)?, specifier)
        })
    };
    cache::respond(app, req, StatusCode::OK, JAVASCRIPT, body)
}

/// Serves the stylesheet `site` (at `file` on disk).
pub async fn style(app: &App, req: &Parts, file: &Path, site: &SitePath) -> Response {
    let Some(source) = read(file).await else {
        return files::gone(app, req.uri.path());
    };
    let base = req.uri.path();
    let references = css::analyze(&source);
    let resolved: BTreeMap<&str, Import> = references
        .iter()
        .filter_map(|r| {
            Some((
                r.url.as_str(),
                route::reference(&app.settings.root, base, &r.url)?,
            ))
        })
        .collect();
    let body = {
        let mut graph = app.graph();
        let pruned = graph.record_module(
            site,
            &site.url(),
            resolved.values().cloned().collect(),
            Accepts::default(),
        );
        prune(app, pruned);
        css::rewrite(&source, &references, |url| {
            stamped(&graph, resolved.get(url)?, url)
        })
    };
    cache::respond(app, req, StatusCode::OK, CSS, body)
}

/// The specifier with `?t=` when a hot update made its file stale; `None` to leave it be.
fn stamped(graph: &Graph, import: &Import, specifier: &str) -> Option<String> {
    let timestamp = graph.timestamp(&import.file);
    (timestamp > 0).then(|| with_timestamp(specifier, timestamp))
}

fn prune(app: &App, pruned: Vec<String>) {
    if !pruned.is_empty() {
        app.hub.publish(Message::Prune { paths: pruned });
    }
}

async fn read(file: &Path) -> Option<String> {
    let bytes = tokio::fs::read(file).await.ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}
