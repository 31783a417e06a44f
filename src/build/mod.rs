//! `hotplate build`: the site as a folder any static host serves, made by the dev server's own
//! stages, so that what was seen in dev is what ships.
//!
//! The stages, in order (each a module):
//! 1. `crawl`: every reachable page, rendered by `crate::site::render` as the dev server
//!    renders it (minus the client runtime), with `version` a hash of the build's inputs and
//!    `asset(url)` the URL with its fingerprint;
//! 2. `scripts`: the pages' module scripts bundled by rolldown, compiled and resolved by
//!    `crate::rewrite::ts` and `crate::modules::resolve`;
//! 3. `styles`: each stylesheet with its `@import`s inlined and minified (lightningcss);
//! 4. `assets`: every other file a page, a stylesheet or a script loads, under a name with a
//!    hash of its content;
//! 5. `html`: each page's references rewritten to what the stages made;
//! 6. `compress`: `.br` and `.gz` beside the text files;
//! 7. `output`: written into a fresh folder that replaces the last build only when all
//!    went well; `report` lists it.
//!
//! `public/` is copied as it is: its files keep their names. Everything is ordered (pages by
//! URL, files by path) and every hash is of content, so the same inputs give the same bytes.

mod assets;
mod compress;
mod crawl;
mod html;
mod manifest;
mod output;
mod report;
mod scripts;
mod styles;

pub use crawl::Broken;
pub use report::{Line, render as report};
pub use scripts::ScriptError;
pub use styles::StyleError;

use crate::base::{ErrorReport, Kind};
use crate::error::FatalError;
use crate::modules::css_modules;
use crate::rewrite::ts::JsxOptionsWritten;
use crate::settings::{Mode, Settings};
use crate::site::render::Renderer;
use crate::site::route::{self, Target};
use html::{Replacement, Role};
use output::{Content, Files};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What to build, and how.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The site folder.
    pub root: PathBuf,
    /// Where the build goes; `dist` in the root when `None`.
    pub out: Option<PathBuf>,
    /// Broken links fail the build.
    pub strict: bool,
    /// URLs built besides those the crawl finds (`[build] entries`); with `manifest`, the
    /// files (relative to the root) to build instead of every script and stylesheet of the
    /// asset folders.
    pub entries: Vec<String>,
    /// Build only the asset folders, for a backend that renders its own pages, and write
    /// `manifest.json` in Vite's format (`--manifest`).
    pub manifest: bool,
    /// The asset folders as `--assets` gives them (`/static=static`); the defaults when empty.
    pub assets: Vec<String>,
    /// The `--jsx*` flags, which win over every tsconfig.json.
    pub jsx: JsxOptionsWritten,
    /// How many URLs the crawl may find before it stops with an error; [`MAX_PAGES`] when 0.
    pub max_pages: usize,
}

/// How many URLs a crawl finds at most, by default: a site of more is rare, and a page that
/// links to ever new URLs would otherwise crawl until the machine's memory ran out.
pub const MAX_PAGES: usize = 100_000;

/// How far the build is, for the terminal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Pages rendered so far.
    Rendered { pages: usize },
    /// Module entries being bundled.
    Bundling { entries: usize },
    /// Files being compressed.
    Compressing { files: usize },
}

impl std::fmt::Display for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Progress::Rendered { pages } => write!(f, "rendered {pages} pages"),
            Progress::Bundling { entries } => write!(f, "bundling {entries} module entries"),
            Progress::Compressing { files } => write!(f, "compressing {files} files"),
        }
    }
}

/// What a build wrote.
#[derive(Debug)]
pub struct Built {
    pub out: PathBuf,
    pub pages: usize,
    /// Every file written (compressed variants left out), by path, with its size and, for
    /// text files, its gzip size.
    pub files: Vec<report::Line>,
    /// References nothing answers (without `--strict`, the build goes on).
    pub broken: Vec<Broken>,
    pub took: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Root(#[from] FatalError),
    #[error("--out {out}: {why}")]
    BadOut { out: PathBuf, why: String },
    #[error("the page {url} did not render: {}", .report.one_line())]
    Render {
        url: String,
        report: Box<ErrorReport>,
    },
    #[error("a script did not build: {0}")]
    Script(#[from] scripts::ScriptError),
    #[error("a stylesheet did not build: {0}")]
    Style(#[from] styles::StyleError),
    #[error("{} broken link(s), and --strict makes that an error", .0.len())]
    Broken(Vec<Broken>),
    #[error(
        "the crawl found more than {max} URLs (the last, {url}, linked from {from}): a page that \
         links to ever new URLs? List the pages to build with [build] entries instead"
    )]
    TooManyPages {
        max: usize,
        url: String,
        from: String,
    },
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl BuildError {
    pub fn io(path: &Path, source: std::io::Error) -> BuildError {
        BuildError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// The file, line and code frame at fault, when one file is.
    pub fn report(&self) -> Option<&ErrorReport> {
        match self {
            BuildError::Render { report, .. } => Some(report),
            BuildError::Style(err) => Some(&err.report),
            BuildError::Script(err) => err.report.as_deref(),
            _ => None,
        }
    }
}

/// The file `hotplate build` leaves at the top of a build, so that `hotplate serve --prod`
/// serves the folder as it is instead of building it again. Static hosts may serve it; it says
/// only that hotplate made the folder.
pub const MARKER: &str = ".hotplate-build";

/// Whether `folder` is a build (holds the [`MARKER`]).
pub fn is_build(folder: &Path) -> bool {
    folder.join(MARKER).is_file()
}

/// Settles what `hotplate serve --prod` serves, so that it never serves raw TypeScript or an
/// unrendered template: a build as it is, or else the site built first (with `entries`) into a
/// folder of its own under the system's temporary folder. Returns that build's report.
pub fn for_prod(
    settings: &mut Settings,
    entries: &[String],
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Option<Built>, BuildError> {
    settings.built = true;
    if is_build(&settings.root) {
        return Ok(None);
    }
    let key = assets::content_hash(settings.root.as_os_str().as_encoded_bytes());
    let out = std::env::temp_dir().join(format!("hotplate-prod-{key}"));
    let built = build(
        &Options {
            root: settings.root.clone(),
            out: Some(out.clone()),
            strict: false,
            entries: entries.to_vec(),
            jsx: settings.jsx.clone(),
            ..Options::default()
        },
        progress,
    )?;
    settings.root = std::fs::canonicalize(&out).map_err(|e| BuildError::io(&out, e))?;
    Ok(Some(built))
}

/// Builds the site `options` describe. `progress` hears how far it is.
pub fn build(options: &Options, progress: &(dyn Fn(Progress) + Sync)) -> Result<Built, BuildError> {
    let started = Instant::now();
    let mut settings = Settings::for_root(&options.root)?;
    let root = settings.root.clone();
    let out = match &options.out {
        Some(out) => absolute(out),
        None => root.join("dist"),
    };
    output::check(&root, &out)?;
    settings.mode = Mode::Prod;
    settings.jsx = options.jsx.clone();
    let stage = Stage::new();
    settings.version = inputs_hash(&root, &out);
    stage.done("inputs hashed");
    let made = Arc::new(Made::new(root.clone()));
    let (pages, mut broken) = if options.manifest {
        manifest::build(&root, options, &made, progress)?;
        (0, Vec::new())
    } else {
        site(&settings, options, &made, progress)?
    };
    broken.extend(lock(&made.broken).drain(..));
    made.put(
        MARKER.to_string(),
        b"{\"built-by\":\"hotplate\"}\n".to_vec(),
    );
    broken.sort();
    broken.dedup();
    if options.strict && !broken.is_empty() {
        return Err(BuildError::Broken(broken));
    }
    stage.done("pages and assets made");
    let files = compressed(made.take(), progress)?;
    stage.done("compressed");
    output::write(&out, &files.0)?;
    stage.done("written");
    Ok(Built {
        out,
        pages,
        files: files.1,
        broken,
        took: started.elapsed(),
    })
}

/// The pages of the site and what they load: how many pages, and the broken links.
fn site(
    settings: &Settings,
    options: &Options,
    made: &Arc<Made>,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<(usize, Vec<Broken>), BuildError> {
    let root = settings.root.clone();
    let renderer = Renderer::with_asset(settings, assets::marker);
    let started = Instant::now();
    let max_pages = if options.max_pages == 0 {
        MAX_PAGES
    } else {
        options.max_pages
    };
    let crawled = crawl::crawl(&root, &renderer, &options.entries, max_pages, progress)?;
    tracing::debug!("build: crawled in {:?}", started.elapsed());
    let mut broken: Vec<Broken> = crawled.broken.iter().cloned().collect();

    // What the pages load, by file: module entries, stylesheets, and the rest.
    let mut entries: BTreeMap<PathBuf, String> = BTreeMap::new();
    for ((url, role), page) in &crawled.loads {
        let Ok(Target::File { path, .. }) = route::resolve(&root, url) else {
            broken.push(Broken {
                page: page.clone(),
                url: url.clone(),
            });
            continue;
        };
        match role {
            // `public/` is served as it is, whatever loads it.
            _ if path.starts_with(root.join("public")) => {
                made.asset(&path)
                    .map_err(|why| BuildError::io(&path, why))?;
            }
            Role::Module if is_script(&path) => {
                entries.insert(path, url.clone());
            }
            Role::Stylesheet => {
                made.style(&path)?;
            }
            _ => {
                made.asset(&path)
                    .map_err(|why| BuildError::io(&path, why))?;
            }
        }
    }
    // Inline module scripts that import something: entries of their own, as Vite makes them.
    let mut inline: BTreeMap<String, scripts::Inline> = BTreeMap::new();
    let mut inline_of: BTreeMap<String, Vec<Option<PathBuf>>> = BTreeMap::new();
    for page in crawled.pages.iter().filter(|p| p.html.contains("module")) {
        let mut ids = Vec::new();
        for (n, text) in html::inline_modules(&page.html).into_iter().enumerate() {
            let imports =
                crate::rewrite::js::analyze(&text).is_ok_and(|a| !a.specifiers.is_empty());
            if !imports {
                ids.push(None);
                continue;
            }
            let id = format!("{}?hotplate-inline={n}", root.join(&page.out).display());
            let stem = page.out.strip_suffix(".html").unwrap_or(&page.out);
            entries.insert(PathBuf::from(&id), format!("/{stem}-inline{n}.js"));
            let page = page.url.clone();
            inline.insert(id.clone(), scripts::Inline { text, page });
            ids.push(Some(PathBuf::from(id)));
        }
        if ids.iter().any(Option::is_some) {
            inline_of.insert(page.out.clone(), ids);
        }
    }
    let (_, entry_tags) = bundle_scripts(&root, &entries, inline, options, made, progress)?;
    tracing::debug!("build: loads and scripts made in {:?}", started.elapsed());

    // The pages, their references now answered.
    let answer = |url: &str, role: Role| -> Option<Replacement> {
        let Ok(Target::File { path, .. }) = route::resolve(&root, url) else {
            return None;
        };
        if let Some((chunk, _)) = entry_tags.get(&path) {
            return Some(Replacement::url(chunk.clone()));
        }
        match role {
            Role::Link => None,
            _ => made.url_of(&path).map(Replacement::url),
        }
    };
    let pages: Vec<(String, Vec<u8>)> = crawled
        .pages
        .par_iter()
        .map(|page| {
            // Its module entries' stylesheets and preloads go at the end of `<head>`, as Vite
            // puts them (or before each `<script>`, in a document without one).
            let mut head = String::new();
            let inline_ids = inline_of.get(&page.out);
            for id in inline_ids.into_iter().flatten().flatten() {
                if let Some((_, tags)) = entry_tags.get(id)
                    && !head.contains(tags.as_str())
                {
                    head.push_str(tags);
                }
            }
            if page.html.contains("module") {
                let _ = html::visit(&page.html, |href, role| {
                    let url = route::absolute(&page.url, href)?;
                    let Ok(Target::File { path, .. }) = route::resolve(&root, &url) else {
                        return None;
                    };
                    if let (Role::Module, Some((_, tags))) = (role, entry_tags.get(&path))
                        && !head.contains(tags.as_str())
                    {
                        head.push_str(tags);
                    }
                    None
                });
            }
            let rewrite = |in_head: bool| {
                html::visit_with_head(
                    &page.html,
                    if in_head { &head } else { "" },
                    |href, role| {
                        let url = route::absolute(&page.url, href)?;
                        let mut answered = answer(&url, role)?;
                        if !in_head
                            && role == Role::Module
                            && let Ok(Target::File { path, .. }) = route::resolve(&root, &url)
                            && let Some((_, tags)) = entry_tags.get(&path)
                        {
                            answered.before = tags.clone();
                        }
                        Some(answered)
                    },
                )
            };
            let (mut visited, in_head) = match rewrite(true) {
                Ok((html, true)) => (html, true),
                Ok((_, false)) => (
                    rewrite(false).map_or_else(|_| page.html.clone(), |(h, _)| h),
                    false,
                ),
                Err(_) => (page.html.clone(), true),
            };
            if let Some(ids) = inline_ids {
                let srcs: Vec<Option<Replacement>> = ids
                    .iter()
                    .map(|id| {
                        let (chunk, tags) = entry_tags.get(id.as_ref()?)?;
                        let before = if in_head { String::new() } else { tags.clone() };
                        Some(Replacement {
                            url: chunk.clone(),
                            before,
                        })
                    })
                    .collect();
                visited = html::externalize(&visited, &srcs);
            }
            let written = assets::replace_markers(&visited, |marked| {
                route::absolute(&page.url, marked)
                    .and_then(|url| answer(&url, Role::Asset))
                    .map_or_else(|| marked.to_string(), |r| r.url)
            });
            (page.out.clone(), written.into_bytes())
        })
        .collect();
    for (path, bytes) in pages {
        made.put(path, bytes);
    }
    for (url, path) in &crawled.linked {
        made.copy(assets::output_path(url), path)?;
    }
    let public = root.join("public");
    for file in crawl::walkdir(&public) {
        let relative = file.strip_prefix(&public).unwrap_or(&file);
        made.copy(relative.to_string_lossy().replace('\\', "/"), &file)?;
    }

    Ok((crawled.pages.len(), broken))
}

/// Bundles `entries` (file → the URL pages load it by), and says for each entry file its
/// chunk's URL and the tags that go before its `<script>`: its stylesheets and preloads.
#[allow(clippy::type_complexity)]
fn bundle_scripts(
    root: &Path,
    entries: &BTreeMap<PathBuf, String>,
    inline: BTreeMap<String, scripts::Inline>,
    options: &Options,
    made: &Arc<Made>,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<(scripts::Bundle, BTreeMap<PathBuf, (String, String)>), BuildError> {
    progress(Progress::Bundling {
        entries: entries.len(),
    });
    let asset_made = made.clone();
    let bundle = scripts::bundle(
        root,
        entries,
        inline,
        options.jsx.clone(),
        Arc::new(move |path: &Path| asset_made.asset(path).map_err(|e| e.to_string())),
    )?;
    for (path, bytes) in &bundle.files {
        made.put(path.clone(), bytes.clone());
    }
    // The stylesheets the entries' modules import, built like linked ones.
    let mut entry_tags: BTreeMap<PathBuf, (String, String)> = BTreeMap::new();
    for (file, url) in &bundle.entries {
        let mut before = String::new();
        for style in bundle.styles(url) {
            let href = made.style(&style)?;
            before.push_str(&format!("<link rel=\"stylesheet\" href=\"{href}\">"));
        }
        for chunk in bundle.preloads(url) {
            before.push_str(&format!("<link rel=\"modulepreload\" href=\"{chunk}\">"));
        }
        entry_tags.insert(file.clone(), (url.clone(), before));
    }

    Ok((bundle, entry_tags))
}

/// `files` with a `.br` and a `.gz` beside each text file that is worth it, and the report's
/// lines (the marker left out).
fn compressed(
    mut files: output::Files,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<(output::Files, Vec<report::Line>), BuildError> {
    let texts: Vec<String> = files
        .iter()
        .filter(|(path, content)| compress::wanted(path, content.len()))
        .map(|(path, _)| path.clone())
        .collect();
    progress(Progress::Compressing { files: texts.len() });
    let variants: Vec<(String, Vec<u8>, Vec<u8>)> = texts
        .par_iter()
        .map(|path| {
            let bytes = files[path]
                .bytes()
                .map_err(|e| BuildError::io(Path::new(path), e))?;
            let quality = compress::brotli_quality(path, bytes.len());
            Ok((
                path.clone(),
                compress::brotli(&bytes, quality),
                compress::gzip(&bytes, compress::gzip_level(path)),
            ))
        })
        .collect::<Result<_, BuildError>>()?;
    let mut lines: Vec<report::Line> = files
        .iter()
        .filter(|(path, _)| *path != MARKER)
        .map(|(path, content)| report::Line {
            path: path.clone(),
            size: content.len() as usize,
            gzip: None,
        })
        .collect();
    for (path, br, gz) in variants {
        if let Some(line) = lines.iter_mut().find(|l| l.path == path) {
            line.gzip = Some(gz.len());
        }
        let size = files[&path].len() as usize;
        if br.len() < size {
            files.insert(format!("{path}.br"), Content::Made(br));
        }
        if gz.len() < size {
            files.insert(format!("{path}.gz"), Content::Made(gz));
        }
    }
    Ok((files, lines))
}

/// How long each stage took, logged at debug level (`RUST_LOG=hotplate=debug`).
struct Stage(std::cell::Cell<Instant>);

impl Stage {
    fn new() -> Stage {
        Stage(std::cell::Cell::new(Instant::now()))
    }

    fn done(&self, what: &str) {
        tracing::debug!("build: {what} in {:?}", self.0.get().elapsed());
        self.0.set(Instant::now());
    }
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    }
}

fn is_script(path: &Path) -> bool {
    Kind::of(&path.to_string_lossy()) == Kind::Script
}

/// A hash of everything the build reads: every file under the root, by path and content
/// (hidden and ignored files, `node_modules`, `dist` and the output folder left out). It is
/// the pages' `version`.
fn inputs_hash(root: &Path, out: &Path) -> String {
    let mut files: Vec<PathBuf> = ignore::WalkBuilder::new(root)
        .filter_entry({
            let out = out.to_path_buf();
            let dist = root.join("dist");
            move |entry| {
                entry.path() != out && entry.path() != dist && entry.file_name() != "node_modules"
            }
        })
        .build()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_some_and(|t| t.is_file()))
        .map(|entry| entry.into_path())
        .collect();
    files.sort();
    let mut all = Vec::new();
    for file in files {
        all.extend_from_slice(
            file.strip_prefix(root)
                .unwrap_or(&file)
                .as_os_str()
                .as_encoded_bytes(),
        );
        all.push(0);
        all.extend_from_slice(assets::file_hash(&file).unwrap_or_default().as_bytes());
    }
    assets::content_hash(&all)
}

/// What the stages made so far: the output files, and the URL each source file became.
struct Made {
    root: PathBuf,
    files: Mutex<Files>,
    urls: Mutex<BTreeMap<PathBuf, String>>,
    /// `url()`s of stylesheets that nothing answers, with the stylesheet.
    broken: Mutex<Vec<Broken>>,
}

impl Made {
    fn new(root: PathBuf) -> Made {
        Made {
            root,
            files: Mutex::default(),
            urls: Mutex::default(),
            broken: Mutex::default(),
        }
    }

    fn put(&self, path: String, bytes: Vec<u8>) {
        lock(&self.files).insert(path, Content::Made(bytes));
    }

    /// `file` of the site, to be copied as it is to `path`.
    fn copy(&self, path: String, file: &Path) -> Result<(), BuildError> {
        let len = std::fs::metadata(file)
            .map_err(|e| BuildError::io(file, e))?
            .len();
        let from = file.to_path_buf();
        lock(&self.files).insert(path, Content::Copied { from, len });
        Ok(())
    }

    fn take(&self) -> Files {
        std::mem::take(&mut lock(&self.files))
    }

    fn url_of(&self, file: &Path) -> Option<String> {
        lock(&self.urls).get(file).cloned()
    }

    fn plain_url(&self, file: &Path) -> String {
        assets::plain_url(&self.root, file)
    }

    /// `file` (not a stylesheet or script): copied with a fingerprint, unless it is in
    /// `public/`, which keeps names. Returns its URL.
    fn asset(&self, file: &Path) -> std::io::Result<String> {
        if let Some(url) = self.url_of(file) {
            return Ok(url);
        }
        let plain = self.plain_url(file);
        let url = if file.starts_with(self.root.join("public")) {
            plain
        } else {
            assets::fingerprinted(&plain, &assets::file_hash(file)?)
        };
        let len = std::fs::metadata(file)?.len();
        let from = file.to_path_buf();
        lock(&self.files).insert(assets::output_path(&url), Content::Copied { from, len });
        lock(&self.urls).insert(file.to_path_buf(), url.clone());
        Ok(url)
    }

    /// The stylesheet `file`, built, with a fingerprint of what it became. Returns its URL.
    fn style(&self, file: &Path) -> Result<String, BuildError> {
        if let Some(url) = self.url_of(file) {
            return Ok(url);
        }
        if file.starts_with(self.root.join("public")) {
            return self.asset(file).map_err(|why| BuildError::io(file, why));
        }
        let asset = |href: &str, from: &Path| {
            let from_url = self.plain_url(from);
            let url = route::absolute(&from_url, href)?;
            match route::resolve(&self.root, &url) {
                Ok(Target::File { path, .. }) => self.asset(&path).ok(),
                _ => {
                    lock(&self.broken).push(Broken {
                        page: from_url,
                        url,
                    });
                    None
                }
            }
        };
        let css = if css_modules::is_css_module(&file.to_string_lossy()) {
            styles::build_module(&self.root, file, asset)?
        } else {
            styles::build(&self.root, file, asset)?
        };
        let url =
            assets::fingerprinted(&self.plain_url(file), &assets::content_hash(css.as_bytes()));
        self.put(assets::output_path(&url), css.into_bytes());
        lock(&self.urls).insert(file.to_path_buf(), url.clone());
        Ok(url)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
