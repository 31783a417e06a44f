//! minijinja templates for an app, rendered from disk, that tell hotplate what they read.
//!
//! [`Templates::render`] returns a [`Page`]: the HTML, plus (as a response extension) every
//! template the render pulled in, noted as minijinja resolves each `extends`, `include`,
//! `import` and `from`. The layer records them for the page's URL, so a save morphs exactly
//! the pages whose render read the file.
//!
//! In debug builds a template is read again when its file changes; in release it is read once.
//! A template that fails to render answers 500 with the file, line and code frame, and the
//! pages open at that URL show it in the overlay; since its reads are known, the fix clears the
//! overlay and morphs the page.

use crate::serve::inject::{RenderFailed, TemplateReads};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minijinja::Environment;
use serde::Serialize;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// Templates loaded from a folder.
pub struct Templates {
    env: Environment<'static>,
    folder: PathBuf,
}

thread_local! {
    /// The names the render running on this thread resolved.
    static NAMES: RefCell<Option<BTreeSet<String>>> = const { RefCell::new(None) };
}

impl Templates {
    /// Templates from `folder` (`{% extends "base.html" %}` names `folder/base.html`).
    pub fn new(folder: impl Into<PathBuf>) -> Templates {
        let folder = folder.into();
        let folder = std::fs::canonicalize(&folder).unwrap_or(folder);
        let mut env = Environment::new();
        env.set_loader(minijinja::path_loader(&folder));
        env.set_auto_reload(cfg!(debug_assertions));
        env.set_debug(cfg!(debug_assertions));
        env.set_path_join_callback(|name, _parent| {
            NAMES.with_borrow_mut(|names| {
                if let Some(names) = names {
                    names.insert(name.to_string());
                }
            });
            name.into()
        });
        Templates { env, folder }
    }

    /// The environment, to add filters, functions and globals.
    pub fn env_mut(&mut self) -> &mut Environment<'static> {
        &mut self.env
    }

    /// Renders template `name` with `context`.
    pub fn render(&self, name: &str, context: impl Serialize) -> Result<Page, TemplateError> {
        let outer = NAMES.replace(Some(BTreeSet::from([name.to_string()])));
        let rendered = self.env.get_template(name).and_then(|template| {
            template.render(minijinja::Value::from(minijinja::value::Serde(context)))
        });
        let names = NAMES.replace(outer).unwrap_or_default();
        let reads = TemplateReads(names.iter().map(|n| self.folder.join(n)).collect());
        match rendered {
            Ok(html) => Ok(Page { html, reads }),
            Err(err) => {
                let report = crate::render::report(&err, &self.folder);
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
