//! What a script or stylesheet becomes, with no HTTP: the state the dev server's module layer
//! (and the build) share to turn a file into the module the browser runs.
//!
//! 1. **Compile** ([`crate::rewrite::ts`]): TypeScript and JSX, with the settings of the
//!    nearest `tsconfig.json` ([`resolve`]), once per version of the file; with Fast Refresh,
//!    React and Preact components are wrapped to re-render in place
//!    ([`crate::rewrite::refresh`]).
//! 2. **Analyse** ([`crate::rewrite::js`]): what a module imports and accepts, once per version.
//! 3. **Resolve** ([`resolve`]): what each specifier names on disk, as TypeScript and Node
//!    find it.
//!    A module that names `import.meta.env` gets a prologue that sets it ([`mod@env`]).
//!    `import.meta.glob` calls become the imports of what they match ([`glob`]).
//! 4. **CSS Modules** ([`css_modules`]): a `*.module.css` file's class names, scoped.
//! 5. **Helpers** ([`helpers`]): what oxc's transformer imports, answered by hotplate when the
//!    app does not install it.
//! 6. **Asset queries** ([`queries`]): `?url`, `?raw`, `?inline`, `?worker`, as in Vite.
//! 7. **Packages** ([`npm`]): an ES-module package file is served as it is, under a URL keyed
//!    by the lockfile; a CommonJS one is converted with the project's others ([`optimize`]).
//!
//! What none of these can compile (Vue, Svelte, Solid's JSX) is said plainly
//! ([`frameworks`]).
//!
//! [`Modules`] holds the caches of each step. It reports what cannot be read (a broken
//! `tsconfig.json`, a package rolldown cannot convert) through an [`Overlay`] and knows
//! nothing else of the server.

pub mod css_modules;
pub mod env;
pub mod frameworks;
pub mod glob;
pub mod helpers;
pub mod npm;
pub mod optimize;
pub mod queries;
pub mod resolve;

use crate::base::{ErrorReport, SitePath};
use crate::problems::Overlay;
use crate::rewrite::js::{Analysis, AnalysisCache, AnalysisError};
use crate::rewrite::refresh::{Framework, Refresh};
use crate::rewrite::ts::{self, TransformCache};
use env::Env;
use optimize::Optimizer;
use resolve::{Resolver, TsconfigError};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

/// A script as the browser gets it, before its specifiers are written as URLs.
pub struct Script {
    /// Compiled, with its prologues and its globs expanded.
    pub code: String,
    /// What it imports and accepts.
    pub analysis: Arc<Analysis>,
    /// Its `import.meta.glob` patterns, relative to the root ([`glob`]).
    pub globs: Vec<String>,
}

/// The module state of one site: caches of each step, and what the pages' import maps map.
pub struct Modules {
    root: PathBuf,
    /// Where packages are found: the site root, or the root of the workspace it is in
    /// ([`npm::packages_root`]).
    packages: PathBuf,
    /// What each script names and accepts, parsed once per version of the file.
    pub scripts: AnalysisCache,
    /// TypeScript and JSX compiled, once per version of the file and its JSX settings.
    pub transforms: TransformCache,
    /// What specifiers name on disk, and the JSX settings of each `tsconfig.json`.
    pub resolver: Resolver,
    /// CommonJS packages converted into ES modules.
    pub optimizer: Optimizer,
    /// The lockfile's hash, which versions the URLs of npm packages.
    npm_key: RwLock<String>,
    /// What the import maps of the documents served so far map: hotplate leaves those
    /// specifiers to the page.
    import_mapped: RwLock<BTreeSet<String>>,
    /// Where a `tsconfig.json` that cannot be read, or a package that cannot be converted, is
    /// shown.
    overlay: Overlay,
    /// With Fast Refresh: where hotplate's client files are served (`/__hotplate/<boot>/`).
    refresh_runtime: Option<String>,
    /// What `import.meta.env` holds, read from the root's `.env` files.
    env: RwLock<Arc<Env>>,
}

impl Modules {
    /// The module state of the site at `root` (canonical), with the `--jsx*` flags.
    pub fn new(root: &Path, jsx: ts::JsxOptionsWritten, overlay: Overlay) -> Modules {
        let packages = npm::packages_root(root);
        Modules {
            root: root.to_path_buf(),
            scripts: AnalysisCache::default(),
            transforms: TransformCache::default(),
            resolver: Resolver::new(jsx),
            optimizer: Optimizer::new(root),
            npm_key: RwLock::new(npm::lock_key(&packages)),
            packages,
            import_mapped: RwLock::default(),
            overlay,
            refresh_runtime: None,
            env: RwLock::new(Arc::new(Env::load(root, "development"))),
        }
    }

    /// With Fast Refresh, in a React project (`react-dom` is installed): the URL of React's
    /// refresh runtime, which every page loads before its own modules, as Vite's preamble: the
    /// renderer must find the runtime's hook as it loads, whatever module the page starts
    /// with. (Component modules import it too, so pages hotplate does not see still get it.)
    pub fn refresh_preamble(&self) -> Option<String> {
        let folder = self.refresh_runtime.as_deref()?;
        // Resolved from the root, which finds the workspace root's packages too.
        let react_dom = self
            .resolver
            .resolve(&self.root.join("index.html"), "react-dom")?;
        npm::is_package_file(&self.packages, &react_dom)
            .then(|| format!("{folder}{}", Framework::React.runtime_file()))
    }

    /// Reads the `.env` files again (one changed).
    pub fn reload_env(&self) {
        let env = Arc::new(Env::load(&self.root, "development"));
        *self.env.write().unwrap_or_else(PoisonError::into_inner) = env;
    }

    /// These modules with Fast Refresh: React and Preact components are compiled to re-render
    /// in place, with the runtime served from `runtime_folder` (`/__hotplate/<boot>/`).
    pub fn with_fast_refresh(mut self, runtime_folder: String) -> Modules {
        self.refresh_runtime = Some(runtime_folder);
        self
    }

    /// The site's root, which the module paths are relative to.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where packages are found and served from: the site root, or its workspace's.
    pub fn packages_root(&self) -> &Path {
        &self.packages
    }

    /// The site file `site`, with this `source`, compiled when it is TypeScript or JSX, its
    /// `import.meta.env` set and `import.meta.glob` calls expanded, and analysed: the code the
    /// browser runs, what it imports and accepts, and what it globs.
    pub fn analyze_script(&self, site: &SitePath, source: String) -> Result<Script, AnalysisError> {
        let code = if ts::is_compiled(site.as_str()) {
            let file = self.root.join(site.as_str());
            let (mut settings, problem) = self.resolver.compile_settings(&file);
            self.note_tsconfig(problem);
            if let ts::Jsx::Automatic { import_source, .. } = &settings.jsx
                && let Some(why) = frameworks::unsupported_jsx(site.as_str(), import_source)
            {
                return Err(AnalysisError::Unsupported(why));
            }
            // As Vite's React plugin: only a file with JSX holds components to refresh (a `.ts`
            // module's capitalized functions are not components, and its importers update).
            settings.refresh = self
                .refresh_runtime
                .as_deref()
                .filter(|_| ts::has_jsx(site.as_str()))
                .zip(settings.jsx.framework())
                .filter(|(_, framework)| {
                    self.resolver.resolve(&file, framework.package()).is_some()
                })
                .map(|(folder, framework)| Refresh {
                    framework,
                    runtime_folder: folder.to_string(),
                });
            self.transforms
                .transform(site.as_str(), &source, &settings)?
                .to_string()
        } else {
            source
        };
        let code = if code.contains("import.meta.env") {
            let env = self
                .env
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            env.prologue() + &code
        } else {
            code
        };
        let (code, globs) = if code.contains("import.meta.glob") {
            // Parsed before the analysis that checks its limits: checked here first.
            crate::rewrite::js::check_limits(&code)?;
            let (file, root) = (self.root.join(site.as_str()), self.root.clone());
            let globbed = crate::pool::on_big_stack(move || {
                glob::expand(&code, &file, &root).map(|expanded| expanded.ok_or(code))
            })
            .map_err(AnalysisError::Syntax)?;
            match globbed {
                Ok(expanded) => (expanded.code, expanded.patterns),
                Err(code) => (code, Vec::new()),
            }
        } else {
            (code, Vec::new())
        };
        let analysis = self.scripts.analyze(site.as_str(), &code)?;
        Ok(Script {
            code,
            analysis,
            globs,
        })
    }

    /// Shows a `tsconfig.json` that cannot be read in the overlay (the files under it compile
    /// with the default settings meanwhile); the pipeline clears it when the file changes.
    fn note_tsconfig(&self, problem: Option<TsconfigError>) {
        let Some(problem) = problem else { return };
        let file = problem
            .tsconfig
            .strip_prefix(&self.root)
            .unwrap_or(&problem.tsconfig)
            .to_string_lossy()
            .replace('\\', "/");
        let report = ErrorReport::about_file(
            &file,
            format!(
                "{file} cannot be read, so TypeScript and JSX compile with the default settings \
                 until it is fixed: {}",
                problem.message
            ),
        );
        self.overlay
            .report(&TsconfigError::problem_source(&file), report);
    }

    /// Whether the package file `real` is an ES module (see [`npm::is_es_module`]).
    pub fn is_es_module(&self, real: &Path) -> bool {
        npm::is_es_module(&self.scripts, real)
    }

    /// The URL of the CommonJS package `specifier`, whose file is `entry`, converted (see
    /// [`Optimizer::url`]).
    pub fn optimized_url(&self, specifier: &str, entry: &Path) -> String {
        self.optimizer.url(self, specifier, entry)
    }

    /// The key in the URLs of npm packages: a hash of the lockfile.
    pub fn npm_key(&self) -> String {
        self.npm_key
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Reads the lockfile again (it changed).
    pub fn refresh_npm_key(&self) {
        let key = npm::lock_key(&self.packages);
        *self.npm_key.write().unwrap_or_else(PoisonError::into_inner) = key;
    }

    /// Remembers what a document's import map maps.
    pub fn note_import_map(&self, keys: &[String]) {
        if keys.is_empty() {
            return;
        }
        self.import_mapped
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(keys.iter().cloned());
    }

    /// Whether a page's import map maps the bare `specifier`: by its own name, or by a prefix
    /// ending in `/` (`lib/` maps `lib/x.js`).
    pub fn is_import_mapped(&self, specifier: &str) -> bool {
        let mapped = self
            .import_mapped
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        mapped.contains(specifier)
            || mapped
                .iter()
                .any(|key| key.ends_with('/') && specifier.starts_with(key.as_str()))
    }

    /// Where a problem with the modules is shown.
    pub(crate) fn overlay(&self) -> &Overlay {
        &self.overlay
    }
}
