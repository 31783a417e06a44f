//! The render stage: page templates in, HTML out.
//!
//! Templates are minijinja (Jinja syntax), loaded by their path relative to the site root, so a
//! page writes `{% extends "layouts/base.html" %}` and `{% include "partials/nav.html" %}`.
//! Every template sees:
//! - `version`: random per server start, for `?v={{ version }}` cache busting;
//! - `params`: the values of a dynamic route's `[name]` segments;
//! - `path`: the URL path being rendered.
//!
//! In dev mode a template is re-read when its file changes; in production it is read once.
//! A failed render becomes a [`RenderError`] that names the file and line and carries a code
//! frame, for the error page and the browser overlay.

use crate::base::{ErrorReport, SitePath};
use crate::settings::{Mode, Settings};
use minijinja::{Environment, context};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub struct Renderer {
    env: Environment<'static>,
    root: PathBuf,
}

/// What a page is rendered for.
#[derive(Clone, Debug, Default)]
pub struct PageContext {
    pub path: String,
    pub params: BTreeMap<String, String>,
}

/// A template that did not render. Serving goes on; the report goes to the terminal, the error
/// page and the overlay.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{}", .report.message)]
pub struct RenderError {
    pub report: ErrorReport,
}

impl Renderer {
    pub fn new(settings: &Settings) -> Renderer {
        let mut env = Environment::new();
        env.set_loader(minijinja::path_loader(&settings.root));
        env.set_auto_reload(settings.mode == Mode::Dev);
        env.set_debug(true);
        env.add_global("version", settings.version.clone());
        env.add_global("dev", settings.is_dev());
        Renderer {
            env,
            root: settings.root.clone(),
        }
    }

    /// Renders the page template `template` for `page`.
    pub fn render(&self, template: &SitePath, page: &PageContext) -> Result<String, RenderError> {
        let result = self
            .env
            .get_template(template.as_str())
            .and_then(|t| t.render(context! { params => &page.params, path => &page.path }));
        result.map_err(|err| RenderError {
            report: report(&err, &self.root),
        })
    }
}

/// Turns a minijinja error into an overlay report with a code frame read from the file.
fn report(err: &minijinja::Error, root: &Path) -> ErrorReport {
    let message = match err.detail() {
        Some(detail) => format!("{}: {detail}", err.kind()),
        None => err.kind().to_string(),
    };
    let file = err.name().map(str::to_string);
    let line = err.line();
    let source = err.template_source().map(str::to_string).or_else(|| {
        file.as_ref()
            .and_then(|f| std::fs::read_to_string(root.join(f)).ok())
    });
    let column = match (&source, err.range()) {
        (Some(src), Some(range)) if range.start <= src.len() => {
            let before = &src[..range.start];
            Some(before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1)
        }
        _ => None,
    };
    let frame = match (&source, line) {
        (Some(src), Some(line)) => code_frame(src, line, column),
        _ => String::new(),
    };
    ErrorReport {
        message,
        file,
        line,
        column,
        frame,
    }
}

/// Two lines either side of `line` (1-based), numbered, with the line at fault marked and,
/// when the column is known, a caret under it.
pub fn code_frame(source: &str, line: usize, column: Option<usize>) -> String {
    let lines: Vec<&str> = source.lines().collect();
    let first = line.saturating_sub(3);
    let last = (line + 2).min(lines.len());
    let width = last.to_string().len();
    let mut frame = String::new();
    for (index, text) in lines.iter().enumerate().take(last).skip(first) {
        let number = index + 1;
        let marker = if number == line { '>' } else { ' ' };
        frame.push_str(&format!("{marker} {number:>width$} | {text}\n"));
        if let (true, Some(col)) = (number == line, column) {
            frame.push_str(&format!(
                "  {:>width$} | {}^\n",
                "",
                " ".repeat(col.saturating_sub(1))
            ));
        }
    }
    frame
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(files: &[(&str, &str)]) -> (tempfile::TempDir, Renderer) {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let renderer = Renderer::new(&Settings::for_root(dir.path()).unwrap());
        (dir, renderer)
    }

    #[test]
    fn pages_extend_layouts_include_partials_and_see_params() {
        let (_dir, r) = site(&[
            (
                "layouts/base.html",
                "<main>{% block body %}{% endblock %}</main>",
            ),
            ("partials/hi.html", "hi {{ params.slug }}"),
            (
                "pages/[slug].html",
                r#"{% extends "layouts/base.html" %}{% block body %}{% include "partials/hi.html" %} at {{ path }}{% endblock %}"#,
            ),
        ]);
        let page = PageContext {
            path: "/x".into(),
            params: [("slug".to_string(), "x".to_string())].into(),
        };
        let html = r
            .render(&SitePath::new("pages/[slug].html"), &page)
            .unwrap();
        // Values are HTML-escaped, slashes included.
        assert_eq!(html, "<main>hi x at &#x2f;x</main>");
    }

    #[test]
    fn every_page_sees_the_same_version() {
        let (_dir, r) = site(&[("a.html", "{{ version }}"), ("b.html", "{{ version }}")]);
        let a = r
            .render(&SitePath::new("a.html"), &PageContext::default())
            .unwrap();
        let b = r
            .render(&SitePath::new("b.html"), &PageContext::default())
            .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 8);
    }

    #[test]
    fn a_syntax_error_names_the_file_and_line_with_a_frame() {
        let (_dir, r) = site(&[("pages/a.html", "<p>ok</p>\n<p>{{ oops </p>\n<p>end</p>\n")]);
        let err = r
            .render(&SitePath::new("pages/a.html"), &PageContext::default())
            .unwrap_err();
        assert_eq!(err.report.file.as_deref(), Some("pages/a.html"));
        assert_eq!(err.report.line, Some(2));
        assert!(
            err.report.message.contains("syntax error"),
            "{}",
            err.report.message
        );
        assert!(err.report.frame.contains(">"), "{}", err.report.frame);
        assert!(err.report.frame.contains("{{ oops"), "{}", err.report.frame);
    }

    #[test]
    fn a_missing_include_names_the_including_file() {
        let (_dir, r) = site(&[(
            "pages/a.html",
            "line1\n{% include \"partials/gone.html\" %}\n",
        )]);
        let err = r
            .render(&SitePath::new("pages/a.html"), &PageContext::default())
            .unwrap_err();
        assert_eq!(err.report.file.as_deref(), Some("pages/a.html"));
        assert_eq!(err.report.line, Some(2));
        assert!(
            err.report.message.contains("partials/gone.html"),
            "{}",
            err.report.message
        );
    }

    #[test]
    fn an_error_in_a_partial_names_the_partial() {
        let (_dir, r) = site(&[
            ("partials/bad.html", "{% if %}"),
            ("pages/a.html", "{% include \"partials/bad.html\" %}"),
        ]);
        let err = r
            .render(&SitePath::new("pages/a.html"), &PageContext::default())
            .unwrap_err();
        assert_eq!(err.report.file.as_deref(), Some("partials/bad.html"));
    }

    #[test]
    fn code_frames_mark_the_line_and_column() {
        let frame = code_frame("a\nb\nc\nd\ne\nf", 3, Some(1));
        assert_eq!(
            frame,
            "  1 | a\n  2 | b\n> 3 | c\n    | ^\n  4 | d\n  5 | e\n"
        );
    }
}
