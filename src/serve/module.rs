//! Scripts and stylesheets in dev mode: what the browser loads as modules, rewritten for hot
//! updates.
//!
//! 1. read the file;
//! 2. compile TypeScript and JSX ([`crate::rewrite::ts`]); analyze it ([`crate::rewrite::js`]
//!    with oxc, [`crate::rewrite::css`] with cssparser) and resolve what it names to files of
//!    the site (as written, or as TypeScript and Node resolve it: [`crate::modules::resolve`]);
//! 3. record its edges (and, for a script, what it accepts) in the graph; modules it no longer
//!    imports are pruned, and the browsers are told;
//! 4. rewrite it: the `import.meta.hot` prologue, resolved specifiers written as the URLs
//!    that serve them, and `?t=` on the names of files a hot update made stale;
//! 5. answer with an ETag over the rewritten body.
//!
//! A script that does not parse shows the overlay, and is answered as it is (the browser
//! reports it too); a TypeScript or JSX file, as a module that throws the error. An empty file is read again for up to 100 ms first: it is most likely being
//! saved (see `read`).

use super::Scripts;
use super::extensions::Module;
use super::specifiers::{is_elsewhere, resolutions};
use super::{cache, files};
use crate::base::{ErrorReport, Kind, SitePath};
use crate::graph::{Accepts, Graph, Import, Record};
use crate::modules::{css_modules, queries};
use crate::protocol::{self, IMPORT_PARAM};
use crate::rewrite::js::{Analysis, Place};
use crate::rewrite::{css, js, ts, with_timestamp};
use crate::site::route;
use crate::watch;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Instant;

pub const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Serves the ES module `site` (at `file` on disk).
pub fn script(scripts: &Scripts, req: &Parts, file: &Path, site: &SitePath) -> Response {
    let Some(source) = read(file) else {
        return files::gone(&scripts.settings, req.uri.path());
    };
    as_module(scripts, req, JAVASCRIPT, site, source)
}

/// A module as it is on disk, for the module layer ([`super::module_layer`]) to rewrite: it
/// says which file of the site it is.
fn as_module(
    scripts: &Scripts,
    req: &Parts,
    content_type: &str,
    site: &SitePath,
    source: String,
) -> Response {
    let mut response = cache::respond(&scripts.settings, req, StatusCode::OK, content_type, source);
    response.extensions_mut().insert(Module {
        site: site.clone(),
        url: site.url(),
    });
    response
}

/// The ES module `site`, requested at `url` with `query`, as the browser gets it: TypeScript
/// and JSX compiled, specifiers resolved to the files they name, the `import.meta.hot`
/// prologue, and `?t=` on stale imports. What it imports and accepts goes to the graph. A
/// module that does not parse shows the overlay; it comes back as it is, or, compiled, as a
/// module that throws the error.
pub fn rewrite_script(
    scripts: &Scripts,
    url: &str,
    query: Option<&str>,
    site: &SitePath,
    source: String,
) -> String {
    let prologue = js::prologue(&protocol::hot_url(&scripts.settings.boot), url);
    written(
        scripts,
        url,
        query,
        site,
        source,
        |code, analysis, replace| js::rewrite(code, analysis, Some(&prologue), replace),
    )
    .unwrap_or_else(|body| body)
}

/// The ES module `site`, as [`rewrite_script`] writes it for `url?query`, in the pieces a
/// message carries for the page to import from a `data:` URL ([`js::rewrite_pushed`]).
/// `None` for a module that must be imported from its URL: one that does not parse, or that
/// reads its own URL ([`js::Analysis::pushable`]).
pub fn pushed_script(
    scripts: &Scripts,
    url: &str,
    query: &str,
    site: &SitePath,
    source: String,
) -> Option<Vec<String>> {
    let runtime = protocol::hot_url(&scripts.settings.boot);
    let asked = format!("{url}?{query}");
    written(
        scripts,
        url,
        Some(query),
        site,
        source,
        |code, analysis, replace| {
            analysis
                .pushable
                .then(|| js::rewrite_pushed(code, analysis, &runtime, &asked, replace))
        },
    )
    .ok()
    .flatten()
}

/// Analyzes the module `site` (requested at `url` with `query`), records what it imports and
/// accepts, and has `write` write it with the specifiers it is to name; `Err` with what the
/// browser gets instead when it does not analyze.
fn written<T>(
    scripts: &Scripts,
    url: &str,
    query: Option<&str>,
    site: &SitePath,
    source: String,
    write: impl FnOnce(&str, &js::Analysis, &dyn Fn(&str, Place) -> Option<String>) -> T,
) -> Result<T, String> {
    let compiled = ts::is_compiled(site.as_str());
    let (code, analysis, globs) = match scripts.modules.analyze_script(site, source.clone()) {
        Ok(script) => (script.code, script.analysis, script.globs),
        Err(error) => {
            let report = error.report(site);
            tracing::warn!("{}", report.one_line());
            let thrown = compiled.then(|| thrown(&report.one_line()));
            scripts
                .live
                .problems
                .report(&scripts.live.hub, site.as_str(), report);
            return Err(thrown.unwrap_or(source));
        }
    };
    scripts
        .live
        .problems
        .resolve(&scripts.live.hub, site.as_str());
    let importer = scripts.settings.root.join(site.as_str());
    let resolved = resolutions(scripts, &importer, &analysis, |text| {
        needs_resolving(scripts, url, text)
    });
    report_missing_packages(scripts, site, &analysis, &resolved);
    let written = |text: &'_ str| -> String {
        resolved
            .get(text)
            .cloned()
            .unwrap_or_else(|| text.to_string())
    };
    let named = route::name_all(
        &scripts.settings,
        url,
        analysis
            .specifiers
            .iter()
            .map(|s| resolved.get(&s.text).unwrap_or(&s.text).as_str())
            .filter(|s| js::names_a_path(s)),
    );
    let accepts = Accepts {
        itself: analysis.accepts.itself,
        deps: analysis
            .accepts
            .deps
            .iter()
            .map(|dep| written(dep))
            .filter(|dep| js::names_a_path(dep))
            .filter_map(|dep| route::reference(&scripts.settings, url, &dep).file())
            .map(|import| import.file)
            .collect(),
    };
    scripts.live.inbox.record(Record::Module {
        file: site.clone(),
        url: url.to_string(),
        imports: named.imports(),
        accepts,
        missing: named.missing.clone(),
        globs,
        cache_busted: crate::protocol::query_has(query, protocol::TIMESTAMP_PARAM),
    });
    let graph = scripts.live.graph();
    let replace = |specifier: &str, place: Place| {
        let target = written(specifier);
        let import = named.files.get(&target);
        // A stylesheet, an image or JSON imported as a module: asked for as one (`?import`).
        let as_module = place == Place::Import
            && import.is_some_and(|import| import.file.kind() != Kind::Script);
        let target = if as_module {
            explicit_import(&target)
        } else {
            target
        };
        let stale = match place {
            Place::Import | Place::Url => {
                import.and_then(|import| stamped(&graph, import, &target))
            }
            // `accept` names modules by path: a timestamp changes nothing there.
            Place::Accept => None,
        };
        stale
            .or_else(|| as_module.then(|| target.clone()))
            .or_else(|| resolved.get(specifier).cloned())
    };
    Ok(write(&code, &analysis, &replace))
}

/// `url` asked for as a module: `/a.css` → `/a.css?import`, as Vite marks it.
fn explicit_import(url: &str) -> String {
    match url.split_once('?') {
        Some((path, query)) => format!("{path}?{IMPORT_PARAM}&{query}"),
        None => format!("{url}?{IMPORT_PARAM}"),
    }
}

/// The stylesheet `site`, imported by a module (`import './style.css'`), as a module: it puts
/// the stylesheet in a `<style>` of its own, with every `url()` and `@import` made absolute,
/// and replaces it when it is saved again (it accepts itself). What the stylesheet names goes
/// to the graph, as for a linked one.
///
/// A CSS module (`*.module.css`, [`css_modules`]) is scoped first, and exports its class
/// names. Its new version swaps its styles in place too, but when its names changed it
/// invalidates itself, so that its importers render with the new ones. One that does not parse
/// shows the overlay, and is a module that throws why.
pub fn style_module(scripts: &Scripts, url: &str, site: &SitePath, source: &str) -> String {
    let (css, names) = match styled(scripts, url, site, source, true) {
        Ok(styled) => styled,
        Err(thrown) => return thrown,
    };
    let (exports, accept) = match names {
        Some(names) => (
            css_modules::module_code(&names),
            "import.meta.hot.accept((next) => {\n  \
             if (next && JSON.stringify(next.default) !== JSON.stringify(classes)) \
             import.meta.hot.invalidate('its class names changed');\n});\n",
        ),
        None => (
            "export default css;\n".to_string(),
            "import.meta.hot.accept();\n",
        ),
    };
    let quote = |s: &str| serde_json::to_string(s).expect("a string serializes");
    format!(
        "{prologue}const css = {css};\n\
         let style = [...document.querySelectorAll('style[data-hotplate-css]')].find((s) => s.dataset.hotplateCss === {id});\n\
         if (!style) {{\n  style = document.createElement('style');\n  style.dataset.hotplateCss = {id};\n  document.head.append(style);\n}}\n\
         style.textContent = css;\n\
         {accept}\
         import.meta.hot.prune(() => style.remove());\n\
         {exports}",
        prologue = js::prologue(&protocol::hot_url(&scripts.settings.boot), url),
        css = quote(&css),
        id = quote(url),
    )
}

/// The stylesheet `site` imported with `?inline`: its text, as [`style_module`] would apply it,
/// as the module's default export, not applied. It does not accept itself: a save updates the
/// modules that import the text.
pub fn inline_style(scripts: &Scripts, url: &str, site: &SitePath, source: &str) -> String {
    match styled(scripts, url, site, source, false) {
        Ok((css, _)) => queries::string_module(&css),
        Err(thrown) => thrown,
    }
}

/// The stylesheet `site` as a module applies it: `url()`s and `@import`s absolute (what it
/// names goes to the graph, with whether the module `accepts_itself`), and, for a CSS module,
/// scoped, with its names. A CSS module that does not parse shows the overlay; the error is
/// then the module that throws why.
fn styled(
    scripts: &Scripts,
    url: &str,
    site: &SitePath,
    source: &str,
    accepts_itself: bool,
) -> Result<(String, Option<BTreeMap<String, String>>), String> {
    let (references, named) = read_style(scripts, url, site, source, accepts_itself);
    let graph = scripts.live.graph();
    let css = css::rewrite(source, &references, |reference| {
        let import = named.files.get(reference)?;
        Some(stamped(&graph, import, &import.url).unwrap_or_else(|| import.url.clone()))
    });
    if !css_modules::is_css_module(site.as_str()) {
        return Ok((css, None));
    }
    match css_modules::scope(site.as_str(), &css, css_modules::Output::default()) {
        Ok(scoped) => {
            scripts
                .live
                .problems
                .resolve(&scripts.live.hub, site.as_str());
            Ok((scoped.css, Some(scoped.names)))
        }
        Err(report) => {
            let thrown = thrown(&report.one_line());
            scripts
                .live
                .problems
                .report(&scripts.live.hub, site.as_str(), *report);
            Err(thrown)
        }
    }
}

/// A file imported by a module that is neither script nor stylesheet, as a module: JSON is its
/// value; anything else (an image, a font) is its URL, as Vite gives it.
pub fn asset_module(url: &str, site: &SitePath, bytes: &[u8]) -> String {
    if site.extension() == "json"
        && let Ok(text) = std::str::from_utf8(bytes)
        && serde_json::from_str::<serde_json::Value>(text).is_ok()
    {
        return format!("export default {text};\n");
    }
    format!(
        "export default {};\n",
        serde_json::to_string(url).expect("a string serializes")
    )
}

/// The JavaScript the script `site` becomes (TypeScript and JSX compiled, with the JSX
/// settings of its `tsconfig.json`), and what it names and accepts. Both come from caches
/// What a TypeScript or JSX file of `size` bytes, too large to compile, is answered as: a
/// module that throws why, and the overlay says it too (until the file is served smaller).
pub fn too_large(scripts: &Scripts, url: &str, site: Option<&SitePath>, size: u64) -> String {
    let name = site.map_or(url, SitePath::as_str);
    let message = format!(
        "{name} is {} MB: hotplate compiles TypeScript and JSX files of up to {} MB. Split it \
         into smaller modules.",
        size >> 20,
        crate::rewrite::MAX_REWRITTEN >> 20
    );
    tracing::warn!("{message}");
    if let Some(site) = site {
        let report = ErrorReport::about_file(site.as_str(), message.clone());
        scripts
            .live
            .problems
            .report(&scripts.live.hub, site.as_str(), report);
    }
    thrown(&message)
}

/// What a module that is written for a compiler hotplate does not have (`.vue`, `.svelte`:
/// `why` says which) is answered as: the overlay says why, and the module throws it.
pub fn unsupported(scripts: &Scripts, site: &SitePath, why: String) -> String {
    tracing::warn!("{why}");
    let report = ErrorReport::about_file(site.as_str(), why.clone());
    scripts
        .live
        .problems
        .report(&scripts.live.hub, site.as_str(), report);
    thrown(&why)
}

/// A module that throws `message` when it runs: what a compiled file that does not compile
/// is served as (its source would fail in the browser with a less helpful error).
fn thrown(message: &str) -> String {
    format!(
        "throw new SyntaxError({});\n",
        serde_json::to_string(message).expect("a string serializes")
    )
}

/// Shows the overlay for bare imports that nothing answers: no package in `node_modules`, and
/// no import map in a page. The browser would only say it cannot resolve them.
fn report_missing_packages(
    scripts: &Scripts,
    site: &SitePath,
    analysis: &Analysis,
    resolved: &HashMap<String, String>,
) {
    let mut missing: Vec<&str> = analysis
        .specifiers
        .iter()
        .map(|s| s.text.as_str())
        .filter(|text| {
            !js::names_a_path(text)
                && !is_elsewhere(text)
                && !text.contains(':')
                && !resolved.contains_key(*text)
                && !scripts.modules.is_import_mapped(text)
        })
        .collect();
    if missing.is_empty() {
        return;
    }
    missing.dedup();
    let packages: Vec<String> = missing.iter().map(|s| package_name(s)).collect();
    let report = ErrorReport::about_file(
        site.as_str(),
        format!(
            "{site} imports {}, which nothing in node_modules answers and no import map in the \
             page maps: is it installed? (npm install {})",
            missing.join(", "),
            packages.join(" ")
        ),
    );
    tracing::warn!("{}", report.one_line());
    scripts
        .live
        .problems
        .report(&scripts.live.hub, site.as_str(), report);
}

/// The package a bare specifier names: `react-dom/client` → `react-dom`, `@scope/pkg/sub` →
/// `@scope/pkg`.
fn package_name(specifier: &str) -> String {
    let parts: Vec<&str> = specifier.splitn(3, '/').collect();
    match parts.as_slice() {
        [scope, name, ..] if scope.starts_with('@') => format!("{scope}/{name}"),
        [name, ..] => name.to_string(),
        [] => specifier.to_string(),
    }
}

/// Whether the specifier `text`, written in the module at `url`, is one that names no file
/// as it is written: a path that no file answers, or a bare name that no page's import map
/// maps (an import map in the page wins).
fn needs_resolving(scripts: &Scripts, url: &str, text: &str) -> bool {
    if scripts.modules.is_import_mapped(text) {
        return false;
    }
    !js::names_a_path(text)
        || !matches!(
            route::reference(&scripts.settings, url, text),
            route::Reference::File(_)
        )
}

/// Serves the stylesheet `site` (at `file` on disk).
pub fn style(scripts: &Scripts, req: &Parts, file: &Path, site: &SitePath) -> Response {
    let Some(source) = read(file) else {
        return files::gone(&scripts.settings, req.uri.path());
    };
    as_module(scripts, req, CSS, site, source)
}

/// The stylesheet `site`, requested at `url`, as the browser gets it: `?t=` on the imports
/// and `url()`s a hot update made stale. What it names goes to the graph.
pub fn rewrite_style(scripts: &Scripts, url: &str, site: &SitePath, source: &str) -> String {
    let (references, named) = read_style(scripts, url, site, source, false);
    let graph = scripts.live.graph();
    css::rewrite(source, &references, |url| {
        stamped(&graph, named.files.get(url)?, url)
    })
}

/// What the stylesheet `site` (served at `url`) names, read and recorded in the graph, with
/// whether it accepts itself (it does when a module imports it: [`style_module`]). One nested
/// too deep to follow is reported, and names nothing past the limit.
fn read_style(
    scripts: &Scripts,
    url: &str,
    site: &SitePath,
    source: &str,
    accepts_itself: bool,
) -> (Vec<css::Reference>, route::Named) {
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
        scripts
            .live
            .problems
            .report(&scripts.live.hub, site.as_str(), report);
    } else {
        scripts
            .live
            .problems
            .resolve(&scripts.live.hub, site.as_str());
    }
    let named = route::name_all(
        &scripts.settings,
        url,
        references.iter().map(|r| r.url.as_str()),
    );
    scripts.live.inbox.record(Record::Module {
        file: site.clone(),
        url: url.to_string(),
        imports: named.imports(),
        accepts: Accepts {
            itself: accepts_itself,
            deps: Default::default(),
        },
        missing: named.missing.clone(),
        globs: Vec::new(),
        cache_busted: false,
    });
    (references, named)
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
pub fn read(file: &Path) -> Option<String> {
    let bytes = watch::read_settled(file, Instant::now() + watch::EMPTY_PATIENCE).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}
