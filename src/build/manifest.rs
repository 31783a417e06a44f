//! `hotplate build --manifest`: for a backend that renders its own pages (Django, Rails,
//! Laravel, an axum app). Only the asset folders are built (every script and stylesheet in
//! them is an entry, or the files `[build] entries` lists), and `manifest.json` says what each
//! became, in Vite's manifest format, so that django-vite, vite_ruby and Laravel's Vite helpers
//! (and `hotplate::Templates`' `asset()`) can find the output:
//!
//! ```json
//! {
//!   "static/js/main.ts": {
//!     "file": "static/js/main.4f9c2a1b.js",
//!     "name": "main",
//!     "src": "static/js/main.ts",
//!     "isEntry": true,
//!     "imports": ["_shared.0011aabb.js"],
//!     "css": ["static/js/main.5e6f7a8b.css"]
//!   },
//!   "_shared.0011aabb.js": { "file": "assets/shared.0011aabb.js", "name": "shared" }
//! }
//! ```
//!
//! Keys are paths from the root (a shared chunk's is `_` and its file name), as Vite writes them
//! with the project as its root.

use super::{BuildError, Made, Options, Progress, assets, bundle_scripts, is_script};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The manifest's name in the output.
pub const FILE: &str = "manifest.json";

/// Builds the asset folders' entries into `made`, with the manifest.
pub fn build(
    root: &Path,
    options: &Options,
    made: &Arc<Made>,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<(), BuildError> {
    let files = entries(root, options)?;
    let scripts: BTreeMap<PathBuf, String> = files
        .iter()
        .filter(|f| is_script(f))
        .map(|f| (f.clone(), assets::plain_url(root, f)))
        .collect();
    let (bundle, _) = bundle_scripts(root, &scripts, BTreeMap::new(), options, made, progress)?;
    let key = |file: &Path| -> String {
        file.strip_prefix(root)
            .unwrap_or(file)
            .to_string_lossy()
            .replace('\\', "/")
    };
    let name_of = |path: &str| -> String {
        let file = path.rsplit('/').next().unwrap_or(path);
        file.split('.').next().unwrap_or(file).to_string()
    };
    // Each chunk's key: an entry's source, `_` and the file name for the others.
    let mut keys: BTreeMap<String, String> = bundle
        .chunks
        .keys()
        .map(|url| {
            (
                url.clone(),
                format!("_{}", url.rsplit('/').next().unwrap_or(url)),
            )
        })
        .collect();
    for (file, url) in &bundle.entries {
        keys.insert(url.clone(), key(file));
    }
    let mut manifest: BTreeMap<String, Value> = BTreeMap::new();
    for (url, chunk) in &bundle.chunks {
        let path = assets::output_path(url);
        let mut entry = json!({ "file": path, "name": name_of(&path) });
        let source = bundle.entries.iter().find(|(_, u)| *u == url);
        if let Some((file, _)) = source {
            entry["src"] = json!(key(file));
            entry["isEntry"] = json!(true);
        }
        let names = |urls: &[String]| -> Vec<String> {
            urls.iter().filter_map(|u| keys.get(u).cloned()).collect()
        };
        if !chunk.imports.is_empty() {
            entry["imports"] = json!(names(&chunk.imports));
        }
        if !chunk.dynamic_imports.is_empty() {
            entry["dynamicImports"] = json!(names(&chunk.dynamic_imports));
        }
        let mut css = Vec::new();
        for style in &chunk.styles {
            css.push(assets::output_path(&made.style(style)?));
        }
        if !css.is_empty() {
            entry["css"] = json!(css);
        }
        manifest.insert(keys[url].clone(), entry);
    }
    for style in files.iter().filter(|f| !is_script(f)) {
        let path = assets::output_path(&made.style(style)?);
        manifest.insert(
            key(style),
            json!({ "file": path, "src": key(style), "isEntry": true, "name": name_of(&path) }),
        );
    }
    let text = serde_json::to_string_pretty(&manifest).expect("a manifest is JSON");
    made.put(FILE.to_string(), format!("{text}\n").into_bytes());
    Ok(())
}

/// The files to build: those `[build] entries` lists, or every script and stylesheet in the
/// asset folders (`node_modules`, dotfiles and type declarations left out).
fn entries(root: &Path, options: &Options) -> Result<Vec<PathBuf>, BuildError> {
    if !options.entries.is_empty() {
        return options
            .entries
            .iter()
            .map(|name| {
                let file = root.join(name.trim_start_matches('/'));
                std::fs::canonicalize(&file).map_err(|e| BuildError::io(&file, e))
            })
            .collect();
    }
    let mut files = Vec::new();
    for folder in crate::settings::asset_folders(root, &options.assets)? {
        for file in super::crawl::walkdir(&folder) {
            let name = file.to_string_lossy().to_ascii_lowercase();
            let kind = crate::base::Kind::of(&name);
            let wanted = matches!(kind, crate::base::Kind::Script | crate::base::Kind::Style)
                && !name.ends_with(".d.ts");
            if wanted && !file.components().any(|c| c.as_os_str() == "node_modules") {
                files.push(file);
            }
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}
