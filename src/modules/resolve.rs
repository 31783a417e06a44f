//! The resolve stage: what a module specifier names on disk, found as TypeScript and Node find
//! it (with the `oxc_resolver` crate), and what the nearest `tsconfig.json` says about
//! compiling (JSX, decorators, `verbatimModuleSyntax`).
//!
//! - A path with no extension, or with `.js` for a `.ts` file, finds the TypeScript file
//!   (`./util` → `util.ts`, `./util.js` → `util.ts`), and a folder its `index` file.
//! - A bare name goes through the `paths` of the nearest `tsconfig.json`, then `node_modules`
//!   the way Node looks there, with the `exports` conditions a browser build asks for
//!   (`browser`, `import`, `module`, `development`, `default`) and the `browser` field.
//!
//! The resolver caches what it reads of the file system; the pipeline empties that cache
//! whenever files change ([`Resolver::forget`]).

use crate::rewrite::ts::{Compile, JsxOptionsWritten};
use oxc_resolver::{ResolveOptions, TsconfigDiscovery};
use std::path::{Path, PathBuf};

/// A `tsconfig.json` that cannot be read: the files under it compile with the default
/// settings until it is fixed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TsconfigError {
    /// The nearest `tsconfig.json` of the file that was compiled.
    pub tsconfig: PathBuf,
    pub message: String,
}

impl TsconfigError {
    /// The overlay's name for the problem of the `tsconfig.json` at `file` (a site path).
    pub fn problem_source(file: &str) -> String {
        format!("tsconfig {file}")
    }
}

/// The `tsconfig.json` nearest to `file`, as TypeScript finds it: in its folder or the closest
/// folder above.
fn nearest_tsconfig(file: &Path) -> PathBuf {
    file.ancestors()
        .skip(1)
        .map(|folder| folder.join("tsconfig.json"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| file.with_file_name("tsconfig.json"))
}

/// Whether `name` (a file name) is a TypeScript configuration: `tsconfig.json`, or one that
/// another extends (`tsconfig.base.json`).
pub fn is_tsconfig(name: &str) -> bool {
    name.starts_with("tsconfig") && name.ends_with(".json")
}

/// A resolver for the files of one root.
pub struct Resolver {
    inner: oxc_resolver::Resolver,
    /// The `--jsx*` flags: they win over every `tsconfig.json`.
    jsx_flags: JsxOptionsWritten,
}

impl Resolver {
    pub fn new(jsx_flags: JsxOptionsWritten) -> Resolver {
        Resolver::with_condition(jsx_flags, "development")
    }

    /// A resolver for the build: packages resolve to what they give production
    /// (`production` instead of `development` among the export conditions).
    pub fn for_build(jsx_flags: JsxOptionsWritten) -> Resolver {
        Resolver::with_condition(jsx_flags, "production")
    }

    fn with_condition(jsx_flags: JsxOptionsWritten, mode: &str) -> Resolver {
        let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let options = ResolveOptions {
            tsconfig: Some(TsconfigDiscovery::Auto),
            // Vite's order.
            extensions: strings(&[".mjs", ".js", ".mts", ".ts", ".jsx", ".tsx", ".json"]),
            extension_alias: vec![
                (".js".into(), strings(&[".ts", ".tsx", ".js", ".jsx"])),
                (".mjs".into(), strings(&[".mts", ".mjs"])),
                (".cjs".into(), strings(&[".cts", ".cjs"])),
                (".jsx".into(), strings(&[".tsx", ".jsx"])),
            ],
            condition_names: strings(&["browser", "import", "module", mode, "default"]),
            main_fields: strings(&["browser", "module", "main"]),
            alias_fields: vec![strings(&["browser"])],
            ..ResolveOptions::default()
        };
        Resolver {
            inner: oxc_resolver::Resolver::new(options),
            jsx_flags,
        }
    }

    /// The file `specifier`, written in the module at `importer`, names; `None` when nothing
    /// answers it.
    pub fn resolve(&self, importer: &Path, specifier: &str) -> Option<PathBuf> {
        match self.inner.resolve_file(importer, specifier) {
            Ok(resolution) => Some(resolution.into_path_buf()),
            Err(error) => {
                tracing::debug!("{specifier} from {}: {error}", importer.display());
                None
            }
        }
    }

    /// How the file at `file` compiles: as the nearest `tsconfig.json` says (following its
    /// `extends`), with the `--jsx*` flags winning over its JSX settings. A `tsconfig.json`
    /// that cannot be read (malformed, a circular `extends`) is the error, beside the
    /// settings used meanwhile: the defaults.
    pub fn compile_settings(&self, file: &Path) -> (Compile, Option<TsconfigError>) {
        let defaults = || -> Compile {
            JsxOptionsWritten::default()
                .overridden_by(&self.jsx_flags)
                .settle()
                .into()
        };
        let tsconfig = match self.inner.find_tsconfig(file) {
            Ok(Some(found)) => found,
            Ok(None) => return (defaults(), None),
            Err(error) => {
                let tsconfig = nearest_tsconfig(file);
                tracing::warn!("{}: {error}", tsconfig.display());
                let error = TsconfigError {
                    tsconfig,
                    message: error.to_string(),
                };
                return (defaults(), Some(error));
            }
        };
        let options = &tsconfig.compiler_options;
        let jsx = JsxOptionsWritten {
            mode: options.jsx.clone(),
            import_source: options.jsx_import_source.clone(),
            factory: options.jsx_factory.clone(),
            fragment: options.jsx_fragment_factory.clone(),
        };
        let compile = Compile {
            jsx: jsx.overridden_by(&self.jsx_flags).settle(),
            legacy_decorators: options.experimental_decorators == Some(true),
            decorator_metadata: options.emit_decorator_metadata == Some(true),
            verbatim_imports: options.verbatim_module_syntax == Some(true)
                || options.preserve_value_imports == Some(true),
            assign_class_fields: !options
                .use_define_for_class_fields
                .unwrap_or_else(|| defines_class_fields(options.target.as_deref())),
            refresh: None,
        };
        (compile, None)
    }

    /// Forgets what was read of the file system: files changed.
    pub fn forget(&self) {
        self.inner.clear_cache();
    }
}

/// TypeScript's default for `useDefineForClassFields`: on for an ES2022 or later `target` (and
/// when there is none, as esbuild and Vite take it), off below.
fn defines_class_fields(target: Option<&str>) -> bool {
    let Some(target) = target else { return true };
    let target = target.to_ascii_lowercase();
    match target.strip_prefix("es") {
        Some("next") => true,
        Some("3" | "5" | "6") => false,
        Some(year) => year.parse::<u32>().is_ok_and(|year| year >= 2022),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rewrite::ts::Jsx;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, content) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
        dir
    }

    fn resolves(dir: &tempfile::TempDir, importer: &str, specifier: &str) -> Option<String> {
        let root = dir.path().canonicalize().unwrap();
        let found =
            Resolver::new(JsxOptionsWritten::default()).resolve(&root.join(importer), specifier)?;
        Some(
            found
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/"),
        )
    }

    #[test]
    fn paths_resolve_as_typescript_does() {
        let dir = tree(&[
            ("src/main.ts", ""),
            ("src/util.ts", ""),
            ("src/view.tsx", ""),
            ("src/lib/index.ts", ""),
            ("src/old.js", ""),
        ]);
        assert_eq!(
            resolves(&dir, "src/main.ts", "./util").as_deref(),
            Some("src/util.ts")
        );
        assert_eq!(
            resolves(&dir, "src/main.ts", "./util.js").as_deref(),
            Some("src/util.ts")
        );
        assert_eq!(
            resolves(&dir, "src/main.ts", "./view.js").as_deref(),
            Some("src/view.tsx")
        );
        assert_eq!(
            resolves(&dir, "src/main.ts", "./lib").as_deref(),
            Some("src/lib/index.ts")
        );
        assert_eq!(
            resolves(&dir, "src/main.ts", "./old").as_deref(),
            Some("src/old.js")
        );
        assert_eq!(resolves(&dir, "src/main.ts", "./nothing"), None);
    }

    #[test]
    fn tsconfig_paths_map_bare_names() {
        let dir = tree(&[
            (
                "tsconfig.json",
                r#"{ // comments and trailing commas, as tsc allows
                    "compilerOptions": { "baseUrl": ".", "paths": { "@/*": ["src/*"], }, },
                }"#,
            ),
            ("src/main.ts", ""),
            ("src/components/button.tsx", ""),
        ]);
        assert_eq!(
            resolves(&dir, "src/main.ts", "@/components/button").as_deref(),
            Some("src/components/button.tsx")
        );
    }

    #[test]
    fn packages_resolve_through_their_exports_for_a_browser() {
        let dir = tree(&[
            ("src/main.ts", ""),
            (
                "node_modules/pkg/package.json",
                r#"{ "name": "pkg", "exports": {
                    ".": { "node": "./node.js", "browser": "./browser.js", "require": "./index.cjs", "default": "./index.js" },
                    "./sub": { "import": "./sub.mjs", "require": "./sub.cjs" } } }"#,
            ),
            ("node_modules/pkg/browser.js", ""),
            ("node_modules/pkg/sub.mjs", ""),
            (
                "node_modules/@scope/lib/package.json",
                r#"{ "name": "@scope/lib", "main": "./lib.cjs", "module": "./lib.mjs" }"#,
            ),
            ("node_modules/@scope/lib/lib.mjs", ""),
            ("node_modules/@scope/lib/lib.cjs", ""),
        ]);
        assert_eq!(
            resolves(&dir, "src/main.ts", "pkg").as_deref(),
            Some("node_modules/pkg/browser.js")
        );
        assert_eq!(
            resolves(&dir, "src/main.ts", "pkg/sub").as_deref(),
            Some("node_modules/pkg/sub.mjs")
        );
        assert_eq!(
            resolves(&dir, "src/main.ts", "@scope/lib").as_deref(),
            Some("node_modules/@scope/lib/lib.mjs")
        );
    }

    #[test]
    fn decorator_and_import_settings_come_from_the_tsconfig() {
        let dir = tree(&[
            (
                "tsconfig.json",
                r#"{ "compilerOptions": { "experimentalDecorators": true, "emitDecoratorMetadata": true, "verbatimModuleSyntax": true } }"#,
            ),
            ("src/main.ts", ""),
        ]);
        let root = dir.path().canonicalize().unwrap();
        let (settings, problem) =
            Resolver::new(JsxOptionsWritten::default()).compile_settings(&root.join("src/main.ts"));
        assert_eq!(problem, None);
        assert!(settings.legacy_decorators && settings.decorator_metadata);
        assert!(settings.verbatim_imports);
    }

    #[test]
    fn jsx_settings_come_from_the_nearest_tsconfig_and_its_extends() {
        let dir = tree(&[
            (
                "tsconfig.base.json",
                r#"{ "compilerOptions": { "jsx": "react-jsx" } }"#,
            ),
            (
                "app/tsconfig.json",
                r#"{ "extends": "../tsconfig.base.json", "compilerOptions": { "jsxImportSource": "preact" } }"#,
            ),
            ("app/src/main.tsx", ""),
            ("other/main.tsx", ""),
        ]);
        let root = dir.path().canonicalize().unwrap();
        let resolver = Resolver::new(JsxOptionsWritten::default());
        assert_eq!(
            resolver
                .compile_settings(&root.join("app/src/main.tsx"))
                .0
                .jsx,
            Jsx::Automatic {
                import_source: "preact".into(),
                development: false
            }
        );
        assert_eq!(
            resolver.compile_settings(&root.join("other/main.tsx")),
            (Compile::default(), None)
        );
        let flagged = Resolver::new(JsxOptionsWritten {
            mode: Some("react".into()),
            factory: Some("h".into()),
            ..Default::default()
        });
        assert_eq!(
            flagged
                .compile_settings(&root.join("app/src/main.tsx"))
                .0
                .jsx,
            Jsx::Classic {
                factory: "h".into(),
                fragment: "React.Fragment".into()
            }
        );
    }

    #[test]
    fn a_tsconfig_that_cannot_be_read_is_an_error_beside_the_defaults() {
        let dir = tree(&[
            ("broken/tsconfig.json", r#"{ "compilerOptions": { "jsx": "#),
            ("broken/src/main.tsx", ""),
            ("circle/tsconfig.json", r#"{ "extends": "./other.json" }"#),
            ("circle/other.json", r#"{ "extends": "./tsconfig.json" }"#),
            ("circle/main.tsx", ""),
        ]);
        let root = dir.path().canonicalize().unwrap();
        let resolver = Resolver::new(JsxOptionsWritten::default());
        for (file, tsconfig) in [
            ("broken/src/main.tsx", "broken/tsconfig.json"),
            ("circle/main.tsx", "circle/tsconfig.json"),
        ] {
            let (settings, problem) = resolver.compile_settings(&root.join(file));
            assert_eq!(settings, Compile::default(), "{file}");
            let problem = problem.unwrap_or_else(|| panic!("no error for {file}"));
            assert_eq!(problem.tsconfig, root.join(tsconfig));
            assert!(!problem.message.is_empty());
        }
        assert!(is_tsconfig("tsconfig.base.json") && !is_tsconfig("package.json"));
    }

    #[test]
    fn class_fields_are_defined_from_es2022_on_unless_the_tsconfig_says_otherwise() {
        let dir = tree(&[
            (
                "old/tsconfig.json",
                r#"{"compilerOptions":{"target":"ES2019"}}"#,
            ),
            (
                "new/tsconfig.json",
                r#"{"compilerOptions":{"target":"es2023"}}"#,
            ),
            (
                "lit/tsconfig.json",
                r#"{"compilerOptions":{"target":"es2023","useDefineForClassFields":false}}"#,
            ),
            ("none/tsconfig.json", r#"{"compilerOptions":{}}"#),
        ]);
        let resolver = Resolver::new(JsxOptionsWritten::default());
        let assigned = |folder: &str| {
            resolver
                .compile_settings(&dir.path().join(folder).join("a.ts"))
                .0
                .assign_class_fields
        };
        assert!(assigned("old"));
        assert!(!assigned("new"));
        assert!(assigned("lit"));
        assert!(!assigned("none"));
    }
}
