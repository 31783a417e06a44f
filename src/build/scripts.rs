//! The script stage of the build: every module script the pages load, bundled in one rolldown
//! run with code splitting (a module two pages share is one chunk), minified, with
//! `process.env.NODE_ENV` as `"production"`, `import.meta.hot` as `undefined` (so the hot
//! branches go) and `import.meta.env` as the production environment
//! ([`crate::modules::env`]), and a source map beside each chunk.
//!
//! The modules are what the dev server serves, through a rolldown plugin ([`SitePlugin`]):
//! - a specifier is resolved by [`crate::modules::resolve`], the dev server's resolver (the
//!   tsconfig's `paths`, `.js` naming a `.ts`, packages), with `production` as the export
//!   condition; `/x.ts` is a URL of the site, routed as a request;
//! - TypeScript and JSX are compiled by [`crate::rewrite::ts`] with the nearest tsconfig's
//!   settings and the `--jsx*` flags, as in dev;
//! - a stylesheet a module imports is noted for its chunk (the caller builds and links it)
//!   and adds no code;
//! - oxc's helpers (`@oxc-project/runtime/helpers/decorate`) are hotplate's own when the app
//!   does not install them ([`crate::modules::helpers`]);
//! - any other file a module imports (`import logo from './logo.svg'`), or names with
//!   `new URL('./logo.svg', import.meta.url)`, is its URL with a fingerprint, which the caller
//!   gives.

use crate::modules::env::Env;
use crate::modules::queries::{self, AssetQuery};
use crate::modules::resolve::Resolver;
use crate::modules::{css_modules, frameworks, glob, helpers};
use crate::rewrite::{js, ts};
use crate::site::route::{self, Target};
use arcstr::ArcStr;
use rolldown::plugin::{
    HookLoadArgs, HookLoadOutput, HookLoadReturn, HookResolveIdArgs, HookResolveIdOutput,
    HookResolveIdReturn, HookTransformArgs, HookTransformOutput, HookTransformReturn, HookUsage,
    Plugin, PluginContext, SharedLoadPluginContext, SharedTransformPluginContext,
};
use rolldown::{
    Bundler, BundlerOptions, HashCharacters, InputItem, ModuleType, OutputFormat, Platform,
    RawMinifyOptions, SourceMapType,
};
use rolldown_common::Output;
use rolldown_common::side_effects::HookSideEffects;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The id of one of hotplate's own helpers for oxc's output ([`helpers`]): rolldown's
/// convention for a virtual module, which no file has.
const HELPER_ID: &str = "\0hotplate:helper:";

/// Gives the URL (with its fingerprint) of a file a module imports that is not a module.
pub type AssetUrl = Arc<dyn Fn(&Path) -> Result<String, String> + Send + Sync>;

/// What the pages' module scripts became.
#[derive(Debug, Default)]
pub struct Bundle {
    /// The chunks and their maps, by path under the output folder.
    pub files: Vec<(String, Vec<u8>)>,
    /// Each entry (its file) → its chunk's URL.
    pub entries: BTreeMap<PathBuf, String>,
    /// Each chunk's URL → the chunks it imports statically (URLs) and the stylesheets its
    /// modules import (files, in order).
    pub chunks: BTreeMap<String, Chunk>,
}

#[derive(Debug, Default)]
pub struct Chunk {
    pub imports: Vec<String>,
    pub dynamic_imports: Vec<String>,
    pub styles: Vec<PathBuf>,
}

impl Bundle {
    /// The chunks `entry` (a chunk's URL) loads before it runs, itself left out: what its
    /// `<link rel=modulepreload>`s name.
    pub fn preloads(&self, entry: &str) -> Vec<String> {
        let mut seen = BTreeSet::new();
        let mut order = Vec::new();
        let mut stack = vec![entry.to_string()];
        while let Some(url) = stack.pop() {
            if !seen.insert(url.clone()) {
                continue;
            }
            if url != entry {
                order.push(url.clone());
            }
            if let Some(chunk) = self.chunks.get(&url) {
                stack.extend(chunk.imports.iter().rev().cloned());
            }
        }
        order
    }

    /// The stylesheets `entry` needs, in order: those of its chunk, of the chunks it imports,
    /// and of those it may import later (linked up front: the page shows styled at once).
    pub fn styles(&self, entry: &str) -> Vec<PathBuf> {
        let mut seen = BTreeSet::new();
        let mut styles = Vec::new();
        let mut stack = vec![entry.to_string()];
        while let Some(url) = stack.pop() {
            if !seen.insert(url.clone()) {
                continue;
            }
            if let Some(chunk) = self.chunks.get(&url) {
                for style in &chunk.styles {
                    if !styles.contains(style) {
                        styles.push(style.clone());
                    }
                }
                stack.extend(chunk.dynamic_imports.iter().rev().cloned());
                stack.extend(chunk.imports.iter().rev().cloned());
            }
        }
        styles
    }
}

/// A script that did not bundle: rolldown's diagnostics, or the file that did not compile.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ScriptError {
    pub message: String,
    pub report: Option<Box<crate::base::ErrorReport>>,
}

/// An inline `<script type="module">` of a page, bundled as an entry of its own.
#[derive(Clone, Debug)]
pub struct Inline {
    pub text: String,
    /// The URL of the page it is in: its relative imports are relative to it.
    pub page: String,
}

/// Bundles `entries` (files under `root`, each with the URL a page loads it by; or an id of
/// `inline`, with the URL its chunk is named after).
pub fn bundle(
    root: &Path,
    entries: &BTreeMap<PathBuf, String>,
    inline: BTreeMap<String, Inline>,
    jsx_flags: ts::JsxOptionsWritten,
    asset: AssetUrl,
) -> Result<Bundle, ScriptError> {
    if entries.is_empty() {
        return Ok(Bundle::default());
    }
    let input = entries
        .iter()
        .map(|(file, url)| InputItem {
            name: Some(chunk_name(url)),
            import: file.to_string_lossy().into_owned(),
        })
        .collect();
    let options = BundlerOptions {
        input: Some(input),
        cwd: Some(root.to_path_buf()),
        format: Some(OutputFormat::Esm),
        platform: Some(Platform::Browser),
        entry_filenames: Some("[name].[hash].js".to_string().into()),
        chunk_filenames: Some("assets/[name].[hash].js".to_string().into()),
        hash_characters: Some(HashCharacters::Hex),
        sourcemap: Some(SourceMapType::File),
        minify: Some(RawMinifyOptions::Bool(true)),
        define: Some(
            [
                ("process.env.NODE_ENV", "\"production\""),
                ("import.meta.hot", "undefined"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .chain(Env::load(root, "production").defines())
            .collect(),
        ),
        ..Default::default()
    };
    let plugin = Arc::new(SitePlugin {
        root: root.to_path_buf(),
        resolver: Resolver::for_build(jsx_flags),
        asset,
        inline,
        failure: Mutex::new(None),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|err| ScriptError {
            message: err.to_string(),
            report: None,
        })?;
    let shared = plugin.clone();
    let generated = runtime.block_on(async move {
        let mut bundler = Bundler::with_plugins(options, vec![shared])?;
        let generated = bundler.generate().await;
        let _ = bundler.close().await;
        generated
    });
    let output = match generated {
        Ok(output) => output,
        Err(diagnostics) => {
            let failure = plugin
                .failure
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            return Err(match failure {
                Some(Failure { message, report }) => ScriptError {
                    message,
                    report: report.map(Box::new),
                },
                None => ScriptError {
                    message: diagnostics
                        .iter()
                        .map(|d| d.to_diagnostic().to_string())
                        .collect::<Vec<_>>()
                        .join("\n"),
                    report: None,
                },
            });
        }
    };
    let mut bundle = Bundle::default();
    for item in output.assets {
        match item {
            Output::Chunk(chunk) => {
                let url = format!("/{}", chunk.filename);
                if chunk.is_entry
                    && let Some(facade) = &chunk.facade_module_id
                {
                    bundle
                        .entries
                        .insert(PathBuf::from(facade.as_str()), url.clone());
                }
                let styles = chunk
                    .module_ids
                    .iter()
                    .map(|id| PathBuf::from(id.as_str()))
                    .filter(|path| is_style(path))
                    .collect();
                bundle.chunks.insert(
                    url,
                    Chunk {
                        imports: chunk.imports.iter().map(|f| format!("/{f}")).collect(),
                        dynamic_imports: chunk
                            .dynamic_imports
                            .iter()
                            .map(|f| format!("/{f}"))
                            .collect(),
                        styles,
                    },
                );
                bundle
                    .files
                    .push((chunk.filename.to_string(), chunk.code.clone().into_bytes()));
                if let (Some(map), Some(name)) = (&chunk.map, &chunk.sourcemap_filename) {
                    bundle
                        .files
                        .push((name.clone(), map.to_json_string().into_bytes()));
                }
            }
            Output::Asset(asset) => {
                if !bundle
                    .files
                    .iter()
                    .any(|(name, _)| **name == *asset.filename)
                {
                    bundle
                        .files
                        .push((asset.filename.to_string(), asset.source.as_bytes().to_vec()));
                }
            }
        }
    }
    Ok(bundle)
}

/// The name of an entry's chunk: its URL path without the leading slash and the extension
/// (`/src/main.tsx` → `src/main`), so the output keeps the site's layout.
fn chunk_name(url: &str) -> String {
    let path = url.trim_start_matches('/');
    match path.rsplit_once('.') {
        Some((stem, _)) if !stem.ends_with('/') => stem.to_string(),
        _ => path.to_string(),
    }
}

fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

fn is_style(path: &Path) -> bool {
    extension(path) == "css"
}

/// What rolldown reads as code itself.
fn is_code(path: &Path) -> bool {
    matches!(
        extension(path).as_str(),
        "js" | "mjs" | "cjs" | "ts" | "mts" | "cts" | "tsx" | "jsx" | "json"
    )
}

/// The dev server's stages, as rolldown hooks.
struct SitePlugin {
    root: PathBuf,
    resolver: Resolver,
    asset: AssetUrl,
    /// The pages' inline module scripts, by their entry ids.
    inline: BTreeMap<String, Inline>,
    /// The first thing the plugin failed on: said plainly (rolldown's diagnostic would carry
    /// the plugin's error with its backtrace).
    failure: Mutex<Option<Failure>>,
}

impl std::fmt::Debug for SitePlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SitePlugin")
            .field("root", &self.root)
            .finish()
    }
}

/// What the plugin failed on.
struct Failure {
    message: String,
    report: Option<crate::base::ErrorReport>,
}

impl SitePlugin {
    /// Notes the first failure, and gives rolldown an error to stop with.
    fn fail(&self, message: String, report: Option<crate::base::ErrorReport>) -> anyhow::Error {
        let error = anyhow::Error::msg(message.clone());
        self.failure
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get_or_insert(Failure { message, report });
        error
    }

    fn site_path(&self, file: &Path) -> String {
        file.strip_prefix(&self.root)
            .unwrap_or(file)
            .to_string_lossy()
            .replace('\\', "/")
    }
}

impl SitePlugin {
    /// `code` (the module at `file`) with each `new URL('./x', import.meta.url)` naming the
    /// file's fingerprinted URL; a script (`new Worker(new URL('./work.ts', import.meta.url))`)
    /// is bundled as a chunk of its own, and named by its chunk's URL. A module that does not
    /// parse is left to rolldown to report.
    fn new_urls(&self, ctx: &PluginContext, file: &Path, code: &str) -> anyhow::Result<String> {
        let Ok(analysis) = js::analyze(code) else {
            return Ok(code.to_string());
        };
        let base = super::assets::plain_url(&self.root, file);
        let mut out = String::with_capacity(code.len());
        let mut cursor = 0;
        for specifier in analysis.specifiers.iter().filter(|s| s.as_url) {
            let Some(url) = route::absolute(&base, &specifier.text) else {
                continue;
            };
            let Ok(Target::File { path, .. }) = route::resolve(&self.root, &url) else {
                return Err(self.fail(
                    format!(
                        "{}: new URL({:?}, import.meta.url) names nothing",
                        self.site_path(file),
                        specifier.text
                    ),
                    None,
                ));
            };
            let built = if is_code(&path) {
                self.chunk_url(ctx, &path)?
            } else {
                let built = (self.asset)(&path).map_err(|why| self.fail(why, None))?;
                serde_json::to_string(&built)?
            };
            out.push_str(&code[cursor..specifier.start as usize]);
            out.push_str(&built);
            cursor = specifier.end as usize;
        }
        out.push_str(&code[cursor..]);
        Ok(out)
    }

    /// The id `specifier`, written in `importer`, names (`None`: rolldown's own resolution):
    /// the inline modules of pages, URLs of the site, what [`Resolver`] finds, and hotplate's
    /// helpers when the app does not have oxc's.
    fn resolve(&self, written: &str, importer: Option<&str>, is_entry: bool) -> Option<String> {
        if self.inline.contains_key(written) {
            return Some(written.to_string());
        }
        let specifier = written.split(['?', '#']).next().unwrap_or("");
        if is_entry || specifier.is_empty() || specifier.contains("://") {
            return None;
        }
        let id = |path: PathBuf| path.to_string_lossy().into_owned();
        // From a page's inline script: a path is relative to the page's URL, as in the browser.
        if let Some(page) = importer.and_then(|id| self.inline.get(id))
            && (specifier.starts_with('.') || specifier.starts_with('/'))
        {
            return route::absolute(&page.page, specifier).and_then(|url| {
                match route::resolve(&self.root, &url) {
                    Ok(Target::File { path, .. }) => Some(id(path)),
                    _ => None,
                }
            });
        }
        if specifier.starts_with('/') && !specifier.starts_with("//") {
            return match route::resolve(&self.root, specifier) {
                Ok(Target::File { path, .. }) => Some(id(path)),
                _ => None,
            };
        }
        match self.resolver.resolve(Path::new(importer?), specifier) {
            Some(path) => Some(id(path)),
            // oxc's helpers, when the app does not install them: hotplate's own.
            None => helpers::named(specifier).map(|name| format!("{HELPER_ID}{name}")),
        }
    }

    /// `code`, the module at `path` (compiled), as the dev server has it too: its
    /// `import.meta.glob` calls expanded ([`glob`]) and its `new URL(…, import.meta.url)`s
    /// naming what the build made.
    fn finish(&self, ctx: &PluginContext, path: &Path, code: String) -> anyhow::Result<String> {
        let code = if code.contains("import.meta.glob") {
            if let Err(js::AnalysisError::Refused(why)) = js::check_limits(&code) {
                return Err(self.fail(format!("{} {why}", self.site_path(path)), None));
            }
            let (file, root) = (path.to_path_buf(), self.root.clone());
            let expanded = crate::pool::on_big_stack(move || {
                glob::expand(&code, &file, &root).map(|expanded| expanded.map_or(code, |e| e.code))
            });
            expanded.map_err(|error| {
                let site = self.site_path(path);
                let report = error.report(&crate::base::SitePath::new(&site));
                self.fail(report.one_line(), Some(report))
            })?
        } else {
            code
        };
        if code.contains("import.meta.url") {
            self.new_urls(ctx, path, &code)
        } else {
            Ok(code)
        }
    }

    /// The script `path` bundled as a chunk of its own (a worker's), as an expression of its
    /// URL that rolldown writes once the chunk has its name.
    fn chunk_url(&self, ctx: &PluginContext, path: &Path) -> anyhow::Result<String> {
        let name = chunk_name(&super::assets::plain_url(&self.root, path));
        let reference = ctx.emit_chunk(rolldown_common::EmittedChunk {
            name: Some(ArcStr::from(name)),
            id: path.to_string_lossy().into_owned(),
            ..rolldown_common::EmittedChunk::default()
        })?;
        Ok(format!("import.meta.ROLLDOWN_FILE_URL_{reference}"))
    }

    /// The module a file imported with one of Vite's asset queries is ([`queries`]).
    fn queried(
        &self,
        ctx: &PluginContext,
        path: &Path,
        query: AssetQuery,
    ) -> anyhow::Result<String> {
        let read = || {
            std::fs::read(path)
                .map_err(|err| self.fail(format!("{}: {err}", self.site_path(path)), None))
        };
        Ok(match query {
            AssetQuery::Url => {
                queries::string_module(&(self.asset)(path).map_err(|why| self.fail(why, None))?)
            }
            AssetQuery::Raw => queries::string_module(&String::from_utf8_lossy(&read()?)),
            AssetQuery::Inline if is_style(path) => {
                let asset = |href: &str, from: &Path| {
                    let url = route::absolute(&super::assets::plain_url(&self.root, from), href)?;
                    match route::resolve(&self.root, &url) {
                        Ok(Target::File { path, .. }) => (self.asset)(&path).ok(),
                        _ => None,
                    }
                };
                let css = if css_modules::is_css_module(&path.to_string_lossy()) {
                    super::styles::build_module(&self.root, path, asset)
                } else {
                    super::styles::build(&self.root, path, asset)
                }
                .map_err(|err| self.fail(err.to_string(), Some(*err.report)))?;
                queries::string_module(&css)
            }
            AssetQuery::Inline => {
                queries::string_module(&queries::data_url(&path.to_string_lossy(), &read()?))
            }
            AssetQuery::Worker | AssetQuery::SharedWorker => queries::worker_module(
                &self.chunk_url(ctx, path)?,
                query == AssetQuery::SharedWorker,
            ),
        })
    }
}

impl Plugin for SitePlugin {
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("hotplate:site")
    }

    async fn resolve_id(
        &self,
        _ctx: &PluginContext,
        args: &HookResolveIdArgs<'_>,
    ) -> HookResolveIdReturn {
        let resolved = self.resolve(args.specifier, args.importer, args.is_entry);
        // `./a.svg?url`: the file, with the query on its id for `load`.
        Ok(resolved.map(|id| {
            HookResolveIdOutput::from_id(match AssetQuery::of_specifier(args.specifier) {
                Some(query) => format!("{id}?{}", query.flag()),
                None => id,
            })
        }))
    }

    async fn load(&self, ctx: SharedLoadPluginContext, args: &HookLoadArgs<'_>) -> HookLoadReturn {
        if let Some((path, query)) = args.id.split_once('?')
            && let Some(query) = AssetQuery::of(Some(query))
        {
            let code = self.queried(&ctx, Path::new(path), query)?;
            return Ok(Some(HookLoadOutput {
                code: ArcStr::from(code),
                module_type: Some(ModuleType::Js),
                ..HookLoadOutput::default()
            }));
        }
        if let Some(source) = args.id.strip_prefix(HELPER_ID).and_then(helpers::source) {
            return Ok(Some(HookLoadOutput {
                code: ArcStr::from(source),
                module_type: Some(ModuleType::Js),
                ..HookLoadOutput::default()
            }));
        }
        if let Some(inline) = self.inline.get(args.id) {
            return Ok(Some(HookLoadOutput {
                code: ArcStr::from(inline.text.as_str()),
                module_type: Some(ModuleType::Js),
                ..HookLoadOutput::default()
            }));
        }
        if let Some(why) = frameworks::unsupported_file(&self.site_path(Path::new(args.id))) {
            return Err(self.fail(why, None));
        }
        let path = Path::new(args.id);
        if is_style(path) && css_modules::is_css_module(args.id) {
            // Its class names, as its stylesheet (built and linked by the caller) has them.
            let source = std::fs::read_to_string(path)?;
            let scoped = css_modules::scope(
                &self.site_path(path),
                &source,
                css_modules::Output { minify: true },
            )
            .map_err(|report| self.fail(report.one_line(), None))?;
            return Ok(Some(HookLoadOutput {
                code: ArcStr::from(css_modules::module_code(&scoped.names)),
                module_type: Some(ModuleType::Js),
                side_effects: Some(HookSideEffects::NoTreeshake),
                ..HookLoadOutput::default()
            }));
        }
        if is_style(path) {
            // Its stylesheet is linked by the page; in the chunk it is only a mark.
            return Ok(Some(HookLoadOutput {
                code: ArcStr::from(""),
                module_type: Some(ModuleType::Js),
                side_effects: Some(HookSideEffects::NoTreeshake),
                ..HookLoadOutput::default()
            }));
        }
        if is_code(path) || !path.is_file() {
            return Ok(None);
        }
        let url = (self.asset)(path).map_err(|why| self.fail(why, None))?;
        let code = format!("export default {};\n", serde_json::to_string(&url)?);
        Ok(Some(HookLoadOutput {
            code: ArcStr::from(code),
            module_type: Some(ModuleType::Js),
            ..HookLoadOutput::default()
        }))
    }

    async fn transform(
        &self,
        ctx: SharedTransformPluginContext,
        args: &HookTransformArgs<'_>,
    ) -> HookTransformReturn {
        let path = Path::new(args.id);
        let ours = path.is_file() && !args.id.contains("/node_modules/");
        if !ts::is_compiled(args.id) {
            if !ours
                || !(args.code.contains("import.meta.url")
                    || args.code.contains("import.meta.glob"))
            {
                return Ok(None);
            }
            let code = self.finish(&ctx, path, args.code.to_string())?;
            return Ok((code != args.code.as_str()).then(|| HookTransformOutput {
                code: Some(code),
                ..HookTransformOutput::default()
            }));
        }
        if !ours {
            return Ok(None);
        }
        let (settings, tsconfig_error) = self.resolver.compile_settings(path);
        if let Some(error) = tsconfig_error {
            let message = format!("{}: {}", self.site_path(&error.tsconfig), error.message);
            return Err(self.fail(message, None));
        }
        if let ts::Jsx::Automatic { import_source, .. } = &settings.jsx
            && let Some(why) = frameworks::unsupported_jsx(&self.site_path(path), import_source)
        {
            return Err(self.fail(why, None));
        }
        let source = args.code.to_string();
        if let Err(js::AnalysisError::Refused(why)) = js::check_limits(&source) {
            return Err(self.fail(format!("{} {why}", self.site_path(path)), None));
        }
        let name = args.id.to_string();
        let compiled =
            crate::pool::on_big_stack(move || ts::compile_mapped(&name, &source, &settings));
        match compiled {
            Ok((code, map)) => Ok(Some(HookTransformOutput {
                code: Some(self.finish(&ctx, path, code)?),
                map: map.map_or_else(Default::default, Into::into),
                module_type: Some(ModuleType::Js),
                ..HookTransformOutput::default()
            })),
            Err(error) => {
                let site = self.site_path(path);
                let report = error.report(&crate::base::SitePath::new(&site));
                Err(self.fail(report.one_line(), Some(report)))
            }
        }
    }

    fn register_hook_usage(&self) -> HookUsage {
        HookUsage::ResolveId | HookUsage::Load | HookUsage::Transform
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_chunk_is_named_after_its_url() {
        assert_eq!(chunk_name("/src/main.tsx"), "src/main");
        assert_eq!(chunk_name("/app.js"), "app");
        assert_eq!(chunk_name("/vendor/lib"), "vendor/lib");
    }

    #[test]
    fn preloads_follow_static_imports_and_styles_follow_dynamic_ones_too() {
        let chunk = |imports: &[&str], dynamic: &[&str], styles: &[&str]| Chunk {
            imports: imports.iter().map(|s| s.to_string()).collect(),
            dynamic_imports: dynamic.iter().map(|s| s.to_string()).collect(),
            styles: styles.iter().map(PathBuf::from).collect(),
        };
        let bundle = Bundle {
            chunks: [
                ("/main.js", chunk(&["/a.js"], &["/lazy.js"], &["main.css"])),
                ("/a.js", chunk(&["/b.js"], &[], &["a.css"])),
                ("/b.js", chunk(&[], &[], &["a.css", "b.css"])),
                ("/lazy.js", chunk(&[], &[], &["lazy.css"])),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
            ..Bundle::default()
        };
        assert_eq!(bundle.preloads("/main.js"), ["/a.js", "/b.js"]);
        assert_eq!(
            bundle.styles("/main.js"),
            ["main.css", "a.css", "b.css", "lazy.css"].map(PathBuf::from)
        );
    }
}
