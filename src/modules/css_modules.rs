//! CSS Modules: a stylesheet named `*.module.css` that a script imports gives an object of its
//! class names, each scoped to its file, and its rules are applied with those names (as in
//! Vite and every bundler since css-loader).
//!
//! lightningcss does the scoping ([`scope`]): each class, id, animation, grid line and
//! container name becomes `<hash of the file's path>_<name>`, and `composes` adds the names it
//! composes. The hash is of the file's path in the site, not of its content: a save that
//! keeps the class names keeps the names the page uses, so the styles swap in place; a save
//! that adds or drops a class changes the object, and the importers update (see
//! `serve::module::style_module`). [`module_code`] is the module's exports, for the dev server
//! and the build alike.

use crate::base::{ErrorReport, code_frame};
use lightningcss::css_modules::{Config, CssModuleReference};
use lightningcss::dependencies::{Dependency, DependencyOptions};
use lightningcss::stylesheet::{MinifyOptions, ParserOptions, PrinterOptions, StyleSheet};
use std::collections::BTreeMap;

/// Whether the file or URL `path` is a CSS module: `*.module.css`.
pub fn is_css_module(path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    path.to_ascii_lowercase().ends_with(".module.css")
}

/// A CSS module, scoped.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Scoped {
    /// Its rules, with the scoped names.
    pub css: String,
    /// Each name it defines → what the page's elements get: its scoped name, then the names it
    /// composes, space-separated.
    pub names: BTreeMap<String, String>,
    /// With [`Output::minify`]: each `url()`, as written, and the placeholder that stands for
    /// it in `css` (for the build to fingerprint).
    pub urls: Vec<(String, String)>,
}

/// How [`scope`] prints.
#[derive(Clone, Copy, Debug, Default)]
pub struct Output {
    /// Minified, with `url()`s as placeholders (the build); otherwise as written (dev).
    pub minify: bool,
}

/// Scopes the CSS module `source`, the file called `site_path` in the site (which names its
/// hash). A stylesheet that does not parse is the error, with its line and frame.
pub fn scope(site_path: &str, source: &str, output: Output) -> Result<Scoped, Box<ErrorReport>> {
    let report = |message: String, loc: Option<(u32, u32)>| -> Box<ErrorReport> {
        let Some((line, column)) = loc else {
            return Box::new(ErrorReport::about_file(site_path, message));
        };
        // lightningcss counts lines from 0 and columns from 1.
        let line = line as usize + 1;
        Box::new(ErrorReport {
            message,
            file: Some(site_path.to_string()),
            line: Some(line),
            column: Some(column as usize),
            frame: code_frame(source, line, Some(column as usize)),
        })
    };
    // lightningcss parses nested blocks recursively: deeper input could overflow the stack.
    if crate::rewrite::css::analyze_deep(source).1 {
        return Err(report(too_deep(), None));
    }
    let options = ParserOptions {
        filename: site_path.to_string(),
        css_modules: Some(Config::default()),
        ..ParserOptions::default()
    };
    let mut sheet = StyleSheet::parse(source, options)
        .map_err(|err| report(err.kind.to_string(), err.loc.map(|l| (l.line, l.column))))?;
    if output.minify {
        sheet
            .minify(MinifyOptions::default())
            .map_err(|err| report(err.kind.to_string(), err.loc.map(|l| (l.line, l.column))))?;
    }
    let printed = sheet
        .to_css(PrinterOptions {
            minify: output.minify,
            analyze_dependencies: output.minify.then_some(DependencyOptions {
                remove_imports: false,
            }),
            ..PrinterOptions::default()
        })
        .map_err(|err| report(err.kind.to_string(), err.loc.map(|l| (l.line, l.column))))?;
    let names = printed
        .exports
        .unwrap_or_default()
        .into_iter()
        .map(|(local, export)| {
            let mut value = export.name;
            for composed in export.composes {
                value.push(' ');
                value.push_str(match &composed {
                    CssModuleReference::Local { name }
                    | CssModuleReference::Global { name }
                    | CssModuleReference::Dependency { name, .. } => name,
                });
            }
            (local, value)
        })
        .collect();
    let urls = printed
        .dependencies
        .unwrap_or_default()
        .into_iter()
        .filter_map(|dependency| match dependency {
            Dependency::Url(url) => Some((url.url, url.placeholder)),
            _ => None,
        })
        .collect();
    Ok(Scoped {
        css: printed.code,
        names,
        urls,
    })
}

/// Why a stylesheet nested past [`crate::rewrite::css::MAX_NESTING`] blocks is not compiled.
pub fn too_deep() -> String {
    format!(
        "nests more than {} blocks deep, more than hotplate compiles (a deeper stylesheet could \
         overflow the parser's stack)",
        crate::rewrite::css::MAX_NESTING
    )
}

/// The exports of a CSS module with these `names`: the object as `default`, and each name that
/// is a valid JavaScript identifier as a named export (`import { title } from './a.module.css'`).
pub fn module_code(names: &BTreeMap<String, String>) -> String {
    let quote = |s: &str| serde_json::to_string(s).expect("a string serializes");
    let mut code = format!(
        "const classes = {};\nexport default classes;\n",
        serde_json::to_string(names).expect("names serialize")
    );
    for (local, scoped) in names {
        if is_identifier(local) {
            code.push_str(&format!("export const {local} = {};\n", quote(scoped)));
        }
    }
    code
}

/// Whether `name` may be a named export's binding: an identifier that is not a reserved word.
fn is_identifier(name: &str) -> bool {
    const RESERVED: &[&str] = &[
        "await",
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "debugger",
        "default",
        "delete",
        "do",
        "else",
        "enum",
        "export",
        "extends",
        "false",
        "finally",
        "for",
        "function",
        "if",
        "implements",
        "import",
        "in",
        "instanceof",
        "interface",
        "let",
        "new",
        "null",
        "package",
        "private",
        "protected",
        "public",
        "return",
        "static",
        "super",
        "switch",
        "this",
        "throw",
        "true",
        "try",
        "typeof",
        "var",
        "void",
        "while",
        "with",
        "yield",
        "classes",
    ];
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_' || first == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        && !RESERVED.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_named_module_css_are_css_modules() {
        assert!(is_css_module("src/App.module.css"));
        assert!(is_css_module("/src/a.MODULE.CSS?import&t=1"));
        assert!(!is_css_module("src/module.css"));
        assert!(!is_css_module("src/App.css"));
    }

    #[test]
    fn class_names_are_scoped_by_the_files_path_not_its_content() {
        let source = ".title { color: red }\n.big { composes: title; font-size: 2em }\n";
        let one = scope("src/App.module.css", source, Output::default()).unwrap();
        let title = &one.names["title"];
        assert_ne!(title, "title");
        assert!(title.ends_with("_title"), "{title}");
        assert!(one.css.contains(&format!(".{title}")), "{}", one.css);
        assert_eq!(
            one.names["big"],
            format!("{} {title}", title.replace("title", "big"))
        );

        let restyled = ".title { color: blue }\n.big { composes: title; font-size: 3em }\n";
        let two = scope("src/App.module.css", restyled, Output::default()).unwrap();
        assert_eq!(
            one.names, two.names,
            "a save that keeps the names keeps them"
        );
        let other = scope("src/Other.module.css", source, Output::default()).unwrap();
        assert_ne!(one.names["title"], other.names["title"]);
    }

    #[test]
    fn the_build_gets_it_minified_with_its_urls_to_fingerprint() {
        let source = ".logo {\n  background: url(./logo.svg);\n}\n";
        let scoped = scope("src/a.module.css", source, Output { minify: true }).unwrap();
        assert!(!scoped.css.contains('\n'), "{}", scoped.css);
        assert_eq!(scoped.urls.len(), 1);
        assert_eq!(scoped.urls[0].0, "./logo.svg");
        assert!(scoped.css.contains(&scoped.urls[0].1), "{}", scoped.css);
    }

    #[test]
    fn a_module_that_does_not_parse_names_its_line() {
        let error = scope(
            "src/a.module.css",
            ".a { color: red }\n.b > > .c { color: blue }\n.d { color: green }\n",
            Output::default(),
        )
        .unwrap_err();
        assert_eq!(error.file.as_deref(), Some("src/a.module.css"));
        assert_eq!(error.line, Some(2), "{error:?}");
    }

    #[test]
    fn a_deeply_nested_module_is_refused_not_a_crash() {
        for (open, close) in [
            (".a { ", "} "),
            ("@media screen { ", "} "),
            (".a { color: calc(", ") } "),
        ] {
            let depth = 200_000;
            let source = format!("{}{}", open.repeat(depth), close.repeat(depth));
            for output in [Output::default(), Output { minify: true }] {
                let error = scope("src/deep.module.css", &source, output).unwrap_err();
                assert!(error.message.contains("blocks deep"), "{}", error.message);
            }
        }
        let nested = ".a { .b { color: red } }\n";
        assert!(scope("src/ok.module.css", nested, Output::default()).is_ok());
    }

    #[test]
    fn names_that_are_identifiers_are_named_exports_too() {
        let names = BTreeMap::from([
            ("title".to_string(), "h_title".to_string()),
            ("main-header".to_string(), "h_main-header".to_string()),
            ("class".to_string(), "h_class".to_string()),
        ]);
        let code = module_code(&names);
        assert!(code.contains("export default classes;"), "{code}");
        assert!(code.contains("export const title = \"h_title\";"), "{code}");
        assert!(!code.contains("export const main-header"), "{code}");
        assert!(!code.contains("export const class "), "{code}");
        assert!(code.contains("\"main-header\":\"h_main-header\""), "{code}");
    }
}
