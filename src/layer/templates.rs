//! minijinja templates for an app, rendered from disk, that tell hotplate what they read.
//!
//! [`Templates::render`] returns a [`Page`]: the HTML, plus (as a response extension) every
//! template the render pulled in, noted as minijinja resolves each `extends`, `include`,
//! `import` and `from`. The layer records them for the page's URL, so a save morphs exactly
//! the pages whose render read the file.
//!
//! A template is read again when its file changes while a hot layer is on in the process
//! (whatever the build profile: an example run with `--release` keeps its layer on), and in
//! debug builds; otherwise it is read once.
//! A template that fails to render answers 500 with the file, line and code frame, and the
//! pages open at that URL show it in the overlay; since its reads are known, the fix clears the
//! overlay and morphs the page.

use crate::serve::extensions::{RenderFailed, TemplateReads};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minijinja::Environment;
use serde::Serialize;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

/// Templates loaded from a folder.
pub struct Templates {
    env: RwLock<Environment<'static>>,
    folder: PathBuf,
    /// Whether templates are read again when their files change.
    reloading: AtomicBool,
    /// What `asset()` reads when no layer is on: a build's manifest, source → output URL.
    manifest: Arc<RwLock<BTreeMap<String, String>>>,
}

thread_local! {
    /// The names the render running on this thread resolved.
    static NAMES: RefCell<Option<BTreeSet<String>>> = const { RefCell::new(None) };
}

impl Templates {
    /// Templates from `folder` (`{% extends "base.html" %}` names `folder/base.html`).
    pub fn new(folder: impl Into<PathBuf>) -> Templates {
        Templates::for_profile(folder, cfg!(debug_assertions))
    }

    /// [`Templates::new`] as a build with (`debug`) or without debug assertions makes them.
    fn for_profile(folder: impl Into<PathBuf>, debug: bool) -> Templates {
        let folder = folder.into();
        let folder = std::fs::canonicalize(&folder).unwrap_or(folder);
        let mut env = Environment::new();
        env.set_loader(crate::site::render::settled_loader(&folder));
        env.set_auto_reload(debug);
        env.set_debug(true);
        env.set_path_join_callback(|name, _parent| {
            NAMES.with_borrow_mut(|names| {
                if let Some(names) = names {
                    names.insert(name.to_string());
                }
            });
            name.into()
        });
        let manifest: Arc<RwLock<BTreeMap<String, String>>> = Arc::default();
        let outputs = manifest.clone();
        // `asset("/static/js/main.ts")`: the URL as it is while a layer serves the folder (hot
        // updates), the built file's URL from the manifest otherwise.
        env.add_function("asset", move |url: &str| {
            if super::is_on() {
                return minijinja::Value::from_safe_string(url.to_string());
            }
            let outputs = outputs.read().unwrap_or_else(PoisonError::into_inner);
            let key = url.split(['?', '#']).next().unwrap_or(url);
            let built = outputs.get(key.trim_start_matches('/')).cloned();
            minijinja::Value::from_safe_string(built.unwrap_or_else(|| url.to_string()))
        });
        Templates {
            env: RwLock::new(env),
            folder,
            reloading: AtomicBool::new(debug),
            manifest,
        }
    }

    /// Reads the manifest `hotplate build --manifest` wrote (`dist/manifest.json`): with no
    /// layer on, `asset("/static/js/main.ts")` then returns the built file's URL
    /// (`/static/js/main.4f9c2a1b.js`, its path in the build: serve the build at `/`). A source
    /// the manifest does not name is returned as it is.
    pub fn with_manifest(self, manifest: impl AsRef<Path>) -> std::io::Result<Templates> {
        let text = std::fs::read_to_string(manifest.as_ref())?;
        let parsed: BTreeMap<String, serde_json::Value> =
            serde_json::from_str(&text).map_err(std::io::Error::other)?;
        let outputs = parsed
            .into_iter()
            .filter_map(|(key, entry)| {
                let file = entry.get("file")?.as_str()?;
                Some((key, format!("/{file}")))
            })
            .collect();
        *self
            .manifest
            .write()
            .unwrap_or_else(PoisonError::into_inner) = outputs;
        Ok(self)
    }

    /// The environment, to add filters, functions and globals.
    pub fn env_mut(&mut self) -> &mut Environment<'static> {
        self.env.get_mut().unwrap_or_else(PoisonError::into_inner)
    }

    /// Renders template `name` with `context`.
    pub fn render(&self, name: &str, context: impl Serialize) -> Result<Page, TemplateError> {
        // A layer is on: templates follow their files from now on.
        if !self.reloading.load(Ordering::Relaxed) && super::is_on() {
            let mut env = self.env.write().unwrap_or_else(PoisonError::into_inner);
            env.set_auto_reload(true);
            env.clear_templates();
            self.reloading.store(true, Ordering::Relaxed);
        }
        let _pass = crate::site::render::RenderPass::start();
        let outer = NAMES.replace(Some(BTreeSet::from([name.to_string()])));
        let env = self.env.read().unwrap_or_else(PoisonError::into_inner);
        let rendered = env.get_template(name).and_then(|template| {
            template.render(minijinja::Value::from(minijinja::value::Serde(context)))
        });
        let names = NAMES.replace(outer).unwrap_or_default();
        let reads = TemplateReads(names.iter().map(|n| self.folder.join(n)).collect());
        match rendered {
            Ok(html) => Ok(Page { html, reads }),
            Err(err) => {
                let report = crate::site::render::report(&err, &self.folder);
                tracing::error!("{}", report.one_line());
                Err(TemplateError {
                    page: crate::serve::document::error_page(&report),
                    report: Box::new(report),
                    reads,
                    error: err,
                })
            }
        }
    }
}

/// A rendered page: answers as HTML, and tells the layer which templates it read.
pub struct Page {
    html: String,
    reads: TemplateReads,
}

impl Page {
    pub fn html(&self) -> &str {
        &self.html
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let mut response = Html(self.html).into_response();
        response.extensions_mut().insert(self.reads);
        response
    }
}

/// A template that failed to render. As a response: 500, with a page that names the file and
/// line and shows the code around it.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct TemplateError {
    page: String,
    report: Box<crate::base::ErrorReport>,
    reads: TemplateReads,
    #[source]
    error: minijinja::Error,
}

impl IntoResponse for TemplateError {
    fn into_response(self) -> Response {
        let mut response = (StatusCode::INTERNAL_SERVER_ERROR, Html(self.page)).into_response();
        response.extensions_mut().insert(self.reads);
        response.extensions_mut().insert(RenderFailed(*self.report));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_follow_their_files_once_a_layer_is_on_whatever_the_profile() {
        let dir = tempfile::tempdir().unwrap();
        let page = dir.path().join("page.html");
        std::fs::write(&page, "first").unwrap();
        // As a release build makes them: read once.
        let templates = Templates::for_profile(dir.path(), false);
        let render = || templates.render("page.html", ()).unwrap().html;
        assert_eq!(render(), "first");
        std::fs::write(&page, "second").unwrap();
        if !super::super::is_on() {
            assert_eq!(render(), "first", "read once without a layer");
        }
        super::super::turned_on();
        assert_eq!(render(), "second");
        // A save later than the mtime's resolution.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&page, "third, longer").unwrap();
        assert_eq!(render(), "third, longer");
    }

    #[test]
    fn a_template_that_is_not_utf8_is_an_error_that_names_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("latin.html"), b"caf\xe9").unwrap();
        let templates = Templates::for_profile(dir.path(), true);
        let err = templates.render("latin.html", ()).err().unwrap();
        assert_eq!(err.report.file.as_deref(), Some("latin.html"));
        assert!(
            err.report.message.contains("latin.html"),
            "{}",
            err.report.message
        );
        assert!(
            err.report.message.contains("UTF-8"),
            "{}",
            err.report.message
        );
    }
}
