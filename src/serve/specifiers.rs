//! What the specifiers of a module (a served file, or a page's inline module) name, written as
//! the URLs that serve them: `./util` → `/src/util.ts`, `preact` →
//! `/__hotplate/npm/node_modules/preact/dist/preact.module.js?v=…`, a CommonJS package → its
//! converted bundle, and oxc's helpers → hotplate's own when the app has none.

use super::Scripts;
use crate::modules::{helpers, npm};
use crate::protocol;
use crate::rewrite::js::{self, Analysis};
use crate::site::route;
use std::collections::HashMap;
use std::path::Path;

/// What each specifier of the module at `importer` that `wanted` picks resolves to, as
/// TypeScript and Node resolve it ([`crate::modules::resolve`]), written as the URL that serves it:
/// `./util` → `/src/util.ts`, `@/lib/x` (tsconfig `paths`) → `/src/lib/x.ts`, `preact` →
/// `/__hotplate/npm/node_modules/preact/dist/preact.module.js?v=…` (`runtime::npm`).
pub fn resolutions(
    scripts: &Scripts,
    importer: &Path,
    analysis: &Analysis,
    wanted: impl Fn(&str) -> bool,
) -> HashMap<String, String> {
    let mut resolved = HashMap::new();
    let written = analysis.specifiers.iter().chain(&analysis.accepted);
    for text in written.map(|s| s.text.as_str()) {
        if resolved.contains_key(text) || is_elsewhere(text) || !wanted(text) {
            continue;
        }
        let Some(file) = scripts.modules.resolver.resolve(importer, text) else {
            if let Some(helper) = helpers::named(text) {
                let folder = protocol::runtime_folder(&scripts.settings.boot);
                resolved.insert(text.to_string(), format!("{folder}helpers/{helper}.js"));
            }
            continue;
        };
        let packages = scripts.modules.packages_root();
        let to = if npm::is_package_file(packages, &file) {
            if scripts.modules.is_es_module(&file) {
                npm::url_of(packages, &file, &scripts.modules.npm_key())
            } else if npm::is_script(&file) && !js::names_a_path(text) {
                // CommonJS: converted once, with the project's other CommonJS packages.
                Some(scripts.modules.optimized_url(text, &file))
            } else {
                None
            }
        } else {
            route::url_of(&scripts.settings, &file)
        };
        if let Some(to) = to {
            resolved.insert(text.to_string(), to);
        }
    }
    resolved
}

/// Whether a specifier names something no resolution applies to: another site, a `data:`
/// URL, or one with a query or fragment (`./worker.js?worker`).
pub fn is_elsewhere(text: &str) -> bool {
    text.is_empty()
        || text.contains("://")
        || text.starts_with("//")
        || text.starts_with("data:")
        || text.contains(['?', '#'])
}
