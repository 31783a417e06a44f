//! Fast Refresh on the way out: a compiled module that defines React or Preact components is
//! wrapped so that saving it re-renders those components in place, keeping their state.
//!
//! - A module is refreshed only when its JSX runtime is React's or Preact's
//!   ([`super::ts::Jsx::framework`]): only then is there a runtime to refresh with.
//! - [`oxc_options`]: oxc's React Refresh transform (the one `react-refresh/babel` does)
//!   registers each component and the signature of the hooks it calls, calling into the
//!   module's own `__hotplateRefresh` rather than globals.
//! - [`wrap`]: a module that registers something imports the runtime (`client/react-refresh.js`
//!   or `client/preact-refresh.js`) and accepts its own updates. In the browser,
//!   `client/refresh.js` then applies Vite's rule: a module whose exports are all components
//!   refreshes in place; any other invalidates itself, so its importers update.
//! - Only `.tsx` and `.jsx` files are refreshed, as in Vite's React plugin: a `.ts` module's
//!   capitalized functions are no components, and its importers update.
//! - Every other React module with JSX imports the runtime first, for its side effect: React's renderer
//!   must find the runtime's hook as it loads, and the entry (`main.tsx`, which imports
//!   `react-dom` before any component) is such a module. Pages load it too, as Vite's
//!   preamble (`Modules::refresh_preamble`), for an entry without JSX.
//!
//! The build never wraps: there are no hot updates in what ships.

use oxc_transformer::ReactRefreshOptions;

/// The binding each wrapped module calls the runtime through.
const BINDING: &str = "__hotplateRefresh";

/// Which runtime re-renders components.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Framework {
    React,
    Preact,
}

impl Framework {
    /// The package that must be installed for a module to be refreshed: a site whose JSX
    /// settings say React by default, but that has no React, is not refreshed.
    pub fn package(self) -> &'static str {
        match self {
            Framework::React => "react",
            Framework::Preact => "preact",
        }
    }

    /// The runtime's file among hotplate's client files.
    pub fn runtime_file(self) -> &'static str {
        match self {
            Framework::React => "react-refresh.js",
            Framework::Preact => "preact-refresh.js",
        }
    }
}

/// Fast Refresh for a module: which framework's, and where hotplate's client files are served
/// (`/__hotplate/<boot>/`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Refresh {
    pub framework: Framework,
    pub runtime_folder: String,
}

impl Refresh {
    fn runtime_url(&self) -> String {
        format!("{}{}", self.runtime_folder, self.framework.runtime_file())
    }
}

/// oxc's React Refresh transform, calling `__hotplateRefresh.register(Component, "Name")` and
/// `__hotplateRefresh.signature()`.
pub fn oxc_options() -> ReactRefreshOptions {
    ReactRefreshOptions {
        refresh_reg: format!("{BINDING}.register"),
        refresh_sig: format!("{BINDING}.signature"),
        emit_full_signatures: false,
    }
}

/// Whether compiled `code` registers a component or a hook signature: only such a module is
/// wrapped (a module of plain functions updates its importers as any module does).
pub fn registers(code: &str) -> bool {
    code.contains(&format!("{BINDING}.register("))
        || code.contains(&format!("{BINDING}.signature("))
}

/// `code`, the compiled module `id` (its path in the site), wrapped for `refresh` (see the
/// module's docs). What is added to its start goes on line 1, so the lines of the source map
/// still match.
pub fn wrap(code: &str, id: &str, refresh: &Refresh) -> String {
    let quote = |s: &str| serde_json::to_string(s).expect("a string serializes");
    let runtime = quote(&refresh.runtime_url());
    if !registers(code) {
        return match refresh.framework {
            Framework::React => format!("import {runtime}; {code}"),
            Framework::Preact => code.to_string(),
        };
    }
    let id = quote(id);
    let prologue = match refresh.framework {
        Framework::React => format!(
            "import {{ forModule as {BINDING}$ }} from {runtime}; const {BINDING} = {BINDING}$({id}); "
        ),
        // Preact's `options` come from the app's own Preact: the import is resolved as the
        // app's are.
        Framework::Preact => format!(
            "import {{ options as {BINDING}$options }} from \"preact\"; \
             import {{ forModule as {BINDING}$ }} from {runtime}; \
             const {BINDING} = {BINDING}$({id}, {BINDING}$options); "
        ),
    };
    let mut wrapped = String::with_capacity(prologue.len() + code.len() + 256);
    wrapped.push_str(&prologue);
    wrapped.push_str(code);
    if !wrapped.ends_with('\n') {
        wrapped.push('\n');
    }
    wrapped.push_str(&format!(
        "if (import.meta.hot) import(import.meta.url).then((exports) => {{ \
         {BINDING}.exports(exports); \
         import.meta.hot.accept((next) => {BINDING}.update(next, import.meta.hot)); }});\n"
    ));
    wrapped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime(framework: Framework) -> Refresh {
        Refresh {
            framework,
            runtime_folder: "/__hotplate/b00t/".into(),
        }
    }

    #[test]
    fn the_wrapper_imports_the_runtime_on_line_one_and_accepts_itself() {
        let refresh = runtime(Framework::React);
        let code = "export function App() {}\n__hotplateRefresh.register(App, \"App\");\n";
        assert!(registers(code));
        let wrapped = wrap(code, "src/App.tsx", &refresh);
        let first = wrapped.lines().next().unwrap();
        assert!(
            first.starts_with("import { forModule as __hotplateRefresh$ } from \"/__hotplate/b00t/react-refresh.js\"; const __hotplateRefresh = __hotplateRefresh$(\"src/App.tsx\"); export function App"),
            "{first}"
        );
        assert_eq!(wrapped.lines().count(), code.lines().count() + 1);
        assert!(
            wrapped.contains("import.meta.hot.accept((next) =>"),
            "{wrapped}"
        );
    }

    #[test]
    fn a_react_module_without_components_loads_the_runtime_first_and_accepts_nothing() {
        let refresh = runtime(Framework::React);
        let code = "import { createRoot } from 'react-dom/client';\ncreateRoot(root);\n";
        assert!(!registers(code));
        let wrapped = wrap(code, "src/main.tsx", &refresh);
        assert!(
            wrapped
                .starts_with("import \"/__hotplate/b00t/react-refresh.js\"; import { createRoot }"),
            "{wrapped}"
        );
        assert!(!wrapped.contains("accept"), "{wrapped}");
        let preact = runtime(Framework::Preact);
        assert_eq!(wrap(code, "src/main.tsx", &preact), code);
    }

    #[test]
    fn the_preact_wrapper_passes_the_apps_own_options() {
        let refresh = runtime(Framework::Preact);
        let wrapped = wrap("__hotplateRefresh.register(A, \"A\");", "A.tsx", &refresh);
        assert!(
            wrapped.starts_with("import { options as __hotplateRefresh$options } from \"preact\";"),
            "{wrapped}"
        );
        assert!(
            wrapped.contains("/__hotplate/b00t/preact-refresh.js"),
            "{wrapped}"
        );
    }
}
