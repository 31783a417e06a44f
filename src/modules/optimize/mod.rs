//! The optimize stage: CommonJS packages (React, react-dom) turned into ES modules with named
//! exports, once, by rolldown, and kept on disk under `node_modules/.hotplate/`.
//!
//! 1. **Scan.** The first time a module imports a CommonJS package, the project's own scripts
//!    are read for every bare import ([`Optimizer::url`]), so that every CommonJS dependency
//!    is known before anything is built. (Two builds would give react-dom a React of its own.)
//! 2. **Name.** For each, hotplate writes an entry that re-exports it by name: the names are
//!    read statically, as Node reads them ([`exports`]), following re-exports.
//! 3. **Build.** One rolldown run bundles all the entries as ES modules with code splitting, so
//!    what they share (React) is one chunk, with `process.env.NODE_ENV` = `"development"`.
//!    A package rolldown cannot build is left out, and the overlay names it.
//! 4. **Serve.** `/__hotplate/deps/<name>.js?v=<key>`, cached for good: the key hashes the
//!    lockfile and the set of packages. The build is reused across restarts while the key is
//!    the same (`node_modules/.hotplate/_metadata.json`).
//!
//! A CommonJS import found after the build adds its package: the pages reload and the next
//! request builds again, as Vite does.

pub mod exports;

use super::Modules;
use super::npm;
use crate::base::{ErrorReport, Kind, Message, SitePath};
use crate::rewrite::js;
use rolldown::{Bundler, BundlerOptions, InputItem, OutputFormat, Platform};
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

/// Where optimized dependencies are served.
pub use crate::protocol::DEPS_PREFIX as PREFIX;

/// Where they are kept, under the root.
pub(crate) const CACHE: &str = "node_modules/.hotplate";

/// How many of the project's scripts the scan reads at most.
const SCAN_LIMIT: usize = 5_000;

/// How deep re-exports are followed for names.
const REEXPORT_DEPTH: usize = 16;

/// The CommonJS dependencies of one root, and their build.
pub struct Optimizer {
    root: PathBuf,
    state: Mutex<State>,
    /// Whether the project was scanned; held while it is, so that no URL is handed out from
    /// a set still being found (its key would differ).
    scanned: Mutex<bool>,
    /// Held while building: requests that arrive meanwhile wait for the same build.
    building: Mutex<()>,
}

#[derive(Default)]
struct State {
    /// Bare specifiers that name CommonJS packages, and the file each resolves to.
    wanted: BTreeMap<String, PathBuf>,
    /// The key of what is on disk, and the packages that failed to build, with why.
    built: Option<(String, BTreeMap<String, String>)>,
}

impl Optimizer {
    pub fn new(root: &Path) -> Optimizer {
        Optimizer {
            root: root.to_path_buf(),
            state: Mutex::default(),
            scanned: Mutex::default(),
            building: Mutex::default(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The URL of the optimized `specifier`, a bare import found to name the CommonJS file
    /// `entry`. The first call scans the project for the others.
    pub fn url(&self, modules: &Modules, specifier: &str, entry: &Path) -> String {
        {
            let mut scanned = self
                .scanned
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if !*scanned {
                let found = scan_project(modules);
                let mut state = self.state();
                for (specifier, file) in found {
                    state.wanted.entry(specifier).or_insert(file);
                }
                *scanned = true;
            }
        }
        let mut state = self.state();
        let added = state
            .wanted
            .insert(specifier.to_string(), entry.to_path_buf())
            .is_none();
        let key = key(&modules.npm_key(), &state.wanted);
        if added && state.built.is_some() {
            // Pages loaded with the last build must not mix it with the next.
            tracing::info!("new dependency {specifier}: the pages reload once it is optimized");
            modules
                .overlay()
                .hub
                .publish(Message::reload_all(format!("new dependency {specifier}")));
        }
        format!("{PREFIX}{}.js?v={key}", flat_name(specifier))
    }

    /// Builds what is wanted unless it is already on disk for the same key.
    pub(crate) fn ensure_built(&self, modules: &Modules) {
        let _building = self
            .building
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (key, wanted) = {
            let state = self.state();
            (key(&modules.npm_key(), &state.wanted), state.wanted.clone())
        };
        if self
            .state()
            .built
            .as_ref()
            .is_some_and(|(built, _)| *built == key)
        {
            return;
        }
        let failed = match read_metadata(&self.root, &key) {
            Some(failed) => failed,
            None => build(modules, &self.root, &wanted, &key),
        };
        for (specifier, why) in &failed {
            modules.overlay().report(
                &problem_source(specifier),
                ErrorReport::about_file(
                    specifier,
                    format!("hotplate could not convert the CommonJS package {specifier} into an ES module: {why}"),
                ),
            );
        }
        for specifier in wanted.keys().filter(|s| !failed.contains_key(*s)) {
            modules.overlay().resolve(&problem_source(specifier));
        }
        self.state().built = Some((key, failed));
    }

    /// Why `specifier` failed to build, if it did.
    pub(crate) fn failure(&self, flat: &str) -> Option<(String, String)> {
        let state = self.state();
        let (_, failed) = state.built.as_ref()?;
        failed
            .iter()
            .find(|(specifier, _)| flat_name(specifier) == flat)
            .map(|(specifier, why)| (specifier.clone(), why.clone()))
    }
}

fn problem_source(specifier: &str) -> String {
    format!("npm:{specifier}")
}

/// `react-dom/client` → `react-dom_client`, `@scope/pkg` → `scope_pkg`, as Vite names them.
fn flat_name(specifier: &str) -> String {
    specifier.trim_start_matches('@').replace('/', "_").replace(
        |c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c)),
        "_",
    )
}

/// A hash of the lockfile's key and the packages, with hotplate's version (a new hotplate may
/// build differently).
fn key(lock: &str, wanted: &BTreeMap<String, PathBuf>) -> String {
    let mut hasher = DefaultHasher::new();
    (env!("CARGO_PKG_VERSION"), lock, wanted).hash(&mut hasher);
    format!("{:08x}", hasher.finish() as u32)
}

/// Every bare import of the project's own scripts that names a CommonJS package file.
fn scan_project(modules: &Modules) -> BTreeMap<String, PathBuf> {
    let root = modules.root();
    let started = Instant::now();
    let mut found = BTreeMap::new();
    let walker = ignore::WalkBuilder::new(root)
        .filter_entry(|entry| entry.file_name() != "node_modules")
        .build();
    let scripts = walker
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_some_and(|t| t.is_file()))
        .filter(|entry| Kind::of(&entry.path().to_string_lossy()) == Kind::Script)
        .filter(|entry| entry.metadata().is_ok_and(|m| m.len() < 1 << 20))
        .take(SCAN_LIMIT);
    let mut read = 0;
    for entry in scripts {
        let path = entry.path();
        let Ok(relative) = path.strip_prefix(root) else {
            continue;
        };
        let Ok(source) = std::fs::read_to_string(path) else {
            continue;
        };
        read += 1;
        let site = SitePath::new(&relative.to_string_lossy().replace('\\', "/"));
        let Ok(super::Script { analysis, .. }) = modules.analyze_script(&site, source) else {
            continue;
        };
        for specifier in analysis.specifiers.iter().map(|s| s.text.as_str()) {
            if js::names_a_path(specifier)
                || specifier.contains(':')
                || found.contains_key(specifier)
            {
                continue;
            }
            if let Some(file) = modules.resolver.resolve(path, specifier)
                && npm::is_package_file(modules.packages_root(), &file)
                && npm::is_script(&file)
                && !modules.is_es_module(&file)
            {
                found.insert(specifier.to_string(), file);
            }
        }
    }
    tracing::debug!(
        "scanned {read} scripts for CommonJS imports in {:?}: {:?}",
        started.elapsed(),
        found.keys().collect::<Vec<_>>()
    );
    found
}

/// The packages that failed, if `key` is what `_metadata.json` says was built (and the build
/// is still there).
fn read_metadata(root: &Path, key: &str) -> Option<BTreeMap<String, String>> {
    if !root.join(CACHE).join("deps").is_dir() {
        return None;
    }
    let text = std::fs::read_to_string(root.join(CACHE).join("_metadata.json")).ok()?;
    let metadata: serde_json::Value = serde_json::from_str(&text).ok()?;
    if metadata["key"] != key {
        return None;
    }
    serde_json::from_value(metadata["failed"].clone()).ok()
}

/// Builds `wanted` into `node_modules/.hotplate/deps/`; returns the packages that failed.
fn build(
    modules: &Modules,
    root: &Path,
    wanted: &BTreeMap<String, PathBuf>,
    key: &str,
) -> BTreeMap<String, String> {
    let started = Instant::now();
    let list: Vec<&str> = wanted.keys().map(String::as_str).collect();
    tracing::info!(
        "optimizing {} dependenc{} ({})…",
        list.len(),
        if list.len() == 1 { "y" } else { "ies" },
        list.join(", ")
    );
    let cache = root.join(CACHE);
    let entries = cache.join("entries");
    let mut failed = BTreeMap::new();
    if let Err(error) = std::fs::create_dir_all(&entries) {
        for specifier in wanted.keys() {
            failed.insert(
                specifier.clone(),
                format!("cannot write {}: {error}", entries.display()),
            );
        }
        return failed;
    }
    for (specifier, file) in wanted {
        let names = names_of(modules, file);
        let entry = entry_source(specifier, &names);
        if let Err(error) =
            std::fs::write(entries.join(format!("{}.js", flat_name(specifier))), entry)
        {
            failed.insert(specifier.clone(), error.to_string());
        }
    }
    let mut building: Vec<&String> = wanted.keys().filter(|s| !failed.contains_key(*s)).collect();
    // A batch that fails is tried package by package, to name the ones that do not build.
    if let Err(error) = bundle(root, &building) {
        tracing::warn!("optimizing failed, trying each dependency alone: {error}");
        for specifier in building.clone() {
            if let Err(error) = bundle(root, &[specifier]) {
                failed.insert(specifier.clone(), error);
            }
        }
        building.retain(|s| !failed.contains_key(*s));
        if let Err(error) = bundle(root, &building) {
            for specifier in building {
                failed.insert(specifier.clone(), error.clone());
            }
        }
    }
    let metadata = serde_json::json!({ "key": key, "failed": failed });
    let _ = std::fs::write(cache.join("_metadata.json"), metadata.to_string());
    tracing::info!(
        "optimized {} dependenc{} in {} ms",
        list.len() - failed.len(),
        if list.len() - failed.len() == 1 {
            "y"
        } else {
            "ies"
        },
        started.elapsed().as_millis()
    );
    failed
}

/// The entry that re-exports `specifier` by name: its default (what `module.exports` is, or
/// its `default` if it was compiled from ES modules) and each of `names`.
fn entry_source(specifier: &str, names: &BTreeSet<String>) -> String {
    let quoted = serde_json::to_string(specifier).expect("a string serializes");
    let mut source =
        format!("import * as __hotplate_m from {quoted};\nexport default __hotplate_m.default;\n");
    let exportable: Vec<&String> = names.iter().filter(|n| exports::is_exportable(n)).collect();
    if !exportable.is_empty() {
        let bindings: Vec<String> = exportable
            .iter()
            .enumerate()
            .map(|(i, name)| format!("{name:?}: __e{i}"))
            .collect();
        let list: Vec<String> = exportable
            .iter()
            .enumerate()
            .map(|(i, name)| format!("__e{i} as {name}"))
            .collect();
        source.push_str(&format!(
            "const {{ {} }} = __hotplate_m;\nexport {{ {} }};\n",
            bindings.join(", "),
            list.join(", ")
        ));
    }
    source
}

/// The names the CommonJS file `file` exports, its re-exports followed.
fn names_of(modules: &Modules, file: &Path) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut seen = BTreeSet::new();
    let mut queue = vec![(file.to_path_buf(), 0)];
    while let Some((file, depth)) = queue.pop() {
        if depth > REEXPORT_DEPTH || !seen.insert(file.clone()) {
            continue;
        }
        let Ok(source) = std::fs::read_to_string(&file) else {
            continue;
        };
        let found = exports::lex(&source);
        names.extend(found.names);
        for specifier in found.reexports {
            if let Some(next) = modules.resolver.resolve(&file, &specifier) {
                queue.push((next, depth + 1));
            }
        }
    }
    names
}

/// One rolldown run over the entries of `specifiers`, written to `node_modules/.hotplate/deps`.
fn bundle(root: &Path, specifiers: &[&String]) -> Result<(), String> {
    if specifiers.is_empty() {
        return Ok(());
    }
    let input = specifiers
        .iter()
        .map(|specifier| {
            let name = flat_name(specifier);
            InputItem {
                name: Some(name.clone()),
                import: format!("./{CACHE}/entries/{name}.js"),
            }
        })
        .collect();
    let options = BundlerOptions {
        input: Some(input),
        cwd: Some(root.to_path_buf()),
        dir: Some(format!("{CACHE}/deps")),
        format: Some(OutputFormat::Esm),
        platform: Some(Platform::Browser),
        define: Some(
            [(
                "process.env.NODE_ENV".to_string(),
                "\"development\"".to_string(),
            )]
            .into_iter()
            .collect(),
        ),
        clean_dir: Some(true),
        ..Default::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| error.to_string())?;
    runtime.block_on(async move {
        let mut bundler = Bundler::new(options).map_err(|error| error.to_string())?;
        let written = bundler.write().await.map_err(|error| error.to_string());
        let _ = bundler.close().await;
        written.map(|_| ())
    })
}

impl Optimizer {
    /// Whether `name` is the entry of a wanted package (not a shared chunk).
    pub(crate) fn is_entry(&self, name: &str) -> bool {
        self.state()
            .wanted
            .keys()
            .any(|specifier| format!("{}.js", flat_name(specifier)) == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_are_named_flat_as_vite_names_them() {
        assert_eq!(flat_name("react"), "react");
        assert_eq!(flat_name("react-dom/client"), "react-dom_client");
        assert_eq!(flat_name("@scope/pkg/sub.js"), "scope_pkg_sub.js");
    }

    #[test]
    fn an_entry_re_exports_the_default_and_every_plain_name() {
        let names: BTreeSet<String> = ["useState", "__esModule", "default", "delete", "a-b"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let source = entry_source("react", &names);
        assert_eq!(
            source,
            "import * as __hotplate_m from \"react\";\nexport default __hotplate_m.default;\n\
             const { \"delete\": __e0, \"useState\": __e1 } = __hotplate_m;\n\
             export { __e0 as delete, __e1 as useState };\n"
        );
        js::analyze(&source).expect("the entry is a module");
    }
}
