//! The render stage: page templates in, HTML out.
//!
//! Templates are minijinja (Jinja syntax), loaded by their path relative to the site root, so a
//! page writes `{% extends "layouts/base.html" %}` and `{% include "partials/nav.html" %}`.
//! Every template sees:
//! - `version`: random per server start, for `?v={{ version }}` cache busting;
//! - `params`: the values of a dynamic route's `[name]` segments;
//! - `path`: the URL path being rendered;
//! - `asset(url)`: the URL to write for a file the page loads: `url?v={version}` when served,
//!   the URL with the file's fingerprint in a build (`/style.4f9c2a1b.css`);
//! - `content(name)`, `content_list(folder)` and `data(name)`: Markdown and data files
//!   ([`content`]).
//!
//! [`Renderer::render_reading`] also returns what the render read ([`Reads`]): the page, every
//! layout, partial and macro file it pulled in (noted as minijinja resolves each name, so
//! computed includes count), and the content and data files and folders it asked for. This is
//! the server environment of the graph.
//!
//! In dev mode a template is re-read when its file changes; in production it is read once.
//! A failed render becomes a [`RenderError`] that names the file and line and carries a code
//! frame, for the error page and the browser overlay.

pub mod content;

use crate::base::{ErrorReport, Reads, SitePath, code_frame};
use crate::protocol::VERSION_PARAM;
use crate::settings::{Mode, Settings};
use minijinja::{Environment, Value, context};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub struct Renderer {
    env: Environment<'static>,
    root: PathBuf,
    /// How many template instructions one render may run.
    fuel: u64,
}

/// The last render of each route, for the pipeline and for the tabs that show it.
///
/// - Every successful page render leaves its HTML here (within [`KEPT`] bytes in all), and a
///   stamp: a hash of it, which the served page carries. So the pipeline can tell a route
///   whose render did not change (an edit inside a branch not taken: it sends nothing), and
///   diff the new render against the one the tabs were served, to push them the patch.
/// - The pipeline's renders are also kept for the refresh of a tab that cannot use the patch:
///   it fetches that very render instead of causing a second one.
///
/// An entry goes when something its render read changes (the pipeline renders it again), when
/// the render fails, or when pages are added or removed (every entry goes, since a URL may find
/// another page now). Ordinary page requests always render afresh.
#[derive(Default)]
pub struct RenderCache {
    renders: std::sync::Mutex<Renders>,
}

#[derive(Default)]
struct Renders {
    pages: std::collections::HashMap<String, Cached>,
    /// The bytes of HTML kept, in all.
    kept: usize,
}

struct Cached {
    stamp: String,
    html: Option<std::sync::Arc<str>>,
    /// Kept for the refresh that follows the pipeline's `html` message.
    refresh: bool,
}

/// The most HTML the cache keeps, over all routes: past it, a route keeps only its stamp (its
/// tabs fetch the page after a change instead of taking a patch).
pub const KEPT: usize = 64 << 20;

/// A render as the cache noted it.
pub struct Noted {
    /// Whether it differs from the route's last noted render (or there was none).
    pub changed: bool,
    /// The stamp the page is served with.
    pub stamp: String,
}

impl RenderCache {
    /// Notes the render of `route` (`refresh`: for the refresh that follows the pipeline's
    /// message).
    pub fn put(&self, route: &str, html: &str, refresh: bool) -> Noted {
        let stamp = stamp(html);
        let mut renders = self.lock();
        let previous = renders.pages.remove(route);
        if let Some(html) = previous.as_ref().and_then(|p| p.html.as_ref()) {
            renders.kept -= html.len();
        }
        let keep = renders.kept + html.len() <= KEPT;
        if keep {
            renders.kept += html.len();
        }
        let changed = previous.is_none_or(|p| p.stamp != stamp);
        renders.pages.insert(
            route.to_string(),
            Cached {
                stamp: stamp.clone(),
                html: keep.then(|| std::sync::Arc::from(html)),
                refresh: refresh && keep,
            },
        );
        Noted { changed, stamp }
    }

    /// The render kept for `route`'s refresh, with its stamp.
    pub fn get(&self, route: &str) -> Option<(String, std::sync::Arc<str>)> {
        let renders = self.lock();
        let cached = renders.pages.get(route).filter(|c| c.refresh)?;
        Some((cached.stamp.clone(), cached.html.clone()?))
    }

    /// The last render of `route`, with its stamp: what its tabs show.
    pub fn last(&self, route: &str) -> Option<(String, std::sync::Arc<str>)> {
        let renders = self.lock();
        let cached = renders.pages.get(route)?;
        Some((cached.stamp.clone(), cached.html.clone()?))
    }

    pub fn forget(&self, route: &str) {
        let mut renders = self.lock();
        if let Some(html) = renders.pages.remove(route).and_then(|c| c.html) {
            renders.kept -= html.len();
        }
    }

    pub fn clear(&self) {
        *self.lock() = Renders::default();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Renders> {
        self.renders
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// What a render is known by: a hash of its HTML, in hex.
fn stamp(html: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    html.hash(&mut hasher);
    format!("{:016x}", hasher.finish())
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

thread_local! {
    /// The reads of the render running on this thread (minijinja renders synchronously).
    static READS: RefCell<Option<Reads>> = const { RefCell::new(None) };
}

/// Notes that the current render read `file`.
fn note_file(file: &SitePath) {
    READS.with_borrow_mut(|reads| {
        if let Some(reads) = reads {
            reads.files.insert(file.clone());
        }
    });
}

/// Notes that the current render listed `folder`.
fn note_folder(folder: &SitePath) {
    READS.with_borrow_mut(|reads| {
        if let Some(reads) = reads {
            reads.folders.insert(folder.clone());
        }
    });
}

thread_local! {
    /// The template the loader last failed to read on this thread, for [`report`].
    static UNREADABLE: std::cell::Cell<Option<String>> = const { std::cell::Cell::new(None) };
}

thread_local! {
    /// The render running on this thread, by a number no other render had ([`RenderPass`]);
    /// 0 outside one.
    static RENDER: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The renders so far, for [`RenderPass`]'s numbers.
static RENDERS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// While alive, this thread runs one render: a template it pulls in many times (a partial in
/// every row of a list) is checked against its file once, not at every `include`.
pub(crate) struct RenderPass {
    outer: u64,
}

impl RenderPass {
    pub(crate) fn start() -> RenderPass {
        let number = RENDERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        RenderPass {
            outer: RENDER.replace(number),
        }
    }
}

impl Drop for RenderPass {
    fn drop(&mut self) {
        RENDER.set(self.outer);
    }
}

#[cfg(test)]
thread_local! {
    /// How many times this thread asked a template's file for its stamp.
    static STAMPS_TAKEN: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The modification time and size of a template's file, which say whether it changed.
fn file_stamp(path: &std::path::Path) -> Option<(std::time::SystemTime, u64)> {
    #[cfg(test)]
    STAMPS_TAKEN.set(STAMPS_TAKEN.get() + 1);
    let metadata = std::fs::metadata(path).ok()?;
    Some((metadata.modified().ok()?, metadata.len()))
}

/// minijinja's loader from the root (which keeps names inside it), except that:
/// - a template found empty is read again for a moment ([`crate::watch::EMPTY_PATIENCE`]): a
///   render can run between an editor's truncate and its write (a save that lands while the
///   last one renders), and the page would morph into nothing;
/// - whether a loaded template is still its file's (checked at every lookup, as the
///   environment reloads templates) is asked of the file once per render ([`RenderPass`]),
///   not at every `include`: a partial in 1,250 rows cost 1,250 `stat`s a render.
///
/// A template that cannot be read (not UTF-8, unreadable) is an error that names it: minijinja's
/// own says only "could not read template", and [`report`] then names the file too.
pub(crate) fn settled_loader(
    root: &std::path::Path,
) -> impl Fn(&str) -> Result<Option<minijinja::TemplateSource>, minijinja::Error> + Send + Sync + 'static
{
    let load = minijinja::path_loader(root);
    let root = root.to_path_buf();
    move |name| {
        let deadline = std::time::Instant::now() + crate::watch::EMPTY_PATIENCE;
        loop {
            // Taken before the read, so that a save racing with it is seen as a change.
            let stamp = file_stamp(&root.join(name));
            let loaded = load(name).map_err(|err| {
                let why = std::error::Error::source(&err)
                    .map_or_else(|| err.to_string(), |cause| cause.to_string());
                let hint = if why.contains("UTF-8") {
                    " (hotplate reads templates as UTF-8: save it in that encoding)"
                } else {
                    ""
                };
                UNREADABLE.set(Some(name.to_string()));
                minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    format!("could not read the template {name}: {why}{hint}"),
                )
            })?;
            match loaded {
                Some(template)
                    if template.source().is_empty() && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                Some(template) => {
                    // The loader found it, so the name is inside the root.
                    let path = root.join(name);
                    let checked = std::sync::Mutex::new((0, true));
                    return Ok(Some(
                        minijinja::TemplateSource::new(template.source()).with_uptodate_check(
                            move || {
                                let render = RENDER.get();
                                let mut checked = checked
                                    .lock()
                                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                                if render == 0 || checked.0 != render {
                                    *checked =
                                        (render, stamp.is_some() && file_stamp(&path) == stamp);
                                }
                                checked.1
                            },
                        ),
                    ));
                }
                None => return Ok(None),
            }
        }
    }
}

impl Renderer {
    /// A renderer whose `asset(url)` returns `url?v={version}`: what the dev server and
    /// `--prod` serve, where a new start means a new version.
    pub fn new(settings: &Settings) -> Renderer {
        let version = settings.version.clone();
        Renderer::with_asset(settings, move |url| {
            let separator = if url.contains('?') { '&' } else { '?' };
            format!("{url}{separator}{VERSION_PARAM}={version}")
        })
    }

    /// A renderer whose `asset(url)` returns what `asset` says (the build: a URL with a
    /// fingerprint).
    pub fn with_asset(
        settings: &Settings,
        asset: impl Fn(&str) -> String + Send + Sync + 'static,
    ) -> Renderer {
        let mut env = Environment::new();
        env.set_loader(settled_loader(&settings.root));
        env.set_auto_reload(settings.mode == Mode::Dev);
        env.set_debug(true);
        // A template that loops away (nested `range`s) stops with an error instead of holding
        // a thread for good.
        env.set_fuel(Some(settings.render_fuel));
        // Called for every `extends`, `include`, `import` and `from`, cached templates too:
        // the one place that sees each template a render pulls in.
        env.set_path_join_callback(|name, _parent| {
            note_file(&SitePath::new(name));
            name.into()
        });
        env.add_global("version", settings.version.clone());
        env.add_global("dev", settings.is_dev());
        env.add_function("asset", move |url: &str| {
            Value::from_safe_string(asset(url))
        });
        let root = settings.root.clone();
        env.add_function("content", move |name: &str| {
            content::entry(&root, name)
                .map(entry_value)
                .map_err(template_error)
        });
        let root = settings.root.clone();
        env.add_function("content_list", move |folder: Option<&str>| {
            content::list(&root, folder.unwrap_or(""))
                .map(|entries| entries.into_iter().map(entry_value).collect::<Vec<_>>())
                .map_err(template_error)
        });
        let root = settings.root.clone();
        env.add_function("data", move |name: &str| {
            content::data(&root, name)
                .map(|value| Value::from(minijinja::value::Serde(value)))
                .map_err(template_error)
        });
        Renderer {
            env,
            root: settings.root.clone(),
            fuel: settings.render_fuel,
        }
    }

    /// Renders the page template `template` for `page`.
    pub fn render(&self, template: &SitePath, page: &PageContext) -> Result<String, RenderError> {
        self.render_reading(template, page).0
    }

    /// Renders the page template `template` for `page`, and says what the render read (also
    /// when it failed: fixing any of those files may fix it).
    pub fn render_reading(
        &self,
        template: &SitePath,
        page: &PageContext,
    ) -> (Result<String, RenderError>, Reads) {
        let _pass = RenderPass::start();
        let outer = READS.replace(Some(Reads::default()));
        note_file(template);
        let mut out = Bounded::default();
        UNREADABLE.set(None);
        let rendered = self.env.get_template(template.as_str()).and_then(|t| {
            t.render_captured_to(
                context! { params => &page.params, path => &page.path },
                &mut out,
            )
        });
        let reads = READS.replace(outer).unwrap_or_default();
        let result = match rendered {
            Ok(_) => Ok(String::from_utf8_lossy(&out.bytes).into_owned()),
            Err(_) if out.overflowed => Err(RenderError {
                report: ErrorReport::about_file(
                    template.as_str(),
                    format!(
                        "the page renders to more than {} MB; hotplate stops there (a loop \
                         that runs away?)",
                        MAX_PAGE >> 20
                    ),
                ),
            }),
            Err(err) => {
                let mut report = report(&err, &self.root);
                if err.kind() == minijinja::ErrorKind::OutOfFuel {
                    report.message = format!(
                        "the page ran out of fuel: it took more than {} template instructions \
                         to render (a loop that runs away?)",
                        self.fuel
                    );
                }
                Err(RenderError { report })
            }
        };
        (result, reads)
    }
}

/// A page's render, whether it differs from the route's last one, and its stamp.
pub struct Rendered {
    pub html: String,
    pub changed: bool,
    pub stamp: String,
}

/// Renders the page template `template` at `route` and notes it, for a request or for the
/// pipeline. In dev a hash of the HTML, with the HTML itself when `keep` (for the refresh that
/// follows an `html` update), goes into `cache`; a failure is logged and forgotten by it. What
/// the render read comes back with it, for the graph's server environment: the pipeline
/// writes it, a request sends it there.
pub fn render_route(
    renderer: &Renderer,
    cache: &RenderCache,
    dev: bool,
    route: &str,
    template: &SitePath,
    params: BTreeMap<String, String>,
    keep: bool,
) -> (Result<Rendered, RenderError>, Reads) {
    let context = PageContext {
        path: route.to_string(),
        params,
    };
    let (result, reads) = renderer.render_reading(template, &context);
    let result = match result {
        Ok(html) => {
            let Noted { changed, stamp } = if dev {
                cache.put(route, &html, keep)
            } else {
                Noted {
                    changed: true,
                    stamp: String::new(),
                }
            };
            Ok(Rendered {
                html,
                changed,
                stamp,
            })
        }
        Err(err) => {
            tracing::error!("{}", err.report.one_line());
            cache.forget(route);
            Err(err)
        }
    };
    (result, reads)
}

/// The largest page a render may produce. A template that loops away stops here with an
/// error page, instead of taking the machine's memory.
pub const MAX_PAGE: usize = 50 << 20;

/// A render's output, refusing to grow past [`MAX_PAGE`].
#[derive(Default)]
struct Bounded {
    bytes: Vec<u8>,
    overflowed: bool,
}

impl std::io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > MAX_PAGE {
            self.overflowed = true;
            return Err(std::io::Error::other("the page is too large"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// An entry as templates see it: `html` is marked safe, so `{{ post.html }}` is not escaped.
fn entry_value(entry: content::Entry) -> Value {
    context! {
        name => entry.name,
        slug => entry.slug,
        meta => Value::from(minijinja::value::Serde(entry.meta)),
        html => Value::from_safe_string(entry.html),
    }
}

fn template_error(err: content::ContentError) -> minijinja::Error {
    minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, err.to_string())
}

/// Turns a minijinja error into an overlay report with a code frame read from the file.
pub(crate) fn report(err: &minijinja::Error, root: &Path) -> ErrorReport {
    let message = match err.detail() {
        Some(detail) => format!("{}: {detail}", err.kind()),
        None => err.kind().to_string(),
    };
    // A template the loader could not read has no name of its own in the error.
    let unreadable = UNREADABLE.take();
    let file = err.name().map(str::to_string).or(unreadable);
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
    fn a_template_caught_empty_mid_save_is_read_again_until_it_fills() {
        let (dir, r) = site(&[("pages/a.html", "")]);
        let file = dir.path().join("pages/a.html");
        let writer = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(30));
            std::fs::write(file, "<p>saved</p>").unwrap();
        });
        let html = r
            .render(&SitePath::new("pages/a.html"), &PageContext::default())
            .unwrap();
        writer.join().unwrap();
        assert_eq!(html, "<p>saved</p>");
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

    fn files(reads: &Reads) -> Vec<&str> {
        reads.files.iter().map(SitePath::as_str).collect()
    }

    #[test]
    fn a_render_reads_its_page_layouts_partials_and_macros_including_computed_names() {
        let (_dir, r) = site(&[
            ("layouts/base.html", "{% block body %}{% endblock %}"),
            ("partials/a.html", "A"),
            ("partials/b.html", "B"),
            ("macros.html", "{% macro hi() %}hi{% endmacro %}"),
            (
                "pages/x.html",
                r#"{% extends "layouts/base.html" %}{% import "macros.html" as m %}{% block body %}{{ m.hi() }}{% include "partials/" ~ params.which ~ ".html" %}{% endblock %}"#,
            ),
        ]);
        let page = |which: &str| PageContext {
            path: "/x".into(),
            params: [("which".to_string(), which.to_string())].into(),
        };
        let (html, reads) = r.render_reading(&SitePath::new("pages/x.html"), &page("a"));
        assert_eq!(html.unwrap(), "hiA");
        assert_eq!(
            files(&reads),
            [
                "layouts/base.html",
                "macros.html",
                "pages/x.html",
                "partials/a.html"
            ]
        );
        // Cached templates are noted too, and the computed include follows the data.
        let (_, reads) = r.render_reading(&SitePath::new("pages/x.html"), &page("b"));
        assert!(files(&reads).contains(&"partials/b.html"));
        assert!(!files(&reads).contains(&"partials/a.html"));
    }

    #[test]
    fn a_failed_render_still_says_what_it_read() {
        let (_dir, r) = site(&[("pages/a.html", r#"{% include "partials/later.html" %}"#)]);
        let (html, reads) =
            r.render_reading(&SitePath::new("pages/a.html"), &PageContext::default());
        assert!(html.is_err());
        assert_eq!(files(&reads), ["pages/a.html", "partials/later.html"]);
    }

    #[test]
    fn templates_read_content_and_data_and_note_them() {
        let (_dir, r) = site(&[
            (
                "content/about.md",
                "+++
title = \"About\"
+++
We *make* things.",
            ),
            (
                "content/blog/one.md",
                "---
title: One
---
1",
            ),
            (
                "content/blog/two.md",
                "---
title: Two
---
2",
            ),
            ("data/site.toml", "name = \"Site\""),
            (
                "pages/a.html",
                r#"{% set about = content("about") %}<h1>{{ about.meta.title }}</h1>{{ about.html }}{% for post in content_list("blog") %}[{{ post.slug }}: {{ post.meta.title }}]{% endfor %}{{ data("site").name }}"#,
            ),
        ]);
        let (html, reads) =
            r.render_reading(&SitePath::new("pages/a.html"), &PageContext::default());
        assert_eq!(
            html.unwrap(),
            "<h1>About</h1><p>We <em>make</em> things.</p>\n[one: One][two: Two]Site"
        );
        assert_eq!(
            files(&reads),
            [
                "content/about.md",
                "content/blog/one.md",
                "content/blog/two.md",
                "data/site.json",
                "data/site.toml",
                "pages/a.html"
            ]
        );
        assert_eq!(
            reads
                .folders
                .iter()
                .map(SitePath::as_str)
                .collect::<Vec<_>>(),
            ["content/blog"]
        );
    }

    #[test]
    fn a_partial_in_every_row_is_checked_against_its_file_once_a_render_and_a_save_is_seen() {
        let (dir, r) = site(&[
            (
                "pages/list.html",
                "{% for i in range(500) %}{% include \"partials/row.html\" %}{% endfor %}",
            ),
            ("partials/row.html", "a"),
        ]);
        let render = || {
            r.render(&SitePath::new("pages/list.html"), &PageContext::default())
                .unwrap()
        };
        assert_eq!(render(), "a".repeat(500));
        STAMPS_TAKEN.set(0);
        assert_eq!(render(), "a".repeat(500));
        assert_eq!(STAMPS_TAKEN.get(), 2, "the page and the partial, once each");
        std::fs::write(dir.path().join("partials/row.html"), "bb").unwrap();
        assert_eq!(render(), "bb".repeat(500));
    }

    #[test]
    fn missing_content_is_a_render_error_naming_the_file() {
        let (_dir, r) = site(&[("pages/a.html", "\n{{ content(\"gone\").html }}")]);
        let err = r
            .render(&SitePath::new("pages/a.html"), &PageContext::default())
            .unwrap_err();
        assert!(
            err.report.message.contains("content/gone.md"),
            "{}",
            err.report.message
        );
        assert_eq!(err.report.line, Some(2));
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
