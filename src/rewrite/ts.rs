//! TypeScript and JSX on their way out: `.ts`, `.tsx`, `.mts`, `.cts` and `.jsx` become the
//! JavaScript a browser runs, with oxc's transformer, before [`super::js`] reads them like any
//! module.
//!
//! - Types are stripped; type-only imports go (as esbuild and Vite drop them).
//! - JSX is compiled as the nearest `tsconfig.json` says ([`Jsx`], read by
//!   [`crate::modules::resolve`]), or as the `--jsx*` flags override it.
//! - Each output ends with an inline source map, so DevTools shows the original file and line.
//! - Types are not checked, as in Vite. A syntax error gives the line of the original file.
//!
//! [`TransformCache`] keeps the last output of each file by a hash of its content and the JSX
//! settings: a module served again unchanged is not transformed again.

use super::ByContent;
use super::js::{self, AnalysisError, SyntaxError};
use super::refresh::{self, Framework, Refresh};
use oxc_allocator::Allocator;
use oxc_codegen::{Codegen, CodegenOptions};
use oxc_parser::Parser;
use oxc_semantic::SemanticBuilder;
use oxc_span::SourceType;
use oxc_transformer::{JsxOptions, JsxRuntime, TransformOptions, Transformer};
use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

/// Whether the file (or URL path) `path` is compiled to JavaScript before it is served.
pub fn is_compiled(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    let ext = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase());
    matches!(ext.as_deref(), Some("ts" | "tsx" | "mts" | "cts" | "jsx"))
        && !name.to_ascii_lowercase().ends_with(".d.ts")
}

/// Whether the file (or URL path) `path` may hold JSX: `.tsx` and `.jsx`.
pub fn has_jsx(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("").to_ascii_lowercase();
    name.ends_with(".tsx") || name.ends_with(".jsx")
}

/// How JSX compiles, as TypeScript's `jsx`, `jsxImportSource`, `jsxFactory` and
/// `jsxFragmentFactory` say.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Jsx {
    /// `React.createElement(…)` calls (`"jsx": "react"`, and esbuild's default).
    Classic { factory: String, fragment: String },
    /// Calls into `<import_source>/jsx-runtime` (`"react-jsx"`), or `jsx-dev-runtime`
    /// (`"react-jsxdev"`).
    Automatic {
        import_source: String,
        development: bool,
    },
}

impl Jsx {
    /// Whose components this JSX makes, when that framework can refresh them in place: React's
    /// automatic runtime or `React.createElement`, or Preact's automatic runtime. Anything else
    /// (`h` from some library, Solid, a custom runtime) has no runtime to refresh with.
    pub fn framework(&self) -> Option<Framework> {
        match self {
            Jsx::Automatic { import_source, .. } => match import_source.as_str() {
                "react" => Some(Framework::React),
                "preact" | "preact/compat" => Some(Framework::Preact),
                _ => None,
            },
            Jsx::Classic { factory, .. } if factory == "React.createElement" => {
                Some(Framework::React)
            }
            Jsx::Classic { .. } => None,
        }
    }
}

impl Default for Jsx {
    fn default() -> Self {
        Jsx::Classic {
            factory: "React.createElement".into(),
            fragment: "React.Fragment".into(),
        }
    }
}

/// Everything a `tsconfig.json` says that changes the JavaScript a file compiles to, as
/// esbuild and Vite read it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Compile {
    pub jsx: Jsx,
    /// `experimentalDecorators`: TypeScript's own (legacy) decorators, compiled. Without it,
    /// decorators are the standard ones, which oxc 0.146 leaves as they are (for browsers that
    /// run them).
    pub legacy_decorators: bool,
    /// `emitDecoratorMetadata`, with legacy decorators.
    pub decorator_metadata: bool,
    /// `verbatimModuleSyntax` (or `preserveValueImports`): only `import type` is removed; an
    /// import used only as a type stays, side effects and all.
    pub verbatim_imports: bool,
    /// `useDefineForClassFields: false` (TypeScript's default below an ES2022 `target`): class
    /// fields are assigned in the constructor, not defined, so they do not hide the accessors
    /// a base class or a decorator put on the prototype (Lit's reactive properties).
    pub assign_class_fields: bool,
    /// Fast Refresh (dev only): components registered, and their module wrapped to refresh
    /// them in place ([`super::refresh`]).
    pub refresh: Option<Refresh>,
}

impl From<Jsx> for Compile {
    fn from(jsx: Jsx) -> Compile {
        Compile {
            jsx,
            ..Compile::default()
        }
    }
}

/// JSX settings as written: in a `tsconfig.json`'s `compilerOptions`, or given by flags
/// (which win, field by field).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JsxOptionsWritten {
    /// `react`, `react-jsx`, `react-jsxdev`, `preserve` or `react-native`.
    pub mode: Option<String>,
    pub import_source: Option<String>,
    pub factory: Option<String>,
    pub fragment: Option<String>,
}

impl JsxOptionsWritten {
    /// These settings, with each one `over` gives in its place.
    pub fn overridden_by(&self, over: &JsxOptionsWritten) -> JsxOptionsWritten {
        let pick = |mine: &Option<String>, theirs: &Option<String>| theirs.clone().or(mine.clone());
        JsxOptionsWritten {
            mode: pick(&self.mode, &over.mode),
            import_source: pick(&self.import_source, &over.import_source),
            factory: pick(&self.factory, &over.factory),
            fragment: pick(&self.fragment, &over.fragment),
        }
    }

    /// What the settings mean. `preserve` and `react-native` leave JSX in place for another
    /// tool, which a browser cannot run: they compile as esbuild's default does, unless a
    /// `jsxImportSource` asks for the automatic runtime.
    pub fn settle(&self) -> Jsx {
        let automatic = |development| Jsx::Automatic {
            import_source: self.import_source.clone().unwrap_or_else(|| "react".into()),
            development,
        };
        match self.mode.as_deref() {
            Some("react-jsx") => automatic(false),
            Some("react-jsxdev") => automatic(true),
            Some("react") => self.classic(),
            _ if self.import_source.is_some() => automatic(false),
            _ => self.classic(),
        }
    }

    fn classic(&self) -> Jsx {
        let Jsx::Classic { factory, fragment } = Jsx::default() else {
            unreachable!("the default is classic")
        };
        Jsx::Classic {
            factory: self.factory.clone().unwrap_or(factory),
            fragment: self.fragment.clone().unwrap_or(fragment),
        }
    }
}

/// Compiles `source`, the file called `name` (its extension says whether it is TypeScript and
/// whether it has JSX), into JavaScript with an inline source map naming `name`.
pub fn transform(name: &str, source: &str, settings: &Compile) -> Result<String, AnalysisError> {
    js::check_limits(source)?;
    let (name, source, settings) = (name.to_string(), source.to_string(), settings.clone());
    crate::pool::on_big_stack(move || compile(&name, &source, &settings))
        .map_err(AnalysisError::Syntax)
}

fn compile(name: &str, source: &str, settings: &Compile) -> Result<String, SyntaxError> {
    let (mut code, map) = compile_mapped(name, source, settings)?;
    if let Some(refreshed) = &settings.refresh {
        code = refresh::wrap(&code, name, refreshed);
    }
    if let Some(map) = map {
        if !code.ends_with('\n') {
            code.push('\n');
        }
        code.push_str("//# sourceMappingURL=");
        code.push_str(&map.to_data_url());
        code.push('\n');
    }
    Ok(code)
}

/// Compiles `source` like [`transform`], with its source map apart (for the build, whose
/// bundler chains it into the bundle's). Runs on the caller's stack: call it on the pool's
/// large one, after [`js::check_limits`].
pub fn compile_mapped(
    name: &str,
    source: &str,
    settings: &Compile,
) -> Result<(String, Option<oxc_sourcemap::SourceMap<'static>>), SyntaxError> {
    let allocator = Allocator::default();
    let path = Path::new(name);
    let source_type = SourceType::from_path(path)
        .unwrap_or_else(|_| SourceType::tsx())
        .with_module(true);
    let parsed = Parser::new(&allocator, source, source_type).parse();
    if let Some(error) = parsed.diagnostics.first() {
        return Err(js::syntax_error(source, error));
    }
    let mut program = parsed.program;
    let scoping = SemanticBuilder::new()
        .with_excess_capacity(2.0)
        .build(&program)
        .semantic
        .into_scoping();
    let options = options(settings);
    let transformed =
        Transformer::new(&allocator, path, &options).build_with_scoping(scoping, &mut program);
    if let Some(error) = transformed.diagnostics.first() {
        return Err(js::syntax_error(source, error));
    }
    let file_name = path.file_name().map_or(path.to_path_buf(), Into::into);
    let printed = Codegen::new()
        .with_options(CodegenOptions {
            source_map_path: Some(file_name),
            ..CodegenOptions::default()
        })
        .build(&program);
    Ok((
        printed.code,
        printed.map.map(oxc_sourcemap::SourceMap::into_owned),
    ))
}

fn options(settings: &Compile) -> TransformOptions {
    let mut options = TransformOptions::default();
    options.decorator.legacy = settings.legacy_decorators;
    options.decorator.emit_decorator_metadata =
        settings.legacy_decorators && settings.decorator_metadata;
    options.typescript.only_remove_type_imports = settings.verbatim_imports;
    options.assumptions.set_public_class_fields = settings.assign_class_fields;
    options.typescript.remove_class_fields_without_initializer = settings.assign_class_fields;
    match &settings.jsx {
        Jsx::Classic { factory, fragment } => {
            options.jsx = JsxOptions {
                runtime: JsxRuntime::Classic,
                pragma: Some(factory.clone()),
                pragma_frag: Some(fragment.clone()),
                ..JsxOptions::enable()
            };
            // What TypeScript keeps an otherwise unused `import React` for.
            options.typescript.jsx_pragma = Cow::Owned(factory.clone());
            options.typescript.jsx_pragma_frag = Cow::Owned(fragment.clone());
        }
        Jsx::Automatic {
            import_source,
            development,
        } => {
            options.jsx = JsxOptions {
                runtime: JsxRuntime::Automatic,
                import_source: Some(import_source.clone()),
                development: *development,
                ..JsxOptions::enable()
            };
            options.jsx.conform();
        }
    }
    // Components are registered wherever they are: in a `.ts` file of hooks too.
    options.jsx.refresh = settings.refresh.as_ref().map(|_| refresh::oxc_options());
    options
}

/// The last output of each file, by a hash of its content and settings.
#[derive(Default)]
pub struct TransformCache {
    outputs: ByContent<Result<Arc<str>, AnalysisError>>,
}

impl TransformCache {
    /// [`transform`], unless the file called `name` had this very content and these
    /// settings last time.
    pub fn transform(
        &self,
        name: &str,
        source: &str,
        settings: &Compile,
    ) -> Result<Arc<str>, AnalysisError> {
        self.outputs.get_or_insert(name, (source, settings), || {
            transform(name, source, settings).map(Arc::from)
        })
    }

    /// Forgets a file that was deleted.
    pub fn forget(&self, name: &str) {
        self.outputs.forget(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classic() -> Compile {
        Compile::default()
    }

    #[test]
    fn compiled_files_are_named_by_their_extension() {
        for name in ["a.ts", "src/b.tsx", "C.MTS", "d.cts", "e.jsx"] {
            assert!(is_compiled(name), "{name}");
        }
        for name in ["a.js", "b.mjs", "types.d.ts", "ts", "a.ts/b.css"] {
            assert!(!is_compiled(name), "{name}");
        }
        assert!(has_jsx("src/App.TSX") && has_jsx("b.jsx"));
        assert!(!has_jsx("src/hooks.ts") && !has_jsx("src.tsx/a.ts"));
    }

    #[test]
    fn types_are_stripped_and_a_source_map_names_the_file() {
        let source = "interface Point { x: number }\nexport const p: Point = { x: 1 };\nlet n = p.x as number;\n";
        let out = transform("src/point.ts", source, &classic()).unwrap();
        assert!(!out.contains("interface"), "{out}");
        assert!(!out.contains(": Point"), "{out}");
        assert!(out.contains("export const p = { x: 1 };"), "{out}");
        let (_, url) = out
            .split_once("//# sourceMappingURL=data:application/json;charset=utf-8;base64,")
            .expect("an inline map");
        assert!(!url.trim().is_empty());
        js::analyze(&out).expect("the output is a module");
    }

    #[test]
    fn type_only_imports_go_and_value_imports_stay() {
        let source = "import type { A } from './types';\nimport { b, type C } from './b';\nexport const x: A & C = b;\n";
        let out = transform("x.ts", source, &classic()).unwrap();
        assert!(!out.contains("./types"), "{out}");
        assert!(out.contains("import { b } from \"./b\""), "{out}");
    }

    #[test]
    fn jsx_compiles_as_the_settings_say() {
        let source = "export const App = () => <div class=\"a\"><>x</></div>;\n";
        let out = transform("app.jsx", source, &classic()).unwrap();
        assert!(out.contains("React.createElement(\"div\""), "{out}");
        assert!(out.contains("React.Fragment"), "{out}");

        let preact = JsxOptionsWritten {
            mode: Some("react-jsx".into()),
            import_source: Some("preact".into()),
            ..Default::default()
        }
        .settle();
        let out = transform("app.tsx", source, &preact.into()).unwrap();
        assert!(out.contains("from \"preact/jsx-runtime\""), "{out}");

        let h = JsxOptionsWritten {
            mode: Some("react".into()),
            factory: Some("h".into()),
            fragment: Some("Fragment".into()),
            ..Default::default()
        }
        .settle();
        let out = transform("app.tsx", source, &h.into()).unwrap();
        assert!(out.contains("h(\"div\""), "{out}");
        assert!(out.contains("h(Fragment"), "{out}");
    }

    #[test]
    fn react_and_preact_runtimes_can_refresh_and_others_cannot() {
        let automatic = |source: &str| Jsx::Automatic {
            import_source: source.into(),
            development: false,
        };
        assert_eq!(automatic("react").framework(), Some(Framework::React));
        assert_eq!(Jsx::default().framework(), Some(Framework::React));
        assert_eq!(automatic("preact").framework(), Some(Framework::Preact));
        assert_eq!(automatic("solid-js/h").framework(), None);
        let h = Jsx::Classic {
            factory: "h".into(),
            fragment: "Fragment".into(),
        };
        assert_eq!(h.framework(), None);
    }

    #[test]
    fn components_are_registered_only_with_refresh() {
        let source = "import { useState } from 'react';\n\
                      export function App() { const [n] = useState(0); return <b>{n}</b>; }\n";
        let plain = transform("App.tsx", source, &classic()).unwrap();
        assert!(!plain.contains("__hotplateRefresh"), "{plain}");
        let refreshed = Compile {
            refresh: Some(Refresh {
                framework: Framework::React,
                runtime_folder: "/__hotplate/b00t/".into(),
            }),
            ..classic()
        };
        let out = transform("App.tsx", source, &refreshed).unwrap();
        assert!(
            out.contains("__hotplateRefresh.register(_c, \"App\")"),
            "{out}"
        );
        assert!(out.contains("__hotplateRefresh.signature()"), "{out}");
        assert!(out.contains("import.meta.hot.accept("), "{out}");
        js::analyze(&out).expect("the output is a module");
    }

    #[test]
    fn decorators_and_verbatim_imports_follow_the_tsconfig() {
        let source = "import { Base } from './base';\nimport { Used } from './types';\n\
                      function tag(target: any) { return target; }\n\
                      @tag export class A extends Base { x?: Used; }\n";
        let legacy = Compile {
            legacy_decorators: true,
            ..Compile::default()
        };
        let out = transform("a.ts", source, &legacy).unwrap();
        assert!(
            out.contains("_decorate") || out.contains("__decorate"),
            "{out}"
        );
        assert!(!out.contains("@tag"), "{out}");
        assert!(!out.contains("./types"), "a type-only use is elided: {out}");
        let verbatim = Compile {
            verbatim_imports: true,
            ..legacy
        };
        let out = transform("a.ts", source, &verbatim).unwrap();
        assert!(
            out.contains("./types"),
            "verbatimModuleSyntax keeps it: {out}"
        );
    }

    #[test]
    fn class_fields_are_assigned_when_the_tsconfig_says_so() {
        let source = "class A extends Base { count = 0; name: string; }\n";
        let out = transform("a.ts", source, &classic()).unwrap();
        assert!(out.contains("count = 0;"), "{out}");
        assert!(!out.contains("this.count"), "{out}");
        let assigned = Compile {
            assign_class_fields: true,
            ..classic()
        };
        let out = transform("a.ts", source, &assigned).unwrap();
        assert!(out.contains("this.count = 0"), "{out}");
        assert!(!out.contains("name"), "{out}");
    }

    #[test]
    fn flags_override_the_tsconfig_field_by_field() {
        let tsconfig = JsxOptionsWritten {
            mode: Some("react-jsx".into()),
            import_source: Some("preact".into()),
            ..Default::default()
        };
        let flags = JsxOptionsWritten {
            import_source: Some("solid-js/h".into()),
            ..Default::default()
        };
        assert_eq!(
            tsconfig.overridden_by(&flags).settle(),
            Jsx::Automatic {
                import_source: "solid-js/h".into(),
                development: false
            }
        );
        assert_eq!(JsxOptionsWritten::default().settle(), Jsx::default());
        let preserve = JsxOptionsWritten {
            mode: Some("preserve".into()),
            ..Default::default()
        };
        assert_eq!(preserve.settle(), Jsx::default());
    }

    #[test]
    fn a_syntax_error_names_the_original_line() {
        let source = "const a: number = 1;\nconst b: string = ;\n";
        let Err(AnalysisError::Syntax(error)) = transform("bad.ts", source, &classic()) else {
            panic!("a syntax error");
        };
        assert_eq!(error.line, 2);
        assert!(
            error.frame.contains("> 2 | const b: string = ;"),
            "{}",
            error.frame
        );
    }

    #[test]
    fn the_cache_transforms_again_only_when_content_or_settings_change() {
        let cache = TransformCache::default();
        let first = cache
            .transform("a.tsx", "export const a = <b/>;", &classic())
            .unwrap();
        let again = cache
            .transform("a.tsx", "export const a = <b/>;", &classic())
            .unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        let automatic: Compile = Jsx::Automatic {
            import_source: "preact".into(),
            development: false,
        }
        .into();
        let other = cache
            .transform("a.tsx", "export const a = <b/>;", &automatic)
            .unwrap();
        assert!(other.contains("preact/jsx-runtime"), "{other}");
    }
}
