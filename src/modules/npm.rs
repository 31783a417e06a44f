//! npm packages as files: which lockfile versions them, which files are a package's, what
//! URL serves one, and whether it is an ES module (served as it is) or CommonJS (converted by
//! [`super::optimize`]). The HTTP side (`serve::runtime::npm`) answers the URLs.
//!
//! Packages are found in the `node_modules` folders of the site root, or, for a site inside a
//! workspace (npm's, yarn's or pnpm's), of the workspace root and the folders between: npm
//! installs a workspace's packages once, at its root ([`packages_root`]). Nothing above that
//! root is ever served.

use crate::base::url_path;
use crate::rewrite::js::AnalysisCache;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

/// Where package files are served.
pub use crate::protocol::NPM_PREFIX as PREFIX;

/// The lockfiles that say which versions `node_modules` holds, in the order they are looked
/// for.
pub const LOCKFILES: [&str; 5] = [
    "package-lock.json",
    "pnpm-lock.yaml",
    "yarn.lock",
    "bun.lock",
    "npm-shrinkwrap.json",
];

/// Where the packages of the site at `root` (canonical) are: the root of the workspace the site
/// is in (the nearest folder, the root itself included, whose `package.json` has `workspaces`
/// or that has a `pnpm-workspace.yaml`), or else the site root.
pub fn packages_root(root: &Path) -> PathBuf {
    let declares_workspaces = |folder: &Path| {
        folder.join("pnpm-workspace.yaml").is_file()
            || std::fs::read_to_string(folder.join("package.json"))
                .ok()
                .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
                .is_some_and(|manifest| manifest.get("workspaces").is_some())
    };
    root.ancestors()
        .find(|folder| declares_workspaces(folder))
        .unwrap_or(root)
        .to_path_buf()
}

/// The key that versions every package URL: a hash of the root's lockfile (`dev` without
/// one).
pub fn lock_key(root: &Path) -> String {
    for name in LOCKFILES {
        if let Ok(bytes) = std::fs::read(root.join(name)) {
            let mut hasher = DefaultHasher::new();
            bytes.hash(&mut hasher);
            return format!("{:08x}", hasher.finish() as u32);
        }
    }
    "dev".into()
}

/// Whether `real` (canonical) is a file of a package: under the packages' root
/// ([`packages_root`]), inside a `node_modules` folder.
pub fn is_package_file(root: &Path, real: &Path) -> bool {
    real.strip_prefix(root).is_ok_and(|relative| {
        relative
            .components()
            .any(|c| c.as_os_str() == "node_modules")
    })
}

/// The URL that serves the package file `real` (canonical), with the key.
pub fn url_of(root: &Path, real: &Path, key: &str) -> Option<String> {
    if !is_package_file(root, real) {
        return None;
    }
    let relative = real.strip_prefix(root).ok()?;
    let segments: Option<Vec<&str>> = relative
        .components()
        .map(|c| c.as_os_str().to_str())
        .collect();
    let path = url_path(segments?);
    Some(format!("{}{}?v={key}", PREFIX.trim_end_matches('/'), path))
}

/// Whether a package file is a script (`.js`, `.mjs`, `.cjs`).
pub fn is_script(file: &Path) -> bool {
    matches!(
        file.extension().and_then(|e| e.to_str()),
        Some("js" | "mjs" | "cjs")
    )
}

/// Whether the package file `real` is an ES module: `.mjs`, or a `.js` with `import` or
/// `export`, or one that uses nothing of CommonJS.
pub fn is_es_module(scripts: &AnalysisCache, real: &Path) -> bool {
    match real.extension().and_then(|e| e.to_str()) {
        Some("mjs") => return true,
        Some("cjs") => return false,
        Some("js") => {}
        // JSON, CSS, …: not a script at all.
        _ => return false,
    }
    let Ok(source) = std::fs::read_to_string(real) else {
        return false;
    };
    let name = real.to_string_lossy();
    match scripts.analyze(&name, &source) {
        Ok(analysis) => analysis.module_syntax || !looks_commonjs(&source),
        Err(_) => false,
    }
}

/// Whether a module without `import` or `export` uses CommonJS's `require`, `module` or
/// `exports`.
pub fn looks_commonjs(source: &str) -> bool {
    source.contains("require(") || source.contains("module.exports") || source.contains("exports.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_in_a_workspace_finds_its_packages_at_the_workspace_root() {
        let dir = testkit::site(&[
            (
                "package.json",
                r#"{"private": true, "workspaces": ["apps/*"]}"#,
            ),
            ("apps/web/package.json", r#"{"name": "web"}"#),
            ("apps/web/index.html", ""),
            ("node_modules/lib/index.js", "export {}"),
            ("pnpm/pnpm-workspace.yaml", "packages: ['site']"),
            ("pnpm/site/index.html", ""),
        ]);
        let top = std::fs::canonicalize(dir.path()).unwrap();
        let web = top.join("apps/web");
        assert_eq!(packages_root(&web), top);
        assert!(is_package_file(
            &top,
            &top.join("node_modules/lib/index.js")
        ));
        assert_eq!(
            url_of(&top, &top.join("node_modules/lib/index.js"), "k").as_deref(),
            Some("/__hotplate/npm/node_modules/lib/index.js?v=k")
        );
        assert_eq!(packages_root(&top.join("pnpm/site")), top.join("pnpm"));
        let alone = testkit::site(&[("index.html", "")]);
        let alone = std::fs::canonicalize(alone.path()).unwrap();
        assert_eq!(packages_root(&alone), alone);
    }
}
